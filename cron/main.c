/*
 * main.c - agentnexus-cron: subcommand dispatch, configuration, logging.
 */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "cron.h"
#include "log.h"

volatile int anx_cron_stopping;

static const struct anx_cron_cmd cmds[] = {
	{ "migrate", "migrate", "apply pending SQL migrations from ANX_SQL_DIR", anx_cmd_migrate },
	{ "seed-demo", "seed-demo --password PW",
		"create the Demo workspace, accounts and keys (prints keys once)",
		anx_cmd_seed_demo },
	{ "deliver", "deliver [--watch]",
		"seal the audit chain and drain the outbox; --watch keeps running",
		anx_cmd_deliver },
	{ "create-key", "create-key --workspace UUID --label TEXT [--scope agent|admin]",
		"create an API key and print it once", anx_cmd_create_key },
	{ "revoke-key", "revoke-key --id UUID", "revoke an API key (effective at once)",
		anx_cmd_revoke_key },
	{ "timeouts", "timeouts", "expire overdue approvals, send reminders, reassign round robin",
		anx_cmd_timeouts },
	{ "replay", "replay --id UUID... | --failed-since ISO8601 [--workspace UUID]",
		"make webhook deliveries due again (same webhook-id)", anx_cmd_replay },
	{ "purge", "purge [--dry-run]", "delete data past its retention (RETENTION_* days)",
		anx_cmd_purge },
	{ "verify-audit", "verify-audit [--workspace ID]",
		"check the audit hash chain; names the first broken link, exit 1",
		anx_cmd_verify_audit },
};

static void
on_term(int sig)
{
	(void)sig;
	anx_cron_stopping = 1;
}

static void
usage(FILE *f)
{
	fprintf(f, "usage: agentnexus-cron COMMAND [ARGS]\n\ncommands:\n");
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		fprintf(f, "  %-28s %s\n", cmds[i].usage, cmds[i].help);
}

int
main(int argc, char *argv[])
{
	const struct anx_cron_cmd *cmd = NULL;
	struct anx_db *db;
	struct sigaction sa;
	char err[512], app[64];
	const char *logpath;
	int rc, logfd;

	if (argc < 2 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (strcmp(argv[1], cmds[i].name) == 0)
			cmd = &cmds[i];
	if (cmd == NULL) {
		fprintf(stderr, "agentnexus-cron: unknown command %s\n", argv[1]);
		usage(stderr);
		return 2;
	}
	if (anx_config_load(&anx_cfg, err, sizeof(err)) != 0) {
		fprintf(stderr, "agentnexus-cron: configuration error: %s\n", err);
		return 1;
	}
	snprintf(app, sizeof(app), "agentnexus-cron %s", cmd->name);
	/* ANX_LOG_FILE (as for the FastCGI workers) collects JSON lines in a
	 * file; without it they go to stderr, which crontab mails. */
	logfd = 2;
	if ((logpath = getenv("ANX_LOG_FILE")) != NULL && *logpath &&
		(logfd = open(logpath, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640)) == -1) {
		fprintf(stderr, "agentnexus-cron: cannot open ANX_LOG_FILE %s\n", logpath);
		return 1;
	}
	anx_log_init(app, (enum anx_log_level)anx_cfg.log_level, logfd);

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_term;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	if ((db = anx_db_new(anx_cfg.database_url, app)) == NULL)
		return 1;
	rc = cmd->run(db, argc - 1, argv + 1);
	anx_db_free(db);
	return rc;
}
