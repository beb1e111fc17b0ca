/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * rekam - KTP-el recording station daemon
 *
 * device.h - the station's devices: each one driven by a plugin and shown on
 * D-Bus as /id/rekam/Station1/devices/<class><n> with the
 * id.rekam.Station1.Device interface (dbus/id.rekam.Station1.Device.xml).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <dbus/dbus.h>

struct rk_artifact_meta;
struct rk_daemon;
struct rk_device;
struct rk_devices;
struct rk_device_config;
struct rk_plugins;

#define RK_DEVICE_INTERFACE "id.rekam.Station1.Device"
#define RK_DEVICES_PATH "/id/rekam/Station1/devices"

/* The devices of @d, using the plugins of @plugins. NULL on allocation failure. */
struct rk_devices *rk_devices_new(struct rk_daemon *d, struct rk_plugins *plugins);

/*
 * Create the device of a [device NAME] section: find its plugin, probe,
 * put the object on the bus and start opening it. 0, -ENOENT (no such
 * plugin loaded), -ENODEV (the plugin does not take it), other -errno.
 * Problems are logged.
 */
int rk_devices_add_configured(struct rk_devices *devices, const struct rk_device_config *config);

/*
 * A USB device appeared: each loaded plugin that declares @vendor:@product
 * is asked to probe it; the first that takes it gets a device object
 * (InterfacesAdded), connection "usb:<@port>", named "usb-<@port>".
 * 0, -ENODEV when no plugin takes it (logged at debug level), -EEXIST when
 * that bus/address is already a device, other -errno.
 */
int rk_devices_usb_added(struct rk_devices *devices, uint16_t vendor, uint16_t product,
		uint8_t bus, uint8_t address, const char *port);

/* The USB device at @bus/@address went away: its operation is cancelled,
 * the plugin closes it and the object goes (InterfacesRemoved). 0 or -ENOENT. */
int rk_devices_usb_removed(struct rk_devices *devices, uint8_t bus, uint8_t address);

/* Which loaded plugin declares @vendor:@product; NULL when none (diagnostics). */
const char *rk_devices_usb_claimant(struct rk_devices *devices, uint16_t vendor,
		uint16_t product);

/*
 * Cancel and answer every operation, then close every device and remove the
 * objects (rekamd is stopping). The set stays, empty, for the done functions
 * still to run on the worker pool; then rk_devices_free().
 */
void rk_devices_stop(struct rk_devices *devices);

/* rk_devices_stop() if not done yet, and free the set. */
void rk_devices_free(struct rk_devices *devices);

/* Object paths of every device, for the manager's Devices property. */
size_t rk_devices_count(struct rk_devices *devices);
const char *rk_devices_path(struct rk_devices *devices, size_t index);

/* A bus name left the bus: release its claims. */
void rk_devices_name_lost(struct rk_devices *devices, const char *name);

/* --- operations rekamd starts itself (device-run.c) ------------------------ */

/* An option of an operation, or a result of a job. */
struct rk_option {
	char *key;
	/* DBUS_TYPE_STRING, _INT64, _DOUBLE or _BOOLEAN (numbers widened), or
	 * DBUS_TYPE_ARRAY for bytes (jobs only) */
	int type;
	union {
		char *s;
		int64_t i;
		double d;
		bool b;
		struct {
			void *data;
			size_t size;
		} y;
	} v;
};

struct rk_options {
	struct rk_option *items;
	size_t n;
};

void rk_options_clear(struct rk_options *options);
/* Add a copy of a string, a number, a boolean; or @data (taken over: freed
 * with the options) as bytes. 0 or -ENOMEM (nothing added, @data freed). */
int rk_options_add_string(struct rk_options *options, const char *key, const char *value);
int rk_options_add_int(struct rk_options *options, const char *key, int64_t value);
int rk_options_add_bool(struct rk_options *options, const char *key, bool value);
int rk_options_add_bytes(struct rk_options *options, const char *key, void *data, size_t size);
/* The option named @key, or NULL. */
const struct rk_option *rk_options_find(const struct rk_options *options, const char *key);

/* How an operation started with rk_device_run() ended. */
struct rk_device_outcome {
	int err;             /* 0 or -errno: -ECANCELED, -ETIMEDOUT, -ENODEV (absent),
	                      * -EBADMSG (a photo check refused the portrait), ... */
	const char *message; /* why it failed, for a person; "" on success */
	const struct rk_artifact_meta *artifacts; /* stored, in the order made */
	size_t n_artifacts;
	const struct rk_options *results; /* a job's results (empty for a capture) */
};

/* Called once on the loop, never from inside rk_device_run(); the outcome
 * is valid during the call only. */
typedef void (*rk_device_done_fn)(const struct rk_device_outcome *outcome, void *data);

/* The first device of class @cls ("camera", ...) that is @name, or of the
 * class at all with @name NULL; NULL when there is none. */
struct rk_device *rk_devices_find(struct rk_devices *devices, const char *cls, const char *name);
/* Its name and object path. */
const char *rk_device_name(const struct rk_device *dev);
const char *rk_device_path(const struct rk_device *dev);
/* The string value of health key @key, or NULL (printer supplies ...). */
const char *rk_device_health_string(const struct rk_device *dev, const char *key);

/*
 * Run a capture (@action NULL) or the job @action on @dev for rekamd itself
 * (the pipeline): @owner ("enrollment 12") holds the device's claim for the
 * run, so no client can start another operation meanwhile. @options are taken
 * over (cleared) whatever happens. Artifacts are stored as for a capture from
 * the bus, the portrait checked when @options has birth-year. 0 and @fn is
 * called later; or -EBUSY (claimed by a client, or busy), -ENODEV (absent),
 * -EOPNOTSUPP, -ENOMEM, with @why (@size bytes) saying so.
 */
int rk_device_run(struct rk_device *dev, const char *owner, const char *action,
		struct rk_options *options, unsigned int timeout_ms, rk_device_done_fn fn,
		void *data, char *why, size_t size);
/* rk_device_run() whose artifacts are sealed under enrollment @key_id's
 * data key @key (artifact.h: rk_artifact_key_get()); @key_id 0 is
 * rk_device_run(). */
int rk_device_run_keyed(struct rk_device *dev, const char *owner, int64_t key_id,
		const unsigned char *key, const char *action, struct rk_options *options,
		unsigned int timeout_ms, rk_device_done_fn fn, void *data, char *why, size_t size);
/* Cancel the running internal operation @owner started on @dev, if any; its
 * completion still comes (-ECANCELED). */
void rk_device_run_cancel(struct rk_device *dev, const char *owner);
