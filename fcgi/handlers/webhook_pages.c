/*
 * webhook_pages.c - webhook deliveries in the dashboard:
 *   GET  /dashboard/webhooks                 list (?status=pending|delivered|dead,
 *                                            pages with ?before=<delivery id>)
 *   GET  /dashboard/webhooks/{id}            detail with every attempt
 *   POST /dashboard/webhooks/replay          replay one or the selected ones
 *   POST /dashboard/webhooks/replay-failed   replay every failed delivery
 *                                            with a failed attempt since a time
 * Replaying follows the workspace's rule (anx_webhook_replay_permitted:
 * every member, or owners and admins when replay_admin_only is set) and
 * is refused in an archived workspace. Replays are audited
 * (webhook.replayed) by core/webhook.c.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "auth.h"
#include "dash_list.h"
#include "handlers.h"
#include "parse.h"
#include "webhook.h"
#include "web.h"

#define PAGE 50

static const char *const statuses[] = { "pending", "delivered", "dead", NULL };
static const char *const list_times[] = { "created_at", "delivered_at", "dead_at",
	"next_attempt_at", "last_attempt_at", NULL };

/* ANX_OK if the member may replay here, else the 403 with a reason. */
static enum anx_err
may_replay(struct anx_web *w)
{
	enum anx_err err;

	if ((err = anx_web_require(w, ANX_WS_VIEW)) != ANX_OK)
		return err;
	if (w->archived) {
		w->req->err_message =
			"This workspace is archived, so it is read-only. An owner can "
			"restore it from Settings.";
		return ANX_ERR_FORBIDDEN;
	}
	err = anx_webhook_replay_permitted(w->req->db, w->ws_id, anx_role_name(w->role));
	if (err == ANX_ERR_FORBIDDEN)
		w->req->err_message = "In this workspace only owners and admins can replay "
				      "webhook deliveries.";
	return err;
}

/* Adds "replayed" (bool) to a delivery: templates treat 0 as true. */
static void
mark_replayed(json_object *d)
{
	json_object *v;

	json_object_object_add(d, "replayed",
		json_object_new_boolean(json_object_object_get_ex(d, "replays", &v) && v &&
					json_object_get_int(v) > 0));
}

/* 24 hours ago as <input type="datetime-local"> wants it, in UTC. */
static const char *
since_default(char out[24])
{
	time_t t = time(NULL) - 86400;
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, 24, "%Y-%m-%dT%H:%M", &tm);
	return out;
}

/* The status filter from the query, or NULL (and *bad set) if invalid. */
static const char *
status_filter(const char *s, int *bad)
{
	*bad = 0;
	if (s == NULL || *s == '\0')
		return NULL;
	for (size_t i = 0; statuses[i]; i++)
		if (strcmp(s, statuses[i]) == 0)
			return statuses[i];
	*bad = 1;
	return NULL;
}

enum anx_err
anx_h_webhooks(struct anx_req *req, struct anx_resp *resp)
{
	const char *status, *before;
	char since[24];
	struct anx_web *w;
	json_object *ctx, *list, *opts;
	enum anx_err err;
	int bad, n;

	if ((err = anx_web_begin(req, resp, ANX_WEB_WORKSPACE, &w)) != ANX_OK || w == NULL)
		return err;
	if ((err = anx_web_require(w, ANX_WS_VIEW)) != ANX_OK)
		return err;
	status = status_filter(anx_web_query(w, "status"), &bad);
	before = anx_web_query(w, "before");
	if (before && !anx_uuid_valid(before)) {
		before = NULL;
		bad = 1;
	}
	if ((err = anx_webhook_list(req->db, w->ws_id, status, before, PAGE + 1, &list)) != ANX_OK)
		return err;
	ctx = json_object_new_object();
	n = (int)json_object_array_length(list);
	if (n > PAGE) {
		json_object *last = json_object_array_get_idx(list, PAGE - 1);

		json_object_object_add(ctx, "next_href",
			json_object_new_string(anx_arena_printf(req->arena, "%s%s%s&before=%s",
				anx_web_ws_url(w, "/dashboard/webhooks"), status ? "&status=" : "",
				status ? status : "", anx_json_get_str(last, "id"))));
		json_object_array_del_idx(list, PAGE, (size_t)(n - PAGE));
	}
	if (before)
		json_object_object_add(ctx, "first_href",
			json_object_new_string(anx_arena_printf(req->arena, "%s%s%s",
				anx_web_ws_url(w, "/dashboard/webhooks"), status ? "&status=" : "",
				status ? status : "")));
	anx_dl_add_display(list, list_times);
	for (size_t i = 0; i < json_object_array_length(list); i++)
		mark_replayed(json_object_array_get_idx(list, i));
	json_object_object_add(
		ctx, "has_items", json_object_new_boolean(json_object_array_length(list) > 0));
	json_object_object_add(ctx, "items", list);
	opts = json_object_new_array();
	for (size_t i = 0; statuses[i]; i++) {
		json_object *o = json_object_new_object();

		json_object_object_add(o, "value", json_object_new_string(statuses[i]));
		json_object_object_add(o, "selected",
			json_object_new_boolean(status && strcmp(status, statuses[i]) == 0));
		json_object_array_add(opts, o);
	}
	json_object_object_add(ctx, "status_options", opts);
	if (status)
		json_object_object_add(ctx, "status", json_object_new_string(status));
	json_object_object_add(ctx, "can_replay", json_object_new_boolean(may_replay(w) == ANX_OK));
	req->err_message = NULL;
	json_object_object_add(ctx, "since_default", json_object_new_string(since_default(since)));
	if (bad)
		json_object_object_add(ctx, "bad_filter", json_object_new_boolean(1));
	return anx_web_render(
		w, bad ? 400 : 200, "webhooks", "webhooks", "Webhook deliveries", ctx);
}

enum anx_err
anx_h_webhook_page(struct anx_req *req, struct anx_resp *resp)
{
	static const char *const one_times[] = { "created_at", "delivered_at", "dead_at",
		"next_attempt_at", "last_attempt_at", NULL };
	static const char *const att_times[] = { "attempted_at", NULL };
	struct anx_web *w;
	const char *id, *payload;
	json_object *d = NULL, *ctx, *log, *parsed;
	enum anx_err err;

	if ((err = anx_web_begin(req, resp, ANX_WEB_WORKSPACE, &w)) != ANX_OK || w == NULL)
		return err;
	if ((err = anx_web_require(w, ANX_WS_VIEW)) != ANX_OK)
		return err;
	id = anx_dl_uuid_param(req, "id");
	if (id == NULL || (err = anx_webhook_get(req->db, w->ws_id, id, &d)) == ANX_ERR_NOT_FOUND) {
		req->err_message = "There is no webhook delivery with this id in this workspace.";
		return ANX_ERR_NOT_FOUND;
	}
	if (err != ANX_OK)
		return err;
	anx_dl_add_display_one(d, one_times);
	mark_replayed(d);
	if (json_object_object_get_ex(d, "attempts_log", &log)) {
		anx_dl_add_display(log, att_times);
		for (size_t i = 0; i < json_object_array_length(log); i++) {
			json_object *a = json_object_array_get_idx(log, i), *code;
			int c = json_object_object_get_ex(a, "status_code", &code) && code
					? json_object_get_int(code)
					: 0;

			json_object_object_add(
				a, "ok", json_object_new_boolean(c >= 200 && c < 300));
		}
	}
	if ((payload = anx_json_get_str(d, "payload")) != NULL &&
		(parsed = json_tokener_parse(payload)) != NULL) {
		json_object_object_add(d, "payload_pretty",
			json_object_new_string(json_object_to_json_string_ext(
				parsed, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
						JSON_C_TO_STRING_NOSLASHESCAPE)));
		json_object_put(parsed);
	}
	ctx = json_object_new_object();
	json_object_object_add(ctx, "d", d);
	json_object_object_add(ctx, "can_replay", json_object_new_boolean(may_replay(w) == ANX_OK));
	req->err_message = NULL;
	json_object_object_add(
		ctx, "back_href", json_object_new_string(anx_web_ws_url(w, "/dashboard/webhooks")));
	return anx_web_render(w, 200, "webhook", "webhooks", "Webhook delivery", ctx);
}

/* Where to go after a replay: the delivery's page when replayed from
 * there, else the list with its status filter. */
static const char *
back_to(struct anx_web *w, const char *one)
{
	int bad;
	const char *status = status_filter(anx_web_form(w, "status"), &bad);

	if (one)
		return anx_web_ws_url(
			w, anx_arena_printf(w->req->arena, "/dashboard/webhooks/%s", one));
	return anx_arena_printf(w->req->arena, "%s%s%s", anx_web_ws_url(w, "/dashboard/webhooks"),
		status ? "&status=" : "", status ? status : "");
}

static void
flash_count(struct anx_web *w, int count)
{
	if (count == 0)
		anx_web_flash(w, "info",
			"Nothing was replayed: no matching delivery failed in that period.");
	else
		anx_web_flash(w, "success",
			"%d deliver%s queued again with a fresh retry budget; the worker sends %s "
			"now. "
			"Receivers see the same webhook-id, so they can de-duplicate.",
			count, count == 1 ? "y is" : "ies are", count == 1 ? "it" : "them");
}

enum anx_err
anx_h_webhook_replay(struct anx_req *req, struct anx_resp *resp)
{
	const char *ids[ANX_WEBHOOK_REPLAY_MAX], *one;
	const struct anx_kvlist *form;
	struct anx_web *w;
	enum anx_err err;
	size_t n = 0;
	int count;

	if ((err = anx_web_begin(req, resp, ANX_WEB_WORKSPACE, &w)) != ANX_OK || w == NULL)
		return err;
	if ((err = may_replay(w)) != ANX_OK)
		return err;
	if ((err = anx_req_form(req, &form)) != ANX_OK)
		return err;
	for (size_t i = 0; i < form->n && n < ANX_WEBHOOK_REPLAY_MAX; i++)
		if (strcmp(form->items[i].key, "id") == 0) {
			if (!anx_uuid_valid(form->items[i].val)) {
				req->err_message =
					"There is no webhook delivery with this id in this "
					"workspace.";
				return ANX_ERR_NOT_FOUND;
			}
			ids[n++] = form->items[i].val;
		}
	if (n == 0) {
		anx_web_flash(w, "error", "Select at least one delivery to replay.");
		return anx_web_redirect(w, back_to(w, NULL));
	}
	one = anx_web_form(w, "from_detail") && n == 1 ? ids[0] : NULL;
	err = anx_webhook_replay_by(
		req->db, w->ws_id, ids, n, NULL, "user", w->session.user_id, &count, NULL);
	if (err != ANX_OK)
		return err;
	/* Ids of another workspace are simply not replayed (the statement
	 * is scoped to this one); a single one of them is a 404. */
	if (n == 1 && count == 0) {
		req->err_message = "There is no webhook delivery with this id in this workspace.";
		return ANX_ERR_NOT_FOUND;
	}
	flash_count(w, count);
	return anx_web_redirect(w, back_to(w, one));
}

enum anx_err
anx_h_webhook_replay_failed(struct anx_req *req, struct anx_resp *resp)
{
	char since[40];
	const char *v;
	struct anx_web *w;
	enum anx_err err;
	int count;

	if ((err = anx_web_begin(req, resp, ANX_WEB_WORKSPACE, &w)) != ANX_OK || w == NULL)
		return err;
	if ((err = may_replay(w)) != ANX_OK)
		return err;
	v = anx_web_text(w, "since");
	/* <input type="datetime-local"> sends "YYYY-MM-DDTHH:MM" (UTC here). */
	if (strlen(v) == 16 && v[10] == 'T')
		snprintf(since, sizeof(since), "%s:00Z", v);
	else
		snprintf(since, sizeof(since), "%s", v);
	if (!anx_webhook_time_valid(since)) {
		anx_web_flash(w, "error", "Give the start time as a date and time (UTC).");
		return anx_web_redirect(w, back_to(w, NULL));
	}
	err = anx_webhook_replay_by(
		req->db, w->ws_id, NULL, 0, since, "user", w->session.user_id, &count, NULL);
	if (err == ANX_ERR_VALIDATION) {
		anx_web_flash(w, "error", "Give the start time as a date and time (UTC).");
		return anx_web_redirect(w, back_to(w, NULL));
	}
	if (err != ANX_OK)
		return err;
	flash_count(w, count);
	return anx_web_redirect(w, back_to(w, NULL));
}
