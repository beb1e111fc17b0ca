// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * rekam - KTP-el recording station daemon
 *
 * device-op.c - one operation of a device (open, self-test, capture, job): its
 * timeout, its cancellation with a deadline for the plugin to stop, its
 * progress signals, the artifacts and steps it collects, and the D-Bus reply
 * it ends with. Exactly one completion per operation reaches the caller.
 */
#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "daemon/artifact-bus.h"
#include "daemon/artifact.h"
#include "daemon/audit-bus.h"
#include "daemon/daemon.h"
#include "daemon/dbus-error.h"
#include "daemon/dbus-object.h"
#include "daemon/device-private.h"
#include "daemon/device.h"
#include "daemon/log.h"
#include "daemon/photo-check.h"
#include "daemon/worker.h"

#define CANCEL_DEADLINE_MS 5000
#define MAX_OPTIONS 32
#define MAX_OPTION_STRING 4096
#define MAX_OPTION_BYTES ((size_t)16 << 20)  /* one byte-array option of a job */
#define MAX_OPTIONS_BYTES ((size_t)64 << 20) /* all of them */
#define MAX_RESULTS 64

struct rk_pending_artifact {
	struct rk_artifact_meta meta;
	void *data;
	size_t size;
};

static const char *const op_names[] = {
	[RK_OP_OPEN] = "open",
	[RK_OP_SELF_TEST] = "self-test",
	[RK_OP_CAPTURE] = "capture",
	[RK_OP_JOB] = "job",
};

/* What the operation is called in messages: a job by its action. */
static const char *op_name(const struct rk_op *op)
{
	return op->type == RK_OP_JOB && op->action ? op->action : op_names[op->type];
}

/* --- options --------------------------------------------------------------- */

void rk_options_clear(struct rk_options *options)
{
	for (size_t i = 0; i < options->n; i++) {
		free(options->items[i].key);
		if (options->items[i].type == DBUS_TYPE_STRING)
			free(options->items[i].v.s);
		else if (options->items[i].type == DBUS_TYPE_ARRAY)
			free(options->items[i].v.y.data);
	}
	free(options->items);
	options->items = NULL;
	options->n = 0;
}

static bool valid_key(const char *key)
{
	size_t len = strlen(key);

	return len > 0 && len <= 64 &&
		strspn(key, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") == len;
}

/* A byte-array option ("ay"); false when it is not one or too big. */
static bool read_bytes(DBusMessageIter *var, struct rk_option *opt, size_t *total)
{
	DBusMessageIter array;
	const void *bytes = NULL;
	int n = 0;

	if (dbus_message_iter_get_arg_type(var) != DBUS_TYPE_ARRAY ||
			dbus_message_iter_get_element_type(var) != DBUS_TYPE_BYTE)
		return false;
	dbus_message_iter_recurse(var, &array);
	dbus_message_iter_get_fixed_array(&array, &bytes, &n);
	if (n < 0 || (size_t)n > MAX_OPTION_BYTES || *total + (size_t)n > MAX_OPTIONS_BYTES)
		return false;
	opt->type = DBUS_TYPE_ARRAY;
	opt->v.y.size = (size_t)n;
	opt->v.y.data = malloc(n ? (size_t)n : 1);
	if (!opt->v.y.data)
		return false;
	if (n)
		memcpy(opt->v.y.data, bytes, (size_t)n);
	*total += (size_t)n;
	return true;
}

/* One option from a variant; false when its type is not allowed. */
static bool read_option(DBusMessageIter *var, struct rk_option *opt)
{
	union {
		const char *s;
		dbus_bool_t b;
		uint8_t y;
		int16_t n;
		uint16_t q;
		int32_t i;
		uint32_t u;
		int64_t x;
		uint64_t t;
		double d;
	} v;
	int type = dbus_message_iter_get_arg_type(var);

	if (!dbus_type_is_basic(type))
		return false;
	dbus_message_iter_get_basic(var, &v);
	opt->type = DBUS_TYPE_INT64;
	switch (type) {
	case DBUS_TYPE_STRING:
		if (strlen(v.s) > MAX_OPTION_STRING)
			return false;
		opt->type = DBUS_TYPE_STRING;
		opt->v.s = strdup(v.s);
		return opt->v.s != NULL;
	case DBUS_TYPE_BOOLEAN:
		opt->type = DBUS_TYPE_BOOLEAN;
		opt->v.b = v.b;
		return true;
	case DBUS_TYPE_DOUBLE:
		opt->type = DBUS_TYPE_DOUBLE;
		opt->v.d = v.d;
		return true;
	case DBUS_TYPE_BYTE:
		opt->v.i = v.y;
		return true;
	case DBUS_TYPE_INT16:
		opt->v.i = v.n;
		return true;
	case DBUS_TYPE_UINT16:
		opt->v.i = v.q;
		return true;
	case DBUS_TYPE_INT32:
		opt->v.i = v.i;
		return true;
	case DBUS_TYPE_UINT32:
		opt->v.i = v.u;
		return true;
	case DBUS_TYPE_INT64:
		opt->v.i = v.x;
		return true;
	case DBUS_TYPE_UINT64:
		opt->v.i = (int64_t)v.t;
		return v.t <= INT64_MAX;
	default:
		return false;
	}
}

DBusMessage *rk_options_parse(DBusMessage *msg, DBusMessageIter *iter, struct rk_options *options,
		bool bytes)
{
	DBusMessageIter dict, entry, var;
	const char *why = NULL, *key = "";
	size_t total = 0;

	options->items = calloc(MAX_OPTIONS, sizeof(*options->items));
	options->n = 0;
	if (!options->items)
		return rk_dbus_error(msg, RK_DBUS_ERROR_FAILED, "Out of memory");
	dbus_message_iter_recurse(iter, &dict);
	for (; dbus_message_iter_get_arg_type(&dict) == DBUS_TYPE_DICT_ENTRY && !why;
			dbus_message_iter_next(&dict)) {
		struct rk_option *opt = &options->items[options->n];

		dbus_message_iter_recurse(&dict, &entry);
		dbus_message_iter_get_basic(&entry, &key);
		dbus_message_iter_next(&entry);
		dbus_message_iter_recurse(&entry, &var);
		if (options->n == MAX_OPTIONS)
			why = "too many options (at most 32)";
		else if (!valid_key(key))
			why = "option names are 1 to 64 characters of A-Z a-z 0-9 _ -";
		for (size_t i = 0; !why && i < options->n; i++)
			if (strcmp(options->items[i].key, key) == 0)
				why = "an option is given twice";
		if (!why && !(opt->key = strdup(key)))
			why = "out of memory";
		if (!why && !(bytes && dbus_message_iter_get_arg_type(&var) == DBUS_TYPE_ARRAY ?
					    read_bytes(&var, opt, &total) :
					    read_option(&var, opt))) {
			free(opt->key);
			why = bytes ? "option values are strings (at most 4096 bytes), booleans, "
				      "numbers or byte arrays (at most 16 MiB each, 64 MiB in all)" :
				      "option values are strings (at most 4096 bytes), booleans or numbers";
		}
		if (!why)
			options->n++;
	}
	if (!why)
		return NULL;
	rk_options_clear(options);
	return rk_dbus_error(msg, RK_DBUS_ERROR_INVALID_ARGUMENTS, "Option '%.64s': %s", key, why);
}

/* --- life cycle ------------------------------------------------------------ */

static void free_pending(struct rk_op *op)
{
	struct rk_pending_artifact *a = op->artifacts;

	for (size_t i = 0; i < op->n_artifacts; i++) {
		rk_artifact_meta_clear(&a[i].meta);
		free(a[i].data);
	}
	free(op->artifacts);
	op->artifacts = NULL;
	op->n_artifacts = 0;
}

static void op_free(struct rk_op *op)
{
	if (op->timeout)
		event_free(op->timeout);
	if (op->deadline)
		event_free(op->deadline);
	if (op->call)
		dbus_message_unref(op->call);
	for (size_t i = 0; i < op->n_steps; i++) {
		free(op->steps[i].name);
		free(op->steps[i].detail);
	}
	free(op->steps);
	free_pending(op);
	rk_options_clear(&op->options);
	rk_options_clear(&op->results);
	free(op->action);
	free(op->owner);
	free(op);
}

void rk_op_free_unstarted(struct rk_op *op)
{
	op_free(op);
}

/* An internal run ends: the claim it held goes with it. */
static void release_owner(struct rk_op *op)
{
	struct rk_device *dev = op->dev;

	if (!op->owner || !dev->claimed_by || strcmp(dev->claimed_by, op->owner) != 0)
		return;
	free(dev->claimed_by);
	dev->claimed_by = NULL;
	rk_device_changed(dev, "ClaimedBy");
}

static void timeout_cb(evutil_socket_t fd, short what, void *data)
{
	struct rk_op *op = data;

	rk_warn("%s: %s timed out", op->dev->path, op_name(op));
	op->timed_out = true;
	rk_op_cancel(op);
}

static void reply(struct rk_op *op, DBusMessage *msg)
{
	if (msg && op->call && !dbus_message_get_no_reply(op->call))
		rk_dbus_send_reply(op->dev->devices->daemon->dbus, msg);
	else if (msg)
		dbus_message_unref(msg);
}

static DBusMessage *error_reply(struct rk_op *op, int err, const char *message)
{
	const char *what = message && *message ? message : strerror(-err);

	switch (err) {
	case -ECANCELED:
		return rk_dbus_error(op->call, RK_DBUS_ERROR_CANCELLED, "%s was cancelled",
			op_name(op));
	case -ETIMEDOUT:
		return rk_dbus_error(op->call, RK_DBUS_ERROR_TIMEOUT, "%s ran out of time: %s",
			op_name(op), what);
	case -EOPNOTSUPP:
		if (op->type == RK_OP_JOB)
			return rk_dbus_error(op->call, RK_DBUS_ERROR_NOT_SUPPORTED,
				"%s has no job '%s'%s%s", op->dev->name, op->action,
				message && *message ? ": " : "", message ? message : "");
		return rk_dbus_error_errno(op->call, err, "%s", what);
	case -ENODEV:
		return rk_dbus_error(op->call, RK_DBUS_ERROR_ABSENT, "%s is not connected: %s",
			op->dev->name, what);
	case -EIO:
	case -EPROTO:
		return rk_dbus_error(op->call, RK_DBUS_ERROR_DEVICE, "%s", what);
	default:
		return rk_dbus_error_errno(op->call, err, "%s", what);
	}
}

/* --- replies --------------------------------------------------------------- */

static DBusMessage *self_test_reply(struct rk_op *op)
{
	DBusMessage *msg = dbus_message_new_method_return(op->call);
	DBusMessageIter iter, array, step;
	dbus_bool_t passed = op->n_steps > 0;
	bool ok;

	for (size_t i = 0; i < op->n_steps; i++)
		passed = passed && op->steps[i].passed;
	if (!msg)
		return NULL;
	dbus_message_iter_init_append(msg, &iter);
	ok = dbus_message_iter_append_basic(&iter, DBUS_TYPE_BOOLEAN, &passed) &&
		dbus_message_iter_open_container(&iter, DBUS_TYPE_ARRAY, "(sbs)", &array);
	for (size_t i = 0; ok && i < op->n_steps; i++) {
		dbus_bool_t p = op->steps[i].passed;
		const char *detail = op->steps[i].detail ? op->steps[i].detail : "";

		ok = dbus_message_iter_open_container(&array, DBUS_TYPE_STRUCT, NULL, &step) &&
			dbus_message_iter_append_basic(&step, DBUS_TYPE_STRING, &op->steps[i].name) &&
			dbus_message_iter_append_basic(&step, DBUS_TYPE_BOOLEAN, &p) &&
			dbus_message_iter_append_basic(&step, DBUS_TYPE_STRING, &detail) &&
			dbus_message_iter_close_container(&array, &step);
	}
	if (ok && dbus_message_iter_close_container(&iter, &array))
		return msg;
	dbus_message_unref(msg);
	return NULL;
}

/*
 * Keeping a capture: the files are written (and fsync'ed) on a worker thread,
 * then recorded in the store and answered on the loop. The job owns what it
 * needs, so the device may be idle, busy again or even gone meanwhile. A
 * capture is kept whole or not at all.
 */
struct persist_job {
	struct rk_daemon *d;
	DBusMessage *call;       /* NULL for an internal run: told through done */
	rk_device_done_fn done;
	void *done_data;
	char *dir;
	char *device;
	struct rk_pending_artifact *artifacts;
	size_t n;
	bool job;                  /* a job: the reply starts with its results */
	struct rk_options results;
	bool ran;
	int err;
	int birth_year; /* > 0: check the portrait first (photo-check.c) */
	struct rk_photo_rules rules;
	char why[RK_PHOTO_WHY_SIZE]; /* why the check failed */
};

static void persist_free(struct persist_job *job)
{
	for (size_t i = 0; i < job->n; i++) {
		rk_artifact_meta_clear(&job->artifacts[i].meta);
		free(job->artifacts[i].data);
	}
	free(job->artifacts);
	rk_options_clear(&job->results);
	if (job->call)
		dbus_message_unref(job->call);
	free(job->dir);
	free(job->device);
	free(job);
}

static void persist_work(void *data)
{
	struct persist_job *job = data;
	size_t written = 0;

	job->ran = true;
	for (size_t i = 0; job->birth_year && i < job->n && !job->err; i++)
		if (strcmp(job->artifacts[i].meta.kind, "portrait") == 0 &&
				rk_photo_check(&job->rules, job->birth_year, job->artifacts[i].data,
					job->artifacts[i].size, job->why) < 0)
			job->err = -EBADMSG; /* keep nothing */
	for (; written < job->n && !job->err; written++) {
		struct rk_pending_artifact *a = &job->artifacts[written];

		job->err = rk_artifact_write(job->dir, &a->meta, a->data, a->size);
		free(a->data); /* the bytes are on disk (or failed): no need to hold them */
		a->data = NULL;
	}
	if (job->err) {
		/* the one that failed left nothing behind; remove the others */
		for (size_t i = 0; i + 1 < written; i++)
			rk_artifact_discard(job->dir, job->artifacts[i].meta.handle);
	}
}

static bool append_results(DBusMessageIter *iter, const struct rk_options *results)
{
	DBusMessageIter dict;
	bool ok = dbus_message_iter_open_container(iter, DBUS_TYPE_ARRAY, "{sv}", &dict);

	for (size_t i = 0; ok && i < results->n; i++) {
		const struct rk_option *r = &results->items[i];
		dbus_bool_t b;

		if (r->type == DBUS_TYPE_STRING) {
			ok = rk_dbus_dict_append(&dict, r->key, DBUS_TYPE_STRING, &r->v.s);
		} else if (r->type == DBUS_TYPE_BOOLEAN) {
			b = r->v.b; /* read the member the value is in */
			ok = rk_dbus_dict_append(&dict, r->key, DBUS_TYPE_BOOLEAN, &b);
		} else
			ok = rk_dbus_dict_append(&dict, r->key, DBUS_TYPE_INT64, &r->v.i);
	}
	return ok && dbus_message_iter_close_container(iter, &dict);
}

static DBusMessage *persist_reply(struct persist_job *job)
{
	DBusMessage *msg = dbus_message_new_method_return(job->call);
	DBusMessageIter iter, array;
	bool ok;

	if (!msg)
		return NULL;
	dbus_message_iter_init_append(msg, &iter);
	ok = !job->job || append_results(&iter, &job->results);
	ok = ok && dbus_message_iter_open_container(&iter, DBUS_TYPE_ARRAY, "a{sv}", &array);
	for (size_t i = 0; ok && i < job->n; i++) {
		struct rk_artifact_meta *m = &job->artifacts[i].meta;

		ok = rk_artifact_append_meta(&array, m);
		rk_info("%s: artifact %s (%s, %s, %llu bytes)", job->device, m->handle, m->kind,
			m->format, (unsigned long long)m->size);
	}
	if (ok && dbus_message_iter_close_container(&iter, &array))
		return msg;
	dbus_message_unref(msg);
	return NULL;
}

/* An internal run failed after the plugin was done with it: tell its
 * starter (on the loop already, after the worker). */
static void persist_tell_error(struct persist_job *job, int err, const char *why)
{
	struct rk_options none = { 0 };
	struct rk_device_outcome o = { .err = err, .message = why, .results = &none };

	job->done(&o, job->done_data);
}

/* An internal run's artifacts are stored: tell its starter. */
static void persist_tell(struct persist_job *job)
{
	struct rk_artifact_meta *metas = calloc(job->n ? job->n : 1, sizeof(*metas));

	if (!metas) {
		persist_tell_error(job, -ENOMEM, "out of memory");
		return;
	}
	for (size_t i = 0; i < job->n; i++)
		metas[i] = job->artifacts[i].meta; /* shallow: the job still owns them */
	rk_run_succeed(job->done, job->done_data, metas, job->n, &job->results);
	free(metas);
}

static void persist_done(void *data)
{
	struct persist_job *job = data;
	DBusMessage *msg = NULL;
	size_t kept = 0;
	int err = job->ran ? job->err : -ESHUTDOWN;

	for (; !err && kept < job->n; kept++)
		err = rk_artifact_commit(job->d->store, job->dir, &job->artifacts[kept].meta);
	if (err && job->ran && !job->err) {
		/* kept - 1 failed and removed its own file */
		for (size_t i = 0; i + 1 < kept; i++)
			rk_artifact_delete(job->d->store, job->dir, job->artifacts[i].meta.handle);
		for (size_t i = kept; i < job->n; i++)
			rk_artifact_discard(job->dir, job->artifacts[i].meta.handle);
	}
	if (!err) {
		char handles[400] = "";
		size_t used = 0;

		for (size_t i = 0; i < job->n && used + 40 < sizeof(handles); i++)
			used += (size_t)snprintf(handles + used, sizeof(handles) - used, " %s",
				job->artifacts[i].meta.handle);
		rk_audit_note(job->d, job->call, job->job ? "device.job" : "device.capture", "ok",
			"%s: %zu artifact%s%s", job->device, job->n, job->n == 1 ? "" : "s", handles);
		if (job->done) {
			persist_tell(job);
			persist_free(job);
			return;
		}
		msg = persist_reply(job);
	} else if (err == -EBADMSG && job->why[0]) {
		rk_audit_note(job->d, job->call, "device.capture", "check-failed", "%s: %s",
			job->device, job->why);
		if (job->done) {
			persist_tell_error(job, -EBADMSG, job->why);
			persist_free(job);
			return;
		}
		msg = rk_dbus_error(job->call, RK_DBUS_ERROR_CHECK_FAILED, "%s", job->why);
	}
	if (!msg && job->done) {
		char why[160];

		snprintf(why, sizeof(why), "The captured data could not be stored: %s",
			err == -ESHUTDOWN ? "rekamd is stopping" : strerror(err ? -err : ENOMEM));
		persist_tell_error(job, err ? err : -ENOMEM, why);
		persist_free(job);
		return;
	}
	if (!msg)
		msg = rk_dbus_error(job->call, RK_DBUS_ERROR_FAILED,
			"The captured data could not be stored: %s",
			err == -ESHUTDOWN ? "rekamd is stopping" : strerror(err ? -err : ENOMEM));
	if (!dbus_message_get_no_reply(job->call))
		rk_dbus_send_reply(job->d->dbus, msg);
	else
		dbus_message_unref(msg);
	persist_free(job);
}

/* The birth-year option of a camera capture (photo checks): 0 when absent,
 * -1 when it is not a year from 1900 to this one. */
static int photo_birth_year(struct rk_op *op)
{
	time_t now = time(NULL);
	struct tm tm;

	if (op->type != RK_OP_CAPTURE || op->dev->plugin->device_class != RK_DEVICE_CAMERA ||
			!gmtime_r(&now, &tm))
		return 0;
	for (size_t i = 0; i < op->options.n; i++) {
		const struct rk_option *o = &op->options.items[i];

		if (strcmp(o->key, "birth-year") == 0)
			return o->type == DBUS_TYPE_INT64 && o->v.i >= 1900 &&
				o->v.i <= tm.tm_year + 1900 ? (int)o->v.i : -1;
	}
	return 0;
}

/* Hand the artifacts of @op to a worker; NULL, or an error reply when that fails. */
static DBusMessage *capture_persist(struct rk_op *op)
{
	struct rk_daemon *d = op->dev->devices->daemon;
	struct persist_job *job = calloc(1, sizeof(*job));

	if (!job)
		return NULL;
	job->d = d;
	job->call = op->call ? dbus_message_ref(op->call) : NULL;
	job->done = op->done;
	job->done_data = op->done_data;
	job->artifacts = op->artifacts;
	job->n = op->n_artifacts;
	for (size_t i = 0; op->key_id && i < job->n; i++) {
		job->artifacts[i].meta.key_id = op->key_id;
		memcpy(job->artifacts[i].meta.key, op->key, sizeof(op->key));
	}
	op->artifacts = NULL;
	op->n_artifacts = 0;
	job->job = op->type == RK_OP_JOB;
	job->results = op->results;
	op->results = (struct rk_options){ 0 };
	job->device = strdup(op->dev->path);
	job->birth_year = photo_birth_year(op);
	if (job->birth_year)
		rk_photo_rules_from_config(d->config, &job->rules);
	if (asprintf(&job->dir, "%s/artifacts", d->state_dir) < 0)
		job->dir = NULL;
	if (job->device && job->dir &&
			rk_worker_submit(d->workers, persist_work, persist_done, job) == 0)
		return NULL;
	persist_free(job);
	if (op->done) {
		rk_run_fail(op, -ENOMEM, "The captured data could not be stored");
		return NULL;
	}
	return rk_dbus_error(op->call, RK_DBUS_ERROR_FAILED, "The captured data could not be stored");
}

/* --- completion ------------------------------------------------------------ */

static void finish_open(struct rk_op *op, int err, const char *message)
{
	struct rk_device *dev = op->dev;
	char text[256];

	if (!err) {
		dev->opened = true;
		dev->retry_ms = RK_RETRY_FIRST_MS;
		rk_device_set_error(dev, "");
		rk_device_set_state(dev, RK_DEVICE_IDLE);
		rk_info("%s: opened (%s %s, firmware %s)", dev->path, dev->model ? dev->model : "?",
			dev->serial ? dev->serial : "?", dev->firmware ? dev->firmware : "?");
		return;
	}
	snprintf(text, sizeof(text), "%s", message && *message ? message : strerror(-err));
	rk_device_set_error(dev, text);
	rk_device_set_state(dev, err == -ENODEV ? RK_DEVICE_ABSENT : RK_DEVICE_ERROR);
	rk_debug("%s: cannot open: %s", dev->path, text);
	rk_device_schedule_open(dev, rk_device_next_retry(dev));
}

/* Answer the caller and forget the operation (the plugin is done with it). */
static void finish(struct rk_op *op, int err, const char *message)
{
	struct rk_device *dev = op->dev;
	DBusMessage *msg = NULL;

	if (dev->op == op)
		dev->op = NULL;
	if (op->type == RK_OP_OPEN) {
		finish_open(op, err, message);
		op_free(op);
		return;
	}
	if (err) {
		rk_info("%s: %s failed: %s", dev->path, op_name(op),
			message && *message ? message : strerror(-err));
		rk_audit_note(dev->devices->daemon, op->call, op->type == RK_OP_JOB ? "device.job" :
			op->type == RK_OP_CAPTURE ? "device.capture" : "device.self-test",
			err == -ECANCELED ? "cancelled" : err == -ETIMEDOUT ? "timeout" : "failed",
			"%s %s: %s", dev->name, op_name(op),
			message && *message ? message : strerror(-err));
		if (err != -ECANCELED && err != -ETIMEDOUT)
			rk_device_set_error(dev, message && *message ? message : strerror(-err));
		if (op->done)
			rk_run_fail(op, err, message);
		else
			msg = error_reply(op, err, message);
	} else if (op->type == RK_OP_SELF_TEST) {
		rk_audit_note(dev->devices->daemon, op->call, "device.self-test", "ok", "%s",
			dev->name);
		msg = self_test_reply(op);
		if (!msg)
			msg = rk_dbus_error(op->call, RK_DBUS_ERROR_FAILED, "Out of memory");
	} else {
		msg = capture_persist(op); /* NULL: answered once the files are written */
	}
	if (dev->state == RK_DEVICE_BUSY)
		rk_device_set_state(dev, RK_DEVICE_IDLE);
	release_owner(op);
	reply(op, msg);
	op_free(op);
	if (dev->close_pending)
		rk_device_schedule_open(dev, 0); /* closes first, on the next turn */
}

void rk_op_complete(struct rk_op *op, int err, const char *message)
{
	if (op->abandoned) {
		struct rk_op **p;

		/* The host gave up waiting; the caller was answered already. */
		rk_warn("%s: plugin %s completed %s after its deadline", op->dev->path,
			op->dev->plugin->name, op_name(op));
		for (p = &op->dev->abandoned; *p && *p != op; p = &(*p)->next_abandoned)
			;
		if (*p)
			*p = op->next_abandoned;
		op_free(op);
		return;
	}
	if (op->timed_out && err)
		err = -ETIMEDOUT;
	else if (op->cancelled && err)
		err = -ECANCELED;
	if (op->timeout)
		event_del(op->timeout);
	if (op->deadline)
		event_del(op->deadline);
	finish(op, err, message);
}

static void deadline_cb(evutil_socket_t fd, short what, void *data)
{
	struct rk_op *op = data;
	struct rk_device *dev = op->dev;

	rk_error("%s: plugin %s did not stop %s within %d ms", dev->path, dev->plugin->name,
		op_name(op), CANCEL_DEADLINE_MS);
	if (dev->op == op)
		dev->op = NULL;
	reply(op, op->call ? error_reply(op, op->timed_out ? -ETIMEDOUT : -ECANCELED,
				     "the device did not stop in time") : NULL);
	if (op->done) {
		rk_run_fail(op, op->timed_out ? -ETIMEDOUT : -ECANCELED,
			"the device did not stop in time");
		op->done = NULL; /* told: its late completion is dropped */
	}
	release_owner(op);
	rk_device_set_error(dev, "the plugin did not stop an operation in time");
	rk_device_set_state(dev, RK_DEVICE_ERROR);
	op->abandoned = true;
	op->next_abandoned = dev->abandoned;
	dev->abandoned = op;
	/* Start the plugin afresh: close (dropping the operation) and reopen. */
	if (dev->opened) {
		dev->close_pending = true;
		rk_device_schedule_open(dev, 0);
	}
}

void rk_op_free_abandoned(struct rk_device *dev)
{
	while (dev->abandoned) {
		struct rk_op *op = dev->abandoned;

		dev->abandoned = op->next_abandoned;
		op_free(op);
	}
}

void rk_op_cancel(struct rk_op *op)
{
	struct rk_device *dev = op->dev;
	struct timeval tv = { CANCEL_DEADLINE_MS / 1000, (CANCEL_DEADLINE_MS % 1000) * 1000 };

	if (op->cancelled || op->abandoned)
		return;
	op->cancelled = true;
	if (op->timeout)
		event_del(op->timeout);
	if (dev->plugin->ops->cancel)
		dev->plugin->ops->cancel(dev, op); /* may complete the operation at once */
	if (dev->op == op && op->deadline)
		event_add(op->deadline, &tv);
}

void rk_op_abort(struct rk_op *op)
{
	struct rk_device *dev = op->dev;

	op->cancelled = true;
	if (!op->abandoned && dev->plugin->ops->cancel)
		dev->plugin->ops->cancel(dev, op);
	if (dev->op != op)
		return; /* completed from cancel() */
	dev->op = NULL;
	finish(op, -ECANCELED, "the device was removed");
}

struct rk_op *rk_op_new(struct rk_device *dev, enum rk_op_type type, DBusMessage *call,
		unsigned int timeout_ms)
{
	struct rk_op *op = calloc(1, sizeof(*op));
	struct event_base *base = rk_device_base(dev);
	struct timeval tv = { timeout_ms / 1000, (timeout_ms % 1000) * 1000 };

	if (!op)
		return NULL;
	op->dev = dev;
	op->type = type;
	op->call = call ? dbus_message_ref(call) : NULL;
	op->timeout = evtimer_new(base, timeout_cb, op);
	op->deadline = evtimer_new(base, deadline_cb, op);
	if (!op->timeout || !op->deadline || evtimer_add(op->timeout, &tv) < 0) {
		op_free(op);
		return NULL;
	}
	return op;
}

int rk_op_start(struct rk_op *op)
{
	struct rk_device *dev = op->dev;
	const struct rk_device_ops *ops = dev->plugin->ops;
	int err;

	dev->op = op;
	if (op->type != RK_OP_OPEN) {
		rk_device_set_state(dev, RK_DEVICE_BUSY);
		rk_info("%s: %s started by %s", dev->path, op_name(op),
			op->call ? dbus_message_get_sender(op->call) : op->owner);
	}
	switch (op->type) {
	case RK_OP_OPEN:
		err = ops->open(dev, op);
		break;
	case RK_OP_SELF_TEST:
		err = ops->self_test(dev, op);
		break;
	case RK_OP_JOB:
		err = ops->job(dev, op, op->action, &op->options);
		break;
	default:
		if (photo_birth_year(op) < 0) {
			rk_op_complete(op, -EINVAL, "Option birth-year must be a year from 1900 "
				"to this year");
			return -EINVAL;
		}
		err = ops->capture(dev, op, &op->options);
		break;
	}
	/* A plugin that failed at once may or may not have completed the op. */
	if (err < 0 && dev->op == op)
		rk_op_complete(op, err, NULL);
	return err;
}

/* --- what plugins report --------------------------------------------------- */

void rk_op_progress(struct rk_op *op, const char *stage, double fraction, const char *message)
{
	struct rk_device *dev = op->dev;
	DBusMessage *sig;

	if (op->abandoned || op->type == RK_OP_OPEN || !stage)
		return;
	if (!(fraction >= 0.0 && fraction <= 1.0))
		fraction = -1.0;
	if (!message)
		message = "";
	sig = dbus_message_new_signal(dev->path, RK_DEVICE_INTERFACE, "Progress");
	if (sig && dbus_message_append_args(sig, DBUS_TYPE_STRING, &stage, DBUS_TYPE_DOUBLE,
			   &fraction, DBUS_TYPE_STRING, &message, DBUS_TYPE_INVALID))
		rk_dbus_emit(dev->devices->daemon->dbus, sig);
	else if (sig)
		dbus_message_unref(sig);
}

void rk_op_add_step(struct rk_op *op, const char *name, bool passed, const char *detail)
{
	struct rk_step *steps;

	if (op->abandoned || op->type != RK_OP_SELF_TEST || !name)
		return;
	steps = realloc(op->steps, (op->n_steps + 1) * sizeof(*steps));
	if (!steps)
		return;
	op->steps = steps;
	steps[op->n_steps].name = strdup(name);
	steps[op->n_steps].passed = passed;
	steps[op->n_steps].detail = strdup(detail ? detail : "");
	if (steps[op->n_steps].name)
		op->n_steps++;
}

int rk_op_add_artifact(struct rk_op *op, const struct rk_artifact *artifact)
{
	struct rk_pending_artifact *list, *a;

	if (op->abandoned || (op->type != RK_OP_CAPTURE && op->type != RK_OP_JOB))
		return -EINVAL;
	if (!artifact || !artifact->kind || !artifact->format || !artifact->data ||
			!artifact->size || artifact->size > RK_ARTIFACT_MAX_SIZE)
		return -EINVAL;
	list = realloc(op->artifacts, (op->n_artifacts + 1) * sizeof(*list));
	if (!list)
		return -ENOMEM;
	op->artifacts = list;
	a = &list[op->n_artifacts];
	memset(a, 0, sizeof(*a));
	a->meta.kind = strdup(artifact->kind);
	a->meta.format = strdup(artifact->format);
	a->meta.device = strdup(op->dev->path);
	a->meta.width = artifact->width;
	a->meta.height = artifact->height;
	a->meta.dpi = artifact->dpi;
	a->meta.quality = artifact->quality < -1 || artifact->quality > 100 ? -1 :
		artifact->quality;
	a->data = malloc(artifact->size);
	a->size = artifact->size;
	if (!a->meta.kind || !a->meta.format || !a->meta.device || !a->data) {
		rk_artifact_meta_clear(&a->meta);
		free(a->data);
		return -ENOMEM;
	}
	memcpy(a->data, artifact->data, artifact->size);
	op->n_artifacts++;
	return 0;
}

void rk_op_set_result(struct rk_op *op, const struct rk_option *value)
{
	struct rk_options *r = &op->results;
	struct rk_option *slot = NULL;
	char *s = NULL;

	if (op->abandoned || op->type != RK_OP_JOB || !value->key || !valid_key(value->key))
		return;
	if (value->type == DBUS_TYPE_STRING &&
			(!value->v.s || !dbus_validate_utf8(value->v.s, NULL) ||
				!(s = strndup(value->v.s, MAX_OPTION_STRING))))
		return;
	for (size_t i = 0; i < r->n && !slot; i++)
		if (strcmp(r->items[i].key, value->key) == 0)
			slot = &r->items[i];
	if (slot) {
		if (slot->type == DBUS_TYPE_STRING)
			free(slot->v.s);
	} else {
		if (!r->items)
			r->items = calloc(MAX_RESULTS, sizeof(*r->items));
		if (!r->items || r->n == MAX_RESULTS || !(r->items[r->n].key = strdup(value->key))) {
			free(s);
			return;
		}
		slot = &r->items[r->n++];
	}
	slot->type = value->type;
	slot->v = value->v;
	if (s)
		slot->v.s = s;
}
