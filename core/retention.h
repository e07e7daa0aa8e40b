/*
 * retention.h - retention purges (`agentnexus-cron purge`, daily from
 * crontab). Everything is deleted in batches of ANX_PURGE_BATCH rows per
 * statement, so a purge never holds long locks or bloats one transaction.
 *
 * What goes, by age (days from the environment, defaults in brackets):
 *   evaluations that are no longer pending   RETENTION_EVALUATIONS_DAYS [365]
 *     (with their stages, requests, receipts, deliveries and emails)
 *   audit events (sealed only)                RETENTION_AUDIT_DAYS [730]
 *   webhook deliveries (delivered or dead)    RETENTION_DELIVERIES_DAYS [90]
 *   sent or dead emails                       RETENTION_EMAILS_DAYS [30]
 *   idempotency keys (the key is cleared; the evaluation stays) after 48 h
 *     (the API promises at least 24 h)
 * A value of 0 keeps that kind forever. Purged audit events leave an
 * anchor (seq and hash of the last purged event) so verify-audit still
 * checks the rest of the chain.
 */
#ifndef ANX_RETENTION_H
#define ANX_RETENTION_H

#include "db.h"

#define ANX_PURGE_BATCH 5000

struct anx_retention {
	int evaluations_days;
	int audit_days;
	int deliveries_days;
	int emails_days;
};

struct anx_purge_report {
	long long evaluations;
	long long audit_events;
	long long deliveries;
	long long emails;
	long long idempotency_keys;
};

/* Reads RETENTION_* from the environment; -1 with a message on a bad
 * value. */
int anx_retention_from_env(struct anx_retention *r, char *err, size_t errlen);

/* Purges by r; dry_run counts what would go without deleting. */
enum anx_err anx_retention_purge(struct anx_db *db, const struct anx_retention *r, int dry_run,
	struct anx_purge_report *rep);

#endif
