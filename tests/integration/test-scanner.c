// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * rekam - integration tests
 *
 * test-scanner.c - the document scanner end to end: rekam-sim-scanner on
 * 127.0.0.1, sane-airscan pointed at it by a private SANE_CONFIG_DIR (no
 * system-wide configuration), rekamd loading the scanner-sane plugin, and a
 * libdbus client that finds the scanner, runs its self-test and scans: a
 * page from the glass, a two-page F1.02 from the feeder (with its PDF), a
 * grey JPEG of the family card; then the faults as the operator meets them
 * (a jam mid-document, an empty feeder, an open cover, cancel, a timeout,
 * bad options, unplug and replug), each a clear D-Bus error that loses
 * nothing and leaves the scanner usable; SANE's own test backend as a
 * second path; and last, rekamd told to stop in the middle of a slow scan:
 * the scan is cancelled and rekamd exits without waiting for libsane.
 */
#include <config.h>

#include <dirent.h>
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

#define SCANNER TC_ROOT "/devices/scanner0"
#define TESTSCAN TC_ROOT "/devices/scanner1"

static struct testbus tb;
static DBusConnection *conn;
static struct testbus_files files;

/* --- the simulator's control socket ------------------------------------------------ */

/* The simulator's control socket. */
static char *control_cmd(const char *cmd)
{
	return tc_sim_control(files.control, cmd);
}

static void control_ok(const char *cmd)
{
	tc_sim_control_ok(files.control, cmd);
}

/* One value of the simulator's status line, in @out. */
static void sim_status(const char *key, char *out, size_t size)
{
	char *line = control_cmd("status"), pattern[48], *p;

	snprintf(pattern, sizeof(pattern), " %s=", key);
	p = strstr(line, pattern);
	snprintf(out, size, "%.*s", p ? (int)strcspn(p + strlen(pattern), " ") : 0,
		p ? p + strlen(pattern) : "");
	free(line);
}


/* A Capture that must work: its artifacts in @art, their number returned. */
static int capture(DBusMessage *call, struct tc_artifact *art, int max, const char *what)
{
	DBusMessage *reply = tc_call_msg(conn, call, 60000);
	int n = tc_parse_artifacts(reply, art, max);

	if (n < 0) {
		char *last = tc_prop(conn, SCANNER, TC_DEVICE, "LastError");

		tap_diag("%s: %s (%s)", what, dbus_message_get_error_name(reply), last);
		free(last);
	}
	dbus_message_unref(reply);
	return n;
}

/* The bytes of a stored artifact, through ReadArtifact (they are sealed on disk):
 * does it start with @magic and hold @needle (when not NULL)? */
static bool stored_is(const struct tc_artifact *a, const void *magic, size_t len,
		const char *needle)
{
	DBusMessage *msg = tc_new_call(TC_ROOT, TC_NAME, "ReadArtifact"), *reply;
	const char *handle = a->handle;
	DBusMessageIter iter, bytes;
	const unsigned char *data = NULL;
	int n = 0;
	bool ok = false;

	dbus_message_append_args(msg, DBUS_TYPE_STRING, &handle, DBUS_TYPE_INVALID);
	reply = tc_call_msg(conn, msg, 120000); /* slow under valgrind */
	if (dbus_message_get_type(reply) == DBUS_MESSAGE_TYPE_METHOD_RETURN &&
			!strcmp(dbus_message_get_signature(reply), "a{sv}ay")) {
		dbus_message_iter_init(reply, &iter);
		dbus_message_iter_next(&iter);
		dbus_message_iter_recurse(&iter, &bytes);
		dbus_message_iter_get_fixed_array(&bytes, &data, &n);
		ok = data && (size_t)n >= len && !memcmp(data, magic, len) &&
			(!needle || memmem(data, (size_t)n, needle, strlen(needle)));
	}
	dbus_message_unref(reply);
	return ok;
}

static int count_artifacts(void)
{
	char path[160];
	struct dirent *e;
	DIR *d;
	int n = 0;

	snprintf(path, sizeof(path), "%s/artifacts", files.state_dir);
	d = opendir(path);
	if (!d)
		return 0;
	while ((e = readdir(d)))
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

/* A call's result is @want ("" or an error name); the error's words on failure. */
static void result_is(DBusMessage *reply, const char *want, const char *what)
{
	const char *got = dbus_message_get_type(reply) == DBUS_MESSAGE_TYPE_ERROR ?
		dbus_message_get_error_name(reply) : "";
	const char *words = NULL;

	if (!tap_ok(!strcmp(got, want), "%s", what)) {
		dbus_message_get_args(reply, NULL, DBUS_TYPE_STRING, &words, DBUS_TYPE_INVALID);
		tap_diag("got %s (%s), expected %s", got, words ? words : "", want);
	}
	dbus_message_unref(reply);
}

static void is_error(DBusMessage *call, const char *error, const char *in_last_error,
		const char *what)
{
	char *last;

	result_is(tc_call_msg(conn, call, 60000), error, what);
	if (!in_last_error)
		return;
	last = tc_prop(conn, SCANNER, TC_DEVICE, "LastError");
	tap_contains(last, in_last_error, "... and LastError says \"%s\"", in_last_error);
	free(last);
}

/* --- the tests ------------------------------------------------------------------------------ */

static void test_discovery(void)
{
	char *model;

	tap_ok(tc_wait_prop(conn, SCANNER, "State", "idle", 20000), "the scanner is opened and idle");
	tc_is_prop(conn, SCANNER, "Class", "scanner", "... its class is scanner");
	model = tc_prop(conn, SCANNER, TC_DEVICE, "Model");
	tap_contains(model, "Rekam Sim", "... its model comes from sane-airscan");
	free(model);
	tc_is_result(tc_call(conn, SCANNER, "Claim"), "", "the client claims the scanner");
}

static void test_self_test(void)
{
	int n;

	tap_ok(tc_self_test(conn, SCANNER, 60000, &n), "the scanner's self-test passes");
	tap_is_int(n, 3, "... in three steps (connection, options, a test scan)");
}

static void test_glass(void)
{
	struct tc_artifact art[4];
	int n = capture(tc_capture_call(SCANNER, NULL), art, 4, "glass");

	tap_is_int(n, 1, "a scan of the glass gives one page");
	if (n != 1)
		return;
	tap_is_str(art[0].kind, "document", "... of kind document (no document named)");
	tap_is_str(art[0].format, "image/png", "... as PNG");
	tap_ok(art[0].width == 827 && art[0].height == 1169 && art[0].dpi == 100,
		"... A4 at the configured 100 dpi: 827 x 1169 (got %u x %u at %u)", art[0].width,
		art[0].height, art[0].dpi);
	tap_ok(stored_is(&art[0], "\x89PNG\r\n\x1a\n", 8, "pHYs"),
		"the stored page is a PNG carrying its resolution (pHYs)");
}

static void test_feeder(void)
{
	dbus_bool_t yes = TRUE;
	const char *adf = "adf", *f102 = "f102";
	struct tc_artifact art[4];
	char pages0[16], pages1[16], left[16];
	int n;

	sim_status("pages", pages0, sizeof(pages0));
	n = capture(tc_capture_call(SCANNER, "source", DBUS_TYPE_STRING, &adf, "document",
		DBUS_TYPE_STRING, &f102, "pdf", DBUS_TYPE_BOOLEAN, &yes, NULL), art, 4, "feeder");
	tap_is_int(n, 3, "a two-page F1.02 from the feeder: two pages and a PDF");
	if (n != 3)
		return;
	tap_ok(!strcmp(art[0].kind, "f102") && !strcmp(art[1].kind, "f102") &&
		!strcmp(art[2].kind, "f102"), "... every artifact is of kind f102");
	tap_ok(!strcmp(art[0].format, "image/png") && !strcmp(art[1].format, "image/png"),
		"... the pages as PNG");
	tap_is_str(art[2].format, "application/pdf", "... and one PDF");
	tap_ok(stored_is(&art[2], "%PDF-1.4", 8, "/Count 2"), "the stored PDF is a PDF of two pages");
	sim_status("pages", pages1, sizeof(pages1));
	tap_is_int(atoi(pages1) - atoi(pages0), 2, "the simulator fed two sheets");
	sim_status("adf", left, sizeof(left));
	tap_is_str(left, "0", "... and its feeder is empty");
}

static void test_gray_jpeg(void)
{
	const char *gray = "gray", *jpeg = "jpeg", *kk = "kk";
	dbus_int32_t res = 75;
	struct tc_artifact art[2];
	char mode[16], doc[16];
	int n;

	control_ok("document kk");
	n = capture(tc_capture_call(SCANNER, "mode", DBUS_TYPE_STRING, &gray, "format",
		DBUS_TYPE_STRING, &jpeg, "document", DBUS_TYPE_STRING, &kk, "resolution",
		DBUS_TYPE_INT32, &res, NULL), art, 2, "grey");
	tap_is_int(n, 1, "a grey JPEG of the family card: one page");
	if (n != 1)
		return;
	tap_ok(!strcmp(art[0].kind, "kk") && !strcmp(art[0].format, "image/jpeg") &&
		art[0].dpi == 75, "... kind kk, image/jpeg, 75 dpi");
	tap_ok(stored_is(&art[0], "\xff\xd8\xff", 3, NULL), "the stored page is a JPEG");
	sim_status("last-mode", mode, sizeof(mode));
	sim_status("last-document", doc, sizeof(doc));
	tap_ok(!strcmp(mode, "gray") && !strcmp(doc, "kk"), "the simulator scanned the card in grey");

	/* the marriage certificate keeps the SOP's own name as its kind */
	{
		const char *akta = "akta_nikah";

		control_ok("document akta_nikah");
		n = capture(tc_capture_call(SCANNER, "format", DBUS_TYPE_STRING, &jpeg, "document",
			DBUS_TYPE_STRING, &akta, "resolution", DBUS_TYPE_INT32, &res, NULL), art, 2,
			"marriage certificate");
		tap_ok(n == 1 && !strcmp(art[0].kind, "akta_nikah"),
			"the marriage certificate is kept as kind akta_nikah");
	}
}

static DBusMessage *adf_call(void)
{
	const char *adf = "adf", *f102 = "f102";
	dbus_int32_t res = 75;

	return tc_capture_call(SCANNER, "source", DBUS_TYPE_STRING, &adf, "document",
		DBUS_TYPE_STRING, &f102, "resolution", DBUS_TYPE_INT32, &res, NULL);
}

static void test_feeder_faults(void)
{
	struct tc_artifact art[4];
	int before;

	control_ok("load 3 f102");
	control_ok("jam 2");
	before = count_artifacts();
	is_error(adf_call(), TC_ERR "DeviceError", "Paper jam in the document feeder at page 2",
		"a jam mid-document: DeviceError");
	{
		char *last = tc_prop(conn, SCANNER, TC_DEVICE, "LastError");

		tap_contains(last, "was discarded", "... saying the page before the jam was discarded");
		free(last);
	}
	tap_is_int(count_artifacts(), before, "... and nothing of the document is stored");
	tap_ok(tc_wait_prop(conn, SCANNER, "State", "idle", 5000), "... the scanner stays usable");
	is_error(adf_call(), TC_ERR "DeviceError", "Paper jam", "still jammed: DeviceError again");
	control_ok("clear");
	control_ok("load 2 f102");
	tap_is_int(capture(adf_call(), art, 4, "after the jam"), 2,
		"cleared and reloaded: the whole F1.02 scans");

	control_ok("empty");
	is_error(adf_call(), TC_ERR "DeviceError", "feeder is empty", "an empty feeder: DeviceError");
	control_ok("load 1");
	control_ok("cover-open");
	is_error(adf_call(), TC_ERR "DeviceError", "cover is open", "an open cover: DeviceError");
	control_ok("clear");
	tap_is_int(capture(adf_call(), art, 4, "after the cover"), 1, "closed: the sheet scans");
}

static void test_cancel(void)
{
	DBusPendingCall *pending = NULL;
	DBusMessage *call, *reply;
	dbus_int32_t timeout = 400;

	control_ok("slow 20000");
	call = tc_capture_call(SCANNER, NULL);
	dbus_connection_send_with_reply(conn, call, &pending, 60000);
	dbus_message_unref(call);
	dbus_connection_flush(conn);
	tap_ok(tc_wait_prop(conn, SCANNER, "State", "busy", 10000), "a slow scan runs");
	tc_is_result(tc_call(conn, SCANNER, "Cancel"), "", "the client cancels it");
	dbus_pending_call_block(pending);
	reply = dbus_pending_call_steal_reply(pending);
	dbus_pending_call_unref(pending);
	result_is(reply, TC_ERR "Cancelled", "... the capture ends with Cancelled");
	tap_ok(tc_wait_prop(conn, SCANNER, "State", "idle", 10000), "... and the scanner is idle");

	result_is(tc_call_msg(conn, tc_capture_call(SCANNER, "timeout", DBUS_TYPE_INT32,
		&timeout, NULL), 60000), TC_ERR "Timeout", "a scan past its timeout: Timeout");
	control_ok("slow 0");
	tap_ok(tc_wait_prop(conn, SCANNER, "State", "idle", 10000), "... and the scanner is idle");
}

static void test_bad_options(void)
{
	const char *tray = "tray", *passport = "passport", *tiff = "tiff";
	dbus_int32_t res = 5;
	int before = count_artifacts();

	is_error(tc_capture_call(SCANNER, "resolution", DBUS_TYPE_INT32, &res, NULL),
		TC_ERR "InvalidArguments", NULL, "resolution 5: InvalidArguments");
	is_error(tc_capture_call(SCANNER, "source", DBUS_TYPE_STRING, &tray, NULL),
		TC_ERR "InvalidArguments", NULL, "source tray: InvalidArguments");
	is_error(tc_capture_call(SCANNER, "document", DBUS_TYPE_STRING, &passport, NULL),
		TC_ERR "InvalidArguments", NULL, "document passport: InvalidArguments");
	is_error(tc_capture_call(SCANNER, "format", DBUS_TYPE_STRING, &tiff, NULL),
		TC_ERR "InvalidArguments", NULL, "format tiff: InvalidArguments");
	res = 123;
	is_error(tc_capture_call(SCANNER, "resolution", DBUS_TYPE_INT32, &res, NULL),
		TC_ERR "InvalidArguments", NULL, "a resolution the scanner does not offer: "
		"InvalidArguments");
	tap_is_int(count_artifacts(), before, "bad options store nothing");
	tap_ok(tc_wait_prop(conn, SCANNER, "State", "idle", 5000), "... and change nothing");
}

static void test_unplug(void)
{
	struct tc_artifact art[2];
	char *last;

	control_ok("unplug");
	tap_ok(tc_wait_prop(conn, SCANNER, "State", "absent", 10000),
		"unplugged while idle: the presence check finds the scanner gone");
	last = tc_prop(conn, SCANNER, TC_DEVICE, "LastError");
	tap_contains(last, "stopped answering", "... and LastError says so");
	free(last);
	control_ok("replug");
	tap_ok(tc_wait_prop(conn, SCANNER, "State", "idle", 20000), "replugged: idle again by itself");

	control_ok("unplug");
	usleep(300 * 1000); /* the simulator closes its port within 50 ms */
	is_error(tc_capture_call(SCANNER, NULL), TC_ERR "Absent", NULL,
		"unplugged, then a scan: it fails with Absent");
	tap_ok(tc_wait_prop(conn, SCANNER, "State", "absent", 10000), "... and State is absent");
	control_ok("replug");
	tap_ok(tc_wait_prop(conn, SCANNER, "State", "idle", 20000), "replugged: the scanner is idle");
	tap_is_int(capture(tc_capture_call(SCANNER, NULL), art, 2, "replug"), 1,
		"... and scans again");
}

static void test_sane_test_backend(void)
{
	dbus_int32_t res = 75;
	struct tc_artifact art[2];
	int n;

	tap_ok(tc_wait_prop(conn, TESTSCAN, "State", "idle", 20000),
		"SANE's test backend (sane:test:0) is opened too");
	tc_is_result(tc_call(conn, TESTSCAN, "Claim"), "", "... claimed");
	n = capture(tc_capture_call(TESTSCAN, "resolution", DBUS_TYPE_INT32, &res, NULL), art, 2,
		"test backend");
	tap_is_int(n, 1, "... it scans one page");
	if (n == 1)
		tap_ok(!strcmp(art[0].format, "image/png") && art[0].width > 0 && art[0].dpi == 75,
			"... a PNG at 75 dpi (%u x %u)", art[0].width, art[0].height);
	tc_is_result(tc_call(conn, TESTSCAN, "Release"), "", "... released");
}

/* SIGTERM while a slow page is on its way: rekamd cancels the scan, closes
 * the scanner and exits, although libsane would wait minutes for the page. */
static void test_stop_during_scan(pid_t rk_pid, const char *log_path)
{
	DBusPendingCall *pending = NULL;
	DBusMessage *call;
	char *log;

	tc_is_result(tc_call(conn, SCANNER, "Claim"), "", "the client claims the scanner again");
	control_ok("slow 600000");
	call = tc_capture_call(SCANNER, NULL);
	dbus_connection_send_with_reply(conn, call, &pending, 60000);
	dbus_message_unref(call);
	dbus_connection_flush(conn);
	tap_ok(tc_wait_prop(conn, SCANNER, "State", "busy", 10000),
		"a scan whose page takes ten minutes runs");
	kill(rk_pid, SIGTERM);
	dbus_pending_call_block(pending);
	result_is(dbus_pending_call_steal_reply(pending), TC_ERR "Cancelled",
		"SIGTERM during it: the capture ends with Cancelled");
	dbus_pending_call_unref(pending);
	tap_is_int(testbus_wait(rk_pid, 20000), 0, "... and rekamd stops cleanly, not waiting "
		"for the page");
	log = testbus_read_file(log_path);
	tap_contains(log, SCANNER ": its capture is cancelled: rekamd is stopping",
		"... its log says the capture was cancelled");
	tap_ok(log && !strstr(log, "left watches or timers behind") &&
		!strstr(log, "did not stop") && !strstr(log, "still busy"),
		"the scanner plugin left nothing behind, and no worker held up the stop");
	free(log);
	control_ok("slow 0");
}

/* --- setup ------------------------------------------------------------------------------------ */

static void write_file(const char *dir, const char *name, const char *text)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	if (!f)
		tap_bail("cannot write %s", path);
	fputs(text, f);
	fclose(f);
}

int main(void)
{
	const char *src = getenv("top_srcdir"), *plugins;
	char sane_dir[128], text[512], escl[128], env_sane[160], env_vg[600], env_lsan[600];
	pid_t sim_pid, rk_pid;

	if (!src)
		tap_skip_all("top_srcdir is not set (run through make check)");
	if (access("/usr/lib/x86_64-linux-gnu/sane/libsane-airscan.so.1", F_OK) != 0 &&
			access("/usr/lib/sane/libsane-airscan.so.1", F_OK) != 0)
		tap_skip_all("sane-airscan is not installed");
	plugins = testbus_start_device_test(&tb, &files, "scanner", "scn");
	snprintf(sane_dir, sizeof(sane_dir), "%s/sane", tb.dir);

	/* The scanner, a hundred times faster than life, on a port of its choice. */
	char *sim_argv[] = { files.sim, "--socket", files.sock, "--control", files.control,
		"--seed", "11", "--time-scale", "0.01", "--port", "0", "--adf", "2", "--document",
		"f102", "--verbose", NULL };
	sim_pid = testbus_start_sim(&tb, sim_argv, files.control, files.sim_log);
	if (sim_pid < 0)
		tap_bail("rekam-sim-scanner did not start");
	/* the socket file appears at bind(), a moment before listen(): ask until it answers */
	for (int i = 0; i < 100 && (sim_status("escl", escl, sizeof(escl)), !escl[0]); i++)
		usleep(50 * 1000);
	if (!escl[0])
		tap_bail("rekam-sim-scanner did not start");

	/* SANE for rekamd only: airscan and test, the simulator as the one eSCL device. */
	if (mkdir(sane_dir, 0700) < 0)
		tap_bail("cannot make %s", sane_dir);
	write_file(sane_dir, "dll.conf", "airscan\ntest\n");
	snprintf(text, sizeof(text), "[devices]\n\"Rekam Sim\" = %s, eSCL\n[options]\n"
		"discovery = disable\n", escl);
	write_file(sane_dir, "airscan.conf", text);
	write_file(sane_dir, "test.conf", "number_of_devices 1\n");
	snprintf(text, sizeof(text), "[station]\nid = 6305-TEST-01\n"
		"[device scanner]\nplugin = scanner-sane\nconnection = sane:airscan:e0:Rekam Sim\n"
		"resolution = 100\npresence-check = 1\n"
		"[device testscan]\nplugin = scanner-sane\nconnection = sane:test:0\n");

	snprintf(env_sane, sizeof(env_sane), "SANE_CONFIG_DIR=%s", sane_dir);
	/* under valgrind: libsane's own leaks are suppressed (named after their
	 * libraries, kept symbolised although rekamd unloads them at exit) */
	snprintf(env_vg, sizeof(env_vg), "VALGRIND_OPTS=--keep-debuginfo=yes --suppressions=%s/"
		"tests/integration/scanner-sane.supp%s", src, getenv("REKAM_TEST_GEN_SUPP") ?
		" --gen-suppressions=all" : "");
	/* in an ASan build: the same leaks for LeakSanitizer */
	snprintf(env_lsan, sizeof(env_lsan), "LSAN_OPTIONS=suppressions=%s/tests/integration/"
		"scanner-sane.lsan:print_suppressions=0", src);
	char *env[] = { env_sane, env_vg, env_lsan, NULL };
	rk_pid = testbus_start_rekamd(&tb, plugins, text, NULL, env, &conn);

	test_discovery();
	test_self_test();
	test_glass();
	test_feeder();
	test_gray_jpeg();
	test_feeder_faults();
	test_cancel();
	test_bad_options();
	test_unplug();
	tc_is_result(tc_call(conn, SCANNER, "Release"), "", "the client releases the scanner");
	test_sane_test_backend();
	test_stop_during_scan(rk_pid, files.log_path);
	return testbus_end_device_test(&tb, sim_pid, conn);
}
