// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * rekam - KTP-el recording station daemon
 *
 * uploader-request.c - the uploader's requests (see uploader.h): a submit
 * streamed from the outbox or a status poll, each an easy handle on libcurl
 * multi with mutual TLS and the pinned CA, its progress, and what its
 * answer (parsed by central-reply.c) or its failure does to the packet's
 * row: accepted, final, tried again after backoff, or failed.
 */
#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "daemon/crash-point.h"
#include "daemon/central-reply.h"
#include "daemon/log.h"
#include "daemon/store.h"
#include "daemon/uploader-private.h"

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
		upl_notify_packet(j->u, j->id);
	}
	return 0;
}

void upl_job_free(struct job *j)
{
	if (j->easy)
		curl_easy_cleanup(j->easy);
	curl_mime_free(j->mime);
	curl_slist_free_all(j->headers);
	free(j->body);
	free(j->post);
	free(j);
}

CURL *upl_new_easy(struct rk_uploader *u, struct job *j, const char *url)
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

int upl_start_job(struct rk_uploader *u, const char *id, enum job_kind kind)
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
	j->easy = upl_new_easy(u, j, url);
	free(url);
	if (!j->easy)
		goto fail;
	if (kind == JOB_SUBMIT) {
		r = rk_packet_mime(j->easy, u->outbox, id, &j->mime, &j->total);
		if (r < 0) {
			upl_job_free(j);
			fail_job(u, id, r);
			return r;
		}
		/* no Expect: 100-continue round trip before the body */
		j->headers = curl_slist_append(NULL, "Expect:");
		curl_easy_setopt(j->easy, CURLOPT_HTTPHEADER, j->headers);
		curl_easy_setopt(j->easy, CURLOPT_MIMEPOST, j->mime);
		/* the intent first: this attempt is on record before any byte goes */
		if (upl_update_row(u, "UPDATE uploads SET attempts = attempts + 1 WHERE packet_id = ?1",
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
	if (kind == JOB_SUBMIT)
		rk_crash_point("upload.sending");
	if (kind == JOB_SUBMIT) {
		upl_update_queue(u, u->reachable);
		upl_notify_packet(u, id);
	}
	return 0;
fail:
	upl_job_free(j);
	rk_error("upload %s: cannot start a request: %s", id, strerror(-r));
	upl_schedule(u, upl_now_ms() + u->backoff_initial_ms);
	return r;
}

/* The packet cannot be sent at all (missing or damaged in the outbox). */
static void fail_job(struct rk_uploader *u, const char *id, int err)
{
	char reason[256];

	snprintf(reason, sizeof(reason), "the packet in the outbox %s is %s", u->outbox,
			err == -ENOENT ? "missing" : err == -EBADMSG ? "damaged" : strerror(-err));
	rk_error("upload %s: %s; it cannot be sent", id, reason);
	upl_update_row(u, "UPDATE uploads SET state = 'failed', reason = ?2, last_error = ?3, "
			"finished_at = ?4 WHERE packet_id = ?1", id, reason, reason,
			upl_now_ms() / 1000, 0);
	upl_update_queue(u, u->reachable);
	upl_notify_packet(u, id);
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
	at = upl_now_ms() + upl_backoff_ms(u, info.failures + 1, retry_after);
	rk_warn("upload %s: %s; next try in %.1f s", j->id, why, (double)(at - upl_now_ms()) / 1000);
	upl_update_row(u, "UPDATE uploads SET failures = failures + 1, last_error = ?2, "
			"next_attempt = ?4 WHERE packet_id = ?1", j->id, why, NULL, at, 0);
}

/* Accepted: the first look at the status is when the server's Retry-After
 * says or, without one, at once: the answer to that look carries the
 * server's own retry_after (how long its queue and matching will take), a
 * better guess than any fixed delay of ours, and a server that decided
 * already (a duplicate found at once, a test server) is not waited on. */
static void submitted(struct rk_uploader *u, struct job *j, const struct rk_central_reply *r)
{
	int64_t at = upl_now_ms() + (int64_t)r->retry_after * 1000;

	rk_crash_point("upload.accepted"); /* the server has it; our row does not say so */
	rk_info("upload %s: accepted by the central server", j->id);
	upl_update_row(u, "UPDATE uploads SET state = 'submitted', failures = 0, last_error = NULL, "
			"submitted_at = ?4, next_attempt = ?5 WHERE packet_id = ?1", j->id, NULL,
			NULL, upl_now_ms() / 1000, at);
}

static void final(struct rk_uploader *u, struct job *j, const char *state,
		const struct rk_central_reply *r)
{
	rk_notice("upload %s: %s%s%s", j->id, state, r->reason[0] ? ": " : "", r->reason);
	upl_update_row(u, "UPDATE uploads SET state = ?2, reason = ?3, failures = 0, "
			"last_error = NULL, finished_at = ?4 WHERE packet_id = ?1", j->id, state,
			r->reason[0] ? r->reason : NULL, upl_now_ms() / 1000, 0);
	if (r->duplicate_of[0])
		upl_update_row(u, "UPDATE uploads SET duplicate_of = ?2 WHERE packet_id = ?1", j->id,
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
		upl_update_row(u, "UPDATE uploads SET failures = 0, last_error = NULL, "
				"next_attempt = ?4 WHERE packet_id = ?1", j->id, NULL, NULL,
				upl_now_ms() + (int64_t)(r->retry_after ? r->retry_after : 1) * 1000, 0);
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
		upl_update_row(u, "UPDATE uploads SET state = 'queued', next_attempt = 0 "
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

void upl_on_done(CURL *easy, CURLcode rc, void *arg)
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
	if (j->kind == JOB_ISSUANCE) {
		if (rc == CURLE_OK)
			reachable = true;
		else if (network_failure(rc))
			reachable = false;
		upl_issuance_done(u, j, rc, http);
		upl_update_queue(u, reachable);
		upl_job_free(j);
		upl_kick(u);
		return;
	}
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
	upl_update_queue(u, reachable);
	upl_notify_packet(u, j->id);
	upl_job_free(j);
	upl_kick(u);
}
