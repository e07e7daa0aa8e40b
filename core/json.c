/*
 * json.c - JSON input over json-c with hard limits, and table-driven
 * validation with path-named errors; see json.h.
 *
 * Parsing is three passes over a body that is already known to be at
 * most max_bytes long:
 *
 * 1. scan(): a lexer over the raw bytes that accepts exactly the tokens
 *    of RFC 8259 and measures nesting. json-c 0.16 is lax even with
 *    JSON_TOKENER_STRICT: it accepts single-quoted strings, NaN and
 *    Infinity, "1.", raw control characters in strings, overlong and
 *    surrogate UTF-8, lone \uD800 escapes (turned into U+FFFD), \u0000
 *    (which truncates object keys), and it clamps integers beyond 64 bits
 *    silently. The lexer rejects all of those, counts object keys, and
 *    enforces max_depth with our "root = 1" definition exactly.
 * 2. json-c's tokener builds the tree and checks the grammar (commas,
 *    colons, matching brackets); its own depth limit is a backstop.
 * 3. walk(): a bounded recursive walk over the tree that enforces
 *    max_string on keys and values, max_members, finite numbers, no NUL,
 *    and that no key was repeated (json-c keeps the last duplicate; RFC
 *    8785 requires I-JSON, RFC 7493 §2.3, so duplicates are errors).
 */
#include "json.h"

#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* Upper bound on lim->max_depth: keeps the tokener stack and the walk's
 * recursion small whatever the caller configures. */
#define JSON_DEPTH_CAP 1024

const struct anx_json_limits anx_json_default_limits = {
	1024 * 1024, /* max_bytes */
	32,          /* max_depth */
	64 * 1024,   /* max_string */
	100000,      /* max_members */
};

/* Where the walk is, as a chain up to the root; rendered only on error. */
struct wpath {
	const struct wpath *up;
	const char *key; /* member name, or NULL */
	size_t idx;      /* array index when is_index */
	int is_index;
};

struct walk {
	const struct anx_json_limits *lim;
	struct anx_verrs *e;
	size_t members; /* object members + array elements so far */
	size_t keys;    /* object members so far */
};

void
anx_verrs_init(struct anx_verrs *e)
{
	memset(e, 0, sizeof(*e));
}

/*
 * Appends one error: path is copied (truncated to ANX_VERR_PATH - 1
 * bytes), the problem is formatted (truncated to ANX_VERR_PROBLEM - 1).
 * Past ANX_VERR_MAX errors only e->dropped counts. NULL e is a no-op.
 */
void
anx_verrs_add(struct anx_verrs *e, const char *path, const char *fmt, ...)
{
	struct anx_verr *v;
	va_list ap;

	if (e == NULL)
		return;
	if (e->n >= ANX_VERR_MAX) {
		e->dropped++;
		return;
	}
	v = &e->items[e->n++];
	snprintf(v->path, sizeof(v->path), "%s", path ? path : "");
	va_start(ap, fmt);
	vsnprintf(v->problem, sizeof(v->problem), fmt, ap);
	va_end(ap);
}

/*
 * Writes "parent.key", or "key" when parent is "" or NULL, into out (n
 * bytes, truncated to fit). out must not overlap parent or key.
 */
void
anx_json_path_key(char *out, size_t n, const char *parent, const char *key)
{
	if (n == 0)
		return;
	if (parent == NULL || parent[0] == '\0')
		snprintf(out, n, "%s", key ? key : "");
	else
		snprintf(out, n, "%s.%s", parent, key ? key : "");
}

/* Writes "parent[i]" into out (n bytes, truncated); no overlap. */
void
anx_json_path_index(char *out, size_t n, const char *parent, size_t i)
{
	if (n == 0)
		return;
	snprintf(out, n, "%s[%zu]", parent ? parent : "", i);
}

/*
 * Length of the well-formed UTF-8 sequence at s (at most n bytes), or 0
 * if there is none. Follows Unicode 15 Table 3-7: no overlong forms, no
 * surrogates (U+D800..U+DFFF), nothing above U+10FFFF. NUL counts as a
 * valid one-byte sequence here; callers decide about it.
 */
static size_t
utf8_seq(const unsigned char *s, size_t n)
{
	unsigned char c, lo = 0x80, hi = 0xbf;
	size_t len, i;

	if (n == 0)
		return 0;
	c = s[0];
	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		len = 2;
	else if (c >= 0xe0 && c <= 0xef) {
		len = 3;
		if (c == 0xe0)
			lo = 0xa0; /* overlong below U+0800 */
		else if (c == 0xed)
			hi = 0x9f; /* surrogates */
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4;
		if (c == 0xf0)
			lo = 0x90; /* overlong below U+10000 */
		else if (c == 0xf4)
			hi = 0x8f; /* above U+10FFFF */
	} else
		return 0; /* continuation byte, C0, C1, F5..FF */
	if (n < len)
		return 0;
	if (s[1] < lo || s[1] > hi)
		return 0;
	for (i = 2; i < len; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return len;
}

/*
 * 1 if s[0..n) is well-formed UTF-8 (see utf8_seq()) with no NUL byte,
 * else 0. s may be NULL when n is 0.
 */
int
anx_utf8_valid(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, len;

	while (i < n) {
		if (p[i] == 0)
			return 0;
		if ((len = utf8_seq(p + i, n - i)) == 0)
			return 0;
		i += len;
	}
	return 1;
}

/* Number of code points in well-formed UTF-8 s[0..n): non-continuation
 * bytes. */
static size_t
utf8_count(const char *s, size_t n)
{
	size_t i, k = 0;

	for (i = 0; i < n; i++)
		if (((unsigned char)s[i] & 0xc0) != 0x80)
			k++;
	return k;
}

/* Value of the 4 hex digits at s, or -1. */
static long
hex4(const unsigned char *s)
{
	long v = 0;
	int i;

	for (i = 0; i < 4; i++) {
		unsigned char c = s[i];

		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= c - '0';
		else if (c >= 'a' && c <= 'f')
			v |= c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			v |= c - 'A' + 10;
		else
			return -1;
	}
	return v;
}

/*
 * Lexes the string token starting at s[*i] == '"' (RFC 8259 §7) and
 * leaves *i after its closing quote. Rejects raw control characters,
 * unknown escapes, \u0000, unpaired surrogate escapes and ill-formed
 * UTF-8. Returns 0, or -1 with one error added to e.
 */
static int
scan_string(const unsigned char *s, size_t n, size_t *i, struct anx_verrs *e)
{
	size_t p = *i + 1, len;
	long cp, lo;

	while (p < n) {
		unsigned char c = s[p];

		if (c == '"') {
			*i = p + 1;
			return 0;
		}
		if (c < 0x20)
			goto bad;
		if (c >= 0x80) {
			if ((len = utf8_seq(s + p, n - p)) == 0) {
				anx_verrs_add(e, "", "invalid UTF-8 at byte %zu", p);
				return -1;
			}
			p += len;
			continue;
		}
		if (c != '\\') {
			p++;
			continue;
		}
		if (p + 1 >= n)
			goto bad;
		if (strchr("\"\\/bfnrt", s[p + 1]) != NULL && s[p + 1] != '\0') {
			p += 2;
			continue;
		}
		if (s[p + 1] != 'u' || n - p < 6 || (cp = hex4(s + p + 2)) == -1)
			goto bad;
		if (cp == 0) {
			anx_verrs_add(e, "", "string contains NUL (\\u0000) at byte %zu", p);
			return -1;
		}
		if (cp >= 0xdc00 && cp <= 0xdfff)
			goto surrogate;
		if (cp >= 0xd800 && cp <= 0xdbff) {
			if (n - p < 12 || s[p + 6] != '\\' || s[p + 7] != 'u' ||
				(lo = hex4(s + p + 8)) < 0xdc00 || lo > 0xdfff)
				goto surrogate;
			p += 12;
			continue;
		}
		p += 6;
	}
	/* Unterminated string: the error is at the end of input. */
bad:
	anx_verrs_add(e, "", "invalid JSON at byte %zu", p);
	return -1;
surrogate:
	anx_verrs_add(e, "", "invalid UTF-8 at byte %zu (unpaired surrogate escape)", p);
	return -1;
}

/*
 * 1 if the ndig decimal digits at d (no leading zeros), negated when neg,
 * fit in int64_t: at most 19 digits, and at 19 no more than
 * 9223372036854775807 (or ...808 when negative).
 */
static int
int64_fits(const unsigned char *d, size_t ndig, int neg)
{
	const char *lim = neg ? "9223372036854775808" : "9223372036854775807";

	if (ndig != 19)
		return ndig < 19;
	return memcmp(d, lim, 19) <= 0;
}

/*
 * Lexes the number token at s[*i] (RFC 8259 §6:
 * -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?) and leaves *i after it.
 * The next byte must not continue a number ("01", "1.", "1e" fail). An
 * integer without fraction or exponent must fit in int64, because json-c
 * would clamp it silently. Returns 0, or -1 with one error added.
 */
static int
scan_number(const unsigned char *s, size_t n, size_t *i, struct anx_verrs *e)
{
	size_t p = *i, start, ndig;
	int neg = 0, isint = 1;

	if (s[p] == '-') {
		neg = 1;
		p++;
	}
	start = p;
	if (p < n && s[p] == '0')
		p++;
	else if (p < n && s[p] >= '1' && s[p] <= '9')
		while (p < n && s[p] >= '0' && s[p] <= '9')
			p++;
	else
		goto bad;
	ndig = p - start;
	if (p < n && s[p] == '.') {
		isint = 0;
		if (++p >= n || s[p] < '0' || s[p] > '9')
			goto bad;
		while (p < n && s[p] >= '0' && s[p] <= '9')
			p++;
	}
	if (p < n && (s[p] == 'e' || s[p] == 'E')) {
		isint = 0;
		if (++p < n && (s[p] == '+' || s[p] == '-'))
			p++;
		if (p >= n || s[p] < '0' || s[p] > '9')
			goto bad;
		while (p < n && s[p] >= '0' && s[p] <= '9')
			p++;
	}
	if (p < n && strchr("0123456789.eE+-", s[p]) != NULL && s[p] != '\0')
		goto bad;
	if (isint && !int64_fits(s + start, ndig, neg)) {
		anx_verrs_add(e, "", "number out of range at byte %zu", *i);
		return -1;
	}
	*i = p;
	return 0;
bad:
	anx_verrs_add(e, "", "invalid JSON at byte %zu", p);
	return -1;
}

/*
 * Pass 1: lexes text[0..n) (see the file comment). On success stores in
 * *nkeys how many object keys the text holds and returns 0; otherwise
 * adds one error to e and returns -1.
 */
static int
scan(const char *text, size_t n, int max_depth, size_t *nkeys, struct anx_verrs *e)
{
	const unsigned char *s = (const unsigned char *)text;
	size_t i = 0, tokens = 0, keys = 0, j;
	int depth = 0;

	while (i < n) {
		switch (s[i]) {
		case ' ':
		case '\t':
		case '\n':
		case '\r': i++; continue;
		case '[':
		case '{':
			if (++depth > max_depth) {
				anx_verrs_add(e, "", "nesting deeper than %d", max_depth);
				return -1;
			}
			i++;
			break;
		case ']':
		case '}':
			if (depth-- == 0)
				goto bad;
			i++;
			break;
		case ',':
		case ':': i++; break;
		case '"':
			if (scan_string(s, n, &i, e) == -1)
				return -1;
			for (j = i; j < n && strchr(" \t\n\r", s[j]) != NULL && s[j] != '\0'; j++)
				continue;
			if (j < n && s[j] == ':')
				keys++;
			break;
		case '-':
		case '0':
		case '1':
		case '2':
		case '3':
		case '4':
		case '5':
		case '6':
		case '7':
		case '8':
		case '9':
			if (scan_number(s, n, &i, e) == -1)
				return -1;
			break;
		case 't':
			if (n - i < 4 || memcmp(s + i, "true", 4) != 0)
				goto bad;
			i += 4;
			break;
		case 'f':
			if (n - i < 5 || memcmp(s + i, "false", 5) != 0)
				goto bad;
			i += 5;
			break;
		case 'n':
			if (n - i < 4 || memcmp(s + i, "null", 4) != 0)
				goto bad;
			i += 4;
			break;
		default: goto bad;
		}
		tokens++;
	}
	if (tokens == 0) {
		anx_verrs_add(e, "", "invalid JSON at byte %zu (empty document)", n);
		return -1;
	}
	*nkeys = keys;
	return 0;
bad:
	if (s[i] >= 0x80 && utf8_seq(s + i, n - i) == 0)
		anx_verrs_add(e, "", "invalid UTF-8 at byte %zu", i);
	else
		anx_verrs_add(e, "", "invalid JSON at byte %zu", i);
	return -1;
}

/* Renders the walk position p as an API path into out (n bytes). */
static void
wpath_render(const struct wpath *p, char *out, size_t n)
{
	size_t len;

	if (p->up == NULL) {
		out[0] = '\0';
		return;
	}
	wpath_render(p->up, out, n);
	len = strlen(out);
	if (len + 1 >= n)
		return;
	if (p->is_index)
		snprintf(out + len, n - len, "[%zu]", p->idx);
	else if (len == 0)
		snprintf(out + len, n - len, "%s", p->key);
	else
		snprintf(out + len, n - len, ".%s", p->key);
}

/* Adds an error at the walk position p. */
static void
walk_err(struct walk *w, const struct wpath *p, const char *problem)
{
	char path[ANX_VERR_PATH];

	wpath_render(p, path, sizeof(path));
	anx_verrs_add(w->e, path, "%s", problem);
}

/* Counts one member/element against max_members; -1 with an error. */
static int
walk_count(struct walk *w)
{
	if (++w->members > w->lim->max_members) {
		anx_verrs_add(w->e, "", "more than %zu members and elements", w->lim->max_members);
		return -1;
	}
	return 0;
}

/*
 * Pass 3: checks v at position at and nesting depth (containers only,
 * root = 1) against the limits. Recursion is bounded by max_depth, which
 * the lexer already enforced. Returns 0, or -1 with one error added.
 */
static int
walk(json_object *v, const struct wpath *at, int depth, struct walk *w)
{
	char msg[64];
	size_t len, i;

	switch (json_object_get_type(v)) {
	case json_type_string:
		len = (size_t)json_object_get_string_len(v);
		if (len > w->lim->max_string) {
			snprintf(msg, sizeof(msg), "string longer than %zu bytes",
				w->lim->max_string);
			walk_err(w, at, msg);
			return -1;
		}
		if (memchr(json_object_get_string(v), '\0', len) != NULL) {
			walk_err(w, at, "string contains NUL (\\u0000)");
			return -1;
		}
		return 0;
	case json_type_double:
		if (!isfinite(json_object_get_double(v))) {
			walk_err(w, at, "number out of range");
			return -1;
		}
		return 0;
	case json_type_object:
	case json_type_array:
		if (depth + 1 > w->lim->max_depth) {
			anx_verrs_add(w->e, "", "nesting deeper than %d", w->lim->max_depth);
			return -1;
		}
		break;
	default: return 0;
	}

	if (json_object_is_type(v, json_type_array)) {
		len = json_object_array_length(v);
		for (i = 0; i < len; i++) {
			struct wpath sub = { at, NULL, i, 1 };

			if (walk_count(w) == -1 ||
				walk(json_object_array_get_idx(v, i), &sub, depth + 1, w) == -1)
				return -1;
		}
		return 0;
	}
	json_object_object_foreach(v, key, val)
	{
		struct wpath sub = { at, key, 0, 0 };

		if (walk_count(w) == -1)
			return -1;
		w->keys++;
		if (strlen(key) > w->lim->max_string) {
			snprintf(msg, sizeof(msg), "string longer than %zu bytes",
				w->lim->max_string);
			walk_err(w, &sub, msg);
			return -1;
		}
		if (walk(val, &sub, depth + 1, w) == -1)
			return -1;
	}
	return 0;
}

/*
 * Parses text[0..n) under lim (anx_json_default_limits if NULL); see the
 * file comment for the passes and json.h for the contract. Byte offsets
 * in messages count from 0. On ANX_OK *out is a new reference the caller
 * must json_object_put() (NULL for the document "null", as json-c
 * represents JSON null); on any error *out is NULL and, except for
 * ANX_ERR_INTERNAL (lim->max_depth outside 1..1024) and ANX_ERR_NOMEM,
 * one error was added to e (which may be NULL).
 */
enum anx_err
anx_json_parse(const char *text, size_t n, const struct anx_json_limits *lim, json_object **out,
	struct anx_verrs *e)
{
	struct json_tokener *tok = NULL;
	enum json_tokener_error jerr;
	json_object *root = NULL;
	struct walk w;
	struct wpath top = { NULL, NULL, 0, 0 };
	enum anx_err rc = ANX_ERR_INVALID;
	size_t nkeys = 0, end;

	*out = NULL;
	if (lim == NULL)
		lim = &anx_json_default_limits;
	if (lim->max_depth < 1 || lim->max_depth > JSON_DEPTH_CAP) {
		rc = ANX_ERR_INTERNAL;
		goto out;
	}
	if (n > lim->max_bytes || n > INT_MAX) {
		anx_verrs_add(e, "", "document larger than %zu bytes", lim->max_bytes);
		rc = ANX_ERR_TOO_LARGE;
		goto out;
	}
	if (text == NULL && n != 0) {
		anx_verrs_add(e, "", "invalid JSON at byte 0");
		goto out;
	}
	if (text == NULL)
		text = "";

	if (scan(text, n, lim->max_depth, &nkeys, e) == -1)
		goto out;

	/* One more level than max_depth: json-c also counts scalar leaves. */
	if ((tok = json_tokener_new_ex(lim->max_depth + 1)) == NULL) {
		rc = ANX_ERR_NOMEM;
		goto out;
	}
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	root = json_tokener_parse_ex(tok, text, (int)n);
	jerr = json_tokener_get_error(tok);
	end = json_tokener_get_parse_end(tok);
	if (root == NULL && jerr == json_tokener_continue) {
		/* A bare number or literal ends only at a NUL terminator. */
		root = json_tokener_parse_ex(tok, "", 1);
		jerr = json_tokener_get_error(tok);
		end = n;
	}
	/* JSON null parses to a NULL object, so only jerr tells success. */
	if (jerr != json_tokener_success) {
		if (jerr == json_tokener_error_depth)
			anx_verrs_add(e, "", "nesting deeper than %d", lim->max_depth);
		else
			anx_verrs_add(e, "", "invalid JSON at byte %zu", end < n ? end : n);
		goto out;
	}
	for (; end < n; end++)
		if (strchr(" \t\n\r", text[end]) == NULL || text[end] == '\0') {
			anx_verrs_add(e, "", "invalid JSON at byte %zu", end);
			goto out;
		}

	memset(&w, 0, sizeof(w));
	w.lim = lim;
	w.e = e;
	if (walk(root, &top, 0, &w) == -1)
		goto out;
	if (w.keys != nkeys) {
		anx_verrs_add(e, "", "duplicate object key");
		goto out;
	}
	*out = root;
	root = NULL;
	rc = ANX_OK;
out:
	json_object_put(root);
	if (tok != NULL)
		json_tokener_free(tok);
	return rc;
}

/* The field named key in fields[0..n), or NULL. */
static const struct anx_field *
field_find(const struct anx_field *fields, size_t n, const char *key)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(fields[i].name, key) == 0)
			return &fields[i];
	return NULL;
}

/*
 * Checks one present value v against field f: type, then length bounds
 * (strings in Unicode code points, so "é" is one character as a user
 * counts it; arrays in elements), then f->check. Returns NULL if fine,
 * or the problem, possibly formatted into msg (msglen bytes).
 */
static const char *
field_problem(const struct anx_field *f, json_object *v, char *msg, size_t msglen)
{
	enum json_type t = json_object_get_type(v);
	const char *unit = NULL, *p;
	size_t len = 0;

	switch (f->type) {
	case ANX_FT_STRING:
		if (t != json_type_string)
			return "must be a string";
		len = utf8_count(json_object_get_string(v), (size_t)json_object_get_string_len(v));
		unit = "character";
		break;
	case ANX_FT_NUMBER:
		if (t == json_type_double && isfinite(json_object_get_double(v)))
			break;
		if (t != json_type_int)
			return "must be a number";
		break;
	case ANX_FT_INT:
		if (t != json_type_int)
			return "must be an integer";
		/* Only objects built in code can hold a uint64 above INT64_MAX. */
		if (json_object_get_int64(v) == INT64_MAX &&
			json_object_get_uint64(v) > (uint64_t)INT64_MAX)
			return "is out of range";
		break;
	case ANX_FT_BOOL:
		if (t != json_type_boolean)
			return "must be a boolean";
		break;
	case ANX_FT_OBJECT:
		if (t != json_type_object)
			return "must be an object";
		break;
	case ANX_FT_ARRAY:
		if (t != json_type_array)
			return "must be an array";
		len = json_object_array_length(v);
		unit = "item";
		break;
	case ANX_FT_ANY: break;
	}
	if (unit != NULL && f->max_len != 0 && len > f->max_len) {
		snprintf(msg, msglen, "must %s at most %zu %s%s",
			f->type == ANX_FT_ARRAY ? "have" : "be", f->max_len, unit,
			f->max_len == 1 ? "" : "s");
		return msg;
	}
	if (unit != NULL && len < f->min_len) {
		snprintf(msg, msglen, "must %s at least %zu %s%s",
			f->type == ANX_FT_ARRAY ? "have" : "be", f->min_len, unit,
			f->min_len == 1 ? "" : "s");
		return msg;
	}
	if (f->check != NULL && (p = f->check(v)) != NULL)
		return p;
	return NULL;
}

/*
 * Validates obj at path ("" or NULL for the root) against fields[0..
 * nfields): every key must be declared ("unknown field"), every required
 * field present ("is required"), every present field of its type and
 * within its bounds. JSON null counts as absent for nullable fields and
 * as a wrong type otherwise (ANX_FT_ANY accepts it). Errors are added to
 * e in document order for unknown keys, then table order. Returns the
 * number of problems found (including any e had to drop).
 */
size_t
anx_json_validate(json_object *obj, const char *path, const struct anx_field *fields,
	size_t nfields, struct anx_verrs *e)
{
	char sub[ANX_VERR_PATH], msg[ANX_VERR_PROBLEM];
	const char *problem;
	json_object *v;
	size_t i, nerr = 0;

	if (path == NULL)
		path = "";
	if (!json_object_is_type(obj, json_type_object)) {
		anx_verrs_add(e, path, "must be an object");
		return 1;
	}
	json_object_object_foreach(obj, key, val)
	{
		(void)val;
		if (field_find(fields, nfields, key) == NULL) {
			anx_json_path_key(sub, sizeof(sub), path, key);
			anx_verrs_add(e, sub, "unknown field");
			nerr++;
		}
	}
	for (i = 0; i < nfields; i++) {
		const struct anx_field *f = &fields[i];
		int have = json_object_object_get_ex(obj, f->name, &v);

		anx_json_path_key(sub, sizeof(sub), path, f->name);
		if (have && v == NULL && f->nullable)
			have = 0;
		if (!have) {
			if (f->required) {
				anx_verrs_add(e, sub, "is required");
				nerr++;
			}
			continue;
		}
		if ((problem = field_problem(f, v, msg, sizeof(msg))) != NULL) {
			anx_verrs_add(e, sub, "%s", problem);
			nerr++;
		}
	}
	return nerr;
}

/*
 * Serialises obj compactly without escaping '/' (json-c's PLAIN |
 * NOSLASHESCAPE) into a new NUL-terminated malloc'd string the caller
 * frees; its length goes to *len if len is not NULL. NULL on OOM.
 */
char *
anx_json_dump(json_object *obj, size_t *len)
{
	const char *s;
	size_t n = 0;
	char *copy;

	s = json_object_to_json_string_length(
		obj, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &n);
	if (s == NULL)
		return NULL;
	if ((copy = strndup(s, n)) == NULL)
		return NULL;
	if (len != NULL)
		*len = n;
	return copy;
}

/* The string member key of obj, or NULL if absent or not a string. The
 * pointer lives as long as obj. */
const char *
anx_json_get_str(json_object *obj, const char *key)
{
	json_object *v;

	if (!json_object_is_type(obj, json_type_object) ||
		!json_object_object_get_ex(obj, key, &v) ||
		!json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

/* The boolean member key of obj as 0/1, or def if absent or not a bool. */
int
anx_json_get_bool(json_object *obj, const char *key, int def)
{
	json_object *v;

	if (!json_object_is_type(obj, json_type_object) ||
		!json_object_object_get_ex(obj, key, &v) ||
		!json_object_is_type(v, json_type_boolean))
		return def;
	return json_object_get_boolean(v) ? 1 : 0;
}

size_t
anx_utf8_chars(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			n++;
	return n;
}
