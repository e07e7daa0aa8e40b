/*
 * docs.c - Markdown documents rendered with libcmark; see docs.h.
 */
#include "docs.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include <cmark.h>

#include "buf.h"
#include "log.h"

#define SUMMARY_MAX 180

int
anx_doc_name_valid(const char *name)
{
	size_t n = name ? strlen(name) : 0;

	if (n == 0 || n > ANX_DOC_NAME_MAX)
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = name[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
			    c == '_' || c == '-'))
			return 0;
	}
	return 1;
}

/* Appends the text of node's subtree (text, code, line breaks as blanks). */
static void
node_text(cmark_node *node, struct anx_buf *b)
{
	cmark_iter *it = cmark_iter_new(node);
	cmark_event_type ev;

	while ((ev = cmark_iter_next(it)) != CMARK_EVENT_DONE) {
		cmark_node *cur = cmark_iter_get_node(it);
		const char *lit;

		if (ev != CMARK_EVENT_ENTER)
			continue;
		switch (cmark_node_get_type(cur)) {
		case CMARK_NODE_TEXT:
		case CMARK_NODE_CODE:
			if ((lit = cmark_node_get_literal(cur)) != NULL)
				anx_buf_puts(b, lit);
			break;
		case CMARK_NODE_SOFTBREAK:
		case CMARK_NODE_LINEBREAK: anx_buf_putc(b, ' '); break;
		default: break;
		}
	}
	cmark_iter_free(it);
}

/* A copy of s cut to about max code points at a blank, with "…". */
static char *
cut_text(const char *s, size_t max)
{
	size_t chars = 0, i = 0, last_blank = 0;
	char *out;

	for (; s[i]; i++) {
		if (((unsigned char)s[i] & 0xC0) != 0x80) {
			if (chars == max)
				break;
			chars++;
		}
		if (s[i] == ' ')
			last_blank = i;
	}
	if (s[i] == '\0')
		return strdup(s);
	if (last_blank > max / 2)
		i = last_blank;
	if ((out = malloc(i + 4)) == NULL)
		return NULL;
	memcpy(out, s, i);
	memcpy(out + i, "\xe2\x80\xa6", 4);
	return out;
}

/*
 * The page of a relative link to a known document ("API.md",
 * "./API.md#keys", "sub/API.md?x" -> "/docs/API", fragment kept), or NULL
 * for any other link. Returns a malloc'd string.
 */
static char *
doc_link(const char *url, const char *const *known, size_t nknown)
{
	const char *end, *base, *frag;
	size_t n;
	struct anx_buf b;

	if (url == NULL || *url == '\0' || *url == '/' || *url == '#' || *url == '?')
		return NULL;
	/* A scheme ("https:", "mailto:") comes before any '/', '?' or '#'. */
	n = strcspn(url, ":/?#");
	if (url[n] == ':')
		return NULL;
	end = url + strcspn(url, "?#");
	frag = strchr(url, '#');
	for (base = end; base > url && base[-1] != '/'; base--)
		;
	n = (size_t)(end - base);
	if (n < 4 || strncmp(end - 3, ".md", 3) != 0)
		return NULL;
	n -= 3;
	for (size_t i = 0; i < nknown; i++) {
		if (strlen(known[i]) != n || strncmp(known[i], base, n) != 0)
			continue;
		anx_buf_init(&b, 4096);
		anx_buf_printf(&b, "/docs/%s", known[i]);
		if (frag)
			anx_buf_puts(&b, frag);
		if (anx_buf_failed(&b)) {
			anx_buf_free(&b);
			return NULL;
		}
		return anx_buf_steal(&b, NULL);
	}
	return NULL;
}

/* ---- rendering ---------------------------------------------------------- */

/* CMARK_OPT_DEFAULT is safe in cmark >= 0.29 (raw HTML omitted, dangerous
 * URLs dropped); never pass CMARK_OPT_UNSAFE. */
#define CMARK_OPTS (CMARK_OPT_DEFAULT | CMARK_OPT_VALIDATE_UTF8 | CMARK_OPT_SMART)
#define MAX_SLUGS  256

struct render {
	const char *const *known;
	size_t nknown;
	struct anx_buf html, title, summary;
	int have_title, have_para;
	char *slugs[MAX_SLUGS]; /* heading ids given so far */
	size_t nslugs;
};

/* GitHub-style anchor for a heading's text: lower case, letters, digits,
 * '-' and '_' kept, blanks to '-', the rest dropped; "-1", "-2" for
 * repeats. Returns a malloc'd string or NULL. */
static char *
heading_slug(struct render *st, const char *text)
{
	struct anx_buf b;
	char *slug;
	size_t same = 0;

	anx_buf_init(&b, 1024);
	for (const unsigned char *s = (const unsigned char *)text; *s && b.len < 80; s++) {
		if (*s >= 'A' && *s <= 'Z')
			anx_buf_putc(&b, (char)(*s - 'A' + 'a'));
		else if ((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '-' ||
			 *s == '_')
			anx_buf_putc(&b, (char)*s);
		else if (*s == ' ')
			anx_buf_putc(&b, '-');
	}
	if (b.len == 0)
		anx_buf_puts(&b, "section");
	anx_buf_putc(&b, '\0');
	if (anx_buf_failed(&b)) {
		anx_buf_free(&b);
		return NULL;
	}
	for (size_t i = 0; i < st->nslugs; i++) {
		size_t n = strlen(b.data);

		if (strncmp(st->slugs[i], b.data, n) == 0 &&
			(st->slugs[i][n] == '\0' || st->slugs[i][n] == '-'))
			same++;
	}
	if (same > 0) {
		b.len--;
		anx_buf_printf(&b, "-%zu", same);
		anx_buf_putc(&b, '\0');
	}
	slug = anx_buf_steal(&b, NULL);
	if (slug && st->nslugs < MAX_SLUGS && (st->slugs[st->nslugs] = strdup(slug)) != NULL)
		st->nslugs++;
	return slug;
}

/*
 * Renders one stretch of Markdown: links to known documents rewritten,
 * the first level-1 heading and first paragraph noted, headings given
 * ids. With inline_only (a table cell) the wrapping <p> is dropped.
 */
static int
render_md(struct render *st, const char *md, size_t len, int inline_only)
{
	cmark_node *root, *child;
	cmark_iter *it;
	cmark_event_type ev;

	if ((root = cmark_parse_document(md, len, CMARK_OPTS)) == NULL)
		return -1;
	it = cmark_iter_new(root);
	while ((ev = cmark_iter_next(it)) != CMARK_EVENT_DONE) {
		cmark_node *cur = cmark_iter_get_node(it);
		cmark_node_type type = cmark_node_get_type(cur);
		char *to;

		if (ev != CMARK_EVENT_ENTER)
			continue;
		if (type == CMARK_NODE_LINK &&
			(to = doc_link(cmark_node_get_url(cur), st->known, st->nknown)) != NULL) {
			cmark_node_set_url(cur, to);
			free(to);
		} else if (!inline_only && type == CMARK_NODE_HEADING && !st->have_title &&
			   cmark_node_get_heading_level(cur) == 1) {
			node_text(cur, &st->title);
			st->have_title = 1;
		} else if (!inline_only && type == CMARK_NODE_PARAGRAPH && !st->have_para &&
			   cmark_node_get_type(cmark_node_parent(cur)) == CMARK_NODE_DOCUMENT) {
			node_text(cur, &st->summary);
			st->have_para = 1;
		}
	}
	cmark_iter_free(it);
	for (child = cmark_node_first_child(root); child; child = cmark_node_next(child)) {
		char *html = cmark_render_html(child, CMARK_OPTS), *body = html;
		size_t n;

		if (html == NULL) {
			cmark_node_free(root);
			return -1;
		}
		n = strlen(html);
		if (inline_only && cmark_node_get_type(child) == CMARK_NODE_PARAGRAPH && n >= 8 &&
			strncmp(html, "<p>", 3) == 0 && strcmp(html + n - 5, "</p>\n") == 0) {
			body = html + 3;
			n -= 8;
		}
		if (cmark_node_get_type(child) == CMARK_NODE_HEADING && n > 4 && html[0] == '<' &&
			html[1] == 'h') {
			struct anx_buf t;
			char *slug;

			anx_buf_init(&t, 64 * 1024);
			node_text(child, &t);
			anx_buf_putc(&t, '\0');
			slug = anx_buf_failed(&t) ? NULL : heading_slug(st, t.data);
			anx_buf_free(&t);
			/* "<h2>" -> "<h2 id=\"slug\">"; the slug is [a-z0-9_-]. */
			anx_buf_add(&st->html, html, 3);
			if (slug)
				anx_buf_printf(&st->html, " id=\"%s\"", slug);
			free(slug);
			body = html + 3;
			n -= 3;
		}
		anx_buf_add(&st->html, body, n);
		free(html);
	}
	cmark_node_free(root);
	return anx_buf_failed(&st->html) ? -1 : 0;
}

/* ---- GFM pipe tables -------------------------------------------------------- */
/*
 * Debian's libcmark is plain CommonMark, without the GitHub table
 * extension our documents use, so tables are found here: a row of cells
 * separated by '|', a delimiter row ("|---|:---:|--:|"), then rows until
 * a blank line. Each cell is rendered as inline Markdown by cmark.
 */

struct line {
	const char *s;
	size_t n; /* without the line end */
};

static int
blank(const struct line *l)
{
	for (size_t i = 0; i < l->n; i++)
		if (l->s[i] != ' ' && l->s[i] != '\t')
			return 0;
	return 1;
}

/* Splits a row into cells (unescaped '|'), outer pipes and blanks trimmed. */
static size_t
split_cells(const struct line *l, struct line *cells, size_t max)
{
	const char *s = l->s, *e = l->s + l->n;
	size_t n = 0;

	while (s < e && (*s == ' ' || *s == '\t'))
		s++;
	while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
		e--;
	if (s < e && *s == '|')
		s++;
	if (e > s && e[-1] == '|' && (e - 1 == s || e[-2] != '\\'))
		e--;
	while (s <= e && n < max) {
		const char *c = s, *a, *b;

		while (c < e && !(*c == '|' && (c == s || c[-1] != '\\')))
			c++;
		for (a = s; a < c && (*a == ' ' || *a == '\t'); a++)
			;
		for (b = c; b > a && (b[-1] == ' ' || b[-1] == '\t'); b--)
			;
		cells[n].s = a;
		cells[n].n = (size_t)(b - a);
		n++;
		if (c >= e)
			break;
		s = c + 1;
	}
	return n;
}

/* 1 if l is a delimiter row; fills align[] ('l', 'c', 'r', 0). */
static int
delimiter_row(const struct line *l, char *align, size_t max, size_t *ncols)
{
	struct line cells[64];
	size_t n;
	int pipe = memchr(l->s, '|', l->n) != NULL;

	if (!pipe)
		return 0;
	n = split_cells(l, cells, max < 64 ? max : 64);
	for (size_t i = 0; i < n; i++) {
		const char *s = cells[i].s;
		size_t k = cells[i].n, dashes = 0;
		int left = k > 0 && s[0] == ':', right = k > 0 && s[k - 1] == ':';

		for (size_t j = left; j < k - (size_t)right; j++) {
			if (s[j] != '-')
				return 0;
			dashes++;
		}
		if (dashes == 0)
			return 0;
		align[i] = left && right ? 'c' : right ? 'r' : left ? 'l' : 0;
	}
	*ncols = n;
	return n > 0;
}

static int
render_cell(struct render *st, const struct line *c)
{
	struct anx_buf t;
	int rc;

	/* "\|" is a pipe inside a cell (GFM), also inside code spans. */
	anx_buf_init(&t, ANX_DOC_MAX_BYTES);
	for (size_t i = 0; i < c->n; i++)
		if (!(c->s[i] == '\\' && i + 1 < c->n && c->s[i + 1] == '|'))
			anx_buf_putc(&t, c->s[i]);
	rc = anx_buf_failed(&t) ? -1 : render_md(st, t.data ? t.data : "", t.len, 1);
	anx_buf_free(&t);
	return rc;
}

static void
cell_open(struct anx_buf *b, const char *tag, char align)
{
	anx_buf_printf(b, "<%s%s>", tag,
		align == 'r'   ? " class=\"right\""
		: align == 'c' ? " class=\"center\""
			       : "");
}

/* Renders lines[0] (header), lines[1] (delimiter), lines[2..n) (body). */
static int
render_table(struct render *st, const struct line *lines, size_t n, const char *align, size_t ncols)
{
	struct line cells[64];
	size_t k;

	anx_buf_puts(&st->html, "<div class=\"table-wrap\"><table>\n<thead><tr>");
	k = split_cells(&lines[0], cells, 64);
	for (size_t i = 0; i < ncols; i++) {
		cell_open(&st->html, "th", align[i]);
		if (i < k && render_cell(st, &cells[i]) != 0)
			return -1;
		anx_buf_puts(&st->html, "</th>");
	}
	anx_buf_puts(&st->html, "</tr></thead>\n<tbody>\n");
	for (size_t r = 2; r < n; r++) {
		k = split_cells(&lines[r], cells, 64);
		anx_buf_puts(&st->html, "<tr>");
		for (size_t i = 0; i < ncols; i++) {
			cell_open(&st->html, "td", align[i]);
			if (i < k && render_cell(st, &cells[i]) != 0)
				return -1;
			anx_buf_puts(&st->html, "</td>");
		}
		anx_buf_puts(&st->html, "</tr>\n");
	}
	anx_buf_puts(&st->html, "</tbody></table></div>\n");
	return anx_buf_failed(&st->html) ? -1 : 0;
}

/* A fence opener/closer ("```", "~~~", up to three blanks before). */
static char
fence(const struct line *l)
{
	size_t i = 0;

	while (i < 3 && i < l->n && l->s[i] == ' ')
		i++;
	if (i + 3 <= l->n && (memcmp(l->s + i, "```", 3) == 0 || memcmp(l->s + i, "~~~", 3) == 0))
		return l->s[i];
	return 0;
}

/* Splits md into lines, renders the Markdown between tables with cmark
 * and the tables here. */
static int
render_document(struct render *st, const char *md, size_t len)
{
	struct line *lines, head[64];
	size_t nl = 0, cap = 1, from = 0, i = 0;
	char in_fence = 0, align[64];
	int rc = -1;

	for (size_t j = 0; j < len; j++)
		cap += md[j] == '\n';
	if ((lines = calloc(cap, sizeof(*lines))) == NULL)
		return -1;
	for (const char *s = md, *e = md + len; s < e && nl < cap;) {
		const char *nlp = memchr(s, '\n', (size_t)(e - s));
		size_t n = nlp ? (size_t)(nlp - s) : (size_t)(e - s);

		lines[nl].s = s;
		lines[nl].n = n > 0 && s[n - 1] == '\r' ? n - 1 : n;
		nl++;
		s += n + (nlp != NULL);
	}
	while (i < nl) {
		size_t ncols = 0, end;
		char f = fence(&lines[i]);

		if (in_fence) {
			in_fence = f == in_fence ? 0 : in_fence;
			i++;
			continue;
		}
		if (f) {
			in_fence = f;
			i++;
			continue;
		}
		/* A table: not indented as code, a row with a pipe, a delimiter. */
		if (i + 1 < nl && lines[i].n > 0 && lines[i].s[0] != '\t' &&
			!(lines[i].n >= 4 && memcmp(lines[i].s, "    ", 4) == 0) &&
			memchr(lines[i].s, '|', lines[i].n) &&
			delimiter_row(&lines[i + 1], align, sizeof(align), &ncols) &&
			split_cells(&lines[i], head, 64) == ncols) {
			const char *a = lines[from].s;
			size_t before = (size_t)(lines[i].s - a);

			if (i > from && render_md(st, a, before, 0) != 0)
				goto out;
			for (end = i + 2; end < nl && !blank(&lines[end]) &&
					  memchr(lines[end].s, '|', lines[end].n);
				end++)
				;
			if (render_table(st, &lines[i], end - i, align, ncols) != 0)
				goto out;
			i = from = end;
			continue;
		}
		i++;
	}
	if (from < nl && render_md(st, lines[from].s, (size_t)(md + len - lines[from].s), 0) != 0)
		goto out;
	rc = 0;
out:
	free(lines);
	return rc;
}

int
anx_doc_render(
	struct anx_doc *doc, const char *md, size_t len, const char *const *known, size_t nknown)
{
	struct render st;
	int rc = -1;

	memset(&st, 0, sizeof(st));
	st.known = known;
	st.nknown = nknown;
	anx_buf_init(&st.html, 8 * ANX_DOC_MAX_BYTES);
	anx_buf_init(&st.title, 64 * 1024);
	anx_buf_init(&st.summary, 64 * 1024);
	doc->title = doc->summary = doc->html = NULL;
	if (render_document(&st, md, len) != 0)
		goto out;
	if (!st.have_title)
		anx_buf_puts(&st.title, doc->name);
	anx_buf_putc(&st.title, '\0');
	anx_buf_putc(&st.summary, '\0');
	anx_buf_putc(&st.html, '\0');
	if (anx_buf_failed(&st.title) || anx_buf_failed(&st.summary) || anx_buf_failed(&st.html))
		goto out;
	if ((doc->title = strdup(st.title.data)) == NULL ||
		(doc->summary = cut_text(st.summary.data, SUMMARY_MAX)) == NULL)
		goto out;
	doc->html = anx_buf_steal(&st.html, NULL);
	rc = doc->html ? 0 : -1;
out:
	if (rc != 0) {
		free(doc->title);
		free(doc->summary);
		doc->title = doc->summary = NULL;
	}
	for (size_t i = 0; i < st.nslugs; i++)
		free(st.slugs[i]);
	anx_buf_free(&st.html);
	anx_buf_free(&st.title);
	anx_buf_free(&st.summary);
	return rc;
}

/* Reads path (at most ANX_DOC_MAX_BYTES) into a malloc'd buffer. */
static char *
read_doc(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	struct stat st;
	char *buf = NULL;

	if (f == NULL)
		return NULL;
	if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > ANX_DOC_MAX_BYTES)
		goto out;
	if ((buf = malloc((size_t)st.st_size + 1)) == NULL)
		goto out;
	if (fread(buf, 1, (size_t)st.st_size, f) != (size_t)st.st_size) {
		free(buf);
		buf = NULL;
		goto out;
	}
	buf[st.st_size] = '\0';
	*len = (size_t)st.st_size;
out:
	fclose(f);
	return buf;
}

static int
by_title(const void *a, const void *b)
{
	const struct anx_doc *x = a, *y = b;

	return strcasecmp(x->title, y->title);
}

void
anx_docs_free(struct anx_docs *d)
{
	if (d == NULL)
		return;
	for (size_t i = 0; i < d->n; i++) {
		free(d->items[i].title);
		free(d->items[i].summary);
		free(d->items[i].html);
	}
	free(d->items);
	free(d);
}

struct anx_docs *
anx_docs_load(const char *dir)
{
	struct anx_docs *d;
	const char *known[ANX_DOCS_MAX];
	char names[ANX_DOCS_MAX][ANX_DOC_NAME_MAX + 1];
	size_t nknown = 0;
	struct dirent *de;
	DIR *dh;

	if ((d = calloc(1, sizeof(*d))) == NULL)
		return NULL;
	if (dir == NULL || (dh = opendir(dir)) == NULL)
		return d;
	/* First the names, so links between documents can be resolved. */
	while ((de = readdir(dh)) != NULL && nknown < ANX_DOCS_MAX) {
		size_t n = strlen(de->d_name);

		if (n < 4 || n - 3 > ANX_DOC_NAME_MAX || strcmp(de->d_name + n - 3, ".md") != 0)
			continue;
		memcpy(names[nknown], de->d_name, n - 3);
		names[nknown][n - 3] = '\0';
		if (!anx_doc_name_valid(names[nknown]))
			continue;
		known[nknown] = names[nknown];
		nknown++;
	}
	closedir(dh);
	if (nknown && (d->items = calloc(nknown, sizeof(*d->items))) == NULL) {
		free(d);
		return NULL;
	}
	for (size_t i = 0; i < nknown; i++) {
		struct anx_doc *doc = &d->items[d->n];
		char path[4096];
		size_t len = 0;
		char *md;

		if (snprintf(path, sizeof(path), "%s/%s.md", dir, known[i]) >= (int)sizeof(path))
			continue;
		if ((md = read_doc(path, &len)) == NULL) {
			anx_log(ANX_LOG_WARN, "doc_unreadable", LF_STR("name", known[i]),
				ANX_LF_END);
			continue;
		}
		memcpy(doc->name, known[i], strlen(known[i]) + 1);
		if (anx_doc_render(doc, md, len, known, nknown) == 0)
			d->n++;
		free(md);
	}
	if (d->n > 1)
		qsort(d->items, d->n, sizeof(*d->items), by_title);
	return d;
}

const struct anx_docs *
anx_docs_cached(const char *dir)
{
	static struct anx_docs *cache;

	if (cache == NULL)
		cache = anx_docs_load(dir);
	return cache;
}

const struct anx_doc *
anx_docs_find(const struct anx_docs *d, const char *name)
{
	if (d == NULL || !anx_doc_name_valid(name))
		return NULL;
	for (size_t i = 0; i < d->n; i++)
		if (strcmp(d->items[i].name, name) == 0)
			return &d->items[i];
	return NULL;
}
