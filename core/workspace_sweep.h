/*
 * workspace_sweep.h - removes rows left behind by a deleted workspace.
 *
 * evaluations and audit_events have no foreign key to workspaces (see
 * sql/0011_evaluate_hot_path.sql): deleting a workspace removes them by
 * trigger, and a statement that was inserting at that moment may still
 * commit a row afterwards. The sweep deletes such rows for the workspaces
 * deleted in the last day (their tombstones).
 */
#ifndef ANX_WORKSPACE_SWEEP_H
#define ANX_WORKSPACE_SWEEP_H

#include "db.h"

/* One sweep; *removed = rows deleted (0 almost always). A job of
 * `agentnexus-cron deliver`. */
enum anx_err anx_workspace_sweep(struct anx_db *db, int *removed);

#endif
