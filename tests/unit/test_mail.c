/*
 * test_mail.c - mail.c and the email templates: every kind renders from
 * templates/email with its subject line, link and values; hostile values
 * are escaped in HTML and kept on one line in the subject; the templates
 * follow the conventions (a subject template per kind, raw interpolation
 * in subject and text, no scripts or external assets in HTML); the rendered mail builds into
 * a valid wire message; enqueue validation; kind names; and the outbox
 * backoff bounds.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <dirent.h>

#include <cmocka.h>

#include "buf.h"
#include "config.h"
#include "json.h"
#include "mail.h"
#include "outbox_email.h"
#include "smtp.h"
#include "template.h"
#include "timeutil.h"

#define NELEM(a)     (sizeof(a) / sizeof((a)[0]))
#define TEMPLATE_DIR ANX_SOURCE_DIR "/templates"
#define HOSTILE      "<script>alert(\"x\")</script> & 'q'"

static struct anx_tmpl_set *set;

static int
setup(void **state)
{
	char err[256];

	(void)state;
	anx_cfg.app_url = "https://anx.example.com";
	if (anx_tmpl_load_dir(&set, TEMPLATE_DIR, err, sizeof(err)) != 0) {
		fprintf(stderr, "templates: %s\n", err);
		return -1;
	}
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	anx_tmpl_set_free(set);
	anx_mail_templates_free();
	return 0;
}

/* The evaluation context the approval code builds (approval_view.c). */
static json_object *
eval_ctx(const char *summary)
{
	json_object *c = json_object_new_object();
	char exp[ANX_TS_LEN + 1];

	anx_ts_now(exp, 3600);
	json_object_object_add(
		c, "evaluation_id", json_object_new_string("7d0c3a52-5b1e-4f9a-9c1e-2b8f1e6a9d10"));
	json_object_object_add(c, "summary", json_object_new_string(summary));
	json_object_object_add(c, "action", json_object_new_string("payments.send"));
	json_object_object_add(c, "resource", json_object_new_string("vendor/acme"));
	json_object_object_add(c, "amount", json_object_new_string("1250.00"));
	json_object_object_add(c, "currency", json_object_new_string("USD"));
	json_object_object_add(c, "agent_id", json_object_new_string("billing-bot"));
	json_object_object_add(c, "matched_rule", json_object_new_string("large-payments"));
	json_object_object_add(c, "reason",
		json_object_new_string("Payments over 1000 need manager and finance sign-off"));
	json_object_object_add(c, "action_hash", json_object_new_string("sha256:abc123"));
	json_object_object_add(c, "expires_at", json_object_new_string(exp));
	json_object_object_add(c, "status", json_object_new_string("pending"));
	json_object_object_add(c, "workspace_name", json_object_new_string("Demo"));
	json_object_object_add(c, "stage_number", json_object_new_int(2));
	json_object_object_add(c, "stage_count", json_object_new_int(2));
	json_object_object_add(c, "stage_role", json_object_new_string("finance"));
	return c;
}

static void
add(json_object *c, const char *k, const char *v)
{
	json_object_object_add(c, k, json_object_new_string(v));
}

struct rendered {
	char *subject, *text, *html;
};

static void
render_ok(const char *name, json_object *ctx, struct rendered *r)
{
	enum anx_err err = anx_mail_render(set, name, ctx, &r->subject, &r->text, &r->html);

	if (err != ANX_OK)
		fail_msg("%s: %s", name, anx_err_code(err));
	assert_non_null(r->subject);
	assert_non_null(r->text);
	assert_non_null(r->html);
	/* Nothing left unrendered; the HTML is a whole document with no
	 * scripts and nothing fetched from elsewhere. */
	assert_null(strstr(r->text, "{{"));
	assert_null(strstr(r->html, "{{"));
	assert_non_null(strstr(r->html, "<!DOCTYPE html>"));
	assert_non_null(strstr(r->html, "</html>"));
	assert_null(strstr(r->html, "<script"));
	assert_null(strstr(r->html, "<img"));
	assert_null(strstr(r->html, "<link"));
	assert_null(strstr(r->html, "src="));
	assert_null(strstr(r->html, "url("));
	assert_null(strchr(r->subject, '\n'));
	assert_true(strlen(r->subject) > 0 && strlen(r->subject) <= ANX_MAIL_SUBJECT_MAX);
	assert_true(anx_utf8_valid(r->subject, strlen(r->subject)));
	/* The text ends with the layout's footer. */
	assert_non_null(strstr(r->text, "\n-- \nAgentNexus"));
	json_object_put(ctx);
}

static void
free_rendered(struct rendered *r)
{
	free(r->subject);
	free(r->text);
	free(r->html);
}

/* Every rendered kind must also build into a valid wire message. */
static void
assert_builds(const struct rendered *r)
{
	struct anx_smtp_envelope e = { .from = "AgentNexus <noreply@agentnexus.test>",
		.to = "finance1@example.test",
		.subject = r->subject,
		.text = r->text,
		.html = r->html,
		.message_id = "x@anx.example.com",
		.date = 0 };
	struct anx_buf b;

	anx_buf_init(&b, 0);
	assert_int_equal(anx_smtp_build_message(&e, &b), 0);
	for (size_t i = 0, col = 0; i < b.len; i++) {
		assert_true((unsigned char)b.data[i] < 0x80);
		if (b.data[i] == '\n') {
			assert_true(i > 0 && b.data[i - 1] == '\r');
			col = 0;
		} else if (++col > 79) {
			fail_msg("line too long at byte %zu", i);
		}
	}
	anx_buf_free(&b);
}

/* ------------------------------------------------------------- kinds */

static void
test_approval_request(void **state)
{
	struct rendered r;
	json_object *c = eval_ctx("Pay invoice 42 " HOSTILE);

	(void)state;
	add(c, "token", "0123456789abcdef0123456789abcdef");
	json_object_object_add(c, "otp", json_object_new_boolean(1));
	render_ok("approval_request", c, &r);
	assert_string_equal(r.subject, "Approval needed: Pay invoice 42 " HOSTILE);
	/* Text: raw values, the link, the stage, the details. */
	assert_non_null(
		strstr(r.text, "https://anx.example.com/approve/0123456789abcdef0123456789abcdef"));
	assert_non_null(strstr(r.text, "Summary:      Pay invoice 42 " HOSTILE "\n"));
	assert_non_null(strstr(r.text, "Amount:       1250.00 USD\n"));
	assert_non_null(strstr(r.text, "Agent:        billing-bot\n"));
	assert_non_null(strstr(r.text, "Rule:         large-payments\n"));
	assert_non_null(strstr(r.text, "Reason:       Payments over 1000"));
	assert_non_null(strstr(r.text, "Stage:        2 of 2: finance\n"));
	assert_non_null(strstr(r.text, "Action hash:  sha256:abc123\n"));
	assert_non_null(strstr(r.text, "Expires:      "));
	assert_non_null(strstr(r.text, " UTC (in 60 minutes)\n"));
	assert_non_null(strstr(r.text, "one-time code"));
	assert_true(strncmp(r.text, "An AI agent in Demo", 19) == 0);
	/* HTML: every value escaped. */
	assert_null(strstr(r.html, "<script>alert"));
	assert_non_null(
		strstr(r.html, "Pay invoice 42 &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; "
			       "&amp; &#39;q&#39;"));
	assert_non_null(strstr(r.html, "href=\"https://anx.example.com/approve/"
				       "0123456789abcdef0123456789abcdef\""));
	assert_non_null(strstr(r.html, "2 of 2: <strong>finance</strong>"));
	assert_non_null(strstr(r.html, "stage 2 of 2"));
	assert_non_null(strstr(r.html, "<title>Approval needed: Pay invoice 42 &lt;script&gt;"));
	assert_non_null(strstr(r.html, "for the workspace Demo"));
	assert_builds(&r);
	free_rendered(&r);
}

static void
test_reminder(void **state)
{
	struct rendered r;
	json_object *c = eval_ctx("Pay invoice 42");

	(void)state;
	add(c, "token", "ffffffffffffffffffffffffffffffff");
	add(c, "expires_in", "59 minutes"); /* the caller's wording wins */
	render_ok("reminder", c, &r);
	assert_string_equal(
		r.subject, "Reminder: approval needed within 59 minutes: Pay invoice 42");
	assert_non_null(strstr(r.text, "expires in 59 minutes"));
	assert_non_null(
		strstr(r.text, "https://anx.example.com/approve/ffffffffffffffffffffffffffffffff"));
	assert_non_null(strstr(r.html, "expires in 59 minutes"));
	assert_non_null(strstr(r.html, "/approve/ffffffffffffffffffffffffffffffff\""));
	assert_builds(&r);
	free_rendered(&r);
}

static void
test_otp(void **state)
{
	struct rendered r;
	json_object *c = eval_ctx("Pay invoice 42");

	(void)state;
	add(c, "code", "042917");
	render_ok("otp", c, &r);
	assert_string_equal(r.subject, "Your AgentNexus approval code");
	assert_null(strstr(r.subject, "042917")); /* the subject is never scrubbed */
	assert_non_null(strstr(r.text, "    042917\n"));
	assert_non_null(strstr(r.text, "valid for 10 minutes"));
	assert_non_null(strstr(r.html, ">042917</span>"));
	assert_non_null(strstr(r.html, "valid for 10 minutes"));
	assert_builds(&r);
	free_rendered(&r);

	c = json_object_new_object();
	add(c, "code", "123456");
	json_object_object_add(c, "minutes", json_object_new_int(5));
	render_ok("otp", c, &r);
	assert_non_null(strstr(r.text, "valid for 5 minutes"));
	free_rendered(&r);
}

static void
test_outcome(void **state)
{
	static const struct {
		const char *outcome, *subject, *text;
	} t[] = {
		{ "approved", "Approved: " HOSTILE, "was approved" },
		{ "rejected", "Rejected: " HOSTILE, "was rejected" },
		{ "expired", "Expired: " HOSTILE, "expired and counts as rejected" },
	};
	struct rendered r;

	(void)state;
	for (size_t i = 0; i < NELEM(t); i++) {
		json_object *c = eval_ctx(HOSTILE);

		json_object_object_add(c, "status", json_object_new_string(t[i].outcome));
		add(c, "outcome", t[i].outcome);
		add(c, "comment", "ok by me <b>");
		render_ok("outcome", c, &r);
		assert_string_equal(r.subject, t[i].subject);
		assert_non_null(strstr(r.text, t[i].text));
		assert_non_null(strstr(r.text, "Comment: ok by me <b>"));
		assert_non_null(strstr(r.text, "Evaluation: 7d0c3a52-5b1e-4f9a-9c1e-2b8f1e6a9d10"));
		/* A finished request shows no expiry. */
		assert_null(strstr(r.text, "Expires:"));
		assert_null(strstr(r.html, ">Expires<"));
		assert_non_null(strstr(r.html, "ok by me &lt;b&gt;"));
		assert_null(strstr(r.html, "<script>"));
		assert_builds(&r);
		free_rendered(&r);
	}
}

static void
test_password_reset_and_invitation(void **state)
{
	struct rendered r;
	json_object *c = json_object_new_object();

	(void)state;
	add(c, "token", "abcd");
	add(c, "name", "Ada <Lovelace>");
	render_ok("password_reset", c, &r);
	assert_string_equal(r.subject, "Reset your AgentNexus password");
	assert_non_null(strstr(r.text, "Hi Ada <Lovelace>,"));
	assert_non_null(strstr(r.text, "https://anx.example.com/reset-password/abcd\n"));
	assert_non_null(strstr(r.html, "href=\"https://anx.example.com/reset-password/abcd\""));
	assert_non_null(strstr(r.html, "Hi Ada &lt;Lovelace&gt;,"));
	assert_null(strstr(r.html, "for the workspace")); /* account mail */
	assert_builds(&r);
	free_rendered(&r);

	c = json_object_new_object();
	add(c, "token", "inv1");
	add(c, "workspace_name", "Acme & Co");
	add(c, "inviter_name", "Owner");
	add(c, "role", "admin");
	render_ok("invitation", c, &r);
	assert_string_equal(r.subject, "Owner invited you to Acme & Co on AgentNexus");
	assert_non_null(strstr(r.text, "https://anx.example.com/invite/inv1\n"));
	assert_non_null(strstr(r.text, "the workspace Acme & Co on AgentNexus as admin."));
	assert_non_null(strstr(r.html, "Acme &amp; Co"));
	assert_builds(&r);
	free_rendered(&r);
}

static void
test_generic(void **state)
{
	struct rendered r;
	json_object *c = json_object_new_object();

	(void)state;
	add(c, "subject", "Hello\r\nBcc: evil@example.com");
	add(c, "heading", "Heads up");
	add(c, "body", "Line one\nLine <two>");
	add(c, "link", "javascript:alert(1)");
	render_ok("generic", c, &r);
	assert_string_equal(r.subject, "Hello Bcc: evil@example.com");
	assert_true(strncmp(r.text, "Heads up\n\nLine one\nLine <two>\n\n-- \n", 35) == 0);
	assert_null(strstr(r.html, "javascript:"));
	assert_null(strstr(r.text, "javascript:"));
	free_rendered(&r);

	c = json_object_new_object();
	add(c, "subject", "Report ready");
	add(c, "body", "Your export is ready.");
	add(c, "link", "https://anx.example.com/reports/1");
	render_ok("generic", c, &r);
	assert_non_null(strstr(r.html, "href=\"https://anx.example.com/reports/1\""));
	assert_non_null(strstr(r.html, ">Open</a>"));
	free_rendered(&r);
}

/* Subjects are cut at ANX_MAIL_SUBJECT_MAX bytes on a character boundary. */
static void
test_long_subject(void **state)
{
	char summary[1024];
	struct rendered r;
	size_t n = 0;

	(void)state;
	while (n + 3 < sizeof(summary) - 1) {
		memcpy(summary + n, "\xe2\x82\xac", 3); /* € */
		n += 3;
	}
	summary[n] = '\0';
	render_ok("approval_request", eval_ctx(summary), &r);
	assert_true(strlen(r.subject) <= ANX_MAIL_SUBJECT_MAX);
	assert_true(strlen(r.subject) > ANX_MAIL_SUBJECT_MAX - 6);
	assert_true(anx_utf8_valid(r.subject, strlen(r.subject)));
	assert_string_equal(r.subject + strlen(r.subject) - 3, "\xe2\x80\xa6");
	assert_builds(&r);
	free_rendered(&r);
}

/* --------------------------------------------------- conventions */

/* In every subject and text template under email/ (names ending in
 * .subject or .txt), values are interpolated raw ({{{x}}} or {{&x}}):
 * {{x}} would HTML-escape plain text. */
static void
test_text_templates_use_raw(void **state)
{
	const char *dirs[] = { TEMPLATE_DIR "/email", TEMPLATE_DIR "/email/partials" };
	int files = 0;

	(void)state;
	for (size_t d = 0; d < NELEM(dirs); d++) {
		DIR *dir = opendir(dirs[d]);
		struct dirent *e;

		assert_non_null(dir);
		while ((e = readdir(dir)) != NULL) {
			char path[512], src[16384];
			size_t n;
			FILE *f;

			if (strstr(e->d_name, ".txt.mustache") == NULL &&
				strstr(e->d_name, ".subject.mustache") == NULL)
				continue;
			snprintf(path, sizeof(path), "%s/%s", dirs[d], e->d_name);
			assert_non_null(f = fopen(path, "r"));
			n = fread(src, 1, sizeof(src) - 1, f);
			fclose(f);
			src[n] = '\0';
			files++;
			for (const char *p = src; (p = strstr(p, "{{")) != NULL; p += 2)
				if (strchr("{&#^/!>", p[2]) == NULL)
					fail_msg("%s: escaped tag %.20s", path, p);
			/* A subject is one line. */
			if (strstr(e->d_name, ".subject.") != NULL)
				assert_true(strchr(src, '\n') == NULL ||
					    strchr(src, '\n') == src + n - 1);
		}
		closedir(dir);
	}
	assert_true(files >= 16);
}

static void
test_every_kind_has_templates(void **state)
{
	char name[64];

	(void)state;
	for (int k = 0; k < ANX_MAIL__MAX; k++) {
		snprintf(name, sizeof(name), "email/%s.subject", anx_mail_kind_name(k));
		assert_true(anx_tmpl_has(set, name));
		snprintf(name, sizeof(name), "email/%s.txt", anx_mail_kind_name(k));
		assert_true(anx_tmpl_has(set, name));
		snprintf(name, sizeof(name), "email/%s.html", anx_mail_kind_name(k));
		assert_true(anx_tmpl_has(set, name));
	}
	assert_true(anx_tmpl_has(set, "email/layout.html"));
	assert_true(anx_tmpl_has(set, "email/layout.txt"));
}

/* A set without layouts, a kind without a subject template, a missing
 * kind, and a text-only kind. */
static void
test_render_errors(void **state)
{
	static const char subj[] = "Hi {{{who}}}\n";
	static const char body[] = "Body for {{{who}}}\n\n";
	struct anx_tmpl_set *s = anx_tmpl_set_new();
	char err[128], *subject = (char *)1, *text = (char *)1, *html = (char *)1;
	json_object *c = json_object_new_object();

	(void)state;
	add(c, "who", "<you>\r\nBcc: x@y.z");
	assert_int_equal(
		anx_tmpl_add(s, "email/ok.subject", subj, strlen(subj), err, sizeof(err)), 0);
	assert_int_equal(anx_tmpl_add(s, "email/ok.txt", body, strlen(body), err, sizeof(err)), 0);
	assert_int_equal(
		anx_tmpl_add(s, "email/nosubject.txt", body, strlen(body), err, sizeof(err)), 0);
	assert_int_equal(anx_mail_render(s, "ok", c, &subject, &text, &html), ANX_OK);
	assert_string_equal(subject, "Hi <you> Bcc: x@y.z");
	assert_string_equal(text, "Body for <you>\r\nBcc: x@y.z");
	assert_null(html);
	free(subject);
	free(text);
	assert_int_equal(
		anx_mail_render(s, "nosubject", c, &subject, &text, &html), ANX_ERR_NOT_FOUND);
	assert_null(subject);
	assert_null(text);
	assert_null(html);
	assert_int_equal(
		anx_mail_render(s, "missing", c, &subject, &text, &html), ANX_ERR_NOT_FOUND);
	assert_int_equal(anx_mail_render(NULL, "ok", c, &subject, &text, &html), ANX_ERR_INTERNAL);
	/* A NULL context renders as empty. */
	assert_int_equal(anx_mail_render(s, "ok", NULL, &subject, &text, &html), ANX_OK);
	assert_string_equal(subject, "Hi");
	assert_string_equal(text, "Body for ");
	free(subject);
	free(text);
	json_object_put(c);
	anx_tmpl_set_free(s);
}

/* The process-wide set loads lazily from anx_cfg.template_dir. */
static void
test_process_templates(void **state)
{
	char err[256];

	(void)state;
	anx_mail_templates_free();
	anx_cfg.template_dir = TEMPLATE_DIR;
	assert_non_null(anx_mail_templates());
	assert_true(anx_tmpl_has(anx_mail_templates(), "email/otp.txt"));
	anx_mail_templates_use(set);
	assert_ptr_equal(anx_mail_templates(), set);
	assert_int_equal(anx_mail_templates_load("/nonexistent/dir", err, sizeof(err)), -1);
	assert_ptr_equal(anx_mail_templates(), set); /* unchanged on failure */
	anx_mail_templates_free();
	anx_cfg.template_dir = NULL;
}

/* ------------------------------------------------- enqueue + kinds */

static void
test_enqueue_validation(void **state)
{
	static const char *const big_ok = "x";
	struct anx_mail good = {
		.kind = ANX_MAIL_GENERIC, .to = "a@b.co", .subject = "s", .text_body = big_ok
	};
	struct anx_mail m;
	char *big;

	(void)state;
	/* Each of these is refused before the database is touched (db is
	 * NULL here: reaching it would crash). */
	m = good;
	m.kind = ANX_MAIL__MAX;
	assert_int_equal(anx_mail_enqueue(NULL, &m), ANX_ERR_VALIDATION);
	m = good;
	m.to = "no-at-sign";
	assert_int_equal(anx_mail_enqueue(NULL, &m), ANX_ERR_VALIDATION);
	m = good;
	m.to = "@b.co";
	assert_int_equal(anx_mail_enqueue(NULL, &m), ANX_ERR_VALIDATION);
	m = good;
	m.to = NULL;
	assert_int_equal(anx_mail_enqueue(NULL, &m), ANX_ERR_VALIDATION);
	m = good;
	m.subject = "";
	assert_int_equal(anx_mail_enqueue(NULL, &m), ANX_ERR_VALIDATION);
	m = good;
	m.subject = "two\nlines";
	assert_int_equal(anx_mail_enqueue(NULL, &m), ANX_ERR_VALIDATION);
	m = good;
	m.text_body = NULL;
	assert_int_equal(anx_mail_enqueue(NULL, &m), ANX_ERR_VALIDATION);
	m = good;
	m.text_body = "bad \xff utf-8";
	assert_int_equal(anx_mail_enqueue(NULL, &m), ANX_ERR_VALIDATION);
	m = good;
	m.html_body = "bad \xc0\x80";
	assert_int_equal(anx_mail_enqueue(NULL, &m), ANX_ERR_VALIDATION);
	m = good;
	m.max_attempts = 101;
	assert_int_equal(anx_mail_enqueue(NULL, &m), ANX_ERR_VALIDATION);
	m = good;
	m.max_attempts = -1;
	assert_int_equal(anx_mail_enqueue(NULL, &m), ANX_ERR_VALIDATION);
	big = malloc(ANX_MAIL_BODY_MAX + 2);
	memset(big, 'a', ANX_MAIL_BODY_MAX + 1);
	big[ANX_MAIL_BODY_MAX + 1] = '\0';
	m = good;
	m.text_body = big;
	assert_int_equal(anx_mail_enqueue(NULL, &m), ANX_ERR_VALIDATION);
	free(big);
	assert_int_equal(anx_mail_enqueue(NULL, NULL), ANX_ERR_VALIDATION);
}

static void
test_kind_names(void **state)
{
	(void)state;
	for (int k = 0; k < ANX_MAIL__MAX; k++)
		assert_int_equal(anx_mail_kind_parse(anx_mail_kind_name(k)), k);
	assert_string_equal(anx_mail_kind_name(ANX_MAIL_APPROVAL_REQUEST), "approval_request");
	assert_string_equal(anx_mail_kind_name(ANX_MAIL_PASSWORD_RESET), "password_reset");
	assert_null(anx_mail_kind_name(ANX_MAIL__MAX));
	assert_null(anx_mail_kind_name((enum anx_mail_kind) - 1));
	assert_int_equal(anx_mail_kind_parse("Approval_request"), -1);
	assert_int_equal(anx_mail_kind_parse(""), -1);
	assert_int_equal(anx_mail_kind_parse(NULL), -1);
}

/* ------------------------------------------------------------ backoff */

static void
test_backoff_bounds(void **state)
{
	static const unsigned long rnds[] = { 0, 1, 9, 10, 12345, 0xfffffffful, ~0ul };
	long prev_cap = 0;

	(void)state;
	for (int a = 1; a <= 20; a++) {
		long cap = 10;

		for (int i = 1; i < a && cap < 3600; i++)
			cap *= 2;
		if (cap > 3600)
			cap = 3600;
		assert_true(cap >= prev_cap);
		prev_cap = cap;
		for (size_t i = 0; i < NELEM(rnds); i++) {
			long b = anx_email_backoff(a, rnds[i]);

			assert_true(b >= 1 && b <= cap);
		}
		/* Both ends are reachable: full jitter. */
		assert_int_equal(anx_email_backoff(a, 0), 1);
		assert_int_equal(anx_email_backoff(a, (unsigned long)cap - 1), cap);
	}
	assert_int_equal(anx_email_backoff(1, 9), 10);  /* base 10 s */
	assert_int_equal(anx_email_backoff(2, 19), 20); /* doubling */
	assert_int_equal(anx_email_backoff(9, 2559), 2560);
	assert_int_equal(anx_email_backoff(10, 3599), 3600); /* capped */
	assert_int_equal(anx_email_backoff(0, 5), 6);        /* treated as first */
	/* Uniform-ish: over many draws the mean of attempt 4 is near 40. */
	{
		unsigned long x = 88172645463325252ul;
		double sum = 0;

		for (int i = 0; i < 20000; i++) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			sum += (double)anx_email_backoff(4, x);
		}
		assert_true(sum / 20000 > 37 && sum / 20000 < 44);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_approval_request),
		cmocka_unit_test(test_reminder),
		cmocka_unit_test(test_otp),
		cmocka_unit_test(test_outcome),
		cmocka_unit_test(test_password_reset_and_invitation),
		cmocka_unit_test(test_generic),
		cmocka_unit_test(test_long_subject),
		cmocka_unit_test(test_text_templates_use_raw),
		cmocka_unit_test(test_every_kind_has_templates),
		cmocka_unit_test(test_render_errors),
		cmocka_unit_test(test_process_templates),
		cmocka_unit_test(test_enqueue_validation),
		cmocka_unit_test(test_kind_names),
		cmocka_unit_test(test_backoff_bounds),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
