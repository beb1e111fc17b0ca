// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * rekam - KTP-el recording station daemon
 *
 * plugins.c - the plugin loader (see plugins.h). A plugin that cannot be
 * used is reported in one log line saying why, and skipped; rekamd goes on
 * with the others.
 */
#include <config.h>

#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/log.h"
#include "daemon/plugins.h"

struct loaded {
	void *handle;
	const struct rk_plugin *desc;
};

struct rk_plugins {
	struct loaded *items;
	size_t n;
};

static bool match_list(char *const *globs, const char *name)
{
	for (; globs && *globs; globs++)
		if (fnmatch(*globs, name, 0) == 0)
			return true;
	return false;
}

/* A comma-separated glob list from the command line. */
static bool match_csv(const char *csv, const char *name)
{
	char *copy, *item, *save = NULL;
	bool found = false;

	if (!csv || !(copy = strdup(csv)))
		return false;
	for (item = strtok_r(copy, ",", &save); item && !found; item = strtok_r(NULL, ",", &save))
		found = fnmatch(item, name, 0) == 0;
	free(copy);
	return found;
}

static bool wanted(const struct rk_plugin_filter *f, const char *name)
{
	if (f->enable && !match_list(f->enable, name))
		return false;
	if (f->cmd_enable && !match_csv(f->cmd_enable, name))
		return false;
	return !match_list(f->disable, name) && !match_csv(f->cmd_disable, name);
}

/* "rekam-sigpad-sim.so" -> "sigpad-sim" (in @buf), or NULL if not a plugin file. */
static const char *plugin_name(const char *file, char *buf, size_t size)
{
	size_t len = strlen(file);

	if (len <= 9 || strncmp(file, "rekam-", 6) != 0 || strcmp(file + len - 3, ".so") != 0 ||
			len - 9 >= size)
		return NULL;
	memcpy(buf, file + 6, len - 9);
	buf[len - 9] = '\0';
	return buf;
}

static const char *check_desc(const struct rk_plugin *desc, const char *name)
{
	static char why[160];

	if (desc->abi_major != REKAM_PLUGIN_ABI_MAJOR || desc->abi_minor > REKAM_PLUGIN_ABI_MINOR) {
		snprintf(why, sizeof(why), "built for plugin ABI %u.%u, rekamd has %u.%u",
			desc->abi_major, desc->abi_minor, REKAM_PLUGIN_ABI_MAJOR,
			REKAM_PLUGIN_ABI_MINOR);
		return why;
	}
	if (!desc->name || strcmp(desc->name, name) != 0)
		return "its descriptor names another plugin than its file name";
	if ((unsigned int)desc->device_class >= RK_DEVICE_N_CLASSES)
		return "unknown device class";
	if (!desc->ops || !desc->ops->probe || !desc->ops->close || !desc->ops->open ||
			!desc->init)
		return "probe, open, close or init is missing";
	return NULL;
}

static int load_one(struct rk_plugins *plugins, const char *dir, const char *file,
		const char *name, const struct rk_host *host)
{
	const struct rk_plugin *desc;
	struct loaded *items;
	char *path;
	const char *why;
	void *handle;
	int err;

	if (asprintf(&path, "%s/%s", dir, file) < 0)
		return -ENOMEM;
	handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (!handle) {
		rk_error("plugin %s: cannot load: %s", path, dlerror());
		free(path);
		return -EINVAL;
	}
	desc = dlsym(handle, REKAM_PLUGIN_SYMBOL);
	why = desc ? check_desc(desc, name) : "no " REKAM_PLUGIN_SYMBOL " descriptor";
	if (!why && rk_plugins_find(plugins, name))
		why = "a plugin of that name is already loaded";
	if (why) {
		rk_error("plugin %s: refused: %s", path, why);
		goto fail;
	}
	err = desc->init(host);
	if (err == -ENOTSUP) {
		rk_info("plugin %s: not supported here; skipped", name);
		goto fail;
	}
	if (err < 0) {
		rk_error("plugin %s: init failed: %s", name, strerror(-err));
		goto fail;
	}
	items = realloc(plugins->items, (plugins->n + 1) * sizeof(*items));
	if (!items) {
		if (desc->exit)
			desc->exit();
		goto fail;
	}
	plugins->items = items;
	items[plugins->n++] = (struct loaded){ .handle = handle, .desc = desc };
	rk_info("plugin %s %s loaded: %s", name, desc->version ? desc->version : "",
		desc->description ? desc->description : "");
	free(path);
	return 0;
fail:
	dlclose(handle);
	free(path);
	return -EINVAL;
}

static int compare_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

struct rk_plugins *rk_plugins_load(const char *dir, const struct rk_plugin_filter *filter,
		const struct rk_host *host)
{
	struct rk_plugins *plugins = calloc(1, sizeof(*plugins));
	struct dirent *entry;
	char **files = NULL, name[128];
	size_t n_files = 0;
	DIR *d;

	if (!plugins)
		return NULL;
	d = opendir(dir);
	if (!d) {
		rk_notice("plugin directory %s: %s; no device plugins loaded", dir, strerror(errno));
		return plugins;
	}
	while ((entry = readdir(d))) {
		char **bigger;

		if (!plugin_name(entry->d_name, name, sizeof(name)))
			continue;
		bigger = realloc(files, (n_files + 1) * sizeof(*files));
		if (!bigger)
			break;
		files = bigger;
		files[n_files] = strdup(entry->d_name);
		if (files[n_files])
			n_files++;
	}
	closedir(d);

	/* A stable order, whatever readdir() gives. */
	if (n_files)
		qsort(files, n_files, sizeof(*files), compare_names);
	for (size_t i = 0; i < n_files; i++) {
		plugin_name(files[i], name, sizeof(name));
		if (wanted(filter, name))
			load_one(plugins, dir, files[i], name, host);
		else
			rk_info("plugin %s: disabled by configuration", name);
		free(files[i]);
	}
	free(files);
	return plugins;
}

const struct rk_plugin *rk_plugins_find(struct rk_plugins *plugins, const char *name)
{
	for (size_t i = 0; plugins && i < plugins->n; i++)
		if (strcmp(plugins->items[i].desc->name, name) == 0)
			return plugins->items[i].desc;
	return NULL;
}

size_t rk_plugins_count(struct rk_plugins *plugins)
{
	return plugins ? plugins->n : 0;
}

const struct rk_plugin *rk_plugins_get(struct rk_plugins *plugins, size_t index)
{
	return index < plugins->n ? plugins->items[index].desc : NULL;
}

void rk_plugins_unload(struct rk_plugins *plugins)
{
	if (!plugins)
		return;
	while (plugins->n > 0) {
		struct loaded *l = &plugins->items[--plugins->n];

		if (l->desc->exit)
			l->desc->exit();
		dlclose(l->handle);
	}
	free(plugins->items);
	free(plugins);
}
