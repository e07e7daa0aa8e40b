/*
 * test_docs.c - Markdown documents (docs.c) and the dev mailbox's link
 * extraction (mailbox.c), as tables: raw HTML and dangerous link targets
 * never reach the page; titles, summaries and heading ids; links between
 * documents rewritten to /docs/NAME; GitHub pipe tables (which Debian's
 * libcmark lacks) rendered, also next to code fences that look like
 * tables; document names; loading a directory (the repository's docs/
 * must have titles, DATA_HANDLING among them); and URLs found in email
 * text.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "docs.h"
#include "mailbox.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

static const char *const known[] = { "API", "OPERATIONS", "DATA_HANDLING" };

/* Renders md as document "T"; the caller frees the three strings. */
static void
render(const char *md, struct anx_doc *doc)
{
	memset(doc, 0, sizeof(*doc));
	snprintf(doc->name, sizeof(doc->name), "T");
	assert_int_equal(anx_doc_render(doc, md, strlen(md), known, NELEM(known)), 0);
}

static void
done(struct anx_doc *doc)
{
	free(doc->title);
	free(doc->summary);
	free(doc->html);
}

/* Markdown in, and what the HTML must and must not contain. */
static const struct {
	const char *md, *has, *lacks;
} cases[] = {
	/* raw HTML is omitted, block and inline */
	{ "<script>alert(1)</script>\n", "<!-- raw HTML omitted -->", "<script" },
	{ "hi <img src=x onerror=alert(1)> there\n", "hi <!-- raw HTML omitted --> there", "<img" },
	{ "<div onclick=\"x()\">block</div>\n", "raw HTML omitted", "onclick" },
	{ "<iframe src=\"https://evil\"></iframe>\n", "raw HTML omitted", "<iframe" },
	/* dangerous link targets are dropped, safe ones kept */
	{ "[x](javascript:alert(1))\n", "<a href=\"\">x</a>", "javascript:" },
	{ "[x](JAVASCRIPT:alert(1))\n", "<a href=\"\">x</a>", "JAVASCRIPT" },
	{ "[x](vbscript:msgbox)\n", "<a href=\"\">", "vbscript" },
	{ "![i](data:text/html;base64,PHNjcmlwdD4=)\n", "<img src=\"\"", "data:text/html" },
	{ "[x](https://example.com/a?b=1&c=2)\n", "href=\"https://example.com/a?b=1&amp;c=2\"",
		NULL },
	{ "[mail](mailto:ops@example.com)\n", "href=\"mailto:ops@example.com\"", NULL },
	/* attribute injection through a URL or title */
	{ "[x](https://e.com/\"onmouseover=\"x)\n", "%22onmouseover=%22x", "\"onmouseover" },
	{ "[x](https://e.com \"a\\\" onclick=\\\"b\")\n", "title=\"a&quot; onclick=&quot;b\"",
		"\" onclick" },
	/* links to other documents land on their page */
	{ "[ops](OPERATIONS.md)\n", "href=\"/docs/OPERATIONS\"", NULL },
	{ "[ops](./OPERATIONS.md#scheduled-jobs)\n", "href=\"/docs/OPERATIONS#scheduled-jobs\"",
		NULL },
	{ "[ops](docs/API.md)\n", "href=\"/docs/API\"", NULL },
	{ "[nope](UNKNOWN.md)\n", "href=\"UNKNOWN.md\"", "/docs/UNKNOWN" },
	{ "[abs](/openapi.yaml)\n", "href=\"/openapi.yaml\"", NULL },
	{ "[ext](https://example.com/API.md)\n", "href=\"https://example.com/API.md\"",
		"/docs/API" },
	/* headings get ids, repeated ones numbered */
	{ "## Keys and *scopes*\n\n## Keys and scopes\n", "<h2 id=\"keys-and-scopes-1\">", NULL },
	{ "## Ask: `POST /api/v1/evaluate`\n", "<h2 id=\"ask-post-apiv1evaluate\">", NULL },
	/* GitHub pipe tables */
	{ "| a | b |\n|---|--:|\n| `x\\|y` | **2** |\n| [o](OPERATIONS.md) | 3 |\n",
		"<td><code>x|y</code></td><td class=\"right\"><strong>2</strong></td>", NULL },
	{ "| a | b |\n|---|--:|\n| [o](OPERATIONS.md) | 3 |\n",
		"<td><a href=\"/docs/OPERATIONS\">o</a></td>", NULL },
	{ "| h |\n|:-:|\n| <script>x</script> |\n",
		"<td class=\"center\"><!-- raw HTML omitted -->", "<script" },
	{ "| h |\n|---|\n| a <b onclick=x>b</b> |\n",
		"<td>a <!-- raw HTML omitted -->b<!-- raw HTML omitted --></td>", "onclick" },
	{ "text before\n\n| k | v |\n|---|---|\n| 1 | 2 |\n\nafter **bold**\n",
		"<p>after <strong>bold</strong></p>", NULL },
	/* a fenced block with pipes stays code */
	{ "```\n| a | b |\n|---|---|\n```\n", "<pre><code>| a | b |\n|---|---|\n</code></pre>",
		"<table>" },
	/* a header without a delimiter row is no table */
	{ "| a | b |\n| c | d |\n", "<p>| a | b |", "<table>" },
	/* cell counts must agree */
	{ "| a | b |\n|---|---|---|\n| 1 | 2 |\n", "<p>| a | b |", "<table>" },
};

static void
test_render(void **state)
{
	(void)state;
	for (size_t i = 0; i < NELEM(cases); i++) {
		struct anx_doc doc;

		render(cases[i].md, &doc);
		if (strstr(doc.html, cases[i].has) == NULL)
			fail_msg("case %zu: %s\nwant: %s\ngot: %s", i, cases[i].md, cases[i].has,
				doc.html);
		if (cases[i].lacks && strstr(doc.html, cases[i].lacks) != NULL)
			fail_msg("case %zu: %s\nmust not contain: %s\ngot: %s", i, cases[i].md,
				cases[i].lacks, doc.html);
		done(&doc);
	}
}

static void
test_title_summary(void **state)
{
	struct anx_doc doc;
	char long_md[2000];

	(void)state;
	render("Intro text *first*.\n\n# The `real` title\n\nSecond paragraph.\n", &doc);
	assert_string_equal(doc.title, "The real title");
	assert_string_equal(doc.summary, "Intro text first.");
	done(&doc);

	render("## no level one\n\n> quoted\n", &doc);
	assert_string_equal(doc.title, "T");
	assert_string_equal(doc.summary, "");
	done(&doc);

	snprintf(long_md, sizeof(long_md), "# T\n\n");
	for (int i = 0; i < 60; i++)
		strcat(long_md, "word ");
	strcat(long_md, "\n");
	render(long_md, &doc);
	assert_true(strlen(doc.summary) < 200);
	assert_non_null(strstr(doc.summary, "\xe2\x80\xa6"));
	done(&doc);

	/* Not UTF-8: replaced, not rendered raw. */
	render("# bad \xff\xfe title\n", &doc);
	assert_null(strstr(doc.title, "\xff"));
	done(&doc);
}

static void
test_names(void **state)
{
	static const struct {
		const char *name;
		int ok;
	} names[] = {
		{ "API", 1 },
		{ "DATA_HANDLING", 1 },
		{ "a-b_c9", 1 },
		{ "", 0 },
		{ "../etc", 0 },
		{ "a.md", 0 },
		{ "a/b", 0 },
		{ "a b", 0 },
		{ "%2e%2e", 0 },
		{ NULL, 0 },
		{ "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 1 },
		{ "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 0 },
	};

	(void)state;
	for (size_t i = 0; i < NELEM(names); i++)
		assert_int_equal(anx_doc_name_valid(names[i].name), names[i].ok);
}

static void
test_load_repository_docs(void **state)
{
	struct anx_docs *d = anx_docs_load(ANX_SOURCE_DIR "/docs");
	const struct anx_doc *dh;

	(void)state;
	assert_non_null(d);
	assert_true(d->n >= 2);
	for (size_t i = 0; i < d->n; i++) {
		assert_true(strlen(d->items[i].title) > 0);
		assert_null(strstr(d->items[i].html, "<script"));
		if (i > 0)
			assert_true(strcasecmp(d->items[i - 1].title, d->items[i].title) <= 0);
	}
	assert_non_null(dh = anx_docs_find(d, "DATA_HANDLING"));
	assert_string_equal(dh->title, "Data handling");
	assert_non_null(strstr(dh->html, "<table>"));
	assert_non_null(strstr(dh->html, "agentnexus-cron purge"));
	assert_null(anx_docs_find(d, "data_handling"));
	assert_null(anx_docs_find(d, "../docs/DATA_HANDLING"));
	anx_docs_free(d);

	/* A missing directory is an empty set. */
	d = anx_docs_load(ANX_SOURCE_DIR "/no-such-dir");
	assert_non_null(d);
	assert_int_equal(d->n, 0);
	anx_docs_free(d);
}

struct links {
	char got[8][256];
	size_t n;
};

static void
collect(const char *url, size_t len, void *ctx)
{
	struct links *l = ctx;

	if (l->n < 8)
		snprintf(l->got[l->n++], sizeof(l->got[0]), "%.*s", (int)len, url);
}

static void
test_mail_links(void **state)
{
	static const struct {
		const char *text;
		const char *want[4];
	} cases2[] = {
		{ "Approve: https://a.example/approve/abc123.\nThanks",
			{ "https://a.example/approve/abc123" } },
		{ "(see http://127.0.0.1:8080/reset/x?y=1&z=2), then",
			{ "http://127.0.0.1:8080/reset/x?y=1&z=2" } },
		{ "<https://x.test/a> and \"https://x.test/b\"",
			{ "https://x.test/a", "https://x.test/b" } },
		{ "dup https://x.test/a https://x.test/a", { "https://x.test/a" } },
		{ "javascript:alert(1) ftp://x.test/ mailto:a@b", { NULL } },
		{ "nohttps://x.test/a shttp://y", { NULL } },
		{ "HTTPS://UPPER.test/Path", { "HTTPS://UPPER.test/Path" } },
		{ "https:// nothing", { NULL } },
		{ "", { NULL } },
	};

	(void)state;
	for (size_t i = 0; i < NELEM(cases2); i++) {
		struct links l;
		size_t want = 0;

		memset(&l, 0, sizeof(l));
		while (want < 4 && cases2[i].want[want])
			want++;
		assert_int_equal(
			anx_mailbox_links(cases2[i].text, ANX_MAILBOX_LINKS, collect, &l), want);
		for (size_t k = 0; k < want; k++)
			assert_string_equal(l.got[k], cases2[i].want[k]);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_render),
		cmocka_unit_test(test_title_summary),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_load_repository_docs),
		cmocka_unit_test(test_mail_links),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
