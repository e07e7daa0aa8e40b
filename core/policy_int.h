/*
 * policy_int.h - the compiled form of a policy, private to policy*.c:
 * policy_compile.c builds it, policy_match.c reads it, policy.c owns the
 * lifetime. Nothing outside core/policy*.c may include this file.
 *
 * Everything a compiled policy points to lives in its arena, so freeing it
 * is one anx_arena_free(). The structure is never written after
 * anx_policy_compile() returns.
 */
#ifndef ANX_POLICY_INT_H
#define ANX_POLICY_INT_H

#include <stdint.h>
#include <string.h>

#include "arena.h"
#include "policy.h"

#define POL_MAX_RULES  500
#define POL_MAX_NAME   100  /* characters */
#define POL_MAX_REASON 500  /* characters */
#define POL_MAX_DESC   1000 /* characters */
#define POL_MAX_STAGES 10
#define POL_MAX_ROLE   64   /* characters */
#define POL_MAX_NEST   16   /* all/any/not levels */
#define POL_MAX_IN     1000 /* items of an `in` list */
#define POL_MAX_GLOB   256  /* bytes of a glob pattern */
#define POL_MAX_SEGS   8    /* segments of a context path */
#define POL_MAX_SEG    64   /* characters of one segment */
#define POL_CTX_CACHE  64   /* context paths cached per decision */
#define POL_PRE_HASHES 8    /* exact actions a prefilter can hold */

/* The input fields a matcher can read. */
enum pol_field { PF_ACTION, PF_RESOURCE, PF_AGENT_ID, PF_CURRENCY, PF_AMOUNT, PF_CONTEXT, PF__MAX };

/* Kinds of literals and of input values. */
enum pol_kind {
	PK_ABSENT, /* missing input value (never a literal) */
	PK_STRING,
	PK_NUMBER,
	PK_BOOL,
	PK_OTHER /* an object or array in the context (never a literal) */
};

/* A scalar literal of the document. */
struct pol_lit {
	enum pol_kind kind;
	const char *s; /* PK_STRING: NUL-terminated copy, len bytes */
	size_t len;
	uint64_t hash; /* PK_STRING: pol_hash(s, len) */
	double num;    /* PK_NUMBER */
	int b;         /* PK_BOOL */
};

/* How a string matcher is carried out, classified at compile time. */
enum pol_smatch {
	PS_EXACT,    /* s == lit */
	PS_PREFIX,   /* s starts with lit ("payments.*", or `prefix`) */
	PS_SUFFIX,   /* s ends with lit ("*.read") */
	PS_CONTAINS, /* lit occurs in s ("*drop*") */
	PS_ANY,      /* "*": any present string */
	PS_GLOB      /* general glob, lit is the pattern with runs of `*` folded */
};

enum pol_opk {
	PO_STR, /* string matcher, see sm */
	PO_EQ,  /* number or boolean equality (strings use PO_STR/PS_EXACT) */
	PO_NE,  /* absent or not equal to lit (any scalar kind) */
	PO_IN,  /* equal to one item of set */
	PO_GT,
	PO_GTE,
	PO_LT,
	PO_LTE,
	PO_EXISTS /* present == lit.b */
};

/* The items of an `in` list, split by kind and sorted for binary search. */
struct pol_set {
	size_t nstr;
	const struct pol_lit *strs; /* sorted by hash */
	size_t nnum;
	const double *nums; /* sorted ascending */
	int has_true, has_false;
};

struct pol_op {
	enum pol_opk kind;
	enum pol_smatch sm; /* PO_STR only */
	struct pol_lit lit;
	struct pol_set set; /* PO_IN only */
};

enum pol_condk {
	PC_MATCH, /* ops on one input value */
	PC_ALL,
	PC_ANY,
	PC_NOT
};

struct pol_when;

struct pol_cond {
	enum pol_condk kind;
	enum pol_field field; /* PC_MATCH */
	size_t path;          /* PC_MATCH on PF_CONTEXT: index in paths */
	size_t nops;
	const struct pol_op *ops;
	size_t nsub; /* PC_ALL/PC_ANY: 1..; PC_NOT: 1 */
	const struct pol_when *sub;
};

/* Conditions that must all hold, cheapest first. */
struct pol_when {
	size_t nconds;
	const struct pol_cond *conds;
};

/* A context path split into its segments. */
struct pol_path {
	size_t nsegs;
	const char *const *segs;
};

/*
 * A rule's prefilter: a necessary condition on the action, derived from
 * its `when` at compile time and checked before the `when` itself. The
 * decision loop reads these from a dense array of their own and tests
 *
 *   alen >= minlen && (word[sel] & mask) == bits
 *
 * where alen is the action's length (-1 when absent) and word[] holds the
 * action's hash, its first 8 and its last 8 bytes (pol_word()). No
 * prefilter: minlen = INT64_MIN, mask = bits = 0. One exact action: the
 * hash with a full mask. A literal head or tail of a glob: those bytes.
 * Several exact actions: minlen 0 here, and pol_rule.hashes is checked.
 */
enum pol_presel {
	PRE_HASH, /* word is pol_hash(action) */
	PRE_HEAD, /* word is the first 8 bytes */
	PRE_TAIL  /* word is the last 8 bytes */
};

struct pol_pre {
	uint64_t bits, mask;
	int64_t minlen;
	uint32_t sel;   /* enum pol_presel */
	uint32_t multi; /* 1: also check the rule's hashes */
};

struct pol_rule {
	const char *name;
	const char *reason;
	enum anx_effect effect;
	struct pol_when when;
	size_t nhash; /* prefilter with several exact actions: their hashes */
	const uint64_t *hashes;
	struct anx_policy_approval approval; /* ANX_EFFECT_REQUIRE_APPROVAL */
};

struct anx_policy {
	struct anx_arena arena; /* owns everything below */
	enum anx_effect def;
	const char *def_reason;
	const char *description;
	size_t nrules;
	const struct pol_rule *rules;
	const struct pol_pre *pre; /* one per rule */
	size_t npaths;
	const struct pol_path *paths;
};

/*
 * The first (tail = 0) or last (tail = 1) up to 8 bytes of s[0..n) as a
 * word, zero-padded (at the end for the head, at the front for the tail),
 * so prefilters compare like with like.
 */
static inline uint64_t
pol_word(const char *s, size_t n, int tail)
{
	unsigned char b[8] = { 0 };
	uint64_t w;
	size_t k = n < 8 ? n : 8;

	if (tail)
		memcpy(b + 8 - k, s + n - k, k);
	else
		memcpy(b, s, k);
	memcpy(&w, b, sizeof(w));
	return w;
}

/* 64-bit FNV-1a of s[0..n). */
static inline uint64_t
pol_hash(const char *s, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	size_t i;

	for (i = 0; i < n; i++) {
		h ^= (unsigned char)s[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

#endif
