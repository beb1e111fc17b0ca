// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * rekam - KTP-el recording station daemon
 *
 * cmd-monitor.c - "rekamctl monitor": follow what rekamd announces on the
 * bus, one readable line per event, until Ctrl-C (or rekamd leaves the
 * bus): the devices present (at the start and whenever rekamd starts),
 * devices appearing and disappearing, their State, LastError and
 * Health changing, operation progress, the station's own properties, an
 * enrollment's properties changing (by name: rekamd's signal carries no
 * value of them), and every other signal of rekamd's interfaces by name. --json prints one JSON
 * object per line instead.
 */
#include <config.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "client/session.h"

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

/* "camera0" for a device path, "station" for the root, else the path. */
static const char *short_name(const char *path)
{
	if (!strcmp(path, REKAM_OBJECT_PATH))
		return "station";
	return strncmp(path, REKAM_OBJECT_PATH "/", strlen(REKAM_OBJECT_PATH) + 1) ? path :
		strrchr(path, '/') + 1;
}

static void emit(struct ctl *ctl, const char *object, const char *event, json_t *data,
		const char *text)
{
	char stamp[16];
	time_t now = time(NULL);

	strftime(stamp, sizeof(stamp), "%H:%M:%S", localtime(&now));
	if (ctl->json) {
		json_t *line = json_pack("{s:s, s:s, s:s, s:o?}", "time", stamp, "object", object,
			"event", event, "data", data);
		char *s = line ? json_dumps(line, JSON_COMPACT | JSON_SORT_KEYS) : NULL;

		if (s)
			puts(s);
		free(s);
		json_decref(line);
	} else {
		printf("%s  %-10s %s", stamp, object, event);
		if (text && *text) {
			fputs(": ", stdout);
			ctl_put_clean(stdout, text);
		}
		putchar('\n');
		json_decref(data);
	}
	fflush(stdout);
}

/* The a{sv} of PropertiesChanged, one event per property. */
static void properties_changed(struct ctl *ctl, DBusMessage *msg, const char *object)
{
	DBusMessageIter iter, dict, entry;
	const char *iface, *key;

	dbus_message_iter_init(msg, &iter);
	dbus_message_iter_get_basic(&iter, &iface);
	dbus_message_iter_next(&iter);
	dbus_message_iter_recurse(&iter, &dict);
	for (; dbus_message_iter_get_arg_type(&dict) == DBUS_TYPE_DICT_ENTRY;
			dbus_message_iter_next(&dict)) {
		json_t *value = NULL;
		char *text = NULL;
		size_t len = 0;
		FILE *f;

		dbus_message_iter_recurse(&dict, &entry);
		dbus_message_iter_get_basic(&entry, &key);
		dbus_message_iter_next(&entry);
		if (ctl_json_from_iter(&entry, &value) < 0)
			continue;
		f = open_memstream(&text, &len);
		if (f) {
			ctl_print_value(f, value);
			fclose(f);
		}
		emit(ctl, object, key, value, text && *text ? text : "(empty)");
		free(text);
	}
	/* invalidated: gone, or (an enrollment's) changed without its value in
	 * the signal: rekamd broadcasts no value a listener may not read */
	dbus_message_iter_next(&iter);
	if (dbus_message_iter_get_arg_type(&iter) != DBUS_TYPE_ARRAY)
		return;
	dbus_message_iter_recurse(&iter, &dict);
	for (; dbus_message_iter_get_arg_type(&dict) == DBUS_TYPE_STRING;
			dbus_message_iter_next(&dict)) {
		dbus_message_iter_get_basic(&dict, &key);
		emit(ctl, object, key, NULL, "(changed)");
	}
}

static void interfaces(struct ctl *ctl, DBusMessage *msg, bool added)
{
	DBusMessageIter iter;
	const char *path;
	json_t *data = NULL;

	dbus_message_iter_init(msg, &iter);
	dbus_message_iter_get_basic(&iter, &path);
	if (added) {
		const json_t *props;
		char text[256];

		dbus_message_iter_next(&iter);
		ctl_json_from_iter(&iter, &data);
		props = json_object_get(data, REKAM_DEVICE_INTERFACE);
		snprintf(text, sizeof(text), "%s %s (%s)",
			json_string_value(json_object_get(props, "Class")) ?: "object",
			json_string_value(json_object_get(props, "Name")) ?: path,
			json_string_value(json_object_get(props, "Plugin")) ?: "-");
		emit(ctl, short_name(path), "added", data, text);
	} else {
		emit(ctl, short_name(path), "removed", NULL, path);
	}
}

/* The devices rekamd has now, each as a "present" event: at the start, and
 * when rekamd (re)appears (its InterfacesAdded at startup go out before it
 * owns its name, so no match rule catches them). */
static void present(struct ctl *ctl)
{
	json_t *devices = NULL, *device;
	size_t i;

	if (ctl_fetch_devices(&ctl->bus, &devices) < 0)
		return;
	json_array_foreach(devices, i, device) {
		json_t *props = json_object_get(device, "properties");
		char text[256];

		snprintf(text, sizeof(text), "%s %s (%s), %s",
			json_string_value(json_object_get(props, "Class")) ?: "?",
			json_string_value(json_object_get(props, "Name")) ?: "?",
			json_string_value(json_object_get(props, "Plugin")) ?: "-",
			json_string_value(json_object_get(props, "State")) ?: "?");
		emit(ctl, short_name(json_string_value(json_object_get(device, "path"))), "present",
			json_incref(props), text);
	}
	json_decref(devices);
}

static void handle(struct ctl *ctl, DBusMessage *msg)
{
	const char *path = dbus_message_get_path(msg), *member = dbus_message_get_member(msg);
	const char *object = short_name(path ? path : "");

	if (dbus_message_is_signal(msg, DBUS_INTERFACE_PROPERTIES, "PropertiesChanged") &&
			dbus_message_has_signature(msg, "sa{sv}as")) {
		properties_changed(ctl, msg, object);
	} else if (dbus_message_is_signal(msg, "org.freedesktop.DBus.ObjectManager",
			   "InterfacesAdded") && dbus_message_has_signature(msg, "oa{sa{sv}}")) {
		interfaces(ctl, msg, true);
	} else if (dbus_message_is_signal(msg, "org.freedesktop.DBus.ObjectManager",
			   "InterfacesRemoved") && dbus_message_has_signature(msg, "oas")) {
		interfaces(ctl, msg, false);
	} else if ((dbus_message_is_signal(msg, REKAM_DEVICE_INTERFACE, "Progress") ||
			dbus_message_is_signal(msg, REKAM_MANAGER_INTERFACE ".Enrollment", "Progress")) &&
			dbus_message_has_signature(msg, "sds")) {
		const char *stage, *text;
		double fraction;
		char line[512];

		dbus_message_get_args(msg, NULL, DBUS_TYPE_STRING, &stage, DBUS_TYPE_DOUBLE,
			&fraction, DBUS_TYPE_STRING, &text, DBUS_TYPE_INVALID);
		if (fraction >= 0 && fraction <= 1)
			snprintf(line, sizeof(line), "[%s] %s (%d%%)", stage, text,
				(int)(fraction * 100 + 0.5));
		else
			snprintf(line, sizeof(line), "[%s] %s", stage, text);
		emit(ctl, object, "progress", json_pack("{s:s, s:f, s:s}", "stage", stage,
			"fraction", fraction, "message", text), line);
	} else if (dbus_message_is_signal(msg, DBUS_INTERFACE_DBUS, "NameOwnerChanged")) {
		const char *name, *old_owner, *new_owner;

		if (dbus_message_get_args(msg, NULL, DBUS_TYPE_STRING, &name, DBUS_TYPE_STRING,
				&old_owner, DBUS_TYPE_STRING, &new_owner, DBUS_TYPE_INVALID) &&
				!strcmp(name, REKAM_BUS_NAME)) {
			emit(ctl, "station", *new_owner ? "rekamd started" : "rekamd stopped", NULL,
				*new_owner ? new_owner : "it left the bus");
			if (*new_owner)
				present(ctl);
		}
	} else if (member && !dbus_message_has_interface(msg, DBUS_INTERFACE_DBUS)) {
		json_t *args = NULL;
		DBusMessageIter iter;

		dbus_message_iter_init(msg, &iter);
		if (dbus_message_iter_get_arg_type(&iter) != DBUS_TYPE_INVALID)
			ctl_json_from_iter(&iter, &args);
		emit(ctl, object, member, args, dbus_message_get_interface(msg));
	}
}

int cmd_monitor(struct ctl *ctl, int argc, char **argv)
{
	static const char *const rules[] = {
		"type='signal',sender='" REKAM_BUS_NAME "'",
		"type='signal',sender='org.freedesktop.DBus',member='NameOwnerChanged',"
		"arg0='" REKAM_BUS_NAME "'",
	};
	DBusConnection *conn = ctl->bus.conn;
	struct sigaction sa = { .sa_handler = on_signal };
	DBusError error;

	(void)argc;
	(void)argv;
	dbus_error_init(&error);
	for (size_t i = 0; i < sizeof(rules) / sizeof(rules[0]); i++) {
		dbus_bus_add_match(conn, rules[i], &error);
		if (dbus_error_is_set(&error)) {
			ctl_err("cannot follow rekamd's signals: %s", error.message);
			dbus_error_free(&error);
			return -EIO;
		}
	}
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	if (!ctl->json) {
		printf("Following %s on %s; Ctrl-C to stop.\n", REKAM_BUS_NAME, ctl->bus.where);
		fflush(stdout);
	}
	present(ctl);
	while (!stop && dbus_connection_read_write(conn, 500)) {
		DBusMessage *msg;

		while ((msg = dbus_connection_pop_message(conn))) {
			if (dbus_message_get_type(msg) == DBUS_MESSAGE_TYPE_SIGNAL)
				handle(ctl, msg);
			dbus_message_unref(msg);
		}
	}
	if (!stop) {
		ctl_err("the connection to %s was lost", ctl->bus.where);
		return -ENOTCONN;
	}
	return 0;
}
