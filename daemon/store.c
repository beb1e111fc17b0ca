// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * rekam - KTP-el recording station daemon
 *
 * store.c - the station database (see store.h): opening the one SQLite file
 * without ever replacing or writing into a damaged or foreign one, bringing
 * its schema up to date with numbered migrations, a per-store cache of
 * prepared statements, transactions, and the "meta" key/value table.
 *
 * Opening runs in this order, so that a file we refuse is left untouched:
 * stat (did it exist?), sqlite3_open_v2, a read of the schema (is it a
 * database at all?), PRAGMA quick_check, PRAGMA user_version (is it newer
 * than we know, or some other program's database?), a writability check,
 * and only then the first write: journal_mode=WAL, synchronous=FULL, the
 * migrations (with foreign key enforcement off, checked with
 * foreign_key_check before each commit), and finally foreign_keys=ON.
 */
#include <config.h>

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include <sqlite3.h>

#include "daemon/store.h"
#include "daemon/log.h"

#define BUSY_TIMEOUT 5000 /* ms a statement waits for another connection's lock */
#define SHOWN_SQL 60	  /* bytes of a failing statement quoted in the log */

/* At most this many findings of PRAGMA quick_check go into the open error. */
#define QUICK_CHECK_SQL "PRAGMA quick_check(5)"

#define RESTORE_HINT "restore it from a backup or move it away"

struct cached_stmt {
	struct cached_stmt *next;
	char *sql;
	sqlite3_stmt *stmt;
};

struct rk_store {
	sqlite3 *db;
	char *path;
	int version; /* PRAGMA user_version, kept in step by the migrations */
	struct cached_stmt *stmts;
};

/* --- helpers --------------------------------------------------------------- */

/* Hand a formatted message to the caller in *@error, or log it if @error is NULL. */
__attribute__((format(printf, 2, 3))) static void set_error(char **error, const char *fmt, ...)
{
	va_list ap;
	char *text;

	va_start(ap, fmt);
	if (!error) {
		rk_logv(LOG_ERR, fmt, ap);
		va_end(ap);
		return;
	}
	if (vasprintf(&text, fmt, ap) < 0)
		text = NULL;
	va_end(ap);
	free(*error);
	*error = text;
}

/* The errno for a failure to open or read the file. */
static int open_errno(sqlite3 *db, int rc)
{
	int sys = db ? sqlite3_system_errno(db) : 0;

	switch (rc & 0xff) {
	case SQLITE_OK:
		return 0;
	case SQLITE_NOTADB:
	case SQLITE_CORRUPT:
		return -EBADMSG;
	case SQLITE_READONLY:
		return -EROFS;
	case SQLITE_CANTOPEN:
		return sys > 0 ? -sys : -EACCES;
	case SQLITE_PERM:
	case SQLITE_AUTH:
		return -EACCES;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return -EBUSY;
	case SQLITE_NOMEM:
		return -ENOMEM;
	case SQLITE_FULL:
		return -ENOSPC;
	default:
		return -EIO;
	}
}

/* The errno for a statement that failed once the database is open. */
static int run_errno(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return -EBUSY;
	case SQLITE_NOMEM:
		return -ENOMEM;
	default:
		return -EIO;
	}
}

static const char *errmsg(sqlite3 *db, int rc)
{
	return rc == SQLITE_EMPTY ? "no result" : sqlite3_errmsg(db);
}

/*
 * Run @sql and join the first column of every row with @sep into *@text
 * (malloc'd). Returns an SQLite result code (SQLITE_OK; SQLITE_EMPTY when
 * there was no row); sqlite3_errmsg() tells the rest.
 */
static int query_rows(sqlite3 *db, const char *sql, const char *sep, char **text)
{
	sqlite3_stmt *stmt = NULL;
	char *buf = NULL;
	size_t len = 0;
	unsigned int n = 0;
	FILE *f;
	int rc;

	*text = NULL;
	rc = sqlite3_prepare_v2(db, sql, -1, &stmt, NULL);
	if (rc != SQLITE_OK)
		return rc;
	f = open_memstream(&buf, &len);
	if (!f) {
		sqlite3_finalize(stmt);
		return SQLITE_NOMEM;
	}
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		const unsigned char *row = sqlite3_column_text(stmt, 0);

		fprintf(f, "%s%s", n++ ? sep : "", row ? (const char *)row : "");
	}
	/* finalize keeps the error of the last step in the connection */
	sqlite3_finalize(stmt);
	if (fclose(f) != 0) {
		free(buf);
		return SQLITE_NOMEM;
	}
	if (rc != SQLITE_DONE) {
		free(buf);
		return rc;
	}
	if (n == 0) {
		free(buf);
		return SQLITE_EMPTY;
	}
	*text = buf;
	return SQLITE_OK;
}

/* Run @sql and return the first column of its first row as an integer. */
static int query_int(sqlite3 *db, const char *sql, int64_t *value)
{
	sqlite3_stmt *stmt = NULL;
	int rc;

	rc = sqlite3_prepare_v2(db, sql, -1, &stmt, NULL);
	if (rc != SQLITE_OK)
		return rc;
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW) {
		*value = sqlite3_column_int64(stmt, 0);
		rc = SQLITE_OK;
	} else if (rc == SQLITE_DONE) {
		rc = SQLITE_EMPTY;
	}
	sqlite3_finalize(stmt);
	return rc;
}

/*
 * The findings of quick_check for a one-line message (malloc'd): SQLite puts
 * several into one row separated by newlines, after a "*** in database main
 * ***" line that says nothing here.
 */
static char *one_line(const char *findings)
{
	static const char header[] = "*** in database main ***\n";
	const char *p;
	char *text, *q;

	if (strncmp(findings, header, sizeof(header) - 1) == 0)
		findings += sizeof(header) - 1;
	text = malloc(2 * strlen(findings) + 1);
	if (!text)
		return NULL;
	for (p = findings, q = text; *p; p++) {
		if (*p == '\n') {
			*q++ = ';';
			*q++ = ' ';
		} else {
			*q++ = *p;
		}
	}
	*q = '\0';
	return text;
}

/* Reset a cached statement after use: releases its read lock and bound text. */
static void finish(sqlite3_stmt *stmt)
{
	sqlite3_reset(stmt);
	sqlite3_clear_bindings(stmt);
}

static void free_store(struct rk_store *store)
{
	struct cached_stmt *c;
	int rc;

	if (!store)
		return;
	while ((c = store->stmts)) {
		store->stmts = c->next;
		sqlite3_finalize(c->stmt);
		free(c->sql);
		free(c);
	}
	if (store->db) {
		rc = sqlite3_close(store->db);
		if (rc != SQLITE_OK) {
			/* a statement prepared outside the cache was not finalized */
			rk_error("cannot close database %s: %s", store->path,
				sqlite3_errmsg(store->db));
			sqlite3_close_v2(store->db); /* closes once the last one goes */
		}
	}
	free(store->path);
	free(store);
}

/* Remove a database file we created ourselves and then failed to set up. */
static void remove_new_files(const char *path)
{
	static const char *const suffixes[] = {"", "-wal", "-shm", "-journal"};
	unsigned int i;
	char *name;

	for (i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
		if (asprintf(&name, "%s%s", path, suffixes[i]) < 0)
			continue;
		if (unlink(name) < 0 && errno != ENOENT)
			rk_warn("cannot remove %s: %s", name, strerror(errno));
		free(name);
	}
}

/* --- opening --------------------------------------------------------------- */

static int check_migrations(const struct rk_migration *migrations, unsigned int n, char **error)
{
	unsigned int i;

	if ((n > 0 && !migrations) || n > INT_MAX) {
		set_error(error, "internal error: invalid migration list");
		return -EINVAL;
	}
	for (i = 0; i < n; i++) {
		const struct rk_migration *m = &migrations[i];

		if (m->version != (int)i + 1) {
			set_error(error,
				"internal error: migration list is not numbered 1..%u (entry %u "
				"has version %d)",
				n, i + 1, m->version);
			return -EINVAL;
		}
		if (!m->sql || !m->description) {
			set_error(error, "internal error: migration %d has no %s", m->version,
				m->sql ? "description" : "SQL");
			return -EINVAL;
		}
	}
	return 0;
}

/* Whether @path exists (*@is_new), refusing what can never hold a database. */
static int check_path(const char *path, bool *is_new, char **error)
{
	struct stat st;
	int err;

	if (stat(path, &st) == 0) {
		if (S_ISDIR(st.st_mode)) {
			set_error(
				error, "cannot open station database %s: it is a directory", path);
			return -EISDIR;
		}
		*is_new = false;
		return 0;
	}
	err = -errno;
	if (err == -ENOENT) {
		/* sqlite3_open_v2 tells us below if the directory is missing too */
		*is_new = true;
		return 0;
	}
	set_error(error, "cannot open station database %s: %s", path, strerror(-err));
	return err;
}

/* The file could not be read: not a database, corrupt, or an I/O error. */
static int read_failed(struct rk_store *store, int rc, char **error)
{
	int err = open_errno(store->db, rc);

	if (err == -EBADMSG)
		set_error(error,
			"%s is not a SQLite database or is corrupt (%s); refusing to replace it "
			"- " RESTORE_HINT,
			store->path, errmsg(store->db, rc));
	else
		set_error(error, "cannot read station database %s: %s", store->path,
			errmsg(store->db, rc));
	return err;
}

/* Open the file and make sure it is a healthy database this rekamd can use. */
static int open_db(struct rk_store *store, unsigned int n_migrations, bool is_new, char **error)
{
	const char *path = store->path;
	int64_t n_objects, version;
	char *text = NULL;
	int rc, err;

	rc = sqlite3_open_v2(path, &store->db,
		SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		if (!store->db) {
			set_error(error, "cannot open station database %s: out of memory", path);
			return -ENOMEM;
		}
		err = open_errno(store->db, rc);
		if ((rc & 0xff) == SQLITE_CANTOPEN && sqlite3_system_errno(store->db) <= 0)
			set_error(error, "cannot open station database %s: %s", path,
				sqlite3_errmsg(store->db));
		else
			set_error(
				error, "cannot open station database %s: %s", path, strerror(-err));
		return err;
	}
	sqlite3_busy_timeout(store->db, BUSY_TIMEOUT);

	/* Reading the schema reads the header: SQLITE_NOTADB if it is no database. */
	rc = query_int(store->db, "SELECT count(*) FROM sqlite_master", &n_objects);
	if (rc != SQLITE_OK)
		return read_failed(store, rc, error);

	rc = query_rows(store->db, QUICK_CHECK_SQL, "; ", &text);
	if (rc != SQLITE_OK)
		return read_failed(store, rc, error);
	if (strcmp(text, "ok") != 0) {
		char *findings = one_line(text);

		set_error(error,
			"%s is corrupt (quick_check: %s); refusing to use or replace it "
			"- " RESTORE_HINT,
			path, findings ? findings : text);
		free(findings);
		free(text);
		return -EBADMSG;
	}
	free(text);

	rc = query_int(store->db, "PRAGMA user_version", &version);
	if (rc != SQLITE_OK)
		return read_failed(store, rc, error);
	if (version > (int64_t)n_migrations) {
		set_error(error,
			"database %s was written by a newer rekamd (schema version %" PRId64
			"; this rekamd knows up to %u); refusing to start - install the newer "
			"rekamd again or restore a backup",
			path, version, n_migrations);
		return -EPROTO;
	}
	if (version < 0) {
		set_error(error, "%s has an invalid schema version %" PRId64 "; " RESTORE_HINT,
			path, version);
		return -EBADMSG;
	}
	if (version == 0 && n_objects > 0) {
		/* our migrations set user_version in the transaction that creates tables */
		set_error(error,
			"%s is a SQLite database but not a rekam station database (schema version "
			"0 with %" PRId64 " schema objects); refusing to change it - " RESTORE_HINT,
			path, n_objects);
		return -EBADMSG;
	}
	if (version == 0 && !is_new)
		rk_warn("station database %s exists but is empty; setting it up as a new one",
			path);
	store->version = (int)version;

	/* Without write access SQLite silently opens the file read-only. */
	if (sqlite3_db_readonly(store->db, "main") == 1) {
		err = access(path, W_OK) < 0 ? -errno : -EROFS;
		set_error(error, "cannot open station database %s for writing: %s", path,
			strerror(-err));
		return err;
	}

	rc = query_rows(store->db, "PRAGMA journal_mode = WAL", "", &text);
	if (rc != SQLITE_OK) {
		err = open_errno(store->db, rc);
		set_error(error, "cannot switch station database %s to WAL mode: %s", path,
			errmsg(store->db, rc));
		return err;
	}
	if (strcmp(text, "wal") != 0) {
		set_error(error,
			"cannot switch station database %s to WAL mode (it stays in \"%s\" mode); "
			"its file system must be writable and support shared memory",
			path, text);
		free(text);
		return -EIO;
	}
	free(text);

	rc = sqlite3_exec(store->db, "PRAGMA synchronous = FULL; PRAGMA foreign_keys = OFF", NULL,
		NULL, NULL);
	if (rc != SQLITE_OK) {
		set_error(error, "cannot set up station database %s: %s", path,
			sqlite3_errmsg(store->db));
		return run_errno(rc);
	}
	return 0;
}

/* Inside a migration's transaction: SQLITE_CONSTRAINT if a reference dangles. */
static int check_foreign_keys(sqlite3 *db, char **msg)
{
	sqlite3_stmt *stmt = NULL;
	int rc;

	rc = sqlite3_prepare_v2(db, "PRAGMA foreign_key_check", -1, &stmt, NULL);
	if (rc != SQLITE_OK)
		return rc;
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW) {
		*msg = sqlite3_mprintf("foreign_key_check: row %lld of table %s refers to a "
				       "missing row of table %s",
			sqlite3_column_int64(stmt, 1), sqlite3_column_text(stmt, 0),
			sqlite3_column_text(stmt, 2));
		rc = SQLITE_CONSTRAINT;
	} else if (rc == SQLITE_DONE) {
		rc = SQLITE_OK;
	}
	sqlite3_finalize(stmt);
	return rc;
}

/* One migration in one transaction; on failure the database keeps its version. */
static int apply_migration(struct rk_store *store, const struct rk_migration *m, char **error)
{
	sqlite3 *db = store->db;
	char set_version[64];
	char *msg = NULL;
	int rc;

	snprintf(set_version, sizeof(set_version), "PRAGMA user_version = %d", m->version);
	rc = sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, &msg);
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(db, m->sql, NULL, NULL, &msg);
	if (rc == SQLITE_OK)
		rc = check_foreign_keys(db, &msg);
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(db, set_version, NULL, NULL, &msg);
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(db, "COMMIT", NULL, NULL, &msg);
	if (rc == SQLITE_OK)
		return 0;

	set_error(error, "migration %d (%s) failed: %s (database %s stays at schema version %d)",
		m->version, m->description, msg ? msg : sqlite3_errmsg(db), store->path,
		store->version);
	sqlite3_free(msg);
	if (!sqlite3_get_autocommit(db))
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	return -EIO;
}

static int migrate(struct rk_store *store, const struct rk_migration *migrations,
	unsigned int n_migrations, unsigned int *applied, char **error)
{
	unsigned int i;
	int err;

	for (i = (unsigned int)store->version; i < n_migrations; i++) {
		const struct rk_migration *m = &migrations[i];

		err = apply_migration(store, m, error);
		if (err < 0)
			return err;
		store->version = m->version;
		(*applied)++;
		rk_info("database %s: applied migration %d (%s)", store->path, m->version,
			m->description);
	}
	return 0;
}

static int enable_foreign_keys(struct rk_store *store, char **error)
{
	int64_t on = 0;
	int rc;

	rc = sqlite3_exec(store->db, "PRAGMA foreign_keys = ON", NULL, NULL, NULL);
	if (rc == SQLITE_OK)
		rc = query_int(store->db, "PRAGMA foreign_keys", &on);
	if (rc == SQLITE_OK && on != 1) {
		set_error(error, "cannot use %s: this SQLite does not enforce foreign keys",
			store->path);
		return -EIO;
	}
	if (rc != SQLITE_OK) {
		set_error(error, "cannot turn on foreign keys in %s: %s", store->path,
			errmsg(store->db, rc));
		return run_errno(rc);
	}
	return 0;
}

int rk_store_open_with(const char *path, const struct rk_migration *migrations,
	unsigned int n_migrations, struct rk_store **out, bool *created, char **error)
{
	struct rk_store *store;
	unsigned int applied = 0;
	bool is_new = false;
	int err;

	if (error)
		*error = NULL;
	if (created)
		*created = false;
	if (!out || !path || !*path) {
		set_error(error, "internal error: no database path");
		return -EINVAL;
	}
	*out = NULL;

	err = check_migrations(migrations, n_migrations, error);
	if (err < 0)
		return err;
	err = check_path(path, &is_new, error);
	if (err < 0)
		return err;

	store = calloc(1, sizeof(*store));
	if (!store || !(store->path = strdup(path))) {
		free(store);
		set_error(error, "cannot open station database %s: out of memory", path);
		return -ENOMEM;
	}

	err = open_db(store, n_migrations, is_new, error);
	if (err == 0)
		err = migrate(store, migrations, n_migrations, &applied, error);
	if (err == 0)
		err = enable_foreign_keys(store, error);
	if (err < 0) {
		free_store(store);
		/* never leave an empty database behind that a later start would accept */
		if (is_new && applied == 0)
			remove_new_files(path);
		return err;
	}

	if (created)
		*created = is_new;
	*out = store;
	return 0;
}

int rk_store_open(const char *path, struct rk_store **out, bool *created, char **error)
{
	return rk_store_open_with(
		path, rk_store_migrations, rk_store_n_migrations, out, created, error);
}

void rk_store_close(struct rk_store *store)
{
	free_store(store);
}

sqlite3 *rk_store_db(struct rk_store *store)
{
	return store->db;
}

const char *rk_store_path(struct rk_store *store)
{
	return store->path;
}

int rk_store_schema_version(struct rk_store *store)
{
	return store->version;
}

/* --- statements and transactions ------------------------------------------ */

sqlite3_stmt *rk_store_prepare(struct rk_store *store, const char *sql)
{
	struct cached_stmt *c;
	sqlite3_stmt *stmt = NULL;
	const char *tail = NULL;
	int rc;

	for (c = store->stmts; c; c = c->next) {
		if (strcmp(c->sql, sql) == 0) {
			finish(c->stmt);
			return c->stmt;
		}
	}

	rc = sqlite3_prepare_v3(store->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt, &tail);
	if (rc != SQLITE_OK) {
		rk_error("database %s: cannot prepare \"%.*s\": %s", store->path, SHOWN_SQL, sql,
			sqlite3_errmsg(store->db));
		return NULL;
	}
	if (!stmt) {
		rk_error("database %s: no statement in \"%.*s\"", store->path, SHOWN_SQL, sql);
		return NULL;
	}
	if (tail && tail[strspn(tail, " \t\r\n;")] != '\0') {
		rk_error("database %s: more than one statement in \"%.*s\"", store->path, SHOWN_SQL,
			sql);
		sqlite3_finalize(stmt);
		return NULL;
	}

	c = calloc(1, sizeof(*c));
	if (!c || !(c->sql = strdup(sql))) {
		rk_error("database %s: out of memory", store->path);
		free(c);
		sqlite3_finalize(stmt);
		return NULL;
	}
	c->stmt = stmt;
	c->next = store->stmts;
	store->stmts = c;
	return stmt;
}

int rk_store_exec(struct rk_store *store, const char *sql)
{
	char *msg = NULL;
	int rc;

	rc = sqlite3_exec(store->db, sql, NULL, NULL, &msg);
	if (rc == SQLITE_OK)
		return 0;
	rk_error("database %s: \"%.*s\" failed: %s", store->path, SHOWN_SQL, sql,
		msg ? msg : sqlite3_errstr(rc));
	sqlite3_free(msg);
	return run_errno(rc) == -EBUSY ? -EBUSY : -EIO;
}

int rk_store_begin(struct rk_store *store)
{
	return rk_store_exec(store, "BEGIN IMMEDIATE");
}

int rk_store_commit(struct rk_store *store)
{
	return rk_store_exec(store, "COMMIT");
}

/*
 * A no-op returning 0 when no transaction is open: SQLite itself rolls back
 * after some errors (SQLITE_FULL, SQLITE_IOERR, SQLITE_BUSY, SQLITE_NOMEM),
 * and a caller's cleanup path should not fail because of that.
 */
int rk_store_rollback(struct rk_store *store)
{
	if (sqlite3_get_autocommit(store->db))
		return 0;
	return rk_store_exec(store, "ROLLBACK");
}

/* --- meta ------------------------------------------------------------------ */

static int step_failed(struct rk_store *store, int rc, const char *what, const char *key)
{
	rk_error("database %s: cannot %s meta key \"%s\": %s", store->path, what, key,
		sqlite3_errmsg(store->db));
	return run_errno(rc);
}

/* *@value is malloc'd on success and NULL otherwise. */
int rk_store_meta_get(struct rk_store *store, const char *key, char **value)
{
	sqlite3_stmt *stmt;
	int rc, err;

	*value = NULL;
	stmt = rk_store_prepare(store, "SELECT value FROM meta WHERE key = ?");
	if (!stmt)
		return -EIO;
	rc = sqlite3_bind_text(stmt, 1, key, -1, SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW) {
		const unsigned char *text = sqlite3_column_text(stmt, 0);

		*value = text ? strdup((const char *)text) : NULL;
		err = *value ? 0 : -ENOMEM;
	} else if (rc == SQLITE_DONE) {
		err = -ENOENT;
	} else {
		err = step_failed(store, rc, "read", key);
	}
	finish(stmt);
	return err;
}

int rk_store_meta_set(struct rk_store *store, const char *key, const char *value)
{
	sqlite3_stmt *stmt;
	int rc, err = 0;

	if (!key || !value)
		return -EINVAL;
	stmt = rk_store_prepare(store, "INSERT INTO meta (key, value) VALUES (?, ?) "
				       "ON CONFLICT (key) DO UPDATE SET value = excluded.value");
	if (!stmt)
		return -EIO;
	rc = sqlite3_bind_text(stmt, 1, key, -1, SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_text(stmt, 2, value, -1, SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(stmt);
	if (rc != SQLITE_DONE)
		err = step_failed(store, rc, "write", key);
	finish(stmt);
	return err;
}

/* Decimal only: an optional '-' and digits, nothing else (no blanks, no '+'). */
static int parse_int64(const char *text, int64_t *value)
{
	const char *digits = text[0] == '-' ? text + 1 : text;
	long long v;
	char *end;

	if (*digits < '0' || *digits > '9')
		return -EINVAL;
	errno = 0;
	v = strtoll(text, &end, 10);
	if (*end != '\0')
		return -EINVAL;
	if (errno == ERANGE)
		return -ERANGE;
	*value = v;
	return 0;
}

/* -ENOENT if unset, -EINVAL if the text is no integer, -ERANGE if it overflows int64_t. */
int rk_store_meta_get_int(struct rk_store *store, const char *key, int64_t *value)
{
	char *text;
	int err;

	err = rk_store_meta_get(store, key, &text);
	if (err < 0)
		return err;
	err = parse_int64(text, value);
	if (err < 0)
		rk_warn("database %s: meta key \"%s\" is not an integer: \"%s\"", store->path, key,
			text);
	free(text);
	return err;
}

int rk_store_meta_set_int(struct rk_store *store, const char *key, int64_t value)
{
	char text[24];

	snprintf(text, sizeof(text), "%" PRId64, value);
	return rk_store_meta_set(store, key, text);
}

/* --- integrity ------------------------------------------------------------- */

/*
 * *@report (if @report is not NULL) is NULL when the check answers "ok";
 * otherwise a malloc'd text: the findings, one per line (-EBADMSG), or the
 * SQLite message when the check itself could not run (-EBADMSG for a corrupt
 * file, -EIO/-EBUSY/-ENOMEM otherwise). It can be NULL when out of memory.
 * PRAGMA integrity_check reads the whole file: it takes a while on a big
 * database and blocks the caller meanwhile.
 */
int rk_store_integrity_check(struct rk_store *store, char **report)
{
	char *text = NULL;
	int rc, err;

	if (report)
		*report = NULL;
	rc = query_rows(store->db, "PRAGMA integrity_check", "\n", &text);
	if (rc != SQLITE_OK) {
		err = open_errno(store->db, rc) == -EBADMSG ? -EBADMSG : run_errno(rc);
		rk_error("database %s: integrity_check failed: %s", store->path,
			errmsg(store->db, rc));
		if (report)
			*report = strdup(errmsg(store->db, rc));
		return err;
	}
	if (strcmp(text, "ok") == 0) {
		free(text);
		return 0;
	}
	rk_warn("database %s fails integrity_check", store->path);
	if (report)
		*report = text;
	else
		free(text);
	return -EBADMSG;
}
