// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * rekam - KTP-el recording station daemon
 *
 * cmd-job.c - "rekamctl job DEVICE ACTION": claim the device, run one of its
 * jobs (id.rekam.Station1.Device.Job: a printer's print, stage, eject; a
 * card reader's personalize, read, ...) with the --option values and the
 * --data KEY=FILE byte arrays, follow its progress, print its results and
 * artifacts (saved with --save=DIR), and release the device.
 */
#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client/session.h"

#define JOB_TIMEOUT_DEFAULT_MS 180000 /* rekamd's default for a job */
#define JOB_TIMEOUT_MAX_MS 600000
#define REPLY_MARGIN_S 10.0
#define DATA_MAX ((size_t)16 << 20) /* rekamd's limit of one byte-array option */

/* The whole of @path, at most DATA_MAX bytes; malloc'd into *@data. */
static int read_data(const char *path, unsigned char **data, size_t *size)
{
	FILE *f = fopen(path, "rb");
	unsigned char *buf;
	size_t n;

	if (!f) {
		ctl_err("cannot read %s: %s", path, strerror(errno));
		return -EINVAL;
	}
	buf = malloc(DATA_MAX + 1);
	if (!buf) {
		fclose(f);
		return ctl_out_of_memory();
	}
	n = fread(buf, 1, DATA_MAX + 1, f);
	if (ferror(f) || n > DATA_MAX) {
		ctl_err(n > DATA_MAX ? "%s is larger than 16 MiB, more than a job takes" :
				       "cannot read %s", path);
		fclose(f);
		free(buf);
		return -EINVAL;
	}
	fclose(f);
	*data = buf;
	*size = n;
	return 0;
}

/* --data KEY=FILE as a dictionary entry of @dict holding the file's bytes. */
static int append_data(DBusMessageIter *dict, const char *arg)
{
	DBusMessageIter entry, var, array;
	size_t len = strcspn(arg, "=");
	unsigned char *data = NULL;
	char *key = strndup(arg, len);
	size_t size = 0;
	int err;
	bool ok;

	if (!key)
		return ctl_out_of_memory();
	err = read_data(arg + len + 1, &data, &size);
	if (err) {
		free(key);
		return err;
	}
	ok = dbus_message_iter_open_container(dict, DBUS_TYPE_DICT_ENTRY, NULL, &entry) &&
		dbus_message_iter_append_basic(&entry, DBUS_TYPE_STRING, &key) &&
		dbus_message_iter_open_container(&entry, DBUS_TYPE_VARIANT, "ay", &var) &&
		dbus_message_iter_open_container(&var, DBUS_TYPE_ARRAY, "y", &array) &&
		dbus_message_iter_append_fixed_array(&array, DBUS_TYPE_BYTE, &data, (int)size) &&
		dbus_message_iter_close_container(&var, &array) &&
		dbus_message_iter_close_container(&entry, &var) &&
		dbus_message_iter_close_container(dict, &entry);
	free(data);
	free(key);
	return ok ? 0 : ctl_out_of_memory();
}

/* Checks --data before anything is claimed: KEY=FILE, no key twice, none an --option. */
static int check_data(const struct ctl *ctl)
{
	for (size_t i = 0; i < ctl->n_data; i++) {
		const char *arg = ctl->data[i];
		size_t len = strcspn(arg, "=");

		if (!arg[len] || len == 0 || !arg[len + 1]) {
			ctl_err("invalid --data '%s': expected KEY=FILE", arg);
			return -EINVAL;
		}
		for (size_t j = 0; j < i; j++)
			if (!strncmp(arg, ctl->data[j], len + 1)) {
				ctl_err("--data %.*s is given twice", (int)len, arg);
				return -EINVAL;
			}
		for (size_t j = 0; j < ctl->n_options; j++)
			if (!strncmp(arg, ctl->options[j], len + 1)) {
				ctl_err("%.*s is given both as --option and as --data", (int)len, arg);
				return -EINVAL;
			}
	}
	return 0;
}

/* Job(s, a{sv}) for @s: the --option values, then the --data files. */
static int job_message(struct session *s, const char *action, int64_t timeout_ms,
		DBusMessage **out)
{
	DBusMessageIter iter, dict;
	DBusMessage *msg;
	int err = 0;

	msg = dbus_message_new_method_call(REKAM_BUS_NAME, s->path, REKAM_DEVICE_INTERFACE,
		"Job");
	if (!msg)
		return ctl_out_of_memory();
	dbus_message_iter_init_append(msg, &iter);
	if (!dbus_message_iter_append_basic(&iter, DBUS_TYPE_STRING, &action) ||
			!dbus_message_iter_open_container(&iter, DBUS_TYPE_ARRAY, "{sv}", &dict) ||
			!session_append_options(s, &dict, timeout_ms))
		err = ctl_out_of_memory();
	for (size_t i = 0; !err && i < s->ctl->n_data; i++)
		err = append_data(&dict, s->ctl->data[i]);
	if (!err && !dbus_message_iter_close_container(&iter, &dict))
		err = ctl_out_of_memory();
	if (err) {
		dbus_message_iter_abandon_container_if_open(&iter, &dict);
		dbus_message_unref(msg);
		return err;
	}
	*out = msg;
	return 0;
}

/* Prints the results ("Key  value" lines) and the artifacts of the reply. */
static int show_job(struct session *s, const char *action, DBusMessage *reply)
{
	DBusMessageIter iter;
	json_t *results = NULL, *artifacts = NULL, *doc;
	const char *key;
	json_t *value;
	int err;

	dbus_message_iter_init(reply, &iter);
	err = ctl_json_from_iter(&iter, &results);
	dbus_message_iter_next(&iter);
	if (!err)
		err = ctl_json_from_iter(&iter, &artifacts);
	if (err) {
		json_decref(results);
		if (err == -ENOMEM)
			return ctl_out_of_memory();
		ctl_err("cannot read the answer to Job");
		return -EPROTO;
	}
	if (s->ctl->save_dir && json_array_size(artifacts))
		err = ctl_save_artifacts(&s->ctl->bus, artifacts, s->ctl->save_dir);
	if (!err && s->ctl->json) {
		doc = json_pack("{s:s, s:s, s:O, s:O}", "device", s->path, "action", action,
			"results", results, "artifacts", artifacts);
		err = doc ? ctl_print_json(doc) : ctl_out_of_memory();
		json_decref(doc);
	} else if (!err) {
		size_t width = 6;

		json_object_foreach(results, key, value)
			if (strlen(key) > width)
				width = strlen(key);
		printf("%s: %s done\n", s->arg, action);
		json_object_foreach(results, key, value) {
			printf("  %-*s  ", (int)width, key);
			ctl_print_value(stdout, value);
			putchar('\n');
		}
		if (json_array_size(artifacts))
			err = ctl_print_artifacts(artifacts);
	}
	json_decref(results);
	json_decref(artifacts);
	return err;
}

int cmd_job(struct ctl *ctl, int argc, char **argv)
{
	struct session s = { .ctl = ctl, .arg = argv[1] };
	const char *action = argv[2];
	int64_t timeout_ms = ctl_option_timeout_ms(ctl);
	DBusMessage *msg = NULL, *reply;
	double wait_s;
	int err;

	(void)argc;
	err = ctl_check_options(ctl);
	if (!err)
		err = check_data(ctl);
	if (err)
		return err;
	err = session_open(&s);
	if (err)
		return err;
	err = job_message(&s, action, timeout_ms, &msg);
	if (err)
		return session_close(&s, err);
	wait_s = (double)(timeout_ms > 0 && timeout_ms <= JOB_TIMEOUT_MAX_MS ?
		timeout_ms : timeout_ms > 0 ? JOB_TIMEOUT_MAX_MS : JOB_TIMEOUT_DEFAULT_MS) / 1000.0 +
		REPLY_MARGIN_S;
	err = session_run(&s, msg, "Job", "a{sv}aa{sv}", wait_s, &reply);
	dbus_message_unref(msg);
	if (!err) {
		err = show_job(&s, action, reply);
		dbus_message_unref(reply);
	}
	return session_close(&s, err);
}
