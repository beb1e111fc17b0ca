/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * rekam - KTP-el recording station daemon
 *
 * config.h - /etc/rekam/rekamd.conf: an INI/keyfile file with [station],
 * [central], [plugins], [photo], [quality], [metrics], [roles] and one
 * [device NAME] section per configured device.
 * Every key is described by a schema table in config.c; unknown keys and bad
 * values are errors reported as "FILE:LINE: message". docs/rekamd.conf.md is
 * the reference for users.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#define RK_CONFIG_DEFAULT_PATH SYSCONFDIR "/rekam/rekamd.conf"
#define RK_CONFIG_N_ROLES 7

/* A key of a [device NAME] section that the core does not interpret:
 * it belongs to the device's plugin, which validates it. */
struct rk_config_option {
	char *key;
	char *value;
	unsigned int line;
};

struct rk_device_config {
	char *name;       /* NAME of [device NAME]: [a-z0-9_-]{1,32} */
	char *plugin;     /* plugin= (required): e.g. "sigpad-sim" */
	char *connection; /* connection= (optional): e.g. "usb:1-3", "sim:unix:/run/x.sock" */
	bool enabled;     /* enabled= (default true) */
	unsigned int line; /* line of the section header */
	struct rk_config_option *options;
	size_t n_options;
};

struct rk_config {
	char *path; /* file it was read from, NULL for built-in defaults */

	/* [station] */
	char *station_id;          /* id=        [A-Za-z0-9._-]{1,64}; default: host name */
	unsigned int office_open;  /* office-hours= "HH:MM-HH:MM", minutes after midnight */
	unsigned int office_close; /* default 08:00-15:00 (SOP 800/011 step 1) */

	/* [central] */
	char *central_url;  /* url=  https:// URL, default NULL (not configured) */
	char *central_ca;   /* ca=   PEM file of the CA the server certificate must chain to */
	char *central_cert; /* cert= station client certificate (PEM) */
	char *central_key;  /* key=  station client key (PEM) */
	char *central_signing_key;     /* signing-key= signs manifests (PEM); default: key */
	char *central_encryption_cert; /* encryption-cert= the central encryption key (PEM) */
	unsigned int central_max_concurrent;  /* max-concurrent= 1-16, default 2 */
	unsigned int central_backoff_initial; /* backoff-initial-ms= default 1000 */
	unsigned int central_backoff_max;     /* backoff-max-ms= default 300000 */

	/* [plugins] */
	char **plugins_enable;  /* enable=  comma-separated globs, NULL-terminated; default {"*"} */
	char **plugins_disable; /* disable= comma-separated globs, NULL-terminated; default {} */

	/* [photo] (the portrait checks of photo-check.c) */
	char *photo_background_odd;  /* background-odd=  "red" or "blue"; default red */
	char *photo_background_even; /* background-even= default blue */
	unsigned int photo_min_sharpness;  /* min-sharpness=  default 50; 0: off */
	unsigned int photo_max_off_centre; /* max-off-centre= percent, default 10; 0: off */
	/* [roles]: per role (in the order of enum rk_role, roles.h) the groups
	 * whose members have it, NULL-terminated; NULL: the key is not set. */
	char **roles[RK_CONFIG_N_ROLES];

	/* [quality] (daemon/biometric-quality.h applies them) */
	unsigned int quality_finger;  /* finger-threshold= 0-100, default 40 */
	unsigned int quality_iris;    /* iris-threshold=   0-100, default 60 */
	unsigned int quality_retries; /* retries=          0-10,  default 3 */

	/* [metrics] (metrics.c) */
	char *metrics_listen; /* listen= loopback HOST:PORT; NULL: metrics not served */

	struct rk_device_config *devices;
	size_t n_devices;
};

/* Built-in defaults (what an absent file means). Never NULL. */
struct rk_config *rk_config_new_default(void);

/*
 * Read @path. Returns 0 and *@out, or a negative errno and *@errors: one line
 * per problem, "PATH:LINE: message", newline-separated (free() it). Parsing
 * goes on after an error so that every problem of the file is reported at once.
 * -ENOENT when the file does not exist (then *@errors says so too).
 */
int rk_config_load(const char *path, struct rk_config **out, char **errors);

/* The same from a buffer; @name stands for the path in messages (tests, fuzzing). */
int rk_config_load_data(const char *name, const char *data, size_t len, struct rk_config **out,
		char **errors);

void rk_config_free(struct rk_config *config);

/* "08:00-15:00" for the office hours of @config (static buffer of the caller). */
void rk_config_format_office_hours(const struct rk_config *config, char buf[12]);

/* The device named @name, or NULL. */
const struct rk_device_config *rk_config_find_device(const struct rk_config *config,
		const char *name);
