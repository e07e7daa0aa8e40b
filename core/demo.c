/*
 * demo.c - seeding the demo workspace; see demo.h.
 */
#include "demo.h"

#include <string.h>

#include "audit.h"
#include "crypto.h"
#include "password.h"
#include "policy.h"
#include "policy_store.h"

#define DEMO_TEMPLATE "payments-approval"

struct demo_user {
	const char *email;
	const char *name;
	const char *role;
	const char *approval_roles;
};

static const struct demo_user users[] = {
	{ "owner@example.test", "Olivia Owner", "owner", "{manager,finance}" },
	{ "manager@example.test", "Max Manager", "admin", "{manager}" },
	{ "finance1@example.test", "Fiona Finance", "viewer", "{finance}" },
	{ "finance2@example.test", "Frank Finance", "viewer", "{finance}" },
};

static const char SQL_EXISTS[] = "SELECT id FROM workspaces WHERE name = 'Demo' LIMIT 1";
static const char SQL_USER[] =
	"INSERT INTO users (email, display_name, password_hash) VALUES ($1, $2, $3)"
	" ON CONFLICT ((lower(email))) DO UPDATE SET display_name = EXCLUDED.display_name"
	" RETURNING id";
static const char SQL_WORKSPACE[] =
	"INSERT INTO workspaces (name, created_by) VALUES ('Demo', $1) RETURNING id";
static const char SQL_MEMBER[] =
	"INSERT INTO workspace_members (workspace_id, user_id, role, approval_roles)"
	" VALUES ($1, $2, $3, $4::text[])";
static const char SQL_SETTINGS[] =
	"INSERT INTO workspace_integration_settings (workspace_id, webhook_secret) VALUES ($1, $2)";

struct seed_ctx {
	const char *password;
	struct anx_demo_secrets *out;
	char hash[ANX_PASSWORD_HASH_MAX];
};

int
anx_webhook_secret_generate(char out[ANX_WEBHOOK_SECRET_LEN + 1])
{
	unsigned char raw[32];
	int rc = -1;

	if (anx_random(raw, sizeof(raw)) != 0)
		goto out;
	memcpy(out, "whsec_", 6);
	if (anx_base64_encode(raw, sizeof(raw), out + 6, ANX_WEBHOOK_SECRET_LEN + 1 - 6) < 0)
		goto out;
	rc = 0;
out:
	anx_secure_zero(raw, sizeof(raw));
	return rc;
}

/* The demo starts with the payments-approval template published, so
 * evaluate answers from a real policy at once. */
static enum anx_err
publish_demo_policy(struct anx_db *db, const char *ws)
{
	const struct anx_policy_template *t = anx_policy_template_find(DEMO_TEMPLATE);
	struct anx_actor by = { "system", NULL };
	json_object *doc, *out = NULL;
	struct anx_verrs errs;
	enum anx_err err;

	if (t == NULL || (doc = json_tokener_parse(t->json)) == NULL)
		return ANX_ERR_INTERNAL;
	anx_verrs_init(&errs);
	err = anx_policy_publish(db, ws, doc, &by, &errs, &out);
	json_object_put(doc);
	json_object_put(out);
	return err;
}

static enum anx_err
seed_tx(struct anx_db *db, void *arg)
{
	struct seed_ctx *c = arg;
	char ids[4][37], ws[37], keyid[37];
	const char *p[4];
	json_object *data;
	enum anx_err err;

	if ((err = anx_db_value(db, SQL_EXISTS, 0, NULL, ws, sizeof(ws))) == ANX_OK)
		return ANX_ERR_CONFLICT;
	if (err != ANX_ERR_NOT_FOUND)
		return err;
	for (size_t i = 0; i < 4; i++) {
		p[0] = users[i].email;
		p[1] = users[i].name;
		p[2] = c->hash;
		if ((err = anx_db_value(db, SQL_USER, 3, p, ids[i], sizeof(ids[i]))) != ANX_OK)
			return err;
	}
	p[0] = ids[0];
	if ((err = anx_db_value(db, SQL_WORKSPACE, 1, p, ws, sizeof(ws))) != ANX_OK)
		return err;
	memcpy(c->out->workspace_id, ws, sizeof(ws));
	if ((err = anx_audit_record(
		     db, ws, "system", NULL, "workspace.created", "workspace", ws, NULL)) != ANX_OK)
		return err;
	for (size_t i = 0; i < 4; i++) {
		p[0] = ws;
		p[1] = ids[i];
		p[2] = users[i].role;
		p[3] = users[i].approval_roles;
		if ((err = anx_db_exec(db, SQL_MEMBER, 4, p, NULL)) != ANX_OK)
			return err;
		data = json_object_new_object();
		json_object_object_add(data, "email", json_object_new_string(users[i].email));
		json_object_object_add(data, "role", json_object_new_string(users[i].role));
		json_object_object_add(
			data, "approval_roles", json_object_new_string(users[i].approval_roles));
		err = anx_audit_record(
			db, ws, "system", NULL, "member.added", "user", ids[i], data);
		json_object_put(data);
		if (err != ANX_OK)
			return err;
	}
	/* Seeded keys have no creator, so separation of duties does not bar
	 * the demo accounts from approving the demo agent's requests. */
	if ((err = anx_apikey_create(db, ws, ANX_SCOPE_AGENT, "Demo agent", NULL, c->out->agent_key,
		     keyid)) != ANX_OK ||
		(err = anx_apikey_create(db, ws, ANX_SCOPE_ADMIN, "Demo admin", NULL,
			 c->out->admin_key, keyid)) != ANX_OK)
		return err;
	if (anx_webhook_secret_generate(c->out->webhook_secret) != 0)
		return ANX_ERR_INTERNAL;
	p[0] = ws;
	p[1] = c->out->webhook_secret;
	if ((err = anx_db_exec(db, SQL_SETTINGS, 2, p, NULL)) != ANX_OK)
		return err;
	if ((err = anx_audit_record(db, ws, "system", NULL, "webhook_secret.created", "workspace",
		     ws, NULL)) != ANX_OK)
		return err;
	return publish_demo_policy(db, ws);
}

enum anx_err
anx_demo_seed(struct anx_db *db, const char *password, struct anx_demo_secrets *out)
{
	struct seed_ctx c = { password, out, { 0 } };
	enum anx_err err;

	memset(out, 0, sizeof(*out));
	if (anx_password_hash(password, c.hash, sizeof(c.hash)) != 0)
		return ANX_ERR_INTERNAL;
	err = anx_db_tx(db, seed_tx, &c);
	if (err != ANX_OK)
		anx_secure_zero(out, sizeof(*out));
	return err;
}
