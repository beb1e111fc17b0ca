// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * rekam - device simulators
 *
 * camera-ptpip.c - the PTP/IP transport of rekam-sim-camera (ISO 15740
 * over TCP): the listeners on 127.0.0.1 and unplug, the connections, the
 * init handshake of the command and event channels, packet framing and
 * checks, and sending responses, data and events; the operations
 * themselves are in camera-ops.c. Every packet is a little-endian u32
 * length and u32 type, then its payload.
 */
#include <config.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/bufferevent.h>

#include "simulators/camera-ptpip.h"

#define PACKET_MIN 8
#define PACKET_MAX (16u << 20)
#define DATA_CHUNK 65536

static void process(struct camera_conn *c);

/* --- little-endian encoding --------------------------------------------------------- */

uint16_t ptpip_get16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

uint32_t ptpip_get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

void ptpip_put8(struct evbuffer *b, uint8_t v)
{
	evbuffer_add(b, &v, 1);
}

void ptpip_put16(struct evbuffer *b, uint16_t v)
{
	uint8_t p[2] = { v & 0xff, v >> 8 };

	evbuffer_add(b, p, sizeof(p));
}

void ptpip_put32(struct evbuffer *b, uint32_t v)
{
	uint8_t p[4] = { v & 0xff, (v >> 8) & 0xff, (v >> 16) & 0xff, v >> 24 };

	evbuffer_add(b, p, sizeof(p));
}

void ptpip_put64(struct evbuffer *b, uint64_t v)
{
	ptpip_put32(b, (uint32_t)v);
	ptpip_put32(b, (uint32_t)(v >> 32));
}

/* A PTP string: u8 count of UCS-2 units with the terminating null, then them;
 * the empty string is a single 0. */
void ptpip_put_string(struct evbuffer *b, const char *s)
{
	size_t i, n = strlen(s);

	if (n == 0) {
		ptpip_put8(b, 0);
		return;
	}
	if (n > 254)
		n = 254;
	ptpip_put8(b, (uint8_t)(n + 1));
	for (i = 0; i < n; i++)
		ptpip_put16(b, (uint8_t)s[i]);
	ptpip_put16(b, 0);
}

void ptpip_put_array16(struct evbuffer *b, const uint16_t *v, size_t n)
{
	size_t i;

	ptpip_put32(b, (uint32_t)n);
	for (i = 0; i < n; i++)
		ptpip_put16(b, v[i]);
}

/* --- connections ------------------------------------------------------------------- */

void ptpip_send_packet(struct camera_conn *c, uint32_t type, struct evbuffer *body)
{
	struct evbuffer *out = bufferevent_get_output(c->bev);
	size_t len = body ? evbuffer_get_length(body) : 0;
	uint8_t hdr[8] = { 0 };

	hdr[0] = (uint8_t)(len + 8);
	hdr[1] = (uint8_t)((len + 8) >> 8);
	hdr[2] = (uint8_t)((len + 8) >> 16);
	hdr[3] = (uint8_t)((len + 8) >> 24);
	hdr[4] = (uint8_t)type;
	evbuffer_add(out, hdr, sizeof(hdr));
	if (body)
		evbuffer_add_buffer(out, body);
}

static void conn_free(struct camera_conn *c)
{
	struct camera_conn **p;

	for (p = &c->cam->conns; *p; p = &(*p)->next) {
		if (*p == c) {
			*p = c->next;
			break;
		}
	}
	if (c->delay)
		event_free(c->delay);
	bufferevent_free(c->bev);
	free(c);
}

static void flush_write_cb(struct bufferevent *bev, void *arg)
{
	if (evbuffer_get_length(bufferevent_get_output(bev)) == 0)
		conn_free(arg);
}

static void flush_event_cb(struct bufferevent *bev, short what, void *arg)
{
	conn_free(arg);
}

void ptpip_end_session(struct camera *cam)
{
	if (cam->session_open)
		sim_info("session %u closed", cam->session_id);
	cam->session_open = false;
	if (cam->capturing) {
		event_del(cam->capture_timer);
		cam->capturing = false;
	}
}

/* Close a connection (after its queued output when flush); the command and
 * event channels of a session go together. */
void ptpip_conn_close(struct camera_conn *c, bool flush)
{
	struct camera *cam = c->cam;
	struct camera_conn *peer = NULL;

	if (c->closing)
		return;
	c->closing = true;
	if (cam->cmd == c || cam->evt == c) {
		peer = cam->cmd == c ? cam->evt : cam->cmd;
		cam->cmd = NULL;
		cam->evt = NULL;
		ptpip_end_session(cam);
	}
	if (c->delay)
		event_del(c->delay);
	if (flush && evbuffer_get_length(bufferevent_get_output(c->bev)) > 0) {
		bufferevent_disable(c->bev, EV_READ);
		bufferevent_setcb(c->bev, NULL, flush_write_cb, flush_event_cb, c);
	} else if (c->in_process) {
		bufferevent_disable(c->bev, EV_READ | EV_WRITE);
		c->free_pending = true;
	} else {
		conn_free(c);
	}
	if (peer)
		ptpip_conn_close(peer, flush);
}

__attribute__((format(printf, 2, 3))) static void bad_packet(struct camera_conn *c,
		const char *fmt, ...)
{
	char what[96];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	sim_warn("%s: %s: closing the connection", c->peer, what);
	c->cam->bad_packets++;
	ptpip_conn_close(c, false);
}

/* --- answers ------------------------------------------------------------------------- */

void ptpip_send_response(struct camera_conn *c, uint16_t code, uint32_t tid, const uint32_t *params,
		unsigned int n)
{
	struct evbuffer *b = evbuffer_new();
	unsigned int i;

	if (!b)
		return;
	ptpip_put16(b, code);
	ptpip_put32(b, tid);
	for (i = 0; i < n; i++)
		ptpip_put32(b, params[i]);
	ptpip_send_packet(c, PTPIP_CMD_RESPONSE, b);
	evbuffer_free(b);
	sim_debug("%s: response 0x%04x (transaction %u)", c->peer, code, tid);
}

/* The data phase to the host: StartData, Data..., EndData; only the first
 * limit bytes when limit < len (the `drop` fault). */
void ptpip_send_data(struct camera_conn *c, uint32_t tid, const void *data, size_t len,
		size_t limit)
{
	const uint8_t *p = data;
	struct evbuffer *b = evbuffer_new();
	size_t off = 0, n;

	if (!b)
		return;
	ptpip_put32(b, tid);
	ptpip_put64(b, len);
	ptpip_send_packet(c, PTPIP_START_DATA, b);
	do {
		n = len - off > DATA_CHUNK ? DATA_CHUNK : len - off;
		if (off + n > limit)
			break;
		ptpip_put32(b, tid);
		evbuffer_add(b, p + off, n);
		off += n;
		ptpip_send_packet(c, off == len ? PTPIP_END_DATA : PTPIP_DATA, b);
	} while (off < len);
	evbuffer_free(b);
}

void ptpip_send_buffer(struct camera_conn *c, uint32_t tid, struct evbuffer *body)
{
	size_t len = evbuffer_get_length(body);
	uint8_t *p = evbuffer_pullup(body, -1);

	ptpip_send_data(c, tid, p, len, len);
}

void ptpip_send_event(struct camera *cam, uint16_t code, uint32_t tid, uint32_t param)
{
	struct evbuffer *b;

	if (!cam->evt)
		return;
	b = evbuffer_new();
	if (!b)
		return;
	ptpip_put16(b, code);
	ptpip_put32(b, tid);
	ptpip_put32(b, param);
	ptpip_send_packet(cam->evt, PTPIP_EVENT, b);
	evbuffer_free(b);
	sim_debug("event 0x%04x (0x%08x)", code, param);
}

/* --- packets ------------------------------------------------------------------------------- */

static void init_command(struct camera_conn *c, const uint8_t *p, size_t len)
{
	struct camera *cam = c->cam;
	struct evbuffer *b;
	const char *name = CAMERA_MODEL;

	if (len < 8 + 16 + 2 + 4) {
		bad_packet(c, "InitCommandRequest of %zu bytes", len);
		return;
	}
	b = evbuffer_new();
	if (!b) {
		ptpip_conn_close(c, false);
		return;
	}
	if (cam->cmd) {
		sim_info("%s: another host holds the camera: InitFail", c->peer);
		ptpip_put32(b, INIT_FAIL_BUSY);
		ptpip_send_packet(c, PTPIP_INIT_FAIL, b);
		evbuffer_free(b);
		ptpip_conn_close(c, true);
		return;
	}
	c->kind = CONN_COMMAND;
	cam->cmd = c;
	cam->conn_number++;
	ptpip_put32(b, cam->conn_number);
	evbuffer_add(b, cam->guid, sizeof(cam->guid));
	for (; *name; name++)
		ptpip_put16(b, (uint8_t)*name);
	ptpip_put16(b, 0);
	ptpip_put32(b, 0x00010000); /* protocol version 1.0 */
	ptpip_send_packet(c, PTPIP_INIT_COMMAND_ACK, b);
	evbuffer_free(b);
	sim_info("%s: command channel %u", c->peer, cam->conn_number);
}

static void init_event(struct camera_conn *c, const uint8_t *p, size_t len)
{
	struct camera *cam = c->cam;
	struct evbuffer *b;
	uint32_t number;

	if (len < 12) {
		bad_packet(c, "InitEventRequest of %zu bytes", len);
		return;
	}
	number = ptpip_get32(p + 8);
	if (!cam->cmd || cam->evt || number != cam->conn_number) {
		sim_info("%s: InitEventRequest for connection %u refused", c->peer, number);
		b = evbuffer_new();
		if (b) {
			ptpip_put32(b, INIT_FAIL_REJECTED);
			ptpip_send_packet(c, PTPIP_INIT_FAIL, b);
			evbuffer_free(b);
		}
		ptpip_conn_close(c, true);
		return;
	}
	c->kind = CONN_EVENT;
	cam->evt = c;
	ptpip_send_packet(c, PTPIP_INIT_EVENT_ACK, NULL);
	sim_info("%s: event channel %u", c->peer, number);
}

static void request(struct camera_conn *c, const uint8_t *p, size_t len)
{
	uint32_t params[5] = { 0 };
	unsigned int i, n;
	uint32_t phase, tid;
	uint16_t code;

	if (len < 18) {
		bad_packet(c, "OperationRequest of %zu bytes", len);
		return;
	}
	phase = ptpip_get32(p + 8);
	code = ptpip_get16(p + 12);
	tid = ptpip_get32(p + 14);
	n = (unsigned int)((len - 18) / 4);
	if (n > 5)
		n = 5;
	for (i = 0; i < n; i++)
		params[i] = ptpip_get32(p + 18 + 4 * i);
	if (phase == 2) {
		/* the host sends data first: answer after its EndData */
		c->host_data = true;
		c->host_code = code;
		c->host_tid = tid;
		memcpy(c->host_params, params, sizeof(params));
		c->host_nparams = n;
		return;
	}
	ptpip_run_operation(c, code, tid, params, n);
}

static void host_data(struct camera_conn *c, uint32_t type, const uint8_t *p, size_t len)
{
	if (len < 12 || !c->host_data || ptpip_get32(p + 8) != c->host_tid) {
		bad_packet(c, "unexpected data packet of type %u", type);
		return;
	}
	if (type != PTPIP_END_DATA)
		return;
	c->host_data = false;
	ptpip_run_operation(c, c->host_code, c->host_tid, c->host_params, c->host_nparams);
}

static void packet(struct camera_conn *c, uint32_t type, const uint8_t *p, size_t len)
{
	switch (type) {
	case PTPIP_INIT_COMMAND_REQUEST:
		if (c->kind != CONN_NEW)
			break;
		init_command(c, p, len);
		return;
	case PTPIP_INIT_EVENT_REQUEST:
		if (c->kind != CONN_NEW)
			break;
		init_event(c, p, len);
		return;
	case PTPIP_CMD_REQUEST:
		if (c->kind != CONN_COMMAND || c->host_data)
			break;
		request(c, p, len);
		return;
	case PTPIP_START_DATA:
	case PTPIP_DATA:
	case PTPIP_END_DATA:
	case PTPIP_CANCEL_DATA:
		if (c->kind != CONN_COMMAND)
			break;
		host_data(c, type, p, len);
		return;
	case PTPIP_EVENT:
		if (c->kind != CONN_EVENT)
			break;
		return; /* events from the host (e.g. CancelTransaction) change nothing here */
	case PTPIP_PING:
		if (c->kind == CONN_NEW)
			break;
		ptpip_send_packet(c, PTPIP_PONG, NULL);
		return;
	default:
		bad_packet(c, "unknown packet type %u", type);
		return;
	}
	bad_packet(c, "packet type %u out of place", type);
}

/* Handle every complete packet; stops while a delayed operation waits. */
static void process(struct camera_conn *c)
{
	struct evbuffer *in = bufferevent_get_input(c->bev);
	unsigned int delay_ms;
	uint8_t hdr[8];
	uint32_t len, type;
	uint8_t *p;

	c->in_process = true;
	while (!c->closing && !c->waiting && evbuffer_copyout(in, hdr, 8) == 8) {
		len = ptpip_get32(hdr);
		type = ptpip_get32(hdr + 4);
		if (len < PACKET_MIN || len > PACKET_MAX) {
			bad_packet(c, "packet length %u", len);
			break;
		}
		if (evbuffer_get_length(in) < len)
			break;
		delay_ms = sim_reply_delay_ms(c->cam->sim);
		if (type == PTPIP_CMD_REQUEST && delay_ms && !c->delay_done) {
			struct timeval tv;

			sim_clock_us_tv((uint64_t)delay_ms * 1000, &tv);
			c->waiting = true;
			event_add(c->delay, &tv);
			break;
		}
		c->delay_done = false;
		p = evbuffer_pullup(in, len);
		if (!p) {
			ptpip_conn_close(c, false);
			break;
		}
		packet(c, type, p, len);
		evbuffer_drain(in, len);
	}
	c->in_process = false;
	if (c->free_pending)
		conn_free(c);
}

static void delay_cb(evutil_socket_t fd, short what, void *arg)
{
	struct camera_conn *c = arg;

	c->waiting = false;
	c->delay_done = true;
	process(c);
}

static void read_cb(struct bufferevent *bev, void *arg)
{
	process(arg);
}

static void event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct camera_conn *c = arg;

	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR)) {
		sim_info("%s: %s", c->peer, what & BEV_EVENT_EOF ? "closed by the host" :
				"connection failed");
		/* what is queued still goes out after the host's shutdown(SHUT_WR) */
		ptpip_conn_close(c, !(what & BEV_EVENT_ERROR));
	}
}

static void accept_cb(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa,
		int socklen, void *arg)
{
	struct camera *cam = arg;
	struct sockaddr_in *sin = (struct sockaddr_in *)sa;
	struct camera_conn *c = calloc(1, sizeof(*c));
	char addr[INET_ADDRSTRLEN] = "?";

	if (!c) {
		evutil_closesocket(fd);
		return;
	}
	c->cam = cam;
	c->bev = bufferevent_socket_new(sim_base(cam->sim), fd, BEV_OPT_CLOSE_ON_FREE);
	c->delay = evtimer_new(sim_base(cam->sim), delay_cb, c);
	if (!c->bev || !c->delay) {
		if (c->bev)
			bufferevent_free(c->bev);
		else
			evutil_closesocket(fd);
		if (c->delay)
			event_free(c->delay);
		free(c);
		return;
	}
	if (sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &sin->sin_addr, addr, sizeof(addr));
	snprintf(c->peer, sizeof(c->peer), "%s:%u", addr,
			sa->sa_family == AF_INET ? ntohs(sin->sin_port) : 0);
	c->next = cam->conns;
	cam->conns = c;
	cam->connections++;
	bufferevent_setcb(c->bev, read_cb, NULL, event_cb, c);
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
	sim_info("%s: connected", c->peer);
}

/* --- listeners and unplug --------------------------------------------------------------- */

static int listen_on(struct camera *cam, unsigned int port, struct evconnlistener **out)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };

	sin.sin_port = htons((uint16_t)port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	*out = evconnlistener_new_bind(sim_base(cam->sim), accept_cb, cam,
			LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC | LEV_OPT_REUSEABLE, 16,
			(struct sockaddr *)&sin, sizeof(sin));
	return *out ? 0 : (errno ? -errno : -EIO);
}

static void close_listeners(struct camera *cam)
{
	int i;

	for (i = 0; i < 2; i++) {
		if (cam->listeners[i])
			evconnlistener_free(cam->listeners[i]);
		cam->listeners[i] = NULL;
	}
}

static int open_listeners(struct camera *cam)
{
	int r;

	r = listen_on(cam, cam->port, &cam->listeners[0]);
	if (r == 0 && cam->event_port != cam->port)
		r = listen_on(cam, cam->event_port, &cam->listeners[1]);
	if (r < 0)
		close_listeners(cam);
	return r;
}

/* The framework's unplug/replug remove and recreate its device socket; the
 * camera follows: the TCP listeners and connections go away with it. */
static void plug_cb(evutil_socket_t fd, short what, void *arg)
{
	struct camera *cam = arg;
	bool plugged = sim_device_plugged(cam->sim);
	struct camera_conn *c;
	int r;

	if (!plugged && cam->listeners[0]) {
		close_listeners(cam);
again:
		for (c = cam->conns; c; c = c->next) {
			if (!c->closing) {
				ptpip_conn_close(c, true);
				goto again;
			}
		}
		sim_info("unplugged: PTP/IP ports closed");
	} else if (plugged && !cam->listeners[0]) {
		r = open_listeners(cam);
		if (r < 0)
			sim_warn("replug: cannot listen on 127.0.0.1:%u/%u: %s (retrying)",
					cam->port, cam->event_port, strerror(-r));
		else
			sim_info("replugged: PTP/IP ports open");
	}
}

int camera_ptpip_open(struct camera *cam)
{
	struct timeval tv = { 0, 50000 };
	int r;

	cam->capture_timer = evtimer_new(sim_base(cam->sim), ptpip_capture_cb, cam);
	cam->plug_timer = event_new(sim_base(cam->sim), -1, EV_PERSIST, plug_cb, cam);
	if (!cam->capture_timer || !cam->plug_timer)
		return -ENOMEM;
	r = open_listeners(cam);
	if (r < 0) {
		sim_err("cannot listen on 127.0.0.1 port %u or %u: %s", cam->port, cam->event_port,
				strerror(-r));
		return r;
	}
	event_add(cam->plug_timer, &tv);
	sim_info("PTP/IP on 127.0.0.1: command port %u, event port %u", cam->port,
			cam->event_port);
	return 0;
}

void camera_ptpip_close(struct camera *cam)
{
	close_listeners(cam);
	cam->cmd = NULL;
	cam->evt = NULL;
	while (cam->conns)
		conn_free(cam->conns);
	if (cam->capture_timer)
		event_free(cam->capture_timer);
	if (cam->plug_timer)
		event_free(cam->plug_timer);
	cam->capture_timer = NULL;
	cam->plug_timer = NULL;
	while (cam->nobjects)
		ptpip_delete_object(cam, &cam->objects[0]);
}

bool camera_ptpip_host(const struct camera *cam)
{
	return cam->cmd != NULL;
}
