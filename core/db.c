/*
 * db.c - libpq connection handling, parameterised statements, transactions;
 * see db.h.
 */
#include "db.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"

#define CONNECT_TIMEOUT "3"
#define TX_RETRIES      3
#define STMT_CACHE      256

/*
 * Prepared statements, per connection, keyed by the address of the SQL
 * text: every statement is a constant string in its module (STYLE.md), so
 * the address identifies it. Parsing and planning happen once per
 * connection instead of once per call.
 */
struct stmt {
	const char *sql;
	int nparams;
};

struct anx_db {
	char *conninfo;
	char *appname;
	PGconn *conn;
	int in_tx;
	char sqlstate[6];
	struct stmt stmts[STMT_CACHE];
	size_t nstmts;
};

struct anx_db *
anx_db_new(const char *conninfo, const char *application_name)
{
	struct anx_db *db;

	if ((db = calloc(1, sizeof(*db))) == NULL)
		return NULL;
	db->conninfo = strdup(conninfo);
	db->appname = strdup(application_name ? application_name : "agentnexus");
	if (db->conninfo == NULL || db->appname == NULL) {
		anx_db_free(db);
		return NULL;
	}
	return db;
}

void
anx_db_free(struct anx_db *db)
{
	if (db == NULL)
		return;
	if (db->conn)
		PQfinish(db->conn);
	if (db->conninfo) {
		/* The URL may carry a password. */
		explicit_bzero(db->conninfo, strlen(db->conninfo));
		free(db->conninfo);
	}
	free(db->appname);
	free(db);
}

PGconn *
anx_db_conn(struct anx_db *db)
{
	return db->conn;
}

/* Session settings every connection gets; constant SQL, no input. */
static int
session_setup(PGconn *conn)
{
	PGresult *r = PQexec(conn, "SET statement_timeout = '15s'; "
				   "SET lock_timeout = '10s'; "
				   "SET idle_in_transaction_session_timeout = '60s'; "
				   "SET TIME ZONE 'UTC'");
	int ok = PQresultStatus(r) == PGRES_COMMAND_OK;

	PQclear(r);
	return ok ? 0 : -1;
}

/* Server notices (e.g. "already exists, skipping") go to the debug log,
 * not to stderr. */
static void
on_notice(void *arg, const char *message)
{
	(void)arg;
	anx_log(ANX_LOG_DEBUG, "db_notice", LF_STR("message", message), ANX_LF_END);
}

static enum anx_err
connect_fresh(struct anx_db *db)
{
	const char *keys[] = { "dbname", "connect_timeout", "application_name", NULL };
	const char *vals[] = { db->conninfo, CONNECT_TIMEOUT, db->appname, NULL };

	if (db->conn) {
		PQfinish(db->conn);
		db->conn = NULL;
	}
	db->in_tx = 0;
	db->nstmts = 0;
	/* expand_dbname=1: the first "dbname" may be a full URL/conninfo. */
	db->conn = PQconnectdbParams(keys, vals, 1);
	if (db->conn == NULL)
		return ANX_ERR_UNAVAILABLE;
	PQsetNoticeProcessor(db->conn, on_notice, NULL);
	if (PQstatus(db->conn) != CONNECTION_OK || session_setup(db->conn) != 0) {
		anx_log(ANX_LOG_ERROR, "db_connect_failed",
			LF_STR("error", PQerrorMessage(db->conn)), ANX_LF_END);
		PQfinish(db->conn);
		db->conn = NULL;
		return ANX_ERR_UNAVAILABLE;
	}
	return ANX_OK;
}

enum anx_err
anx_db_ensure(struct anx_db *db)
{
	if (db->conn == NULL)
		return connect_fresh(db);
	/*
	 * Read whatever arrived while idle: a server that shut down sent a
	 * FATAL and closed the socket, which libpq turns into CONNECTION_BAD
	 * here, so we reconnect before sending anything.
	 */
	if (!db->in_tx) {
		/* The first read may return the server's goodbye message;
		 * only the next one sees end-of-file and marks the
		 * connection bad. Both are non-blocking. */
		PQconsumeInput(db->conn);
		if (PQstatus(db->conn) == CONNECTION_OK)
			PQconsumeInput(db->conn);
	}
	if (PQstatus(db->conn) == CONNECTION_OK)
		return ANX_OK;
	if (db->in_tx)
		return ANX_ERR_UNAVAILABLE;
	anx_log(ANX_LOG_WARN, "db_reconnect", ANX_LF_END);
	return connect_fresh(db);
}

static enum anx_err
map_sqlstate(const char *st)
{
	if (st == NULL)
		return ANX_ERR_INTERNAL;
	if (strcmp(st, "23505") == 0)
		return ANX_ERR_CONFLICT;
	if (strncmp(st, "22", 2) == 0 || strncmp(st, "23", 2) == 0)
		return ANX_ERR_INVALID;
	if (strncmp(st, "08", 2) == 0 || strcmp(st, "57P01") == 0 || strcmp(st, "57P02") == 0 ||
		strcmp(st, "57P03") == 0)
		return ANX_ERR_UNAVAILABLE;
	return ANX_ERR_INTERNAL;
}

/*
 * Returns the name of the prepared statement for sql ("s<index>"),
 * preparing it on this connection first if needed; NULL when the cache is
 * full (the caller runs it unprepared). If preparing fails, returns NULL
 * with *fail set to the failed result, which the caller reports as the
 * statement's outcome.
 */
static const char *
prepared(struct anx_db *db, const char *sql, int n, char name[16], PGresult **fail)
{
	size_t i;
	PGresult *r;

	for (i = 0; i < db->nstmts; i++)
		if (db->stmts[i].sql == sql && db->stmts[i].nparams == n)
			goto found;
	if (db->nstmts == STMT_CACHE)
		return NULL;
	snprintf(name, 16, "s%zu", i);
	r = PQprepare(db->conn, name, sql, n, NULL);
	if (PQresultStatus(r) != PGRES_COMMAND_OK) {
		*fail = r;
		return NULL;
	}
	PQclear(r);
	db->stmts[i].sql = sql;
	db->stmts[i].nparams = n;
	db->nstmts++;
found:
	snprintf(name, 16, "s%zu", i);
	return name;
}

enum anx_err
anx_db_exec(struct anx_db *db, const char *sql, int n, const char *const *params, PGresult **res)
{
	PGresult *r;
	ExecStatusType st;
	enum anx_err err;
	const char *name;
	char namebuf[16];

	if (res)
		*res = NULL;
	db->sqlstate[0] = '\0';
	if ((err = anx_db_ensure(db)) != ANX_OK)
		return err;
	/* Preparing inside a failed transaction would fail; only prepare
	 * when the session can take it. */
	r = NULL;
	name = PQtransactionStatus(db->conn) == PQTRANS_INERROR ? NULL
								: prepared(db, sql, n, namebuf, &r);
	if (name)
		r = PQexecPrepared(db->conn, name, n, params, NULL, NULL, 0);
	else if (r == NULL)
		r = PQexecParams(db->conn, sql, n, NULL, params, NULL, NULL, 0);
	st = PQresultStatus(r);
	if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) {
		if (res)
			*res = r;
		else
			PQclear(r);
		return ANX_OK;
	}
	if (r && PQresultErrorField(r, PG_DIAG_SQLSTATE))
		snprintf(db->sqlstate, sizeof(db->sqlstate), "%s",
			PQresultErrorField(r, PG_DIAG_SQLSTATE));
	if (PQstatus(db->conn) != CONNECTION_OK)
		err = ANX_ERR_UNAVAILABLE;
	else
		err = map_sqlstate(db->sqlstate[0] ? db->sqlstate : NULL);
	/* Unique violations and data errors are expected outcomes callers
	 * handle; anything else is worth a log line (no parameters logged). */
	if (err == ANX_ERR_INTERNAL || err == ANX_ERR_UNAVAILABLE)
		anx_log(ANX_LOG_ERROR, "db_error", LF_STR("sqlstate", db->sqlstate),
			LF_STR("error", r ? PQresultErrorMessage(r) : PQerrorMessage(db->conn)),
			ANX_LF_END);
	PQclear(r);
	return err;
}

enum anx_err
anx_db_value(struct anx_db *db, const char *sql, int n, const char *const *params, char *out,
	size_t outlen)
{
	PGresult *r;
	enum anx_err err;

	if ((err = anx_db_exec(db, sql, n, params, &r)) != ANX_OK)
		return err;
	if (PQntuples(r) < 1 || PQnfields(r) < 1) {
		PQclear(r);
		return ANX_ERR_NOT_FOUND;
	}
	if (snprintf(out, outlen, "%s", PQgetvalue(r, 0, 0)) >= (int)outlen)
		err = ANX_ERR_INTERNAL;
	PQclear(r);
	return err;
}

const char *
anx_db_sqlstate(const struct anx_db *db)
{
	return db->sqlstate;
}

int
anx_db_in_tx(const struct anx_db *db)
{
	return db->in_tx;
}

/* Runs a constant control statement (BEGIN/COMMIT/ROLLBACK). */
static enum anx_err
control(struct anx_db *db, const char *sql)
{
	return anx_db_exec(db, sql, 0, NULL, NULL);
}

enum anx_err
anx_db_tx(struct anx_db *db, anx_db_tx_fn fn, void *ctx)
{
	enum anx_err err = ANX_ERR_INTERNAL;

	if (db->in_tx)
		return fn(db, ctx); /* nested: join the outer transaction */
	for (int attempt = 0; attempt < TX_RETRIES; attempt++) {
		if ((err = control(db, "BEGIN")) != ANX_OK)
			return err;
		db->in_tx = 1;
		err = fn(db, ctx);
		if (err == ANX_OK)
			err = control(db, "COMMIT");
		db->in_tx = 0;
		if (err == ANX_OK)
			return ANX_OK;
		if (db->conn && PQstatus(db->conn) == CONNECTION_OK &&
			PQtransactionStatus(db->conn) != PQTRANS_IDLE) {
			char state[6];

			/* Keep the failure's SQLSTATE, not ROLLBACK's. */
			memcpy(state, db->sqlstate, sizeof(state));
			control(db, "ROLLBACK");
			memcpy(db->sqlstate, state, sizeof(state));
		}
		if (strcmp(db->sqlstate, "40001") != 0 && strcmp(db->sqlstate, "40P01") != 0)
			return err;
		anx_log(ANX_LOG_WARN, "db_tx_retry", LF_STR("sqlstate", db->sqlstate),
			LF_INT("attempt", attempt + 1), ANX_LF_END);
	}
	return err;
}

enum anx_err
anx_db_ping(struct anx_db *db)
{
	return anx_db_exec(db, "SELECT 1", 0, NULL, NULL);
}
