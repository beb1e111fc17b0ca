#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# tests/integration/test-sim-station.sh - rekam-sim-station: a whole simulated
# station (private bus, every simulator, pcscd with vpcd when it can run,
# rekamd with every device through its real plugin) around a command. The
# whole station: every device idle in rekamctl devices (cardreader0 only
# with pcscd: otherwise that part is skipped, saying why), a camera capture,
# a fault injected through the printer's control socket, and no process left
# afterwards. Then, without the card reader (--no-card, no pcscd turn), rekamctl's
# capture and selftest on sigpad0: the variables the command gets, the
# artifacts of a capture, a self-test, a pen timeout injected through the
# simulator's control socket, a device claimed by another client (75), the
# command's exit status passed on, and nothing left behind afterwards.
# REKAM_TEST_VALGRIND=1 runs rekam-sim-station and rekamctl under valgrind.

# shellcheck source=tests/integration/lib.sh
. "${REKAM_TEST_LIB:-$(dirname "$0")/lib.sh}"

require_tools socat "$REKAM_DBUS_DAEMON"

top_builddir=${top_builddir:-$(cd "$(dirname "$0")/../.." && pwd)}
STATION=${REKAM_SIM_STATION:-$top_builddir/simulators/rekam-sim-station}
[ -x "$STATION" ] || bail "rekam-sim-station is not built at $STATION"
export REKAM_BUILDDIR=$top_builddir
export TMPDIR=$REKAM_TMP

# In an ASan build, the station's rekamd loads libgphoto2 and libsane, whose
# own leaks test-camera and test-scanner suppress: station.lsan has both.
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
export LSAN_OPTIONS="suppressions=$top_srcdir/tests/integration/station.lsan:print_suppressions=0"

vg() { # the valgrind prefix when asked
	if [ "${REKAM_TEST_VALGRIND:-0}" = 1 ]; then
		echo valgrind --quiet --error-exitcode=98 --leak-check=full \
			--errors-for-leak-kinds=definite --log-file="$REKAM_TMP/valgrind.%p.log"
	fi
}
VG=$(vg)
export VG REKAMCTL

station() { # station ARGS...: rekam-sim-station, fast simulated time
	# shellcheck disable=SC2086
	$VG "$STATION" --lock-wait 900 --time-scale 0.01 --seed 3 "$@"
}

# --- command line ----------------------------------------------------------------
out=$("$STATION" --help)
is "$?" 0 "--help exits 0"
for word in --dir --keep --seed --time-scale --station-id --bindir --plugin-dir --no-card \
	--verbose REKAM_BUS_ADDRESS REKAM_SIGPAD_CONTROL REKAM_PRINTER_CONTROL REKAM_STATE_DIR \
	REKAM_PCSCD_PID "Exit status" rekam-sim-sigpad rekam-sim-camera rekam-sim-biometric \
	rekam-sim-scanner rekam-sim-printer rekam-sim-card rekam-sim-central camera0 fingerprint0 \
	iris0 sigpad0 scanner0 printer0 cardreader0 /tmp/rekam-pcscd.lock; do
	like "$out" "$word" "--help documents $word"
done
like "$("$STATION" --version)" "^rekam-sim-station [0-9]+\.[0-9]+\.[0-9]+$" "--version"
"$STATION" --bogus >/dev/null 2>&1
is "$?" 64 "an unknown option: exit 64"
"$STATION" --time-scale fast >/dev/null 2>&1
is "$?" 64 "a bad --time-scale: exit 64"

# --- the whole station ----------------------------------------------------------------
cat >"$REKAM_TMP/full.sh" <<'EOF'
A="--address=$REKAM_BUS_ADDRESS"
ctl() { $VG "$REKAMCTL" "$@"; }
echo "--- devices"
ctl "$A" devices
echo "--- camera"
ctl "$A" capture camera0 2>/dev/null
echo "camera status $?"
echo "--- printer"
printf 'hopper-empty\n' | socat -t 5 - "UNIX-CONNECT:$REKAM_PRINTER_CONTROL"
i=0
while [ $i -lt 200 ] && ! "$REKAMCTL" "$A" devices printer0 | grep -q '^Health.CardsLeft: 0$'; do
	sleep 0.05
	i=$((i + 1))
done
ctl "$A" devices printer0 | grep '^Health\.\(CardsLeft\|LastFault\)'
echo "--- dir"
ls "$REKAM_STATION_DIR"
EOF
station -- sh "$REKAM_TMP/full.sh" >"$REKAM_TMP/out" 2>"$REKAM_TMP/err"
is "$?" 0 "the whole station comes up and runs the command"
out=$(cat "$REKAM_TMP/out")
err=$(cat "$REKAM_TMP/err")
for dev in "camera0 +camera +idle +REKAM EOS-SIM" "fingerprint0 +fingerprint +idle" \
	"iris0 +iris +idle" "sigpad0 +sigpad +idle +REKAM-SIG-500" \
	"scanner0 +scanner +idle +eSCL Rekam Sim" "printer0 +printer +idle"; do
	like "$out" "^$dev" "rekamctl devices: ${dev%% *} is idle"
done
why=$(printf '%s\n' "$err" | sed -n 's/^rekam-sim-station: no card reader: //p')
if [ -z "$why" ]; then
	like "$out" "^cardreader0 +cardreader +idle +Virtual PCD 00 00 " \
		"rekamctl devices: cardreader0 is idle"
	like "$out" "^7 devices$" "... seven devices"
	like "$out" "^REKAM_PCSCD_PID=[0-9]+$" "... pcscd's pid is printed"
	like "$out" "^REKAM_VPCD_PORT=2[0-9]{4}$" "... and vpcd's port, in 20000-29999"
else
	ok 0 "rekamctl devices: cardreader0 # SKIP the station ran without it: $why"
	like "$out" "^6 devices$" "... six devices without the card reader"
fi
for sim in CENTRAL CARD CAMERA BIOMETRIC SCANNER SIGPAD PRINTER; do
	like "$out" "^REKAM_${sim}_CONTROL='/.*\.control'$" "REKAM_${sim}_CONTROL is printed"
done
like "$out" "^REKAM_CENTRAL_URL='https://127\.0\.0\.1:[0-9]+/v1'$" "REKAM_CENTRAL_URL is printed"
like "$out" "^# device camera0 +/id/rekam/Station1/devices/camera0 \(camera-gphoto2\)$" \
	"a comment names each device's D-Bus path"
like "$out" "^portrait +image/jpeg +[0-9]+ +600x800 +[0-9a-f]{32} " \
	"capture camera0: a 600x800 portrait"
like "$out" "^camera status 0$" "... exit 0"
like "$out" "^OK printer-state-reasons=media-empty-error$" \
	"the printer's control socket takes hopper-empty"
like "$out" "^Health.CardsLeft: 0$" "... and rekamd's printer0 shows the hopper empty"
like "$out" "^Health.LastFault: the card hopper is empty$" "... as its last fault"
for f in rekamd.log bus.log central.log card.log camera.log biometric.log scanner.log \
	sigpad.log printer.log; do
	like "$out" "^$f$" "the station keeps $f"
done
pids=$(sed -n 's/^REKAM_[A-Z]*_PID=\([0-9]*\)$/\1/p' "$REKAM_TMP/out" | tr '\n' ' ')
n=$(echo $pids | wc -w)
ok "$([ "$n" -ge 9 ]; echo $?)" "prints a pid for rekamd, the bus and every simulator ($n)"
left=
for pid in $pids; do
	kill -0 "$pid" 2>/dev/null && left="$left $pid"
done
is "$left" "" "no process of the whole station is left"
unlike "$err" "did not stop|killing" "every process stopped on SIGTERM"

# --- a station around a command ------------------------------------------------------
cat >"$REKAM_TMP/inner.sh" <<'EOF'
set -u
A="--address=$REKAM_BUS_ADDRESS"
ctl() { $VG "$REKAMCTL" "$@"; }
echo "vars: bus=${REKAM_BUS_ADDRESS:+set} dir=$REKAM_STATION_DIR"
echo "session=$DBUS_SESSION_BUS_ADDRESS"
echo "control=$REKAM_SIGPAD_CONTROL state=$REKAM_STATE_DIR"
echo "pids=$REKAM_REKAMD_PID $REKAM_BUS_PID $REKAM_SIGPAD_PID"
echo "--- devices"
ctl "$A" devices
echo "--- capture"
ctl "$A" capture sigpad0 2>"$REKAM_STATION_DIR/capture.err"
echo "capture status $?"
sed 's/^/stderr: /' "$REKAM_STATION_DIR/capture.err"
ls "$REKAM_STATE_DIR/artifacts" | sed 's/^/artifact file /'
echo "--- json"
ctl "$A" --json capture sigpad0 --option min-points=1
echo "json status $?"
echo "--- selftest"
ctl "$A" selftest sigpad0
echo "selftest status $?"
echo "--- pen-timeout"
printf 'pen-timeout\n' | socat -t 5 - "UNIX-CONNECT:$REKAM_SIGPAD_CONTROL"
ctl "$A" capture sigpad0 >"$REKAM_STATION_DIR/timeout.out" 2>&1
echo "timeout status $?"
sed 's/^/timeout: /' "$REKAM_STATION_DIR/timeout.out"
echo "--- busy"
printf 'pen-timeout\n' | socat -t 5 - "UNIX-CONNECT:$REKAM_SIGPAD_CONTROL" >/dev/null
"$REKAMCTL" "$A" capture sigpad0 --option pen-timeout=300000 >/dev/null 2>&1 &
first=$!
i=0
while [ $i -lt 200 ] && ! "$REKAMCTL" "$A" devices sigpad0 | grep -q '^ClaimedBy: :'; do
	sleep 0.05
	i=$((i + 1))
done
ctl "$A" capture sigpad0 >"$REKAM_STATION_DIR/busy.out" 2>&1
echo "busy status $?"
sed 's/^/busy: /' "$REKAM_STATION_DIR/busy.out"
wait $first
echo "first status $?"
ctl "$A" devices sigpad0 | grep '^ClaimedBy'
exit 7
EOF

station --no-card -- sh "$REKAM_TMP/inner.sh" >"$REKAM_TMP/out" 2>"$REKAM_TMP/err"
is "$?" 7 "the station exits with the command's status"
out=$(cat "$REKAM_TMP/out")
err=$(cat "$REKAM_TMP/err")
like "$out" "^REKAM_BUS_ADDRESS='unix:" "prints REKAM_BUS_ADDRESS"
like "$out" "^REKAM_STATION_DIR='$REKAM_TMP/rekam-station\.[^']+'$" "prints REKAM_STATION_DIR, a new directory in TMPDIR"
like "$out" "^REKAM_SIGPAD_CONTROL='.*/sigpad\.control'$" "prints REKAM_SIGPAD_CONTROL"
like "$out" "^REKAM_STATE_DIR='.*/state'$" "prints REKAM_STATE_DIR"
like "$out" "rekamctl --address" "prints how to use rekamctl"
like "$out" "^vars: bus=set dir=/" "the command gets REKAM_BUS_ADDRESS and REKAM_STATION_DIR"
like "$out" "^session=unix:" "... and DBUS_SESSION_BUS_ADDRESS"
like "$out" "^control=/.*/sigpad\.control state=/.*/state$" "... and the control socket and state dir"
like "$out" "^sigpad0 +sigpad +idle +REKAM-SIG-500 " "rekamctl devices lists sigpad0 idle"
like "$out" "^capture status 0$" "rekamctl capture sigpad0 exits 0"
like "$out" "^KIND +FORMAT +SIZE +WxH +HANDLE +SHA256$" "... printing a table of the artifacts"
like "$out" "^signature-strokes +application/json +[0-9]+ +- +[0-9a-f]{32} +[0-9a-f]{64}$" "... the strokes"
like "$out" "^signature-image +image/png +[0-9]+ +800x300 +[0-9a-f]{32} +[0-9a-f]{64}$" "... the image"
like "$out" "^2 artifacts$" "... two of them"
like "$out" "^stderr: \[waiting-for-pen\] " "... and the progress on stderr"
handle=$(printf '%s\n' "$out" | awk '$1 == "signature-image" { print $5; exit }')
like "$out" "^artifact file $handle$" "the image is in the state dir's artifacts/ under its handle"
like "$out" '"Kind": "signature-image"' "--json capture: the artifacts as rekamd sent them"
like "$out" '"device": "/id/rekam/Station1/devices/sigpad0"' "... with the device's D-Bus path"
like "$out" "^json status 0$" "... exit 0"
like "$out" "^PASS +firmware +version" "rekamctl selftest prints PASS per step"
like "$out" "^sigpad0: self-test passed \(4 steps\)$" "... and the verdict"
like "$out" "^selftest status 0$" "... exit 0"
like "$out" "^OK the next capture gets no pen contact" "the control socket takes pen-timeout"
like "$out" "^timeout status 1$" "the next capture exits 1"
like "$out" "^timeout: rekamctl: .*Timeout.*no pen contact" "... with Timeout in its message"
like "$out" "^busy status 75$" "a device claimed by another client: exit 75"
like "$out" "^busy: rekamctl: sigpad0 is busy" "... saying it is busy"
like "$out" "^first status 1$" "... while the other client's capture times out"
like "$out" "^ClaimedBy: $" "rekamctl released the device every time"

dir=$(sed -n "s/^REKAM_STATION_DIR='\(.*\)'$/\1/p" "$REKAM_TMP/out")
pids=$(sed -n 's/^REKAM_[A-Z]*_PID=\([0-9]*\)$/\1/p' "$REKAM_TMP/out" | tr '\n' ' ')
is "$(echo $pids | wc -w)" 9 "prints nine pids (rekamd, bus, seven simulators)"
left=
for pid in $pids; do
	kill -0 "$pid" 2>/dev/null && left="$left $pid"
done
is "$left" "" "no process of the station is left"
[ -n "$dir" ] && [ ! -e "$dir" ]
ok $? "the temporary directory is removed"
unlike "$err" "did not stop|killing|no card reader" "every process stopped on SIGTERM"

# --- -- false, --dir, --keep ---------------------------------------------------------
station --no-card -- false >/dev/null 2>&1
is "$?" 1 "-- false: exit 1"
station --no-card -- sh -c 'kill -TERM $$' >/dev/null 2>&1
is "$?" 143 "a command killed by SIGTERM: 128+15"

mkdir "$REKAM_TMP/kept"
station --no-card --dir "$REKAM_TMP/kept" --station-id 6305-TEST-09 -- \
	sh -c '"$REKAMCTL" --session status' >"$REKAM_TMP/out" 2>&1
is "$?" 0 "--dir: the command runs (rekamctl --session reaches the station)"
like "$(cat "$REKAM_TMP/out")" "6305-TEST-09" "--station-id is the station's id"
[ -f "$REKAM_TMP/kept/rekamd.log" ] && [ -f "$REKAM_TMP/kept/rekamd.conf" ] && [ -d "$REKAM_TMP/kept/state" ]
ok $? "--dir keeps the directory, its logs and state"
like "$(cat "$REKAM_TMP/kept/rekamd.conf")" "connection = sim:unix:$REKAM_TMP/kept/sigpad.sock" \
	"rekamd.conf has the simulator's device"
[ ! -S "$REKAM_TMP/kept/sigpad.sock" ] && [ ! -S "$REKAM_TMP/kept/sigpad.control" ]
ok $? "... and the simulator's sockets are gone"

station --no-card --keep -- true >"$REKAM_TMP/out" 2>&1
is "$?" 0 "--keep: exit 0"
dir=$(sed -n "s/^REKAM_STATION_DIR='\(.*\)'$/\1/p" "$REKAM_TMP/out")
[ -n "$dir" ] && [ -f "$dir/rekamd.conf" ]
ok $? "--keep keeps the temporary directory"

# --- without a command: until SIGTERM -------------------------------------------------
# shellcheck disable=SC2086
$VG "$STATION" --time-scale 0.01 --no-card >"$REKAM_TMP/out" 2>"$REKAM_TMP/err" &
spid=$!
wait_for 20 grep -q '^# try:' "$REKAM_TMP/out"
ok $? "without a command: the station comes up"
addr=$(sed -n "s/^REKAM_BUS_ADDRESS='\(.*\)'$/\1/p" "$REKAM_TMP/out")
like "$("$REKAMCTL" --address "$addr" devices 2>&1)" "sigpad0 +sigpad +idle" "... and runs"
kill -TERM "$spid"
wait "$spid"
is "$?" 0 "... until SIGTERM, then exit 0"

# --- a station that cannot come up -----------------------------------------------------
station --no-card --bindir "$REKAM_TMP/nowhere" -- true >/dev/null 2>"$REKAM_TMP/err"
is "$?" 69 "no rekamd: exit 69"
like "$(cat "$REKAM_TMP/err")" "rekamd not found" "... saying so"
station --no-card --plugin-dir "$REKAM_TMP/nowhere" -- true >/dev/null 2>"$REKAM_TMP/err"
is "$?" 69 "no plugin for the devices: exit 69"
like "$(cat "$REKAM_TMP/err")" "device camera0 \(camera-gphoto2, rekam-sim-camera\) is" \
	"... naming the first device not up, with rekamd's log"

# a simulator that dies at start: named, with the end of its log, nothing left
mkdir "$REKAM_TMP/bin"
for p in rekamd rekamctl rekam-sim-central rekam-sim-card rekam-sim-biometric \
	rekam-sim-scanner rekam-sim-sigpad rekam-sim-printer; do
	for d in daemon client simulators; do
		[ -x "$top_builddir/$d/$p" ] && ln -s "$top_builddir/$d/$p" "$REKAM_TMP/bin/$p"
	done
done
printf '#!/bin/sh\necho "rekam-sim-camera: the lens cap is on" >&2\nexit 70\n' \
	>"$REKAM_TMP/bin/rekam-sim-camera"
chmod +x "$REKAM_TMP/bin/rekam-sim-camera"
station --no-card --bindir "$REKAM_TMP/bin" --plugin-dir "$top_builddir/plugins/built" \
	--keep -- true >"$REKAM_TMP/out" 2>"$REKAM_TMP/err"
is "$?" 69 "a simulator that exits at start: exit 69"
err=$(cat "$REKAM_TMP/err")
like "$err" "^rekam-sim-station: rekam-sim-camera did not start$" "... naming it"
like "$err" "^    rekam-sim-camera: the lens cap is on$" "... with the end of its log"
dir=$(printf '%s\n' "$err" | sed -n 's/^rekam-sim-station: kept the station directory //p')
left=
for s in central card; do
	[ -S "$dir/$s.control" ] && left="$left $s.control"
done
[ -n "$dir" ] && [ -f "$dir/camera.log" ] && [ -f "$dir/card.log" ] && [ -z "$left" ]
ok $? "... the simulators started before it are stopped (no socket left), the logs kept"

# pcscd cannot run: the station comes up without the card reader, saying why
REKAM_VPCD_DRIVER=$REKAM_TMP/no-vpcd.so station --keep -- true >"$REKAM_TMP/out" \
	2>"$REKAM_TMP/err"
is "$?" 0 "no vpcd driver: the station still comes up"
like "$(cat "$REKAM_TMP/err")" "no card reader: the vpcd driver $REKAM_TMP/no-vpcd\.so is not installed" \
	"... saying why there is no card reader"
dir=$(sed -n "s/^REKAM_STATION_DIR='\(.*\)'$/\1/p" "$REKAM_TMP/out")
unlike "$(cat "$dir/rekamd.conf")" "cardreader0" "... which is not in rekamd.conf"
unlike "$(cat "$REKAM_TMP/out")" "REKAM_PCSCD_PID" "... and no pcscd runs"
like "$(cat "$REKAM_TMP/out")" "^REKAM_CARD_CONTROL=" "... but the card simulator does, for the printer"

if [ "${REKAM_TEST_VALGRIND:-0}" = 1 ]; then
	found=$(cat "$REKAM_TMP"/valgrind.*.log 2>/dev/null)
	is "$found" "" "valgrind found nothing"
fi

done_testing
