/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * rekam - benchmarks
 *
 * tests/bench/bench.h - what every C benchmark of tests/bench/ measures
 * with: a monotonic clock in milliseconds, and the median of a sample
 * (sorted in place; the mean of the middle two for an even count).
 * Header only: each benchmark is one program.
 */
#ifndef REKAM_BENCH_H
#define REKAM_BENCH_H

#include <stdlib.h>
#include <time.h>

static inline double bench_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* qsort() order of doubles */
static inline int bench_compare(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static inline double bench_median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), bench_compare);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

#endif
