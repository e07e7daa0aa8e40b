/*
 * main.c - agentnexus-fcgi: the libfcgi accept loop.
 *
 * spawn-fcgi hands each worker the listening socket as fd 0 and multiwatch
 * keeps N of them alive. A worker loads configuration and templates once,
 * then serves requests one at a time with a per-request arena. SIGTERM
 * finishes the current request and exits cleanly.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <fcgiapp.h>

#include "app.h"
#include "config.h"
#include "crypto.h"
#include "db.h"
#include "log.h"
#include "mail.h"
#include "template.h"

static volatile sig_atomic_t stopping;

static void
on_term(int sig)
{
	(void)sig;
	stopping = 1;
	FCGX_ShutdownPending();
}

static const char *
fcgi_param(struct anx_req *req, const char *name)
{
	FCGX_Request *fr = req->param_ctx;

	return FCGX_GetParam(name, fr->envp);
}

static const char *
reason(int status)
{
	switch (status) {
	case 200: return "OK";
	case 201: return "Created";
	case 202: return "Accepted";
	case 204: return "No Content";
	case 302: return "Found";
	case 303: return "See Other";
	case 304: return "Not Modified";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 409: return "Conflict";
	case 413: return "Payload Too Large";
	case 422: return "Unprocessable Content";
	case 429: return "Too Many Requests";
	case 500: return "Internal Server Error";
	case 503: return "Service Unavailable";
	default: return "Status";
	}
}

/* A request id from nginx, or a fresh one if nginx sent none. */
static const char *
request_id(struct anx_req *req)
{
	const char *rid = req->param(req, "REQUEST_ID");
	char *fresh;

	if (rid && *rid && strlen(rid) <= 64)
		return rid;
	if ((fresh = anx_arena_alloc(req->arena, 33)) == NULL || anx_random_hex(fresh, 16) != 0)
		return "unknown";
	return fresh;
}

/*
 * Reads the body announced by CONTENT_LENGTH (nginx always sends one and
 * buffers chunked uploads). Returns ANX_ERR_TOO_LARGE past ANX_MAX_BODY,
 * ANX_ERR_INVALID for a malformed length or a short body.
 */
static enum anx_err
read_body(FCGX_Request *fr, struct anx_req *req)
{
	const char *cl = req->param(req, "CONTENT_LENGTH");
	unsigned long long n = 0;
	char *body;
	int got;

	req->body = "";
	req->body_len = 0;
	if (cl == NULL || *cl == '\0')
		return ANX_OK;
	for (const char *p = cl; *p; p++) {
		if (*p < '0' || *p > '9' || n > ANX_MAX_BODY)
			return *p >= '0' && *p <= '9' ? ANX_ERR_TOO_LARGE : ANX_ERR_INVALID;
		n = n * 10 + (unsigned)(*p - '0');
	}
	if (n > ANX_MAX_BODY)
		return ANX_ERR_TOO_LARGE;
	if (n == 0)
		return ANX_OK;
	if ((body = anx_arena_alloc(req->arena, (size_t)n + 1)) == NULL)
		return ANX_ERR_NOMEM;
	got = FCGX_GetStr(body, (int)n, fr->in);
	if (got != (int)n)
		return ANX_ERR_INVALID;
	body[n] = '\0';
	req->body = body;
	req->body_len = (size_t)n;
	return ANX_OK;
}

/* anx_stream_write_fn onto the FastCGI output stream. */
static int
fcgi_write(void *wctx, const char *data, size_t n)
{
	FCGX_Request *fr = wctx;

	while (n > 0) {
		int chunk = n > 65536 ? 65536 : (int)n;

		if (FCGX_PutStr(data, chunk, fr->out) != chunk)
			return -1;
		data += chunk;
		n -= (size_t)chunk;
	}
	return 0;
}

/* Ends the head of a streamed response (no Content-Length) and runs the
 * stream (see http.h); a failure after the head is only logged. */
static void
write_streamed(FCGX_Request *fr, const struct anx_req *req, const struct anx_resp *resp,
	struct anx_buf *head)
{
	enum anx_err err;

	anx_buf_puts(head, "\r\n");
	if (anx_buf_failed(head) || FCGX_PutStr(head->data, (int)head->len, fr->out) < 0)
		return;
	if (strcmp(req->method, "HEAD") == 0)
		return;
	if ((err = resp->stream(resp->stream_ctx, fcgi_write, fr)) != ANX_OK)
		anx_log(ANX_LOG_ERROR, "stream_failed", LF_STR("code", anx_err_code(err)),
			LF_STR("path", req->path), ANX_LF_END);
}

/*
 * Writes the CGI response head and body. The head is formatted with the C
 * library into a buffer: libfcgi's own FCGX_FPrintF does not know every
 * conversion (no %zu), so it is only handed finished bytes.
 */
static void
write_response(FCGX_Request *fr, const struct anx_req *req, const struct anx_resp *resp)
{
	struct anx_buf head;

	anx_buf_init(&head, 64 * 1024);
	anx_buf_printf(&head, "Status: %d %s\r\n", resp->status, reason(resp->status));
	if (resp->content_type)
		anx_buf_printf(&head, "Content-Type: %s\r\n", resp->content_type);
	anx_buf_printf(&head, "X-Request-Id: %s\r\n", req->request_id);
	for (size_t i = 0; i < resp->nheaders; i++)
		anx_buf_printf(&head, "%s: %s\r\n", resp->headers[i].name, resp->headers[i].value);
	if (resp->stream != NULL) {
		write_streamed(fr, req, resp, &head);
		anx_buf_free(&head);
		return;
	}
	anx_buf_printf(&head, "Content-Length: %zu\r\n\r\n", resp->body.len);
	if (!anx_buf_failed(&head))
		FCGX_PutStr(head.data, (int)head.len, fr->out);
	if (resp->body.len && strcmp(req->method, "HEAD") != 0)
		FCGX_PutStr(resp->body.data, (int)resp->body.len, fr->out);
	anx_buf_free(&head);
}

static double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void
serve(FCGX_Request *fr, struct anx_arena *arena)
{
	struct anx_req req;
	struct anx_resp resp;
	enum anx_err err;
	double t0 = now_ms();

	memset(&req, 0, sizeof(req));
	anx_resp_init(&resp);
	req.arena = arena;
	req.param = fcgi_param;
	req.param_ctx = fr;
	req.db = anx_app.db;
	req.method = req.param(&req, "REQUEST_METHOD");
	req.path = req.param(&req, "DOCUMENT_URI");
	req.query = req.param(&req, "QUERY_STRING");
	req.remote_addr = req.param(&req, "REMOTE_ADDR");
	req.content_type = req.param(&req, "CONTENT_TYPE");
	if (req.method == NULL)
		req.method = "GET";
	if (req.path == NULL)
		req.path = "/";
	if (req.query == NULL)
		req.query = "";
	req.request_id = request_id(&req);
	anx_log_set_request_id(req.request_id);

	if ((err = read_body(fr, &req)) != ANX_OK)
		anx_resp_error(&resp, req.request_id, err, NULL, NULL);
	else
		anx_app_dispatch(&req, &resp);
	write_response(fr, &req, &resp);
	anx_log(resp.status >= 500 ? ANX_LOG_ERROR : ANX_LOG_INFO, "http_request",
		LF_STR("method", req.method), LF_STR("path", req.path),
		LF_INT("status", resp.status), LF_INT("bytes", resp.body.len),
		LF_DBL("ms", now_ms() - t0), LF_STR("remote_addr", req.remote_addr), ANX_LF_END);
	anx_log_set_request_id(NULL);
	anx_resp_free(&resp);
}

static int
open_log(void)
{
	const char *path = getenv("ANX_LOG_FILE");
	int fd;

	if (path == NULL || *path == '\0')
		return 2;
	if ((fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640)) == -1) {
		fprintf(stderr, "agentnexus-fcgi: cannot open ANX_LOG_FILE %s: %s\n", path,
			strerror(errno));
		return -1;
	}
	return fd;
}

int
main(int argc, char *argv[])
{
	struct sigaction sa;
	struct anx_arena arena;
	FCGX_Request fr;
	char err[512];
	int logfd;

	if (anx_config_load(&anx_cfg, err, sizeof(err)) != 0) {
		fprintf(stderr, "agentnexus-fcgi: configuration error: %s\n", err);
		return 1;
	}
	if (argc > 1 && strcmp(argv[1], "--check-config") == 0) {
		printf("configuration ok (%s)\n", anx_cfg.app_env);
		return 0;
	}
	if ((logfd = open_log()) < 0)
		return 1;
	anx_log_init("agentnexus-fcgi", (enum anx_log_level)anx_cfg.log_level, logfd);
	if (anx_cfg.otp_secret_generated)
		anx_log(ANX_LOG_WARN, "otp_secret_generated",
			LF_STR("hint", "set APPROVAL_OTP_SECRET; codes will not survive a restart"),
			ANX_LF_END);

	if (anx_tmpl_load_dir(&anx_app.templates, anx_cfg.template_dir, err, sizeof(err)) != 0) {
		anx_log(ANX_LOG_ERROR, "templates_failed", LF_STR("error", err), ANX_LF_END);
		fprintf(stderr, "agentnexus-fcgi: templates: %s\n", err);
		return 1;
	}
	anx_mail_templates_use(anx_app.templates);
	if ((anx_app.db = anx_db_new(anx_cfg.database_url, "agentnexus-fcgi")) == NULL)
		return 1;
	anx_app.routes = anx_routes;
	anx_app.nroutes = anx_nroutes;

	if (FCGX_Init() != 0 || FCGX_InitRequest(&fr, 0, 0) != 0) {
		anx_log(ANX_LOG_ERROR, "fcgi_init_failed", ANX_LF_END);
		return 1;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_term; /* no SA_RESTART: accept() must return */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	anx_log(ANX_LOG_INFO, "worker_started", ANX_LF_END);
	anx_arena_init(&arena);
	while (!stopping && FCGX_Accept_r(&fr) >= 0) {
		serve(&fr, &arena);
		FCGX_Finish_r(&fr);
		anx_arena_reset(&arena);
	}
	anx_log(ANX_LOG_INFO, "worker_stopped", ANX_LF_END);
	FCGX_Free(&fr, 1);
	anx_arena_free(&arena);
	anx_db_free(anx_app.db);
	anx_tmpl_set_free(anx_app.templates);
	return 0;
}
