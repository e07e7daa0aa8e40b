/*
 * policy.c - the policy module's small shared parts: name tables, the
 * lifetime of a compiled policy and its accessors. Compilation is in
 * policy_compile.c, deciding in policy_match.c, the built-in templates in
 * policy_templates.c; the compiled form is described in policy_int.h.
 */
#include "policy_int.h"

#include <stdlib.h>
#include <string.h>

const char *const anx_effect_names[ANX_EFFECT__MAX] = {
	"allow",            /* ANX_EFFECT_ALLOW */
	"deny",             /* ANX_EFFECT_DENY */
	"require_approval", /* ANX_EFFECT_REQUIRE_APPROVAL */
};

const char *const anx_assign_names[ANX_ASSIGN__MAX] = {
	"all",         /* ANX_ASSIGN_ALL */
	"round_robin", /* ANX_ASSIGN_ROUND_ROBIN */
};

/*
 * Looks name up in anx_effect_names. Returns 0 with *out set, or -1 with
 * *out untouched when name is NULL or unknown.
 */
int
anx_effect_parse(const char *name, enum anx_effect *out)
{
	size_t i;

	if (name == NULL)
		return -1;
	for (i = 0; i < ANX_EFFECT__MAX; i++)
		if (strcmp(name, anx_effect_names[i]) == 0) {
			*out = (enum anx_effect)i;
			return 0;
		}
	return -1;
}

/*
 * Releases p: its arena holds every rule, string and approval it handed
 * out, so those pointers die here too. NULL is a no-op.
 */
void
anx_policy_free(struct anx_policy *p)
{
	if (p == NULL)
		return;
	anx_arena_free(&p->arena);
	free(p);
}

/* Accessors; see policy.h. Returned strings live as long as p. */
size_t
anx_policy_nrules(const struct anx_policy *p)
{
	return p->nrules;
}

const char *
anx_policy_description(const struct anx_policy *p)
{
	return p->description;
}

enum anx_effect
anx_policy_default(const struct anx_policy *p)
{
	return p->def;
}
