/*
 * cmd_deliver.c - `agentnexus-cron deliver [--watch]`: the background
 * worker. Each round seals committed audit events into the hash chain and
 * drains the outbox. Without --watch it works until nothing is left and
 * exits (for crontab); with --watch it keeps going, woken at once by
 * NOTIFY on channel anx_outbox and at least every 500 ms (the audit sealer
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

#define WATCH_TICK_MS 500

/* One round of every job; returns the number of items handled or -1. */
static int
round_once(struct anx_db *db)
{
	int sealed = 0, sent = 0, hooks = 0;
	int folded = 0, exported = 0;

	if (anx_audit_seal(db, &sealed) != ANX_OK)
		return -1;
	if (sealed)
		anx_log(ANX_LOG_DEBUG, "audit_sealed", LF_INT("count", sealed), ANX_LF_END);
	/* Only accepted messages count as progress, so a failing SMTP
	 * server does not keep a crontab run looping. */
	if (anx_email_drain(db, &sent) != ANX_OK)
		return -1;
	if (anx_webhook_drain(db, &hooks) != ANX_OK)
		return -1;
	/* Analytics: fold the rollup deltas (core/analytics.c). */
	if (anx_analytics_fold(db, &folded) != ANX_OK)
		return -1;
	/* Compliance exports: at most one job a round (core/compliance.c). */
	if (anx_compliance_run_next(db, &exported) != ANX_OK)
		return -1;
	return sealed + sent + hooks + folded + exported;
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
	int watch = 0, listening = 0, n = 0, failures = 0;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--watch") == 0)
			watch = 1;
		else {
			fprintf(stderr, "usage: agentnexus-cron deliver [--watch]\n");
			return 2;
		}
	}
	if (!watch) {
		while (!anx_cron_stopping && (n = round_once(db)) > 0)
			;
		return n < 0 ? 1 : 0;
	}
	anx_log(ANX_LOG_INFO, "deliver_watch_started", ANX_LF_END);
	while (!anx_cron_stopping) {
		PGconn *before = anx_db_conn(db);

		n = round_once(db);
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
		if (n > 0)
			continue; /* more may be waiting */
		wait_for_wake(db, WATCH_TICK_MS);
	}
	anx_log(ANX_LOG_INFO, "deliver_watch_stopped", ANX_LF_END);
	return 0;
}
