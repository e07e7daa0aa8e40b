/*
 * router.c - method + path routing with {name} parameters; see router.h.
 *
 * Matching walks the pattern and the path segment by segment without
 * allocating; only the parameters of the route that wins are copied into
 * the request arena.
 *
 * Strictness, on purpose (a path that breaks a rule matches no route, so
 * the caller answers 404):
 *  - the path is absolute, at most ANX_ROUTE_MAX_PATH bytes, valid UTF-8
 *    without ASCII control characters (DOCUMENT_URI is already
 *    percent-decoded by nginx, so "%0a" would arrive as a newline);
 *  - no empty segment: neither "//" nor a trailing slash, so "/api/health/"
 *    does not match "/api/health" (no redirect, no second spelling of a
 *    URL). The root "/" is the only path ending in '/'; for the same reason
 *    a pattern with a trailing slash (other than "/") never matches;
 *  - no "." or ".." segment (traversal is never normalised away here);
 *  - literals compare byte for byte, case-sensitively; methods too
 *    (RFC 9110 §9.1), with HEAD served by GET routes.
 * A NUL byte ends a C string: the FastCGI reader must reject a
 * DOCUMENT_URI whose length differs from its strlen() before we see it.
 */
#include "router.h"

#include <string.h>

#define ANX_ROUTE_MAX_PATH 2048

/* A byte range inside a pattern or path; not NUL-terminated. */
struct span {
	const char *p;
	size_t n;
};

/* The parameters one pattern bound while matching a path. */
struct match {
	struct span names[ANX_MAX_PARAMS];
	struct span values[ANX_MAX_PARAMS];
	size_t n;
};

/*
 * 1 if path may be routed at all under the rules above, 0 if it never
 * matches. Reads at most ANX_ROUTE_MAX_PATH + 1 bytes of path.
 */
static int
path_ok(const char *path)
{
	const unsigned char *s = (const unsigned char *)path;
	size_t len, i, seg;

	if (path == NULL || path[0] != '/')
		return 0;
	if ((len = strnlen(path, ANX_ROUTE_MAX_PATH + 1)) > ANX_ROUTE_MAX_PATH)
		return 0;
	if (len == 1)
		return 1;
	if (!anx_utf8_valid(path, len))
		return 0;
	for (i = 0; i < len; i += seg) {
		/* path[i] is the '/' that starts a segment. */
		i++;
		seg = strcspn(path + i, "/");
		if (seg == 0)
			return 0;
		if (s[i] == '.' && (seg == 1 || (seg == 2 && s[i + 1] == '.')))
			return 0;
		for (size_t k = i; k < i + seg; k++)
			if (s[k] < 0x20 || s[k] == 0x7f)
				return 0;
	}
	return 1;
}

/*
 * 1 if the absolute pattern pat matches path (already checked by
 * path_ok()), filling m with the {name} segments bound; 0 otherwise. A
 * segment is a parameter when it is exactly '{' name '}' with a non-empty
 * name; anything else is a literal. A pattern with more than
 * ANX_MAX_PARAMS parameters never matches.
 */
static int
pattern_match(const char *pat, const char *path, struct match *m)
{
	size_t plen, slen;

	m->n = 0;
	if (pat == NULL || pat[0] != '/')
		return 0;
	for (;;) {
		/* Both *pat and *path are '/' here. */
		pat++;
		path++;
		plen = strcspn(pat, "/");
		slen = strcspn(path, "/");
		if (plen >= 3 && pat[0] == '{' && pat[plen - 1] == '}') {
			if (slen == 0 || m->n == ANX_MAX_PARAMS)
				return 0;
			m->names[m->n].p = pat + 1;
			m->names[m->n].n = plen - 2;
			m->values[m->n].p = path;
			m->values[m->n].n = slen;
			m->n++;
		} else if (plen != slen || memcmp(pat, path, plen) != 0) {
			return 0;
		}
		pat += plen;
		path += slen;
		if (*pat == '\0' || *path == '\0')
			return *pat == *path;
	}
}

/* 1 if a route declared for route_method serves a request method. */
static int
method_ok(const char *route_method, const char *method)
{
	if (route_method == NULL || method == NULL)
		return 0;
	if (strcmp(route_method, method) == 0)
		return 1;
	return strcmp(method, "HEAD") == 0 && strcmp(route_method, "GET") == 0;
}

/*
 * Copies the parameters in m into req->arena and req->param_names /
 * param_values / nparams. Returns ANX_OK or ANX_ERR_NOMEM (then nparams
 * is 0).
 */
static enum anx_err
bind_params(struct anx_req *req, const struct match *m)
{
	enum anx_err rc = ANX_OK;
	size_t i;

	for (i = 0; i < m->n; i++) {
		req->param_names[i] = anx_arena_strndup(req->arena, m->names[i].p, m->names[i].n);
		req->param_values[i] =
			anx_arena_strndup(req->arena, m->values[i].p, m->values[i].n);
		if (req->param_names[i] == NULL || req->param_values[i] == NULL) {
			rc = ANX_ERR_NOMEM;
			goto out;
		}
	}
	req->nparams = m->n;
out:
	return rc;
}

/*
 * Finds the first route in table[0..n) whose pattern matches req->path
 * and whose method serves req->method; see router.h for the results.
 * req->nparams is 0 unless ANX_OK is returned. *out points into table.
 */
enum anx_err
anx_route_match(
	const struct anx_route *table, size_t n, struct anx_req *req, const struct anx_route **out)
{
	const struct anx_route *other = NULL;
	enum anx_err rc = ANX_ERR_NOT_FOUND;
	struct match m;
	size_t i;

	*out = NULL;
	req->nparams = 0;
	if (!path_ok(req->path))
		goto out;
	for (i = 0; i < n; i++) {
		if (!pattern_match(table[i].pattern, req->path, &m))
			continue;
		if (!method_ok(table[i].method, req->method)) {
			if (other == NULL)
				other = &table[i];
			continue;
		}
		if ((rc = bind_params(req, &m)) == ANX_OK)
			*out = &table[i];
		goto out;
	}
	if (other != NULL) {
		*out = other;
		rc = ANX_ERR_METHOD;
	}
out:
	return rc;
}
