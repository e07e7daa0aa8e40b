-- 0011_evaluate_hot_path.sql - less work per POST /api/v1/evaluate.
--
-- Measured with pgbench on the evaluation + audit event statement
-- (synchronous_commit off, 4 clients, 2 cores): the statement-level insert
-- trigger of 0009 cost about a quarter of it (a PL/pgSQL call, a transition
-- table holding the whole new row, two grouped INSERTs); each foreign key
-- check locks the referenced row FOR KEY SHARE, and with every concurrent
-- evaluation locking the same API key and policy rows that means a new
-- MultiXact per insert; each CHECK constraint is parsed again on every
-- execution of the INSERT.
--
-- 1. New evaluations are inserted by exactly one statement
--    (core/evaluation.c, SQL_INSERT), which writes its analytics_deltas row
--    itself (until 0013, where the audit sealer counts them). The insert trigger goes; the UPDATE and DELETE triggers
--    stay (decisions, expiries and purges still produce their deltas).
--    Anything else that inserts evaluations (test and bench seeds) must
--    insert the matching analytics_deltas rows in the same transaction.
DROP TRIGGER evaluations_analytics_insert ON evaluations;
DROP FUNCTION analytics_evaluations_inserted();

-- 2. api_key_id and policy_id keep their values but lose the foreign keys:
--    keys and policy versions are never deleted on their own (keys are
--    revoked, versions are immutable); both go only with their workspace,
--    whose deletion cascades to the evaluations too. The workspace_id
--    foreign key stays.
ALTER TABLE evaluations DROP CONSTRAINT evaluations_api_key_id_fkey;
ALTER TABLE evaluations DROP CONSTRAINT evaluations_policy_id_fkey;

-- 3. The CHECK constraints on evaluations.decision, evaluations.status and
--    audit_events.actor_type become domains: PostgreSQL parses and plans a
--    table's CHECK expressions again on every INSERT statement (about 25 us
--    for the two on evaluations), while a domain's constraints are kept
--    ready in its type cache. The columns stay text to every query. (This
--    rewrites both tables once.)
CREATE DOMAIN anx_decision AS text
	CHECK (VALUE IN ('allow', 'deny', 'approval_required'));
CREATE DOMAIN anx_evaluation_status AS text
	CHECK (VALUE IN ('allowed', 'denied', 'pending', 'approved', 'rejected', 'expired'));
CREATE DOMAIN anx_actor_type AS text
	CHECK (VALUE IN ('user', 'api_key', 'system', 'approver'));
ALTER TABLE evaluations DROP CONSTRAINT evaluations_decision_check;
ALTER TABLE evaluations DROP CONSTRAINT evaluations_status_check;
ALTER TABLE evaluations ALTER COLUMN decision TYPE anx_decision,
	ALTER COLUMN status TYPE anx_evaluation_status;
ALTER TABLE audit_events DROP CONSTRAINT audit_events_actor_type_check;
ALTER TABLE audit_events ALTER COLUMN actor_type TYPE anx_actor_type;

-- 4. evaluations and audit_events lose their workspace foreign key too:
--    each check locked the workspace row FOR KEY SHARE, and every
--    concurrent evaluation of a workspace locks the same row, so each one
--    created a new MultiXact. Deleting a workspace still removes them, by
--    this trigger instead of the cascade. A statement that was already
--    inserting when the workspace went can commit a row after the trigger
--    ran; every deleted workspace keeps a tombstone, and
--    `agentnexus-cron deliver` sweeps such stragglers for the tombstones of
--    the last day (core/workspace_sweep.c).
ALTER TABLE evaluations DROP CONSTRAINT evaluations_workspace_id_fkey;
ALTER TABLE audit_events DROP CONSTRAINT audit_events_workspace_id_fkey;
CREATE INDEX workspace_tombstones_recent ON workspace_tombstones (deleted_at);

CREATE FUNCTION workspaces_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	INSERT INTO workspace_tombstones (workspace_id, name)
	SELECT id, name FROM deleted_workspaces ON CONFLICT (workspace_id) DO NOTHING;
	DELETE FROM evaluations WHERE workspace_id IN (SELECT id FROM deleted_workspaces);
	DELETE FROM audit_events WHERE workspace_id IN (SELECT id FROM deleted_workspaces);
	RETURN NULL;
END $$;
CREATE TRIGGER workspaces_deleted AFTER DELETE ON workspaces
	REFERENCING OLD TABLE AS deleted_workspaces
	FOR EACH STATEMENT EXECUTE FUNCTION workspaces_deleted();

-- 5. The reminder job reads pending evaluations through
--    evaluations_pending_expiry (pending rows are few); this narrower copy
--    of it only cost every insert a predicate check.
DROP INDEX evaluations_reminder_due;

-- 6. The retention purge finds old evaluations per workspace through
--    evaluations_ws_created (core/retention.c), so every allowed or denied
--    evaluation no longer pays for an index on created_at alone.
DROP INDEX evaluations_terminal_age;

-- 7. The list indexes of evaluations and audit_events were declared
--    (…, created_at DESC, id DESC). Every new row is then the smallest key
--    of its group, and a B-tree page that fills at its left edge splits in
--    half: measured, 17 % of the WAL of an evaluation was page splits and
--    the indexes stayed half empty. Ascending, new rows land at the right
--    edge of their group, where PostgreSQL splits pages to leave them full;
--    the lists read them backwards for "newest first" just as fast.
DROP INDEX evaluations_ws_created;
DROP INDEX evaluations_ws_status;
DROP INDEX evaluations_ws_decision;
DROP INDEX evaluations_ws_action;
DROP INDEX evaluations_ws_agent;
DROP INDEX evaluations_ws_rule;
CREATE INDEX evaluations_ws_created ON evaluations (workspace_id, created_at, id);
CREATE INDEX evaluations_ws_status ON evaluations (workspace_id, status, created_at, id);
CREATE INDEX evaluations_ws_action ON evaluations (workspace_id, action, created_at, id);
CREATE INDEX evaluations_ws_agent ON evaluations (workspace_id, agent_id, created_at, id);
CREATE INDEX evaluations_ws_rule ON evaluations (workspace_id, matched_rule, created_at, id);
-- The decision filter needs no index of its own: allow and deny each have
-- one status (evaluations_ws_status), and approval_required, the minority,
-- gets a partial index that other evaluations do not enter.
CREATE INDEX evaluations_ws_approval ON evaluations (workspace_id, created_at, id)
	WHERE decision = 'approval_required';
DROP INDEX audit_events_ws_time;
DROP INDEX audit_events_ws_type;
DROP INDEX audit_events_ws_actor;
DROP INDEX audit_events_ws_subject;
CREATE INDEX audit_events_ws_time ON audit_events (workspace_id, created_at, id);
CREATE INDEX audit_events_ws_type ON audit_events (workspace_id, event_type, created_at, id);
CREATE INDEX audit_events_ws_actor ON audit_events (workspace_id, actor_id, created_at, id);
CREATE INDEX audit_events_ws_subject ON audit_events (workspace_id, subject_id, created_at, id);
