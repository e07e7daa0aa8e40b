-- 0008_dashboard_lists.sql - indexes for the dashboard's audit log filters
-- and the evaluation detail page, and the latest chain verification per
-- workspace.
--
-- The audit log is filtered by actor and by subject (an evaluation's page
-- lists its events) and paged by keyset on (created_at DESC, id DESC), so
-- each filter gets an index in that order (core/audit_list.c picks it).

CREATE INDEX audit_events_ws_actor ON audit_events (workspace_id, actor_id, created_at DESC, id DESC);
-- The event type index gains id, so a type filter pages by keyset without
-- sorting every event of that type.
DROP INDEX audit_events_ws_type;
CREATE INDEX audit_events_ws_type ON audit_events (workspace_id, event_type, created_at DESC, id DESC);
CREATE INDEX audit_events_ws_subject ON audit_events (workspace_id, subject_id, created_at DESC, id DESC);

-- The outcome of the latest "Verify now" (anx_audit_verify) per workspace,
-- shown on the audit page.
CREATE TABLE audit_verifications (
	workspace_id uuid PRIMARY KEY REFERENCES workspaces (id) ON DELETE CASCADE,
	verified_at timestamptz NOT NULL DEFAULT now(),
	verified_by uuid REFERENCES users (id) ON DELETE SET NULL,
	verified bigint NOT NULL CHECK (verified >= 0),
	unsealed bigint NOT NULL CHECK (unsealed >= 0),
	broken boolean NOT NULL,
	first_broken text CHECK (length(first_broken) <= 600),
	ms integer NOT NULL CHECK (ms >= 0)
);
