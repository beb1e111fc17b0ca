#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# scripts/demo-station.sh - the steps of "./quickstart demo", run inside a
# simulated station: rekam-sim-station -- sh scripts/demo-station.sh OUTDIR.
# It uses what rekam-sim-station exports (REKAM_BUS_ADDRESS, REKAM_STATE_DIR,
# REKAM_STATION_DIR, REKAMCTL) and shows, one heading per step: the station,
# its devices, the signature pad's self-test, a signature capture, and where
# the signature is (saved with rekamctl artifact save to OUTDIR/signature.png
# and OUTDIR/signature-strokes.json: rekamd itself keeps it sealed). With REKAM_DEMO_KEEP=1 the station stays up
# afterwards until Ctrl-C.
#
# Later work extends this demo to a full applicant through the ten SOP steps
# (submission to hand-over); keep each step a heading and a command here.
set -eu

out=${1:?usage: demo-station.sh OUTDIR}
: "${REKAM_BUS_ADDRESS:?run this inside rekam-sim-station}"
REKAMCTL=${REKAMCTL:-rekamctl}
n=0

step() { # step TITLE COMMAND-ARGS: a heading and the command line shown
	n=$((n + 1))
	printf '\n--- %d. %s\n$ rekamctl --address "$addr" %s\n' "$n" "$1" "$2"
}

ctl() {
	"$REKAMCTL" --address "$REKAM_BUS_ADDRESS" "$@"
}

# The handle of the artifact of KIND in a capture's table (column 5).
handle_of() { # handle_of KIND FILE
	awk -v kind="$1" '$1 == kind { print $5; exit }' "$2"
}

printf 'A simulated station is up: rekamd with every simulated device on a private bus.\n'
printf "  addr='%s'\n" "$REKAM_BUS_ADDRESS"

step "The station" "status"
ctl status

step "Its devices" "devices"
ctl devices

step "The signature pad tests itself" "selftest sigpad0"
ctl selftest sigpad0

step "The applicant signs on the pad (progress on stderr)" "capture sigpad0"
ctl capture sigpad0 >"$REKAM_STATION_DIR/capture.txt"
cat "$REKAM_STATION_DIR/capture.txt"

image=$(handle_of signature-image "$REKAM_STATION_DIR/capture.txt")
strokes=$(handle_of signature-strokes "$REKAM_STATION_DIR/capture.txt")
if [ -z "$image" ] || [ -z "$strokes" ]; then
	echo "demo-station.sh: the capture did not list both artifacts" >&2
	exit 1
fi
mkdir -p "$out"
step "Where the signature is: rekamd keeps it sealed (AES-256-GCM); save copies" \
	"artifact save $image $out/signature.png"
ctl artifact save "$image" "$out/signature.png"
ctl artifact save "$strokes" "$out/signature-strokes.json"

printf 'The station dir holds only sealed files ($REKAM_STATE_DIR/artifacts/HANDLE); the copies:\n'
printf '  signature image:   %s\n' "$out/signature.png"
printf '  signature strokes: %s\n' "$out/signature-strokes.json"

printf '\nLook further while the station runs (./quickstart demo --keep keeps it up):\n'
printf "  addr='%s'\n" "$REKAM_BUS_ADDRESS"
printf '  %s --address "$addr" --json devices sigpad0\n' "$REKAMCTL"
printf '  printf "pen-timeout\\n" | socat - UNIX-CONNECT:%s\n' "${REKAM_SIGPAD_CONTROL:-PAD.control}"
printf '  busctl --address="$addr" tree id.rekam.Station1\n'

if [ "${REKAM_DEMO_KEEP:-0}" = 1 ]; then
	printf '\nThe demo station keeps running; press Ctrl-C to stop it.\n'
	trap 'echo; exit 0' INT TERM
	while :; do
		sleep 1
	done
fi
exit 0
