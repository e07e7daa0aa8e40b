/*
 * mcp.c - POST /api/mcp: the MCP streamable-HTTP endpoint. Checks Origin
 * (MCP_ALLOWED_ORIGINS, against DNS rebinding from browsers), the API key,
 * then hands the JSON-RPC message to core/mcp.c. GET (an SSE stream) is
 * not offered: 405, as the transport allows.
 */
#include "handlers.h"
#include "mcp.h"
#include "parse.h"

enum anx_err
anx_h_mcp(struct anx_req *req, struct anx_resp *resp)
{
	struct anx_principal *p;
	json_object *body = NULL, *out = NULL;
	enum anx_err err;

	if (!anx_mcp_origin_allowed(anx_req_header(req, "HTTP_ORIGIN"))) {
		req->err_message = "This Origin is not allowed to use the MCP endpoint";
		return ANX_ERR_FORBIDDEN;
	}
	if ((err = anx_api_auth(req, ANX_SCOPE_AGENT, &p)) != ANX_OK)
		return err;
	if ((err = anx_parse_json_body(req, &body)) != ANX_OK) {
		/* JSON-RPC clients expect a parse error object. */
		if (err == ANX_ERR_INVALID && req->verrs && req->verrs->n &&
			req->verrs->items[0].path[0] == '\0') {
			static const char PARSE_ERR[] =
				"{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":{\"code\":-32700,"
				"\"message\":\"Parse error\"}}";
			return anx_resp_json_raw(resp, 400, PARSE_ERR, sizeof(PARSE_ERR) - 1);
		}
		return err;
	}
	if ((err = anx_mcp_handle(req->db, p, body, &out)) != ANX_OK)
		return err;
	if (out == NULL) {
		resp->status = 202;
		return ANX_OK;
	}
	err = anx_resp_json(resp, 200, out);
	json_object_put(out);
	return err;
}
