#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# tests/integration/test-sim-scanner.sh - rekam-sim-scanner on its own (no
# bus), driven by the real third-party client: scanimage through sane-airscan,
# pointed at the simulator by a private SANE_CONFIG_DIR (no system-wide
# config). A page from the glass, a two-page F1.02 from the feeder, the same
# bytes under the same seed, and each fault as SANE reports it: jam, empty
# feeder, open cover, busy (retried), a dropped transfer, unplug and replug;
# malformed HTTP requests change nothing.
. "${REKAM_TEST_LIB:-$(dirname "$0")/lib.sh}"

require_tools scanimage socat curl od timeout
[ -e /usr/lib/x86_64-linux-gnu/sane/libsane-airscan.so.1 ] ||
	ls /usr/lib/*/sane/libsane-airscan.so* >/dev/null 2>&1 ||
	skip_all "sane-airscan is not installed"

top_builddir=${top_builddir:-$(cd "$(dirname "$0")/../.." && pwd)}
REKAM_SIM_SCANNER=${REKAM_SIM_SCANNER:-$top_builddir/simulators/rekam-sim-scanner}
[ -x "$REKAM_SIM_SCANNER" ] || bail "rekam-sim-scanner is not built at $REKAM_SIM_SCANNER"

SOCK=$REKAM_TMP/scn.sock
CTL=$REKAM_TMP/scn.ctl
SANE_DIR=$REKAM_TMP/sane
PORT=
mkdir -p "$SANE_DIR"

start_sim() { # start_sim [ARGS...]: on a free port the simulator picks
	# shellcheck disable=SC2046
	$(sim_cmd) "$REKAM_SIM_SCANNER" --socket "$SOCK" --control "$CTL" --verbose \
		--port 0 "$@" 2>>"$REKAM_TMP/sim.log" &
	SIM_PID=$!
	for _ in $(seq 400); do
		[ -S "$CTL" ] && break
		kill -0 "$SIM_PID" 2>/dev/null || break
		sleep 0.05
	done
	# the socket file appears at bind(), a moment before listen(): ask until it answers
	for _ in $(seq 100); do
		PORT=$(status_of escl | sed -n 's|^http://127.0.0.1:\([0-9]*\)/eSCL$|\1|p')
		[ -n "$PORT" ] && break
		sleep 0.05
	done
	[ -n "$PORT" ] || { sed 's/^/# sim: /' "$REKAM_TMP/sim.log"; bail "rekam-sim-scanner did not start"; }
	# the private SANE configuration: only airscan, only the simulator
	echo airscan >"$SANE_DIR/dll.conf"
	printf '[devices]\n"Rekam Sim" = http://127.0.0.1:%s/eSCL, eSCL\n[options]\ndiscovery = disable\n' \
		"$PORT" >"$SANE_DIR/airscan.conf"
}

status_of() { # status_of KEY: one value of the control status line
	sim_ctl status | tr ' ' '\n' | sed -n "s/^$1=//p"
}

# A scan takes seconds, but the simulator under valgrind on a busy machine
# draws a page many times slower: the limit only catches a hang.
scan_limit=60
[ "${REKAM_TEST_VALGRIND:-0}" = 1 ] && scan_limit=300

scan() { # scan ARGS...: scanimage on the simulator; output in $REKAM_TMP/scan.out
	SANE_CONFIG_DIR=$SANE_DIR timeout -k 2 "$scan_limit" scanimage -d "airscan:e0:Rekam Sim" \
		"$@" >"$REKAM_TMP/scan.out" 2>&1
}

png_size() { # the WxH of a PNG (IHDR)
	od -An -tu1 -j16 -N8 "$1" | awk '{ printf "%dx%d\n", $1 * 16777216 + $2 * 65536 + $3 * 256 + $4, $5 * 16777216 + $6 * 65536 + $7 * 256 + $8 }'
}

png_colour_type() { # 0 grey, 2 RGB
	od -An -tu1 -j25 -N1 "$1" | tr -d ' '
}

# --- command line --------------------------------------------------------------
out=$("$REKAM_SIM_SCANNER" --help)
is "$?" 0 "--help exits 0"
for word in --socket --control --port --adf --document --nik --name --seed --time-scale \
	"Exit status" load jam cover-open empty busy slow drop clear scanimage eSCL; do
	like "$out" "$word" "--help documents $word"
done
like "$("$REKAM_SIM_SCANNER" --version)" "^rekam-sim-scanner [0-9]+\.[0-9]+\.[0-9]+$" "--version"
for bad in "--adf 51" "--document passport" "--port 70000" "--nik 123" "--name lower"; do
	# shellcheck disable=SC2086
	"$REKAM_SIM_SCANNER" --socket "$SOCK" --control "$CTL" $bad 2>"$REKAM_TMP/err"
	is "$?" 64 "$bad: exit 64"
done

# --- a page from the glass ---------------------------------------------------------
start_sim --seed 7 --time-scale 0.01 --nik 6305014206960001 --name "SITI AMINAH"
like "$(socat -t 2 - "UNIX-CONNECT:$SOCK" </dev/null)" \
	"^ESCL http://127\.0\.0\.1:$PORT/eSCL REKAM DS-A4 SIM RKS-[0-9A-F]{8}$" \
	"the device socket says where the scanner listens"
is "$(status_of nik)" "6305014206960001" "the applicant's NIK comes from --nik"

SANE_CONFIG_DIR=$SANE_DIR timeout 30 scanimage -L >"$REKAM_TMP/list.out" 2>&1
like "$(cat "$REKAM_TMP/list.out")" "airscan:e0:Rekam Sim" "scanimage -L finds the simulator"
scan -A
like "$(cat "$REKAM_TMP/scan.out")" "--source Flatbed.ADF" "sane-airscan offers the flatbed and the feeder"
like "$(cat "$REKAM_TMP/scan.out")" "--resolution 75.100.150.200.300.600dpi" "... and the resolutions"
like "$(cat "$REKAM_TMP/scan.out")" "--mode Color.Gray" "... and colour and grey"

scan --resolution 100 --format png -o "$REKAM_TMP/glass.png"
is "$?" 0 "scanimage scans the glass"
is "$(od -An -tx1 -N8 "$REKAM_TMP/glass.png" | tr -d ' \n')" "89504e470d0a1a0a" "... into a PNG"
is "$(png_size "$REKAM_TMP/glass.png")" "850x1169" "... of the whole glass at 100 dpi"
is "$(png_colour_type "$REKAM_TMP/glass.png")" 2 "... in colour"
is "$(status_of pages)" 1 "the simulator scanned one page"
is "$(status_of last-document)" f102 "... of the F1.02 form"
is "$(status_of last-size)" 850x1169 "... at that size"

sim_ctl "seed 7" >/dev/null
scan --resolution 100 --format pnm -o "$REKAM_TMP/a.pnm"
sha_a=$(status_of last-sha256)
sim_ctl "seed 7" >/dev/null
scan --resolution 100 --format pnm -o "$REKAM_TMP/b.pnm"
is "$(status_of last-sha256)" "$sha_a" "the same seed gives the same JPEG bytes"
check "... and scanimage the same image" cmp "$REKAM_TMP/a.pnm" "$REKAM_TMP/b.pnm"
bytes_clean=$(status_of last-bytes)
sim_ctl "seed 7" "quality 10" >/dev/null
scan --resolution 100 --format pnm -o "$REKAM_TMP/noisy.pnm"
check "quality 10: a noisier sensor gives a larger JPEG ($bytes_clean before)" \
	test "$(status_of last-bytes)" -gt "$bytes_clean"
sim_ctl "quality 100" >/dev/null

is "$(sim_ctl "document kk")" "OK platen=kk" "document kk"
scan --resolution 75 --mode Gray -l 0 -t 0 -x 100 -y 50 --format png -o "$REKAM_TMP/kk.png"
is "$?" 0 "a grey scan of part of the family card"
is "$(png_colour_type "$REKAM_TMP/kk.png")" 0 "... is grey"
is "$(status_of last-mode)" gray "... the simulator scanned in grey"
is "$(status_of last-document)" kk "... the family card"

# --- the feeder --------------------------------------------------------------------------
is "$(sim_ctl "load 2 f102")" "OK adf=2 document=f102" "two sheets of F1.02 in the feeder"
rm -f "$REKAM_TMP"/adf-*.png
scan --source ADF --resolution 100 --format png --batch="$REKAM_TMP/adf-%d.png"
like "$(cat "$REKAM_TMP/scan.out")" "Batch terminated, 2 pages scanned" \
	"scanimage --batch scans both pages and stops at the empty feeder"
check "page 1 saved" test -s "$REKAM_TMP/adf-1.png"
check "page 2 saved" test -s "$REKAM_TMP/adf-2.png"
check_fails "the two pages differ (the form's two sides)" cmp -s "$REKAM_TMP/adf-1.png" \
	"$REKAM_TMP/adf-2.png"
is "$(status_of adf-state)" ScannerAdfEmpty "the feeder is empty"

# --- a PDF of the feeder (eSCL itself, with curl) -------------------------------------------
unlike "$(cat "$REKAM_TMP/sim.log")" "job [0-9]+: [a-z]+, [a-z]+, pdf" "sane-airscan asks for JPEG pages, not PDF"
sim_ctl "load 2 f102" >/dev/null
settings='<?xml version="1.0"?><scan:ScanSettings xmlns:scan="http://schemas.hp.com/imaging/escl/2011/05/03" xmlns:pwg="http://www.pwg.org/schemas/2010/12/sm"><pwg:Version>2.63</pwg:Version><pwg:InputSource>Feeder</pwg:InputSource><scan:ColorMode>Grayscale8</scan:ColorMode><scan:XResolution>75</scan:XResolution><scan:YResolution>75</scan:YResolution><pwg:DocumentFormat>application/pdf</pwg:DocumentFormat></scan:ScanSettings>'
job=$(curl -s -D - -o /dev/null -X POST -H 'Content-Type: text/xml' --data "$settings" \
	"http://127.0.0.1:$PORT/eSCL/ScanJobs" | tr -d '\r' | sed -n 's/^Location: //Ip')
like "$job" "^http://127\.0\.0\.1:$PORT/eSCL/ScanJobs/[0-9a-f-]{36}$" "a PDF job: 201 with a Location"
is "$(curl -s -o "$REKAM_TMP/feeder.pdf" -w '%{http_code} %{content_type}' "$job/NextDocument")" \
	"200 application/pdf" "NextDocument sends the document as a PDF"
is "$(head -c 8 "$REKAM_TMP/feeder.pdf")" "%PDF-1.4" "... a PDF"
like "$(tr -c '[:print:]' '\n' <"$REKAM_TMP/feeder.pdf")" "/Count 2" "... of both sheets"
like "$(tr -c '[:print:]' '\n' <"$REKAM_TMP/feeder.pdf")" "/DeviceGray /BitsPerComponent 8 /Filter /DCTDecode" \
	"... grey JPEG pages"
is "$(curl -s -o /dev/null -w '%{http_code}' "$job/NextDocument")" 404 "... and then 404: no more"
is "$(curl -s -o /dev/null -w '%{http_code}' -X DELETE "$job")" 200 "DELETE of the job: 200"

# --- faults -------------------------------------------------------------------------------
sim_ctl "load 3 kk" >/dev/null
is "$(sim_ctl "jam 2")" "OK the feeder jams at page 2 of the next job" "jam 2"
scan --source ADF --resolution 75 --format png --batch="$REKAM_TMP/jam-%d.png"
like "$(cat "$REKAM_TMP/scan.out")" "Document feeder jammed" "scanimage reports the jam"
like "$(cat "$REKAM_TMP/scan.out")" "1 page scanned" "... after the first page"
is "$(status_of adf-state)" ScannerAdfJam "ScannerStatus says ScannerAdfJam"
scan --source ADF --resolution 75 --format png --batch="$REKAM_TMP/jam2-%d.png"
like "$(cat "$REKAM_TMP/scan.out")" "Document feeder jammed" "it stays jammed until cleared"
is "$(sim_ctl clear)" "OK adf-state=ScannerAdfLoaded" "clear"

is "$(sim_ctl empty)" "OK adf=0" "empty"
scan --source ADF --resolution 75 --format png --batch="$REKAM_TMP/empty-%d.png"
like "$(cat "$REKAM_TMP/scan.out")" "Document feeder out of documents" "an empty feeder: out of documents"

sim_ctl "load 1" >/dev/null
is "$(sim_ctl cover-open)" "OK adf-state=ScannerAdfDoorOpen" "cover-open"
scan --source ADF --resolution 75 --format png --batch="$REKAM_TMP/cover-%d.png"
like "$(cat "$REKAM_TMP/scan.out")" "Scanner cover is open" "an open cover: scanimage says so"
sim_ctl clear >/dev/null

is "$(sim_ctl busy)" "OK the next 1 ScanJobs request(s) answer 503" "busy"
scan --resolution 75 --format png -o "$REKAM_TMP/busy.png"
is "$?" 0 "busy once: sane-airscan retries and scans"
is "$(status_of busy)" 0 "... the 503 was used"

is "$(sim_ctl drop)" "OK the next page stops halfway and the connection closes" "drop"
scan --resolution 75 --format png -o "$REKAM_TMP/drop.png"
like "$(cat "$REKAM_TMP/scan.out")" "Error during device I/O" "a dropped page: an I/O error"
like "$(cat "$REKAM_TMP/sim.log")" "drop: the page stops halfway" "... the simulator dropped it"

is "$(sim_ctl "fail E7")" "OK fail=E7" "fail E7"
scan --resolution 75 --format png -o "$REKAM_TMP/fail.png"
like "$(cat "$REKAM_TMP/scan.out")" "Error during device I/O" "an injected failure: an I/O error"
scan --resolution 75 --format png -o "$REKAM_TMP/after.png"
is "$?" 0 "the next scan works"

# --- malformed requests -----------------------------------------------------------------------
base=http://127.0.0.1:$PORT/eSCL
is "$(curl -s -o /dev/null -w '%{http_code}' "$base/Nothing")" 404 "an unknown resource: 404"
is "$(curl -s -o /dev/null -w '%{http_code}' -X POST --data 'garbage' "$base/ScanJobs")" 409 \
	"a POST without ScanSettings: 409"
is "$(curl -s -o /dev/null -w '%{http_code}' -X POST --data \
	'<scan:ScanSettings><scan:XResolution>123</scan:XResolution></scan:ScanSettings>' \
	"$base/ScanJobs")" 409 "an unsupported resolution: 409"
is "$(curl -s -o /dev/null -w '%{http_code}' -X POST "$base/ScanJobs")" 400 "an empty POST: 400"
is "$(curl -s -o /dev/null -w '%{http_code}' "$base/ScanJobs/nope/NextDocument")" 404 \
	"NextDocument of an unknown job: 404"
is "$(curl -s -o /dev/null -w '%{http_code}' -X PUT "$base/ScannerStatus")" 501 \
	"a method eSCL does not use: 501"
like "$(curl -s "$base/ScannerStatus")" "<pwg:State>Idle</pwg:State>" "the scanner is still idle"
check "the simulator survives" kill -0 "$SIM_PID"

# --- unplug -------------------------------------------------------------------------------------
is "$(sim_ctl unplug)" "OK unplugged" "unplug"
check "the eSCL port closes" wait_for 5 sh -c "! curl -s -o /dev/null $base/ScannerStatus"
scan --resolution 75 --format png -o "$REKAM_TMP/gone.png"
check_fails "scanimage cannot scan an unplugged scanner" test "$?" = 0
is "$(sim_ctl replug)" "OK plugged" "replug"
check "the eSCL port opens again on the same port" wait_for 5 curl -s -o /dev/null "$base/ScannerStatus"
scan --resolution 75 --format png -o "$REKAM_TMP/back.png"
is "$?" 0 "scanimage scans after replug"

# --- stopping -------------------------------------------------------------------------------------
stop_sim
is "$SIM_STATUS" 0 "SIGTERM stops it with 0"
check_fails "... removing the control socket" test -e "$CTL"

if [ "${REKAM_TEST_VALGRIND:-0}" = 1 ]; then
	check "valgrind found no errors in the simulator" \
		sh -c "! grep -q . $REKAM_TMP/valgrind-sim.*.log"
	sed 's/^/# /' "$REKAM_TMP"/valgrind-sim.*.log | head -60
fi
done_testing
