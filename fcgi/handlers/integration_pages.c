/*
 * integration_pages.c - integrator settings in the dashboard:
 *   GET  /dashboard/integrations             the signing secret (prefix and
 *                                            fingerprint only), the hostname
 *                                            allowlist, replay-admin-only
 *   POST /dashboard/integrations/rotate      new signing secret, shown once in
 *                                            this response; the old one keeps
 *                                            signing for 24 hours
 *   POST /dashboard/integrations/allowlist   replace the allowlist
 *   POST /dashboard/integrations/replay      set replay-admin-only
 * Changes are for owners and admins of a workspace that is not archived,
 * and are audited by the core functions.
 */
#include <string.h>

#include "crypto.h"
#include "handlers.h"
#include "integrations.h"
#include "webhook.h"
#include "web.h"

/* Renders the page; new_secret (may be NULL) is shown once; text and e
 * refill the allowlist form after a refused change. */
static enum anx_err
settings_page(struct anx_web *w, int status, json_object *new_secret, const char *text,
	const struct anx_verrs *e)
{
	json_object *ctx, *errs;
	enum anx_err err;

	if ((err = anx_integrations_get(w->req->db, w->ws_id, &ctx)) != ANX_OK) {
		json_object_put(new_secret);
		return err;
	}
	if (new_secret)
		json_object_object_add(ctx, "new_secret", new_secret);
	if (text)
		json_object_object_add(ctx, "allowlist_text", json_object_new_string(text));
	if ((errs = anx_web_errors(e)) != NULL)
		json_object_object_add(ctx, "errors", errs);
	json_object_object_add(
		ctx, "rotation_hours", json_object_new_int(ANX_WEBHOOK_ROTATION_SECONDS / 3600));
	json_object_object_add(ctx, "allowlist_max", json_object_new_int(ANX_ALLOWLIST_MAX));
	return anx_web_render(w, status, "integrations", "integrations", "Integrations", ctx);
}

enum anx_err
anx_h_integrations(struct anx_req *req, struct anx_resp *resp)
{
	struct anx_web *w;
	enum anx_err err;

	if ((err = anx_web_begin(req, resp, ANX_WEB_WORKSPACE, &w)) != ANX_OK || w == NULL)
		return err;
	if ((err = anx_web_require(w, ANX_WS_VIEW)) != ANX_OK)
		return err;
	return settings_page(w, 200, NULL, NULL, NULL);
}

enum anx_err
anx_h_integrations_rotate(struct anx_req *req, struct anx_resp *resp)
{
	char secret[ANX_WEBHOOK_SECRET_TEXT_LEN + 1];
	struct anx_web *w;
	json_object *s;
	enum anx_err err;

	if ((err = anx_web_begin(req, resp, ANX_WEB_WORKSPACE, &w)) != ANX_OK || w == NULL)
		return err;
	if ((err = anx_web_require(w, ANX_WS_ADMIN)) != ANX_OK)
		return err;
	if ((err = anx_webhook_rotate_secret(
		     req->db, w->ws_id, "user", w->session.user_id, secret)) != ANX_OK)
		return err;
	s = json_object_new_string(secret);
	anx_secure_zero(secret, sizeof(secret));
	/* 201 with the page itself: the secret is in no URL, cookie or
	 * stored flash, and a reload asks before posting again. */
	err = settings_page(w, 201, json_object_get(s), NULL, NULL);
	anx_secure_zero((char *)json_object_get_string(s), (size_t)json_object_get_string_len(s));
	json_object_put(s);
	return err;
}

enum anx_err
anx_h_integrations_allowlist(struct anx_req *req, struct anx_resp *resp)
{
	struct anx_verrs *e;
	struct anx_web *w;
	json_object *entries = NULL;
	const char *text;
	enum anx_err err;
	size_t n;

	if ((err = anx_web_begin(req, resp, ANX_WEB_WORKSPACE, &w)) != ANX_OK || w == NULL)
		return err;
	if ((err = anx_web_require(w, ANX_WS_ADMIN)) != ANX_OK)
		return err;
	if ((e = anx_req_verrs(req)) == NULL)
		return ANX_ERR_NOMEM;
	text = anx_web_form(w, "allowlist");
	if (text == NULL)
		text = "";
	if (anx_allowlist_parse(text, &entries, e) > 0) {
		json_object_put(entries);
		return settings_page(w, 422, NULL, text, e);
	}
	err = anx_integrations_set_allowlist(req->db, w->ws_id, w->session.user_id, entries);
	n = json_object_array_length(entries);
	json_object_put(entries);
	if (err == ANX_ERR_NOT_FOUND) {
		anx_verrs_add(e, "allowlist",
			"This workspace has no signing secret yet: rotate it once, "
			"then set the allowlist.");
		return settings_page(w, 409, NULL, text, e);
	}
	if (err != ANX_OK)
		return err;
	if (n == 0)
		anx_web_flash(w, "success",
			"The allowlist is empty: webhook URLs may name any public host again.");
	else
		anx_web_flash(w, "success",
			"Allowlist saved: webhook URLs must now name one of %zu host%s. It is "
			"checked "
			"at evaluate time and before every delivery attempt.",
			n, n == 1 ? "" : "s");
	return anx_web_redirect(w, anx_web_ws_url(w, "/dashboard/integrations"));
}

enum anx_err
anx_h_integrations_replay(struct anx_req *req, struct anx_resp *resp)
{
	struct anx_web *w;
	const char *v;
	enum anx_err err;
	int on;

	if ((err = anx_web_begin(req, resp, ANX_WEB_WORKSPACE, &w)) != ANX_OK || w == NULL)
		return err;
	if ((err = anx_web_require(w, ANX_WS_ADMIN)) != ANX_OK)
		return err;
	v = anx_web_form(w, "replay_admin_only");
	on = v != NULL && (strcmp(v, "on") == 0 || strcmp(v, "1") == 0 || strcmp(v, "true") == 0);
	err = anx_integrations_set_replay_admin_only(req->db, w->ws_id, w->session.user_id, on);
	if (err == ANX_ERR_NOT_FOUND) {
		req->err_message = "This workspace has no integration settings yet: rotate the "
				   "signing secret once first.";
		return ANX_ERR_CONFLICT;
	}
	if (err != ANX_OK)
		return err;
	anx_web_flash(w, "success", "%s",
		on ? "Only owners and admins can replay webhook deliveries now."
		   : "Every member can replay webhook deliveries now.");
	return anx_web_redirect(w, anx_web_ws_url(w, "/dashboard/integrations"));
}
