# SPDX-License-Identifier: LGPL-2.1-or-later
# tests/usb.mk - USB discovery: the test plugin that declares a USB id
# (rekam-test-usb.so) and the hotplug test that runs rekamd on USB devices
# described by umockdev (see docs/usb.md).

check_LTLIBRARIES += tests/plugins/rekam-test-usb.la
tests_plugins_rekam_test_usb_la_SOURCES = tests/plugins/test-usb-plugin.c
tests_plugins_rekam_test_usb_la_CFLAGS = $(test_plugin_cflags)
tests_plugins_rekam_test_usb_la_LDFLAGS = $(test_plugin_ldflags)

check_PROGRAMS += tests/integration/test-usb-hotplug
TESTS += tests/integration/test-usb-hotplug
tests_integration_test_usb_hotplug_SOURCES = tests/integration/test-usb-hotplug.c \
	tests/lib/testbus.c tests/lib/testbus.h tests/lib/testclient.c tests/lib/testclient.h
tests_integration_test_usb_hotplug_CFLAGS = $(test_cflags) $(UMOCKDEV_CFLAGS)
tests_integration_test_usb_hotplug_LDADD = $(DBUS_LIBS) $(UMOCKDEV_LIBS)

