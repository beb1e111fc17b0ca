#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# tests/integration/test-diag-station.sh - rekamctl diag on the whole
# simulated station: healthy, every device's self-test passes; then with the
# printer's ribbon out and the card reader gone (its PC/SC service stopped,
# as when the encoder's reader is unplugged), the report names exactly those
# two faults, its --json validates against docs/rekamctl-diag.schema.json
# and -o writes the HTML page. Skips, saying why, without a card reader.
. "${REKAM_TEST_LIB:-$(dirname "$0")/lib.sh}"

require_tools socat
py=python3
$py -c 'import jsonschema' 2>/dev/null || py=/usr/bin/python3
$py -c 'import jsonschema' 2>/dev/null || skip_all "python3 has no jsonschema module (python3-jsonschema)"
. "$(dirname "$0")/station.sh"
SCHEMA=$top_srcdir/docs/rekamctl-diag.schema.json
OUTDIR=$REKAM_TMP/out
mkdir -p "$OUTDIR"
export OUTDIR

# Inside the station: a healthy diag, the two faults, a diag again.
cat >"$REKAM_TMP/diag.sh" <<'EOF'
A="--address=$REKAM_BUS_ADDRESS"
"$REKAMCTL" "$A" --json diag >"$OUTDIR/healthy.json" 2>"$OUTDIR/healthy.err"
echo "$?" >"$OUTDIR/healthy.rc"
printf 'ribbon-out\n' | socat -t 5 - "UNIX-CONNECT:$REKAM_PRINTER_CONTROL" >"$OUTDIR/ribbon.out"
kill -TERM "$REKAM_PCSCD_PID"
i=0
while [ $i -lt 400 ] && ! "$REKAMCTL" "$A" devices cardreader0 | grep -q '^State: *absent'; do
	sleep 0.05
	i=$((i + 1))
done
"$REKAMCTL" "$A" --json diag >"$OUTDIR/faulted.json" 2>"$OUTDIR/faulted.err"
echo "$?" >"$OUTDIR/faulted.rc"
"$REKAMCTL" "$A" diag -o "$OUTDIR/report.html" >"$OUTDIR/faulted.txt" 2>&1
EOF
"$STATION" --lock-wait 900 --time-scale 0.01 --seed 5 -- sh "$REKAM_TMP/diag.sh" \
	>"$REKAM_TMP/station.out" 2>"$REKAM_TMP/station.err"
why=$(sed -n 's/^rekam-sim-station: no card reader: //p' "$REKAM_TMP/station.err")
[ -z "$why" ] || skip_all "the station has no card reader: $why"
[ -s "$OUTDIR/faulted.json" ] || { cat "$REKAM_TMP/station.err" >&2; bail "diag did not run"; }

validate() { # validate FILE: against the schema
	$py - "$SCHEMA" "$1" <<'PY'
import json, sys, jsonschema
jsonschema.validate(json.load(open(sys.argv[2])), json.load(open(sys.argv[1])))
PY
}
results() { # results FILE: "name=result" for each device, sorted
	$py -c '
import json, sys
d = json.load(open(sys.argv[1]))
print(" ".join(sorted("%s=%s" % (x["properties"]["Name"], x["result"]) for x in d["devices"])))
' "$1"
}
check_status() { # check_status FILE NAME: the status of one of the station checks
	$py -c '
import json, sys
print([c["status"] for c in json.load(open(sys.argv[1]))["checks"] if c["name"] == sys.argv[2]][0])
' "$1" "$2"
}

check "healthy: --json validates against the schema" validate "$OUTDIR/healthy.json"
is "$(results "$OUTDIR/healthy.json")" \
	"camera0=passed cardreader0=passed fingerprint0=passed iris0=passed printer0=passed scanner0=passed sigpad0=passed" \
	"healthy: every device's self-test passes"
is "$(check_status "$OUTDIR/healthy.json" pcscd)" ok "healthy: pcscd ok"

like "$(cat "$OUTDIR/ribbon.out")" "^OK" "the printer's ribbon runs out"
check "faulted: --json validates against the schema" validate "$OUTDIR/faulted.json"
is "$(results "$OUTDIR/faulted.json")" \
	"camera0=passed cardreader0=absent fingerprint0=passed iris0=passed printer0=failed scanner0=passed sigpad0=passed" \
	"faulted: exactly the printer fails and the card reader is absent"
steps=$($py -c '
import json, sys
d = json.load(open(sys.argv[1]))
p = [x for x in d["devices"] if x["properties"]["Name"] == "printer0"][0]
print(" ".join(s["name"] for s in p.get("steps", []) if not s["passed"]))
' "$OUTDIR/faulted.json")
like "$steps" "ribbon" "... the printer's failed steps include the ribbon ($steps)"
isnt_ok=$(check_status "$OUTDIR/faulted.json" pcscd)
ok "$([ "$isnt_ok" != ok ]; echo $?)" "... and the pcscd check is not ok ($isnt_ok)"
like "$(cat "$OUTDIR/faulted.rc")" "^[1-9]" "diag exits non-zero with faults"
like "$(cat "$OUTDIR/faulted.txt")" "printer0" "the text report names printer0"
check "-o writes the HTML report" grep -q -i "ribbon" "$OUTDIR/report.html"
done_testing
