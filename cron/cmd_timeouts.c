/*
 * cmd_timeouts.c - `agentnexus-cron timeouts`: expire overdue approvals,
 * send due reminders, reassign round-robin requests. Run it every minute
 * from crontab.
 */
#include <stdio.h>

#include "approval.h"
#include "cron.h"

int
anx_cmd_timeouts(struct anx_db *db, int argc, char *argv[])
{
	struct anx_timeout_report rep;
	enum anx_err err;

	(void)argv;
	if (argc != 1) {
		fprintf(stderr, "usage: agentnexus-cron timeouts\n");
		return 2;
	}
	if ((err = anx_approval_timeouts(db, &rep)) != ANX_OK) {
		fprintf(stderr, "timeouts: failed (%s)\n", anx_err_code(err));
		return 1;
	}
	printf("expired=%d reminded=%d reassigned=%d\n", rep.expired, rep.reminded, rep.reassigned);
	return 0;
}
