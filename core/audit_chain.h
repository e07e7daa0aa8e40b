/*
 * audit_chain.h - sealing and verifying the per-workspace hash chain of
 * audit events.
 *
 * Requests insert events without locks (audit.h) and never update them.
 * The sealer picks the events after its cursor (audit_seal_cursor: the
 * (txid, id) of the last sealed event) whose transaction id is below
 * pg_snapshot_xmin of the current snapshot - no transaction still running,
 * or started later, can add a row below that watermark - and chains them
 * per workspace in (txid, id) order, one audit_seals row per event:
 *
 *   seq  = previous seq + 1 (first event: 1)
 *   hash = SHA-256(prev_hash || JCS(canonical event))   prev_hash of the
 *          first event is 32 zero bytes
 *
 * The canonical event is the JSON object {id, workspace_id, seq,
 * created_at (UTC, microseconds, "YYYY-MM-DDTHH:MM:SS.ffffffZ"),
 * actor_type, actor_id, event_type, subject_type, subject_id, data,
 * request_id}, serialised with RFC 8785 (JCS). So the sealed events are a
 * prefix of all events in (txid, id) order and the ones after the cursor
 * are the ones not sealed yet. One sealer runs at a time
 * (transaction-level advisory lock), so the chain cannot fork; seals, the
 * chain heads and the cursor move in one transaction.
 */
#ifndef ANX_AUDIT_CHAIN_H
#define ANX_AUDIT_CHAIN_H

#include <stddef.h>

#include "db.h"

#define ANX_SEAL_BATCH 2000

/* Seals up to ANX_SEAL_BATCH events. *sealed receives the count (0 also
 * when another sealer holds the lock). */
enum anx_err anx_audit_seal(struct anx_db *db, int *sealed);

struct anx_audit_report {
	long long workspaces;   /* chains walked */
	long long verified;     /* events whose links check out */
	long long unsealed;     /* events without a seal */
	int broken;             /* 1 if a link is broken */
	char first_broken[512]; /* "workspace …: event id … (seq …): reason" */
};

/*
 * Walks the seals of workspace_id (NULL: every workspace) in seq order,
 * each with its event, from genesis or the retention anchor, on one
 * snapshot (its own read-only transaction; must not be called inside
 * anx_db_tx). Broken: an event altered (hash mismatch) or deleted (a seal
 * without its event), a seal altered, deleted (sequence gap) or repeated,
 * a chain head that is not the last seal, an event without a seal behind
 * the sealer's cursor (it would never be sealed). Fills rep; returns
 * ANX_OK when the walk completed (even if a link is broken).
 */
enum anx_err anx_audit_verify(
	struct anx_db *db, const char *workspace_id, struct anx_audit_report *rep);

#endif
