// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * rekam - KTP-el recording station daemon
 *
 * main.c - rekamd's command line: parse the options, then either check a
 * configuration file or run the daemon (daemon.c).
 */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon/config.h"
#include "daemon/daemon.h"
#include "daemon/log.h"

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: rekamd [OPTION]...\n"
		"\n"
		"The KTP-el recording station daemon. rekamd owns the station's devices and\n"
		"exposes them and the issuance pipeline on D-Bus as id.rekam.Station1 at\n"
		"/id/rekam/Station1. It is normally started by systemd (rekamd.service) on\n"
		"the system bus; station UIs and rekamctl(1) talk to it over D-Bus.\n"
		"\n"
		"Options:\n"
		"  -s, --session          use the session bus (development and tests)\n"
		"      --system           use the system bus (the default)\n"
		"  -c, --config=FILE      configuration file (default %s;\n"
		"                         when that file is absent, built-in defaults apply;\n"
		"                         a FILE given here must exist)\n"
		"  -d, --state-dir=DIR    state directory holding the station database\n"
		"                         (default %s; created with mode 0700)\n"
		"  -p, --plugin-dir=DIR   device plugin directory (default %s)\n"
		"      --plugins=GLOBS    load only the plugins matching these comma-separated\n"
		"                         patterns (and [plugins] enable= of the configuration)\n"
		"      --noplugins=GLOBS  never load the plugins matching these patterns\n"
		"  -t, --check-config     check the configuration file, print every problem\n"
		"                         as FILE:LINE: message, and exit\n"
		"  -v, --verbose          log debug messages too\n"
		"  -V, --version          print the version and exit\n"
		"  -h, --help             print this help and exit\n"
		"\n"
		"Signals:\n"
		"  SIGTERM, SIGINT        stop cleanly\n"
		"  SIGHUP                 reload the configuration; an invalid file is refused,\n"
		"                         the previous configuration stays, State is \"degraded\"\n"
		"\n"
		"Logging goes to standard error with <N> syslog priority prefixes, which\n"
		"journald turns into message priorities. When $NOTIFY_SOCKET is set, rekamd\n"
		"reports READY=1, RELOADING=1, STOPPING=1 and STATUS= to the service manager,\n"
		"and pings WATCHDOG=1 at half of $WATCHDOG_USEC.\n"
		"\n"
		"Exit status:\n"
		"  0   stopped cleanly (or --check-config found no problem)\n"
		"  64  invalid command line\n"
		"  65  the station database is corrupt or was written by a newer rekamd\n"
		"  69  the bus is unavailable, the bus name or state directory is taken\n"
		"      by another rekamd, or the bus connection was lost\n"
		"  70  internal error (e.g. a database migration failed)\n"
		"  71  out of memory or another system error\n"
		"  73  the state directory or station database cannot be created or written\n"
		"  78  the configuration file is invalid or missing\n"
		"\n"
		"Files:\n"
		"  %s        configuration (see rekamd.conf documentation)\n"
		"  %s/%s          station database (SQLite)\n"
		"\n"
		"See also: rekamctl(1), rekamd(8)\n",
		RK_CONFIG_DEFAULT_PATH, RK_DEFAULT_STATE_DIR, RK_DEFAULT_PLUGIN_DIR,
		RK_CONFIG_DEFAULT_PATH, RK_DEFAULT_STATE_DIR, RK_DATABASE_NAME);
}

/*
 * Descriptors 0, 1 and 2 open (on /dev/null when the caller closed them),
 * as a daemon's should be: else the first socket or file rekamd opens
 * becomes "stdin" or "stderr", and a library writing to stderr, or closing
 * a descriptor it believes unused (libgphoto2 closes 0: see
 * plugins/camera-gphoto2/session.c), writes into it or closes it.
 */
static void standard_fds(void)
{
	for (int fd = 0; fd < 3; fd++) {
		int null;

		if (fcntl(fd, F_GETFD) >= 0 || errno != EBADF)
			continue;
		null = open("/dev/null", fd == 0 ? O_RDONLY : O_WRONLY);
		if (null >= 0 && null != fd) /* cannot be: fd was the lowest free one */
			close(null);
	}
}

static int check_config(const char *path)
{
	struct rk_config *config = NULL;
	char *errors = NULL;
	int err;

	err = rk_daemon_load_config(path, &config, &errors);
	if (err < 0) {
		fprintf(stderr, "%s\n", errors ? errors : strerror(-err));
		free(errors);
		return EX_CONFIG;
	}
	if (config->path)
		printf("%s: configuration is valid (station %s)\n", config->path,
			config->station_id);
	else
		printf("%s does not exist: built-in defaults apply (station %s)\n",
			RK_CONFIG_DEFAULT_PATH, config->station_id);
	rk_config_free(config);
	return EX_OK;
}

int main(int argc, char **argv)
{
	static const struct option options[] = {
		{ "session", no_argument, NULL, 's' },
		{ "system", no_argument, NULL, 'S' },
		{ "config", required_argument, NULL, 'c' },
		{ "state-dir", required_argument, NULL, 'd' },
		{ "plugin-dir", required_argument, NULL, 'p' },
		{ "plugins", required_argument, NULL, 'P' },
		{ "noplugins", required_argument, NULL, 'N' },
		{ "check-config", no_argument, NULL, 't' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	struct rk_daemon_options opts = { 0 };
	bool check = false;
	int c;

	standard_fds();
	rk_log_set_ident("rekamd");
	while ((c = getopt_long(argc, argv, "sc:d:p:tvVh", options, NULL)) != -1) {
		switch (c) {
		case 's':
			opts.session_bus = true;
			break;
		case 'S':
			opts.session_bus = false;
			break;
		case 'c':
			opts.config_path = optarg;
			break;
		case 'd':
			opts.state_dir = optarg;
			break;
		case 'p':
			opts.plugin_dir = optarg;
			break;
		case 'P':
			opts.plugins = optarg;
			break;
		case 'N':
			opts.noplugins = optarg;
			break;
		case 't':
			check = true;
			break;
		case 'v':
			rk_log_set_level(LOG_DEBUG);
			break;
		case 'V':
			printf("rekamd %s\n", PACKAGE_VERSION);
			return EX_OK;
		case 'h':
			usage(stdout);
			return EX_OK;
		default:
			fprintf(stderr, "Try 'rekamd --help' for more information.\n");
			return EX_USAGE;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "rekamd: unexpected argument '%s'\n"
				"Try 'rekamd --help' for more information.\n", argv[optind]);
		return EX_USAGE;
	}
	if ((opts.state_dir && !*opts.state_dir) || (opts.config_path && !*opts.config_path) ||
			(opts.plugin_dir && !*opts.plugin_dir)) {
		fprintf(stderr, "rekamd: an empty path was given\n");
		return EX_USAGE;
	}

	if (check)
		return check_config(opts.config_path);
	return rk_daemon_run(&opts);
}
