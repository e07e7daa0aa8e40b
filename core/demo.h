/*
 * demo.h - the demo workspace that scripts/run seeds on a first run
 * (DESIGN.md "Scripts"): workspace "Demo", four accounts sharing one
 * password (owner with approval roles manager and finance, a manager, two
 * finance approvers), an agent key, an admin key and a webhook signing
 * secret.
 */
#ifndef ANX_DEMO_H
#define ANX_DEMO_H

#include "apikey.h"
#include "db.h"

#define ANX_WEBHOOK_SECRET_LEN 50 /* "whsec_" + base64 of 32 bytes */

struct anx_demo_secrets {
	char workspace_id[37];
	char agent_key[ANX_APIKEY_LEN + 1];
	char admin_key[ANX_APIKEY_LEN + 1];
	char webhook_secret[ANX_WEBHOOK_SECRET_LEN + 1];
};

/* Seeds the demo in one transaction. ANX_ERR_CONFLICT if a workspace named
 * "Demo" exists already. The caller zeroes out when done. */
enum anx_err anx_demo_seed(struct anx_db *db, const char *password, struct anx_demo_secrets *out);

/* Makes a new "whsec_<base64 of 32 random bytes>" into out. */
int anx_webhook_secret_generate(char out[ANX_WEBHOOK_SECRET_LEN + 1]);

#endif
