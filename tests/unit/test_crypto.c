/*
 * test_crypto.c - crypto.c against published vectors: SHA-256 (FIPS
 * 180-4 examples), HMAC-SHA256 (RFC 4231), base64 (RFC 4648 §10), plus
 * tables of malformed input for the decoders, constant-time comparison,
 * and sanity checks of the random token helpers.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "crypto.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

static const char b62[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* Lowercase hex of a digest for comparison with the published vectors. */
static void
hexof(const unsigned char *md, char *out)
{
	anx_hex_encode(md, ANX_SHA256_LEN, out);
}

static void
test_sha256_vectors(void **state)
{
	static const struct {
		const char *in;
		const char *hex;
	} vec[] = {
		{ "", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" },
		{ "abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" },
		{ "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
			"248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1" },
		{ "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopq"
		  "klmnopqrlmnopqrsmnopqrstnopqrstu",
			"cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1" },
	};
	unsigned char md[ANX_SHA256_LEN];
	char hex[ANX_SHA256_HEX_LEN + 1];
	size_t i;

	(void)state;
	for (i = 0; i < NELEM(vec); i++) {
		assert_int_equal(anx_sha256(vec[i].in, strlen(vec[i].in), md), 0);
		hexof(md, hex);
		assert_string_equal(hex, vec[i].hex);
		memset(hex, 'x', sizeof(hex));
		assert_int_equal(anx_sha256_hex(vec[i].in, strlen(vec[i].in), hex), 0);
		assert_string_equal(hex, vec[i].hex);
	}
	/* NULL with length 0 is the empty message; NULL with a length fails. */
	assert_int_equal(anx_sha256(NULL, 0, md), 0);
	hexof(md, hex);
	assert_string_equal(hex, vec[0].hex);
	assert_int_equal(anx_sha256(NULL, 1, md), -1);
}

static void
test_sha256_million_a(void **state)
{
	unsigned char md[ANX_SHA256_LEN];
	char hex[ANX_SHA256_HEX_LEN + 1];
	char *a = malloc(1000000);

	(void)state;
	assert_non_null(a);
	memset(a, 'a', 1000000);
	assert_int_equal(anx_sha256(a, 1000000, md), 0);
	hexof(md, hex);
	assert_string_equal(
		hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
	free(a);
}

static void
test_hmac_rfc4231(void **state)
{
	/* RFC 4231 §4.2-4.5, 4.7, 4.8 (test case 5 truncates; not used). */
	static const struct {
		unsigned char key_byte; /* 0: key is the explicit string */
		size_t keylen;
		const char *key;
		unsigned char data_byte; /* 0: data is the explicit string */
		size_t datalen;
		const char *data;
		const char *hex;
	} vec[] = {
		{ 0x0b, 20, NULL, 0, 0, "Hi There",
			"b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7" },
		{ 0, 4, "Jefe", 0, 0, "what do ya want for nothing?",
			"5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843" },
		{ 0xaa, 20, NULL, 0xdd, 50, NULL,
			"773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe" },
		{ 0, 25,
			"\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f\x10\x11\x12"
			"\x13"
			"\x14\x15\x16\x17\x18\x19",
			0xcd, 50, NULL,
			"82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b" },
		{ 0xaa, 131, NULL, 0, 0, "Test Using Larger Than Block-Size Key - Hash Key First",
			"60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54" },
		{ 0xaa, 131, NULL, 0, 0,
			"This is a test using a larger than block-size key and a larger than "
			"block-size data. The key needs to be hashed before being used by the "
			"HMAC algorithm.",
			"9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2" },
	};
	unsigned char key[131], data[64], md[ANX_SHA256_LEN];
	char hex[ANX_SHA256_HEX_LEN + 1];
	size_t i, datalen;
	const void *d;

	(void)state;
	for (i = 0; i < NELEM(vec); i++) {
		if (vec[i].key)
			memcpy(key, vec[i].key, vec[i].keylen);
		else
			memset(key, vec[i].key_byte, vec[i].keylen);
		if (vec[i].data) {
			d = vec[i].data;
			datalen = strlen(vec[i].data);
		} else {
			memset(data, vec[i].data_byte, vec[i].datalen);
			d = data;
			datalen = vec[i].datalen;
		}
		assert_int_equal(anx_hmac_sha256(key, vec[i].keylen, d, datalen, md), 0);
		hexof(md, hex);
		assert_string_equal(hex, vec[i].hex);
	}
	assert_int_equal(anx_hmac_sha256(NULL, 1, "x", 1, md), -1);
	assert_int_equal(anx_hmac_sha256("k", 1, NULL, 1, md), -1);
	assert_int_equal(anx_hmac_sha256(NULL, 0, NULL, 0, md), 0);
}

static void
test_base64_rfc4648(void **state)
{
	static const struct {
		const char *raw;
		const char *enc;
	} vec[] = {
		{ "", "" },
		{ "f", "Zg==" },
		{ "fo", "Zm8=" },
		{ "foo", "Zm9v" },
		{ "foob", "Zm9vYg==" },
		{ "fooba", "Zm9vYmE=" },
		{ "foobar", "Zm9vYmFy" },
	};
	char enc[16];
	unsigned char raw[16];
	size_t i;

	(void)state;
	for (i = 0; i < NELEM(vec); i++) {
		size_t rl = strlen(vec[i].raw), el = strlen(vec[i].enc);

		assert_int_equal(anx_base64_encoded_size(rl), el + 1);
		assert_int_equal(
			anx_base64_encode((const unsigned char *)vec[i].raw, rl, enc, sizeof(enc)),
			(long)el);
		assert_string_equal(enc, vec[i].enc);
		/* Exactly the documented capacity is enough; one less is not. */
		assert_int_equal(
			anx_base64_encode((const unsigned char *)vec[i].raw, rl, enc, el + 1),
			(long)el);
		assert_int_equal(
			anx_base64_encode((const unsigned char *)vec[i].raw, rl, enc, el), -1);
		assert_int_equal(anx_base64_decode(vec[i].enc, el, raw, sizeof(raw)), (long)rl);
		assert_memory_equal(raw, vec[i].raw, rl);
		/* Exactly rl bytes of room is enough; one less is not. */
		assert_int_equal(anx_base64_decode(vec[i].enc, el, raw, rl), (long)rl);
		if (rl > 0)
			assert_int_equal(anx_base64_decode(vec[i].enc, el, raw, rl - 1), -1);
	}
}

static void
test_base64_invalid(void **state)
{
	static const struct {
		const char *in;
		size_t n; /* 0: strlen */
		const char *why;
	} bad[] = {
		{ "Zg=", 0, "length not a multiple of 4" },
		{ "Zg", 0, "missing padding" },
		{ "Zm9vY", 0, "length 5" },
		{ "Z===", 0, "three padding characters" },
		{ "====", 0, "only padding" },
		{ "Zm=v", 0, "padding inside a quantum" },
		{ "Zg==Zg==", 0, "padding before the last quantum" },
		{ "=Zm9", 0, "leading padding" },
		{ "Zh==", 0, "non-zero padding bits (1 byte)" },
		{ "Zm9=", 0, "non-zero padding bits (2 bytes)" },
		{ "Zm9v\n", 0, "trailing newline" },
		{ " Zm9", 0, "leading space" },
		{ "Zm 9", 0, "inner space" },
		{ "Zm9v\r\nZm9v", 0, "line break" },
		{ "Zm-v", 0, "base64url '-'" },
		{ "Zm_v", 0, "base64url '_'" },
		{ "Zm9v\0\0\0\0", 8, "NUL bytes" },
		{ "Zm9\xc3", 0, "non-ASCII byte" },
		{ "Zm9*", 0, "punctuation" },
		{ "Zm9.", 0, "dot" },
	};
	unsigned char out[16];
	size_t i;

	(void)state;
	for (i = 0; i < NELEM(bad); i++) {
		size_t n = bad[i].n ? bad[i].n : strlen(bad[i].in);

		memset(out, 0x5a, sizeof(out));
		if (anx_base64_decode(bad[i].in, n, out, sizeof(out)) != -1)
			fail_msg("accepted %s", bad[i].why);
	}
	/* Every byte value: valid alone in a full quantum iff in the alphabet. */
	for (i = 0; i < 256; i++) {
		char q[4];
		long rc;

		memset(q, (int)i, sizeof(q));
		rc = anx_base64_decode(q, sizeof(q), out, sizeof(out));
		if (i != 0 && strchr(b64, (int)i) != NULL)
			assert_int_equal(rc, 3);
		else
			assert_int_equal(rc, -1);
	}
}

static void
test_base64_roundtrip(void **state)
{
	unsigned char raw[100], back[100];
	char enc[140];
	size_t n;

	(void)state;
	for (n = 0; n <= sizeof(raw); n++) {
		long el;

		assert_int_equal(anx_random(raw, n), 0);
		el = anx_base64_encode(raw, n, enc, sizeof(enc));
		assert_true(el >= 0);
		assert_int_equal((size_t)el + 1, anx_base64_encoded_size(n));
		assert_int_equal(anx_base64_decode(enc, (size_t)el, back, sizeof(back)), (long)n);
		assert_memory_equal(raw, back, n);
	}
	assert_int_equal(anx_base64_encoded_size(SIZE_MAX), 0);
	/* The largest n whose size still fits, and the first that does not. */
	assert_int_equal(anx_base64_encoded_size(SIZE_MAX / 4 * 3), SIZE_MAX - 2);
	assert_int_equal(anx_base64_encoded_size(SIZE_MAX / 4 * 3 + 1), 0);
}

static void
test_hex(void **state)
{
	static const struct {
		const char *hex;
		size_t len;
		const char *raw;
	} good[] = {
		{ "", 0, "" },
		{ "00", 1, "\x00" },
		{ "ff", 1, "\xff" },
		{ "FF", 1, "\xff" },
		{ "0123456789abcdef", 8, "\x01\x23\x45\x67\x89\xab\xcd\xef" },
		{ "0123456789ABCDEF", 8, "\x01\x23\x45\x67\x89\xab\xcd\xef" },
		{ "aBcD", 2, "\xab\xcd" },
	};
	static const char *bad[] = { "0", "abc", "0g", "g0", "zz", " 0", "0 ", "0x", "-1", "+1",
		"GG", "0:", "/0", "@0", "`0", "0\xc3", "ab\ncd" };
	unsigned char out[16], raw[32];
	char hex[65];
	size_t i;

	(void)state;
	for (i = 0; i < NELEM(good); i++) {
		assert_int_equal(anx_hex_decode(good[i].hex, strlen(good[i].hex), out, sizeof(out)),
			(long)good[i].len);
		assert_memory_equal(out, good[i].raw, good[i].len);
	}
	for (i = 0; i < NELEM(bad); i++)
		if (anx_hex_decode(bad[i], strlen(bad[i]), out, sizeof(out)) != -1)
			fail_msg("accepted hex \"%s\"", bad[i]);
	/* Every byte value as the first digit. */
	for (i = 0; i < 256; i++) {
		char two[2] = { (char)i, '0' };
		int ok = i != 0 && strchr("0123456789abcdefABCDEF", (int)i) != NULL;

		assert_int_equal(anx_hex_decode(two, 2, out, 1), ok ? 1 : -1);
	}
	/* Capacity: exact fits, one less fails. */
	assert_int_equal(anx_hex_decode("abcd", 4, out, 2), 2);
	assert_int_equal(anx_hex_decode("abcd", 4, out, 1), -1);
	/* Round trip. */
	assert_int_equal(anx_random(raw, sizeof(raw)), 0);
	anx_hex_encode(raw, sizeof(raw), hex);
	assert_int_equal(strlen(hex), 64);
	for (i = 0; i < 64; i++)
		assert_non_null(strchr("0123456789abcdef", hex[i]));
	assert_int_equal(anx_hex_decode(hex, 64, out, sizeof(out)), -1);
	{
		unsigned char back[32];

		assert_int_equal(anx_hex_decode(hex, 64, back, sizeof(back)), 32);
		assert_memory_equal(raw, back, 32);
	}
	anx_hex_encode(raw, 0, hex);
	assert_string_equal(hex, "");
}

static void
test_ct_equal(void **state)
{
	static const struct {
		const char *a, *b;
		size_t n;
		int eq;
	} vec[] = {
		{ "", "", 0, 1 },
		{ "a", "b", 0, 1 }, /* zero length compares nothing */
		{ "a", "a", 1, 1 },
		{ "a", "b", 1, 0 },
		{ "abcdef", "abcdef", 6, 1 },
		{ "xbcdef", "abcdef", 6, 0 },
		{ "abcdex", "abcdef", 6, 0 },
		{ "ab\0ef", "ab\0ef", 5, 1 },
		{ "ab\0ef", "ab\0eg", 5, 0 },
		{ "\x80", "\x00", 1, 0 },
		{ "\xff\xff", "\xff\xfe", 2, 0 },
		{ "\x01", "\x81", 1, 0 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < NELEM(vec); i++)
		assert_int_equal(anx_ct_equal(vec[i].a, vec[i].b, vec[i].n), vec[i].eq);
}

static void
test_ct_streq(void **state)
{
	static const struct {
		const char *a, *b;
		int eq;
	} vec[] = {
		{ "", "", 1 },
		{ "a", "a", 1 },
		{ "secret-token", "secret-token", 1 },
		{ "a", "", 0 },
		{ "", "a", 0 },
		{ "abc", "abcd", 0 },
		{ "abcd", "abc", 0 },
		{ "abc", "abd", 0 },
		{ "Abc", "abc", 0 },
		{ NULL, "a", 0 },
		{ "a", NULL, 0 },
		{ NULL, NULL, 0 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < NELEM(vec); i++)
		assert_int_equal(anx_ct_streq(vec[i].a, vec[i].b), vec[i].eq);
}

static void
test_secure_zero(void **state)
{
	unsigned char buf[64];
	size_t i;

	(void)state;
	memset(buf, 0xa5, sizeof(buf));
	anx_secure_zero(buf, sizeof(buf));
	for (i = 0; i < sizeof(buf); i++)
		assert_int_equal(buf[i], 0);
	anx_secure_zero(NULL, 10);
	anx_secure_zero(buf, 0);
}

static void
test_random(void **state)
{
	unsigned char a[32], b[32];
	char h1[2 * 100 + 1], h2[2 * 100 + 1];
	size_t i;

	(void)state;
	assert_int_equal(anx_random(a, 0), 0);
	assert_int_equal(anx_random(a, sizeof(a)), 0);
	assert_int_equal(anx_random(b, sizeof(b)), 0);
	assert_false(anx_ct_equal(a, b, sizeof(a)));

	assert_int_equal(anx_random_hex(h1, 0), 0);
	assert_string_equal(h1, "");
	/* 100 bytes crosses the 64-byte chunk boundary of the helper. */
	assert_int_equal(anx_random_hex(h1, 100), 0);
	assert_int_equal(anx_random_hex(h2, 100), 0);
	assert_int_equal(strlen(h1), 200);
	for (i = 0; i < 200; i++)
		assert_non_null(strchr("0123456789abcdef", h1[i]));
	assert_string_not_equal(h1, h2);
}

static void
test_random_base62(void **state)
{
	static const size_t lens[] = { 0, 1, 22, 63, 64, 65, 1000 };
	enum { PER = 2000, TOTAL = 62 * PER };
	char *s = malloc(TOTAL + 1);
	size_t count[62] = { 0 };
	double chi = 0;
	size_t i, j;

	(void)state;
	assert_non_null(s);
	for (i = 0; i < NELEM(lens); i++) {
		memset(s, 'X', lens[i] + 1);
		assert_int_equal(anx_random_base62(s, lens[i]), 0);
		assert_int_equal(strlen(s), lens[i]);
		for (j = 0; j < lens[i]; j++)
			assert_non_null(strchr(b62, s[j]));
	}

	/*
	 * Distribution: 124000 characters, 2000 expected per symbol. With 61
	 * degrees of freedom chi-square has mean 61 and sd 11; 150 is about
	 * 8 sd out, so a correct generator essentially never fails, while a
	 * modulo-biased one (256 % 62 = 8 symbols at 5/4 weight) scores ~800.
	 */
	assert_int_equal(anx_random_base62(s, TOTAL), 0);
	for (i = 0; i < TOTAL; i++) {
		const char *p = strchr(b62, s[i]);

		assert_non_null(p);
		count[p - b62]++;
	}
	for (i = 0; i < 62; i++) {
		double d = (double)count[i] - PER;

		chi += d * d / PER;
		assert_true(count[i] > PER * 3 / 4 && count[i] < PER * 5 / 4);
	}
	if (chi >= 150)
		fail_msg("chi-square %.1f over 61 df", chi);
	free(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sha256_vectors),
		cmocka_unit_test(test_sha256_million_a),
		cmocka_unit_test(test_hmac_rfc4231),
		cmocka_unit_test(test_base64_rfc4648),
		cmocka_unit_test(test_base64_invalid),
		cmocka_unit_test(test_base64_roundtrip),
		cmocka_unit_test(test_hex),
		cmocka_unit_test(test_ct_equal),
		cmocka_unit_test(test_ct_streq),
		cmocka_unit_test(test_secure_zero),
		cmocka_unit_test(test_random),
		cmocka_unit_test(test_random_base62),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
