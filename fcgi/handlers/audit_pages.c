/*
 * audit_pages.c - the audit log in the dashboard:
 *   GET  /dashboard/audit             filtered list (type, actor, subject,
 *                                     from, to; in the URL), keyset pages,
 *                                     and the hash chain's status
 *   GET  /dashboard/audit/export.csv  the filtered set as CSV, streamed
 *   POST /dashboard/audit/verify      verify the chain now
 * Every member may read the log, export it and verify it (verifying
 * changes nothing but the stored verification result).
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "audit_list.h"
#include "dash_list.h"
#include "handlers.h"
#include "log.h"
#include "web.h"

enum anx_err
anx_h_audit(struct anx_req *req, struct anx_resp *resp)
{
	struct anx_audit_filter f;
	struct anx_verrs *e;
	struct anx_web *w;
	json_object *ctx, *list = NULL, *items, *next, *chain = NULL, *types = NULL, *errs;
	enum anx_err err;

	if ((err = anx_web_begin(req, resp, ANX_WEB_WORKSPACE, &w)) != ANX_OK || w == NULL)
		return err;
	if ((err = anx_web_require(w, ANX_WS_VIEW)) != ANX_OK)
		return err;
	if ((e = anx_req_verrs(req)) == NULL)
		return ANX_ERR_NOMEM;
	anx_audit_filter_parse(anx_dl_query_get, w, req->arena, &f, e);
	if ((err = anx_audit_list(req->db, w->ws_id, &f, ANX_PAGE_SIZE, &list)) != ANX_OK ||
		(err = anx_audit_chain_status(req->db, w->ws_id, &chain)) != ANX_OK ||
		(err = anx_audit_event_types(req->db, w->ws_id, &types)) != ANX_OK) {
		json_object_put(list);
		json_object_put(chain);
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
				anx_dl_href(w, "/dashboard/audit", anx_audit_filter_defs, f.v,
					ANX_AF__N, NULL, "after", json_object_get_string(next))));
	if (f.v[ANX_AF_AFTER])
		json_object_object_add(ctx, "first_href",
			json_object_new_string(anx_dl_href(w, "/dashboard/audit",
				anx_audit_filter_defs, f.v, ANX_AF__N, "after", NULL, NULL)));
	json_object_object_add(ctx, "export_href",
		json_object_new_string(anx_dl_href(w, "/dashboard/audit/export.csv",
			anx_audit_filter_defs, f.v, ANX_AF__N, "after", NULL, NULL)));
	json_object_object_add(
		ctx, "clear_href", json_object_new_string(anx_web_ws_url(w, "/dashboard/audit")));
	json_object_object_add(ctx, "f", anx_dl_form(anx_audit_filter_defs, f.v, ANX_AF__N));
	json_object_object_add(ctx, "types", types);
	json_object_object_add(ctx, "chain", chain);
	if ((errs = anx_web_errors(e)) != NULL)
		json_object_object_add(ctx, "errors", errs);
	json_object_put(list);
	return anx_web_render(w, e->n ? 400 : 200, "audit", "audit", "Audit log", ctx);
}

/* The export, run by fcgi/main.c after the head is sent. */
struct export
{
	struct anx_db *db;
	char ws[37];
	struct anx_audit_filter f;
	const char *request_id;
	anx_stream_write_fn write;
	void *wctx;
};

static int
export_sink(void *ctx, const char *data, size_t n)
{
	struct export *x = ctx;

	return x->write(x->wctx, data, n);
}

static enum anx_err
export_stream(void *ctx, anx_stream_write_fn write, void *wctx)
{
	struct export *x = ctx;
	long long rows = 0;
	enum anx_err err;
	char tail[200];
	int n;

	x->write = write;
	x->wctx = wctx;
	err = anx_audit_export_csv(x->db, x->ws, &x->f, export_sink, x, &rows);
	if (err != ANX_OK) {
		/* Too late for an error status: say so where the reader looks. */
		n = snprintf(tail, sizeof(tail),
			"# ERROR: the export stopped after %lld rows; download it again (request "
			"%s)\r\n",
			rows, x->request_id);
		if (n > 0 && (size_t)n < sizeof(tail))
			write(wctx, tail, (size_t)n);
	}
	anx_log(err == ANX_OK ? ANX_LOG_INFO : ANX_LOG_ERROR, "audit_exported",
		LF_INT("rows", rows), LF_STR("code", anx_err_code(err)), ANX_LF_END);
	return err;
}

enum anx_err
anx_h_audit_export(struct anx_req *req, struct anx_resp *resp)
{
	struct anx_verrs *e;
	struct anx_web *w;
	struct export *x;
	enum anx_err err;
	char name[64];
	time_t now = time(NULL);
	struct tm tm;

	if ((err = anx_web_begin(req, resp, ANX_WEB_WORKSPACE, &w)) != ANX_OK || w == NULL)
		return err;
	if ((err = anx_web_require(w, ANX_WS_VIEW)) != ANX_OK)
		return err;
	if ((e = anx_req_verrs(req)) == NULL ||
		(x = anx_arena_calloc(req->arena, 1, sizeof(*x))) == NULL)
		return ANX_ERR_NOMEM;
	if (anx_audit_filter_parse(anx_dl_query_get, w, req->arena, &x->f, e) > 0) {
		req->err_message =
			anx_arena_printf(req->arena, "The export was not started: %s %s.",
				e->items[0].path, e->items[0].problem);
		return ANX_ERR_INVALID;
	}
	x->f.v[ANX_AF_AFTER] = NULL;
	x->db = req->db;
	memcpy(x->ws, w->ws_id, sizeof(x->ws));
	x->request_id = req->request_id;
	gmtime_r(&now, &tm);
	strftime(name, sizeof(name), "attachment; filename=\"audit-log-%Y%m%d-%H%M%S.csv\"", &tm);
	resp->status = 200;
	resp->content_type = "text/csv; charset=utf-8";
	anx_web_header(w, "Content-Disposition", anx_arena_strdup(req->arena, name));
	anx_web_header(w, "Cache-Control", "no-store");
	resp->stream = export_stream;
	resp->stream_ctx = x;
	return ANX_OK;
}

enum anx_err
anx_h_audit_verify(struct anx_req *req, struct anx_resp *resp)
{
	struct anx_web *w;
	enum anx_err err;
	int broken;

	if ((err = anx_web_begin(req, resp, ANX_WEB_WORKSPACE, &w)) != ANX_OK || w == NULL)
		return err;
	if ((err = anx_web_require(w, ANX_WS_VIEW)) != ANX_OK)
		return err;
	if ((err = anx_audit_verify_now(req->db, w->ws_id, w->session.user_id, &broken)) != ANX_OK)
		return err;
	if (broken)
		anx_web_flash(w, "error",
			"The audit chain is broken: an event was changed, removed or reordered. "
			"The "
			"first broken link is shown below. Keep this page and contact your "
			"security "
			"team.");
	else
		anx_web_flash(w, "success",
			"The audit chain checks out: every sealed event links to the one before "
			"it.");
	return anx_web_redirect(
		w, anx_arena_printf(req->arena, "%s#chain", anx_web_ws_url(w, "/dashboard/audit")));
}
