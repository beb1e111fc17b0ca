/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * rekam - device plugins
 *
 * sbi-device.h - the state of one SBI device, shared by sbi.c (discovery,
 * device info, the status poll, open and close, the plugin descriptor) and
 * sbi-capture.c (registration capture). Built twice: with SBI_PLUGIN_IRIS
 * for iris-sbi, without it for fingerprint-sbi.
 */
#pragma once

#include <stdbool.h>

#include <openssl/x509.h>

#include "plugins/biometric-sbi/sbi-http.h"
#include "plugins/biometric-sbi/sbi-reply.h"
#include "rekam/plugin.h"

#ifdef SBI_PLUGIN_IRIS
#define SBI_TYPE SBI_IRIS
#define SBI_CLASS RK_DEVICE_IRIS
#define SBI_PLUGIN "iris-sbi"
#define SBI_KIND "iris"
#define SBI_TYPE_NAME "Iris"
#define SBI_DEFAULT_SCORE 60
#define SBI_SUBTYPES "left, right or both"
#define SBI_PARTS "eyes: left, right"
#else
#define SBI_TYPE SBI_FINGER
#define SBI_CLASS RK_DEVICE_FINGERPRINT
#define SBI_PLUGIN "fingerprint-sbi"
#define SBI_KIND "fingerprint"
#define SBI_TYPE_NAME "Finger"
#define SBI_DEFAULT_SCORE 40
#define SBI_SUBTYPES "left-slap, right-slap or thumbs"
#define SBI_PARTS "fingers: left-index, left-middle, left-ring, left-little, right-index, " \
	"right-middle, right-ring, right-little, left-thumb, right-thumb"
#endif

#define PREFIX "sbi:127.0.0.1:"
#define DISCOVERY_TIMEOUT_MS 3000
#define INFO_TIMEOUT_MS 5000
#define CAPTURE_TIMEOUT_DEFAULT 40000
#define POLL_DEFAULT_MS 5000
#define MAX_PORTS 100


enum phase { PHASE_IDLE, PHASE_DISCOVER, PHASE_INFO, PHASE_CAPTURE };

struct sbi;
struct sbi_job;

/* What a discovery request is for: its device and port. */
struct sbi_port {
	struct sbi *s;
	unsigned int port;
};

struct sbi {
	struct rk_device *dev;
	struct sbi_http *http;
	unsigned int port_lo, port_hi, port;
	char device_id[32];
	X509 *cert;  /* the device certificate, from its signed device info */
	X509 *trust; /* trust= of the config, or NULL */
	bool registered;
	enum phase phase;
	struct rk_op *op;
	bool self_test;
	struct sbi_call *calls[MAX_PORTS];
	struct sbi_port ports[MAX_PORTS];
	unsigned int pending;
	unsigned int best_port;
	struct sbi_discovery best;
	/* capture */
	struct sbi_call *capture;
	struct sbi_request req;
	char tid[64];
	int sub;
	unsigned int exceptions;
	double requested;
	bool keep_reply;
	unsigned char chain[32];
	unsigned long counter;
	/* the status poll while idle */
	unsigned int poll_ms;
	struct rk_timer *poll;
	struct sbi_call *poll_call;
	/* a reply being checked on a worker thread */
	struct sbi_job *job;
};

/* The host's function table (set by init). */
extern const struct rk_host *host;

/* Complete the running operation, if any, and go idle. */
void sbi_finish(struct sbi *s, int err, const char *message);
/* Abort every HTTP request of the device (no callbacks). */
void sbi_abort_calls(struct sbi *s);
/* The health Status: Ready, Busy, Not Ready, Not Registered. */
void sbi_set_status(struct sbi *s, const char *status);

/* sbi-capture.c */
int sbi_capture(struct rk_device *dev, struct rk_op *op, const struct rk_options *options);
/* Forget a reply being checked on a worker thread: its result is dropped. */
void sbi_capture_detach(struct sbi *s);
