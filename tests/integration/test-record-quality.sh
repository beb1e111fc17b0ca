#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# tests/integration/test-record-quality.sh - the quality policy of the
# fingerprints and irises (docs/biometric.md) through rekamd's Record step
# (step 5) on the whole simulated station, not in a test client: a slap the
# SBI simulator scores low at the first attempt is captured again and the
# second attempt is the one rekamd links to the enrollment, with its own
# scores; the first attempt's artifacts are gone from the store. A slap that
# stays low through every retry fails with CheckFailed, keeping nothing of
# it. A finger the device does not detect fails the slap, naming it, unless
# the operator marks it as an exception (rekamctl enroll record ID
# --exceptions=right-ring): then the slap is recorded without it and the
# capture summary lists it under "exceptions", not "missing". The station
# runs without its card reader (--no-card: no pcscd).
# shellcheck source=tests/integration/lib.sh
. "${REKAM_TEST_LIB:-$(dirname "$0")/lib.sh}"

require_tools socat python3
# shellcheck source=tests/integration/station.sh
. "$(dirname "$0")/station.sh"
start_station --seed 7 --no-card

# The first previous hash of an SBI hash chain: SHA-256 of nothing.
EMPTY_HASH=E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855

N=0
applicant() { # applicant: a new applicant through steps 1-4; the id in ID
	N=$((N + 1))
	forwarded_applicant "$N"
}
show() { ctl "$A" --json enroll show "$1"; }
prop() { # prop ID PROPERTY: one property of an enrollment
	show "$1" | python3 -c 'import json,sys; print(json.load(sys.stdin)[sys.argv[1]])' "$2"
}
captures() { # captures ID ITEM: "KIND HANDLE" per artifact linked for ITEM, in order
	show "$1" | python3 -c '
import json, sys
for item, kind, handle in json.load(sys.stdin)["Captures"]:
    if item == sys.argv[1]:
        print(kind, handle)' "$2"
}
summary() { # summary ID ITEM: the capture summary JSON (fingerprint-capture) of ITEM
	local handle
	handle=$(captures "$1" "$2" | sed -n 's/^[a-z]*-capture //p')
	[ -n "$handle" ] || return 1
	ctl "$A" artifact save "$handle" "$REKAM_TMP/summary.json" >/dev/null &&
		cat "$REKAM_TMP/summary.json"
}
field() { # field JSON EXPRESSION: a Python expression over the JSON as j
	python3 -c 'import json,sys; j=json.loads(sys.argv[1]); print(eval(sys.argv[2]))' "$1" "$2"
}
db() { # db SQL: one query on rekamd's database (read only), a row per line
	python3 -c '
import sqlite3, sys
db = sqlite3.connect("file:%s/rekam.db?mode=ro" % sys.argv[1], uri=True)
for row in db.execute(sys.argv[2]):
    print(" ".join(str(v) for v in row))' "$REKAM_STATE_DIR" "$1"
}
# every artifact rekamd keeps is one linked to an enrollment, and has its file
# (run through check, by name)
# shellcheck disable=SC2317
store_is_linked() {
	local kept linked files
	kept=$(db "SELECT handle FROM artifacts ORDER BY handle")
	linked=$(db "SELECT handle FROM enrollment_captures ORDER BY handle")
	files=$(find "$REKAM_STATE_DIR/artifacts" -type f -printf '%f\n' | sort)
	[ "$kept" = "$linked" ] && [ "$kept" = "$files" ]
}

# --- a low-quality first attempt: retried, the second kept ---------------------------------
applicant
check "an applicant through steps 1-4" test -n "$ID"
like "$(sim BIOMETRIC low-quality)" "^OK" "the SBI simulator scores the next capture low"
run_ctl "$A" enroll record "$ID"
is "$RC" 0 "Record: recorded"
[ "$RC" = 0 ] || diag "$ERR"
first=$(printf '%s\n' "$OUT" | sed -n 's/^ *fingerprint-left-slap: attempt 1: average quality \([0-9]*\) (threshold 40).*/\1/p')
second=$(printf '%s\n' "$OUT" | sed -n 's/^ *fingerprint-left-slap: attempt 2: average quality \([0-9]*\) (threshold 40).*/\1/p')
ok "$([ -n "$first" ] && [ "$first" -ge 10 ] && [ "$first" -le 30 ]; echo $?)" \
	"the left slap's attempt 1 averages ${first:-nothing}, under the threshold 40"
ok "$([ -n "$second" ] && [ "$second" -ge 40 ]; echo $?)" \
	"... so it is captured again: attempt 2 averages ${second:-nothing}"
is "$(printf '%s\n' "$OUT" | grep -c 'fingerprint-left-slap: attempt [0-9]')" 2 \
	"... and not a third time"
is "$(printf '%s\n' "$OUT" | grep -c 'fingerprint-right-slap: attempt [0-9]')" 1 \
	"the right slap passes at its first attempt"
is "$(prop "$ID" State)" recorded "the enrollment is recorded"

is "$(captures "$ID" fingerprint-left-slap | cut -d' ' -f1 | tr '\n' ' ')" \
	"fingerprint-left-index fingerprint-left-middle fingerprint-left-ring fingerprint-left-little fingerprint-capture " \
	"one take of the left slap is linked: four fingers and the capture summary"
s=$(summary "$ID" fingerprint-left-slap)
check "... whose summary rekamd gives back" test -n "$s"
is "$(field "$s" 'round(sum(j["qualities"].values()) / len(j["qualities"]))')" "$second" \
	"the kept take is attempt 2: its scores average $second"
is "$(field "$s" 'min(j["qualities"].values()) > 30')" True \
	"... every finger scores over 30 (the low-quality attempt scored 10 to 30)"
ok "$([ "$(field "$s" 'j["previousHash"]')" != "$EMPTY_HASH" ]; echo $?)" \
	"... and its reply chains on the hash of an earlier capture (attempt 1), not on the start"
is "$(field "$s" 'j["missing"] == [] and j["exceptions"] == []')" True \
	"... nothing missing, no exceptions"
# the per-finger artifacts carry the same scores as the summary
quals=$(captures "$ID" fingerprint-left-slap | while read -r kind handle; do
	[ "$kind" = fingerprint-capture ] ||
		printf '%s=%s ' "${kind#fingerprint-}" "$(db "SELECT quality FROM artifacts WHERE handle = '$handle'")"
done)
is "$quals" "$(field "$s" '" ".join("%s=%d" % kv for kv in j["qualities"].items()) + " "')" \
	"... and each kept finger's artifact has the score the summary gives it"
is "$(db "SELECT count(*) FROM artifacts WHERE kind = 'fingerprint-capture'")" 3 \
	"the store keeps three finger capture summaries (two slaps, the thumbs): attempt 1's is gone"
check "every artifact in the store is linked to the enrollment, none of attempt 1 is left" \
	store_is_linked

# --- low through every retry: CheckFailed, nothing of the slap kept ------------------------
applicant
like "$(sim BIOMETRIC 'low-quality 4')" "^OK" "the SBI simulator scores the next four captures low"
run_ctl "$A" enroll record "$ID"
ok "$([ "$RC" != 0 ]; echo $?)" "Record with four low-quality attempts fails"
like "$ERR" "Error\.CheckFailed: fingerprint-left-slap: the best of 4 attempts has an average quality of [123][0-9], under the threshold 40" \
	"... CheckFailed, naming the slap, the attempts and the best average"
is "$(printf '%s\n' "$OUT" | grep -c 'fingerprint-left-slap: attempt [0-9]')" 4 \
	"... after the first attempt and three retries ([quality] retries = 3)"
is "$(prop "$ID" State)" forwarded "... the enrollment stays forwarded"
is "$(captures "$ID" fingerprint-left-slap)" "" "... no take of the left slap is linked"
is "$(captures "$ID" portrait | cut -d' ' -f1)" portrait "... the portrait taken before it is"
check "... and none of the four attempts is left in the store" store_is_linked
run_ctl "$A" enroll record "$ID"
is "$RC" 0 "Record again: recorded"
like "$OUT" "fingerprint-left-slap: attempt 1: average quality [0-9]+ \(threshold 40\)" \
	"... the left slap at its first attempt"
is "$(captures "$ID" fingerprint-left-slap | wc -l)" 5 "... linked"
check "... and the store holds exactly what is linked" store_is_linked

# --- an exception: a bandaged finger is recorded as such, not as a failure -----------------
applicant
like "$(sim BIOMETRIC 'missing right-ring')" "^OK" "the SBI simulator detects no right ring finger"
run_ctl "$A" enroll record "$ID"
ok "$([ "$RC" != 0 ]; echo $?)" "Record without the exception fails"
like "$OUT" "fingerprint-right-slap: attempt 1: average quality [0-9]+ \(threshold 40\); right-ring not detected" \
	"... each attempt says the right ring finger was not detected"
like "$ERR" "Error\.CheckFailed: fingerprint-right-slap: right-ring not detected \(the best of 4 attempts\); take it again, or mark what is missing or bandaged as an exception" \
	"... CheckFailed, naming the finger, not an average under the threshold"
is "$(captures "$ID" fingerprint-right-slap)" "" "... no take of the right slap is linked"
check "... and none of its attempts is left in the store" store_is_linked
run_ctl "$A" enroll record "$ID" --exceptions=right-ring
is "$RC" 0 "Record --exceptions=right-ring: recorded"
[ "$RC" = 0 ] || diag "$ERR"
is "$(prop "$ID" State)" recorded "... the enrollment is recorded"
like "$(prop "$ID" RecordItems)" "'fingerprint-right-slap'" "... the right slap is still one of its items"
right=$(printf '%s\n' "$OUT" | sed -n 's/^ *fingerprint-right-slap: attempt 1: average quality \([0-9]*\) (threshold 40)$/\1/p')
ok "$([ -n "$right" ] && [ "$right" -ge 40 ]; echo $?)" \
	"... the right slap passes at its first attempt, averaging ${right:-nothing}, nothing missing"
is "$(printf '%s\n' "$OUT" | grep -c 'fingerprint-right-slap: attempt [0-9]')" 1 "... not retried"
is "$(captures "$ID" fingerprint-right-slap | cut -d' ' -f1 | tr '\n' ' ')" \
	"fingerprint-right-index fingerprint-right-middle fingerprint-right-little fingerprint-capture " \
	"the take of the right slap links three fingers and the summary, no right ring finger"
s=$(summary "$ID" fingerprint-right-slap)
is "$(field "$s" 'j["exceptions"]')" "['right-ring']" "... the summary records right-ring as an exception"
is "$(field "$s" 'j["missing"]')" "[]" "... not as missing"
is "$(field "$s" '" ".join(sorted(j["qualities"]))')" "right-index right-little right-middle" \
	"... with the scores of the three others"
is "$(field "$s" 'round(sum(j["qualities"].values()) / 3)')" "$right" \
	"... whose average, over three fingers, is the one the policy judged"
is "$(captures "$ID" fingerprint-left-slap | wc -l)" 5 "the left slap has all four fingers"
is "$(field "$(summary "$ID" fingerprint-left-slap)" 'j["exceptions"]')" "[]" \
	"... and no exception: the exception is the right ring finger's only"
check "the store holds exactly what is linked" store_is_linked
sim BIOMETRIC 'missing none' >/dev/null

stop_station
is "$STATION_STATUS" 0 "the station stops cleanly"
check_ctl_valgrind
done_testing
