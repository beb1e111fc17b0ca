// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * rekam - device simulators
 *
 * sim-log.c - logging to standard error: "<ident>: <level>: message";
 * information and debug messages only with
 * --verbose.
 */
#include <config.h>

#include <stdio.h>

#include "simulators/lib/sim.h"

static const char *log_ident = "rekam-sim";
static bool log_verbose;

void sim_log_setup(const char *ident, bool verbose)
{
	log_ident = ident;
	log_verbose = verbose;
}

void sim_log(enum sim_log_level level, const char *fmt, ...)
{
	static const char *const words[] = {
		[SIM_LOG_ERROR] = "error",
		[SIM_LOG_WARNING] = "warning",
		[SIM_LOG_INFO] = "info",
		[SIM_LOG_DEBUG] = "debug",
	};
	va_list ap;

	if (level >= SIM_LOG_INFO && !log_verbose)
		return;
	fprintf(stderr, "%s: %s: ", log_ident, words[level]);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}
