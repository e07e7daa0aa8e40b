/*
 * test_webhook_sign.c - webhook signing against the Standard Webhooks
 * specification's published test vector (the reference libraries' "sign
 * function works" test: secret whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw, id
 * msg_p5jXN8AQM9LWM0D4loKWxJek, timestamp 1614265330, body
 * {"test": 2432232314}) and their verification scenarios (missing or
 * malformed headers, partial and foreign signatures, multi-signature
 * headers, timestamp tolerance, with and without the whsec_ prefix); the
 * rotation header; X-AgentNexus-Signature; key decoding; the retry
 * schedule; RFC 3339 validation for replays.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "webhook.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* The published vector. */
static const char SECRET[] = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
static const char MSG_ID[] = "msg_p5jXN8AQM9LWM0D4loKWxJek";
static const long long TS = 1614265330;
static const char BODY[] = "{\"test\": 2432232314}";
static const char EXPECTED[] = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";

static void
test_spec_vector(void **state)
{
	char sig[ANX_WEBHOOK_SIG_LEN + 1];

	(void)state;
	assert_int_equal(anx_webhook_sign(SECRET, MSG_ID, TS, BODY, strlen(BODY), sig), 0);
	assert_string_equal(sig, EXPECTED);
	/* The reference libraries also accept the bare base64 secret; ours
	 * treats a secret without the prefix as raw bytes, so the prefixed
	 * form is the one that must reproduce the vector. */
	assert_int_equal(anx_webhook_verify(SECRET, MSG_ID, "1614265330", EXPECTED, BODY,
				 strlen(BODY), TS, 300),
		0);
}

static void
test_other_keys(void **state)
{
	/* Cross-checked with Python's hmac/base64 modules. */
	static const struct {
		const char *secret;
		const char *v1;
		const char *hex;
	} vec[] = {
		{ "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", EXPECTED,
			"sha256=e2cb4f5251572539d458bfb8a7adb533b08801e6a794467e06f771debbb0818b" },
		/* INTEGRATION_WEBHOOK_HMAC_SECRET style: raw bytes. */
		{ "dev-integration-secret-0123456789abcdef",
			"v1,q5GZDoyRF5R2gHoBW7/rGHV94R2DRoDn+9HqW0z0J0w=",
			"sha256=fc21a16cf11c0596065e9deb6b1845be851697e31408532d0a780e4f39db438a" },
		/* A generated-style secret: base64 of 32 bytes, with padding. */
		{ "whsec_AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=",
			"v1,O4Gjv1HqPqsMrjmczoggs/sWA8gZD0VyHG+fLh4+ktI=", NULL },
	};
	char sig[ANX_WEBHOOK_SIG_LEN + 1], hex[ANX_WEBHOOK_HEXSIG_LEN + 1];

	(void)state;
	for (size_t i = 0; i < NELEM(vec); i++) {
		assert_int_equal(
			anx_webhook_sign(vec[i].secret, MSG_ID, TS, BODY, strlen(BODY), sig), 0);
		assert_string_equal(sig, vec[i].v1);
		if (vec[i].hex) {
			assert_int_equal(
				anx_webhook_sign_hex(vec[i].secret, BODY, strlen(BODY), hex), 0);
			assert_string_equal(hex, vec[i].hex);
		}
	}
}

static void
test_key_decoding(void **state)
{
	unsigned char key[ANX_WEBHOOK_KEY_MAX];
	char sig[ANX_WEBHOOK_SIG_LEN + 1];

	(void)state;
	assert_int_equal(anx_webhook_key(SECRET, key, sizeof(key)), 24);
	assert_int_equal(anx_webhook_key("whsec_AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=", key,
				 sizeof(key)),
		32);
	assert_int_equal(key[31], 31);
	/* Missing padding is tolerated. */
	assert_int_equal(anx_webhook_key("whsec_AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8", key,
				 sizeof(key)),
		32);
	assert_int_equal(anx_webhook_key("plain", key, sizeof(key)), 5);
	assert_int_equal(anx_webhook_key("", key, sizeof(key)), -1);
	assert_int_equal(anx_webhook_key(NULL, key, sizeof(key)), -1);
	assert_int_equal(anx_webhook_key("whsec_", key, sizeof(key)), -1);
	assert_int_equal(anx_webhook_key("whsec_!!!!", key, sizeof(key)), -1);
	assert_int_equal(anx_webhook_key("whsec_abc$", key, sizeof(key)), -1);
	/* Signing refuses what the key cannot be made from, and ids with the
	 * delimiter (Standard Webhooks: ids must not contain '.'). */
	assert_int_equal(anx_webhook_sign("whsec_!!!!", MSG_ID, TS, BODY, strlen(BODY), sig), -1);
	assert_string_equal(sig, "");
	assert_int_equal(anx_webhook_sign(SECRET, "msg_a.b", TS, BODY, strlen(BODY), sig), -1);
}

/* The reference libraries' verification scenarios. */
static void
test_verify_scenarios(void **state)
{
	char sig[ANX_WEBHOOK_SIG_LEN + 1], hdr[512], ts[32];
	const long long now = 1700000000;
	const size_t n = strlen(BODY);

	(void)state;
	snprintf(ts, sizeof(ts), "%lld", now);
	assert_int_equal(anx_webhook_sign(SECRET, MSG_ID, now, BODY, n, sig), 0);
	/* valid */
	assert_int_equal(anx_webhook_verify(SECRET, MSG_ID, ts, sig, BODY, n, now, 300), 0);
	/* missing id, timestamp, signature */
	assert_int_equal(anx_webhook_verify(SECRET, NULL, ts, sig, BODY, n, now, 300), -1);
	assert_int_equal(anx_webhook_verify(SECRET, MSG_ID, NULL, sig, BODY, n, now, 300), -1);
	assert_int_equal(anx_webhook_verify(SECRET, MSG_ID, ts, NULL, BODY, n, now, 300), -1);
	/* invalid timestamp */
	assert_int_equal(anx_webhook_verify(SECRET, MSG_ID, "hello", sig, BODY, n, now, 300), -1);
	assert_int_equal(anx_webhook_verify(SECRET, MSG_ID, "", sig, BODY, n, now, 300), -1);
	/* invalid signature */
	assert_int_equal(anx_webhook_verify(SECRET, MSG_ID, ts, "v1,dawfeoifkpqwoekfpqoekf", BODY,
				 n, now, 300),
		-1);
	assert_int_equal(
		anx_webhook_verify(SECRET, MSG_ID, ts,
			"v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc=", BODY, n, now, 300),
		-1);
	/* partial signature */
	snprintf(hdr, sizeof(hdr), "%.8s", sig);
	assert_int_equal(anx_webhook_verify(SECRET, MSG_ID, ts, hdr, BODY, n, now, 300), -1);
	assert_int_equal(anx_webhook_verify(SECRET, MSG_ID, ts, "v1,", BODY, n, now, 300), -1);
	/* old and new timestamps, beyond the 5-minute tolerance */
	assert_int_equal(anx_webhook_verify(SECRET, MSG_ID, ts, sig, BODY, n, now + 301, 300), -1);
	assert_int_equal(anx_webhook_verify(SECRET, MSG_ID, ts, sig, BODY, n, now - 301, 300), -1);
	/* ... but accepted when the tolerance is not enforced */
	assert_int_equal(anx_webhook_verify(SECRET, MSG_ID, ts, sig, BODY, n, now + 301, -1), 0);
	/* multi-signature header with foreign versions around the valid one */
	snprintf(hdr, sizeof(hdr),
		"v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc= "
		"v2,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc= %s "
		"v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc=",
		sig);
	assert_int_equal(anx_webhook_verify(SECRET, MSG_ID, ts, hdr, BODY, n, now, 300), 0);
	/* a tampered body or id */
	assert_int_equal(
		anx_webhook_verify(SECRET, MSG_ID, ts, sig, "{\"test\": 2432232315}", n, now, 300),
		-1);
	assert_int_equal(anx_webhook_verify(SECRET, "msg_other", ts, sig, BODY, n, now, 300), -1);
	/* the wrong secret */
	assert_int_equal(anx_webhook_verify("whsec_AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=",
				 MSG_ID, ts, sig, BODY, n, now, 300),
		-1);
}

static void
test_rotation_header(void **state)
{
	static const char NEW[] = "whsec_AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
	char hdr[ANX_WEBHOOK_SIGHDR_LEN + 1], want[ANX_WEBHOOK_SIGHDR_LEN + 1];

	(void)state;
	/* New key first, then the old one, space-separated. */
	assert_int_equal(
		anx_webhook_sign_header(NEW, SECRET, MSG_ID, TS, BODY, strlen(BODY), hdr), 0);
	snprintf(want, sizeof(want), "%s %s",
		"v1,O4Gjv1HqPqsMrjmczoggs/sWA8gZD0VyHG+fLh4+ktI=", EXPECTED);
	assert_string_equal(hdr, want);
	/* Both verify: a receiver still on the old secret, and one on the new. */
	assert_int_equal(
		anx_webhook_verify(SECRET, MSG_ID, "1614265330", hdr, BODY, strlen(BODY), TS, 300),
		0);
	assert_int_equal(
		anx_webhook_verify(NEW, MSG_ID, "1614265330", hdr, BODY, strlen(BODY), TS, 300), 0);
	/* No rotation: one signature. */
	assert_int_equal(
		anx_webhook_sign_header(SECRET, NULL, MSG_ID, TS, BODY, strlen(BODY), hdr), 0);
	assert_string_equal(hdr, EXPECTED);
	assert_int_equal(
		anx_webhook_sign_header(SECRET, "", MSG_ID, TS, BODY, strlen(BODY), hdr), 0);
	assert_string_equal(hdr, EXPECTED);
}

static void
test_backoff(void **state)
{
	(void)state;
	/* Nominal 30 s doubling, capped at a day; jitter in the upper half. */
	assert_int_equal(anx_webhook_backoff(1, 0), 15);
	assert_int_equal(anx_webhook_backoff(1, 15), 30);
	assert_int_equal(anx_webhook_backoff(1, 16), 15);
	assert_int_equal(anx_webhook_backoff(2, 0), 30);
	assert_int_equal(anx_webhook_backoff(3, UINT32_MAX), 60 + (long)(UINT32_MAX % 61));
	assert_int_equal(anx_webhook_backoff(12, 0), 30720);
	assert_int_equal(anx_webhook_backoff(13, 0), 43200);
	assert_int_equal(anx_webhook_backoff(40, 43200), 86400);
	for (int f = 1; f < 40; f++)
		for (uint32_t r = 0; r < 1000; r += 37) {
			long d = anx_webhook_backoff(f, r);

			assert_true(d >= 15 && d <= ANX_WEBHOOK_BACKOFF_CAP);
			/* Strictly growing lower bound until the cap. */
			assert_true(anx_webhook_backoff(f + 1, 0) >= anx_webhook_backoff(f, 0));
		}
}

static void
test_time_valid(void **state)
{
	static const char *const good[] = { "2026-01-31", "2026-01-31T12:00:00Z",
		"2026-01-31T12:00:00.123456Z", "2026-01-31T12:00:00+02:00", "2026-01-31 12:00:00Z",
		"2026-12-01T00:00:00-05:30" };
	static const char *const bad[] = { "", "2026", "2026-13-01", "2026-01-32", "2026-01-31T",
		"2026-01-31T25:00:00Z", "2026-01-31T12:00:00", "2026-01-31T12:00Z", "yesterday",
		"2026-01-31T12:00:00.Z", "2026-01-31T12:00:00Z; DROP TABLE x",
		"2026-01-31T12:00:00+0200" };

	(void)state;
	for (size_t i = 0; i < NELEM(good); i++)
		assert_true(anx_webhook_time_valid(good[i]));
	for (size_t i = 0; i < NELEM(bad); i++)
		assert_false(anx_webhook_time_valid(bad[i]));
	assert_false(anx_webhook_time_valid(NULL));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_spec_vector),
		cmocka_unit_test(test_other_keys),
		cmocka_unit_test(test_key_decoding),
		cmocka_unit_test(test_verify_scenarios),
		cmocka_unit_test(test_rotation_header),
		cmocka_unit_test(test_backoff),
		cmocka_unit_test(test_time_valid),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
