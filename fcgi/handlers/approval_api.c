/*
 * approval_api.c - deciding from an approval link: GET /approve/{token}
 * (the page; never changes anything, since mail scanners prefetch links)
 * and POST /api/approval/approve|reject|request-otp|verify-otp, which
 * take JSON ({token, comment|code}) or a form post from the page (then
 * answer with the page again, showing the outcome).
 */
#include <string.h>

#include "app.h"
#include "approval.h"
#include "handlers.h"
#include "parse.h"
#include "template.h"

enum approval_op { OP_APPROVE, OP_REJECT, OP_REQUEST_OTP, OP_VERIFY_OTP };

static const char *
check_token(json_object *v)
{
	const char *s = json_object_get_string(v);

	for (size_t i = 0; s[i]; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return "must be the 32-character token from the approval link";
	return NULL;
}

static const char *
check_code(json_object *v)
{
	const char *s = json_object_get_string(v);

	for (size_t i = 0; s[i]; i++)
		if (s[i] < '0' || s[i] > '9')
			return "must be the 6-digit code from the email";
	return NULL;
}

static const struct anx_field decide_fields[] = {
	{ "token", ANX_FT_STRING, 1, 32, 32, check_token, 0 },
	{ "comment", ANX_FT_STRING, 0, 0, ANX_COMMENT_MAX, NULL, 1 },
};
static const struct anx_field otp_request_fields[] = {
	{ "token", ANX_FT_STRING, 1, 32, 32, check_token, 0 },
};
static const struct anx_field otp_verify_fields[] = {
	{ "token", ANX_FT_STRING, 1, 32, 32, check_token, 0 },
	{ "code", ANX_FT_STRING, 1, 6, 6, check_code, 0 },
};

/* Renders the approval page for token with an optional notice. */
static enum anx_err
render_page(struct anx_req *req, struct anx_resp *resp, const char *token, const char *notice,
	const char *notice_kind, int status)
{
	struct anx_approver_ref who = { token, NULL, NULL };
	json_object *view = NULL, *ctx;
	enum anx_err err;

	err = anx_approval_view(req->db, &who, &view);
	if (err != ANX_OK && err != ANX_ERR_NOT_FOUND)
		return err;
	ctx = json_object_new_object();
	json_object_object_add(ctx, "title", json_object_new_string("Approval request"));
	json_object_object_add(ctx, "found", json_object_new_boolean(view != NULL));
	if (view)
		json_object_object_add(ctx, "view", view);
	json_object_object_add(ctx, "token", json_object_new_string(token));
	if (notice) {
		json_object_object_add(ctx, "notice", json_object_new_string(notice));
		json_object_object_add(ctx, "notice_kind", json_object_new_string(notice_kind));
	}
	anx_buf_reset(&resp->body);
	if (anx_tmpl_render(anx_app.templates, "approve", ctx, &resp->body) != 0) {
		json_object_put(ctx);
		return ANX_ERR_INTERNAL;
	}
	json_object_put(ctx);
	resp->status = view ? status : 404;
	resp->content_type = "text/html; charset=utf-8";
	anx_resp_header(resp, "Cache-Control", "no-store");
	/* The URL holds the token: never send it to another site. */
	anx_resp_header(resp, "Referrer-Policy", "same-origin");
	return ANX_OK;
}

enum anx_err
anx_h_approve_page(struct anx_req *req, struct anx_resp *resp)
{
	return render_page(req, resp, anx_req_route_param(req, "token"), NULL, NULL, 200);
}

/* What a person sees after a form post, per outcome. */
static const char *
notice_for(enum approval_op op, enum anx_err err, const char *status)
{
	switch (err) {
	case ANX_OK:
		if (op == OP_REQUEST_OTP)
			return "A one-time code is on its way to your inbox. It is valid for 10 "
			       "minutes.";
		if (op == OP_VERIFY_OTP)
			return "Code verified. You can approve now.";
		if (op == OP_REJECT)
			return "You rejected this request. The agent will not proceed.";
		return strcmp(status, "approved") == 0
			       ? "Approved. This was the final approval: the agent may proceed."
			       : "Your approval is recorded. The request waits for the remaining "
				 "approvals.";
	case ANX_ERR_APPROVAL_CLOSED:
		return "This request is already closed: it was decided, used or has expired.";
	case ANX_ERR_OTP_REQUIRED:
		return "This stage needs a one-time code: request one and enter it first.";
	case ANX_ERR_OTP_INVALID:
		return "That code is wrong or has expired. Check the latest email and try again.";
	case ANX_ERR_OTP_LOCKED: return "Too many wrong codes: this approval link is locked.";
	case ANX_ERR_SOD: return "Separation of duties: you cannot approve this request.";
	case ANX_ERR_RATE_LIMITED:
		return "A code was sent moments ago. Wait half a minute before asking again.";
	case ANX_ERR_NOT_FOUND: return "This approval link is not valid.";
	default: return "Something went wrong; nothing was changed. Please try again.";
	}
}

static enum anx_err
run(struct anx_req *req, struct anx_resp *resp, enum approval_op op)
{
	const struct anx_field *fields;
	struct anx_approver_ref who = { NULL, NULL, NULL };
	const char *token, *comment, *code;
	const struct anx_kvlist *form = NULL;
	json_object *body = NULL, *out;
	struct anx_verrs *e;
	char status[16] = "";
	enum anx_err err;
	size_t nfields;
	int is_form = anx_media_type_is(req->content_type, "application/x-www-form-urlencoded");

	if ((e = anx_req_verrs(req)) == NULL)
		return ANX_ERR_NOMEM;
	if (is_form) {
		if ((err = anx_req_form(req, &form)) != ANX_OK)
			return err;
		token = anx_kv_get(form, "token");
		comment = anx_kv_get(form, "comment");
		code = anx_kv_get(form, "code");
		if (token == NULL || strlen(token) != 32)
			return ANX_ERR_NOT_FOUND;
		if (comment && anx_utf8_chars(comment) > ANX_COMMENT_MAX)
			return ANX_ERR_VALIDATION;
	} else {
		if ((err = anx_parse_json_body(req, &body)) != ANX_OK)
			return err;
		fields = op == OP_VERIFY_OTP    ? otp_verify_fields
			 : op == OP_REQUEST_OTP ? otp_request_fields
						: decide_fields;
		nfields = op == OP_VERIFY_OTP ? 2 : op == OP_REQUEST_OTP ? 1 : 2;
		if (!json_object_is_type(body, json_type_object)) {
			anx_verrs_add(e, "", "must be a JSON object");
			return ANX_ERR_VALIDATION;
		}
		if (anx_json_validate(body, "", fields, nfields, e) > 0)
			return ANX_ERR_VALIDATION;
		token = anx_json_get_str(body, "token");
		comment = anx_json_get_str(body, "comment");
		code = anx_json_get_str(body, "code");
	}
	who.token = token;
	switch (op) {
	case OP_APPROVE:
	case OP_REJECT:
		err = anx_approval_decide(req->db, &who,
			op == OP_APPROVE ? ANX_DECIDE_APPROVE : ANX_DECIDE_REJECT, comment, status);
		break;
	case OP_REQUEST_OTP:
		err = anx_approval_request_otp(req->db, &who);
		if (err == ANX_ERR_INVALID)
			req->err_message = "This stage does not use one-time codes, or the code is "
					   "already verified";
		break;
	default: err = anx_approval_verify_otp(req->db, &who, code ? code : ""); break;
	}
	if (is_form) {
		if (err == ANX_ERR_INTERNAL || err == ANX_ERR_UNAVAILABLE || err == ANX_ERR_NOMEM)
			return err;
		return render_page(req, resp, token, notice_for(op, err, status),
			err == ANX_OK ? "success" : "error",
			err == ANX_OK ? 200 : anx_err_status(err));
	}
	if (err != ANX_OK) {
		if (err == ANX_ERR_NOT_FOUND)
			req->err_message = "No approval request has this token";
		return err;
	}
	out = json_object_new_object();
	if (op == OP_APPROVE || op == OP_REJECT) {
		json_object_object_add(out, "decision",
			json_object_new_string(op == OP_APPROVE ? "approved" : "rejected"));
		json_object_object_add(out, "evaluation_status", json_object_new_string(status));
	} else if (op == OP_REQUEST_OTP)
		json_object_object_add(out, "sent", json_object_new_boolean(1));
	else
		json_object_object_add(out, "verified", json_object_new_boolean(1));
	err = anx_resp_json(resp, op == OP_REQUEST_OTP ? 202 : 200, out);
	json_object_put(out);
	return err;
}

enum anx_err
anx_h_approval_approve(struct anx_req *req, struct anx_resp *resp)
{
	return run(req, resp, OP_APPROVE);
}

enum anx_err
anx_h_approval_reject(struct anx_req *req, struct anx_resp *resp)
{
	return run(req, resp, OP_REJECT);
}

enum anx_err
anx_h_approval_request_otp(struct anx_req *req, struct anx_resp *resp)
{
	return run(req, resp, OP_REQUEST_OTP);
}

enum anx_err
anx_h_approval_verify_otp(struct anx_req *req, struct anx_resp *resp)
{
	return run(req, resp, OP_VERIFY_OTP);
}
