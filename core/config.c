/*
 * config.c - environment configuration and production checks; see config.h.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>

#include "log.h"
#include "smtp.h"

struct anx_config anx_cfg;

static const char *
env_get(const char *name, void *ctx)
{
	(void)ctx;
	return getenv(name);
}

static const char *
nonempty(anx_getenv_fn get, void *ctx, const char *name)
{
	const char *v = get(name, ctx);

	return (v && *v) ? v : NULL;
}

/* Flags a secret that is too short or an obvious placeholder. */
static int
weak_secret(const char *v)
{
	static const char *placeholders[] = { "changeme", "change-me", "secret", "password",
		"example", "xxxxxxxx", "todo" };

	if (v == NULL || strlen(v) < ANX_SECRET_MIN_LEN)
		return 1;
	for (size_t i = 0; i < sizeof(placeholders) / sizeof(placeholders[0]); i++)
		if (strcasestr(v, placeholders[i]))
			return 1;
	return 0;
}

static int
parse_bool(const char *v)
{
	return v && (strcmp(v, "1") == 0 || strcasecmp(v, "true") == 0 ||
			    strcasecmp(v, "yes") == 0 || strcasecmp(v, "on") == 0);
}

int
anx_config_load_from(struct anx_config *c, anx_getenv_fn get, void *ctx, char *err, size_t errlen)
{
	static char generated_otp[65];
	const char *v;
	char *end;
	long n;

	memset(c, 0, sizeof(*c));
	c->app_env = nonempty(get, ctx, "APP_ENV");
	if (c->app_env == NULL)
		c->app_env = "development";
	if (strcmp(c->app_env, "production") == 0)
		c->production = 1;
	else if (strcmp(c->app_env, "development") != 0) {
		snprintf(err, errlen, "APP_ENV must be production or development");
		return -1;
	}

	c->app_url = nonempty(get, ctx, "APP_URL");
	if (c->app_url == NULL)
		c->app_url = c->production ? NULL : "http://127.0.0.1:8080";
	if (c->app_url == NULL || (c->production && strncmp(c->app_url, "https://", 8) != 0)) {
		snprintf(err, errlen,
			"APP_URL must be set to the canonical https:// origin in production");
		return -1;
	}
	if (strncmp(c->app_url, "http://", 7) != 0 && strncmp(c->app_url, "https://", 8) != 0) {
		snprintf(err, errlen, "APP_URL must start with http:// or https://");
		return -1;
	}

	c->database_url = nonempty(get, ctx, "DATABASE_URL");
	if (c->database_url == NULL) {
		snprintf(err, errlen, "DATABASE_URL is required");
		return -1;
	}
	c->smtp_url = nonempty(get, ctx, "SMTP_URL");
	c->mail_from = nonempty(get, ctx, "MAIL_FROM");
	if (c->production && c->smtp_url == NULL) {
		snprintf(err, errlen, "SMTP_URL is required in production");
		return -1;
	}
	if (c->smtp_url) {
		struct anx_smtp_url u;
		char why[200];
		int bad = anx_smtp_url_parse(c->smtp_url, &u, why, sizeof(why)) != 0;

		anx_smtp_url_clear(&u);
		if (bad) {
			snprintf(err, errlen, "SMTP_URL is invalid: %s", why);
			return -1;
		}
	}
	if (c->mail_from == NULL) {
		if (c->production) {
			snprintf(err, errlen, "MAIL_FROM is required in production");
			return -1;
		}
		c->mail_from = "AgentNexus <noreply@agentnexus.test>";
	}

	c->otp_secret = nonempty(get, ctx, "APPROVAL_OTP_SECRET");
	if (c->production && weak_secret(c->otp_secret)) {
		snprintf(err, errlen,
			"APPROVAL_OTP_SECRET is required in production and must be at least %d "
			"random characters",
			ANX_SECRET_MIN_LEN);
		return -1;
	}
	if (c->otp_secret == NULL) {
		unsigned char raw[32];
		static const char hex[] = "0123456789abcdef";

		if (gnutls_rnd(GNUTLS_RND_KEY, raw, sizeof(raw)) != 0) {
			snprintf(err, errlen,
				"could not generate a development APPROVAL_OTP_SECRET");
			return -1;
		}
		for (size_t i = 0; i < sizeof(raw); i++) {
			generated_otp[2 * i] = hex[raw[i] >> 4];
			generated_otp[2 * i + 1] = hex[raw[i] & 15];
		}
		generated_otp[64] = '\0';
		gnutls_memset(raw, 0, sizeof(raw));
		c->otp_secret = generated_otp;
		c->otp_secret_generated = 1;
	}

	c->webhook_secret = nonempty(get, ctx, "INTEGRATION_WEBHOOK_HMAC_SECRET");
	if (c->production && c->webhook_secret && weak_secret(c->webhook_secret)) {
		snprintf(err, errlen,
			"INTEGRATION_WEBHOOK_HMAC_SECRET is weak: use at least %d random "
			"characters",
			ANX_SECRET_MIN_LEN);
		return -1;
	}
	c->cron_secret = nonempty(get, ctx, "CRON_SECRET");
	if (c->production && weak_secret(c->cron_secret)) {
		snprintf(err, errlen,
			"CRON_SECRET is required in production and must be at least %d random "
			"characters",
			ANX_SECRET_MIN_LEN);
		return -1;
	}

	c->rate_limit_per_key = 600;
	if ((v = nonempty(get, ctx, "RATE_LIMIT_PER_API_KEY_PER_MINUTE")) != NULL) {
		errno = 0;
		n = strtol(v, &end, 10);
		if (errno || *end || n < 1 || n > 1000000) {
			snprintf(err, errlen,
				"RATE_LIMIT_PER_API_KEY_PER_MINUTE must be a whole number from 1 "
				"to 1000000");
			return -1;
		}
		c->rate_limit_per_key = n;
	}
	c->mcp_allowed_origins = nonempty(get, ctx, "MCP_ALLOWED_ORIGINS");
	c->compliance_admin_only = parse_bool(nonempty(get, ctx, "COMPLIANCE_EXPORT_ADMIN_ONLY"));

	c->webhook_strict = c->production;
	if ((v = nonempty(get, ctx, "WEBHOOK_URL_POLICY")) != NULL) {
		if (strcmp(v, "strict") == 0)
			c->webhook_strict = 1;
		else if (strcmp(v, "permissive") == 0)
			c->webhook_strict = 0;
		else {
			snprintf(err, errlen, "WEBHOOK_URL_POLICY must be strict or permissive");
			return -1;
		}
	}

	c->template_dir = nonempty(get, ctx, "ANX_TEMPLATE_DIR");
	if (c->template_dir == NULL)
		c->template_dir = "templates";
	c->docs_dir = nonempty(get, ctx, "ANX_DOCS_DIR");
	if (c->docs_dir == NULL)
		c->docs_dir = "docs";
	c->sql_dir = nonempty(get, ctx, "ANX_SQL_DIR");
	if (c->sql_dir == NULL)
		c->sql_dir = "sql";

	c->log_level = ANX_LOG_INFO;
	if ((v = nonempty(get, ctx, "LOG_LEVEL")) != NULL) {
		if ((c->log_level = anx_log_level_parse(v)) < 0) {
			snprintf(err, errlen, "LOG_LEVEL must be debug, info, warn or error");
			return -1;
		}
	}
	return 0;
}

int
anx_config_load(struct anx_config *c, char *err, size_t errlen)
{
	return anx_config_load_from(c, env_get, NULL, err, errlen);
}
