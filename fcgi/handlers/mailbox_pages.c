/*
 * mailbox_pages.c - GET /dashboard/mailbox, development only: the email
 * outbox of the current workspace and the signed-in user's account mail,
 * with each message's links clickable and its text viewable. In
 * production the route answers 404, as if it did not exist.
 */
#include "config.h"
#include "handlers.h"
#include "mailbox.h"
#include "web.h"

enum anx_err
anx_h_mailbox(struct anx_req *req, struct anx_resp *resp)
{
	json_object *ctx, *list;
	struct anx_web *w;
	enum anx_err err;

	if (anx_cfg.production)
		return ANX_ERR_NOT_FOUND;
	if ((err = anx_web_begin(req, resp, ANX_WEB_WORKSPACE, &w)) != ANX_OK || w == NULL)
		return err;
	if ((err = anx_web_require(w, ANX_WS_VIEW)) != ANX_OK)
		return err;
	if ((err = anx_mailbox_list(req->db, w->ws_id, w->session.email, &list)) != ANX_OK)
		return err;
	ctx = json_object_new_object();
	json_object_object_add(
		ctx, "has_messages", json_object_new_boolean(json_object_array_length(list) > 0));
	json_object_object_add(ctx, "messages", list);
	return anx_web_render(w, 200, "mailbox", NULL, "Mailbox (development)", ctx);
}
