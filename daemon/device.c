// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * rekam - KTP-el recording station daemon
 *
 * device.c - device objects: creation from the configuration, the state
 * (absent, idle, busy, error), reopening while absent, claims tied to a bus
 * client, and the id.rekam.Station1.Device interface. Operations themselves
 * are in device-op.c; the host table the plugins call is in host.c.
 */
#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/config.h"
#include "daemon/daemon.h"
#include "daemon/audit-bus.h"
#include "daemon/dbus-error.h"
#include "daemon/dbus-object.h"
#include "daemon/device-private.h"
#include "daemon/device.h"
#include "daemon/log.h"
#include "daemon/manager.h"
#include "daemon/plugins.h"
#include "daemon/roles.h"

#define OPEN_TIMEOUT_MS 30000
#define SELF_TEST_TIMEOUT_MS 60000
#define CAPTURE_TIMEOUT_MS 120000
#define JOB_TIMEOUT_MS 180000

static const char *const class_names[RK_DEVICE_N_CLASSES] = {
	[RK_DEVICE_CAMERA] = "camera",
	[RK_DEVICE_IRIS] = "iris",
	[RK_DEVICE_FINGERPRINT] = "fingerprint",
	[RK_DEVICE_SIGPAD] = "sigpad",
	[RK_DEVICE_SCANNER] = "scanner",
	[RK_DEVICE_PRINTER] = "printer",
	[RK_DEVICE_CARDREADER] = "cardreader",
};

static const char *const state_names[] = {
	[RK_DEVICE_ABSENT] = "absent",
	[RK_DEVICE_IDLE] = "idle",
	[RK_DEVICE_BUSY] = "busy",
	[RK_DEVICE_ERROR] = "error",
};

const char *rk_device_class_name(enum rk_device_class cls)
{
	return class_names[cls];
}

struct event_base *rk_device_base(struct rk_device *dev)
{
	return dev->devices->daemon->base;
}

void rk_device_changed(struct rk_device *dev, const char *property)
{
	rk_dbus_property_changed(dev->devices->daemon->dbus, dev->path, RK_DEVICE_INTERFACE,
		property);
}

void rk_device_set_state(struct rk_device *dev, enum rk_device_state state)
{
	if (dev->state == state)
		return;
	rk_debug("%s: %s -> %s", dev->path, state_names[dev->state], state_names[state]);
	dev->state = state;
	rk_device_changed(dev, "State");
}

void rk_device_set_error(struct rk_device *dev, const char *message)
{
	const char *text = message ? message : "";

	if (dev->last_error && strcmp(dev->last_error, text) == 0)
		return;
	free(dev->last_error);
	dev->last_error = strdup(text);
	rk_device_changed(dev, "LastError");
}

/* --- opening and reopening ------------------------------------------------- */

static void retry_cb(evutil_socket_t fd, short what, void *data)
{
	struct rk_device *dev = data;
	struct rk_op *op;

	if (dev->op)
		return;
	if (dev->close_pending) {
		rk_device_close(dev); /* and reopen later */
		return;
	}
	if (dev->opened)
		return;
	op = rk_op_new(dev, RK_OP_OPEN, NULL, OPEN_TIMEOUT_MS);
	if (op)
		rk_op_start(op);
}

void rk_device_schedule_open(struct rk_device *dev, unsigned int ms)
{
	struct timeval tv = { .tv_sec = ms / 1000, .tv_usec = (ms % 1000) * 1000 };

	event_add(dev->retry, &tv);
}

void rk_device_close(struct rk_device *dev)
{
	dev->close_pending = false;
	if (!dev->opened)
		return;
	dev->opened = false;
	dev->plugin->ops->close(dev);
	rk_op_free_abandoned(dev);
	rk_host_release_device(dev);
	rk_device_schedule_open(dev, rk_device_next_retry(dev));
}

/* --- properties ------------------------------------------------------------ */

static bool append_string(DBusMessageIter *iter, const char *s)
{
	return dbus_message_iter_append_basic(iter, DBUS_TYPE_STRING, s ? &s : &(const char *){ "" });
}

#define STRING_GETTER(fn, expr)                                                                    \
	static bool fn(DBusMessageIter *iter, void *data)                                          \
	{                                                                                          \
		struct rk_device *dev = data;                                                      \
		return append_string(iter, expr);                                                  \
	}

STRING_GETTER(get_name, dev->name)
STRING_GETTER(get_class, class_names[dev->plugin->device_class])
STRING_GETTER(get_model, dev->model)
STRING_GETTER(get_serial, dev->serial)
STRING_GETTER(get_firmware, dev->firmware)
STRING_GETTER(get_plugin, dev->plugin->name)
STRING_GETTER(get_connection, dev->connection)
STRING_GETTER(get_state, state_names[dev->state])
STRING_GETTER(get_last_error, dev->last_error)
STRING_GETTER(get_claimed_by, dev->claimed_by)

static bool get_health(DBusMessageIter *iter, void *data)
{
	struct rk_device *dev = data;
	DBusMessageIter dict;
	bool ok = dbus_message_iter_open_container(iter, DBUS_TYPE_ARRAY, "{sv}", &dict);

	for (size_t i = 0; ok && i < dev->n_health; i++)
		ok = rk_dbus_dict_append(&dict, dev->health[i].key, dev->health[i].type,
			&dev->health[i].v);
	return ok && dbus_message_iter_close_container(iter, &dict);
}

/* --- claims ---------------------------------------------------------------- */

static bool claimed_by_caller(struct rk_device *dev, DBusMessage *msg)
{
	return dev->claimed_by && strcmp(dev->claimed_by, dbus_message_get_sender(msg)) == 0;
}

static void release(struct rk_device *dev)
{
	if (dev->op && dev->op->type != RK_OP_OPEN)
		rk_op_cancel(dev->op);
	free(dev->claimed_by);
	dev->claimed_by = NULL;
	rk_device_changed(dev, "ClaimedBy");
}

static DBusMessage *claim(DBusConnection *conn, DBusMessage *msg, void *data)
{
	struct rk_device *dev = data;

	if (claimed_by_caller(dev, msg))
		return dbus_message_new_method_return(msg);
	if (dev->claimed_by)
		return rk_dbus_error(msg, RK_DBUS_ERROR_BUSY, "%s is claimed by %s", dev->name,
			dev->claimed_by);
	dev->claimed_by = strdup(dbus_message_get_sender(msg));
	if (!dev->claimed_by)
		return NULL;
	rk_info("%s: claimed by %s", dev->path, dev->claimed_by);
	rk_audit_note(dev->devices->daemon, msg, "device.claim", "ok", "%s", dev->name);
	rk_device_changed(dev, "ClaimedBy");
	return dbus_message_new_method_return(msg);
}

static DBusMessage *not_claimed(struct rk_device *dev, DBusMessage *msg)
{
	return rk_dbus_error(msg, RK_DBUS_ERROR_NOT_CLAIMED, "Claim %s first (%s)", dev->name,
		dev->claimed_by ? "it is claimed by another client" : "it is not claimed");
}

static DBusMessage *do_release(DBusConnection *conn, DBusMessage *msg, void *data)
{
	struct rk_device *dev = data;

	if (!claimed_by_caller(dev, msg))
		return not_claimed(dev, msg);
	rk_info("%s: released by %s", dev->path, dev->claimed_by);
	rk_audit_note(dev->devices->daemon, msg, "device.release", "ok", "%s", dev->name);
	release(dev);
	return dbus_message_new_method_return(msg);
}

void rk_devices_name_lost(struct rk_devices *devices, const char *name)
{
	for (size_t i = 0; i < devices->n; i++) {
		struct rk_device *dev = devices->items[i];

		if (dev->claimed_by && strcmp(dev->claimed_by, name) == 0) {
			rk_info("%s: %s left the bus; releasing its claim", dev->path, name);
			release(dev);
		}
	}
}

/* --- operations from the bus ----------------------------------------------- */

/* May @msg start an operation now? NULL when yes, else the error reply. */
static DBusMessage *check_can_run(struct rk_device *dev, DBusMessage *msg, bool supported)
{
	if (!claimed_by_caller(dev, msg))
		return not_claimed(dev, msg);
	if (!supported)
		return rk_dbus_error(msg, RK_DBUS_ERROR_NOT_SUPPORTED,
			"%s devices have no such operation", class_names[dev->plugin->device_class]);
	if (dev->state == RK_DEVICE_ABSENT || (!dev->opened && dev->state == RK_DEVICE_ERROR))
		return rk_dbus_error(msg, RK_DBUS_ERROR_ABSENT, "%s is not connected%s%s", dev->name,
			dev->last_error && *dev->last_error ? ": " : "",
			dev->last_error ? dev->last_error : "");
	if (dev->op)
		return rk_dbus_error(msg, RK_DBUS_ERROR_BUSY, "%s is busy with another operation",
			dev->name);
	return NULL;
}

static DBusMessage *self_test(DBusConnection *conn, DBusMessage *msg, void *data)
{
	struct rk_device *dev = data;
	DBusMessage *error = check_can_run(dev, msg, dev->plugin->ops->self_test != NULL);
	struct rk_op *op;

	if (error)
		return error;
	op = rk_op_new(dev, RK_OP_SELF_TEST, msg, SELF_TEST_TIMEOUT_MS);
	if (!op)
		return rk_dbus_error(msg, RK_DBUS_ERROR_FAILED, "Out of memory");
	rk_op_start(op);
	return NULL;
}

/* The "timeout" option of @options into *@timeout_ms; NULL or the error reply. */
static DBusMessage *option_timeout(DBusMessage *msg, const struct rk_options *options,
		int64_t *timeout_ms)
{
	for (size_t i = 0; i < options->n; i++) {
		if (strcmp(options->items[i].key, "timeout") != 0)
			continue;
		if (options->items[i].type != DBUS_TYPE_INT64 || options->items[i].v.i < 1 ||
				options->items[i].v.i > 600000)
			return rk_dbus_error(msg, RK_DBUS_ERROR_INVALID_ARGUMENTS,
				"Option timeout must be a number of milliseconds from 1 to 600000");
		*timeout_ms = options->items[i].v.i;
	}
	return NULL;
}

/* Start a capture or job with @options (taken over) and @action (copied). */
static DBusMessage *start_with_options(struct rk_device *dev, DBusMessage *msg,
		enum rk_op_type type, const char *action, struct rk_options *options,
		int64_t timeout)
{
	DBusMessage *error = option_timeout(msg, options, &timeout);
	char *name = action ? strdup(action) : NULL;
	struct rk_op *op = NULL;

	if (!error && ((action && !name) || !(op = rk_op_new(dev, type, msg, (unsigned int)timeout))))
		error = rk_dbus_error(msg, RK_DBUS_ERROR_FAILED, "Out of memory");
	if (error) {
		rk_options_clear(options);
		free(name);
		return error;
	}
	op->action = name;
	op->options = *options;
	rk_op_start(op);
	return NULL;
}

static DBusMessage *capture(DBusConnection *conn, DBusMessage *msg, void *data)
{
	struct rk_device *dev = data;
	DBusMessage *error = check_can_run(dev, msg, dev->plugin->ops->capture != NULL);
	struct rk_options options = { 0 };
	DBusMessageIter iter;

	if (error)
		return error;
	dbus_message_iter_init(msg, &iter);
	error = rk_options_parse(msg, &iter, &options, false);
	if (error)
		return error;
	return start_with_options(dev, msg, RK_OP_CAPTURE, NULL, &options, CAPTURE_TIMEOUT_MS);
}

static bool valid_action(const char *action)
{
	size_t len = strlen(action);

	return len > 0 && len <= 32 &&
		strspn(action, "abcdefghijklmnopqrstuvwxyz0123456789-") == len;
}

static DBusMessage *job(DBusConnection *conn, DBusMessage *msg, void *data)
{
	struct rk_device *dev = data;
	/* a plugin of ABI 1.0 has no job member at all: never read it */
	bool supported = dev->plugin->abi_minor >= 1 && dev->plugin->ops->job;
	DBusMessage *error = check_can_run(dev, msg, supported);
	struct rk_options options = { 0 };
	DBusMessageIter iter;
	const char *action;

	if (error)
		return error;
	dbus_message_iter_init(msg, &iter);
	dbus_message_iter_get_basic(&iter, &action);
	if (!valid_action(action))
		return rk_dbus_error(msg, RK_DBUS_ERROR_INVALID_ARGUMENTS,
			"A job's action is 1 to 32 characters of a-z 0-9 -");
	dbus_message_iter_next(&iter);
	error = rk_options_parse(msg, &iter, &options, true);
	if (error)
		return error;
	return start_with_options(dev, msg, RK_OP_JOB, action, &options, JOB_TIMEOUT_MS);
}

static DBusMessage *cancel(DBusConnection *conn, DBusMessage *msg, void *data)
{
	struct rk_device *dev = data;

	if (!claimed_by_caller(dev, msg))
		return not_claimed(dev, msg);
	if (dev->op && dev->op->type != RK_OP_OPEN)
		rk_op_cancel(dev->op);
	return dbus_message_new_method_return(msg);
}

/*
 * Who may call what (docs/SECURITY.md; the supervisor may always): the
 * operator records and prints, the technician maintains (self-tests, device
 * jobs such as cleaning) but takes no captures of applicants.
 */
#define DEVICE_USERS (RK_ROLE_BIT(RK_ROLE_OPERATOR) | RK_ROLE_BIT(RK_ROLE_TECHNICIAN) | \
	RK_ROLE_BIT(RK_ROLE_SUPERVISOR))

static const struct rk_dbus_method device_methods[] = {
	{ "Claim", RK_DBUS_NO_ARGS, RK_DBUS_NO_ARGS, claim, .roles = DEVICE_USERS },
	{ "Release", RK_DBUS_NO_ARGS, RK_DBUS_NO_ARGS, do_release, .roles = DEVICE_USERS },
	{ "SelfTest", RK_DBUS_NO_ARGS, RK_DBUS_ARGS({ "passed", "b" }, { "steps", "a(sbs)" }),
		self_test, .roles = RK_ROLE_BIT(RK_ROLE_TECHNICIAN) |
			RK_ROLE_BIT(RK_ROLE_SUPERVISOR) },
	{ "Capture", RK_DBUS_ARGS({ "options", "a{sv}" }), RK_DBUS_ARGS({ "artifacts", "aa{sv}" }),
		capture, .roles = RK_ROLE_BIT(RK_ROLE_OPERATOR) | RK_ROLE_BIT(RK_ROLE_SUPERVISOR) },
	{ "Job", RK_DBUS_ARGS({ "action", "s" }, { "options", "a{sv}" }),
		RK_DBUS_ARGS({ "results", "a{sv}" }, { "artifacts", "aa{sv}" }), job,
		.roles = DEVICE_USERS },
	{ "Cancel", RK_DBUS_NO_ARGS, RK_DBUS_NO_ARGS, cancel, .roles = DEVICE_USERS },
	{}
};

static const struct rk_dbus_signal device_signals[] = {
	{ "Progress", RK_DBUS_ARGS({ "stage", "s" }, { "fraction", "d" }, { "message", "s" }) },
	{}
};

static const struct rk_dbus_property device_properties[] = {
	{ "Name", "s", get_name, .flags = RK_DBUS_PROPERTY_CONST },
	{ "Class", "s", get_class, .flags = RK_DBUS_PROPERTY_CONST },
	{ "Model", "s", get_model },
	{ "Serial", "s", get_serial },
	{ "Firmware", "s", get_firmware },
	{ "Plugin", "s", get_plugin, .flags = RK_DBUS_PROPERTY_CONST },
	{ "Connection", "s", get_connection, .flags = RK_DBUS_PROPERTY_CONST },
	{ "State", "s", get_state },
	{ "LastError", "s", get_last_error },
	{ "Health", "a{sv}", get_health },
	{ "ClaimedBy", "s", get_claimed_by },
	{}
};

static const struct rk_dbus_interface device_interface = {
	.name = RK_DEVICE_INTERFACE,
	.methods = device_methods,
	.signals = device_signals,
	.properties = device_properties,
};

/* --- creation and removal -------------------------------------------------- */

static void device_free(struct rk_device *dev)
{
	if (dev->op)
		rk_op_abort(dev->op);
	/* Always: a plugin may keep state for a device it could not open. */
	dev->plugin->ops->close(dev);
	rk_op_free_abandoned(dev);
	rk_host_release_device(dev);
	if (dev->retry)
		event_free(dev->retry);
	for (size_t i = 0; i < dev->n_health; i++) {
		free(dev->health[i].key);
		if (dev->health[i].type == DBUS_TYPE_STRING)
			free(dev->health[i].v.s);
	}
	for (char **c = dev->config; c && *c; c++)
		free(*c);
	free(dev->config);
	free(dev->health);
	free(dev->path);
	free(dev->name);
	free(dev->connection);
	free(dev->model);
	free(dev->serial);
	free(dev->firmware);
	free(dev->last_error);
	free(dev->claimed_by);
	free(dev);
}

static char **copy_options(const struct rk_device_config *config)
{
	char **out = calloc(2 * config->n_options + 1, sizeof(*out));

	for (size_t i = 0; out && i < config->n_options; i++) {
		out[2 * i] = strdup(config->options[i].key);
		out[2 * i + 1] = strdup(config->options[i].value);
	}
	return out;
}

/* Make the device object for @plugin and start opening it. */
static int add_device(struct rk_devices *devices, const struct rk_plugin *plugin,
		const char *name, const char *connection, const struct rk_device_config *config,
		struct rk_device **out)
{
	struct rk_device *dev, **items;
	int err;

	dev = calloc(1, sizeof(*dev));
	items = realloc(devices->items, (devices->n + 1) * sizeof(*items));
	if (!dev || !items) {
		free(dev);
		return -ENOMEM;
	}
	devices->items = items;
	dev->devices = devices;
	dev->plugin = plugin;
	dev->state = RK_DEVICE_ABSENT;
	dev->name = strdup(name);
	dev->connection = connection ? strdup(connection) : NULL;
	dev->config = config ? copy_options(config) : calloc(1, sizeof(char *));
	dev->retry = evtimer_new(devices->daemon->base, retry_cb, dev);
	if (asprintf(&dev->path, "%s/%s%u", RK_DEVICES_PATH, class_names[plugin->device_class],
			    devices->next_index[plugin->device_class]) < 0)
		dev->path = NULL;
	if (!dev->name || !dev->config || !dev->retry || !dev->path ||
			(connection && !dev->connection)) {
		device_free(dev);
		return -ENOMEM;
	}
	err = rk_dbus_register(devices->daemon->dbus, dev->path, &device_interface, dev);
	if (err < 0) {
		device_free(dev);
		return err;
	}
	devices->next_index[plugin->device_class]++;
	devices->items[devices->n++] = dev;
	rk_manager_changed(devices->daemon, "Devices");
	rk_info("device %s: %s via plugin %s at %s", name, dev->path, plugin->name,
		connection ? connection : "(no connection)");
	dev->retry_ms = RK_RETRY_FIRST_MS;
	rk_device_schedule_open(dev, 0);
	if (out)
		*out = dev;
	return 0;
}

int rk_devices_add_configured(struct rk_devices *devices, const struct rk_device_config *config)
{
	const struct rk_plugin *plugin = rk_plugins_find(devices->plugins, config->plugin);
	struct rk_probe_info info = { .name = config->name, .connection = config->connection };
	int err;

	if (!plugin) {
		rk_error("device %s: plugin %s is not loaded", config->name, config->plugin);
		return -ENOENT;
	}
	err = plugin->ops->probe(&rk_host_table, &info);
	if (err < 0) {
		rk_error("device %s: plugin %s cannot take it: %s (connection %s)", config->name,
			plugin->name, err == -ENODEV ? "not its kind of device" : strerror(-err),
			config->connection ? config->connection : "none");
		return err;
	}
	return add_device(devices, plugin, config->name, config->connection, config, NULL);
}

static bool declares(const struct rk_plugin *plugin, uint16_t vendor, uint16_t product)
{
	for (const struct rk_usb_id *id = plugin->usb_ids; id && (id->vendor || id->product); id++)
		if (id->vendor == vendor && id->product == product)
			return true;
	return false;
}

const char *rk_devices_usb_claimant(struct rk_devices *devices, uint16_t vendor,
		uint16_t product)
{
	for (size_t i = 0; i < rk_plugins_count(devices->plugins); i++) {
		const struct rk_plugin *plugin = rk_plugins_get(devices->plugins, i);

		if (declares(plugin, vendor, product))
			return plugin->name;
	}
	return NULL;
}

static struct rk_device *find_usb(struct rk_devices *devices, uint8_t bus, uint8_t address)
{
	for (size_t i = 0; i < devices->n; i++) {
		struct rk_device *dev = devices->items[i];

		if (dev->usb && dev->usb_bus == bus && dev->usb_address == address)
			return dev;
	}
	return NULL;
}

int rk_devices_usb_added(struct rk_devices *devices, uint16_t vendor, uint16_t product,
		uint8_t bus, uint8_t address, const char *port)
{
	struct rk_probe_info info = {
		.usb_vendor = vendor,
		.usb_product = product,
		.usb_bus = bus,
		.usb_address = address,
	};
	char connection[64], name[64];
	struct rk_device *dev;

	if (find_usb(devices, bus, address))
		return -EEXIST;
	snprintf(connection, sizeof(connection), "usb:%s", port);
	snprintf(name, sizeof(name), "usb-%s", port);
	info.connection = connection;
	for (size_t i = 0; i < rk_plugins_count(devices->plugins); i++) {
		const struct rk_plugin *plugin = rk_plugins_get(devices->plugins, i);
		int err;

		if (!declares(plugin, vendor, product))
			continue;
		err = plugin->ops->probe(&rk_host_table, &info);
		if (err == -ENODEV)
			continue;
		if (err < 0) {
			rk_warn("USB %04x:%04x at %s: plugin %s cannot use it: %s", vendor, product,
				port, plugin->name, strerror(-err));
			continue;
		}
		err = add_device(devices, plugin, name, connection, NULL, &dev);
		if (err < 0)
			return err;
		dev->usb = true;
		dev->usb_vendor = vendor;
		dev->usb_product = product;
		dev->usb_bus = bus;
		dev->usb_address = address;
		return 0;
	}
	rk_debug("USB %04x:%04x at %s: no plugin takes it", vendor, product, port);
	return -ENODEV;
}

int rk_devices_usb_removed(struct rk_devices *devices, uint8_t bus, uint8_t address)
{
	struct rk_device *dev = find_usb(devices, bus, address);

	if (!dev)
		return -ENOENT;
	rk_info("%s: unplugged (USB %03u/%03u)", dev->path, bus, address);
	for (size_t i = 0; i < devices->n; i++) {
		if (devices->items[i] == dev) {
			memmove(&devices->items[i], &devices->items[i + 1],
				(devices->n - i - 1) * sizeof(*devices->items));
			devices->n--;
			break;
		}
	}
	rk_dbus_unregister_all(devices->daemon->dbus, dev->path);
	device_free(dev);
	rk_manager_changed(devices->daemon, "Devices");
	return 0;
}

struct rk_devices *rk_devices_new(struct rk_daemon *d, struct rk_plugins *plugins)
{
	struct rk_devices *devices = calloc(1, sizeof(*devices));

	if (devices) {
		devices->daemon = d;
		devices->plugins = plugins;
	}
	return devices;
}

void rk_devices_stop(struct rk_devices *devices)
{
	if (!devices)
		return;
	/* rekamd is stopping (or did not start). Every operation is cancelled
	 * and answered before any device is closed or leaves the bus: a plugin's
	 * cancel may need a worker that another device's close would otherwise
	 * take first and hold (SANE's close waits for the scan that only the
	 * cancel ends). */
	for (size_t i = 0; i < devices->n; i++) {
		struct rk_device *dev = devices->items[i];

		if (!dev->op)
			continue;
		if (dev->op->type == RK_OP_OPEN)
			rk_info("%s: opening it is cancelled: rekamd is stopping", dev->path);
		else
			rk_notice("%s: its %s is cancelled: rekamd is stopping", dev->path,
				dev->op->type == RK_OP_CAPTURE ? "capture" :
				dev->op->type == RK_OP_SELF_TEST ? "self-test" : "job");
		rk_op_abort(dev->op);
	}
	while (devices->n > 0) {
		struct rk_device *dev = devices->items[--devices->n];

		rk_dbus_unregister_all(devices->daemon->dbus, dev->path);
		device_free(dev);
	}
}

void rk_devices_free(struct rk_devices *devices)
{
	if (!devices)
		return;
	rk_devices_stop(devices);
	/* after the workers: the runs' stored captures have been told by now */
	rk_run_free_deferred(devices);
	free(devices->items);
	free(devices);
}

size_t rk_devices_count(struct rk_devices *devices)
{
	return devices ? devices->n : 0;
}

const char *rk_devices_path(struct rk_devices *devices, size_t index)
{
	return devices->items[index]->path;
}

struct rk_device *rk_devices_get(struct rk_devices *devices, size_t index)
{
	return index < devices->n ? devices->items[index] : NULL;
}

unsigned int rk_device_next_retry(struct rk_device *dev)
{
	unsigned int ms = dev->retry_ms;

	dev->retry_ms = dev->retry_ms * 2 > RK_RETRY_MAX_MS ? RK_RETRY_MAX_MS : dev->retry_ms * 2;
	return ms;
}
