/*
 * textdiff.h - a line diff of two texts by longest common subsequence,
 * for the policy editor's version diff (pretty-printed JSON, so lines are
 * the natural unit).
 *
 * The common head and tail are matched first; the rest is diffed with the
 * classic LCS table, which is O(n*m) in time and memory. When the middle
 * is larger than ANX_TEXTDIFF_MAX_CELLS the result is still a correct
 * edit script (every old line deleted, every new line added) but not a
 * minimal one; *minimal tells which.
 */
#ifndef ANX_TEXTDIFF_H
#define ANX_TEXTDIFF_H

#include <stddef.h>

#include <json-c/json.h>

#define ANX_TEXTDIFF_MAX_LINES 20000      /* per side; more is refused */
#define ANX_TEXTDIFF_MAX_CELLS (4u << 20) /* LCS table entries */

enum anx_diff_op {
	ANX_DIFF_SAME, /* same */
	ANX_DIFF_DEL,  /* del */
	ANX_DIFF_ADD   /* add */
};

/* Names of enum anx_diff_op ("same", "del", "add"). */
extern const char *const anx_diff_op_names[3];

/* One line of the edit script. text points into the input (len bytes, no
 * newline); old_no/new_no are 1-based line numbers, 0 on the side the
 * line is not on. */
struct anx_diff_line {
	enum anx_diff_op op;
	const char *text;
	size_t len;
	int old_no, new_no;
};

struct anx_diff {
	struct anx_diff_line *lines; /* in order; malloc'd */
	size_t n;
	size_t added, deleted;
	int minimal; /* 1 if the script is a shortest one */
};

/*
 * Diffs old_text against new_text (NUL-terminated; "\n" or "\r\n" line
 * ends; a final newline does not make an extra empty line). On 0, *d
 * holds the script; its lines borrow from both texts, which must outlive
 * it; release with anx_diff_free(). Returns -1 on out of memory or when a
 * side has more than ANX_TEXTDIFF_MAX_LINES lines.
 */
int anx_diff_lines(const char *old_text, const char *new_text, struct anx_diff *d);
void anx_diff_free(struct anx_diff *d);

/*
 * The script as template data, a new JSON object: {added, deleted,
 * changed (bool), minimal (bool), hunks: [{header ("@@ -a,b +c,d @@"),
 * lines: [{op, sign ("+", "-" or " "), text, old_no, new_no}]}]}, keeping `context` unchanged
 * lines around each change and leaving the rest out. NULL on OOM.
 */
json_object *anx_diff_json(const struct anx_diff *d, int context);

#endif
