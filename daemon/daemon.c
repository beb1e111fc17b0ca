// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * rekam - KTP-el recording station daemon
 *
 * daemon.c - rekamd's life cycle (see daemon.h): start in a fixed order
 * (configuration, state directory lock, database, bus objects, bus name),
 * run one libevent loop, reload on SIGHUP, stop on SIGTERM/SIGINT, and tell
 * the service manager about each step.
 */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "daemon/audit-bus.h"
#include "daemon/audit.h"
#include "daemon/central.h"
#include "daemon/config.h"
#include "daemon/daemon.h"
#include "daemon/dbus-mainloop.h"
#include "daemon/dbus-object.h"
#include "daemon/device-private.h"
#include "daemon/device.h"
#include "daemon/enrollment.h"
#include "daemon/log.h"
#include "daemon/pipeline.h"
#include "daemon/manager.h"
#include "daemon/metrics.h"
#include "daemon/plugins.h"
#include "daemon/roles.h"
#include "daemon/sd-notify.h"
#include "daemon/store.h"
#include "daemon/usb.h"
#include "daemon/vault.h"
#include "daemon/worker.h"

#define WORKER_THREADS 2
/* How long the stop waits for a worker still inside a vendor library once its
 * operation has been cancelled and its device closed. */
#define WORKER_STOP_MS 5000
#define NAME_OWNER_MATCH \
	"type='signal',sender='" DBUS_SERVICE_DBUS "',interface='" DBUS_INTERFACE_DBUS \
	"',member='NameOwnerChanged'"

static const char *const state_names[] = {
	[RK_STATE_STARTING] = "starting",
	[RK_STATE_READY] = "ready",
	[RK_STATE_DEGRADED] = "degraded",
	[RK_STATE_STOPPING] = "stopping",
};

const char *rk_station_state_name(enum rk_station_state state)
{
	return state_names[state];
}

uint64_t rk_daemon_uptime(const struct rk_daemon *d)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (uint64_t)(now.tv_sec - d->started.tv_sec);
}

static void set_state(struct rk_daemon *d, enum rk_station_state state)
{
	if (d->state == state)
		return;
	rk_info("station state: %s -> %s", rk_station_state_name(d->state),
		rk_station_state_name(state));
	d->state = state;
	rk_manager_changed(d, "State");
}

/* Log each line of a multi-line error text at @priority. */
static void log_lines(int priority, const char *text)
{
	while (text && *text) {
		size_t len = strcspn(text, "\n");

		rk_log(priority, "%.*s", (int)len, text);
		text += len;
		text += *text == '\n';
	}
}

/* --- configuration --------------------------------------------------------- */

int rk_daemon_load_config(const char *path, struct rk_config **out, char **errors)
{
	int err;

	err = rk_config_load(path ? path : RK_CONFIG_DEFAULT_PATH, out, errors);
	if (err == -ENOENT && !path) {
		free(*errors);
		*errors = NULL;
		*out = rk_config_new_default();
		return 0;
	}
	return err;
}

static void reload_config(struct rk_daemon *d)
{
	struct rk_config *config = NULL, *old = d->config;
	char *errors = NULL;
	char old_hours[12], new_hours[12];

	rk_sd_notify("RELOADING=1\nSTATUS=Reloading configuration");
	if (rk_daemon_load_config(d->opts.config_path, &config, &errors) < 0) {
		rk_error("configuration reload failed; keeping the previous configuration:");
		log_lines(LOG_ERR, errors);
		free(d->config_error);
		d->config_error = errors;
		set_state(d, RK_STATE_DEGRADED);
		rk_sd_notify("READY=1\nSTATUS=Configuration reload failed; running with the "
			     "previous configuration");
		rk_audit_note(d, NULL, "config.reload", "failed", "the previous configuration "
			"stays in force");
		return;
	}

	rk_config_format_office_hours(old, old_hours);
	rk_config_format_office_hours(config, new_hours);
	d->config = config;
	if (strcmp(old->station_id, config->station_id) != 0) {
		rk_notice("station id changed from %s to %s", old->station_id, config->station_id);
		rk_store_meta_set(d->store, "station-id", config->station_id);
		rk_manager_changed(d, "StationId");
	}
	if (strcmp(old_hours, new_hours) != 0)
		rk_manager_changed(d, "OfficeHours");
	rk_metrics_reload(d);
	rk_config_free(old);

	free(d->config_error);
	d->config_error = NULL;
	rk_info("configuration reloaded from %s", config->path ? config->path : "built-in defaults");
	rk_audit_note(d, NULL, "config.reload", "ok", "%s",
		config->path ? config->path : "built-in defaults");
	set_state(d, RK_STATE_READY);
	rk_sd_notify("READY=1\nSTATUS=Ready");
}

/* --- state directory and database ------------------------------------------ */

static int lock_state_dir(struct rk_daemon *d)
{
	char *path;

	if (mkdir(d->state_dir, 0700) < 0 && errno != EEXIST) {
		rk_error("cannot create state directory %s: %s", d->state_dir, strerror(errno));
		return EX_CANTCREAT;
	}
	if (asprintf(&path, "%s/%s", d->state_dir, RK_LOCK_NAME) < 0)
		return EX_OSERR;
	d->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (d->lock_fd < 0) {
		rk_error("cannot open %s: %s", path, strerror(errno));
		free(path);
		return EX_CANTCREAT;
	}
	if (flock(d->lock_fd, LOCK_EX | LOCK_NB) < 0) {
		rk_error("%s is locked: another rekamd is using state directory %s", path,
			d->state_dir);
		free(path);
		return EX_UNAVAILABLE;
	}
	free(path);
	return 0;
}

static int store_exit_status(int err)
{
	switch (err) {
	case -EBADMSG:
	case -EPROTO:
		return EX_DATAERR;
	case -EIO:
		return EX_SOFTWARE;
	default:
		return EX_CANTCREAT;
	}
}

/* Count this start and remember which station the database belongs to. */
static int record_start(struct rk_daemon *d)
{
	char *known = NULL;
	int err;

	err = rk_store_begin(d->store);
	if (err < 0)
		return err;
	if (rk_store_meta_get_int(d->store, "starts", &d->starts) < 0)
		d->starts = 0;
	d->starts++;
	err = rk_store_meta_set_int(d->store, "starts", d->starts);
	if (!err && rk_store_meta_get(d->store, "station-id", &known) == -ENOENT)
		err = rk_store_meta_set(d->store, "station-id", d->config->station_id);
	else if (!err && strcmp(known, d->config->station_id) != 0) {
		rk_notice("station id changed from %s to %s", known, d->config->station_id);
		err = rk_store_meta_set(d->store, "station-id", d->config->station_id);
	}
	free(known);
	if (err < 0) {
		rk_store_rollback(d->store);
		return err;
	}
	return rk_store_commit(d->store);
}

static int open_store(struct rk_daemon *d)
{
	char *path, *error = NULL;
	bool created = false;
	int err;

	if (asprintf(&path, "%s/%s", d->state_dir, RK_DATABASE_NAME) < 0)
		return EX_OSERR;
	err = rk_store_open(path, &d->store, &created, &error);
	if (err < 0) {
		rk_error("%s", error ? error : strerror(-err));
		free(error);
		free(path);
		return store_exit_status(err);
	}
	if (created)
		rk_notice("created a new station database at %s", path);
	else
		rk_info("opened station database %s (schema version %d)", path,
			rk_store_schema_version(d->store));
	free(path);

	err = record_start(d);
	if (err < 0) {
		rk_error("cannot write to the station database: %s", strerror(-err));
		return EX_CANTCREAT;
	}
	return 0;
}

/* --- bus ------------------------------------------------------------------- */

static void stop(struct rk_daemon *d, int status)
{
	if (d->state == RK_STATE_STOPPING)
		return;
	d->exit_status = status;
	set_state(d, RK_STATE_STOPPING);
	rk_sd_notify("STOPPING=1\nSTATUS=Stopping");
	event_base_loopexit(d->base, NULL);
}

static DBusHandlerResult filter_cb(DBusConnection *conn, DBusMessage *msg, void *data)
{
	struct rk_daemon *d = data;

	if (dbus_message_is_signal(msg, DBUS_INTERFACE_DBUS, "NameOwnerChanged") &&
			dbus_message_has_sender(msg, DBUS_SERVICE_DBUS)) {
		const char *name, *old_owner, *new_owner;

		if (d->devices && dbus_message_get_args(msg, NULL, DBUS_TYPE_STRING, &name,
					  DBUS_TYPE_STRING, &old_owner, DBUS_TYPE_STRING,
					  &new_owner, DBUS_TYPE_INVALID) && !*new_owner)
			rk_devices_name_lost(d->devices, name);
		return DBUS_HANDLER_RESULT_NOT_YET_HANDLED;
	}
	if (dbus_message_is_signal(msg, DBUS_INTERFACE_LOCAL, "Disconnected")) {
		rk_error("the D-Bus connection was closed; stopping");
		stop(d, EX_UNAVAILABLE);
		return DBUS_HANDLER_RESULT_HANDLED;
	}
	return DBUS_HANDLER_RESULT_NOT_YET_HANDLED;
}

static int setup_bus(struct rk_daemon *d)
{
	const char *which = d->opts.session_bus ? "session" : "system";
	DBusError error;

	dbus_error_init(&error);
	d->conn = dbus_bus_get_private(d->opts.session_bus ? DBUS_BUS_SESSION : DBUS_BUS_SYSTEM,
		&error);
	if (!d->conn) {
		rk_error("cannot connect to the %s bus: %s", which, error.message);
		dbus_error_free(&error);
		return EX_UNAVAILABLE;
	}
	dbus_connection_set_exit_on_disconnect(d->conn, FALSE);
	d->loop = rk_dbus_loop_attach(d->conn, d->base);
	d->dbus = rk_dbus_new(d->conn, d->base, RK_ROOT_PATH);
	if (!d->loop || !d->dbus || !dbus_connection_add_filter(d->conn, filter_cb, d, NULL) ||
			rk_manager_register(d) < 0) {
		rk_error("cannot set up the D-Bus objects");
		return EX_SOFTWARE;
	}
	/* Every method that declares roles is checked here (docs/SECURITY.md). */
	rk_dbus_set_authorizer(d->dbus, rk_roles_check_call, d);
	/* Claims end when their client leaves the bus. */
	dbus_bus_add_match(d->conn, NAME_OWNER_MATCH, &error);
	if (dbus_error_is_set(&error)) {
		rk_error("cannot watch bus clients: %s", error.message);
		dbus_error_free(&error);
		return EX_UNAVAILABLE;
	}
	return 0;
}

static int setup_devices(struct rk_daemon *d)
{
	struct rk_plugin_filter filter = {
		.enable = d->config->plugins_enable,
		.disable = d->config->plugins_disable,
		.cmd_enable = d->opts.plugins,
		.cmd_disable = d->opts.noplugins,
	};

	d->workers = rk_worker_pool_new(d->base, WORKER_THREADS);
	d->plugins = rk_plugins_load(d->opts.plugin_dir ? d->opts.plugin_dir :
		RK_DEFAULT_PLUGIN_DIR, &filter, &rk_host_table);
	d->devices = rk_devices_new(d, d->plugins);
	if (!d->workers || !d->plugins || !d->devices)
		return EX_OSERR;
	for (size_t i = 0; i < d->config->n_devices; i++) {
		const struct rk_device_config *dc = &d->config->devices[i];

		if (!dc->enabled) {
			rk_info("device %s: disabled in the configuration", dc->name);
			continue;
		}
		/* A device that cannot be set up is logged; the station runs on. */
		rk_devices_add_configured(d->devices, dc);
	}
	/* USB devices come through the plugins that declare their ids. */
	return rk_usb_start(d) < 0 ? EX_OSERR : 0;
}

/* Objects are in place before the name appears, so a client that sees the
 * name can use them at once. */
static int request_name(struct rk_daemon *d)
{
	const char *which = d->opts.session_bus ? "session" : "system";
	DBusError error;
	int ret;

	dbus_error_init(&error);
	ret = dbus_bus_request_name(d->conn, RK_BUS_NAME, DBUS_NAME_FLAG_DO_NOT_QUEUE, &error);
	if (ret < 0) {
		rk_error("cannot own %s on the %s bus: %s", RK_BUS_NAME, which, error.message);
		dbus_error_free(&error);
		return EX_UNAVAILABLE;
	}
	if (ret != DBUS_REQUEST_NAME_REPLY_PRIMARY_OWNER) {
		rk_error("%s is already owned on the %s bus: is another rekamd running?",
			RK_BUS_NAME, which);
		return EX_UNAVAILABLE;
	}
	rk_info("owning %s on the %s bus", RK_BUS_NAME, which);
	return 0;
}

/* --- signals and watchdog -------------------------------------------------- */

static void signal_cb(evutil_socket_t sig, short what, void *data)
{
	struct rk_daemon *d = data;

	if (sig == SIGHUP) {
		rk_info("SIGHUP: reloading the configuration");
		reload_config(d);
		return;
	}
	rk_info("%s: stopping", sig == SIGTERM ? "SIGTERM" : "SIGINT");
	stop(d, EX_OK);
}

static void watchdog_cb(evutil_socket_t fd, short what, void *data)
{
	rk_sd_notify("WATCHDOG=1");
}

static int setup_events(struct rk_daemon *d)
{
	uint64_t usec = rk_sd_watchdog_usec();

	d->sigterm = evsignal_new(d->base, SIGTERM, signal_cb, d);
	d->sigint = evsignal_new(d->base, SIGINT, signal_cb, d);
	d->sighup = evsignal_new(d->base, SIGHUP, signal_cb, d);
	if (!d->sigterm || !d->sigint || !d->sighup || evsignal_add(d->sigterm, NULL) < 0 ||
			evsignal_add(d->sigint, NULL) < 0 || evsignal_add(d->sighup, NULL) < 0)
		return EX_OSERR;

	if (usec) {
		/* Ping at half the interval, as systemd recommends. */
		struct timeval tv = { .tv_sec = (time_t)(usec / 2 / 1000000),
			.tv_usec = (suseconds_t)(usec / 2 % 1000000) };

		d->watchdog = event_new(d->base, -1, EV_PERSIST, watchdog_cb, d);
		if (!d->watchdog || event_add(d->watchdog, &tv) < 0)
			return EX_OSERR;
		rk_debug("watchdog: pinging every %llu ms", (unsigned long long)(usec / 2000));
	}
	return 0;
}

/* --- run ------------------------------------------------------------------- */

/*
 * Stop the devices, then the workers. Every operation is cancelled and every
 * device closed first (the plugins' cancel() and close()), so that a worker
 * inside libsane or libgphoto2 is asked to return and the cancel or close a
 * plugin queues still runs; then the pool gets WORKER_STOP_MS to finish. A
 * worker still blocked then is named in the log and left running: what it
 * may use (the pool, the plugins' code, the database, the station key) is
 * not freed, and rekamd exits all the same. True when the workers stopped.
 */
static bool stop_devices(struct rk_daemon *d)
{
	bool stopped = true;

	rk_usb_stop(d);
	rk_devices_stop(d->devices);
	if (rk_worker_pool_drain(d->workers, WORKER_STOP_MS) < 0) {
		rk_warn("a worker is still busy %u s after the devices were closed; exiting without "
			"it", WORKER_STOP_MS / 1000);
		stopped = false; /* the pool is left to the blocked thread */
	} else {
		/* The done functions run here, with the device set still there
		 * (empty): they answer captures stored meanwhile. */
		rk_worker_pool_free(d->workers);
	}
	d->workers = NULL; /* a submit from now on gets -ESHUTDOWN */
	rk_devices_free(d->devices);
	d->devices = NULL;
	return stopped;
}

/* Free what rk_daemon_run() set up; false when a blocked worker was left
 * running (the caller then keeps the station key open too). */
static bool teardown(struct rk_daemon *d)
{
	bool workers_stopped;

	if (d->store && d->state != RK_STATE_STARTING) {
		rk_audit_note(d, NULL, "rekamd.stop", "ok", "exit status %d", d->exit_status);
		if (rk_audit_checkpoint(d->store) < 0)
			rk_error("audit: cannot record a checkpoint");
	}
	workers_stopped = stop_devices(d);
	rk_central_stop(d);
	rk_metrics_stop(d->metrics);
	if (workers_stopped)
		rk_plugins_unload(d->plugins);
	if (d->dbus)
		rk_dbus_flush(d->dbus);
	if (d->conn && dbus_connection_get_is_connected(d->conn))
		dbus_connection_flush(d->conn);
	rk_dbus_free(d->dbus);
	rk_pipeline_stop(d);
	rk_dbus_loop_detach(d->loop);
	if (d->conn) {
		dbus_connection_close(d->conn);
		dbus_connection_unref(d->conn);
	}
	if (workers_stopped)
		rk_store_close(d->store);
	if (d->lock_fd >= 0)
		close(d->lock_fd);
	for (struct event **ev = &d->sigterm; ev <= &d->watchdog; ev++)
		if (*ev)
			event_free(*ev);
	if (d->base)
		event_base_free(d->base);
	rk_config_free(d->config);
	free(d->config_error);
	free(d->state_dir);
	return workers_stopped;
}

/* The station key that seals every artifact (vault.h); made on first start. */
static int open_vault(struct rk_daemon *d)
{
	char *path;
	int err;

	if (asprintf(&path, "%s/%s", d->state_dir, RK_VAULT_KEY_FILE) < 0)
		return EX_OSERR;
	err = rk_vault_open(path);
	free(path);
	if (err == -EINVAL)
		return EX_CONFIG; /* a key file in the wrong shape: a person must look */
	return err ? EX_IOERR : 0;
}

static int start(struct rk_daemon *d)
{
	char *errors = NULL;
	int status;

	if (rk_daemon_load_config(d->opts.config_path, &d->config, &errors) < 0) {
		log_lines(LOG_ERR, errors);
		rk_error("invalid configuration; not starting");
		free(errors);
		return EX_CONFIG;
	}
	rk_info("configuration: %s; station %s",
		d->config->path ? d->config->path : "built-in defaults (no configuration file)",
		d->config->station_id);

	d->state_dir = strdup(d->opts.state_dir ? d->opts.state_dir : RK_DEFAULT_STATE_DIR);
	d->base = event_base_new();
	if (!d->state_dir || !d->base)
		return EX_OSERR;

	status = lock_state_dir(d);
	if (!status)
		status = open_vault(d);
	if (!status)
		status = open_store(d);
	if (!status)
		status = setup_events(d);
	if (!status)
		status = setup_bus(d);
	if (!status && rk_pipeline_start(d) < 0) {
		rk_error("cannot load the enrollments from the station database");
		status = EX_SOFTWARE;
	}
	if (!status)
		status = setup_devices(d);
	if (!status && rk_central_start(d) < 0)
		status = EX_OSERR;
	if (!status && rk_pipeline_upload_start(d) < 0)
		status = EX_SOFTWARE;
	if (!status)
		rk_metrics_start(d); /* optional: a failure is logged, rekamd goes on */
	if (!status)
		status = request_name(d);
	return status;
}

int rk_daemon_run(const struct rk_daemon_options *opts)
{
	struct rk_daemon d = {
		.opts = *opts,
		.state = RK_STATE_STARTING,
		.lock_fd = -1,
	};
	int status;

	clock_gettime(CLOCK_MONOTONIC, &d.started);
	signal(SIGPIPE, SIG_IGN);
	rk_info("rekamd %s starting", PACKAGE_VERSION);

	status = start(&d);
	if (status) {
		if (teardown(&d))
			rk_vault_close();
		return status;
	}

	set_state(&d, RK_STATE_READY);
	rk_sd_notifyf("READY=1\nSTATUS=Ready: station %s", d.config->station_id);
	rk_notice("ready: station %s", d.config->station_id);
	rk_audit_note(&d, NULL, "rekamd.start", "ok", "rekamd %s, station %s", PACKAGE_VERSION,
		d.config->station_id);

	event_base_dispatch(d.base);

	status = d.exit_status;
	if (teardown(&d))
		rk_vault_close();
	rk_info("stopped");
	return status;
}
