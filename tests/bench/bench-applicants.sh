#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# tests/bench/bench-applicants.sh - applicants per second through all ten
# SOP steps on the whole simulated station with its simulators at full
# speed (rekam-sim-station --time-scale 0: no shutter, no scan, no capture
# time), driven with rekamctl as the desks would: Submit, Receive, Verify,
# Forward, Record (every item: portrait, three slaps, irises, signature,
# three documents), Upload (until the server's print_ready), OpenPrint,
# Issue (stage, chip, print), HandOver, Collect. The baseline, measured in
# the same run: as many `rekamctl status` calls as the ten steps make
# rekamctl calls, the floor of driving the station from a shell (a process,
# a bus connection and one round trip each). Needs what the station needs
# for its card reader (root for pcscd; it takes the pcscd lock).
#
#   bench-applicants.sh [APPLICANTS]      default 10
set -u
n=${1:-10}
top_builddir=${top_builddir:-$(cd "$(dirname "$0")/../.." && pwd)}
STATION=$top_builddir/simulators/rekam-sim-station
REKAMCTL=$top_builddir/client/rekamctl
export REKAM_BUILDDIR=$top_builddir
export TMPDIR=${TMPDIR:-/tmp}
dir=$(mktemp -d "$TMPDIR/rekam-bench-applicants.XXXXXX")
station_pid=

cleanup() {
	[ -n "$station_pid" ] && kill -TERM "$station_pid" 2>/dev/null && wait "$station_pid"
	rm -rf "$dir"
}
trap cleanup EXIT

"$STATION" --time-scale 0 --seed 5 -d "$dir/station" >"$dir/out" 2>"$dir/err" &
station_pid=$!
for _ in $(seq 1800); do grep -q '^# try:' "$dir/out" 2>/dev/null && break; sleep 0.1; done
grep -q '^# try:' "$dir/out" || { cat "$dir/err" >&2; echo "the station did not come up" >&2; exit 1; }
if grep -q 'no card reader' "$dir/err"; then
	echo "bench-applicants: the station has no card reader: $(sed -n 's/^.*no card reader: //p' "$dir/err")"
	exit 0
fi
eval "$(grep '^REKAM_[A-Z_]*=' "$dir/out")"
A="--address=$REKAM_BUS_ADDRESS"
ctl() { "$REKAMCTL" "$A" "$@"; }
sed -i 's/^\[station\]$/[station]\noffice-hours = 00:00-23:59/' "$dir/station/rekamd.conf"
kill -HUP "$REKAM_REKAMD_PID"
for _ in $(seq 100); do ctl status | grep -q '00:00-23:59' && break; sleep 0.1; done
ctl cards add K-0001 $((n + 5)) >/dev/null

sim() { local var="REKAM_${1}_CONTROL"; printf '%s\n' "$2" | socat -t 5 - "UNIX-CONNECT:${!var}"; }
now() { date +%s.%N; }
calls=0
state() { ctl --json enroll show "$1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["State"])'; }

declare -A spent=()
step() { # step NAME COMMAND...: run it, add its wall time to spent[NAME]
	local name=$1 t0 rc
	shift
	t0=$(now)
	"$@"
	rc=$?
	spent[$name]=$(awk -v a="${spent[$name]:-0}" -v b="$t0" -v c="$(now)" 'BEGIN { print a + c - b }')
	return $rc
}
print_ready() { while calls=$((calls + 1)) && [ "$(state "$1")" != print_ready ]; do sleep 0.02; done; }

applicant() { # the ten steps of applicant $1; the number of rekamctl calls in calls
	local k=$1 nik id token
	sim BIOMETRIC "seed $((1000 + k))" >/dev/null
	nik=630501170391$(printf %04d $((k + 1)))
	step 1-submit ctl enroll submit --nik="$nik" --name="AHMAD FAUZI" --sex=male \
		--birth-place=RANTAU --birth-date=1991-03-17 --religion=islam \
		--marital-status=married --street="JL. A. YANI 5" --rt=001 --rw=002 \
		--village="RANTAU KIWA" --district="TAPIN UTARA" >"$dir/submit.out"
	id=$(sed -n 's/^Enrollment \([0-9]*\): submitted.*/\1/p' "$dir/submit.out")
	[ -n "$id" ] || return 1
	step 2-receive ctl enroll receive "$id" --have=f102,family-card,diploma >/dev/null &&
		step 3-verify ctl enroll verify "$id" >/dev/null &&
		step 4-forward ctl enroll forward "$id" >/dev/null &&
		step 5-record ctl enroll record "$id" >/dev/null &&
		step 6-upload ctl enroll upload "$id" >/dev/null || return 1
	calls=$((calls + 6))
	step 6-print-ready print_ready "$id"
	step 7-open-print ctl enroll open-print "$id" "$nik" >/dev/null &&
		step 8-issue ctl enroll issue "$id" >/dev/null || return 1
	token=$(ctl enroll handover "$id" | sed -n 's/^Pickup token: //p')
	step 10-collect ctl enroll collect "$id" "$token" >/dev/null || return 1
	calls=$((calls + 4))
}

applicant 0 || { echo "bench-applicants: the warm-up applicant failed" >&2; exit 1; }
calls=0
spent=()
t0=$(now)
for k in $(seq "$n"); do
	applicant "$k" || { echo "bench-applicants: applicant $k failed" >&2; exit 1; }
done
t1=$(now)
t2=$(now)
for _ in $(seq "$calls"); do ctl status >/dev/null; done
t3=$(now)
awk -v n="$n" -v c="$calls" -v a="$t0" -v b="$t1" -v d="$t2" -v e="$t3" 'BEGIN {
	s = b - a; f = e - d
	printf "bench-applicants: %d applicants through the ten steps, --time-scale 0\n", n
	printf "  all ten steps          %8.1f ms per applicant  %6.2f applicants/s\n", s * 1000 / n, n / s
	printf "  %d rekamctl status     %8.1f ms per applicant  (%d calls, the floor)\n", c / n, f * 1000 / n, c
	printf "  ten steps / floor      %8.2f\n", s / f
}'
echo "  where the time goes (ms per applicant, wall time of the rekamctl call):"
for k in $(printf '%s\n' "${!spent[@]}" | sort -n); do
	awk -v k="$k" -v v="${spent[$k]}" -v n="$n" 'BEGIN { printf "    %-16s %8.1f\n", k, v * 1000 / n }'
done
