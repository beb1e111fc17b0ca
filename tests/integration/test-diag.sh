#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# tests/integration/test-diag.sh - `rekamctl diag` on a station of test
# devices: one that works, one whose self-test fails a step, one that is
# not connected. The report names exactly those two faults, lists the
# station checks (database, audit, disk, ...), exits 1; --json validates
# against docs/rekamctl-diag.schema.json; -o writes a self-contained HTML
# page; diag DEVICE tests one device; every device is released again.

# shellcheck source=tests/integration/lib.sh
. "${REKAM_TEST_LIB:-$(dirname "$0")/lib.sh}"

require_tools python3 xmllint
[ -x "$REKAMCTL" ] || bail "rekamctl is not built at $REKAMCTL"
py=python3
$py -c 'import jsonschema' 2>/dev/null || py=/usr/bin/python3
$py -c 'import jsonschema' 2>/dev/null || skip_all "python3 has no jsonschema module (python3-jsonschema)"

start_bus
write_config "[device good]" "plugin = test-timer" "connection = test:1" \
	"[device weak]" "plugin = test-timer" "connection = test:2" "fail-step = link" \
	"[device gone]" "plugin = test-timer" "connection = test:3" "open = absent"
start_rekamd --session --state-dir "$REKAM_TMP/state" --config "$REKAM_TMP/rekamd.conf" \
	--plugin-dir "$REKAM_TEST_PLUGIN_DIR"
sleep 0.3

run_ctl --session diag -o "$REKAM_TMP/report.html"
is "$RC" 1 "diag with two faulty devices exits 1"
like "$ERR" "\[1/3\] camera0 \(test-timer\): self-test" "progress names each device as it is tested"
like "$ERR" "camera0: PASS" "... and its result"
like "$OUT" "camera0  self-test PASSED" "the working device passes"
like "$OUT" "camera1  self-test FAILED" "the device with a failing step is reported"
like "$OUT" "FAIL  link +link quality too low" "... with the step that failed and why"
like "$OUT" "camera2  ABSENT \(not connected\)" "the unconnected device is reported absent"
unlike "$OUT" "camera0  self-test FAILED|camera0  ABSENT" "... and nothing else is called faulty"
like "$OUT" "OK +database +.*passes PRAGMA integrity_check" "the database check is in the report"
like "$OUT" "OK +audit +[0-9]+ entries" "... the audit trail"
like "$OUT" "(OK|WARNING) +disk +[0-9]+ MiB free" "... the disk"
like "$OUT" "(OK|WARNING) +clock " "... the clock"
like "$OUT" "(OK|WARNING) +pcscd " "... pcscd"
like "$OUT" "WARNING +central +no \[central\] url configured" "... and the central server"
like "$OUT" "USB devices" "... and the USB devices"
like "$OUT" "Result: PROBLEMS FOUND" "the verdict says there are problems"

check "-o writes the HTML report" test -s "$REKAM_TMP/report.html"
check "... which is well-formed HTML" xmllint --html --noout "$REKAM_TMP/report.html"
unlike "$(cat "$REKAM_TMP/report.html")" "(src|href)=\"(https?:)?//" "... and loads nothing from the network"
like "$(cat "$REKAM_TMP/report.html")" "link quality too low" "... with the failing step"

run_ctl --session --json diag
is "$RC" 1 "diag --json exits 1 as well"
printf '%s' "$OUT" >"$REKAM_TMP/diag.json"
check "--json validates against docs/rekamctl-diag.schema.json" $py -c '
import json, sys, jsonschema
schema = json.load(open(sys.argv[1]))
jsonschema.validate(json.load(open(sys.argv[2])), schema)' \
	"$top_srcdir/docs/rekamctl-diag.schema.json" "$REKAM_TMP/diag.json"
is "$($py -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["ok"], [x["result"] for x in d["devices"]])' "$REKAM_TMP/diag.json")" \
	"False ['passed', 'failed', 'absent']" "--json gives each device's result"
is "$($py -c 'import json,sys; d=json.load(open(sys.argv[1])); print(" ".join(c["name"] for c in d["checks"]))' "$REKAM_TMP/diag.json")" \
	"clock disk database audit station-key pcscd central plugins devices" \
	"--json lists the station checks"

run_ctl --session diag camera0
is "$RC" 0 "diag of the working device alone exits 0"
like "$OUT" "Result: everything passed" "... and says so"
unlike "$OUT" "camera1|camera2" "... and tests no other device"

run_ctl --session diag nosuch
is "$RC" 1 "diag of a device that does not exist exits 1"
like "$ERR" "no device nosuch" "... saying so"

run_ctl --session status -o "$REKAM_TMP/x.html"
is "$RC" 64 "-o is for diag only"

is "$(busctl --user get-property "$REKAM_NAME" "$REKAM_PATH/devices/camera1" \
	"$REKAM_NAME.Device" ClaimedBy 2>/dev/null)" 's ""' "diag released the devices again"

check_ctl_valgrind
stop_rekamd
done_testing
