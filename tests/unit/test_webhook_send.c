/*
 * test_webhook_send.c - the webhook sender (webhook_send.c) against an
 * in-process HTTP receiver on 127.0.0.1 (permissive policy): what goes on
 * the wire (Standard Webhooks headers that verify, X-AgentNexus-Signature,
 * the exact body, both signatures during a rotation), how answers are
 * judged (2xx delivered; 410 stops; 429/503 Retry-After; 3xx not
 * followed; 5xx retried), response excerpts (bounded, cleaned), refusals
 * before any I/O, and that a receiver that never answers does not hold
 * the others back.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "webhook.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))
#define MAX_REQ  64
#define MAX_CONN 64

static const char SECRET[] = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
static const char OLD_SECRET[] = "whsec_AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";

/* ---- A small HTTP/1.1 receiver ---------------------------------------- */

struct req {
	char path[64];
	char headers[4096];
	char body[4096];
	size_t body_len;
};

static struct {
	int lfd;
	int port;
	volatile int stop;
	pthread_t acceptor;
	pthread_t conns[MAX_CONN];
	int nconns;
	pthread_mutex_t mu;
	struct req reqs[MAX_REQ];
	int nreqs;
} srv;

/* The value of header name in a raw header block, copied to out. */
static int
header(const char *headers, const char *name, char *out, size_t n)
{
	size_t len = strlen(name);

	for (const char *p = headers; p && *p; p = strstr(p, "\r\n"), p = p ? p + 2 : NULL)
		if (strncasecmp(p, name, len) == 0 && p[len] == ':') {
			const char *v = p + len + 1, *end = strstr(v, "\r\n");

			while (*v == ' ')
				v++;
			snprintf(out, n, "%.*s", (int)(end ? (size_t)(end - v) : strlen(v)), v);
			return 1;
		}
	return 0;
}

static void
respond(int fd, const char *path)
{
	char buf[8192];
	int n;

	if (strcmp(path, "/ok") == 0)
		n = snprintf(
			buf, sizeof(buf), "HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nthanks");
	else if (strcmp(path, "/accepted") == 0)
		n = snprintf(buf, sizeof(buf), "HTTP/1.1 204 No Content\r\n\r\n");
	else if (strcmp(path, "/gone") == 0)
		n = snprintf(
			buf, sizeof(buf), "HTTP/1.1 410 Gone\r\nContent-Length: 4\r\n\r\ngone");
	else if (strcmp(path, "/busy") == 0)
		n = snprintf(buf, sizeof(buf),
			"HTTP/1.1 503 Service Unavailable\r\n"
			"Retry-After: 120\r\nContent-Length: 0\r\n\r\n");
	else if (strcmp(path, "/slowdown") == 0)
		n = snprintf(buf, sizeof(buf),
			"HTTP/1.1 429 Too Many Requests\r\n"
			"Retry-After: 999999\r\nContent-Length: 0\r\n\r\n");
	else if (strcmp(path, "/redirect") == 0)
		n = snprintf(buf, sizeof(buf),
			"HTTP/1.1 302 Found\r\nLocation: http://127.0.0.1:%d/ok\r\n"
			"Content-Length: 0\r\n\r\n",
			srv.port);
	else if (strcmp(path, "/big") == 0) {
		n = snprintf(buf, sizeof(buf), "HTTP/1.1 200 OK\r\nContent-Length: 5000\r\n\r\n");
		memset(buf + n, 'x', 5000);
		n += 5000;
	} else if (strcmp(path, "/binary") == 0) {
		n = snprintf(buf, sizeof(buf), "HTTP/1.1 500 Oops\r\nContent-Length: 11\r\n\r\n");
		memcpy(buf + n,
			"ok\x01\xff\xfe"
			"a\xc3\xa9\n\xe2\x82",
			11);
		n += 11;
	} else
		n = snprintf(buf, sizeof(buf),
			"HTTP/1.1 500 Internal Server Error\r\n"
			"Content-Length: 4\r\n\r\nfail");
	if (write(fd, buf, (size_t)n) != n)
		return;
}

/* Reads requests off one connection until it closes or we stop. */
static void *
conn_main(void *arg)
{
	int fd = (int)(intptr_t)arg;
	char buf[16384];
	size_t have = 0;

	while (!srv.stop) {
		struct pollfd p = { fd, POLLIN, 0 };
		char *end, cl[32], method[8], path[64];
		size_t hlen, blen = 0;
		ssize_t r;

		if (poll(&p, 1, 50) <= 0)
			continue;
		if ((r = read(fd, buf + have, sizeof(buf) - 1 - have)) <= 0)
			break;
		have += (size_t)r;
		buf[have] = '\0';
		if ((end = strstr(buf, "\r\n\r\n")) == NULL)
			continue;
		hlen = (size_t)(end - buf) + 4;
		if (header(buf, "Content-Length", cl, sizeof(cl)))
			blen = strtoul(cl, NULL, 10);
		if (have < hlen + blen)
			continue;
		if (sscanf(buf, "%7s %63s", method, path) != 2)
			break;
		pthread_mutex_lock(&srv.mu);
		if (srv.nreqs < MAX_REQ) {
			struct req *q = &srv.reqs[srv.nreqs++];

			snprintf(q->path, sizeof(q->path), "%s", path);
			snprintf(q->headers, sizeof(q->headers), "%.*s", (int)hlen, buf);
			q->body_len = blen < sizeof(q->body) - 1 ? blen : sizeof(q->body) - 1;
			memcpy(q->body, buf + hlen, q->body_len);
			q->body[q->body_len] = '\0';
		}
		pthread_mutex_unlock(&srv.mu);
		if (strcmp(path, "/hang") == 0) {
			/* Never answer; hold the connection until told to stop. */
			while (!srv.stop && poll(&p, 1, 50) >= 0 &&
				!(p.revents & (POLLHUP | POLLIN)))
				;
			break;
		}
		respond(fd, path);
		memmove(buf, buf + hlen + blen, have - hlen - blen);
		have -= hlen + blen;
	}
	close(fd);
	return NULL;
}

static void *
accept_main(void *arg)
{
	(void)arg;
	while (!srv.stop) {
		struct pollfd p = { srv.lfd, POLLIN, 0 };
		int fd;

		if (poll(&p, 1, 50) <= 0)
			continue;
		if ((fd = accept(srv.lfd, NULL, NULL)) < 0)
			continue;
		pthread_mutex_lock(&srv.mu);
		if (srv.nconns < MAX_CONN && pthread_create(&srv.conns[srv.nconns], NULL, conn_main,
						     (void *)(intptr_t)fd) == 0)
			srv.nconns++;
		else
			close(fd);
		pthread_mutex_unlock(&srv.mu);
	}
	return NULL;
}

static int
server_start(void **state)
{
	struct sockaddr_in sa;
	socklen_t len = sizeof(sa);
	int one = 1;

	(void)state;
	memset(&srv, 0, sizeof(srv));
	pthread_mutex_init(&srv.mu, NULL);
	srv.lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	setsockopt(srv.lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(srv.lfd, (struct sockaddr *)&sa, sizeof(sa)) != 0 || listen(srv.lfd, 64) != 0 ||
		getsockname(srv.lfd, (struct sockaddr *)&sa, &len) != 0)
		return -1;
	srv.port = ntohs(sa.sin_port);
	return pthread_create(&srv.acceptor, NULL, accept_main, NULL) == 0 ? 0 : -1;
}

static int
server_stop(void **state)
{
	(void)state;
	srv.stop = 1;
	pthread_join(srv.acceptor, NULL);
	for (int i = 0; i < srv.nconns; i++)
		pthread_join(srv.conns[i], NULL);
	close(srv.lfd);
	pthread_mutex_destroy(&srv.mu);
	return 0;
}

static int
requests_for(const char *path, struct req *out)
{
	int n = 0;

	pthread_mutex_lock(&srv.mu);
	for (int i = 0; i < srv.nreqs; i++)
		if (strcmp(srv.reqs[i].path, path) == 0) {
			if (out)
				*out = srv.reqs[i];
			n++;
		}
	pthread_mutex_unlock(&srv.mu);
	return n;
}

/* ---- Helpers ----------------------------------------------------------- */

struct jobset {
	struct anx_webhook_job jobs[8];
	char urls[8][128];
};

static void
job_init(struct jobset *js, int i, const char *path, const char *body)
{
	struct anx_webhook_job *j = &js->jobs[i];

	memset(j, 0, sizeof(*j));
	snprintf(js->urls[i], sizeof(js->urls[i]), "http://127.0.0.1:%d%s", srv.port, path);
	j->url = js->urls[i];
	j->msg_id = "msg_p5jXN8AQM9LWM0D4loKWxJek";
	j->event_type = "terminal_outcome";
	j->body = body;
	j->body_len = strlen(body);
	j->secret = SECRET;
	j->policy.strict = 0;
}

/* Sends jobs[0..n) and waits for all (at most 20 s). */
static void
send_all(struct jobset *js, int n)
{
	struct anx_webhook_sender *s = anx_webhook_sender_new(8);
	struct anx_webhook_job *out[8];
	int got = 0;

	assert_non_null(s);
	for (int i = 0; i < n; i++)
		assert_int_equal(anx_webhook_sender_add(s, &js->jobs[i]), 0);
	for (int i = 0; i < 200 && got < n; i++)
		got += (int)anx_webhook_sender_run(s, 100, out, 8);
	assert_int_equal(got, n);
	assert_int_equal(anx_webhook_sender_inflight(s), 0);
	anx_webhook_sender_free(s);
}

/* ---- Tests ------------------------------------------------------------- */

static void
test_delivered_and_signed(void **state)
{
	static const char body[] =
		"{\"id\":\"msg_p5jXN8AQM9LWM0D4loKWxJek\",\"type\":"
		"\"terminal_outcome\",\"data\":{\"evaluation\":{\"a\":\"\\u00e9\"}}}";
	struct jobset js;
	struct req q;
	char id[64], ts[32], sig[256], hex[128], ctype[64], want[ANX_WEBHOOK_HEXSIG_LEN + 1];

	(void)state;
	job_init(&js, 0, "/ok", body);
	send_all(&js, 1);
	assert_int_equal(js.jobs[0].delivered, 1);
	assert_int_equal(js.jobs[0].status_code, 200);
	assert_string_equal(js.jobs[0].error, "");
	assert_string_equal(js.jobs[0].excerpt, "thanks");
	assert_true(js.jobs[0].latency_ms >= 0);

	assert_int_equal(requests_for("/ok", &q), 1);
	assert_true(strncmp(q.headers, "POST /ok HTTP/1.1\r\n", 19) == 0);
	assert_int_equal(q.body_len, strlen(body));
	assert_memory_equal(q.body, body, strlen(body));
	assert_true(header(q.headers, "webhook-id", id, sizeof(id)));
	assert_string_equal(id, "msg_p5jXN8AQM9LWM0D4loKWxJek");
	assert_true(header(q.headers, "webhook-timestamp", ts, sizeof(ts)));
	assert_true(llabs(strtoll(ts, NULL, 10) - (long long)time(NULL)) < 60);
	assert_true(header(q.headers, "webhook-signature", sig, sizeof(sig)));
	assert_int_equal(anx_webhook_verify(SECRET, id, ts, sig, q.body, q.body_len,
				 (long long)time(NULL), 300),
		0);
	assert_null(strchr(sig, ' ')); /* one key, one signature */
	assert_true(header(q.headers, "X-AgentNexus-Signature", hex, sizeof(hex)));
	assert_int_equal(anx_webhook_sign_hex(SECRET, body, strlen(body), want), 0);
	assert_string_equal(hex, want);
	assert_true(header(q.headers, "Content-Type", ctype, sizeof(ctype)));
	assert_string_equal(ctype, "application/json");
	assert_true(header(q.headers, "X-AgentNexus-Event", ctype, sizeof(ctype)));
	assert_string_equal(ctype, "terminal_outcome");
	assert_false(header(q.headers, "Expect", ctype, sizeof(ctype)));
}

static void
test_rotation(void **state)
{
	struct jobset js;
	struct req q;
	char id[64], ts[32], sig[256], hex[128], want[ANX_WEBHOOK_HEXSIG_LEN + 1];

	(void)state;
	job_init(&js, 0, "/accepted", "{\"rotating\":true}");
	js.jobs[0].previous_secret = OLD_SECRET;
	send_all(&js, 1);
	assert_int_equal(js.jobs[0].delivered, 1);
	assert_int_equal(js.jobs[0].status_code, 204);
	assert_int_equal(requests_for("/accepted", &q), 1);
	assert_true(header(q.headers, "webhook-id", id, sizeof(id)));
	assert_true(header(q.headers, "webhook-timestamp", ts, sizeof(ts)));
	assert_true(header(q.headers, "webhook-signature", sig, sizeof(sig)));
	/* "v1,<new> v1,<old>": receivers on either secret verify. */
	assert_non_null(strchr(sig, ' '));
	assert_int_equal(anx_webhook_verify(SECRET, id, ts, sig, q.body, q.body_len,
				 (long long)time(NULL), 300),
		0);
	assert_int_equal(anx_webhook_verify(OLD_SECRET, id, ts, sig, q.body, q.body_len,
				 (long long)time(NULL), 300),
		0);
	/* X-AgentNexus-Signature carries the new key's only. */
	assert_true(header(q.headers, "X-AgentNexus-Signature", hex, sizeof(hex)));
	assert_int_equal(anx_webhook_sign_hex(SECRET, q.body, q.body_len, want), 0);
	assert_string_equal(hex, want);
}

static void
test_outcomes(void **state)
{
	struct jobset js;

	(void)state;
	job_init(&js, 0, "/gone", "{}");
	job_init(&js, 1, "/busy", "{}");
	job_init(&js, 2, "/redirect", "{}");
	job_init(&js, 3, "/fail", "{}");
	job_init(&js, 4, "/slowdown", "{}");
	send_all(&js, 5);
	/* 410: stop for good */
	assert_int_equal(js.jobs[0].status_code, 410);
	assert_int_equal(js.jobs[0].delivered, 0);
	assert_int_equal(js.jobs[0].permanent, 1);
	assert_string_equal(js.jobs[0].excerpt, "gone");
	/* 503 with Retry-After */
	assert_int_equal(js.jobs[1].status_code, 503);
	assert_int_equal(js.jobs[1].permanent, 0);
	assert_int_equal(js.jobs[1].retry_after, 120);
	/* 3xx is a failed attempt and is not followed */
	assert_int_equal(js.jobs[2].status_code, 302);
	assert_int_equal(js.jobs[2].delivered, 0);
	assert_non_null(strstr(js.jobs[2].error, "redirect"));
	assert_int_equal(requests_for("/ok", NULL), 1); /* only test 1's */
	/* 5xx */
	assert_int_equal(js.jobs[3].status_code, 500);
	assert_string_equal(js.jobs[3].error, "HTTP 500");
	assert_int_equal(js.jobs[3].retry_after, 0);
	/* 429 with an absurd Retry-After is capped at a day */
	assert_int_equal(js.jobs[4].status_code, 429);
	assert_int_equal(js.jobs[4].retry_after, ANX_WEBHOOK_BACKOFF_CAP);
}

static void
test_excerpts(void **state)
{
	struct jobset js;

	(void)state;
	job_init(&js, 0, "/big", "{}");
	job_init(&js, 1, "/binary", "{}");
	send_all(&js, 2);
	assert_int_equal(js.jobs[0].delivered, 1);
	assert_int_equal(strlen(js.jobs[0].excerpt), ANX_WEBHOOK_EXCERPT_MAX);
	/* Control bytes and invalid UTF-8 never reach the database. */
	assert_int_equal(js.jobs[1].status_code, 500);
	assert_string_equal(js.jobs[1].excerpt, "ok???a\xc3\xa9\n??");
}

static void
test_refused_before_io(void **state)
{
	struct jobset js;
	int before = requests_for("/ok", NULL);

	(void)state;
	job_init(&js, 0, "/ok", "{}");
	js.jobs[0].policy.strict = 1; /* http and loopback: refused */
	job_init(&js, 1, "/ok", "{}");
	js.jobs[1].secret = NULL;
	job_init(&js, 2, "/ok", "{}");
	js.jobs[2].secret = "whsec_!!!!";
	send_all(&js, 3);
	assert_int_equal(js.jobs[0].permanent, 1);
	assert_non_null(strstr(js.jobs[0].error, "unsafe_webhook_url"));
	assert_int_equal(js.jobs[1].permanent, 0);
	assert_non_null(strstr(js.jobs[1].error, "secret"));
	assert_non_null(strstr(js.jobs[2].error, "sign"));
	assert_int_equal(requests_for("/ok", NULL), before);
}

static void
test_connection_refused(void **state)
{
	struct jobset js;
	int fd = socket(AF_INET, SOCK_STREAM, 0), port;
	struct sockaddr_in sa;
	socklen_t len = sizeof(sa);

	(void)state;
	/* A port nobody listens on. */
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	getsockname(fd, (struct sockaddr *)&sa, &len);
	port = ntohs(sa.sin_port);
	close(fd);
	job_init(&js, 0, "/ok", "{}");
	snprintf(js.urls[0], sizeof(js.urls[0]), "http://127.0.0.1:%d/ok", port);
	send_all(&js, 1);
	assert_int_equal(js.jobs[0].status_code, 0);
	assert_int_equal(js.jobs[0].delivered, 0);
	assert_int_equal(js.jobs[0].permanent, 0);
	assert_true(strlen(js.jobs[0].error) > 0);
}

static void
test_slow_receiver_does_not_block(void **state)
{
	struct anx_webhook_sender *s = anx_webhook_sender_new(8);
	struct anx_webhook_job *out[8];
	struct jobset js;
	struct timespec t0, t1;
	int got = 0;
	long ms;

	(void)state;
	assert_non_null(s);
	memset(&js, 0, sizeof(js));
	job_init(&js, 0, "/hang", "{}");
	for (int i = 1; i < 6; i++)
		job_init(&js, i, "/accepted", "{}");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (int i = 0; i < 6; i++)
		assert_int_equal(anx_webhook_sender_add(s, &js.jobs[i]), 0);
	assert_int_equal(anx_webhook_sender_capacity(s), 2);
	assert_int_equal(anx_webhook_sender_add(s, &js.jobs[6]), 0);
	assert_int_equal(anx_webhook_sender_add(s, &js.jobs[7]), 0);
	assert_int_equal(anx_webhook_sender_add(s, &js.jobs[7]), -1); /* full */
	/* jobs 6 and 7 were never initialised: their URL is NULL, refused */
	/* Bounded by iterations, not wall time (valgrind and loaded machines
	 * are slow); the hanging transfer's 15 s total timeout is far away. */
	for (int i = 0; i < 200 && got < 7; i++) {
		size_t n = anx_webhook_sender_run(s, 50, out, 8);

		for (size_t k = 0; k < n; k++)
			assert_ptr_not_equal(out[k], &js.jobs[0]);
		got += (int)n;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
	assert_int_equal(got, 7);
	assert_true(ms < 15000); /* all done before the hang times out */
	for (int i = 1; i < 6; i++)
		assert_int_equal(js.jobs[i].delivered, 1);
	/* The hanging one is still in flight; freeing abandons it. */
	assert_int_equal(anx_webhook_sender_inflight(s), 1);
	assert_int_equal(requests_for("/hang", NULL), 1);
	anx_webhook_sender_free(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_delivered_and_signed),
		cmocka_unit_test(test_rotation),
		cmocka_unit_test(test_outcomes),
		cmocka_unit_test(test_excerpts),
		cmocka_unit_test(test_refused_before_io),
		cmocka_unit_test(test_connection_refused),
		cmocka_unit_test(test_slow_receiver_does_not_block),
	};

	return cmocka_run_group_tests(tests, server_start, server_stop);
}
