#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# tests/stress/test-dbus-fuzz.sh - bad input on the bus: tests/stress/dbus-fuzz
# makes REKAM_STRESS_CALLS calls (default 1500; 400 under valgrind) of every
# method rekamd serves with wrong arguments, plus known-bad values; every
# answer must be a proper error, rekamd must stay up, and the station
# database must hold the same artifacts and metadata as before (only the
# audit trail grows).

# shellcheck source=tests/integration/lib.sh
. "${REKAM_TEST_LIB:-$(dirname "$0")/../integration/lib.sh}"

require_tools sqlite3
fuzz=$top_builddir/tests/stress/dbus-fuzz
[ -x "$fuzz" ] || bail "$fuzz is not built"
db=$REKAM_TMP/state/rekam.db
calls=${REKAM_STRESS_CALLS:-1500}
[ "${REKAM_TEST_VALGRIND:-0}" = 1 ] && calls=${REKAM_STRESS_CALLS:-400}

start_bus
write_config "[device cam]" "plugin = test-timer" "connection = test:1" \
	"[device gone]" "plugin = test-timer" "connection = test:2" "open = absent"
start_rekamd --session --state-dir "$REKAM_TMP/state" --config "$REKAM_TMP/rekamd.conf" \
	--plugin-dir "$REKAM_TEST_PLUGIN_DIR"
sleep 0.3

snapshot() {
	sqlite3 -cmd '.timeout 10000' "$db" \
		"SELECT * FROM artifacts ORDER BY handle; SELECT * FROM meta ORDER BY key"
}
before=$(snapshot)

# its own TAP lines, renumbered into ours
"$fuzz" "$calls" 7 >"$REKAM_TMP/fuzz.out" 2>&1
status=$?
while IFS= read -r line; do
	case $line in
	"ok "*) ok 0 "${line#* - }" ;;
	"not ok "*) ok 1 "${line#* - }" ;;
	esac
done <"$REKAM_TMP/fuzz.out"
is "$status" 0 "dbus-fuzz exits 0"
[ "$status" = 0 ] || tail -20 "$REKAM_TMP/fuzz.out" | sed 's/^/# /'
check "rekamd is still running" kill -0 "$REKAMD_PID"
is "$(snapshot)" "$before" "the artifacts and the station metadata are unchanged"
is "$(sqlite3 -cmd '.timeout 10000' "$db" 'PRAGMA integrity_check')" ok \
	"the database passes integrity_check"
stop_rekamd
is "$REKAMD_STATUS" 0 "rekamd stops cleanly afterwards"
done_testing
