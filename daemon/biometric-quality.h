/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * rekam - KTP-el recording station daemon
 *
 * biometric-quality.h - the quality policy of fingerprint and iris captures
 * (SOP step 5), as a small pure module: no I/O, no D-Bus; the pipeline feeds
 * it the scores of each attempt and does what it says.
 *
 * One round is one capture set (a left slap, a right slap, the thumbs, or
 * the eyes): the parts (fingers or eyes) it should give, and those the
 * operator marked as exceptions (missing or bandaged fingers), which are
 * recorded as exceptions and never count as failures. Each attempt gives a
 * score per part, or none when the device did not detect the part. An
 * attempt passes when every expected part is present and the average of
 * their scores reaches the modality's threshold (MOSIP's rule for slaps:
 * the average of the fingers; defaults: fingers 40, iris 60). Up to
 * `retries` further attempts are made while none passes; the best attempt is
 * kept (passing first, then the most parts present, then the highest
 * average; the earlier one on a tie), whole, because each attempt is one
 * signed and hash-chained device reply that must not be mixed with another.
 */
#pragma once

#include <stdbool.h>

#define RK_BQ_MAX_PARTS 10 /* fingers; eyes use parts 0 (left) and 1 (right) */
#define RK_BQ_MAX_ATTEMPTS 11 /* the first and up to 10 retries */
#define RK_BQ_NO_SCORE (-1)

enum rk_bq_modality { RK_BQ_FINGER, RK_BQ_IRIS };

struct rk_bq_policy {
	unsigned int finger_threshold; /* 0-100, default 40 */
	unsigned int iris_threshold;   /* 0-100, default 60 */
	unsigned int retries;          /* 0-10, default 3 */
};

enum rk_bq_verdict {
	RK_BQ_ACCEPT,   /* this attempt passes: stop, keep the best (this one) */
	RK_BQ_RETRY,    /* capture again */
	RK_BQ_GIVE_UP,  /* no attempts left: keep the best, marked below threshold */
};

/* What becomes of a part at the end of a round. */
enum rk_bq_outcome {
	RK_BQ_CAPTURED,  /* present in the kept attempt */
	RK_BQ_EXCEPTION, /* marked by the operator: not captured, not a failure */
	RK_BQ_MISSING,   /* expected but not detected in the kept attempt */
};

struct rk_bq_round {
	enum rk_bq_modality modality;
	unsigned int threshold, max_attempts;
	unsigned int expected;   /* bit per part to capture */
	unsigned int exceptions; /* bit per part marked as exception */
	unsigned int attempts;
	int scores[RK_BQ_MAX_ATTEMPTS][RK_BQ_MAX_PARTS];
	int best;                /* index of the best attempt, -1 before any */
	bool passed;             /* the best attempt passes */
};

struct rk_config;

/* The defaults of MOSIP's registration client: 40, 60, 3 retries. */
void rk_bq_policy_default(struct rk_bq_policy *policy);
/* The [quality] section of rekamd.conf. */
void rk_bq_policy_from_config(struct rk_bq_policy *policy, const struct rk_config *config);

/* Start a round for @parts of which @exceptions are marked (bits per part).
 * -EINVAL when nothing would be left to capture or a bit is out of range. */
int rk_bq_round_init(struct rk_bq_round *round, const struct rk_bq_policy *policy,
		enum rk_bq_modality modality, unsigned int parts, unsigned int exceptions);

/* One attempt: @scores[part] 0-100, or RK_BQ_NO_SCORE when not detected
 * (scores of unexpected parts are ignored). -EINVAL for a score out of range,
 * -ENOSPC when the round is over; otherwise the verdict. */
int rk_bq_round_add(struct rk_bq_round *round, const int scores[RK_BQ_MAX_PARTS]);

/* The average score of the expected parts of attempt @i (missing ones count
 * as 0); -1 for no such attempt. */
double rk_bq_average(const struct rk_bq_round *round, unsigned int i);

/* The kept attempt (-1 before any) and what became of @part in it. */
int rk_bq_best(const struct rk_bq_round *round);
enum rk_bq_outcome rk_bq_outcome(const struct rk_bq_round *round, unsigned int part);
