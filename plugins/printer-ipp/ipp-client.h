/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * rekam - device plugins
 *
 * ipp-client.h - the blocking side of the printer-ipp plugin: IPP requests
 * with libcups (one HTTP connection per call, made and closed by the caller
 * on a worker thread), their answers boiled down to plain structs, and the
 * printer-state-reasons of a card printer as sentences for a person.
 * Functions return 0 or -errno with a sentence in @msg.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include <cups/cups.h>

#define IPPC_MSG_LEN 320

/* Where the printer is: from its URI, e.g. ipp://127.0.0.1:8631/ipp/print. */
struct ippc_target {
	char uri[512];
	char host[256];
	char resource[256];
	int port;
	http_encryption_t encryption;
	int timeout_ms;
	char user[64]; /* requesting-user-name */
};

struct ippc_printer {
	char make_model[128];
	char serial[64];
	char firmware[64];
	int state;              /* IPP_PSTATE_IDLE 3, PROCESSING 4, STOPPED 5 */
	char reasons[512];      /* printer-state-reasons, comma-separated */
	char message[256];      /* printer-state-message */
	bool accepting;
	int ribbon_percent;     /* marker-levels of the ribbon; -1 unknown */
	int ribbon_low_percent; /* marker-low-levels; -1 unknown */
	int cards_left;         /* hopper level; -1 unknown */
	int cards_printed;      /* -1 unknown */
	int cards_spoiled;      /* -1 unknown */
	bool staged;            /* a card waits at the encoder */
	bool has_encoder;       /* the stage/eject/reject operations are supported */
};

struct ippc_job {
	int state;              /* IPP_JSTATE_* */
	char reasons[256];      /* job-state-reasons */
	char message[256];      /* job-state-message */
	char printer_reasons[512]; /* job-printer-state-reasons (when it ended) */
	int impressions, impressions_completed;
};

/* The vendor operations of a card printer's inline encoder (docs/printer.md). */
enum { IPPC_OP_STAGE = 0x7E01, IPPC_OP_EJECT = 0x7E02, IPPC_OP_REJECT = 0x7E03 };

/* Parse an ipp:// or ipps:// URI: 0 or -EINVAL (and @msg). */
int ippc_target_parse(struct ippc_target *t, const char *uri, char *msg, size_t len);

int ippc_connect(const struct ippc_target *t, http_t **http, char *msg, size_t len);
int ippc_get_printer(http_t *http, const struct ippc_target *t, struct ippc_printer *p,
		char *msg, size_t len);
int ippc_validate(http_t *http, const struct ippc_target *t, char *msg, size_t len);
int ippc_create_job(http_t *http, const struct ippc_target *t, const char *name, int *job_id,
		char *msg, size_t len);
int ippc_send_document(http_t *http, const struct ippc_target *t, int job_id, const void *data,
		size_t size, bool last, char *msg, size_t len);
int ippc_get_job(http_t *http, const struct ippc_target *t, int job_id, struct ippc_job *j,
		char *msg, size_t len);
int ippc_cancel_job(http_t *http, const struct ippc_target *t, int job_id, char *msg, size_t len);
/* A vendor operation; on success @msg holds the printer's status-message. */
int ippc_vendor(http_t *http, const struct ippc_target *t, int op, char *msg, size_t len);

/* The first reason in @reasons that stops printing, as a sentence, or NULL. */
const char *ippc_fault(const char *reasons);
/* Is @keyword (without -error/-warning/-report) among @reasons? */
bool ippc_has_reason(const char *reasons, const char *keyword);
