/*
 * bench_webhook.c - webhook delivery throughput: queues N deliveries for
 * one evaluation through anx_webhook_enqueue() (as the approval code
 * does, in transactions of --batch, default 500), then either drains them in this
 * process with anx_webhook_drain() (--drain) or waits for an external
 * `agentnexus-cron deliver --watch` to finish them, and reports
 * deliveries per second from the first enqueue to the last delivery.
 * With --enqueue-only it queues them and exits (scripts/bench then times
 * `agentnexus-cron deliver` workers itself).
 *
 *   DATABASE_URL=... bench_webhook --workspace UUID --evaluation UUID \
 *       --count 2000 [--batch 500] [--drain | --enqueue-only] [--timeout 120]
 *
 * The evaluation must have a webhook_url (point it at
 * tests/tools/webhook_receiver.mjs; WEBHOOK_URL_POLICY=permissive for a
 * local receiver). Exit 0 when all N were delivered in time.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config.h"
#include "db.h"
#include "log.h"
#include "webhook.h"

static const char SQL_MARK[] = "SELECT "
			       "now()::text";
static const char SQL_DONE[] =
	"SELECT count(*) FILTER (WHERE status = 'delivered'),"
	" count(*) FILTER (WHERE status = 'dead'), count(*)"
	" FROM webhook_deliveries WHERE evaluation_id = $1 AND created_at >= $2::timestamptz";

struct batch {
	const char *ws;
	const char *eval;
	int n;
};

static enum anx_err
enqueue_batch(struct anx_db *db, void *arg)
{
	struct batch *b = arg;
	enum anx_err err;

	for (int i = 0; i < b->n; i++)
		if ((err = anx_webhook_enqueue(db, b->ws, b->eval, "terminal_outcome")) != ANX_OK)
			return err;
	return ANX_OK;
}

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int
main(int argc, char *argv[])
{
	const char *ws = NULL, *eval = NULL;
	int count = 0, drain = 0, enqueue_only = 0, timeout = 120, batch = 500;
	char err[256], since[64], n_del[32], n_dead[32];
	struct anx_db *db;
	double t0, t1, tq;
	const char *p[2];
	PGresult *r;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--workspace") == 0 && i + 1 < argc)
			ws = argv[++i];
		else if (strcmp(argv[i], "--evaluation") == 0 && i + 1 < argc)
			eval = argv[++i];
		else if (strcmp(argv[i], "--count") == 0 && i + 1 < argc)
			count = atoi(argv[++i]);
		else if (strcmp(argv[i], "--batch") == 0 && i + 1 < argc)
			batch = atoi(argv[++i]);
		else if (strcmp(argv[i], "--timeout") == 0 && i + 1 < argc)
			timeout = atoi(argv[++i]);
		else if (strcmp(argv[i], "--drain") == 0)
			drain = 1;
		else if (strcmp(argv[i], "--enqueue-only") == 0)
			enqueue_only = 1;
		else
			count = -1;
	}
	if (ws == NULL || eval == NULL || count <= 0 || batch <= 0 || (drain && enqueue_only)) {
		fprintf(stderr, "usage: bench_webhook --workspace UUID --evaluation UUID --count N"
				" [--batch N] [--drain | --enqueue-only] [--timeout S]\n");
		return 2;
	}
	if (anx_config_load(&anx_cfg, err, sizeof(err)) != 0) {
		fprintf(stderr, "bench_webhook: %s\n", err);
		return 1;
	}
	anx_log_init("bench_webhook", ANX_LOG_WARN, 2);
	if ((db = anx_db_new(anx_cfg.database_url, "bench_webhook")) == NULL ||
		anx_db_value(db, SQL_MARK, 0, NULL, since, sizeof(since)) != ANX_OK) {
		fprintf(stderr, "bench_webhook: database unavailable\n");
		return 1;
	}
	t0 = now_s();
	for (int done = 0; done < count;) {
		struct batch b = { ws, eval, count - done < batch ? count - done : batch };

		if (anx_db_tx(db, enqueue_batch, &b) != ANX_OK) {
			fprintf(stderr, "bench_webhook: enqueue failed (no webhook_url?)\n");
			return 1;
		}
		done += b.n;
	}
	tq = now_s();
	printf("enqueued=%d seconds=%.3f per_second=%.0f\n", count, tq - t0, count / (tq - t0));
	if (enqueue_only) {
		anx_db_free(db);
		return 0;
	}
	p[0] = eval;
	p[1] = since;
	for (;;) {
		int delivered, dead, all;

		if (drain) {
			int n = 0;

			if (anx_webhook_drain(db, &n) != ANX_OK) {
				fprintf(stderr, "bench_webhook: drain failed\n");
				return 1;
			}
		} else {
			struct timespec ts = { 0, 50 * 1000000 };

			nanosleep(&ts, NULL);
		}
		if (anx_db_exec(db, SQL_DONE, 2, p, &r) != ANX_OK)
			return 1;
		snprintf(n_del, sizeof(n_del), "%s", PQgetvalue(r, 0, 0));
		snprintf(n_dead, sizeof(n_dead), "%s", PQgetvalue(r, 0, 1));
		all = atoi(PQgetvalue(r, 0, 2));
		PQclear(r);
		delivered = atoi(n_del);
		dead = atoi(n_dead);
		if (delivered + dead >= all && all >= count) {
			t1 = now_s();
			printf("delivered=%d dead=%d delivery_seconds=%.3f "
			       "deliveries_per_second=%.0f"
			       " (including enqueue: %.0f/s)\n",
				delivered, dead, t1 - tq, delivered / (t1 - tq),
				delivered / (t1 - t0));
			anx_db_free(db);
			return delivered == count ? 0 : 1;
		}
		if (now_s() - t0 > timeout) {
			printf("timeout: delivered=%d dead=%d of %d\n", delivered, dead, count);
			anx_db_free(db);
			return 1;
		}
	}
}
