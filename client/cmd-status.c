// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * rekam - KTP-el recording station daemon
 *
 * cmd-status.c - "rekamctl status": the station at a glance, from rekamd's
 * GetStatus dictionary (a{sv}); with --json, the whole dictionary.
 */
#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "client/commands.h"

#define LABEL_WIDTH 16 /* "Configuration:  " */

/* A formatter prints a known key's value; false when the value is not of the expected type. */
typedef bool (*status_format)(const json_t *value);

struct status_field {
	const char *key;
	const char *label;
	status_format format; /* NULL: the generic form */
};

static void print_label(const char *label)
{
	int pad = LABEL_WIDTH - (int)strlen(label) - 1;

	printf("%s:%*s", label, pad > 0 ? pad : 1, "");
}

/* Text whose following lines line up under the first. */
static void print_text(const char *text)
{
	for (; *text; text++) {
		putchar(*text);
		if (*text == '\n' && text[1])
			printf("%*s", LABEL_WIDTH, "");
	}
}

static void print_generic(const json_t *value)
{
	if (json_is_string(value))
		print_text(json_string_value(value));
	else
		ctl_print_value(stdout, value);
}

static bool format_uptime(const json_t *value)
{
	json_int_t s, days;
	int h, min, sec;

	if (!json_is_integer(value) || json_integer_value(value) < 0)
		return false;
	s = json_integer_value(value);
	days = s / 86400;
	h = (int)(s / 3600 % 24);
	min = (int)(s / 60 % 60);
	sec = (int)(s % 60);
	if (days)
		printf("%" JSON_INTEGER_FORMAT " d %02d h %02d min %02d s", days, h, min, sec);
	else if (h)
		printf("%d h %02d min %02d s", h, min, sec);
	else if (min)
		printf("%d min %02d s", min, sec);
	else
		printf("%d s", sec);
	return true;
}

static bool format_schema(const json_t *value)
{
	if (!json_is_integer(value))
		return false;
	printf("schema version %" JSON_INTEGER_FORMAT, json_integer_value(value));
	return true;
}

static bool format_config_path(const json_t *value)
{
	if (!json_is_string(value))
		return false;
	if (json_string_length(value) == 0)
		fputs("(built-in defaults)", stdout);
	else
		print_text(json_string_value(value));
	return true;
}

static bool format_since(const json_t *value)
{
	time_t t;
	struct tm tm;
	char buf[64];

	if (!json_is_integer(value) || json_integer_value(value) < 0)
		return false;
	if (json_integer_value(value) == 0) {
		fputs("-", stdout);
		return true;
	}
	t = (time_t)json_integer_value(value);
	if (!localtime_r(&t, &tm) || !strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S %z", &tm))
		return false;
	printf("%s (%lld s ago)", buf, (long long)(time(NULL) - t));
	return true;
}

static bool format_reachable(const json_t *value)
{
	if (!json_is_boolean(value))
		return false;
	fputs(json_is_true(value) ? "reachable" : "not reachable", stdout);
	return true;
}

/* In the order people read them; keys missing from an older rekamd are skipped. */
static const struct status_field fields[] = {
	{ "StationId", "Station", NULL },
	{ "State", "State", NULL },
	{ "Version", "Version", NULL },
	{ "OfficeHours", "Office hours", NULL },
	{ "Uptime", "Uptime", format_uptime },
	{ "Starts", "Starts", NULL },
	{ "SchemaVersion", "Database", format_schema },
	{ "ConfigPath", "Configuration", format_config_path },
	{ "ConfigError", "Config error", NULL }, /* only when there is one */
	{ "UploadQueueLength", "Upload queue", NULL },
	{ "OldestQueuedSince", "Oldest queued", format_since },
	{ "CentralReachable", "Central server", format_reachable },
};

static const struct status_field *known_field(const char *key)
{
	size_t i;

	for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
		if (!strcmp(fields[i].key, key))
			return &fields[i];
	return NULL;
}

static void print_field(const char *label, const json_t *value, status_format format)
{
	print_label(label);
	if (!format || !format(value))
		print_generic(value);
	putchar('\n');
}

static void print_status(const json_t *status)
{
	const char *key;
	json_t *value;
	size_t i;

	for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		value = json_object_get(status, fields[i].key);
		if (!value)
			continue;
		if (!strcmp(fields[i].key, "ConfigError") && json_is_string(value) &&
			json_string_length(value) == 0)
			continue;
		print_field(fields[i].label, value, fields[i].format);
	}

	/* keys a later rekamd added, in the order it sent them */
	json_object_foreach((json_t *)status, key, value) {
		if (!known_field(key))
			print_field(key, value, NULL);
	}
}

int cmd_status(struct ctl *ctl, int argc, char **argv)
{
	DBusMessageIter iter;
	DBusMessage *reply;
	json_t *status = NULL;
	int err;

	(void)argc; /* main() has checked that there are none */
	(void)argv;
	err = ctl_bus_call_expect(&ctl->bus, REKAM_OBJECT_PATH, REKAM_MANAGER_INTERFACE,
		"GetStatus", "a{sv}", &reply, DBUS_TYPE_INVALID);
	if (err)
		return err;
	dbus_message_iter_init(reply, &iter);
	err = ctl_json_from_iter(&iter, &status);
	if (err == -ENOMEM)
		ctl_err("out of memory");
	else if (err)
		ctl_err("cannot read the answer to GetStatus");
	dbus_message_unref(reply);
	if (err)
		return err;

	if (ctl->json)
		err = ctl_print_json(status);
	else
		print_status(status);
	json_decref(status);
	return err;
}
