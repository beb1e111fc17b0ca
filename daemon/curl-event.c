// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * rekam - KTP-el recording station daemon
 *
 * curl-event.c - libcurl multi on the libevent loop (see curl-event.h):
 * one struct event per socket libcurl asks us to watch (kept with
 * curl_multi_assign), one evtimer for libcurl's timeout, and after every
 * curl_multi_socket_action() the finished transfers are collected and
 * handed to the done callback.
 */
#include <config.h>

#include <errno.h>
#include <stdlib.h>

#include "daemon/curl-event.h"
#include "daemon/log.h"

struct rk_curl_event {
	struct event_base *base;
	CURLM *multi;
	struct event *timer;
	rk_curl_done_fn done;
	void *data;
	int running;
	unsigned int added;
};

static void check_done(struct rk_curl_event *ce)
{
	CURLMsg *msg;
	int left;

	while ((msg = curl_multi_info_read(ce->multi, &left))) {
		CURL *easy;
		CURLcode result;

		if (msg->msg != CURLMSG_DONE)
			continue;
		easy = msg->easy_handle;
		result = msg->data.result;
		curl_multi_remove_handle(ce->multi, easy);
		ce->added--;
		ce->done(easy, result, ce->data);
	}
}

static void on_socket_event(evutil_socket_t fd, short what, void *arg)
{
	struct rk_curl_event *ce = arg;
	int flags = (what & EV_READ ? CURL_CSELECT_IN : 0) | (what & EV_WRITE ? CURL_CSELECT_OUT : 0);

	curl_multi_socket_action(ce->multi, fd, flags, &ce->running);
	check_done(ce);
}

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
	struct rk_curl_event *ce = arg;

	curl_multi_socket_action(ce->multi, CURL_SOCKET_TIMEOUT, 0, &ce->running);
	check_done(ce);
}

/* CURLMOPT_SOCKETFUNCTION: watch @s as libcurl asks. */
static int socket_cb(CURL *easy, curl_socket_t s, int what, void *arg, void *socketp)
{
	struct rk_curl_event *ce = arg;
	struct event *ev = socketp;
	short kind;

	if (what == CURL_POLL_REMOVE) {
		if (ev) {
			event_free(ev);
			curl_multi_assign(ce->multi, s, NULL);
		}
		return 0;
	}
	kind = (short)((what & CURL_POLL_IN ? EV_READ : 0) | (what & CURL_POLL_OUT ? EV_WRITE : 0) |
			EV_PERSIST);
	if (ev) {
		event_del(ev);
		event_assign(ev, ce->base, s, kind, on_socket_event, ce);
	} else {
		ev = event_new(ce->base, s, kind, on_socket_event, ce);
		if (!ev)
			return -1;
		curl_multi_assign(ce->multi, s, ev);
	}
	return event_add(ev, NULL) < 0 ? -1 : 0;
}

/* CURLMOPT_TIMERFUNCTION: -1 stops the timer, 0 means "as soon as possible". */
static int timer_cb(CURLM *multi, long ms, void *arg)
{
	struct rk_curl_event *ce = arg;
	struct timeval tv = { .tv_sec = ms / 1000, .tv_usec = (ms % 1000) * 1000 };

	if (ms < 0)
		return evtimer_del(ce->timer) < 0 ? -1 : 0;
	return evtimer_add(ce->timer, &tv) < 0 ? -1 : 0;
}

struct rk_curl_event *rk_curl_event_new(struct event_base *base, rk_curl_done_fn done, void *data)
{
	struct rk_curl_event *ce = calloc(1, sizeof(*ce));

	if (!ce)
		return NULL;
	ce->base = base;
	ce->done = done;
	ce->data = data;
	ce->multi = curl_multi_init();
	ce->timer = evtimer_new(base, on_timer, ce);
	if (!ce->multi || !ce->timer) {
		rk_curl_event_free(ce);
		return NULL;
	}
	curl_multi_setopt(ce->multi, CURLMOPT_SOCKETFUNCTION, socket_cb);
	curl_multi_setopt(ce->multi, CURLMOPT_SOCKETDATA, ce);
	curl_multi_setopt(ce->multi, CURLMOPT_TIMERFUNCTION, timer_cb);
	curl_multi_setopt(ce->multi, CURLMOPT_TIMERDATA, ce);
	return ce;
}

int rk_curl_event_add(struct rk_curl_event *ce, CURL *easy)
{
	CURLMcode r = curl_multi_add_handle(ce->multi, easy);

	if (r != CURLM_OK) {
		rk_error("curl: cannot start a transfer: %s", curl_multi_strerror(r));
		return r == CURLM_OUT_OF_MEMORY ? -ENOMEM : -EINVAL;
	}
	ce->added++;
	return 0;
}

void rk_curl_event_remove(struct rk_curl_event *ce, CURL *easy)
{
	if (curl_multi_remove_handle(ce->multi, easy) == CURLM_OK && ce->added)
		ce->added--;
}

unsigned int rk_curl_event_running(const struct rk_curl_event *ce)
{
	return ce->added;
}

void rk_curl_event_free(struct rk_curl_event *ce)
{
	if (!ce)
		return;
	if (ce->multi)
		curl_multi_cleanup(ce->multi); /* calls socket_cb with REMOVE for open sockets */
	if (ce->timer)
		event_free(ce->timer);
	free(ce);
}
