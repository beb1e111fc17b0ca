# SPDX-License-Identifier: LGPL-2.1-or-later
# daemon/local.mk - rekamd: everything but main.c goes into a convenience
# library so that the unit tests link the same code the daemon runs.

noinst_LTLIBRARIES += daemon/librekamd.la
daemon_librekamd_la_SOURCES = \
	daemon/log.c daemon/log.h \
	daemon/config.c daemon/config.h \
	daemon/store.c daemon/store.h \
	daemon/store-migrations.c \
	daemon/sd-notify.c daemon/sd-notify.h \
	daemon/dbus-mainloop.c daemon/dbus-mainloop.h \
	daemon/dbus-error.c daemon/dbus-error.h \
	daemon/dbus-object.c daemon/dbus-object.h \
	daemon/dbus-introspect.c daemon/dbus-introspect.h \
	daemon/manager.c daemon/manager.h \
	daemon/worker.c daemon/worker.h \
	daemon/artifact.c daemon/artifact.h \
	daemon/artifact-bus.c daemon/artifact-bus.h \
	daemon/plugins.c daemon/plugins.h \
	daemon/device.c daemon/device.h daemon/device-private.h \
	daemon/device-op.c \
	daemon/host.c \
	daemon/usb.c daemon/usb.h \
	daemon/daemon.c daemon/daemon.h
daemon_librekamd_la_CFLAGS = $(AM_CFLAGS) $(LIBEVENT_CFLAGS) $(DBUS_CFLAGS) $(SQLITE_CFLAGS) \
	$(OPENSSL_CFLAGS) $(JANSSON_CFLAGS) $(LIBUSB_CFLAGS)
daemon_librekamd_la_LIBADD = $(LIBEVENT_LIBS) $(DBUS_LIBS) $(SQLITE_LIBS) $(OPENSSL_LIBS) \
	$(JANSSON_LIBS) $(LIBUSB_LIBS) -lpthread

sbin_PROGRAMS += daemon/rekamd
daemon_rekamd_SOURCES = daemon/main.c
daemon_rekamd_CFLAGS = $(daemon_librekamd_la_CFLAGS)
daemon_rekamd_LDADD = daemon/librekamd.la
