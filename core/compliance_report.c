/*
 * compliance_report.c - the pure parts of compliance reports: the
 * Markdown summary, chain_head.txt, CSV samples from query results, the
 * download file name and the period check; see compliance.h.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "compliance.h"
#include "csv.h"
#include "svgchart.h"

const char *const anx_report_csv_names[ANX_CSV__N] = {
	"evaluations.csv",  /* ANX_CSV_EVALUATIONS */
	"approvals.csv",    /* ANX_CSV_APPROVALS */
	"audit_events.csv", /* ANX_CSV_AUDIT */
	"deliveries.csv",   /* ANX_CSV_DELIVERIES */
};

static const char *const kind_names[] = {
	"zip", /* ANX_EXPORT_ZIP */
	"pdf", /* ANX_EXPORT_PDF */
};

const char *
anx_export_kind_name(enum anx_export_kind k)
{
	return (unsigned)k < 2 ? kind_names[k] : "zip";
}

int
anx_export_kind_parse(const char *s, enum anx_export_kind *out)
{
	for (unsigned i = 0; s != NULL && i < 2; i++)
		if (strcmp(s, kind_names[i]) == 0) {
			*out = (enum anx_export_kind)i;
			return 0;
		}
	return -1;
}

void
anx_report_init(struct anx_report *r)
{
	memset(r, 0, sizeof(*r));
	r->ttd_median = r->ttd_p90 = NAN;
	for (int i = 0; i < ANX_CSV__N; i++)
		anx_buf_init(&r->csv[i], 16 * 1024 * 1024);
}

void
anx_report_free(struct anx_report *r)
{
	for (int i = 0; i < ANX_CSV__N; i++)
		anx_buf_free(&r->csv[i]);
}

/* ---- numbers and escaping ----------------------------------------------- */

static const char *
num(char *buf, size_t n, long long v)
{
	return anx_chart_fmt(buf, n, ANX_FMT_COUNT, (double)v);
}

/* Appends s as Markdown inline text: the characters that could start a
 * link, emphasis, code, HTML or a table cell are escaped, line breaks
 * become blanks. */
static void
md_text(struct anx_buf *b, const char *s)
{
	for (; s && *s; s++) {
		if (*s == '\r' || *s == '\n') {
			anx_buf_putc(b, ' ');
			continue;
		}
		if (strchr("\\`*_[]<>|#!&", *s))
			anx_buf_putc(b, '\\');
		anx_buf_putc(b, *s);
	}
}

static void
md_row(struct anx_buf *b, const char *label, const char *value)
{
	anx_buf_printf(b, "| %s | %s |\n", label, value);
}

/* ---- report.md ------------------------------------------------------------ */

int
anx_report_markdown(const struct anx_report *r, struct anx_buf *b)
{
	char n1[48], n2[48], n3[48], n4[48];
	const double decided = (double)(r->approved + r->rejected);

	anx_buf_puts(b, "# Compliance summary: ");
	md_text(b, r->ws_name);
	anx_buf_puts(b, "\n\n| | |\n|---|---|\n| Workspace | ");
	md_text(b, r->ws_name);
	anx_buf_printf(b, " (`%s`) |\n", r->ws_id);
	anx_buf_printf(b, "| Period | %s to %s (UTC days, both included) |\n", r->from, r->to);
	anx_buf_printf(b, "| Generated | %s |\n", r->generated_at);
	if (r->requested_by[0]) {
		anx_buf_puts(b, "| Requested by | ");
		md_text(b, r->requested_by);
		anx_buf_puts(b, " |\n");
	}
	if (r->export_id[0])
		anx_buf_printf(b, "| Export | `%s` |\n", r->export_id);
	anx_buf_puts(b,
		"\n> This summary is a product aid for security and compliance reviews. It is "
		"produced by AgentNexus from its own records and is **not** an audit "
		"attestation: a formal control matrix, evidence collection and an auditor are "
		"still needed.\n\n");

	anx_buf_puts(b, "## Decisions\n\n| | Evaluations |\n|---|---:|\n");
	md_row(b, "All evaluations", num(n1, sizeof(n1), r->evaluations));
	md_row(b, "Allowed by policy", num(n1, sizeof(n1), r->allow));
	md_row(b, "Denied by policy", num(n1, sizeof(n1), r->deny));
	md_row(b, "Sent for approval", num(n1, sizeof(n1), r->approval_required));
	md_row(b, "… approved", num(n1, sizeof(n1), r->approved));
	md_row(b, "… rejected", num(n1, sizeof(n1), r->rejected));
	md_row(b, "… expired without a decision", num(n1, sizeof(n1), r->expired));
	md_row(b, "… still pending", num(n1, sizeof(n1), r->pending));

	anx_buf_puts(b, "\n## Approvals\n\n");
	if (decided > 0)
		anx_buf_printf(b, "- Approval rate: **%s** (approved ÷ (approved + rejected))\n",
			anx_chart_fmt(n1, sizeof(n1), ANX_FMT_PERCENT,
				100.0 * (double)r->approved / decided));
	else
		anx_buf_puts(b, "- Approval rate: no request was approved or rejected\n");
	if (r->ttd_flows > 0)
		anx_buf_printf(b,
			"- Time to decision: median **%s**, 90th percentile **%s**, over %s "
			"decided requests\n",
			anx_chart_fmt(n1, sizeof(n1), ANX_FMT_DURATION, r->ttd_median),
			anx_chart_fmt(n2, sizeof(n2), ANX_FMT_DURATION, r->ttd_p90),
			num(n3, sizeof(n3), r->ttd_flows));
	else
		anx_buf_puts(b, "- Time to decision: no request was decided\n");
	anx_buf_printf(b, "- Decisions by approvers: %s approvals, %s rejections\n",
		num(n1, sizeof(n1), r->approver_approvals),
		num(n2, sizeof(n2), r->approver_rejections));

	anx_buf_puts(b, "\n## Rules behind denials and rejections\n\n");
	if (r->nrules == 0)
		anx_buf_puts(b, "Nothing was denied or rejected in this period.\n");
	else {
		anx_buf_puts(b, "| Rule | Denied | Rejected |\n|---|---:|---:|\n");
		for (size_t i = 0; i < r->nrules; i++) {
			anx_buf_puts(b, "| ");
			if (r->rules[i].name[0])
				md_text(b, r->rules[i].name);
			else
				anx_buf_puts(b, "(policy default)");
			anx_buf_printf(b, " | %s | %s |\n", num(n1, sizeof(n1), r->rules[i].denied),
				num(n2, sizeof(n2), r->rules[i].rejected));
		}
	}

	anx_buf_puts(b, "\n## Receipts, webhooks and email\n\n| | |\n|---|---:|\n");
	md_row(b, "Receipts posted by agents", num(n1, sizeof(n1), r->receipts));
	md_row(b, "… whose action hash did not match the approved one",
		num(n1, sizeof(n1), r->receipt_mismatches));
	md_row(b, "Webhook deliveries", num(n1, sizeof(n1), r->deliveries));
	md_row(b, "… delivered", num(n1, sizeof(n1), r->delivered));
	md_row(b, "… failed for good (dead)", num(n1, sizeof(n1), r->dead));
	md_row(b, "… still being retried", num(n1, sizeof(n1), r->deliveries_pending));
	md_row(b, "Emails sent", num(n1, sizeof(n1), r->emails_sent));
	md_row(b, "Emails that could not be delivered", num(n1, sizeof(n1), r->emails_dead));

	anx_buf_puts(b, "\n## Policy and access\n\n");
	if (r->policy_version > 0)
		anx_buf_printf(b, "- Current policy: version %lld\n", r->policy_version);
	else
		anx_buf_puts(b, "- Current policy: none published\n");
	anx_buf_printf(b, "- Policy versions published in the period: %s\n",
		num(n1, sizeof(n1), r->policy_publishes));
	anx_buf_printf(b, "- Members now: %s (%s owners, %s admins, %s viewers)\n",
		num(n1, sizeof(n1), r->members), num(n2, sizeof(n2), r->owners),
		num(n3, sizeof(n3), r->admins), num(n4, sizeof(n4), r->viewers));
	anx_buf_printf(b, "- Active API keys now: %s\n", num(n1, sizeof(n1), r->keys_active));

	anx_buf_puts(b, "\n## Audit log and its hash chain\n\n");
	anx_buf_printf(
		b, "- Audit events in the period: %s\n", num(n1, sizeof(n1), r->audit_events));
	if (r->has_head)
		anx_buf_printf(b, "- Chain head: seq %lld, hash `%s`\n", r->head_seq, r->head_hash);
	else
		anx_buf_puts(b, "- Chain head: no event sealed yet\n");
	if (!r->verify_done)
		anx_buf_puts(b, "- Verification: **not completed**\n");
	else if (r->broken) {
		anx_buf_puts(b, "- Verification: **BROKEN**: ");
		md_text(b, r->first_broken);
		anx_buf_puts(b, "\n");
	} else
		anx_buf_printf(b,
			"- Verification: **OK**, %s events checked%s%s (%s waiting to be sealed)\n",
			num(n1, sizeof(n1), r->verified),
			r->has_anchor ? " from the retention anchor at seq " : "",
			r->has_anchor ? num(n2, sizeof(n2), r->anchor_seq) : "",
			num(n3, sizeof(n3), r->unsealed));

	if (r->kind == ANX_EXPORT_ZIP) {
		anx_buf_puts(b, "\n## Files in this export\n\n| File | Contents | Rows "
				"|\n|---|---|---:|\n");
		anx_buf_puts(b, "| report.md | this summary | |\n");
		anx_buf_puts(b, "| report.pdf | the same summary as PDF | |\n");
		anx_buf_puts(b, "| chain_head.txt | the audit chain head and the verification "
				"result | |\n");
		for (int i = 0; i < ANX_CSV__N; i++)
			anx_buf_printf(b,
				"| %s | the newest rows of the period (at most %d) | %s |\n",
				anx_report_csv_names[i], ANX_EXPORT_SAMPLE_ROWS,
				num(n1, sizeof(n1), r->csv_rows[i]));
		anx_buf_puts(b,
			"\nCSV files are UTF-8 (RFC 4180). Cells that a spreadsheet would run as a "
			"formula start with an apostrophe. Times are UTC (RFC 3339).\n");
	}
	return anx_buf_failed(b) ? -1 : 0;
}

/* ---- chain_head.txt ------------------------------------------------------- */

int
anx_report_chain_txt(const struct anx_report *r, struct anx_buf *b)
{
	anx_buf_puts(b, "AgentNexus audit chain\n");
	anx_buf_printf(b, "workspace_id: %s\n", r->ws_id);
	anx_buf_printf(b, "generated_at: %s\n", r->generated_at);
	if (r->has_head) {
		anx_buf_printf(b, "head_seq: %lld\n", r->head_seq);
		anx_buf_printf(b, "head_hash: %s\n", r->head_hash);
	} else
		anx_buf_puts(b, "head_seq: none\nhead_hash: none\n");
	if (r->has_anchor)
		anx_buf_printf(b, "anchor_seq: %lld (events before it were purged by retention)\n",
			r->anchor_seq);
	anx_buf_printf(b, "verification: %s\n",
		!r->verify_done ? "not completed"
		: r->broken     ? "BROKEN"
				: "ok");
	anx_buf_printf(b, "verified_events: %lld\n", r->verified);
	anx_buf_printf(b, "unsealed_events: %lld\n", r->unsealed);
	if (r->broken)
		anx_buf_printf(b, "first_broken: %s\n", r->first_broken);
	anx_buf_printf(b,
		"\nhash = SHA-256(prev_hash || RFC 8785 canonical event); check it again with:\n"
		"  agentnexus-cron verify-audit --workspace %s\n",
		r->ws_id);
	return anx_buf_failed(b) ? -1 : 0;
}

/* ---- CSV, file names, periods --------------------------------------------- */

int
anx_compliance_csv(const PGresult *res, struct anx_buf *out, long long *rows)
{
	const char *v[64];
	int nf = PQnfields(res);

	*rows = 0;
	if (nf < 1 || nf > 64)
		return -1;
	for (int c = 0; c < nf; c++)
		v[c] = PQfname(res, c);
	anx_csv_record(out, v, (size_t)nf);
	for (int r = 0; r < PQntuples(res); r++) {
		for (int c = 0; c < nf; c++)
			v[c] = PQgetisnull(res, r, c) ? NULL : PQgetvalue(res, r, c);
		anx_csv_record(out, v, (size_t)nf);
		(*rows)++;
	}
	return anx_buf_failed(out) ? -1 : 0;
}

int
anx_compliance_filename(const char *ws_name, const char *from, const char *to,
	enum anx_export_kind kind, char *out, size_t outlen)
{
	char slug[41], day_from[11], day_to[11];
	size_t k = 0;
	int n, dash = 0;

	for (const char *s = ws_name ? ws_name : ""; *s && k < sizeof(slug) - 1; s++) {
		char c = *s;

		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
			if (dash && k > 0)
				slug[k++] = '-';
			if (k < sizeof(slug) - 1)
				slug[k++] = c;
			dash = 0;
		} else
			dash = 1;
	}
	while (k > 0 && slug[k - 1] == '-')
		k--;
	slug[k] = '\0';
	/* The dates only contribute digits and dashes. */
	for (size_t i = 0; i < 10; i++) {
		day_from[i] = from && strlen(from) >= 10 && strchr("0123456789-", from[i]) ? from[i]
											   : '0';
		day_to[i] = to && strlen(to) >= 10 && strchr("0123456789-", to[i]) ? to[i] : '0';
	}
	day_from[10] = day_to[10] = '\0';
	n = snprintf(out, outlen, "agentnexus-compliance-%s-%s-to-%s.%s", k ? slug : "workspace",
		day_from, day_to, anx_export_kind_name(kind));
	return n < 0 || (size_t)n >= outlen ? -1 : 0;
}

/* Parses a strict YYYY-MM-DD into t (UTC midnight); -1 if not a date. */
static int
parse_day(const char *s, time_t *t)
{
	struct tm tm;
	int y, m, d;

	if (s == NULL || strlen(s) != 10 || s[4] != '-' || s[7] != '-')
		return -1;
	for (int i = 0; i < 10; i++)
		if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
			return -1;
	y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
	m = (s[5] - '0') * 10 + (s[6] - '0');
	d = (s[8] - '0') * 10 + (s[9] - '0');
	if (y < 2000 || y > 9999 || m < 1 || m > 12 || d < 1 || d > 31)
		return -1;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = m - 1;
	tm.tm_mday = d;
	*t = timegm(&tm);
	/* 31 Feb normalises to another day: not a date. */
	gmtime_r(t, &tm);
	return tm.tm_mday == d && tm.tm_mon == m - 1 ? 0 : -1;
}

const char *
anx_compliance_period_problem(
	const char *from, const char *to, const char *today, const char **field)
{
	time_t a, b, now;

	*field = "from";
	if (parse_day(from, &a) != 0)
		return "Enter the first day as a date (YYYY-MM-DD).";
	*field = "to";
	if (parse_day(to, &b) != 0)
		return "Enter the last day as a date (YYYY-MM-DD).";
	if (parse_day(today, &now) == 0 && b > now)
		return "The last day cannot be in the future.";
	*field = "from";
	if (a > b)
		return "The first day must not be after the last day.";
	if ((b - a) / 86400 + 1 > ANX_EXPORT_MAX_DAYS)
		return "A report covers at most 366 days. Choose a shorter period.";
	return NULL;
}
