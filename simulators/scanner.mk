# SPDX-License-Identifier: LGPL-2.1-or-later
# simulators/scanner.mk - rekam-sim-scanner: an eSCL (AirScan) document
# scanner over HTTP serving the applicant's papers, and its test against
# scanimage through sane-airscan. Included from simulators/local.mk.

bin_PROGRAMS += simulators/rekam-sim-scanner
simulators_rekam_sim_scanner_SOURCES = \
	simulators/rekam-sim-scanner.c \
	simulators/scanner.h \
	simulators/scanner-escl.c \
	simulators/scanner-pages.c
simulators_rekam_sim_scanner_CFLAGS = $(sim_cflags) $(FONTCONFIG_CFLAGS)
simulators_rekam_sim_scanner_LDADD = simulators/lib/librekam-sim.la $(LIBEVENT_LIBS) \
	$(CAIRO_LIBS) $(FONTCONFIG_LIBS) $(JPEG_LIBS) -lm

TESTS += tests/integration/test-sim-scanner.sh
EXTRA_DIST += tests/integration/test-sim-scanner.sh
