// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * rekam - KTP-el recording station daemon
 *
 * dbus-mainloop.c - libdbus on a libevent loop (see dbus-mainloop.h).
 *
 * libdbus tells us which file descriptors it wants watched and which timers
 * it wants run; we mirror each DBusWatch with a persistent libevent event
 * (added or deleted as libdbus toggles it) and each DBusTimeout with a
 * persistent timer. Incoming data is read by dbus_watch_handle(); the parsed
 * messages are dispatched from a deferred event so that dispatching never
 * happens inside a libdbus callback. At most DISPATCH_BATCH messages are
 * dispatched per turn of the loop, so one busy client cannot starve the rest.
 */
#include <config.h>

#include <stdbool.h>
#include <stdlib.h>

#include <event2/event.h>

#include "daemon/dbus-mainloop.h"
#include "daemon/log.h"

#define DISPATCH_BATCH 64

struct rk_dbus_loop {
	DBusConnection *conn;
	struct event_base *base;
	struct event *dispatch;
};

static void schedule_dispatch(struct rk_dbus_loop *loop)
{
	if (!event_pending(loop->dispatch, EV_TIMEOUT, NULL))
		event_active(loop->dispatch, EV_TIMEOUT, 0);
}

static void dispatch_cb(evutil_socket_t fd, short what, void *data)
{
	struct rk_dbus_loop *loop = data;
	int n;

	/* Keep the connection alive even if a handler drops the last other ref. */
	dbus_connection_ref(loop->conn);
	for (n = 0; n < DISPATCH_BATCH; n++) {
		if (dbus_connection_dispatch(loop->conn) != DBUS_DISPATCH_DATA_REMAINS)
			break;
	}
	if (n == DISPATCH_BATCH &&
			dbus_connection_get_dispatch_status(loop->conn) == DBUS_DISPATCH_DATA_REMAINS)
		schedule_dispatch(loop);
	dbus_connection_unref(loop->conn);
}

static void dispatch_status_cb(DBusConnection *conn, DBusDispatchStatus status, void *data)
{
	struct rk_dbus_loop *loop = data;

	if (status == DBUS_DISPATCH_DATA_REMAINS)
		schedule_dispatch(loop);
}

static void wakeup_cb(void *data)
{
	schedule_dispatch(data);
}

/* --- watches --------------------------------------------------------------- */

static void watch_cb(evutil_socket_t fd, short what, void *data)
{
	DBusWatch *watch = data;
	unsigned int flags = 0;

	if (what & EV_READ)
		flags |= DBUS_WATCH_READABLE;
	if (what & EV_WRITE)
		flags |= DBUS_WATCH_WRITABLE;
	if (!dbus_watch_handle(watch, flags))
		rk_warn("D-Bus: out of memory while handling a watch");
	/* The dispatch-status callback schedules dispatching of what was read. */
}

static void watch_sync(DBusWatch *watch)
{
	struct event *ev = dbus_watch_get_data(watch);

	if (!ev)
		return;
	if (dbus_watch_get_enabled(watch))
		event_add(ev, NULL);
	else
		event_del(ev);
}

static dbus_bool_t add_watch_cb(DBusWatch *watch, void *data)
{
	struct rk_dbus_loop *loop = data;
	unsigned int flags = dbus_watch_get_flags(watch);
	short what = EV_PERSIST;
	struct event *ev;

	if (flags & DBUS_WATCH_READABLE)
		what |= EV_READ;
	if (flags & DBUS_WATCH_WRITABLE)
		what |= EV_WRITE;

	ev = event_new(loop->base, dbus_watch_get_unix_fd(watch), what, watch_cb, watch);
	if (!ev)
		return FALSE;
	dbus_watch_set_data(watch, ev, NULL);
	watch_sync(watch);
	return TRUE;
}

static void remove_watch_cb(DBusWatch *watch, void *data)
{
	struct event *ev = dbus_watch_get_data(watch);

	if (ev)
		event_free(ev);
	dbus_watch_set_data(watch, NULL, NULL);
}

static void toggle_watch_cb(DBusWatch *watch, void *data)
{
	watch_sync(watch);
}

/* --- timeouts -------------------------------------------------------------- */

static void timeout_cb(evutil_socket_t fd, short what, void *data)
{
	DBusTimeout *timeout = data;

	if (!dbus_timeout_handle(timeout))
		rk_warn("D-Bus: out of memory while handling a timeout");
}

static void timeout_sync(DBusTimeout *timeout)
{
	struct event *ev = dbus_timeout_get_data(timeout);
	int ms = dbus_timeout_get_interval(timeout);
	struct timeval tv = { .tv_sec = ms / 1000, .tv_usec = (ms % 1000) * 1000 };

	if (!ev)
		return;
	event_del(ev);
	if (dbus_timeout_get_enabled(timeout))
		event_add(ev, &tv);
}

static dbus_bool_t add_timeout_cb(DBusTimeout *timeout, void *data)
{
	struct rk_dbus_loop *loop = data;
	struct event *ev;

	ev = event_new(loop->base, -1, EV_PERSIST, timeout_cb, timeout);
	if (!ev)
		return FALSE;
	dbus_timeout_set_data(timeout, ev, NULL);
	timeout_sync(timeout);
	return TRUE;
}

static void remove_timeout_cb(DBusTimeout *timeout, void *data)
{
	struct event *ev = dbus_timeout_get_data(timeout);

	if (ev)
		event_free(ev);
	dbus_timeout_set_data(timeout, NULL, NULL);
}

static void toggle_timeout_cb(DBusTimeout *timeout, void *data)
{
	timeout_sync(timeout);
}

/* --- attach / detach ------------------------------------------------------- */

struct rk_dbus_loop *rk_dbus_loop_attach(DBusConnection *conn, struct event_base *base)
{
	struct rk_dbus_loop *loop;

	loop = calloc(1, sizeof(*loop));
	if (!loop)
		return NULL;
	loop->conn = dbus_connection_ref(conn);
	loop->base = base;
	loop->dispatch = event_new(base, -1, 0, dispatch_cb, loop);
	if (!loop->dispatch)
		goto fail;

	if (!dbus_connection_set_watch_functions(conn, add_watch_cb, remove_watch_cb,
			    toggle_watch_cb, loop, NULL))
		goto fail;
	if (!dbus_connection_set_timeout_functions(conn, add_timeout_cb, remove_timeout_cb,
			    toggle_timeout_cb, loop, NULL))
		goto fail;
	dbus_connection_set_dispatch_status_function(conn, dispatch_status_cb, loop, NULL);
	dbus_connection_set_wakeup_main_function(conn, wakeup_cb, loop, NULL);

	/* Messages may have arrived before we were attached (e.g. NameAcquired). */
	if (dbus_connection_get_dispatch_status(conn) == DBUS_DISPATCH_DATA_REMAINS)
		schedule_dispatch(loop);
	return loop;

fail:
	rk_dbus_loop_detach(loop);
	return NULL;
}

void rk_dbus_loop_detach(struct rk_dbus_loop *loop)
{
	if (!loop)
		return;
	/* Setting NULL functions makes libdbus call the remove callbacks. */
	dbus_connection_set_watch_functions(loop->conn, NULL, NULL, NULL, NULL, NULL);
	dbus_connection_set_timeout_functions(loop->conn, NULL, NULL, NULL, NULL, NULL);
	dbus_connection_set_dispatch_status_function(loop->conn, NULL, NULL, NULL);
	dbus_connection_set_wakeup_main_function(loop->conn, NULL, NULL, NULL);
	if (loop->dispatch)
		event_free(loop->dispatch);
	dbus_connection_unref(loop->conn);
	free(loop);
}
