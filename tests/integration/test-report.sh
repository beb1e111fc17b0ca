#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# tests/integration/test-report.sh - the monthly performance report
# (GetReport, `rekamctl report`) on a month of enrollments seeded straight
# into the station database with the sqlite3 shell: step records with chosen
# times, cards and audit entries. The figures (applicants, met standard,
# median and 90th percentile per step, the total against 36 minutes, returns
# by reason, duplicates, rejections, spoiled cards, device faults) are worked
# out by hand below, and checked in the JSON, the terminal table, the CSV
# (parsed) and the HTML page (well-formed, nothing from the network).
# rekamd runs in UTC+7 (WIB): two enrollments sit on either side of the
# month's edges in local time but not in UTC.

# shellcheck source=tests/integration/lib.sh
. "${REKAM_TEST_LIB:-$(dirname "$0")/lib.sh}"

require_tools sqlite3 python3 xmllint
[ -x "$REKAMCTL" ] || bail "rekamctl is not built at $REKAMCTL"
export TZ=WIB-7

start_bus
write_config "office-hours = 08:00-15:00"
ARGS=(--session --state-dir "$REKAM_TMP/state" --config "$REKAM_TMP/rekamd.conf")
start_rekamd "${ARGS[@]}" # creates the database with its schema
stop_rekamd
DB=$REKAM_TMP/state/rekamd.db
[ -f "$DB" ] || DB=$(find "$REKAM_TMP/state" -name '*.db' | head -n1)
[ -f "$DB" ] || bail "rekamd made no database under $REKAM_TMP/state"

# Each enrollment: its state, the local time of its submission, the seconds
# each later record took ("6a" the upload, "6b" the server's verdict, both
# step 6), and the note of a return or rejection. Step 1 records take 0.
python3 - >"$REKAM_TMP/seed.sql" <<'EOF'
import calendar
OFFSET = 7 * 3600  # WIB
def local(y, mo, d, h, mi):
    return (calendar.timegm((y, mo, d, h, mi, 0)) - OFFSET) * 1000

FULL = ["2", "3", "4", "5", "6a", "6b", "7", "8", "9", "10"]
STATES = {"2": "received", "3": "verified", "4": "forwarded", "5": "recorded", "6a": "uploaded",
          "6b": "print_ready", "7": "printing", "8": "issued", "9": "at_handover",
          "10": "collected"}
enrollments = [
    # collected in October: the figures below
    ("A", "collected", local(2026, 10, 5, 9, 0), [30, 500, 40, 200, 100, 500, 30, 50, 20, 20], ""),
    ("B", "collected", local(2026, 10, 6, 9, 0), [50, 700, 50, 250, 200, 800, 40, 55, 25, 25], ""),
    ("C", "collected", local(2026, 10, 7, 9, 0), [70, 550, 30, 310, 100, 700, 20, 70, 35, 10], ""),
    ("D", "collected", local(2026, 10, 8, 9, 0), [40, 620, 90, 280, 300, 600, 60, 45, 15, 40], ""),
    ("E", "collected", local(2026, 10, 9, 9, 0), [60, 400, 20, 150, 50, 450, 90, 40, 30, 30], ""),
    # just after the start of October in WIB: still September 30 in UTC
    ("L", "collected", local(2026, 10, 1, 0, 5), [10, 100, 10, 100, 100, 100, 10, 10, 10, 10], ""),
    # returns and a rejection in October
    ("F", "returned", local(2026, 10, 12, 9, 0), [45], "incomplete: missing family-card"),
    ("I", "returned", local(2026, 10, 13, 9, 0), [30], "incomplete: missing f102"),
    ("G", "returned", local(2026, 10, 14, 9, 0), [20, 300], "invalid: the family card copy is unreadable"),
    ("H", "returned", local(2026, 10, 15, 9, 0), [35, 450, 45, 290, 100, 600],
     "duplicate (data ganda): fingerprints match; earlier packet P-1"),
    ("J", "rejected", local(2026, 10, 16, 9, 0), [55, 580, 65, 320, 200, 400],
     "rejected: region code unknown"),
    # collected on November 1 in WIB (October 31 in UTC), and a return in September: not counted
    ("K", "collected", local(2026, 11, 1, 1, 0), [120, 1200, 120, 600, 900, 900, 120, 120, 60, 60], ""),
    ("N", "returned", local(2026, 9, 15, 9, 0), [10], "incomplete: missing diploma"),
]
out = ["BEGIN;"]
for i, (name, state, t, secs, note) in enumerate(enrollments, start=1):
    nik = "630501170391%04d" % i
    out.append("INSERT INTO enrollments (id, nik, state, checklist, return_reason, name, sex, "
               "birth_place, birth_date, blood_type, religion, marital_status, occupation, "
               "address, rt, rw, village, district, citizenship, created, updated) VALUES "
               "(%d, '%s', '%s', NULL, '%s', 'APPLICANT %s', 'male', 'RANTAU', '1991-03-17', "
               "'O', 'islam', 'married', 'PELAJAR', 'JL. A YANI', '001', '002', 'RANTAU', "
               "'TAPIN UTARA', 'WNI', %d, %d);" % (i, nik, state, note, name, t, t))
    rows = [(1, "submitted", t, "")]
    for k, s in enumerate(secs):
        t += s * 1000
        last = k == len(secs) - 1
        step = FULL[k]
        st = STATES[step] if not (last and state in ("returned", "rejected")) else state
        rows.append((int(step.rstrip("ab")), st, t, note if st == state and note else ""))
    for seq, (step, st, at, n) in enumerate(rows, start=1):
        out.append("INSERT INTO enrollment_steps (enrollment, seq, step, state, role, uid, at, "
                   "note) VALUES (%d, %d, %d, '%s', 'operator', 1000, %d, '%s');"
                   % (i, seq, step, st, at, n))
# cards: three spoiled in October, one in September, two issued, one blank
out.append("INSERT INTO card_batches (id, first_serial, count, role, uid, added) VALUES "
           "(1, 'K-0001', 7, 'technician', 1000, %d);" % local(2026, 9, 1, 8, 0))
for serial, state, t in [("K-0001", "spoiled", local(2026, 10, 2, 10, 0)),
                         ("K-0002", "spoiled", local(2026, 10, 20, 10, 0)),
                         ("K-0003", "spoiled", local(2026, 10, 31, 23, 30)),
                         ("K-0004", "spoiled", local(2026, 9, 30, 23, 30)),
                         ("K-0005", "issued", local(2026, 10, 5, 10, 0)),
                         ("K-0006", "issued", local(2026, 10, 6, 10, 0)),
                         ("K-0007", "blank", local(2026, 9, 1, 8, 0))]:
    out.append("INSERT INTO cards (serial, batch, state, changed) VALUES ('%s', 1, '%s', %d);"
               % (serial, state, t))
# the audit trail (seconds): three device faults in October
seq = 1000
for action, result, detail, t in [
        ("device.capture", "failed", "camera0 capture: PTP timeout", local(2026, 10, 3, 9, 0)),
        ("device.capture", "failed", "camera0 capture: no card", local(2026, 10, 4, 9, 0)),
        ("device.job", "timeout", "printer0 job print: no answer", local(2026, 10, 1, 0, 30)),
        ("device.self-test", "ok", "printer0", local(2026, 10, 5, 9, 0)),
        ("device.capture", "cancelled", "sigpad0 capture: cancelled", local(2026, 10, 6, 9, 0)),
        ("device.capture", "failed", "camera0 capture: PTP timeout", local(2026, 9, 30, 23, 0)),
        ("enrollment.verify", "failed", "camera0 x", local(2026, 10, 7, 9, 0))]:
    seq += 1
    out.append("INSERT INTO audit (seq, time, actor, role, action, enrollment, nik, result, "
               "detail, prev, hash) VALUES (%d, %d, 'uid 1000', 'operator', '%s', '', '', "
               "'%s', '%s', '', '');" % (seq, t // 1000, action, result, detail))
out.append("COMMIT;")
print("\n".join(out))
EOF
check "the month is seeded into the database" sqlite3 -bail "$DB" ".read $REKAM_TMP/seed.sql"
start_rekamd "${ARGS[@]}"

# --- JSON: every figure ----------------------------------------------------------
run_ctl --session --json report --month=2026-10
is "$RC" 0 "report --json exits 0"
printf '%s' "$OUT" >"$REKAM_TMP/report.json"
# step: applicants met median_s p90_s (nearest rank), worked out by hand from the table above
python3 - "$REKAM_TMP/report.json" >"$REKAM_TMP/steps" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))
for s in r["steps"]:
    print(s["step"], s["applicants"], s["met"], s["standard_ms"] // 1000,
          None if s["median_ms"] is None else s["median_ms"] / 1000,
          None if s["p90_ms"] is None else s["p90_ms"] / 1000)
t = r["total"]
print("total", t["applicants"], t["met"], t["standard_ms"] // 1000, t["median_ms"] / 1000,
      t["p90_ms"] / 1000)
print("returned", r["returned"], [(x["reason"], x["count"]) for x in r["returns"]])
print("duplicates", r["duplicates"], "rejected", r["rejected"], "spoiled", r["spoiled_cards"])
print("faults", r["device_faults"]["total"],
      [(x["device"], x["count"]) for x in r["device_faults"]["by_device"]])
EOF
is "$(cat "$REKAM_TMP/steps")" "1 11 11 60 0.0 0.0
2 11 10 60 40.0 60.0
3 9 7 600 500.0 700.0
4 8 6 60 40.0 90.0
5 8 6 300 250.0 320.0
6 8 7 900 600.0 1000.0
7 6 5 60 30.0 90.0
8 6 5 60 45.0 70.0
9 6 5 30 20.0 35.0
10 6 5 30 20.0 40.0
total 6 5 2160 1490.0 2195.0
returned 4 [('incomplete', 2), ('duplicate (data ganda)', 1), ('invalid', 1)]
duplicates 1 rejected 1 spoiled 3
faults 3 [('camera0', 2), ('printer0', 1)]" \
	"the JSON report has the seeded month's figures (applicants, met, standard, median, p90)"
like "$(python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print(r["steps"][1]["met_ratio"], r["month"])' "$REKAM_TMP/report.json")" \
	"^0\.909090[0-9]* 2026-10$" "... the met ratio, and the month"

# --- the terminal table ---------------------------------------------------------
run_ctl --session report --month=2026-10
is "$RC" 0 "report exits 0"
like "$OUT" "Performance report for 2026-10" "the table names the month"
like "$OUT" "2 +1:00 +11  10 \(90%\) +0:40 +1:00" "... step 2: standard, applicants, met, median, 90th percentile"
like "$OUT" "6 +15:00 +8  7 \(87%\) +10:00 +16:40" "... step 6"
like "$OUT" "Total +36:00 +6  5 \(83%\) +24:50 +36:35" "... and the whole way against 36 minutes"
like "$OUT" "incomplete +2" "... returns by reason"
like "$OUT" "Duplicates \(data ganda, step 6\): 1" "... duplicates"
like "$OUT" "Spoiled cards: 3" "... spoiled cards"
like "$OUT" "camera0 +2" "... device faults by device"

# --- CSV --------------------------------------------------------------------------
run_ctl --session report --month=2026-10 --csv
is "$RC" 0 "report --csv exits 0"
printf '%s' "$OUT" >"$REKAM_TMP/report.csv"
is "$(python3 - "$REKAM_TMP/report.csv" <<'EOF'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1], newline="")))
get = {(r["kind"], r["item"]): r for r in rows}
for key in [("step", "3"), ("step", "10"), ("total", "all")]:
    r = get[key]
    print(key[1], r["count"], r["met"], r["met_ratio"], r["standard_ms"], r["median_ms"], r["p90_ms"])
for key in [("returned", "incomplete"), ("returned", "duplicate (data ganda)"), ("returned", "all"),
            ("duplicates", "all"), ("rejected", "all"), ("spoiled_cards", "all"),
            ("device_faults", "printer0"), ("device_faults", "all")]:
    print(key[0], key[1], get[key]["count"])
print(len(rows), "rows")
EOF
)" "3 9 7 0.7778 600000 500000 700000
10 6 5 0.8333 30000 20000 40000
all 6 5 0.8333 2160000 1490000 2195000
returned incomplete 2
returned duplicate (data ganda) 1
returned all 4
duplicates all 1
rejected all 1
spoiled_cards all 3
device_faults printer0 1
device_faults all 3
21 rows" "the CSV parses and carries the same figures"

# --- HTML ---------------------------------------------------------------------------
run_ctl --session report --month=2026-10 -o "$REKAM_TMP/report.html"
is "$RC" 0 "report -o exits 0"
is "$OUT" "" "... and prints nothing else on standard output"
check "-o writes the HTML page" test -s "$REKAM_TMP/report.html"
check "... well-formed for xmllint" xmllint --html --noout "$REKAM_TMP/report.html"
check "... and for python's html.parser, every element closed" python3 - "$REKAM_TMP/report.html" <<'EOF'
import sys
from html.parser import HTMLParser
VOID = {"meta", "br", "hr", "img", "input", "link"}
class P(HTMLParser):
    def __init__(self):
        super().__init__()
        self.stack = []
    def handle_starttag(self, tag, attrs):
        if tag not in VOID:
            self.stack.append(tag)
    def handle_startendtag(self, tag, attrs):
        pass
    def handle_endtag(self, tag):
        if not self.stack or self.stack.pop() != tag:
            sys.exit("mismatched </%s>" % tag)
p = P()
p.feed(open(sys.argv[1]).read())
p.close()
sys.exit("unclosed: %s" % p.stack if p.stack else 0)
EOF
html=$(cat "$REKAM_TMP/report.html")
unlike "$html" "(src|href)=\"(https?:)?//|<script|@import|url\(" "... loading nothing from the network and running no script"
is "$(grep -o '<svg ' "$REKAM_TMP/report.html" | wc -l)" 4 "... with its four SVG charts"
like "$html" "<td>Total \(collected\)</td><td>36:00</td><td>6</td><td>5 \(83%\)</td><td>24:50</td><td>36:35</td>" \
	"... and the figures in its table"

# --- bad input ----------------------------------------------------------------------
run_ctl --session report
is "$RC" 64 "report without --month is a usage error"
like "$ERR" "report needs --month=YYYY-MM" "... saying so"
run_ctl --session report --month=2026-13
is "$RC" 64 "a month 13 is refused before calling rekamd"
like "$ERR" "invalid month '2026-13'" "... saying so"
run_ctl --session report --month=2026-10 --csv --json
is "$RC" 64 "--csv and --json together are refused"
run_ctl --session status --csv
is "$RC" 64 "--csv is for report only"
reply=$(dbus-send --session --print-reply --dest="$REKAM_NAME" "$REKAM_PATH" \
	"$REKAM_NAME.GetReport" string:1999-99 2>&1)
like "$reply" "id.rekam.Station1.Error.InvalidArguments: Invalid month '1999-99'" \
	"rekamd refuses a month that is not YYYY-MM"

# --- another month -------------------------------------------------------------------
run_ctl --session --json report --month=2026-11
is "$(python3 -c 'import json,sys; r=json.load(sys.stdin); print(r["total"]["applicants"], r["steps"][0]["applicants"], r["returned"], r["spoiled_cards"], r["steps"][4]["median_ms"])' <<<"$OUT")" \
	"1 1 0 0 600000" "November has only the enrollment collected on its first night (WIB)"
run_ctl --session --json report --month=2026-09
is "$(python3 -c 'import json,sys; r=json.load(sys.stdin); print(r["total"]["applicants"], r["returned"], r["spoiled_cards"], r["device_faults"]["total"], r["steps"][2]["median_ms"])' <<<"$OUT")" \
	"0 1 1 1 None" "September has its return, spoiled card and fault, and no step 3 (null median)"

check_ctl_valgrind
stop_rekamd
is "$REKAMD_STATUS" 0 "rekamd stops cleanly"
done_testing
