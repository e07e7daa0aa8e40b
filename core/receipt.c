/*
 * receipt.c - recording receipts; see receipt.h.
 */
#include "receipt.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "crypto.h"
#include "jcs.h"
#include "timeutil.h"

#define DETAILS_MAX_BYTES (16 * 1024)

static const char SQL_EVAL[] =
	"SELECT status, action_hash FROM evaluations WHERE id = $1 AND workspace_id = $2 FOR SHARE";
static const char SQL_INSERT[] =
	"INSERT INTO receipts (evaluation_id, workspace_id, outcome, details, action_hash,"
	" hash_match, fingerprint, response_body, api_key_id)"
	" VALUES ($1, $2, $3, $4::jsonb, $5, $6::boolean, $7, $8, $9)"
	" ON CONFLICT (evaluation_id) DO NOTHING RETURNING 1";
static const char SQL_EXISTING[] =
	"SELECT fingerprint, response_body FROM receipts WHERE evaluation_id = $1";

static const char *
check_uuid(json_object *v)
{
	return anx_uuid_valid(json_object_get_string(v)) ? NULL : "must be a UUID";
}

static const char *
check_outcome(json_object *v)
{
	const char *s = json_object_get_string(v);

	if (strcmp(s, "succeeded") && strcmp(s, "failed") && strcmp(s, "skipped"))
		return "must be one of succeeded, failed, skipped";
	return NULL;
}

static const char *
check_hash(json_object *v)
{
	const char *s = json_object_get_string(v);

	for (size_t i = 0; i < 64; i++)
		if (!isxdigit((unsigned char)s[i]) || isupper((unsigned char)s[i]))
			return "must be 64 lowercase hex characters (SHA-256)";
	return NULL;
}

static const char *
check_details(json_object *v)
{
	size_t n = 0;

	if (!json_object_is_type(v, json_type_object) && !json_object_is_type(v, json_type_string))
		return "must be an object or a string";
	json_object_to_json_string_length(v, JSON_C_TO_STRING_PLAIN, &n);
	if (n > DETAILS_MAX_BYTES)
		return "must be at most 16384 bytes as JSON";
	return NULL;
}

static const struct anx_field receipt_fields[] = {
	{ "evaluation_id", ANX_FT_STRING, 1, 36, 36, check_uuid, 0 },
	{ "outcome", ANX_FT_STRING, 1, 1, 16, check_outcome, 0 },
	{ "details", ANX_FT_ANY, 0, 0, 0, check_details, 1 },
	{ "action_hash", ANX_FT_STRING, 0, 64, 64, check_hash, 1 },
};

struct rc_ctx {
	const struct anx_principal *p;
	const char *eval_id, *outcome, *details, *hash, *fingerprint;
	struct anx_buf *out;
	int status;
	enum anx_err result; /* error to return after a committed refusal */
};

static json_object *
audit_data(const char *outcome, const char *status, const char *match)
{
	json_object *d = json_object_new_object();

	json_object_object_add(d, "outcome", json_object_new_string(outcome));
	if (status)
		json_object_object_add(d, "evaluation_status", json_object_new_string(status));
	if (match)
		json_object_object_add(d, "hash_match",
			match[0] == 't'   ? json_object_new_boolean(1)
			: match[0] == 'f' ? json_object_new_boolean(0)
					  : NULL);
	return d;
}

static enum anx_err
audit(struct anx_db *db, struct rc_ctx *c, const char *type, json_object *data)
{
	enum anx_err err = anx_audit_record(db, c->p->workspace_id, "api_key", c->p->key_id, type,
		"evaluation", c->eval_id, data);

	json_object_put(data);
	return err;
}

static enum anx_err
submit_tx(struct anx_db *db, void *arg)
{
	struct rc_ctx *c = arg;
	const char *params[9];
	char created[ANX_TS_LEN + 1], status[16];
	const char *match = NULL;
	json_object *resp;
	PGresult *res = NULL;
	enum anx_err err;

	c->result = ANX_OK;
	params[0] = c->eval_id;
	params[1] = c->p->workspace_id;
	if ((err = anx_db_exec(db, SQL_EVAL, 2, params, &res)) != ANX_OK)
		return err;
	if (PQntuples(res) != 1) {
		PQclear(res);
		return ANX_ERR_NOT_FOUND;
	}
	snprintf(status, sizeof(status), "%s", PQgetvalue(res, 0, 0));
	if (c->hash)
		match = strcmp(c->hash, PQgetvalue(res, 0, 1)) == 0 ? "true" : "false";
	PQclear(res);
	res = NULL;
	if (strcmp(status, "allowed") != 0 && strcmp(status, "approved") != 0) {
		c->result = ANX_ERR_NOT_APPROVED;
		return audit(db, c, "receipt.refused", audit_data(c->outcome, status, NULL));
	}

	anx_ts_now(created, 0);
	resp = json_object_new_object();
	json_object_object_add(resp, "evaluation_id", json_object_new_string(c->eval_id));
	json_object_object_add(resp, "outcome", json_object_new_string(c->outcome));
	json_object_object_add(
		resp, "action_hash", c->hash ? json_object_new_string(c->hash) : NULL);
	json_object_object_add(
		resp, "hash_match", match ? json_object_new_boolean(match[0] == 't') : NULL);
	json_object_object_add(resp, "created_at", json_object_new_string(created));
	anx_buf_reset(c->out);
	anx_buf_puts(c->out, json_object_to_json_string_ext(resp,
				     JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(resp);
	if (anx_buf_failed(c->out))
		return ANX_ERR_NOMEM;

	params[2] = c->outcome;
	params[3] = c->details;
	params[4] = c->hash;
	params[5] = match;
	params[6] = c->fingerprint;
	params[7] = c->out->data;
	params[8] = c->p->key_id;
	if ((err = anx_db_exec(db, SQL_INSERT, 9, params, &res)) != ANX_OK)
		return err;
	if (PQntuples(res) == 1) {
		PQclear(res);
		c->status = 201;
		if ((err = audit(db, c, "receipt.recorded", audit_data(c->outcome, NULL, match))) !=
			ANX_OK)
			return err;
		if (match && match[0] == 'f')
			return audit(db, c, "receipt.hash_mismatch",
				audit_data(c->outcome, NULL, match));
		return ANX_OK;
	}
	PQclear(res);
	if ((err = anx_db_exec(db, SQL_EXISTING, 1, params, &res)) != ANX_OK)
		return err;
	if (PQntuples(res) != 1 || strcmp(PQgetvalue(res, 0, 0), c->fingerprint) != 0) {
		PQclear(res);
		c->result = ANX_ERR_RECEIPT_CONFLICT;
		return ANX_OK;
	}
	anx_buf_reset(c->out);
	anx_buf_puts(c->out, PQgetvalue(res, 0, 1));
	PQclear(res);
	c->status = 200;
	return anx_buf_failed(c->out) ? ANX_ERR_NOMEM : ANX_OK;
}

enum anx_err
anx_receipt_submit(struct anx_db *db, const struct anx_principal *p, json_object *body,
	struct anx_verrs *e, struct anx_buf *out, int *status)
{
	struct rc_ctx c;
	struct anx_buf canon;
	char fingerprint[65];
	char *details = NULL;
	json_object *v;
	enum anx_err err;

	if (!json_object_is_type(body, json_type_object)) {
		anx_verrs_add(e, "", "must be a JSON object");
		return ANX_ERR_VALIDATION;
	}
	if (anx_json_validate(body, "", receipt_fields,
		    sizeof(receipt_fields) / sizeof(receipt_fields[0]), e) > 0)
		return ANX_ERR_VALIDATION;
	memset(&c, 0, sizeof(c));
	c.p = p;
	c.out = out;
	c.eval_id = anx_json_get_str(body, "evaluation_id");
	c.outcome = anx_json_get_str(body, "outcome");
	c.hash = anx_json_get_str(body, "action_hash");
	if (json_object_object_get_ex(body, "details", &v) && v != NULL &&
		(details = anx_json_dump(v, NULL)) == NULL)
		return ANX_ERR_NOMEM;
	c.details = details;
	anx_buf_init(&canon, 0);
	if (anx_jcs_serialize(body, &canon) != 0 ||
		anx_sha256_hex(canon.data, canon.len, fingerprint) != 0) {
		err = ANX_ERR_INTERNAL;
		goto out;
	}
	c.fingerprint = fingerprint;
	if ((err = anx_db_tx(db, submit_tx, &c)) == ANX_OK)
		err = c.result;
	*status = c.status;
out:
	anx_buf_free(&canon);
	free(details);
	return err;
}
