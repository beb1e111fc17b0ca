/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * rekam - device simulators
 *
 * biometric.h - rekam-sim-biometric, a MOSIP SBI device service (a slap
 * fingerprint scanner and an iris camera behind one port): the state shared
 * by its files. biometric-http.c is a small HTTP/1.1 server (libevent 2.1's
 * evhttp refuses the SBI verbs MOSIPDISC, MOSIPDINFO and RCAPTURE),
 * biometric-sbi.c the SBI requests and replies, biometric-jws.c the test
 * device key, its certificate and the JWS signatures, biometric-image.c the
 * synthetic fingerprint and iris images. Internal functions return 0 or a
 * negative errno.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <event2/bufferevent.h>
#include <event2/listener.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "simulators/lib/sim.h"

#define BIO_PORT_DEFAULT 4501
#define BIO_HEAD_MAX 8192          /* request line and headers */
#define BIO_BODY_MAX (64u * 1024)  /* request body */
#define BIO_CAPTURE_MS 1500        /* simulated time a capture takes */
#define BIO_SPEC_VERSION "0.9.5"
#define BIO_SERVICE_VERSION "1.0.0"
#define BIO_FINGER_PPI 500
#define BIO_FINGER_W 320           /* one segmented finger at 500 ppi */
#define BIO_FINGER_H 400
#define BIO_IRIS_W 640
#define BIO_IRIS_H 480
#define BIO_N_FINGERS 10

enum bio_device { BIO_DEV_FINGER, BIO_DEV_IRIS, BIO_N_DEVICES };

/* The SBI names of the ten fingers, in the order of the simulator's tables. */
extern const char *const bio_finger_names[BIO_N_FINGERS];

struct bio_conn; /* one HTTP connection */

struct bio {
	struct sim *sim;
	/* command line */
	unsigned int port;
	const char *state_dir; /* device.key, device.pem; NULL: keys in memory only */
	bool enabled[BIO_N_DEVICES];
	bool iso; /* --bio-format iso: fingers as ISO/IEC 19794-4 records */

	struct evconnlistener *listener;
	struct bio_conn *conns;
	EVP_PKEY *key;
	X509 *cert;
	char *cert_b64; /* DER, standard base64: the x5c of every signature */

	/* the capture in progress (one at a time for the whole service) */
	struct bio_conn *capturing;
	unsigned long requests, captures;

	/* faults and settings of the control socket */
	bool busy, not_ready, not_registered;
	unsigned int slow_ms;       /* added to every capture (scaled) */
	unsigned int drop;          /* the next N requests: connection closed unanswered */
	unsigned int bad_signature; /* the next N captures: payload changed after signing */
	unsigned int unsigned_reply; /* the next N captures: data not signed */
	unsigned int low_quality;   /* the next N captures: scores 10 to 30 */
	int finger_score[BIO_N_FINGERS]; /* -1: from the seed */
	int iris_score[2];
	bool missing[BIO_N_FINGERS]; /* not detected: error 101 for that finger */
};

/* biometric-http.c */
int bio_http_start(struct bio *b);
void bio_http_stop(struct bio *b);
/* Answer @c with @code and @body (a JSON text, taken), then close it. */
void bio_http_reply(struct bio_conn *c, int code, char *body);
/* Close @c without an answer. */
void bio_http_drop(struct bio_conn *c);
struct bio *bio_conn_bio(struct bio_conn *c);
/* A timer owned by the connection, freed with it: @fn runs once after @tv. */
int bio_conn_defer(struct bio_conn *c, const struct timeval *tv, void (*fn)(struct bio_conn *));
/* The pending capture request of a connection (set by biometric-sbi.c). */
void bio_conn_set_job(struct bio_conn *c, json_t *job);
json_t *bio_conn_job(struct bio_conn *c);

/* biometric-sbi.c: one complete request. */
void bio_sbi_request(struct bio_conn *c, const char *method, const char *path,
		const char *body, size_t len);
/* The connection of the running capture went away. */
void bio_sbi_abandoned(struct bio *b, struct bio_conn *c);

/* biometric-jws.c */
int bio_keys_make(const char *dir);
int bio_keys_load(struct bio *b);
void bio_keys_free(struct bio *b);
/* RS256 JWS compact serialization of @payload with the device certificate in
 * x5c; malloc'd. */
char *bio_jws_sign(struct bio *b, const char *payload);
/* base64url without padding; malloc'd. */
char *bio_b64url(const void *data, size_t len);

/* biometric-image.c: PNG images, malloc'd. @quality 0-100 makes the image
 * cleaner or noisier; @seed makes each finger and eye distinct and stable. */
int bio_image_finger(uint64_t seed, int finger, int quality, uint8_t **png, size_t *len);
int bio_image_iris(uint64_t seed, int eye, int quality, uint8_t **png, size_t *len);
