/*
 * audit_chain.c - sealing and verifying the audit hash chain; see
 * audit_chain.h.
 */
#include "audit_chain.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "analytics.h"
#include "buf.h"
#include "crypto.h"
#include "jcs.h"
#include "log.h"

#define SEAL_LOCK_KEY "7268010102" /* also taken by sql/0012_audit_seals.sql */
#define VERIFY_PAGE   "5000"

/* The columns that make up the canonical event, in a fixed order, of the
 * audit_events row aliased "e". */
#define EVENT_COLS                                                                                 \
	"e.id::text, e.workspace_id::text, "                                                       \
	"to_char(e.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'), "          \
	"e.actor_type, e.actor_id, e.event_type, e.subject_type, e.subject_id, e.data::text, "     \
	"e.request_id"
enum {
	C_ID,
	C_WS,
	C_CREATED,
	C_ACTOR_TYPE,
	C_ACTOR_ID,
	C_TYPE,
	C_SUBJ_TYPE,
	C_SUBJ_ID,
	C_DATA,
	C_RID,
	C__N
};

static const char SQL_LOCK[] = "SELECT pg_try_advisory_xact_lock($1::bigint)";
static const char SQL_CURSOR[] = "SELECT txid::text, event_id FROM audit_seal_cursor";
/* The events after the cursor that no running or future transaction can
 * precede any more, in chain order; walks audit_events_txid. */
/* Events of a workspace deleted meanwhile (committed after its deletion
 * removed the rest, see core/workspace_sweep.c) are passed over: they have
 * no chain to join and are deleted by the sweep. */
static const char SQL_PENDING[] = "SELECT " EVENT_COLS ", e.txid::text FROM audit_events e"
				  " JOIN workspaces w ON w.id = e.workspace_id"
				  " WHERE (e.txid, e.id) > ($1::xid8, $2::bigint)"
				  " AND e.txid < pg_snapshot_xmin(pg_current_snapshot())"
				  " ORDER BY e.txid, e.id LIMIT "
				  "2000";
static const char SQL_HEAD[] =
	"SELECT seq, encode(hash, 'hex') FROM audit_chain_heads WHERE workspace_id = $1";
static const char SQL_SEAL[] =
	"INSERT INTO audit_seals (workspace_id, seq, event_id, prev_hash, hash)"
	" SELECT u.ws, u.seq, u.id, decode(u.prev, 'hex'), decode(u.h, 'hex')"
	" FROM unnest($1::uuid[], $2::bigint[], $3::bigint[], $4::text[], $5::text[])"
	" AS u(ws, seq, id, prev, h)";
static const char SQL_SET_HEAD[] =
	"INSERT INTO audit_chain_heads (workspace_id, seq, hash, updated_at)"
	" VALUES ($1, $2::bigint, decode($3, 'hex'), now())"
	" ON CONFLICT (workspace_id) DO UPDATE SET seq = EXCLUDED.seq, hash = EXCLUDED.hash,"
	" updated_at = now()";
static const char SQL_SET_CURSOR[] =
	"UPDATE audit_seal_cursor SET txid = $1::xid8, event_id = $2::bigint, updated_at = now()";

/* The chain position of one workspace while a batch is sealed. */
struct head {
	char ws[37];
	long long seq;
	unsigned char hash[ANX_SHA256_LEN];
	int dirty;
};

/* Adds key: value (NULL → null) to obj; value is a plain string. */
static void
add_str(json_object *obj, const char *key, const char *value)
{
	json_object_object_add(obj, key, value ? json_object_new_string(value) : NULL);
}

/*
 * Computes hash = SHA-256(prev || JCS(event)) for row r of res (columns as
 * EVENT_COLS) at chain position seq. Returns 0 or -1 (bad stored JSON,
 * OOM).
 */
static int
event_hash(PGresult *res, int r, long long seq, const unsigned char prev[ANX_SHA256_LEN],
	unsigned char out[ANX_SHA256_LEN])
{
	json_object *ev = json_object_new_object(), *data;
	struct anx_buf b;
	int rc = -1;

	anx_buf_init(&b, 0);
	if (ev == NULL)
		goto out;
	json_object_object_add(
		ev, "id", json_object_new_int64(strtoll(PQgetvalue(res, r, C_ID), NULL, 10)));
	add_str(ev, "workspace_id", PQgetvalue(res, r, C_WS));
	json_object_object_add(ev, "seq", json_object_new_int64(seq));
	add_str(ev, "created_at", PQgetvalue(res, r, C_CREATED));
	add_str(ev, "actor_type", PQgetvalue(res, r, C_ACTOR_TYPE));
	add_str(ev, "actor_id",
		PQgetisnull(res, r, C_ACTOR_ID) ? NULL : PQgetvalue(res, r, C_ACTOR_ID));
	add_str(ev, "event_type", PQgetvalue(res, r, C_TYPE));
	add_str(ev, "subject_type",
		PQgetisnull(res, r, C_SUBJ_TYPE) ? NULL : PQgetvalue(res, r, C_SUBJ_TYPE));
	add_str(ev, "subject_id",
		PQgetisnull(res, r, C_SUBJ_ID) ? NULL : PQgetvalue(res, r, C_SUBJ_ID));
	add_str(ev, "request_id", PQgetisnull(res, r, C_RID) ? NULL : PQgetvalue(res, r, C_RID));
	if ((data = json_tokener_parse(PQgetvalue(res, r, C_DATA))) == NULL &&
		strcmp(PQgetvalue(res, r, C_DATA), "null") != 0)
		goto out;
	json_object_object_add(ev, "data", data);
	anx_buf_add(&b, prev, ANX_SHA256_LEN);
	if (anx_jcs_serialize(ev, &b) != 0 || anx_buf_failed(&b))
		goto out;
	rc = anx_sha256(b.data, b.len, out);
out:
	json_object_put(ev);
	anx_buf_free(&b);
	return rc;
}

static struct head *
find_head(struct anx_db *db, struct head *heads, size_t *nheads, size_t cap, const char *ws,
	enum anx_err *err)
{
	const char *p[1] = { ws };
	struct head *h;
	PGresult *res;

	for (size_t i = 0; i < *nheads; i++)
		if (strcmp(heads[i].ws, ws) == 0)
			return &heads[i];
	if (*nheads == cap) {
		*err = ANX_ERR_INTERNAL;
		return NULL;
	}
	h = &heads[(*nheads)++];
	memset(h, 0, sizeof(*h));
	snprintf(h->ws, sizeof(h->ws), "%s", ws);
	if ((*err = anx_db_exec(db, SQL_HEAD, 1, p, &res)) != ANX_OK)
		return NULL;
	if (PQntuples(res) == 1) {
		h->seq = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
		anx_hex_decode(PQgetvalue(res, 0, 1), ANX_SHA256_HEX_LEN, h->hash, sizeof(h->hash));
	}
	PQclear(res);
	return h;
}

/* The batch being sealed, as PostgreSQL array literals for SQL_SEAL. */
struct batch {
	struct anx_buf ws, seqs, ids, prevs, hashes;
	int n;
};

static void
batch_init(struct batch *b)
{
	anx_buf_init(&b->ws, 0);
	anx_buf_init(&b->seqs, 0);
	anx_buf_init(&b->ids, 0);
	anx_buf_init(&b->prevs, 0);
	anx_buf_init(&b->hashes, 0);
	b->n = 0;
}

static void
batch_free(struct batch *b)
{
	anx_buf_free(&b->ws);
	anx_buf_free(&b->seqs);
	anx_buf_free(&b->ids);
	anx_buf_free(&b->prevs);
	anx_buf_free(&b->hashes);
}

/* Appends the seal (ws, seq, id, prev, hash) to the batch. */
static void
batch_add(struct batch *b, const char *ws, long long seq, const char *id,
	const unsigned char prev[ANX_SHA256_LEN], const unsigned char hash[ANX_SHA256_LEN])
{
	const char *sep = b->n ? "," : "{";
	char hex[ANX_SHA256_HEX_LEN + 1];

	anx_buf_printf(&b->ws, "%s%s", sep, ws);
	anx_buf_printf(&b->seqs, "%s%lld", sep, seq);
	anx_buf_printf(&b->ids, "%s%s", sep, id);
	anx_hex_encode(prev, ANX_SHA256_LEN, hex);
	anx_buf_printf(&b->prevs, "%s%s", sep, hex);
	anx_hex_encode(hash, ANX_SHA256_LEN, hex);
	anx_buf_printf(&b->hashes, "%s%s", sep, hex);
	b->n++;
}

/* Closes the array literals and inserts the seals. */
static enum anx_err
batch_insert(struct anx_db *db, struct batch *b)
{
	anx_buf_puts(&b->ws, "}");
	anx_buf_puts(&b->seqs, "}");
	anx_buf_puts(&b->ids, "}");
	anx_buf_puts(&b->prevs, "}");
	anx_buf_puts(&b->hashes, "}");
	if (anx_buf_failed(&b->ws) || anx_buf_failed(&b->seqs) || anx_buf_failed(&b->ids) ||
		anx_buf_failed(&b->prevs) || anx_buf_failed(&b->hashes))
		return ANX_ERR_NOMEM;
	{
		const char *p[5] = { b->ws.data, b->seqs.data, b->ids.data, b->prevs.data,
			b->hashes.data };
		return anx_db_exec(db, SQL_SEAL, 5, p, NULL);
	}
}

/* Records the new chain heads of the workspaces the batch touched. */
static enum anx_err
store_heads(struct anx_db *db, const struct head *heads, size_t nheads)
{
	enum anx_err err;

	for (size_t i = 0; i < nheads; i++) {
		char seq[24], hex[ANX_SHA256_HEX_LEN + 1];
		const char *p[3] = { heads[i].ws, seq, hex };

		if (!heads[i].dirty)
			continue;
		snprintf(seq, sizeof(seq), "%lld", heads[i].seq);
		anx_hex_encode(heads[i].hash, ANX_SHA256_LEN, hex);
		if ((err = anx_db_exec(db, SQL_SET_HEAD, 3, p, NULL)) != ANX_OK)
			return err;
	}
	return ANX_OK;
}

/*
 * Reads the events after the sealer's cursor into *res (caller
 * PQclear()s). ANX_ERR_INTERNAL if the cursor row is missing.
 */
static enum anx_err
pending(struct anx_db *db, PGresult **res)
{
	PGresult *cur;
	enum anx_err err;

	*res = NULL;
	if ((err = anx_db_exec(db, SQL_CURSOR, 0, NULL, &cur)) != ANX_OK)
		return err;
	if (PQntuples(cur) != 1) {
		anx_log(ANX_LOG_ERROR, "audit_seal_cursor_missing", ANX_LF_END);
		PQclear(cur);
		return ANX_ERR_INTERNAL;
	}
	{
		const char *p[2] = { PQgetvalue(cur, 0, 0), PQgetvalue(cur, 0, 1) };
		err = anx_db_exec(db, SQL_PENDING, 2, p, res);
	}
	PQclear(cur);
	return err;
}

struct seal_ctx {
	int sealed;
};

/*
 * One batch, in one transaction under the sealer's advisory lock: chain
 * the pending events onto their workspaces' heads, insert their seals,
 * move the heads and the cursor to the batch's last event.
 */
static enum anx_err
seal_tx(struct anx_db *db, void *arg)
{
	struct seal_ctx *c = arg;
	const char *lockp[1] = { SEAL_LOCK_KEY };
	struct head *heads = NULL, *h;
	struct batch b;
	size_t nheads = 0;
	PGresult *res = NULL;
	enum anx_err err;
	char flag[8];
	int n;

	c->sealed = 0;
	batch_init(&b);
	if ((err = anx_db_value(db, SQL_LOCK, 1, lockp, flag, sizeof(flag))) != ANX_OK)
		goto out;
	if (strcmp(flag, "t") != 0)
		goto out; /* another sealer is at work */
	if ((err = pending(db, &res)) != ANX_OK)
		goto out;
	if ((n = PQntuples(res)) == 0)
		goto out;
	if ((heads = calloc((size_t)n, sizeof(*heads))) == NULL) {
		err = ANX_ERR_NOMEM;
		goto out;
	}
	for (int r = 0; r < n; r++) {
		unsigned char hash[ANX_SHA256_LEN];

		if ((h = find_head(db, heads, &nheads, (size_t)n, PQgetvalue(res, r, C_WS),
			     &err)) == NULL)
			goto out;
		if (event_hash(res, r, h->seq + 1, h->hash, hash) != 0) {
			anx_log(ANX_LOG_ERROR, "audit_seal_bad_event",
				LF_STR("id", PQgetvalue(res, r, C_ID)), ANX_LF_END);
			err = ANX_ERR_INTERNAL;
			goto out;
		}
		batch_add(&b, h->ws, h->seq + 1, PQgetvalue(res, r, C_ID), h->hash, hash);
		h->seq++;
		memcpy(h->hash, hash, sizeof(hash));
		h->dirty = 1;
	}
	if ((err = batch_insert(db, &b)) != ANX_OK ||
		(err = store_heads(db, heads, nheads)) != ANX_OK ||
		(err = anx_analytics_count_sealed(db, b.ids.data)) != ANX_OK)
		goto out;
	{
		const char *p[2] = { PQgetvalue(res, n - 1, C__N), PQgetvalue(res, n - 1, C_ID) };
		if ((err = anx_db_exec(db, SQL_SET_CURSOR, 2, p, NULL)) != ANX_OK)
			goto out;
	}
	c->sealed = n;
out:
	PQclear(res);
	free(heads);
	batch_free(&b);
	return err;
}

enum anx_err
anx_audit_seal(struct anx_db *db, int *sealed)
{
	struct seal_ctx c = { 0 };
	enum anx_err err = anx_db_tx(db, seal_tx, &c);

	*sealed = err == ANX_OK ? c.sealed : 0;
	return err;
}

static const char SQL_SNAPSHOT[] = "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY";
static const char SQL_WORKSPACES[] =
	"SELECT w.id::text, h.seq, encode(h.hash, 'hex'), a.seq, encode(a.hash, 'hex')"
	" FROM workspaces w LEFT JOIN audit_chain_heads h ON h.workspace_id = w.id"
	" LEFT JOIN audit_chain_anchors a ON a.workspace_id = w.id"
	" WHERE $1::uuid IS NULL OR w.id = $1::uuid ORDER BY w.id";
/* The seals of a workspace in chain order with their events (NULL columns
 * when the event is gone). */
static const char SQL_CHAIN_PAGE[] =
	"SELECT " EVENT_COLS ", s.seq, encode(s.prev_hash, 'hex'), encode(s.hash, 'hex'),"
	" s.event_id FROM audit_seals s LEFT JOIN audit_events e ON e.id = s.event_id"
	" WHERE s.workspace_id = $1 AND s.seq > $2::bigint ORDER BY s.seq LIMIT " VERIFY_PAGE;
enum { C_SEQ = C__N, C_PREV, C_HASH, C_EVENT };
/* Events without a seal: how many, and the first one that sorts before the
 * sealer's cursor (it will never be sealed). */
static const char SQL_UNSEALED[] =
	"WITH u AS (SELECT e.id, e.workspace_id, (e.txid, e.id) <= (c.txid, c.event_id) AS behind"
	" FROM audit_events e CROSS JOIN audit_seal_cursor c"
	" WHERE ($1::uuid IS NULL OR e.workspace_id = $1::uuid)"
	" AND EXISTS (SELECT 1 FROM workspaces w WHERE w.id = e.workspace_id)"
	" AND NOT EXISTS (SELECT 1 FROM audit_seals s WHERE s.event_id = e.id))"
	" SELECT (SELECT count(*) FROM u),"
	" (SELECT workspace_id::text || ': event id ' || id FROM u WHERE behind ORDER BY id LIMIT "
	"1)";

/* Checks one seal (row r of a SQL_CHAIN_PAGE result) against the chain so
 * far (prev, last); on success fills calc with its hash. Returns NULL or
 * why the link is broken. */
static const char *
check_link(PGresult *res, int r, long long last, const unsigned char prev[ANX_SHA256_LEN],
	unsigned char calc[ANX_SHA256_LEN])
{
	char prev_hex[ANX_SHA256_HEX_LEN + 1], calc_hex[ANX_SHA256_HEX_LEN + 1];
	long long seq = strtoll(PQgetvalue(res, r, C_SEQ), NULL, 10);

	if (seq <= last)
		return "repeated sequence number";
	if (seq != last + 1)
		return "sequence gap (a seal is missing)";
	if (PQgetisnull(res, r, C_ID))
		return "the sealed event was deleted";
	anx_hex_encode(prev, ANX_SHA256_LEN, prev_hex);
	if (strcmp(PQgetvalue(res, r, C_PREV), prev_hex) != 0)
		return "prev_hash does not match the previous event";
	if (event_hash(res, r, seq, prev, calc) != 0)
		return "the event cannot be canonicalised";
	anx_hex_encode(calc, ANX_SHA256_LEN, calc_hex);
	if (strcmp(calc_hex, PQgetvalue(res, r, C_HASH)) != 0)
		return "hash does not match the event's content";
	return NULL;
}

/* Walks one workspace's chain from genesis, or from the anchor a
 * retention purge left (anchor_seq/anchor_hash, NULL if none); fills
 * rep->first_broken on the first bad link. */
static enum anx_err
verify_one(struct anx_db *db, const char *ws, const char *head_seq, const char *head_hash,
	const char *anchor_seq, const char *anchor_hash, struct anx_audit_report *rep)
{
	unsigned char prev[ANX_SHA256_LEN] = { 0 }, calc[ANX_SHA256_LEN];
	char prev_hex[ANX_SHA256_HEX_LEN + 1], after[24];
	long long last = 0;
	enum anx_err err;
	PGresult *res;

	if (anchor_seq && *anchor_seq) {
		last = strtoll(anchor_seq, NULL, 10);
		anx_hex_decode(anchor_hash, ANX_SHA256_HEX_LEN, prev, sizeof(prev));
	}

	for (;;) {
		const char *p[2] = { ws, after };
		int n;

		snprintf(after, sizeof(after), "%lld", last);
		if ((err = anx_db_exec(db, SQL_CHAIN_PAGE, 2, p, &res)) != ANX_OK)
			return err;
		n = PQntuples(res);
		for (int r = 0; r < n; r++) {
			const char *why = check_link(res, r, last, prev, calc);

			if (why) {
				snprintf(rep->first_broken, sizeof(rep->first_broken),
					"workspace %s: event id %s (seq %s): %s", ws,
					PQgetvalue(res, r, C_EVENT), PQgetvalue(res, r, C_SEQ),
					why);
				rep->broken = 1;
				PQclear(res);
				return ANX_OK;
			}
			memcpy(prev, calc, sizeof(prev));
			last++;
			rep->verified++;
		}
		PQclear(res);
		if (n < atoi(VERIFY_PAGE))
			break;
	}
	/* The head guards the tail: removing the newest seals shows here. */
	if (head_seq && *head_seq) {
		anx_hex_encode(prev, ANX_SHA256_LEN, prev_hex);
		if (strtoll(head_seq, NULL, 10) != last || strcmp(head_hash, prev_hex) != 0) {
			snprintf(rep->first_broken, sizeof(rep->first_broken),
				"workspace %s: chain ends at seq %lld but the recorded head is seq "
				"%s",
				ws, last, head_seq);
			rep->broken = 1;
		}
	} else if (last > 0) {
		snprintf(rep->first_broken, sizeof(rep->first_broken),
			"workspace %s: sealed events exist but no chain head is recorded", ws);
		rep->broken = 1;
	}
	return ANX_OK;
}

/* Counts the events not sealed yet; one that sorts before the cursor can
 * never be sealed and breaks the chain. */
static enum anx_err
verify_unsealed(struct anx_db *db, const char *workspace_id, struct anx_audit_report *rep)
{
	const char *p[1] = { workspace_id };
	enum anx_err err;
	PGresult *res;

	if ((err = anx_db_exec(db, SQL_UNSEALED, 1, p, &res)) != ANX_OK)
		return err;
	rep->unsealed = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	if (!rep->broken && !PQgetisnull(res, 0, 1)) {
		snprintf(rep->first_broken, sizeof(rep->first_broken),
			"workspace %s: not sealed but behind the sealer's position (inserted "
			"with an old txid?)",
			PQgetvalue(res, 0, 1));
		rep->broken = 1;
	}
	PQclear(res);
	return ANX_OK;
}

struct verify_ctx {
	const char *workspace_id;
	struct anx_audit_report *rep;
};

/* The whole walk, on one snapshot so the seals, heads and cursor agree
 * while the sealer keeps going. */
static enum anx_err
verify_tx(struct anx_db *db, void *arg)
{
	struct verify_ctx *c = arg;
	struct anx_audit_report *rep = c->rep;
	const char *p[1] = { c->workspace_id };
	enum anx_err err;
	PGresult *res;

	memset(rep, 0, sizeof(*rep));
	if ((err = anx_db_exec(db, SQL_SNAPSHOT, 0, NULL, NULL)) != ANX_OK)
		return err;
	if ((err = anx_db_exec(db, SQL_WORKSPACES, 1, p, &res)) != ANX_OK)
		return err;
	for (int r = 0; r < PQntuples(res) && !rep->broken; r++) {
		rep->workspaces++;
		err = verify_one(db, PQgetvalue(res, r, 0),
			PQgetisnull(res, r, 1) ? NULL : PQgetvalue(res, r, 1),
			PQgetvalue(res, r, 2),
			PQgetisnull(res, r, 3) ? NULL : PQgetvalue(res, r, 3),
			PQgetvalue(res, r, 4), rep);
		if (err != ANX_OK)
			break;
	}
	PQclear(res);
	if (err != ANX_OK)
		return err;
	return verify_unsealed(db, c->workspace_id, rep);
}

enum anx_err
anx_audit_verify(struct anx_db *db, const char *workspace_id, struct anx_audit_report *rep)
{
	struct verify_ctx c = { workspace_id, rep };

	memset(rep, 0, sizeof(*rep));
	if (anx_db_in_tx(db)) {
		anx_log(ANX_LOG_ERROR, "audit_verify_in_tx", ANX_LF_END);
		return ANX_ERR_INTERNAL;
	}
	return anx_db_tx(db, verify_tx, &c);
}
