# SPDX-License-Identifier: LGPL-2.1-or-later
# tests/pipeline.mk - tests of the issuance pipeline: applicant validation
# and the card inventory (unit), and enrollments through rekamd and
# rekamctl (integration).

pipeline_unit_tests = tests/unit/test-nik tests/unit/test-inventory tests/unit/test-roles \
	tests/unit/test-enrollment tests/unit/test-biometrics
check_PROGRAMS += $(pipeline_unit_tests)
TESTS += $(pipeline_unit_tests)

tests_unit_test_nik_SOURCES = tests/unit/test-nik.c
tests_unit_test_nik_CFLAGS = $(test_cflags)
tests_unit_test_nik_LDADD = daemon/librekamd.la

tests_unit_test_inventory_SOURCES = tests/unit/test-inventory.c
tests_unit_test_inventory_CFLAGS = $(test_cflags)
tests_unit_test_inventory_LDADD = daemon/librekamd.la

tests_unit_test_roles_SOURCES = tests/unit/test-roles.c
tests_unit_test_roles_CFLAGS = $(test_cflags)
tests_unit_test_roles_LDADD = daemon/librekamd.la

tests_unit_test_enrollment_SOURCES = tests/unit/test-enrollment.c
tests_unit_test_enrollment_CFLAGS = $(test_cflags)
tests_unit_test_enrollment_LDADD = daemon/librekamd.la

tests_unit_test_biometrics_SOURCES = tests/unit/test-biometrics.c
tests_unit_test_biometrics_CFLAGS = $(test_cflags)
tests_unit_test_biometrics_LDADD = daemon/librekamd.la

pipeline_sh_tests = tests/integration/test-pipeline.sh tests/integration/test-issuance.sh \
	tests/integration/test-crash.sh tests/integration/test-privacy.sh
# rekamctl diag on the whole simulated station, healthy and with two faults
pipeline_sh_tests += tests/integration/test-diag-station.sh
# the quality policy and exceptions of the biometric items through Record
pipeline_sh_tests += tests/integration/test-record-quality.sh
EXTRA_DIST += tests/integration/station.sh
TESTS += $(pipeline_sh_tests)
EXTRA_DIST += $(pipeline_sh_tests)

# the transition benchmark (make bench; tests/local.mk runs it)
EXTRA_DIST += tests/bench/bench-pipeline.c
tests_bench_bench_pipeline_SOURCES = tests/bench/bench-pipeline.c
tests_bench_bench_pipeline_CFLAGS = $(test_cflags)
tests_bench_bench_pipeline_LDADD = daemon/librekamd.la
