// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * rekam - device simulators
 *
 * sim-clock.c - the time scale: every device delay is multiplied by
 * --time-scale, so a five-minute operation takes 3 s at 0.01 and none at 0.
 */
#include <config.h>

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <time.h>

#include "simulators/lib/sim.h"

int sim_clock_parse_scale(const char *text, double *scale)
{
	char *end;
	double v;

	if (!text || !*text)
		return -EINVAL;
	errno = 0;
	v = strtod(text, &end);
	if (errno || *end || !isfinite(v))
		return -EINVAL;
	if (v < 0.0 || v > SIM_TIME_SCALE_MAX)
		return -ERANGE;
	*scale = v;
	return 0;
}

uint64_t sim_clock_scaled_us(double scale, uint64_t ms)
{
	double us = (double)ms * 1000.0 * scale;

	if (!(us > 0.0))
		return 0;
	if (us >= 9.0e18)
		return UINT64_C(9000000000000000000);
	return (uint64_t)llround(us);
}

void sim_clock_us_tv(uint64_t us, struct timeval *tv)
{
	tv->tv_sec = (time_t)(us / 1000000);
	tv->tv_usec = (suseconds_t)(us % 1000000);
}

void sim_clock_scaled_tv(double scale, uint64_t ms, struct timeval *tv)
{
	sim_clock_us_tv(sim_clock_scaled_us(scale, ms), tv);
}

uint64_t sim_clock_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}
