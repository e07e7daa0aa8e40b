-- 0009_analytics_rollup.sql - daily rollups for the governance analytics
-- page (core/analytics.c), so it stays fast with millions of evaluations
-- in a workspace.
--
-- Measured at one million evaluations in one workspace (90 days): a
-- 30-day GROUP BY over evaluations takes 0.3-0.8 s, the median/p90 of
-- 95k decided approval flows 0.1-0.25 s, decisions per approver 50 ms.
-- So each is counted as it happens instead:
--
--   analytics_daily          evaluations per UTC day of created_at, by
--                            decision, status, action and matched rule
--                            ('' for the policy default)
--   analytics_latency_daily  decided (approved/rejected) approval flows
--                            per UTC day of decided_at, by log-scale
--                            bucket of decided_at - created_at
--                            (analytics_latency_bucket: 12 per factor e,
--                            so a bucket is 8.7 % wide; bucket 0 holds
--                            everything under a second)
--   analytics_approver_daily approval requests decided (approved or
--                            rejected) per UTC day of decided_at, by
--                            approver and status
--
-- Statement-level triggers record what each INSERT, UPDATE or DELETE
-- changed as signed counts in the matching *_deltas table. Those are
-- append-only, so concurrent evaluate requests never wait on a shared
-- counter row. `agentnexus-cron deliver` folds the deltas into the
-- rollups every round (anx_analytics_fold). Readers add the rollup and the
-- deltas not folded yet, so the numbers are exact at every moment.
--
-- The delta tables have no foreign keys: deleting a workspace (or a user)
-- cascades to rows whose triggers still write deltas for it; the fold
-- drops deltas of workspaces that no longer exist. Rollup rows whose count
-- went back to 0 (an evaluation moved from pending to approved) stay;
-- there are few per day.

CREATE FUNCTION analytics_latency_bucket(seconds double precision) RETURNS smallint
	LANGUAGE sql IMMUTABLE PARALLEL SAFE
	RETURN least(255, greatest(0, floor(12 * ln(greatest(seconds, 1)))))::smallint;

CREATE TABLE analytics_daily (
	workspace_id uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
	day date NOT NULL,
	decision text NOT NULL,
	status text NOT NULL,
	action text NOT NULL,
	matched_rule text NOT NULL,
	n bigint NOT NULL,
	PRIMARY KEY (workspace_id, day, decision, status, action, matched_rule)
);
CREATE TABLE analytics_deltas (
	id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	workspace_id uuid NOT NULL,
	day date NOT NULL,
	decision text NOT NULL,
	status text NOT NULL,
	action text NOT NULL,
	matched_rule text NOT NULL,
	n bigint NOT NULL
);
CREATE INDEX analytics_deltas_ws_day ON analytics_deltas (workspace_id, day);

CREATE TABLE analytics_latency_daily (
	workspace_id uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
	day date NOT NULL,
	bucket smallint NOT NULL,
	n bigint NOT NULL,
	PRIMARY KEY (workspace_id, day, bucket)
);
CREATE TABLE analytics_latency_deltas (
	id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	workspace_id uuid NOT NULL,
	day date NOT NULL,
	bucket smallint NOT NULL,
	n bigint NOT NULL
);
CREATE INDEX analytics_latency_deltas_ws_day ON analytics_latency_deltas (workspace_id, day);

CREATE TABLE analytics_approver_daily (
	workspace_id uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
	day date NOT NULL,
	user_id uuid NOT NULL, -- no foreign key: a removed account's decisions still count
	status text NOT NULL,
	n bigint NOT NULL,
	PRIMARY KEY (workspace_id, day, user_id, status)
);
CREATE TABLE analytics_approver_deltas (
	id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	workspace_id uuid NOT NULL,
	day date NOT NULL,
	user_id uuid NOT NULL,
	status text NOT NULL,
	n bigint NOT NULL
);
CREATE INDEX analytics_approver_deltas_ws_day ON analytics_approver_deltas (workspace_id, day);

CREATE FUNCTION analytics_evaluations_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	INSERT INTO analytics_deltas (workspace_id, day, decision, status, action, matched_rule, n)
	SELECT workspace_id, (created_at AT TIME ZONE 'UTC')::date, decision, status, action,
		coalesce(matched_rule, ''), count(*)
	FROM analytics_new GROUP BY 1, 2, 3, 4, 5, 6;
	INSERT INTO analytics_latency_deltas (workspace_id, day, bucket, n)
	SELECT workspace_id, (decided_at AT TIME ZONE 'UTC')::date,
		analytics_latency_bucket(extract(epoch FROM decided_at - created_at)), count(*)
	FROM analytics_new
	WHERE decision = 'approval_required' AND status IN ('approved', 'rejected')
		AND decided_at IS NOT NULL
	GROUP BY 1, 2, 3;
	RETURN NULL;
END $$;

CREATE FUNCTION analytics_evaluations_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	INSERT INTO analytics_deltas (workspace_id, day, decision, status, action, matched_rule, n)
	SELECT workspace_id, (created_at AT TIME ZONE 'UTC')::date, decision, status, action,
		coalesce(matched_rule, ''), -count(*)
	FROM analytics_old GROUP BY 1, 2, 3, 4, 5, 6;
	INSERT INTO analytics_latency_deltas (workspace_id, day, bucket, n)
	SELECT workspace_id, (decided_at AT TIME ZONE 'UTC')::date,
		analytics_latency_bucket(extract(epoch FROM decided_at - created_at)), -count(*)
	FROM analytics_old
	WHERE decision = 'approval_required' AND status IN ('approved', 'rejected')
		AND decided_at IS NOT NULL
	GROUP BY 1, 2, 3;
	RETURN NULL;
END $$;

-- Fires for every UPDATE statement on evaluations (a trigger with
-- transition tables cannot name columns); only rows whose counted columns
-- changed produce deltas, and most updates (reminders, stage moves)
-- produce none.
CREATE FUNCTION analytics_evaluations_updated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	WITH moved AS (
		SELECT o.workspace_id AS o_ws, o.created_at AS o_created, o.decision AS o_decision,
			o.status AS o_status, o.action AS o_action, coalesce(o.matched_rule, '') AS o_rule,
			o.decided_at AS o_decided,
			w.workspace_id AS w_ws, w.created_at AS w_created, w.decision AS w_decision,
			w.status AS w_status, w.action AS w_action, coalesce(w.matched_rule, '') AS w_rule,
			w.decided_at AS w_decided
		FROM analytics_old o JOIN analytics_new w ON w.id = o.id
		WHERE (o.workspace_id, o.created_at, o.decision, o.status, o.action, o.matched_rule,
				o.decided_at)
			IS DISTINCT FROM (w.workspace_id, w.created_at, w.decision, w.status, w.action,
				w.matched_rule, w.decided_at)
	), counts AS (
		INSERT INTO analytics_deltas (workspace_id, day, decision, status, action, matched_rule, n)
		SELECT ws, day, decision, status, action, rule, sum(n) FROM (
			SELECT o_ws AS ws, (o_created AT TIME ZONE 'UTC')::date AS day,
				o_decision AS decision, o_status AS status, o_action AS action,
				o_rule AS rule, -1 AS n
			FROM moved
			UNION ALL
			SELECT w_ws, (w_created AT TIME ZONE 'UTC')::date, w_decision, w_status,
				w_action, w_rule, 1
			FROM moved
		) x GROUP BY 1, 2, 3, 4, 5, 6 HAVING sum(n) <> 0
	)
	INSERT INTO analytics_latency_deltas (workspace_id, day, bucket, n)
	SELECT ws, day, bucket, sum(n) FROM (
		SELECT o_ws AS ws, (o_decided AT TIME ZONE 'UTC')::date AS day,
			analytics_latency_bucket(extract(epoch FROM o_decided - o_created)) AS bucket,
			-1 AS n
		FROM moved
		WHERE o_decision = 'approval_required' AND o_status IN ('approved', 'rejected')
			AND o_decided IS NOT NULL
		UNION ALL
		SELECT w_ws, (w_decided AT TIME ZONE 'UTC')::date,
			analytics_latency_bucket(extract(epoch FROM w_decided - w_created)), 1
		FROM moved
		WHERE w_decision = 'approval_required' AND w_status IN ('approved', 'rejected')
			AND w_decided IS NOT NULL
	) x GROUP BY 1, 2, 3 HAVING sum(n) <> 0;
	RETURN NULL;
END $$;

CREATE TRIGGER evaluations_analytics_insert AFTER INSERT ON evaluations
	REFERENCING NEW TABLE AS analytics_new
	FOR EACH STATEMENT EXECUTE FUNCTION analytics_evaluations_inserted();
CREATE TRIGGER evaluations_analytics_update AFTER UPDATE ON evaluations
	REFERENCING OLD TABLE AS analytics_old NEW TABLE AS analytics_new
	FOR EACH STATEMENT EXECUTE FUNCTION analytics_evaluations_updated();
CREATE TRIGGER evaluations_analytics_delete AFTER DELETE ON evaluations
	REFERENCING OLD TABLE AS analytics_old
	FOR EACH STATEMENT EXECUTE FUNCTION analytics_evaluations_deleted();

-- Approval requests: decided (approved/rejected) ones per approver.
CREATE FUNCTION analytics_approvals_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	INSERT INTO analytics_approver_deltas (workspace_id, day, user_id, status, n)
	SELECT workspace_id, (decided_at AT TIME ZONE 'UTC')::date, user_id, status, count(*)
	FROM analytics_new
	WHERE status IN ('approved', 'rejected') AND decided_at IS NOT NULL
	GROUP BY 1, 2, 3, 4;
	RETURN NULL;
END $$;

CREATE FUNCTION analytics_approvals_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	INSERT INTO analytics_approver_deltas (workspace_id, day, user_id, status, n)
	SELECT workspace_id, (decided_at AT TIME ZONE 'UTC')::date, user_id, status, -count(*)
	FROM analytics_old
	WHERE status IN ('approved', 'rejected') AND decided_at IS NOT NULL
	GROUP BY 1, 2, 3, 4;
	RETURN NULL;
END $$;

CREATE FUNCTION analytics_approvals_updated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	INSERT INTO analytics_approver_deltas (workspace_id, day, user_id, status, n)
	SELECT ws, day, user_id, status, sum(n) FROM (
		SELECT o.workspace_id AS ws, (o.decided_at AT TIME ZONE 'UTC')::date AS day,
			o.user_id, o.status, -1 AS n
		FROM analytics_old o JOIN analytics_new w ON w.id = o.id
		WHERE o.status IN ('approved', 'rejected') AND o.decided_at IS NOT NULL
			AND (o.workspace_id, o.user_id, o.status, o.decided_at)
				IS DISTINCT FROM (w.workspace_id, w.user_id, w.status, w.decided_at)
		UNION ALL
		SELECT w.workspace_id, (w.decided_at AT TIME ZONE 'UTC')::date, w.user_id, w.status, 1
		FROM analytics_old o JOIN analytics_new w ON w.id = o.id
		WHERE w.status IN ('approved', 'rejected') AND w.decided_at IS NOT NULL
			AND (o.workspace_id, o.user_id, o.status, o.decided_at)
				IS DISTINCT FROM (w.workspace_id, w.user_id, w.status, w.decided_at)
	) x GROUP BY 1, 2, 3, 4 HAVING sum(n) <> 0;
	RETURN NULL;
END $$;

CREATE TRIGGER approval_requests_analytics_insert AFTER INSERT ON approval_requests
	REFERENCING NEW TABLE AS analytics_new
	FOR EACH STATEMENT EXECUTE FUNCTION analytics_approvals_inserted();
CREATE TRIGGER approval_requests_analytics_update AFTER UPDATE ON approval_requests
	REFERENCING OLD TABLE AS analytics_old NEW TABLE AS analytics_new
	FOR EACH STATEMENT EXECUTE FUNCTION analytics_approvals_updated();
CREATE TRIGGER approval_requests_analytics_delete AFTER DELETE ON approval_requests
	REFERENCING OLD TABLE AS analytics_old
	FOR EACH STATEMENT EXECUTE FUNCTION analytics_approvals_deleted();

-- What exists already. The CREATE TRIGGER statements above hold locks
-- that keep writers out until this migration commits, so nothing is
-- counted twice or missed.
INSERT INTO analytics_daily (workspace_id, day, decision, status, action, matched_rule, n)
SELECT workspace_id, (created_at AT TIME ZONE 'UTC')::date, decision, status, action,
	coalesce(matched_rule, ''), count(*)
FROM evaluations GROUP BY 1, 2, 3, 4, 5, 6;
INSERT INTO analytics_latency_daily (workspace_id, day, bucket, n)
SELECT workspace_id, (decided_at AT TIME ZONE 'UTC')::date,
	analytics_latency_bucket(extract(epoch FROM decided_at - created_at)), count(*)
FROM evaluations
WHERE decision = 'approval_required' AND status IN ('approved', 'rejected')
	AND decided_at IS NOT NULL
GROUP BY 1, 2, 3;
INSERT INTO analytics_approver_daily (workspace_id, day, user_id, status, n)
SELECT workspace_id, (decided_at AT TIME ZONE 'UTC')::date, user_id, status, count(*)
FROM approval_requests
WHERE status IN ('approved', 'rejected') AND decided_at IS NOT NULL
GROUP BY 1, 2, 3, 4;

-- Small periods read the exact median and p90 of decided approval flows
-- with percentile_cont (core/analytics.c): index-only over the slice.
CREATE INDEX evaluations_ws_decided ON evaluations (workspace_id, decided_at)
	INCLUDE (created_at, status)
	WHERE decision = 'approval_required' AND decided_at IS NOT NULL;
