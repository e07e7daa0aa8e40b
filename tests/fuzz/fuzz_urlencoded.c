/*
 * fuzz_urlencoded.c - libFuzzer entry point for anx_parse_urlencoded()
 * (query strings and form bodies) and anx_req_form() over it. Besides not
 * crashing or leaking, every accepted result must keep the parser's
 * promises; a broken promise aborts.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Aborts unless l holds at most ANX_MAX_KV bounded, valid UTF-8 pairs. */
static void
check_list(const struct anx_kvlist *l)
{
	size_t i, klen;

	if (l->n > ANX_MAX_KV)
		abort();
	for (i = 0; i < l->n; i++) {
		klen = strlen(l->items[i].key);
		if (klen > ANX_MAX_KEY || !anx_utf8_valid(l->items[i].key, klen))
			abort();
		if (l->items[i].vlen > ANX_MAX_VALUE ||
			strlen(l->items[i].val) != l->items[i].vlen ||
			!anx_utf8_valid(l->items[i].val, l->items[i].vlen))
			abort();
	}
	if (l->n > 0 && anx_kv_get(l, l->items[0].key) != l->items[0].val)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct anx_arena a;
	struct anx_kvlist l;
	const struct anx_kvlist *form;
	struct anx_req req;
	enum anx_err rc;
	enum anx_err frc;
	char *body;

	anx_arena_init(&a);

	/* data is not NUL-terminated: the parser must stay within size. */
	rc = anx_parse_urlencoded(&a, (const char *)data, size, &l);
	if (rc == ANX_OK)
		check_list(&l);
	else if ((rc != ANX_ERR_INVALID && rc != ANX_ERR_NOMEM) || l.n != 0 || l.items != NULL)
		abort();

	/* The same bytes as a form body, as fcgi/main.c hands it over. */
	if ((body = anx_arena_strndup(&a, (const char *)data, size)) != NULL) {
		memset(&req, 0, sizeof(req));
		req.arena = &a;
		req.content_type = "application/x-www-form-urlencoded";
		req.body = body;
		req.body_len = size;
		frc = anx_req_form(&req, &form);
		if (frc != rc && frc != ANX_ERR_NOMEM && rc != ANX_ERR_NOMEM)
			abort();
		if (frc == ANX_OK && rc == ANX_OK && form->n != l.n)
			abort();
	}

	anx_arena_free(&a);
	return 0;
}
