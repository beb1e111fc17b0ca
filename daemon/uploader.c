// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * rekam - KTP-el recording station daemon
 *
 * uploader.c - the upload queue (see uploader.h): rows in the uploads
 * table, a timer that starts every due request up to the concurrency
 * bound, the requests themselves (a streamed submit, a status poll) on
 * libcurl multi, and what each answer does to the row. Every row change is
 * written before the next request it allows, so that a crash at any point
 * resumes with the same packet id: at worst the submit is sent again, and
 * the server answers it with its first answer.
 */
#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/rand.h>

#include "daemon/central-reply.h"
#include "daemon/curl-event.h"
#include "daemon/log.h"
#include "daemon/store.h"
#include "daemon/uploader.h"

#define MAX_LISTENERS 8
#define MAX_CONCURRENT 16
#define PROGRESS_STEP (256u << 10) /* bytes between progress notifications */

struct listener {
	rk_upload_fn fn;
	void *data;
};

enum job_kind { JOB_SUBMIT, JOB_POLL };

struct job {
	struct rk_uploader *u;
	enum job_kind kind;
	char id[RK_PACKET_ID_LEN + 1];
	CURL *easy;
	curl_mime *mime;
	struct curl_slist *headers;
	char *body;
	size_t body_len;
	bool body_too_long;
	char retry_after[64];
	uint64_t sent, total, notified;
	struct job *next;
};

struct rk_uploader {
	struct event_base *base;
	struct rk_store *store;
	char *outbox;
	char *url;
	char *ca, *cert, *key;
	unsigned int max_concurrent, backoff_initial_ms, backoff_max_ms;
	unsigned int connect_timeout_s, stall_timeout_s;

	struct rk_curl_event *curl;
	struct event *kick;     /* the timer of the next due request */
	struct event *kick_now; /* the same, on the next loop turn */
	int64_t kick_at_ms;     /* when kick fires, 0: not set */
	struct job *jobs;
	unsigned int n_jobs;
	struct listener listeners[MAX_LISTENERS];
	unsigned int n_listeners;

	unsigned int queue_length;
	int64_t oldest;
	bool reachable;
};

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

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static struct job *find_job(struct rk_uploader *u, const char *id)
{
	for (struct job *j = u->jobs; j; j = j->next)
		if (strcmp(j->id, id) == 0)
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
	j = find_job(u, info->packet_id);
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

static void notify_packet(struct rk_uploader *u, const char *id)
{
	struct rk_upload_info info;

	if (rk_uploader_get(u, id, &info) == 0)
		notify(u, &info);
}

/* Recount the queue; tell the listeners when it or reachability changed. */
static void update_queue(struct rk_uploader *u, bool reachable)
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
static int update_row(struct rk_uploader *u, const char *sql, const char *id, const char *t2,
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

static void schedule(struct rk_uploader *u, int64_t at_ms)
{
	int64_t delay = at_ms - now_ms();
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
static void kick(struct rk_uploader *u)
{
	event_active(u->kick_now, EV_TIMEOUT, 0);
}

/* The delay before retry number @failures: exponential, with jitter in
 * [d/2, d], never below @retry_after seconds. */
static int64_t backoff_ms(struct rk_uploader *u, unsigned int failures, unsigned int retry_after)
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

static int start_job(struct rk_uploader *u, const char *id, enum job_kind kind);

/* Start every due request while there is room; wake up for the next one. */
static void on_kick(evutil_socket_t fd, short what, void *arg)
{
	struct rk_uploader *u = arg;
	sqlite3_stmt *st = rk_store_prepare(u->store, "SELECT packet_id, state, next_attempt "
			"FROM uploads WHERE state IN ('queued', 'submitted') ORDER BY next_attempt");
	int64_t now = now_ms(), next = INT64_MAX;
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

		if (!id || find_job(u, id))
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
		start_job(u, ids[i], kinds[i]);
	if (next != INT64_MAX)
		schedule(u, next);
}

/* --- requests ------------------------------------------------------------------------------ */

static size_t on_body(char *data, size_t size, size_t n, void *arg)
{
	struct job *j = arg;
	size_t len = size * n;
	char *more;

	if (j->body_len + len > RK_CENTRAL_BODY_MAX) {
		j->body_too_long = true;
		return 0; /* ends the transfer: CURLE_WRITE_ERROR */
	}
	more = realloc(j->body, j->body_len + len + 1);
	if (!more)
		return 0;
	memcpy(more + j->body_len, data, len);
	j->body = more;
	j->body_len += len;
	j->body[j->body_len] = '\0';
	return len;
}

static size_t on_header(char *data, size_t size, size_t n, void *arg)
{
	struct job *j = arg;
	size_t len = size * n;

	if (len >= 5 && strncmp(data, "HTTP/", 5) == 0) {
		/* a new response (after a 100 Continue): forget the last one */
		j->retry_after[0] = '\0';
		j->body_len = 0;
	} else if (len > 12 && strncasecmp(data, "Retry-After:", 12) == 0) {
		size_t v = len - 12;

		while (v && (data[12 + v - 1] == '\r' || data[12 + v - 1] == '\n'))
			v--;
		snprintf(j->retry_after, sizeof(j->retry_after), "%.*s", (int)v, data + 12);
	}
	return len;
}

static int on_progress(void *arg, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
		curl_off_t ulnow)
{
	struct job *j = arg;

	if (j->kind != JOB_SUBMIT || ulnow <= 0)
		return 0;
	j->sent = (uint64_t)ulnow;
	if (ultotal > 0)
		j->total = (uint64_t)ultotal;
	if (j->sent - j->notified >= PROGRESS_STEP || (j->total && j->sent >= j->total &&
			j->notified < j->sent)) {
		j->notified = j->sent;
		notify_packet(j->u, j->id);
	}
	return 0;
}

static void job_free(struct job *j)
{
	if (j->easy)
		curl_easy_cleanup(j->easy);
	curl_mime_free(j->mime);
	curl_slist_free_all(j->headers);
	free(j->body);
	free(j);
}

static CURL *new_easy(struct rk_uploader *u, struct job *j, const char *url)
{
	CURL *e = curl_easy_init();

	if (!e)
		return NULL;
	curl_easy_setopt(e, CURLOPT_URL, url);
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "https");
	curl_easy_setopt(e, CURLOPT_CAINFO, u->ca);
	curl_easy_setopt(e, CURLOPT_CAPATH, NULL);
	curl_easy_setopt(e, CURLOPT_SSLCERT, u->cert);
	curl_easy_setopt(e, CURLOPT_SSLKEY, u->key);
	curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 2L);
	curl_easy_setopt(e, CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT, (long)u->connect_timeout_s);
	curl_easy_setopt(e, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(e, CURLOPT_LOW_SPEED_TIME, (long)u->stall_timeout_s);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_USERAGENT, "rekamd/" PACKAGE_VERSION);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, j);
	curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(e, CURLOPT_HEADERDATA, j);
	curl_easy_setopt(e, CURLOPT_XFERINFOFUNCTION, on_progress);
	curl_easy_setopt(e, CURLOPT_XFERINFODATA, j);
	curl_easy_setopt(e, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(e, CURLOPT_PRIVATE, j);
	return e;
}

static void fail_job(struct rk_uploader *u, const char *id, int err);

static int start_job(struct rk_uploader *u, const char *id, enum job_kind kind)
{
	struct job *j = calloc(1, sizeof(*j));
	char *url = NULL;
	int r = -ENOMEM;

	if (!j)
		return -ENOMEM;
	j->u = u;
	j->kind = kind;
	memcpy(j->id, id, RK_PACKET_ID_LEN);
	if (asprintf(&url, kind == JOB_SUBMIT ? "%s/packets" : "%s/packets/%s", u->url, id) < 0) {
		url = NULL;
		goto fail;
	}
	j->easy = new_easy(u, j, url);
	free(url);
	if (!j->easy)
		goto fail;
	if (kind == JOB_SUBMIT) {
		r = rk_packet_mime(j->easy, u->outbox, id, &j->mime, &j->total);
		if (r < 0) {
			job_free(j);
			fail_job(u, id, r);
			return r;
		}
		/* no Expect: 100-continue round trip before the body */
		j->headers = curl_slist_append(NULL, "Expect:");
		curl_easy_setopt(j->easy, CURLOPT_HTTPHEADER, j->headers);
		curl_easy_setopt(j->easy, CURLOPT_MIMEPOST, j->mime);
		/* the intent first: this attempt is on record before any byte goes */
		if (update_row(u, "UPDATE uploads SET attempts = attempts + 1 WHERE packet_id = ?1",
				id, NULL, NULL, 0, 0) < 0) {
			r = -EIO;
			goto fail;
		}
	}
	r = rk_curl_event_add(u->curl, j->easy);
	if (r < 0)
		goto fail;
	j->next = u->jobs;
	u->jobs = j;
	u->n_jobs++;
	rk_debug("upload %s: %s", id, kind == JOB_SUBMIT ? "submitting" : "polling the status");
	if (kind == JOB_SUBMIT) {
		update_queue(u, u->reachable);
		notify_packet(u, id);
	}
	return 0;
fail:
	job_free(j);
	rk_error("upload %s: cannot start a request: %s", id, strerror(-r));
	schedule(u, now_ms() + u->backoff_initial_ms);
	return r;
}

/* The packet cannot be sent at all (missing or damaged in the outbox). */
static void fail_job(struct rk_uploader *u, const char *id, int err)
{
	char reason[256];

	snprintf(reason, sizeof(reason), "the packet in the outbox %s is %s", u->outbox,
			err == -ENOENT ? "missing" : err == -EBADMSG ? "damaged" : strerror(-err));
	rk_error("upload %s: %s; it cannot be sent", id, reason);
	update_row(u, "UPDATE uploads SET state = 'failed', reason = ?2, last_error = ?3, "
			"finished_at = ?4 WHERE packet_id = ?1", id, reason, reason,
			now_ms() / 1000, 0);
	update_queue(u, u->reachable);
	notify_packet(u, id);
}

/* --- answers ----------------------------------------------------------------------------- */

/* A transfer that got no HTTP answer: why, in words. */
static bool network_failure(CURLcode rc)
{
	switch (rc) {
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
	case CURLE_COULDNT_CONNECT:
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_PARTIAL_FILE:
		return true;
	default:
		return false;
	}
}

/* The request failed for a time: count it and wait before the next one. */
static void retry_later(struct rk_uploader *u, struct job *j, unsigned int retry_after,
		const char *why)
{
	struct rk_upload_info info;
	int64_t at;

	if (rk_uploader_get(u, j->id, &info) < 0)
		return;
	at = now_ms() + backoff_ms(u, info.failures + 1, retry_after);
	rk_warn("upload %s: %s; next try in %.1f s", j->id, why, (double)(at - now_ms()) / 1000);
	update_row(u, "UPDATE uploads SET failures = failures + 1, last_error = ?2, "
			"next_attempt = ?4 WHERE packet_id = ?1", j->id, why, NULL, at, 0);
}

static void submitted(struct rk_uploader *u, struct job *j, const struct rk_central_reply *r)
{
	unsigned int wait = r->retry_after;
	int64_t at = now_ms() + (wait ? (int64_t)wait * 1000 : u->backoff_initial_ms);

	rk_info("upload %s: accepted by the central server", j->id);
	update_row(u, "UPDATE uploads SET state = 'submitted', failures = 0, last_error = NULL, "
			"submitted_at = ?4, next_attempt = ?5 WHERE packet_id = ?1", j->id, NULL,
			NULL, now_ms() / 1000, at);
}

static void final(struct rk_uploader *u, struct job *j, const char *state,
		const struct rk_central_reply *r)
{
	rk_notice("upload %s: %s%s%s", j->id, state, r->reason[0] ? ": " : "", r->reason);
	update_row(u, "UPDATE uploads SET state = ?2, reason = ?3, failures = 0, "
			"last_error = NULL, finished_at = ?4 WHERE packet_id = ?1", j->id, state,
			r->reason[0] ? r->reason : NULL, now_ms() / 1000, 0);
	if (r->duplicate_of[0])
		update_row(u, "UPDATE uploads SET duplicate_of = ?2 WHERE packet_id = ?1", j->id,
				r->duplicate_of, NULL, 0, 0);
	/* the central server has it for good: the local copy of the biometrics goes */
	if (strcmp(state, "print_ready") == 0 || strcmp(state, "duplicate") == 0)
		rk_packet_remove(u->outbox, j->id);
}

static void polled(struct rk_uploader *u, struct job *j, const struct rk_central_reply *r)
{
	switch (r->status) {
	case RK_CENTRAL_PRINT_READY:
	case RK_CENTRAL_DUPLICATE:
	case RK_CENTRAL_REJECTED:
		final(u, j, rk_central_status_name(r->status), r);
		break;
	default:
		update_row(u, "UPDATE uploads SET failures = 0, last_error = NULL, "
				"next_attempt = ?4 WHERE packet_id = ?1", j->id, NULL, NULL,
				now_ms() + (int64_t)(r->retry_after ? r->retry_after : 1) * 1000, 0);
		break;
	}
}

static void answered(struct rk_uploader *u, struct job *j, long http)
{
	struct rk_central_reply r;

	if (j->kind == JOB_SUBMIT)
		rk_central_parse_submit(http, j->body, j->body_len, j->retry_after, j->id, &r);
	else
		rk_central_parse_status(http, j->body, j->body_len, j->retry_after, j->id, &r);
	switch (r.verdict) {
	case RK_CENTRAL_ACCEPTED:
		submitted(u, j, &r);
		break;
	case RK_CENTRAL_STATUS:
		polled(u, j, &r);
		break;
	case RK_CENTRAL_UNKNOWN:
		/* the server lost it: send the same packet again */
		rk_warn("upload %s: the central server does not know the packet; sending it again",
				j->id);
		update_row(u, "UPDATE uploads SET state = 'queued', next_attempt = 0 "
				"WHERE packet_id = ?1", j->id, NULL, NULL, 0, 0);
		break;
	case RK_CENTRAL_FAILED:
		if (j->kind == JOB_SUBMIT) {
			struct rk_central_reply f = r;

			final(u, j, "failed", &f);
			break;
		}
		/* a refused status request is retried: the packet is in */
		retry_later(u, j, r.retry_after, r.reason);
		break;
	case RK_CENTRAL_RETRY:
	default:
		retry_later(u, j, r.retry_after, r.reason);
		break;
	}
}

static void on_done(CURL *easy, CURLcode rc, void *arg)
{
	struct rk_uploader *u = arg;
	struct job *j = NULL, **p;
	long http = 0;
	char why[256];
	bool reachable = u->reachable;

	curl_easy_getinfo(easy, CURLINFO_PRIVATE, (char **)&j);
	for (p = &u->jobs; *p; p = &(*p)->next)
		if (*p == j) {
			*p = j->next;
			u->n_jobs--;
			break;
		}
	curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &http);
	if (rc == CURLE_OK) {
		reachable = true;
		answered(u, j, http);
	} else {
		if (network_failure(rc))
			reachable = false;
		snprintf(why, sizeof(why), "%s: %s", j->kind == JOB_SUBMIT ? "the submit failed" :
				"the status request failed", j->body_too_long ?
				"the answer is too long" : curl_easy_strerror(rc));
		retry_later(u, j, 0, why);
	}
	update_queue(u, reachable);
	notify_packet(u, j->id);
	job_free(j);
	kick(u);
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
	update_queue(u, u->reachable);
	notify_packet(u, id);
	kick(u);
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
	u->curl = rk_curl_event_new(base, on_done, u);
	u->kick = evtimer_new(base, on_kick, u);
	u->kick_now = event_new(base, -1, 0, on_kick, u);
	if (!u->outbox || !u->url || !u->ca || !u->cert || !u->key || !u->curl || !u->kick ||
			!u->kick_now) {
		rk_uploader_free(u);
		return NULL;
	}
	u->queue_length = UINT32_MAX; /* so that the first count is news */
	update_queue(u, false);
	kick(u);
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
		job_free(j);
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
