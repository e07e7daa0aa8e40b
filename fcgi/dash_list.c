/*
 * dash_list.c - list page filters in URLs and forms; see dash_list.h.
 */
#include "dash_list.h"

#include <stdio.h>
#include <string.h>

#include "auth.h"
#include "buf.h"

const char *
anx_dl_query_get(void *ctx, const char *name)
{
	return anx_web_query(ctx, name);
}

/* Appends "&name=value" (or "?…" first) to b, percent-encoded. */
static void
add_param(struct anx_web *w, struct anx_buf *b, const char *name, const char *value)
{
	anx_buf_putc(b, strchr(b->data ? b->data : "", '?') ? '&' : '?');
	anx_buf_puts(b, name);
	anx_buf_putc(b, '=');
	anx_buf_puts(b, anx_web_urlencode(w->req->arena, value));
}

const char *
anx_dl_href(struct anx_web *w, const char *path, const struct anx_filter_def *defs,
	const char *const *vals, size_t n, const char *drop, const char *extra,
	const char *extra_value)
{
	struct anx_buf b;
	const char *out;

	anx_buf_init(&b, 16 * 1024);
	anx_buf_puts(&b, path);
	if (w->has_ws)
		add_param(w, &b, "ws", w->ws_id);
	for (size_t i = 0; i < n; i++)
		if (vals[i] && !(drop && strcmp(defs[i].name, drop) == 0) &&
			!(extra && strcmp(defs[i].name, extra) == 0))
			add_param(w, &b, defs[i].name, vals[i]);
	if (extra && extra_value)
		add_param(w, &b, extra, extra_value);
	out = anx_buf_failed(&b) ? path : anx_arena_strdup(w->req->arena, b.data);
	anx_buf_free(&b);
	return out ? out : path;
}

json_object *
anx_dl_form(const struct anx_filter_def *defs, const char *const *vals, size_t n)
{
	json_object *o = json_object_new_object();
	int active = 0;

	for (size_t i = 0; i < n; i++) {
		if (vals[i]) {
			json_object_object_add(o, defs[i].name, json_object_new_string(vals[i]));
			active |= defs[i].kind != ANX_FILTER_CURSOR;
		}
		if (defs[i].kind == ANX_FILTER_CHOICE) {
			json_object *opts = json_object_new_array();
			char key[64];

			for (size_t k = 0; defs[i].choices[k]; k++) {
				json_object *it = json_object_new_object();

				json_object_object_add(
					it, "value", json_object_new_string(defs[i].choices[k]));
				json_object_object_add(it, "selected",
					json_object_new_boolean(
						vals[i] &&
						strcmp(vals[i], defs[i].choices[k]) == 0));
				json_object_array_add(opts, it);
			}
			snprintf(key, sizeof(key), "%s_options", defs[i].name);
			json_object_object_add(o, key, opts);
		}
	}
	json_object_object_add(o, "active", json_object_new_boolean(active));
	return o;
}

const char *
anx_dl_uuid_param(struct anx_req *req, const char *name)
{
	const char *v = anx_req_route_param(req, name);

	return v && anx_uuid_valid(v) ? v : NULL;
}

/* "2026-11-28T00:40:05.123456Z" as "28 Nov 2026, 00:40:05 UTC" into out;
 * 0, or -1 when ts does not have that shape. */
static int
ts_display(const char *ts, char *out, size_t n)
{
	static const char *const months[12] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul",
		"Aug", "Sep", "Oct", "Nov", "Dec" };
	int mon;

	if (!anx_ts_shape(ts))
		return -1;
	mon = (ts[5] - '0') * 10 + (ts[6] - '0');
	snprintf(out, n, "%.2s %s %.4s, %.8s UTC", ts + 8, months[mon - 1], ts, ts + 11);
	return 0;
}

void
anx_dl_add_display_one(json_object *obj, const char *const *keys)
{
	for (size_t k = 0; obj && keys[k]; k++) {
		json_object *v;
		char disp[40], name[64];

		if (!json_object_object_get_ex(obj, keys[k], &v) ||
			!json_object_is_type(v, json_type_string) ||
			ts_display(json_object_get_string(v), disp, sizeof(disp)) != 0)
			continue;
		snprintf(name, sizeof(name), "%s_display", keys[k]);
		json_object_object_add(obj, name, json_object_new_string(disp));
	}
}

void
anx_dl_add_display(json_object *arr, const char *const *keys)
{
	for (size_t i = 0; arr && i < json_object_array_length(arr); i++)
		anx_dl_add_display_one(json_object_array_get_idx(arr, i), keys);
}
