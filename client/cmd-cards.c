// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * rekam - KTP-el recording station daemon
 *
 * cmd-cards.c - "rekamctl cards [add FIRST COUNT]": the blank card stock
 * from the manager's CardsBlank, CardsIssued and CardsSpoiled properties,
 * and registering a batch of blank cards (AddCardBatch).
 */
#include <config.h>

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client/bus.h"
#include "client/commands.h"
#include "client/enroll.h"

static int show_counts(struct ctl *ctl)
{
	static const char *const keys[] = { "CardsBlank", "CardsIssued", "CardsSpoiled" };
	static const char *const labels[] = { "blank", "issued", "spoiled" };
	const char *iface = REKAM_MANAGER_INTERFACE;
	DBusMessage *reply;
	DBusMessageIter iter;
	json_t *props, *doc;
	int err;

	err = ctl_bus_call_expect(&ctl->bus, REKAM_OBJECT_PATH, DBUS_INTERFACE_PROPERTIES, "GetAll",
		"a{sv}", &reply, DBUS_TYPE_STRING, &iface, DBUS_TYPE_INVALID);
	if (err)
		return err;
	dbus_message_iter_init(reply, &iter);
	err = ctl_json_from_iter(&iter, &props);
	dbus_message_unref(reply);
	if (err)
		return err;
	doc = json_object();
	for (size_t i = 0; doc && i < 3; i++) {
		json_t *v = json_object_get(props, keys[i]);

		if (!json_is_integer(v)) {
			ctl_err("rekamd did not report %s", keys[i]);
			err = -EPROTO;
			break;
		}
		json_object_set(doc, labels[i], v);
	}
	if (!doc)
		err = ctl_out_of_memory();
	if (!err && ctl->json) {
		err = ctl_print_json(doc);
	} else if (!err) {
		for (size_t i = 0; i < 3; i++)
			printf("%-8s %" JSON_INTEGER_FORMAT "\n", labels[i],
				json_integer_value(json_object_get(doc, labels[i])));
	}
	json_decref(doc);
	json_decref(props);
	return err;
}

static int add_batch(struct ctl *ctl, const char *first, const char *count_text)
{
	DBusMessage *reply;
	const char *last;
	dbus_uint32_t count;
	char *end;
	unsigned long n;
	json_t *doc;
	int err;

	n = strtoul(count_text, &end, 10);
	if (!*count_text || *end || count_text[0] == '-' || n < 1 || n > 10000) {
		ctl_err("invalid count '%s': expected a number from 1 to 10000", count_text);
		return -EINVAL;
	}
	count = (dbus_uint32_t)n;
	err = ctl_bus_call_expect(&ctl->bus, REKAM_OBJECT_PATH, REKAM_MANAGER_INTERFACE,
		"AddCardBatch", "s", &reply, DBUS_TYPE_STRING, &first, DBUS_TYPE_UINT32, &count,
		DBUS_TYPE_INVALID);
	if (err)
		return err;
	dbus_message_get_args(reply, NULL, DBUS_TYPE_STRING, &last, DBUS_TYPE_INVALID);
	if (ctl->json) {
		doc = json_pack("{s:s, s:s, s:i}", "first", first, "last", last, "count",
			(int)count);
		err = doc ? ctl_print_json(doc) : ctl_out_of_memory();
		json_decref(doc);
	} else {
		printf("Added %u blank card%s: %s to %s\n", count, count == 1 ? "" : "s", first,
			last);
	}
	dbus_message_unref(reply);
	return err;
}

int cmd_cards(struct ctl *ctl, int argc, char **argv)
{
	if (argc == 1)
		return show_counts(ctl);
	if (argc == 4 && strcmp(argv[1], "add") == 0)
		return add_batch(ctl, argv[2], argv[3]);
	ctl_err("usage: rekamctl cards [add FIRST COUNT]");
	return -EINVAL;
}

/* --- card preview ---------------------------------------------------------- */

/* Where the back goes: "front" in the name becomes "back", else "-back" before ".png". */
static char *back_path(const char *front)
{
	const char *slash = strrchr(front, '/'), *name = slash ? slash + 1 : front;
	const char *at = strstr(name, "front");
	size_t len = strlen(front);
	char *back = NULL;

	if (at) {
		if (asprintf(&back, "%.*sback%s", (int)(at - front), front, at + 5) < 0)
			back = NULL;
	} else if (len > 4 && strcmp(front + len - 4, ".png") == 0) {
		if (asprintf(&back, "%.*s-back.png", (int)(len - 4), front) < 0)
			back = NULL;
	} else if (asprintf(&back, "%s-back.png", front) < 0) {
		back = NULL;
	}
	return back;
}

static int write_file(const char *path, const void *data, int size)
{
	FILE *f = fopen(path, "wb");
	bool ok = f && fwrite(data, 1, (size_t)size, f) == (size_t)size;

	if (f && fclose(f) != 0)
		ok = false;
	if (!ok) {
		ctl_err("cannot write %s: %s", path, strerror(errno));
		return -EIO;
	}
	return 0;
}

int cmd_card(struct ctl *ctl, int argc, char **argv)
{
	DBusMessage *reply;
	DBusMessageIter iter, array;
	const unsigned char *front, *back;
	int n_front, n_back, err;
	char *path, *back_file;

	(void)argc;
	if (strcmp(argv[1], "preview") != 0) {
		ctl_err("unknown card subcommand '%s' (preview)", argv[1]);
		return -EINVAL;
	}
	if (!ctl->output) {
		ctl_err("card preview needs -o FRONT.png");
		return -EINVAL;
	}
	err = ctl_enroll_path(argv[2], &path);
	if (err)
		return err;
	err = ctl_bus_call_expect(&ctl->bus, path, ENROLLMENT_INTERFACE, "PreviewCard", "ayay",
		&reply, DBUS_TYPE_INVALID);
	free(path);
	if (err)
		return err;
	dbus_message_iter_init(reply, &iter);
	dbus_message_iter_recurse(&iter, &array);
	dbus_message_iter_get_fixed_array(&array, &front, &n_front);
	dbus_message_iter_next(&iter);
	dbus_message_iter_recurse(&iter, &array);
	dbus_message_iter_get_fixed_array(&array, &back, &n_back);
	back_file = back_path(ctl->output);
	err = back_file ? write_file(ctl->output, front, n_front) : ctl_out_of_memory();
	if (!err)
		err = write_file(back_file, back, n_back);
	if (!err && !ctl->json)
		printf("front: %s (%d bytes)\nback:  %s (%d bytes)\n", ctl->output, n_front,
			back_file, n_back);
	free(back_file);
	dbus_message_unref(reply);
	return err;
}