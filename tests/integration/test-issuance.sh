#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# tests/integration/test-issuance.sh - the issuance pipeline end to end: three
# applicants through the ten SOP steps on the whole simulated station
# (rekam-sim-station: every device through its real plugin, pcscd with vpcd,
# the central server over mutual TLS), driven with rekamctl as the desks
# would. One is a duplicate (the central server finds the fingerprints of an
# earlier applicant: returned at step 6); one has its first card spoiled by a
# printer jam and is issued on the next card after the jam is cleared. Every
# wrong call on the way gets its named error; the inventory counts add up;
# the printer's output holds the cards. Needs what the station needs for its
# card reader (root for pcscd); skips, saying why, without it.
. "${REKAM_TEST_LIB:-$(dirname "$0")/lib.sh}"

require_tools socat python3
. "$(dirname "$0")/station.sh"
start_station --seed 7

like "$(ctl "$A" status)" "00:00-23:59" "the simulated station takes applications at any hour"

prop() { # prop ID PROPERTY: one property of an enrollment (rekamctl --json)
	ctl "$A" --json enroll show "$1" |
		python3 -c 'import json,sys; v=json.load(sys.stdin)[sys.argv[1]]; print(v)' "$2"
}
state_is() { [ "$(prop "$1" State)" = "$2" ]; }
counts() { ctl "$A" cards | tr -s ' ' | tr '\n' ' '; }

submit() { # submit NIK NAME SEX BIRTH-DATE: steps 1-4; the id in ID
	run_ctl "$A" enroll submit --nik="$1" --name="$2" --sex="$3" --birth-place=RANTAU \
		--birth-date="$4" --religion=islam --marital-status=married \
		--street="JL. JENDERAL SUDIRMAN NO. 5" --rt=001 --rw=002 --village="RANTAU KIWA" \
		--district="TAPIN UTARA"
	ID=$(printf '%s\n' "$OUT" | sed -n 's/^Enrollment \([0-9]*\): submitted.*/\1/p')
	[ -n "$ID" ] || { diag "$ERR"; return 1; }
	ctl "$A" enroll receive "$ID" --have=f102,family-card,diploma >/dev/null &&
		ctl "$A" enroll verify "$ID" >/dev/null && ctl "$A" enroll forward "$ID" >/dev/null
}

ctl "$A" cards add K-0001 4 >/dev/null
is "$(counts)" "blank 4 issued 0 spoiled 0 " "four blank cards registered"

# --- applicant 1: the ten steps ---------------------------------------------------------
sim BIOMETRIC "seed 101" >/dev/null
NIK1=6305011703910001
submit "$NIK1" "AHMAD FAUZI" male 1991-03-17
is "$?" 0 "applicant 1: steps 1-4"
E1=$ID
run_ctl "$A" enroll upload "$E1"
like "$ERR" "WrongState: Enrollment $E1 is forwarded; Upload needs it recorded" \
	"Upload before Record: WrongState, nothing changes"
is "$(prop "$E1" State)" forwarded "... still forwarded"
run_ctl "$A" enroll record "$E1"
is "$RC" 0 "applicant 1: Record takes every item"
for item in portrait fingerprint-left-slap fingerprint-right-slap fingerprint-thumbs iris \
	signature document-f102 document-kk document-ijazah; do
	like "$OUT" "\] $item: $item on [a-z]+0$" "... $item, with progress"
done
like "$OUT" "attempt 1: average quality [0-9]+ \(threshold 40\)" "... the slaps' quality"
like "$OUT" "attempt 1: average quality [0-9]+ \(threshold 60\)" "... the irises' quality"
like "$OUT" "^Enrollment $E1: recorded \(step 5\)$" "... recorded"
n=$(ctl "$A" --json enroll show "$E1" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["Captures"]))')
ok "$([ "$n" -ge 20 ]; echo $?)" "... $n artifacts linked to the enrollment"
run_ctl "$A" enroll capture "$E1" portrait
like "$ERR" "WrongState: Enrollment $E1 is recorded; Capture needs it forwarded" \
	"a retake after recording: WrongState"
"$REKAMCTL" "$A" --json monitor >"$REKAM_TMP/monitor.out" 2>&1 &
MONITOR=$!
wait_for 10 grep -q '"present"' "$REKAM_TMP/monitor.out"
run_ctl "$A" enroll upload "$E1"
[ "$RC" = 0 ] || diag "upload: $ERR"
like "$OUT" "^Packet: [0-9a-f-]{36}$" "applicant 1: Upload queues a packet"
like "$OUT" "^Enrollment $E1: uploaded \(step 6\)$" "... uploaded"
ok "$(wait_for 60 state_is "$E1" print_ready; echo $?)" "... the server says print_ready"
kill "$MONITOR" 2>/dev/null
wait "$MONITOR" 2>/dev/null
sent=$(python3 - "$REKAM_TMP/monitor.out" "$E1" <<'EOF'
import json, sys
last = None
for line in open(sys.argv[1]):
    try:
        ev = json.loads(line)
    except ValueError:
        continue
    d = ev.get("data") or {}
    if ev.get("object") == sys.argv[2] and ev.get("event") == "progress" and d.get("stage") == "upload":
        last = d
print("%.2f %s" % (last["fraction"], last["message"]) if last else "none")
EOF
)
like "$sent" "^1\.00 sending the packet: ([0-9]+) of \1 kB$" \
	"... Progress followed the packet on the wire to its last byte ($sent)"
is "$(prop "$E1" RemoteStatus)" print_ready "... RemoteStatus print_ready"
run_ctl "$A" enroll open-print "$E1" 6305011703910002
like "$ERR" "Mismatch: The NIK confirmed \(6305011703910002\) is not enrollment $E1's" \
	"OpenPrint with another NIK: Mismatch"
is "$(prop "$E1" State)" print_ready "... still print_ready"
run_ctl "$A" enroll open-print "$E1" "$NIK1"
like "$OUT" "^Enrollment $E1: printing \(step 7\)$" "OpenPrint with the NIK: printing"
run_ctl "$A" enroll issue "$E1" --decision=spoil --reason=test
like "$ERR" "InvalidArguments: No issuance of enrollment $E1 was interrupted" \
	"a decision with nothing to decide: InvalidArguments"
run_ctl "$A" enroll issue "$E1"
is "$RC" 0 "applicant 1: Issue"
like "$OUT" "stage: card K-0001 to the encoder" "... stages K-0001"
like "$OUT" "encode: writing the chip of card K-0001" "... writes its chip"
like "$OUT" "print: printing card K-0001" "... prints it"
like "$OUT" "^Card K-0001 issued \(chip [0-9A-F]{8,20}\)$" "... issued, with the chip's UID"
is "$(prop "$E1" ChipUid)" "$(printf '%s\n' "$OUT" | sed -n 's/^Card K-0001 issued (chip \(.*\))$/\1/p')" \
	"... ChipUid on D-Bus"
run_ctl "$A" card preview "$E1" -o "$REKAM_TMP/front.png"
like "$OUT" "^back:  $REKAM_TMP/back.png \([0-9]+ bytes\)$" "card preview: the front and the back"
check "... the preview's front is what the printer received, byte for byte" \
	cmp "$REKAM_TMP/front.png" "$REKAM_PRINTER_OUTPUT/job-0001-front.png"
check "... and the back" cmp "$REKAM_TMP/back.png" "$REKAM_PRINTER_OUTPUT/job-0001-back.png"
run_ctl "$A" enroll collect "$E1" ABCDEFGH
like "$ERR" "WrongState: Enrollment $E1 is issued; Collect needs it at_handover" \
	"Collect before HandOver: WrongState"
run_ctl "$A" enroll handover "$E1"
TOKEN=$(printf '%s\n' "$OUT" | sed -n 's/^Pickup token: //p')
like "$TOKEN" "^[A-HJKMNP-Z2-9]{8}$" "HandOver gives an 8-character pickup token"
run_ctl "$A" enroll collect "$E1" WRONGTOK
like "$ERR" "Mismatch: The pickup token does not match" "Collect with another token: Mismatch"
run_ctl "$A" enroll collect "$E1" "$TOKEN"
like "$OUT" "^Enrollment $E1: collected \(step 10\)$" "Collect with the token: collected"
steps=$(ctl "$A" --json enroll show "$E1" | python3 -c '
import json, sys
print(" ".join("%d:%s" % (s[0], s[1]) for s in json.load(sys.stdin)["StepTimes"]))')
is "$steps" "1:submitted 2:received 3:verified 4:forwarded 5:recorded 6:uploaded 6:print_ready 7:printing 8:issued 9:at_handover 10:collected" \
	"applicant 1: a step record for each of the ten steps"
is "$(counts)" "blank 3 issued 1 spoiled 0 " "the inventory: one card issued"

# --- applicant 2: a jam spoils the first card ---------------------------------------------
sim BIOMETRIC "seed 202" >/dev/null
NIK2=6305015505930002
submit "$NIK2" "NURUL HIDAYAH" female 1993-05-15
ctl "$A" enroll record "$ID" >/dev/null
is "$?" 0 "applicant 2: recorded"
E2=$ID
ctl "$A" enroll upload "$E2" >/dev/null
ok "$(wait_for 60 state_is "$E2" print_ready; echo $?)" "... print_ready"
ctl "$A" enroll open-print "$E2" "$NIK2" >/dev/null
like "$(sim PRINTER hopper-empty)" "^OK" "the printer's hopper is empty"
run_ctl "$A" enroll issue "$E2"
like "$ERR" "NoBlankCards: The printer could not stage a card: .*(hopper|empty)" \
	"Issue with the hopper empty: NoBlankCards"
is "$(counts)" "blank 3 issued 1 spoiled 0 " "... no card taken or spoiled"
is "$(prop "$E2" CardSerial)" "" "... none held for the enrollment"
like "$(sim PRINTER "hopper 100")" "^OK" "the hopper is filled"
like "$(sim PRINTER jam)" "^OK" "the printer will jam"
run_ctl "$A" enroll issue "$E2"
ok "$([ "$RC" != 0 ]; echo $?)" "applicant 2: Issue fails on the jam"
like "$OUT" "spoiled: card K-0002 spoiled: printing failed" "... card K-0002 spoiled, saying why"
like "$ERR" "DeviceError: The printer could not stage a card" \
	"... the jammed printer takes no next card"
is "$(prop "$E2" State)" printing "... the enrollment stays printing"
is "$(prop "$E2" CardsSpoiled)" 1 "... CardsSpoiled 1"
is "$(prop "$E2" IssuePhase)" "" "... nothing under way"
is "$(counts)" "blank 2 issued 1 spoiled 1 " "... the inventory: K-0002 spoiled"
like "$(sim PRINTER clear)" "^OK" "the operator clears the jam"
ok "$(wait_for 20 sh -c "'$REKAMCTL' '$A' devices printer0 | grep -q '^State: *idle'"; echo $?)" \
	"... the printer is idle again"
run_ctl "$A" enroll issue "$E2"
like "$OUT" "^Card K-0003 issued " "applicant 2: issued on the next card, K-0003"
TOKEN=$(ctl "$A" enroll handover "$E2" | sed -n 's/^Pickup token: //p')
ctl "$A" enroll collect "$E2" "$TOKEN" >/dev/null
is "$(prop "$E2" State)" collected "... handed over and collected"

# --- applicant 3: the same fingerprints as applicant 1 ------------------------------------
sim BIOMETRIC "seed 101" >/dev/null
NIK3=6305012208890003
submit "$NIK3" "RUDI HARTONO" male 1989-08-22
ctl "$A" enroll record "$ID" >/dev/null
is "$?" 0 "applicant 3: recorded"
E3=$ID
ctl "$A" enroll upload "$E3" >/dev/null
ok "$(wait_for 60 state_is "$E3" returned; echo $?)" "applicant 3: returned at step 6"
like "$(prop "$E3" ReturnReason)" "^duplicate \(data ganda\): " "... as a duplicate (data ganda)"
is "$(prop "$E3" Step)" 6 "... at step 6"
is "$(prop "$E3" RemoteStatus)" duplicate "... RemoteStatus duplicate"

# --- the end ----------------------------------------------------------------------------
is "$(counts)" "blank 1 issued 2 spoiled 1 " "the inventory: 2 issued, 1 spoiled, 1 blank"
n=$(ls "$REKAM_PRINTER_OUTPUT" | grep -c -- '-front\.png$')
is "$n" 3 "the printer received three fronts: two cards and the one that jammed"
log=$(cat "$DIR/rekamd.log")
unlike "$log" "^<[0-3]>" "rekamd logged no error"

stop_station
is "$STATION_STATUS" 0 "the station stops cleanly"
done_testing
