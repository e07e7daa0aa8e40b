/*
 * err.h - the one error convention of AgentNexus.
 *
 * Every fallible function returns an enum anx_err and fills out-parameters.
 * Each value maps to the stable API error `code` string and HTTP status of
 * the JSON error contract (DESIGN.md), documented in static/openapi.yaml.
 */
#ifndef ANX_ERR_H
#define ANX_ERR_H

enum anx_err {
	ANX_OK = 0,               /* ok */
	ANX_ERR_UNAUTHORIZED,     /* unauthorized 401 */
	ANX_ERR_FORBIDDEN,        /* forbidden 403 */
	ANX_ERR_NOT_FOUND,        /* not_found 404 */
	ANX_ERR_METHOD,           /* method_not_allowed 405 */
	ANX_ERR_INVALID,          /* invalid_request 400 */
	ANX_ERR_VALIDATION,       /* validation_failed 422 */
	ANX_ERR_UNSAFE_URL,       /* unsafe_webhook_url 422 */
	ANX_ERR_IDEM_INVALID,     /* idempotency_key_invalid 400 */
	ANX_ERR_IDEM_REUSED,      /* idempotency_key_reused 409 */
	ANX_ERR_IDEM_IN_PROGRESS, /* idempotency_in_progress 409 */
	ANX_ERR_RECEIPT_CONFLICT, /* receipt_conflict 409 */
	ANX_ERR_NOT_APPROVED,     /* evaluation_not_approved 409 */
	ANX_ERR_OTP_REQUIRED,     /* otp_required 403 */
	ANX_ERR_OTP_INVALID,      /* otp_invalid 403 */
	ANX_ERR_OTP_LOCKED,       /* otp_locked 429 */
	ANX_ERR_SOD,              /* separation_of_duties 403 */
	ANX_ERR_APPROVAL_CLOSED,  /* approval_closed 409 */
	ANX_ERR_CONFLICT,         /* conflict 409 */
	ANX_ERR_TOO_LARGE,        /* payload_too_large 413 */
	ANX_ERR_RATE_LIMITED,     /* rate_limited 429 */
	ANX_ERR_INTERNAL,         /* server_error 500 */
	ANX_ERR_UNAVAILABLE,      /* service_unavailable 503 */
	ANX_ERR_NOMEM,            /* server_error 500 (out of memory) */
	ANX_ERR__MAX
};

/* The API `code` string for err; never NULL ("server_error" if unknown). */
const char *anx_err_code(enum anx_err err);

/* The HTTP status for err (200 for ANX_OK). */
int anx_err_status(enum anx_err err);

/* A generic human message for err, used when the caller has none. */
const char *anx_err_message(enum anx_err err);

#endif
