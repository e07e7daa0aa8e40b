/*
 * fuzz_template.c - compiles the input as a Mustache template and renders
 * it against a small fixed context. The input is also registered as the
 * partial "t" (itself) next to a fixed partial "p", so {{>t}} exercises
 * the recursion bounds. Build with clang -fsanitize=fuzzer for real
 * fuzzing; corpus_main.c runs the seed corpus in ctest.
 */
#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "buf.h"
#include "template.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char context[] = "{\"a\":\"x<&>\\\"'\",\"b\":true,\"c\":false,\"n\":null,"
			      "\"i\":42,\"d\":1.5,\"s\":\"\","
			      "\"l\":[1,\"two\",{\"a\":\"A\",\"l\":[[],[0]]}],\"e\":[],"
			      "\"o\":{\"p\":{\"q\":\"deep\"},\"a\":\"inner\"},\"a.b\":\"dotted\"}";

static const char partial[] = "[{{a}}|{{#l}}{{.}}{{/l}}]\n  {{#o}}\n  {{p.q}}\n  {{/o}}\n";

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct anx_tmpl_set *set;
	struct anx_buf out;
	json_object *ctx;
	char err[256];

	if ((set = anx_tmpl_set_new()) == NULL)
		return 0;
	ctx = json_tokener_parse(context);
	anx_buf_init(&out, 1 << 16); /* small: fills fast, keeps fuzzing quick */
	if (anx_tmpl_add(set, "p", partial, sizeof(partial) - 1, err, sizeof(err)) == 0 &&
		anx_tmpl_add(set, "t", (const char *)data, size, err, sizeof(err)) == 0) {
		anx_tmpl_render(set, "t", ctx, &out);
		anx_buf_reset(&out);
		anx_tmpl_render(set, "p", NULL, &out);
	}
	anx_buf_free(&out);
	json_object_put(ctx);
	anx_tmpl_set_free(set);
	return 0;
}
