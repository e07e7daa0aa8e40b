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
enum anx_err anx_h_cron_replay(struct anx_req *req, struct anx_resp *resp);

enum anx_err anx_h_mcp(struct anx_req *req, struct anx_resp *resp);

/* Dashboard: accounts, workspaces, members, API keys (handlers/account_pages.c,
 * workspace_pages.c, key_pages.c; plumbing in web.h). */
enum anx_err anx_h_root(struct anx_req *req, struct anx_resp *resp);
enum anx_err anx_h_signup_page(struct anx_req *req, struct anx_resp *resp);
enum anx_err anx_h_signup(struct anx_req *req, struct anx_resp *resp);
enum anx_err anx_h_login_page(struct anx_req *req, struct anx_resp *resp);
enum anx_err anx_h_login(struct anx_req *req, struct anx_resp *resp);
enum anx_err anx_h_logout(struct anx_req *req, struct anx_resp *resp);
enum anx_err anx_h_forgot_page(struct anx_req *req, struct anx_resp *resp);
enum anx_err anx_h_forgot(struct anx_req *req, struct anx_resp *resp);
enum anx_err anx_h_reset_page(struct anx_req *req, struct anx_resp *resp);
enum anx_err anx_h_reset(struct anx_req *req, struct anx_resp *resp);
enum anx_err anx_h_password_page(struct anx_req *req, struct anx_resp *resp);
enum anx_err anx_h_password(struct anx_req *req, struct anx_resp *resp);
enum anx_err anx_h_dashboard(struct anx_req *req, struct anx_resp *resp);
enum anx_err anx_h_workspaces(struct anx_req *req, struct anx_resp *resp);
enum anx_err anx_h_ws_create(struct anx_req *req, struct anx_resp *resp);
enum anx_err anx_h_ws_switch(struct anx_req *req, struct anx_resp *resp);
enum anx_err anx_h_ws_rename(struct anx_req *req, struct anx_resp *resp);
enum anx_err anx_h_ws_archive(struct anx_req *req, struct anx_resp *resp);
enum anx_err anx_h_ws_restore(struct anx_req *req, struct anx_resp *resp);
enum anx_err anx_h_ws_delete(struct anx_req *req, struct anx_resp *resp);
enum anx_err anx_h_settings(struct anx_req *req, struct anx_resp *resp);
enum anx_err anx_h_members(struct anx_req *req, struct anx_resp *resp);
enum anx_err anx_h_member_invite(struct anx_req *req, struct anx_resp *resp);
enum anx_err anx_h_member_role(struct anx_req *req, struct anx_resp *resp);
enum anx_err anx_h_member_remove(struct anx_req *req, struct anx_resp *resp);
enum anx_err anx_h_invitation_cancel(struct anx_req *req, struct anx_resp *resp);
enum anx_err anx_h_invite_page(struct anx_req *req, struct anx_resp *resp);
enum anx_err anx_h_invite_accept(struct anx_req *req, struct anx_resp *resp);
enum anx_err anx_h_keys(struct anx_req *req, struct anx_resp *resp);
enum anx_err anx_h_key_create(struct anx_req *req, struct anx_resp *resp);
enum anx_err anx_h_key_revoke(struct anx_req *req, struct anx_resp *resp);

/* Dashboard: policies, evaluations, approvals inbox, audit log, webhook
 * deliveries, integrator settings (handlers/policy_pages.c,
 * evaluation_pages.c, inbox_pages.c, audit_pages.c, webhook_pages.c,
 * integration_pages.c). */
enum anx_err anx_h_policies(struct anx_req *req, struct anx_resp *resp);
enum anx_err anx_h_policy_validate(struct anx_req *req, struct anx_resp *resp);
enum anx_err anx_h_policy_simulate_page(struct anx_req *req, struct anx_resp *resp);
enum anx_err anx_h_policy_publish(struct anx_req *req, struct anx_resp *resp);
enum anx_err anx_h_policy_diff_page(struct anx_req *req, struct anx_resp *resp);
enum anx_err anx_h_policy_version_page(struct anx_req *req, struct anx_resp *resp);
enum anx_err anx_h_evaluations(struct anx_req *req, struct anx_resp *resp);
enum anx_err anx_h_evaluation_page(struct anx_req *req, struct anx_resp *resp);
enum anx_err anx_h_approvals(struct anx_req *req, struct anx_resp *resp);
enum anx_err anx_h_approval_decide_page(struct anx_req *req, struct anx_resp *resp);
enum anx_err anx_h_approval_otp_page(struct anx_req *req, struct anx_resp *resp);
enum anx_err anx_h_approval_verify_page(struct anx_req *req, struct anx_resp *resp);
enum anx_err anx_h_audit(struct anx_req *req, struct anx_resp *resp);
enum anx_err anx_h_audit_export(struct anx_req *req, struct anx_resp *resp);
enum anx_err anx_h_audit_verify(struct anx_req *req, struct anx_resp *resp);
enum anx_err anx_h_webhooks(struct anx_req *req, struct anx_resp *resp);
enum anx_err anx_h_webhook_page(struct anx_req *req, struct anx_resp *resp);
enum anx_err anx_h_webhook_replay(struct anx_req *req, struct anx_resp *resp);
enum anx_err anx_h_webhook_replay_failed(struct anx_req *req, struct anx_resp *resp);
enum anx_err anx_h_integrations(struct anx_req *req, struct anx_resp *resp);
enum anx_err anx_h_integrations_rotate(struct anx_req *req, struct anx_resp *resp);
enum anx_err anx_h_integrations_allowlist(struct anx_req *req, struct anx_resp *resp);
enum anx_err anx_h_integrations_replay(struct anx_req *req, struct anx_resp *resp);

/* Dashboard: analytics, compliance reports, dev mailbox; docs and legal
 * pages (handlers/analytics_pages.c, compliance_pages.c, mailbox_pages.c,
 * docs_pages.c). */
enum anx_err anx_h_analytics(struct anx_req *req, struct anx_resp *resp);
enum anx_err anx_h_compliance(struct anx_req *req, struct anx_resp *resp);
enum anx_err anx_h_compliance_create(struct anx_req *req, struct anx_resp *resp);
enum anx_err anx_h_compliance_export(struct anx_req *req, struct anx_resp *resp);
enum anx_err anx_h_compliance_status(struct anx_req *req, struct anx_resp *resp);
enum anx_err anx_h_compliance_download(struct anx_req *req, struct anx_resp *resp);
enum anx_err anx_h_mailbox(struct anx_req *req, struct anx_resp *resp);
enum anx_err anx_h_docs_index(struct anx_req *req, struct anx_resp *resp);
enum anx_err anx_h_docs_page(struct anx_req *req, struct anx_resp *resp);
enum anx_err anx_h_privacy(struct anx_req *req, struct anx_resp *resp);
enum anx_err anx_h_terms(struct anx_req *req, struct anx_resp *resp);

#endif
