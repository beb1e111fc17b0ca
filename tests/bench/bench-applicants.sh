#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# tests/bench/bench-applicants.sh - applicants per second through all ten
# SOP steps on the whole simulated station with its simulators at full
# speed (rekam-sim-station --time-scale 0: no shutter, no scan, no capture
# time), driven with rekamctl as the desks would: Submit, Receive, Verify,
# Forward, Record (every item: portrait, three slaps, irises, signature,
# three documents), Upload (until the server's print_ready), OpenPrint,
# Issue (stage, chip, print), HandOver, Collect.
#
# Each round takes APPLICANTS applicants through two ways, in the same run:
#
#   - sequential: one applicant through all ten steps before the next;
#   - pipelined: every desk works at once, as at a real station (front
#     office: steps 1-4; recording: 5 and the upload; the wait for the
#     server's print_ready; printing: 7-8; hand-over: 9-10), each desk
#     taking the next applicant as soon as it is free, with at most
#     IN-FLIGHT applicants between Submit and Collect.
#
# It reports the median applicants/s of each way over the rounds and their
# ratio, the median time from Submit to Collect of a pipelined applicant,
# where a sequential applicant's time goes, and a baseline: as many
# `rekamctl status` calls as the sequential applicants made rekamctl calls
# (the floor of driving the station from a shell: a process, a bus
# connection and a round trip each). Needs what the station needs for its
# card reader (root for pcscd; it takes the pcscd lock).
#
#   bench-applicants.sh [APPLICANTS [ROUNDS [IN-FLIGHT]]]   default 10 3 4
set -u
n=${1:-10}
rounds=${2:-3}
inflight=${3:-4}
for v in "$n" "$rounds" "$inflight"; do
	case $v in
	'' | *[!0-9]* | 0) echo "usage: bench-applicants.sh [APPLICANTS [ROUNDS [IN-FLIGHT]]] (numbers from 1)" >&2; exit 2 ;;
	esac
done
top_builddir=${top_builddir:-$(cd "$(dirname "$0")/../.." && pwd)}
STATION=$top_builddir/simulators/rekam-sim-station
REKAMCTL=$top_builddir/client/rekamctl
export REKAM_BUILDDIR=$top_builddir
export TMPDIR=${TMPDIR:-/tmp}
dir=$(mktemp -d "$TMPDIR/rekam-bench-applicants.XXXXXX")
station_pid=
keep=

cleanup() {
	[ -n "$station_pid" ] && kill -TERM "$station_pid" 2>/dev/null && wait "$station_pid"
	if [ -n "$keep" ]; then
		echo "bench-applicants: the station's logs are in $dir/station" >&2
	else
		rm -rf "$dir"
	fi
}
fail() { echo "bench-applicants: $*" >&2; keep=1; exit 1; }
trap cleanup EXIT

"$STATION" --time-scale 0 --seed 5 --lock-wait=900 -d "$dir/station" >"$dir/out" 2>"$dir/err" &
station_pid=$!
for _ in $(seq 12000); do grep -q '^# try:' "$dir/out" 2>/dev/null && break; sleep 0.1; done
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
ctl cards add K-0001 $(((2 * rounds * n + 1) + 5)) >/dev/null

sim() { local var="REKAM_${1}_CONTROL"; printf '%s\n' "$2" | socat -t 5 - "UNIX-CONNECT:${!var}"; }
now() { date +%s.%N; }
calls=0
state() { ctl enroll show "$1" | sed -n 's/^State  *//p'; }

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

# Applicant number $1 (unique in the run: its NIK and its fingerprints).
nik_of() { echo "630501170391$(printf %04d $(($1 + 1)))"; }

# The desks' steps, each for one applicant; the number of rekamctl calls in calls.
front() { # front K: steps 1-4; the enrollment's id in fid
	local k=$1 nik id
	fid=
	nik=$(nik_of "$k")
	step 1-submit ctl enroll submit --nik="$nik" --name="AHMAD FAUZI" --sex=male \
		--birth-place=RANTAU --birth-date=1991-03-17 --religion=islam \
		--marital-status=married --street="JL. A. YANI 5" --rt=001 --rw=002 \
		--village="RANTAU KIWA" --district="TAPIN UTARA" >"$dir/submit.$k" || return 1
	id=$(sed -n 's/^Enrollment \([0-9]*\): submitted.*/\1/p' "$dir/submit.$k")
	[ -n "$id" ] || return 1
	step 2-receive ctl enroll receive "$id" --have=f102,family-card,diploma >/dev/null &&
		step 3-verify ctl enroll verify "$id" >/dev/null &&
		step 4-forward ctl enroll forward "$id" >/dev/null || return 1
	calls=$((calls + 4))
	fid=$id
}
record() { # record K ID: step 5 with applicant K's fingerprints, and the upload
	sim BIOMETRIC "seed $((1000 + $1))" >/dev/null
	step 5-record ctl enroll record "$2" >/dev/null &&
		step 6-upload ctl enroll upload "$2" >/dev/null || return 1
	calls=$((calls + 2))
}
wait_ready() { step 6-print-ready print_ready "$1"; }
print_card() { # print_card K ID: steps 7-8
	step 7-open-print ctl enroll open-print "$2" "$(nik_of "$1")" >/dev/null &&
		step 8-issue ctl enroll issue "$2" >/dev/null || return 1
	calls=$((calls + 2))
}
hand_over() { # hand_over ID: steps 9-10
	local token
	token=$(ctl enroll handover "$1" | sed -n 's/^Pickup token: //p')
	step 10-collect ctl enroll collect "$1" "$token" >/dev/null || return 1
	calls=$((calls + 2))
}

applicant() { # the ten steps of applicant $1, one after another
	front "$1" && record "$1" "$fid" && wait_ready "$fid" && print_card "$1" "$fid" &&
		hand_over "$fid"
}

# pipelined FIRST COUNT: applicants FIRST .. FIRST+COUNT-1, a process per desk,
# joined by FIFOs; tokens bound the applicants in flight. Each applicant's
# Submit and Collect times go to $dir/lat.
pipelined() {
	local first=$1 count=$2 q=$dir/q tok k desks=()
	rm -rf "$q"
	mkdir "$q"
	mkfifo "$q/rec" "$q/ready" "$q/print" "$q/hand" "$q/tok"
	exec {tok}<>"$q/tok"
	for _ in $(seq "$inflight"); do echo >&"$tok"; done
	( # front office: steps 1-4
		exec >"$q/rec"
		for k in $(seq "$first" $((first + count - 1))); do
			read -r -t 300 -u "$tok" || { echo "front: no applicant came back" >>"$q/failed"; exit 1; }
			t=$(now)
			front "$k" || { echo "front: applicant $k" >>"$q/failed"; exit 1; }
			echo "$k $fid $t"
		done
	) &
	desks+=($!)
	( # recording: step 5 and the upload
		exec >"$q/ready"
		while read -r k id t; do
			record "$k" "$id" || { echo "record: applicant $k" >>"$q/failed"; exit 1; }
			echo "$k $id $t"
		done <"$q/rec"
	) &
	desks+=($!)
	( # the central server's matching (any number at once; one watcher here)
		exec >"$q/print"
		while read -r k id t; do
			wait_ready "$id" || { echo "print_ready: applicant $k" >>"$q/failed"; exit 1; }
			echo "$k $id $t"
		done <"$q/ready"
	) &
	desks+=($!)
	( # printing: steps 7-8
		exec >"$q/hand"
		while read -r k id t; do
			print_card "$k" "$id" || { echo "issue: applicant $k" >>"$q/failed"; exit 1; }
			echo "$k $id $t"
		done <"$q/print"
	) &
	desks+=($!)
	( # hand-over: steps 9-10, and the applicant's place goes back
		while read -r k id t; do
			hand_over "$id" || { echo "hand-over: applicant $k" >>"$q/failed"; exit 1; }
			echo "$t $(now)" >>"$dir/lat"
			echo >&"$tok"
		done <"$q/hand"
	) &
	desks+=($!)
	wait "${desks[@]}"
	exec {tok}>&-
	[ ! -e "$q/failed" ] || { cat "$q/failed" >&2; return 1; }
}

applicant 0 || fail "the warm-up applicant failed"
calls=0
spent=()
seq_rates=() pipe_rates=()
: >"$dir/lat"
k=1
for r in $(seq "$rounds"); do
	t0=$(now)
	for _ in $(seq "$n"); do
		applicant "$k" || fail "applicant $k failed"
		k=$((k + 1))
	done
	t1=$(now)
	seq_rates+=("$(awk -v n="$n" -v a="$t0" -v b="$t1" 'BEGIN { print n / (b - a) }')")
	t0=$(now)
	pipelined "$k" "$n" || fail "a pipelined applicant failed"
	t1=$(now)
	k=$((k + n))
	pipe_rates+=("$(awk -v n="$n" -v a="$t0" -v b="$t1" 'BEGIN { print n / (b - a) }')")
	echo "  round $r: sequential ${seq_rates[-1]} applicants/s, pipelined ${pipe_rates[-1]} applicants/s"
done
t2=$(now)
for _ in $(seq "$calls"); do ctl status >/dev/null; done
t3=$(now)
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
ms=$(median "${seq_rates[@]}")
mp=$(median "${pipe_rates[@]}")
ml=$(median $(awk '{ print ($2 - $1) * 1000 }' "$dir/lat"))
ns=$((n * rounds))
awk -v n="$n" -v r="$rounds" -v f="$inflight" -v ms="$ms" -v mp="$mp" -v ml="$ml" -v c="$calls" \
		-v ns="$ns" -v d="$t2" -v e="$t3" 'BEGIN {
	printf "bench-applicants: %d rounds of %d applicants each way through the ten steps, --time-scale 0\n", r, n
	printf "  sequential             %8.1f ms per applicant  %6.2f applicants/s (median of rounds)\n", 1000 / ms, ms
	printf "  pipelined, %d in flight %8.1f ms per applicant  %6.2f applicants/s (median of rounds)\n", f, 1000 / mp, mp
	printf "  pipelined / sequential %8.2f\n", mp / ms
	printf "  pipelined, Submit to Collect of one applicant: %.1f ms (median)\n", ml
	printf "  %d rekamctl status     %8.1f ms per applicant  (%d calls, the floor)\n", c / ns, (e - d) * 1000 / ns, c
	printf "  sequential / floor     %8.2f\n", (1000 / ms) / ((e - d) * 1000 / ns)
}'
echo "  where a sequential applicant's time goes (ms per applicant, wall time of the rekamctl call):"
for s in $(printf '%s\n' "${!spent[@]}" | sort -n); do
	awk -v s="$s" -v v="${spent[$s]}" -v n="$ns" 'BEGIN { printf "    %-16s %8.1f\n", s, v * 1000 / n }'
done
