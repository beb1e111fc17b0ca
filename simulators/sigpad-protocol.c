// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * rekam - device simulators
 *
 * sigpad-protocol.c - the signature pad's side of the host protocol in
 * docs/device-protocol.md: text lines in, text lines out; HELLO, INFO,
 * SELFTEST, CAPTURE (pen wait, strokes paced at the pad's rate, the rendered
 * PNG in base64 lines), CANCEL and PING, with the faults the control socket
 * arms (reply delay, failure, pen timeout, unplug mid-capture, garbage and
 * over-long lines).
 */
#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "simulators/sigpad.h"

enum { ST_IDLE, ST_SELFTEST, ST_WAIT_PEN, ST_STREAM, ST_FINISHING };

#define SELFTEST_STEP_MS 250
#define GARBAGE_MIN 48
#define GARBAGE_MAX 160
#define OVERSIZED_LEN 5000

static const char too_long[] = "";   /* pending marker: the line was too long */

const char *sigpad_state_name(const struct sigpad *pad)
{
	static const char *const names[] = {
		[ST_IDLE] = "idle",
		[ST_SELFTEST] = "selftest",
		[ST_WAIT_PEN] = "waiting-for-pen",
		[ST_STREAM] = "capturing",
		[ST_FINISHING] = "finishing",
	};

	return names[pad->state];
}

/* --- output ------------------------------------------------------------------------ */

/* A garbage or over-long line armed on the control socket goes out first. */
static void inject(struct sigpad *pad)
{
	struct sim_rng *rng = sim_rng(pad->sim);
	char buf[OVERSIZED_LEN + 1];
	size_t n, i;

	if (pad->garbage) {
		pad->garbage = false;
		n = (size_t)sim_rng_range(rng, GARBAGE_MIN, GARBAGE_MAX);
		for (i = 0; i < n; i++) {
			buf[i] = (char)sim_rng_range(rng, 0, 254);
			if (buf[i] == '\n')
				buf[i] = (char)0xff;
		}
		buf[n++] = '\n';
		sim_device_write(pad->sim, buf, n);
	}
	if (pad->oversized) {
		pad->oversized = false;
		for (i = 0; i < OVERSIZED_LEN; i++)
			buf[i] = (char)('0' + i % 10);
		buf[OVERSIZED_LEN] = '\n';
		sim_device_write(pad->sim, buf, OVERSIZED_LEN + 1);
	}
}

__attribute__((format(printf, 2, 3))) static void reply(struct sigpad *pad, const char *fmt, ...)
{
	char line[SIGPAD_LINE_MAX + 1];
	va_list ap;

	inject(pad);
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	sim_device_printf(pad->sim, "%s", line);
}

/* --- operations -------------------------------------------------------------------- */

/* Back to idle; commands that waited run from the loop, not from here. */
static void stop_operation(struct sigpad *pad)
{
	static const struct timeval now = { 0, 0 };

	if (pad->op_ev)
		event_del(pad->op_ev);
	sigpad_ink_clear(&pad->ink);
	pad->state = ST_IDLE;
	if (pad->pump_ev && (pad->queued > 0 || pad->host_eof))
		evtimer_add(pad->pump_ev, &now);
}

static void arm(struct sigpad *pad, event_callback_fn cb, uint64_t scaled_us)
{
	struct timeval tv;

	if (pad->op_ev)
		event_free(pad->op_ev);
	pad->op_ev = evtimer_new(sim_base(pad->sim), cb, pad);
	sim_clock_us_tv(scaled_us, &tv);
	if (pad->op_ev)
		evtimer_add(pad->op_ev, &tv);
}

static uint64_t scaled(struct sigpad *pad, uint64_t ms)
{
	return sim_clock_scaled_us(sim_time_scale(pad->sim), ms);
}

static void selftest_cb(evutil_socket_t fd, short what, void *arg)
{
	struct sigpad *pad = arg;
	int q = sim_quality(pad->sim);
	double noise = 1.0 + (100 - q) * 0.6;

	switch (pad->step++) {
	case 0:
		reply(pad, "SELFTEST-STEP firmware pass version %s image crc ok", pad->firmware);
		break;
	case 1:
		reply(pad, "SELFTEST-STEP digitizer %s noise %.1f units (limit 37.0)",
				q >= 40 ? "pass" : "fail", noise);
		break;
	case 2:
		reply(pad, "SELFTEST-STEP pressure pass %d levels, zero offset 3",
				SIGPAD_PRESSURE_LEVELS);
		break;
	case 3:
		reply(pad, "SELFTEST-STEP clock pass %d points per second", SIGPAD_RATE);
		break;
	default:
		reply(pad, "SELFTEST-END %s", q >= 40 ? "pass" : "fail");
		stop_operation(pad);
		return;
	}
	arm(pad, selftest_cb, scaled(pad, SELFTEST_STEP_MS));
}

static void send_image(struct sigpad *pad)
{
	char hex[SIM_SHA256_HEX_LEN + 1], b64[SIM_BASE64_LEN(SIGPAD_IMAGE_CHUNK) + 1];
	uint8_t *png = NULL;
	size_t len = 0, off, n;

	if (sigpad_render_png(&pad->ink, &png, &len) < 0 || sim_sha256_hex(png, len, hex) < 0) {
		free(png);
		reply(pad, "ERR failure render the image could not be rendered");
		return;
	}
	reply(pad, "IMAGE-BEGIN width=%d height=%d bytes=%zu", SIGPAD_IMAGE_WIDTH,
			SIGPAD_IMAGE_HEIGHT, len);
	for (off = 0; off < len; off += n) {
		n = len - off < SIGPAD_IMAGE_CHUNK ? len - off : SIGPAD_IMAGE_CHUNK;
		sim_base64_encode(png + off, n, b64);
		reply(pad, "IMAGE-DATA %s", b64);
	}
	reply(pad, "IMAGE-END %s", hex);
	free(png);
}

static void finish_cb(evutil_socket_t fd, short what, void *arg)
{
	struct sigpad *pad = arg;

	if (pad->ink.npoints < pad->min_points) {
		reply(pad, "ERR too-short %zu points, fewer than min-points=%zu", pad->ink.npoints,
				pad->min_points);
	} else {
		reply(pad, "CAPTURE-END points=%zu strokes=%zu duration=%u", pad->ink.npoints,
				pad->ink.nstrokes, pad->ink.duration);
		send_image(pad);
	}
	pad->captures++;
	stop_operation(pad);
}

static void stream_cb(evutil_socket_t fd, short what, void *arg)
{
	struct sigpad *pad = arg;
	uint64_t elapsed = sim_clock_now_us() - pad->op_start_us, due;
	const struct sigpad_ink *ink = &pad->ink;

	pad->state = ST_STREAM;
	while (pad->next_point < ink->npoints) {
		const struct sigpad_point *p = &ink->points[pad->next_point];
		const struct sigpad_stroke *s = &ink->strokes[pad->next_stroke];

		due = scaled(pad, p->t);
		if (due > elapsed) {
			arm(pad, stream_cb, due - elapsed);
			return;
		}
		if (pad->next_point == pad->drop_at) {
			/* the cable is pulled: what was sent arrives, then nothing */
			sim_info("unplug-mid-capture after %zu points", pad->next_point);
			sim_device_unplug(pad->sim);
			return;
		}
		if (pad->next_point == s->first)
			reply(pad, "PEN-DOWN");
		reply(pad, "POINT %d %d %d %u", p->x, p->y, p->pressure, p->t);
		pad->next_point++;
		if (pad->next_point == s->first + s->count) {
			reply(pad, "PEN-UP");
			pad->next_stroke++;
		}
	}
	/* the signer taps the pad's OK button */
	pad->state = ST_FINISHING;
	arm(pad, finish_cb, scaled(pad, (uint64_t)sim_rng_range(sim_rng(pad->sim), 300, 700)));
}

static void pen_down_cb(evutil_socket_t fd, short what, void *arg)
{
	struct sigpad *pad = arg;

	pad->op_start_us = sim_clock_now_us();
	stream_cb(fd, what, arg);
}

static void pen_timeout_cb(evutil_socket_t fd, short what, void *arg)
{
	struct sigpad *pad = arg;

	reply(pad, "ERR timeout no pen contact within %u ms", pad->timeout_ms);
	stop_operation(pad);
}

static int parse_capture_args(struct sigpad *pad, char *args)
{
	uint64_t v;
	char *tok, *save = NULL, *eq;

	pad->timeout_ms = SIGPAD_TIMEOUT_DEFAULT;
	pad->min_points = 0;
	for (tok = args ? strtok_r(args, " \t", &save) : NULL; tok;
			tok = strtok_r(NULL, " \t", &save)) {
		eq = strchr(tok, '=');
		if (!eq)
			return -EINVAL;
		*eq++ = '\0';
		if (strcmp(tok, "timeout") == 0 &&
				sim_parse_uint(eq, 1, SIGPAD_TIMEOUT_MAX, &v) == 0)
			pad->timeout_ms = (uint32_t)v;
		else if (strcmp(tok, "min-points") == 0 &&
				sim_parse_uint(eq, 0, SIGPAD_POINTS_MAX, &v) == 0)
			pad->min_points = (size_t)v;
		else
			return -EINVAL;
	}
	return 0;
}

static void start_capture(struct sigpad *pad, char *args)
{
	struct sim_rng *rng = sim_rng(pad->sim);
	const char *name = pad->name;
	uint64_t pen_wait;
	int r;

	if (parse_capture_args(pad, args) < 0) {
		reply(pad, "ERR bad-argument usage: CAPTURE [timeout=1-%d] [min-points=0-%d]",
				SIGPAD_TIMEOUT_MAX, SIGPAD_POINTS_MAX);
		return;
	}
	if (!*name)
		name = sigpad_ink_default_name(rng);
	r = sigpad_ink_generate(rng, name, pad->points, sim_quality(pad->sim), &pad->ink);
	if (r < 0) {
		reply(pad, "ERR failure internal %s", strerror(-r));
		return;
	}
	pen_wait = (uint64_t)sim_rng_range(rng, 400, 1500);
	pad->next_point = 0;
	pad->next_stroke = 0;
	pad->drop_at = pad->unplug_mid_capture ? pad->ink.npoints / 2 : SIZE_MAX;
	pad->unplug_mid_capture = false;
	pad->state = ST_WAIT_PEN;
	if (pad->pen_timeout || pen_wait > pad->timeout_ms) {
		pad->pen_timeout = false;
		arm(pad, pen_timeout_cb, scaled(pad, pad->timeout_ms));
	} else {
		arm(pad, pen_down_cb, scaled(pad, pen_wait));
	}
}

/* --- commands ---------------------------------------------------------------------- */

static bool failing(struct sigpad *pad)
{
	char code[64];

	if (!sim_take_failure(pad->sim, code, sizeof(code)))
		return false;
	reply(pad, "ERR failure %s injected device failure", code);
	return true;
}

static void execute(struct sigpad *pad, char *line)
{
	char *cmd, *arg;
	uint64_t v;

	if (line == too_long) {
		reply(pad, "ERR line-too-long lines are at most %d bytes", SIGPAD_LINE_MAX);
		return;
	}
	if (sim_line_split(line, &cmd, &arg) < 0)
		return;
	pad->commands++;
	sim_debug("<- %s%s%s", cmd, arg ? " " : "", arg ? arg : "");
	if (strcmp(cmd, "PING") == 0) {
		reply(pad, arg ? "ERR bad-argument PING takes no argument" : "PONG");
		return;
	}
	if (strcmp(cmd, "CANCEL") == 0) {
		if (arg) {
			reply(pad, "ERR bad-argument CANCEL takes no argument");
		} else if (pad->state >= ST_WAIT_PEN) {
			stop_operation(pad);
			reply(pad, "CANCELLED");
		} else {
			reply(pad, "ERR not-capturing no capture to cancel");
		}
		return;
	}
	if (strcmp(cmd, "HELLO") && strcmp(cmd, "INFO") && strcmp(cmd, "SELFTEST") &&
			strcmp(cmd, "CAPTURE")) {
		reply(pad, "ERR unknown-command %.64s", cmd);
		return;
	}
	if (strcmp(cmd, "HELLO") == 0) {
		if (!arg || sim_parse_uint(arg, 1, 65535, &v) < 0) {
			reply(pad, "ERR bad-argument usage: HELLO <protocol-version>");
		} else {
			pad->hello = true;
			reply(pad, "HELLO-OK %d %s", SIGPAD_PROTOCOL_VERSION, pad->model);
		}
		return;
	}
	if (!pad->hello) {
		reply(pad, "ERR not-ready send HELLO first");
		return;
	}
	if (strcmp(cmd, "CAPTURE") == 0) {
		if (!failing(pad))
			start_capture(pad, arg);
		return;
	}
	if (arg) {
		reply(pad, "ERR bad-argument %s takes no argument", cmd);
		return;
	}
	if (failing(pad))
		return;
	if (strcmp(cmd, "INFO") == 0) {
		reply(pad, "INFO model=%s serial=%s firmware=%s width=%d height=%d dpi=%d "
				"pressure-levels=%d rate=%d image-width=%d image-height=%d",
				pad->model, pad->serial, pad->firmware, SIGPAD_WIDTH, SIGPAD_HEIGHT,
				SIGPAD_DPI, SIGPAD_PRESSURE_LEVELS, SIGPAD_RATE, SIGPAD_IMAGE_WIDTH,
				SIGPAD_IMAGE_HEIGHT);
	} else {
		pad->state = ST_SELFTEST;
		pad->step = 0;
		arm(pad, selftest_cb, scaled(pad, SELFTEST_STEP_MS));
	}
}

/* --- input: a queue of commands ----------------------------------------------------- */

/* CANCEL, PING and framing errors are answered even while an operation runs. */
static bool immediate(const char *line)
{
	size_t n;

	if (line == too_long)
		return true;
	while (*line == ' ' || *line == '\t')
		line++;
	n = strcspn(line, " \t\r");
	return (n == 6 && strncmp(line, "CANCEL", 6) == 0) ||
			(n == 4 && strncmp(line, "PING", 4) == 0);
}

static void free_line(char *line)
{
	if (line != too_long)
		free(line);
}

static void pump(struct sigpad *pad);

static void delay_cb(evutil_socket_t fd, short what, void *arg)
{
	struct sigpad *pad = arg;
	char *line = pad->pending;

	pad->pending = NULL;
	execute(pad, line);
	free_line(line);
	pump(pad);
}

static void pump_cb(evutil_socket_t fd, short what, void *arg)
{
	pump(arg);
}

/* Run what can run now, in order; CANCEL and PING overtake waiting commands. */
static void pump(struct sigpad *pad)
{
	unsigned int delay;
	struct timeval tv;
	size_t i;
	char *line;

	while (!pad->pending && pad->queued > 0 && sim_device_connected(pad->sim)) {
		for (i = 0; i < pad->queued; i++)
			if (pad->state == ST_IDLE || immediate(pad->queue[i]))
				break;
		if (i == pad->queued)
			break;
		line = pad->queue[i];
		memmove(&pad->queue[i], &pad->queue[i + 1], (pad->queued - i - 1) * sizeof(char *));
		pad->queued--;
		delay = sim_reply_delay_ms(pad->sim);
		if (delay > 0) {
			pad->pending = line;
			sim_clock_us_tv((uint64_t)delay * 1000, &tv);
			evtimer_add(pad->delay_ev, &tv);
			return;
		}
		execute(pad, line);
		free_line(line);
	}
	/* the host shut down its side: close once everything is answered */
	if (pad->host_eof && !pad->pending && pad->queued == 0 && pad->state == ST_IDLE &&
			sim_device_connected(pad->sim))
		sim_device_hangup(pad->sim);
}

void sigpad_readable(struct sigpad *pad, struct evbuffer *in)
{
	char *line;
	int r;

	for (;;) {
		r = sim_line_read(&pad->reader, in, &line);
		if (r == 0 || r == -ENOMEM)
			break;
		if (r == -E2BIG)
			line = (char *)too_long;
		else if (line[strspn(line, " \t")] == '\0') {
			free(line); /* blank lines are ignored */
			continue;
		}
		if (pad->queued == SIGPAD_QUEUE_MAX) {
			free_line(line);
			reply(pad, "ERR busy more than %d commands waiting", SIGPAD_QUEUE_MAX);
			continue;
		}
		pad->queue[pad->queued++] = line;
	}
	pump(pad);
}

void sigpad_host_eof(struct sigpad *pad)
{
	pad->host_eof = true;
	pump(pad);
}

void sigpad_connected(struct sigpad *pad)
{
	pad->reader.max = SIGPAD_LINE_MAX;
	pad->reader.discarding = false;
	pad->hello = false;
	pad->host_eof = false;
}

void sigpad_disconnected(struct sigpad *pad)
{
	stop_operation(pad);
	if (pad->pump_ev)
		event_del(pad->pump_ev);
	if (pad->delay_ev)
		evtimer_del(pad->delay_ev);
	free_line(pad->pending);
	pad->pending = NULL;
	while (pad->queued > 0)
		free_line(pad->queue[--pad->queued]);
	pad->hello = false;
	pad->host_eof = false;
}

int sigpad_init(struct sigpad *pad, struct sim *sim)
{
	pad->sim = sim;
	pad->delay_ev = evtimer_new(sim_base(sim), delay_cb, pad);
	pad->pump_ev = evtimer_new(sim_base(sim), pump_cb, pad);
	return pad->delay_ev && pad->pump_ev ? 0 : -ENOMEM;
}

void sigpad_fini(struct sigpad *pad)
{
	sigpad_disconnected(pad);
	if (pad->op_ev)
		event_free(pad->op_ev);
	if (pad->delay_ev)
		event_free(pad->delay_ev);
	if (pad->pump_ev)
		event_free(pad->pump_ev);
	pad->op_ev = pad->delay_ev = pad->pump_ev = NULL;
}
