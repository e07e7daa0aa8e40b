/*
 * pdf_report.c - the compliance summary as PDF with libhpdf (Haru); see
 * compliance.h.
 *
 * The PDF uses the standard Helvetica fonts in WinAnsiEncoding, so every
 * viewer (and pdftotext) reads its text without embedded fonts. Text from
 * the database is UTF-8: it is converted to Windows-1252 here, and a
 * character that has no place in it prints as '?'.
 *
 * libhpdf reports errors through a callback; we record the first one and
 * check it once at the end (each call after a failure is harmless).
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <hpdf.h>

#include "compliance.h"
#include "svgchart.h"

#define PAGE_TOP    800.0
#define PAGE_BOTTOM 64.0
#define LEFT        56.0
#define RIGHT       539.0

struct pdf {
	HPDF_Doc doc;
	HPDF_Page page;
	HPDF_Font font, bold;
	double y;
	int pages;
	HPDF_STATUS error;
};

static void
on_error(HPDF_STATUS error_no, HPDF_STATUS detail_no, void *user_data)
{
	struct pdf *p = user_data;

	(void)detail_no;
	if (p->error == HPDF_OK)
		p->error = error_no;
}

/* UTF-8 -> Windows-1252 into out (outlen); '?' for what it cannot hold,
 * and control characters dropped. */
static const char *
winansi(const char *s, char *out, size_t outlen)
{
	static const struct {
		unsigned cp;
		unsigned char b;
	} extra[] = { { 0x20AC, 0x80 }, { 0x2026, 0x85 }, { 0x2018, 0x91 }, { 0x2019, 0x92 },
		{ 0x201C, 0x93 }, { 0x201D, 0x94 }, { 0x2022, 0x95 }, { 0x2013, 0x96 },
		{ 0x2014, 0x97 }, { 0x2122, 0x99 } };
	size_t k = 0;

	for (const unsigned char *u = (const unsigned char *)(s ? s : ""); *u && k + 1 < outlen;) {
		unsigned cp, n = 0;

		if (*u < 0x80) {
			cp = *u;
			n = 1;
		} else if ((*u & 0xE0) == 0xC0 && (u[1] & 0xC0) == 0x80) {
			cp = ((unsigned)(*u & 0x1F) << 6) | (u[1] & 0x3F);
			n = 2;
		} else if ((*u & 0xF0) == 0xE0 && (u[1] & 0xC0) == 0x80 && (u[2] & 0xC0) == 0x80) {
			cp = ((unsigned)(*u & 0x0F) << 12) | ((unsigned)(u[1] & 0x3F) << 6) |
			     (u[2] & 0x3F);
			n = 3;
		} else if ((*u & 0xF8) == 0xF0 && (u[1] & 0xC0) == 0x80 && (u[2] & 0xC0) == 0x80 &&
			   (u[3] & 0xC0) == 0x80) {
			cp = 0x10000;
			n = 4;
		} else {
			cp = '?';
			n = 1;
		}
		u += n;
		if (cp < 0x20 || cp == 0x7F)
			continue;
		if (cp < 0x80 || (cp >= 0xA0 && cp <= 0xFF)) {
			out[k++] = (char)cp;
			continue;
		}
		out[k] = '?';
		for (size_t i = 0; i < sizeof(extra) / sizeof(extra[0]); i++)
			if (extra[i].cp == cp)
				out[k] = (char)extra[i].b;
		k++;
	}
	out[k] = '\0';
	return out;
}

static void
footer(struct pdf *p)
{
	char s[96];

	snprintf(s, sizeof(s), "Page %d", p->pages);
	HPDF_Page_SetRGBFill(p->page, 0.45, 0.48, 0.53);
	HPDF_Page_BeginText(p->page);
	HPDF_Page_SetFontAndSize(p->page, p->font, 8);
	HPDF_Page_TextOut(p->page, LEFT, 36,
		"AgentNexus compliance summary - a product aid, not an audit attestation");
	HPDF_Page_TextOut(p->page, RIGHT - HPDF_Page_TextWidth(p->page, s), 36, s);
	HPDF_Page_EndText(p->page);
	HPDF_Page_SetRGBFill(p->page, 0.08, 0.09, 0.12);
}

static void
new_page(struct pdf *p)
{
	p->page = HPDF_AddPage(p->doc);
	HPDF_Page_SetSize(p->page, HPDF_PAGE_SIZE_A4, HPDF_PAGE_PORTRAIT);
	p->pages++;
	p->y = PAGE_TOP;
	footer(p);
}

/* Makes room for h points, starting a new page if needed. */
static void
need(struct pdf *p, double h)
{
	if (p->y - h < PAGE_BOTTOM)
		new_page(p);
}

static void
text_at(struct pdf *p, HPDF_Font f, double size, double x, const char *utf8)
{
	char s[1024];

	HPDF_Page_BeginText(p->page);
	HPDF_Page_SetFontAndSize(p->page, f, (HPDF_REAL)size);
	HPDF_Page_TextOut(p->page, (HPDF_REAL)x, (HPDF_REAL)p->y, winansi(utf8, s, sizeof(s)));
	HPDF_Page_EndText(p->page);
}

static void
heading(struct pdf *p, const char *title)
{
	need(p, 40);
	p->y -= 22;
	text_at(p, p->bold, 13, LEFT, title);
	p->y -= 6;
	HPDF_Page_SetRGBStroke(p->page, 0.89, 0.90, 0.93);
	HPDF_Page_SetLineWidth(p->page, 0.8);
	HPDF_Page_MoveTo(p->page, LEFT, (HPDF_REAL)p->y);
	HPDF_Page_LineTo(p->page, RIGHT, (HPDF_REAL)p->y);
	HPDF_Page_Stroke(p->page);
	p->y -= 4;
}

/* "label ........ value", the value right-aligned. */
static void
row(struct pdf *p, const char *label, const char *value)
{
	char s[256];
	double w;

	need(p, 16);
	p->y -= 15;
	text_at(p, p->font, 10, LEFT + 6, label);
	HPDF_Page_BeginText(p->page);
	HPDF_Page_SetFontAndSize(p->page, p->bold, 10);
	winansi(value, s, sizeof(s));
	w = HPDF_Page_TextWidth(p->page, s);
	HPDF_Page_TextOut(p->page, (HPDF_REAL)(RIGHT - w), (HPDF_REAL)p->y, s);
	HPDF_Page_EndText(p->page);
}

/* A paragraph wrapped to the page width. */
static void
para(struct pdf *p, HPDF_Font f, double size, const char *utf8)
{
	char s[2048], line[2048];
	const char *w = winansi(utf8, s, sizeof(s));

	while (*w) {
		size_t n = 0, fit = 0;

		HPDF_Page_SetFontAndSize(p->page, f, (HPDF_REAL)size);
		/* The longest prefix that fits, cut at a blank. */
		while (w[n]) {
			memcpy(line, w, n + 1);
			line[n + 1] = '\0';
			if (HPDF_Page_TextWidth(p->page, line) > RIGHT - LEFT - 6)
				break;
			n++;
			if (w[n] == ' ' || w[n] == '\0')
				fit = n;
		}
		if (fit == 0)
			fit = n ? n : 1;
		memcpy(line, w, fit);
		line[fit] = '\0';
		need(p, size + 4);
		p->y -= size + 4;
		HPDF_Page_BeginText(p->page);
		HPDF_Page_SetFontAndSize(p->page, f, (HPDF_REAL)size);
		HPDF_Page_TextOut(p->page, LEFT + 6, (HPDF_REAL)p->y, line);
		HPDF_Page_EndText(p->page);
		w += fit;
		while (*w == ' ')
			w++;
	}
}

static const char *
num(char *buf, size_t n, long long v)
{
	return anx_chart_fmt(buf, n, ANX_FMT_COUNT, (double)v);
}

int
anx_report_pdf(const struct anx_report *r, struct anx_buf *out)
{
	struct pdf p;
	char a[64], b2[64], c[64], d[64], line[600];
	HPDF_UINT32 size;
	unsigned char chunk[8192];
	size_t start = out->len;
	int rc = -1;

	memset(&p, 0, sizeof(p));
	if ((p.doc = HPDF_New(on_error, &p)) == NULL)
		return -1;
	HPDF_SetCompressionMode(p.doc, HPDF_COMP_ALL);
	HPDF_SetInfoAttr(p.doc, HPDF_INFO_TITLE, "AgentNexus compliance summary");
	HPDF_SetInfoAttr(p.doc, HPDF_INFO_CREATOR, "AgentNexus");
	p.font = HPDF_GetFont(p.doc, "Helvetica", "WinAnsiEncoding");
	p.bold = HPDF_GetFont(p.doc, "Helvetica-Bold", "WinAnsiEncoding");
	new_page(&p);

	text_at(&p, p.bold, 20, LEFT, "Compliance summary");
	p.y -= 20;
	text_at(&p, p.bold, 13, LEFT, r->ws_name);
	p.y -= 8;
	snprintf(line, sizeof(line), "Workspace %s", r->ws_id);
	para(&p, p.font, 9, line);
	snprintf(line, sizeof(line), "Period %s to %s (UTC days, both included). Generated %s%s%s.",
		r->from, r->to, r->generated_at, r->requested_by[0] ? " for " : "",
		r->requested_by);
	para(&p, p.font, 9, line);
	p.y -= 4;
	para(&p, p.font, 8.5,
		"A product aid for security and compliance reviews, produced from AgentNexus's own "
		"records. It is not an audit attestation.");

	heading(&p, "Decisions");
	row(&p, "All evaluations", num(a, sizeof(a), r->evaluations));
	row(&p, "Allowed by policy", num(a, sizeof(a), r->allow));
	row(&p, "Denied by policy", num(a, sizeof(a), r->deny));
	row(&p, "Sent for approval", num(a, sizeof(a), r->approval_required));
	row(&p, "   approved", num(a, sizeof(a), r->approved));
	row(&p, "   rejected", num(a, sizeof(a), r->rejected));
	row(&p, "   expired without a decision", num(a, sizeof(a), r->expired));
	row(&p, "   still pending", num(a, sizeof(a), r->pending));

	heading(&p, "Approvals");
	if (r->approved + r->rejected > 0)
		anx_chart_fmt(a, sizeof(a), ANX_FMT_PERCENT,
			100.0 * (double)r->approved / (double)(r->approved + r->rejected));
	else
		snprintf(a, sizeof(a), "none decided");
	row(&p, "Approval rate (approved / (approved + rejected))", a);
	row(&p, "Median time to decision",
		r->ttd_flows ? anx_chart_fmt(a, sizeof(a), ANX_FMT_DURATION, r->ttd_median) : "-");
	row(&p, "90th percentile time to decision",
		r->ttd_flows ? anx_chart_fmt(a, sizeof(a), ANX_FMT_DURATION, r->ttd_p90) : "-");
	row(&p, "Decided requests", num(a, sizeof(a), r->ttd_flows));
	row(&p, "Approvals by people", num(a, sizeof(a), r->approver_approvals));
	row(&p, "Rejections by people", num(a, sizeof(a), r->approver_rejections));

	heading(&p, "Rules behind denials and rejections");
	if (r->nrules == 0)
		para(&p, p.font, 10, "Nothing was denied or rejected in this period.");
	for (size_t i = 0; i < r->nrules; i++) {
		snprintf(line, sizeof(line), "%s",
			r->rules[i].name[0] ? r->rules[i].name : "(policy default)");
		snprintf(c, sizeof(c), "%s denied, %s rejected",
			num(a, sizeof(a), r->rules[i].denied),
			num(b2, sizeof(b2), r->rules[i].rejected));
		row(&p, line, c);
	}

	heading(&p, "Receipts, webhooks and email");
	row(&p, "Receipts posted by agents", num(a, sizeof(a), r->receipts));
	row(&p, "Receipts whose action hash did not match",
		num(a, sizeof(a), r->receipt_mismatches));
	row(&p, "Webhook deliveries", num(a, sizeof(a), r->deliveries));
	row(&p, "   delivered", num(a, sizeof(a), r->delivered));
	row(&p, "   failed for good", num(a, sizeof(a), r->dead));
	row(&p, "   still being retried", num(a, sizeof(a), r->deliveries_pending));
	row(&p, "Emails sent", num(a, sizeof(a), r->emails_sent));
	row(&p, "Emails that could not be delivered", num(a, sizeof(a), r->emails_dead));

	heading(&p, "Policy and access");
	if (r->policy_version > 0)
		snprintf(a, sizeof(a), "version %lld", r->policy_version);
	else
		snprintf(a, sizeof(a), "none");
	row(&p, "Current policy", a);
	row(&p, "Policy versions published in the period", num(a, sizeof(a), r->policy_publishes));
	snprintf(line, sizeof(line), "%s (%s owners, %s admins, %s viewers)",
		num(a, sizeof(a), r->members), num(b2, sizeof(b2), r->owners),
		num(c, sizeof(c), r->admins), num(d, sizeof(d), r->viewers));
	row(&p, "Members now", line);
	row(&p, "Active API keys now", num(a, sizeof(a), r->keys_active));

	heading(&p, "Audit log and its hash chain");
	row(&p, "Audit events in the period", num(a, sizeof(a), r->audit_events));
	if (r->has_head) {
		snprintf(a, sizeof(a), "seq %lld", r->head_seq);
		row(&p, "Chain head", a);
		snprintf(line, sizeof(line), "Head hash %s", r->head_hash);
		para(&p, p.font, 8.5, line);
	} else
		row(&p, "Chain head", "no event sealed yet");
	row(&p, "Verification", !r->verify_done ? "not completed" : r->broken ? "BROKEN" : "OK");
	row(&p, "Events verified", num(a, sizeof(a), r->verified));
	row(&p, "Events waiting to be sealed", num(a, sizeof(a), r->unsealed));
	if (r->broken)
		para(&p, p.font, 9, r->first_broken);

	if (r->kind == ANX_EXPORT_ZIP) {
		heading(&p, "Samples in the ZIP");
		for (int i = 0; i < ANX_CSV__N; i++) {
			snprintf(line, sizeof(line), "%s (newest of the period)",
				anx_report_csv_names[i]);
			snprintf(a, sizeof(a), "%lld rows", r->csv_rows[i]);
			row(&p, line, a);
		}
	}

	if (p.error != HPDF_OK || HPDF_SaveToStream(p.doc) != HPDF_OK)
		goto out;
	size = HPDF_GetStreamSize(p.doc);
	if (size == 0 || size > ANX_EXPORT_MAX_BYTES)
		goto out;
	HPDF_ResetStream(p.doc);
	for (;;) {
		HPDF_UINT32 n = sizeof(chunk);
		HPDF_STATUS st = HPDF_ReadFromStream(p.doc, chunk, &n);

		if (n > 0)
			anx_buf_add(out, chunk, n);
		if (st == HPDF_STREAM_EOF)
			break;
		if (st != HPDF_OK)
			goto out;
	}
	rc = anx_buf_failed(out) || out->len - start != size ? -1 : 0;
out:
	HPDF_Free(p.doc);
	return rc;
}
