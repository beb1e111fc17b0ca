#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# tests/integration/test-sim-central.sh - rekam-sim-central on its own, over
# real TLS on loopback with curl and openssl: the test PKI, mutual TLS,
# submit (idempotent) -> queued -> processing -> print_ready, the
# personalization data and its signed security object, the issuance report
# (once), rejected and duplicate packets, the network faults of the control
# socket, and garbage on the wire.
. "${REKAM_TEST_LIB:-$(dirname "$0")/lib.sh}"

require_tools curl openssl socat sha256sum base64 python3

top_builddir=${top_builddir:-$(cd "$(dirname "$0")/../.." && pwd)}
REKAM_SIM_CENTRAL=${REKAM_SIM_CENTRAL:-$top_builddir/simulators/rekam-sim-central}
[ -x "$REKAM_SIM_CENTRAL" ] || bail "rekam-sim-central is not built at $REKAM_SIM_CENTRAL"

PKI=$REKAM_TMP/pki
CTL=$REKAM_TMP/central.ctl
T=$REKAM_TMP

free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

start_sim() { # start_sim [ARGS...]: wait for the control socket
	PORT=$(free_port)
	# shellcheck disable=SC2046
	$(sim_cmd) "$REKAM_SIM_CENTRAL" --pki "$PKI" --port "$PORT" --socket "$T/central.sock" \
		--control "$CTL" "$@" 2>>"$T/sim.log" &
	SIM_PID=$!
	wait_for 30 test -S "$CTL" || bail "rekam-sim-central did not start"
	URL=https://127.0.0.1:$PORT/v1
}


station() { # station N CURL-ARGS...: curl as station N; body, then the code on a line
	local n=$1
	shift
	curl -sS --max-time 20 --cacert "$PKI/ca.pem" --cert "$PKI/station$n.pem" \
		--key "$PKI/station$n.key" -w '\n%{http_code}' "$@"
}

code_of() { tail -n1; }
body_of() { sed '$d'; }
field() { # field KEY: a top-level value of the JSON on stdin ("" when absent)
	python3 -c 'import json, sys
v = json.load(sys.stdin).get(sys.argv[1], "")
print("" if v is None else v)' "$1"
}

# make_packet DIR ID NIK FINGERPRINT-FILE [DECLARED-SHA256]: the manifest,
# its signature by station 1 and the artifacts in DIR
make_packet() {
	local dir=$1 id=$2 nik=$3 fp=$4 declared=${5:-}
	mkdir -p "$dir"
	cp "$fp" "$dir/fingerprint"
	printf '\x89PNG portrait of %s' "$nik" >"$dir/portrait"
	local fsha psha
	fsha=$(sha256sum <"$dir/fingerprint" | cut -d' ' -f1)
	psha=$(sha256sum <"$dir/portrait" | cut -d' ' -f1)
	[ -n "$declared" ] && fsha=$declared
	cat >"$dir/manifest.json" <<EOF
{"version": 1, "packet_id": "$id", "station_id": "6305-TEST-01", "nik": "$nik",
 "created": "2026-03-02T09:41:07+07:00", "encryption": "none",
 "applicant": {"name": "SITI AMINAH", "birth_place": "BANJARMASIN",
  "birth_date": "1990-04-17", "sex": "F", "religion": "ISLAM"},
 "sop": {"submitted": "2026-03-02T08:05:00+07:00", "recorded": "2026-03-02T09:40:12+07:00"},
 "artifacts": [
  {"name": "portrait", "type": "portrait", "format": "image/png",
   "size": $(wc -c <"$dir/portrait"), "sha256": "$psha"},
  {"name": "fingerprint", "type": "fingerprint", "format": "iso19794-2",
   "size": $(wc -c <"$dir/fingerprint"), "sha256": "$fsha"}]}
EOF
	openssl dgst -sha256 -sign "$PKI/station1.key" -out "$dir/manifest.sig" "$dir/manifest.json"
}

submit() { # submit DIR [STATION]
	station "${2:-1}" -F "manifest=@$1/manifest.json;type=application/json" \
		-F "signature=@$1/manifest.sig" -F "portrait=@$1/portrait" \
		-F "fingerprint=@$1/fingerprint" "$URL/packets"
}

status_of() { # status_of ID: the status field
	station 1 "$URL/packets/$1" | body_of | field status
}

wait_status() { # wait_status ID STATUS
	local i
	for i in $(seq 200); do
		[ "$(status_of "$1")" = "$2" ] && return 0
		sleep 0.05
	done
	return 1
}

# --- command line and PKI ----------------------------------------------------------
out=$("$REKAM_SIM_CENTRAL" --help)
is "$?" 0 "--help exits 0"
for word in --port --pki --db --make-pki --control --time-scale "Exit status" refuse stall \
	"error CODE" drop "slow BYTES-PER-S" wrong-cert reset station1.pem ds.pem curl; do
	like "$out" "$word" "--help documents $word"
done
like "$("$REKAM_SIM_CENTRAL" --version)" "^rekam-sim-central [0-9]+\.[0-9]+\.[0-9]+$" "--version"
"$REKAM_SIM_CENTRAL" --make-pki "$PKI"
is "$?" 0 "--make-pki exits 0"
for f in ca server station1 station2 ds; do
	check "$f.pem is a certificate" openssl x509 -noout -in "$PKI/$f.pem"
	is "$(stat -c %a "$PKI/$f.key")" 600 "$f.key is mode 0600"
done
check "the server and station certificates chain to the CA" \
	openssl verify -CAfile "$PKI/ca.pem" "$PKI/server.pem" "$PKI/station1.pem" \
	"$PKI/station2.pem" "$PKI/ds.pem"
like "$(openssl x509 -noout -subject -in "$PKI/station1.pem")" "CN ?= ?6305-TEST-01" \
	"station 1's CN is its station id"
like "$(openssl x509 -noout -ext subjectAltName -in "$PKI/server.pem")" \
	"IP Address:127.0.0.1" "the server certificate is for 127.0.0.1"
"$REKAM_SIM_CENTRAL" --socket "$T/s" --control "$CTL" --port 0x 2>/dev/null
is "$?" 64 "a bad --port: exit 64"
"$REKAM_SIM_CENTRAL" --socket "$T/s" --control "$CTL" 2>/dev/null
is "$?" 70 "without --pki: exit 70"

# --- mutual TLS ------------------------------------------------------------------------
# 3 s from submit to print_ready: slow enough to see it on its way even under
# valgrind on a loaded machine
start_sim --time-scale 0.05 --db "$T/central.db"
check_fails "without a client certificate the TLS handshake fails" \
	curl -sS --max-time 10 --cacert "$PKI/ca.pem" "$URL/packets/x"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=6305-TEST-01 \
	-keyout "$T/rogue.key" -out "$T/rogue.pem" -days 1 2>/dev/null
check_fails "a client certificate from another CA: the handshake fails" \
	curl -sS --max-time 10 --cacert "$PKI/ca.pem" --cert "$T/rogue.pem" --key "$T/rogue.key" \
	"$URL/packets/x"
out=$(station 1 "$URL/nothing")
is "$(code_of <<<"$out")" 404 "an unknown path: 404"
like "$(body_of <<<"$out")" '^\{"error":\{"code":"not_found","message":"[^"]+"\}\}$' \
	"... with an error body"

# --- submit -> print_ready -----------------------------------------------------------
head -c 600 /dev/urandom >"$T/finger-a"
ID1=3f2c8a1e-5b7d-4c2a-9e61-0d4b8f7a1c01
make_packet "$T/p1" "$ID1" 6371055704900001 "$T/finger-a"
out=$(submit "$T/p1")
is "$(code_of <<<"$out")" 202 "submit: 202"
is "$(body_of <<<"$out")" "{\"id\":\"$ID1\",\"status\":\"queued\"}" "... id and queued"
out=$(submit "$T/p1")
is "$(code_of <<<"$out")" "202" "a repeated submit: 202"
is "$(body_of <<<"$out")" "{\"id\":\"$ID1\",\"status\":\"queued\"}" "... the first answer"
out=$(station 1 -i "$URL/packets/$ID1")
like "$out" '"status":"(queued|processing)"' "status: on its way"
like "$out" 'Retry-After: [0-9]+' "... with Retry-After"
check "status becomes print_ready" wait_status "$ID1" print_ready
out=$(station 1 "$URL/packets/$ID1")
like "$out" '"reason":null' "print_ready has no reason"
out=$(station 2 "$URL/packets/$ID1")
is "$(code_of <<<"$out")" 404 "another station does not see the packet"

# --- personalization -------------------------------------------------------------------
out=$(station 1 "$URL/packets/$ID1/personalization")
is "$(code_of <<<"$out")" 200 "personalization: 200"
body_of <<<"$out" >"$T/perso.json"
python3 - "$T" <<'EOF' >"$T/perso.check" 2>&1
import base64, hashlib, json, sys
t = sys.argv[1]
p = json.load(open(t + "/perso.json"))
so = p["security_object"]
open(t + "/so.bin", "wb").write(base64.b64decode(so["signed_data"]))
open(t + "/so.sig", "wb").write(base64.b64decode(so["signature"]))
doc = json.loads(base64.b64decode(so["signed_data"]))
tags = [d["tag"] for d in p["data_groups"]]
assert tags == ["DG1", "DG2", "DG3"], tags
for d, h in zip(p["data_groups"], doc["data_groups"]):
    assert hashlib.sha256(base64.b64decode(d["data"])).hexdigest() == d["sha256"] == h["sha256"]
fp = open(t + "/finger-a", "rb").read()
assert base64.b64decode(p["data_groups"][2]["data"]) == fp
assert json.loads(base64.b64decode(p["data_groups"][0]["data"]))["nik"] == "6371055704900001"
assert doc["packet_id"] == p["id"] and so["algorithm"] == "ecdsa-p256-sha256"
print("ok")
EOF
is "$(cat "$T/perso.check")" ok "the data groups match the security object's hashes"
openssl x509 -pubkey -noout -in "$PKI/ds.pem" >"$T/ds.pub"
check "the security object's signature verifies with the document signer's key" \
	openssl dgst -sha256 -verify "$T/ds.pub" -signature "$T/so.sig" "$T/so.bin"

# --- issuance --------------------------------------------------------------------------
out=$(station 1 -H 'Content-Type: application/json' \
	-d '{"card_serial": "KTP-0000123", "chip_uid": "04A1B2C3D4E5F6"}' "$URL/packets/$ID1/issuance")
is "$(code_of <<<"$out")" 200 "issuance report: 200"
like "$out" '"status":"issued","card_serial":"KTP-0000123","chip_uid":"04A1B2C3D4E5F6"' \
	"... echoed"
out=$(station 1 -d '{"card_serial": "KTP-0000123", "chip_uid": "04A1B2C3D4E5F6"}' \
	"$URL/packets/$ID1/issuance")
is "$(code_of <<<"$out")" 200 "the same report again: 200"
out=$(station 1 -d '{"card_serial": "KTP-0000999", "chip_uid": "04A1B2C3D4E5F6"}' \
	"$URL/packets/$ID1/issuance")
is "$(code_of <<<"$out")" 409 "a different second report: 409"
like "$out" '"code":"already_issued"' "... already_issued"
out=$(station 1 -d '{"card_serial": "x"}' "$URL/packets/$ID1/issuance")
is "$(code_of <<<"$out")" 400 "a bad issuance body: 400"
like "$(station 1 "$URL/packets/$ID1")" '"issued":\{"card_serial":"KTP-0000123"' \
	"status shows the issuance"

# --- rejected, duplicate, bad requests --------------------------------------------------
head -c 600 /dev/urandom >"$T/finger-b"
ID2=3f2c8a1e-5b7d-4c2a-9e61-0d4b8f7a1c02
make_packet "$T/p2" "$ID2" 6371055704900002 "$T/finger-b" \
	0000000000000000000000000000000000000000000000000000000000000000
is "$(submit "$T/p2" | code_of)" 202 "a packet with a wrong artifact hash is queued"
check "... then rejected" wait_status "$ID2" rejected
like "$(station 1 "$URL/packets/$ID2")" '"reason":"artifact fingerprint: sha256 mismatch"' \
	"... with a reason"
out=$(station 1 "$URL/packets/$ID2/personalization")
is "$(code_of <<<"$out")" 409 "no personalization for a rejected packet"

ID3=3f2c8a1e-5b7d-4c2a-9e61-0d4b8f7a1c03
make_packet "$T/p3" "$ID3" 6371055704900003 "$T/finger-a"
is "$(submit "$T/p3" | code_of)" 202 "another applicant with the same fingerprint bytes"
check "... is duplicate" wait_status "$ID3" duplicate
like "$(station 1 "$URL/packets/$ID3")" "\"duplicate_of\":\"$ID1\"" "... of the first packet"

ID4=3f2c8a1e-5b7d-4c2a-9e61-0d4b8f7a1c04
make_packet "$T/p4" "$ID4" 6371055704900001 "$T/finger-b"
submit "$T/p4" >/dev/null
check "the same NIK with other fingerprints is duplicate" wait_status "$ID4" duplicate

ID5=3f2c8a1e-5b7d-4c2a-9e61-0d4b8f7a1c05
make_packet "$T/p5" "$ID5" 6371055704900005 "$T/finger-b"
printf 'x' >>"$T/p5/manifest.sig"
submit "$T/p5" >/dev/null
check "a bad manifest signature is rejected" wait_status "$ID5" rejected
like "$(station 1 "$URL/packets/$ID5")" "signature" "... saying so"

ID6=3f2c8a1e-5b7d-4c2a-9e61-0d4b8f7a1c06
make_packet "$T/p6" "$ID6" 6371055704900006 "$T/finger-b"
submit "$T/p6" 2 >/dev/null
station2_rejected() { # the verdict comes when processing starts
	curl -sS --cacert "$PKI/ca.pem" --cert "$PKI/station2.pem" --key "$PKI/station2.key" \
		"$URL/packets/$ID6" | grep -q 'does not match the client certificate'
}
check "a packet sent with another station's certificate is rejected" wait_for 20 station2_rejected

out=$(station 1 -F "manifest=@$T/p1/manifest.json" "$URL/packets")
is "$(code_of <<<"$out")" 400 "an upload without a signature part: 400"
printf '{"version": 1' >"$T/broken.json"
out=$(station 1 -F "manifest=@$T/broken.json" -F "signature=@$T/p1/manifest.sig" "$URL/packets")
like "$out" '"code":"bad_manifest"' "a manifest that is not JSON: bad_manifest"
sed 's/"version": 1/"version": 1, "extra": 0/' "$T/p1/manifest.json" >"$T/p1b.json"
out=$(station 1 -F "manifest=@$T/p1b.json" -F "signature=@$T/p1/manifest.sig" \
	-F "portrait=@$T/p1/portrait" -F "fingerprint=@$T/p1/fingerprint" "$URL/packets")
is "$(code_of <<<"$out")" 409 "the same packet id with another manifest: 409"
out=$(station 1 -d 'x=1' "$URL/packets")
is "$(code_of <<<"$out")" 400 "a submit that is not multipart: 400"
out=$(station 1 -X DELETE "$URL/packets/$ID1")
is "$(code_of <<<"$out")" 405 "DELETE: 405"

# --- faults ----------------------------------------------------------------------------
is "$(sim_ctl "error 503 2 5")" "OK error=503 count=2 retry-after=5" "error 503 2 5"
out=$(station 1 -i "$URL/packets/$ID1")
is "$(code_of <<<"$out")" 503 "curl sees 503"
like "$out" "Retry-After: 5" "... with Retry-After: 5"
like "$out" '"code":"unavailable"' "... and an error body"
is "$(station 1 "$URL/packets/$ID1" | code_of)" 503 "the second request: 503"
is "$(station 1 "$URL/packets/$ID1" | code_of)" 200 "the third: 200 again"
sim_ctl "error 500" >/dev/null
is "$(station 1 "$URL/packets/$ID1" | code_of)" 500 "error 500: 500 once"
is "$(sim_ctl "error 404")" "ERR usage: error 500|503 [COUNT [RETRY-AFTER]]" "error 404 is refused"

ID7=3f2c8a1e-5b7d-4c2a-9e61-0d4b8f7a1c07
head -c 8000 /dev/urandom >"$T/finger-c"
make_packet "$T/p7" "$ID7" 6371055704900007 "$T/finger-c"
like "$(sim_ctl drop)" "^OK" "drop"
check_fails "an upload is cut mid-way" submit "$T/p7"
is "$(station 1 "$URL/packets/$ID7" | code_of)" 404 "... and nothing was stored"
is "$(submit "$T/p7" | code_of)" 202 "the retried upload is accepted"
check "... once" wait_status "$ID7" print_ready

is "$(sim_ctl refuse)" "OK not accepting connections on 127.0.0.1:$PORT" "refuse"
station 1 "$URL/packets/$ID1" >/dev/null 2>&1
is "$?" 7 "curl: connection refused (7)"
is "$(sim_ctl reset)" "OK normal" "reset"
is "$(station 1 "$URL/packets/$ID1" | code_of)" 200 "connections are accepted again"

sim_ctl stall >/dev/null
curl -sS --max-time 1 --cacert "$PKI/ca.pem" --cert "$PKI/station1.pem" \
	--key "$PKI/station1.key" "$URL/packets/$ID1" >/dev/null 2>&1
is "$?" 28 "stall: curl times out (28)"
sim_ctl reset >/dev/null

sim_ctl wrong-cert >/dev/null
station 1 "$URL/packets/$ID1" >/dev/null 2>&1
is "$?" 60 "wrong-cert: curl refuses the server certificate (60)"
sim_ctl reset >/dev/null

is "$(sim_ctl "slow 20000")" "OK slow=20000" "slow 20000"
head -c 60000 /dev/urandom >"$T/finger-d"
ID8=3f2c8a1e-5b7d-4c2a-9e61-0d4b8f7a1c08
make_packet "$T/p8" "$ID8" 6371055704900008 "$T/finger-d"
start=$(date +%s%N)
is "$(submit "$T/p8" | code_of)" 202 "a 60 kB upload over a slow link"
elapsed=$((($(date +%s%N) - start) / 1000000))
ok "$([ "$elapsed" -ge 1500 ]; echo $?)" "... takes its time ($elapsed ms)"
sim_ctl reset >/dev/null

# --- garbage --------------------------------------------------------------------------
printf 'garbage\r\n\r\n' | socat -t 2 - "OPENSSL:127.0.0.1:$PORT,verify=0" >/dev/null 2>&1
printf 'GET / HTTP/1.1\r\n\r\n' | socat -t 2 - "TCP:127.0.0.1:$PORT" >/dev/null 2>&1
head -c 5000 /dev/urandom | socat -t 2 - "TCP:127.0.0.1:$PORT" >/dev/null 2>&1
printf 'garbage\r\n\r\n' | socat -t 2 - "OPENSSL:127.0.0.1:$PORT,cafile=$PKI/ca.pem,cert=$PKI/station1.pem,key=$PKI/station1.key" >/dev/null 2>&1
check "the server survives garbage" kill -0 "$SIM_PID"
is "$(station 1 "$URL/packets/$ID1" | code_of)" 200 "... and still answers"
like "$(sim_ctl status)" "^OK .*port=$PORT listening=yes .*packets=8 " "status counts the packets"
like "$(socat -t 2 - "UNIX-CONNECT:$T/central.sock" </dev/null)" "https://127.0.0.1:$PORT/v1/" \
	"the information socket names the URL"

# --- a restart keeps the state -------------------------------------------------------------
stop_sim
is "$SIM_STATUS" 0 "SIGTERM stops it with 0"
start_sim --time-scale 0.01 --db "$T/central.db"
is "$(status_of "$ID1")" print_ready "after a restart the packet is still print_ready"
is "$(submit "$T/p1" | body_of)" "{\"id\":\"$ID1\",\"status\":\"queued\"}" \
	"... and a repeated submit still gets the first answer"
is "$(sim_ctl quit)" "OK bye" "quit answers"
wait "$SIM_PID"
is "$?" 0 "... and exits 0"
SIM_PID=

if [ "${REKAM_TEST_VALGRIND:-0}" = 1 ]; then
	check "valgrind found no errors in the simulator" \
		sh -c "! grep -q . $REKAM_TMP/valgrind-sim.*.log"
fi
done_testing
