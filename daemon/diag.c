// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * rekam - KTP-el recording station daemon
 *
 * diag.c - the station's own health for a technician (rekamctl diag): the
 * manager's Diagnose method checks the clock, the disk under the state
 * directory, the database's integrity, the audit trail, the station key,
 * pcscd and the plugins and devices, and lists every USB device rekamd sees
 * with the plugin that claims it. Device self-tests are run by the client,
 * device by device, through the Device interface.
 */
#include <config.h>

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/statvfs.h>
#include <sys/timex.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "daemon/audit.h"
#include "daemon/central.h"
#include "daemon/daemon.h"
#include "daemon/dbus-error.h"
#include "daemon/device-private.h"
#include "daemon/device.h"
#include "daemon/diag.h"
#include "daemon/plugins.h"
#include "daemon/store.h"
#include "daemon/usb.h"

#define DISK_WARN_BYTES ((uint64_t)1 << 30)  /* 1 GiB */
#define DISK_FAIL_BYTES ((uint64_t)100 << 20) /* 100 MiB */
#define PCSCD_SOCKET "/run/pcscd/pcscd.comm"

struct checks {
	DBusMessageIter array;
	bool ok;
};

static void add(struct checks *c, const char *name, const char *status, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void add(struct checks *c, const char *name, const char *status, const char *fmt, ...)
{
	DBusMessageIter entry;
	char detail[512];
	const char *d = detail;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	if (!dbus_validate_utf8(detail, NULL))
		d = "(not UTF-8)";
	c->ok = c->ok && dbus_message_iter_open_container(&c->array, DBUS_TYPE_STRUCT, NULL,
				 &entry) &&
		dbus_message_iter_append_basic(&entry, DBUS_TYPE_STRING, &name) &&
		dbus_message_iter_append_basic(&entry, DBUS_TYPE_STRING, &status) &&
		dbus_message_iter_append_basic(&entry, DBUS_TYPE_STRING, &d) &&
		dbus_message_iter_close_container(&c->array, &entry);
}

static void check_clock(struct checks *c)
{
	struct timex tx = { 0 };
	char stamp[40];
	time_t now = time(NULL);
	int state = adjtimex(&tx);

	strftime(stamp, sizeof(stamp), "%Y-%m-%d %H:%M:%S UTC", gmtime(&now));
	if (state == TIME_ERROR || (tx.status & STA_UNSYNC))
		add(c, "clock", "warning", "%s, not synchronized (NTP): the SOP timestamps are only "
			"as right as this clock", stamp);
	else
		add(c, "clock", "ok", "%s, synchronized (estimated error %ld us)", stamp, tx.esterror);
}

static void check_disk(struct checks *c, const char *dir)
{
	struct statvfs st;
	uint64_t free_bytes;

	if (statvfs(dir, &st) < 0) {
		add(c, "disk", "failed", "cannot read the file system of %s: %s", dir, strerror(errno));
		return;
	}
	free_bytes = (uint64_t)st.f_bavail * st.f_frsize;
	add(c, "disk", free_bytes < DISK_FAIL_BYTES ? "failed" :
			free_bytes < DISK_WARN_BYTES ? "warning" : "ok",
		"%" PRIu64 " MiB free of %" PRIu64 " MiB under %s", free_bytes >> 20,
		((uint64_t)st.f_blocks * st.f_frsize) >> 20, dir);
}

static void check_database(struct checks *c, struct rk_store *store)
{
	char *report = NULL;
	int err = rk_store_integrity_check(store, &report);

	if (err == 0)
		add(c, "database", "ok", "%s passes PRAGMA integrity_check (schema version %d)",
			rk_store_path(store), rk_store_schema_version(store));
	else
		add(c, "database", "failed", "%s fails PRAGMA integrity_check: %.300s",
			rk_store_path(store), report ? report : strerror(-err));
	free(report);
}

static void check_audit(struct checks *c, struct rk_store *store)
{
	struct rk_audit_report r;
	int err = rk_audit_verify(store, &r);

	if (err)
		add(c, "audit", "failed", "the audit trail cannot be read: %s", strerror(-err));
	else if (!r.ok)
		add(c, "audit", "failed", "broken at entry %" PRIu64 ": %s", r.first_bad, r.reason);
	else
		add(c, "audit", "ok", "%" PRIu64 " entries and %" PRIu64 " checkpoints verify",
			r.entries, r.checkpoints);
}

/* pcscd answers on its socket (the card reader's way to the chip). */
static void check_pcscd(struct checks *c)
{
	const char *path = getenv("PCSCLITE_CSOCK_NAME");
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	int fd;

	if (!path || !*path)
		path = PCSCD_SOCKET;
	snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd >= 0 && connect(fd, (struct sockaddr *)&addr, sizeof(addr)) == 0)
		add(c, "pcscd", "ok", "answers on %s", path);
	else
		add(c, "pcscd", "warning", "nothing answers on %s: card readers cannot work (%s)",
			path, strerror(errno));
	if (fd >= 0)
		close(fd);
}

static void check_devices(struct checks *c, struct rk_daemon *d)
{
	size_t n = d->devices ? rk_devices_count(d->devices) : 0, counts[4] = { 0 };

	for (size_t i = 0; i < n; i++) {
		struct rk_device *dev = rk_devices_get(d->devices, i);

		if (dev && (unsigned int)dev->state < 4)
			counts[dev->state]++;
	}
	add(c, "plugins", d->plugins && rk_plugins_count(d->plugins) ? "ok" : "warning",
		"%zu loaded", d->plugins ? rk_plugins_count(d->plugins) : (size_t)0);
	add(c, "devices", counts[RK_DEVICE_ABSENT] || counts[RK_DEVICE_ERROR] ? "warning" : "ok",
		"%zu configured or plugged: %zu idle, %zu busy, %zu absent, %zu in error", n,
		counts[RK_DEVICE_IDLE], counts[RK_DEVICE_BUSY], counts[RK_DEVICE_ABSENT],
		counts[RK_DEVICE_ERROR]);
}

/* The central server: configured? reachable at the last attempt? the queue. */
static void check_central(struct checks *c, struct rk_daemon *d)
{
	const struct rk_central *central = d->central;
	unsigned int queued;
	int64_t oldest;

	if (!central || !central->uploader) {
		add(c, "central", "warning", "no [central] url configured: nothing is uploaded");
		return;
	}
	queued = rk_central_queue_length(central);
	oldest = rk_central_oldest(central);
	if (rk_central_reachable(central))
		add(c, "central", "ok", "reachable; %u packet%s waiting", queued,
			queued == 1 ? "" : "s");
	else {
		char since[64] = "";

		if (oldest)
			snprintf(since, sizeof(since), ", the oldest since %" PRId64 " (Unix time)",
				oldest);
		add(c, "central", queued ? "failed" : "warning",
			"not reachable at the last attempt; %u packet%s waiting%s", queued,
			queued == 1 ? "" : "s", since);
	}
}

static bool append_usb(DBusMessageIter *iter, struct rk_usb *usb)
{
	struct rk_usb_seen *seen = NULL;
	DBusMessageIter array, entry;
	size_t n = 0;
	bool ok;

	if (usb)
		rk_usb_list(usb, &seen, &n);
	ok = dbus_message_iter_open_container(iter, DBUS_TYPE_ARRAY, "(qqyyss)", &array);
	for (size_t i = 0; ok && i < n; i++) {
		const char *port = seen[i].port, *plugin = seen[i].plugin ? seen[i].plugin : "";

		ok = dbus_message_iter_open_container(&array, DBUS_TYPE_STRUCT, NULL, &entry) &&
			dbus_message_iter_append_basic(&entry, DBUS_TYPE_UINT16, &seen[i].vendor) &&
			dbus_message_iter_append_basic(&entry, DBUS_TYPE_UINT16, &seen[i].product) &&
			dbus_message_iter_append_basic(&entry, DBUS_TYPE_BYTE, &seen[i].bus) &&
			dbus_message_iter_append_basic(&entry, DBUS_TYPE_BYTE, &seen[i].address) &&
			dbus_message_iter_append_basic(&entry, DBUS_TYPE_STRING, &port) &&
			dbus_message_iter_append_basic(&entry, DBUS_TYPE_STRING, &plugin) &&
			dbus_message_iter_close_container(&array, &entry);
	}
	free(seen);
	return ok && dbus_message_iter_close_container(iter, &array);
}

DBusMessage *rk_diag_bus_diagnose(DBusConnection *conn, DBusMessage *msg, void *data)
{
	struct rk_daemon *d = data;
	DBusMessage *reply = dbus_message_new_method_return(msg);
	struct checks c = { .ok = true };
	DBusMessageIter iter;

	(void)conn;
	if (!reply)
		return NULL;
	dbus_message_iter_init_append(reply, &iter);
	c.ok = dbus_message_iter_open_container(&iter, DBUS_TYPE_ARRAY, "(sss)", &c.array);
	check_clock(&c);
	check_disk(&c, d->state_dir);
	check_database(&c, d->store);
	check_audit(&c, d->store);
	add(&c, "station-key", "ok", "loaded; every artifact is sealed with it");
	check_pcscd(&c);
	check_central(&c, d);
	check_devices(&c, d);
	if (c.ok && dbus_message_iter_close_container(&iter, &c.array) && append_usb(&iter, d->usb))
		return reply;
	dbus_message_unref(reply);
	return rk_dbus_error(msg, RK_DBUS_ERROR_FAILED, "Out of memory building the diagnosis");
}
