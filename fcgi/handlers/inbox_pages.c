/*
 * inbox_pages.c - the approvals inbox in the dashboard:
 *   GET  /dashboard/approvals                 my open requests in this
 *                                             workspace, and what I decided
 *   POST /dashboard/approvals/decide          approve or reject (optional comment)
 *   POST /dashboard/approvals/request-otp     email me a one-time code
 *   POST /dashboard/approvals/verify-otp      enter the code
 * Every action goes through core/inbox.c to approval.h with the dashboard
 * approver reference, so the rules are the email links' rules; the outcome
 * comes back as a flash message after a redirect to the inbox.
 */
#include <string.h>

#include "handlers.h"
#include "inbox.h"
#include "web.h"

enum anx_err
anx_h_approvals(struct anx_req *req, struct anx_resp *resp)
{
	struct anx_web *w;
	json_object *ctx, *open, *decided;
	enum anx_err err;

	if ((err = anx_web_begin(req, resp, ANX_WEB_WORKSPACE, &w)) != ANX_OK || w == NULL)
		return err;
	if ((err = anx_web_require(w, ANX_WS_VIEW)) != ANX_OK)
		return err;
	if ((err = anx_inbox_list(req->db, w->ws_id, w->session.user_id, &ctx)) != ANX_OK)
		return err;
	json_object_object_get_ex(ctx, "open", &open);
	json_object_object_get_ex(ctx, "decided", &decided);
	json_object_object_add(
		ctx, "has_decided", json_object_new_boolean(json_object_array_length(decided) > 0));
	json_object_object_add(
		ctx, "open_count", json_object_new_int((int)json_object_array_length(open)));
	json_object_object_add(ctx, "comment_max", json_object_new_int(ANX_COMMENT_MAX));
	return anx_web_render(w, 200, "approvals", "approvals", "Approvals", ctx);
}

/* A sentence for an approval error, or NULL for errors that are pages. */
static const char *
problem(enum anx_err err)
{
	switch (err) {
	case ANX_ERR_APPROVAL_CLOSED:
		return "This request is already closed: it was decided, reassigned or has expired. "
		       "Nothing more to do.";
	case ANX_ERR_OTP_REQUIRED:
		return "This stage needs a one-time code. Email yourself a code and enter it, then "
		       "approve.";
	case ANX_ERR_SOD:
		return "Separation of duties: you cannot approve this request, because you "
		       "approved "
		       "an earlier stage or created the API key that asked. Another approver has "
		       "to.";
	case ANX_ERR_OTP_INVALID:
		return "That code is wrong or has expired. Check the latest email, or send a new "
		       "code.";
	case ANX_ERR_OTP_LOCKED:
		return "Too many wrong codes: this request is locked for you. Another approver has "
		       "to decide it.";
	case ANX_ERR_RATE_LIMITED:
		return "A code was sent moments ago. Wait half a minute before asking for another.";
	case ANX_ERR_INVALID: return "This stage does not need a code: you can decide right away.";
	case ANX_ERR_VALIDATION: return "The comment is too long: 2,000 characters at most.";
	default: return NULL;
	}
}

/* Runs op on the posted request and redirects to the inbox with the
 * outcome. */
static enum anx_err
act(struct anx_req *req, struct anx_resp *resp, enum anx_inbox_op op)
{
	char status[16], summary[400];
	const char *rid, *arg = NULL, *why, *decision;
	struct anx_web *w;
	enum anx_err err;

	if ((err = anx_web_begin(req, resp, ANX_WEB_WORKSPACE, &w)) != ANX_OK || w == NULL)
		return err;
	if ((err = anx_web_require(w, ANX_WS_DECIDE)) != ANX_OK)
		return err;
	rid = anx_web_form(w, "request_id");
	if (op == ANX_INBOX_APPROVE) {
		decision = anx_web_form(w, "decision");
		if (decision && strcmp(decision, "reject") == 0)
			op = ANX_INBOX_REJECT;
		else if (decision == NULL || strcmp(decision, "approve") != 0) {
			req->err_message = "Choose Approve or Reject.";
			return ANX_ERR_INVALID;
		}
		arg = anx_web_text(w, "comment");
	} else if (op == ANX_INBOX_VERIFY_OTP)
		arg = anx_web_text(w, "code");
	err = anx_inbox_act(req->db, w->ws_id, w->session.user_id, rid, op, arg, status, summary,
		sizeof(summary));
	if (err == ANX_ERR_NOT_FOUND) {
		req->err_message = "There is no approval request with this id for you in this "
				   "workspace.";
		return err;
	}
	if (err != ANX_OK) {
		if ((why = problem(err)) == NULL)
			return err;
		anx_web_flash(w, "error", "%s", why);
	} else if (op == ANX_INBOX_REJECT)
		anx_web_flash(w, "success", "You rejected “%s”. The agent is told not to go ahead.",
			summary);
	else if (op == ANX_INBOX_APPROVE && strcmp(status, "approved") == 0)
		anx_web_flash(w, "success",
			"You approved “%s”. That was the last approval needed: the agent may go "
			"ahead.",
			summary);
	else if (op == ANX_INBOX_APPROVE)
		anx_web_flash(w, "success",
			"Your approval of “%s” is recorded. It now waits for the other approvers.",
			summary);
	else if (op == ANX_INBOX_REQUEST_OTP)
		anx_web_flash(w, "info",
			"A 6-digit code for “%s” is on its way to %s. It is valid for 10 minutes.",
			summary, w->session.email);
	else
		anx_web_flash(w, "success", "Code accepted. You can now approve or reject “%s”.",
			summary);
	return anx_web_redirect(w, anx_arena_printf(req->arena, "%s#req-%s",
					   anx_web_ws_url(w, "/dashboard/approvals"), rid));
}

enum anx_err
anx_h_approval_decide_page(struct anx_req *req, struct anx_resp *resp)
{
	return act(req, resp, ANX_INBOX_APPROVE);
}

enum anx_err
anx_h_approval_otp_page(struct anx_req *req, struct anx_resp *resp)
{
	return act(req, resp, ANX_INBOX_REQUEST_OTP);
}

enum anx_err
anx_h_approval_verify_page(struct anx_req *req, struct anx_resp *resp)
{
	return act(req, resp, ANX_INBOX_VERIFY_OTP);
}
