/*
 * test_router.c - table-driven tests of fcgi/router.c (after kcgi's
 * test-valid-email.c): parameters, literal vs parameter precedence by
 * table order, method mismatch, HEAD, limits and traversal.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "router.h"

static enum anx_err
h_dummy(struct anx_req *req, struct anx_resp *resp)
{
	return ANX_OK;
}

static const struct anx_route routes[] = {
	{ "GET", "/", h_dummy, ANX_ROUTE_HTML, 0 },                                     /* 0 */
	{ "GET", "/api/health", h_dummy, ANX_ROUTE_API, 0 },                            /* 1 */
	{ "GET", "/api/v1/evaluations/new", h_dummy, ANX_ROUTE_API, 0 },                /* 2 */
	{ "GET", "/api/v1/evaluations/{id}", h_dummy, ANX_ROUTE_API, 0 },               /* 3 */
	{ "POST", "/api/v1/evaluations", h_dummy, ANX_ROUTE_API, 0 },                   /* 4 */
	{ "GET", "/api/v1/evaluations", h_dummy, ANX_ROUTE_API, 0 },                    /* 5 */
	{ "POST", "/api/v1/evaluations/{id}/approve", h_dummy, ANX_ROUTE_API, 0 },      /* 6 */
	{ "DELETE", "/api/v1/policies/{pid}/rules/{rid}", h_dummy, ANX_ROUTE_API, 0 },  /* 7 */
	{ "GET", "/p/{a}/{b}/{c}/{d}/{e}/{f}/{g}/{h}", h_dummy, ANX_ROUTE_API, 0 },     /* 8 */
	{ "GET", "/q/{a}/{b}/{c}/{d}/{e}/{f}/{g}/{h}/{i}", h_dummy, ANX_ROUTE_API, 0 }, /* 9 */
	{ "GET", "/files/{name}/raw", h_dummy, ANX_ROUTE_HTML, 0 },                     /* 10 */
	{ "PUT", "/api/v1/settings", h_dummy, ANX_ROUTE_API, 0 },                       /* 11 */
	{ "GET", "/x/{id}", h_dummy, ANX_ROUTE_HTML, 0 },                               /* 12 */
	{ "GET", "/x/new", h_dummy, ANX_ROUTE_HTML, 0 },                                /* 13 */
	{ "GET", "/docs/", h_dummy, ANX_ROUTE_HTML, 0 },                                /* 14 */
	{ "GET", "/lit/{}", h_dummy, ANX_ROUTE_HTML, 0 },                               /* 15 */
};
#define NROUTES (sizeof(routes) / sizeof(routes[0]))

#define MAXP 8

struct rcase {
	const char *method;
	const char *path;
	enum anx_err rc;
	int route; /* index into routes, -1: *out NULL */
	size_t nparams;
	const char *params[MAXP][2];
};

static const struct rcase cases[] = {
	/* plain literals */
	{ "GET", "/", ANX_OK, 0, 0, { { NULL } } },
	{ "GET", "/api/health", ANX_OK, 1, 0, { { NULL } } },
	{ "HEAD", "/api/health", ANX_OK, 1, 0, { { NULL } } },
	{ "GET", "/api/v1/evaluations", ANX_OK, 5, 0, { { NULL } } },
	{ "POST", "/api/v1/evaluations", ANX_OK, 4, 0, { { NULL } } },
	{ "PUT", "/api/v1/settings", ANX_OK, 11, 0, { { NULL } } },
	/* strict trailing slash, empty segments, prefixes, case */
	{ "GET", "/api/health/", ANX_ERR_NOT_FOUND, -1, 0, { { NULL } } },
	{ "GET", "//api/health", ANX_ERR_NOT_FOUND, -1, 0, { { NULL } } },
	{ "GET", "/api//health", ANX_ERR_NOT_FOUND, -1, 0, { { NULL } } },
	{ "GET", "/docs/", ANX_ERR_NOT_FOUND, -1, 0, { { NULL } } },
	{ "GET", "/docs", ANX_ERR_NOT_FOUND, -1, 0, { { NULL } } },
	{ "GET", "/api", ANX_ERR_NOT_FOUND, -1, 0, { { NULL } } },
	{ "GET", "/api/health/x", ANX_ERR_NOT_FOUND, -1, 0, { { NULL } } },
	{ "GET", "/api/healthz", ANX_ERR_NOT_FOUND, -1, 0, { { NULL } } },
	{ "GET", "/API/HEALTH", ANX_ERR_NOT_FOUND, -1, 0, { { NULL } } },
	{ "GET", "", ANX_ERR_NOT_FOUND, -1, 0, { { NULL } } },
	{ "GET", "api/health", ANX_ERR_NOT_FOUND, -1, 0, { { NULL } } },
	{ "GET", NULL, ANX_ERR_NOT_FOUND, -1, 0, { { NULL } } },
	/* parameters */
	{ "GET", "/api/v1/evaluations/abc", ANX_OK, 3, 1, { { "id", "abc" } } },
	{ "GET", "/api/v1/evaluations/..x", ANX_OK, 3, 1, { { "id", "..x" } } },
	{ "GET", "/api/v1/evaluations/%2e%2e", ANX_OK, 3, 1, { { "id", "%2e%2e" } } },
	{ "POST", "/api/v1/evaluations/42/approve", ANX_OK, 6, 1, { { "id", "42" } } },
	{ "DELETE", "/api/v1/policies/p1/rules/r2", ANX_OK, 7, 2,
		{ { "pid", "p1" }, { "rid", "r2" } } },
	{ "GET", "/files/a b/raw", ANX_OK, 10, 1, { { "name", "a b" } } },
	{ "GET", "/files/\xc3\xa9t\xc3\xa9/raw", ANX_OK, 10, 1,
		{ { "name", "\xc3\xa9t\xc3\xa9" } } },
	{ "GET", "/p/1/2/3/4/5/6/7/8", ANX_OK, 8, 8,
		{ { "a", "1" }, { "b", "2" }, { "c", "3" }, { "d", "4" }, { "e", "5" },
			{ "f", "6" }, { "g", "7" }, { "h", "8" } } },
	{ "GET", "/q/1/2/3/4/5/6/7/8/9", ANX_ERR_NOT_FOUND, -1, 0, { { NULL } } },
	{ "GET", "/p/1/2/3/4/5/6/7", ANX_ERR_NOT_FOUND, -1, 0, { { NULL } } },
	{ "GET", "/files/raw", ANX_ERR_NOT_FOUND, -1, 0, { { NULL } } },
	{ "GET", "/lit/{}", ANX_OK, 15, 0, { { NULL } } },
	{ "GET", "/lit/x", ANX_ERR_NOT_FOUND, -1, 0, { { NULL } } },
	/* precedence is table order: literal first wins, param first wins */
	{ "GET", "/api/v1/evaluations/new", ANX_OK, 2, 0, { { NULL } } },
	{ "GET", "/x/new", ANX_OK, 12, 1, { { "id", "new" } } },
	/* method mismatch: the first route whose pattern matched */
	{ "POST", "/api/health", ANX_ERR_METHOD, 1, 0, { { NULL } } },
	{ "DELETE", "/api/v1/evaluations", ANX_ERR_METHOD, 4, 0, { { NULL } } },
	{ "GET", "/api/v1/evaluations/42/approve", ANX_ERR_METHOD, 6, 0, { { NULL } } },
	{ "HEAD", "/api/v1/settings", ANX_ERR_METHOD, 11, 0, { { NULL } } },
	{ "get", "/api/health", ANX_ERR_METHOD, 1, 0, { { NULL } } },
	{ NULL, "/api/health", ANX_ERR_METHOD, 1, 0, { { NULL } } },
	{ "", "/api/health", ANX_ERR_METHOD, 1, 0, { { NULL } } },
	/* traversal and hostile bytes never match */
	{ "GET", "/api/v1/evaluations/..", ANX_ERR_NOT_FOUND, -1, 0, { { NULL } } },
	{ "GET", "/api/v1/evaluations/.", ANX_ERR_NOT_FOUND, -1, 0, { { NULL } } },
	{ "GET", "/api/../api/health", ANX_ERR_NOT_FOUND, -1, 0, { { NULL } } },
	{ "GET", "/./api/health", ANX_ERR_NOT_FOUND, -1, 0, { { NULL } } },
	{ "GET", "/files/../raw", ANX_ERR_NOT_FOUND, -1, 0, { { NULL } } },
	{ "GET", "/files/\xff/raw", ANX_ERR_NOT_FOUND, -1, 0, { { NULL } } },
	{ "GET", "/files/\xc0\xaf/raw", ANX_ERR_NOT_FOUND, -1, 0, { { NULL } } },
	{ "GET", "/files/a\nb/raw", ANX_ERR_NOT_FOUND, -1, 0, { { NULL } } },
	{ "GET", "/files/a\x7f/raw", ANX_ERR_NOT_FOUND, -1, 0, { { NULL } } },
};

/* Sets up a request for method and path over arena a. */
static void
fake_req(struct anx_req *req, struct anx_arena *a, const char *method, const char *path)
{
	memset(req, 0, sizeof(*req));
	anx_arena_init(a);
	req->arena = a;
	req->method = method;
	req->path = path;
	req->query = "";
	req->request_id = "test";
}

static void
test_route_table(void **state)
{
	const struct anx_route *r;
	struct anx_arena a;
	struct anx_req req;
	size_t i, k;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct rcase *c = &cases[i];

		print_message("route[%zu]\n", i);
		fake_req(&req, &a, c->method, c->path);
		req.nparams = 3; /* stale state must be cleared */
		r = &routes[0];
		assert_int_equal(anx_route_match(routes, NROUTES, &req, &r), c->rc);
		if (c->route < 0)
			assert_null(r);
		else
			assert_ptr_equal(r, &routes[c->route]);
		assert_int_equal(req.nparams, c->nparams);
		for (k = 0; k < c->nparams; k++) {
			assert_string_equal(req.param_names[k], c->params[k][0]);
			assert_string_equal(req.param_values[k], c->params[k][1]);
			assert_string_equal(
				anx_req_route_param(&req, c->params[k][0]), c->params[k][1]);
		}
		anx_arena_free(&a);
	}
}

/* Path length limit: 2048 bytes match, 2049 never do. */
static void
test_route_path_limit(void **state)
{
	const struct anx_route *r;
	struct anx_arena a;
	struct anx_req req;
	char *path = malloc(2050 + 1);
	size_t name;

	assert_non_null(path);
	/* "/files/" + name + "/raw" */
	name = 2048 - strlen("/files/") - strlen("/raw");
	memcpy(path, "/files/", 7);
	memset(path + 7, 'n', name);
	strcpy(path + 7 + name, "/raw");
	assert_int_equal(strlen(path), 2048);
	fake_req(&req, &a, "GET", path);
	assert_int_equal(anx_route_match(routes, NROUTES, &req, &r), ANX_OK);
	assert_ptr_equal(r, &routes[10]);
	assert_int_equal(strlen(anx_req_route_param(&req, "name")), name);
	anx_arena_free(&a);

	memset(path + 7, 'n', name + 1);
	strcpy(path + 7 + name + 1, "/raw");
	assert_int_equal(strlen(path), 2049);
	fake_req(&req, &a, "GET", path);
	assert_int_equal(anx_route_match(routes, NROUTES, &req, &r), ANX_ERR_NOT_FOUND);
	assert_null(r);
	anx_arena_free(&a);
	free(path);
}

/* Parameter values are copies in the arena, not pointers into the path. */
static void
test_route_params_copied(void **state)
{
	const struct anx_route *r;
	struct anx_arena a;
	struct anx_req req;
	char path[] = "/api/v1/evaluations/ev_1";

	fake_req(&req, &a, "GET", path);
	assert_int_equal(anx_route_match(routes, NROUTES, &req, &r), ANX_OK);
	memset(path, 'z', sizeof(path) - 1);
	assert_string_equal(anx_req_route_param(&req, "id"), "ev_1");
	assert_null(anx_req_route_param(&req, "name"));
	anx_arena_free(&a);
}

/* An empty table, and malformed patterns, never match. */
static void
test_route_degenerate_tables(void **state)
{
	static const struct anx_route bad[] = {
		{ "GET", NULL, h_dummy, ANX_ROUTE_API, 0 },
		{ "GET", "", h_dummy, ANX_ROUTE_API, 0 },
		{ "GET", "a/b", h_dummy, ANX_ROUTE_API, 0 },
		{ NULL, "/a/b", h_dummy, ANX_ROUTE_API, 0 },
	};
	const struct anx_route *r;
	struct anx_arena a;
	struct anx_req req;

	fake_req(&req, &a, "GET", "/a/b");
	assert_int_equal(anx_route_match(NULL, 0, &req, &r), ANX_ERR_NOT_FOUND);
	assert_null(r);
	assert_int_equal(anx_route_match(bad, 3, &req, &r), ANX_ERR_NOT_FOUND);
	assert_int_equal(anx_route_match(bad, 4, &req, &r), ANX_ERR_METHOD);
	assert_ptr_equal(r, &bad[3]);
	anx_arena_free(&a);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_route_table),
		cmocka_unit_test(test_route_path_limit),
		cmocka_unit_test(test_route_params_copied),
		cmocka_unit_test(test_route_degenerate_tables),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
