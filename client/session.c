// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * rekam - KTP-el recording station daemon
 *
 * session.c - what rekamctl's device commands (capture, selftest, job)
 * share: claiming the device and releasing it again, following its Progress
 * signals on stderr while an operation runs, and turning the --option
 * KEY=VALUE arguments into the operation's a{sv}.
 */
#include <config.h>

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client/session.h"

#define ERROR_BUSY REKAM_ERROR_PREFIX "Busy"

/* @text on @f with control characters (and DEL) shown as spaces. */
void ctl_put_clean(FILE *f, const char *text)
{
	for (; *text; text++)
		fputc((unsigned char)*text < 0x20 || *text == 0x7f ? ' ' : *text, f);
}

/* --- the device session ---------------------------------------------------- */

/* A method without arguments of the device. */
static int device_call(struct session *s, const char *method, DBusMessage **reply)
{
	DBusMessage *msg;
	int err;

	msg = dbus_message_new_method_call(REKAM_BUS_NAME, s->path, REKAM_DEVICE_INTERFACE,
		method);
	if (!msg)
		return ctl_out_of_memory();
	err = ctl_bus_call(&s->ctl->bus, msg, reply);
	dbus_message_unref(msg);
	return err;
}

/* An error of rekamd turned into the result of the command: Busy is -EBUSY. */
int session_busy_or(struct session *s, int err)
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
	ctl_put_clean(stderr, stage);
	fputs("] ", stderr);
	ctl_put_clean(stderr, message);
	if (isfinite(fraction) && fraction >= 0.0 && fraction <= 1.0)
		fprintf(stderr, " (%d%%)", (int)(fraction * 100.0 + 0.5));
	fputc('\n', stderr);
	fflush(stderr);
}

/* s->path and s->match freed; @err. */
static int session_free(struct session *s, int err)
{
	free(s->match);
	free(s->path);
	s->match = NULL;
	s->path = NULL;
	return err;
}

/* Finds the device, subscribes to its Progress signals and claims it. */
int session_open(struct session *s)
{
	DBusMessage *reply;
	DBusError error;
	int err;

	err = ctl_resolve_device(&s->ctl->bus, s->arg, &s->path);
	if (err)
		return session_free(s, err);
	if (asprintf(&s->match,
			"type='signal',sender='" REKAM_BUS_NAME "',interface='"
			REKAM_DEVICE_INTERFACE "',member='Progress',path='%s'",
			s->path) < 0) {
		s->match = NULL;
		return session_free(s, ctl_out_of_memory());
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
		return session_free(s, session_busy_or(s, err));
	dbus_message_unref(reply);
	return 0;
}

/* Releases the claim; @err, the result so far, wins over a failing Release. */
int session_close(struct session *s, int err)
{
	DBusMessage *reply;
	int r;

	r = device_call(s, "Release", &reply);
	if (!r)
		dbus_message_unref(reply);
	return session_free(s, err ? err : r);
}

/* The call of a running operation, printing its progress; waits up to @timeout_s. */
int session_run(struct session *s, DBusMessage *msg, const char *method,
	const char *signature, double timeout_s, DBusMessage **reply)
{
	int err;

	err = ctl_bus_call_watching(&s->ctl->bus, msg, timeout_s, on_progress, s, reply);
	if (err)
		return session_busy_or(s, err);
	err = ctl_bus_expect_signature(*reply, method, signature);
	if (err) {
		dbus_message_unref(*reply);
		*reply = NULL;
	}
	return err;
}

/* --- --option KEY=VALUE ---------------------------------------------------- */

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

/* The operation's timeout in ms: "--option timeout=MS", else --timeout; 0 when neither. */
int64_t ctl_option_timeout_ms(const struct ctl *ctl)
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
int ctl_check_options(const struct ctl *ctl)
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

/* The --option arguments (and a "timeout" of @timeout_ms when > 0 and not
 * among them) as entries of @dict, an open a{sv}. */
bool session_append_options(struct session *s, DBusMessageIter *dict, int64_t timeout_ms)
{
	struct ctl *ctl = s->ctl;
	bool ok = true, have_timeout = false;
	char *key;
	size_t i;

	for (i = 0; ok && i < ctl->n_options; i++) {
		key = strndup(ctl->options[i], strcspn(ctl->options[i], "="));
		if (!key)
			return false;
		if (!strcmp(key, "timeout"))
			have_timeout = true;
		ok = append_option(dict, key, ctl->options[i] + strlen(key) + 1);
		free(key);
	}
	if (ok && !have_timeout && timeout_ms > 0) {
		char value[32];

		snprintf(value, sizeof(value), "%" PRId64, timeout_ms);
		ok = append_option(dict, "timeout", value);
	}
	return ok;
}
