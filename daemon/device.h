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

struct rk_daemon;
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
