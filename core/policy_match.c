/*
 * policy_match.c - deciding a request against a compiled policy, and the
 * glob matcher.
 *
 * A decision allocates nothing: the input's fields are measured once into
 * a struct pol_eval on the stack, the action is hashed once so a rule
 * that names an exact action is skipped with one integer compare, and
 * each context path is resolved at most once (the first POL_CTX_CACHE
 * paths are cached; later ones are resolved on every use).
 */
#include "policy_int.h"

#include <string.h>

/* One input value as the matchers see it. */
struct pol_val {
	enum pol_kind kind;
	const char *s; /* PK_STRING, len bytes */
	size_t len;
	uint64_t hash; /* valid when hashed */
	int hashed;
	double num; /* PK_NUMBER */
	int b;      /* PK_BOOL */
};

/* The state of one decision. */
struct pol_eval {
	const struct anx_policy *p;
	json_object *context;
	struct pol_val fields[PF_CONTEXT]; /* action .. amount */
	uint64_t ctx_done;                 /* bit i: ctx[i] is resolved */
	struct pol_val ctx[POL_CTX_CACHE];
};

static int when_holds(struct pol_eval *, const struct pol_when *);

/*
 * Index of the byte after the UTF-8 character that starts at s[i] (i < n):
 * one byte plus up to three continuation bytes, so ill-formed input still
 * advances by at least one byte.
 */
static size_t
cp_next(const char *s, size_t i, size_t n)
{
	size_t end = i + 4 < n ? i + 4 : n;

	for (i++; i < end && ((unsigned char)s[i] & 0xc0) == 0x80; i++)
		continue;
	return i;
}

/*
 * Matches the glob pat against s, both by length (see policy.h). The
 * classic two-pointer algorithm: remember the last `*` and the text
 * position it was tried at; on a mismatch let that `*` swallow one more
 * character and retry. Earlier stars never need revisiting, so the cost
 * is O(patlen * slen). Positions in s always sit on character boundaries
 * (literal bytes of a well-formed pattern match whole characters).
 */
int
anx_policy_glob(const char *pat, size_t patlen, const char *s, size_t slen)
{
	size_t pi = 0, si = 0, star = 0, mark = 0;
	int have_star = 0;

	while (si < slen) {
		if (pi < patlen && pat[pi] == '*') {
			have_star = 1;
			star = ++pi;
			mark = si;
			continue;
		}
		if (pi < patlen && pat[pi] == '?') {
			pi++;
			si = cp_next(s, si, slen);
			continue;
		}
		if (pi < patlen && pat[pi] == s[si]) {
			pi++;
			si++;
			continue;
		}
		if (!have_star)
			return 0;
		mark = cp_next(s, mark, slen);
		si = mark;
		pi = star;
	}
	while (pi < patlen && pat[pi] == '*')
		pi++;
	return pi == patlen;
}

/* Sets v from a NUL-terminated string, or absent for NULL; not hashed. */
static void
val_from_str(struct pol_val *v, const char *s)
{
	v->hashed = 0;
	if (s == NULL) {
		v->kind = PK_ABSENT;
		return;
	}
	v->kind = PK_STRING;
	v->s = s;
	v->len = strlen(s);
}

/* The hash of string value v, computed on first use. */
static uint64_t
val_hash(struct pol_val *v)
{
	if (!v->hashed) {
		v->hash = pol_hash(v->s, v->len);
		v->hashed = 1;
	}
	return v->hash;
}

/*
 * Resolves the context path at into v: walks ctx member by member through
 * objects. Absent when ctx is not an object, a member is missing, an
 * intermediate is not an object, or the value is JSON null.
 */
static void
ctx_resolve(json_object *ctx, const struct pol_path *at, struct pol_val *v)
{
	json_object *o = ctx, *next;
	size_t i;

	v->kind = PK_ABSENT;
	v->hashed = 0;
	for (i = 0; i < at->nsegs; i++) {
		if (!json_object_is_type(o, json_type_object) ||
			!json_object_object_get_ex(o, at->segs[i], &next))
			return;
		o = next;
	}
	switch (json_object_get_type(o)) {
	case json_type_null: break;
	case json_type_string:
		v->kind = PK_STRING;
		v->s = json_object_get_string(o);
		v->len = (size_t)json_object_get_string_len(o);
		break;
	case json_type_int:
	case json_type_double:
		v->kind = PK_NUMBER;
		v->num = json_object_get_double(o);
		break;
	case json_type_boolean:
		v->kind = PK_BOOL;
		v->b = json_object_get_boolean(o) ? 1 : 0;
		break;
	default: v->kind = PK_OTHER; break;
	}
}

/*
 * The input value condition c reads: a field of ev, or its context path
 * (from the cache, or resolved into tmp past the cache). Lives as long as
 * ev or tmp.
 */
static struct pol_val *
eval_val(struct pol_eval *ev, const struct pol_cond *c, struct pol_val *tmp)
{
	uint64_t bit;

	if (c->field != PF_CONTEXT)
		return &ev->fields[c->field];
	if (c->path >= POL_CTX_CACHE) {
		ctx_resolve(ev->context, &ev->p->paths[c->path], tmp);
		return tmp;
	}
	bit = (uint64_t)1 << c->path;
	if ((ev->ctx_done & bit) == 0) {
		ctx_resolve(ev->context, &ev->p->paths[c->path], &ev->ctx[c->path]);
		ev->ctx_done |= bit;
	}
	return &ev->ctx[c->path];
}

/* 1 if v and the literal lit are of one kind and equal (strings exactly). */
static int
val_eq(const struct pol_val *v, const struct pol_lit *lit)
{
	if (v->kind != lit->kind)
		return 0;
	switch (lit->kind) {
	case PK_STRING: return v->len == lit->len && memcmp(v->s, lit->s, lit->len) == 0;
	case PK_NUMBER: return v->num == lit->num;
	case PK_BOOL: return v->b == lit->b;
	default: return 0;
	}
}

/* 1 if string value v is in set: binary search by hash, then compare. */
static int
set_has_str(const struct pol_set *set, struct pol_val *v)
{
	size_t lo = 0, hi = set->nstr, mid;
	uint64_t h = val_hash(v);

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (set->strs[mid].hash < h)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < set->nstr && set->strs[lo].hash == h; lo++)
		if (val_eq(v, &set->strs[lo]))
			return 1;
	return 0;
}

/* 1 if number x is in set (binary search; NaN is never in it). */
static int
set_has_num(const struct pol_set *set, double x)
{
	size_t lo = 0, hi = set->nnum, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (set->nums[mid] < x)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < set->nnum && set->nums[lo] == x;
}

/* 1 if v is equal to an item of set. */
static int
set_has(const struct pol_set *set, struct pol_val *v)
{
	switch (v->kind) {
	case PK_STRING: return set->nstr > 0 && set_has_str(set, v);
	case PK_NUMBER: return set->nnum > 0 && set_has_num(set, v->num);
	case PK_BOOL: return v->b ? set->has_true : set->has_false;
	default: return 0;
	}
}

/* 1 if the string value v matches string operator op. */
static int
str_holds(const struct pol_op *op, const struct pol_val *v)
{
	const struct pol_lit *l = &op->lit;

	switch (op->sm) {
	case PS_EXACT: return v->len == l->len && memcmp(v->s, l->s, l->len) == 0;
	case PS_PREFIX: return v->len >= l->len && memcmp(v->s, l->s, l->len) == 0;
	case PS_SUFFIX:
		return v->len >= l->len && memcmp(v->s + v->len - l->len, l->s, l->len) == 0;
	case PS_CONTAINS: return memmem(v->s, v->len, l->s, l->len) != NULL;
	case PS_ANY: return 1;
	case PS_GLOB: return anx_policy_glob(l->s, l->len, v->s, v->len);
	}
	return 0;
}

/* 1 if operator op holds for value v (see policy.h for missing values). */
static int
op_holds(const struct pol_op *op, struct pol_val *v)
{
	switch (op->kind) {
	case PO_EXISTS: return (v->kind != PK_ABSENT) == op->lit.b;
	case PO_NE: return !val_eq(v, &op->lit);
	case PO_STR: return v->kind == PK_STRING && str_holds(op, v);
	case PO_EQ: return val_eq(v, &op->lit);
	case PO_IN: return set_has(&op->set, v);
	case PO_GT: return v->kind == PK_NUMBER && v->num > op->lit.num;
	case PO_GTE: return v->kind == PK_NUMBER && v->num >= op->lit.num;
	case PO_LT: return v->kind == PK_NUMBER && v->num < op->lit.num;
	case PO_LTE: return v->kind == PK_NUMBER && v->num <= op->lit.num;
	}
	return 0;
}

/* 1 if condition c holds. Recursion is bounded by POL_MAX_NEST. */
static int
cond_holds(struct pol_eval *ev, const struct pol_cond *c)
{
	struct pol_val tmp, *v;
	size_t i;

	switch (c->kind) {
	case PC_MATCH:
		v = eval_val(ev, c, &tmp);
		for (i = 0; i < c->nops; i++)
			if (!op_holds(&c->ops[i], v))
				return 0;
		return 1;
	case PC_ALL:
		for (i = 0; i < c->nsub; i++)
			if (!when_holds(ev, &c->sub[i]))
				return 0;
		return 1;
	case PC_ANY:
		for (i = 0; i < c->nsub; i++)
			if (when_holds(ev, &c->sub[i]))
				return 1;
		return 0;
	case PC_NOT: return !when_holds(ev, &c->sub[0]);
	}
	return 0;
}

/* 1 if every condition of w holds (an empty w always holds). */
static int
when_holds(struct pol_eval *ev, const struct pol_when *w)
{
	size_t i;

	for (i = 0; i < w->nconds; i++)
		if (!cond_holds(ev, &w->conds[i]))
			return 0;
	return 1;
}

/* 1 if hash is one of rule r's prefilter hashes. */
static int
pre_hashes_have(const struct pol_rule *r, uint64_t hash)
{
	size_t k;

	for (k = 0; k < r->nhash; k++)
		if (r->hashes[k] == hash)
			return 1;
	return 0;
}

/*
 * Decides in against p into *out (see policy.h). Rules are tried in order;
 * a rule whose prefilter rejects the action (two integer compares on a
 * dense array, see policy_int.h) is skipped before its `when` is read.
 * Pointers put in *out live as long as p.
 */
void
anx_policy_decide(const struct anx_policy *p, const struct anx_policy_input *in,
	struct anx_policy_decision *out)
{
	const struct pol_rule *r;
	const struct pol_pre *pre;
	uint64_t word[3] = { 0, 0, 0 };
	struct pol_val *act;
	struct pol_eval ev;
	int64_t alen = -1;
	size_t i;

	ev.p = p;
	ev.context = in->context;
	ev.ctx_done = 0;
	val_from_str(&ev.fields[PF_ACTION], in->action);
	val_from_str(&ev.fields[PF_RESOURCE], in->resource);
	val_from_str(&ev.fields[PF_AGENT_ID], in->agent_id);
	val_from_str(&ev.fields[PF_CURRENCY], in->currency);
	ev.fields[PF_AMOUNT].kind = in->has_amount ? PK_NUMBER : PK_ABSENT;
	ev.fields[PF_AMOUNT].num = in->amount;
	ev.fields[PF_AMOUNT].hashed = 0;
	act = &ev.fields[PF_ACTION];
	if (act->kind == PK_STRING) {
		alen = (int64_t)act->len;
		word[PRE_HASH] = val_hash(act);
		word[PRE_HEAD] = pol_word(act->s, act->len, 0);
		word[PRE_TAIL] = pol_word(act->s, act->len, 1);
	}

	for (i = 0; i < p->nrules; i++) {
		pre = &p->pre[i];
		if (alen < pre->minlen || (word[pre->sel] & pre->mask) != pre->bits)
			continue;
		r = &p->rules[i];
		if (pre->multi && !pre_hashes_have(r, word[PRE_HASH]))
			continue;
		if (!when_holds(&ev, &r->when))
			continue;
		out->effect = r->effect;
		out->rule_index = (int)i;
		out->rule_name = r->name;
		out->reason = r->reason;
		out->approval = r->effect == ANX_EFFECT_REQUIRE_APPROVAL ? &r->approval : NULL;
		return;
	}
	out->effect = p->def;
	out->rule_index = -1;
	out->rule_name = NULL;
	out->reason = p->def_reason;
	out->approval = NULL;
}
