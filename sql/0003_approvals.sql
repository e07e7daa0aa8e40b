-- 0003_approvals.sql - approval stages, the per-approver requests (one
-- link token each, with one-time-code state), round-robin cursors, and
-- reminder bookkeeping.

ALTER TABLE evaluations ADD COLUMN reminded_at timestamptz;
ALTER TABLE evaluations ADD COLUMN current_stage integer;

-- One row per stage of an evaluation that needs approval. Only one stage
-- is 'pending' at a time; later ones wait. approvals counts distinct
-- approvers.
CREATE TABLE approval_stages (
	evaluation_id uuid NOT NULL REFERENCES evaluations (id) ON DELETE CASCADE,
	idx integer NOT NULL CHECK (idx >= 0),
	workspace_id uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
	role text NOT NULL,
	min_approvals integer NOT NULL CHECK (min_approvals > 0),
	otp boolean NOT NULL DEFAULT false,
	assign text NOT NULL CHECK (assign IN ('all', 'round_robin')),
	reassign_after_seconds integer,
	status text NOT NULL CHECK (status IN ('waiting', 'pending', 'approved', 'rejected', 'expired', 'cancelled')),
	approvals integer NOT NULL DEFAULT 0,
	activated_at timestamptz,
	completed_at timestamptz,
	PRIMARY KEY (evaluation_id, idx)
);

-- One row per (stage, approver): the approval link's token (stored only
-- as SHA-256), whether and how they decided, and the one-time code state
-- for OTP stages (code stored as HMAC-SHA256 keyed by APPROVAL_OTP_SECRET).
CREATE TABLE approval_requests (
	id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	evaluation_id uuid NOT NULL REFERENCES evaluations (id) ON DELETE CASCADE,
	stage_idx integer NOT NULL,
	workspace_id uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
	user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	token_hash bytea NOT NULL UNIQUE CHECK (length(token_hash) = 32),
	status text NOT NULL DEFAULT 'open'
		CHECK (status IN ('open', 'approved', 'rejected', 'closed', 'reassigned')),
	asked_at timestamptz NOT NULL DEFAULT now(),
	decided_at timestamptz,
	comment text CHECK (length(comment) <= 2000),
	via text CHECK (via IN ('email', 'dashboard')),
	otp_hash text,
	otp_expires_at timestamptz,
	otp_sent_at timestamptz,
	otp_sends integer NOT NULL DEFAULT 0,
	otp_failures integer NOT NULL DEFAULT 0,
	otp_locked_at timestamptz,
	otp_verified_at timestamptz,
	FOREIGN KEY (evaluation_id, stage_idx) REFERENCES approval_stages (evaluation_id, idx) ON DELETE CASCADE,
	UNIQUE (evaluation_id, stage_idx, user_id)
);
CREATE INDEX approval_requests_inbox ON approval_requests (user_id, status, asked_at DESC);
CREATE INDEX approval_requests_eval ON approval_requests (evaluation_id, stage_idx);
CREATE INDEX approval_requests_rr_due ON approval_requests (asked_at) WHERE status = 'open';

-- Round-robin position per workspace and role: each new activation asks
-- the next holder in a stable order.
CREATE TABLE approval_rr_cursors (
	workspace_id uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
	role text NOT NULL,
	next_index bigint NOT NULL DEFAULT 0,
	PRIMARY KEY (workspace_id, role)
);

CREATE INDEX evaluations_reminder_due ON evaluations (expires_at)
	WHERE status = 'pending' AND reminded_at IS NULL;
