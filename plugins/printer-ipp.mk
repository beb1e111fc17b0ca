# SPDX-License-Identifier: LGPL-2.1-or-later
# plugins/printer-ipp.mk - card printers over IPP with libcups (a CUPS queue
# or the printer itself; rekam-sim-printer in CI), and its tests through
# rekamd. Included from plugins/local.mk.

rekamplugin_LTLIBRARIES += plugins/printer-ipp/rekam-printer-ipp.la
plugins_printer_ipp_rekam_printer_ipp_la_SOURCES = \
	plugins/printer-ipp/printer-ipp.c \
	plugins/printer-ipp/ipp-client.c plugins/printer-ipp/ipp-client.h
plugins_printer_ipp_rekam_printer_ipp_la_CFLAGS = $(plugin_cflags) $(CUPS_CFLAGS)
plugins_printer_ipp_rekam_printer_ipp_la_LDFLAGS = $(plugin_ldflags)
plugins_printer_ipp_rekam_printer_ipp_la_LIBADD = $(CUPS_LIBS)
EXTRA_DIST += plugins/printer-ipp/README.md

TESTS += tests/integration/test-printer.sh
EXTRA_DIST += tests/integration/test-printer.sh

# a helper of test-printer.sh: rekamd's card face renderer writes the PNGs it prints
check_PROGRAMS += tests/integration/printer-card-faces
tests_integration_printer_card_faces_SOURCES = tests/integration/printer-card-faces.c \
	tests/lib/cardface-samples.c tests/lib/cardface-samples.h
tests_integration_printer_card_faces_CFLAGS = $(test_cflags) $(CARDFACE_CFLAGS) $(sim_cflags)
tests_integration_printer_card_faces_LDADD = daemon/librekamd.la simulators/lib/librekam-sim.la -lm
