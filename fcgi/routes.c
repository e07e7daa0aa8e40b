/*
 * routes.c - the route table: method, pattern, handler, kind.
 */
#include "app.h"
#include "handlers.h"

const struct anx_route anx_routes[] = {
	{"GET", "/api/health", anx_h_health, ANX_ROUTE_API, 0},
	{"POST", "/api/v1/evaluate", anx_h_evaluate, ANX_ROUTE_API, 0},
	{"GET", "/api/v1/evaluations/{id}", anx_h_evaluation_get, ANX_ROUTE_API, 0},
	{"POST", "/api/v1/receipt", anx_h_receipt, ANX_ROUTE_API, 0},
	{"GET", "/api/v1/policy", anx_h_policy_get, ANX_ROUTE_API, 0},
	{"PUT", "/api/v1/policy", anx_h_policy_put, ANX_ROUTE_API, 0},
	{"POST", "/api/v1/policy/simulate", anx_h_policy_simulate, ANX_ROUTE_API, 0},
};

const size_t anx_nroutes = sizeof(anx_routes) / sizeof(anx_routes[0]);
