# SPDX-License-Identifier: LGPL-2.1-or-later
# plugins/cardreader-pcsc.mk - card readers through PC/SC-Lite: writing and
# reading KTP-el chips (docs/card.md). Included from plugins/local.mk.

rekamplugin_LTLIBRARIES += plugins/cardreader-pcsc/rekam-cardreader-pcsc.la
cardreader_pcsc_chip_sources = \
	plugins/cardreader-pcsc/blob.c plugins/cardreader-pcsc/blob.h \
	plugins/cardreader-pcsc/chip.c plugins/cardreader-pcsc/chip.h \
	plugins/cardreader-pcsc/personalize.c
plugins_cardreader_pcsc_rekam_cardreader_pcsc_la_SOURCES = \
	plugins/cardreader-pcsc/cardreader-pcsc.c \
	plugins/cardreader-pcsc/monitor.c plugins/cardreader-pcsc/monitor.h \
	plugins/cardreader-pcsc/request.c plugins/cardreader-pcsc/request.h \
	$(cardreader_pcsc_chip_sources)
plugins_cardreader_pcsc_rekam_cardreader_pcsc_la_CFLAGS = $(plugin_cflags) $(PCSC_CFLAGS) \
	$(OPENSSL_CFLAGS) -pthread
plugins_cardreader_pcsc_rekam_cardreader_pcsc_la_LDFLAGS = $(plugin_ldflags)
plugins_cardreader_pcsc_rekam_cardreader_pcsc_la_LIBADD = $(PCSC_LIBS) $(OPENSSL_LIBS) -lpthread
EXTRA_DIST += plugins/cardreader-pcsc/README.md

# The sample personalization blob generator (tests, benchmark, demo).
noinst_PROGRAMS += tests/data/make-card-blob
tests_data_make_card_blob_SOURCES = tests/data/make-card-blob.c \
	plugins/cardreader-pcsc/blob.c plugins/cardreader-pcsc/blob.h
tests_data_make_card_blob_CFLAGS = $(AM_CFLAGS)

# The card benchmark (make bench-card): rekamd against a raw PC/SC loop.
noinst_PROGRAMS += tests/bench/bench-card-loop
tests_bench_bench_card_loop_SOURCES = tests/bench/bench-card-loop.c $(cardreader_pcsc_chip_sources)
tests_bench_bench_card_loop_CFLAGS = $(AM_CFLAGS) $(PCSC_CFLAGS) $(OPENSSL_CFLAGS) $(DBUS_CFLAGS)
tests_bench_bench_card_loop_LDADD = $(PCSC_LIBS) $(OPENSSL_LIBS) $(DBUS_LIBS)
EXTRA_DIST += tests/bench/bench-card
bench: bench-card
bench-card: tests/bench/bench-card-loop tests/data/make-card-blob daemon/rekamd all-local
	top_builddir='$(abs_top_builddir)' $(SHELL) $(top_srcdir)/tests/bench/bench-card $(BENCH_ARGS)
.PHONY: bench-card

TESTS += tests/integration/test-cardreader.sh
EXTRA_DIST += tests/integration/test-cardreader.sh

check_PROGRAMS += tests/unit/test-card-blob
TESTS += tests/unit/test-card-blob
tests_unit_test_card_blob_SOURCES = tests/unit/test-card-blob.c \
	plugins/cardreader-pcsc/blob.c plugins/cardreader-pcsc/blob.h
tests_unit_test_card_blob_CFLAGS = $(AM_CFLAGS) -I$(top_srcdir)/tests/lib

# test-cardreader.sh's helper that cancels a personalization from the claim's holder
check_PROGRAMS += tests/integration/card-cancel
tests_integration_card_cancel_SOURCES = tests/integration/card-cancel.c
tests_integration_card_cancel_CFLAGS = $(AM_CFLAGS) $(DBUS_CFLAGS)
tests_integration_card_cancel_LDADD = $(DBUS_LIBS)
