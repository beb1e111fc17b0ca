/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * rekam - KTP-el recording station daemon
 *
 * dbus-mainloop.h - drives a libdbus connection from a libevent event_base:
 * one event per DBusWatch, one timer per DBusTimeout, and a deferred dispatch
 * scheduled whenever the connection has messages to dispatch. Nothing blocks.
 */
#pragma once

#include <dbus/dbus.h>
#include <event2/event.h>

struct rk_dbus_loop;

/*
 * Hook @conn into @base. The connection must not be shared with another main
 * loop. Returns NULL on allocation failure.
 */
struct rk_dbus_loop *rk_dbus_loop_attach(DBusConnection *conn, struct event_base *base);

/* Unhook everything (watches, timeouts, dispatch) and free. NULL is fine. */
void rk_dbus_loop_detach(struct rk_dbus_loop *loop);
