/*
 * cmd_audit.c - `agentnexus-cron verify-audit [--workspace ID]`: walks the
 * audit hash chain and names the first broken link (exit 1), and reports
 * how many events are not sealed yet.
 */
#include <stdio.h>
#include <string.h>

#include "audit_chain.h"
#include "cron.h"

int
anx_cmd_verify_audit(struct anx_db *db, int argc, char *argv[])
{
	struct anx_audit_report rep;
	const char *ws = NULL;
	enum anx_err err;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--workspace") == 0 && i + 1 < argc)
			ws = argv[++i];
		else {
			fprintf(stderr, "usage: agentnexus-cron verify-audit [--workspace ID]\n");
			return 2;
		}
	}
	if ((err = anx_audit_verify(db, ws, &rep)) != ANX_OK) {
		fprintf(stderr, "verify-audit: could not walk the chain (%s)\n", anx_err_code(err));
		return 1;
	}
	printf("workspaces: %lld\nverified events: %lld\nunsealed events: %lld\n", rep.workspaces,
		rep.verified, rep.unsealed);
	if (rep.broken) {
		printf("BROKEN: %s\n", rep.first_broken);
		return 1;
	}
	printf("chain: ok\n");
	return 0;
}
