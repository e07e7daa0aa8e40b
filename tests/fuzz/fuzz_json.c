/*
 * fuzz_json.c - libFuzzer entry point for the JSON input path: parse with
 * small limits, then on success validate against a small field table,
 * canonicalize (RFC 8785) and dump. It also checks the contracts the
 * rest of the code relies on and aborts when one breaks:
 *
 * - a failed parse returns *out == NULL and exactly one error;
 * - a parsed document is well-formed UTF-8 throughout, so JCS succeeds;
 * - JCS is idempotent: canonicalizing the re-parsed canonical form gives
 *   the same bytes (when the canonical form parses: JCS may print a
 *   large double as a 21-digit integer, which the parser refuses).
 *
 * Built with corpus_main.c it replays tests/fuzz/corpus/fuzz_json; with
 * clang -fsanitize=fuzzer it fuzzes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "jcs.h"
#include "json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const struct anx_json_limits fuzz_limits = {
	4096, /* max_bytes */
	8,    /* max_depth */
	64,   /* max_string */
	256,  /* max_members */
};

/* Generous limits for re-parsing canonical output. */
static const struct anx_json_limits big_limits = {
	1 << 20, /* max_bytes */
	8,       /* max_depth */
	64,      /* max_string */
	256,     /* max_members */
};

static const char *
check_short(json_object *v)
{
	return json_object_get_string_len(v) > 3 ? "is too long for the check" : NULL;
}

static const struct anx_field fuzz_fields[] = {
	{ "action", ANX_FT_STRING, 1, 1, 8, NULL, 0 },
	{ "amount", ANX_FT_NUMBER, 0, 0, 0, NULL, 0 },
	{ "n", ANX_FT_INT, 0, 0, 0, NULL, 1 },
	{ "ok", ANX_FT_BOOL, 0, 0, 0, NULL, 0 },
	{ "context", ANX_FT_OBJECT, 0, 0, 0, NULL, 1 },
	{ "tags", ANX_FT_ARRAY, 0, 1, 4, NULL, 0 },
	{ "cur", ANX_FT_STRING, 0, 0, 0, check_short, 0 },
	{ "any", ANX_FT_ANY, 0, 0, 0, NULL, 0 },
};

/* Canonicalizes text (the output of a previous JCS) again and compares. */
static void
check_idempotent(const char *text, size_t len)
{
	struct anx_verrs e;
	struct anx_buf again;
	json_object *o = NULL;

	anx_verrs_init(&e);
	if (anx_json_parse(text, len, &big_limits, &o, &e) != ANX_OK)
		return;
	anx_buf_init(&again, 0);
	if (anx_jcs_serialize(o, &again) != 0 || again.len != len ||
		memcmp(again.data, text, len) != 0)
		abort();
	anx_buf_free(&again);
	json_object_put(o);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct anx_verrs e;
	struct anx_buf canon;
	json_object *o = (json_object *)&e;
	enum anx_err rc;
	size_t len;
	char *dump;

	anx_verrs_init(&e);
	rc = anx_json_parse((const char *)data, size, &fuzz_limits, &o, &e);
	if (rc != ANX_OK) {
		if (o != NULL || e.n != 1)
			abort();
		return 0;
	}
	if (e.n != 0)
		abort();

	anx_json_validate(o, "", fuzz_fields, sizeof(fuzz_fields) / sizeof(fuzz_fields[0]), &e);
	if (e.n > ANX_VERR_MAX)
		abort();

	anx_buf_init(&canon, 0);
	if (anx_jcs_serialize(o, &canon) != 0)
		abort();
	check_idempotent(canon.data, canon.len);
	anx_buf_free(&canon);

	if ((dump = anx_json_dump(o, &len)) == NULL || strlen(dump) != len)
		abort();
	free(dump);
	json_object_put(o);
	return 0;
}
