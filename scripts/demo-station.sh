#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# scripts/demo-station.sh - the steps of "./quickstart demo", run inside a
# simulated station: rekam-sim-station -- sh scripts/demo-station.sh OUTDIR.
# It uses what rekam-sim-station exports (REKAM_BUS_ADDRESS,
# REKAM_STATION_DIR, REKAM_PRINTER_OUTPUT, REKAMCTL) and takes one sample
# applicant from Kabupaten Tapin (region 6305) through the ten SOP steps with
# rekamctl, one heading per step: submission, the front office's checklist,
# verification, forwarding, recording on every device, the upload to the
# (simulated) central server, opening the print job, issuing the card
# (encode, print, out), hand-over and collection. It then saves the card's
# faces (the printer's output) and the signature to OUTDIR. With
# REKAM_DEMO_KEEP=1 the station stays up afterwards until Ctrl-C.
set -eu

out=${1:?usage: demo-station.sh OUTDIR}
: "${REKAM_BUS_ADDRESS:?run this inside rekam-sim-station}"
REKAMCTL=${REKAMCTL:-rekamctl}
n=0
NIK=6305014408930001

step() { # step TITLE COMMAND-ARGS: a heading and the command line shown
	n=$((n + 1))
	printf '\n--- %s\n$ rekamctl %s\n' "$1" "$2"
}

ctl() {
	"$REKAMCTL" --address "$REKAM_BUS_ADDRESS" "$@"
}

state() { # the enrollment's state
	ctl --json enroll show 1 | sed -n 's/.*"State": *"\([a-z_]*\)".*/\1/p'
}

printf 'A simulated station is up: rekamd with every simulated device on a private bus.\n'
printf "  addr='%s'\n" "$REKAM_BUS_ADDRESS"

step "The station and its devices" "devices"
ctl devices

step "The technician registers a batch of blank cards" "cards add KTP-0000101 10"
ctl cards add KTP-0000101 10

step "Step 1: the front office submits the application (F1.02)" \
	"enroll submit --nik=$NIK --name=\"NOR HIDAYATI\" ..."
ctl enroll submit --nik="$NIK" --name="NOR HIDAYATI" --sex=female --birth-place=RANTAU \
	--birth-date=1993-08-04 --religion=islam --marital-status=married \
	--occupation="MENGURUS RUMAH TANGGA" --street="JL. A. YANI KM. 1 NO. 27" --rt=004 \
	--rw=002 --village="RANGDA MALINGKUNG" --district="TAPIN UTARA"

step "Step 2: the front office checks the requirements" \
	"enroll receive 1 --have=f102,family-card,diploma"
ctl enroll receive 1 --have=f102,family-card,diploma

step "Step 3: the verifier approves" "enroll verify 1"
ctl enroll verify 1

step "Step 4: the analyst forwards to recording" "enroll forward 1"
ctl enroll forward 1

step "Step 5: the operator records portrait, fingerprints, irises, signature, documents" \
	"enroll record 1"
ctl enroll record 1

step "Step 6: the packet goes to the central server" "enroll upload 1"
ctl enroll upload 1
printf 'Waiting for the central server (duplicate check)...\n'
i=0
while [ "$(state)" = uploaded ] && [ $i -lt 600 ]; do
	sleep 0.2
	i=$((i + 1))
done
ctl enroll show 1 | sed -n '/^State\|^RemoteStatus/p'

step "Step 7: the operator confirms the NIK and opens the print job" "enroll open-print 1 $NIK"
ctl enroll open-print 1 "$NIK"

step "Step 8: the card is encoded, printed and put out" "enroll issue 1"
ctl enroll issue 1

step "Step 9: the hand-over desk gives the pickup token" "enroll handover 1"
ctl enroll handover 1 | tee "$REKAM_STATION_DIR/handover.txt"
token=$(sed -n 's/^Pickup token: //p' "$REKAM_STATION_DIR/handover.txt")

step "Step 10: the applicant collects the card" "enroll collect 1 $token"
ctl enroll collect 1 "$token"

step "The enrollment, with the time of each step against the SOP standard" "enroll show 1"
ctl enroll show 1 | sed -n '/^Steps:/,$p'

step "The card inventory" "cards"
ctl cards

mkdir -p "$out"
cp "$REKAM_PRINTER_OUTPUT"/job-0001-front.png "$out/card-front.png"
cp "$REKAM_PRINTER_OUTPUT"/job-0001-back.png "$out/card-back.png"
signature=$(ctl --json enroll show 1 | tr -d ' \n' |
	sed -n 's/.*\["signature","signature-image","\([^"]*\)"\].*/\1/p')
if [ -n "$signature" ]; then
	ctl artifact save "$signature" "$out/signature.png" >/dev/null
fi

printf '\nThe card, as the simulated printer received it:\n'
printf '  front: %s\n  back:  %s\n' "$out/card-front.png" "$out/card-back.png"
[ -z "$signature" ] || printf '  the signature as recorded: %s\n' "$out/signature.png"
printf "The printer's own output directory (while the station runs): %s\n" "$REKAM_PRINTER_OUTPUT"
printf 'rekamd keeps every recorded artifact sealed (AES-256-GCM) in %s/artifacts.\n' \
	"${REKAM_STATE_DIR:-the state directory}"

printf '\nLook further while the station runs (./quickstart demo --keep keeps it up):\n'
printf "  addr='%s'\n" "$REKAM_BUS_ADDRESS"
printf '  %s --address "$addr" enroll show 1\n' "$REKAMCTL"
printf '  %s --address "$addr" audit\n' "$REKAMCTL"
printf '  busctl --address="$addr" tree id.rekam.Station1\n'

if [ "${REKAM_DEMO_KEEP:-0}" = 1 ]; then
	printf '\nThe demo station keeps running; press Ctrl-C to stop it.\n'
	trap 'echo; exit 0' INT TERM
	while :; do
		sleep 1
	done
fi
exit 0
