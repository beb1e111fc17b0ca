#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# tests/integration/test-monitor.sh - `rekamctl monitor` follows rekamd on
# the bus: a claim, a capture's state changes and progress, the release,
# rekamd stopping (its devices removed, the name gone) and starting again
# (its devices present), as readable lines and as --json lines; Ctrl-C ends it
# with exit status 0.

# shellcheck source=tests/integration/lib.sh
. "${REKAM_TEST_LIB:-$(dirname "$0")/lib.sh}"

require_tools python3
[ -x "$REKAMCTL" ] || bail "rekamctl is not built at $REKAMCTL"

start_bus
write_config "[device cam]" "plugin = test-timer" "connection = test:1"
restart() {
	start_rekamd --session --state-dir "$REKAM_TMP/state" --config "$REKAM_TMP/rekamd.conf" \
		--plugin-dir "$REKAM_TEST_PLUGIN_DIR"
}
restart

# Started directly (not through the shell function ctl), so that $! is the
# process Ctrl-C goes to: valgrind passes SIGINT on to rekamctl.
if [ "${REKAM_TEST_VALGRIND:-0}" = 1 ]; then
	set -- valgrind --quiet --error-exitcode=98 --leak-check=full \
		--errors-for-leak-kinds=definite --log-file="$REKAM_TMP/valgrind-rekamctl.%p.log"
else
	set --
fi
"$@" "$REKAMCTL" --session monitor >"$REKAM_TMP/mon.txt" 2>&1 &
mon=$!
"$@" "$REKAMCTL" --session --json monitor >"$REKAM_TMP/mon.json" 2>&1 &
monj=$!
following() { grep -q Following "$REKAM_TMP/mon.txt"; }
wait_for 10 following || diag "monitor did not start"
sleep 0.3 # the json monitor prints no banner

run_ctl --session capture cam --option delay-ms=20
is "$RC" 0 "a capture to watch"
stop_rekamd
restart
camera_back() { [ "$(grep -c "camera0 .*present" "$REKAM_TMP/mon.txt")" -ge 2 ]; }
wait_for 10 camera_back || diag "the monitor did not see the device come back"

kill -INT "$mon" "$monj"
wait "$mon"
is "$?" 0 "Ctrl-C ends monitor with exit status 0"
wait "$monj"
out=$(cat "$REKAM_TMP/mon.txt")
like "$out" "camera0 +ClaimedBy: :1\.[0-9]+" "a claim is shown with the client"
like "$out" "camera0 +State: busy" "the device becoming busy"
like "$out" "camera0 +progress: \[capturing\] Halfway there \(50%\)" "progress of the capture"
like "$out" "camera0 +State: idle" "the device idle again"
like "$out" "camera0 +ClaimedBy: \(empty\)" "the release"
like "$out" "station +rekamd stopped" "rekamd leaving the bus"
like "$out" "camera0 +removed" "... and its device removed"
like "$out" "station +rekamd started" "rekamd coming back"
like "$out" "camera0 +present: camera cam \(test-timer\), (idle|absent)" \
	"the device present at the start, and again when rekamd is back"
unlike "$out" "NameAcquired" "nothing of the bus's own chatter"

check "--json prints one JSON object per line" python3 -c '
import json, sys
events = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
assert events and all({"time", "object", "event"} <= set(e) for e in events)
assert any(e["event"] == "State" and e["data"] == "busy" for e in events)
assert any(e["event"] == "progress" and e["data"]["stage"] == "capturing" for e in events)' \
	"$REKAM_TMP/mon.json"

check_ctl_valgrind
stop_rekamd
done_testing
