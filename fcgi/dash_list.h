/*
 * dash_list.h - glue between a dashboard list page and its filters
 * (core/listing.h): reading them from the URL query, turning them back
 * into links (the filters stay in the URL, so a filtered page can be
 * bookmarked, shared and reloaded), and template data for the filter
 * form.
 *
 * Lifetime: every string returned lives in the request's arena.
 */
#ifndef ANX_DASH_LIST_H
#define ANX_DASH_LIST_H

#include <json-c/json.h>

#include "listing.h"
#include "web.h"

/* anx_filter_get_fn over the query of the web request ctx (a struct
 * anx_web *). */
const char *anx_dl_query_get(void *ctx, const char *name);

/*
 * "path?ws=<id>&name=value…" for the filters vals[0..n) (declared by
 * defs) that are set, leaving out the parameter named `drop` (NULL: none;
 * the cursor when linking to the first page) and adding extra=extra_value
 * when extra is not NULL (the next page's cursor). Values are
 * percent-encoded.
 */
const char *anx_dl_href(struct anx_web *w, const char *path, const struct anx_filter_def *defs,
	const char *const *vals, size_t n, const char *drop, const char *extra,
	const char *extra_value);

/*
 * Template data for the filter form, a new object: {<name>: value} for
 * every set filter, "<name>_options": [{value, selected}] for every
 * CHOICE filter, and "active" (bool, any filter but the cursor set).
 */
json_object *anx_dl_form(const struct anx_filter_def *defs, const char *const *vals, size_t n);

/*
 * For each object of array arr and each key in keys (NULL-terminated)
 * whose value is an RFC 3339 UTC timestamp as PostgreSQL prints it,
 * adds "<key>_display": "28 Nov 2026, 00:40:05 UTC".
 */
void anx_dl_add_display(json_object *arr, const char *const *keys);
void anx_dl_add_display_one(json_object *obj, const char *const *keys);

/* The id route parameter, or NULL when it is not a UUID. */
const char *anx_dl_uuid_param(struct anx_req *req, const char *name);

#endif
