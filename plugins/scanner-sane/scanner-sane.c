// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * rekam - device plugins
 *
 * scanner-sane.c - document scanners through SANE (libsane): any SANE
 * backend, eSCL/AirScan network scanners through sane-airscan, SANE's own
 * `test` backend. Connection: "sane:DEVICE" with a SANE device name
 * ("sane:airscan:e0:Front desk", "sane:test:0"), or "sane:" for the first
 * scanner SANE finds.
 *
 * Every SANE call blocks, so each operation is a task on the host's worker
 * pool (sane-io.c); its result comes back to the event loop in the task's
 * done function, which hands the pages over and completes the operation.
 * Cancel (and the host's timeout) sets a flag the scan loop checks and runs
 * sane_cancel() in a second task beside the scan. close() never waits: a
 * device closed while a task runs is freed by the last of its tasks.
 */
#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "plugins/scanner-sane/scan.h"
#include "rekam/plugin.h"

#define PREFIX "sane:"
#define STEPS_MAX 4

static const struct rk_host *host;

struct scanner {
	struct rk_device *dev; /* NULL once closed */
	struct scan_handle sh;
	struct rk_op *op;      /* the running operation */
	bool busy;             /* an operation's task is in flight */
	bool probing;          /* a presence check is in flight */
	struct rk_timer *presence; /* the presence check while idle, or NULL */
	unsigned int refs;     /* the device, plus one per task in flight */
};

enum task_type {
	TASK_OPEN, TASK_CAPTURE, TASK_SELF_TEST, TASK_CANCEL, TASK_CLOSE, TASK_PROBE,
};

struct task {
	enum task_type type;
	struct scanner *s;
	struct rk_op *op;
	struct scan_settings set;
	struct scan_result *res;
	char kind[24];
	int err;
	char message[SCAN_MESSAGE_MAX];
	char model[128], vendor[64];
	unsigned int last_progress;
	struct {
		char name[24];
		bool passed;
		char detail[SCAN_MESSAGE_MAX];
	} steps[STEPS_MAX];
	unsigned int n_steps;
};

static void presence_start(struct scanner *s);

/* --- the scanner's life ------------------------------------------------------------ */

static void scanner_unref(struct scanner *s)
{
	if (--s->refs)
		return;
	pthread_mutex_destroy(&s->sh.lock);
	free(s->sh.name);
	free(s);
}

static int probe(const struct rk_host *h, const struct rk_probe_info *info)
{
	const char *c = info->connection;

	if (!c || strncmp(c, PREFIX, strlen(PREFIX)) != 0)
		return -ENODEV;
	for (c += strlen(PREFIX); *c; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			return -EINVAL;
	return strlen(info->connection) > 255 ? -EINVAL : 0;
}

/* --- tasks ----------------------------------------------------------------------------- */

static void task_free(struct task *t)
{
	if (t->res) {
		scan_result_clear(t->res);
		free(t->res);
	}
	scanner_unref(t->s);
	free(t);
}

/* The scan's progress, from the worker thread (op_progress may be called there). */
static void on_progress(void *data, unsigned int page, double fraction)
{
	struct task *t = data;
	unsigned int tenth = (unsigned int)(fraction * 10);
	char message[64];

	if (page * 16 + tenth == t->last_progress)
		return;
	t->last_progress = page * 16 + tenth;
	snprintf(message, sizeof(message), "Scanning page %u", page);
	host->op_progress(t->op, "scanning", fraction > 1 ? 1 : fraction, message);
}

static void on_step(void *data, const char *name, bool passed, const char *detail)
{
	struct task *t = data;

	if (t->n_steps == STEPS_MAX)
		return;
	snprintf(t->steps[t->n_steps].name, sizeof(t->steps[0].name), "%s", name);
	snprintf(t->steps[t->n_steps].detail, sizeof(t->steps[0].detail), "%s", detail);
	t->steps[t->n_steps++].passed = passed;
}

static void task_work(void *data)
{
	struct task *t = data;
	struct scan_handle *sh = &t->s->sh;

	switch (t->type) {
	case TASK_OPEN:
		t->err = scan_open(sh, t->model, sizeof(t->model), t->vendor, sizeof(t->vendor),
			t->message, sizeof(t->message));
		break;
	case TASK_CAPTURE:
		sh->progress = on_progress;
		sh->progress_data = t;
		scan_run(sh, &t->set, t->res);
		sh->progress = NULL;
		break;
	case TASK_SELF_TEST:
		scan_self_test(sh, on_step, t);
		break;
	case TASK_CANCEL:
		scan_cancel(sh);
		break;
	case TASK_CLOSE:
		scan_close(sh);
		break;
	case TASK_PROBE:
		t->err = scan_probe(sh, t->message, sizeof(t->message));
		break;
	}
}

static const char *format_of(const struct scan_settings *set)
{
	return set->format == SCAN_JPEG ? "image/jpeg" : "image/png";
}

/* Hand the pages over (one artifact each, then the PDF); 0 or -errno. */
static int deliver(struct task *t)
{
	struct scan_result *res = t->res;
	uint8_t *pdf = NULL;
	size_t pdf_size = 0;
	int err = 0;

	for (unsigned int i = 0; !err && i < res->n_pages; i++) {
		const struct scan_page *p = &res->pages[i];

		err = host->op_add_artifact(t->op, &(struct rk_artifact){
			.kind = t->kind,
			.format = format_of(&t->set),
			.width = p->width,
			.height = p->height,
			.dpi = p->dpi,
			.quality = -1,
			.data = p->data,
			.size = p->size,
		});
	}
	if (!err && t->set.pdf) {
		err = page_write_pdf(res->pages, res->n_pages, &pdf, &pdf_size);
		if (!err)
			err = host->op_add_artifact(t->op, &(struct rk_artifact){
				.kind = t->kind,
				.format = "application/pdf",
				.quality = -1,
				.data = pdf,
				.size = pdf_size,
			});
		free(pdf);
	}
	return err;
}

static void finish(struct scanner *s, int err, const char *message)
{
	struct rk_op *op = s->op;

	s->op = NULL;
	s->busy = false;
	if (op)
		host->op_complete(op, err, message);
}

static void task_done(void *data)
{
	struct task *t = data;
	struct scanner *s = t->s;
	char why[SCAN_MESSAGE_MAX];
	int err;

	if (t->type == TASK_PROBE)
		s->probing = false;
	if (!s->dev || t->type == TASK_CANCEL || t->type == TASK_CLOSE) {
		task_free(t); /* closed meanwhile: the host finished the operation */
		return;
	}
	switch (t->type) {
	case TASK_OPEN:
		if (!t->err) {
			char model[200];

			snprintf(model, sizeof(model), "%s %s", t->vendor, t->model);
			host->set_info(s->dev, model, NULL, NULL);
			host->set_health_string(s->dev, "SaneDevice", s->sh.name);
			host->set_health_bool(s->dev, "Connected", true);
			presence_start(s);
		}
		finish(s, t->err, t->err ? t->message : NULL);
		break;
	case TASK_PROBE:
		if (t->err == -ENODEV) {
			host->log(s->dev, LOG_INFO, "presence check: %s", t->message);
			host->set_health_bool(s->dev, "Connected", false);
			host->gone(s->dev, t->message);
		}
		break;
	case TASK_SELF_TEST:
		for (unsigned int i = 0; i < t->n_steps; i++)
			host->op_add_step(t->op, t->steps[i].name, t->steps[i].passed,
				t->steps[i].detail);
		finish(s, 0, NULL);
		break;
	case TASK_CAPTURE:
		if (t->res->err) {
			snprintf(why, sizeof(why), "%s", t->res->message);
			host->log(s->dev, LOG_INFO, "scan failed: %s", why);
			finish(s, t->res->err, why);
			if (t->res->gone) {
				host->set_health_bool(s->dev, "Connected", false);
				host->gone(s->dev, why);
			}
			break;
		}
		err = deliver(t);
		finish(s, err, err ? "the scanned pages could not be handed over" : NULL);
		break;
	default:
		break;
	}
	task_free(t);
}

static struct task *task_new(struct scanner *s, enum task_type type, struct rk_op *op);
static int task_submit(struct rk_device *dev, struct task *t);

/* While idle, reopen the device now and then: SANE has no hotplug events, and
 * a network scanner switched off would otherwise look idle until used. */
static void presence_cb(void *data)
{
	struct scanner *s = data;
	struct task *t;

	if (s->busy || s->probing || !s->dev || !(t = task_new(s, TASK_PROBE, NULL)))
		return;
	s->probing = true;
	if (task_submit(s->dev, t) < 0)
		s->probing = false;
}

static void presence_start(struct scanner *s)
{
	const char *v = host->config(s->dev, "presence-check");
	long seconds = v ? strtol(v, NULL, 10) : 0;

	if (s->presence || seconds <= 0 || seconds > 3600)
		return;
	s->presence = host->timer_add(s->dev, (unsigned int)seconds * 1000, true, presence_cb, s);
}

static struct task *task_new(struct scanner *s, enum task_type type, struct rk_op *op)
{
	struct task *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->type = type;
	t->s = s;
	t->op = op;
	t->last_progress = ~0u;
	s->refs++;
	return t;
}

static int task_submit(struct rk_device *dev, struct task *t)
{
	int err = host->work_submit(dev, task_work, task_done, t);

	if (err)
		task_free(t);
	return err;
}

/* Start an operation's task. */
static int start(struct scanner *s, struct task *t)
{
	int err;

	s->op = t->op;
	s->busy = true;
	atomic_store(&s->sh.cancel, false);
	err = task_submit(s->dev, t);
	if (err) {
		s->op = NULL;
		s->busy = false;
	}
	return err;
}

/* --- operations ---------------------------------------------------------------------------- */

static int scanner_open(struct rk_device *dev, struct rk_op *op)
{
	struct scanner *s = host->get_data(dev);
	struct task *t;

	if (!s) {
		s = calloc(1, sizeof(*s));
		if (!s)
			return -ENOMEM;
		s->sh.name = strdup(host->connection(dev) + strlen(PREFIX));
		if (!s->sh.name || pthread_mutex_init(&s->sh.lock, NULL) != 0) {
			free(s->sh.name);
			free(s);
			return -ENOMEM;
		}
		s->dev = dev;
		s->refs = 1;
		host->set_data(dev, s);
	}
	if (s->busy)
		return -EBUSY;
	t = task_new(s, TASK_OPEN, op);
	return t ? start(s, t) : -ENOMEM;
}

static void scanner_close(struct rk_device *dev)
{
	struct scanner *s = host->get_data(dev);
	struct task *t;

	if (!s)
		return;
	host->set_data(dev, NULL);
	s->op = NULL; /* the host has finished it */
	if (s->presence)
		host->timer_remove(s->presence);
	s->presence = NULL;
	atomic_store(&s->sh.cancel, true);
	if (s->busy && (t = task_new(s, TASK_CANCEL, NULL)))
		task_submit(dev, t);
	t = task_new(s, TASK_CLOSE, NULL);
	if (!t || task_submit(dev, t) < 0) {
		/* rekamd is stopping (its workers are gone): close here */
		if (!s->busy)
			scan_close(&s->sh);
	}
	s->dev = NULL;
	scanner_unref(s);
}

/* A positive number option given as a number or as text; -1 when malformed. */
static int64_t option_number(const struct rk_options *o, const char *key, int64_t fallback)
{
	const char *text = host->option_string(o, key, NULL);
	int64_t v = host->option_int(o, key, INT64_MIN);
	char *end;

	if (v != INT64_MIN)
		return v;
	if (!text)
		return fallback;
	v = strtoll(text, &end, 10);
	return end != text && !*end ? v : -1;
}

static const char *config_or(struct rk_device *dev, const char *key, const char *fallback)
{
	const char *v = host->config(dev, key);

	return v && *v ? v : fallback;
}

/* The capture's settings from its options (the device's config as defaults). */
static int parse_options(struct rk_device *dev, const struct rk_options *o, struct task *t,
		char *why, size_t size)
{
	struct scan_settings *set = &t->set;
	const char *mode = host->option_string(o, "mode", config_or(dev, "mode", "color"));
	const char *source = host->option_string(o, "source", config_or(dev, "source", "flatbed"));
	const char *format = host->option_string(o, "format", config_or(dev, "format", "png"));
	const char *doc = host->option_string(o, "document", NULL);
	const char *res_config = config_or(dev, "resolution", "300");
	char *end;
	long res_default = strtol(res_config, &end, 10);
	int64_t res = option_number(o, "resolution", *end ? -1 : res_default);
	int64_t pages = option_number(o, "pages", 0), quality = option_number(o, "quality", 90);
	int64_t left = option_number(o, "left-mm", 0), top = option_number(o, "top-mm", 0);
	int64_t width = option_number(o, "width-mm", 210), height = option_number(o, "height-mm", 297);
	static const char *const docs[][2] = {
		{ "f102", "f102" }, { "kk", "kk" }, { "akta_nikah", "akta_nikah" },
		{ "akta-nikah", "akta_nikah" }, { "ijazah", "ijazah" },
	};

	if (res < 0 || (res && (res < 50 || res > 1200))) {
		snprintf(why, size, "resolution must be from 50 to 1200 dpi (the device's "
			"configured default is '%.16s')", res_config);
		return -EINVAL;
	}
	set->resolution = (int)res;
	if (strcmp(mode, "color") && strcmp(mode, "gray")) {
		snprintf(why, size, "mode must be color or gray");
		return -EINVAL;
	}
	set->gray = !strcmp(mode, "gray");
	if (strcmp(source, "flatbed") && strcmp(source, "adf")) {
		snprintf(why, size, "source must be flatbed or adf");
		return -EINVAL;
	}
	set->adf = !strcmp(source, "adf");
	if (strcmp(format, "png") && strcmp(format, "jpeg")) {
		snprintf(why, size, "format must be png or jpeg");
		return -EINVAL;
	}
	set->format = !strcmp(format, "png") ? SCAN_PNG : SCAN_JPEG;
	if (pages < 0 || pages > SCAN_PAGES_MAX || quality < 1 || quality > 100) {
		snprintf(why, size, "pages must be from 0 (all) to %d, quality from 1 to 100",
			SCAN_PAGES_MAX);
		return -EINVAL;
	}
	set->max_pages = (unsigned int)pages;
	set->jpeg_quality = (int)quality;
	if (left < 0 || top < 0 || width < 1 || height < 1 || left > 1000 || top > 1000 ||
			width > 1000 || height > 1000) {
		snprintf(why, size, "left-mm, top-mm, width-mm and height-mm must be millimetres "
			"from 0 (1 for a size) to 1000");
		return -EINVAL;
	}
	set->left = (double)left;
	set->top = (double)top;
	set->width = (double)width;
	set->height = (double)height;
	set->pdf = host->option_bool(o, "pdf", false);
	snprintf(t->kind, sizeof(t->kind), "document");
	if (doc) {
		size_t i;

		for (i = 0; i < sizeof(docs) / sizeof(docs[0]); i++)
			if (!strcmp(doc, docs[i][0]))
				break;
		if (i == sizeof(docs) / sizeof(docs[0])) {
			snprintf(why, size, "document must be f102, kk, akta_nikah or ijazah");
			return -EINVAL;
		}
		snprintf(t->kind, sizeof(t->kind), "%s", docs[i][1]);
	}
	return 0;
}

static int scanner_capture(struct rk_device *dev, struct rk_op *op, const struct rk_options *o)
{
	struct scanner *s = host->get_data(dev);
	char why[160];
	struct task *t;
	int err;

	if (s->busy)
		return -EBUSY;
	t = task_new(s, TASK_CAPTURE, op);
	if (!t || !(t->res = calloc(1, sizeof(*t->res)))) {
		if (t)
			task_free(t);
		return -ENOMEM;
	}
	err = parse_options(dev, o, t, why, sizeof(why));
	if (err) {
		task_free(t);
		host->op_complete(op, err, why);
		return 0;
	}
	host->op_progress(op, "starting", 0, t->set.adf ? "Feeding the first page" :
		"Scanning the glass");
	return start(s, t);
}

static int scanner_self_test(struct rk_device *dev, struct rk_op *op)
{
	struct scanner *s = host->get_data(dev);
	struct task *t;

	if (s->busy)
		return -EBUSY;
	t = task_new(s, TASK_SELF_TEST, op);
	return t ? start(s, t) : -ENOMEM;
}

static void scanner_cancel(struct rk_device *dev, struct rk_op *op)
{
	struct scanner *s = host->get_data(dev);
	struct task *t;

	if (!s || s->op != op)
		return;
	atomic_store(&s->sh.cancel, true);
	/* sane_cancel() beside the scan; the scan's own task completes the operation */
	if (s->busy && (t = task_new(s, TASK_CANCEL, NULL)))
		task_submit(dev, t);
}

static const struct rk_device_ops ops = {
	.probe = probe,
	.open = scanner_open,
	.close = scanner_close,
	.self_test = scanner_self_test,
	.capture = scanner_capture,
	.cancel = scanner_cancel,
};

static int init(const struct rk_host *h)
{
	host = h;
	return 0;
}

/* rekamd is stopping: every device is closed and the workers are gone. */
static void plugin_exit(void)
{
	scan_global_exit();
}

REKAM_PLUGIN_DEFINE("scanner-sane", "document scanners through SANE (eSCL/AirScan and others)",
	PACKAGE_VERSION, RK_DEVICE_SCANNER, NULL, &ops, init, plugin_exit);
