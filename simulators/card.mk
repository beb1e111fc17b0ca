# SPDX-License-Identifier: LGPL-2.1-or-later
# simulators/card.mk - rekam-sim-card, the simulated KTP-el chip that plugs
# into a real pcscd through the vsmartcard vpcd reader driver, and its test.
# Included from simulators/local.mk (it uses $(sim_cflags) from there).

bin_PROGRAMS += simulators/rekam-sim-card
simulators_rekam_sim_card_SOURCES = \
	simulators/rekam-sim-card.c \
	simulators/card-chip.h \
	simulators/card-apdu.c \
	simulators/card-state.c
simulators_rekam_sim_card_CFLAGS = $(sim_cflags)
simulators_rekam_sim_card_LDADD = simulators/lib/librekam-sim.la $(OPENSSL_LIBS)

TESTS += tests/integration/test-sim-card.sh
EXTRA_DIST += tests/integration/test-sim-card.sh
