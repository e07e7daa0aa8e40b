-- 0012_audit_seals.sql - audit events become insert-only; the hash chain
-- moves to a narrow table of its own.
--
-- Until now the sealer chained each event by UPDATE-ing its audit_events
-- row (seq, prev_hash, hash, sealed_at): a full new copy of the wide row,
-- new entries in every index (seq is indexed, partial index predicates
-- read hash) and a dead tuple, for every event. Now the sealer appends one
-- narrow row per event to audit_seals and moves a one-row cursor, and an
-- audit_events row is never written after its INSERT.
--
-- The hash definition is unchanged (hash = SHA-256(prev_hash || canonical
-- event), the canonical event includes seq; core/audit_chain.h), so chains
-- sealed before this migration verify after it.

-- The sealer's advisory lock (core/audit_chain.c): a sealer of the old
-- schema is not half-way through a batch while the chain moves, and the
-- table lock keeps new events out until the columns are gone.
SELECT pg_advisory_xact_lock(7268010102);
LOCK TABLE audit_events IN ACCESS EXCLUSIVE MODE;

-- One row per sealed event, in chain order per workspace. No foreign keys:
-- an FK check would lock the workspace row FOR KEY SHARE, and every
-- concurrent evaluation locks that row too (MultiXact churn); the trigger
-- below removes a deleted workspace's seals, and retention purges seals
-- together with their events (core/retention.c).
CREATE TABLE audit_seals (
	workspace_id uuid NOT NULL,
	seq bigint NOT NULL,
	event_id bigint NOT NULL,
	prev_hash bytea NOT NULL,
	hash bytea NOT NULL,
	sealed_at timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (workspace_id, seq),
	UNIQUE (event_id)
);

-- Where the sealer stands: the (txid, id) of the last sealed event. The
-- sealed events are always a prefix of all events in (txid, id) order (the
-- sealer only takes events below pg_snapshot_xmin, in that order), so the
-- events after the cursor are exactly the ones not sealed yet.
CREATE TABLE audit_seal_cursor (
	one boolean PRIMARY KEY DEFAULT true CHECK (one),
	txid xid8 NOT NULL,
	event_id bigint NOT NULL,
	updated_at timestamptz NOT NULL DEFAULT now()
);

INSERT INTO audit_seals (workspace_id, seq, event_id, prev_hash, hash, sealed_at)
SELECT workspace_id, seq, id, prev_hash, hash, coalesce(sealed_at, created_at)
FROM audit_events WHERE hash IS NOT NULL;

INSERT INTO audit_seal_cursor (txid, event_id)
SELECT coalesce((SELECT txid FROM audit_events WHERE hash IS NOT NULL
		 ORDER BY txid DESC, id DESC LIMIT 1), '0'::xid8),
	coalesce((SELECT id FROM audit_events WHERE hash IS NOT NULL
		  ORDER BY txid DESC, id DESC LIMIT 1), 0);

-- Statistics now, so the first plans see one cursor row (not the default
-- guess for an empty table) and walk audit_events_txid from it.
ANALYZE audit_seals, audit_seal_cursor;

-- An unsealed event behind the cursor would never be sealed: refuse rather
-- than leave it out of the chain silently.
DO $$
DECLARE
	bad bigint;
BEGIN
	SELECT e.id INTO bad FROM audit_events e, audit_seal_cursor c
	 WHERE e.hash IS NULL AND (e.txid, e.id) < (c.txid, c.event_id) LIMIT 1;
	IF bad IS NOT NULL THEN
		RAISE EXCEPTION 'audit event % is not sealed but sorts before sealed events; '
			'seal or inspect it before applying 0012', bad;
	END IF;
END $$;

DROP INDEX audit_events_unsealed;
DROP INDEX audit_events_chain;
DROP INDEX audit_events_sealed_age;
ALTER TABLE audit_events DROP COLUMN seq, DROP COLUMN prev_hash, DROP COLUMN hash,
	DROP COLUMN sealed_at;

-- The sealer's scan: events after the cursor, in (txid, id) order.
CREATE INDEX audit_events_txid ON audit_events (txid, id);

-- A deleted workspace takes its seals with it (its events cascade).
CREATE FUNCTION audit_seals_delete_workspaces() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	DELETE FROM audit_seals s USING deleted_workspaces d WHERE s.workspace_id = d.id;
	RETURN NULL;
END $$;

CREATE TRIGGER workspaces_delete_audit_seals AFTER DELETE ON workspaces
	REFERENCING OLD TABLE AS deleted_workspaces
	FOR EACH STATEMENT EXECUTE FUNCTION audit_seals_delete_workspaces();
