/*
 * integrations.c - integrator settings; see integrations.h.
 */
#include "integrations.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "auth.h"
#include "buf.h"
#include "crypto.h"
#include "timeutil.h"

#define DISP(c) "to_char(" c " AT TIME ZONE 'UTC', 'DD Mon YYYY, HH24:MI \"UTC\"')"

static const char SQL_GET[] =
	"SELECT webhook_secret, previous_webhook_secret IS NOT NULL"
	" AND previous_secret_expires_at > now(), " ANX_SQL_TS(
		"previous_secret_expires_at") ","
					      " " DISP(
						      "previous_secret_expires_at") ", "
										    "array_to_"
										    "json(webhook_"
										    "allowed_"
										    "hostnames)::"
										    "text,"
										    " replay_"
										    "admin_only,"
										    " " DISP(
											    "updat"
											    "ed_"
											    "at") " FROM workspace_integration_settings WHERE workspace_id = $1";
static const char SQL_LOCK[] =
	"SELECT array_to_json(webhook_allowed_hostnames)::text, replay_admin_only"
	" FROM workspace_integration_settings WHERE workspace_id = $1 FOR UPDATE";
static const char SQL_SET_ALLOW[] =
	"UPDATE workspace_integration_settings SET webhook_allowed_hostnames ="
	" ARRAY(SELECT jsonb_array_elements_text($2::jsonb)), updated_at = now()"
	" WHERE workspace_id = $1";
static const char SQL_SET_REPLAY[] =
	"UPDATE workspace_integration_settings SET replay_admin_only = $2::boolean,"
	" updated_at = now() WHERE workspace_id = $1";

enum anx_err
anx_integrations_get(struct anx_db *db, const char *ws, json_object **out)
{
	const char *p[1] = { ws };
	char fp[ANX_SHA256_HEX_LEN + 1], hint[16];
	json_object *o, *list;
	struct anx_buf text;
	PGresult *res;
	enum anx_err err;

	*out = NULL;
	if (!anx_uuid_valid(ws))
		return ANX_ERR_INVALID;
	if ((err = anx_db_exec(db, SQL_GET, 1, p, &res)) != ANX_OK)
		return err;
	o = json_object_new_object();
	if (PQntuples(res) != 1) {
		PQclear(res);
		json_object_object_add(o, "has_secret", json_object_new_boolean(0));
		json_object_object_add(o, "allowlist", json_object_new_array());
		json_object_object_add(o, "replay_admin_only", json_object_new_boolean(0));
		*out = o;
		return ANX_OK;
	}
	/* Enough of the secret to recognise it, never enough to use it. */
	anx_sha256_hex(PQgetvalue(res, 0, 0), (size_t)PQgetlength(res, 0, 0), fp);
	fp[16] = '\0';
	snprintf(hint, sizeof(hint), "%.10s", PQgetvalue(res, 0, 0));
	anx_secure_zero(PQgetvalue(res, 0, 0), (size_t)PQgetlength(res, 0, 0));
	json_object_object_add(o, "has_secret", json_object_new_boolean(1));
	json_object_object_add(o, "secret_hint", json_object_new_string(hint));
	json_object_object_add(o, "fingerprint", json_object_new_string(fp));
	json_object_object_add(
		o, "rotating", json_object_new_boolean(PQgetvalue(res, 0, 1)[0] == 't'));
	if (PQgetvalue(res, 0, 1)[0] == 't') {
		json_object_object_add(
			o, "previous_expires_at", json_object_new_string(PQgetvalue(res, 0, 2)));
		json_object_object_add(o, "previous_expires_display",
			json_object_new_string(PQgetvalue(res, 0, 3)));
	}
	list = json_tokener_parse(PQgetvalue(res, 0, 4));
	if (!json_object_is_type(list, json_type_array)) {
		json_object_put(list);
		list = json_object_new_array();
	}
	anx_buf_init(&text, 0);
	for (size_t i = 0; i < json_object_array_length(list); i++)
		anx_buf_printf(&text, "%s%s", i ? "\n" : "",
			json_object_get_string(json_object_array_get_idx(list, i)));
	json_object_object_add(o, "allowlist", list);
	json_object_object_add(
		o, "allowlist_text", json_object_new_string(text.len ? text.data : ""));
	anx_buf_free(&text);
	json_object_object_add(
		o, "replay_admin_only", json_object_new_boolean(PQgetvalue(res, 0, 5)[0] == 't'));
	json_object_object_add(o, "updated_display", json_object_new_string(PQgetvalue(res, 0, 6)));
	PQclear(res);
	*out = o;
	return ANX_OK;
}

/* 1 if s[0..n) is a DNS label: 1..63 of [a-z0-9-], no hyphen at an end. */
static int
label_ok(const char *s, size_t n)
{
	if (n == 0 || n > 63 || s[0] == '-' || s[n - 1] == '-')
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '-'))
			return 0;
	return 1;
}

/* 1 if host (lowercase) is a dotted name of valid labels, <= 253 chars. */
static int
name_ok(const char *host)
{
	size_t n = strlen(host);
	const char *s = host;

	if (n == 0 || n > 253)
		return 0;
	for (;;) {
		const char *dot = strchr(s, '.');
		size_t len = dot ? (size_t)(dot - s) : strlen(s);

		if (!label_ok(s, len))
			return 0;
		if (dot == NULL)
			return 1;
		s = dot + 1;
	}
}

/* 1 if every label is digits (it reads as an IPv4 address, or nothing). */
static int
all_numeric(const char *host)
{
	for (const char *s = host; *s; s++)
		if (*s != '.' && (*s < '0' || *s > '9'))
			return 0;
	return 1;
}

const char *
anx_allowlist_entry_problem(const char *entry, char *norm, size_t cap)
{
	char e[300], *host = e, *port = NULL;
	unsigned char addr[16];
	size_t n;

	if (cap > 0)
		norm[0] = '\0';
	n = strlen(entry);
	if (n == 0)
		return "is empty";
	if (n >= sizeof(e) || n >= cap)
		return "is too long";
	for (size_t i = 0; i <= n; i++) {
		char c = entry[i];

		if (c == ' ' || c == '\t' || c == '/' || c == '@' || c == '?' || c == '#')
			return "must be a host name only (no scheme, path, user or spaces)";
		e[i] = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
	}
	if (e[0] == '[') {
		char *close = strchr(e, ']');

		if (close == NULL || (close[1] != '\0' && close[1] != ':'))
			return "is not a valid [IPv6] address";
		*close = '\0';
		host = e + 1;
		if (close[1] == ':')
			port = close + 2;
		if (inet_pton(AF_INET6, host, addr) != 1)
			return "is not a valid [IPv6] address";
	} else {
		if ((port = strrchr(e, ':')) != NULL)
			*port++ = '\0';
		n = strlen(host);
		if (n > 0 && host[n - 1] == '.')
			host[--n] = '\0';
		if (strcmp(host, "*") == 0 || strcmp(host, "*.") == 0)
			return "would allow every host; leave the list empty for that";
		if (strncmp(host, "*.", 2) == 0 ? !name_ok(host + 2) : !name_ok(host))
			return "is not a valid host name";
		if (all_numeric(strncmp(host, "*.", 2) == 0 ? host + 2 : host) &&
			(strncmp(host, "*.", 2) == 0 || inet_pton(AF_INET, host, addr) != 1))
			return "is not a valid IPv4 address";
	}
	if (port != NULL) {
		char *end;
		long v = strtol(port, &end, 10);

		if (*port == '\0' || *port == '+' || *port == '-' || *end != '\0' || v < 1 ||
			v > 65535)
			return "has a port that is not 1-65535";
	}
	if (e[0] == '[')
		snprintf(norm, cap, "[%s]%s%s", host, port ? ":" : "", port ? port : "");
	else
		snprintf(norm, cap, "%s%s%s", host, port ? ":" : "", port ? port : "");
	return NULL;
}

size_t
anx_allowlist_parse(const char *text, json_object **out, struct anx_verrs *e)
{
	const char *s = text;
	size_t bad = 0;
	int line = 0;

	*out = json_object_new_array();
	if (strlen(text) > ANX_ALLOWLIST_TEXT_MAX) {
		anx_verrs_add(e, "allowlist", "is longer than %d bytes", ANX_ALLOWLIST_TEXT_MAX);
		return 1;
	}
	while (*s) {
		const char *nl = strchr(s, '\n'), *why;
		size_t len = nl ? (size_t)(nl - s) : strlen(s), lo = 0;
		char item[300], norm[300];
		int dup = 0;

		line++;
		while (lo < len && (s[lo] == ' ' || s[lo] == '\t'))
			lo++;
		while (len > lo && (s[len - 1] == ' ' || s[len - 1] == '\t' || s[len - 1] == '\r'))
			len--;
		if (len > lo && s[lo] != '#') {
			if (len - lo >= sizeof(item)) {
				anx_verrs_add(e, "allowlist", "line %d: is too long", line);
				bad++;
			} else {
				memcpy(item, s + lo, len - lo);
				item[len - lo] = '\0';
				if ((why = anx_allowlist_entry_problem(item, norm, sizeof(norm))) !=
					NULL) {
					anx_verrs_add(e, "allowlist", "line %d: “%.80s” %s", line,
						item, why);
					bad++;
				} else {
					for (size_t i = 0;
						i < json_object_array_length(*out) && !dup; i++)
						dup = strcmp(json_object_get_string(
								     json_object_array_get_idx(
									     *out, i)),
							      norm) == 0;
					if (!dup)
						json_object_array_add(
							*out, json_object_new_string(norm));
				}
			}
		}
		s = nl ? nl + 1 : s + strlen(s);
	}
	if (json_object_array_length(*out) > ANX_ALLOWLIST_MAX) {
		anx_verrs_add(e, "allowlist", "has more than %d entries", ANX_ALLOWLIST_MAX);
		bad++;
	}
	return bad;
}

struct set_ctx {
	const char *ws, *actor;
	json_object *entries; /* allowlist, or NULL */
	int replay_admin_only;
};

static enum anx_err
set_tx(struct anx_db *db, void *arg)
{
	struct set_ctx *c = arg;
	const char *p[2] = { c->ws, NULL };
	json_object *data, *before;
	PGresult *res;
	enum anx_err err;
	int was;

	if ((err = anx_db_exec(db, SQL_LOCK, 1, p, &res)) != ANX_OK)
		return err;
	if (PQntuples(res) != 1) {
		PQclear(res);
		return ANX_ERR_NOT_FOUND;
	}
	before = json_tokener_parse(PQgetvalue(res, 0, 0));
	was = PQgetvalue(res, 0, 1)[0] == 't';
	PQclear(res);
	data = json_object_new_object();
	if (c->entries && before && json_object_equal(before, c->entries)) {
		/* Saved as it was: nothing to change or audit. */
	} else if (c->entries) {
		p[1] = json_object_to_json_string_ext(c->entries, JSON_C_TO_STRING_NOSLASHESCAPE);
		if ((err = anx_db_exec(db, SQL_SET_ALLOW, 2, p, NULL)) == ANX_OK) {
			json_object_object_add(data, "before", before);
			json_object_object_add(data, "after", json_object_get(c->entries));
			before = NULL;
			err = anx_audit_record(db, c->ws, "user", c->actor,
				"webhook_allowlist.updated", "workspace", c->ws, data);
		}
	} else if (was != c->replay_admin_only) {
		p[1] = c->replay_admin_only ? "true" : "false";
		if ((err = anx_db_exec(db, SQL_SET_REPLAY, 2, p, NULL)) == ANX_OK) {
			json_object_object_add(data, "replay_admin_only",
				json_object_new_boolean(c->replay_admin_only));
			err = anx_audit_record(db, c->ws, "user", c->actor,
				"webhook_replay_policy.updated", "workspace", c->ws, data);
		}
	}
	json_object_put(before);
	json_object_put(data);
	return err;
}

enum anx_err
anx_integrations_set_allowlist(
	struct anx_db *db, const char *ws, const char *actor_id, json_object *entries)
{
	struct set_ctx c = { ws, actor_id, entries, 0 };

	if (!anx_uuid_valid(ws) || entries == NULL ||
		json_object_array_length(entries) > ANX_ALLOWLIST_MAX)
		return ANX_ERR_INVALID;
	return anx_db_tx(db, set_tx, &c);
}

enum anx_err
anx_integrations_set_replay_admin_only(
	struct anx_db *db, const char *ws, const char *actor_id, int on)
{
	struct set_ctx c = { ws, actor_id, NULL, on != 0 };

	if (!anx_uuid_valid(ws))
		return ANX_ERR_INVALID;
	return anx_db_tx(db, set_tx, &c);
}
