/*
 * db.h - PostgreSQL access over libpq: one connection per process,
 * parameters only (PQexecParams), a transaction helper, and reconnection
 * after the server restarts.
 *
 * Connections are opened lazily and checked before each use: if the server
 * went away while the connection was idle (restart, failover), the next
 * anx_db_exec() notices the closed socket and reconnects first. While the
 * server is unreachable every call returns ANX_ERR_UNAVAILABLE (HTTP 503),
 * never a crash; once it is back the next call succeeds.
 *
 * SQL lives in each module as constant strings with $n parameters; nothing
 * here builds SQL from input.
 */
#ifndef ANX_DB_H
#define ANX_DB_H

#include <libpq-fe.h>

#include "err.h"

struct anx_db;

/* Creates a handle for conninfo (a URL or key=value string, copied). Does
 * not connect. application_name names the program in pg_stat_activity. */
struct anx_db *anx_db_new(const char *conninfo, const char *application_name);
void anx_db_free(struct anx_db *db);

/* Connects or reconnects if needed. ANX_OK or ANX_ERR_UNAVAILABLE. */
enum anx_err anx_db_ensure(struct anx_db *db);

/* The live connection (after anx_db_ensure), for LISTEN and COPY. */
PGconn *anx_db_conn(struct anx_db *db);

/*
 * Runs sql with n text parameters (params[i] NULL = SQL NULL). On ANX_OK,
 * *res (if res != NULL) is the result, which the caller PQclear()s; on
 * error *res is NULL. Errors: ANX_ERR_UNAVAILABLE when the connection is
 * down; ANX_ERR_CONFLICT for unique violations (23505); ANX_ERR_INVALID for
 * other data errors (class 22/23); ANX_ERR_INTERNAL otherwise. The
 * SQLSTATE of the last failure is available from anx_db_sqlstate().
 */
enum anx_err anx_db_exec(
	struct anx_db *db, const char *sql, int n, const char *const *params, PGresult **res);

/* Like anx_db_exec but returns the single value of a 1x1 result copied into
 * out (size outlen); ANX_ERR_NOT_FOUND when there is no row. NULL → "". */
enum anx_err anx_db_value(struct anx_db *db, const char *sql, int n, const char *const *params,
	char *out, size_t outlen);

/* The 5-character SQLSTATE of the last failed statement ("" if none). */
const char *anx_db_sqlstate(const struct anx_db *db);

/*
 * Runs fn(db, ctx) inside BEGIN … COMMIT. If fn returns an error, rolls
 * back and returns it. Serialization failures and deadlocks (40001,
 * 40P01) are retried up to 3 times with fn called afresh, so fn must not
 * keep side effects outside the database between tries.
 */
typedef enum anx_err (*anx_db_tx_fn)(struct anx_db *db, void *ctx);
enum anx_err anx_db_tx(struct anx_db *db, anx_db_tx_fn fn, void *ctx);

/* A cheap liveness check: SELECT 1. */
enum anx_err anx_db_ping(struct anx_db *db);

/* 1 if inside anx_db_tx. */
int anx_db_in_tx(const struct anx_db *db);

#endif
