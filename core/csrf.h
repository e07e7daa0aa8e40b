/*
 * csrf.h - tokens against cross-site request forgery (OWASP "synchronizer
 * token" pattern, bound to the browser's secret).
 *
 * A token is HMAC-SHA256(key = a secret only this browser holds, "anx-csrf
 * v1") as 64 lowercase hex characters. The secret is the session id for a
 * signed-in browser, and otherwise the pre-session cookie that the login,
 * sign-up and reset forms set. Nothing is stored: the token is derived again
 * on every request, changes whenever the session id does (sign-in, password
 * change), and a leaked token does not reveal the session id.
 */
#ifndef ANX_CSRF_H
#define ANX_CSRF_H

#include <stddef.h>

#define ANX_CSRF_LEN 64

/* Derives the token for secret into out. 0, or -1 if secret is NULL/empty
 * or hashing failed (out is then ""). */
int anx_csrf_token(const char *secret, char out[ANX_CSRF_LEN + 1]);

/* Constant-time comparison of two tokens: 1 if both have ANX_CSRF_LEN
 * bytes and are equal, 0 otherwise (NULL never matches). The lengths are
 * public; only the contents are compared without early exit. */
int anx_csrf_equal(const char *expected, const char *presented);

/* 1 if presented is the token for secret. */
int anx_csrf_check(const char *secret, const char *presented);

#endif
