// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * rekam - device plugins
 *
 * sigpad-sim.c - signature pads speaking rekam's pad protocol
 * (docs/device-protocol.md) over a Unix stream socket: rekam-sim-sigpad,
 * and any pad bridged to that protocol. Connection: "sim:unix:/path".
 *
 * Everything runs on the host's event loop: the socket is non-blocking, each
 * line from the pad is checked (printable ASCII, at most 4096 bytes, a known
 * message) before it is believed, and a pad that disconnects or talks
 * nonsense fails the running operation with a clear error instead of hanging.
 * A capture gives two artifacts: the pen strokes (x, y, pressure, t: ISO/IEC
 * 19794-7 style, as JSON) and the pad's PNG rendering, checked against the
 * SHA-256 the pad sends with it.
 */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <syslog.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "plugins/sigpad-sim/strokes.h"
#include "rekam/plugin.h"

#define PREFIX "sim:unix:"
#define LINE_MAX_BYTES 4096
#define PROTOCOL_VERSION 1
#define IMAGE_MAX (8u * 1024 * 1024)
#define PEN_TIMEOUT_DEFAULT 30000

static const struct rk_host *host;

enum phase {
	PHASE_HELLO,    /* open: HELLO sent */
	PHASE_INFO,     /* open: INFO sent */
	PHASE_IDLE,
	PHASE_SELFTEST,
	PHASE_CAPTURE,  /* strokes */
	PHASE_IMAGE,    /* IMAGE-DATA lines */
	PHASE_DRAIN,    /* cancelled: ignore lines until the pad's last word */
};

struct pad {
	struct rk_device *dev;
	int fd;
	struct rk_watch *watch;
	enum phase phase;
	struct rk_op *op;
	char in[LINE_MAX_BYTES + 2];
	size_t in_len;
	bool overlong; /* discarding the rest of a too long line */
	char *out;     /* bytes not written yet */
	size_t out_len;
	struct strokes strokes;
	unsigned int dpi, width, height, levels, rate;
	unsigned char *image;
	size_t image_len, image_expected;
	unsigned int image_w, image_h;
};

/* --- connection ------------------------------------------------------------ */

static int probe(const struct rk_host *h, const struct rk_probe_info *info)
{
	const char *c = info->connection;

	if (!c || strncmp(c, PREFIX, strlen(PREFIX)) != 0)
		return -ENODEV;
	if (c[strlen(PREFIX)] != '/' || strlen(c + strlen(PREFIX)) >=
			sizeof(((struct sockaddr_un *)0)->sun_path))
		return -EINVAL;
	return 0;
}

static void watch_cb(int fd, unsigned int events, void *data);

static void disconnect(struct pad *pad)
{
	host->watch_remove(pad->watch);
	pad->watch = NULL;
	if (pad->fd >= 0)
		close(pad->fd);
	pad->fd = -1;
	free(pad->out);
	pad->out = NULL;
	pad->out_len = 0;
	pad->in_len = 0;
	pad->overlong = false;
	strokes_clear(&pad->strokes);
	free(pad->image);
	pad->image = NULL;
}

/* Finish the running operation, if any. */
static void finish(struct pad *pad, int err, const char *message)
{
	struct rk_op *op = pad->op;

	pad->op = NULL;
	if (pad->phase != PHASE_DRAIN || err == -ENODEV)
		pad->phase = PHASE_IDLE;
	strokes_clear(&pad->strokes);
	free(pad->image);
	pad->image = NULL;
	if (op)
		host->op_complete(op, err, message);
}

/* The pad is gone (EOF, error, protocol breach at open). */
static void lost(struct pad *pad, const char *why)
{
	bool opening = pad->phase == PHASE_HELLO || pad->phase == PHASE_INFO;

	disconnect(pad);
	if (opening) {
		finish(pad, -ENODEV, why);
		return;
	}
	pad->phase = PHASE_IDLE;
	finish(pad, -ENODEV, why);
	host->gone(pad->dev, why);
}

static int send_line(struct pad *pad, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int send_line(struct pad *pad, const char *fmt, ...)
{
	char line[256];
	char *bigger;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line) - 1, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(line) - 1)
		return -EINVAL;
	line[n++] = '\n';
	bigger = realloc(pad->out, pad->out_len + (size_t)n);
	if (!bigger)
		return -ENOMEM;
	pad->out = bigger;
	memcpy(pad->out + pad->out_len, line, (size_t)n);
	pad->out_len += (size_t)n;
	host->watch_set_events(pad->watch, RK_WATCH_READ | RK_WATCH_WRITE);
	return 0;
}

static void flush_out(struct pad *pad)
{
	ssize_t n = send(pad->fd, pad->out, pad->out_len, MSG_NOSIGNAL | MSG_DONTWAIT);

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n < 0) {
		lost(pad, "the pad connection failed while sending");
		return;
	}
	memmove(pad->out, pad->out + n, pad->out_len - (size_t)n);
	pad->out_len -= (size_t)n;
	if (!pad->out_len)
		host->watch_set_events(pad->watch, RK_WATCH_READ);
}

static int pad_open(struct rk_device *dev, struct rk_op *op)
{
	struct pad *pad = host->get_data(dev);
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	const char *path = host->connection(dev) + strlen(PREFIX);
	char why[160];

	if (!pad) {
		pad = calloc(1, sizeof(*pad));
		if (!pad)
			return -ENOMEM;
		pad->dev = dev;
		pad->fd = -1;
		host->set_data(dev, pad);
	}
	snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", path);
	pad->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (pad->fd < 0)
		return -errno;
	if (connect(pad->fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
		snprintf(why, sizeof(why), "no pad answers at %s: %s", path, strerror(errno));
		close(pad->fd);
		pad->fd = -1;
		host->op_complete(op, -ENODEV, why);
		return 0;
	}
	pad->watch = host->watch_add(dev, pad->fd, RK_WATCH_READ, watch_cb, pad);
	if (!pad->watch) {
		disconnect(pad);
		return -ENOMEM;
	}
	pad->op = op;
	pad->phase = PHASE_HELLO;
	return send_line(pad, "HELLO %d", PROTOCOL_VERSION);
}

static void pad_close(struct rk_device *dev)
{
	struct pad *pad = host->get_data(dev);

	if (!pad)
		return;
	pad->op = NULL; /* the host has finished it */
	disconnect(pad);
	free(pad);
	host->set_data(dev, NULL);
}

/* --- parsing the pad's lines ----------------------------------------------- */

/* "key=value" of @line as an unsigned number, or false. */
static bool field_uint(const char *line, const char *key, unsigned long max, unsigned long *out)
{
	char pattern[32], *end;
	const char *p;

	snprintf(pattern, sizeof(pattern), " %s=", key);
	p = strstr(line, pattern);
	if (!p)
		return false;
	p += strlen(pattern);
	errno = 0;
	*out = strtoul(p, &end, 10);
	return !errno && end != p && (*end == ' ' || !*end) && *out <= max && *p != '-';
}

/* "key=value" of @line as a word into @buf, or false. */
static bool field_word(const char *line, const char *key, char *buf, size_t size)
{
	char pattern[32];
	const char *p;
	size_t n;

	snprintf(pattern, sizeof(pattern), " %s=", key);
	p = strstr(line, pattern);
	if (!p)
		return false;
	p += strlen(pattern);
	n = strcspn(p, " ");
	if (!n || n >= size)
		return false;
	memcpy(buf, p, n);
	buf[n] = '\0';
	return true;
}

static bool starts(const char *line, const char *word)
{
	size_t n = strlen(word);

	return strncmp(line, word, n) == 0 && (line[n] == ' ' || !line[n]);
}

/* The pad broke the protocol during an operation: fail it, ask the pad to
 * stop, and ignore what it still sends for that operation. */
static void fail_protocol(struct pad *pad, const char *why)
{
	if (pad->phase == PHASE_CAPTURE || pad->phase == PHASE_IMAGE)
		send_line(pad, "CANCEL");
	pad->phase = PHASE_DRAIN;
	finish(pad, -EPROTO, why);
}

/* An "ERR code text" line as an operation result. */
static void pad_error(struct pad *pad, const char *line)
{
	const char *code = line + 4, *text = strchr(code, ' ');
	char message[320];
	int err = -EPROTO;

	snprintf(message, sizeof(message), "the pad reports: %s", code);
	if (starts(code, "timeout")) {
		err = -ETIMEDOUT;
		snprintf(message, sizeof(message), "no pen touched the pad: %s",
			text ? text + 1 : "timeout");
	} else if (starts(code, "busy")) {
		err = -EBUSY;
	} else if (starts(code, "bad-argument")) {
		err = -EINVAL;
	} else if (starts(code, "failure") || starts(code, "too-short")) {
		err = -EIO;
	}
	finish(pad, err, message);
}

static void on_open_line(struct pad *pad, const char *line)
{
	char model[64], serial[64], firmware[32];
	unsigned long dpi, width, height, levels, rate;

	if (pad->phase == PHASE_HELLO) {
		if (!starts(line, "HELLO-OK")) {
			lost(pad, "the device did not answer HELLO like a signature pad");
			return;
		}
		pad->phase = PHASE_INFO;
		send_line(pad, "INFO");
		return;
	}
	if (!starts(line, "INFO") || !field_word(line, "model", model, sizeof(model)) ||
			!field_word(line, "serial", serial, sizeof(serial)) ||
			!field_word(line, "firmware", firmware, sizeof(firmware)) ||
			!field_uint(line, "dpi", 100000, &dpi) ||
			!field_uint(line, "width", 1000000, &width) ||
			!field_uint(line, "height", 1000000, &height) ||
			!field_uint(line, "pressure-levels", 65536, &levels) ||
			!field_uint(line, "rate", 10000, &rate) || !dpi || !width || !height) {
		lost(pad, "the pad's INFO line is malformed");
		return;
	}
	pad->dpi = (unsigned int)dpi;
	pad->width = (unsigned int)width;
	pad->height = (unsigned int)height;
	pad->levels = (unsigned int)levels;
	pad->rate = (unsigned int)rate;
	host->set_info(pad->dev, model, serial, firmware);
	host->set_health_bool(pad->dev, "Connected", true);
	host->set_health_int(pad->dev, "PointsPerSecond", (int64_t)rate);
	host->set_health_int(pad->dev, "PressureLevels", (int64_t)levels);
	finish(pad, 0, NULL);
}

static void on_selftest_line(struct pad *pad, const char *line)
{
	char name[64];
	const char *rest;
	int n = 0;

	if (starts(line, "SELFTEST-END")) {
		finish(pad, 0, NULL);
		return;
	}
	if (!starts(line, "SELFTEST-STEP") || sscanf(line, "SELFTEST-STEP %63s %n", name, &n) != 1 ||
			!n) {
		fail_protocol(pad, "the pad sent a malformed self-test line");
		return;
	}
	rest = line + n;
	if (starts(rest, "pass") || starts(rest, "fail"))
		host->op_add_step(pad->op, name, rest[0] == 'p', rest[4] ? rest + 5 : "");
	else
		fail_protocol(pad, "the pad sent a self-test step without pass or fail");
}

static void on_capture_line(struct pad *pad, const char *line)
{
	long x, y, p;
	unsigned long t, w, h, bytes;
	int end = 0;

	if (starts(line, "PEN-DOWN")) {
		if (strokes_pen_down(&pad->strokes) < 0)
			fail_protocol(pad, "the pad sent PEN-DOWN twice");
		else if (pad->strokes.n_strokes == 1)
			host->op_progress(pad->op, "capturing", -1, "The applicant is signing");
	} else if (starts(line, "PEN-UP")) {
		if (strokes_pen_up(&pad->strokes) < 0)
			fail_protocol(pad, "the pad sent PEN-UP without PEN-DOWN");
	} else if (starts(line, "POINT")) {
		if (sscanf(line, "POINT %ld %ld %ld %lu%n", &x, &y, &p, &t, &end) != 4 ||
				line[end] || x < 0 || y < 0 || (unsigned long)x > pad->width ||
				(unsigned long)y > pad->height || p < 0 || p >= (long)pad->levels ||
				strokes_add(&pad->strokes, (int32_t)x, (int32_t)y, (int32_t)p,
					(uint32_t)t) < 0)
			fail_protocol(pad, "the pad sent a malformed or out-of-range point");
	} else if (starts(line, "CAPTURE-END")) {
		host->op_progress(pad->op, "transferring", -1, "Receiving the signature image");
	} else if (starts(line, "IMAGE-BEGIN")) {
		if (!field_uint(line, "width", 10000, &w) || !field_uint(line, "height", 10000, &h) ||
				!field_uint(line, "bytes", IMAGE_MAX, &bytes) || !bytes ||
				/* EVP_DecodeBlock writes whole 3-byte groups, padding too */
				!(pad->image = malloc(bytes + 3))) {
			fail_protocol(pad, "the pad announced an unusable image");
			return;
		}
		pad->image_w = (unsigned int)w;
		pad->image_h = (unsigned int)h;
		pad->image_expected = bytes;
		pad->image_len = 0;
		pad->phase = PHASE_IMAGE;
	} else {
		fail_protocol(pad, "the pad sent an unexpected line during a capture");
	}
}

static void deliver(struct pad *pad)
{
	char *json = NULL;
	size_t json_len = 0;
	int err;

	err = strokes_to_json(&pad->strokes, pad->dpi, pad->width, pad->height, pad->levels,
		pad->rate, &json, &json_len);
	if (!err)
		err = host->op_add_artifact(pad->op, &(struct rk_artifact){
			.kind = "signature-strokes",
			.format = "application/json",
			.quality = -1,
			.data = json,
			.size = json_len,
		});
	free(json);
	if (!err)
		err = host->op_add_artifact(pad->op, &(struct rk_artifact){
			.kind = "signature-image",
			.format = "image/png",
			.width = pad->image_w,
			.height = pad->image_h,
			/* the image spans the pad's active width */
			.dpi = pad->width ? (uint32_t)((uint64_t)pad->image_w * pad->dpi / pad->width) : 0,
			.quality = -1,
			.data = pad->image,
			.size = pad->image_len,
		});
	finish(pad, err, err ? "the signature could not be handed over" : NULL);
}

static void on_image_line(struct pad *pad, const char *line)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	char hex[2 * EVP_MAX_MD_SIZE + 1];
	unsigned int md_len = 0;

	if (starts(line, "IMAGE-DATA")) {
		const char *b64 = line + 11;
		size_t len = strlen(b64), pad_chars = 0;
		int n;

		if (!len || len % 4 || pad->image_len + len / 4 * 3 > pad->image_expected + 3) {
			fail_protocol(pad, "the pad sent a malformed image line");
			return;
		}
		pad_chars = (b64[len - 1] == '=') + (b64[len - 2] == '=');
		n = EVP_DecodeBlock(pad->image + pad->image_len, (const unsigned char *)b64,
			(int)len);
		if (n < 0 || (size_t)n - pad_chars + pad->image_len > pad->image_expected) {
			fail_protocol(pad, "the pad sent image data that is not base64");
			return;
		}
		pad->image_len += (size_t)n - pad_chars;
		return;
	}
	if (!starts(line, "IMAGE-END") || pad->image_len != pad->image_expected) {
		finish(pad, -EPROTO, "the signature image arrived incomplete");
		return;
	}
	EVP_Digest(pad->image, pad->image_len, md, &md_len, EVP_sha256(), NULL);
	for (unsigned int i = 0; i < md_len; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	if (strcmp(line + 10, hex) != 0) {
		finish(pad, -EPROTO, "the signature image is damaged (SHA-256 mismatch)");
		return;
	}
	deliver(pad);
}

static void on_line(struct pad *pad, const char *line)
{
	host->log(pad->dev, LOG_DEBUG, "<- %.80s", line);
	if (starts(line, "ERR") && pad->phase != PHASE_DRAIN && pad->phase != PHASE_IDLE) {
		if (pad->phase == PHASE_HELLO || pad->phase == PHASE_INFO)
			lost(pad, line);
		else
			pad_error(pad, line);
		return;
	}
	switch (pad->phase) {
	case PHASE_HELLO:
	case PHASE_INFO:
		on_open_line(pad, line);
		break;
	case PHASE_SELFTEST:
		on_selftest_line(pad, line);
		break;
	case PHASE_CAPTURE:
		on_capture_line(pad, line);
		break;
	case PHASE_IMAGE:
		on_image_line(pad, line);
		break;
	case PHASE_DRAIN:
		/* The pad's last word on a cancelled operation. */
		if (starts(line, "CANCELLED") || starts(line, "SELFTEST-END") ||
				starts(line, "IMAGE-END") || starts(line, "ERR"))
			pad->phase = PHASE_IDLE;
		break;
	case PHASE_IDLE:
		host->log(pad->dev, LOG_WARNING, "unexpected line from the idle pad ignored");
		break;
	}
}

static bool printable(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7e)
			return false;
	return true;
}

/* A line the protocol forbids: fail what runs, keep the connection. */
static void bad_line(struct pad *pad, const char *why)
{
	host->log(pad->dev, LOG_WARNING, "%s", why);
	if (pad->op && pad->phase != PHASE_HELLO && pad->phase != PHASE_INFO)
		fail_protocol(pad, why);
	else if (pad->op)
		lost(pad, why);
}

static void read_lines(struct pad *pad)
{
	char *nl;

	while (pad->fd >= 0 && (nl = memchr(pad->in, '\n', pad->in_len))) {
		size_t len = (size_t)(nl - pad->in);

		*nl = '\0';
		if (pad->overlong)
			pad->overlong = false; /* the end of a line already refused */
		else if (!printable(pad->in, len))
			bad_line(pad, "the pad sent a garbled line");
		else
			on_line(pad, pad->in);
		if (pad->fd < 0)
			return;
		memmove(pad->in, nl + 1, pad->in_len - len - 1);
		pad->in_len -= len + 1;
	}
	if (pad->in_len > LINE_MAX_BYTES) {
		if (!pad->overlong)
			bad_line(pad, "the pad sent a line longer than 4096 bytes");
		pad->overlong = true;
		pad->in_len = 0;
	}
}

static void watch_cb(int fd, unsigned int events, void *data)
{
	struct pad *pad = data;
	ssize_t n;

	if (events & RK_WATCH_WRITE) {
		flush_out(pad);
		if (pad->fd < 0)
			return;
	}
	if (!(events & RK_WATCH_READ))
		return;
	n = recv(fd, pad->in + pad->in_len, sizeof(pad->in) - 1 - pad->in_len, MSG_DONTWAIT);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		lost(pad, n == 0 ? "the pad was unplugged" : "the pad connection failed");
		return;
	}
	pad->in_len += (size_t)n;
	read_lines(pad);
}

/* --- operations ------------------------------------------------------------ */

static int pad_self_test(struct rk_device *dev, struct rk_op *op)
{
	struct pad *pad = host->get_data(dev);

	if (pad->fd < 0 || pad->phase != PHASE_IDLE)
		return pad->fd < 0 ? -ENODEV : -EBUSY;
	pad->op = op;
	pad->phase = PHASE_SELFTEST;
	host->op_progress(op, "testing", -1, "The pad tests itself");
	return send_line(pad, "SELFTEST");
}

static int pad_capture(struct rk_device *dev, struct rk_op *op, const struct rk_options *options)
{
	struct pad *pad = host->get_data(dev);
	int64_t pen = host->option_int(options, "pen-timeout", PEN_TIMEOUT_DEFAULT);
	int64_t min_points = host->option_int(options, "min-points", 0);

	if (pen < 1 || pen > 600000 || min_points < 0 || min_points > 20000)
		return -EINVAL;
	if (pad->fd < 0 || pad->phase != PHASE_IDLE)
		return pad->fd < 0 ? -ENODEV : -EBUSY;
	pad->op = op;
	pad->phase = PHASE_CAPTURE;
	strokes_clear(&pad->strokes);
	host->op_progress(op, "waiting-for-pen", -1, "Waiting for the applicant to sign");
	return send_line(pad, "CAPTURE timeout=%lld min-points=%lld", (long long)pen,
		(long long)min_points);
}

static void pad_cancel(struct rk_device *dev, struct rk_op *op)
{
	struct pad *pad = host->get_data(dev);
	bool capturing = pad->phase == PHASE_CAPTURE || pad->phase == PHASE_IMAGE;

	if (pad->op != op)
		return;
	if (pad->phase == PHASE_HELLO || pad->phase == PHASE_INFO) {
		disconnect(pad); /* a pad that does not answer at open */
		finish(pad, -ECANCELED, NULL);
		return;
	}
	if (capturing)
		send_line(pad, "CANCEL");
	pad->phase = PHASE_DRAIN; /* a self-test runs to its end on the pad */
	finish(pad, -ECANCELED, NULL);
}

static const struct rk_device_ops ops = {
	.probe = probe,
	.open = pad_open,
	.close = pad_close,
	.self_test = pad_self_test,
	.capture = pad_capture,
	.cancel = pad_cancel,
};

static int init(const struct rk_host *h)
{
	host = h;
	return 0;
}

REKAM_PLUGIN_DEFINE("sigpad-sim", "signature pads speaking the rekam pad protocol", PACKAGE_VERSION,
	RK_DEVICE_SIGPAD, NULL, &ops, init, NULL);
