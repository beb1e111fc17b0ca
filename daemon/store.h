/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * rekam - KTP-el recording station daemon
 *
 * store.h - the station database: one SQLite file in the state directory,
 * opened in WAL mode with foreign keys on, schema versioned by numbered
 * migrations (PRAGMA user_version), and small helpers around prepared
 * statements and transactions. All durable state of rekamd lives here.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sqlite3.h>

struct rk_store;

/* One schema step. Versions start at 1 and increase by one. */
struct rk_migration {
	int version;
	const char *description;
	const char *sql; /* one or more statements, run in one transaction */
};

/* The migrations compiled into this rekamd (store-migrations.c). */
extern const struct rk_migration rk_store_migrations[];
extern const unsigned int rk_store_n_migrations;

/*
 * Open (creating if absent) the database at @path and bring its schema up to
 * date. Returns 0, or a negative errno with a readable *@error (free() it):
 *   -EACCES / -EROFS / -ENOENT / -ENOTDIR / -EISDIR  cannot open or write the file
 *   -EBADMSG   the file is not a database, or fails PRAGMA quick_check
 *   -EPROTO    the schema is newer than this rekamd knows (downgrade)
 *   -EIO       a migration failed (the database is left at the old version)
 * A corrupt or unreadable file is never replaced by a new database.
 * *@created is set to true when the file did not exist before (may be NULL).
 */
int rk_store_open(const char *path, struct rk_store **out, bool *created, char **error);

/* The same, with an explicit migration list (unit tests). */
int rk_store_open_with(const char *path, const struct rk_migration *migrations,
		unsigned int n_migrations, struct rk_store **out, bool *created, char **error);

void rk_store_close(struct rk_store *store);

sqlite3 *rk_store_db(struct rk_store *store);
const char *rk_store_path(struct rk_store *store);
int rk_store_schema_version(struct rk_store *store);

/*
 * A prepared statement for @sql, cached per store (keyed by the SQL text) and
 * reset with its bindings cleared before it is returned. Do not finalize it.
 * NULL on error (logged).
 */
sqlite3_stmt *rk_store_prepare(struct rk_store *store, const char *sql);

/* Run statements without results. 0 or -EIO (logged with the SQLite message). */
int rk_store_exec(struct rk_store *store, const char *sql);

/* BEGIN IMMEDIATE / COMMIT / ROLLBACK. 0 or -EIO (-EBUSY when locked). */
int rk_store_begin(struct rk_store *store);
int rk_store_commit(struct rk_store *store);
int rk_store_rollback(struct rk_store *store);

/* The key/value table "meta" (station id, first start, start count, ...). */
int rk_store_meta_get(struct rk_store *store, const char *key, char **value); /* -ENOENT if unset */
int rk_store_meta_set(struct rk_store *store, const char *key, const char *value);
int rk_store_meta_get_int(struct rk_store *store, const char *key, int64_t *value);
int rk_store_meta_set_int(struct rk_store *store, const char *key, int64_t value);

/* PRAGMA integrity_check: 0 when "ok"; -EBADMSG with the findings in *report. */
int rk_store_integrity_check(struct rk_store *store, char **report);
