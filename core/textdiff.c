/*
 * textdiff.c - LCS line diff; see textdiff.h.
 */
#include "textdiff.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const anx_diff_op_names[3] = {
	"same", /* ANX_DIFF_SAME */
	"del",  /* ANX_DIFF_DEL */
	"add",  /* ANX_DIFF_ADD */
};

struct line {
	const char *p;
	size_t len;
	uint32_t hash;
};

/* FNV-1a over the line, to skip most byte comparisons. */
static uint32_t
hash_line(const char *p, size_t n)
{
	uint32_t h = 2166136261u;

	for (size_t i = 0; i < n; i++) {
		h ^= (unsigned char)p[i];
		h *= 16777619u;
	}
	return h;
}

/*
 * Splits text into lines (without "\n" or "\r\n") into a new array
 * (caller frees) of *n entries. Returns NULL on OOM or when there are
 * more than ANX_TEXTDIFF_MAX_LINES lines; an empty text has 0 lines.
 */
static struct line *
split(const char *text, size_t *n)
{
	size_t count = 0, k = 0;
	const char *s;
	struct line *v;

	*n = 0;
	for (s = text; *s; s++)
		if (*s == '\n')
			count++;
	if (s > text && s[-1] != '\n')
		count++;
	if (count > ANX_TEXTDIFF_MAX_LINES)
		return NULL;
	if ((v = calloc(count ? count : 1, sizeof(*v))) == NULL)
		return NULL;
	for (s = text; *s && k < count;) {
		const char *nl = strchr(s, '\n');
		size_t len = nl ? (size_t)(nl - s) : strlen(s);

		v[k].p = s;
		v[k].len = len > 0 && s[len - 1] == '\r' ? len - 1 : len;
		v[k].hash = hash_line(v[k].p, v[k].len);
		k++;
		s += len + (nl ? 1 : 0);
	}
	*n = k;
	return v;
}

static int
same(const struct line *a, const struct line *b)
{
	return a->hash == b->hash && a->len == b->len && memcmp(a->p, b->p, a->len) == 0;
}

static void
emit(struct anx_diff *d, enum anx_diff_op op, const struct line *l, int old_no, int new_no)
{
	struct anx_diff_line *o = &d->lines[d->n++];

	o->op = op;
	o->text = l->p;
	o->len = l->len;
	o->old_no = old_no;
	o->new_no = new_no;
	if (op == ANX_DIFF_ADD)
		d->added++;
	else if (op == ANX_DIFF_DEL)
		d->deleted++;
}

/*
 * Diffs the middle a[0..na) against b[0..nb) (line numbers start after
 * off_a/off_b) into d. With the LCS table when it fits, else by deleting
 * all of a and adding all of b. Returns 0 or -1 (OOM).
 */
static int
diff_middle(struct anx_diff *d, const struct line *a, size_t na, const struct line *b, size_t nb,
	int off_a, int off_b)
{
	size_t w = nb + 1, i = 0, j = 0;
	uint16_t *t;

	if (na == 0 || nb == 0 || (na + 1) > ANX_TEXTDIFF_MAX_CELLS / w) {
		d->minimal = na == 0 || nb == 0;
		for (i = 0; i < na; i++)
			emit(d, ANX_DIFF_DEL, &a[i], off_a + (int)i + 1, 0);
		for (j = 0; j < nb; j++)
			emit(d, ANX_DIFF_ADD, &b[j], 0, off_b + (int)j + 1);
		return 0;
	}
	/* t[i*w + j] = length of the LCS of a[i..] and b[j..]; lines are at
	 * most ANX_TEXTDIFF_MAX_LINES, so 16 bits hold every length. */
	if ((t = calloc((na + 1) * w, sizeof(*t))) == NULL)
		return -1;
	for (size_t ii = na; ii-- > 0;)
		for (size_t jj = nb; jj-- > 0;) {
			uint16_t down = t[(ii + 1) * w + jj], right = t[ii * w + jj + 1];

			t[ii * w + jj] = same(&a[ii], &b[jj])
						 ? (uint16_t)(t[(ii + 1) * w + jj + 1] + 1)
						 : (down >= right ? down : right);
		}
	while (i < na && j < nb) {
		if (same(&a[i], &b[j])) {
			emit(d, ANX_DIFF_SAME, &b[j], off_a + (int)i + 1, off_b + (int)j + 1);
			i++;
			j++;
		} else if (t[(i + 1) * w + j] >= t[i * w + j + 1]) {
			emit(d, ANX_DIFF_DEL, &a[i], off_a + (int)i + 1, 0);
			i++;
		} else {
			emit(d, ANX_DIFF_ADD, &b[j], 0, off_b + (int)j + 1);
			j++;
		}
	}
	for (; i < na; i++)
		emit(d, ANX_DIFF_DEL, &a[i], off_a + (int)i + 1, 0);
	for (; j < nb; j++)
		emit(d, ANX_DIFF_ADD, &b[j], 0, off_b + (int)j + 1);
	free(t);
	return 0;
}

int
anx_diff_lines(const char *old_text, const char *new_text, struct anx_diff *d)
{
	struct line *a = NULL, *b = NULL;
	size_t na, nb, pre = 0, suf = 0;
	int rc = -1;

	memset(d, 0, sizeof(*d));
	d->minimal = 1;
	if ((a = split(old_text, &na)) == NULL || (b = split(new_text, &nb)) == NULL)
		goto out;
	if ((d->lines = calloc(na + nb + 1, sizeof(*d->lines))) == NULL)
		goto out;
	while (pre < na && pre < nb && same(&a[pre], &b[pre]))
		pre++;
	while (suf < na - pre && suf < nb - pre && same(&a[na - 1 - suf], &b[nb - 1 - suf]))
		suf++;
	for (size_t i = 0; i < pre; i++)
		emit(d, ANX_DIFF_SAME, &b[i], (int)i + 1, (int)i + 1);
	if (diff_middle(d, a + pre, na - pre - suf, b + pre, nb - pre - suf, (int)pre, (int)pre) !=
		0)
		goto out;
	for (size_t k = suf; k > 0; k--)
		emit(d, ANX_DIFF_SAME, &b[nb - k], (int)(na - k) + 1, (int)(nb - k) + 1);
	rc = 0;
out:
	free(a);
	free(b);
	if (rc != 0)
		anx_diff_free(d);
	return rc;
}

void
anx_diff_free(struct anx_diff *d)
{
	free(d->lines);
	memset(d, 0, sizeof(*d));
}

/* Appends one hunk of d->lines[from..to) to hunks. */
static void
add_hunk(json_object *hunks, const struct anx_diff *d, size_t from, size_t to)
{
	json_object *h = json_object_new_object(), *lines = json_object_new_array();
	int old_start = 0, new_start = 0, old_n = 0, new_n = 0;
	char header[96];

	/* The hunk starts after the last old/new line before it. */
	for (size_t k = from; k-- > 0;) {
		if (old_start == 0 && d->lines[k].old_no)
			old_start = d->lines[k].old_no;
		if (new_start == 0 && d->lines[k].new_no)
			new_start = d->lines[k].new_no;
		if (old_start && new_start)
			break;
	}
	old_start++;
	new_start++;
	for (size_t k = from; k < to; k++) {
		const struct anx_diff_line *l = &d->lines[k];
		json_object *o = json_object_new_object();

		old_n += l->old_no != 0;
		new_n += l->new_no != 0;
		json_object_object_add(o, "op", json_object_new_string(anx_diff_op_names[l->op]));
		json_object_object_add(o, "sign",
			json_object_new_string(l->op == ANX_DIFF_ADD   ? "+"
					       : l->op == ANX_DIFF_DEL ? "-"
								       : " "));
		json_object_object_add(o, "text", json_object_new_string_len(l->text, (int)l->len));
		json_object_object_add(
			o, "old_no", l->old_no ? json_object_new_int(l->old_no) : NULL);
		json_object_object_add(
			o, "new_no", l->new_no ? json_object_new_int(l->new_no) : NULL);
		json_object_array_add(lines, o);
	}
	snprintf(header, sizeof(header), "@@ -%d,%d +%d,%d @@", old_n ? old_start : old_start - 1,
		old_n, new_n ? new_start : new_start - 1, new_n);
	json_object_object_add(h, "header", json_object_new_string(header));
	json_object_object_add(h, "lines", lines);
	json_object_array_add(hunks, h);
}

json_object *
anx_diff_json(const struct anx_diff *d, int context)
{
	json_object *o, *hunks;
	size_t start = 0, end = 0;
	int open = 0;

	if ((o = json_object_new_object()) == NULL)
		return NULL;
	hunks = json_object_new_array();
	if (context < 0)
		context = 0;
	/* A line is shown when a change is within `context` lines of it. */
	for (size_t i = 0; i < d->n; i++) {
		size_t lo = i >= (size_t)context ? i - (size_t)context : 0;
		size_t hi = i + (size_t)context + 1 < d->n ? i + (size_t)context + 1 : d->n;
		int show = 0;

		for (size_t k = lo; k < hi && !show; k++)
			show = d->lines[k].op != ANX_DIFF_SAME;
		if (show && !open) {
			open = 1;
			start = i;
		}
		if (show)
			end = i + 1;
		if (!show && open) {
			add_hunk(hunks, d, start, end);
			open = 0;
		}
	}
	if (open)
		add_hunk(hunks, d, start, end);
	json_object_object_add(o, "added", json_object_new_int64((int64_t)d->added));
	json_object_object_add(o, "deleted", json_object_new_int64((int64_t)d->deleted));
	json_object_object_add(o, "changed", json_object_new_boolean(d->added + d->deleted > 0));
	json_object_object_add(o, "minimal", json_object_new_boolean(d->minimal));
	json_object_object_add(o, "hunks", hunks);
	return o;
}
