/*
 * docs.h - the Markdown files of docs/ (anx_cfg.docs_dir) as HTML, for
 * /docs and /docs/{name}.
 *
 * Rendering uses libcmark (Debian's 0.30: safe by default): raw HTML in
 * the Markdown is replaced by a comment and javascript:/vbscript:/file:/
 * data: link targets are dropped, so a document cannot put markup or
 * script on the page. Relative links to another document ("API.md",
 * "./API.md#keys") become links to its page ("/docs/API#keys").
 *
 * A document is a file NAME.md with NAME of [A-Za-z0-9_-]{1,64}, at most
 * ANX_DOC_MAX_BYTES; other files are ignored. Its title is the text of its
 * first level-1 heading (else NAME), its summary the first paragraph's
 * text (cut at ~180 characters).
 */
#ifndef ANX_DOCS_H
#define ANX_DOCS_H

#include <stddef.h>

#define ANX_DOC_NAME_MAX  64
#define ANX_DOC_MAX_BYTES (1024 * 1024)
#define ANX_DOCS_MAX      200

struct anx_doc {
	char name[ANX_DOC_NAME_MAX + 1];
	char *title;   /* plain text (not escaped) */
	char *summary; /* plain text, may be "" */
	char *html;    /* safe HTML, insert unescaped */
};

struct anx_docs {
	struct anx_doc *items; /* sorted by title */
	size_t n;
};

/*
 * Loads every document of dir into a new set (caller frees with
 * anx_docs_free). A missing directory gives an empty set; NULL only when
 * out of memory.
 */
struct anx_docs *anx_docs_load(const char *dir);
void anx_docs_free(struct anx_docs *d);

/*
 * The set for dir, loaded on first use and kept for the life of the
 * process (the files do not change while a worker runs; a restart picks
 * up new ones). Returns NULL when out of memory.
 */
const struct anx_docs *anx_docs_cached(const char *dir);

/* The document called name (exact, case-sensitive), or NULL. */
const struct anx_doc *anx_docs_find(const struct anx_docs *d, const char *name);

/* 1 if name is a valid document name. */
int anx_doc_name_valid(const char *name);

/*
 * Renders one Markdown text (len bytes) into doc (name must already be
 * set): title, summary and safe HTML, links to the documents known[0..nknown)
 * rewritten to /docs/NAME. Returns 0, or -1 when out of memory.
 */
int anx_doc_render(
	struct anx_doc *doc, const char *md, size_t len, const char *const *known, size_t nknown);

#endif
