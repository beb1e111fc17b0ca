/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * rekam - test support
 *
 * simcentral.h - rekam-sim-central for the C tests and benchmarks: make a
 * test PKI, start the simulator on a free loopback port with a control
 * socket, talk to that socket, read its counters, stop it.
 */
#pragma once

#include <sys/types.h>

struct simcentral {
	char dir[256];  /* the test's temporary directory */
	char pki[300];  /* dir/pki: ca.pem, station1.pem/.key, enc.pem, ... */
	char ctl[100];  /* the control socket */
	char url[128];  /* https://127.0.0.1:PORT/v1 */
	pid_t pid;
};

/* The simulator binary: $top_builddir/simulators/rekam-sim-central. */
const char *simcentral_path(void);

/* Make dir/pki and start the simulator with @time_scale; 0 or -1 with a
 * message on stderr. */
int simcentral_start(struct simcentral *s, const char *dir, const char *time_scale);
void simcentral_stop(struct simcentral *s);

/* One control line; the answer line (static buffer), "" when none. */
const char *simcentral_ctl(struct simcentral *s, const char *line);

/* A counter of the status line ("submitted"), -1 when absent. */
long simcentral_counter(struct simcentral *s, const char *name);

/* Make a second, unrelated PKI in @dir (for a certificate nobody trusts). */
int simcentral_make_pki(const char *dir);
