#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# tests/integration/test-sim-camera.sh - rekam-sim-camera on its own (no bus),
# driven by a real third-party PTP/IP client: gphoto2 captures and downloads
# a portrait of the configured size and background, the same bytes the
# simulator stored; the control commands and faults; malformed TCP clients.
. "${REKAM_TEST_LIB:-$(dirname "$0")/lib.sh}"

require_tools gphoto2 socat od sha256sum timeout

top_builddir=${top_builddir:-$(cd "$(dirname "$0")/../.." && pwd)}
REKAM_SIM_CAMERA=${REKAM_SIM_CAMERA:-$top_builddir/simulators/rekam-sim-camera}
[ -x "$REKAM_SIM_CAMERA" ] || bail "rekam-sim-camera is not built at $REKAM_SIM_CAMERA"

SOCK=$REKAM_TMP/cam.sock
CTL=$REKAM_TMP/cam.ctl
CMD_PORT=
EVT_PORT=
export HOME=$REKAM_TMP/home # gphoto2 keeps ~/.gphoto/settings
mkdir -p "$HOME"

start_sim() { # start_sim [ARGS...]: on free ports from $RANDOM, retried
	local try
	for try in $(seq 10); do
		CMD_PORT=$((20000 + RANDOM % 40000))
		EVT_PORT=$((CMD_PORT + 1))
		# shellcheck disable=SC2046
		$(sim_cmd) "$REKAM_SIM_CAMERA" --socket "$SOCK" --control "$CTL" --verbose \
			--port "$CMD_PORT" --event-port "$EVT_PORT" "$@" 2>>"$REKAM_TMP/sim.log" &
		SIM_PID=$!
		wait_sim && return 0
	done
	sim_failed rekam-sim-camera
}


status_of() { # status_of KEY: one value of the control status line
	sim_ctl status | tr ' ' '\n' | sed -n "s/^$1=//p"
}

gp() { # gp ARGS...: gphoto2 on the simulator; output in $REKAM_TMP/gp.out
	(timeout -k 2 "${GP_TIMEOUT:-60}" gphoto2 --camera "PTP/IP Camera" \
		--port "ptpip:127.0.0.1:$CMD_PORT:$EVT_PORT" "$@" >"$REKAM_TMP/gp.out" 2>&1
		r=$?
		exit $r) 2>/dev/null
}

capture() { # capture FILE: capture and download into FILE
	rm -f "$1"
	gp --capture-image-and-download --filename "$1"
}

jpeg_size() { # the WxH of a baseline JPEG's SOF0 segment
	od -An -v -tu1 "$1" | tr -s ' \n' '\n\n' | awk '
		NF { b[n++] = $1 }
		END {
			for (i = 2; i + 8 < n; ) {
				if (b[i] != 255) exit 1
				m = b[i + 1]; len = b[i + 2] * 256 + b[i + 3]
				if (m == 192) { printf "%dx%d\n", b[i + 7] * 256 + b[i + 8], b[i + 5] * 256 + b[i + 6]; exit 0 }
				i += 2 + len
			}
			exit 1
		}'
}

corner_colour() { # red|blue|other: the top left pixel (djpeg decodes)
	djpeg -pnm "$1" | od -An -tu1 -j13 -N3 | awk '{
		if ($1 > 150 && $2 < 90 && $3 < 90) print "red";
		else if ($3 > 150 && $1 < 90) print "blue"; else print "other" }'
}

# --- command line --------------------------------------------------------------
out=$("$REKAM_SIM_CAMERA" --help)
is "$?" 0 "--help exits 0"
for word in --socket --control --port --event-port --size --background --seed --time-scale \
	"Exit status" background busy no-card drop battery gphoto2 PTP/IP; do
	like "$out" "$word" "--help documents $word"
done
like "$("$REKAM_SIM_CAMERA" --version)" "^rekam-sim-camera [0-9]+\.[0-9]+\.[0-9]+$" "--version"
for bad in "--size 64" "--size 8x8" "--background green" "--port 0" "--battery 101"; do
	# shellcheck disable=SC2086
	"$REKAM_SIM_CAMERA" --socket "$SOCK" --control "$CTL" $bad 2>"$REKAM_TMP/err"
	is "$?" 64 "$bad: exit 64"
done

# --- a capture through gphoto2 ------------------------------------------------------
start_sim --seed 7 --time-scale 0.01 --size 64x80 --background red --battery 77
like "$(socat -t 2 - "UNIX-CONNECT:$SOCK" </dev/null)" \
	"^PTPIP 127\.0\.0\.1 $CMD_PORT $EVT_PORT REKAM EOS-SIM RKC-[0-9A-F]{8}$" \
	"the device socket says where the camera listens"

gp --summary
is "$?" 0 "gphoto2 --summary exits 0"
summary=$(cat "$REKAM_TMP/gp.out")
like "$summary" "Model: REKAM EOS-SIM" "--summary shows the model"
like "$summary" "Serial Number: RKC-[0-9A-F]{8}" "... the serial number from the seed"
like "$summary" "Battery Level.*77" "... the battery level"

capture "$REKAM_TMP/photo.jpg"
is "$?" 0 "gphoto2 --capture-image-and-download exits 0"
like "$(cat "$REKAM_TMP/gp.out")" "Saving file as" "... and saves the file"
check "the photo exists" test -s "$REKAM_TMP/photo.jpg"
is "$(od -An -tx1 -N3 "$REKAM_TMP/photo.jpg" | tr -d ' \n')" "ffd8ff" "it is a JPEG"
is "$(jpeg_size "$REKAM_TMP/photo.jpg")" "64x80" "... of the configured size (SOF0)"
sha1=$(sha256sum "$REKAM_TMP/photo.jpg" | cut -d' ' -f1)
is "$sha1" "$(status_of last-sha256)" "gphoto2 saved the bytes the simulator served"
is "$(status_of last-background)" "red" "the simulator took it on red"
if command -v djpeg >/dev/null 2>&1; then
	is "$(corner_colour "$REKAM_TMP/photo.jpg")" "red" "its corner pixel is red"
fi
is "$(status_of objects)" 0 "gphoto2 deleted it from the card"
is "$(status_of captures)" 1 "one capture"

# --- control commands ---------------------------------------------------------------
out=$(sim_ctl help)
for c in "background red|blue" busy no-card card drop "battery N"; do
	like "$out" "$c" "help lists $c"
done
is "$(sim_ctl "background blue")" "OK background=blue" "background blue"
is "$(sim_ctl "background green")" "ERR background wants red or blue" "background green is refused"
capture "$REKAM_TMP/blue.jpg"
check "a capture on blue" test -s "$REKAM_TMP/blue.jpg"
is "$(status_of last-background)" "blue" "the simulator took it on blue"
if command -v djpeg >/dev/null 2>&1; then
	is "$(corner_colour "$REKAM_TMP/blue.jpg")" "blue" "its corner pixel is blue"
fi
check_fails "it differs from the red one" cmp -s "$REKAM_TMP/photo.jpg" "$REKAM_TMP/blue.jpg"

sim_ctl "background red" "seed 7" >/dev/null
capture "$REKAM_TMP/again.jpg"
check "the same seed gives the same JPEG bytes" cmp "$REKAM_TMP/photo.jpg" "$REKAM_TMP/again.jpg"

is "$(sim_ctl "battery 15")" "OK battery=15" "battery 15"
gp --summary
like "$(cat "$REKAM_TMP/gp.out")" "Battery Level.*15" "--summary shows the new level"
is "$(sim_ctl "battery 101")" "ERR battery wants a percentage from 0 to 100" "battery 101 is refused"

# --- faults ------------------------------------------------------------------------------
# gphoto2 logs a failed InitiateCapture (with --debug) and waits for capture
# events that never come, until it is cancelled: give it a few seconds.
is "$(sim_ctl busy)" "OK the next InitiateCapture answers DeviceBusy" "busy"
GP_TIMEOUT=${REKAM_TEST_GP_FAIL_TIMEOUT:-5} capture "$REKAM_TMP/busy.jpg"
check_fails "busy: gphoto2 saves no photo" test -e "$REKAM_TMP/busy.jpg"
unlike "$(cat "$REKAM_TMP/gp.out")" "Saving file" "... and says it saved none"
like "$(cat "$REKAM_TMP/sim.log")" "InitiateCapture: busy" \
	"... the simulator answered DeviceBusy"
is "$(status_of busy)" "no" "busy is used once"
capture "$REKAM_TMP/after-busy.jpg"
check "the next capture works" test -s "$REKAM_TMP/after-busy.jpg"

is "$(sim_ctl drop)" "OK the next GetObject drops the connections halfway" "drop"
capture "$REKAM_TMP/drop.jpg"
check_fails "drop: gphoto2 saves no photo" test -s "$REKAM_TMP/drop.jpg"
like "$(cat "$REKAM_TMP/gp.out")" "Could not get image" "... and says it could not get the image"
like "$(cat "$REKAM_TMP/sim.log")" "dropping the connections after" "... the simulator dropped it"
capture "$REKAM_TMP/after-drop.jpg"
check "the next capture works" test -s "$REKAM_TMP/after-drop.jpg"

# --- malformed TCP clients -----------------------------------------------------------------
bad0=$(status_of bad-packets)
printf 'xxxx' | socat -t 2 - "TCP:127.0.0.1:$CMD_PORT" >/dev/null 2>&1
printf 'xxxxxxxx' | socat -t 2 - "TCP:127.0.0.1:$CMD_PORT" >/dev/null 2>&1
printf '\x04\x00\x00\x00\x01\x00\x00\x00' | socat -t 2 - "TCP:127.0.0.1:$CMD_PORT" >/dev/null 2>&1
printf '\xff\xff\xff\x7f\x01\x00\x00\x00' | socat -t 2 - "TCP:127.0.0.1:$EVT_PORT" >/dev/null 2>&1
printf '\x08\x00\x00\x00\x63\x00\x00\x00' | socat -t 2 - "TCP:127.0.0.1:$EVT_PORT" >/dev/null 2>&1
printf '\x12\x00\x00\x00\x06\x00\x00\x00\x01\x00\x00\x00\x01\x10\x00\x00\x00\x00' |
	socat -t 2 - "TCP:127.0.0.1:$CMD_PORT" >/dev/null 2>&1
check "the simulator survives garbage on its TCP ports" kill -0 "$SIM_PID"
is "$(status_of bad-packets)" "$((bad0 + 5))" "five malformed packets were counted"
like "$(cat "$REKAM_TMP/sim.log")" "packet length 4: closing the connection" "... and logged"
capture "$REKAM_TMP/after-garbage.jpg"
check "gphoto2 still captures" test -s "$REKAM_TMP/after-garbage.jpg"

# --- unplug ----------------------------------------------------------------------------------
is "$(sim_ctl unplug)" "OK unplugged" "unplug"
check "the command port closes" wait_for 5 sh -c \
	"! socat -u /dev/null TCP:127.0.0.1:$CMD_PORT 2>/dev/null"
is "$(sim_ctl replug)" "OK plugged" "replug"
check "the command port opens again" wait_for 5 socat -u /dev/null "TCP:127.0.0.1:$CMD_PORT"
capture "$REKAM_TMP/after-replug.jpg"
check "gphoto2 captures after replug" test -s "$REKAM_TMP/after-replug.jpg"

# --- no card, a failed capture, a second host ------------------------------------------------
is "$(sim_ctl no-card)" "OK card=no" "no-card"
GP_TIMEOUT=${REKAM_TEST_GP_FAIL_TIMEOUT:-5} capture "$REKAM_TMP/no-card.jpg"
check_fails "no-card: gphoto2 saves no photo" test -e "$REKAM_TMP/no-card.jpg"
like "$(cat "$REKAM_TMP/sim.log")" "response 0x2013" \
	"... InitiateCapture answered StoreNotAvailable"
is "$(sim_ctl card)" "OK card=yes" "card"
is "$(sim_ctl "fail E42")" "OK fail=E42" "fail E42"
GP_TIMEOUT=${REKAM_TEST_GP_FAIL_TIMEOUT:-5} capture "$REKAM_TMP/fail.jpg"
check_fails "fail: gphoto2 saves no photo" test -e "$REKAM_TMP/fail.jpg"
like "$(cat "$REKAM_TMP/sim.log")" "injected failure E42" \
	"... InitiateCapture answered GeneralError"
# a host that holds the command channel; a second InitCommandRequest gets InitFail
init='\x20\x00\x00\x00\x01\x00\x00\x00AAAAAAAAAAAAAAAAh\x00\x00\x00\x00\x00\x01\x00'
(printf "$init"; sleep 2) | socat -t 1 - "TCP:127.0.0.1:$CMD_PORT" >"$REKAM_TMP/first.out" 2>&1 &
sleep 0.3
printf "$init" | socat -t 1 - "TCP:127.0.0.1:$CMD_PORT" >"$REKAM_TMP/second.out" 2>&1
wait $!
is "$(od -An -tx1 -N8 "$REKAM_TMP/first.out" | tr -d ' \n' | cut -c9-16)" "02000000" \
	"the first host gets InitCommandAck"
is "$(od -An -tx1 "$REKAM_TMP/second.out" | tr -d ' \n')" "0c0000000500000002000000" \
	"a second host gets InitFail (busy)"

# --- stopping ----------------------------------------------------------------------------------
stop_sim
is "$SIM_STATUS" 0 "SIGTERM stops it with 0"
check_fails "... removing the control socket" test -e "$CTL"

if [ "${REKAM_TEST_VALGRIND:-0}" = 1 ]; then
	check "valgrind found no errors in the simulator" \
		sh -c "! grep -q . $REKAM_TMP/valgrind-sim.*.log"
fi
done_testing
