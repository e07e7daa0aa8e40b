/*
 * test_parse.c - table-driven tests of fcgi/parse.c and fcgi/request.c
 * (after kcgi's test-valid-email.c): urlencoded query strings and forms,
 * Cookie headers, media types, JSON bodies and the request helpers.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "parse.h"

#define MAXPAIRS 6

/* One parser case: input (len 0: strlen), expected result and pairs. */
struct kvcase {
	const char *in;
	size_t len;
	enum anx_err rc;
	size_t n;
	const char *pairs[MAXPAIRS][2];
};

static const struct kvcase urlenc_cases[] = {
	/* valid */
	{ "", 0, ANX_OK, 0, { { NULL } } },
	{ "a=1", 0, ANX_OK, 1, { { "a", "1" } } },
	{ "a=1&b=2", 0, ANX_OK, 2, { { "a", "1" }, { "b", "2" } } },
	{ "a=1&&b=2&", 0, ANX_OK, 2, { { "a", "1" }, { "b", "2" } } },
	{ "&&&", 0, ANX_OK, 0, { { NULL } } },
	{ "a", 0, ANX_OK, 1, { { "a", "" } } },
	{ "a=", 0, ANX_OK, 1, { { "a", "" } } },
	{ "=x", 0, ANX_OK, 1, { { "", "x" } } },
	{ "a=b=c", 0, ANX_OK, 1, { { "a", "b=c" } } },
	{ "q=%20x+y", 0, ANX_OK, 1, { { "q", " x y" } } },
	{ "a+b=c%2Bd", 0, ANX_OK, 1, { { "a b", "c+d" } } },
	{ "a=1&a=2", 0, ANX_OK, 2, { { "a", "1" }, { "a", "2" } } },
	{ "n=%C3%A9t%C3%A9", 0, ANX_OK, 1, { { "n", "\xc3\xa9t\xc3\xa9" } } },
	{ "x=%e2%82%ac", 0, ANX_OK, 1, { { "x", "\xe2\x82\xac" } } },
	{ "k=caf\xc3\xa9", 0, ANX_OK, 1, { { "k", "caf\xc3\xa9" } } },
	{ "a=%25&b=%26&c=%3D", 0, ANX_OK, 3, { { "a", "%" }, { "b", "&" }, { "c", "=" } } },
	{ "e=%F0%9F%98%80", 0, ANX_OK, 1, { { "e", "\xf0\x9f\x98\x80" } } },
	/* n bytes only: the input need not be NUL-terminated */
	{ "a=1&b=2", 3, ANX_OK, 1, { { "a", "1" } } },
	/* invalid: strict percent escapes */
	{ "a=%zz", 0, ANX_ERR_INVALID, 0, { { NULL } } },
	{ "a=%4", 0, ANX_ERR_INVALID, 0, { { NULL } } },
	{ "a=%", 0, ANX_ERR_INVALID, 0, { { NULL } } },
	{ "a=%g0", 0, ANX_ERR_INVALID, 0, { { NULL } } },
	{ "%=a", 0, ANX_ERR_INVALID, 0, { { NULL } } },
	{ "ok=1&a=%4x", 0, ANX_ERR_INVALID, 0, { { NULL } } },
	/* invalid: NUL, raw or escaped */
	{ "a=%00", 0, ANX_ERR_INVALID, 0, { { NULL } } },
	{ "%00=a", 0, ANX_ERR_INVALID, 0, { { NULL } } },
	{ "a=1\0b", 5, ANX_ERR_INVALID, 0, { { NULL } } },
	/* invalid: UTF-8 */
	{ "a=%C3", 0, ANX_ERR_INVALID, 0, { { NULL } } },
	{ "a=%C0%AF", 0, ANX_ERR_INVALID, 0, { { NULL } } },
	{ "a=%ED%A0%80", 0, ANX_ERR_INVALID, 0, { { NULL } } },
	{ "a=%F4%90%80%80", 0, ANX_ERR_INVALID, 0, { { NULL } } },
	{ "a=\xff", 0, ANX_ERR_INVALID, 0, { { NULL } } },
	{ "%FF=1", 0, ANX_ERR_INVALID, 0, { { NULL } } },
};

static const struct kvcase cookie_cases[] = {
	/* valid */
	{ "", 0, ANX_OK, 0, { { NULL } } },
	{ "a=1", 0, ANX_OK, 1, { { "a", "1" } } },
	{ "a=1; b=2", 0, ANX_OK, 2, { { "a", "1" }, { "b", "2" } } },
	{ "a=1;b=2", 0, ANX_OK, 2, { { "a", "1" }, { "b", "2" } } },
	{ "  a=1 ;   b=2  ", 0, ANX_OK, 2, { { "a", "1" }, { "b", "2" } } },
	{ "a=\t1\t", 0, ANX_OK, 1, { { "a", "1" } } },
	{ "a=", 0, ANX_OK, 1, { { "a", "" } } },
	{ "a=\"quoted\"", 0, ANX_OK, 1, { { "a", "quoted" } } },
	{ "a=\"\"", 0, ANX_OK, 1, { { "a", "" } } },
	{ "a=\"", 0, ANX_OK, 1, { { "a", "\"" } } },
	{ "a=\"x", 0, ANX_OK, 1, { { "a", "\"x" } } },
	{ "a=%20+", 0, ANX_OK, 1, { { "a", "%20+" } } },
	{ "a=b=c", 0, ANX_OK, 1, { { "a", "b=c" } } },
	{ "noeq; b=2", 0, ANX_OK, 1, { { "b", "2" } } },
	{ "=v; b=2", 0, ANX_OK, 1, { { "b", "2" } } },
	{ " =v;  = ", 0, ANX_OK, 0, { { NULL } } },
	{ ";;;", 0, ANX_OK, 0, { { NULL } } },
	{ "a=1; a=2", 0, ANX_OK, 2, { { "a", "1" }, { "a", "2" } } },
	{ "sid=abc.def; csrf=\"x y\"; theme=dark", 0, ANX_OK, 3,
		{ { "sid", "abc.def" }, { "csrf", "x y" }, { "theme", "dark" } } },
	{ "n=caf\xc3\xa9", 0, ANX_OK, 1, { { "n", "caf\xc3\xa9" } } },
	/* pairs that are not UTF-8 are skipped, never passed on */
	{ "a=\xff", 0, ANX_OK, 0, { { NULL } } },
	{ "\xc3=1", 0, ANX_OK, 0, { { NULL } } },
	{ "a=\xff; sid=ok", 0, ANX_OK, 1, { { "sid", "ok" } } },
};

/*
 * Checks l against the expected pairs of c; kv_get must find the first
 * value of every key.
 */
static void
check_pairs(const struct kvcase *c, const struct anx_kvlist *l)
{
	size_t i;

	assert_int_equal(l->n, c->n);
	for (i = 0; i < c->n; i++) {
		assert_string_equal(l->items[i].key, c->pairs[i][0]);
		assert_string_equal(l->items[i].val, c->pairs[i][1]);
		assert_int_equal(l->items[i].vlen, strlen(c->pairs[i][1]));
	}
	if (c->n > 0)
		assert_ptr_equal(anx_kv_get(l, c->pairs[0][0]), l->items[0].val);
	if (c->n == 0)
		assert_null(l->items);
}

static void
test_urlencoded_table(void **state)
{
	struct anx_arena a;
	struct anx_kvlist l;
	size_t i;

	anx_arena_init(&a);
	for (i = 0; i < sizeof(urlenc_cases) / sizeof(urlenc_cases[0]); i++) {
		const struct kvcase *c = &urlenc_cases[i];
		size_t len = c->len ? c->len : strlen(c->in);
		/* Exact-size heap copy: ASan/valgrind catch any over-read. */
		char *in = malloc(len ? len : 1);

		assert_non_null(in);
		memcpy(in, c->in, len);
		print_message("urlencoded[%zu]\n", i);
		assert_int_equal(anx_parse_urlencoded(&a, in, len, &l), c->rc);
		check_pairs(c, &l);
		free(in);
	}
	anx_arena_free(&a);
}

static void
test_urlencoded_repeat_get(void **state)
{
	struct anx_arena a;
	struct anx_kvlist l;

	anx_arena_init(&a);
	assert_int_equal(anx_parse_urlencoded(&a, "x=0&a=1&a=2", 11, &l), ANX_OK);
	assert_string_equal(anx_kv_get(&l, "a"), "1");
	assert_null(anx_kv_get(&l, "A"));
	assert_null(anx_kv_get(&l, "b"));
	assert_null(anx_kv_get(NULL, "a"));
	assert_int_equal(anx_parse_urlencoded(&a, NULL, 0, &l), ANX_OK);
	assert_int_equal(l.n, 0);
	assert_int_equal(anx_parse_urlencoded(&a, NULL, 3, &l), ANX_ERR_INVALID);
	anx_arena_free(&a);
}

/* Builds n pairs "k0=v&k1=v&..." into a malloc'd string. */
static char *
make_pairs(size_t n, const char *sep)
{
	size_t cap = n * (strlen(sep) + 16) + 1, len = 0, i;
	char *s = malloc(cap);

	assert_non_null(s);
	s[0] = '\0';
	for (i = 0; i < n; i++)
		len += (size_t)snprintf(s + len, cap - len, "%sk%zu=v", i ? sep : "", i);
	return s;
}

static void
test_urlencoded_limits(void **state)
{
	struct anx_arena a;
	struct anx_kvlist l;
	char *s;
	size_t i;

	anx_arena_init(&a);

	/* ANX_MAX_KV pairs; empty pieces do not count. */
	s = make_pairs(ANX_MAX_KV, "&&");
	assert_int_equal(anx_parse_urlencoded(&a, s, strlen(s), &l), ANX_OK);
	assert_int_equal(l.n, ANX_MAX_KV);
	assert_string_equal(l.items[ANX_MAX_KV - 1].key, "k255");
	free(s);
	s = make_pairs(ANX_MAX_KV + 1, "&");
	assert_int_equal(anx_parse_urlencoded(&a, s, strlen(s), &l), ANX_ERR_INVALID);
	assert_int_equal(l.n, 0);
	free(s);

	/* Keys: ANX_MAX_KEY decoded bytes, counted after decoding. */
	s = malloc(3 * (ANX_MAX_KEY + 1) + 8);
	assert_non_null(s);
	memset(s, 'k', ANX_MAX_KEY);
	strcpy(s + ANX_MAX_KEY, "=v");
	assert_int_equal(anx_parse_urlencoded(&a, s, strlen(s), &l), ANX_OK);
	assert_int_equal(strlen(l.items[0].key), ANX_MAX_KEY);
	memset(s, 'k', ANX_MAX_KEY + 1);
	strcpy(s + ANX_MAX_KEY + 1, "=v");
	assert_int_equal(anx_parse_urlencoded(&a, s, strlen(s), &l), ANX_ERR_INVALID);
	for (i = 0; i < ANX_MAX_KEY; i++)
		memcpy(s + 3 * i, "%41", 3);
	strcpy(s + 3 * ANX_MAX_KEY, "=v");
	assert_int_equal(anx_parse_urlencoded(&a, s, strlen(s), &l), ANX_OK);
	assert_int_equal(strlen(l.items[0].key), ANX_MAX_KEY);
	free(s);

	/* Values: ANX_MAX_VALUE decoded bytes. */
	s = malloc(ANX_MAX_VALUE + 8);
	assert_non_null(s);
	memcpy(s, "v=", 2);
	memset(s + 2, 'x', ANX_MAX_VALUE + 1);
	assert_int_equal(anx_parse_urlencoded(&a, s, 2 + ANX_MAX_VALUE, &l), ANX_OK);
	assert_int_equal(l.items[0].vlen, ANX_MAX_VALUE);
	assert_int_equal(anx_parse_urlencoded(&a, s, 2 + ANX_MAX_VALUE + 1, &l), ANX_ERR_INVALID);
	free(s);

	anx_arena_free(&a);
}

static void
test_cookies_table(void **state)
{
	struct anx_arena a;
	struct anx_kvlist l;
	size_t i;

	anx_arena_init(&a);
	for (i = 0; i < sizeof(cookie_cases) / sizeof(cookie_cases[0]); i++) {
		print_message("cookies[%zu]\n", i);
		assert_int_equal(anx_parse_cookies(&a, cookie_cases[i].in, &l), cookie_cases[i].rc);
		check_pairs(&cookie_cases[i], &l);
	}
	assert_int_equal(anx_parse_cookies(&a, NULL, &l), ANX_OK);
	assert_int_equal(l.n, 0);
	assert_int_equal(anx_parse_cookies(&a, "sid=1; sid=2", &l), ANX_OK);
	assert_string_equal(anx_kv_get(&l, "sid"), "1");
	anx_arena_free(&a);
}

static void
test_cookies_limits(void **state)
{
	struct anx_arena a;
	struct anx_kvlist l;
	char *s;

	anx_arena_init(&a);

	/* ANX_MAX_KV pairs; skipped pieces do not count. */
	s = make_pairs(ANX_MAX_KV, "; junk;=x; ");
	assert_int_equal(anx_parse_cookies(&a, s, &l), ANX_OK);
	assert_int_equal(l.n, ANX_MAX_KV);
	free(s);
	s = make_pairs(ANX_MAX_KV + 1, ";");
	assert_int_equal(anx_parse_cookies(&a, s, &l), ANX_ERR_INVALID);
	assert_int_equal(l.n, 0);
	free(s);

	/* Names over ANX_MAX_KEY, values over ANX_MAX_VALUE bytes. */
	s = malloc(ANX_MAX_VALUE + 8);
	assert_non_null(s);
	memset(s, 'n', ANX_MAX_KEY);
	strcpy(s + ANX_MAX_KEY, "=1");
	assert_int_equal(anx_parse_cookies(&a, s, &l), ANX_OK);
	memset(s, 'n', ANX_MAX_KEY + 1);
	strcpy(s + ANX_MAX_KEY + 1, "=1");
	assert_int_equal(anx_parse_cookies(&a, s, &l), ANX_ERR_INVALID);
	memcpy(s, "v=", 2);
	memset(s + 2, 'x', ANX_MAX_VALUE);
	s[2 + ANX_MAX_VALUE] = '\0';
	assert_int_equal(anx_parse_cookies(&a, s, &l), ANX_OK);
	assert_int_equal(l.items[0].vlen, ANX_MAX_VALUE);
	s[2 + ANX_MAX_VALUE] = 'x';
	s[3 + ANX_MAX_VALUE] = '\0';
	assert_int_equal(anx_parse_cookies(&a, s, &l), ANX_ERR_INVALID);
	/* DQUOTEs are not counted. */
	s[2] = '"';
	s[2 + ANX_MAX_VALUE] = '"';
	assert_int_equal(anx_parse_cookies(&a, s, &l), ANX_OK);
	assert_int_equal(l.items[0].vlen, ANX_MAX_VALUE - 1);
	free(s);

	anx_arena_free(&a);
}

struct mtcase {
	const char *ct;
	const char *type;
	int want;
};

static const struct mtcase media_cases[] = {
	{ "application/json", "application/json", 1 },
	{ "application/json; charset=utf-8", "application/json", 1 },
	{ "Application/JSON ; charset=UTF-8", "application/json", 1 },
	{ "application/json;charset=\"utf-8\"", "application/json", 1 },
	{ "  application/json\t", "application/json", 1 },
	{ "application/json;", "application/json", 1 },
	{ "application/json; ; charset=utf-8", "application/json", 1 },
	{ "application/json; foo=bar", "application/json", 1 },
	{ "application/json; CHARSET=utf-8", "application/json", 1 },
	{ "application/x-www-form-urlencoded", "application/x-www-form-urlencoded", 1 },
	{ "application/x-www-form-urlencoded; charset=UTF-8", "application/x-www-form-urlencoded",
		1 },
	{ NULL, "application/json", 0 },
	{ "", "application/json", 0 },
	{ "application/jsonx", "application/json", 0 },
	{ "application/json; charset=latin1", "application/json", 0 },
	{ "application/json; charset=utf-8; charset=latin1", "application/json", 0 },
	{ "application/json; charset=\"utf\\-8\"", "application/json", 0 },
	{ "application/json; charset", "application/json", 0 },
	{ "application/json; charset=", "application/json", 0 },
	{ "application/json; charset = utf-8", "application/json", 0 },
	{ "application/json; charset=\"utf-8", "application/json", 0 },
	{ "application/json x", "application/json", 0 },
	{ "application/json, text/plain", "application/json", 0 },
	{ "application/json/x", "application/json", 0 },
	{ "text/json", "application/json", 0 },
	{ "application", "application/json", 0 },
	{ "multipart/form-data; boundary=x", "application/x-www-form-urlencoded", 0 },
};

static void
test_media_types(void **state)
{
	size_t i;

	for (i = 0; i < sizeof(media_cases) / sizeof(media_cases[0]); i++) {
		print_message("media[%zu] %s\n", i, media_cases[i].ct ? media_cases[i].ct : "NULL");
		assert_int_equal(anx_media_type_is(media_cases[i].ct, media_cases[i].type),
			media_cases[i].want);
	}
}

/* A fake FastCGI environment, ended by a NULL name. */
struct envvar {
	const char *name;
	const char *value;
};

static struct envvar fake_env[] = {
	{ "HTTP_AUTHORIZATION", "Bearer t0k" },
	{ "HTTP_COOKIE", "sid=abc" },
	{ NULL, NULL },
};

static const char *
fake_param(struct anx_req *req, const char *name)
{
	const struct envvar *e;

	for (e = req->param_ctx; e->name != NULL; e++)
		if (strcmp(e->name, name) == 0)
			return e->value;
	return NULL;
}

/* Sets up req over arena a with the given content type and body. */
static void
fake_req(struct anx_req *req, struct anx_arena *a, const char *ct, const char *body)
{
	memset(req, 0, sizeof(*req));
	anx_arena_init(a);
	req->arena = a;
	req->param = fake_param;
	req->param_ctx = fake_env;
	req->method = "POST";
	req->path = "/";
	req->query = "";
	req->request_id = "test";
	req->content_type = ct;
	req->body = body;
	req->body_len = body != NULL ? strlen(body) : 0;
}

struct jcase {
	const char *ct;
	const char *body;
	enum anx_err rc;
	json_type type;      /* when rc is ANX_OK */
	const char *path;    /* else: first verr */
	const char *problem; /* NULL: any */
};

static const struct jcase json_cases[] = {
	{ "application/json", "{\"a\":1}", ANX_OK, json_type_object, NULL, NULL },
	{ "application/json; charset=utf-8", "[1,2]", ANX_OK, json_type_array, NULL, NULL },
	{ "Application/Json", " \"s\" ", ANX_OK, json_type_string, NULL, NULL },
	{ "text/plain", "{}", ANX_ERR_INVALID, json_type_null, "headers.content-type",
		"must be application/json" },
	{ NULL, "{}", ANX_ERR_INVALID, json_type_null, "headers.content-type",
		"must be application/json" },
	{ "application/json; charset=latin1", "{}", ANX_ERR_INVALID, json_type_null,
		"headers.content-type", "must be application/json" },
	{ "application/json", "", ANX_ERR_INVALID, json_type_null, "", "request body is empty" },
	{ "application/json", NULL, ANX_ERR_INVALID, json_type_null, "", "request body is empty" },
	{ "application/json", "{", ANX_ERR_INVALID, json_type_null, "", NULL },
	{ "application/json", "{} x", ANX_ERR_INVALID, json_type_null, "", NULL },
	{ "application/json", "{'a':1}", ANX_ERR_INVALID, json_type_null, "", NULL },
};

static void
test_json_body(void **state)
{
	struct anx_arena a;
	struct anx_req req;
	json_object *obj;
	size_t i;

	for (i = 0; i < sizeof(json_cases) / sizeof(json_cases[0]); i++) {
		const struct jcase *c = &json_cases[i];

		print_message("json[%zu]\n", i);
		fake_req(&req, &a, c->ct, c->body);
		obj = NULL;
		assert_int_equal(anx_parse_json_body(&req, &obj), c->rc);
		if (c->rc == ANX_OK) {
			assert_non_null(obj);
			assert_int_equal(json_object_get_type(obj), c->type);
			assert_null(req.verrs);
		} else {
			assert_null(obj);
			assert_non_null(req.verrs);
			assert_true(req.verrs->n >= 1);
			assert_string_equal(req.verrs->items[0].path, c->path);
			if (c->problem != NULL)
				assert_string_equal(req.verrs->items[0].problem, c->problem);
		}
		/* The arena owns obj: valgrind/ASan flag a leak otherwise. */
		anx_arena_free(&a);
	}
}

static void
test_req_query(void **state)
{
	struct anx_arena a;
	struct anx_req req;
	const struct anx_kvlist *l, *l2;

	fake_req(&req, &a, NULL, NULL);
	req.query = "page=2&q=a+b";
	assert_int_equal(anx_req_query(&req, &l), ANX_OK);
	assert_int_equal(l->n, 2);
	assert_string_equal(anx_kv_get(l, "q"), "a b");
	/* cached: the same list, even if the string changed */
	req.query = "x=1";
	assert_int_equal(anx_req_query(&req, &l2), ANX_OK);
	assert_ptr_equal(l, l2);
	anx_arena_free(&a);

	fake_req(&req, &a, NULL, NULL);
	req.query = NULL;
	assert_int_equal(anx_req_query(&req, &l), ANX_OK);
	assert_int_equal(l->n, 0);
	anx_arena_free(&a);

	fake_req(&req, &a, NULL, NULL);
	req.query = "a=%zz";
	assert_int_equal(anx_req_query(&req, &l), ANX_ERR_INVALID);
	assert_null(l);
	assert_non_null(req.err_message);
	assert_null(req.query_cache);
	anx_arena_free(&a);
}

static void
test_req_form(void **state)
{
	struct anx_arena a;
	struct anx_req req;
	const struct anx_kvlist *l, *l2;

	fake_req(&req, &a, "application/x-www-form-urlencoded", "name=J%C3%BCrgen&ok=on");
	assert_int_equal(anx_req_form(&req, &l), ANX_OK);
	assert_int_equal(l->n, 2);
	assert_string_equal(anx_kv_get(l, "name"), "J\xc3\xbcrgen");
	assert_int_equal(anx_req_form(&req, &l2), ANX_OK);
	assert_ptr_equal(l, l2);
	anx_arena_free(&a);

	fake_req(&req, &a, "application/x-www-form-urlencoded; charset=utf-8", NULL);
	assert_int_equal(anx_req_form(&req, &l), ANX_OK);
	assert_int_equal(l->n, 0);
	anx_arena_free(&a);

	fake_req(&req, &a, "multipart/form-data; boundary=x", "a=1");
	assert_int_equal(anx_req_form(&req, &l), ANX_ERR_INVALID);
	assert_null(l);
	assert_non_null(req.verrs);
	assert_string_equal(req.verrs->items[0].path, "headers.content-type");
	anx_arena_free(&a);

	fake_req(&req, &a, NULL, "a=1");
	assert_int_equal(anx_req_form(&req, &l), ANX_ERR_INVALID);
	anx_arena_free(&a);

	fake_req(&req, &a, "application/x-www-form-urlencoded", "a=%00");
	assert_int_equal(anx_req_form(&req, &l), ANX_ERR_INVALID);
	assert_non_null(req.err_message);
	anx_arena_free(&a);
}

static void
test_req_header_and_params(void **state)
{
	struct anx_arena a;
	struct anx_req req;

	fake_req(&req, &a, NULL, NULL);
	assert_string_equal(anx_req_header(&req, "HTTP_AUTHORIZATION"), "Bearer t0k");
	assert_string_equal(anx_req_header(&req, "HTTP_COOKIE"), "sid=abc");
	assert_null(anx_req_header(&req, "HTTP_X_MISSING"));
	req.param = NULL;
	assert_null(anx_req_header(&req, "HTTP_COOKIE"));

	req.param_names[0] = "id";
	req.param_values[0] = "42";
	req.param_names[1] = "rid";
	req.param_values[1] = "r7";
	req.nparams = 2;
	assert_string_equal(anx_req_route_param(&req, "id"), "42");
	assert_string_equal(anx_req_route_param(&req, "rid"), "r7");
	assert_null(anx_req_route_param(&req, "i"));
	assert_null(anx_req_route_param(&req, "ID"));
	req.nparams = 1;
	assert_null(anx_req_route_param(&req, "rid"));
	anx_arena_free(&a);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_urlencoded_table),
		cmocka_unit_test(test_urlencoded_repeat_get),
		cmocka_unit_test(test_urlencoded_limits),
		cmocka_unit_test(test_cookies_table),
		cmocka_unit_test(test_cookies_limits),
		cmocka_unit_test(test_media_types),
		cmocka_unit_test(test_json_body),
		cmocka_unit_test(test_req_query),
		cmocka_unit_test(test_req_form),
		cmocka_unit_test(test_req_header_and_params),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
