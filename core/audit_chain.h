/*
 * audit_chain.h - sealing and verifying the per-workspace hash chain of
 * audit events.
 *
 * Requests insert events without locks (audit.h). The sealer picks
 * unsealed events whose transaction id is below pg_snapshot_xmin of the
 * current snapshot - no transaction still running, or started later, can
 * add a row below that watermark - and chains them per workspace in
 * (txid, id) order:
 *
 *   seq  = previous seq + 1 (first event: 1)
 *   hash = SHA-256(prev_hash || JCS(canonical event))   prev_hash of the
 *          first event is 32 zero bytes
 *
 * The canonical event is the JSON object {id, workspace_id, seq,
 * created_at (UTC, microseconds, "YYYY-MM-DDTHH:MM:SS.ffffffZ"),
 * actor_type, actor_id, event_type, subject_type, subject_id, data,
 * request_id}, serialised with RFC 8785 (JCS). One sealer runs at a time
 * (transaction-level advisory lock), so the chain cannot fork.
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
	long long unsealed;     /* events not sealed yet */
	int broken;             /* 1 if a link is broken */
	char first_broken[512]; /* "workspace …: event id … (seq …): reason" */
};

/* Walks the chain of workspace_id (NULL: every workspace) and fills rep.
 * Returns ANX_OK when the walk completed (even if a link is broken). */
enum anx_err anx_audit_verify(
	struct anx_db *db, const char *workspace_id, struct anx_audit_report *rep);

#endif
