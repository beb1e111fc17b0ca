# SPDX-License-Identifier: LGPL-2.1-or-later
# plugins/biometric-sbi.mk - fingerprint scanners and iris cameras behind a
# MOSIP SBI device service (plugins/biometric-sbi/README.md): one source
# folder built twice, rekam-fingerprint-sbi.so and rekam-iris-sbi.so, since
# a plugin drives one device class. Included from plugins/local.mk.

sbi_sources = \
	plugins/biometric-sbi/sbi.c plugins/biometric-sbi/sbi-device.h \
	plugins/biometric-sbi/sbi-capture.c \
	plugins/biometric-sbi/sbi-http.c plugins/biometric-sbi/sbi-http.h \
	plugins/biometric-sbi/sbi-reply.c plugins/biometric-sbi/sbi-reply.h
sbi_cflags = $(plugin_cflags) $(LIBCURL_CFLAGS) $(JANSSON_CFLAGS) $(OPENSSL_CFLAGS)
sbi_libs = $(LIBCURL_LIBS) $(JANSSON_LIBS) $(OPENSSL_LIBS)

rekamplugin_LTLIBRARIES += plugins/biometric-sbi/rekam-fingerprint-sbi.la
plugins_biometric_sbi_rekam_fingerprint_sbi_la_SOURCES = $(sbi_sources)
plugins_biometric_sbi_rekam_fingerprint_sbi_la_CFLAGS = $(sbi_cflags)
plugins_biometric_sbi_rekam_fingerprint_sbi_la_LDFLAGS = $(plugin_ldflags)
plugins_biometric_sbi_rekam_fingerprint_sbi_la_LIBADD = $(sbi_libs)

rekamplugin_LTLIBRARIES += plugins/biometric-sbi/rekam-iris-sbi.la
plugins_biometric_sbi_rekam_iris_sbi_la_SOURCES = $(sbi_sources)
plugins_biometric_sbi_rekam_iris_sbi_la_CFLAGS = $(sbi_cflags) -DSBI_PLUGIN_IRIS
plugins_biometric_sbi_rekam_iris_sbi_la_LDFLAGS = $(plugin_ldflags)
plugins_biometric_sbi_rekam_iris_sbi_la_LIBADD = $(sbi_libs)

EXTRA_DIST += plugins/biometric-sbi/README.md

# the reply parser and JWS checks on their own, with tampered input
check_PROGRAMS += tests/unit/test-sbi-reply
TESTS += tests/unit/test-sbi-reply
tests_unit_test_sbi_reply_SOURCES = tests/unit/test-sbi-reply.c \
	plugins/biometric-sbi/sbi-reply.c plugins/biometric-sbi/sbi-reply.h
tests_unit_test_sbi_reply_CFLAGS = $(AM_CFLAGS) $(JANSSON_CFLAGS) $(OPENSSL_CFLAGS) \
	-I$(top_srcdir)/tests/lib
tests_unit_test_sbi_reply_LDADD = $(JANSSON_LIBS) $(OPENSSL_LIBS)

# the HTTP layer on a small poll() loop against a fake device service: the
# SBI_REPLY_MAX cut-off
check_PROGRAMS += tests/unit/test-sbi-http
TESTS += tests/unit/test-sbi-http
tests_unit_test_sbi_http_SOURCES = tests/unit/test-sbi-http.c \
	plugins/biometric-sbi/sbi-http.c plugins/biometric-sbi/sbi-http.h
tests_unit_test_sbi_http_CFLAGS = $(AM_CFLAGS) $(LIBCURL_CFLAGS) -I$(top_srcdir)/tests/lib
tests_unit_test_sbi_http_LDADD = $(LIBCURL_LIBS)

# the D-Bus test: rekamd with both plugins and rekam-sim-biometric
check_PROGRAMS += tests/integration/test-biometric
TESTS += tests/integration/test-biometric
tests_integration_test_biometric_SOURCES = tests/integration/test-biometric.c \
	daemon/biometric-quality.c daemon/biometric-quality.h \
	tests/lib/testbus.c tests/lib/testbus.h tests/lib/testclient.c tests/lib/testclient.h
tests_integration_test_biometric_CFLAGS = $(test_cflags)
tests_integration_test_biometric_LDADD = $(DBUS_LIBS)

# the fuzz target of the reply parser (listed in tests/fuzz.mk's fuzz_targets;
# make check replays tests/fuzz/corpus/sbi-reply through tests/fuzz/driver.c)
tests_fuzz_fuzz_sbi_reply_SOURCES = tests/fuzz/fuzz-sbi-reply.c \
	plugins/biometric-sbi/sbi-reply.c plugins/biometric-sbi/sbi-reply.h $(fuzz_main)
tests_fuzz_fuzz_sbi_reply_CFLAGS = $(AM_CFLAGS) $(JANSSON_CFLAGS) $(OPENSSL_CFLAGS)
tests_fuzz_fuzz_sbi_reply_LDFLAGS = $(fuzz_ldflags)
tests_fuzz_fuzz_sbi_reply_LDADD = $(JANSSON_LIBS) $(OPENSSL_LIBS)

# what checking a capture reply costs the event loop (built by make check, run by
# make bench or make bench-sbi)
check_PROGRAMS += tests/bench/bench-sbi
tests_bench_bench_sbi_SOURCES = tests/bench/bench-sbi.c \
	plugins/biometric-sbi/sbi-reply.c plugins/biometric-sbi/sbi-reply.h
tests_bench_bench_sbi_CFLAGS = $(AM_CFLAGS) $(JANSSON_CFLAGS) $(OPENSSL_CFLAGS)
tests_bench_bench_sbi_LDADD = $(JANSSON_LIBS) $(OPENSSL_LIBS)
bench: bench-sbi
bench-sbi: tests/bench/bench-sbi
	tests/bench/bench-sbi $(BENCH_SBI_ARGS)
.PHONY: bench-sbi
