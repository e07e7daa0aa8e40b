/*
 * crypto.c - GnuTLS helpers: random bytes, SHA-256, HMAC-SHA256, hex and
 * base64 codecs, constant-time comparison, secret zeroing, random tokens;
 * see crypto.h.
 *
 * The codecs handle secrets (session tokens, keys), so hex and base64
 * decode every character with arithmetic masks instead of table lookups
 * or data-dependent branches; only the final accept/reject is a branch.
 * Every function that fails after writing part of a secret output zeroes
 * what it wrote.
 */
#include "crypto.h"

#include <limits.h>
#include <stdint.h>
#include <string.h>

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>

/* Bytes of randomness drawn per gnutls_rnd() call by the token helpers. */
#define RND_CHUNK 64

static const char hexdigits[] = "0123456789abcdef";

static const char b64chars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static const char b62chars[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/*
 * Fills buf with n bytes from GnuTLS's GNUTLS_RND_KEY generator (seeded
 * from the kernel). Returns 0 or -1; on failure buf is zeroed.
 */
int
anx_random(void *buf, size_t n)
{
	if (n == 0)
		return 0;
	if (buf == NULL)
		return -1;
	if (gnutls_rnd(GNUTLS_RND_KEY, buf, n) != 0) {
		anx_secure_zero(buf, n);
		return -1;
	}
	return 0;
}

/*
 * SHA-256 (FIPS 180-4) of data[0..n) into out. data may be NULL when n is
 * 0. Returns 0 or -1.
 */
int
anx_sha256(const void *data, size_t n, unsigned char out[ANX_SHA256_LEN])
{
	if (data == NULL) {
		if (n != 0)
			return -1;
		data = "";
	}
	if (gnutls_hash_fast(GNUTLS_DIG_SHA256, data, n, out) != 0)
		return -1;
	return 0;
}

/*
 * SHA-256 of data[0..n) as 64 lowercase hex characters plus a NUL in out.
 * Returns 0 or -1 (out is then the empty string).
 */
int
anx_sha256_hex(const void *data, size_t n, char out[ANX_SHA256_HEX_LEN + 1])
{
	unsigned char md[ANX_SHA256_LEN];
	int rc = -1;

	out[0] = '\0';
	if (anx_sha256(data, n, md) == -1)
		goto out;
	anx_hex_encode(md, sizeof(md), out);
	rc = 0;
out:
	anx_secure_zero(md, sizeof(md));
	return rc;
}

int
anx_sha256_bytea(const void *data, size_t n, char out[ANX_SHA256_BYTEA_LEN + 1])
{
	out[0] = '\\';
	out[1] = 'x';
	return anx_sha256_hex(data, n, out + 2);
}

/*
 * HMAC-SHA256 (RFC 2104) of data[0..n) under key[0..keylen) into out.
 * key or data may be NULL when their length is 0. Returns 0 or -1.
 */
int
anx_hmac_sha256(const void *key, size_t keylen, const void *data, size_t n,
	unsigned char out[ANX_SHA256_LEN])
{
	if ((key == NULL && keylen != 0) || (data == NULL && n != 0))
		return -1;
	if (key == NULL)
		key = "";
	if (data == NULL)
		data = "";
	if (gnutls_hmac_fast(GNUTLS_MAC_SHA256, key, keylen, data, n, out) != 0)
		return -1;
	return 0;
}

/*
 * Writes in[0..n) as lowercase hex into out, which must hold 2n+1 bytes;
 * out is NUL-terminated. The nibble lookup indexes a 16-byte table that
 * lives in one cache line, so it does not leak through the cache.
 */
void
anx_hex_encode(const unsigned char *in, size_t n, char *out)
{
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = hexdigits[in[i] >> 4];
		out[2 * i + 1] = hexdigits[in[i] & 0x0f];
	}
	out[2 * n] = '\0';
}

/*
 * Returns the value of hex digit c (0-15) or -1, without branching on c:
 * each range test yields an all-ones or all-zero mask.
 */
static int
hex_nibble(unsigned char c)
{
	int x = c;
	int digit = x - '0';
	int lower = (x | 0x20) - 'a' + 10;
	/* (v >> 8) is -1 for negative v in 0..255 arithmetic; masks are 0/-1. */
	int is_digit = ((('0' - 1 - x) & (x - ('9' + 1))) >> 8) & 1;
	int is_alpha = ((('a' - 1 - (x | 0x20)) & ((x | 0x20) - ('f' + 1))) >> 8) & 1;

	return (digit & -is_digit) | (lower & -is_alpha) | ((is_digit | is_alpha) - 1);
}

/*
 * Decodes exactly n hex characters (either case, n even) from in into out
 * (cap bytes). Returns the number of bytes written (n/2) or -1 on an odd
 * length, a non-hex character or too small a cap; on -1 out is zeroed up
 * to what was written.
 */
long
anx_hex_decode(const char *in, size_t n, unsigned char *out, size_t cap)
{
	size_t i, outlen;
	int bad = 0;

	if (n % 2 != 0 || n / 2 > cap || n / 2 > LONG_MAX)
		return -1;
	if (n != 0 && (in == NULL || out == NULL))
		return -1;
	outlen = n / 2;
	for (i = 0; i < outlen; i++) {
		int hi = hex_nibble((unsigned char)in[2 * i]);
		int lo = hex_nibble((unsigned char)in[2 * i + 1]);

		bad |= hi | lo;
		out[i] = (unsigned char)(((hi & 0x0f) << 4) | (lo & 0x0f));
	}
	/* A failed nibble is -1, so bad has its sign bit set. */
	if (bad < 0) {
		anx_secure_zero(out, outlen);
		return -1;
	}
	return (long)outlen;
}

/*
 * Capacity base64 of n bytes needs, NUL included: 4 * ceil(n / 3) + 1.
 * Returns 0 if that does not fit in a size_t (no buffer can be that big).
 */
size_t
anx_base64_encoded_size(size_t n)
{
	size_t groups = n / 3 + (n % 3 != 0);

	if (groups > (SIZE_MAX - 1) / 4)
		return 0;
	return groups * 4 + 1;
}

/*
 * Encodes in[0..n) as standard base64 with '=' padding (RFC 4648 §4) into
 * out (cap bytes, NUL included). Returns the encoded length (excluding
 * the NUL) or -1 if cap is too small, in which case out is untouched.
 */
long
anx_base64_encode(const unsigned char *in, size_t n, char *out, size_t cap)
{
	size_t need = anx_base64_encoded_size(n);
	size_t i, o = 0;

	if (need == 0 || cap < need || need - 1 > LONG_MAX || out == NULL)
		return -1;
	if (n != 0 && in == NULL)
		return -1;
	for (i = 0; i + 3 <= n; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];

		out[o++] = b64chars[(v >> 18) & 0x3f];
		out[o++] = b64chars[(v >> 12) & 0x3f];
		out[o++] = b64chars[(v >> 6) & 0x3f];
		out[o++] = b64chars[v & 0x3f];
	}
	if (n - i == 1) {
		uint32_t v = (uint32_t)in[i] << 16;

		out[o++] = b64chars[(v >> 18) & 0x3f];
		out[o++] = b64chars[(v >> 12) & 0x3f];
		out[o++] = '=';
		out[o++] = '=';
	} else if (n - i == 2) {
		uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8;

		out[o++] = b64chars[(v >> 18) & 0x3f];
		out[o++] = b64chars[(v >> 12) & 0x3f];
		out[o++] = b64chars[(v >> 6) & 0x3f];
		out[o++] = '=';
	}
	out[o] = '\0';
	return (long)o;
}

/*
 * Returns the 6-bit value of base64 character c or -1, without branching
 * on c (after the constant-time decoders of BoringSSL and libsodium).
 */
static int
b64_sextet(unsigned char c)
{
	int x = c;
	int upper = ((('A' - 1 - x) & (x - ('Z' + 1))) >> 8) & 1;
	int lower = ((('a' - 1 - x) & (x - ('z' + 1))) >> 8) & 1;
	int digit = ((('0' - 1 - x) & (x - ('9' + 1))) >> 8) & 1;
	int plus = (((x ^ '+') - 1) >> 8) & 1;
	int slash = (((x ^ '/') - 1) >> 8) & 1;
	int v = ((x - 'A') & -upper) | ((x - 'a' + 26) & -lower) | ((x - '0' + 52) & -digit) |
		(62 & -plus) | (63 & -slash);

	return v | ((upper | lower | digit | plus | slash) - 1);
}

/*
 * Decodes standard base64 (RFC 4648 §4) from in[0..n) into out (cap
 * bytes). The input must be canonical: a multiple of 4 characters, '='
 * only as one or two final padding characters, padding bits zero
 * (§3.5), and no whitespace or line breaks. Returns the number of bytes
 * written or -1 on malformed input or too small a cap (out is then zeroed
 * up to what was written).
 */
long
anx_base64_decode(const char *in, size_t n, unsigned char *out, size_t cap)
{
	size_t i, o = 0, pad = 0, outlen;
	int bad = 0;
	long rc = -1;

	if (n % 4 != 0 || n / 4 > LONG_MAX / 3)
		return -1;
	if (n == 0)
		return 0;
	if (in == NULL || out == NULL)
		return -1;
	if (in[n - 1] == '=')
		pad = (in[n - 2] == '=') ? 2 : 1;
	outlen = n / 4 * 3 - pad;
	if (outlen > cap)
		return -1;

	for (i = 0; i < n; i += 4) {
		int last = (i + 4 == n);
		int a = b64_sextet((unsigned char)in[i]);
		int b = b64_sextet((unsigned char)in[i + 1]);
		int c = (last && pad == 2) ? 0 : b64_sextet((unsigned char)in[i + 2]);
		int d = (last && pad >= 1) ? 0 : b64_sextet((unsigned char)in[i + 3]);
		uint32_t v;

		bad |= a | b | c | d;
		v = (uint32_t)(a & 0x3f) << 18 | (uint32_t)(b & 0x3f) << 12 |
		    (uint32_t)(c & 0x3f) << 6 | (uint32_t)(d & 0x3f);
		out[o++] = (unsigned char)(v >> 16);
		if (last && pad == 2) {
			bad |= -(int)((v & 0xffff) != 0);
			break;
		}
		out[o++] = (unsigned char)(v >> 8);
		if (last && pad == 1) {
			bad |= -(int)((v & 0xff) != 0);
			break;
		}
		out[o++] = (unsigned char)v;
	}
	if (bad < 0)
		goto out;
	rc = (long)o;
out:
	if (rc == -1)
		anx_secure_zero(out, o);
	return rc;
}

/*
 * Constant-time equality of a[0..n) and b[0..n): the time depends only on
 * n. Returns 1 if equal, 0 if not.
 */
int
anx_ct_equal(const void *a, const void *b, size_t n)
{
	const volatile unsigned char *pa = a, *pb = b;
	unsigned int acc = 0;
	size_t i;

	for (i = 0; i < n; i++)
		acc |= pa[i] ^ pb[i];
	/* acc is 0..255: (acc - 1) >> 8 has bit 0 set only when acc is 0. */
	return (int)(((acc - 1) >> 8) & 1);
}

/*
 * Constant-time string equality that leaks neither length nor the first
 * difference: both strings are hashed with SHA-256 and the digests are
 * compared with anx_ct_equal() (after redis's time_independent_strcmp,
 * with a digest instead of a fixed buffer). NULL is never equal to
 * anything; a hashing failure compares unequal.
 */
int
anx_ct_streq(const char *a, const char *b)
{
	unsigned char da[ANX_SHA256_LEN], db[ANX_SHA256_LEN];
	int eq = 0;

	if (a == NULL || b == NULL)
		return 0;
	if (anx_sha256(a, strlen(a), da) == -1 || anx_sha256(b, strlen(b), db) == -1)
		goto out;
	eq = anx_ct_equal(da, db, sizeof(da));
out:
	anx_secure_zero(da, sizeof(da));
	anx_secure_zero(db, sizeof(db));
	return eq;
}

/*
 * Zeroes p[0..n) with explicit_bzero(), which the compiler may not elide
 * as a dead store. NULL or n == 0 is a no-op.
 */
void
anx_secure_zero(void *p, size_t n)
{
	if (p == NULL || n == 0)
		return;
	explicit_bzero(p, n);
}

/*
 * Writes nbytes random bytes as 2*nbytes lowercase hex characters plus a
 * NUL into out (2*nbytes+1 bytes). Returns 0 or -1 (out is then "").
 */
int
anx_random_hex(char *out, size_t nbytes)
{
	unsigned char raw[RND_CHUNK];
	size_t done = 0;
	int rc = -1;

	if (out == NULL || nbytes > (SIZE_MAX - 1) / 2)
		return -1;
	out[0] = '\0';
	while (done < nbytes) {
		size_t k = nbytes - done < sizeof(raw) ? nbytes - done : sizeof(raw);

		if (anx_random(raw, k) == -1)
			goto out;
		anx_hex_encode(raw, k, out + 2 * done);
		done += k;
	}
	out[2 * nbytes] = '\0';
	rc = 0;
out:
	anx_secure_zero(raw, sizeof(raw));
	if (rc == -1) {
		anx_secure_zero(out, 2 * done + 1);
		out[0] = '\0';
	}
	return rc;
}

/*
 * Writes n random characters from [0-9A-Za-z] plus a NUL into out (n+1
 * bytes). Each character is one random byte below 248 (= 4 * 62) taken
 * modulo 62; bytes 248..255 are rejected and redrawn, so every character
 * is exactly uniform (no modulo bias). Returns 0 or -1 (out is then "").
 */
int
anx_random_base62(char *out, size_t n)
{
	unsigned char raw[RND_CHUNK];
	size_t done = 0, i;
	int rc = -1;

	if (out == NULL || n == SIZE_MAX)
		return -1;
	out[0] = '\0';
	while (done < n) {
		if (anx_random(raw, sizeof(raw)) == -1)
			goto out;
		for (i = 0; i < sizeof(raw) && done < n; i++)
			if (raw[i] < 248)
				out[done++] = b62chars[raw[i] % 62];
	}
	out[n] = '\0';
	rc = 0;
out:
	anx_secure_zero(raw, sizeof(raw));
	if (rc == -1) {
		anx_secure_zero(out, done + 1);
		out[0] = '\0';
	}
	return rc;
}
