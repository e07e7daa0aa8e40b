/*
 * evaluation_input.c - the evaluate request: field table, validators,
 * Idempotency-Key, action_hash; see evaluation.h.
 */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "crypto.h"
#include "evaluation.h"
#include "jcs.h"

#define ANX_AMOUNT_MAX 1e15

/* action: [a-z0-9_.:-]{1,128} */
static const char *
check_action(json_object *v)
{
	const char *s = json_object_get_string(v);

	for (; *s; s++)
		if (!(islower((unsigned char)*s) || isdigit((unsigned char)*s) ||
			    strchr("_.:-", *s)))
			return "must match [a-z0-9_.:-]{1,128}";
	return NULL;
}

/* Identifiers shown to people must not hide control characters. */
static const char *
check_no_controls(json_object *v)
{
	const unsigned char *s = (const unsigned char *)json_object_get_string(v);

	for (; *s; s++)
		if (*s < 0x20 || *s == 0x7f)
			return "must not contain control characters";
	return NULL;
}

static const char *
check_amount(json_object *v)
{
	double d = json_object_get_double(v);

	if (!isfinite(d))
		return "must be a finite number";
	if (d < 0)
		return "must not be negative";
	if (d > ANX_AMOUNT_MAX)
		return "must be at most 1000000000000000";
	return NULL;
}

static const char *
check_currency(json_object *v)
{
	const char *s = json_object_get_string(v);

	for (int i = 0; i < 3; i++)
		if (s[i] < 'A' || s[i] > 'Z')
			return "must be an ISO 4217 code such as USD";
	return NULL;
}

static int
depth_of(json_object *v)
{
	int max = 0, d;

	if (json_object_is_type(v, json_type_object)) {
		json_object_object_foreach(v, k, c)
		{
			(void)k;
			if ((d = depth_of(c)) > max)
				max = d;
		}
		return max + 1;
	}
	if (json_object_is_type(v, json_type_array)) {
		for (size_t i = 0; i < json_object_array_length(v); i++)
			if ((d = depth_of(json_object_array_get_idx(v, i))) > max)
				max = d;
		return max + 1;
	}
	return 0;
}

static const char *
check_context(json_object *v)
{
	size_t n = 0;

	if (depth_of(v) > ANX_CONTEXT_MAX_DEPTH)
		return "must not nest deeper than 16 levels";
	json_object_to_json_string_length(v, JSON_C_TO_STRING_PLAIN, &n);
	if (n > ANX_CONTEXT_MAX_BYTES)
		return "must be at most 32768 bytes as JSON";
	return NULL;
}

static const char *
check_url(json_object *v)
{
	const char *s = json_object_get_string(v);

	if (strncmp(s, "https://", 8) != 0 && strncmp(s, "http://", 7) != 0)
		return "must be an http(s) URL";
	for (; *s; s++)
		if ((unsigned char)*s <= 0x20 || *s == 0x7f)
			return "must not contain spaces or control characters";
	return NULL;
}

static const struct anx_field eval_fields[] = {
	{ "action", ANX_FT_STRING, 1, 1, 128, check_action, 0 },
	{ "agent_id", ANX_FT_STRING, 0, 1, 128, check_no_controls, 1 },
	{ "resource", ANX_FT_STRING, 0, 1, 512, check_no_controls, 1 },
	{ "amount", ANX_FT_NUMBER, 0, 0, 0, check_amount, 1 },
	{ "currency", ANX_FT_STRING, 0, 3, 3, check_currency, 1 },
	{ "summary", ANX_FT_STRING, 0, 0, 2000, NULL, 1 },
	{ "context", ANX_FT_OBJECT, 0, 0, 0, check_context, 1 },
	{ "webhook_url", ANX_FT_STRING, 0, 1, 2048, check_url, 1 },
};

/* The member's string value, or NULL when absent or null. */
static const char *
opt_str(json_object *body, const char *key)
{
	json_object *v;

	if (!json_object_object_get_ex(body, key, &v) || v == NULL)
		return NULL;
	return json_object_get_string(v);
}

enum anx_err
anx_eval_parse(json_object *body, struct anx_eval_input *in, struct anx_verrs *e)
{
	json_object *v;

	memset(in, 0, sizeof(*in));
	if (!json_object_is_type(body, json_type_object)) {
		anx_verrs_add(e, "", "must be a JSON object");
		return ANX_ERR_VALIDATION;
	}
	if (anx_json_validate(
		    body, "", eval_fields, sizeof(eval_fields) / sizeof(eval_fields[0]), e) > 0)
		return ANX_ERR_VALIDATION;
	in->action = opt_str(body, "action");
	in->agent_id = opt_str(body, "agent_id");
	in->resource = opt_str(body, "resource");
	in->currency = opt_str(body, "currency");
	in->summary = opt_str(body, "summary");
	in->webhook_url = opt_str(body, "webhook_url");
	if (json_object_object_get_ex(body, "context", &v) && v != NULL)
		in->context = v;
	if (json_object_object_get_ex(body, "amount", &v) && v != NULL) {
		struct anx_buf b;

		in->has_amount = 1;
		in->amount = json_object_get_double(v);
		anx_buf_init(&b, sizeof(in->amount_text) - 1);
		if (anx_jcs_serialize(v, &b) != 0) {
			anx_buf_free(&b);
			anx_verrs_add(e, "amount", "must be a finite number");
			return ANX_ERR_VALIDATION;
		}
		snprintf(in->amount_text, sizeof(in->amount_text), "%s", b.data);
		anx_buf_free(&b);
	}
	return ANX_OK;
}

enum anx_err
anx_idem_key_parse(const char *h, char out[ANX_IDEM_KEY_MAX + 1])
{
	size_t n;

	out[0] = '\0';
	if (h == NULL)
		return ANX_OK;
	n = strlen(h);
	if (n >= 2 && h[0] == '"' && h[n - 1] == '"') {
		h++;
		n -= 2;
	}
	if (n == 0 || n > ANX_IDEM_KEY_MAX)
		return ANX_ERR_IDEM_INVALID;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)h[i] < 0x20 || (unsigned char)h[i] > 0x7e || h[i] == '"')
			return ANX_ERR_IDEM_INVALID;
	memcpy(out, h, n);
	out[n] = '\0';
	return ANX_OK;
}

static json_object *
str_or_null(const char *s)
{
	return s ? json_object_new_string(s) : NULL;
}

int
anx_eval_action_hash(const struct anx_eval_input *in, char out[65])
{
	json_object *o = json_object_new_object();
	struct anx_buf b;
	int rc = -1;

	anx_buf_init(&b, 0);
	if (o == NULL)
		goto out;
	json_object_object_add(o, "action", str_or_null(in->action));
	json_object_object_add(o, "agent_id", str_or_null(in->agent_id));
	json_object_object_add(o, "resource", str_or_null(in->resource));
	json_object_object_add(o, "amount",
		in->has_amount ? json_object_new_double_s(in->amount, in->amount_text) : NULL);
	json_object_object_add(o, "currency", str_or_null(in->currency));
	json_object_object_add(o, "context",
		in->context ? json_object_get(in->context) : json_object_new_object());
	if (anx_jcs_serialize(o, &b) != 0)
		goto out;
	rc = anx_sha256_hex(b.data, b.len, out);
out:
	json_object_put(o);
	anx_buf_free(&b);
	return rc;
}
