-- 0006_sessions.sql - dashboard accounts: server-side sessions, password
-- reset links, workspace invitations, the per-account login throttle, and
-- tombstones of deleted workspaces.
--
-- Every secret that reaches a browser or an inbox (session id, reset and
-- invitation tokens: 256 random bits each) is stored only as its SHA-256.

-- One row per signed-in browser. The cookie holds the random id; the row
-- holds SHA-256(id). A session ends at the first of: expires_at (absolute
-- lifetime, fixed at creation), last_seen_at + the idle timeout (checked by
-- the application, refreshed at most once a minute), or revoked_at (logout,
-- password change or reset). workspace_id is the dashboard's current
-- workspace; flash is a one-shot message shown on the next page.
CREATE TABLE sessions (
	id_hash bytea PRIMARY KEY CHECK (length(id_hash) = 32),
	user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	created_at timestamptz NOT NULL DEFAULT now(),
	last_seen_at timestamptz NOT NULL DEFAULT now(),
	expires_at timestamptz NOT NULL,
	revoked_at timestamptz,
	workspace_id uuid REFERENCES workspaces (id) ON DELETE SET NULL,
	flash_kind text CHECK (flash_kind IN ('success', 'error', 'info')),
	flash text CHECK (length(flash) <= 500),
	user_agent text CHECK (length(user_agent) <= 300),
	remote_addr text CHECK (length(remote_addr) <= 64)
);
CREATE INDEX sessions_user ON sessions (user_id) WHERE revoked_at IS NULL;
CREATE INDEX sessions_expires ON sessions (expires_at);

-- Password reset links: single use, one hour. Using one marks every open
-- link of the user used.
CREATE TABLE password_resets (
	id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	token_hash bytea NOT NULL UNIQUE CHECK (length(token_hash) = 32),
	created_at timestamptz NOT NULL DEFAULT now(),
	expires_at timestamptz NOT NULL,
	used_at timestamptz,
	remote_addr text CHECK (length(remote_addr) <= 64)
);
CREATE INDEX password_resets_user ON password_resets (user_id, created_at DESC);

-- Invitations to a workspace by email, with the dashboard role and the
-- approval roles the member gets on accepting. At most one open invitation
-- per workspace and address: inviting again replaces it.
CREATE TABLE invitations (
	id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	workspace_id uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
	email text NOT NULL CHECK (length(email) BETWEEN 3 AND 254 AND email LIKE '%_@_%'),
	role text NOT NULL CHECK (role IN ('owner', 'admin', 'viewer')),
	approval_roles text[] NOT NULL DEFAULT '{}',
	token_hash bytea NOT NULL UNIQUE CHECK (length(token_hash) = 32),
	invited_by uuid REFERENCES users (id) ON DELETE SET NULL,
	created_at timestamptz NOT NULL DEFAULT now(),
	expires_at timestamptz NOT NULL,
	accepted_at timestamptz,
	accepted_by uuid REFERENCES users (id) ON DELETE SET NULL,
	revoked_at timestamptz
);
CREATE UNIQUE INDEX invitations_open ON invitations (workspace_id, lower(email))
	WHERE accepted_at IS NULL AND revoked_at IS NULL;
CREATE INDEX invitations_ws ON invitations (workspace_id, created_at DESC);

-- Failed sign-ins per account name, keyed by SHA-256(lower(email)) whether
-- or not such a user exists, so the throttle (and its message) reveals
-- nothing about which accounts exist. From the fifth failure within an
-- hour the account name is locked with an exponential backoff (30 s,
-- doubling, at most 15 minutes); a success clears the row. This replaces
-- users.failed_logins / users.locked_until, which only exist for real
-- accounts.
CREATE TABLE login_throttle (
	account_hash bytea PRIMARY KEY CHECK (length(account_hash) = 32),
	failures integer NOT NULL DEFAULT 0,
	last_failure_at timestamptz NOT NULL DEFAULT now(),
	locked_until timestamptz
);
CREATE INDEX login_throttle_age ON login_throttle (last_failure_at);

-- A deleted workspace takes its audit log with it (ON DELETE CASCADE), so
-- the deletion itself is recorded here.
CREATE TABLE workspace_tombstones (
	workspace_id uuid PRIMARY KEY,
	name text NOT NULL,
	deleted_by uuid REFERENCES users (id) ON DELETE SET NULL,
	deleted_by_email text,
	deleted_at timestamptz NOT NULL DEFAULT now(),
	counts jsonb NOT NULL DEFAULT '{}',
	request_id text
);
