/*
 * jcs.c - RFC 8785 JSON Canonicalization Scheme; see jcs.h.
 *
 * The canonical form (RFC 8785 §3.2): no whitespace; object members
 * sorted by the UTF-16 code units of their names (§3.2.3); strings with
 * only the mandatory escapes (§3.2.2.2); numbers as ECMAScript prints
 * doubles (§3.2.2.3); literals as is.
 */
#include "jcs.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

struct member {
	const char *key;
	json_object *val;
};

/*
 * Decodes the code point at *p (well-formed UTF-8 ending at end, which the
 * caller checked) and advances *p past it.
 */
static uint32_t
utf8_next(const unsigned char **p, const unsigned char *end)
{
	const unsigned char *s = *p;
	uint32_t cp;
	size_t len, i;

	if (s[0] < 0x80) {
		*p = s + 1;
		return s[0];
	}
	if (s[0] < 0xe0) {
		len = 2;
		cp = s[0] & 0x1f;
	} else if (s[0] < 0xf0) {
		len = 3;
		cp = s[0] & 0x0f;
	} else {
		len = 4;
		cp = s[0] & 0x07;
	}
	if ((size_t)(end - s) < len)
		len = (size_t)(end - s); /* not reached for checked input */
	for (i = 1; i < len; i++)
		cp = (cp << 6) | (s[i] & 0x3f);
	*p = s + len;
	return cp;
}

/*
 * The first UTF-16 code unit of cp: cp itself in the BMP, else its high
 * surrogate. Two code points with the same first unit are both
 * supplementary and then order by their low surrogates, i.e. by cp.
 */
static uint32_t
utf16_lead(uint32_t cp)
{
	return cp < 0x10000 ? cp : 0xd800 + ((cp - 0x10000) >> 10);
}

/*
 * qsort() comparator: orders members by the UTF-16 code units of their
 * names (RFC 8785 §3.2.3), which differs from UTF-8 byte order only when
 * U+E000..U+FFFF meets a supplementary character.
 */
static int
member_cmp(const void *va, const void *vb)
{
	const struct member *ma = va, *mb = vb;
	const unsigned char *a = (const unsigned char *)ma->key;
	const unsigned char *b = (const unsigned char *)mb->key;
	const unsigned char *ea = a + strlen(ma->key), *eb = b + strlen(mb->key);

	while (a < ea && b < eb) {
		uint32_t ca = utf8_next(&a, ea), cb = utf8_next(&b, eb);
		uint32_t la = utf16_lead(ca), lb = utf16_lead(cb);

		if (la != lb)
			return la < lb ? -1 : 1;
		if (ca != cb)
			return ca < cb ? -1 : 1;
	}
	if (a < ea)
		return 1;
	if (b < eb)
		return -1;
	return 0;
}

/* 1 if s[0..n) is well-formed UTF-8; unlike anx_utf8_valid(), NUL is
 * allowed (a JSON string may hold U+0000; it is written as \u0000). */
static int
utf8_ok(const char *s, size_t n)
{
	const char *nul;

	while ((nul = memchr(s, '\0', n)) != NULL) {
		if (!anx_utf8_valid(s, (size_t)(nul - s)))
			return 0;
		n -= (size_t)(nul - s) + 1;
		s = nul + 1;
	}
	return anx_utf8_valid(s, n);
}

/*
 * Appends s[0..n) as a JSON string (RFC 8785 §3.2.2.2): '"' and '\' and
 * the controls get \" \\ \b \f \n \r \t or \u00xx in lowercase hex, every
 * other character is copied as UTF-8. That is exactly what
 * anx_buf_json_str() does. Returns 0 or -1 (ill-formed UTF-8, buffer).
 */
static int
put_string(struct anx_buf *out, const char *s, size_t n)
{
	if (!utf8_ok(s, n))
		return -1;
	if (anx_buf_putc(out, '"') == -1 || anx_buf_json_str(out, s, n) == -1 ||
		anx_buf_putc(out, '"') == -1)
		return -1;
	return 0;
}

/*
 * Splits tmp, as printed by "%.*e" ([-]D[.DDD]e(+|-)XX, the point in the
 * locale's form), into its digits (at most 17, NUL-terminated) and its
 * decimal exponent. Returns the digit count.
 */
static int
split_e(const char *tmp, char *digits, int *exp10)
{
	const char *p;
	int k = 0;

	for (p = tmp; *p != '\0' && *p != 'e'; p++)
		if (*p >= '0' && *p <= '9' && k < 17)
			digits[k++] = *p;
	digits[k] = '\0';
	*exp10 = (*p == 'e') ? (int)strtol(p + 1, NULL, 10) : 0;
	return k;
}

/*
 * Adds one unit in the last place to the k digits (and *exp10 when
 * 99..9 carries into 10..0), then returns 1 if the result reads back as
 * d, else 0.
 */
static int
bump_roundtrips(double d, char *digits, int k, int *exp10)
{
	char tmp[48];
	int i;

	for (i = k - 1; i >= 0 && digits[i] == '9'; i--)
		digits[i] = '0';
	if (i >= 0)
		digits[i]++;
	else {
		digits[0] = '1';
		(*exp10)++;
	}
	snprintf(tmp, sizeof(tmp), "%se%d", digits, *exp10 - (k - 1));
	return strtod(tmp, NULL) == d;
}

/*
 * Writes the shortest decimal digits that read back as d (d finite and
 * positive) into digits (at least 18 bytes, NUL-terminated, no trailing
 * zeros) and the decimal exponent of the first digit into *exp10, so
 * d ~= d1.d2d3... * 10^*exp10. Returns the digit count.
 *
 * For 1..17 significant digits it tries the correctly rounded "%.*e"
 * (glibc rounds exactly; 17 digits always round-trip), which is also
 * the closest candidate ECMAScript asks for. When d is a power of two
 * the doubles below are twice as dense as those above, so the closest
 * candidate may fall just below d's rounding interval while the next one
 * up (one unit in the last digit) is inside it: that one is tried too.
 * The candidate one unit down never helps: it is further from d than the
 * rejected one, on the narrow side.
 */
static int
shortest_digits(double d, char *digits, int *exp10)
{
	char tmp[48], up[18];
	double back;
	int prec, k = 0, upexp;

	for (prec = 1; prec <= 17; prec++) {
		snprintf(tmp, sizeof(tmp), "%.*e", prec - 1, d);
		k = split_e(tmp, digits, exp10);
		if ((back = strtod(tmp, NULL)) == d)
			break;
		memcpy(up, digits, (size_t)k + 1);
		upexp = *exp10;
		if (prec < 17 && back < d && bump_roundtrips(d, up, k, &upexp)) {
			memcpy(digits, up, (size_t)k + 1);
			*exp10 = upexp;
			break;
		}
	}
	while (k > 1 && digits[k - 1] == '0')
		k--;
	digits[k] = '\0';
	return k;
}

/*
 * Formats finite d like ECMAScript Number::toString (ECMA-262 §6.1.6.1.20,
 * RFC 8785 §3.2.2.3) into out (ANX_JCS_NUMBER_LEN bytes). With the
 * shortest digits s (k of them) and n = exponent + 1:
 *   k <= n <= 21   -> s then n-k zeros        (1e20 -> "100000000000000000000")
 *   0 < n <= 21    -> s with a point after n  (4.5)
 *   -6 < n <= 0    -> "0." -n zeros then s    (0.000001)
 *   otherwise      -> d[.ddd]e(+|-)(n-1)      (1e+21, 1e-7)
 * -0 prints as "0". Returns the length, or -1 for NaN or infinity.
 */
int
anx_jcs_number(double d, char *out)
{
	char digits[18];
	size_t o = 0;
	int k, n, e, i;

	if (!isfinite(d))
		return -1;
	if (d == 0) {
		memcpy(out, "0", 2);
		return 1;
	}
	if (d < 0) {
		out[o++] = '-';
		d = -d;
	}
	k = shortest_digits(d, digits, &e);
	n = e + 1;
	if (k <= n && n <= 21) {
		memcpy(out + o, digits, (size_t)k);
		o += (size_t)k;
		for (i = k; i < n; i++)
			out[o++] = '0';
	} else if (n > 0 && n < k) {
		/* 0 < n <= 21 with n < k (k <= 17): the point is inside. */
		memcpy(out + o, digits, (size_t)n);
		o += (size_t)n;
		out[o++] = '.';
		memcpy(out + o, digits + n, (size_t)(k - n));
		o += (size_t)(k - n);
	} else if (n > -6 && n <= 0) {
		out[o++] = '0';
		out[o++] = '.';
		for (i = n; i < 0; i++)
			out[o++] = '0';
		memcpy(out + o, digits, (size_t)k);
		o += (size_t)k;
	} else {
		out[o++] = digits[0];
		if (k > 1) {
			out[o++] = '.';
			memcpy(out + o, digits + 1, (size_t)(k - 1));
			o += (size_t)(k - 1);
		}
		o += (size_t)snprintf(out + o, ANX_JCS_NUMBER_LEN - o, "e%c%d",
			n - 1 < 0 ? '-' : '+', n - 1 < 0 ? 1 - n : n - 1);
	}
	out[o] = '\0';
	return (int)o;
}

/*
 * Appends the number v (json-c int or double) in canonical form. Integers
 * go through double like every JCS number (see jcs.h); json-c reports a
 * uint64 above INT64_MAX as INT64_MAX from get_int64, so that case reads
 * the uint64. Returns 0 or -1.
 */
static int
put_number(struct anx_buf *out, json_object *v)
{
	char num[ANX_JCS_NUMBER_LEN];
	double d;
	int64_t i;
	int len;

	if (json_object_is_type(v, json_type_int)) {
		i = json_object_get_int64(v);
		if (i == INT64_MAX)
			d = (double)json_object_get_uint64(v);
		else
			d = (double)i;
	} else
		d = json_object_get_double(v);
	if ((len = anx_jcs_number(d, num)) == -1)
		return -1;
	return anx_buf_add(out, num, (size_t)len);
}

static int serialize(json_object *v, struct anx_buf *out, int depth);

/*
 * Appends object v with its members sorted (RFC 8785 §3.2.3). The member
 * array is a temporary malloc'd copy of json-c's pointers, freed here.
 */
static int
put_object(json_object *v, struct anx_buf *out, int depth)
{
	struct member *m = NULL;
	size_t n, i = 0;
	int rc = -1;

	n = (size_t)json_object_object_length(v);
	if (n != 0 && (m = calloc(n, sizeof(*m))) == NULL)
		goto out;
	json_object_object_foreach(v, key, val)
	{
		if (i == n)
			goto out;
		m[i].key = key;
		m[i].val = val;
		i++;
	}
	for (i = 0; i < n; i++)
		if (!utf8_ok(m[i].key, strlen(m[i].key)))
			goto out;
	if (n > 1)
		qsort(m, n, sizeof(*m), member_cmp);
	if (anx_buf_putc(out, '{') == -1)
		goto out;
	for (i = 0; i < n; i++) {
		if (i > 0 && anx_buf_putc(out, ',') == -1)
			goto out;
		if (put_string(out, m[i].key, strlen(m[i].key)) == -1 ||
			anx_buf_putc(out, ':') == -1 || serialize(m[i].val, out, depth) == -1)
			goto out;
	}
	if (anx_buf_putc(out, '}') == -1)
		goto out;
	rc = 0;
out:
	free(m);
	return rc;
}

/*
 * Appends v at container depth depth (its parent's; root's is 0).
 * Returns 0 or -1.
 */
static int
serialize(json_object *v, struct anx_buf *out, int depth)
{
	size_t i, n;

	switch (json_object_get_type(v)) {
	case json_type_null: return anx_buf_puts(out, "null");
	case json_type_boolean:
		return anx_buf_puts(out, json_object_get_boolean(v) ? "true" : "false");
	case json_type_int:
	case json_type_double: return put_number(out, v);
	case json_type_string:
		return put_string(
			out, json_object_get_string(v), (size_t)json_object_get_string_len(v));
	case json_type_object:
		if (depth + 1 > ANX_JCS_MAX_DEPTH)
			return -1;
		return put_object(v, out, depth + 1);
	case json_type_array:
		if (depth + 1 > ANX_JCS_MAX_DEPTH)
			return -1;
		if (anx_buf_putc(out, '[') == -1)
			return -1;
		n = json_object_array_length(v);
		for (i = 0; i < n; i++) {
			if (i > 0 && anx_buf_putc(out, ',') == -1)
				return -1;
			if (serialize(json_object_array_get_idx(v, i), out, depth + 1) == -1)
				return -1;
		}
		return anx_buf_putc(out, ']');
	}
	return -1;
}

/* See jcs.h. */
int
anx_jcs_serialize(json_object *v, struct anx_buf *out)
{
	if (out == NULL || anx_buf_failed(out))
		return -1;
	return serialize(v, out, 0);
}
