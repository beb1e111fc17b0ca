#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# tests/integration/test-sim-biometric.sh - rekam-sim-biometric on its own
# (no bus), driven by curl the way the MOSIP SBI specification shows: every
# curl example of docs/biometric.md is run and its answer checked against the
# specification's shapes (discovery, signed device info, registration
# capture with chained hashes, PNG images of the right size); one JWS is
# verified by the openssl command line with the certificate from its x5c;
# the faults of the control socket; malformed requests. One fingerprint and
# one iris image are kept in tests/biometric-samples/ for a person to look at.
. "${REKAM_TEST_LIB:-$(dirname "$0")/lib.sh}"

require_tools curl python3 openssl socat

top_builddir=${top_builddir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
SIM=${REKAM_SIM_BIOMETRIC:-$top_builddir/simulators/rekam-sim-biometric}
[ -x "$SIM" ] || bail "rekam-sim-biometric is not built at $SIM"
DOC=$top_srcdir/docs/biometric.md
SAMPLES=$top_builddir/tests/biometric-samples

SOCK=$REKAM_TMP/bio.sock
CTL=$REKAM_TMP/bio.ctl
KEYS=$REKAM_TMP/keys
PORT=

start_sim() { # start_sim [ARGS...]: on a free port from $RANDOM, retried
	local try
	for try in $(seq 10); do
		PORT=$((20000 + RANDOM % 40000))
		# shellcheck disable=SC2046
		$(sim_cmd) "$SIM" --socket "$SOCK" --control "$CTL" --verbose --port "$PORT" \
			--state "$KEYS" --seed 7 --time-scale 0.02 "$@" 2>>"$REKAM_TMP/sim.log" &
		SIM_PID=$!
		wait_sim && return 0
	done
	sim_failed rekam-sim-biometric
}

sbi() { # sbi VERB PATH [BODY]: curl to the simulator, the answer on stdout
	if [ $# -ge 3 ]; then
		curl -s --max-time 20 -X "$1" -d "$3" "http://127.0.0.1:$PORT$2"
	else
		curl -s --max-time 20 -X "$1" "http://127.0.0.1:$PORT$2"
	fi
}

capture_body() { # capture_body TYPE COUNT DEVICE SUB "EXCEPTIONS" [TID [PREV]]
	printf '{"env":"Developer","purpose":"Registration","specVersion":"0.9.5","timeout":"10000",'
	printf '"captureTime":"2026-01-05T09:00:00Z","transactionId":"%s","bio":[{"type":"%s",' \
		"${6:-tx-test}" "$1"
	printf '"count":"%s","exception":[%s],"requestedScore":"40","deviceId":"%s",' "$2" "$5" "$3"
	printf '"deviceSubId":"%s","previousHash":"%s"}],"customOpts":null}' "$4" "${7:-}"
}

# check_json DESCRIPTION FILE PYTHON: PYTHON (an expression or statements
# setting `ok`) sees the parsed answer as `r` and the helpers below.
check_json() {
	local out
	out=$(python3 - "$2" "$3" "$SAMPLES" <<'EOF'
import base64, hashlib, json, struct, sys

def b64(s):
    return base64.urlsafe_b64decode(s + '=' * (-len(s) % 4))

def jws(token):
    h, p, s = token.split('.')
    return json.loads(b64(h)), json.loads(b64(p))

def png_size(data):
    assert data[:8] == b'\x89PNG\r\n\x1a\n'
    return struct.unpack('>II', data[16:24])

def chain(items, prev=''):
    prev = hashlib.sha256(b'').digest() if not prev else bytes.fromhex(prev)
    for b in items:
        value = b64(jws(b['data'])[1]['bioValue'])
        prev = hashlib.sha256(prev + hashlib.sha256(value).digest()).digest()
        if b['hash'] != prev.hex().upper():
            return False
    return True

samples = sys.argv[3]
try:
    r = json.load(open(sys.argv[1]))
except Exception as e:
    print('not JSON: %s' % e)
    sys.exit(1)
ok = False
try:
    code = sys.argv[2]
    if '\n' in code or code.startswith('ok ='):
        exec(code)
    else:
        ok = eval(code)
except Exception as e:
    print('%s: %s' % (type(e).__name__, e))
    sys.exit(1)
sys.exit(0 if ok else 1)
EOF
)
	local rc=$?
	[ -n "$out" ] && diag "$out"
	ok $rc "$1"
}

# --- keys ----------------------------------------------------------------------------
"$SIM" --make-keys "$KEYS"
ok $? "--make-keys writes a test device key"
is "$(stat -c %a "$KEYS/device.key")" 600 "... the key is readable by its owner only"
check "... and device.pem is its certificate" \
	bash -c "openssl x509 -in '$KEYS/device.pem' -noout -pubkey | cmp -s - \
		<(openssl pkey -in '$KEYS/device.key' -pubout)"
"$SIM" --make-keys "/proc/no/such/dir" 2>/dev/null
is $? 73 "--make-keys into an impossible place exits 73"

start_sim
mkdir -p "$SAMPLES"

# --- the documented curl examples ----------------------------------------------------
n=0
while IFS= read -r line; do
	n=$((n + 1))
	cmd=${line//4501/$PORT}
	eval "$cmd" >"$REKAM_TMP/doc$n.json" 2>/dev/null
	ok $? "docs example $n runs: ${line:0:60}..."
done < <(sed -n '/^## Examples with curl/,/^Faults/p' "$DOC" | grep '^curl ')
is "$n" 6 "docs/biometric.md has six curl examples"

check_json "discovery of any biometric device lists the slap scanner and the iris camera" \
	"$REKAM_TMP/doc1.json" "[d['deviceId'] for d in r] == ['1', '2'] and \
	all(d['deviceStatus'] == 'Ready' and d['certification'] == 'L0' and \
	d['deviceSubId'] == [1, 2, 3] and d['callbackId'].startswith('http://127.0.0.1:') and \
	d['specVersion'][0] == '0.9.5' and d['purpose'] == 'Registration' and \
	d['error']['errorCode'] == '0' for d in r)"
check_json "... with unsigned digital ids of type Finger/Slap and Iris/Double" \
	"$REKAM_TMP/doc1.json" "[(json.loads(b64(d['digitalId']))['type'], \
	json.loads(b64(d['digitalId']))['deviceSubType']) for d in r] == \
	[('Finger', 'Slap'), ('Iris', 'Double')] and r[0]['deviceCode'] == 'RKSLAP44200001'"
check_json "discovery of Finger lists only the slap scanner" "$REKAM_TMP/doc2.json" \
	"len(r) == 1 and r[0]['deviceId'] == '1'"
check_json "device info: a JWS per device, RS256 with the certificate in x5c" \
	"$REKAM_TMP/doc3.json" "len(r) == 2 and all(jws(e['deviceInfo'])[0]['alg'] == 'RS256' \
	and len(jws(e['deviceInfo'])[0]['x5c']) == 1 for e in r)"
check_json "... whose payload has status, firmware, env and a signed digital id" \
	"$REKAM_TMP/doc3.json" "all(jws(e['deviceInfo'])[1]['deviceStatus'] == 'Ready' and \
	jws(e['deviceInfo'])[1]['firmware'] and jws(e['deviceInfo'])[1]['env'] == 'Developer' \
	and jws(jws(e['deviceInfo'])[1]['digitalId'])[1]['make'] == 'rekam' for e in r)"
check_json "RCAPTURE of the left slap: four signed fingers in order" "$REKAM_TMP/doc4.json" \
	"[jws(b['data'])[1]['bioSubType'] for b in r['biometrics']] == ['Left IndexFinger', \
	'Left MiddleFinger', 'Left RingFinger', 'Left LittleFinger'] and \
	all(b['error']['errorCode'] == '0' and b['specVersion'] == '0.9.5' for b in r['biometrics'])"
check_json "... each with a quality score, the transaction id and the device code" \
	"$REKAM_TMP/doc4.json" "all(0 <= jws(b['data'])[1]['qualityScore'] <= 100 and \
	jws(b['data'])[1]['transactionId'] == 'tx-0001' and \
	jws(b['data'])[1]['deviceCode'] == 'RKSLAP44200001' and \
	jws(b['data'])[1]['requestedScore'] == 40 for b in r['biometrics'])"
check_json "... and 320x400 PNG images (500 ppi)" "$REKAM_TMP/doc4.json" \
	"all(png_size(b64(jws(b['data'])[1]['bioValue'])) == (320, 400) for b in r['biometrics'])"
check_json "... chained by hash from the empty previousHash" "$REKAM_TMP/doc4.json" \
	"chain(r['biometrics'])"
check_json "the two thumbs" "$REKAM_TMP/doc5.json" \
	"[jws(b['data'])[1]['bioSubType'] for b in r['biometrics']] == ['Left Thumb', 'Right Thumb'] \
	and chain(r['biometrics'])"
check_json "both irises: 640x480 PNG images, chained" "$REKAM_TMP/doc6.json" \
	"[jws(b['data'])[1]['bioSubType'] for b in r['biometrics']] == ['Left', 'Right'] and \
	all(png_size(b64(jws(b['data'])[1]['bioValue'])) == (640, 480) for b in r['biometrics']) \
	and chain(r['biometrics'])"
check_json "one fingerprint and one iris are saved for a person to look at" "$REKAM_TMP/doc4.json" \
	"ok = True
open(samples + '/fingerprint-left-index.png', 'wb').write(b64(jws(r['biometrics'][0]['data'])[1]['bioValue']))
i = json.load(open(sys.argv[1].replace('doc4', 'doc6')))
open(samples + '/iris-left.png', 'wb').write(b64(jws(i['biometrics'][0]['data'])[1]['bioValue']))"
check "... as $SAMPLES/fingerprint-left-index.png and iris-left.png" \
	test -s "$SAMPLES/fingerprint-left-index.png" -a -s "$SAMPLES/iris-left.png"

# --- a signature checked by a third party: the openssl command line -------------------------
python3 - "$REKAM_TMP/doc4.json" "$REKAM_TMP" <<'EOF'
import base64, json, sys
r = json.load(open(sys.argv[1]))
tok = r['biometrics'][0]['data']
h, p, s = tok.split('.')
b64 = lambda x: base64.urlsafe_b64decode(x + '=' * (-len(x) % 4))
hdr = json.loads(b64(h))
d = sys.argv[2]
open(d + '/x5c.pem', 'w').write('-----BEGIN CERTIFICATE-----\n' + hdr['x5c'][0] +
                                '\n-----END CERTIFICATE-----\n')
open(d + '/input', 'w').write(h + '.' + p)
open(d + '/sig', 'wb').write(b64(s))
open(d + '/input-tampered', 'w').write(h + '.' + p[:-2] + ('A' if p[-2] != 'A' else 'B') + p[-1])
EOF
openssl x509 -in "$REKAM_TMP/x5c.pem" -noout -pubkey >"$REKAM_TMP/pub.pem" 2>/dev/null
check "openssl verifies the RS256 signature of a data block with the x5c certificate" \
	openssl dgst -sha256 -verify "$REKAM_TMP/pub.pem" -signature "$REKAM_TMP/sig" "$REKAM_TMP/input"
check_fails "... and refuses it over a changed payload" \
	openssl dgst -sha256 -verify "$REKAM_TMP/pub.pem" -signature "$REKAM_TMP/sig" \
	"$REKAM_TMP/input-tampered"
check "... the x5c certificate is the device's" cmp -s <(openssl x509 -in "$REKAM_TMP/x5c.pem" \
	-outform DER) <(openssl x509 -in "$KEYS/device.pem" -outform DER)

# --- chaining, exceptions, scores ----------------------------------------------------------
prev=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['biometrics'][-1]['hash'])" \
	"$REKAM_TMP/doc4.json")
sbi RCAPTURE /capture "$(capture_body Finger 3 1 2 '"Right RingFinger"' tx-0004 "$prev")" \
	>"$REKAM_TMP/exc.json"
check_json "the right slap with the ring finger as exception gives three fingers" \
	"$REKAM_TMP/exc.json" "[jws(b['data'])[1]['bioSubType'] for b in r['biometrics']] == \
	['Right IndexFinger', 'Right MiddleFinger', 'Right LittleFinger']"
check_json "... chained on the previous capture's last hash" "$REKAM_TMP/exc.json" \
	"chain(r['biometrics'], '$prev')"
sbi RCAPTURE /capture "$(capture_body Finger 4 1 2 '"Right RingFinger"')" >"$REKAM_TMP/cnt.json"
check_json "a count that ignores the exception is refused with 109" "$REKAM_TMP/cnt.json" \
	"r['biometrics'][0]['error']['errorCode'] == '109'"

like "$(sim_ctl 'score left-index 35' 'score left-ring 90')" "^OK score left-index=35" \
	"score left-index 35 is accepted"
sbi RCAPTURE /capture "$(capture_body Finger 4 1 1 '')" >"$REKAM_TMP/score.json"
check_json "... and the next capture reports 35 and 90" "$REKAM_TMP/score.json" \
	"[jws(b['data'])[1]['qualityScore'] for b in r['biometrics']][0::2] == [35, 90]"
like "$(sim_ctl 'missing left-middle')" "^OK" "missing left-middle is accepted"
sbi RCAPTURE /capture "$(capture_body Finger 4 1 1 '')" >"$REKAM_TMP/miss.json"
check_json "... and the middle finger comes back as error 101 without data" \
	"$REKAM_TMP/miss.json" "r['biometrics'][1]['error']['errorCode'] == '101' and \
	r['biometrics'][1]['data'] == '' and len(r['biometrics']) == 4"
like "$(sim_ctl 'reset' 'low-quality')" "OK low-quality=1" "low-quality arms one capture"
sbi RCAPTURE /capture "$(capture_body Iris 2 2 3 '')" >"$REKAM_TMP/low.json"
check_json "... which scores 10 to 30" "$REKAM_TMP/low.json" \
	"all(10 <= jws(b['data'])[1]['qualityScore'] <= 30 for b in r['biometrics'])"

# --- determinism ------------------------------------------------------------------------
sbi RCAPTURE /capture "$(capture_body Finger 4 1 1 '' tx-0001)" >"$REKAM_TMP/again.json"
check_json "the same applicant (seed) again: the same scores and the same image bytes" \
	"$REKAM_TMP/again.json" "ok = True
a = json.load(open(sys.argv[1].replace('again', 'doc4')))
for x, y in zip(a['biometrics'], r['biometrics']):
    px, py = jws(x['data'])[1], jws(y['data'])[1]
    if px['qualityScore'] != py['qualityScore'] or px['bioValue'] != py['bioValue']:
        ok = False"
sim_ctl 'seed 8' >/dev/null
sbi RCAPTURE /capture "$(capture_body Finger 4 1 1 '' tx-0001)" >"$REKAM_TMP/other.json"
check_json "another applicant (seed 8): other fingers" "$REKAM_TMP/other.json" "ok = True
a = json.load(open(sys.argv[1].replace('other', 'doc4')))
for x, y in zip(a['biometrics'], r['biometrics']):
    if jws(x['data'])[1]['bioValue'] == jws(y['data'])[1]['bioValue']:
        ok = False"
sim_ctl 'seed 7' >/dev/null

# --- faults -----------------------------------------------------------------------------------
sim_ctl 'busy on' >/dev/null
sbi MOSIPDISC /device '{"type":"Iris"}' >"$REKAM_TMP/busy-disc.json"
check_json "busy: discovery says Busy with error 111" "$REKAM_TMP/busy-disc.json" \
	"r[0]['deviceStatus'] == 'Busy' and r[0]['error']['errorCode'] == '111'"
sbi RCAPTURE /capture "$(capture_body Iris 2 2 3 '')" >"$REKAM_TMP/busy.json"
check_json "... and a capture is refused with 111" "$REKAM_TMP/busy.json" \
	"r['biometrics'][0]['error']['errorCode'] == '111'"
sim_ctl 'busy off' 'not-ready' >/dev/null
sbi RCAPTURE /capture "$(capture_body Iris 2 2 3 '')" >"$REKAM_TMP/nr.json"
check_json "not-ready: a capture is refused with 110" "$REKAM_TMP/nr.json" \
	"r['biometrics'][0]['error']['errorCode'] == '110'"
sim_ctl 'reset' 'not-registered' >/dev/null
sbi MOSIPDINFO /info >"$REKAM_TMP/nreg.json"
check_json "not-registered: device info is unsigned, status Not Registered, error 100" \
	"$REKAM_TMP/nreg.json" "'.' not in r[0]['deviceInfo'] and \
	json.loads(b64(r[0]['deviceInfo']))['deviceStatus'] == 'Not Registered' and \
	r[0]['error']['errorCode'] == '100'"
sim_ctl 'reset' 'fail 102' >/dev/null
sbi RCAPTURE /capture "$(capture_body Iris 1 2 1 '')" >"$REKAM_TMP/fail.json"
check_json "the common fail 102: the next capture is refused with error 102" "$REKAM_TMP/fail.json" \
	"r['biometrics'][0]['error']['errorCode'] == '102'"
sim_ctl 'bad-signature' >/dev/null
sbi RCAPTURE /capture "$(capture_body Iris 1 2 1 '')" >"$REKAM_TMP/bad.json"
python3 - "$REKAM_TMP/bad.json" "$REKAM_TMP" <<'EOF'
import json, sys, base64
tok = json.load(open(sys.argv[1]))['biometrics'][0]['data']
h, p, s = tok.split('.')
open(sys.argv[2] + '/input', 'w').write(h + '.' + p)
open(sys.argv[2] + '/sig', 'wb').write(base64.urlsafe_b64decode(s + '=' * (-len(s) % 4)))
EOF
check_fails "bad-signature: openssl finds the signature wrong" \
	openssl dgst -sha256 -verify "$REKAM_TMP/pub.pem" -signature "$REKAM_TMP/sig" "$REKAM_TMP/input"
sim_ctl 'unsigned' >/dev/null
sbi RCAPTURE /capture "$(capture_body Iris 1 2 1 '')" >"$REKAM_TMP/unsigned.json"
check_json "unsigned: the data block is a bare base64url payload" "$REKAM_TMP/unsigned.json" \
	"'.' not in r['biometrics'][0]['data'] and \
	json.loads(b64(r['biometrics'][0]['data']))['bioSubType'] == 'Left'"
sim_ctl 'drop' >/dev/null
curl -s --max-time 20 -X MOSIPDINFO "http://127.0.0.1:$PORT/info" >/dev/null
is $? 52 "drop: the connection is closed without an answer (curl: empty reply)"
check "... once" sh -c "curl -s -X MOSIPDINFO http://127.0.0.1:$PORT/info | grep -q deviceInfo"
sim_ctl 'slow 100000' >/dev/null
curl -s --max-time 1 -X RCAPTURE -d "$(capture_body Iris 1 2 1 '')" \
	"http://127.0.0.1:$PORT/capture" >/dev/null
is $? 28 "slow: a capture outlasts the client's timeout"
check "... and the abandoned capture frees the device" \
	wait_for 5 sh -c "printf 'status\n' | socat - UNIX-CONNECT:$CTL | grep -q capturing=no"
sim_ctl 'reset' >/dev/null

# --- malformed requests ---------------------------------------------------------------------
code() { curl -s -o "$REKAM_TMP/body" -w '%{http_code}' "$@"; }
is "$(code -X MOSIPDISC -d '{"type":' "http://127.0.0.1:$PORT/device")" 400 \
	"malformed discovery JSON: 400"
is "$(code -X MOSIPDISC -d '{"type":"Palm"}' "http://127.0.0.1:$PORT/device")" 400 \
	"an unknown discovery type: 400"
sbi RCAPTURE /capture '[1,2' >"$REKAM_TMP/m.json"
check_json "malformed capture JSON: an SBI error" "$REKAM_TMP/m.json" \
	"r['biometrics'][0]['error']['errorCode'] == '500'"
sbi RCAPTURE /capture "$(capture_body Finger 4 1 1 '' 'x')" >"$REKAM_TMP/m.json"
check_json "a too short transactionId: error 112" "$REKAM_TMP/m.json" \
	"r['biometrics'][0]['error']['errorCode'] == '112'"
sbi RCAPTURE /capture "$(capture_body Finger 4 9 1 '')" >"$REKAM_TMP/m.json"
check_json "an unknown deviceId: error 106" "$REKAM_TMP/m.json" \
	"r['biometrics'][0]['error']['errorCode'] == '106'"
sbi RCAPTURE /capture "$(capture_body Finger 4 1 1 '"Left Pinky"')" >"$REKAM_TMP/m.json"
check_json "an unknown exception name: an SBI error" "$REKAM_TMP/m.json" \
	"r['biometrics'][0]['error']['errorCode'] == '500'"
sbi RCAPTURE /capture '{"bio":[{"type":"Finger","count":4,"deviceId":1}]}' >"$REKAM_TMP/m.json"
check_json "a wrong type (deviceId as a number): an SBI error" "$REKAM_TMP/m.json" \
	"r['biometrics'][0]['error']['errorCode'] in ('106', '500')"
head -c 70000 /dev/zero | tr '\0' 'x' >"$REKAM_TMP/big"
is "$(code -X RCAPTURE --data-binary @"$REKAM_TMP/big" "http://127.0.0.1:$PORT/capture")" 413 \
	"a 70000-byte body: 413"
is "$(code -X RCAPTURE -H 'Transfer-Encoding: chunked' -d '{}' \
	"http://127.0.0.1:$PORT/capture")" 411 "a chunked body: 411"
is "$(code -X MOSIPDISC "http://127.0.0.1:$PORT/nothing")" 404 "an unknown path: 404"
is "$(code -X GET "http://127.0.0.1:$PORT/capture")" 405 "GET /capture: 405"
sbi CAPTURE /capture "$(capture_body Finger 4 1 1 '')" >"$REKAM_TMP/m.json"
check_json "authentication CAPTURE is refused with a reason" "$REKAM_TMP/m.json" \
	"'RCAPTURE' in r['biometrics'][0]['error']['errorInfo']"
check "after all that, discovery still works" \
	sh -c "curl -s -X MOSIPDISC http://127.0.0.1:$PORT/device | grep -q RKIRIS02000001"

like "$(sim_ctl status)" "requests=[0-9]+ captures=[0-9]+ capturing=no" \
	"status counts requests and captures"
stop_sim
is "$SIM_STATUS" 0 "the simulator stops cleanly on SIGTERM"

# --- fingers as ISO/IEC 19794-4:2011 records ------------------------------------------------
start_sim --bio-format iso
sbi RCAPTURE /capture "$(capture_body Finger 2 1 3 '')" >"$REKAM_TMP/iso.json"
check_json "--bio-format iso: each thumb is an ISO/IEC 19794-4:2011 finger record" \
	"$REKAM_TMP/iso.json" "ok = True
for b in r['biometrics']:
    v = b64(jws(b['data'])[1]['bioValue'])
    ok = ok and v[:8] == b'FIR\\x00020\\x00' and struct.unpack('>I', v[8:12])[0] == len(v)"
check_json "... with the finger position, 500 ppi, compression PNG and the PNG inside" \
	"$REKAM_TMP/iso.json" "ok = True
for b, pos in zip(r['biometrics'], (6, 1)):
    v = b64(jws(b['data'])[1]['bioValue'])
    h = v[16 + 24:]
    ok = ok and h[0] == pos and struct.unpack('>H', h[7:9])[0] == 500 and h[12] == 6 \\
        and png_size(h[22:]) == (320, 400) and struct.unpack('>I', h[18:22])[0] == len(h) - 22"
check_json "... and the hash chain runs over the ISO records" "$REKAM_TMP/iso.json" \
	"chain(r['biometrics'])"
stop_sim
is "$SIM_STATUS" 0 "... and that simulator stops cleanly too"
if [ "${REKAM_TEST_VALGRIND:-0}" = 1 ]; then
	check "valgrind found no error in the simulator" \
		sh -c "! grep -l 'ERROR SUMMARY: [1-9]' $REKAM_TMP/valgrind-sim.*.log"
fi
done_testing
