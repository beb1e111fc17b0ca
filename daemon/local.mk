# SPDX-License-Identifier: LGPL-2.1-or-later
# daemon/local.mk - rekamd: everything but main.c goes into a convenience
# library so that the unit tests link the same code the daemon runs.

noinst_LTLIBRARIES += daemon/librekamd.la
daemon_librekamd_la_SOURCES = \
	daemon/log.c daemon/log.h \
	daemon/config.c daemon/config.h \
	daemon/config-values.c daemon/config-private.h \
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
	daemon/vault.c daemon/vault.h \
	daemon/audit.c daemon/audit.h \
	daemon/audit-bus.c daemon/audit-bus.h \
	daemon/diag.c daemon/diag.h \
	daemon/report.c daemon/report.h \
	daemon/metrics.c daemon/metrics.h \
	daemon/plugins.c daemon/plugins.h \
	daemon/device.c daemon/device.h daemon/device-private.h \
	daemon/device-op.c \
	daemon/device-run.c \
	daemon/photo-check.c daemon/photo-check.h \
	daemon/host.c daemon/host-events.c daemon/host-events.h \
	daemon/usb.c daemon/usb.h \
	daemon/biometric-quality.c daemon/biometric-quality.h \
	daemon/packet.c daemon/packet.h daemon/packet-crypto.c daemon/packet-mime.c \
	daemon/curl-event.c daemon/curl-event.h \
	daemon/central-reply.c daemon/central-reply.h \
	daemon/uploader.c daemon/uploader.h daemon/uploader-private.h daemon/uploader-request.c \
	daemon/uploader-issuance.c daemon/biometrics.c daemon/biometrics.h \
	daemon/central.c daemon/central.h \
	daemon/cardface.c daemon/cardface.h daemon/cardface-private.h \
	daemon/cardface-check.c daemon/cardface-text.c daemon/cardface-image.c \
	daemon/nik.c daemon/nik.h daemon/regions.c \
	daemon/roles.c daemon/roles.h \
	daemon/crash-point.c daemon/crash-point.h \
	daemon/pipeline.c daemon/pipeline.h daemon/pipeline-record.c daemon/pipeline-upload.c \
	daemon/pipeline-card.c daemon/pipeline-card.h daemon/pipeline-issue.c \
	daemon/pipeline-desk.c daemon/pipeline-preview.c \
	daemon/enrollment.c daemon/enrollment.h daemon/enrollment-dbus.c \
	daemon/inventory.c daemon/inventory.h \
	daemon/daemon.c daemon/daemon.h
daemon_librekamd_la_CFLAGS = $(AM_CFLAGS) $(LIBEVENT_CFLAGS) $(DBUS_CFLAGS) $(SQLITE_CFLAGS) \
	$(OPENSSL_CFLAGS) $(JANSSON_CFLAGS) $(LIBUSB_CFLAGS) $(CARDFACE_CFLAGS) $(JPEG_CFLAGS) \
	$(LIBCURL_CFLAGS)
daemon_librekamd_la_LIBADD = $(LIBEVENT_LIBS) $(DBUS_LIBS) $(SQLITE_LIBS) $(OPENSSL_LIBS) \
	$(JANSSON_LIBS) $(LIBUSB_LIBS) $(CARDFACE_LIBS) $(JPEG_LIBS) $(LIBCURL_LIBS) -lm -lpthread

sbin_PROGRAMS += daemon/rekamd
daemon_rekamd_SOURCES = daemon/main.c
daemon_rekamd_CFLAGS = $(daemon_librekamd_la_CFLAGS)
daemon_rekamd_LDADD = daemon/librekamd.la

# the quality policy of fingerprint and iris captures
check_PROGRAMS += tests/unit/test-biometric-quality
TESTS += tests/unit/test-biometric-quality
tests_unit_test_biometric_quality_SOURCES = tests/unit/test-biometric-quality.c
tests_unit_test_biometric_quality_CFLAGS = $(daemon_librekamd_la_CFLAGS) -I$(top_srcdir)/tests/lib
tests_unit_test_biometric_quality_LDADD = daemon/librekamd.la
