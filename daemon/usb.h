/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * rekam - KTP-el recording station daemon
 *
 * usb.h - USB discovery: a libusb context on rekamd's event loop whose
 * hotplug callbacks turn USB devices into device objects (through the
 * plugins that declare their ids, see rk_devices_usb_added()), and a table
 * of every USB device seen, for diagnostics. See docs/usb.md.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

struct rk_daemon;
struct rk_usb;

/* "BUS-P1.P2..." (sysfs style, e.g. "1-3", "2-1.4"); "usbBUS" for a root hub. */
#define RK_USB_PORT_MAX 32

/* One USB device as rekamd sees it. */
struct rk_usb_seen {
	uint16_t vendor;
	uint16_t product;
	uint8_t bus;
	uint8_t address;
	char port[RK_USB_PORT_MAX];
	const char *plugin; /* the loaded plugin that declares vendor:product, or NULL */
};

/*
 * Start USB discovery for @d (after its plugins and configured devices):
 * devices already plugged in are added before this returns, later ones as
 * they come and go. Sets d->usb. When libusb cannot be used (no USB in a
 * container, ...) one notice is logged, d->usb stays NULL and the station
 * runs without USB: 0. -ENOMEM otherwise.
 */
int rk_usb_start(struct rk_daemon *d);

/* Stop discovery and free everything (before the devices are freed). The
 * device objects stay: rk_devices_free() removes them. NULL-safe. */
void rk_usb_stop(struct rk_daemon *d);

/*
 * Every USB device seen now, in order of arrival, with the plugin that claims
 * it: *@out is a malloc'd array of *@n entries (free() it; NULL when none).
 * @usb may be NULL (USB is off): no devices. 0 or -ENOMEM.
 */
int rk_usb_list(struct rk_usb *usb, struct rk_usb_seen **out, size_t *n);
