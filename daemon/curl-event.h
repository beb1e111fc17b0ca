/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * rekam - KTP-el recording station daemon
 *
 * curl-event.h - libcurl's multi interface driven by rekamd's libevent
 * loop: CURLMOPT_SOCKETFUNCTION puts an event on each socket libcurl
 * watches, CURLMOPT_TIMERFUNCTION one timer, and every finished transfer
 * is handed to a callback. Nothing here blocks the loop.
 */
#pragma once

#include <curl/curl.h>
#include <event2/event.h>

struct rk_curl_event;

/* A transfer ended (@result: CURLE_OK or why not). The easy handle is
 * already out of the multi handle: the callback owns it again. */
typedef void (*rk_curl_done_fn)(CURL *easy, CURLcode result, void *data);

/* NULL when out of memory. */
struct rk_curl_event *rk_curl_event_new(struct event_base *base, rk_curl_done_fn done,
		void *data);

/* Start a transfer. 0 or -ENOMEM / -EINVAL. */
int rk_curl_event_add(struct rk_curl_event *ce, CURL *easy);

/* Stop a transfer early (no callback). The caller still owns @easy. */
void rk_curl_event_remove(struct rk_curl_event *ce, CURL *easy);

/* Transfers still running. */
unsigned int rk_curl_event_running(const struct rk_curl_event *ce);

/* Stop everything (no callbacks; the caller frees its easy handles after
 * removing them) and free. */
void rk_curl_event_free(struct rk_curl_event *ce);
