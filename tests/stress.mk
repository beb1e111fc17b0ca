# SPDX-License-Identifier: LGPL-2.1-or-later
# tests/stress.mk - tests of rekamd under bad input, faults and load
# (tests/stress/). Included from tests/local.mk.

check_PROGRAMS += tests/stress/dbus-fuzz
tests_stress_dbus_fuzz_SOURCES = tests/stress/dbus-fuzz.c
tests_stress_dbus_fuzz_CFLAGS = $(test_cflags)
tests_stress_dbus_fuzz_LDADD = $(DBUS_LIBS)

TESTS += tests/stress/test-dbus-fuzz.sh
EXTRA_DIST += tests/stress/test-dbus-fuzz.sh

# the fault matrix on the whole simulated station; `make faults-doc` writes
# its table of outcomes to docs/faults.md
TESTS += tests/integration/test-faults.sh
EXTRA_DIST += tests/integration/test-faults.sh

faults-doc: all
	REKAM_FAULTS_DOC='$(abs_top_srcdir)/docs/faults.md' \
		$(MAKE) $(AM_MAKEFLAGS) check TESTS=tests/integration/test-faults.sh
.PHONY: faults-doc

# load: 64 D-Bus clients while enrollments go through rekamd, its memory
# watched; then rekamd starting on a queue of 10,000 enrollments
# (tests/stress/seed-enrollments writes them with rekamd's own code)
check_PROGRAMS += tests/stress/dbus-load tests/stress/seed-enrollments
tests_stress_dbus_load_SOURCES = tests/stress/dbus-load.c
tests_stress_dbus_load_CFLAGS = $(test_cflags)
tests_stress_dbus_load_LDADD = $(DBUS_LIBS)
tests_stress_seed_enrollments_SOURCES = tests/stress/seed-enrollments.c
tests_stress_seed_enrollments_CFLAGS = $(test_cflags)
tests_stress_seed_enrollments_LDADD = daemon/librekamd.la
TESTS += tests/stress/test-load.sh
EXTRA_DIST += tests/stress/test-load.sh

# `make check-long`: the heavier variants (not part of make check)
# (the load for a minute; every crash point of test-crash.sh, three times)
check-long: all
	REKAM_LOAD_SECONDS=60 REKAM_LOAD_ENROLLMENTS=10000 \
		$(MAKE) $(AM_MAKEFLAGS) check TESTS='tests/stress/test-load.sh'
	REKAM_CRASH_POINTS=all REKAM_CRASH_REPEAT=3 \
		$(MAKE) $(AM_MAKEFLAGS) check TESTS='tests/integration/test-crash.sh'
.PHONY: check-long
