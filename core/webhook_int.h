/*
 * webhook_int.h - pieces shared by webhook.c, webhook_send.c and
 * webhook_drain.c. Not part of the public API.
 */
#ifndef ANX_WEBHOOK_INT_H
#define ANX_WEBHOOK_INT_H

#include <json-c/json.h>

#include "webhook.h"

#define ANX_WEBHOOK_ALLOW_MAX 100 /* allowlist entries used */

/* A workspace's hostname allowlist parsed from its JSON array text (as
 * SQL array_to_json gives it; NULL or "" = none). The strings in list
 * are borrowed from *holder, which the caller json_object_put()s. */
struct anx_webhook_allow {
	json_object *holder;
	const char *list[ANX_WEBHOOK_ALLOW_MAX];
	size_t n;
};
void anx_webhook_allow_parse(const char *json_text, struct anx_webhook_allow *a);
void anx_webhook_allow_free(struct anx_webhook_allow *a);

#endif
