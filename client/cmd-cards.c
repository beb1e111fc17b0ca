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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client/commands.h"

static int out_of_memory(void)
{
	ctl_err("out of memory");
	return -ENOMEM;
}

static int show_counts(struct ctl *ctl)
{
	static const char *const keys[] = { "CardsBlank", "CardsIssued", "CardsSpoiled" };
	static const char *const labels[] = { "blank", "issued", "spoiled" };
	const char *iface = REKAM_MANAGER_INTERFACE;
	DBusMessage *msg, *reply;
	DBusMessageIter iter;
	json_t *props, *doc;
	int err;

	msg = dbus_message_new_method_call(REKAM_BUS_NAME, REKAM_OBJECT_PATH,
		DBUS_INTERFACE_PROPERTIES, "GetAll");
	if (!msg || !dbus_message_append_args(msg, DBUS_TYPE_STRING, &iface, DBUS_TYPE_INVALID)) {
		if (msg)
			dbus_message_unref(msg);
		return out_of_memory();
	}
	err = ctl_bus_call(&ctl->bus, msg, &reply);
	dbus_message_unref(msg);
	if (err)
		return err;
	err = ctl_bus_expect_signature(reply, "GetAll", "a{sv}");
	if (!err) {
		dbus_message_iter_init(reply, &iter);
		err = ctl_json_from_iter(&iter, &props);
	}
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
		err = out_of_memory();
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
	DBusMessage *msg, *reply;
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
	msg = dbus_message_new_method_call(REKAM_BUS_NAME, REKAM_OBJECT_PATH,
		REKAM_MANAGER_INTERFACE, "AddCardBatch");
	if (!msg || !dbus_message_append_args(msg, DBUS_TYPE_STRING, &first, DBUS_TYPE_UINT32,
			&count, DBUS_TYPE_INVALID)) {
		if (msg)
			dbus_message_unref(msg);
		return out_of_memory();
	}
	err = ctl_bus_call(&ctl->bus, msg, &reply);
	dbus_message_unref(msg);
	if (err)
		return err;
	err = ctl_bus_expect_signature(reply, "AddCardBatch", "s");
	if (!err) {
		dbus_message_get_args(reply, NULL, DBUS_TYPE_STRING, &last, DBUS_TYPE_INVALID);
		if (ctl->json) {
			doc = json_pack("{s:s, s:s, s:i}", "first", first, "last", last, "count",
				(int)count);
			err = doc ? ctl_print_json(doc) : out_of_memory();
			json_decref(doc);
		} else {
			printf("Added %u blank card%s: %s to %s\n", count, count == 1 ? "" : "s",
				first, last);
		}
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
