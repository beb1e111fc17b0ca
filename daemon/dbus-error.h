/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * rekam - KTP-el recording station daemon
 *
 * dbus-error.h - the errors rekamd's methods return. Every one is named
 * id.rekam.Station1.Error.<Name>, made by rk_dbus_error() from one table, and
 * documented in dbus/id.rekam.Station1.xml.
 */
#pragma once

#include <dbus/dbus.h>

#define RK_DBUS_ERROR_PREFIX "id.rekam.Station1.Error."

enum rk_dbus_error_code {
	RK_DBUS_ERROR_INVALID_ARGUMENTS,
	RK_DBUS_ERROR_NOT_READY,
	RK_DBUS_ERROR_NOT_SUPPORTED,
	RK_DBUS_ERROR_BUSY,
	RK_DBUS_ERROR_FAILED,
	RK_DBUS_ERROR_NOT_CLAIMED,
	RK_DBUS_ERROR_ABSENT,
	RK_DBUS_ERROR_CANCELLED,
	RK_DBUS_ERROR_TIMEOUT,
	RK_DBUS_ERROR_DEVICE,
	RK_DBUS_ERROR_NOT_FOUND,
	RK_DBUS_ERROR_CHECK_FAILED,
	RK_DBUS_ERROR_ACCESS_DENIED,   /* the caller lacks the role (roles.c) */
	RK_DBUS_ERROR_WRONG_STATE,     /* not allowed in the enrollment's state */
	RK_DBUS_ERROR_OUTSIDE_OFFICE_HOURS,
	RK_DBUS_ERROR_ALREADY_ENROLLED, /* an active enrollment has the same NIK */
	RK_DBUS_ERROR_ALREADY_EXISTS,  /* e.g. a card serial already registered */
	RK_DBUS_ERROR_NO_BLANK_CARDS,  /* the inventory or the printer's hopper is empty */
	RK_DBUS_ERROR_NEEDS_DECISION,  /* an interrupted issuance: the operator decides */
	RK_DBUS_ERROR_MISMATCH,        /* a confirmation (NIK, pickup token) does not match */
	RK_DBUS_ERROR_N_CODES
};

/* "id.rekam.Station1.Error.InvalidArguments", ... */
const char *rk_dbus_error_name(enum rk_dbus_error_code code);

/* An error reply to @msg with a sentence for a person. */
DBusMessage *rk_dbus_error(DBusMessage *msg, enum rk_dbus_error_code code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* An error reply for a negative errno from an internal function:
 * -EINVAL InvalidArguments, -EAGAIN NotReady, -ENOTSUP/-EOPNOTSUPP NotSupported,
 * -EBUSY/-EALREADY Busy, -ENODEV Absent, -ECANCELED Cancelled, -ETIMEDOUT Timeout,
 * -EIO/-EPROTO DeviceError, anything else Failed. */
DBusMessage *rk_dbus_error_errno(DBusMessage *msg, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
