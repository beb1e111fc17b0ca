// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * rekam - KTP-el recording station daemon
 *
 * artifact.c - captured data kept as one file per artifact plus a row in the
 * artifacts table (see artifact.h). The files hold the bytes sealed by the
 * vault (vault.h: AES-256-GCM under a data key of their own, wrapped by the
 * station key): no plaintext of an artifact ever reaches the disk.
 *
 * Writing an artifact, in this order, so that a crash at any instant leaves
 * either nothing usable-looking or a complete, checked artifact:
 *   1. <dir>/.tmp-<handle> created with O_EXCL|O_NOFOLLOW, mode 0600, the
 *      sealed bytes written, fsync'ed, closed;
 *   2. renamed to <dir>/<handle> (never over an existing file), and the
 *      directory fsync'ed;
 *   3. the row inserted (autocommit, or the caller's transaction). If that
 *      fails the file is removed again.
 * A crash before 3 leaves a .tmp- file (removed by rk_artifact_cleanup()) or
 * a file without a row, which no handle ever reaches. Reading opens the
 * seal (which fails for an altered, cut or renamed file) and checks the size
 * and the SHA-256 stored in the row, so a damaged file is never handed out
 * as good data. Deleting removes the row first, then the file.
 *
 * An artifact taken for an enrollment is sealed under that enrollment's
 * data key (vault.h, RKV2): one random key per enrollment, stored only
 * wrapped by the station key in enrollment_keys, its id in the artifact's
 * key_id. Destroying it (rk_artifact_key_destroy()) makes every one of its
 * artifacts unreadable, including any copy of a file that survives; the
 * row stays with wrapped NULL, so a destroyed key is never made anew and
 * the artifacts of that enrollment can never again be sealed. Artifacts
 * without an enrollment (a client's Capture) and every artifact written
 * before keys per enrollment existed keep their own key (RKV1).
 *
 * Handles are 128 random bits as 32 lowercase hex digits; anything else is
 * refused before it gets near a path, so a handle cannot name a file
 * outside @dir.
 */
#include <config.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/rand.h>
#include <sqlite3.h>

#include "daemon/artifact.h"
#include "daemon/log.h"
#include "daemon/store.h"
#include "daemon/vault.h"

#define MAX_KIND 48
#define MAX_FORMAT 64
#define MAX_DEVICE 255
#define HANDLE_BYTES (RK_ARTIFACT_HANDLE_LEN / 2)
#define TMP_PREFIX ".tmp-"

#define INSERT_SQL                                                                                 \
	"INSERT INTO artifacts (handle, kind, format, device, width, height, dpi, quality, "       \
	"size, sha256, created, key_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, "   \
	"?12)"
#define SELECT_SQL                                                                                 \
	"SELECT a.kind, a.format, a.device, a.width, a.height, a.dpi, a.quality, a.size, "         \
	"a.sha256, a.created, a.key_id, k.wrapped FROM artifacts a "                               \
	"LEFT JOIN enrollment_keys k ON k.enrollment = a.key_id WHERE a.handle = ?1"
#define KEY_SELECT_SQL "SELECT wrapped FROM enrollment_keys WHERE enrollment = ?1"
#define KEY_INSERT_SQL                                                                             \
	"INSERT INTO enrollment_keys (enrollment, wrapped, created) VALUES (?1, ?2, ?3)"
#define KEY_DESTROY_SQL                                                                            \
	"UPDATE enrollment_keys SET wrapped = NULL, destroyed = ?2 WHERE enrollment = ?1"
#define KEY_TOMBSTONE_SQL                                                                          \
	"INSERT OR IGNORE INTO enrollment_keys (enrollment, wrapped, created, destroyed) "         \
	"VALUES (?1, NULL, ?2, ?2)"
#define DELETE_SQL "DELETE FROM artifacts WHERE handle = ?1"

/* --- checks -------------------------------------------------------------------- */

/* @s is 1 to @max characters, each a lowercase letter, a digit or in @extra. */
static bool is_token(const char *s, size_t max, const char *extra)
{
	size_t n;

	if (!s)
		return false;
	for (n = 0; s[n]; n++) {
		if (n >= max)
			return false;
		if (!((s[n] >= 'a' && s[n] <= 'z') || (s[n] >= '0' && s[n] <= '9') ||
			    strchr(extra, s[n])))
			return false;
	}
	return n > 0;
}

static bool is_handle(const char *handle)
{
	size_t n;

	if (!handle)
		return false;
	for (n = 0; n < RK_ARTIFACT_HANDLE_LEN; n++) {
		if (!((handle[n] >= '0' && handle[n] <= '9') ||
			    (handle[n] >= 'a' && handle[n] <= 'f')))
			return false;
	}
	return handle[n] == '\0';
}

static bool meta_valid(const struct rk_artifact_meta *meta)
{
	return is_token(meta->kind, MAX_KIND, "_-") && is_token(meta->format, MAX_FORMAT, ".+/-") &&
	       (!meta->device || strlen(meta->device) <= MAX_DEVICE) && meta->quality >= -1 &&
	       meta->quality <= 100;
}

/* --- helpers ------------------------------------------------------------------- */

static void to_hex(char *out, const unsigned char *in, size_t n)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 0xf];
	}
	out[2 * n] = '\0';
}

static int new_handle(char handle[RK_ARTIFACT_HANDLE_LEN + 1])
{
	unsigned char bytes[HANDLE_BYTES];

	if (RAND_bytes(bytes, sizeof(bytes)) != 1) {
		rk_error("artifact: no random bytes for a handle");
		return -EIO;
	}
	to_hex(handle, bytes, sizeof(bytes));
	return 0;
}

static int sha256_hex(const void *data, size_t size, char hex[65])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int len = 0;

	if (EVP_Digest(data, size, md, &len, EVP_sha256(), NULL) != 1 || len != 32) {
		rk_error("artifact: SHA-256 failed");
		return -EIO;
	}
	to_hex(hex, md, len);
	return 0;
}

/* Open @dir, creating it 0700 if it does not exist. */
static int open_dir(const char *dir)
{
	int fd;

	if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
		rk_error("artifact: cannot create directory %s: %s", dir, strerror(errno));
		return -EIO;
	}
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		rk_error("artifact: cannot open directory %s: %s", dir, strerror(errno));
		return -EIO;
	}
	return fd;
}

static void sync_dir(int dfd, const char *dir)
{
	if (fsync(dfd) < 0)
		rk_warn("artifact: cannot sync directory %s: %s", dir, strerror(errno));
}

/* --- writing ------------------------------------------------------------------- */

/* Seal @data (named @handle) into @tmp in @dfd, durably. On failure nothing
 * is left behind. */
static int write_tmp(int dfd, const char *dir, const char *tmp, const struct rk_artifact_meta *m,
	const void *data, size_t size)
{
	char label[48];
	int fd, err;

	fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		rk_error("artifact: cannot create %s/%s: %s", dir, tmp, strerror(errno));
		return -EIO;
	}
	if (m->key_id) {
		rk_artifact_key_label(m->key_id, label, sizeof(label));
		err = rk_vault_seal_under(fd, m->handle, label, m->key, data, size);
	} else {
		err = rk_vault_seal(fd, m->handle, data, size);
	}
	if (err == 0 && fsync(fd) < 0)
		err = -errno;
	if (close(fd) < 0 && err == 0)
		err = -errno;
	if (err < 0) {
		rk_error("artifact: cannot write %s/%s: %s", dir, tmp, strerror(-err));
		unlinkat(dfd, tmp, 0);
		return -EIO;
	}
	return 0;
}

/* Move @tmp to @name without ever replacing an existing file. */
static int publish(int dfd, const char *dir, const char *tmp, const char *name)
{
	if (renameat2(dfd, tmp, dfd, name, RENAME_NOREPLACE) == 0)
		return 0;
	if (errno == EINVAL || errno == ENOSYS) {
		/* a file system without RENAME_NOREPLACE: link fails on an existing name */
		if (linkat(dfd, tmp, dfd, name, 0) == 0) {
			unlinkat(dfd, tmp, 0);
			return 0;
		}
	}
	rk_error("artifact: cannot rename %s/%s to %s: %s", dir, tmp, name, strerror(errno));
	unlinkat(dfd, tmp, 0);
	return -EIO;
}

static int insert_row(struct rk_store *store, const struct rk_artifact_meta *m)
{
	sqlite3_stmt *stmt = rk_store_prepare(store, INSERT_SQL);
	int rc;

	if (!stmt)
		return -EIO;
	sqlite3_bind_text(stmt, 1, m->handle, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 2, m->kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 3, m->format, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 4, m->device ? m->device : "", -1, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 5, m->width);
	sqlite3_bind_int64(stmt, 6, m->height);
	sqlite3_bind_int64(stmt, 7, m->dpi);
	sqlite3_bind_int(stmt, 8, m->quality);
	sqlite3_bind_int64(stmt, 9, (sqlite3_int64)m->size);
	sqlite3_bind_text(stmt, 10, m->sha256, -1, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 11, m->created);
	if (m->key_id)
		sqlite3_bind_int64(stmt, 12, m->key_id);
	else
		sqlite3_bind_null(stmt, 12);
	rc = sqlite3_step(stmt);
	if (rc != SQLITE_DONE)
		rk_error("artifact: cannot insert %s into %s: %s", m->handle, rk_store_path(store),
			sqlite3_errmsg(rk_store_db(store)));
	sqlite3_reset(stmt);
	sqlite3_clear_bindings(stmt);
	if (rc == SQLITE_DONE)
		return 0;
	return (rc & 0xff) == SQLITE_NOMEM ? -ENOMEM : -EIO;
}

int rk_artifact_write(const char *dir, struct rk_artifact_meta *meta, const void *data,
	size_t size)
{
	char tmp[sizeof(TMP_PREFIX) + RK_ARTIFACT_HANDLE_LEN];
	struct rk_artifact_meta m;
	int dfd, err;

	if (!dir || !meta || !data || size == 0 || size > RK_ARTIFACT_MAX_SIZE || !meta_valid(meta))
		return -EINVAL;
	m = *meta;
	m.size = size;
	m.created = (int64_t)time(NULL);
	err = new_handle(m.handle);
	if (err == 0)
		err = sha256_hex(data, size, m.sha256);
	if (err < 0)
		return err;

	dfd = open_dir(dir);
	if (dfd < 0)
		return dfd;
	snprintf(tmp, sizeof(tmp), TMP_PREFIX "%s", m.handle);
	err = write_tmp(dfd, dir, tmp, &m, data, size);
	if (err == 0)
		err = publish(dfd, dir, tmp, m.handle);
	if (err == 0)
		sync_dir(dfd, dir);
	close(dfd);
	if (err < 0)
		return err;

	memcpy(meta->handle, m.handle, sizeof(m.handle));
	memcpy(meta->sha256, m.sha256, sizeof(m.sha256));
	meta->size = m.size;
	meta->created = m.created;
	return 0;
}

void rk_artifact_discard(const char *dir, const char *handle)
{
	int dfd;

	if (!dir || !is_handle(handle))
		return;
	dfd = open_dir(dir);
	if (dfd < 0)
		return;
	if (unlinkat(dfd, handle, 0) == 0)
		sync_dir(dfd, dir);
	close(dfd);
}

int rk_artifact_commit(struct rk_store *store, const char *dir, const struct rk_artifact_meta *meta)
{
	int err;

	if (!store || !dir || !meta || !is_handle(meta->handle) || !meta_valid(meta))
		return -EINVAL;
	err = insert_row(store, meta);
	if (err < 0)
		rk_artifact_discard(dir, meta->handle);
	return err;
}

int rk_artifact_put(struct rk_store *store, const char *dir, struct rk_artifact_meta *meta,
	const void *data, size_t size)
{
	struct rk_artifact_meta m;
	int err;

	if (!store)
		return -EINVAL;
	m = *meta;
	err = rk_artifact_write(dir, &m, data, size);
	if (err == 0)
		err = rk_artifact_commit(store, dir, &m);
	if (err < 0)
		return err;
	*meta = m;
	return 0;
}

/* --- reading ------------------------------------------------------------------- */

static char *column_dup(sqlite3_stmt *stmt, int i)
{
	const unsigned char *text = sqlite3_column_text(stmt, i);

	return strdup(text ? (const char *)text : "");
}

static int fill_meta(sqlite3_stmt *stmt, struct rk_artifact_meta *meta)
{
	const unsigned char *sha = sqlite3_column_text(stmt, 8);

	meta->kind = column_dup(stmt, 0);
	meta->format = column_dup(stmt, 1);
	meta->device = column_dup(stmt, 2);
	if (!meta->kind || !meta->format || !meta->device)
		return -ENOMEM;
	meta->width = (uint32_t)sqlite3_column_int64(stmt, 3);
	meta->height = (uint32_t)sqlite3_column_int64(stmt, 4);
	meta->dpi = (uint32_t)sqlite3_column_int64(stmt, 5);
	meta->quality = sqlite3_column_int(stmt, 6);
	meta->size = (uint64_t)sqlite3_column_int64(stmt, 7);
	snprintf(meta->sha256, sizeof(meta->sha256), "%s", sha ? (const char *)sha : "");
	meta->created = sqlite3_column_int64(stmt, 9);
	meta->key_id = sqlite3_column_int64(stmt, 10);
	if (meta->key_id && sqlite3_column_bytes(stmt, 11) == RK_VAULT_WRAPPED_SIZE)
		memcpy(meta->key, sqlite3_column_blob(stmt, 11), RK_VAULT_WRAPPED_SIZE);
	else if (meta->key_id)
		meta->key_gone = true;
	return 0;
}

int rk_artifact_get_meta(struct rk_store *store, const char *handle, struct rk_artifact_meta *meta)
{
	sqlite3_stmt *stmt;
	int rc, err;

	if (!meta)
		return -EINVAL;
	memset(meta, 0, sizeof(*meta));
	if (!store || !is_handle(handle))
		return -EINVAL;
	stmt = rk_store_prepare(store, SELECT_SQL);
	if (!stmt)
		return -EIO;
	sqlite3_bind_text(stmt, 1, handle, -1, SQLITE_STATIC);
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW) {
		memcpy(meta->handle, handle, sizeof(meta->handle));
		err = fill_meta(stmt, meta);
	} else if (rc == SQLITE_DONE) {
		err = -ENOENT;
	} else {
		rk_error("artifact: cannot look up %s in %s: %s", handle, rk_store_path(store),
			sqlite3_errmsg(rk_store_db(store)));
		err = -EIO;
	}
	sqlite3_reset(stmt);
	sqlite3_clear_bindings(stmt);
	if (err < 0)
		rk_artifact_meta_clear(meta);
	return err;
}

/* The bytes sealed in the file @path, named @handle, which must open to
 * exactly @size bytes. */
static int read_file(const char *path, const struct rk_artifact_meta *m, unsigned char **out)
{
	const char *handle = m->handle;
	uint64_t size = m->size;
	char label[48];
	struct stat st;
	int fd, err;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		rk_error("artifact: cannot open %s: %s", path, strerror(errno));
		return -EIO;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || size == 0 ||
			size > RK_ARTIFACT_MAX_SIZE) {
		rk_error("artifact: %s is not the %" PRIu64 "-byte artifact recorded", path, size);
		close(fd);
		return -EBADMSG;
	}
	if (m->key_id) {
		rk_artifact_key_label(m->key_id, label, sizeof(label));
		err = rk_vault_unseal_under(fd, handle, label, m->key, size, out);
	} else {
		err = rk_vault_unseal(fd, handle, size, out);
	}
	close(fd);
	if (err == -ENOKEY && m->key_id) {
		rk_error("artifact: %s is sealed under a data key and none was given", path);
		return -EKEYREVOKED;
	}
	if (err == -EBADMSG)
		rk_error("artifact: %s does not open: altered, cut short or not this artifact's",
			path);
	else if (err < 0)
		rk_error("artifact: cannot read %s: %s", path, strerror(-err));
	return err == -EBADMSG || err == -ENOMEM ? err : err < 0 ? -EIO : 0;
}

int rk_artifact_load(const char *dir, const struct rk_artifact_meta *meta, void **data,
		size_t *size)
{
	unsigned char *buf = NULL;
	char *path = NULL;
	char sha[65];
	int err;

	if (!dir || !meta || !data || !size || !is_handle(meta->handle))
		return -EINVAL;
	*data = NULL;
	*size = 0;
	if (meta->key_gone) {
		rk_info("artifact: %s cannot be read: enrollment %lld's data key is destroyed",
			meta->handle, (long long)meta->key_id);
		return -EKEYREVOKED;
	}
	if (asprintf(&path, "%s/%s", dir, meta->handle) < 0)
		return -ENOMEM;
	err = read_file(path, meta, &buf);
	if (err == 0)
		err = sha256_hex(buf, meta->size, sha);
	if (err == 0 && strcmp(sha, meta->sha256) != 0) {
		rk_error("artifact: %s does not match its SHA-256", path);
		err = -EBADMSG;
	}
	if (err == 0) {
		*data = buf;
		*size = meta->size;
	} else {
		free(buf);
	}
	free(path);
	return err;
}

int rk_artifact_read(
	struct rk_store *store, const char *dir, const char *handle, void **data, size_t *size)
{
	struct rk_artifact_meta meta;
	int err;

	if (!dir || !data || !size)
		return -EINVAL;
	*data = NULL;
	*size = 0;
	err = rk_artifact_get_meta(store, handle, &meta);
	if (err < 0)
		return err;
	err = rk_artifact_load(dir, &meta, data, size);
	rk_artifact_meta_clear(&meta);
	return err;
}

/* --- enrollment data keys ---------------------------------------------------- */

void rk_artifact_key_label(int64_t id, char *label, size_t size)
{
	snprintf(label, size, "enrollment %lld", (long long)id);
}

static int key_lookup(struct rk_store *store, int64_t id, unsigned char *wrapped)
{
	sqlite3_stmt *stmt = rk_store_prepare(store, KEY_SELECT_SQL);
	int rc, err;

	if (!stmt)
		return -EIO;
	sqlite3_bind_int64(stmt, 1, id);
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW && sqlite3_column_type(stmt, 0) == SQLITE_NULL) {
		err = -EKEYREVOKED;
	} else if (rc == SQLITE_ROW && sqlite3_column_bytes(stmt, 0) == RK_VAULT_WRAPPED_SIZE) {
		memcpy(wrapped, sqlite3_column_blob(stmt, 0), RK_VAULT_WRAPPED_SIZE);
		err = 0;
	} else if (rc == SQLITE_ROW) {
		rk_error("artifact: enrollment %lld's data key in %s is damaged", (long long)id,
			rk_store_path(store));
		err = -EBADMSG;
	} else if (rc == SQLITE_DONE) {
		err = -ENOENT;
	} else {
		rk_error("artifact: cannot read enrollment %lld's data key from %s: %s",
			(long long)id, rk_store_path(store), sqlite3_errmsg(rk_store_db(store)));
		err = -EIO;
	}
	sqlite3_reset(stmt);
	sqlite3_clear_bindings(stmt);
	return err;
}

int rk_artifact_key_get(struct rk_store *store, int64_t id, bool create,
		unsigned char wrapped[RK_VAULT_WRAPPED_SIZE])
{
	char label[48];
	sqlite3_stmt *stmt;
	int err, rc;

	if (!store || id <= 0 || !wrapped)
		return -EINVAL;
	rk_artifact_key_label(id, label, sizeof(label));
	err = key_lookup(store, id, wrapped);
	if (err == 0) {
		err = rk_vault_key_check(label, wrapped);
		if (err == -EBADMSG)
			rk_error("artifact: enrollment %lld's data key does not open with this "
				"station key", (long long)id);
		return err;
	}
	if (err != -ENOENT || !create)
		return err;
	err = rk_vault_key_new(label, wrapped);
	if (err < 0)
		return err;
	stmt = rk_store_prepare(store, KEY_INSERT_SQL);
	if (!stmt)
		return -EIO;
	sqlite3_bind_int64(stmt, 1, id);
	sqlite3_bind_blob(stmt, 2, wrapped, RK_VAULT_WRAPPED_SIZE, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 3, (sqlite3_int64)time(NULL));
	rc = sqlite3_step(stmt);
	if (rc != SQLITE_DONE)
		rk_error("artifact: cannot store enrollment %lld's data key in %s: %s",
			(long long)id, rk_store_path(store), sqlite3_errmsg(rk_store_db(store)));
	sqlite3_reset(stmt);
	sqlite3_clear_bindings(stmt);
	if (rc != SQLITE_DONE)
		return -EIO;
	rk_info("artifact: a new data key for enrollment %lld", (long long)id);
	return 0;
}

int rk_artifact_key_destroy(struct rk_store *store, int64_t id)
{
	static const char *const sql[] = { KEY_DESTROY_SQL, KEY_TOMBSTONE_SQL };
	int rc = SQLITE_DONE;

	if (!store || id <= 0)
		return -EINVAL;
	/* freed cells are overwritten with zeros, not left in the file */
	if (rk_store_exec(store, "PRAGMA secure_delete = ON") < 0)
		return -EIO;
	for (size_t i = 0; i < 2 && rc == SQLITE_DONE; i++) {
		sqlite3_stmt *stmt = rk_store_prepare(store, sql[i]);

		if (!stmt)
			return -EIO;
		sqlite3_bind_int64(stmt, 1, id);
		sqlite3_bind_int64(stmt, 2, (sqlite3_int64)time(NULL));
		rc = sqlite3_step(stmt);
		if (rc != SQLITE_DONE)
			rk_error("artifact: cannot destroy enrollment %lld's data key in %s: %s",
				(long long)id, rk_store_path(store),
				sqlite3_errmsg(rk_store_db(store)));
		sqlite3_reset(stmt);
		sqlite3_clear_bindings(stmt);
	}
	return rc == SQLITE_DONE ? 0 : -EIO;
}

/* --- deleting and cleaning up --------------------------------------------------- */

/* 0, or -ENOENT when there was no row. */
static int delete_row(struct rk_store *store, const char *handle)
{
	sqlite3_stmt *stmt = rk_store_prepare(store, DELETE_SQL);
	int rc;

	if (!stmt)
		return -EIO;
	sqlite3_bind_text(stmt, 1, handle, -1, SQLITE_STATIC);
	rc = sqlite3_step(stmt);
	if (rc != SQLITE_DONE)
		rk_error("artifact: cannot delete %s from %s: %s", handle, rk_store_path(store),
			sqlite3_errmsg(rk_store_db(store)));
	sqlite3_reset(stmt);
	sqlite3_clear_bindings(stmt);
	if (rc != SQLITE_DONE)
		return -EIO;
	return sqlite3_changes(rk_store_db(store)) > 0 ? 0 : -ENOENT;
}

int rk_artifact_delete(struct rk_store *store, const char *dir, const char *handle)
{
	char *path = NULL;
	int err;

	if (!store || !dir || !is_handle(handle))
		return -EINVAL;
	err = delete_row(store, handle);
	if (err < 0 && err != -ENOENT)
		return err;
	/* without a row, a file of that name is a leftover: remove it too */
	if (asprintf(&path, "%s/%s", dir, handle) < 0)
		return err < 0 ? err : -ENOMEM;
	if (unlink(path) < 0 && errno != ENOENT)
		rk_warn("artifact: cannot remove %s: %s", path, strerror(errno));
	free(path);
	return err;
}

static bool is_tmp_file(int dfd, const struct dirent *d)
{
	struct stat st;

	if (strncmp(d->d_name, TMP_PREFIX, sizeof(TMP_PREFIX) - 1) != 0)
		return false;
	if (d->d_type == DT_REG)
		return true;
	if (d->d_type != DT_UNKNOWN)
		return false;
	return fstatat(dfd, d->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode);
}

int rk_artifact_cleanup(const char *dir)
{
	struct dirent *d;
	DIR *dp;
	int n = 0;

	if (!dir)
		return -EINVAL;
	dp = opendir(dir);
	if (!dp)
		return errno == ENOENT ? 0 : -errno;
	while ((d = readdir(dp))) {
		if (!is_tmp_file(dirfd(dp), d))
			continue;
		if (unlinkat(dirfd(dp), d->d_name, 0) == 0) {
			rk_info("artifact: removed %s/%s left by an interrupted write", dir,
				d->d_name);
			n++;
		} else {
			rk_warn("artifact: cannot remove %s/%s: %s", dir, d->d_name,
				strerror(errno));
		}
	}
	if (n > 0)
		sync_dir(dirfd(dp), dir);
	closedir(dp);
	return n;
}

void rk_artifact_meta_clear(struct rk_artifact_meta *meta)
{
	if (!meta)
		return;
	free(meta->kind);
	free(meta->format);
	free(meta->device);
	memset(meta, 0, sizeof(*meta));
}
