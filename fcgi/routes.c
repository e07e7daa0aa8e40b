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
	{"GET", "/approve/{token}", anx_h_approve_page, ANX_ROUTE_HTML, 0},
	{"POST", "/api/approval/approve", anx_h_approval_approve, ANX_ROUTE_API, 0},
	{"POST", "/api/approval/reject", anx_h_approval_reject, ANX_ROUTE_API, 0},
	{"POST", "/api/approval/request-otp", anx_h_approval_request_otp, ANX_ROUTE_API, 0},
	{"POST", "/api/approval/verify-otp", anx_h_approval_verify_otp, ANX_ROUTE_API, 0},
	{"POST", "/api/cron/approval-timeouts", anx_h_cron_timeouts, ANX_ROUTE_API, 0},
};

const size_t anx_nroutes = sizeof(anx_routes) / sizeof(anx_routes[0]);
