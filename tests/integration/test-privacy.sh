#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# tests/integration/test-privacy.sh - the applicant's data at rest, end to
# end on the whole simulated station (rekam-sim-station, as
# test-issuance.sh): one applicant through the ten steps. After recording
# and again after the card is issued, every file of rekamd's state
# directory (the database and its WAL, the artifacts, the outbox, any
# temporary file) is scanned: no JPEG, PNG, JPEG 2000, WSQ or ISO 19794
# image, no biometric JSON, and the applicant's NIK nowhere but in the
# database; each artifact is sealed under the enrollment's data key (RKV2).
# The issuance is reported to the central server exactly once, retried
# while the server is out of service; refused for good when the central
# office holds another card for the packet, it waits (the biometrics kept)
# until the supervisor has it sent again (ResendIssuanceReport), and is
# accepted; the hand-over is done
# before that, so the biometrics are destroyed when the report is accepted
# (the later of the two): the data key is gone, the files are gone,
# ReadArtifact fails, an artifact file put back stays unreadable, and the
# audit trail says so. Needs what the station needs (root for pcscd);
# skips, saying why, without it.
# shellcheck disable=SC2317 # functions run through wait_for and the EXIT trap
# shellcheck source=tests/integration/lib.sh
. "${REKAM_TEST_LIB:-$(dirname "$0")/lib.sh}"

require_tools socat python3
# shellcheck source=tests/integration/station.sh
. "$(dirname "$0")/station.sh"
start_station --seed 11
STATE=$DIR/state
DB=$STATE/rekam.db

prop() { # prop ID PROPERTY: one property of an enrollment (rekamctl --json)
	ctl "$A" --json enroll show "$1" |
		python3 -c 'import json,sys; v=json.load(sys.stdin)[sys.argv[1]]; print(v)' "$2"
}
prop_is() { [ "$(prop "$1" "$2")" = "$3" ]; }
handles() { # the artifact handles of enrollment $1, one per line
	ctl "$A" --json enroll show "$1" |
		python3 -c 'import json, sys
for c in json.load(sys.stdin)["Captures"]:
    print(c[2])'
}
sql() { # a read-only query of rekamd's database (it may be writing)
	python3 - "$DB" "$1" <<'EOF'
import sqlite3, sys
db = sqlite3.connect("file:%s?mode=ro" % sys.argv[1], uri=True, timeout=10)
for row in db.execute(sys.argv[2]):
    print("|".join("" if v is None else str(v) for v in row))
EOF
}

# scan NIK: every file under the state directory; prints what it finds, nothing when clean
scan() {
	python3 - "$STATE" "$1" <<'EOF'
import os, sys
state, nik = sys.argv[1], sys.argv[2].encode()
# long enough that ciphertext does not hold them by chance
magics = {
    b"\x89PNG\r\n\x1a\n": "PNG image",
    b"JFIF\x00": "JPEG (JFIF) image",
    b"Exif\x00\x00": "JPEG (Exif) image",
    b"\x00\x00\x00\x0cjP  \r\n\x87\n": "JPEG 2000 image",
    b"\xff\xa0\xff\xa8": "WSQ image",
    b"FIR\x00": "ISO 19794-4 finger image",
    b"FMR\x00": "ISO 19794-2 finger minutiae",
    b"IIR\x00": "ISO 19794-6 iris image",
    b"\"bioValue\"": "SBI JSON (bioValue)",
    b"\"qualityScore\"": "SBI JSON (qualityScore)",
    b"\"bioSubType\"": "SBI JSON (bioSubType)",
    b"\"strokes\"": "signature strokes JSON",
}
db_files = {"rekam.db", "rekam.db-wal", "rekam.db-shm"}
n = 0
for root, dirs, files in os.walk(state):
    for name in files:
        path = os.path.join(root, name)
        if os.path.islink(path) or not os.path.isfile(path):
            continue
        with open(path, "rb") as f:
            data = f.read()
        n += 1
        rel = os.path.relpath(path, state)
        for magic, what in magics.items():
            if magic in data:
                print("%s: %s at byte %d" % (rel, what, data.index(magic)))
        if nik in data and name not in db_files:
            print("%s: the NIK" % rel)
print("# %d files scanned" % n, file=sys.stderr)
EOF
}
sealed_rkv2() { # every artifact file of enrollment $1 starts with RKV2
	local h bad=0
	for h in $(handles "$1"); do
		[ "$(head -c 4 "$STATE/artifacts/$h")" = RKV2 ] || { diag "$h is not RKV2"; bad=1; }
	done
	return $bad
}

ctl "$A" cards add K-0001 2 >/dev/null

# --- record: sealed under the enrollment's key, nothing in the clear -----------------------
sim BIOMETRIC "seed 303" >/dev/null
NIK=6305014408910004
run_ctl "$A" enroll submit --nik="$NIK" --name="SITI AMINAH" --sex=female --birth-place=RANTAU \
	--birth-date=1991-08-04 --religion=islam --marital-status=married \
	--street="JL. A. YANI KM. 3" --rt=003 --rw=001 --village="RANTAU KIWA" \
	--district="TAPIN UTARA"
E=$(printf '%s\n' "$OUT" | sed -n 's/^Enrollment \([0-9]*\): submitted.*/\1/p')
ok "$([ -n "$E" ]; echo $?)" "an applicant submitted"
ctl "$A" enroll receive "$E" --have=f102,family-card,diploma >/dev/null &&
	ctl "$A" enroll verify "$E" >/dev/null && ctl "$A" enroll forward "$E" >/dev/null
is "$?" 0 "... received, verified, forwarded"
is "$(sql "SELECT count(*) FROM enrollment_keys WHERE enrollment = $E")" 0 \
	"no data key before the first capture"
run_ctl "$A" enroll record "$E"
[ "$RC" = 0 ] || diag "record: $ERR"
is "$RC" 0 "Record takes every item"
n=$(handles "$E" | wc -l)
ok "$([ "$n" -ge 20 ]; echo $?)" "... $n artifacts linked to the enrollment"
is "$(sql "SELECT length(wrapped) FROM enrollment_keys WHERE enrollment = $E")" 60 \
	"the enrollment has a data key, stored wrapped (60 bytes)"
is "$(sql "SELECT count(*) FROM artifacts WHERE key_id IS NOT $E AND handle IN
	(SELECT handle FROM enrollment_captures WHERE enrollment = $E)")" 0 \
	"every artifact of the enrollment names its key"
ok "$(sealed_rkv2 "$E"; echo $?)" "every artifact file is sealed under it (RKV2)"
found=$(scan "$NIK")
is "$found" "" "after recording: no image, biometric JSON or NIK in the clear in the state dir"

# --- upload, issue with the central server out of service -----------------------------------
run_ctl "$A" enroll upload "$E"
[ "$RC" = 0 ] || diag "upload: $ERR"
is "$RC" 0 "Upload queues the packet"
found=$(scan "$NIK")
is "$found" "" "with the packet in the outbox: nothing in the clear"
ok "$(wait_for 60 prop_is "$E" State print_ready; echo $?)" "... print_ready"
ctl "$A" enroll open-print "$E" "$NIK" >/dev/null
# every request fails (503) until reset, a kept-alive connection too
like "$(sim CENTRAL "error 503 100000")" "^OK" "the central server goes out of service"
run_ctl "$A" enroll issue "$E"
like "$OUT" "^Card K-0001 issued \(chip [0-9A-F]{8,20}\)$" "Issue: card K-0001 issued"
CHIP=$(prop "$E" ChipUid)
is "$(sql "SELECT card_serial, chip_uid FROM issuance_reports WHERE enrollment = $E")" \
	"K-0001|$CHIP" "the issuance report is queued with the card's serial and chip UID"
is "$(prop "$E" IssuanceReport)" queued "... IssuanceReport queued"
tried_twice() { [ "$(sql "SELECT attempts FROM issuance_reports WHERE enrollment = $E")" -ge 2 ]; }
ok "$(wait_for 30 tried_twice; echo $?)" "... and tried again while the server is out of service"
found=$(scan "$NIK")
is "$found" "" "after issuing: nothing in the clear (database WAL, artifacts, outbox)"
left=$(find "$STATE/outbox" -mindepth 1 -maxdepth 1 2>/dev/null)
is "$left" "" "the accepted packet has left the outbox"

# --- hand-over first: the biometrics wait for the confirmation -----------------------------
TOKEN=$(ctl "$A" enroll handover "$E" | sed -n 's/^Pickup token: //p')
ctl "$A" enroll collect "$E" "$TOKEN" >/dev/null
is "$(prop "$E" State)" collected "handed over and collected"
is "$(prop "$E" BiometricsDestroyed)" 0 \
	"... the biometrics are kept until the issuance is confirmed"
mapfile -t H < <(handles "$E")
ok "$([ "${#H[@]}" -ge 20 ] && [ -f "$STATE/artifacts/${H[0]}" ]; echo $?)" \
	"... the artifacts are still there"
cp "$STATE/artifacts/${H[0]}" "$REKAM_TMP/kept-artifact"

# --- the server is back but refuses the report: it waits for the supervisor ------------------
central_sql() { # a statement on the central simulator's database (it may be writing)
	python3 - "$DIR/central.db" "$1" <<'EOF'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1], timeout=10)
with db:
    db.execute(sys.argv[2])
EOF
}
PACKET=$(prop "$E" PacketId)
central_sql "INSERT INTO issuance VALUES ('$PACKET', 'K-9999', '0011223344556677', 0)"
ok "$?" "the central office records another card for the packet by mistake"
run_ctl "$A" enroll resend-report "$E"
like "$ERR" "WrongState: The issuance report of enrollment $E is queued, not refused" \
	"resend-report of a queued report: WrongState, nothing to resend"
like "$(sim CENTRAL reset)" "^OK" "the central server is in service again"
ok "$(wait_for 90 prop_is "$E" IssuanceReport refused; echo $?)" \
	"the server refuses the report (409, another card): IssuanceReport refused"
like "$(cat "$DIR/rekamd.log")" "the central server refused the report of card K-0001" \
	"... rekamd says so"
sleep 2
is "$(prop "$E" IssuanceReport) $(prop "$E" BiometricsDestroyed)" "refused 0" \
	"... it stays refused, and the biometrics are kept"
central_sql "DELETE FROM issuance WHERE packet_id = '$PACKET'"
ok "$?" "the central office puts its record right"
run_ctl "$A" enroll resend-report "$E"
is "$RC" 0 "the supervisor has the report sent again (rekamctl enroll resend-report)"
is "$(sql "SELECT count(*) FROM audit WHERE action = 'issuance.resend' AND enrollment = '$E'")" \
	1 "... recorded in the audit trail (issuance.resend)"
ok "$(wait_for 90 prop_is "$E" IssuanceReport accepted; echo $?)" \
	"the issuance report is accepted"
run_ctl "$A" enroll resend-report "$E"
like "$ERR" "WrongState: The issuance report of enrollment $E is accepted, not refused" \
	"resend-report of an accepted report: WrongState"

# --- the report accepted: the biometrics go -------------------------------------------------
destroyed() { [ "$(prop "$E" BiometricsDestroyed)" != 0 ]; }
ok "$(wait_for 20 destroyed; echo $?)" \
	"... then the biometrics are destroyed (BiometricsDestroyed is set)"
like "$(prop "$E" BiometricsDestroyed)" "^[1-9][0-9]{9}$" "... with the time they went"
is "$(prop "$E" Captures)" "[]" "... no capture is linked any more"
left=0
for h in "${H[@]}"; do [ -e "$STATE/artifacts/$h" ] && left=$((left + 1)); done
is "$left" 0 "... none of the ${#H[@]} artifact files is left"
is "$(sql "SELECT count(*) FROM artifacts WHERE key_id = $E")" 0 "... nor their rows"
is "$(sql "SELECT wrapped IS NULL, destroyed > 0 FROM enrollment_keys WHERE enrollment = $E")" \
	"1|1" "... the data key is destroyed (a tombstone without the key)"
run_ctl "$A" artifact save "${H[0]}" "$REKAM_TMP/out.bin"
ok "$([ "$RC" != 0 ] && [ ! -s "$REKAM_TMP/out.bin" ]; echo $?)" "ReadArtifact on one of them fails"
like "$ERR" "NotFound" "... NotFound"
cp "$REKAM_TMP/kept-artifact" "$STATE/artifacts/${H[0]}"
run_ctl "$A" artifact save "${H[0]}" "$REKAM_TMP/out.bin"
ok "$([ "$RC" != 0 ]; echo $?)" "an artifact file put back is not served either"
wrapped=$(sql "SELECT hex(wrapped) FROM enrollment_keys WHERE enrollment = $E")
python3 - "$REKAM_TMP/kept-artifact" "$wrapped" <<'EOF'
import sys
data = open(sys.argv[1], "rb").read()
sys.exit(0 if data[:4] == b"RKV2" and sys.argv[2] == "" else 1)
EOF
ok "$?" "... it is RKV2 and the key that wrapped its key exists nowhere"
rm -f "$STATE/artifacts/${H[0]}"
is "$(sql "SELECT count(*) FROM audit WHERE action = 'enrollment.biometrics-destroyed'
	AND enrollment = '$E' AND result = 'ok'")" 1 \
	"the audit trail records enrollment.biometrics-destroyed once"
run_ctl "$A" audit verify
is "$RC" 0 "... and the trail verifies"
is "$(sql "SELECT state, attempts FROM issuance_reports WHERE enrollment = $E")" \
	"accepted|1" "the report: accepted, at the first try after it was sent again"
found=$(scan "$NIK")
is "$found" "" "at the end: nothing in the clear"

log=$(cat "$DIR/rekamd.log")
like "$log" "issuance [0-9a-f-]{36}: the central server recorded card K-0001" \
	"rekamd logged the confirmation"
unlike "$(printf '%s\n' "$log" | grep -v 'the central server refused the report of card K-0001')" \
	"^<[0-3]>" "rekamd logged no error but the refused report"
like "$log" "submitted \(NIK ${NIK:0:6}\*{10}\)" "rekamd logged the submission with the region code"
unlike "$log" "$NIK" "... and never the whole NIK"

kill -TERM "$STATION_PID"
wait "$STATION_PID"
rc=$?
[ "$rc" = 0 ] || diag "$(tail -n 60 "$DIR/rekamd.log"; tail -n 20 "$REKAM_TMP/station.err")"
is "$rc" 0 "the station stops cleanly"
STATION_PID=
done_testing
