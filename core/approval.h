/*
 * approval.h - human approvals: stages in order, a quorum of distinct
 * approvers per stage, one link token per (stage, approver), one-time
 * codes for OTP stages, separation of duties, timeouts, reminders and
 * round-robin reassignment.
 *
 * Every decision runs in one transaction that first locks the evaluation
 * row, so concurrent approvers serialise per evaluation: when two fill
 * the last slot at once, exactly one transition happens and one terminal
 * outcome is queued. Status only moves forward (pending → approved |
 * rejected | expired), and each change is audited in the same transaction.
 */
#ifndef ANX_APPROVAL_H
#define ANX_APPROVAL_H

#include <json-c/json.h>

#include "db.h"
#include "policy.h"

#define ANX_TOKEN_HEX          32 /* 128 random bits */
#define ANX_COMMENT_MAX        2000
#define ANX_OTP_DIGITS         6
#define ANX_OTP_TTL_SECONDS    600
#define ANX_OTP_MAX_FAILURES   5
#define ANX_OTP_RESEND_SECONDS 30
#define ANX_OTP_MAX_SENDS      10

/*
 * Starts approval for a freshly inserted evaluation, inside the caller's
 * transaction: creates the stages from the policy's approval, activates
 * the first (asks its approvers by email) and queues the approval_required
 * webhook.
 */
enum anx_err anx_approval_start(struct anx_db *db, const char *ws, const char *eval_id,
	const struct anx_policy_approval *a);

/* Who is deciding: an email link token, or a signed-in member acting on
 * one of their requests from the dashboard inbox. */
struct anx_approver_ref {
	const char *token;      /* hex token from the link, or NULL */
	const char *request_id; /* dashboard: approval_requests.id */
	const char *user_id;    /* dashboard: the signed-in user */
};

enum anx_decision { ANX_DECIDE_APPROVE, ANX_DECIDE_REJECT };

/*
 * Records a decision. On ANX_OK *result_status is the evaluation's status
 * afterwards ("pending", "approved", "rejected"). Errors:
 * ANX_ERR_NOT_FOUND (unknown token), ANX_ERR_APPROVAL_CLOSED (used,
 * decided or expired), ANX_ERR_OTP_REQUIRED, ANX_ERR_SOD (refusal is
 * audited), ANX_ERR_VALIDATION (comment too long).
 */
enum anx_err anx_approval_decide(struct anx_db *db, const struct anx_approver_ref *who,
	enum anx_decision d, const char *comment, char result_status[16]);

/* Emails a fresh one-time code for an OTP stage's request. Errors as
 * above plus ANX_ERR_OTP_LOCKED, ANX_ERR_RATE_LIMITED (resend throttle),
 * ANX_ERR_INVALID (the stage needs no code). */
enum anx_err anx_approval_request_otp(struct anx_db *db, const struct anx_approver_ref *who);

/* Checks a code; marks the request verified. ANX_ERR_OTP_INVALID (wrong
 * or expired; counts a failure), ANX_ERR_OTP_LOCKED (5 failures). */
enum anx_err anx_approval_verify_otp(
	struct anx_db *db, const struct anx_approver_ref *who, const char *code);

/*
 * The approval page's view of a token: {request:{status, stage, otp,
 * otp_verified, can_decide}, evaluation:{…, stages}, approver:{email,
 * name}}. Never changes anything. ANX_ERR_NOT_FOUND for unknown tokens.
 */
enum anx_err anx_approval_view(
	struct anx_db *db, const struct anx_approver_ref *who, json_object **out);

/* The stages of an evaluation with who was asked when and who decided,
 * as the "stages" member of the evaluation JSON. */
enum anx_err anx_approval_stages_json(struct anx_db *db, const char *eval_id, json_object **out);

struct anx_timeout_report {
	int expired;
	int reminded;
	int reassigned;
};

/* Expires overdue evaluations, sends due reminders once, and moves
 * round-robin requests on after reassign_after_seconds. */
enum anx_err anx_approval_timeouts(struct anx_db *db, struct anx_timeout_report *rep);

#endif
