// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * rekam - device simulators
 *
 * rekam-sim-station.c - a complete simulated station in one command: a
 * private dbus-daemon, every device simulator (and a pcscd with the vpcd
 * reader when one can run), and rekamd on that bus with every device
 * configured through its real plugin, all in one directory. It prints shell
 * variables describing the station, then waits for Ctrl-C or runs a command
 * inside it, and stops everything in reverse order: rekamd, the simulators,
 * pcscd, the bus.
 *
 * Signals are blocked and taken with sigtimedwait(), so every wait below is
 * a plain loop; the station's daemons run in their own process group, so a
 * Ctrl-C on the terminal reaches only this program and the command.
 */
#include <config.h>

#include "simulators/station.h"

/* --- help ---------------------------------------------------------------------- */

static void usage(FILE *out)
{
	size_t i;

	fprintf(out,
		"Usage: " PROG " [OPTION]... [-- COMMAND [ARG]...]\n"
		"\n"
		"Start a complete simulated KTP-el recording station: a private D-Bus bus\n"
		"(dbus-daemon), every device simulator, a pcscd with the vpcd reader for\n"
		"the card reader (when one can run), and rekamd on that bus with every\n"
		"device configured through its real plugin, all in one directory. Once\n"
		"every device is connected, print shell variables describing the station\n"
		"on standard output. Then wait for Ctrl-C (SIGINT) or SIGTERM or, with\n"
		"COMMAND, run COMMAND inside the station and wait for it. Either way, stop\n"
		"everything again, in reverse order: rekamd (SIGTERM; SIGKILL after 10 s),\n"
		"the simulators, pcscd, the bus; then remove the directory unless it was\n"
		"given or kept. The logs are DIR/*.log.\n"
		"\n"
		"Options:\n"
		"  -d, --dir=DIR          build the station in DIR (created when missing, kept\n"
		"                         afterwards) instead of a new temporary directory\n"
		"  -k, --keep             keep the temporary directory afterwards\n"
		"      --seed=N           pass --seed=N to every simulator: the seed of every\n"
		"                         datum it generates (default: the simulators' own)\n"
		"      --time-scale=X     pass --time-scale=X to every simulator: multiply every\n"
		"                         device delay by X, 0 to 1000 (e.g. 0.01 for tests)\n"
		"      --station-id=ID    the station's [station] id (default " STATION_ID_DEFAULT ")\n"
		"      --office-hours=HH:MM-HH:MM\n"
		"                         when rekamd accepts applications (default\n"
		"                         " OFFICE_HOURS_DEFAULT ": a simulated station works at any hour)\n"
		"      --bindir=DIR       where rekamd, rekamctl and the simulators are; each\n"
		"                         is also looked for in DIR/../daemon, DIR/../client\n"
		"                         and DIR/../simulators (a build tree)\n"
		"      --plugin-dir=DIR   rekamd's device plugin directory (default below)\n"
		"      --no-rekamd        start everything but rekamd and print REKAMD,\n"
		"                         REKAM_CONFIG, REKAM_PLUGIN_DIR and SANE_CONFIG_DIR\n"
		"                         instead of REKAM_REKAMD_PID: COMMAND runs rekamd\n"
		"                         itself (crash tests restart it)\n"
		"      --lock-wait=SECONDS  how long to wait for /tmp/rekam-pcscd.lock while\n"
		"                         another test or station has the machine's pcscd\n"
		"                         (default 120; tests that take turns give more)\n"
		"      --no-card          no pcscd and no card reader (cardreader0); the\n"
		"                         card simulator still runs for the printer's encoder\n"
		"  -v, --verbose          say what happens on standard error, and run rekamd\n"
		"                         and the simulators with --verbose (into their logs)\n"
		"  -h, --help             print this help and exit\n"
		"  -V, --version          print the version and exit\n"
		"\n"
		"Simulators, in the order they start (one that is not installed is left\n"
		"out with its devices); each has DIR/SIM.sock, DIR/SIM.control, DIR/SIM.log\n"
		"and TCP ports on 127.0.0.1 picked free (new ones when it exits at start):\n");
	for (i = 0; i < N_SIMS; i++)
		fprintf(out, "  %-10s %s\n  %-10s %s\n", sim_kinds[i].key, sim_kinds[i].program, "",
			sim_kinds[i].help);
	fprintf(out,
		"\n"
		"Devices ([device NAME] of rekamd.conf; on D-Bus as\n"
		"" REKAM_OBJECT_PATH "/devices/NAME, rekamctl takes NAME):\n");
	for (i = 0; i < N_DEVS; i++)
		fprintf(out, "  %-13s plugin %-16s on %s\n", dev_kinds[i].name,
			dev_kinds[i].plugin, sim_kinds[dev_kinds[i].sim].program);
	fprintf(out,
		"\n"
		"The card reader (cardreader0) needs a pcscd of the station's own: it is\n"
		"started with the vpcd reader (vsmartcard-vpcd; REKAM_VPCD_DRIVER) on a free\n"
		"port pair in 20000-29999, after taking " PCSCD_LOCK " (the lock the\n"
		"integration tests take turns on; waited for up to --lock-wait). pcscd needs a\n"
		"writable " PCSCD_RUN " (root) and no other pcscd on the machine. When that\n"
		"cannot be had, the station starts without cardreader0 and says why on\n"
		"standard error. The scanner needs sane-airscan: rekamd gets SANE_CONFIG_DIR\n"
		"pointing at DIR/sane, whose airscan.conf names the simulator's eSCL URL.\n"
		"rekamd's [central] section points at rekam-sim-central with the test PKI\n"
		"it made in DIR/central-pki (CA, station certificate and key).\n"
		"\n"
		"Output, once the station is up (shell syntax, for eval):\n"
		"  REKAM_BUS_ADDRESS='...'     the address of the station's bus\n"
		"  REKAM_STATION_DIR='...'     the station's directory\n"
		"  REKAM_<SIM>_CONTROL='...'   the control socket of each simulator, for\n"
		"                              faults: REKAM_CENTRAL_CONTROL, REKAM_CARD_CONTROL,\n"
		"                              REKAM_CAMERA_CONTROL, REKAM_BIOMETRIC_CONTROL,\n"
		"                              REKAM_SCANNER_CONTROL, REKAM_SIGPAD_CONTROL,\n"
		"                              REKAM_PRINTER_CONTROL (docs/device-protocol.md)\n"
		"  REKAM_STATE_DIR='...'       rekamd's state directory: the database, and\n"
		"                              artifacts/HANDLE for every captured artifact\n"
		"  REKAM_CENTRAL_URL='...'     the central server's URL (rekamd's [central])\n"
		"  REKAM_PRINTER_OUTPUT='...'  where the printer writes every printed side\n"
		"  REKAM_VPCD_PORT=N           vpcd's port (only with the card reader)\n"
		"  REKAM_REKAMD_PID=N, REKAM_BUS_PID=N, REKAM_<SIM>_PID=N for each\n"
		"  simulator, REKAM_PCSCD_PID=N (only with the card reader)\n"
		"  # a comment per device: its name, D-Bus path and plugin\n"
		"  # and a comment showing rekamctl with --address\n"
		"\n"
		"COMMAND runs with the standard input, output and error of " PROG ",\n"
		"in its process group (a Ctrl-C reaches both), with the variables above\n"
		"exported, DBUS_SESSION_BUS_ADDRESS set to the station's bus (so\n"
		"\"rekamctl --session\" works too), REKAMD and REKAMCTL set to the programs\n"
		"used, PATH starting with their directories, and SANE_CONFIG_DIR.\n"
		"\n"
		"Files in the station directory:\n"
		"  rekamd.conf, rekamd.log    rekamd's configuration and standard error\n"
		"  state/                     rekamd's --state-dir\n"
		"  bus.log, dbus-*            dbus-daemon's standard error and socket\n"
		"  SIM.sock, SIM.control, SIM.log   each simulator's sockets and log\n"
		"  central-pki/, central.db   the central server's test PKI and database\n"
		"  biometric/                 the SBI device key and certificate (trust=)\n"
		"  card.state                 the chip of rekam-sim-card\n"
		"  printed/                   every side the printer printed, as PNG\n"
		"  sane/                      SANE_CONFIG_DIR of rekamd (sane-airscan)\n"
		"  reader.conf.d/, pcscd.log  pcscd's vpcd reader and log\n"
		"\n"
		"Where the programs are: with --bindir, there; otherwise the first found of\n"
		"$REKAM_BUILDDIR/{daemon,client,simulators}, the build tree around this\n"
		"program (its own directory, ../daemon, ../client), and the installed\n"
		"  %s and %s.\n"
		"The plugin directory: --plugin-dir, else $REKAM_BUILDDIR/plugins/built,\n"
		"else plugins/built of the build tree rekamd was found in, else\n"
		"  %s/plugins.\n"
		"\n"
		"Environment:\n"
		"  REKAM_BUILDDIR       a build tree to take the programs and plugins from\n"
		"  REKAM_DBUS_DAEMON    the dbus-daemon to run (default %s)\n"
		"  TMPDIR               where the temporary directory is made (default /tmp)\n"
		"\n"
		"Signals:\n"
		"  SIGINT, SIGTERM, SIGHUP   stop the station; with COMMAND, the signal is\n"
		"                            passed on to it first and the station stops when\n"
		"                            it has exited\n"
		"\n"
		"Exit status:\n"
		"  0        the station ran and stopped cleanly (without COMMAND)\n"
		"  N        with COMMAND: its exit status, or 128+S when signal S killed it\n"
		"  64       invalid command line\n"
		"  69       the station did not come up: a program is missing, or the bus, a\n"
		"           simulator or rekamd did not start, or a device was still absent\n"
		"           30 s after rekamd started; what failed and its log are shown on\n"
		"           standard error (no card reader is not a failure)\n"
		"  70       rekamd exited by itself while the station ran, or did not stop\n"
		"           cleanly (a non-zero exit status, or SIGKILL after 10 s); the last\n"
		"           %d lines of its log are shown (with COMMAND: only instead of 0)\n"
		"  71       a system error (fork, pipe, ...)\n"
		"  73       the station directory cannot be created\n"
		"  126, 127 COMMAND could not be run: not executable, not found\n"
		"  128+S    signal S arrived while the station was starting\n"
		"\n"
		"Examples:\n"
		"  " PROG "                 # a station until Ctrl-C\n"
		"  " PROG " --time-scale 0.01 -- sh -c \\\n"
		"      'rekamctl --address \"$REKAM_BUS_ADDRESS\" capture sigpad0'\n"
		"  " PROG " -- sh -c 'printf \"pen-timeout\\n\" |\n"
		"      socat - UNIX-CONNECT:\"$REKAM_SIGPAD_CONTROL\";\n"
		"      rekamctl --session capture sigpad0'\n"
		"  " PROG " --no-card -- sh -c 'echo jam |\n"
		"      socat - UNIX-CONNECT:\"$REKAM_PRINTER_CONTROL\"; rekamctl --session devices'\n",
		SBINDIR, BINDIR, PKGLIBDIR, DBUS_DAEMON, LOG_TAIL_LINES);
}

static void try_help(void)
{
	fputs("Try '" PROG " --help' for more information.\n", stderr);
}

/* --- command line ---------------------------------------------------------------- */

enum {
	OPT_SEED = 0x100,
	OPT_TIME_SCALE,
	OPT_STATION_ID,
	OPT_OFFICE_HOURS,
	OPT_NO_REKAMD,
	OPT_LOCK_WAIT,
	OPT_BINDIR,
	OPT_PLUGIN_DIR,
	OPT_NO_CARD,
};

static bool valid_seed(const char *s)
{
	char *end;

	if (!*s || *s == '-' || *s == '+')
		return false;
	errno = 0;
	(void)strtoull(s, &end, 10);
	return !errno && !*end;
}

static bool valid_scale(const char *s)
{
	char *end;
	double x;

	errno = 0;
	x = strtod(s, &end);
	return *s && !errno && !*end && x >= 0.0 && x <= 1000.0;
}

/* 0 to go on, 1 after --help/--version, or EX_USAGE. */
static int parse_args(struct options *opt, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "dir", required_argument, NULL, 'd' },
		{ "keep", no_argument, NULL, 'k' },
		{ "seed", required_argument, NULL, OPT_SEED },
		{ "time-scale", required_argument, NULL, OPT_TIME_SCALE },
		{ "station-id", required_argument, NULL, OPT_STATION_ID },
		{ "office-hours", required_argument, NULL, OPT_OFFICE_HOURS },
		{ "bindir", required_argument, NULL, OPT_BINDIR },
		{ "plugin-dir", required_argument, NULL, OPT_PLUGIN_DIR },
		{ "no-card", no_argument, NULL, OPT_NO_CARD },
		{ "no-rekamd", no_argument, NULL, OPT_NO_REKAMD },
		{ "lock-wait", required_argument, NULL, OPT_LOCK_WAIT },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	opt->station_id = STATION_ID_DEFAULT;
	opt->office_hours = OFFICE_HOURS_DEFAULT;
	opt->lock_wait_s = PCSCD_LOCK_WAIT_S;
	/* "+": stop at the first non-option, which starts COMMAND */
	while ((c = getopt_long(argc, argv, "+d:kvhV", longopts, NULL)) != -1) {
		switch (c) {
		case 'd':
			if (!*optarg) {
				err("--dir needs a directory");
				return EX_USAGE;
			}
			opt->dir = optarg;
			break;
		case 'k':
			opt->keep = true;
			break;
		case OPT_SEED:
			if (!valid_seed(optarg)) {
				err("invalid --seed '%s': expected a number from 0 to 2^64-1", optarg);
				return EX_USAGE;
			}
			opt->seed = optarg;
			break;
		case OPT_TIME_SCALE:
			if (!valid_scale(optarg)) {
				err("invalid --time-scale '%s': expected a number from 0 to 1000",
					optarg);
				return EX_USAGE;
			}
			opt->time_scale = optarg;
			break;
		case OPT_STATION_ID:
			if (!*optarg || strpbrk(optarg, "\n\r")) {
				err("invalid --station-id '%s'", optarg);
				return EX_USAGE;
			}
			opt->station_id = optarg;
			break;
		case OPT_OFFICE_HOURS:
			if (strlen(optarg) != 11 || strspn(optarg, "0123456789:-") != 11 ||
					optarg[2] != ':' || optarg[5] != '-' || optarg[8] != ':') {
				err("invalid --office-hours '%s': expected HH:MM-HH:MM", optarg);
				return EX_USAGE;
			}
			opt->office_hours = optarg;
			break;
		case OPT_BINDIR:
			opt->bindir = optarg;
			break;
		case OPT_PLUGIN_DIR:
			opt->plugin_dir = optarg;
			break;
		case OPT_NO_CARD:
			opt->no_card = true;
			break;
		case OPT_NO_REKAMD:
			opt->no_rekamd = true;
			break;
		case OPT_LOCK_WAIT: {
			char *end;
			unsigned long v = strtoul(optarg, &end, 10);

			if (!*optarg || *end || v > 3600) {
				err("invalid --lock-wait '%s': expected seconds from 0 to 3600", optarg);
				return EX_USAGE;
			}
			opt->lock_wait_s = (unsigned int)v;
			break;
		}
		case 'v':
			opt->verbose = true;
			break;
		case 'h':
			usage(stdout);
			return 1;
		case 'V':
			printf(PROG " %s\n", PACKAGE_VERSION);
			return 1;
		default:
			return EX_USAGE; /* getopt_long() has said why */
		}
	}
	if (optind < argc) {
		/* "--" ends the options; a COMMAND without it is accepted too */
		opt->command = &argv[optind];
	}
	return 0;
}

/* --- the directory -------------------------------------------------------------- */

static int make_dir(struct station *st)
{
	const char *tmp = getenv("TMPDIR");
	char *templ, cwd[PATH_MAX], *real;

	if (st->opt.dir) {
		if (mkdir(st->opt.dir, 0700) < 0 && errno != EEXIST) {
			err("cannot create %s: %s", st->opt.dir, strerror(errno));
			return EX_CANTCREAT;
		}
		real = realpath(st->opt.dir, NULL);
		if (!real || !is_dir(real)) {
			err("%s is not a directory", st->opt.dir);
			free(real);
			return EX_CANTCREAT;
		}
		st->dir = real;
	} else {
		templ = xasprintf("%s/rekam-station.XXXXXX", tmp && *tmp ? tmp : "/tmp");
		if (!mkdtemp(templ)) {
			err("cannot create a directory like %s: %s", templ, strerror(errno));
			free(templ);
			return EX_CANTCREAT;
		}
		st->temporary = true;
		if (templ[0] != '/' && getcwd(cwd, sizeof(cwd))) {
			st->dir = xasprintf("%s/%s", cwd, templ);
			free(templ);
		} else {
			st->dir = templ;
		}
	}
	/* the longest socket path is DIR/dbus-XXXXXXXXXX or DIR/KEY.control */
	if (strlen(st->dir) + 24 >= sizeof(((struct sockaddr_un *)NULL)->sun_path)) {
		err("the directory %s is too long for Unix socket paths; use a shorter --dir "
			"or TMPDIR", st->dir);
		return EX_USAGE;
	}
	info("station directory %s", st->dir);
	return 0;
}

static int remove_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	if (remove(path) < 0 && errno != ENOENT)
		err("cannot remove %s: %s", path, strerror(errno));
	return 0;
}

static void remove_dir(struct station *st)
{
	if (!st->dir)
		return;
	if (!st->temporary || st->opt.keep) {
		if (st->temporary)
			err("kept the station directory %s", st->dir);
		return;
	}
	nftw(st->dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* --- the bus ---------------------------------------------------------------------- */

static int start_bus(struct station *st)
{
	char *listen = xasprintf("--address=unix:dir=%s", st->dir);
	char *argv[] = { st->dbus_daemon, "--session", "--nofork", "--nopidfile", "--nosyslog",
		"--print-address=3", listen, NULL };
	char buf[1024];
	size_t len = 0;
	uint64_t deadline;
	int fds[2], log, status = 0;
	ssize_t n;

	if (pipe2(fds, O_CLOEXEC) < 0) {
		err("cannot make a pipe: %s", strerror(errno));
		free(listen);
		return EX_OSERR;
	}
	log = open_log(st->dir, "bus.log");
	st->bus.what = "dbus-daemon";
	st->bus.pid = spawn(argv, log, log, fds[1], true);
	close(fds[1]);
	if (log >= 0)
		close(log);
	free(listen);
	if (st->bus.pid < 0) {
		st->bus.pid = 0;
		close(fds[0]);
		return EX_OSERR;
	}

	/* dbus-daemon writes its address and a newline once it listens */
	deadline = now_ms() + START_TIMEOUT_MS;
	while (!memchr(buf, '\n', len) && len < sizeof(buf) - 1 && !stop_signal) {
		struct pollfd pfd = { .fd = fds[0], .events = POLLIN };

		if (now_ms() >= deadline)
			break;
		if (poll(&pfd, 1, POLL_MS) == 0) {
			nap(0);
			continue;
		}
		n = read(fds[0], buf + len, sizeof(buf) - 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	close(fds[0]);
	buf[len] = '\0';
	if (stop_signal)
		return 128 + stop_signal;
	if (!strchr(buf, '\n') || buf[0] == '\n') {
		err("dbus-daemon did not start (no address within %d s)", START_TIMEOUT_MS / 1000);
		show_log(st, "bus.log", LOG_TAIL_LINES);
		return EX_UNAVAILABLE;
	}
	*strchr(buf, '\n') = '\0';
	st->address = xstrdup(buf);
	info("dbus-daemon (pid %d) at %s", (int)st->bus.pid, st->address);
	if (setenv("DBUS_SESSION_BUS_ADDRESS", st->address, 1) < 0)
		status = EX_OSERR;
	return status;
}

/* --- the station's variables ------------------------------------------------------ */

/* KEY in upper case, as in REKAM_SIGPAD_CONTROL. */
static char *upper(const char *key)
{
	char *s = xstrdup(key), *p;

	for (p = s; *p; p++)
		*p = (*p >= 'a' && *p <= 'z') ? (char)(*p - 'a' + 'A') : (*p == '-' ? '_' : *p);
	return s;
}

/* NAME='VALUE' on stdout, quoted for a POSIX shell; and in our environment. */
static void put_var(const char *name, const char *value)
{
	const char *p;

	printf("%s='", name);
	for (p = value; *p; p++) {
		if (*p == '\'')
			fputs("'\\''", stdout);
		else
			putchar(*p);
	}
	puts("'");
	if (setenv(name, value, 1) < 0)
		xmalloc_fail();
}

static void put_pid(const char *name, pid_t pid)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%d", (int)pid);
	printf("%s=%s\n", name, buf);
	if (setenv(name, buf, 1) < 0)
		xmalloc_fail();
}

/* "DIR:" prepended to $PATH unless it is the first entry already. */
static void prepend_path(const char *program)
{
	const char *path = getenv("PATH");
	char *dir, *slash, *value;
	size_t len;

	if (!program)
		return;
	dir = xstrdup(program);
	slash = strrchr(dir, '/');
	if (slash) {
		*slash = '\0';
		len = strlen(dir);
		if (!path || strncmp(path, dir, len) != 0 || (path[len] != ':' && path[len])) {
			value = path && *path ? xasprintf("%s:%s", dir, path) : xstrdup(dir);
			setenv("PATH", value, 1);
			free(value);
		}
	}
	free(dir);
}

static void announce(struct station *st)
{
	char *name, *value;
	size_t i;

	put_var("REKAM_BUS_ADDRESS", st->address);
	put_var("REKAM_STATION_DIR", st->dir);
	for (i = 0; i < N_SIMS; i++) {
		if (!st->sims[i].child.pid)
			continue;
		name = upper(sim_kinds[i].key);
		value = xasprintf("REKAM_%s_CONTROL", name);
		free(name);
		name = xasprintf("%s/%s.control", st->dir, sim_kinds[i].key);
		put_var(value, name);
		free(value);
		free(name);
	}
	value = xasprintf("%s/state", st->dir);
	put_var("REKAM_STATE_DIR", value);
	free(value);
	if (st->sims[SIM_CENTRAL].child.pid) {
		value = xasprintf("https://127.0.0.1:%u/v1", st->sims[SIM_CENTRAL].port[0]);
		put_var("REKAM_CENTRAL_URL", value);
		free(value);
	}
	if (st->sims[SIM_PRINTER].child.pid) {
		value = xasprintf("%s/printed", st->dir);
		put_var("REKAM_PRINTER_OUTPUT", value);
		free(value);
	}
	if (st->pcscd.pid)
		put_pid("REKAM_VPCD_PORT", (pid_t)st->vpcd_port);
	if (st->opt.no_rekamd) {
		/* what it takes to run rekamd in this station */
		put_var("REKAMD", st->rekamd);
		value = xasprintf("%s/rekamd.conf", st->dir);
		put_var("REKAM_CONFIG", value);
		free(value);
		put_var("REKAM_PLUGIN_DIR", st->plugin_dir);
		if (getenv("SANE_CONFIG_DIR"))
			put_var("SANE_CONFIG_DIR", getenv("SANE_CONFIG_DIR"));
	} else {
		put_pid("REKAM_REKAMD_PID", st->rekamd_child.pid);
	}
	put_pid("REKAM_BUS_PID", st->bus.pid);
	if (st->pcscd.pid)
		put_pid("REKAM_PCSCD_PID", st->pcscd.pid);
	for (i = 0; i < N_SIMS; i++) {
		if (!st->sims[i].child.pid)
			continue;
		name = upper(sim_kinds[i].key);
		value = xasprintf("REKAM_%s_PID", name);
		put_pid(value, st->sims[i].child.pid);
		free(value);
		free(name);
	}
	announce_devices(st);
	printf("# try: %s --address \"$REKAM_BUS_ADDRESS\" devices\n",
		st->rekamctl ? st->rekamctl : "rekamctl");
	fflush(stdout);

	/* for COMMAND */
	setenv("REKAMD", st->rekamd, 1);
	if (st->rekamctl)
		setenv("REKAMCTL", st->rekamctl, 1);
	for (i = N_SIMS; i-- > 0;)
		prepend_path(st->sims[i].path);
	prepend_path(st->rekamd);
	prepend_path(st->rekamctl);
}

/* --- running ---------------------------------------------------------------------- */

/* Did a daemon of the station exit by itself? Says so once. */
static bool station_broke(struct station *st)
{
	struct child *all[N_SIMS + 3];
	char how[64];
	size_t i, n = 0;

	all[n++] = &st->rekamd_child;
	all[n++] = &st->bus;
	if (st->pcscd.pid)
		all[n++] = &st->pcscd;
	for (i = 0; i < N_SIMS; i++)
		if (st->sims[i].child.pid)
			all[n++] = &st->sims[i].child;
	for (i = 0; i < n; i++) {
		if (!child_exited(all[i]))
			continue;
		describe_status(all[i]->status, how, sizeof(how));
		err("%s (pid %d) exited by itself: %s", all[i]->what, (int)all[i]->pid, how);
		if (all[i] == &st->rekamd_child)
			st->rekamd_failed = true;
		return true;
	}
	return false;
}

/* Without COMMAND: until a stopping signal, or until a daemon exits. */
static int run_until_signal(struct station *st)
{
	fprintf(stderr, PROG ": the station is up; press Ctrl-C to stop it\n");
	while (!stop_signal) {
		if (station_broke(st))
			return EX_SOFTWARE;
		nap(500);
	}
	info("signal %d (%s): stopping", stop_signal, strsignal(stop_signal));
	return 0;
}

/* COMMAND in our process group; its status (126/127 when it cannot run). */
static int run_command(struct station *st)
{
	struct child cmd = { .what = st->opt.command[0] };
	bool broke = false;
	int sig;

	info("running %s", st->opt.command[0]);
	cmd.pid = spawn(st->opt.command, -1, -1, -1, false);
	if (cmd.pid < 0)
		return EX_OSERR;
	while (!child_exited(&cmd)) {
		if (!broke)
			broke = station_broke(st);
		sig = nap(POLL_MS * 2);
		/* a Ctrl-C on the terminal has reached it too; a kill(1) has not */
		if (sig == SIGINT || sig == SIGTERM || sig == SIGHUP)
			kill(cmd.pid, sig);
	}
	if (WIFEXITED(cmd.status))
		return WEXITSTATUS(cmd.status);
	if (WIFSIGNALED(cmd.status))
		return 128 + WTERMSIG(cmd.status);
	return EX_SOFTWARE;
}

/* --- stopping --------------------------------------------------------------------- */

static void stop_station(struct station *st)
{
	char how[64];
	size_t i;

	if (st->rekamd_child.pid) {
		bool exited_before = st->rekamd_child.exited;

		if (!stop_child(&st->rekamd_child, STOP_TIMEOUT_MS)) {
			st->rekamd_failed = true;
		} else if (!exited_before && (!WIFEXITED(st->rekamd_child.status) ||
				WEXITSTATUS(st->rekamd_child.status) != 0)) {
			describe_status(st->rekamd_child.status, how, sizeof(how));
			err("rekamd did not stop cleanly: %s", how);
			st->rekamd_failed = true;
		}
		if (st->rekamd_failed)
			show_log(st, "rekamd.log", LOG_TAIL_LINES);
	}
	for (i = N_SIMS; i-- > 0;)
		stop_child(&st->sims[i].child, HELPER_STOP_TIMEOUT_MS);
	stop_pcscd(st);
	stop_child(&st->bus, HELPER_STOP_TIMEOUT_MS);
}

static void free_station(struct station *st)
{
	size_t i;

	free(st->dir);
	free(st->dbus_daemon);
	free(st->rekamd);
	free(st->rekamctl);
	free(st->plugin_dir);
	free(st->address);
	for (i = 0; i < N_SIMS; i++) {
		free(st->sims[i].path);
		free(st->sims[i].escl);
	}
}

/* --- main ------------------------------------------------------------------------- */

static int start_station(struct station *st)
{
	size_t i;
	int status;

	status = start_bus(st);
	if (!status)
		status = start_pcscd(st);
	for (i = 0; i < N_SIMS && !status; i++)
		if (st->sims[i].path)
			status = start_sim(st, (enum sim_id)i);
	if (!status)
		status = write_config(st);
	if (!status && !st->opt.no_rekamd)
		status = start_rekamd(st);
	if (!status && !st->opt.no_rekamd)
		status = wait_for_station(st);
	return status;
}

int main(int argc, char **argv)
{
	struct station st = { .pcscd_lock = -1 };
	int status;

	status = parse_args(&st.opt, argc, argv);
	if (status) {
		if (status == EX_USAGE)
			try_help();
		return status == 1 ? EX_OK : status;
	}
	verbose = st.opt.verbose;
	setup_signals();
	/* the station's rekamd must not talk to a service manager of ours */
	unsetenv("NOTIFY_SOCKET");
	unsetenv("WATCHDOG_USEC");
	unsetenv("WATCHDOG_PID");

	status = find_programs(&st, argv[0]);
	if (!status)
		status = make_dir(&st);
	if (!status)
		status = start_station(&st);
	if (!status) {
		announce(&st);
		status = st.opt.command ? run_command(&st) : run_until_signal(&st);
	} else if (status > 128) {
		err("interrupted by signal %d while starting", status - 128);
	}

	stop_station(&st);
	if (st.rekamd_failed && status == 0)
		status = EX_SOFTWARE;
	remove_dir(&st);
	free_station(&st);
	dbus_shutdown();
	return status;
}
