// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * rekam - integration tests
 *
 * test-biometric.c - fingerprints and irises end to end: rekam-sim-biometric
 * (a MOSIP SBI device service on a loopback port), rekamd with the
 * fingerprint-sbi and iris-sbi plugins (the fingerprint one finds the
 * service by scanning a port range), and a libdbus client that captures the
 * ten fingers (left slap, right slap, thumbs) and both irises with their
 * quality scores, an exception finger and a finger the device cannot
 * detect; then the faults of the simulator: a tampered signature and an
 * unsigned reply (DeviceError saying so), busy, not ready, a dropped
 * connection, a capture slower than its timeout (Timeout, and the device is
 * usable again), the service stopped and started again (Absent, then idle),
 * each ending in a clear D-Bus error, and a good capture afterwards. The
 * quality policy (daemon/biometric-quality.c) drives real captures: low
 * quality is retried and the best attempt kept, as the Record step will.
 */
#include <config.h>

#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <dbus/dbus.h>

#include "daemon/biometric-quality.h"
#include "tap.h"
#include "testbus.h"
#include "testclient.h"

#define FINGER TC_ROOT "/devices/fingerprint0"
#define IRIS TC_ROOT "/devices/iris0"
#define MAX_ART 8

static struct testbus tb;
static DBusConnection *conn;
static struct testbus_files files;


static char *control_cmd(const char *cmd)
{
	return tc_sim_control(files.control, cmd);
}

static void control_ok(const char *cmd)
{
	tc_sim_control_ok(files.control, cmd);
}


static char *artifact_text(const struct tc_artifact *a)
{
	size_t len = 0;

	return tc_read_artifact(conn, a->handle, &len);
}

/* Capture on @dev with up to two string options; the artifacts, or -1 and
 * the error name in @error. */
static int capture(const char *dev, const char *k1, const char *v1, const char *k2,
		const char *v2, struct tc_artifact *art, char *error, size_t error_len)
{
	DBusMessage *msg = k2 ? tc_capture_call(dev, k1, DBUS_TYPE_STRING, &v1, k2,
			DBUS_TYPE_STRING, &v2, NULL) :
		k1 ? tc_capture_call(dev, k1, DBUS_TYPE_STRING, &v1, NULL) :
		tc_capture_call(dev, NULL);
	DBusMessage *reply = tc_call_msg(conn, msg, 60000);
	int n = -1;

	if (dbus_message_get_type(reply) == DBUS_MESSAGE_TYPE_METHOD_RETURN) {
		n = tc_parse_artifacts(reply, art, MAX_ART);
		dbus_message_unref(reply);
	} else {
		char *name = tc_result(reply);

		snprintf(error, error_len, "%s", name);
		free(name);
	}
	return n;
}

static const struct tc_artifact *find(const struct tc_artifact *art, int n, const char *kind)
{
	for (int i = 0; i < n; i++)
		if (!strcmp(art[i].kind, kind))
			return &art[i];
	return NULL;
}

/* A capture that must work, giving @kinds (NULL-terminated) as PNG images of
 * @w x @h, then the summary of @summary_kind. Returns the summary text. */
static char *good(const char *what, const char *dev, const char *k1, const char *v1,
		const char *k2, const char *v2, const char *const *kinds, unsigned int w,
		unsigned int h, const char *summary_kind)
{
	struct tc_artifact art[MAX_ART];
	char error[128] = "";
	int n = capture(dev, k1, v1, k2, v2, art, error, sizeof(error)), want = 0;
	bool images = true;
	const struct tc_artifact *summary;

	while (kinds[want])
		want++;
	tap_is_int(n, want + 1, "%s: %d images and a summary%s%s", what, want, *error ? " - " : "",
		error);
	for (int i = 0; i < want && n > 0; i++) {
		const struct tc_artifact *a = find(art, n, kinds[i]);

		if (!a || strcmp(a->format, "image/png") || a->width != w || a->height != h ||
				a->quality < 0 || a->quality > 100) {
			tap_diag("  %s: %s", kinds[i], a ? a->format : "absent");
			images = false;
		}
	}
	tap_ok(n > 0 && images, "%s: each a %ux%u PNG with a quality score", what, w, h);
	summary = n > 0 ? find(art, n, summary_kind) : NULL;
	return summary ? artifact_text(summary) : strdup("");
}

static void test_open(void)
{
	tap_ok(tc_wait_prop(conn, FINGER, "State", "idle", 20000),
		"the fingerprint device is found on the port range and opened");
	tap_ok(tc_wait_prop(conn, IRIS, "State", "idle", 20000), "the iris device is opened");
	tc_is_prop(conn, FINGER, "Class", "fingerprint", "... classes fingerprint");
	tc_is_prop(conn, IRIS, "Class", "iris", "... and iris");
	tc_is_prop(conn, FINGER, "Model", "rekam REKAM-SIM-SLAP-442",
		"the model comes from the signed digital id");
	tc_is_prop(conn, FINGER, "Serial", "RKSLAP44200001", "... and the serial number");
	tc_is_prop(conn, IRIS, "Serial", "RKIRIS02000001", "... of both devices");
	tc_is_prop(conn, FINGER, "Firmware", "1.0.0", "... and the firmware from device info");
	{
		char *last = NULL;

		for (int i = 0; i < 200; i++) {
			free(last);
			last = tc_prop(conn, TC_ROOT "/devices/fingerprint1", TC_DEVICE, "LastError");
			if (strstr(last, "trusted"))
				break;
			usleep(50 * 1000);
		}
		tap_contains(last, "not issued by the trusted certificate",
			"a device whose key trust= does not vouch for is refused: %s", last);
		free(last);
		tc_is_prop(conn, TC_ROOT "/devices/fingerprint1", "State", "error",
			"... its State is error");
	}
	tc_is_result(tc_call(conn, FINGER, "Claim"), "", "the client claims the fingerprint device");
	tc_is_result(tc_call(conn, IRIS, "Claim"), "", "... and the iris device");
}

static void test_ten_fingers_two_irises(void)
{
	static const char *const left[] = { "fingerprint-left-index", "fingerprint-left-middle",
		"fingerprint-left-ring", "fingerprint-left-little", NULL };
	static const char *const right[] = { "fingerprint-right-index", "fingerprint-right-middle",
		"fingerprint-right-ring", "fingerprint-right-little", NULL };
	static const char *const thumbs[] = { "fingerprint-left-thumb", "fingerprint-right-thumb",
		NULL };
	static const char *const eyes[] = { "iris-left", "iris-right", NULL };
	struct tc_artifact art[MAX_ART];
	char error[128], *s;

	control_ok("score left-index 35");
	s = good("left slap", FINGER, "bio-subtype", "left-slap", NULL, NULL, left, 320, 400,
		"fingerprint-capture");
	tap_contains(s, "\"left-index\":35", "... the set score of the left index finger arrives");
	tap_contains(s, "\"exceptions\":[]", "... no exceptions");
	tap_contains(s, "\"previousHash\":\"E3B0C442", "... the chain starts at SHA-256(\"\")");
	{
		char hash[96] = "", *h = strstr(s, "\"hash\":\"");

		if (h)
			snprintf(hash, sizeof(hash), "\"previousHash\":\"%.64s\"", h + 8);
		free(s);
		s = good("right slap", FINGER, "bio-subtype", "right-slap", NULL, NULL, right, 320,
			400, "fingerprint-capture");
		tap_ok(h && strstr(s, hash), "... chained on the left slap's last hash");
	}
	free(s);
	free(good("thumbs", FINGER, "bio-subtype", "thumbs", NULL, NULL, thumbs, 320, 400,
		"fingerprint-capture"));
	free(good("both irises", IRIS, NULL, NULL, NULL, NULL, eyes, 640, 480, "iris-capture"));

	/* the quality of the left index finger as an artifact property */
	control_ok("score left-index 77");
	if (capture(FINGER, NULL, NULL, NULL, NULL, art, error, sizeof(error)) > 0) {
		const struct tc_artifact *a = find(art, 5, "fingerprint-left-index");

		tap_ok(a && a->quality == 77 && a->dpi == 500,
			"the artifact of the left index carries Quality 77 and 500 dpi");
	} else {
		tap_ok(false, "a capture with a set score works (%s)", error);
	}
	control_ok("score all auto");
}

static void test_exceptions(void)
{
	static const char *const three[] = { "fingerprint-right-index", "fingerprint-right-middle",
		"fingerprint-right-little", NULL };
	static const char *const missing[] = { "fingerprint-left-index", "fingerprint-left-middle",
		"fingerprint-left-little", NULL };
	struct tc_artifact art[MAX_ART];
	char error[128] = "", *s;

	s = good("right slap, ring finger bandaged", FINGER, "bio-subtype", "right-slap",
		"exceptions", "right-ring", three, 320, 400, "fingerprint-capture");
	tap_contains(s, "\"exceptions\":[\"right-ring\"]",
		"... the ring finger is recorded as an exception");
	tap_contains(s, "\"missing\":[]", "... not as missing");
	free(s);

	control_ok("missing left-ring");
	s = good("left slap, ring finger not detected", FINGER, "bio-subtype", "left-slap", NULL,
		NULL, missing, 320, 400, "fingerprint-capture");
	tap_contains(s, "\"missing\":[\"left-ring\"]", "... the summary names the missing finger");
	free(s);
	control_ok("missing none");

	tap_is_int(capture(FINGER, "bio-subtype", "both-hands", NULL, NULL, art, error,
		sizeof(error)), -1, "an unknown bio-subtype is refused");
	tap_is_str(error, TC_ERR "InvalidArguments", "... as InvalidArguments");
	tap_is_int(capture(FINGER, "bio-subtype", "thumbs", "exceptions", "left-thumb,right-thumb",
		art, error, sizeof(error)), -1, "thumbs with both thumbs as exceptions are refused");
	tap_is_str(error, TC_ERR "InvalidArguments", "... as InvalidArguments");
	tap_is_int(capture(FINGER, "exceptions", "left-pinky", NULL, NULL, art, error,
		sizeof(error)), -1, "an unknown finger name is refused");
}

static void expect_error(const char *what, const char *dev, const char *fault, const char *name,
		const char *last_error)
{
	struct tc_artifact art[MAX_ART];
	char error[128] = "", *last;

	if (fault)
		control_ok(fault);
	tap_is_int(capture(dev, NULL, NULL, NULL, NULL, art, error, sizeof(error)), -1,
		"%s: the capture fails", what);
	tap_is_str(error, name, "... with %s", name + strlen(TC_ERR));
	if (last_error) {
		last = tc_prop(conn, dev, TC_DEVICE, "LastError");
		tap_contains(last, last_error, "... and LastError says: %s", last ? last : "");
		free(last);
	}
}

static void test_self_test(void)
{
	int n;

	tap_ok(tc_self_test(conn, FINGER, 20000, &n), "the self-test passes");
	tap_is_int(n, 3, "... in three steps: discovery, device info, status");
}

/* One attempt of a round: the scores of the parts from the artifacts. */
static int attempt(struct rk_bq_round *round, const char *dev, const char *subtype,
		const char *prefix, int n_parts, const char *const *names, char *kept, size_t kept_len)
{
	struct tc_artifact art[MAX_ART];
	int scores[RK_BQ_MAX_PARTS], n, verdict;
	char error[128] = "", kind[64];

	for (int p = 0; p < RK_BQ_MAX_PARTS; p++)
		scores[p] = RK_BQ_NO_SCORE;
	n = capture(dev, "bio-subtype", subtype, NULL, NULL, art, error, sizeof(error));
	if (n < 0)
		return -EIO;
	for (int p = 0; p < n_parts; p++) {
		const struct tc_artifact *a;

		snprintf(kind, sizeof(kind), "%s-%s", prefix, names[p]);
		a = find(art, n, kind);
		if (a)
			scores[p] = a->quality;
	}
	verdict = rk_bq_round_add(round, scores);
	if (rk_bq_best(round) == (int)round->attempts - 1 && n > 0)
		snprintf(kept, kept_len, "%s", art[0].handle);
	tap_diag("  attempt %u: average %.2f", round->attempts,
		rk_bq_average(round, round->attempts - 1));
	return verdict;
}

static void test_quality_policy(void)
{
	static const char *const left[] = { "left-index", "left-middle", "left-ring", "left-little" };
	static const char *const eyes[] = { "left", "right" };
	struct rk_bq_policy policy;
	struct rk_bq_round round;
	char kept[48] = "", kept_first[48] = "";

	rk_bq_policy_default(&policy);
	control_ok("low-quality 2");
	rk_bq_round_init(&round, &policy, RK_BQ_FINGER, 0xf, 0);
	tap_is_int(attempt(&round, FINGER, "left-slap", "fingerprint", 4, left, kept, sizeof(kept)),
		RK_BQ_RETRY, "policy: a low-quality left slap (under 40) is retried");
	snprintf(kept_first, sizeof(kept_first), "%s", kept);
	tap_is_int(attempt(&round, FINGER, "left-slap", "fingerprint", 4, left, kept, sizeof(kept)),
		RK_BQ_RETRY, "policy: ... again");
	tap_is_int(attempt(&round, FINGER, "left-slap", "fingerprint", 4, left, kept, sizeof(kept)),
		RK_BQ_ACCEPT, "policy: ... the third attempt reaches the threshold");
	tap_is_int(rk_bq_best(&round), 2, "policy: ... and is the one kept");
	tap_ok(strcmp(kept, kept_first) != 0 && rk_bq_average(&round, 2) >= 40,
		"policy: ... with its own artifacts, averaging %.1f", rk_bq_average(&round, 2));

	policy.retries = 1;
	control_ok("low-quality 5");
	rk_bq_round_init(&round, &policy, RK_BQ_IRIS, 0x3, 0);
	tap_is_int(attempt(&round, IRIS, "both", "iris", 2, eyes, kept, sizeof(kept)), RK_BQ_RETRY,
		"policy: low-quality irises (under 60) are retried");
	tap_is_int(attempt(&round, IRIS, "both", "iris", 2, eyes, kept, sizeof(kept)),
		RK_BQ_GIVE_UP, "policy: ... with retries = 1 it then gives up");
	tap_ok(rk_bq_best(&round) >= 0 && !round.passed &&
		rk_bq_average(&round, (unsigned int)rk_bq_best(&round)) >=
		rk_bq_average(&round, (unsigned int)(1 - rk_bq_best(&round))),
		"policy: ... keeping the better of the two, marked under the threshold");
	control_ok("reset");
}

static void test_power(void)
{
	static const char *const eyes[] = { "iris-left", "iris-right", NULL };
	struct tc_artifact art[MAX_ART];
	char error[128] = "";

	control_ok("power off");
	tap_ok(tc_wait_prop(conn, IRIS, "State", "absent", 10000),
		"the device service stopped: the status poll finds the device absent");
	tap_is_int(capture(IRIS, NULL, NULL, NULL, NULL, art, error, sizeof(error)), -1,
		"... a capture fails");
	tap_is_str(error, TC_ERR "Absent", "... with Absent");
	control_ok("power on");
	tap_ok(tc_wait_prop(conn, IRIS, "State", "idle", 20000),
		"the service is back: the device is found and opened again");
	tc_is_result(tc_call(conn, IRIS, "Claim"), "", "... the client claims it again");
	free(good("after the service came back", IRIS, NULL, NULL, NULL, NULL, eyes, 640, 480,
		"iris-capture"));
}

static void test_faults(void)
{
	static const char *const eyes[] = { "iris-left", "iris-right", NULL };
	DBusMessage *msg;
	int64_t timeout = 1500;
	const char *sub = "both";
	char *status;

	expect_error("tampered signature", IRIS, "bad-signature", TC_ERR "DeviceError", "tampered");
	expect_error("unsigned reply", IRIS, "unsigned", TC_ERR "DeviceError", "unsigned");
	expect_error("busy device", FINGER, "busy on", TC_ERR "Busy", NULL);
	control_ok("busy off");
	expect_error("device not ready", FINGER, "not-ready on", TC_ERR "NotReady", NULL);
	control_ok("not-ready off");
	expect_error("dropped connection", IRIS, "drop", TC_ERR "DeviceError",
		"closed the connection");

	/* slower than the capture's timeout: rekamd cancels, the plugin hangs up */
	control_ok("slow 600000");
	msg = tc_capture_call(IRIS, "timeout", DBUS_TYPE_INT64, &timeout, "bio-subtype",
		DBUS_TYPE_STRING, &sub, NULL);
	tc_is_result(tc_call_msg(conn, msg, 60000), TC_ERR "Timeout",
		"a capture slower than its timeout ends with Timeout");
	control_ok("slow 0");
	for (int i = 0; i < 100; i++) {
		status = control_cmd("status");
		if (strstr(status, "capturing=no"))
			break;
		free(status);
		status = NULL;
		usleep(50 * 1000);
	}
	tap_ok(status != NULL, "... and the abandoned capture frees the device service");
	free(status);
	tap_ok(tc_wait_prop(conn, IRIS, "State", "idle", 5000), "... and the device is idle");
	free(good("after the faults", IRIS, NULL, NULL, NULL, NULL, eyes, 640, 480,
		"iris-capture"));
}

int main(void)
{
	const char *plugins = testbus_start_device_test(&tb, &files, "biometric", "bio");
	char text[1024], keys[128], other_keys[128], port_arg[16];
	pid_t sim_pid = -1, rk_pid;
	unsigned int port = 0;

	snprintf(keys, sizeof(keys), "%s/keys", tb.dir);
	snprintf(other_keys, sizeof(other_keys), "%s/other-keys", tb.dir);

	/* an SBI service on a free port, 20 times faster than life */
	srand((unsigned int)getpid());
	for (int attempt = 0; attempt < 10 && sim_pid < 0; attempt++) {
		port = 20000 + (unsigned int)(rand() % 40000);
		snprintf(port_arg, sizeof(port_arg), "%u", port);
		char *sim_argv[] = { files.sim, "--socket", files.sock, "--control", files.control,
			"--port", port_arg, "--state", keys, "--seed", "11", "--time-scale", "0.05",
			NULL };
		/* -1 when it exited: the port is taken */
		sim_pid = testbus_start_sim(&tb, sim_argv, files.control, files.sim_log);
	}
	if (sim_pid < 0)
		tap_bail("rekam-sim-biometric did not start");

	/* a key the device does not have, for a device that must not be trusted */
	char *mk_argv[] = { files.sim, "--make-keys", other_keys, NULL };
	if (testbus_wait(testbus_spawn(&tb, mk_argv, NULL, files.sim_log), 60000) != 0)
		tap_bail("rekam-sim-biometric --make-keys failed");
	/* the fingers: a range of ports around the service; the eyes: its port */
	snprintf(text, sizeof(text), "[station]\nid = 6305-TEST-01\n"
		"[device fingers]\nplugin = fingerprint-sbi\nconnection = sbi:127.0.0.1:%u-%u\n"
		"trust = %s/device.pem\n"
		"[device eyes]\nplugin = iris-sbi\nconnection = sbi:127.0.0.1:%u\ntype = Iris\n"
		"poll-interval = 300\n"
		"[device stranger]\nplugin = fingerprint-sbi\nconnection = sbi:127.0.0.1:%u\n"
		"trust = %s/device.pem\n",
		port - 2, port + 2, keys, port, port, other_keys);
	rk_pid = testbus_start_rekamd(&tb, plugins, text, NULL, NULL, &conn);

	test_open();
	test_ten_fingers_two_irises();
	test_exceptions();
	test_self_test();
	test_quality_policy();
	test_faults();
	test_power();
	tc_is_result(tc_call(conn, FINGER, "Release"), "", "the client releases the devices");
	tc_is_result(tc_call(conn, IRIS, "Release"), "", "... both");

	free(testbus_stop_rekamd(rk_pid, 20000, &files, "the SBI plugins"));
	return testbus_end_device_test(&tb, sim_pid, conn);
}
