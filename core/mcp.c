/*
 * mcp.c - MCP over JSON-RPC 2.0; see mcp.h. Spec: modelcontextprotocol.io
 * (basic protocol, lifecycle, tools).
 */
#include "mcp.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "config.h"
#include "evaluation.h"
#include "json.h"
#include "receipt.h"

#define MCP_BATCH_MAX 20

static const char *const versions[] = { "2025-06-18", "2025-03-26", "2024-11-05" };

/* JSON-RPC 2.0 error codes (§5.1) */
enum {
	RPC_PARSE = -32700,
	RPC_INVALID_REQUEST = -32600,
	RPC_METHOD_NOT_FOUND = -32601,
	RPC_INVALID_PARAMS = -32602,
	RPC_INTERNAL = -32603
};

static const char TOOLS_JSON[] =
	"[{\"name\":\"evaluate_action\","
	"\"title\":\"Ask AgentNexus before acting\","
	"\"description\":\"Ask the workspace policy whether an action may proceed. Returns "
	"decision "
	"allow, deny or approval_required (then poll get_evaluation until status is approved, "
	"rejected or expired). Only act when the status is allowed or approved.\","
	"\"inputSchema\":{\"type\":\"object\",\"additionalProperties\":false,\"required\":["
	"\"action\"],"
	"\"properties\":{\"action\":{\"type\":\"string\",\"pattern\":\"^[a-z0-9_.:-]{1,128}$\"},"
	"\"agent_id\":{\"type\":\"string\",\"maxLength\":128},\"resource\":{\"type\":\"string\","
	"\"maxLength\":512},"
	"\"amount\":{\"type\":\"number\",\"minimum\":0},\"currency\":{\"type\":\"string\","
	"\"pattern\":\"^[A-Z]{3}$\"},"
	"\"summary\":{\"type\":\"string\",\"maxLength\":2000},\"context\":{\"type\":\"object\"},"
	"\"webhook_url\":{\"type\":\"string\",\"maxLength\":2048},"
	"\"idempotency_key\":{\"type\":\"string\",\"maxLength\":128}}}},"
	"{\"name\":\"submit_receipt\","
	"\"title\":\"Report what was done\","
	"\"description\":\"After acting on an allowed or approved evaluation, report the "
	"outcome.\","
	"\"inputSchema\":{\"type\":\"object\",\"additionalProperties\":false,"
	"\"required\":[\"evaluation_id\",\"outcome\"],"
	"\"properties\":{\"evaluation_id\":{\"type\":\"string\",\"format\":\"uuid\"},"
	"\"outcome\":{\"type\":\"string\",\"enum\":[\"succeeded\",\"failed\",\"skipped\"]},"
	"\"details\":{\"type\":[\"object\",\"string\"]},"
	"\"action_hash\":{\"type\":\"string\",\"pattern\":\"^[0-9a-f]{64}$\"}}}},"
	"{\"name\":\"get_evaluation\","
	"\"title\":\"Check an evaluation\","
	"\"description\":\"Read an evaluation's status, approval progress and receipt.\","
	"\"inputSchema\":{\"type\":\"object\",\"additionalProperties\":false,"
	"\"required\":[\"evaluation_id\"],"
	"\"properties\":{\"evaluation_id\":{\"type\":\"string\",\"format\":\"uuid\"}}}}]";

int
anx_mcp_origin_allowed(const char *origin)
{
	const char *list = anx_cfg.mcp_allowed_origins, *p;
	size_t n;

	if (origin == NULL)
		return 1;
	n = strlen(origin);
	if (anx_cfg.app_url && strcmp(origin, anx_cfg.app_url) == 0)
		return 1;
	for (p = list; p && *p;) {
		const char *end = strchr(p, ',');
		size_t len = end ? (size_t)(end - p) : strlen(p);

		while (len && *p == ' ')
			p++, len--;
		while (len && p[len - 1] == ' ')
			len--;
		if (len == n && strncmp(p, origin, n) == 0)
			return 1;
		p = end ? end + 1 : NULL;
	}
	return 0;
}

static json_object *
rpc_error(json_object *id, int code, const char *message, json_object *data)
{
	json_object *o = json_object_new_object(), *e = json_object_new_object();

	json_object_object_add(o, "jsonrpc", json_object_new_string("2.0"));
	json_object_object_add(o, "id", id ? json_object_get(id) : NULL);
	json_object_object_add(e, "code", json_object_new_int(code));
	json_object_object_add(e, "message", json_object_new_string(message));
	if (data)
		json_object_object_add(e, "data", data);
	json_object_object_add(o, "error", e);
	return o;
}

static json_object *
rpc_result(json_object *id, json_object *result)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "jsonrpc", json_object_new_string("2.0"));
	json_object_object_add(o, "id", json_object_get(id));
	json_object_object_add(o, "result", result);
	return o;
}

static json_object *
initialize(json_object *params)
{
	const char *want = anx_json_get_str(params, "protocolVersion");
	const char *use = versions[0];
	json_object *r = json_object_new_object(), *caps = json_object_new_object(), *info;

	for (size_t i = 0; want && i < sizeof(versions) / sizeof(versions[0]); i++)
		if (strcmp(want, versions[i]) == 0)
			use = versions[i];
	json_object_object_add(r, "protocolVersion", json_object_new_string(use));
	json_object_object_add(caps, "tools", json_object_new_object());
	json_object_object_add(r, "capabilities", caps);
	info = json_object_new_object();
	json_object_object_add(info, "name", json_object_new_string("agentnexus"));
	json_object_object_add(info, "title", json_object_new_string("AgentNexus governance gate"));
	json_object_object_add(info, "version", json_object_new_string("0.1.0"));
	json_object_object_add(r, "serverInfo", info);
	json_object_object_add(r, "instructions",
		json_object_new_string(
			"Call evaluate_action before any consequential action and act only when "
			"the status "
			"is allowed or approved; then call submit_receipt with what you did."));
	return r;
}

/* A tool result: the JSON as text content plus structuredContent. */
static json_object *
tool_result(json_object *value, int is_error)
{
	json_object *r = json_object_new_object(), *content = json_object_new_array(), *t;

	t = json_object_new_object();
	json_object_object_add(t, "type", json_object_new_string("text"));
	json_object_object_add(t, "text",
		json_object_new_string(json_object_to_json_string_ext(
			value, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)));
	json_object_array_add(content, t);
	json_object_object_add(r, "content", content);
	json_object_object_add(r, "structuredContent", value);
	json_object_object_add(r, "isError", json_object_new_boolean(is_error));
	return r;
}

/* The REST error contract's body, as a tool error. */
static json_object *
tool_error(enum anx_err err, const char *message, const struct anx_verrs *e)
{
	json_object *o = json_object_new_object(), *x = json_object_new_object(), *d;

	json_object_object_add(x, "code", json_object_new_string(anx_err_code(err)));
	json_object_object_add(
		x, "message", json_object_new_string(message ? message : anx_err_message(err)));
	d = json_object_new_array();
	for (size_t i = 0; e && i < e->n; i++) {
		json_object *v = json_object_new_object();

		json_object_object_add(v, "path", json_object_new_string(e->items[i].path));
		json_object_object_add(v, "problem", json_object_new_string(e->items[i].problem));
		json_object_array_add(d, v);
	}
	json_object_object_add(x, "details", d);
	json_object_object_add(o, "error", x);
	return tool_result(o, 1);
}

static json_object *
parse_out(const struct anx_buf *b)
{
	return json_tokener_parse(b->data ? b->data : "null");
}

static json_object *
call_evaluate(struct anx_db *db, const struct anx_principal *p, json_object *args)
{
	char idem[ANX_IDEM_KEY_MAX + 1] = "";
	struct anx_eval_input in;
	struct anx_verrs e;
	struct anx_buf out;
	json_object *body, *v, *r;
	struct anx_principal pp = *p;
	const char *why = NULL;
	enum anx_err err;
	int replayed;

	anx_verrs_init(&e);
	/* idempotency_key travels in the arguments; the rest is the REST body. */
	body = json_object_new_object();
	json_object_object_foreach(args, k, val)
	{
		if (strcmp(k, "idempotency_key") != 0)
			json_object_object_add(body, k, json_object_get(val));
	}
	if (json_object_object_get_ex(args, "idempotency_key", &v) &&
		(!json_object_is_type(v, json_type_string) ||
			anx_idem_key_parse(json_object_get_string(v), idem) != ANX_OK)) {
		anx_verrs_add(&e, "idempotency_key", "must be 1 to 128 printable ASCII characters");
		json_object_put(body);
		return tool_error(ANX_ERR_IDEM_INVALID, NULL, &e);
	}
	if ((err = anx_eval_parse(body, &in, &e)) != ANX_OK) {
		json_object_put(body);
		return tool_error(err, NULL, &e);
	}
	anx_buf_init(&out, 0);
	err = anx_evaluate(db, &pp, body, &in, idem, &out, &replayed, &why);
	r = err == ANX_OK ? tool_result(parse_out(&out), 0) : tool_error(err, why, NULL);
	anx_buf_free(&out);
	json_object_put(body);
	return r;
}

static json_object *
call_receipt(struct anx_db *db, const struct anx_principal *p, json_object *args)
{
	struct anx_verrs e;
	struct anx_buf out;
	json_object *r;
	enum anx_err err;
	int status = 0;

	anx_verrs_init(&e);
	anx_buf_init(&out, 0);
	err = anx_receipt_submit(db, p, args, &e, &out, &status);
	r = err == ANX_OK ? tool_result(parse_out(&out), 0) : tool_error(err, NULL, &e);
	anx_buf_free(&out);
	return r;
}

static json_object *
call_get(struct anx_db *db, const struct anx_principal *p, json_object *args)
{
	const char *id = anx_json_get_str(args, "evaluation_id");
	json_object *o;
	enum anx_err err;

	if ((err = anx_eval_get(db, p->workspace_id, id ? id : "", &o)) != ANX_OK)
		return tool_error(err,
			err == ANX_ERR_NOT_FOUND ? "No such evaluation in this workspace" : NULL,
			NULL);
	return tool_result(o, 0);
}

/* tools/call; returns a result object, or NULL with *code set. */
static json_object *
tools_call(struct anx_db *db, const struct anx_principal *p, json_object *params, int *code,
	const char **msg)
{
	const char *name = anx_json_get_str(params, "name");
	json_object *args = NULL;

	if (params == NULL || name == NULL) {
		*code = RPC_INVALID_PARAMS;
		*msg = "params.name is required";
		return NULL;
	}
	if (json_object_object_get_ex(params, "arguments", &args) && args &&
		!json_object_is_type(args, json_type_object)) {
		*code = RPC_INVALID_PARAMS;
		*msg = "params.arguments must be an object";
		return NULL;
	}
	if (args == NULL)
		args = json_object_new_object();
	else
		json_object_get(args);
	{
		json_object *r = NULL;

		if (strcmp(name, "evaluate_action") == 0)
			r = call_evaluate(db, p, args);
		else if (strcmp(name, "submit_receipt") == 0)
			r = call_receipt(db, p, args);
		else if (strcmp(name, "get_evaluation") == 0)
			r = call_get(db, p, args);
		else {
			*code = RPC_INVALID_PARAMS;
			*msg = "Unknown tool";
		}
		json_object_put(args);
		return r;
	}
}

/* One message: a response, or NULL for notifications and responses. */
static json_object *
handle_one(struct anx_db *db, const struct anx_principal *p, json_object *m)
{
	json_object *id = NULL, *params = NULL, *v, *r;
	const char *method, *msg = "Invalid request";
	int code = RPC_INVALID_REQUEST, has_id;

	if (!json_object_is_type(m, json_type_object))
		return rpc_error(NULL, RPC_INVALID_REQUEST, "Invalid request", NULL);
	has_id = json_object_object_get_ex(m, "id", &id);
	if (!json_object_object_get_ex(m, "jsonrpc", &v) ||
		!json_object_is_type(v, json_type_string) ||
		strcmp(json_object_get_string(v), "2.0") != 0)
		return rpc_error(id, RPC_INVALID_REQUEST, "jsonrpc must be \"2.0\"", NULL);
	if (has_id && id != NULL && !json_object_is_type(id, json_type_string) &&
		!json_object_is_type(id, json_type_int))
		return rpc_error(
			NULL, RPC_INVALID_REQUEST, "id must be a string or an integer", NULL);
	method = anx_json_get_str(m, "method");
	if (method == NULL) {
		/* A response from the client (we never ask it anything). */
		if (json_object_object_get_ex(m, "result", &v) ||
			json_object_object_get_ex(m, "error", &v))
			return NULL;
		return rpc_error(id, RPC_INVALID_REQUEST, "method is required", NULL);
	}
	json_object_object_get_ex(m, "params", &params);
	if (params && !json_object_is_type(params, json_type_object))
		return rpc_error(id, RPC_INVALID_PARAMS, "params must be an object", NULL);
	if (!has_id)
		return NULL; /* notifications (initialized, cancelled, …) need no answer */
	if (strcmp(method, "initialize") == 0)
		return rpc_result(id, initialize(params));
	if (strcmp(method, "ping") == 0)
		return rpc_result(id, json_object_new_object());
	if (strcmp(method, "tools/list") == 0) {
		json_object *res = json_object_new_object();

		json_object_object_add(res, "tools", json_tokener_parse(TOOLS_JSON));
		return rpc_result(id, res);
	}
	if (strcmp(method, "tools/call") == 0) {
		if ((r = tools_call(db, p, params, &code, &msg)) != NULL)
			return rpc_result(id, r);
		return rpc_error(id, code, msg, NULL);
	}
	return rpc_error(id, RPC_METHOD_NOT_FOUND, "Method not found", NULL);
}

enum anx_err
anx_mcp_handle(
	struct anx_db *db, const struct anx_principal *p, json_object *msg, json_object **out)
{
	json_object *arr, *r;
	size_t n;

	*out = NULL;
	if (!json_object_is_type(msg, json_type_array)) {
		*out = handle_one(db, p, msg);
		return ANX_OK;
	}
	n = json_object_array_length(msg);
	if (n == 0 || n > MCP_BATCH_MAX) {
		*out = rpc_error(NULL, RPC_INVALID_REQUEST,
			n == 0 ? "Empty batch" : "Batch larger than 20 messages", NULL);
		return ANX_OK;
	}
	arr = json_object_new_array();
	for (size_t i = 0; i < n; i++)
		if ((r = handle_one(db, p, json_object_array_get_idx(msg, i))) != NULL)
			json_object_array_add(arr, r);
	if (json_object_array_length(arr) == 0) {
		json_object_put(arr);
		return ANX_OK;
	}
	*out = arr;
	return ANX_OK;
}
