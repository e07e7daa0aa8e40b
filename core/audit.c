/*
 * audit.c - appending audit events; see audit.h.
 */
#include "audit.h"

#include <stdlib.h>

#include "json.h"
#include "log.h"

static const char SQL_INSERT[] =
	"INSERT INTO audit_events (workspace_id, actor_type, actor_id, event_type,"
	" subject_type, subject_id, data, request_id)"
	" VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, NULLIF($8, ''))";

enum anx_err
anx_audit_record(struct anx_db *db, const char *workspace_id, const char *actor_type,
	const char *actor_id, const char *event_type, const char *subject_type,
	const char *subject_id, json_object *data)
{
	const char *params[8];
	char *json = NULL;
	enum anx_err err;

	if (data != NULL && (json = anx_json_dump(data, NULL)) == NULL)
		return ANX_ERR_NOMEM;
	params[0] = workspace_id;
	params[1] = actor_type;
	params[2] = actor_id;
	params[3] = event_type;
	params[4] = subject_type;
	params[5] = subject_id;
	params[6] = json ? json : "{}";
	params[7] = anx_log_request_id();
	err = anx_db_exec(db, SQL_INSERT, 8, params, NULL);
	free(json);
	return err;
}
