// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * rekam - KTP-el recording station daemon
 *
 * test-store.c - unit tests of the station database (store.c) on real SQLite
 * files in a fresh temporary directory: creating and reopening, the pragmas,
 * meta, the statement cache and transactions, migrations (good, failing,
 * misnumbered), and the files it must refuse without changing a byte: a
 * newer schema, garbage, damaged pages, another program's database, and
 * paths that cannot hold a database.
 */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "daemon/store.h"
#include "tap.h"

#define PAGE_SIZE 4096 /* SQLite's default page size for a new database */
#define NO_VALUE INT64_MIN

static char tmp_dir[] = "/tmp/rekam-test-store-XXXXXX";

/* --- helpers --------------------------------------------------------------- */

/* A path in the test directory (malloc'd). */
static char *tmp_path(const char *name)
{
	char *path;

	if (asprintf(&path, "%s/%s", tmp_dir, name) < 0)
		tap_bail("out of memory");
	return path;
}

static bool exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

/* Run @sql on @path with a plain SQLite connection that never creates the file. */
static bool raw_exec(const char *path, const char *sql)
{
	sqlite3 *db = NULL;
	char *msg = NULL;
	int rc;

	rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(db, sql, NULL, NULL, &msg);
	if (rc != SQLITE_OK)
		tap_diag("  sqlite3 %s: %s: %s", path, sql, msg ? msg : sqlite3_errstr(rc));
	sqlite3_free(msg);
	sqlite3_close(db);
	return rc == SQLITE_OK;
}

/* The first column of the first row of @sql on @path, or NO_VALUE. */
static int64_t raw_int(const char *path, const char *sql)
{
	sqlite3_stmt *stmt = NULL;
	int64_t value = NO_VALUE;
	sqlite3 *db = NULL;
	int rc;

	rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_prepare_v2(db, sql, -1, &stmt, NULL);
	if (rc == SQLITE_OK && sqlite3_step(stmt) == SQLITE_ROW)
		value = sqlite3_column_int64(stmt, 0);
	else
		tap_diag("  sqlite3 %s: %s: %s", path, sql, sqlite3_errmsg(db));
	sqlite3_finalize(stmt);
	sqlite3_close(db);
	return value;
}

/* The first column of the first row of @sql on an open store (malloc'd or NULL). */
static char *store_text(struct rk_store *store, const char *sql)
{
	sqlite3_stmt *stmt = NULL;
	char *text = NULL;

	if (sqlite3_prepare_v2(rk_store_db(store), sql, -1, &stmt, NULL) == SQLITE_OK &&
		sqlite3_step(stmt) == SQLITE_ROW && sqlite3_column_text(stmt, 0))
		text = strdup((const char *)sqlite3_column_text(stmt, 0));
	sqlite3_finalize(stmt);
	return text;
}

static int64_t store_int(struct rk_store *store, const char *sql)
{
	char *text = store_text(store, sql);
	int64_t value = text ? strtoll(text, NULL, 10) : NO_VALUE;

	free(text);
	return value;
}

static void *read_file(const char *path, size_t *len)
{
	struct stat st;
	void *data = NULL;
	int fd;

	*len = 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0)
		tap_bail("cannot read %s: %s", path, strerror(errno));
	data = malloc(st.st_size ? st.st_size : 1);
	if (!data || read(fd, data, st.st_size) != st.st_size)
		tap_bail("cannot read %s", path);
	close(fd);
	*len = st.st_size;
	return data;
}

static void write_at(const char *path, off_t offset, const void *data, size_t len, bool create)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC | (create ? O_CREAT | O_TRUNC : 0), 0600);

	if (fd < 0 || pwrite(fd, data, len, offset) != (ssize_t)len || close(fd) < 0)
		tap_bail("cannot write %s: %s", path, strerror(errno));
}

/* Whether @path still holds exactly @len bytes of @data. */
static bool unchanged(const char *path, const void *data, size_t len)
{
	size_t now_len;
	void *now = read_file(path, &now_len);
	bool same = now_len == len && memcmp(now, data, len) == 0;

	free(now);
	return same;
}

/* Deterministic bytes that are neither zeros nor a SQLite header. */
static void fill_garbage(unsigned char *buf, size_t len, uint32_t seed)
{
	size_t i;

	for (i = 0; i < len; i++) {
		seed = seed * 1103515245u + 12345u;
		buf[i] = (unsigned char)(seed >> 16);
	}
}

static int remove_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	(void)type;
	(void)ftw;
	return remove(path);
}

/* Open @path with the built-in migrations; must succeed. */
static struct rk_store *open_ok(const char *path, bool *created, const char *what)
{
	struct rk_store *store = NULL;
	char *error = NULL;
	int err = rk_store_open(path, &store, created, &error);

	if (!tap_ok(err == 0 && store && !error, "%s: opens", what))
		tap_diag("  err %d: %s", err, error ? error : "(no message)");
	free(error);
	return err == 0 ? store : NULL;
}

/* --- a new database, reopened -------------------------------------------------- */

static void test_new_database(void)
{
	char *path = tmp_path("rekam.db");
	struct rk_store *store;
	bool created = false;
	char *text;

	store = open_ok(path, &created, "new database");
	if (!store)
		tap_bail("cannot go on without a database");
	tap_ok(created, "new database: created is true");
	tap_is_int(rk_store_schema_version(store), rk_store_n_migrations,
		"new database: schema version is the highest migration");
	tap_is_str(rk_store_path(store), path, "new database: rk_store_path");
	text = store_text(store, "PRAGMA journal_mode");
	tap_is_str(text, "wal", "new database: journal_mode is wal");
	free(text);
	tap_is_int(store_int(store, "PRAGMA foreign_keys"), 1, "new database: foreign_keys is on");
	tap_is_int(store_int(store, "PRAGMA synchronous"), 2, "new database: synchronous is FULL");
	tap_is_int(store_int(store, "PRAGMA busy_timeout"), 5000,
		"new database: busy timeout is 5000 ms");
	tap_is_int(store_int(store, "SELECT count(*) FROM sqlite_master "
				    "WHERE type = 'table' AND name = 'meta'"),
		1, "new database: the meta table exists");
	rk_store_close(store);
	rk_store_close(NULL);

	tap_is_int(raw_int(path, "PRAGMA user_version"), rk_store_n_migrations,
		"new database: user_version on disk after close");

	created = true;
	store = open_ok(path, &created, "reopen");
	tap_ok(store && !created, "reopen: created is false");
	tap_is_int(store ? rk_store_schema_version(store) : -1, rk_store_n_migrations,
		"reopen: same schema version");
	rk_store_close(store);
	free(path);
}

/* An existing empty file (SQLite's empty database) is set up, not refused. */
static void test_empty_file(void)
{
	char *path = tmp_path("empty.db");
	struct rk_store *store;
	bool created = true;

	write_at(path, 0, "", 0, true);
	store = open_ok(path, &created, "an empty file");
	tap_ok(store && !created, "an empty file: created is false (the file existed)");
	tap_is_int(store ? rk_store_schema_version(store) : -1, rk_store_n_migrations,
		"an empty file: gets the whole schema");
	rk_store_close(store);
	free(path);
}

/* --- meta ------------------------------------------------------------------ */

static void test_meta(void)
{
	char *path = tmp_path("meta.db");
	struct rk_store *store = open_ok(path, NULL, "meta database");
	char *value = (char *)"untouched";
	int64_t n = 0;

	if (!store) {
		free(path);
		return;
	}
	tap_is_int(rk_store_meta_get(store, "station-id", &value), -ENOENT,
		"meta: an absent key is -ENOENT");
	tap_ok(value == NULL, "meta: ... and *value is NULL");

	tap_is_int(rk_store_meta_set(store, "station-id", "6305-TEST-01"), 0, "meta: set");
	tap_is_int(rk_store_meta_get(store, "station-id", &value), 0, "meta: get");
	tap_is_str(value, "6305-TEST-01", "meta: get returns the value set");
	free(value);

	tap_is_int(rk_store_meta_set(store, "station-id", "6305-TEST-02"), 0, "meta: overwrite");
	rk_store_meta_get(store, "station-id", &value);
	tap_is_str(value, "6305-TEST-02", "meta: get returns the new value");
	free(value);
	tap_is_int(store_int(store, "SELECT count(*) FROM meta WHERE key = 'station-id'"), 1,
		"meta: an overwrite keeps one row");

	tap_is_int(rk_store_meta_set_int(store, "starts", 42), 0, "meta: set_int");
	tap_is_int(rk_store_meta_get_int(store, "starts", &n), 0, "meta: get_int");
	tap_is_int(n, 42, "meta: get_int returns the value set");
	value = NULL;
	rk_store_meta_get(store, "starts", &value);
	tap_is_str(value, "42", "meta: integers are stored as decimal text");
	free(value);
	rk_store_meta_set_int(store, "min", INT64_MIN);
	n = 0;
	tap_ok(rk_store_meta_get_int(store, "min", &n) == 0 && n == INT64_MIN,
		"meta: INT64_MIN round trip");
	rk_store_meta_set_int(store, "max", INT64_MAX);
	n = 0;
	tap_ok(rk_store_meta_get_int(store, "max", &n) == 0 && n == INT64_MAX,
		"meta: INT64_MAX round trip");

	rk_store_meta_set(store, "text", "12abc");
	n = 7;
	tap_is_int(rk_store_meta_get_int(store, "text", &n), -EINVAL,
		"meta: get_int of \"12abc\" is -EINVAL");
	tap_is_int(n, 7, "meta: ... and leaves *value alone");
	rk_store_meta_set(store, "empty", "");
	tap_is_int(rk_store_meta_get_int(store, "empty", &n), -EINVAL,
		"meta: get_int of \"\" is -EINVAL");
	rk_store_meta_set(store, "blank", " 5");
	tap_is_int(rk_store_meta_get_int(store, "blank", &n), -EINVAL,
		"meta: get_int of \" 5\" is -EINVAL");
	rk_store_meta_set(store, "huge", "99999999999999999999");
	tap_is_int(rk_store_meta_get_int(store, "huge", &n), -ERANGE,
		"meta: get_int beyond int64 is -ERANGE");
	tap_is_int(rk_store_meta_get_int(store, "absent", &n), -ENOENT,
		"meta: get_int of an absent key is -ENOENT");
	rk_store_close(store);

	store = open_ok(path, NULL, "meta reopened");
	value = NULL;
	if (store)
		rk_store_meta_get(store, "station-id", &value);
	tap_is_str(value, "6305-TEST-02", "meta: the value survives a reopen");
	free(value);
	rk_store_close(store);
	free(path);
}

/* --- statements and transactions ------------------------------------------ */

static void test_statements(void)
{
	static const char select_keys[] = "SELECT key FROM meta ORDER BY key";
	char *path = tmp_path("stmt.db");
	struct rk_store *store = open_ok(path, NULL, "statement database");
	sqlite3_stmt *a, *b;
	char same_sql[sizeof(select_keys)];

	if (!store) {
		free(path);
		return;
	}
	rk_store_meta_set(store, "a", "1");
	rk_store_meta_set(store, "b", "2");
	rk_store_meta_set(store, "c", "3");

	a = rk_store_prepare(store, select_keys);
	tap_ok(a != NULL, "prepare: returns a statement");
	if (!a)
		tap_bail("cannot go on without statements");
	tap_ok(sqlite3_step(a) == SQLITE_ROW && sqlite3_step(a) == SQLITE_ROW &&
			strcmp((const char *)sqlite3_column_text(a, 0), "b") == 0,
		"prepare: the statement steps (second row is \"b\")");
	memcpy(same_sql, select_keys, sizeof(select_keys)); /* same text, other pointer */
	b = rk_store_prepare(store, same_sql);
	tap_ok(a == b, "prepare: the same SQL returns the cached statement");
	tap_ok(sqlite3_step(b) == SQLITE_ROW &&
			strcmp((const char *)sqlite3_column_text(b, 0), "a") == 0,
		"prepare: it comes back reset (first row again)");
	sqlite3_reset(b);

	a = rk_store_prepare(store, "SELECT ?1");
	sqlite3_bind_int(a, 1, 7);
	tap_ok(sqlite3_step(a) == SQLITE_ROW && sqlite3_column_int(a, 0) == 7,
		"prepare: a bound parameter is used");
	b = rk_store_prepare(store, "SELECT ?1");
	tap_ok(a == b && sqlite3_step(b) == SQLITE_ROW && sqlite3_column_type(b, 0) == SQLITE_NULL,
		"prepare: it comes back with its bindings cleared");
	sqlite3_reset(b);
	tap_ok(rk_store_prepare(store, "SELECT FROM nowhere") == NULL,
		"prepare: invalid SQL gives NULL");
	tap_ok(rk_store_prepare(store, "SELECT 1; SELECT 2") == NULL,
		"prepare: two statements give NULL");

	tap_is_int(rk_store_exec(store, "THIS IS NOT SQL"), -EIO, "exec: invalid SQL is -EIO");
	tap_is_int(rk_store_exec(store, "CREATE TABLE t (x INTEGER NOT NULL) STRICT"), 0,
		"exec: creates a table");

	tap_is_int(rk_store_begin(store), 0, "begin");
	rk_store_exec(store, "INSERT INTO t VALUES (1)");
	tap_is_int(store_int(store, "SELECT count(*) FROM t"), 1, "the write is seen inside");
	tap_is_int(rk_store_begin(store), -EIO, "begin inside a transaction is -EIO");
	tap_is_int(rk_store_rollback(store), 0, "rollback");
	tap_is_int(store_int(store, "SELECT count(*) FROM t"), 0, "rollback discards the write");
	tap_is_int(rk_store_rollback(store), 0, "rollback without a transaction is a no-op");
	tap_is_int(rk_store_commit(store), -EIO, "commit without a transaction is -EIO");

	rk_store_begin(store);
	rk_store_exec(store, "INSERT INTO t VALUES (2)");
	tap_is_int(rk_store_commit(store), 0, "commit");
	tap_is_int(raw_int(path, "SELECT count(*) FROM t WHERE x = 2"), 1,
		"commit keeps the write (seen by another connection)");

	/* another connection holds the write lock: -EBUSY once the wait is over */
	{
		sqlite3 *other = NULL;

		sqlite3_open_v2(path, &other, SQLITE_OPEN_READWRITE, NULL);
		sqlite3_exec(other, "BEGIN IMMEDIATE", NULL, NULL, NULL);
		sqlite3_busy_timeout(rk_store_db(store), 10);
		tap_is_int(rk_store_begin(store), -EBUSY,
			"begin while another writer holds the lock is -EBUSY");
		sqlite3_exec(other, "ROLLBACK", NULL, NULL, NULL);
		sqlite3_close(other);
		sqlite3_busy_timeout(rk_store_db(store), 5000);
	}

	rk_store_exec(store, "CREATE TABLE parent (id INTEGER PRIMARY KEY);"
			     "CREATE TABLE child (parent INTEGER REFERENCES parent (id))");
	tap_is_int(rk_store_exec(store, "INSERT INTO child VALUES (5)"), -EIO,
		"foreign keys are enforced");

	rk_store_close(store);
	free(path);
}

/* --- integrity_check ------------------------------------------------------- */

static void test_integrity_check(void)
{
	char *path = tmp_path("rekam.db");
	struct rk_store *store = open_ok(path, NULL, "integrity_check database");
	char *report = (char *)"untouched";

	if (!store) {
		free(path);
		return;
	}
	tap_is_int(rk_store_integrity_check(store, &report), 0,
		"integrity_check: a good database is 0");
	tap_ok(report == NULL, "integrity_check: ... with no report");
	tap_is_int(rk_store_integrity_check(store, NULL), 0, "integrity_check: report may be NULL");
	rk_store_close(store);
	free(path);
}

/*
 * An index entry that no longer matches its row: structurally sound, so
 * quick_check passes and the database opens, but integrity_check (which
 * compares every index with its table) finds it.
 */
static void test_integrity_check_index(void)
{
	char *path = tmp_path("index.db");
	struct rk_store *store = open_ok(path, NULL, "index database");
	char *report = NULL;
	unsigned char *data, *hit;
	size_t len;
	int err;

	if (!store) {
		free(path);
		return;
	}
	rk_store_exec(store,
		"CREATE TABLE people (id INTEGER PRIMARY KEY, name TEXT NOT NULL, "
		"pad TEXT NOT NULL) STRICT;"
		"CREATE INDEX people_name ON people (name);"
		"WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < 300) "
		"INSERT INTO people SELECT i, printf('name-%06d', i), printf('pad-%06d', i) "
		"FROM c");
	rk_store_close(store);

	/* the table's copy of the name is followed by the pad; the index's is not */
	data = read_file(path, &len);
	hit = memmem(data, len, "name-000123pad-000123", 21);
	tap_ok(hit != NULL, "index database: the row is found in the file");
	if (hit) {
		write_at(path, hit - data + 8, "9", 1, false); /* name-000123 -> name-000923 */
		store = NULL;
		err = rk_store_open(path, &store, NULL, NULL);
		tap_is_int(err, 0, "index database: quick_check passes, it opens");
		if (store) {
			tap_is_int(rk_store_integrity_check(store, &report), -EBADMSG,
				"integrity_check: a row missing from its index is -EBADMSG");
			tap_contains(report, "people_name",
				"integrity_check: the report names the index");
			free(report);
			report = NULL;
			tap_is_int(rk_store_integrity_check(store, NULL), -EBADMSG,
				"integrity_check: -EBADMSG with report NULL too");
			rk_store_close(store);
		}
	}
	free(data);
	free(path);
}

/* --- files that must be refused, untouched ---------------------------------- */

/* Opening @path must fail with @want, a message containing @path and @needle. */
static void refuse(const char *path, int want, const char *needle, const char *what)
{
	struct rk_store *store = (struct rk_store *)&store;
	char *error = NULL;
	int err = rk_store_open(path, &store, NULL, &error);

	if (!tap_is_int(err, want, "%s: refused", what))
		tap_diag("  message: %s", error ? error : "(none)");
	tap_ok(store == NULL, "%s: *out is NULL", what);
	tap_contains(error, path, "%s: the message names the file", what);
	if (needle)
		tap_contains(error, needle, "%s: the message says why", what);
	free(error);
	if (err == 0)
		rk_store_close(store);
}

static void test_newer_schema(void)
{
	char *path = tmp_path("newer.db");
	struct rk_store *store = open_ok(path, NULL, "newer: created");
	unsigned char *data;
	size_t len;

	rk_store_close(store);
	raw_exec(path, "PRAGMA user_version = 999");
	data = read_file(path, &len);

	refuse(path, -EPROTO, "newer rekamd", "newer schema");
	tap_is_int(raw_int(path, "PRAGMA user_version"), 999,
		"newer schema: user_version is still 999");
	tap_ok(unchanged(path, data, len), "newer schema: the file is unchanged");
	store = (struct rk_store *)&store;
	tap_is_int(rk_store_open(path, &store, NULL, NULL), -EPROTO,
		"newer schema: refused with error NULL too (logged)");
	free(data);
	free(path);
}

static void test_garbage(void)
{
	char *path = tmp_path("garbage.db");
	unsigned char data[4096];
	char *wal = tmp_path("garbage.db-wal");

	fill_garbage(data, sizeof(data), 42);
	write_at(path, 0, data, sizeof(data), true);
	refuse(path, -EBADMSG, "not a SQLite database", "garbage");
	tap_ok(unchanged(path, data, sizeof(data)), "garbage: the file is unchanged");
	tap_ok(!exists(wal), "garbage: no WAL file was made next to it");
	free(wal);
	free(path);
}

/* A real database whose b-tree pages are overwritten in the middle. */
static void test_damaged_pages(void)
{
	char *path = tmp_path("damaged.db");
	struct rk_store *store = open_ok(path, NULL, "damaged: created");
	unsigned char garbage[PAGE_SIZE / 2], *data;
	size_t len;
	off_t page, first;

	if (!store) {
		free(path);
		return;
	}
	/* the pages of the schema come first: the table's pages follow them */
	first = (off_t)raw_int(path, "PRAGMA page_count");
	rk_store_exec(store,
		"CREATE TABLE rows (id INTEGER PRIMARY KEY, v TEXT NOT NULL) STRICT;"
		"WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < 400) "
		"INSERT INTO rows SELECT i, printf('value %d of the damaged table', i) FROM c");
	rk_store_close(store);

	data = read_file(path, &len);
	free(data);
	tap_ok(len >= 4 * PAGE_SIZE, "damaged: the database spans several pages (%zu bytes)", len);
	/* the middle half of every page of the table (not the schema's) */
	for (page = first; (size_t)(page + 1) * PAGE_SIZE <= len; page++) {
		fill_garbage(garbage, sizeof(garbage), (uint32_t)page);
		write_at(path, page * PAGE_SIZE + PAGE_SIZE / 4, garbage, sizeof(garbage), false);
	}
	data = read_file(path, &len);
	refuse(path, -EBADMSG, "quick_check", "damaged pages");
	tap_ok(unchanged(path, data, len), "damaged pages: the file is unchanged");
	free(data);
	free(path);
}

static void test_foreign_database(void)
{
	char *path = tmp_path("other.db");
	unsigned char *data;
	sqlite3 *db = NULL;
	size_t len;

	sqlite3_open(path, &db);
	sqlite3_exec(db, "CREATE TABLE accounts (id INTEGER PRIMARY KEY)", NULL, NULL, NULL);
	sqlite3_close(db);
	data = read_file(path, &len);
	refuse(path, -EBADMSG, "not a rekam station database", "another program's database");
	tap_ok(unchanged(path, data, len), "another program's database: the file is unchanged");
	free(data);
	free(path);
}

static void test_paths(void)
{
	char *file = tmp_path("file");
	char *under = tmp_path("file/rekam.db");
	char *dir = tmp_path("dir.db");
	char *dir_wal = tmp_path("dir.db-wal");
	char *missing_dir = tmp_path("missing");
	char *missing = tmp_path("missing/rekam.db");
	struct stat st;

	write_at(file, 0, "x", 1, true);
	refuse(under, -ENOTDIR, NULL, "a path under a regular file");
	tap_ok(stat(file, &st) == 0 && S_ISREG(st.st_mode) && st.st_size == 1,
		"a path under a regular file: the file is left alone");

	if (mkdir(dir, 0700) < 0)
		tap_bail("mkdir %s: %s", dir, strerror(errno));
	refuse(dir, -EISDIR, "directory", "a path that is a directory");
	tap_ok(rmdir(dir) == 0 && !exists(dir_wal),
		"a path that is a directory: it stays empty, nothing made beside it");

	refuse(missing, -ENOENT, NULL, "a path in a missing directory");
	tap_ok(!exists(missing_dir), "a path in a missing directory: the directory is not made");

	free(file);
	free(under);
	free(dir);
	free(dir_wal);
	free(missing_dir);
	free(missing);
}

/* --- migrations ------------------------------------------------------------ */

static const struct rk_migration good[] = {
	{1, "things", "CREATE TABLE things (id INTEGER PRIMARY KEY, name TEXT) STRICT;"},
	{2, "more things",
		"CREATE TABLE more_things (id INTEGER PRIMARY KEY) STRICT;"
		"INSERT INTO things (name) VALUES ('from migration 2');"},
};

static const struct rk_migration broken[] = {
	{1, "things", "CREATE TABLE things (id INTEGER PRIMARY KEY, name TEXT) STRICT;"},
	{2, "broken step",
		"CREATE TABLE half_done (id INTEGER);"
		"INSERT INTO things (name) VALUES ('half');"
		"THIS IS NOT SQL;"},
};

static const struct rk_migration gap[] = {
	{1, "one", "CREATE TABLE one (id INTEGER);"},
	{3, "three", "CREATE TABLE three (id INTEGER);"},
};

static const struct rk_migration from_zero[] = {
	{0, "zero", "CREATE TABLE zero (id INTEGER);"},
};

static const struct rk_migration first_fails[] = {
	{1, "fails at once", "CREATE TABLE x (id INTEGER); NOT SQL;"},
};

static const struct rk_migration dangling[] = {
	{1, "dangling reference",
		"CREATE TABLE p (id INTEGER PRIMARY KEY);"
		"CREATE TABLE c (p INTEGER REFERENCES p (id));"
		"INSERT INTO c VALUES (5);"},
};

static int open_with(const char *path, const struct rk_migration *list, unsigned int n,
	struct rk_store **store, bool *created, char **error)
{
	*store = (struct rk_store *)store;
	return rk_store_open_with(path, list, n, store, created, error);
}

static void test_migrations(void)
{
	char *path = tmp_path("migrations.db");
	char *new_path = tmp_path("never.db");
	struct rk_store *store;
	char *error = NULL;
	bool created = false;
	int err;

	err = open_with(path, broken, 2, &store, &created, &error);
	tap_is_int(err, -EIO, "migrations: a failing migration 2 is -EIO");
	tap_ok(store == NULL, "migrations: ... with *out NULL");
	tap_contains(error, "migration 2 (broken step) failed",
		"migrations: the message names migration 2");
	tap_contains(error, "syntax error", "migrations: ... and gives the SQLite message");
	free(error);
	tap_is_int(raw_int(path, "PRAGMA user_version"), 1,
		"migrations: the database stays at version 1");
	tap_is_int(raw_int(path, "SELECT count(*) FROM sqlite_master WHERE name = 'things'"), 1,
		"migrations: the table of migration 1 exists");
	tap_is_int(raw_int(path, "SELECT count(*) FROM sqlite_master WHERE name = 'half_done'"), 0,
		"migrations: nothing of migration 2 is left (table)");
	tap_is_int(raw_int(path, "SELECT count(*) FROM things"), 0,
		"migrations: nothing of migration 2 is left (row)");

	err = open_with(path, good, 1, &store, &created, &error);
	tap_ok(err == 0 && !created && rk_store_schema_version(store) == 1,
		"migrations: opens at version 1 with a list of one, not created");
	if (err == 0)
		rk_store_close(store);

	err = open_with(path, good, 2, &store, &created, &error);
	tap_is_int(err, 0, "migrations: the fixed migration 2 applies");
	if (err == 0) {
		tap_is_int(rk_store_schema_version(store), 2, "migrations: schema version 2");
		tap_is_int(store_int(store, "SELECT count(*) FROM things"), 1,
			"migrations: migration 2 ran its statements");
		rk_store_close(store);
	}
	tap_is_int(raw_int(path, "PRAGMA user_version"), 2, "migrations: user_version 2 on disk");

	err = open_with(path, good, 1, &store, NULL, &error);
	tap_is_int(err, -EPROTO, "migrations: a list that knows less is -EPROTO");
	tap_contains(error, "schema version 2; this rekamd knows up to 1",
		"migrations: ... saying both versions");
	free(error);

	err = open_with(new_path, gap, 2, &store, NULL, &error);
	tap_is_int(err, -EINVAL, "migrations: a gap in the versions is -EINVAL");
	tap_contains(error, "internal error", "migrations: ... an internal error");
	free(error);
	tap_ok(!exists(new_path), "migrations: ... and no file is made");
	err = open_with(new_path, from_zero, 1, &store, NULL, &error);
	tap_is_int(err, -EINVAL, "migrations: a list starting at 0 is -EINVAL");
	free(error);

	err = open_with(new_path, first_fails, 1, &store, NULL, &error);
	tap_is_int(err, -EIO, "migrations: migration 1 failing on a new file is -EIO");
	free(error);
	tap_ok(!exists(new_path), "migrations: ... and the new file is removed again");

	err = open_with(new_path, dangling, 1, &store, NULL, &error);
	tap_is_int(err, -EIO, "migrations: a migration leaving a dangling reference is -EIO");
	tap_contains(error, "foreign_key_check", "migrations: ... found by foreign_key_check");
	free(error);

	err = open_with(new_path, NULL, 0, &store, &created, &error);
	tap_ok(err == 0 && created && rk_store_schema_version(store) == 0,
		"migrations: an empty list opens a new database at version 0");
	if (err == 0)
		rk_store_close(store);

	free(new_path);
	free(path);
}

int main(void)
{
	if (!mkdtemp(tmp_dir))
		tap_bail("mkdtemp: %s", strerror(errno));

	test_new_database();
	test_empty_file();
	test_meta();
	test_statements();
	test_integrity_check();
	test_integrity_check_index();
	test_newer_schema();
	test_garbage();
	test_damaged_pages();
	test_foreign_database();
	test_paths();
	test_migrations();

	if (nftw(tmp_dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS) < 0)
		tap_diag("cannot remove %s: %s", tmp_dir, strerror(errno));
	return tap_done();
}
