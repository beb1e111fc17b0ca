// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * rekam - device simulators
 *
 * biometric-http.c - rekam-sim-biometric's HTTP/1.1 server on 127.0.0.1:
 * just what an SBI device service needs. libevent 2.1's evhttp refuses
 * request methods it does not know, and SBI's are MOSIPDISC, MOSIPDINFO and
 * RCAPTURE, so this reads requests itself on bufferevents: a request line,
 * headers (at most 8 KiB), a body of Content-Length bytes (at most 64 KiB;
 * no chunked bodies), one request per connection, answered with
 * "Connection: close" as the SBI specification shows.
 */
#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <sys/socket.h>

#include <arpa/inet.h>
#include <event2/buffer.h>
#include <netinet/in.h>

#include "simulators/biometric.h"

/* CONN_LINGERING: the answer is out and our side shut; what the client
 * still sends is read and dropped until it closes (or LINGER_S pass), so
 * the kernel never answers unread bytes with a reset that would destroy
 * the end of a large answer still on its way. */
enum conn_state { CONN_HEAD, CONN_BODY, CONN_WORKING, CONN_CLOSING, CONN_LINGERING };

#define LINGER_S 5

struct bio_conn {
	struct bio *bio;
	struct bufferevent *bev;
	enum conn_state state;
	char method[24];
	char path[256];
	size_t body_len;
	struct event *timer;
	void (*timer_fn)(struct bio_conn *);
	json_t *job;
	struct bio_conn *next;
};

struct bio *bio_conn_bio(struct bio_conn *c)
{
	return c->bio;
}

void bio_conn_set_job(struct bio_conn *c, json_t *job)
{
	json_decref(c->job);
	c->job = job;
}

json_t *bio_conn_job(struct bio_conn *c)
{
	return c->job;
}

static void conn_free(struct bio_conn *c)
{
	struct bio_conn **p;

	for (p = &c->bio->conns; *p; p = &(*p)->next) {
		if (*p == c) {
			*p = c->next;
			break;
		}
	}
	if (c->bio->capturing == c)
		bio_sbi_abandoned(c->bio, c);
	if (c->timer)
		event_free(c->timer);
	json_decref(c->job);
	bufferevent_free(c->bev);
	free(c);
}

static const char *reason(int code)
{
	switch (code) {
	case 200: return "OK";
	case 400: return "Bad Request";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 411: return "Length Required";
	case 413: return "Payload Too Large";
	case 431: return "Request Header Fields Too Large";
	case 501: return "Not Implemented";
	default: return "Internal Server Error";
	}
}

void bio_http_reply(struct bio_conn *c, int code, char *body)
{
	struct evbuffer *out = bufferevent_get_output(c->bev);
	size_t len = body ? strlen(body) : 0;

	evbuffer_add_printf(out, "HTTP/1.1 %d %s\r\nCACHE-CONTROL: no-store\r\n"
		"LOCATION: http://127.0.0.1:%u\r\nContent-Type: application/json\r\n"
		"Content-Length: %zu\r\nConnection: close\r\n\r\n", code, reason(code),
		c->bio->port, len);
	if (body)
		evbuffer_add(out, body, len);
	free(body);
	c->state = CONN_CLOSING;
	bufferevent_disable(c->bev, EV_READ);
	if (evbuffer_get_length(out) == 0)
		conn_free(c);
}

void bio_http_drop(struct bio_conn *c)
{
	sim_debug("dropping the connection without an answer");
	conn_free(c);
}

static void error_reply(struct bio_conn *c, int code, const char *message)
{
	json_t *j = json_pack("{s:{s:s,s:s}}", "error", "errorCode", "500", "errorInfo", message);

	bio_http_reply(c, code, j ? json_dumps(j, JSON_COMPACT) : NULL);
	json_decref(j);
}

static void timer_cb(evutil_socket_t fd, short what, void *data)
{
	struct bio_conn *c = data;

	c->timer_fn(c);
}

int bio_conn_defer(struct bio_conn *c, const struct timeval *tv, void (*fn)(struct bio_conn *))
{
	if (!c->timer)
		c->timer = evtimer_new(sim_base(c->bio->sim), timer_cb, c);
	if (!c->timer)
		return -ENOMEM;
	c->timer_fn = fn;
	return evtimer_add(c->timer, tv) < 0 ? -EIO : 0;
}

/* The request line and headers are complete in @head. */
static void parse_head(struct bio_conn *c, char *head)
{
	char *save = NULL, *line = strtok_r(head, "\r\n", &save);
	int n = 0;

	if (!line || sscanf(line, "%23s %255s %n", c->method, c->path, &n) != 2 || !n ||
			strncmp(line + n, "HTTP/1.", 7) != 0) {
		error_reply(c, 400, "malformed request line");
		return;
	}
	c->body_len = 0;
	while ((line = strtok_r(NULL, "\r\n", &save))) {
		char *colon = strchr(line, ':'), *value, *end;

		if (!colon) {
			error_reply(c, 400, "malformed header line");
			return;
		}
		*colon = '\0';
		value = colon + 1 + strspn(colon + 1, " \t");
		if (!strcasecmp(line, "Content-Length")) {
			unsigned long v;

			errno = 0;
			v = strtoul(value, &end, 10);
			if (errno || end == value || *end || *value == '-') {
				error_reply(c, 400, "bad Content-Length");
				return;
			}
			if (v > BIO_BODY_MAX) {
				error_reply(c, 413, "request body larger than 64 KiB");
				return;
			}
			c->body_len = v;
		} else if (!strcasecmp(line, "Transfer-Encoding")) {
			error_reply(c, 411, "chunked bodies are not accepted; send Content-Length");
			return;
		}
	}
	c->state = CONN_BODY;
}

static void on_read(struct bufferevent *bev, void *data)
{
	struct bio_conn *c = data;
	struct evbuffer *in = bufferevent_get_input(bev);

	if (c->state == CONN_HEAD) {
		struct evbuffer_ptr end = evbuffer_search(in, "\r\n\r\n", 4, NULL);
		char *head;

		if (end.pos < 0) {
			if (evbuffer_get_length(in) > BIO_HEAD_MAX)
				error_reply(c, 431, "request headers larger than 8 KiB");
			return;
		}
		if ((size_t)end.pos > BIO_HEAD_MAX) {
			error_reply(c, 431, "request headers larger than 8 KiB");
			return;
		}
		head = malloc((size_t)end.pos + 1);
		if (!head) {
			bio_http_drop(c);
			return;
		}
		evbuffer_remove(in, head, (size_t)end.pos);
		head[end.pos] = '\0';
		evbuffer_drain(in, 4);
		parse_head(c, head);
		free(head);
		if (c->state != CONN_BODY)
			return;
	}
	if (c->state == CONN_BODY) {
		char *body;

		if (evbuffer_get_length(in) < c->body_len)
			return;
		body = malloc(c->body_len + 1);
		if (!body) {
			bio_http_drop(c);
			return;
		}
		evbuffer_remove(in, body, c->body_len);
		body[c->body_len] = '\0';
		c->state = CONN_WORKING;
		c->bio->requests++;
		sim_debug("%s %s (%zu bytes)", c->method, c->path, c->body_len);
		bio_sbi_request(c, c->method, c->path, body, c->body_len);
		free(body);
		return;
	}
	/* more bytes while working or closing: ignored */
	evbuffer_drain(in, evbuffer_get_length(in));
}

static void linger_over(struct bio_conn *c)
{
	conn_free(c);
}

static void on_write(struct bufferevent *bev, void *data)
{
	struct bio_conn *c = data;
	struct timeval tv = { LINGER_S, 0 };

	if (c->state != CONN_CLOSING)
		return;
	/* all of the answer is with the kernel: send FIN after it, then wait
	 * for the client's close, reading whatever it still sends */
	c->state = CONN_LINGERING;
	if (shutdown(bufferevent_getfd(bev), SHUT_WR) < 0 ||
			bio_conn_defer(c, &tv, linger_over) < 0) {
		conn_free(c);
		return;
	}
	bufferevent_enable(bev, EV_READ);
}

static void on_event(struct bufferevent *bev, short what, void *data)
{
	struct bio_conn *c = data;

	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR)) {
		if (c->state == CONN_WORKING)
			sim_debug("the client left before its answer");
		conn_free(c);
	}
}

static void on_accept(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa,
		int socklen, void *data)
{
	struct bio *b = data;
	struct bio_conn *c = calloc(1, sizeof(*c));

	if (!c) {
		evutil_closesocket(fd);
		return;
	}
	c->bio = b;
	c->bev = bufferevent_socket_new(sim_base(b->sim), fd, BEV_OPT_CLOSE_ON_FREE);
	if (!c->bev) {
		evutil_closesocket(fd);
		free(c);
		return;
	}
	c->next = b->conns;
	b->conns = c;
	bufferevent_setcb(c->bev, on_read, on_write, on_event, c);
	bufferevent_enable(c->bev, EV_READ);
}

int bio_http_start(struct bio *b)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons((uint16_t)b->port) };

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	b->listener = evconnlistener_new_bind(sim_base(b->sim), on_accept, b,
		LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE | LEV_OPT_CLOSE_ON_EXEC, 16,
		(struct sockaddr *)&sin, sizeof(sin));
	if (!b->listener) {
		sim_err("cannot listen on 127.0.0.1:%u: %s", b->port, strerror(errno));
		return -EADDRINUSE;
	}
	return 0;
}

void bio_http_stop(struct bio *b)
{
	while (b->conns)
		conn_free(b->conns);
	if (b->listener)
		evconnlistener_free(b->listener);
	b->listener = NULL;
}
