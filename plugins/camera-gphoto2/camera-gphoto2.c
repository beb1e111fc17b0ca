// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * rekam - device plugins
 *
 * camera-gphoto2.c - cameras through libgphoto2: a DSLR on USB (the first
 * one detected, or connection = usb:BUS,DEV) or a PTP/IP camera
 * (connection = ptpip:HOST:PORT:EVENTPORT, as rekam-sim-camera).
 *
 * libgphoto2 only blocks, so every call runs as a job on the host's worker
 * pool (session.c), one job per camera at a time; this file is the event
 * loop side: which job runs, which operation it serves, and what its result
 * becomes. A cancel or a timeout never waits for libgphoto2: the operation
 * is completed at once, the running job is abandoned (its result dropped)
 * and told to stop (session_abort), and the camera is reconnected by the
 * next job, which waits until the abandoned one has returned. A camera
 * that stops answering is reported gone(); rekamd then reopens it until it
 * is back.
 */
#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "plugins/camera-gphoto2/jpeg.h"
#include "plugins/camera-gphoto2/session.h"
#include "rekam/plugin.h"

#define CAPTURE_TIMEOUT_DEFAULT 30000
#define POLL_INTERVAL_DEFAULT 5000
#define PREVIEW_SIZE_DEFAULT 640
#define BATTERY_LOW 20
#define RECONNECT_TRIES 4
#define RECONNECT_PAUSE_MS 400

static const struct rk_host *host;

enum action { ACT_OPEN, ACT_SELF_TEST, ACT_CAPTURE, ACT_PREVIEW, ACT_POLL };

static const char *const action_names[] = {
	[ACT_OPEN] = "open", [ACT_SELF_TEST] = "self-test", [ACT_CAPTURE] = "capture",
	[ACT_PREVIEW] = "preview", [ACT_POLL] = "poll",
};

struct job;

struct cam {
	struct rk_device *dev;
	struct session *s;
	struct job *job;        /* running on a worker, or NULL */
	struct rk_op *op;       /* the host's operation, served or queued */
	enum action queued;     /* what @op waits to do while @job runs */
	bool op_queued;
	bool opened;
	unsigned int capture_timeout, poll_interval, preview_size;
	struct rk_timer *watchdog;
	struct rk_timer *poll;
};

#define STEPS 3

struct job {
	struct cam *cam;     /* NULL once the device is closed */
	struct session *s;
	enum action action;
	struct rk_op *op;    /* NULL when abandoned or a poll */
	unsigned int preview_size;
	/* results */
	int err;
	bool gone;           /* the camera does not answer any more */
	char message[SESSION_ERROR];
	struct session_info info;
	struct session_image image;
	const char *kind;
	unsigned int width, height;
	struct {
		const char *name;
		bool passed;
		char detail[SESSION_ERROR];
	} steps[STEPS];
};

/* --- configuration ----------------------------------------------------------- */

static int probe(const struct rk_host *h, const struct rk_probe_info *info)
{
	const char *c = info->connection;
	struct session *s;

	if (!info->name)
		return -ENODEV; /* no USB ids: configured devices only */
	if (c && strncmp(c, "ptpip:", 6) != 0 && strncmp(c, "usb:", 4) != 0)
		return -ENODEV;
	s = session_new(c, NULL);
	if (!s)
		return -EINVAL;
	session_free_now(s);
	return 0;
}

/* A number of milliseconds (or pixels) from the device's section. */
static int config_uint(struct cam *cam, const char *key, unsigned int def, unsigned int min,
		unsigned int max, unsigned int *out)
{
	const char *v = host->config(cam->dev, key);
	char *end;
	unsigned long n;

	*out = def;
	if (!v)
		return 0;
	errno = 0;
	n = strtoul(v, &end, 10);
	if (errno || end == v || *end || *v == '-' || n < min || n > max) {
		host->log(cam->dev, LOG_ERR, "%s must be a number from %u to %u, not '%.40s'", key,
			min, max, v);
		return -EINVAL;
	}
	*out = (unsigned int)n;
	return 0;
}

/* --- jobs: the worker side ------------------------------------------------------ */

static int deliver_picture(struct job *job)
{
	unsigned char *small = NULL;
	size_t small_size = 0;
	int err;

	err = jpeg_size(job->image.data, job->image.size, &job->width, &job->height);
	if (err) {
		snprintf(job->message, sizeof(job->message),
			"the camera sent %zu bytes that are not a JPEG picture", job->image.size);
		return -EIO;
	}
	if (job->action != ACT_PREVIEW ||
			(job->width <= job->preview_size && job->height <= job->preview_size))
		return 0;
	err = jpeg_shrink(job->image.data, job->image.size, job->preview_size, &small,
		&small_size, &job->width, &job->height);
	if (err) {
		snprintf(job->message, sizeof(job->message), "the preview could not be scaled");
		return -EIO;
	}
	free(job->image.data);
	job->image.data = small;
	job->image.size = small_size;
	return 0;
}

static void self_test_work(struct job *job)
{
	struct session *s = job->s;
	int battery = -1;

	job->steps[0].name = "connect";
	job->steps[1].name = "battery";
	job->steps[2].name = "capture";
	job->err = session_open(s, &job->info);
	job->steps[0].passed = !job->err;
	if (job->err) {
		snprintf(job->steps[0].detail, sizeof(job->steps[0].detail), "%s", s->error);
		snprintf(job->steps[1].detail, sizeof(job->steps[1].detail), "not run");
		snprintf(job->steps[2].detail, sizeof(job->steps[2].detail), "not run");
		return;
	}
	snprintf(job->steps[0].detail, sizeof(job->steps[0].detail), "%.60s, serial %.40s, "
		"firmware %.30s", job->info.model, *job->info.serial ? job->info.serial : "unknown",
		*job->info.firmware ? job->info.firmware : "unknown");
	battery = job->info.battery;
	job->steps[1].passed = battery < 0 || battery >= BATTERY_LOW;
	if (battery < 0)
		snprintf(job->steps[1].detail, sizeof(job->steps[1].detail),
			"the camera reports no battery level (mains powered?)");
	else
		snprintf(job->steps[1].detail, sizeof(job->steps[1].detail), "%d %%%s", battery,
			battery < BATTERY_LOW ? ": charge or change the battery" : "");
	job->err = session_capture(s, &job->image);
	if (!job->err)
		job->err = deliver_picture(job);
	job->steps[2].passed = !job->err;
	if (job->err)
		snprintf(job->steps[2].detail, sizeof(job->steps[2].detail), "%s",
			*job->message ? job->message : s->error);
	else
		snprintf(job->steps[2].detail, sizeof(job->steps[2].detail),
			"a %ux%u JPEG of %zu bytes, deleted from the camera", job->width,
			job->height, job->image.size);
	free(job->image.data);
	job->image.data = NULL;
	/* a failed step is a result, not a failed self-test; a lost camera is */
	if (job->err != -ENODEV && job->err != -ECANCELED)
		job->err = 0;
}

/* Is the camera still there? A PTP/IP camera may not have noticed that the
 * last connection closed (it serves one host at a time): a few tries. */
static bool reconnect(struct session *s)
{
	struct session_info info;
	int err = -ENODEV;

	for (int i = 0; i < RECONNECT_TRIES && err == -ENODEV && !atomic_load(&s->cancel); i++) {
		if (i)
			usleep(RECONNECT_PAUSE_MS * 1000);
		err = session_open(s, &info);
	}
	return err != -ENODEV;
}

static void job_work(void *data)
{
	struct job *job = data;
	struct session *s = job->s;

	switch (job->action) {
	case ACT_OPEN:
		job->err = session_open(s, &job->info);
		break;
	case ACT_POLL:
		job->err = session_battery(s, &job->info.battery);
		break;
	case ACT_SELF_TEST:
		self_test_work(job);
		break;
	case ACT_PREVIEW:
		job->err = session_preview(s, &job->image);
		if (job->err != -EOPNOTSUPP) {
			if (!job->err)
				job->err = deliver_picture(job);
			break;
		}
		/* no live view: a picture, made small */
		/* fall through */
	case ACT_CAPTURE:
		job->err = session_capture(s, &job->image);
		if (!job->err)
			job->err = deliver_picture(job);
		break;
	}
	if (!*job->message)
		snprintf(job->message, sizeof(job->message), "%s", s->error);
	if (!job->err && !atomic_load(&s->cancel))
		return;
	/* Start afresh after any failure; then tell a camera that failed one
	 * call from one that is no longer there by connecting again. */
	session_reset(s);
	if (atomic_load(&s->cancel)) {
		job->err = -ECANCELED;
		return;
	}
	if (job->action == ACT_OPEN)
		return; /* that was the connect */
	if (job->err == -ENODEV || !reconnect(s)) {
		job->gone = true;
		job->err = -ENODEV;
		session_reset(s);
	}
}

/* --- jobs: the loop side ---------------------------------------------------------- */

static void job_free(struct job *job)
{
	free(job->image.data);
	free(job);
}

static void stop_watchdog(struct cam *cam)
{
	if (cam->watchdog)
		host->timer_remove(cam->watchdog);
	cam->watchdog = NULL;
}

static void finish_op(struct cam *cam, struct job *job)
{
	struct rk_op *op = job->op;
	int err = job->err;

	job->op = NULL;
	cam->op = NULL;
	switch (job->action) {
	case ACT_OPEN:
		if (!err) {
			host->set_info(cam->dev, job->info.model, job->info.serial,
				job->info.firmware);
			host->set_health_bool(cam->dev, "Connected", true);
			if (job->info.battery >= 0)
				host->set_health_int(cam->dev, "Battery", job->info.battery);
			cam->opened = true;
		}
		break;
	case ACT_SELF_TEST:
		for (int i = 0; i < STEPS && job->steps[i].name; i++)
			host->op_add_step(op, job->steps[i].name, job->steps[i].passed,
				job->steps[i].detail);
		if (job->info.battery >= 0)
			host->set_health_int(cam->dev, "Battery", job->info.battery);
		break;
	case ACT_CAPTURE:
	case ACT_PREVIEW:
		if (err)
			break;
		err = host->op_add_artifact(op, &(struct rk_artifact){
			.kind = job->action == ACT_PREVIEW ? "preview" : "portrait",
			.format = "image/jpeg",
			.width = job->width,
			.height = job->height,
			.quality = -1,
			.data = job->image.data,
			.size = job->image.size,
		});
		if (err)
			snprintf(job->message, sizeof(job->message),
				"the picture could not be handed over");
		break;
	case ACT_POLL:
		break;
	}
	host->op_complete(op, err, err ? job->message : NULL);
}

static int submit(struct cam *cam, enum action action, struct rk_op *op);

static void job_done(void *data)
{
	struct job *job = data;
	struct cam *cam = job->cam;

	if (!cam) { /* the device was closed meanwhile */
		session_free_now(job->s);
		job_free(job);
		return;
	}
	cam->job = NULL;
	if (job->err)
		host->log(cam->dev, job->gone ? LOG_WARNING : LOG_DEBUG, "%s%s: %s (%s)",
			action_names[job->action],
			job->op || job->action == ACT_POLL ? "" : " (abandoned)",
			*job->message ? job->message : "failed", strerror(-job->err));
	/* aborted (too late for the job to notice): reconnect next time */
	if (atomic_exchange(&cam->s->cancel, false))
		cam->s->stale = true;
	if (job->action != ACT_POLL)
		stop_watchdog(cam);
	if (job->action == ACT_POLL && !job->err && job->info.battery >= 0)
		host->set_health_int(cam->dev, "Battery", job->info.battery);
	if (job->op)
		finish_op(cam, job);
	if (job->gone && cam->opened) {
		host->set_health_bool(cam->dev, "Connected", false);
		host->gone(cam->dev, *job->message ? job->message : "the camera does not answer");
	}
	job_free(job);
	if (cam->op && cam->op_queued) {
		struct rk_op *op = cam->op;
		int err;

		cam->op_queued = false;
		err = submit(cam, cam->queued, op);
		if (err && cam->op == op) {
			cam->op = NULL;
			host->op_complete(op, err, "the camera job could not be started");
		}
	}
}

/* Abandon the running job's operation and stop the job. */
static void abandon(struct cam *cam, int err, const char *message)
{
	struct rk_op *op = cam->op;

	cam->op = NULL;
	if (cam->op_queued) {
		cam->op_queued = false;
	} else if (cam->job) {
		cam->job->op = NULL;
		session_abort(cam->s);
	}
	stop_watchdog(cam);
	if (op)
		host->op_complete(op, err, message);
}

static void watchdog_cb(void *data)
{
	struct cam *cam = data;
	char message[160];

	snprintf(message, sizeof(message), "the camera gave no picture within %u ms; it may be "
		"busy, out of storage or unable to focus", cam->capture_timeout);
	host->log(cam->dev, LOG_WARNING, "%s", message);
	abandon(cam, -ETIMEDOUT, message);
}

static int submit(struct cam *cam, enum action action, struct rk_op *op)
{
	struct job *job;
	int err;

	if (cam->job) { /* an abandoned job or a poll still runs: wait for it */
		cam->op = op;
		cam->queued = action;
		cam->op_queued = true;
		return 0;
	}
	job = calloc(1, sizeof(*job));
	if (!job)
		return -ENOMEM;
	job->cam = cam;
	job->s = cam->s;
	job->action = action;
	job->op = op;
	job->preview_size = cam->preview_size;
	err = host->work_submit(cam->dev, job_work, job_done, job);
	if (err) {
		free(job);
		return err;
	}
	cam->job = job;
	if (op)
		cam->op = op;
	if (action == ACT_CAPTURE || action == ACT_PREVIEW || action == ACT_SELF_TEST)
		cam->watchdog = host->timer_add(cam->dev, cam->capture_timeout, false, watchdog_cb,
			cam);
	return 0;
}

static void poll_cb(void *data)
{
	struct cam *cam = data;

	if (!cam->job && !cam->op && cam->opened)
		submit(cam, ACT_POLL, NULL);
}

/* --- operations ------------------------------------------------------------------ */

static int cam_open(struct rk_device *dev, struct rk_op *op)
{
	struct cam *cam = host->get_data(dev);
	int err;

	if (!cam) {
		cam = calloc(1, sizeof(*cam));
		if (!cam)
			return -ENOMEM;
		cam->dev = dev;
		host->set_data(dev, cam);
	}
	if (config_uint(cam, "capture-timeout", CAPTURE_TIMEOUT_DEFAULT, 100, 600000,
			&cam->capture_timeout) < 0 ||
			config_uint(cam, "poll-interval", POLL_INTERVAL_DEFAULT, 0, 3600000,
				&cam->poll_interval) < 0 ||
			config_uint(cam, "preview-size", PREVIEW_SIZE_DEFAULT, 64, 4000,
				&cam->preview_size) < 0) {
		host->op_complete(op, -EINVAL,
			"the device's section has a bad value (see the log)");
		return 0;
	}
	if (!cam->s) {
		cam->s = session_new(host->connection(dev), host->config(dev, "model"));
		if (!cam->s) {
			host->op_complete(op, -EINVAL, "the connection or model is not valid");
			return 0;
		}
	}
	if (cam->poll_interval && !cam->poll)
		cam->poll = host->timer_add(dev, cam->poll_interval, true, poll_cb, cam);
	err = submit(cam, ACT_OPEN, op);
	return err;
}

static void cam_close(struct rk_device *dev)
{
	struct cam *cam = host->get_data(dev);

	if (!cam)
		return;
	stop_watchdog(cam);
	if (cam->poll)
		host->timer_remove(cam->poll);
	if (cam->job) {
		/* the job owns the session now and frees it when it returns */
		cam->job->cam = NULL;
		cam->job->op = NULL;
		session_abort(cam->s);
	} else if (cam->s) {
		session_abort(cam->s); /* PTP/IP: closing does not wait for the camera */
		session_free_now(cam->s);
	}
	free(cam);
	host->set_data(dev, NULL);
}

static int start(struct rk_device *dev, struct rk_op *op, enum action action)
{
	struct cam *cam = host->get_data(dev);

	if (!cam || !cam->s || !cam->opened)
		return -ENODEV;
	if (cam->op)
		return -EBUSY;
	host->op_progress(op, action == ACT_SELF_TEST ? "testing" : "capturing", -1,
		action == ACT_SELF_TEST ? "The camera tests itself" : "Taking the picture");
	return submit(cam, action, op);
}

static int cam_self_test(struct rk_device *dev, struct rk_op *op)
{
	return start(dev, op, ACT_SELF_TEST);
}

static int cam_capture(struct rk_device *dev, struct rk_op *op, const struct rk_options *options)
{
	/* preview is a boolean; a number or a text is refused, not ignored */
	if (host->option_string(options, "preview", NULL) ||
			host->option_int(options, "preview", INT64_MIN) != INT64_MIN) {
		host->op_complete(op, -EINVAL, "Option preview must be a boolean");
		return 0;
	}
	return start(dev, op, host->option_bool(options, "preview", false) ? ACT_PREVIEW :
		ACT_CAPTURE);
}

static void cam_cancel(struct rk_device *dev, struct rk_op *op)
{
	struct cam *cam = host->get_data(dev);

	if (cam && cam->op == op)
		abandon(cam, -ECANCELED, "the camera was stopped before it finished");
}

static const struct rk_device_ops ops = {
	.probe = probe,
	.open = cam_open,
	.close = cam_close,
	.self_test = cam_self_test,
	.capture = cam_capture,
	.cancel = cam_cancel,
};

/* --- loading ---------------------------------------------------------------------- */

/*
 * libgphoto2's settings file (the PTP/IP GUID) goes to
 * $STATE_DIRECTORY/camera-gphoto2 (the systemd unit's StateDirectory). Without
 * one it goes nowhere: the directory named is under /proc, where nothing can
 * be made, so the GUID lives in memory for this run only.
 */
#define NO_SETTINGS_DIR "/proc/rekam-camera-gphoto2-keeps-no-settings"

static int init(const struct rk_host *h)
{
	const char *state = getenv("STATE_DIRECTORY");
	char *dir = NULL;
	int err;

	host = h;
	session_keep_fd0(); /* rekamd started without stdin: hold 0 from the start */
	if (state && *state == '/' &&
			asprintf(&dir, "%.*s/camera-gphoto2", (int)strcspn(state, ":"), state) < 0)
		return -ENOMEM;
	err = session_settings_init(dir ? dir : NO_SETTINGS_DIR);
	free(dir);
	return err;
}

static void plugin_exit(void)
{
	session_library_free();
}

REKAM_PLUGIN_DEFINE("camera-gphoto2", "cameras through libgphoto2 (USB PTP, PTP/IP)",
	PACKAGE_VERSION, RK_DEVICE_CAMERA, NULL, &ops, init, plugin_exit);
