/*
 * response.c - building responses: headers, JSON bodies, the JSON error
 * contract, HTML; see http.h.
 */
#include <string.h>

#include "http.h"

#define ANX_MAX_RESPONSE (64 * 1024 * 1024)

void
anx_resp_init(struct anx_resp *resp)
{
	memset(resp, 0, sizeof(*resp));
	anx_buf_init(&resp->body, ANX_MAX_RESPONSE);
}

void
anx_resp_free(struct anx_resp *resp)
{
	anx_buf_free(&resp->body);
	memset(resp, 0, sizeof(*resp));
}

int
anx_resp_header(struct anx_resp *resp, const char *name, const char *value)
{
	/* Header names and values come from code, but never let a CR/LF
	 * through: it would split the response. */
	if (strpbrk(name, "\r\n:") || strpbrk(value, "\r\n"))
		return -1;
	if (resp->nheaders == ANX_MAX_RESP_HEADERS)
		return -1;
	resp->headers[resp->nheaders].name = name;
	resp->headers[resp->nheaders].value = value;
	resp->nheaders++;
	return 0;
}

enum anx_err
anx_resp_json_raw(struct anx_resp *resp, int status, const char *json, size_t n)
{
	anx_buf_reset(&resp->body);
	if (anx_buf_add(&resp->body, json, n) != 0)
		return ANX_ERR_NOMEM;
	resp->status = status;
	resp->content_type = "application/json";
	return ANX_OK;
}

enum anx_err
anx_resp_json(struct anx_resp *resp, int status, json_object *obj)
{
	size_t n;
	const char *s = json_object_to_json_string_length(
		obj, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &n);

	if (s == NULL)
		return ANX_ERR_NOMEM;
	return anx_resp_json_raw(resp, status, s, n);
}

void
anx_resp_error(struct anx_resp *resp, const char *request_id, enum anx_err err, const char *message,
	const struct anx_verrs *details)
{
	struct anx_buf *b = &resp->body;
	const char *code = anx_err_code(err);

	if (message == NULL)
		message = anx_err_message(err);
	anx_buf_reset(b);
	anx_buf_puts(b, "{\"error\":{\"code\":\"");
	anx_buf_json_str(b, code, strlen(code));
	anx_buf_puts(b, "\",\"message\":\"");
	anx_buf_json_str(b, message, strlen(message));
	anx_buf_puts(b, "\",\"details\":[");
	for (size_t i = 0; details && i < details->n; i++) {
		const struct anx_verr *v = &details->items[i];

		anx_buf_puts(b, i ? ",{\"path\":\"" : "{\"path\":\"");
		anx_buf_json_str(b, v->path, strlen(v->path));
		anx_buf_puts(b, "\",\"problem\":\"");
		anx_buf_json_str(b, v->problem, strlen(v->problem));
		anx_buf_puts(b, "\"}");
	}
	anx_buf_puts(b, "]},\"request_id\":\"");
	anx_buf_json_str(b, request_id ? request_id : "", request_id ? strlen(request_id) : 0);
	anx_buf_puts(b, "\"}");
	resp->status = anx_err_status(err);
	resp->content_type = "application/json";
	/* Retry hints for the codes that invite a retry. */
	if (err == ANX_ERR_UNAVAILABLE)
		anx_resp_header(resp, "Retry-After", "2");
	else if (err == ANX_ERR_IDEM_IN_PROGRESS)
		anx_resp_header(resp, "Retry-After", "1");
}

enum anx_err
anx_resp_html(struct anx_resp *resp, int status, const char *html, size_t n)
{
	anx_buf_reset(&resp->body);
	if (anx_buf_add(&resp->body, html, n) != 0)
		return ANX_ERR_NOMEM;
	resp->status = status;
	resp->content_type = "text/html; charset=utf-8";
	return ANX_OK;
}
