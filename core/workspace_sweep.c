/*
 * workspace_sweep.c - removes rows left behind by a deleted workspace; see
 * workspace_sweep.h.
 */
#include "workspace_sweep.h"

#include <stdlib.h>

/* Each DELETE probes the workspace's list index once per recent tombstone;
 * the evaluations' dependants (approval stages, requests, receipts, mail,
 * deliveries) go with them by their own foreign keys. */
static const char SQL_SWEEP[] =
	"WITH gone AS (SELECT workspace_id FROM workspace_tombstones"
	"  WHERE deleted_at > now() - interval '1 day'),"
	" e AS (DELETE FROM evaluations WHERE workspace_id IN (SELECT workspace_id FROM gone)"
	"  RETURNING 1),"
	" a AS (DELETE FROM audit_events WHERE workspace_id IN (SELECT workspace_id FROM gone)"
	"  RETURNING 1)"
	" SELECT (SELECT count(*) FROM e) + (SELECT count(*) FROM a)";

enum anx_err
anx_workspace_sweep(struct anx_db *db, int *removed)
{
	char n[24];
	enum anx_err err;

	*removed = 0;
	if ((err = anx_db_value(db, SQL_SWEEP, 0, NULL, n, sizeof(n))) != ANX_OK)
		return err;
	*removed = atoi(n);
	return ANX_OK;
}
