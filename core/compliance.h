/*
 * compliance.h - compliance reports: a ZIP (report.md, report.pdf, CSV
 * samples of evaluations, approvals, audit events and webhook deliveries,
 * chain_head.txt) or the PDF alone, for one workspace and period.
 *
 * A report is a job (sql/0008_compliance_exports.sql): the dashboard
 * queues it (anx_compliance_request) and polls its progress; `agentnexus-
 * cron deliver` runs it (anx_compliance_run_next), never a FastCGI
 * request, so a long export blocks nobody. The finished file is stored in
 * the job's row and downloaded from there for ANX_EXPORT_KEEP_DAYS days.
 *
 * Audit events: compliance.export_requested (the requester),
 * compliance.exported (system, when the file is ready: kind, period,
 * bytes, SHA-256), compliance.downloaded (each download).
 *
 * The report is a product aid: it says so on its first page and in the
 * Markdown. It is not an audit attestation.
 *
 * Rendering (compliance_report.c, pdf_report.c, zip_report.c) is pure:
 * it takes a filled struct anx_report and writes bytes, so the tests
 * drive it without a database.
 */
#ifndef ANX_COMPLIANCE_H
#define ANX_COMPLIANCE_H

#include <stddef.h>

#include <json-c/json.h>
#include <libpq-fe.h>

#include "buf.h"
#include "db.h"

#define ANX_EXPORT_SAMPLE_ROWS  1000 /* newest rows per CSV sample */
#define ANX_EXPORT_MAX_DAYS     366  /* longest period */
#define ANX_EXPORT_KEEP_DAYS    7    /* files are deleted after */
#define ANX_EXPORT_MAX_ATTEMPTS 3    /* a job whose worker died is retried */
#define ANX_EXPORT_MAX_BYTES    (32 * 1024 * 1024)
#define ANX_REPORT_TOP          5 /* rules listed in the summary */

enum anx_export_kind {
	ANX_EXPORT_ZIP, /* zip */
	ANX_EXPORT_PDF  /* pdf */
};

/* The CSV samples, in this order (file names in anx_report_csv_names). */
enum anx_report_csv {
	ANX_CSV_EVALUATIONS, /* evaluations.csv */
	ANX_CSV_APPROVALS,   /* approvals.csv */
	ANX_CSV_AUDIT,       /* audit_events.csv */
	ANX_CSV_DELIVERIES,  /* deliveries.csv */
	ANX_CSV__N
};
extern const char *const anx_report_csv_names[ANX_CSV__N];

struct anx_report_rule {
	char name[200]; /* "" = the policy's default */
	long long denied, rejected;
};

/* Everything a report says. Counts cover the period [from, to] (UTC days,
 * inclusive) unless noted. Strings are UTF-8 from the database. */
struct anx_report {
	enum anx_export_kind kind;
	char ws_id[37];
	char ws_name[404];
	char from[11], to[11];  /* YYYY-MM-DD */
	char generated_at[32];  /* "2026-11-28 10:00 UTC" */
	char requested_by[256]; /* email, or "" */
	char export_id[37];

	long long evaluations, allow, deny, approval_required;
	long long allowed, denied, pending, approved, rejected, expired;
	long long approver_approvals, approver_rejections; /* people's decisions */
	double ttd_median, ttd_p90;                        /* seconds; NaN without decided flows */
	long long ttd_flows;
	long long receipts, receipt_mismatches;
	long long deliveries, delivered, dead, deliveries_pending;
	long long emails_sent, emails_dead, emails_pending;
	long long audit_events;
	long long policy_version; /* current (any time); 0 = none */
	long long policy_publishes;
	long long members, owners, admins, viewers, keys_active; /* now */
	struct anx_report_rule rules[ANX_REPORT_TOP];
	size_t nrules;

	/* The audit chain now (anx_audit_verify over the whole chain). */
	int has_head;
	long long head_seq;
	char head_hash[65];
	int has_anchor;
	long long anchor_seq;
	int verify_done; /* the walk completed */
	int broken;
	long long verified, unsealed;
	char first_broken[512];

	/* CSV samples (owned; anx_report_free releases them). */
	struct anx_buf csv[ANX_CSV__N];
	long long csv_rows[ANX_CSV__N];
};

void anx_report_init(struct anx_report *r);
void anx_report_free(struct anx_report *r);

/* ---- rendering (pure) --------------------------------------------------- */

/* report.md: the summary as Markdown (user-provided names escaped). */
int anx_report_markdown(const struct anx_report *r, struct anx_buf *out);
/* chain_head.txt: the chain head and the verification result. */
int anx_report_chain_txt(const struct anx_report *r, struct anx_buf *out);
/* report.pdf (libhpdf, standard Helvetica, text extractable). */
int anx_report_pdf(const struct anx_report *r, struct anx_buf *out);
/* The ZIP of report.md, report.pdf (pdf, pdflen bytes), the four CSV
 * samples and chain_head.txt (libzip, in memory). */
int anx_report_zip(const struct anx_report *r, const void *pdf, size_t pdflen, struct anx_buf *out);

/*
 * Appends res as CSV to out: a header of the column names, then every
 * row (NULL as an empty field), quoted per RFC 4180 with spreadsheet
 * formulas neutralised (csv.h). *rows receives the number of data rows.
 */
int anx_compliance_csv(const PGresult *res, struct anx_buf *out, long long *rows);

/*
 * A download file name that is safe in a Content-Disposition header and
 * on any file system: "agentnexus-compliance-<workspace>-<from>-to-<to>.zip"
 * with the workspace name reduced to [a-z0-9-] (at most 40, "workspace"
 * when nothing is left). Returns 0, or -1 if out (outlen) is too small.
 */
int anx_compliance_filename(const char *ws_name, const char *from, const char *to,
	enum anx_export_kind kind, char *out, size_t outlen);

/*
 * Checks a requested period: from and to as YYYY-MM-DD, real dates,
 * from <= to <= today (UTC, "YYYY-MM-DD"), at most ANX_EXPORT_MAX_DAYS
 * days. Returns NULL, or a sentence for the person naming the problem;
 * *field is "from" or "to".
 */
const char *anx_compliance_period_problem(
	const char *from, const char *to, const char *today, const char **field);

const char *anx_export_kind_name(enum anx_export_kind k);
int anx_export_kind_parse(const char *s, enum anx_export_kind *out);

/* ---- jobs ---------------------------------------------------------------- */

/*
 * Queues an export of ws for user_id and audits compliance.export_requested,
 * in one transaction, and wakes `deliver --watch`. If the user already
 * has an export of ws queued or running, nothing is queued: returns
 * ANX_ERR_CONFLICT with id_out set to that one. id_out: 37 bytes.
 */
enum anx_err anx_compliance_request(struct anx_db *db, const char *ws, const char *user_id,
	enum anx_export_kind kind, const char *from, const char *to, char id_out[37]);

/*
 * One export of ws, as a new JSON object: {id, kind, status, percent,
 * pct5 (percent rounded down to 5), message, from, to, requested_by,
 * created_display, finished_display, filename, size_display, expired
 * (bool: file deleted), done, failed, active (bools)}. NOT_FOUND if id
 * is not an export of ws.
 */
enum anx_err anx_compliance_get(
	struct anx_db *db, const char *ws, const char *id, json_object **out);

/* The latest 20 exports of ws, newest first, each as anx_compliance_get. */
enum anx_err anx_compliance_list(struct anx_db *db, const char *ws, json_object **out);

/* A finished export's file. */
struct anx_export_file {
	char filename[128];
	const char *content_type; /* static */
	unsigned char *data;      /* malloc'd; anx_export_file_free */
	size_t len;
};

/*
 * Loads the file of export id of ws and audits compliance.downloaded by
 * user_id. NOT_FOUND if there is no such export, ANX_ERR_CONFLICT if it
 * is not done yet or its file was deleted (older than ANX_EXPORT_KEEP_DAYS).
 */
enum anx_err anx_compliance_download(struct anx_db *db, const char *ws, const char *id,
	const char *user_id, struct anx_export_file *out);
void anx_export_file_free(struct anx_export_file *f);

/*
 * Runs the oldest queued export (or one whose worker died), updating its
 * progress as it goes, and deletes files older than ANX_EXPORT_KEEP_DAYS.
 * *ran is 1 when a job was run (done or failed), else 0. Errors only for
 * the database; a job that cannot be built is marked failed with a
 * message and ANX_OK is returned.
 */
enum anx_err anx_compliance_run_next(struct anx_db *db, int *ran);

#endif
