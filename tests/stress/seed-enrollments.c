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

static const char *const fields[][2] = {
	{ "Name", "SITI AMINAH" }, { "Sex", "female" }, { "BirthPlace", "Rantau" },
	{ "BirthDate", "1990-06-05" }, { "Religion", "islam" },
	{ "MaritalStatus", "married" }, { "Address", "Jl. A. Yani No. 5" },
	{ "Rt", "001" }, { "Rw", "002" }, { "Village", "Rantau Kiwa" },
	{ "District", "Tapin Utara" },
};

int main(int argc, char **argv)
{
	unsigned int all = (1u << RK_CHECK_N_ITEMS) - 1;
	char why[RK_WHY_SIZE], nik[RK_NIK_LEN + 1], *error = NULL;
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
		struct rk_applicant a = { 0 };
		struct rk_enrollment *e;

		/* region 6305DD, born 05-06-1990 (a woman), serial SSSS: all distinct */
		snprintf(nik, sizeof(nik), "6305%02ld450690%04ld", k / 9999 % 99 + 1, k % 9999 + 1);
		rk_applicant_set(&a, "Nik", nik, why, sizeof(why));
		for (size_t f = 0; f < sizeof(fields) / sizeof(fields[0]); f++)
			rk_applicant_set(&a, fields[f][0], fields[f][1], why, sizeof(why));
		if (!a.nik[0] || rk_enrollments_submit(set, &a, RK_ROLE_FRONT_OFFICE, 0, &e) < 0 ||
				rk_enrollment_receive(e, all, 2026, 11, 24, RK_ROLE_FRONT_OFFICE, 0,
					why, sizeof(why)) < 0 ||
				rk_enrollment_transition(e, RK_ENR_VERIFIED, 3, RK_ROLE_VERIFIER, 0,
					NULL) < 0 ||
				rk_enrollment_transition(e, RK_ENR_FORWARDED, 4, RK_ROLE_ANALYST, 0,
					NULL) < 0) {
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
