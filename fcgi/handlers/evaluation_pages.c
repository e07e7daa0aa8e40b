/*
 * evaluation_pages.c - evaluations in the dashboard:
 *   GET /dashboard/evaluations        filtered list (status, decision,
 *                                     action, agent, rule, from, to; all in
 *                                     the URL), keyset pages of 50
 *   GET /dashboard/evaluations/{id}   detail: stages and who decided when,
 *                                     receipt and hash match, webhook
 *                                     deliveries, audit events
 * Read-only: every member may see them. Another workspace's id is 404.
 */
#include "dash_list.h"
#include "eval_list.h"
#include "handlers.h"
#include "web.h"

enum anx_err
anx_h_evaluations(struct anx_req *req, struct anx_resp *resp)
{
	struct anx_eval_filter f;
	struct anx_verrs *e;
	struct anx_web *w;
	json_object *ctx, *list = NULL, *next, *items, *errs, *sugg = NULL;
	enum anx_err err;

	if ((err = anx_web_begin(req, resp, ANX_WEB_WORKSPACE, &w)) != ANX_OK || w == NULL)
		return err;
	if ((err = anx_web_require(w, ANX_WS_VIEW)) != ANX_OK)
		return err;
	if ((e = anx_req_verrs(req)) == NULL)
		return ANX_ERR_NOMEM;
	anx_eval_filter_parse(anx_dl_query_get, w, req->arena, &f, e);
	if ((err = anx_eval_list(req->db, w->ws_id, &f, ANX_PAGE_SIZE, &list)) != ANX_OK)
		return err;
	if ((err = anx_eval_suggestions(req->db, w->ws_id, &sugg)) != ANX_OK) {
		json_object_put(list);
		return err;
	}
	ctx = json_object_new_object();
	json_object_object_get_ex(list, "items", &items);
	json_object_object_add(ctx, "items", json_object_get(items));
	json_object_object_add(
		ctx, "has_items", json_object_new_boolean(json_object_array_length(items) > 0));
	if (json_object_object_get_ex(list, "next", &next) && next)
		json_object_object_add(ctx, "next_href",
			json_object_new_string(
				anx_dl_href(w, "/dashboard/evaluations", anx_eval_filter_defs, f.v,
					ANX_EF__N, NULL, "after", json_object_get_string(next))));
	if (f.v[ANX_EF_AFTER])
		json_object_object_add(ctx, "first_href",
			json_object_new_string(anx_dl_href(w, "/dashboard/evaluations",
				anx_eval_filter_defs, f.v, ANX_EF__N, "after", NULL, NULL)));
	json_object_object_add(ctx, "clear_href",
		json_object_new_string(anx_web_ws_url(w, "/dashboard/evaluations")));
	json_object_object_add(ctx, "f", anx_dl_form(anx_eval_filter_defs, f.v, ANX_EF__N));
	json_object_object_add(ctx, "suggest", sugg);
	if ((errs = anx_web_errors(e)) != NULL)
		json_object_object_add(ctx, "errors", errs);
	json_object_put(list);
	return anx_web_render(
		w, e->n ? 400 : 200, "evaluations", "evaluations", "Evaluations", ctx);
}

/* ctx[flag] = ctx[key] is a non-empty array (templates cannot ask). */
static void
has_items(json_object *ctx, const char *key, const char *flag)
{
	json_object *v;

	json_object_object_add(ctx, flag,
		json_object_new_boolean(json_object_object_get_ex(ctx, key, &v) &&
					json_object_array_length(v) > 0));
}

/* Display times and 1-based numbers for the stages and their approvers. */
static void
add_stage_times(json_object *ctx)
{
	static const char *const stage_times[] = { "activated_at", "completed_at", NULL };
	static const char *const who_times[] = { "asked_at", "decided_at", NULL };
	static const char *const eval_times[] = { "created_at", "decided_at", NULL };
	json_object *ev, *ap, *stages, *who, *receipt;

	if (!json_object_object_get_ex(ctx, "evaluation", &ev))
		return;
	if (json_object_object_get_ex(ev, "receipt", &receipt) && receipt)
		anx_dl_add_display_one(receipt, eval_times);
	if (!json_object_object_get_ex(ev, "approval", &ap) || ap == NULL ||
		!json_object_object_get_ex(ap, "stages", &stages))
		return;
	anx_dl_add_display(stages, stage_times);
	for (size_t i = 0; i < json_object_array_length(stages); i++) {
		json_object *st = json_object_array_get_idx(stages, i);

		if (!json_object_object_get_ex(st, "number", NULL))
			json_object_object_add(st, "number", json_object_new_int((int)i + 1));
		if (json_object_object_get_ex(st, "approvers", &who))
			anx_dl_add_display(who, who_times);
	}
}

enum anx_err
anx_h_evaluation_page(struct anx_req *req, struct anx_resp *resp)
{
	struct anx_web *w;
	const char *id;
	json_object *ctx;
	enum anx_err err;

	if ((err = anx_web_begin(req, resp, ANX_WEB_WORKSPACE, &w)) != ANX_OK || w == NULL)
		return err;
	if ((err = anx_web_require(w, ANX_WS_VIEW)) != ANX_OK)
		return err;
	id = anx_dl_uuid_param(req, "id");
	if (id == NULL ||
		(err = anx_eval_detail(req->db, w->ws_id, id, &ctx)) == ANX_ERR_NOT_FOUND) {
		req->err_message = "There is no evaluation with this id in this workspace.";
		return ANX_ERR_NOT_FOUND;
	}
	if (err != ANX_OK)
		return err;
	add_stage_times(ctx);
	has_items(ctx, "deliveries", "has_deliveries");
	has_items(ctx, "audit", "has_audit");
	json_object_object_add(ctx, "back_href",
		json_object_new_string(anx_web_ws_url(w, "/dashboard/evaluations")));
	return anx_web_render(w, 200, "evaluation", "evaluations", "Evaluation", ctx);
}
