/*
 * test_dashboard_lists.c - the pure parts of the dashboard's lists and
 * editors, as tables: the LCS line diff (textdiff.c) and its hunks, CSV
 * fields with formula neutralisation (csv.c), keyset cursors and filter
 * values (listing.c) and the evaluation/audit filter tables, hostname
 * allowlist entries (integrations.c), the policy editor's pretty printer
 * and parse-error positions (policy_edit.c), and display times
 * (fcgi/dash_list.c).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "arena.h"
#include "audit_list.h"
#include "buf.h"
#include "csv.h"
#include "dash_list.h"
#include "eval_list.h"
#include "integrations.h"
#include "listing.h"
#include "policy.h"
#include "policy_edit.h"
#include "textdiff.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* ---- textdiff ------------------------------------------------------------ */

/* The script as text: one "<sign><line>\n" per line (' ' same). */
static char *
script(const struct anx_diff *d)
{
	struct anx_buf b;

	anx_buf_init(&b, 0);
	for (size_t i = 0; i < d->n; i++) {
		anx_buf_putc(&b, d->lines[i].op == ANX_DIFF_ADD   ? '+'
				 : d->lines[i].op == ANX_DIFF_DEL ? '-'
								  : ' ');
		anx_buf_add(&b, d->lines[i].text, d->lines[i].len);
		anx_buf_putc(&b, '\n');
	}
	return anx_buf_steal(&b, NULL);
}

static const struct diff_case {
	const char *old_text, *new_text, *want;
	size_t added, deleted;
} diff_cases[] = {
	{ "", "", "", 0, 0 },
	{ "a\nb\n", "a\nb\n", " a\n b\n", 0, 0 },
	{ "", "a\n", "+a\n", 1, 0 },
	{ "a\n", "", "-a\n", 0, 1 },
	{ "a\nb\nc\n", "a\nc\n", " a\n-b\n c\n", 0, 1 },
	{ "a\nc\n", "a\nb\nc\n", " a\n+b\n c\n", 1, 0 },
	{ "a\nb\nc\n", "a\nx\nc\n", " a\n-b\n+x\n c\n", 1, 1 },
	/* A final newline is not a line; CRLF equals LF. */
	{ "a\nb", "a\nb\n", " a\n b\n", 0, 0 },
	{ "a\r\nb\r\n", "a\nb\n", " a\n b\n", 0, 0 },
	/* Empty lines are lines. */
	{ "a\n\nb\n", "a\nb\n", " a\n-\n b\n", 0, 1 },
	/* Deletions come before additions at the same place. */
	{ "x\n", "y\n", "-x\n+y\n", 1, 1 },
	/* A moved line: the longest common run stays. */
	{ "x\ny\nz\n", "z\nx\ny\n", "+z\n x\n y\n-z\n", 1, 1 },
	/* The textbook case, ABCABBA -> CBABAC: LCS 4, so 3 out and 2 in. */
	{ "A\nB\nC\nA\nB\nB\nA\n", "C\nB\nA\nB\nA\nC\n", NULL, 2, 3 },
	/* Changes at both ends around a common middle. */
	{ "1\nm\nn\n2\n", "3\nm\nn\n4\n", "-1\n+3\n m\n n\n-2\n+4\n", 2, 2 },
};

static void
test_diff_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < NELEM(diff_cases); i++) {
		const struct diff_case *c = &diff_cases[i];
		struct anx_diff d;
		char *got;

		assert_int_equal(anx_diff_lines(c->old_text, c->new_text, &d), 0);
		got = script(&d);
		if (c->want && strcmp(got, c->want) != 0)
			fail_msg("case %zu: got\n%s\nwant\n%s", i, got, c->want);
		assert_int_equal(d.added, c->added);
		assert_int_equal(d.deleted, c->deleted);
		assert_true(d.minimal);
		/* Every script replays: same+del lines are the old text, same+add the new. */
		{
			struct anx_buf o, n;
			struct anx_diff again;

			anx_buf_init(&o, 0);
			anx_buf_init(&n, 0);
			for (size_t k = 0; k < d.n; k++) {
				if (d.lines[k].op != ANX_DIFF_ADD) {
					anx_buf_add(&o, d.lines[k].text, d.lines[k].len);
					anx_buf_putc(&o, '\n');
				}
				if (d.lines[k].op != ANX_DIFF_DEL) {
					anx_buf_add(&n, d.lines[k].text, d.lines[k].len);
					anx_buf_putc(&n, '\n');
				}
			}
			assert_int_equal(
				anx_diff_lines(o.data ? o.data : "", c->old_text, &again), 0);
			assert_int_equal(again.added + again.deleted, 0);
			anx_diff_free(&again);
			assert_int_equal(
				anx_diff_lines(n.data ? n.data : "", c->new_text, &again), 0);
			assert_int_equal(again.added + again.deleted, 0);
			anx_diff_free(&again);
			anx_buf_free(&o);
			anx_buf_free(&n);
		}
		free(got);
		anx_diff_free(&d);
	}
}

static void
test_diff_line_numbers(void **state)
{
	struct anx_diff d;

	(void)state;
	assert_int_equal(anx_diff_lines("a\nb\nc\n", "a\nx\nc\n", &d), 0);
	assert_int_equal(d.n, 4);
	assert_int_equal(d.lines[0].old_no, 1);
	assert_int_equal(d.lines[0].new_no, 1);
	assert_int_equal(d.lines[1].op, ANX_DIFF_DEL);
	assert_int_equal(d.lines[1].old_no, 2);
	assert_int_equal(d.lines[1].new_no, 0);
	assert_int_equal(d.lines[2].op, ANX_DIFF_ADD);
	assert_int_equal(d.lines[2].old_no, 0);
	assert_int_equal(d.lines[2].new_no, 2);
	assert_int_equal(d.lines[3].old_no, 3);
	assert_int_equal(d.lines[3].new_no, 3);
	anx_diff_free(&d);
}

/* Lines "1".."n" with line k replaced by "x" (k = 0: none). */
static char *
numbered(int n, int k)
{
	struct anx_buf b;

	anx_buf_init(&b, 0);
	for (int i = 1; i <= n; i++)
		if (i == k)
			anx_buf_puts(&b, "x\n");
		else
			anx_buf_printf(&b, "%d\n", i);
	return anx_buf_steal(&b, NULL);
}

static void
test_diff_hunks(void **state)
{
	char *a = numbered(20, 0), *b = numbered(20, 10);
	json_object *j, *hunks, *h, *lines;
	struct anx_diff d;

	(void)state;
	assert_int_equal(anx_diff_lines(a, b, &d), 0);
	j = anx_diff_json(&d, 2);
	assert_non_null(j);
	assert_true(json_object_object_get_ex(j, "hunks", &hunks));
	assert_int_equal(json_object_array_length(hunks), 1);
	h = json_object_array_get_idx(hunks, 0);
	assert_string_equal(anx_json_get_str(h, "header"), "@@ -8,5 +8,5 @@");
	json_object_object_get_ex(h, "lines", &lines);
	assert_int_equal(json_object_array_length(lines), 6); /* 2 + del + add + 2 */
	assert_string_equal(anx_json_get_str(json_object_array_get_idx(lines, 2), "op"), "del");
	assert_string_equal(anx_json_get_str(json_object_array_get_idx(lines, 2), "sign"), "-");
	assert_string_equal(anx_json_get_str(json_object_array_get_idx(lines, 3), "text"), "x");
	assert_true(anx_json_get_bool(j, "changed", 0));
	json_object_put(j);
	anx_diff_free(&d);

	/* Two changes far apart are two hunks; none is none. */
	free(b);
	b = numbered(20, 0);
	b[0] = 'y'; /* line 1: "y" */
	{
		char *c = numbered(20, 0);

		c[strlen(c) - 3] = 'z'; /* line 20: "2z" */
		assert_int_equal(anx_diff_lines(b, c, &d), 0);
		j = anx_diff_json(&d, 3);
		json_object_object_get_ex(j, "hunks", &hunks);
		assert_int_equal(json_object_array_length(hunks), 2);
		json_object_put(j);
		anx_diff_free(&d);
		free(c);
	}
	assert_int_equal(anx_diff_lines(a, a, &d), 0);
	j = anx_diff_json(&d, 3);
	json_object_object_get_ex(j, "hunks", &hunks);
	assert_int_equal(json_object_array_length(hunks), 0);
	assert_false(anx_json_get_bool(j, "changed", 1));
	json_object_put(j);
	anx_diff_free(&d);
	free(a);
	free(b);
}

static void
test_diff_limits(void **state)
{
	struct anx_buf x, y;
	struct anx_diff d;
	char *big;

	(void)state;
	/* Over the line limit: refused. */
	big = numbered(ANX_TEXTDIFF_MAX_LINES + 1, 0);
	assert_int_equal(anx_diff_lines(big, "a\n", &d), -1);
	free(big);
	/* A middle too large for the table: still a correct script. */
	anx_buf_init(&x, 0);
	anx_buf_init(&y, 0);
	anx_buf_puts(&x, "same\n");
	anx_buf_puts(&y, "same\n");
	for (int i = 0; i < 3000; i++) {
		anx_buf_printf(&x, "old %d\n", i);
		anx_buf_printf(&y, "new %d\n", i);
	}
	assert_int_equal(anx_diff_lines(x.data, y.data, &d), 0);
	assert_false(d.minimal);
	assert_int_equal(d.added, 3000);
	assert_int_equal(d.deleted, 3000);
	assert_int_equal(d.lines[0].op, ANX_DIFF_SAME);
	anx_diff_free(&d);
	anx_buf_free(&x);
	anx_buf_free(&y);
}

/* ---- CSV ----------------------------------------------------------------- */

static const struct csv_case {
	const char *in, *want;
} csv_cases[] = {
	{ "plain", "plain" },
	{ "", "" },
	{ NULL, "" },
	{ "a,b", "\"a,b\"" },
	{ "say \"hi\"", "\"say \"\"hi\"\"\"" },
	{ "\"", "\"\"\"\"" },
	{ "line\nbreak", "\"line\nbreak\"" },
	{ "cr\rhere", "\"cr\rhere\"" },
	{ "a=b", "a=b" },
	{ "x-1", "x-1" },
	/* Formula starts are neutralised with a leading quote. */
	{ "=1+2", "'=1+2" },
	{ "+1", "'+1" },
	{ "-1", "'-1" },
	{ "@SUM(A1:A9)", "'@SUM(A1:A9)" },
	{ "\tx", "'\tx" },
	{ "\rx", "\"'\rx\"" },
	{ "=HYPERLINK(\"http://evil\"),go", "\"'=HYPERLINK(\"\"http://evil\"\"),go\"" },
	{ "-\"x\"", "\"'-\"\"x\"\"\"" },
	{ "ünïcødé, ok", "\"ünïcødé, ok\"" },
};

static void
test_csv_fields(void **state)
{
	(void)state;
	for (size_t i = 0; i < NELEM(csv_cases); i++) {
		struct anx_buf b;

		anx_buf_init(&b, 0);
		assert_int_equal(anx_csv_field(&b, csv_cases[i].in,
					 csv_cases[i].in ? strlen(csv_cases[i].in) : 0, 1),
			0);
		if (strcmp(b.data ? b.data : "", csv_cases[i].want) != 0)
			fail_msg("case %zu: got [%s] want [%s]", i, b.data ? b.data : "",
				csv_cases[i].want);
		anx_buf_free(&b);
	}
}

static void
test_csv_record(void **state)
{
	const char *v[] = { "a", NULL, "b,c", "=x", "" };
	struct anx_buf b;

	(void)state;
	anx_buf_init(&b, 0);
	assert_int_equal(anx_csv_record(&b, v, NELEM(v)), 0);
	assert_string_equal(b.data, "a,,\"b,c\",'=x,\r\n");
	anx_buf_free(&b);
	assert_true(anx_csv_formula_start("=", 1));
	assert_false(anx_csv_formula_start("", 0));
	assert_false(anx_csv_formula_start("a", 1));
}

/* ---- cursors and dates --------------------------------------------------- */

static void
test_cursor_roundtrip(void **state)
{
	static const struct anx_cursor good[] = {
		{ "2026-11-28T00:40:00.123456Z", "0927b502-5b11-4d9e-8331-1b211c6eef40" },
		{ "1999-01-01T23:59:59.000000Z", "ffffffff-ffff-ffff-ffff-ffffffffffff" },
		{ "2024-02-29T12:00:00.999999Z", "1" },
		{ "2026-11-28T00:40:00.123456Z", "9223372036854775807" },
	};
	char enc[ANX_CURSOR_MAX + 1];
	struct anx_cursor c;

	(void)state;
	for (size_t i = 0; i < NELEM(good); i++) {
		enum anx_cursor_id kind =
			strlen(good[i].id) == 36 ? ANX_CURSOR_UUID : ANX_CURSOR_BIGINT;

		assert_int_equal(anx_cursor_encode(&good[i], enc), 0);
		for (const char *p = enc; *p; p++)
			assert_non_null(strchr(
				"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_",
				*p));
		assert_int_equal(anx_cursor_decode(enc, kind, &c), 0);
		assert_string_equal(c.ts, good[i].ts);
		assert_string_equal(c.id, good[i].id);
		/* The other kind of id is refused. */
		assert_int_equal(
			anx_cursor_decode(enc,
				kind == ANX_CURSOR_UUID ? ANX_CURSOR_BIGINT : ANX_CURSOR_UUID, &c),
			-1);
	}
	/* Encoding refuses what decoding would refuse. */
	{
		struct anx_cursor bad = { "2026-11-28", "1" };

		assert_int_equal(anx_cursor_encode(&bad, enc), -1);
	}
	anx_cursor_first(ANX_CURSOR_UUID, &c);
	assert_string_equal(c.ts, "infinity");
	assert_string_equal(c.id, "ffffffff-ffff-ffff-ffff-ffffffffffff");
	anx_cursor_first(ANX_CURSOR_BIGINT, &c);
	assert_string_equal(c.id, "9223372036854775807");
}

/* base64url without padding of s, into out. */
static void
b64u(const char *s, char *out)
{
	static const char a[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	size_t n = strlen(s), k = 0;

	for (size_t i = 0; i < n; i += 3) {
		unsigned v = (unsigned char)s[i] << 16;

		if (i + 1 < n)
			v |= (unsigned)(unsigned char)s[i + 1] << 8;
		if (i + 2 < n)
			v |= (unsigned char)s[i + 2];
		out[k++] = a[(v >> 18) & 63];
		out[k++] = a[(v >> 12) & 63];
		if (i + 1 < n)
			out[k++] = a[(v >> 6) & 63];
		if (i + 2 < n)
			out[k++] = a[v & 63];
	}
	out[k] = '\0';
}

static void
test_cursor_invalid(void **state)
{
	static const char *const raw_bad[] = {
		"",
		"garbage",
		"2026-11-28T00:40:00.123456Z",    /* no id */
		"2026-11-28T00:40:00.123456Z|",   /* empty id */
		"2026-11-28T00:40:00.123456Z|0",  /* zero */
		"2026-11-28T00:40:00.123456Z|01", /* leading zero */
		"2026-11-28T00:40:00.123456Z|-5",
		"2026-11-28T00:40:00.123456Z|9223372036854775808", /* > 2^63-1 */
		"2026-11-28T00:40:00.123456Z|12a",
		"2026-11-28T00:40:00.123456Z|1|2",
		"2026-13-28T00:40:00.123456Z|1", /* month 13 */
		"2026-02-30T00:40:00.123456Z|1", /* 30 February */
		"2026-11-28T24:00:00.123456Z|1",
		"2026-11-28T00:60:00.123456Z|1",
		"2026-11-28 00:40:00.123456Z|1",
		"2026-11-28T00:40:00.12345Z|1", /* 5 fraction digits */
		"2026-11-28T00:40:00.123456+00:00|1",
		"infinity|1",
		"2026-11-28T00:40:00.123456Z|1; DROP TABLE x",
	};
	static const char *const enc_bad[] = {
		"", "!!!", "MjAy=", "a", "MjAyNi0xMS0yOFQwMDo0MDowMC4xMjM0NTZafDE=", /* padded */
		"MjAyNi0xMS0yOFQwMDo0MDowMC4xMjM0NTZafDF", /* non-zero trailing bits */
	};
	char enc[512];
	struct anx_cursor c;

	(void)state;
	for (size_t i = 0; i < NELEM(raw_bad); i++) {
		b64u(raw_bad[i], enc);
		if (anx_cursor_decode(enc, ANX_CURSOR_BIGINT, &c) != -1)
			fail_msg("raw case %zu decoded: %s", i, raw_bad[i]);
	}
	for (size_t i = 0; i < NELEM(enc_bad); i++)
		if (anx_cursor_decode(enc_bad[i], ANX_CURSOR_BIGINT, &c) != -1)
			fail_msg("encoded case %zu decoded: %s", i, enc_bad[i]);
	/* Longer than ANX_CURSOR_MAX. */
	memset(enc, 'A', sizeof(enc) - 1);
	enc[sizeof(enc) - 1] = '\0';
	assert_int_equal(anx_cursor_decode(enc, ANX_CURSOR_BIGINT, &c), -1);
	assert_int_equal(anx_cursor_decode(NULL, ANX_CURSOR_BIGINT, &c), -1);
	/* A uuid cursor wants a uuid. */
	b64u("2026-11-28T00:40:00.123456Z|0927b502-5b11-4d9e-8331-1b211c6eef4", enc);
	assert_int_equal(anx_cursor_decode(enc, ANX_CURSOR_UUID, &c), -1);
}

static void
test_dates(void **state)
{
	static const char *const good[] = { "2026-11-28", "2024-02-29", "2000-02-29", "1970-01-01",
		"9999-12-31" };
	static const char *const bad[] = { "", "2026-11-2", "2026/11/28", "2023-02-29",
		"1900-02-29", "2026-00-10", "2026-04-31", "1969-12-31", "２026-11-28",
		"2026-11-28T00:00:00Z", "26-11-28", "2026-11-28 " };

	(void)state;
	for (size_t i = 0; i < NELEM(good); i++)
		if (!anx_date_valid(good[i]))
			fail_msg("refused %s", good[i]);
	for (size_t i = 0; i < NELEM(bad); i++)
		if (anx_date_valid(bad[i]))
			fail_msg("accepted %s", bad[i]);
	assert_false(anx_date_valid(NULL));
}

/* ---- filters ------------------------------------------------------------- */

/* A query as a NULL-terminated list of name, value pairs. */
static const char *
kv_get(void *ctx, const char *name)
{
	const char *const *kv = ctx;

	for (size_t i = 0; kv[i]; i += 2)
		if (strcmp(kv[i], name) == 0)
			return kv[i + 1];
	return NULL;
}

/* 1 if e has an error at path. */
static int
has_error(const struct anx_verrs *e, const char *path)
{
	for (size_t i = 0; i < e->n; i++)
		if (strcmp(e->items[i].path, path) == 0)
			return 1;
	return 0;
}

static void
test_eval_filters(void **state)
{
	struct anx_arena a;
	struct anx_eval_filter f;
	struct anx_verrs e;
	char enc[ANX_CURSOR_MAX + 1];
	const struct anx_cursor pos = { "2026-11-28T00:40:00.123456Z",
		"0927b502-5b11-4d9e-8331-1b211c6eef40" };

	(void)state;
	anx_arena_init(&a);
	assert_int_equal(anx_cursor_encode(&pos, enc), 0);
	{
		const char *q[] = { "status", "pending", "decision", "approval_required", "action",
			"  payments.send ", "agent", "billing bot", "rule", "", "from",
			"2026-11-01", "to", "2026-11-30", "after", enc, "unknown", "x", NULL };

		anx_verrs_init(&e);
		assert_int_equal(anx_eval_filter_parse(kv_get, q, &a, &f, &e), 0);
		assert_string_equal(f.v[ANX_EF_STATUS], "pending");
		assert_string_equal(f.v[ANX_EF_DECISION], "approval_required");
		assert_string_equal(f.v[ANX_EF_ACTION], "payments.send"); /* trimmed */
		assert_string_equal(f.v[ANX_EF_AGENT], "billing bot");
		assert_null(f.v[ANX_EF_RULE]); /* empty = not filtered */
		assert_string_equal(f.v[ANX_EF_FROM], "2026-11-01");
		assert_string_equal(f.v[ANX_EF_TO], "2026-11-30");
		assert_string_equal(f.v[ANX_EF_AFTER], enc);
	}
	{
		const char *q[] = { "status", "PENDING", "decision", "maybe", "action", "pay ments",
			"agent",
			"bad\x01"
			"agent",
			"from", "2026-02-30", "to", "tomorrow", "after", "bm9wZQ", NULL };

		anx_verrs_init(&e);
		assert_int_equal(anx_eval_filter_parse(kv_get, q, &a, &f, &e), 7);
		for (size_t i = 0; i < ANX_EF__N; i++)
			assert_null(f.v[i]);
		assert_true(has_error(&e, "status"));
		assert_true(has_error(&e, "decision"));
		assert_true(has_error(&e, "action"));
		assert_true(has_error(&e, "agent"));
		assert_true(has_error(&e, "from"));
		assert_true(has_error(&e, "to"));
		assert_true(has_error(&e, "after"));
	}
	{
		/* from after to: the error names "to", which is dropped. */
		const char *q[] = { "from", "2026-11-30", "to", "2026-11-01", NULL };

		anx_verrs_init(&e);
		assert_int_equal(anx_eval_filter_parse(kv_get, q, &a, &f, &e), 1);
		assert_true(has_error(&e, "to"));
		assert_non_null(f.v[ANX_EF_FROM]);
		assert_null(f.v[ANX_EF_TO]);
	}
	{
		/* Length limits. */
		char longer[200];
		const char *q[] = { "action", longer, NULL };

		memset(longer, 'a', sizeof(longer) - 1);
		longer[sizeof(longer) - 1] = '\0';
		anx_verrs_init(&e);
		assert_int_equal(anx_eval_filter_parse(kv_get, q, &a, &f, &e), 1);
		assert_true(has_error(&e, "action"));
	}
	anx_arena_free(&a);
}

static void
test_audit_filters(void **state)
{
	struct anx_arena a;
	struct anx_audit_filter f;
	struct anx_verrs e;

	(void)state;
	anx_arena_init(&a);
	{
		const char *q[] = { "type", "policy.published", "actor", "Owner@Example.test",
			"subject", "0927b502-5b11-4d9e-8331-1b211c6eef40", "from", "2026-11-28",
			"to", "2026-11-28", NULL };

		anx_verrs_init(&e);
		assert_int_equal(anx_audit_filter_parse(kv_get, q, &a, &f, &e), 0);
		assert_string_equal(f.v[ANX_AF_TYPE], "policy.published");
		assert_string_equal(f.v[ANX_AF_ACTOR], "Owner@Example.test");
		assert_string_equal(f.v[ANX_AF_FROM], f.v[ANX_AF_TO]);
	}
	{
		char enc[ANX_CURSOR_MAX + 1];
		const struct anx_cursor uuid_pos = { "2026-11-28T00:40:00.123456Z",
			"0927b502-5b11-4d9e-8331-1b211c6eef40" };
		const char *q[] = { "type", "policy published", "actor", "x\ny", "after", enc,
			NULL };

		/* An evaluation cursor is not an audit cursor (ids are bigints). */
		assert_int_equal(anx_cursor_encode(&uuid_pos, enc), 0);
		anx_verrs_init(&e);
		assert_int_equal(anx_audit_filter_parse(kv_get, q, &a, &f, &e), 3);
		assert_true(has_error(&e, "type"));
		assert_true(has_error(&e, "actor"));
		assert_true(has_error(&e, "after"));
	}
	anx_arena_free(&a);
}

/* ---- allowlist ----------------------------------------------------------- */

static const struct allow_case {
	const char *in, *norm; /* norm NULL: refused */
} allow_cases[] = {
	{ "hooks.example.com", "hooks.example.com" },
	{ "Hooks.Example.COM", "hooks.example.com" },
	{ "hooks.example.com.", "hooks.example.com" },
	{ "*.example.com", "*.example.com" },
	{ "hooks.example.com:8443", "hooks.example.com:8443" },
	{ "*.example.com:443", "*.example.com:443" },
	{ "localhost", "localhost" },
	{ "203.0.113.7", "203.0.113.7" },
	{ "[2001:db8::1]", "[2001:db8::1]" },
	{ "[2001:DB8::1]:8443", "[2001:db8::1]:8443" },
	{ "xn--bcher-kva.example", "xn--bcher-kva.example" },
	{ "*", NULL },
	{ "*.", NULL },
	{ "https://hooks.example.com", NULL },
	{ "hooks.example.com/path", NULL },
	{ "user@hooks.example.com", NULL },
	{ "hooks example.com", NULL },
	{ "-hooks.example.com", NULL },
	{ "hooks-.example.com", NULL },
	{ "hooks..example.com", NULL },
	{ "hooks_x.example.com", NULL },
	{ "exämple.com", NULL },
	{ "hooks.example.com:0", NULL },
	{ "hooks.example.com:65536", NULL },
	{ "hooks.example.com:", NULL },
	{ "hooks.example.com:+80", NULL },
	{ "999.1.1.1", NULL },
	{ "*.10.0.0", NULL },
	{ "[::1", NULL },
	{ "[nothex]", NULL },
	{ "a.*.example.com", NULL },
	{ "", NULL },
};

static void
test_allowlist_entries(void **state)
{
	char norm[300];

	(void)state;
	for (size_t i = 0; i < NELEM(allow_cases); i++) {
		const char *why =
			anx_allowlist_entry_problem(allow_cases[i].in, norm, sizeof(norm));

		if (allow_cases[i].norm == NULL && why == NULL)
			fail_msg("accepted %s as %s", allow_cases[i].in, norm);
		if (allow_cases[i].norm != NULL) {
			if (why != NULL)
				fail_msg("refused %s: %s", allow_cases[i].in, why);
			assert_string_equal(norm, allow_cases[i].norm);
		}
	}
}

static void
test_allowlist_parse(void **state)
{
	json_object *list;
	struct anx_verrs e;

	(void)state;
	anx_verrs_init(&e);
	assert_int_equal(anx_allowlist_parse("# our receivers\r\n hooks.example.com \n\n"
					     "HOOKS.example.com\n*.example.org:8443\n",
				 &list, &e),
		0);
	assert_int_equal(json_object_array_length(list), 2); /* duplicate dropped */
	assert_string_equal(
		json_object_get_string(json_object_array_get_idx(list, 1)), "*.example.org:8443");
	json_object_put(list);

	anx_verrs_init(&e);
	assert_int_equal(
		anx_allowlist_parse(
			"ok.example.com\nhttps://bad.example\nfine.example\n*\n", &list, &e),
		2);
	assert_int_equal(e.n, 2);
	assert_string_equal(e.items[0].path, "allowlist");
	assert_non_null(strstr(e.items[0].problem, "line 2"));
	assert_non_null(strstr(e.items[1].problem, "line 4"));
	json_object_put(list);

	/* More than ANX_ALLOWLIST_MAX entries. */
	{
		struct anx_buf b;

		anx_buf_init(&b, 0);
		for (int i = 0; i <= ANX_ALLOWLIST_MAX; i++)
			anx_buf_printf(&b, "h%d.example.com\n", i);
		anx_verrs_init(&e);
		assert_int_equal(anx_allowlist_parse(b.data, &list, &e), 1);
		json_object_put(list);
		anx_buf_free(&b);
	}
}

/* ---- the policy editor --------------------------------------------------- */

static void
test_policy_pretty(void **state)
{
	(void)state;
	for (size_t i = 0; i < anx_policy_ntemplates; i++) {
		json_object *doc = json_tokener_parse(anx_policy_templates[i].json), *again;
		char *text = anx_policy_pretty(doc);
		const char *d, *r;

		assert_non_null(text);
		/* The same document, in reading order, two-space indented. */
		again = json_tokener_parse(text);
		assert_non_null(again);
		assert_true(json_object_equal(doc, again));
		assert_int_equal(strncmp(text, "{\n  \"", 5), 0);
		d = strstr(text, "\"default\"");
		r = strstr(text, "\"rules\"");
		assert_non_null(d);
		assert_true(r == NULL || d < r);
		for (const char *l = text; (l = strchr(l, '\n')) != NULL; l++) {
			const char *end = strchr(l + 1, '\n');

			/* Lines stay readable; only long strings may run over. */
			if (end && end - l - 1 > 120)
				fail_msg("template %zu: a %td-column line", i, end - l - 1);
		}
		json_object_put(again);
		json_object_put(doc);
		free(text);
	}
}

static void
test_policy_draft(void **state)
{
	json_object *doc;
	struct anx_verrs e;
	int rules, line, col;

	(void)state;
	anx_text_position("ab\ncdé\nx", 7, &line, &col);
	assert_int_equal(line, 2);
	assert_int_equal(col, 4); /* é is one column */

	anx_verrs_init(&e);
	assert_int_equal(
		anx_policy_draft_parse("{\"default\": \"allow\", \"rules\": []}", &doc, &rules, &e),
		ANX_OK);
	assert_int_equal(rules, 0);
	json_object_put(doc);

	/* Not JSON: the position as line and column. */
	anx_verrs_init(&e);
	assert_int_equal(anx_policy_draft_parse("{\n  \"default\": allow\n}", &doc, &rules, &e),
		ANX_ERR_INVALID);
	assert_null(doc);
	assert_int_equal(e.n, 1);
	assert_non_null(strstr(e.items[0].problem, "line 2, column"));

	/* JSON, but not a valid policy: errors at their paths. */
	anx_verrs_init(&e);
	assert_int_equal(
		anx_policy_draft_parse("{\"default\": \"maybe\", \"rules\": [{\"name\": \"r\","
				       "\"effect\": \"allow\", \"bogus\": 1}]}",
			&doc, &rules, &e),
		ANX_ERR_VALIDATION);
	assert_true(has_error(&e, "default"));
	assert_true(has_error(&e, "rules[0].bogus"));

	anx_verrs_init(&e);
	assert_int_equal(anx_policy_draft_parse(" \n\t", &doc, &rules, &e), ANX_ERR_INVALID);
	assert_int_equal(e.n, 1);
}

/* ---- display times ------------------------------------------------------- */

static void
test_display_times(void **state)
{
	static const char *const keys[] = { "at", "bad", "none", NULL };
	json_object *o = json_object_new_object();

	(void)state;
	json_object_object_add(o, "at", json_object_new_string("2026-11-28T00:40:05.123456Z"));
	json_object_object_add(o, "bad", json_object_new_string("yesterday"));
	json_object_object_add(o, "none", NULL);
	anx_dl_add_display_one(o, keys);
	assert_string_equal(anx_json_get_str(o, "at_display"), "28 Nov 2026, 00:40:05 UTC");
	assert_null(anx_json_get_str(o, "bad_display"));
	assert_null(anx_json_get_str(o, "none_display"));
	json_object_put(o);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_diff_table),
		cmocka_unit_test(test_diff_line_numbers),
		cmocka_unit_test(test_diff_hunks),
		cmocka_unit_test(test_diff_limits),
		cmocka_unit_test(test_csv_fields),
		cmocka_unit_test(test_csv_record),
		cmocka_unit_test(test_cursor_roundtrip),
		cmocka_unit_test(test_cursor_invalid),
		cmocka_unit_test(test_dates),
		cmocka_unit_test(test_eval_filters),
		cmocka_unit_test(test_audit_filters),
		cmocka_unit_test(test_allowlist_entries),
		cmocka_unit_test(test_allowlist_parse),
		cmocka_unit_test(test_policy_pretty),
		cmocka_unit_test(test_policy_draft),
		cmocka_unit_test(test_display_times),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
