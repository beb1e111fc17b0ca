// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * rekam - device simulators
 *
 * station-rekamd.c - rekamd in the simulated station: its start, and waiting
 * until it owns its name and every device of its rekamd.conf (written by
 * station-devices.c) is up.
 */
#include <config.h>

#include "simulators/station.h"

/* --- rekamd ------------------------------------------------------------------------- */

int start_rekamd(struct station *st)
{
	char *state = xasprintf("--state-dir=%s/state", st->dir);
	char *config = xasprintf("--config=%s/rekamd.conf", st->dir);
	char *plugins = xasprintf("--plugin-dir=%s", st->plugin_dir);
	char *argv[] = { st->rekamd, "--session", state, config, plugins,
		st->opt.verbose ? "--verbose" : NULL, NULL };
	int log = open_log(st->dir, "rekamd.log");

	st->rekamd_child.what = "rekamd";
	st->rekamd_child.pid = spawn(argv, log, log, -1, true);
	if (log >= 0)
		close(log);
	free(state);
	free(config);
	free(plugins);
	if (st->rekamd_child.pid < 0) {
		st->rekamd_child.pid = 0;
		return EX_OSERR;
	}
	info("rekamd (pid %d) started", (int)st->rekamd_child.pid);
	return 0;
}

/* Properties.Get of @name: the reply, with *@var on the value; NULL when
 * there is no answer (not there yet). Unref the reply. */
static DBusMessage *get_property(DBusConnection *conn, const char *path, const char *iface,
	const char *name, DBusMessageIter *var)
{
	DBusMessage *msg, *reply;
	DBusMessageIter iter;

	msg = dbus_message_new_method_call(REKAM_BUS_NAME, path, DBUS_INTERFACE_PROPERTIES, "Get");
	if (!msg || !dbus_message_append_args(msg, DBUS_TYPE_STRING, &iface, DBUS_TYPE_STRING,
			&name, DBUS_TYPE_INVALID)) {
		if (msg)
			dbus_message_unref(msg);
		return NULL;
	}
	reply = dbus_connection_send_with_reply_and_block(conn, msg, CALL_TIMEOUT_MS, NULL);
	dbus_message_unref(msg);
	if (reply && dbus_message_iter_init(reply, &iter) &&
			dbus_message_iter_get_arg_type(&iter) == DBUS_TYPE_VARIANT) {
		dbus_message_iter_recurse(&iter, var);
		return reply;
	}
	if (reply)
		dbus_message_unref(reply);
	return NULL;
}

/* A string property of @path, or NULL (not there yet, or no answer). */
static char *get_string(DBusConnection *conn, const char *path, const char *iface,
	const char *name)
{
	DBusMessageIter var;
	DBusMessage *reply = get_property(conn, path, iface, name, &var);
	const char *value;
	char *result = NULL;

	if (!reply)
		return NULL;
	if (dbus_message_iter_get_arg_type(&var) == DBUS_TYPE_STRING) {
		dbus_message_iter_get_basic(&var, &value);
		result = xstrdup(value);
	}
	dbus_message_unref(reply);
	return result;
}

/* The manager's Devices (ao) as a NULL-terminated list, or NULL. */
static char **get_devices(DBusConnection *conn)
{
	DBusMessageIter var, array;
	DBusMessage *reply = get_property(conn, REKAM_OBJECT_PATH, REKAM_BUS_NAME, "Devices", &var);
	const char *path;
	char **list = NULL;
	size_t n = 0;

	if (!reply)
		return NULL;
	if (dbus_message_iter_get_arg_type(&var) == DBUS_TYPE_ARRAY &&
			dbus_message_iter_get_element_type(&var) == DBUS_TYPE_OBJECT_PATH) {
		list = calloc((size_t)dbus_message_iter_get_element_count(&var) + 1, sizeof(*list));
		if (!list)
			xmalloc_fail();
		dbus_message_iter_recurse(&var, &array);
		while (dbus_message_iter_get_arg_type(&array) == DBUS_TYPE_OBJECT_PATH) {
			dbus_message_iter_get_basic(&array, &path);
			list[n++] = xstrdup(path);
			dbus_message_iter_next(&array);
		}
	}
	dbus_message_unref(reply);
	return list;
}

/*
 * Is the device configured as @device present (State not "absent")? Sets
 * *state to its state for a message (freed by the caller), NULL when the
 * device does not exist (yet).
 */
static bool device_up(DBusConnection *conn, char **devices, const char *device, char **state)
{
	size_t i;

	*state = NULL;
	for (i = 0; devices && devices[i]; i++) {
		char *name = get_string(conn, devices[i], REKAM_DEVICE_INTERFACE, "Name");
		bool match = name && !strcmp(name, device);

		free(name);
		if (!match)
			continue;
		*state = get_string(conn, devices[i], REKAM_DEVICE_INTERFACE, "State");
		return *state && strcmp(*state, "absent") != 0;
	}
	return false;
}

/* Is every configured device there and not absent? @why says which is not. */
static bool devices_up(struct station *st, DBusConnection *conn, char *why, size_t size)
{
	char **devices = get_devices(conn), *state;
	bool up = true;
	size_t i;

	for (i = 0; i < N_DEVS && up; i++) {
		if (!st->dev_on[i])
			continue;
		up = device_up(conn, devices, dev_kinds[i].name, &state);
		if (!up)
			snprintf(why, size, "device %s (%s, %s) is %s", dev_kinds[i].name,
				dev_kinds[i].plugin, sim_kinds[dev_kinds[i].sim].program,
				state ? state : "not there");
		free(state);
	}
	free_strv(devices);
	return up;
}

static DBusConnection *connect_bus(const char *address)
{
	DBusConnection *conn;
	DBusError error;

	dbus_error_init(&error);
	conn = dbus_connection_open_private(address, &error);
	if (conn && !dbus_bus_register(conn, &error)) {
		dbus_connection_close(conn);
		dbus_connection_unref(conn);
		conn = NULL;
	}
	if (!conn) {
		err("cannot connect to the station's bus: %s",
			error.message ? error.message : "unknown error");
		dbus_error_free(&error);
		return NULL;
	}
	dbus_connection_set_exit_on_disconnect(conn, FALSE);
	return conn;
}

static void close_bus(DBusConnection *conn)
{
	if (!conn)
		return;
	dbus_connection_close(conn);
	dbus_connection_unref(conn);
}

/* Until rekamd owns its name and every device is connected. */
int wait_for_station(struct station *st)
{
	DBusConnection *conn = connect_bus(st->address);
	uint64_t deadline = now_ms() + START_TIMEOUT_MS;
	char why[256] = "";
	bool named = false;
	int status = 0;

	if (!conn)
		return EX_UNAVAILABLE;
	for (;;) {
		if (stop_signal) {
			status = 128 + stop_signal;
			break;
		}
		if (child_exited(&st->rekamd_child)) {
			describe_status(st->rekamd_child.status, why, sizeof(why));
			err("rekamd did not start: %s", why);
			status = EX_UNAVAILABLE;
			break;
		}
		if (!named) {
			named = dbus_bus_name_has_owner(conn, REKAM_BUS_NAME, NULL);
			if (named) {
				info("rekamd owns %s", REKAM_BUS_NAME);
				deadline = now_ms() + DEVICES_TIMEOUT_MS;
			}
		}
		if (named && devices_up(st, conn, why, sizeof(why))) {
			info("every device is connected");
			break;
		}
		if (now_ms() >= deadline) {
			if (!named)
				err("rekamd did not take the name %s within %d s", REKAM_BUS_NAME,
					START_TIMEOUT_MS / 1000);
			else
				err("the station did not come up within %d s: %s",
					DEVICES_TIMEOUT_MS / 1000, why);
			status = EX_UNAVAILABLE;
			break;
		}
		nap(POLL_MS * 2);
	}
	close_bus(conn);
	if (status == EX_UNAVAILABLE)
		show_log(st, "rekamd.log", 200);
	return status;
}

