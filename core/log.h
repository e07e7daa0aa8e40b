/*
 * log.h - JSON-lines logging.
 *
 * One line per event: {"time","level","program","pid","request_id","event",
 * ...fields}. Each line is written with a single write(2), so lines from
 * several workers sharing one file never interleave.
 *
 * Secrets cannot be printed: a field whose key names a secret (password,
 * secret, token, authorization, cookie, otp, signature, session, api_key,
 * database_url, smtp_url) is written as "[redacted]", and any value that
 * contains an API key (anx_...), a webhook secret (whsec_...), a bearer
 * credential or URL userinfo has that part masked.
 *
 * Fields are typed triples ended by ANX_LF_END:
 *   anx_log(ANX_LOG_INFO, "http_request", LF_STR("path", p),
 *           LF_INT("status", 200), ANX_LF_END);
 */
#ifndef ANX_LOG_H
#define ANX_LOG_H

enum anx_log_level {
	ANX_LOG_DEBUG, /* debug */
	ANX_LOG_INFO,  /* info */
	ANX_LOG_WARN,  /* warn */
	ANX_LOG_ERROR  /* error */
};

enum anx_lf_type { ANX_LF_END = 0, ANX_LF_STR, ANX_LF_INT, ANX_LF_DBL, ANX_LF_BOOL };

#define LF_STR(k, v)  ANX_LF_STR, (const char *)(k), (const char *)(v)
#define LF_INT(k, v)  ANX_LF_INT, (const char *)(k), (long long)(v)
#define LF_DBL(k, v)  ANX_LF_DBL, (const char *)(k), (double)(v)
#define LF_BOOL(k, v) ANX_LF_BOOL, (const char *)(k), (int)(v)

/* Sets the program name, minimum level and output fd (default stderr). */
void anx_log_init(const char *program, enum anx_log_level min, int fd);

/* Parses "debug|info|warn|error"; returns -1 if unknown. */
int anx_log_level_parse(const char *s);

/* The request id put on every line until changed (NULL clears it). The
 * string is copied (at most 64 bytes). */
void anx_log_set_request_id(const char *rid);
const char *anx_log_request_id(void);

void anx_log(enum anx_log_level level, const char *event, ...);

/* Exposed for tests: 1 if a field named key must never be printed. */
int anx_log_key_is_secret(const char *key);

/* Exposed for tests: formats one line into out (size n) as anx_log would,
 * with a fixed time, returning the length (truncated lines end in "}\n"). */
int anx_log_format_for_test(
	char *out, unsigned n, enum anx_log_level level, const char *event, ...);

#endif
