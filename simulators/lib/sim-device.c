// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * rekam - device simulators
 *
 * sim-device.c - the device endpoint: a Unix stream socket that serves one
 * host at a time (a second one gets the simulator's busy line and is
 * closed), unplug (the socket disappears, the host connection drops) and
 * replug, and output to the host.
 */
#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "simulators/lib/sim-private.h"

static void closing_write_cb(struct bufferevent *bev, void *arg)
{
	struct sim *sim = arg;

	if (evbuffer_get_length(bufferevent_get_output(bev)) > 0)
		return;
	bufferevent_free(bev);
	if (sim->dev_closing == bev)
		sim->dev_closing = NULL;
}

static void closing_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct sim *sim = arg;

	bufferevent_free(bev);
	if (sim->dev_closing == bev)
		sim->dev_closing = NULL;
}

/* Detach the host connection; it is closed once its output is sent. */
static void detach_host(struct sim *sim, bool flush)
{
	struct bufferevent *bev = sim->dev_bev;

	if (!bev)
		return;
	sim->dev_bev = NULL;
	if (sim->dev_closing) {
		bufferevent_free(sim->dev_closing);
		sim->dev_closing = NULL;
	}
	if (flush && evbuffer_get_length(bufferevent_get_output(bev)) > 0) {
		bufferevent_disable(bev, EV_READ);
		bufferevent_setcb(bev, NULL, closing_write_cb, closing_event_cb, sim);
		sim->dev_closing = bev;
	} else {
		bufferevent_free(bev);
	}
	sim_info("host connection closed");
	if (sim->desc->ops && sim->desc->ops->disconnected)
		sim->desc->ops->disconnected(sim);
}

static void host_read_cb(struct bufferevent *bev, void *arg)
{
	struct sim *sim = arg;

	if (sim->desc->ops && sim->desc->ops->readable)
		sim->desc->ops->readable(sim, bufferevent_get_input(bev));
}

static void host_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct sim *sim = arg;

	if ((what & BEV_EVENT_EOF) && !(what & BEV_EVENT_ERROR) && sim->desc->ops &&
			sim->desc->ops->host_eof) {
		sim_debug("host shut down its side");
		bufferevent_disable(bev, EV_READ);
		sim->desc->ops->host_eof(sim);
		return;
	}
	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR)) {
		sim_info("host %s", what & BEV_EVENT_EOF ? "disconnected" : "connection failed");
		detach_host(sim, false);
	}
}

static void refuse_busy(struct sim *sim, evutil_socket_t fd)
{
	const char *line = sim->desc->busy_reply;
	ssize_t n;

	sim_info("refusing a second host connection");
	if (line) {
		/* a fresh socket's send buffer always holds one short line */
		n = write(fd, line, strlen(line));
		if (n >= 0)
			n = write(fd, "\n", 1);
		(void)n;
	}
	close(fd);
}

static void accept_cb(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa,
		int socklen, void *arg)
{
	struct sim *sim = arg;
	struct bufferevent *bev;

	if (sim->dev_bev) {
		refuse_busy(sim, fd);
		return;
	}
	bev = bufferevent_socket_new(sim->base, fd, BEV_OPT_CLOSE_ON_FREE);
	if (!bev) {
		close(fd);
		return;
	}
	bufferevent_setcb(bev, host_read_cb, NULL, host_event_cb, sim);
	bufferevent_enable(bev, EV_READ | EV_WRITE);
	sim->dev_bev = bev;
	sim->connections++;
	sim_info("host connected");
	if (sim->desc->ops && sim->desc->ops->connected)
		sim->desc->ops->connected(sim);
}

int sim_device_open(struct sim *sim)
{
	return sim_unix_listen(sim, sim->socket_path, accept_cb, sim, &sim->dev_listener);
}

void sim_device_close(struct sim *sim)
{
	detach_host(sim, false);
	if (sim->dev_closing) {
		bufferevent_free(sim->dev_closing);
		sim->dev_closing = NULL;
	}
	if (sim->dev_listener) {
		evconnlistener_free(sim->dev_listener);
		sim->dev_listener = NULL;
		unlink(sim->socket_path);
	}
}

bool sim_device_connected(const struct sim *sim)
{
	return sim->dev_bev != NULL;
}

bool sim_device_plugged(const struct sim *sim)
{
	return sim->dev_listener != NULL;
}

int sim_device_write(struct sim *sim, const void *data, size_t len)
{
	if (!sim->dev_bev)
		return -ENOTCONN;
	if (bufferevent_write(sim->dev_bev, data, len) < 0)
		return -ENOMEM;
	return 0;
}

int sim_device_printf(struct sim *sim, const char *fmt, ...)
{
	struct evbuffer *out;
	va_list ap;
	int n;

	if (!sim->dev_bev)
		return -ENOTCONN;
	out = bufferevent_get_output(sim->dev_bev);
	va_start(ap, fmt);
	n = evbuffer_add_vprintf(out, fmt, ap);
	va_end(ap);
	if (n < 0 || evbuffer_add(out, "\n", 1) < 0)
		return -ENOMEM;
	if (sim->verbose) {
		char line[160];

		va_start(ap, fmt);
		vsnprintf(line, sizeof(line), fmt, ap);
		va_end(ap);
		sim_debug("-> %s", line);
	}
	return 0;
}

void sim_device_hangup(struct sim *sim)
{
	detach_host(sim, true);
}

void sim_device_unplug(struct sim *sim)
{
	if (sim->dev_listener) {
		evconnlistener_free(sim->dev_listener);
		sim->dev_listener = NULL;
		unlink(sim->socket_path);
		sim_info("unplugged");
	}
	detach_host(sim, true);
}

int sim_device_replug(struct sim *sim)
{
	int r;

	if (sim->dev_listener)
		return -EALREADY;
	r = sim_device_open(sim);
	if (r == 0)
		sim_info("replugged");
	return r;
}
