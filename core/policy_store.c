/*
 * policy_store.c - policy versions and simulation; see policy_store.h.
 */
#include "policy_store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "policy.h"
#include "timeutil.h"

static const char SQL_LOCK_WS[] =
	"SELECT coalesce((SELECT max(version) FROM policy_versions WHERE workspace_id = $1), 0) + 1"
	" FROM workspaces WHERE id = $1 FOR NO KEY UPDATE";
static const char SQL_INSERT[] =
	"INSERT INTO policy_versions (workspace_id, version, document, source, created_by_user,"
	" created_by_key) VALUES ($1, $2::int, $3::jsonb, $3, $4, $5) RETURNING id";
static const char SQL_SET_CURRENT[] = "UPDATE workspaces SET current_policy_id = $2 WHERE id = $1";
static const char SQL_CURRENT[] = "SELECT p.id, p.version, " ANX_SQL_TS(
	"p.created_at") ", p.source FROM workspaces w"
			" JOIN policy_versions p ON p.id = w.current_policy_id WHERE w.id = $1";
static const char SQL_VERSION[] = "SELECT p.id, p.version, " ANX_SQL_TS(
	"p.created_at") ", p.source FROM policy_versions p"
			" WHERE p.workspace_id = $1 AND p.version = $2::int";
static const char SQL_RECENT[] =
	"SELECT id, " ANX_SQL_TS("created_at") ", action, agent_id, resource, amount::float8,"
					       " currency, context::text, decision, matched_rule "
					       "FROM evaluations WHERE workspace_id = $1"
					       " ORDER BY created_at DESC, id DESC LIMIT $2::int";

struct publish_ctx {
	const char *ws, *source;
	const struct anx_actor *by;
	char id[37], version[16];
	size_t nrules;
};

static enum anx_err
publish_tx(struct anx_db *db, void *arg)
{
	struct publish_ctx *c = arg;
	const char *p[5];
	json_object *data;
	enum anx_err err;

	p[0] = c->ws;
	if ((err = anx_db_value(db, SQL_LOCK_WS, 1, p, c->version, sizeof(c->version))) != ANX_OK)
		return err;
	p[1] = c->version;
	p[2] = c->source;
	p[3] = strcmp(c->by->type, "user") == 0 ? c->by->id : NULL;
	p[4] = strcmp(c->by->type, "api_key") == 0 ? c->by->id : NULL;
	if ((err = anx_db_value(db, SQL_INSERT, 5, p, c->id, sizeof(c->id))) != ANX_OK)
		return err;
	p[1] = c->id;
	if ((err = anx_db_exec(db, SQL_SET_CURRENT, 2, p, NULL)) != ANX_OK)
		return err;
	data = json_object_new_object();
	json_object_object_add(data, "version", json_object_new_int(atoi(c->version)));
	json_object_object_add(data, "rules", json_object_new_int64((int64_t)c->nrules));
	err = anx_audit_record(
		db, c->ws, c->by->type, c->by->id, "policy.published", "policy", c->id, data);
	json_object_put(data);
	return err;
}

/* {id, version, created_at, document} from a row of SQL_CURRENT/VERSION. */
static json_object *
version_json(PGresult *res)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "id", json_object_new_string(PQgetvalue(res, 0, 0)));
	json_object_object_add(o, "version", json_object_new_int(atoi(PQgetvalue(res, 0, 1))));
	json_object_object_add(o, "created_at", json_object_new_string(PQgetvalue(res, 0, 2)));
	json_object_object_add(o, "document", json_tokener_parse(PQgetvalue(res, 0, 3)));
	return o;
}

static enum anx_err
load_version(struct anx_db *db, const char *sql, int n, const char *const *p, json_object **out)
{
	PGresult *res;
	enum anx_err err;

	*out = NULL;
	if ((err = anx_db_exec(db, sql, n, p, &res)) != ANX_OK)
		return err;
	if (PQntuples(res) != 1)
		err = ANX_ERR_NOT_FOUND;
	else
		*out = version_json(res);
	PQclear(res);
	return err;
}

enum anx_err
anx_policy_publish(struct anx_db *db, const char *ws, json_object *doc, const struct anx_actor *by,
	struct anx_verrs *e, json_object **out)
{
	struct anx_policy *compiled = NULL;
	struct publish_ctx c;
	enum anx_err err;
	const char *p[2];
	char *source;

	*out = NULL;
	if ((err = anx_policy_compile(doc, &compiled, e)) != ANX_OK)
		return err;
	memset(&c, 0, sizeof(c));
	c.nrules = anx_policy_nrules(compiled);
	anx_policy_free(compiled);
	/* Stored as pretty-printed source so the editor shows it readably;
	 * the jsonb copy is the canonical form. */
	if ((source = strdup(json_object_to_json_string_ext(
		     doc, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
				  JSON_C_TO_STRING_NOSLASHESCAPE))) == NULL)
		return ANX_ERR_NOMEM;
	c.ws = ws;
	c.source = source;
	c.by = by;
	err = anx_db_tx(db, publish_tx, &c);
	free(source);
	if (err != ANX_OK)
		return err;
	p[0] = ws;
	p[1] = c.version;
	return load_version(db, SQL_VERSION, 2, p, out);
}

enum anx_err
anx_policy_current(struct anx_db *db, const char *ws, json_object **out)
{
	const char *p[1] = { ws };

	return load_version(db, SQL_CURRENT, 1, p, out);
}

enum anx_err
anx_policy_version(struct anx_db *db, const char *ws, int version, json_object **out)
{
	char v[16];
	const char *p[2] = { ws, v };

	snprintf(v, sizeof(v), "%d", version);
	return load_version(db, SQL_VERSION, 2, p, out);
}

static const char *
decision_of(enum anx_effect e)
{
	return e == ANX_EFFECT_ALLOW  ? "allow"
	       : e == ANX_EFFECT_DENY ? "deny"
				      : "approval_required";
}

static int
decision_index(const char *d)
{
	return strcmp(d, "allow") == 0 ? 0 : strcmp(d, "deny") == 0 ? 1 : 2;
}

static json_object *
side(const char *decision, const char *rule)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "decision", json_object_new_string(decision));
	json_object_object_add(o, "matched_rule", rule ? json_object_new_string(rule) : NULL);
	return o;
}

enum anx_err
anx_policy_simulate(struct anx_db *db, const char *ws, json_object *draft, int limit,
	const char *prefix, struct anx_verrs *e, json_object **out)
{
	static const char *names[3] = { "allow", "deny", "approval_required" };
	struct anx_policy *pol = NULL;
	struct anx_verrs local;
	long counts[3][3] = { { 0 } };
	json_object *changed, *summary, *o;
	char lim[16];
	const char *p[2] = { ws, lim };
	PGresult *res = NULL;
	enum anx_err err;
	long total = 0;
	int n;

	*out = NULL;
	anx_verrs_init(&local);
	if ((err = anx_policy_compile(draft, &pol, &local)) != ANX_OK) {
		/* Re-root the paths under the request member. */
		for (size_t i = 0; i < local.n; i++) {
			char path[ANX_VERR_PATH];

			if (local.items[i].path[0] == '\0')
				snprintf(path, sizeof(path), "%s", prefix);
			else
				snprintf(path, sizeof(path), "%s%s%s", prefix,
					local.items[i].path[0] == '[' ? "" : ".",
					local.items[i].path);
			anx_verrs_add(e, path, "%s", local.items[i].problem);
		}
		return err;
	}
	snprintf(lim, sizeof(lim), "%d", limit);
	if ((err = anx_db_exec(db, SQL_RECENT, 2, p, &res)) != ANX_OK)
		goto out;
	n = PQntuples(res);
	changed = json_object_new_array();
	for (int r = 0; r < n; r++) {
		struct anx_policy_input in;
		struct anx_policy_decision d;
		json_object *ctx =
			PQgetisnull(res, r, 7) ? NULL : json_tokener_parse(PQgetvalue(res, r, 7));
		const char *before = PQgetvalue(res, r, 8);
		int bi = decision_index(before), ai;

		memset(&in, 0, sizeof(in));
		in.action = PQgetvalue(res, r, 2);
		in.agent_id = PQgetisnull(res, r, 3) ? NULL : PQgetvalue(res, r, 3);
		in.resource = PQgetisnull(res, r, 4) ? NULL : PQgetvalue(res, r, 4);
		in.has_amount = !PQgetisnull(res, r, 5);
		in.amount = in.has_amount ? strtod(PQgetvalue(res, r, 5), NULL) : 0;
		in.currency = PQgetisnull(res, r, 6) ? NULL : PQgetvalue(res, r, 6);
		in.context = ctx;
		anx_policy_decide(pol, &in, &d);
		ai = decision_index(decision_of(d.effect));
		counts[bi][ai]++;
		if (bi != ai) {
			total++;
			if (json_object_array_length(changed) < ANX_SIMULATE_CHANGED_MAX) {
				json_object *c = json_object_new_object();

				json_object_object_add(c, "evaluation_id",
					json_object_new_string(PQgetvalue(res, r, 0)));
				json_object_object_add(c, "created_at",
					json_object_new_string(PQgetvalue(res, r, 1)));
				json_object_object_add(
					c, "action", json_object_new_string(in.action));
				json_object_object_add(c, "before",
					side(before, PQgetisnull(res, r, 9)
							     ? NULL
							     : PQgetvalue(res, r, 9)));
				json_object_object_add(c, "after", side(names[ai], d.rule_name));
				json_object_array_add(changed, c);
			}
		}
		json_object_put(ctx);
	}
	summary = json_object_new_array();
	for (int b = 0; b < 3; b++)
		for (int a = 0; a < 3; a++) {
			json_object *s;

			if (counts[b][a] == 0)
				continue;
			s = json_object_new_object();
			json_object_object_add(s, "from", json_object_new_string(names[b]));
			json_object_object_add(s, "to", json_object_new_string(names[a]));
			json_object_object_add(s, "count", json_object_new_int64(counts[b][a]));
			json_object_array_add(summary, s);
		}
	o = json_object_new_object();
	json_object_object_add(o, "evaluated", json_object_new_int(n));
	json_object_object_add(o, "summary", summary);
	json_object_object_add(o, "changed_total", json_object_new_int64(total));
	json_object_object_add(o, "changed", changed);
	*out = o;
out:
	PQclear(res);
	anx_policy_free(pol);
	return err;
}
