// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * rekam - KTP-el recording station daemon
 *
 * uploader-issuance.c - the issuance report of SOP step 8 (POST
 * /v1/packets/{id}/issuance, docs/central-api.md): once a card is issued,
 * the central server is told its serial and chip UID, exactly once. The
 * report is a row of issuance_reports written in the same transaction as
 * the issued card (rk_issuance_queue()), so a crash can neither lose it nor
 * make a second one; the uploader sends it on its libcurl multi, never
 * blocking the loop, retried with the queue's backoff until the server
 * accepts it (200, the same serial and UID) or refuses it for good (409
 * already_issued, another 4xx). The server answers the same report again
 * with its first answer, so a repeat after a lost answer is harmless.
 * Queued reports go out again when rekamd starts.
 *
 * States (issuance_reports.state): queued -> accepted | refused; a refused
 * one goes back to queued when the supervisor says so (rk_issuance_requeue(),
 * Enrollment.ResendIssuanceReport), once the central office has put right
 * what made its server refuse it.
 */
#include <config.h>

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "daemon/central-reply.h"
#include "daemon/log.h"
#include "daemon/store.h"
#include "daemon/uploader-private.h"

int rk_issuance_queue(struct rk_store *store, int64_t enrollment, const char *id,
		const char *serial, const char *uid)
{
	sqlite3_stmt *st;
	int rc;

	if (!store || enrollment <= 0 || !rk_packet_id_valid(id) || !serial || !*serial ||
			strlen(serial) > 32 || !uid || !*uid || strlen(uid) > 20)
		return -EINVAL;
	st = rk_store_prepare(store, "INSERT OR IGNORE INTO issuance_reports (enrollment, "
			"packet_id, card_serial, chip_uid, state) "
			"VALUES (?1, ?2, ?3, ?4, 'queued')");
	if (!st)
		return -EIO;
	sqlite3_bind_int64(st, 1, enrollment);
	sqlite3_bind_text(st, 2, id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, serial, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, uid, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rc != SQLITE_DONE) {
		rk_error("issuance of enrollment %" PRId64 ": cannot queue the report: %s",
				enrollment, sqlite3_errmsg(rk_store_db(store)));
		return -EIO;
	}
	return 0;
}

int rk_issuance_state(struct rk_store *store, int64_t enrollment, char *state, size_t size)
{
	sqlite3_stmt *st = rk_store_prepare(store, "SELECT state FROM issuance_reports "
			"WHERE enrollment = ?1");
	int rc;

	if (!st)
		return -EIO;
	sqlite3_bind_int64(st, 1, enrollment);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		snprintf(state, size, "%s", (const char *)sqlite3_column_text(st, 0));
	sqlite3_reset(st);
	return rc == SQLITE_ROW ? 0 : rc == SQLITE_DONE ? -ENOENT : -EIO;
}

int rk_issuance_requeue(struct rk_store *store, int64_t enrollment)
{
	sqlite3_stmt *st = rk_store_prepare(store, "UPDATE issuance_reports SET state = 'queued', "
			"attempts = 0, next_attempt = 0, last_error = NULL "
			"WHERE enrollment = ?1 AND state = 'refused'");
	char state[16];
	int rc, changed;

	if (!st)
		return -EIO;
	sqlite3_bind_int64(st, 1, enrollment);
	rc = sqlite3_step(st);
	changed = sqlite3_changes(rk_store_db(store));
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		rk_error("issuance of enrollment %" PRId64 ": cannot queue its report again: %s",
				enrollment, sqlite3_errmsg(rk_store_db(store)));
		return -EIO;
	}
	if (changed == 1)
		return 0;
	rc = rk_issuance_state(store, enrollment, state, sizeof(state));
	return rc < 0 ? rc : -EALREADY;
}

int rk_uploader_listen_issuance(struct rk_uploader *u, rk_issuance_fn fn, void *data)
{
	if (u->issuance_fn)
		return -ENOSPC;
	u->issuance_fn = fn;
	u->issuance_data = data;
	return 0;
}

void rk_uploader_kick(struct rk_uploader *u)
{
	if (u)
		upl_kick(u);
}

/* --- the requests -------------------------------------------------------------------------- */

static struct job *find_issuance(struct rk_uploader *u, int64_t enrollment)
{
	for (struct job *j = u->jobs; j; j = j->next)
		if (j->kind == JOB_ISSUANCE && j->enrollment == enrollment)
			return j;
	return NULL;
}

static int update(struct rk_uploader *u, int64_t enrollment, const char *sql, const char *text,
		int64_t number)
{
	sqlite3_stmt *st = rk_store_prepare(u->store, sql);
	int rc;

	if (!st)
		return -EIO;
	sqlite3_bind_int64(st, 1, enrollment);
	sqlite3_bind_text(st, 2, text, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, number);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rc != SQLITE_DONE) {
		rk_error("issuance of enrollment %" PRId64 ": cannot update its report: %s",
				enrollment, sqlite3_errmsg(rk_store_db(u->store)));
		return -EIO;
	}
	return 0;
}

static int start(struct rk_uploader *u, int64_t enrollment, const char *id, const char *serial,
		const char *uid)
{
	struct job *j = calloc(1, sizeof(*j));
	char *url = NULL;
	int r = -ENOMEM;

	if (!j)
		return -ENOMEM;
	j->u = u;
	j->kind = JOB_ISSUANCE;
	j->enrollment = enrollment;
	memcpy(j->id, id, RK_PACKET_ID_LEN);
	snprintf(j->serial, sizeof(j->serial), "%s", serial);
	snprintf(j->uid, sizeof(j->uid), "%s", uid);
	{
		json_t *o = json_pack("{s:s,s:s}", "card_serial", serial, "chip_uid", uid);

		j->post = o ? json_dumps(o, JSON_COMPACT) : NULL;
		json_decref(o);
	}
	if (!j->post || asprintf(&url, "%s/packets/%s/issuance", u->url, id) < 0) {
		url = NULL;
		goto fail;
	}
	j->easy = upl_new_easy(u, j, url);
	free(url);
	if (!j->easy)
		goto fail;
	j->headers = curl_slist_append(NULL, "Content-Type: application/json");
	curl_easy_setopt(j->easy, CURLOPT_HTTPHEADER, j->headers);
	curl_easy_setopt(j->easy, CURLOPT_POSTFIELDS, j->post);
	curl_easy_setopt(j->easy, CURLOPT_POSTFIELDSIZE, (long)strlen(j->post));
	if (update(u, enrollment, "UPDATE issuance_reports SET attempts = attempts + 1 "
			"WHERE enrollment = ?1", NULL, 0) < 0) {
		r = -EIO;
		goto fail;
	}
	r = rk_curl_event_add(u->curl, j->easy);
	if (r < 0)
		goto fail;
	j->next = u->jobs;
	u->jobs = j;
	u->n_jobs++;
	rk_debug("issuance %s: reporting card %s, chip %s", id, serial, uid);
	return 0;
fail:
	upl_job_free(j);
	rk_error("issuance %s: cannot start the report: %s", id, strerror(-r));
	upl_schedule(u, upl_now_ms() + u->backoff_initial_ms);
	return r;
}

int upl_issuance_kick(struct rk_uploader *u, int64_t now, int64_t *next)
{
	sqlite3_stmt *st = rk_store_prepare(u->store, "SELECT enrollment, packet_id, "
			"card_serial, chip_uid, next_attempt FROM issuance_reports "
			"WHERE state = 'queued' ORDER BY next_attempt");
	struct {
		int64_t enrollment;
		char id[RK_PACKET_ID_LEN + 1], serial[33], uid[21];
	} due[MAX_CONCURRENT];
	unsigned int n = 0;

	if (!st)
		return -EIO;
	while (sqlite3_step(st) == SQLITE_ROW) {
		int64_t enrollment = sqlite3_column_int64(st, 0), at = sqlite3_column_int64(st, 4);
		const char *id = (const char *)sqlite3_column_text(st, 1);
		const char *serial = (const char *)sqlite3_column_text(st, 2);
		const char *uid = (const char *)sqlite3_column_text(st, 3);

		if (find_issuance(u, enrollment) || !id || strlen(id) != RK_PACKET_ID_LEN ||
				!serial || strlen(serial) > 32 || !uid || strlen(uid) > 20)
			continue;
		if (at > now || u->n_jobs + n >= u->max_concurrent) {
			if (at < *next)
				*next = at;
			if (u->n_jobs + n >= u->max_concurrent)
				break;
			continue;
		}
		due[n].enrollment = enrollment;
		memcpy(due[n].id, id, RK_PACKET_ID_LEN + 1);
		snprintf(due[n].serial, sizeof(due[n].serial), "%s", serial);
		snprintf(due[n].uid, sizeof(due[n].uid), "%s", uid);
		n++;
	}
	sqlite3_reset(st);
	for (unsigned int i = 0; i < n; i++)
		start(u, due[i].enrollment, due[i].id, due[i].serial, due[i].uid);
	return 0;
}

/* --- the answers --------------------------------------------------------------------------- */

static void tell(struct rk_uploader *u, struct job *j, bool accepted, const char *reason)
{
	if (u->issuance_fn)
		u->issuance_fn(u, j->enrollment, accepted, reason, u->issuance_data);
}

static void retry_later(struct rk_uploader *u, struct job *j, unsigned int retry_after,
		const char *why)
{
	sqlite3_stmt *st = rk_store_prepare(u->store, "SELECT attempts FROM issuance_reports "
			"WHERE enrollment = ?1");
	unsigned int attempts = 1;
	int64_t at;

	if (st) {
		sqlite3_bind_int64(st, 1, j->enrollment);
		if (sqlite3_step(st) == SQLITE_ROW)
			attempts = (unsigned int)sqlite3_column_int(st, 0);
		sqlite3_reset(st);
	}
	at = upl_now_ms() + upl_backoff_ms(u, attempts, retry_after);
	rk_warn("issuance %s: %s; next try in %.1f s", j->id, why,
			(double)(at - upl_now_ms()) / 1000);
	update(u, j->enrollment, "UPDATE issuance_reports SET last_error = ?2, next_attempt = ?3 "
			"WHERE enrollment = ?1", why, at);
}

void upl_issuance_done(struct rk_uploader *u, struct job *j, CURLcode rc, long http)
{
	struct rk_central_reply r;
	char why[256];

	if (rc != CURLE_OK) {
		snprintf(why, sizeof(why), "the issuance report failed: %s", j->body_too_long ?
				"the answer is too long" : curl_easy_strerror(rc));
		retry_later(u, j, 0, why);
		return;
	}
	rk_central_parse_issuance(http, j->body, j->body_len, j->retry_after, j->id, j->serial,
			j->uid, &r);
	switch (r.verdict) {
	case RK_CENTRAL_ACCEPTED:
		rk_notice("issuance %s: the central server recorded card %s, chip %s", j->id,
				j->serial, j->uid);
		if (update(u, j->enrollment, "UPDATE issuance_reports SET state = 'accepted', "
				"last_error = NULL, accepted_at = ?3 WHERE enrollment = ?1", NULL,
				upl_now_ms() / 1000) == 0)
			tell(u, j, true, "");
		break;
	case RK_CENTRAL_FAILED:
		rk_error("issuance %s: the central server refused the report of card %s: %s",
				j->id, j->serial, r.reason);
		if (update(u, j->enrollment, "UPDATE issuance_reports SET state = 'refused', "
				"last_error = ?2 WHERE enrollment = ?1", r.reason, 0) == 0)
			tell(u, j, false, r.reason);
		break;
	default:
		retry_later(u, j, r.retry_after, r.reason);
		break;
	}
}
