/*
 * cron_timeouts.c - POST /api/cron/approval-timeouts (Authorization:
 * Bearer $CRON_SECRET): the HTTP twin of `agentnexus-cron timeouts`, for
 * schedulers that can only call URLs.
 */
#include <string.h>
#include <strings.h>

#include "approval.h"
#include "config.h"
#include "crypto.h"
#include "handlers.h"

enum anx_err
anx_cron_auth(struct anx_req *req)
{
	const char *h = anx_req_header(req, "HTTP_AUTHORIZATION");

	if (anx_cfg.cron_secret == NULL) {
		req->err_message = "Cron routes are disabled: CRON_SECRET is not set";
		return ANX_ERR_FORBIDDEN;
	}
	if (h == NULL || strncasecmp(h, "Bearer ", 7) != 0 ||
		!anx_ct_streq(h + 7, anx_cfg.cron_secret)) {
		req->err_message = "Send Authorization: Bearer $CRON_SECRET";
		return ANX_ERR_UNAUTHORIZED;
	}
	return ANX_OK;
}

enum anx_err
anx_h_cron_timeouts(struct anx_req *req, struct anx_resp *resp)
{
	struct anx_timeout_report rep;
	json_object *o;
	enum anx_err err;

	if ((err = anx_cron_auth(req)) != ANX_OK)
		return err;
	if ((err = anx_approval_timeouts(req->db, &rep)) != ANX_OK)
		return err;
	o = json_object_new_object();
	json_object_object_add(o, "expired", json_object_new_int(rep.expired));
	json_object_object_add(o, "reminded", json_object_new_int(rep.reminded));
	json_object_object_add(o, "reassigned", json_object_new_int(rep.reassigned));
	err = anx_resp_json(resp, 200, o);
	json_object_put(o);
	return err;
}
