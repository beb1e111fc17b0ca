// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * rekam - device simulators
 *
 * sim-random.c - the deterministic generator behind every simulated datum:
 * xoshiro256** (Blackman and Vigna) with its state filled by splitmix64, so
 * that one 64-bit seed gives the same sequence on every machine.
 */
#include <config.h>

#include <math.h>

#include "simulators/lib/sim.h"

uint64_t sim_splitmix64(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

void sim_rng_seed(struct sim_rng *rng, uint64_t seed)
{
	uint64_t sm = seed;
	int i;

	for (i = 0; i < 4; i++)
		rng->s[i] = sim_splitmix64(&sm);
}

static inline uint64_t rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

uint64_t sim_rng_next(struct sim_rng *rng)
{
	uint64_t *s = rng->s;
	uint64_t result = rotl(s[1] * 5, 7) * 9;
	uint64_t t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return result;
}

uint64_t sim_rng_below(struct sim_rng *rng, uint64_t n)
{
	uint64_t limit, x;

	if (n == 0)
		return 0;
	/* reject the top partial copy of [0, n) so every value is equally likely */
	limit = UINT64_MAX - UINT64_MAX % n;
	do
		x = sim_rng_next(rng);
	while (x >= limit);
	return x % n;
}

int64_t sim_rng_range(struct sim_rng *rng, int64_t lo, int64_t hi)
{
	uint64_t span;

	if (hi <= lo)
		return lo;
	span = (uint64_t)hi - (uint64_t)lo;
	if (span == UINT64_MAX)
		return (int64_t)sim_rng_next(rng);
	return (int64_t)((uint64_t)lo + sim_rng_below(rng, span + 1));
}

double sim_rng_double(struct sim_rng *rng)
{
	return (double)(sim_rng_next(rng) >> 11) * 0x1.0p-53;
}

double sim_rng_uniform(struct sim_rng *rng, double lo, double hi)
{
	return lo + (hi - lo) * sim_rng_double(rng);
}

double sim_rng_normal(struct sim_rng *rng, double mean, double sd)
{
	double u1 = 1.0 - sim_rng_double(rng); /* (0, 1]: log() stays finite */
	double u2 = sim_rng_double(rng);

	return mean + sd * sqrt(-2.0 * log(u1)) * cos(2.0 * M_PI * u2);
}
