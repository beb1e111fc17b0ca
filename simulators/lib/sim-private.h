/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * rekam - device simulators
 *
 * sim-private.h - the simulator state shared by the library's own files
 * (sim-main.c, sim-device.c, sim-control.c); simulators use sim.h only.
 */
#pragma once

#include <stdio.h>

#include <event2/bufferevent.h>
#include <event2/listener.h>

#include "simulators/lib/sim.h"

#define SIM_CONTROL_LINE_MAX 1024
#define SIM_FAIL_CODE_MAX 32

struct sim_client {
	struct sim *sim;
	struct bufferevent *bev;
	struct sim_line_reader reader;
	bool closing; /* close once the answer is sent */
	struct sim_client *next;
};

struct sim {
	const struct sim_descriptor *desc;
	void *priv;
	struct event_base *base;
	struct event *sigterm;
	struct event *sigint;

	/* command line */
	char *socket_path;
	char *control_path;
	uint64_t seed;
	double time_scale;
	bool verbose;

	struct sim_rng rng;

	/* faults set on the control socket */
	unsigned int delay_ms;
	int quality;
	char fail_code[SIM_FAIL_CODE_MAX + 1];

	/* device endpoint */
	struct evconnlistener *dev_listener;
	struct bufferevent *dev_bev;     /* the one host */
	struct bufferevent *dev_closing; /* flushing before close */
	unsigned long connections;

	/* control socket */
	struct evconnlistener *ctl_listener;
	struct sim_client *clients;
	bool quitting;
};

/* sim-device.c */
int sim_device_open(struct sim *sim);
void sim_device_close(struct sim *sim);

/* sim-control.c */
int sim_control_open(struct sim *sim);
void sim_control_close(struct sim *sim);
void sim_control_help(const struct sim *sim, FILE *out);

/* sim-main.c */
int sim_unix_listen(struct sim *sim, const char *path, evconnlistener_cb cb, void *arg,
		struct evconnlistener **out);
void sim_quit(struct sim *sim);
/* One --help entry: left column, then text wrapped at 79 columns. */
void sim_help_item(FILE *out, const char *left, const char *text);
