/*
 * config.h - configuration from the environment (DESIGN.md "Configuration").
 *
 * anx_config_load() reads every variable once at process start. In
 * production a missing or weak secret is an error naming the variable, and
 * the program refuses to start. Strings point into the process environment
 * or static storage and live as long as the process.
 */
#ifndef ANX_CONFIG_H
#define ANX_CONFIG_H

#include <stddef.h>

#define ANX_SECRET_MIN_LEN 32

struct anx_config {
	int production;                  /* APP_ENV=production */
	const char *app_env;             /* "production" | "development" */
	const char *app_url;             /* APP_URL, no trailing slash */
	const char *database_url;        /* DATABASE_URL */
	const char *smtp_url;            /* SMTP_URL (NULL: mail stays queued) */
	const char *mail_from;           /* MAIL_FROM */
	const char *otp_secret;          /* APPROVAL_OTP_SECRET (or generated) */
	int otp_secret_generated;        /* 1 if development fell back */
	const char *webhook_secret;      /* INTEGRATION_WEBHOOK_HMAC_SECRET or NULL */
	const char *cron_secret;         /* CRON_SECRET or NULL (cron routes off) */
	long rate_limit_per_key;         /* RATE_LIMIT_PER_API_KEY_PER_MINUTE */
	const char *mcp_allowed_origins; /* MCP_ALLOWED_ORIGINS, comma list */
	int compliance_admin_only;       /* COMPLIANCE_EXPORT_ADMIN_ONLY */
	int webhook_strict;              /* WEBHOOK_URL_POLICY (strict default in prod) */
	const char *template_dir;        /* ANX_TEMPLATE_DIR (default ./templates) */
	const char *docs_dir;            /* ANX_DOCS_DIR (default ./docs) */
	const char *sql_dir;             /* ANX_SQL_DIR (default ./sql) */
	int log_level;                   /* LOG_LEVEL */
};

/* Reads a variable; the default getter is getenv. */
typedef const char *(*anx_getenv_fn)(const char *name, void *ctx);

/*
 * Loads configuration into c. On failure returns -1 and writes one line
 * naming the offending variable into err (size errlen). Returns 0 on success.
 */
int anx_config_load(struct anx_config *c, char *err, size_t errlen);
int anx_config_load_from(
	struct anx_config *c, anx_getenv_fn get, void *ctx, char *err, size_t errlen);

/* The process-wide configuration, loaded by the program's main(). */
extern struct anx_config anx_cfg;

#endif
