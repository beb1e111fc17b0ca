// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * rekam - integration tests
 *
 * test-jobs.c - device jobs (plugin ABI 1.1) and reading artifacts back,
 * through rekamd over D-Bus: Job with string and byte-array options, its
 * results and the artifact it keeps, ReadArtifact returning exactly those
 * bytes (and refusing a damaged file), a job that fails, an unknown action,
 * bad arguments, cancel, and a plugin of ABI 1.0 whose job op the host must
 * never use. The devices come from tests/plugins/test-plugin.c.
 */
#include <config.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <dbus/dbus.h>

#include "tap.h"
#include "testbus.h"
#include "testclient.h"

#define CAM0 TC_ROOT "/devices/camera0" /* ABI 1.1 test device */
#define CAM1 TC_ROOT "/devices/camera1" /* the same, declaring ABI 1.0 */
#define DATA_SIZE 300001

static struct testbus tb;
static DBusConnection *a, *b;
static char log_path[160], state_dir[160];

/* Job(@action, {"text": @text, "data": @data[@size], "delay-ms": @delay}). */
static DBusMessage *job_call(const char *path, const char *action, const char *text,
		const unsigned char *data, int size, int delay)
{
	DBusMessage *msg = tc_new_call(path, TC_DEVICE, "Job");
	DBusMessageIter iter, dict, entry, var, bytes;
	const char *k;

	dbus_message_iter_init_append(msg, &iter);
	dbus_message_iter_append_basic(&iter, DBUS_TYPE_STRING, &action);
	dbus_message_iter_open_container(&iter, DBUS_TYPE_ARRAY, "{sv}", &dict);
	if (text) {
		k = "text";
		dbus_message_iter_open_container(&dict, DBUS_TYPE_DICT_ENTRY, NULL, &entry);
		dbus_message_iter_append_basic(&entry, DBUS_TYPE_STRING, &k);
		dbus_message_iter_open_container(&entry, DBUS_TYPE_VARIANT, "s", &var);
		dbus_message_iter_append_basic(&var, DBUS_TYPE_STRING, &text);
		dbus_message_iter_close_container(&entry, &var);
		dbus_message_iter_close_container(&dict, &entry);
	}
	if (data) {
		k = "data";
		dbus_message_iter_open_container(&dict, DBUS_TYPE_DICT_ENTRY, NULL, &entry);
		dbus_message_iter_append_basic(&entry, DBUS_TYPE_STRING, &k);
		dbus_message_iter_open_container(&entry, DBUS_TYPE_VARIANT, "ay", &var);
		dbus_message_iter_open_container(&var, DBUS_TYPE_ARRAY, "y", &bytes);
		dbus_message_iter_append_fixed_array(&bytes, DBUS_TYPE_BYTE, &data, size);
		dbus_message_iter_close_container(&var, &bytes);
		dbus_message_iter_close_container(&entry, &var);
		dbus_message_iter_close_container(&dict, &entry);
	}
	if (delay >= 0) {
		dbus_int32_t d = delay;

		k = "delay-ms";
		dbus_message_iter_open_container(&dict, DBUS_TYPE_DICT_ENTRY, NULL, &entry);
		dbus_message_iter_append_basic(&entry, DBUS_TYPE_STRING, &k);
		dbus_message_iter_open_container(&entry, DBUS_TYPE_VARIANT, "i", &var);
		dbus_message_iter_append_basic(&var, DBUS_TYPE_INT32, &d);
		dbus_message_iter_close_container(&entry, &var);
		dbus_message_iter_close_container(&dict, &entry);
	}
	dbus_message_iter_close_container(&iter, &dict);
	return msg;
}

static DBusMessage *read_artifact_call(const char *handle)
{
	DBusMessage *msg = tc_new_call(TC_ROOT, TC_NAME, "ReadArtifact");

	dbus_message_append_args(msg, DBUS_TYPE_STRING, &handle, DBUS_TYPE_INVALID);
	return msg;
}

static void test_echo(void)
{
	unsigned char *data = malloc(DATA_SIZE);
	DBusMessageIter iter, artifacts, meta, bytes;
	DBusMessage *reply;
	const char *text = NULL, *kind = NULL, *handle = NULL, *s = NULL;
	char saved_handle[40] = "";
	dbus_int64_t n = 0, sum = 0, want_sum = 0;
	dbus_bool_t even = TRUE;
	dbus_uint64_t size = 0;
	const unsigned char *got = NULL;
	int got_n = 0;

	for (int i = 0; i < DATA_SIZE; i++) {
		data[i] = (unsigned char)(i * 31 + 7);
		want_sum += data[i];
	}
	reply = tc_call_msg(a, job_call(CAM0, "echo", "halo rekam", data, DATA_SIZE, 20), 20000);
	tap_is_str(dbus_message_get_signature(reply), "a{sv}aa{sv}",
		"Job answers with its results and its artifacts");
	if (dbus_message_get_type(reply) == DBUS_MESSAGE_TYPE_METHOD_RETURN) {
		dbus_message_iter_init(reply, &iter);
		tc_dict_get(&iter, "Text", DBUS_TYPE_STRING, &text);
		tc_dict_get(&iter, "Bytes", DBUS_TYPE_INT64, &n);
		tc_dict_get(&iter, "Sum", DBUS_TYPE_INT64, &sum);
		tc_dict_get(&iter, "Even", DBUS_TYPE_BOOLEAN, &even);
		dbus_message_iter_next(&iter);
		dbus_message_iter_recurse(&iter, &artifacts);
		tc_dict_get(&artifacts, "Kind", DBUS_TYPE_STRING, &kind);
		tc_dict_get(&artifacts, "Handle", DBUS_TYPE_STRING, &handle);
		tc_dict_get(&artifacts, "Size", DBUS_TYPE_UINT64, &size);
		if (handle)
			snprintf(saved_handle, sizeof(saved_handle), "%s", handle);
	}
	tap_is_str(text ? text : "", "halo rekam", "a string option reaches the plugin");
	tap_is_int(n, DATA_SIZE, "a byte-array option reaches it whole");
	tap_is_int(sum, want_sum, "... byte for byte (their sum)");
	tap_ok(!even, "a boolean result comes back as a boolean");
	tap_is_str(kind ? kind : "", "job-data", "the job's artifact is kept");
	tap_is_int(size, DATA_SIZE, "... with its size");
	dbus_message_unref(reply);

	reply = tc_call_msg(a, read_artifact_call(saved_handle), 10000);
	tap_is_str(dbus_message_get_signature(reply), "a{sv}ay",
		"ReadArtifact answers with metadata and bytes");
	if (dbus_message_get_type(reply) == DBUS_MESSAGE_TYPE_METHOD_RETURN) {
		dbus_message_iter_init(reply, &meta);
		tc_dict_get(&meta, "Device", DBUS_TYPE_STRING, &s);
		dbus_message_iter_init(reply, &iter);
		dbus_message_iter_next(&iter);
		dbus_message_iter_recurse(&iter, &bytes);
		dbus_message_iter_get_fixed_array(&bytes, &got, &got_n);
	}
	tap_is_str(s ? s : "", CAM0, "... naming the device that made it");
	tap_ok(got_n == DATA_SIZE && got && memcmp(got, data, DATA_SIZE) == 0,
		"ReadArtifact returns exactly the bytes the job kept (%d)", got_n);
	dbus_message_unref(reply);

	/* Any client may read an artifact by its handle (roles come later). */
	reply = tc_call_msg(b, read_artifact_call(saved_handle), 10000);
	tc_is_result(reply, "", "another client reads it too");

	/* Damage the file: the bytes no longer match their SHA-256. */
	{
		char path[256];
		FILE *f;

		snprintf(path, sizeof(path), "%s/artifacts/%s", state_dir, saved_handle);
		f = fopen(path, "r+b");
		if (f) {
			fseek(f, 1000, SEEK_SET);
			fputc(data[1000] ^ 0x40, f);
			fclose(f);
		}
		tap_ok(f != NULL, "the artifact's file is where the state dir keeps it");
	}
	reply = tc_call_msg(a, read_artifact_call(saved_handle), 10000);
	tc_is_result(reply, TC_ERR "Failed", "a damaged artifact is refused, not sent");
	free(data);
}

static void test_errors(void)
{
	unsigned char *big;

	tc_is_result(tc_call_msg(a, job_call(CAM0, "fail", NULL, NULL, 0, 10), 10000),
		TC_ERR "DeviceError", "a job that fails on the device is a DeviceError");
	tc_is_result(tc_call_msg(a, job_call(CAM0, "polish", NULL, NULL, 0, 10), 10000),
		TC_ERR "NotSupported", "an action the plugin does not know is NotSupported");
	tc_is_result(tc_call_msg(a, job_call(CAM0, "Print!", NULL, NULL, 0, 10), 10000),
		TC_ERR "InvalidArguments", "an action with odd characters is refused");
	tc_is_result(tc_call_msg(a, job_call(CAM0, "", NULL, NULL, 0, 10), 10000),
		TC_ERR "InvalidArguments", "an empty action is refused");
	tc_is_result(tc_call_msg(b, job_call(CAM0, "echo", "x", NULL, 0, 10), 10000),
		TC_ERR "NotClaimed", "a client without the claim cannot run a job");
	big = calloc(1, (16u << 20) + 1);
	tc_is_result(tc_call_msg(a, job_call(CAM0, "echo", NULL, big, (16 << 20) + 1, 10), 60000),
		TC_ERR "InvalidArguments", "a byte option over 16 MiB is refused");
	free(big);
	tc_is_prop(a, CAM0, "State", "idle", "... and none of that left the device busy");

	tc_is_result(tc_call_msg(a, read_artifact_call("0123"), 5000),
		TC_ERR "InvalidArguments", "ReadArtifact refuses what is not a handle");
	tc_is_result(tc_call_msg(a, read_artifact_call("0123456789abcdef0123456789abcdef"), 5000),
		TC_ERR "NotFound", "ReadArtifact of an unknown handle is NotFound");
}

static void test_cancel(void)
{
	DBusPendingCall *pending;
	DBusMessage *msg = job_call(CAM0, "echo", "slow", NULL, 0, 4000), *reply;

	dbus_connection_send_with_reply(a, msg, &pending, 20000);
	dbus_message_unref(msg);
	tap_ok(tc_wait_prop(a, CAM0, "State", "busy", 3000), "a long job makes the device busy");
	tc_is_result(tc_call(a, CAM0, "Cancel"), "", "Cancel is accepted");
	dbus_pending_call_block(pending);
	reply = dbus_pending_call_steal_reply(pending);
	dbus_pending_call_unref(pending);
	tc_is_result(reply, TC_ERR "Cancelled", "... and the job ends with Cancelled");
	tap_ok(tc_wait_prop(a, CAM0, "State", "idle", 3000), "... leaving the device idle");
}

static void test_abi_1_0(void)
{
	tc_is_result(tc_call(a, CAM1, "Claim"), "", "a device of an ABI 1.0 plugin can be claimed");
	tc_is_result(tc_call_msg(a, job_call(CAM1, "echo", "x", NULL, 0, 10), 10000),
		TC_ERR "NotSupported", "... but has no jobs, whatever its ops table holds");
	tc_is_result(tc_call_msg(a, tc_capture_call(CAM1, NULL), 10000), "",
		"... while its 1.0 operations work");
}

int main(void)
{
	char config[160];
	const char *rekamd = getenv("REKAMD"), *plugins = getenv("REKAM_TEST_PLUGIN_DIR");
	DBusError err;
	FILE *f;
	pid_t pid;

	if (!rekamd || !plugins)
		tap_skip_all("REKAMD or REKAM_TEST_PLUGIN_DIR is not set (run through make check)");
	if (testbus_start(&tb) < 0)
		tap_bail("cannot start dbus-daemon");
	snprintf(config, sizeof(config), "%s/rekamd.conf", tb.dir);
	snprintf(state_dir, sizeof(state_dir), "%s/state", tb.dir);
	snprintf(log_path, sizeof(log_path), "%s/rekamd.log", tb.dir);
	f = fopen(config, "w");
	if (!f)
		tap_bail("cannot write %s", config);
	fputs("[station]\nid = 6305-TEST-01\n"
	      "[device cam]\nplugin = test-timer\nconnection = test:1\n"
	      "[device old]\nplugin = test-abi10\nconnection = test:2\n", f);
	fclose(f);

	char *argv[] = { (char *)rekamd, "--session", "--state-dir", state_dir, "--config", config,
		"--plugin-dir", (char *)plugins, NULL };
	pid = testbus_spawn(&tb, argv, NULL, log_path);

	dbus_error_init(&err);
	a = dbus_bus_get_private(DBUS_BUS_SESSION, &err);
	b = dbus_bus_get_private(DBUS_BUS_SESSION, &err);
	if (!a || !b)
		tap_bail("cannot connect to the test bus");
	for (int i = 0; i < 200 && !tc_wait_prop(a, CAM1, "State", "idle", 0); i++)
		usleep(50 * 1000);
	if (!tc_wait_prop(a, CAM0, "State", "idle", 5000))
		tap_bail("rekamd did not start: %s", testbus_read_file(log_path));

	tc_is_result(tc_call(a, CAM0, "Claim"), "", "the test device is claimed");
	test_echo();
	test_errors();
	test_cancel();
	test_abi_1_0();

	kill(pid, SIGTERM);
	tap_is_int(testbus_wait(pid, 10000), 0, "rekamd stops cleanly");
	dbus_connection_close(a);
	dbus_connection_unref(a);
	dbus_connection_close(b);
	dbus_connection_unref(b);
	testbus_stop(&tb);
	return tap_done();
}
