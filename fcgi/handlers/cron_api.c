/*
 * cron_api.c - POST /api/cron/replay-webhook (Authorization: Bearer
 * $CRON_SECRET): the HTTP twin of `agentnexus-cron replay`.
 *
 * Body: {"delivery_ids": ["uuid", …]} or {"failed_since": "RFC 3339"},
 * either with an optional "workspace_id". Answers
 * {"replayed": N, "ids": ["uuid", …]}.
 */
#include <string.h>

#include "auth.h"
#include "handlers.h"
#include "parse.h"
#include "webhook.h"

static const char *
check_ids(json_object *v)
{
	for (size_t i = 0; i < json_object_array_length(v); i++) {
		json_object *id = json_object_array_get_idx(v, i);

		if (!json_object_is_type(id, json_type_string) ||
			!anx_uuid_valid(json_object_get_string(id)))
			return "must be an array of delivery UUIDs";
	}
	return NULL;
}

static const char *
check_time(json_object *v)
{
	return anx_webhook_time_valid(json_object_get_string(v))
		       ? NULL
		       : "must be an RFC 3339 time such as 2026-01-31T12:00:00Z";
}

static const char *
check_uuid(json_object *v)
{
	return anx_uuid_valid(json_object_get_string(v)) ? NULL : "must be a UUID";
}

static const struct anx_field replay_fields[] = {
	{ "delivery_ids", ANX_FT_ARRAY, 0, 1, ANX_WEBHOOK_REPLAY_MAX, check_ids, 1 },
	{ "failed_since", ANX_FT_STRING, 0, 10, 40, check_time, 1 },
	{ "workspace_id", ANX_FT_STRING, 0, 36, 36, check_uuid, 1 },
};

enum anx_err
anx_h_cron_replay(struct anx_req *req, struct anx_resp *resp)
{
	const char *ids[ANX_WEBHOOK_REPLAY_MAX];
	json_object *body, *arr = NULL, *out = NULL, *replayed = NULL;
	struct anx_verrs *e;
	const char *since, *ws;
	size_t n = 0;
	int count = 0;
	enum anx_err err;

	if ((err = anx_cron_auth(req)) != ANX_OK)
		return err;
	if ((err = anx_parse_json_body(req, &body)) != ANX_OK)
		return err;
	if ((e = anx_req_verrs(req)) == NULL)
		return ANX_ERR_NOMEM;
	if (anx_json_validate(body, "", replay_fields,
		    sizeof(replay_fields) / sizeof(replay_fields[0]), e) > 0)
		return ANX_ERR_VALIDATION;
	since = anx_json_get_str(body, "failed_since");
	ws = anx_json_get_str(body, "workspace_id");
	if (json_object_object_get_ex(body, "delivery_ids", &arr) &&
		json_object_is_type(arr, json_type_array))
		n = json_object_array_length(arr);
	if ((n == 0) == (since == NULL)) {
		anx_verrs_add(e, "", "give exactly one of delivery_ids or failed_since");
		return ANX_ERR_VALIDATION;
	}
	for (size_t i = 0; i < n; i++)
		ids[i] = json_object_get_string(json_object_array_get_idx(arr, i));
	err = anx_webhook_replay_by(
		req->db, ws, n ? ids : NULL, n, since, "system", "cron_api", &count, &replayed);
	if (err != ANX_OK)
		return err;
	if ((out = json_object_new_object()) == NULL) {
		json_object_put(replayed);
		return ANX_ERR_NOMEM;
	}
	json_object_object_add(out, "replayed", json_object_new_int(count));
	json_object_object_add(out, "ids", replayed);
	err = anx_resp_json(resp, 200, out);
	json_object_put(out);
	return err;
}
