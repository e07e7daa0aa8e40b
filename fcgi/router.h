/*
 * router.h - method + path routing with parameters.
 *
 * A pattern is an absolute path whose segments are literals or {name}
 * (one non-empty segment, any bytes but '/'). The first route whose method
 * and pattern both match wins. HEAD is served by GET routes.
 */
#ifndef ANX_ROUTER_H
#define ANX_ROUTER_H

#include <stddef.h>

#include "http.h"

enum anx_route_kind {
	ANX_ROUTE_API, /* errors render as the JSON error contract */
	ANX_ROUTE_HTML /* errors render as an HTML error page */
};

struct anx_route {
	const char *method;  /* "GET", "POST", ... */
	const char *pattern; /* "/api/v1/evaluations/{id}" */
	anx_handler_fn fn;
	enum anx_route_kind kind;
	unsigned flags; /* handler-specific (auth scope, csrf, ...) */
};

/*
 * Finds the route for req->method and req->path in table[0..n). On ANX_OK
 * *out is the route and req->param_names/param_values/nparams are filled
 * (values copied into req->arena). ANX_ERR_NOT_FOUND when no pattern
 * matches the path; ANX_ERR_METHOD when one does but not for this method
 * (then *out is the first route whose pattern matched, for its kind).
 * Paths longer than 2048 bytes, with empty segments ("//"), "." or ".."
 * segments, or NUL bytes never match.
 */
enum anx_err anx_route_match(
	const struct anx_route *table, size_t n, struct anx_req *req, const struct anx_route **out);

#endif
