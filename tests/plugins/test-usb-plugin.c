// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * rekam - test plugins
 *
 * test-usb-plugin.c - rekam-test-usb.so, a fingerprint plugin for the USB
 * discovery tests (tests/integration/test-usb-hotplug.c). It declares one
 * USB id, 1c7a:0570 (the EgisTec 0570 fingerprint sensor), takes the
 * devices rekamd finds there (connection "usb:<port>"), and opens them at
 * once without any I/O: umockdev describes the device in sysfs but has no
 * traffic to replay. The serial is the port, so tests can tell devices apart.
 */
#include <config.h>

#include <errno.h>
#include <string.h>

#include "rekam/plugin.h"

#define USB_PREFIX "usb:"

static const struct rk_host *host;

static const struct rk_usb_id usb_ids[] = {
	{ 0x1c7a, 0x0570 },
	{ 0, 0 },
};

static int probe(const struct rk_host *h, const struct rk_probe_info *info)
{
	if (!info->connection || strncmp(info->connection, USB_PREFIX, strlen(USB_PREFIX)) != 0)
		return -ENODEV;
	return 0;
}

static int usb_open(struct rk_device *dev, struct rk_op *op)
{
	const char *connection = host->connection(dev);

	host->set_info(dev, "Test USB Scanner", connection + strlen(USB_PREFIX), "1.0");
	host->op_complete(op, 0, NULL);
	return 0;
}

static void usb_close(struct rk_device *dev)
{
	/* Nothing is kept per device. */
}

static const struct rk_device_ops ops = {
	.probe = probe,
	.open = usb_open,
	.close = usb_close,
};

static int init(const struct rk_host *h)
{
	host = h;
	return 0;
}

REKAM_PLUGIN_DEFINE("test-usb", "test USB fingerprint scanner", "1.0", RK_DEVICE_FINGERPRINT,
	usb_ids, &ops, init, NULL);
