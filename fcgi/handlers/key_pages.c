/*
 * key_pages.c - API keys in the dashboard:
 *   GET  /dashboard/keys          list (prefix, label, scope, created, last used)
 *   POST /dashboard/keys/create   create; the secret is shown exactly once,
 *                                 in this response (never stored, never
 *                                 redirected through a URL or the session)
 *   POST /dashboard/keys/revoke   revoke (another workspace's key id is 404)
 * anx_apikey_create/revoke audit api_key.created / api_key.revoked.
 */
#include <string.h>

#include "apikey.h"
#include "auth.h"
#include "handlers.h"
#include "web.h"

/* Renders the keys page; new_key (consumed, may be NULL) is the secret
 * just created. */
static enum anx_err
keys_page(struct anx_web *w, int status, json_object *new_key, const struct anx_verrs *e)
{
	json_object *ctx, *keys = NULL, *errs;
	const char *label = anx_web_text(w, "label"), *scope = anx_web_text(w, "scope");
	size_t active = 0;
	enum anx_err err;

	if ((err = anx_ws_keys(w->req->db, w->ws_id, &keys)) != ANX_OK) {
		json_object_put(new_key);
		return err;
	}
	for (size_t i = 0; i < json_object_array_length(keys); i++)
		active += !anx_json_get_bool(json_object_array_get_idx(keys, i), "revoked", 0);
	ctx = json_object_new_object();
	json_object_object_add(ctx, "keys", keys);
	json_object_object_add(ctx, "active", json_object_new_int((int)active));
	json_object_object_add(
		ctx, "has_keys", json_object_new_boolean(json_object_array_length(keys) > 0));
	if (json_object_array_length(keys) > active)
		json_object_object_add(ctx, "revoked_count",
			json_object_new_int((int)(json_object_array_length(keys) - active)));
	if (new_key != NULL)
		json_object_object_add(ctx, "new_key", new_key);
	else if (*label)
		json_object_object_add(ctx, "label", json_object_new_string(label));
	json_object_object_add(ctx, "scope_admin",
		json_object_new_boolean(new_key == NULL && strcmp(scope, "admin") == 0));
	if ((errs = anx_web_errors(e)) != NULL)
		json_object_object_add(ctx, "errors", errs);
	return anx_web_render(w, status, "keys", "keys", "API keys", ctx);
}

enum anx_err
anx_h_keys(struct anx_req *req, struct anx_resp *resp)
{
	struct anx_web *w;
	enum anx_err err;

	if ((err = anx_web_begin(req, resp, ANX_WEB_WORKSPACE, &w)) != ANX_OK || w == NULL)
		return err;
	if ((err = anx_web_require(w, ANX_WS_VIEW)) != ANX_OK)
		return err;
	return keys_page(w, 200, NULL, NULL);
}

enum anx_err
anx_h_key_create(struct anx_req *req, struct anx_resp *resp)
{
	char key[ANX_APIKEY_LEN + 1], id[37], prefix[ANX_APIKEY_PREFIX_LEN + 1];
	enum anx_scope scope = ANX_SCOPE_AGENT;
	const char *label, *why;
	struct anx_verrs *e;
	struct anx_web *w;
	json_object *nk, *secret;
	enum anx_err err;

	if ((err = anx_web_begin(req, resp, ANX_WEB_WORKSPACE, &w)) != ANX_OK || w == NULL)
		return err;
	if ((err = anx_web_require(w, ANX_WS_KEYS)) != ANX_OK)
		return err;
	if ((e = anx_req_verrs(req)) == NULL)
		return ANX_ERR_NOMEM;
	label = anx_web_text(w, "label");
	if ((why = anx_key_label_problem(label)) != NULL)
		anx_verrs_add(e, "label", "%s", why);
	if (anx_scope_parse(anx_web_text(w, "scope"), &scope) != 0)
		anx_verrs_add(e, "scope", "Choose agent or admin.");
	if (e->n > 0)
		return keys_page(w, 422, NULL, e);
	err = anx_apikey_create(req->db, w->ws_id, scope, label, w->session.user_id, key, id);
	if (err != ANX_OK)
		return err;
	memcpy(prefix, key, ANX_APIKEY_PREFIX_LEN);
	prefix[ANX_APIKEY_PREFIX_LEN] = '\0';
	nk = json_object_new_object();
	secret = json_object_new_string(key);
	json_object_object_add(nk, "secret", json_object_get(secret));
	json_object_object_add(nk, "id", json_object_new_string(id));
	json_object_object_add(nk, "label", json_object_new_string(label));
	json_object_object_add(nk, "scope", json_object_new_string(anx_scope_name(scope)));
	json_object_object_add(nk, "prefix", json_object_new_string(prefix));
	anx_secure_zero(key, sizeof(key));
	/* 201 with the page: a reload asks before re-posting, and the secret
	 * is not in any URL, cookie or stored flash. */
	err = keys_page(w, 201, nk, NULL);
	/* The page (in resp) is the only copy left. */
	anx_secure_zero(
		(char *)json_object_get_string(secret), (size_t)json_object_get_string_len(secret));
	json_object_put(secret);
	return err;
}

enum anx_err
anx_h_key_revoke(struct anx_req *req, struct anx_resp *resp)
{
	struct anx_web *w;
	const char *id;
	enum anx_err err;

	if ((err = anx_web_begin(req, resp, ANX_WEB_WORKSPACE, &w)) != ANX_OK || w == NULL)
		return err;
	if ((err = anx_web_require(w, ANX_WS_KEYS)) != ANX_OK)
		return err;
	if ((id = anx_web_form(w, "id")) == NULL || !anx_uuid_valid(id)) {
		req->err_message = "There is no such key in this workspace.";
		return ANX_ERR_NOT_FOUND;
	}
	err = anx_apikey_revoke(req->db, w->ws_id, id, w->session.user_id);
	if (err == ANX_ERR_NOT_FOUND)
		req->err_message = "There is no such active key in this workspace.";
	if (err != ANX_OK)
		return err;
	anx_web_flash(
		w, "success", "Key revoked. Requests that use it are refused from now on (401).");
	return anx_web_redirect(w, anx_web_ws_url(w, "/dashboard/keys"));
}
