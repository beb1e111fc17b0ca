# SPDX-License-Identifier: LGPL-2.1-or-later
# simulators/camera.mk - rekam-sim-camera: a PTP/IP camera (ISO 15740 over
# TCP) returning JPEG ID portraits, and its test against gphoto2. Included
# from simulators/local.mk.

bin_PROGRAMS += simulators/rekam-sim-camera
simulators_rekam_sim_camera_SOURCES = \
	simulators/rekam-sim-camera.c \
	simulators/camera.h \
	simulators/camera-ptpip.h \
	simulators/camera-ptpip.c \
	simulators/camera-ops.c \
	simulators/camera-photo.c
simulators_rekam_sim_camera_CFLAGS = $(sim_cflags)
simulators_rekam_sim_camera_LDADD = simulators/lib/librekam-sim.la -lm

TESTS += tests/integration/test-sim-camera.sh
EXTRA_DIST += tests/integration/test-sim-camera.sh
