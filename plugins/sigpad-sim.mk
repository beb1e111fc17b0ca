# SPDX-License-Identifier: LGPL-2.1-or-later
# plugins/sigpad-sim.mk - the signature pad plugin for rekam-sim-sigpad's
# documented protocol (docs/device-protocol.md). Included from plugins/local.mk.

rekamplugin_LTLIBRARIES += plugins/sigpad-sim/rekam-sigpad-sim.la
plugins_sigpad_sim_rekam_sigpad_sim_la_SOURCES = \
	plugins/sigpad-sim/sigpad-sim.c \
	plugins/sigpad-sim/strokes.c plugins/sigpad-sim/strokes.h
plugins_sigpad_sim_rekam_sigpad_sim_la_CFLAGS = $(plugin_cflags) $(OPENSSL_CFLAGS)
plugins_sigpad_sim_rekam_sigpad_sim_la_LDFLAGS = $(plugin_ldflags)
plugins_sigpad_sim_rekam_sigpad_sim_la_LIBADD = $(OPENSSL_LIBS)
EXTRA_DIST += plugins/sigpad-sim/README.md
