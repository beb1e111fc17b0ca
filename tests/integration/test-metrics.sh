#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# tests/integration/test-metrics.sh - the Prometheus metrics endpoint:
# [metrics] listen on a loopback port; GET /metrics is valid text exposition
# format 0.0.4 (checked line by line by a strict parser: HELP and TYPE
# before the samples, names, labels, escaping, values), and its figures
# match the station (two devices, one absent; the artifacts after a
# capture); other paths are 404 and POST is 405; a listen address that is
# not loopback is refused by the configuration; a SIGHUP that moves the
# port is followed.

# shellcheck source=tests/integration/lib.sh
. "${REKAM_TEST_LIB:-$(dirname "$0")/lib.sh}"

require_tools curl python3
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
        name = m.group(1)
        assert name in typed, "sample before its TYPE: " + name
        float(m.group(5))
        seen_samples.add(name)
        print(line)
assert set(typed) == helped, "every metric has HELP and TYPE"
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

stop_rekamd
is "$REKAMD_STATUS" 0 "rekamd stops cleanly"
done_testing
