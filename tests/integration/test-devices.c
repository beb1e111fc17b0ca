// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * rekam - integration tests
 *
 * test-devices.c - rekamd's plugin host and device objects, driven by two
 * libdbus clients: loading and refusing plugins, devices on the bus, claims
 * (and their release when a client leaves), self-test, capture with
 * progress and stored artifacts, bad options, cancel, timeout, a plugin that
 * ignores cancel, and devices that cannot be opened. The devices come from
 * tests/plugins/test-plugin.c.
 */
#include <config.h>

#include <errno.h>
#include <openssl/evp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <dbus/dbus.h>

#include "tap.h"
#include "testbus.h"
#include "testclient.h"

#define NAME "id.rekam.Station1"
#define ROOT "/id/rekam/Station1"
#define DEVICE_IFACE "id.rekam.Station1.Device"
#define CAM0 ROOT "/devices/camera0" /* works */
#define CAM1 ROOT "/devices/camera1" /* absent */
#define CAM2 ROOT "/devices/camera2" /* ignores cancel */
#define ERR "id.rekam.Station1.Error."

static struct testbus tb;
static DBusConnection *a, *b; /* two clients */
static char log_path[128], state_dir[128];

/* --- helpers ------------------------------------------------------------- */

static DBusMessage *call(DBusConnection *c, const char *path, const char *member)
{
	return tc_call(c, path, member);
}

static char *prop(const char *path, const char *name)
{
	return tc_prop(a, path, DEVICE_IFACE, name);
}

static bool wait_prop(const char *path, const char *name, const char *want, int ms)
{
	return tc_wait_prop(a, path, name, want, ms);
}

static void is_prop(const char *path, const char *name, const char *want, const char *what)
{
	tc_is_prop(a, path, name, want, what);
}

static char *read_log(void)
{
	char *log = testbus_read_file(log_path);

	return log ? log : strdup("");
}

/* --- tests ----------------------------------------------------------------- */

static void test_loading(void)
{
	char *log = read_log();

	tap_contains(log, "refused: built for plugin ABI 99.0", "a plugin of another ABI is refused");
	tap_contains(log, "rekam-test-misnamed.so: refused: its descriptor names another plugin",
		"a plugin whose descriptor does not match its file is refused");
	tap_contains(log, "device bad: plugin test-probefail cannot take it: Input/output error",
		"a device whose probe fails is reported");
	tap_contains(log, "device ghost: plugin not-there is not loaded",
		"a device of a missing plugin is reported");
	tap_contains(log, "plugin test-timer 1.0 loaded", "the good plugin is loaded");
	free(log);
}

static void test_objects(void)
{
	DBusMessage *msg = tc_new_call(ROOT, DBUS_INTERFACE_PROPERTIES, "Get"), *reply;
	const char *iface = NAME, *name = "Devices";
	DBusMessageIter iter, var, array;
	int n = 0;

	dbus_message_append_args(msg, DBUS_TYPE_STRING, &iface, DBUS_TYPE_STRING, &name,
		DBUS_TYPE_INVALID);
	reply = tc_call_msg(a, msg, 5000);
	dbus_message_iter_init(reply, &iter);
	dbus_message_iter_recurse(&iter, &var);
	dbus_message_iter_recurse(&var, &array);
	while (dbus_message_iter_get_arg_type(&array) == DBUS_TYPE_OBJECT_PATH) {
		n++;
		dbus_message_iter_next(&array);
	}
	dbus_message_unref(reply);
	tap_is_int(n, 3, "the manager lists the three devices that could be set up");

	tap_ok(wait_prop(CAM0, "State", "idle", 5000), "camera0 opens and becomes idle");
	is_prop(CAM0, "Model", "Test-Timer", "... and reports its model");
	is_prop(CAM0, "Serial", "1", "... and its serial");
	is_prop(CAM0, "Plugin", "test-timer", "... and its plugin");
	is_prop(CAM0, "Class", "camera", "... and its class");
	is_prop(CAM0, "Name", "cam", "... and its configured name");
	tap_ok(wait_prop(CAM1, "State", "absent", 5000), "camera1, which does not answer, is absent");
	is_prop(CAM1, "LastError", "no test device answers at this connection", "... saying why");
}

static void test_claims(void)
{
	char *me = strdup(dbus_bus_get_unique_name(a));

	tc_is_result(tc_call_msg(a, tc_capture_call(CAM0, NULL), 10000), ERR "NotClaimed",
		"Capture without a claim is refused");
	tc_is_result(call(a, CAM0, "Claim"), "", "client A claims camera0");
	is_prop(CAM0, "ClaimedBy", me, "... ClaimedBy names client A");
	tc_is_result(call(a, CAM0, "Claim"), "", "... claiming again is fine");
	tc_is_result(call(b, CAM0, "Claim"), ERR "Busy", "client B cannot claim it meanwhile");
	tc_is_result(call(b, CAM0, "SelfTest"), ERR "NotClaimed", "... nor run a self-test");
	tc_is_result(call(b, CAM0, "Release"), ERR "NotClaimed", "... nor release A's claim");
	free(me);
}

static void test_self_test(void)
{
	int n;

	tap_ok(tc_self_test(a, CAM0, 20000, &n), "SelfTest passes");
	tap_is_int(n, 2, "... reporting its two steps");
}

static void test_capture(void)
{
	DBusMessage *reply;
	DBusMessageIter iter, array, dict, entry, var;
	char handle[64] = "", sha[80] = "", path[256], actual[65];
	dbus_uint64_t size = 0;
	int n_progress = 0;
	DBusMessage *sig;

	reply = tc_call_msg(a, tc_capture_call(CAM0, NULL), 10000);
	if (dbus_message_get_type(reply) == DBUS_MESSAGE_TYPE_METHOD_RETURN) {
		dbus_message_iter_init(reply, &iter);
		dbus_message_iter_recurse(&iter, &array);
		dbus_message_iter_recurse(&array, &dict);
		for (; dbus_message_iter_get_arg_type(&dict) == DBUS_TYPE_DICT_ENTRY;
				dbus_message_iter_next(&dict)) {
			const char *key, *s;

			dbus_message_iter_recurse(&dict, &entry);
			dbus_message_iter_get_basic(&entry, &key);
			dbus_message_iter_next(&entry);
			dbus_message_iter_recurse(&entry, &var);
			if (strcmp(key, "Handle") == 0 || strcmp(key, "Sha256") == 0) {
				dbus_message_iter_get_basic(&var, &s);
				snprintf(strcmp(key, "Handle") == 0 ? handle : sha, 64 + 1, "%s", s);
			} else if (strcmp(key, "Size") == 0) {
				dbus_message_iter_get_basic(&var, &size);
			}
		}
	} else {
		tap_diag("Capture: %s", dbus_message_get_error_name(reply));
	}
	dbus_message_unref(reply);
	tap_is_int(strlen(handle), 32, "Capture returns an artifact handle");
	tap_is_int(size, 1024, "... with its size");
	{
		size_t len = 0;
		char *bytes = tc_read_artifact(a, handle, &len);
		unsigned char md[32];
		unsigned int md_len = 0;
		struct stat st;

		actual[0] = '\0';
		if (bytes && EVP_Digest(bytes, len, md, &md_len, EVP_sha256(), NULL))
			for (unsigned int i = 0; i < md_len; i++)
				sprintf(actual + 2 * i, "%02x", md[i]);
		tap_is_str(actual, sha, "... and the bytes kept have the SHA-256 the reply gives");
		snprintf(path, sizeof(path), "%s/artifacts/%s", state_dir, handle);
		tap_ok(stat(path, &st) == 0 && (uint64_t)st.st_size > size,
			"... sealed in the state dir, not as plain bytes");
		free(bytes);
	}

	while ((sig = dbus_connection_pop_message(a))) {
		if (dbus_message_is_signal(sig, DEVICE_IFACE, "Progress"))
			n_progress++;
		dbus_message_unref(sig);
	}
	dbus_connection_read_write(a, 100);
	while ((sig = dbus_connection_pop_message(a))) {
		if (dbus_message_is_signal(sig, DEVICE_IFACE, "Progress"))
			n_progress++;
		dbus_message_unref(sig);
	}
	tap_ok(n_progress >= 2, "Progress signals were sent during the capture (%d)", n_progress);
}

static void test_bad_options(void)
{
	const char *text = "soon";
	dbus_int32_t zero = 0;
	dbus_uint32_t u = 1;

	tc_is_result(tc_call_msg(a, tc_capture_call(CAM0, "timeout", DBUS_TYPE_STRING, &text, NULL), 5000),
		ERR "InvalidArguments", "a timeout that is not a number is refused");
	tc_is_result(tc_call_msg(a, tc_capture_call(CAM0, "timeout", DBUS_TYPE_INT32, &zero, NULL), 5000),
		ERR "InvalidArguments", "a timeout of 0 is refused");
	tc_is_result(tc_call_msg(a, tc_capture_call(CAM0, "bad key!", DBUS_TYPE_UINT32, &u, NULL), 5000),
		ERR "InvalidArguments", "an option name with odd characters is refused");
	tc_is_result(tc_call_msg(a, tc_new_call(CAM0, DEVICE_IFACE, "Capture"), 5000),
		ERR "InvalidArguments", "Capture without its options argument is refused");
	is_prop(CAM0, "State", "idle", "... none of that made the device busy");
}

static void test_cancel_and_timeout(void)
{
	DBusPendingCall *pending;
	DBusMessage *reply;
	const char *io = "io";
	dbus_int32_t long_delay = 3000, t100 = 100;
	DBusMessage *msg = tc_capture_call(CAM0, "delay-ms", DBUS_TYPE_INT32, &long_delay, NULL);

	dbus_connection_send_with_reply(a, msg, &pending, 10000);
	dbus_message_unref(msg);
	tap_ok(wait_prop(CAM0, "State", "busy", 3000), "a long capture makes the device busy");
	tc_is_result(call(a, CAM0, "SelfTest"), ERR "Busy", "... another operation meanwhile is Busy");
	tc_is_result(call(a, CAM0, "Cancel"), "", "Cancel is accepted");
	dbus_pending_call_block(pending);
	reply = dbus_pending_call_steal_reply(pending);
	dbus_pending_call_unref(pending);
	tc_is_result(reply, ERR "Cancelled", "... and the capture ends with Cancelled");
	tap_ok(wait_prop(CAM0, "State", "idle", 3000), "... and the device is idle again");

	msg = tc_capture_call(CAM0, "timeout", DBUS_TYPE_INT32, &t100, "delay-ms", DBUS_TYPE_INT32,
		&long_delay, NULL);
	tc_is_result(tc_call_msg(a, msg, 10000), ERR "Timeout", "a capture longer than its timeout fails with Timeout");

	tc_is_result(tc_call_msg(a, tc_capture_call(CAM0, "fail", DBUS_TYPE_STRING, &io, NULL), 10000),
		ERR "DeviceError", "a device failure is a DeviceError");
	{
		char *last = prop(CAM0, "LastError");

		tap_contains(last, "failed on purpose", "... and LastError says what the device said");
		free(last);
	}
}

static void test_absent_and_stubborn(void)
{
	dbus_int32_t t100 = 100, ten_s = 10000;
	char *log;

	tc_is_result(call(a, CAM1, "Claim"), "", "an absent device can be claimed");
	tc_is_result(tc_call_msg(a, tc_capture_call(CAM1, NULL), 5000), ERR "Absent",
		"... but Capture says it is Absent");

	tap_ok(wait_prop(CAM2, "State", "idle", 5000), "camera2 opens");
	tc_is_result(call(a, CAM2, "Claim"), "", "... and is claimed");
	tc_is_result(tc_call_msg(a, tc_capture_call(CAM2, "timeout", DBUS_TYPE_INT32, &t100, "delay-ms",
				  DBUS_TYPE_INT32, &ten_s, NULL), 15000),
		ERR "Timeout", "a plugin that ignores cancel: the caller still gets Timeout");
	log = read_log();
	tap_contains(log, "plugin test-timer did not stop capture within",
		"... the stuck plugin is logged");
	free(log);
	tap_ok(wait_prop(CAM2, "State", "idle", 10000),
		"... and the device is reset (closed, reopened) and idle again");
}

static void test_auto_release(void)
{
	DBusError err;

	dbus_error_init(&err);
	tc_is_result(call(a, CAM0, "Release"), "", "client A releases camera0");
	is_prop(CAM0, "ClaimedBy", "", "... ClaimedBy is empty");
	tc_is_result(call(b, CAM0, "Claim"), "", "client B claims it");
	dbus_connection_close(b);
	dbus_connection_unref(b);
	b = NULL;
	tap_ok(wait_prop(CAM0, "ClaimedBy", "", 5000), "when client B leaves the bus, its claim ends");
	tc_is_result(call(a, CAM0, "Claim"), "", "... and client A can claim again");
}

int main(void)
{
	char config[160], rekamd[512], plugin_dir[512];
	const char *path = getenv("REKAMD"), *plugins = getenv("REKAM_TEST_PLUGIN_DIR");
	DBusError err;
	FILE *f;
	pid_t pid;

	if (!path || !plugins)
		tap_skip_all("REKAMD or REKAM_TEST_PLUGIN_DIR is not set (run through make check)");
	if (testbus_start(&tb) < 0)
		tap_bail("cannot start dbus-daemon");
	snprintf(config, sizeof(config), "%s/rekamd.conf", tb.dir);
	snprintf(state_dir, sizeof(state_dir), "%s/state", tb.dir);
	snprintf(log_path, sizeof(log_path), "%s/rekamd.log", tb.dir);
	snprintf(rekamd, sizeof(rekamd), "%s", path);
	snprintf(plugin_dir, sizeof(plugin_dir), "%s", plugins);
	f = fopen(config, "w");
	if (!f)
		tap_bail("cannot write %s", config);
	fputs("[station]\nid = 6305-TEST-01\n"
	      "[device cam]\nplugin = test-timer\nconnection = test:1\n"
	      "[device gone]\nplugin = test-timer\nconnection = test:2\nopen = absent\n"
	      "[device stub]\nplugin = test-timer\nconnection = test:3\nstubborn = true\n"
	      "[device bad]\nplugin = test-probefail\nconnection = test:4\n"
	      "[device ghost]\nplugin = not-there\nconnection = test:5\n", f);
	fclose(f);

	char *argv[] = { rekamd, "--session", "--state-dir", state_dir, "--config", config,
		"--plugin-dir", plugin_dir, NULL };
	pid = testbus_spawn(&tb, argv, NULL, log_path);

	dbus_error_init(&err);
	a = dbus_bus_get_private(DBUS_BUS_SESSION, &err);
	b = dbus_bus_get_private(DBUS_BUS_SESSION, &err);
	if (!a || !b)
		tap_bail("cannot connect to the test bus");
	dbus_bus_add_match(a, "type='signal',interface='" DEVICE_IFACE "'", &err);
	for (int i = 0; i < 200 && !dbus_bus_name_has_owner(a, NAME, NULL); i++)
		usleep(50 * 1000);
	if (!dbus_bus_name_has_owner(a, NAME, NULL)) {
		char *log = read_log();

		tap_bail("rekamd did not start: %s", log);
	}

	test_loading();
	test_objects();
	test_claims();
	test_self_test();
	test_capture();
	test_bad_options();
	test_cancel_and_timeout();
	test_absent_and_stubborn();
	test_auto_release();

	kill(pid, SIGTERM);
	tap_is_int(testbus_wait(pid, 10000), 0, "rekamd stops cleanly with claimed devices");
	{
		char *log = read_log();

		tap_ok(!strstr(log, "left watches or timers behind"),
			"the test plugin left no watch or timer behind");
		free(log);
	}
	dbus_connection_close(a);
	dbus_connection_unref(a);
	testbus_stop(&tb);
	return tap_done();
}
