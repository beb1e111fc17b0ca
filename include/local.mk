# SPDX-License-Identifier: LGPL-2.1-or-later
# include/local.mk - the plugin SDK: the plugin ABI header, installed into
# $(includedir)/rekam/, and rekam-plugin.pc for pkg-config, installed into
# $(libdir)/pkgconfig. The .pc is made from its .in template by make (as
# dbus/local.mk does), with its directories relative to ${prefix} where they
# are below it, so that pkg-config --define-variable=prefix=... relocates it.
# Its plugindir is rekamd's default plugin directory, $(pkglibdir)/plugins,
# and its abi_major/abi_minor are read from the header.

rekamincludedir = $(includedir)/rekam
rekaminclude_HEADERS = include/rekam/plugin.h

pkgconfigdir = $(libdir)/pkgconfig
pkgconfig_DATA = rekam-plugin.pc

EXTRA_DIST += rekam-plugin.pc.in
CLEANFILES += rekam-plugin.pc

# In the recipe: rel DIR VALUE NAME prints VALUE with a leading DIR written
# as NAME (a pkg-config variable); abi MAJOR|MINOR reads the header's version.
rekam-plugin.pc: $(srcdir)/rekam-plugin.pc.in $(srcdir)/include/rekam/plugin.h Makefile
	$(AM_V_GEN)rm -f $@ $@.tmp && \
	rel() { case "$$2" in "$$1") echo "$$3" ;; "$$1"/*) echo "$$3$${2#"$$1"}" ;; \
		*) echo "$$2" ;; esac; } && \
	abi() { $(SED) -n "s/^#define REKAM_PLUGIN_ABI_$$1  *\([0-9][0-9]*\)\$$/\1/p" \
		$(srcdir)/include/rekam/plugin.h; } && \
	pc_exec_prefix=`rel '$(prefix)' '$(exec_prefix)' '$${prefix}'` && \
	pc_libdir=`rel '$(exec_prefix)' '$(libdir)' '$${exec_prefix}'` && \
	pc_includedir=`rel '$(prefix)' '$(includedir)' '$${prefix}'` && \
	pc_plugindir=`rel '$(libdir)' '$(pkglibdir)/plugins' '$${libdir}'` && \
	abi_major=`abi MAJOR` && abi_minor=`abi MINOR` && \
	if test -z "$$abi_major" || test -z "$$abi_minor"; then \
		echo "$@: no REKAM_PLUGIN_ABI_MAJOR/MINOR in include/rekam/plugin.h" >&2; exit 1; \
	fi && \
	$(SED) \
		-e "s|@prefix[@]|$(prefix)|g" \
		-e "s|@exec_prefix[@]|$$pc_exec_prefix|g" \
		-e "s|@libdir[@]|$$pc_libdir|g" \
		-e "s|@includedir[@]|$$pc_includedir|g" \
		-e "s|@plugindir[@]|$$pc_plugindir|g" \
		-e "s|@abi_major[@]|$$abi_major|g" \
		-e "s|@abi_minor[@]|$$abi_minor|g" \
		-e "s|@PACKAGE_VERSION[@]|$(PACKAGE_VERSION)|g" \
		-e "s|@PACKAGE_URL[@]|$(PACKAGE_URL)|g" \
		$(srcdir)/rekam-plugin.pc.in >$@.tmp && \
	if grep -n '@[a-zA-Z_]*@' $@.tmp >&2; then \
		echo "$@: unsubstituted @variables@ above" >&2; rm -f $@.tmp; exit 1; \
	fi && \
	mv $@.tmp $@

# The SDK's own test: install these two into a DESTDIR, build a plugin
# outside the tree with pkg-config, and load it into rekamd.
sdk_tests = \
	tests/integration/test-plugin-sdk.sh \
	tests/integration/test-rekamctl-devices.sh
TESTS += $(sdk_tests)
EXTRA_DIST += $(sdk_tests) tests/integration/sdk-plugin.sh
