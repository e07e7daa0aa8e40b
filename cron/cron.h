/*
 * cron.h - agentnexus-cron: one binary, one subcommand per job, for
 * crontab and for scripts/run. Each command returns the process exit code
 * (0 ok, 1 failure or findings, 2 usage).
 */
#ifndef ANX_CRON_H
#define ANX_CRON_H

#include "db.h"

struct anx_cron_cmd {
	const char *name;
	const char *usage;
	const char *help;
	int (*run)(struct anx_db *db, int argc, char *argv[]);
};

int anx_cmd_migrate(struct anx_db *db, int argc, char *argv[]);
int anx_cmd_seed_demo(struct anx_db *db, int argc, char *argv[]);
int anx_cmd_deliver(struct anx_db *db, int argc, char *argv[]);
int anx_cmd_create_key(struct anx_db *db, int argc, char *argv[]);
int anx_cmd_revoke_key(struct anx_db *db, int argc, char *argv[]);
int anx_cmd_replay(struct anx_db *db, int argc, char *argv[]);
int anx_cmd_timeouts(struct anx_db *db, int argc, char *argv[]);
int anx_cmd_purge(struct anx_db *db, int argc, char *argv[]);
int anx_cmd_verify_audit(struct anx_db *db, int argc, char *argv[]);

/* Set by SIGTERM/SIGINT; long-running commands check it. */
extern volatile int anx_cron_stopping;

#endif
