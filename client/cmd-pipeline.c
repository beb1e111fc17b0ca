// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * rekam - KTP-el recording station daemon
 *
 * cmd-pipeline.c - rekamctl enroll record, capture, upload, open-print,
 * issue, handover and collect: SOP steps 5 to 10 of an enrollment; and
 * resend-report, the supervisor's answer to a refused issuance report. Record,
 * capture and issue print the enrollment's Progress signals while they run.
 */
#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client/bus.h"
#include "client/commands.h"
#include "client/enroll.h"

#define LONG_STEP_S 1800.0 /* record and issue wait for people and devices */

static void print_progress(DBusMessage *signal, void *data)
{
	const char *stage, *message;
	double fraction;
	struct ctl *ctl = data;

	if (ctl->json || !dbus_message_is_signal(signal, ENROLLMENT_INTERFACE, "Progress") ||
			!dbus_message_get_args(signal, NULL, DBUS_TYPE_STRING, &stage,
				DBUS_TYPE_DOUBLE, &fraction, DBUS_TYPE_STRING, &message,
				DBUS_TYPE_INVALID))
		return;
	if (fraction >= 0.0)
		printf("  [%3.0f%%] %s: %s\n", fraction * 100.0, stage, message);
	else
		printf("         %s: %s\n", stage, message);
	fflush(stdout);
}

/* Call @msg (taken), printing the enrollment's progress; *@reply on success. */
static int call_long(struct ctl *ctl, DBusMessage *msg, const char *path, DBusMessage **reply)
{
	char *match = NULL;
	int err;

	if (!msg)
		return -ENOMEM;
	if (asprintf(&match, "type='signal',interface='" ENROLLMENT_INTERFACE "',member='Progress',"
			"path='%s'", path) < 0) {
		dbus_message_unref(msg);
		return -ENOMEM;
	}
	dbus_bus_add_match(ctl->bus.conn, match, NULL);
	err = ctl_bus_call_watching(&ctl->bus, msg, LONG_STEP_S, print_progress, ctl, reply);
	dbus_bus_remove_match(ctl->bus.conn, match, NULL);
	free(match);
	dbus_message_unref(msg);
	return err;
}

/* An a{sv} of the string options @keys given on the command line. */
static DBusMessage *with_options(struct ctl *ctl, DBusMessage *msg, const char *const *keys,
		const char *const *names)
{
	DBusMessageIter iter, dict;
	bool ok;

	if (!msg)
		return NULL;
	dbus_message_iter_init_append(msg, &iter);
	ok = dbus_message_iter_open_container(&iter, DBUS_TYPE_ARRAY, "{sv}", &dict);
	for (size_t i = 0; ok && keys[i]; i++) {
		const char *value = ctl_enroll_option(ctl, keys[i]);

		if (value)
			ok = ctl_enroll_append_entry(&dict, names[i], DBUS_TYPE_STRING, &value);
	}
	if (ok && dbus_message_iter_close_container(&iter, &dict))
		return msg;
	dbus_message_unref(msg);
	return NULL;
}

static int enroll_record(struct ctl *ctl, int argc, char **argv)
{
	static const char *const allowed[] = { "exceptions", NULL };
	DBusMessage *reply;
	char *path;
	int err;

	err = ctl_enroll_prelude(ctl, argc, argv, 2, "ID [--exceptions=FINGER,...]", allowed, &path);
	if (err)
		return err;
	err = call_long(ctl, with_options(ctl, ctl_enroll_new_step(path, "Record"), allowed,
		allowed), path, &reply);
	if (!err) {
		dbus_message_unref(reply);
		err = ctl_enroll_report(ctl, path);
	}
	free(path);
	return err;
}

static int enroll_capture(struct ctl *ctl, int argc, char **argv)
{
	static const char *const allowed[] = { "exceptions", NULL };
	DBusMessage *msg, *reply;
	DBusMessageIter iter, array;
	const char *item;
	char *path;
	int err;

	err = ctl_enroll_prelude(ctl, argc, argv, 3, "ID ITEM [--exceptions=FINGER,...]", allowed,
		&path);
	if (err)
		return err;
	item = argv[2];
	msg = ctl_enroll_new_step(path, "Capture");
	if (msg && !dbus_message_append_args(msg, DBUS_TYPE_STRING, &item, DBUS_TYPE_INVALID)) {
		dbus_message_unref(msg);
		msg = NULL;
	}
	err = call_long(ctl, with_options(ctl, msg, allowed, allowed), path, &reply);
	free(path);
	if (err)
		return err;
	err = ctl_bus_expect_signature(reply, "Capture", "as");
	if (!err) {
		dbus_message_iter_init(reply, &iter);
		dbus_message_iter_recurse(&iter, &array);
		for (; dbus_message_iter_get_arg_type(&array) == DBUS_TYPE_STRING;
				dbus_message_iter_next(&array)) {
			const char *handle;

			dbus_message_iter_get_basic(&array, &handle);
			printf("%s\n", handle);
		}
	}
	dbus_message_unref(reply);
	return err;
}

/* A step (@msg, taken) whose reply is one string (packet id, token): printed, then the state. */
static int string_step(struct ctl *ctl, DBusMessage *msg, const char *path, const char *label)
{
	DBusMessage *reply;
	const char *value;
	int err;

	err = ctl_bus_send_expect(&ctl->bus, msg, "s", &reply);
	if (err)
		return err;
	dbus_message_get_args(reply, NULL, DBUS_TYPE_STRING, &value, DBUS_TYPE_INVALID);
	if (!ctl->json)
		printf("%s: %s\n", label, value);
	dbus_message_unref(reply);
	return ctl_enroll_report(ctl, path);
}

static int enroll_upload(struct ctl *ctl, int argc, char **argv)
{
	char *path;
	int err = ctl_enroll_prelude(ctl, argc, argv, 2, "ID", NULL, &path);

	if (err)
		return err;
	err = string_step(ctl, ctl_enroll_new_step(path, "Upload"), path, "Packet");
	free(path);
	return err;
}

static int enroll_open_print(struct ctl *ctl, int argc, char **argv)
{
	DBusMessage *msg;
	const char *nik;
	char *path;
	int err = ctl_enroll_prelude(ctl, argc, argv, 3, "ID NIK", NULL, &path);

	if (err)
		return err;
	nik = argv[2];
	msg = ctl_enroll_new_step(path, "OpenPrint");
	if (msg && !dbus_message_append_args(msg, DBUS_TYPE_STRING, &nik, DBUS_TYPE_INVALID)) {
		dbus_message_unref(msg);
		msg = NULL;
	}
	err = ctl_enroll_call_step(ctl, msg, path);
	free(path);
	return err;
}

static int enroll_issue(struct ctl *ctl, int argc, char **argv)
{
	static const char *const allowed[] = { "decision", "reason", NULL };
	DBusMessage *reply;
	const char *serial, *uid;
	char *path;
	int err;

	err = ctl_enroll_prelude(ctl, argc, argv, 2, "ID [--decision=spoil|issued --reason=TEXT]",
		allowed, &path);
	if (err)
		return err;
	err = call_long(ctl, with_options(ctl, ctl_enroll_new_step(path, "Issue"), allowed,
		allowed), path, &reply);
	if (!err) {
		err = ctl_bus_expect_signature(reply, "Issue", "ss");
		if (!err && !ctl->json) {
			dbus_message_get_args(reply, NULL, DBUS_TYPE_STRING, &serial,
				DBUS_TYPE_STRING, &uid, DBUS_TYPE_INVALID);
			printf("Card %s issued (chip %s)\n", serial, *uid ? uid : "?");
		}
		dbus_message_unref(reply);
	}
	if (!err)
		err = ctl_enroll_report(ctl, path);
	free(path);
	return err;
}

static int enroll_handover(struct ctl *ctl, int argc, char **argv)
{
	char *path;
	int err = ctl_enroll_prelude(ctl, argc, argv, 2, "ID", NULL, &path);

	if (err)
		return err;
	err = string_step(ctl, ctl_enroll_new_step(path, "HandOver"), path, "Pickup token");
	free(path);
	return err;
}

static int enroll_collect(struct ctl *ctl, int argc, char **argv)
{
	DBusMessage *msg;
	const char *token;
	char *path;
	int err = ctl_enroll_prelude(ctl, argc, argv, 3, "ID TOKEN", NULL, &path);

	if (err)
		return err;
	token = argv[2];
	msg = ctl_enroll_new_step(path, "Collect");
	if (msg && !dbus_message_append_args(msg, DBUS_TYPE_STRING, &token, DBUS_TYPE_INVALID)) {
		dbus_message_unref(msg);
		msg = NULL;
	}
	err = ctl_enroll_call_step(ctl, msg, path);
	free(path);
	return err;
}

/* The supervisor: a refused issuance report, sent again. */
static int enroll_resend_report(struct ctl *ctl, int argc, char **argv)
{
	char *path;
	int err = ctl_enroll_prelude(ctl, argc, argv, 2, "ID", NULL, &path);

	if (err)
		return err;
	err = ctl_enroll_call_step(ctl, ctl_enroll_new_step(path, "ResendIssuanceReport"), path);
	free(path);
	return err;
}

int ctl_enroll_pipeline(struct ctl *ctl, int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*run)(struct ctl *ctl, int argc, char **argv);
	} subs[] = {
		{ "record", enroll_record }, { "capture", enroll_capture },
		{ "upload", enroll_upload }, { "open-print", enroll_open_print },
		{ "issue", enroll_issue }, { "handover", enroll_handover },
		{ "collect", enroll_collect }, { "resend-report", enroll_resend_report },
	};

	for (size_t i = 0; i < sizeof(subs) / sizeof(subs[0]); i++)
		if (strcmp(argv[0], subs[i].name) == 0)
			return subs[i].run(ctl, argc, argv);
	return -ENOENT;
}
