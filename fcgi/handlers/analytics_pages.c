/*
 * analytics_pages.c - governance analytics in the dashboard:
 *   GET /dashboard/analytics?range=7d|30d|90d   (default 30d)
 * volume per day by decision, approval rate, time to decision, rejections
 * by rule, action and approver: server-rendered SVG charts, each with its
 * numbers in a table. Read-only: every member may see it.
 */
#include "analytics.h"
#include "handlers.h"
#include "web.h"

static const struct {
	const char *key, *label;
	int days;
} ranges[] = {
	{ "7d", "7 days", 7 },
	{ "30d", "30 days", 30 },
	{ "90d", "90 days", 90 },
};

enum anx_err
anx_h_analytics(struct anx_req *req, struct anx_resp *resp)
{
	json_object *ctx = NULL, *list;
	struct anx_web *w;
	enum anx_err err;
	int days = 30;

	if ((err = anx_web_begin(req, resp, ANX_WEB_WORKSPACE, &w)) != ANX_OK || w == NULL)
		return err;
	if ((err = anx_web_require(w, ANX_WS_VIEW)) != ANX_OK)
		return err;
	/* An unknown period falls back to the default on purpose: the links
	 * offer only the three. */
	if (anx_analytics_range_parse(anx_web_query(w, "range"), &days) != 0)
		days = 30;
	if ((err = anx_analytics_page(req->db, w->ws_id, days, &ctx)) != ANX_OK)
		return err;
	list = json_object_new_array();
	for (size_t i = 0; i < sizeof(ranges) / sizeof(ranges[0]); i++) {
		json_object *r = json_object_new_object();
		const char *href = anx_arena_printf(
			req->arena, "/dashboard/analytics?range=%s", ranges[i].key);

		json_object_object_add(r, "label", json_object_new_string(ranges[i].label));
		json_object_object_add(r, "href",
			json_object_new_string(
				href ? anx_web_ws_url(w, href) : "/dashboard/analytics"));
		if (ranges[i].days == days)
			json_object_object_add(r, "current", json_object_new_boolean(1));
		json_object_array_add(list, r);
	}
	json_object_object_add(ctx, "ranges", list);
	return anx_web_render(w, 200, "analytics", "analytics", "Analytics", ctx);
}
