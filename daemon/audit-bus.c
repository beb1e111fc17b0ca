// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * rekam - KTP-el recording station daemon
 *
 * audit-bus.c - recording actions in the audit trail (audit.c) as they
 * happen on the bus (by the user and role roles.c found for the call), and
 * reading and verifying the trail over D-Bus.
 */
#include <config.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <sqlite3.h>

#include "daemon/audit-bus.h"
#include "daemon/audit.h"
#include "daemon/daemon.h"
#include "daemon/dbus-error.h"
#include "daemon/log.h"
#include "daemon/roles.h"
#include "daemon/store.h"

#define LOG_MAX 1000

void rk_audit_note(struct rk_daemon *d, DBusMessage *call, const char *action,
		const char *result, const char *fmt, ...)
{
	const char *sender = call ? dbus_message_get_sender(call) : NULL;
	const char *role = "";
	char detail[512], actor[256];
	enum rk_role r;
	va_list ap;
	uid_t uid;
	int err;

	if (!d->store)
		return;
	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	/* A checked call names its user and role; an open one only its bus name. */
	if (rk_roles_caller(call, &uid, &r)) {
		char user[160];

		rk_roles_actor(uid, user, sizeof(user));
		snprintf(actor, sizeof(actor), "%s via %s", user, sender ? sender : "?");
		role = rk_role_name(r);
	} else {
		snprintf(actor, sizeof(actor), "%s", sender ? sender : "rekamd");
	}
	err = rk_audit_append(d->store, &(struct rk_audit_entry){
		.actor = actor,
		.role = role,
		.action = action,
		.result = result,
		.detail = detail,
	});
	if (err)
		rk_error("audit: cannot record %s (%s): %s", action, detail, strerror(-err));
}

DBusMessage *rk_audit_bus_verify(DBusConnection *conn, DBusMessage *msg, void *data)
{
	struct rk_daemon *d = data;
	struct rk_audit_report r;
	DBusMessage *reply;
	dbus_bool_t ok;
	dbus_uint64_t entries, bad;
	const char *reason;
	int err = rk_audit_verify(d->store, &r);

	(void)conn;
	if (err)
		return rk_dbus_error(msg, RK_DBUS_ERROR_FAILED, "The audit trail cannot be read: %s",
			strerror(-err));
	ok = r.ok;
	entries = r.entries;
	bad = r.first_bad;
	reason = r.ok ? "" : r.reason;
	rk_audit_note(d, msg, "audit.verify", r.ok ? "ok" : "broken", "%s",
		r.ok ? "the chain verifies" : r.reason);
	if (!r.ok)
		rk_warn("audit: the trail does not verify: %s", r.reason);
	reply = dbus_message_new_method_return(msg);
	if (reply && !dbus_message_append_args(reply, DBUS_TYPE_BOOLEAN, &ok, DBUS_TYPE_UINT64,
			     &entries, DBUS_TYPE_UINT64, &bad, DBUS_TYPE_STRING, &reason,
			     DBUS_TYPE_INVALID)) {
		dbus_message_unref(reply);
		reply = NULL;
	}
	return reply;
}

DBusMessage *rk_audit_bus_log(DBusConnection *conn, DBusMessage *msg, void *data)
{
	struct rk_daemon *d = data;
	DBusMessageIter iter, array, entry;
	dbus_uint64_t after;
	dbus_uint32_t max;
	sqlite3_stmt *stmt;
	DBusMessage *reply;
	bool ok = true;
	int rc;

	(void)conn;
	if (!dbus_message_get_args(msg, NULL, DBUS_TYPE_UINT64, &after, DBUS_TYPE_UINT32, &max,
			DBUS_TYPE_INVALID) || max == 0 || max > LOG_MAX || after > INT64_MAX)
		return rk_dbus_error(msg, RK_DBUS_ERROR_INVALID_ARGUMENTS,
			"Expected the entry to start after and a count from 1 to %d", LOG_MAX);
	stmt = rk_store_prepare(d->store, "SELECT seq, time, actor, role, action, enrollment, "
		"nik, result, detail, hash FROM audit WHERE seq > ?1 ORDER BY seq LIMIT ?2");
	reply = dbus_message_new_method_return(msg);
	if (!stmt || !reply) {
		if (reply)
			dbus_message_unref(reply);
		return rk_dbus_error(msg, RK_DBUS_ERROR_FAILED, "The audit trail cannot be read");
	}
	sqlite3_bind_int64(stmt, 1, (sqlite3_int64)after);
	sqlite3_bind_int64(stmt, 2, max);
	dbus_message_iter_init_append(reply, &iter);
	ok = dbus_message_iter_open_container(&iter, DBUS_TYPE_ARRAY, "(txssssssss)", &array);
	while (ok && (rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		dbus_uint64_t seq = (dbus_uint64_t)sqlite3_column_int64(stmt, 0);
		dbus_int64_t when = sqlite3_column_int64(stmt, 1);

		ok = dbus_message_iter_open_container(&array, DBUS_TYPE_STRUCT, NULL, &entry) &&
			dbus_message_iter_append_basic(&entry, DBUS_TYPE_UINT64, &seq) &&
			dbus_message_iter_append_basic(&entry, DBUS_TYPE_INT64, &when);
		for (int i = 2; ok && i < 10; i++) {
			const unsigned char *t = sqlite3_column_text(stmt, i);
			const char *s = t && dbus_validate_utf8((const char *)t, NULL) ?
				(const char *)t : "";

			ok = dbus_message_iter_append_basic(&entry, DBUS_TYPE_STRING, &s);
		}
		ok = ok && dbus_message_iter_close_container(&array, &entry);
	}
	sqlite3_reset(stmt);
	sqlite3_clear_bindings(stmt);
	if (ok && dbus_message_iter_close_container(&iter, &array))
		return reply;
	dbus_message_unref(reply);
	return rk_dbus_error(msg, RK_DBUS_ERROR_FAILED, "The audit trail cannot be read");
}
