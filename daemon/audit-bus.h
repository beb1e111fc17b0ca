/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * rekam - KTP-el recording station daemon
 *
 * audit-bus.h - the audit trail as rekamd uses it: rk_audit_note() records
 * what a D-Bus caller (or rekamd itself) did, and the manager's VerifyAudit
 * and GetAuditLog methods let a supervisor check and read the trail.
 */
#pragma once

#include <dbus/dbus.h>

struct rk_daemon;

/* Record @action by the sender of @call (rekamd itself when NULL) with
 * @result ("ok" or an error name) and a detail made from @fmt. A failure is
 * logged: the action has happened either way. */
void rk_audit_note(struct rk_daemon *d, DBusMessage *call, const char *action,
		const char *result, const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* id.rekam.Station1.VerifyAudit() -> (b ok, t entries, t first_bad, s reason) */
DBusMessage *rk_audit_bus_verify(DBusConnection *conn, DBusMessage *msg, void *data);
/* id.rekam.Station1.GetAuditLog(t after, u max) -> a(txsssssssss) */
DBusMessage *rk_audit_bus_log(DBusConnection *conn, DBusMessage *msg, void *data);
