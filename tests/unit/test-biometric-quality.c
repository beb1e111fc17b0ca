// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * rekam - unit tests
 *
 * test-biometric-quality.c - the quality policy of fingerprint and iris
 * captures (daemon/biometric-quality.c): MOSIP's default thresholds, a pass
 * at the first attempt, retries under the threshold until a pass or the
 * limit, the best attempt kept, a finger not detected, exceptions that are
 * neither averaged nor failures, bad scores, and the [quality] section of
 * rekamd.conf with its errors.
 */
#include <config.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/biometric-quality.h"
#include "daemon/config.h"
#include "tap.h"

#define N RK_BQ_NO_SCORE
#define LEFT_SLAP 0xfu /* left index, middle, ring, little */

static void test_defaults(void)
{
	struct rk_bq_policy p;
	struct rk_config *c = rk_config_new_default();
	struct rk_bq_policy from;

	rk_bq_policy_default(&p);
	tap_ok(p.finger_threshold == 40 && p.iris_threshold == 60 && p.retries == 3,
		"MOSIP's defaults: slap 40, iris 60, 3 retries");
	rk_bq_policy_from_config(&from, c);
	tap_ok(!memcmp(&p, &from, sizeof(p)), "... and rekamd's built-in configuration has them");
	rk_config_free(c);
}

static void test_rounds(void)
{
	struct rk_bq_policy p;
	struct rk_bq_round r;
	int good[RK_BQ_MAX_PARTS] = { 70, 60, 55, 50 };
	int low[RK_BQ_MAX_PARTS] = { 30, 20, 35, 25 };
	int lower[RK_BQ_MAX_PARTS] = { 10, 20, 15, 25 };
	int holed[RK_BQ_MAX_PARTS] = { 90, 90, N, 90 };
	int bad[RK_BQ_MAX_PARTS] = { 101, 50, 50, 50 };

	rk_bq_policy_default(&p);
	tap_is_int(rk_bq_round_init(&r, &p, RK_BQ_FINGER, LEFT_SLAP, LEFT_SLAP), -EINVAL,
		"a round where every finger is an exception is refused");
	tap_is_int(rk_bq_round_init(&r, &p, RK_BQ_IRIS, 0x7, 0), -EINVAL,
		"an eye that does not exist is refused");
	tap_is_int(rk_bq_round_init(&r, &p, RK_BQ_FINGER, 0x3, 0x4), -EINVAL,
		"an exception outside the round is refused");

	rk_bq_round_init(&r, &p, RK_BQ_FINGER, LEFT_SLAP, 0);
	tap_is_int(rk_bq_round_add(&r, good), RK_BQ_ACCEPT, "a slap averaging 58.75 passes at once");
	tap_is_int(rk_bq_best(&r), 0, "... and is kept");
	tap_is_int(rk_bq_round_add(&r, good), -ENOSPC, "... and the round is over");

	rk_bq_round_init(&r, &p, RK_BQ_FINGER, LEFT_SLAP, 0);
	tap_is_int(rk_bq_round_add(&r, lower), RK_BQ_RETRY, "a slap averaging 17.5 is retried");
	tap_is_int(rk_bq_round_add(&r, bad), -EINVAL, "a score of 101 is refused");
	tap_is_int(r.attempts, 1, "... and changes nothing");
	tap_is_int(rk_bq_round_add(&r, low), RK_BQ_RETRY, "27.5: retried again");
	tap_is_int(rk_bq_best(&r), 1, "... the better attempt is the best so far");
	tap_is_int(rk_bq_round_add(&r, good), RK_BQ_ACCEPT, "the third attempt passes");
	tap_is_int(rk_bq_best(&r), 2, "... and is kept");

	rk_bq_round_init(&r, &p, RK_BQ_FINGER, LEFT_SLAP, 0);
	tap_is_int(rk_bq_round_add(&r, lower), RK_BQ_RETRY, "under the threshold: retry 1");
	tap_is_int(rk_bq_round_add(&r, low), RK_BQ_RETRY, "retry 2");
	tap_is_int(rk_bq_round_add(&r, lower), RK_BQ_RETRY, "retry 3");
	tap_is_int(rk_bq_round_add(&r, lower), RK_BQ_GIVE_UP, "after 3 retries: give up");
	tap_is_int(rk_bq_best(&r), 1, "... keeping the best of the four (27.5)");
	tap_ok(!r.passed, "... marked as below the threshold");
	tap_ok(rk_bq_average(&r, 1) == 27.5, "... its average is 27.5");

	rk_bq_round_init(&r, &p, RK_BQ_FINGER, LEFT_SLAP, 0);
	tap_is_int(rk_bq_round_add(&r, holed), RK_BQ_RETRY,
		"a finger not detected fails the attempt whatever the others score");
	tap_is_int(rk_bq_outcome(&r, 2), RK_BQ_MISSING, "... the finger is missing so far");
	tap_is_int(rk_bq_round_add(&r, low), RK_BQ_RETRY, "a complete attempt under the threshold");
	tap_is_int(rk_bq_best(&r), 1, "... is better than one with a finger missing");
	tap_is_int(rk_bq_outcome(&r, 2), RK_BQ_CAPTURED, "... and has the finger");

	rk_bq_round_init(&r, &p, RK_BQ_FINGER, LEFT_SLAP, 1u << 2);
	tap_is_int(rk_bq_round_add(&r, holed), RK_BQ_ACCEPT,
		"with the ring finger an exception, the other three pass");
	tap_is_int(rk_bq_outcome(&r, 2), RK_BQ_EXCEPTION, "... the ring finger is an exception");
	tap_is_int(rk_bq_outcome(&r, 0), RK_BQ_CAPTURED, "... the index finger is captured");

	{
		int eyes_low[RK_BQ_MAX_PARTS] = { 55, 58 }, eyes_ok[RK_BQ_MAX_PARTS] = { 62, 66 };
		int same[RK_BQ_MAX_PARTS] = { 55, 58 };

		rk_bq_round_init(&r, &p, RK_BQ_IRIS, 0x3, 0);
		tap_is_int(rk_bq_round_add(&r, eyes_low), RK_BQ_RETRY,
			"irises averaging 56.5 are under 60: retried");
		tap_is_int(rk_bq_round_add(&r, same), RK_BQ_RETRY, "an equal attempt: retried");
		tap_is_int(rk_bq_best(&r), 0, "... the earlier of equals is kept");
		tap_is_int(rk_bq_round_add(&r, eyes_ok), RK_BQ_ACCEPT, "64: accepted");
	}

	p.retries = 0;
	rk_bq_round_init(&r, &p, RK_BQ_FINGER, 0x300, 0);
	{
		int thumbs[RK_BQ_MAX_PARTS] = { [8] = 10, [9] = 20 };

		tap_is_int(rk_bq_round_add(&r, thumbs), RK_BQ_GIVE_UP,
			"retries = 0: one attempt only");
	}
}

static void test_config(void)
{
	static const char good[] = "[quality]\nfinger-threshold = 55\niris-threshold = 70\n"
		"retries = 5\n";
	static const char bad[] = "[quality]\nfinger-threshold = 101\nretries = -1\n"
		"iris-threshold = 6 0\n";
	struct rk_config *c = NULL;
	struct rk_bq_policy p;
	char *errors = NULL;

	tap_is_int(rk_config_load_data("q.conf", good, strlen(good), &c, &errors), 0,
		"a [quality] section is read");
	if (c) {
		rk_bq_policy_from_config(&p, c);
		tap_ok(p.finger_threshold == 55 && p.iris_threshold == 70 && p.retries == 5,
			"... into the policy");
		rk_config_free(c);
	}
	free(errors);
	errors = NULL;
	c = NULL;
	tap_ok(rk_config_load_data("q.conf", bad, strlen(bad), &c, &errors) < 0,
		"bad [quality] values are refused");
	tap_ok(errors && strstr(errors, "q.conf:2:") && strstr(errors, "0 to 100") &&
		strstr(errors, "q.conf:3:") && strstr(errors, "0 to 10") && strstr(errors, "q.conf:4:"),
		"... each with its line and the valid range");
	if (errors)
		tap_diag("%s", errors);
	free(errors);
	rk_config_free(c);
}

int main(void)
{
	test_defaults();
	test_rounds();
	test_config();
	return tap_done();
}
