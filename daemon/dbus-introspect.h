/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * rekam - KTP-el recording station daemon
 *
 * dbus-introspect.h - introspection XML for the object layer: one interface
 * from its table, and the standard interfaces every object answers.
 */
#pragma once

#include <stdbool.h>
#include <stdio.h>

#include "daemon/dbus-object.h"

#define IFACE_INTROSPECTABLE "org.freedesktop.DBus.Introspectable"
#define IFACE_PROPERTIES "org.freedesktop.DBus.Properties"
#define IFACE_OBJECT_MANAGER "org.freedesktop.DBus.ObjectManager"
#define IFACE_PEER "org.freedesktop.DBus.Peer"

/* <interface> of @iface: methods, signals and properties with annotations. */
void rk_dbus_introspect_interface(FILE *f, const struct rk_dbus_interface *iface);

/* Introspectable and Peer always; Properties when @object (a registered
 * object, not just a parent path); ObjectManager when @object_manager. */
void rk_dbus_introspect_standard(FILE *f, bool object, bool object_manager);
