/*
 * test_json.c - json.c: the parser's limits and strictness (a table of
 * valid and invalid documents with the expected error), exact depth
 * accounting, error paths, UTF-8 validation, table-driven field
 * validation, the error list, path building, dump and getters.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "json.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* Small limits so the table can hit every one of them. */
static const struct anx_json_limits small = {
	256, /* max_bytes */
	4,   /* max_depth */
	8,   /* max_string */
	6,   /* max_members */
};

struct parse_case {
	const char *text;
	size_t len; /* 0: strlen(text) */
	enum anx_err rc;
	const char *problem; /* substring expected in the one error */
	const char *path;    /* expected error path; NULL means "" */
};

static const struct parse_case parse_cases[] = {
	/* Valid documents. */
	{ "{}", 0, ANX_OK, NULL, NULL },
	{ "[]", 0, ANX_OK, NULL, NULL },
	{ "0", 0, ANX_OK, NULL, NULL },
	{ "-0", 0, ANX_OK, NULL, NULL },
	{ "1.5e3", 0, ANX_OK, NULL, NULL },
	{ "1E+2", 0, ANX_OK, NULL, NULL },
	{ "-0.25e-2", 0, ANX_OK, NULL, NULL },
	{ "\"abc\"", 0, ANX_OK, NULL, NULL },
	{ "true", 0, ANX_OK, NULL, NULL },
	{ "false", 0, ANX_OK, NULL, NULL },
	{ "null", 0, ANX_OK, NULL, NULL },
	{ " \t\r\n{\"a\" : [1, {\"b\":null}]} \n", 0, ANX_OK, NULL, NULL },
	{ "\"\\u00e9\\/\\\"\\\\\"", 0, ANX_OK, NULL, NULL },
	{ "\"\\b\\f\\n\\r\\t\"", 0, ANX_OK, NULL, NULL },
	{ "\"\\ud83d\\ude00\"", 0, ANX_OK, NULL, NULL },
	{ "\"\xc3\xa9\xe2\x82\xac\"", 0, ANX_OK, NULL, NULL }, /* é € */
	{ "\"\xf0\x9f\x98\x80\"", 0, ANX_OK, NULL, NULL },     /* 4-byte */
	{ "\"\xf4\x8f\xbf\xbf\"", 0, ANX_OK, NULL, NULL },     /* U+10FFFF */
	{ "\"12345678\"", 0, ANX_OK, NULL, NULL },             /* = max_string */
	{ "{\"12345678\":1}", 0, ANX_OK, NULL, NULL },         /* key = max */
	{ "[[[[]]]]", 0, ANX_OK, NULL, NULL },                 /* depth = 4 */
	{ "[[[[1]]]]", 0, ANX_OK, NULL, NULL },                /* scalar leaf */
	{ "[1,2,3,4,5,6]", 0, ANX_OK, NULL, NULL },            /* = max_members */
	{ "9223372036854775807", 0, ANX_OK, NULL, NULL },
	{ "-9223372036854775808", 0, ANX_OK, NULL, NULL },
	{ "123456789012345678901234.5", 0, ANX_OK, NULL, NULL }, /* a double */

	/* Empty input. */
	{ "", 0, ANX_ERR_INVALID, "empty document", NULL },
	{ "  \n ", 0, ANX_ERR_INVALID, "empty document", NULL },
	/* Non-strict syntax. */
	{ "[1,]", 0, ANX_ERR_INVALID, "invalid JSON at byte 3", NULL },
	{ "{\"a\":1,}", 0, ANX_ERR_INVALID, "invalid JSON at byte 7", NULL },
	{ "{'a':1}", 0, ANX_ERR_INVALID, "invalid JSON at byte 1", NULL },
	{ "{a:1}", 0, ANX_ERR_INVALID, "invalid JSON at byte 1", NULL },
	{ "NaN", 0, ANX_ERR_INVALID, "invalid JSON at byte 0", NULL },
	{ "[NaN]", 0, ANX_ERR_INVALID, "invalid JSON at byte 1", NULL },
	{ "nan", 0, ANX_ERR_INVALID, "invalid JSON at byte 0", NULL },
	{ "[Infinity]", 0, ANX_ERR_INVALID, "invalid JSON at byte 1", NULL },
	{ "-Infinity", 0, ANX_ERR_INVALID, "invalid JSON at byte 1", NULL },
	{ "True", 0, ANX_ERR_INVALID, "invalid JSON at byte 0", NULL },
	{ "nul", 0, ANX_ERR_INVALID, "invalid JSON at byte 0", NULL },
	{ "[1]//c", 0, ANX_ERR_INVALID, "invalid JSON at byte 3", NULL },
	{ "/*c*/[1]", 0, ANX_ERR_INVALID, "invalid JSON at byte 0", NULL },
	{ "[1 2]", 0, ANX_ERR_INVALID, "invalid JSON at byte 3", NULL },
	{ "{\"a\" 1}", 0, ANX_ERR_INVALID, "invalid JSON", NULL },
	{ "[1}", 0, ANX_ERR_INVALID, "invalid JSON", NULL },
	{ "]", 0, ANX_ERR_INVALID, "invalid JSON at byte 0", NULL },
	{ "\"abc", 0, ANX_ERR_INVALID, "invalid JSON at byte 4", NULL },
	{ "{\"a\":1", 0, ANX_ERR_INVALID, "invalid JSON at byte 6", NULL },
	{ "\"a\\qb\"", 0, ANX_ERR_INVALID, "invalid JSON at byte 2", NULL },
	{ "\"\\u12G4\"", 0, ANX_ERR_INVALID, "invalid JSON at byte 1", NULL },
	{ "\"a\tb\"", 0, ANX_ERR_INVALID, "invalid JSON at byte 2", NULL }, /* raw TAB */
	{ "\"a\nb\"", 0, ANX_ERR_INVALID, "invalid JSON at byte 2", NULL },
	/* Numbers outside RFC 8259 §6. */
	{ "01", 0, ANX_ERR_INVALID, "invalid JSON at byte 1", NULL },
	{ "1.", 0, ANX_ERR_INVALID, "invalid JSON at byte 2", NULL },
	{ ".5", 0, ANX_ERR_INVALID, "invalid JSON at byte 0", NULL },
	{ "+1", 0, ANX_ERR_INVALID, "invalid JSON at byte 0", NULL },
	{ "1e", 0, ANX_ERR_INVALID, "invalid JSON at byte 2", NULL },
	{ "1e+", 0, ANX_ERR_INVALID, "invalid JSON at byte 3", NULL },
	{ "-", 0, ANX_ERR_INVALID, "invalid JSON at byte 1", NULL },
	{ "0x10", 0, ANX_ERR_INVALID, "invalid JSON at byte 1", NULL },
	{ "1.2.3", 0, ANX_ERR_INVALID, "invalid JSON at byte 3", NULL },
	{ "9223372036854775808", 0, ANX_ERR_INVALID, "number out of range at byte 0", NULL },
	{ "[-9223372036854775809]", 0, ANX_ERR_INVALID, "number out of range at byte 1", NULL },
	{ "12345678901234567890123", 0, ANX_ERR_INVALID, "number out of range", NULL },
	{ "[1e400]", 0, ANX_ERR_INVALID, "number out of range", "[0]" },
	{ "-1e999", 0, ANX_ERR_INVALID, "number out of range", NULL },
	/* Ill-formed UTF-8, raw and escaped. */
	{ "\"\xc0\x80\"", 0, ANX_ERR_INVALID, "invalid UTF-8 at byte 1", NULL }, /* overlong NUL */
	{ "\"\xc1\xbf\"", 0, ANX_ERR_INVALID, "invalid UTF-8 at byte 1", NULL },
	{ "\"\xe0\x80\x80\"", 0, ANX_ERR_INVALID, "invalid UTF-8 at byte 1", NULL },
	{ "\"\xf0\x80\x80\x80\"", 0, ANX_ERR_INVALID, "invalid UTF-8 at byte 1", NULL },
	{ "\"\xed\xa0\x80\"", 0, ANX_ERR_INVALID, "invalid UTF-8 at byte 1", NULL }, /* U+D800 */
	{ "\"\xf4\x90\x80\x80\"", 0, ANX_ERR_INVALID, "invalid UTF-8 at byte 1", NULL },
	{ "\"a\xe2\x82\"", 0, ANX_ERR_INVALID, "invalid UTF-8 at byte 2", NULL }, /* truncated */
	{ "\"\x80\"", 0, ANX_ERR_INVALID, "invalid UTF-8 at byte 1", NULL },
	{ "\"\xff\"", 0, ANX_ERR_INVALID, "invalid UTF-8 at byte 1", NULL },
	{ "[\xc3]", 0, ANX_ERR_INVALID, "invalid UTF-8 at byte 1", NULL },
	{ "\"\\ud800\"", 0, ANX_ERR_INVALID, "invalid UTF-8 at byte 1", NULL },
	{ "\"\\udc00\\ud800\"", 0, ANX_ERR_INVALID, "unpaired surrogate", NULL },
	{ "\"\\ud83dx\"", 0, ANX_ERR_INVALID, "unpaired surrogate", NULL },
	{ "\"\\ud83d\\u0041\"", 0, ANX_ERR_INVALID, "unpaired surrogate", NULL },
	/* BOM: RFC 8259 §8.1 says MUST NOT add one; we do not ignore it. */
	{ "\xef\xbb\xbf{}", 0, ANX_ERR_INVALID, "invalid JSON at byte 0", NULL },
	/* NUL, raw or escaped, in values and keys. */
	{ "\"\\u0000\"", 0, ANX_ERR_INVALID, "NUL", NULL },
	{ "{\"a\\u0000b\":1}", 0, ANX_ERR_INVALID, "NUL", NULL },
	{ "[1]\0", 4, ANX_ERR_INVALID, "invalid JSON at byte 3", NULL },
	{ "\"a\0b\"", 5, ANX_ERR_INVALID, "invalid JSON at byte 2", NULL },
	/* Limits. */
	{ "[[[[[]]]]]", 0, ANX_ERR_INVALID, "nesting deeper than 4", NULL },
	{ "{\"a\":{\"b\":{\"c\":{\"d\":{}}}}}", 0, ANX_ERR_INVALID, "nesting deeper than 4", NULL },
	{ "\"123456789\"", 0, ANX_ERR_INVALID, "string longer than 8 bytes", NULL },
	{ "{\"a\":[0,\"123456789\"]}", 0, ANX_ERR_INVALID, "string longer than 8 bytes", "a[1]" },
	{ "{\"123456789\":1}", 0, ANX_ERR_INVALID, "string longer than 8 bytes", "123456789" },
	{ "[1,2,3,4,5,6,7]", 0, ANX_ERR_INVALID, "more than 6 members", NULL },
	{ "{\"a\":[1,2],\"b\":[3,4,5]}", 0, ANX_ERR_INVALID, "more than 6 members", NULL },
	/* Trailing data. */
	{ "{} x", 0, ANX_ERR_INVALID, "invalid JSON at byte 3", NULL },
	{ "{}}", 0, ANX_ERR_INVALID, "invalid JSON at byte 2", NULL },
	{ "[] []", 0, ANX_ERR_INVALID, "invalid JSON at byte 3", NULL },
	{ "1 2", 0, ANX_ERR_INVALID, "invalid JSON at byte 2", NULL },
	{ "\"x\"\"y\"", 0, ANX_ERR_INVALID, "invalid JSON at byte 3", NULL },
	{ "truefalse", 0, ANX_ERR_INVALID, "invalid JSON", NULL },
	/* Duplicate keys (I-JSON, RFC 7493 §2.3). */
	{ "{\"a\":1,\"a\":2}", 0, ANX_ERR_INVALID, "duplicate object key", NULL },
	{ "[{\"a\":1},{\"b\":{\"c\":1,\"c\":1}}]", 0, ANX_ERR_INVALID, "duplicate object key",
		NULL },
};

static void
test_parse_table(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < NELEM(parse_cases); i++) {
		const struct parse_case *c = &parse_cases[i];
		size_t len = c->len ? c->len : strlen(c->text);
		struct anx_verrs e;
		json_object *o = (json_object *)&e; /* must be reset to NULL on error */
		enum anx_err rc;

		anx_verrs_init(&e);
		rc = anx_json_parse(c->text, len, &small, &o, &e);
		if (rc != c->rc)
			fail_msg("case %zu \"%s\": rc %d, want %d (%s)", i, c->text, rc, c->rc,
				e.n ? e.items[0].problem : "no error");
		if (rc == ANX_OK) {
			/* json-c represents JSON null as a NULL object. */
			if (strcmp(c->text, "null") == 0)
				assert_null(o);
			else
				assert_non_null(o);
			assert_int_equal(e.n, 0);
			json_object_put(o);
			continue;
		}
		assert_null(o);
		assert_int_equal(e.n, 1);
		if (strstr(e.items[0].problem, c->problem) == NULL)
			fail_msg("case %zu \"%s\": problem \"%s\", want \"%s\"", i, c->text,
				e.items[0].problem, c->problem);
		if (strcmp(e.items[0].path, c->path ? c->path : "") != 0)
			fail_msg("case %zu \"%s\": path \"%s\", want \"%s\"", i, c->text,
				e.items[0].path, c->path ? c->path : "");
	}
}

static void
test_parse_too_large(void **state)
{
	char big[300];
	struct anx_verrs e;
	json_object *o;

	(void)state;
	memset(big, ' ', sizeof(big));
	big[0] = '1';
	anx_verrs_init(&e);
	/* 256 bytes is the limit: allowed; 257 is too large, checked first. */
	assert_int_equal(anx_json_parse(big, 256, &small, &o, &e), ANX_OK);
	json_object_put(o);
	assert_int_equal(anx_json_parse(big, 257, &small, &o, &e), ANX_ERR_TOO_LARGE);
	assert_null(o);
	assert_int_equal(e.n, 1);
	assert_string_equal(e.items[0].problem, "document larger than 256 bytes");
	/* A NULL error list and NULL limits (the defaults) are accepted. */
	assert_int_equal(anx_json_parse("[1", 2, NULL, &o, NULL), ANX_ERR_INVALID);
	assert_int_equal(anx_json_parse("[1]", 3, NULL, &o, NULL), ANX_OK);
	json_object_put(o);
	/* A nonsensical depth limit is a programming error. */
	{
		struct anx_json_limits bad = small;

		bad.max_depth = 0;
		assert_int_equal(anx_json_parse("1", 1, &bad, &o, NULL), ANX_ERR_INTERNAL);
	}
}

/* Builds depth levels of open containers, an optional leaf, and closers. */
static char *
nest(int depth, int objects, const char *leaf)
{
	size_t cap = (size_t)depth * 8 + strlen(leaf) + 1;
	char *s = malloc(cap), *p = s;
	int i;

	assert_non_null(s);
	for (i = 0; i < depth; i++)
		p += objects ? sprintf(p, "{\"k\":") : sprintf(p, "[");
	p += sprintf(p, "%s", leaf);
	for (i = 0; i < depth; i++)
		*p++ = objects ? '}' : ']';
	*p = '\0';
	return s;
}

/*
 * With the defaults (max_depth 32, root = 1), 32 nested containers are
 * accepted and 33 rejected, whatever the containers and whether the
 * innermost holds a scalar (json-c counts that as a level; we do not).
 */
static void
test_parse_depth_exact(void **state)
{
	static const struct {
		int objects;
		const char *leaf; /* inside the innermost: "" empty */
	} kinds[] = {
		{ 0, "" }, { 0, "1" }, { 0, "\"s\"" },
		{ 0, "{}" }, /* counts as one more level: tested with depth - 1 */
	};
	size_t k;

	(void)state;
	for (k = 0; k < NELEM(kinds); k++) {
		int extra = strcmp(kinds[k].leaf, "{}") == 0;
		int d;

		for (d = 31; d <= 34; d++) {
			char *s = nest(d - extra, kinds[k].objects, kinds[k].leaf);
			struct anx_verrs e;
			json_object *o;
			enum anx_err rc;

			anx_verrs_init(&e);
			rc = anx_json_parse(s, strlen(s), NULL, &o, &e);
			if (d <= 32) {
				if (rc != ANX_OK)
					fail_msg("depth %d leaf '%s' rejected: %s", d,
						kinds[k].leaf, e.items[0].problem);
				json_object_put(o);
			} else {
				assert_int_equal(rc, ANX_ERR_INVALID);
				assert_string_equal(e.items[0].problem, "nesting deeper than 32");
				assert_string_equal(e.items[0].path, "");
			}
			free(s);
		}
	}
	/* Objects: {"k":{"k":...1...}} with 32 and 33 levels. */
	{
		char *ok = nest(32, 1, "1"), *deep = nest(33, 1, "1");
		struct anx_verrs e;
		json_object *o;

		anx_verrs_init(&e);
		assert_int_equal(anx_json_parse(ok, strlen(ok), NULL, &o, &e), ANX_OK);
		json_object_put(o);
		assert_int_equal(anx_json_parse(deep, strlen(deep), NULL, &o, &e), ANX_ERR_INVALID);
		assert_string_equal(e.items[0].problem, "nesting deeper than 32");
		free(ok);
		free(deep);
	}
	/* Pathologically deep input fails fast in the lexer. */
	{
		char *s = malloc(1000001);
		struct anx_verrs e;
		json_object *o;

		assert_non_null(s);
		memset(s, '[', 1000000);
		anx_verrs_init(&e);
		assert_int_equal(anx_json_parse(s, 1000000, NULL, &o, &e), ANX_ERR_INVALID);
		assert_string_equal(e.items[0].problem, "nesting deeper than 32");
		free(s);
	}
}

static void
test_parse_values(void **state)
{
	const char *text = "{\"s\":\"\\u00e9\\ud83d\\ude00\",\"i\":-42,\"d\":2.5,\"b\":true,"
			   "\"n\":null,\"a\":[1,\"x\"]}";
	struct anx_verrs e;
	json_object *o, *v;

	(void)state;
	anx_verrs_init(&e);
	assert_int_equal(anx_json_parse(text, strlen(text), NULL, &o, &e), ANX_OK);
	assert_string_equal(anx_json_get_str(o, "s"), "\xc3\xa9\xf0\x9f\x98\x80");
	assert_true(json_object_object_get_ex(o, "i", &v));
	assert_int_equal(json_object_get_int64(v), -42);
	assert_true(json_object_object_get_ex(o, "d", &v));
	assert_true(json_object_get_double(v) == 2.5);
	assert_int_equal(anx_json_get_bool(o, "b", 0), 1);
	assert_int_equal(anx_json_get_bool(o, "s", -1), -1);
	assert_int_equal(anx_json_get_bool(o, "missing", 7), 7);
	assert_null(anx_json_get_str(o, "i"));
	assert_null(anx_json_get_str(o, "missing"));
	assert_null(anx_json_get_str(NULL, "s"));
	assert_true(json_object_object_get_ex(o, "n", &v));
	assert_null(v);
	json_object_put(o);
}

static void
test_utf8_valid(void **state)
{
	static const struct {
		const char *s;
		size_t n; /* 0: strlen */
		int ok;
	} vec[] = {
		{ "", 0, 1 },
		{ "plain ascii", 0, 1 },
		{ "\x7f", 0, 1 },
		{ "\xc2\x80", 0, 1 },         /* U+0080 */
		{ "\xdf\xbf", 0, 1 },         /* U+07FF */
		{ "\xe0\xa0\x80", 0, 1 },     /* U+0800 */
		{ "\xe2\x82\xac", 0, 1 },     /* € */
		{ "\xed\x9f\xbf", 0, 1 },     /* U+D7FF */
		{ "\xee\x80\x80", 0, 1 },     /* U+E000 */
		{ "\xef\xbf\xbf", 0, 1 },     /* U+FFFF */
		{ "\xf0\x90\x80\x80", 0, 1 }, /* U+10000 */
		{ "\xf0\x9f\x98\x80", 0, 1 }, /* 😀 */
		{ "\xf4\x8f\xbf\xbf", 0, 1 }, /* U+10FFFF */
		{ "a\xc3\xa9z\xf0\x9f\x98\x80!", 0, 1 },
		{ "a\0b", 3, 0 }, /* NUL */
		{ "\0", 1, 0 },
		{ "\x80", 0, 0 }, /* lone continuation */
		{ "\xbf", 0, 0 },
		{ "\xc0\x80", 0, 0 },                 /* overlong NUL */
		{ "\xc1\xbf", 0, 0 },                 /* overlong */
		{ "\xe0\x80\x80", 0, 0 },             /* overlong */
		{ "\xe0\x9f\xbf", 0, 0 },             /* overlong U+07FF */
		{ "\xf0\x80\x80\x80", 0, 0 },         /* overlong */
		{ "\xf0\x8f\xbf\xbf", 0, 0 },         /* overlong U+FFFF */
		{ "\xed\xa0\x80", 0, 0 },             /* U+D800 */
		{ "\xed\xbf\xbf", 0, 0 },             /* U+DFFF */
		{ "\xed\xa0\xbd\xed\xb8\x80", 0, 0 }, /* CESU-8 pair */
		{ "\xf4\x90\x80\x80", 0, 0 },         /* U+110000 */
		{ "\xf5\x80\x80\x80", 0, 0 },
		{ "\xf8\x88\x80\x80\x80", 0, 0 }, /* 5-byte form */
		{ "\xfe", 0, 0 },
		{ "\xff", 0, 0 },
		{ "\xc3", 0, 0 }, /* truncated */
		{ "\xe2\x82", 0, 0 },
		{ "\xf0\x9f\x98", 0, 0 },
		{ "\xc3\x28", 0, 0 }, /* bad continuation */
		{ "\xe2\x28\xac", 0, 0 },
		{ "\xf0\x9f\x28\x80", 0, 0 },
		{ "ok\xe2\x82", 0, 0 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < NELEM(vec); i++) {
		size_t n = vec[i].n ? vec[i].n : strlen(vec[i].s);

		if (anx_utf8_valid(vec[i].s, n) != vec[i].ok)
			fail_msg("utf8 case %zu: got %d", i, !vec[i].ok);
	}
	assert_int_equal(anx_utf8_valid(NULL, 0), 1);
}

/* --- validation --- */

static const char *
check_upper(json_object *v)
{
	const char *s = json_object_get_string(v);

	for (; *s; s++)
		if (*s < 'A' || *s > 'Z')
			return "must be an uppercase ISO 4217 code";
	return NULL;
}

static const struct anx_field fields[] = {
	{ "name", ANX_FT_STRING, 1, 1, 5, NULL, 0 },
	{ "amount", ANX_FT_NUMBER, 1, 0, 0, NULL, 0 },
	{ "count", ANX_FT_INT, 0, 0, 0, NULL, 0 },
	{ "active", ANX_FT_BOOL, 0, 0, 0, NULL, 0 },
	{ "meta", ANX_FT_OBJECT, 0, 0, 0, NULL, 0 },
	{ "tags", ANX_FT_ARRAY, 0, 1, 3, NULL, 0 },
	{ "note", ANX_FT_STRING, 0, 0, 0, NULL, 1 },
	{ "currency", ANX_FT_STRING, 0, 3, 3, check_upper, 0 },
	{ "extra", ANX_FT_ANY, 0, 0, 0, NULL, 0 },
	{ "why", ANX_FT_STRING, 0, 0, 1, NULL, 0 },
};

struct vcase {
	const char *json;
	const char *errs[4][2]; /* expected {path, problem} pairs, in order */
};

static const struct vcase vcases[] = {
	{ "{\"name\":\"ab\",\"amount\":1}", { { NULL } } },
	{ "{\"name\":\"ab\",\"amount\":1.25,\"count\":-3,\"active\":false,\"meta\":{},"
	  "\"tags\":[1],\"note\":\"n\",\"currency\":\"EUR\",\"extra\":[{}],\"why\":\"x\"}",
		{ { NULL } } },
	{ "{}", { { "name", "is required" }, { "amount", "is required" } } },
	{ "{\"name\":1,\"amount\":\"1\"}",
		{ { "name", "must be a string" }, { "amount", "must be a number" } } },
	{ "{\"name\":null,\"amount\":null}",
		{ { "name", "must be a string" }, { "amount", "must be a number" } } },
	{ "{\"name\":\"abcdef\",\"amount\":1}", { { "name", "must be at most 5 characters" } } },
	{ "{\"name\":\"\",\"amount\":1}", { { "name", "must be at least 1 character" } } },
	/* Five code points in ten bytes: within max_len 5 (code points). */
	{ "{\"name\":\"\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\",\"amount\":1}", { { NULL } } },
	{ "{\"name\":\"\xf0\x9f\x98\x80\xf0\x9f\x98\x80\xf0\x9f\x98\x80\xf0\x9f\x98\x80"
	  "\xf0\x9f\x98\x80\xf0\x9f\x98\x80\",\"amount\":1}",
		{ { "name", "must be at most 5 characters" } } },
	{ "{\"name\":\"a\",\"amount\":1,\"why\":\"xy\"}",
		{ { "why", "must be at most 1 character" } } },
	{ "{\"name\":\"a\",\"amount\":1,\"count\":1.5}", { { "count", "must be an integer" } } },
	{ "{\"name\":\"a\",\"amount\":1,\"count\":2.0}", { { "count", "must be an integer" } } },
	{ "{\"name\":\"a\",\"amount\":1,\"count\":\"2\"}", { { "count", "must be an integer" } } },
	{ "{\"name\":\"a\",\"amount\":1,\"active\":\"yes\"}",
		{ { "active", "must be a boolean" } } },
	{ "{\"name\":\"a\",\"amount\":1,\"active\":1}", { { "active", "must be a boolean" } } },
	{ "{\"name\":\"a\",\"amount\":1,\"meta\":[]}", { { "meta", "must be an object" } } },
	{ "{\"name\":\"a\",\"amount\":1,\"tags\":{}}", { { "tags", "must be an array" } } },
	{ "{\"name\":\"a\",\"amount\":1,\"tags\":[]}",
		{ { "tags", "must have at least 1 item" } } },
	{ "{\"name\":\"a\",\"amount\":1,\"tags\":[1,2,3,4]}",
		{ { "tags", "must have at most 3 items" } } },
	{ "{\"name\":\"a\",\"amount\":1,\"note\":null}", { { NULL } } },
	{ "{\"name\":\"a\",\"amount\":1,\"note\":5}", { { "note", "must be a string" } } },
	{ "{\"name\":\"a\",\"amount\":1,\"extra\":null}", { { NULL } } },
	{ "{\"name\":\"a\",\"amount\":1,\"currency\":\"usd\"}",
		{ { "currency", "must be an uppercase ISO 4217 code" } } },
	/* Bounds are checked before the custom check. */
	{ "{\"name\":\"a\",\"amount\":1,\"currency\":\"usdx\"}",
		{ { "currency", "must be at most 3 characters" } } },
	{ "{\"name\":\"a\",\"amount\":1,\"currency\":\"US\"}",
		{ { "currency", "must be at least 3 characters" } } },
	{ "{\"bogus\":1,\"name\":\"a\",\"other\":{\"x\":1},\"amount\":1}",
		{ { "bogus", "unknown field" }, { "other", "unknown field" } } },
	{ "{\"Name\":\"a\",\"amount\":1}",
		{ { "Name", "unknown field" }, { "name", "is required" } } },
	{ "[1]", { { "", "must be an object" } } },
	{ "\"x\"", { { "", "must be an object" } } },
	{ "null", { { "", "must be an object" } } },
};

/* Checks errors e against the {path, problem} list want. */
static void
expect_errs(const char *what, const struct anx_verrs *e, size_t got, const char *const want[][2],
	size_t nwant)
{
	size_t i, n = 0;

	while (n < nwant && want[n][0] != NULL)
		n++;
	if (e->n != n || got != n)
		fail_msg("%s: %zu errors (returned %zu), want %zu; first: %s %s", what, e->n, got,
			n, e->n ? e->items[0].path : "", e->n ? e->items[0].problem : "");
	for (i = 0; i < n; i++) {
		if (strcmp(e->items[i].path, want[i][0]) != 0 ||
			strcmp(e->items[i].problem, want[i][1]) != 0)
			fail_msg("%s: error %zu is \"%s\" \"%s\", want \"%s\" \"%s\"", what, i,
				e->items[i].path, e->items[i].problem, want[i][0], want[i][1]);
	}
}

static void
test_validate_table(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < NELEM(vcases); i++) {
		struct anx_verrs e;
		json_object *o;
		size_t got;

		anx_verrs_init(&e);
		assert_int_equal(
			anx_json_parse(vcases[i].json, strlen(vcases[i].json), NULL, &o, &e),
			ANX_OK);
		got = anx_json_validate(o, "", fields, NELEM(fields), &e);
		expect_errs(vcases[i].json, &e, got, vcases[i].errs, NELEM(vcases[i].errs));
		json_object_put(o);
	}
}

static void
test_validate_paths(void **state)
{
	static const struct anx_field gt[] = {
		{ "gt", ANX_FT_NUMBER, 1, 0, 0, NULL, 0 },
	};
	static const char *const want[][2] = {
		{ "rules[2].when.amount.gt", "must be a number" },
		{ "rules[2].when.amount.lt", "unknown field" },
	};
	const char *text = "{\"gt\":\"5\",\"lt\":1}";
	struct anx_verrs e;
	json_object *o;
	size_t got;

	(void)state;
	anx_verrs_init(&e);
	assert_int_equal(anx_json_parse(text, strlen(text), NULL, &o, &e), ANX_OK);
	got = anx_json_validate(o, "rules[2].when.amount", gt, NELEM(gt), &e);
	assert_int_equal(got, 2);
	/* Unknown keys are reported first, then the table's fields. */
	assert_string_equal(e.items[0].path, want[1][0]);
	assert_string_equal(e.items[0].problem, want[1][1]);
	assert_string_equal(e.items[1].path, want[0][0]);
	assert_string_equal(e.items[1].problem, want[0][1]);
	json_object_put(o);

	/* NULL path means the root. */
	anx_verrs_init(&e);
	assert_int_equal(anx_json_validate(NULL, NULL, gt, NELEM(gt), &e), 1);
	assert_string_equal(e.items[0].path, "");
	assert_string_equal(e.items[0].problem, "must be an object");
}

static void
test_validate_built(void **state)
{
	static const struct anx_field f[] = {
		{ "num", ANX_FT_NUMBER, 0, 0, 0, NULL, 0 },
		{ "int", ANX_FT_INT, 0, 0, 0, NULL, 0 },
		{ "req", ANX_FT_STRING, 1, 0, 0, NULL, 1 },
	};
	static const char *const want[][2] = {
		{ "num", "must be a number" },
		{ "int", "is out of range" },
		{ "req", "is required" },
	};
	json_object *o = json_object_new_object();
	struct anx_verrs e;
	size_t got;

	(void)state;
	/* Values only code can build: NaN, uint64 above INT64_MAX. */
	json_object_object_add(o, "num", json_object_new_double(NAN));
	json_object_object_add(o, "int", json_object_new_uint64(UINT64_MAX));
	/* Null for a nullable required field counts as absent. */
	json_object_object_add(o, "req", NULL);
	anx_verrs_init(&e);
	got = anx_json_validate(o, "", f, NELEM(f), &e);
	expect_errs("built", &e, got, want, NELEM(want));

	json_object_object_add(o, "num", json_object_new_double(INFINITY));
	json_object_object_add(o, "int", json_object_new_int64(INT64_MAX));
	json_object_object_add(o, "req", json_object_new_string(""));
	anx_verrs_init(&e);
	got = anx_json_validate(o, "", f, NELEM(f), &e);
	assert_int_equal(got, 1);
	assert_string_equal(e.items[0].problem, "must be a number");
	json_object_put(o);
}

static void
test_verrs(void **state)
{
	struct anx_verrs e;
	char longpath[400];
	size_t i;

	(void)state;
	anx_verrs_init(&e);
	for (i = 0; i < ANX_VERR_MAX + 8; i++)
		anx_verrs_add(&e, "p", "problem %zu", i);
	assert_int_equal(e.n, ANX_VERR_MAX);
	assert_int_equal(e.dropped, 8);
	assert_string_equal(e.items[0].problem, "problem 0");
	assert_string_equal(e.items[ANX_VERR_MAX - 1].path, "p");

	/* Paths and problems are truncated, always terminated. */
	anx_verrs_init(&e);
	memset(longpath, 'a', sizeof(longpath) - 1);
	longpath[sizeof(longpath) - 1] = '\0';
	anx_verrs_add(&e, longpath, "%s", longpath);
	assert_int_equal(strlen(e.items[0].path), ANX_VERR_PATH - 1);
	assert_int_equal(strlen(e.items[0].problem), ANX_VERR_PROBLEM - 1);
	anx_verrs_add(&e, NULL, "x");
	assert_string_equal(e.items[1].path, "");
	anx_verrs_add(NULL, "p", "ignored");
}

static void
test_paths(void **state)
{
	char out[ANX_VERR_PATH], small_out[6];

	(void)state;
	anx_json_path_key(out, sizeof(out), "", "a");
	assert_string_equal(out, "a");
	anx_json_path_key(out, sizeof(out), NULL, "a");
	assert_string_equal(out, "a");
	anx_json_path_key(out, sizeof(out), "rules[2]", "when");
	assert_string_equal(out, "rules[2].when");
	anx_json_path_index(out, sizeof(out), "rules", 2);
	assert_string_equal(out, "rules[2]");
	anx_json_path_index(out, sizeof(out), "", 0);
	assert_string_equal(out, "[0]");
	anx_json_path_key(small_out, sizeof(small_out), "abc", "def");
	assert_string_equal(small_out, "abc.d");
	anx_json_path_index(small_out, sizeof(small_out), "abc", 123);
	assert_string_equal(small_out, "abc[1");
}

static void
test_dump(void **state)
{
	static const struct {
		const char *in, *out;
	} vec[] = {
		{ "{ \"a\" : \"x/y\", \"b\" : [ 1, 2.5, true, null ] }",
			"{\"a\":\"x/y\",\"b\":[1,2.5,true,null]}" },
		{ "\"\\u00e9\\n\"", "\"\xc3\xa9\\n\"" },
		{ "[]", "[]" },
		{ "{}", "{}" },
	};
	size_t i, len;
	char *s;

	(void)state;
	for (i = 0; i < NELEM(vec); i++) {
		struct anx_verrs e;
		json_object *o;

		anx_verrs_init(&e);
		assert_int_equal(
			anx_json_parse(vec[i].in, strlen(vec[i].in), NULL, &o, &e), ANX_OK);
		len = 0;
		s = anx_json_dump(o, &len);
		assert_non_null(s);
		assert_string_equal(s, vec[i].out);
		assert_int_equal(len, strlen(vec[i].out));
		free(s);
		json_object_put(o);
	}
	s = anx_json_dump(NULL, NULL);
	assert_string_equal(s, "null");
	free(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_table),
		cmocka_unit_test(test_parse_too_large),
		cmocka_unit_test(test_parse_depth_exact),
		cmocka_unit_test(test_parse_values),
		cmocka_unit_test(test_utf8_valid),
		cmocka_unit_test(test_validate_table),
		cmocka_unit_test(test_validate_paths),
		cmocka_unit_test(test_validate_built),
		cmocka_unit_test(test_verrs),
		cmocka_unit_test(test_paths),
		cmocka_unit_test(test_dump),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
