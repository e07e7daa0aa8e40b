/*
 * audit_chain.c - sealing and verifying the audit hash chain; see
 * audit_chain.h.
 */
#include "audit_chain.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "buf.h"
#include "crypto.h"
#include "jcs.h"
#include "log.h"

#define SEAL_LOCK_KEY "7268010102"
#define VERIFY_PAGE   "5000"

/* The columns that make up the canonical event, in a fixed order. */
#define EVENT_COLS                                                                                 \
	"id::text, workspace_id::text, "                                                           \
	"to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'), "            \
	"actor_type, actor_id, event_type, subject_type, subject_id, data::text, request_id"
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
static const char SQL_PENDING[] =
	"SELECT " EVENT_COLS " FROM audit_events"
	" WHERE hash IS NULL AND txid < pg_snapshot_xmin(pg_current_snapshot())"
	" ORDER BY txid, id LIMIT "
	"2000";
static const char SQL_HEAD[] =
	"SELECT seq, encode(hash, 'hex') FROM audit_chain_heads WHERE workspace_id = $1";
static const char SQL_SEAL[] =
	"UPDATE audit_events a SET seq = u.seq, prev_hash = decode(u.prev, 'hex'),"
	" hash = decode(u.h, 'hex'), sealed_at = now()"
	" FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::text[]) AS u(id, seq, prev, h)"
	" WHERE a.id = u.id AND a.hash IS NULL";
static const char SQL_SET_HEAD[] =
	"INSERT INTO audit_chain_heads (workspace_id, seq, hash, updated_at)"
	" VALUES ($1, $2::bigint, decode($3, 'hex'), now())"
	" ON CONFLICT (workspace_id) DO UPDATE SET seq = EXCLUDED.seq, hash = EXCLUDED.hash,"
	" updated_at = now()";

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

struct seal_ctx {
	int sealed;
};

static enum anx_err
seal_tx(struct anx_db *db, void *arg)
{
	struct seal_ctx *c = arg;
	const char *lockp[1] = { SEAL_LOCK_KEY };
	struct anx_buf ids, seqs, prevs, hashes;
	struct head *heads = NULL, *h;
	size_t nheads = 0;
	PGresult *res = NULL;
	enum anx_err err;
	char flag[8];
	int n;

	c->sealed = 0;
	anx_buf_init(&ids, 0);
	anx_buf_init(&seqs, 0);
	anx_buf_init(&prevs, 0);
	anx_buf_init(&hashes, 0);
	if ((err = anx_db_value(db, SQL_LOCK, 1, lockp, flag, sizeof(flag))) != ANX_OK)
		goto out;
	if (strcmp(flag, "t") != 0)
		goto out; /* another sealer is at work */
	if ((err = anx_db_exec(db, SQL_PENDING, 0, NULL, &res)) != ANX_OK)
		goto out;
	if ((n = PQntuples(res)) == 0)
		goto out;
	if ((heads = calloc((size_t)n, sizeof(*heads))) == NULL) {
		err = ANX_ERR_NOMEM;
		goto out;
	}
	anx_buf_puts(&ids, "{");
	anx_buf_puts(&seqs, "{");
	anx_buf_puts(&prevs, "{");
	anx_buf_puts(&hashes, "{");
	for (int r = 0; r < n; r++) {
		unsigned char hash[ANX_SHA256_LEN];
		char hex[ANX_SHA256_HEX_LEN + 1];
		const char *sep = r ? "," : "";

		if ((h = find_head(db, heads, &nheads, (size_t)n, PQgetvalue(res, r, C_WS),
			     &err)) == NULL)
			goto out;
		if (event_hash(res, r, h->seq + 1, h->hash, hash) != 0) {
			anx_log(ANX_LOG_ERROR, "audit_seal_bad_event",
				LF_STR("id", PQgetvalue(res, r, C_ID)), ANX_LF_END);
			err = ANX_ERR_INTERNAL;
			goto out;
		}
		anx_buf_printf(&ids, "%s%s", sep, PQgetvalue(res, r, C_ID));
		anx_buf_printf(&seqs, "%s%lld", sep, h->seq + 1);
		anx_hex_encode(h->hash, ANX_SHA256_LEN, hex);
		anx_buf_printf(&prevs, "%s%s", sep, hex);
		anx_hex_encode(hash, ANX_SHA256_LEN, hex);
		anx_buf_printf(&hashes, "%s%s", sep, hex);
		h->seq++;
		memcpy(h->hash, hash, sizeof(hash));
		h->dirty = 1;
	}
	anx_buf_puts(&ids, "}");
	anx_buf_puts(&seqs, "}");
	anx_buf_puts(&prevs, "}");
	anx_buf_puts(&hashes, "}");
	if (anx_buf_failed(&ids) || anx_buf_failed(&seqs) || anx_buf_failed(&prevs) ||
		anx_buf_failed(&hashes)) {
		err = ANX_ERR_NOMEM;
		goto out;
	}
	{
		const char *p[4] = { ids.data, seqs.data, prevs.data, hashes.data };
		if ((err = anx_db_exec(db, SQL_SEAL, 4, p, NULL)) != ANX_OK)
			goto out;
	}
	for (size_t i = 0; i < nheads; i++) {
		char seq[24], hex[ANX_SHA256_HEX_LEN + 1];
		const char *p[3] = { heads[i].ws, seq, hex };

		if (!heads[i].dirty)
			continue;
		snprintf(seq, sizeof(seq), "%lld", heads[i].seq);
		anx_hex_encode(heads[i].hash, ANX_SHA256_LEN, hex);
		if ((err = anx_db_exec(db, SQL_SET_HEAD, 3, p, NULL)) != ANX_OK)
			goto out;
	}
	c->sealed = n;
out:
	PQclear(res);
	free(heads);
	anx_buf_free(&ids);
	anx_buf_free(&seqs);
	anx_buf_free(&prevs);
	anx_buf_free(&hashes);
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

static const char SQL_WORKSPACES[] =
	"SELECT w.id::text, h.seq, encode(h.hash, 'hex'), a.seq, encode(a.hash, 'hex')"
	" FROM workspaces w LEFT JOIN audit_chain_heads h ON h.workspace_id = w.id"
	" LEFT JOIN audit_chain_anchors a ON a.workspace_id = w.id"
	" WHERE $1::uuid IS NULL OR w.id = $1::uuid ORDER BY w.id";
static const char SQL_CHAIN_PAGE[] =
	"SELECT " EVENT_COLS ", seq, encode(prev_hash, 'hex'), encode(hash, 'hex')"
	" FROM audit_events WHERE workspace_id = $1 AND seq > $2::bigint AND seq IS NOT NULL"
	" ORDER BY seq LIMIT " VERIFY_PAGE;
static const char SQL_UNSEALED[] = "SELECT count(*) FROM audit_events WHERE hash IS NULL"
				   " AND ($1::uuid IS NULL OR workspace_id = $1::uuid)";

/* Walks one workspace's chain from genesis, or from the anchor a
 * retention purge left (anchor_seq/anchor_hash, NULL if none); fills
 * rep->first_broken on the first bad link. */
static enum anx_err
verify_one(struct anx_db *db, const char *ws, const char *head_seq, const char *head_hash,
	const char *anchor_seq, const char *anchor_hash, struct anx_audit_report *rep)
{
	unsigned char prev[ANX_SHA256_LEN] = { 0 }, calc[ANX_SHA256_LEN];
	char prev_hex[ANX_SHA256_HEX_LEN + 1], calc_hex[ANX_SHA256_HEX_LEN + 1], after[24];
	long long last = 0;
	enum anx_err err;
	PGresult *res;

	if (anchor_seq && *anchor_seq) {
		last = strtoll(anchor_seq, NULL, 10);
		anx_hex_decode(anchor_hash, ANX_SHA256_HEX_LEN, prev, sizeof(prev));
		memcpy(calc, prev, sizeof(calc));
	}

	for (;;) {
		const char *p[2] = { ws, after };
		int n;

		snprintf(after, sizeof(after), "%lld", last);
		if ((err = anx_db_exec(db, SQL_CHAIN_PAGE, 2, p, &res)) != ANX_OK)
			return err;
		n = PQntuples(res);
		for (int r = 0; r < n; r++) {
			long long seq = strtoll(PQgetvalue(res, r, C__N), NULL, 10);
			const char *id = PQgetvalue(res, r, C_ID);
			const char *why = NULL;

			anx_hex_encode(prev, ANX_SHA256_LEN, prev_hex);
			if (seq != last + 1)
				why = "sequence gap (an event is missing)";
			else if (strcmp(PQgetvalue(res, r, C__N + 1), prev_hex) != 0)
				why = "prev_hash does not match the previous event";
			else if (event_hash(res, r, seq, prev, calc) != 0)
				why = "the event cannot be canonicalised";
			else {
				anx_hex_encode(calc, ANX_SHA256_LEN, calc_hex);
				if (strcmp(calc_hex, PQgetvalue(res, r, C__N + 2)) != 0)
					why = "hash does not match the event's content";
			}
			if (why) {
				snprintf(rep->first_broken, sizeof(rep->first_broken),
					"workspace %s: event id %s (seq %lld): %s", ws, id, seq,
					why);
				rep->broken = 1;
				PQclear(res);
				return ANX_OK;
			}
			memcpy(prev, calc, sizeof(prev));
			last = seq;
			rep->verified++;
		}
		PQclear(res);
		if (n < atoi(VERIFY_PAGE))
			break;
	}
	/* The head guards the tail: removing the newest events shows here. */
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

enum anx_err
anx_audit_verify(struct anx_db *db, const char *workspace_id, struct anx_audit_report *rep)
{
	const char *p[1] = { workspace_id };
	enum anx_err err;
	PGresult *res;
	char count[24];

	memset(rep, 0, sizeof(*rep));
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
	if ((err = anx_db_value(db, SQL_UNSEALED, 1, p, count, sizeof(count))) != ANX_OK)
		return err;
	rep->unsealed = strtoll(count, NULL, 10);
	return ANX_OK;
}
