/*
 * test_base.c - buffers, arenas, the error table, JSON-lines logging with
 * redaction, and configuration checks.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "arena.h"
#include "buf.h"
#include "config.h"
#include "err.h"
#include "log.h"

static void
test_buf_basics(void **state)
{
	struct anx_buf b;

	(void)state;
	anx_buf_init(&b, 0);
	assert_int_equal(anx_buf_puts(&b, "abc"), 0);
	assert_int_equal(anx_buf_printf(&b, "-%d-", 42), 0);
	assert_string_equal(b.data, "abc-42-");
	for (int i = 0; i < 1000; i++)
		anx_buf_putc(&b, 'x');
	assert_int_equal(b.len, 7 + 1000);
	anx_buf_reset(&b);
	assert_int_equal(b.len, 0);
	anx_buf_free(&b);
}

static void
test_buf_limit_is_sticky(void **state)
{
	struct anx_buf b;

	(void)state;
	anx_buf_init(&b, 8);
	assert_int_equal(anx_buf_puts(&b, "12345678"), 0);
	assert_int_equal(anx_buf_puts(&b, "9"), -1);
	assert_true(anx_buf_failed(&b));
	assert_int_equal(anx_buf_puts(&b, ""), -1);
	anx_buf_free(&b);
}

static void
test_buf_escapes(void **state)
{
	static const struct {
		const char *in, *json, *html;
	} cases[] = {
		{ "plain", "plain", "plain" },
		{ "a\"b", "a\\\"b", "a&quot;b" },
		{ "<script>", "<script>", "&lt;script&gt;" },
		{ "x&y'z", "x&y'z", "x&amp;y&#39;z" },
		{ "tab\tnl\n", "tab\\tnl\\n", "tab\tnl\n" },
		{ "\x01\x1f", "\\u0001\\u001f", "\x01\x1f" },
		{ "back\\slash", "back\\\\slash", "back\\slash" },
		{ "é€😀", "é€😀", "é€😀" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct anx_buf j, h;

		anx_buf_init(&j, 0);
		anx_buf_init(&h, 0);
		anx_buf_json_str(&j, cases[i].in, strlen(cases[i].in));
		anx_buf_html(&h, cases[i].in, strlen(cases[i].in));
		assert_string_equal(j.data, cases[i].json);
		assert_string_equal(h.data, cases[i].html);
		anx_buf_free(&j);
		anx_buf_free(&h);
	}
}

static int defer_count;

static void
count_defer(void *p)
{
	(void)p;
	defer_count++;
}

static void
test_arena(void **state)
{
	struct anx_arena a;
	char *s, *big;
	int dummy;

	(void)state;
	anx_arena_init(&a);
	s = anx_arena_strdup(&a, "hello");
	assert_string_equal(s, "hello");
	assert_string_equal(anx_arena_printf(&a, "%s-%d", s, 7), "hello-7");
	assert_string_equal(anx_arena_strndup(&a, "abcdef", 3), "abc");
	big = anx_arena_alloc(&a, 100000);
	assert_non_null(big);
	memset(big, 1, 100000);
	for (int i = 0; i < 10000; i++)
		assert_non_null(anx_arena_alloc(&a, 17));
	assert_true(((uintptr_t)anx_arena_alloc(&a, 3) & 15) == 0);
	assert_null(anx_arena_calloc(&a, SIZE_MAX / 2, 4));
	defer_count = 0;
	anx_arena_defer(&a, count_defer, &dummy);
	anx_arena_defer(&a, count_defer, &dummy);
	anx_arena_reset(&a);
	assert_int_equal(defer_count, 2);
	assert_non_null(anx_arena_alloc(&a, 1));
	anx_arena_free(&a);
}

static void
test_err_table(void **state)
{
	static const struct {
		enum anx_err err;
		const char *code;
		int status;
	} cases[] = {
		{ ANX_ERR_UNAUTHORIZED, "unauthorized", 401 },
		{ ANX_ERR_FORBIDDEN, "forbidden", 403 },
		{ ANX_ERR_NOT_FOUND, "not_found", 404 },
		{ ANX_ERR_INVALID, "invalid_request", 400 },
		{ ANX_ERR_VALIDATION, "validation_failed", 422 },
		{ ANX_ERR_UNSAFE_URL, "unsafe_webhook_url", 422 },
		{ ANX_ERR_IDEM_INVALID, "idempotency_key_invalid", 400 },
		{ ANX_ERR_IDEM_REUSED, "idempotency_key_reused", 409 },
		{ ANX_ERR_IDEM_IN_PROGRESS, "idempotency_in_progress", 409 },
		{ ANX_ERR_RECEIPT_CONFLICT, "receipt_conflict", 409 },
		{ ANX_ERR_NOT_APPROVED, "evaluation_not_approved", 409 },
		{ ANX_ERR_OTP_REQUIRED, "otp_required", 403 },
		{ ANX_ERR_OTP_INVALID, "otp_invalid", 403 },
		{ ANX_ERR_OTP_LOCKED, "otp_locked", 429 },
		{ ANX_ERR_SOD, "separation_of_duties", 403 },
		{ ANX_ERR_APPROVAL_CLOSED, "approval_closed", 409 },
		{ ANX_ERR_TOO_LARGE, "payload_too_large", 413 },
		{ ANX_ERR_RATE_LIMITED, "rate_limited", 429 },
		{ ANX_ERR_INTERNAL, "server_error", 500 },
		{ ANX_ERR_UNAVAILABLE, "service_unavailable", 503 },
		{ ANX_ERR_NOMEM, "server_error", 500 },
		{ (enum anx_err)999, "server_error", 500 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_string_equal(anx_err_code(cases[i].err), cases[i].code);
		assert_int_equal(anx_err_status(cases[i].err), cases[i].status);
		assert_non_null(anx_err_message(cases[i].err));
	}
}

static void
test_log_line_shape(void **state)
{
	char line[2048];

	(void)state;
	anx_log_init("test", ANX_LOG_DEBUG, 2);
	anx_log_set_request_id("req-12345678");
	anx_log_format_for_test(line, sizeof(line), ANX_LOG_INFO, "http_request",
		LF_STR("path", "/api/health"), LF_INT("status", 200), LF_BOOL("ok", 1),
		LF_STR("quote", "a\"b\n"), ANX_LF_END);
	assert_non_null(strstr(line, "\"level\":\"info\""));
	assert_non_null(strstr(line, "\"request_id\":\"req-12345678\""));
	assert_non_null(strstr(line, "\"event\":\"http_request\""));
	assert_non_null(strstr(line, "\"status\":200"));
	assert_non_null(strstr(line, "\"ok\":true"));
	assert_non_null(strstr(line, "\"quote\":\"a\\\"b\\n\""));
	assert_int_equal(line[strlen(line) - 1], '\n');
	anx_log_set_request_id(NULL);
}

static void
test_log_redacts_secrets(void **state)
{
	static const struct {
		const char *key, *value, *must_not_contain;
	} cases[] = {
		{ "password", "hunter2hunter2", "hunter2" },
		{ "new_password", "s3cr3t-value", "s3cr3t" },
		{ "Authorization", "Bearer abcdef", "abcdef" },
		{ "cookie", "anx_session=xyz", "xyz" },
		{ "otp_code", "123456", "123456" },
		{ "webhook_secret", "whsec_AAAA", "AAAA" },
		{ "detail", "key anx_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789 used", "AbCdEfGhIjKl" },
		{ "detail", "signed with whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "MfKQ9r8G" },
		{ "detail", "sent Bearer eyJhbGciOi.tok to x", "eyJhbGciOi" },
		{ "url", "postgresql://anx:pa55word@host/db", "pa55word" },
		{ "smtp_url", "smtp://u:p@h:25", "u:p" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char line[2048];

		anx_log_format_for_test(line, sizeof(line), ANX_LOG_INFO, "e",
			LF_STR(cases[i].key, cases[i].value), ANX_LF_END);
		if (strstr(line, cases[i].must_not_contain) != NULL)
			fail_msg("case %zu leaked: %s", i, line);
		assert_non_null(strstr(line, "[redacted]"));
	}
	assert_true(anx_log_key_is_secret("APPROVAL_OTP_SECRET"));
	assert_false(anx_log_key_is_secret("path"));
	assert_false(anx_log_key_is_secret("status"));
}

struct fake_env {
	const char *pairs[32];
};

static const char *
fake_get(const char *name, void *ctx)
{
	struct fake_env *e = ctx;

	for (size_t i = 0; e->pairs[i]; i += 2)
		if (strcmp(e->pairs[i], name) == 0)
			return e->pairs[i + 1];
	return NULL;
}

#define STRONG "q3J8x9Lm2Pz7Rt5Vw1Yb4Nc6Hd0Fg8Ks2"

static void
test_config_production_checks(void **state)
{
	static const struct {
		const char *env[24];
		const char *err_names; /* NULL = ok */
	} cases[] = {
		{ { "APP_ENV", "production", "APP_URL", "https://gate.example.com", "DATABASE_URL",
			  "postgresql:///x", "SMTP_URL", "smtp://h:587", "MAIL_FROM", "a@b.c",
			  "APPROVAL_OTP_SECRET", STRONG, "CRON_SECRET", STRONG, NULL },
			NULL },
		{ { "APP_ENV", "production", "APP_URL", "https://gate.example.com", "DATABASE_URL",
			  "postgresql:///x", "SMTP_URL", "smtp://h:587", "MAIL_FROM", "a@b.c",
			  "CRON_SECRET", STRONG, NULL },
			"APPROVAL_OTP_SECRET" },
		{ { "APP_ENV", "production", "APP_URL", "https://gate.example.com", "DATABASE_URL",
			  "postgresql:///x", "SMTP_URL", "smtp://h:587", "MAIL_FROM", "a@b.c",
			  "APPROVAL_OTP_SECRET", "short", "CRON_SECRET", STRONG, NULL },
			"APPROVAL_OTP_SECRET" },
		{ { "APP_ENV", "production", "APP_URL", "https://gate.example.com", "DATABASE_URL",
			  "postgresql:///x", "SMTP_URL", "smtp://h:587", "MAIL_FROM", "a@b.c",
			  "APPROVAL_OTP_SECRET", STRONG, "CRON_SECRET",
			  "changeme-changeme-changeme-changeme", NULL },
			"CRON_SECRET" },
		{ { "APP_ENV", "production", "APP_URL", "http://gate.example.com", "DATABASE_URL",
			  "postgresql:///x", NULL },
			"APP_URL" },
		{ { "APP_ENV", "production", "APP_URL", "https://gate.example.com", NULL },
			"DATABASE_URL" },
		{ { "APP_ENV", "production", "APP_URL", "https://g.example.com", "DATABASE_URL",
			  "x", NULL },
			"SMTP_URL" },
		{ { "APP_ENV", "staging", NULL }, "APP_ENV" },
		{ { "DATABASE_URL", "postgresql:///x", "WEBHOOK_URL_POLICY", "loose", NULL },
			"WEBHOOK_URL_POLICY" },
		{ { "DATABASE_URL", "postgresql:///x", "RATE_LIMIT_PER_API_KEY_PER_MINUTE", "10x",
			  NULL },
			"RATE_LIMIT_PER_API_KEY_PER_MINUTE" },
		{ { "DATABASE_URL", "postgresql:///x", NULL }, NULL },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct fake_env env;
		struct anx_config c;
		char err[256] = "";
		int rc;

		memset(&env, 0, sizeof(env));
		memcpy(env.pairs, cases[i].env, sizeof(cases[i].env));
		rc = anx_config_load_from(&c, fake_get, &env, err, sizeof(err));
		if (cases[i].err_names == NULL) {
			if (rc != 0)
				fail_msg("case %zu: unexpected error %s", i, err);
		} else {
			assert_int_equal(rc, -1);
			if (strstr(err, cases[i].err_names) == NULL)
				fail_msg("case %zu: error \"%s\" does not name %s", i, err,
					cases[i].err_names);
			assert_null(strchr(err, '\n'));
		}
	}
}

static void
test_config_defaults(void **state)
{
	struct fake_env env = { { "DATABASE_URL", "postgresql:///x", NULL } };
	struct anx_config c;
	char err[256];

	(void)state;
	assert_int_equal(anx_config_load_from(&c, fake_get, &env, err, sizeof(err)), 0);
	assert_false(c.production);
	assert_false(c.webhook_strict);
	assert_int_equal(c.rate_limit_per_key, 600);
	assert_true(c.otp_secret_generated);
	assert_int_equal(strlen(c.otp_secret), 64);
	env.pairs[2] = "APP_ENV";
	env.pairs[3] = "production";
	env.pairs[4] = "WEBHOOK_URL_POLICY";
	env.pairs[5] = "permissive";
	/* production with an explicit permissive policy still needs secrets */
	assert_int_equal(anx_config_load_from(&c, fake_get, &env, err, sizeof(err)), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_buf_basics),
		cmocka_unit_test(test_buf_limit_is_sticky),
		cmocka_unit_test(test_buf_escapes),
		cmocka_unit_test(test_arena),
		cmocka_unit_test(test_err_table),
		cmocka_unit_test(test_log_line_shape),
		cmocka_unit_test(test_log_redacts_secrets),
		cmocka_unit_test(test_config_production_checks),
		cmocka_unit_test(test_config_defaults),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
