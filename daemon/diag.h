/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * rekam - KTP-el recording station daemon
 *
 * diag.h - the station's checks for rekamctl diag (diag.c).
 */
#pragma once

#include <dbus/dbus.h>

/* id.rekam.Station1.Diagnose() -> (a(sss) checks, a(qqyyss) usb): each check
 * (name, "ok" | "warning" | "failed", detail); each USB device (vendor,
 * product, bus, address, port, the plugin claiming it or ""). */
DBusMessage *rk_diag_bus_diagnose(DBusConnection *conn, DBusMessage *msg, void *data);
