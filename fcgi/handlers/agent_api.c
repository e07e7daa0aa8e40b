/*
 * agent_api.c - the agent API: POST /api/v1/evaluate,
 * GET /api/v1/evaluations/{id}, POST /api/v1/receipt. Each handler
 * authenticates the key, parses and validates the body, and calls one
 * core function.
 */
#include <string.h>

#include "auth.h"
#include "evaluation.h"
#include "handlers.h"
#include "parse.h"
#include "receipt.h"
#include "webhook.h"

/* anx_api_auth; with cached non-NULL the key may come from the worker's
 * key cache (anx_auth_api_key_cached), and *cached says whether it did. */
static enum anx_err
api_auth(struct anx_req *req, enum anx_scope need, struct anx_principal **out, int *cached)
{
	struct anx_principal *p = anx_arena_alloc(req->arena, sizeof(*p));
	const char *authorization = anx_req_header(req, "HTTP_AUTHORIZATION");
	const char *why = NULL;
	enum anx_err err;

	if (p == NULL)
		return ANX_ERR_NOMEM;
	err = cached ? anx_auth_api_key_cached(req->db, authorization, need, p, &why, cached)
		     : anx_auth_api_key(req->db, authorization, need, p, &why);
	if (err != ANX_OK) {
		req->err_message = why;
		return err;
	}
	*out = p;
	return ANX_OK;
}

enum anx_err
anx_api_auth(struct anx_req *req, enum anx_scope need, struct anx_principal **out)
{
	return api_auth(req, need, out, NULL);
}

/* Allocates req->verrs for validation failures. */
struct anx_verrs *
anx_req_verrs(struct anx_req *req)
{
	if (req->verrs == NULL && (req->verrs = anx_arena_alloc(req->arena, sizeof(*req->verrs))))
		anx_verrs_init(req->verrs);
	return req->verrs;
}

/* The evaluate request after authentication: headers, body, webhook URL,
 * then the core call. */
static enum anx_err
evaluate(struct anx_req *req, struct anx_resp *resp, struct anx_principal *p)
{
	char idem[ANX_IDEM_KEY_MAX + 1];
	struct anx_eval_input in;
	struct anx_verrs *e;
	json_object *body;
	enum anx_err err;
	int replayed = 0;
	const char *why = NULL;

	if ((err = anx_idem_key_parse(anx_req_header(req, "HTTP_IDEMPOTENCY_KEY"), idem)) !=
		ANX_OK) {
		if ((e = anx_req_verrs(req)))
			anx_verrs_add(e, "headers.idempotency-key",
				"must be 1 to 128 printable ASCII characters");
		return err;
	}
	if ((err = anx_parse_json_body(req, &body)) != ANX_OK)
		return err;
	if ((e = anx_req_verrs(req)) == NULL)
		return ANX_ERR_NOMEM;
	if ((err = anx_eval_parse(body, &in, e)) != ANX_OK)
		return err;
	if (in.webhook_url) {
		char reason[256];

		err = anx_webhook_check_url(
			req->db, p->workspace_id, in.webhook_url, reason, sizeof(reason));
		if (err == ANX_ERR_UNSAFE_URL)
			anx_verrs_add(e, "webhook_url", "%s", reason);
		if (err != ANX_OK)
			return err;
	}
	err = anx_evaluate(req->db, p, body, &in, idem, &resp->body, &replayed, &why);
	if (err != ANX_OK) {
		if (why)
			req->err_message = why;
		return err;
	}
	resp->status = 200;
	resp->content_type = "application/json";
	if (replayed)
		anx_resp_header(resp, "Idempotent-Replayed", "true");
	return ANX_OK;
}

/*
 * POST /api/v1/evaluate. The key may be answered from the worker's key
 * cache (no round trip): the statement that records the evaluation
 * confirms it. Any other answer than success is given only after the key
 * is confirmed too, so a revoked key gets 401, not a validation error.
 */
enum anx_err
anx_h_evaluate(struct anx_req *req, struct anx_resp *resp)
{
	struct anx_principal *p;
	const char *why = NULL;
	enum anx_err err, aerr;
	int cached = 0;

	if ((err = api_auth(req, ANX_SCOPE_AGENT, &p, &cached)) != ANX_OK)
		return err;
	err = evaluate(req, resp, p);
	if (err == ANX_OK || !cached || err == ANX_ERR_UNAUTHORIZED || err == ANX_ERR_FORBIDDEN)
		return err;
	if ((aerr = anx_auth_reload(req->db, ANX_SCOPE_AGENT, p, &why)) != ANX_OK) {
		req->verrs = NULL;
		req->err_message = why;
		return aerr;
	}
	return err;
}

enum anx_err
anx_h_evaluation_get(struct anx_req *req, struct anx_resp *resp)
{
	struct anx_principal *p;
	json_object *o;
	enum anx_err err;

	if ((err = anx_api_auth(req, ANX_SCOPE_AGENT, &p)) != ANX_OK)
		return err;
	if ((err = anx_eval_get(req->db, p->workspace_id, anx_req_route_param(req, "id"), &o)) !=
		ANX_OK) {
		if (err == ANX_ERR_NOT_FOUND)
			req->err_message = "No such evaluation in this workspace";
		return err;
	}
	err = anx_resp_json(resp, 200, o);
	json_object_put(o);
	return err;
}

enum anx_err
anx_h_receipt(struct anx_req *req, struct anx_resp *resp)
{
	struct anx_principal *p;
	struct anx_verrs *e;
	json_object *body;
	enum anx_err err;
	int status = 0;

	if ((err = anx_api_auth(req, ANX_SCOPE_AGENT, &p)) != ANX_OK)
		return err;
	if ((err = anx_parse_json_body(req, &body)) != ANX_OK)
		return err;
	if ((e = anx_req_verrs(req)) == NULL)
		return ANX_ERR_NOMEM;
	err = anx_receipt_submit(req->db, p, body, e, &resp->body, &status);
	if (err == ANX_ERR_NOT_FOUND)
		req->err_message = "No such evaluation in this workspace";
	else if (err == ANX_ERR_NOT_APPROVED)
		req->err_message =
			"The evaluation is not allowed or approved; the attempt was recorded";
	if (err != ANX_OK)
		return err;
	resp->status = status;
	resp->content_type = "application/json";
	return ANX_OK;
}
