/*
 * docs_pages.c - public pages, no sign-in needed:
 *   GET /docs           the documents of docs/ (anx_cfg.docs_dir), listed
 *   GET /docs/{name}    one rendered with cmark (no raw HTML); NAME.md
 *                       redirects to NAME; unknown names are a 404 page
 *   GET /privacy        what is stored, for how long, who to ask
 *   GET /terms          the terms of use, short and plain
 * The rendered documents are cached per worker (docs.h).
 */
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "docs.h"
#include "handlers.h"
#include "retention.h"
#include "web.h"

/* The navigation list: every document, current one marked. */
static json_object *
doc_list(const struct anx_docs *d, const char *current)
{
	json_object *list = json_object_new_array();

	for (size_t i = 0; d && i < d->n; i++) {
		json_object *o = json_object_new_object();

		json_object_object_add(o, "name", json_object_new_string(d->items[i].name));
		json_object_object_add(o, "title", json_object_new_string(d->items[i].title));
		json_object_object_add(o, "summary", json_object_new_string(d->items[i].summary));
		if (current && strcmp(current, d->items[i].name) == 0)
			json_object_object_add(o, "current", json_object_new_boolean(1));
		json_object_array_add(list, o);
	}
	return list;
}

enum anx_err
anx_h_docs_index(struct anx_req *req, struct anx_resp *resp)
{
	const struct anx_docs *d;
	struct anx_web *w;
	json_object *ctx;
	enum anx_err err;

	if ((err = anx_web_begin(req, resp, ANX_WEB_PUBLIC, &w)) != ANX_OK || w == NULL)
		return err;
	if ((d = anx_docs_cached(anx_cfg.docs_dir)) == NULL)
		return ANX_ERR_NOMEM;
	ctx = json_object_new_object();
	json_object_object_add(ctx, "docs", doc_list(d, NULL));
	json_object_object_add(ctx, "has_docs", json_object_new_boolean(d->n > 0));
	return anx_web_render(w, 200, "docs", NULL, "Documentation", ctx);
}

enum anx_err
anx_h_docs_page(struct anx_req *req, struct anx_resp *resp)
{
	const char *name = anx_req_route_param(req, "name");
	const struct anx_docs *d;
	const struct anx_doc *doc;
	struct anx_web *w;
	json_object *ctx, *o;
	enum anx_err err;
	size_t n;

	if ((err = anx_web_begin(req, resp, ANX_WEB_PUBLIC, &w)) != ANX_OK || w == NULL)
		return err;
	if ((d = anx_docs_cached(anx_cfg.docs_dir)) == NULL)
		return ANX_ERR_NOMEM;
	/* Links written for GitHub ("API.md") land on the page. */
	n = name ? strlen(name) : 0;
	if (n > 3 && strcmp(name + n - 3, ".md") == 0) {
		char base[ANX_DOC_NAME_MAX + 1];

		if (n - 3 <= ANX_DOC_NAME_MAX) {
			memcpy(base, name, n - 3);
			base[n - 3] = '\0';
			if ((doc = anx_docs_find(d, base)) != NULL)
				return anx_web_redirect(
					w, anx_arena_printf(req->arena, "/docs/%s", doc->name));
		}
	}
	if ((doc = anx_docs_find(d, name)) == NULL) {
		req->err_message = "There is no document with this name. See the list at /docs.";
		return ANX_ERR_NOT_FOUND;
	}
	ctx = json_object_new_object();
	json_object_object_add(ctx, "docs", doc_list(d, doc->name));
	json_object_object_add(ctx, "has_docs", json_object_new_boolean(1));
	o = json_object_new_object();
	json_object_object_add(o, "name", json_object_new_string(doc->name));
	json_object_object_add(o, "title", json_object_new_string(doc->title));
	json_object_object_add(o, "html", json_object_new_string(doc->html));
	json_object_object_add(ctx, "doc", o);
	return anx_web_render(w, 200, "docs", NULL, doc->title, ctx);
}

/* "365 days", or "forever" for 0. */
static json_object *
days_obj(int days)
{
	char s[32];

	if (days <= 0)
		return json_object_new_string("until the workspace is deleted");
	snprintf(s, sizeof(s), "%d days", days);
	return json_object_new_string(s);
}

/* The legal pages: the retention actually configured, and where to ask. */
static enum anx_err
legal_page(struct anx_req *req, struct anx_resp *resp, const char *page, const char *title)
{
	struct anx_retention r;
	struct anx_web *w;
	json_object *ctx, *ret;
	enum anx_err err;
	char why[256];

	if ((err = anx_web_begin(req, resp, ANX_WEB_PUBLIC, &w)) != ANX_OK || w == NULL)
		return err;
	ctx = json_object_new_object();
	if (anx_retention_from_env(&r, why, sizeof(why)) == 0) {
		ret = json_object_new_object();
		json_object_object_add(ret, "evaluations", days_obj(r.evaluations_days));
		json_object_object_add(ret, "audit", days_obj(r.audit_days));
		json_object_object_add(ret, "deliveries", days_obj(r.deliveries_days));
		json_object_object_add(ret, "emails", days_obj(r.emails_days));
		json_object_object_add(ctx, "retention", ret);
	}
	json_object_object_add(ctx, "app_url", json_object_new_string(anx_cfg.app_url));
	json_object_object_add(ctx, "mail_from", json_object_new_string(anx_cfg.mail_from));
	return anx_web_render(w, 200, page, NULL, title, ctx);
}

enum anx_err
anx_h_privacy(struct anx_req *req, struct anx_resp *resp)
{
	return legal_page(req, resp, "privacy", "Privacy");
}

enum anx_err
anx_h_terms(struct anx_req *req, struct anx_resp *resp)
{
	return legal_page(req, resp, "terms", "Terms of use");
}
