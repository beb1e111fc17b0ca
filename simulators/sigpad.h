/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * rekam - device simulators
 *
 * sigpad.h - the simulated signature pad: its fixed characteristics, the
 * ink of one capture (sigpad-ink.c), its rendering (sigpad-render.c), and
 * the host protocol (sigpad-protocol.c) driven by rekam-sim-sigpad.c.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "simulators/lib/sim.h"

#define SIGPAD_PROTOCOL_VERSION 1
#define SIGPAD_WIDTH 9600          /* logical units across the active area */
#define SIGPAD_HEIGHT 3600
#define SIGPAD_DPI 2540            /* logical units per inch: 96 x 36 mm */
#define SIGPAD_PRESSURE_LEVELS 1024
#define SIGPAD_RATE 200            /* points per second while the pen is down */
#define SIGPAD_IMAGE_WIDTH 800
#define SIGPAD_IMAGE_HEIGHT 300
#define SIGPAD_LINE_MAX 4096       /* longest line either way, without '\n' */
#define SIGPAD_IMAGE_CHUNK 2304    /* PNG bytes per IMAGE-DATA line (3072 base64) */
#define SIGPAD_NAME_MAX 40
#define SIGPAD_POINTS_MAX 20000
#define SIGPAD_TIMEOUT_DEFAULT 30000
#define SIGPAD_TIMEOUT_MAX 600000
#define SIGPAD_QUEUE_MAX 32        /* commands waiting while one runs */

struct sigpad_point {
	int32_t x, y;     /* logical units, origin top left */
	int32_t pressure; /* 1 .. SIGPAD_PRESSURE_LEVELS - 1 */
	uint32_t t;       /* ms since the first PEN-DOWN of the capture */
};

struct sigpad_stroke {
	size_t first; /* index of its first point */
	size_t count; /* at least 2 */
};

struct sigpad_ink {
	struct sigpad_point *points;
	size_t npoints;
	struct sigpad_stroke *strokes;
	size_t nstrokes;
	uint32_t duration; /* ms from the first PEN-DOWN to the last PEN-UP */
};

/* The signer's name the seed picks when none was set. */
const char *sigpad_ink_default_name(struct sim_rng *rng);
/* Is text usable as a name to write (letters, blanks, . - ')? */
bool sigpad_ink_name_valid(const char *text);
/*
 * Write name in cursive: the strokes of the words, the dots and bars, and a
 * final flourish, sampled at SIGPAD_RATE. npoints 0 lets the writing speed
 * decide; quality (0-100) sets the digitizer noise.
 */
int sigpad_ink_generate(struct sim_rng *rng, const char *name, size_t npoints, int quality,
		struct sigpad_ink *ink);
void sigpad_ink_clear(struct sigpad_ink *ink);

/* Render black on white, SIGPAD_IMAGE_WIDTH x SIGPAD_IMAGE_HEIGHT, as PNG. */
int sigpad_render_png(const struct sigpad_ink *ink, uint8_t **png, size_t *len);

/* --- the pad (sigpad-protocol.c) ---------------------------------------------------- */

struct sigpad {
	struct sim *sim;
	/* identity */
	char model[33];
	char serial[33];
	char firmware[17];
	/* settings from the control socket, for the next capture */
	char name[SIGPAD_NAME_MAX + 1]; /* empty: chosen by the seed */
	size_t points;                  /* 0: natural */
	bool pen_timeout;
	bool unplug_mid_capture;
	bool garbage;
	bool oversized;
	/* the host session */
	bool hello;
	struct sim_line_reader reader;
	char *queue[SIGPAD_QUEUE_MAX]; /* commands waiting for the running one */
	size_t queued;
	char *pending;         /* a command waiting out the reply delay */
	struct event *delay_ev;
	struct event *pump_ev; /* runs waiting commands once idle */
	bool host_eof;         /* the host shut down its sending side */
	/* a running operation */
	int state;             /* enum in sigpad-protocol.c */
	struct event *op_ev;   /* pen wait, point pacing, self-test steps */
	uint64_t op_start_us;  /* real time of the first PEN-DOWN */
	uint32_t timeout_ms;
	size_t min_points;
	struct sigpad_ink ink;
	size_t next_point;
	size_t next_stroke;
	size_t drop_at;        /* unplug-mid-capture: drop before this point */
	int step;
	/* counters for status */
	unsigned long captures;
	unsigned long commands;
};

int sigpad_init(struct sigpad *pad, struct sim *sim);
void sigpad_fini(struct sigpad *pad);
void sigpad_connected(struct sigpad *pad);
void sigpad_readable(struct sigpad *pad, struct evbuffer *in);
void sigpad_disconnected(struct sigpad *pad);
void sigpad_host_eof(struct sigpad *pad);
const char *sigpad_state_name(const struct sigpad *pad);
