/*
 * migrate.h - numbered SQL migrations from sql/.
 *
 * Files are named NNNN_description.sql and applied in name order. Each is
 * applied once, in its own transaction, and recorded in schema_migrations
 * with its SHA-256; the whole run holds a session advisory lock, so two
 * hosts migrating at once serialise and the second finds nothing to do.
 * An applied file whose checksum changed is an error (edit by adding a new
 * migration instead).
 */
#ifndef ANX_MIGRATE_H
#define ANX_MIGRATE_H

#include "db.h"

/* Applies pending migrations from dir. *applied receives the count. On
 * error returns non-OK and writes a one-line reason into err. */
enum anx_err anx_migrate_run(
	struct anx_db *db, const char *dir, int *applied, char *err, size_t errlen);

#endif
