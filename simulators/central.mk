# SPDX-License-Identifier: LGPL-2.1-or-later
# simulators/central.mk - rekam-sim-central, the simulated central (ministry)
# server: HTTPS with mutual TLS on libevent (evhttp + bufferevent_openssl),
# SQLite state, the API of, network faults on its control
# socket. Built on the simulator library only, never on rekamd's code.

bin_PROGRAMS += simulators/rekam-sim-central
simulators_rekam_sim_central_SOURCES = \
	simulators/rekam-sim-central.c \
	simulators/central-server.h \
	simulators/central-http.c \
	simulators/central-api.c \
	simulators/central-card.c \
	simulators/central-crypt.c \
	simulators/central-db.c \
	simulators/central-pki.c
simulators_rekam_sim_central_CFLAGS = $(sim_cflags) $(SQLITE_CFLAGS) $(JANSSON_CFLAGS)
simulators_rekam_sim_central_LDADD = simulators/lib/librekam-sim.la $(LIBEVENT_LIBS) \
	-levent_openssl $(OPENSSL_LIBS) $(SQLITE_LIBS) $(JANSSON_LIBS)

TESTS += tests/integration/test-sim-central.sh
EXTRA_DIST += tests/integration/test-sim-central.sh
