// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * rekam - device simulators
 *
 * sim-main.c - what every simulator shares around its device: the common
 * command line (--socket, --control, --seed, --time-scale, --verbose),
 * --help and --version, the libevent loop, SIGTERM/SIGINT, and the Unix
 * socket listeners.
 */
#include <config.h>

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sysexits.h>
#include <unistd.h>

#include "simulators/lib/sim-private.h"

enum {
	OPT_SOCKET = 1000,
	OPT_CONTROL,
	OPT_SEED,
	OPT_TIME_SCALE,
	OPT_SPECIFIC, /* + index into desc->options */
};

static void usage(const struct sim *sim, FILE *out)
{
	const struct sim_descriptor *d = sim->desc;
	const struct sim_option *o;
	char left[64];

	fprintf(out,
		"Usage: %s --socket PATH --control PATH [OPTION]...\n"
		"\n"
		"%s\n"
		"\n"
		"%s\n"
		"\n"
		"Options:\n"
		"  -s, --socket=PATH      the device endpoint: a Unix stream socket the host\n"
		"                         (the rekamd plugin) connects to; required\n"
		"  -c, --control=PATH     the control socket for tests and fault injection;\n"
		"                         required\n"
		"      --seed=N           seed of every generated datum (default 1); the same\n"
		"                         seed and the same commands give the same bytes\n"
		"      --time-scale=X     multiply every device delay by X, a number from 0\n"
		"                         to %g (default 1.0; 0.01 turns 5 minutes into 3 s,\n"
		"                         0 removes the delays)\n"
		"  -v, --verbose          log every connection, command and reply to stderr\n"
		"  -V, --version          print the version and exit\n"
		"  -h, --help             print this help and exit\n",
		d->name, d->summary, d->description, SIM_TIME_SCALE_MAX);
	for (o = d->options; o && o->name; o++) {
		snprintf(left, sizeof(left), "    --%s%s%s", o->name, o->arg_help ? "=" : "",
				o->arg_help ? o->arg_help : "");
		sim_help_item(out, left, o->help);
	}
	fprintf(out,
		"\n"
		"Both sockets are created at start (a stale socket file at PATH is replaced)\n"
		"and removed at exit; the control socket is created last, so once it exists\n"
		"the simulator is ready.\n"
		"\n");
	if (d->protocol)
		fprintf(out, "Device protocol:\n%s\n", d->protocol);
	sim_control_help(sim, out);
	fprintf(out,
		"\n"
		"Signals:\n"
		"  SIGTERM, SIGINT        stop cleanly: close every connection, remove both\n"
		"                         sockets, exit 0\n"
		"\n"
		"Exit status:\n"
		"  0   stopped by a signal or by the control command quit\n"
		"  64  invalid command line\n"
		"  69  a socket could not be created (bad path, directory missing, in use)\n"
		"  71  out of memory or another system error\n");
	if (d->example)
		fprintf(out, "\nExample:\n%s", d->example);
	fprintf(out, "\nSee also: docs/device-protocol.md in the rekam sources.\n");
}

void sim_help_item(FILE *out, const char *left, const char *text)
{
	const int indent = 25, width = 79;
	int col, n;

	col = fprintf(out, "  %s", left);
	if (col >= indent - 1) {
		fputc('\n', out);
		col = 0;
	}
	while (*text) {
		n = (int)strcspn(text, " ");
		if (col > indent && col + 1 + n > width) {
			fputc('\n', out);
			col = 0;
		}
		if (col < indent)
			col += fprintf(out, "%*s", indent - col, "");
		else
			col += fprintf(out, " ");
		col += fprintf(out, "%.*s", n, text);
		text += n;
		while (*text == ' ')
			text++;
	}
	fputc('\n', out);
}

/* A simulator's own option: its set(), or a number into *number. */
static int set_option(struct sim *sim, const struct sim_option *o, const char *arg)
{
	uint64_t v;

	if (o->set)
		return o->set(sim, arg);
	if (!arg || sim_parse_uint(arg, o->min, o->max, &v) < 0)
		return -EINVAL;
	*o->number = (unsigned int)v;
	return 0;
}

static int parse_args(struct sim *sim, int argc, char **argv)
{
	static const struct option common[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "control", required_argument, NULL, 'c' },
		{ "seed", required_argument, NULL, OPT_SEED },
		{ "time-scale", required_argument, NULL, OPT_TIME_SCALE },
		{ "verbose", no_argument, NULL, 'v' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
	};
	const struct sim_descriptor *d = sim->desc;
	size_t ncommon = sizeof(common) / sizeof(common[0]), nspec = 0, i;
	struct option *opts;
	int c, r = 0;

	while (d->options && d->options[nspec].name)
		nspec++;
	opts = calloc(ncommon + nspec + 1, sizeof(*opts));
	if (!opts)
		return EX_OSERR;
	memcpy(opts, common, sizeof(common));
	for (i = 0; i < nspec; i++) {
		opts[ncommon + i].name = d->options[i].name;
		opts[ncommon + i].has_arg = d->options[i].arg_help ? required_argument : no_argument;
		opts[ncommon + i].val = OPT_SPECIFIC + (int)i;
	}

	while (r == 0 && (c = getopt_long(argc, argv, "s:c:vVh", opts, NULL)) != -1) {
		uint64_t v;

		switch (c) {
		case 's':
			sim->socket_path = optarg;
			break;
		case 'c':
			sim->control_path = optarg;
			break;
		case OPT_SEED:
			if (sim_parse_uint(optarg, 0, UINT64_MAX, &v) < 0) {
				fprintf(stderr, "%s: invalid --seed '%s'\n", d->name, optarg);
				r = EX_USAGE;
				break;
			}
			sim->seed = v;
			break;
		case OPT_TIME_SCALE:
			if (sim_clock_parse_scale(optarg, &sim->time_scale) < 0) {
				fprintf(stderr, "%s: invalid --time-scale '%s' (0 to %g)\n", d->name,
						optarg, SIM_TIME_SCALE_MAX);
				r = EX_USAGE;
			}
			break;
		case 'v':
			sim->verbose = true;
			break;
		case 'V':
			printf("%s %s\n", d->name, PACKAGE_VERSION);
			r = -1;
			break;
		case 'h':
			usage(sim, stdout);
			r = -1;
			break;
		default:
			if (c >= OPT_SPECIFIC && c < OPT_SPECIFIC + (int)nspec) {
				const struct sim_option *o = &d->options[c - OPT_SPECIFIC];

				if (set_option(sim, o, optarg) < 0) {
					fprintf(stderr, "%s: invalid --%s '%s'\n", d->name, o->name,
							optarg ? optarg : "");
					r = EX_USAGE;
				}
				break;
			}
			r = EX_USAGE;
			break;
		}
	}
	free(opts);
	if (r == EX_USAGE)
		fprintf(stderr, "Try '%s --help' for more information.\n", d->name);
	if (r)
		return r;
	if (optind < argc) {
		fprintf(stderr, "%s: unexpected argument '%s'\nTry '%s --help' for more information.\n",
				d->name, argv[optind], d->name);
		return EX_USAGE;
	}
	if (!sim->socket_path || !*sim->socket_path || !sim->control_path ||
			!*sim->control_path) {
		fprintf(stderr, "%s: --socket and --control are required\n"
				"Try '%s --help' for more information.\n", d->name, d->name);
		return EX_USAGE;
	}
	if (strcmp(sim->socket_path, sim->control_path) == 0) {
		fprintf(stderr, "%s: --socket and --control must differ\n", d->name);
		return EX_USAGE;
	}
	return 0;
}

int sim_unix_listen(struct sim *sim, const char *path, evconnlistener_cb cb, void *arg,
		struct evconnlistener **out)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct evconnlistener *l;
	struct stat st;

	if (strlen(path) >= sizeof(sun.sun_path))
		return -ENAMETOOLONG;
	strcpy(sun.sun_path, path);
	/* a socket left behind by a simulator that was killed */
	if (lstat(path, &st) == 0 && S_ISSOCK(st.st_mode))
		unlink(path);
	l = evconnlistener_new_bind(sim->base, cb, arg,
			LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, 16,
			(struct sockaddr *)&sun, sizeof(sun));
	if (!l)
		return errno ? -errno : -EIO;
	*out = l;
	return 0;
}

static void on_signal(evutil_socket_t fd, short what, void *arg)
{
	struct sim *sim = arg;

	sim_info("signal %d: stopping", (int)fd);
	event_base_loopbreak(sim->base);
}

void sim_quit(struct sim *sim)
{
	event_base_loopbreak(sim->base);
}

static int run(struct sim *sim)
{
	int r;

	sim->base = event_base_new();
	if (!sim->base)
		return EX_OSERR;
	sim->sigterm = evsignal_new(sim->base, SIGTERM, on_signal, sim);
	sim->sigint = evsignal_new(sim->base, SIGINT, on_signal, sim);
	if (!sim->sigterm || !sim->sigint || evsignal_add(sim->sigterm, NULL) < 0 ||
			evsignal_add(sim->sigint, NULL) < 0)
		return EX_OSERR;
	if (sim->desc->init) {
		r = sim->desc->init(sim);
		if (r < 0) {
			sim_err("cannot initialise: %s", strerror(-r));
			return r == -ENOMEM ? EX_OSERR : EX_SOFTWARE;
		}
	}
	r = sim_device_open(sim);
	if (r < 0) {
		sim_err("cannot listen on %s: %s", sim->socket_path, strerror(-r));
		return EX_UNAVAILABLE;
	}
	r = sim_control_open(sim);
	if (r < 0) {
		sim_err("cannot listen on %s: %s", sim->control_path, strerror(-r));
		return EX_UNAVAILABLE;
	}
	sim_info("ready: device %s, control %s, seed %llu, time scale %g", sim->socket_path,
			sim->control_path, (unsigned long long)sim->seed, sim->time_scale);
	event_base_dispatch(sim->base);
	return EX_OK;
}

int sim_main(const struct sim_descriptor *desc, void *priv, int argc, char **argv)
{
	struct sim sim = {
		.desc = desc,
		.priv = priv,
		.seed = 1,
		.time_scale = 1.0,
		.quality = 100,
	};
	int status;

	status = parse_args(&sim, argc, argv);
	if (status)
		return status < 0 ? EX_OK : status;
	sim_log_setup(desc->name, sim.verbose);
	sim_rng_seed(&sim.rng, sim.seed);
	signal(SIGPIPE, SIG_IGN);

	status = run(&sim);

	sim_control_close(&sim);
	sim_device_close(&sim);
	if (desc->fini)
		desc->fini(&sim);
	if (sim.sigterm)
		event_free(sim.sigterm);
	if (sim.sigint)
		event_free(sim.sigint);
	if (sim.base)
		event_base_free(sim.base);
	libevent_global_shutdown();
	return status;
}

/* --- accessors ------------------------------------------------------------------ */

void *sim_priv(struct sim *sim)
{
	return sim->priv;
}

struct event_base *sim_base(struct sim *sim)
{
	return sim->base;
}

struct sim_rng *sim_rng(struct sim *sim)
{
	return &sim->rng;
}

uint64_t sim_seed(const struct sim *sim)
{
	return sim->seed;
}

double sim_time_scale(const struct sim *sim)
{
	return sim->time_scale;
}

void sim_scaled_tv(const struct sim *sim, uint64_t ms, struct timeval *tv)
{
	sim_clock_scaled_tv(sim->time_scale, ms, tv);
}

unsigned int sim_reply_delay_ms(const struct sim *sim)
{
	return sim->delay_ms;
}

int sim_quality(const struct sim *sim)
{
	return sim->quality;
}

bool sim_take_failure(struct sim *sim, char *code, size_t len)
{
	if (!sim->fail_code[0])
		return false;
	snprintf(code, len, "%s", sim->fail_code);
	sim->fail_code[0] = '\0';
	return true;
}
