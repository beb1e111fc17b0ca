/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * rekam - KTP-el recording station daemon
 *
 * rekam/plugin.h - the device plugin ABI: the one header a plugin author
 * needs (pkg-config rekam-plugin).
 *
 * A plugin is a shared object named rekam-<class>-<backend>.so that exports
 * one descriptor, made with REKAM_PLUGIN_DEFINE(). The host (rekamd, or a
 * diagnostic tool) finds it in its plugin directory, checks the ABI version,
 * and drives devices through the plugin's operations. Everything the plugin
 * may do to the outside world goes through the struct rk_host function table
 * it is given: logging, the event loop (fd watches and timers), a worker pool
 * for calls that can only block, device information and health, and the
 * results of operations. A plugin never touches D-Bus or the database, and
 * never blocks the event loop.
 *
 * Operations (open, self-test, capture, jobs) are asynchronous: the host passes a
 * struct rk_op; the plugin starts the work and returns 0, reports progress
 * while it runs, and finishes it exactly once with host->op_complete(), from
 * the event loop. The host enforces the operation's timeout: when it expires
 * (or a client cancels), the host calls ops->cancel(), and the plugin must
 * then complete the operation promptly (with -ECANCELED, or its real result
 * if it raced to the end). All callbacks run on the event loop thread except
 * the work function given to host->work_submit().
 *
 * The host never calls close() from inside one of its own functions that
 * the plugin called (gone(), op_complete(), ...): a plugin may go on using
 * its state after such a call returns.
 *
 * Errors are negative errno values: -ENODEV (device gone), -ETIMEDOUT,
 * -ECANCELED, -EBUSY, -EINVAL (bad options), -EIO (device failure; give a
 * message), -EPROTO (the device spoke nonsense).
 */
#pragma once

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Major: incompatible change, the host refuses other majors. Minor: additions
 * at the end of the tables; a host loads plugins of its minor or lower, and
 * never reads an operation a plugin's minor does not have.
 *   1.0  open, close, self_test, capture, cancel
 *   1.1  jobs: rk_device_ops.job; rk_host.option_bytes, op_set_result_* */
#define REKAM_PLUGIN_ABI_MAJOR 1
#define REKAM_PLUGIN_ABI_MINOR 1

/* The symbol every plugin exports. */
#define REKAM_PLUGIN_SYMBOL "rekam_plugin"

enum rk_device_class {
	RK_DEVICE_CAMERA,
	RK_DEVICE_IRIS,
	RK_DEVICE_FINGERPRINT,
	RK_DEVICE_SIGPAD,
	RK_DEVICE_SCANNER,
	RK_DEVICE_PRINTER,
	RK_DEVICE_CARDREADER,
	RK_DEVICE_N_CLASSES
};

struct rk_device; /* one device, owned by the host */
struct rk_op;     /* one running operation, owned by the host */
struct rk_watch;  /* an fd watch */
struct rk_timer;  /* a timer */
struct rk_options; /* the options of an operation (from the caller) */

/* A USB vendor/product pair a plugin handles; tables end with { 0, 0 }. */
struct rk_usb_id {
	uint16_t vendor;
	uint16_t product;
};

/* What the host knows of a device before the plugin takes it. */
struct rk_probe_info {
	const char *name;       /* the [device NAME] of rekamd.conf, or NULL (hotplug) */
	const char *connection; /* "sim:unix:/run/x.sock", "usb:1-3", ... or NULL */
	uint16_t usb_vendor;    /* 0 when not a USB device */
	uint16_t usb_product;
	uint8_t usb_bus;
	uint8_t usb_address;
};

/* A piece of captured data handed to the host (which copies the bytes). */
struct rk_artifact {
	const char *kind;   /* "signature-image", "signature-strokes", "portrait", ... */
	const char *format; /* media type: "image/png", "application/json", ... */
	uint32_t width;     /* pixels, 0 when not an image */
	uint32_t height;
	uint32_t dpi;       /* 0 when unknown */
	int quality;        /* 0-100, -1 when the device gives none */
	const void *data;
	size_t size;
};

enum {
	RK_WATCH_READ = 1 << 0,
	RK_WATCH_WRITE = 1 << 1,
};

typedef void (*rk_watch_fn)(int fd, unsigned int events, void *data);
typedef void (*rk_timer_fn)(void *data);
typedef void (*rk_work_fn)(void *data);

/* The host's services. Every function is safe to call from the event loop
 * thread only, except op_progress() and log(), which a work function may call. */
struct rk_host {
	unsigned int abi_major;
	unsigned int abi_minor;

	/* Logging, prefixed with the device: priority as in syslog.h. */
	void (*log)(struct rk_device *dev, int priority, const char *fmt, ...)
		__attribute__((format(printf, 3, 4)));

	/* The plugin's private state of a device. */
	void (*set_data)(struct rk_device *dev, void *data);
	void *(*get_data)(struct rk_device *dev);

	/* Configuration: the device's connection and its plugin options (the
	 * other keys of its [device NAME] section); NULL when absent. */
	const char *(*connection)(struct rk_device *dev);
	const char *(*config)(struct rk_device *dev, const char *key);

	/* Identity and health, shown on D-Bus. Health values are strings,
	 * integers, doubles or booleans under a short CamelCase key. */
	void (*set_info)(struct rk_device *dev, const char *model, const char *serial,
			const char *firmware);
	void (*set_health_string)(struct rk_device *dev, const char *key, const char *value);
	void (*set_health_int)(struct rk_device *dev, const char *key, int64_t value);
	void (*set_health_double)(struct rk_device *dev, const char *key, double value);
	void (*set_health_bool)(struct rk_device *dev, const char *key, bool value);

	/* The device went away (unplugged, connection lost): State becomes
	 * "absent"; a running operation must still be completed. */
	void (*gone)(struct rk_device *dev, const char *reason);
	/* The device came back: the host opens it again. */
	void (*returned)(struct rk_device *dev);

	/* Event loop. */
	struct rk_watch *(*watch_add)(struct rk_device *dev, int fd, unsigned int events,
			rk_watch_fn fn, void *data);
	void (*watch_set_events)(struct rk_watch *watch, unsigned int events);
	void (*watch_remove)(struct rk_watch *watch);
	/* A timer stays allocated after it fires (one-shot or not) until
	 * timer_remove(); remove every watch and timer in close() at the latest. */
	struct rk_timer *(*timer_add)(struct rk_device *dev, unsigned int ms, bool repeat,
			rk_timer_fn fn, void *data);
	void (*timer_remove)(struct rk_timer *timer);

	/* Run @work on a worker thread, then @done on the event loop. 0 or -errno. */
	int (*work_submit)(struct rk_device *dev, rk_work_fn work, rk_work_fn done, void *data);

	/* Options of an operation. */
	int64_t (*option_int)(const struct rk_options *options, const char *key, int64_t fallback);
	const char *(*option_string)(const struct rk_options *options, const char *key,
			const char *fallback);
	bool (*option_bool)(const struct rk_options *options, const char *key, bool fallback);

	/* Operations. */
	void (*op_progress)(struct rk_op *op, const char *stage, double fraction,
			const char *message);
	/* Self-test: one step's result. */
	void (*op_add_step)(struct rk_op *op, const char *name, bool passed, const char *detail);
	/* Capture or job: one artifact; 0 or -errno (-EINVAL for a malformed one). */
	int (*op_add_artifact)(struct rk_op *op, const struct rk_artifact *artifact);
	/* Finish: @err 0 or -errno, @message a sentence for a person on failure. */
	void (*op_complete)(struct rk_op *op, int err, const char *message);
	/* The device the operation runs on. */
	struct rk_device *(*op_device)(struct rk_op *op);

	/* --- ABI 1.1 --- */

	/* A job option holding bytes (D-Bus "ay"): the bytes, valid until the
	 * operation completes, and their number in *@size; NULL when there is
	 * no such option or it is not bytes. */
	const void *(*option_bytes)(const struct rk_options *options, const char *key,
			size_t *size);
	/* Job results, returned to the caller as a{sv} under a short CamelCase
	 * @key (set again: replaced). Ignored for other operations. */
	void (*op_set_result_string)(struct rk_op *op, const char *key, const char *value);
	void (*op_set_result_int)(struct rk_op *op, const char *key, int64_t value);
	void (*op_set_result_bool)(struct rk_op *op, const char *key, bool value);
};

/* What a plugin does with its devices. Every function but probe() and
 * close() may be NULL when the class has no such operation. */
struct rk_device_ops {
	/*
	 * Is this device ours? Quick and without I/O: look at the connection
	 * string or USB ids. 0: yes; -ENODEV: not ours; other -errno: ours but
	 * unusable (logged by the host).
	 */
	int (*probe)(const struct rk_host *host, const struct rk_probe_info *info);

	/* Connect to the device and learn what it is (set_info); complete @op. */
	int (*open)(struct rk_device *dev, struct rk_op *op);

	/* Drop everything about the device, at once and without blocking. An
	 * operation that was running has been cancelled and finished by the
	 * host: do not complete it any more. Called after an open that
	 * succeeded when the device goes or is reset, and always when the
	 * device is removed, even if it never opened (get_data() may then be
	 * NULL, or state kept from failed opens). */
	void (*close)(struct rk_device *dev);

	/* Test the device step by step (op_add_step); complete @op. */
	int (*self_test)(struct rk_device *dev, struct rk_op *op);

	/* Capture with @options (op_add_artifact); complete @op. */
	int (*capture)(struct rk_device *dev, struct rk_op *op, const struct rk_options *options);

	/* Stop @op soon; it is completed as usual (normally with -ECANCELED). */
	void (*cancel)(struct rk_device *dev, struct rk_op *op);

	/* --- ABI 1.1 --- */

	/*
	 * Run the class-specific job @action ([a-z0-9-], e.g. printer "print",
	 * "stage", "eject", "reject"; cardreader "personalize", "read") with
	 * @options (which may hold bytes: option_bytes()). Results with
	 * op_set_result_*(), data with op_add_artifact(); complete @op.
	 * -EOPNOTSUPP for an action the plugin does not know.
	 */
	int (*job)(struct rk_device *dev, struct rk_op *op, const char *action,
			const struct rk_options *options);
};

struct rk_plugin {
	uint16_t abi_major;
	uint16_t abi_minor;
	const char *name;        /* "<class>-<backend>", e.g. "sigpad-sim" */
	const char *description; /* one line */
	const char *version;
	enum rk_device_class device_class;
	const struct rk_usb_id *usb_ids; /* NULL or terminated by { 0, 0 } */
	const struct rk_device_ops *ops;
	/* Called once after loading, with the host table to keep for every later
	 * call (required): 0, -ENOTSUP to be skipped quietly, other -errno to be
	 * refused. exit (may be NULL) is called before unloading. */
	int (*init)(const struct rk_host *host);
	void (*exit)(void);
};

#define REKAM_PLUGIN_DEFINE(name_, description_, version_, class_, usb_ids_, ops_, init_,      \
		exit_)                                                                         \
	__attribute__((visibility("default"))) const struct rk_plugin rekam_plugin = {         \
		.abi_major = REKAM_PLUGIN_ABI_MAJOR,                                           \
		.abi_minor = REKAM_PLUGIN_ABI_MINOR,                                           \
		.name = name_,                                                                 \
		.description = description_,                                                   \
		.version = version_,                                                           \
		.device_class = class_,                                                        \
		.usb_ids = usb_ids_,                                                           \
		.ops = ops_,                                                                   \
		.init = init_,                                                                 \
		.exit = exit_,                                                                 \
	}

#ifdef __cplusplus
}
#endif
