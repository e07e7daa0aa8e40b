/*
 * bench_email.c - load and measure the email outbox.
 *
 *   bench_email enqueue N   queue N approval_request emails, rendered from
 *                           the real templates (ANX_TEMPLATE_DIR), in one
 *                           transaction in a new workspace "bench-email";
 *                           recipients approver+<i>@example.test
 *   bench_email drain       run anx_email_drain until nothing is due and
 *                           print messages sent and messages per second
 *   bench_email resend ID   anx_email_resend: a dead message back to pending
 *
 * Configuration comes from the environment as for the other programs
 * (DATABASE_URL, SMTP_URL, MAIL_FROM, APP_URL, ANX_TEMPLATE_DIR).
 * tests/tools/email_drain_check.sh drives it against a local SMTP sink.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

#include "config.h"
#include "crypto.h"
#include "db.h"
#include "log.h"
#include "mail.h"
#include "outbox_email.h"

static const char SQL_WORKSPACE[] =
	"INSERT INTO workspaces (name) VALUES ('bench-email') RETURNING id";

struct job {
	long n;
};

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static enum anx_err
enqueue_tx(struct anx_db *db, void *arg)
{
	const struct job *j = arg;
	char ws[64], to[64], summary[64], token[33];
	json_object *ctx;
	enum anx_err err;

	if ((err = anx_db_value(db, SQL_WORKSPACE, 0, NULL, ws, sizeof(ws))) != ANX_OK)
		return err;
	for (long i = 0; i < j->n; i++) {
		struct anx_mail m = {
			.kind = ANX_MAIL_APPROVAL_REQUEST, .workspace_id = ws, .to = to
		};

		snprintf(to, sizeof(to), "approver+%ld@example.test", i);
		snprintf(summary, sizeof(summary), "Bench payment #%ld <script>x</script>", i);
		if (anx_random_hex(token, 16) != 0)
			return ANX_ERR_INTERNAL;
		ctx = json_object_new_object();
		json_object_object_add(ctx, "summary", json_object_new_string(summary));
		json_object_object_add(ctx, "action", json_object_new_string("payments.send"));
		json_object_object_add(ctx, "resource", json_object_new_string("vendor/acme"));
		json_object_object_add(ctx, "amount", json_object_new_string("1250.00"));
		json_object_object_add(ctx, "currency", json_object_new_string("USD"));
		json_object_object_add(ctx, "agent_id", json_object_new_string("billing-bot"));
		json_object_object_add(
			ctx, "matched_rule", json_object_new_string("large-payments"));
		json_object_object_add(ctx, "reason",
			json_object_new_string(
				"Payments over 1000 need manager and finance sign-off"));
		json_object_object_add(ctx, "action_hash",
			json_object_new_string("sha256:"
					       "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15"
					       "d6c15b0f00a08"));
		json_object_object_add(ctx, "stage_number", json_object_new_int(2));
		json_object_object_add(ctx, "stage_count", json_object_new_int(2));
		json_object_object_add(ctx, "stage_role", json_object_new_string("finance"));
		json_object_object_add(ctx, "workspace_name", json_object_new_string("Bench"));
		json_object_object_add(ctx, "token", json_object_new_string(token));
		err = anx_mail_enqueue_template(db, &m, ctx);
		json_object_put(ctx);
		if (err != ANX_OK)
			return err;
	}
	return ANX_OK;
}

int
main(int argc, char *argv[])
{
	struct anx_db *db;
	char err[512];
	double t0;
	int rc = 1;

	if (argc < 2 ||
		((strcmp(argv[1], "enqueue") == 0 || strcmp(argv[1], "resend") == 0) &&
			argc != 3) ||
		(strcmp(argv[1], "enqueue") != 0 && strcmp(argv[1], "drain") != 0 &&
			strcmp(argv[1], "resend") != 0)) {
		fprintf(stderr, "usage: bench_email enqueue N | drain | resend ID\n");
		return 2;
	}
	if (anx_config_load(&anx_cfg, err, sizeof(err)) != 0) {
		fprintf(stderr, "bench_email: %s\n", err);
		return 1;
	}
	anx_log_init("bench_email", ANX_LOG_WARN, 2);
	if ((db = anx_db_new(anx_cfg.database_url, "bench_email")) == NULL)
		return 1;
	t0 = now_s();
	if (strcmp(argv[1], "enqueue") == 0) {
		struct job j = { strtol(argv[2], NULL, 10) };
		enum anx_err e;

		if (j.n <= 0 || j.n > 1000000) {
			fprintf(stderr, "bench_email: N must be 1..1000000\n");
			goto out;
		}
		if ((e = anx_db_tx(db, enqueue_tx, &j)) != ANX_OK) {
			fprintf(stderr, "bench_email: enqueue failed: %s\n", anx_err_code(e));
			goto out;
		}
		printf("enqueued %ld in %.3f s\n", j.n, now_s() - t0);
	} else if (strcmp(argv[1], "resend") == 0) {
		enum anx_err e = anx_email_resend(db, NULL, argv[2]);

		if (e != ANX_OK) {
			fprintf(stderr, "bench_email: resend failed: %s\n", anx_err_code(e));
			goto out;
		}
		printf("resent %s\n", argv[2]);
	} else {
		long total = 0;
		int sent;

		do {
			if (anx_email_drain(db, &sent) != ANX_OK)
				goto out;
			total += sent;
		} while (sent > 0);
		printf("sent %ld in %.3f s: %.0f messages/s\n", total, now_s() - t0,
			(double)total / (now_s() - t0));
	}
	rc = 0;
out:
	anx_mail_templates_free();
	anx_db_free(db);
	return rc;
}
