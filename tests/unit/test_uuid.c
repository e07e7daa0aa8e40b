/*
 * test_uuid.c - anx_uuid_v4 and anx_uuid_v7 (auth.c): canonical form,
 * version and variant bits, and v7's millisecond time prefix, which keeps
 * ids created later sorting after earlier ones.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "auth.h"

static unsigned long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (unsigned long long)ts.tv_sec * 1000ULL + (unsigned long long)(ts.tv_nsec / 1000000);
}

/* The 48-bit millisecond prefix of a v7 id. */
static unsigned long long
prefix_ms(const char *id)
{
	char hex[13];

	memcpy(hex, id, 8);
	memcpy(hex + 8, id + 9, 4);
	hex[12] = '\0';
	return strtoull(hex, NULL, 16);
}

static void
test_v4(void **state)
{
	char a[37], b[37];

	(void)state;
	assert_int_equal(anx_uuid_v4(a), 0);
	assert_int_equal(anx_uuid_v4(b), 0);
	assert_true(anx_uuid_valid(a));
	assert_int_equal(a[14], '4');
	assert_non_null(strchr("89ab", a[19]));
	assert_string_not_equal(a, b);
}

static void
test_v7(void **state)
{
	char prev[37] = "", id[37];
	unsigned long long before = now_ms(), after;

	(void)state;
	for (int i = 0; i < 2000; i++) {
		assert_int_equal(anx_uuid_v7(id), 0);
		assert_int_equal(strlen(id), 36);
		assert_true(anx_uuid_valid(id));
		assert_int_equal(id[14], '7');
		assert_non_null(strchr("89ab", id[19]));
		assert_string_not_equal(id, prev);
		if (prev[0])
			assert_true(prefix_ms(id) >= prefix_ms(prev));
		memcpy(prev, id, sizeof(id));
	}
	after = now_ms();
	assert_true(prefix_ms(id) >= before && prefix_ms(id) <= after);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_v4),
		cmocka_unit_test(test_v7),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
