/*
 * audit.h - the tamper-evident audit log.
 *
 * anx_audit_record() appends an event inside the caller's transaction; it
 * takes no lock and touches no shared row, so concurrent requests never
 * queue on a chain head. Sealing (hash chaining) happens after commit; see
 * sql/0001_base.sql.
 */
#ifndef ANX_AUDIT_H
#define ANX_AUDIT_H

#include <json-c/json.h>

#include "db.h"

/*
 * Records event_type in workspace_id by actor (actor_type one of user,
 * api_key, system, approver; actor_id may be NULL) about subject (may be
 * NULL), with data (a JSON object, not consumed; NULL = {}). The request
 * id of the current log context is stored with it.
 */
enum anx_err anx_audit_record(struct anx_db *db, const char *workspace_id, const char *actor_type,
	const char *actor_id, const char *event_type, const char *subject_type,
	const char *subject_id, json_object *data);

#endif
