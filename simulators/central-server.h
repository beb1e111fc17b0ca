/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * rekam - device simulators
 *
 * central-server.h - rekam-sim-central, the simulated central (ministry) server:
 * the state shared by its files. central-http.c runs the HTTPS listener
 * (evhttp over bufferevent_openssl, mutual TLS) and the network faults,
 * central-api.c the /v1 routes, central-db.c the SQLite state and the
 * duplicate search, central-pki.c the test PKI, signatures and TLS contexts,
 * central-card.c the personalization data and the issuance report,
 * central-crypt.c the decryption of encrypted packets.
 * Internal functions return 0 or a negative errno.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <event2/http.h>
#include <jansson.h>
#include <openssl/ssl.h>
#include <sqlite3.h>

#include "simulators/lib/sim.h"

#define CENTRAL_PORT_DEFAULT 8443
#define CENTRAL_QUEUE_MS 10000      /* simulated time spent queued */
#define CENTRAL_PROCESS_MS 50000    /* then processing (ABIS matching) */
#define CENTRAL_BODY_MAX (64u << 20) /* largest request body accepted */
#define CENTRAL_DROP_AFTER 2048     /* the drop fault: bytes before the close */
#define CENTRAL_STATION_1 "6305-TEST-01"
#define CENTRAL_STATION_2 "6305-TEST-02"

struct central_bucket; /* rate-limit configurations kept until exit */
struct central_drop;   /* connections watched by the drop fault */

struct central {
	struct sim *sim;
	/* command line */
	unsigned int port;
	const char *pki_dir;
	const char *db_path;

	sqlite3 *db;
	SSL_CTX *tls;       /* the real server certificate, client certs required */
	SSL_CTX *tls_wrong; /* a certificate from a CA nobody trusts */
	EVP_PKEY *ds_key;   /* the document signer */
	EVP_PKEY *enc_key;  /* artifacts are encrypted for it (enc.key); NULL if absent */
	char *ds_cert_pem;

	struct evhttp *http;
	struct evhttp_bound_socket *bound;

	/* faults */
	bool stall;
	unsigned int error_code;  /* 500 or 503 */
	unsigned int error_count; /* requests left to fail */
	unsigned int retry_after; /* 0: no Retry-After header */
	bool drop;
	unsigned int slow_bps; /* 0: full speed */
	bool wrong_cert;
	struct central_bucket *buckets;
	struct central_drop *drops;

	/* counters for the control `status` */
	unsigned long requests;
	unsigned long submitted;
};

/* --- central-pki.c ------------------------------------------------------------ */

/* Write a fresh test PKI into dir (created if missing), the client
 * certificate station1 for @station (NULL: CENTRAL_STATION_1); 0 or -errno,
 * with a message on stderr. */
int central_pki_make(const char *dir, const char *station);
/* Load dir's CA, server certificate and document signer; build both TLS
 * contexts. */
int central_pki_load(struct central *c);
void central_pki_free(struct central *c);
/* The client certificate's common name into cn; -ENOENT without one. */
int central_peer_cn(SSL *ssl, char *cn, size_t len);
/* 0 when sig is a valid ECDSA/SHA-256 signature of data by the peer's key,
 * -EBADMSG when not, -ENOENT without a peer certificate. */
int central_peer_verify(SSL *ssl, const void *data, size_t len, const void *sig,
		size_t siglen);
/* Sign data with the document signer (DER ECDSA/SHA-256, malloc'd). */
int central_ds_sign(struct central *c, const void *data, size_t len, unsigned char **sig,
		size_t *siglen);

struct central_packet;

/* --- central-crypt.c ---------------------------------------------------------- */

/* The manifest's encryption object has the documented shape (and every
 * artifact its nonce and tag). */
bool central_encryption_valid(json_t *enc, json_t *arts);
/* Unwrap the packet key and decrypt every artifact in place (data, len and
 * sha256 then describe the plain bytes). -EBADMSG with p->reason set when
 * the packet is not for us or does not decrypt. */
int central_decrypt(struct central *c, struct central_packet *p, json_t *enc, json_t *arts);

/* --- central-db.c ----------------------------------------------------------- */

struct central_artifact {
	const char *name;
	const char *type;
	const char *format;
	const void *data;
	size_t len;
	char sha256[SIM_SHA256_HEX_LEN + 1]; /* of data */
	void *plain; /* the decrypted bytes (data points here then), malloc'd */
};

struct central_packet {
	char id[37];
	const char *station;
	const char *nik;
	const char *manifest; /* the signed bytes, NUL-terminated copy */
	size_t manifest_len;
	char manifest_sha256[SIM_SHA256_HEX_LEN + 1];
	const char *verdict; /* print_ready, duplicate or rejected */
	char reason[256];
	char duplicate_of[37];
	struct central_artifact *artifacts;
	size_t n_artifacts;
};

int central_db_open(struct central *c);
void central_db_close(struct central *c);
/* Milliseconds since the epoch (CLOCK_REALTIME). */
int64_t central_now_ms(void);
/* An earlier packet with the same id: its station, manifest hash and first
 * answer (malloc'd). -ENOENT when none. */
int central_db_find(struct central *c, const char *id, char **station, char **manifest_sha256,
		char **answer);
/* Decide duplicate against earlier packets: fills verdict, reason and
 * duplicate_of when one matches. */
int central_db_match(struct central *c, struct central_packet *p);
/* Store a packet, its artifacts and its first answer in one transaction. */
int central_db_insert(struct central *c, const struct central_packet *p, int64_t received_ms,
		const char *answer);
/* The stored packet as a JSON object: id, station_id, nik, manifest (the
 * text), verdict, reason, duplicate_of, received_ms, issued (object or
 * absent). -ENOENT when unknown. */
int central_db_get(struct central *c, const char *id, json_t **out);
/* The packet's artifacts of one type in manifest order: a JSON array of
 * {name, type, format, data (base64), size, sha256}. */
int central_db_artifacts(struct central *c, const char *id, json_t **out);
/* Record the issuance once: 0 stored, -EEXIST already stored (the stored
 * values in *existing). */
int central_db_issue(struct central *c, const char *id, const char *serial, const char *uid,
		int64_t at_ms, json_t **existing);
long central_db_count(struct central *c);

/* --- central-http.c ---------------------------------------------------------- */

int central_http_start(struct central *c);
void central_http_stop(struct central *c);
/* Stop / start accepting connections (the refuse fault). */
void central_http_refuse(struct central *c);
int central_http_accept(struct central *c);
/* Close every open connection; the listening socket stays as it was. */
int central_http_hangup(struct central *c);
/* The slow fault: new connections get bps bytes/s each way (0: full speed). */
int central_http_slow(struct central *c, unsigned int bps);
/* Reply with a JSON body (taken over) and the code. */
void central_reply(struct evhttp_request *req, int code, json_t *body);
/* Reply {"error": {"code": code_name, "message": ...}}. */
__attribute__((format(printf, 4, 5))) void central_error(struct evhttp_request *req, int code,
		const char *code_name, const char *fmt, ...);
/* The SSL of the request's connection. */
SSL *central_request_ssl(struct evhttp_request *req);

/* --- central-api.c ----------------------------------------------------------- */

/* Route one request (after the faults have had their say). */
void central_api_handle(struct central *c, struct evhttp_request *req);
/* The caller's own packet id as stored (central_db_get), or NULL after a
 * 403/404 reply. */
json_t *central_packet_load(struct central *c, struct evhttp_request *req, const char *id);
/* True when the packet is print_ready; else a 409 reply (with Retry-After
 * while it is still on its way) and false. */
bool central_packet_ready(struct central *c, struct evhttp_request *req, json_t *p,
		const char *id);

/* --- central-card.c ----------------------------------------------------------- */

void central_personalization(struct central *c, struct evhttp_request *req, const char *id);
void central_issuance(struct central *c, struct evhttp_request *req, const char *id);
