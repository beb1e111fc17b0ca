/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * rekam - KTP-el recording station daemon
 *
 * bus.h - rekamctl's side of D-Bus: connecting to a bus, calling rekamd with
 * a timeout (watching signals meanwhile when asked), explaining every failure
 * in one sentence, finding a device by the name a person gives, and turning
 * any D-Bus value into JSON (for --json and for printing values for people).
 */
#pragma once

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>

#include <dbus/dbus.h>
#include <jansson.h>

#define REKAM_BUS_NAME "id.rekam.Station1"
#define REKAM_OBJECT_PATH "/id/rekam/Station1"
#define REKAM_MANAGER_INTERFACE "id.rekam.Station1"
#define REKAM_DEVICE_INTERFACE REKAM_MANAGER_INTERFACE ".Device"
#define REKAM_DEVICES_PATH REKAM_OBJECT_PATH "/devices/"
#define REKAM_ERROR_PREFIX REKAM_MANAGER_INTERFACE ".Error."

#define CTL_DEFAULT_TIMEOUT_S 25

enum ctl_bus_kind {
	CTL_BUS_SYSTEM,
	CTL_BUS_SESSION,
	CTL_BUS_ADDRESS,
};

struct ctl_bus {
	enum ctl_bus_kind kind;
	const char *address;  /* CTL_BUS_ADDRESS only */
	double timeout_s;     /* per call, > 0 */
	DBusConnection *conn; /* private; NULL until ctl_bus_open() */
	char where[256];      /* "the system bus", "the bus at ADDRESS", ... */
	char error_name[256]; /* the D-Bus error of the last failed call, "" if none */
	char error_message[512]; /* ... and its message */
};

/* "rekamctl: " + message + newline on stderr. */
void ctl_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Says "out of memory"; -ENOMEM (inline: the compiler sees that it is not 0). */
static inline int ctl_out_of_memory(void)
{
	ctl_err("out of memory");
	return -ENOMEM;
}

/*
 * Connects to the bus chosen in @bus (a private connection). On failure says
 * why on stderr and returns -ENOTCONN (or -EINVAL for a malformed address,
 * -ENOMEM).
 */
int ctl_bus_open(struct ctl_bus *bus);

/* Closes and releases the connection; safe to call when it is not open. */
void ctl_bus_close(struct ctl_bus *bus);

/*
 * Sends @msg and waits for the reply, at most bus->timeout_s. On success
 * *reply is the method return (the caller unrefs it). On failure the reason
 * has been printed and the result is one of:
 *   -ESRCH       rekamd is not running (or could not be started)
 *   -ETIMEDOUT   rekamd did not answer in time
 *   -ECONNRESET  the connection broke, or rekamd went away without answering
 *   -EACCES      the bus policy or rekamd refused the call
 *   -EREMOTEIO   rekamd answered with an error
 *   -ENOMEM
 */
int ctl_bus_call(struct ctl_bus *bus, DBusMessage *msg, DBusMessage **reply);

/* A signal handed to the caller of ctl_bus_call_watching(). */
typedef void (*ctl_signal_fn)(DBusMessage *signal, void *data);

/*
 * Like ctl_bus_call(), but waits up to @timeout_s instead of bus->timeout_s
 * and, while it waits, hands every signal that arrives to @on_signal (the
 * caller has added a match rule for the signals it wants), in order, all of
 * them before the reply is returned.
 */
int ctl_bus_call_watching(struct ctl_bus *bus, DBusMessage *msg, double timeout_s,
	ctl_signal_fn on_signal, void *data, DBusMessage **reply);

/*
 * 0 when @reply (to @method) has @signature; otherwise says so and returns
 * -EPROTO.
 */
int ctl_bus_expect_signature(DBusMessage *reply, const char *method, const char *signature);

/*
 * ctl_bus_call() of @msg, then ctl_bus_expect_signature() of the reply (to
 * @msg's member). Takes @msg over (unrefs it); a NULL @msg, one that could
 * not be built, is out of memory. On success *reply is the reply (the caller
 * unrefs it); on failure *reply is NULL, the reason has been printed and the
 * result is as ctl_bus_call()'s, or -EPROTO.
 */
int ctl_bus_send_expect(struct ctl_bus *bus, DBusMessage *msg, const char *signature,
	DBusMessage **reply);

/*
 * ctl_bus_send_expect() of a call of @method of @interface on rekamd's object
 * at @path, with the arguments that follow as dbus_message_append_args()
 * takes them (type, pointer to value, ..., DBUS_TYPE_INVALID).
 */
int ctl_bus_call_expect(struct ctl_bus *bus, const char *path, const char *interface,
	const char *method, const char *signature, DBusMessage **reply, int first_arg_type, ...);

/*
 * Every device rekamd has (GetManagedObjects on its root object), sorted by
 * path with numbers by value (sigpad2 before sigpad10), in *out:
 * [{"path": PATH, "properties": {every id.rekam.Station1.Device property}}, ...].
 * Failures are explained; returns 0 or a negative errno as ctl_bus_call().
 */
int ctl_fetch_devices(struct ctl_bus *bus, json_t **out);

/*
 * The device of @devices (from ctl_fetch_devices()) that @arg names: its
 * whole object path, the last component of the path ("sigpad0"), or its Name
 * (the [device NAME] of rekamd.conf). NULL when none.
 */
const json_t *ctl_find_device(const json_t *devices, const char *arg);

/*
 * The object path (malloc'd, in *path) of the device @arg names, as
 * ctl_find_device(). A device that does not exist is reported ("no device
 * X") and is -EREMOTEIO, exit status 1, as when rekamd answers with an error.
 */
int ctl_resolve_device(struct ctl_bus *bus, const char *arg, char **path);

/*
 * The value at @iter as JSON (a new reference in *out): strings, object paths
 * and signatures become strings; integers and bytes numbers; doubles numbers
 * (null when not finite); booleans booleans; variants their content; arrays
 * and structs arrays; dictionaries objects (keys that are not strings are
 * written out as text). A received file descriptor is closed and becomes null.
 * Returns 0, -ENOMEM or -EPROTO (no value at @iter).
 */
int ctl_json_from_iter(DBusMessageIter *iter, json_t **out);

/* A value for people: text as is, yes/no, "a, b, c", "key=value, ..." */
void ctl_print_value(FILE *f, const json_t *value);

/*
 * The <sysexits.h> exit status for a 0/-errno result of rekamctl's functions
 * (-EBUSY, a device claimed by another client, is EX_TEMPFAIL).
 */
int ctl_exit_status(int err);
