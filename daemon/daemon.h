/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * rekam - KTP-el recording station daemon
 *
 * daemon.h - rekamd's life cycle: configuration, state directory and
 * database, the bus connection and its objects, signals, the service
 * manager's notifications, and the station state they add up to.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sysexits.h>
#include <time.h>

#include <dbus/dbus.h>
#include <event2/event.h>

#define RK_BUS_NAME "id.rekam.Station1"
#define RK_ROOT_PATH "/id/rekam/Station1"
#define RK_MANAGER_INTERFACE "id.rekam.Station1"

#define RK_DEFAULT_STATE_DIR LOCALSTATEDIR "/lib/rekam"
#define RK_DEFAULT_PLUGIN_DIR PKGLIBDIR "/plugins"
#define RK_DATABASE_NAME "rekam.db"
#define RK_LOCK_NAME "rekamd.lock"

enum rk_station_state {
	RK_STATE_STARTING,
	RK_STATE_READY,
	RK_STATE_DEGRADED,
	RK_STATE_STOPPING,
};

struct rk_daemon_options {
	bool session_bus;
	const char *config_path; /* NULL: the default path, which may be absent */
	const char *state_dir;   /* NULL: RK_DEFAULT_STATE_DIR */
	const char *plugin_dir;  /* NULL: RK_DEFAULT_PLUGIN_DIR */
	const char *plugins;     /* --plugins: comma-separated globs, or NULL */
	const char *noplugins;   /* --noplugins: comma-separated globs, or NULL */
};

struct rk_config;
struct rk_store;
struct rk_dbus;
struct rk_dbus_loop;
struct rk_worker_pool;
struct rk_plugins;
struct rk_devices;
struct rk_usb;
struct rk_central;
struct rk_metrics;
struct rk_enrollments;

struct rk_daemon {
	struct rk_daemon_options opts;
	struct event_base *base;
	enum rk_station_state state;
	int exit_status;
	struct timespec started; /* CLOCK_MONOTONIC */

	struct rk_config *config;
	char *config_error; /* why the last reload failed, NULL if it did not */

	char *state_dir;
	int lock_fd;
	struct rk_store *store;
	int64_t starts; /* how often rekamd started on this database */

	DBusConnection *conn;
	struct rk_dbus_loop *loop;
	struct rk_dbus *dbus;

	struct rk_worker_pool *workers;
	struct rk_plugins *plugins;
	struct rk_devices *devices;
	struct rk_usb *usb; /* NULL when libusb cannot be used */
	struct rk_central *central; /* the central server link (central.h) */
	struct rk_metrics *metrics; /* Prometheus metrics (metrics.h), or NULL */
	struct rk_enrollments *enrollments; /* the pipeline (enrollment.h) */

	struct event *sigterm, *sigint, *sighup, *watchdog;
};

/* Run rekamd until it is stopped; returns the exit status (sysexits.h). */
int rk_daemon_run(const struct rk_daemon_options *opts);

/* "starting", "ready", "degraded", "stopping". */
const char *rk_station_state_name(enum rk_station_state state);

/* Load @path, or the default path (absent: built-in defaults). 0 or -errno
 * with *@errors as rk_config_load() gives them. */
int rk_daemon_load_config(const char *path, struct rk_config **out, char **errors);

/* Seconds since start. */
uint64_t rk_daemon_uptime(const struct rk_daemon *d);
