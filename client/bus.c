// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * rekam - KTP-el recording station daemon
 *
 * bus.c - rekamctl's side of D-Bus: a private connection, synchronous calls
 * with a timeout (and calls that watch signals while they wait), one clear
 * sentence (and exit status) for every failure, the devices and the names
 * people give them, and the conversion of D-Bus values to JSON.
 */
#include <config.h>

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "client/bus.h"

#if JSON_INTEGER_IS_LONG_LONG
#define CTL_JSON_INTEGER_MAX LLONG_MAX
#else
#define CTL_JSON_INTEGER_MAX LONG_MAX
#endif

#define OBJECT_MANAGER_INTERFACE "org.freedesktop.DBus.ObjectManager"
#define MANAGED_OBJECTS_SIGNATURE "a{oa{sa{sv}}}"
#define WATCH_SLICE_MS 100 /* longest wait for I/O between two looks at the clock */

void ctl_err(const char *fmt, ...)
{
	va_list ap;

	fputs("rekamctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static bool has_prefix(const char *s, const char *prefix)
{
	return s && strncmp(s, prefix, strlen(prefix)) == 0;
}

static bool has_suffix(const char *s, const char *suffix)
{
	size_t len, suffix_len = strlen(suffix);

	if (!s)
		return false;
	len = strlen(s);
	return len >= suffix_len && strcmp(s + len - suffix_len, suffix) == 0;
}

/* --- connecting ------------------------------------------------------------ */

static void describe_bus(struct ctl_bus *bus)
{
	switch (bus->kind) {
	case CTL_BUS_SYSTEM:
		snprintf(bus->where, sizeof(bus->where), "the system bus");
		break;
	case CTL_BUS_SESSION:
		snprintf(bus->where, sizeof(bus->where), "the session bus");
		break;
	case CTL_BUS_ADDRESS:
		snprintf(bus->where, sizeof(bus->where), "the bus at %s", bus->address);
		break;
	}
}

static DBusConnection *connect_address(const char *address, DBusError *error)
{
	DBusConnection *conn;

	conn = dbus_connection_open_private(address, error);
	if (!conn)
		return NULL;
	if (!dbus_bus_register(conn, error)) {
		dbus_connection_close(conn);
		dbus_connection_unref(conn);
		return NULL;
	}
	return conn;
}

int ctl_bus_open(struct ctl_bus *bus)
{
	DBusConnection *conn = NULL;
	DBusError error;
	int err;

	describe_bus(bus);
	dbus_error_init(&error);
	switch (bus->kind) {
	case CTL_BUS_SYSTEM:
		conn = dbus_bus_get_private(DBUS_BUS_SYSTEM, &error);
		break;
	case CTL_BUS_SESSION:
		conn = dbus_bus_get_private(DBUS_BUS_SESSION, &error);
		break;
	case CTL_BUS_ADDRESS:
		conn = connect_address(bus->address, &error);
		break;
	}
	if (conn) {
		/* A bus that goes away is an error to report, not a reason to _exit(). */
		dbus_connection_set_exit_on_disconnect(conn, FALSE);
		bus->conn = conn;
		return 0;
	}

	if (dbus_error_has_name(&error, DBUS_ERROR_NO_MEMORY)) {
		err = ctl_out_of_memory();
	} else if (dbus_error_has_name(&error, DBUS_ERROR_BAD_ADDRESS)) {
		ctl_err("invalid bus address '%s': %s", bus->address ? bus->address : "",
			error.message ? error.message : "malformed");
		err = -EINVAL;
	} else {
		ctl_err("cannot connect to %s: %s", bus->where,
			error.message ? error.message : "unknown error");
		err = -ENOTCONN;
	}
	dbus_error_free(&error);
	return err;
}

void ctl_bus_close(struct ctl_bus *bus)
{
	if (!bus->conn)
		return;
	dbus_connection_close(bus->conn);
	dbus_connection_unref(bus->conn);
	bus->conn = NULL;
}

/* --- calling --------------------------------------------------------------- */

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int timeout_ms(const struct ctl_bus *bus)
{
	double ms = bus->timeout_s * 1000.0;

	if (ms < 1.0)
		return 1;
	if (ms > (double)INT32_MAX)
		return INT32_MAX;
	return (int)ms;
}

static bool is_access_error(const char *name)
{
	return !strcmp(name, DBUS_ERROR_ACCESS_DENIED) || !strcmp(name, DBUS_ERROR_AUTH_FAILED) ||
		!strcmp(name, DBUS_ERROR_INTERACTIVE_AUTHORIZATION_REQUIRED) ||
		has_suffix(name, ".AccessDenied") || has_suffix(name, ".PermissionDenied") ||
		has_suffix(name, ".NotAuthorized");
}

/* Says what went wrong with a call to @dest that failed after @elapsed seconds. */
static int explain_call_error(const struct ctl_bus *bus, const char *dest, const DBusError *error,
	double elapsed)
{
	const char *name = error->name ? error->name : "";
	const char *text = error->message ? error->message : "";

	if (!strcmp(name, DBUS_ERROR_SERVICE_UNKNOWN) ||
		!strcmp(name, DBUS_ERROR_NAME_HAS_NO_OWNER)) {
		ctl_err("rekamd is not running (no owner of %s on %s)", dest, bus->where);
		return -ESRCH;
	}
	if (has_prefix(name, "org.freedesktop.DBus.Error.Spawn.") ||
		has_prefix(name, "org.freedesktop.systemd1.")) {
		/* bus activation was tried and failed */
		ctl_err("rekamd is not running and could not be started: %s", text);
		return -ESRCH;
	}
	if (!strcmp(name, DBUS_ERROR_TIMEOUT) || !strcmp(name, DBUS_ERROR_TIMED_OUT) ||
		(!strcmp(name, DBUS_ERROR_NO_REPLY) && elapsed >= bus->timeout_s * 0.9)) {
		ctl_err("rekamd did not answer within %g s", bus->timeout_s);
		return -ETIMEDOUT;
	}
	if (!strcmp(name, DBUS_ERROR_NO_REPLY)) {
		ctl_err("rekamd did not answer: %s", text);
		return -ECONNRESET;
	}
	if (!strcmp(name, DBUS_ERROR_DISCONNECTED)) {
		ctl_err("lost the connection to %s: %s", bus->where, text);
		return -ECONNRESET;
	}
	if (!strcmp(name, DBUS_ERROR_NO_MEMORY))
		return ctl_out_of_memory();
	if (is_access_error(name)) {
		ctl_err("permission denied: %s", *text ? text : name);
		return -EACCES;
	}
	ctl_err("%s: %s", *name ? name : "error", text);
	return -EREMOTEIO;
}

/* The start of every call: no reply and no error yet, and a connection to send on. */
static int call_begin(struct ctl_bus *bus, DBusMessage **reply)
{
	*reply = NULL;
	bus->error_name[0] = '\0';
	bus->error_message[0] = '\0';
	if (!bus->conn) {
		ctl_err("not connected to a bus");
		return -ENOTCONN;
	}
	return 0;
}

/* A call of @msg that failed with @error (freed) after @elapsed seconds: kept and explained. */
static int call_failed(struct ctl_bus *bus, DBusMessage *msg, DBusError *error, double elapsed)
{
	const char *dest = dbus_message_get_destination(msg);
	int err;

	snprintf(bus->error_name, sizeof(bus->error_name), "%s", error->name ? error->name : "");
	snprintf(bus->error_message, sizeof(bus->error_message), "%s",
		error->message ? error->message : "");
	err = explain_call_error(bus, dest ? dest : REKAM_BUS_NAME, error, elapsed);
	dbus_error_free(error);
	return err;
}

int ctl_bus_call(struct ctl_bus *bus, DBusMessage *msg, DBusMessage **reply)
{
	int err = call_begin(bus, reply);
	DBusError error;
	double start;

	if (err)
		return err;
	dbus_error_init(&error);
	start = now_s();
	*reply = dbus_connection_send_with_reply_and_block(bus->conn, msg, timeout_ms(bus), &error);
	if (*reply)
		return 0;
	return call_failed(bus, msg, &error, now_s() - start);
}

struct watch {
	ctl_signal_fn on_signal;
	void *data;
};

static DBusHandlerResult watch_filter(DBusConnection *conn, DBusMessage *msg, void *data)
{
	struct watch *w = data;

	if (dbus_message_get_type(msg) == DBUS_MESSAGE_TYPE_SIGNAL && w->on_signal)
		w->on_signal(msg, w->data);
	return DBUS_HANDLER_RESULT_NOT_YET_HANDLED;
}

/* Reads, writes and dispatches until @pending completes or time is up. */
static int watch_until_done(struct ctl_bus *bus, DBusPendingCall *pending, double timeout_s)
{
	double start = now_s(), left;
	int ms;

	while (!dbus_pending_call_get_completed(pending)) {
		left = timeout_s - (now_s() - start);
		if (left <= 0) {
			ctl_err("rekamd did not answer within %g s", timeout_s);
			return -ETIMEDOUT;
		}
		ms = left * 1000.0 < WATCH_SLICE_MS ? (int)(left * 1000.0) + 1 : WATCH_SLICE_MS;
		if (!dbus_connection_read_write_dispatch(bus->conn, ms)) {
			ctl_err("lost the connection to %s", bus->where);
			return -ECONNRESET;
		}
	}
	/* signals sent before the reply but not dispatched yet */
	while (dbus_connection_dispatch(bus->conn) == DBUS_DISPATCH_DATA_REMAINS)
		;
	return 0;
}

int ctl_bus_call_watching(struct ctl_bus *bus, DBusMessage *msg, double timeout_s,
	ctl_signal_fn on_signal, void *data, DBusMessage **reply)
{
	struct watch w = { on_signal, data };
	DBusPendingCall *pending = NULL;
	DBusMessage *answer;
	DBusError error;
	double start;
	int err;

	err = call_begin(bus, reply);
	if (err)
		return err;
	if (!dbus_connection_add_filter(bus->conn, watch_filter, &w, NULL))
		return ctl_out_of_memory();
	start = now_s();
	if (!dbus_connection_send_with_reply(bus->conn, msg, &pending, DBUS_TIMEOUT_INFINITE)) {
		err = ctl_out_of_memory();
	} else if (!pending) {
		ctl_err("lost the connection to %s", bus->where);
		err = -ECONNRESET;
	} else {
		err = watch_until_done(bus, pending, timeout_s);
	}
	dbus_connection_remove_filter(bus->conn, watch_filter, &w);
	if (err) {
		if (pending) {
			dbus_pending_call_cancel(pending);
			dbus_pending_call_unref(pending);
		}
		return err;
	}

	answer = dbus_pending_call_steal_reply(pending);
	dbus_pending_call_unref(pending);
	if (!answer) {
		ctl_err("rekamd did not answer");
		return -ECONNRESET;
	}
	dbus_error_init(&error);
	if (!dbus_set_error_from_message(&error, answer)) {
		*reply = answer;
		return 0;
	}
	dbus_message_unref(answer);
	return call_failed(bus, msg, &error, now_s() - start);
}

int ctl_bus_expect_signature(DBusMessage *reply, const char *method, const char *signature)
{
	if (dbus_message_has_signature(reply, signature))
		return 0;
	ctl_err("unexpected answer from rekamd to %s: signature '%s' instead of '%s'", method,
		dbus_message_get_signature(reply), signature);
	return -EPROTO;
}

int ctl_bus_send_expect(struct ctl_bus *bus, DBusMessage *msg, const char *signature,
	DBusMessage **reply)
{
	int err;

	*reply = NULL;
	if (!msg)
		return ctl_out_of_memory();
	err = ctl_bus_call(bus, msg, reply);
	if (!err)
		err = ctl_bus_expect_signature(*reply, dbus_message_get_member(msg), signature);
	dbus_message_unref(msg);
	if (err && *reply) {
		dbus_message_unref(*reply);
		*reply = NULL;
	}
	return err;
}

int ctl_bus_call_expect(struct ctl_bus *bus, const char *path, const char *interface,
	const char *method, const char *signature, DBusMessage **reply, int first_arg_type, ...)
{
	DBusMessage *msg;
	va_list ap;
	bool ok;

	msg = dbus_message_new_method_call(REKAM_BUS_NAME, path, interface, method);
	if (msg) {
		va_start(ap, first_arg_type);
		ok = dbus_message_append_args_valist(msg, first_arg_type, ap);
		va_end(ap);
		if (!ok) {
			dbus_message_unref(msg);
			msg = NULL;
		}
	}
	return ctl_bus_send_expect(bus, msg, signature, reply);
}

/* --- devices --------------------------------------------------------------- */

/* {"path": @path, "properties": the a{sv} at @iter}, appended to @list. */
static int add_device(json_t *list, const char *path, DBusMessageIter *iter)
{
	json_t *props, *device;
	int err;

	err = ctl_json_from_iter(iter, &props);
	if (err)
		return err;
	device = json_pack("{s:s, s:o}", "path", path, "properties", props);
	if (!device)
		return -ENOMEM;
	if (json_array_append_new(list, device) < 0)
		return -ENOMEM;
	return 0;
}

/* The objects of @objects (an a{oa{sa{sv}}} iterator) that are devices. */
static int read_objects(DBusMessageIter *objects, json_t *list)
{
	DBusMessageIter object, ifaces, iface;
	const char *path, *name;
	int err;

	for (; dbus_message_iter_get_arg_type(objects) == DBUS_TYPE_DICT_ENTRY;
			dbus_message_iter_next(objects)) {
		dbus_message_iter_recurse(objects, &object);
		dbus_message_iter_get_basic(&object, &path);
		dbus_message_iter_next(&object);
		dbus_message_iter_recurse(&object, &ifaces);

		for (; dbus_message_iter_get_arg_type(&ifaces) == DBUS_TYPE_DICT_ENTRY;
				dbus_message_iter_next(&ifaces)) {
			dbus_message_iter_recurse(&ifaces, &iface);
			dbus_message_iter_get_basic(&iface, &name);
			if (strcmp(name, REKAM_DEVICE_INTERFACE) != 0)
				continue;
			dbus_message_iter_next(&iface);
			err = add_device(list, path, &iface);
			if (err)
				return err;
		}
	}
	return 0;
}

/* By path, numbers in it by value: sigpad2 before sigpad10. */
static int compare_paths(const void *a, const void *b)
{
	const json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;

	return strverscmp(json_string_value(json_object_get(x, "path")),
		json_string_value(json_object_get(y, "path")));
}

/* @list sorted by path, as a new array in *out. */
static int sort_devices(json_t *list, json_t **out)
{
	size_t i, n = json_array_size(list);
	json_t **items, *sorted;
	int err = 0;

	items = calloc(n ? n : 1, sizeof(*items));
	sorted = json_array();
	if (!items || !sorted) {
		free(items);
		json_decref(sorted);
		return -ENOMEM;
	}
	for (i = 0; i < n; i++)
		items[i] = json_array_get(list, i);
	qsort(items, n, sizeof(*items), compare_paths);
	for (i = 0; i < n && !err; i++)
		if (json_array_append(sorted, items[i]) < 0)
			err = -ENOMEM;
	free(items);
	if (err) {
		json_decref(sorted);
		return err;
	}
	*out = sorted;
	return 0;
}

int ctl_fetch_devices(struct ctl_bus *bus, json_t **out)
{
	DBusMessageIter iter, objects;
	DBusMessage *reply;
	json_t *list;
	int err;

	err = ctl_bus_call_expect(bus, REKAM_OBJECT_PATH, OBJECT_MANAGER_INTERFACE,
		"GetManagedObjects", MANAGED_OBJECTS_SIGNATURE, &reply, DBUS_TYPE_INVALID);
	if (err)
		return err;
	list = json_array();
	if (list) {
		dbus_message_iter_init(reply, &iter);
		dbus_message_iter_recurse(&iter, &objects);
		err = read_objects(&objects, list);
		if (!err)
			err = sort_devices(list, out);
		json_decref(list);
	} else {
		err = -ENOMEM;
	}
	dbus_message_unref(reply);

	if (err == -ENOMEM)
		return ctl_out_of_memory();
	if (err) {
		ctl_err("cannot read the answer to GetManagedObjects");
		return -EPROTO;
	}
	return 0;
}

/* Does @arg name the object at @path: the whole path, or its name below REKAM_DEVICES_PATH? */
static bool names_path(const char *arg, const char *path)
{
	size_t len = strlen(REKAM_DEVICES_PATH);

	if (*arg == '/')
		return !strcmp(path, arg);
	return !strncmp(path, REKAM_DEVICES_PATH, len) && !strcmp(path + len, arg);
}

static const char *device_name(const json_t *device)
{
	const json_t *value = json_object_get(json_object_get(device, "properties"), "Name");

	return json_is_string(value) ? json_string_value(value) : "";
}

const json_t *ctl_find_device(const json_t *devices, const char *arg)
{
	const json_t *device;
	size_t i;

	json_array_foreach(devices, i, device) {
		if (names_path(arg, json_string_value(json_object_get(device, "path"))))
			return device;
	}
	if (*arg == '/')
		return NULL;
	json_array_foreach(devices, i, device) {
		if (!strcmp(device_name(device), arg))
			return device;
	}
	return NULL;
}

int ctl_resolve_device(struct ctl_bus *bus, const char *arg, char **path)
{
	const json_t *device;
	json_t *devices;
	int err;

	*path = NULL;
	err = ctl_fetch_devices(bus, &devices);
	if (err)
		return err;
	device = ctl_find_device(devices, arg);
	if (!device) {
		ctl_err("no device %s", arg);
		err = -EREMOTEIO; /* exit 1, as when rekamd answers with an error */
	} else {
		*path = strdup(json_string_value(json_object_get(device, "path")));
		if (!*path)
			err = ctl_out_of_memory();
	}
	json_decref(devices);
	return err;
}

/* --- D-Bus values as JSON -------------------------------------------------- */

static json_t *uint64_to_json(dbus_uint64_t v)
{
	if (v <= (dbus_uint64_t)CTL_JSON_INTEGER_MAX)
		return json_integer((json_int_t)v);
	return json_real((double)v); /* beyond JSON integers: nearest number */
}

static int basic_to_json(DBusMessageIter *iter, int type, json_t **out)
{
	DBusBasicValue v;
	json_t *j;

	memset(&v, 0, sizeof(v));
	dbus_message_iter_get_basic(iter, &v);
	switch (type) {
	case DBUS_TYPE_BYTE:
		j = json_integer(v.byt);
		break;
	case DBUS_TYPE_BOOLEAN:
		j = json_boolean(v.bool_val);
		break;
	case DBUS_TYPE_INT16:
		j = json_integer(v.i16);
		break;
	case DBUS_TYPE_UINT16:
		j = json_integer(v.u16);
		break;
	case DBUS_TYPE_INT32:
		j = json_integer(v.i32);
		break;
	case DBUS_TYPE_UINT32:
		j = json_integer(v.u32);
		break;
	case DBUS_TYPE_INT64:
		j = json_integer(v.i64);
		break;
	case DBUS_TYPE_UINT64:
		j = uint64_to_json(v.u64);
		break;
	case DBUS_TYPE_DOUBLE:
		j = isfinite(v.dbl) ? json_real(v.dbl) : json_null();
		break;
	case DBUS_TYPE_STRING:
	case DBUS_TYPE_OBJECT_PATH:
	case DBUS_TYPE_SIGNATURE:
		/* libdbus has checked that the text is UTF-8 */
		j = json_string(v.str);
		break;
	case DBUS_TYPE_UNIX_FD:
		/* the reader owns a duplicate of the descriptor: nothing to show */
		if (v.fd >= 0)
			close(v.fd);
		j = json_null();
		break;
	default:
		return -EPROTO;
	}
	if (!j)
		return -ENOMEM;
	*out = j;
	return 0;
}

/* A dictionary key (any basic type) as text, in @buf unless it is text already. */
static int dict_key(DBusMessageIter *iter, char *buf, size_t size, const char **key)
{
	int type = dbus_message_iter_get_arg_type(iter);
	json_t *j;
	char *text;
	int err;

	if (type == DBUS_TYPE_STRING || type == DBUS_TYPE_OBJECT_PATH ||
		type == DBUS_TYPE_SIGNATURE) {
		dbus_message_iter_get_basic(iter, key);
		return 0;
	}
	err = basic_to_json(iter, type, &j);
	if (err)
		return err;
	text = json_dumps(j, JSON_ENCODE_ANY);
	json_decref(j);
	if (!text)
		return -ENOMEM;
	snprintf(buf, size, "%s", text);
	free(text);
	*key = buf;
	return 0;
}

/* The member at @iter added to @container: a dictionary entry to an object, else to an array. */
static int add_member(json_t *container, DBusMessageIter *iter)
{
	DBusMessageIter entry;
	json_t *value;
	char buf[64];
	const char *key;
	int err;

	if (json_is_array(container)) {
		err = ctl_json_from_iter(iter, &value);
		if (err)
			return err;
		return json_array_append_new(container, value) < 0 ? -ENOMEM : 0;
	}
	dbus_message_iter_recurse(iter, &entry);
	err = dict_key(&entry, buf, sizeof(buf), &key);
	if (err)
		return err;
	if (!dbus_message_iter_next(&entry))
		return -EPROTO;
	err = ctl_json_from_iter(&entry, &value);
	if (err)
		return err;
	return json_object_set_new(container, key, value) < 0 ? -ENOMEM : 0;
}

/* The members of the container at @iter, in order, into @container (a new
 * json_object() for a dictionary, json_array() for anything else; taken). */
static int container_to_json(DBusMessageIter *iter, json_t *container, json_t **out)
{
	DBusMessageIter sub;
	int err = 0;

	if (!container)
		return -ENOMEM;
	dbus_message_iter_recurse(iter, &sub);
	while (!err && dbus_message_iter_get_arg_type(&sub) != DBUS_TYPE_INVALID) {
		err = add_member(container, &sub);
		dbus_message_iter_next(&sub);
	}
	if (err) {
		json_decref(container);
		return err;
	}
	*out = container;
	return 0;
}

int ctl_json_from_iter(DBusMessageIter *iter, json_t **out)
{
	int type = dbus_message_iter_get_arg_type(iter);
	DBusMessageIter sub;

	*out = NULL;
	switch (type) {
	case DBUS_TYPE_INVALID:
		return -EPROTO;
	case DBUS_TYPE_VARIANT:
		dbus_message_iter_recurse(iter, &sub);
		return ctl_json_from_iter(&sub, out);
	case DBUS_TYPE_ARRAY:
		if (dbus_message_iter_get_element_type(iter) == DBUS_TYPE_DICT_ENTRY)
			return container_to_json(iter, json_object(), out);
		return container_to_json(iter, json_array(), out);
	case DBUS_TYPE_STRUCT:
	case DBUS_TYPE_DICT_ENTRY:
		/* a struct, or a lone dictionary entry: its members in order */
		return container_to_json(iter, json_array(), out);
	default:
		return basic_to_json(iter, type, out);
	}
}

/* --- values for people ----------------------------------------------------- */

static void print_value(FILE *f, const json_t *value, bool nested)
{
	const char *key;
	json_t *member;
	size_t i;

	switch (json_typeof(value)) {
	case JSON_STRING:
		fputs(json_string_value(value), f);
		break;
	case JSON_INTEGER:
		fprintf(f, "%" JSON_INTEGER_FORMAT, json_integer_value(value));
		break;
	case JSON_REAL:
		fprintf(f, "%g", json_real_value(value));
		break;
	case JSON_TRUE:
		fputs("yes", f);
		break;
	case JSON_FALSE:
		fputs("no", f);
		break;
	case JSON_NULL:
		fputs("-", f);
		break;
	case JSON_ARRAY:
		if (!nested && json_array_size(value) == 0) {
			fputs("(none)", f);
			break;
		}
		if (nested)
			fputc('[', f);
		json_array_foreach(value, i, member) {
			if (i)
				fputs(", ", f);
			print_value(f, member, true);
		}
		if (nested)
			fputc(']', f);
		break;
	case JSON_OBJECT:
		if (!nested && json_object_size(value) == 0) {
			fputs("(none)", f);
			break;
		}
		if (nested)
			fputc('{', f);
		i = 0;
		json_object_foreach((json_t *)value, key, member) {
			fprintf(f, "%s%s=", i++ ? ", " : "", key);
			print_value(f, member, true);
		}
		if (nested)
			fputc('}', f);
		break;
	}
}

void ctl_print_value(FILE *f, const json_t *value)
{
	print_value(f, value, false);
}

/* --- exit status ----------------------------------------------------------- */

int ctl_exit_status(int err)
{
	switch (err) {
	case 0:
		return EX_OK;
	case -EINVAL:
		return EX_USAGE;
	case -ENOTCONN:
	case -ESRCH:
	case -ETIMEDOUT:
	case -ECONNRESET:
		return EX_UNAVAILABLE;
	case -EACCES:
	case -EPERM:
		return EX_NOPERM;
	case -EREMOTEIO:
		return 1;
	case -EBUSY:
		return EX_TEMPFAIL;
	case -EPROTO:
		return EX_PROTOCOL;
	case -ENOMEM:
		return EX_OSERR;
	case -EIO:
		return EX_IOERR;
	default:
		return EX_SOFTWARE;
	}
}
