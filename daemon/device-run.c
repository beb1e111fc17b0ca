// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * rekam - KTP-el recording station daemon
 *
 * device-run.c - operations rekamd starts on a device itself, without a
 * D-Bus call behind them: the pipeline's captures of step 5 and the printer
 * and card reader jobs of step 8 (device.h: rk_device_run()). They hold the
 * device's claim for their run, time out and cancel like any operation
 * (device-op.c), keep their artifacts the same way, and end with a callback
 * on the loop instead of a reply. This file also builds option lists for
 * them, and keeps the failures still to be told.
 */
#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/device-private.h"
#include "daemon/device.h"
#include "daemon/log.h"

/* A failure told on a later loop turn, so a starter is never called back
 * from inside its own rk_device_run(). */
struct rk_deferred_done {
	struct rk_devices *devices;
	struct event *ev;
	rk_device_done_fn fn;
	void *data;
	int err;
	char *message;
	struct rk_deferred_done *next;
};

/* --- options --------------------------------------------------------------- */

static struct rk_option *add_slot(struct rk_options *options, const char *key)
{
	struct rk_option *items = realloc(options->items, (options->n + 1) * sizeof(*items));
	char *name = strdup(key);

	if (items)
		options->items = items;
	if (!items || !name) {
		free(name);
		return NULL;
	}
	memset(&items[options->n], 0, sizeof(items[0]));
	items[options->n].key = name;
	return &items[options->n]; /* counted by the caller once filled */
}

int rk_options_add_string(struct rk_options *options, const char *key, const char *value)
{
	struct rk_option *o = add_slot(options, key);
	char *copy = strdup(value);

	if (!o || !copy) {
		if (o)
			free(o->key);
		free(copy);
		return -ENOMEM;
	}
	o->type = DBUS_TYPE_STRING;
	o->v.s = copy;
	options->n++;
	return 0;
}

int rk_options_add_int(struct rk_options *options, const char *key, int64_t value)
{
	struct rk_option *o = add_slot(options, key);

	if (!o)
		return -ENOMEM;
	o->type = DBUS_TYPE_INT64;
	o->v.i = value;
	options->n++;
	return 0;
}

int rk_options_add_bool(struct rk_options *options, const char *key, bool value)
{
	struct rk_option *o = add_slot(options, key);

	if (!o)
		return -ENOMEM;
	o->type = DBUS_TYPE_BOOLEAN;
	o->v.b = value;
	options->n++;
	return 0;
}

int rk_options_add_bytes(struct rk_options *options, const char *key, void *data, size_t size)
{
	struct rk_option *o = add_slot(options, key);

	if (!o) {
		free(data);
		return -ENOMEM;
	}
	o->type = DBUS_TYPE_ARRAY;
	o->v.y.data = data;
	o->v.y.size = size;
	options->n++;
	return 0;
}

const struct rk_option *rk_options_find(const struct rk_options *options, const char *key)
{
	for (size_t i = 0; options && i < options->n; i++)
		if (strcmp(options->items[i].key, key) == 0)
			return &options->items[i];
	return NULL;
}

/* --- devices --------------------------------------------------------------- */

struct rk_device *rk_devices_find(struct rk_devices *devices, const char *cls, const char *name)
{
	for (size_t i = 0; i < devices->n; i++) {
		struct rk_device *dev = devices->items[i];

		if (strcmp(rk_device_class_name(dev->plugin->device_class), cls) == 0 &&
				(!name || strcmp(dev->name, name) == 0))
			return dev;
	}
	return NULL;
}

const char *rk_device_name(const struct rk_device *dev)
{
	return dev->name;
}

const char *rk_device_path(const struct rk_device *dev)
{
	return dev->path;
}

const char *rk_device_health_string(const struct rk_device *dev, const char *key)
{
	for (size_t i = 0; i < dev->n_health; i++)
		if (strcmp(dev->health[i].key, key) == 0 && dev->health[i].type == DBUS_TYPE_STRING)
			return dev->health[i].v.s;
	return NULL;
}

/* --- running --------------------------------------------------------------- */

int rk_device_run(struct rk_device *dev, const char *owner, const char *action,
		struct rk_options *options, unsigned int timeout_ms, rk_device_done_fn fn,
		void *data, char *why, size_t size)
{
	return rk_device_run_keyed(dev, owner, 0, NULL, action, options, timeout_ms, fn, data,
		why, size);
}

int rk_device_run_keyed(struct rk_device *dev, const char *owner, int64_t key_id,
		const unsigned char *key, const char *action, struct rk_options *options,
		unsigned int timeout_ms, rk_device_done_fn fn, void *data, char *why, size_t size)
{
	bool supported = action ? dev->plugin->abi_minor >= 1 && dev->plugin->ops->job :
		dev->plugin->ops->capture != NULL;
	const struct rk_option *t = rk_options_find(options, "timeout");
	struct rk_op *op;
	int err = 0;

	if (dev->claimed_by) {
		snprintf(why, size, "%s is claimed by %s", dev->name, dev->claimed_by);
		err = -EBUSY;
	} else if (!supported) {
		snprintf(why, size, "%s cannot %s", dev->name, action ? action : "capture");
		err = -EOPNOTSUPP;
	} else if (dev->state == RK_DEVICE_ABSENT || (!dev->opened && dev->state == RK_DEVICE_ERROR)) {
		snprintf(why, size, "%s is not connected%s%s", dev->name,
			dev->last_error && *dev->last_error ? ": " : "",
			dev->last_error ? dev->last_error : "");
		err = -ENODEV;
	} else if (dev->op) {
		snprintf(why, size, "%s is busy with another operation", dev->name);
		err = -EBUSY;
	}
	if (!err && t && t->type == DBUS_TYPE_INT64 && t->v.i >= 1 && t->v.i <= 600000)
		timeout_ms = (unsigned int)t->v.i;
	if (!err && !(op = rk_op_new(dev, action ? RK_OP_JOB : RK_OP_CAPTURE, NULL, timeout_ms)))
		err = -ENOMEM;
	if (!err && ((action && !(op->action = strdup(action))) || !(op->owner = strdup(owner)) ||
			!(dev->claimed_by = strdup(owner)))) {
		rk_op_free_unstarted(op);
		err = -ENOMEM;
	}
	if (err) {
		if (err == -ENOMEM)
			snprintf(why, size, "out of memory");
		rk_options_clear(options);
		return err;
	}
	rk_device_changed(dev, "ClaimedBy");
	op->done = fn;
	op->done_data = data;
	if (key_id > 0 && key) {
		op->key_id = key_id;
		memcpy(op->key, key, sizeof(op->key));
	}
	op->options = *options;
	*options = (struct rk_options){ 0 };
	rk_op_start(op);
	return 0;
}

void rk_device_run_cancel(struct rk_device *dev, const char *owner)
{
	if (dev->op && dev->op->owner && strcmp(dev->op->owner, owner) == 0)
		rk_op_cancel(dev->op);
}

/* --- completion ------------------------------------------------------------ */

static void deferred_cb(evutil_socket_t fd, short what, void *data)
{
	struct rk_deferred_done *d = data;
	struct rk_options none = { 0 };
	struct rk_device_outcome o = { .err = d->err, .message = d->message ? d->message : "",
		.results = &none };
	struct rk_deferred_done **p;

	(void)fd;
	(void)what;
	/* off the list first: the starter may run another operation */
	for (p = &d->devices->deferred; *p && *p != d; p = &(*p)->next)
		;
	if (*p)
		*p = d->next;
	d->fn(&o, d->data);
	event_free(d->ev);
	free(d->message);
	free(d);
}

void rk_run_fail(struct rk_op *op, int err, const char *message)
{
	struct rk_devices *devices = op->dev->devices;
	struct rk_deferred_done *d = calloc(1, sizeof(*d));
	const char *text = message && *message ? message : strerror(err < 0 ? -err : EIO);

	if (!d || !(d->message = strdup(text)) ||
			!(d->ev = evtimer_new(rk_device_base(op->dev), deferred_cb, d))) {
		/* Nothing can be told: the starter's run never ends. Logged loudly. */
		rk_error("%s: out of memory telling the pipeline that %s failed", op->dev->path,
			op->action ? op->action : "a capture");
		if (d)
			free(d->message);
		free(d);
		return;
	}
	d->devices = devices;
	d->fn = op->done;
	d->data = op->done_data;
	d->err = err ? err : -EIO;
	d->next = devices->deferred;
	devices->deferred = d;
	event_active(d->ev, EV_TIMEOUT, 0);
}

void rk_run_succeed(rk_device_done_fn fn, void *data, const struct rk_artifact_meta *artifacts,
		size_t n, const struct rk_options *results)
{
	struct rk_options none = { 0 };
	struct rk_device_outcome o = { .err = 0, .message = "", .artifacts = artifacts,
		.n_artifacts = n, .results = results ? results : &none };

	fn(&o, data);
}

void rk_run_free_deferred(struct rk_devices *devices)
{
	/* Told now, so their starters can let go of what they hold. */
	while (devices->deferred)
		deferred_cb(-1, 0, devices->deferred);
}
