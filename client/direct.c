// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * rekam - KTP-el recording station daemon
 *
 * direct.c - "rekamctl diag --direct": when rekamd is not running, rekamctl
 * itself is the plugin host (as fwupdtool is beside fwupdmgr), so that a
 * technician can tell a device fault from a daemon fault. It reads
 * rekamd.conf, loads the plugins with rekamd's own loader (daemon/plugins.c)
 * and gives them a small struct rk_host of its own: logging, an event loop
 * (libevent) with rekamd's watches and timers (daemon/host-events.c),
 * rekamd's worker pool, identity, health and self-test steps.
 * Each configured device is probed, opened, self-tested and closed in turn;
 * cmd-diag.c prints the same report as through rekamd. It refuses while
 * rekamd owns its bus name: the devices are rekamd's then.
 */
#include <config.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "client/commands.h"
#include "daemon/config.h"
#include "daemon/host-events.h"
#include "daemon/log.h"
#include "daemon/plugins.h"
#include "daemon/worker.h"
#include "rekam/plugin.h"

#define OPEN_WAIT_S 30
#define SELF_TEST_WAIT_S 75
#define CANCEL_WAIT_S 5

static const char *const class_names[RK_DEVICE_N_CLASSES] = {
	"camera", "iris", "fingerprint", "sigpad", "scanner", "printer", "cardreader",
};

struct direct {
	struct event_base *base;
	struct rk_worker_pool *workers;
};

/* What the plugin ABI leaves to the host (include/rekam/plugin.h). */
struct rk_device {
	struct direct *host;
	const struct rk_plugin *plugin;
	const struct rk_device_config *config;
	void *data;
	char *model, *serial, *firmware;
	json_t *health;
	bool gone;
	char gone_reason[256];
	struct rk_host_events events; /* the plugin's watches and timers */
};

struct rk_op {
	struct rk_device *dev;
	bool done;
	int err;
	char message[512];
	json_t *steps;
};

/* --- the host table ---------------------------------------------------------- */

__attribute__((format(printf, 3, 4))) static void host_log(struct rk_device *dev, int priority,
		const char *fmt, ...)
{
	char text[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	rk_log(priority, "%s (%s): %s", dev ? dev->config->name : "plugin",
		dev ? dev->plugin->name : "-", text);
}

static void host_set_data(struct rk_device *dev, void *data)
{
	dev->data = data;
}

static void *host_get_data(struct rk_device *dev)
{
	return dev->data;
}

static const char *host_connection(struct rk_device *dev)
{
	return dev->config->connection;
}

static const char *host_config(struct rk_device *dev, const char *key)
{
	for (size_t i = 0; i < dev->config->n_options; i++)
		if (strcmp(dev->config->options[i].key, key) == 0)
			return dev->config->options[i].value;
	return NULL;
}

static void replace(char **field, const char *value)
{
	free(*field);
	*field = value ? strdup(value) : NULL;
}

static void host_set_info(struct rk_device *dev, const char *model, const char *serial,
		const char *firmware)
{
	replace(&dev->model, model);
	replace(&dev->serial, serial);
	replace(&dev->firmware, firmware);
}

static void host_set_health_string(struct rk_device *dev, const char *key, const char *value)
{
	json_object_set_new(dev->health, key, json_string(value ? value : ""));
}

static void host_set_health_int(struct rk_device *dev, const char *key, int64_t value)
{
	json_object_set_new(dev->health, key, json_integer(value));
}

static void host_set_health_double(struct rk_device *dev, const char *key, double value)
{
	json_object_set_new(dev->health, key, json_real(value));
}

static void host_set_health_bool(struct rk_device *dev, const char *key, bool value)
{
	json_object_set_new(dev->health, key, json_boolean(value));
}

static void host_gone(struct rk_device *dev, const char *reason)
{
	dev->gone = true;
	snprintf(dev->gone_reason, sizeof(dev->gone_reason), "%s", reason ? reason : "gone");
}

static void host_returned(struct rk_device *dev)
{
	dev->gone = false;
}

static struct rk_watch *host_watch_add(struct rk_device *dev, int fd, unsigned int events,
		rk_watch_fn fn, void *data)
{
	return rk_host_watch_add(&dev->events, dev->host->base, fd, events, fn, data);
}

static struct rk_timer *host_timer_add(struct rk_device *dev, unsigned int ms, bool repeat,
		rk_timer_fn fn, void *data)
{
	return rk_host_timer_add(&dev->events, dev->host->base, ms, repeat, fn, data);
}

static int host_work_submit(struct rk_device *dev, rk_work_fn work, rk_work_fn done, void *data)
{
	return rk_worker_submit(dev->host->workers, work, done, data);
}

/* A self-test takes no options: every lookup gives the fallback. */
static int64_t host_option_int(const struct rk_options *options, const char *key,
		int64_t fallback)
{
	return fallback;
}

static const char *host_option_string(const struct rk_options *options, const char *key,
		const char *fallback)
{
	return fallback;
}

static bool host_option_bool(const struct rk_options *options, const char *key, bool fallback)
{
	return fallback;
}

static const void *host_option_bytes(const struct rk_options *options, const char *key,
		size_t *size)
{
	*size = 0;
	return NULL;
}

static void host_op_progress(struct rk_op *op, const char *stage, double fraction,
		const char *message)
{
}

static void host_op_add_step(struct rk_op *op, const char *name, bool passed, const char *detail)
{
	json_array_append_new(op->steps, json_pack("{s:s, s:b, s:s}", "name", name ? name : "",
		"passed", (int)passed, "detail", detail ? detail : ""));
}

static int host_op_add_artifact(struct rk_op *op, const struct rk_artifact *artifact)
{
	return 0; /* a self-test keeps nothing */
}

static void host_op_complete(struct rk_op *op, int err, const char *message)
{
	op->done = true;
	op->err = err;
	snprintf(op->message, sizeof(op->message), "%s", message && *message ? message :
		err ? strerror(-err) : "");
}

static struct rk_device *host_op_device(struct rk_op *op)
{
	return op->dev;
}

static void host_op_set_result_string(struct rk_op *op, const char *key, const char *value)
{
}

static void host_op_set_result_int(struct rk_op *op, const char *key, int64_t value)
{
}

static void host_op_set_result_bool(struct rk_op *op, const char *key, bool value)
{
}

static const struct rk_host host_table = {
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
	.op_progress = host_op_progress,
	.op_add_step = host_op_add_step,
	.op_add_artifact = host_op_add_artifact,
	.op_complete = host_op_complete,
	.op_device = host_op_device,
	.option_bytes = host_option_bytes,
	.op_set_result_string = host_op_set_result_string,
	.op_set_result_int = host_op_set_result_int,
	.op_set_result_bool = host_op_set_result_bool,
};

/* --- running one device ------------------------------------------------------- */

static void expired(evutil_socket_t fd, short what, void *data)
{
	*(bool *)data = true;
}

/* Run the event loop until @op completes or @seconds pass. */
static void wait_op(struct direct *h, struct rk_op *op, int seconds)
{
	bool late = false;
	struct timeval tv = { .tv_sec = seconds };
	struct event *timer = evtimer_new(h->base, expired, &late);

	if (!timer)
		return;
	evtimer_add(timer, &tv);
	while (!op->done && !late)
		event_base_loop(h->base, EVLOOP_ONCE);
	event_free(timer);
}

/* Start @op with @start (open or self_test); 0 once it completed (see
 * op->err), -ETIMEDOUT when it did not in time even after a cancel. */
static int run_op(struct rk_device *dev, struct rk_op *op,
		int (*start)(struct rk_device *, struct rk_op *), int seconds)
{
	int err = start(dev, op);

	if (err < 0 && !op->done)
		host_op_complete(op, err, NULL);
	wait_op(dev->host, op, seconds);
	if (op->done)
		return 0;
	if (dev->plugin->ops->cancel) {
		dev->plugin->ops->cancel(dev, op);
		wait_op(dev->host, op, CANCEL_WAIT_S);
	}
	return op->done ? 0 : -ETIMEDOUT;
}

static const char *or_empty(const char *s)
{
	return s ? s : "";
}

/* The device's properties as rekamd would show them. */
static json_t *properties(struct rk_device *dev, const char *state, const char *last_error)
{
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:O}",
		"Name", dev->config->name, "Class", class_names[dev->plugin->device_class],
		"Plugin", dev->plugin->name, "Connection", or_empty(dev->config->connection),
		"Model", or_empty(dev->model), "Serial", or_empty(dev->serial),
		"Firmware", or_empty(dev->firmware), "State", state, "LastError", last_error,
		"Health", dev->health);
}

static json_t *test_one(struct direct *h, const struct rk_plugin *plugin,
		const struct rk_device_config *config, unsigned int index, size_t i, size_t n)
{
	struct rk_device dev = { .host = h, .plugin = plugin, .config = config,
		.health = json_object() };
	struct rk_op open_op = { .dev = &dev }, test = { .dev = &dev, .steps = json_array() };
	struct rk_probe_info info = { .name = config->name, .connection = config->connection };
	const char *result, *state = "absent";
	json_t *out;
	char path[128], error[600] = "";
	int err;

	snprintf(path, sizeof(path), "/id/rekam/Station1/devices/%s%u",
		class_names[plugin->device_class], index);
	fprintf(stderr, "[%zu/%zu] %s (%s): ", i + 1, n, path + strlen(REKAM_DEVICES_PATH),
		plugin->name);
	err = plugin->ops->probe(&host_table, &info);
	if (err < 0) {
		snprintf(error, sizeof(error), "plugin %s cannot take it: %s (connection %s)",
			plugin->name, err == -ENODEV ? "not its kind of device" : strerror(-err),
			config->connection ? config->connection : "none");
		fprintf(stderr, "not taken by its plugin\n");
		result = "error";
	} else if ((err = run_op(&dev, &open_op, plugin->ops->open, OPEN_WAIT_S)) < 0 ||
			open_op.err) {
		snprintf(error, sizeof(error), "%s", err ? "the device did not answer the open in time" :
			open_op.message);
		fprintf(stderr, "absent, not tested\n");
		result = "absent";
	} else if (!plugin->ops->self_test) {
		state = "idle";
		snprintf(error, sizeof(error), "the plugin has no self-test");
		fprintf(stderr, "no self-test\n");
		result = "error";
	} else {
		fprintf(stderr, "self-test...\n");
		state = "idle";
		err = run_op(&dev, &test, plugin->ops->self_test, SELF_TEST_WAIT_S);
		/* as rekamd: an error ends the test; else it passed when every step did */
		if (err)
			snprintf(error, sizeof(error), "the self-test did not finish in time");
		else if (test.err)
			snprintf(error, sizeof(error), "%s", test.message);
		result = err || test.err ? "error" : json_array_size(test.steps) ? "passed" : "failed";
		for (size_t k = 0; !strcmp(result, "passed") && k < json_array_size(test.steps); k++)
			if (!json_is_true(json_object_get(json_array_get(test.steps, k), "passed")))
				result = "failed";
		if (dev.gone)
			state = "absent";
		fprintf(stderr, "[%zu/%zu] %s: %s\n", i + 1, n, path + strlen(REKAM_DEVICES_PATH),
			!strcmp(result, "passed") ? "PASS" : !strcmp(result, "failed") ? "FAIL" :
			"ERROR");
	}
	plugin->ops->close(&dev);
	rk_host_events_clear(&dev.events); /* whatever the plugin left behind after close() */
	out = json_pack("{s:s, s:o, s:s}", "path", path, "properties",
		properties(&dev, state, !strcmp(result, "passed") ? "" : error), "result", result);
	if (out && json_array_size(test.steps))
		json_object_set(out, "steps", test.steps);
	if (out && *error && strcmp(result, "passed") && strcmp(result, "failed"))
		json_object_set_new(out, "error", json_string(error));
	json_decref(test.steps);
	json_decref(dev.health);
	free(dev.model);
	free(dev.serial);
	free(dev.firmware);
	return out;
}

/* --- the command ------------------------------------------------------------------ */

/* -EBUSY when rekamd owns its name on the bus rekamctl would talk to. */
static int check_rekamd_absent(struct ctl *ctl)
{
	DBusError error;
	DBusConnection *conn = NULL;
	bool owned;

	dbus_error_init(&error);
	if (ctl->bus.kind == CTL_BUS_ADDRESS) {
		conn = dbus_connection_open_private(ctl->bus.address, &error);
		if (conn && !dbus_bus_register(conn, &error)) {
			dbus_connection_close(conn);
			dbus_connection_unref(conn);
			conn = NULL;
		}
	} else {
		conn = dbus_bus_get_private(ctl->bus.kind == CTL_BUS_SYSTEM ? DBUS_BUS_SYSTEM :
			DBUS_BUS_SESSION, &error);
	}
	dbus_error_free(&error);
	if (!conn)
		return 0; /* no bus: no rekamd on it */
	dbus_connection_set_exit_on_disconnect(conn, FALSE);
	owned = dbus_bus_name_has_owner(conn, REKAM_BUS_NAME, NULL);
	dbus_connection_close(conn);
	dbus_connection_unref(conn);
	if (owned) {
		ctl_err("rekamd is running (it owns %s) and holds the devices: run 'rekamctl diag' "
			"without --direct, or stop rekamd first", REKAM_BUS_NAME);
		return -EBUSY;
	}
	return 0;
}

int ctl_direct_diag(struct ctl *ctl, const char *only, json_t **station, json_t **checks,
		json_t **devices)
{
	const char *config_path = ctl->config_path ? ctl->config_path : CTL_DIRECT_CONFIG;
	const char *dir = ctl->plugin_dir ? ctl->plugin_dir : CTL_DIRECT_PLUGIN_DIR;
	struct direct h = { 0 };
	struct rk_config *config = NULL;
	struct rk_plugins *plugins = NULL;
	unsigned int index[RK_DEVICE_N_CLASSES] = { 0 };
	size_t n = 0, done = 0;
	char *errors = NULL;
	int err;

	err = check_rekamd_absent(ctl);
	if (err)
		return err;
	rk_log_set_ident("rekamctl");
	rk_log_set_level(LOG_WARNING);
	err = rk_config_load(config_path, &config, &errors);
	if (err) {
		ctl_err("cannot use %s: %s", config_path, errors ? errors : strerror(-err));
		free(errors);
		return -EINVAL;
	}
	free(errors);
	h.base = event_base_new();
	h.workers = h.base ? rk_worker_pool_new(h.base, 2) : NULL;
	if (h.workers) {
		struct rk_plugin_filter filter = { .enable = config->plugins_enable,
			.disable = config->plugins_disable };

		plugins = rk_plugins_load(dir, &filter, &host_table);
	}
	*devices = json_array();
	if (!plugins || !*devices) {
		err = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < config->n_devices; i++)
		n += config->devices[i].enabled && (!only || !strcmp(only, config->devices[i].name));
	for (size_t i = 0; i < config->n_devices; i++) {
		const struct rk_device_config *dc = &config->devices[i];
		const struct rk_plugin *plugin = rk_plugins_find(plugins, dc->plugin);
		char name[48];
		bool wanted;

		if (!dc->enabled)
			continue;
		if (!plugin) {
			ctl_err("device %s: plugin %s is not loaded (plugin directory %s)", dc->name,
				dc->plugin, dir);
			n -= !only || !strcmp(only, dc->name);
			continue;
		}
		snprintf(name, sizeof(name), "%s%u", class_names[plugin->device_class],
			index[plugin->device_class]++);
		wanted = !only || !strcmp(only, dc->name) || !strcmp(only, name);
		if (wanted)
			json_array_append_new(*devices, test_one(&h, plugin, dc,
				index[plugin->device_class] - 1, done++, n));
	}
	if (only && !json_array_size(*devices)) {
		ctl_err("no device %s in %s", only, config_path);
		err = -EREMOTEIO;
		goto out;
	}
	*station = json_pack("{s:s, s:s, s:s}", "StationId", config->station_id, "State", "direct",
		"Version", PACKAGE_VERSION);
	*checks = json_pack("[{s:s, s:s, s:s}]", "name", "rekamd", "status", "warning", "detail",
		"not running: rekamctl --direct loaded the plugins and tested the devices itself; "
		"the station checks need rekamd");
	err = *station && *checks ? 0 : -ENOMEM;
out:
	if (err) {
		json_decref(*devices);
		*devices = NULL;
	}
	rk_plugins_unload(plugins);
	if (h.workers)
		rk_worker_pool_free(h.workers);
	if (h.base)
		event_base_free(h.base);
	rk_config_free(config);
	return err;
}
