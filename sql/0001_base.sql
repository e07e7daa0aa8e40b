-- 0001_base.sql - accounts, workspaces, members and roles, API keys, and the
-- audit log. Later migrations add policies, evaluations, approvals, the
-- outbox and deliveries.

CREATE TABLE users (
	id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	email text NOT NULL CHECK (length(email) BETWEEN 3 AND 254 AND email LIKE '%_@_%'),
	display_name text NOT NULL DEFAULT '' CHECK (length(display_name) <= 100),
	password_hash text NOT NULL,
	created_at timestamptz NOT NULL DEFAULT now(),
	password_changed_at timestamptz NOT NULL DEFAULT now(),
	failed_logins integer NOT NULL DEFAULT 0,
	locked_until timestamptz,
	disabled_at timestamptz
);
CREATE UNIQUE INDEX users_email_key ON users (lower(email));

CREATE TABLE workspaces (
	id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	name text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
	created_by uuid REFERENCES users (id) ON DELETE SET NULL,
	created_at timestamptz NOT NULL DEFAULT now(),
	archived_at timestamptz
);

-- Dashboard role (owner/admin/viewer) plus free-form approval roles such as
-- "manager" or "finance" that policy stages name.
CREATE TABLE workspace_members (
	workspace_id uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
	user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	role text NOT NULL CHECK (role IN ('owner', 'admin', 'viewer')),
	approval_roles text[] NOT NULL DEFAULT '{}',
	created_at timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (workspace_id, user_id)
);
CREATE INDEX workspace_members_user ON workspace_members (user_id);
CREATE INDEX workspace_members_approval_roles ON workspace_members USING gin (approval_roles);

-- API keys: only the SHA-256 of the key is stored, with a short display
-- prefix. last_used_at is refreshed at most once a minute per key.
CREATE TABLE api_keys (
	id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	workspace_id uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
	key_hash bytea NOT NULL UNIQUE CHECK (length(key_hash) = 32),
	prefix text NOT NULL,
	label text NOT NULL CHECK (length(label) BETWEEN 1 AND 100),
	scope text NOT NULL CHECK (scope IN ('agent', 'admin')),
	created_by uuid REFERENCES users (id) ON DELETE SET NULL,
	created_at timestamptz NOT NULL DEFAULT now(),
	last_used_at timestamptz,
	revoked_at timestamptz
);
CREATE INDEX api_keys_workspace ON api_keys (workspace_id, created_at DESC);

-- Audit events are inserted in the same transaction as the change they
-- record, without touching any shared row. A sealer chains them per
-- workspace after commit: rows whose transaction id is below the oldest
-- running transaction (pg_snapshot_xmin) can no longer gain neighbours, so
-- they are sealed in (txid, id) order: seq, prev_hash and
-- hash = SHA-256(prev_hash || canonical event).
CREATE TABLE audit_events (
	id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	workspace_id uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
	created_at timestamptz NOT NULL DEFAULT now(),
	txid xid8 NOT NULL DEFAULT pg_current_xact_id(),
	actor_type text NOT NULL CHECK (actor_type IN ('user', 'api_key', 'system', 'approver')),
	actor_id text,
	event_type text NOT NULL,
	subject_type text,
	subject_id text,
	data jsonb NOT NULL DEFAULT '{}',
	request_id text,
	seq bigint,
	prev_hash bytea,
	hash bytea,
	sealed_at timestamptz
);
CREATE INDEX audit_events_unsealed ON audit_events (txid, id) WHERE hash IS NULL;
CREATE UNIQUE INDEX audit_events_chain ON audit_events (workspace_id, seq);
CREATE INDEX audit_events_ws_time ON audit_events (workspace_id, created_at DESC, id DESC);
CREATE INDEX audit_events_ws_type ON audit_events (workspace_id, event_type, created_at DESC);

CREATE TABLE audit_chain_heads (
	workspace_id uuid PRIMARY KEY REFERENCES workspaces (id) ON DELETE CASCADE,
	seq bigint NOT NULL,
	hash bytea NOT NULL,
	updated_at timestamptz NOT NULL DEFAULT now()
);

-- Per-workspace integrator settings: webhook signing secret (whsec_…) with
-- the previous one kept for overlap during rotation, and an optional
-- hostname allowlist for webhook URLs.
CREATE TABLE workspace_integration_settings (
	workspace_id uuid PRIMARY KEY REFERENCES workspaces (id) ON DELETE CASCADE,
	webhook_secret text NOT NULL,
	previous_webhook_secret text,
	previous_secret_expires_at timestamptz,
	webhook_allowed_hostnames text[] NOT NULL DEFAULT '{}',
	replay_admin_only boolean NOT NULL DEFAULT false,
	updated_at timestamptz NOT NULL DEFAULT now()
);
