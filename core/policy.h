/*
 * policy.h - the policy engine: validates and compiles a policy document
 * (DESIGN.md "Policy document") into an immutable form, and decides
 * requests against it. Pure code: no I/O, no locks, no globals written.
 *
 * Document (unknown keys anywhere are errors):
 *
 *   { "default": "allow"|"deny",             required
 *     "description": "...",                  optional, <= 1000 characters
 *     "rules": [ rule, ... ] }               optional, 0..500 rules
 *
 *   rule = { "name": "...",                  required, 1..100 characters, unique
 *            "when": when,                   optional; absent or {} matches all
 *            "effect": "allow"|"deny"|"require_approval",
 *            "reason": "...",                optional, <= 500 characters
 *            "approval": approval }          required iff require_approval
 *
 * Rules are tried in order; the first whose `when` holds decides,
 * otherwise `default` does. Every key of a `when` must hold (AND):
 *
 *   action, resource, agent_id, currency   string matcher
 *   amount                                 number matcher
 *   context.<a.b.c>                        any matcher; walks nested objects
 *                                          of the request context (1..8
 *                                          segments of 1..64 characters)
 *   all / any                              non-empty array of `when`
 *   not                                    one `when`
 *
 * all/any/not nest at most 16 deep. A matcher is a literal (a string is a
 * glob: `*` any run, `?` one UTF-8 character, no escapes, <= 256 bytes; a
 * number or boolean compares equal) or an object of operators that must
 * all hold: eq, ne, in (1..1000 scalars), gt, gte, lt, lte (numbers),
 * prefix, glob (strings), exists (boolean). A missing value (NULL string,
 * has_amount 0, absent or JSON-null context value) fails every operator
 * but `ne` and `exists: false`. Numbers compare as doubles.
 *
 * Matchers must fit the field: on action/resource/agent_id/currency only
 * string literals and eq/ne/in/prefix/glob/exists with strings; on amount
 * only number literals and eq/ne/in/gt/gte/lt/lte/exists with numbers.
 * Context values are untyped, so any operator is accepted there. Rejecting
 * a matcher that could never hold keeps room for the language to grow
 * without changing the meaning of a document that is valid today.
 */
#ifndef ANX_POLICY_H
#define ANX_POLICY_H

#include <stddef.h>

#include <json-c/json.h>

#include "err.h"
#include "json.h"

enum anx_effect {
	ANX_EFFECT_ALLOW,            /* allow */
	ANX_EFFECT_DENY,             /* deny */
	ANX_EFFECT_REQUIRE_APPROVAL, /* require_approval */
	ANX_EFFECT__MAX
};

/* Names of enum anx_effect, as written in policy documents. */
extern const char *const anx_effect_names[ANX_EFFECT__MAX];

enum anx_assign {
	ANX_ASSIGN_ALL,         /* all: every holder of the role is asked */
	ANX_ASSIGN_ROUND_ROBIN, /* round_robin: one holder at a time */
	ANX_ASSIGN__MAX
};

/* Names of enum anx_assign, as written in policy documents. */
extern const char *const anx_assign_names[ANX_ASSIGN__MAX];

/*
 * Parses name into *out. Returns 0, or -1 (and leaves *out alone) if name
 * is NULL or not one of the names above.
 */
int anx_effect_parse(const char *name, enum anx_effect *out);

struct anx_policy_stage {
	const char *role;  /* 1..64 of [A-Za-z0-9_.-] */
	int min_approvals; /* 1..20 */
	int otp;           /* approvers must confirm with a one-time code */
	enum anx_assign assign;
	long reassign_after_seconds; /* round_robin: 60..604800; all: 0 */
};

struct anx_policy_approval {
	size_t nstages; /* 1..10 */
	const struct anx_policy_stage *stages;
	long timeout_seconds;         /* 60..2592000 */
	long reminder_before_seconds; /* 0..timeout_seconds-1, or -1 for none */
	int separation_of_duties;     /* enforced by the approval flow; default 1 */
};

/* A compiled policy: opaque, immutable once compiled. */
struct anx_policy;

/*
 * Validates doc and compiles it. On ANX_OK *out is a new policy the caller
 * releases with anx_policy_free(); it holds copies of everything it needs,
 * so doc may be released at once. It is never modified afterwards, so any
 * number of threads may call anx_policy_decide() on it concurrently.
 *
 * On ANX_ERR_VALIDATION *out is NULL and every problem found was appended
 * to errs (initialised by the caller; NULL to only get the verdict), each
 * with its JSON path ("rules[2].when.amount.gt") and a short problem
 * ("must be a number"). ANX_ERR_NOMEM: out of memory, *out is NULL.
 */
enum anx_err anx_policy_compile(json_object *doc, struct anx_policy **out, struct anx_verrs *errs);

/* Releases p and everything it owns (every pointer it handed out). NULL is
 * a no-op. */
void anx_policy_free(struct anx_policy *p);

/* Number of rules in p. */
size_t anx_policy_nrules(const struct anx_policy *p);

/* The document's description, or NULL if it had none; lives as long as p. */
const char *anx_policy_description(const struct anx_policy *p);

/* The effect p decides when no rule matches. */
enum anx_effect anx_policy_default(const struct anx_policy *p);

/*
 * What is decided on. Everything is borrowed for the duration of the call.
 * Strings are NUL-terminated UTF-8, NULL when absent. context is a JSON
 * object or NULL.
 */
struct anx_policy_input {
	const char *action;
	const char *resource;
	const char *agent_id;
	const char *currency;
	int has_amount;
	double amount;
	json_object *context;
};

/*
 * The outcome of anx_policy_decide(). Pointers live as long as the policy.
 * reason is never NULL: the deciding rule's reason, `Matched rule "<name>"`
 * if it gave none, or "No rule matched; the policy default is allow" (or
 * deny) for the default.
 */
struct anx_policy_decision {
	enum anx_effect effect;
	int rule_index;        /* index of the deciding rule, -1 = the default */
	const char *rule_name; /* NULL for the default */
	const char *reason;
	const struct anx_policy_approval *approval; /* NULL unless require_approval */
};

/*
 * Decides in against p into *out: the first rule whose `when` holds, or the
 * default. Never fails, never allocates, does not modify p or in.
 */
void anx_policy_decide(const struct anx_policy *p, const struct anx_policy_input *in,
	struct anx_policy_decision *out);

/*
 * 1 if the glob pat (patlen bytes; `*` any run, `?` one UTF-8 character,
 * every other byte literal) matches all of s (slen bytes), else 0. Time is
 * O(patlen * slen) at worst, without exponential backtracking.
 */
int anx_policy_glob(const char *pat, size_t patlen, const char *s, size_t slen);

/* A built-in policy a workspace can start from; all static data. */
struct anx_policy_template {
	const char *id;          /* stable, e.g. "payments-approval" */
	const char *name;        /* short human title */
	const char *description; /* one or two sentences */
	const char *json;        /* a valid policy document */
};

extern const struct anx_policy_template anx_policy_templates[];
extern const size_t anx_policy_ntemplates;

/* The template with id, or NULL. */
const struct anx_policy_template *anx_policy_template_find(const char *id);

#endif
