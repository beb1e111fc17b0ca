# SPDX-License-Identifier: LGPL-2.1-or-later
# tests/local.mk - `make check`: unit tests (tests/unit, C, linked against the
# daemon's own code) and integration tests (tests/integration: a private
# dbus-daemon, the real rekamd, and real clients: libdbus, gdbus, busctl,
# dbus-send, rekamctl). Every test speaks TAP; tests/run-test runs each one.

TEST_EXTENSIONS = .sh
LOG_DRIVER = env AM_TAP_AWK='$(AWK)' $(SHELL) $(top_srcdir)/build-aux/tap-driver.sh
LOG_COMPILER = $(top_srcdir)/tests/run-test
SH_LOG_DRIVER = $(LOG_DRIVER)
SH_LOG_COMPILER = $(top_srcdir)/tests/run-test

AM_TESTS_ENVIRONMENT = \
	export top_srcdir='$(abs_top_srcdir)'; \
	export top_builddir='$(abs_top_builddir)'; \
	export REKAMD='$(abs_top_builddir)/daemon/rekamd'; \
	export REKAMCTL='$(abs_top_builddir)/client/rekamctl'; \
	export REKAM_DBUS_DAEMON='$(DBUS_DAEMON)'; \
	export REKAM_TEST_LIB='$(abs_top_srcdir)/tests/integration/lib.sh'; \
	export REKAM_TEST_PLUGIN_DIR='$(abs_top_builddir)/tests/plugins/.libs'; \
	export REKAM_PLUGIN_DIR='$(abs_top_builddir)/plugins/built'; \
	export SHELL='$(SHELL)';

EXTRA_DIST += tests/run-test tests/lib/tap.h tests/lib/seed.h tests/bench/bench.h

test_cflags = $(AM_CFLAGS) $(LIBEVENT_CFLAGS) $(DBUS_CFLAGS) $(SQLITE_CFLAGS) $(OPENSSL_CFLAGS) \
	$(JANSSON_CFLAGS) -I$(top_srcdir)/tests/lib

# --- unit tests -------------------------------------------------------------
unit_tests = \
	tests/unit/test-store \
	tests/unit/test-worker \
	tests/unit/test-artifact \
	tests/unit/test-vault \
	tests/unit/test-config \
	tests/unit/test-dbus-object \
	tests/unit/test-report
check_PROGRAMS += $(unit_tests)
TESTS += $(unit_tests)

tests_unit_test_store_SOURCES = tests/unit/test-store.c
tests_unit_test_store_CFLAGS = $(test_cflags)
tests_unit_test_store_LDADD = daemon/librekamd.la

tests_unit_test_worker_SOURCES = tests/unit/test-worker.c
tests_unit_test_worker_CFLAGS = $(test_cflags)
tests_unit_test_worker_LDADD = daemon/librekamd.la

tests_unit_test_artifact_SOURCES = tests/unit/test-artifact.c
tests_unit_test_artifact_CFLAGS = $(test_cflags)
tests_unit_test_artifact_LDADD = daemon/librekamd.la

tests_unit_test_vault_SOURCES = tests/unit/test-vault.c
tests_unit_test_vault_CFLAGS = $(test_cflags)
tests_unit_test_vault_LDADD = daemon/librekamd.la

tests_unit_test_config_SOURCES = tests/unit/test-config.c
tests_unit_test_config_CFLAGS = $(test_cflags)
tests_unit_test_config_LDADD = daemon/librekamd.la

tests_unit_test_report_SOURCES = tests/unit/test-report.c
tests_unit_test_report_CFLAGS = $(test_cflags)
tests_unit_test_report_LDADD = daemon/librekamd.la

tests_unit_test_dbus_object_SOURCES = tests/unit/test-dbus-object.c tests/lib/testbus.c tests/lib/testbus.h
tests_unit_test_dbus_object_CFLAGS = $(test_cflags)
tests_unit_test_dbus_object_LDADD = daemon/librekamd.la

# --- test plugins (tests/plugins/test-plugin.c in four variants) ----------------
test_plugin_ldflags = -module -avoid-version -no-undefined -shared -rpath /nowhere
test_plugin_cflags = $(AM_CFLAGS) -fvisibility=hidden
check_LTLIBRARIES += \
	tests/plugins/rekam-test-timer.la \
	tests/plugins/rekam-test-badabi.la \
	tests/plugins/rekam-test-probefail.la \
	tests/plugins/rekam-test-misnamed.la \
	tests/plugins/rekam-test-abi10.la
tests_plugins_rekam_test_timer_la_SOURCES = tests/plugins/test-plugin.c
tests_plugins_rekam_test_timer_la_CFLAGS = $(test_plugin_cflags) -DTEST_NAME='"test-timer"'
tests_plugins_rekam_test_timer_la_LDFLAGS = $(test_plugin_ldflags)
tests_plugins_rekam_test_badabi_la_SOURCES = tests/plugins/test-plugin.c
tests_plugins_rekam_test_badabi_la_CFLAGS = $(test_plugin_cflags) -DTEST_BAD_ABI \
	-DTEST_VARIANT='"badabi"'
tests_plugins_rekam_test_badabi_la_LDFLAGS = $(test_plugin_ldflags)
tests_plugins_rekam_test_probefail_la_SOURCES = tests/plugins/test-plugin.c
tests_plugins_rekam_test_probefail_la_CFLAGS = $(test_plugin_cflags) \
	-DTEST_NAME='"test-probefail"' -DTEST_PROBE_FAILS -DTEST_VARIANT='"probefail"'
tests_plugins_rekam_test_probefail_la_LDFLAGS = $(test_plugin_ldflags)
tests_plugins_rekam_test_misnamed_la_SOURCES = tests/plugins/test-plugin.c
tests_plugins_rekam_test_misnamed_la_CFLAGS = $(test_plugin_cflags) \
	-DTEST_NAME='"test-other"' -DTEST_VARIANT='"misnamed"'
tests_plugins_rekam_test_misnamed_la_LDFLAGS = $(test_plugin_ldflags)
tests_plugins_rekam_test_abi10_la_SOURCES = tests/plugins/test-plugin.c
tests_plugins_rekam_test_abi10_la_CFLAGS = $(test_plugin_cflags) \
	-DTEST_NAME='"test-abi10"' -DTEST_ABI_1_0 -DTEST_VARIANT='"abi10"'
tests_plugins_rekam_test_abi10_la_LDFLAGS = $(test_plugin_ldflags)

# --- integration tests ------------------------------------------------------
integration_c_tests = \
	tests/integration/test-lifecycle \
	tests/integration/test-devices \
	tests/integration/test-jobs \
	tests/integration/test-sigpad
check_PROGRAMS += $(integration_c_tests)
TESTS += $(integration_c_tests)

tests_integration_test_lifecycle_SOURCES = tests/integration/test-lifecycle.c \
	tests/lib/testbus.c tests/lib/testbus.h
tests_integration_test_lifecycle_CFLAGS = $(test_cflags)
tests_integration_test_lifecycle_LDADD = $(DBUS_LIBS)

tests_integration_test_devices_SOURCES = tests/integration/test-devices.c \
	tests/lib/testbus.c tests/lib/testbus.h tests/lib/testclient.c tests/lib/testclient.h
tests_integration_test_devices_CFLAGS = $(test_cflags)
tests_integration_test_devices_LDADD = $(DBUS_LIBS) $(OPENSSL_LIBS)

tests_integration_test_jobs_SOURCES = tests/integration/test-jobs.c \
	tests/lib/testbus.c tests/lib/testbus.h tests/lib/testclient.c tests/lib/testclient.h
tests_integration_test_jobs_CFLAGS = $(test_cflags)
tests_integration_test_jobs_LDADD = $(DBUS_LIBS) $(OPENSSL_LIBS)

tests_integration_test_sigpad_SOURCES = tests/integration/test-sigpad.c \
	tests/lib/testbus.c tests/lib/testbus.h tests/lib/testclient.c tests/lib/testclient.h
tests_integration_test_sigpad_CFLAGS = $(test_cflags)
tests_integration_test_sigpad_LDADD = $(DBUS_LIBS)

integration_sh_tests = \
	tests/integration/test-bus-api.sh \
	tests/integration/test-config.sh \
	tests/integration/test-store.sh \
	tests/integration/test-rekamctl.sh \
	tests/integration/test-rekamctl-jobs.sh \
	tests/integration/test-unit-security.sh \
	tests/integration/test-audit.sh \
	tests/integration/test-diag.sh \
	tests/integration/test-monitor.sh \
	tests/integration/test-metrics.sh \
	tests/integration/test-report.sh \
	tests/integration/test-diag-direct.sh \
	tests/integration/test-plugin-globs.sh \
	tests/integration/test-roles-matrix.sh
TESTS += $(integration_sh_tests)
EXTRA_DIST += $(integration_sh_tests) tests/integration/lib.sh
include tests/usb.mk
include tests/fuzz.mk
include tests/stress.mk
include tests/pipeline.mk

# --- benchmarks (not part of make check) ----------------------------------------
# `make bench` builds and runs tests/bench/*: each prints medians and ratios
# against a baseline measured in the same run. docs/PERFORMANCE.md has the
# figures and how to read them.
EXTRA_PROGRAMS = tests/bench/bench-dbus tests/bench/bench-pipeline
EXTRA_DIST += tests/bench/bench-dbus.c
CLEANFILES += $(EXTRA_PROGRAMS)
tests_bench_bench_dbus_SOURCES = tests/bench/bench-dbus.c tests/lib/testbus.c tests/lib/testbus.h
tests_bench_bench_dbus_CFLAGS = $(test_cflags)
tests_bench_bench_dbus_LDADD = $(DBUS_LIBS)

bench: $(EXTRA_PROGRAMS) daemon/rekamd
	REKAMD='$(abs_top_builddir)/daemon/rekamd' tests/bench/bench-dbus $(BENCH_ARGS)
	top_builddir='$(abs_top_builddir)' $(SHELL) $(top_srcdir)/tests/bench/bench-camera \
		$(BENCH_CAMERA_ARGS)
	tests/bench/bench-pipeline
.PHONY: bench

include tests/central.mk
# the card face renderer: its unit test and benchmark
include tests/cardface.mk

# Pictures tests leave in the build tree for a person to look at.
clean-local: clean-test-samples
clean-test-samples:
	rm -rf tests/scanner-samples tests/biometric-samples
.PHONY: clean-test-samples
include tests/bench.mk
