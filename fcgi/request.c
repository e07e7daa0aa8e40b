/*
 * request.c - small accessors over struct anx_req; see http.h.
 */
#include "http.h"

#include <string.h>

/*
 * Returns the raw FastCGI parameter cgi_name (e.g. "HTTP_AUTHORIZATION",
 * "HTTP_COOKIE") through req->param, or NULL if unset or there is no
 * getter. The string is owned by the getter and lives for the request.
 */
const char *
anx_req_header(struct anx_req *req, const char *cgi_name)
{
	if (req == NULL || req->param == NULL || cgi_name == NULL)
		return NULL;
	return req->param(req, cgi_name);
}

/*
 * Returns the value of route parameter name ("id" for a pattern segment
 * "{id}") as filled by anx_route_match(), or NULL if the matched route has
 * no such parameter. The string lives in req->arena.
 */
const char *
anx_req_route_param(const struct anx_req *req, const char *name)
{
	size_t i;

	if (req == NULL || name == NULL)
		return NULL;
	for (i = 0; i < req->nparams && i < ANX_MAX_PARAMS; i++)
		if (req->param_names[i] != NULL && strcmp(req->param_names[i], name) == 0)
			return req->param_values[i];
	return NULL;
}
