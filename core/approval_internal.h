/*
 * approval_internal.h - shared pieces of the approval modules
 * (approval_flow.c, approval_otp.c, approval_timeouts.c,
 * approval_view.c). Not part of the public API.
 */
#ifndef ANX_APPROVAL_INTERNAL_H
#define ANX_APPROVAL_INTERNAL_H

#include <json-c/json.h>

#include "approval.h"
#include "crypto.h"
#include "db.h"

/* The request a token or dashboard reference points at, with its stage
 * and evaluation, loaded under a lock on the evaluation row. */
struct anx_areq {
	char id[37];
	char evaluation_id[37];
	char workspace_id[37];
	char user_id[37];
	char status[16]; /* request status */
	int stage_idx;
	char stage_status[16];
	int stage_otp;
	char eval_status[16];
	int otp_verified;
	int otp_locked;
	int otp_failures;
	int otp_expired;     /* no live code */
	int otp_resend_wait; /* seconds until a resend is allowed */
	int otp_sends;
	char otp_hash[65];
	char email[256];
};

/* Loads the request for who, locking its evaluation row FOR UPDATE
 * (inside a transaction). ANX_ERR_NOT_FOUND if unknown. */
enum anx_err anx_areq_load(
	struct anx_db *db, const struct anx_approver_ref *who, struct anx_areq *r);

/* Evaluation fields for emails and pages: {id, summary, action, resource,
 * amount, currency, agent_id, matched_rule, reason, action_hash,
 * expires_at, status, workspace_name, app_url}. New reference. */
enum anx_err anx_approval_eval_ctx(struct anx_db *db, const char *eval_id, json_object **out);

/* Activates stage idx of eval_id: marks it pending and asks its
 * approvers (all holders, or the next round-robin holder). */
enum anx_err anx_approval_activate(struct anx_db *db, const char *ws, const char *eval_id, int idx);

/* A new link token (128 random bits as hex) and its bytea hash parameter;
 * 0 or -1. The caller zeroes token when done. */
int anx_approval_token_new(char token[ANX_TOKEN_HEX + 1], char hash[ANX_SHA256_BYTEA_LEN + 1]);

/* Asks user_id for stage idx: new request with a fresh token, emailed. */
enum anx_err anx_approval_ask(struct anx_db *db, const char *ws, const char *eval_id, int idx,
	const char *user_id, const char *email, json_object *ctx);

/* Asks the next eligible round-robin holder of stage idx; *asked is 0
 * when nobody is left to ask. */
enum anx_err anx_approval_rr_next(
	struct anx_db *db, const char *ws, const char *eval_id, int idx, int *asked);

/* Moves eval_id to a terminal status (approved|rejected|expired), closes
 * its open requests and stages, audits it, emails the outcome to everyone
 * asked, and queues the terminal_outcome webhook. */
enum anx_err anx_approval_finish(struct anx_db *db, const char *ws, const char *eval_id,
	const char *status, const char *actor_type, const char *actor_id);

/* Queues an email (kind: approval_request, otp, reminder, outcome) built
 * from ctx plus extra members; see core/mail.h. */
enum anx_err anx_approval_mail(struct anx_db *db, const char *kind, const char *ws,
	const char *eval_id, const char *to, json_object *ctx, int scrub);

#endif
