/*
 * retention.c - batched retention purges; see retention.h.
 */
#include "retention.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

#define B "5000"

/* Per workspace, through its list index (workspace_id, created_at): an
 * index on created_at alone would cost every evaluation insert (0011). */
#define OLD_EVALS(limit)                                                                           \
	" FROM workspaces w CROSS JOIN LATERAL (SELECT x.id FROM evaluations x"                    \
	" WHERE x.workspace_id = w.id AND x.created_at < now() - make_interval(days => $1::int)"   \
	" AND x.status <> 'pending'" limit ") e"
static const char SQL_COUNT_EVALS[] = "SELECT count(*)" OLD_EVALS("");
static const char SQL_PURGE_EVALS[] =
	"DELETE FROM evaluations WHERE id IN (SELECT e.id" OLD_EVALS(" LIMIT " B) " LIMIT " B ")";
static const char SQL_COUNT_DELIVERIES[] =
	"SELECT count(*) FROM webhook_deliveries WHERE status IN ('delivered', 'dead')"
	" AND created_at < now() - make_interval(days => $1::int)";
static const char SQL_PURGE_DELIVERIES[] =
	"DELETE FROM webhook_deliveries WHERE id IN (SELECT id FROM webhook_deliveries"
	" WHERE status IN ('delivered', 'dead')"
	" AND created_at < now() - make_interval(days => $1::int) LIMIT " B ")";
static const char SQL_COUNT_EMAILS[] =
	"SELECT count(*) FROM email_outbox WHERE status IN ('sent', 'dead')"
	" AND created_at < now() - make_interval(days => $1::int)";
static const char SQL_PURGE_EMAILS[] =
	"DELETE FROM email_outbox WHERE id IN (SELECT id FROM email_outbox"
	" WHERE status IN ('sent', 'dead')"
	" AND created_at < now() - make_interval(days => $1::int) LIMIT " B ")";
static const char SQL_COUNT_IDEM[] =
	"SELECT count(*) FROM evaluations WHERE idempotency_key IS NOT NULL"
	" AND created_at < now() - interval '48 hours'";
static const char SQL_PURGE_IDEM[] =
	"UPDATE evaluations SET idempotency_key = NULL, idempotency_fingerprint = NULL,"
	" response_body = NULL WHERE id IN (SELECT id FROM evaluations"
	" WHERE idempotency_key IS NOT NULL AND created_at < now() - interval '48 hours'"
	" LIMIT " B ")";
/* Audit: per workspace, the newest sealed event old enough to go marks
 * the cut; its seal becomes the anchor, then every event up to it is
 * deleted together with its seal. Unsealed events are never purged. */
static const char SQL_AUDIT_CUTS[] =
	"SELECT s.workspace_id, max(s.seq) FROM audit_seals s JOIN audit_events e ON e.id = "
	"s.event_id"
	" WHERE e.created_at < now() - make_interval(days => $1::int) GROUP BY s.workspace_id";
static const char SQL_AUDIT_ANCHOR[] =
	"INSERT INTO audit_chain_anchors (workspace_id, seq, hash, purged_before)"
	" SELECT workspace_id, seq, hash, now() - make_interval(days => $3::int) FROM audit_seals"
	" WHERE workspace_id = $1 AND seq = $2::bigint"
	" ON CONFLICT (workspace_id) DO UPDATE SET seq = EXCLUDED.seq, hash = EXCLUDED.hash,"
	" purged_before = EXCLUDED.purged_before, updated_at = now()"
	" WHERE audit_chain_anchors.seq < EXCLUDED.seq";
/* One batch of the oldest seals up to the cut and their events: seals
 * deleted, events deleted. */
static const char SQL_AUDIT_PURGE[] =
	"WITH s AS (DELETE FROM audit_seals WHERE workspace_id = $1 AND seq IN"
	" (SELECT seq FROM audit_seals WHERE workspace_id = $1 AND seq <= $2::bigint"
	" ORDER BY seq LIMIT " B ") RETURNING event_id),"
	" e AS (DELETE FROM audit_events WHERE id IN (SELECT event_id FROM s) RETURNING 1)"
	" SELECT (SELECT count(*) FROM s), (SELECT count(*) FROM e)";

static int
env_days(const char *name, int def, int *out, char *err, size_t errlen)
{
	const char *v = getenv(name);
	char *end;
	long n;

	*out = def;
	if (v == NULL || *v == '\0')
		return 0;
	errno = 0;
	n = strtol(v, &end, 10);
	if (errno || *end || n < 0 || n > 36500) {
		snprintf(err, errlen,
			"%s must be a whole number of days from 0 (keep forever) to 36500", name);
		return -1;
	}
	*out = (int)n;
	return 0;
}

int
anx_retention_from_env(struct anx_retention *r, char *err, size_t errlen)
{
	if (env_days("RETENTION_EVALUATIONS_DAYS", 365, &r->evaluations_days, err, errlen) ||
		env_days("RETENTION_AUDIT_DAYS", 730, &r->audit_days, err, errlen) ||
		env_days("RETENTION_DELIVERIES_DAYS", 90, &r->deliveries_days, err, errlen) ||
		env_days("RETENTION_EMAILS_DAYS", 30, &r->emails_days, err, errlen))
		return -1;
	return 0;
}

/* Runs a batched DELETE/UPDATE until it affects fewer rows than a batch
 * (or counts, for a dry run). */
static enum anx_err
batched(struct anx_db *db, const char *count_sql, const char *purge_sql, int n,
	const char *const *p, int dry_run, long long *total)
{
	enum anx_err err;
	PGresult *res;
	char count[24];

	if (dry_run) {
		if ((err = anx_db_value(db, count_sql, n, p, count, sizeof(count))) != ANX_OK)
			return err;
		*total += strtoll(count, NULL, 10);
		return ANX_OK;
	}
	for (;;) {
		long long got;

		if ((err = anx_db_exec(db, purge_sql, n, p, &res)) != ANX_OK)
			return err;
		got = strtoll(PQcmdTuples(res), NULL, 10);
		PQclear(res);
		*total += got;
		if (got < ANX_PURGE_BATCH)
			return ANX_OK;
	}
}

struct audit_cut_ctx {
	const char *ws, *seq, *days;
};

static enum anx_err
anchor_tx(struct anx_db *db, void *arg)
{
	struct audit_cut_ctx *c = arg;
	const char *p[3] = { c->ws, c->seq, c->days };

	return anx_db_exec(db, SQL_AUDIT_ANCHOR, 3, p, NULL);
}

static enum anx_err
purge_audit(struct anx_db *db, int days, int dry_run, long long *total)
{
	char d[16];
	const char *p[1] = { d };
	PGresult *cuts;
	enum anx_err err;

	snprintf(d, sizeof(d), "%d", days);
	if ((err = anx_db_exec(db, SQL_AUDIT_CUTS, 1, p, &cuts)) != ANX_OK)
		return err;
	for (int r = 0; r < PQntuples(cuts) && err == ANX_OK; r++) {
		struct audit_cut_ctx c = { PQgetvalue(cuts, r, 0), PQgetvalue(cuts, r, 1), d };
		const char *pp[2] = { c.ws, c.seq };

		if (dry_run) {
			*total += strtoll(c.seq, NULL, 10);
			continue;
		}
		/* Anchor first (committed), then delete: a crash in between
		 * leaves an anchor ahead of undeleted events, which verify
		 * simply skips. */
		if ((err = anx_db_tx(db, anchor_tx, &c)) != ANX_OK)
			break;
		for (;;) {
			PGresult *res;
			long long seals;

			if ((err = anx_db_exec(db, SQL_AUDIT_PURGE, 2, pp, &res)) != ANX_OK)
				break;
			seals = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
			*total += strtoll(PQgetvalue(res, 0, 1), NULL, 10);
			PQclear(res);
			if (seals < ANX_PURGE_BATCH)
				break;
		}
	}
	PQclear(cuts);
	return err;
}

enum anx_err
anx_retention_purge(
	struct anx_db *db, const struct anx_retention *r, int dry_run, struct anx_purge_report *rep)
{
	char d[16];
	const char *p[1] = { d };
	enum anx_err err = ANX_OK;

	memset(rep, 0, sizeof(*rep));
	if (r->evaluations_days > 0) {
		snprintf(d, sizeof(d), "%d", r->evaluations_days);
		if ((err = batched(db, SQL_COUNT_EVALS, SQL_PURGE_EVALS, 1, p, dry_run,
			     &rep->evaluations)) != ANX_OK)
			return err;
	}
	if (r->deliveries_days > 0) {
		snprintf(d, sizeof(d), "%d", r->deliveries_days);
		if ((err = batched(db, SQL_COUNT_DELIVERIES, SQL_PURGE_DELIVERIES, 1, p, dry_run,
			     &rep->deliveries)) != ANX_OK)
			return err;
	}
	if (r->emails_days > 0) {
		snprintf(d, sizeof(d), "%d", r->emails_days);
		if ((err = batched(db, SQL_COUNT_EMAILS, SQL_PURGE_EMAILS, 1, p, dry_run,
			     &rep->emails)) != ANX_OK)
			return err;
	}
	if ((err = batched(db, SQL_COUNT_IDEM, SQL_PURGE_IDEM, 0, NULL, dry_run,
		     &rep->idempotency_keys)) != ANX_OK)
		return err;
	if (r->audit_days > 0 &&
		(err = purge_audit(db, r->audit_days, dry_run, &rep->audit_events)) != ANX_OK)
		return err;
	anx_log(ANX_LOG_INFO, dry_run ? "purge_dry_run" : "purge_done",
		LF_INT("evaluations", rep->evaluations), LF_INT("audit_events", rep->audit_events),
		LF_INT("deliveries", rep->deliveries), LF_INT("emails", rep->emails),
		LF_INT("idempotency_keys", rep->idempotency_keys), ANX_LF_END);
	return ANX_OK;
}
