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
 * the hash); sbi-capture.c. While idle, MOSIPDINFO every poll-interval ms
 * keeps the health Status current and notices a service that went away. All
 * HTTP goes through libcurl's multi interface on the host's loop
 * (sbi-http.c); all parsing is in sbi-reply.c.
 */
#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include <curl/curl.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h> /* X509_check_issued */

#include "plugins/biometric-sbi/sbi-device.h"

const struct rk_host *host;

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

void sbi_finish(struct sbi *s, int err, const char *message)
{
	struct rk_op *op = s->op;

	s->op = NULL;
	s->phase = PHASE_IDLE;
	s->self_test = false;
	if (op)
		host->op_complete(op, err, message);
}

void sbi_abort_calls(struct sbi *s)
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

void sbi_set_status(struct sbi *s, const char *status)
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
	sbi_set_status(s, info->status);
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
		sbi_set_status(s, "Unknown");
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
		sbi_finish(s, err == -ETIMEDOUT ? -ETIMEDOUT : -ENODEV, message);
		return;
	}
	r = sbi_parse_info(body, len, s->device_id, s->cert, &info, why);
	if (r == -ENOENT)
		snprintf(why, sizeof(why), "the device service on port %u lists no %s device %s "
			"in its device info", s->port, sbi_type_name(SBI_TYPE), s->device_id);
	if (r == 0 && info.cert && !trusted(s, info.cert)) {
		snprintf(why, sizeof(why), "the device certificate is not issued by the trusted "
			"certificate of the configuration (trust=)");
		sbi_info_clear(&info);
		r = -EPROTO;
	}
	if (r < 0) {
		host->log(s->dev, LOG_WARNING, "device info refused: %s", why);
		step(s, "device-info", false, why);
		sbi_finish(s, -EPROTO, why);
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
	sbi_finish(s, 0, NULL);
	start_poll(s);
}

static void start_info(struct sbi *s)
{
	s->phase = PHASE_INFO;
	s->calls[0] = sbi_http_call(s->http, "MOSIPDINFO", s->port, "/info", NULL, INFO_TIMEOUT_MS,
		info_done, s);
	if (!s->calls[0])
		sbi_finish(s, -ENOMEM, "cannot start an HTTP request");
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
		sbi_finish(s, -ENODEV, msg);
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
	const char *score = host->config(s->dev, "requested-score");

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
	if (score) {
		char *end;
		unsigned long v = strtoul(score, &end, 10);

		if (*end || end == score || *score == '-' || v > 100) {
			snprintf(why, size, "requested-score must be a number from 0 to 100");
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
	sbi_abort_calls(s);
	sbi_capture_detach(s);
	sbi_http_free(s->http);
	X509_free(s->cert);
	X509_free(s->trust);
	free(s);
	host->set_data(dev, NULL);
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
	sbi_abort_calls(s);
	sbi_capture_detach(s);
	sbi_finish(s, -ECANCELED, NULL);
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
