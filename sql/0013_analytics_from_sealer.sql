-- 0013_analytics_from_sealer.sql - new evaluations are counted by the audit
-- sealer, not by a delta row written with each of them.
--
-- Measured with `scripts/bench evaluate`: the analytics_deltas row that each
-- evaluation wrote (0011), then locked and deleted by the fold, cost about
-- 15 % of the allow path's throughput. Every evaluation already has an
-- audit event (evaluation.created, whose data holds the decision, status,
-- action and matched rule at insert time, and the evaluation's created_at)
-- that the sealer reads in order, exactly once. So the sealer adds the new evaluations of each batch
-- to analytics_daily in the same transaction that seals them
-- (anx_analytics_count_sealed), and readers add the evaluation.created
-- events not sealed yet (the view below) to the rollup and the deltas:
-- the numbers stay exact at every moment, even while deliver is stopped.
--
-- Evaluations whose evaluation.created event is at or before the boundary
-- below were counted by the insert trigger of 0009 (or by their delta row);
-- only later ones are counted by the sealer. Decisions, expiries and
-- deletions still produce deltas through the UPDATE and DELETE triggers.

CREATE TABLE analytics_sealer_boundary (
	one boolean PRIMARY KEY DEFAULT true CHECK (one),
	event_id bigint NOT NULL
);
LOCK TABLE evaluations IN SHARE MODE; -- no evaluation is being inserted meanwhile
INSERT INTO analytics_sealer_boundary (event_id)
SELECT coalesce(max(id), 0) FROM audit_events;

-- The evaluation.created events after the sealer's cursor, as rollup rows
-- (n = 1 each). core/evaluation.c gives the event the evaluation's own
-- created_at, so the day is the one every other analytics row uses, and it
-- is the day as inserted even if the evaluation is changed or deleted later
-- (the UPDATE and DELETE triggers account for those).
CREATE VIEW analytics_unsealed AS
SELECT a.workspace_id, (a.created_at AT TIME ZONE 'UTC')::date AS day,
	a.data ->> 'decision' AS decision, a.data ->> 'status' AS status,
	a.data ->> 'action' AS action, coalesce(a.data ->> 'matched_rule', '') AS matched_rule,
	1::bigint AS n
FROM audit_seal_cursor c
JOIN audit_events a ON (a.txid, a.id) > (c.txid, c.event_id)
WHERE a.event_type = 'evaluation.created'
	AND a.id > (SELECT event_id FROM analytics_sealer_boundary);
