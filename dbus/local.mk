# SPDX-License-Identifier: LGPL-2.1-or-later
# dbus/local.mk - what the bus and the service manager need from rekam: the
# introspection XML (the documented API), the system bus policy, the bus
# activation file and the systemd unit, and for the unit's dedicated user the
# sysusers.d file that makes it and the udev rules that give it its devices. The last two are made from their .in
# templates by make rather than by configure, so that the paths in them are
# fully expanded (configure would leave "${exec_prefix}/sbin").

dbusinterfaces_DATA = dbus/id.rekam.Station1.xml dbus/id.rekam.Station1.Device.xml \
	dbus/id.rekam.Station1.Enrollment.xml
dbuspolicy_DATA = dbus/id.rekam.Station1.conf
dbussystemservices_DATA = dbus/id.rekam.Station1.service
systemdsystemunit_DATA = dbus/rekamd.service
udevrules_DATA = dbus/70-rekam.rules

# sysusers.d wants the file named after the package: install it as rekam.conf.
install-data-local: install-sysusers
uninstall-local: uninstall-sysusers
install-sysusers:
	$(MKDIR_P) '$(DESTDIR)$(sysusersdir)'
	$(INSTALL_DATA) $(srcdir)/dbus/rekam.sysusers '$(DESTDIR)$(sysusersdir)/rekam.conf'
uninstall-sysusers:
	rm -f '$(DESTDIR)$(sysusersdir)/rekam.conf'
.PHONY: install-sysusers uninstall-sysusers

dbus_generated = $(dbussystemservices_DATA) $(systemdsystemunit_DATA)

EXTRA_DIST += \
	$(dbusinterfaces_DATA) \
	$(dbuspolicy_DATA) \
	$(udevrules_DATA) \
	dbus/rekam.sysusers \
	dbus/id.rekam.Station1.service.in \
	dbus/rekamd.service.in
CLEANFILES += $(dbus_generated)

dbus_edit = $(SED) \
	-e 's|@sbindir[@]|$(sbindir)|g' \
	-e 's|@bindir[@]|$(bindir)|g' \
	-e 's|@sysconfdir[@]|$(sysconfdir)|g' \
	-e 's|@localstatedir[@]|$(localstatedir)|g' \
	-e 's|@pkglibdir[@]|$(pkglibdir)|g' \
	-e 's|@docdir[@]|$(docdir)|g' \
	-e 's|@PACKAGE_URL[@]|$(PACKAGE_URL)|g'

dbus/id.rekam.Station1.service: $(srcdir)/dbus/id.rekam.Station1.service.in Makefile
dbus/rekamd.service: $(srcdir)/dbus/rekamd.service.in Makefile
$(dbus_generated):
	$(AM_V_GEN)$(MKDIR_P) $(@D) && rm -f $@ $@.tmp && \
	$(dbus_edit) $(srcdir)/$@.in >$@.tmp && \
	if grep -n '@[a-zA-Z_]*@' $@.tmp >&2; then \
		echo "$@: unsubstituted @variables@ above" >&2; rm -f $@.tmp; exit 1; \
	fi && \
	mv $@.tmp $@
