// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * rekam - device plugins
 *
 * sbi-capture.c - registration capture on an SBI device: the capture
 * options, the RCAPTURE request (one sub-id minus the exceptions, chained on
 * the previous hash), and its reply. The reply of a slap is about 1.6 MB of
 * JSON with four JWS around base64 images; parsing and verifying it costs
 * tens of milliseconds, so it runs on the host's worker pool (sbi_parse_capture
 * is pure) and only the artifacts are handed over on the loop. A job owns
 * copies of everything it reads, so cancel and close simply detach it.
 */
#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "plugins/biometric-sbi/sbi-device.h"

struct sbi_job {
	struct sbi *s; /* NULL once detached: the result is dropped */
	char *body;
	size_t len;
	struct sbi_request req; /* its own certificate reference and transaction id */
	char tid[64];
	struct sbi_capture cap;
	char why[SBI_WHY];
	int r;
};

/* The device's error code as an errno, its status as health. */
static int capture_errno(struct sbi *s, const char *code)
{
	if (!strcmp(code, "100")) {
		sbi_set_status(s, "Not Registered");
		return -EIO;
	}
	if (!strcmp(code, "110")) {
		sbi_set_status(s, "Not Ready");
		return -EAGAIN;
	}
	if (!strcmp(code, "111")) {
		sbi_set_status(s, "Busy");
		return -EBUSY;
	}
	if (!strcmp(code, "106") || !strcmp(code, "202"))
		return -ENODEV;
	if (!strcmp(code, "109") || !strcmp(code, "112"))
		return -EINVAL;
	return -EIO;
}

/* The image of an item: inside its ISO record, or the bioValue itself. */
static struct rk_artifact image_of(const struct sbi_item *it)
{
	struct rk_artifact a = { .quality = (int)(it->quality + 0.5) };
	const unsigned char *d = it->data;

	if (it->iso) {
		a.data = d + it->iso_image.offset;
		a.size = it->iso_image.size;
		a.format = sbi_image_format(a.data, a.size);
		a.width = it->iso_image.width;
		a.height = it->iso_image.height;
		a.dpi = it->iso_image.ppi;
		return a;
	}
	a.data = d;
	a.size = it->size;
	a.format = sbi_image_format(d, it->size);
	if (it->size >= 24 && !strcmp(a.format, "image/png") && !memcmp(d + 12, "IHDR", 4)) {
		a.width = (uint32_t)d[16] << 24 | (uint32_t)d[17] << 16 | (uint32_t)d[18] << 8 | d[19];
		a.height = (uint32_t)d[20] << 24 | (uint32_t)d[21] << 16 | (uint32_t)d[22] << 8 | d[23];
	}
	a.dpi = SBI_TYPE == SBI_FINGER && a.width ? 500 : 0;
	return a;
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
		struct rk_artifact a = image_of(it);
		char kind[48];

		snprintf(kind, sizeof(kind), SBI_KIND "-%s", sbi_part_name(SBI_TYPE, it->part));
		a.kind = kind;
		json_object_set_new(qualities, sbi_part_name(SBI_TYPE, it->part),
			json_integer((json_int_t)(it->quality + 0.5)));
		err = host->op_add_artifact(s->op, &a);
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

static void job_free(struct sbi_job *job)
{
	sbi_capture_clear(&job->cap);
	X509_free(job->req.cert);
	free(job->body);
	free(job);
}

void sbi_capture_detach(struct sbi *s)
{
	if (s->job)
		s->job->s = NULL; /* job_done frees it */
	s->job = NULL;
}

/* On a worker thread: only the job's own data. */
static void job_work(void *data)
{
	struct sbi_job *job = data;

	job->r = sbi_parse_capture(job->body, job->len, &job->req, &job->cap, job->why);
}

/* Back on the loop. */
static void job_done(void *data)
{
	struct sbi_job *job = data;
	struct sbi *s = job->s;
	int r = job->r;

	if (!s) {
		job_free(job);
		return;
	}
	s->job = NULL;
	if (r == -EIO) {
		r = capture_errno(s, job->cap.error_code);
	} else if (r < 0) {
		host->log(s->dev, LOG_WARNING, "capture rejected: %s", job->why);
	} else {
		memcpy(s->chain, job->cap.last_hash, 32);
		sbi_set_status(s, "Ready");
		host->set_health_int(s->dev, "CapturedParts", job->cap.n_items);
		r = deliver(s, &job->cap, job->body, job->len);
		if (r < 0)
			snprintf(job->why, sizeof(job->why), "the captured data could not be "
				"handed over");
	}
	sbi_finish(s, r, r ? job->why : NULL);
	job_free(job);
}

static void capture_done(void *data, int err, long status, const char *body, size_t len,
		const char *message)
{
	struct sbi *s = data;
	struct sbi_job *job;
	char why[SBI_WHY];

	s->capture = NULL;
	if (err == -ECONNREFUSED) {
		/* the device service went away (unplugged, stopped): the host
		 * marks the device absent and opens it again when it answers */
		sbi_finish(s, -ENODEV, message);
		host->gone(s->dev, "the SBI device service no longer answers");
		return;
	}
	if (err < 0) {
		sbi_finish(s, err == -ETIMEDOUT ? -ETIMEDOUT : -EIO, message);
		return;
	}
	if (status != 200) {
		snprintf(why, sizeof(why), "the SBI device service answered the capture with "
			"HTTP %ld", status);
		sbi_finish(s, -EPROTO, why);
		return;
	}
	job = calloc(1, sizeof(*job));
	if (job)
		job->body = malloc(len + 1);
	if (!job || !job->body) {
		free(job);
		sbi_finish(s, -ENOMEM, "out of memory for the device's reply");
		return;
	}
	memcpy(job->body, body, len + 1);
	job->len = len;
	job->s = s;
	job->req = s->req;
	X509_up_ref(job->req.cert);
	snprintf(job->tid, sizeof(job->tid), "%s", s->tid);
	job->req.transaction_id = job->tid;
	s->job = job;
	host->op_progress(s->op, "verifying", -1, "Checking the device signatures");
	if (host->work_submit(s->dev, job_work, job_done, job) < 0) {
		job_work(job); /* no worker: check it here */
		job_done(job);
	}
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

int sbi_capture(struct rk_device *dev, struct rk_op *op, const struct rk_options *options)
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
		char now[32], prev_hex[65], count[16], sub[16], sc[16], to[24];
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

