# SPDX-License-Identifier: LGPL-2.1-or-later
# tests/bench.mk - the station benchmarks of tests/bench/bench-station.sh:
# round trips under 64 clients, start-up time to READY and idle memory with
# every plugin loaded, and the station throughput model (`make
# bench-station`); applicants per second through the ten steps (`make
# bench-applicants`). Both are part of `make bench`. Included from tests/local.mk.

EXTRA_PROGRAMS += tests/bench/bench-start
EXTRA_DIST += tests/bench/bench-start.c tests/bench/bench-station.sh \
	tests/bench/station-throughput.py tests/bench/bench-applicants.sh
tests_bench_bench_start_SOURCES = tests/bench/bench-start.c
tests_bench_bench_start_CFLAGS = $(test_cflags)
tests_bench_bench_start_LDADD = $(DBUS_LIBS)

bench: bench-station
bench-station: tests/bench/bench-start tests/stress/dbus-load daemon/rekamd all
	top_builddir='$(abs_top_builddir)' top_srcdir='$(abs_top_srcdir)' \
		REKAM_DBUS_DAEMON='$(DBUS_DAEMON)' \
		$(SHELL) $(top_srcdir)/tests/bench/bench-station.sh $(BENCH_STATION_ARGS)

# applicants per second through the ten steps on the whole simulated station,
# one after another and with the desks working at once (takes the pcscd lock
# like the station; BENCH_APPLICANTS_ARGS="APPLICANTS ROUNDS IN-FLIGHT",
# default "10 3 4")
bench: bench-applicants
bench-applicants: all
	top_builddir='$(abs_top_builddir)' $(SHELL) $(top_srcdir)/tests/bench/bench-applicants.sh \
		$(BENCH_APPLICANTS_ARGS)
.PHONY: bench-station bench-applicants
