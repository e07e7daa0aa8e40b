/*
 * app.h - the worker's long-lived state and request dispatch, shared by
 * fcgi/main.c (the libfcgi loop) and the tests that drive dispatch
 * directly.
 */
#ifndef ANX_APP_H
#define ANX_APP_H

#include "http.h"
#include "router.h"

struct anx_tmpl_set;

struct anx_app {
	struct anx_db *db;
	struct anx_tmpl_set *templates;
	const struct anx_route *routes;
	size_t nroutes;
};

extern struct anx_app anx_app;

/* The route table (fcgi/routes.c). */
extern const struct anx_route anx_routes[];
extern const size_t anx_nroutes;

/*
 * Routes req, runs the handler, and turns any error into the JSON error
 * contract (API routes, and any path under /api/) or an HTML error page.
 * Always leaves a complete response in resp, with x-request-id set.
 */
void anx_app_dispatch(struct anx_req *req, struct anx_resp *resp);

#endif
