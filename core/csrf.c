/*
 * csrf.c - CSRF tokens derived from the browser's secret; see csrf.h.
 */
#include "csrf.h"

#include <string.h>

#include "crypto.h"

static const char LABEL[] = "anx-csrf v1";

int
anx_csrf_token(const char *secret, char out[ANX_CSRF_LEN + 1])
{
	unsigned char mac[ANX_SHA256_LEN];
	int rc = -1;

	out[0] = '\0';
	if (secret == NULL || *secret == '\0')
		return -1;
	if (anx_hmac_sha256(secret, strlen(secret), LABEL, sizeof(LABEL) - 1, mac) != 0)
		goto out;
	anx_hex_encode(mac, sizeof(mac), out);
	rc = 0;
out:
	anx_secure_zero(mac, sizeof(mac));
	return rc;
}

int
anx_csrf_equal(const char *expected, const char *presented)
{
	if (expected == NULL || presented == NULL)
		return 0;
	if (strnlen(expected, ANX_CSRF_LEN + 1) != ANX_CSRF_LEN ||
		strnlen(presented, ANX_CSRF_LEN + 1) != ANX_CSRF_LEN)
		return 0;
	return anx_ct_equal(expected, presented, ANX_CSRF_LEN);
}

int
anx_csrf_check(const char *secret, const char *presented)
{
	char want[ANX_CSRF_LEN + 1];
	int ok;

	if (anx_csrf_token(secret, want) != 0)
		return 0;
	ok = anx_csrf_equal(want, presented);
	anx_secure_zero(want, sizeof(want));
	return ok;
}
