-- 0007_retention.sql - retention purges keep the audit chain verifiable:
-- before the oldest sealed events of a workspace are deleted, the last
-- deleted event's seq and hash are kept as the chain's anchor, and
-- verification starts from there instead of from genesis.

CREATE TABLE audit_chain_anchors (
	workspace_id uuid PRIMARY KEY REFERENCES workspaces (id) ON DELETE CASCADE,
	seq bigint NOT NULL,
	hash bytea NOT NULL,
	purged_before timestamptz NOT NULL,
	updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX evaluations_terminal_age ON evaluations (created_at)
	WHERE status <> 'pending';
CREATE INDEX audit_events_sealed_age ON audit_events (workspace_id, seq)
	WHERE hash IS NOT NULL;
