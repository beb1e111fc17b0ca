// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * rekam - KTP-el recording station daemon
 *
 * host-events.c - a device's fd watches and timers on a libevent loop, as
 * the plugin ABI's host table offers them: one libevent event each, kept on
 * the device's lists so that what a plugin leaves behind can be removed.
 * rekamd (host.c) and rekamctl diag --direct (client/direct.c) both use it.
 */
#include <config.h>

#include <stdlib.h>

#include "daemon/host-events.h"

struct rk_watch {
	struct rk_host_events *set;
	struct event *ev;
	rk_watch_fn fn;
	void *data;
	struct rk_watch *next;
};

struct rk_timer {
	struct rk_host_events *set;
	struct event *ev;
	rk_timer_fn fn;
	void *data;
	struct rk_timer *next;
};

static void watch_cb(evutil_socket_t fd, short what, void *data)
{
	struct rk_watch *w = data;
	unsigned int events = 0;

	if (what & EV_READ)
		events |= RK_WATCH_READ;
	if (what & EV_WRITE)
		events |= RK_WATCH_WRITE;
	w->fn((int)fd, events, w->data);
}

static short ev_flags(unsigned int events)
{
	return (short)(EV_PERSIST | (events & RK_WATCH_READ ? EV_READ : 0) |
		(events & RK_WATCH_WRITE ? EV_WRITE : 0));
}

struct rk_watch *rk_host_watch_add(struct rk_host_events *set, struct event_base *base, int fd,
		unsigned int events, rk_watch_fn fn, void *data)
{
	struct rk_watch *w = calloc(1, sizeof(*w));

	if (!w)
		return NULL;
	*w = (struct rk_watch){ .set = set, .fn = fn, .data = data };
	w->ev = event_new(base, fd, ev_flags(events), watch_cb, w);
	if (!w->ev || (events && event_add(w->ev, NULL) < 0)) {
		if (w->ev)
			event_free(w->ev);
		free(w);
		return NULL;
	}
	w->next = set->watches;
	set->watches = w;
	return w;
}

void rk_host_watch_set_events(struct rk_watch *w, unsigned int events)
{
	evutil_socket_t fd = event_get_fd(w->ev);

	event_del(w->ev);
	event_assign(w->ev, event_get_base(w->ev), fd, ev_flags(events), watch_cb, w);
	if (events)
		event_add(w->ev, NULL);
}

void rk_host_watch_remove(struct rk_watch *w)
{
	struct rk_watch **p;

	if (!w)
		return;
	for (p = &w->set->watches; *p && *p != w; p = &(*p)->next)
		;
	if (*p)
		*p = w->next;
	event_free(w->ev);
	free(w);
}

static void timer_cb(evutil_socket_t fd, short what, void *data)
{
	struct rk_timer *t = data;

	t->fn(t->data);
}

struct rk_timer *rk_host_timer_add(struct rk_host_events *set, struct event_base *base,
		unsigned int ms, bool repeat, rk_timer_fn fn, void *data)
{
	struct rk_timer *t = calloc(1, sizeof(*t));
	struct timeval tv = { .tv_sec = ms / 1000, .tv_usec = (ms % 1000) * 1000 };

	if (!t)
		return NULL;
	*t = (struct rk_timer){ .set = set, .fn = fn, .data = data };
	t->ev = event_new(base, -1, repeat ? EV_PERSIST : 0, timer_cb, t);
	if (!t->ev || event_add(t->ev, &tv) < 0) {
		if (t->ev)
			event_free(t->ev);
		free(t);
		return NULL;
	}
	t->next = set->timers;
	set->timers = t;
	return t;
}

void rk_host_timer_remove(struct rk_timer *t)
{
	struct rk_timer **p;

	if (!t)
		return;
	for (p = &t->set->timers; *p && *p != t; p = &(*p)->next)
		;
	if (*p)
		*p = t->next;
	event_free(t->ev);
	free(t);
}

bool rk_host_events_clear(struct rk_host_events *set)
{
	bool any = set->watches || set->timers;

	while (set->watches)
		rk_host_watch_remove(set->watches);
	while (set->timers)
		rk_host_timer_remove(set->timers);
	return any;
}
