/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * rekam - KTP-el recording station daemon
 *
 * uploader.h - the durable upload queue of enrollment packets (SOP step 6):
 * a row per packet in the station database (table uploads), the packet's
 * bytes in the outbox (packet.h). Packets go to the central server over
 * HTTPS with mutual TLS and a pinned CA, at most max_concurrent transfers
 * at a time, on libcurl multi driven by the event loop (curl-event.h).
 * Failures are retried with exponential backoff and jitter, never sooner
 * than a Retry-After asks; an accepted packet's status is polled until it
 * is final. A packet keeps its id for life and the central server answers
 * a repeated submit with its first answer, so a crash or a lost answer
 * never loses a packet nor makes a second submission of it.
 *
 * States (the column uploads.state; "sending" exists only in memory):
 *   queued -> (sending) -> submitted -> print_ready | duplicate | rejected
 *   queued -> (sending) -> failed       (the server refused the request itself)
 * Listeners hear every change; the pipeline is one of them.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include <event2/event.h>

#include "daemon/packet.h"

struct rk_store;
struct rk_uploader;

enum rk_upload_state {
	RK_UPLOAD_QUEUED,      /* waiting for its next attempt */
	RK_UPLOAD_SENDING,     /* a submit is on the wire (bytes_sent grows) */
	RK_UPLOAD_SUBMITTED,   /* the server has it; polling its status */
	RK_UPLOAD_PRINT_READY, /* final: "Print Ready Record" */
	RK_UPLOAD_DUPLICATE,   /* final: data ganda; reason, duplicate_of */
	RK_UPLOAD_REJECTED,    /* final: the server found the packet invalid; reason */
	RK_UPLOAD_FAILED,      /* final: the server refused the request (4xx); reason */
};

struct rk_uploader_config {
	const char *url;  /* the API base, e.g. https://central.example/v1 */
	const char *ca;   /* PEM: the only CA the server certificate may chain to */
	const char *cert; /* PEM: the station's client certificate */
	const char *key;  /* PEM: its key */
	unsigned int max_concurrent;     /* transfers at once, 1-16 (0: 2) */
	unsigned int backoff_initial_ms; /* first retry delay (0: 1000) */
	unsigned int backoff_max_ms;     /* longest retry delay (0: 300000) */
	unsigned int connect_timeout_s;  /* 0: 15 */
	unsigned int stall_timeout_s;    /* a transfer without a byte for this long ends (0: 60) */
};

struct rk_upload_info {
	char packet_id[RK_PACKET_ID_LEN + 1];
	enum rk_upload_state state;
	int64_t queued_since;    /* Unix seconds: when it entered the queue */
	unsigned int attempts;   /* submits started */
	unsigned int failures;   /* failed requests in a row */
	uint64_t bytes_sent;     /* of the submit on the wire (RK_UPLOAD_SENDING) */
	uint64_t bytes_total;    /* of the packet's parts */
	int64_t next_attempt_ms; /* Unix milliseconds of the next request, 0: now */
	char reason[256];        /* the server's reason (duplicate, rejected, failed) */
	char duplicate_of[RK_PACKET_ID_LEN + 1];
	char last_error[256];    /* why the last request failed, "" after a success */
};

/* A packet changed (@info), or, with @info NULL, the queue length, its
 * oldest packet or the reachability of the server did. Called on the loop;
 * it may call any rk_uploader function but rk_uploader_free(). */
typedef void (*rk_upload_fn)(struct rk_uploader *u, const struct rk_upload_info *info,
		void *data);

/*
 * An uploader on @base for the packets in @outbox, its queue in @store.
 * Packets left queued or submitted by an earlier run go on at once.
 * NULL with *@error (free() it) when the configuration is unusable.
 */
struct rk_uploader *rk_uploader_new(struct event_base *base, struct rk_store *store,
		const char *outbox, const struct rk_uploader_config *config, char **error);

/* Stop (transfers in flight are resumed by the next run) and free. */
void rk_uploader_free(struct rk_uploader *u);

/* Listen to changes; up to 8 listeners. 0 or -ENOSPC. */
int rk_uploader_listen(struct rk_uploader *u, rk_upload_fn fn, void *data);

/* Queue the built packet @outbox/@id. Queuing it again changes nothing.
 * Called inside an open transaction of the store, the new row is part of
 * it (the pipeline records its step and the queued packet together); the
 * first attempt starts on a later loop turn. 0, -ENOENT (no such packet in
 * the outbox), -EBADMSG (a damaged one), -EINVAL, -EIO. */
int rk_uploader_enqueue(struct rk_uploader *u, const char *id);

/* The packet's state. 0 or -ENOENT, -EIO. */
int rk_uploader_get(struct rk_uploader *u, const char *id, struct rk_upload_info *info);

/* Packets not yet accepted by the server (queued or sending). */
unsigned int rk_uploader_queue_length(const struct rk_uploader *u);
/* Unix seconds since which the oldest of them waits; 0 when none. */
int64_t rk_uploader_oldest(const struct rk_uploader *u);
/* Whether the last exchange with the server got an HTTP answer (false
 * before the first one, and after a connection, TLS or timeout failure). */
bool rk_uploader_reachable(const struct rk_uploader *u);

/* --- issuance reports (uploader-issuance.c) --------------------------------------------- */

/* The central server accepted (@accepted) or refused for good (@reason)
 * the issuance report of enrollment @enrollment. Called on the loop. */
typedef void (*rk_issuance_fn)(struct rk_uploader *u, int64_t enrollment, bool accepted,
		const char *reason, void *data);

/* Queue the issuance report of enrollment @enrollment: card @serial with chip
 * @uid from packet @id (POST /v1/packets/{id}/issuance). A row of the store,
 * part of the caller's open transaction (the issued card and its report are
 * one); queuing it again changes nothing. It goes out once an uploader runs
 * (rk_uploader_kick() after the commit), again after a restart until the
 * server accepts or refuses it. 0, -EINVAL, -EIO. */
int rk_issuance_queue(struct rk_store *store, int64_t enrollment, const char *id,
		const char *serial, const char *uid);
/* Its state ("queued", "accepted", "refused") into @state. 0, -ENOENT, -EIO. */
int rk_issuance_state(struct rk_store *store, int64_t enrollment, char *state, size_t size);
/* Queue again the refused issuance report of enrollment @enrollment (its
 * attempts and error cleared); the caller kicks the uploader. 0, -ENOENT
 * (no report), -EALREADY (a report that is not refused), -EIO. */
int rk_issuance_requeue(struct rk_store *store, int64_t enrollment);
/* The one listener of issuance reports. 0 or -ENOSPC. */
int rk_uploader_listen_issuance(struct rk_uploader *u, rk_issuance_fn fn, void *data);
/* Look at the queues now (after a commit that queued something); NULL is fine. */
void rk_uploader_kick(struct rk_uploader *u);

const char *rk_upload_state_name(enum rk_upload_state state);
bool rk_upload_state_final(enum rk_upload_state state);
