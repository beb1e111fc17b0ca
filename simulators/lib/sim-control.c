// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * rekam - device simulators
 *
 * sim-control.c - the control socket: a Unix stream socket for tests and
 * fault injection. Several clients at once, one command per line (at most
 * SIM_CONTROL_LINE_MAX bytes), one answer line each: "OK [text]" or
 * "ERR <reason>". The common commands live here; a simulator adds its own
 * through its sim_command table.
 */
#include <config.h>

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "simulators/lib/sim-private.h"

#define ANSWER_MAX 512

/* --- the common commands ---------------------------------------------------------- */

static int cmd_help(struct sim *sim, const char *arg, char *out, size_t outlen);

static int cmd_status(struct sim *sim, const char *arg, char *out, size_t outlen)
{
	struct evbuffer *buf = evbuffer_new();
	size_t n;

	if (!buf)
		return -ENOMEM;
	evbuffer_add_printf(buf, "plugged=%s connected=%s connections=%lu seed=%llu "
			"time-scale=%g delay=%u quality=%d fail=%s",
			sim->dev_listener ? "yes" : "no", sim->dev_bev ? "yes" : "no",
			sim->connections, (unsigned long long)sim->seed, sim->time_scale,
			sim->delay_ms, sim->quality, sim->fail_code[0] ? sim->fail_code : "none");
	if (sim->desc->ops && sim->desc->ops->status)
		sim->desc->ops->status(sim, buf);
	n = evbuffer_get_length(buf);
	if (n >= outlen)
		n = outlen - 1;
	evbuffer_remove(buf, out, n);
	out[n] = '\0';
	evbuffer_free(buf);
	return 0;
}

static int cmd_unplug(struct sim *sim, const char *arg, char *out, size_t outlen)
{
	if (!sim->dev_listener) {
		snprintf(out, outlen, "already unplugged");
		return -EALREADY;
	}
	sim_device_unplug(sim);
	snprintf(out, outlen, "unplugged");
	return 0;
}

static int cmd_replug(struct sim *sim, const char *arg, char *out, size_t outlen)
{
	int r = sim_device_replug(sim);

	if (r == -EALREADY) {
		snprintf(out, outlen, "already plugged");
		return r;
	}
	if (r < 0) {
		snprintf(out, outlen, "cannot listen on %s: %s", sim->socket_path, strerror(-r));
		return r;
	}
	snprintf(out, outlen, "plugged");
	return 0;
}

static int cmd_delay(struct sim *sim, const char *arg, char *out, size_t outlen)
{
	uint64_t v;

	if (sim_parse_uint(arg, 0, 600000, &v) < 0) {
		snprintf(out, outlen, "delay wants milliseconds from 0 to 600000");
		return -EINVAL;
	}
	sim->delay_ms = (unsigned int)v;
	snprintf(out, outlen, "delay=%u", sim->delay_ms);
	return 0;
}

static int cmd_fail(struct sim *sim, const char *arg, char *out, size_t outlen)
{
	size_t i, n = strlen(arg);

	for (i = 0; i < n; i++)
		if (!isalnum((unsigned char)arg[i]) && !strchr("-_.", arg[i]))
			break;
	if (n > SIM_FAIL_CODE_MAX || i < n) {
		snprintf(out, outlen, "CODE is 1-%d letters, digits, '-', '_' or '.'",
				SIM_FAIL_CODE_MAX);
		return -EINVAL;
	}
	memcpy(sim->fail_code, arg, n + 1);
	snprintf(out, outlen, "fail=%s", sim->fail_code);
	return 0;
}

static int cmd_quality(struct sim *sim, const char *arg, char *out, size_t outlen)
{
	uint64_t v;

	if (sim_parse_uint(arg, 0, 100, &v) < 0) {
		snprintf(out, outlen, "quality wants a number from 0 to 100");
		return -EINVAL;
	}
	sim->quality = (int)v;
	snprintf(out, outlen, "quality=%d", sim->quality);
	return 0;
}

static int cmd_seed(struct sim *sim, const char *arg, char *out, size_t outlen)
{
	uint64_t v;

	if (sim_parse_uint(arg, 0, UINT64_MAX, &v) < 0) {
		snprintf(out, outlen, "seed wants an unsigned 64-bit number");
		return -EINVAL;
	}
	sim->seed = v;
	sim_rng_seed(&sim->rng, v);
	if (sim->desc->ops && sim->desc->ops->reseeded)
		sim->desc->ops->reseeded(sim);
	snprintf(out, outlen, "seed=%llu", (unsigned long long)v);
	return 0;
}

static int cmd_quit(struct sim *sim, const char *arg, char *out, size_t outlen)
{
	sim->quitting = true;
	snprintf(out, outlen, "bye");
	return 0;
}

static const struct sim_command common_commands[] = {
	{ "help", SIM_ARG_NONE, NULL, "list the commands", cmd_help },
	{ "status", SIM_ARG_NONE, NULL,
		"the simulator's state as key=value pairs on one line", cmd_status },
	{ "unplug", SIM_ARG_NONE, NULL,
		"the device disappears: the host connection is closed and the device socket "
		"removed until replug", cmd_unplug },
	{ "replug", SIM_ARG_NONE, NULL, "the device comes back (the socket is created again)",
		cmd_replug },
	{ "delay", SIM_ARG_REQUIRED, "MS",
		"wait MS real milliseconds (not scaled) before every answer of the device; "
		"0 turns it off", cmd_delay },
	{ "fail", SIM_ARG_REQUIRED, "CODE",
		"the next device operation fails with error code CODE", cmd_fail },
	{ "quality", SIM_ARG_REQUIRED, "N", "sensor quality from 0 to 100 (default 100)",
		cmd_quality },
	{ "seed", SIM_ARG_REQUIRED, "N",
		"reseed the generator: what follows is as after --seed N", cmd_seed },
	{ "quit", SIM_ARG_NONE, NULL, "answer, then stop the simulator (exit status 0)",
		cmd_quit },
	{ NULL },
};

static int cmd_help(struct sim *sim, const char *arg, char *out, size_t outlen)
{
	const struct sim_command *tables[] = { common_commands, sim->desc->commands };
	const struct sim_command *c;
	const char *sep = " ";
	size_t len, i;

	len = (size_t)snprintf(out, outlen, "commands:");
	for (i = 0; i < 2; i++) {
		for (c = tables[i]; c && c->name && len < outlen; c++) {
			len += (size_t)snprintf(out + len, outlen - len, "%s%s%s%s", sep, c->name,
					c->arg_help ? " " : "", c->arg_help ? c->arg_help : "");
			sep = ", ";
		}
	}
	return 0;
}

void sim_control_help(const struct sim *sim, FILE *out)
{
	const struct sim_command *tables[] = { common_commands, sim->desc->commands };
	const struct sim_command *c;
	char left[40];
	size_t i;

	fprintf(out,
		"Control socket:\n"
		"  One command per line (at most %d bytes; a longer line is answered\n"
		"  \"ERR line too long\" and discarded), one answer line each: \"OK [text]\" or\n"
		"  \"ERR <reason>\". Several clients may be connected at once.\n",
		SIM_CONTROL_LINE_MAX);
	for (i = 0; i < 2; i++) {
		for (c = tables[i]; c && c->name; c++) {
			snprintf(left, sizeof(left), "%s%s%s%s%s", c->name, c->arg_help ? " " : "",
					c->arg == SIM_ARG_OPTIONAL ? "[" : "",
					c->arg_help ? c->arg_help : "",
					c->arg == SIM_ARG_OPTIONAL ? "]" : "");
			sim_help_item(out, left, c->help);
		}
	}
}

/* --- clients -------------------------------------------------------------------------- */

static const struct sim_command *find_command(const struct sim *sim, const char *name)
{
	const struct sim_command *tables[] = { common_commands, sim->desc->commands };
	const struct sim_command *c;
	size_t i;

	for (i = 0; i < 2; i++)
		for (c = tables[i]; c && c->name; c++)
			if (strcmp(c->name, name) == 0)
				return c;
	return NULL;
}

static void answer(struct sim_client *cl, bool ok, const char *text)
{
	struct evbuffer *out = bufferevent_get_output(cl->bev);

	evbuffer_add_printf(out, "%s%s%s\n", ok ? "OK" : "ERR", *text ? " " : "", text);
	sim_debug("control: %s%s%s", ok ? "OK" : "ERR", *text ? " " : "", text);
}

static void execute(struct sim_client *cl, char *line)
{
	struct sim *sim = cl->sim;
	const struct sim_command *c;
	char out[ANSWER_MAX] = "";
	char *name, *arg;
	int r;

	if (sim_line_split(line, &name, &arg) < 0)
		return; /* blank lines are ignored */
	sim_debug("control: <- %s%s%s", name, arg ? " " : "", arg ? arg : "");
	c = find_command(sim, name);
	if (!c) {
		snprintf(out, sizeof(out), "unknown command '%.64s' (try help)", name);
		answer(cl, false, out);
		return;
	}
	if (c->arg == SIM_ARG_NONE && arg) {
		snprintf(out, sizeof(out), "%s takes no argument", c->name);
		answer(cl, false, out);
		return;
	}
	if (c->arg == SIM_ARG_REQUIRED && !arg) {
		snprintf(out, sizeof(out), "usage: %s %s", c->name, c->arg_help);
		answer(cl, false, out);
		return;
	}
	if (c->run) {
		r = c->run(sim, arg, out, sizeof(out));
	} else {
		*c->arm = true;
		snprintf(out, sizeof(out), "%s", c->armed);
		r = 0;
	}
	if (r < 0 && !out[0])
		snprintf(out, sizeof(out), "%s", strerror(-r));
	answer(cl, r >= 0, out);
}

static void client_free(struct sim_client *cl)
{
	struct sim_client **p;

	for (p = &cl->sim->clients; *p; p = &(*p)->next) {
		if (*p == cl) {
			*p = cl->next;
			break;
		}
	}
	bufferevent_free(cl->bev);
	free(cl);
}

static void client_read_cb(struct bufferevent *bev, void *arg)
{
	struct sim_client *cl = arg;
	struct sim *sim = cl->sim;
	char *line;
	int r;

	while (!cl->closing && !sim->quitting) {
		r = sim_line_read(&cl->reader, bufferevent_get_input(bev), &line);
		if (r == 0)
			break;
		if (r == -E2BIG) {
			answer(cl, false, "line too long");
			continue;
		}
		if (r < 0) {
			answer(cl, false, "out of memory");
			cl->closing = true;
			break;
		}
		execute(cl, line);
		free(line);
	}
	if (sim->quitting)
		bufferevent_disable(bev, EV_READ);
}

static void client_write_cb(struct bufferevent *bev, void *arg)
{
	struct sim_client *cl = arg;
	struct sim *sim = cl->sim;

	if (evbuffer_get_length(bufferevent_get_output(bev)) > 0)
		return;
	if (sim->quitting) {
		sim_quit(sim);
		return;
	}
	if (cl->closing)
		client_free(cl);
}

static void client_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct sim_client *cl = arg;

	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR)) {
		if (cl->sim->quitting)
			sim_quit(cl->sim);
		client_free(cl);
	}
}

static void accept_cb(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa,
		int socklen, void *arg)
{
	struct sim *sim = arg;
	struct sim_client *cl = calloc(1, sizeof(*cl));

	if (!cl) {
		close(fd);
		return;
	}
	cl->bev = bufferevent_socket_new(sim->base, fd, BEV_OPT_CLOSE_ON_FREE);
	if (!cl->bev) {
		free(cl);
		close(fd);
		return;
	}
	cl->sim = sim;
	cl->reader.max = SIM_CONTROL_LINE_MAX;
	cl->next = sim->clients;
	sim->clients = cl;
	bufferevent_setcb(cl->bev, client_read_cb, client_write_cb, client_event_cb, cl);
	bufferevent_enable(cl->bev, EV_READ | EV_WRITE);
	sim_debug("control client connected");
}

int sim_control_open(struct sim *sim)
{
	return sim_unix_listen(sim, sim->control_path, accept_cb, sim, &sim->ctl_listener);
}

void sim_control_close(struct sim *sim)
{
	while (sim->clients)
		client_free(sim->clients);
	if (sim->ctl_listener) {
		evconnlistener_free(sim->ctl_listener);
		sim->ctl_listener = NULL;
		unlink(sim->control_path);
	}
}
