// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * rekam - KTP-el recording station daemon
 *
 * host.c - the struct rk_host function table rekamd gives its plugins
 * (include/rekam/plugin.h): logging, private data, configuration, identity
 * and health, fd watches and timers on rekamd's event loop (host-events.c),
 * the worker pool, operation options, and the operation callbacks (device-op.c).
 */
#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/daemon.h"
#include "daemon/device-private.h"
#include "daemon/host-events.h"
#include "daemon/log.h"
#include "daemon/worker.h"

/* --- logging, data, configuration ------------------------------------------ */

__attribute__((format(printf, 3, 4))) static void host_log(struct rk_device *dev, int priority,
		const char *fmt, ...)
{
	char text[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	rk_log(priority, "%s (%s): %s", dev ? dev->name : "plugin",
		dev ? dev->plugin->name : "-", text);
}

static void host_set_data(struct rk_device *dev, void *data)
{
	dev->plugin_data = data;
}

static void *host_get_data(struct rk_device *dev)
{
	return dev->plugin_data;
}

static const char *host_connection(struct rk_device *dev)
{
	return dev->connection;
}

static const char *host_config(struct rk_device *dev, const char *key)
{
	for (char **c = dev->config; c && c[0]; c += 2)
		if (strcmp(c[0], key) == 0)
			return c[1];
	return NULL;
}

/* --- identity and health --------------------------------------------------- */

static void set_text(struct rk_device *dev, char **field, const char *value, const char *property)
{
	if (!value || (*field && strcmp(*field, value) == 0))
		return;
	free(*field);
	*field = strndup(value, 255);
	rk_device_changed(dev, property);
}

static void host_set_info(struct rk_device *dev, const char *model, const char *serial,
		const char *firmware)
{
	set_text(dev, &dev->model, model, "Model");
	set_text(dev, &dev->serial, serial, "Serial");
	set_text(dev, &dev->firmware, firmware, "Firmware");
}

/* The health entry @key, made (empty) when absent; NULL on allocation failure. */
static struct rk_health *health_entry(struct rk_device *dev, const char *key)
{
	struct rk_health *h;

	for (size_t i = 0; i < dev->n_health; i++) {
		if (strcmp(dev->health[i].key, key) == 0) {
			h = &dev->health[i];
			if (h->type == DBUS_TYPE_STRING)
				free(h->v.s);
			h->type = DBUS_TYPE_INVALID;
			return h;
		}
	}
	h = realloc(dev->health, (dev->n_health + 1) * sizeof(*h));
	if (!h)
		return NULL;
	dev->health = h;
	h = &dev->health[dev->n_health];
	h->key = strndup(key, 64);
	h->type = DBUS_TYPE_INVALID;
	if (!h->key)
		return NULL;
	dev->n_health++;
	return h;
}

/* An entry left without a value (allocation failure) must not reach the bus. */
static void health_done(struct rk_device *dev, struct rk_health *h)
{
	if (h->type == DBUS_TYPE_INVALID) {
		free(h->key);
		*h = dev->health[--dev->n_health];
	}
	rk_device_changed(dev, "Health");
}

static void host_set_health_string(struct rk_device *dev, const char *key, const char *value)
{
	struct rk_health *h = health_entry(dev, key);

	if (!h)
		return;
	h->v.s = strndup(value ? value : "", 1024);
	if (h->v.s)
		h->type = DBUS_TYPE_STRING;
	health_done(dev, h);
}

static void host_set_health_int(struct rk_device *dev, const char *key, int64_t value)
{
	struct rk_health *h = health_entry(dev, key);

	if (!h)
		return;
	h->type = DBUS_TYPE_INT64;
	h->v.i = value;
	health_done(dev, h);
}

static void host_set_health_double(struct rk_device *dev, const char *key, double value)
{
	struct rk_health *h = health_entry(dev, key);

	if (!h)
		return;
	h->type = DBUS_TYPE_DOUBLE;
	h->v.d = value;
	health_done(dev, h);
}

static void host_set_health_bool(struct rk_device *dev, const char *key, bool value)
{
	struct rk_health *h = health_entry(dev, key);

	if (!h)
		return;
	h->type = DBUS_TYPE_BOOLEAN;
	h->v.b = value;
	health_done(dev, h);
}

/* --- presence -------------------------------------------------------------- */

static void host_gone(struct rk_device *dev, const char *reason)
{
	rk_warn("%s: device gone: %s", dev->path, reason ? reason : "no reason given");
	rk_device_set_error(dev, reason);
	rk_device_set_state(dev, RK_DEVICE_ABSENT);
	if (!dev->opened)
		return;
	/* Never close from inside a call of the plugin's: on a later turn of the
	 * loop, once no operation runs any more (see retry_cb in device.c). */
	dev->close_pending = true;
	if (!dev->op)
		rk_device_schedule_open(dev, 0);
}

static void host_returned(struct rk_device *dev)
{
	if (!dev->opened && !dev->op)
		rk_device_schedule_open(dev, 0);
}

/* --- event loop ------------------------------------------------------------ */

static struct rk_watch *host_watch_add(struct rk_device *dev, int fd, unsigned int events,
		rk_watch_fn fn, void *data)
{
	return rk_host_watch_add(&dev->events, rk_device_base(dev), fd, events, fn, data);
}

static struct rk_timer *host_timer_add(struct rk_device *dev, unsigned int ms, bool repeat,
		rk_timer_fn fn, void *data)
{
	return rk_host_timer_add(&dev->events, rk_device_base(dev), ms, repeat, fn, data);
}

void rk_host_release_device(struct rk_device *dev)
{
	if (rk_host_events_clear(&dev->events))
		rk_warn("%s: plugin %s left watches or timers behind; removed", dev->path,
			dev->plugin->name);
}

static int host_work_submit(struct rk_device *dev, rk_work_fn work, rk_work_fn done, void *data)
{
	char label[80];

	/* named for the log, should it hold up rekamd's stop */
	snprintf(label, sizeof(label), "device %s (plugin %s)", dev->name, dev->plugin->name);
	return rk_worker_submit_labelled(dev->devices->daemon->workers, label, work, done, data);
}

/* --- options --------------------------------------------------------------- */

static const struct rk_option *find_option(const struct rk_options *options, const char *key)
{
	for (size_t i = 0; options && i < options->n; i++)
		if (strcmp(options->items[i].key, key) == 0)
			return &options->items[i];
	return NULL;
}

static int64_t host_option_int(const struct rk_options *options, const char *key, int64_t fallback)
{
	const struct rk_option *o = find_option(options, key);

	return o && o->type == DBUS_TYPE_INT64 ? o->v.i : fallback;
}

static const char *host_option_string(const struct rk_options *options, const char *key,
		const char *fallback)
{
	const struct rk_option *o = find_option(options, key);

	return o && o->type == DBUS_TYPE_STRING ? o->v.s : fallback;
}

static bool host_option_bool(const struct rk_options *options, const char *key, bool fallback)
{
	const struct rk_option *o = find_option(options, key);

	return o && o->type == DBUS_TYPE_BOOLEAN ? o->v.b : fallback;
}

static const void *host_option_bytes(const struct rk_options *options, const char *key,
		size_t *size)
{
	const struct rk_option *o = find_option(options, key);

	if (!o || o->type != DBUS_TYPE_ARRAY)
		return NULL;
	if (size)
		*size = o->v.y.size;
	return o->v.y.data;
}

/* --- job results ----------------------------------------------------------- */

static void host_op_set_result_string(struct rk_op *op, const char *key, const char *value)
{
	struct rk_option r = { .key = (char *)key, .type = DBUS_TYPE_STRING,
		.v.s = (char *)value };

	rk_op_set_result(op, &r);
}

static void host_op_set_result_int(struct rk_op *op, const char *key, int64_t value)
{
	struct rk_option r = { .key = (char *)key, .type = DBUS_TYPE_INT64, .v.i = value };

	rk_op_set_result(op, &r);
}

static void host_op_set_result_bool(struct rk_op *op, const char *key, bool value)
{
	struct rk_option r = { .key = (char *)key, .type = DBUS_TYPE_BOOLEAN, .v.b = value };

	rk_op_set_result(op, &r);
}

static struct rk_device *host_op_device(struct rk_op *op)
{
	return op->dev;
}

const struct rk_host rk_host_table = {
	.abi_major = REKAM_PLUGIN_ABI_MAJOR,
	.abi_minor = REKAM_PLUGIN_ABI_MINOR,
	.log = host_log,
	.set_data = host_set_data,
	.get_data = host_get_data,
	.connection = host_connection,
	.config = host_config,
	.set_info = host_set_info,
	.set_health_string = host_set_health_string,
	.set_health_int = host_set_health_int,
	.set_health_double = host_set_health_double,
	.set_health_bool = host_set_health_bool,
	.gone = host_gone,
	.returned = host_returned,
	.watch_add = host_watch_add,
	.watch_set_events = rk_host_watch_set_events,
	.watch_remove = rk_host_watch_remove,
	.timer_add = host_timer_add,
	.timer_remove = rk_host_timer_remove,
	.work_submit = host_work_submit,
	.option_int = host_option_int,
	.option_string = host_option_string,
	.option_bool = host_option_bool,
	.op_progress = rk_op_progress,
	.op_add_step = rk_op_add_step,
	.op_add_artifact = rk_op_add_artifact,
	.op_complete = rk_op_complete,
	.op_device = host_op_device,
	.option_bytes = host_option_bytes,
	.op_set_result_string = host_op_set_result_string,
	.op_set_result_int = host_op_set_result_int,
	.op_set_result_bool = host_op_set_result_bool,
};
