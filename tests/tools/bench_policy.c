/*
 * bench_policy.c - decisions per second of the policy engine on one core.
 *
 * Builds a realistic 100-rule policy (exact actions, prefix/suffix/general
 * globs, amount ranges, context `in` lists, nested any/not, a few approval
 * rules) and 1000 varied requests, most of which match late rules or fall
 * through to the default, which is the expensive case. After a warm-up it
 * decides round-robin over the requests for about two seconds and prints
 * machine-readable lines:
 *
 *   decisions_per_sec=<n>
 *   ns_per_decision=<x>
 *   rss_kb=<n>
 *
 * plus how the decisions were distributed. Usage: bench_policy [seconds].
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "json.h"
#include "policy.h"

#define NRULES  100
#define NINPUTS 1000

static const char *const countries[] = { "US", "CA", "MX", "GB", "FR", "DE", "JP", "BR", "IN", "AU",
	"NL", "SE" };
#define NCOUNTRIES (sizeof(countries) / sizeof(countries[0]))

/* Appends rule i of the benchmark policy to b. */
static void
add_rule(struct anx_buf *b, int i)
{
	anx_buf_printf(b, "%s{\"name\":\"rule-%03d\",", i ? "," : "", i);
	switch (i % 7) {
	case 0: /* exact action with an amount threshold */
		anx_buf_printf(b,
			"\"when\":{\"action\":\"svc%d.transfer\",\"amount\":{\"gt\":%d}},"
			"\"effect\":\"deny\"}",
			i, 1000 * (i % 10 + 1));
		break;
	case 1: /* prefix glob on the action, prefix glob on the resource */
		anx_buf_printf(b,
			"\"when\":{\"action\":\"svc%d.*\",\"resource\":\"prod/%d/*\"},"
			"\"effect\":\"deny\"}",
			i, i);
		break;
	case 2: /* exact action, context `in` list, currency */
		anx_buf_printf(b,
			"\"when\":{\"action\":\"svc%d.pay\",\"currency\":{\"in\":[\"USD\",\"EUR\"]}"
			","
			"\"context.country\":{\"in\":[\"%s\",\"%s\",\"%s\",\"%s\"]}},\"effect\":"
			"\"require_approval\",\"approval\":{\"stages\":[{\"role\":\"manager\"},"
			"{\"role\":\"finance\",\"min_approvals\":2,\"otp\":true}],"
			"\"timeout_seconds\":86400,\"reminder_before_seconds\":3600}}",
			i, countries[i % NCOUNTRIES], countries[(i + 1) % NCOUNTRIES],
			countries[(i + 2) % NCOUNTRIES], countries[(i + 3) % NCOUNTRIES]);
		break;
	case 3: /* any of exact actions, unless the agent is a VIP */
		anx_buf_printf(b,
			"\"when\":{\"any\":[{\"action\":\"svc%d.drop\"},{\"action\":\"svc%d."
			"truncate\"}],"
			"\"not\":{\"context.vip\":true}},\"effect\":\"deny\","
			"\"reason\":\"destructive operation on service %d\"}",
			i, i, i);
		break;
	case 4: /* suffix glob and nested context prefix */
		anx_buf_printf(b,
			"\"when\":{\"action\":\"*.purge%d\",\"context.team.name\":{\"prefix\":"
			"\"ops-\"}},"
			"\"effect\":\"allow\"}",
			i);
		break;
	case 5: /* general glob with `?` and an amount range */
		anx_buf_printf(b,
			"\"when\":{\"action\":\"svc%d.export.v?\",\"amount\":{\"gte\":10,\"lt\":"
			"500},"
			"\"agent_id\":{\"ne\":\"trusted-agent\"}},\"effect\":\"deny\"}",
			i);
		break;
	default: /* exact action and context number comparison */
		anx_buf_printf(b,
			"\"when\":{\"action\":{\"eq\":\"svc%d.bulk\"},\"context.rows\":{\"gt\":"
			"10000}},"
			"\"effect\":\"deny\"}",
			i);
		break;
	}
}

/* Returns a new policy with NRULES rules; exits on failure. */
static struct anx_policy *
build_policy(double *compile_us)
{
	struct anx_policy *p = NULL;
	struct anx_verrs e;
	struct anx_buf b;
	struct timespec t0, t1;
	json_object *doc = NULL;
	int i;

	anx_buf_init(&b, 0);
	anx_buf_puts(&b, "{\"default\":\"allow\",\"description\":\"benchmark\",\"rules\":[");
	for (i = 0; i < NRULES; i++)
		add_rule(&b, i);
	anx_buf_puts(&b, "]}");
	anx_verrs_init(&e);
	if (anx_buf_failed(&b) || anx_json_parse(b.data, b.len, NULL, &doc, &e) != ANX_OK) {
		fprintf(stderr, "bench_policy: bad policy JSON: %s\n",
			e.n ? e.items[0].problem : "");
		exit(1);
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (anx_policy_compile(doc, &p, &e) != ANX_OK) {
		fprintf(stderr, "bench_policy: policy did not compile: %s: %s\n",
			e.n ? e.items[0].path : "", e.n ? e.items[0].problem : "");
		exit(1);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	*compile_us =
		(double)(t1.tv_sec - t0.tv_sec) * 1e6 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e3;
	json_object_put(doc);
	anx_buf_free(&b);
	return p;
}

/* A small deterministic PRNG (xorshift64*), so every run sees the same inputs. */
static uint64_t rng = 0x9e3779b97f4a7c15ULL;

static unsigned
rnd(unsigned n)
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return (unsigned)((rng * 0x2545f4914f6cdd1dULL) >> 33) % n;
}

struct input {
	char action[48];
	char resource[48];
	char agent[24];
	const char *currency;
	int has_amount;
	double amount;
	json_object *context;
};

/*
 * Writes into in->action an action aimed at rule svc (see add_rule()),
 * and sets the resource for the rules that also look at it.
 */
static void
aim_at(struct input *in, unsigned svc)
{
	static const char *const verbs[] = { "transfer", "x", "pay", "drop", "purge", "export.v2",
		"bulk" };
	unsigned t = svc % 7;

	if (t == 4)
		snprintf(in->action, sizeof(in->action), "svc%u.purge%u", svc, svc);
	else if (t == 3 && rnd(2))
		snprintf(in->action, sizeof(in->action), "svc%u.truncate", svc);
	else
		snprintf(in->action, sizeof(in->action), "svc%u.%s", svc, verbs[t]);
	if (t == 1)
		snprintf(in->resource, sizeof(in->resource), "prod/%u/table%u", svc, rnd(50));
}

/*
 * Fills in with a varied request: about half match no rule's action (the
 * default decides after all 100 rules were considered), 35% aim at one
 * of the last 30 rules (which may still not match on amount, currency or
 * context), the rest use a random action of a random service.
 */
static void
make_input(struct input *in)
{
	static const char *const verbs[] = { "transfer", "pay", "drop", "truncate", "purge",
		"export.v2", "bulk", "read", "list", "update" };
	static const char *const others[] = { "payments.send", "users.read", "users.list",
		"invoices.get", "db.query", "deploy.service", "email.send", "files.upload" };
	unsigned r = rnd(100);
	json_object *team;

	snprintf(in->resource, sizeof(in->resource), "%s/%u/table%u", rnd(2) ? "prod" : "staging",
		rnd(NRULES), rnd(50));
	if (r < 50)
		snprintf(in->action, sizeof(in->action), "%s", others[rnd(8)]);
	else if (r < 85)
		aim_at(in, 70 + rnd(30));
	else
		snprintf(in->action, sizeof(in->action), "svc%u.%s", rnd(NRULES), verbs[rnd(10)]);
	snprintf(in->agent, sizeof(in->agent), "agent-%u", rnd(20));
	in->currency = rnd(3) ? "USD" : "JPY";
	in->has_amount = rnd(4) != 0;
	in->amount = (double)rnd(20000) + (double)rnd(100) / 100.0;
	if (rnd(3) == 0)
		in->amount = (double)rnd(600);

	in->context = json_object_new_object();
	json_object_object_add(
		in->context, "country", json_object_new_string(countries[rnd(NCOUNTRIES)]));
	json_object_object_add(in->context, "vip", json_object_new_boolean(rnd(5) == 0));
	json_object_object_add(in->context, "rows", json_object_new_int64(rnd(20000)));
	team = json_object_new_object();
	json_object_object_add(team, "name", json_object_new_string(rnd(2) ? "ops-core" : "dev"));
	json_object_object_add(in->context, "team", team);
	json_object_object_add(in->context, "request_id", json_object_new_string("req-0001"));
	json_object_object_add(in->context, "session", json_object_new_string("s-42"));
}

/* VmRSS of this process in KiB, or -1. */
static long
rss_kb(void)
{
	char line[256];
	long kb = -1;
	FILE *f;

	if ((f = fopen("/proc/self/status", "r")) == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL)
		if (strncmp(line, "VmRSS:", 6) == 0) {
			kb = strtol(line + 6, NULL, 10);
			break;
		}
	fclose(f);
	return kb;
}

static double
now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

int
main(int argc, char *argv[])
{
	static struct input inputs[NINPUTS];
	static struct anx_policy_input pin[NINPUTS];
	struct anx_policy_decision d;
	struct anx_policy *p;
	double seconds = 2.0, compile_us, t0, elapsed;
	uint64_t n = 0, sink = 0, by_default = 0, approvals = 0, idx_sum = 0, matched = 0;
	size_t i;

	if (argc > 1 && (seconds = strtod(argv[1], NULL)) <= 0)
		seconds = 2.0;
	p = build_policy(&compile_us);
	for (i = 0; i < NINPUTS; i++) {
		make_input(&inputs[i]);
		pin[i].action = inputs[i].action;
		pin[i].resource = inputs[i].resource;
		pin[i].agent_id = inputs[i].agent;
		pin[i].currency = inputs[i].currency;
		pin[i].has_amount = inputs[i].has_amount;
		pin[i].amount = inputs[i].amount;
		pin[i].context = inputs[i].context;
	}

	/* What the inputs do, once. */
	for (i = 0; i < NINPUTS; i++) {
		anx_policy_decide(p, &pin[i], &d);
		if (d.rule_index < 0)
			by_default++;
		else {
			matched++;
			idx_sum += (uint64_t)d.rule_index;
		}
		approvals += d.effect == ANX_EFFECT_REQUIRE_APPROVAL;
	}

	/* Warm-up. */
	t0 = now();
	while (now() - t0 < 0.2)
		for (i = 0; i < NINPUTS; i++) {
			anx_policy_decide(p, &pin[i], &d);
			sink += (uint64_t)d.effect;
		}

	t0 = now();
	do {
		for (i = 0; i < NINPUTS; i++) {
			anx_policy_decide(p, &pin[i], &d);
			sink += (uint64_t)d.effect + (uint64_t)(d.rule_index + 1);
		}
		n += NINPUTS;
	} while ((elapsed = now() - t0) < seconds);

	printf("rules=%zu inputs=%d compile_us=%.0f\n", anx_policy_nrules(p), NINPUTS, compile_us);
	printf("default_share=%.2f mean_matched_rule_index=%.1f approvals=%llu\n",
		(double)by_default / NINPUTS, matched ? (double)idx_sum / (double)matched : -1.0,
		(unsigned long long)approvals);
	printf("decisions=%llu seconds=%.3f checksum=%llu\n", (unsigned long long)n, elapsed,
		(unsigned long long)sink);
	printf("decisions_per_sec=%.0f\n", (double)n / elapsed);
	printf("ns_per_decision=%.1f\n", elapsed * 1e9 / (double)n);
	printf("rss_kb=%ld\n", rss_kb());

	for (i = 0; i < NINPUTS; i++)
		json_object_put(inputs[i].context);
	anx_policy_free(p);
	return 0;
}
