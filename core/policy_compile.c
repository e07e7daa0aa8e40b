/*
 * policy_compile.c - validating a policy document and compiling it into
 * the form of policy_int.h in one pass.
 *
 * The pass never stops at the first problem: every part of the document
 * is checked and each problem is reported with its JSON path, so an
 * editor can show them all at once. Whatever is built along the way lives
 * in the new policy's arena and is thrown away with it if any problem was
 * found. Fixed-shape objects (top level, rule, approval, stage) are
 * checked by anx_json_validate() against the field tables below; `when`
 * objects and matchers have open key sets and are checked here.
 *
 * Work is bounded by the document: at most POL_MAX_RULES rules,
 * POL_MAX_STAGES stages and POL_MAX_IN list items are looked into (more is
 * an error), all/any/not recursion stops at POL_MAX_NEST, and context
 * paths are interned through a hash table.
 */
#include "policy_int.h"

#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* An interned context path while compiling. */
struct cc_path {
	const char *key; /* the dotted text after "context.", in the arena */
	uint64_t hash;
	struct pol_path path;
};

/* Compilation state. */
struct cc {
	struct anx_policy *p;
	struct anx_verrs *errs; /* may be NULL */
	size_t nerr;            /* problems found */
	int nomem;              /* an allocation failed */
	struct cc_path *paths;  /* malloc'd, npaths used of cappaths */
	size_t npaths, cappaths;
	size_t *slots; /* open-addressing table of path indices, nslots (power of 2) */
	size_t nslots;
};

#define SLOT_FREE SIZE_MAX

/* Records one problem at path. */
static void cc_err(struct cc *c, const char *path, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void
cc_err(struct cc *c, const char *path, const char *fmt, ...)
{
	char msg[ANX_VERR_PROBLEM];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	anx_verrs_add(c->errs, path, "%s", msg);
	c->nerr++;
}

/* Zeroed arena memory for n items of size bytes, or NULL (noted). */
static void *
cc_calloc(struct cc *c, size_t n, size_t size)
{
	void *p;

	if (n == 0)
		n = 1;
	if ((p = anx_arena_calloc(&c->p->arena, n, size)) == NULL)
		c->nomem = 1;
	return p;
}

/* A NUL-terminated arena copy of s[0..n), or NULL (noted). */
static char *
cc_strndup(struct cc *c, const char *s, size_t n)
{
	char *p;

	if ((p = anx_arena_strndup(&c->p->arena, s, n)) == NULL)
		c->nomem = 1;
	return p;
}

/* Field checks for anx_json_validate(): NULL if fine, else the problem. */

static const char *
check_default(json_object *v)
{
	const char *s = json_object_get_string(v);

	if (strcmp(s, "allow") == 0 || strcmp(s, "deny") == 0)
		return NULL;
	return "must be \"allow\" or \"deny\"";
}

static const char *
check_effect(json_object *v)
{
	enum anx_effect e;

	if (anx_effect_parse(json_object_get_string(v), &e) == 0)
		return NULL;
	return "must be \"allow\", \"deny\" or \"require_approval\"";
}

static const char *
check_assign(json_object *v)
{
	const char *s = json_object_get_string(v);

	if (strcmp(s, "all") == 0 || strcmp(s, "round_robin") == 0)
		return NULL;
	return "must be \"all\" or \"round_robin\"";
}

static const char *
check_role(json_object *v)
{
	const char *s = json_object_get_string(v);

	for (; *s != '\0'; s++)
		if (strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-",
			    *s) == NULL)
			return "may contain only letters, digits, '_', '.' and '-'";
	return NULL;
}

/* 1 if v is a JSON integer in lo..hi. */
static int
int_in(json_object *v, int64_t lo, int64_t hi)
{
	int64_t x;

	if (!json_object_is_type(v, json_type_int))
		return 0;
	x = json_object_get_int64(v);
	return x >= lo && x <= hi;
}

static const char *
check_min_approvals(json_object *v)
{
	return int_in(v, 1, 20) ? NULL : "must be between 1 and 20";
}

static const char *
check_timeout(json_object *v)
{
	return int_in(v, 60, 2592000) ? NULL : "must be between 60 and 2592000";
}

static const char *
check_reassign(json_object *v)
{
	return int_in(v, 60, 604800) ? NULL : "must be between 60 and 604800";
}

static const char *
check_reminder(json_object *v)
{
	return int_in(v, 0, INT64_MAX) ? NULL : "must be 0 or more";
}

static const struct anx_field top_fields[] = {
	{ "default", ANX_FT_STRING, 1, 0, 0, check_default, 0 },
	{ "rules", ANX_FT_ARRAY, 0, 0, POL_MAX_RULES, NULL, 0 },
	{ "description", ANX_FT_STRING, 0, 0, POL_MAX_DESC, NULL, 0 },
};

static const struct anx_field rule_fields[] = {
	{ "name", ANX_FT_STRING, 1, 1, POL_MAX_NAME, NULL, 0 },
	{ "when", ANX_FT_OBJECT, 0, 0, 0, NULL, 0 },
	{ "effect", ANX_FT_STRING, 1, 0, 0, check_effect, 0 },
	{ "reason", ANX_FT_STRING, 0, 0, POL_MAX_REASON, NULL, 0 },
	{ "approval", ANX_FT_OBJECT, 0, 0, 0, NULL, 0 },
};

static const struct anx_field approval_fields[] = {
	{ "stages", ANX_FT_ARRAY, 1, 1, POL_MAX_STAGES, NULL, 0 },
	{ "timeout_seconds", ANX_FT_INT, 0, 0, 0, check_timeout, 0 },
	{ "approval_timeout_seconds", ANX_FT_INT, 0, 0, 0, check_timeout, 0 },
	{ "reminder_before_seconds", ANX_FT_INT, 0, 0, 0, check_reminder, 0 },
	{ "separation_of_duties", ANX_FT_BOOL, 0, 0, 0, NULL, 0 },
};

static const struct anx_field stage_fields[] = {
	{ "role", ANX_FT_STRING, 1, 1, POL_MAX_ROLE, check_role, 0 },
	{ "min_approvals", ANX_FT_INT, 0, 0, 0, check_min_approvals, 0 },
	{ "otp", ANX_FT_BOOL, 0, 0, 0, NULL, 0 },
	{ "assign", ANX_FT_STRING, 0, 0, 0, check_assign, 0 },
	{ "reassign_after_seconds", ANX_FT_INT, 0, 0, 0, check_reassign, 0 },
};

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* What a field holds, for type-checking its matchers. */
enum ftype { FT_STRING, FT_NUMBER, FT_ANY };

/* The fixed `when` keys that take a matcher. */
static const struct {
	const char *name;
	enum pol_field field;
	enum ftype type;
} when_fields[] = {
	{ "action", PF_ACTION, FT_STRING },
	{ "resource", PF_RESOURCE, FT_STRING },
	{ "agent_id", PF_AGENT_ID, FT_STRING },
	{ "currency", PF_CURRENCY, FT_STRING },
	{ "amount", PF_AMOUNT, FT_NUMBER },
};

/* The type a matcher on field reads. */
static enum ftype
field_type(enum pol_field f)
{
	size_t i;

	for (i = 0; i < NELEM(when_fields); i++)
		if (when_fields[i].field == f)
			return when_fields[i].type;
	return FT_ANY;
}

/* The operators of a matcher object. */
static const struct {
	const char *name;
	enum pol_opk kind;
} op_names[] = {
	{ "eq", PO_EQ },
	{ "ne", PO_NE },
	{ "in", PO_IN },
	{ "gt", PO_GT },
	{ "gte", PO_GTE },
	{ "lt", PO_LT },
	{ "lte", PO_LTE },
	{ "prefix", PO_STR },
	{ "glob", PO_STR },
	{ "exists", PO_EXISTS },
};

/* The problem for a scalar of the wrong kind on a field of type t. */
static const char *
scalar_expect(enum ftype t)
{
	switch (t) {
	case FT_STRING: return "must be a string";
	case FT_NUMBER: return "must be a number";
	default: break;
	}
	return "must be a string, number or boolean";
}

/*
 * Compiles the scalar v (an operand of eq, ne or in on a field of type t)
 * into *lit. Strings are copied into the arena. Returns 0, or -1 after
 * reporting the problem at path.
 */
static int
scalar_compile(struct cc *c, json_object *v, const char *path, enum ftype t, struct pol_lit *lit)
{
	const char *s;
	size_t len;

	switch (json_object_get_type(v)) {
	case json_type_string:
		if (t == FT_NUMBER)
			break;
		s = json_object_get_string(v);
		len = (size_t)json_object_get_string_len(v);
		if (!anx_utf8_valid(s, len)) {
			cc_err(c, path, "must be valid UTF-8 without NUL");
			return -1;
		}
		lit->kind = PK_STRING;
		lit->len = len;
		lit->hash = pol_hash(s, len);
		return (lit->s = cc_strndup(c, s, len)) == NULL ? -1 : 0;
	case json_type_int:
	case json_type_double:
		if (t == FT_STRING)
			break;
		lit->kind = PK_NUMBER;
		lit->num = json_object_get_double(v);
		if (!isfinite(lit->num)) {
			cc_err(c, path, "must be a finite number");
			return -1;
		}
		return 0;
	case json_type_boolean:
		if (t != FT_ANY)
			break;
		lit->kind = PK_BOOL;
		lit->b = json_object_get_boolean(v) ? 1 : 0;
		return 0;
	default: break;
	}
	cc_err(c, path, "%s", scalar_expect(t));
	return -1;
}

/*
 * Compiles the glob s (len bytes) into the string operator op: folds runs
 * of `*`, then classifies it (exact, prefix "a*", suffix "*a", contains
 * "*a*", any "*", or a general glob) so most matchers are one memcmp.
 * Returns 0, or -1 after reporting a problem at path.
 */
static int
glob_compile(struct cc *c, const char *s, size_t len, const char *path, struct pol_op *op)
{
	size_t i, n = 0, stars = 0, qmarks = 0;
	char *f;

	if (len > POL_MAX_GLOB) {
		cc_err(c, path, "must be at most %d bytes (glob pattern)", POL_MAX_GLOB);
		return -1;
	}
	if (!anx_utf8_valid(s, len)) {
		cc_err(c, path, "must be valid UTF-8 without NUL");
		return -1;
	}
	if ((f = cc_strndup(c, s, len)) == NULL)
		return -1;
	for (i = 0; i < len; i++) {
		if (s[i] == '*' && n > 0 && f[n - 1] == '*')
			continue;
		stars += s[i] == '*';
		qmarks += s[i] == '?';
		f[n++] = s[i];
	}
	f[n] = '\0';

	op->kind = PO_STR;
	op->lit.kind = PK_STRING;
	op->lit.s = f;
	op->lit.len = n;
	op->sm = PS_GLOB;
	if (qmarks == 0 && stars == 0) {
		op->sm = PS_EXACT;
	} else if (qmarks == 0 && n == 1) {
		op->sm = PS_ANY;
	} else if (qmarks == 0 && stars == 1 && f[n - 1] == '*') {
		op->sm = PS_PREFIX;
		f[--n] = '\0';
	} else if (qmarks == 0 && stars == 1 && f[0] == '*') {
		op->sm = PS_SUFFIX;
		op->lit.s = f + 1;
		n--;
	} else if (qmarks == 0 && stars == 2 && f[0] == '*' && f[n - 1] == '*') {
		op->sm = PS_CONTAINS;
		f[n - 1] = '\0';
		op->lit.s = f + 1;
		n -= 2;
	}
	op->lit.len = n;
	op->lit.hash = pol_hash(op->lit.s, n);
	return 0;
}

/* qsort comparators for the parts of an `in` set. */
static int
cmp_lit_hash(const void *a, const void *b)
{
	const struct pol_lit *x = a, *y = b;

	return x->hash < y->hash ? -1 : x->hash > y->hash;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/*
 * Compiles the operand v of `in` on a field of type t into op->set.
 * Lists longer than POL_MAX_IN are an error and only their first
 * POL_MAX_IN items are looked at.
 */
static void
in_compile(struct cc *c, json_object *v, const char *path, enum ftype t, struct pol_op *op)
{
	char sub[ANX_VERR_PATH];
	struct pol_lit *strs, lit;
	double *nums;
	size_t i, n;

	if (!json_object_is_type(v, json_type_array)) {
		cc_err(c, path, "must be an array");
		return;
	}
	if ((n = json_object_array_length(v)) == 0) {
		cc_err(c, path, "must have at least 1 item");
		return;
	}
	if (n > POL_MAX_IN) {
		cc_err(c, path, "must have at most %d items", POL_MAX_IN);
		n = POL_MAX_IN;
	}
	strs = cc_calloc(c, n, sizeof(*strs));
	nums = cc_calloc(c, n, sizeof(*nums));
	if (strs == NULL || nums == NULL)
		return;
	op->kind = PO_IN;
	for (i = 0; i < n; i++) {
		anx_json_path_index(sub, sizeof(sub), path, i);
		memset(&lit, 0, sizeof(lit));
		if (scalar_compile(c, json_object_array_get_idx(v, i), sub, t, &lit) == -1)
			continue;
		if (lit.kind == PK_STRING)
			strs[op->set.nstr++] = lit;
		else if (lit.kind == PK_NUMBER)
			nums[op->set.nnum++] = lit.num;
		else if (lit.b)
			op->set.has_true = 1;
		else
			op->set.has_false = 1;
	}
	qsort(strs, op->set.nstr, sizeof(*strs), cmp_lit_hash);
	qsort(nums, op->set.nnum, sizeof(*nums), cmp_double);
	op->set.strs = strs;
	op->set.nums = nums;
}

/*
 * Compiles operator name with operand v (at path) on field f into *op.
 * Returns 0, or -1 after reporting the problems.
 */
static int
op_compile(struct cc *c, const char *name, json_object *v, const char *path, enum pol_field f,
	struct pol_op *op)
{
	enum ftype t = field_type(f);
	size_t i, before = c->nerr;

	for (i = 0; i < NELEM(op_names); i++)
		if (strcmp(name, op_names[i].name) == 0)
			break;
	if (i == NELEM(op_names)) {
		cc_err(c, path,
			"unknown field (operators are eq, ne, in, gt, gte, lt, lte, prefix, glob, "
			"exists)");
		return -1;
	}
	op->kind = op_names[i].kind;
	switch (op->kind) {
	case PO_EQ:
	case PO_NE:
		if (scalar_compile(c, v, path, t, &op->lit) == -1)
			return -1;
		if (op->kind == PO_EQ && op->lit.kind == PK_STRING) {
			op->kind = PO_STR;
			op->sm = PS_EXACT;
		}
		break;
	case PO_IN: in_compile(c, v, path, t, op); break;
	case PO_GT:
	case PO_GTE:
	case PO_LT:
	case PO_LTE:
		if (t == FT_STRING) {
			cc_err(c, path, "applies only to numbers (amount or context values)");
			return -1;
		}
		if (!json_object_is_type(v, json_type_int) &&
			!json_object_is_type(v, json_type_double)) {
			cc_err(c, path, "must be a number");
			return -1;
		}
		return scalar_compile(c, v, path, FT_NUMBER, &op->lit);
	case PO_STR:
		if (t == FT_NUMBER) {
			cc_err(c, path, "applies only to strings (amount is a number)");
			return -1;
		}
		if (!json_object_is_type(v, json_type_string)) {
			cc_err(c, path, "must be a string");
			return -1;
		}
		if (strcmp(name, "glob") == 0)
			return glob_compile(c, json_object_get_string(v),
				(size_t)json_object_get_string_len(v), path, op);
		if (scalar_compile(c, v, path, FT_STRING, &op->lit) == -1)
			return -1;
		op->sm = PS_PREFIX;
		break;
	case PO_EXISTS:
		if (!json_object_is_type(v, json_type_boolean)) {
			cc_err(c, path, "must be a boolean");
			return -1;
		}
		op->lit.kind = PK_BOOL;
		op->lit.b = json_object_get_boolean(v) ? 1 : 0;
		break;
	}
	return c->nerr == before ? 0 : -1;
}

/*
 * Compiles the matcher v (at path) on field f into the condition *cd: a
 * literal (glob string, number, boolean) or an object of operators.
 */
static void
matcher_compile(
	struct cc *c, json_object *v, const char *path, enum pol_field f, struct pol_cond *cd)
{
	char sub[ANX_VERR_PATH];
	enum ftype t = field_type(f);
	struct pol_op *ops;
	size_t n;

	cd->kind = PC_MATCH;
	cd->field = f;
	if (json_object_is_type(v, json_type_object)) {
		if ((n = (size_t)json_object_object_length(v)) == 0) {
			cc_err(c, path, "must have at least one operator");
			return;
		}
		if ((ops = cc_calloc(c, n, sizeof(*ops))) == NULL)
			return;
		cd->ops = ops;
		json_object_object_foreach(v, key, val)
		{
			anx_json_path_key(sub, sizeof(sub), path, key);
			if (op_compile(c, key, val, sub, f, &ops[cd->nops]) == 0)
				cd->nops++;
		}
		return;
	}

	if ((ops = cc_calloc(c, 1, sizeof(*ops))) == NULL)
		return;
	cd->ops = ops;
	switch (json_object_get_type(v)) {
	case json_type_string:
		if (t == FT_NUMBER)
			break;
		if (glob_compile(c, json_object_get_string(v),
			    (size_t)json_object_get_string_len(v), path, ops) == 0)
			cd->nops = 1;
		return;
	case json_type_int:
	case json_type_double:
	case json_type_boolean:
		if (t == FT_STRING || (t == FT_NUMBER && json_object_is_type(v, json_type_boolean)))
			break;
		ops->kind = PO_EQ;
		if (scalar_compile(c, v, path, t, &ops->lit) == 0)
			cd->nops = 1;
		return;
	default: break;
	}
	switch (t) {
	case FT_STRING: cc_err(c, path, "must be a string or an object of operators"); break;
	case FT_NUMBER: cc_err(c, path, "must be a number or an object of operators"); break;
	default:
		cc_err(c, path, "must be a string, number, boolean or an object of operators");
		break;
	}
}

/*
 * Grows the path table of c to hold one more path, rehashing the slot
 * table when it gets half full. Returns 0, or -1 on OOM (noted).
 */
static int
paths_grow(struct cc *c)
{
	struct cc_path *np;
	size_t *slots, nslots, i, j;

	if (c->npaths == c->cappaths) {
		size_t cap = c->cappaths ? c->cappaths * 2 : 16;

		if (cap > SIZE_MAX / sizeof(*np) ||
			(np = realloc(c->paths, cap * sizeof(*np))) == NULL)
			goto nomem;
		c->paths = np;
		c->cappaths = cap;
	}
	if ((c->npaths + 1) * 2 <= c->nslots)
		return 0;
	nslots = c->nslots ? c->nslots * 2 : 32;
	if (nslots > SIZE_MAX / sizeof(*slots) || (slots = malloc(nslots * sizeof(*slots))) == NULL)
		goto nomem;
	for (i = 0; i < nslots; i++)
		slots[i] = SLOT_FREE;
	for (i = 0; i < c->npaths; i++) {
		for (j = c->paths[i].hash & (nslots - 1); slots[j] != SLOT_FREE;
			j = (j + 1) & (nslots - 1))
			continue;
		slots[j] = i;
	}
	free(c->slots);
	c->slots = slots;
	c->nslots = nslots;
	return 0;
nomem:
	c->nomem = 1;
	return -1;
}

/*
 * Checks the context path dotted (the part of a `when` key after
 * "context.", reported at path) and interns it: equal paths share one
 * index, so a decision resolves each at most once. Returns 0 with *idx
 * set, or -1 after reporting a problem (or on OOM).
 */
static int
path_intern(struct cc *c, const char *dotted, const char *path, size_t *idx)
{
	const char *seg, *dot;
	size_t nsegs = 0, len, i, j;
	const char **segs;
	uint64_t h;

	if (*dotted == '\0') {
		cc_err(c, path, "unknown field (a context path is needed after \"context.\")");
		return -1;
	}
	for (seg = dotted;; seg = dot + 1) {
		dot = strchr(seg, '.');
		len = dot ? (size_t)(dot - seg) : strlen(seg);
		if (len == 0) {
			cc_err(c, path, "context path has an empty segment");
			return -1;
		}
		if (!anx_utf8_valid(seg, len)) {
			cc_err(c, path, "context path must be valid UTF-8");
			return -1;
		}
		for (i = 0, j = 0; i < len; i++)
			j += ((unsigned char)seg[i] & 0xc0) != 0x80;
		if (j > POL_MAX_SEG) {
			cc_err(c, path, "context path segment longer than %d characters",
				POL_MAX_SEG);
			return -1;
		}
		if (++nsegs > POL_MAX_SEGS) {
			cc_err(c, path, "context path has more than %d segments", POL_MAX_SEGS);
			return -1;
		}
		if (dot == NULL)
			break;
	}

	h = pol_hash(dotted, strlen(dotted));
	for (j = c->nslots ? h & (c->nslots - 1) : 0; c->nslots && c->slots[j] != SLOT_FREE;
		j = (j + 1) & (c->nslots - 1))
		if (c->paths[c->slots[j]].hash == h &&
			strcmp(c->paths[c->slots[j]].key, dotted) == 0) {
			*idx = c->slots[j];
			return 0;
		}

	if (paths_grow(c) == -1 || (segs = cc_calloc(c, nsegs, sizeof(*segs))) == NULL)
		return -1;
	for (seg = dotted, i = 0; i < nsegs; i++) {
		dot = strchr(seg, '.');
		len = dot ? (size_t)(dot - seg) : strlen(seg);
		if ((segs[i] = cc_strndup(c, seg, len)) == NULL)
			return -1;
		seg += len + 1;
	}
	*idx = c->npaths;
	c->paths[*idx].hash = h;
	c->paths[*idx].path.nsegs = nsegs;
	c->paths[*idx].path.segs = segs;
	if ((c->paths[*idx].key = cc_strndup(c, dotted, strlen(dotted))) == NULL)
		return -1;
	for (j = h & (c->nslots - 1); c->slots[j] != SLOT_FREE; j = (j + 1) & (c->nslots - 1))
		continue;
	c->slots[j] = c->npaths++;
	return 0;
}

/* Evaluation order of a condition: cheap exact fields first. */
static int
cond_rank(const struct pol_cond *cd)
{
	if (cd->kind != PC_MATCH)
		return PF__MAX;
	return (int)cd->field;
}

static void when_compile(struct cc *, json_object *, const char *, int, struct pol_when *);

/*
 * Compiles the operand v of all/any/not (key kind, at path) inside a
 * `when` at nesting depth into *cd.
 */
static void
nested_compile(struct cc *c, json_object *v, const char *path, enum pol_condk kind, int depth,
	struct pol_cond *cd)
{
	char sub[ANX_VERR_PATH];
	struct pol_when *ws;
	size_t i, n;

	cd->kind = kind;
	if (depth + 1 > POL_MAX_NEST) {
		cc_err(c, path, "all/any/not nested deeper than %d levels", POL_MAX_NEST);
		return;
	}
	if (kind == PC_NOT) {
		if ((ws = cc_calloc(c, 1, sizeof(*ws))) == NULL)
			return;
		when_compile(c, v, path, depth + 1, ws);
		cd->nsub = 1;
		cd->sub = ws;
		return;
	}
	if (!json_object_is_type(v, json_type_array)) {
		cc_err(c, path, "must be an array of conditions");
		return;
	}
	if ((n = json_object_array_length(v)) == 0) {
		cc_err(c, path, "must have at least 1 item");
		return;
	}
	if ((ws = cc_calloc(c, n, sizeof(*ws))) == NULL)
		return;
	for (i = 0; i < n; i++) {
		anx_json_path_index(sub, sizeof(sub), path, i);
		when_compile(c, json_object_array_get_idx(v, i), sub, depth + 1, &ws[i]);
	}
	cd->nsub = n;
	cd->sub = ws;
}

/*
 * Compiles the `when` object v (at path, inside depth all/any/not) into
 * *w, its conditions ordered cheapest first (AND has no side effects, so
 * order does not change the outcome).
 */
static void
when_compile(struct cc *c, json_object *v, const char *path, int depth, struct pol_when *w)
{
	char sub[ANX_VERR_PATH];
	struct pol_cond *conds, tmp;
	size_t n, i, j;

	if (!json_object_is_type(v, json_type_object)) {
		cc_err(c, path, "must be an object");
		return;
	}
	if ((n = (size_t)json_object_object_length(v)) == 0)
		return;
	if ((conds = cc_calloc(c, n, sizeof(*conds))) == NULL)
		return;
	json_object_object_foreach(v, key, val)
	{
		struct pol_cond *cd = &conds[w->nconds];

		anx_json_path_key(sub, sizeof(sub), path, key);
		for (i = 0; i < NELEM(when_fields); i++)
			if (strcmp(key, when_fields[i].name) == 0)
				break;
		if (i < NELEM(when_fields)) {
			matcher_compile(c, val, sub, when_fields[i].field, cd);
		} else if (strcmp(key, "all") == 0) {
			nested_compile(c, val, sub, PC_ALL, depth, cd);
		} else if (strcmp(key, "any") == 0) {
			nested_compile(c, val, sub, PC_ANY, depth, cd);
		} else if (strcmp(key, "not") == 0) {
			nested_compile(c, val, sub, PC_NOT, depth, cd);
		} else if (strncmp(key, "context.", 8) == 0) {
			if (path_intern(c, key + 8, sub, &cd->path) == -1)
				continue;
			matcher_compile(c, val, sub, PF_CONTEXT, cd);
		} else {
			cc_err(c, sub, "unknown field");
			continue;
		}
		w->nconds++;
	}
	for (i = 1; i < w->nconds; i++) {
		tmp = conds[i];
		for (j = i; j > 0 && cond_rank(&conds[j - 1]) > cond_rank(&tmp); j--)
			conds[j] = conds[j - 1];
		conds[j] = tmp;
	}
	w->conds = conds;
}

/* Compiles approval stage v (at path) into *s; defaults per policy.h. */
static void
stage_compile(struct cc *c, json_object *v, const char *path, struct anx_policy_stage *s)
{
	char sub[ANX_VERR_PATH];
	const char *str;
	json_object *x;
	int assign_all;

	c->nerr += anx_json_validate(v, path, stage_fields, NELEM(stage_fields), c->errs);
	if (!json_object_is_type(v, json_type_object))
		return;
	s->min_approvals = 1;
	s->assign = ANX_ASSIGN_ALL;
	if ((str = anx_json_get_str(v, "role")) != NULL)
		s->role = cc_strndup(c, str, strlen(str));
	if (json_object_object_get_ex(v, "min_approvals", &x) &&
		json_object_is_type(x, json_type_int))
		s->min_approvals = json_object_get_int(x);
	s->otp = anx_json_get_bool(v, "otp", 0);
	str = anx_json_get_str(v, "assign");
	assign_all = !json_object_object_get_ex(v, "assign", &x) ||
		     (str != NULL && strcmp(str, "all") == 0);
	if (str != NULL && strcmp(str, "round_robin") == 0) {
		s->assign = ANX_ASSIGN_ROUND_ROBIN;
		s->reassign_after_seconds = 3600;
	}
	if (!json_object_object_get_ex(v, "reassign_after_seconds", &x))
		return;
	if (assign_all) {
		anx_json_path_key(sub, sizeof(sub), path, "reassign_after_seconds");
		cc_err(c, sub, "is only allowed when assign is \"round_robin\"");
	} else if (json_object_is_type(x, json_type_int))
		s->reassign_after_seconds = (long)json_object_get_int64(x);
}

/*
 * Compiles the approval object v (at path) into *a. timeout_seconds has
 * the alias approval_timeout_seconds; giving both is an error.
 */
static void
approval_compile(struct cc *c, json_object *v, const char *path, struct anx_policy_approval *a)
{
	char sub[ANX_VERR_PATH];
	struct anx_policy_stage *stages;
	json_object *x, *t1 = NULL, *t2 = NULL, *t;
	size_t i, n;
	int timeout_ok = 1;

	c->nerr += anx_json_validate(v, path, approval_fields, NELEM(approval_fields), c->errs);
	if (!json_object_is_type(v, json_type_object))
		return;
	a->timeout_seconds = 86400;
	a->reminder_before_seconds = -1;
	a->separation_of_duties = anx_json_get_bool(v, "separation_of_duties", 1);

	if (json_object_object_get_ex(v, "stages", &x) && json_object_is_type(x, json_type_array)) {
		n = json_object_array_length(x);
		if (n > POL_MAX_STAGES)
			n = POL_MAX_STAGES;
		if (n > 0 && (stages = cc_calloc(c, n, sizeof(*stages))) != NULL) {
			anx_json_path_key(sub, sizeof(sub), path, "stages");
			for (i = 0; i < n; i++) {
				char st[ANX_VERR_PATH];

				anx_json_path_index(st, sizeof(st), sub, i);
				stage_compile(c, json_object_array_get_idx(x, i), st, &stages[i]);
			}
			a->nstages = n;
			a->stages = stages;
		}
	}

	json_object_object_get_ex(v, "timeout_seconds", &t1);
	json_object_object_get_ex(v, "approval_timeout_seconds", &t2);
	if (t1 != NULL && t2 != NULL) {
		anx_json_path_key(sub, sizeof(sub), path, "approval_timeout_seconds");
		cc_err(c, sub, "must not be given together with timeout_seconds (it is an alias)");
		timeout_ok = 0;
	}
	if ((t = t1 != NULL ? t1 : t2) != NULL) {
		if (check_timeout(t) == NULL)
			a->timeout_seconds = (long)json_object_get_int64(t);
		else
			timeout_ok = 0;
	}

	if (!json_object_object_get_ex(v, "reminder_before_seconds", &x) ||
		check_reminder(x) != NULL)
		return;
	if (timeout_ok && json_object_get_int64(x) >= a->timeout_seconds) {
		anx_json_path_key(sub, sizeof(sub), path, "reminder_before_seconds");
		cc_err(c, sub, "must be less than timeout_seconds (%ld)", a->timeout_seconds);
		return;
	}
	a->reminder_before_seconds = (long)json_object_get_int64(x);
}

/*
 * Writes into out (room for POL_PRE_HASHES) the hashes of the exact
 * actions w requires, and returns how many, or 0 if w restricts the
 * action to no small known set. w requires a set when it has a top-level
 * exact `action` or `action` `in` list, an `all` with a branch that
 * requires a set, or an `any` whose every branch does (the union).
 * Recursion follows all/any, so it is bounded by POL_MAX_NEST.
 */
static size_t
when_action_hashes(const struct pol_when *w, uint64_t *out)
{
	uint64_t sub[POL_PRE_HASHES];
	const struct pol_cond *cd;
	const struct pol_op *op;
	size_t i, j, k, n, total;

	for (i = 0; i < w->nconds; i++) {
		cd = &w->conds[i];
		if (cd->kind != PC_MATCH || cd->field != PF_ACTION)
			continue;
		for (k = 0; k < cd->nops; k++) {
			op = &cd->ops[k];
			if (op->kind == PO_STR && op->sm == PS_EXACT) {
				out[0] = op->lit.hash;
				return 1;
			}
			if (op->kind == PO_IN && op->set.nstr > 0 &&
				op->set.nstr <= POL_PRE_HASHES) {
				for (j = 0; j < op->set.nstr; j++)
					out[j] = op->set.strs[j].hash;
				return op->set.nstr;
			}
		}
	}
	for (i = 0; i < w->nconds; i++) {
		cd = &w->conds[i];
		if (cd->kind == PC_ALL) {
			for (j = 0; j < cd->nsub; j++)
				if ((n = when_action_hashes(&cd->sub[j], out)) > 0)
					return n;
		} else if (cd->kind == PC_ANY) {
			for (j = 0, total = 0; j < cd->nsub; j++) {
				n = when_action_hashes(&cd->sub[j], sub);
				if (n == 0 || total + n > POL_PRE_HASHES)
					break;
				memcpy(out + total, sub, n * sizeof(*sub));
				total += n;
			}
			if (j == cd->nsub && total > 0)
				return total;
		}
	}
	return 0;
}

/*
 * Sets pre to test that the action starts (tail 0) or ends (tail 1) with
 * lit[0..len), on at most 8 of its bytes, if that is longer than what pre
 * tests already.
 */
static void
pre_affix(struct pol_pre *pre, const char *lit, size_t len, int tail)
{
	static const char ff[] = "\xff\xff\xff\xff\xff\xff\xff\xff";
	size_t k = len < 8 ? len : 8;

	if (len == 0 || pre->minlen >= (int64_t)len)
		return;
	pre->sel = tail ? PRE_TAIL : PRE_HEAD;
	pre->minlen = (int64_t)len;
	pre->mask = pol_word(ff, k, tail);
	pre->bits = pol_word(lit, len, tail) & pre->mask;
}

/*
 * Derives rule r's prefilter into *pre (policy_int.h): the exact actions
 * its `when` requires if there are any, else the longest literal head or
 * tail of a top-level action glob or prefix. Each is implied by the
 * `when`, so skipping the rule when the prefilter fails never changes a
 * decision.
 */
static void
rule_prefilter(struct cc *c, struct pol_rule *r, struct pol_pre *pre)
{
	uint64_t hashes[POL_PRE_HASHES], *copy;
	const struct pol_cond *cd;
	const struct pol_op *op;
	const char *s;
	size_t i, k, n, head;

	pre->minlen = INT64_MIN;
	if ((n = when_action_hashes(&r->when, hashes)) == 1) {
		pre->sel = PRE_HASH;
		pre->mask = UINT64_MAX;
		pre->bits = hashes[0];
		pre->minlen = 0;
		return;
	}
	if (n > 1) {
		if ((copy = cc_calloc(c, n, sizeof(*copy))) == NULL)
			return;
		memcpy(copy, hashes, n * sizeof(*copy));
		r->hashes = copy;
		r->nhash = n;
		pre->multi = 1;
		pre->minlen = 0;
		return;
	}
	for (i = 0; i < r->when.nconds; i++) {
		cd = &r->when.conds[i];
		if (cd->kind != PC_MATCH || cd->field != PF_ACTION)
			continue;
		for (k = 0; k < cd->nops; k++) {
			op = &cd->ops[k];
			if (op->kind != PO_STR)
				continue;
			s = op->lit.s;
			n = op->lit.len;
			switch (op->sm) {
			case PS_PREFIX: pre_affix(pre, s, n, 0); break;
			case PS_SUFFIX: pre_affix(pre, s, n, 1); break;
			case PS_GLOB:
				head = strcspn(s, "*?");
				pre_affix(pre, s, head, 0);
				while (n > 0 && s[n - 1] != '*' && s[n - 1] != '?')
					n--;
				pre_affix(pre, s + n, op->lit.len - n, 1);
				break;
			default: break;
			}
		}
	}
}

/* Compiles rule v (at path) into *r. */
static void
rule_compile(struct cc *c, json_object *v, const char *path, struct pol_rule *r)
{
	char sub[ANX_VERR_PATH];
	const char *s;
	json_object *x;
	int have_effect, have_approval;

	c->nerr += anx_json_validate(v, path, rule_fields, NELEM(rule_fields), c->errs);
	if (!json_object_is_type(v, json_type_object))
		return;
	if ((s = anx_json_get_str(v, "name")) != NULL)
		r->name = cc_strndup(c, s, strlen(s));
	have_effect = anx_effect_parse(anx_json_get_str(v, "effect"), &r->effect) == 0;
	if (json_object_object_get_ex(v, "when", &x) && json_object_is_type(x, json_type_object)) {
		anx_json_path_key(sub, sizeof(sub), path, "when");
		when_compile(c, x, sub, 0, &r->when);
	}
	if ((s = anx_json_get_str(v, "reason")) != NULL)
		r->reason = cc_strndup(c, s, strlen(s));
	else if (r->name != NULL && (r->reason = anx_arena_printf(
					     &c->p->arena, "Matched rule \"%s\"", r->name)) == NULL)
		c->nomem = 1;

	anx_json_path_key(sub, sizeof(sub), path, "approval");
	have_approval = json_object_object_get_ex(v, "approval", &x);
	if (have_effect && r->effect == ANX_EFFECT_REQUIRE_APPROVAL && !have_approval)
		cc_err(c, sub, "is required when effect is \"require_approval\"");
	else if (have_effect && r->effect != ANX_EFFECT_REQUIRE_APPROVAL && have_approval)
		cc_err(c, sub, "is only allowed when effect is \"require_approval\"");
	else if (have_approval && json_object_is_type(x, json_type_object))
		approval_compile(c, x, sub, &r->approval);
}

/*
 * Compiles the rules array v: each rule (only the first POL_MAX_RULES;
 * more is already an error), then checks that names are unique.
 */
static void
rules_compile(struct cc *c, json_object *v)
{
	char path[ANX_VERR_PATH], sub[ANX_VERR_PATH];
	struct pol_rule *rules;
	struct pol_pre *pre;
	size_t i, j, n;

	if ((n = json_object_array_length(v)) > POL_MAX_RULES)
		n = POL_MAX_RULES;
	if (n == 0 || (rules = cc_calloc(c, n, sizeof(*rules))) == NULL ||
		(pre = cc_calloc(c, n, sizeof(*pre))) == NULL)
		return;
	for (i = 0; i < n; i++) {
		anx_json_path_index(path, sizeof(path), "rules", i);
		rule_compile(c, json_object_array_get_idx(v, i), path, &rules[i]);
		rule_prefilter(c, &rules[i], &pre[i]);
		for (j = 0; rules[i].name != NULL && j < i; j++)
			if (rules[j].name != NULL && strcmp(rules[i].name, rules[j].name) == 0) {
				anx_json_path_key(sub, sizeof(sub), path, "name");
				cc_err(c, sub, "duplicates the name of rules[%zu]", j);
				break;
			}
	}
	c->p->nrules = n;
	c->p->rules = rules;
	c->p->pre = pre;
}

/*
 * Validates and compiles doc; see policy.h for the contract. The policy
 * is built as the document is checked and freed again if any problem was
 * found; context paths are moved from the malloc'd interning table into
 * the arena at the end.
 */
enum anx_err
anx_policy_compile(json_object *doc, struct anx_policy **out, struct anx_verrs *errs)
{
	struct anx_policy *p = NULL;
	struct pol_path *paths;
	enum anx_err rc = ANX_ERR_NOMEM;
	struct cc c;
	const char *s;
	json_object *v;
	size_t i;

	*out = NULL;
	memset(&c, 0, sizeof(c));
	if ((p = calloc(1, sizeof(*p))) == NULL)
		goto out;
	anx_arena_init(&p->arena);
	c.p = p;
	c.errs = errs;

	c.nerr += anx_json_validate(doc, "", top_fields, NELEM(top_fields), errs);
	if (!json_object_is_type(doc, json_type_object))
		goto done;
	s = anx_json_get_str(doc, "default");
	p->def = s != NULL && strcmp(s, "allow") == 0 ? ANX_EFFECT_ALLOW : ANX_EFFECT_DENY;
	p->def_reason = p->def == ANX_EFFECT_ALLOW ? "No rule matched; the policy default is allow"
						   : "No rule matched; the policy default is deny";
	if ((s = anx_json_get_str(doc, "description")) != NULL)
		p->description = cc_strndup(&c, s, strlen(s));
	if (json_object_object_get_ex(doc, "rules", &v) && json_object_is_type(v, json_type_array))
		rules_compile(&c, v);
	if (c.npaths > 0 && !c.nomem && c.nerr == 0) {
		if ((paths = cc_calloc(&c, c.npaths, sizeof(*paths))) == NULL)
			goto done;
		for (i = 0; i < c.npaths; i++)
			paths[i] = c.paths[i].path;
		p->paths = paths;
		p->npaths = c.npaths;
	}
done:
	if (c.nomem)
		goto out;
	if (c.nerr > 0) {
		rc = ANX_ERR_VALIDATION;
		goto out;
	}
	*out = p;
	p = NULL;
	rc = ANX_OK;
out:
	free(c.paths);
	free(c.slots);
	anx_policy_free(p);
	return rc;
}
