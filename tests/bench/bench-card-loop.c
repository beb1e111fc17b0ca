// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * rekam - benchmarks
 *
 * bench-card-loop.c - time to personalize and verify one KTP-el card through
 * rekamd (Device.Job "personalize" over D-Bus: the plugin, the worker pool,
 * the bus) against a raw PC/SC loop sending the same APDUs from this
 * process (the plugin's chip.c, linked in), in the same run, alternating.
 * Before each card, rekam-sim-card's control socket makes a new blank card
 * (new-card), and the timing starts once the card is in the reader (and,
 * for rekamd, once its Health shows the new ChipUid). Prints the median and
 * spread of each and the ratio of the medians. Run by tests/bench/bench-card
 * (the script starts pcscd, the simulator, a bus and rekamd).
 *
 * Usage: bench-card-loop --reader PREFIX --control SOCKET --blob FILE --key HEX
 *                   --device PATH [--cards N]
 */
#include <config.h>

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <dbus/dbus.h>

#include "tests/bench/bench.h"
#include "plugins/cardreader-pcsc/chip.h"

static struct {
	const char *reader, *control, *device;
	uint8_t *blob;
	size_t blob_size;
	char key_hex[33];
	uint8_t key[CHIP_KEY_SIZE];
	struct card_file files[CARD_BLOB_FILES];
	int cards;
	DBusConnection *bus;
} g = { .cards = 10 };

static void die(const char *what)
{
	fprintf(stderr, "bench-card: %s\n", what);
	exit(1);
}

static void sleep_ms(int ms)
{
	nanosleep(&(struct timespec){ ms / 1000, (ms % 1000) * 1000000L }, NULL);
}

/* "new-card" on the simulator's control socket: the new UID in @uid. */
static void new_card(char *uid, size_t size)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	char line[128];
	ssize_t n;
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", g.control);
	if (fd < 0 || connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0)
		die("cannot reach the simulator's control socket");
	if (write(fd, "new-card\n", 9) != 9)
		die("cannot send new-card");
	n = read(fd, line, sizeof(line) - 1);
	close(fd);
	if (n <= 0 || (line[n] = '\0', strncmp(line, "OK uid=", 7) != 0))
		die("new-card failed");
	snprintf(uid, size, "%.14s", line + 7);
}

/* Until the card in the reader has @uid (PC/SC, our own context). */
static void wait_card(const char *uid)
{
	char reader_name[256];

	snprintf(reader_name, sizeof(reader_name), "%s", g.reader);
	for (int i = 0; i < 1000; i++) {
		struct chip c;
		char got[2 * CHIP_UID_MAX + 1] = "";

		chip_init(&c, reader_name, 255);
		if (chip_connect(&c) == 0 && chip_identify(&c) == 0)
			chip_uid_hex(&c, got);
		chip_close(&c, false);
		if (strcasecmp(got, uid) == 0)
			return;
		sleep_ms(10);
	}
	die("the new card did not show up in the reader");
}

static double raw_personalize(void)
{
	struct chip_personalize_args args = { .files = g.files, .lock = true };
	struct chip c;
	double t0 = bench_now_ms(), t;
	int err;

	memcpy(args.key, g.key, sizeof(args.key));
	chip_init(&c, g.reader, 255);
	err = chip_personalize(&c, &args);
	chip_close(&c, err != 0);
	t = bench_now_ms() - t0;
	if (err) {
		fprintf(stderr, "bench-card: raw: %s\n", c.message);
		exit(1);
	}
	return t;
}

/* --- through rekamd -------------------------------------------------------------- */

static DBusMessage *call(DBusMessage *msg, int timeout)
{
	DBusError error = DBUS_ERROR_INIT;
	DBusMessage *reply = dbus_connection_send_with_reply_and_block(g.bus, msg, timeout, &error);

	dbus_message_unref(msg);
	if (!reply) {
		fprintf(stderr, "bench-card: %s: %s\n", error.name, error.message);
		exit(1);
	}
	return reply;
}

/* The ChipUid of the device's Health ("" when none). */
static void health_uid(char *out, size_t size)
{
	DBusMessage *msg = dbus_message_new_method_call("id.rekam.Station1", g.device,
		"org.freedesktop.DBus.Properties", "Get");
	const char *iface = "id.rekam.Station1.Device", *prop = "Health";
	DBusMessageIter it, var, dict, entry, v;
	DBusMessage *reply;

	*out = '\0';
	dbus_message_append_args(msg, DBUS_TYPE_STRING, &iface, DBUS_TYPE_STRING, &prop,
		DBUS_TYPE_INVALID);
	reply = call(msg, 5000);
	dbus_message_iter_init(reply, &it);
	dbus_message_iter_recurse(&it, &var);
	dbus_message_iter_recurse(&var, &dict);
	for (; dbus_message_iter_get_arg_type(&dict) == DBUS_TYPE_DICT_ENTRY;
			dbus_message_iter_next(&dict)) {
		const char *key, *s;

		dbus_message_iter_recurse(&dict, &entry);
		dbus_message_iter_get_basic(&entry, &key);
		dbus_message_iter_next(&entry);
		dbus_message_iter_recurse(&entry, &v);
		if (strcmp(key, "ChipUid") == 0 && dbus_message_iter_get_arg_type(&v) ==
				DBUS_TYPE_STRING) {
			dbus_message_iter_get_basic(&v, &s);
			snprintf(out, size, "%s", s);
		}
	}
	dbus_message_unref(reply);
}

static void wait_rekamd(const char *uid)
{
	char got[64];

	for (int i = 0; i < 1000; i++) {
		health_uid(got, sizeof(got));
		if (strcasecmp(got, uid) == 0)
			return;
		sleep_ms(10);
	}
	die("rekamd did not see the new card");
}

static void append_entry(DBusMessageIter *dict, const char *key, int type, const void *value,
		size_t n)
{
	DBusMessageIter entry, var, array;
	char sig[3] = { (char)type, 0, 0 };

	if (n) {
		sig[0] = 'a';
		sig[1] = 'y';
	}
	dbus_message_iter_open_container(dict, DBUS_TYPE_DICT_ENTRY, NULL, &entry);
	dbus_message_iter_append_basic(&entry, DBUS_TYPE_STRING, &key);
	dbus_message_iter_open_container(&entry, DBUS_TYPE_VARIANT, sig, &var);
	if (n) {
		dbus_message_iter_open_container(&var, DBUS_TYPE_ARRAY, "y", &array);
		dbus_message_iter_append_fixed_array(&array, DBUS_TYPE_BYTE, &value, (int)n);
		dbus_message_iter_close_container(&var, &array);
	} else {
		dbus_message_iter_append_basic(&var, type, value);
	}
	dbus_message_iter_close_container(&entry, &var);
	dbus_message_iter_close_container(dict, &entry);
}

static double rekamd_personalize(void)
{
	DBusMessage *msg = dbus_message_new_method_call("id.rekam.Station1", g.device,
		"id.rekam.Station1.Device", "Job");
	const char *action = "personalize", *key = g.key_hex;
	DBusMessageIter it, dict;
	double t0 = bench_now_ms();

	dbus_message_iter_init_append(msg, &it);
	dbus_message_iter_append_basic(&it, DBUS_TYPE_STRING, &action);
	dbus_message_iter_open_container(&it, DBUS_TYPE_ARRAY, "{sv}", &dict);
	append_entry(&dict, "blob", DBUS_TYPE_BYTE, g.blob, g.blob_size);
	append_entry(&dict, "key", DBUS_TYPE_STRING, &key, 0);
	dbus_message_iter_close_container(&it, &dict);
	dbus_message_unref(call(msg, 60000));
	return bench_now_ms() - t0;
}

/* --- main ------------------------------------------------------------------------------ */

static void load_blob(const char *path)
{
	char why[200];
	FILE *f = fopen(path, "rb");
	long size;

	if (!f || fseek(f, 0, SEEK_END) < 0 || (size = ftell(f)) <= 0 || fseek(f, 0, SEEK_SET) < 0)
		die("cannot read the blob");
	g.blob = malloc((size_t)size);
	if (!g.blob || fread(g.blob, 1, (size_t)size, f) != (size_t)size)
		die("cannot read the blob");
	fclose(f);
	g.blob_size = (size_t)size;
	if (card_blob_parse(g.blob, g.blob_size, g.files, why, sizeof(why)) < 0)
		die(why);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "reader", required_argument, NULL, 'r' },
		{ "control", required_argument, NULL, 'c' },
		{ "blob", required_argument, NULL, 'b' },
		{ "key", required_argument, NULL, 'k' },
		{ "device", required_argument, NULL, 'd' },
		{ "cards", required_argument, NULL, 'n' },
		{},
	};
	double *raw, *daemon, mr, md;
	char uid[32];
	int opt;

	while ((opt = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (opt) {
		case 'r': g.reader = optarg; break;
		case 'c': g.control = optarg; break;
		case 'b': load_blob(optarg); break;
		case 'k': snprintf(g.key_hex, sizeof(g.key_hex), "%s", optarg); break;
		case 'd': g.device = optarg; break;
		case 'n': g.cards = atoi(optarg); break;
		default: die("bad arguments (see the top of bench-card-loop.c)");
		}
	}
	if (!g.reader || !g.control || !g.blob || strlen(g.key_hex) != 32 || g.cards < 1)
		die("--reader, --control, --blob and --key (32 hex digits) are needed");
	for (int i = 0; i < CHIP_KEY_SIZE; i++)
		sscanf(g.key_hex + 2 * i, "%2hhx", &g.key[i]);
	raw = calloc((size_t)g.cards, sizeof(*raw));
	daemon = calloc((size_t)g.cards, sizeof(*daemon));
	if (g.device) {
		DBusMessage *claim;

		g.bus = dbus_bus_get(DBUS_BUS_SESSION, NULL);
		if (!g.bus)
			die("no session bus");
		claim = dbus_message_new_method_call("id.rekam.Station1", g.device,
			"id.rekam.Station1.Device", "Claim");
		dbus_message_unref(call(claim, 5000));
	}
	for (int i = 0; i < g.cards; i++) {
		for (int k = 0; k < 2; k++) {
			bool through_rekamd = (i + k) % 2;

			if (through_rekamd && !g.device)
				continue;
			new_card(uid, sizeof(uid));
			wait_card(uid);
			if (through_rekamd) {
				wait_rekamd(uid);
				daemon[i] = rekamd_personalize();
			} else {
				raw[i] = raw_personalize();
			}
		}
		fprintf(stderr, "card %d: raw %.1f ms, rekamd %.1f ms\n", i + 1, raw[i], daemon[i]);
	}
	mr = bench_median(raw, g.cards);
	printf("cards: %d (blob %zu bytes, %zu bytes of files)\n", g.cards, g.blob_size,
		g.blob_size - CARD_BLOB_HEADER - CARD_BLOB_FILES * CARD_BLOB_ENTRY_HEADER);
	printf("raw PC/SC:     median %.1f ms (min %.1f, max %.1f)\n", mr, raw[0],
		raw[g.cards - 1]);
	if (g.device) {
		md = bench_median(daemon, g.cards);
		printf("through rekamd: median %.1f ms (min %.1f, max %.1f)\n", md, daemon[0],
			daemon[g.cards - 1]);
		printf("rekamd / raw: %.2f\n", md / mr);
		dbus_connection_unref(g.bus);
	}
	free(raw);
	free(daemon);
	free(g.blob);
	return 0;
}
