// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * rekam - KTP-el recording station daemon
 *
 * biometric-quality.c - the quality policy of fingerprint and iris captures:
 * thresholds per modality, a bounded number of retries, the best attempt
 * kept, exceptions recorded as exceptions (see biometric-quality.h).
 */
#include <config.h>

#include <errno.h>
#include <string.h>

#include "daemon/biometric-quality.h"
#include "daemon/config.h"

#define ALL_PARTS ((1u << RK_BQ_MAX_PARTS) - 1)

void rk_bq_policy_default(struct rk_bq_policy *policy)
{
	policy->finger_threshold = 40;
	policy->iris_threshold = 60;
	policy->retries = 3;
}

void rk_bq_policy_from_config(struct rk_bq_policy *policy, const struct rk_config *config)
{
	policy->finger_threshold = config->quality_finger;
	policy->iris_threshold = config->quality_iris;
	policy->retries = config->quality_retries;
}

int rk_bq_round_init(struct rk_bq_round *round, const struct rk_bq_policy *policy,
		enum rk_bq_modality modality, unsigned int parts, unsigned int exceptions)
{
	unsigned int limit = modality == RK_BQ_IRIS ? 0x3 : ALL_PARTS;

	if ((parts & ~limit) || (exceptions & ~parts) || !(parts & ~exceptions) ||
			policy->retries >= RK_BQ_MAX_ATTEMPTS || policy->finger_threshold > 100 ||
			policy->iris_threshold > 100)
		return -EINVAL;
	memset(round, 0, sizeof(*round));
	round->modality = modality;
	round->threshold = modality == RK_BQ_IRIS ? policy->iris_threshold :
		policy->finger_threshold;
	round->max_attempts = policy->retries + 1;
	round->expected = parts & ~exceptions;
	round->exceptions = exceptions;
	round->best = -1;
	return 0;
}

static unsigned int present(const struct rk_bq_round *round, unsigned int i)
{
	unsigned int n = 0;

	for (unsigned int p = 0; p < RK_BQ_MAX_PARTS; p++)
		if ((round->expected & 1u << p) && round->scores[i][p] != RK_BQ_NO_SCORE)
			n++;
	return n;
}

static unsigned int n_expected(const struct rk_bq_round *round)
{
	return (unsigned int)__builtin_popcount(round->expected);
}

double rk_bq_average(const struct rk_bq_round *round, unsigned int i)
{
	double sum = 0;

	if (i >= round->attempts)
		return -1;
	for (unsigned int p = 0; p < RK_BQ_MAX_PARTS; p++)
		if ((round->expected & 1u << p) && round->scores[i][p] != RK_BQ_NO_SCORE)
			sum += round->scores[i][p];
	return sum / n_expected(round);
}

static bool passes(const struct rk_bq_round *round, unsigned int i)
{
	return present(round, i) == n_expected(round) &&
		rk_bq_average(round, i) >= (double)round->threshold;
}

/* Attempt @a better than attempt @b? */
static bool better(const struct rk_bq_round *round, unsigned int a, unsigned int b)
{
	if (passes(round, a) != passes(round, b))
		return passes(round, a);
	if (present(round, a) != present(round, b))
		return present(round, a) > present(round, b);
	return rk_bq_average(round, a) > rk_bq_average(round, b);
}

int rk_bq_round_add(struct rk_bq_round *round, const int scores[RK_BQ_MAX_PARTS])
{
	unsigned int i = round->attempts;

	if (round->passed || i >= round->max_attempts)
		return -ENOSPC;
	for (unsigned int p = 0; p < RK_BQ_MAX_PARTS; p++)
		if ((round->expected & 1u << p) && scores[p] != RK_BQ_NO_SCORE &&
				(scores[p] < 0 || scores[p] > 100))
			return -EINVAL;
	for (unsigned int p = 0; p < RK_BQ_MAX_PARTS; p++)
		round->scores[i][p] = round->expected & 1u << p ? scores[p] : RK_BQ_NO_SCORE;
	round->attempts++;
	if (round->best < 0 || better(round, i, (unsigned int)round->best))
		round->best = (int)i;
	round->passed = passes(round, (unsigned int)round->best);
	if (round->passed)
		return RK_BQ_ACCEPT;
	return round->attempts < round->max_attempts ? RK_BQ_RETRY : RK_BQ_GIVE_UP;
}

int rk_bq_best(const struct rk_bq_round *round)
{
	return round->best;
}

enum rk_bq_outcome rk_bq_outcome(const struct rk_bq_round *round, unsigned int part)
{
	if (part < RK_BQ_MAX_PARTS && (round->exceptions & 1u << part))
		return RK_BQ_EXCEPTION;
	if (part >= RK_BQ_MAX_PARTS || round->best < 0 || !(round->expected & 1u << part) ||
			round->scores[round->best][part] == RK_BQ_NO_SCORE)
		return RK_BQ_MISSING;
	return RK_BQ_CAPTURED;
}
