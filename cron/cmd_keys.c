/*
 * cmd_keys.c - `agentnexus-cron create-key` and `revoke-key`: bootstrap
 * key management from the shell (the dashboard manages keys too). The new
 * key is printed once and never stored.
 */
#include <stdio.h>
#include <string.h>

#include "apikey.h"
#include "auth.h"
#include "cron.h"

static const char SQL_KEY_WS[] = "SELECT workspace_id FROM api_keys WHERE id = $1";

int
anx_cmd_create_key(struct anx_db *db, int argc, char *argv[])
{
	const char *ws = NULL, *scope_s = "agent", *label = NULL;
	char key[ANX_APIKEY_LEN + 1], id[37];
	enum anx_scope scope;
	enum anx_err err;

	for (int i = 1; i + 1 < argc; i += 2) {
		if (strcmp(argv[i], "--workspace") == 0)
			ws = argv[i + 1];
		else if (strcmp(argv[i], "--scope") == 0)
			scope_s = argv[i + 1];
		else if (strcmp(argv[i], "--label") == 0)
			label = argv[i + 1];
		else
			ws = NULL, i = argc;
	}
	if (ws == NULL || label == NULL || argc % 2 == 0 || !anx_uuid_valid(ws) ||
		anx_scope_parse(scope_s, &scope) != 0 || strlen(label) < 1 || strlen(label) > 100) {
		fprintf(stderr, "usage: agentnexus-cron create-key --workspace UUID --label TEXT"
				" [--scope agent|admin]\n");
		return 2;
	}
	err = anx_apikey_create(db, ws, scope, label, NULL, key, id);
	if (err != ANX_OK) {
		fprintf(stderr, "create-key: failed (%s)%s\n", anx_err_code(err),
			err == ANX_ERR_INVALID ? ": no such workspace?" : "");
		return 1;
	}
	printf("id=%s\nscope=%s\nkey=%s\n", id, anx_scope_name(scope), key);
	fprintf(stderr, "create-key: store the key now; it cannot be shown again\n");
	anx_secure_zero(key, sizeof(key));
	return 0;
}

int
anx_cmd_revoke_key(struct anx_db *db, int argc, char *argv[])
{
	const char *params[1];
	char ws[37];
	enum anx_err err;

	if (argc != 3 || strcmp(argv[1], "--id") != 0 || !anx_uuid_valid(argv[2])) {
		fprintf(stderr, "usage: agentnexus-cron revoke-key --id UUID\n");
		return 2;
	}
	params[0] = argv[2];
	if ((err = anx_db_value(db, SQL_KEY_WS, 1, params, ws, sizeof(ws))) == ANX_OK)
		err = anx_apikey_revoke(db, ws, argv[2], NULL);
	if (err != ANX_OK) {
		fprintf(stderr, "revoke-key: %s\n",
			err == ANX_ERR_NOT_FOUND ? "no such key, or it is already revoked"
						 : anx_err_code(err));
		return 1;
	}
	printf("revoked %s\n", argv[2]);
	return 0;
}
