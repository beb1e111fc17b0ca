// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * rekam - device simulators
 *
 * central-http.c - rekam-sim-central's HTTPS listener: evhttp on
 * 127.0.0.1:PORT over bufferevent_openssl with client certificates
 * required, JSON replies and error bodies, and the network faults of the
 * control socket (refuse, stall, error, drop, slow, wrong-cert, hangup).
 */
#include <config.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/http.h>

#include "simulators/central-server.h"

struct central_bucket {
	struct ev_token_bucket_cfg *cfg;
	struct central_bucket *next;
};

SSL *central_request_ssl(struct evhttp_request *req)
{
	struct evhttp_connection *evcon = evhttp_request_get_connection(req);
	struct bufferevent *bev = evcon ? evhttp_connection_get_bufferevent(evcon) : NULL;

	return bev ? bufferevent_openssl_get_ssl(bev) : NULL;
}

void central_reply(struct evhttp_request *req, int code, json_t *body)
{
	struct evbuffer *out = evbuffer_new();
	char *text = json_dumps(body, JSON_COMPACT);
	const char *reason;

	if (out && text) {
		evbuffer_add(out, text, strlen(text));
		evbuffer_add(out, "\n", 1);
	}
	evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type",
			"application/json");
	switch (code) {
	case 200: reason = "OK"; break;
	case 202: reason = "Accepted"; break;
	case 400: reason = "Bad Request"; break;
	case 403: reason = "Forbidden"; break;
	case 404: reason = "Not Found"; break;
	case 405: reason = "Method Not Allowed"; break;
	case 409: reason = "Conflict"; break;
	case 413: reason = "Payload Too Large"; break;
	case 415: reason = "Unsupported Media Type"; break;
	case 503: reason = "Service Unavailable"; break;
	default: reason = "Internal Server Error"; break;
	}
	evhttp_send_reply(req, code, reason, out);
	free(text);
	if (out)
		evbuffer_free(out);
	json_decref(body);
}

void central_error(struct evhttp_request *req, int code, const char *code_name,
		const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	sim_debug("%d %s: %s", code, code_name, msg);
	central_reply(req, code, json_pack("{s:{s:s,s:s}}", "error", "code", code_name,
			"message", msg));
}

/* --- the request callback and its faults ------------------------------------------ */

static void on_request(struct evhttp_request *req, void *arg)
{
	struct central *c = arg;
	char value[16];

	c->requests++;
	sim_debug("%s %s", evhttp_request_get_command(req) == EVHTTP_REQ_GET ? "GET" : "POST",
			evhttp_request_get_uri(req));
	if (c->stall)
		return; /* never answered; freed when the client gives up */
	if (c->error_count > 0) {
		c->error_count--;
		if (c->retry_after) {
			snprintf(value, sizeof(value), "%u", c->retry_after);
			evhttp_add_header(evhttp_request_get_output_headers(req), "Retry-After",
					value);
		}
		if (c->error_code == 503)
			central_error(req, 503, "unavailable", "the central server is busy");
		else
			central_error(req, 500, "internal", "injected server error");
		return;
	}
	central_api_handle(c, req);
}

/* The drop fault: once an armed connection has brought CENTRAL_DROP_AFTER
 * bytes of request, its socket is shut down under evhttp. The watches live
 * until exit (a connection may end first, freeing its buffer). */
struct central_drop {
	struct central *c;
	struct bufferevent *bev;
	size_t seen;
	struct central_drop *next;
};

static void on_drop_input(struct evbuffer *buf, const struct evbuffer_cb_info *info, void *arg)
{
	struct central_drop *w = arg;

	w->seen += info->n_added;
	if (w->seen < CENTRAL_DROP_AFTER || !w->c->drop)
		return;
	w->c->drop = false;
	sim_info("drop: closing a connection after %zu bytes of its request", w->seen);
	evbuffer_remove_cb(buf, on_drop_input, w);
	/* evhttp must not see the request: it ends at EOF instead */
	evbuffer_drain(buf, evbuffer_get_length(buf));
	shutdown(bufferevent_getfd(w->bev), SHUT_RDWR);
}

static struct bufferevent *on_connection(struct event_base *base, void *arg)
{
	struct central *c = arg;
	SSL *ssl = SSL_new(c->wrong_cert ? c->tls_wrong : c->tls);
	struct bufferevent *bev;

	if (!ssl)
		return NULL;
	if (c->slow_bps && c->buckets) {
		/* limit the socket under the TLS filter: a limit on the TLS
		 * bufferevent itself stalls on records OpenSSL has buffered */
		struct bufferevent *under = bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE);

		if (!under) {
			SSL_free(ssl);
			return NULL;
		}
		bufferevent_set_rate_limit(under, c->buckets->cfg);
		bev = bufferevent_openssl_filter_new(base, under, ssl, BUFFEREVENT_SSL_ACCEPTING,
				BEV_OPT_CLOSE_ON_FREE);
		if (!bev)
			bufferevent_free(under);
	} else {
		bev = bufferevent_openssl_socket_new(base, -1, ssl, BUFFEREVENT_SSL_ACCEPTING,
				BEV_OPT_CLOSE_ON_FREE);
	}
	if (!bev)
		return NULL;
	if (c->drop) {
		struct central_drop *w = calloc(1, sizeof(*w));

		if (w) {
			w->c = c;
			w->bev = bev;
			w->next = c->drops;
			c->drops = w;
			evbuffer_add_cb(bufferevent_get_input(bev), on_drop_input, w);
		}
	}
	return bev;
}

int central_http_slow(struct central *c, unsigned int bps)
{
	struct central_bucket *b;

	c->slow_bps = bps;
	if (!bps)
		return 0;
	/* a configuration must outlive every bufferevent using it: keep them all */
	b = calloc(1, sizeof(*b));
	if (!b)
		return -ENOMEM;
	b->cfg = ev_token_bucket_cfg_new(bps, bps, bps, bps, NULL);
	if (!b->cfg) {
		free(b);
		return -ENOMEM;
	}
	b->next = c->buckets;
	c->buckets = b;
	return 0;
}

/* --- listening ------------------------------------------------------------------ */

int central_http_accept(struct central *c)
{
	if (c->bound)
		return -EALREADY;
	int one = 1;

	c->bound = evhttp_bind_socket_with_handle(c->http, "127.0.0.1", (ev_uint16_t)c->port);
	if (!c->bound)
		return errno ? -errno : -EADDRINUSE;
	/* answers go out at once, not after the client's delayed ACK (Linux
	 * gives accepted sockets the listening socket's TCP_NODELAY) */
	setsockopt(evhttp_bound_socket_get_fd(c->bound), IPPROTO_TCP, TCP_NODELAY, &one,
			sizeof(one));
	return 0;
}

void central_http_refuse(struct central *c)
{
	if (!c->bound)
		return;
	evhttp_del_accept_socket(c->http, c->bound);
	c->bound = NULL;
}

/* Close every open connection, as a server restart would: evhttp and its
 * connections go, a new evhttp listens again if the old one did. */
int central_http_hangup(struct central *c)
{
	bool listening = c->bound != NULL;
	int r;

	evhttp_free(c->http);
	c->http = NULL;
	c->bound = NULL;
	r = central_http_start(c);
	if (r == 0 && !listening)
		central_http_refuse(c);
	return r;
}

int central_http_start(struct central *c)
{
	int r;

	c->http = evhttp_new(sim_base(c->sim));
	if (!c->http)
		return -ENOMEM;
	evhttp_set_bevcb(c->http, on_connection, c);
	evhttp_set_gencb(c->http, on_request, c);
	evhttp_set_max_body_size(c->http, CENTRAL_BODY_MAX);
	evhttp_set_max_headers_size(c->http, 16384);
	evhttp_set_timeout(c->http, 120);
	evhttp_set_allowed_methods(c->http, EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_PUT |
			EVHTTP_REQ_DELETE | EVHTTP_REQ_HEAD | EVHTTP_REQ_PATCH);
	r = central_http_accept(c);
	if (r < 0)
		sim_err("cannot listen on 127.0.0.1:%u: %s", c->port, strerror(-r));
	return r;
}

void central_http_stop(struct central *c)
{
	if (c->http)
		evhttp_free(c->http);
	c->http = NULL;
	c->bound = NULL;
	while (c->buckets) {
		struct central_bucket *b = c->buckets;

		c->buckets = b->next;
		ev_token_bucket_cfg_free(b->cfg);
		free(b);
	}
	while (c->drops) {
		struct central_drop *d = c->drops;

		c->drops = d->next;
		free(d);
	}
}
