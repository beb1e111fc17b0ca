/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * rekam - device plugins
 *
 * monitor.h - one thread per reader that waits in SCardGetStatusChange for
 * the card to come and go (and the reader to vanish), and tells the event
 * loop through an eventfd. The thread has its own PC/SC context; stopping
 * it cancels that context's wait with SCardCancel. The monitor is shared by
 * the thread and the loop and freed by whichever lets go last, so stopping
 * never waits for the thread.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MONITOR_ATR_MAX 33

struct monitor;

/* What the loop reads after the eventfd fired. */
struct monitor_state {
	bool card_present;
	bool ended;            /* the thread stopped: the reader or pcscd is gone */
	unsigned int events;   /* insertions and removals seen so far */
	uint8_t atr[MONITOR_ATR_MAX];
	size_t atr_len;
	char why[160];         /* when ended */
};

/* Start watching @reader; NULL on failure. The eventfd is monitor_fd(). */
struct monitor *monitor_start(const char *reader);
int monitor_fd(const struct monitor *m);
/* Drain the eventfd and copy the latest state. */
void monitor_read(struct monitor *m, struct monitor_state *state);
/* Stop the thread (without waiting for it) and let go of @m. */
void monitor_stop(struct monitor *m);
/* Join every monitor thread, stopped beforehand (at plugin unload). */
void monitor_wait_all(void);
