/*
 * cmd_seed.c - `agentnexus-cron seed-demo --password PW`: creates the demo
 * workspace on a first run and prints its secrets once, as shell lines for
 * var/dev.env. On later runs it prints nothing and exits 0.
 */
#include <stdio.h>
#include <string.h>

#include "cron.h"
#include "crypto.h"
#include "demo.h"
#include "password.h"

int
anx_cmd_seed_demo(struct anx_db *db, int argc, char *argv[])
{
	struct anx_demo_secrets s;
	enum anx_err err;

	if (argc != 3 || strcmp(argv[1], "--password") != 0) {
		fprintf(stderr, "usage: agentnexus-cron seed-demo --password PW\n");
		return 2;
	}
	if (strlen(argv[2]) < ANX_PASSWORD_MIN) {
		fprintf(stderr,
			"agentnexus-cron seed-demo: the password needs at least %d characters\n",
			ANX_PASSWORD_MIN);
		return 2;
	}
	err = anx_demo_seed(db, argv[2], &s);
	if (err == ANX_ERR_CONFLICT) {
		fprintf(stderr, "agentnexus-cron seed-demo: the Demo workspace exists already; "
				"nothing to do\n");
		return 0;
	}
	if (err != ANX_OK) {
		fprintf(stderr, "agentnexus-cron seed-demo: failed (%s)\n", anx_err_code(err));
		return 1;
	}
	printf("ANX_WORKSPACE_ID=%s\nANX_AGENT_KEY=%s\nANX_ADMIN_KEY=%s\nANX_WEBHOOK_SECRET=%s\n",
		s.workspace_id, s.agent_key, s.admin_key, s.webhook_secret);
	fflush(stdout);
	anx_secure_zero(&s, sizeof(s));
	return 0;
}
