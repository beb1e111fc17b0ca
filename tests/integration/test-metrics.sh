#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# tests/integration/test-metrics.sh - the Prometheus metrics endpoint:
# [metrics] listen on a loopback port; GET /metrics is valid text exposition
# format 0.0.4 (checked line by line by a strict parser: HELP and TYPE
# before the samples, names, labels, escaping, values), and its figures
# match the station (two devices, one absent; the artifacts after a
# capture); other paths are 404 and POST is 405; a listen address that is
# not loopback is refused by the configuration; a SIGHUP that moves the
# port is followed. Then enrollments and cards seeded into the database with
# the sqlite3 shell: enrollments by state, the step duration histograms
# (buckets cumulative, +Inf equal to _count, checked by the parser) and the
# card inventory.

# shellcheck source=tests/integration/lib.sh
. "${REKAM_TEST_LIB:-$(dirname "$0")/lib.sh}"

require_tools curl python3 sqlite3
[ -x "$REKAMCTL" ] || bail "rekamctl is not built at $REKAMCTL"

free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
port=$(free_port)

start_bus
write_config "[device cam]" "plugin = test-timer" "connection = test:1" \
	"[device gone]" "plugin = test-timer" "connection = test:2" "open = absent" \
	"[metrics]" "listen = 127.0.0.1:$port"
start_rekamd --session --state-dir "$REKAM_TMP/state" --config "$REKAM_TMP/rekamd.conf" \
	--plugin-dir "$REKAM_TEST_PLUGIN_DIR"
sleep 0.3

scrape() { curl -sS --max-time 10 -D "$REKAM_TMP/headers" "http://127.0.0.1:$1/metrics"; }

# strict checks of the exposition format; prints the samples as NAME{LABELS} VALUE
cat >"$REKAM_TMP/parse.py" <<'PY'
import re, sys
name_re = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
label_re = r'[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\\\|\\"|\\n)*"'
sample = re.compile(r"^(%s)(\{(%s(,%s)*)?\})? (-?[0-9.eE+-]+|NaN|[+-]Inf)$" % (name_re, label_re, label_re))
typed, helped, seen_samples = {}, set(), set()
buckets = {}  # histogram series (name, labels without le) -> [(le, value)]
counts = {}
def family(name):  # the metric a sample belongs to (histograms: _bucket, _sum, _count)
    for suffix in ("_bucket", "_sum", "_count"):
        base = name[:-len(suffix)]
        if name.endswith(suffix) and typed.get(base) == "histogram":
            return base
    return name
text = sys.stdin.read()
assert text.endswith("\n"), "the body ends with a newline"
for n, line in enumerate(text.splitlines(), 1):
    if line.startswith("# HELP "):
        name = line.split()[2]
        assert name not in helped, "HELP twice for %s (line %d)" % (name, n)
        helped.add(name)
    elif line.startswith("# TYPE "):
        _, _, name, kind = line.split()
        assert kind in ("counter", "gauge", "histogram", "summary", "untyped"), line
        assert name not in typed and name not in seen_samples, "TYPE after samples: " + name
        typed[name] = kind
    else:
        m = sample.match(line)
        assert m, "not a sample line %d: %r" % (n, line)
        name = family(m.group(1))
        assert name in typed, "sample before its TYPE: " + name
        value = float(m.group(5))
        labels = re.findall(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"', m.group(3) or "")
        if typed[name] == "histogram":
            assert m.group(1) != name, "a histogram sample without a suffix: " + line
            rest = tuple(l for l in labels if l[0] != "le")
            if m.group(1).endswith("_bucket"):
                le = [v for k, v in labels if k == "le"]
                assert len(le) == 1, "a bucket has one le label: " + line
                buckets.setdefault((name, rest), []).append((float(le[0]), value))
            elif m.group(1).endswith("_count"):
                counts[(name, rest)] = value
        seen_samples.add(name)
        print(line)
assert set(typed) == helped, "every metric has HELP and TYPE"
for key, bs in buckets.items():
    les = [le for le, _ in bs]
    assert les == sorted(les) and les[-1] == float("inf"), "buckets in order up to +Inf: %s" % (key,)
    vals = [v for _, v in bs]
    assert vals == sorted(vals), "buckets are cumulative: %s" % (key,)
    assert counts.get(key) == vals[-1], "the +Inf bucket is the count: %s" % (key,)
assert set(counts) == set(buckets), "every histogram series has buckets and a count"
PY

out=$(scrape "$port")
is "$?" 0 "GET /metrics answers"
like "$(cat "$REKAM_TMP/headers")" "Content-Type: text/plain; version=0.0.4" \
	"... as text exposition format 0.0.4"
printf '%s\n' "$out" >"$REKAM_TMP/metrics.txt"
samples=$(python3 "$REKAM_TMP/parse.py" <"$REKAM_TMP/metrics.txt" 2>"$REKAM_TMP/parse.err")
is "$?" 0 "the body is valid exposition format"
[ -s "$REKAM_TMP/parse.err" ] && diag "$(cat "$REKAM_TMP/parse.err")"
like "$samples" 'rekam_info\{version="[0-9.]+",station="6305-TEST-01"\} 1' "rekam_info names the station"
like "$samples" 'rekam_state\{state="ready"\} 1' "the station is ready"
like "$samples" 'rekam_devices\{class="camera",state="idle"\} 1' "one camera is idle"
like "$samples" 'rekam_devices\{class="camera",state="absent"\} 1' "... one absent"
like "$samples" 'rekam_device_up\{device="camera1",class="camera",plugin="test-timer"\} 0' \
	"the absent device is down"
like "$samples" 'rekam_artifacts 0' "no artifacts yet"
like "$samples" 'rekam_upload_configured 0' "no central server configured"
like "$samples" 'rekam_enrollments\{state="submitted"\} 0' "no enrollments yet"
like "$samples" 'rekam_step_duration_seconds_count\{step="3"\} 0' "... no step durations"
like "$samples" 'rekam_cards\{state="blank"\} 0' "... and no cards"

run_ctl --session capture cam --option size=2048
is "$RC" 0 "a capture"
samples=$(scrape "$port" | python3 "$REKAM_TMP/parse.py")
like "$samples" 'rekam_artifacts 1' "the artifact is counted"
like "$samples" 'rekam_artifact_bytes 2048' "... with its bytes"
like "$samples" 'rekam_audit_entries [1-9][0-9]*' "the audit trail is counted"

is "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/other")" 404 "another path: 404"
is "$(curl -s -o /dev/null -w '%{http_code}' -X POST "http://127.0.0.1:$port/metrics")" 405 \
	"POST: 405"

# --- configuration ----------------------------------------------------------------
printf '[station]\nid = x\n[metrics]\nlisten = 0.0.0.0:9464\n' >"$REKAM_TMP/bad.conf"
run_rekamd --check-config --config "$REKAM_TMP/bad.conf"
is "$REKAMD_STATUS" 78 "a listen address that is not loopback is refused"
like "$(cat "$REKAM_TMP/run.err")" "listen: expected a loopback HOST:PORT" "... saying what is wanted"

port2=$(free_port)
write_config "[device cam]" "plugin = test-timer" "connection = test:1" \
	"[metrics]" "listen = 127.0.0.1:$port2"
kill -HUP "$REKAMD_PID"
moved() { curl -sf --max-time 2 "http://127.0.0.1:$port2/metrics" >/dev/null; }
check "after SIGHUP the metrics move to the new port" wait_for 10 moved
check_fails "... and leave the old one" curl -sf --max-time 2 "http://127.0.0.1:$port/metrics"

# --- enrollments and cards ------------------------------------------------------------
# One enrollment collected (step 2 took 30 s, 3 500 s, 4 40 s, 5 200 s, 6 100 + 500 s,
# 7 30 s, 8 50 s, 9 and 10 20 s), one received (step 2: 70 s), one uploaded and still
# waiting for the server (2: 10 s, 3: 100 s, 4: 10 s, 5: 100 s, its step 6 not finished);
# two blank cards, one issued, two spoiled.
stop_rekamd
python3 - >"$REKAM_TMP/seed.sql" <<'EOF'
STATES = ["received", "verified", "forwarded", "recorded", "uploaded", "print_ready", "printing",
          "issued", "at_handover", "collected"]
STEPS = [2, 3, 4, 5, 6, 6, 7, 8, 9, 10]
out = ["BEGIN;"]
t0 = 1790000000000
for i, (state, secs) in enumerate([("collected", [30, 500, 40, 200, 100, 500, 30, 50, 20, 20]),
                                   ("received", [70]), ("uploaded", [10, 100, 10, 100, 50])], 1):
    out.append("INSERT INTO enrollments (id, nik, state, return_reason, name, sex, birth_place, "
               "birth_date, blood_type, religion, marital_status, occupation, address, rt, rw, "
               "village, district, citizenship, created, updated) VALUES (%d, '63050117039100%02d', "
               "'%s', '', 'APPLICANT', 'male', 'RANTAU', '1991-03-17', 'O', 'islam', 'married', "
               "'PELAJAR', 'JL. A YANI', '001', '002', 'RANTAU', 'TAPIN UTARA', 'WNI', %d, %d);"
               % (i, i, state, t0, t0))
    t = t0
    rows = [(1, "submitted", t)]
    for k, s in enumerate(secs):
        t += s * 1000
        rows.append((STEPS[k], STATES[k], t))
    for seq, (step, st, at) in enumerate(rows, 1):
        out.append("INSERT INTO enrollment_steps (enrollment, seq, step, state, role, uid, at, note) "
                   "VALUES (%d, %d, %d, '%s', 'operator', 1000, %d, '');" % (i, seq, step, st, at))
out.append("INSERT INTO card_batches (id, first_serial, count, role, uid, added) VALUES "
           "(1, 'K-0001', 5, 'technician', 1000, %d);" % t0)
for serial, state in [("K-0001", "spoiled"), ("K-0002", "issued"), ("K-0003", "spoiled"),
                      ("K-0004", "blank"), ("K-0005", "blank")]:
    out.append("INSERT INTO cards (serial, batch, state, changed) VALUES ('%s', 1, '%s', %d);"
               % (serial, state, t0))
out.append("COMMIT;")
print("\n".join(out))
EOF
check "enrollments and cards are seeded" sqlite3 -bail "$REKAM_TMP/state/rekam.db" ".read $REKAM_TMP/seed.sql"
start_rekamd --session --state-dir "$REKAM_TMP/state" --config "$REKAM_TMP/rekamd.conf" \
	--plugin-dir "$REKAM_TEST_PLUGIN_DIR"
check "the metrics are served again" wait_for 10 moved
samples=$(curl -sS --max-time 10 "http://127.0.0.1:$port2/metrics" |
	python3 "$REKAM_TMP/parse.py" 2>"$REKAM_TMP/parse.err")
is "$?" 0 "the scrape with histograms is valid exposition format"
[ -s "$REKAM_TMP/parse.err" ] && diag "$(cat "$REKAM_TMP/parse.err")"
is "$(printf '%s\n' "$samples" | grep '^rekam_enrollments{' | grep -v ' 0$')" \
'rekam_enrollments{state="received"} 1
rekam_enrollments{state="uploaded"} 1
rekam_enrollments{state="collected"} 1' "enrollments by state: exactly the three seeded"
is "$(printf '%s\n' "$samples" | grep '^rekam_step_duration_seconds.*step="2"')" \
'rekam_step_duration_seconds_bucket{step="2",le="10"} 1
rekam_step_duration_seconds_bucket{step="2",le="30"} 2
rekam_step_duration_seconds_bucket{step="2",le="60"} 2
rekam_step_duration_seconds_bucket{step="2",le="120"} 3
rekam_step_duration_seconds_bucket{step="2",le="300"} 3
rekam_step_duration_seconds_bucket{step="2",le="600"} 3
rekam_step_duration_seconds_bucket{step="2",le="900"} 3
rekam_step_duration_seconds_bucket{step="2",le="1800"} 3
rekam_step_duration_seconds_bucket{step="2",le="3600"} 3
rekam_step_duration_seconds_bucket{step="2",le="+Inf"} 3
rekam_step_duration_seconds_sum{step="2"} 110.000
rekam_step_duration_seconds_count{step="2"} 3' "step 2's histogram: 10, 30 and 70 seconds"
like "$samples" 'rekam_step_duration_seconds_bucket\{step="6",le="300"\} 0' \
	"step 6: the collected enrollment's 600 s is over 300 s"
like "$samples" 'rekam_step_duration_seconds_bucket\{step="6",le="600"\} 1' "... within 600 s"
like "$samples" 'rekam_step_duration_seconds_count\{step="6"\} 1' \
	"... and the step 6 still waiting for the server is not counted"
like "$samples" 'rekam_step_duration_seconds_sum\{step="5"\} 300.000' "step 5: 200 + 100 seconds"
like "$samples" 'rekam_step_duration_seconds_count\{step="1"\} 3' "step 1: every submission"
like "$samples" 'rekam_step_standard_seconds\{step="6"\} 900.000' "step 6's standard is 15 minutes"
like "$samples" 'rekam_step_standard_seconds\{step="10"\} 30.000' "... step 10's 30 seconds"
like "$samples" 'rekam_cards\{state="blank"\} 2' "two blank cards"
like "$samples" 'rekam_cards\{state="issued"\} 1' "... one issued"
like "$samples" 'rekam_cards\{state="spoiled"\} 2' "... two spoiled"
like "$samples" 'rekam_cards_spoiled_total 2' "... and the spoiled total"

stop_rekamd
is "$REKAMD_STATUS" 0 "rekamd stops cleanly"
done_testing
