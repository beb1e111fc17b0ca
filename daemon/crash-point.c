// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * rekam - KTP-el recording station daemon
 *
 * crash-point.c - the named points where crash tests kill rekamd (see
 * crash-point.h). The variable is read once; a point that fires logs its
 * name on standard error first, so a test can tell it fired.
 */
#include <config.h>

#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon/crash-point.h"

static bool loaded;
static char wanted[96];
static long countdown = 1; /* fire at the Nth time */

static void load(void)
{
	const char *v = getenv("REKAM_CRASH_POINT");
	char *colon;

	loaded = true;
	if (!v || !*v)
		return;
	snprintf(wanted, sizeof(wanted), "%s", v);
	colon = strchr(wanted, ':');
	if (colon) {
		*colon = '\0';
		countdown = strtol(colon + 1, NULL, 10);
		if (countdown < 1)
			countdown = 1;
	}
}

void rk_crash_point(const char *name)
{
	char line[160];
	int len;

	if (!loaded)
		load();
	if (!wanted[0] || strcmp(name, wanted) != 0 || --countdown > 0)
		return;
	len = snprintf(line, sizeof(line), "<2>crash point %s: rekamd kills itself (SIGKILL)\n",
		name);
	if (len > 0 && write(STDERR_FILENO, line, (size_t)len) < 0)
		line[0] = '\0';
	kill(getpid(), SIGKILL);
}

void rk_crash_point2(const char *prefix, const char *suffix)
{
	char name[96];

	if (!loaded)
		load();
	if (!wanted[0])
		return;
	snprintf(name, sizeof(name), "%s.%s", prefix, suffix);
	rk_crash_point(name);
}
