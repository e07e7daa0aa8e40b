/*
 * http.h - the request and response of one FastCGI exchange, as handlers
 * see them. Nothing here touches libfcgi: fcgi/main.c fills an anx_req from
 * the FastCGI parameters and writes an anx_resp back, so handlers, the
 * router and the parsers are testable without a socket.
 *
 * Lifetime: every pointer in anx_req lives in req->arena and dies at the
 * end of the request.
 */
#ifndef ANX_HTTP_H
#define ANX_HTTP_H

#include <stddef.h>

#include <json-c/json.h>

#include "arena.h"
#include "buf.h"
#include "err.h"
#include "json.h"

#define ANX_MAX_BODY         (1024 * 1024) /* also enforced by nginx */
#define ANX_MAX_PARAMS       8             /* route parameters */
#define ANX_MAX_KV           256           /* query/form/cookie pairs */
#define ANX_MAX_KEY          128           /* bytes in a decoded key */
#define ANX_MAX_VALUE        (64 * 1024)   /* bytes in a decoded value */
#define ANX_MAX_RESP_HEADERS 16

struct anx_kv {
	const char *key;
	const char *val;
	size_t vlen;
};

/* A bounded list of decoded key/value pairs (query, form, cookies). */
struct anx_kvlist {
	struct anx_kv *items;
	size_t n;
};

struct anx_db;
struct anx_req;

/* Reads a raw FastCGI parameter (e.g. "HTTP_AUTHORIZATION"); NULL if unset. */
typedef const char *(*anx_param_fn)(struct anx_req *req, const char *name);

struct anx_req {
	struct anx_arena *arena;
	anx_param_fn param; /* FastCGI parameter getter */
	void *param_ctx;    /* for the getter */

	const char *method;     /* REQUEST_METHOD */
	const char *path;       /* DOCUMENT_URI: decoded path, no query */
	const char *query;      /* QUERY_STRING, "" if none */
	const char *request_id; /* from nginx ($request_id), always set */
	const char *remote_addr;
	const char *content_type; /* CONTENT_TYPE or NULL */

	const char *body; /* NUL-terminated copy, body_len bytes */
	size_t body_len;

	/* Route parameters filled by the router, e.g. {id} -> "…". */
	const char *param_names[ANX_MAX_PARAMS];
	const char *param_values[ANX_MAX_PARAMS];
	size_t nparams;

	struct anx_db *db; /* the worker's connection */

	/* Error detail a handler may set before returning an error. */
	const char *err_message;
	struct anx_verrs *verrs;

	/* Authenticated principal, filled by auth middleware (later issues). */
	void *auth;

	/* Parsed query/form, cached by anx_req_query()/anx_req_form() (in the
	 * arena; NULL until first parsed). */
	const struct anx_kvlist *query_cache, *form_cache;
};

struct anx_header {
	const char *name;
	const char *value;
};

/*
 * A streamed body, for exports too large to hold in memory: a handler sets
 * resp->stream (and stream_ctx) and returns ANX_OK; after the head (sent
 * without Content-Length) fcgi/main.c calls stream(stream_ctx, write,
 * wctx), which produces the body through write(wctx, data, n) (0, or -1
 * when the client is gone). It runs while the request's arena is alive.
 * The status is already sent, so a failure can only end the body early.
 */
typedef int (*anx_stream_write_fn)(void *wctx, const char *data, size_t n);
typedef enum anx_err (*anx_stream_fn)(void *ctx, anx_stream_write_fn write, void *wctx);

struct anx_resp {
	int status; /* 0 = not written yet */
	const char *content_type;
	struct anx_header headers[ANX_MAX_RESP_HEADERS];
	size_t nheaders;
	struct anx_buf body;
	anx_stream_fn stream; /* NULL: the body is `body` */
	void *stream_ctx;
};

/*
 * A handler parses and validates input, calls one core function, renders
 * the result into resp. It returns ANX_OK after writing resp, or an error
 * (with req->err_message / req->verrs optionally set) and leaves resp
 * unwritten: the caller renders the JSON error contract (API routes) or the
 * error page (HTML routes).
 */
typedef enum anx_err (*anx_handler_fn)(struct anx_req *req, struct anx_resp *resp);

/* Request helpers (fcgi/request.c). */
const char *anx_req_header(struct anx_req *req, const char *cgi_name);
const char *anx_req_route_param(const struct anx_req *req, const char *name);

/* Response helpers (fcgi/response.c). */
void anx_resp_init(struct anx_resp *resp);
void anx_resp_free(struct anx_resp *resp);
int anx_resp_header(struct anx_resp *resp, const char *name, const char *value);
/* Writes obj (not consumed) as the JSON body with status. */
enum anx_err anx_resp_json(struct anx_resp *resp, int status, json_object *obj);
/* Writes a raw JSON body (already serialized). */
enum anx_err anx_resp_json_raw(struct anx_resp *resp, int status, const char *json, size_t n);
/* Writes the JSON error contract for err with message (NULL: default) and
 * optional details. */
void anx_resp_error(struct anx_resp *resp, const char *request_id, enum anx_err err,
	const char *message, const struct anx_verrs *details);
enum anx_err anx_resp_html(struct anx_resp *resp, int status, const char *html, size_t n);

#endif
