/*
 * compliance_pages.c - compliance reports in the dashboard:
 *   GET  /dashboard/compliance                      the form and recent exports
 *   POST /dashboard/compliance/exports              queue an export (ZIP or PDF)
 *   GET  /dashboard/compliance/exports/{id}         its progress; the download
 *   GET  /dashboard/compliance/exports/{id}/status  progress as JSON (data-poll)
 *   GET  /dashboard/compliance/exports/{id}/download  the file (attachment)
 * The export itself runs in `agentnexus-cron deliver` (compliance.h), never
 * here. With COMPLIANCE_EXPORT_ADMIN_ONLY=1 only owners and admins may
 * export or download; otherwise every member may.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "auth.h"
#include "compliance.h"
#include "config.h"
#include "handlers.h"
#include "web.h"

/* ANX_OK if this member may export in this workspace (role and setting). */
static enum anx_err
may_export(struct anx_web *w)
{
	enum anx_err err;

	if ((err = anx_web_require(w, ANX_WS_VIEW)) != ANX_OK)
		return err;
	if (anx_cfg.compliance_admin_only && w->role < ANX_ROLE_ADMIN) {
		w->req->err_message =
			"Compliance exports are limited to owners and admins in this "
			"installation (COMPLIANCE_EXPORT_ADMIN_ONLY). Ask one of them.";
		return ANX_ERR_FORBIDDEN;
	}
	return ANX_OK;
}

/* "YYYY-MM-DD" of today + offset days (UTC). */
static void
day(char out[11], int offset)
{
	time_t t = time(NULL) + (time_t)offset * 86400;
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, 11, "%Y-%m-%d", &tm);
}

/* The page with the form (values as submitted) and the recent exports. */
static enum anx_err
compliance_page(struct anx_web *w, int status, const struct anx_verrs *e)
{
	const char *from = anx_web_text(w, "from"), *to = anx_web_text(w, "to");
	const char *kind = anx_web_text(w, "kind");
	json_object *ctx, *list = NULL, *errs;
	char d_from[11], d_to[11];
	enum anx_err err;
	int can = !anx_cfg.compliance_admin_only || w->role >= ANX_ROLE_ADMIN;

	day(d_from, -29);
	day(d_to, 0);
	if (can && (err = anx_compliance_list(w->req->db, w->ws_id, &list)) != ANX_OK)
		return err;
	ctx = json_object_new_object();
	json_object_object_add(ctx, "can_export", json_object_new_boolean(can));
	json_object_object_add(
		ctx, "admin_only", json_object_new_boolean(anx_cfg.compliance_admin_only));
	json_object_object_add(ctx, "from", json_object_new_string(*from ? from : d_from));
	json_object_object_add(ctx, "to", json_object_new_string(*to ? to : d_to));
	json_object_object_add(ctx, "today", json_object_new_string(d_to));
	json_object_object_add(ctx, "kind_pdf", json_object_new_boolean(strcmp(kind, "pdf") == 0));
	if (list != NULL) {
		json_object_object_add(ctx, "has_exports",
			json_object_new_boolean(json_object_array_length(list) > 0));
		json_object_object_add(ctx, "exports", list);
	}
	if ((errs = anx_web_errors(e)) != NULL)
		json_object_object_add(ctx, "errors", errs);
	return anx_web_render(w, status, "compliance", "compliance", "Compliance reports", ctx);
}

enum anx_err
anx_h_compliance(struct anx_req *req, struct anx_resp *resp)
{
	struct anx_web *w;
	enum anx_err err;

	if ((err = anx_web_begin(req, resp, ANX_WEB_WORKSPACE, &w)) != ANX_OK || w == NULL)
		return err;
	if ((err = anx_web_require(w, ANX_WS_VIEW)) != ANX_OK)
		return err;
	return compliance_page(w, 200, NULL);
}

enum anx_err
anx_h_compliance_create(struct anx_req *req, struct anx_resp *resp)
{
	enum anx_export_kind kind = ANX_EXPORT_ZIP;
	const char *from, *to, *why, *field;
	struct anx_verrs *e;
	struct anx_web *w;
	char id[37], today[11];
	enum anx_err err;

	if ((err = anx_web_begin(req, resp, ANX_WEB_WORKSPACE, &w)) != ANX_OK || w == NULL)
		return err;
	if ((err = may_export(w)) != ANX_OK)
		return err;
	if ((e = anx_req_verrs(req)) == NULL)
		return ANX_ERR_NOMEM;
	if (anx_export_kind_parse(anx_web_text(w, "kind"), &kind) != 0)
		anx_verrs_add(e, "kind", "Choose the ZIP or the PDF.");
	from = anx_web_text(w, "from");
	to = anx_web_text(w, "to");
	day(today, 0);
	if ((why = anx_compliance_period_problem(from, to, today, &field)) != NULL)
		anx_verrs_add(e, field, "%s", why);
	if (e->n > 0)
		return compliance_page(w, 422, e);
	err = anx_compliance_request(req->db, w->ws_id, w->session.user_id, kind, from, to, id);
	if (err == ANX_ERR_CONFLICT) {
		anx_web_flash(w, "info",
			"Your previous export is still running: here it is. Start another one "
			"when it has finished.");
	} else if (err != ANX_OK) {
		return err;
	} else {
		anx_web_flash(w, "success",
			"Export queued. It runs in the background: you can leave this page and "
			"come "
			"back to it from Compliance.");
	}
	return anx_web_redirect(
		w, anx_web_ws_url(w,
			   anx_arena_printf(req->arena, "/dashboard/compliance/exports/%s", id)));
}

/* The export {id} of the current workspace, for the pages below. */
static enum anx_err
load_export(struct anx_web *w, json_object **out)
{
	const char *id = anx_req_route_param(w->req, "id");
	enum anx_err err;

	*out = NULL;
	if (id == NULL || !anx_uuid_valid(id))
		err = ANX_ERR_NOT_FOUND;
	else
		err = anx_compliance_get(w->req->db, w->ws_id, id, out);
	if (err == ANX_ERR_NOT_FOUND)
		w->req->err_message = "There is no such export in this workspace.";
	return err;
}

static const char *
export_url(struct anx_web *w, const char *id, const char *suffix)
{
	return anx_web_ws_url(w,
		anx_arena_printf(w->req->arena, "/dashboard/compliance/exports/%s%s", id, suffix));
}

enum anx_err
anx_h_compliance_export(struct anx_req *req, struct anx_resp *resp)
{
	json_object *ctx, *x;
	struct anx_web *w;
	const char *id;
	enum anx_err err;

	if ((err = anx_web_begin(req, resp, ANX_WEB_WORKSPACE, &w)) != ANX_OK || w == NULL)
		return err;
	if ((err = may_export(w)) != ANX_OK)
		return err;
	if ((err = load_export(w, &x)) != ANX_OK)
		return err;
	id = anx_json_get_str(x, "id");
	ctx = json_object_new_object();
	json_object_object_add(
		ctx, "status_url", json_object_new_string(export_url(w, id, "/status")));
	json_object_object_add(
		ctx, "download_url", json_object_new_string(export_url(w, id, "/download")));
	json_object_object_add(ctx, "refresh_url", json_object_new_string(export_url(w, id, "")));
	json_object_object_add(ctx, "export", x);
	return anx_web_render(w, 200, "compliance-export", "compliance", "Compliance export", ctx);
}

enum anx_err
anx_h_compliance_status(struct anx_req *req, struct anx_resp *resp)
{
	json_object *o, *x;
	struct anx_web *w;
	enum anx_err err;
	char msg[340];
	int done, pct;

	if ((err = anx_web_begin(req, resp, ANX_WEB_WORKSPACE, &w)) != ANX_OK || w == NULL)
		return err;
	if ((err = may_export(w)) != ANX_OK)
		return err;
	if ((err = load_export(w, &x)) != ANX_OK)
		return err;
	done = anx_json_get_bool(x, "done", 0) || anx_json_get_bool(x, "expired", 0);
	pct = json_object_get_int(json_object_object_get(x, "percent"));
	snprintf(msg, sizeof(msg), "%s (%d %%)", anx_json_get_str(x, "message"), pct);
	o = json_object_new_object();
	json_object_object_add(o, "id", json_object_new_string(anx_json_get_str(x, "id")));
	json_object_object_add(o, "status", json_object_new_string(anx_json_get_str(x, "status")));
	json_object_object_add(o, "percent", json_object_new_int(pct));
	json_object_object_add(o, "message", json_object_new_string(msg));
	json_object_object_add(o, "done", json_object_new_boolean(done));
	json_object_object_add(
		o, "failed", json_object_new_boolean(anx_json_get_bool(x, "failed", 0)));
	/* static/js/app.js follows download_url when done: back to this
	 * export's page, which then offers the file. */
	if (done)
		json_object_object_add(o, "download_url",
			json_object_new_string(export_url(w, anx_json_get_str(x, "id"), "")));
	json_object_put(x);
	err = anx_resp_json(resp, 200, o);
	json_object_put(o);
	anx_web_header(w, "Cache-Control", "no-store");
	return err;
}

enum anx_err
anx_h_compliance_download(struct anx_req *req, struct anx_resp *resp)
{
	const char *id = anx_req_route_param(req, "id");
	struct anx_export_file f;
	struct anx_web *w;
	enum anx_err err;

	if ((err = anx_web_begin(req, resp, ANX_WEB_WORKSPACE, &w)) != ANX_OK || w == NULL)
		return err;
	if ((err = may_export(w)) != ANX_OK)
		return err;
	if (id == NULL || !anx_uuid_valid(id)) {
		req->err_message = "There is no such export in this workspace.";
		return ANX_ERR_NOT_FOUND;
	}
	err = anx_compliance_download(req->db, w->ws_id, id, w->session.user_id, &f);
	if (err == ANX_ERR_NOT_FOUND)
		req->err_message = "There is no such export in this workspace.";
	else if (err == ANX_ERR_CONFLICT)
		req->err_message = "This export has no file to download: it is not finished, it "
				   "failed, or it is older than 7 days. Start a new one.";
	if (err != ANX_OK)
		return err;
	anx_buf_reset(&resp->body);
	if (anx_buf_add(&resp->body, f.data, f.len) != 0) {
		anx_export_file_free(&f);
		return ANX_ERR_NOMEM;
	}
	resp->status = 200;
	resp->content_type = f.content_type;
	/* The file name is [a-z0-9.-] only (anx_compliance_filename). */
	anx_web_header(w, "Content-Disposition",
		anx_arena_printf(req->arena, "attachment; filename=\"%s\"", f.filename));
	anx_web_header(w, "Cache-Control", "no-store");
	anx_export_file_free(&f);
	return ANX_OK;
}
