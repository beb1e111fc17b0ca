// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * rekam - KTP-el recording station daemon
 *
 * dbus-error.c - the one place D-Bus error replies are made (see dbus-error.h).
 */
#include <config.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>

#include "daemon/dbus-error.h"

static const char *const error_names[RK_DBUS_ERROR_N_CODES] = {
	[RK_DBUS_ERROR_INVALID_ARGUMENTS] = RK_DBUS_ERROR_PREFIX "InvalidArguments",
	[RK_DBUS_ERROR_NOT_READY] = RK_DBUS_ERROR_PREFIX "NotReady",
	[RK_DBUS_ERROR_NOT_SUPPORTED] = RK_DBUS_ERROR_PREFIX "NotSupported",
	[RK_DBUS_ERROR_BUSY] = RK_DBUS_ERROR_PREFIX "Busy",
	[RK_DBUS_ERROR_FAILED] = RK_DBUS_ERROR_PREFIX "Failed",
	[RK_DBUS_ERROR_NOT_CLAIMED] = RK_DBUS_ERROR_PREFIX "NotClaimed",
	[RK_DBUS_ERROR_ABSENT] = RK_DBUS_ERROR_PREFIX "Absent",
	[RK_DBUS_ERROR_CANCELLED] = RK_DBUS_ERROR_PREFIX "Cancelled",
	[RK_DBUS_ERROR_TIMEOUT] = RK_DBUS_ERROR_PREFIX "Timeout",
	[RK_DBUS_ERROR_DEVICE] = RK_DBUS_ERROR_PREFIX "DeviceError",
	[RK_DBUS_ERROR_NOT_FOUND] = RK_DBUS_ERROR_PREFIX "NotFound",
	[RK_DBUS_ERROR_CHECK_FAILED] = RK_DBUS_ERROR_PREFIX "CheckFailed",
	[RK_DBUS_ERROR_ACCESS_DENIED] = RK_DBUS_ERROR_PREFIX "AccessDenied",
	[RK_DBUS_ERROR_WRONG_STATE] = RK_DBUS_ERROR_PREFIX "WrongState",
	[RK_DBUS_ERROR_OUTSIDE_OFFICE_HOURS] = RK_DBUS_ERROR_PREFIX "OutsideOfficeHours",
	[RK_DBUS_ERROR_ALREADY_ENROLLED] = RK_DBUS_ERROR_PREFIX "AlreadyEnrolled",
	[RK_DBUS_ERROR_ALREADY_EXISTS] = RK_DBUS_ERROR_PREFIX "AlreadyExists",
	[RK_DBUS_ERROR_NO_BLANK_CARDS] = RK_DBUS_ERROR_PREFIX "NoBlankCards",
	[RK_DBUS_ERROR_NEEDS_DECISION] = RK_DBUS_ERROR_PREFIX "NeedsDecision",
	[RK_DBUS_ERROR_MISMATCH] = RK_DBUS_ERROR_PREFIX "Mismatch",
};

const char *rk_dbus_error_name(enum rk_dbus_error_code code)
{
	if ((unsigned int)code >= RK_DBUS_ERROR_N_CODES)
		code = RK_DBUS_ERROR_FAILED;
	return error_names[code];
}

static DBusMessage *error_reply(DBusMessage *msg, enum rk_dbus_error_code code, const char *fmt,
		va_list ap) __attribute__((format(printf, 3, 0)));

static DBusMessage *error_reply(DBusMessage *msg, enum rk_dbus_error_code code, const char *fmt,
		va_list ap)
{
	char text[512];

	vsnprintf(text, sizeof(text), fmt, ap);
	return dbus_message_new_error(msg, rk_dbus_error_name(code), text);
}

DBusMessage *rk_dbus_error(DBusMessage *msg, enum rk_dbus_error_code code, const char *fmt, ...)
{
	DBusMessage *reply;
	va_list ap;

	va_start(ap, fmt);
	reply = error_reply(msg, code, fmt, ap);
	va_end(ap);
	return reply;
}

static enum rk_dbus_error_code code_from_errno(int err)
{
	switch (err) {
	case -EINVAL:
	case -ERANGE:
		return RK_DBUS_ERROR_INVALID_ARGUMENTS;
	case -EAGAIN:
		return RK_DBUS_ERROR_NOT_READY;
	case -ENOTSUP:
		return RK_DBUS_ERROR_NOT_SUPPORTED;
	case -EBUSY:
	case -EALREADY:
		return RK_DBUS_ERROR_BUSY;
	case -ENODEV:
		return RK_DBUS_ERROR_ABSENT;
	case -ECANCELED:
		return RK_DBUS_ERROR_CANCELLED;
	case -ETIMEDOUT:
		return RK_DBUS_ERROR_TIMEOUT;
	case -EIO:
	case -EPROTO:
		return RK_DBUS_ERROR_DEVICE;
	default:
		return RK_DBUS_ERROR_FAILED;
	}
}

DBusMessage *rk_dbus_error_errno(DBusMessage *msg, int err, const char *fmt, ...)
{
	DBusMessage *reply;
	va_list ap;

	va_start(ap, fmt);
	reply = error_reply(msg, code_from_errno(err), fmt, ap);
	va_end(ap);
	return reply;
}
