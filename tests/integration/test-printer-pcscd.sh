#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# tests/integration/test-printer-pcscd.sh - the printer's inline encoder as a
# real PC/SC client sees it: a private pcscd with the vpcd reader,
# rekam-sim-card in that reader (out at start), rekam-sim-printer linked to
# it. Stage: pcscd sees a blank card arrive (its ATR, a new UID); eject and
# reject: pcscd sees it go. Runs under flock /tmp/rekam-pcscd.lock (one pcscd
# per machine) and skips, saying why, where test-sim-card.sh does.
. "${REKAM_TEST_LIB:-$(dirname "$0")/lib.sh}"

require_tools pcscd opensc-tool socat flock
# one pcscd per machine: wait (up to 2 minutes) for other tests' pcscd to end
exec 9>>/tmp/rekam-pcscd.lock
flock -w 120 9 || skip_all "another test has held /tmp/rekam-pcscd.lock (its pcscd) for 2 minutes"
VPCD_DRIVER=${REKAM_VPCD_DRIVER:-/usr/lib/pcsc/drivers/serial/libifdvpcd.so}
[ -f "$VPCD_DRIVER" ] || skip_all "the vpcd driver is not installed ($VPCD_DRIVER; Debian: vsmartcard-vpcd)"
top_builddir=${top_builddir:-$(cd "$(dirname "$0")/../.." && pwd)}
REKAM_SIM_PRINTER=${REKAM_SIM_PRINTER:-$top_builddir/simulators/rekam-sim-printer}
REKAM_SIM_CARD=${REKAM_SIM_CARD:-$top_builddir/simulators/rekam-sim-card}
[ -x "$REKAM_SIM_PRINTER" ] || bail "rekam-sim-printer is not built at $REKAM_SIM_PRINTER"
[ -x "$REKAM_SIM_CARD" ] || bail "rekam-sim-card is not built at $REKAM_SIM_CARD"

PCSC_RUN=/run/pcscd
running=$(ps -C pcscd -o pid=,stat= 2>/dev/null | awk '$2 !~ /^Z/ { printf "%s ", $1 }')
[ -z "$running" ] || skip_all "a pcscd is already running (pid ${running% }); stop it to run this test"
if [ -S "$PCSC_RUN/pcscd.comm" ] && socat -u /dev/null "UNIX-CONNECT:$PCSC_RUN/pcscd.comm" 2>/dev/null; then
	skip_all "$PCSC_RUN/pcscd.comm is in use (systemd's pcscd.socket?); stop it to run this test"
fi
mkdir -p "$PCSC_RUN" 2>/dev/null
[ -w "$PCSC_RUN" ] || skip_all "pcscd needs a writable $PCSC_RUN (run as root, or create it for this user)"

CTL=$REKAM_TMP/prn.ctl
CARD_CTL=$REKAM_TMP/card.ctl
PCSCD_PID=
CARD_PID=
mkdir -p "$REKAM_TMP/cards" "$REKAM_TMP/reader.conf.d"

_pcscd_cleanup() {
	local status=$?
	[ -n "$CARD_PID" ] && kill -TERM "$CARD_PID" 2>/dev/null && wait "$CARD_PID" 2>/dev/null
	[ -n "$PCSCD_PID" ] && kill -TERM "$PCSCD_PID" 2>/dev/null && wait "$PCSCD_PID" 2>/dev/null
	(exit "$status")
	_cleanup
}
trap _pcscd_cleanup EXIT

port_free() { # nothing listens on PORT and PORT+1 (vpcd's two slots)
	! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null &&
		! (exec 3<>"/dev/tcp/127.0.0.1/$(($1 + 1))") 2>/dev/null
}
VPCD=
for _ in $(seq 20); do
	p=$((30000 + (RANDOM % 1300) * 2)) # below the ephemeral ports (32768-)
	port_free "$p" && VPCD=$p && break
done
[ -n "$VPCD" ] || bail "no free port pair for vpcd"
cat >"$REKAM_TMP/reader.conf.d/vpcd" <<EOF
FRIENDLYNAME "Virtual PCD"
DEVICENAME /dev/null:$VPCD
LIBPATH $VPCD_DRIVER
CHANNELID $VPCD
EOF

card_present() { opensc-tool -r 0 -a >/dev/null 2>&1; }
card_absent() { opensc-tool -r 0 -a 2>&1 | grep -q "Card not present"; }
uid_now() { # the 7-byte UID (GET DATA FF CA) as 14 hex digits
	opensc-tool -r 0 -s FFCA000000 2>/dev/null | sed -n '/^Received/{n;p}' | cut -c1-20 |
		tr -d ' '
}

pcscd -f -c "$REKAM_TMP/reader.conf.d" >>"$REKAM_TMP/pcscd.log" 2>&1 &
PCSCD_PID=$!
wait_for 10 sh -c 'opensc-tool -l 2>/dev/null | grep -q "Virtual PCD"' ||
	bail "pcscd did not show the vpcd reader (port $VPCD)"
diag "pcscd $PCSCD_PID, vpcd on port $VPCD"

"$REKAM_SIM_CARD" --vpcd "127.0.0.1:$VPCD" --socket "$REKAM_TMP/card.sock" \
	--control "$CARD_CTL" --removed --seed 5 2>>"$REKAM_TMP/card.log" &
CARD_PID=$!
wait_for 10 test -S "$CARD_CTL" || bail "rekam-sim-card did not start"

for _ in $(seq 10); do
	PORT=$((20000 + RANDOM % 40000))
	# shellcheck disable=SC2046
	$(sim_cmd) "$REKAM_SIM_PRINTER" --socket "$REKAM_TMP/prn.sock" --control "$CTL" \
		--port "$PORT" --output-dir "$REKAM_TMP/cards" --time-scale 0.01 \
		--card-control "$CARD_CTL" 2>>"$REKAM_TMP/sim.log" &
	SIM_PID=$!
	wait_for 10 test -S "$CTL" && break
	wait "$SIM_PID" 2>/dev/null
	SIM_PID=
done
[ -n "$SIM_PID" ] || bail "rekam-sim-printer did not start"

check "no card in the encoder's reader at start" wait_for 10 card_absent
like "$(sim_ctl stage)" "^OK a blank card is at the encoder" "stage"
check "pcscd sees a card arrive" wait_for 15 card_present
is "$(opensc-tool -r 0 -a 2>&1)" "3b:88:80:01:52:45:4b:41:4d:2d:49:44:79" "... with the ATR of rekam's chip"
uid1=$(uid_now)
like "$uid1" "^52[0-9A-F]{12}$" "... and a UID"
is "$uid1" "$(printf 'status\n' | socat -t 5 - "UNIX-CONNECT:$CARD_CTL" | tr ' ' '\n' |
	sed -n 's/^uid=//p')" "... the UID of rekam-sim-card's new card"
like "$(sim_ctl eject)" "^OK the card is in the output tray" "eject"
check "pcscd sees the card go" wait_for 15 card_absent

sim_ctl stage >/dev/null
check "stage again: a card arrives" wait_for 15 card_present
uid2=$(uid_now)
check "... another blank card (a new UID)" test "$uid2" != "$uid1"
like "$(sim_ctl reject)" "^OK the card is in the reject tray" "reject"
check "pcscd sees the rejected card go" wait_for 15 card_absent

stop_sim
is "$SIM_STATUS" 0 "the printer simulator stops cleanly"
if [ "${REKAM_TEST_VALGRIND:-0}" = 1 ]; then
	is "$(cat "$REKAM_TMP"/valgrind-sim.*.log 2>/dev/null)" "" "valgrind found nothing in the simulator"
fi
done_testing
