/*
 * cmd_migrate.c - `agentnexus-cron migrate`.
 */
#include <stdio.h>

#include "config.h"
#include "cron.h"
#include "migrate.h"

int
anx_cmd_migrate(struct anx_db *db, int argc, char *argv[])
{
	char err[1024];
	int applied = 0;

	(void)argv;
	if (argc != 1) {
		fprintf(stderr, "usage: agentnexus-cron migrate\n");
		return 2;
	}
	if (anx_migrate_run(db, anx_cfg.sql_dir, &applied, err, sizeof(err)) != ANX_OK) {
		fprintf(stderr, "agentnexus-cron migrate: %s\n", err);
		return 1;
	}
	printf("migrations applied: %d\n", applied);
	return 0;
}
