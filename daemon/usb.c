// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * rekam - KTP-el recording station daemon
 *
 * usb.c - USB discovery (see usb.h). libusb runs on rekamd's libevent loop
 * as its "polling and timing" documentation describes for an application
 * with its own main loop: every file descriptor libusb wants polled (from
 * libusb_get_pollfds(), then kept current by the pollfd notifiers) is a
 * libevent event, a timer follows libusb_get_next_timeout(), and when either
 * fires, libusb_handle_events_timeout_completed() runs with a zero timeout,
 * so it never blocks. libusb calls the notifiers and hotplug callbacks from
 * this thread only: rekamd calls libusb nowhere else.
 *
 * The hotplug callback only records what happened: a deferred event then
 * adds or removes the device objects, outside libusb's event handling.
 */
#include <config.h>

#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <libusb.h>

#include "daemon/daemon.h"
#include "daemon/device.h"
#include "daemon/log.h"
#include "daemon/usb.h"

/* USB allows 7 tiers below the root hub. */
#define MAX_PORTS 7

/* A file descriptor libusb wants polled. */
struct usb_fd {
	struct rk_usb *usb;
	int fd;
	struct event *ev;
	struct usb_fd *next;
};

/* A hotplug event waiting for the deferred handler. */
struct usb_event {
	bool arrived;
	struct rk_usb_seen dev;
	struct usb_event *next;
};

struct rk_usb {
	struct rk_daemon *d;
	libusb_context *ctx;
	libusb_hotplug_callback_handle hotplug;
	bool hotplug_registered;
	struct usb_fd *fds;
	struct event *timer;   /* libusb_get_next_timeout() */
	struct event *process; /* runs the queued hotplug events */
	struct usb_event *queue, **queue_tail;
	struct rk_usb_seen *seen;
	size_t n_seen;
};

/* --- the table of devices seen --------------------------------------------- */

static struct rk_usb_seen *find_seen(struct rk_usb *usb, uint8_t bus, uint8_t address)
{
	for (size_t i = 0; i < usb->n_seen; i++)
		if (usb->seen[i].bus == bus && usb->seen[i].address == address)
			return &usb->seen[i];
	return NULL;
}

static void arrived(struct rk_usb *usb, const struct rk_usb_seen *dev)
{
	struct rk_usb_seen *seen;
	int err;

	/* With LIBUSB_HOTPLUG_ENUMERATE an arrival may be reported twice. */
	if (find_seen(usb, dev->bus, dev->address))
		return;
	seen = realloc(usb->seen, (usb->n_seen + 1) * sizeof(*seen));
	if (!seen) {
		rk_error("USB %04x:%04x at %s: out of memory", dev->vendor, dev->product,
			dev->port);
		return;
	}
	usb->seen = seen;
	usb->seen[usb->n_seen++] = *dev;
	rk_info("USB %04x:%04x at %s (bus %03u address %03u) found", dev->vendor,
		dev->product, dev->port, dev->bus, dev->address);
	err = rk_devices_usb_added(usb->d->devices, dev->vendor, dev->product, dev->bus,
		dev->address, dev->port);
	if (err < 0 && err != -ENODEV && err != -EEXIST)
		rk_warn("USB %04x:%04x at %s: cannot add the device: %s", dev->vendor,
			dev->product, dev->port, strerror(-err));
}

static void left(struct rk_usb *usb, const struct rk_usb_seen *dev)
{
	struct rk_usb_seen *seen = find_seen(usb, dev->bus, dev->address);
	size_t i;

	/* A removal may come for a device whose arrival never did. */
	if (!seen)
		return;
	rk_info("USB %04x:%04x at %s (bus %03u address %03u) unplugged", seen->vendor,
		seen->product, seen->port, seen->bus, seen->address);
	i = (size_t)(seen - usb->seen);
	memmove(&usb->seen[i], &usb->seen[i + 1], (usb->n_seen - i - 1) * sizeof(*seen));
	usb->n_seen--;
	rk_devices_usb_removed(usb->d->devices, dev->bus, dev->address);
}

int rk_usb_list(struct rk_usb *usb, struct rk_usb_seen **out, size_t *n)
{
	*out = NULL;
	*n = 0;
	if (!usb || !usb->n_seen)
		return 0;
	*out = calloc(usb->n_seen, sizeof(**out));
	if (!*out)
		return -ENOMEM;
	for (size_t i = 0; i < usb->n_seen; i++) {
		(*out)[i] = usb->seen[i];
		(*out)[i].plugin = rk_devices_usb_claimant(usb->d->devices, usb->seen[i].vendor,
			usb->seen[i].product);
	}
	*n = usb->n_seen;
	return 0;
}

/* --- hotplug --------------------------------------------------------------- */

static void process_queue(struct rk_usb *usb)
{
	struct usb_event *e;

	while ((e = usb->queue)) {
		usb->queue = e->next;
		if (!usb->queue)
			usb->queue_tail = &usb->queue;
		if (e->arrived)
			arrived(usb, &e->dev);
		else
			left(usb, &e->dev);
		free(e);
	}
}

static void process_cb(evutil_socket_t fd, short what, void *data)
{
	process_queue(data);
}

/* "BUS-P1.P2..." as the kernel names the device in sysfs. */
static void format_port(libusb_device *device, char port[RK_USB_PORT_MAX])
{
	uint8_t ports[MAX_PORTS];
	int n = libusb_get_port_numbers(device, ports, MAX_PORTS);
	uint8_t bus = libusb_get_bus_number(device);
	size_t len;

	if (n <= 0) {
		snprintf(port, RK_USB_PORT_MAX, "usb%u", bus);
		return;
	}
	len = (size_t)snprintf(port, RK_USB_PORT_MAX, "%u", bus);
	for (int i = 0; i < n && len < RK_USB_PORT_MAX; i++)
		len += (size_t)snprintf(port + len, RK_USB_PORT_MAX - len, "%c%u",
			i ? '.' : '-', ports[i]);
}

/* Called by libusb from libusb_handle_events*() or, for the devices already
 * there, from libusb_hotplug_register_callback(): note the event only. */
static int LIBUSB_CALL hotplug_cb(libusb_context *ctx, libusb_device *device,
		libusb_hotplug_event event, void *data)
{
	struct rk_usb *usb = data;
	struct libusb_device_descriptor desc;
	struct usb_event *e = calloc(1, sizeof(*e));

	if (!e || libusb_get_device_descriptor(device, &desc) < 0) {
		rk_error("USB: cannot note a hotplug event: out of memory");
		free(e);
		return 0;
	}
	e->arrived = event == LIBUSB_HOTPLUG_EVENT_DEVICE_ARRIVED;
	e->dev.vendor = desc.idVendor;
	e->dev.product = desc.idProduct;
	e->dev.bus = libusb_get_bus_number(device);
	e->dev.address = libusb_get_device_address(device);
	format_port(device, e->dev.port);
	*usb->queue_tail = e;
	usb->queue_tail = &e->next;
	event_active(usb->process, EV_READ, 0);
	return 0;
}

/* Without hotplug support: what is plugged in at start, once. */
static void enumerate_once(struct rk_usb *usb)
{
	libusb_device **list;
	ssize_t n = libusb_get_device_list(usb->ctx, &list);

	if (n < 0) {
		rk_notice("USB: cannot list devices: %s", libusb_strerror((int)n));
		return;
	}
	for (ssize_t i = 0; i < n; i++)
		hotplug_cb(usb->ctx, list[i], LIBUSB_HOTPLUG_EVENT_DEVICE_ARRIVED, usb);
	libusb_free_device_list(list, 1);
}

/* --- libusb on the event loop ---------------------------------------------- */

static void update_timer(struct rk_usb *usb)
{
	struct timeval tv;

	if (libusb_get_next_timeout(usb->ctx, &tv) == 1)
		evtimer_add(usb->timer, &tv);
	else
		evtimer_del(usb->timer);
}

static void handle_events(struct rk_usb *usb)
{
	struct timeval zero = { 0, 0 };
	int err = libusb_handle_events_timeout_completed(usb->ctx, &zero, NULL);

	if (err < 0 && err != LIBUSB_ERROR_INTERRUPTED)
		rk_warn("USB: handling events failed: %s", libusb_strerror(err));
	update_timer(usb);
}

static void fd_cb(evutil_socket_t fd, short what, void *data)
{
	struct usb_fd *f = data;

	handle_events(f->usb);
}

static void timer_cb(evutil_socket_t fd, short what, void *data)
{
	handle_events(data);
}

static void fd_free(struct usb_fd *f)
{
	event_free(f->ev);
	free(f);
}

static void LIBUSB_CALL fd_removed(int fd, void *data)
{
	struct rk_usb *usb = data;

	for (struct usb_fd **p = &usb->fds; *p; p = &(*p)->next) {
		struct usb_fd *f = *p;

		if (f->fd == fd) {
			*p = f->next;
			fd_free(f);
			return;
		}
	}
}

static void LIBUSB_CALL fd_added(int fd, short events, void *data)
{
	struct rk_usb *usb = data;
	short what = EV_PERSIST;
	struct usb_fd *f;

	fd_removed(fd, usb); /* the same fd again: its events changed */
	if (events & POLLIN)
		what |= EV_READ;
	if (events & POLLOUT)
		what |= EV_WRITE;
	f = calloc(1, sizeof(*f));
	if (f)
		f->ev = event_new(usb->d->base, fd, what, fd_cb, f);
	if (!f || !f->ev || event_add(f->ev, NULL) < 0) {
		rk_error("USB: cannot watch fd %d: out of memory", fd);
		if (f && f->ev)
			event_free(f->ev);
		free(f);
		return;
	}
	f->usb = usb;
	f->fd = fd;
	f->next = usb->fds;
	usb->fds = f;
}

static int watch_fds(struct rk_usb *usb)
{
	const struct libusb_pollfd **pollfds;

	/* Notifiers first, so that no change is missed; then the present fds. */
	libusb_set_pollfd_notifiers(usb->ctx, fd_added, fd_removed, usb);
	pollfds = libusb_get_pollfds(usb->ctx);
	if (!pollfds)
		return -ENOMEM;
	for (const struct libusb_pollfd **p = pollfds; *p; p++)
		fd_added((*p)->fd, (*p)->events, usb);
	libusb_free_pollfds(pollfds);
	if (!libusb_pollfds_handle_timeouts(usb->ctx))
		rk_debug("USB: libusb needs its timeouts handled by the timer");
	update_timer(usb);
	return 0;
}

/* --- start and stop -------------------------------------------------------- */

static void usb_free(struct rk_usb *usb)
{
	struct usb_event *e;

	if (usb->ctx) {
		if (usb->hotplug_registered)
			libusb_hotplug_deregister_callback(usb->ctx, usb->hotplug);
		libusb_set_pollfd_notifiers(usb->ctx, NULL, NULL, NULL);
		libusb_exit(usb->ctx);
	}
	while (usb->fds) {
		struct usb_fd *f = usb->fds;

		usb->fds = f->next;
		fd_free(f);
	}
	while ((e = usb->queue)) {
		usb->queue = e->next;
		free(e);
	}
	if (usb->timer)
		event_free(usb->timer);
	if (usb->process)
		event_free(usb->process);
	free(usb->seen);
	free(usb);
}

int rk_usb_start(struct rk_daemon *d)
{
	struct rk_usb *usb = calloc(1, sizeof(*usb));
	int err;

	if (!usb)
		return -ENOMEM;
	usb->d = d;
	usb->queue_tail = &usb->queue;
	usb->timer = evtimer_new(d->base, timer_cb, usb);
	usb->process = event_new(d->base, -1, 0, process_cb, usb);
	if (!usb->timer || !usb->process) {
		usb_free(usb);
		return -ENOMEM;
	}

	err = libusb_init(&usb->ctx);
	if (err < 0) {
		rk_notice("USB discovery is off: libusb cannot start here (%s)",
			libusb_strerror(err));
		usb->ctx = NULL;
		usb_free(usb);
		return 0;
	}
	if (watch_fds(usb) < 0) {
		usb_free(usb);
		return -ENOMEM;
	}

	if (libusb_has_capability(LIBUSB_CAP_HAS_HOTPLUG)) {
		err = libusb_hotplug_register_callback(usb->ctx,
			LIBUSB_HOTPLUG_EVENT_DEVICE_ARRIVED | LIBUSB_HOTPLUG_EVENT_DEVICE_LEFT,
			LIBUSB_HOTPLUG_ENUMERATE, LIBUSB_HOTPLUG_MATCH_ANY,
			LIBUSB_HOTPLUG_MATCH_ANY, LIBUSB_HOTPLUG_MATCH_ANY, hotplug_cb, usb,
			&usb->hotplug);
		usb->hotplug_registered = err == LIBUSB_SUCCESS;
		if (!usb->hotplug_registered)
			rk_notice("USB: no hotplug (%s); looking for devices once",
				libusb_strerror(err));
	} else {
		rk_notice("USB: libusb has no hotplug support here; looking for devices once");
	}
	if (!usb->hotplug_registered)
		enumerate_once(usb);

	/* The devices present at start are on the bus before rekamd's name. */
	d->usb = usb;
	process_queue(usb);
	rk_info("USB discovery: %zu device%s present%s", usb->n_seen,
		usb->n_seen == 1 ? "" : "s", usb->hotplug_registered ? ", watching for hotplug" : "");
	return 0;
}

void rk_usb_stop(struct rk_daemon *d)
{
	if (!d->usb)
		return;
	usb_free(d->usb);
	d->usb = NULL;
}
