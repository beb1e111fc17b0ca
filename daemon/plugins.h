/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * rekam - KTP-el recording station daemon
 *
 * plugins.h - finding and loading device plugins: every rekam-*.so of the
 * plugin directory is dlopen()ed with RTLD_NOW, its descriptor checked (ABI
 * version, name matching the file, operations present) and its init() called;
 * enable/disable glob lists (rekamd.conf [plugins] and the command line)
 * choose which are loaded.
 */
#pragma once

#include <stddef.h>

#include "rekam/plugin.h"

struct rk_plugins;

struct rk_plugin_filter {
	char *const *enable;  /* globs; NULL-terminated; NULL means "*" */
	char *const *disable; /* globs; NULL-terminated; may be NULL */
	const char *cmd_enable;  /* --plugins: comma-separated globs, or NULL */
	const char *cmd_disable; /* --noplugins: comma-separated globs, or NULL */
};

/* Load the plugins of @dir chosen by @filter, giving each @host. A missing
 * directory loads nothing (logged). Never NULL but on allocation failure. */
struct rk_plugins *rk_plugins_load(const char *dir, const struct rk_plugin_filter *filter,
		const struct rk_host *host);

/* The loaded plugin named @name ("sigpad-sim"), or NULL. */
const struct rk_plugin *rk_plugins_find(struct rk_plugins *plugins, const char *name);

size_t rk_plugins_count(struct rk_plugins *plugins);
const struct rk_plugin *rk_plugins_get(struct rk_plugins *plugins, size_t index);

/* Call each exit() and dlclose() in reverse order. NULL is fine. */
void rk_plugins_unload(struct rk_plugins *plugins);
