/*
 * workspace.c - workspaces, members, roles, invitations and the dashboard
 * read models; see workspace.h.
 */
#include "workspace.h"

#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "crypto.h"
#include "demo.h"
#include "log.h"
#include "mail.h"
#include "session.h"
#include "timeutil.h"

/* A timestamptz column as people read it: "28 Nov 2026, 00:40 UTC". */
#define DISP(c) "to_char(" c " AT TIME ZONE 'UTC', 'DD Mon YYYY, HH24:MI \"UTC\"')"

static const char *role_names[] = {
	"viewer", /* ANX_ROLE_VIEWER */
	"admin",  /* ANX_ROLE_ADMIN */
	"owner",  /* ANX_ROLE_OWNER */
};

const char *
anx_role_name(enum anx_role r)
{
	return (unsigned)r < 3 ? role_names[r] : "viewer";
}

int
anx_role_parse(const char *s, enum anx_role *out)
{
	for (unsigned i = 0; s != NULL && i < 3; i++)
		if (strcmp(s, role_names[i]) == 0) {
			*out = (enum anx_role)i;
			return 0;
		}
	return -1;
}

/* The permission table: the least role allowed, and whether the action is
 * allowed while the workspace is archived. */
static const struct {
	enum anx_role least;
	int archived;
} perms[ANX_WS__ACTIONS] = {
	{ ANX_ROLE_VIEWER, 1 }, /* ANX_WS_VIEW */
	{ ANX_ROLE_ADMIN, 0 },  /* ANX_WS_ADMIN */
	{ ANX_ROLE_ADMIN, 0 },  /* ANX_WS_RENAME */
	{ ANX_ROLE_OWNER, 0 },  /* ANX_WS_ARCHIVE */
	{ ANX_ROLE_OWNER, 1 },  /* ANX_WS_RESTORE */
	{ ANX_ROLE_OWNER, 1 },  /* ANX_WS_DELETE */
	{ ANX_ROLE_ADMIN, 0 },  /* ANX_WS_MEMBERS */
	{ ANX_ROLE_OWNER, 0 },  /* ANX_WS_OWNERS */
	{ ANX_ROLE_ADMIN, 0 },  /* ANX_WS_KEYS */
	{ ANX_ROLE_VIEWER, 0 }, /* ANX_WS_DECIDE */
};

int
anx_ws_can(enum anx_role role, enum anx_ws_action a)
{
	if ((unsigned)a >= ANX_WS__ACTIONS || (unsigned)role > ANX_ROLE_OWNER)
		return 0;
	return role >= perms[a].least;
}

int
anx_ws_allowed_archived(enum anx_ws_action a)
{
	return (unsigned)a < ANX_WS__ACTIONS && perms[a].archived;
}

/* Counts the code points of valid UTF-8 s; -1 if s has a control
 * character (C0, DEL or C1) or is not valid UTF-8. */
static long
text_chars(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	long n = 0;

	if (!anx_utf8_valid(s, strlen(s)))
		return -1;
	for (; *p; p++) {
		if (*p < 0x20 || *p == 0x7f)
			return -1;
		if (p[0] == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f)
			return -1;
		if ((*p & 0xc0) != 0x80)
			n++;
	}
	return n;
}

const char *
anx_ws_name_problem(const char *s)
{
	long n;

	if (s == NULL || *s == '\0')
		return "Give the workspace a name.";
	if (s[0] == ' ' || s[strlen(s) - 1] == ' ')
		return "The name can't start or end with a space.";
	if ((n = text_chars(s)) < 0)
		return "The name can't contain control characters.";
	if (n > ANX_WS_NAME_MAX)
		return "Use at most 100 characters.";
	return NULL;
}

const char *
anx_key_label_problem(const char *s)
{
	long n;

	if (s == NULL || *s == '\0')
		return "Give the key a label, such as the agent or service that will use it.";
	if ((n = text_chars(s)) < 0)
		return "The label can't contain control characters.";
	if (n > 100)
		return "Use at most 100 characters.";
	return NULL;
}

const char *
anx_display_name_problem(const char *s)
{
	long n;

	if (s == NULL || *s == '\0')
		return NULL;
	if ((n = text_chars(s)) < 0)
		return "Your name can't contain control characters.";
	if (n > 100)
		return "Use at most 100 characters.";
	return NULL;
}

static int
role_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '.' || c == '-';
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int
anx_approval_roles_parse(const char *csv, char *out, size_t cap, const char **problem)
{
	char items[ANX_APPROVAL_ROLES_MAX][ANX_APPROVAL_ROLE_MAX + 1];
	char *sorted[ANX_APPROVAL_ROLES_MAX] = { NULL };
	size_t n = 0, len = 0;
	const char *p = csv ? csv : "";

	*problem = NULL;
	while (*p) {
		const char *start, *end;

		while (*p == ' ' || *p == '\t' || *p == ',')
			p++;
		start = p;
		while (*p && *p != ',')
			p++;
		end = p;
		while (end > start && (end[-1] == ' ' || end[-1] == '\t'))
			end--;
		if (end == start)
			continue;
		if ((size_t)(end - start) > ANX_APPROVAL_ROLE_MAX) {
			*problem = "Each approval role has at most 64 characters.";
			return -1;
		}
		for (const char *c = start; c < end; c++)
			if (!role_char(*c)) {
				*problem = "Approval roles use letters, digits, '_', '.' and '-', "
					   "separated by commas.";
				return -1;
			}
		if (n == ANX_APPROVAL_ROLES_MAX) {
			*problem = "A member can hold at most 20 approval roles.";
			return -1;
		}
		memcpy(items[n], start, (size_t)(end - start));
		items[n][end - start] = '\0';
		sorted[n] = items[n];
		n++;
	}
	qsort(sorted, n, sizeof(sorted[0]), cmp_str);
	if (cap < 3)
		goto toolong;
	out[len++] = '{';
	for (size_t i = 0; i < n; i++) {
		size_t k = strlen(sorted[i]);

		if (i > 0 && strcmp(sorted[i], sorted[i - 1]) == 0)
			continue;
		if (len + k + 4 >= cap)
			goto toolong;
		if (len > 1)
			out[len++] = ',';
		out[len++] = '"';
		memcpy(out + len, sorted[i], k);
		len += k;
		out[len++] = '"';
	}
	out[len++] = '}';
	out[len] = '\0';
	return 0;
toolong:
	*problem = "Too many approval roles.";
	return -1;
}

/* json helpers over a result cell */
static json_object *
jstr(const PGresult *res, int r, int c)
{
	return json_object_new_string(PQgetvalue(res, r, c));
}

/* The cell as a string, or null when empty (templates treat "" as true). */
static json_object *
jstr_opt(const PGresult *res, int r, int c)
{
	return *PQgetvalue(res, r, c) ? json_object_new_string(PQgetvalue(res, r, c)) : NULL;
}

static int
jtrue(const PGresult *res, int r, int c)
{
	return strcmp(PQgetvalue(res, r, c), "t") == 0;
}

/* Copies cell (r, c) into out (cap bytes, truncated). */
static void
cell(const PGresult *res, int r, int c, char *out, size_t cap)
{
	const char *v = PQgetvalue(res, r, c);
	size_t n = strlen(v);

	if (n >= cap)
		n = cap - 1;
	memcpy(out, v, n);
	out[n] = '\0';
}

/* Records event in ws by user actor about subject with data (consumed). */
static enum anx_err
audit(struct anx_db *db, const char *ws, const char *actor, const char *event,
	const char *subject_type, const char *subject_id, json_object *data)
{
	enum anx_err err = anx_audit_record(
		db, ws, actor ? "user" : "system", actor, event, subject_type, subject_id, data);

	json_object_put(data);
	return err;
}

/* ---- listing ---------------------------------------------------------- */

static const char SQL_LIST[] =
	"SELECT w.id, w.name, m.role, w.archived_at IS NOT NULL,"
	" coalesce(" ANX_SQL_TS("w.archived_at") ", ''), " ANX_SQL_TS(
		"w.created_at") ","
				" to_char(w.created_at AT TIME ZONE 'UTC', 'DD Mon YYYY'),"
				" (SELECT count(*) FROM workspace_members c WHERE c.workspace_id = "
				"w.id)"
				" FROM workspace_members m JOIN workspaces w ON w.id = "
				"m.workspace_id"
				" WHERE m.user_id = $1 ORDER BY w.archived_at IS NOT NULL, "
				"lower(w.name), w.id";

enum anx_err
anx_ws_list_for_user(struct anx_db *db, const char *user_id, json_object **out)
{
	const char *p[1] = { user_id };
	json_object *arr, *o;
	PGresult *res;
	enum anx_err err;

	*out = NULL;
	if ((err = anx_db_exec(db, SQL_LIST, 1, p, &res)) != ANX_OK)
		return err;
	if ((arr = json_object_new_array()) == NULL) {
		PQclear(res);
		return ANX_ERR_NOMEM;
	}
	for (int r = 0; r < PQntuples(res); r++) {
		o = json_object_new_object();
		json_object_object_add(o, "id", jstr(res, r, 0));
		json_object_object_add(o, "name", jstr(res, r, 1));
		json_object_object_add(o, "role", jstr(res, r, 2));
		json_object_object_add(o, "archived", json_object_new_boolean(jtrue(res, r, 3)));
		json_object_object_add(o, "archived_at", jstr_opt(res, r, 4));
		json_object_object_add(o, "created_at", jstr(res, r, 5));
		json_object_object_add(o, "created_display", jstr(res, r, 6));
		json_object_object_add(
			o, "members", json_object_new_int(atoi(PQgetvalue(res, r, 7))));
		json_object_array_add(arr, o);
	}
	PQclear(res);
	*out = arr;
	return ANX_OK;
}

/* ---- create, rename, archive, delete ---------------------------------- */

static const char SQL_WS_INSERT[] =
	"INSERT INTO workspaces (name, created_by) VALUES ($1, $2) RETURNING id";
static const char SQL_OWNER_INSERT[] =
	"INSERT INTO workspace_members (workspace_id, user_id, role) VALUES ($1, $2, 'owner')";
static const char SQL_SETTINGS_INSERT[] =
	"INSERT INTO workspace_integration_settings (workspace_id, webhook_secret) VALUES ($1, $2)";
static const char SQL_USER_EMAIL[] = "SELECT email FROM users WHERE id = $1";

struct create_ctx {
	const char *user_id, *name;
	char *id;
};

static enum anx_err
create_tx(struct anx_db *db, void *arg)
{
	struct create_ctx *c = arg;
	char secret[ANX_WEBHOOK_SECRET_LEN + 1], email[ANX_EMAIL_MAX + 1];
	const char *p[2];
	json_object *d;
	enum anx_err err;

	p[0] = c->name;
	p[1] = c->user_id;
	if ((err = anx_db_value(db, SQL_WS_INSERT, 2, p, c->id, 37)) != ANX_OK)
		return err;
	p[0] = c->id;
	if ((err = anx_db_exec(db, SQL_OWNER_INSERT, 2, p, NULL)) != ANX_OK)
		return err;
	if (anx_webhook_secret_generate(secret) != 0)
		return ANX_ERR_INTERNAL;
	p[1] = secret;
	err = anx_db_exec(db, SQL_SETTINGS_INSERT, 2, p, NULL);
	anx_secure_zero(secret, sizeof(secret));
	if (err != ANX_OK)
		return err;
	p[0] = c->user_id;
	if ((err = anx_db_value(db, SQL_USER_EMAIL, 1, p, email, sizeof(email))) != ANX_OK)
		return err;
	d = json_object_new_object();
	json_object_object_add(d, "name", json_object_new_string(c->name));
	if ((err = audit(db, c->id, c->user_id, "workspace.created", "workspace", c->id, d)) !=
		ANX_OK)
		return err;
	d = json_object_new_object();
	json_object_object_add(d, "email", json_object_new_string(email));
	json_object_object_add(d, "role", json_object_new_string("owner"));
	json_object_object_add(d, "approval_roles", json_object_new_string("{}"));
	return audit(db, c->id, c->user_id, "member.added", "user", c->user_id, d);
}

enum anx_err
anx_ws_create(struct anx_db *db, const char *user_id, const char *name, char id_out[37])
{
	struct create_ctx c = { user_id, name, id_out };

	if (anx_ws_name_problem(name) != NULL)
		return ANX_ERR_VALIDATION;
	return anx_db_tx(db, create_tx, &c);
}

static const char SQL_RENAME[] =
	"WITH old AS (SELECT id, name FROM workspaces WHERE id = $1 FOR UPDATE)"
	" UPDATE workspaces w SET name = $2 FROM old WHERE w.id = old.id RETURNING old.name";

struct rename_ctx {
	const char *ws, *user_id, *name;
};

static enum anx_err
rename_tx(struct anx_db *db, void *arg)
{
	struct rename_ctx *c = arg;
	const char *p[2] = { c->ws, c->name };
	char old[4 * ANX_WS_NAME_MAX + 1];
	json_object *d;
	enum anx_err err;

	if ((err = anx_db_value(db, SQL_RENAME, 2, p, old, sizeof(old))) != ANX_OK)
		return err;
	if (strcmp(old, c->name) == 0)
		return ANX_OK;
	d = json_object_new_object();
	json_object_object_add(d, "from", json_object_new_string(old));
	json_object_object_add(d, "to", json_object_new_string(c->name));
	return audit(db, c->ws, c->user_id, "workspace.renamed", "workspace", c->ws, d);
}

enum anx_err
anx_ws_rename(struct anx_db *db, const char *ws, const char *user_id, const char *name)
{
	struct rename_ctx c = { ws, user_id, name };

	if (anx_ws_name_problem(name) != NULL)
		return ANX_ERR_VALIDATION;
	return anx_db_tx(db, rename_tx, &c);
}

/* The actor's role in ws, locking the workspace row so concurrent role
 * changes and deletes serialise. */
static const char SQL_ACTOR_ROLE[] =
	"SELECT m.role FROM workspaces w JOIN workspace_members m"
	" ON m.workspace_id = w.id AND m.user_id = $2 WHERE w.id = $1 FOR UPDATE OF w";

static enum anx_err
actor_role(struct anx_db *db, const char *ws, const char *user_id, enum anx_role *out)
{
	const char *p[2] = { ws, user_id };
	char role[16];
	enum anx_err err;

	if ((err = anx_db_value(db, SQL_ACTOR_ROLE, 2, p, role, sizeof(role))) != ANX_OK)
		return err;
	return anx_role_parse(role, out) == 0 ? ANX_OK : ANX_ERR_INTERNAL;
}

static const char SQL_ARCHIVE[] =
	"UPDATE workspaces SET archived_at = CASE WHEN $2::boolean THEN now() END"
	" WHERE id = $1 AND (archived_at IS NULL) = $2::boolean RETURNING id";

struct archive_ctx {
	const char *ws, *user_id;
	int archive;
};

static enum anx_err
archive_tx(struct anx_db *db, void *arg)
{
	struct archive_ctx *c = arg;
	const char *p[2] = { c->ws, c->archive ? "true" : "false" };
	enum anx_role role;
	PGresult *res;
	enum anx_err err;
	int changed;

	if ((err = actor_role(db, c->ws, c->user_id, &role)) != ANX_OK)
		return err;
	if (!anx_ws_can(role, c->archive ? ANX_WS_ARCHIVE : ANX_WS_RESTORE))
		return ANX_ERR_FORBIDDEN;
	if ((err = anx_db_exec(db, SQL_ARCHIVE, 2, p, &res)) != ANX_OK)
		return err;
	changed = PQntuples(res) == 1;
	PQclear(res);
	if (!changed)
		return ANX_OK;
	return audit(db, c->ws, c->user_id,
		c->archive ? "workspace.archived" : "workspace.restored", "workspace", c->ws, NULL);
}

enum anx_err
anx_ws_set_archived(struct anx_db *db, const char *ws, const char *user_id, int archive)
{
	struct archive_ctx c = { ws, user_id, archive };

	return anx_db_tx(db, archive_tx, &c);
}

static const char SQL_DELETE_INFO[] =
	"SELECT w.name, u.email, jsonb_build_object("
	" 'members', (SELECT count(*) FROM workspace_members WHERE workspace_id = w.id),"
	" 'api_keys', (SELECT count(*) FROM api_keys WHERE workspace_id = w.id),"
	" 'evaluations', (SELECT count(*) FROM evaluations WHERE workspace_id = w.id),"
	" 'audit_events', (SELECT count(*) FROM audit_events WHERE workspace_id = w.id))::text"
	" FROM workspaces w, users u WHERE w.id = $1 AND u.id = $2";
static const char SQL_TOMBSTONE[] =
	"INSERT INTO workspace_tombstones (workspace_id, name, deleted_by, deleted_by_email, "
	"counts,"
	" request_id) VALUES ($1, $2, $3, $4, $5::jsonb, NULLIF($6, ''))";
static const char SQL_DELETE[] = "DELETE FROM workspaces WHERE id = $1";

struct delete_ctx {
	const char *ws, *user_id, *typed;
};

static enum anx_err
delete_tx(struct anx_db *db, void *arg)
{
	struct delete_ctx *c = arg;
	const char *p[6];
	enum anx_role role;
	PGresult *res = NULL;
	enum anx_err err;

	if ((err = actor_role(db, c->ws, c->user_id, &role)) != ANX_OK)
		return err;
	if (!anx_ws_can(role, ANX_WS_DELETE))
		return ANX_ERR_FORBIDDEN;
	p[0] = c->ws;
	p[1] = c->user_id;
	if ((err = anx_db_exec(db, SQL_DELETE_INFO, 2, p, &res)) != ANX_OK)
		return err;
	if (PQntuples(res) != 1) {
		err = ANX_ERR_NOT_FOUND;
		goto out;
	}
	if (strcmp(PQgetvalue(res, 0, 0), c->typed) != 0) {
		err = ANX_ERR_VALIDATION;
		goto out;
	}
	p[1] = PQgetvalue(res, 0, 0);
	p[2] = c->user_id;
	p[3] = PQgetvalue(res, 0, 1);
	p[4] = PQgetvalue(res, 0, 2);
	p[5] = anx_log_request_id();
	if ((err = anx_db_exec(db, SQL_TOMBSTONE, 6, p, NULL)) != ANX_OK)
		goto out;
	if ((err = anx_db_exec(db, SQL_DELETE, 1, p, NULL)) != ANX_OK)
		goto out;
	anx_log(ANX_LOG_INFO, "workspace_deleted", LF_STR("workspace_id", c->ws),
		LF_STR("user_id", c->user_id), LF_STR("counts", PQgetvalue(res, 0, 2)), ANX_LF_END);
out:
	PQclear(res);
	return err;
}

enum anx_err
anx_ws_delete(struct anx_db *db, const char *ws, const char *user_id, const char *typed)
{
	struct delete_ctx c = { ws, user_id, typed ? typed : "" };

	return anx_db_tx(db, delete_tx, &c);
}

/* ---- members ---------------------------------------------------------- */

static const char SQL_MEMBERS[] =
	"SELECT u.id, u.email, u.display_name, m.role, array_to_string(m.approval_roles, ', '),"
	" " DISP("m.created_at") " FROM workspace_members m JOIN users u ON u.id = m.user_id"
				 " WHERE m.workspace_id = $1"
				 " ORDER BY CASE m.role WHEN 'owner' THEN 0 WHEN 'admin' THEN 1 "
				 "ELSE 2 END, lower(u.email)";
static const char SQL_INVITATIONS[] =
	"SELECT i.id, i.email, i.role, array_to_string(i.approval_roles, ', '),"
	" " DISP("i.created_at") ", " DISP(
		"i.expires_at") ", i.expires_at < now(),"
				" coalesce(nullif(u.display_name, ''), u.email, '')"
				" FROM invitations i LEFT JOIN users u ON u.id = i.invited_by"
				" WHERE i.workspace_id = $1 AND i.accepted_at IS NULL AND "
				"i.revoked_at IS NULL"
				" ORDER BY i.created_at DESC LIMIT 200";

enum anx_err
anx_ws_members(struct anx_db *db, const char *ws, json_object **out)
{
	const char *p[1] = { ws };
	json_object *o, *members, *invs, *m, *list;
	PGresult *res = NULL;
	enum anx_err err;
	int owners = 0;

	*out = NULL;
	if ((err = anx_db_exec(db, SQL_MEMBERS, 1, p, &res)) != ANX_OK)
		return err;
	o = json_object_new_object();
	members = json_object_new_array();
	json_object_object_add(o, "members", members);
	for (int r = 0; r < PQntuples(res); r++) {
		const char *roles = PQgetvalue(res, r, 4);

		m = json_object_new_object();
		json_object_object_add(m, "user_id", jstr(res, r, 0));
		json_object_object_add(m, "email", jstr(res, r, 1));
		json_object_object_add(m, "display_name", jstr_opt(res, r, 2));
		json_object_object_add(m, "role", jstr(res, r, 3));
		json_object_object_add(m, "approval_roles", jstr_opt(res, r, 4));
		list = json_object_new_array();
		for (const char *s = roles; *s;) {
			size_t k = strcspn(s, ",");

			json_object_array_add(list, json_object_new_string_len(s, (int)k));
			s += k;
			while (*s == ',' || *s == ' ')
				s++;
		}
		json_object_object_add(m, "approval_role_list", list);
		json_object_object_add(m, "joined_display", jstr(res, r, 5));
		json_object_object_add(m, "is_owner",
			json_object_new_boolean(strcmp(PQgetvalue(res, r, 3), "owner") == 0));
		owners += strcmp(PQgetvalue(res, r, 3), "owner") == 0;
		json_object_array_add(members, m);
	}
	PQclear(res);
	json_object_object_add(o, "owners", json_object_new_int(owners));
	if ((err = anx_db_exec(db, SQL_INVITATIONS, 1, p, &res)) != ANX_OK) {
		json_object_put(o);
		return err;
	}
	invs = json_object_new_array();
	json_object_object_add(o, "invitations", invs);
	for (int r = 0; r < PQntuples(res); r++) {
		m = json_object_new_object();
		json_object_object_add(m, "id", jstr(res, r, 0));
		json_object_object_add(m, "email", jstr(res, r, 1));
		json_object_object_add(m, "role", jstr(res, r, 2));
		json_object_object_add(m, "approval_roles", jstr_opt(res, r, 3));
		json_object_object_add(m, "created_display", jstr(res, r, 4));
		json_object_object_add(m, "expires_display", jstr(res, r, 5));
		json_object_object_add(m, "expired", json_object_new_boolean(jtrue(res, r, 6)));
		json_object_object_add(m, "invited_by", jstr_opt(res, r, 7));
		json_object_array_add(invs, m);
	}
	PQclear(res);
	*out = o;
	return ANX_OK;
}

static const char SQL_WS_NAME[] = "SELECT name FROM workspaces WHERE id = $1";
static const char SQL_IS_MEMBER_EMAIL[] =
	"SELECT u.id FROM workspace_members m JOIN users u ON u.id = m.user_id"
	" WHERE m.workspace_id = $1 AND lower(u.email) = lower($2)";
static const char SQL_INVITE_REPLACE[] =
	"UPDATE invitations SET revoked_at = now() WHERE workspace_id = $1"
	" AND lower(email) = lower($2) AND accepted_at IS NULL AND revoked_at IS NULL";
static const char SQL_INVITE_INSERT[] =
	"INSERT INTO invitations (workspace_id, email, role, approval_roles, token_hash, "
	"invited_by,"
	" expires_at) VALUES ($1, $2, $3, $4::text[], $5::bytea, $6,"
	" now() + $7::int * interval '1 second') RETURNING id, " ANX_SQL_TS("expires_at");
static const char SQL_USER_NAME[] =
	"SELECT coalesce(nullif(display_name, ''), email) FROM users WHERE id = $1";

struct invite_ctx {
	const struct anx_invite *inv;
	char *id;
};

static enum anx_err
invite_tx(struct anx_db *db, void *arg)
{
	struct invite_ctx *c = arg;
	const struct anx_invite *inv = c->inv;
	char wsname[4 * ANX_WS_NAME_MAX + 1], inviter[4 * ANX_DISPLAY_NAME_MAX + 256], tmp[37];
	char token[ANX_TOKEN_LEN + 1], hash[ANX_TOKEN_HASH_PARAM], ttl[24];
	struct anx_mail mail;
	enum anx_role role;
	const char *p[7];
	PGresult *res = NULL;
	json_object *ctx = NULL, *d;
	enum anx_err err;

	if ((err = actor_role(db, inv->workspace_id, inv->actor_id, &role)) != ANX_OK)
		return err == ANX_ERR_NOT_FOUND ? ANX_ERR_FORBIDDEN : err;
	if (!anx_ws_can(role, ANX_WS_MEMBERS) ||
		(inv->role == ANX_ROLE_OWNER && !anx_ws_can(role, ANX_WS_OWNERS)))
		return ANX_ERR_FORBIDDEN;
	p[0] = inv->workspace_id;
	if ((err = anx_db_value(db, SQL_WS_NAME, 1, p, wsname, sizeof(wsname))) != ANX_OK)
		return err;
	p[1] = inv->email;
	err = anx_db_value(db, SQL_IS_MEMBER_EMAIL, 2, p, tmp, sizeof(tmp));
	if (err == ANX_OK)
		return ANX_ERR_CONFLICT;
	if (err != ANX_ERR_NOT_FOUND)
		return err;
	if ((err = anx_db_exec(db, SQL_INVITE_REPLACE, 2, p, NULL)) != ANX_OK)
		return err;
	if (anx_token_new(token) != 0)
		return ANX_ERR_INTERNAL;
	anx_token_hash_param(token, hash);
	snprintf(ttl, sizeof(ttl), "%ld", ANX_INVITE_TTL_SECONDS);
	p[2] = anx_role_name(inv->role);
	p[3] = inv->approval_roles ? inv->approval_roles : "{}";
	p[4] = hash;
	p[5] = inv->actor_id;
	p[6] = ttl;
	if ((err = anx_db_exec(db, SQL_INVITE_INSERT, 7, p, &res)) != ANX_OK)
		goto out;
	cell(res, 0, 0, c->id, 37);
	p[0] = inv->actor_id;
	if ((err = anx_db_value(db, SQL_USER_NAME, 1, p, inviter, sizeof(inviter))) != ANX_OK)
		goto out;
	ctx = json_object_new_object();
	json_object_object_add(ctx, "token", json_object_new_string(token));
	json_object_object_add(ctx, "workspace_name", json_object_new_string(wsname));
	json_object_object_add(ctx, "inviter_name", json_object_new_string(inviter));
	json_object_object_add(ctx, "role", json_object_new_string(anx_role_name(inv->role)));
	json_object_object_add(ctx, "expires_at", jstr(res, 0, 1));
	memset(&mail, 0, sizeof(mail));
	mail.kind = ANX_MAIL_INVITATION;
	mail.workspace_id = inv->workspace_id;
	mail.to = inv->email;
	mail.scrub_after_send = 1; /* the link is a credential */
	if ((err = anx_mail_enqueue_template(db, &mail, ctx)) != ANX_OK)
		goto out;
	d = json_object_new_object();
	json_object_object_add(d, "email", json_object_new_string(inv->email));
	json_object_object_add(d, "role", json_object_new_string(anx_role_name(inv->role)));
	json_object_object_add(d, "approval_roles", json_object_new_string(p[3]));
	err = audit(db, inv->workspace_id, inv->actor_id, "member.invited", "invitation", c->id, d);
out:
	anx_secure_zero(token, sizeof(token));
	if (ctx) {
		/* the context holds the token too */
		json_object_object_del(ctx, "token");
		json_object_put(ctx);
	}
	PQclear(res);
	return err;
}

enum anx_err
anx_ws_invite(struct anx_db *db, const struct anx_invite *inv, char id_out[37])
{
	struct invite_ctx c = { inv, id_out };

	return anx_db_tx(db, invite_tx, &c);
}

static const char SQL_INVITE_REVOKE[] =
	"UPDATE invitations SET revoked_at = now() WHERE id = $1 AND workspace_id = $2"
	" AND accepted_at IS NULL AND revoked_at IS NULL RETURNING email";

struct inv_revoke_ctx {
	const char *ws, *actor, *id;
};

static enum anx_err
inv_revoke_tx(struct anx_db *db, void *arg)
{
	struct inv_revoke_ctx *c = arg;
	const char *p[2] = { c->id, c->ws };
	char email[ANX_EMAIL_MAX + 1];
	enum anx_role role;
	json_object *d;
	enum anx_err err;

	if ((err = actor_role(db, c->ws, c->actor, &role)) != ANX_OK)
		return err == ANX_ERR_NOT_FOUND ? ANX_ERR_FORBIDDEN : err;
	if (!anx_ws_can(role, ANX_WS_MEMBERS))
		return ANX_ERR_FORBIDDEN;
	if ((err = anx_db_value(db, SQL_INVITE_REVOKE, 2, p, email, sizeof(email))) != ANX_OK)
		return err;
	d = json_object_new_object();
	json_object_object_add(d, "email", json_object_new_string(email));
	return audit(db, c->ws, c->actor, "invitation.revoked", "invitation", c->id, d);
}

enum anx_err
anx_ws_invitation_revoke(
	struct anx_db *db, const char *ws, const char *actor_id, const char *inv_id)
{
	struct inv_revoke_ctx c = { ws, actor_id, inv_id };

	return anx_db_tx(db, inv_revoke_tx, &c);
}

static const char SQL_TARGET[] =
	"SELECT m.role, u.email, m.approval_roles::text FROM workspace_members m"
	" JOIN users u ON u.id = m.user_id WHERE m.workspace_id = $1 AND m.user_id = $2"
	" FOR UPDATE OF m";
static const char SQL_OWNER_COUNT[] =
	"SELECT count(*) FROM workspace_members WHERE workspace_id = $1 AND role = 'owner'";
static const char SQL_MEMBER_SET[] =
	"UPDATE workspace_members SET role = $3, approval_roles = $4::text[]"
	" WHERE workspace_id = $1 AND user_id = $2 RETURNING approval_roles::text";
static const char SQL_MEMBER_DELETE[] =
	"DELETE FROM workspace_members WHERE workspace_id = $1 AND user_id = $2";
static const char SQL_CLOSE_REQUESTS[] =
	"UPDATE approval_requests SET status = 'closed' WHERE workspace_id = $1 AND user_id = $2"
	" AND status = 'open'";

struct member_ctx {
	const char *ws, *actor, *target;
	enum anx_role role;
	const char *approval_roles; /* NULL: remove */
};

/*
 * Loads the target's membership and applies the rules shared by update
 * and remove. Fills role_out, email and old_roles.
 */
static enum anx_err
member_rules(struct anx_db *db, const struct member_ctx *c, enum anx_role *target_role, char *email,
	size_t emailcap, char *old_roles, size_t rolescap)
{
	const char *p[2] = { c->ws, c->target };
	enum anx_role actor, newrole = c->role;
	char count[24];
	PGresult *res;
	enum anx_err err;
	int self = strcmp(c->actor, c->target) == 0;
	int removing = c->approval_roles == NULL;

	if ((err = actor_role(db, c->ws, c->actor, &actor)) != ANX_OK)
		return err == ANX_ERR_NOT_FOUND ? ANX_ERR_FORBIDDEN : err;
	if ((err = anx_db_exec(db, SQL_TARGET, 2, p, &res)) != ANX_OK)
		return err;
	if (PQntuples(res) != 1) {
		PQclear(res);
		return ANX_ERR_NOT_FOUND;
	}
	if (anx_role_parse(PQgetvalue(res, 0, 0), target_role) != 0)
		*target_role = ANX_ROLE_VIEWER;
	cell(res, 0, 1, email, emailcap);
	cell(res, 0, 2, old_roles, rolescap);
	PQclear(res);
	/* Anyone may leave; managing others needs the members permission,
	 * and touching an owner (or making one) needs the owners one. */
	if (!(removing && self)) {
		if (!anx_ws_can(actor, ANX_WS_MEMBERS))
			return ANX_ERR_FORBIDDEN;
		if ((*target_role == ANX_ROLE_OWNER || (!removing && newrole == ANX_ROLE_OWNER)) &&
			!anx_ws_can(actor, ANX_WS_OWNERS))
			return ANX_ERR_FORBIDDEN;
	}
	if (*target_role == ANX_ROLE_OWNER && (removing || newrole != ANX_ROLE_OWNER)) {
		p[1] = NULL;
		if ((err = anx_db_value(db, SQL_OWNER_COUNT, 1, p, count, sizeof(count))) != ANX_OK)
			return err;
		if (atol(count) <= 1)
			return ANX_ERR_CONFLICT;
	}
	return ANX_OK;
}

static enum anx_err
update_tx(struct anx_db *db, void *arg)
{
	struct member_ctx *c = arg;
	char email[ANX_EMAIL_MAX + 1], old_roles[ANX_APPROVAL_ROLES_PG + 64];
	char new_roles[ANX_APPROVAL_ROLES_PG + 64];
	const char *p[4];
	enum anx_role old;
	json_object *d;
	PGresult *res;
	enum anx_err err;

	if ((err = member_rules(db, c, &old, email, sizeof(email), old_roles, sizeof(old_roles))) !=
		ANX_OK)
		return err;
	p[0] = c->ws;
	p[1] = c->target;
	p[2] = anx_role_name(c->role);
	p[3] = c->approval_roles;
	if ((err = anx_db_exec(db, SQL_MEMBER_SET, 4, p, &res)) != ANX_OK)
		return err;
	cell(res, 0, 0, new_roles, sizeof(new_roles));
	PQclear(res);
	if (old == c->role && strcmp(old_roles, new_roles) == 0)
		return ANX_OK;
	d = json_object_new_object();
	json_object_object_add(d, "email", json_object_new_string(email));
	json_object_object_add(d, "from_role", json_object_new_string(anx_role_name(old)));
	json_object_object_add(d, "to_role", json_object_new_string(anx_role_name(c->role)));
	json_object_object_add(d, "from_approval_roles", json_object_new_string(old_roles));
	json_object_object_add(d, "to_approval_roles", json_object_new_string(new_roles));
	return audit(db, c->ws, c->actor, "member.role_changed", "user", c->target, d);
}

enum anx_err
anx_ws_member_update(struct anx_db *db, const char *ws, const char *actor_id, const char *target,
	enum anx_role role, const char *approval_roles)
{
	struct member_ctx c = { ws, actor_id, target, role,
		approval_roles ? approval_roles : "{}" };

	return anx_db_tx(db, update_tx, &c);
}

static enum anx_err
remove_tx(struct anx_db *db, void *arg)
{
	struct member_ctx *c = arg;
	char email[ANX_EMAIL_MAX + 1], old_roles[ANX_APPROVAL_ROLES_PG + 64];
	const char *p[2] = { c->ws, c->target };
	enum anx_role old;
	json_object *d;
	enum anx_err err;

	if ((err = member_rules(db, c, &old, email, sizeof(email), old_roles, sizeof(old_roles))) !=
		ANX_OK)
		return err;
	if ((err = anx_db_exec(db, SQL_MEMBER_DELETE, 2, p, NULL)) != ANX_OK)
		return err;
	if ((err = anx_db_exec(db, SQL_CLOSE_REQUESTS, 2, p, NULL)) != ANX_OK)
		return err;
	d = json_object_new_object();
	json_object_object_add(d, "email", json_object_new_string(email));
	json_object_object_add(d, "role", json_object_new_string(anx_role_name(old)));
	json_object_object_add(d, "approval_roles", json_object_new_string(old_roles));
	json_object_object_add(
		d, "left", json_object_new_boolean(strcmp(c->actor, c->target) == 0));
	return audit(db, c->ws, c->actor, "member.removed", "user", c->target, d);
}

enum anx_err
anx_ws_member_remove(struct anx_db *db, const char *ws, const char *actor_id, const char *target)
{
	struct member_ctx c = { ws, actor_id, target, ANX_ROLE_VIEWER, NULL };

	return anx_db_tx(db, remove_tx, &c);
}

/* ---- invitations ------------------------------------------------------ */

static const char SQL_INVITE_LOOKUP[] =
	"SELECT i.id, i.workspace_id, w.name, i.email, i.role,"
	" array_to_string(i.approval_roles, ', '), coalesce(nullif(u.display_name, ''), u.email, "
	"''),"
	" " DISP("i.expires_at") ","
				 " EXISTS (SELECT 1 FROM users x WHERE lower(x.email) = "
				 "lower(i.email))"
				 " FROM invitations i JOIN workspaces w ON w.id = i.workspace_id"
				 " LEFT JOIN users u ON u.id = i.invited_by"
				 " WHERE i.token_hash = $1::bytea AND i.accepted_at IS NULL AND "
				 "i.revoked_at IS NULL"
				 " AND i.expires_at > now()";

enum anx_err
anx_invite_lookup(struct anx_db *db, const char *token, struct anx_invite_view *out)
{
	char hash[ANX_TOKEN_HASH_PARAM];
	const char *p[1] = { hash };
	PGresult *res;
	enum anx_err err;

	memset(out, 0, sizeof(*out));
	if (!anx_token_valid(token))
		return ANX_ERR_NOT_FOUND;
	anx_token_hash_param(token, hash);
	if ((err = anx_db_exec(db, SQL_INVITE_LOOKUP, 1, p, &res)) != ANX_OK)
		return err;
	if (PQntuples(res) != 1) {
		PQclear(res);
		return ANX_ERR_NOT_FOUND;
	}
	cell(res, 0, 0, out->id, sizeof(out->id));
	cell(res, 0, 1, out->workspace_id, sizeof(out->workspace_id));
	cell(res, 0, 2, out->workspace_name, sizeof(out->workspace_name));
	cell(res, 0, 3, out->email, sizeof(out->email));
	cell(res, 0, 4, out->role, sizeof(out->role));
	cell(res, 0, 5, out->approval_roles, sizeof(out->approval_roles));
	cell(res, 0, 6, out->inviter, sizeof(out->inviter));
	cell(res, 0, 7, out->expires_display, sizeof(out->expires_display));
	out->user_exists = jtrue(res, 0, 8);
	PQclear(res);
	return ANX_OK;
}

static const char SQL_INVITE_CLAIM[] =
	"SELECT i.id, i.workspace_id, i.role, i.approval_roles::text, i.email,"
	" lower(i.email) = lower(u.email)"
	" FROM invitations i, users u WHERE i.token_hash = $1::bytea AND u.id = $2"
	" AND i.accepted_at IS NULL AND i.revoked_at IS NULL AND i.expires_at > now()"
	" FOR UPDATE OF i";
static const char SQL_MEMBER_ADD[] =
	"INSERT INTO workspace_members (workspace_id, user_id, role, approval_roles)"
	" VALUES ($1, $2, $3, $4::text[]) ON CONFLICT DO NOTHING RETURNING user_id";
static const char SQL_INVITE_DONE[] =
	"UPDATE invitations SET accepted_at = now(), accepted_by = $2 WHERE id = $1";

struct accept_ctx {
	const char *token, *user_id;
	char *ws;
	int *already;
};

static enum anx_err
accept_tx(struct anx_db *db, void *arg)
{
	struct accept_ctx *c = arg;
	char hash[ANX_TOKEN_HASH_PARAM];
	const char *p[4];
	PGresult *res = NULL, *ins = NULL;
	json_object *d;
	enum anx_err err;

	*c->already = 0;
	anx_token_hash_param(c->token, hash);
	p[0] = hash;
	p[1] = c->user_id;
	if ((err = anx_db_exec(db, SQL_INVITE_CLAIM, 2, p, &res)) != ANX_OK)
		return err;
	if (PQntuples(res) != 1) {
		err = ANX_ERR_NOT_FOUND;
		goto out;
	}
	if (!jtrue(res, 0, 5)) {
		err = ANX_ERR_FORBIDDEN;
		goto out;
	}
	cell(res, 0, 1, c->ws, 37);
	p[0] = c->ws;
	p[1] = c->user_id;
	p[2] = PQgetvalue(res, 0, 2);
	p[3] = PQgetvalue(res, 0, 3);
	if ((err = anx_db_exec(db, SQL_MEMBER_ADD, 4, p, &ins)) != ANX_OK)
		goto out;
	*c->already = PQntuples(ins) == 0;
	p[0] = PQgetvalue(res, 0, 0);
	if ((err = anx_db_exec(db, SQL_INVITE_DONE, 2, p, NULL)) != ANX_OK)
		goto out;
	if (*c->already)
		goto out;
	d = json_object_new_object();
	json_object_object_add(d, "email", jstr(res, 0, 4));
	json_object_object_add(d, "role", jstr(res, 0, 2));
	json_object_object_add(d, "approval_roles", jstr(res, 0, 3));
	json_object_object_add(d, "invitation_id", jstr(res, 0, 0));
	err = audit(db, c->ws, c->user_id, "member.added", "user", c->user_id, d);
out:
	PQclear(ins);
	PQclear(res);
	return err;
}

enum anx_err
anx_invite_accept(
	struct anx_db *db, const char *token, const char *user_id, char ws_out[37], int *already)
{
	struct accept_ctx c = { token, user_id, ws_out, already };
	enum anx_err err;

	*already = 0;
	ws_out[0] = '\0';
	if (!anx_token_valid(token))
		return ANX_ERR_NOT_FOUND;
	if ((err = anx_db_tx(db, accept_tx, &c)) != ANX_OK)
		ws_out[0] = '\0';
	return err;
}

/* ---- keys ------------------------------------------------------------- */

static const char SQL_KEYS[] = "SELECT k.id, k.prefix, k.label, k.scope, " DISP(
	"k.created_at") ","
			" coalesce(u.email, ''), coalesce(" DISP(
				"k.last_used_at") ", ''),"
						  " k.revoked_at IS NOT NULL, coalesce(" DISP(
							  "k.revoked_at") ", '')"
									  " FROM api_keys k LEFT "
									  "JOIN users u ON u.id = "
									  "k.created_by WHERE "
									  "k.workspace_id = $1"
									  " ORDER BY k.revoked_at "
									  "IS NOT NULL, "
									  "k.created_at DESC, k.id "
									  "LIMIT 500";

enum anx_err
anx_ws_keys(struct anx_db *db, const char *ws, json_object **out)
{
	const char *p[1] = { ws };
	json_object *arr, *o;
	PGresult *res;
	enum anx_err err;

	*out = NULL;
	if ((err = anx_db_exec(db, SQL_KEYS, 1, p, &res)) != ANX_OK)
		return err;
	arr = json_object_new_array();
	for (int r = 0; r < PQntuples(res); r++) {
		o = json_object_new_object();
		json_object_object_add(o, "id", jstr(res, r, 0));
		json_object_object_add(o, "prefix", jstr(res, r, 1));
		json_object_object_add(o, "label", jstr(res, r, 2));
		json_object_object_add(o, "scope", jstr(res, r, 3));
		json_object_object_add(o, "created_display", jstr(res, r, 4));
		json_object_object_add(o, "created_by", jstr_opt(res, r, 5));
		json_object_object_add(o, "last_used_display", jstr_opt(res, r, 6));
		json_object_object_add(o, "revoked", json_object_new_boolean(jtrue(res, r, 7)));
		json_object_object_add(o, "revoked_display", jstr_opt(res, r, 8));
		json_object_array_add(arr, o);
	}
	PQclear(res);
	*out = arr;
	return ANX_OK;
}

/* ---- overview --------------------------------------------------------- */

static const char SQL_TODAY[] =
	"SELECT status, count(*) FROM evaluations WHERE workspace_id = $1"
	" AND created_at >= date_trunc('day', now(), 'UTC') GROUP BY status";
static const char SQL_MY_PENDING[] =
	"SELECT count(*) FROM approval_requests r JOIN evaluations e ON e.id = r.evaluation_id"
	" WHERE r.workspace_id = $1 AND r.user_id = $2 AND r.status = 'open'"
	" AND e.status = 'pending'";
static const char SQL_ACTIVITY[] = "SELECT " ANX_SQL_TS("a.created_at") ", " DISP(
	"a.created_at") ", a.event_type,"
			" CASE a.actor_type WHEN 'user' THEN coalesce(u.email, 'a former user')"
			" WHEN 'approver' THEN coalesce(u.email, 'an approver')"
			" WHEN 'api_key' THEN coalesce('key “' || k.label || '”', 'an API key')"
			" ELSE 'AgentNexus' END,"
			" coalesce(a.subject_type, ''), coalesce(a.subject_id, '')"
			" FROM (SELECT * FROM audit_events WHERE workspace_id = $1"
			" ORDER BY created_at DESC, id DESC LIMIT 12) a"
			" LEFT JOIN users u ON a.actor_type IN ('user', 'approver') AND u.id ="
			" (CASE WHEN a.actor_id ~ "
			"'^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'"
			" THEN a.actor_id::uuid END)"
			" LEFT JOIN api_keys k ON a.actor_type = 'api_key' AND k.id ="
			" (CASE WHEN a.actor_id ~ "
			"'^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'"
			" THEN a.actor_id::uuid END)"
			" ORDER BY a.created_at DESC, a.id DESC";
static const char SQL_SETUP[] =
	"SELECT EXISTS (SELECT 1 FROM api_keys WHERE workspace_id = $1 AND revoked_at IS NULL),"
	" (SELECT current_policy_id IS NOT NULL FROM workspaces WHERE id = $1),"
	" EXISTS (SELECT 1 FROM evaluations WHERE workspace_id = $1)";

/* Words for the events the overview shows most; others show their code. */
static const struct {
	const char *event, *words;
} event_words[] = {
	{ "workspace.created", "created the workspace" },
	{ "workspace.renamed", "renamed the workspace" },
	{ "workspace.archived", "archived the workspace" },
	{ "workspace.restored", "restored the workspace" },
	{ "member.invited", "invited a member" },
	{ "member.added", "joined the workspace" },
	{ "member.role_changed", "changed a member's roles" },
	{ "member.removed", "removed a member" },
	{ "invitation.revoked", "revoked an invitation" },
	{ "api_key.created", "created an API key" },
	{ "api_key.revoked", "revoked an API key" },
	{ "user.password_changed", "changed their password" },
	{ "policy.published", "published a policy" },
	{ "evaluation.created", "asked for a decision" },
	{ "approval.approved", "approved a request" },
	{ "approval.rejected", "rejected a request" },
	{ "approval.expired", "saw a request expire" },
	{ "receipt.recorded", "posted a receipt" },
	{ "webhook_secret.created", "created the webhook secret" },
	{ "webhook_secret.rotated", "rotated the webhook secret" },
};

static const char *
words_for(const char *event)
{
	for (size_t i = 0; i < sizeof(event_words) / sizeof(event_words[0]); i++)
		if (strcmp(event_words[i].event, event) == 0)
			return event_words[i].words;
	return NULL;
}

enum anx_err
anx_ws_overview(struct anx_db *db, const char *ws, const char *user_id, json_object **out)
{
	static const char *statuses[] = { "allowed", "denied", "pending", "approved", "rejected",
		"expired" };
	const char *p[2] = { ws, user_id };
	json_object *o, *today, *acts, *a;
	PGresult *res = NULL;
	enum anx_err err;
	long total = 0, v;
	const char *w;

	*out = NULL;
	o = json_object_new_object();
	today = json_object_new_object();
	json_object_object_add(o, "today", today);
	if ((err = anx_db_exec(db, SQL_TODAY, 1, p, &res)) != ANX_OK)
		goto fail;
	for (size_t i = 0; i < sizeof(statuses) / sizeof(statuses[0]); i++) {
		v = 0;
		for (int r = 0; r < PQntuples(res); r++)
			if (strcmp(PQgetvalue(res, r, 0), statuses[i]) == 0)
				v = atol(PQgetvalue(res, r, 1));
		total += v;
		json_object_object_add(today, statuses[i], json_object_new_int64(v));
	}
	json_object_object_add(today, "total", json_object_new_int64(total));
	json_object_object_add(today, "went_ahead",
		json_object_new_int64(
			json_object_get_int64(json_object_object_get(today, "allowed")) +
			json_object_get_int64(json_object_object_get(today, "approved"))));
	json_object_object_add(today, "stopped",
		json_object_new_int64(
			json_object_get_int64(json_object_object_get(today, "denied")) +
			json_object_get_int64(json_object_object_get(today, "rejected")) +
			json_object_get_int64(json_object_object_get(today, "expired"))));
	PQclear(res);
	if ((err = anx_db_exec(db, SQL_MY_PENDING, 2, p, &res)) != ANX_OK)
		goto fail;
	json_object_object_add(o, "my_pending", json_object_new_int64(atol(PQgetvalue(res, 0, 0))));
	PQclear(res);
	if ((err = anx_db_exec(db, SQL_ACTIVITY, 1, p, &res)) != ANX_OK)
		goto fail;
	acts = json_object_new_array();
	json_object_object_add(o, "activity", acts);
	for (int r = 0; r < PQntuples(res); r++) {
		a = json_object_new_object();
		json_object_object_add(a, "at", jstr(res, r, 0));
		json_object_object_add(a, "at_display", jstr(res, r, 1));
		json_object_object_add(a, "event", jstr(res, r, 2));
		if ((w = words_for(PQgetvalue(res, r, 2))) != NULL)
			json_object_object_add(a, "words", json_object_new_string(w));
		json_object_object_add(a, "actor", jstr(res, r, 3));
		json_object_object_add(a, "subject_type", jstr_opt(res, r, 4));
		json_object_object_add(a, "subject_id", jstr_opt(res, r, 5));
		json_object_array_add(acts, a);
	}
	PQclear(res);
	if ((err = anx_db_exec(db, SQL_SETUP, 1, p, &res)) != ANX_OK)
		goto fail;
	json_object_object_add(o, "has_keys", json_object_new_boolean(jtrue(res, 0, 0)));
	json_object_object_add(o, "has_policy", json_object_new_boolean(jtrue(res, 0, 1)));
	json_object_object_add(o, "has_evaluations", json_object_new_boolean(jtrue(res, 0, 2)));
	PQclear(res);
	*out = o;
	return ANX_OK;
fail:
	json_object_put(o);
	return err;
}

enum anx_err
anx_ws_my_pending(struct anx_db *db, const char *ws, const char *user_id, long *out)
{
	const char *p[2] = { ws, user_id };
	char v[24];
	enum anx_err err;

	*out = 0;
	if ((err = anx_db_value(db, SQL_MY_PENDING, 2, p, v, sizeof(v))) != ANX_OK)
		return err;
	*out = atol(v);
	return ANX_OK;
}
