// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * rekam - device simulators
 *
 * station-find.c - where rekam-sim-station finds dbus-daemon, rekamd, rekamctl,
 * the simulators and the plugins: next to itself in a build tree, in the
 * installed directories, or on PATH.
 */
#include <config.h>

#include "simulators/station.h"

/* --- finding the programs ------------------------------------------------------- */

static bool is_executable(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0;
}

bool is_dir(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* The directory this program runs from (without a libtool ".libs"). */
static char *self_dir(const char *argv0)
{
	char buf[PATH_MAX], *slash, *real = NULL;
	ssize_t n;
	size_t len;

	n = readlink("/proc/self/exe", buf, sizeof(buf) - 1);
	if (n > 0) {
		buf[n] = '\0';
	} else if (strchr(argv0, '/') && (real = realpath(argv0, NULL))) {
		snprintf(buf, sizeof(buf), "%s", real);
		free(real);
	} else {
		return NULL;
	}
	slash = strrchr(buf, '/');
	if (!slash)
		return NULL;
	*slash = '\0';
	len = strlen(buf);
	if (len >= 6 && !strcmp(buf + len - 6, "/.libs"))
		buf[len - 6] = '\0';
	return xstrdup(buf[0] ? buf : "/");
}

/* The directories programs are looked for in, in order; NULL-terminated. */
static char **search_dirs(const struct options *opt, const char *self)
{
	char **dirs = calloc(12, sizeof(*dirs));
	const char *build = getenv("REKAM_BUILDDIR");
	size_t n = 0;

	if (!dirs)
		return xmalloc_fail();
	if (opt->bindir) {
		dirs[n++] = xstrdup(opt->bindir);
		dirs[n++] = xasprintf("%s/../daemon", opt->bindir);
		dirs[n++] = xasprintf("%s/../client", opt->bindir);
		dirs[n++] = xasprintf("%s/../simulators", opt->bindir);
		return dirs;
	}
	if (build && *build) {
		dirs[n++] = xasprintf("%s/daemon", build);
		dirs[n++] = xasprintf("%s/client", build);
		dirs[n++] = xasprintf("%s/simulators", build);
	}
	if (self) {
		dirs[n++] = xstrdup(self);
		dirs[n++] = xasprintf("%s/../daemon", self);
		dirs[n++] = xasprintf("%s/../client", self);
	}
	dirs[n++] = xstrdup(SBINDIR);
	dirs[n++] = xstrdup(BINDIR);
	return dirs;
}

void free_strv(char **v)
{
	size_t i;

	for (i = 0; v && v[i]; i++)
		free(v[i]);
	free(v);
}

/* The first executable @name in @dirs, or NULL. */
static char *find_program(char **dirs, const char *name)
{
	char *path;
	size_t i;

	for (i = 0; dirs[i]; i++) {
		path = xasprintf("%s/%s", dirs[i], name);
		if (is_executable(path)) {
			char *real = realpath(path, NULL);

			free(path);
			return real ? real : xmalloc_fail();
		}
		free(path);
	}
	return NULL;
}

/* A program on $PATH (or the path itself when it has a slash), or NULL. */
char *find_on_path(const char *name)
{
	const char *path = getenv("PATH");
	char *copy, *dir, *save = NULL, *found = NULL;

	if (strchr(name, '/'))
		return is_executable(name) ? xstrdup(name) : NULL;
	copy = xstrdup(path && *path ? path : "/usr/bin:/bin");
	for (dir = strtok_r(copy, ":", &save); dir && !found; dir = strtok_r(NULL, ":", &save)) {
		char *candidate = xasprintf("%s/%s", *dir ? dir : ".", name);

		if (is_executable(candidate))
			found = candidate;
		else
			free(candidate);
	}
	free(copy);
	return found;
}

static char *find_plugin_dir(const struct options *opt, const char *rekamd)
{
	const char *build = getenv("REKAM_BUILDDIR");
	char *dir, *slash, *tree;

	if (opt->plugin_dir)
		return xstrdup(opt->plugin_dir);
	if (build && *build) {
		dir = xasprintf("%s/plugins/built", build);
		if (is_dir(dir))
			return dir;
		free(dir);
	}
	/* rekamd of a build tree is BUILD/daemon/rekamd */
	tree = xstrdup(rekamd);
	slash = strrchr(tree, '/');
	if (slash) {
		*slash = '\0';
		dir = xasprintf("%s/../plugins/built", tree);
		free(tree);
		if (is_dir(dir)) {
			char *real = realpath(dir, NULL);

			if (real) {
				free(dir);
				return real;
			}
			return dir;
		}
		free(dir);
	} else {
		free(tree);
	}
	return xstrdup(PKGLIBDIR "/plugins");
}

/* Every program; EX_UNAVAILABLE when rekamd or dbus-daemon is missing. */
int find_programs(struct station *st, const char *argv0)
{
	const char *dbus_daemon = getenv("REKAM_DBUS_DAEMON");
	char *self = self_dir(argv0), **dirs = search_dirs(&st->opt, self);
	size_t i, n = 0;
	int status = 0;

	st->rekamd = find_program(dirs, "rekamd");
	st->rekamctl = find_program(dirs, "rekamctl");
	for (i = 0; i < N_SIMS; i++) {
		st->sims[i].path = find_program(dirs, sim_kinds[i].program);
		if (st->sims[i].path)
			n++;
		else
			info("%s is not installed: left out", sim_kinds[i].program);
	}
	st->dbus_daemon = find_on_path(dbus_daemon && *dbus_daemon ? dbus_daemon : DBUS_DAEMON);
	if (!st->dbus_daemon && (!dbus_daemon || !*dbus_daemon))
		st->dbus_daemon = find_on_path("dbus-daemon");

	if (!st->rekamd) {
		err("rekamd not found (looked in --bindir, $REKAM_BUILDDIR, the build tree and "
			"%s); use --bindir", SBINDIR);
		status = EX_UNAVAILABLE;
	}
	if (!st->dbus_daemon) {
		err("dbus-daemon not found (install it, or set REKAM_DBUS_DAEMON)");
		status = EX_UNAVAILABLE;
	}
	if (!st->rekamctl)
		info("rekamctl not found: the hint below names it without a path");
	if (n == 0)
		info("no simulator found: the station has no devices");
	if (!status) {
		st->plugin_dir = find_plugin_dir(&st->opt, st->rekamd);
		info("rekamd %s, plugins %s, bus %s", st->rekamd, st->plugin_dir, st->dbus_daemon);
	}
	free_strv(dirs);
	free(self);
	return status;
}

