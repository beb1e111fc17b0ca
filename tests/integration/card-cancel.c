// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * rekam - tests
 *
 * card-cancel.c - a helper of test-cardreader.sh: claims the card reader,
 * starts Device.Job("personalize", {blob}) and, once a Progress signal
 * says DG2 is being written (DG1 is), calls Device.Cancel from the same client
 * (the claim's holder). Prints the job's answer: "ok" or the error name
 * and message.
 *
 * Usage: card-cancel DEVICE-PATH BLOB-FILE   (DBUS_SESSION_BUS_ADDRESS set)
 */
#include <config.h>

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <dbus/dbus.h>

#define NAME "id.rekam.Station1"
#define DEVICE NAME ".Device"

static DBusMessage *device_call(const char *path, const char *member)
{
	return dbus_message_new_method_call(NAME, path, DEVICE, member);
}

static DBusMessage *blocking(DBusConnection *c, DBusMessage *msg)
{
	DBusMessage *reply = dbus_connection_send_with_reply_and_block(c, msg, 10000, NULL);

	dbus_message_unref(msg);
	return reply;
}

struct state {
	DBusConnection *c;
	const char *path;
	bool cancelled;
};

/* Progress "Writing DG2": cancel (once). */
static DBusHandlerResult on_message(DBusConnection *c, DBusMessage *msg, void *data)
{
	struct state *st = data;
	const char *stage = "", *message = "";
	double fraction;

	if (!st->cancelled && dbus_message_is_signal(msg, DEVICE, "Progress") &&
			dbus_message_get_args(msg, NULL, DBUS_TYPE_STRING, &stage, DBUS_TYPE_DOUBLE,
				&fraction, DBUS_TYPE_STRING, &message, DBUS_TYPE_INVALID) &&
			strcmp(message, "Writing DG2") == 0) {
		DBusMessage *cancel = device_call(st->path, "Cancel");

		st->cancelled = true;
		dbus_connection_send(c, cancel, NULL);
		dbus_message_unref(cancel);
	}
	return DBUS_HANDLER_RESULT_NOT_YET_HANDLED;
}

static uint8_t *read_file(const char *path, size_t *size)
{
	FILE *f = fopen(path, "rb");
	uint8_t *data = NULL;
	long n;

	if (f && fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) > 0 && fseek(f, 0, SEEK_SET) == 0 &&
			(data = malloc((size_t)n)) && fread(data, 1, (size_t)n, f) == (size_t)n)
		*size = (size_t)n;
	else
		*size = 0;
	if (f)
		fclose(f);
	return data;
}

int main(int argc, char **argv)
{
	DBusConnection *c;
	DBusMessage *msg, *reply = NULL;
	DBusMessageIter it, dict, entry, var, array;
	DBusPendingCall *pending = NULL;
	const char *action = "personalize", *key = "blob";
	struct state st = { 0 };
	uint8_t *blob;
	size_t size;
	char rule[256];

	if (argc != 3 || !(blob = read_file(argv[2], &size))) {
		fprintf(stderr, "usage: card-cancel DEVICE-PATH BLOB-FILE\n");
		return 64;
	}
	c = dbus_bus_get(DBUS_BUS_SESSION, NULL);
	if (!c)
		return 69;
	snprintf(rule, sizeof(rule), "type='signal',interface='%s',member='Progress',path='%s'",
		DEVICE, argv[1]);
	dbus_bus_add_match(c, rule, NULL);
	st.c = c;
	st.path = argv[1];
	dbus_connection_add_filter(c, on_message, &st, NULL);
	reply = blocking(c, device_call(argv[1], "Claim"));
	if (!reply || dbus_message_get_type(reply) != DBUS_MESSAGE_TYPE_METHOD_RETURN) {
		printf("claim failed\n");
		return 1;
	}
	dbus_message_unref(reply);

	msg = device_call(argv[1], "Job");
	dbus_message_iter_init_append(msg, &it);
	dbus_message_iter_append_basic(&it, DBUS_TYPE_STRING, &action);
	dbus_message_iter_open_container(&it, DBUS_TYPE_ARRAY, "{sv}", &dict);
	dbus_message_iter_open_container(&dict, DBUS_TYPE_DICT_ENTRY, NULL, &entry);
	dbus_message_iter_append_basic(&entry, DBUS_TYPE_STRING, &key);
	dbus_message_iter_open_container(&entry, DBUS_TYPE_VARIANT, "ay", &var);
	dbus_message_iter_open_container(&var, DBUS_TYPE_ARRAY, "y", &array);
	dbus_message_iter_append_fixed_array(&array, DBUS_TYPE_BYTE, &blob, (int)size);
	dbus_message_iter_close_container(&var, &array);
	dbus_message_iter_close_container(&entry, &var);
	dbus_message_iter_close_container(&dict, &entry);
	dbus_message_iter_close_container(&it, &dict);
	dbus_connection_send_with_reply(c, msg, &pending, 60000);
	dbus_message_unref(msg);

	/* Wait for "Writing DG2", cancel, then for the job's answer (60 s at most). */
	for (int i = 0; i < 600 && !dbus_pending_call_get_completed(pending); i++)
		dbus_connection_read_write_dispatch(c, 100);
	if (!dbus_pending_call_get_completed(pending)) {
		printf("no answer within 60 s\n");
		return 1;
	}
	reply = dbus_pending_call_steal_reply(pending);
	dbus_pending_call_unref(pending);
	if (dbus_message_get_type(reply) == DBUS_MESSAGE_TYPE_ERROR) {
		const char *text = "";

		dbus_message_get_args(reply, NULL, DBUS_TYPE_STRING, &text, DBUS_TYPE_INVALID);
		printf("%s%s: %s\n", st.cancelled ? "" : "(not cancelled) ",
			dbus_message_get_error_name(reply), text);
	} else {
		printf("%sok\n", st.cancelled ? "(cancelled too late) " : "");
	}
	dbus_message_unref(reply);
	dbus_connection_unref(c);
	free(blob);
	return 0;
}
