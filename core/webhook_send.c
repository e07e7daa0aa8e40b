/*
 * webhook_send.c - the HTTP side of webhook delivery: concurrent signed
 * POSTs over one libcurl multi handle; see webhook.h ("Delivery").
 *
 * Every transfer is re-checked before any I/O (the URL through libcurl's
 * own parser, whose parsed handle is then given to libcurl with
 * CURLOPT_CURLU) and again on every socket libcurl opens: the
 * CURLOPT_OPENSOCKETFUNCTION callback refuses any address that is not
 * allowed, which covers every DNS answer and DNS rebinding. Redirects are
 * never followed, only http/https are spoken, proxies from the
 * environment are ignored, and each transfer has its own connect and
 * total timeout, so a receiver that never answers only holds its slot.
 */
#include "webhook.h"

#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <curl/curl.h>

#include "log.h"

#define RESPONSE_MAX (1024 * 1024) /* bytes read from a receiver */
#define USER_AGENT   "AgentNexus-Webhooks/1.0"

/* One transfer: the job it serves and what libcurl needs alive. */
struct xfer {
	struct anx_webhook_job *job;
	CURL *easy;
	CURLU *url;
	struct curl_slist *headers;
	struct curl_slist *resolve;
	int strict;
	enum anx_url_reason refused; /* set when a socket address was refused */
	char refused_addr[ANX_URL_ADDR_TEXT];
	size_t received;
	size_t excerpt_len;
	char errbuf[CURL_ERROR_SIZE];
	struct xfer *next;                /* on the finished list */
	struct xfer *run_prev, *run_next; /* on the running list */
};

struct anx_webhook_sender {
	CURLM *multi;
	size_t max;
	size_t running;        /* transfers inside the multi handle */
	struct xfer *run;      /* the same, as a list */
	struct xfer *finished; /* waiting to be returned by run */
	struct xfer **tail;
	size_t nfinished;
};

struct anx_webhook_sender *
anx_webhook_sender_new(int max_inflight)
{
	struct anx_webhook_sender *s;

	if (max_inflight < 1 || curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return NULL;
	if ((s = calloc(1, sizeof(*s))) == NULL || (s->multi = curl_multi_init()) == NULL) {
		free(s);
		curl_global_cleanup();
		return NULL;
	}
	s->max = (size_t)max_inflight;
	s->tail = &s->finished;
	curl_multi_setopt(s->multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, (long)max_inflight);
	curl_multi_setopt(s->multi, CURLMOPT_MAXCONNECTS, (long)max_inflight);
	return s;
}

static void
xfer_free(struct xfer *x)
{
	if (x == NULL)
		return;
	if (x->easy)
		curl_easy_cleanup(x->easy);
	curl_url_cleanup(x->url);
	curl_slist_free_all(x->headers);
	curl_slist_free_all(x->resolve);
	free(x);
}

void
anx_webhook_sender_free(struct anx_webhook_sender *s)
{
	if (s == NULL)
		return;
	/* Abandon running transfers: their deliveries stay leased and are
	 * retried when the lease ends. */
	while (s->run) {
		struct xfer *x = s->run;

		s->run = x->run_next;
		curl_multi_remove_handle(s->multi, x->easy);
		xfer_free(x);
	}
	while (s->finished) {
		struct xfer *x = s->finished;

		s->finished = x->next;
		xfer_free(x);
	}
	curl_multi_cleanup(s->multi);
	free(s);
	curl_global_cleanup();
}

size_t
anx_webhook_sender_inflight(const struct anx_webhook_sender *s)
{
	return s->running + s->nfinished;
}

size_t
anx_webhook_sender_capacity(const struct anx_webhook_sender *s)
{
	size_t used = s->running + s->nfinished;

	return used >= s->max ? 0 : s->max - used;
}

static void
finish_list_add(struct anx_webhook_sender *s, struct xfer *x)
{
	x->next = NULL;
	*s->tail = x;
	s->tail = &x->next;
	s->nfinished++;
}

/* Formats the job's error line, truncated to fit. */
static void set_error(struct anx_webhook_job *job, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void
set_error(struct anx_webhook_job *job, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(job->error, sizeof(job->error), fmt, ap);
	va_end(ap);
}

/*
 * CURLOPT_OPENSOCKETFUNCTION: the authoritative address check. libcurl
 * calls it with the exact address it is about to connect to, after its
 * own resolution (or CURLOPT_RESOLVE), for every address it tries.
 */
static curl_socket_t
open_socket(void *clientp, curlsocktype purpose, struct curl_sockaddr *a)
{
	struct xfer *x = clientp;
	struct anx_url_addr addr;
	enum anx_url_reason r;

	if (purpose != CURLSOCKTYPE_IPCXN)
		return CURL_SOCKET_BAD;
	r = anx_url_check_sockaddr(&a->addr, a->addrlen, x->strict);
	if (r != ANX_URL_OK) {
		memset(&addr, 0, sizeof(addr));
		addr.family = a->family;
		if (a->family == AF_INET)
			memcpy(addr.a, &((struct sockaddr_in *)(void *)&a->addr)->sin_addr, 4);
		else if (a->family == AF_INET6)
			memcpy(addr.a, &((struct sockaddr_in6 *)(void *)&a->addr)->sin6_addr, 16);
		x->refused = r;
		anx_url_addr_format(&addr, x->refused_addr);
		anx_log(ANX_LOG_WARN, "webhook_address_refused", LF_STR("address", x->refused_addr),
			LF_STR("reason", anx_url_reason_name(r)), ANX_LF_END);
		return CURL_SOCKET_BAD;
	}
	return socket(a->family, a->socktype | SOCK_CLOEXEC, a->protocol);
}

/* Keeps the first ANX_WEBHOOK_EXCERPT_MAX bytes of the response body;
 * stops the transfer after RESPONSE_MAX bytes. */
static size_t
on_body(char *data, size_t size, size_t nmemb, void *userp)
{
	struct xfer *x = userp;
	size_t n = size * nmemb, room = ANX_WEBHOOK_EXCERPT_MAX - x->excerpt_len;

	if (n > room)
		n = room;
	memcpy(x->job->excerpt + x->excerpt_len, data, n);
	x->excerpt_len += n;
	x->received += size * nmemb;
	return x->received > RESPONSE_MAX ? 0 : size * nmemb;
}

/* The length of the well-formed UTF-8 sequence at s (n bytes left), or 0
 * (RFC 3629 §4: no overlongs, no surrogates, nothing past U+10FFFF). */
static size_t
utf8_seq(const unsigned char *s, size_t n)
{
	size_t len;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		len = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		len = 4;
	else
		return 0;
	if (n < len)
		return 0;
	for (size_t i = 1; i < len; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	if ((s[0] == 0xe0 && s[1] < 0xa0) || (s[0] == 0xed && s[1] > 0x9f) ||
		(s[0] == 0xf0 && s[1] < 0x90) || (s[0] == 0xf4 && s[1] > 0x8f))
		return 0;
	return len;
}

/* Makes the excerpt storable text: control characters and bytes that are
 * not part of well-formed UTF-8 become '?'. */
static void
excerpt_clean(char *s, size_t n)
{
	unsigned char *u = (unsigned char *)s;

	s[n] = '\0';
	for (size_t i = 0; i < n;) {
		size_t len = utf8_seq(u + i, n - i);

		if (len == 0 || (u[i] < 0x20 && u[i] != '\n' && u[i] != '\t') || u[i] == 0x7f) {
			u[i++] = '?';
			continue;
		}
		i += len;
	}
}

/* Builds the request headers: Standard Webhooks and our own. */
static int
build_headers(struct xfer *x, long long ts)
{
	struct anx_webhook_job *j = x->job;
	char sighdr[ANX_WEBHOOK_SIGHDR_LEN + 1], hex[ANX_WEBHOOK_HEXSIG_LEN + 1];
	char line[ANX_WEBHOOK_SIGHDR_LEN + 64];
	struct curl_slist *h = NULL, *t;
	int rc = -1;

	if (anx_webhook_sign_header(j->secret, j->previous_secret, j->msg_id, ts, j->body,
		    j->body_len, sighdr) != 0 ||
		anx_webhook_sign_hex(j->secret, j->body, j->body_len, hex) != 0)
		goto out;
#define ADD(...)                                                                                   \
	do {                                                                                       \
		if (snprintf(line, sizeof(line), __VA_ARGS__) >= (int)sizeof(line))                \
			goto out;                                                                  \
		if ((t = curl_slist_append(h, line)) == NULL)                                      \
			goto out;                                                                  \
		h = t;                                                                             \
	} while (0)
	ADD("Content-Type: application/json");
	ADD("User-Agent: %s", USER_AGENT);
	ADD("webhook-id: %s", j->msg_id);
	ADD("webhook-timestamp: %lld", ts);
	ADD("webhook-signature: %s", sighdr);
	ADD("X-AgentNexus-Signature: %s", hex);
	ADD("X-AgentNexus-Event: %s", j->event_type ? j->event_type : "");
	ADD("Expect:"); /* no 100-continue round trip */
#undef ADD
	x->headers = h;
	h = NULL;
	rc = 0;
out:
	curl_slist_free_all(h);
	return rc;
}

/*
 * With a resolver hook installed (tests, benchmarks), resolve through it
 * and pin libcurl to its answer, so libcurl connects to exactly the
 * scripted addresses (and the socket check still judges each one).
 */
static int
pin_resolution(struct xfer *x, const struct anx_url_target *t)
{
	struct anx_url_addr addrs[ANX_URL_MAX_ADDRS];
	char entry[ANX_URL_HOST_MAX + 16 + ANX_URL_MAX_ADDRS * (ANX_URL_ADDR_TEXT + 1)];
	char *host = NULL;
	size_t n = 0, len;
	enum anx_url_reason r;

	if (anx_url_resolver == NULL || t->is_ip)
		return 0;
	r = anx_url_resolve(t->host, ANX_WEBHOOK_CONNECT_TIMEOUT_MS, addrs, ANX_URL_MAX_ADDRS, &n);
	if (r != ANX_URL_OK) {
		set_error(x->job, "unsafe_webhook_url: %s", anx_url_reason_message(r));
		return -1;
	}
	if (curl_url_get(x->url, CURLUPART_HOST, &host, 0) != CURLUE_OK)
		return -1;
	len = (size_t)snprintf(entry, sizeof(entry), "%s:%d:", host, t->port);
	curl_free(host);
	for (size_t i = 0; i < n && len < sizeof(entry); i++) {
		char text[ANX_URL_ADDR_TEXT];

		anx_url_addr_format(&addrs[i], text);
		len += (size_t)snprintf(
			entry + len, sizeof(entry) - len, "%s%s", i ? "," : "", text);
	}
	if (len >= sizeof(entry) || (x->resolve = curl_slist_append(NULL, entry)) == NULL)
		return -1;
	return 0;
}

static int
setup_easy(struct xfer *x)
{
	struct anx_webhook_job *j = x->job;
	CURL *e;

	if ((e = x->easy = curl_easy_init()) == NULL)
		return -1;
	if (curl_easy_setopt(e, CURLOPT_CURLU, x->url) != CURLE_OK ||
		curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https") != CURLE_OK ||
		curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS_STR, "http,https") != CURLE_OK ||
		curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L) != CURLE_OK ||
		curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L) != CURLE_OK ||
		curl_easy_setopt(e, CURLOPT_PROXY, "") != CURLE_OK ||
		curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS,
			(long)ANX_WEBHOOK_CONNECT_TIMEOUT_MS) != CURLE_OK ||
		curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)ANX_WEBHOOK_TOTAL_TIMEOUT_MS) !=
			CURLE_OK ||
		curl_easy_setopt(e, CURLOPT_OPENSOCKETFUNCTION, open_socket) != CURLE_OK ||
		curl_easy_setopt(e, CURLOPT_OPENSOCKETDATA, x) != CURLE_OK ||
		curl_easy_setopt(e, CURLOPT_POST, 1L) != CURLE_OK ||
		curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)j->body_len) !=
			CURLE_OK ||
		curl_easy_setopt(e, CURLOPT_POSTFIELDS, j->body) != CURLE_OK ||
		curl_easy_setopt(e, CURLOPT_HTTPHEADER, x->headers) != CURLE_OK ||
		curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body) != CURLE_OK ||
		curl_easy_setopt(e, CURLOPT_WRITEDATA, x) != CURLE_OK ||
		curl_easy_setopt(e, CURLOPT_ERRORBUFFER, x->errbuf) != CURLE_OK ||
		curl_easy_setopt(e, CURLOPT_PRIVATE, x) != CURLE_OK)
		return -1;
	if (x->resolve && curl_easy_setopt(e, CURLOPT_RESOLVE, x->resolve) != CURLE_OK)
		return -1;
	return 0;
}

int
anx_webhook_sender_add(struct anx_webhook_sender *s, struct anx_webhook_job *job)
{
	struct anx_url_target t;
	struct timespec now;
	enum anx_url_reason r;
	struct xfer *x;

	if (anx_webhook_sender_capacity(s) == 0 || (x = calloc(1, sizeof(*x))) == NULL)
		return -1;
	x->job = job;
	x->strict = job->policy.strict;
	job->status_code = 0;
	job->latency_ms = 0;
	job->retry_after = 0;
	job->permanent = 0;
	job->delivered = 0;
	job->error[0] = '\0';
	job->excerpt[0] = '\0';
	clock_gettime(CLOCK_REALTIME, &now);
	job->attempted_ms = (long long)now.tv_sec * 1000 + now.tv_nsec / 1000000;
	job->attempted_at = (long long)now.tv_sec;

	if ((r = anx_url_check_parsed(job->url, &job->policy, &t, &x->url)) != ANX_URL_OK) {
		/* The URL itself is refused: retrying cannot help. */
		set_error(job, "unsafe_webhook_url: %s", anx_url_reason_message(r));
		job->permanent = 1;
		finish_list_add(s, x);
		return 0;
	}
	if (job->secret == NULL || *job->secret == '\0') {
		set_error(job, "no webhook signing secret is configured");
		finish_list_add(s, x);
		return 0;
	}
	if (build_headers(x, job->attempted_at) != 0) {
		set_error(job, "cannot sign the delivery (malformed signing secret?)");
		finish_list_add(s, x);
		return 0;
	}
	if (pin_resolution(x, &t) != 0) {
		if (job->error[0] == '\0')
			set_error(job, "out of memory");
		finish_list_add(s, x);
		return 0;
	}
	if (setup_easy(x) != 0 || curl_multi_add_handle(s->multi, x->easy) != CURLM_OK) {
		xfer_free(x);
		return -1;
	}
	x->run_next = s->run;
	if (s->run)
		s->run->run_prev = x;
	s->run = x;
	s->running++;
	return 0;
}

/* Fills the job's outcome from a completed transfer. */
static void
outcome(struct xfer *x, CURLcode rc)
{
	struct anx_webhook_job *j = x->job;
	curl_off_t total = 0, retry = 0;
	long code = 0;

	curl_easy_getinfo(x->easy, CURLINFO_TOTAL_TIME_T, &total);
	curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &code);
	j->latency_ms = (long)(total / 1000);
	j->status_code = (int)code;
	excerpt_clean(j->excerpt, x->excerpt_len);
	if (code == 0) {
		if (x->refused != ANX_URL_OK)
			set_error(j, "unsafe_webhook_url: %s (%s)",
				anx_url_reason_message(x->refused), x->refused_addr);
		else
			set_error(j, "%s", x->errbuf[0] ? x->errbuf : curl_easy_strerror(rc));
		return;
	}
	if (code >= 200 && code <= 299) {
		j->delivered = 1;
		return;
	}
	if (code == 410) {
		j->permanent = 1;
		set_error(j, "HTTP 410: the receiver asked to stop (Gone)");
	} else if (code >= 300 && code <= 399)
		set_error(j, "HTTP %ld: redirects are not followed; update the webhook URL", code);
	else
		set_error(j, "HTTP %ld", code);
	if ((code == 429 || code == 503) &&
		curl_easy_getinfo(x->easy, CURLINFO_RETRY_AFTER, &retry) == CURLE_OK && retry > 0)
		j->retry_after =
			retry > ANX_WEBHOOK_BACKOFF_CAP ? ANX_WEBHOOK_BACKOFF_CAP : (long)retry;
}

/* Moves every completed transfer to the finished list. */
static void
harvest(struct anx_webhook_sender *s)
{
	CURLMsg *m;
	int left;

	while ((m = curl_multi_info_read(s->multi, &left)) != NULL) {
		struct xfer *x;
		char *priv = NULL;

		if (m->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, &priv);
		x = (struct xfer *)(void *)priv;
		outcome(x, m->data.result);
		curl_multi_remove_handle(s->multi, x->easy);
		if (x->run_prev)
			x->run_prev->run_next = x->run_next;
		else
			s->run = x->run_next;
		if (x->run_next)
			x->run_next->run_prev = x->run_prev;
		s->running--;
		finish_list_add(s, x);
	}
}

/* Milliseconds on the monotonic clock. */
static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

size_t
anx_webhook_sender_run(
	struct anx_webhook_sender *s, int wait_ms, struct anx_webhook_job **out, size_t max)
{
	long long end = now_ms() + (wait_ms > 0 ? wait_ms : 0), left;
	size_t n = 0;
	int still = 0;

	/*
	 * Drive transfers until all are done, the time is up, or half the
	 * pool has finished (so the caller records in batches and refills).
	 */
	while (s->running > 0) {
		curl_multi_perform(s->multi, &still);
		harvest(s);
		if (s->running == 0 || s->nfinished * 2 >= s->max || (left = end - now_ms()) <= 0)
			break;
		curl_multi_poll(s->multi, NULL, 0, (int)(left < 50 ? left : 50), NULL);
	}
	while (n < max && s->finished) {
		struct xfer *x = s->finished;

		s->finished = x->next;
		if (s->finished == NULL)
			s->tail = &s->finished;
		s->nfinished--;
		out[n++] = x->job;
		xfer_free(x);
	}
	return n;
}
