/*
 * policy_pages.c - the policy editor in the dashboard:
 *   GET  /dashboard/policies                 current version, editor, built-in
 *                                            templates (?template=id), a past
 *                                            version to start from (?version=n),
 *                                            version history (?before=n pages)
 *   POST /dashboard/policies/validate        check the draft: errors at paths
 *   POST /dashboard/policies/simulate        run the draft over recent traffic
 *   POST /dashboard/policies/publish         publish it as the next version
 *   GET  /dashboard/policies/versions/{n}    one version
 *   GET  /dashboard/policies/diff?from=&to=  line diff of two versions
 * Everyone may read; validate, simulate and publish are for owners and
 * admins of a workspace that is not archived. The draft always comes back
 * in the editor exactly as typed.
 */
#include <stdlib.h>
#include <string.h>

#include "dash_list.h"
#include "handlers.h"
#include "policy.h"
#include "policy_edit.h"
#include "policy_store.h"
#include "web.h"

enum draft_from { FROM_CURRENT, FROM_TEMPLATE, FROM_VERSION, FROM_USER };

/* What the page shows besides its fixed parts. */
struct page {
	const char *draft; /* editor text (NULL: the current version) */
	enum draft_from from;
	const char *from_label;  /* template name, or version text */
	json_object *validation; /* {ok, rules, message} (consumed) */
	const struct anx_verrs *errors;
	json_object *simulation; /* anx_policy_simulate's result (consumed) */
	int limit;               /* simulation size */
};

/* A version number from text: 1..1000000000, else -1. */
static int
parse_version(const char *s)
{
	char *end;
	long v;

	if (s == NULL || *s < '1' || *s > '9')
		return -1;
	v = strtol(s, &end, 10);
	return *end == '\0' && v >= 1 && v <= 1000000000 ? (int)v : -1;
}

static json_object *
templates_json(struct anx_web *w)
{
	json_object *arr = json_object_new_array();

	for (size_t i = 0; i < anx_policy_ntemplates; i++) {
		const struct anx_policy_template *t = &anx_policy_templates[i];
		json_object *o = json_object_new_object();

		json_object_object_add(o, "id", json_object_new_string(t->id));
		json_object_object_add(o, "name", json_object_new_string(t->name));
		json_object_object_add(o, "description", json_object_new_string(t->description));
		json_object_object_add(o, "href",
			json_object_new_string(anx_web_ws_url(
				w, anx_arena_printf(w->req->arena,
					   "/dashboard/policies?template=%s", t->id))));
		json_object_array_add(arr, o);
	}
	return arr;
}

/* The errors as [{path, problem}] with the document root named. */
static json_object *
errors_json(const struct anx_verrs *e)
{
	json_object *arr = json_object_new_array();

	for (size_t i = 0; e && i < e->n; i++) {
		json_object *o = json_object_new_object();

		json_object_object_add(o, "path",
			json_object_new_string(
				e->items[i].path[0] ? e->items[i].path : "(document)"));
		json_object_object_add(o, "problem", json_object_new_string(e->items[i].problem));
		json_object_array_add(arr, o);
	}
	return arr;
}

/* The simulation sizes offered (ANX_SIMULATE_MAX at most). */
static const int limits[] = { 100, 500, 1000, 5000, 10000 };

static json_object *
limits_json(int chosen)
{
	json_object *arr = json_object_new_array();

	for (size_t i = 0; i < sizeof(limits) / sizeof(limits[0]); i++) {
		json_object *o = json_object_new_object();

		json_object_object_add(o, "value", json_object_new_int(limits[i]));
		json_object_object_add(o, "selected", json_object_new_boolean(limits[i] == chosen));
		json_object_array_add(arr, o);
	}
	return arr;
}

static const char *const sim_times[] = { "created_at", NULL };

/* Marks the simulation's summary rows whose decision stays the same. */
static void
mark_unchanged(json_object *sim)
{
	json_object *summary;

	if (!json_object_object_get_ex(sim, "summary", &summary))
		return;
	for (size_t i = 0; i < json_object_array_length(summary); i++) {
		json_object *row = json_object_array_get_idx(summary, i);
		const char *from = anx_json_get_str(row, "from"), *to = anx_json_get_str(row, "to");

		json_object_object_add(
			row, "same", json_object_new_boolean(from && to && strcmp(from, to) == 0));
	}
}

/* Preselects the compare form: the current version against the one
 * before it. */
static void
mark_compare(json_object *hist, json_object *info)
{
	json_object *items, *v;
	int cur = 0, prev = 0;

	if (info && json_object_object_get_ex(info, "version", &v))
		cur = json_object_get_int(v);
	if (info && json_object_object_get_ex(info, "previous", &v) && v)
		prev = json_object_get_int(v);
	if (!json_object_object_get_ex(hist, "items", &items))
		return;
	for (size_t i = 0; i < json_object_array_length(items); i++) {
		json_object *it = json_object_array_get_idx(items, i);
		int n = json_object_object_get_ex(it, "version", &v) ? json_object_get_int(v) : 0;

		json_object_object_add(it, "sel_from", json_object_new_boolean(n == prev));
		json_object_object_add(it, "sel_to", json_object_new_boolean(n == cur));
	}
	json_object_object_add(
		hist, "comparable", json_object_new_boolean(json_object_array_length(items) > 1));
}

static enum anx_err
policies_page(struct anx_web *w, int status, struct page *pg)
{
	struct anx_req *req = w->req;
	json_object *ctx = json_object_new_object(), *cur = NULL, *hist = NULL, *info = NULL, *v;
	const char *before = anx_web_query(w, "before");
	enum anx_err err;
	int current = 0;

	err = anx_policy_current(req->db, w->ws_id, &cur);
	if (err == ANX_OK && json_object_object_get_ex(cur, "version", &v))
		current = json_object_get_int(v);
	json_object_put(cur);
	if (err != ANX_OK && err != ANX_ERR_NOT_FOUND)
		goto fail;
	if (current > 0 &&
		(err = anx_policy_version_info(req->db, w->ws_id, current, &info)) != ANX_OK)
		goto fail;
	if ((err = anx_policy_history(req->db, w->ws_id, parse_version(before), &hist)) != ANX_OK)
		goto fail;
	mark_compare(hist, info);
	if (pg->simulation && json_object_object_get_ex(pg->simulation, "changed", &v)) {
		json_object *total;
		int64_t t = json_object_object_get_ex(pg->simulation, "changed_total", &total)
				    ? json_object_get_int64(total)
				    : 0;

		anx_dl_add_display(v, sim_times);
		mark_unchanged(pg->simulation);
		json_object_object_add(
			pg->simulation, "no_change", json_object_new_boolean(t == 0));
		json_object_object_add(pg->simulation, "changed_shown",
			json_object_new_int((int)json_object_array_length(v)));
		json_object_object_add(pg->simulation, "changed_more",
			json_object_new_boolean(t > (int64_t)json_object_array_length(v)));
	}
	if (info) {
		json_object *pretty;

		if (pg->draft == NULL && json_object_object_get_ex(info, "pretty", &pretty))
			pg->draft = anx_arena_strdup(req->arena, json_object_get_string(pretty));
		json_object_object_add(ctx, "current_policy", info);
	}
	if (pg->draft == NULL) {
		/* Nothing published yet: the first template is a good start. */
		pg->draft = anx_policy_templates[0].json;
		pg->from = FROM_TEMPLATE;
		pg->from_label = anx_policy_templates[0].name;
	}
	json_object_object_add(ctx, "draft", json_object_new_string(pg->draft));
	if (pg->from == FROM_TEMPLATE)
		json_object_object_add(
			ctx, "from_template", json_object_new_string(pg->from_label));
	else if (pg->from == FROM_VERSION)
		json_object_object_add(ctx, "from_version", json_object_new_string(pg->from_label));
	else if (pg->from == FROM_USER)
		json_object_object_add(ctx, "from_user", json_object_new_boolean(1));
	if (pg->validation)
		json_object_object_add(ctx, "validation", pg->validation);
	if (pg->errors && pg->errors->n > 0) {
		json_object_object_add(ctx, "draft_errors", errors_json(pg->errors));
		json_object_object_add(ctx, "draft_errors_any", json_object_new_boolean(1));
		json_object_object_add(ctx, "draft_errors_more",
			pg->errors->dropped ? json_object_new_int64((int64_t)pg->errors->dropped)
					    : NULL);
	}
	if (pg->simulation)
		json_object_object_add(ctx, "simulation", pg->simulation);
	json_object_object_add(ctx, "limits", limits_json(pg->limit));
	json_object_object_add(ctx, "templates", templates_json(w));
	json_object_object_add(ctx, "history", hist);
	json_object_object_add(ctx, "draft_max", json_object_new_int(ANX_POLICY_DRAFT_MAX));
	return anx_web_render(w, status, "policies", "policies", "Policies", ctx);
fail:
	json_object_put(ctx);
	json_object_put(info);
	json_object_put(hist);
	json_object_put(pg->validation);
	json_object_put(pg->simulation);
	return err;
}

enum anx_err
anx_h_policies(struct anx_req *req, struct anx_resp *resp)
{
	struct page pg = { NULL, FROM_CURRENT, NULL, NULL, NULL, NULL, ANX_SIMULATE_DEFAULT };
	const struct anx_policy_template *t;
	const char *tid, *ver;
	struct anx_web *w;
	json_object *info;
	enum anx_err err;
	int n;

	if ((err = anx_web_begin(req, resp, ANX_WEB_WORKSPACE, &w)) != ANX_OK || w == NULL)
		return err;
	if ((err = anx_web_require(w, ANX_WS_VIEW)) != ANX_OK)
		return err;
	if ((tid = anx_web_query(w, "template")) != NULL && *tid) {
		if ((t = anx_policy_template_find(tid)) == NULL) {
			req->err_message = "There is no built-in template with this id.";
			return ANX_ERR_NOT_FOUND;
		}
		pg.draft = t->json;
		pg.from = FROM_TEMPLATE;
		pg.from_label = t->name;
	} else if ((ver = anx_web_query(w, "version")) != NULL && *ver) {
		json_object *pretty;

		if ((n = parse_version(ver)) < 0 ||
			(err = anx_policy_version_info(req->db, w->ws_id, n, &info)) ==
				ANX_ERR_NOT_FOUND) {
			req->err_message =
				"There is no policy version with this number in this workspace.";
			return ANX_ERR_NOT_FOUND;
		}
		if (err != ANX_OK)
			return err;
		json_object_object_get_ex(info, "pretty", &pretty);
		pg.draft = anx_arena_strdup(req->arena, json_object_get_string(pretty));
		pg.from = FROM_VERSION;
		pg.from_label = anx_arena_printf(req->arena, "%d", n);
		json_object_put(info);
	}
	return policies_page(w, 200, &pg);
}

/* Starts a POST of the editor: admin rights, the draft as typed. */
static enum anx_err
begin_post(struct anx_req *req, struct anx_resp *resp, struct anx_web **w, struct page *pg)
{
	enum anx_err err;
	const char *draft;

	memset(pg, 0, sizeof(*pg));
	pg->limit = ANX_SIMULATE_DEFAULT;
	if ((err = anx_web_begin(req, resp, ANX_WEB_WORKSPACE, w)) != ANX_OK || *w == NULL)
		return err;
	if ((err = anx_web_require(*w, ANX_WS_ADMIN)) != ANX_OK)
		return err;
	draft = anx_web_form(*w, "document");
	pg->draft = draft ? draft : "";
	pg->from = FROM_USER;
	return ANX_OK;
}

static json_object *
verdict(int ok, int rules, const char *message)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "ok", json_object_new_boolean(ok));
	json_object_object_add(o, "rules", json_object_new_int(rules));
	json_object_object_add(o, "message", json_object_new_string(message));
	return o;
}

enum anx_err
anx_h_policy_validate(struct anx_req *req, struct anx_resp *resp)
{
	struct anx_verrs *e;
	struct anx_web *w;
	struct page pg;
	json_object *doc;
	enum anx_err err;
	int rules;

	if ((err = begin_post(req, resp, &w, &pg)) != ANX_OK || w == NULL)
		return err;
	if ((e = anx_req_verrs(req)) == NULL)
		return ANX_ERR_NOMEM;
	if (anx_policy_draft_parse(pg.draft, &doc, &rules, e) != ANX_OK) {
		pg.errors = e;
		pg.validation = verdict(0, 0, "The draft has problems; nothing was published.");
		return policies_page(w, 422, &pg);
	}
	json_object_put(doc);
	pg.validation = verdict(1, rules,
		anx_arena_printf(req->arena,
			"The draft is valid: %d rule%s. Nothing is published until "
			"you press Publish.",
			rules, rules == 1 ? "" : "s"));
	return policies_page(w, 200, &pg);
}

enum anx_err
anx_h_policy_simulate_page(struct anx_req *req, struct anx_resp *resp)
{
	const char *lim;
	struct anx_verrs *e;
	struct anx_web *w;
	struct page pg;
	json_object *doc, *sim;
	enum anx_err err;
	int rules;

	if ((err = begin_post(req, resp, &w, &pg)) != ANX_OK || w == NULL)
		return err;
	if ((e = anx_req_verrs(req)) == NULL)
		return ANX_ERR_NOMEM;
	if ((lim = anx_web_form(w, "limit")) != NULL)
		for (size_t i = 0; i < sizeof(limits) / sizeof(limits[0]); i++)
			if (atoi(lim) == limits[i])
				pg.limit = limits[i];
	if (anx_policy_draft_parse(pg.draft, &doc, &rules, e) != ANX_OK) {
		pg.errors = e;
		pg.validation = verdict(0, 0, "Fix the draft before simulating it.");
		return policies_page(w, 422, &pg);
	}
	err = anx_policy_simulate(req->db, w->ws_id, doc, pg.limit, "", e, &sim);
	json_object_put(doc);
	if (err == ANX_ERR_VALIDATION) {
		pg.errors = e;
		pg.validation = verdict(0, 0, "Fix the draft before simulating it.");
		return policies_page(w, 422, &pg);
	}
	if (err != ANX_OK)
		return err;
	pg.simulation = sim;
	return policies_page(w, 200, &pg);
}

enum anx_err
anx_h_policy_publish(struct anx_req *req, struct anx_resp *resp)
{
	struct anx_actor by;
	struct anx_verrs *e;
	struct anx_web *w;
	struct page pg;
	json_object *doc, *out, *v;
	enum anx_err err;
	int rules, version = 0;

	if ((err = begin_post(req, resp, &w, &pg)) != ANX_OK || w == NULL)
		return err;
	if ((e = anx_req_verrs(req)) == NULL)
		return ANX_ERR_NOMEM;
	if (anx_policy_draft_parse(pg.draft, &doc, &rules, e) != ANX_OK) {
		pg.errors = e;
		pg.validation = verdict(0, 0, "The draft has problems; nothing was published.");
		return policies_page(w, 422, &pg);
	}
	by.type = "user";
	by.id = w->session.user_id;
	err = anx_policy_publish(req->db, w->ws_id, doc, &by, e, &out);
	json_object_put(doc);
	if (err == ANX_ERR_VALIDATION) {
		pg.errors = e;
		pg.validation = verdict(0, 0, "The draft has problems; nothing was published.");
		return policies_page(w, 422, &pg);
	}
	if (err != ANX_OK)
		return err;
	if (json_object_object_get_ex(out, "version", &v))
		version = json_object_get_int(v);
	json_object_put(out);
	anx_web_flash(w, "success",
		"Version %d is published with %d rule%s. It decides every evaluation from now on.",
		version, rules, rules == 1 ? "" : "s");
	return anx_web_redirect(w, anx_web_ws_url(w, "/dashboard/policies"));
}

enum anx_err
anx_h_policy_version_page(struct anx_req *req, struct anx_resp *resp)
{
	struct anx_web *w;
	json_object *ctx;
	enum anx_err err;
	int n;

	if ((err = anx_web_begin(req, resp, ANX_WEB_WORKSPACE, &w)) != ANX_OK || w == NULL)
		return err;
	if ((err = anx_web_require(w, ANX_WS_VIEW)) != ANX_OK)
		return err;
	n = parse_version(anx_req_route_param(req, "version"));
	if (n < 0 ||
		(err = anx_policy_version_info(req->db, w->ws_id, n, &ctx)) == ANX_ERR_NOT_FOUND) {
		req->err_message = "There is no policy version with this number in this workspace.";
		return ANX_ERR_NOT_FOUND;
	}
	if (err != ANX_OK)
		return err;
	return anx_web_render(w, 200, "policy-version", "policies",
		anx_arena_printf(req->arena, "Policy version %d", n), ctx);
}

enum anx_err
anx_h_policy_diff_page(struct anx_req *req, struct anx_resp *resp)
{
	struct anx_web *w;
	json_object *ctx, *hist = NULL, *items = NULL;
	enum anx_err err;
	int from, to;

	if ((err = anx_web_begin(req, resp, ANX_WEB_WORKSPACE, &w)) != ANX_OK || w == NULL)
		return err;
	if ((err = anx_web_require(w, ANX_WS_VIEW)) != ANX_OK)
		return err;
	from = parse_version(anx_web_query(w, "from"));
	to = parse_version(anx_web_query(w, "to"));
	if (from < 0 || to < 0) {
		req->err_message = "Choose two versions to compare (from and to).";
		return ANX_ERR_INVALID;
	}
	if ((err = anx_policy_diff(req->db, w->ws_id, from, to, &ctx)) == ANX_ERR_NOT_FOUND) {
		req->err_message = "There is no policy version with this number in this workspace.";
		return ANX_ERR_NOT_FOUND;
	}
	if (err != ANX_OK)
		return err;
	/* The version pickers: the latest page of the history. */
	if ((err = anx_policy_history(req->db, w->ws_id, 0, &hist)) != ANX_OK) {
		json_object_put(ctx);
		return err;
	}
	json_object_object_get_ex(hist, "items", &items);
	for (size_t i = 0; i < json_object_array_length(items); i++) {
		json_object *it = json_object_array_get_idx(items, i), *v;
		int n = json_object_object_get_ex(it, "version", &v) ? json_object_get_int(v) : 0;

		json_object_object_add(it, "sel_from", json_object_new_boolean(n == from));
		json_object_object_add(it, "sel_to", json_object_new_boolean(n == to));
	}
	json_object_object_add(ctx, "history", hist);
	json_object_object_add(ctx, "from_n", json_object_new_int(from));
	json_object_object_add(ctx, "to_n", json_object_new_int(to));
	return anx_web_render(w, 200, "policy-diff", "policies",
		anx_arena_printf(req->arena, "Policy v%d → v%d", from, to), ctx);
}
