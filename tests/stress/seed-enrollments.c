// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * rekam - stress tests
 *
 * seed-enrollments.c - fill a station database with N enrollments waiting
 * for the recording desk (forwarded, step 4), through rekamd's own code
 * (daemon/enrollment.c: the same rows and step records Submit, Receive,
 * Verify and Forward write), so that a test can start rekamd on a station
 * with a long queue. The database is created and migrated when missing.
 * The seeding writes without fsync (PRAGMA synchronous=OFF): it is a test
 * fixture, not a station's work.
 *
 *   seed-enrollments DATABASE N        N from 1 to 900000
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <syslog.h>

#include "daemon/enrollment.h"
#include "daemon/log.h"
#include "daemon/store.h"
#include "seed.h"

int main(int argc, char **argv)
{
	char nik[RK_NIK_LEN + 1], *error = NULL;
	struct rk_enrollments *set;
	struct rk_store *store;
	long n;

	if (argc != 3 || (n = strtol(argv[2], NULL, 10)) < 1 || n > 900000) {
		fprintf(stderr, "usage: seed-enrollments DATABASE N (1-900000)\n");
		return 64;
	}
	rk_log_set_level(LOG_WARNING); /* not a line per enrollment */
	if (rk_store_open(argv[1], &store, NULL, &error) < 0) {
		fprintf(stderr, "seed-enrollments: %s: %s\n", argv[1],
			error ? error : "cannot open the database");
		free(error);
		return 1;
	}
	if (rk_store_exec(store, "PRAGMA synchronous=OFF") < 0 ||
			!(set = rk_enrollments_new(store, NULL, NULL))) {
		fprintf(stderr, "seed-enrollments: cannot set up the enrollments\n");
		rk_store_close(store);
		return 1;
	}
	for (long k = 0; k < n; k++) {
		if (seed_forwarded(set, (unsigned long)k, nik) < 0) {
			fprintf(stderr, "seed-enrollments: enrollment %ld (NIK %s) failed\n", k + 1,
				nik);
			rk_enrollments_free(set);
			rk_store_close(store);
			return 1;
		}
	}
	rk_enrollments_free(set);
	rk_store_close(store);
	printf("%ld enrollments forwarded in %s\n", n, argv[1]);
	return 0;
}
