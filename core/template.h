/*
 * template.h - a Mustache template engine (https://mustache.github.io/
 * mustache.5.html) that passes the official spec suites in
 * tests/data/mustache-spec/ (comments, delimiters, interpolation, inverted,
 * partials, sections). Data is a json-c value.
 *
 * Templates are parsed once into a compiled form; rendering walks it. A set
 * holds every *.mustache file of a directory (recursively), named by its
 * relative path without the extension ("layout", "partials/nav"); partials
 * ({{> name}}) resolve within the set. Sets are loaded once per worker at
 * start and are read-only afterwards.
 *
 * Escaping: {{x}} is HTML-escaped (& < > " '), {{{x}}} and {{& x}} are not.
 */
#ifndef ANX_TEMPLATE_H
#define ANX_TEMPLATE_H

#include <stddef.h>

#include <json-c/json.h>

#include "buf.h"

struct anx_tmpl_set;

/* Loads every *.mustache under dir. Returns 0, or -1 with a message naming
 * the file and line in err. *out is freed with anx_tmpl_set_free(). */
int anx_tmpl_load_dir(struct anx_tmpl_set **out, const char *dir, char *err, size_t errlen);

/* Creates an empty set and adds a template from memory (tests, partials). */
struct anx_tmpl_set *anx_tmpl_set_new(void);
int anx_tmpl_add(struct anx_tmpl_set *set, const char *name, const char *src, size_t n, char *err,
	size_t errlen);
void anx_tmpl_set_free(struct anx_tmpl_set *set);

/* 1 if the set has a template called name. */
int anx_tmpl_has(const struct anx_tmpl_set *set, const char *name);

/* Renders template name with ctx into out (appending). Returns 0, or -1 if
 * the name is unknown, the output buffer failed, partials nest deeper than
 * 64, sections and partials together nest deeper than 1024, or one render
 * runs more than 16M instructions (runaway recursive partials). On -1 out
 * may hold partial output. A missing partial renders as empty, per the
 * spec. Falsey: false, null, missing, empty list ("" and 0 are truthy, as
 * mustache(5) says). */
int anx_tmpl_render(
	const struct anx_tmpl_set *set, const char *name, json_object *ctx, struct anx_buf *out);

#endif
