# SPDX-License-Identifier: LGPL-2.1-or-later
# tests/central.mk - the enrollment packet, the parsers of the central
# server's answers and the uploader against rekam-sim-central over real TLS
# on loopback (see docs/central-api.md), and the upload benchmark.

central_test_cflags = $(test_cflags) $(LIBCURL_CFLAGS)

check_PROGRAMS += tests/unit/test-packet tests/unit/test-central-reply
TESTS += tests/unit/test-packet tests/unit/test-central-reply
tests_unit_test_packet_SOURCES = tests/unit/test-packet.c
tests_unit_test_packet_CFLAGS = $(central_test_cflags)
tests_unit_test_packet_LDADD = daemon/librekamd.la
tests_unit_test_central_reply_SOURCES = tests/unit/test-central-reply.c
tests_unit_test_central_reply_CFLAGS = $(central_test_cflags)
tests_unit_test_central_reply_LDADD = daemon/librekamd.la

check_PROGRAMS += tests/integration/test-uploader
TESTS += tests/integration/test-uploader
tests_integration_test_uploader_SOURCES = tests/integration/test-uploader.c \
	tests/lib/simcentral.c tests/lib/simcentral.h
tests_integration_test_uploader_CFLAGS = $(central_test_cflags)
tests_integration_test_uploader_LDADD = daemon/librekamd.la

check_PROGRAMS += tests/integration/rekam-queue-packet
tests_integration_rekam_queue_packet_SOURCES = tests/integration/rekam-queue-packet.c
tests_integration_rekam_queue_packet_CFLAGS = $(central_test_cflags)
tests_integration_rekam_queue_packet_LDADD = daemon/librekamd.la
TESTS += tests/integration/test-central-status.sh
EXTRA_DIST += tests/integration/test-central-status.sh

# `make bench` runs it too; `make bench-upload BENCH_UPLOAD_ARGS="ROUNDS QUEUED"` alone
EXTRA_PROGRAMS += tests/bench/bench-upload
EXTRA_DIST += tests/bench/bench-upload.c
tests_bench_bench_upload_SOURCES = tests/bench/bench-upload.c tests/lib/simcentral.c \
	tests/lib/simcentral.h
tests_bench_bench_upload_CFLAGS = $(central_test_cflags)
tests_bench_bench_upload_LDADD = daemon/librekamd.la

bench: bench-upload
bench-upload: tests/bench/bench-upload simulators/rekam-sim-central
	top_builddir='$(abs_top_builddir)' tests/bench/bench-upload $(BENCH_UPLOAD_ARGS)
.PHONY: bench-upload

# the fuzz target of the reply parsers, in the scheme of tests/fuzz.mk (its
# corpus replayed by make check; with --enable-fuzzing, `make fuzz` explores)
fuzz_targets += tests/fuzz/fuzz-central-reply
tests_fuzz_fuzz_central_reply_SOURCES = tests/fuzz/fuzz-central-reply.c $(fuzz_main)
tests_fuzz_fuzz_central_reply_CFLAGS = $(central_test_cflags)
tests_fuzz_fuzz_central_reply_LDFLAGS = $(fuzz_ldflags)
tests_fuzz_fuzz_central_reply_LDADD = daemon/librekamd.la
