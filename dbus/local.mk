# SPDX-License-Identifier: LGPL-2.1-or-later
# dbus/local.mk - what the bus and the service manager need from rekam: the
# introspection XML (the documented API), the system bus policy, the bus
# activation file and the systemd unit. The last two are made from their .in
# templates by make rather than by configure, so that the paths in them are
# fully expanded (configure would leave "${exec_prefix}/sbin").

dbusinterfaces_DATA = dbus/id.rekam.Station1.xml dbus/id.rekam.Station1.Device.xml \
	dbus/id.rekam.Station1.Enrollment.xml
dbuspolicy_DATA = dbus/id.rekam.Station1.conf
dbussystemservices_DATA = dbus/id.rekam.Station1.service
systemdsystemunit_DATA = dbus/rekamd.service

dbus_generated = $(dbussystemservices_DATA) $(systemdsystemunit_DATA)

EXTRA_DIST += \
	$(dbusinterfaces_DATA) \
	$(dbuspolicy_DATA) \
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
