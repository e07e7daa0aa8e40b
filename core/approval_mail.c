/*
 * approval_mail.c - queueing approval emails (approval_request, otp,
 * reminder, outcome) through the email outbox, in the caller's
 * transaction; see approval_internal.h and mail.h.
 */
#include "approval_internal.h"
#include "mail.h"

enum anx_err
anx_approval_mail(struct anx_db *db, const char *kind, const char *ws, const char *eval_id,
	const char *to, json_object *ctx, int scrub)
{
	struct anx_mail m = { 0 };
	int k = anx_mail_kind_parse(kind);

	if (k < 0)
		return ANX_ERR_INTERNAL;
	m.kind = (enum anx_mail_kind)k;
	m.workspace_id = ws;
	m.evaluation_id = eval_id;
	m.to = to;
	m.scrub_after_send = scrub;
	return anx_mail_enqueue_template(db, &m, ctx);
}
