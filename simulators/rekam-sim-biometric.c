// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * rekam - device simulators
 *
 * rekam-sim-biometric.c - a MOSIP SBI device service with a slap
 * fingerprint scanner (4-4-2) and a double iris camera: its command line,
 * --make-keys, its control commands (scores, missing fingers and the
 * faults) and its setup on the simulator library. The HTTP server is in
 * biometric-http.c, the SBI requests in biometric-sbi.c, the keys and
 * signatures in biometric-jws.c, the images in biometric-image.c.
 */
#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sysexits.h>

#include "simulators/biometric.h"

static struct bio bio = {
	.port = BIO_PORT_DEFAULT,
	.enabled = { true, true },
};

/* --- options --------------------------------------------------------------------- */

static int opt_state(struct sim *sim, const char *arg)
{
	if (*arg != '/')
		return -EINVAL;
	bio.state_dir = arg;
	return 0;
}

static int opt_devices(struct sim *sim, const char *arg)
{
	if (!strcmp(arg, "finger,iris") || !strcmp(arg, "iris,finger")) {
		bio.enabled[BIO_DEV_FINGER] = bio.enabled[BIO_DEV_IRIS] = true;
	} else if (!strcmp(arg, "finger")) {
		bio.enabled[BIO_DEV_FINGER] = true;
		bio.enabled[BIO_DEV_IRIS] = false;
	} else if (!strcmp(arg, "iris")) {
		bio.enabled[BIO_DEV_FINGER] = false;
		bio.enabled[BIO_DEV_IRIS] = true;
	} else {
		return -EINVAL;
	}
	return 0;
}

static int opt_bio_format(struct sim *sim, const char *arg)
{
	if (strcmp(arg, "png") && strcmp(arg, "iso"))
		return -EINVAL;
	bio.iso = !strcmp(arg, "iso");
	return 0;
}

static int opt_make_keys(struct sim *sim, const char *arg)
{
	return -EINVAL; /* handled in main() before the framework's command line */
}

static const struct sim_option options[] = {
	{ "port", "N", "the SBI port on 127.0.0.1 (default 4501; SBI services use 4501-4600)",
		NULL, &bio.port, 1, 65535 },
	{ "state", "DIR", "absolute directory of the device key and certificate (device.key, "
		"device.pem), made there on first start; default: a new key in memory at every "
		"start", opt_state },
	{ "devices", "LIST", "finger, iris or finger,iris (default): the devices behind the port",
		opt_devices },
	{ "bio-format", "png|iso", "the bioValue of a finger: its PNG image (default), or the PNG in "
		"an ISO/IEC 19794-4:2011 finger image record (FIR, compression 6); eyes are PNG",
		opt_bio_format },
	{ "make-keys", "DIR", "write a new test device key and certificate into DIR and exit "
		"(alone on the command line)", opt_make_keys },
	{ NULL },
};

/* --- control commands ------------------------------------------------------------ */

/* "left-index" or "Left IndexFinger" -> 0..9; "left"/"right" eyes -> 10, 11; -1. */
static int part_arg(const char *s)
{
	static const char *const short_names[BIO_N_FINGERS] = {
		"left-index", "left-middle", "left-ring", "left-little",
		"right-index", "right-middle", "right-ring", "right-little",
		"left-thumb", "right-thumb",
	};

	for (int i = 0; i < BIO_N_FINGERS; i++)
		if (!strcasecmp(s, short_names[i]) || !strcasecmp(s, bio_finger_names[i]))
			return i;
	if (!strcasecmp(s, "iris-left"))
		return BIO_N_FINGERS;
	if (!strcasecmp(s, "iris-right"))
		return BIO_N_FINGERS + 1;
	return -1;
}

static int cmd_score(struct sim *sim, const char *arg, char *out, size_t outlen)
{
	char name[32], value[16];
	uint64_t v = 0;
	int p, n = 0, score;

	if (sscanf(arg, "%31s %15s %n", name, value, &n) != 2 || arg[n] ||
			(strcmp(value, "auto") && sim_parse_uint(value, 0, 100, &v) < 0) ||
			((p = part_arg(name)) < 0 && strcmp(name, "all"))) {
		snprintf(out, outlen, "usage: score FINGER|iris-left|iris-right|all 0-100|auto");
		return -EINVAL;
	}
	score = strcmp(value, "auto") ? (int)v : -1;
	for (int i = 0; i < BIO_N_FINGERS + 2; i++) {
		if (strcmp(name, "all") && i != p)
			continue;
		if (i < BIO_N_FINGERS)
			bio.finger_score[i] = score;
		else
			bio.iris_score[i - BIO_N_FINGERS] = score;
	}
	snprintf(out, outlen, "score %s=%s", name, value);
	return 0;
}

static int cmd_missing(struct sim *sim, const char *arg, char *out, size_t outlen)
{
	int p = part_arg(arg);

	if (!strcmp(arg, "none")) {
		memset(bio.missing, 0, sizeof(bio.missing));
	} else if (p < 0 || p >= BIO_N_FINGERS) {
		snprintf(out, outlen, "usage: missing FINGER|none (e.g. left-ring)");
		return -EINVAL;
	} else {
		bio.missing[p] = true;
	}
	snprintf(out, outlen, "missing %s", arg);
	return 0;
}

static int count_arg(const char *arg, unsigned int *count, char *out, size_t outlen,
		const char *name)
{
	uint64_t v = 1;

	if (arg && *arg && sim_parse_uint(arg, 0, 1000000, &v) < 0) {
		snprintf(out, outlen, "usage: %s [N]", name);
		return -EINVAL;
	}
	*count = (unsigned int)v;
	snprintf(out, outlen, "%s=%u", name, *count);
	return 0;
}

static int cmd_low_quality(struct sim *sim, const char *arg, char *out, size_t outlen)
{
	return count_arg(arg, &bio.low_quality, out, outlen, "low-quality");
}

static int cmd_bad_signature(struct sim *sim, const char *arg, char *out, size_t outlen)
{
	return count_arg(arg, &bio.bad_signature, out, outlen, "bad-signature");
}

static int cmd_unsigned(struct sim *sim, const char *arg, char *out, size_t outlen)
{
	return count_arg(arg, &bio.unsigned_reply, out, outlen, "unsigned");
}

static int cmd_drop(struct sim *sim, const char *arg, char *out, size_t outlen)
{
	return count_arg(arg, &bio.drop, out, outlen, "drop");
}

static int cmd_slow(struct sim *sim, const char *arg, char *out, size_t outlen)
{
	uint64_t v;

	if (sim_parse_uint(arg, 0, 3600000, &v) < 0) {
		snprintf(out, outlen, "usage: slow MS (0 to 3600000)");
		return -EINVAL;
	}
	bio.slow_ms = (unsigned int)v;
	snprintf(out, outlen, "slow=%u", bio.slow_ms);
	return 0;
}

static int flag(bool *what, const char *arg, char *out, size_t outlen, const char *name)
{
	if (!arg || !*arg || !strcmp(arg, "on")) {
		*what = true;
	} else if (!strcmp(arg, "off")) {
		*what = false;
	} else {
		snprintf(out, outlen, "usage: %s [on|off]", name);
		return -EINVAL;
	}
	snprintf(out, outlen, "%s=%s", name, *what ? "on" : "off");
	return 0;
}

static int cmd_busy(struct sim *sim, const char *arg, char *out, size_t outlen)
{
	return flag(&bio.busy, arg, out, outlen, "busy");
}

static int cmd_not_ready(struct sim *sim, const char *arg, char *out, size_t outlen)
{
	return flag(&bio.not_ready, arg, out, outlen, "not-ready");
}

static int cmd_not_registered(struct sim *sim, const char *arg, char *out, size_t outlen)
{
	return flag(&bio.not_registered, arg, out, outlen, "not-registered");
}

static int cmd_power(struct sim *sim, const char *arg, char *out, size_t outlen)
{
	int r = 0;

	if (!strcmp(arg, "off")) {
		bio_http_stop(&bio);
	} else if (!strcmp(arg, "on")) {
		if (!bio.listener)
			r = bio_http_start(&bio);
	} else {
		snprintf(out, outlen, "usage: power on|off");
		return -EINVAL;
	}
	if (r < 0)
		snprintf(out, outlen, "cannot listen on 127.0.0.1:%u again", bio.port);
	else
		snprintf(out, outlen, "power=%s", bio.listener ? "on" : "off");
	return r;
}

static int cmd_reset(struct sim *sim, const char *arg, char *out, size_t outlen)
{
	bio.busy = bio.not_ready = bio.not_registered = false;
	bio.slow_ms = bio.drop = bio.bad_signature = bio.unsigned_reply = bio.low_quality = 0;
	for (int i = 0; i < BIO_N_FINGERS; i++)
		bio.finger_score[i] = -1;
	bio.iris_score[0] = bio.iris_score[1] = -1;
	memset(bio.missing, 0, sizeof(bio.missing));
	snprintf(out, outlen, "normal");
	return 0;
}

static const struct sim_command commands[] = {
	{ "score", SIM_ARG_REQUIRED, "PART N|auto",
		"the quality score (0-100) of a finger (left-index ... right-thumb), iris-left, "
		"iris-right or all; auto: from the seed (62-92, times the common quality)",
		cmd_score },
	{ "missing", SIM_ARG_REQUIRED, "FINGER|none",
		"the finger is not detected: its entry carries error 101 and no data",
		cmd_missing },
	{ "low-quality", SIM_ARG_OPTIONAL, "N",
		"the next N captures (default 1) score 10 to 30", cmd_low_quality },
	{ "busy", SIM_ARG_OPTIONAL, "on|off",
		"the devices report Busy; captures are refused with error 111", cmd_busy },
	{ "not-ready", SIM_ARG_OPTIONAL, "on|off",
		"the devices report Not Ready; captures are refused with error 110", cmd_not_ready },
	{ "not-registered", SIM_ARG_OPTIONAL, "on|off",
		"the devices report Not Registered: device info is unsigned, captures are refused "
		"with error 100", cmd_not_registered },
	{ "slow", SIM_ARG_REQUIRED, "MS",
		"every capture takes MS more (scaled by --time-scale)", cmd_slow },
	{ "drop", SIM_ARG_OPTIONAL, "N",
		"the next N requests (default 1) are read and their connection closed unanswered",
		cmd_drop },
	{ "bad-signature", SIM_ARG_OPTIONAL, "N",
		"the next N captures (default 1) are tampered with after signing: qualityScore "
		"becomes 100 in the payload", cmd_bad_signature },
	{ "unsigned", SIM_ARG_OPTIONAL, "N",
		"the next N captures (default 1) send their data blocks unsigned "
		"(base64url payload only)", cmd_unsigned },
	{ "power", SIM_ARG_REQUIRED, "on|off",
		"off: the device service stops (its port refuses connections, open ones are "
		"closed, a running capture is abandoned); on: it listens again", cmd_power },
	{ "reset", SIM_ARG_NONE, NULL, "clear every fault and score set above (not power)",
		cmd_reset },
	{ NULL },
};

/* --- the framework's device endpoint: a pointer to the SBI port -------------------- */

static void on_connected(struct sim *sim)
{
	sim_device_printf(sim, "rekam-sim-biometric http://127.0.0.1:%u/", bio.port);
	sim_device_hangup(sim);
}

static void on_status(struct sim *sim, struct evbuffer *out)
{
	evbuffer_add_printf(out, " port=%u power=%s requests=%lu captures=%lu capturing=%s busy=%s "
		"not-ready=%s not-registered=%s slow=%u drop=%u bad-signature=%u unsigned=%u "
		"low-quality=%u", bio.port, bio.listener ? "on" : "off", bio.requests, bio.captures,
		bio.capturing ? "yes" : "no", bio.busy ? "on" : "off",
		bio.not_ready ? "on" : "off", bio.not_registered ? "on" : "off", bio.slow_ms,
		bio.drop, bio.bad_signature, bio.unsigned_reply, bio.low_quality);
}

static const struct sim_device_ops ops = {
	.connected = on_connected,
	.status = on_status,
};

static int init(struct sim *sim)
{
	char out[16];
	int r;

	bio.sim = sim;
	cmd_reset(sim, "", out, sizeof(out));
	r = bio_keys_load(&bio);
	if (r == 0)
		r = bio_http_start(&bio);
	if (r == 0)
		sim_info("SBI device service on http://127.0.0.1:%u/ (%s%s%s)", bio.port,
			bio.enabled[BIO_DEV_FINGER] ? "slap fingerprint" : "",
			bio.enabled[BIO_DEV_FINGER] && bio.enabled[BIO_DEV_IRIS] ? ", " : "",
			bio.enabled[BIO_DEV_IRIS] ? "double iris" : "");
	return r;
}

static void fini(struct sim *sim)
{
	bio_http_stop(&bio);
	bio_keys_free(&bio);
}

static const struct sim_descriptor descriptor = {
	.name = "rekam-sim-biometric",
	.summary = "A MOSIP SBI device service: a slap fingerprint scanner and an iris camera.",
	.description =
		"It serves the MOSIP Secure Biometric Interface (SBI / MDS 0.9.5) over HTTP on\n"
		"127.0.0.1 for a registration station: device discovery, device info signed\n"
		"with the device key, and registration capture. Device 1 is a slap\n"
		"fingerprint scanner (deviceSubId 1 left slap, 2 right slap, 3 both thumbs),\n"
		"device 2 a double iris camera (1 left, 2 right, 3 both eyes). Each finger or\n"
		"eye comes back as its own data block, a JWS (RS256, the device certificate in\n"
		"x5c) whose bioValue is a base64url PNG (fingers 320x400 at 500 ppi, eyes\n"
		"640x480) with a qualityScore, chained by hash. Images and scores are\n"
		"deterministic under --seed; a capture takes 1.5 s times --time-scale.\n"
		"\n"
		"The framework's --socket is an information endpoint: a client that connects\n"
		"gets one line with the SBI URL. Of the common commands, quality N scales the\n"
		"automatic scores, delay MS lengthens every capture by MS real milliseconds\n"
		"and fail CODE refuses the next capture with SBI error CODE; unplug and\n"
		"replug only affect that socket: power off and power on stop and start the\n"
		"SBI service itself.",
	.protocol =
		"  HTTP/1.1 on 127.0.0.1:PORT, JSON bodies, one request per connection:\n"
		"    MOSIPDISC  /device   {\"type\": \"Finger\"}  -> [{deviceId, deviceStatus, ...}]\n"
		"    MOSIPDINFO /info                          -> [{deviceInfo: JWS, error}]\n"
		"    RCAPTURE   /capture  {env, purpose, transactionId, bio: [{type, count,\n"
		"               bioSubType, exception, requestedScore, deviceId, deviceSubId,\n"
		"               previousHash}]}          -> {biometrics: [{data: JWS, hash, error}]}\n"
		"  POST is accepted for all three, GET for /device and /info.\n"
		"\n"
		"Keys (--state DIR or --make-keys DIR): device.key (RSA 2048, PEM, mode 0600)\n"
		"and device.pem (its self-signed certificate). --make-keys exits 0 when written,\n"
		"73 when not.\n",
	.example =
		"  rekam-sim-biometric --make-keys /tmp/sbi\n"
		"  rekam-sim-biometric --state /tmp/sbi --port 4501 --socket /tmp/bio.sock \\\n"
		"          --control /tmp/bio.ctl --seed 7 --time-scale 0.1 &\n"
		"  curl -X MOSIPDISC -d '{\"type\":\"Finger\"}' http://127.0.0.1:4501/device\n"
		"  curl -X MOSIPDINFO http://127.0.0.1:4501/info\n"
		"  echo 'score left-index 35' | socat - UNIX-CONNECT:/tmp/bio.ctl\n",
	.busy_reply = "rekam-sim-biometric: one information client at a time",
	.options = options,
	.commands = commands,
	.ops = &ops,
	.init = init,
	.fini = fini,
};

int main(int argc, char **argv)
{
	const char *dir = NULL;

	if (argc == 3 && strcmp(argv[1], "--make-keys") == 0)
		dir = argv[2];
	else if (argc == 2 && strncmp(argv[1], "--make-keys=", 12) == 0)
		dir = argv[1] + 12;
	if (dir) {
		int r = *dir ? bio_keys_make(dir) : -EINVAL;

		if (r < 0)
			fprintf(stderr, "rekam-sim-biometric: cannot write keys into %s: %s\n", dir,
				strerror(-r));
		return r == 0 ? EX_OK : r == -EINVAL ? EX_USAGE : EX_CANTCREAT;
	}
	return sim_main(&descriptor, &bio, argc, argv);
}
