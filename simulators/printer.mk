# SPDX-License-Identifier: LGPL-2.1-or-later
# simulators/printer.mk - rekam-sim-printer: an IPP card printer (libcups'
# IPP encoding on evhttp) with a hopper, a ribbon, faults and an inline
# encoder linked to rekam-sim-card, and its test against ipptool. Included
# from simulators/local.mk (it uses $(sim_cflags) from there).

bin_PROGRAMS += simulators/rekam-sim-printer
simulators_rekam_sim_printer_SOURCES = \
	simulators/rekam-sim-printer.c \
	simulators/printer.h \
	simulators/printer-ipp.c \
	simulators/printer-attrs.h \
	simulators/printer-attrs.c \
	simulators/printer-engine.c \
	simulators/printer-encoder.c
simulators_rekam_sim_printer_CFLAGS = $(sim_cflags) $(CUPS_CFLAGS)
simulators_rekam_sim_printer_LDADD = simulators/lib/librekam-sim.la $(CUPS_LIBS)

TESTS += tests/integration/test-sim-printer.sh
EXTRA_DIST += tests/integration/test-sim-printer.sh \
	tests/data/printer-print-job.test \
	tests/data/printer-card-job.test \
	tests/data/printer-stage.test

# the encoder link seen by a real pcscd (flock /tmp/rekam-pcscd.lock inside)
TESTS += tests/integration/test-printer-pcscd.sh
EXTRA_DIST += tests/integration/test-printer-pcscd.sh
