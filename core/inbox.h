/*
 * inbox.h - the dashboard's approvals inbox: the signed-in member's open
 * approval requests in one workspace, the ones they decided, and acting on
 * a request from the dashboard.
 *
 * Acting goes through approval.h with a dashboard approver reference
 * ({token NULL, request_id, user_id}), so separation of duties, one-time
 * codes and the closed-state rules are exactly those of the email links.
 * This module only adds the workspace boundary: a request id that is not
 * the member's in this workspace is ANX_ERR_NOT_FOUND.
 */
#ifndef ANX_INBOX_H
#define ANX_INBOX_H

#include <json-c/json.h>

#include "approval.h"
#include "db.h"

#define ANX_INBOX_MAX     200
#define ANX_INBOX_DECIDED 25

/*
 * user_id's inbox in ws, a new object: {open: [{request_id,
 * evaluation_id, summary, action, resource, agent_id, amount, currency,
 * matched_rule, reason, expires_at, expires_display, expires_in,
 * stage_number, stages, role, approved, required, otp (bool), needs_otp,
 * otp_sent, otp_locked, can_decide (bools), asked_display}] (open
 * requests whose stage is pending, soonest expiry first), decided: [{
 * request_id, evaluation_id, summary, action, decision, comment,
 * decided_at, decided_display, via, evaluation_status}] (latest
 * ANX_INBOX_DECIDED)}.
 */
enum anx_err anx_inbox_list(
	struct anx_db *db, const char *ws, const char *user_id, json_object **out);

/* What to do with a request. */
enum anx_inbox_op {
	ANX_INBOX_APPROVE,     /* approve */
	ANX_INBOX_REJECT,      /* reject */
	ANX_INBOX_REQUEST_OTP, /* request_otp: email me a code */
	ANX_INBOX_VERIFY_OTP   /* verify_otp: check the code */
};

/*
 * Does op on request_id as user_id in ws: the request must be user_id's
 * and in ws (else ANX_ERR_NOT_FOUND), then approval.h decides with the
 * same rules and errors as for a link. arg is the comment (approve,
 * reject) or the code (verify_otp). On ANX_OK after a decision,
 * result_status is the evaluation's status ("pending", "approved",
 * "rejected"); summary (cap bytes; 321 hold it whole) names the
 * request for messages: its first 80 characters.
 */
enum anx_err anx_inbox_act(struct anx_db *db, const char *ws, const char *user_id,
	const char *request_id, enum anx_inbox_op op, const char *arg, char result_status[16],
	char *summary, size_t cap);

#endif
