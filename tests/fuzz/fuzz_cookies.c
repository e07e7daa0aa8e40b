/*
 * fuzz_cookies.c - libFuzzer entry point for the header parsers:
 * anx_parse_cookies() (Cookie) and anx_media_type_is() (Content-Type).
 * The input is made a C string as FastCGI parameters are (it ends at the
 * first NUL). Every accepted cookie list must keep the parser's promises;
 * a broken promise aborts.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Aborts unless l is a list of bounded, trimmed, valid UTF-8 cookies. */
static void
check_cookies(const struct anx_kvlist *l)
{
	size_t i, klen;

	if (l->n > ANX_MAX_KV)
		abort();
	for (i = 0; i < l->n; i++) {
		const char *k = l->items[i].key;

		klen = strlen(k);
		if (klen == 0 || klen > ANX_MAX_KEY || !anx_utf8_valid(k, klen))
			abort();
		if (strchr(k, ';') != NULL || strchr(k, '=') != NULL || k[0] == ' ' ||
			k[klen - 1] == ' ')
			abort();
		if (l->items[i].vlen > ANX_MAX_VALUE ||
			strlen(l->items[i].val) != l->items[i].vlen ||
			strchr(l->items[i].val, ';') != NULL ||
			!anx_utf8_valid(l->items[i].val, l->items[i].vlen))
			abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct anx_arena a;
	struct anx_kvlist l;
	enum anx_err rc;
	char *s;

	if ((s = malloc(size + 1)) == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	anx_arena_init(&a);

	rc = anx_parse_cookies(&a, s, &l);
	if (rc == ANX_OK)
		check_cookies(&l);
	else if ((rc != ANX_ERR_INVALID && rc != ANX_ERR_NOMEM) || l.n != 0 || l.items != NULL)
		abort();

	/* A match implies the type is there, at the start after OWS. */
	if (anx_media_type_is(s, "application/json") && strcasestr(s, "application/json") == NULL)
		abort();
	(void)anx_media_type_is(s, "application/x-www-form-urlencoded");
	(void)anx_media_type_is(s, s);

	anx_arena_free(&a);
	free(s);
	return 0;
}
