/*
 * migrate.c - apply sql/NNNN_*.sql once each under an advisory lock; see
 * migrate.h.
 *
 * Migration files are trusted repository content and may hold several
 * statements, so they run through PQexec; every statement built here with
 * a value uses parameters.
 */
#include "migrate.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "crypto.h"
#include "log.h"

#define MIGRATE_LOCK_KEY "7268010101" /* arbitrary, fixed for this project */
#define MAX_FILES        1000
#define MAX_FILE_SIZE    (4 * 1024 * 1024)

static const char SQL_CREATE[] = "CREATE TABLE IF NOT EXISTS schema_migrations ("
				 " version text PRIMARY KEY,"
				 " checksum text NOT NULL,"
				 " applied_at timestamptz NOT NULL DEFAULT now())";
static const char SQL_LOCK[] = "SELECT pg_advisory_lock($1::bigint)";
static const char SQL_UNLOCK[] = "SELECT pg_advisory_unlock($1::bigint)";
static const char SQL_GET[] = "SELECT checksum FROM schema_migrations WHERE version = $1";
static const char SQL_RECORD[] =
	"INSERT INTO schema_migrations (version, checksum) VALUES ($1, $2)";

static int
cmpstr(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* A migration file name: four or more digits, '_', name, ".sql". */
static int
is_migration(const char *name)
{
	size_t n = strlen(name), i = 0;

	while (name[i] >= '0' && name[i] <= '9')
		i++;
	return i >= 4 && name[i] == '_' && n > i + 5 && strcmp(name + n - 4, ".sql") == 0;
}

static char *
read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	struct stat st;
	char *buf = NULL;

	if (f == NULL)
		return NULL;
	if (fstat(fileno(f), &st) != 0 || st.st_size > MAX_FILE_SIZE)
		goto out;
	if ((buf = malloc((size_t)st.st_size + 1)) == NULL)
		goto out;
	if (fread(buf, 1, (size_t)st.st_size, f) != (size_t)st.st_size) {
		free(buf);
		buf = NULL;
		goto out;
	}
	buf[st.st_size] = '\0';
	*len = (size_t)st.st_size;
out:
	fclose(f);
	return buf;
}

/* Runs trusted multi-statement SQL. */
static int
exec_script(PGconn *conn, const char *sql, char *err, size_t errlen)
{
	PGresult *r = PQexec(conn, sql);
	ExecStatusType st = PQresultStatus(r);
	int ok = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK || st == PGRES_EMPTY_QUERY;

	if (!ok)
		snprintf(err, errlen, "%s", PQresultErrorMessage(r));
	PQclear(r);
	return ok ? 0 : -1;
}

/* Applies one file if it is new; *did is set to 1 when applied. */
static enum anx_err
apply_one(struct anx_db *db, const char *dir, const char *name, int *did, char *err, size_t errlen)
{
	char path[4096], sum[ANX_SHA256_HEX_LEN + 1], have[ANX_SHA256_HEX_LEN + 1];
	const char *params[2];
	char *sql = NULL, *nl;
	size_t len = 0;
	enum anx_err rc;

	*did = 0;
	if (snprintf(path, sizeof(path), "%s/%s", dir, name) >= (int)sizeof(path)) {
		snprintf(err, errlen, "path too long: %s", name);
		return ANX_ERR_INVALID;
	}
	if ((sql = read_file(path, &len)) == NULL) {
		snprintf(err, errlen, "cannot read %s", path);
		return ANX_ERR_INVALID;
	}
	anx_sha256_hex(sql, len, sum);
	if ((rc = anx_db_exec(db, "BEGIN", 0, NULL, NULL)) != ANX_OK) {
		snprintf(err, errlen, "BEGIN failed for %s", name);
		goto out;
	}
	params[0] = name;
	rc = anx_db_value(db, SQL_GET, 1, params, have, sizeof(have));
	if (rc == ANX_OK) {
		anx_db_exec(db, "ROLLBACK", 0, NULL, NULL);
		if (strcmp(have, sum) != 0) {
			snprintf(err, errlen,
				"%s was changed after it was applied (checksum %s, recorded %s); "
				"add a new migration instead",
				name, sum, have);
			rc = ANX_ERR_CONFLICT;
		}
		goto out;
	}
	if (rc != ANX_ERR_NOT_FOUND) {
		snprintf(err, errlen, "cannot read schema_migrations");
		goto rollback;
	}
	if (exec_script(anx_db_conn(db), sql, err, errlen) != 0) {
		if ((nl = strchr(err, '\n')) != NULL)
			*nl = '\0';
		/* Prefix the file name to the server's message. */
		{
			char msg[512];
			snprintf(msg, sizeof(msg), "%s: %s", name, err);
			snprintf(err, errlen, "%s", msg);
		}
		rc = ANX_ERR_INTERNAL;
		goto rollback;
	}
	params[1] = sum;
	if ((rc = anx_db_exec(db, SQL_RECORD, 2, params, NULL)) != ANX_OK ||
		(rc = anx_db_exec(db, "COMMIT", 0, NULL, NULL)) != ANX_OK) {
		snprintf(err, errlen, "%s: could not record the migration", name);
		goto rollback;
	}
	*did = 1;
	anx_log(ANX_LOG_INFO, "migration_applied", LF_STR("version", name), ANX_LF_END);
	goto out;
rollback:
	anx_db_exec(db, "ROLLBACK", 0, NULL, NULL);
out:
	free(sql);
	return rc;
}

enum anx_err
anx_migrate_run(struct anx_db *db, const char *dir, int *applied, char *err, size_t errlen)
{
	const char *lockp[1] = { MIGRATE_LOCK_KEY };
	char *names[MAX_FILES];
	size_t nnames = 0;
	struct dirent *e;
	enum anx_err rc;
	DIR *d;
	int did;

	*applied = 0;
	err[0] = '\0';
	if ((d = opendir(dir)) == NULL) {
		snprintf(err, errlen, "cannot open migrations directory %s", dir);
		return ANX_ERR_INVALID;
	}
	while ((e = readdir(d)) != NULL) {
		if (!is_migration(e->d_name))
			continue;
		if (nnames == MAX_FILES || (names[nnames] = strdup(e->d_name)) == NULL) {
			closedir(d);
			snprintf(err, errlen, "too many migrations or out of memory");
			rc = ANX_ERR_INTERNAL;
			goto out;
		}
		nnames++;
	}
	closedir(d);
	qsort(names, nnames, sizeof(names[0]), cmpstr);

	if ((rc = anx_db_ensure(db)) != ANX_OK) {
		snprintf(err, errlen, "cannot connect to the database");
		goto out;
	}
	if ((rc = anx_db_exec(db, SQL_LOCK, 1, lockp, NULL)) != ANX_OK) {
		snprintf(err, errlen, "cannot take the migration lock");
		goto out;
	}
	if ((rc = anx_db_exec(db, SQL_CREATE, 0, NULL, NULL)) != ANX_OK) {
		snprintf(err, errlen, "cannot create schema_migrations");
		goto unlock;
	}
	for (size_t i = 0; i < nnames; i++) {
		if ((rc = apply_one(db, dir, names[i], &did, err, errlen)) != ANX_OK)
			goto unlock;
		*applied += did;
	}
unlock:
	anx_db_exec(db, SQL_UNLOCK, 1, lockp, NULL);
out:
	for (size_t i = 0; i < nnames; i++)
		free(names[i]);
	return rc;
}
