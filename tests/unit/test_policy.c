/*
 * test_policy.c - the policy engine: decisions (every operator, globs,
 * missing values, nesting, rule order, defaults), validation (exact paths
 * and problems, many errors at once), approvals, templates, and a
 * pathological glob.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "buf.h"
#include "json.h"
#include "policy.h"

/* Parses text strictly (as the API does); fails the test on bad JSON. */
static json_object *
parse(const char *text)
{
	struct anx_verrs e;
	json_object *o = NULL;

	anx_verrs_init(&e);
	if (anx_json_parse(text, strlen(text), NULL, &o, &e) != ANX_OK)
		fail_msg("bad test JSON (%s): %s", e.n ? e.items[0].problem : "?", text);
	return o;
}

/* Compiles text, which must be valid; prints the problems otherwise. */
static struct anx_policy *
compile_ok(const char *text)
{
	struct anx_policy *p = NULL;
	struct anx_verrs e;
	json_object *doc = parse(text);

	anx_verrs_init(&e);
	if (anx_policy_compile(doc, &p, &e) != ANX_OK) {
		for (size_t i = 0; i < e.n; i++)
			print_error("  %s: %s\n", e.items[i].path, e.items[i].problem);
		fail_msg("policy did not compile: %s", text);
	}
	json_object_put(doc);
	assert_non_null(p);
	return p;
}

/* Compiles text, which must be invalid, into e. */
static void
compile_bad(const char *text, struct anx_verrs *e)
{
	struct anx_policy *p = (struct anx_policy *)1;
	json_object *doc = parse(text);

	anx_verrs_init(e);
	assert_int_equal(anx_policy_compile(doc, &p, e), ANX_ERR_VALIDATION);
	assert_null(p);
	assert_true(e->n > 0);
	json_object_put(doc);
}

/* 1 if e has an error with exactly path whose problem contains sub. */
static int
has_error(const struct anx_verrs *e, const char *path, const char *sub)
{
	for (size_t i = 0; i < e->n; i++)
		if (strcmp(e->items[i].path, path) == 0 && strstr(e->items[i].problem, sub) != NULL)
			return 1;
	return 0;
}

static void
expect_error(const char *text, const char *path, const char *sub)
{
	struct anx_verrs e;

	compile_bad(text, &e);
	if (!has_error(&e, path, sub)) {
		for (size_t i = 0; i < e.n; i++)
			print_error("  got %s: %s\n", e.items[i].path, e.items[i].problem);
		fail_msg("expected \"%s: ...%s...\" for %s", path, sub, text);
	}
}

/*
 * Decision cases: one rule {"name":"r","when":WHEN,"effect":"deny"} under
 * default allow, so a match decides deny.
 */
struct dcase {
	const char *when;
	const char *action, *resource, *agent_id, *currency;
	int has_amount;
	double amount;
	const char *context; /* JSON object text, or NULL */
	int match;
};

#define A(s)   .action = (s)
#define R(s)   .resource = (s)
#define AMT(x) .has_amount = 1, .amount = (x)
#define CTX(s) .context = (s)

static const struct dcase dcases[] = {
	/* empty when */
	{ "{}", A("anything"), .match = 1 },
	{ "{}", .match = 1 },
	/* exact, prefix, suffix, contains, any */
	{ "{\"action\":\"payments.send\"}", A("payments.send"), .match = 1 },
	{ "{\"action\":\"payments.send\"}", A("payments.sendx"), .match = 0 },
	{ "{\"action\":\"payments.send\"}", A("payments.sen"), .match = 0 },
	{ "{\"action\":\"payments.send\"}", .match = 0 },
	{ "{\"action\":\"payments.*\"}", A("payments.send"), .match = 1 },
	{ "{\"action\":\"payments.*\"}", A("payments."), .match = 1 },
	{ "{\"action\":\"payments.*\"}", A("payment"), .match = 0 },
	{ "{\"action\":\"*.read\"}", A("users.read"), .match = 1 },
	{ "{\"action\":\"*.read\"}", A("users.reader"), .match = 0 },
	{ "{\"action\":\"*drop*\"}", A("db.drop_table"), .match = 1 },
	{ "{\"action\":\"*drop*\"}", A("db.create"), .match = 0 },
	{ "{\"action\":\"**\"}", A(""), .match = 1 },
	{ "{\"action\":\"*\"}", .match = 0 },
	/* general globs, ? on multi-byte characters */
	{ "{\"action\":\"db.?rop\"}", A("db.drop"), .match = 1 },
	{ "{\"action\":\"db.?rop\"}", A("db.rop"), .match = 0 },
	{ "{\"resource\":\"caf?\"}", R("caf\xc3\xa9"), .match = 1 },
	{ "{\"resource\":\"caf??\"}", R("caf\xc3\xa9"), .match = 0 },
	{ "{\"resource\":\"?\"}", R("\xe2\x82\xac"), .match = 1 },
	{ "{\"resource\":\"?\"}", R("\xf0\x9f\x98\x80"), .match = 1 },
	{ "{\"resource\":\"??\"}", R("\xf0\x9f\x98\x80"), .match = 0 },
	{ "{\"resource\":\"a?c*\"}",
		R("a\xf0\x9f\x98\x80"
		  "cde"),
		.match = 1 },
	{ "{\"resource\":\"*?\"}", R(""), .match = 0 },
	{ "{\"resource\":\"*\xc3\xa9?\"}", R("\xc3\xa9\xc3\xa9\xc3\xa9"), .match = 1 },
	{ "{\"action\":\"a*b*c\"}", A("axxbyyc"), .match = 1 },
	{ "{\"action\":\"a*b*c\"}", A("axxbyy"), .match = 0 },
	{ "{\"action\":\"a*b?c\"}", A("abxbyc"), .match = 1 },
	/* eq is exact, not a glob; ne; in */
	{ "{\"action\":{\"eq\":\"a*\"}}", A("a*"), .match = 1 },
	{ "{\"action\":{\"eq\":\"a*\"}}", A("ab"), .match = 0 },
	{ "{\"action\":{\"ne\":\"x\"}}", .match = 1 },
	{ "{\"action\":{\"ne\":\"x\"}}", A("x"), .match = 0 },
	{ "{\"action\":{\"ne\":\"x\"}}", A("y"), .match = 1 },
	{ "{\"action\":{\"in\":[\"a\",\"b\",\"c\"]}}", A("b"), .match = 1 },
	{ "{\"action\":{\"in\":[\"a\",\"b\",\"c\"]}}", A("d"), .match = 0 },
	{ "{\"action\":{\"in\":[\"a\",\"b\",\"c\"]}}", .match = 0 },
	{ "{\"action\":{\"in\":[\"a*\"]}}", A("ab"), .match = 0 },
	/* prefix is literal, glob is a glob */
	{ "{\"action\":{\"prefix\":\"db.\"}}", A("db.drop"), .match = 1 },
	{ "{\"action\":{\"prefix\":\"db*\"}}", A("db.x"), .match = 0 },
	{ "{\"action\":{\"prefix\":\"db*\"}}", A("db*x"), .match = 1 },
	{ "{\"action\":{\"glob\":\"db.*\"}}", A("db.drop"), .match = 1 },
	{ "{\"action\":{\"glob\":\"db.*\"}}", .match = 0 },
	/* exists */
	{ "{\"action\":{\"exists\":true}}", .match = 0 },
	{ "{\"action\":{\"exists\":true}}", A(""), .match = 1 },
	{ "{\"action\":{\"exists\":false}}", .match = 1 },
	{ "{\"action\":{\"exists\":false}}", A("x"), .match = 0 },
	/* several operators must all hold */
	{ "{\"action\":{\"prefix\":\"db.\",\"ne\":\"db.read\"}}", A("db.drop"), .match = 1 },
	{ "{\"action\":{\"prefix\":\"db.\",\"ne\":\"db.read\"}}", A("db.read"), .match = 0 },
	/* other string fields */
	{ "{\"agent_id\":\"agent-7\",\"currency\":{\"in\":[\"USD\",\"EUR\"]}}",
		.agent_id = "agent-7", .currency = "EUR", .match = 1 },
	{ "{\"agent_id\":\"agent-7\",\"currency\":{\"in\":[\"USD\",\"EUR\"]}}",
		.agent_id = "agent-7", .currency = "GBP", .match = 0 },
	{ "{\"currency\":{\"ne\":\"USD\"}}", .match = 1 },
	/* amount */
	{ "{\"amount\":1000}", AMT(1000), .match = 1 },
	{ "{\"amount\":1000.0}", AMT(1000), .match = 1 },
	{ "{\"amount\":1000}", AMT(999.99), .match = 0 },
	{ "{\"amount\":1000}", .match = 0 },
	{ "{\"amount\":{\"gt\":1000}}", AMT(1000), .match = 0 },
	{ "{\"amount\":{\"gt\":1000}}", AMT(1000.5), .match = 1 },
	{ "{\"amount\":{\"gte\":1000}}", AMT(1000), .match = 1 },
	{ "{\"amount\":{\"lt\":10}}", AMT(9.5), .match = 1 },
	{ "{\"amount\":{\"lt\":10}}", AMT(10), .match = 0 },
	{ "{\"amount\":{\"lte\":10}}", AMT(10), .match = 1 },
	{ "{\"amount\":{\"lte\":-1}}", AMT(0), .match = 0 },
	{ "{\"amount\":{\"gt\":100,\"lte\":200}}", AMT(150), .match = 1 },
	{ "{\"amount\":{\"gt\":100,\"lte\":200}}", AMT(250), .match = 0 },
	{ "{\"amount\":{\"gt\":0}}", .match = 0 },
	{ "{\"amount\":{\"lt\":0}}", .match = 0 },
	{ "{\"amount\":{\"ne\":5}}", .match = 1 },
	{ "{\"amount\":{\"ne\":5}}", AMT(5), .match = 0 },
	{ "{\"amount\":{\"eq\":5}}", AMT(5.0), .match = 1 },
	{ "{\"amount\":{\"in\":[1,2.5,3]}}", AMT(2.5), .match = 1 },
	{ "{\"amount\":{\"in\":[1,2.5,3]}}", AMT(2), .match = 0 },
	{ "{\"amount\":{\"in\":[3,1,2]}}", AMT(3), .match = 1 },
	{ "{\"amount\":{\"exists\":false}}", .match = 1 },
	/* context */
	{ "{\"context.country\":{\"in\":[\"US\",\"CA\"]}}", CTX("{\"country\":\"CA\"}"),
		.match = 1 },
	{ "{\"context.country\":{\"in\":[\"US\",\"CA\"]}}", CTX("{\"country\":\"FR\"}"),
		.match = 0 },
	{ "{\"context.country\":{\"in\":[\"US\",\"CA\"]}}", .match = 0 },
	{ "{\"context.a.b.c\":\"x*\"}", CTX("{\"a\":{\"b\":{\"c\":\"xyz\"}}}"), .match = 1 },
	{ "{\"context.a.b\":\"x\"}", CTX("{\"a\":\"not an object\"}"), .match = 0 },
	{ "{\"context.a.b\":{\"exists\":false}}", CTX("{\"a\":[{\"b\":1}]}"), .match = 1 },
	{ "{\"context.n\":5}", CTX("{\"n\":5.0}"), .match = 1 },
	{ "{\"context.n\":5.0}", CTX("{\"n\":5}"), .match = 1 },
	{ "{\"context.n\":\"5\"}", CTX("{\"n\":5}"), .match = 0 },
	{ "{\"context.n\":5}", CTX("{\"n\":\"5\"}"), .match = 0 },
	{ "{\"context.flag\":true}", CTX("{\"flag\":true}"), .match = 1 },
	{ "{\"context.flag\":true}", CTX("{\"flag\":\"true\"}"), .match = 0 },
	{ "{\"context.flag\":false}", CTX("{\"flag\":false}"), .match = 1 },
	{ "{\"context.n\":{\"gt\":3}}", CTX("{\"n\":\"10\"}"), .match = 0 },
	{ "{\"context.n\":{\"gt\":3}}", CTX("{\"n\":10}"), .match = 1 },
	{ "{\"context.x\":{\"exists\":false}}", CTX("{\"x\":null}"), .match = 1 },
	{ "{\"context.x\":{\"exists\":true}}", CTX("{\"x\":null}"), .match = 0 },
	{ "{\"context.x\":{\"exists\":true}}", CTX("{\"x\":{}}"), .match = 1 },
	{ "{\"context.x\":{\"ne\":\"a\"}}", CTX("{\"x\":{\"y\":1}}"), .match = 1 },
	{ "{\"context.x\":{\"ne\":1}}", CTX("{\"x\":1.0}"), .match = 0 },
	{ "{\"context.x\":{\"eq\":\"a\"}}", CTX("{\"x\":[\"a\"]}"), .match = 0 },
	{ "{\"context.x\":{\"in\":[1,\"a\",true]}}", CTX("{\"x\":true}"), .match = 1 },
	{ "{\"context.x\":{\"in\":[1,\"a\",true]}}", CTX("{\"x\":false}"), .match = 0 },
	{ "{\"context.x\":{\"in\":[1,\"a\",true]}}", CTX("{\"x\":1.0}"), .match = 1 },
	{ "{\"context.x\":{\"in\":[1,\"a\",true]}}", CTX("{\"x\":\"a\"}"), .match = 1 },
	{ "{\"context.x\":{\"prefix\":\"ab\"}}", CTX("{\"x\":\"abc\"}"), .match = 1 },
	{ "{\"context.x\":{\"prefix\":\"ab\"}}", CTX("{\"x\":12}"), .match = 0 },
	{ "{\"context.x\":{\"glob\":\"*@example.com\"}}", CTX("{\"x\":\"bob@example.com\"}"),
		.match = 1 },
	{ "{\"context.x\":\"a\",\"context.y\":\"b\"}", CTX("{\"x\":\"a\",\"y\":\"c\"}"),
		.match = 0 },
	/* rule prefilters (exact sets, literal heads and tails) never hide a match */
	{ "{\"any\":[{\"action\":\"x\"},{\"action\":{\"in\":[\"y\",\"z\"]}}]}", A("z"),
		.match = 1 },
	{ "{\"any\":[{\"action\":\"x\"},{\"action\":{\"in\":[\"y\",\"z\"]}}]}", A("w"),
		.match = 0 },
	{ "{\"any\":[{\"action\":\"x\"},{\"action\":{\"in\":[\"y\",\"z\"]}}]}", .match = 0 },
	{ "{\"any\":[{\"action\":\"x\"},{\"resource\":\"r\"}]}", A("y"), R("r"), .match = 1 },
	{ "{\"all\":[{\"action\":\"x\"}],\"resource\":\"r\"}", A("x"), R("r"), .match = 1 },
	{ "{\"action\":\"ab*cd?ef\"}",
		A("abXcd\xc3\xa9"
		  "ef"),
		.match = 1 },
	{ "{\"action\":\"ab*cd?ef\"}", A("abXcdYeg"), .match = 0 },
	{ "{\"action\":\"abcdefghij*\"}", A("abcdefghijk"), .match = 1 },
	{ "{\"action\":\"abcdefghij*\"}", A("abcdefghXjk"), .match = 0 },
	{ "{\"action\":\"abcdefghij*\"}", A("abcdefgh"), .match = 0 },
	{ "{\"action\":\"*0123456789\"}", A("x0123456789"), .match = 1 },
	{ "{\"action\":\"*0123456789\"}", A("0123456789"), .match = 1 },
	{ "{\"action\":\"*0123456789\"}", A("x9123456789"), .match = 0 },
	{ "{\"action\":\"*.ab\"}", A("ab"), .match = 0 },
	{ "{\"action\":{\"prefix\":\"\"}}", A(""), .match = 1 },
	{ "{\"action\":\"?\"}", A("\xc3\xa9"), .match = 1 },
	{ "{\"action\":{\"ne\":\"x\",\"exists\":true}}", A("y"), .match = 1 },
	{ "{\"not\":{\"action\":\"x\"},\"resource\":\"r\"}", A("y"), R("r"), .match = 1 },
	{ "{\"action\":{\"glob\":\"*\",\"eq\":\"abc\"}}", A("abc"), .match = 1 },
	{ "{\"action\":{\"glob\":\"*\",\"eq\":\"abc\"}}", A("abd"), .match = 0 },
	/* all / any / not */
	{ "{\"all\":[{\"action\":\"a*\"},{\"resource\":\"r\"}]}", A("ab"), R("r"), .match = 1 },
	{ "{\"all\":[{\"action\":\"a*\"},{\"resource\":\"r\"}]}", A("ab"), R("s"), .match = 0 },
	{ "{\"any\":[{\"action\":\"x\"},{\"action\":\"y\"}]}", A("y"), .match = 1 },
	{ "{\"any\":[{\"action\":\"x\"},{\"action\":\"y\"}]}", A("z"), .match = 0 },
	{ "{\"any\":[{}]}", .match = 1 },
	{ "{\"not\":{\"action\":\"x\"}}", A("x"), .match = 0 },
	{ "{\"not\":{\"action\":\"x\"}}", .match = 1 },
	{ "{\"not\":{}}", A("x"), .match = 0 },
	{ "{\"action\":\"pay\",\"not\":{\"any\":[{\"amount\":{\"lte\":10}},{\"context.vip\":true}]}"
	  "}",
		A("pay"), AMT(50), CTX("{\"vip\":false}"), .match = 1 },
	{ "{\"action\":\"pay\",\"not\":{\"any\":[{\"amount\":{\"lte\":10}},{\"context.vip\":true}]}"
	  "}",
		A("pay"), AMT(50), CTX("{\"vip\":true}"), .match = 0 },
	{ "{\"action\":\"pay\",\"not\":{\"any\":[{\"amount\":{\"lte\":10}},{\"context.vip\":true}]}"
	  "}",
		A("pay"), AMT(5), .match = 0 },
	{ "{\"all\":[{\"not\":{\"not\":{\"action\":\"x\"}}}]}", A("x"), .match = 1 },
};

static void
test_decision_cases(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(dcases) / sizeof(dcases[0]); i++) {
		const struct dcase *c = &dcases[i];
		struct anx_policy_decision d;
		struct anx_policy_input in;
		struct anx_policy *p;
		char doc[1024];

		snprintf(doc, sizeof(doc),
			"{\"default\":\"allow\",\"rules\":[{\"name\":\"r\",\"when\":%s,"
			"\"effect\":\"deny\"}]}",
			c->when);
		p = compile_ok(doc);
		memset(&in, 0, sizeof(in));
		in.action = c->action;
		in.resource = c->resource;
		in.agent_id = c->agent_id;
		in.currency = c->currency;
		in.has_amount = c->has_amount;
		in.amount = c->amount;
		in.context = c->context ? parse(c->context) : NULL;
		anx_policy_decide(p, &in, &d);
		if ((d.effect == ANX_EFFECT_DENY) != c->match)
			fail_msg("case %zu: when %s, action %s: expected %s", i, c->when,
				c->action ? c->action : "(absent)",
				c->match ? "match" : "no match");
		assert_int_equal(d.rule_index, c->match ? 0 : -1);
		json_object_put(in.context);
		anx_policy_free(p);
	}
}

static void
test_first_match_and_default(void **state)
{
	struct anx_policy_decision d;
	struct anx_policy_input in;
	struct anx_policy *p;

	(void)state;
	p = compile_ok("{\"default\":\"deny\",\"description\":\"order\",\"rules\":["
		       "{\"name\":\"one\",\"when\":{\"action\":\"a.*\"},\"effect\":\"allow\"},"
		       "{\"name\":\"two\",\"when\":{\"action\":\"a.b\"},\"effect\":\"deny\","
		       "\"reason\":\"never reached for a.b\"},"
		       "{\"name\":\"three\",\"when\":{\"action\":\"b\"},\"effect\":\"deny\","
		       "\"reason\":\"b is denied\"}]}");
	assert_int_equal(anx_policy_nrules(p), 3);
	assert_string_equal(anx_policy_description(p), "order");
	assert_int_equal(anx_policy_default(p), ANX_EFFECT_DENY);
	memset(&in, 0, sizeof(in));

	in.action = "a.b";
	anx_policy_decide(p, &in, &d);
	assert_int_equal(d.effect, ANX_EFFECT_ALLOW);
	assert_int_equal(d.rule_index, 0);
	assert_string_equal(d.rule_name, "one");
	assert_non_null(strstr(d.reason, "one"));
	assert_null(d.approval);

	in.action = "b";
	anx_policy_decide(p, &in, &d);
	assert_int_equal(d.effect, ANX_EFFECT_DENY);
	assert_int_equal(d.rule_index, 2);
	assert_string_equal(d.rule_name, "three");
	assert_string_equal(d.reason, "b is denied");

	in.action = "c";
	anx_policy_decide(p, &in, &d);
	assert_int_equal(d.effect, ANX_EFFECT_DENY);
	assert_int_equal(d.rule_index, -1);
	assert_null(d.rule_name);
	assert_string_equal(d.reason, "No rule matched; the policy default is deny");
	anx_policy_free(p);

	p = compile_ok("{\"default\":\"allow\"}");
	assert_int_equal(anx_policy_nrules(p), 0);
	assert_null(anx_policy_description(p));
	anx_policy_decide(p, &in, &d);
	assert_int_equal(d.effect, ANX_EFFECT_ALLOW);
	assert_string_equal(d.reason, "No rule matched; the policy default is allow");
	anx_policy_free(p);
}

static const char design_example[] =
	"{ \"default\": \"allow\",\n"
	"  \"rules\": [\n"
	"    { \"name\": \"no-prod-drops\", \"when\": { \"action\": \"db.drop*\", \"resource\": "
	"\"prod/*\" }, \"effect\": \"deny\", \"reason\": \"Dropping production data is never "
	"allowed\" },\n"
	"    { \"name\": \"large-payments\",\n"
	"      \"when\": { \"action\": \"payments.send\", \"amount\": { \"gt\": 1000 }, "
	"\"context.country\": { \"in\": [\"US\", \"CA\"] } },\n"
	"      \"effect\": \"require_approval\",\n"
	"      \"approval\": { \"stages\": [ { \"role\": \"manager\", \"min_approvals\": 1 }, { "
	"\"role\": \"finance\", \"min_approvals\": 2, \"otp\": true, \"assign\": \"all\" } ],\n"
	"                    \"timeout_seconds\": 86400, \"reminder_before_seconds\": 3600, "
	"\"separation_of_duties\": true },\n"
	"      \"reason\": \"Payments over 1000 need manager and finance sign-off\" } ] }";

static void
test_design_example(void **state)
{
	struct anx_policy_decision d;
	struct anx_policy_input in;
	struct anx_policy *p;
	json_object *doc, *ctx;

	(void)state;
	/* The policy keeps no reference to the document. */
	doc = parse(design_example);
	assert_int_equal(anx_policy_compile(doc, &p, NULL), ANX_OK);
	json_object_put(doc);

	ctx = parse("{\"country\":\"US\"}");
	memset(&in, 0, sizeof(in));
	in.action = "payments.send";
	in.has_amount = 1;
	in.amount = 5000;
	in.context = ctx;
	anx_policy_decide(p, &in, &d);
	assert_int_equal(d.effect, ANX_EFFECT_REQUIRE_APPROVAL);
	assert_int_equal(d.rule_index, 1);
	assert_string_equal(d.rule_name, "large-payments");
	assert_string_equal(d.reason, "Payments over 1000 need manager and finance sign-off");
	assert_non_null(d.approval);
	assert_int_equal(d.approval->nstages, 2);
	assert_string_equal(d.approval->stages[0].role, "manager");
	assert_int_equal(d.approval->stages[0].min_approvals, 1);
	assert_false(d.approval->stages[0].otp);
	assert_string_equal(d.approval->stages[1].role, "finance");
	assert_int_equal(d.approval->stages[1].min_approvals, 2);
	assert_true(d.approval->stages[1].otp);
	assert_int_equal(d.approval->stages[1].assign, ANX_ASSIGN_ALL);
	assert_int_equal(d.approval->timeout_seconds, 86400);
	assert_int_equal(d.approval->reminder_before_seconds, 3600);
	assert_true(d.approval->separation_of_duties);

	in.amount = 1000;
	anx_policy_decide(p, &in, &d);
	assert_int_equal(d.effect, ANX_EFFECT_ALLOW);
	assert_int_equal(d.rule_index, -1);

	in.action = "db.drop_table";
	in.resource = "prod/users";
	anx_policy_decide(p, &in, &d);
	assert_int_equal(d.effect, ANX_EFFECT_DENY);
	assert_string_equal(d.rule_name, "no-prod-drops");
	json_object_put(ctx);
	anx_policy_free(p);
}

static void
test_approval_defaults(void **state)
{
	struct anx_policy_decision d;
	struct anx_policy_input in;
	struct anx_policy *p;

	(void)state;
	p = compile_ok("{\"default\":\"deny\",\"rules\":[{\"name\":\"r\",\"effect\":"
		       "\"require_approval\",\"approval\":{\"stages\":[{\"role\":\"ops\"},"
		       "{\"role\":\"sec.team-2\",\"assign\":\"round_robin\"},{\"role\":\"x\","
		       "\"assign\":\"round_robin\",\"reassign_after_seconds\":60}],"
		       "\"approval_timeout_seconds\":600,\"separation_of_duties\":false}}]}");
	memset(&in, 0, sizeof(in));
	anx_policy_decide(p, &in, &d);
	assert_int_equal(d.effect, ANX_EFFECT_REQUIRE_APPROVAL);
	assert_string_equal(d.reason, "Matched rule \"r\"");
	assert_int_equal(d.approval->nstages, 3);
	assert_int_equal(d.approval->stages[0].min_approvals, 1);
	assert_false(d.approval->stages[0].otp);
	assert_int_equal(d.approval->stages[0].assign, ANX_ASSIGN_ALL);
	assert_int_equal(d.approval->stages[0].reassign_after_seconds, 0);
	assert_int_equal(d.approval->stages[1].assign, ANX_ASSIGN_ROUND_ROBIN);
	assert_int_equal(d.approval->stages[1].reassign_after_seconds, 3600);
	assert_int_equal(d.approval->stages[2].reassign_after_seconds, 60);
	assert_int_equal(d.approval->timeout_seconds, 600);
	assert_int_equal(d.approval->reminder_before_seconds, -1);
	assert_false(d.approval->separation_of_duties);
	anx_policy_free(p);

	p = compile_ok("{\"default\":\"deny\",\"rules\":[{\"name\":\"r\",\"effect\":"
		       "\"require_approval\",\"approval\":{\"stages\":[{\"role\":\"ops\"}],"
		       "\"reminder_before_seconds\":0}}]}");
	anx_policy_decide(p, &in, &d);
	assert_int_equal(d.approval->timeout_seconds, 86400);
	assert_int_equal(d.approval->reminder_before_seconds, 0);
	assert_true(d.approval->separation_of_duties);
	anx_policy_free(p);
}

/* Validation cases: document, the exact path, a substring of the problem. */
static const struct {
	const char *doc, *path, *problem;
} vcases[] = {
	/* top level */
	{ "[]", "", "must be an object" },
	{ "{}", "default", "is required" },
	{ "{\"default\":\"maybe\"}", "default", "must be \"allow\" or \"deny\"" },
	{ "{\"default\":\"require_approval\"}", "default", "must be" },
	{ "{\"default\":true}", "default", "must be a string" },
	{ "{\"default\":\"allow\",\"extra\":1}", "extra", "unknown field" },
	{ "{\"default\":\"allow\",\"rules\":{}}", "rules", "must be an array" },
	{ "{\"default\":\"allow\",\"description\":5}", "description", "must be a string" },
	/* rule */
	{ "{\"default\":\"allow\",\"rules\":[5]}", "rules[0]", "must be an object" },
	{ "{\"default\":\"allow\",\"rules\":[{\"effect\":\"deny\"}]}", "rules[0].name",
		"is required" },
	{ "{\"default\":\"allow\",\"rules\":[{\"name\":\"\",\"effect\":\"deny\"}]}",
		"rules[0].name", "at least 1 character" },
	{ "{\"default\":\"allow\",\"rules\":[{\"name\":\"x\"}]}", "rules[0].effect",
		"is required" },
	{ "{\"default\":\"allow\",\"rules\":[{\"name\":\"x\",\"effect\":\"block\"}]}",
		"rules[0].effect", "must be" },
	{ "{\"default\":\"allow\",\"rules\":[{\"name\":\"x\",\"effect\":\"deny\",\"priority\":1}]}",
		"rules[0].priority", "unknown field" },
	{ "{\"default\":\"allow\",\"rules\":[{\"name\":\"x\",\"effect\":\"deny\",\"reason\":7}]}",
		"rules[0].reason", "must be a string" },
	{ "{\"default\":\"allow\",\"rules\":[{\"name\":\"x\",\"effect\":\"deny\"},"
	  "{\"name\":\"x\",\"effect\":\"allow\"}]}",
		"rules[1].name", "duplicates the name of rules[0]" },
	/* when */
	{ "{\"default\":\"allow\",\"rules\":[{\"name\":\"x\",\"when\":[],\"effect\":\"deny\"}]}",
		"rules[0].when", "must be an object" },
	{ "{\"default\":\"allow\",\"rules\":[{\"name\":\"x\",\"when\":{\"actor\":\"a\"},"
	  "\"effect\":\"deny\"}]}",
		"rules[0].when.actor", "unknown field" },
	{ "{\"rules\":[{\"name\":\"x\",\"when\":{\"amount\":{\"gt\":\"5\"}},\"effect\":\"deny\"}],"
	  "\"default\":\"allow\"}",
		"rules[0].when.amount.gt", "must be a number" },
	{ "{\"default\":\"allow\",\"rules\":[{\"name\":\"x\",\"when\":{\"amount\":\"5\"},"
	  "\"effect\":\"deny\"}]}",
		"rules[0].when.amount", "must be a number" },
	{ "{\"default\":\"allow\",\"rules\":[{\"name\":\"x\",\"when\":{\"amount\":true},"
	  "\"effect\":\"deny\"}]}",
		"rules[0].when.amount", "must be a number" },
	{ "{\"default\":\"allow\",\"rules\":[{\"name\":\"x\",\"when\":{\"action\":5},"
	  "\"effect\":\"deny\"}]}",
		"rules[0].when.action", "must be a string" },
	{ "{\"default\":\"allow\",\"rules\":[{\"name\":\"x\",\"when\":{\"resource\":null},"
	  "\"effect\":\"deny\"}]}",
		"rules[0].when.resource", "must be a string" },
	{ "{\"default\":\"allow\",\"rules\":[{\"name\":\"x\",\"when\":{\"context.a\":[1]},"
	  "\"effect\":\"deny\"}]}",
		"rules[0].when.context.a", "must be a string, number, boolean or an object" },
	{ "{\"default\":\"allow\",\"rules\":[{\"name\":\"x\",\"when\":{\"action\":{\"gt\":5}},"
	  "\"effect\":\"deny\"}]}",
		"rules[0].when.action.gt", "applies only to numbers" },
	{ "{\"default\":\"allow\",\"rules\":[{\"name\":\"x\",\"when\":{\"amount\":{\"prefix\":"
	  "\"1\"}},\"effect\":\"deny\"}]}",
		"rules[0].when.amount.prefix", "applies only to strings" },
	{ "{\"default\":\"allow\",\"rules\":[{\"name\":\"x\",\"when\":{\"amount\":{\"between\":"
	  "[1,2]}},\"effect\":\"deny\"}]}",
		"rules[0].when.amount.between", "unknown field" },
	{ "{\"default\":\"allow\",\"rules\":[{\"name\":\"x\",\"when\":{\"action\":{}},"
	  "\"effect\":\"deny\"}]}",
		"rules[0].when.action", "at least one operator" },
	{ "{\"default\":\"allow\",\"rules\":[{\"name\":\"x\",\"when\":{\"action\":{\"in\":[]}},"
	  "\"effect\":\"deny\"}]}",
		"rules[0].when.action.in", "at least 1 item" },
	{ "{\"default\":\"allow\",\"rules\":[{\"name\":\"x\",\"when\":{\"action\":{\"in\":\"a\"}},"
	  "\"effect\":\"deny\"}]}",
		"rules[0].when.action.in", "must be an array" },
	{ "{\"default\":\"allow\",\"rules\":[{\"name\":\"x\",\"when\":{\"action\":{\"in\":"
	  "[\"a\",2]}},\"effect\":\"deny\"}]}",
		"rules[0].when.action.in[1]", "must be a string" },
	{ "{\"default\":\"allow\",\"rules\":[{\"name\":\"x\",\"when\":{\"amount\":{\"in\":"
	  "[1,\"2\"]}},\"effect\":\"deny\"}]}",
		"rules[0].when.amount.in[1]", "must be a number" },
	{ "{\"default\":\"allow\",\"rules\":[{\"name\":\"x\",\"when\":{\"context.x\":{\"in\":"
	  "[{}]}},\"effect\":\"deny\"}]}",
		"rules[0].when.context.x.in[0]", "must be a string, number or boolean" },
	{ "{\"default\":\"allow\",\"rules\":[{\"name\":\"x\",\"when\":{\"context.x\":{\"eq\":"
	  "null}},\"effect\":\"deny\"}]}",
		"rules[0].when.context.x.eq", "must be a string, number or boolean" },
	{ "{\"default\":\"allow\",\"rules\":[{\"name\":\"x\",\"when\":{\"action\":{\"ne\":"
	  "false}},\"effect\":\"deny\"}]}",
		"rules[0].when.action.ne", "must be a string" },
	{ "{\"default\":\"allow\",\"rules\":[{\"name\":\"x\",\"when\":{\"action\":{\"exists\":"
	  "1}},\"effect\":\"deny\"}]}",
		"rules[0].when.action.exists", "must be a boolean" },
	{ "{\"default\":\"allow\",\"rules\":[{\"name\":\"x\",\"when\":{\"action\":{\"glob\":"
	  "5}},\"effect\":\"deny\"}]}",
		"rules[0].when.action.glob", "must be a string" },
	{ "{\"default\":\"allow\",\"rules\":[{\"name\":\"x\",\"when\":{\"context.n\":{\"lt\":"
	  "\"9\"}},\"effect\":\"deny\"}]}",
		"rules[0].when.context.n.lt", "must be a number" },
	{ "{\"default\":\"allow\",\"rules\":[{\"name\":\"x\",\"when\":{\"context.\":1},"
	  "\"effect\":\"deny\"}]}",
		"rules[0].when.context.", "context path" },
	{ "{\"default\":\"allow\",\"rules\":[{\"name\":\"x\",\"when\":{\"context.a..b\":1},"
	  "\"effect\":\"deny\"}]}",
		"rules[0].when.context.a..b", "empty segment" },
	{ "{\"default\":\"allow\",\"rules\":[{\"name\":\"x\",\"when\":{\"context.a.\":1},"
	  "\"effect\":\"deny\"}]}",
		"rules[0].when.context.a.", "empty segment" },
	{ "{\"default\":\"allow\",\"rules\":[{\"name\":\"x\",\"when\":{\"context.a.b.c.d.e.f.g.h."
	  "i\":"
	  "1},\"effect\":\"deny\"}]}",
		"rules[0].when.context.a.b.c.d.e.f.g.h.i", "more than 8 segments" },
	{ "{\"default\":\"allow\",\"rules\":[{\"name\":\"x\",\"when\":{\"context\":{}},"
	  "\"effect\":\"deny\"}]}",
		"rules[0].when.context", "unknown field" },
	{ "{\"default\":\"allow\",\"rules\":[{\"name\":\"x\",\"when\":{\"all\":[]},"
	  "\"effect\":\"deny\"}]}",
		"rules[0].when.all", "at least 1 item" },
	{ "{\"default\":\"allow\",\"rules\":[{\"name\":\"x\",\"when\":{\"any\":{}},"
	  "\"effect\":\"deny\"}]}",
		"rules[0].when.any", "must be an array" },
	{ "{\"default\":\"allow\",\"rules\":[{\"name\":\"x\",\"when\":{\"any\":[\"a\"]},"
	  "\"effect\":\"deny\"}]}",
		"rules[0].when.any[0]", "must be an object" },
	{ "{\"default\":\"allow\",\"rules\":[{\"name\":\"x\",\"when\":{\"not\":[]},"
	  "\"effect\":\"deny\"}]}",
		"rules[0].when.not", "must be an object" },
	{ "{\"default\":\"allow\",\"rules\":[{\"name\":\"x\",\"when\":{\"all\":[{\"not\":{\"any\":"
	  "[{},{\"foo\":1}]}}]},\"effect\":\"deny\"}]}",
		"rules[0].when.all[0].not.any[1].foo", "unknown field" },
	{ "{\"default\":\"allow\",\"rules\":[{\"name\":\"x\",\"when\":{\"all\":[{\"amount\":"
	  "{\"gte\":\"1\"}}]},\"effect\":\"deny\"}]}",
		"rules[0].when.all[0].amount.gte", "must be a number" },
	/* effect and approval */
	{ "{\"default\":\"allow\",\"rules\":[{\"name\":\"x\",\"effect\":\"require_approval\"}]}",
		"rules[0].approval", "is required" },
	{ "{\"default\":\"allow\",\"rules\":[{\"name\":\"x\",\"effect\":\"allow\",\"approval\":"
	  "{\"stages\":[{\"role\":\"a\"}]}}]}",
		"rules[0].approval", "only allowed when effect is \"require_approval\"" },
	{ "{\"default\":\"allow\",\"rules\":[{\"name\":\"x\",\"effect\":\"require_approval\","
	  "\"approval\":5}]}",
		"rules[0].approval", "must be an object" },
	{ "{\"default\":\"allow\",\"rules\":[{\"name\":\"x\",\"effect\":\"require_approval\","
	  "\"approval\":{}}]}",
		"rules[0].approval.stages", "is required" },
	{ "{\"default\":\"allow\",\"rules\":[{\"name\":\"x\",\"effect\":\"require_approval\","
	  "\"approval\":{\"stages\":[]}}]}",
		"rules[0].approval.stages", "at least 1 item" },
	{ "{\"default\":\"allow\",\"rules\":[{\"name\":\"x\",\"effect\":\"require_approval\","
	  "\"approval\":{\"stages\":[{\"role\":\"a\"},{\"role\":\"a\"},{\"role\":\"a\"},"
	  "{\"role\":\"a\"},{\"role\":\"a\"},{\"role\":\"a\"},{\"role\":\"a\"},{\"role\":\"a\"},"
	  "{\"role\":\"a\"},{\"role\":\"a\"},{\"role\":\"a\"}]}}]}",
		"rules[0].approval.stages", "at most 10 items" },
	{ "{\"default\":\"allow\",\"rules\":[{\"name\":\"x\",\"effect\":\"require_approval\","
	  "\"approval\":{\"stages\":[{\"min_approvals\":1}]}}]}",
		"rules[0].approval.stages[0].role", "is required" },
	{ "{\"default\":\"allow\",\"rules\":[{\"name\":\"x\",\"effect\":\"require_approval\","
	  "\"approval\":{\"stages\":[{\"role\":\"fin ance\"}]}}]}",
		"rules[0].approval.stages[0].role", "may contain only" },
	{ "{\"default\":\"allow\",\"rules\":[{\"name\":\"x\",\"effect\":\"require_approval\","
	  "\"approval\":{\"stages\":[{\"role\":"
	  "\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"}]}}]}",
		"rules[0].approval.stages[0].role", "at most 64 characters" },
	{ "{\"default\":\"allow\",\"rules\":[{\"name\":\"x\",\"effect\":\"require_approval\","
	  "\"approval\":{\"stages\":[{\"role\":\"a\",\"min_approvals\":0}]}}]}",
		"rules[0].approval.stages[0].min_approvals", "between 1 and 20" },
	{ "{\"default\":\"allow\",\"rules\":[{\"name\":\"x\",\"effect\":\"require_approval\","
	  "\"approval\":{\"stages\":[{\"role\":\"a\",\"min_approvals\":21}]}}]}",
		"rules[0].approval.stages[0].min_approvals", "between 1 and 20" },
	{ "{\"default\":\"allow\",\"rules\":[{\"name\":\"x\",\"effect\":\"require_approval\","
	  "\"approval\":{\"stages\":[{\"role\":\"a\",\"min_approvals\":2.5}]}}]}",
		"rules[0].approval.stages[0].min_approvals", "must be an integer" },
	{ "{\"default\":\"allow\",\"rules\":[{\"name\":\"x\",\"effect\":\"require_approval\","
	  "\"approval\":{\"stages\":[{\"role\":\"a\",\"otp\":\"yes\"}]}}]}",
		"rules[0].approval.stages[0].otp", "must be a boolean" },
	{ "{\"default\":\"allow\",\"rules\":[{\"name\":\"x\",\"effect\":\"require_approval\","
	  "\"approval\":{\"stages\":[{\"role\":\"a\",\"assign\":\"random\"}]}}]}",
		"rules[0].approval.stages[0].assign", "must be \"all\" or \"round_robin\"" },
	{ "{\"default\":\"allow\",\"rules\":[{\"name\":\"x\",\"effect\":\"require_approval\","
	  "\"approval\":{\"stages\":[{\"role\":\"a\",\"reassign_after_seconds\":600}]}}]}",
		"rules[0].approval.stages[0].reassign_after_seconds", "only allowed when assign" },
	{ "{\"default\":\"allow\",\"rules\":[{\"name\":\"x\",\"effect\":\"require_approval\","
	  "\"approval\":{\"stages\":[{\"role\":\"a\",\"assign\":\"round_robin\","
	  "\"reassign_after_seconds\":59}]}}]}",
		"rules[0].approval.stages[0].reassign_after_seconds", "between 60 and 604800" },
	{ "{\"default\":\"allow\",\"rules\":[{\"name\":\"x\",\"effect\":\"require_approval\","
	  "\"approval\":{\"stages\":[{\"role\":\"a\",\"email\":\"a@b\"}]}}]}",
		"rules[0].approval.stages[0].email", "unknown field" },
	{ "{\"default\":\"allow\",\"rules\":[{\"name\":\"x\",\"effect\":\"require_approval\","
	  "\"approval\":{\"stages\":[{\"role\":\"a\"}],\"timeout_seconds\":59}}]}",
		"rules[0].approval.timeout_seconds", "between 60 and 2592000" },
	{ "{\"default\":\"allow\",\"rules\":[{\"name\":\"x\",\"effect\":\"require_approval\","
	  "\"approval\":{\"stages\":[{\"role\":\"a\"}],\"timeout_seconds\":2592001}}]}",
		"rules[0].approval.timeout_seconds", "between 60 and 2592000" },
	{ "{\"default\":\"allow\",\"rules\":[{\"name\":\"x\",\"effect\":\"require_approval\","
	  "\"approval\":{\"stages\":[{\"role\":\"a\"}],\"approval_timeout_seconds\":10}}]}",
		"rules[0].approval.approval_timeout_seconds", "between 60 and 2592000" },
	{ "{\"default\":\"allow\",\"rules\":[{\"name\":\"x\",\"effect\":\"require_approval\","
	  "\"approval\":{\"stages\":[{\"role\":\"a\"}],\"timeout_seconds\":600,"
	  "\"approval_timeout_seconds\":600}}]}",
		"rules[0].approval.approval_timeout_seconds", "together with timeout_seconds" },
	{ "{\"default\":\"allow\",\"rules\":[{\"name\":\"x\",\"effect\":\"require_approval\","
	  "\"approval\":{\"stages\":[{\"role\":\"a\"}],\"timeout_seconds\":600,"
	  "\"reminder_before_seconds\":600}}]}",
		"rules[0].approval.reminder_before_seconds", "less than timeout_seconds (600)" },
	{ "{\"default\":\"allow\",\"rules\":[{\"name\":\"x\",\"effect\":\"require_approval\","
	  "\"approval\":{\"stages\":[{\"role\":\"a\"}],\"approval_timeout_seconds\":300,"
	  "\"reminder_before_seconds\":301}}]}",
		"rules[0].approval.reminder_before_seconds", "less than timeout_seconds (300)" },
	{ "{\"default\":\"allow\",\"rules\":[{\"name\":\"x\",\"effect\":\"require_approval\","
	  "\"approval\":{\"stages\":[{\"role\":\"a\"}],\"reminder_before_seconds\":86400}}]}",
		"rules[0].approval.reminder_before_seconds", "less than timeout_seconds (86400)" },
	{ "{\"default\":\"allow\",\"rules\":[{\"name\":\"x\",\"effect\":\"require_approval\","
	  "\"approval\":{\"stages\":[{\"role\":\"a\"}],\"reminder_before_seconds\":-1}}]}",
		"rules[0].approval.reminder_before_seconds", "0 or more" },
	{ "{\"default\":\"allow\",\"rules\":[{\"name\":\"x\",\"effect\":\"require_approval\","
	  "\"approval\":{\"stages\":[{\"role\":\"a\"}],\"separation_of_duties\":1}}]}",
		"rules[0].approval.separation_of_duties", "must be a boolean" },
	{ "{\"default\":\"allow\",\"rules\":[{\"name\":\"x\",\"effect\":\"require_approval\","
	  "\"approval\":{\"stages\":[{\"role\":\"a\"}],\"escalate\":true}}]}",
		"rules[0].approval.escalate", "unknown field" },
	{ "{\"default\":\"allow\",\"rules\":[{\"name\":\"ok\",\"effect\":\"deny\"},{\"name\":\"x\","
	  "\"when\":{\"context.a\":{\"glob\":\"*\",\"regex\":\".*\"}},\"effect\":\"deny\"}]}",
		"rules[1].when.context.a.regex", "unknown field" },
};

static void
test_validation_cases(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(vcases) / sizeof(vcases[0]); i++)
		expect_error(vcases[i].doc, vcases[i].path, vcases[i].problem);
}

/* Appends n copies of c to b. */
static void
repeat(struct anx_buf *b, char c, size_t n)
{
	for (size_t i = 0; i < n; i++)
		anx_buf_putc(b, c);
}

/* Validation cases whose documents are too big to write out. */
static void
test_validation_limits(void **state)
{
	struct anx_buf b;

	(void)state;
	anx_buf_init(&b, 0);

	anx_buf_puts(&b, "{\"default\":\"allow\",\"description\":\"");
	repeat(&b, 'd', 1001);
	anx_buf_puts(&b, "\"}");
	expect_error(b.data, "description", "at most 1000 characters");
	anx_buf_reset(&b);

	anx_buf_puts(&b, "{\"default\":\"allow\",\"rules\":[{\"effect\":\"deny\",\"name\":\"");
	repeat(&b, 'n', 101);
	anx_buf_puts(&b, "\"}]}");
	expect_error(b.data, "rules[0].name", "at most 100 characters");
	anx_buf_reset(&b);

	anx_buf_puts(&b, "{\"default\":\"allow\",\"rules\":[{\"effect\":\"deny\",\"name\":\"x\","
			 "\"reason\":\"");
	repeat(&b, 'r', 501);
	anx_buf_puts(&b, "\"}]}");
	expect_error(b.data, "rules[0].reason", "at most 500 characters");
	anx_buf_reset(&b);

	anx_buf_puts(&b, "{\"default\":\"allow\",\"rules\":[");
	for (int i = 0; i < 501; i++)
		anx_buf_printf(&b, "%s{\"name\":\"r%d\",\"effect\":\"deny\"}", i ? "," : "", i);
	anx_buf_puts(&b, "]}");
	expect_error(b.data, "rules", "at most 500 items");
	anx_buf_reset(&b);

	anx_buf_puts(&b, "{\"default\":\"allow\",\"rules\":[{\"name\":\"x\",\"effect\":\"deny\","
			 "\"when\":{\"action\":{\"in\":[");
	for (int i = 0; i < 1001; i++)
		anx_buf_printf(&b, "%s\"a%d\"", i ? "," : "", i);
	anx_buf_puts(&b, "]}}}]}");
	expect_error(b.data, "rules[0].when.action.in", "at most 1000 items");
	anx_buf_reset(&b);

	anx_buf_puts(&b, "{\"default\":\"allow\",\"rules\":[{\"name\":\"x\",\"effect\":\"deny\","
			 "\"when\":{\"action\":\"");
	repeat(&b, 'g', 257);
	anx_buf_puts(&b, "\"}}]}");
	expect_error(b.data, "rules[0].when.action", "at most 256 bytes");
	anx_buf_reset(&b);

	anx_buf_puts(&b, "{\"default\":\"allow\",\"rules\":[{\"name\":\"x\",\"effect\":\"deny\","
			 "\"when\":{\"resource\":{\"glob\":\"");
	repeat(&b, '*', 300);
	anx_buf_puts(&b, "\"}}}]}");
	expect_error(b.data, "rules[0].when.resource.glob", "at most 256 bytes");
	anx_buf_reset(&b);

	anx_buf_puts(&b, "{\"default\":\"allow\",\"rules\":[{\"name\":\"x\",\"effect\":\"deny\","
			 "\"when\":{\"context.");
	repeat(&b, 's', 65);
	anx_buf_puts(&b, "\":1}}]}");
	expect_error(b.data,
		"rules[0].when.context.sssssssssssssssssssssssssssssssssssssssssssss"
		"ssssssssssssssssssss",
		"longer than 64 characters");
	anx_buf_reset(&b);

	/* 16 levels of all/any/not are fine, 17 are not. */
	for (int depth = 16; depth <= 17; depth++) {
		anx_buf_puts(&b, "{\"default\":\"allow\",\"rules\":[{\"name\":\"x\",\"effect\":"
				 "\"deny\",\"when\":");
		for (int i = 0; i < depth; i++)
			anx_buf_puts(&b, "{\"not\":");
		anx_buf_puts(&b, "{}");
		for (int i = 0; i < depth + 1; i++)
			anx_buf_putc(&b, '}');
		anx_buf_puts(&b, "]}");
		if (depth == 16) {
			anx_policy_free(compile_ok(b.data));
		} else {
			struct anx_buf path;

			anx_buf_init(&path, 0);
			anx_buf_puts(&path, "rules[0].when");
			for (int i = 0; i < depth; i++)
				anx_buf_puts(&path, ".not");
			expect_error(b.data, path.data, "nested deeper than 16");
			anx_buf_free(&path);
		}
		anx_buf_reset(&b);
	}
	anx_buf_free(&b);
}

static void
test_many_errors_at_once(void **state)
{
	struct anx_verrs e;
	static const char *const want[][2] = {
		{ "default", "must be \"allow\" or \"deny\"" },
		{ "bogus", "unknown field" },
		{ "rules[0].when.amount.gt", "must be a number" },
		{ "rules[0].when.action", "must be a string" },
		{ "rules[0].approval", "only allowed" },
		{ "rules[1].name", "is required" },
		{ "rules[1].effect", "must be" },
		{ "rules[2].approval.stages[0].role", "is required" },
		{ "rules[2].approval.stages[1].min_approvals", "between 1 and 20" },
		{ "rules[2].approval.reminder_before_seconds", "less than timeout_seconds" },
		{ "rules[3].name", "duplicates the name of rules[0]" },
		{ "rules[3].when.context.x.y.in[1]", "must be a string, number or boolean" },
	};

	(void)state;
	compile_bad("{\"default\":\"block\",\"bogus\":1,\"rules\":["
		    "{\"name\":\"a\",\"effect\":\"deny\",\"when\":{\"amount\":{\"gt\":\"1\"},"
		    "\"action\":7},\"approval\":{}},"
		    "{\"effect\":\"nope\"},"
		    "{\"name\":\"c\",\"effect\":\"require_approval\",\"approval\":{\"stages\":"
		    "[{},{\"role\":\"r\",\"min_approvals\":99}],\"timeout_seconds\":100,"
		    "\"reminder_before_seconds\":100}},"
		    "{\"name\":\"a\",\"effect\":\"deny\",\"when\":{\"context.x.y\":{\"in\":"
		    "[1,[2]]}}}]}",
		&e);
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		if (!has_error(&e, want[i][0], want[i][1]))
			fail_msg("missing %s: %s", want[i][0], want[i][1]);
	assert_int_equal(e.n, sizeof(want) / sizeof(want[0]));

	/* errs may be NULL: only the verdict. */
	{
		struct anx_policy *p = NULL;
		json_object *doc = parse("{\"default\":\"x\"}");

		assert_int_equal(anx_policy_compile(doc, &p, NULL), ANX_ERR_VALIDATION);
		assert_null(p);
		json_object_put(doc);
	}
}

static void
test_templates(void **state)
{
	struct anx_policy_decision d;
	struct anx_policy_input in;
	struct anx_policy *p;
	json_object *ctx;

	(void)state;
	assert_true(anx_policy_ntemplates >= 4);
	for (size_t i = 0; i < anx_policy_ntemplates; i++) {
		const struct anx_policy_template *t = &anx_policy_templates[i];

		assert_non_null(t->id);
		assert_non_null(t->name);
		assert_non_null(t->description);
		assert_ptr_equal(anx_policy_template_find(t->id), t);
		p = compile_ok(t->json);
		assert_true(anx_policy_nrules(p) > 0);
		assert_non_null(anx_policy_description(p));
		anx_policy_free(p);
	}
	assert_null(anx_policy_template_find("nope"));
	memset(&in, 0, sizeof(in));

	p = compile_ok(anx_policy_template_find("payments-approval")->json);
	in.action = "payments.send";
	in.has_amount = 1;
	in.amount = 5000;
	anx_policy_decide(p, &in, &d);
	assert_int_equal(d.effect, ANX_EFFECT_REQUIRE_APPROVAL);
	assert_string_equal(d.rule_name, "large-payment");
	assert_true(d.approval->stages[1].otp);
	in.amount = 50000;
	anx_policy_decide(p, &in, &d);
	assert_string_equal(d.rule_name, "very-large-payment");
	assert_int_equal(d.approval->stages[1].min_approvals, 2);
	in.has_amount = 0;
	anx_policy_decide(p, &in, &d);
	assert_int_equal(d.effect, ANX_EFFECT_DENY);
	in.has_amount = 1;
	in.amount = 10;
	anx_policy_decide(p, &in, &d);
	assert_int_equal(d.effect, ANX_EFFECT_ALLOW);
	ctx = parse("{\"destination\":{\"country\":\"KP\"}}");
	in.context = ctx;
	anx_policy_decide(p, &in, &d);
	assert_string_equal(d.rule_name, "sanctioned-destination");
	in.context = NULL;
	json_object_put(ctx);
	anx_policy_free(p);

	memset(&in, 0, sizeof(in));
	p = compile_ok(anx_policy_template_find("production-changes")->json);
	in.action = "db.drop_table";
	in.resource = "prod/users";
	anx_policy_decide(p, &in, &d);
	assert_string_equal(d.rule_name, "no-prod-drops");
	in.action = "deploy.service";
	anx_policy_decide(p, &in, &d);
	assert_int_equal(d.effect, ANX_EFFECT_REQUIRE_APPROVAL);
	assert_int_equal(d.approval->stages[0].assign, ANX_ASSIGN_ROUND_ROBIN);
	in.action = "db.migrate";
	anx_policy_decide(p, &in, &d);
	assert_string_equal(d.rule_name, "prod-migrations");
	in.resource = "staging/users";
	in.action = "db.drop_table";
	anx_policy_decide(p, &in, &d);
	assert_int_equal(d.effect, ANX_EFFECT_ALLOW);
	in.resource = "prod/users";
	in.action = "users.update";
	anx_policy_decide(p, &in, &d);
	assert_int_equal(d.effect, ANX_EFFECT_DENY);
	assert_int_equal(d.rule_index, -1);
	anx_policy_free(p);

	memset(&in, 0, sizeof(in));
	p = compile_ok(anx_policy_template_find("data-export")->json);
	in.action = "data.export.csv";
	ctx = parse("{\"row_count\":500000}");
	in.context = ctx;
	anx_policy_decide(p, &in, &d);
	assert_string_equal(d.rule_name, "bulk-export-limit");
	json_object_put(ctx);
	ctx = parse("{\"row_count\":50,\"classification\":\"pii\"}");
	in.context = ctx;
	anx_policy_decide(p, &in, &d);
	assert_string_equal(d.rule_name, "pii-export");
	json_object_put(ctx);
	ctx = parse("{\"destination\":\"bi.internal.example.com\"}");
	in.context = ctx;
	anx_policy_decide(p, &in, &d);
	assert_int_equal(d.effect, ANX_EFFECT_ALLOW);
	json_object_put(ctx);
	ctx = parse("{\"destination\":\"dropbox.com\"}");
	in.context = ctx;
	anx_policy_decide(p, &in, &d);
	assert_string_equal(d.rule_name, "external-destination");
	json_object_put(ctx);
	anx_policy_free(p);

	memset(&in, 0, sizeof(in));
	p = compile_ok(anx_policy_template_find("read-only-agent")->json);
	in.action = "users.read";
	anx_policy_decide(p, &in, &d);
	assert_int_equal(d.effect, ANX_EFFECT_ALLOW);
	in.action = "invoices.list";
	anx_policy_decide(p, &in, &d);
	assert_int_equal(d.effect, ANX_EFFECT_ALLOW);
	in.action = "users.delete";
	anx_policy_decide(p, &in, &d);
	assert_int_equal(d.effect, ANX_EFFECT_DENY);
	in.action = NULL;
	anx_policy_decide(p, &in, &d);
	assert_int_equal(d.effect, ANX_EFFECT_DENY);
	anx_policy_free(p);
}

static void
test_glob_direct(void **state)
{
	static const struct {
		const char *pat, *s;
		int match;
	} cases[] = {
		{ "", "", 1 },
		{ "", "a", 0 },
		{ "*", "", 1 },
		{ "?", "", 0 },
		{ "a?b",
			"a\xc3\xa9"
			"b",
			1 },
		{ "a??b",
			"a\xc3\xa9"
			"b",
			0 },
		{ "*\xc3\xa9", "x\xc3\xa9", 1 },
		{ "*b*b", "abab", 1 },
		{ "*ab", "aab", 1 },
		{ "a*", "b", 0 },
		{ "*a*b*c*", "xaybzc", 1 },
		{ "*a*b*c*", "xaybz", 0 },
	};
	struct timespec t0, t1;
	char *big;
	double ms;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		if (anx_policy_glob(cases[i].pat, strlen(cases[i].pat), cases[i].s,
			    strlen(cases[i].s)) != cases[i].match)
			fail_msg("glob %s vs %s", cases[i].pat, cases[i].s);

	/* A pattern that backtracks exponentially in naive matchers. */
	big = malloc(10001);
	assert_non_null(big);
	memset(big, 'a', 10000);
	big[10000] = '\0';
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (int i = 0; i < 10; i++)
		assert_false(anx_policy_glob("a*a*a*a*a*a*b", 13, big, 10000));
	assert_true(anx_policy_glob("a*a*a*a*a*a*a", 13, big, 10000));
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
	if (ms > 1000)
		fail_msg("pathological glob took %.0f ms", ms);

	/* The same through a policy decision. */
	{
		struct anx_policy_decision d;
		struct anx_policy_input in;
		struct anx_policy *p = compile_ok(
			"{\"default\":\"allow\",\"rules\":[{\"name\":\"r\",\"effect\":\"deny\","
			"\"when\":{\"resource\":\"a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*b\"}}]}");

		memset(&in, 0, sizeof(in));
		in.resource = big;
		anx_policy_decide(p, &in, &d);
		assert_int_equal(d.effect, ANX_EFFECT_ALLOW);
		anx_policy_free(p);
	}
	free(big);
}

/* More context paths than the per-decision cache holds still resolve. */
static void
test_many_context_paths(void **state)
{
	struct anx_policy_decision d;
	struct anx_policy_input in;
	struct anx_policy *p;
	struct anx_buf b;

	(void)state;
	anx_buf_init(&b, 0);
	anx_buf_puts(&b, "{\"default\":\"allow\",\"rules\":[");
	for (int i = 0; i < 100; i++)
		anx_buf_printf(&b,
			"%s{\"name\":\"r%d\",\"effect\":\"deny\",\"when\":{"
			"\"context.k%d.v\":%d,\"context.k%d\":{\"exists\":true}}}",
			i ? "," : "", i, i, i, i);
	anx_buf_puts(&b, "]}");
	p = compile_ok(b.data);
	memset(&in, 0, sizeof(in));
	for (int i = 0; i < 100; i += 7) {
		anx_buf_reset(&b);
		anx_buf_printf(&b, "{\"k%d\":{\"v\":%d}}", i, i);
		in.context = parse(b.data);
		anx_policy_decide(p, &in, &d);
		assert_int_equal(d.rule_index, i);
		json_object_put(in.context);
	}
	anx_buf_free(&b);
	anx_policy_free(p);
}

static void
test_names(void **state)
{
	enum anx_effect e = ANX_EFFECT_ALLOW;

	(void)state;
	assert_string_equal(anx_effect_names[ANX_EFFECT_ALLOW], "allow");
	assert_string_equal(anx_effect_names[ANX_EFFECT_DENY], "deny");
	assert_string_equal(anx_effect_names[ANX_EFFECT_REQUIRE_APPROVAL], "require_approval");
	assert_string_equal(anx_assign_names[ANX_ASSIGN_ALL], "all");
	assert_string_equal(anx_assign_names[ANX_ASSIGN_ROUND_ROBIN], "round_robin");
	assert_int_equal(anx_effect_parse("require_approval", &e), 0);
	assert_int_equal(e, ANX_EFFECT_REQUIRE_APPROVAL);
	assert_int_equal(anx_effect_parse("Allow", &e), -1);
	assert_int_equal(anx_effect_parse(NULL, &e), -1);
	assert_int_equal(e, ANX_EFFECT_REQUIRE_APPROVAL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_decision_cases),
		cmocka_unit_test(test_first_match_and_default),
		cmocka_unit_test(test_design_example),
		cmocka_unit_test(test_approval_defaults),
		cmocka_unit_test(test_validation_cases),
		cmocka_unit_test(test_validation_limits),
		cmocka_unit_test(test_many_errors_at_once),
		cmocka_unit_test(test_templates),
		cmocka_unit_test(test_glob_direct),
		cmocka_unit_test(test_many_context_paths),
		cmocka_unit_test(test_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
