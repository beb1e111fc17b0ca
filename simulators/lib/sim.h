/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * rekam - device simulators
 *
 * sim.h - the small library every rekam-sim-<device> program is built on:
 * the common command line, a libevent loop, the device endpoint (a Unix
 * stream socket serving one host at a time), the line-based control socket
 * with the common fault commands, a deterministic PRNG, the time scale, and
 * image helpers. Internal functions return 0 or a negative errno.
 */
#pragma once

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/time.h>

#include <cairo.h>
#include <event2/buffer.h>
#include <event2/event.h>

struct sim;

/* --- logging (sim-log.c) ---------------------------------------------------- */

enum sim_log_level { SIM_LOG_ERROR, SIM_LOG_WARNING, SIM_LOG_INFO, SIM_LOG_DEBUG };

void sim_log_setup(const char *ident, bool verbose);
__attribute__((format(printf, 2, 3))) void sim_log(enum sim_log_level level, const char *fmt, ...);
#define sim_err(...) sim_log(SIM_LOG_ERROR, __VA_ARGS__)
#define sim_warn(...) sim_log(SIM_LOG_WARNING, __VA_ARGS__)
#define sim_info(...) sim_log(SIM_LOG_INFO, __VA_ARGS__)
#define sim_debug(...) sim_log(SIM_LOG_DEBUG, __VA_ARGS__)

/* --- deterministic PRNG (sim-random.c): xoshiro256** seeded by splitmix64 ---- */

struct sim_rng {
	uint64_t s[4];
};

uint64_t sim_splitmix64(uint64_t *state);
void sim_rng_seed(struct sim_rng *rng, uint64_t seed);
uint64_t sim_rng_next(struct sim_rng *rng);
/* Uniform in [0, n) without modulo bias; 0 when n is 0. */
uint64_t sim_rng_below(struct sim_rng *rng, uint64_t n);
/* Uniform integer in [lo, hi] (inclusive). */
int64_t sim_rng_range(struct sim_rng *rng, int64_t lo, int64_t hi);
/* Uniform double in [0, 1). */
double sim_rng_double(struct sim_rng *rng);
/* Uniform double in [lo, hi). */
double sim_rng_uniform(struct sim_rng *rng, double lo, double hi);
/* Normal distribution (Box-Muller, one draw per call). */
double sim_rng_normal(struct sim_rng *rng, double mean, double sd);

/* --- time scale (sim-clock.c) ------------------------------------------------- */

#define SIM_TIME_SCALE_MAX 1000.0

/* Parse a time scale: a finite number in [0, SIM_TIME_SCALE_MAX]. */
int sim_clock_parse_scale(const char *text, double *scale);
/* The real time in microseconds that a device delay of ms takes. */
uint64_t sim_clock_scaled_us(double scale, uint64_t ms);
/* The same as a timeval, for event_add(). */
void sim_clock_scaled_tv(double scale, uint64_t ms, struct timeval *tv);
/* A timeval for a real (unscaled) delay in microseconds. */
void sim_clock_us_tv(uint64_t us, struct timeval *tv);
/* CLOCK_MONOTONIC in microseconds. */
uint64_t sim_clock_now_us(void);

/* --- lines (sim-line.c) -------------------------------------------------------- */

struct sim_line_reader {
	size_t max;      /* longest line accepted, not counting the '\n' */
	bool discarding; /* inside an over-long line: skip up to its '\n' */
};

/*
 * Take the next complete line out of in. Returns 1 and a malloc'd,
 * NUL-terminated line without "\n" or "\r\n"; 0 when no complete line is
 * buffered; -E2BIG once for a line longer than r->max (the rest of that line
 * is then discarded as it arrives); -ENOMEM.
 */
int sim_line_read(struct sim_line_reader *r, struct evbuffer *in, char **line);
/* Split a line in place into a command word and the rest (NULL when none);
 * surrounding blanks are removed. -ENODATA for a blank line. */
int sim_line_split(char *line, char **cmd, char **arg);
/* Parse an unsigned decimal number in [min, max]: 0, -EINVAL or -ERANGE. */
int sim_parse_uint(const char *text, uint64_t min, uint64_t max, uint64_t *value);

/* --- encodings (sim-encode.c) ---------------------------------------------------- */

#define SIM_SHA256_HEX_LEN 64
#define SIM_BASE64_LEN(n) (4 * (((n) + 2) / 3))

/* Lowercase hex SHA-256 of data into hex[65]. */
int sim_sha256_hex(const void *data, size_t len, char *hex);
/* Standard base64 (with padding, no newlines) into out, which must hold
 * SIM_BASE64_LEN(len) + 1 bytes; returns the length written. */
size_t sim_base64_encode(const void *data, size_t len, char *out);

/* --- images (sim-image.c) --------------------------------------------------------- */

/* A white (opaque) or transparent surface: CAIRO_FORMAT_RGB24 or ARGB32. */
int sim_image_new(int width, int height, bool alpha, cairo_surface_t **surface);
/* Encode as PNG into a malloc'd buffer. */
int sim_image_png(cairo_surface_t *surface, uint8_t **data, size_t *len);
/* Encode a grey picture drawn on an RGB24 or ARGB32 surface as an 8-bit grey
 * PNG (a third of the pixels of RGB to compress), alpha dropped. */
int sim_image_png_grey(cairo_surface_t *surface, uint8_t **data, size_t *len);
/* Encode as a baseline JPEG (quality 1-100, 4:2:0, @dpi in the JFIF header
 * when not 0) into a malloc'd buffer. Alpha, if any, is dropped. */
int sim_image_jpeg(cairo_surface_t *surface, int quality, unsigned int dpi, uint8_t **data,
		size_t *len);

/* --- the simulator framework (sim-main.c, sim-device.c, sim-control.c) ------------ */

enum sim_arg { SIM_ARG_NONE, SIM_ARG_REQUIRED, SIM_ARG_OPTIONAL };

/*
 * A control command. run() writes its answer text into out (may stay empty)
 * and returns 0 for "OK [out]" or a negative errno for "ERR <out>" (when out
 * is empty, the errno's description is used).
 *
 * A command without run() arms a one-shot fault: it sets *arm to true and
 * answers "OK <armed>" (SIM_ARG_NONE).
 */
struct sim_command {
	const char *name;
	enum sim_arg arg;
	const char *arg_help; /* e.g. "MS", "TEXT" */
	const char *help;     /* one sentence or two for --help and `help` */
	int (*run)(struct sim *sim, const char *arg, char *out, size_t outlen);
	bool *arm;
	const char *armed;
};

/*
 * A simulator-specific command-line option (long form only). An option
 * without set() takes a whole number from min to max into *number (any
 * other value is refused like a set() that returns -EINVAL).
 */
struct sim_option {
	const char *name;
	const char *arg_help; /* NULL: a flag without a value */
	const char *help;
	int (*set)(struct sim *sim, const char *arg); /* -EINVAL: bad value */
	unsigned int *number;
	unsigned int min, max;
};

struct sim_device_ops {
	/* A host connected to the device endpoint. */
	void (*connected)(struct sim *sim);
	/* Data arrived from the host. */
	void (*readable)(struct sim *sim, struct evbuffer *in);
	/* The host shut down its sending side (e.g. socat at the end of its input);
	 * the simulator answers what is pending, then calls sim_device_hangup().
	 * Without this callback the connection is closed at once. */
	void (*host_eof)(struct sim *sim);
	/* The host connection is gone (host closed it, I/O error or unplug). */
	void (*disconnected)(struct sim *sim);
	/* Append " key=value" pairs to the control `status` answer. */
	void (*status)(struct sim *sim, struct evbuffer *out);
	/* The control `seed N` command reseeded the generator. */
	void (*reseeded)(struct sim *sim);
};

struct sim_descriptor {
	const char *name;        /* program name, e.g. "rekam-sim-sigpad" */
	const char *summary;     /* one line: what it imitates */
	const char *description; /* paragraphs for --help */
	const char *protocol;    /* the device protocol in brief, for --help */
	const char *example;     /* an example session, for --help */
	const char *busy_reply;  /* line sent to a second host before closing it */
	const struct sim_option *options;   /* NULL-name terminated, or NULL */
	const struct sim_command *commands; /* NULL-name terminated, or NULL */
	const struct sim_device_ops *ops;
	int (*init)(struct sim *sim); /* after the command line, before the loop */
	void (*fini)(struct sim *sim);
};

/* Run a simulator; returns the process exit status (0, 64, 69, 71). */
int sim_main(const struct sim_descriptor *desc, void *priv, int argc, char **argv);

void *sim_priv(struct sim *sim);
struct event_base *sim_base(struct sim *sim);
struct sim_rng *sim_rng(struct sim *sim);
uint64_t sim_seed(const struct sim *sim);
double sim_time_scale(const struct sim *sim);
/* A device delay of ms, scaled by --time-scale. */
void sim_scaled_tv(const struct sim *sim, uint64_t ms, struct timeval *tv);
/* The `delay MS` fault: real milliseconds before every device reply. */
unsigned int sim_reply_delay_ms(const struct sim *sim);
/* The `quality N` setting, 0-100. */
int sim_quality(const struct sim *sim);
/* Take (and clear) a pending `fail CODE`: true and the code copied. */
bool sim_take_failure(struct sim *sim, char *code, size_t len);

bool sim_device_connected(const struct sim *sim);
bool sim_device_plugged(const struct sim *sim);
/* Queue bytes / a formatted line ('\n' added) to the host; -ENOTCONN. */
int sim_device_write(struct sim *sim, const void *data, size_t len);
__attribute__((format(printf, 2, 3))) int sim_device_printf(struct sim *sim, const char *fmt, ...);
/* Close the host connection after what is queued has been sent. */
void sim_device_hangup(struct sim *sim);
/* The device disappears (queued output is still flushed) / comes back. */
void sim_device_unplug(struct sim *sim);
int sim_device_replug(struct sim *sim);
