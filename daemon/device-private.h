/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * rekam - KTP-el recording station daemon
 *
 * device-private.h - what device.c (objects, states, claims, D-Bus),
 * device-op.c (operations: timeouts, cancel, replies) and host.c (the host
 * function table given to plugins) share. Nothing outside those files
 * includes it.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include <dbus/dbus.h>
#include <event2/event.h>

#include "daemon/artifact.h"
#include "daemon/device.h"
#include "daemon/host-events.h"
#include "rekam/plugin.h"

struct rk_daemon;
struct rk_plugins;
struct rk_pending_artifact; /* device-op.c */

/* Reopening an absent device: the first retry, doubling up to the last. */
#define RK_RETRY_FIRST_MS 500
#define RK_RETRY_MAX_MS 5000

enum rk_device_state {
	RK_DEVICE_ABSENT,
	RK_DEVICE_IDLE,
	RK_DEVICE_BUSY,
	RK_DEVICE_ERROR,
};

enum rk_op_type {
	RK_OP_OPEN,
	RK_OP_SELF_TEST,
	RK_OP_CAPTURE,
	RK_OP_JOB,
};

struct rk_health {
	char *key;
	int type; /* DBUS_TYPE_STRING, _INT64, _DOUBLE or _BOOLEAN */
	union {
		char *s;
		int64_t i;
		double d;
		dbus_bool_t b;
	} v;
};

struct rk_step {
	char *name;
	bool passed;
	char *detail;
};

struct rk_op {
	struct rk_device *dev;
	enum rk_op_type type;
	DBusMessage *call;      /* the method call to answer; NULL for open */
	struct rk_options options;
	struct event *timeout;
	struct event *deadline; /* after a cancel: how long the plugin gets */
	bool cancelled;         /* by a client or a release */
	bool timed_out;
	bool abandoned;         /* the host gave up on the plugin; free on completion */
	struct rk_op *next_abandoned;
	struct rk_step *steps;
	size_t n_steps;
	struct rk_pending_artifact *artifacts; /* kept when the capture succeeds */
	size_t n_artifacts;
	char *action;               /* a job's action */
	struct rk_options results;  /* a job's results (strings, integers, booleans) */
	/* started by rekamd itself (device-run.c), not from the bus: told here */
	rk_device_done_fn done;
	void *done_data;
	char *owner;                /* the claim it holds for its run, freed with it */
	int64_t key_id;             /* its artifacts' enrollment data key (0: their own) */
	unsigned char key[RK_VAULT_WRAPPED_SIZE];
};

struct rk_device {
	struct rk_devices *devices;
	const struct rk_plugin *plugin;
	char *path;
	char *name;
	char *connection;
	char **config; /* key, value, key, value, ..., NULL: plugin options */
	char *model, *serial, *firmware, *last_error;
	enum rk_device_state state;
	struct rk_health *health;
	size_t n_health;
	char *claimed_by;
	struct rk_op *op; /* the running operation, open included */
	struct rk_op *abandoned; /* given up on, still owed a completion */
	void *plugin_data;
	bool opened;      /* the plugin's open succeeded: close() is owed */
	bool close_pending; /* gone() during an operation: close after it */
	struct event *retry;
	unsigned int retry_ms;
	struct rk_host_events events; /* the plugin's watches and timers (host-events.c) */
	bool usb;              /* hotplugged: removed when unplugged */
	uint16_t usb_vendor, usb_product;
	uint8_t usb_bus, usb_address;
};

struct rk_deferred_done; /* device-run.c */

struct rk_devices {
	struct rk_daemon *daemon;
	struct rk_deferred_done *deferred; /* completions of internal runs to deliver */
	struct rk_plugins *plugins;
	struct rk_device **items;
	size_t n;
	unsigned int next_index[RK_DEVICE_N_CLASSES];
};

/* device.c */
const char *rk_device_class_name(enum rk_device_class cls);
void rk_device_set_state(struct rk_device *dev, enum rk_device_state state);
void rk_device_set_error(struct rk_device *dev, const char *message);
void rk_device_changed(struct rk_device *dev, const char *property);
void rk_device_schedule_open(struct rk_device *dev, unsigned int ms);
/* Close the plugin's side of an opened device and try again later. */
void rk_device_close(struct rk_device *dev);
/* Backoff for the next reopen: doubles up to a few seconds. */
unsigned int rk_device_next_retry(struct rk_device *dev);
struct event_base *rk_device_base(struct rk_device *dev);
/* The device at @index of rk_devices_count(), or NULL. */
struct rk_device *rk_devices_get(struct rk_devices *devices, size_t index);

/* device-op.c */
struct rk_op *rk_op_new(struct rk_device *dev, enum rk_op_type type, DBusMessage *call,
		unsigned int timeout_ms);
int rk_op_start(struct rk_op *op);
/* Free an operation that was never started. */
void rk_op_free_unstarted(struct rk_op *op);
void rk_op_cancel(struct rk_op *op);
/* Cancel and finish @op at once (device removal): the plugin's close()
 * follows, after which it must not complete the operation. */
void rk_op_abort(struct rk_op *op);
/* Free the operations the plugin never completed (after its close()). */
void rk_op_free_abandoned(struct rk_device *dev);
void rk_op_complete(struct rk_op *op, int err, const char *message);
void rk_op_progress(struct rk_op *op, const char *stage, double fraction, const char *message);
int rk_op_add_artifact(struct rk_op *op, const struct rk_artifact *artifact);
void rk_op_add_step(struct rk_op *op, const char *name, bool passed, const char *detail);
/* Parse an a{sv} of operation options (byte arrays too when @bytes: job
 * options); NULL or an error reply to @msg. */
DBusMessage *rk_options_parse(DBusMessage *msg, DBusMessageIter *iter, struct rk_options *options,
		bool bytes);
void rk_op_set_result(struct rk_op *op, const struct rk_option *value);

/* device-run.c */
/* Tell the starter of an internal run (op->done) of its failure, on a later
 * loop turn. */
void rk_run_fail(struct rk_op *op, int err, const char *message);
/* Its success: @artifacts stored, @results of a job; called from the loop. */
void rk_run_succeed(rk_device_done_fn fn, void *data, const struct rk_artifact_meta *artifacts,
		size_t n, const struct rk_options *results);
/* Deliver the completions still waiting for the loop (rk_devices_free). */
void rk_run_free_deferred(struct rk_devices *devices);

/* host.c */
extern const struct rk_host rk_host_table;
void rk_host_release_device(struct rk_device *dev); /* watches and timers left over */
