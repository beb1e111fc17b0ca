#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# tests/integration/test-rekamctl-jobs.sh - `rekamctl job DEVICE ACTION` with
# --option and --data (a file's bytes as a byte-array option), its results
# as text and --json, --save=DIR for job and capture, `rekamctl artifact save
# HANDLE FILE`, and the usage errors around them. The device is the test
# plugin's timer device (tests/plugins/test-plugin.c), whose "echo" job
# returns what it was given. REKAM_TEST_VALGRIND=1 runs rekamctl under
# valgrind as well.

# shellcheck source=tests/integration/lib.sh
. "${REKAM_TEST_LIB:-$(dirname "$0")/lib.sh}"

require_tools python3 cmp busctl
[ -x "$REKAMCTL" ] || bail "rekamctl is not built at $REKAMCTL"

device_prop() { # device_prop NAME PROPERTY: a string property of devices/NAME
	busctl --user get-property "$REKAM_NAME" "$REKAM_PATH/devices/$1" "$REKAM_NAME.Device" \
		"$2" 2>/dev/null | sed -n 's/^s "\(.*\)"$/\1/p'
}

json_get() { # json_get EXPR: evaluate EXPR on the JSON document in $OUT (as d)
	printf '%s' "$OUT" | python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"
}

start_bus
write_config "[device cam]" "plugin = test-timer" "connection = test:1"
start_rekamd --session --state-dir "$REKAM_TMP/state" --config "$REKAM_TMP/rekamd.conf" \
	--plugin-dir "$REKAM_TEST_PLUGIN_DIR"
camera_idle() { [ "$(device_prop camera0 State)" = idle ]; }
wait_for 5 camera_idle || diag "camera0 did not become idle"

# 70000 bytes that are not text
python3 -c 'import sys; sys.stdout.buffer.write(bytes((i * 37 + 11) % 256 for i in range(70000)))' \
	>"$REKAM_TMP/blob.bin"

# --- job ---------------------------------------------------------------------------

run_ctl --session job cam echo --option text=halo --option delay-ms=10 \
	--data data="$REKAM_TMP/blob.bin" --save="$REKAM_TMP/out"
is "$RC" 0 "job exits 0"
like "$OUT" "cam: echo done" "it says which job ran"
like "$OUT" "Text +halo" "it prints a string result"
like "$OUT" "Bytes +70000" "... an integer result (the --data file reached the plugin whole)"
like "$OUT" "Even +yes" "... a boolean result"
like "$OUT" "job-data .*70000" "... and the table of the artifacts it kept"
like "$ERR" "saved job-data to $REKAM_TMP/out/job-data.bin" "--save says where each went"
check "the saved artifact is the --data file, byte for byte" \
	cmp -s "$REKAM_TMP/blob.bin" "$REKAM_TMP/out/job-data.bin"

run_ctl --session --json job cam echo --option text=json --data data="$REKAM_TMP/blob.bin"
is "$RC" 0 "job --json exits 0"
is "$(json_get 'd["results"]["Bytes"], d["action"], d["artifacts"][0]["Kind"]')" \
	"70000 echo job-data" "--json gives the results, the action and the artifacts"
handle=$(json_get 'd["artifacts"][0]["Handle"]')

# --- artifact save -----------------------------------------------------------------

run_ctl --session artifact save "$handle" "$REKAM_TMP/saved.bin"
is "$RC" 0 "artifact save exits 0"
like "$OUT" "saved job-data \(application/octet-stream, 70000 bytes\)" "it says what it saved"
check "artifact save writes the artifact's bytes" cmp -s "$REKAM_TMP/blob.bin" "$REKAM_TMP/saved.bin"

run_ctl --session artifact save 0123456789abcdef0123456789abcdef "$REKAM_TMP/none.bin"
is "$RC" 1 "artifact save of an unknown handle exits 1"
like "$ERR" "NotFound|No artifact" "... saying there is no such artifact"
check_fails "... and writes no file" test -e "$REKAM_TMP/none.bin"

run_ctl --session artifact save nothex "$REKAM_TMP/none.bin"
is "$RC" 1 "artifact save of a malformed handle exits 1"

run_ctl --session artifact load "$handle" x
is "$RC" 64 "artifact with another verb than save is a usage error"

# --- capture --save ----------------------------------------------------------------

run_ctl --session capture cam --option size=4096 --save="$REKAM_TMP/cap"
is "$RC" 0 "capture --save exits 0"
is "$(wc -c <"$REKAM_TMP/cap/test-image.bin" 2>/dev/null | tr -d ' ')" 4096 \
	"capture --save writes DIR/<kind>.<ext> with the artifact's bytes"

# --- errors --------------------------------------------------------------------------

run_ctl --session job cam polish
is "$RC" 1 "an unknown job exits 1"
like "$ERR" "no job 'polish'" "... saying the device has no such job"

run_ctl --session job cam fail
is "$RC" 1 "a failing job exits 1"
like "$ERR" "failed on purpose" "... with the device's message"

run_ctl --session job cam echo --data data="$REKAM_TMP/missing.bin"
is "$RC" 64 "--data of a missing file is a usage error"
like "$ERR" "cannot read .*missing.bin" "... naming the file"

run_ctl --session job cam echo --data data
is "$RC" 64 "--data without =FILE is a usage error"

run_ctl --session job cam echo --data x="$REKAM_TMP/blob.bin" --option x=1
is "$RC" 64 "a key given as --option and --data is a usage error"

run_ctl --session capture cam --data x="$REKAM_TMP/blob.bin"
is "$RC" 64 "--data is for job only"

run_ctl --session status --save="$REKAM_TMP/s"
is "$RC" 64 "--save is for capture and job only"

run_ctl --session job cam
is "$RC" 64 "job without an action is a usage error"

is "$(device_prop camera0 ClaimedBy)" "" "every command released the device again"

check_ctl_valgrind
stop_rekamd
done_testing
