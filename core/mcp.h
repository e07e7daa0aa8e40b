/*
 * mcp.h - the Model Context Protocol gateway (POST /api/mcp, streamable
 * HTTP transport, JSON-RPC 2.0). Tools: evaluate_action, submit_receipt,
 * get_evaluation — the same core calls as the REST agent API, under the
 * same API key. The server is stateless: no Mcp-Session-Id is issued and
 * every response is a single JSON body (no SSE stream).
 */
#ifndef ANX_MCP_H
#define ANX_MCP_H

#include <json-c/json.h>

#include "auth.h"
#include "db.h"

/*
 * Handles one JSON-RPC message or a batch (array). *out is the response
 * (a new reference), or NULL when nothing is owed (only notifications or
 * responses were sent): the caller answers 202 Accepted without a body.
 */
enum anx_err anx_mcp_handle(
	struct anx_db *db, const struct anx_principal *p, json_object *msg, json_object **out);

/* 1 if origin (the Origin header, may be NULL) is allowed by
 * MCP_ALLOWED_ORIGINS (comma-separated exact origins; unset: only
 * requests without an Origin header, i.e. non-browser clients, and
 * APP_URL's own origin). */
int anx_mcp_origin_allowed(const char *origin);

#endif
