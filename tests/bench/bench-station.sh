#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# tests/bench/bench-station.sh - the station benchmarks, each against a
# baseline measured in the same run (`make bench-station`, part of `make
# bench`; the figures are in docs/PERFORMANCE.md):
#
#  1. round trips under 64 clients: tests/stress/dbus-load, 64 processes
#     calling back to back, rekamd's Ping against the bus daemon's own GetId,
#     alternating ROUNDS rounds of SECONDS each; medians of p50 and p99;
#  2. start-up to READY and idle memory with every plugin loaded
#     (tests/bench/bench-start, against a bare libdbus service);
#  3. the station throughput model under the SOP's step times
#     (tests/bench/station-throughput.py): pipelined against sequential.
#
#   bench-station.sh [ROUNDS [SECONDS [STARTS]]]     default 5 3 9
set -u
rounds=${1:-5}
seconds=${2:-3}
starts=${3:-9}
top_builddir=${top_builddir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_srcdir=${top_srcdir:-$top_builddir}
rekamd=$top_builddir/daemon/rekamd
load=$top_builddir/tests/stress/dbus-load
start=$top_builddir/tests/bench/bench-start
plugins=$top_builddir/plugins/built
dir=$(mktemp -d "${TMPDIR:-/tmp}/rekam-bench-station.XXXXXX")
bus_pid=
rekamd_pid=

cleanup() {
	[ -n "$rekamd_pid" ] && kill -TERM "$rekamd_pid" 2>/dev/null && wait "$rekamd_pid"
	[ -n "$bus_pid" ] && kill -TERM "$bus_pid" 2>/dev/null
	rm -rf "$dir"
}
trap cleanup EXIT

"${REKAM_DBUS_DAEMON:-dbus-daemon}" --session --nofork --print-address=3 \
	--address="unix:path=$dir/bus" 3>"$dir/address" &
bus_pid=$!
for _ in $(seq 100); do [ -s "$dir/address" ] && break; sleep 0.05; done
DBUS_SESSION_BUS_ADDRESS=$(head -n 1 "$dir/address")
export DBUS_SESSION_BUS_ADDRESS

# a station with no devices configured: every plugin of plugins/built is loaded
printf '[station]\nid = 6305-BENCH-01\n' >"$dir/rekamd.conf"
rk=("$rekamd" --session --state-dir "$dir/state" --config "$dir/rekamd.conf"
	--plugin-dir "$plugins")

median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

# --- 1. round trips under 64 clients -----------------------------------------------------------
"${rk[@]}" 2>"$dir/rekamd.log" &
rekamd_pid=$!
for _ in $(seq 200); do
	dbus-send --session --print-reply --dest=id.rekam.Station1 /id/rekam/Station1 \
		id.rekam.Station1.Ping >/dev/null 2>&1 && break
	sleep 0.05
done
loaded=$(grep -c "plugin .* loaded: " "$dir/rekamd.log")
echo "bench-station: 64 clients calling back to back, $rounds rounds of $seconds s each"
: >"$dir/getid"
: >"$dir/ping"
for r in $(seq "$rounds"); do
	"$load" --target getid 64 "$seconds" >>"$dir/getid" || echo "  round $r: getid errors"
	"$load" --target ping 64 "$seconds" >>"$dir/ping" || echo "  round $r: ping errors"
done
field() { awk -v k="$1" '{ for (i = 1; i < NF; i++) if ($i == k) print $(i + 1) }' "$2"; }
g50=$(field p50 "$dir/getid" | median)
g99=$(field p99 "$dir/getid" | median)
p50=$(field p50 "$dir/ping" | median)
p99=$(field p99 "$dir/ping" | median)
grate=$(field rate "$dir/getid" | tr -d '/s' | median)
prate=$(field rate "$dir/ping" | tr -d '/s' | median)
printf '  GetId (bus daemon)  p50 %6d us  p99 %6d us  %6d calls/s\n' "$g50" "$g99" "$grate"
printf '  rekamd Ping         p50 %6d us  p99 %6d us  %6d calls/s\n' "$p50" "$p99" "$prate"
awk -v a="$p50" -v b="$g50" -v c="$p99" -v d="$g99" \
	'BEGIN { printf "  rekamd / GetId      p50 %6.2f     p99 %6.2f\n", a / b, c / d }'
kill -TERM "$rekamd_pid"
wait "$rekamd_pid"
rekamd_pid=

# --- 2. start-up and idle memory ---------------------------------------------------------------
echo "bench-start: rekamd with every plugin of $plugins (${loaded:-?} loaded), no devices"
"$start" "$starts" -- "${rk[@]}" 2>>"$dir/rekamd.log"

# --- 3. the throughput model -------------------------------------------------------------------
python3 "$top_srcdir/tests/bench/station-throughput.py"
