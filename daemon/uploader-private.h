/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * rekam - KTP-el recording station daemon
 *
 * uploader-private.h - what the parts of the uploader share: uploader.c
 * (the queue: rows, scheduling, the public functions), uploader-request.c
 * (the requests on libcurl multi and what each answer does to its row) and
 * uploader-issuance.c (the issuance reports of step 8).
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include <curl/curl.h>

#include "daemon/curl-event.h"
#include "daemon/uploader.h"

#define MAX_LISTENERS 8
#define MAX_CONCURRENT 16
#define PROGRESS_STEP (256u << 10) /* bytes between progress notifications */

struct listener {
	rk_upload_fn fn;
	void *data;
};

enum job_kind { JOB_SUBMIT, JOB_POLL, JOB_ISSUANCE };

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
	/* JOB_ISSUANCE: the report of the enrollment's card, its JSON body */
	int64_t enrollment;
	char serial[33], uid[21];
	char *post;
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

	rk_issuance_fn issuance_fn;
	void *issuance_data;

	unsigned int queue_length;
	int64_t oldest;
	bool reachable;
};

/* --- uploader.c --------------------------------------------------------------------------- */

int64_t upl_now_ms(void);
struct job *upl_find_job(struct rk_uploader *u, const char *id);
void upl_notify_packet(struct rk_uploader *u, const char *id);
/* Recount the queue; tell the listeners when it or reachability changed. */
void upl_update_queue(struct rk_uploader *u, bool reachable);
/* One UPDATE of the row @id: ?1 the id, ?2 and ?3 text, ?4 and ?5 integers. */
int upl_update_row(struct rk_uploader *u, const char *sql, const char *id, const char *t2,
		const char *t3, int64_t i4, int64_t i5);
/* Wake up the queue at @at_ms (Unix ms), or on the next loop turn (upl_kick()). */
void upl_schedule(struct rk_uploader *u, int64_t at_ms);
void upl_kick(struct rk_uploader *u);
/* The delay before retry number @failures, never below @retry_after s. */
int64_t upl_backoff_ms(struct rk_uploader *u, unsigned int failures, unsigned int retry_after);

/* --- uploader-request.c ------------------------------------------------------------------- */

/* Start a submit or a status request of @id. 0 or -errno (then retried later). */
int upl_start_job(struct rk_uploader *u, const char *id, enum job_kind kind);
/* libcurl finished a request: the answer's effect on the row (curl-event.h). */
void upl_on_done(CURL *easy, CURLcode rc, void *arg);
void upl_job_free(struct job *j);
/* An easy handle for @url with the TLS setup, @j's callbacks and private. */
CURL *upl_new_easy(struct rk_uploader *u, struct job *j, const char *url);

/* --- uploader-issuance.c ------------------------------------------------------------------ */

/* Start the due issuance reports while there is room; the earliest later
 * one lowers *@next (Unix ms). */
int upl_issuance_kick(struct rk_uploader *u, int64_t now, int64_t *next);
/* An issuance report's request ended (@rc; @http when CURLE_OK). */
void upl_issuance_done(struct rk_uploader *u, struct job *j, CURLcode rc, long http);
