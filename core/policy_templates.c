/*
 * policy_templates.c - built-in policies a workspace can start from in the
 * policy editor. Each is a complete, valid document (test_policy.c
 * compiles every one); ids are stable because the dashboard links them.
 */
#include "policy.h"

#include <string.h>

const struct anx_policy_template anx_policy_templates[] = {
	{
		"payments-approval",
		"Payments approval",
		"Payments over 1,000 need a manager's approval, payments over 10,000 also "
		"need two finance approvers confirming with a one-time code. Payments "
		"without an amount and payments to sanctioned countries are denied.",
		"{\n"
		"  \"description\": \"Payments above thresholds need manager, then finance "
		"sign-off\",\n"
		"  \"default\": \"allow\",\n"
		"  \"rules\": [\n"
		"    { \"name\": \"payment-without-amount\",\n"
		"      \"when\": { \"action\": \"payments.*\", \"amount\": { \"exists\": false } "
		"},\n"
		"      \"effect\": \"deny\",\n"
		"      \"reason\": \"A payment must state its amount\" },\n"
		"    { \"name\": \"sanctioned-destination\",\n"
		"      \"when\": { \"action\": \"payments.*\",\n"
		"                \"context.destination.country\": { \"in\": [\"KP\", \"IR\", "
		"\"SY\", \"CU\"] } },\n"
		"      \"effect\": \"deny\",\n"
		"      \"reason\": \"Payments to sanctioned countries are not allowed\" },\n"
		"    { \"name\": \"very-large-payment\",\n"
		"      \"when\": { \"action\": \"payments.send\", \"amount\": { \"gt\": 10000 } "
		"},\n"
		"      \"effect\": \"require_approval\",\n"
		"      \"approval\": {\n"
		"        \"stages\": [ { \"role\": \"manager\", \"min_approvals\": 1 },\n"
		"                    { \"role\": \"finance\", \"min_approvals\": 2, \"otp\": true "
		"} ],\n"
		"        \"timeout_seconds\": 86400,\n"
		"        \"reminder_before_seconds\": 3600,\n"
		"        \"separation_of_duties\": true },\n"
		"      \"reason\": \"Payments over 10,000 need a manager and two finance "
		"approvers\" },\n"
		"    { \"name\": \"large-payment\",\n"
		"      \"when\": { \"action\": \"payments.send\", \"amount\": { \"gt\": 1000 } },\n"
		"      \"effect\": \"require_approval\",\n"
		"      \"approval\": {\n"
		"        \"stages\": [ { \"role\": \"manager\" },\n"
		"                    { \"role\": \"finance\", \"otp\": true } ],\n"
		"        \"timeout_seconds\": 86400,\n"
		"        \"reminder_before_seconds\": 3600 },\n"
		"      \"reason\": \"Payments over 1,000 need manager and finance sign-off\" }\n"
		"  ]\n"
		"}\n",
	},
	{
		"production-changes",
		"Production changes",
		"Dropping or truncating production data is denied; production deploys and "
		"migrations need approval; staging and development are open; anything "
		"else that touches production is denied.",
		"{\n"
		"  \"description\": \"Guard production; leave staging and development open\",\n"
		"  \"default\": \"deny\",\n"
		"  \"rules\": [\n"
		"    { \"name\": \"no-prod-drops\",\n"
		"      \"when\": { \"resource\": \"prod/*\",\n"
		"                \"any\": [ { \"action\": \"db.drop*\" }, { \"action\": "
		"\"db.truncate*\" } ] },\n"
		"      \"effect\": \"deny\",\n"
		"      \"reason\": \"Dropping production data is never allowed\" },\n"
		"    { \"name\": \"prod-migrations\",\n"
		"      \"when\": { \"action\": \"db.migrate*\", \"resource\": \"prod/*\" },\n"
		"      \"effect\": \"require_approval\",\n"
		"      \"approval\": {\n"
		"        \"stages\": [ { \"role\": \"dba\" }, { \"role\": \"sre\", \"otp\": true } "
		"],\n"
		"        \"timeout_seconds\": 14400,\n"
		"        \"reminder_before_seconds\": 1800 },\n"
		"      \"reason\": \"Production migrations need a DBA and an SRE\" },\n"
		"    { \"name\": \"prod-deploys\",\n"
		"      \"when\": { \"action\": \"deploy.*\", \"resource\": \"prod/*\" },\n"
		"      \"effect\": \"require_approval\",\n"
		"      \"approval\": {\n"
		"        \"stages\": [ { \"role\": \"release-manager\", \"assign\": "
		"\"round_robin\",\n"
		"                      \"reassign_after_seconds\": 900 } ],\n"
		"        \"timeout_seconds\": 7200 },\n"
		"      \"reason\": \"Production deploys need a release manager\" },\n"
		"    { \"name\": \"prod-reads\",\n"
		"      \"when\": { \"resource\": \"prod/*\",\n"
		"                \"any\": [ { \"action\": \"*.read\" }, { \"action\": \"*.list\" "
		"},\n"
		"                         { \"action\": \"*.get\" } ] },\n"
		"      \"effect\": \"allow\",\n"
		"      \"reason\": \"Reading production is allowed\" },\n"
		"    { \"name\": \"non-production\",\n"
		"      \"when\": { \"any\": [ { \"resource\": \"staging/*\" }, { \"resource\": "
		"\"dev/*\" } ] },\n"
		"      \"effect\": \"allow\",\n"
		"      \"reason\": \"Staging and development are open\" }\n"
		"  ]\n"
		"}\n",
	},
	{
		"data-export",
		"Data exports",
		"Bulk exports above 100,000 rows are denied, exports of personal data or "
		"to destinations outside the company need a data protection officer's "
		"approval; other exports are allowed.",
		"{\n"
		"  \"description\": \"Control exports of personal and bulk data\",\n"
		"  \"default\": \"allow\",\n"
		"  \"rules\": [\n"
		"    { \"name\": \"bulk-export-limit\",\n"
		"      \"when\": { \"action\": \"data.export*\", \"context.row_count\": { \"gt\": "
		"100000 } },\n"
		"      \"effect\": \"deny\",\n"
		"      \"reason\": \"Exports of more than 100,000 rows are not allowed\" },\n"
		"    { \"name\": \"pii-export\",\n"
		"      \"when\": { \"action\": \"data.export*\",\n"
		"                \"any\": [ { \"context.contains_pii\": true },\n"
		"                         { \"context.classification\": { \"in\": [\"pii\", "
		"\"sensitive\", \"restricted\"] } } ] },\n"
		"      \"effect\": \"require_approval\",\n"
		"      \"approval\": {\n"
		"        \"stages\": [ { \"role\": \"data-protection-officer\", \"otp\": true } "
		"],\n"
		"        \"timeout_seconds\": 172800,\n"
		"        \"reminder_before_seconds\": 86400 },\n"
		"      \"reason\": \"Exports of personal data need the data protection officer\" "
		"},\n"
		"    { \"name\": \"external-destination\",\n"
		"      \"when\": { \"action\": \"data.export*\",\n"
		"                \"context.destination\": { \"exists\": true },\n"
		"                \"not\": { \"context.destination\": { \"glob\": "
		"\"*.internal.example.com\" } } },\n"
		"      \"effect\": \"require_approval\",\n"
		"      \"approval\": {\n"
		"        \"stages\": [ { \"role\": \"data-protection-officer\" } ] },\n"
		"      \"reason\": \"Exports leaving the company need the data protection "
		"officer\" }\n"
		"  ]\n"
		"}\n",
	},
	{
		"read-only-agent",
		"Read-only agent",
		"The agent may read, list and get; every other action is denied.",
		"{\n"
		"  \"description\": \"Allow reads only; deny everything else\",\n"
		"  \"default\": \"deny\",\n"
		"  \"rules\": [\n"
		"    { \"name\": \"reads\",\n"
		"      \"when\": { \"any\": [ { \"action\": \"*.read\" }, { \"action\": \"*.list\" "
		"},\n"
		"                         { \"action\": \"*.get\" } ] },\n"
		"      \"effect\": \"allow\",\n"
		"      \"reason\": \"Read-only actions are allowed\" }\n"
		"  ]\n"
		"}\n",
	},
};

const size_t anx_policy_ntemplates = sizeof(anx_policy_templates) / sizeof(anx_policy_templates[0]);

/* The template with id, or NULL; static data. */
const struct anx_policy_template *
anx_policy_template_find(const char *id)
{
	size_t i;

	if (id == NULL)
		return NULL;
	for (i = 0; i < anx_policy_ntemplates; i++)
		if (strcmp(anx_policy_templates[i].id, id) == 0)
			return &anx_policy_templates[i];
	return NULL;
}
