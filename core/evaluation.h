/*
 * evaluation.h - POST /api/v1/evaluate and GET /api/v1/evaluations/{id}:
 * validating the request, deciding with the workspace's policy, recording
 * the evaluation and its audit event atomically, idempotent replays, and
 * the evaluation's JSON representation (also used by webhooks and MCP).
 */
#ifndef ANX_EVALUATION_H
#define ANX_EVALUATION_H

#include <json-c/json.h>

#include "auth.h"
#include "buf.h"
#include "db.h"
#include "json.h"

#define ANX_IDEM_KEY_MAX      128
#define ANX_CONTEXT_MAX_BYTES (32 * 1024)
#define ANX_CONTEXT_MAX_DEPTH 16

/* A validated evaluate request. Strings and context are borrowed from the
 * parsed body and live as long as it does; NULL means absent. */
struct anx_eval_input {
	const char *action;
	const char *agent_id;
	const char *resource;
	const char *currency;
	const char *summary;
	const char *webhook_url;
	int has_amount;
	double amount;
	char amount_text[40]; /* canonical (JCS) spelling for numeric */
	json_object *context; /* an object, or NULL */
};

/* Validates body against the evaluate schema (unknown fields rejected).
 * ANX_OK or ANX_ERR_VALIDATION with every problem in e. */
enum anx_err anx_eval_parse(json_object *body, struct anx_eval_input *in, struct anx_verrs *e);

/*
 * Parses an Idempotency-Key header: 1..128 printable ASCII characters,
 * optionally wrapped in double quotes (removed). NULL header → *out = ""
 * and ANX_OK. Otherwise ANX_ERR_IDEM_INVALID.
 */
enum anx_err anx_idem_key_parse(const char *header, char out[ANX_IDEM_KEY_MAX + 1]);

/* action_hash = hex SHA-256 of JCS({action, agent_id, resource, amount,
 * currency, context}); absent values are null, absent context is {}. */
int anx_eval_action_hash(const struct anx_eval_input *in, char out[65]);

/*
 * Decides and records an evaluation for principal p. body is the parsed
 * request (for the idempotency fingerprint), idem_key "" for none. On
 * ANX_OK, out holds the response body and *replayed says whether it is a
 * stored replay. The statement that records it confirms p (key not
 * revoked, workspace not archived, policy still current), so p may come
 * from anx_auth_api_key_cached; when it does not hold, p is reloaded and
 * the request decided again. Errors: those of anx_auth_api_key (with *why),
 * ANX_ERR_IDEM_REUSED, ANX_ERR_IDEM_IN_PROGRESS, ANX_ERR_UNAVAILABLE,
 * ANX_ERR_INTERNAL.
 */
enum anx_err anx_evaluate(struct anx_db *db, struct anx_principal *p, json_object *body,
	const struct anx_eval_input *in, const char *idem_key, struct anx_buf *out, int *replayed,
	const char **why);

/*
 * Loads evaluation id of workspace ws as its full JSON representation
 * (stages with decisions, receipt) into *out (a new reference).
 * ANX_ERR_NOT_FOUND for unknown ids, malformed ids or another workspace's.
 */
enum anx_err anx_eval_get(struct anx_db *db, const char *ws, const char *id, json_object **out);

#endif
