/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * rekam - KTP-el recording station daemon
 *
 * central-reply.h - what the central server answered (docs/central-api.md),
 * parsed from plain bytes: the HTTP status, the body and the Retry-After
 * header value in, one verdict out. The uploader acts on the verdict only;
 * nothing the server sends can make it do anything else. Every parser here
 * has a robustness test with bad replies (tests/unit/test-central-reply.c).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RK_CENTRAL_BODY_MAX 65536 /* bytes of an answer we read at most */

enum rk_central_status {
	RK_CENTRAL_QUEUED,
	RK_CENTRAL_PROCESSING,
	RK_CENTRAL_PRINT_READY,
	RK_CENTRAL_DUPLICATE,
	RK_CENTRAL_REJECTED,
};

enum rk_central_verdict {
	RK_CENTRAL_ACCEPTED,  /* submit: 202, the server has the packet; issuance: 200,
	                       * the server recorded this card */
	RK_CENTRAL_STATUS,    /* status: 200 with a status (final or not) */
	RK_CENTRAL_RETRY,     /* temporary: 5xx, 409 not_ready, a garbled answer */
	RK_CENTRAL_UNKNOWN,   /* status: 404, the server does not know the packet */
	RK_CENTRAL_FAILED,    /* final refusal of the request (4xx) */
};

struct rk_central_reply {
	enum rk_central_verdict verdict;
	enum rk_central_status status; /* RK_CENTRAL_STATUS (and ACCEPTED: queued) */
	unsigned int retry_after;      /* seconds, from the header or the body; 0: none */
	char id[37];                   /* the packet id the server named, lowercase */
	char code[64];                 /* error.code of an error body, or "" */
	char reason[256];              /* status reason or error message, or "" */
	char duplicate_of[37];         /* for RK_CENTRAL_DUPLICATE, or "" */
};

/* "queued", ... ; NULL for a value out of range. */
const char *rk_central_status_name(enum rk_central_status status);
bool rk_central_status_final(enum rk_central_status status);

/* Retry-After: delay-seconds or an HTTP-date (RFC 9110), relative to @now
 * (Unix seconds). Seconds (capped at one day), or -EINVAL. */
int rk_central_parse_retry_after(const char *value, int64_t now);

/* The answer to POST /v1/packets for packet @id. Always fills @out. */
void rk_central_parse_submit(long http, const void *body, size_t len, const char *retry_after,
		const char *id, struct rk_central_reply *out);

/* The answer to GET /v1/packets/{id}. Always fills @out. */
void rk_central_parse_status(long http, const void *body, size_t len, const char *retry_after,
		const char *id, struct rk_central_reply *out);

/* The answer to POST /v1/packets/{id}/issuance reporting card @serial with
 * chip @uid: ACCEPTED only for a 200 naming this packet as issued with
 * exactly this serial and UID; FAILED for 409 already_issued or
 * not_available and other 4xx; RETRY for the rest (5xx, 409 not_ready, 404,
 * garbled). Always fills @out. */
void rk_central_parse_issuance(long http, const void *body, size_t len, const char *retry_after,
		const char *id, const char *serial, const char *uid, struct rk_central_reply *out);
