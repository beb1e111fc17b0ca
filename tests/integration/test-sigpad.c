// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * rekam - integration tests
 *
 * test-sigpad.c - the signature pad end to end: rekam-sim-sigpad on its
 * socket, rekamd with the sigpad-sim plugin, and a libdbus client that
 * finds the pad through the ObjectManager, claims it, runs its self-test,
 * captures signatures and checks the stored artifacts; then the faults of
 * the pad's control socket (unplug and replug, unplug mid-signature, no pen,
 * garbled and oversized lines, an injected failure), each ending in a clear
 * error or state, and a capture that works again afterwards.
 */
#include <config.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <dbus/dbus.h>

#include "tap.h"
#include "testbus.h"
#include "testclient.h"

#define PAD TC_ROOT "/devices/sigpad0"

static struct testbus tb;
static DBusConnection *conn;
static struct testbus_files files;

/* The simulator's control socket. */
static void control_ok(const char *cmd)
{
	tc_sim_control_ok(files.control, cmd);
}


static char *artifact_bytes(const struct tc_artifact *a, size_t *len)
{
	return tc_read_artifact(conn, a->handle, len);
}

/* A capture that must work: its two artifacts checked. */
static void good_capture(const char *when)
{
	DBusMessage *reply = tc_call_msg(conn, tc_capture_call(PAD, NULL), 60000);
	struct tc_artifact art[4];
	int n = 0;

	if (dbus_message_get_type(reply) == DBUS_MESSAGE_TYPE_METHOD_RETURN)
		n = tc_parse_artifacts(reply, art, 4);
	else
		tc_result(dbus_message_ref(reply));
	dbus_message_unref(reply);
	tap_is_int(n, 2, "%s: a capture gives two artifacts", when);
	if (n != 2)
		return;
	tap_ok(!strcmp(art[0].kind, "signature-strokes") && !strcmp(art[0].format,
		"application/json"), "%s: the pen strokes as JSON", when);
	tap_ok(!strcmp(art[1].kind, "signature-image") && !strcmp(art[1].format, "image/png") &&
		art[1].width == 800 && art[1].height == 300,
		"%s: the rendered signature as an 800x300 PNG", when);
	{
		size_t len = 0;
		char *png = artifact_bytes(&art[1], &len);
		char *json = artifact_bytes(&art[0], &len);

		tap_ok(png && !memcmp(png, "\x89PNG\r\n\x1a\n", 8),
			"%s: the stored image is a PNG", when);
		tap_ok(json && !strncmp(json, "{\"format\":\"rekam-strokes/1\"", 27) &&
			strstr(json, "\"strokes\":[[["), "%s: the stored strokes are rekam-strokes/1 "
			"with points", when);
		free(png);
		free(json);
	}
}

static void test_discovery(void)
{
	DBusMessage *reply = tc_call_msg(conn, tc_new_call(TC_ROOT,
		"org.freedesktop.DBus.ObjectManager", "GetManagedObjects"), 5000);
	DBusMessageIter iter, dict, entry;
	bool found = false;

	dbus_message_iter_init(reply, &iter);
	dbus_message_iter_recurse(&iter, &dict);
	for (; dbus_message_iter_get_arg_type(&dict) == DBUS_TYPE_DICT_ENTRY;
			dbus_message_iter_next(&dict)) {
		const char *path;

		dbus_message_iter_recurse(&dict, &entry);
		dbus_message_iter_get_basic(&entry, &path);
		found = found || !strcmp(path, PAD);
	}
	dbus_message_unref(reply);
	tap_ok(found, "the ObjectManager lists the signature pad");
	tap_ok(tc_wait_prop(conn, PAD, "State", "idle", 10000), "the pad is opened and idle");
	tc_is_prop(conn, PAD, "Model", "REKAM-SIG-500", "... its model comes from the pad");
	tc_is_prop(conn, PAD, "Class", "sigpad", "... its class is sigpad");
	tc_is_prop(conn, PAD, "Firmware", "1.4.2", "... and its firmware");
}

static void test_self_test(void)
{
	int n;

	tap_ok(tc_self_test(conn, PAD, 20000, &n), "the pad's self-test passes");
	tap_is_int(n, 4, "... with the pad's four steps");
}

static void test_unplug(void)
{
	control_ok("unplug");
	tap_ok(tc_wait_prop(conn, PAD, "State", "absent", 5000), "unplugged: State becomes absent");
	tc_is_result(tc_call_msg(conn, tc_capture_call(PAD, NULL), 5000), TC_ERR "Absent",
		"... and a capture says the pad is Absent");
	control_ok("replug");
	tap_ok(tc_wait_prop(conn, PAD, "State", "idle", 10000), "replugged: the pad is idle again");
	good_capture("after replug");

	control_ok("unplug-mid-capture");
	tc_is_result(tc_call_msg(conn, tc_capture_call(PAD, NULL), 60000), TC_ERR "Absent",
		"unplugged mid-signature: the capture fails with Absent");
	tap_ok(tc_wait_prop(conn, PAD, "State", "absent", 5000), "... and the pad is absent");
	control_ok("replug");
	tap_ok(tc_wait_prop(conn, PAD, "State", "idle", 10000), "... until it is replugged");
}

static void test_faults(void)
{
	char *last;

	control_ok("pen-timeout");
	tc_is_result(tc_call_msg(conn, tc_capture_call(PAD, NULL), 60000), TC_ERR "Timeout",
		"no pen contact: the capture ends with Timeout");

	control_ok("garbage");
	tc_is_result(tc_call_msg(conn, tc_capture_call(PAD, NULL), 60000), TC_ERR "DeviceError",
		"a garbled line from the pad: DeviceError");
	last = tc_prop(conn, PAD, TC_DEVICE, "LastError");
	tap_contains(last, "garbled", "... and LastError says so");
	free(last);
	tap_ok(tc_wait_prop(conn, PAD, "State", "idle", 5000), "... and the pad stays usable");

	control_ok("oversized");
	tc_is_result(tc_call_msg(conn, tc_capture_call(PAD, NULL), 60000), TC_ERR "DeviceError",
		"an oversized line from the pad: DeviceError");
	last = tc_prop(conn, PAD, TC_DEVICE, "LastError");
	tap_contains(last, "longer than 4096 bytes", "... and LastError says so");
	free(last);

	control_ok("fail E42");
	tc_is_result(tc_call_msg(conn, tc_capture_call(PAD, NULL), 60000), TC_ERR "DeviceError",
		"an injected pad failure: DeviceError");
	last = tc_prop(conn, PAD, TC_DEVICE, "LastError");
	tap_contains(last, "E42", "... naming the pad's failure code");
	free(last);

	tap_ok(tc_wait_prop(conn, PAD, "State", "idle", 10000), "after every fault the pad is idle");
	good_capture("after the faults");
}

int main(void)
{
	const char *plugins = testbus_start_device_test(&tb, &files, "sigpad", "pad");
	char text[512];
	pid_t sim_pid, rk_pid;

	/* The pad, 20 times faster than life. */
	char *sim_argv[] = { files.sim, "--socket", files.sock, "--control", files.control,
		"--seed", "11", "--time-scale", "0.05", NULL };
	sim_pid = testbus_start_sim(&tb, sim_argv, files.control, files.sim_log);
	if (sim_pid < 0)
		tap_bail("rekam-sim-sigpad did not start");

	snprintf(text, sizeof(text), "[station]\nid = 6305-TEST-01\n[device pad]\n"
		"plugin = sigpad-sim\nconnection = sim:unix:%s\n", files.sock);
	rk_pid = testbus_start_rekamd(&tb, plugins, text, NULL, NULL, &conn);

	test_discovery();
	tc_is_result(tc_call(conn, PAD, "Claim"), "", "the client claims the pad");
	test_self_test();
	good_capture("first signature");
	test_unplug();
	test_faults();
	tc_is_result(tc_call(conn, PAD, "Release"), "", "the client releases the pad");

	free(testbus_stop_rekamd(rk_pid, 10000, &files, "the sigpad plugin"));
	return testbus_end_device_test(&tb, sim_pid, conn);
}
