/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * rekam - tests
 *
 * tests/lib/seed.h - applicant number @k of a seeded store, taken straight
 * through rekamd's own enrollment code (no D-Bus) to "forwarded" (steps 1-4,
 * one transaction each), for tests/stress/seed-enrollments (rekamd on a long
 * queue) and tests/bench/bench-pipeline (the cost of a transition). Header
 * only: each is one program.
 */
#ifndef REKAM_TEST_SEED_H
#define REKAM_TEST_SEED_H

#include <stdio.h>

#include "daemon/enrollment.h"

/* 0, or -1 with the applicant's NIK in @nik. */
static inline int seed_forwarded(struct rk_enrollments *set, unsigned long k,
		char nik[RK_NIK_LEN + 1])
{
	static const char *const fields[][2] = {
		{ "Name", "SITI AMINAH" }, { "Sex", "female" }, { "BirthPlace", "Rantau" },
		{ "BirthDate", "1990-06-05" }, { "Religion", "islam" },
		{ "MaritalStatus", "married" }, { "Address", "Jl. A. Yani No. 5" },
		{ "Rt", "001" }, { "Rw", "002" }, { "Village", "Rantau Kiwa" },
		{ "District", "Tapin Utara" },
	};
	unsigned int all = (1u << RK_CHECK_N_ITEMS) - 1;
	struct rk_applicant a = { 0 };
	struct rk_enrollment *e;
	char why[RK_WHY_SIZE];

	/* region 6305DD, born 05-06-1990 (a woman), serial SSSS: all distinct */
	snprintf(nik, RK_NIK_LEN + 1, "6305%02lu450690%04lu", k / 9999 % 99 + 1, k % 9999 + 1);
	rk_applicant_set(&a, "Nik", nik, why, sizeof(why));
	for (size_t f = 0; f < sizeof(fields) / sizeof(fields[0]); f++)
		rk_applicant_set(&a, fields[f][0], fields[f][1], why, sizeof(why));
	if (!a.nik[0] || rk_enrollments_submit(set, &a, RK_ROLE_FRONT_OFFICE, 0, &e) < 0 ||
			rk_enrollment_receive(e, all, 2026, 11, 24, RK_ROLE_FRONT_OFFICE, 0,
				why, sizeof(why)) < 0 ||
			rk_enrollment_transition(e, RK_ENR_VERIFIED, 3, RK_ROLE_VERIFIER, 0,
				NULL) < 0 ||
			rk_enrollment_transition(e, RK_ENR_FORWARDED, 4, RK_ROLE_ANALYST, 0,
				NULL) < 0)
		return -1;
	return 0;
}

#endif
