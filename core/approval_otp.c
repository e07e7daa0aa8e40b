/*
 * approval_otp.c - one-time codes for OTP stages: a 6-digit code emailed
 * to the approver, stored as HMAC-SHA256(APPROVAL_OTP_SECRET, request id
 * ":" code), valid 10 minutes, 5 wrong tries lock the request, resends
 * throttled. Failures and locks commit even though the call reports an
 * error.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "approval_internal.h"
#include "audit.h"
#include "config.h"
#include "crypto.h"

static const char SQL_OTP_SET[] = "UPDATE approval_requests SET otp_hash = $2, otp_expires_at = "
				  "now() + interval '600 seconds',"
				  " otp_sent_at = now(), otp_sends = otp_sends + 1 WHERE id = $1";
static const char SQL_OTP_FAIL[] =
	"UPDATE approval_requests SET otp_failures = otp_failures + 1,"
	" otp_locked_at = CASE WHEN otp_failures + 1 >= $2::int THEN now() END"
	" WHERE id = $1 RETURNING otp_failures";
static const char SQL_OTP_OK[] =
	"UPDATE approval_requests SET otp_verified_at = now(), otp_hash = NULL WHERE id = $1";

/* hex HMAC of "<request id>:<code>" under the OTP secret. */
static int
otp_digest(const char *request_id, const char *code, char out[65])
{
	unsigned char mac[ANX_SHA256_LEN];
	char msg[64];
	int n = snprintf(msg, sizeof(msg), "%s:%s", request_id, code);

	if (n < 0 || (size_t)n >= sizeof(msg) ||
		anx_hmac_sha256(
			anx_cfg.otp_secret, strlen(anx_cfg.otp_secret), msg, (size_t)n, mac) != 0)
		return -1;
	anx_hex_encode(mac, sizeof(mac), out);
	anx_secure_zero(msg, sizeof(msg));
	return 0;
}

/* A uniform 6-digit code (rejection sampling over 32-bit values). */
static int
otp_code(char out[ANX_OTP_DIGITS + 1])
{
	unsigned int v;
	const unsigned int limit = 4294000000u; /* largest multiple of 10^6 below 2^32 */

	do {
		if (anx_random(&v, sizeof(v)) != 0)
			return -1;
	} while (v >= limit);
	snprintf(out, ANX_OTP_DIGITS + 1, "%06u", v % 1000000u);
	return 0;
}

static enum anx_err
open_check(const struct anx_areq *r)
{
	if (strcmp(r->eval_status, "pending") != 0 || strcmp(r->status, "open") != 0 ||
		strcmp(r->stage_status, "pending") != 0)
		return ANX_ERR_APPROVAL_CLOSED;
	if (!r->stage_otp)
		return ANX_ERR_INVALID;
	if (r->otp_locked)
		return ANX_ERR_OTP_LOCKED;
	return ANX_OK;
}

struct otp_ctx {
	const struct anx_approver_ref *who;
	const char *code;
	enum anx_err result;
};

static enum anx_err
audit_simple(struct anx_db *db, const struct anx_areq *r, const char *type)
{
	json_object *d = json_object_new_object();
	enum anx_err err;

	json_object_object_add(d, "stage", json_object_new_int(r->stage_idx));
	err = anx_audit_record(db, r->workspace_id, "approver", r->user_id, type, "evaluation",
		r->evaluation_id, d);
	json_object_put(d);
	return err;
}

static enum anx_err
request_tx(struct anx_db *db, void *arg)
{
	struct otp_ctx *c = arg;
	char code[ANX_OTP_DIGITS + 1], digest[65];
	const char *p[2];
	json_object *ctx = NULL;
	struct anx_areq r;
	enum anx_err err;

	c->result = ANX_OK;
	if ((err = anx_areq_load(db, c->who, &r)) != ANX_OK)
		return err;
	if ((err = open_check(&r)) != ANX_OK)
		return err;
	if (r.otp_verified)
		return ANX_ERR_INVALID;
	if (r.otp_resend_wait > 0 || r.otp_sends >= ANX_OTP_MAX_SENDS)
		return ANX_ERR_RATE_LIMITED;
	if (otp_code(code) != 0 || otp_digest(r.id, code, digest) != 0)
		return ANX_ERR_INTERNAL;
	p[0] = r.id;
	p[1] = digest;
	if ((err = anx_db_exec(db, SQL_OTP_SET, 2, p, NULL)) != ANX_OK)
		goto out;
	if ((err = anx_approval_eval_ctx(db, r.evaluation_id, &ctx)) != ANX_OK)
		goto out;
	json_object_object_add(ctx, "code", json_object_new_string(code));
	json_object_object_add(ctx, "stage_number", json_object_new_int(r.stage_idx + 1));
	if ((err = anx_approval_mail(
		     db, "otp", r.workspace_id, r.evaluation_id, r.email, ctx, 1)) != ANX_OK)
		goto out;
	err = audit_simple(db, &r, "approval.otp_sent");
out:
	anx_secure_zero(code, sizeof(code));
	json_object_put(ctx);
	return err;
}

enum anx_err
anx_approval_request_otp(struct anx_db *db, const struct anx_approver_ref *who)
{
	struct otp_ctx c = { who, NULL, ANX_OK };

	return anx_db_tx(db, request_tx, &c);
}

static int
six_digits(const char *s)
{
	if (s == NULL || strlen(s) != ANX_OTP_DIGITS)
		return 0;
	for (int i = 0; i < ANX_OTP_DIGITS; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return 1;
}

static enum anx_err
verify_tx(struct anx_db *db, void *arg)
{
	struct otp_ctx *c = arg;
	char digest[65] = "", failures[16], max[8];
	const char *p[2];
	struct anx_areq r;
	enum anx_err err;
	int match;

	c->result = ANX_OK;
	if ((err = anx_areq_load(db, c->who, &r)) != ANX_OK)
		return err;
	if ((err = open_check(&r)) != ANX_OK)
		return err;
	if (r.otp_verified)
		return ANX_OK;
	if (r.otp_expired) {
		c->result = ANX_ERR_OTP_INVALID; /* no live code: nothing to guess */
		return ANX_OK;
	}
	match = six_digits(c->code) && otp_digest(r.id, c->code, digest) == 0 &&
		anx_ct_equal(digest, r.otp_hash, 64);
	p[0] = r.id;
	if (match) {
		if ((err = anx_db_exec(db, SQL_OTP_OK, 1, p, NULL)) != ANX_OK)
			return err;
		return audit_simple(db, &r, "approval.otp_verified");
	}
	snprintf(max, sizeof(max), "%d", ANX_OTP_MAX_FAILURES);
	p[1] = max;
	if ((err = anx_db_value(db, SQL_OTP_FAIL, 2, p, failures, sizeof(failures))) != ANX_OK)
		return err;
	if (atoi(failures) >= ANX_OTP_MAX_FAILURES) {
		c->result = ANX_ERR_OTP_LOCKED;
		return audit_simple(db, &r, "approval.otp_locked");
	}
	c->result = ANX_ERR_OTP_INVALID;
	return audit_simple(db, &r, "approval.otp_failed");
}

enum anx_err
anx_approval_verify_otp(struct anx_db *db, const struct anx_approver_ref *who, const char *code)
{
	struct otp_ctx c = { who, code, ANX_OK };
	enum anx_err err;

	if ((err = anx_db_tx(db, verify_tx, &c)) != ANX_OK)
		return err;
	return c.result;
}
