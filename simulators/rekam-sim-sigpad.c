// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * rekam - device simulators
 *
 * rekam-sim-sigpad.c - the simulated signature pad: its command line, its
 * control commands and its identity, on the simulator library; the host
 * protocol is in sigpad-protocol.c, the handwriting in sigpad-ink.c.
 */
#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "simulators/sigpad.h"

#define MODEL_DEFAULT "REKAM-SIG-500"
#define FIRMWARE_DEFAULT "1.4.2"

static struct sigpad pad;

/* --- options --------------------------------------------------------------------- */

static int set_text(char *dst, size_t size, const char *text)
{
	size_t i, n = strlen(text);

	if (n == 0 || n >= size)
		return -EINVAL;
	for (i = 0; i < n; i++)
		if (text[i] <= ' ' || text[i] > '~')
			return -EINVAL;
	memcpy(dst, text, n + 1);
	return 0;
}

static int opt_model(struct sim *sim, const char *arg)
{
	return set_text(pad.model, sizeof(pad.model), arg);
}

static int opt_serial(struct sim *sim, const char *arg)
{
	return set_text(pad.serial, sizeof(pad.serial), arg);
}

static int opt_firmware(struct sim *sim, const char *arg)
{
	return set_text(pad.firmware, sizeof(pad.firmware), arg);
}

static int opt_name(struct sim *sim, const char *arg)
{
	if (!sigpad_ink_name_valid(arg))
		return -EINVAL;
	snprintf(pad.name, sizeof(pad.name), "%s", arg);
	return 0;
}

static const struct sim_option options[] = {
	{ "model", "NAME", "model name in HELLO-OK and INFO (default " MODEL_DEFAULT ")",
		opt_model },
	{ "serial", "TEXT", "serial number (default RKS5- and 8 hex digits from the seed)",
		opt_serial },
	{ "firmware", "VERSION", "firmware version (default " FIRMWARE_DEFAULT ")", opt_firmware },
	{ "name", "TEXT", "the name the signer writes (default: one the seed picks)", opt_name },
	{ NULL },
};

/* --- control commands ---------------------------------------------------------------- */

static int cmd_oversized(struct sim *sim, const char *arg, char *out, size_t outlen)
{
	pad.oversized = true;
	snprintf(out, outlen, "a %d-byte line precedes the next line to the host", 5000);
	return 0;
}

static int cmd_name(struct sim *sim, const char *arg, char *out, size_t outlen)
{
	if (!arg) {
		pad.name[0] = '\0';
		snprintf(out, outlen, "name chosen by the seed");
		return 0;
	}
	if (!sigpad_ink_name_valid(arg)) {
		snprintf(out, outlen, "a name is 1-%d letters, blanks, '.', '-' or \"'\"",
				SIGPAD_NAME_MAX);
		return -EINVAL;
	}
	snprintf(pad.name, sizeof(pad.name), "%s", arg);
	snprintf(out, outlen, "name=%s", pad.name);
	return 0;
}

static int cmd_points(struct sim *sim, const char *arg, char *out, size_t outlen)
{
	uint64_t v;

	if (sim_parse_uint(arg, 0, SIGPAD_POINTS_MAX, &v) < 0 || v == 1) {
		snprintf(out, outlen, "points wants 0 (natural) or 2 to %d", SIGPAD_POINTS_MAX);
		return -EINVAL;
	}
	pad.points = (size_t)v;
	snprintf(out, outlen, "points=%zu", pad.points);
	return 0;
}

static const struct sim_command commands[] = {
	{ "pen-timeout", SIM_ARG_NONE, NULL,
		"the next capture gets no pen contact: ERR timeout once its timeout has passed",
		NULL, &pad.pen_timeout, "the next capture gets no pen contact" },
	{ "unplug-mid-capture", SIM_ARG_NONE, NULL,
		"the next capture sends half of its points, then the pad is unplugged "
		"(as unplug; replug brings it back)",
		NULL, &pad.unplug_mid_capture,
		"the next capture unplugs the pad after half of its points" },
	{ "garbage", SIM_ARG_NONE, NULL,
		"the pad sends a line of random bytes before its next line",
		NULL, &pad.garbage, "a line of random bytes precedes the next line to the host" },
	{ "oversized", SIM_ARG_NONE, NULL,
		"the pad sends a 5000-byte line before its next line", cmd_oversized },
	{ "name", SIM_ARG_OPTIONAL, "TEXT",
		"the signer writes TEXT (letters, blanks, . - '); without TEXT the seed picks "
		"a name", cmd_name },
	{ "points", SIM_ARG_REQUIRED, "N",
		"every capture has exactly N points (2-20000); 0: as many as the writing "
		"speed gives", cmd_points },
	{ NULL },
};

/* --- device callbacks ------------------------------------------------------------------ */

static void on_connected(struct sim *sim)
{
	sigpad_connected(&pad);
}

static void on_readable(struct sim *sim, struct evbuffer *in)
{
	sigpad_readable(&pad, in);
}

static void on_host_eof(struct sim *sim)
{
	sigpad_host_eof(&pad);
}

static void on_disconnected(struct sim *sim)
{
	sigpad_disconnected(&pad);
}

static void on_status(struct sim *sim, struct evbuffer *out)
{
	evbuffer_add_printf(out, " state=%s hello=%s captures=%lu commands=%lu points=%zu "
			"name=%s pen-timeout=%s unplug-mid-capture=%s garbage=%s oversized=%s "
			"model=%s serial=%s firmware=%s",
			sigpad_state_name(&pad), pad.hello ? "yes" : "no", pad.captures,
			pad.commands, pad.points, pad.name[0] ? "set" : "seed",
			pad.pen_timeout ? "armed" : "no", pad.unplug_mid_capture ? "armed" : "no",
			pad.garbage ? "armed" : "no", pad.oversized ? "armed" : "no", pad.model,
			pad.serial, pad.firmware);
}

static const struct sim_device_ops ops = {
	.connected = on_connected,
	.readable = on_readable,
	.host_eof = on_host_eof,
	.disconnected = on_disconnected,
	.status = on_status,
};

static int init(struct sim *sim)
{
	uint64_t sm = sim_seed(sim);

	if (!pad.serial[0])
		snprintf(pad.serial, sizeof(pad.serial), "RKS5-%08X",
				(unsigned int)(sim_splitmix64(&sm) >> 32));
	return sigpad_init(&pad, sim);
}

static void fini(struct sim *sim)
{
	sigpad_fini(&pad);
	cairo_debug_reset_static_data();
}

static const struct sim_descriptor descriptor = {
	.name = "rekam-sim-sigpad",
	.summary = "A simulated signature pad (" MODEL_DEFAULT ") for rekam's tests and demo.",
	.description =
		"It serves the rekam signature-pad protocol on a Unix socket to one host at\n"
		"a time: pen strokes as points (x, y, pressure, time) at 200 points per\n"
		"second on a 9600 x 3600 unit area (2540 units per inch, 1024 pressure\n"
		"levels), then the signature rendered as an 800 x 300 PNG. The signer's\n"
		"handwriting, pen timing and the serial number come from --seed: the same\n"
		"seed and the same commands give the same strokes and the same PNG bytes.",
	.protocol =
		"  Lines of ASCII text ending in \"\\n\", at most 4096 bytes, both ways. The host\n"
		"  sends HELLO 1 first (answer HELLO-OK 1 MODEL), then:\n"
		"    PING                   -> PONG\n"
		"    INFO                   -> INFO model=... serial=... firmware=... width=...\n"
		"    SELFTEST               -> SELFTEST-STEP NAME pass|fail DETAIL ..., SELFTEST-END\n"
		"    CAPTURE [timeout=MS] [min-points=N]\n"
		"                           -> PEN-DOWN, POINT X Y PRESSURE T-MS ..., PEN-UP ...,\n"
		"                              CAPTURE-END points=N strokes=M duration=MS,\n"
		"                              IMAGE-BEGIN width=W height=H bytes=N,\n"
		"                              IMAGE-DATA BASE64 ..., IMAGE-END SHA256\n"
		"    CANCEL                 -> CANCELLED (during a capture)\n"
		"  Errors: ERR CODE TEXT, CODE one of unknown-command, bad-argument,\n"
		"  line-too-long, not-ready, busy, not-capturing, timeout, too-short,\n"
		"  failure (followed by the failure code). A second host gets \"ERR busy\" and\n"
		"  is disconnected. Delays (pen wait, points, self-test steps) follow\n"
		"  --time-scale; POINT times are the pad's own, unscaled.\n",
	.example =
		"  rekam-sim-sigpad --socket /tmp/pad.sock --control /tmp/pad.ctl \\\n"
		"          --seed 7 --time-scale 0.1 &\n"
		"  printf 'HELLO 1\\nINFO\\nCAPTURE timeout=5000\\n' |\n"
		"          socat -t 5 - UNIX-CONNECT:/tmp/pad.sock\n"
		"  echo 'pen-timeout' | socat - UNIX-CONNECT:/tmp/pad.ctl\n"
		"  echo 'quit' | socat - UNIX-CONNECT:/tmp/pad.ctl\n",
	.busy_reply = "ERR busy another host is connected",
	.options = options,
	.commands = commands,
	.ops = &ops,
	.init = init,
	.fini = fini,
};

int main(int argc, char **argv)
{
	snprintf(pad.model, sizeof(pad.model), "%s", MODEL_DEFAULT);
	snprintf(pad.firmware, sizeof(pad.firmware), "%s", FIRMWARE_DEFAULT);
	return sim_main(&descriptor, &pad, argc, argv);
}
