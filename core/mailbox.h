/*
 * mailbox.h - the development mailbox (/dashboard/mailbox, never in
 * production): the email outbox's messages for a workspace and the
 * account mail of the signed-in user, with the links of each message
 * pulled out so they can be followed from the browser.
 */
#ifndef ANX_MAILBOX_H
#define ANX_MAILBOX_H

#include <stddef.h>

#include <json-c/json.h>

#include "db.h"

#define ANX_MAILBOX_LIMIT   50 /* newest messages shown */
#define ANX_MAILBOX_LINKS   20 /* links per message */
#define ANX_MAILBOX_URL_MAX 2048

/*
 * The newest ANX_MAILBOX_LIMIT messages of workspace ws, and those without
 * a workspace (password resets, invitations…) addressed to email, as a new
 * JSON array: [{id, kind, to, subject, status, attempts, created_display,
 * sent_display (or null), last_error, account (bool), body, links: [url]}].
 */
enum anx_err anx_mailbox_list(
	struct anx_db *db, const char *ws, const char *email, json_object **out);

/*
 * Calls fn(url, len, ctx) for each distinct http:// or https:// URL in
 * text (at most max), in order of appearance. A URL ends at a blank, a
 * quote, '<' or '>', and loses trailing punctuation (".,;:!?)]'"). URLs
 * longer than ANX_MAILBOX_URL_MAX are skipped. Returns the number found.
 */
size_t anx_mailbox_links(const char *text, size_t max,
	void (*fn)(const char *url, size_t len, void *ctx), void *ctx);

#endif
