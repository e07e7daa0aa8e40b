/*
 * cmd_purge.c - `agentnexus-cron purge [--dry-run]`: retention purges by
 * the RETENTION_* variables (see core/retention.h). Run daily.
 */
#include <stdio.h>
#include <string.h>

#include "cron.h"
#include "retention.h"

int
anx_cmd_purge(struct anx_db *db, int argc, char *argv[])
{
	struct anx_purge_report rep;
	struct anx_retention r;
	char err[256];
	int dry = 0;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--dry-run") == 0)
			dry = 1;
		else {
			fprintf(stderr, "usage: agentnexus-cron purge [--dry-run]\n");
			return 2;
		}
	}
	if (anx_retention_from_env(&r, err, sizeof(err)) != 0) {
		fprintf(stderr, "purge: %s\n", err);
		return 2;
	}
	if (anx_retention_purge(db, &r, dry, &rep) != ANX_OK) {
		fprintf(stderr, "purge: failed; see the log\n");
		return 1;
	}
	printf("%s evaluations=%lld audit_events=%lld deliveries=%lld emails=%lld "
	       "idempotency_keys=%lld\n",
		dry ? "would purge" : "purged", rep.evaluations, rep.audit_events, rep.deliveries,
		rep.emails, rep.idempotency_keys);
	return 0;
}
