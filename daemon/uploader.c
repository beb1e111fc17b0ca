// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * rekam - KTP-el recording station daemon
 *
 * uploader.c - the upload queue (see uploader.h): rows in the uploads
 * table, a timer that starts every due request up to the concurrency
 * bound (the requests and their answers are in uploader-request.c), and
 * the public functions. Every row change is written before the next
 * request it allows, so that a crash at any point resumes with the same
 * packet id: at worst the submit is sent again, and the server answers it
 * with its first answer.
 */
#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/rand.h>

#include "daemon/log.h"
#include "daemon/store.h"
#include "daemon/uploader-private.h"

static const char *const state_names[] = {
	[RK_UPLOAD_QUEUED] = "queued",
	[RK_UPLOAD_SENDING] = "sending",
	[RK_UPLOAD_SUBMITTED] = "submitted",
	[RK_UPLOAD_PRINT_READY] = "print_ready",
	[RK_UPLOAD_DUPLICATE] = "duplicate",
	[RK_UPLOAD_REJECTED] = "rejected",
	[RK_UPLOAD_FAILED] = "failed",
};

const char *rk_upload_state_name(enum rk_upload_state state)
{
	if ((unsigned int)state >= sizeof(state_names) / sizeof(state_names[0]))
		return "unknown";
	return state_names[state];
}

bool rk_upload_state_final(enum rk_upload_state state)
{
	return state >= RK_UPLOAD_PRINT_READY;
}

int64_t upl_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

struct job *upl_find_job(struct rk_uploader *u, const char *id)
{
	for (struct job *j = u->jobs; j; j = j->next)
		if (j->kind != JOB_ISSUANCE && strcmp(j->id, id) == 0)
			return j;
	return NULL;
}

/* --- rows ---------------------------------------------------------------------------------- */

#define ROW_COLUMNS "packet_id, state, queued_since, attempts, failures, next_attempt, " \
	"bytes_total, reason, duplicate_of, last_error"

static void text_into(char *dst, size_t size, sqlite3_stmt *st, int col)
{
	const unsigned char *t = sqlite3_column_text(st, col);

	snprintf(dst, size, "%s", t ? (const char *)t : "");
}

static void row_info(struct rk_uploader *u, sqlite3_stmt *st, struct rk_upload_info *info)
{
	const char *state = (const char *)sqlite3_column_text(st, 1);
	struct job *j;

	memset(info, 0, sizeof(*info));
	text_into(info->packet_id, sizeof(info->packet_id), st, 0);
	info->state = RK_UPLOAD_QUEUED;
	for (unsigned int i = 0; state && i < sizeof(state_names) / sizeof(state_names[0]); i++)
		if (strcmp(state, state_names[i]) == 0)
			info->state = (enum rk_upload_state)i;
	info->queued_since = sqlite3_column_int64(st, 2);
	info->attempts = (unsigned int)sqlite3_column_int(st, 3);
	info->failures = (unsigned int)sqlite3_column_int(st, 4);
	info->next_attempt_ms = sqlite3_column_int64(st, 5);
	info->bytes_total = (uint64_t)sqlite3_column_int64(st, 6);
	text_into(info->reason, sizeof(info->reason), st, 7);
	text_into(info->duplicate_of, sizeof(info->duplicate_of), st, 8);
	text_into(info->last_error, sizeof(info->last_error), st, 9);
	j = upl_find_job(u, info->packet_id);
	if (j && j->kind == JOB_SUBMIT) {
		info->state = RK_UPLOAD_SENDING;
		info->bytes_sent = j->sent;
		if (j->total)
			info->bytes_total = j->total;
	}
}

int rk_uploader_get(struct rk_uploader *u, const char *id, struct rk_upload_info *info)
{
	sqlite3_stmt *st = rk_store_prepare(u->store, "SELECT " ROW_COLUMNS
			" FROM uploads WHERE packet_id = ?");
	int rc;

	if (!st)
		return -EIO;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		row_info(u, st, info);
	sqlite3_reset(st);
	return rc == SQLITE_ROW ? 0 : rc == SQLITE_DONE ? -ENOENT : -EIO;
}

static void notify(struct rk_uploader *u, const struct rk_upload_info *info)
{
	for (unsigned int i = 0; i < u->n_listeners; i++)
		u->listeners[i].fn(u, info, u->listeners[i].data);
}

void upl_notify_packet(struct rk_uploader *u, const char *id)
{
	struct rk_upload_info info;

	if (rk_uploader_get(u, id, &info) == 0)
		notify(u, &info);
}

/* Recount the queue; tell the listeners when it or reachability changed. */
void upl_update_queue(struct rk_uploader *u, bool reachable)
{
	sqlite3_stmt *st = rk_store_prepare(u->store, "SELECT COUNT(*), COALESCE(MIN("
			"queued_since), 0) FROM uploads WHERE state = 'queued'");
	unsigned int n = u->queue_length;
	int64_t oldest = u->oldest;

	if (st && sqlite3_step(st) == SQLITE_ROW) {
		n = (unsigned int)sqlite3_column_int(st, 0);
		oldest = sqlite3_column_int64(st, 1);
	}
	if (st)
		sqlite3_reset(st);
	if (n == u->queue_length && oldest == u->oldest && reachable == u->reachable)
		return;
	u->queue_length = n;
	u->oldest = oldest;
	u->reachable = reachable;
	notify(u, NULL);
}

/* Run one UPDATE of the row @id: @sql with ?1 the id, ?2 and ?3 text, ?4
 * and ?5 integers (parameters the statement does not use are ignored). */
int upl_update_row(struct rk_uploader *u, const char *sql, const char *id, const char *t2,
		const char *t3, int64_t i4, int64_t i5)
{
	sqlite3_stmt *st = rk_store_prepare(u->store, sql);
	int rc;

	if (!st)
		return -EIO;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, t2, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, t3, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, i4);
	sqlite3_bind_int64(st, 5, i5);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		rk_error("upload %s: cannot update the queue: %s", id,
				sqlite3_errmsg(rk_store_db(u->store)));
		return -EIO;
	}
	return 0;
}

/* --- scheduling -------------------------------------------------------------------------- */

void upl_schedule(struct rk_uploader *u, int64_t at_ms)
{
	int64_t delay = at_ms - upl_now_ms();
	struct timeval tv;

	if (u->kick_at_ms && evtimer_pending(u->kick, NULL) && u->kick_at_ms <= at_ms)
		return; /* an earlier wake-up is set */
	if (delay < 0)
		delay = 0;
	tv.tv_sec = (time_t)(delay / 1000);
	tv.tv_usec = (suseconds_t)(delay % 1000 * 1000);
	u->kick_at_ms = at_ms;
	evtimer_add(u->kick, &tv);
}

/* Look at the queue soon (on the next loop turn). */
void upl_kick(struct rk_uploader *u)
{
	event_active(u->kick_now, EV_TIMEOUT, 0);
}

/* The delay before retry number @failures: exponential, with jitter in
 * [d/2, d], never below @retry_after seconds. */
int64_t upl_backoff_ms(struct rk_uploader *u, unsigned int failures, unsigned int retry_after)
{
	uint64_t d = u->backoff_initial_ms;
	uint32_t r = 0;

	for (unsigned int i = 1; i < failures && d < u->backoff_max_ms; i++)
		d *= 2;
	if (d > u->backoff_max_ms)
		d = u->backoff_max_ms;
	RAND_bytes((unsigned char *)&r, sizeof(r));
	d = d / 2 + (d / 2 + 1) * r / UINT32_MAX;
	if (d < (uint64_t)retry_after * 1000)
		d = (uint64_t)retry_after * 1000;
	return (int64_t)d;
}

/* Start every due request while there is room; wake up for the next one. */
static void on_kick(evutil_socket_t fd, short what, void *arg)
{
	struct rk_uploader *u = arg;
	sqlite3_stmt *st = rk_store_prepare(u->store, "SELECT packet_id, state, next_attempt "
			"FROM uploads WHERE state IN ('queued', 'submitted') ORDER BY next_attempt");
	int64_t now = upl_now_ms(), next = INT64_MAX;
	char ids[MAX_CONCURRENT][RK_PACKET_ID_LEN + 1];
	enum job_kind kinds[MAX_CONCURRENT];
	unsigned int n = 0;

	if (!evtimer_pending(u->kick, NULL))
		u->kick_at_ms = 0;
	if (!st)
		return;
	while (sqlite3_step(st) == SQLITE_ROW) {
		const char *id = (const char *)sqlite3_column_text(st, 0);
		const char *state = (const char *)sqlite3_column_text(st, 1);
		int64_t at = sqlite3_column_int64(st, 2);

		if (!id || upl_find_job(u, id))
			continue;
		if (at > now || u->n_jobs + n >= u->max_concurrent) {
			if (at < next)
				next = at;
			if (u->n_jobs + n >= u->max_concurrent)
				break; /* a finished job kicks again */
			continue;
		}
		if (strlen(id) != RK_PACKET_ID_LEN)
			continue;
		memcpy(ids[n], id, RK_PACKET_ID_LEN + 1);
		kinds[n] = strcmp(state, "queued") == 0 ? JOB_SUBMIT : JOB_POLL;
		n++;
	}
	sqlite3_reset(st);
	for (unsigned int i = 0; i < n; i++)
		upl_start_job(u, ids[i], kinds[i]);
	upl_issuance_kick(u, now, &next);
	if (next != INT64_MAX)
		upl_schedule(u, next);
}

/* --- the queue ----------------------------------------------------------------------------- */

static uint64_t packet_size(const char *outbox, const char *id, int *err)
{
	curl_mime *mime = NULL;
	uint64_t total = 0;
	CURL *e = curl_easy_init();

	*err = e ? rk_packet_mime(e, outbox, id, &mime, &total) : -ENOMEM;
	curl_mime_free(mime);
	curl_easy_cleanup(e);
	return total;
}

int rk_uploader_enqueue(struct rk_uploader *u, const char *id)
{
	sqlite3_stmt *st;
	uint64_t size;
	int err, rc;

	if (!rk_packet_id_valid(id))
		return -EINVAL;
	size = packet_size(u->outbox, id, &err);
	if (err < 0)
		return err;
	st = rk_store_prepare(u->store, "INSERT OR IGNORE INTO uploads (packet_id, state, "
			"queued_since, bytes_total) VALUES (?, 'queued', ?, ?)");
	if (!st)
		return -EIO;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (int64_t)time(NULL));
	sqlite3_bind_int64(st, 3, (int64_t)size);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		rk_error("upload %s: cannot queue it: %s", id, sqlite3_errmsg(rk_store_db(u->store)));
		return -EIO;
	}
	if (sqlite3_changes(rk_store_db(u->store)) == 0)
		return 0;
	rk_info("upload %s: queued (%llu bytes)", id, (unsigned long long)size);
	upl_update_queue(u, u->reachable);
	upl_notify_packet(u, id);
	upl_kick(u);
	return 0;
}

int rk_uploader_listen(struct rk_uploader *u, rk_upload_fn fn, void *data)
{
	if (u->n_listeners == MAX_LISTENERS)
		return -ENOSPC;
	u->listeners[u->n_listeners++] = (struct listener){ fn, data };
	return 0;
}

unsigned int rk_uploader_queue_length(const struct rk_uploader *u)
{
	return u->queue_length;
}

int64_t rk_uploader_oldest(const struct rk_uploader *u)
{
	return u->oldest;
}

bool rk_uploader_reachable(const struct rk_uploader *u)
{
	return u->reachable;
}

static char *dup_trimmed_url(const char *url)
{
	size_t n = strlen(url);

	while (n && url[n - 1] == '/')
		n--;
	return strndup(url, n);
}

static int check_file(const char *what, const char *path, char **error)
{
	if (!path || !*path) {
		if (asprintf(error, "the central server's %s is not configured", what) < 0)
			*error = NULL;
		return -EINVAL;
	}
	if (access(path, R_OK) < 0) {
		if (asprintf(error, "cannot read the %s %s: %s", what, path, strerror(errno)) < 0)
			*error = NULL;
		return -errno;
	}
	return 0;
}

struct rk_uploader *rk_uploader_new(struct event_base *base, struct rk_store *store,
		const char *outbox, const struct rk_uploader_config *c, char **error)
{
	struct rk_uploader *u;

	*error = NULL;
	if (!c->url || strncmp(c->url, "https://", 8) != 0) {
		if (asprintf(error, "the central server's URL must start with https://") < 0)
			*error = NULL;
		return NULL;
	}
	if (check_file("CA certificate", c->ca, error) < 0 ||
			check_file("station certificate", c->cert, error) < 0 ||
			check_file("station key", c->key, error) < 0)
		return NULL;
	if (c->max_concurrent > MAX_CONCURRENT) {
		if (asprintf(error, "at most %d concurrent uploads", MAX_CONCURRENT) < 0)
			*error = NULL;
		return NULL;
	}
	u = calloc(1, sizeof(*u));
	if (!u)
		return NULL;
	u->base = base;
	u->store = store;
	u->max_concurrent = c->max_concurrent ? c->max_concurrent : 2;
	u->backoff_initial_ms = c->backoff_initial_ms ? c->backoff_initial_ms : 1000;
	u->backoff_max_ms = c->backoff_max_ms ? c->backoff_max_ms : 300000;
	if (u->backoff_max_ms < u->backoff_initial_ms)
		u->backoff_max_ms = u->backoff_initial_ms;
	u->connect_timeout_s = c->connect_timeout_s ? c->connect_timeout_s : 15;
	u->stall_timeout_s = c->stall_timeout_s ? c->stall_timeout_s : 60;
	u->outbox = strdup(outbox);
	u->url = dup_trimmed_url(c->url);
	u->ca = strdup(c->ca);
	u->cert = strdup(c->cert);
	u->key = strdup(c->key);
	u->curl = rk_curl_event_new(base, upl_on_done, u);
	u->kick = evtimer_new(base, on_kick, u);
	u->kick_now = event_new(base, -1, 0, on_kick, u);
	if (!u->outbox || !u->url || !u->ca || !u->cert || !u->key || !u->curl || !u->kick ||
			!u->kick_now) {
		rk_uploader_free(u);
		return NULL;
	}
	u->queue_length = UINT32_MAX; /* so that the first count is news */
	upl_update_queue(u, false);
	upl_kick(u);
	return u;
}

void rk_uploader_free(struct rk_uploader *u)
{
	if (!u)
		return;
	while (u->jobs) {
		struct job *j = u->jobs;

		u->jobs = j->next;
		rk_curl_event_remove(u->curl, j->easy);
		upl_job_free(j);
	}
	rk_curl_event_free(u->curl);
	if (u->kick)
		event_free(u->kick);
	if (u->kick_now)
		event_free(u->kick_now);
	free(u->outbox);
	free(u->url);
	free(u->ca);
	free(u->cert);
	free(u->key);
	free(u);
}
