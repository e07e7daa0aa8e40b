/*
 * parse.c - strict, bounded parsers for what arrives in a request; see
 * parse.h.
 *
 *  - application/x-www-form-urlencoded (WHATWG URL Standard §5.1), used for
 *    query strings and form bodies, modelled on kcgi's parse_pairs_urlenc()
 *    and urldecode() but stricter: an invalid percent escape is an error,
 *    not a literal '%';
 *  - Cookie headers (RFC 6265 §4.2.1 grammar, parsed as tolerantly as
 *    browsers produce them, §5.4);
 *  - media types (RFC 9110 §8.3.1);
 *  - JSON bodies (over anx_json_parse()).
 *
 * Every decoded string is NUL-terminated, valid UTF-8 without NUL, bounded
 * by ANX_MAX_KEY / ANX_MAX_VALUE, and lives in the caller's arena. Inputs
 * are never modified and, where a length is given, never read past it.
 */
#include "parse.h"

#include <string.h>
#include <strings.h>

/* A byte range inside some input; not NUL-terminated. */
struct span {
	const char *p;
	size_t n;
};

/* 1 for the whitespace that may surround cookie pairs and media type
 * parameters (SP and HTAB: RFC 9110 §5.6.3 OWS, RFC 6265 §5.2 WSP). */
static int
is_ows(char c)
{
	return c == ' ' || c == '\t';
}

/* The value of hex digit c, or -1. */
static int
hexval(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * Takes the next sep-separated piece of [*cur, end) into *piece and moves
 * *cur past the separator. Returns 0 once the input is used up. Pieces may
 * be empty.
 */
static int
next_piece(const char **cur, const char *end, char sep, struct span *piece)
{
	const char *s;

	if (*cur == NULL || *cur > end)
		return 0;
	piece->p = *cur;
	if ((s = memchr(*cur, sep, (size_t)(end - *cur))) == NULL) {
		piece->n = (size_t)(end - *cur);
		*cur = NULL;
	} else {
		piece->n = (size_t)(s - *cur);
		*cur = s + 1;
	}
	return 1;
}

/*
 * Decodes one urlencoded name or value (WHATWG "percent-decode" after
 * replacing '+' by space) from in into a new NUL-terminated arena string.
 * Strict: '%' must be followed by two hex digits. The result must be at
 * most max bytes, valid UTF-8 and free of NUL (raw or %00).
 * Returns ANX_OK and sets *out and *outlen, ANX_ERR_INVALID, or ANX_ERR_NOMEM.
 * *out lives as long as the arena.
 */
static enum anx_err
urldecode(struct anx_arena *a, struct span in, size_t max, const char **out, size_t *outlen)
{
	const unsigned char *s = (const unsigned char *)in.p;
	enum anx_err rc = ANX_ERR_INVALID;
	char *buf;
	size_t i, j;
	int hi, lo;

	*out = NULL;
	*outlen = 0;

	/* Every decoded byte takes at most 3 input bytes: reject early
	 * rather than allocate for something that cannot fit. */
	if (in.n / 3 > max)
		goto out;
	if ((buf = anx_arena_alloc(a, in.n + 1)) == NULL) {
		rc = ANX_ERR_NOMEM;
		goto out;
	}
	for (i = j = 0; i < in.n; i++, j++) {
		if (s[i] == '+') {
			buf[j] = ' ';
		} else if (s[i] == '%') {
			if (in.n - i < 3 || (hi = hexval(s[i + 1])) < 0 ||
				(lo = hexval(s[i + 2])) < 0)
				goto out;
			buf[j] = (char)(hi << 4 | lo);
			i += 2;
		} else {
			buf[j] = (char)s[i];
		}
	}
	buf[j] = '\0';
	/* anx_utf8_valid() also rejects NUL bytes. */
	if (j > max || !anx_utf8_valid(buf, j))
		goto out;
	*out = buf;
	*outlen = j;
	rc = ANX_OK;
out:
	return rc;
}

/*
 * Parses s[0..n) as application/x-www-form-urlencoded (WHATWG URL §5.1):
 * pieces split on '&', empty pieces skipped, the first '=' splits name
 * from value (no '=': value ""), '+' is a space, %XX a byte. Names may be
 * empty ("=x") and may repeat; all pairs are kept in input order.
 * s need not be NUL-terminated; s may be NULL when n is 0.
 *
 * Returns ANX_OK with out filled (items and strings in a, for the arena's
 * lifetime), ANX_ERR_INVALID on a bad escape, invalid UTF-8, NUL, more than
 * ANX_MAX_KV pairs, a name over ANX_MAX_KEY or a value over ANX_MAX_VALUE
 * decoded bytes, or ANX_ERR_NOMEM. On error out is empty.
 */
enum anx_err
anx_parse_urlencoded(struct anx_arena *a, const char *s, size_t n, struct anx_kvlist *out)
{
	enum anx_err rc = ANX_OK;
	struct anx_kv *items = NULL;
	struct span piece, key, val;
	const char *cur, *end, *eq;
	size_t count = 0, i = 0, klen;

	out->items = NULL;
	out->n = 0;
	if (n == 0)
		goto out;
	if (s == NULL) {
		rc = ANX_ERR_INVALID;
		goto out;
	}
	end = s + n;

	/* Pass 1: count the pairs so the limit holds before allocating. */
	for (cur = s; next_piece(&cur, end, '&', &piece);)
		if (piece.n > 0 && ++count > ANX_MAX_KV) {
			rc = ANX_ERR_INVALID;
			goto out;
		}
	if (count == 0)
		goto out;
	if ((items = anx_arena_calloc(a, count, sizeof(*items))) == NULL) {
		rc = ANX_ERR_NOMEM;
		goto out;
	}

	/* Pass 2: decode. */
	for (cur = s; next_piece(&cur, end, '&', &piece);) {
		if (piece.n == 0)
			continue;
		key = piece;
		val.p = piece.p + piece.n;
		val.n = 0;
		if ((eq = memchr(piece.p, '=', piece.n)) != NULL) {
			key.n = (size_t)(eq - piece.p);
			val.p = eq + 1;
			val.n = piece.n - key.n - 1;
		}
		if ((rc = urldecode(a, key, ANX_MAX_KEY, &items[i].key, &klen)) != ANX_OK)
			goto out;
		if ((rc = urldecode(a, val, ANX_MAX_VALUE, &items[i].val, &items[i].vlen)) !=
			ANX_OK)
			goto out;
		i++;
	}
	out->items = items;
	out->n = i;
out:
	return rc;
}

/*
 * Takes the next well-formed cookie-pair from the Cookie header at *cur
 * (RFC 6265 §4.2.1: cookie-pair *( ";" SP cookie-pair )), advancing *cur.
 * Tolerant as browsers are: the SP after ';' may be missing or repeated,
 * surrounding SP/HTAB is trimmed, and pieces without '=' or with an empty
 * name are skipped. A value in DQUOTEs loses them (cookie-value =
 * DQUOTE *cookie-octet DQUOTE). Nothing is decoded.
 * Returns 1 with *name and *val pointing into the header, 0 at the end.
 */
static int
cookie_next(const char **cur, const char *end, struct span *name, struct span *val)
{
	struct span piece;
	const char *eq;

	while (next_piece(cur, end, ';', &piece)) {
		if ((eq = memchr(piece.p, '=', piece.n)) == NULL)
			continue;
		name->p = piece.p;
		name->n = (size_t)(eq - piece.p);
		val->p = eq + 1;
		val->n = piece.n - name->n - 1;
		while (name->n > 0 && is_ows(name->p[0])) {
			name->p++;
			name->n--;
		}
		while (name->n > 0 && is_ows(name->p[name->n - 1]))
			name->n--;
		if (name->n == 0)
			continue;
		while (val->n > 0 && is_ows(val->p[0])) {
			val->p++;
			val->n--;
		}
		while (val->n > 0 && is_ows(val->p[val->n - 1]))
			val->n--;
		if (val->n >= 2 && val->p[0] == '"' && val->p[val->n - 1] == '"') {
			val->p++;
			val->n -= 2;
		}
		return 1;
	}
	return 0;
}

/*
 * Parses a Cookie header (NULL: no cookies) into out, see cookie_next()
 * for the syntax. Repeated names are all kept in order (browsers send the
 * most specific path first, so anx_kv_get() finds that one).
 *
 * Returns ANX_OK with out filled (in a, for the arena's lifetime), or
 * ANX_ERR_INVALID when there are more than ANX_MAX_KV pairs, a name is
 * over ANX_MAX_KEY or a value over ANX_MAX_VALUE bytes, or a name or value
 * is not valid UTF-8; ANX_ERR_NOMEM. On error out is empty.
 */
enum anx_err
anx_parse_cookies(struct anx_arena *a, const char *header, struct anx_kvlist *out)
{
	enum anx_err rc = ANX_OK;
	struct anx_kv *items = NULL;
	struct span name, val;
	const char *cur, *end;
	size_t count = 0, i = 0;

	out->items = NULL;
	out->n = 0;
	if (header == NULL)
		goto out;
	end = header + strlen(header);

	/*
	 * Pass 1: count and check every pair before allocating. A pair that
	 * is not valid UTF-8 is skipped, as browsers skip malformed pairs: a
	 * stray cookie set by another site on the domain must not make every
	 * request fail. Limits are still errors.
	 */
	for (cur = header; cookie_next(&cur, end, &name, &val);) {
		if (!anx_utf8_valid(name.p, name.n) || !anx_utf8_valid(val.p, val.n))
			continue;
		if (++count > ANX_MAX_KV || name.n > ANX_MAX_KEY || val.n > ANX_MAX_VALUE) {
			rc = ANX_ERR_INVALID;
			goto out;
		}
	}
	if (count == 0)
		goto out;
	if ((items = anx_arena_calloc(a, count, sizeof(*items))) == NULL) {
		rc = ANX_ERR_NOMEM;
		goto out;
	}

	/* Pass 2: copy. */
	for (cur = header; i < count && cookie_next(&cur, end, &name, &val);) {
		if (!anx_utf8_valid(name.p, name.n) || !anx_utf8_valid(val.p, val.n))
			continue; /* skipped in pass 1 too */
		items[i].key = anx_arena_strndup(a, name.p, name.n);
		items[i].val = anx_arena_strndup(a, val.p, val.n);
		items[i].vlen = val.n;
		if (items[i].key == NULL || items[i].val == NULL) {
			rc = ANX_ERR_NOMEM;
			goto out;
		}
		i++;
	}
	out->items = items;
	out->n = i;
out:
	return rc;
}

/*
 * The value of the first pair named key in l (exact, case-sensitive), or
 * NULL. The pointer lives as long as l's arena.
 */
const char *
anx_kv_get(const struct anx_kvlist *l, const char *key)
{
	size_t i;

	if (l == NULL || key == NULL)
		return NULL;
	for (i = 0; i < l->n; i++)
		if (strcmp(l->items[i].key, key) == 0)
			return l->items[i].val;
	return NULL;
}

/*
 * Reads one media type parameter value at *pp (RFC 9110 §5.6.6: token or
 * quoted-string) into *v, advancing *pp. A quoted-string containing a
 * quoted-pair ('\') is returned raw with *escaped set, so callers that
 * compare it treat it as a mismatch. Returns 0 if malformed (empty,
 * unterminated quote).
 */
static int
param_value(const char **pp, struct span *v, int *escaped)
{
	const char *p = *pp;

	*escaped = 0;
	if (*p == '"') {
		v->p = ++p;
		for (; *p != '"'; p++) {
			if (*p == '\0')
				return 0;
			if (*p == '\\') {
				*escaped = 1;
				if (*++p == '\0')
					return 0;
			}
		}
		v->n = (size_t)(p - v->p);
		*pp = p + 1;
		return 1;
	}
	v->p = p;
	v->n = strcspn(p, "; \t\"");
	*pp = p + v->n;
	return v->n > 0;
}

/*
 * 1 if content_type (a Content-Type value, RFC 9110 §8.3) has the media
 * type type (compared case-insensitively, surrounding OWS ignored) and
 * every charset parameter in it is utf-8 (case-insensitive, possibly
 * quoted); 0 otherwise, including for NULL, a longer type
 * ("application/jsonx") or a malformed parameter list. Other parameters
 * are ignored.
 */
int
anx_media_type_is(const char *content_type, const char *type)
{
	const char *p = content_type;
	struct span name, val;
	size_t tlen;
	int escaped;

	if (p == NULL || type == NULL || (tlen = strlen(type)) == 0)
		return 0;
	while (is_ows(*p))
		p++;
	if (strncasecmp(p, type, tlen) != 0)
		return 0;
	p += tlen;
	while (is_ows(*p))
		p++;

	/* parameters = *( OWS ";" OWS [ parameter ] ) */
	while (*p == ';') {
		p++;
		while (is_ows(*p))
			p++;
		if (*p == ';' || *p == '\0')
			continue;
		/* parameter = parameter-name "=" parameter-value, no OWS
		 * around '='. */
		name.p = p;
		name.n = strcspn(p, "=; \t\"");
		if (name.n == 0 || p[name.n] != '=')
			return 0;
		p += name.n + 1;
		if (!param_value(&p, &val, &escaped))
			return 0;
		if (name.n == 7 && strncasecmp(name.p, "charset", 7) == 0 &&
			(escaped || val.n != 5 || strncasecmp(val.p, "utf-8", 5) != 0))
			return 0;
		while (is_ows(*p))
			p++;
		if (*p != ';' && *p != '\0')
			return 0;
	}
	return *p == '\0';
}

/* Arena destructor for a parsed JSON document. */
static void
json_put(void *p)
{
	json_object_put(p);
}

/*
 * Copies e into req's arena and points req->verrs at the copy. Returns 0,
 * or -1 when out of memory (req->verrs is then unchanged).
 */
static int
keep_verrs(struct anx_req *req, const struct anx_verrs *e)
{
	struct anx_verrs *copy;

	if ((copy = anx_arena_alloc(req->arena, sizeof(*copy))) == NULL)
		return -1;
	memcpy(copy, e, sizeof(*copy));
	req->verrs = copy;
	return 0;
}

/*
 * Records one problem at path as req->verrs (in the arena). Out of memory
 * is ignored: the caller is returning an error anyway.
 */
static void
set_verr(struct anx_req *req, const char *path, const char *problem)
{
	struct anx_verrs e;

	anx_verrs_init(&e);
	anx_verrs_add(&e, path, "%s", problem);
	(void)keep_verrs(req, &e);
}

/*
 * Parses req's body as JSON. Requires an application/json Content-Type
 * (charset, if any, utf-8) and a non-empty body; then anx_json_parse()
 * with anx_json_default_limits.
 *
 * Returns ANX_OK with *out the document, owned by req->arena (a deferred
 * json_object_put drops it at reset: callers must not put it, and must
 * json_object_get() anything they keep beyond the request). Otherwise *out
 * is NULL and the error is ANX_ERR_INVALID (wrong media type: path
 * "headers.content-type"; empty body; bad JSON), ANX_ERR_TOO_LARGE or
 * ANX_ERR_NOMEM; req->verrs (in the arena) then holds the details, if any.
 */
enum anx_err
anx_parse_json_body(struct anx_req *req, json_object **out)
{
	struct anx_verrs e;
	json_object *obj = NULL;
	enum anx_err rc;

	*out = NULL;
	anx_verrs_init(&e);
	if (!anx_media_type_is(req->content_type, "application/json")) {
		anx_verrs_add(&e, "headers.content-type", "must be application/json");
		rc = ANX_ERR_INVALID;
		goto out;
	}
	if (req->body == NULL || req->body_len == 0) {
		anx_verrs_add(&e, "", "request body is empty");
		rc = ANX_ERR_INVALID;
		goto out;
	}
	rc = anx_json_parse(req->body, req->body_len, &anx_json_default_limits, &obj, &e);
	if (rc != ANX_OK)
		goto out;
	if (obj == NULL) {
		/* The document `null`: json-c has no object for it, and no
		 * route takes it. */
		anx_verrs_add(&e, "", "must be a JSON object");
		rc = ANX_ERR_VALIDATION;
		goto out;
	}
	/* On failure anx_arena_defer() has already put obj. */
	if (anx_arena_defer(req->arena, json_put, obj) == NULL) {
		rc = ANX_ERR_NOMEM;
		goto out;
	}
	*out = obj;
out:
	if (rc != ANX_OK && (e.n > 0 || e.dropped > 0))
		(void)keep_verrs(req, &e);
	return rc;
}

/*
 * Parses req->query ("" if NULL) as urlencoded pairs, once per request:
 * the list is cached in req->query_cache. Returns ANX_OK with *out owned by
 * req->arena, else (*out NULL) ANX_ERR_INVALID with req->err_message set,
 * or ANX_ERR_NOMEM.
 */
enum anx_err
anx_req_query(struct anx_req *req, const struct anx_kvlist **out)
{
	struct anx_kvlist *l;
	const char *q = req->query != NULL ? req->query : "";
	enum anx_err rc = ANX_OK;

	*out = NULL;
	if (req->query_cache != NULL) {
		*out = req->query_cache;
		goto out;
	}
	if ((l = anx_arena_alloc(req->arena, sizeof(*l))) == NULL) {
		rc = ANX_ERR_NOMEM;
		goto out;
	}
	if ((rc = anx_parse_urlencoded(req->arena, q, strlen(q), l)) != ANX_OK) {
		if (rc == ANX_ERR_INVALID)
			req->err_message = "The query string is malformed";
		goto out;
	}
	*out = req->query_cache = l;
out:
	return rc;
}

/*
 * Parses req's body as an application/x-www-form-urlencoded form (charset,
 * if any, utf-8), once per request: the list is cached in req->form_cache.
 * Returns ANX_OK with *out owned by req->arena; else *out is NULL and the
 * error is ANX_ERR_INVALID (wrong media type: req->verrs names
 * "headers.content-type"; malformed body: req->err_message set) or
 * ANX_ERR_NOMEM.
 */
enum anx_err
anx_req_form(struct anx_req *req, const struct anx_kvlist **out)
{
	struct anx_kvlist *l;
	enum anx_err rc = ANX_OK;

	*out = NULL;
	if (req->form_cache != NULL) {
		*out = req->form_cache;
		goto out;
	}
	if (!anx_media_type_is(req->content_type, "application/x-www-form-urlencoded")) {
		set_verr(req, "headers.content-type", "must be application/x-www-form-urlencoded");
		rc = ANX_ERR_INVALID;
		goto out;
	}
	if ((l = anx_arena_alloc(req->arena, sizeof(*l))) == NULL) {
		rc = ANX_ERR_NOMEM;
		goto out;
	}
	rc = anx_parse_urlencoded(req->arena, req->body, req->body != NULL ? req->body_len : 0, l);
	if (rc != ANX_OK) {
		if (rc == ANX_ERR_INVALID)
			req->err_message = "The form body is malformed";
		goto out;
	}
	*out = req->form_cache = l;
out:
	return rc;
}
