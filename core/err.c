/*
 * err.c - error code table: API code, HTTP status, default message.
 */
#include "err.h"

struct anx_err_info {
	const char *code;
	int status;
	const char *message;
};

static const struct anx_err_info errs[ANX_ERR__MAX] = {
	{ "ok", 200, "OK" },                                       /* ANX_OK */
	{ "unauthorized", 401, "Missing or invalid credentials" }, /* ANX_ERR_UNAUTHORIZED */
	{ "forbidden", 403, "You are not allowed to do this" },    /* ANX_ERR_FORBIDDEN */
	{ "not_found", 404, "Not found" },                         /* ANX_ERR_NOT_FOUND */
	{ "method_not_allowed", 405, "Method not allowed" },       /* ANX_ERR_METHOD */
	{ "invalid_request", 400, "The request is malformed" },    /* ANX_ERR_INVALID */
	{ "validation_failed", 422,
		"The request did not pass validation" },                 /* ANX_ERR_VALIDATION */
	{ "unsafe_webhook_url", 422, "The webhook URL is not allowed" }, /* ANX_ERR_UNSAFE_URL */
	{ "idempotency_key_invalid", 400,
		"The Idempotency-Key header is invalid" }, /* ANX_ERR_IDEM_INVALID */
	{ "idempotency_key_reused", 409,
		"The Idempotency-Key was used with a different body" }, /* ANX_ERR_IDEM_REUSED */
	{ "idempotency_in_progress", 409,
		"A request with this Idempotency-Key is in progress" }, /* ANX_ERR_IDEM_IN_PROGRESS */
	{ "receipt_conflict", 409,
		"A different receipt was already recorded" }, /* ANX_ERR_RECEIPT_CONFLICT */
	{ "evaluation_not_approved", 409,
		"The evaluation is not allowed or approved" }, /* ANX_ERR_NOT_APPROVED */
	{ "otp_required", 403,
		"A one-time code must be verified first" }, /* ANX_ERR_OTP_REQUIRED */
	{ "otp_invalid", 403, "The one-time code is invalid or expired" }, /* ANX_ERR_OTP_INVALID */
	{ "otp_locked", 429,
		"Too many wrong codes; this approval is locked" }, /* ANX_ERR_OTP_LOCKED */
	{ "separation_of_duties", 403,
		"Separation of duties forbids this approval" },        /* ANX_ERR_SOD */
	{ "approval_closed", 409, "This approval is closed" },         /* ANX_ERR_APPROVAL_CLOSED */
	{ "conflict", 409, "The resource changed or already exists" }, /* ANX_ERR_CONFLICT */
	{ "payload_too_large", 413, "The request body is too large" }, /* ANX_ERR_TOO_LARGE */
	{ "rate_limited", 429, "Too many requests" },                  /* ANX_ERR_RATE_LIMITED */
	{ "server_error", 500, "Internal server error" },              /* ANX_ERR_INTERNAL */
	{ "service_unavailable", 503, "Service temporarily unavailable" }, /* ANX_ERR_UNAVAILABLE */
	{ "server_error", 500, "Internal server error" },                  /* ANX_ERR_NOMEM */
};

const char *
anx_err_code(enum anx_err err)
{
	if ((unsigned)err >= ANX_ERR__MAX)
		return "server_error";
	return errs[err].code;
}

int
anx_err_status(enum anx_err err)
{
	if ((unsigned)err >= ANX_ERR__MAX)
		return 500;
	return errs[err].status;
}

const char *
anx_err_message(enum anx_err err)
{
	if ((unsigned)err >= ANX_ERR__MAX)
		return "Internal server error";
	return errs[err].message;
}
