// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * rekam - KTP-el recording station daemon
 *
 * cmd-audit.c - "rekamctl audit [verify]": list the audit trail
 * (id.rekam.Station1.GetAuditLog, page by page) or have rekamd verify its
 * hash chain and checkpoints (VerifyAudit) and say which entry is the first
 * that does not verify.
 */
#include <config.h>

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "client/session.h"

#define PAGE 500

static int verify(struct ctl *ctl)
{
	DBusMessage *reply;
	dbus_bool_t ok;
	dbus_uint64_t entries, bad;
	const char *reason;
	int err = ctl_bus_call_expect(&ctl->bus, REKAM_OBJECT_PATH, REKAM_MANAGER_INTERFACE,
		"VerifyAudit", "btts", &reply, DBUS_TYPE_INVALID);

	if (err)
		return err;
	dbus_message_get_args(reply, NULL, DBUS_TYPE_BOOLEAN, &ok, DBUS_TYPE_UINT64, &entries,
		DBUS_TYPE_UINT64, &bad, DBUS_TYPE_STRING, &reason, DBUS_TYPE_INVALID);
	if (ctl->json) {
		json_t *doc = json_pack("{s:b, s:I, s:I, s:s}", "ok", (int)ok, "entries",
			(json_int_t)entries, "first_bad", (json_int_t)bad, "reason", reason);

		err = doc ? ctl_print_json(doc) : ctl_out_of_memory();
		json_decref(doc);
	} else if (ok) {
		printf("The audit trail verifies: %" PRIu64 " entries, every link and checkpoint "
		       "intact.\n", (uint64_t)entries);
	} else {
		printf("The audit trail is BROKEN at entry %" PRIu64 ": ", (uint64_t)bad);
		ctl_put_clean(stdout, reason);
		putchar('\n');
	}
	if (!err && !ok)
		err = -EREMOTEIO; /* exit status 1 */
	dbus_message_unref(reply);
	return err;
}

static int print_page(struct ctl *ctl, DBusMessage *reply, json_t *all, uint64_t *last,
		size_t *n)
{
	DBusMessageIter iter, array, entry;

	dbus_message_iter_init(reply, &iter);
	dbus_message_iter_recurse(&iter, &array);
	*n = 0;
	for (; dbus_message_iter_get_arg_type(&array) == DBUS_TYPE_STRUCT;
			dbus_message_iter_next(&array), (*n)++) {
		static const char *const names[] = { "actor", "role", "action", "enrollment", "nik",
			"result", "detail", "hash" };
		const char *s[8];
		dbus_uint64_t seq;
		dbus_int64_t when;
		char stamp[32];
		time_t t;

		dbus_message_iter_recurse(&array, &entry);
		dbus_message_iter_get_basic(&entry, &seq);
		dbus_message_iter_next(&entry);
		dbus_message_iter_get_basic(&entry, &when);
		for (int i = 0; i < 8; i++) {
			dbus_message_iter_next(&entry);
			dbus_message_iter_get_basic(&entry, &s[i]);
		}
		*last = seq;
		if (ctl->json) {
			json_t *o = json_pack("{s:I, s:I}", "seq", (json_int_t)seq, "time",
				(json_int_t)when);

			for (int i = 0; o && i < 8; i++)
				json_object_set_new(o, names[i], json_string(s[i]));
			if (!o || json_array_append_new(all, o) < 0)
				return ctl_out_of_memory();
			continue;
		}
		t = (time_t)when;
		strftime(stamp, sizeof(stamp), "%Y-%m-%d %H:%M:%S", localtime(&t));
		printf("%6" PRIu64 "  %s  %-18s %-8s ", (uint64_t)seq, stamp, s[2], s[5]);
		ctl_put_clean(stdout, s[0]);
		if (*s[1]) {
			fputs(" as ", stdout);
			ctl_put_clean(stdout, s[1]);
		}
		if (*s[3]) {
			fputs("  enrollment ", stdout);
			ctl_put_clean(stdout, s[3]);
		}
		fputs("  ", stdout);
		ctl_put_clean(stdout, s[6]);
		putchar('\n');
	}
	return 0;
}

static int list(struct ctl *ctl)
{
	json_t *all = ctl->json ? json_array() : NULL;
	uint64_t after = 0;
	size_t n = PAGE, total = 0;
	int err = 0;

	if (ctl->json && !all)
		return ctl_out_of_memory();
	if (!ctl->json)
		printf("%6s  %-19s  %-18s %-8s %s\n", "SEQ", "TIME", "ACTION", "RESULT",
			"ACTOR  DETAIL");
	while (!err && n == PAGE) {
		DBusMessage *reply;
		dbus_uint64_t a = after;
		dbus_uint32_t max = PAGE;

		err = ctl_bus_call_expect(&ctl->bus, REKAM_OBJECT_PATH, REKAM_MANAGER_INTERFACE,
			"GetAuditLog", "a(txssssssss)", &reply, DBUS_TYPE_UINT64, &a,
			DBUS_TYPE_UINT32, &max, DBUS_TYPE_INVALID);
		if (!err)
			err = print_page(ctl, reply, all, &after, &n);
		total += err ? 0 : n;
		if (reply)
			dbus_message_unref(reply);
	}
	if (!err && ctl->json)
		err = ctl_print_json(all);
	else if (!err)
		printf("%zu entr%s\n", total, total == 1 ? "y" : "ies");
	json_decref(all);
	return err;
}

int cmd_audit(struct ctl *ctl, int argc, char **argv)
{
	if (argc == 2 && !strcmp(argv[1], "verify"))
		return verify(ctl);
	if (argc == 1)
		return list(ctl);
	ctl_err("usage: rekamctl audit [verify]");
	return -EINVAL;
}
