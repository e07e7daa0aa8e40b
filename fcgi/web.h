/*
 * web.h - the dashboard's plumbing for HTML handlers: the session from its
 * cookie, sign-in required (303 to /login?next=…), the current workspace
 * and the member's role, the CSRF check on every state-changing request,
 * flash messages carried across a redirect, and rendering a page inside
 * the signed-in layout.
 *
 * A dashboard handler looks like this:
 *
 *   enum anx_err
 *   anx_h_dash_things(struct anx_req *req, struct anx_resp *resp)
 *   {
 *           struct anx_web *w;
 *           json_object *ctx;
 *           enum anx_err err;
 *
 *           if ((err = anx_web_begin(req, resp, ANX_WEB_WORKSPACE, &w)) != ANX_OK || !w)
 *                   return err;           // error page, or a redirect was written
 *           if ((err = anx_web_require(w, ANX_WS_VIEW)) != ANX_OK)
 *                   return err;           // 403 page (role or archived)
 *           ... one core call with w->ws_id / w->session.user_id ...
 *           ctx = json_object_new_object();
 *           json_object_object_add(ctx, "things", things);
 *           return anx_web_render(w, 200, "things", "things", "Things", ctx);
 *   }
 *
 * and a POST handler ends with anx_web_flash() + anx_web_redirect().
 *
 * CSRF: anx_web_begin() refuses (403 page) every request whose method is
 * not GET or HEAD unless it carries the page's token, as the form field
 * "csrf" or the header X-CSRF-Token, and, when the browser says where it
 * comes from (Origin, Sec-Fetch-Site), it comes from this site. Every
 * form includes {{> partials/csrf}} (the token and the current
 * workspace).
 *
 * The current workspace is, in order: the "ws" form field (POST) or query
 * parameter (GET) (a workspace the user is not a member of is a 404),
 * the one stored in the session, the user's first workspace. A GET with
 * ?ws= remembers the choice in the session. Forms post the workspace
 * they were rendered for, so a switch in another tab never redirects an
 * action to another workspace.
 *
 * Templates: a signed-in page is
 *   {{> partials/shell-start}} … {{> partials/shell-end}}
 * and sees, besides its own ctx: title, user {id, email, name,
 * display_name (absent when empty)},
 * workspaces [{id, name, role, archived, current, members, …}], ws {id,
 * name, role, archived} (absent without a workspace), ws_q ("?ws=<id>",
 * for links), can {view, admin, rename, archive, restore, delete,
 * members, owners, keys, decide} (role and archive state applied),
 * nav_groups [{label, items [{key, label, href, current, badge}]}], csrf,
 * flash {kind, message}, current_path, production.
 *
 * Lifetime: a struct anx_web and every string it hands out live in the
 * request's arena.
 */
#ifndef ANX_WEB_H
#define ANX_WEB_H

#include <json-c/json.h>

#include "csrf.h"
#include "http.h"
#include "json.h"
#include "session.h"
#include "workspace.h"

enum anx_web_need {
	ANX_WEB_PUBLIC,   /* anyone; the session is loaded if there is one */
	ANX_WEB_USER,     /* signed in, else 303 to /login?next=<this page> */
	ANX_WEB_WORKSPACE /* signed in with a workspace, else 303 to /dashboard/workspaces */
};

struct anx_web {
	struct anx_req *req;
	struct anx_resp *resp;

	int signed_in;
	struct anx_session session;  /* when signed_in */
	char csrf[ANX_CSRF_LEN + 1]; /* the token for this page's forms */

	/* The user's workspaces (array, see anx_ws_list_for_user; NULL when
	 * signed out) and the current one. */
	json_object *workspaces;
	int has_ws;
	char ws_id[37];
	const char *ws_name;
	enum anx_role role;
	int archived;

	/* private */
	char pre[ANX_TOKEN_LEN + 1]; /* pre-session secret ("" if none) */
	int set_pre;                 /* send the pre-session cookie */
	int stale;                   /* the session cookie is dead: clear it */
	const char *cookies[3];
	int ncookies;
};

/*
 * Starts a dashboard request: loads the session, checks the CSRF token on
 * state-changing methods, resolves the current workspace (need >=
 * ANX_WEB_USER). Returns ANX_OK with *out set to go on; ANX_OK with *out
 * NULL when it wrote a redirect (to /login, or to /dashboard/workspaces
 * when a workspace is needed and the user has none) that the handler
 * returns as is; or an error for the error page (ANX_ERR_FORBIDDEN for a
 * CSRF failure, ANX_ERR_NOT_FOUND for a workspace id that is not the
 * user's).
 */
enum anx_err anx_web_begin(
	struct anx_req *req, struct anx_resp *resp, enum anx_web_need need, struct anx_web **out);

/* ANX_OK if the member's role allows a in the current workspace and the
 * workspace's archive state permits it; otherwise ANX_ERR_FORBIDDEN with a
 * message for the 403 page (ANX_ERR_NOT_FOUND without a workspace). */
enum anx_err anx_web_require(struct anx_web *w, enum anx_ws_action a);

/* A submitted form field (POST, urlencoded) or query parameter (GET), as
 * sent (valid UTF-8, no NUL), or NULL. */
const char *anx_web_form(struct anx_web *w, const char *name);
const char *anx_web_query(struct anx_web *w, const char *name);
/* The form field trimmed of surrounding blanks ("" when absent). */
const char *anx_web_text(struct anx_web *w, const char *name);

/* Queues a one-shot message (kind "success", "error" or "info") for the
 * next page this browser renders. Signed-in only; a no-op otherwise. */
void anx_web_flash(struct anx_web *w, const char *kind, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Writes a 303 See Other to location, which must be a local path ("/…",
 * not "//…"); anything else redirects to /dashboard. Returns ANX_OK. */
enum anx_err anx_web_redirect(struct anx_web *w, const char *location);

/* "path?ws=<current workspace>" (or path itself without one), in the
 * arena, for redirects and links. */
const char *anx_web_ws_url(struct anx_web *w, const char *path);

/*
 * Renders template page with ctx (consumed; NULL = {}) plus the common
 * members above, as a full response with status. nav is the key of the
 * sidebar entry to mark current ("overview", "evaluations", "approvals",
 * "policies", "audit", "webhooks", "integrations", "analytics",
 * "compliance", "keys", "members", "settings"), or NULL. title names the
 * page. Consumes the flash. Responses are Cache-Control: no-store.
 */
enum anx_err anx_web_render(struct anx_web *w, int status, const char *page, const char *nav,
	const char *title, json_object *ctx);

/* After a sign-in (login, sign-up, reset, password change): sends the
 * session cookie for session_id and treats the request as that session
 * from now on (for the redirect's flash). */
enum anx_err anx_web_signed_in(struct anx_web *w, const char *session_id);

/* After logout: deletes the session cookie. */
void anx_web_signed_out(struct anx_web *w);

/* Form errors as template data: {list: [{field, message}], fields: {field:
 * message}} (the first message per field). NULL when e is empty. */
json_object *anx_web_errors(const struct anx_verrs *e);

/* 1 if s is a safe local redirect target: starts with one '/', no "//" or
 * "/\\" prefix, no control characters or blanks, at most 1024 bytes. */
int anx_web_local_path(const char *s);

/* Appends s percent-encoded for a query value (RFC 3986 unreserved kept)
 * to an arena string; returns the new string. */
char *anx_web_urlencode(struct anx_arena *a, const char *s);

/*
 * 1 if a state-changing request's Origin header (NULL: none sent, 1) names
 * this site: the canonical app_url origin, or the host and port the
 * request was made to (host is HTTP_HOST, with or without a port;
 * server_port the listening port used when host has none). Exposed for
 * tests.
 */
int anx_web_origin_ok(
	const char *origin, const char *host, const char *server_port, const char *app_url);

/* Sets a response header whose value lives in the arena. */
void anx_web_header(struct anx_web *w, const char *name, const char *value);

#endif
