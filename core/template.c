/*
 * template.c - a Mustache template engine; see template.h.
 *
 * A template is compiled once into a flat array of nodes plus one string
 * pool that holds its literal text, its names (split on '.', each segment
 * NUL-terminated) and its partial names and indentation. A section node
 * records the index one past its body, so the body is the node range
 * (i, end) and rendering is a walk over ranges that allocates nothing of
 * its own (only the output buffer grows): the context stack and the partial
 * indentation live in linked frames on the C stack.
 *
 * Standalone lines (mustache(5) and the spec's "standalone" rules): a
 * section, inverted, close, comment, partial or set-delimiter tag that is
 * the only non-blank thing on its line removes the whole line (its leading
 * blanks and its line ending) at compile time. A standalone partial keeps
 * the removed blanks as its indentation, which is prepended to every line
 * of the partial when it renders. Line starts are marked at compile time by
 * OP_INDENT nodes (one per line start that is followed by a tag or text on
 * the same line) and, inside a text node, by its newlines, so indentation
 * costs nothing outside indented partials.
 *
 * Truthiness follows mustache(5): false, null, a missing name and an empty
 * list are falsey; everything else, including "" and 0, is truthy.
 *
 * Bounds: sources are at most TMPL_MAX_SRC bytes, sections nest at most
 * TMPL_MAX_NEST deep per template, partials nest at most TMPL_MAX_PARTIAL
 * deep at render time, sections and partials together nest at most
 * TMPL_MAX_FRAMES deep (bounding the C stack), and one render visits at
 * most TMPL_MAX_STEPS nodes (recursive partials can otherwise do
 * exponential work with no output).
 * The output size is bounded by the caller's anx_buf max.
 */
#include "template.h"
#include "jcs.h"

#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define TMPL_MAX_SRC      (1024 * 1024) /* bytes per template source */
#define TMPL_MAX_NEST     64            /* sections open at once, per template */
#define TMPL_MAX_PARTIAL  64            /* partials nested at render time */
#define TMPL_MAX_FRAMES   1024          /* sections + partials nested at render time */
#define TMPL_MAX_STEPS    (1UL << 24)   /* nodes visited per render */
#define TMPL_MAX_DELIM    16            /* bytes per tag delimiter */
#define TMPL_MAX_NAME     1024          /* bytes per template or tag name */
#define TMPL_MAX_TMPLS    4096          /* templates per set */
#define TMPL_MAX_DIRDEPTH 16            /* directory nesting under the root */
#define TMPL_MAX_DIRENTS  65536         /* directory entries examined per load */
#define TMPL_EXT          ".mustache"

enum op {
	OP_TEXT,     /* literal bytes */
	OP_INDENT,   /* a source line starts: emit the partial indentation */
	OP_VAR,      /* {{name}}: HTML-escaped value */
	OP_RAW,      /* {{{name}}} or {{&name}}: raw value */
	OP_SECTION,  /* {{#name}} body {{/name}} */
	OP_INVERTED, /* {{^name}} body {{/name}} */
	OP_PARTIAL,  /* {{>name}} */
};

struct node {
	enum op op;
	int standalone; /* OP_PARTIAL: the tag stood alone on its line */
	size_t off;     /* pool offset: text, first name segment, partial name */
	size_t len;     /* OP_TEXT: bytes; OP_PARTIAL: name bytes */
	size_t nseg;    /* name segments; 0 means "." */
	size_t end;     /* OP_SECTION, OP_INVERTED: index one past the body */
	size_t ioff;    /* OP_PARTIAL: pool offset of the indentation */
	size_t ilen;    /* OP_PARTIAL: indentation bytes */
};

struct tmpl {
	char *name;
	size_t hash;
	struct node *nodes;
	size_t nnodes;
	char *pool;
	struct tmpl *next; /* hash chain */
};

struct anx_tmpl_set {
	struct tmpl **bucket;
	size_t nbucket; /* a power of two */
	size_t count;
};

/* An open section while parsing. */
struct open {
	size_t node;      /* index of its OP_SECTION/OP_INVERTED node */
	const char *name; /* into the source */
	size_t namelen;
	size_t line;
};

struct parser {
	const char *label; /* names the source in messages */
	const char *src;
	size_t n;
	size_t pos;     /* first unparsed byte */
	size_t lineno;  /* line number of linepos */
	size_t linepos; /* line counting has reached here */
	int bol;        /* at a line start with no OP_INDENT emitted yet */
	char otag[TMPL_MAX_DELIM];
	size_t olen;
	char ctag[TMPL_MAX_DELIM];
	size_t clen;
	struct open stack[TMPL_MAX_NEST];
	size_t depth;
	struct node *nodes;
	size_t nnodes;
	size_t cap;
	struct anx_buf pool;
	char *err;
	size_t errlen;
};

/* A context stack entry while rendering. */
struct frame {
	json_object *val;
	const struct frame *up;
};

/* One level of partial indentation; the full indentation is the chain
 * from the outermost level down. */
struct indent {
	const char *s;
	size_t n;
	const struct indent *up;
};

struct render {
	struct anx_buf *out;
	const struct anx_tmpl_set *set;
	size_t steps;    /* nodes visited */
	size_t partials; /* partials nested now */
	size_t frames;   /* sections + partials nested now */
};

static int render_range(struct render *, const struct tmpl *, size_t, size_t, const struct frame *,
	const struct indent *);

/*
 * Writes "label:line: message" into err (if errlen > 0); a message that
 * does not fit is truncated, which is harmless for a diagnostic.
 */
static void __attribute__((format(printf, 5, 6)))
seterr(char *err, size_t errlen, const char *label, size_t line, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (err == NULL || errlen == 0)
		return;
	if (line > 0)
		n = snprintf(err, errlen, "%s:%zu: ", label, line);
	else
		n = snprintf(err, errlen, "%s: ", label);
	if (n < 0 || (size_t)n >= errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err + n, errlen - (size_t)n, fmt, ap);
	va_end(ap);
}

static int
isblank_c(char c)
{
	return c == ' ' || c == '\t';
}

static int
isspace_c(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

/* FNV-1a over a NUL-terminated name. */
static size_t
hash_name(const char *s)
{
	uint64_t h = 14695981039346656037ULL;

	for (; *s != '\0'; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211ULL;
	}
	return (size_t)h;
}

/*
 * Returns the 1-based line of source offset pos. Offsets must not go
 * backwards between calls, so the whole parse counts lines once.
 */
static size_t
line_at(struct parser *p, size_t pos)
{
	const char *nl;

	while (p->linepos < pos) {
		nl = memchr(p->src + p->linepos, '\n', pos - p->linepos);
		if (nl == NULL)
			break;
		p->lineno++;
		p->linepos = (size_t)(nl - p->src) + 1;
	}
	if (p->linepos < pos)
		p->linepos = pos;
	return p->lineno;
}

/*
 * Appends a zeroed node with operation op. Returns its index, or -1 (with
 * the parser's error set) if memory runs out. Node pointers are invalidated
 * by the next call.
 */
static int
add_node(struct parser *p, enum op op, size_t line, size_t *idx)
{
	struct node *v;
	size_t ncap;

	if (p->nnodes == p->cap) {
		ncap = p->cap ? p->cap * 2 : 32;
		if ((v = reallocarray(p->nodes, ncap, sizeof(*v))) == NULL) {
			seterr(p->err, p->errlen, p->label, line, "out of memory");
			return -1;
		}
		p->nodes = v;
		p->cap = ncap;
	}
	*idx = p->nnodes++;
	memset(&p->nodes[*idx], 0, sizeof(p->nodes[*idx]));
	p->nodes[*idx].op = op;
	return 0;
}

/* Emits an OP_INDENT node if the parser stands at an unmarked line start. */
static int
mark_bol(struct parser *p, size_t line)
{
	size_t idx;

	if (!p->bol)
		return 0;
	p->bol = 0;
	return add_node(p, OP_INDENT, line, &idx);
}

/*
 * Emits source bytes [a, b) as an OP_TEXT node (nothing if empty), after
 * an OP_INDENT node if the text starts a line. Returns 0 or -1.
 */
static int
flush_text(struct parser *p, size_t a, size_t b)
{
	size_t idx;

	if (b <= a)
		return 0;
	if (mark_bol(p, p->lineno) == -1 || add_node(p, OP_TEXT, p->lineno, &idx) == -1)
		return -1;
	p->nodes[idx].off = p->pool.len;
	p->nodes[idx].len = b - a;
	anx_buf_add(&p->pool, p->src + a, b - a);
	p->bol = p->src[b - 1] == '\n';
	return 0;
}

/*
 * Checks a tag name (already trimmed) and stores it in the pool: "." as no
 * segment, otherwise each '.'-separated segment NUL-terminated. Names are
 * non-empty, at most TMPL_MAX_NAME bytes, free of blanks and control bytes,
 * with no empty segment. Returns 0, or -1 with the error set.
 */
static int
store_name(struct parser *p, const char *s, size_t len, size_t line, size_t *off, size_t *nseg)
{
	size_t i, start;

	if (len == 0) {
		seterr(p->err, p->errlen, p->label, line, "empty tag name");
		return -1;
	}
	if (len > TMPL_MAX_NAME) {
		seterr(p->err, p->errlen, p->label, line, "tag name longer than %d bytes",
			TMPL_MAX_NAME);
		return -1;
	}
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c <= 0x20 || c == 0x7f) {
			seterr(p->err, p->errlen, p->label, line,
				"bad tag name (blank or control byte)");
			return -1;
		}
	}
	*off = p->pool.len;
	*nseg = 0;
	if (len == 1 && s[0] == '.')
		return 0;
	for (start = 0, i = 0; i <= len; i++) {
		if (i < len && s[i] != '.')
			continue;
		if (i == start) {
			seterr(p->err, p->errlen, p->label, line, "bad tag name \"%.*s\"", (int)len,
				s);
			return -1;
		}
		anx_buf_add(&p->pool, s + start, i - start);
		anx_buf_putc(&p->pool, '\0');
		(*nseg)++;
		start = i + 1;
	}
	return 0;
}

/*
 * Handles {{=open close=}}: content (trimmed) is two blank-free words of
 * 1..TMPL_MAX_DELIM bytes separated by blanks. Returns 0 or -1.
 */
static int
set_delims(struct parser *p, const char *s, size_t len, size_t line)
{
	size_t a, i = 0, olen, clen;

	while (i < len && !isspace_c(s[i]))
		i++;
	olen = i;
	while (i < len && isspace_c(s[i]))
		i++;
	a = i;
	while (i < len && !isspace_c(s[i]))
		i++;
	clen = i - a;
	if (i != len || olen == 0 || clen == 0 || olen > TMPL_MAX_DELIM || clen > TMPL_MAX_DELIM) {
		seterr(p->err, p->errlen, p->label, line,
			"bad delimiter set (want two words of 1-%d bytes)", TMPL_MAX_DELIM);
		return -1;
	}
	memcpy(p->otag, s, olen);
	p->olen = olen;
	memcpy(p->ctag, s + a, clen);
	p->clen = clen;
	return 0;
}

/* Handles {{#name}} and {{^name}}: opens a section. Returns 0 or -1. */
static int
open_section(struct parser *p, enum op op, const char *s, size_t len, size_t line)
{
	size_t off, nseg, idx;

	if (p->depth == TMPL_MAX_NEST) {
		seterr(p->err, p->errlen, p->label, line, "sections nest deeper than %d",
			TMPL_MAX_NEST);
		return -1;
	}
	if (store_name(p, s, len, line, &off, &nseg) == -1 || add_node(p, op, line, &idx) == -1)
		return -1;
	p->nodes[idx].off = off;
	p->nodes[idx].nseg = nseg;
	p->stack[p->depth].node = idx;
	p->stack[p->depth].name = s;
	p->stack[p->depth].namelen = len;
	p->stack[p->depth].line = line;
	p->depth++;
	return 0;
}

/* Handles {{/name}}: closes the innermost section. Returns 0 or -1. */
static int
close_section(struct parser *p, const char *s, size_t len, size_t line)
{
	const struct open *o;

	if (len == 0) {
		seterr(p->err, p->errlen, p->label, line, "empty tag name");
		return -1;
	}
	if (len > TMPL_MAX_NAME)
		len = TMPL_MAX_NAME; /* only shortens the message */
	if (p->depth == 0) {
		seterr(p->err, p->errlen, p->label, line,
			"close tag {{/%.*s}} without an open section", (int)len, s);
		return -1;
	}
	o = &p->stack[p->depth - 1];
	if (o->namelen != len || memcmp(o->name, s, len) != 0) {
		seterr(p->err, p->errlen, p->label, line,
			"mismatched close tag {{/%.*s}}, expected {{/%.*s}} (opened at line %zu)",
			(int)len, s, (int)o->namelen, o->name, o->line);
		return -1;
	}
	p->nodes[o->node].end = p->nnodes;
	p->depth--;
	return 0;
}

/*
 * Handles {{>name}}. A standalone partial keeps the blanks before it,
 * source bytes [ls, ts), as its indentation. Returns 0 or -1.
 */
static int
add_partial(struct parser *p, const char *s, size_t len, int standalone, size_t ls, size_t ts,
	size_t line)
{
	size_t i, idx;

	if (len == 0 || len > TMPL_MAX_NAME) {
		seterr(p->err, p->errlen, p->label, line, "bad partial name");
		return -1;
	}
	for (i = 0; i < len; i++) {
		if ((unsigned char)s[i] <= 0x20 || s[i] == 0x7f) {
			seterr(p->err, p->errlen, p->label, line, "bad partial name");
			return -1;
		}
	}
	if (add_node(p, OP_PARTIAL, line, &idx) == -1)
		return -1;
	p->nodes[idx].standalone = standalone;
	p->nodes[idx].off = p->pool.len;
	p->nodes[idx].len = len;
	anx_buf_add(&p->pool, s, len);
	anx_buf_putc(&p->pool, '\0');
	if (standalone && ts > ls) {
		p->nodes[idx].ioff = p->pool.len;
		p->nodes[idx].ilen = ts - ls;
		anx_buf_add(&p->pool, p->src + ls, ts - ls);
	}
	return 0;
}

/*
 * Parses the whole source into p->nodes and p->pool. Returns 0, or -1 with
 * "label:line: message" in p->err.
 */
static int
parse(struct parser *p)
{
	const char *src = p->src, *hit;
	size_t n = p->n;

	while (p->pos < n) {
		char cbuf[TMPL_MAX_DELIM + 1];
		size_t ts, q, cs, te, a, b, ls = 0, after = 0, cblen, line, idx;
		int type, standalone = 0;

		hit = memmem(src + p->pos, n - p->pos, p->otag, p->olen);
		if (hit == NULL) {
			if (flush_text(p, p->pos, n) == -1)
				return -1;
			p->pos = n;
			break;
		}
		ts = (size_t)(hit - src);
		line = line_at(p, ts);

		/* The tag's type, then its closing sequence. */
		q = ts + p->olen;
		type = q < n ? (unsigned char)src[q] : 0;
		switch (type) {
		case '{':
		case '&':
		case '#':
		case '^':
		case '/':
		case '!':
		case '>':
		case '=': q++; break;
		default: type = 0; break;
		}
		cblen = 0;
		if (type == '{' || type == '=')
			cbuf[cblen++] = type == '{' ? '}' : '=';
		memcpy(cbuf + cblen, p->ctag, p->clen);
		cblen += p->clen;
		hit = memmem(src + q, n - q, cbuf, cblen);
		if (hit == NULL) {
			seterr(p->err, p->errlen, p->label, line, "unclosed tag (no \"%.*s\")",
				(int)cblen, cbuf);
			return -1;
		}
		cs = (size_t)(hit - src);
		te = cs + cblen;
		for (a = q, b = cs; a < b && isspace_c(src[a]); a++)
			continue;
		while (b > a && isspace_c(src[b - 1]))
			b--;

		/* Standalone: only blanks around the tag on its line. */
		if (type != 0 && type != '{' && type != '&') {
			for (ls = ts; ls > p->pos && isblank_c(src[ls - 1]); ls--)
				continue;
			if (ls == 0 || src[ls - 1] == '\n') {
				for (after = te; after < n && isblank_c(src[after]); after++)
					continue;
				if (after < n && src[after] == '\r' && after + 1 < n &&
					src[after + 1] == '\n')
					after++;
				if (after == n) {
					standalone = 1;
				} else if (src[after] == '\n') {
					standalone = 1;
					after++;
				}
			}
		}

		if (flush_text(p, p->pos, standalone ? ls : ts) == -1)
			return -1;
		if (!standalone && mark_bol(p, line) == -1)
			return -1;

		switch (type) {
		case '!': break;
		case '=':
			if (set_delims(p, src + a, b - a, line) == -1)
				return -1;
			break;
		case '#':
		case '^':
			if (open_section(p, type == '#' ? OP_SECTION : OP_INVERTED, src + a, b - a,
				    line) == -1)
				return -1;
			break;
		case '/':
			if (close_section(p, src + a, b - a, line) == -1)
				return -1;
			break;
		case '>':
			if (add_partial(p, src + a, b - a, standalone, ls, ts, line) == -1)
				return -1;
			break;
		default: {
			size_t off, nseg;

			if (store_name(p, src + a, b - a, line, &off, &nseg) == -1 ||
				add_node(p, type == 0 ? OP_VAR : OP_RAW, line, &idx) == -1)
				return -1;
			p->nodes[idx].off = off;
			p->nodes[idx].nseg = nseg;
			break;
		}
		}
		p->pos = standalone ? after : te;
		if (standalone)
			p->bol = 1;
	}
	if (p->depth > 0) {
		const struct open *o = &p->stack[p->depth - 1];

		seterr(p->err, p->errlen, p->label, o->line, "unclosed section {{%c%.*s}}",
			p->nodes[o->node].op == OP_SECTION ? '#' : '^', (int)o->namelen, o->name);
		return -1;
	}
	if (anx_buf_failed(&p->pool)) {
		seterr(p->err, p->errlen, p->label, 0, "out of memory");
		return -1;
	}
	return 0;
}

static void
tmpl_free(struct tmpl *t)
{
	if (t == NULL)
		return;
	free(t->name);
	free(t->nodes);
	free(t->pool);
	free(t);
}

/*
 * Compiles src (n bytes, at most TMPL_MAX_SRC, may hold NUL bytes) into a
 * template called name; label names the source in error messages. Returns
 * the template (the caller owns it, free with tmpl_free()), or NULL with a
 * message in err.
 */
static struct tmpl *
compile(const char *name, const char *label, const char *src, size_t n, char *err, size_t errlen)
{
	struct parser p;
	struct tmpl *t = NULL, *rv = NULL;

	memset(&p, 0, sizeof(p));
	anx_buf_init(&p.pool, 0);
	p.label = label;
	p.src = src;
	p.n = n;
	p.lineno = 1;
	p.bol = 1;
	memcpy(p.otag, "{{", 2);
	p.olen = 2;
	memcpy(p.ctag, "}}", 2);
	p.clen = 2;
	p.err = err;
	p.errlen = errlen;

	if (n > TMPL_MAX_SRC) {
		seterr(err, errlen, label, 0, "larger than %d bytes", TMPL_MAX_SRC);
		goto out;
	}
	if (parse(&p) == -1)
		goto out;
	if ((t = calloc(1, sizeof(*t))) == NULL || (t->name = strdup(name)) == NULL ||
		(t->pool = anx_buf_steal(&p.pool, NULL)) == NULL) {
		seterr(err, errlen, label, 0, "out of memory");
		goto out;
	}
	t->hash = hash_name(name);
	t->nodes = p.nodes;
	t->nnodes = p.nnodes;
	p.nodes = NULL;
	rv = t;
	t = NULL;
out:
	tmpl_free(t);
	free(p.nodes);
	anx_buf_free(&p.pool);
	return rv;
}

static struct tmpl *
find(const struct anx_tmpl_set *set, const char *name)
{
	struct tmpl *t;
	size_t h = hash_name(name);

	for (t = set->bucket[h & (set->nbucket - 1)]; t != NULL; t = t->next)
		if (t->hash == h && strcmp(t->name, name) == 0)
			return t;
	return NULL;
}

/* Doubles the hash table; on failure the set stays as it was. */
static int
grow(struct anx_tmpl_set *set)
{
	struct tmpl **nb, *t, *next;
	size_t i, nn = set->nbucket * 2;

	if ((nb = calloc(nn, sizeof(*nb))) == NULL)
		return -1;
	for (i = 0; i < set->nbucket; i++) {
		for (t = set->bucket[i]; t != NULL; t = next) {
			next = t->next;
			t->next = nb[t->hash & (nn - 1)];
			nb[t->hash & (nn - 1)] = t;
		}
	}
	free(set->bucket);
	set->bucket = nb;
	set->nbucket = nn;
	return 0;
}

/*
 * Compiles src as template name into set; label names the source in
 * messages. The set copies what it keeps. Returns 0 or -1 with err set.
 */
static int
add_labelled(struct anx_tmpl_set *set, const char *name, const char *label, const char *src,
	size_t n, char *err, size_t errlen)
{
	struct tmpl *t = NULL;
	size_t namelen = strlen(name);
	int rc = -1;

	if (namelen == 0 || namelen > TMPL_MAX_NAME) {
		seterr(err, errlen, label, 0, "bad template name");
		goto out;
	}
	if (find(set, name) != NULL) {
		seterr(err, errlen, label, 0, "duplicate template \"%s\"", name);
		goto out;
	}
	if (set->count >= TMPL_MAX_TMPLS) {
		seterr(err, errlen, label, 0, "more than %d templates", TMPL_MAX_TMPLS);
		goto out;
	}
	if (set->count >= set->nbucket && grow(set) == -1) {
		seterr(err, errlen, label, 0, "out of memory");
		goto out;
	}
	if ((t = compile(name, label, src, n, err, errlen)) == NULL)
		goto out;
	t->next = set->bucket[t->hash & (set->nbucket - 1)];
	set->bucket[t->hash & (set->nbucket - 1)] = t;
	set->count++;
	t = NULL;
	rc = 0;
out:
	tmpl_free(t);
	return rc;
}

/*
 * Creates an empty set; NULL if memory runs out. The caller frees it with
 * anx_tmpl_set_free().
 */
struct anx_tmpl_set *
anx_tmpl_set_new(void)
{
	struct anx_tmpl_set *set;

	if ((set = calloc(1, sizeof(*set))) == NULL)
		return NULL;
	set->nbucket = 64;
	if ((set->bucket = calloc(set->nbucket, sizeof(*set->bucket))) == NULL) {
		free(set);
		return NULL;
	}
	return set;
}

/*
 * Compiles src (n bytes, at most 1 MiB) as the template called name (a
 * C string of 1..1024 bytes, not yet in the set). The set copies name and
 * src. Returns 0, or -1 with "name:line: message" in err.
 */
int
anx_tmpl_add(struct anx_tmpl_set *set, const char *name, const char *src, size_t n, char *err,
	size_t errlen)
{
	if (set == NULL || name == NULL || (src == NULL && n > 0)) {
		seterr(err, errlen, name ? name : "(null)", 0, "bad arguments");
		return -1;
	}
	return add_labelled(set, name, name, src, n, err, errlen);
}

/* Frees set and every template in it; NULL is a no-op. */
void
anx_tmpl_set_free(struct anx_tmpl_set *set)
{
	struct tmpl *t, *next;
	size_t i;

	if (set == NULL)
		return;
	for (i = 0; i < set->nbucket; i++) {
		for (t = set->bucket[i]; t != NULL; t = next) {
			next = t->next;
			tmpl_free(t);
		}
	}
	free(set->bucket);
	free(set);
}

int
anx_tmpl_has(const struct anx_tmpl_set *set, const char *name)
{
	return set != NULL && name != NULL && find(set, name) != NULL;
}

/*
 * Reads the regular file path (at most TMPL_MAX_SRC bytes) into a new
 * buffer the caller frees. Returns 0, or -1 with err set.
 */
static int
read_file(const char *path, char **out, size_t *outlen, char *err, size_t errlen)
{
	struct stat st;
	char *buf = NULL;
	size_t want, got = 0;
	ssize_t r;
	int fd, rc = -1;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		seterr(err, errlen, path, 0, "%s", strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) == -1) {
		seterr(err, errlen, path, 0, "%s", strerror(errno));
		goto out;
	}
	if (st.st_size < 0 || st.st_size > TMPL_MAX_SRC) {
		seterr(err, errlen, path, 0, "larger than %d bytes", TMPL_MAX_SRC);
		goto out;
	}
	/* One byte more than stat says, to notice a file that grew. */
	want = (size_t)st.st_size + 1;
	if ((buf = malloc(want)) == NULL) {
		seterr(err, errlen, path, 0, "out of memory");
		goto out;
	}
	while (got < want) {
		if ((r = read(fd, buf + got, want - got)) == -1) {
			if (errno == EINTR)
				continue;
			seterr(err, errlen, path, 0, "%s", strerror(errno));
			goto out;
		}
		if (r == 0)
			break;
		got += (size_t)r;
	}
	if (got == want) {
		seterr(err, errlen, path, 0, "changed while being read");
		goto out;
	}
	*out = buf;
	*outlen = got;
	buf = NULL;
	rc = 0;
out:
	free(buf);
	close(fd);
	return rc;
}

/*
 * Walks the directory path[0..len) (path is a PATH_MAX buffer it extends
 * and restores) and adds every *.mustache file, named by its path after
 * the first rootlen + 1 bytes without the extension. Entries starting with
 * '.' are skipped; symbolic links are followed, and the depth bound stops
 * link loops. Returns 0 or -1 with err set.
 */
static int
walk(struct anx_tmpl_set *set, char *path, size_t len, size_t rootlen, int depth, size_t *nents,
	char *err, size_t errlen)
{
	const size_t extlen = sizeof(TMPL_EXT) - 1;
	DIR *d;
	struct dirent *e;
	struct stat st;
	char *src, *name;
	size_t nlen, srclen;
	int n, rc = -1;

	if (depth > TMPL_MAX_DIRDEPTH) {
		seterr(err, errlen, path, 0, "directories nest deeper than %d", TMPL_MAX_DIRDEPTH);
		return -1;
	}
	if ((d = opendir(path)) == NULL) {
		seterr(err, errlen, path, 0, "%s", strerror(errno));
		return -1;
	}
	for (;;) {
		errno = 0;
		if ((e = readdir(d)) == NULL) {
			if (errno != 0) {
				path[len] = '\0';
				seterr(err, errlen, path, 0, "%s", strerror(errno));
				goto out;
			}
			break;
		}
		if (e->d_name[0] == '.')
			continue;
		if (++*nents > TMPL_MAX_DIRENTS) {
			seterr(err, errlen, path, 0, "more than %d directory entries",
				TMPL_MAX_DIRENTS);
			goto out;
		}
		n = snprintf(path + len, PATH_MAX - len, "/%s", e->d_name);
		if (n < 0 || (size_t)n >= PATH_MAX - len) {
			path[len] = '\0';
			seterr(err, errlen, path, 0, "path too long");
			goto out;
		}
		nlen = len + (size_t)n;
		if (stat(path, &st) == -1) {
			seterr(err, errlen, path, 0, "%s", strerror(errno));
			goto out;
		}
		if (S_ISDIR(st.st_mode)) {
			if (walk(set, path, nlen, rootlen, depth + 1, nents, err, errlen) == -1)
				goto out;
		} else if (S_ISREG(st.st_mode) && (size_t)n > extlen + 1 &&
			   strcmp(path + nlen - extlen, TMPL_EXT) == 0) {
			if (read_file(path, &src, &srclen, err, errlen) == -1)
				goto out;
			/* The name is the relative path without the extension; the
			 * full path names the file in messages. */
			name = strndup(path + rootlen + 1, nlen - extlen - rootlen - 1);
			if (name == NULL) {
				free(src);
				seterr(err, errlen, path, 0, "out of memory");
				goto out;
			}
			n = add_labelled(set, name, path, src, srclen, err, errlen);
			free(name);
			free(src);
			if (n == -1)
				goto out;
		}
		path[len] = '\0';
	}
	rc = 0;
out:
	path[len] = '\0';
	closedir(d);
	return rc;
}

/*
 * Loads every *.mustache under dir (recursively) into a new set stored in
 * *out, which the caller frees with anx_tmpl_set_free(). Returns 0, or -1
 * with *out NULL and a message naming the file (and line, for parse
 * errors) in err.
 */
int
anx_tmpl_load_dir(struct anx_tmpl_set **out, const char *dir, char *err, size_t errlen)
{
	struct anx_tmpl_set *set = NULL;
	char path[PATH_MAX];
	size_t len, nents = 0;
	int rc = -1;

	*out = NULL;
	len = strlen(dir);
	while (len > 1 && dir[len - 1] == '/')
		len--;
	if (len == 0 || len >= sizeof(path)) {
		seterr(err, errlen, dir, 0, "bad directory name");
		goto out;
	}
	memcpy(path, dir, len);
	path[len] = '\0';
	if ((set = anx_tmpl_set_new()) == NULL) {
		seterr(err, errlen, dir, 0, "out of memory");
		goto out;
	}
	if (walk(set, path, len, len, 0, &nents, err, errlen) == -1)
		goto out;
	*out = set;
	set = NULL;
	rc = 0;
out:
	anx_tmpl_set_free(set);
	return rc;
}

/*
 * Resolves the name of node nd against the context stack ctx: "." is the
 * top; otherwise the first segment is looked up in each object frame from
 * the top down (a key that exists, even with a null value, stops the walk)
 * and every further segment only in the previous result. Returns the value
 * (borrowed from the context), or NULL for null or missing.
 */
static json_object *
lookup(const struct tmpl *t, const struct node *nd, const struct frame *ctx)
{
	const struct frame *f;
	const char *seg = t->pool + nd->off;
	json_object *v = NULL;
	size_t k;

	if (nd->nseg == 0)
		return ctx->val;
	for (f = ctx; f != NULL; f = f->up)
		if (json_object_is_type(f->val, json_type_object) &&
			json_object_object_get_ex(f->val, seg, &v))
			break;
	if (f == NULL)
		return NULL;
	for (k = 1; k < nd->nseg; k++) {
		seg += strlen(seg) + 1;
		if (!json_object_is_type(v, json_type_object) ||
			!json_object_object_get_ex(v, seg, &v))
			return NULL;
	}
	return v;
}

/* mustache(5): false, null/missing and the empty list are falsey. */
static int
truthy(json_object *v)
{
	switch (json_object_get_type(v)) {
	case json_type_null: return 0;
	case json_type_boolean: return json_object_get_boolean(v);
	case json_type_array: return json_object_array_length(v) > 0;
	default: return 1;
	}
}

/*
 * Formats d as the shortest decimal that reads back as d (1.21, not
 * 1.2100000000000000), as JavaScript prints numbers; NaN and infinities
 * print as in JavaScript. buf must hold 32 bytes.
 */
static void
fmt_double(char *buf, size_t sz, double d)
{

	if (isnan(d)) {
		snprintf(buf, sz, "NaN");
		return;
	}
	if (isinf(d)) {
		snprintf(buf, sz, "%s", d > 0 ? "Infinity" : "-Infinity");
		return;
	}
	if (d == 0) {
		snprintf(buf, sz, "0");
		return;
	}
	/* ECMAScript Number#toString, as JCS prints numbers: 250 stays
	 * "250", not "2.5e+02". */
	if (sz < 32 || anx_jcs_number(d, buf) < 0)
		snprintf(buf, sz, "%.17g", d);
}

/*
 * Appends the text of v, HTML-escaped if escape: strings as they are,
 * numbers in decimal, booleans as true/false, null as nothing, objects and
 * arrays as compact JSON. Returns 0 or -1 if the buffer failed.
 */
static int
emit_value(struct anx_buf *out, json_object *v, int escape)
{
	char num[32];
	const char *s = num;
	size_t n;
	int64_t i;

	switch (json_object_get_type(v)) {
	case json_type_null: return 0;
	case json_type_boolean: s = json_object_get_boolean(v) ? "true" : "false"; break;
	case json_type_int:
		/* json-c keeps integers above INT64_MAX as uint64. */
		if ((i = json_object_get_int64(v)) == INT64_MAX)
			snprintf(num, sizeof(num), "%" PRIu64, json_object_get_uint64(v));
		else
			snprintf(num, sizeof(num), "%" PRId64, i);
		break;
	case json_type_double: fmt_double(num, sizeof(num), json_object_get_double(v)); break;
	case json_type_string:
		s = json_object_get_string(v);
		n = (size_t)json_object_get_string_len(v);
		return escape ? anx_buf_html(out, s, n) : anx_buf_add(out, s, n);
	default:
		s = json_object_to_json_string_ext(
			v, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
		if (s == NULL)
			return -1;
		break;
	}
	return escape ? anx_buf_html(out, s, strlen(s)) : anx_buf_puts(out, s);
}

/* Appends the indentation, outermost level first. */
static void
emit_indent(struct anx_buf *out, const struct indent *ind)
{
	if (ind == NULL)
		return;
	emit_indent(out, ind->up);
	anx_buf_add(out, ind->s, ind->n);
}

/*
 * Appends text s (n bytes); inside an indented partial, the indentation
 * follows every newline that is not the last byte (a line start at the end
 * of the text is marked by the OP_INDENT node that follows, if any).
 */
static void
emit_text(struct anx_buf *out, const char *s, size_t n, const struct indent *ind)
{
	const char *nl;
	size_t k;

	while (ind != NULL && (nl = memchr(s, '\n', n)) != NULL && (size_t)(nl - s) + 1 < n) {
		k = (size_t)(nl - s) + 1;
		anx_buf_add(out, s, k);
		emit_indent(out, ind);
		s += k;
		n -= k;
	}
	anx_buf_add(out, s, n);
}

/*
 * Renders the section node nd of t (its body is nodes (i, nd->end)) once
 * per list element, or once if v is another truthy value, pushing the
 * element on the context stack. Returns 0 or -1.
 */
static int
render_section(struct render *r, const struct tmpl *t, size_t i, json_object *v,
	const struct frame *ctx, const struct indent *ind)
{
	const struct node *nd = &t->nodes[i];
	struct frame f;
	size_t k, n;
	int rc = -1;

	if (++r->frames > TMPL_MAX_FRAMES)
		goto out;
	f.up = ctx;
	if (json_object_is_type(v, json_type_array)) {
		n = json_object_array_length(v);
		for (k = 0; k < n; k++) {
			f.val = json_object_array_get_idx(v, k);
			if (render_range(r, t, i + 1, nd->end, &f, ind) == -1)
				goto out;
		}
	} else if (truthy(v)) {
		f.val = v;
		if (render_range(r, t, i + 1, nd->end, &f, ind) == -1)
			goto out;
	}
	rc = 0;
out:
	r->frames--;
	return rc;
}

/*
 * Renders partial node nd against ctx; a missing partial renders nothing.
 * A standalone partial indents by the current indentation plus its own;
 * an inline one does not indent. Returns 0, or -1 past the depth bounds.
 */
static int
render_partial(struct render *r, const struct tmpl *t, const struct node *nd,
	const struct frame *ctx, const struct indent *ind)
{
	const struct tmpl *p;
	struct indent own;
	int rc = -1;

	if ((p = find(r->set, t->pool + nd->off)) == NULL)
		return 0;
	r->partials++;
	r->frames++;
	if (r->partials > TMPL_MAX_PARTIAL || r->frames > TMPL_MAX_FRAMES)
		goto out;
	if (!nd->standalone) {
		ind = NULL;
	} else if (nd->ilen > 0) {
		own.s = t->pool + nd->ioff;
		own.n = nd->ilen;
		own.up = ind;
		ind = &own;
	}
	rc = render_range(r, p, 0, p->nnodes, ctx, ind);
out:
	r->partials--;
	r->frames--;
	return rc;
}

/*
 * Renders nodes [from, to) of t with context stack ctx and partial
 * indentation ind into r->out. Returns 0, or -1 if the output failed or a
 * bound was passed.
 */
static int
render_range(struct render *r, const struct tmpl *t, size_t from, size_t to,
	const struct frame *ctx, const struct indent *ind)
{
	const struct node *nd;
	json_object *v;
	size_t i;

	for (i = from; i < to; i++) {
		if (++r->steps > TMPL_MAX_STEPS)
			return -1;
		nd = &t->nodes[i];
		switch (nd->op) {
		case OP_TEXT: emit_text(r->out, t->pool + nd->off, nd->len, ind); break;
		case OP_INDENT: emit_indent(r->out, ind); break;
		case OP_VAR:
		case OP_RAW:
			v = lookup(t, nd, ctx);
			if (emit_value(r->out, v, nd->op == OP_VAR) == -1)
				return -1;
			break;
		case OP_SECTION:
			v = lookup(t, nd, ctx);
			if (render_section(r, t, i, v, ctx, ind) == -1)
				return -1;
			i = nd->end - 1;
			break;
		case OP_INVERTED:
			v = lookup(t, nd, ctx);
			if (!truthy(v) && render_range(r, t, i + 1, nd->end, ctx, ind) == -1)
				return -1;
			i = nd->end - 1;
			break;
		case OP_PARTIAL:
			if (render_partial(r, t, nd, ctx, ind) == -1)
				return -1;
			break;
		}
		if (anx_buf_failed(r->out))
			return -1;
	}
	return 0;
}

/*
 * Renders template name of set with context ctx (borrowed; may be NULL),
 * appending to out. Returns 0, or -1 if the name is unknown, the buffer
 * failed (e.g. its max was reached), partials nest deeper than 64, or the
 * render passed its work bound; on -1, out may hold partial output.
 */
int
anx_tmpl_render(
	const struct anx_tmpl_set *set, const char *name, json_object *ctx, struct anx_buf *out)
{
	const struct tmpl *t;
	struct render r;
	struct frame root;

	if (set == NULL || name == NULL || (t = find(set, name)) == NULL)
		return -1;
	if (anx_buf_failed(out))
		return -1;
	memset(&r, 0, sizeof(r));
	r.out = out;
	r.set = set;
	root.val = ctx;
	root.up = NULL;
	return render_range(&r, t, 0, t->nnodes, &root, NULL);
}
