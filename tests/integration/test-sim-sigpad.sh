#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# tests/integration/test-sim-sigpad.sh - rekam-sim-sigpad on its own (no bus):
# the command line, the examples of docs/device-protocol.md replayed with
# socat, a capture's strokes and PNG, determinism under a seed, and every
# control command and fault.
. "${REKAM_TEST_LIB:-$(dirname "$0")/lib.sh}"

require_tools socat base64 sha256sum od

top_builddir=${top_builddir:-$(cd "$(dirname "$0")/../.." && pwd)}
REKAM_SIM_SIGPAD=${REKAM_SIM_SIGPAD:-$top_builddir/simulators/rekam-sim-sigpad}
[ -x "$REKAM_SIM_SIGPAD" ] || bail "rekam-sim-sigpad is not built at $REKAM_SIM_SIGPAD"

PAD=$REKAM_TMP/pad.sock
CTL=$REKAM_TMP/pad.ctl

start_sim() { # start_sim [ARGS...]: wait for the control socket
	# shellcheck disable=SC2046
	$(sim_cmd) "$REKAM_SIM_SIGPAD" --socket "$PAD" --control "$CTL" "$@" \
		2>>"$REKAM_TMP/sim.log" &
	SIM_PID=$!
	wait_for 20 test -S "$CTL" || bail "rekam-sim-sigpad did not start"
}


pad() { # pad LINE...: one host session (socat closes when the pad does)
	printf '%s\n' "$@" | socat -t 10 - "UNIX-CONNECT:$PAD"
}

image_of() { # the PNG of a capture transcript on stdin, to stdout
	grep '^IMAGE-DATA ' | cut -d' ' -f2 | tr -d '\n' | base64 -d
}

# --- command line --------------------------------------------------------------
out=$("$REKAM_SIM_SIGPAD" --help)
is "$?" 0 "--help exits 0"
for word in --socket --control --seed --time-scale --verbose --name "Exit status" \
	pen-timeout unplug-mid-capture garbage oversized "socat"; do
	like "$out" "$word" "--help documents $word"
done
like "$("$REKAM_SIM_SIGPAD" --version)" "^rekam-sim-sigpad [0-9]+\.[0-9]+\.[0-9]+$" "--version"
"$REKAM_SIM_SIGPAD" --socket "$PAD" 2>"$REKAM_TMP/err"
is "$?" 64 "without --control: exit 64"
"$REKAM_SIM_SIGPAD" --socket "$PAD" --control "$CTL" --time-scale fast 2>"$REKAM_TMP/err"
is "$?" 64 "a bad --time-scale: exit 64"
like "$(cat "$REKAM_TMP/err")" "time-scale" "... naming the option"
"$REKAM_SIM_SIGPAD" --socket "$PAD" --control "$CTL" --bogus 2>"$REKAM_TMP/err"
is "$?" 64 "an unknown option: exit 64"
"$REKAM_SIM_SIGPAD" --socket "$REKAM_TMP/missing/pad.sock" --control "$CTL" 2>"$REKAM_TMP/err"
is "$?" 69 "a socket in a missing directory: exit 69"

# --- the documented session ------------------------------------------------------
start_sim --seed 7 --time-scale 0.01
check "the device socket exists" test -S "$PAD"

out=$(pad "PING" "INFO")
is "$out" "PONG
ERR not-ready send HELLO first" "PING works at once, INFO wants HELLO first"
out=$(pad "HELLO 1" "INFO" "PING")
like "$out" "^HELLO-OK 1 REKAM-SIG-500" "HELLO 1 -> HELLO-OK 1 REKAM-SIG-500"
like "$out" "INFO model=REKAM-SIG-500 serial=RKS5-[0-9A-F]{8} firmware=1\.4\.2 width=9600 height=3600 dpi=2540 pressure-levels=1024 rate=200 image-width=800 image-height=300" \
	"INFO lists the documented keys"
like "$out" "PONG$" "PING -> PONG"

out=$(pad "HELLO 1" "SELFTEST")
like "$out" "SELFTEST-STEP firmware pass" "SELFTEST: firmware step"
like "$out" "SELFTEST-STEP digitizer pass" "SELFTEST: digitizer step"
is "$(printf '%s\n' "$out" | grep -c '^SELFTEST-STEP ')" 4 "SELFTEST: four steps"
like "$out" "SELFTEST-END pass$" "SELFTEST-END pass"

pad "HELLO 1" "CAPTURE timeout=5000" >"$REKAM_TMP/cap1"
cap=$(cat "$REKAM_TMP/cap1")
like "$cap" "^HELLO-OK" "a capture session"
npoints=$(grep -c '^POINT ' "$REKAM_TMP/cap1")
ndown=$(grep -c '^PEN-DOWN$' "$REKAM_TMP/cap1")
nup=$(grep -c '^PEN-UP$' "$REKAM_TMP/cap1")
ok "$([ "$npoints" -gt 100 ]; echo $?)" "the capture has strokes ($npoints points)"
is "$ndown" "$nup" "every PEN-DOWN has its PEN-UP ($ndown strokes)"
like "$cap" "CAPTURE-END points=$npoints strokes=$ndown duration=[0-9]+" "CAPTURE-END counts them"
check "POINT lines are x y pressure t within the pad" awk '
	/^POINT / { if (NF != 5 || $2 < 0 || $2 >= 9600 || $3 < 0 || $3 >= 3600 ||
		$4 < 1 || $4 > 1023 || $5 < last) exit 1; last = $5 }' "$REKAM_TMP/cap1"
check "the first point of a stroke presses lighter than its middle" awk '
	/^PEN-DOWN/ { n = 0 } /^POINT / { p[++n] = $4 } /^PEN-UP/ { if (n > 20 && p[1] >= p[int(n / 2)]) bad = 1 }
	END { exit bad }' "$REKAM_TMP/cap1"
check "points come 5 ms apart within a stroke" awk '
	/^PEN-DOWN/ { last = -1 } /^POINT / { if (last >= 0 && $5 - last != 5) exit 1; last = $5 }' "$REKAM_TMP/cap1"
check "no line is longer than 4096 bytes" awk 'length($0) > 4096 { exit 1 }' "$REKAM_TMP/cap1"
like "$cap" "IMAGE-BEGIN width=800 height=300 bytes=[0-9]+" "IMAGE-BEGIN"
image_of <"$REKAM_TMP/cap1" >"$REKAM_TMP/sig1.png"
bytes=$(sed -n 's/^IMAGE-BEGIN .*bytes=\([0-9]*\)$/\1/p' "$REKAM_TMP/cap1")
is "$(wc -c <"$REKAM_TMP/sig1.png" | tr -d ' ')" "$bytes" "the decoded image has the announced size"
is "$(sed -n 's/^IMAGE-END //p' "$REKAM_TMP/cap1")" \
	"$(sha256sum "$REKAM_TMP/sig1.png" | cut -d' ' -f1)" "IMAGE-END carries its SHA-256"
is "$(od -An -tx1 -N8 "$REKAM_TMP/sig1.png" | tr -d ' \n')" "89504e470d0a1a0a" "the image is a PNG"
is "$(od -An -tx1 -j16 -N8 "$REKAM_TMP/sig1.png" | tr -d ' \n')" "000003200000012c" \
	"... of 800 x 300 pixels (IHDR)"
if command -v file >/dev/null 2>&1; then
	like "$(file -b "$REKAM_TMP/sig1.png")" "PNG image data, 800 x 300" "file(1) recognises it"
fi
check "IMAGE-DATA lines hold at most 3072 base64 characters" \
	awk '/^IMAGE-DATA / { if (length($2) > 3072) exit 1 }' "$REKAM_TMP/cap1"

# --- determinism ------------------------------------------------------------------
out=$(sim_ctl "seed 7")
is "$out" "OK seed=7" "seed 7"
pad "HELLO 1" "CAPTURE timeout=5000" >"$REKAM_TMP/cap2"
check "the same seed gives the same strokes and PNG bytes" cmp "$REKAM_TMP/cap1" "$REKAM_TMP/cap2"
pad "HELLO 1" "CAPTURE timeout=5000" >"$REKAM_TMP/cap3"
check_fails "the next capture is another signature" cmp "$REKAM_TMP/cap1" "$REKAM_TMP/cap3"

# --- protocol errors --------------------------------------------------------------
out=$(pad "HELLO 1" "FROB" "INFO extra" "CAPTURE timeout=0" "CAPTURE colour=red" "CANCEL" "HELLO x")
like "$out" "ERR unknown-command FROB" "an unknown command"
like "$out" "ERR bad-argument INFO takes no argument" "an argument INFO does not take"
is "$(printf '%s\n' "$out" | grep -c '^ERR bad-argument usage: CAPTURE')" 2 "bad CAPTURE arguments"
like "$out" "ERR not-capturing" "CANCEL without a capture"
like "$out" "ERR bad-argument usage: HELLO" "HELLO without a number"
long=$(head -c 5000 /dev/zero | tr '\0' 'A')
out=$(pad "HELLO 1" "$long" "PING")
like "$out" "ERR line-too-long" "a line over 4096 bytes is refused"
like "$out" "PONG$" "... and the session goes on"

out=$(sim_ctl "delay 300")
is "$out" "OK delay=300" "delay 300"
start=$(date +%s%N)
out=$(pad "PING")
elapsed=$((($(date +%s%N) - start) / 1000000))
is "$out" "PONG" "a delayed PING is answered"
ok "$([ "$elapsed" -ge 300 ]; echo $?)" "... after the delay ($elapsed ms)"
sim_ctl "delay 0" >/dev/null

out=$(sim_ctl "fail E42")
is "$out" "OK fail=E42" "fail E42"
out=$(pad "HELLO 1" "INFO" "INFO")
like "$out" "^HELLO-OK 1 REKAM-SIG-500
ERR failure E42 injected device failure" "the next operation (not HELLO) fails with the code"
like "$out" "INFO model=" "... and only that one"
is "$(sim_ctl "fail bad code")" "ERR CODE is 1-32 letters, digits, '-', '_' or '.'" "a bad failure code"

# --- a second host ------------------------------------------------------------------
exec 5> >(socat -t 5 - "UNIX-CONNECT:$PAD" >"$REKAM_TMP/first" 2>&1)
printf 'HELLO 1\n' >&5
wait_for 5 grep -q HELLO-OK "$REKAM_TMP/first"
like "$(socat -t 2 - "UNIX-CONNECT:$PAD" </dev/null)" "^ERR busy" "a second host gets ERR busy"
like "$(sim_ctl status)" "connected=yes" "status: connected=yes"
exec 5>&-
wait_for 5 sh -c "echo status | socat - UNIX-CONNECT:$CTL | grep -q connected=no" ||
	diag "the first host did not go away"

# --- control commands ------------------------------------------------------------------
out=$(sim_ctl help)
for c in help status unplug replug "delay MS" "fail CODE" "quality N" "seed N" quit pen-timeout \
	unplug-mid-capture garbage oversized "name TEXT" "points N"; do
	like "$out" "$c" "help lists $c"
done
like "$(sim_ctl status)" "^OK plugged=yes connected=no .*seed=7 time-scale=0.01 delay=0 quality=100 fail=none state=idle" \
	"status is key=value pairs"
is "$(sim_ctl frobnicate)" "ERR unknown command 'frobnicate' (try help)" "an unknown control command"
is "$(sim_ctl "status now")" "ERR status takes no argument" "an argument where none is taken"
is "$(sim_ctl "delay")" "ERR usage: delay MS" "a missing argument"
is "$(sim_ctl "quality 101")" "ERR quality wants a number from 0 to 100" "quality 101 is refused"
is "$(sim_ctl "points 1")" "ERR points wants 0 (natural) or 2 to 20000" "points 1 is refused"
is "$(sim_ctl "$(head -c 2000 /dev/zero | tr '\0' 'x')" "status" | cut -c1-14)" \
	"ERR line too l
OK plugged=yes" "a control line over 1024 bytes: ERR line too long, then the next command"
is "$(sim_ctl "" "ping" "" | wc -l | tr -d ' ')" 1 "blank control lines get no answer"
out=$(printf 'status\n' | socat - "UNIX-CONNECT:$CTL" & printf 'help\n' | socat - "UNIX-CONNECT:$CTL"; wait)
is "$(printf '%s\n' "$out" | grep -c '^OK')" 2 "two control clients at once"

is "$(sim_ctl "points 50")" "OK points=50" "points 50"
is "$(sim_ctl "name Ani Yudhoyono")" "OK name=Ani Yudhoyono" "name TEXT"
is "$(sim_ctl "name B4d")" "ERR a name is 1-40 letters, blanks, '.', '-' or \"'\"" "a bad name"
out=$(pad "HELLO 1" "CAPTURE timeout=5000")
is "$(printf '%s\n' "$out" | grep -c '^POINT ')" 50 "points 50: the capture has 50 points"
like "$out" "CAPTURE-END points=50 " "... and says so"
out=$(pad "HELLO 1" "CAPTURE timeout=5000 min-points=60")
like "$out" "ERR too-short 50 points, fewer than min-points=60" "min-points above the points: ERR too-short"
unlike "$out" "IMAGE-BEGIN" "... and no image"
sim_ctl "points 0" "name" >/dev/null

is "$(sim_ctl "quality 20")" "OK quality=20" "quality 20"
out=$(pad "HELLO 1" "SELFTEST")
like "$out" "SELFTEST-STEP digitizer fail" "a low quality fails the digitizer step"
like "$out" "SELFTEST-END fail" "... and the self-test"
sim_ctl "quality 100" >/dev/null

is "$(sim_ctl pen-timeout)" "OK the next capture gets no pen contact" "pen-timeout"
out=$(pad "HELLO 1" "CAPTURE timeout=2000")
is "$out" "HELLO-OK 1 REKAM-SIG-500
ERR timeout no pen contact within 2000 ms" "pen-timeout: ERR timeout"
out=$(pad "HELLO 1" "CAPTURE timeout=100")
like "$out" "ERR timeout" "a timeout shorter than the pen wait: ERR timeout"

sim_ctl garbage >/dev/null
pad "HELLO 1" "PING" >"$REKAM_TMP/garbage"
is "$(wc -l <"$REKAM_TMP/garbage" | tr -d ' ')" 3 "garbage: one more line"
check_fails "... that is not a protocol line" grep -aq '^[A-Z-]* ' <(sed -n 1p "$REKAM_TMP/garbage")
is "$(sed -n 2,3p "$REKAM_TMP/garbage")" "HELLO-OK 1 REKAM-SIG-500
PONG" "... before the answers"
sim_ctl oversized >/dev/null
pad "HELLO 1" >"$REKAM_TMP/oversized"
is "$(awk 'NR == 1 { print length($0) }' "$REKAM_TMP/oversized")" 5000 "oversized: a 5000-byte line"
is "$(sed -n 2p "$REKAM_TMP/oversized")" "HELLO-OK 1 REKAM-SIG-500" "... before the answer"

# CANCEL during a capture: the pen never comes, the pad waits 300 ms (30 s scaled)
sim_ctl pen-timeout >/dev/null
out=$( (printf 'HELLO 1\nCAPTURE timeout=30000\n'; sleep 0.1; printf 'CANCEL\nPING\n') |
	socat -t 5 - "UNIX-CONNECT:$PAD")
is "$out" "HELLO-OK 1 REKAM-SIG-500
CANCELLED
PONG" "CANCEL during a capture: CANCELLED, and nothing else of it"

is "$(sim_ctl unplug-mid-capture)" "OK the next capture unplugs the pad after half of its points" \
	"unplug-mid-capture"
sim_ctl "points 200" >/dev/null
out=$(pad "HELLO 1" "CAPTURE timeout=5000")
is "$(printf '%s\n' "$out" | grep -c '^POINT ')" 100 "the connection drops after half of the points"
unlike "$out" "CAPTURE-END" "... with no CAPTURE-END"
like "$(sim_ctl status)" "plugged=no" "... and the pad is unplugged"
check_fails "the device socket is gone" test -e "$PAD"
is "$(sim_ctl replug)" "OK plugged" "replug"
like "$(pad "PING")" "PONG" "the pad answers again"
sim_ctl "points 0" >/dev/null

is "$(sim_ctl unplug)" "OK unplugged" "unplug"
check_fails "the device socket is gone" test -e "$PAD"
check_fails "a host cannot connect" socat -u /dev/null "UNIX-CONNECT:$PAD"
is "$(sim_ctl unplug)" "ERR already unplugged" "unplug twice"
is "$(sim_ctl replug)" "OK plugged" "replug"
is "$(sim_ctl replug)" "ERR already plugged" "replug twice"
like "$(pad "HELLO 1")" "HELLO-OK" "the pad is back"

# unplug while a host is connected drops it
exec 5> >(socat -t 5 - "UNIX-CONNECT:$PAD" >"$REKAM_TMP/host" 2>&1; echo done >>"$REKAM_TMP/host")
printf 'HELLO 1\n' >&5
wait_for 5 grep -q HELLO-OK "$REKAM_TMP/host"
sim_ctl unplug >/dev/null
check "unplug drops a connected host" wait_for 5 grep -q done "$REKAM_TMP/host"
exec 5>&-
sim_ctl replug >/dev/null

# --- stopping ------------------------------------------------------------------------------
stop_sim
is "$SIM_STATUS" 0 "SIGTERM stops it with 0"
check_fails "... removing the device socket" test -e "$PAD"
check_fails "... and the control socket" test -e "$CTL"

start_sim --seed 7 --time-scale 0
is "$(sim_ctl quit)" "OK bye" "quit answers"
wait "$SIM_PID"
is "$?" 0 "... and exits 0"
SIM_PID=
check_fails "... removing its sockets" test -e "$CTL"

if [ "${REKAM_TEST_VALGRIND:-0}" = 1 ]; then
	check "valgrind found no errors in the simulator" \
		sh -c "! grep -q . $REKAM_TMP/valgrind-sim.*.log"
fi
done_testing
