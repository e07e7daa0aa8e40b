/*
 * workspace_pages.c - the overview, workspaces, members and invitations:
 *   GET  /dashboard                         overview of the current workspace
 *   GET  /dashboard/workspaces              list; POST …/create, …/switch
 *   GET  /dashboard/settings                rename, archive/restore, delete
 *   POST /dashboard/workspaces/rename|archive|restore|delete
 *   GET  /dashboard/members                 members, roles, invitations
 *   POST /dashboard/members/invite|role|remove|cancel-invite
 *   GET  /invite/{token}, POST …            accept an invitation (signing
 *                                           up on the way if needed)
 * Every POST names its workspace (hidden "ws", see web.h), answers with
 * a flash and a 303 back to the page, or re-renders the form with errors.
 */
#include <string.h>
#include <strings.h>

#include "account.h"
#include "auth.h"
#include "handlers.h"
#include "password.h"
#include "web.h"

static void
put(json_object *ctx, const char *key, const char *value)
{
	if (value != NULL && *value != '\0')
		json_object_object_add(ctx, key, json_object_new_string(value));
}

/* ---- overview ------------------------------------------------------------ */

enum anx_err
anx_h_dashboard(struct anx_req *req, struct anx_resp *resp)
{
	struct anx_web *w;
	json_object *ctx = NULL, *v = NULL;
	enum anx_err err;

	if ((err = anx_web_begin(req, resp, ANX_WEB_WORKSPACE, &w)) != ANX_OK || w == NULL)
		return err;
	if ((err = anx_web_require(w, ANX_WS_VIEW)) != ANX_OK)
		return err;
	if ((err = anx_ws_overview(req->db, w->ws_id, w->session.user_id, &ctx)) != ANX_OK)
		return err;
	json_object_object_get_ex(ctx, "my_pending", &v);
	json_object_object_add(
		ctx, "has_pending", json_object_new_boolean(json_object_get_int64(v) > 0));
	json_object_object_add(
		ctx, "one_pending", json_object_new_boolean(json_object_get_int64(v) == 1));
	json_object_object_get_ex(ctx, "activity", &v);
	json_object_object_add(
		ctx, "has_activity", json_object_new_boolean(json_object_array_length(v) > 0));
	return anx_web_render(w, 200, "dashboard", "overview", "Overview", ctx);
}

/* ---- workspaces ---------------------------------------------------------- */

static enum anx_err
workspaces_page(struct anx_web *w, int status, const char *name, const char *error)
{
	json_object *ctx = json_object_new_object();

	put(ctx, "new_name", name);
	put(ctx, "create_error", error);
	json_object_object_add(
		ctx, "none", json_object_new_boolean(json_object_array_length(w->workspaces) == 0));
	return anx_web_render(w, status, "workspaces", NULL, "Workspaces", ctx);
}

enum anx_err
anx_h_workspaces(struct anx_req *req, struct anx_resp *resp)
{
	struct anx_web *w;
	enum anx_err err;

	if ((err = anx_web_begin(req, resp, ANX_WEB_USER, &w)) != ANX_OK || w == NULL)
		return err;
	return workspaces_page(w, 200, NULL, NULL);
}

enum anx_err
anx_h_ws_create(struct anx_req *req, struct anx_resp *resp)
{
	struct anx_web *w;
	const char *name, *why;
	char id[37];
	enum anx_err err;

	if ((err = anx_web_begin(req, resp, ANX_WEB_USER, &w)) != ANX_OK || w == NULL)
		return err;
	name = anx_web_text(w, "name");
	if ((why = anx_ws_name_problem(name)) != NULL)
		return workspaces_page(w, 422, name, why);
	if ((err = anx_ws_create(req->db, w->session.user_id, name, id)) != ANX_OK)
		return err;
	anx_web_flash(w, "success",
		"Workspace “%s” is ready, and you are its owner. Next: create an API key for your "
		"agent.",
		name);
	return anx_web_redirect(w, anx_arena_printf(req->arena, "/dashboard?ws=%s", id));
}

enum anx_err
anx_h_ws_switch(struct anx_req *req, struct anx_resp *resp)
{
	struct anx_web *w;
	const char *next;
	enum anx_err err;

	/* anx_web_begin resolves the posted "ws" and remembers it. */
	if ((err = anx_web_begin(req, resp, ANX_WEB_WORKSPACE, &w)) != ANX_OK || w == NULL)
		return err;
	next = anx_web_form(w, "next");
	if (next != NULL && anx_web_local_path(next) && strncmp(next, "/dashboard", 10) == 0 &&
		strstr(next, "ws=") == NULL)
		return anx_web_redirect(w, next);
	return anx_web_redirect(w, anx_web_ws_url(w, "/dashboard"));
}

static enum anx_err
settings_page(struct anx_web *w, int status, const char *name, const struct anx_verrs *e)
{
	json_object *ctx = json_object_new_object(), *errs;

	put(ctx, "new_name", name);
	if ((errs = anx_web_errors(e)) != NULL)
		json_object_object_add(ctx, "errors", errs);
	return anx_web_render(
		w, status, "workspace-settings", "settings", "Workspace settings", ctx);
}

enum anx_err
anx_h_settings(struct anx_req *req, struct anx_resp *resp)
{
	struct anx_web *w;
	enum anx_err err;

	if ((err = anx_web_begin(req, resp, ANX_WEB_WORKSPACE, &w)) != ANX_OK || w == NULL)
		return err;
	if ((err = anx_web_require(w, ANX_WS_VIEW)) != ANX_OK)
		return err;
	return settings_page(w, 200, NULL, NULL);
}

enum anx_err
anx_h_ws_rename(struct anx_req *req, struct anx_resp *resp)
{
	struct anx_verrs *e;
	struct anx_web *w;
	const char *name, *why;
	enum anx_err err;

	if ((err = anx_web_begin(req, resp, ANX_WEB_WORKSPACE, &w)) != ANX_OK || w == NULL)
		return err;
	if ((err = anx_web_require(w, ANX_WS_RENAME)) != ANX_OK)
		return err;
	if ((e = anx_req_verrs(req)) == NULL)
		return ANX_ERR_NOMEM;
	name = anx_web_text(w, "name");
	if ((why = anx_ws_name_problem(name)) != NULL) {
		anx_verrs_add(e, "name", "%s", why);
		return settings_page(w, 422, name, e);
	}
	if ((err = anx_ws_rename(req->db, w->ws_id, w->session.user_id, name)) != ANX_OK)
		return err;
	anx_web_flash(w, "success", "Renamed to “%s”.", name);
	return anx_web_redirect(w, anx_web_ws_url(w, "/dashboard/settings"));
}

static enum anx_err
set_archived(struct anx_req *req, struct anx_resp *resp, int archive)
{
	struct anx_web *w;
	enum anx_err err;

	if ((err = anx_web_begin(req, resp, ANX_WEB_WORKSPACE, &w)) != ANX_OK || w == NULL)
		return err;
	if ((err = anx_web_require(w, archive ? ANX_WS_ARCHIVE : ANX_WS_RESTORE)) != ANX_OK)
		return err;
	if ((err = anx_ws_set_archived(req->db, w->ws_id, w->session.user_id, archive)) != ANX_OK)
		return err;
	if (archive)
		anx_web_flash(w, "success",
			"“%s” is archived. It is read-only, and its API keys are refused until you "
			"restore it.",
			w->ws_name);
	else
		anx_web_flash(
			w, "success", "“%s” is restored. Its API keys work again.", w->ws_name);
	return anx_web_redirect(w, anx_web_ws_url(w, "/dashboard/settings"));
}

enum anx_err
anx_h_ws_archive(struct anx_req *req, struct anx_resp *resp)
{
	return set_archived(req, resp, 1);
}

enum anx_err
anx_h_ws_restore(struct anx_req *req, struct anx_resp *resp)
{
	return set_archived(req, resp, 0);
}

enum anx_err
anx_h_ws_delete(struct anx_req *req, struct anx_resp *resp)
{
	struct anx_verrs *e;
	struct anx_web *w;
	const char *name;
	enum anx_err err;

	if ((err = anx_web_begin(req, resp, ANX_WEB_WORKSPACE, &w)) != ANX_OK || w == NULL)
		return err;
	if ((err = anx_web_require(w, ANX_WS_DELETE)) != ANX_OK)
		return err;
	if ((e = anx_req_verrs(req)) == NULL)
		return ANX_ERR_NOMEM;
	/* Compared exactly as typed: no trimming, no case folding. */
	name = anx_web_form(w, "confirm_name");
	err = anx_ws_delete(req->db, w->ws_id, w->session.user_id, name ? name : "");
	if (err == ANX_ERR_VALIDATION) {
		anx_verrs_add(e, "confirm_name",
			"Type the workspace name exactly as shown to confirm. Nothing was "
			"deleted.");
		return settings_page(w, 422, NULL, e);
	}
	if (err != ANX_OK)
		return err;
	anx_web_flash(w, "success", "“%s” and everything in it were deleted.", w->ws_name);
	return anx_web_redirect(w, "/dashboard/workspaces");
}

/* ---- members ------------------------------------------------------------- */

/* Role choices for a select: [{value, selected}], owner only when the
 * viewer of the page may grant it. */
static json_object *
role_options(const char *selected, int with_owner)
{
	static const char *roles[] = { "viewer", "admin", "owner" };
	json_object *arr = json_object_new_array(), *o;

	for (size_t i = 0; i < 3; i++) {
		if (i == 2 && !with_owner)
			continue;
		o = json_object_new_object();
		json_object_object_add(o, "value", json_object_new_string(roles[i]));
		if (selected && strcmp(selected, roles[i]) == 0)
			json_object_object_add(o, "selected", json_object_new_boolean(1));
		json_object_array_add(arr, o);
	}
	return arr;
}

static enum anx_err
members_page(struct anx_web *w, int status, const struct anx_verrs *e)
{
	json_object *ctx, *members, *m, *errs;
	int can_members = anx_ws_can(w->role, ANX_WS_MEMBERS) && !w->archived;
	int can_owners = anx_ws_can(w->role, ANX_WS_OWNERS) && !w->archived;
	enum anx_err err;

	if ((err = anx_ws_members(w->req->db, w->ws_id, &ctx)) != ANX_OK)
		return err;
	json_object_object_get_ex(ctx, "members", &members);
	for (size_t i = 0; i < json_object_array_length(members); i++) {
		const char *role, *uid;
		int owner, me;

		m = json_object_array_get_idx(members, i);
		role = anx_json_get_str(m, "role");
		uid = anx_json_get_str(m, "user_id");
		owner = strcmp(role, "owner") == 0;
		me = strcmp(uid, w->session.user_id) == 0;
		json_object_object_add(m, "me", json_object_new_boolean(me));
		json_object_object_add(m, "editable",
			json_object_new_boolean(can_members && (!owner || can_owners)));
		json_object_object_add(m, "removable",
			json_object_new_boolean(!me && can_members && (!owner || can_owners)));
		json_object_object_add(m, "role_options", role_options(role, can_owners));
	}
	json_object_object_get_ex(ctx, "invitations", &m);
	json_object_object_add(
		ctx, "has_invitations", json_object_new_boolean(json_object_array_length(m) > 0));
	json_object_object_add(ctx, "invite_roles",
		role_options(anx_web_text(w, "role")[0] ? anx_web_text(w, "role") : "viewer",
			can_owners));
	put(ctx, "invite_email", anx_web_text(w, "email"));
	put(ctx, "invite_approval_roles", anx_web_text(w, "approval_roles"));
	json_object_object_add(
		ctx, "invite_days", json_object_new_int(ANX_INVITE_TTL_SECONDS / 86400));
	if ((errs = anx_web_errors(e)) != NULL)
		json_object_object_add(ctx, "errors", errs);
	return anx_web_render(w, status, "members", "members", "Members", ctx);
}

enum anx_err
anx_h_members(struct anx_req *req, struct anx_resp *resp)
{
	struct anx_web *w;
	enum anx_err err;

	if ((err = anx_web_begin(req, resp, ANX_WEB_WORKSPACE, &w)) != ANX_OK || w == NULL)
		return err;
	if ((err = anx_web_require(w, ANX_WS_VIEW)) != ANX_OK)
		return err;
	return members_page(w, 200, NULL);
}

enum anx_err
anx_h_member_invite(struct anx_req *req, struct anx_resp *resp)
{
	char email[ANX_EMAIL_MAX + 1], roles[ANX_APPROVAL_ROLES_PG], id[37];
	struct anx_invite inv;
	struct anx_verrs *e;
	struct anx_web *w;
	enum anx_role role = ANX_ROLE_VIEWER;
	const char *why;
	enum anx_err err;

	if ((err = anx_web_begin(req, resp, ANX_WEB_WORKSPACE, &w)) != ANX_OK || w == NULL)
		return err;
	if ((err = anx_web_require(w, ANX_WS_MEMBERS)) != ANX_OK)
		return err;
	if ((e = anx_req_verrs(req)) == NULL)
		return ANX_ERR_NOMEM;
	if (anx_email_normalize(anx_web_text(w, "email"), email, sizeof(email)) != 0)
		anx_verrs_add(e, "email", "Enter the email address of the person to invite.");
	if (anx_role_parse(anx_web_text(w, "role"), &role) != 0)
		anx_verrs_add(e, "role", "Choose a role.");
	if (anx_approval_roles_parse(
		    anx_web_text(w, "approval_roles"), roles, sizeof(roles), &why) != 0)
		anx_verrs_add(e, "approval_roles", "%s", why);
	if (e->n > 0)
		return members_page(w, 422, e);
	if (role == ANX_ROLE_OWNER && (err = anx_web_require(w, ANX_WS_OWNERS)) != ANX_OK)
		return err;
	memset(&inv, 0, sizeof(inv));
	inv.workspace_id = w->ws_id;
	inv.actor_id = w->session.user_id;
	inv.email = email;
	inv.role = role;
	inv.approval_roles = roles;
	err = anx_ws_invite(req->db, &inv, id);
	if (err == ANX_ERR_CONFLICT) {
		anx_verrs_add(e, "email", "%s is already a member of this workspace.", email);
		return members_page(w, 422, e);
	}
	if (err != ANX_OK)
		return err;
	anx_web_flash(w, "success", "Invitation sent to %s. The link works for %ld days.", email,
		ANX_INVITE_TTL_SECONDS / 86400);
	return anx_web_redirect(w, anx_web_ws_url(w, "/dashboard/members"));
}

/* The "user_id" field: a UUID, or NULL. */
static const char *
target_user(struct anx_web *w)
{
	const char *v = anx_web_form(w, "user_id");

	return v != NULL && anx_uuid_valid(v) ? v : NULL;
}

static const char *
member_error(enum anx_err err)
{
	switch (err) {
	case ANX_ERR_CONFLICT:
		return "A workspace needs at least one owner. Make someone else an owner first.";
	case ANX_ERR_FORBIDDEN: return "Only an owner can change or remove an owner.";
	default: return NULL;
	}
}

enum anx_err
anx_h_member_role(struct anx_req *req, struct anx_resp *resp)
{
	char roles[ANX_APPROVAL_ROLES_PG];
	const char *target, *why, *msg;
	struct anx_web *w;
	enum anx_role role;
	enum anx_err err;

	if ((err = anx_web_begin(req, resp, ANX_WEB_WORKSPACE, &w)) != ANX_OK || w == NULL)
		return err;
	if ((err = anx_web_require(w, ANX_WS_MEMBERS)) != ANX_OK)
		return err;
	if ((target = target_user(w)) == NULL)
		return ANX_ERR_NOT_FOUND;
	if (anx_role_parse(anx_web_text(w, "role"), &role) != 0) {
		anx_web_flash(w, "error", "Choose a role: viewer, admin or owner.");
		return anx_web_redirect(w, anx_web_ws_url(w, "/dashboard/members"));
	}
	if (anx_approval_roles_parse(
		    anx_web_text(w, "approval_roles"), roles, sizeof(roles), &why) != 0) {
		anx_web_flash(w, "error", "%s Nothing was changed.", why);
		return anx_web_redirect(w, anx_web_ws_url(w, "/dashboard/members"));
	}
	err = anx_ws_member_update(req->db, w->ws_id, w->session.user_id, target, role, roles);
	if ((msg = member_error(err)) != NULL) {
		if (err == ANX_ERR_FORBIDDEN) {
			req->err_message = msg;
			return err;
		}
		anx_web_flash(w, "error", "%s", msg);
		return anx_web_redirect(w, anx_web_ws_url(w, "/dashboard/members"));
	}
	if (err != ANX_OK)
		return err;
	anx_web_flash(w, "success", "Roles updated.");
	return anx_web_redirect(w, anx_web_ws_url(w, "/dashboard/members"));
}

enum anx_err
anx_h_member_remove(struct anx_req *req, struct anx_resp *resp)
{
	const char *target, *msg;
	struct anx_web *w;
	enum anx_err err;
	int self;

	if ((err = anx_web_begin(req, resp, ANX_WEB_WORKSPACE, &w)) != ANX_OK || w == NULL)
		return err;
	if ((target = target_user(w)) == NULL)
		return ANX_ERR_NOT_FOUND;
	self = strcmp(target, w->session.user_id) == 0;
	/* Leaving is everyone's right; removing others is the admins'. */
	if ((err = anx_web_require(w, self ? ANX_WS_VIEW : ANX_WS_MEMBERS)) != ANX_OK)
		return err;
	err = anx_ws_member_remove(req->db, w->ws_id, w->session.user_id, target);
	if ((msg = member_error(err)) != NULL) {
		if (err == ANX_ERR_FORBIDDEN) {
			req->err_message = msg;
			return err;
		}
		anx_web_flash(w, "error", "%s", msg);
		return anx_web_redirect(w, anx_web_ws_url(w, "/dashboard/members"));
	}
	if (err != ANX_OK)
		return err;
	if (self) {
		anx_web_flash(w, "success", "You left “%s”.", w->ws_name);
		return anx_web_redirect(w, "/dashboard/workspaces");
	}
	anx_web_flash(
		w, "success", "Member removed. Their open approval requests here were closed.");
	return anx_web_redirect(w, anx_web_ws_url(w, "/dashboard/members"));
}

enum anx_err
anx_h_invitation_cancel(struct anx_req *req, struct anx_resp *resp)
{
	struct anx_web *w;
	const char *id;
	enum anx_err err;

	if ((err = anx_web_begin(req, resp, ANX_WEB_WORKSPACE, &w)) != ANX_OK || w == NULL)
		return err;
	if ((err = anx_web_require(w, ANX_WS_MEMBERS)) != ANX_OK)
		return err;
	if ((id = anx_web_form(w, "id")) == NULL || !anx_uuid_valid(id))
		return ANX_ERR_NOT_FOUND;
	if ((err = anx_ws_invitation_revoke(req->db, w->ws_id, w->session.user_id, id)) != ANX_OK)
		return err;
	anx_web_flash(w, "success", "Invitation cancelled. Its link no longer works.");
	return anx_web_redirect(w, anx_web_ws_url(w, "/dashboard/members"));
}

/* ---- accepting an invitation --------------------------------------------- */

static enum anx_err
invite_page(struct anx_web *w, int status, const char *token, const struct anx_verrs *e)
{
	struct anx_invite_view v;
	json_object *ctx = json_object_new_object(), *errs;
	const char *next;
	enum anx_err err;

	/* The URL holds a token: never send it to another site. same-origin,
	 * not no-referrer, so the page's own POST still carries an Origin for
	 * the CSRF check (no-referrer makes browsers send "Origin: null"). */
	anx_web_header(w, "Referrer-Policy", "same-origin");
	err = anx_invite_lookup(w->req->db, token, &v);
	if (err != ANX_OK && err != ANX_ERR_NOT_FOUND) {
		json_object_put(ctx);
		return err;
	}
	json_object_object_add(ctx, "valid", json_object_new_boolean(err == ANX_OK));
	if (err == ANX_OK) {
		put(ctx, "workspace_name", v.workspace_name);
		put(ctx, "email", v.email);
		put(ctx, "role", v.role);
		put(ctx, "approval_roles", v.approval_roles);
		put(ctx, "inviter", v.inviter);
		put(ctx, "expires_display", v.expires_display);
		put(ctx, "action", w->req->path);
		if (w->signed_in) {
			int match = strcasecmp(w->session.email, v.email) == 0;

			json_object_object_add(ctx, "can_accept", json_object_new_boolean(match));
			json_object_object_add(
				ctx, "wrong_account", json_object_new_boolean(!match));
		} else if (v.user_exists) {
			next = anx_arena_printf(w->req->arena, "/login?next=%s&email=%s",
				anx_web_urlencode(w->req->arena, w->req->path),
				anx_web_urlencode(w->req->arena, v.email));
			put(ctx, "signin_url", next);
		} else
			json_object_object_add(ctx, "signup", json_object_new_boolean(1));
		put(ctx, "display_name", anx_web_text(w, "display_name"));
	}
	if ((errs = anx_web_errors(e)) != NULL)
		json_object_object_add(ctx, "errors", errs);
	json_object_object_add(ctx, "password_min", json_object_new_int(ANX_PASSWORD_MIN));
	return anx_web_render(
		w, err == ANX_OK ? status : 404, "invite-accept", NULL, "Join a workspace", ctx);
}

enum anx_err
anx_h_invite_page(struct anx_req *req, struct anx_resp *resp)
{
	struct anx_web *w;
	enum anx_err err;

	if ((err = anx_web_begin(req, resp, ANX_WEB_PUBLIC, &w)) != ANX_OK || w == NULL)
		return err;
	return invite_page(w, 200, anx_req_route_param(req, "token"), NULL);
}

enum anx_err
anx_h_invite_accept(struct anx_req *req, struct anx_resp *resp)
{
	const char *token = anx_req_route_param(req, "token");
	struct anx_invite_view v;
	struct anx_signup s;
	struct anx_signup_out out;
	struct anx_verrs *e;
	struct anx_web *w;
	char ws[37];
	enum anx_err err;
	int already = 0;

	if ((err = anx_web_begin(req, resp, ANX_WEB_PUBLIC, &w)) != ANX_OK || w == NULL)
		return err;
	/* The URL holds a token: never send it to another site. same-origin,
	 * not no-referrer, so the page's own POST still carries an Origin for
	 * the CSRF check (no-referrer makes browsers send "Origin: null"). */
	anx_web_header(w, "Referrer-Policy", "same-origin");
	if ((e = anx_req_verrs(req)) == NULL)
		return ANX_ERR_NOMEM;
	if (w->signed_in) {
		err = anx_invite_accept(req->db, token, w->session.user_id, ws, &already);
		if (err == ANX_ERR_NOT_FOUND || err == ANX_ERR_FORBIDDEN)
			return invite_page(w, err == ANX_ERR_FORBIDDEN ? 403 : 404, token, NULL);
		if (err != ANX_OK)
			return err;
	} else {
		if ((err = anx_invite_lookup(req->db, token, &v)) == ANX_ERR_NOT_FOUND)
			return invite_page(w, 404, token, NULL);
		if (err != ANX_OK)
			return err;
		memset(&s, 0, sizeof(s));
		s.email = v.email;
		s.password = anx_web_form(w, "password");
		s.display_name = anx_web_text(w, "display_name");
		s.invite_token = token;
		s.remote_addr = req->remote_addr;
		s.user_agent = anx_req_header(req, "HTTP_USER_AGENT");
		if (s.password == NULL)
			s.password = "";
		err = anx_account_signup(req->db, &s, e, &out);
		if (err == ANX_ERR_VALIDATION || err == ANX_ERR_CONFLICT ||
			err == ANX_ERR_NOT_FOUND)
			return invite_page(w, err == ANX_ERR_NOT_FOUND ? 404 : 422, token, e);
		if (err != ANX_OK)
			return err;
		memcpy(ws, out.workspace_id, sizeof(ws));
		err = anx_web_signed_in(w, out.session_id);
		anx_secure_zero(out.session_id, sizeof(out.session_id));
		if (err != ANX_OK)
			return err;
	}
	if (already)
		anx_web_flash(w, "info", "You already are a member of this workspace.");
	else
		anx_web_flash(w, "success", "Welcome! You joined the workspace.");
	return anx_web_redirect(w, anx_arena_printf(req->arena, "/dashboard?ws=%s", ws));
}
