/*
 * json.h - JSON input over json-c with hard limits, and validation errors
 * that name the failing path.
 *
 * Parsing rejects: bodies over max_bytes, nesting deeper than max_depth,
 * any string (key or value) longer than max_string bytes, more than
 * max_members members/elements in total, invalid UTF-8, embedded NUL
 * (\u0000 too), trailing garbage, and non-strict syntax.
 *
 * Validation errors collect into struct anx_verrs: each has a JSON path in
 * the form used by the API contract ("rules[2].when.amount.gt", "" for the
 * document root) and a short problem ("must be a number").
 */
#ifndef ANX_JSON_H
#define ANX_JSON_H

#include <stddef.h>

#include <json-c/json.h>

#include "err.h"

#define ANX_VERR_MAX     32
#define ANX_VERR_PATH    160
#define ANX_VERR_PROBLEM 200

struct anx_verr {
	char path[ANX_VERR_PATH];
	char problem[ANX_VERR_PROBLEM];
};

struct anx_verrs {
	struct anx_verr items[ANX_VERR_MAX];
	size_t n;       /* items filled */
	size_t dropped; /* errors beyond ANX_VERR_MAX */
};

struct anx_json_limits {
	size_t max_bytes;   /* whole document */
	int max_depth;      /* nesting of objects/arrays, root = 1 */
	size_t max_string;  /* bytes in any key or string value */
	size_t max_members; /* total object members + array elements */
};

/* Defaults for request bodies: 1 MiB, depth 32, 64 KiB strings, 100k members. */
extern const struct anx_json_limits anx_json_default_limits;

void anx_verrs_init(struct anx_verrs *e);
/* Adds an error; path is copied (truncated to fit); problem is printf-like. */
void anx_verrs_add(struct anx_verrs *e, const char *path, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Builds "parent.key" (or "key" at root) / "parent[i]" into out (size n). */
void anx_json_path_key(char *out, size_t n, const char *parent, const char *key);
void anx_json_path_index(char *out, size_t n, const char *parent, size_t i);

/* 1 if s[0..n) is valid UTF-8 (no overlongs, no surrogates, <= U+10FFFF)
 * and has no NUL byte. */
int anx_utf8_valid(const char *s, size_t n);

/* The number of code points in NUL-terminated UTF-8 s (bytes that are not
 * continuation bytes). */
size_t anx_utf8_chars(const char *s);

/*
 * Parses text (n bytes) under lim. On success *out is a new reference
 * (caller puts it) and ANX_OK is returned. Otherwise *out is NULL and:
 * ANX_ERR_TOO_LARGE if n > max_bytes, ANX_ERR_INVALID with one error in e
 * (path "" and a problem such as "invalid JSON at byte 17", "nesting deeper
 * than 32", "string longer than 65536 bytes", "invalid UTF-8").
 */
enum anx_err anx_json_parse(const char *text, size_t n, const struct anx_json_limits *lim,
	json_object **out, struct anx_verrs *e);

/*
 * Table-driven object validation (kcgi `struct kvalid`). Each accepted
 * field is declared once; unknown keys are errors ("unknown field").
 */
enum anx_ftype {
	ANX_FT_STRING, /* json string */
	ANX_FT_NUMBER, /* json int or double (finite) */
	ANX_FT_INT,    /* json int */
	ANX_FT_BOOL,
	ANX_FT_OBJECT,
	ANX_FT_ARRAY,
	ANX_FT_ANY
};

struct anx_field {
	const char *name;
	enum anx_ftype type;
	int required;
	size_t min_len; /* strings: code points; arrays: elements */
	size_t max_len; /* 0 = no limit beyond parse limits */
	/* Optional extra check; returns NULL if fine, or a problem string. */
	const char *(*check)(json_object *v);
	int nullable; /* JSON null accepted (treated as absent) */
};

/*
 * Validates that obj (at path, "" for the root) is an object whose keys
 * are all declared in fields[0..nfields) with the right types and bounds.
 * Appends every problem to e; returns the number of problems found here.
 */
size_t anx_json_validate(json_object *obj, const char *path, const struct anx_field *fields,
	size_t nfields, struct anx_verrs *e);

/* Serialises obj compactly (no slash escaping) into a new malloc'd
 * string (caller frees); NULL on OOM. */
char *anx_json_dump(json_object *obj, size_t *len);

/* Getters that return NULL/def when the key is absent or of another type. */
const char *anx_json_get_str(json_object *obj, const char *key);
int anx_json_get_bool(json_object *obj, const char *key, int def);

#endif
