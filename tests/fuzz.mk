# SPDX-License-Identifier: LGPL-2.1-or-later
# tests/fuzz.mk - fuzz targets for the parsers of untrusted input
# (tests/fuzz/fuzz-*.c), and their seed corpora (tests/fuzz/corpus/NAME).
# Normally each target is built with tests/fuzz/driver.c and `make check`
# replays its corpus (test-fuzz-corpora.sh), under valgrind and the
# sanitizers like every other test. Configured with --enable-fuzzing
# (CC=clang), they link libFuzzer instead, and `make fuzz` runs each for
# FUZZ_SECONDS (default 10) from a copy of its corpus. Included from
# tests/local.mk.

fuzz_targets = \
	tests/fuzz/fuzz-config \
	tests/fuzz/fuzz-card-apdu \
	tests/fuzz/fuzz-sbi-reply
check_PROGRAMS += $(fuzz_targets)

if FUZZING
fuzz_main =
fuzz_ldflags = -fsanitize=fuzzer
else
fuzz_main = tests/fuzz/driver.c
fuzz_ldflags =
endif

tests_fuzz_fuzz_config_SOURCES = tests/fuzz/fuzz-config.c $(fuzz_main)
tests_fuzz_fuzz_config_CFLAGS = $(test_cflags)
tests_fuzz_fuzz_config_LDFLAGS = $(fuzz_ldflags)
tests_fuzz_fuzz_config_LDADD = daemon/librekamd.la

tests_fuzz_fuzz_card_apdu_SOURCES = tests/fuzz/fuzz-card-apdu.c \
	simulators/card-apdu.c simulators/card-state.c $(fuzz_main)
tests_fuzz_fuzz_card_apdu_CFLAGS = $(sim_cflags)
tests_fuzz_fuzz_card_apdu_LDFLAGS = $(fuzz_ldflags)
tests_fuzz_fuzz_card_apdu_LDADD = simulators/lib/librekam-sim.la $(OPENSSL_LIBS)

if !FUZZING
TESTS += tests/fuzz/test-fuzz-corpora.sh
endif
EXTRA_DIST += \
	tests/fuzz/driver.c \
	tests/fuzz/test-fuzz-corpora.sh \
	tests/fuzz/run-fuzzers \
	tests/fuzz/corpus

# make fuzz-targets: only the targets (what the quickstart's fuzz pass builds).
fuzz-targets: $(fuzz_targets)
.PHONY: fuzz-targets

# make fuzz (with --enable-fuzzing): every target for FUZZ_SECONDS each.
FUZZ_SECONDS = 10
fuzz: $(fuzz_targets)
	$(AM_V_at)$(SHELL) $(top_srcdir)/tests/fuzz/run-fuzzers $(FUZZ_SECONDS) \
		$(top_srcdir)/tests/fuzz/corpus $(fuzz_targets)
.PHONY: fuzz
