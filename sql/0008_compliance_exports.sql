-- 0008_compliance_exports.sql - compliance report jobs (core/compliance.c).
--
-- The dashboard inserts a queued row; `agentnexus-cron deliver` claims it
-- (FOR UPDATE SKIP LOCKED, under a lease so a job whose worker died runs
-- again, at most three times), reports progress in the row as it goes,
-- and stores the finished ZIP or PDF in it. The browser polls the row's
-- progress. Files are deleted (file = NULL) after seven days; the row
-- stays as the record of who exported what.

CREATE TABLE compliance_exports (
	id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	workspace_id uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
	requested_by uuid REFERENCES users (id) ON DELETE SET NULL,
	kind text NOT NULL CHECK (kind IN ('zip', 'pdf')),
	period_from date NOT NULL,
	period_to date NOT NULL,
	status text NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'running', 'done', 'failed')),
	progress integer NOT NULL DEFAULT 0 CHECK (progress BETWEEN 0 AND 100),
	message text NOT NULL DEFAULT 'Waiting for a worker' CHECK (length(message) <= 300),
	attempts integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
	lease_until timestamptz,
	filename text CHECK (length(filename) <= 128),
	content_type text,
	file bytea,
	file_bytes bigint,
	file_sha256 text,
	created_at timestamptz NOT NULL DEFAULT now(),
	started_at timestamptz,
	finished_at timestamptz,
	CHECK (period_from <= period_to)
);
-- The claim: queued jobs, and running ones whose lease ran out.
CREATE INDEX compliance_exports_due ON compliance_exports (created_at)
	WHERE status IN ('queued', 'running');
-- The dashboard's list, and "one active export per person".
CREATE INDEX compliance_exports_ws ON compliance_exports (workspace_id, created_at DESC);
-- The cleanup of old files.
CREATE INDEX compliance_exports_files ON compliance_exports (finished_at)
	WHERE file IS NOT NULL;

-- The approvals sample of a report reads a workspace's requests by time.
CREATE INDEX approval_requests_ws_asked ON approval_requests (workspace_id, asked_at DESC);
