#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# tests/integration/test-plugin-globs.sh - which plugins rekamd loads:
# [plugins] enable/disable of rekamd.conf and --plugins/--noplugins, each a
# list of glob patterns, checked against rekamd's log and its devices.
. "${REKAM_TEST_LIB:-$(dirname "$0")/lib.sh}"

[ -n "${REKAM_TEST_PLUGIN_DIR:-}" ] || skip_all "REKAM_TEST_PLUGIN_DIR is not set (run through make check)"
require_tools busctl
start_bus

# run_with CONFIG-LINES... -- ARGS...: start rekamd, return its log and Devices
run_with() {
	local lines=() args=()
	while [ $# -gt 0 ] && [ "$1" != -- ]; do lines+=("$1"); shift; done
	[ $# -gt 0 ] && shift
	args=("$@")
	write_config "${lines[@]}" "[device cam]" "plugin = test-timer" "connection = test:1"
	: >"$REKAM_TMP/rekamd.log"
	rm -rf "$REKAM_TMP/state"
	start_rekamd --session --state-dir "$REKAM_TMP/state" --config "$REKAM_TMP/rekamd.conf" \
		--plugin-dir "$REKAM_TEST_PLUGIN_DIR" "${args[@]}"
	DEVICES=$(busctl --address="$DBUS_SESSION_BUS_ADDRESS" get-property $REKAM_NAME $REKAM_PATH \
		$REKAM_NAME Devices 2>&1)
	stop_rekamd
	LOG=$(cat "$REKAM_TMP/rekamd.log")
}

run_with --
like "$LOG" "plugin test-timer 1.0 loaded" "by default every plugin is loaded"
is "$DEVICES" "ao 1 \"$REKAM_PATH/devices/camera0\"" "... and the configured device appears"

run_with -- --noplugins 'test-t*'
like "$LOG" "plugin test-timer: disabled by configuration" "--noplugins with a glob disables a plugin"
like "$LOG" "device cam: plugin test-timer is not loaded" "... and its device is reported"
is "$DEVICES" "ao 0" "... and not created"

run_with -- --plugins 'test-timer,test-other'
like "$LOG" "plugin test-probefail: disabled by configuration" "--plugins loads only the plugins it names"
like "$LOG" "plugin test-timer 1.0 loaded" "... including the one asked for"

run_with "[plugins]" "enable = test-*" "disable = test-timer"
like "$LOG" "plugin test-timer: disabled by configuration" "[plugins] disable wins over enable"
like "$LOG" "plugin test-probefail 1.0 loaded" "... while the others enabled load"

run_with "[plugins]" "enable = test-timer" -- --noplugins 'test-timer'
like "$LOG" "plugin test-timer: disabled by configuration" "--noplugins also overrides [plugins] enable"

done_testing
