-- 0002_agent_api.sql - policies (immutable versions), evaluations with
-- idempotency, and receipts.

CREATE TABLE policy_versions (
	id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	workspace_id uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
	version integer NOT NULL CHECK (version > 0),
	document jsonb NOT NULL,
	source text NOT NULL,
	created_by_user uuid REFERENCES users (id) ON DELETE SET NULL,
	created_by_key uuid REFERENCES api_keys (id) ON DELETE SET NULL,
	created_at timestamptz NOT NULL DEFAULT now(),
	UNIQUE (workspace_id, version)
);

-- Published versions never change.
CREATE FUNCTION policy_versions_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	RAISE EXCEPTION 'policy versions are immutable' USING ERRCODE = '55000';
END $$;
CREATE TRIGGER policy_versions_no_update BEFORE UPDATE ON policy_versions
	FOR EACH ROW EXECUTE FUNCTION policy_versions_immutable();

ALTER TABLE workspaces ADD COLUMN current_policy_id uuid REFERENCES policy_versions (id);

-- One row per evaluate call. The request's fields are kept so a decision
-- can be explained and replayed (policy simulate), with the policy version
-- and matched rule that decided it. With an Idempotency-Key the exact
-- response body is stored so a replay returns it byte for byte.
CREATE TABLE evaluations (
	id uuid PRIMARY KEY,
	workspace_id uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
	api_key_id uuid REFERENCES api_keys (id) ON DELETE SET NULL,
	created_at timestamptz NOT NULL,
	action text NOT NULL,
	agent_id text,
	resource text,
	amount numeric,
	currency text,
	summary text,
	context jsonb NOT NULL DEFAULT '{}',
	webhook_url text,
	policy_id uuid REFERENCES policy_versions (id) ON DELETE SET NULL,
	policy_version integer,
	matched_rule text,
	matched_rule_index integer,
	reason text NOT NULL,
	decision text NOT NULL CHECK (decision IN ('allow', 'deny', 'approval_required')),
	status text NOT NULL CHECK (status IN ('allowed', 'denied', 'pending', 'approved', 'rejected', 'expired')),
	action_hash text NOT NULL,
	approval jsonb,
	expires_at timestamptz,
	decided_at timestamptz,
	idempotency_key text,
	idempotency_fingerprint text,
	response_body text
);
CREATE UNIQUE INDEX evaluations_idempotency ON evaluations (workspace_id, idempotency_key)
	WHERE idempotency_key IS NOT NULL;
-- Keyset pagination for the dashboard list and its filters.
CREATE INDEX evaluations_ws_created ON evaluations (workspace_id, created_at DESC, id DESC);
CREATE INDEX evaluations_ws_status ON evaluations (workspace_id, status, created_at DESC, id DESC);
CREATE INDEX evaluations_ws_decision ON evaluations (workspace_id, decision, created_at DESC, id DESC);
CREATE INDEX evaluations_ws_action ON evaluations (workspace_id, action, created_at DESC, id DESC);
CREATE INDEX evaluations_ws_agent ON evaluations (workspace_id, agent_id, created_at DESC, id DESC);
CREATE INDEX evaluations_ws_rule ON evaluations (workspace_id, matched_rule, created_at DESC, id DESC);
CREATE INDEX evaluations_pending_expiry ON evaluations (expires_at) WHERE status = 'pending';
CREATE INDEX evaluations_idempotency_age ON evaluations (created_at)
	WHERE idempotency_key IS NOT NULL;

-- What the agent reports it actually did. First receipt wins; an identical
-- replay returns the stored response, a different one is a conflict.
CREATE TABLE receipts (
	evaluation_id uuid PRIMARY KEY REFERENCES evaluations (id) ON DELETE CASCADE,
	workspace_id uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
	outcome text NOT NULL CHECK (outcome IN ('succeeded', 'failed', 'skipped')),
	details jsonb,
	action_hash text,
	hash_match boolean,
	fingerprint text NOT NULL,
	response_body text NOT NULL,
	api_key_id uuid REFERENCES api_keys (id) ON DELETE SET NULL,
	created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX receipts_ws_created ON receipts (workspace_id, created_at DESC);
CREATE INDEX receipts_mismatch ON receipts (workspace_id, created_at DESC) WHERE hash_match = false;
