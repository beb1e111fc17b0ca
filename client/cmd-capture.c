// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * rekam - KTP-el recording station daemon
 *
 * cmd-capture.c - "rekamctl capture DEVICE" and "rekamctl selftest DEVICE":
 * claim the device, run one operation of id.rekam.Station1.Device (Capture
 * with the --option values, or SelfTest) while printing its Progress signals
 * on stderr, print the result (the artifacts' metadata, or the steps), and
 * release the device again. A device claimed by someone else is -EBUSY
 * (exit 75); the claim also ends when rekamctl leaves the bus.
 */
#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client/session.h"

#define CAPTURE_TIMEOUT_MAX_MS 600000 /* rekamd's limit of the timeout option */
#define SELF_TEST_WAIT_S 75.0         /* rekamd gives a self-test 60 s */
#define REPLY_MARGIN_S 10.0           /* rekamd's own Timeout comes first */

/* --- capture ---------------------------------------------------------------- */

/* Capture(a{sv}) for @s with the command line's options. */
static DBusMessage *capture_message(struct session *s, int64_t timeout_ms)
{
	DBusMessageIter iter, dict;
	DBusMessage *msg;

	msg = dbus_message_new_method_call(REKAM_BUS_NAME, s->path, REKAM_DEVICE_INTERFACE,
		"Capture");
	if (!msg)
		return NULL;
	dbus_message_iter_init_append(msg, &iter);
	if (dbus_message_iter_open_container(&iter, DBUS_TYPE_ARRAY, "{sv}", &dict) &&
			session_append_options(s, &dict, timeout_ms) &&
			dbus_message_iter_close_container(&iter, &dict))
		return msg;
	dbus_message_unref(msg);
	return NULL;
}

/* The reply's aa{sv}, printed as a table or as {"device": PATH, "artifacts": [...]};
 * with --save, the bytes of each are saved first. */
static int show_artifacts(struct session *s, DBusMessage *reply)
{
	DBusMessageIter iter;
	json_t *artifacts, *doc;
	int err;

	dbus_message_iter_init(reply, &iter);
	err = ctl_json_from_iter(&iter, &artifacts);
	if (err == -ENOMEM)
		return ctl_out_of_memory();
	if (err) {
		ctl_err("cannot read the answer to Capture");
		return -EPROTO;
	}
	err = s->ctl->save_dir ? ctl_save_artifacts(&s->ctl->bus, artifacts, s->ctl->save_dir) : 0;
	if (!err && s->ctl->json) {
		doc = json_pack("{s:s, s:O}", "device", s->path, "artifacts", artifacts);
		err = doc ? ctl_print_json(doc) : ctl_out_of_memory();
		json_decref(doc);
	} else if (!err) {
		err = ctl_print_artifacts(artifacts);
	}
	json_decref(artifacts);
	return err;
}

int cmd_capture(struct ctl *ctl, int argc, char **argv)
{
	struct session s = { .ctl = ctl, .arg = argv[1] };
	int64_t timeout_ms = ctl_option_timeout_ms(ctl);
	DBusMessage *msg, *reply;
	double wait_s;
	int err;

	err = ctl_check_options(ctl);
	if (err)
		return err;
	err = session_open(&s);
	if (err)
		return err;
	msg = capture_message(&s, timeout_ms);
	if (!msg)
		return session_close(&s, ctl_out_of_memory());
	/* rekamd ends a capture by its own timeout (at most 600 s) and says so */
	wait_s = (double)(timeout_ms > 0 && timeout_ms <= CAPTURE_TIMEOUT_MAX_MS ?
		timeout_ms : CAPTURE_TIMEOUT_MAX_MS) / 1000.0 + REPLY_MARGIN_S;
	err = session_run(&s, msg, "Capture", "aa{sv}", wait_s, &reply);
	dbus_message_unref(msg);
	if (!err) {
		err = show_artifacts(&s, reply);
		dbus_message_unref(reply);
	}
	return session_close(&s, err);
}

/* --- self-test ------------------------------------------------------------- */

/* [{"name": ..., "passed": ..., "detail": ...}, ...] of the reply's a(sbs). */
static int read_steps(DBusMessageIter *iter, json_t *steps)
{
	DBusMessageIter array, step;
	const char *name, *detail;
	dbus_bool_t passed;

	dbus_message_iter_recurse(iter, &array);
	for (; dbus_message_iter_get_arg_type(&array) == DBUS_TYPE_STRUCT;
			dbus_message_iter_next(&array)) {
		dbus_message_iter_recurse(&array, &step);
		dbus_message_iter_get_basic(&step, &name);
		dbus_message_iter_next(&step);
		dbus_message_iter_get_basic(&step, &passed);
		dbus_message_iter_next(&step);
		dbus_message_iter_get_basic(&step, &detail);
		if (json_array_append_new(steps, json_pack("{s:s, s:b, s:s}", "name", name,
				"passed", (int)passed, "detail", detail)) < 0)
			return -ENOMEM;
	}
	return 0;
}

static void print_steps(const char *device, const json_t *steps, bool passed)
{
	size_t i, width = 4, failed = 0;
	const json_t *step;
	const char *name;

	json_array_foreach(steps, i, step) {
		name = json_string_value(json_object_get(step, "name"));
		if (strlen(name) > width)
			width = strlen(name);
	}
	json_array_foreach(steps, i, step) {
		bool ok = json_is_true(json_object_get(step, "passed"));

		name = json_string_value(json_object_get(step, "name"));
		failed += !ok;
		printf("%s  ", ok ? "PASS" : "FAIL");
		ctl_put_clean(stdout, name);
		printf("%*s", (int)(width - strlen(name) + 2), "");
		ctl_put_clean(stdout, json_string_value(json_object_get(step, "detail")));
		putchar('\n');
	}
	if (passed)
		printf("%s: self-test passed (%zu step%s)\n", device, json_array_size(steps),
			json_array_size(steps) == 1 ? "" : "s");
	else
		printf("%s: self-test FAILED (%zu of %zu steps failed)\n", device, failed,
			json_array_size(steps));
}

/* Prints the reply of SelfTest; -EREMOTEIO (exit 1) when the test failed. */
static int show_self_test(struct session *s, DBusMessage *reply)
{
	DBusMessageIter iter;
	dbus_bool_t passed;
	json_t *steps;
	int err;

	steps = json_array();
	if (!steps)
		return ctl_out_of_memory();
	dbus_message_iter_init(reply, &iter);
	dbus_message_iter_get_basic(&iter, &passed);
	dbus_message_iter_next(&iter);
	err = read_steps(&iter, steps);
	if (err) {
		json_decref(steps);
		return ctl_out_of_memory();
	}
	if (s->ctl->json) {
		json_t *doc = json_pack("{s:s, s:b, s:o}", "device", s->path, "passed",
			(int)passed, "steps", steps);

		if (!doc)
			return ctl_out_of_memory();
		err = ctl_print_json(doc);
		json_decref(doc);
	} else {
		print_steps(s->arg, steps, passed);
		json_decref(steps);
	}
	if (!err && !passed) {
		ctl_err("%s: the self-test failed", s->arg);
		err = -EREMOTEIO;
	}
	return err;
}

int cmd_selftest(struct ctl *ctl, int argc, char **argv)
{
	struct session s = { .ctl = ctl, .arg = argv[1] };
	DBusMessage *msg, *reply;
	int err;

	err = session_open(&s);
	if (err)
		return err;
	msg = dbus_message_new_method_call(REKAM_BUS_NAME, s.path, REKAM_DEVICE_INTERFACE,
		"SelfTest");
	if (!msg)
		return session_close(&s, ctl_out_of_memory());
	err = session_run(&s, msg, "SelfTest", "ba(sbs)",
		ctl->timeout_given ? ctl->bus.timeout_s : SELF_TEST_WAIT_S, &reply);
	dbus_message_unref(msg);
	if (!err) {
		err = show_self_test(&s, reply);
		dbus_message_unref(reply);
	}
	return session_close(&s, err);
}
