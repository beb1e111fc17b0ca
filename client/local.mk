# SPDX-License-Identifier: LGPL-2.1-or-later
# client/local.mk - rekamctl, the command-line client: a D-Bus client of
# rekamd (it never opens the station database). One command per cmd-*.c file.

bin_PROGRAMS += client/rekamctl
client_rekamctl_SOURCES = \
	client/rekamctl.c \
	client/commands.h \
	client/bus.c client/bus.h \
	client/cmd-status.c \
	client/cmd-devices.c \
	client/session.c client/session.h \
	client/cmd-capture.c \
	client/cmd-job.c \
	client/cmd-artifact.c \
	client/cmd-audit.c \
	client/cmd-diag.c \
	client/cmd-report.c \
	client/cmd-monitor.c \
	client/cmd-enroll.c \
	client/cmd-pipeline.c client/enroll.h \
	client/cmd-cards.c \
	client/html.c client/html.h
client_rekamctl_CFLAGS = $(AM_CFLAGS) $(DBUS_CFLAGS) $(JANSSON_CFLAGS) $(LIBEVENT_CFLAGS)
client_rekamctl_LDADD = $(DBUS_LIBS) $(JANSSON_LIBS) $(LIBEVENT_LIBS) -lpthread

# diag --direct (client/direct.c) hosts the plugins itself, with rekamd's own
# configuration reader, plugin loader, worker pool and plugin watches and
# timers: those files only, not the daemon (rekamctl still never opens the
# station database).
client_rekamctl_SOURCES += \
	client/direct.c \
	daemon/config.c daemon/config.h daemon/config-values.c daemon/config-private.h \
	daemon/plugins.c daemon/plugins.h \
	daemon/worker.c daemon/worker.h \
	daemon/host-events.c daemon/host-events.h \
	daemon/log.c daemon/log.h
