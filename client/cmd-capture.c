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
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client/commands.h"

#define ERROR_BUSY REKAM_ERROR_PREFIX "Busy"
#define CAPTURE_TIMEOUT_MAX_MS 600000 /* rekamd's limit of the timeout option */
#define SELF_TEST_WAIT_S 75.0         /* rekamd gives a self-test 60 s */
#define REPLY_MARGIN_S 10.0           /* rekamd's own Timeout comes first */

static int out_of_memory(void)
{
	ctl_err("out of memory");
	return -ENOMEM;
}

/* @text on @f with control characters (and DEL) shown as spaces. */
static void put_clean(FILE *f, const char *text)
{
	for (; *text; text++)
		fputc((unsigned char)*text < 0x20 || *text == 0x7f ? ' ' : *text, f);
}

/* --- the device session ---------------------------------------------------- */

struct session {
	struct ctl *ctl;
	const char *arg; /* the device as the user named it */
	char *path;
	char *match; /* the match rule of its Progress signals, once added */
};

/* A method without arguments of the device. */
static int device_call(struct session *s, const char *method, DBusMessage **reply)
{
	DBusMessage *msg;
	int err;

	msg = dbus_message_new_method_call(REKAM_BUS_NAME, s->path, REKAM_DEVICE_INTERFACE,
		method);
	if (!msg)
		return out_of_memory();
	err = ctl_bus_call(&s->ctl->bus, msg, reply);
	dbus_message_unref(msg);
	return err;
}

/* An error of rekamd turned into the result of the command: Busy is -EBUSY. */
static int busy_or(struct session *s, int err)
{
	if (err == -EREMOTEIO && !strcmp(s->ctl->bus.error_name, ERROR_BUSY)) {
		ctl_err("%s is busy: claimed by another client, or running an operation; "
			"try again later", s->arg);
		return -EBUSY;
	}
	return err;
}

static void on_progress(DBusMessage *msg, void *data)
{
	struct session *s = data;
	const char *stage, *message;
	double fraction;

	if (!dbus_message_is_signal(msg, REKAM_DEVICE_INTERFACE, "Progress") ||
		!dbus_message_has_path(msg, s->path) ||
		!dbus_message_get_args(msg, NULL, DBUS_TYPE_STRING, &stage, DBUS_TYPE_DOUBLE,
			&fraction, DBUS_TYPE_STRING, &message, DBUS_TYPE_INVALID))
		return;
	fputc('[', stderr);
	put_clean(stderr, stage);
	fputs("] ", stderr);
	put_clean(stderr, message);
	if (isfinite(fraction) && fraction >= 0.0 && fraction <= 1.0)
		fprintf(stderr, " (%d%%)", (int)(fraction * 100.0 + 0.5));
	fputc('\n', stderr);
	fflush(stderr);
}

/* Finds the device, subscribes to its Progress signals and claims it. */
static int session_open(struct session *s)
{
	DBusMessage *reply;
	DBusError error;
	int err;

	err = ctl_resolve_device(&s->ctl->bus, s->arg, &s->path);
	if (err)
		return err;
	if (asprintf(&s->match,
			"type='signal',sender='" REKAM_BUS_NAME "',interface='"
			REKAM_DEVICE_INTERFACE "',member='Progress',path='%s'",
			s->path) < 0) {
		s->match = NULL;
		return out_of_memory();
	}
	dbus_error_init(&error);
	dbus_bus_add_match(s->ctl->bus.conn, s->match, &error);
	if (dbus_error_is_set(&error)) {
		/* no progress to show, but the operation itself still works */
		ctl_err("cannot follow the progress of %s: %s", s->arg,
			error.message ? error.message : "unknown error");
		dbus_error_free(&error);
	}
	err = device_call(s, "Claim", &reply);
	if (err)
		return busy_or(s, err);
	dbus_message_unref(reply);
	return 0;
}

/* Releases the claim; @err, the result so far, wins over a failing Release. */
static int session_close(struct session *s, int err)
{
	DBusMessage *reply;
	int r;

	r = device_call(s, "Release", &reply);
	if (!r)
		dbus_message_unref(reply);
	free(s->match);
	free(s->path);
	return err ? err : r;
}

/* The call of a running operation, printing its progress; waits up to @timeout_s. */
static int run_operation(struct session *s, DBusMessage *msg, const char *method,
	const char *signature, double timeout_s, DBusMessage **reply)
{
	int err;

	err = ctl_bus_call_watching(&s->ctl->bus, msg, timeout_s, on_progress, s, reply);
	if (err)
		return busy_or(s, err);
	err = ctl_bus_expect_signature(*reply, method, signature);
	if (err) {
		dbus_message_unref(*reply);
		*reply = NULL;
	}
	return err;
}

/* --- capture options ------------------------------------------------------- */

/* Is @text a whole decimal int64 (an optional sign, then digits)? Then *value is it. */
static bool parse_int64(const char *text, int64_t *value)
{
	const char *digits = text + (*text == '-' || *text == '+');
	char *end;
	long long v;

	if (!*digits || digits[strspn(digits, "0123456789")])
		return false;
	errno = 0;
	v = strtoll(text, &end, 10);
	if (errno || *end)
		return false;
	*value = v;
	return true;
}

/* KEY=VALUE as a dictionary entry of @dict: an int64, a boolean or a string. */
static bool append_option(DBusMessageIter *dict, const char *key, const char *value)
{
	DBusMessageIter entry, var;
	dbus_bool_t b;
	int64_t x;
	bool ok;

	if (!dbus_message_iter_open_container(dict, DBUS_TYPE_DICT_ENTRY, NULL, &entry) ||
		!dbus_message_iter_append_basic(&entry, DBUS_TYPE_STRING, &key))
		return false;
	if (parse_int64(value, &x)) {
		ok = dbus_message_iter_open_container(&entry, DBUS_TYPE_VARIANT, "x", &var) &&
			dbus_message_iter_append_basic(&var, DBUS_TYPE_INT64, &x);
	} else if (!strcmp(value, "true") || !strcmp(value, "false")) {
		b = !strcmp(value, "true");
		ok = dbus_message_iter_open_container(&entry, DBUS_TYPE_VARIANT, "b", &var) &&
			dbus_message_iter_append_basic(&var, DBUS_TYPE_BOOLEAN, &b);
	} else {
		ok = dbus_message_iter_open_container(&entry, DBUS_TYPE_VARIANT, "s", &var) &&
			dbus_message_iter_append_basic(&var, DBUS_TYPE_STRING, &value);
	}
	return ok && dbus_message_iter_close_container(&entry, &var) &&
		dbus_message_iter_close_container(dict, &entry);
}

/* The capture's timeout in ms: "--option timeout=MS", else --timeout; 0 when neither. */
static int64_t capture_timeout_ms(const struct ctl *ctl)
{
	double ms;
	int64_t x;
	size_t i;

	for (i = 0; i < ctl->n_options; i++)
		if (!strncmp(ctl->options[i], "timeout=", 8))
			return parse_int64(ctl->options[i] + 8, &x) && x > 0 ? x : 0;
	if (!ctl->timeout_given)
		return 0;
	ms = ceil(ctl->bus.timeout_s * 1000.0);
	return ms > (double)INT64_MAX ? INT64_MAX : (int64_t)ms;
}

/* Checks the --option keys before anything is claimed. */
static int check_options(const struct ctl *ctl)
{
	size_t i, j, len;

	for (i = 0; i < ctl->n_options; i++) {
		len = strcspn(ctl->options[i], "=");
		for (j = 0; j < i; j++) {
			if (!strncmp(ctl->options[i], ctl->options[j], len + 1)) {
				ctl_err("--option %.*s is given twice", (int)len, ctl->options[i]);
				return -EINVAL;
			}
		}
	}
	return 0;
}

/* Capture(a{sv}) for @s with the command line's options. */
static DBusMessage *capture_message(struct session *s, int64_t timeout_ms)
{
	struct ctl *ctl = s->ctl;
	DBusMessageIter iter, dict;
	DBusMessage *msg;
	bool ok, have_timeout = false;
	char *key;
	size_t i;

	msg = dbus_message_new_method_call(REKAM_BUS_NAME, s->path, REKAM_DEVICE_INTERFACE,
		"Capture");
	if (!msg)
		return NULL;
	dbus_message_iter_init_append(msg, &iter);
	ok = dbus_message_iter_open_container(&iter, DBUS_TYPE_ARRAY, "{sv}", &dict);
	for (i = 0; ok && i < ctl->n_options; i++) {
		key = strndup(ctl->options[i], strcspn(ctl->options[i], "="));
		if (!key) {
			ok = false;
			break;
		}
		if (!strcmp(key, "timeout"))
			have_timeout = true;
		ok = append_option(&dict, key, ctl->options[i] + strlen(key) + 1);
		free(key);
	}
	if (ok && !have_timeout && timeout_ms > 0) {
		char value[32];

		snprintf(value, sizeof(value), "%" PRId64, timeout_ms);
		ok = append_option(&dict, "timeout", value);
	}
	if (ok && dbus_message_iter_close_container(&iter, &dict))
		return msg;
	dbus_message_unref(msg);
	return NULL;
}

/* --- printing the artifacts ------------------------------------------------ */

static const char *meta_string(const json_t *artifact, const char *key)
{
	const json_t *v = json_object_get(artifact, key);

	return json_is_string(v) && json_string_length(v) ? json_string_value(v) : "-";
}

static json_int_t meta_int(const json_t *artifact, const char *key)
{
	const json_t *v = json_object_get(artifact, key);

	return json_is_integer(v) ? json_integer_value(v) : 0;
}

enum { COL_KIND, COL_FORMAT, COL_SIZE, COL_PIXELS, COL_HANDLE, COL_SHA256, N_COLS };

static const char *const titles[N_COLS] = { "KIND", "FORMAT", "SIZE", "WxH", "HANDLE", "SHA256" };

/* The cells of one artifact, each malloc'd. */
static int artifact_cells(const json_t *artifact, char *cells[N_COLS])
{
	json_int_t w = meta_int(artifact, "Width"), h = meta_int(artifact, "Height");
	int n[N_COLS], err = 0;

	n[COL_KIND] = asprintf(&cells[COL_KIND], "%s", meta_string(artifact, "Kind"));
	n[COL_FORMAT] = asprintf(&cells[COL_FORMAT], "%s", meta_string(artifact, "Format"));
	n[COL_SIZE] = asprintf(&cells[COL_SIZE], "%" JSON_INTEGER_FORMAT,
		meta_int(artifact, "Size"));
	if (w > 0 && h > 0)
		n[COL_PIXELS] = asprintf(&cells[COL_PIXELS],
			"%" JSON_INTEGER_FORMAT "x%" JSON_INTEGER_FORMAT, w, h);
	else
		n[COL_PIXELS] = asprintf(&cells[COL_PIXELS], "-");
	n[COL_HANDLE] = asprintf(&cells[COL_HANDLE], "%s", meta_string(artifact, "Handle"));
	n[COL_SHA256] = asprintf(&cells[COL_SHA256], "%s", meta_string(artifact, "Sha256"));
	for (int c = 0; c < N_COLS; c++) {
		if (n[c] < 0) {
			cells[c] = NULL; /* asprintf() leaves it undefined */
			err = -ENOMEM;
		}
	}
	return err;
}

static int print_artifacts(const json_t *artifacts)
{
	size_t n = json_array_size(artifacts), widths[N_COLS], i, c;
	char **cells;
	int err = 0;

	if (n == 0) {
		puts("No artifacts.");
		return 0;
	}
	cells = calloc(n * N_COLS, sizeof(*cells));
	if (!cells)
		return out_of_memory();
	for (c = 0; c < N_COLS; c++)
		widths[c] = strlen(titles[c]);
	for (i = 0; i < n && !err; i++) {
		err = artifact_cells(json_array_get(artifacts, i), &cells[i * N_COLS]);
		for (c = 0; c < N_COLS && !err; c++)
			if (strlen(cells[i * N_COLS + c]) > widths[c])
				widths[c] = strlen(cells[i * N_COLS + c]);
	}
	if (!err) {
		for (c = 0; c < N_COLS; c++)
			printf("%-*s%s", c == N_COLS - 1 ? 0 : (int)widths[c], titles[c],
				c == N_COLS - 1 ? "\n" : "  ");
		for (i = 0; i < n; i++) {
			for (c = 0; c < N_COLS; c++) {
				put_clean(stdout, cells[i * N_COLS + c]);
				if (c < N_COLS - 1)
					printf("%*s", (int)(widths[c] -
						strlen(cells[i * N_COLS + c]) + 2), "");
			}
			putchar('\n');
		}
		printf("%zu artifact%s\n", n, n == 1 ? "" : "s");
	} else {
		out_of_memory();
	}
	for (i = 0; i < n * N_COLS; i++)
		free(cells[i]);
	free(cells);
	return err;
}

/* The reply's aa{sv}, printed as a table or as {"device": PATH, "artifacts": [...]}. */
static int show_artifacts(struct session *s, DBusMessage *reply)
{
	DBusMessageIter iter;
	json_t *artifacts, *doc;
	int err;

	dbus_message_iter_init(reply, &iter);
	err = ctl_json_from_iter(&iter, &artifacts);
	if (err == -ENOMEM)
		return out_of_memory();
	if (err) {
		ctl_err("cannot read the answer to Capture");
		return -EPROTO;
	}
	if (s->ctl->json) {
		doc = json_pack("{s:s, s:o}", "device", s->path, "artifacts", artifacts);
		if (!doc)
			return out_of_memory();
		err = ctl_print_json(doc);
		json_decref(doc);
		return err;
	}
	err = print_artifacts(artifacts);
	json_decref(artifacts);
	return err;
}

int cmd_capture(struct ctl *ctl, int argc, char **argv)
{
	struct session s = { .ctl = ctl, .arg = argv[1] };
	int64_t timeout_ms = capture_timeout_ms(ctl);
	DBusMessage *msg, *reply;
	double wait_s;
	int err;

	err = check_options(ctl);
	if (err)
		return err;
	err = session_open(&s);
	if (err) {
		free(s.match);
		free(s.path);
		return err;
	}
	msg = capture_message(&s, timeout_ms);
	if (!msg)
		return session_close(&s, out_of_memory());
	/* rekamd ends a capture by its own timeout (at most 600 s) and says so */
	wait_s = (double)(timeout_ms > 0 && timeout_ms <= CAPTURE_TIMEOUT_MAX_MS ?
		timeout_ms : CAPTURE_TIMEOUT_MAX_MS) / 1000.0 + REPLY_MARGIN_S;
	err = run_operation(&s, msg, "Capture", "aa{sv}", wait_s, &reply);
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
		put_clean(stdout, name);
		printf("%*s", (int)(width - strlen(name) + 2), "");
		put_clean(stdout, json_string_value(json_object_get(step, "detail")));
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
		return out_of_memory();
	dbus_message_iter_init(reply, &iter);
	dbus_message_iter_get_basic(&iter, &passed);
	dbus_message_iter_next(&iter);
	err = read_steps(&iter, steps);
	if (err) {
		json_decref(steps);
		return out_of_memory();
	}
	if (s->ctl->json) {
		json_t *doc = json_pack("{s:s, s:b, s:o}", "device", s->path, "passed",
			(int)passed, "steps", steps);

		if (!doc)
			return out_of_memory();
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
	if (err) {
		free(s.match);
		free(s.path);
		return err;
	}
	msg = dbus_message_new_method_call(REKAM_BUS_NAME, s.path, REKAM_DEVICE_INTERFACE,
		"SelfTest");
	if (!msg)
		return session_close(&s, out_of_memory());
	err = run_operation(&s, msg, "SelfTest", "ba(sbs)",
		ctl->timeout_given ? ctl->bus.timeout_s : SELF_TEST_WAIT_S, &reply);
	dbus_message_unref(msg);
	if (!err) {
		err = show_self_test(&s, reply);
		dbus_message_unref(reply);
	}
	return session_close(&s, err);
}
