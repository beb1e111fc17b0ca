// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * rekam - unit tests
 *
 * test-artifact.c - unit tests of artifact storage (artifact.c) on a real
 * station database and a real directory in a fresh temporary directory: the
 * round trip of bytes and metadata, file and directory modes, handles,
 * refused input that must leave nothing behind, damaged and truncated files,
 * deleting, handles that try to leave the directory, a failing INSERT, and
 * cleaning up after a crash.
 */
#include <config.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <sqlite3.h>

#include "daemon/artifact.h"
#include "daemon/store.h"
#include "daemon/vault.h"
#include "tap.h"

#define UNIQUE_PUTS 1000

/* SHA-256 test vectors from FIPS 180-2, appendix B */
#define ABC_SHA256 "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
#define MILLION_A_SHA256 "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"

static char tmp_dir[] = "/tmp/rekam-test-artifact-XXXXXX";
static struct rk_store *store;
static char *dir; /* the artifact directory, made by the first put */

/* --- helpers --------------------------------------------------------------- */

static char *tmp_path(const char *name)
{
	char *path;

	if (asprintf(&path, "%s/%s", tmp_dir, name) < 0)
		tap_bail("out of memory");
	return path;
}

static char *art_path(const char *name)
{
	char *path;

	if (asprintf(&path, "%s/%s", dir, name) < 0)
		tap_bail("out of memory");
	return path;
}

static bool exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

/* Entries in @path other than . and .. (-1 if it cannot be read). */
static int count_entries(const char *path)
{
	struct dirent *d;
	DIR *dp = opendir(path);
	int n = 0;

	if (!dp)
		return -1;
	while ((d = readdir(dp)))
		n += strcmp(d->d_name, ".") != 0 && strcmp(d->d_name, "..") != 0;
	closedir(dp);
	return n;
}

static int64_t rows(void)
{
	sqlite3_stmt *stmt = NULL;
	int64_t n = -1;

	if (sqlite3_prepare_v2(rk_store_db(store), "SELECT count(*) FROM artifacts", -1, &stmt,
		    NULL) == SQLITE_OK &&
		sqlite3_step(stmt) == SQLITE_ROW)
		n = sqlite3_column_int64(stmt, 0);
	sqlite3_finalize(stmt);
	return n;
}

/* The whole file @path (malloc'd), its length in *@len; NULL when unreadable. */
static unsigned char *read_whole(const char *path, size_t *len)
{
	struct stat st;
	unsigned char *buf;
	FILE *f = fopen(path, "rb");

	if (!f || fstat(fileno(f), &st) < 0) {
		if (f)
			fclose(f);
		return NULL;
	}
	buf = malloc((size_t)st.st_size + 1);
	*len = buf ? fread(buf, 1, (size_t)st.st_size, f) : 0;
	fclose(f);
	return buf;
}

static void write_file(const char *path, const void *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	if (fd < 0 || write(fd, data, len) != (ssize_t)len || close(fd) < 0)
		tap_bail("cannot write %s: %s", path, strerror(errno));
}

/* SHA-256 of @data in hex, by OpenSSL's streaming interface in small pieces. */
static void digest(const void *data, size_t len, char hex[65])
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	const unsigned char *p = data;
	unsigned char md[32];
	unsigned int i, mdlen = 0;
	size_t chunk;

	if (!ctx || EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1)
		tap_bail("EVP_DigestInit_ex failed");
	for (; len > 0; p += chunk, len -= chunk) {
		chunk = len < 1000 ? len : 1000;
		EVP_DigestUpdate(ctx, p, chunk);
	}
	EVP_DigestFinal_ex(ctx, md, &mdlen);
	EVP_MD_CTX_free(ctx);
	for (i = 0; i < 32; i++)
		sprintf(hex + 2 * i, "%02x", md[i]);
}

static void fill(unsigned char *buf, size_t len, uint32_t seed)
{
	size_t i;

	for (i = 0; i < len; i++) {
		seed = seed * 1103515245u + 12345u;
		buf[i] = (unsigned char)(seed >> 16);
	}
}

static struct rk_artifact_meta new_meta(const char *kind, const char *format)
{
	struct rk_artifact_meta m = {
		.kind = (char *)kind,
		.format = (char *)format,
		.device = (char *)"/id/rekam/Station1/devices/cam0",
		.width = 640,
		.height = 480,
		.dpi = 300,
		.quality = 87,
	};

	return m;
}

/* Put @len bytes; the handle in @handle. Must succeed. */
static bool put_ok(const void *data, size_t len, char handle[RK_ARTIFACT_HANDLE_LEN + 1])
{
	struct rk_artifact_meta m = new_meta("portrait", "image/jpeg");
	int err = rk_artifact_put(store, dir, &m, data, len);

	if (err != 0)
		tap_diag("  put of %zu bytes: %d", len, err);
	memcpy(handle, m.handle, RK_ARTIFACT_HANDLE_LEN + 1);
	return err == 0;
}

static int remove_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	return remove(path);
}

/* --- round trip ------------------------------------------------------------ */

static void test_round_trip(void)
{
	struct rk_artifact_meta m = new_meta("signature-image", "image/png");
	struct rk_artifact_meta got;
	unsigned char data[100000];
	char sha[65], *path;
	void *back = NULL;
	size_t len = 0;
	time_t before = time(NULL);
	struct stat st;
	int err;

	fill(data, sizeof(data), 1);
	digest(data, sizeof(data), sha);
	tap_ok(!exists(dir), "round trip: the directory does not exist yet");
	err = rk_artifact_put(store, dir, &m, data, sizeof(data));
	tap_is_int(err, 0, "round trip: put");
	tap_is_int(strlen(m.handle), RK_ARTIFACT_HANDLE_LEN, "round trip: a 32-digit handle");
	tap_ok(strspn(m.handle, "0123456789abcdef") == RK_ARTIFACT_HANDLE_LEN,
		"round trip: ... of lowercase hex");
	tap_is_int(m.size, sizeof(data), "round trip: put fills in the size");
	tap_is_str(m.sha256, sha, "round trip: put fills in the SHA-256");
	tap_ok(m.created >= before && m.created <= time(NULL), "round trip: put fills in created");

	tap_ok(stat(dir, &st) == 0 && S_ISDIR(st.st_mode) && (st.st_mode & 07777) == 0700,
		"round trip: the directory was made with mode 0700");
	path = art_path(m.handle);
	tap_ok(lstat(path, &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 07777) == 0600,
		"round trip: the file <dir>/<handle> has mode 0600");
	tap_is_int(st.st_size, sizeof(data) + RK_VAULT_OVERHEAD,
		"round trip: ... and the size of the data, sealed");
	{
		size_t n = 0;
		unsigned char *sealed = read_whole(path, &n);

		tap_ok(sealed && n > 64 && !memmem(sealed, n, data + 100, 64),
			"round trip: the file does not hold the plaintext");
		free(sealed);
	}
	free(path);
	tap_is_int(count_entries(dir), 1, "round trip: no temporary file is left");

	err = rk_artifact_get_meta(store, m.handle, &got);
	tap_is_int(err, 0, "round trip: get_meta");
	tap_is_str(got.handle, m.handle, "round trip: handle");
	tap_is_str(got.kind, "signature-image", "round trip: kind");
	tap_is_str(got.format, "image/png", "round trip: format");
	tap_is_str(got.device, "/id/rekam/Station1/devices/cam0", "round trip: device");
	tap_ok(got.width == 640 && got.height == 480 && got.dpi == 300,
		"round trip: width, height, dpi");
	tap_is_int(got.quality, 87, "round trip: quality");
	tap_is_int(got.size, sizeof(data), "round trip: size");
	tap_is_str(got.sha256, sha, "round trip: sha256 matches an independent digest");
	tap_is_int(got.created, m.created, "round trip: created");
	rk_artifact_meta_clear(&got);
	tap_ok(got.kind == NULL && got.format == NULL && got.device == NULL,
		"round trip: meta_clear frees and clears");
	rk_artifact_meta_clear(NULL);

	err = rk_artifact_read(store, dir, m.handle, &back, &len);
	tap_is_int(err, 0, "round trip: read");
	tap_ok(len == sizeof(data) && back && memcmp(back, data, len) == 0,
		"round trip: read gives the same bytes");
	free(back);
}

static void test_known_digests(void)
{
	struct rk_artifact_meta m = new_meta("test", "application/octet-stream");
	struct rk_artifact_meta unknown = new_meta("test", "application/octet-stream");
	struct rk_artifact_meta got;
	char *million = malloc(1000000);

	if (!million)
		tap_bail("out of memory");
	memset(million, 'a', 1000000);
	tap_is_int(rk_artifact_put(store, dir, &m, "abc", 3), 0, "digest: put \"abc\"");
	tap_is_str(m.sha256, ABC_SHA256, "digest: SHA-256 of \"abc\" is the FIPS 180-2 value");
	tap_is_int(
		rk_artifact_put(store, dir, &m, million, 1000000), 0, "digest: put a million 'a'");
	tap_is_str(m.sha256, MILLION_A_SHA256,
		"digest: SHA-256 of a million 'a' is the FIPS 180-2 value");
	free(million);

	unknown.device = NULL;
	unknown.width = unknown.height = unknown.dpi = 0;
	unknown.quality = -1;
	tap_is_int(rk_artifact_put(store, dir, &unknown, "x", 1), 0,
		"unknown values: put with device NULL, sizes 0 and quality -1");
	rk_artifact_get_meta(store, unknown.handle, &got);
	tap_ok(got.device && strcmp(got.device, "") == 0 && got.width == 0 && got.quality == -1,
		"unknown values: stored as \"\", 0 and -1");
	rk_artifact_meta_clear(&got);
}

static int compare_handles(const void *a, const void *b)
{
	return strcmp(a, b);
}

static void test_unique_handles(void)
{
	char(*handles)[RK_ARTIFACT_HANDLE_LEN + 1] = calloc(UNIQUE_PUTS, sizeof(*handles));
	int i, failed = 0, same = 0, entries = count_entries(dir);
	unsigned char byte;

	if (!handles)
		tap_bail("out of memory");
	rk_store_begin(store);
	for (i = 0; i < UNIQUE_PUTS; i++) {
		byte = (unsigned char)i;
		failed += !put_ok(&byte, 1, handles[i]);
	}
	rk_store_commit(store);
	tap_is_int(failed, 0, "handles: %d puts succeed", UNIQUE_PUTS);
	qsort(handles, UNIQUE_PUTS, sizeof(*handles), compare_handles);
	for (i = 1; i < UNIQUE_PUTS; i++)
		same += strcmp(handles[i - 1], handles[i]) == 0;
	tap_is_int(same, 0, "handles: all %d are different", UNIQUE_PUTS);
	tap_is_int(count_entries(dir), entries + UNIQUE_PUTS, "handles: one file each");
	free(handles);
}

/* --- refused input --------------------------------------------------------- */

static void refused(const char *kind, const char *format, const char *device, int quality,
	const void *data, size_t len, const char *what)
{
	struct rk_artifact_meta m = new_meta(kind, format);
	char *fresh = tmp_path("refused");

	m.device = (char *)device;
	m.quality = quality;
	tap_is_int(rk_artifact_put(store, fresh, &m, data, len), -EINVAL, "refused: %s", what);
	tap_ok(!exists(fresh) && m.handle[0] == '\0' && rows() == 0,
		"refused: %s: no directory, no file, no row, no handle", what);
	free(fresh);
}

static void test_refused(void)
{
	static const char kind_49[] = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
	static const char format_65[] =
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
	const char *dev = "/d";
	char big_device[257];

	/* refused input must come before any artifact: rows() must be 0 */
	memset(big_device, 'x', 256);
	big_device[256] = '\0';
	refused("", "image/png", dev, 1, "x", 1, "empty kind");
	refused("Portrait", "image/png", dev, 1, "x", 1, "kind with an uppercase letter");
	refused("por trait", "image/png", dev, 1, "x", 1, "kind with a space");
	refused("../x", "image/png", dev, 1, "x", 1, "kind with a slash and dots");
	refused(kind_49, "image/png", dev, 1, "x", 1, "kind of 49 characters");
	refused(NULL, "image/png", dev, 1, "x", 1, "kind NULL");
	refused("portrait", "", dev, 1, "x", 1, "empty format");
	refused("portrait", "image/PNG", dev, 1, "x", 1, "format with uppercase letters");
	refused("portrait", "image/png; q=1", dev, 1, "x", 1, "format with a space");
	refused("portrait", format_65, dev, 1, "x", 1, "format of 65 characters");
	refused("portrait", NULL, dev, 1, "x", 1, "format NULL");
	refused("portrait", "image/png", big_device, 1, "x", 1, "device of 256 bytes");
	refused("portrait", "image/png", dev, 101, "x", 1, "quality 101");
	refused("portrait", "image/png", dev, -2, "x", 1, "quality -2");
	refused("portrait", "image/png", dev, 1, "x", 0, "empty data");
	refused("portrait", "image/png", dev, 1, NULL, 1, "data NULL");
	/* checked before the data is looked at: a small buffer is enough */
	refused("portrait", "image/png", dev, 1, "x", ((size_t)256 << 20) + 1, "data over 256 MiB");
}

/* The limits themselves are accepted. */
static void test_limits(void)
{
	static const char kind_48[] = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa_-";
	static const char format_64[] =
		"a.+/-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
	char device_255[256];
	struct rk_artifact_meta m = new_meta(kind_48, format_64);

	memset(device_255, 'd', 255);
	device_255[255] = '\0';
	m.device = device_255;
	m.quality = 100;
	tap_ok(strlen(kind_48) == 48 && strlen(format_64) == 64,
		"limits: the strings are 48 and 64");
	tap_is_int(rk_artifact_put(store, dir, &m, "x", 1), 0,
		"limits: kind of 48 with _ -, format of 64 with . + / -, device of 255, quality 100");
}

/* --- damaged files --------------------------------------------------------- */

static void test_damaged(void)
{
	unsigned char data[4096], byte, *sealed;
	char handle[RK_ARTIFACT_HANDLE_LEN + 1], *path;
	size_t sealed_len = 0;
	void *back = (void *)1;
	size_t len = 1;
	int fd, err;

	fill(data, sizeof(data), 2);
	if (!put_ok(data, sizeof(data), handle))
		tap_bail("cannot put");
	path = art_path(handle);
	sealed = read_whole(path, &sealed_len);
	if (!sealed)
		tap_bail("cannot read %s", path);

	/* one flipped bit in the middle */
	fd = open(path, O_RDWR);
	if (fd < 0 || pread(fd, &byte, 1, 2000) != 1)
		tap_bail("cannot read %s", path);
	byte ^= 0x10;
	if (pwrite(fd, &byte, 1, 2000) != 1 || close(fd) < 0)
		tap_bail("cannot write %s", path);
	tap_is_int(rk_artifact_read(store, dir, handle, &back, &len), -EBADMSG,
		"damaged: a flipped bit is -EBADMSG");
	tap_ok(back == NULL && len == 0, "damaged: ... with no data handed out");

	/* restored, then truncated */
	write_file(path, sealed, sealed_len);
	tap_is_int(rk_artifact_read(store, dir, handle, &back, &len), 0,
		"damaged: the restored file reads again");
	free(back);
	if (truncate(path, 1000) < 0)
		tap_bail("cannot truncate %s", path);
	err = rk_artifact_read(store, dir, handle, &back, &len);
	tap_ok(err == -EBADMSG || err == -EIO, "damaged: a truncated file is -EBADMSG or -EIO (%d)",
		err);

	/* longer than recorded */
	write_file(path, sealed, sealed_len);
	fd = open(path, O_WRONLY | O_APPEND);
	if (fd < 0 || write(fd, "more", 4) != 4 || close(fd) < 0)
		tap_bail("cannot append to %s", path);
	tap_is_int(rk_artifact_read(store, dir, handle, &back, &len), -EBADMSG,
		"damaged: a file with bytes appended is -EBADMSG");

	/* a symbolic link in place of the file is not followed */
	{
		char *copy = tmp_path("copy");

		write_file(copy, sealed, sealed_len);
		unlink(path);
		if (symlink(copy, path) < 0)
			tap_bail("symlink: %s", strerror(errno));
		err = rk_artifact_read(store, dir, handle, &back, &len);
		tap_ok(err == -EIO || err == -EBADMSG, "damaged: a symlink is not followed (%d)",
			err);
		free(copy);
	}

	/* missing */
	unlink(path);
	err = rk_artifact_read(store, dir, handle, &back, &len);
	tap_ok(err == -EIO, "damaged: a missing file with its row is -EIO (%d)", err);

	/* another artifact's sealed file under this handle does not open */
	{
		char other[RK_ARTIFACT_HANDLE_LEN + 1];
		size_t n = 0;
		unsigned char *bytes;
		char *other_path;

		if (!put_ok(data, sizeof(data), other))
			tap_bail("cannot put");
		other_path = art_path(other);
		bytes = read_whole(other_path, &n);
		write_file(path, bytes, n);
		tap_is_int(rk_artifact_read(store, dir, handle, &back, &len), -EBADMSG,
			"damaged: the sealed file of another artifact does not open under this handle");
		free(bytes);
		free(other_path);
	}
	free(sealed);
	free(path);
}

/* --- delete ------------------------------------------------------------------ */

static void test_delete(void)
{
	char handle[RK_ARTIFACT_HANDLE_LEN + 1], *path;
	struct rk_artifact_meta m;
	int64_t before = rows();
	void *back = NULL;
	size_t len;

	if (!put_ok("delete me", 9, handle))
		tap_bail("cannot put");
	path = art_path(handle);
	tap_ok(exists(path) && rows() == before + 1, "delete: the artifact is there");
	tap_is_int(rk_artifact_delete(store, dir, handle), 0, "delete");
	tap_ok(!exists(path), "delete: the file is gone");
	tap_is_int(rows(), before, "delete: the row is gone");
	tap_is_int(rk_artifact_get_meta(store, handle, &m), -ENOENT, "delete: get_meta is -ENOENT");
	tap_is_int(rk_artifact_read(store, dir, handle, &back, &len), -ENOENT,
		"delete: read is -ENOENT");
	tap_is_int(rk_artifact_delete(store, dir, handle), -ENOENT,
		"delete: deleting again is -ENOENT");
	free(path);
}

/* --- handles that are unknown or not handles ------------------------------------ */

static void test_bad_handles(void)
{
	static const char *const malformed[] = {
		"../etc/passwd",
		"../outside",
		"",
		"0123456789abcdef0123456789abcde",   /* 31 */
		"0123456789abcdef0123456789abcdef0", /* 33 */
		"0123456789ABCDEF0123456789ABCDEF",  /* uppercase */
		"0123456789abcdef0123456789abcdeg",
		"/tmp/0123456789abcdef0123456789ab",
		".tmp-0123456789abcdef0123456789a",
	};
	const char *unknown = "0123456789abcdef0123456789abcdef";
	char *outside = tmp_path("outside");
	struct rk_artifact_meta m;
	int64_t n = rows();
	void *back = NULL;
	size_t len, i;
	bool ok_meta = true, ok_read = true, ok_delete = true;

	write_file(outside, "precious", 8);
	for (i = 0; i < sizeof(malformed) / sizeof(malformed[0]); i++) {
		ok_meta = ok_meta && rk_artifact_get_meta(store, malformed[i], &m) == -EINVAL;
		ok_read = ok_read &&
			  rk_artifact_read(store, dir, malformed[i], &back, &len) == -EINVAL;
		ok_delete = ok_delete && rk_artifact_delete(store, dir, malformed[i]) == -EINVAL;
	}
	tap_ok(ok_meta, "bad handles: get_meta of a malformed handle is -EINVAL");
	tap_ok(ok_read, "bad handles: read of a malformed handle is -EINVAL");
	tap_ok(ok_delete, "bad handles: delete of a malformed handle is -EINVAL");
	tap_is_int(rk_artifact_get_meta(store, NULL, &m), -EINVAL, "bad handles: NULL is -EINVAL");
	tap_ok(exists(outside) && count_entries(tmp_dir) >= 1,
		"bad handles: the file outside the directory is still there");
	tap_is_int(rows(), n, "bad handles: no row changed");

	tap_is_int(rk_artifact_get_meta(store, unknown, &m), -ENOENT,
		"bad handles: get_meta of an unknown handle is -ENOENT");
	tap_is_int(rk_artifact_read(store, dir, unknown, &back, &len), -ENOENT,
		"bad handles: read of an unknown handle is -ENOENT");
	tap_is_int(rk_artifact_delete(store, dir, unknown), -ENOENT,
		"bad handles: delete of an unknown handle is -ENOENT");
	unlink(outside);
	free(outside);
}

/* --- a failing INSERT -------------------------------------------------------- */

static void test_insert_fails(void)
{
	struct rk_artifact_meta m = new_meta("portrait", "image/jpeg");
	int entries = count_entries(dir);
	int64_t n = rows();

	rk_store_exec(store, "CREATE TEMP TRIGGER no_insert BEFORE INSERT ON artifacts "
			     "BEGIN SELECT RAISE(ABORT, 'refused by the test'); END");
	tap_is_int(rk_artifact_put(store, dir, &m, "abc", 3), -EIO, "insert fails: put is -EIO");
	tap_is_int(count_entries(dir), entries, "insert fails: the file is removed again");
	tap_is_int(rows(), n, "insert fails: no row");
	tap_ok(m.handle[0] == '\0', "insert fails: no handle is given");
	rk_store_exec(store, "DROP TRIGGER no_insert");
}

/* --- cleanup ----------------------------------------------------------------- */

static void test_cleanup(void)
{
	char keep[RK_ARTIFACT_HANDLE_LEN + 1], *path, *victim;
	static const char *const left_alone[] = {"tmp-x", ".tmpx", ".tm", "notes.tmp-", ".tmp"};
	unsigned char data[5000];
	void *back = NULL;
	size_t len = 0, i;
	bool all_left = true;
	int entries;

	fill(data, sizeof(data), 3);
	if (!put_ok(data, sizeof(data), keep))
		tap_bail("cannot put");

	/* a crash during a put: half a temporary file, and no row */
	path = art_path(".tmp-00112233445566778899aabbccddeeff");
	write_file(path, data, 1234);
	free(path);
	path = art_path(".tmp-x");
	write_file(path, "", 0);
	free(path);
	for (i = 0; i < sizeof(left_alone) / sizeof(left_alone[0]); i++) {
		path = art_path(left_alone[i]);
		write_file(path, "keep", 4);
		free(path);
	}
	path = art_path(".tmp-dir");
	mkdir(path, 0700);
	free(path);
	victim = tmp_path("victim");
	write_file(victim, "keep", 4);
	path = art_path(".tmp-link");
	if (symlink(victim, path) < 0)
		tap_bail("symlink: %s", strerror(errno));
	free(path);

	entries = count_entries(dir);
	tap_is_int(rk_artifact_cleanup(dir), 2, "cleanup: removes the 2 temporary files");
	tap_is_int(count_entries(dir), entries - 2, "cleanup: and nothing else");
	path = art_path(".tmp-00112233445566778899aabbccddeeff");
	tap_ok(!exists(path), "cleanup: the file of the interrupted put is gone");
	free(path);
	for (i = 0; i < sizeof(left_alone) / sizeof(left_alone[0]); i++) {
		path = art_path(left_alone[i]);
		all_left = all_left && exists(path);
		free(path);
	}
	tap_ok(all_left, "cleanup: names that only look similar are left alone");
	path = art_path(".tmp-dir");
	tap_ok(exists(path), "cleanup: a directory named .tmp-* is left alone");
	rmdir(path);
	free(path);
	path = art_path(".tmp-link");
	tap_ok(exists(path) && exists(victim),
		"cleanup: a symlink named .tmp-* and its target stay");
	unlink(path);
	free(path);
	free(victim);

	tap_is_int(rk_artifact_read(store, dir, keep, &back, &len), 0,
		"cleanup: the existing artifact is still readable");
	tap_ok(len == sizeof(data) && back && memcmp(back, data, len) == 0,
		"cleanup: ... with the same bytes");
	free(back);
	tap_is_int(rk_artifact_cleanup(dir), 0, "cleanup: a second run removes nothing");

	path = tmp_path("no-such-dir");
	tap_is_int(rk_artifact_cleanup(path), 0, "cleanup: a missing directory is 0");
	free(path);
	for (i = 0; i < sizeof(left_alone) / sizeof(left_alone[0]); i++) {
		path = art_path(left_alone[i]);
		unlink(path);
		free(path);
	}
}

/* --- enrollment data keys ---------------------------------------------------- */

static void test_enrollment_keys(void)
{
	static const char enroll_sql[] =
		"INSERT INTO enrollments (id, nik, state, return_reason, name, sex, birth_place, "
		"birth_date, blood_type, religion, marital_status, occupation, address, rt, rw, "
		"village, district, citizenship, created, updated) VALUES (%d, '637105570490000%d', "
		"'forwarded', '', 'SITI', 'F', 'X', '1990-04-17', 'O', 'ISLAM', 'KAWIN', 'X', 'X', "
		"'001', '002', 'X', 'X', 'WNI', 0, 0)";
	unsigned char k7[RK_VAULT_WRAPPED_SIZE], again[RK_VAULT_WRAPPED_SIZE];
	unsigned char k8[RK_VAULT_WRAPPED_SIZE], data[3000];
	struct rk_artifact_meta m = new_meta("portrait", "image/jpeg"), got;
	char sql[512], own[RK_ARTIFACT_HANDLE_LEN + 1], *path;
	unsigned char *saved;
	size_t saved_len = 0, len = 0;
	void *back = NULL;
	int err;

	for (int id = 7; id <= 8; id++) {
		snprintf(sql, sizeof(sql), enroll_sql, id, id);
		if (rk_store_exec(store, sql) < 0)
			tap_bail("cannot insert enrollment %d", id);
	}
	fill(data, sizeof(data), 99);
	tap_is_int(rk_artifact_key_get(store, 7, false, k7), -ENOENT,
		"enrollment key: none before the first capture");
	tap_is_int(rk_artifact_key_get(store, 7, true, k7), 0, "enrollment key: made");
	tap_is_int(rk_artifact_key_get(store, 7, true, again), 0, "enrollment key: got again");
	tap_ok(memcmp(k7, again, sizeof(k7)) == 0, "enrollment key: ... the same one, not a new one");
	tap_is_int(rk_artifact_key_get(store, 8, true, k8), 0, "enrollment key: another's made");
	tap_is_int(rk_artifact_key_get(store, 0, true, k8), -EINVAL, "enrollment key: id 0 refused");

	m.key_id = 7;
	memcpy(m.key, k7, sizeof(k7));
	err = rk_artifact_put(store, dir, &m, data, sizeof(data));
	tap_is_int(err, 0, "enrollment key: an artifact sealed under it");
	tap_ok(put_ok(data, sizeof(data), own), "enrollment key: an artifact with its own key");
	tap_is_int(rk_artifact_get_meta(store, m.handle, &got), 0, "enrollment key: get_meta");
	tap_ok(got.key_id == 7 && !got.key_gone && memcmp(got.key, k7, sizeof(k7)) == 0,
		"enrollment key: the metadata names the key and carries it wrapped");
	rk_artifact_meta_clear(&got);
	err = rk_artifact_read(store, dir, m.handle, &back, &len);
	tap_ok(err == 0 && len == sizeof(data) && !memcmp(back, data, len),
		"enrollment key: it reads back");
	free(back);
	back = NULL;

	/* the file under another enrollment's key (a row pointing elsewhere) does not open */
	snprintf(sql, sizeof(sql), "UPDATE artifacts SET key_id = 8 WHERE handle = '%s'", m.handle);
	rk_store_exec(store, sql);
	tap_is_int(rk_artifact_read(store, dir, m.handle, &back, &len), -EBADMSG,
		"enrollment key: another enrollment's key does not open it");
	snprintf(sql, sizeof(sql), "UPDATE artifacts SET key_id = NULL WHERE handle = '%s'",
		m.handle);
	rk_store_exec(store, sql);
	tap_is_int(rk_artifact_read(store, dir, m.handle, &back, &len), -EIO,
		"enrollment key: nor does the station key alone");
	snprintf(sql, sizeof(sql), "UPDATE artifacts SET key_id = 7 WHERE handle = '%s'", m.handle);
	rk_store_exec(store, sql);

	/* crypto-shredding: keep a copy of the file, destroy the key, put the file back */
	path = art_path(m.handle);
	saved = read_whole(path, &saved_len);
	tap_is_int(rk_artifact_key_destroy(store, 7), 0, "enrollment key: destroyed");
	tap_is_int(rk_artifact_key_get(store, 7, true, again), -EKEYREVOKED,
		"enrollment key: a destroyed key is never made again");
	{
		int64_t n = -1;
		sqlite3_stmt *stmt;

		sqlite3_prepare_v2(rk_store_db(store), "SELECT count(*) FROM enrollment_keys "
			"WHERE enrollment = 7 AND wrapped IS NULL AND destroyed > 0", -1, &stmt,
			NULL);
		if (sqlite3_step(stmt) == SQLITE_ROW)
			n = sqlite3_column_int64(stmt, 0);
		sqlite3_finalize(stmt);
		tap_is_int(n, 1, "enrollment key: its row is a tombstone without the key");
	}
	tap_is_int(rk_artifact_get_meta(store, m.handle, &got), 0,
		"enrollment key: the artifact's row is still there");
	tap_ok(got.key_gone, "enrollment key: ... and says its key is gone");
	rk_artifact_meta_clear(&got);
	tap_is_int(rk_artifact_read(store, dir, m.handle, &back, &len), -EKEYREVOKED,
		"enrollment key: the artifact cannot be read any more");
	unlink(path);
	write_file(path, saved, saved_len);
	tap_is_int(rk_artifact_read(store, dir, m.handle, &back, &len), -EKEYREVOKED,
		"enrollment key: not even with its file put back");
	tap_ok(saved && !memmem(saved, saved_len, k7, sizeof(k7)),
		"enrollment key: the file does not hold the wrapped enrollment key");
	tap_ok(back == NULL, "enrollment key: nothing handed out");
	tap_is_int(rk_artifact_key_destroy(store, 8), 0, "enrollment key: another destroyed");
	tap_is_int(rk_artifact_key_get(store, 8, false, again), -EKEYREVOKED,
		"enrollment key: ... and gone as well");
	err = rk_artifact_read(store, dir, own, &back, &len);
	tap_is_int(err, 0, "enrollment key: an artifact with its own key still reads");
	free(back);
	back = NULL;
	err = rk_artifact_get_meta(store, own, &got);
	tap_ok(err == 0 && got.key_id == 0, "enrollment key: ... and names no enrollment key");
	rk_artifact_meta_clear(&got);
	rk_artifact_delete(store, dir, m.handle);
	rk_artifact_delete(store, dir, own);
	free(saved);
	free(path);
}

int main(void)
{
	char *db, *error = NULL;

	umask(022);
	if (!mkdtemp(tmp_dir))
		tap_bail("mkdtemp: %s", strerror(errno));
	db = tmp_path("rekam.db");
	dir = tmp_path("artifacts");
	if (rk_store_open(db, &store, NULL, &error) < 0)
		tap_bail("cannot open %s: %s", db, error);
	{
		char *key = tmp_path("station.key");

		if (rk_vault_open(key) < 0)
			tap_bail("cannot make a station key in %s", key);
		free(key);
	}

	test_refused();
	test_round_trip();
	test_known_digests();
	test_limits();
	test_unique_handles();
	test_damaged();
	test_delete();
	test_bad_handles();
	test_insert_fails();
	test_cleanup();
	test_enrollment_keys();

	rk_store_close(store);
	rk_vault_close();
	if (nftw(tmp_dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS) < 0)
		tap_diag("cannot remove %s: %s", tmp_dir, strerror(errno));
	free(db);
	free(dir);
	return tap_done();
}
