# SPDX-License-Identifier: LGPL-2.1-or-later
# plugins/scanner-sane.mk - document scanners through SANE (libsane): eSCL
# scanners through sane-airscan, SANE's test backend, any other backend; its
# tests against rekam-sim-scanner. Included from plugins/local.mk.

rekamplugin_LTLIBRARIES += plugins/scanner-sane/rekam-scanner-sane.la
plugins_scanner_sane_rekam_scanner_sane_la_SOURCES = \
	plugins/scanner-sane/scanner-sane.c \
	plugins/scanner-sane/scan.h \
	plugins/scanner-sane/sane-io.c \
	plugins/scanner-sane/page-encode.c
plugins_scanner_sane_rekam_scanner_sane_la_CFLAGS = $(plugin_cflags) $(SANE_CFLAGS) \
	$(PNG_CFLAGS) $(JPEG_CFLAGS) -pthread
plugins_scanner_sane_rekam_scanner_sane_la_LDFLAGS = $(plugin_ldflags)
plugins_scanner_sane_rekam_scanner_sane_la_LIBADD = $(SANE_LIBS) $(PNG_LIBS) $(JPEG_LIBS) -lm \
	-lpthread
EXTRA_DIST += plugins/scanner-sane/README.md tests/integration/scanner-sane.supp \
	tests/integration/scanner-sane.lsan

# through rekamd over D-Bus, against rekam-sim-scanner (and SANE's test backend)
check_PROGRAMS += tests/integration/test-scanner
TESTS += tests/integration/test-scanner
tests_integration_test_scanner_SOURCES = tests/integration/test-scanner.c \
	tests/lib/testbus.c tests/lib/testbus.h tests/lib/testclient.c tests/lib/testclient.h
tests_integration_test_scanner_CFLAGS = $(test_cflags)
tests_integration_test_scanner_LDADD = $(DBUS_LIBS)

# the operator's view: rekamctl capture --save against the simulator
TESTS += tests/integration/test-rekamctl-scan.sh
EXTRA_DIST += tests/integration/test-rekamctl-scan.sh

# `make bench` also scans: a page through rekamd against scanimage (medians, ratio)
EXTRA_DIST += tests/bench/bench-scan.sh
bench: bench-scan
bench-scan: daemon/rekamd client/rekamctl simulators/rekam-sim-scanner plugins/.dir
	REKAMD='$(abs_top_builddir)/daemon/rekamd' REKAMCTL='$(abs_top_builddir)/client/rekamctl' \
	top_builddir='$(abs_top_builddir)' \
	REKAM_TEST_LIB='$(abs_top_srcdir)/tests/integration/lib.sh' \
	$(SHELL) $(top_srcdir)/tests/bench/bench-scan.sh $(BENCH_SCAN_ARGS)
.PHONY: bench-scan

# the page files (PNG, JPEG, PDF) read back with libpng and libjpeg
check_PROGRAMS += tests/unit/test-scan-encode
TESTS += tests/unit/test-scan-encode
tests_unit_test_scan_encode_SOURCES = tests/unit/test-scan-encode.c \
	plugins/scanner-sane/page-encode.c plugins/scanner-sane/scan.h
tests_unit_test_scan_encode_CFLAGS = $(AM_CFLAGS) -I$(top_srcdir)/tests/lib $(SANE_CFLAGS) \
	$(PNG_CFLAGS) $(JPEG_CFLAGS)
tests_unit_test_scan_encode_LDADD = $(PNG_LIBS) $(JPEG_LIBS)
