/*
 * integrations.h - the integrator settings of a workspace
 * (workspace_integration_settings): what the dashboard may show of the
 * webhook signing secret, the webhook hostname allowlist and the
 * replay-admin-only switch. Rotating the secret is webhook.h's
 * anx_webhook_rotate_secret().
 *
 * The secret itself never leaves this module after it is created: the
 * settings page shows its first characters and a SHA-256 fingerprint so
 * an integrator can tell which secret they hold. Every change is audited
 * in the same transaction (webhook_allowlist.updated,
 * webhook_replay_policy.updated).
 */
#ifndef ANX_INTEGRATIONS_H
#define ANX_INTEGRATIONS_H

#include <json-c/json.h>

#include "db.h"
#include "json.h"

#define ANX_ALLOWLIST_MAX      100   /* entries */
#define ANX_ALLOWLIST_TEXT_MAX 32768 /* bytes of the textarea */

/*
 * The settings page model of ws: {has_secret (bool), secret_hint
 * ("whsec_AbCd…"), fingerprint (first 16 hex of SHA-256 of the secret),
 * rotating (bool: the previous secret still signs), previous_expires_at,
 * previous_expires_display, allowlist: [..], allowlist_text (one per
 * line), replay_admin_only (bool), updated_display}. Without a settings
 * row has_secret is false and the rest empty.
 */
enum anx_err anx_integrations_get(struct anx_db *db, const char *ws, json_object **out);

/*
 * Problem with one allowlist entry (already trimmed), or NULL. Accepted:
 * "host", "*.domain", an IPv4 literal, "[IPv6]", each optionally with
 * ":port" (1-65535); host names are labels of [a-z0-9-] (1-63, no
 * leading or trailing hyphen), at most 253 characters. norm (cap bytes)
 * receives the entry lowercased without a trailing dot.
 */
const char *anx_allowlist_entry_problem(const char *entry, char *norm, size_t cap);

/*
 * Parses the textarea (one entry per line; blank lines and lines starting
 * with # ignored) into *out, a new array of normalised entries without
 * duplicates, in order. Problems go to e with path "allowlist" and the
 * line number in the message. Returns the number of problems.
 */
size_t anx_allowlist_parse(const char *text, json_object **out, struct anx_verrs *e);

/* Replaces ws's allowlist with entries (an array from anx_allowlist_parse)
 * as actor_id; audited with the list before and after (nothing happens
 * when the list is unchanged). ANX_ERR_NOT_FOUND
 * when ws has no integration settings yet (rotate a secret first). */
enum anx_err anx_integrations_set_allowlist(
	struct anx_db *db, const char *ws, const char *actor_id, json_object *entries);

/* Sets whether only owners and admins may replay ws's webhook deliveries;
 * audited when it changes. ANX_ERR_NOT_FOUND as above. */
enum anx_err anx_integrations_set_replay_admin_only(
	struct anx_db *db, const char *ws, const char *actor_id, int on);

#endif
