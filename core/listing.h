/*
 * listing.h - what the dashboard's long lists share: keyset cursors and
 * filter values read from a URL query.
 *
 * Lists are ordered newest first by (created_at DESC, id DESC) and paged
 * by keyset, never OFFSET: the next page is "rows strictly before the last
 * row shown". The position travels in the URL as an opaque cursor,
 * base64url (RFC 4648 §5, no padding) of "<created_at>|<id>" where
 * created_at is the RFC 3339 UTC text with microseconds PostgreSQL prints
 * for ANX_SQL_TS (timeutil.h), so it round-trips exactly. A cursor only
 * names a position: the list query still restricts to the workspace, so a
 * forged cursor shows nothing it could not show anyway.
 *
 * Filters are declared once per list in a table of struct anx_filter_def
 * (kcgi's kvalid): each accepted parameter with its kind and bounds.
 * Parsing reads only declared names, drops empty values, and reports
 * every bad value with the parameter as its path.
 */
#ifndef ANX_LISTING_H
#define ANX_LISTING_H

#include <stddef.h>

#include "arena.h"
#include "json.h"
#include "timeutil.h"

#define ANX_PAGE_SIZE       50
#define ANX_CURSOR_MAX      128 /* characters of an encoded cursor */
#define ANX_FILTER_TEXT_MAX 256

/* The id part of a cursor. */
enum anx_cursor_id {
	ANX_CURSOR_UUID,  /* uuid: evaluations, deliveries */
	ANX_CURSOR_BIGINT /* bigint: audit events (1 .. 2^63-1) */
};

struct anx_cursor {
	char ts[ANX_TS_LEN + 1]; /* "2026-11-28T00:40:00.123456Z" */
	char id[37];             /* a uuid, or decimal digits */
};

/* Encodes c into out (ANX_CURSOR_MAX + 1 bytes). Returns 0, or -1 if c is
 * not well formed. */
int anx_cursor_encode(const struct anx_cursor *c, char out[ANX_CURSOR_MAX + 1]);

/* Decodes s into c, checking the timestamp's exact shape and the id's kind.
 * Returns 0, or -1 for anything else. */
int anx_cursor_decode(const char *s, enum anx_cursor_id kind, struct anx_cursor *c);

/* The position before every row (first page): "infinity" and the largest
 * id of the kind. */
void anx_cursor_first(enum anx_cursor_id kind, struct anx_cursor *c);

/* 1 if s is a timestamp exactly as ANX_SQL_TS prints it. */
int anx_ts_shape(const char *s);

/* 1 if s is a valid calendar date "YYYY-MM-DD" (years 1970..9999). */
int anx_date_valid(const char *s);

enum anx_filter_kind {
	ANX_FILTER_CHOICE, /* choice: one of choices[] */
	ANX_FILTER_TEXT,   /* text: 1..max bytes of UTF-8, no control characters */
	ANX_FILTER_TOKEN,  /* token: 1..max of [A-Za-z0-9_.:*-] (actions, event types) */
	ANX_FILTER_DATE,   /* date: YYYY-MM-DD */
	ANX_FILTER_CURSOR, /* cursor: see above, of cursor_id */
	ANX_FILTER_UUID    /* uuid */
};

struct anx_filter_def {
	const char *name;
	enum anx_filter_kind kind;
	size_t max;                 /* TEXT/TOKEN: bytes (0 = ANX_FILTER_TEXT_MAX) */
	const char *const *choices; /* CHOICE: NULL-terminated */
	enum anx_cursor_id cursor_id;
	const char *label; /* for error messages: "Status" */
};

/* Reads a query parameter (NULL when absent). */
typedef const char *(*anx_filter_get_fn)(void *ctx, const char *name);

/*
 * Reads defs[0..n) through get(ctx, name) into out[0..n): the value
 * trimmed of surrounding blanks (a copy in arena a; for CHOICE the static
 * choice), or NULL when absent, empty or invalid. Each invalid value adds
 * an error to e (path = the parameter's name) and is dropped. Returns the
 * number of errors added (a failed allocation counts as one, in e too).
 */
size_t anx_filter_parse(const struct anx_filter_def *defs, size_t n, anx_filter_get_fn get,
	void *ctx, struct anx_arena *a, const char **out, struct anx_verrs *e);

/*
 * The from/to date range check shared by the list filters: when both
 * v[from] and v[to] are set and to is before from, adds an error at "to",
 * drops v[to] and returns 1; otherwise 0.
 */
size_t anx_filter_check_range(const char **v, size_t from, size_t to, struct anx_verrs *e);

/* One problem for value v under def, or NULL if it is acceptable. */
const char *anx_filter_problem(const struct anx_filter_def *def, const char *v);

#endif
