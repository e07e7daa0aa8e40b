-- 0004_email_outbox.sql - outgoing email. A message is inserted in the
-- same transaction as the event that causes it (core/mail.c) and sent by
-- `agentnexus-cron deliver` (core/outbox_email.c): claimed with FOR UPDATE
-- SKIP LOCKED under a lease, sent outside any transaction, then marked
-- sent, retried with backoff, or dead after max_attempts.
--
-- While a worker holds a claim, lease_until and next_attempt_at both hold
-- the end of the lease, so a message whose worker died is simply due
-- again when the lease runs out. attempts counts attempts started.
-- Messages flagged scrub_after_send (one-time codes) have their bodies
-- replaced by '[redacted after delivery]' once sent.

CREATE TABLE email_outbox (
	id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	workspace_id uuid REFERENCES workspaces (id) ON DELETE CASCADE, -- NULL: account mail
	evaluation_id uuid REFERENCES evaluations (id) ON DELETE CASCADE,
	kind text NOT NULL CHECK (kind IN ('approval_request', 'otp', 'reminder', 'outcome',
		'password_reset', 'invitation', 'generic')),
	to_address text NOT NULL CHECK (length(to_address) BETWEEN 3 AND 254 AND to_address LIKE '%_@_%'),
	subject text NOT NULL CHECK (length(subject) BETWEEN 1 AND 998),
	text_body text NOT NULL,
	html_body text,
	status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'dead')),
	attempts integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
	max_attempts integer NOT NULL DEFAULT 8 CHECK (max_attempts BETWEEN 1 AND 100),
	next_attempt_at timestamptz NOT NULL DEFAULT now(),
	lease_until timestamptz,
	last_error text,
	created_at timestamptz NOT NULL DEFAULT now(),
	sent_at timestamptz,
	scrub_after_send boolean NOT NULL DEFAULT false,
	CHECK ((status = 'sent') = (sent_at IS NOT NULL))
);

-- The drain: due pending messages in order.
CREATE INDEX email_outbox_due ON email_outbox (next_attempt_at) WHERE status = 'pending';
-- The dashboard's dev mailbox and per-workspace lists, newest first.
CREATE INDEX email_outbox_ws_created ON email_outbox (workspace_id, created_at DESC, id DESC);
-- Deleting or purging evaluations cascades here without a scan.
CREATE INDEX email_outbox_evaluation ON email_outbox (evaluation_id) WHERE evaluation_id IS NOT NULL;
