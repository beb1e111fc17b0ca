// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * rekam - device plugins
 *
 * sbi.c - fingerprint scanners and iris cameras behind a MOSIP Secure
 * Biometric Interface (SBI / MDS 0.9.5) device service on 127.0.0.1. The
 * same code is built twice: rekam-fingerprint-sbi.so (class fingerprint,
 * SBI type Finger) and rekam-iris-sbi.so (class iris, type Iris), because a
 * plugin drives one device class. Connection: "sbi:127.0.0.1:PORT" or
 * "sbi:127.0.0.1:FIRST-LAST" (ports 1-65535; SBI services use 4501-4600).
 *
 * open: MOSIPDISC on every port of the range at once, the lowest port with a
 * device of our type wins; MOSIPDINFO there, the signed device info checked
 * (and its certificate pinned, or checked against trust= when configured).
 * capture: RCAPTURE of one sub-id (left/right slap, thumbs; left/right/both
 * eyes) minus the exceptions; every data block's JWS is verified with the
 * pinned certificate and the hash chain is followed from the previous
 * capture of this device (or previous-hash=). One artifact per finger or
 * eye, plus a JSON summary (qualities, exceptions, fingers not detected,
 * the hash). While idle, MOSIPDINFO every poll-interval ms keeps the health
 * Status current and notices a service that went away. All HTTP goes through libcurl's multi interface on the host's
 * loop (sbi-http.c); all parsing is in sbi-reply.c.
 */
#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jansson.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h> /* X509_check_issued */

#include "plugins/biometric-sbi/sbi-http.h"
#include "plugins/biometric-sbi/sbi-reply.h"
#include "rekam/plugin.h"

#ifdef SBI_PLUGIN_IRIS
#define SBI_TYPE SBI_IRIS
#define SBI_CLASS RK_DEVICE_IRIS
#define SBI_PLUGIN "iris-sbi"
#define SBI_KIND "iris"
#define SBI_TYPE_NAME "Iris"
#define SBI_DEFAULT_SCORE 60
#define SBI_SUBTYPES "left, right or both"
#define SBI_PARTS "eyes: left, right"
#else
#define SBI_TYPE SBI_FINGER
#define SBI_CLASS RK_DEVICE_FINGERPRINT
#define SBI_PLUGIN "fingerprint-sbi"
#define SBI_KIND "fingerprint"
#define SBI_TYPE_NAME "Finger"
#define SBI_DEFAULT_SCORE 40
#define SBI_SUBTYPES "left-slap, right-slap or thumbs"
#define SBI_PARTS "fingers: left-index, left-middle, left-ring, left-little, right-index, " \
	"right-middle, right-ring, right-little, left-thumb, right-thumb"
#endif

#define PREFIX "sbi:127.0.0.1:"
#define DISCOVERY_TIMEOUT_MS 3000
#define INFO_TIMEOUT_MS 5000
#define CAPTURE_TIMEOUT_DEFAULT 40000
#define POLL_DEFAULT_MS 5000
#define MAX_PORTS 100

static const struct rk_host *host;

enum phase { PHASE_IDLE, PHASE_DISCOVER, PHASE_INFO, PHASE_CAPTURE };

struct sbi;

/* What a discovery request is for: its device and port. */
struct sbi_port {
	struct sbi *s;
	unsigned int port;
};

struct sbi {
	struct rk_device *dev;
	struct sbi_http *http;
	unsigned int port_lo, port_hi, port;
	char device_id[32];
	X509 *cert;  /* the device certificate, from its signed device info */
	X509 *trust; /* trust= of the config, or NULL */
	bool registered;
	enum phase phase;
	struct rk_op *op;
	bool self_test;
	struct sbi_call *calls[MAX_PORTS];
	struct sbi_port ports[MAX_PORTS];
	unsigned int pending;
	unsigned int best_port;
	struct sbi_discovery best;
	/* capture */
	struct sbi_call *capture;
	struct sbi_request req;
	char tid[64];
	int sub;
	unsigned int exceptions;
	double requested;
	bool keep_reply;
	unsigned char chain[32];
	unsigned long counter;
	/* the status poll while idle */
	unsigned int poll_ms;
	struct rk_timer *poll;
	struct sbi_call *poll_call;
};

/* --- connection ------------------------------------------------------------------- */

static int parse_ports(const char *c, unsigned int *lo, unsigned int *hi)
{
	unsigned long a, b;
	char *end;

	if (!c || strncmp(c, PREFIX, strlen(PREFIX)) != 0)
		return -ENODEV;
	c += strlen(PREFIX);
	errno = 0;
	a = strtoul(c, &end, 10);
	if (errno || end == c || *c == '-' || *c == '+')
		return -EINVAL;
	b = a;
	if (*end == '-') {
		c = end + 1;
		b = strtoul(c, &end, 10);
		if (errno || end == c || *c == '-' || *c == '+')
			return -EINVAL;
	}
	if (*end || a < 1 || b > 65535 || a > b || b - a >= MAX_PORTS)
		return -EINVAL;
	*lo = (unsigned int)a;
	*hi = (unsigned int)b;
	return 0;
}

static int probe(const struct rk_host *h, const struct rk_probe_info *info)
{
	unsigned int lo, hi;
	int r;

	if (!info->connection || strncmp(info->connection, "sbi:", 4) != 0)
		return -ENODEV;
	r = parse_ports(info->connection, &lo, &hi);
	return r == -ENODEV ? -EINVAL : r; /* "sbi:" but not 127.0.0.1: ours, unusable */
}

static void finish(struct sbi *s, int err, const char *message)
{
	struct rk_op *op = s->op;

	s->op = NULL;
	s->phase = PHASE_IDLE;
	s->self_test = false;
	if (op)
		host->op_complete(op, err, message);
}

static void abort_calls(struct sbi *s)
{
	for (unsigned int i = 0; i < MAX_PORTS; i++) {
		sbi_http_abort(s->http, s->calls[i]);
		s->calls[i] = NULL;
	}
	sbi_http_abort(s->http, s->capture);
	s->capture = NULL;
	sbi_http_abort(s->http, s->poll_call);
	s->poll_call = NULL;
	s->pending = 0;
}

static void set_status(struct sbi *s, const char *status)
{
	host->set_health_string(s->dev, "Status", status);
}

/* @cert is the one of trust=, or issued and signed by it. */
static bool trusted(struct sbi *s, X509 *cert)
{
	EVP_PKEY *key;

	if (!s->trust)
		return true;
	if (X509_cmp(cert, s->trust) == 0)
		return true;
	key = X509_get0_pubkey(s->trust);
	return X509_check_issued(s->trust, cert) == X509_V_OK && key &&
		X509_verify(cert, key) == 1;
}

static void step(struct sbi *s, const char *name, bool ok, const char *detail)
{
	if (s->self_test && s->op)
		host->op_add_step(s->op, name, ok, detail);
}

/* --- the status poll ---------------------------------------------------------------- */

static void show_info(struct sbi *s, const struct sbi_info *info)
{
	s->registered = info->is_signed;
	set_status(s, info->status);
	host->set_health_bool(s->dev, "Registered", info->is_signed);
}

static void poll_done(void *data, int err, long status, const char *body, size_t len,
		const char *message)
{
	struct sbi *s = data;
	struct sbi_info info;
	char why[SBI_WHY];

	s->poll_call = NULL;
	if (err == -ECONNREFUSED) {
		host->log(s->dev, LOG_INFO, "the SBI device service on port %u is gone", s->port);
		host->gone(s->dev, "the SBI device service no longer answers");
		return;
	}
	if (err < 0 || status != 200) {
		host->log(s->dev, LOG_DEBUG, "status poll: %s", err < 0 ? message : "HTTP error");
		return;
	}
	if (sbi_parse_info(body, len, s->device_id, s->cert, &info, why) < 0) {
		host->log(s->dev, LOG_WARNING, "status poll: device info refused: %s", why);
		set_status(s, "Unknown");
		return;
	}
	show_info(s, &info);
	sbi_info_clear(&info);
}

/* Every poll-interval ms while idle: MOSIPDINFO, for the health Status and to
 * notice a service that went away. */
static void poll_cb(void *data)
{
	struct sbi *s = data;

	if (s->phase != PHASE_IDLE || s->poll_call || !s->http)
		return;
	s->poll_call = sbi_http_call(s->http, "MOSIPDINFO", s->port, "/info", NULL,
		INFO_TIMEOUT_MS, poll_done, s);
}

static void start_poll(struct sbi *s)
{
	if (s->poll || !s->poll_ms)
		return;
	s->poll = host->timer_add(s->dev, s->poll_ms, true, poll_cb, s);
	if (!s->poll)
		host->log(s->dev, LOG_WARNING, "cannot start the status poll");
}

/* --- open: device info ---------------------------------------------------------------- */

static void info_done(void *data, int err, long status, const char *body, size_t len,
		const char *message)
{
	struct sbi *s = data;
	struct sbi_info info;
	char why[SBI_WHY], model[160];
	int r;

	s->calls[0] = NULL;
	if (err < 0) {
		step(s, "device-info", false, message);
		finish(s, err == -ETIMEDOUT ? -ETIMEDOUT : -ENODEV, message);
		return;
	}
	r = sbi_parse_info(body, len, s->device_id, s->cert, &info, why);
	if (r == -ENOENT)
		snprintf(why, sizeof(why), "the device service on port %u lists no %s device %s "
			"in its device info", s->port, sbi_type_name(SBI_TYPE), s->device_id);
	if (r == 0 && info.cert && !trusted(s, info.cert)) {
		snprintf(why, sizeof(why), "the device certificate is not issued by the trusted "
			"certificate of the configuration (trust=)");
		r = -EPROTO;
	}
	if (r < 0) {
		host->log(s->dev, LOG_WARNING, "device info refused: %s", why);
		step(s, "device-info", false, why);
		finish(s, -EPROTO, why);
		return;
	}
	step(s, "device-info", true, info.is_signed ? "signed by the device key" :
		"unsigned (device not registered)");
	if (!s->cert && info.cert) {
		s->cert = info.cert;
		info.cert = NULL;
	}
	snprintf(model, sizeof(model), "%s %s", info.make, info.model);
	host->set_info(s->dev, model, info.serial, info.firmware);
	show_info(s, &info);
	host->set_health_int(s->dev, "Port", s->port);
	host->set_health_string(s->dev, "DeviceId", s->device_id);
	host->set_health_string(s->dev, "Certification", info.certification);
	host->set_health_string(s->dev, "Purpose", info.purpose);
	step(s, "status", !strcmp(info.status, "Ready"), info.status);
	sbi_info_clear(&info);
	finish(s, 0, NULL);
	start_poll(s);
}

static void start_info(struct sbi *s)
{
	s->phase = PHASE_INFO;
	s->calls[0] = sbi_http_call(s->http, "MOSIPDINFO", s->port, "/info", NULL, INFO_TIMEOUT_MS,
		info_done, s);
	if (!s->calls[0])
		finish(s, -ENOMEM, "cannot start an HTTP request");
}

/* --- open: discovery ---------------------------------------------------------------- */

static void discovery_one(void *data, int err, long status, const char *body, size_t len,
		const char *message)
{
	struct sbi_port *ctx = data;
	struct sbi *s = ctx->s;
	unsigned int port = ctx->port;
	struct sbi_discovery d;
	char why[SBI_WHY];

	s->calls[port - s->port_lo] = NULL;
	s->pending--;
	if (err == 0 && status == 200 && sbi_parse_discovery(body, len, SBI_TYPE, &d, why) == 0 &&
			(!s->best_port || port < s->best_port)) {
		s->best_port = port;
		s->best = d;
	} else if (err == 0) {
		host->log(s->dev, LOG_DEBUG, "port %u: no %s device (%s)", port,
			sbi_type_name(SBI_TYPE), status == 200 ? why : "HTTP error");
	}
	if (s->pending)
		return;
	if (!s->best_port) {
		char msg[200];

		snprintf(msg, sizeof(msg), "no SBI %s device answers on 127.0.0.1 port%s %u%s",
			sbi_type_name(SBI_TYPE), s->port_lo == s->port_hi ? "" : "s", s->port_lo,
			s->port_lo == s->port_hi ? "" : "-");
		if (s->port_lo != s->port_hi)
			snprintf(msg + strlen(msg), sizeof(msg) - strlen(msg), "%u", s->port_hi);
		step(s, "discovery", false, msg);
		finish(s, -ENODEV, msg);
		return;
	}
	s->port = s->best_port;
	snprintf(s->device_id, sizeof(s->device_id), "%s", s->best.device_id);
	host->log(s->dev, LOG_INFO, "SBI %s device %s (serial %s) on port %u, %s",
		sbi_type_name(SBI_TYPE), s->device_id, s->best.serial, s->port, s->best.status);
	step(s, "discovery", true, s->best.status);
	start_info(s);
}

static int start_discovery(struct sbi *s)
{
	char body[64];

	snprintf(body, sizeof(body), "{\"type\":\"%s\"}", sbi_type_name(SBI_TYPE));
	s->phase = PHASE_DISCOVER;
	s->best_port = 0;
	s->pending = 0;
	for (unsigned int p = s->port_lo; p <= s->port_hi; p++) {
		struct sbi_port *ctx = &s->ports[p - s->port_lo];

		ctx->s = s;
		ctx->port = p;
		s->calls[p - s->port_lo] = sbi_http_call(s->http, "MOSIPDISC", p, "/device", body,
			DISCOVERY_TIMEOUT_MS, discovery_one, ctx);
		if (!s->calls[p - s->port_lo])
			break;
		s->pending++;
	}
	if (!s->pending)
		return -ENOMEM;
	host->op_progress(s->op, "discovery", -1, "Looking for the SBI device service");
	return 0;
}

/* The device's keys of rekamd.conf, checked at every open (a bad value must
 * fail every attempt, not only the first): 0, or -EINVAL and a sentence. */
static int configure(struct sbi *s, char *why, size_t size)
{
	const char *trust = host->config(s->dev, "trust");
	const char *type = host->config(s->dev, "type");
	const char *poll = host->config(s->dev, "poll-interval");

	X509_free(s->trust);
	s->trust = NULL;
	if (type && strcmp(type, sbi_type_name(SBI_TYPE)) != 0) {
		snprintf(why, size, "type= of a " SBI_PLUGIN " device must be " SBI_TYPE_NAME);
		return -EINVAL;
	}
	if (parse_ports(host->connection(s->dev), &s->port_lo, &s->port_hi) < 0) {
		snprintf(why, size, "connection= must be sbi:127.0.0.1:PORT or "
			"sbi:127.0.0.1:FIRST-LAST (at most %d ports)", MAX_PORTS);
		return -EINVAL;
	}
	if (trust) {
		FILE *f = fopen(trust, "r");

		s->trust = f ? PEM_read_X509(f, NULL, NULL, NULL) : NULL;
		if (f)
			fclose(f);
		if (!s->trust) {
			snprintf(why, size, "trust= names no readable PEM certificate");
			return -EINVAL;
		}
	}
	s->poll_ms = POLL_DEFAULT_MS;
	if (poll) {
		char *end;
		unsigned long v = strtoul(poll, &end, 10);

		if (*end || end == poll || *poll == '-' || (v && v < 100) || v > 3600000) {
			snprintf(why, size, "poll-interval must be 0 (off) or 100 to 3600000 "
				"milliseconds");
			return -EINVAL;
		}
		s->poll_ms = (unsigned int)v;
	}
	return 0;
}

static int sbi_open(struct rk_device *dev, struct rk_op *op)
{
	struct sbi *s = host->get_data(dev);
	char why[160];
	int r;

	if (!s) {
		s = calloc(1, sizeof(*s));
		if (!s)
			return -ENOMEM;
		s->dev = dev;
		host->set_data(dev, s);
		EVP_Digest("", 0, s->chain, NULL, EVP_sha256(), NULL);
	}
	r = configure(s, why, sizeof(why));
	if (r < 0) {
		host->op_complete(op, r, why);
		return 0;
	}
	if (!s->http)
		s->http = sbi_http_new(host, dev);
	if (!s->http)
		return -ENOMEM;
	s->op = op;
	r = start_discovery(s);
	if (r < 0)
		s->op = NULL;
	return r;
}

static void sbi_close(struct rk_device *dev)
{
	struct sbi *s = host->get_data(dev);

	if (!s)
		return;
	s->op = NULL;
	if (s->poll)
		host->timer_remove(s->poll);
	abort_calls(s);
	sbi_http_free(s->http);
	X509_free(s->cert);
	X509_free(s->trust);
	free(s);
	host->set_data(dev, NULL);
}

/* --- capture ---------------------------------------------------------------------- */

/* The device's error code as an errno, its status as health. */
static int capture_errno(struct sbi *s, const char *code)
{
	if (!strcmp(code, "100")) {
		set_status(s, "Not Registered");
		return -EIO;
	}
	if (!strcmp(code, "110")) {
		set_status(s, "Not Ready");
		return -EAGAIN;
	}
	if (!strcmp(code, "111")) {
		set_status(s, "Busy");
		return -EBUSY;
	}
	if (!strcmp(code, "106") || !strcmp(code, "202"))
		return -ENODEV;
	if (!strcmp(code, "109") || !strcmp(code, "112"))
		return -EINVAL;
	return -EIO;
}

static const char *format_of(const unsigned char *d, size_t n, uint32_t *w, uint32_t *h)
{
	*w = *h = 0;
	if (n >= 24 && !memcmp(d, "\x89PNG\r\n\x1a\n", 8) && !memcmp(d + 12, "IHDR", 4)) {
		*w = (uint32_t)d[16] << 24 | (uint32_t)d[17] << 16 | (uint32_t)d[18] << 8 | d[19];
		*h = (uint32_t)d[20] << 24 | (uint32_t)d[21] << 16 | (uint32_t)d[22] << 8 | d[23];
		return "image/png";
	}
	if (n >= 3 && !memcmp(d, "\xff\xd8\xff", 3))
		return "image/jpeg";
	if (n >= 12 && !memcmp(d, "\0\0\0\x0cjP  ", 8))
		return "image/jp2";
	return "application/octet-stream"; /* an ISO 19794 record */
}

static json_t *names(unsigned int mask)
{
	json_t *a = json_array();

	for (int i = 0; i < sbi_n_parts(SBI_TYPE); i++)
		if (mask & 1u << i)
			json_array_append_new(a, json_string(sbi_part_name(SBI_TYPE, i)));
	return a;
}

static int deliver(struct sbi *s, const struct sbi_capture *cap, const char *body, size_t len)
{
	json_t *summary, *qualities = json_object();
	char hex[65], prev[65], *text;
	int err = 0;

	for (int i = 0; !err && i < cap->n_items; i++) {
		const struct sbi_item *it = &cap->items[i];
		char kind[48];
		uint32_t w, h;
		const char *format = format_of(it->data, it->size, &w, &h);

		snprintf(kind, sizeof(kind), SBI_KIND "-%s", sbi_part_name(SBI_TYPE, it->part));
		json_object_set_new(qualities, sbi_part_name(SBI_TYPE, it->part),
			json_integer((json_int_t)(it->quality + 0.5)));
		err = host->op_add_artifact(s->op, &(struct rk_artifact){
			.kind = kind,
			.format = format,
			.width = w,
			.height = h,
			.dpi = SBI_TYPE == SBI_FINGER && w ? 500 : 0,
			.quality = (int)(it->quality + 0.5),
			.data = it->data,
			.size = it->size,
		});
	}
	sbi_hex(cap->last_hash, hex);
	sbi_hex(s->req.previous_hash, prev);
	summary = json_pack("{s:s,s:i,s:s,s:f,s:o,s:o,s:o,s:s,s:s}", "type",
		sbi_type_name(SBI_TYPE), "deviceSubId", s->sub, "transactionId", s->tid,
		"requestedScore", s->requested, "qualities", qualities,
		"exceptions", names(s->exceptions), "missing", names(cap->missing),
		"previousHash", prev, "hash", hex);
	text = summary ? json_dumps(summary, JSON_COMPACT) : NULL;
	if (!err && text)
		err = host->op_add_artifact(s->op, &(struct rk_artifact){
			.kind = SBI_KIND "-capture",
			.format = "application/json",
			.quality = -1,
			.data = text,
			.size = strlen(text),
		});
	free(text);
	json_decref(summary);
	if (!err && s->keep_reply)
		err = host->op_add_artifact(s->op, &(struct rk_artifact){
			.kind = SBI_KIND "-sbi-reply",
			.format = "application/json",
			.quality = -1,
			.data = body,
			.size = len,
		});
	return err;
}

static void capture_done(void *data, int err, long status, const char *body, size_t len,
		const char *message)
{
	struct sbi *s = data;
	struct sbi_capture cap;
	char why[SBI_WHY];
	int r;

	s->capture = NULL;
	if (err == -ECONNREFUSED) {
		/* the device service went away (unplugged, stopped): the host
		 * marks the device absent and opens it again when it answers */
		finish(s, -ENODEV, message);
		host->gone(s->dev, "the SBI device service no longer answers");
		return;
	}
	if (err < 0) {
		finish(s, err == -ETIMEDOUT ? -ETIMEDOUT : -EIO, message);
		return;
	}
	if (status != 200) {
		snprintf(why, sizeof(why), "the SBI device service answered the capture with "
			"HTTP %ld", status);
		finish(s, -EPROTO, why);
		return;
	}
	host->op_progress(s->op, "verifying", -1, "Checking the device signatures");
	r = sbi_parse_capture(body, len, &s->req, &cap, why);
	if (r == -EIO) {
		r = capture_errno(s, cap.error_code);
	} else if (r < 0) {
		host->log(s->dev, LOG_WARNING, "capture rejected: %s", why);
	} else {
		memcpy(s->chain, cap.last_hash, 32);
		set_status(s, "Ready");
		host->set_health_int(s->dev, "CapturedParts", cap.n_items);
		r = deliver(s, &cap, body, len);
		if (r < 0)
			snprintf(why, sizeof(why), "the captured data could not be handed over");
	}
	sbi_capture_clear(&cap);
	finish(s, r, r ? why : NULL);
}

/* Exceptions "left-ring,Left LittleFinger" as a mask of parts; -1 when bad. */
static long exception_mask(const char *list)
{
	char *copy = strdup(list ? list : ""), *save = NULL, *tok;
	long mask = 0;

	if (!copy)
		return -1;
	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		int p;

		tok += strspn(tok, " ");
		p = sbi_part_from_name(SBI_TYPE, tok);
		if (p < 0) {
			mask = -1;
			break;
		}
		mask |= 1L << p;
	}
	free(copy);
	return mask;
}

static int sub_of(const char *name)
{
#ifdef SBI_PLUGIN_IRIS
	return !strcmp(name, "left") ? 1 : !strcmp(name, "right") ? 2 : !strcmp(name, "both") ? 3 : 0;
#else
	return !strcmp(name, "left-slap") ? 1 : !strcmp(name, "right-slap") ? 2 :
		!strcmp(name, "thumbs") ? 3 : 0;
#endif
}

static bool valid_tid(const char *t)
{
	size_t n = strlen(t);

	if (n < 4 || n > 50)
		return false;
	return strspn(t, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-") == n;
}

/* A bad capture option: the operation fails with a sentence saying which. */
static int bad_option(struct rk_op *op, const char *message)
{
	host->op_complete(op, -EINVAL, message);
	return 0;
}

static int sbi_capture(struct rk_device *dev, struct rk_op *op, const struct rk_options *options)
{
	struct sbi *s = host->get_data(dev);
	const char *subtype = host->option_string(options, "bio-subtype",
		SBI_TYPE == SBI_FINGER ? "left-slap" : "both");
	const char *exc = host->option_string(options, "exceptions", "");
	const char *conf_score = host->config(dev, "requested-score");
	int64_t score = host->option_int(options, "requested-score",
		conf_score ? atoi(conf_score) : SBI_DEFAULT_SCORE);
	int64_t timeout = host->option_int(options, "timeout", CAPTURE_TIMEOUT_DEFAULT);
	const char *tid = host->option_string(options, "transaction-id", NULL);
	const char *prev = host->option_string(options, "previous-hash", NULL);
	int parts[4], n, wanted = 0;
	json_t *req, *sub_names, *exc_names;
	long mask = exception_mask(exc);
	char *text;

	if (!s || !s->http || s->phase != PHASE_IDLE)
		return s && s->http ? -EBUSY : -ENODEV;
	s->sub = sub_of(subtype);
	if (!s->sub)
		return bad_option(op, "bio-subtype must be " SBI_SUBTYPES);
	if (mask < 0)
		return bad_option(op, "exceptions must be a comma list of " SBI_PARTS);
	if (score < 0 || score > 100)
		return bad_option(op, "requested-score must be a number from 0 to 100");
	if (timeout < 1 || timeout > 600000)
		return bad_option(op, "timeout must be a number of milliseconds from 1 to 600000");
	if (tid && !valid_tid(tid))
		return bad_option(op, "transaction-id must be 4 to 50 of A-Z a-z 0-9 -");
	if (prev && *prev && sbi_unhex(prev, s->req.previous_hash) < 0)
		return bad_option(op, "previous-hash must be 64 hex digits, or empty");
	if (!s->registered || !s->cert) {
		host->op_complete(op, -EIO, "the device is not registered: its data cannot be "
			"trusted, and it refuses registration captures");
		return 0;
	}
	if (!prev)
		memcpy(s->req.previous_hash, s->chain, 32);
	else if (!*prev)
		EVP_Digest("", 0, s->req.previous_hash, NULL, EVP_sha256(), NULL);
	n = sbi_parts_of_sub(SBI_TYPE, s->sub, parts);
	s->exceptions = 0;
	s->req.parts = 0;
	sub_names = json_array();
	exc_names = json_array();
	for (int i = 0; i < n; i++) {
		const char *name = sbi_part_sbi_name(SBI_TYPE, parts[i]);

		if (mask & 1L << parts[i]) {
			s->exceptions |= 1u << parts[i];
			json_array_append_new(exc_names, json_string(name));
		} else {
			s->req.parts |= 1u << parts[i];
			json_array_append_new(sub_names, json_string(name));
			wanted++;
		}
	}
	if (!wanted) {
		json_decref(sub_names);
		json_decref(exc_names);
		host->op_complete(op, -EINVAL, "every finger or eye of this capture is an exception");
		return 0;
	}
	s->counter++;
	if (tid)
		snprintf(s->tid, sizeof(s->tid), "%s", tid);
	else
		snprintf(s->tid, sizeof(s->tid), "rekam-%ld-%d-%lu", (long)time(NULL), (int)getpid(),
			s->counter);
	s->requested = (double)score;
	s->keep_reply = host->option_bool(options, "keep-reply", false);
	s->req.type = SBI_TYPE;
	s->req.transaction_id = s->tid;
	s->req.cert = s->cert;
	{
		char now[32], prev_hex[65], count[8], sub[4], sc[8], to[16];
		time_t t = time(NULL);
		struct tm tm;

		gmtime_r(&t, &tm);
		strftime(now, sizeof(now), "%Y-%m-%dT%H:%M:%SZ", &tm);
		sbi_hex(s->req.previous_hash, prev_hex);
		snprintf(count, sizeof(count), "%d", wanted);
		snprintf(sub, sizeof(sub), "%d", s->sub);
		snprintf(sc, sizeof(sc), "%d", (int)score);
		snprintf(to, sizeof(to), "%lld", (long long)(timeout > 2000 ? timeout - 1000 : timeout));
		req = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:[{s:s,s:s,s:o,s:o,s:s,s:s,s:s,s:s}],"
			"s:{}}", "env", "Developer", "purpose", "Registration", "specVersion", "0.9.5",
			"timeout", to, "captureTime", now, "transactionId", s->tid, "bio",
			"type", sbi_type_name(SBI_TYPE), "count", count, "bioSubType", sub_names,
			"exception", exc_names, "requestedScore", sc, "deviceId", s->device_id,
			"deviceSubId", sub, "previousHash", prev_hex, "customOpts");
	}
	text = req ? json_dumps(req, JSON_COMPACT) : NULL;
	json_decref(req);
	if (!text)
		return -ENOMEM;
	s->capture = sbi_http_call(s->http, "RCAPTURE", s->port, "/capture", text, timeout + 5000,
		capture_done, s);
	free(text);
	if (!s->capture)
		return -ENOMEM;
	s->op = op;
	s->phase = PHASE_CAPTURE;
	host->op_progress(op, "capturing", -1, SBI_TYPE == SBI_FINGER ?
		"Place the fingers on the scanner" : "Look into the iris camera");
	return 0;
}

static int sbi_self_test(struct rk_device *dev, struct rk_op *op)
{
	struct sbi *s = host->get_data(dev);
	int r;

	if (!s || !s->http || s->phase != PHASE_IDLE)
		return s && s->http ? -EBUSY : -ENODEV;
	s->op = op;
	s->self_test = true;
	r = start_discovery(s);
	if (r < 0) {
		s->op = NULL;
		s->self_test = false;
	}
	return r;
}

static void sbi_cancel(struct rk_device *dev, struct rk_op *op)
{
	struct sbi *s = host->get_data(dev);

	if (!s || s->op != op)
		return;
	/* closing the connection abandons the capture on the device service */
	abort_calls(s);
	finish(s, -ECANCELED, NULL);
}

static const struct rk_device_ops ops = {
	.probe = probe,
	.open = sbi_open,
	.close = sbi_close,
	.self_test = sbi_self_test,
	.capture = sbi_capture,
	.cancel = sbi_cancel,
};

static int init(const struct rk_host *h)
{
	host = h;
	return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? 0 : -EIO;
}

static void plugin_exit(void)
{
	curl_global_cleanup();
}

REKAM_PLUGIN_DEFINE(SBI_PLUGIN, SBI_TYPE_NAME " devices behind a MOSIP SBI device service",
	PACKAGE_VERSION, SBI_CLASS, NULL, &ops, init, plugin_exit);
