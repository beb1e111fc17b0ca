// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * rekam - KTP-el recording station daemon
 *
 * cmd-enroll.c - "rekamctl enroll ...": the issuance pipeline's steps 1-4 for
 * operators and scripts. submit (Submit on the manager, from options and/or
 * a JSON file), receive, verify, forward and return (methods of
 * id.rekam.Station1.Enrollment, then the new state), list (a table from
 * GetManagedObjects) and show (every property and the step times).
 * --json prints the enrollment's properties as rekamd sent them.
 */
#include <config.h>

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "client/commands.h"
#include "client/enroll.h"


/* Option name, D-Bus key. */
static const char *const fields[][2] = {
	{ "nik", "Nik" },
	{ "name", "Name" },
	{ "sex", "Sex" },
	{ "birth-place", "BirthPlace" },
	{ "birth-date", "BirthDate" },
	{ "blood-type", "BloodType" },
	{ "religion", "Religion" },
	{ "marital-status", "MaritalStatus" },
	{ "occupation", "Occupation" },
	{ "street", "Address" },
	{ "rt", "Rt" },
	{ "rw", "Rw" },
	{ "village", "Village" },
	{ "district", "District" },
	{ "citizenship", "Citizenship" },
};

#define N_FIELDS (sizeof(fields) / sizeof(fields[0]))

const char *const ctl_enroll_options[] = { "nik", "name", "sex", "birth-place", "birth-date",
	"blood-type", "religion", "marital-status", "occupation", "street", "rt", "rw",
	"village", "district", "citizenship", "file", "have", "reject", "exceptions", "decision",
	"reason", NULL };

/* The value of --@name (the last one given), or NULL. */
const char *ctl_enroll_option(struct ctl *ctl, const char *name)
{
	const char *value = NULL;

	for (size_t i = 0; i < ctl->n_cmd_options; i++)
		if (strcmp(ctl->cmd_options[i].name, name) == 0)
			value = ctl->cmd_options[i].value;
	return value;
}

/* Refuses options other than @allowed (NULL-terminated) for @sub. */
static int only_options(struct ctl *ctl, const char *sub, const char *const *allowed)
{
	for (size_t i = 0; i < ctl->n_cmd_options; i++) {
		bool ok = false;

		for (const char *const *a = allowed; a && *a && !ok; a++)
			ok = strcmp(*a, ctl->cmd_options[i].name) == 0;
		if (!ok) {
			ctl_err("enroll %s does not take --%s", sub, ctl->cmd_options[i].name);
			return -EINVAL;
		}
	}
	return 0;
}

static int args_count(const char *sub, int argc, int want, const char *usage)
{
	if (argc == want)
		return 0;
	ctl_err("usage: rekamctl enroll %s %s", sub, usage);
	return -EINVAL;
}

/* The object path (malloc'd) of an enrollment named by its number or path. */
int ctl_enroll_path(const char *arg, char **path)
{
	size_t digits = strspn(arg, "0123456789");

	if (digits > 0 && digits <= 19 && arg[digits] == '\0' && arg[0] != '0') {
		if (asprintf(path, ENROLLMENTS_PATH "%s", arg) < 0)
			return ctl_out_of_memory();
		return 0;
	}
	if (strncmp(arg, ENROLLMENTS_PATH, strlen(ENROLLMENTS_PATH)) == 0 &&
			dbus_validate_path(arg, NULL)) {
		*path = strdup(arg);
		return *path ? 0 : ctl_out_of_memory();
	}
	ctl_err("'%s' is not an enrollment: give its number (e.g. 3) or its object path", arg);
	return -EINVAL;
}

int ctl_enroll_prelude(struct ctl *ctl, int argc, char **argv, int want, const char *usage,
		const char *const *allowed, char **path)
{
	int err = args_count(argv[0], argc, want, usage);

	if (!err)
		err = only_options(ctl, argv[0], allowed);
	if (!err)
		err = ctl_enroll_path(argv[1], path);
	return err;
}

/* --- reading enrollments --------------------------------------------------- */

/* Every property of the enrollment at @path, as JSON. */
static int fetch(struct ctl *ctl, const char *path, json_t **out)
{
	const char *iface = ENROLLMENT_INTERFACE;
	DBusMessage *reply;
	DBusMessageIter iter;
	int err;

	err = ctl_bus_call_expect(&ctl->bus, path, DBUS_INTERFACE_PROPERTIES, "GetAll", "a{sv}",
		&reply, DBUS_TYPE_STRING, &iface, DBUS_TYPE_INVALID);
	if (err)
		return err;
	dbus_message_iter_init(reply, &iter);
	err = ctl_json_from_iter(&iter, out);
	if (err)
		ctl_err("cannot read the enrollment's properties");
	dbus_message_unref(reply);
	return err;
}

static const char *str(const json_t *props, const char *key)
{
	const json_t *v = json_object_get(props, key);

	return json_is_string(v) ? json_string_value(v) : "";
}

static json_int_t num(const json_t *props, const char *key)
{
	const json_t *v = json_object_get(props, key);

	return json_is_integer(v) ? json_integer_value(v) : 0;
}

/* "3: forwarded (step 4)" or "3: returned at step 2: reason". */
static void print_state(const json_t *props)
{
	const char *reason = str(props, "ReturnReason");

	printf("Enrollment %" JSON_INTEGER_FORMAT ": %s (step %" JSON_INTEGER_FORMAT ")%s%s\n",
		num(props, "Id"), str(props, "State"), num(props, "Step"), *reason ? ": " : "",
		reason);
}

/* After a step: the enrollment's state, or all of it with --json. */
int ctl_enroll_report(struct ctl *ctl, const char *path)
{
	json_t *props;
	int err = fetch(ctl, path, &props);

	if (err)
		return err;
	if (ctl->json)
		err = ctl_print_json(props);
	else
		print_state(props);
	json_decref(props);
	return err;
}

/* --- calling a step -------------------------------------------------------- */

int ctl_enroll_call_step(struct ctl *ctl, DBusMessage *msg, const char *path)
{
	DBusMessage *reply;
	int err;

	if (!msg)
		return ctl_out_of_memory();
	err = ctl_bus_call(&ctl->bus, msg, &reply);
	dbus_message_unref(msg);
	if (err)
		return err;
	dbus_message_unref(reply);
	return ctl_enroll_report(ctl, path);
}

DBusMessage *ctl_enroll_new_step(const char *path, const char *method)
{
	return dbus_message_new_method_call(REKAM_BUS_NAME, path, ENROLLMENT_INTERFACE, method);
}

bool ctl_enroll_append_entry(DBusMessageIter *dict, const char *key, int type,
		const void *value)
{
	char sig[2] = { (char)type, '\0' };
	DBusMessageIter entry, variant;

	return dbus_message_iter_open_container(dict, DBUS_TYPE_DICT_ENTRY, NULL, &entry) &&
		dbus_message_iter_append_basic(&entry, DBUS_TYPE_STRING, &key) &&
		dbus_message_iter_open_container(&entry, DBUS_TYPE_VARIANT, sig, &variant) &&
		dbus_message_iter_append_basic(&variant, type, value) &&
		dbus_message_iter_close_container(&entry, &variant) &&
		dbus_message_iter_close_container(dict, &entry);
}

/* --- submit ---------------------------------------------------------------- */

/* The applicant from --file (D-Bus keys) with the options on top. */
static int gather_applicant(struct ctl *ctl, json_t **out)
{
	const char *file = ctl_enroll_option(ctl, "file");
	json_t *applicant;
	json_error_t jerr;

	if (file) {
		applicant = json_load_file(file, JSON_REJECT_DUPLICATES, &jerr);
		if (!applicant) {
			ctl_err("%s:%d: %s", file, jerr.line, jerr.text);
			return -EINVAL;
		}
		if (!json_is_object(applicant)) {
			ctl_err("%s: expected a JSON object of applicant fields", file);
			json_decref(applicant);
			return -EINVAL;
		}
	} else {
		applicant = json_object();
		if (!applicant)
			return ctl_out_of_memory();
	}
	for (size_t i = 0; i < N_FIELDS; i++) {
		const char *value = ctl_enroll_option(ctl, fields[i][0]);

		if (value && json_object_set_new(applicant, fields[i][1], json_string(value)) < 0) {
			json_decref(applicant);
			return ctl_out_of_memory();
		}
	}
	*out = applicant;
	return 0;
}

static int enroll_submit(struct ctl *ctl, int argc, char **argv)
{
	DBusMessageIter iter, dict;
	DBusMessage *msg, *reply;
	const char *key, *path;
	json_t *applicant, *value;
	int err;

	err = args_count("submit", argc, 1, "--nik=NIK --name=NAME ... | --file=APPLICANT.json");
	if (!err)
		err = only_options(ctl, "submit", ctl_enroll_options);
	if (!err && (ctl_enroll_option(ctl, "have") || ctl_enroll_option(ctl, "reject"))) {
		ctl_err("enroll submit does not take --%s",
			ctl_enroll_option(ctl, "have") ? "have" : "reject");
		err = -EINVAL;
	}
	if (!err)
		err = gather_applicant(ctl, &applicant);
	if (err)
		return err;

	msg = dbus_message_new_method_call(REKAM_BUS_NAME, REKAM_OBJECT_PATH,
		REKAM_MANAGER_INTERFACE, "Submit");
	if (!msg) {
		json_decref(applicant);
		return ctl_out_of_memory();
	}
	dbus_message_iter_init_append(msg, &iter);
	bool ok = dbus_message_iter_open_container(&iter, DBUS_TYPE_ARRAY, "{sv}", &dict);
	json_object_foreach(applicant, key, value) {
		const char *text = json_string_value(value);

		if (!json_is_string(value)) {
			ctl_err("applicant field %s must be a string", key);
			json_decref(applicant);
			dbus_message_iter_abandon_container(&iter, &dict);
			dbus_message_unref(msg);
			return -EINVAL;
		}
		ok = ok && ctl_enroll_append_entry(&dict, key, DBUS_TYPE_STRING, &text);
	}
	ok = ok && dbus_message_iter_close_container(&iter, &dict);
	if (!ok) {
		json_decref(applicant);
		dbus_message_unref(msg);
		return ctl_out_of_memory();
	}
	json_decref(applicant);
	err = ctl_bus_send_expect(&ctl->bus, msg, "o", &reply);
	if (err)
		return err;
	dbus_message_get_args(reply, NULL, DBUS_TYPE_OBJECT_PATH, &path, DBUS_TYPE_INVALID);
	err = ctl_enroll_report(ctl, path);
	dbus_message_unref(reply);
	return err;
}

/* --- steps 2-4 and return -------------------------------------------------- */

static int enroll_receive(struct ctl *ctl, int argc, char **argv)
{
	static const char *const allowed[] = { "have", NULL };
	const char *have = ctl_enroll_option(ctl, "have");
	DBusMessageIter iter, dict;
	DBusMessage *msg;
	char *path, *items, *save = NULL;
	dbus_bool_t yes = TRUE;
	bool ok;
	int err;

	err = ctl_enroll_prelude(ctl, argc, argv, 2, "ID [--have=ITEM,...]", allowed, &path);
	if (err)
		return err;
	items = strdup(have ? have : "");
	msg = ctl_enroll_new_step(path, "Receive");
	if (!items || !msg) {
		free(items);
		free(path);
		if (msg)
			dbus_message_unref(msg);
		return ctl_out_of_memory();
	}
	dbus_message_iter_init_append(msg, &iter);
	ok = dbus_message_iter_open_container(&iter, DBUS_TYPE_ARRAY, "{sv}", &dict);
	for (char *item = strtok_r(items, ",", &save); ok && item;
			item = strtok_r(NULL, ",", &save))
		ok = ctl_enroll_append_entry(&dict, item, DBUS_TYPE_BOOLEAN, &yes);
	ok = ok && dbus_message_iter_close_container(&iter, &dict);
	free(items);
	err = ok ? ctl_enroll_call_step(ctl, msg, path) : (dbus_message_unref(msg), ctl_out_of_memory());
	free(path);
	return err;
}

static int enroll_verify(struct ctl *ctl, int argc, char **argv)
{
	static const char *const allowed[] = { "reject", NULL };
	const char *reason = ctl_enroll_option(ctl, "reject");
	dbus_bool_t approve = reason == NULL;
	DBusMessage *msg;
	char *path;
	int err;

	err = ctl_enroll_prelude(ctl, argc, argv, 2, "ID [--reject=REASON]", allowed, &path);
	if (err)
		return err;
	if (!reason)
		reason = "";
	msg = ctl_enroll_new_step(path, "Verify");
	if (msg && !dbus_message_append_args(msg, DBUS_TYPE_BOOLEAN, &approve, DBUS_TYPE_STRING,
			&reason, DBUS_TYPE_INVALID)) {
		dbus_message_unref(msg);
		msg = NULL;
	}
	err = ctl_enroll_call_step(ctl, msg, path);
	free(path);
	return err;
}

static int enroll_forward(struct ctl *ctl, int argc, char **argv)
{
	char *path;
	int err;

	err = ctl_enroll_prelude(ctl, argc, argv, 2, "ID", NULL, &path);
	if (err)
		return err;
	err = ctl_enroll_call_step(ctl, ctl_enroll_new_step(path, "Forward"), path);
	free(path);
	return err;
}

static int enroll_return(struct ctl *ctl, int argc, char **argv)
{
	DBusMessage *msg;
	const char *reason;
	char *path;
	int err;

	err = ctl_enroll_prelude(ctl, argc, argv, 3, "ID REASON", NULL, &path);
	if (err)
		return err;
	reason = argv[2];
	msg = ctl_enroll_new_step(path, "Return");
	if (msg && !dbus_message_append_args(msg, DBUS_TYPE_STRING, &reason, DBUS_TYPE_INVALID)) {
		dbus_message_unref(msg);
		msg = NULL;
	}
	err = ctl_enroll_call_step(ctl, msg, path);
	free(path);
	return err;
}

/* --- list and show --------------------------------------------------------- */

static int compare_ids(const void *a, const void *b)
{
	json_int_t x = num(*(json_t *const *)a, "Id"), y = num(*(json_t *const *)b, "Id");

	return x < y ? -1 : x > y;
}

/* [{enrollment properties}, ...] of every enrollment, by id. rekamd lists an
 * enrollment without its properties to a caller who may not read them (not a
 * desk role): those are left out, and said so on stderr. */
static int fetch_all(struct ctl *ctl, json_t **out)
{
	DBusMessage *reply;
	DBusMessageIter iter;
	json_t *objects, *list, *ifaces, **items;
	const char *path;
	size_t n = 0, hidden = 0;
	int err;

	err = ctl_bus_call_expect(&ctl->bus, REKAM_OBJECT_PATH, "org.freedesktop.DBus.ObjectManager",
		"GetManagedObjects", "a{oa{sa{sv}}}", &reply, DBUS_TYPE_INVALID);
	if (err)
		return err;
	dbus_message_iter_init(reply, &iter);
	err = ctl_json_from_iter(&iter, &objects);
	dbus_message_unref(reply);
	if (err)
		return err;
	items = calloc(json_object_size(objects) + 1, sizeof(*items));
	list = json_array();
	if (!items || !list) {
		free(items);
		json_decref(list);
		json_decref(objects);
		return ctl_out_of_memory();
	}
	json_object_foreach(objects, path, ifaces) {
		json_t *props = json_object_get(ifaces, ENROLLMENT_INTERFACE);

		if (json_is_object(props) && json_object_size(props))
			items[n++] = props;
		else if (json_is_object(props))
			hidden++;
	}
	if (hidden)
		ctl_err("%zu enrollment%s not shown: reading an applicant's data needs a desk role "
			"(see [roles] in rekamd.conf)", hidden, hidden == 1 ? "" : "s");
	qsort(items, n, sizeof(*items), compare_ids);
	for (size_t i = 0; i < n && !err; i++)
		if (json_array_append(list, items[i]) < 0)
			err = ctl_out_of_memory();
	free(items);
	json_decref(objects);
	if (err) {
		json_decref(list);
		return err;
	}
	*out = list;
	return 0;
}

static int enroll_list(struct ctl *ctl, int argc, char **argv)
{
	json_t *list, *props;
	size_t i;
	int err;

	err = args_count("list", argc, 1, "");
	if (!err)
		err = only_options(ctl, "list", NULL);
	if (!err)
		err = fetch_all(ctl, &list);
	if (err)
		return err;
	if (ctl->json) {
		err = ctl_print_json(list);
		json_decref(list);
		return err;
	}
	if (json_array_size(list) == 0) {
		puts("No enrollments.");
		json_decref(list);
		return 0;
	}
	printf("%-5s  %-16s  %-12s  %-4s  %s\n", "ID", "NIK", "STATE", "STEP", "NAME");
	json_array_foreach(list, i, props) {
		printf("%-5" JSON_INTEGER_FORMAT "  %-16s  %-12s  %-4" JSON_INTEGER_FORMAT "  %s\n",
			num(props, "Id"), str(props, "Nik"), str(props, "State"),
			num(props, "Step"), str(props, "Name"));
	}
	json_decref(list);
	return 0;
}

static void print_time(json_int_t ms)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	char buf[32];

	localtime_r(&t, &tm);
	strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S", &tm);
	fputs(buf, stdout);
}

static void print_step_times(const json_t *props)
{
	const json_t *times = json_object_get(props, "StepTimes"), *r;
	size_t i;

	printf("Steps:\n  %-4s  %-12s  %-12s  %-19s  %10s\n", "STEP", "STATE", "ROLE", "AT",
		"DURATION");
	json_array_foreach(times, i, r) {
		json_int_t step = json_integer_value(json_array_get(r, 0));
		json_int_t at = json_integer_value(json_array_get(r, 4));
		json_int_t ms = json_integer_value(json_array_get(r, 5));

		printf("  %-4" JSON_INTEGER_FORMAT "  %-12s  %-12s  ", step,
			json_string_value(json_array_get(r, 1)),
			json_string_value(json_array_get(r, 2)));
		print_time(at);
		printf("  %9.1fs%s\n", (double)ms / 1000.0,
			json_is_true(json_array_get(r, 6)) ? "  over the SOP standard" : "");
	}
}

static int enroll_show(struct ctl *ctl, int argc, char **argv)
{
	static const char *const shown[] = { "Id", "State", "Step", "ReturnReason", "Nik", "Name",
		"Sex", "BirthPlace", "BirthDate", "BloodType", "Religion", "MaritalStatus",
		"Occupation", "Address", "Rt", "Rw", "Village", "District", "Citizenship",
		"RequiredItems", "Checklist", "Overruns", "RecordItems", "PacketId", "RemoteStatus",
		"CardSerial", "ChipUid", "IssuePhase", "CardsSpoiled", "NeedsDecision",
		"IssuanceReport", "BiometricsDestroyed" };
	json_t *props;
	char *path;
	int err;

	err = ctl_enroll_prelude(ctl, argc, argv, 2, "ID", NULL, &path);
	if (err)
		return err;
	err = fetch(ctl, path, &props);
	free(path);
	if (err)
		return err;
	if (ctl->json) {
		err = ctl_print_json(props);
		json_decref(props);
		return err;
	}
	for (size_t i = 0; i < sizeof(shown) / sizeof(shown[0]); i++) {
		const json_t *value = json_object_get(props, shown[i]);

		if (!value)
			continue;
		printf("%-14s ", shown[i]);
		ctl_print_value(stdout, value);
		putchar('\n');
	}
	print_step_times(props);
	json_decref(props);
	return 0;
}

/* --- the command ----------------------------------------------------------- */

int cmd_enroll(struct ctl *ctl, int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*run)(struct ctl *ctl, int argc, char **argv);
	} subs[] = {
		{ "submit", enroll_submit }, { "receive", enroll_receive },
		{ "verify", enroll_verify }, { "forward", enroll_forward },
		{ "return", enroll_return }, { "list", enroll_list }, { "show", enroll_show },
	};

	int err;

	for (size_t i = 0; i < sizeof(subs) / sizeof(subs[0]); i++)
		if (strcmp(argv[1], subs[i].name) == 0)
			return subs[i].run(ctl, argc - 1, argv + 1);
	err = ctl_enroll_pipeline(ctl, argc - 1, argv + 1);
	if (err != -ENOENT)
		return err;
	ctl_err("unknown enroll subcommand '%s' (submit, receive, verify, forward, record, "
		"capture, upload, open-print, issue, handover, collect, resend-report, return, list, "
		"show)", argv[1]);
	return -EINVAL;
}
