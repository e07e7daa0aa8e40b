/*
 * mailbox.c - the development mailbox's read model; see mailbox.h.
 */
#include "mailbox.h"

#include <string.h>
#include <strings.h>

#define DISP(c) "to_char(" c " AT TIME ZONE 'UTC', 'DD Mon YYYY, HH24:MI:SS \"UTC\"')"

/* Workspace mail through email_outbox_ws_created; account mail (no
 * workspace) by recipient. */
static const char SQL_LIST[] = "SELECT id, kind, to_address, subject, status, attempts, " DISP(
	"created_at") ","
		      " coalesce(" DISP(
			      "sent_at") ", ''), coalesce(last_error, ''), workspace_id IS NULL,"
					 " text_body FROM email_outbox"
					 " WHERE workspace_id = $1 OR (workspace_id IS NULL AND "
					 "lower(to_address) = lower($2))"
					 " ORDER BY created_at DESC, id DESC LIMIT 50";

static int
url_char(unsigned char c)
{
	return c > 0x20 && c != 0x7f && c != '"' && c != '<' && c != '>' && c != '\'' && c != '`' &&
	       c != '{' && c != '}' && c != '|' && c != '\\' && c != '^';
}

size_t
anx_mailbox_links(
	const char *text, size_t max, void (*fn)(const char *url, size_t len, void *ctx), void *ctx)
{
	const char *seen[ANX_MAILBOX_LINKS];
	size_t seen_len[ANX_MAILBOX_LINKS], found = 0;
	const char *p = text;

	if (max > ANX_MAILBOX_LINKS)
		max = ANX_MAILBOX_LINKS;
	while (p && *p && found < max) {
		const char *a = NULL, *h = strcasestr(p, "http"), *e;
		size_t n, i;
		int dup = 0;

		if (h == NULL)
			break;
		if (strncasecmp(h, "https://", 8) == 0 || strncasecmp(h, "http://", 7) == 0)
			a = h;
		if (a == NULL || (a > text && url_char((unsigned char)a[-1]) &&
					 ((a[-1] >= 'a' && a[-1] <= 'z') ||
						 (a[-1] >= 'A' && a[-1] <= 'Z')))) {
			p = h + 4;
			continue;
		}
		for (e = a; url_char((unsigned char)*e); e++)
			;
		while (e > a && strchr(".,;:!?)]", e[-1]))
			e--;
		n = (size_t)(e - a);
		p = e > a ? e : a + 4;
		if (n <= 8 || n > ANX_MAILBOX_URL_MAX)
			continue;
		for (i = 0; i < found; i++)
			dup |= seen_len[i] == n && memcmp(seen[i], a, n) == 0;
		if (dup)
			continue;
		seen[found] = a;
		seen_len[found] = n;
		found++;
		fn(a, n, ctx);
	}
	return found;
}

static void
add_link(const char *url, size_t len, void *ctx)
{
	json_object_array_add(ctx, json_object_new_string_len(url, (int)len));
}

enum anx_err
anx_mailbox_list(struct anx_db *db, const char *ws, const char *email, json_object **out)
{
	const char *p[2] = { ws, email };
	enum anx_err err;
	PGresult *res;

	*out = NULL;
	if ((err = anx_db_exec(db, SQL_LIST, 2, p, &res)) != ANX_OK)
		return err;
	*out = json_object_new_array();
	for (int r = 0; r < PQntuples(res); r++) {
		json_object *m = json_object_new_object(), *links = json_object_new_array();

		json_object_object_add(m, "id", json_object_new_string(PQgetvalue(res, r, 0)));
		json_object_object_add(m, "kind", json_object_new_string(PQgetvalue(res, r, 1)));
		json_object_object_add(m, "to", json_object_new_string(PQgetvalue(res, r, 2)));
		json_object_object_add(m, "subject", json_object_new_string(PQgetvalue(res, r, 3)));
		json_object_object_add(m, "status", json_object_new_string(PQgetvalue(res, r, 4)));
		json_object_object_add(
			m, "attempts", json_object_new_int(atoi(PQgetvalue(res, r, 5))));
		json_object_object_add(
			m, "created_display", json_object_new_string(PQgetvalue(res, r, 6)));
		if (*PQgetvalue(res, r, 7))
			json_object_object_add(
				m, "sent_display", json_object_new_string(PQgetvalue(res, r, 7)));
		if (*PQgetvalue(res, r, 8))
			json_object_object_add(
				m, "last_error", json_object_new_string(PQgetvalue(res, r, 8)));
		json_object_object_add(m, "account",
			json_object_new_boolean(strcmp(PQgetvalue(res, r, 9), "t") == 0));
		json_object_object_add(m, "body", json_object_new_string(PQgetvalue(res, r, 10)));
		anx_mailbox_links(PQgetvalue(res, r, 10), ANX_MAILBOX_LINKS, add_link, links);
		json_object_object_add(m, "has_links",
			json_object_new_boolean(json_object_array_length(links) > 0));
		json_object_object_add(m, "links", links);
		json_object_array_add(*out, m);
	}
	PQclear(res);
	return ANX_OK;
}
