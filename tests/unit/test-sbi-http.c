// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * rekam - unit tests
 *
 * test-sbi-http.c - the SBI plugin's HTTP layer (plugins/biometric-sbi/
 * sbi-http.c) against a tiny fake device service on loopback, through the
 * watches and timers of a small poll() loop standing in for rekamd's: a
 * small reply arrives whole; a reply of exactly SBI_REPLY_MAX bytes is
 * kept; one byte more is cut off with -E2BIG and the sentence "... sent a
 * reply larger than N bytes", and nothing of it is handed on; a service
 * that closes the connection without answering is -ECONNRESET.
 */
#include <config.h>

#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "plugins/biometric-sbi/sbi-http.h"
#include "plugins/biometric-sbi/sbi-reply.h"
#include "tap.h"

/* --- a poll() loop with the host's watch and timer calls --------------------------- */

#define MAX_WATCHES 16
#define MAX_TIMERS 4

struct rk_watch {
	bool used;
	int fd;
	unsigned int events;
	rk_watch_fn fn;
	void *data;
};

struct rk_timer {
	bool used, armed, repeat;
	unsigned int ms;
	long long due;
	rk_timer_fn fn;
	void *data;
};

static struct rk_watch watches[MAX_WATCHES];
static struct rk_timer timers[MAX_TIMERS];

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static struct rk_watch *watch_add(struct rk_device *dev, int fd, unsigned int events,
		rk_watch_fn fn, void *data)
{
	(void)dev;
	for (int i = 0; i < MAX_WATCHES; i++)
		if (!watches[i].used) {
			watches[i] = (struct rk_watch){ true, fd, events, fn, data };
			return &watches[i];
		}
	return NULL;
}

static void watch_set_events(struct rk_watch *w, unsigned int events)
{
	w->events = events;
}

static void watch_remove(struct rk_watch *w)
{
	if (w)
		w->used = false;
}

static struct rk_timer *timer_add(struct rk_device *dev, unsigned int ms, bool repeat,
		rk_timer_fn fn, void *data)
{
	(void)dev;
	for (int i = 0; i < MAX_TIMERS; i++)
		if (!timers[i].used) {
			timers[i] = (struct rk_timer){ true, true, repeat, ms, now_ms() + ms, fn,
				data };
			return &timers[i];
		}
	return NULL;
}

static void timer_remove(struct rk_timer *t)
{
	if (t)
		t->used = false;
}

static const struct rk_host host = {
	.watch_add = watch_add,
	.watch_set_events = watch_set_events,
	.watch_remove = watch_remove,
	.timer_add = timer_add,
	.timer_remove = timer_remove,
};

/* One round of the loop: wait for a watched fd or the next timer, then
 * dispatch (callbacks may add and remove watches and timers). */
static void loop_once(void)
{
	struct pollfd fds[MAX_WATCHES];
	struct rk_watch *of[MAX_WATCHES];
	long long next = now_ms() + 1000;
	int n = 0, wait;

	for (int i = 0; i < MAX_WATCHES; i++)
		if (watches[i].used) {
			fds[n] = (struct pollfd){ .fd = watches[i].fd, .events =
				(short)((watches[i].events & RK_WATCH_READ ? POLLIN : 0) |
				(watches[i].events & RK_WATCH_WRITE ? POLLOUT : 0)) };
			of[n++] = &watches[i];
		}
	for (int i = 0; i < MAX_TIMERS; i++)
		if (timers[i].used && timers[i].armed && timers[i].due < next)
			next = timers[i].due;
	wait = (int)(next - now_ms());
	poll(fds, (nfds_t)n, wait < 0 ? 0 : wait);
	for (int i = 0; i < n; i++) {
		unsigned int ev = (fds[i].revents & (POLLIN | POLLHUP | POLLERR) ? RK_WATCH_READ : 0) |
			(fds[i].revents & POLLOUT ? RK_WATCH_WRITE : 0);

		/* still the same watch on the same fd (an earlier callback may have
		 * removed it, or reused the slot) */
		if (ev && of[i]->used && of[i]->fd == fds[i].fd)
			of[i]->fn(fds[i].fd, ev, of[i]->data);
	}
	for (int i = 0; i < MAX_TIMERS; i++) {
		struct rk_timer *t = &timers[i];

		if (t->used && t->armed && t->due <= now_ms()) {
			if (t->repeat)
				t->due = now_ms() + t->ms;
			else
				t->armed = false;
			t->fn(t->data);
		}
	}
}

/* --- a fake SBI device service -------------------------------------------------------- */

/* The child answers one connection per entry of @sizes: a 200 with a body of
 * that many bytes (a JSON array padded with spaces), or, for -1, nothing
 * (the connection closed after the request). */
static pid_t serve(int listener, const long *sizes, int n)
{
	pid_t pid = fork();

	if (pid != 0)
		return pid;
	signal(SIGPIPE, SIG_IGN);
	for (int i = 0; i < n; i++) {
		int c = accept(listener, NULL, NULL);
		char req[8192], head[256], chunk[65536];
		size_t got = 0;
		long left;

		if (c < 0)
			_exit(1);
		/* the request: headers and the small JSON body (Content-Length) */
		while (got < sizeof(req) - 1) {
			ssize_t r = recv(c, req + got, sizeof(req) - 1 - got, 0);
			char *end;

			if (r <= 0)
				break;
			got += (size_t)r;
			req[got] = '\0';
			end = strstr(req, "\r\n\r\n");
			if (end) {
				char *cl = strcasestr(req, "Content-Length:");
				size_t body = cl ? strtoul(cl + 15, NULL, 10) : 0;

				if (got >= (size_t)(end + 4 - req) + body)
					break;
			}
		}
		if (sizes[i] < 0) {
			close(c);
			continue;
		}
		snprintf(head, sizeof(head), "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
			"Content-Length: %ld\r\nConnection: close\r\n\r\n[", sizes[i]);
		send(c, head, strlen(head), MSG_NOSIGNAL);
		memset(chunk, ' ', sizeof(chunk));
		for (left = sizes[i] - 2; left > 0;) {
			size_t k = left < (long)sizeof(chunk) ? (size_t)left : sizeof(chunk);
			ssize_t w = send(c, chunk, k, MSG_NOSIGNAL);

			if (w <= 0)
				break; /* the client hung up: the reply was cut off */
			left -= w;
		}
		if (left <= 0)
			send(c, "]", 1, MSG_NOSIGNAL);
		close(c);
	}
	_exit(0);
}

/* --- the tests ------------------------------------------------------------------------- */

struct result {
	bool done;
	int err;
	long status;
	size_t len;
	bool body_ok; /* '[' ... ']' of the expected length, or "" */
	char message[512];
};

static void done(void *data, int err, long status, const char *body, size_t len,
		const char *message)
{
	struct result *res = data;

	res->done = true;
	res->err = err;
	res->status = status;
	res->len = len;
	res->body_ok = body && (len == 0 ? body[0] == '\0' :
		body[0] == '[' && body[len - 1] == ']' && body[len] == '\0');
	snprintf(res->message, sizeof(res->message), "%s", message ? message : "");
}

static void call(struct sbi_http *http, unsigned int port, struct result *res)
{
	long long limit = now_ms() + 120000;

	memset(res, 0, sizeof(*res));
	if (!sbi_http_call(http, "MOSIPDINFO", port, "/info", "{\"type\":\"Finger\"}", 60000,
			done, res)) {
		tap_diag("sbi_http_call did not start");
		return;
	}
	while (!res->done && now_ms() < limit)
		loop_once();
}

int main(void)
{
	static const long sizes[] = { 64, SBI_REPLY_MAX, (long)SBI_REPLY_MAX + 1, -1 };
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t sl = sizeof(sa);
	int listener = socket(AF_INET, SOCK_STREAM, 0), status = -1;
	struct sbi_http *http;
	struct result res;
	unsigned int port;
	char want[128];
	pid_t child;

	if (listener < 0 || bind(listener, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
			listen(listener, 4) < 0 ||
			getsockname(listener, (struct sockaddr *)&sa, &sl) < 0)
		tap_skip_all("no TCP listener on 127.0.0.1: %s", strerror(errno));
	port = ntohs(sa.sin_port);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	child = serve(listener, sizes, 4);
	close(listener);
	http = sbi_http_new(&host, NULL);
	tap_ok(http != NULL, "an HTTP layer on the test's loop");

	call(http, port, &res);
	tap_ok(res.done && res.err == 0 && res.status == 200 && res.len == 64 && res.body_ok,
		"a 64-byte reply arrives whole with its status (err %d, status %ld, %zu bytes)",
		res.err, res.status, res.len);

	call(http, port, &res);
	tap_ok(res.done && res.err == 0 && res.len == SBI_REPLY_MAX && res.body_ok,
		"a reply of exactly SBI_REPLY_MAX (%u) bytes is kept (err %d, %zu bytes)",
		SBI_REPLY_MAX, res.err, res.len);

	call(http, port, &res);
	tap_is_int(res.err, -E2BIG, "a reply one byte larger is refused with E2BIG");
	snprintf(want, sizeof(want), "the SBI device service sent a reply larger than %u bytes",
		SBI_REPLY_MAX);
	tap_ok(!strcmp(res.message, want), "... saying so: %s", res.message);
	tap_ok(res.len == 0 && res.body_ok, "... and nothing of it is handed on (%zu bytes)",
		res.len);

	call(http, port, &res);
	tap_is_int(res.err, -ECONNRESET, "a service that hangs up without answering: ECONNRESET");
	tap_ok(strstr(res.message, "closed the connection without a complete answer") != NULL,
		"... saying so: %s", res.message);
	tap_ok(res.len == 0 && res.body_ok, "... and no body");

	sbi_http_free(http);
	waitpid(child, &status, 0);
	tap_ok(WIFEXITED(status) && WEXITSTATUS(status) == 0, "the fake service answered each call");
	curl_global_cleanup();
	return tap_done();
}
