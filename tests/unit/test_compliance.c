/*
 * test_compliance.c - the pure parts of compliance reports (compliance.h):
 * CSV samples from a query result (RFC 4180 quoting, NULLs, spreadsheet
 * formulas neutralised) built with libpq's in-memory results; download
 * file names (only [a-z0-9.-], whatever the workspace is called);
 * period checks as a table; the Markdown summary (numbers present,
 * user-provided names escaped); the PDF (a real PDF, non-ASCII names
 * tolerated); and the ZIP, produced in memory and read back with libzip:
 * every file present, report.md and the CSVs byte for byte.
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
#include <zip.h>

#include "compliance.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* A PGresult with the given column names and rows (NULL = SQL NULL). */
static PGresult *
make_result(const char *const *cols, int ncols, const char *const *cells, int nrows)
{
	PGresult *res = PQmakeEmptyPGresult(NULL, PGRES_TUPLES_OK);
	PGresAttDesc attrs[16];

	assert_non_null(res);
	memset(attrs, 0, sizeof(attrs));
	for (int c = 0; c < ncols; c++) {
		attrs[c].name = (char *)cols[c];
		attrs[c].typid = 25; /* text */
		attrs[c].typlen = -1;
		attrs[c].atttypmod = -1;
	}
	assert_true(PQsetResultAttrs(res, ncols, attrs));
	for (int r = 0; r < nrows; r++)
		for (int c = 0; c < ncols; c++) {
			const char *v = cells[r * ncols + c];

			assert_true(PQsetvalue(res, r, c, (char *)v, v ? (int)strlen(v) : -1));
		}
	return res;
}

static void
test_csv(void **state)
{
	const char *cols[] = { "id", "action", "summary", "amount" };
	const char *cells[] = {
		"1",
		"payments.send",
		"plain",
		"12.50",
		"2",
		"=HYPERLINK(\"http://evil\")",
		"a, b",
		NULL,
		"3",
		"+SUM(A1)",
		"say \"hi\"\r\nbye",
		"-3",
		"4",
		"@cmd",
		"\ttab",
		"",
	};
	const char *want = "id,action,summary,amount\r\n"
			   "1,payments.send,plain,12.50\r\n"
			   "2,\"'=HYPERLINK(\"\"http://evil\"\")\",\"a, b\",\r\n"
			   "3,'+SUM(A1),\"say \"\"hi\"\"\r\nbye\",'-3\r\n"
			   "4,'@cmd,'\ttab,\r\n";
	PGresult *res = make_result(cols, 4, cells, 4);
	struct anx_buf b;
	long long rows = -1;

	(void)state;
	anx_buf_init(&b, 0);
	assert_int_equal(anx_compliance_csv(res, &b, &rows), 0);
	assert_int_equal(rows, 4);
	assert_string_equal(b.data, want);
	anx_buf_free(&b);
	PQclear(res);

	/* No rows: the header alone. */
	res = make_result(cols, 4, NULL, 0);
	anx_buf_init(&b, 0);
	assert_int_equal(anx_compliance_csv(res, &b, &rows), 0);
	assert_int_equal(rows, 0);
	assert_string_equal(b.data, "id,action,summary,amount\r\n");
	anx_buf_free(&b);
	PQclear(res);
}

static const struct {
	const char *ws, *from, *to;
	enum anx_export_kind kind;
	const char *want;
} names[] = {
	{ "Demo", "2026-11-01", "2026-11-28", ANX_EXPORT_ZIP,
		"agentnexus-compliance-demo-2026-11-01-to-2026-11-28.zip" },
	{ "Analytics demo", "2026-01-01", "2026-01-31", ANX_EXPORT_PDF,
		"agentnexus-compliance-analytics-demo-2026-01-01-to-2026-01-31.pdf" },
	{ "../../etc/passwd\"; rm -rf /", "2026-01-01", "2026-01-31", ANX_EXPORT_ZIP,
		"agentnexus-compliance-etc-passwd-rm-rf-2026-01-01-to-2026-01-31.zip" },
	{ "Équipe Paiements — Prod", "2026-01-01", "2026-01-31", ANX_EXPORT_ZIP,
		"agentnexus-compliance-quipe-paiements-prod-2026-01-01-to-2026-01-31.zip" },
	{ "日本語", "2026-01-01", "2026-01-31", ANX_EXPORT_PDF,
		"agentnexus-compliance-workspace-2026-01-01-to-2026-01-31.pdf" },
	{ "", "2026-01-01", "2026-01-31", ANX_EXPORT_PDF,
		"agentnexus-compliance-workspace-2026-01-01-to-2026-01-31.pdf" },
	{ "a\r\nContent-Type: text/html", "2026-01-01\r\n", "x\"y", ANX_EXPORT_ZIP,
		"agentnexus-compliance-a-content-type-text-html-2026-01-01-to-0000000000.zip" },
	{ "A very very very very very long workspace name that goes on", "2026-01-01", "2026-01-31",
		ANX_EXPORT_ZIP,
		"agentnexus-compliance-a-very-very-very-very-very-long-workspac-2026-01-01-to-2026-"
		"01-31.zip" },
};

static void
test_filename(void **state)
{
	char out[128], small[16];

	(void)state;
	for (size_t i = 0; i < NELEM(names); i++) {
		assert_int_equal(anx_compliance_filename(names[i].ws, names[i].from, names[i].to,
					 names[i].kind, out, sizeof(out)),
			0);
		assert_string_equal(out, names[i].want);
		/* Safe in a quoted Content-Disposition value and as a file name. */
		assert_int_equal(
			strspn(out, "abcdefghijklmnopqrstuvwxyz0123456789.-"), strlen(out));
	}
	assert_int_equal(anx_compliance_filename("Demo", "2026-11-01", "2026-11-28", ANX_EXPORT_ZIP,
				 small, sizeof(small)),
		-1);
}

static const struct {
	const char *from, *to;
	const char *field; /* NULL: accepted */
} periods[] = {
	{ "2026-11-01", "2026-11-28", NULL },
	{ "2026-11-28", "2026-11-28", NULL },
	{ "2025-11-28", "2026-11-28", NULL },   /* 366 days */
	{ "2024-02-29", "2024-03-01", NULL },   /* leap day */
	{ "2025-11-27", "2026-11-28", "from" }, /* 367 days */
	{ "2026-11-29", "2026-11-28", "from" }, /* reversed */
	{ "2026-11-01", "2026-11-29", "to" },   /* future */
	{ "2026-02-30", "2026-03-01", "from" },
	{ "2025-02-29", "2025-03-01", "from" },
	{ "2026-13-01", "2026-11-28", "from" },
	{ "26-11-01", "2026-11-28", "from" },
	{ "2026-11-01", "2026/11/28", "to" },
	{ "2026-11-01", "2026-11-28x", "to" },
	{ "", "2026-11-28", "from" },
	{ "2026-11-01", "", "to" },
	{ "1999-12-31", "2000-01-01", "from" },
	{ "2026-11-0a", "2026-11-28", "from" },
};

static void
test_period(void **state)
{
	(void)state;
	for (size_t i = 0; i < NELEM(periods); i++) {
		const char *field = NULL;
		const char *why = anx_compliance_period_problem(
			periods[i].from, periods[i].to, "2026-11-28", &field);

		if (periods[i].field == NULL) {
			assert_null(why);
		} else {
			assert_non_null(why);
			assert_string_equal(field, periods[i].field);
		}
	}
	assert_non_null(anx_compliance_period_problem(
		NULL, "2026-11-28", "2026-11-28", &(const char *){ NULL }));
}

static void
test_kind(void **state)
{
	enum anx_export_kind k;

	(void)state;
	assert_int_equal(anx_export_kind_parse("zip", &k), 0);
	assert_int_equal(k, ANX_EXPORT_ZIP);
	assert_int_equal(anx_export_kind_parse("pdf", &k), 0);
	assert_int_equal(k, ANX_EXPORT_PDF);
	assert_int_equal(anx_export_kind_parse("ZIP", &k), -1);
	assert_int_equal(anx_export_kind_parse(NULL, &k), -1);
	assert_string_equal(anx_export_kind_name(ANX_EXPORT_PDF), "pdf");
}

/* A report with every number distinct, and hostile text. */
static void
sample_report(struct anx_report *r)
{
	anx_report_init(r);
	r->kind = ANX_EXPORT_ZIP;
	snprintf(r->ws_id, sizeof(r->ws_id), "11111111-1111-4111-8111-111111111111");
	snprintf(r->ws_name, sizeof(r->ws_name), "Équipe *bold* [link](javascript:x) <b>|pipe|");
	snprintf(r->from, sizeof(r->from), "2026-11-01");
	snprintf(r->to, sizeof(r->to), "2026-11-28");
	snprintf(r->generated_at, sizeof(r->generated_at), "2026-11-28 10:00 UTC");
	snprintf(r->requested_by, sizeof(r->requested_by), "owner@example.test");
	snprintf(r->export_id, sizeof(r->export_id), "22222222-2222-4222-8222-222222222222");
	r->evaluations = 123457;
	r->allow = 100001;
	r->deny = 12345;
	r->approval_required = 11111;
	r->allowed = 100001;
	r->denied = 12345;
	r->approved = 7000;
	r->rejected = 3000;
	r->expired = 1000;
	r->pending = 111;
	r->approver_approvals = 7002;
	r->approver_rejections = 3003;
	r->ttd_median = 1500;
	r->ttd_p90 = 8280;
	r->ttd_flows = 10000;
	r->receipts = 4321;
	r->receipt_mismatches = 7;
	r->deliveries = 5432;
	r->delivered = 5400;
	r->dead = 30;
	r->deliveries_pending = 2;
	r->emails_sent = 6543;
	r->audit_events = 98765;
	r->policy_version = 12;
	r->policy_publishes = 3;
	r->members = 9;
	r->owners = 2;
	r->admins = 3;
	r->viewers = 4;
	r->keys_active = 5;
	r->nrules = 2;
	snprintf(r->rules[0].name, sizeof(r->rules[0].name), "no-secret-reads");
	r->rules[0].denied = 924;
	snprintf(r->rules[1].name, sizeof(r->rules[1].name), "rule_with|pipe");
	r->rules[1].rejected = 306;
	r->has_head = 1;
	r->head_seq = 98770;
	snprintf(r->head_hash, sizeof(r->head_hash), "%064d", 7);
	r->verify_done = 1;
	r->verified = 98770;
	for (int i = 0; i < ANX_CSV__N; i++) {
		anx_buf_printf(&r->csv[i], "id,name\r\n%d,\"x, y\"\r\n", i);
		r->csv_rows[i] = 1;
	}
}

static void
test_markdown(void **state)
{
	struct anx_report r;
	struct anx_buf b;

	(void)state;
	sample_report(&r);
	anx_buf_init(&b, 0);
	assert_int_equal(anx_report_markdown(&r, &b), 0);
	/* The key numbers, as people read them. */
	assert_non_null(strstr(b.data, "| All evaluations | 123,457 |"));
	assert_non_null(strstr(b.data, "| Denied by policy | 12,345 |"));
	assert_non_null(strstr(b.data, "Approval rate: **70 %**"));
	assert_non_null(strstr(b.data, "median **25 min**, 90th percentile **2.3 h**"));
	assert_non_null(strstr(b.data, "Chain head: seq 98770"));
	assert_non_null(strstr(b.data, "Verification: **OK**, 98,770 events checked"));
	assert_non_null(strstr(b.data, "| evaluations.csv |"));
	/* The workspace name cannot make a link, emphasis, HTML or a cell. */
	assert_non_null(
		strstr(b.data, "Équipe \\*bold\\* \\[link\\](javascript:x) \\<b\\>\\|pipe\\|"));
	assert_null(strstr(b.data, "<b>"));
	assert_non_null(strstr(b.data, "| rule\\_with\\|pipe | 0 | 306 |"));
	assert_non_null(strstr(b.data, "not** an audit attestation"));
	anx_buf_reset(&b);

	/* A broken chain says so. */
	r.broken = 1;
	snprintf(r.first_broken, sizeof(r.first_broken), "event id 5 (seq 5): hash mismatch");
	assert_int_equal(anx_report_markdown(&r, &b), 0);
	assert_non_null(
		strstr(b.data, "Verification: **BROKEN**: event id 5 (seq 5): hash mismatch"));
	anx_buf_reset(&b);
	assert_int_equal(anx_report_chain_txt(&r, &b), 0);
	assert_non_null(strstr(b.data, "head_seq: 98770\n"));
	assert_non_null(strstr(b.data, "verification: BROKEN\n"));
	assert_non_null(strstr(b.data, "first_broken: event id 5"));
	anx_buf_free(&b);
	anx_report_free(&r);
}

static void
test_pdf(void **state)
{
	struct anx_report r;
	struct anx_buf b;

	(void)state;
	sample_report(&r);
	/* Text the standard fonts cannot show becomes '?', not a failure. */
	snprintf(r.ws_name, sizeof(r.ws_name), "日本語 — “quoted” €");
	r.nrules = ANX_REPORT_TOP;
	anx_buf_init(&b, 0);
	assert_int_equal(anx_report_pdf(&r, &b), 0);
	assert_true(b.len > 1000);
	assert_memory_equal(b.data, "%PDF-1.", 7);
	assert_non_null(memmem(b.data, b.len, "%%EOF", 5));
	assert_non_null(memmem(b.data, b.len, "/Helvetica", 10));
	anx_buf_free(&b);
	anx_report_free(&r);
}

/* Reads name from the archive za into a new buffer. */
static void
read_entry(zip_t *za, const char *name, struct anx_buf *out)
{
	zip_stat_t st;
	zip_file_t *f;
	char chunk[4096];
	zip_int64_t n;

	assert_int_equal(zip_stat(za, name, 0, &st), 0);
	assert_non_null(f = zip_fopen(za, name, 0));
	while ((n = zip_fread(f, chunk, sizeof(chunk))) > 0)
		anx_buf_add(out, chunk, (size_t)n);
	assert_int_equal(n, 0);
	zip_fclose(f);
	assert_int_equal(out->len, st.size);
}

static void
test_zip(void **state)
{
	static const char *const files[] = { "report.md", "report.pdf", "chain_head.txt",
		"evaluations.csv", "approvals.csv", "audit_events.csv", "deliveries.csv" };
	struct anx_report r;
	struct anx_buf pdf, zipb, md, got;
	zip_source_t *src;
	zip_error_t ze;
	zip_t *za;

	(void)state;
	sample_report(&r);
	anx_buf_init(&pdf, 0);
	anx_buf_init(&zipb, 0);
	anx_buf_init(&md, 0);
	assert_int_equal(anx_report_pdf(&r, &pdf), 0);
	assert_int_equal(anx_report_zip(&r, pdf.data, pdf.len, &zipb), 0);
	assert_memory_equal(zipb.data, "PK\x03\x04", 4);

	zip_error_init(&ze);
	assert_non_null(src = zip_source_buffer_create(zipb.data, zipb.len, 0, &ze));
	za = zip_open_from_source(src, ZIP_RDONLY | ZIP_CHECKCONS, &ze);
	assert_non_null(za);
	assert_int_equal(zip_get_num_entries(za, 0), (zip_int64_t)NELEM(files));
	for (size_t i = 0; i < NELEM(files); i++)
		assert_true(zip_name_locate(za, files[i], 0) >= 0);

	assert_int_equal(anx_report_markdown(&r, &md), 0);
	anx_buf_init(&got, 0);
	read_entry(za, "report.md", &got);
	assert_int_equal(got.len, md.len);
	assert_memory_equal(got.data, md.data, md.len);
	anx_buf_reset(&got);
	read_entry(za, "report.pdf", &got);
	assert_int_equal(got.len, pdf.len);
	assert_memory_equal(got.data, pdf.data, pdf.len);
	anx_buf_reset(&got);
	read_entry(za, "audit_events.csv", &got);
	assert_int_equal(got.len, r.csv[ANX_CSV_AUDIT].len);
	assert_memory_equal(got.data, r.csv[ANX_CSV_AUDIT].data, got.len);
	anx_buf_reset(&got);
	read_entry(za, "chain_head.txt", &got);
	assert_non_null(memmem(got.data, got.len, "head_seq: 98770", 15));
	anx_buf_free(&got);
	zip_close(za);
	zip_error_fini(&ze);

	anx_buf_free(&pdf);
	anx_buf_free(&zipb);
	anx_buf_free(&md);
	anx_report_free(&r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_csv),
		cmocka_unit_test(test_filename),
		cmocka_unit_test(test_period),
		cmocka_unit_test(test_kind),
		cmocka_unit_test(test_markdown),
		cmocka_unit_test(test_pdf),
		cmocka_unit_test(test_zip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
