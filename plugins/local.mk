# SPDX-License-Identifier: LGPL-2.1-or-later
# plugins/local.mk - device plugins, one folder each, installed into
# $(pkglibdir)/plugins as rekam-<class>-<backend>.so.

rekamplugindir = $(pkglibdir)/plugins
plugin_ldflags = -module -avoid-version -no-undefined -shared
plugin_cflags = $(AM_CFLAGS) -fvisibility=hidden

rekamplugin_LTLIBRARIES =

# One fragment per plugin, each adding itself to rekamplugin_LTLIBRARIES.
include plugins/sigpad-sim.mk
include plugins/cardreader-pcsc.mk
include plugins/camera-gphoto2.mk
include plugins/scanner-sane.mk
include plugins/biometric-sbi.mk
include plugins/printer-ipp.mk

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
