/*
 * arena.h - a per-request bump allocator (after lwan's coro_malloc).
 *
 * Everything allocated from an arena lives until anx_arena_reset() or
 * anx_arena_free(), which release it all at once, so "free everything at the
 * end of the request" is one line. anx_arena_defer() registers a destructor
 * (e.g. json_object_put) that runs, newest first, at reset/free.
 *
 * Allocation failure returns NULL; callers map it to ANX_ERR_NOMEM.
 */
#ifndef ANX_ARENA_H
#define ANX_ARENA_H

#include <stdarg.h>
#include <stddef.h>

struct anx_arena_chunk;
struct anx_arena_defer;

struct anx_arena {
	struct anx_arena_chunk *chunks;
	struct anx_arena_defer *defers;
	size_t total; /* bytes handed out, for limits and metrics */
};

void anx_arena_init(struct anx_arena *a);
void anx_arena_reset(struct anx_arena *a); /* runs defers, frees chunks */
void anx_arena_free(struct anx_arena *a);  /* same as reset */

void *anx_arena_alloc(struct anx_arena *a, size_t n); /* 16-aligned */
void *anx_arena_calloc(struct anx_arena *a, size_t nmemb, size_t size);
char *anx_arena_strdup(struct anx_arena *a, const char *s);
char *anx_arena_strndup(struct anx_arena *a, const char *s, size_t n);
char *anx_arena_printf(struct anx_arena *a, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Registers fn(p) to run at reset; returns p, or NULL (after running fn(p)
 * at once) if the registration itself could not be allocated. */
void *anx_arena_defer(struct anx_arena *a, void (*fn)(void *), void *p);

#endif
