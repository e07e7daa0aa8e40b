/*
 * arena.c - per-request bump allocator; see arena.h.
 */
#include "arena.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHUNK_DEFAULT 8192
#define ALIGN         16

struct anx_arena_chunk {
	struct anx_arena_chunk *next;
	size_t used;
	size_t cap;
	_Alignas(16) unsigned char mem[];
};

struct anx_arena_defer {
	struct anx_arena_defer *next;
	void (*fn)(void *);
	void *p;
};

void
anx_arena_init(struct anx_arena *a)
{
	memset(a, 0, sizeof(*a));
}

void
anx_arena_reset(struct anx_arena *a)
{
	struct anx_arena_chunk *c, *cn;
	struct anx_arena_defer *d;

	/* Defers live in the chunks, so run them all before freeing any. */
	for (d = a->defers; d != NULL; d = d->next)
		d->fn(d->p);
	a->defers = NULL;
	for (c = a->chunks; c != NULL; c = cn) {
		cn = c->next;
		free(c);
	}
	a->chunks = NULL;
	a->total = 0;
}

void
anx_arena_free(struct anx_arena *a)
{
	anx_arena_reset(a);
}

void *
anx_arena_alloc(struct anx_arena *a, size_t n)
{
	struct anx_arena_chunk *c = a->chunks;
	size_t need, cap;
	void *p;

	if (n == 0)
		n = 1;
	if (n > SIZE_MAX - ALIGN - sizeof(*c))
		return NULL;
	need = (n + ALIGN - 1) & ~(size_t)(ALIGN - 1);
	if (c == NULL || c->cap - c->used < need) {
		cap = need > CHUNK_DEFAULT ? need : CHUNK_DEFAULT;
		if ((c = malloc(sizeof(*c) + cap)) == NULL)
			return NULL;
		c->used = 0;
		c->cap = cap;
		/* Big one-off chunks go behind the current one to keep using it. */
		if (cap > CHUNK_DEFAULT && a->chunks != NULL) {
			c->next = a->chunks->next;
			a->chunks->next = c;
		} else {
			c->next = a->chunks;
			a->chunks = c;
		}
	}
	p = c->mem + c->used;
	c->used += need;
	a->total += need;
	return p;
}

void *
anx_arena_calloc(struct anx_arena *a, size_t nmemb, size_t size)
{
	void *p;

	if (size && nmemb > SIZE_MAX / size)
		return NULL;
	if ((p = anx_arena_alloc(a, nmemb * size)) != NULL)
		memset(p, 0, nmemb * size);
	return p;
}

char *
anx_arena_strndup(struct anx_arena *a, const char *s, size_t n)
{
	char *p;

	if (n == SIZE_MAX || (p = anx_arena_alloc(a, n + 1)) == NULL)
		return NULL;
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *
anx_arena_strdup(struct anx_arena *a, const char *s)
{
	return anx_arena_strndup(a, s, strlen(s));
}

char *
anx_arena_printf(struct anx_arena *a, const char *fmt, ...)
{
	va_list ap;
	int n;
	char *p;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || (p = anx_arena_alloc(a, (size_t)n + 1)) == NULL)
		return NULL;
	va_start(ap, fmt);
	vsnprintf(p, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return p;
}

void *
anx_arena_defer(struct anx_arena *a, void (*fn)(void *), void *p)
{
	struct anx_arena_defer *d;

	if (p == NULL)
		return NULL;
	if ((d = anx_arena_alloc(a, sizeof(*d))) == NULL) {
		fn(p);
		return NULL;
	}
	d->fn = fn;
	d->p = p;
	d->next = a->defers;
	a->defers = d;
	return p;
}
