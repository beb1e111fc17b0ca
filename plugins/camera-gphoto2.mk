# SPDX-License-Identifier: LGPL-2.1-or-later
# plugins/camera-gphoto2.mk - cameras through libgphoto2 (USB PTP, PTP/IP),
# and its tests against rekam-sim-camera. Included from plugins/local.mk.

rekamplugin_LTLIBRARIES += plugins/camera-gphoto2/rekam-camera-gphoto2.la
plugins_camera_gphoto2_rekam_camera_gphoto2_la_SOURCES = \
	plugins/camera-gphoto2/camera-gphoto2.c \
	plugins/camera-gphoto2/session.c plugins/camera-gphoto2/session.h \
	plugins/camera-gphoto2/jpeg.c plugins/camera-gphoto2/jpeg.h
plugins_camera_gphoto2_rekam_camera_gphoto2_la_CFLAGS = $(plugin_cflags) $(GPHOTO2_CFLAGS) $(LIBUSB_CFLAGS) \
	$(JPEG_CFLAGS)
plugins_camera_gphoto2_rekam_camera_gphoto2_la_LDFLAGS = $(plugin_ldflags)
plugins_camera_gphoto2_rekam_camera_gphoto2_la_LIBADD = $(GPHOTO2_LIBS) $(LIBUSB_LIBS) $(JPEG_LIBS)
EXTRA_DIST += plugins/camera-gphoto2/README.md

# The portrait checks of rekamd (daemon/photo-check.c) on synthetic portraits.
check_PROGRAMS += tests/unit/test-photo-check
TESTS += tests/unit/test-photo-check
tests_unit_test_photo_check_SOURCES = tests/unit/test-photo-check.c
tests_unit_test_photo_check_CFLAGS = $(test_cflags) $(JPEG_CFLAGS)
tests_unit_test_photo_check_LDADD = daemon/librekamd.la $(JPEG_LIBS) -lm

# The camera end to end: rekam-sim-camera, rekamd, camera-gphoto2, D-Bus.
check_PROGRAMS += tests/integration/test-camera
TESTS += tests/integration/test-camera
tests_integration_test_camera_SOURCES = tests/integration/test-camera.c \
	tests/lib/testbus.c tests/lib/testbus.h tests/lib/testclient.c tests/lib/testclient.h
tests_integration_test_camera_CFLAGS = $(test_cflags)
tests_integration_test_camera_LDADD = $(DBUS_LIBS) $(OPENSSL_LIBS)
EXTRA_DIST += tests/integration/gphoto2.supp tests/integration/gphoto2.lsan
EXTRA_DIST += tests/bench/bench-camera
