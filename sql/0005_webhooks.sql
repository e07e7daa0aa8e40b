-- 0005_webhooks.sql - integrator webhook deliveries (an outbox drained by
-- `agentnexus-cron deliver`) and the log of every attempt.
--
-- A delivery is queued in the same transaction as the event it reports,
-- with its payload frozen (payload is the exact body sent) and its
-- Standard Webhooks id (msg_id) fixed for every retry and replay. The
-- worker claims due rows with FOR UPDATE SKIP LOCKED and leases them by
-- moving next_attempt_at to the end of the lease (lease_until, with a
-- lease_token that must still match when the result is recorded), so a
-- worker that dies mid-flight only delays its rows until the lease ends.

CREATE TABLE webhook_deliveries (
	id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	workspace_id uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
	evaluation_id uuid REFERENCES evaluations (id) ON DELETE CASCADE,
	event_type text NOT NULL CHECK (event_type IN ('approval_required', 'terminal_outcome')),
	msg_id text NOT NULL UNIQUE CHECK (msg_id ~ '^msg_[A-Za-z0-9]{1,64}$'),
	url text NOT NULL CHECK (length(url) BETWEEN 1 AND 2048),
	payload text NOT NULL,
	status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'dead')),
	attempts integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
	-- attempts made before the last replay; attempts - retry_base is the
	-- position in the current retry schedule
	retry_base integer NOT NULL DEFAULT 0 CHECK (retry_base >= 0),
	next_attempt_at timestamptz,
	lease_until timestamptz,
	lease_token uuid,
	last_attempt_at timestamptz,
	last_status_code integer,
	last_error text,
	replays integer NOT NULL DEFAULT 0,
	created_at timestamptz NOT NULL DEFAULT now(),
	delivered_at timestamptz,
	dead_at timestamptz,
	CHECK ((status = 'pending') = (next_attempt_at IS NOT NULL))
);
-- The drain: due pending rows in due order.
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at)
	WHERE status = 'pending';
-- Dashboard list (keyset on created_at, id) and the evaluation's deliveries.
CREATE INDEX webhook_deliveries_ws_created ON webhook_deliveries
	(workspace_id, created_at DESC, id DESC);
CREATE INDEX webhook_deliveries_ws_status ON webhook_deliveries
	(workspace_id, status, created_at DESC, id DESC);
CREATE INDEX webhook_deliveries_evaluation ON webhook_deliveries (evaluation_id, created_at);
-- Replay "all failed since T": dead, or pending after a failed attempt.
CREATE INDEX webhook_deliveries_failed ON webhook_deliveries (last_attempt_at)
	WHERE status <> 'delivered' AND attempts > retry_base;

CREATE TABLE webhook_attempts (
	id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	delivery_id uuid NOT NULL REFERENCES webhook_deliveries (id) ON DELETE CASCADE,
	attempt integer NOT NULL CHECK (attempt > 0),
	attempted_at timestamptz NOT NULL,
	status_code integer,
	latency_ms integer NOT NULL CHECK (latency_ms >= 0),
	error text CHECK (length(error) <= 512),
	response_excerpt text CHECK (octet_length(response_excerpt) <= 1024)
);
CREATE INDEX webhook_attempts_delivery ON webhook_attempts (delivery_id, attempt);
