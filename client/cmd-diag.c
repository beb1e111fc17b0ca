// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * rekam - KTP-el recording station daemon
 *
 * cmd-diag.c - "rekamctl diag [DEVICE]": a technician's report of the whole
 * station. Every device that is connected runs its self-test (claimed,
 * tested and released one after the other, progress on stderr); rekamd's
 * Diagnose adds the station checks (clock, disk, database, audit, pcscd,
 * plugins) and the USB devices it sees with the plugin claiming each. The
 * report is text, --json (the schema is docs/rekamctl-diag.schema.json), or
 * with -o FILE.html a self-contained HTML page for a vendor ticket. Exit
 * status 1 when a self-test or a check failed (warnings do not fail). With
 * --direct, rekamctl tests the devices itself when rekamd is not running
 * (direct.c) and prints the same report.
 */
#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "client/html.h"
#include "client/session.h"

#define SELF_TEST_WAIT_S 75.0

/* --- gathering --------------------------------------------------------------- */

/* The steps of a SelfTest reply as [{"name", "passed", "detail"}]. */
static json_t *read_steps(DBusMessage *reply, bool *passed)
{
	DBusMessageIter iter, array, step;
	json_t *steps = json_array();
	dbus_bool_t p = FALSE;

	dbus_message_iter_init(reply, &iter);
	dbus_message_iter_get_basic(&iter, &p);
	dbus_message_iter_next(&iter);
	dbus_message_iter_recurse(&iter, &array);
	for (; steps && dbus_message_iter_get_arg_type(&array) == DBUS_TYPE_STRUCT;
			dbus_message_iter_next(&array)) {
		const char *name, *detail;
		dbus_bool_t ok;

		dbus_message_iter_recurse(&array, &step);
		dbus_message_iter_get_basic(&step, &name);
		dbus_message_iter_next(&step);
		dbus_message_iter_get_basic(&step, &ok);
		dbus_message_iter_next(&step);
		dbus_message_iter_get_basic(&step, &detail);
		json_array_append_new(steps, json_pack("{s:s, s:b, s:s}", "name", name, "passed",
			(int)ok, "detail", detail));
	}
	*passed = p;
	return steps;
}

/* Self-test one device into @out ("result": passed | failed | absent | busy | error). */
static void test_device(struct ctl *ctl, const json_t *device, json_t *out, size_t i, size_t n)
{
	const json_t *props = json_object_get(device, "properties");
	const char *path = json_string_value(json_object_get(device, "path"));
	const char *state = json_string_value(json_object_get(props, "State"));
	const char *name = strrchr(path, '/') + 1;
	struct session s = { .ctl = ctl, .arg = name };
	DBusMessage *msg, *reply = NULL;
	bool passed = false;
	int err;

	fprintf(stderr, "[%zu/%zu] %s (%s): ", i + 1, n, name,
		json_string_value(json_object_get(props, "Plugin")));
	if (state && !strcmp(state, "absent")) {
		fprintf(stderr, "absent, not tested\n");
		json_object_set_new(out, "result", json_string("absent"));
		return;
	}
	fprintf(stderr, "self-test...\n");
	err = session_open(&s);
	if (err) {
		fprintf(stderr, "[%zu/%zu] %s: %s\n", i + 1, n, name,
			err == -EBUSY ? "BUSY (claimed by another client)" : "ERROR");
		json_object_set_new(out, "result", json_string(err == -EBUSY ? "busy" : "error"));
		json_object_set_new(out, "error", json_string(*ctl->bus.error_message ?
			ctl->bus.error_message : "cannot be claimed"));
		return;
	}
	msg = dbus_message_new_method_call(REKAM_BUS_NAME, s.path, REKAM_DEVICE_INTERFACE,
		"SelfTest");
	err = msg ? session_run(&s, msg, "SelfTest", "ba(sbs)", SELF_TEST_WAIT_S, &reply) :
		    -ENOMEM;
	if (msg)
		dbus_message_unref(msg);
	if (!err) {
		json_object_set_new(out, "steps", read_steps(reply, &passed));
		json_object_set_new(out, "result", json_string(passed ? "passed" : "failed"));
		dbus_message_unref(reply);
	} else {
		json_object_set_new(out, "result", json_string("error"));
		json_object_set_new(out, "error", json_string(*ctl->bus.error_message ?
			ctl->bus.error_message : strerror(-err)));
	}
	session_close(&s, 0);
	fprintf(stderr, "[%zu/%zu] %s: %s\n", i + 1, n, name,
		!err ? (passed ? "PASS" : "FAIL") : "ERROR");
}

/* Diagnose() as {"checks": [...], "usb": [...]} into @report. */
static int diagnose(struct ctl *ctl, json_t *report)
{
	DBusMessageIter iter, array, entry;
	DBusMessage *reply;
	json_t *checks = json_array(), *usb = json_array();
	int err = ctl_bus_call_expect(&ctl->bus, REKAM_OBJECT_PATH, REKAM_MANAGER_INTERFACE,
		"Diagnose", "a(sss)a(qqyyss)", &reply, DBUS_TYPE_INVALID);

	if (err) {
		json_decref(checks);
		json_decref(usb);
		return err;
	}
	dbus_message_iter_init(reply, &iter);
	dbus_message_iter_recurse(&iter, &array);
	for (; dbus_message_iter_get_arg_type(&array) == DBUS_TYPE_STRUCT;
			dbus_message_iter_next(&array)) {
		const char *v[3];

		dbus_message_iter_recurse(&array, &entry);
		for (int k = 0; k < 3; k++, dbus_message_iter_next(&entry))
			dbus_message_iter_get_basic(&entry, &v[k]);
		json_array_append_new(checks, json_pack("{s:s, s:s, s:s}", "name", v[0], "status",
			v[1], "detail", v[2]));
	}
	dbus_message_iter_next(&iter);
	dbus_message_iter_recurse(&iter, &array);
	for (; dbus_message_iter_get_arg_type(&array) == DBUS_TYPE_STRUCT;
			dbus_message_iter_next(&array)) {
		dbus_uint16_t vendor, product;
		unsigned char bus, address;
		const char *port, *plugin;
		char id[16];

		dbus_message_iter_recurse(&array, &entry);
		dbus_message_iter_get_basic(&entry, &vendor);
		dbus_message_iter_next(&entry);
		dbus_message_iter_get_basic(&entry, &product);
		dbus_message_iter_next(&entry);
		dbus_message_iter_get_basic(&entry, &bus);
		dbus_message_iter_next(&entry);
		dbus_message_iter_get_basic(&entry, &address);
		dbus_message_iter_next(&entry);
		dbus_message_iter_get_basic(&entry, &port);
		dbus_message_iter_next(&entry);
		dbus_message_iter_get_basic(&entry, &plugin);
		snprintf(id, sizeof(id), "%04x:%04x", vendor, product);
		json_array_append_new(usb, json_pack("{s:s, s:i, s:i, s:s, s:s?}", "id", id, "bus",
			bus, "address", address, "port", port, "plugin", *plugin ? plugin : NULL));
	}
	dbus_message_unref(reply);
	json_object_set_new(report, "checks", checks);
	json_object_set_new(report, "usb", usb);
	return 0;
}

/* --- printing ------------------------------------------------------------------ */

static const char *prop(const json_t *device, const char *key)
{
	const char *v = json_string_value(json_object_get(json_object_get(device, "properties"),
		key));

	return v && *v ? v : "-";
}

static void print_text(const json_t *report)
{
	const json_t *station = json_object_get(report, "station"), *c, *d, *u, *step;
	const char *key;
	json_t *value;
	size_t i, j;

	printf("rekam station diagnosis: %s, rekamd %s, %s\n",
		json_string_value(json_object_get(station, "StationId")),
		json_string_value(json_object_get(station, "Version")),
		json_string_value(json_object_get(station, "State")));
	printf("\nStation checks\n");
	json_array_foreach(json_object_get(report, "checks"), i, c) {
		const char *status = json_string_value(json_object_get(c, "status"));

		printf("  %-8s %-12s ", !strcmp(status, "ok") ? "OK" :
			!strcmp(status, "warning") ? "WARNING" : "FAILED",
			json_string_value(json_object_get(c, "name")));
		ctl_put_clean(stdout, json_string_value(json_object_get(c, "detail")));
		putchar('\n');
	}
	printf("\nDevices\n");
	if (!json_array_size(json_object_get(report, "devices")))
		printf("  none\n");
	json_array_foreach(json_object_get(report, "devices"), i, d) {
		const char *result = json_string_value(json_object_get(d, "result"));

		printf("  %s  %s\n", strrchr(json_string_value(json_object_get(d, "path")), '/') + 1,
			!strcmp(result, "passed") ? "self-test PASSED" :
			!strcmp(result, "failed") ? "self-test FAILED" :
			!strcmp(result, "absent") ? "ABSENT (not connected)" :
			!strcmp(result, "busy") ? "BUSY (claimed by another client)" : "ERROR");
		printf("      plugin %s, connection %s\n", prop(d, "Plugin"), prop(d, "Connection"));
		printf("      model %s, serial %s, firmware %s, state %s\n", prop(d, "Model"),
			prop(d, "Serial"), prop(d, "Firmware"), prop(d, "State"));
		if (strcmp(prop(d, "LastError"), "-")) {
			fputs("      last error: ", stdout);
			ctl_put_clean(stdout, prop(d, "LastError"));
			putchar('\n');
		}
		if (json_object_size(json_object_get(json_object_get(d, "properties"), "Health"))) {
			fputs("      health:", stdout);
			json_object_foreach(json_object_get(json_object_get(d, "properties"), "Health"),
					key, value) {
				printf(" %s=", key);
				ctl_print_value(stdout, value);
			}
			putchar('\n');
		}
		json_array_foreach(json_object_get(d, "steps"), j, step) {
			printf("      %s  %-12s ", json_is_true(json_object_get(step, "passed")) ?
				"PASS" : "FAIL", json_string_value(json_object_get(step, "name")));
			ctl_put_clean(stdout, json_string_value(json_object_get(step, "detail")));
			putchar('\n');
		}
		if (json_object_get(d, "error")) {
			fputs("      error: ", stdout);
			ctl_put_clean(stdout, json_string_value(json_object_get(d, "error")));
			putchar('\n');
		}
	}
	printf("\nUSB devices\n");
	if (!json_array_size(json_object_get(report, "usb")))
		printf("  none seen\n");
	json_array_foreach(json_object_get(report, "usb"), i, u) {
		const char *plugin = json_string_value(json_object_get(u, "plugin"));

		printf("  %s  bus %" JSON_INTEGER_FORMAT " address %" JSON_INTEGER_FORMAT
		       " port %s  %s%s\n", json_string_value(json_object_get(u, "id")),
			json_integer_value(json_object_get(u, "bus")),
			json_integer_value(json_object_get(u, "address")),
			json_string_value(json_object_get(u, "port")), plugin ? "plugin " : "no plugin",
			plugin ? plugin : "");
	}
	printf("\nResult: %s\n", json_is_true(json_object_get(report, "ok")) ?
		"everything passed" : "PROBLEMS FOUND (see FAILED and ERROR above)");
}

static void html_row(FILE *f, const char *cls, const char *a, const char *b, const char *c)
{
	fprintf(f, "<tr class=\"%s\"><td>", cls);
	ctl_html_text(f, a);
	fputs("</td><td>", f);
	ctl_html_text(f, b);
	fputs("</td><td>", f);
	ctl_html_text(f, c);
	fputs("</td></tr>\n", f);
}

static int write_html(const json_t *report, const char *path)
{
	const json_t *station = json_object_get(report, "station"), *c, *d, *u, *step;
	FILE *f = ctl_html_open(path);
	char stamp[40];
	time_t now = time(NULL);
	size_t i, j;

	if (!f)
		return -EIO;
	strftime(stamp, sizeof(stamp), "%Y-%m-%d %H:%M:%S UTC", gmtime(&now));
	fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
	      "<title>rekam station diagnosis</title>\n<style>\n"
	      "body{font-family:sans-serif;margin:2em;color:#222}"
	      "table{border-collapse:collapse;margin-bottom:1.5em}"
	      "td,th{border:1px solid #bbb;padding:.3em .6em;text-align:left;vertical-align:top}"
	      "th{background:#eee}.ok,.passed{background:#e6f4e6}.warning{background:#fff4d6}"
	      ".failed,.error,.busy,.absent{background:#fbe3e3}\n</style></head><body>\n", f);
	fputs("<h1>rekam station diagnosis</h1>\n<p>Station <b>", f);
	ctl_html_text(f, json_string_value(json_object_get(station, "StationId")));
	fputs("</b>, rekamd ", f);
	ctl_html_text(f, json_string_value(json_object_get(station, "Version")));
	fprintf(f, ", made %s. Result: <b>%s</b></p>\n", stamp,
		json_is_true(json_object_get(report, "ok")) ? "everything passed" : "problems found");
	fputs("<h2>Station checks</h2>\n<table><tr><th>check</th><th>status</th><th>detail</th>"
	      "</tr>\n", f);
	json_array_foreach(json_object_get(report, "checks"), i, c) {
		const char *status = json_string_value(json_object_get(c, "status"));

		html_row(f, status, json_string_value(json_object_get(c, "name")), status,
			json_string_value(json_object_get(c, "detail")));
	}
	fputs("</table>\n<h2>Devices</h2>\n", f);
	json_array_foreach(json_object_get(report, "devices"), i, d) {
		const char *result = json_string_value(json_object_get(d, "result"));

		fputs("<h3>", f);
		ctl_html_text(f, strrchr(json_string_value(json_object_get(d, "path")), '/') + 1);
		fprintf(f, " &mdash; %s</h3>\n<table>\n", result);
		html_row(f, "", "plugin", prop(d, "Plugin"), prop(d, "Connection"));
		html_row(f, "", "model", prop(d, "Model"), prop(d, "Serial"));
		html_row(f, "", "firmware", prop(d, "Firmware"), prop(d, "State"));
		if (strcmp(prop(d, "LastError"), "-"))
			html_row(f, "failed", "last error", "", prop(d, "LastError"));
		json_array_foreach(json_object_get(d, "steps"), j, step) {
			bool ok = json_is_true(json_object_get(step, "passed"));

			html_row(f, ok ? "passed" : "failed",
				json_string_value(json_object_get(step, "name")), ok ? "PASS" : "FAIL",
				json_string_value(json_object_get(step, "detail")));
		}
		if (json_object_get(d, "error"))
			html_row(f, result, "error", "",
				json_string_value(json_object_get(d, "error")));
		fputs("</table>\n", f);
	}
	fputs("<h2>USB devices</h2>\n<table><tr><th>id</th><th>port</th><th>plugin</th></tr>\n",
		f);
	json_array_foreach(json_object_get(report, "usb"), i, u) {
		const char *plugin = json_string_value(json_object_get(u, "plugin"));

		html_row(f, plugin ? "ok" : "warning", json_string_value(json_object_get(u, "id")),
			json_string_value(json_object_get(u, "port")), plugin ? plugin : "no plugin");
	}
	fputs("</table>\n</body></html>\n", f);
	return ctl_html_close(f, path);
}

/* --- the command ------------------------------------------------------------------ */

static int station_status(struct ctl *ctl, json_t **out)
{
	DBusMessageIter iter;
	DBusMessage *reply;
	int err = ctl_bus_call_expect(&ctl->bus, REKAM_OBJECT_PATH, REKAM_MANAGER_INTERFACE,
		"GetStatus", "a{sv}", &reply, DBUS_TYPE_INVALID);

	if (err)
		return err;
	dbus_message_iter_init(reply, &iter);
	err = ctl_json_from_iter(&iter, out);
	dbus_message_unref(reply);
	return err;
}

/* Print or write @report, with @station, @tested and @checks (all taken over):
 * exit 1 unless every device passed and no check failed. */
static int finish(struct ctl *ctl, json_t *report, json_t *station, json_t *tested)
{
	const json_t *device;
	bool ok = true;
	size_t i;
	int err = 0;

	json_array_foreach(tested, i, device) {
		const char *r = json_string_value(json_object_get(device, "result"));

		ok = ok && !strcmp(r, "passed"); /* an absent device is a fault too */
	}
	json_array_foreach(json_object_get(report, "checks"), i, device)
		ok = ok && strcmp(json_string_value(json_object_get(device, "status")), "failed");
	json_object_set_new(report, "station", station);
	json_object_set_new(report, "devices", tested);
	json_object_set_new(report, "ok", json_boolean(ok));
	if (ctl->output && (err = write_html(report, ctl->output)))
		ok = true; /* the write error is the result */
	if (!err && ctl->json)
		err = ctl_print_json(report);
	else if (!err)
		print_text(report);
	json_decref(report);
	return err ? err : ok ? 0 : -EREMOTEIO;
}

/* --direct: rekamctl is the plugin host (direct.c). */
static int diag_direct(struct ctl *ctl, const char *only)
{
	json_t *report = json_object(), *station = NULL, *checks = NULL, *tested = NULL;
	int err;

	if (!report)
		return ctl_out_of_memory();
	err = ctl_direct_diag(ctl, only, &station, &checks, &tested);
	if (err) {
		json_decref(report);
		return err;
	}
	json_object_set_new(report, "checks", checks);
	json_object_set_new(report, "usb", json_array());
	return finish(ctl, report, station, tested);
}

int cmd_diag(struct ctl *ctl, int argc, char **argv)
{
	json_t *devices = NULL, *report, *tested, *station = NULL;
	const json_t *device;
	size_t i, n;
	int err;

	if (ctl->direct)
		return diag_direct(ctl, argc > 1 ? argv[1] : NULL);
	report = json_object();
	tested = json_array();
	if (!report || !tested) {
		json_decref(report);
		json_decref(tested);
		return ctl_out_of_memory();
	}
	err = station_status(ctl, &station);
	if (!err)
		err = ctl_fetch_devices(&ctl->bus, &devices);
	if (!err && argc > 1 && !ctl_find_device(devices, argv[1])) {
		ctl_err("no device %s", argv[1]);
		err = -EREMOTEIO;
	}
	n = err ? 0 : argc > 1 ? 1 : json_array_size(devices);
	for (i = 0; !err && i < json_array_size(devices); i++) {
		json_t *out;

		device = json_array_get(devices, i);
		if (argc > 1 && device != ctl_find_device(devices, argv[1]))
			continue;
		out = json_deep_copy(device);
		test_device(ctl, device, out, json_array_size(tested), n);
		/* the properties after the test: Health and LastError may have changed */
		json_array_append_new(tested, out);
	}
	if (!err) {
		json_t *after = NULL;

		if (ctl_fetch_devices(&ctl->bus, &after) == 0) {
			json_t *d;

			json_array_foreach(tested, i, d) {
				const json_t *now = ctl_find_device(after,
					json_string_value(json_object_get(d, "path")));

				if (now)
					json_object_set(d, "properties",
						json_object_get(now, "properties"));
			}
			json_decref(after);
		}
		err = diagnose(ctl, report);
	}
	if (err) {
		json_decref(devices);
		json_decref(report);
		json_decref(tested);
		json_decref(station);
		return err;
	}
	json_decref(devices);
	return finish(ctl, report, station, tested);
}
