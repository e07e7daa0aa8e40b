/*
 * test_template.c - the Mustache engine against the official spec suites
 * (the six JSON files in tests/data/mustache-spec, 136 cases) plus table-driven tests of
 * our own: parse errors, load_dir over a temporary tree, depth limits,
 * escaping, number formatting and truthiness.
 */
#include <sys/stat.h>

#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <json-c/json.h>

#include "buf.h"
#include "template.h"

#define SPEC_DIR   ANX_SOURCE_DIR "/tests/data/mustache-spec/"
#define SPEC_CASES 136

/*
 * Renders src (a template named "t", plus partials given as name/source
 * pairs ending in NULL) with the JSON context json. Returns the render's
 * return value and stores the output (caller frees) in *got.
 */
static int
render_str(const char *src, const char *json, char **got, ...)
{
	struct anx_tmpl_set *set;
	struct anx_buf out;
	json_object *ctx = NULL;
	const char *pname, *psrc;
	char err[256];
	va_list ap;
	int rc;

	set = anx_tmpl_set_new();
	assert_non_null(set);
	va_start(ap, got);
	while ((pname = va_arg(ap, const char *)) != NULL) {
		psrc = va_arg(ap, const char *);
		assert_int_equal(anx_tmpl_add(set, pname, psrc, strlen(psrc), err, sizeof(err)), 0);
	}
	va_end(ap);
	if (anx_tmpl_add(set, "t", src, strlen(src), err, sizeof(err)) != 0)
		fail_msg("compile %s: %s", src, err);
	if (json != NULL) {
		ctx = json_tokener_parse(json);
		assert_non_null(ctx);
	}
	anx_buf_init(&out, 0);
	rc = anx_tmpl_render(set, "t", ctx, &out);
	*got = anx_buf_steal(&out, NULL);
	assert_non_null(*got);
	json_object_put(ctx);
	anx_tmpl_set_free(set);
	return rc;
}

/*
 * Runs every case of one spec file; returns the number of cases and adds
 * the failures (each printed with its name) to *failed.
 */
static int
run_spec_file(const char *file, int *failed)
{
	char path[PATH_MAX], err[512];
	json_object *root, *tests, *tc, *v;
	size_t i, n;

	snprintf(path, sizeof(path), "%s%s", SPEC_DIR, file);
	root = json_object_from_file(path);
	if (root == NULL)
		fail_msg("cannot read %s", path);
	assert_true(json_object_object_get_ex(root, "tests", &tests));
	n = json_object_array_length(tests);
	for (i = 0; i < n; i++) {
		struct anx_tmpl_set *set = anx_tmpl_set_new();
		struct anx_buf out;
		json_object *data = NULL, *partials = NULL, *tmpl, *want, *name;
		const char *got;

		tc = json_object_array_get_idx(tests, i);
		assert_true(json_object_object_get_ex(tc, "name", &name));
		assert_true(json_object_object_get_ex(tc, "template", &tmpl));
		assert_true(json_object_object_get_ex(tc, "expected", &want));
		json_object_object_get_ex(tc, "data", &data);
		assert_non_null(set);
		if (json_object_object_get_ex(tc, "partials", &partials)) {
			json_object_object_foreach(partials, pname, psrc)
			{
				if (anx_tmpl_add(set, pname, json_object_get_string(psrc),
					    (size_t)json_object_get_string_len(psrc), err,
					    sizeof(err)) != 0)
					fail_msg("%s: %s: partial: %s", file,
						json_object_get_string(name), err);
			}
		}
		if (anx_tmpl_add(set, "spec:case", json_object_get_string(tmpl),
			    (size_t)json_object_get_string_len(tmpl), err, sizeof(err)) != 0) {
			fprintf(stderr, "FAIL %s: %s: compile: %s\n", file,
				json_object_get_string(name), err);
			(*failed)++;
			anx_tmpl_set_free(set);
			continue;
		}
		anx_buf_init(&out, 0);
		if (anx_tmpl_render(set, "spec:case", data, &out) != 0) {
			fprintf(stderr, "FAIL %s: %s: render returned -1\n", file,
				json_object_get_string(name));
			(*failed)++;
		} else {
			got = out.data ? out.data : "";
			if (strlen(got) != out.len ||
				strcmp(got, json_object_get_string(want)) != 0) {
				fprintf(stderr, "FAIL %s: %s\n  want: [%s]\n  got:  [%s]\n", file,
					json_object_get_string(name), json_object_get_string(want),
					got);
				(*failed)++;
			}
		}
		anx_buf_free(&out);
		anx_tmpl_set_free(set);
	}
	v = root;
	json_object_put(v);
	return (int)n;
}

static void
test_spec(void **state)
{
	static const char *const files[] = {
		"comments.json",
		"delimiters.json",
		"interpolation.json",
		"inverted.json",
		"partials.json",
		"sections.json",
	};
	int total = 0, failed = 0;
	size_t i;

	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++)
		total += run_spec_file(files[i], &failed);
	printf("mustache spec: %d cases, %d failed\n", total, failed);
	assert_int_equal(failed, 0);
	assert_int_equal(total, SPEC_CASES);
}

/* Sources that must not compile, with a fragment the message must hold. */
static const struct {
	const char *src;
	const char *msg;
} parse_errors[] = {
	{ "{{#a}}x", "t:1: unclosed section {{#a}}" },
	{ "x\n\n{{^list}}\nx", "t:3: unclosed section {{^list}}" },
	{ "{{#a}}{{/b}}", "t:1: mismatched close tag {{/b}}, expected {{/a}}" },
	{ "{{#a}}\n{{#b}}\n{{/a}}", "t:3: mismatched close tag {{/a}}, expected {{/b}}" },
	{ "x{{/a}}", "t:1: close tag {{/a}} without an open section" },
	{ "a\nb\n{{x", "t:3: unclosed tag" },
	{ "{{{x}}", "t:1: unclosed tag" },
	{ "{{! never closed", "t:1: unclosed tag" },
	{ "{{=<% %>", "t:1: unclosed tag" },
	{ "{{= =}}", "t:1: bad delimiter set" },
	{ "{{=<%=}}", "t:1: bad delimiter set" },
	{ "{{=a b c=}}", "t:1: bad delimiter set" },
	{ "{{=01234567890123456 x=}}", "t:1: bad delimiter set" },
	{ "{{}}", "t:1: empty tag name" },
	{ "{{#}}{{/}}", "t:1: empty tag name" },
	{ "{{a b}}", "t:1: bad tag name" },
	{ "{{a..b}}", "t:1: bad tag name \"a..b\"" },
	{ "{{.a}}", "t:1: bad tag name" },
	{ "{{a.}}", "t:1: bad tag name" },
	{ "{{> }}", "t:1: bad partial name" },
	{ "{{>a b}}", "t:1: bad partial name" },
	{ "{{=<% %>=}}\n<%#a%>\n<%/b%>", "t:3: mismatched close tag {{/b}}" },
};

static void
test_parse_errors(void **state)
{
	struct anx_tmpl_set *set;
	char err[256];
	size_t i;

	for (i = 0; i < sizeof(parse_errors) / sizeof(parse_errors[0]); i++) {
		set = anx_tmpl_set_new();
		assert_non_null(set);
		err[0] = '\0';
		if (anx_tmpl_add(set, "t", parse_errors[i].src, strlen(parse_errors[i].src), err,
			    sizeof(err)) != -1)
			fail_msg("compiled: %s", parse_errors[i].src);
		if (strstr(err, parse_errors[i].msg) == NULL)
			fail_msg("source %s: message [%s] lacks [%s]", parse_errors[i].src, err,
				parse_errors[i].msg);
		assert_int_equal(anx_tmpl_has(set, "t"), 0);
		anx_tmpl_set_free(set);
	}
}

/* Set errors: duplicates, oversize sources, unknown names, tiny err. */
static void
test_set_errors(void **state)
{
	struct anx_tmpl_set *set = anx_tmpl_set_new();
	struct anx_buf out;
	char err[256], tiny[4], *big;
	size_t n = 1024 * 1024;

	assert_non_null(set);
	assert_int_equal(anx_tmpl_add(set, "a", "x", 1, err, sizeof(err)), 0);
	assert_int_equal(anx_tmpl_add(set, "a", "y", 1, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "duplicate"));
	assert_int_equal(anx_tmpl_add(set, "", "y", 1, err, sizeof(err)), -1);
	assert_int_equal(anx_tmpl_add(set, "b", "{{#x}}", 6, tiny, sizeof(tiny)), -1);
	assert_int_equal(strlen(tiny), sizeof(tiny) - 1);
	assert_int_equal(anx_tmpl_add(set, "c", "{{#x}}", 6, NULL, 0), -1);

	/* 1 MiB compiles, one byte more does not. */
	big = malloc(n + 1);
	assert_non_null(big);
	memset(big, 'x', n + 1);
	assert_int_equal(anx_tmpl_add(set, "big", big, n, err, sizeof(err)), 0);
	assert_int_equal(anx_tmpl_add(set, "big2", big, n + 1, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "larger than"));
	free(big);

	/* Empty source, unknown name, a failed buffer. */
	assert_int_equal(anx_tmpl_add(set, "empty", NULL, 0, err, sizeof(err)), 0);
	anx_buf_init(&out, 0);
	assert_int_equal(anx_tmpl_render(set, "empty", NULL, &out), 0);
	assert_int_equal(out.len, 0);
	assert_int_equal(anx_tmpl_render(set, "nope", NULL, &out), -1);
	anx_buf_free(&out);
	anx_buf_init(&out, 1000);
	assert_int_equal(anx_tmpl_render(set, "big", NULL, &out), -1);
	assert_true(anx_buf_failed(&out));
	anx_buf_free(&out);

	assert_int_equal(anx_tmpl_has(set, "a"), 1);
	assert_int_equal(anx_tmpl_has(set, "b"), 0);
	assert_int_equal(anx_tmpl_has(NULL, "a"), 0);
	anx_tmpl_set_free(set);
	anx_tmpl_set_free(NULL);
}

/* Many templates in one set: the hash table grows and still finds all. */
static void
test_many(void **state)
{
	struct anx_tmpl_set *set = anx_tmpl_set_new();
	struct anx_buf out;
	char name[32], src[64], err[128];
	int i;

	assert_non_null(set);
	for (i = 0; i < 1000; i++) {
		snprintf(name, sizeof(name), "p%d", i);
		snprintf(src, sizeof(src), "<%d>", i);
		assert_int_equal(anx_tmpl_add(set, name, src, strlen(src), err, sizeof(err)), 0);
	}
	assert_int_equal(
		anx_tmpl_add(set, "t", "{{>p0}}{{>p999}}{{>p1000}}", 26, err, sizeof(err)), 0);
	for (i = 0; i < 1000; i++) {
		snprintf(name, sizeof(name), "p%d", i);
		assert_int_equal(anx_tmpl_has(set, name), 1);
	}
	anx_buf_init(&out, 0);
	assert_int_equal(anx_tmpl_render(set, "t", NULL, &out), 0);
	assert_string_equal(out.data, "<0><999>");
	anx_buf_free(&out);
	anx_tmpl_set_free(set);
}

/* Renders of our own: escaping, numbers, truthiness, indentation. */
static const struct {
	const char *src;
	const char *json;
	const char *want;
} renders[] = {
	/* All five HTML characters, escaped and raw. */
	{ "{{x}}", "{\"x\":\"&<>\\\"'\"}", "&amp;&lt;&gt;&quot;&#39;" },
	{ "{{{x}}}", "{\"x\":\"&<>\\\"'\"}", "&<>\"'" },
	{ "{{& x }}", "{\"x\":\"&<>\\\"'\"}", "&<>\"'" },
	{ "{{#l}}{{.}}{{/l}}", "{\"l\":[\"<\",\"'\"]}", "&lt;&#39;" },
	/* Numbers print as the JSON wrote them, shortest form for doubles. */
	{ "{{a}} {{b}} {{c}} {{d}} {{e}}", "{\"a\":1.210,\"b\":85,\"c\":-3,\"d\":0.1,\"e\":1.0}",
		"1.21 85 -3 0.1 1" },
	{ "{{a}} {{b}} {{c}}",
		"{\"a\":9223372036854775807,\"b\":18446744073709551615,\"c\":-9223372036854775808}",
		"9223372036854775807 18446744073709551615 -9223372036854775808" },
	{ "{{a}} {{b}} {{c}}", "{\"a\":1e300,\"b\":-2.5e-7,\"c\":0.30000000000000004}",
		"1e+300 -2.5e-7 0.30000000000000004" },
	{ "{{t}} {{f}} [{{n}}] [{{missing}}]", "{\"t\":true,\"f\":false,\"n\":null}",
		"true false [] []" },
	{ "{{o}} {{{l}}}", "{\"o\":{\"k\":\"v\"},\"l\":[1,\"a/b\"]}",
		"{&quot;k&quot;:&quot;v&quot;} [1,\"a/b\"]" },
	/* mustache(5) truthiness: "" and 0 and {} are truthy. */
	{ "{{#s}}S{{/s}}{{#z}}Z{{/z}}{{#o}}O{{/o}}{{#e}}E{{/e}}{{#n}}N{{/n}}{{#f}}F{{/f}}",
		"{\"s\":\"\",\"z\":0,\"o\":{},\"e\":[],\"n\":null,\"f\":false}", "SZO" },
	{ "{{^s}}S{{/s}}{{^z}}Z{{/z}}{{^o}}O{{/o}}{{^e}}E{{/e}}{{^n}}N{{/n}}{{^f}}F{{/f}}"
	  "{{^m}}M{{/m}}",
		"{\"s\":\"\",\"z\":0,\"o\":{},\"e\":[],\"n\":null,\"f\":false}", "ENFM" },
	/* A null root context and a scalar root. */
	{ "[{{a}}{{.}}]", NULL, "[]" },
	{ "[{{a}}|{{.}}]", "\"s\"", "[|s]" },
	/* Custom delimiters and their triple form. */
	{ "{{=<% %>=}}<%a%> <%{a}%> {{a}}", "{\"a\":\"<\"}", "&lt; < {{a}}" },
	/* NUL bytes in text pass through. */
	{ "a{{! c }}b", NULL, "ab" },
	/* Section over a list of objects with parent lookups. */
	{ "{{#rows}}{{name}}@{{site}};{{/rows}}",
		"{\"site\":\"S\",\"rows\":[{\"name\":\"a\"},{\"name\":\"b\",\"site\":\"T\"}]}",
		"a@S;b@T;" },
};

static void
test_renders(void **state)
{
	char *got;
	size_t i;

	for (i = 0; i < sizeof(renders) / sizeof(renders[0]); i++) {
		assert_int_equal(render_str(renders[i].src, renders[i].json, &got, NULL), 0);
		if (strcmp(got, renders[i].want) != 0)
			fail_msg("template %s\n  want [%s]\n  got  [%s]", renders[i].src,
				renders[i].want, got);
		free(got);
	}
}

/* Nested standalone partials add up their indentation. */
static void
test_indent(void **state)
{
	char *got;

	assert_int_equal(
		render_str("<\n  {{>outer}}\n>\n", "{\"v\":\"x\\ny\"}", &got, "outer",
			"o1\n  {{>inner}}\no2\n", "inner", "i1\n{{v}}\n{{#v}}\ni2\n{{/v}}\n", NULL),
		0);
	assert_string_equal(got, "<\n  o1\n    i1\n    x\ny\n    i2\n  o2\n>\n");
	free(got);

	/* Inline partials are not indented, even inside indented ones. */
	assert_int_equal(render_str("  {{>outer}}\n", NULL, &got, "outer", "a {{>inner}}\nb\n",
				 "inner", "1\n2", NULL),
		0);
	assert_string_equal(got, "  a 1\n2\n  b\n");
	free(got);
}

/*
 * Depth limits: 64 nested sections compile and 65 do not; partials nest 64
 * deep and the 65th fails the render; endless recursion stops.
 */
static void
test_depth(void **state)
{
	struct anx_tmpl_set *set;
	struct anx_buf src, out;
	json_object *ctx;
	char err[256];
	int i, k, rc;

	for (k = 64; k <= 65; k++) {
		anx_buf_init(&src, 0);
		for (i = 0; i < k; i++)
			anx_buf_puts(&src, "{{#a}}");
		anx_buf_puts(&src, "{{x}}");
		for (i = 0; i < k; i++)
			anx_buf_puts(&src, "{{/a}}");
		set = anx_tmpl_set_new();
		assert_non_null(set);
		rc = anx_tmpl_add(set, "t", src.data, src.len, err, sizeof(err));
		if (k == 64) {
			assert_int_equal(rc, 0);
			ctx = json_tokener_parse("{\"a\":true,\"x\":\"deep\"}");
			anx_buf_init(&out, 0);
			assert_int_equal(anx_tmpl_render(set, "t", ctx, &out), 0);
			assert_string_equal(out.data, "deep");
			anx_buf_free(&out);
			json_object_put(ctx);
		} else {
			assert_int_equal(rc, -1);
			assert_non_null(strstr(err, "t:1: sections nest deeper than 64"));
		}
		anx_tmpl_set_free(set);
		anx_buf_free(&src);
	}

	/* Data-driven recursion: k levels of {"c": ...} end in false, so the
	 * template includes itself k - 1 times: 64 render, 65 do not. */
	for (k = 65; k <= 66; k++) {
		/* Built in code: json-c's parser stops at 32 levels. */
		ctx = json_object_new_boolean(0);
		for (i = 0; i < k; i++) {
			json_object *o = json_object_new_object();

			assert_non_null(o);
			json_object_object_add(o, "c", ctx);
			ctx = o;
		}
		set = anx_tmpl_set_new();
		assert_non_null(set);
		assert_int_equal(
			anx_tmpl_add(set, "n", "{{#c}}.{{>n}}{{/c}}", 19, err, sizeof(err)), 0);
		anx_buf_init(&out, 0);
		rc = anx_tmpl_render(set, "n", ctx, &out);
		if (k == 65) {
			assert_int_equal(rc, 0);
			assert_int_equal(out.len, 64);
		} else {
			assert_int_equal(rc, -1);
		}
		anx_buf_free(&out);
		anx_tmpl_set_free(set);
		json_object_put(ctx);
	}

	/* Data-bounded but exponential recursion (2^40 includes) ends with -1
	 * at the work bound, not after hours. */
	ctx = json_object_new_boolean(0);
	for (i = 0; i < 40; i++) {
		json_object *o = json_object_new_object();

		assert_non_null(o);
		json_object_object_add(o, "c", ctx);
		ctx = o;
	}
	set = anx_tmpl_set_new();
	assert_non_null(set);
	assert_int_equal(
		anx_tmpl_add(set, "x", "{{#c}}{{>x}}{{>x}}{{/c}}", 24, err, sizeof(err)), 0);
	anx_buf_init(&out, 0);
	assert_int_equal(anx_tmpl_render(set, "x", ctx, &out), -1);
	anx_buf_free(&out);
	anx_tmpl_set_free(set);
	json_object_put(ctx);

	/* Endless and exponential recursion both end with -1. */
	set = anx_tmpl_set_new();
	assert_non_null(set);
	assert_int_equal(anx_tmpl_add(set, "r", "x{{>r}}", 7, err, sizeof(err)), 0);
	assert_int_equal(anx_tmpl_add(set, "e", "{{>e}}{{>e}}", 12, err, sizeof(err)), 0);
	anx_buf_init(&out, 0);
	assert_int_equal(anx_tmpl_render(set, "r", NULL, &out), -1);
	anx_buf_reset(&out);
	assert_int_equal(anx_tmpl_render(set, "e", NULL, &out), -1);
	anx_buf_free(&out);
	anx_tmpl_set_free(set);
}

/* Writes a file under dir, creating parent directories. */
static void
write_file(const char *dir, const char *rel, const char *data, size_t n)
{
	char path[PATH_MAX], *p;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	for (p = path + strlen(dir) + 1; (p = strchr(p, '/')) != NULL; p++) {
		*p = '\0';
		if (mkdir(path, 0700) == -1 && errno != EEXIST)
			fail_msg("mkdir %s: %s", path, strerror(errno));
		*p = '/';
	}
	f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, n, f), n);
	assert_int_equal(fclose(f), 0);
}

static void
write_str(const char *dir, const char *rel, const char *data)
{
	write_file(dir, rel, data, strlen(data));
}

/* Removes the temporary tree (known depth, so no nftw needed). */
static void
rm_tree(const char *dir, const char *const *rels)
{
	char path[PATH_MAX];

	for (; *rels != NULL; rels++) {
		snprintf(path, sizeof(path), "%s/%s", dir, *rels);
		if (remove(path) == -1 && errno != ENOENT)
			fail_msg("remove %s: %s", path, strerror(errno));
	}
	assert_int_equal(rmdir(dir), 0);
}

static void
test_load_dir(void **state)
{
	static const char *const rels[] = {
		"layout.mustache",
		"README",
		".hidden.mustache",
		"partials/deeper/item.mustache",
		"partials/deeper",
		"partials/nav.mustache",
		"partials",
		"broken/bad.mustache",
		"broken",
		"big.mustache",
		NULL,
	};
	char dir[] = "/tmp/anx_tmpl_XXXXXX", err[512], path[PATH_MAX], *big;
	struct anx_tmpl_set *set = NULL;
	struct anx_buf out;
	json_object *ctx;
	size_t n = 1024 * 1024 + 1;

	assert_non_null(mkdtemp(dir));
	write_str(dir, "layout.mustache", "<html>\n  {{> partials/nav}}\n</html>\n");
	write_str(dir, "partials/nav.mustache",
		"<nav>\n{{#items}}\n  {{>partials/deeper/item}}\n{{/items}}\n</nav>\n");
	write_str(dir, "partials/deeper/item.mustache", "<a>{{name}}</a>\n");
	write_str(dir, "README", "{{#not a template");
	write_str(dir, ".hidden.mustache", "{{#hidden");

	/* A trailing slash on dir is fine. */
	snprintf(path, sizeof(path), "%s/", dir);
	assert_int_equal(anx_tmpl_load_dir(&set, path, err, sizeof(err)), 0);
	assert_int_equal(anx_tmpl_has(set, "layout"), 1);
	assert_int_equal(anx_tmpl_has(set, "partials/nav"), 1);
	assert_int_equal(anx_tmpl_has(set, "partials/deeper/item"), 1);
	assert_int_equal(anx_tmpl_has(set, "README"), 0);
	assert_int_equal(anx_tmpl_has(set, ".hidden"), 0);
	assert_int_equal(anx_tmpl_has(set, "layout.mustache"), 0);
	ctx = json_tokener_parse("{\"items\":[{\"name\":\"a&b\"},{\"name\":\"c\"}]}");
	anx_buf_init(&out, 0);
	assert_int_equal(anx_tmpl_render(set, "layout", ctx, &out), 0);
	assert_string_equal(
		out.data, "<html>\n  <nav>\n    <a>a&amp;b</a>\n    <a>c</a>\n  </nav>\n</html>\n");
	anx_buf_free(&out);
	json_object_put(ctx);
	anx_tmpl_set_free(set);

	/* A parse error names the file and the line. */
	write_str(dir, "broken/bad.mustache", "ok\n{{#open}}\n");
	set = (struct anx_tmpl_set *)1;
	assert_int_equal(anx_tmpl_load_dir(&set, dir, err, sizeof(err)), -1);
	assert_null(set);
	assert_non_null(strstr(err, "broken/bad.mustache:2: unclosed section {{#open}}"));
	snprintf(path, sizeof(path), "%s/broken/bad.mustache", dir);
	assert_int_equal(remove(path), 0);

	/* So does an oversized file. */
	big = malloc(n);
	assert_non_null(big);
	memset(big, 'x', n);
	write_file(dir, "big.mustache", big, n);
	free(big);
	assert_int_equal(anx_tmpl_load_dir(&set, dir, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "big.mustache: larger than"));

	/* A missing directory is an error naming it. */
	snprintf(path, sizeof(path), "%s/none", dir);
	assert_int_equal(anx_tmpl_load_dir(&set, path, err, sizeof(err)), -1);
	assert_non_null(strstr(err, path));

	rm_tree(dir, rels);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_spec),
		cmocka_unit_test(test_parse_errors),
		cmocka_unit_test(test_set_errors),
		cmocka_unit_test(test_many),
		cmocka_unit_test(test_renders),
		cmocka_unit_test(test_indent),
		cmocka_unit_test(test_depth),
		cmocka_unit_test(test_load_dir),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
