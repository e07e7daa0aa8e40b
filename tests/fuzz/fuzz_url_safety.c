/*
 * fuzz_url_safety.c - libFuzzer entry point for the webhook URL policy
 * (anx_url_check over libcurl's URL parser) and the inet_aton-style IPv4
 * parser. Besides not crashing or leaking, an accepted URL must keep the
 * policy's promises, and the permissive policy must accept whatever the
 * strict one does; a broken promise aborts.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "url_safety.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct anx_url_policy strict = { 1, NULL, 0 }, permissive = { 0, NULL, 0 };
	struct anx_url_target t;
	unsigned char a[4], b[4];
	char *s, text[ANX_URL_ADDR_TEXT];
	enum anx_url_reason r;

	if (size > ANX_URL_MAX_LEN + 16 || (s = malloc(size + 1)) == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	r = anx_url_check(s, &strict, &t);
	if (r == ANX_URL_OK) {
		if (strcmp(t.scheme, "https") != 0 || t.port != 443 || t.host[0] == '\0')
			abort();
		if (t.is_ip && anx_url_check_addr(&t.ip, 1) != ANX_URL_OK)
			abort();
		if (!t.is_ip && (strchr(t.host, '.') == NULL || strcmp(t.host, "localhost") == 0))
			abort();
		if (anx_url_check(s, &permissive, NULL) != ANX_URL_OK)
			abort();
	}
	if ((unsigned)anx_url_check(s, &permissive, NULL) >= ANX_URL_REASON__MAX)
		abort();
	/* The IPv4 parser: a parsed address reads back as itself. */
	if (anx_url_parse_ipv4(s, a)) {
		struct anx_url_addr addr = { AF_INET, { 0 } };

		memcpy(addr.a, a, 4);
		anx_url_addr_format(&addr, text);
		if (!anx_url_parse_ipv4(text, b) || memcmp(a, b, 4) != 0)
			abort();
	}
	free(s);
	return 0;
}
