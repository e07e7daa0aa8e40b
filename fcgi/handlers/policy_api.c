/*
 * policy_api.c - GET/PUT /api/v1/policy and POST /api/v1/policy/simulate
 * (admin-scoped keys).
 */
#include <string.h>

#include "handlers.h"
#include "parse.h"
#include "policy_store.h"

enum anx_err
anx_h_policy_get(struct anx_req *req, struct anx_resp *resp)
{
	struct anx_principal *p;
	json_object *o;
	enum anx_err err;

	if ((err = anx_api_auth(req, ANX_SCOPE_ADMIN, &p)) != ANX_OK)
		return err;
	if ((err = anx_policy_current(req->db, p->workspace_id, &o)) != ANX_OK) {
		if (err == ANX_ERR_NOT_FOUND)
			req->err_message = "No policy is published for this workspace";
		return err;
	}
	err = anx_resp_json(resp, 200, o);
	json_object_put(o);
	return err;
}

enum anx_err
anx_h_policy_put(struct anx_req *req, struct anx_resp *resp)
{
	struct anx_principal *p;
	struct anx_actor by;
	json_object *body, *o;
	enum anx_err err;

	if ((err = anx_api_auth(req, ANX_SCOPE_ADMIN, &p)) != ANX_OK)
		return err;
	if ((err = anx_parse_json_body(req, &body)) != ANX_OK)
		return err;
	by.type = "api_key";
	by.id = p->key_id;
	if ((err = anx_policy_publish(
		     req->db, p->workspace_id, body, &by, anx_req_verrs(req), &o)) != ANX_OK) {
		if (err == ANX_ERR_VALIDATION)
			req->err_message = "The policy document is invalid";
		return err;
	}
	err = anx_resp_json(resp, 201, o);
	json_object_put(o);
	return err;
}

static const char *
check_limit(json_object *v)
{
	int64_t n = json_object_get_int64(v);

	return n < 1 || n > ANX_SIMULATE_MAX ? "must be from 1 to 10000" : NULL;
}

static const struct anx_field simulate_fields[] = {
	{ "policy", ANX_FT_OBJECT, 1, 0, 0, NULL, 0 },
	{ "limit", ANX_FT_INT, 0, 0, 0, check_limit, 1 },
};

enum anx_err
anx_h_policy_simulate(struct anx_req *req, struct anx_resp *resp)
{
	struct anx_principal *p;
	struct anx_verrs *e;
	json_object *body, *draft, *lim, *o;
	enum anx_err err;
	int limit = ANX_SIMULATE_DEFAULT;

	if ((err = anx_api_auth(req, ANX_SCOPE_ADMIN, &p)) != ANX_OK)
		return err;
	if ((err = anx_parse_json_body(req, &body)) != ANX_OK)
		return err;
	if ((e = anx_req_verrs(req)) == NULL)
		return ANX_ERR_NOMEM;
	if (!json_object_is_type(body, json_type_object)) {
		anx_verrs_add(e, "", "must be a JSON object");
		return ANX_ERR_VALIDATION;
	}
	if (anx_json_validate(body, "", simulate_fields, 2, e) > 0)
		return ANX_ERR_VALIDATION;
	json_object_object_get_ex(body, "policy", &draft);
	if (json_object_object_get_ex(body, "limit", &lim) && lim)
		limit = (int)json_object_get_int64(lim);
	if ((err = anx_policy_simulate(req->db, p->workspace_id, draft, limit, "policy", e, &o)) !=
		ANX_OK)
		return err;
	err = anx_resp_json(resp, 200, o);
	json_object_put(o);
	return err;
}
