/*
 * test_account.c - table-driven tests of the pure parts of the dashboard's
 * accounts: the password policy and the common-password list, email
 * normalisation, secret token shapes, Set-Cookie building, CSRF tokens
 * and their constant-time comparison, the role permission table,
 * approval-role lists and name validators (core/account.c, session.c,
 * csrf.c, workspace.c), and the web layer's redirect, origin and error
 * helpers (fcgi/web.c).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "account.h"
#include "arena.h"
#include "csrf.h"
#include "password.h"
#include "session.h"
#include "web.h"
#include "workspace.h"

#define LIST ANX_SOURCE_DIR "/data/common-passwords.txt"

static int
load_list(void **state)
{
	(void)state;
	return anx_common_passwords_load(LIST) > 0 ? 0 : -1;
}

static int
free_list(void **state)
{
	(void)state;
	anx_common_passwords_free();
	return 0;
}

/* ---- password policy ---------------------------------------------------- */

static const struct {
	const char *pw, *email, *name;
	enum anx_pw_problem want;
} policy_cases[] = {
	/* accepted */
	{ "violet tractor sings at dawn", NULL, NULL, ANX_PW_OK },
	{ "correct-staple-9-moose", "ada@example.test", "Ada", ANX_PW_OK },
	{ "mydogsname-1990-xyz", NULL, NULL, ANX_PW_OK },
	{ "Grüße aus Köln!", NULL, NULL, ANX_PW_OK }, /* 15 code points */
	{ "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e\xe3\x81\xae\xe3\x83\x91\xe3\x82\xb9\xe3\x83\xaf\xe3"
	  "\x83\xbc\xe3\x83\x89\xe3\x81\xa7\xe3\x81\x99",
		NULL, NULL, ANX_PW_OK },
	{ "zq8#Lm2!vR0p", NULL, NULL, ANX_PW_OK },
	/* length, in code points */
	{ "", NULL, NULL, ANX_PW_SHORT },
	{ "abc", NULL, NULL, ANX_PW_SHORT },
	{ "nine char", NULL, NULL, ANX_PW_SHORT },
	{ "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9", NULL, NULL,
		ANX_PW_SHORT }, /* 9 × é, 18 bytes */
	/* control characters, invalid UTF-8 */
	{ "tab\there-is-long", NULL, NULL, ANX_PW_CONTROL },
	{ "newline\nand-long", NULL, NULL, ANX_PW_CONTROL },
	{ "bad\xff utf8 long pw", NULL, NULL, ANX_PW_CONTROL },
	/* repeated */
	{ "aaaaaaaaaaaa", NULL, NULL, ANX_PW_REPEATED },
	{ "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9", NULL,
		NULL, ANX_PW_REPEATED },
	/* common, and trivial variations of common ones */
	{ "1234567890", NULL, NULL, ANX_PW_COMMON },
	{ "qwertyuiop", NULL, NULL, ANX_PW_COMMON },
	{ "QwertyUIOP", NULL, NULL, ANX_PW_COMMON },
	{ "password123", NULL, NULL, ANX_PW_COMMON },
	{ "Password2024!", NULL, NULL, ANX_PW_COMMON },
	{ "P@ssw0rd!2025", NULL, NULL, ANX_PW_COMMON },
	{ "!!Summer2024!!", NULL, NULL, ANX_PW_COMMON },
	{ "iloveyou123456", NULL, NULL, ANX_PW_COMMON },
	{ "1qaz2wsx3edc", NULL, NULL, ANX_PW_COMMON },
	{ "Michael1985!", NULL, NULL, ANX_PW_COMMON },
	{ "d4rkn3ss2020", NULL, NULL, ANX_PW_COMMON },
	{ "correcthorsebatterystaple", NULL, NULL, ANX_PW_COMMON },
	/* personal */
	{ "ada.lovelace@example.test", "Ada.Lovelace@example.test", NULL, ANX_PW_PERSONAL },
	{ "ada.lovelace", "ada.lovelace@example.test", NULL, ANX_PW_PERSONAL },
	{ "ada.lovelace1815", "ada.lovelace@example.test", NULL, ANX_PW_PERSONAL },
	{ "GraceHopper1906", "g@example.test", "Grace Hopper", ANX_PW_PERSONAL },
	{ "AgentNexus2025!", NULL, NULL, ANX_PW_PERSONAL },
};

static void
test_policy(void **state)
{
	char big[ANX_PASSWORD_MAX + 2];

	(void)state;
	for (size_t i = 0; i < sizeof(policy_cases) / sizeof(policy_cases[0]); i++) {
		enum anx_pw_problem got = anx_password_policy(
			policy_cases[i].pw, policy_cases[i].email, policy_cases[i].name);

		if (got != policy_cases[i].want)
			fail_msg("case %zu (%s): got %d, want %d", i, policy_cases[i].pw, got,
				policy_cases[i].want);
	}
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	big[0] = 'y';
	assert_int_equal(anx_password_policy(big, NULL, NULL), ANX_PW_LONG);
	big[ANX_PASSWORD_MAX] = '\0';
	assert_int_equal(anx_password_policy(big, NULL, NULL), ANX_PW_OK);
	assert_int_equal(anx_password_policy(NULL, NULL, NULL), ANX_PW_SHORT);
	for (int p = ANX_PW_SHORT; p <= ANX_PW_PERSONAL; p++)
		assert_true(strlen(anx_pw_problem_message((enum anx_pw_problem)p)) > 10);
	assert_string_equal(anx_pw_problem_message((enum anx_pw_problem)99), "");
}

static void
test_common_list(void **state)
{
	static const char *common[] = { "123456", "password", "qwerty", "iloveyou", "PASSWORD",
		"Dragon", "1q2w3e4r", "trustno1", "letmein", "monkey", "qwertyuiop", "1234567890" };
	static const char *uncommon[] = { "", "violet tractor sings", "zq8#Lm2!vR0p",
		"# common-passwords.txt - passwords attackers try first, one per line," };
	long n;

	(void)state;
	for (size_t i = 0; i < sizeof(common) / sizeof(common[0]); i++)
		if (!anx_password_is_common(common[i]))
			fail_msg("%s should be common", common[i]);
	for (size_t i = 0; i < sizeof(uncommon) / sizeof(uncommon[0]); i++)
		if (anx_password_is_common(uncommon[i]))
			fail_msg("%s should not be common", uncommon[i]);
	assert_false(anx_password_is_common(NULL));
	/* Reloading replaces the list; a missing file leaves it as it was. */
	assert_int_equal(anx_common_passwords_load("/nonexistent/list.txt"), -1);
	assert_true(anx_password_is_common("password"));
	n = anx_common_passwords_load(LIST);
	assert_true(n >= 9000);
}

/* A list written here: comments, blank lines, CRLF, duplicates, case. */
static void
test_common_list_parsing(void **state)
{
	char path[] = "/tmp/anx-common-XXXXXX";
	int fd = mkstemp(path);
	FILE *f;

	(void)state;
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	fputs("# a comment\n\nHunter2Hunter\r\nhunter2hunter\nzeta  \nalpha\nlast-no-newline", f);
	fclose(f);
	assert_int_equal(anx_common_passwords_load(path), 4);
	assert_true(anx_password_is_common("hunter2HUNTER"));
	assert_true(anx_password_is_common("zeta"));
	assert_true(anx_password_is_common("alpha"));
	assert_true(anx_password_is_common("last-no-newline"));
	assert_false(anx_password_is_common("# a comment"));
	assert_false(anx_password_is_common("password"));
	unlink(path);
	assert_true(anx_common_passwords_load(LIST) > 0);
}

/* ---- email -------------------------------------------------------------- */

static const struct {
	const char *in, *out; /* out NULL: invalid */
} email_cases[] = {
	{ "ada@example.test", "ada@example.test" },
	{ "  Ada.Lovelace@Example.TEST \t", "ada.lovelace@example.test" },
	{ "first+tag@sub.example.org", "first+tag@sub.example.org" },
	{ "", NULL },
	{ "no-at-sign", NULL },
	{ "two@@example.test", NULL },
	{ "a b@example.test", NULL },
	{ "<ada@example.test>", NULL },
	{ "ada@example.test\nBcc: x@y.z", NULL },
	{ "ada@", NULL },
	{ "@example.test", NULL },
};

static void
test_email(void **state)
{
	char out[ANX_EMAIL_MAX + 1], big[400];

	(void)state;
	for (size_t i = 0; i < sizeof(email_cases) / sizeof(email_cases[0]); i++) {
		int rc = anx_email_normalize(email_cases[i].in, out, sizeof(out));

		if (email_cases[i].out == NULL) {
			if (rc == 0)
				fail_msg("%s should be invalid", email_cases[i].in);
		} else {
			assert_int_equal(rc, 0);
			assert_string_equal(out, email_cases[i].out);
		}
	}
	memset(big, 'a', sizeof(big));
	memcpy(big + sizeof(big) - 14, "@example.test", 14);
	assert_int_equal(anx_email_normalize(big, out, sizeof(out)), -1);
	assert_int_equal(anx_email_normalize(NULL, out, sizeof(out)), -1);
}

/* ---- tokens, cookies, CSRF ---------------------------------------------- */

static void
test_tokens(void **state)
{
	static const char *bad[] = { "", "abc",
		"g000000000000000000000000000000000000000000000000000000000000000",
		"A000000000000000000000000000000000000000000000000000000000000000",
		"00000000000000000000000000000000000000000000000000000000000000000",
		"0000000000000000000000000000000000000000000000000000000000000 0" };
	char a[ANX_TOKEN_LEN + 1], b[ANX_TOKEN_LEN + 1], h[ANX_TOKEN_HASH_PARAM];

	(void)state;
	assert_int_equal(anx_token_new(a), 0);
	assert_int_equal(anx_token_new(b), 0);
	assert_int_equal(strlen(a), ANX_TOKEN_LEN);
	assert_true(anx_token_valid(a));
	assert_string_not_equal(a, b);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (anx_token_valid(bad[i]))
			fail_msg("token %zu should be invalid", i);
	assert_false(anx_token_valid(NULL));
	anx_token_hash_param("abc", h);
	/* SHA-256("abc") as a bytea literal */
	assert_string_equal(
		h, "\\xba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

static void
test_cookies(void **state)
{
	char out[256];

	(void)state;
	assert_int_equal(anx_cookie_build(out, sizeof(out), "anx_session", "abc", 604800, 0), 0);
	assert_string_equal(out, "anx_session=abc; Path=/; Max-Age=604800; HttpOnly; SameSite=Lax");
	assert_int_equal(anx_cookie_build(out, sizeof(out), "__Host-anx_session", "abc", 60, 1), 0);
	assert_string_equal(
		out, "__Host-anx_session=abc; Path=/; Max-Age=60; HttpOnly; SameSite=Lax; Secure");
	assert_int_equal(anx_cookie_build(out, sizeof(out), "anx_csrf", "x", -1, 0), 0);
	assert_string_equal(out, "anx_csrf=x; Path=/; HttpOnly; SameSite=Lax");
	assert_int_equal(anx_cookie_build(out, sizeof(out), "anx_session", "", 0, 1), 0);
	assert_string_equal(out, "anx_session=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax; Secure");
	/* unsafe names and values never make a header */
	assert_int_equal(anx_cookie_build(out, sizeof(out), "a b", "x", 1, 0), -1);
	assert_int_equal(anx_cookie_build(out, sizeof(out), "a=b", "x", 1, 0), -1);
	assert_int_equal(anx_cookie_build(out, sizeof(out), "", "x", 1, 0), -1);
	assert_int_equal(anx_cookie_build(out, sizeof(out), "a", "x;Domain=evil", 1, 0), -1);
	assert_int_equal(anx_cookie_build(out, sizeof(out), "a", "x\r\nSet-Cookie: y=1", 1, 0), -1);
	assert_int_equal(anx_cookie_build(out, sizeof(out), "a", "\"q\"", 1, 0), -1);
	assert_int_equal(anx_cookie_build(out, sizeof(out), NULL, "x", 1, 0), -1);
	assert_int_equal(anx_cookie_build(out, 20, "anx_session", "abc", 604800, 0), -1);
	/* names per environment */
	assert_string_equal(anx_session_cookie_name(0), "anx_session");
	assert_string_equal(anx_session_cookie_name(1), "__Host-anx_session");
	assert_string_equal(anx_presession_cookie_name(1), "__Host-anx_csrf");
}

static void
test_csrf(void **state)
{
	char t1[ANX_CSRF_LEN + 1], t2[ANX_CSRF_LEN + 1], t3[ANX_CSRF_LEN + 1],
		bad[ANX_CSRF_LEN + 1];

	(void)state;
	assert_int_equal(anx_csrf_token("secret-one", t1), 0);
	assert_int_equal(anx_csrf_token("secret-one", t2), 0);
	assert_int_equal(anx_csrf_token("secret-two", t3), 0);
	assert_int_equal(strlen(t1), ANX_CSRF_LEN);
	assert_string_equal(t1, t2);
	assert_string_not_equal(t1, t3);
	assert_true(anx_csrf_check("secret-one", t1));
	assert_false(anx_csrf_check("secret-two", t1));
	assert_false(anx_csrf_check("", t1));
	assert_false(anx_csrf_check(NULL, t1));
	assert_int_equal(anx_csrf_token("", bad), -1);
	assert_string_equal(bad, "");
	/* comparison: equal length only, every byte counts */
	assert_true(anx_csrf_equal(t1, t2));
	memcpy(bad, t1, sizeof(bad));
	bad[ANX_CSRF_LEN - 1] = bad[ANX_CSRF_LEN - 1] == '0' ? '1' : '0';
	assert_false(anx_csrf_equal(t1, bad));
	bad[ANX_CSRF_LEN - 1] = '\0';
	assert_false(anx_csrf_equal(t1, bad));
	assert_false(anx_csrf_equal(t1, ""));
	assert_false(anx_csrf_equal(t1, NULL));
	assert_false(anx_csrf_equal(NULL, t1));
	{
		char longer[ANX_CSRF_LEN + 2];

		memcpy(longer, t1, ANX_CSRF_LEN);
		longer[ANX_CSRF_LEN] = '0';
		longer[ANX_CSRF_LEN + 1] = '\0';
		assert_false(anx_csrf_equal(t1, longer));
	}
}

/* ---- roles and validators ----------------------------------------------- */

static void
test_permissions(void **state)
{
	/* want[action][role]: viewer, admin, owner */
	static const int want[ANX_WS__ACTIONS][3] = {
		{ 1, 1, 1 }, /* view */
		{ 0, 1, 1 }, /* admin */
		{ 0, 1, 1 }, /* rename */
		{ 0, 0, 1 }, /* archive */
		{ 0, 0, 1 }, /* restore */
		{ 0, 0, 1 }, /* delete */
		{ 0, 1, 1 }, /* members */
		{ 0, 0, 1 }, /* owners */
		{ 0, 1, 1 }, /* keys */
		{ 1, 1, 1 }, /* decide */
	};
	static const int archived_ok[ANX_WS__ACTIONS] = { 1, 0, 0, 0, 1, 1, 0, 0, 0, 0 };
	enum anx_role r;

	(void)state;
	for (int a = 0; a < ANX_WS__ACTIONS; a++) {
		for (int role = 0; role < 3; role++)
			if (anx_ws_can((enum anx_role)role, (enum anx_ws_action)a) != want[a][role])
				fail_msg("action %d role %d", a, role);
		assert_int_equal(anx_ws_allowed_archived((enum anx_ws_action)a), archived_ok[a]);
	}
	assert_false(anx_ws_can(ANX_ROLE_OWNER, ANX_WS__ACTIONS));
	assert_false(anx_ws_can((enum anx_role)7, ANX_WS_VIEW));
	assert_false(anx_ws_allowed_archived(ANX_WS__ACTIONS));
	assert_int_equal(anx_role_parse("owner", &r), 0);
	assert_int_equal(r, ANX_ROLE_OWNER);
	assert_int_equal(anx_role_parse("viewer", &r), 0);
	assert_int_equal(r, ANX_ROLE_VIEWER);
	assert_int_equal(anx_role_parse("Owner", &r), -1);
	assert_int_equal(anx_role_parse("", &r), -1);
	assert_int_equal(anx_role_parse(NULL, &r), -1);
	assert_string_equal(anx_role_name(ANX_ROLE_ADMIN), "admin");
	assert_string_equal(anx_role_name((enum anx_role)9), "viewer");
}

static const struct {
	const char *in, *out; /* out NULL: invalid */
} roles_cases[] = {
	{ "", "{}" },
	{ NULL, "{}" },
	{ " , ,", "{}" },
	{ "manager", "{\"manager\"}" },
	{ "manager, finance", "{\"finance\",\"manager\"}" },
	{ "finance,manager,finance", "{\"finance\",\"manager\"}" },
	{ "  ops.on-call_2 ,NULL", "{\"NULL\",\"ops.on-call_2\"}" },
	{ "a b", NULL },
	{ "man\"ager", NULL },
	{ "{x}", NULL },
	{ "caf\xc3\xa9", NULL },
	{ "a,b,c,d,e,f,g,h,i,j,k,l,m,n,o,p,q,r,s,t",
		"{\"a\",\"b\",\"c\",\"d\",\"e\",\"f\",\"g\",\"h\",\"i\",\"j\",\"k\",\"l\",\"m\","
		"\"n\",\"o\",\"p\",\"q\",\"r\",\"s\",\"t\"}" },
	{ "a,b,c,d,e,f,g,h,i,j,k,l,m,n,o,p,q,r,s,t,u", NULL },
	{ "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
		"{\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"}" },
	{ "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", NULL },
};

static void
test_approval_roles(void **state)
{
	char out[ANX_APPROVAL_ROLES_PG];
	const char *why;

	(void)state;
	for (size_t i = 0; i < sizeof(roles_cases) / sizeof(roles_cases[0]); i++) {
		int rc = anx_approval_roles_parse(roles_cases[i].in, out, sizeof(out), &why);

		if (roles_cases[i].out == NULL) {
			if (rc == 0 || why == NULL)
				fail_msg("case %zu should be invalid", i);
		} else {
			if (rc != 0)
				fail_msg("case %zu: %s", i, why);
			assert_string_equal(out, roles_cases[i].out);
		}
	}
	assert_int_equal(anx_approval_roles_parse("manager", out, 5, &why), -1);
}

static void
test_names(void **state)
{
	char hundred[101], over[102], emoji[401];

	(void)state;
	memset(hundred, 'n', 100);
	hundred[100] = '\0';
	memset(over, 'n', 101);
	over[101] = '\0';
	for (int i = 0; i < 100; i++)
		memcpy(emoji + 4 * i, "\xf0\x9f\x9a\x80", 4); /* 100 × U+1F680 */
	emoji[400] = '\0';
	assert_null(anx_ws_name_problem("Acme payments"));
	assert_null(anx_ws_name_problem(hundred));
	assert_null(anx_ws_name_problem(emoji));
	assert_non_null(anx_ws_name_problem(over));
	assert_non_null(anx_ws_name_problem(""));
	assert_non_null(anx_ws_name_problem(NULL));
	assert_non_null(anx_ws_name_problem(" padded"));
	assert_non_null(anx_ws_name_problem("tab\there"));
	assert_non_null(anx_ws_name_problem("c1\xc2\x85"
					    "control"));
	assert_non_null(anx_ws_name_problem("bad\xff"));
	assert_null(anx_display_name_problem(""));
	assert_null(anx_display_name_problem(NULL));
	assert_null(anx_display_name_problem("Ada Lovelace"));
	assert_non_null(anx_display_name_problem(over));
	assert_non_null(anx_display_name_problem("a\nb"));
	assert_null(anx_key_label_problem("Billing agent (prod)"));
	assert_non_null(anx_key_label_problem(""));
	assert_non_null(anx_key_label_problem(over));
}

/* ---- web helpers -------------------------------------------------------- */

static void
test_local_path(void **state)
{
	static const char *ok[] = { "/", "/dashboard", "/dashboard/keys?ws=1&x=%2F",
		"/invite/abc" };
	static const char *bad[] = { "", "dashboard", "//evil.example", "/\\evil.example",
		"https://evil.example/", "/a b", "/a\tb", "/a\r\nLocation: x", "/a\\b", NULL };
	char big[1100];

	(void)state;
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		assert_true(anx_web_local_path(ok[i]));
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (anx_web_local_path(bad[i]))
			fail_msg("%s should not be a local path", bad[i] ? bad[i] : "NULL");
	memset(big, 'a', sizeof(big));
	big[0] = '/';
	big[sizeof(big) - 1] = '\0';
	assert_false(anx_web_local_path(big));
}

static const struct {
	const char *origin, *host, *port, *app_url;
	int want;
} origin_cases[] = {
	{ NULL, "example.test", "443", NULL, 1 }, /* no Origin sent */
	{ "https://app.example.test", NULL, NULL, "https://app.example.test", 1 },
	{ "https://app.example.test", NULL, NULL, "https://app.example.test/", 1 },
	{ "http://127.0.0.1:18080", "127.0.0.1", "18080", NULL, 1 },    /* Debian: $host */
	{ "http://127.0.0.1:18080", "127.0.0.1:18080", "80", NULL, 1 }, /* $http_host */
	{ "https://App.Example.test", "app.example.test", "443", NULL, 1 },
	{ "http://localhost", "localhost", "80", NULL, 1 },
	{ "http://[::1]:8080", "[::1]", "8080", NULL, 1 },
	{ "http://127.0.0.1:18081", "127.0.0.1", "18080", NULL, 0 },
	{ "http://127.0.0.1:18080", "127.0.0.1:18081", "18080", NULL, 0 },
	{ "https://evil.example", "app.example.test", "443", "https://app.example.test", 0 },
	{ "https://app.example.test.evil.example", "app.example.test", "443", NULL, 0 },
	{ "null", "app.example.test", "443", NULL, 0 },
	{ "ftp://app.example.test", "app.example.test", "443", NULL, 0 },
	{ "https://app.example.test/path", "app.example.test", "443", NULL, 0 },
	{ "https://", "app.example.test", "443", NULL, 0 },
	{ "https://app.example.test", NULL, "443", NULL, 0 },
	{ "https://app.example.test:x", "app.example.test", "443", NULL, 0 },
};

static void
test_origin(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(origin_cases) / sizeof(origin_cases[0]); i++)
		if (anx_web_origin_ok(origin_cases[i].origin, origin_cases[i].host,
			    origin_cases[i].port, origin_cases[i].app_url) != origin_cases[i].want)
			fail_msg("origin case %zu", i);
}

static void
test_urlencode_and_errors(void **state)
{
	struct anx_arena a;
	struct anx_verrs e;
	json_object *o, *v;

	(void)state;
	anx_arena_init(&a);
	assert_string_equal(anx_web_urlencode(&a, "/dashboard/keys?ws=a b&x=é"),
		"/dashboard/keys%3Fws%3Da%20b%26x%3D%C3%A9");
	assert_string_equal(anx_web_urlencode(&a, ""), "");
	anx_arena_free(&a);

	anx_verrs_init(&e);
	assert_null(anx_web_errors(&e));
	assert_null(anx_web_errors(NULL));
	anx_verrs_add(&e, "email", "first");
	anx_verrs_add(&e, "email", "second");
	anx_verrs_add(&e, "password", "too short");
	o = anx_web_errors(&e);
	assert_non_null(o);
	assert_true(json_object_object_get_ex(o, "list", &v));
	assert_int_equal(json_object_array_length(v), 3);
	assert_true(json_object_object_get_ex(o, "fields", &v));
	assert_string_equal(anx_json_get_str(v, "email"), "first");
	assert_string_equal(anx_json_get_str(v, "password"), "too short");
	json_object_put(o);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_policy),
		cmocka_unit_test(test_common_list),
		cmocka_unit_test(test_common_list_parsing),
		cmocka_unit_test(test_email),
		cmocka_unit_test(test_tokens),
		cmocka_unit_test(test_cookies),
		cmocka_unit_test(test_csrf),
		cmocka_unit_test(test_permissions),
		cmocka_unit_test(test_approval_roles),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_local_path),
		cmocka_unit_test(test_origin),
		cmocka_unit_test(test_urlencode_and_errors),
	};

	return cmocka_run_group_tests(tests, load_list, free_list);
}
