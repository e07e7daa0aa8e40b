/*
 * health.c - GET /api/health: fast liveness; ?deep=1 also proves the
 * database answers (503 service_unavailable if not).
 */
#include "db.h"
#include "handlers.h"
#include "parse.h"

static const char OK_BODY[] = "{\"status\":\"ok\"}";

enum anx_err
anx_h_health(struct anx_req *req, struct anx_resp *resp)
{
	const struct anx_kvlist *q;
	const char *deep;
	enum anx_err err;

	if ((err = anx_req_query(req, &q)) != ANX_OK)
		return err;
	deep = anx_kv_get(q, "deep");
	if (deep != NULL && (deep[0] == '1' || deep[0] == 't')) {
		if ((err = anx_db_ping(req->db)) != ANX_OK) {
			req->err_message = "The database is unreachable";
			return ANX_ERR_UNAVAILABLE;
		}
	}
	return anx_resp_json_raw(resp, 200, OK_BODY, sizeof(OK_BODY) - 1);
}
