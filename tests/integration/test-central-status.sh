#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# tests/integration/test-central-status.sh - rekamd's upload queue as the
# operator sees it, on a private bus with rekam-sim-central over real TLS:
# a packet queued before start while the server refuses connections shows
# as UploadQueueLength 1, OldestQueuedSince and CentralReachable false on
# D-Bus and in `rekamctl status`; once the server is back rekamd delivers
# it on its own (once), the queue empties and the server counts as
# reachable; a restart finds nothing left to send; without [central] the
# properties are 0, 0 and false.
. "${REKAM_TEST_LIB:-$(dirname "$0")/lib.sh}"

require_tools socat python3 dbus-send

top_builddir=${top_builddir:-$(cd "$(dirname "$0")/../.." && pwd)}
REKAM_SIM_CENTRAL=${REKAM_SIM_CENTRAL:-$top_builddir/simulators/rekam-sim-central}
QUEUE_PACKET=$top_builddir/tests/integration/rekam-queue-packet
[ -x "$REKAM_SIM_CENTRAL" ] || bail "rekam-sim-central is not built at $REKAM_SIM_CENTRAL"
[ -x "$QUEUE_PACKET" ] || bail "rekam-queue-packet is not built at $QUEUE_PACKET"

REKAM_NAME=id.rekam.Station1
REKAM_PATH=/id/rekam/Station1
PKI=$REKAM_TMP/pki
CTL=$REKAM_TMP/central.ctl
PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')

"$REKAM_SIM_CENTRAL" --make-pki "$PKI" || bail "--make-pki failed"
# shellcheck disable=SC2046
$(sim_cmd) "$REKAM_SIM_CENTRAL" --pki "$PKI" --port "$PORT" --socket "$REKAM_TMP/central.sock" \
	--control "$CTL" --time-scale 0.001 2>>"$REKAM_TMP/sim.log" &
SIM_PID=$!
wait_for 30 test -S "$CTL" || bail "rekam-sim-central did not start"
start_bus

prop() { get_property "$1" | sed -e 's/^[a-z0-9]* //'; }
counter() { sim_ctl status | sed -n "s/.* $1=\([0-9]*\).*/\1/p"; }

like "$(sim_ctl refuse)" "^OK" "the central server refuses connections"
ID=$("$QUEUE_PACKET" "$REKAM_TMP/state" "$PKI/station1.key" "$PKI/enc.pem" 6371055704900001)
like "$ID" '^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$' \
	"a packet is queued in the state directory ($ID)"

write_config "[central]" "url = https://127.0.0.1:$PORT/v1" "ca = $PKI/ca.pem" \
	"cert = $PKI/station1.pem" "key = $PKI/station1.key" "encryption-cert = $PKI/enc.pem" \
	"backoff-initial-ms = 100" "backoff-max-ms = 300"
start_rekamd
is "$(prop UploadQueueLength)" 1 "UploadQueueLength is 1"
oldest=$(prop OldestQueuedSince)
now=$(date +%s)
ok "$([ "$oldest" -gt 0 ] && [ "$oldest" -le "$now" ]; echo $?)" \
	"OldestQueuedSince is when it was queued ($oldest)"
check "CentralReachable turns false after a refused connection" \
	wait_for 30 sh -c "dbus-send --session --print-reply=literal --dest=$REKAM_NAME $REKAM_PATH \
	org.freedesktop.DBus.Properties.Get string:$REKAM_NAME string:CentralReachable | \
	grep -q false"
run_ctl --session status
is "$RC" 0 "rekamctl status"
like "$OUT" "Upload queue: +1" "... shows the queue length"
like "$OUT" "Oldest queued: +[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9:]{8} .*s ago" \
	"... and when the oldest packet was queued"
like "$OUT" "Central server: +not reachable" "... and that the server is not reachable"
run_ctl --session --json status
like "$OUT" '"UploadQueueLength": *1' "rekamctl --json status has UploadQueueLength"

is "$(sim_ctl reset)" "OK normal" "the central server is back"
check "rekamd delivers the packet: the queue empties" \
	wait_for 60 sh -c "dbus-send --session --print-reply=literal --dest=$REKAM_NAME $REKAM_PATH \
	org.freedesktop.DBus.Properties.Get string:$REKAM_NAME string:UploadQueueLength | \
	grep -q 'uint32 0'"
is "$(prop OldestQueuedSince)" 0 "OldestQueuedSince is 0 with an empty queue"
is "$(prop CentralReachable)" true "CentralReachable is true"
is "$(counter submitted)" 1 "the server took in one submission"
check "the packet reaches print_ready" \
	wait_for 60 sh -c "grep -q 'upload $ID: print_ready' '$REKAM_TMP/rekamd.log'"
stop_rekamd
is "$REKAMD_STATUS" 0 "rekamd stops with 0"

start_rekamd
is "$(prop UploadQueueLength)" 0 "after a restart nothing is queued"
sleep 0.5
is "$(counter submitted)" 1 "... and nothing is sent again"
stop_rekamd

write_config
start_rekamd
is "$(prop UploadQueueLength)$(prop OldestQueuedSince)$(prop CentralReachable)" "00false" \
	"without [central]: 0, 0 and false"
stop_rekamd

if [ "${REKAM_TEST_VALGRIND:-0}" = 1 ]; then
	is "$(cat "$REKAM_TMP"/valgrind.*.log 2>/dev/null)" "" "valgrind found nothing in rekamd"
	check_ctl_valgrind
fi
is "$(sim_ctl quit)" "OK bye" "the simulator quits"
wait "$SIM_PID"
SIM_PID=
done_testing
