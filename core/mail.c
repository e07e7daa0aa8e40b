/*
 * mail.c - rendering email from templates and queueing it in the outbox;
 * see mail.h.
 */
#include "mail.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "config.h"
#include "json.h"
#include "log.h"
#include "outbox_email.h"
#include "smtp.h"
#include "template.h"

static const char *const kinds[ANX_MAIL__MAX] = {
	"approval_request", /* ANX_MAIL_APPROVAL_REQUEST */
	"otp",              /* ANX_MAIL_OTP */
	"reminder",         /* ANX_MAIL_REMINDER */
	"outcome",          /* ANX_MAIL_OUTCOME */
	"password_reset",   /* ANX_MAIL_PASSWORD_RESET */
	"invitation",       /* ANX_MAIL_INVITATION */
	"generic",          /* ANX_MAIL_GENERIC */
};

/* An address we cannot send to is stored dead ($10, $11), so the dashboard
 * shows it and the event that caused it still commits. */
static const char SQL_INSERT[] =
	"INSERT INTO email_outbox (workspace_id, evaluation_id, kind, to_address, subject,"
	" text_body, html_body, scrub_after_send, max_attempts, status, last_error)"
	" VALUES ($1, $2, $3, $4, $5, $6, $7, $8::boolean, $9::integer, $10, $11)"
	" RETURNING id";
#define BAD_ADDRESS "invalid recipient address (not sent)"
/* Delivered at commit; several in one transaction fold into one. */
static const char SQL_NOTIFY[] = "NOTIFY anx_outbox";

const char *
anx_mail_kind_name(enum anx_mail_kind kind)
{
	return (unsigned)kind < ANX_MAIL__MAX ? kinds[kind] : NULL;
}

int
anx_mail_kind_parse(const char *s)
{
	for (int i = 0; s != NULL && i < ANX_MAIL__MAX; i++)
		if (strcmp(s, kinds[i]) == 0)
			return i;
	return -1;
}

/* 1 if s is valid UTF-8 of at most max bytes. */
static int
text_ok(const char *s, size_t max)
{
	size_t n = strlen(s);

	return n <= max && anx_utf8_valid(s, n);
}

/* 1 if to can be stored at all: 3..254 bytes of UTF-8 with something on
 * both sides of an '@' (the table's check). Whether we can send to it is
 * anx_smtp_addr_valid's question. */
static int
addr_storable(const char *to)
{
	const char *at;

	return to != NULL && strlen(to) >= 3 && text_ok(to, 254) &&
	       (at = strchr(to, '@')) != NULL && at != to && at[1] != '\0';
}

enum anx_err
anx_mail_enqueue(struct anx_db *db, const struct anx_mail *m)
{
	const char *p[11];
	char attempts[16], id[64];
	enum anx_err err;
	int sendable;

	if (m == NULL || anx_mail_kind_name(m->kind) == NULL || !addr_storable(m->to) ||
		m->subject == NULL || m->subject[0] == '\0' || m->text_body == NULL ||
		!text_ok(m->subject, 998) || strpbrk(m->subject, "\r\n") != NULL ||
		!text_ok(m->text_body, ANX_MAIL_BODY_MAX) ||
		(m->html_body != NULL && !text_ok(m->html_body, ANX_MAIL_BODY_MAX)) ||
		m->max_attempts < 0 || m->max_attempts > 100)
		return ANX_ERR_VALIDATION;
	sendable = anx_smtp_addr_valid(m->to);
	snprintf(attempts, sizeof(attempts), "%d",
		m->max_attempts ? m->max_attempts : ANX_MAIL_MAX_ATTEMPTS_DEFAULT);
	p[0] = m->workspace_id;
	p[1] = m->evaluation_id;
	p[2] = kinds[m->kind];
	p[3] = m->to;
	p[4] = m->subject;
	p[5] = m->text_body;
	p[6] = m->html_body;
	p[7] = m->scrub_after_send ? "true" : "false";
	p[8] = attempts;
	p[9] = sendable ? "pending" : "dead";
	p[10] = sendable ? NULL : BAD_ADDRESS;
	if ((err = anx_db_value(db, SQL_INSERT, 11, p, id, sizeof(id))) != ANX_OK)
		return err;
	if (!sendable) {
		anx_log(ANX_LOG_WARN, "email_dead", LF_STR("email_id", id), LF_STR("kind", p[2]),
			LF_STR("error", BAD_ADDRESS), ANX_LF_END);
		return anx_email_audit_failure(
			db, m->workspace_id, m->evaluation_id, id, p[2], m->to, 0, BAD_ADDRESS);
	}
	return anx_db_exec(db, SQL_NOTIFY, 0, NULL, NULL);
}

/* ------------------------------------------------------------ render */

/* Parses "YYYY-MM-DDTHH:MM:SS[.frac](Z|+00:00)" into *t. 0 or -1. */
static int
parse_utc(const char *s, time_t *t)
{
	struct tm tm;
	int y, mo, d, h, mi, sec, n = 0;
	const char *rest;

	if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &sec, &n) != 6 || n != 19)
		return -1;
	rest = s + n;
	if (*rest == '.')
		for (rest++; *rest >= '0' && *rest <= '9'; rest++)
			;
	if (strcmp(rest, "Z") != 0 && strcmp(rest, "+00:00") != 0 && strcmp(rest, "+00") != 0)
		return -1;
	if (mo < 1 || mo > 12 || d < 1 || d > 31 || h < 0 || h > 23 || mi < 0 || mi > 59 ||
		sec < 0 || sec > 60)
		return -1;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	*t = timegm(&tm);
	return *t == (time_t)-1 ? -1 : 0;
}

/* "59 minutes", "2 hours", "3 days"; "less than a minute" when due. */
static void
duration_text(long secs, char *out, size_t n)
{
	long v;
	const char *unit;

	if (secs < 60) {
		snprintf(out, n, "less than a minute");
		return;
	}
	if (secs < 2 * 3600) {
		v = (secs + 59) / 60;
		unit = "minute";
	} else if (secs < 2 * 86400) {
		v = (secs + 1800) / 3600;
		unit = "hour";
	} else {
		v = (secs + 43200) / 86400;
		unit = "day";
	}
	snprintf(out, n, "%ld %s%s", v, unit, v == 1 ? "" : "s");
}

static void
add_if_absent(json_object *view, const char *key, json_object *val)
{
	if (val == NULL)
		return;
	if (json_object_object_get_ex(view, key, NULL))
		json_object_put(val);
	else
		json_object_object_add(view, key, val);
}

/* The template's view: a shallow copy of ctx plus the derived members
 * listed in mail.h. New reference, or NULL on allocation failure. */
static json_object *
make_view(json_object *ctx)
{
	static const char *const mon[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug",
		"Sep", "Oct", "Nov", "Dec" };
	static const char *const day[] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
	json_object *view, *v;
	char buf[64], key[64];
	time_t t;
	struct tm tm;

	if ((view = json_object_new_object()) == NULL)
		return NULL;
	if (json_object_is_type(ctx, json_type_object)) {
		json_object_object_foreach(ctx, k, val)
		{
			json_object_object_add(view, k, json_object_get(val));
		}
	}
	if (anx_cfg.app_url != NULL)
		add_if_absent(view, "app_url", json_object_new_string(anx_cfg.app_url));
	/* A generic message's link goes into an href: web URLs only. */
	if (json_object_object_get_ex(view, "link", &v) &&
		(!json_object_is_type(v, json_type_string) ||
			(strncmp(json_object_get_string(v), "https://", 8) != 0 &&
				strncmp(json_object_get_string(v), "http://", 7) != 0)))
		json_object_object_del(view, "link");
	if (json_object_object_get_ex(view, "expires_at", &v) &&
		json_object_is_type(v, json_type_string) &&
		parse_utc(json_object_get_string(v), &t) == 0 && gmtime_r(&t, &tm) != NULL) {
		snprintf(buf, sizeof(buf), "%s, %d %s %d %02d:%02d UTC", day[tm.tm_wday % 7],
			tm.tm_mday, mon[tm.tm_mon % 12], tm.tm_year + 1900, tm.tm_hour, tm.tm_min);
		add_if_absent(view, "expires_display", json_object_new_string(buf));
		duration_text((long)(t - time(NULL)), buf, sizeof(buf));
		add_if_absent(view, "expires_in", json_object_new_string(buf));
	}
	/* The outcome (or else the status) as flags for sections. */
	if (((json_object_object_get_ex(view, "outcome", &v) &&
		     json_object_is_type(v, json_type_string)) ||
		    (json_object_object_get_ex(view, "status", &v) &&
			    json_object_is_type(v, json_type_string))) &&
		strlen(json_object_get_string(v)) < sizeof(key) - 8) {
		const char *s = json_object_get_string(v);

		snprintf(key, sizeof(key), "status_%s", s);
		add_if_absent(view, key, json_object_new_boolean(1));
		if (strcmp(s, "approved") == 0 || strcmp(s, "rejected") == 0 ||
			strcmp(s, "expired") == 0)
			add_if_absent(view, "final", json_object_new_boolean(1));
	}
	return view;
}

/* Renders name into a fresh buffer; 0 or -1. */
static int
render_to(const struct anx_tmpl_set *set, const char *name, json_object *view, struct anx_buf *b)
{
	anx_buf_init(b, ANX_MAIL_BODY_MAX);
	return anx_tmpl_render(set, name, view, b) == 0 && !anx_buf_failed(b) ? 0 : -1;
}

/* Wraps content in layout if the set has it: returns the new text (caller
 * frees) or NULL on failure; without a layout, a copy of content. */
static char *
wrap(const struct anx_tmpl_set *set, const char *layout, json_object *view, const char *content)
{
	struct anx_buf b;
	char *out = NULL;

	if (!anx_tmpl_has(set, layout))
		return strdup(content);
	json_object_object_add(view, "content", json_object_new_string(content));
	if (render_to(set, layout, view, &b) == 0)
		out = anx_buf_steal(&b, NULL);
	anx_buf_free(&b);
	json_object_object_del(view, "content");
	return out;
}

/*
 * Makes the subject from its rendered template: control characters
 * and whitespace runs become one space, the ends are trimmed, and text
 * past ANX_MAIL_SUBJECT_MAX bytes is cut at a character boundary and
 * ended with "…". Returns a new string or NULL.
 */
static char *
clean_subject(const char *s, size_t n)
{
	static const char ellipsis[] = "\xe2\x80\xa6";
	char *out = malloc(ANX_MAIL_SUBJECT_MAX + 1);
	size_t o = 0, cut;
	int space = 0;

	if (out == NULL)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c <= 0x20 || c == 0x7f) {
			space = 1;
			continue;
		}
		if (space && o > 0) {
			if (o >= ANX_MAIL_SUBJECT_MAX)
				goto cut;
			out[o++] = ' ';
		}
		space = 0;
		if (o >= ANX_MAIL_SUBJECT_MAX)
			goto cut;
		out[o++] = (char)c;
	}
	out[o] = '\0';
	return out;
cut:
	/* Back off to a character start with room for the ellipsis. */
	cut = ANX_MAIL_SUBJECT_MAX - (sizeof(ellipsis) - 1);
	while (cut > 0 && ((unsigned char)out[cut] & 0xc0) == 0x80)
		cut--;
	while (cut > 0 && out[cut - 1] == ' ')
		cut--;
	memcpy(out + cut, ellipsis, sizeof(ellipsis));
	return out;
}

enum anx_err
anx_mail_render(const struct anx_tmpl_set *set, const char *template_name, json_object *ctx,
	char **subject, char **text, char **html)
{
	char sname[128], tname[128], hname[128];
	struct anx_buf b;
	json_object *view = NULL;
	char *content = NULL;
	enum anx_err err = ANX_ERR_INTERNAL;

	*subject = *text = *html = NULL;
	anx_buf_init(&b, 0);
	if (set == NULL || template_name == NULL ||
		snprintf(sname, sizeof(sname), "email/%s.subject", template_name) >=
			(int)sizeof(sname))
		return ANX_ERR_INTERNAL;
	snprintf(tname, sizeof(tname), "email/%s.txt", template_name);
	snprintf(hname, sizeof(hname), "email/%s.html", template_name);
	if (!anx_tmpl_has(set, sname) || !anx_tmpl_has(set, tname))
		return ANX_ERR_NOT_FOUND;
	if ((view = make_view(ctx)) == NULL)
		return ANX_ERR_NOMEM;

	/* The subject: line breaks in values become spaces here. */
	if (render_to(set, sname, view, &b) != 0)
		goto out;
	if ((*subject = clean_subject(b.data, b.len)) == NULL)
		goto nomem;
	anx_buf_free(&b);
	json_object_object_add(view, "subject", json_object_new_string(*subject));

	/* The text, without trailing line breaks (the layout spaces it). */
	if (render_to(set, tname, view, &b) != 0)
		goto out;
	while (b.len > 0 && (b.data[b.len - 1] == '\n' || b.data[b.len - 1] == '\r'))
		b.data[--b.len] = '\0';
	if ((*text = wrap(set, "email/layout.txt", view, b.data)) == NULL)
		goto out;
	anx_buf_free(&b);

	/* The HTML, if the kind has it. */
	if (anx_tmpl_has(set, hname)) {
		if (render_to(set, hname, view, &b) != 0)
			goto out;
		if ((content = anx_buf_steal(&b, NULL)) == NULL)
			goto nomem;
		if ((*html = wrap(set, "email/layout.html", view, content)) == NULL)
			goto out;
	}
	err = ANX_OK;
	goto out;
nomem:
	err = ANX_ERR_NOMEM;
out:
	if (err != ANX_OK) {
		free(*subject);
		free(*text);
		free(*html);
		*subject = *text = *html = NULL;
	}
	free(content);
	anx_buf_free(&b);
	json_object_put(view);
	return err;
}

/* ---------------------------------------------------- template set */

static struct anx_tmpl_set *owned_set;
static const struct anx_tmpl_set *current_set;

void
anx_mail_templates_free(void)
{
	anx_tmpl_set_free(owned_set);
	owned_set = NULL;
	current_set = NULL;
}

void
anx_mail_templates_use(const struct anx_tmpl_set *set)
{
	anx_mail_templates_free();
	current_set = set;
}

int
anx_mail_templates_load(const char *dir, char *err, size_t errlen)
{
	struct anx_tmpl_set *set;

	if (dir == NULL)
		dir = anx_cfg.template_dir ? anx_cfg.template_dir : "templates";
	if (anx_tmpl_load_dir(&set, dir, err, errlen) != 0)
		return -1;
	anx_mail_templates_free();
	owned_set = set;
	current_set = set;
	return 0;
}

const struct anx_tmpl_set *
anx_mail_templates(void)
{
	char err[256];

	if (current_set == NULL && anx_mail_templates_load(NULL, err, sizeof(err)) != 0)
		anx_log(ANX_LOG_ERROR, "mail_templates_failed", LF_STR("error", err), ANX_LF_END);
	return current_set;
}

enum anx_err
anx_mail_enqueue_template(struct anx_db *db, const struct anx_mail *m, json_object *ctx)
{
	const struct anx_tmpl_set *set;
	struct anx_mail full;
	char *subject, *text, *html;
	enum anx_err err;

	if (m == NULL || anx_mail_kind_name(m->kind) == NULL)
		return ANX_ERR_VALIDATION;
	if ((set = anx_mail_templates()) == NULL)
		return ANX_ERR_INTERNAL;
	err = anx_mail_render(set, anx_mail_kind_name(m->kind), ctx, &subject, &text, &html);
	if (err != ANX_OK) {
		anx_log(ANX_LOG_ERROR, "mail_render_failed",
			LF_STR("kind", anx_mail_kind_name(m->kind)),
			LF_STR("error", anx_err_code(err)), ANX_LF_END);
		return err == ANX_ERR_NOT_FOUND ? ANX_ERR_INTERNAL : err;
	}
	full = *m;
	full.subject = subject;
	full.text_body = text;
	full.html_body = html;
	err = anx_mail_enqueue(db, &full);
	free(subject);
	free(text);
	free(html);
	return err;
}
