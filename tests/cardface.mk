# SPDX-License-Identifier: LGPL-2.1-or-later
# tests/cardface.mk - the card face renderer (daemon/cardface*.c): sample
# applicants rendered with the real fonts; the PNGs land in
# tests/cardface-out/ for a person to look at.

check_PROGRAMS += tests/unit/test-cardface
TESTS += tests/unit/test-cardface
tests_unit_test_cardface_SOURCES = tests/unit/test-cardface.c \
	tests/lib/cardface-samples.c tests/lib/cardface-samples.h
tests_unit_test_cardface_CFLAGS = $(test_cflags) $(CARDFACE_CFLAGS) $(sim_cflags)
tests_unit_test_cardface_LDADD = daemon/librekamd.la simulators/lib/librekam-sim.la -lm
CLEANFILES += tests/cardface-out/*.png

# `make bench-cardface`: medians of rendering and PNG encoding (not in make check)
EXTRA_PROGRAMS += tests/bench/bench-cardface
EXTRA_DIST += tests/bench/bench-cardface.c
tests_bench_bench_cardface_SOURCES = tests/bench/bench-cardface.c \
	tests/lib/cardface-samples.c tests/lib/cardface-samples.h
tests_bench_bench_cardface_CFLAGS = $(test_cflags) $(CARDFACE_CFLAGS) $(sim_cflags)
tests_bench_bench_cardface_LDADD = daemon/librekamd.la simulators/lib/librekam-sim.la -lm

bench-cardface: tests/bench/bench-cardface
	tests/bench/bench-cardface
.PHONY: bench-cardface
