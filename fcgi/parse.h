/*
 * parse.h - strict parsers for what arrives in a request: query strings and
 * urlencoded forms (WHATWG application/x-www-form-urlencoded), Cookie
 * headers (RFC 6265 §4.2.1), media types, and JSON bodies.
 *
 * Every parser is bounded (ANX_MAX_KV pairs, ANX_MAX_KEY/ANX_MAX_VALUE
 * decoded bytes) and rejects invalid percent escapes, invalid UTF-8 and
 * embedded NUL (also as %00) with ANX_ERR_INVALID. Output strings live in
 * the arena.
 */
#ifndef ANX_PARSE_H
#define ANX_PARSE_H

#include <stddef.h>

#include <json-c/json.h>

#include "http.h"

/* Parses "a=1&b=%20x+y" into out. Empty pieces ("a=1&&b") are skipped; a
 * key without '=' has the value "". */
enum anx_err anx_parse_urlencoded(
	struct anx_arena *a, const char *s, size_t n, struct anx_kvlist *out);

/* Parses a Cookie header ("a=1; b=2") into out; values are not decoded,
 * surrounding double quotes are removed. Malformed pairs (and pairs that
 * are not valid UTF-8) are skipped as browsers do; over-long or too many pairs are ANX_ERR_INVALID. */
enum anx_err anx_parse_cookies(struct anx_arena *a, const char *header, struct anx_kvlist *out);

/* The first value for key, or NULL. */
const char *anx_kv_get(const struct anx_kvlist *l, const char *key);

/* 1 if content_type's media type (before ';', trimmed, case-insensitive)
 * equals type, e.g. anx_media_type_is("application/json; charset=utf-8",
 * "application/json"). A charset parameter other than utf-8 is a mismatch. */
int anx_media_type_is(const char *content_type, const char *type);

/*
 * Parses req's body as JSON: requires Content-Type application/json
 * (ANX_ERR_INVALID with path "headers.content-type" otherwise), then
 * anx_json_parse with the default limits. On error req->verrs (allocated in
 * the arena) holds the details. The result is owned by the arena.
 */
enum anx_err anx_parse_json_body(struct anx_req *req, json_object **out);

/* Parses req's query string (cached in the arena after the first call). */
enum anx_err anx_req_query(struct anx_req *req, const struct anx_kvlist **out);

/* Parses an application/x-www-form-urlencoded body. */
enum anx_err anx_req_form(struct anx_req *req, const struct anx_kvlist **out);

#endif
