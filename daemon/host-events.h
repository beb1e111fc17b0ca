/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * rekam - KTP-el recording station daemon
 *
 * host-events.h - the fd watches and timers a plugin host gives a device on
 * a libevent loop (watch_* and timer_* of struct rk_host, include/rekam/plugin.h).
 * One piece for both hosts: rekamd (host.c) and rekamctl diag --direct
 * (client/direct.c, which compiles this file in).
 */
#pragma once

#include <stdbool.h>

#include <event2/event.h>

#include "rekam/plugin.h"

/* Every watch and timer one device has; starts zeroed (none). */
struct rk_host_events {
	struct rk_watch *watches;
	struct rk_timer *timers;
};

/* Watches @fd for @events (RK_WATCH_READ, RK_WATCH_WRITE; 0 for none yet) on
 * @base until removed; @fn(fd, events that happened, @data). NULL on failure. */
struct rk_watch *rk_host_watch_add(struct rk_host_events *set, struct event_base *base, int fd,
		unsigned int events, rk_watch_fn fn, void *data);

/* What @w watches for from now on (0: nothing, until told again). */
void rk_host_watch_set_events(struct rk_watch *w, unsigned int events);

/* Stops and frees @w; NULL is fine. */
void rk_host_watch_remove(struct rk_watch *w);

/* @fn(@data) in @ms on @base, and every @ms after when @repeat. The timer
 * stays allocated after it fires until removed. NULL on failure. */
struct rk_timer *rk_host_timer_add(struct rk_host_events *set, struct event_base *base,
		unsigned int ms, bool repeat, rk_timer_fn fn, void *data);

/* Stops and frees @t; NULL is fine. */
void rk_host_timer_remove(struct rk_timer *t);

/* Removes every watch and timer of @set (those a plugin left behind);
 * true when there was any. */
bool rk_host_events_clear(struct rk_host_events *set);
