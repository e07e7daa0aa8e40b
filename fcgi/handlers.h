/*
 * handlers.h - every request handler, one file per area in fcgi/handlers/.
 * A handler is thin: parse and validate input, call one core function,
 * render the result (see http.h for the contract).
 */
#ifndef ANX_HANDLERS_H
#define ANX_HANDLERS_H

#include "auth.h"
#include "http.h"

/* Shared by API handlers (handlers/agent_api.c). */
enum anx_err anx_api_auth(struct anx_req *req, enum anx_scope need, struct anx_principal **out);
struct anx_verrs *anx_req_verrs(struct anx_req *req);
/* Checks Authorization: Bearer $CRON_SECRET in constant time. */
enum anx_err anx_cron_auth(struct anx_req *req);

enum anx_err anx_h_health(struct anx_req *req, struct anx_resp *resp);
enum anx_err anx_h_evaluate(struct anx_req *req, struct anx_resp *resp);
enum anx_err anx_h_evaluation_get(struct anx_req *req, struct anx_resp *resp);
enum anx_err anx_h_receipt(struct anx_req *req, struct anx_resp *resp);
enum anx_err anx_h_policy_get(struct anx_req *req, struct anx_resp *resp);
enum anx_err anx_h_policy_put(struct anx_req *req, struct anx_resp *resp);
enum anx_err anx_h_policy_simulate(struct anx_req *req, struct anx_resp *resp);

enum anx_err anx_h_approve_page(struct anx_req *req, struct anx_resp *resp);
enum anx_err anx_h_approval_approve(struct anx_req *req, struct anx_resp *resp);
enum anx_err anx_h_approval_reject(struct anx_req *req, struct anx_resp *resp);
enum anx_err anx_h_approval_request_otp(struct anx_req *req, struct anx_resp *resp);
enum anx_err anx_h_approval_verify_otp(struct anx_req *req, struct anx_resp *resp);
enum anx_err anx_h_cron_timeouts(struct anx_req *req, struct anx_resp *resp);

#endif
