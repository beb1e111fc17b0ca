// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * rekam - KTP-el recording station daemon
 *
 * biometrics.c - the end of an applicant's data on the station: once the
 * card is collected (step 10) AND the central server has accepted the
 * issuance report (uploader-issuance.c), whichever comes last, every
 * artifact step 5 took for the enrollment (portrait, fingerprints, irises,
 * signature, and the document scans too: docs/SECURITY.md says why) is
 * destroyed.
 *
 * In this order, so that a crash at any instant resumes at start
 * (rk_biometrics_resume()):
 *   1. one transaction: the enrollment's data key destroyed (artifact.h:
 *      from here on nothing of it can be read, whatever file survives),
 *      enrollments.biometrics_destroyed set, and the audit entry
 *      enrollment.biometrics-destroyed; then the WAL is checkpointed and
 *      truncated, so the wrapped key is not left in it either;
 *   2. each item's links removed and its artifacts deleted (row, then
 *      file). An enrollment with biometrics_destroyed set and captures left
 *      is at this step: it is finished at start.
 */
#include <config.h>

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sqlite3.h>

#include "daemon/artifact.h"
#include "daemon/audit.h"
#include "daemon/biometrics.h"
#include "daemon/daemon.h"
#include "daemon/log.h"
#include "daemon/pipeline.h"
#include "daemon/store.h"
#include "daemon/uploader.h"

struct destroy_txn {
	int64_t at;
	size_t n;
};

static int destroy_txn(struct rk_store *store, struct rk_enrollment *e, void *data)
{
	struct destroy_txn *t = data;
	sqlite3_stmt *st;
	char id[24], detail[128];
	int rc, err;

	err = rk_artifact_key_destroy(store, e->id);
	if (err)
		return err;
	st = rk_store_prepare(store, "UPDATE enrollments SET biometrics_destroyed = ?2 "
			"WHERE id = ?1");
	if (!st)
		return -EIO;
	sqlite3_bind_int64(st, 1, e->id);
	sqlite3_bind_int64(st, 2, t->at);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return -EIO;
	snprintf(id, sizeof(id), "%" PRId64, e->id);
	snprintf(detail, sizeof(detail), "data key destroyed; %zu artifact%s removed", t->n,
		t->n == 1 ? "" : "s");
	return rk_audit_append(store, &(struct rk_audit_entry){
		.actor = "rekamd",
		.role = "",
		.action = "enrollment.biometrics-destroyed",
		.enrollment = id,
		.nik = e->applicant.nik,
		.result = "ok",
		.detail = detail,
	});
}

/* Step 2: unlink every item of @e and delete its artifacts. */
static void remove_captures(struct rk_daemon *d, struct rk_enrollment *e)
{
	char dir[4096];

	snprintf(dir, sizeof(dir), "%s/artifacts", d->state_dir);
	while (e->n_captures > 0) {
		char *item = strdup(e->captures[0].item), **old = NULL;
		size_t n_old = 0;
		int err;

		if (!item)
			return;
		err = rk_enrollment_link(e, item, NULL, NULL, 0, &old, &n_old);
		free(item);
		if (err) {
			rk_error("enrollment %" PRId64 ": cannot unlink its captures (%s); tried "
				"again at the next start", e->id, strerror(-err));
			return;
		}
		for (size_t i = 0; i < n_old; i++)
			rk_artifact_delete(d->store, dir, old[i]);
		rk_strv_free(old, n_old);
	}
}

static bool issuance_accepted(struct rk_daemon *d, struct rk_enrollment *e)
{
	char state[16];

	return rk_issuance_state(d->store, e->id, state, sizeof(state)) == 0 &&
		strcmp(state, "accepted") == 0;
}

void rk_biometrics_check(struct rk_daemon *d, struct rk_enrollment *e)
{
	struct destroy_txn t = { .at = (int64_t)time(NULL), .n = e->n_captures };
	int err;

	if (!e->biometrics_destroyed) {
		if (e->state != RK_ENR_COLLECTED || !issuance_accepted(d, e))
			return;
		err = rk_enrollment_save(e, e->state, 0, RK_ROLE_HANDOVER, 0, NULL, NULL,
			destroy_txn, &t);
		if (err) {
			rk_error("enrollment %" PRId64 ": cannot destroy its biometrics (%s); "
				"tried again at the next start", e->id, strerror(-err));
			return;
		}
		e->biometrics_destroyed = t.at;
		/* the wrapped key must not linger in the WAL either */
		if (rk_store_exec(d->store, "PRAGMA wal_checkpoint(TRUNCATE)") < 0)
			rk_warn("enrollment %" PRId64 ": the database's WAL could not be truncated",
				e->id);
		rk_notice("enrollment %" PRId64 ": card collected and issuance confirmed: its "
			"data key is destroyed, its %zu artifact%s go", e->id, t.n,
			t.n == 1 ? "" : "s");
	}
	remove_captures(d, e);
	rk_pipeline_work_changed(d, e);
}

void rk_biometrics_issuance_accepted(struct rk_daemon *d, int64_t id)
{
	struct rk_enrollment *e = d->enrollments ? rk_enrollments_find(d->enrollments, id) : NULL;

	if (e)
		rk_biometrics_check(d, e);
}

void rk_biometrics_resume(struct rk_daemon *d)
{
	for (size_t i = 0; i < rk_enrollments_count(d->enrollments); i++) {
		struct rk_enrollment *e = rk_enrollments_at(d->enrollments, i);

		if (e->state == RK_ENR_COLLECTED && (!e->biometrics_destroyed || e->n_captures))
			rk_biometrics_check(d, e);
	}
}
