# SPDX-License-Identifier: LGPL-2.1-or-later
# simulators/local.mk - the device simulators: standalone programs built on
# one small static library (simulators/lib, never linked into rekamd) that
# imitate each device at its wire protocol, with a control socket for faults.

sim_cflags = $(AM_CFLAGS) $(LIBEVENT_CFLAGS) $(CAIRO_CFLAGS) $(JPEG_CFLAGS) $(PNG_CFLAGS) \
	$(OPENSSL_CFLAGS)

noinst_LTLIBRARIES += simulators/lib/librekam-sim.la
simulators_lib_librekam_sim_la_SOURCES = \
	simulators/lib/sim.h \
	simulators/lib/sim-private.h \
	simulators/lib/sim-main.c \
	simulators/lib/sim-device.c \
	simulators/lib/sim-control.c \
	simulators/lib/sim-line.c \
	simulators/lib/sim-random.c \
	simulators/lib/sim-clock.c \
	simulators/lib/sim-encode.c \
	simulators/lib/sim-image.c \
	simulators/lib/sim-log.c
simulators_lib_librekam_sim_la_CFLAGS = $(sim_cflags)
simulators_lib_librekam_sim_la_LIBADD = $(LIBEVENT_LIBS) $(CAIRO_LIBS) $(JPEG_LIBS) $(PNG_LIBS) \
	$(OPENSSL_LIBS) -lm

bin_PROGRAMS += simulators/rekam-sim-sigpad
simulators_rekam_sim_sigpad_SOURCES = \
	simulators/rekam-sim-sigpad.c \
	simulators/sigpad.h \
	simulators/sigpad-protocol.c \
	simulators/sigpad-ink.c \
	simulators/sigpad-render.c
simulators_rekam_sim_sigpad_CFLAGS = $(sim_cflags)
simulators_rekam_sim_sigpad_LDADD = simulators/lib/librekam-sim.la

# --- tests ---------------------------------------------------------------------
check_PROGRAMS += tests/unit/test-sim-lib
TESTS += tests/unit/test-sim-lib
tests_unit_test_sim_lib_SOURCES = tests/unit/test-sim-lib.c
tests_unit_test_sim_lib_CFLAGS = $(sim_cflags) -I$(top_srcdir)/tests/lib
tests_unit_test_sim_lib_LDADD = simulators/lib/librekam-sim.la

TESTS += tests/integration/test-sim-sigpad.sh
EXTRA_DIST += tests/integration/test-sim-sigpad.sh

TESTS += tests/integration/test-sim-station.sh
EXTRA_DIST += tests/integration/test-sim-station.sh tests/integration/station.lsan

# a whole simulated station: private bus, every simulator, rekamd
bin_PROGRAMS += simulators/rekam-sim-station
simulators_rekam_sim_station_SOURCES = simulators/rekam-sim-station.c simulators/station.h \
	simulators/station-proc.c simulators/station-find.c simulators/station-rekamd.c \
	simulators/station-devices.c simulators/station-pcscd.c
simulators_rekam_sim_station_CPPFLAGS = $(AM_CPPFLAGS) \
	-DSBINDIR=\""$(sbindir)"\" \
	-DBINDIR=\""$(bindir)"\" \
	-DDBUS_DAEMON=\""$(DBUS_DAEMON)"\"
simulators_rekam_sim_station_CFLAGS = $(AM_CFLAGS) $(DBUS_CFLAGS) $(PCSC_CFLAGS)
simulators_rekam_sim_station_LDADD = $(DBUS_LIBS) $(PCSC_LIBS)

# what ./quickstart demo runs inside rekam-sim-station
EXTRA_DIST += scripts/demo-station.sh
include simulators/central.mk
include simulators/camera.mk
include simulators/card.mk
include simulators/scanner.mk
include simulators/biometric.mk
include simulators/printer.mk
