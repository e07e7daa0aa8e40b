/*
 * cmd_replay.c - `agentnexus-cron replay`: send webhook deliveries again,
 * by id or every one that failed since a time, keeping their webhook-id
 * and payload (docs/WEBHOOKS.md "Replay"). The worker (`deliver`) sends
 * them; this only makes them due now.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "cron.h"
#include "webhook.h"

static int
usage(void)
{
	fprintf(stderr,
		"usage: agentnexus-cron replay --id UUID [--id UUID ...] [--workspace UUID]\n"
		"       agentnexus-cron replay --failed-since ISO8601 [--workspace UUID]\n");
	return 2;
}

int
anx_cmd_replay(struct anx_db *db, int argc, char *argv[])
{
	const char **ids = NULL, *since = NULL, *ws = NULL;
	json_object *replayed = NULL;
	size_t n = 0;
	int count = 0, rc = 2;
	enum anx_err err;

	if ((ids = calloc((size_t)argc, sizeof(*ids))) == NULL)
		return 1;
	for (int i = 1; i < argc; i += 2) {
		if (i + 1 >= argc)
			goto out;
		if (strcmp(argv[i], "--id") == 0 && anx_uuid_valid(argv[i + 1]))
			ids[n++] = argv[i + 1];
		else if (strcmp(argv[i], "--failed-since") == 0 && since == NULL &&
			 anx_webhook_time_valid(argv[i + 1]))
			since = argv[i + 1];
		else if (strcmp(argv[i], "--workspace") == 0 && ws == NULL &&
			 anx_uuid_valid(argv[i + 1]))
			ws = argv[i + 1];
		else
			goto out;
	}
	if ((n == 0) == (since == NULL) || n > ANX_WEBHOOK_REPLAY_MAX)
		goto out;
	err = anx_webhook_replay_by(
		db, ws, n ? ids : NULL, n, since, "system", "cron", &count, &replayed);
	if (err != ANX_OK) {
		fprintf(stderr, "replay: failed (%s)\n", anx_err_code(err));
		rc = 1;
		goto out;
	}
	printf("replayed=%d\n", count);
	for (size_t i = 0; i < json_object_array_length(replayed); i++)
		printf("%s\n", json_object_get_string(json_object_array_get_idx(replayed, i)));
	if (count == ANX_WEBHOOK_REPLAY_MAX && since)
		fprintf(stderr, "replay: limit of %d reached; run again for more\n",
			ANX_WEBHOOK_REPLAY_MAX);
	rc = 0;
out:
	if (rc == 2)
		usage();
	json_object_put(replayed);
	free(ids);
	return rc;
}
