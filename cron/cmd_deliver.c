/*
 * cmd_deliver.c - `agentnexus-cron deliver [--watch]`: the background
 * worker. Each round seals committed audit events into the hash chain and
 * drains the outbox. Without --watch it works until nothing is left and
 * exits (for crontab); with --watch it keeps going, woken at once by
 * NOTIFY on channel anx_outbox and at least every 100 ms (the audit sealer
 * needs no wake-up: events are sealed within a second of commit).
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>

#include "analytics.h"
#include "audit_chain.h"
#include "compliance.h"
#include "cron.h"
#include "log.h"
#include "outbox_email.h"
#include "webhook.h"
#include "workspace_sweep.h"

/* Short enough that the sealer's batches stay small: a batch of half a
 * second of evaluations, sealed in one burst, showed in the evaluate p99. */
#define WATCH_TICK_MS 100

/*
 * The jobs of one round, in order. Each runs whatever the others did: a
 * failing job (say, SMTP down, or one table missing) is logged and must
 * not hold up the rest. The sweep of deleted workspaces' leftovers comes
 * first, so the sealer after it does not meet their audit events; the
 * sealer comes next so events are chained within a second of commit.
 */
struct job {
	const char *name;
	enum anx_err (*run)(struct anx_db *db, int *done);
	/* Items in one round from which more are likely waiting (a full
	 * batch). The audit sealer and the analytics fold get work from
	 * every evaluation: in --watch, a round of a few of those is not a
	 * reason to start the next one at once, the tick (or a NOTIFY) is;
	 * otherwise the loop spins, running every job's queries for a
	 * handful of events each time. */
	int busy_at;
};

static enum anx_err
seal(struct anx_db *db, int *done)
{
	return anx_audit_seal(db, done);
}

static const struct job jobs[] = {
	/* Rows a deleted workspace left behind (core/workspace_sweep.c). */
	{ "workspace_sweep", anx_workspace_sweep, 1 },
	{ "audit_seal", seal, ANX_SEAL_BATCH },
	/* Only accepted messages count as progress, so a failing SMTP
	 * server does not keep a crontab run looping. */
	{ "email", anx_email_drain, 1 },
	{ "webhooks", anx_webhook_drain, 1 },
	/* Analytics: fold the rollup deltas (core/analytics.c). */
	{ "analytics", anx_analytics_fold, ANX_ANALYTICS_FOLD_BATCH },
	/* Compliance exports: at most one job a round (core/compliance.c). */
	{ "compliance_exports", anx_compliance_run_next, 1 },
};

/* One round of every job; returns the number of items handled, or -1 when
 * every job failed (the database is likely down). *busy says whether a job
 * reached its busy_at mark. */
static size_t round_failures; /* jobs that failed in the last round */

static int
round_once(struct anx_db *db, int *busy)
{
	size_t failed = 0;
	int total = 0;

	*busy = 0;
	for (size_t i = 0; i < sizeof(jobs) / sizeof(jobs[0]); i++) {
		int done = 0;
		enum anx_err err = jobs[i].run(db, &done);

		if (err != ANX_OK) {
			failed++;
			anx_log(ANX_LOG_ERROR, "deliver_job_failed", LF_STR("job", jobs[i].name),
				LF_STR("code", anx_err_code(err)), ANX_LF_END);
			continue;
		}
		total += done;
		if (done >= jobs[i].busy_at)
			*busy = 1;
	}
	round_failures = failed;
	return failed == sizeof(jobs) / sizeof(jobs[0]) ? -1 : total;
}

static int
listen_channel(struct anx_db *db)
{
	return anx_db_exec(db, "LISTEN anx_outbox", 0, NULL, NULL) == ANX_OK ? 0 : -1;
}

/* Waits up to ms for a notification; drains any that arrived. */
static void
wait_for_wake(struct anx_db *db, int ms)
{
	PGconn *conn = anx_db_conn(db);
	struct pollfd pfd;
	PGnotify *n;

	if (conn == NULL || PQsocket(conn) < 0) {
		poll(NULL, 0, ms);
		return;
	}
	pfd.fd = PQsocket(conn);
	pfd.events = POLLIN;
	if (poll(&pfd, 1, ms) > 0)
		PQconsumeInput(conn);
	while ((n = PQnotifies(conn)) != NULL)
		PQfreemem(n);
}

int
anx_cmd_deliver(struct anx_db *db, int argc, char *argv[])
{
	int watch = 0, listening = 0, n = 0, failures = 0, busy = 0;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--watch") == 0)
			watch = 1;
		else {
			fprintf(stderr, "usage: agentnexus-cron deliver [--watch]\n");
			return 2;
		}
	}
	if (!watch) {
		while (!anx_cron_stopping && (n = round_once(db, &busy)) > 0)
			;
		/* crontab mails a failing run: exit 1 if any job failed. */
		return n < 0 || round_failures > 0 ? 1 : 0;
	}
	anx_log(ANX_LOG_INFO, "deliver_watch_started", ANX_LF_END);
	while (!anx_cron_stopping) {
		PGconn *before = anx_db_conn(db);

		n = round_once(db, &busy);
		/* A reconnect loses LISTEN; subscribe again on the new session. */
		if (anx_db_conn(db) != before || !listening)
			listening = anx_db_conn(db) && listen_channel(db) == 0;
		if (n < 0) {
			/* Database down: back off up to 5 s, keep trying. */
			failures += failures < 10;
			listening = 0;
			poll(NULL, 0, 500 * failures);
			continue;
		}
		failures = 0;
		if (busy)
			continue; /* more may be waiting */
		wait_for_wake(db, WATCH_TICK_MS);
	}
	anx_log(ANX_LOG_INFO, "deliver_watch_stopped", ANX_LF_END);
	return 0;
}
