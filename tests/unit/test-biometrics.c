// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * rekam - unit tests
 *
 * test-biometrics.c - daemon/biometrics.c without a bus: an enrollment's
 * biometrics are destroyed only when it is collected AND its issuance report
 * is accepted (neither alone, nor with a refused report); then its data key
 * is a tombstone, its captures, artifact rows and files are gone, and the
 * audit has one enrollment.biometrics-destroyed. After a restart, a
 * destruction cut short after the key went is finished without a second
 * audit entry, and one whose trigger came while rekamd was down is made.
 */
#include <config.h>

#include <errno.h>
#include <stdarg.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "daemon/artifact.h"
#include "daemon/biometrics.h"
#include "daemon/daemon.h"
#include "daemon/enrollment.h"
#include "daemon/store.h"
#include "daemon/uploader.h"
#include "daemon/vault.h"
#include "tap.h"

#define PACKET "3f2c8a1e-5b7d-4c2a-9e61-0d4b8f7a1c0"

static char tmp_dir[] = "/tmp/rekam-test-biometrics-XXXXXX";
static char art_dir[300];
static struct rk_daemon d;

static long long sql_int(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void exec(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static long long sql_int(const char *fmt, ...)
{
	char sql[512];
	sqlite3_stmt *stmt;
	long long v = -1;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(sql, sizeof(sql), fmt, ap);
	va_end(ap);
	stmt = rk_store_prepare(d.store, sql);
	if (stmt && sqlite3_step(stmt) == SQLITE_ROW)
		v = sqlite3_column_int64(stmt, 0);
	if (stmt)
		sqlite3_reset(stmt);
	return v;
}

static void exec(const char *fmt, ...)
{
	char sql[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(sql, sizeof(sql), fmt, ap);
	va_end(ap);
	if (rk_store_exec(d.store, sql) < 0)
		tap_bail("%s failed", sql);
}

static bool file_exists(const char *handle)
{
	char path[400];

	snprintf(path, sizeof(path), "%s/%s", art_dir, handle);
	return access(path, F_OK) == 0;
}

/* A collected enrollment of @nik with three artifacts under its key; their
 * handles into @handles. */
static struct rk_enrollment *collected(const char *nik, char handles[3][RK_ARTIFACT_HANDLE_LEN + 1])
{
	static const char *const items[3][2] = { { "portrait", "portrait" },
		{ "fingerprint-left-slap", "fingerprint-left-index" },
		{ "document-kk", "kk" } };
	unsigned char key[RK_VAULT_WRAPPED_SIZE], data[2000];
	struct rk_enrollment *e = NULL;
	struct rk_applicant a;
	char why[RK_WHY_SIZE];

	memset(&a, 0, sizeof(a));
	if (rk_applicant_set(&a, "Nik", nik, why, sizeof(why)) < 0 ||
			rk_applicant_set(&a, "Name", "SITI AMINAH", why, sizeof(why)) < 0 ||
			rk_applicant_set(&a, "Sex", "female", why, sizeof(why)) < 0 ||
			rk_applicant_set(&a, "BirthPlace", "Rantau", why, sizeof(why)) < 0 ||
			rk_applicant_set(&a, "BirthDate", "1990-04-17", why, sizeof(why)) < 0 ||
			rk_applicant_set(&a, "MaritalStatus", "married", why, sizeof(why)) < 0 ||
			rk_enrollments_submit(d.enrollments, &a, RK_ROLE_FRONT_OFFICE, 0, &e) < 0)
		tap_bail("cannot submit %s: %s", nik, why);
	if (rk_artifact_key_get(d.store, e->id, true, key) < 0)
		tap_bail("no data key");
	for (int i = 0; i < 3; i++) {
		struct rk_artifact_meta m = { .kind = (char *)items[i][1],
			.format = (char *)"application/octet-stream", .quality = -1,
			.key_id = e->id };
		const char *h, *k = items[i][1];
		char **old = NULL;
		size_t n_old = 0;

		memcpy(m.key, key, sizeof(key));
		memset(data, 'a' + i, sizeof(data));
		if (rk_artifact_put(d.store, art_dir, &m, data, sizeof(data)) < 0)
			tap_bail("cannot put an artifact");
		memcpy(handles[i], m.handle, sizeof(m.handle));
		h = handles[i];
		if (rk_enrollment_link(e, items[i][0], &h, &k, 1, &old, &n_old) < 0)
			tap_bail("cannot link an artifact");
		rk_strv_free(old, n_old);
	}
	if (rk_enrollment_save(e, RK_ENR_COLLECTED, 10, RK_ROLE_HANDOVER, 0, NULL, NULL, NULL,
			NULL) < 0)
		tap_bail("cannot move enrollment %lld to collected", (long long)e->id);
	return e;
}

static void reload(void)
{
	rk_enrollments_free(d.enrollments);
	d.enrollments = rk_enrollments_new(d.store, NULL, NULL);
	if (!d.enrollments)
		tap_bail("cannot load the enrollments");
}

static bool all_gone(int64_t id, char handles[3][RK_ARTIFACT_HANDLE_LEN + 1])
{
	int files = 0;

	for (int i = 0; i < 3; i++)
		files += file_exists(handles[i]);
	return files == 0 && sql_int("SELECT count(*) FROM artifacts WHERE key_id = %lld",
		(long long)id) == 0 && sql_int("SELECT count(*) FROM enrollment_captures WHERE "
		"enrollment = %lld", (long long)id) == 0;
}

static void test_both_needed(void)
{
	char h[3][RK_ARTIFACT_HANDLE_LEN + 1];
	struct rk_enrollment *e = collected("6371055704900001", h);
	void *back = NULL;
	size_t len = 0;

	rk_biometrics_check(&d, e);
	tap_ok(e->biometrics_destroyed == 0 && e->n_captures == 3 && file_exists(h[0]),
		"collected, no issuance report: the biometrics stay");
	tap_is_int(rk_issuance_queue(d.store, e->id, PACKET "1", "K-0001", "04A1B2C3D4E5F6"), 0,
		"the issuance report queued");
	tap_is_int(rk_issuance_queue(d.store, e->id, PACKET "1", "K-0002", "04A1B2C3D4E5F6"), 0,
		"... queuing it again changes nothing");
	tap_is_int(sql_int("SELECT count(*) FROM issuance_reports WHERE enrollment = %lld AND "
		"card_serial = 'K-0001'", (long long)e->id), 1, "... it is still K-0001's");
	tap_is_int(rk_issuance_queue(d.store, e->id, "not-a-packet", "K-0001", "04A1B2C3D4E5F6"),
		-EINVAL, "a report without a packet id is refused");
	rk_biometrics_check(&d, e);
	tap_ok(e->biometrics_destroyed == 0 && e->n_captures == 3,
		"collected, report queued: the biometrics stay");
	exec("UPDATE issuance_reports SET state = 'accepted' WHERE enrollment = %lld",
		(long long)e->id);
	rk_biometrics_issuance_accepted(&d, (long long)e->id);
	tap_ok(e->biometrics_destroyed > 0, "collected and accepted: BiometricsDestroyed set");
	tap_ok(e->n_captures == 0 && all_gone(e->id, h),
		"... captures, artifact rows and files are gone");
	tap_is_int(sql_int("SELECT count(*) FROM enrollment_keys WHERE enrollment = %lld AND "
		"wrapped IS NULL", (long long)e->id), 1, "... the data key is a tombstone");
	tap_is_int(sql_int("SELECT biometrics_destroyed > 0 FROM enrollments WHERE id = %lld",
		(long long)e->id), 1, "... stored in the enrollment's row");
	tap_is_int(sql_int("SELECT count(*) FROM audit WHERE action = "
		"'enrollment.biometrics-destroyed' AND enrollment = '%lld'", (long long)e->id), 1,
		"... audited once");
	tap_is_int(rk_artifact_read(d.store, art_dir, h[0], &back, &len), -ENOENT,
		"... reading an artifact of it: -ENOENT");
	rk_biometrics_check(&d, e);
	tap_is_int(sql_int("SELECT count(*) FROM audit WHERE action = "
		"'enrollment.biometrics-destroyed' AND enrollment = '%lld'", (long long)e->id), 1,
		"checking again changes nothing");
}

static void test_refused(void)
{
	char h[3][RK_ARTIFACT_HANDLE_LEN + 1];
	struct rk_enrollment *e = collected("6371055704900002", h);

	rk_issuance_queue(d.store, e->id, PACKET "2", "K-0003", "04A1B2C3D4E5F7");
	exec("UPDATE issuance_reports SET state = 'refused' WHERE enrollment = %lld",
		(long long)e->id);
	rk_biometrics_check(&d, e);
	tap_ok(e->biometrics_destroyed == 0 && e->n_captures == 3 && file_exists(h[1]),
		"a refused report: the biometrics stay for a person to look at");
}

static void test_restart(void)
{
	char h1[3][RK_ARTIFACT_HANDLE_LEN + 1], h2[3][RK_ARTIFACT_HANDLE_LEN + 1];
	struct rk_enrollment *e1 = collected("6371055704900003", h1);
	struct rk_enrollment *e2 = collected("6371055704900004", h2);
	int64_t id1 = e1->id, id2 = e2->id;

	/* e1: a crash after step 1 (key destroyed, marked) */
	rk_issuance_queue(d.store, id1, PACKET "3", "K-0004", "04A1B2C3D4E5F8");
	exec("UPDATE issuance_reports SET state = 'accepted' WHERE enrollment = %lld",
		(long long)id1);
	if (rk_artifact_key_destroy(d.store, (long long)id1) < 0)
		tap_bail("cannot destroy a key");
	exec("UPDATE enrollments SET biometrics_destroyed = 1700000000 WHERE id = %lld",
		(long long)id1);
	/* e2: accepted while rekamd was down */
	rk_issuance_queue(d.store, id2, PACKET "4", "K-0005", "04A1B2C3D4E5F9");
	exec("UPDATE issuance_reports SET state = 'accepted' WHERE enrollment = %lld",
		(long long)id2);
	reload();
	e1 = rk_enrollments_find(d.enrollments, (long long)id1);
	e2 = rk_enrollments_find(d.enrollments, (long long)id2);
	tap_ok(e1 && e1->biometrics_destroyed == 1700000000 && e1->n_captures == 3 &&
		e2 && e2->biometrics_destroyed == 0,
		"after a restart: both are loaded as they stood");
	rk_biometrics_resume(&d);
	tap_ok(e1->n_captures == 0 && all_gone(id1, h1),
		"the destruction cut short is finished at start");
	tap_is_int(sql_int("SELECT count(*) FROM audit WHERE action = "
		"'enrollment.biometrics-destroyed' AND enrollment = '%lld'", (long long)id1), 0,
		"... without a second audit entry");
	tap_is_int(e1->biometrics_destroyed, 1700000000, "... keeping its time");
	tap_ok(e2->biometrics_destroyed > 0 && e2->n_captures == 0 && all_gone(id2, h2),
		"the one accepted while rekamd was down is destroyed at start");
	tap_is_int(sql_int("SELECT count(*) FROM audit WHERE action = "
		"'enrollment.biometrics-destroyed' AND enrollment = '%lld'", (long long)id2), 1,
		"... and audited");
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

int main(void)
{
	char path[300], *error = NULL;

	umask(022);
	if (!mkdtemp(tmp_dir))
		tap_bail("mkdtemp");
	snprintf(path, sizeof(path), "%s/station.key", tmp_dir);
	if (rk_vault_open(path) < 0)
		tap_bail("no station key");
	snprintf(path, sizeof(path), "%s/rekam.db", tmp_dir);
	if (rk_store_open(path, &d.store, NULL, &error) < 0)
		tap_bail("cannot open %s: %s", path, error);
	d.state_dir = tmp_dir;
	snprintf(art_dir, sizeof(art_dir), "%s/artifacts", tmp_dir);
	d.enrollments = rk_enrollments_new(d.store, NULL, NULL);
	if (!d.enrollments)
		tap_bail("no enrollments");

	test_both_needed();
	test_refused();
	test_restart();

	rk_enrollments_free(d.enrollments);
	rk_store_close(d.store);
	rk_vault_close();
	nftw(tmp_dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
	return tap_done();
}
