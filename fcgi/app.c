/*
 * app.c - request dispatch: route, run the handler, render errors; see
 * app.h.
 */
#include "app.h"

#include <string.h>

#include "log.h"
#include "template.h"

struct anx_app anx_app;

/* Anything under /api/ speaks JSON, matched route or not. */
static int
is_api_path(const char *path)
{
	return path && strncmp(path, "/api/", 5) == 0;
}

/* Renders the HTML error page: the "error" template when loaded, else a
 * minimal built-in page. Every value is escaped. */
static void
render_html_error(struct anx_req *req, struct anx_resp *resp, enum anx_err err)
{
	const char *message = req->err_message ? req->err_message : anx_err_message(err);
	struct anx_buf *b = &resp->body;
	json_object *ctx;

	anx_buf_reset(b);
	resp->status = anx_err_status(err);
	resp->content_type = "text/html; charset=utf-8";
	if (anx_app.templates && anx_tmpl_has(anx_app.templates, "error")) {
		ctx = json_object_new_object();
		json_object_object_add(ctx, "status", json_object_new_int(resp->status));
		json_object_object_add(ctx, "code", json_object_new_string(anx_err_code(err)));
		json_object_object_add(ctx, "message", json_object_new_string(message));
		json_object_object_add(ctx, "request_id",
			json_object_new_string(req->request_id ? req->request_id : ""));
		json_object_object_add(ctx, "title", json_object_new_string(message));
		if (anx_tmpl_render(anx_app.templates, "error", ctx, b) == 0) {
			json_object_put(ctx);
			return;
		}
		json_object_put(ctx);
		anx_buf_reset(b);
	}
	anx_buf_printf(b,
		"<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">"
		"<title>%d</title></head><body><h1>",
		resp->status);
	anx_buf_html(b, message, strlen(message));
	anx_buf_puts(b, "</h1><p>Request id: <code>");
	if (req->request_id)
		anx_buf_html(b, req->request_id, strlen(req->request_id));
	anx_buf_puts(b, "</code></p></body></html>");
}

void
anx_app_dispatch(struct anx_req *req, struct anx_resp *resp)
{
	const struct anx_route *rt = NULL;
	enum anx_err err;
	int api;

	err = anx_route_match(anx_app.routes, anx_app.nroutes, req, &rt);
	if (err == ANX_OK)
		err = rt->fn(req, resp);
	api = is_api_path(req->path) || (rt && rt->kind == ANX_ROUTE_API);
	if (err != ANX_OK) {
		resp->nheaders = 0;
		if (err == ANX_ERR_INTERNAL || err == ANX_ERR_NOMEM)
			anx_log(ANX_LOG_ERROR, "request_failed", LF_STR("code", anx_err_code(err)),
				LF_STR("path", req->path), ANX_LF_END);
		if (api)
			anx_resp_error(resp, req->request_id, err, req->err_message, req->verrs);
		else
			render_html_error(req, resp, err);
		if (err == ANX_ERR_METHOD && rt)
			anx_resp_header(resp, "Allow", rt->method);
	}
	if (anx_buf_failed(&resp->body)) {
		resp->nheaders = 0;
		anx_buf_free(&resp->body);
		anx_buf_init(&resp->body, 0);
		anx_resp_error(resp, req->request_id, ANX_ERR_NOMEM, NULL, NULL);
	}
	if (api)
		anx_resp_header(resp, "Cache-Control", "no-store");
}
