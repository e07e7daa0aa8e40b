/*
 * test_jcs.c - jcs.c against RFC 8785: the Appendix B number table, the
 * §3.2.3 sorting example, the §3.2.2 example document, string escaping,
 * integers beyond 2^53 (JCS numbers are doubles), and the error cases.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "buf.h"
#include "jcs.h"
#include "json.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* Canonical form of v as a string in b (reset first); asserts success. */
static const char *
jcs(json_object *v, struct anx_buf *b)
{
	anx_buf_reset(b);
	assert_int_equal(anx_jcs_serialize(v, b), 0);
	assert_non_null(b->data);
	return b->data;
}

/* Parses text with the default limits; asserts success. */
static json_object *
parse(const char *text)
{
	struct anx_verrs e;
	json_object *o = NULL;

	anx_verrs_init(&e);
	if (anx_json_parse(text, strlen(text), NULL, &o, &e) != ANX_OK)
		fail_msg("parse \"%s\": %s", text, e.items[0].problem);
	return o;
}

static double
from_bits(uint64_t u)
{
	double d;

	memcpy(&d, &u, sizeof(d));
	return d;
}

/* RFC 8785 Appendix B: IEEE 754 bit patterns and their canonical text. */
static void
test_number_appendix_b(void **state)
{
	static const struct {
		uint64_t bits;
		const char *want; /* NULL: must be rejected */
	} vec[] = {
		{ 0x0000000000000000ULL, "0" },
		{ 0x8000000000000000ULL, "0" }, /* -0 */
		{ 0x0000000000000001ULL, "5e-324" },
		{ 0x8000000000000001ULL, "-5e-324" },
		{ 0x7fefffffffffffffULL, "1.7976931348623157e+308" },
		{ 0xffefffffffffffffULL, "-1.7976931348623157e+308" },
		{ 0x4340000000000000ULL, "9007199254740992" },
		{ 0xc340000000000000ULL, "-9007199254740992" },
		{ 0x4430000000000000ULL, "295147905179352830000" },
		{ 0x7fffffffffffffffULL, NULL }, /* NaN */
		{ 0x7ff0000000000000ULL, NULL }, /* Infinity */
		{ 0xfff0000000000000ULL, NULL }, /* -Infinity */
		{ 0x44b52d02c7e14af5ULL, "9.999999999999997e+22" },
		{ 0x44b52d02c7e14af6ULL, "1e+23" },
		{ 0x44b52d02c7e14af7ULL, "1.0000000000000001e+23" },
		{ 0x444b1ae4d6e2ef4eULL, "999999999999999700000" },
		{ 0x444b1ae4d6e2ef4fULL, "999999999999999900000" },
		{ 0x444b1ae4d6e2ef50ULL, "1e+21" },
		{ 0x3eb0c6f7a0b5ed8cULL, "9.999999999999997e-7" },
		{ 0x3eb0c6f7a0b5ed8dULL, "0.000001" },
		{ 0x41b3de4355555553ULL, "333333333.3333332" },
		{ 0x41b3de4355555554ULL, "333333333.33333325" },
		{ 0x41b3de4355555555ULL, "333333333.3333333" },
		{ 0x41b3de4355555556ULL, "333333333.3333334" },
		{ 0x41b3de4355555557ULL, "333333333.33333343" },
		{ 0xbecbf647612f3696ULL, "-0.0000033333333333333333" },
		{ 0x43143ff3c1cb0959ULL, "1424953923781206.2" },
	};
	char out[ANX_JCS_NUMBER_LEN];
	size_t i;

	(void)state;
	for (i = 0; i < NELEM(vec); i++) {
		int len = anx_jcs_number(from_bits(vec[i].bits), out);

		if (vec[i].want == NULL) {
			assert_int_equal(len, -1);
			continue;
		}
		if (len < 0 || strcmp(out, vec[i].want) != 0)
			fail_msg("%016llx: got \"%s\", want \"%s\"",
				(unsigned long long)vec[i].bits, len < 0 ? "(error)" : out,
				vec[i].want);
		assert_int_equal(len, (int)strlen(vec[i].want));
	}
}

/* Decimal inputs and the ECMAScript boundaries (exponent form only for
 * n > 21 or n <= -6, "e+" sign, no leading zeros in the exponent). */
static void
test_number_format(void **state)
{
	static const struct {
		double d;
		const char *want;
	} vec[] = {
		{ 0.0, "0" },
		{ -0.0, "0" },
		{ 1, "1" },
		{ -1, "-1" },
		{ 4.5, "4.5" },
		{ 4.50, "4.5" },
		{ 0.002, "0.002" },
		{ 2e-3, "0.002" },
		{ 100, "100" },
		{ 123456789, "123456789" },
		{ 333333333.33333329, "333333333.3333333" },
		{ 0.1 + 0.2, "0.30000000000000004" },
		{ 1.0 / 3.0, "0.3333333333333333" },
		{ 1e20, "100000000000000000000" },
		{ 1e21, "1e+21" },
		{ 1.5e21, "1.5e+21" },
		{ 1e30, "1e+30" },
		{ 1e23, "1e+23" },
		{ 1e-6, "0.000001" },
		{ 1.5e-6, "0.0000015" },
		{ 1e-7, "1e-7" },
		{ 5e-7, "5e-7" },
		{ 1.23e-18, "1.23e-18" },
		{ 1e-27, "1e-27" },
		{ 9007199254740992.0, "9007199254740992" },
		{ 9223372036854775808.0, "9223372036854776000" },
		{ -9223372036854775808.0, "-9223372036854776000" },
		{ 18446744073709551616.0, "18446744073709552000" },
		{ 295147905179352830000.0, "295147905179352830000" },
		{ 5e-324, "5e-324" },
		{ 1.7976931348623157e308, "1.7976931348623157e+308" },
		/* Powers of two where the closest 16-digit decimal does not
		 * round-trip but the next one up does. */
		{ 7.120236347223045e-307, "7.120236347223045e-307" },
		{ 7.291122019556398e-304, "7.291122019556398e-304" },
	};
	char out[ANX_JCS_NUMBER_LEN];
	size_t i;

	(void)state;
	for (i = 0; i < NELEM(vec); i++) {
		assert_true(anx_jcs_number(vec[i].d, out) > 0);
		if (strcmp(out, vec[i].want) != 0)
			fail_msg("%.17g: got \"%s\", want \"%s\"", vec[i].d, out, vec[i].want);
	}
	assert_int_equal(anx_jcs_number(NAN, out), -1);
	assert_int_equal(anx_jcs_number(INFINITY, out), -1);
	assert_int_equal(anx_jcs_number(-INFINITY, out), -1);
}

/*
 * json-c integers: JCS numbers are IEEE doubles, so an int64 beyond 2^53
 * canonicalizes as the double it rounds to (documented in jcs.h), the
 * same as JSON.stringify(JSON.parse(text)) in any ECMAScript engine.
 */
static void
test_integers(void **state)
{
	static const struct {
		int64_t i;
		const char *want;
	} vec[] = {
		{ 0, "0" },
		{ 1, "1" },
		{ -1, "-1" },
		{ 123, "123" },
		{ 9007199254740991LL, "9007199254740991" }, /* 2^53 - 1 */
		{ 9007199254740992LL, "9007199254740992" },
		{ 9007199254740993LL, "9007199254740992" }, /* rounds to even */
		{ -9007199254740993LL, "-9007199254740992" },
		{ 9007199254740995LL, "9007199254740996" },
		{ INT64_MAX, "9223372036854776000" }, /* 2^63 - 1 -> 2^63 */
		{ INT64_MIN, "-9223372036854776000" },
		{ 1000000000000000000LL, "1000000000000000000" },
	};
	struct anx_buf b;
	size_t i;

	(void)state;
	anx_buf_init(&b, 0);
	for (i = 0; i < NELEM(vec); i++) {
		json_object *o = json_object_new_int64(vec[i].i);

		assert_string_equal(jcs(o, &b), vec[i].want);
		json_object_put(o);
	}
	/* json-c's uint64 (only built in code; the parser caps at int64). */
	{
		json_object *o = json_object_new_uint64(UINT64_MAX);

		assert_string_equal(jcs(o, &b), "18446744073709552000");
		json_object_put(o);
	}
	/* The same through the parser, and number spellings that agree. */
	{
		static const struct {
			const char *in, *want;
		} txt[] = {
			{ "9007199254740993", "9007199254740992" },
			{ "1.0", "1" },
			{ "1e0", "1" },
			{ "10E-1", "1" },
			{ "0.1e1", "1" },
			{ "-0", "0" },
			{ "-0.0", "0" },
			{ "1E+2", "100" },
			{ "0.000001", "0.000001" },
			{ "1e21", "1e+21" },
			/* Integer literals beyond int64 are refused by the
			 * parser (json-c would clamp them); as a double: */
			{ "123456789012345678901234.0", "1.2345678901234569e+23" },
		};

		for (i = 0; i < NELEM(txt); i++) {
			json_object *o = parse(txt[i].in);

			assert_string_equal(jcs(o, &b), txt[i].want);
			json_object_put(o);
		}
	}
	anx_buf_free(&b);
}

/* RFC 8785 §3.2.3: members sorted by UTF-16 code units of their names. */
static void
test_sorting_rfc(void **state)
{
	const char *in = "{\"\\u20ac\":\"Euro Sign\",\"\\r\":\"Carriage Return\","
			 "\"\\ufb33\":\"Hebrew Letter Dalet With Dagesh\",\"1\":\"One\","
			 "\"\\ud83d\\ude00\":\"Emoji: Grinning Face\",\"\\u0080\":\"Control\","
			 "\"\\u00f6\":\"Latin Small Letter O With Diaeresis\"}";
	const char *want = "{\"\\r\":\"Carriage Return\","
			   "\"1\":\"One\","
			   "\"\xc2\x80\":\"Control\","
			   "\"\xc3\xb6\":\"Latin Small Letter O With Diaeresis\","
			   "\"\xe2\x82\xac\":\"Euro Sign\","
			   "\"\xf0\x9f\x98\x80\":\"Emoji: Grinning Face\","
			   "\"\xef\xac\xb3\":\"Hebrew Letter Dalet With Dagesh\"}";
	struct anx_buf b;
	json_object *o = parse(in);

	(void)state;
	anx_buf_init(&b, 0);
	assert_string_equal(jcs(o, &b), want);
	json_object_put(o);
	anx_buf_free(&b);
}

/* Orderings where UTF-16 and UTF-8 byte order disagree, and prefixes. */
static void
test_sorting_more(void **state)
{
	static const struct {
		const char *in, *want;
	} vec[] = {
		/* U+E000 is after the high surrogate D83D in UTF-16. */
		{ "{\"\\ue000\":1,\"\\ud83d\\ude00\":2}",
			"{\"\xf0\x9f\x98\x80\":2,\"\xee\x80\x80\":1}" },
		{ "{\"\\uffff\":1,\"\\ud800\\udc00\":2}",
			"{\"\xf0\x90\x80\x80\":2,\"\xef\xbf\xbf\":1}" },
		/* Two supplementary characters with the same high surrogate. */
		{ "{\"\\ud83d\\ude01\":1,\"\\ud83d\\ude00\":2}",
			"{\"\xf0\x9f\x98\x80\":2,\"\xf0\x9f\x98\x81\":1}" },
		/* BMP below the surrogates stays in code point order. */
		{ "{\"\\ud7ff\":1,\"\\ud800\\udc00\":2}",
			"{\"\xed\x9f\xbf\":1,\"\xf0\x90\x80\x80\":2}" },
		{ "{\"ab\":1,\"a\":2,\"\":3,\"b\":4,\"B\":5}",
			"{\"\":3,\"B\":5,\"a\":2,\"ab\":1,\"b\":4}" },
		{ "{\"z\":{\"y\":[{\"b\":1,\"a\":2}],\"x\":null},\"a\":[]}",
			"{\"a\":[],\"z\":{\"x\":null,\"y\":[{\"a\":2,\"b\":1}]}}" },
	};
	struct anx_buf b;
	size_t i;

	(void)state;
	anx_buf_init(&b, 0);
	for (i = 0; i < NELEM(vec); i++) {
		json_object *o = parse(vec[i].in);

		assert_string_equal(jcs(o, &b), vec[i].want);
		json_object_put(o);
	}
	anx_buf_free(&b);
}

/* RFC 8785 §3.2.2's example document (numbers, escapes, literals). */
static void
test_rfc_example(void **state)
{
	const char *in =
		"{\n"
		"  \"numbers\": [333333333.33333329, 1E30, 4.50,\n"
		"              2e-3, 0.000000000000000000000000001],\n"
		"  \"string\": \"\\u20ac$\\u000F\\u000aA'\\u0042\\u0022\\u005c\\\\\\\"\\/\",\n"
		"  \"literals\": [null, true, false]\n"
		"}";
	const char *want = "{\"literals\":[null,true,false],"
			   "\"numbers\":[333333333.3333333,1e+30,4.5,0.002,1e-27],"
			   "\"string\":\"\xe2\x82\xac$\\u000f\\nA'B\\\"\\\\\\\\\\\"/\"}";
	struct anx_buf b;
	json_object *o = parse(in);

	(void)state;
	anx_buf_init(&b, 0);
	assert_string_equal(jcs(o, &b), want);
	json_object_put(o);
	anx_buf_free(&b);
}

/*
 * The action_hash input: two spellings of one action (order, spacing,
 * escapes, number forms) canonicalize to the same bytes.
 */
static void
test_action_equivalence(void **state)
{
	const char *a =
		"{\"action\":\"payment\",\"agent_id\":\"ag_1\",\"resource\":\"inv/42\","
		"\"amount\":1250.5,\"currency\":\"EUR\",\"context\":{\"tags\":[\"x\",\"y\"],"
		"\"n\":1}}";
	const char *b = "{ \"context\" : { \"n\" : 1.0, \"tags\" : [ \"\\u0078\", \"y\" ] },\n"
			"  \"currency\":\"\\u0045UR\", \"amount\": 12505e-1, \"resource\":"
			"\"inv\\/42\", \"agent_id\":\"ag_1\", \"action\":\"payment\" }";
	const char *want = "{\"action\":\"payment\",\"agent_id\":\"ag_1\",\"amount\":1250.5,"
			   "\"context\":{\"n\":1,\"tags\":[\"x\",\"y\"]},\"currency\":\"EUR\","
			   "\"resource\":\"inv/42\"}";
	struct anx_buf ba, bb;
	json_object *oa = parse(a), *ob = parse(b);

	(void)state;
	anx_buf_init(&ba, 0);
	anx_buf_init(&bb, 0);
	assert_string_equal(jcs(oa, &ba), want);
	assert_string_equal(jcs(ob, &bb), want);
	json_object_put(oa);
	json_object_put(ob);
	anx_buf_free(&ba);
	anx_buf_free(&bb);
}

/* RFC 8785 §3.2.2.2: only the mandatory escapes, lowercase \u00xx. */
static void
test_strings(void **state)
{
	static const char *ctl[32] = { "\\u0000", "\\u0001", "\\u0002", "\\u0003", "\\u0004",
		"\\u0005", "\\u0006", "\\u0007", "\\b", "\\t", "\\n", "\\u000b", "\\f", "\\r",
		"\\u000e", "\\u000f", "\\u0010", "\\u0011", "\\u0012", "\\u0013", "\\u0014",
		"\\u0015", "\\u0016", "\\u0017", "\\u0018", "\\u0019", "\\u001a", "\\u001b",
		"\\u001c", "\\u001d", "\\u001e", "\\u001f" };
	static const struct {
		const char *raw, *want;
	} vec[] = {
		{ "", "\"\"" },
		{ "plain", "\"plain\"" },
		{ "a\"b", "\"a\\\"b\"" },
		{ "a\\b", "\"a\\\\b\"" },
		{ "a/b", "\"a/b\"" },   /* solidus not escaped */
		{ "\x7f", "\"\x7f\"" }, /* DEL is not a control here */
		{ "\xc2\x80\xe2\x80\xa8", "\"\xc2\x80\xe2\x80\xa8\"" }, /* U+0080, U+2028 */
		{ "\xf0\x9f\x98\x80", "\"\xf0\x9f\x98\x80\"" },
		{ "<script>&'", "\"<script>&'\"" },
	};
	struct anx_buf b;
	char want[16];
	size_t i;

	(void)state;
	anx_buf_init(&b, 0);
	for (i = 0; i < 32; i++) {
		char raw = (char)i;
		json_object *o = json_object_new_string_len(&raw, 1);

		snprintf(want, sizeof(want), "\"%s\"", ctl[i]);
		assert_string_equal(jcs(o, &b), want);
		json_object_put(o);
	}
	for (i = 0; i < NELEM(vec); i++) {
		json_object *o = json_object_new_string(vec[i].raw);

		assert_string_equal(jcs(o, &b), vec[i].want);
		json_object_put(o);
	}
	{
		json_object *o = json_object_new_string_len("a\0b\xc3\xa9", 5);

		assert_string_equal(jcs(o, &b), "\"a\\u0000b\xc3\xa9\"");
		json_object_put(o);
	}
	anx_buf_free(&b);
}

static void
test_literals_and_empty(void **state)
{
	struct anx_buf b;
	json_object *o;

	(void)state;
	anx_buf_init(&b, 0);
	assert_string_equal(jcs(NULL, &b), "null");
	o = json_object_new_boolean(1);
	assert_string_equal(jcs(o, &b), "true");
	json_object_put(o);
	o = json_object_new_boolean(0);
	assert_string_equal(jcs(o, &b), "false");
	json_object_put(o);
	o = parse(" [ {} , [ ] , { \"a\" : [ ] } , null ] ");
	assert_string_equal(jcs(o, &b), "[{},[],{\"a\":[]},null]");
	json_object_put(o);
	/* Serialising appends: the caller's buffer content is kept. */
	anx_buf_reset(&b);
	anx_buf_puts(&b, "x=");
	o = json_object_new_int(7);
	assert_int_equal(anx_jcs_serialize(o, &b), 0);
	assert_string_equal(b.data, "x=7");
	json_object_put(o);
	anx_buf_free(&b);
}

static void
test_errors(void **state)
{
	struct anx_buf b;
	json_object *o, *arr;
	int i;

	(void)state;
	anx_buf_init(&b, 0);
	/* Non-finite numbers. */
	o = json_object_new_double(NAN);
	assert_int_equal(anx_jcs_serialize(o, &b), -1);
	json_object_put(o);
	arr = json_object_new_array();
	json_object_array_add(arr, json_object_new_int(1));
	json_object_array_add(arr, json_object_new_double(-INFINITY));
	anx_buf_reset(&b);
	assert_int_equal(anx_jcs_serialize(arr, &b), -1);
	json_object_put(arr);
	/* Ill-formed UTF-8 in a value and in a key. */
	o = json_object_new_string("\xc0\x80");
	anx_buf_reset(&b);
	assert_int_equal(anx_jcs_serialize(o, &b), -1);
	json_object_put(o);
	o = json_object_new_string("\xed\xa0\x80");
	anx_buf_reset(&b);
	assert_int_equal(anx_jcs_serialize(o, &b), -1);
	json_object_put(o);
	o = json_object_new_object();
	json_object_object_add(o, "ok", json_object_new_int(1));
	json_object_object_add(o, "bad\xff", json_object_new_int(2));
	anx_buf_reset(&b);
	assert_int_equal(anx_jcs_serialize(o, &b), -1);
	json_object_put(o);
	/* Nesting: ANX_JCS_MAX_DEPTH levels pass, one more fails. */
	for (i = ANX_JCS_MAX_DEPTH; i <= ANX_JCS_MAX_DEPTH + 1; i++) {
		json_object *root = json_object_new_array(), *cur = root;
		int k;

		for (k = 1; k < i; k++) {
			json_object *next = json_object_new_array();

			json_object_array_add(cur, next);
			cur = next;
		}
		anx_buf_reset(&b);
		assert_int_equal(anx_jcs_serialize(root, &b), i <= ANX_JCS_MAX_DEPTH ? 0 : -1);
		if (i == ANX_JCS_MAX_DEPTH)
			assert_int_equal(b.len, 2 * (size_t)ANX_JCS_MAX_DEPTH);
		json_object_put(root);
	}
	anx_buf_free(&b);
	/* A buffer limit that is too small fails cleanly; a failed buffer
	 * is refused up front. */
	anx_buf_init(&b, 8);
	o = parse("{\"abcdef\":\"ghijkl\"}");
	assert_int_equal(anx_jcs_serialize(o, &b), -1);
	assert_true(anx_buf_failed(&b));
	assert_int_equal(anx_jcs_serialize(o, &b), -1);
	json_object_put(o);
	anx_buf_free(&b);
	assert_int_equal(anx_jcs_serialize(NULL, NULL), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_number_appendix_b),
		cmocka_unit_test(test_number_format),
		cmocka_unit_test(test_integers),
		cmocka_unit_test(test_sorting_rfc),
		cmocka_unit_test(test_sorting_more),
		cmocka_unit_test(test_rfc_example),
		cmocka_unit_test(test_action_equivalence),
		cmocka_unit_test(test_strings),
		cmocka_unit_test(test_literals_and_empty),
		cmocka_unit_test(test_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
