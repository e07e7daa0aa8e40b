/*
 * crypto.h - GnuTLS helpers: random bytes, SHA-256, HMAC-SHA256, hex and
 * base64, constant-time comparison, secret zeroing, random tokens.
 *
 * All functions return 0 on success and -1 on failure unless noted.
 */
#ifndef ANX_CRYPTO_H
#define ANX_CRYPTO_H

#include <stddef.h>

#define ANX_SHA256_LEN     32
#define ANX_SHA256_HEX_LEN 64

/* Fills buf with n bytes from the kernel-seeded CSPRNG (GNUTLS_RND_KEY). */
int anx_random(void *buf, size_t n);

int anx_sha256(const void *data, size_t n, unsigned char out[ANX_SHA256_LEN]);
/* SHA-256 as lowercase hex into out (65 bytes incl. NUL). */
int anx_sha256_hex(const void *data, size_t n, char out[ANX_SHA256_HEX_LEN + 1]);
/* SHA-256 as a bytea text parameter, "\\x<hex>", into out (67 bytes): how
 * API keys and link tokens are looked up by hash. */
#define ANX_SHA256_BYTEA_LEN (2 + ANX_SHA256_HEX_LEN)
int anx_sha256_bytea(const void *data, size_t n, char out[ANX_SHA256_BYTEA_LEN + 1]);
int anx_hmac_sha256(const void *key, size_t keylen, const void *data, size_t n,
	unsigned char out[ANX_SHA256_LEN]);

/* Lowercase hex of in[0..n) into out (2n+1 bytes). Never fails. */
void anx_hex_encode(const unsigned char *in, size_t n, char *out);
/* Decodes exactly n hex chars (n even, either case) into out (cap bytes);
 * returns the byte count or -1. */
long anx_hex_decode(const char *in, size_t n, unsigned char *out, size_t cap);

/* Standard base64 with padding (RFC 4648 §4) into out (cap bytes incl. NUL);
 * returns the length or -1 if cap is too small. */
long anx_base64_encode(const unsigned char *in, size_t n, char *out, size_t cap);
/* Decodes standard base64 (padding required, no whitespace) into out;
 * returns the byte count or -1 on malformed input / small cap. */
long anx_base64_decode(const char *in, size_t n, unsigned char *out, size_t cap);
/* Required output capacity for base64 of n bytes, including the NUL. */
size_t anx_base64_encoded_size(size_t n);

/* Constant-time equality of two n-byte buffers: 1 equal, 0 not. */
int anx_ct_equal(const void *a, const void *b, size_t n);
/* Constant-time string equality that does not leak either length:
 * compares SHA-256 digests of both. 1 equal, 0 not (NULL never equal). */
int anx_ct_streq(const char *a, const char *b);

/* Zeroes n bytes in a way the compiler cannot remove. */
void anx_secure_zero(void *p, size_t n);

/* Random token helpers: nbytes of randomness as hex (2*nbytes+1 out) or as
 * n base62 characters (n+1 out, unbiased by rejection sampling). */
int anx_random_hex(char *out, size_t nbytes);
int anx_random_base62(char *out, size_t n);

#endif
