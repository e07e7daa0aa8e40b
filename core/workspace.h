/*
 * workspace.h - workspaces, members, roles and invitations, and the
 * read models of the dashboard's workspace pages (list, members, keys,
 * overview).
 *
 * Roles: every member has one dashboard role (owner > admin > viewer) and
 * any number of free-form approval roles ("manager", "finance") that
 * policy stages name. anx_ws_can() is the one permission table; handlers
 * ask it before acting, and the owner-only operations check the actor's
 * role again inside their transaction.
 *
 * Every change is audited in the same transaction (workspace.created,
 * .renamed, .archived, .restored; member.invited, .added, .role_changed,
 * .removed, invitation.revoked). A deleted workspace's audit log is
 * deleted with it, so deletion leaves a row in workspace_tombstones.
 */
#ifndef ANX_WORKSPACE_H
#define ANX_WORKSPACE_H

#include <stddef.h>

#include <json-c/json.h>

#include "db.h"
#include "json.h"

#define ANX_WS_NAME_MAX        100 /* characters */
#define ANX_APPROVAL_ROLE_MAX  64  /* bytes, [A-Za-z0-9_.-] */
#define ANX_APPROVAL_ROLES_MAX 20  /* per member */
#define ANX_APPROVAL_ROLES_PG  ((ANX_APPROVAL_ROLE_MAX + 3) * ANX_APPROVAL_ROLES_MAX + 3)
#define ANX_INVITE_TTL_SECONDS (7L * 24 * 3600)

enum anx_role {
	ANX_ROLE_VIEWER, /* viewer */
	ANX_ROLE_ADMIN,  /* admin */
	ANX_ROLE_OWNER   /* owner */
};

const char *anx_role_name(enum anx_role r);
/* 0 and *out set if s is "owner", "admin" or "viewer"; -1 otherwise. */
int anx_role_parse(const char *s, enum anx_role *out);

/* What a member may do. The comment gives the roles allowed and whether
 * the action is allowed in an archived (read-only) workspace. */
enum anx_ws_action {
	ANX_WS_VIEW,    /* view: everyone; archived too */
	ANX_WS_ADMIN,   /* admin: owner, admin (policies, webhooks, integration settings) */
	ANX_WS_RENAME,  /* rename: owner, admin */
	ANX_WS_ARCHIVE, /* archive: owner */
	ANX_WS_RESTORE, /* restore: owner; archived too */
	ANX_WS_DELETE,  /* delete: owner; archived too */
	ANX_WS_MEMBERS, /* members: owner, admin (invite, roles, remove; not owners) */
	ANX_WS_OWNERS,  /* owners: owner (grant, change or remove the owner role) */
	ANX_WS_KEYS,    /* keys: owner, admin (create, revoke API keys) */
	ANX_WS_DECIDE,  /* decide: everyone (approvals; the approval role decides) */
	ANX_WS__ACTIONS
};

/* 1 if role may do a (archive state aside). */
int anx_ws_can(enum anx_role role, enum anx_ws_action a);
/* 1 if a is allowed while the workspace is archived. */
int anx_ws_allowed_archived(enum anx_ws_action a);

/* Validators: NULL if s is fine, else a sentence for the person. */
const char *anx_ws_name_problem(const char *s);
const char *anx_display_name_problem(const char *s);
const char *anx_key_label_problem(const char *s);

/*
 * Parses a comma-separated list of approval roles ("manager, finance")
 * into a PostgreSQL array literal ({"finance","manager"}: sorted, without
 * duplicates) in out (ANX_APPROVAL_ROLES_PG bytes). Blank items are
 * ignored. Returns 0, or -1 with *problem set (a role outside
 * [A-Za-z0-9_.-]{1,64}, or more than ANX_APPROVAL_ROLES_MAX).
 */
int anx_approval_roles_parse(const char *csv, char *out, size_t cap, const char **problem);

/*
 * The workspaces user_id belongs to, as a new JSON array (caller puts),
 * active ones first, then by name: [{id, name, role, archived (bool),
 * archived_at, created_at, created_display, members (int)}].
 */
enum anx_err anx_ws_list_for_user(struct anx_db *db, const char *user_id, json_object **out);

/*
 * Creates workspace name owned by user_id, with its webhook signing
 * secret, and audits workspace.created and member.added. Joins the
 * caller's transaction. id_out receives the id (37 bytes).
 */
enum anx_err anx_ws_create(
	struct anx_db *db, const char *user_id, const char *name, char id_out[37]);

/* Renames ws (audited workspace.renamed with from/to). NOT_FOUND if ws is
 * gone. */
enum anx_err anx_ws_rename(
	struct anx_db *db, const char *ws, const char *user_id, const char *name);

/* Archives (archive = 1) or restores ws; owner only (checked again here:
 * ANX_ERR_FORBIDDEN). Idempotent; audited only when the state changes. */
enum anx_err anx_ws_set_archived(
	struct anx_db *db, const char *ws, const char *user_id, int archive);

/*
 * Deletes ws and everything in it, if user_id is an owner (else
 * ANX_ERR_FORBIDDEN) and typed equals the workspace's name exactly (else
 * ANX_ERR_VALIDATION). Writes a workspace_tombstones row and a log line.
 */
enum anx_err anx_ws_delete(
	struct anx_db *db, const char *ws, const char *user_id, const char *typed);

/*
 * The members page model, a new JSON object: {members: [{user_id, email,
 * display_name, role, approval_roles (text "a, b"), approval_role_list
 * [..], joined_display, is_owner (bool)}], invitations: [{id, email, role,
 * approval_roles, created_display, expires_display, expired (bool),
 * invited_by}], owners (int)}.
 */
enum anx_err anx_ws_members(struct anx_db *db, const char *ws, json_object **out);

/* An invitation to send. approval_roles is a PostgreSQL array literal
 * from anx_approval_roles_parse ("{}" for none). */
struct anx_invite {
	const char *workspace_id;
	const char *actor_id; /* the inviting user (an owner or admin) */
	const char *email;    /* normalised (anx_email_normalize) */
	enum anx_role role;
	const char *approval_roles;
};

/*
 * Creates an invitation (replacing an open one for the same address),
 * emails the link through the outbox, and audits member.invited, in one
 * transaction. The actor's role is read inside it. Errors:
 * ANX_ERR_FORBIDDEN (a viewer, or an admin inviting an owner),
 * ANX_ERR_CONFLICT (already a member), ANX_ERR_NOT_FOUND.
 */
enum anx_err anx_ws_invite(struct anx_db *db, const struct anx_invite *inv, char id_out[37]);

/* Revokes open invitation inv_id of ws (audited). NOT_FOUND if none. */
enum anx_err anx_ws_invitation_revoke(
	struct anx_db *db, const char *ws, const char *actor_id, const char *inv_id);

/*
 * Changes target's dashboard role and approval roles. Rules, checked in
 * the transaction against the actor's current role: owners and admins
 * manage members; only owners grant, change or take away the owner role;
 * a workspace keeps at least one owner. Errors: ANX_ERR_FORBIDDEN,
 * ANX_ERR_CONFLICT (the last owner), ANX_ERR_NOT_FOUND (not a member).
 * Audits member.role_changed when something changed.
 */
enum anx_err anx_ws_member_update(struct anx_db *db, const char *ws, const char *actor_id,
	const char *target, enum anx_role role, const char *approval_roles);

/* Removes target from ws, same rules as anx_ws_member_update (anyone may
 * leave, except the last owner). Their open approval requests in ws are
 * closed. Audits member.removed. */
enum anx_err anx_ws_member_remove(
	struct anx_db *db, const char *ws, const char *actor_id, const char *target);

/* An open invitation as the invite page shows it. */
struct anx_invite_view {
	char id[37];
	char workspace_id[37];
	char workspace_name[4 * ANX_WS_NAME_MAX + 1];
	char email[255];
	char role[8];
	char approval_roles[ANX_APPROVAL_ROLES_PG];
	char inviter[255];
	char expires_display[40];
	int user_exists; /* an account with this email exists */
};

/* Looks up the open (unexpired, unaccepted, unrevoked) invitation for
 * token. ANX_ERR_NOT_FOUND otherwise (also for a malformed token). */
enum anx_err anx_invite_lookup(struct anx_db *db, const char *token, struct anx_invite_view *out);

/*
 * Accepts the invitation for token as user_id, whose email must match the
 * invitation's (else ANX_ERR_FORBIDDEN): adds the membership, marks the
 * invitation accepted, audits member.added, in one transaction (joining
 * the caller's if one is open). ws_out receives the workspace id. If the user already is a
 * member, the membership is left as it is and *already is set to 1.
 */
enum anx_err anx_invite_accept(
	struct anx_db *db, const char *token, const char *user_id, char ws_out[37], int *already);

/*
 * The API keys page model, a new JSON array, newest first: [{id, prefix,
 * label, scope, created_display, created_by, last_used_display (or
 * null), revoked (bool), revoked_display}].
 */
enum anx_err anx_ws_keys(struct anx_db *db, const char *ws, json_object **out);

/*
 * The overview page model for user_id in ws, a new JSON object: {today:
 * {total, allowed, denied, pending, approved, rejected, expired,
 * went_ahead (allowed + approved), stopped (denied + rejected + expired)}
 * (ints),
 * my_pending (int), activity: [{at, at_display, event, actor, subject}]
 * (latest 12), has_keys, has_policy, has_evaluations (bools)}.
 */
enum anx_err anx_ws_overview(
	struct anx_db *db, const char *ws, const char *user_id, json_object **out);

/* Open approval requests waiting for user_id in ws (the nav badge). */
enum anx_err anx_ws_my_pending(struct anx_db *db, const char *ws, const char *user_id, long *out);

#endif
