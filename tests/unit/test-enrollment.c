// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * rekam - KTP-el recording station daemon
 *
 * test-enrollment.c - unit tests of the enrollment state machine and its
 * storage (enrollment.c) on a real station database: submitting, one active
 * enrollment per NIK (in memory and by the database's index), the checklist
 * with and without the marriage certificate, transitions and their step
 * records, reloading everything, step durations against the SOP standards
 * (from stored times, so nothing here depends on the clock), and a state
 * that changed under the daemon's feet.
 */
#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon/enrollment.h"
#include "daemon/store.h"
#include "tap.h"

static char tmp_dir[] = "/tmp/rekam-test-enrollment-XXXXXX";
static char path[256];
static int n_changed, n_created;

static void changed(struct rk_enrollment *e, enum rk_enrollment_change what, void *data)
{
	(void)e;
	(void)data;
	if (what == RK_ENR_CREATED)
		n_created++;
	else
		n_changed++;
}

static struct rk_store *open_store(void)
{
	struct rk_store *store = NULL;
	char *error = NULL;

	if (rk_store_open(path, &store, NULL, &error) < 0)
		tap_bail("cannot open %s: %s", path, error ? error : "?");
	return store;
}

static void applicant(struct rk_applicant *a, const char *nik, const char *sex,
		const char *birth, const char *marital)
{
	static const char *const base[][2] = {
		{ "Name", "SITI AMINAH" }, { "BirthPlace", "Rantau" }, { "Religion", "islam" },
		{ "Address", "Jl. A. Yani No. 5" }, { "Rt", "001" }, { "Rw", "002" },
		{ "Village", "Rantau Kiwa" }, { "District", "Tapin Utara" },
		{ "BloodType", "O" }, { "Citizenship", "WNI" },
	};
	char why[RK_WHY_SIZE];

	memset(a, 0, sizeof(*a));
	for (size_t i = 0; i < sizeof(base) / sizeof(base[0]); i++)
		rk_applicant_set(a, base[i][0], base[i][1], why, sizeof(why));
	if (rk_applicant_set(a, "Nik", nik, why, sizeof(why)) < 0 ||
			rk_applicant_set(a, "Sex", sex, why, sizeof(why)) < 0 ||
			rk_applicant_set(a, "BirthDate", birth, why, sizeof(why)) < 0 ||
			rk_applicant_set(a, "MaritalStatus", marital, why, sizeof(why)) < 0)
		tap_bail("applicant: %s", why);
}

static long long sql_int(struct rk_store *store, const char *sql)
{
	sqlite3_stmt *stmt = rk_store_prepare(store, sql);
	long long v = -1;

	if (stmt && sqlite3_step(stmt) == SQLITE_ROW)
		v = sqlite3_column_int64(stmt, 0);
	if (stmt)
		sqlite3_reset(stmt);
	return v;
}

#define ALL_ITEMS ((1u << RK_CHECK_N_ITEMS) - 1)
#define NO_MARRIAGE (ALL_ITEMS & ~(1u << RK_CHECK_MARRIAGE_CERTIFICATE))

static void test_flow(void)
{
	struct rk_store *store = open_store();
	struct rk_enrollments *set = rk_enrollments_new(store, changed, NULL);
	struct rk_enrollment *e1 = NULL, *e2 = NULL, *e3 = NULL, *dup = NULL;
	struct rk_applicant a;
	char why[256];

	tap_ok(set && rk_enrollments_count(set) == 0, "a new database has no enrollments");
	applicant(&a, "6305014506900001", "female", "1990-06-05", "married");
	tap_is_int(rk_enrollments_submit(set, &a, RK_ROLE_FRONT_OFFICE, 1000, &e1), 0, "submit");
	tap_ok(e1 && e1->id == 1 && e1->state == RK_ENR_SUBMITTED && e1->n_steps == 1,
		"... enrollment 1, submitted, one step record");
	tap_is_str(e1->path, "/id/rekam/Station1/enrollments/1", "... at its object path");
	tap_is_int(n_created, 1, "... announced as created");
	tap_is_int(rk_enrollments_submit(set, &a, RK_ROLE_FRONT_OFFICE, 1000, &dup), -EEXIST,
		"the same NIK again is refused while the first is active");
	tap_ok(rk_enrollments_find_active(set, a.nik) == e1, "find_active finds it");
	tap_ok(rk_enrollments_find_path(set, "/id/rekam/Station1/enrollments/1") == e1,
		"find_path finds it");
	tap_ok(!rk_enrollments_find_path(set, "/id/rekam/Station1/enrollments/1x") &&
		!rk_enrollments_find_path(set, "/id/rekam/Station1/enrollments/") &&
		!rk_enrollments_find_path(set, "/id/rekam/Station1/enrollments/2"),
		"find_path refuses other paths");

	tap_is_int(rk_enrollment_receive(e1, NO_MARRIAGE, 2026, 11, 24, RK_ROLE_FRONT_OFFICE,
		1000, why, sizeof(why)), 0, "an adult's complete checklist");
	tap_ok(e1->state == RK_ENR_RECEIVED && e1->checked && e1->checklist == NO_MARRIAGE,
		"... received, the checklist kept");
	tap_is_int(rk_enrollment_transition(e1, RK_ENR_VERIFIED, 3, RK_ROLE_VERIFIER, 1001, NULL),
		0, "verify");
	tap_is_int(rk_enrollment_transition(e1, RK_ENR_FORWARDED, 4, RK_ROLE_ANALYST, 1002, NULL),
		0, "forward");
	tap_ok(e1->n_steps == 4 && e1->steps[3].step == 4 && e1->steps[3].role == RK_ROLE_ANALYST &&
		e1->steps[3].uid == 1002, "four step records, the last by the analyst (uid 1002)");
	tap_is_int(n_changed, 3, "three changes announced");

	applicant(&a, "6305015511100002", "female", "2010-11-15", "married");
	tap_is_int(rk_enrollments_submit(set, &a, RK_ROLE_FRONT_OFFICE, 1000, &e2), 0,
		"submit a married applicant of 16");
	tap_ok(rk_enrollment_required_items(e2, 2026, 11, 24) == ALL_ITEMS,
		"... who needs the marriage certificate");
	tap_ok(rk_enrollment_required_items(e2, 2027, 11, 15) == NO_MARRIAGE,
		"... but not from her 17th birthday on");
	tap_is_int(rk_enrollment_receive(e2, NO_MARRIAGE, 2026, 11, 24, RK_ROLE_FRONT_OFFICE,
		1000, why, sizeof(why)), 0, "receive without it");
	tap_ok(e2->state == RK_ENR_RETURNED, "... returns her file");
	tap_is_str(e2->return_reason, "incomplete requirements: missing marriage-certificate",
		"... with the missing item");
	tap_is_str(why, e2->return_reason, "... also told to the caller");
	tap_is_int(rk_enrollments_submit(set, &a, RK_ROLE_FRONT_OFFICE, 1000, &e3), 0,
		"a returned NIK may submit again");
	tap_ok(e3 && e3->id == 3, "... as enrollment 3");
	tap_is_int(rk_enrollment_receive(e3, 0, 2026, 11, 24, RK_ROLE_FRONT_OFFICE, 1000, why,
		sizeof(why)), 0, "an empty checklist");
	tap_is_str(e3->return_reason, "incomplete requirements: missing f102, family-card, "
		"marriage-certificate, diploma", "... names every missing item");

	/* The stored state changed behind rekamd's back: the transition must fail. */
	rk_store_exec(store, "UPDATE enrollments SET state = 'verified' WHERE id = 1");
	tap_is_int(rk_enrollment_transition(e1, RK_ENR_RETURNED, 5, RK_ROLE_OPERATOR, 1, "x"),
		-EIO, "a transition from a state the database no longer has fails");
	tap_ok(e1->state == RK_ENR_FORWARDED && e1->n_steps == 4,
		"... and changes nothing in memory");
	tap_is_int(sql_int(store, "SELECT count(*) FROM enrollment_steps WHERE enrollment = 1"), 4,
		"... nor in the step records");
	rk_store_exec(store, "UPDATE enrollments SET state = 'forwarded' WHERE id = 1");

	/* The index keeps one active enrollment per NIK even past the memory check. */
	tap_ok(rk_store_exec(store, "INSERT INTO enrollments (nik, state, checklist, "
		"return_reason, name, sex, birth_place, birth_date, blood_type, religion, "
		"marital_status, occupation, address, rt, rw, village, district, citizenship, "
		"created, updated) SELECT nik, 'submitted', NULL, '', name, sex, birth_place, "
		"birth_date, blood_type, religion, marital_status, occupation, address, rt, rw, "
		"village, district, citizenship, 0, 0 FROM enrollments WHERE id = 1") < 0,
		"the database refuses a second active enrollment of a NIK");

	rk_enrollments_free(set);
	rk_store_close(store);
}

static void test_reload(void)
{
	struct rk_store *store = open_store();
	struct rk_enrollments *set;
	struct rk_enrollment *e1, *e2;

	/* Make step 3 of enrollment 1 take 11 minutes and step 4 exactly its minute. */
	rk_store_exec(store, "UPDATE enrollment_steps SET at = 1000000 WHERE enrollment = 1 AND "
		"seq = 1; UPDATE enrollment_steps SET at = 1000000 + 660000 WHERE enrollment = 1 "
		"AND seq = 2; UPDATE enrollment_steps SET at = 1000000 + 720000 WHERE "
		"enrollment = 1 AND seq = 3; UPDATE enrollment_steps SET at = 999000 WHERE "
		"enrollment = 1 AND seq = 0");
	set = rk_enrollments_new(store, changed, NULL);
	tap_ok(set && rk_enrollments_count(set) == 3, "reloading finds the three enrollments");
	e1 = set ? rk_enrollments_find(set, 1) : NULL;
	e2 = set ? rk_enrollments_find(set, 2) : NULL;
	tap_ok(e1 && e1->state == RK_ENR_FORWARDED && e1->n_steps == 4 &&
		e1->checklist == NO_MARRIAGE && e1->checked, "enrollment 1 as it was");
	tap_ok(e2 && e2->state == RK_ENR_RETURNED && !strcmp(e2->return_reason,
		"incomplete requirements: missing marriage-certificate"),
		"enrollment 2 returned with its reason");
	tap_ok(e1 && !strcmp(e1->applicant.name, "SITI AMINAH") && e1->applicant.sex ==
		RK_SEX_FEMALE && !strcmp(e1->applicant.birth_date, "1990-06-05"),
		"... with the applicant's data");
	if (e1) {
		tap_is_int(e1->steps[1].duration_ms, 1000,
			"step 2 took 1 s (from the stored times)");
		tap_is_int(e1->steps[2].duration_ms, 660000, "step 3 took 11 minutes");
		tap_is_int(e1->steps[3].duration_ms, 60000, "step 4 took 1 minute");
		tap_is_int(rk_enrollment_overruns(e1), 1u << 3,
			"only step 3 overran (11 > 10 minutes; 1 minute is within step 4's 1)");
	}
	tap_ok(rk_enrollments_find_active(set, "6305015511100002") == NULL,
		"returned enrollments are not active");
	rk_enrollments_free(set);

	/* A clock that stepped back gives 0, never a negative duration. */
	rk_store_exec(store, "UPDATE enrollment_steps SET at = 0 WHERE enrollment = 1 AND seq = 3");
	set = rk_enrollments_new(store, changed, NULL);
	e1 = set ? rk_enrollments_find(set, 1) : NULL;
	tap_ok(e1 && e1->steps[3].duration_ms == 0,
		"a step recorded before the previous one lasts 0");
	rk_enrollments_free(set);
	rk_store_close(store);
}

static void test_names(void)
{
	static const unsigned int steps[] = { 1, 1, 10, 1, 5, 15, 1, 1 };
	int64_t total = 0;

	tap_is_str(rk_enrollment_state_name(RK_ENR_PRINT_READY), "print_ready", "state names");
	tap_is_int(rk_enrollment_state_step(RK_ENR_AT_HANDOVER), 9, "at_handover is step 9");
	tap_ok(rk_enrollment_state_final(RK_ENR_COLLECTED) &&
		rk_enrollment_state_final(RK_ENR_RETURNED) &&
		rk_enrollment_state_final(RK_ENR_REJECTED) &&
		!rk_enrollment_state_final(RK_ENR_ISSUED), "the final states");
	for (unsigned int i = 0; i < 8; i++)
		tap_is_int(rk_sop_standard_ms(i + 1), steps[i] * 60000, "step %u: %u minutes",
			i + 1, steps[i]);
	tap_is_int(rk_sop_standard_ms(9), 30000, "step 9: half a minute");
	tap_is_int(rk_sop_standard_ms(10), 30000, "step 10: half a minute");
	for (unsigned int s = 1; s <= RK_SOP_STEPS; s++)
		total += rk_sop_standard_ms(s);
	tap_is_int(total, 36 * 60000, "36 minutes in all, as the SP promises");
	tap_is_int(rk_checklist_item_from_name("family-card"), RK_CHECK_FAMILY_CARD,
		"checklist item names");
	tap_is_int(rk_checklist_item_from_name("passport"), -1, "unknown checklist item");
}

int main(void)
{
	if (!mkdtemp(tmp_dir))
		tap_bail("mkdtemp failed");
	snprintf(path, sizeof(path), "%s/rekam.db", tmp_dir);
	test_names();
	test_flow();
	test_reload();
	for (const char *const *s = (const char *const[]){ "", "-wal", "-shm", NULL }; *s; s++) {
		char name[300];

		snprintf(name, sizeof(name), "%s%s", path, *s);
		unlink(name);
	}
	rmdir(tmp_dir);
	return tap_done();
}
