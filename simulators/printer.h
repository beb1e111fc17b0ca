/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * rekam - device simulators
 *
 * printer.h - the simulated IPP card printer (rekam-sim-printer): its state,
 * shared by rekam-sim-printer.c (command line, control commands),
 * printer-ipp.c (the IPP server: HTTP, operations, attributes),
 * printer-engine.c (the mechanics: hopper, ribbon, jobs, faults, output
 * files) and printer-encoder.c (the inline encoder and its link to
 * rekam-sim-card).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <cups/ipp.h>
#include <event2/http.h>

#include "simulators/lib/sim.h"

#define PRINTER_MAKE "HID Global"
#define PRINTER_MODEL "FARGO DTC4500e"
#define PRINTER_FIRMWARE "4.2.1-rekam"
#define PRINTER_PORT_DEFAULT 8631
#define PRINTER_RESOURCE "/ipp/print"
#define PRINTER_CARDS_DEFAULT 100      /* blank cards in the input hopper */
#define PRINTER_HOPPER_MAX 100000
#define PRINTER_RIBBON_DEFAULT 500     /* YMCKO panel sets: one per printed side */
#define PRINTER_RIBBON_MAX 100000
#define PRINTER_RIBBON_LOW_PERCENT 10  /* marker-low-levels */
#define PRINTER_SIDE_MS 6000           /* one side, YMCKO, scaled by --time-scale */
#define PRINTER_FEED_MS 1500           /* picking a card from the hopper, scaled */
#define PRINTER_JOBS_MAX 64            /* jobs remembered (finished ones are dropped first) */
#define PRINTER_DOC_MAX (16u * 1024 * 1024) /* one document (one card side) */
#define PRINTER_BODY_MAX (40u * 1024 * 1024) /* one HTTP request */
#define PRINTER_IMAGE_MAX 4000         /* pixels, either dimension */

/* IPP vendor operations of the inline encoder (docs/printer.md). */
#define PRINTER_OP_STAGE 0x7E01
#define PRINTER_OP_EJECT 0x7E02
#define PRINTER_OP_REJECT 0x7E03

enum printer_side { PRINTER_FRONT, PRINTER_BACK, PRINTER_SIDES };

struct printer_job {
	int id;
	ipp_jstate_t state;
	char name[128];
	char user[64];
	char reasons[48];  /* job-state-reasons (one keyword) */
	char message[160]; /* job-state-message */
	char printer_reasons[160]; /* printer-state-reasons when it ended, comma-separated */
	uint8_t *doc[PRINTER_SIDES];
	size_t doc_len[PRINTER_SIDES];
	int ndocs;
	bool closed;     /* every document received */
	int sides_done;  /* job-impressions-completed */
	bool on_staged;  /* printed on the card at the encoder */
	time_t created, processing, completed;
};

struct printer {
	struct sim *sim;

	/* configuration */
	unsigned int port;
	const char *output_dir;
	const char *card_control; /* rekam-sim-card's control socket, or NULL */
	char serial[24];
	char uuid[48];

	/* supplies and counters */
	unsigned int cards, hopper_capacity;
	unsigned int ribbon, ribbon_capacity;
	unsigned long printed, spoiled, ejected, rejected, impressions;

	/* faults */
	bool jam_armed;  /* the next card jams after its first side */
	bool jammed;     /* media-jam until clear */
	bool cover_open;
	bool offline;

	/* the inline encoder */
	bool staged;     /* a blank card waits at the encoder */
	unsigned long stages;

	/* jobs */
	struct printer_job *jobs[PRINTER_JOBS_MAX];
	int njobs;
	int next_id;
	struct printer_job *active; /* the job being printed */
	struct event *step_timer;
	int step;        /* of the active job: 0 feeding, 1.. sides */
	char last_output[PRINTER_SIDES][256];

	/* IPP over HTTP */
	struct evhttp *http;
	struct event *plug_timer;
	unsigned long requests, bad_requests;
	time_t started;
};

/* printer-engine.c */
int printer_engine_init(struct printer *p);
void printer_engine_fini(struct printer *p);
/* The printer-state and its reasons right now. */
ipp_pstate_t printer_state(const struct printer *p);
/* Comma-separated printer-state-reasons into buf ("none" when none). */
void printer_state_reasons(const struct printer *p, char *buf, size_t len);
/* Why the printer cannot print a card now (a sentence), or NULL. */
const char *printer_blocked(const struct printer *p);
int printer_ribbon_percent(const struct printer *p);
struct printer_job *printer_job_new(struct printer *p, const char *name, const char *user);
struct printer_job *printer_job_find(struct printer *p, int id);
/* Take over @data (malloc'd) as the next side; 0, -E2BIG (two already). */
int printer_job_add_doc(struct printer *p, struct printer_job *job, uint8_t *data, size_t len);
/* Every document is in: the job may start. */
void printer_job_close(struct printer *p, struct printer_job *job);
/* 0, -EALREADY when it has finished. */
int printer_job_cancel(struct printer *p, struct printer_job *job);
/* Something changed (a fault cleared, cards added): start a pending job. */
void printer_kick(struct printer *p);
/* A fault that stops the printer now: the job being printed is aborted. */
void printer_fault(struct printer *p, const char *reason, const char *message);
const char *printer_job_state_name(ipp_jstate_t state);

/* printer-encoder.c: 0, or -errno with a sentence in @why */
int printer_stage(struct printer *p, char *why, size_t len);
int printer_eject(struct printer *p, char *why, size_t len);
int printer_reject(struct printer *p, char *why, size_t len);
/* The staged card leaves the encoder after it was printed. */
void printer_encoder_release(struct printer *p);

/* printer-ipp.c */
int printer_ipp_open(struct printer *p);
void printer_ipp_close(struct printer *p);
