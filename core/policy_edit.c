/*
 * policy_edit.c - the policy editor's drafts, history and diffs; see
 * policy_edit.h.
 */
#include "policy_edit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "buf.h"
#include "policy.h"
#include "policy_store.h"
#include "textdiff.h"
#include "timeutil.h"

#define DISP(c) "to_char(" c " AT TIME ZONE 'UTC', 'DD Mon YYYY, HH24:MI \"UTC\"')"

/* Who published a version, for people. */
#define BY_EXPR "coalesce(u.email, 'key “' || k.label || '”', 'a removed account')"
#define VERSION_COLS                                                                               \
	"SELECT p.id, p.version, " ANX_SQL_TS("p.created_at") ", " DISP(                           \
		"p.created_at") ", " BY_EXPR                                                       \
				", coalesce(jsonb_array_length(p.document->'rules'), 0),"          \
				" p.id IS NOT DISTINCT FROM w.current_policy_id, "                 \
				"p.document->>'description',"                                      \
				" (SELECT max(q.version) FROM policy_versions q WHERE "            \
				"q.workspace_id = p.workspace_id"                                  \
				"  AND q.version < p.version),"                                    \
				" (SELECT min(q.version) FROM policy_versions q WHERE "            \
				"q.workspace_id = p.workspace_id"                                  \
				"  AND q.version > p.version)"                                     \
				" FROM policy_versions p JOIN workspaces w ON w.id = "             \
				"p.workspace_id"                                                   \
				" LEFT JOIN users u ON u.id = p.created_by_user"                   \
				" LEFT JOIN api_keys k ON k.id = p.created_by_key"
static const char SQL_HISTORY[] = VERSION_COLS
	" WHERE p.workspace_id = $1 AND p.version < $2::int ORDER BY p.version DESC LIMIT $3::int";
static const char SQL_ONE[] = VERSION_COLS " WHERE p.workspace_id = $1 AND p.version = $2::int";

enum { V_ID, V_VERSION, V_CREATED, V_DISP, V_BY, V_RULES, V_CURRENT, V_DESC, V_PREV, V_NEXT };

static const struct anx_json_limits draft_limits = {
	ANX_POLICY_DRAFT_MAX, /* max_bytes */
	32,                   /* max_depth */
	ANX_POLICY_DRAFT_MAX, /* max_string */
	100000,               /* max_members */
};

void
anx_text_position(const char *text, size_t at, int *line, int *col)
{
	*line = 1;
	*col = 1;
	for (size_t i = 0; i < at && text[i]; i++) {
		if (text[i] == '\n') {
			(*line)++;
			*col = 1;
		} else if (((unsigned char)text[i] & 0xc0) != 0x80)
			(*col)++;
	}
}

/* Rewrites "… at byte N …" problems of e to "… at line L, column C …". */
static void
locate(const char *text, struct anx_verrs *e)
{
	for (size_t i = 0; i < e->n; i++) {
		char *p = strstr(e->items[i].problem, "at byte "), rest[ANX_VERR_PROBLEM], *end;
		unsigned long long at;
		int line, col;

		if (p == NULL)
			continue;
		at = strtoull(p + 8, &end, 10);
		if (end == p + 8)
			continue;
		snprintf(rest, sizeof(rest), "%s", end);
		anx_text_position(text, (size_t)at, &line, &col);
		snprintf(p, sizeof(e->items[i].problem) - (size_t)(p - e->items[i].problem),
			"at line %d, column %d%s", line, col, rest);
	}
}

enum anx_err
anx_policy_draft_parse(const char *text, json_object **doc, int *nrules, struct anx_verrs *e)
{
	struct anx_policy *compiled = NULL;
	size_t n = strlen(text), lo = 0;
	enum anx_err err;

	*doc = NULL;
	*nrules = 0;
	while (lo < n &&
		(text[lo] == ' ' || text[lo] == '\n' || text[lo] == '\r' || text[lo] == '\t'))
		lo++;
	if (lo == n) {
		anx_verrs_add(e, "",
			"the document is empty: start from the current version or a template");
		return ANX_ERR_INVALID;
	}
	if (n > ANX_POLICY_DRAFT_MAX) {
		anx_verrs_add(
			e, "", "the document is larger than %d KiB", ANX_POLICY_DRAFT_MAX / 1024);
		return ANX_ERR_TOO_LARGE;
	}
	if ((err = anx_json_parse(text, n, &draft_limits, doc, e)) != ANX_OK) {
		locate(text, e);
		return err == ANX_ERR_TOO_LARGE ? err : ANX_ERR_INVALID;
	}
	if ((err = anx_policy_compile(*doc, &compiled, e)) != ANX_OK) {
		json_object_put(*doc);
		*doc = NULL;
		return err;
	}
	*nrules = (int)anx_policy_nrules(compiled);
	anx_policy_free(compiled);
	return ANX_OK;
}

/*
 * The order people read a document in; members not named keep their
 * order after these. Which list applies depends on where the object is
 * (the document, a rule, an approval, a stage).
 */
static const char *const doc_order[] = { "description", "default", "rules", NULL };
static const char *const rule_order[] = { "name", "when", "effect", "reason", "approval", NULL };
static const char *const approval_order[] = { "stages", "timeout_seconds",
	"reminder_before_seconds", "separation_of_duties", NULL };
static const char *const stage_order[] = { "role", "min_approvals", "otp", "assign",
	"reassign_after_seconds", NULL };

enum where { AT_DOC, AT_RULES, AT_RULE, AT_APPROVAL, AT_STAGES, AT_STAGE, AT_OTHER };

#define PRETTY_WIDTH 76 /* an object or array that fits stays on one line */

static void put_value(struct anx_buf *b, json_object *v, int indent, enum where at);

static void
put_scalar(struct anx_buf *b, json_object *v)
{
	anx_buf_puts(b, json_object_to_json_string_ext(
				v, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
}

static void
put_key(struct anx_buf *b, const char *k)
{
	anx_buf_putc(b, '"');
	anx_buf_json_str(b, k, strlen(k));
	anx_buf_puts(b, "\": ");
}

static const char *const *order_for(enum where at);
static enum where child_of(enum where at, const char *k);

/* 1 if k is one of order's names. */
static int
named(const char *const *order, const char *k)
{
	for (size_t i = 0; order && order[i]; i++)
		if (strcmp(k, order[i]) == 0)
			return 1;
	return 0;
}

/* Where an element of an array at `at` is. */
static enum where
element_of(enum where at)
{
	return at == AT_RULES ? AT_RULE : at == AT_STAGES ? AT_STAGE : AT_OTHER;
}

/* v on one line: { "a": 1, "b": [1, 2] }, members in reading order. */
static void
put_inline(struct anx_buf *b, json_object *v, enum where at)
{
	const char *const *order = order_for(at);
	size_t i = 0;
	json_object *val;

	if (json_object_is_type(v, json_type_object)) {
		anx_buf_putc(b, '{');
		for (size_t k = 0; order && order[k]; k++)
			if (json_object_object_get_ex(v, order[k], &val)) {
				anx_buf_puts(b, i++ ? ", " : " ");
				put_key(b, order[k]);
				put_inline(b, val, child_of(at, order[k]));
			}
		json_object_object_foreach(v, key, mval)
		{
			if (named(order, key))
				continue;
			anx_buf_puts(b, i++ ? ", " : " ");
			put_key(b, key);
			put_inline(b, mval, child_of(at, key));
		}
		anx_buf_puts(b, i ? " }" : "}");
	} else if (json_object_is_type(v, json_type_array)) {
		anx_buf_putc(b, '[');
		for (i = 0; i < json_object_array_length(v); i++) {
			anx_buf_puts(b, i ? ", " : "");
			put_inline(b, json_object_array_get_idx(v, i), element_of(at));
		}
		anx_buf_putc(b, ']');
	} else
		put_scalar(b, v);
}

/* The length of v on one line, or SIZE_MAX if that failed. */
static size_t
inline_len(json_object *v, enum where at)
{
	struct anx_buf t;
	size_t n;

	anx_buf_init(&t, 4096);
	put_inline(&t, v, at);
	n = anx_buf_failed(&t) ? (size_t)-1 : t.len;
	anx_buf_free(&t);
	return n;
}

static void
newline(struct anx_buf *b, int indent)
{
	anx_buf_putc(b, '\n');
	for (int i = 0; i < indent; i++)
		anx_buf_putc(b, ' ');
}

static const char *const *
order_for(enum where at)
{
	switch (at) {
	case AT_DOC: return doc_order;
	case AT_RULE: return rule_order;
	case AT_APPROVAL: return approval_order;
	case AT_STAGE: return stage_order;
	default: return NULL;
	}
}

/* Where the member k of an object at `at` is. */
static enum where
child_of(enum where at, const char *k)
{
	if (at == AT_DOC && strcmp(k, "rules") == 0)
		return AT_RULES;
	if (at == AT_RULE && strcmp(k, "approval") == 0)
		return AT_APPROVAL;
	if (at == AT_APPROVAL && strcmp(k, "stages") == 0)
		return AT_STAGES;
	return AT_OTHER;
}

static void
put_member(struct anx_buf *b, const char *k, json_object *val, int indent, enum where at, int *n)
{
	anx_buf_puts(b, (*n)++ ? "," : "");
	newline(b, indent + 2);
	put_key(b, k);
	put_value(b, val, indent + 2, child_of(at, k));
}

static void
put_value(struct anx_buf *b, json_object *v, int indent, enum where at)
{
	const char *const *order = order_for(at);
	int n = 0;

	if (!json_object_is_type(v, json_type_object) && !json_object_is_type(v, json_type_array)) {
		put_scalar(b, v);
		return;
	}
	if (at != AT_DOC && at != AT_RULES && (size_t)indent + inline_len(v, at) <= PRETTY_WIDTH) {
		put_inline(b, v, at);
		return;
	}
	if (json_object_is_type(v, json_type_array)) {
		size_t len = json_object_array_length(v);

		anx_buf_putc(b, '[');
		for (size_t i = 0; i < len; i++) {
			anx_buf_puts(b, i ? "," : "");
			newline(b, indent + 2);
			put_value(b, json_object_array_get_idx(v, i), indent + 2, element_of(at));
		}
		if (len)
			newline(b, indent);
		anx_buf_putc(b, ']');
		return;
	}
	anx_buf_putc(b, '{');
	for (size_t i = 0; order && order[i]; i++) {
		json_object *val;

		if (json_object_object_get_ex(v, order[i], &val))
			put_member(b, order[i], val, indent, at, &n);
	}
	json_object_object_foreach(v, k, mval)
	{
		if (!named(order, k))
			put_member(b, k, mval, indent, at, &n);
	}
	if (n)
		newline(b, indent);
	anx_buf_putc(b, '}');
}

char *
anx_policy_pretty(json_object *doc)
{
	struct anx_buf b;
	char *s;

	anx_buf_init(&b, 0);
	put_value(&b, doc, 0, AT_DOC);
	anx_buf_putc(&b, '\n');
	if (anx_buf_failed(&b)) {
		anx_buf_free(&b);
		return NULL;
	}
	s = anx_buf_steal(&b, NULL);
	return s;
}

static json_object *
cell(PGresult *r, int row, int c)
{
	return PQgetisnull(r, row, c) ? NULL : json_object_new_string(PQgetvalue(r, row, c));
}

static json_object *
int_cell(PGresult *r, int row, int c)
{
	return PQgetisnull(r, row, c) ? NULL : json_object_new_int(atoi(PQgetvalue(r, row, c)));
}

static json_object *
version_row(PGresult *r, int row)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "id", cell(r, row, V_ID));
	json_object_object_add(o, "version", int_cell(r, row, V_VERSION));
	json_object_object_add(o, "created_at", cell(r, row, V_CREATED));
	json_object_object_add(o, "created_display", cell(r, row, V_DISP));
	json_object_object_add(o, "by", cell(r, row, V_BY));
	json_object_object_add(o, "rules", int_cell(r, row, V_RULES));
	json_object_object_add(
		o, "is_current", json_object_new_boolean(PQgetvalue(r, row, V_CURRENT)[0] == 't'));
	json_object_object_add(
		o, "description", PQgetlength(r, row, V_DESC) > 0 ? cell(r, row, V_DESC) : NULL);
	json_object_object_add(o, "previous", int_cell(r, row, V_PREV));
	json_object_object_add(o, "next", int_cell(r, row, V_NEXT));
	return o;
}

enum anx_err
anx_policy_history(struct anx_db *db, const char *ws, int before, json_object **out)
{
	char b[16], lim[16];
	const char *p[3] = { ws, b, lim };
	json_object *o, *items;
	PGresult *res;
	enum anx_err err;
	int n;

	*out = NULL;
	if (!anx_uuid_valid(ws))
		return ANX_ERR_INVALID;
	snprintf(b, sizeof(b), "%d", before > 0 ? before : 2147483647);
	snprintf(lim, sizeof(lim), "%d", ANX_POLICY_HISTORY_PAGE + 1);
	if ((err = anx_db_exec(db, SQL_HISTORY, 3, p, &res)) != ANX_OK)
		return err;
	n = PQntuples(res);
	o = json_object_new_object();
	items = json_object_new_array();
	for (int r = 0; r < n && r < ANX_POLICY_HISTORY_PAGE; r++)
		json_object_array_add(items, version_row(res, r));
	json_object_object_add(o, "items", items);
	if (n > ANX_POLICY_HISTORY_PAGE)
		json_object_object_add(
			o, "older", int_cell(res, ANX_POLICY_HISTORY_PAGE - 1, V_VERSION));
	PQclear(res);
	*out = o;
	return ANX_OK;
}

/* The metadata row of one version, as version_row. */
static enum anx_err
load_meta(struct anx_db *db, const char *ws, int version, json_object **out)
{
	char v[16];
	const char *p[2] = { ws, v };
	PGresult *res;
	enum anx_err err;

	*out = NULL;
	if (!anx_uuid_valid(ws) || version < 1)
		return ANX_ERR_NOT_FOUND;
	snprintf(v, sizeof(v), "%d", version);
	if ((err = anx_db_exec(db, SQL_ONE, 2, p, &res)) != ANX_OK)
		return err;
	if (PQntuples(res) == 1)
		*out = version_row(res, 0);
	else
		err = ANX_ERR_NOT_FOUND;
	PQclear(res);
	return err;
}

/* The pretty text of version `version` of ws (malloc'd, via *text). */
static enum anx_err
load_text(struct anx_db *db, const char *ws, int version, char **text)
{
	json_object *v = NULL, *doc;
	enum anx_err err;

	*text = NULL;
	if ((err = anx_policy_version(db, ws, version, &v)) != ANX_OK)
		return err;
	if (!json_object_object_get_ex(v, "document", &doc) || doc == NULL)
		err = ANX_ERR_INTERNAL;
	else if ((*text = anx_policy_pretty(doc)) == NULL)
		err = ANX_ERR_NOMEM;
	json_object_put(v);
	return err;
}

enum anx_err
anx_policy_version_info(struct anx_db *db, const char *ws, int version, json_object **out)
{
	json_object *o;
	enum anx_err err;
	char *text;

	*out = NULL;
	if ((err = load_meta(db, ws, version, &o)) != ANX_OK)
		return err;
	if ((err = load_text(db, ws, version, &text)) != ANX_OK) {
		json_object_put(o);
		return err;
	}
	json_object_object_add(o, "pretty", json_object_new_string(text));
	free(text);
	*out = o;
	return ANX_OK;
}

enum anx_err
anx_policy_diff(struct anx_db *db, const char *ws, int from, int to, json_object **out)
{
	json_object *a = NULL, *b = NULL, *o, *dj;
	char *ta = NULL, *tb = NULL;
	struct anx_diff d;
	enum anx_err err;

	*out = NULL;
	if ((err = load_meta(db, ws, from, &a)) != ANX_OK ||
		(err = load_meta(db, ws, to, &b)) != ANX_OK ||
		(err = load_text(db, ws, from, &ta)) != ANX_OK ||
		(err = load_text(db, ws, to, &tb)) != ANX_OK)
		goto out;
	if (anx_diff_lines(ta, tb, &d) != 0) {
		err = ANX_ERR_NOMEM;
		goto out;
	}
	dj = anx_diff_json(&d, 3);
	anx_diff_free(&d);
	if (dj == NULL) {
		err = ANX_ERR_NOMEM;
		goto out;
	}
	o = json_object_new_object();
	json_object_object_add(o, "from", a);
	json_object_object_add(o, "to", b);
	json_object_object_add(o, "diff", dj);
	a = b = NULL;
	*out = o;
out:
	json_object_put(a);
	json_object_put(b);
	free(ta);
	free(tb);
	return err;
}
