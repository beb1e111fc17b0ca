// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * rekam - KTP-el recording station daemon
 *
 * pipeline.c - what the files of steps 5 to 10 (pipeline-*.c) share: a run
 * (a Record or Issue under way, answered when it ends), the enrollment's
 * Progress signal, and the replies every step gives for a wrong state or a
 * busy enrollment.
 */
#include <config.h>

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/daemon.h"
#include "daemon/dbus-error.h"
#include "daemon/dbus-object.h"
#include "daemon/log.h"
#include "daemon/pipeline.h"

void rk_run_init(struct rk_pipeline_run *run, enum rk_run_kind kind, struct rk_daemon *d,
		struct rk_enrollment *e, DBusMessage *call, enum rk_role role, uid_t uid)
{
	run->kind = kind;
	run->d = d;
	run->e = e;
	run->call = dbus_message_ref(call);
	run->role = role;
	run->uid = uid;
	snprintf(run->owner, sizeof(run->owner), "enrollment %" PRId64, e->id);
	e->run = run;
}

void rk_run_end(struct rk_pipeline_run *run, DBusMessage *reply)
{
	if (run->e->run == run)
		run->e->run = NULL;
	if (!reply)
		reply = rk_dbus_error(run->call, RK_DBUS_ERROR_FAILED, "Out of memory");
	if (reply && run->d->dbus && !dbus_message_get_no_reply(run->call))
		rk_dbus_send_reply(run->d->dbus, reply);
	else if (reply)
		dbus_message_unref(reply);
	dbus_message_unref(run->call);
	run->call = NULL;
}

void rk_pipeline_progress(struct rk_daemon *d, struct rk_enrollment *e, const char *stage,
		double fraction, const char *fmt, ...)
{
	char text[512];
	const char *message = text;
	DBusMessage *sig;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	if (!d->dbus)
		return;
	if (!(fraction >= 0.0 && fraction <= 1.0))
		fraction = -1.0;
	sig = dbus_message_new_signal(e->path, RK_ENROLLMENT_INTERFACE, "Progress");
	if (sig && dbus_message_append_args(sig, DBUS_TYPE_STRING, &stage, DBUS_TYPE_DOUBLE,
			&fraction, DBUS_TYPE_STRING, &message, DBUS_TYPE_INVALID))
		rk_dbus_emit(d->dbus, sig);
	else if (sig)
		dbus_message_unref(sig);
}

DBusMessage *rk_pipeline_wrong_state(DBusMessage *msg, struct rk_enrollment *e, const char *needs)
{
	const char *method = dbus_message_get_member(msg);

	return rk_dbus_error(msg, RK_DBUS_ERROR_WRONG_STATE, "Enrollment %" PRId64 " is %s; %s "
		"needs it %s", e->id, rk_enrollment_state_name(e->state), method ? method : "this",
		needs);
}

DBusMessage *rk_pipeline_busy(DBusMessage *msg, struct rk_enrollment *e)
{
	return rk_dbus_error(msg, RK_DBUS_ERROR_BUSY, "Enrollment %" PRId64 " is busy: its %s is "
		"under way", e->id, e->run->kind == RK_RUN_RECORD ? "recording" : "issuance");
}

struct rk_enrollment *rk_pipeline_enrollment_of(struct rk_daemon *d, DBusMessage *msg)
{
	return d->enrollments ? rk_enrollments_find_path(d->enrollments, dbus_message_get_path(msg))
		: NULL;
}

DBusMessage *rk_pipeline_string_dict(DBusMessage *msg, DBusMessageIter *iter, const char *what,
		rk_string_entry_fn fn, void *data)
{
	DBusMessageIter dict, entry, value;

	dbus_message_iter_recurse(iter, &dict);
	for (; dbus_message_iter_get_arg_type(&dict) == DBUS_TYPE_DICT_ENTRY;
			dbus_message_iter_next(&dict)) {
		const char *key, *text;
		DBusMessage *error;

		dbus_message_iter_recurse(&dict, &entry);
		dbus_message_iter_get_basic(&entry, &key);
		dbus_message_iter_next(&entry);
		dbus_message_iter_recurse(&entry, &value);
		if (dbus_message_iter_get_arg_type(&value) != DBUS_TYPE_STRING)
			return rk_dbus_error(msg, RK_DBUS_ERROR_INVALID_ARGUMENTS,
				"%s %.40s must be a string", what, key);
		dbus_message_iter_get_basic(&value, &text);
		error = fn(msg, key, text, data);
		if (error)
			return error;
	}
	return NULL;
}

DBusMessage *rk_run_failed(struct rk_pipeline_run *run, enum rk_dbus_error_code code,
		const char *what, const char *text)
{
	rk_info("enrollment %" PRId64 ": %s stopped: %s", run->e->id, what, text);
	rk_pipeline_progress(run->d, run->e, "failed", -1.0, "%s", text);
	return rk_dbus_error(run->call, code, "%s", text);
}
