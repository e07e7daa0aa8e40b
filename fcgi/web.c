/*
 * web.c - dashboard plumbing: sessions, CSRF, current workspace, flash
 * messages and the signed-in layout; see web.h.
 */
#include "web.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "app.h"
#include "auth.h"
#include "config.h"
#include "log.h"
#include "parse.h"
#include "template.h"

/* The sidebar: groups of entries, each with the key pages pass as nav. */
static const struct nav_item {
	const char *group, *key, *label, *href;
} nav_items[] = {
	{ "Govern", "overview", "Overview", "/dashboard" },
	{ "Govern", "evaluations", "Evaluations", "/dashboard/evaluations" },
	{ "Govern", "approvals", "Approvals", "/dashboard/approvals" },
	{ "Govern", "policies", "Policies", "/dashboard/policies" },
	{ "Observe", "audit", "Audit log", "/dashboard/audit" },
	{ "Observe", "webhooks", "Webhooks", "/dashboard/webhooks" },
	{ "Observe", "analytics", "Analytics", "/dashboard/analytics" },
	{ "Observe", "compliance", "Compliance", "/dashboard/compliance" },
	{ "Workspace", "keys", "API keys", "/dashboard/keys" },
	{ "Workspace", "members", "Members", "/dashboard/members" },
	{ "Workspace", "integrations", "Integrations", "/dashboard/integrations" },
	{ "Workspace", "settings", "Settings", "/dashboard/settings" },
	{ "Help", "docs", "Docs", "/docs" },
};

/* Messages a signed-out page can show after a redirect (?notice=code):
 * a fixed table, so a link cannot put words on the page. */
static const struct {
	const char *code, *kind, *message;
} notices[] = {
	{ "signed_out", "info", "You are signed out. See you soon." },
	{ "expired", "info", "Your session has ended. Sign in again to continue." },
	{ "reset_invalid", "error",
		"That reset link is no longer valid. Ask for a new one below." },
};

/* Everything per request that must not outlive it. */
static void
web_cleanup(void *p)
{
	struct anx_web *w = p;

	anx_session_clear(&w->session);
	anx_secure_zero(w->pre, sizeof(w->pre));
	anx_secure_zero(w->csrf, sizeof(w->csrf));
	if (w->workspaces)
		json_object_put(w->workspaces);
	w->workspaces = NULL;
}

void
anx_web_header(struct anx_web *w, const char *name, const char *value)
{
	if (value != NULL && anx_resp_header(w->resp, name, value) != 0)
		anx_log(ANX_LOG_WARN, "response_header_dropped", LF_STR("name", name), ANX_LF_END);
}

int
anx_web_local_path(const char *s)
{
	size_t n;

	if (s == NULL || s[0] != '/' || s[1] == '/' || s[1] == '\\')
		return 0;
	if ((n = strlen(s)) > 1024)
		return 0;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] <= 0x20 || s[i] == 0x7f || s[i] == '\\')
			return 0;
	return 1;
}

char *
anx_web_urlencode(struct anx_arena *a, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t n = strlen(s), k = 0;
	char *out;

	if ((out = anx_arena_alloc(a, 3 * n + 1)) == NULL)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
			c == '-' || c == '.' || c == '_' || c == '~' || c == '/') {
			out[k++] = (char)c;
		} else {
			out[k++] = '%';
			out[k++] = hex[c >> 4];
			out[k++] = hex[c & 15];
		}
	}
	out[k] = '\0';
	return out;
}

/* Queues a Set-Cookie (value built here, kept in the arena). */
static void
queue_cookie(struct anx_web *w, const char *name, const char *value, long max_age)
{
	char buf[256];

	if (w->ncookies == 3)
		return;
	if (anx_cookie_build(buf, sizeof(buf), name, value, max_age, anx_cfg.production) != 0)
		return;
	w->cookies[w->ncookies++] = anx_arena_strdup(w->req->arena, buf);
}

/* Adds the queued cookies to the response. */
static void
emit_cookies(struct anx_web *w)
{
	if (w->stale && !w->signed_in)
		queue_cookie(w, anx_session_cookie_name(anx_cfg.production), "", 0);
	w->stale = 0;
	if (w->set_pre && !w->signed_in)
		queue_cookie(w, anx_presession_cookie_name(anx_cfg.production), w->pre, -1);
	w->set_pre = 0;
	for (int i = 0; i < w->ncookies; i++)
		anx_web_header(w, "Set-Cookie", w->cookies[i]);
	w->ncookies = 0;
}

static int
safe_method(const char *m)
{
	return strcmp(m, "GET") == 0 || strcmp(m, "HEAD") == 0;
}

const char *
anx_web_form(struct anx_web *w, const char *name)
{
	const struct anx_kvlist *l;

	if (safe_method(w->req->method))
		return NULL;
	if (anx_req_form(w->req, &l) != ANX_OK)
		return NULL;
	return anx_kv_get(l, name);
}

const char *
anx_web_query(struct anx_web *w, const char *name)
{
	const struct anx_kvlist *l;

	if (anx_req_query(w->req, &l) != ANX_OK)
		return NULL;
	return anx_kv_get(l, name);
}

const char *
anx_web_text(struct anx_web *w, const char *name)
{
	const char *v = anx_web_form(w, name);
	size_t a = 0, b;
	char *out;

	if (v == NULL)
		return "";
	b = strlen(v);
	while (a < b && (v[a] == ' ' || v[a] == '\t' || v[a] == '\r' || v[a] == '\n'))
		a++;
	while (b > a &&
		(v[b - 1] == ' ' || v[b - 1] == '\t' || v[b - 1] == '\r' || v[b - 1] == '\n'))
		b--;
	out = anx_arena_strndup(w->req->arena, v + a, b - a);
	return out ? out : "";
}

/* Splits "scheme://host[:port]" into host (without brackets for IPv6
 * literals) and port (the scheme's default when absent). 0 or -1. */
static int
split_origin(const char *o, char *host, size_t hcap, char *port, size_t pcap)
{
	const char *h, *end, *colon = NULL;
	const char *dflt;
	size_t n;

	if (strncmp(o, "https://", 8) == 0) {
		h = o + 8;
		dflt = "443";
	} else if (strncmp(o, "http://", 7) == 0) {
		h = o + 7;
		dflt = "80";
	} else
		return -1;
	if (*h == '[') {
		if ((end = strchr(h, ']')) == NULL)
			return -1;
		h++;
		colon = end[1] == ':' ? end + 1 : NULL;
		if (end[1] != '\0' && colon == NULL)
			return -1;
	} else {
		end = h + strcspn(h, ":/");
		colon = *end == ':' ? end : NULL;
		if (*end == '/')
			return -1;
	}
	n = (size_t)(end - h);
	if (n == 0 || n >= hcap)
		return -1;
	memcpy(host, h, n);
	host[n] = '\0';
	snprintf(port, pcap, "%s", colon ? colon + 1 : dflt);
	return strspn(port, "0123456789") == strlen(port) && *port ? 0 : -1;
}

int
anx_web_origin_ok(
	const char *origin, const char *host, const char *server_port, const char *app_url)
{
	char oh[256], op[8], url[300], hh[256], hp[8];
	const char *bracket;
	int has_port;
	size_t n;

	if (origin == NULL)
		return 1;
	if (app_url != NULL) {
		n = strlen(app_url);
		while (n > 0 && app_url[n - 1] == '/')
			n--;
		if (strlen(origin) == n && strncasecmp(origin, app_url, n) == 0)
			return 1;
	}
	if (host == NULL || split_origin(origin, oh, sizeof(oh), op, sizeof(op)) != 0)
		return 0;
	/* HTTP_HOST may carry a port ($http_host) or not ($host, Debian's
	 * fastcgi_params); without one the listening port decides. */
	if (snprintf(url, sizeof(url), "http://%s", host) >= (int)sizeof(url) ||
		split_origin(url, hh, sizeof(hh), hp, sizeof(hp)) != 0)
		return 0;
	bracket = host[0] == '[' ? strchr(host, ']') : NULL;
	has_port = bracket ? bracket[1] == ':' : strchr(host, ':') != NULL;
	if (!has_port && server_port != NULL)
		snprintf(hp, sizeof(hp), "%s", server_port);
	return strcasecmp(oh, hh) == 0 && strcmp(op, hp) == 0;
}

/* The browser's own statement of where a state-changing request comes
 * from (Fetch Metadata, Origin), when it makes one: it must be us. */
static int
same_origin(struct anx_req *req)
{
	const char *site = anx_req_header(req, "HTTP_SEC_FETCH_SITE");
	const char *origin = anx_req_header(req, "HTTP_ORIGIN");

	if (site && strcmp(site, "same-origin") != 0 && strcmp(site, "none") != 0)
		return 0;
	/* Under a no-referrer policy browsers send "Origin: null"; then only
	 * Fetch Metadata (which pages cannot forge) can vouch for the post. */
	if (origin && strcmp(origin, "null") == 0)
		return site != NULL && strcmp(site, "same-origin") == 0;
	return anx_web_origin_ok(origin, anx_req_header(req, "HTTP_HOST"),
		anx_req_header(req, "SERVER_PORT"), anx_cfg.app_url);
}

static enum anx_err
check_csrf(struct anx_web *w)
{
	struct anx_req *req = w->req;
	const char *token = NULL;
	const struct anx_kvlist *form;
	int ok = 0, origin_ok = same_origin(req);

	if (anx_media_type_is(req->content_type, "application/x-www-form-urlencoded") &&
		anx_req_form(req, &form) == ANX_OK)
		token = anx_kv_get(form, "csrf");
	if (token == NULL)
		token = anx_req_header(req, "HTTP_X_CSRF_TOKEN");
	if (token != NULL && origin_ok) {
		if (w->signed_in)
			ok = anx_csrf_check(w->session.id, token);
		if (!ok && w->pre[0] && !w->set_pre)
			ok = anx_csrf_check(w->pre, token);
	}
	if (ok)
		return ANX_OK;
	anx_log(ANX_LOG_WARN, "csrf_rejected", LF_STR("path", req->path),
		LF_BOOL("token", token != NULL), LF_BOOL("same_origin", origin_ok),
		LF_STR("origin", anx_req_header(req, "HTTP_ORIGIN")),
		LF_STR("fetch_site", anx_req_header(req, "HTTP_SEC_FETCH_SITE")),
		LF_BOOL("signed_in", w->signed_in), LF_BOOL("presession", w->pre[0] && !w->set_pre),
		LF_STR("remote_addr", req->remote_addr), ANX_LF_END);
	req->err_message = "This form has expired or did not come from this site, so nothing was "
			   "changed. Go back, reload the page and try again.";
	return ANX_ERR_FORBIDDEN;
}

/* The item of w->workspaces with id (lowercase), or NULL. */
static json_object *
find_ws(json_object *list, const char *id)
{
	for (size_t i = 0; list && i < json_object_array_length(list); i++) {
		json_object *it = json_object_array_get_idx(list, i);

		if (strcmp(anx_json_get_str(it, "id"), id) == 0)
			return it;
	}
	return NULL;
}

static enum anx_err
resolve_workspace(struct anx_web *w)
{
	struct anx_req *req = w->req;
	const char *want =
		safe_method(req->method) ? anx_web_query(w, "ws") : anx_web_form(w, "ws");
	json_object *item = NULL;
	char id[37];
	enum anx_err err;

	if ((err = anx_ws_list_for_user(req->db, w->session.user_id, &w->workspaces)) != ANX_OK)
		return err;
	if (want != NULL && *want != '\0') {
		if (!anx_uuid_valid(want)) {
			req->err_message = "There is no workspace with this id in your account.";
			return ANX_ERR_NOT_FOUND;
		}
		for (size_t i = 0; i < 37; i++)
			id[i] = (want[i] >= 'A' && want[i] <= 'F') ? (char)(want[i] - 'A' + 'a')
								   : want[i];
		if ((item = find_ws(w->workspaces, id)) == NULL) {
			req->err_message = "There is no workspace with this id in your account.";
			return ANX_ERR_NOT_FOUND;
		}
	} else if (w->session.workspace_id[0])
		item = find_ws(w->workspaces, w->session.workspace_id);
	if (item == NULL && json_object_array_length(w->workspaces) > 0)
		item = json_object_array_get_idx(w->workspaces, 0);
	if (item == NULL)
		return ANX_OK;
	w->has_ws = 1;
	snprintf(w->ws_id, sizeof(w->ws_id), "%s", anx_json_get_str(item, "id"));
	w->ws_name = anx_json_get_str(item, "name");
	if (anx_role_parse(anx_json_get_str(item, "role"), &w->role) != 0)
		w->role = ANX_ROLE_VIEWER;
	w->archived = anx_json_get_bool(item, "archived", 0);
	json_object_object_add(item, "current", json_object_new_boolean(1));
	if (strcmp(w->ws_id, w->session.workspace_id) != 0) {
		if ((err = anx_session_set_workspace(req->db, w->session.id, w->ws_id)) != ANX_OK)
			return err;
		memcpy(w->session.workspace_id, w->ws_id, sizeof(w->ws_id));
	}
	return ANX_OK;
}

/* 303 to /login, back to this page (GET) afterwards. */
static enum anx_err
to_login(struct anx_web *w)
{
	struct anx_req *req = w->req;
	const char *next = NULL, *loc;

	if (safe_method(req->method)) {
		next = *req->query ? anx_arena_printf(req->arena, "%s?%s", req->path, req->query)
				   : req->path;
		if (next == NULL || !anx_web_local_path(next))
			next = NULL;
	}
	loc = anx_arena_printf(req->arena, "/login%s%s%s", next ? "?next=" : "",
		next ? anx_web_urlencode(req->arena, next) : "",
		w->stale ? (next ? "&notice=expired" : "?notice=expired") : "");
	return anx_web_redirect(w, loc ? loc : "/login");
}

enum anx_err
anx_web_begin(
	struct anx_req *req, struct anx_resp *resp, enum anx_web_need need, struct anx_web **out)
{
	const char *header, *sid = NULL, *pre = NULL;
	struct anx_kvlist cookies;
	struct anx_web *w;
	enum anx_err err;

	*out = NULL;
	if ((w = anx_arena_calloc(req->arena, 1, sizeof(*w))) == NULL)
		return ANX_ERR_NOMEM;
	if (anx_arena_defer(req->arena, web_cleanup, w) == NULL)
		return ANX_ERR_NOMEM;
	w->req = req;
	w->resp = resp;
	header = anx_req_header(req, "HTTP_COOKIE");
	if (header != NULL && anx_parse_cookies(req->arena, header, &cookies) == ANX_OK) {
		sid = anx_kv_get(&cookies, anx_session_cookie_name(anx_cfg.production));
		pre = anx_kv_get(&cookies, anx_presession_cookie_name(anx_cfg.production));
	}
	if (sid != NULL) {
		err = anx_session_load(req->db, sid, &w->session);
		if (err == ANX_OK)
			w->signed_in = 1;
		else if (err == ANX_ERR_NOT_FOUND)
			w->stale = 1;
		else
			return err;
	}
	if (pre != NULL && anx_token_valid(pre))
		memcpy(w->pre, pre, sizeof(w->pre));
	if (w->signed_in) {
		if (anx_csrf_token(w->session.id, w->csrf) != 0)
			return ANX_ERR_INTERNAL;
	} else {
		if (w->pre[0] == '\0') {
			if (anx_token_new(w->pre) != 0)
				return ANX_ERR_INTERNAL;
			w->set_pre = 1;
		}
		if (anx_csrf_token(w->pre, w->csrf) != 0)
			return ANX_ERR_INTERNAL;
	}
	if (need >= ANX_WEB_USER && !w->signed_in)
		return to_login(w);
	if (!safe_method(req->method) && (err = check_csrf(w)) != ANX_OK)
		return err;
	if (w->signed_in && need >= ANX_WEB_USER) {
		if ((err = resolve_workspace(w)) != ANX_OK)
			return err;
		if (need == ANX_WEB_WORKSPACE && !w->has_ws) {
			anx_web_flash(w, "info", "Create a workspace to get started.");
			return anx_web_redirect(w, "/dashboard/workspaces");
		}
	}
	*out = w;
	return ANX_OK;
}

enum anx_err
anx_web_require(struct anx_web *w, enum anx_ws_action a)
{
	if (!w->has_ws) {
		w->req->err_message = "There is no workspace with this id in your account.";
		return ANX_ERR_NOT_FOUND;
	}
	if (!anx_ws_can(w->role, a)) {
		w->req->err_message = anx_arena_printf(w->req->arena,
			"Your role in this workspace (%s) can't do this. Ask an owner or admin.",
			anx_role_name(w->role));
		return ANX_ERR_FORBIDDEN;
	}
	if (w->archived && !anx_ws_allowed_archived(a)) {
		w->req->err_message =
			"This workspace is archived, so it is read-only. An owner can "
			"restore it from Settings.";
		return ANX_ERR_FORBIDDEN;
	}
	return ANX_OK;
}

void
anx_web_flash(struct anx_web *w, const char *kind, const char *fmt, ...)
{
	char msg[4 * ANX_FLASH_MAX + 1];
	va_list ap;

	if (!w->signed_in)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (anx_session_set_flash(w->req->db, w->session.id, kind, msg) != ANX_OK)
		anx_log(ANX_LOG_WARN, "flash_failed", ANX_LF_END);
}

enum anx_err
anx_web_redirect(struct anx_web *w, const char *location)
{
	struct anx_resp *resp = w->resp;

	if (!anx_web_local_path(location))
		location = "/dashboard";
	anx_buf_reset(&resp->body);
	resp->status = 303;
	resp->content_type = "text/html; charset=utf-8";
	anx_web_header(w, "Location", anx_arena_strdup(w->req->arena, location));
	anx_web_header(w, "Cache-Control", "no-store");
	emit_cookies(w);
	return ANX_OK;
}

const char *
anx_web_ws_url(struct anx_web *w, const char *path)
{
	const char *s;

	if (!w->has_ws)
		return path;
	s = anx_arena_printf(
		w->req->arena, "%s%cws=%s", path, strchr(path, '?') ? '&' : '?', w->ws_id);
	return s ? s : path;
}

enum anx_err
anx_web_signed_in(struct anx_web *w, const char *session_id)
{
	enum anx_err err;

	queue_cookie(w, anx_session_cookie_name(anx_cfg.production), session_id,
		ANX_SESSION_ABSOLUTE_SECONDS);
	anx_session_clear(&w->session);
	if ((err = anx_session_load(w->req->db, session_id, &w->session)) != ANX_OK)
		return err;
	w->signed_in = 1;
	w->stale = 0;
	w->set_pre = 0;
	return anx_csrf_token(w->session.id, w->csrf) == 0 ? ANX_OK : ANX_ERR_INTERNAL;
}

void
anx_web_signed_out(struct anx_web *w)
{
	queue_cookie(w, anx_session_cookie_name(anx_cfg.production), "", 0);
	anx_session_clear(&w->session);
	memset(&w->session, 0, sizeof(w->session));
	w->signed_in = 0;
	w->stale = 0;
}

json_object *
anx_web_errors(const struct anx_verrs *e)
{
	json_object *o, *list, *fields, *it;

	if (e == NULL || e->n == 0)
		return NULL;
	o = json_object_new_object();
	list = json_object_new_array();
	fields = json_object_new_object();
	for (size_t i = 0; i < e->n; i++) {
		it = json_object_new_object();
		json_object_object_add(it, "field", json_object_new_string(e->items[i].path));
		json_object_object_add(it, "message", json_object_new_string(e->items[i].problem));
		json_object_array_add(list, it);
		if (!json_object_object_get_ex(fields, e->items[i].path, NULL))
			json_object_object_add(fields, e->items[i].path,
				json_object_new_string(e->items[i].problem));
	}
	json_object_object_add(o, "list", list);
	json_object_object_add(o, "fields", fields);
	return o;
}

/* The sidebar for the current workspace, with hrefs that keep it. */
static json_object *
build_nav(struct anx_web *w, const char *current, long pending)
{
	json_object *groups = json_object_new_array(), *group = NULL, *items = NULL, *it;
	const char *last = "";

	for (size_t i = 0; i < sizeof(nav_items) / sizeof(nav_items[0]); i++) {
		const struct nav_item *n = &nav_items[i];

		if (strcmp(n->group, last) != 0) {
			group = json_object_new_object();
			items = json_object_new_array();
			json_object_object_add(group, "label", json_object_new_string(n->group));
			json_object_object_add(group, "items", items);
			json_object_array_add(groups, group);
			last = n->group;
		}
		it = json_object_new_object();
		json_object_object_add(it, "key", json_object_new_string(n->key));
		json_object_object_add(it, "label", json_object_new_string(n->label));
		json_object_object_add(it, "href",
			json_object_new_string(strcmp(n->key, "docs") == 0
						       ? n->href
						       : anx_web_ws_url(w, n->href)));
		if (current && strcmp(current, n->key) == 0)
			json_object_object_add(it, "current", json_object_new_boolean(1));
		if (strcmp(n->key, "approvals") == 0 && pending > 0)
			json_object_object_add(it, "badge", json_object_new_int64(pending));
		json_object_array_add(items, it);
	}
	return groups;
}

static json_object *
build_can(struct anx_web *w)
{
	static const struct {
		const char *name;
		enum anx_ws_action a;
	} acts[] = {
		{ "view", ANX_WS_VIEW },
		{ "admin", ANX_WS_ADMIN },
		{ "rename", ANX_WS_RENAME },
		{ "archive", ANX_WS_ARCHIVE },
		{ "restore", ANX_WS_RESTORE },
		{ "delete", ANX_WS_DELETE },
		{ "members", ANX_WS_MEMBERS },
		{ "owners", ANX_WS_OWNERS },
		{ "keys", ANX_WS_KEYS },
		{ "decide", ANX_WS_DECIDE },
	};
	json_object *can = json_object_new_object();

	for (size_t i = 0; i < sizeof(acts) / sizeof(acts[0]); i++) {
		int ok = anx_ws_can(w->role, acts[i].a) &&
			 (!w->archived || anx_ws_allowed_archived(acts[i].a));

		json_object_object_add(can, acts[i].name, json_object_new_boolean(ok));
	}
	return can;
}

/* Adds flash {kind, message}: the session's (then cleared) or a notice
 * code from the fixed table. */
static void
add_flash(struct anx_web *w, json_object *ctx)
{
	const char *code, *kind = NULL, *msg = NULL;
	json_object *f;

	if (json_object_object_get_ex(ctx, "flash", NULL))
		return;
	if (w->signed_in && w->session.flash_kind[0]) {
		kind = w->session.flash_kind;
		msg = w->session.flash;
		if (anx_session_clear_flash(w->req->db, w->session.id, msg) != ANX_OK)
			anx_log(ANX_LOG_WARN, "flash_clear_failed", ANX_LF_END);
	} else if ((code = anx_web_query(w, "notice")) != NULL) {
		for (size_t i = 0; i < sizeof(notices) / sizeof(notices[0]); i++)
			if (strcmp(code, notices[i].code) == 0) {
				kind = notices[i].kind;
				msg = notices[i].message;
			}
	}
	if (msg == NULL)
		return;
	f = json_object_new_object();
	json_object_object_add(f, "kind", json_object_new_string(kind));
	json_object_object_add(f, "message", json_object_new_string(msg));
	json_object_object_add(ctx, "flash", f);
}

enum anx_err
anx_web_render(struct anx_web *w, int status, const char *page, const char *nav, const char *title,
	json_object *ctx)
{
	struct anx_req *req = w->req;
	struct anx_resp *resp = w->resp;
	json_object *user, *ws;
	const char *path;
	long pending = 0;
	enum anx_err err = ANX_OK;

	if (ctx == NULL && (ctx = json_object_new_object()) == NULL)
		return ANX_ERR_NOMEM;
	json_object_object_add(ctx, "title", json_object_new_string(title ? title : "AgentNexus"));
	json_object_object_add(ctx, "csrf", json_object_new_string(w->csrf));
	json_object_object_add(ctx, "production", json_object_new_boolean(anx_cfg.production));
	path = *req->query ? anx_arena_printf(req->arena, "%s?%s", req->path, req->query)
			   : req->path;
	if (path != NULL && anx_web_local_path(path))
		json_object_object_add(ctx, "current_path", json_object_new_string(path));
	if (w->signed_in) {
		user = json_object_new_object();
		json_object_object_add(user, "email", json_object_new_string(w->session.email));
		json_object_object_add(user, "id", json_object_new_string(w->session.user_id));
		if (w->session.display_name[0])
			json_object_object_add(user, "display_name",
				json_object_new_string(w->session.display_name));
		json_object_object_add(user, "name",
			json_object_new_string(w->session.display_name[0] ? w->session.display_name
									  : w->session.email));
		json_object_object_add(ctx, "user", user);
		if (w->workspaces)
			json_object_object_add(ctx, "workspaces", json_object_get(w->workspaces));
	}
	if (w->signed_in && w->has_ws) {
		if ((err = anx_ws_my_pending(req->db, w->ws_id, w->session.user_id, &pending)) !=
			ANX_OK)
			goto out;
		ws = json_object_new_object();
		json_object_object_add(ws, "id", json_object_new_string(w->ws_id));
		json_object_object_add(ws, "name", json_object_new_string(w->ws_name));
		json_object_object_add(ws, "role", json_object_new_string(anx_role_name(w->role)));
		json_object_object_add(ws, "archived", json_object_new_boolean(w->archived));
		json_object_object_add(ctx, "ws", ws);
		json_object_object_add(ctx, "ws_q",
			json_object_new_string(anx_arena_printf(req->arena, "?ws=%s", w->ws_id)));
		json_object_object_add(ctx, "can", build_can(w));
		json_object_object_add(ctx, "nav_groups", build_nav(w, nav, pending));
	}
	add_flash(w, ctx);
	anx_buf_reset(&resp->body);
	if (anx_tmpl_render(anx_app.templates, page, ctx, &resp->body) != 0) {
		anx_log(ANX_LOG_ERROR, "render_failed", LF_STR("template", page), ANX_LF_END);
		err = ANX_ERR_INTERNAL;
		goto out;
	}
	resp->status = status;
	resp->content_type = "text/html; charset=utf-8";
	anx_web_header(w, "Cache-Control", "no-store");
	emit_cookies(w);
out:
	json_object_put(ctx);
	return err;
}
