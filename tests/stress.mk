# SPDX-License-Identifier: LGPL-2.1-or-later
# tests/stress.mk - tests of rekamd under bad input, faults and load
# (tests/stress/). Included from tests/local.mk.

check_PROGRAMS += tests/stress/dbus-fuzz
tests_stress_dbus_fuzz_SOURCES = tests/stress/dbus-fuzz.c
tests_stress_dbus_fuzz_CFLAGS = $(test_cflags)
tests_stress_dbus_fuzz_LDADD = $(DBUS_LIBS)

TESTS += tests/stress/test-dbus-fuzz.sh
EXTRA_DIST += tests/stress/test-dbus-fuzz.sh
