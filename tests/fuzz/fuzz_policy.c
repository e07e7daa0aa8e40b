/*
 * fuzz_policy.c - fuzz entry point for the policy compiler and matcher.
 *
 * The input is a policy document. It is parsed under the API's limits and
 * compiled; a rejected document must come with at least one well-formed
 * error. An accepted one is decided against inputs built from its own
 * strings, numbers and context paths (so rules actually match); every
 * decision is checked for consistency and compared with a naive
 * reference evaluator that interprets the document directly, so the
 * compiler's precomputation (glob classes, prefilters, context caching,
 * condition reordering) is tested against the language as written. The
 * glob matcher is also compared with a memoised reference on pairs of the
 * document's strings.
 *
 * Build for real fuzzing with clang -fsanitize=fuzzer,address; in ctest
 * corpus_main.c replays tests/fuzz/corpus/fuzz_policy/.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_STRS  24
#define MAX_NUMS  8
#define MAX_PATHS 8
#define REF_MAX   48 /* bytes of pattern and text for the reference glob */

/* Copies of the document's strings, so it can be released before deciding. */
struct harvest {
	char *strs[MAX_STRS];
	size_t nstrs;
	char *paths[MAX_PATHS]; /* context paths of `when` keys, without "context." */
	size_t npaths;
	double nums[MAX_NUMS];
	size_t nnums;
};

/* Collects strings (values and keys) and numbers of v, depth-bounded. */
static void
collect(json_object *v, struct harvest *h, int depth)
{
	size_t i, n;

	if (depth > 40)
		return;
	switch (json_object_get_type(v)) {
	case json_type_string:
		if (h->nstrs < MAX_STRS &&
			(h->strs[h->nstrs] = strdup(json_object_get_string(v))) != NULL)
			h->nstrs++;
		break;
	case json_type_int:
	case json_type_double:
		if (h->nnums < MAX_NUMS)
			h->nums[h->nnums++] = json_object_get_double(v);
		break;
	case json_type_array:
		n = json_object_array_length(v);
		for (i = 0; i < n; i++)
			collect(json_object_array_get_idx(v, i), h, depth + 1);
		break;
	case json_type_object: {
		json_object_object_foreach(v, key, val)
		{
			if (strncmp(key, "context.", 8) == 0) {
				if (h->npaths < MAX_PATHS &&
					(h->paths[h->npaths] = strdup(key + 8)) != NULL)
					h->npaths++;
			} else if (h->nstrs < MAX_STRS && (h->strs[h->nstrs] = strdup(key)) != NULL)
				h->nstrs++;
			collect(val, h, depth + 1);
		}
		break;
	}
	default: break;
	}
}

/* Byte length of the UTF-8 character at s[i] (as the matcher counts it). */
static size_t
cp_len(const char *s, size_t i, size_t n)
{
	size_t j = i + 1;

	while (j < n && j < i + 4 && ((unsigned char)s[j] & 0xc0) == 0x80)
		j++;
	return j - i;
}

/* Reference glob: does p[pi..] match s[si..]? memo: -1 unknown. */
static int
ref_glob(const char *p, size_t pn, size_t pi, const char *s, size_t sn, size_t si,
	signed char memo[REF_MAX + 1][REF_MAX + 1])
{
	int r;

	if (memo[pi][si] >= 0)
		return memo[pi][si];
	if (pi == pn)
		r = si == sn;
	else if (p[pi] == '*')
		r = ref_glob(p, pn, pi + 1, s, sn, si, memo) ||
		    (si < sn && ref_glob(p, pn, pi, s, sn, si + cp_len(s, si, sn), memo));
	else if (si == sn)
		r = 0;
	else if (p[pi] == '?')
		r = ref_glob(p, pn, pi + 1, s, sn, si + cp_len(s, si, sn), memo);
	else
		r = p[pi] == s[si] && ref_glob(p, pn, pi + 1, s, sn, si + 1, memo);
	memo[pi][si] = (signed char)r;
	return r;
}

/*
 * A reference evaluator written straight from the language description
 * (policy.h), interpreting the JSON document with no precompilation,
 * prefilters or caches. Only used on documents the compiler accepted.
 */
struct rval {
	enum { RV_ABSENT, RV_STR, RV_NUM, RV_BOOL, RV_OTHER } kind;
	const char *s;
	size_t len;
	double num;
	int b;
};

/* Full glob match by dynamic programming over (pattern, text) positions. */
static int
ref_glob_full(const char *p, size_t pn, const char *s, size_t sn)
{
	unsigned char *dp;
	size_t pi, si, w = sn + 1;
	int r;

	if ((dp = calloc((pn + 1) * w, 1)) == NULL)
		abort();
	dp[pn * w + sn] = 1;
	for (pi = pn; pi-- > 0;)
		for (si = sn + 1; si-- > 0;) {
			unsigned char v;

			if (p[pi] == '*')
				v = dp[(pi + 1) * w + si] ||
				    (si < sn && dp[pi * w + si + cp_len(s, si, sn)]);
			else if (si == sn)
				v = 0;
			else if (p[pi] == '?')
				v = dp[(pi + 1) * w + si + cp_len(s, si, sn)];
			else
				v = p[pi] == s[si] && dp[(pi + 1) * w + si + 1];
			dp[pi * w + si] = v;
		}
	r = dp[0];
	free(dp);
	return r;
}

/* The reference value of JSON v (NULL and JSON null are absent). */
static struct rval
ref_of_json(json_object *v)
{
	struct rval r;

	memset(&r, 0, sizeof(r));
	switch (json_object_get_type(v)) {
	case json_type_null: r.kind = RV_ABSENT; break;
	case json_type_string:
		r.kind = RV_STR;
		r.s = json_object_get_string(v);
		r.len = (size_t)json_object_get_string_len(v);
		break;
	case json_type_int:
	case json_type_double:
		r.kind = RV_NUM;
		r.num = json_object_get_double(v);
		break;
	case json_type_boolean:
		r.kind = RV_BOOL;
		r.b = json_object_get_boolean(v);
		break;
	default: r.kind = RV_OTHER; break;
	}
	return r;
}

/* Scalar equality of input value v and literal lit (strings exact). */
static int
ref_eq(const struct rval *v, json_object *lit)
{
	struct rval l = ref_of_json(lit);

	if (v->kind != l.kind)
		return 0;
	switch (l.kind) {
	case RV_STR: return v->len == l.len && memcmp(v->s, l.s, l.len) == 0;
	case RV_NUM: return v->num == l.num;
	case RV_BOOL: return v->b == l.b;
	default: return 0;
	}
}

/* Whether matcher m holds for value v. */
static int
ref_matcher(json_object *m, const struct rval *v)
{
	struct rval l;
	size_t i;

	if (!json_object_is_type(m, json_type_object)) {
		l = ref_of_json(m);
		if (l.kind == RV_STR)
			return v->kind == RV_STR && ref_glob_full(l.s, l.len, v->s, v->len);
		return ref_eq(v, m);
	}
	json_object_object_foreach(m, op, arg)
	{
		int ok;

		if (strcmp(op, "eq") == 0)
			ok = ref_eq(v, arg);
		else if (strcmp(op, "ne") == 0)
			ok = !ref_eq(v, arg);
		else if (strcmp(op, "in") == 0) {
			ok = 0;
			for (i = 0; i < json_object_array_length(arg) && !ok; i++)
				ok = ref_eq(v, json_object_array_get_idx(arg, i));
		} else if (strcmp(op, "exists") == 0)
			ok = (v->kind != RV_ABSENT) == json_object_get_boolean(arg);
		else if (strcmp(op, "prefix") == 0 || strcmp(op, "glob") == 0) {
			l = ref_of_json(arg);
			ok = v->kind == RV_STR &&
			     (op[0] == 'p' ? v->len >= l.len && memcmp(v->s, l.s, l.len) == 0
					   : ref_glob_full(l.s, l.len, v->s, v->len));
		} else {
			double x = json_object_get_double(arg);

			ok = v->kind == RV_NUM && (strcmp(op, "gt") == 0           ? v->num > x
							  : strcmp(op, "gte") == 0 ? v->num >= x
							  : strcmp(op, "lt") == 0  ? v->num < x
										   : v->num <= x);
		}
		if (!ok)
			return 0;
	}
	return 1;
}

/* The reference value of a string input field. */
static struct rval
ref_str(const char *s)
{
	struct rval r;

	memset(&r, 0, sizeof(r));
	if (s != NULL) {
		r.kind = RV_STR;
		r.s = s;
		r.len = strlen(s);
	}
	return r;
}

/* The context value at dotted path (split on '.'), walking objects only. */
static struct rval
ref_context(json_object *ctx, const char *path)
{
	char seg[600];
	const char *dot;
	json_object *o = ctx;
	struct rval absent;
	size_t n;

	memset(&absent, 0, sizeof(absent));
	for (;;) {
		dot = strchr(path, '.');
		n = dot ? (size_t)(dot - path) : strlen(path);
		if (n >= sizeof(seg))
			return absent;
		memcpy(seg, path, n);
		seg[n] = '\0';
		if (!json_object_is_type(o, json_type_object) ||
			!json_object_object_get_ex(o, seg, &o))
			return absent;
		if (dot == NULL)
			return ref_of_json(o);
		path = dot + 1;
	}
}

/* Whether `when` object w holds for in. */
static int
ref_when(json_object *w, const struct anx_policy_input *in)
{
	struct rval v;
	size_t i;

	json_object_object_foreach(w, key, val)
	{
		int ok;

		if (strcmp(key, "all") == 0) {
			ok = 1;
			for (i = 0; i < json_object_array_length(val) && ok; i++)
				ok = ref_when(json_object_array_get_idx(val, i), in);
		} else if (strcmp(key, "any") == 0) {
			ok = 0;
			for (i = 0; i < json_object_array_length(val) && !ok; i++)
				ok = ref_when(json_object_array_get_idx(val, i), in);
		} else if (strcmp(key, "not") == 0) {
			ok = !ref_when(val, in);
		} else {
			if (strcmp(key, "action") == 0)
				v = ref_str(in->action);
			else if (strcmp(key, "resource") == 0)
				v = ref_str(in->resource);
			else if (strcmp(key, "agent_id") == 0)
				v = ref_str(in->agent_id);
			else if (strcmp(key, "currency") == 0)
				v = ref_str(in->currency);
			else if (strcmp(key, "amount") == 0) {
				memset(&v, 0, sizeof(v));
				if (in->has_amount) {
					v.kind = RV_NUM;
					v.num = in->amount;
				}
			} else
				v = ref_context(in->context, key + 8);
			ok = ref_matcher(val, &v);
		}
		if (!ok)
			return 0;
	}
	return 1;
}

/* The index of the first rule of doc whose `when` holds for in, or -1. */
static int
ref_decide(json_object *doc, const struct anx_policy_input *in)
{
	json_object *rules, *when;
	size_t i;

	if (!json_object_object_get_ex(doc, "rules", &rules))
		return -1;
	for (i = 0; i < json_object_array_length(rules); i++)
		if (!json_object_object_get_ex(
			    json_object_array_get_idx(rules, i), "when", &when) ||
			ref_when(when, in))
			return (int)i;
	return -1;
}

/* Aborts unless d is a consistent decision of p. */
static void
check_decision(const struct anx_policy *p, const struct anx_policy_decision *d)
{
	if ((unsigned)d->effect >= ANX_EFFECT__MAX || d->reason == NULL)
		abort();
	if (d->rule_index < -1 ||
		(d->rule_index >= 0 && (size_t)d->rule_index >= anx_policy_nrules(p)))
		abort();
	if ((d->rule_index == -1) != (d->rule_name == NULL))
		abort();
	if (d->rule_index == -1 && d->effect != anx_policy_default(p))
		abort();
	if ((d->effect == ANX_EFFECT_REQUIRE_APPROVAL) != (d->approval != NULL))
		abort();
	if (d->approval != NULL) {
		if (d->approval->nstages < 1 || d->approval->nstages > 10)
			abort();
		if (d->approval->reminder_before_seconds >= d->approval->timeout_seconds)
			abort();
		for (size_t i = 0; i < d->approval->nstages; i++)
			if (d->approval->stages[i].role == NULL ||
				d->approval->stages[i].min_approvals < 1 ||
				d->approval->stages[i].min_approvals > 20)
				abort();
	}
}

/*
 * Sets the dotted path of ctx to val (taking the reference), creating
 * objects on the way; gives up (and puts val) if a non-object is in the way.
 */
static void
ctx_set(json_object *ctx, const char *path, json_object *val)
{
	char buf[600], *seg, *dot;
	json_object *o = ctx, *next;

	if (strlen(path) >= sizeof(buf)) {
		json_object_put(val);
		return;
	}
	strcpy(buf, path);
	for (seg = buf; (dot = strchr(seg, '.')) != NULL; seg = dot + 1) {
		*dot = '\0';
		if (!json_object_object_get_ex(o, seg, &next)) {
			next = json_object_new_object();
			json_object_object_add(o, seg, next);
		}
		if (!json_object_is_type(next, json_type_object)) {
			json_object_put(val);
			return;
		}
		o = next;
	}
	json_object_object_add(o, seg, val);
}

/* A context for round k: the document's paths set to its own values. */
static json_object *
make_context(const struct harvest *h, size_t k)
{
	json_object *ctx = json_object_new_object(), *val;
	size_t i;

	for (i = 0; i < h->npaths; i++) {
		switch ((i + k) % 4) {
		case 0:
			val = json_object_new_string(h->nstrs ? h->strs[(i + k) % h->nstrs] : "");
			break;
		case 1:
			val = json_object_new_double(h->nnums ? h->nums[(i + k) % h->nnums] : 0);
			break;
		case 2: val = json_object_new_boolean((int)(k & 1)); break;
		default:
			val = NULL; /* JSON null: absent */
			break;
		}
		ctx_set(ctx, h->paths[i], val);
	}
	return ctx;
}

/* Decides inputs built from h against p and checks each decision
 * against the reference evaluator on doc. */
static void
exercise(const struct anx_policy *p, json_object *doc, const struct harvest *h)
{
	struct anx_policy_decision d;
	struct anx_policy_input in;
	size_t i, n = h->nstrs ? h->nstrs : 1;

	memset(&in, 0, sizeof(in));
	anx_policy_decide(p, &in, &d);
	check_decision(p, &d);
	if (d.rule_index != ref_decide(doc, &in))
		abort();
	for (i = 0; i < n; i++) {
		const char *s = h->nstrs ? h->strs[i] : NULL;

		in.action = s;
		in.resource = h->nstrs ? h->strs[(i + 1) % h->nstrs] : NULL;
		in.agent_id = i % 2 && h->nstrs ? h->strs[(i + 2) % h->nstrs] : NULL;
		in.currency = i % 3 || !h->nstrs ? NULL : h->strs[(i + 3) % h->nstrs];
		in.has_amount = h->nnums > 0 && i % 5 != 4;
		in.amount = h->nnums ? h->nums[i % h->nnums] : 0;
		in.context = i % 3 == 2 ? NULL : make_context(h, i);
		anx_policy_decide(p, &in, &d);
		check_decision(p, &d);
		if (d.rule_index != ref_decide(doc, &in))
			abort();
		json_object_put(in.context);
	}
}

/* Compares anx_policy_glob with the reference on pairs of strings. */
static void
glob_differential(const struct harvest *h)
{
	static signed char memo[REF_MAX + 1][REF_MAX + 1];
	size_t i, j, pn, sn;

	for (i = 0; i < h->nstrs; i++) {
		pn = strlen(h->strs[i]);
		if (pn > REF_MAX)
			continue;
		for (j = 0; j < h->nstrs; j++) {
			sn = strlen(h->strs[j]);
			if (sn > REF_MAX)
				continue;
			memset(memo, -1, sizeof(memo));
			if (anx_policy_glob(h->strs[i], pn, h->strs[j], sn) !=
				ref_glob(h->strs[i], pn, 0, h->strs[j], sn, 0, memo))
				abort();
		}
	}
}

/*
 * One fuzz input: parse, compile a deep copy (released before deciding,
 * so a policy that kept pointers into its document would be caught),
 * check the verdict, then exercise the policy and the glob matcher.
 */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct anx_policy *p = NULL;
	struct anx_verrs errs;
	struct harvest h;
	json_object *doc = NULL, *copy = NULL;
	enum anx_err rc;
	size_t i;

	anx_verrs_init(&errs);
	if (anx_json_parse((const char *)data, size, NULL, &doc, &errs) != ANX_OK)
		return 0;
	/* A bare `null` document parses to NULL, which is invalid too. */
	if (doc != NULL && json_object_deep_copy(doc, &copy, NULL) != 0)
		abort();
	anx_verrs_init(&errs);
	rc = anx_policy_compile(copy, &p, &errs);
	json_object_put(copy);
	if (rc == ANX_OK) {
		if (p == NULL)
			abort();
	} else {
		if (p != NULL || rc != ANX_ERR_VALIDATION || errs.n == 0)
			abort();
		for (i = 0; i < errs.n; i++)
			if (errs.items[i].problem[0] == '\0')
				abort();
	}
	memset(&h, 0, sizeof(h));
	collect(doc, &h, 0);
	if (p != NULL)
		exercise(p, doc, &h);
	glob_differential(&h);
	anx_policy_free(p);
	json_object_put(doc);
	for (i = 0; i < h.nstrs; i++)
		free(h.strs[i]);
	for (i = 0; i < h.npaths; i++)
		free(h.paths[i]);
	return 0;
}
