/*
 * fuzz_router.c - libFuzzer entry point for anx_route_match(). The first
 * byte picks the method, the rest (up to a NUL, as FastCGI parameters end)
 * is the path, matched against a table shaped like the real one. Results
 * must keep router.h's promises; a broken promise aborts.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "router.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static enum anx_err
h_dummy(struct anx_req *req, struct anx_resp *resp)
{
	(void)req;
	(void)resp;
	return ANX_OK;
}

static const struct anx_route routes[] = {
	{ "GET", "/", h_dummy, ANX_ROUTE_HTML, 0 },
	{ "GET", "/api/health", h_dummy, ANX_ROUTE_API, 0 },
	{ "GET", "/api/v1/evaluations/new", h_dummy, ANX_ROUTE_API, 0 },
	{ "GET", "/api/v1/evaluations/{id}", h_dummy, ANX_ROUTE_API, 0 },
	{ "POST", "/api/v1/evaluations", h_dummy, ANX_ROUTE_API, 0 },
	{ "POST", "/api/v1/evaluations/{id}/approve", h_dummy, ANX_ROUTE_API, 0 },
	{ "DELETE", "/api/v1/policies/{pid}/rules/{rid}", h_dummy, ANX_ROUTE_API, 0 },
	{ "GET", "/p/{a}/{b}/{c}/{d}/{e}/{f}/{g}/{h}", h_dummy, ANX_ROUTE_API, 0 },
	{ "GET", "/q/{a}/{b}/{c}/{d}/{e}/{f}/{g}/{h}/{i}", h_dummy, ANX_ROUTE_API, 0 },
	{ "GET", "/{any}", h_dummy, ANX_ROUTE_HTML, 0 },
	{ "PUT", "/{a}/{b}", h_dummy, ANX_ROUTE_API, 0 },
};

static const char *const methods[] = { "GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "get",
	NULL };

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const size_t nroutes = sizeof(routes) / sizeof(routes[0]);
	const size_t nmethods = sizeof(methods) / sizeof(methods[0]);
	const struct anx_route *r;
	struct anx_arena a;
	struct anx_req req;
	enum anx_err rc;
	char *path;
	size_t i;

	if (size == 0)
		return 0;
	if ((path = malloc(size)) == NULL)
		return 0;
	memcpy(path, data + 1, size - 1);
	path[size - 1] = '\0';

	anx_arena_init(&a);
	memset(&req, 0, sizeof(req));
	req.arena = &a;
	req.method = methods[data[0] % nmethods];
	req.path = path;

	rc = anx_route_match(routes, nroutes, &req, &r);
	switch (rc) {
	case ANX_OK:
		if (r == NULL || req.nparams > ANX_MAX_PARAMS || strlen(path) > 2048 ||
			strstr(path, "//") != NULL)
			abort();
		for (i = 0; i < req.nparams; i++) {
			const char *v = req.param_values[i];

			if (v[0] == '\0' || strchr(v, '/') != NULL || strcmp(v, ".") == 0 ||
				strcmp(v, "..") == 0 ||
				anx_req_route_param(&req, req.param_names[i]) == NULL)
				abort();
		}
		break;
	case ANX_ERR_METHOD:
		if (r == NULL || req.nparams != 0)
			abort();
		break;
	case ANX_ERR_NOT_FOUND:
		if (r != NULL || req.nparams != 0)
			abort();
		break;
	case ANX_ERR_NOMEM: break;
	default: abort();
	}

	anx_arena_free(&a);
	free(path);
	return 0;
}
