/*
 * account_pages.c - the signed-out pages and the account itself:
 *   GET  /                         → /dashboard or /login
 *   GET  /signup, POST /signup     create an account and its first workspace
 *   GET  /login,  POST /login      sign in (throttled per account)
 *   POST /logout                   sign out (revokes the session)
 *   GET  /forgot, POST /forgot     email a reset link
 *   GET  /reset/{token}, POST …    choose a new password from the link
 *                                  (also /reset-password/{token}, the
 *                                  path the email template links to)
 *   GET  /account/password, POST … change the password
 * POST /logout takes an optional local "next" for the sign-in page.
 * Every form carries the CSRF token (web.h); failures re-render the form
 * with the person's input (never a password) and one message per field.
 */
#include <stdio.h>
#include <string.h>

#include "account.h"
#include "handlers.h"
#include "log.h"
#include "password.h"
#include "web.h"

/* The User-Agent, kept with the session for the person's information. */
static const char *
user_agent(struct anx_req *req)
{
	return anx_req_header(req, "HTTP_USER_AGENT");
}

/* The "next" a form carries, if it is a safe local path; else dflt. */
static const char *
next_or(struct anx_web *w, const char *v, const char *dflt)
{
	return v != NULL && anx_web_local_path(v) && strncmp(v, "/login", 6) != 0 &&
			       strncmp(v, "/logout", 7) != 0
		       ? v
		       : dflt;
}

/* Adds key: value (if value is non-empty) to ctx. */
static void
put(json_object *ctx, const char *key, const char *value)
{
	if (value != NULL && *value != '\0')
		json_object_object_add(ctx, key, json_object_new_string(value));
}

enum anx_err
anx_h_root(struct anx_req *req, struct anx_resp *resp)
{
	struct anx_web *w;
	enum anx_err err;

	if ((err = anx_web_begin(req, resp, ANX_WEB_PUBLIC, &w)) != ANX_OK || w == NULL)
		return err;
	return anx_web_redirect(w, w->signed_in ? "/dashboard" : "/login");
}

/* ---- sign-up ------------------------------------------------------------- */

static enum anx_err
signup_form(struct anx_web *w, int status, const struct anx_verrs *e)
{
	json_object *ctx = json_object_new_object(), *errs;

	put(ctx, "email", anx_web_text(w, "email"));
	put(ctx, "display_name", anx_web_text(w, "display_name"));
	put(ctx, "workspace_name", anx_web_text(w, "workspace_name"));
	if ((errs = anx_web_errors(e)) != NULL)
		json_object_object_add(ctx, "errors", errs);
	json_object_object_add(ctx, "password_min", json_object_new_int(ANX_PASSWORD_MIN));
	return anx_web_render(w, status, "signup", NULL, "Create your account", ctx);
}

enum anx_err
anx_h_signup_page(struct anx_req *req, struct anx_resp *resp)
{
	struct anx_web *w;
	enum anx_err err;

	if ((err = anx_web_begin(req, resp, ANX_WEB_PUBLIC, &w)) != ANX_OK || w == NULL)
		return err;
	if (w->signed_in)
		return anx_web_redirect(w, "/dashboard");
	return signup_form(w, 200, NULL);
}

enum anx_err
anx_h_signup(struct anx_req *req, struct anx_resp *resp)
{
	struct anx_signup s;
	struct anx_signup_out out;
	struct anx_verrs *e;
	struct anx_web *w;
	const char *name;
	enum anx_err err;

	if ((err = anx_web_begin(req, resp, ANX_WEB_PUBLIC, &w)) != ANX_OK || w == NULL)
		return err;
	if ((e = anx_req_verrs(req)) == NULL)
		return ANX_ERR_NOMEM;
	memset(&s, 0, sizeof(s));
	s.email = anx_web_text(w, "email");
	s.password = anx_web_form(w, "password");
	s.display_name = anx_web_text(w, "display_name");
	name = anx_web_text(w, "workspace_name");
	if (*name == '\0')
		name = *s.display_name
			       ? anx_arena_printf(req->arena, "%.80s's workspace", s.display_name)
			       : "My workspace";
	s.workspace_name = name;
	s.remote_addr = req->remote_addr;
	s.user_agent = user_agent(req);
	if (s.password == NULL)
		s.password = "";
	err = anx_account_signup(req->db, &s, e, &out);
	if (err == ANX_ERR_VALIDATION || err == ANX_ERR_CONFLICT)
		return signup_form(w, 422, e);
	if (err != ANX_OK)
		return err;
	/* Another account signed in in this browser (a second tab): end it. */
	if (w->signed_in && (err = anx_session_revoke(req->db, w->session.id)) != ANX_OK)
		return err;
	err = anx_web_signed_in(w, out.session_id);
	anx_secure_zero(&out.session_id, sizeof(out.session_id));
	if (err != ANX_OK)
		return err;
	anx_web_flash(w, "success",
		"Welcome to AgentNexus! Your workspace “%s” is ready. Start by creating an API key "
		"for "
		"your agent.",
		name);
	return anx_web_redirect(
		w, anx_arena_printf(req->arena, "/dashboard?ws=%s", out.workspace_id));
}

/* ---- sign-in ------------------------------------------------------------- */

static enum anx_err
login_form(struct anx_web *w, int status, const char *error, const char *next)
{
	json_object *ctx = json_object_new_object();

	put(ctx, "email", anx_web_text(w, "email"));
	if (*anx_web_text(w, "email") == '\0')
		put(ctx, "email", anx_web_query(w, "email"));
	put(ctx, "next", next);
	put(ctx, "error", error);
	return anx_web_render(w, status, "login", NULL, "Sign in", ctx);
}

enum anx_err
anx_h_login_page(struct anx_req *req, struct anx_resp *resp)
{
	struct anx_web *w;
	enum anx_err err;

	if ((err = anx_web_begin(req, resp, ANX_WEB_PUBLIC, &w)) != ANX_OK || w == NULL)
		return err;
	if (w->signed_in)
		return anx_web_redirect(w, next_or(w, anx_web_query(w, "next"), "/dashboard"));
	return login_form(w, 200, NULL, next_or(w, anx_web_query(w, "next"), NULL));
}

enum anx_err
anx_h_login(struct anx_req *req, struct anx_resp *resp)
{
	struct anx_login in;
	struct anx_login_out out;
	struct anx_web *w;
	const char *next, *msg;
	char retry[24];
	enum anx_err err;

	if ((err = anx_web_begin(req, resp, ANX_WEB_PUBLIC, &w)) != ANX_OK || w == NULL)
		return err;
	next = next_or(w, anx_web_form(w, "next"), NULL);
	memset(&in, 0, sizeof(in));
	in.email = anx_web_text(w, "email");
	in.password = anx_web_form(w, "password");
	in.old_session = w->signed_in ? w->session.id : NULL;
	in.remote_addr = req->remote_addr;
	in.user_agent = user_agent(req);
	if (in.password == NULL)
		in.password = "";
	if ((err = anx_account_login(req->db, &in, &out)) != ANX_OK)
		return err;
	switch (out.status) {
	case ANX_LOGIN_OK:
		err = anx_web_signed_in(w, out.session_id);
		anx_secure_zero(out.session_id, sizeof(out.session_id));
		if (err != ANX_OK)
			return err;
		return anx_web_redirect(w, next ? next : "/dashboard");
	case ANX_LOGIN_LOCKED:
		snprintf(retry, sizeof(retry), "%ld", out.retry_after);
		anx_web_header(w, "Retry-After", anx_arena_strdup(req->arena, retry));
		msg = anx_arena_printf(req->arena,
			"Too many sign-in attempts for this account. Wait %ld %s and try again, or "
			"reset your password.",
			out.retry_after > 90 ? (out.retry_after + 59) / 60 : out.retry_after,
			out.retry_after > 90 ? "minutes" : "seconds");
		return login_form(w, 429, msg, next);
	default:
		return login_form(w, 422,
			"That email and password don't match an account. Check them and try again, "
			"or "
			"reset your password.",
			next);
	}
}

enum anx_err
anx_h_logout(struct anx_req *req, struct anx_resp *resp)
{
	struct anx_web *w;
	const char *next;
	enum anx_err err;

	if ((err = anx_web_begin(req, resp, ANX_WEB_USER, &w)) != ANX_OK || w == NULL)
		return err;
	next = next_or(w, anx_web_form(w, "next"), NULL);
	if ((err = anx_session_revoke(req->db, w->session.id)) != ANX_OK)
		return err;
	anx_log(ANX_LOG_INFO, "user.logout", LF_STR("user_id", w->session.user_id), ANX_LF_END);
	anx_web_signed_out(w);
	if (next != NULL)
		return anx_web_redirect(
			w, anx_arena_printf(req->arena, "/login?notice=signed_out&next=%s",
				   anx_web_urlencode(req->arena, next)));
	return anx_web_redirect(w, "/login?notice=signed_out");
}

/* ---- password reset ------------------------------------------------------ */

static enum anx_err
forgot_form(struct anx_web *w, int status, const char *error, int sent)
{
	json_object *ctx = json_object_new_object();

	put(ctx, "email", anx_web_text(w, "email"));
	put(ctx, "error", error);
	json_object_object_add(ctx, "sent", json_object_new_boolean(sent));
	json_object_object_add(ctx, "ttl_minutes", json_object_new_int(ANX_RESET_TTL_SECONDS / 60));
	return anx_web_render(w, status, "forgot", NULL, "Reset your password", ctx);
}

enum anx_err
anx_h_forgot_page(struct anx_req *req, struct anx_resp *resp)
{
	struct anx_web *w;
	enum anx_err err;

	if ((err = anx_web_begin(req, resp, ANX_WEB_PUBLIC, &w)) != ANX_OK || w == NULL)
		return err;
	return forgot_form(w, 200, NULL, 0);
}

enum anx_err
anx_h_forgot(struct anx_req *req, struct anx_resp *resp)
{
	struct anx_web *w;
	enum anx_err err;

	if ((err = anx_web_begin(req, resp, ANX_WEB_PUBLIC, &w)) != ANX_OK || w == NULL)
		return err;
	err = anx_account_forgot(req->db, anx_web_text(w, "email"), req->remote_addr);
	if (err == ANX_ERR_VALIDATION)
		return forgot_form(w, 422, "Enter the email address you sign in with.", 0);
	if (err != ANX_OK)
		return err;
	return forgot_form(w, 200, NULL, 1);
}

static enum anx_err
reset_form(struct anx_web *w, int status, const char *token, const struct anx_verrs *e)
{
	char email[ANX_EMAIL_MAX + 1];
	json_object *ctx = json_object_new_object(), *errs;
	enum anx_err err;

	/* The URL holds a token: never send it to another site. same-origin,
	 * not no-referrer, so the page's own POST still carries an Origin for
	 * the CSRF check (no-referrer makes browsers send "Origin: null"). */
	anx_web_header(w, "Referrer-Policy", "same-origin");
	err = anx_account_reset_lookup(w->req->db, token, email);
	if (err != ANX_OK && err != ANX_ERR_NOT_FOUND) {
		json_object_put(ctx);
		return err;
	}
	json_object_object_add(ctx, "valid", json_object_new_boolean(err == ANX_OK));
	put(ctx, "email", email);
	put(ctx, "action", w->req->path);
	if ((errs = anx_web_errors(e)) != NULL)
		json_object_object_add(ctx, "errors", errs);
	json_object_object_add(ctx, "password_min", json_object_new_int(ANX_PASSWORD_MIN));
	return anx_web_render(
		w, err == ANX_OK ? status : 404, "reset", NULL, "Choose a new password", ctx);
}

enum anx_err
anx_h_reset_page(struct anx_req *req, struct anx_resp *resp)
{
	struct anx_web *w;
	enum anx_err err;

	if ((err = anx_web_begin(req, resp, ANX_WEB_PUBLIC, &w)) != ANX_OK || w == NULL)
		return err;
	return reset_form(w, 200, anx_req_route_param(req, "token"), NULL);
}

enum anx_err
anx_h_reset(struct anx_req *req, struct anx_resp *resp)
{
	const char *token = anx_req_route_param(req, "token"), *pw, *confirm;
	char session[ANX_TOKEN_LEN + 1];
	struct anx_verrs *e;
	struct anx_web *w;
	enum anx_err err;

	if ((err = anx_web_begin(req, resp, ANX_WEB_PUBLIC, &w)) != ANX_OK || w == NULL)
		return err;
	if ((e = anx_req_verrs(req)) == NULL)
		return ANX_ERR_NOMEM;
	pw = anx_web_form(w, "password");
	confirm = anx_web_form(w, "password_confirm");
	if (pw == NULL)
		pw = "";
	if (confirm == NULL || strcmp(pw, confirm) != 0) {
		anx_verrs_add(e, "password_confirm", "The two passwords don't match.");
		return reset_form(w, 422, token, e);
	}
	err = anx_account_reset(req->db, token, pw, req->remote_addr, user_agent(req), e, session);
	if (err == ANX_ERR_VALIDATION || err == ANX_ERR_NOT_FOUND)
		return reset_form(w, 422, token, e);
	if (err != ANX_OK)
		return err;
	if (w->signed_in && (err = anx_session_revoke(req->db, w->session.id)) != ANX_OK)
		return err;
	err = anx_web_signed_in(w, session);
	anx_secure_zero(session, sizeof(session));
	if (err != ANX_OK)
		return err;
	/* The URL holds a token: never send it to another site. same-origin,
	 * not no-referrer, so the page's own POST still carries an Origin for
	 * the CSRF check (no-referrer makes browsers send "Origin: null"). */
	anx_web_header(w, "Referrer-Policy", "same-origin");
	anx_web_flash(w, "success",
		"Your password is changed and you are signed in. Every other session was signed "
		"out.");
	return anx_web_redirect(w, "/dashboard");
}

/* ---- password change ----------------------------------------------------- */

static enum anx_err
password_form(struct anx_web *w, int status, const struct anx_verrs *e, const char *error)
{
	json_object *ctx = json_object_new_object(), *errs;

	if ((errs = anx_web_errors(e)) != NULL)
		json_object_object_add(ctx, "errors", errs);
	put(ctx, "error", error);
	json_object_object_add(ctx, "password_min", json_object_new_int(ANX_PASSWORD_MIN));
	return anx_web_render(w, status, "change-password", NULL, "Change password", ctx);
}

enum anx_err
anx_h_password_page(struct anx_req *req, struct anx_resp *resp)
{
	struct anx_web *w;
	enum anx_err err;

	if ((err = anx_web_begin(req, resp, ANX_WEB_USER, &w)) != ANX_OK || w == NULL)
		return err;
	return password_form(w, 200, NULL, NULL);
}

enum anx_err
anx_h_password(struct anx_req *req, struct anx_resp *resp)
{
	const char *current, *pw, *confirm, *msg;
	char session[ANX_TOKEN_LEN + 1], retry[24];
	struct anx_verrs *e;
	struct anx_web *w;
	long retry_after;
	enum anx_err err;

	if ((err = anx_web_begin(req, resp, ANX_WEB_USER, &w)) != ANX_OK || w == NULL)
		return err;
	if ((e = anx_req_verrs(req)) == NULL)
		return ANX_ERR_NOMEM;
	current = anx_web_form(w, "current_password");
	pw = anx_web_form(w, "password");
	confirm = anx_web_form(w, "password_confirm");
	if (pw == NULL)
		pw = "";
	if (confirm == NULL || strcmp(pw, confirm) != 0) {
		anx_verrs_add(e, "password_confirm", "The two new passwords don't match.");
		return password_form(w, 422, e, NULL);
	}
	err = anx_account_change_password(req->db, w->session.user_id, current, pw,
		req->remote_addr, user_agent(req), e, &retry_after, session);
	if (err == ANX_ERR_VALIDATION)
		return password_form(w, 422, e, NULL);
	if (err == ANX_ERR_RATE_LIMITED) {
		snprintf(retry, sizeof(retry), "%ld", retry_after);
		anx_web_header(w, "Retry-After", anx_arena_strdup(req->arena, retry));
		msg = anx_arena_printf(req->arena,
			"Too many wrong passwords. Wait %ld %s and try again.",
			retry_after > 90 ? (retry_after + 59) / 60 : retry_after,
			retry_after > 90 ? "minutes" : "seconds");
		return password_form(w, 429, NULL, msg);
	}
	if (err != ANX_OK)
		return err;
	err = anx_web_signed_in(w, session);
	anx_secure_zero(session, sizeof(session));
	if (err != ANX_OK)
		return err;
	anx_web_flash(w, "success",
		"Password changed. Every other session, on any device, was signed out.");
	return anx_web_redirect(w, "/account/password");
}
