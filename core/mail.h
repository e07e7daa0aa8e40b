/*
 * mail.h - email through the outbox: render a message from templates and
 * queue it in the caller's transaction. agentnexus-cron deliver sends it
 * later (outbox_email.h), so no request ever waits on SMTP, and a message
 * exists if and only if the change that caused it committed.
 *
 * Templates (under ANX_TEMPLATE_DIR, names without ".mustache"):
 *
 *   email/<name>.subject  the subject, one line; line breaks and runs of
 *                         whitespace become single spaces and it is cut
 *                         at ANX_MAIL_SUBJECT_MAX bytes
 *   email/<name>.txt      the text/plain body
 *   email/<name>.html     the text/html content (optional)
 *   email/layout.html     wraps every HTML body: {{{content}}} is the
 *                         rendered content, {{subject}} the subject
 *   email/layout.txt      wraps every text body the same way (optional)
 *
 * Subject and text templates interpolate with {{{x}}}: they are plain
 * text, so HTML escaping would only garble them (header safety is the
 * message builder's job, smtp.h). HTML templates use {{x}}, escaped, for
 * every value; only the layout's {{{content}}} is raw.
 *
 * The view a template sees is ctx plus: app_url (APP_URL, when ctx has
 * none), subject, and when ctx has expires_at (RFC 3339 UTC, as the API
 * prints it) expires_display ("Sat, 28 Nov 2026 00:40 UTC") and
 * expires_in ("59 minutes") unless given; from a string outcome (or else
 * status) a true status_<value> (e.g. status_approved) for Mustache
 * sections, and a true final when it is approved, rejected or expired.
 * A generic message's link is dropped unless it is an http(s) URL.
 *
 * Context members per kind (strings unless noted; all optional except
 * the link's token; see templates/email):
 *   approval_request  token, summary, action, resource, amount, currency,
 *                     agent_id, matched_rule, reason, action_hash,
 *                     expires_at, expires_in, workspace_name,
 *                     stage_number, stage_count (numbers), stage_role,
 *                     otp (bool: the stage needs a code), approver_name
 *                     → link {{app_url}}/approve/{{token}}
 *   reminder          as approval_request
 *   otp               code, minutes (number; the text says 10 without
 *                     it), summary, workspace_name
 *   outcome           outcome or status (approved|rejected|expired),
 *                     evaluation_id, the evaluation fields above,
 *                     decided_by, comment (no expiry line is shown)
 *   password_reset    token, name → {{app_url}}/reset-password/{{token}}
 *   invitation        token, workspace_name, inviter_name, role
 *                     → {{app_url}}/invite/{{token}}
 *   generic           subject, heading, body (plain text), link, link_text
 */
#ifndef ANX_MAIL_H
#define ANX_MAIL_H

#include <json-c/json.h>

#include "db.h"
#include "err.h"

struct anx_tmpl_set;

#define ANX_MAIL_BODY_MAX             (1024 * 1024) /* bytes per body */
#define ANX_MAIL_SUBJECT_MAX          200           /* bytes; longer subjects are cut */
#define ANX_MAIL_MAX_ATTEMPTS_DEFAULT 8

enum anx_mail_kind {
	ANX_MAIL_APPROVAL_REQUEST, /* approval_request */
	ANX_MAIL_OTP,              /* otp */
	ANX_MAIL_REMINDER,         /* reminder */
	ANX_MAIL_OUTCOME,          /* outcome */
	ANX_MAIL_PASSWORD_RESET,   /* password_reset */
	ANX_MAIL_INVITATION,       /* invitation */
	ANX_MAIL_GENERIC,          /* generic */
	ANX_MAIL__MAX
};

/* The kind's name as stored in email_outbox.kind and used as template
 * name; NULL if out of range. */
const char *anx_mail_kind_name(enum anx_mail_kind kind);
/* The kind named s, or -1. */
int anx_mail_kind_parse(const char *s);

/* One message to queue. Strings are borrowed for the call only. */
struct anx_mail {
	enum anx_mail_kind kind;
	const char *workspace_id;  /* NULL for account mail (password reset) */
	const char *evaluation_id; /* NULL if not about an evaluation */
	const char *to;            /* a plain address: local@domain */
	const char *subject;       /* UTF-8, one line */
	const char *text_body;     /* UTF-8, required */
	const char *html_body;     /* UTF-8, or NULL for text only */
	int scrub_after_send;      /* 1: bodies are replaced by "[redacted
				    * after delivery]" once sent (OTP codes) */
	int max_attempts;          /* 0 = ANX_MAIL_MAX_ATTEMPTS_DEFAULT */
};

/*
 * Inserts m into email_outbox and runs NOTIFY anx_outbox, inside the
 * caller's transaction (it opens none: call it from the anx_db_tx
 * function that makes the change the message reports; outside a
 * transaction each statement commits on its own). The notification is
 * delivered at commit and wakes `deliver --watch`.
 *
 * A recipient that looks like an address but cannot be sent to (see
 * anx_smtp_addr_valid: e.g. a non-ASCII local part) does not fail the
 * caller: the message is stored dead with last_error set, logged, and
 * audited like a delivery that gave up (anx_email_audit_failure), so an
 * approver's odd address never blocks an evaluation. Errors:
 * ANX_ERR_VALIDATION (unknown kind, no '@' in the address, empty or
 * multi-line subject, missing text, invalid UTF-8, body over
 * ANX_MAIL_BODY_MAX, max_attempts outside 1..100), or the database's.
 */
enum anx_err anx_mail_enqueue(struct anx_db *db, const struct anx_mail *m);

/*
 * Renders template_name (e.g. "approval_request") from set with ctx (a
 * JSON object, not modified; NULL = {}): the subject from
 * email/<name>.subject, the text from email/<name>.txt and the HTML from
 * email/<name>.html if present, each body wrapped in its layout if the
 * set has one. On ANX_OK *subject and *text are set and *html is set or
 * NULL; the caller frees all three. On error all three are NULL:
 * ANX_ERR_NOT_FOUND (no subject or text template), ANX_ERR_INTERNAL
 * (render failure or an output over ANX_MAIL_BODY_MAX), ANX_ERR_NOMEM.
 */
enum anx_err anx_mail_render(const struct anx_tmpl_set *set, const char *template_name,
	json_object *ctx, char **subject, char **text, char **html);

/*
 * Renders the template named after m->kind with the process-wide set
 * (anx_mail_templates()) and ctx, then queues the result with m's other
 * fields (m->subject, text_body and html_body are ignored). Same
 * transaction rules and errors as anx_mail_enqueue and anx_mail_render;
 * ANX_ERR_INTERNAL if no template set can be loaded.
 */
enum anx_err anx_mail_enqueue_template(
	struct anx_db *db, const struct anx_mail *m, json_object *ctx);

/*
 * The process-wide template set used by anx_mail_enqueue_template().
 * anx_mail_templates_use(set) borrows a set the program already loaded
 * (the FastCGI worker passes anx_app.templates; it must outlive its use);
 * anx_mail_templates_load(dir) loads one (dir NULL = anx_cfg.template_dir)
 * and owns it, returning 0 or -1 with err. anx_mail_templates() returns
 * the current set, loading anx_cfg.template_dir on first use if none was
 * given (NULL, logged, if that fails). anx_mail_templates_free() drops it.
 * Not thread-safe: call from one thread (workers are single-threaded).
 */
void anx_mail_templates_use(const struct anx_tmpl_set *set);
int anx_mail_templates_load(const char *dir, char *err, size_t errlen);
const struct anx_tmpl_set *anx_mail_templates(void);
void anx_mail_templates_free(void);

#endif
