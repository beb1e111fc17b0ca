# SPDX-License-Identifier: LGPL-2.1-or-later
# plugins/local.mk - device plugins, one folder each, installed into
# $(pkglibdir)/plugins as rekam-<class>-<backend>.so.

rekamplugindir = $(pkglibdir)/plugins
plugin_ldflags = -module -avoid-version -no-undefined -shared
plugin_cflags = $(AM_CFLAGS) -fvisibility=hidden

rekamplugin_LTLIBRARIES = plugins/sigpad-sim/rekam-sigpad-sim.la
plugins_sigpad_sim_rekam_sigpad_sim_la_SOURCES = \
	plugins/sigpad-sim/sigpad-sim.c \
	plugins/sigpad-sim/strokes.c plugins/sigpad-sim/strokes.h
plugins_sigpad_sim_rekam_sigpad_sim_la_CFLAGS = $(plugin_cflags) $(OPENSSL_CFLAGS)
plugins_sigpad_sim_rekam_sigpad_sim_la_LDFLAGS = $(plugin_ldflags)
plugins_sigpad_sim_rekam_sigpad_sim_la_LIBADD = $(OPENSSL_LIBS)
EXTRA_DIST += plugins/sigpad-sim/README.md

# make check runs rekamd with this directory of links to the built plugins.
all-local: plugins/.dir
plugins/.dir: $(rekamplugin_LTLIBRARIES)
	$(AM_V_GEN)$(MKDIR_P) plugins/built && \
	for la in $(rekamplugin_LTLIBRARIES); do \
		so=$$(basename $$la .la).so; \
		ln -sf ../../$$(dirname $$la)/.libs/$$so plugins/built/$$so; \
	done && touch $@
CLEANFILES += plugins/.dir
clean-local: clean-plugins-built
clean-plugins-built:
	rm -rf plugins/built
.PHONY: clean-plugins-built
