#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# tests/integration/test-diag-direct.sh - `rekamctl diag --direct` with
# rekamd stopped: rekamctl loads the sigpad-sim plugin itself and tests a pad
# served by rekam-sim-sigpad (passes; then fails its digitizer step with a low
# quality set on the control socket) and a pad that is not there (absent),
# printing the same report as through rekamd; --json validates against
# docs/rekamctl-diag.schema.json; it refuses, exit 75, while rekamd owns its
# bus name, and works again once rekamd has stopped. Bad options are usage
# errors.

# shellcheck source=tests/integration/lib.sh
. "${REKAM_TEST_LIB:-$(dirname "$0")/lib.sh}"

require_tools python3 socat
[ -x "$REKAMCTL" ] || bail "rekamctl is not built at $REKAMCTL"
top_builddir=${top_builddir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
REKAM_SIM_SIGPAD=${REKAM_SIM_SIGPAD:-$top_builddir/simulators/rekam-sim-sigpad}
[ -x "$REKAM_SIM_SIGPAD" ] || bail "rekam-sim-sigpad is not built at $REKAM_SIM_SIGPAD"
PLUGINS=${REKAM_PLUGIN_DIR:-$top_builddir/plugins/built}
[ -f "$PLUGINS/rekam-sigpad-sim.so" ] || bail "the sigpad-sim plugin is not built in $PLUGINS"
py=python3
$py -c 'import jsonschema' 2>/dev/null || py=/usr/bin/python3
$py -c 'import jsonschema' 2>/dev/null || skip_all "python3 has no jsonschema module (python3-jsonschema)"

PAD=$REKAM_TMP/pad.sock
CTL=$REKAM_TMP/pad.ctl
# shellcheck disable=SC2046
$(sim_cmd) "$REKAM_SIM_SIGPAD" --socket "$PAD" --control "$CTL" --seed 5 2>>"$REKAM_TMP/sim.log" &
SIM_PID=$!
wait_for 20 test -S "$CTL" || bail "rekam-sim-sigpad did not start"

start_bus
write_config "[device pad]" "plugin = sigpad-sim" "connection = sim:unix:$PAD" \
	"[device spare]" "plugin = sigpad-sim" "connection = sim:unix:$REKAM_TMP/no-pad.sock"
DIRECT=(--session diag --direct --config "$REKAM_TMP/rekamd.conf" --plugin-dir "$PLUGINS")

check "rekamd is not running" sh -c "! dbus-send --session --print-reply \
	--dest=org.freedesktop.DBus /org/freedesktop/DBus org.freedesktop.DBus.NameHasOwner \
	string:$REKAM_NAME | grep -q true"

# --- everything, rekamd stopped ----------------------------------------------------------
run_ctl "${DIRECT[@]}"
is "$RC" 1 "diag --direct with one pad absent exits 1"
like "$ERR" "\[1/2\] sigpad0 \(sigpad-sim\): self-test" "progress names each device as it is tested"
like "$ERR" "sigpad0: PASS" "... and its result"
like "$OUT" "rekamd 0\.[0-9.]+, direct" "the report says it was made directly"
like "$OUT" "WARNING +rekamd +not running: rekamctl --direct" "... and that rekamd is not running"
like "$OUT" "sigpad0  self-test PASSED" "the pad that is there passes"
like "$OUT" "model REKAM-SIG-500, serial RKS5-[0-9A-F]+, firmware [0-9.]+, state idle" \
	"... with its identity, as the plugin told its host"
like "$OUT" "health: Connected=yes" "... and its health"
like "$OUT" "PASS  digitizer " "... and every self-test step"
like "$OUT" "sigpad1  ABSENT \(not connected\)" "the pad that is not there is absent"
like "$OUT" "last error: no pad answers at $REKAM_TMP/no-pad.sock" "... saying why"
like "$OUT" "Result: PROBLEMS FOUND" "the verdict"

# --- one device, a failing step, JSON ---------------------------------------------------
run_ctl "${DIRECT[@]}" pad
is "$RC" 0 "diag --direct pad (its [device] name) exits 0"
unlike "$OUT" "sigpad1" "... and tests no other device"
like "$OUT" "Result: everything passed" "... and says so"

is "$(sim_ctl "quality 10")" "OK quality=10" "the pad's digitizer is made noisy"
run_ctl --json "${DIRECT[@]}" sigpad0
is "$RC" 1 "diag --direct sigpad0 with a failing step exits 1"
printf '%s' "$OUT" >"$REKAM_TMP/diag.json"
check "--json validates against docs/rekamctl-diag.schema.json" $py -c '
import json, sys, jsonschema
jsonschema.validate(json.load(open(sys.argv[2])), json.load(open(sys.argv[1])))' \
	"$top_srcdir/docs/rekamctl-diag.schema.json" "$REKAM_TMP/diag.json"
is "$($py -c 'import json,sys; d=json.load(open(sys.argv[1])); x=d["devices"][0]; print(d["ok"], d["station"]["State"], x["result"], [s["name"] for s in x["steps"] if not s["passed"]])' "$REKAM_TMP/diag.json")" \
	"False direct failed ['digitizer']" "... and names exactly the failing step"

run_ctl "${DIRECT[@]}" nosuch
is "$RC" 1 "a device that is not configured exits 1"
like "$ERR" "no device nosuch in $REKAM_TMP/rekamd.conf" "... saying so"

# --- rekamd running: refused ---------------------------------------------------------------
is "$(sim_ctl "quality 90")" "OK quality=90" "the pad is well again"
start_rekamd --session --state-dir "$REKAM_TMP/state" --config "$REKAM_TMP/rekamd.conf" \
	--plugin-dir "$PLUGINS"
run_ctl "${DIRECT[@]}"
is "$RC" 75 "diag --direct while rekamd runs is refused (exit 75)"
like "$ERR" "rekamd is running \(it owns id\.rekam\.Station1\) and holds the devices" \
	"... saying why"
is "$OUT" "" "... and tests nothing"
stop_rekamd
is "$REKAMD_STATUS" 0 "rekamd stops cleanly"
run_ctl "${DIRECT[@]}" pad
is "$RC" 0 "once rekamd has stopped, diag --direct works again"

# --- bad options ------------------------------------------------------------------------------
run_ctl --session status --direct
is "$RC" 64 "--direct is for diag only"
run_ctl --session diag --config "$REKAM_TMP/rekamd.conf"
is "$RC" 64 "--config without --direct is a usage error"
like "$ERR" "--config is for diag --direct only" "... saying so"
run_ctl --session diag --direct --config "$REKAM_TMP/none.conf" --plugin-dir "$PLUGINS"
is "$RC" 64 "a configuration that cannot be read is refused"
like "$ERR" "cannot use $REKAM_TMP/none.conf" "... saying which"

check_ctl_valgrind
stop_sim
done_testing
