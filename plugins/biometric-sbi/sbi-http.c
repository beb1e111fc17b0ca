// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * rekam - device plugins
 *
 * sbi-http.c - libcurl's multi interface on the host's event loop (see
 * sbi-http.h): CURLMOPT_SOCKETFUNCTION keeps one host watch per socket
 * curl uses, CURLMOPT_TIMERFUNCTION one host timer, and both call
 * curl_multi_socket_action(); finished transfers are collected with
 * curl_multi_info_read() and reported after curl has returned. Replies are
 * kept in memory up to SBI_REPLY_MAX bytes; a bigger one is cut off
 * (-E2BIG), and what had come of it is dropped, as on any other error.
 */
#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "plugins/biometric-sbi/sbi-http.h"
#include "plugins/biometric-sbi/sbi-reply.h"

struct sbi_call {
	struct sbi_http *http;
	CURL *easy;
	struct curl_slist *headers;
	char *request;
	char *body;
	size_t len, cap;
	bool too_big;
	sbi_http_fn fn;
	void *data;
	char error[CURL_ERROR_SIZE];
	struct sbi_call *next;
};

struct sbi_http {
	const struct rk_host *host;
	struct rk_device *dev;
	CURLM *multi;
	struct rk_timer *timer;
	struct sbi_call *calls;
};

static void check_done(struct sbi_http *http);

static void watch_cb(int fd, unsigned int events, void *data)
{
	struct sbi_http *http = data;
	int running = 0, mask = 0;

	if (events & RK_WATCH_READ)
		mask |= CURL_CSELECT_IN;
	if (events & RK_WATCH_WRITE)
		mask |= CURL_CSELECT_OUT;
	curl_multi_socket_action(http->multi, fd, mask, &running);
	check_done(http);
}

static int socket_cb(CURL *easy, curl_socket_t s, int what, void *userp, void *socketp)
{
	struct sbi_http *http = userp;
	struct rk_watch *watch = socketp;
	unsigned int events = (what == CURL_POLL_IN ? RK_WATCH_READ : 0) |
		(what == CURL_POLL_OUT ? RK_WATCH_WRITE : 0) |
		(what == CURL_POLL_INOUT ? RK_WATCH_READ | RK_WATCH_WRITE : 0);

	if (what == CURL_POLL_REMOVE) {
		http->host->watch_remove(watch);
		curl_multi_assign(http->multi, s, NULL);
		return 0;
	}
	if (watch) {
		http->host->watch_set_events(watch, events);
		return 0;
	}
	watch = http->host->watch_add(http->dev, s, events, watch_cb, http);
	if (!watch)
		return -1;
	curl_multi_assign(http->multi, s, watch);
	return 0;
}

static void timer_cb(void *data)
{
	struct sbi_http *http = data;
	int running = 0;

	http->host->timer_remove(http->timer);
	http->timer = NULL;
	curl_multi_socket_action(http->multi, CURL_SOCKET_TIMEOUT, 0, &running);
	check_done(http);
}

static int timerfunction(CURLM *multi, long timeout_ms, void *userp)
{
	struct sbi_http *http = userp;

	if (http->timer) {
		http->host->timer_remove(http->timer);
		http->timer = NULL;
	}
	if (timeout_ms < 0)
		return 0;
	http->timer = http->host->timer_add(http->dev, (unsigned int)timeout_ms, false, timer_cb,
		http);
	return http->timer ? 0 : -1;
}

struct sbi_http *sbi_http_new(const struct rk_host *host, struct rk_device *dev)
{
	struct sbi_http *http = calloc(1, sizeof(*http));

	if (!http)
		return NULL;
	http->host = host;
	http->dev = dev;
	http->multi = curl_multi_init();
	if (!http->multi) {
		free(http);
		return NULL;
	}
	curl_multi_setopt(http->multi, CURLMOPT_SOCKETFUNCTION, socket_cb);
	curl_multi_setopt(http->multi, CURLMOPT_SOCKETDATA, http);
	curl_multi_setopt(http->multi, CURLMOPT_TIMERFUNCTION, timerfunction);
	curl_multi_setopt(http->multi, CURLMOPT_TIMERDATA, http);
	return http;
}

static void call_free(struct sbi_call *call)
{
	struct sbi_http *http = call->http;
	struct sbi_call **p;

	for (p = &http->calls; *p && *p != call; p = &(*p)->next)
		;
	if (*p)
		*p = call->next;
	curl_multi_remove_handle(http->multi, call->easy);
	curl_easy_cleanup(call->easy);
	curl_slist_free_all(call->headers);
	free(call->request);
	free(call->body);
	free(call);
}

void sbi_http_abort(struct sbi_http *http, struct sbi_call *call)
{
	if (call)
		call_free(call);
}

void sbi_http_free(struct sbi_http *http)
{
	if (!http)
		return;
	while (http->calls)
		call_free(http->calls);
	curl_multi_cleanup(http->multi);
	if (http->timer)
		http->host->timer_remove(http->timer);
	free(http);
}

static size_t write_cb(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	struct sbi_call *call = userdata;
	size_t n = size * nmemb;

	if (call->len + n > SBI_REPLY_MAX) {
		call->too_big = true;
		return 0; /* curl stops the transfer */
	}
	if (call->len + n + 1 > call->cap) {
		size_t cap = call->cap ? call->cap : 16384;
		char *bigger;

		while (cap < call->len + n + 1)
			cap *= 2;
		bigger = realloc(call->body, cap);
		if (!bigger)
			return 0;
		call->body = bigger;
		call->cap = cap;
	}
	memcpy(call->body + call->len, ptr, n);
	call->len += n;
	call->body[call->len] = '\0';
	return n;
}

static int errno_of(CURLcode code, const struct sbi_call *call, char *msg, size_t size)
{
	switch (code) {
	case CURLE_COULDNT_CONNECT:
		snprintf(msg, size, "no SBI device service answers (%s)", call->error);
		return -ECONNREFUSED;
	case CURLE_OPERATION_TIMEDOUT:
		snprintf(msg, size, "the SBI device service did not answer in time");
		return -ETIMEDOUT;
	case CURLE_WRITE_ERROR:
		if (call->too_big) {
			snprintf(msg, size, "the SBI device service sent a reply larger than "
				"%u bytes", SBI_REPLY_MAX);
			return -E2BIG;
		}
		snprintf(msg, size, "out of memory while reading the reply");
		return -ENOMEM;
	case CURLE_GOT_NOTHING:
	case CURLE_RECV_ERROR:
	case CURLE_SEND_ERROR:
	case CURLE_PARTIAL_FILE:
		snprintf(msg, size, "the SBI device service closed the connection without a "
			"complete answer (%s)", call->error[0] ? call->error :
			curl_easy_strerror(code));
		return -ECONNRESET;
	default:
		snprintf(msg, size, "HTTP to the SBI device service failed: %s",
			call->error[0] ? call->error : curl_easy_strerror(code));
		return -EIO;
	}
}

static void check_done(struct sbi_http *http)
{
	CURLMsg *m;
	int left;

	while ((m = curl_multi_info_read(http->multi, &left))) {
		struct sbi_call *call = NULL;
		char message[CURL_ERROR_SIZE + 128] = "";
		long status = 0;
		int err = 0;

		if (m->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&call);
		if (!call)
			continue;
		if (m->data.result != CURLE_OK)
			err = errno_of(m->data.result, call, message, sizeof(message));
		else
			curl_easy_getinfo(call->easy, CURLINFO_RESPONSE_CODE, &status);
		/* take the call out first: the callback may start or abort others */
		{
			sbi_http_fn fn = call->fn;
			void *data = call->data;
			char *body = call->body;
			size_t len = call->len;

			call->body = NULL;
			call_free(call);
			/* nothing of a cut-off or partial reply is handed on */
			if (err) {
				free(body);
				body = NULL;
				len = 0;
			}
			fn(data, err, status, body ? body : "", len, message);
			free(body);
		}
	}
}

struct sbi_call *sbi_http_call(struct sbi_http *http, const char *method, unsigned int port,
		const char *path, const char *body, long timeout_ms, sbi_http_fn fn, void *data)
{
	struct sbi_call *call = calloc(1, sizeof(*call));
	char url[128];

	if (!call)
		return NULL;
	call->http = http;
	call->fn = fn;
	call->data = data;
	call->easy = curl_easy_init();
	call->headers = curl_slist_append(NULL, "Content-Type: application/json");
	call->headers = curl_slist_append(call->headers, "EXT: rekamd");
	call->headers = curl_slist_append(call->headers, "Expect:");
	call->request = body ? strdup(body) : NULL;
	if (!call->easy || !call->headers || (body && !call->request)) {
		curl_easy_cleanup(call->easy);
		curl_slist_free_all(call->headers);
		free(call->request);
		free(call);
		return NULL;
	}
	snprintf(url, sizeof(url), "http://127.0.0.1:%u%s", port, path);
	curl_easy_setopt(call->easy, CURLOPT_URL, url);
	curl_easy_setopt(call->easy, CURLOPT_PROTOCOLS_STR, "http");
	curl_easy_setopt(call->easy, CURLOPT_NOPROXY, "*");
	curl_easy_setopt(call->easy, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(call->easy, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(call->easy, CURLOPT_HTTPHEADER, call->headers);
	if (call->request) {
		curl_easy_setopt(call->easy, CURLOPT_POSTFIELDS, call->request);
		curl_easy_setopt(call->easy, CURLOPT_POSTFIELDSIZE, (long)strlen(call->request));
	}
	curl_easy_setopt(call->easy, CURLOPT_CONNECTTIMEOUT_MS, 2000L);
	curl_easy_setopt(call->easy, CURLOPT_TIMEOUT_MS, timeout_ms);
	curl_easy_setopt(call->easy, CURLOPT_WRITEFUNCTION, write_cb);
	curl_easy_setopt(call->easy, CURLOPT_WRITEDATA, call);
	curl_easy_setopt(call->easy, CURLOPT_ERRORBUFFER, call->error);
	curl_easy_setopt(call->easy, CURLOPT_PRIVATE, call);
	curl_easy_setopt(call->easy, CURLOPT_FORBID_REUSE, 1L);
	call->next = http->calls;
	http->calls = call;
	if (curl_multi_add_handle(http->multi, call->easy) != CURLM_OK) {
		call_free(call);
		return NULL;
	}
	return call;
}
