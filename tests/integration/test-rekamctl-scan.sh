#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# tests/integration/test-rekamctl-scan.sh - what an operator does at the
# scanner, with rekamctl: rekam-sim-scanner reached by rekamd's scanner-sane
# plugin through sane-airscan (SANE_CONFIG_DIR set for rekamd only), a
# two-page F1.02 from the feeder saved with --save as PNG files a person can
# open (A4 at the resolution asked, the dpi in pHYs), the PDF beside them,
# and a jam as rekamctl shows it. REKAM_TEST_VALGRIND=1 runs rekamd and
# rekamctl under valgrind.
. "${REKAM_TEST_LIB:-$(dirname "$0")/lib.sh}"

require_tools socat od busctl
ls /usr/lib/*/sane/libsane-airscan.so* >/dev/null 2>&1 || skip_all "sane-airscan is not installed"

top_builddir=${top_builddir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
REKAM_SIM_SCANNER=${REKAM_SIM_SCANNER:-$top_builddir/simulators/rekam-sim-scanner}
PLUGINS=${REKAM_PLUGIN_DIR:-$top_builddir/plugins/built}
[ -x "$REKAM_SIM_SCANNER" ] || bail "rekam-sim-scanner is not built at $REKAM_SIM_SCANNER"
[ -x "$REKAMCTL" ] || bail "rekamctl is not built at $REKAMCTL"

SOCK=$REKAM_TMP/scn.sock
CTL=$REKAM_TMP/scn.ctl
SAVE=$REKAM_TMP/scans

device_state() {
	busctl --user get-property "$REKAM_NAME" "$REKAM_PATH/devices/scanner0" \
		"$REKAM_NAME.Device" State 2>/dev/null | sed -n 's/^s "\(.*\)"$/\1/p'
}

state_is() {
	[ "$(device_state)" = "$1" ]
}

png_size() { # the WxH of a PNG (IHDR)
	od -An -tu1 -j16 -N8 "$1" | awk '{ printf "%dx%d\n", $1 * 16777216 + $2 * 65536 + $3 * 256 + $4, $5 * 16777216 + $6 * 65536 + $7 * 256 + $8 }'
}

png_ppm() { # the pixels per metre of a PNG's pHYs chunk (right after IHDR here)
	od -An -v -tu1 "$1" | tr -s ' \n' '\n\n' | awk '
		NF { b[n++] = $1 }
		END {
			for (i = 8; i + 8 < n; ) {
				len = b[i] * 16777216 + b[i + 1] * 65536 + b[i + 2] * 256 + b[i + 3]
				t = sprintf("%c%c%c%c", b[i + 4], b[i + 5], b[i + 6], b[i + 7])
				if (t == "pHYs") { print b[i + 8] * 16777216 + b[i + 9] * 65536 + b[i + 10] * 256 + b[i + 11]; exit 0 }
				if (t == "IDAT") exit 1
				i += 12 + len
			}
			exit 1
		}'
}

# --- the scanner and its private SANE configuration --------------------------------
# shellcheck disable=SC2046
$(sim_cmd) "$REKAM_SIM_SCANNER" --socket "$SOCK" --control "$CTL" --port 0 --seed 5 \
	--time-scale 0.01 --adf 2 --document f102 2>>"$REKAM_TMP/sim.log" &
SIM_PID=$!
wait_for 10 test -S "$CTL" || bail "rekam-sim-scanner did not start"
escl=
for _ in $(seq 100); do # the socket file appears a moment before the simulator listens
	escl=$(sim_ctl status 2>/dev/null | tr ' ' '\n' | sed -n 's/^escl=//p')
	[ -n "$escl" ] && break
	sleep 0.05
done
[ -n "$escl" ] || bail "rekam-sim-scanner does not answer on its control socket"
mkdir -p "$REKAM_TMP/sane"
echo airscan >"$REKAM_TMP/sane/dll.conf"
printf '[devices]\n"Front desk" = %s, eSCL\n[options]\ndiscovery = disable\n' "$escl" \
	>"$REKAM_TMP/sane/airscan.conf"

start_bus
write_config "[device scanner]" "plugin = scanner-sane" \
	"connection = sane:airscan:e0:Front desk" "resolution = 100"
export SANE_CONFIG_DIR=$REKAM_TMP/sane
export VALGRIND_OPTS="--suppressions=$top_srcdir/tests/integration/scanner-sane.supp"
export LSAN_OPTIONS="suppressions=$top_srcdir/tests/integration/scanner-sane.lsan:print_suppressions=0"
start_rekamd --session --state-dir "$REKAM_TMP/state" --config "$REKAM_TMP/rekamd.conf" \
	--plugin-dir "$PLUGINS"
check "the scanner is opened" wait_for 30 state_is idle

run_ctl --session devices scanner0
is "$RC" 0 "rekamctl devices scanner0"
like "$OUT" "Front desk" "... shows the scanner sane-airscan found"

# --- a two-page F1.02, saved ----------------------------------------------------------
run_ctl --session capture scanner0 --option source=adf --option document=f102 \
	--option pdf=true --save="$SAVE"
is "$RC" 0 "rekamctl capture --save scans the F1.02 from the feeder"
like "$OUT" "3 artifacts" "... three artifacts: two pages and the PDF"
check "page 1 saved as f102.png" test -s "$SAVE/f102.png"
check "page 2 saved as f102-2.png" test -s "$SAVE/f102-2.png"
check "the PDF saved as f102-3.pdf" test -s "$SAVE/f102-3.pdf"
is "$(od -An -tx1 -N8 "$SAVE/f102.png" | tr -d ' \n')" "89504e470d0a1a0a" "f102.png is a PNG"
is "$(png_size "$SAVE/f102.png")" "827x1169" "... A4 at 100 dpi"
is "$(png_ppm "$SAVE/f102.png")" 3937 "... its pHYs says 100 dpi (3937 pixels per metre)"
# a copy stays in the build tree for a person to look at
mkdir -p "$top_builddir/tests/scanner-samples" &&
	cp "$SAVE/f102.png" "$SAVE/f102-2.png" "$top_builddir/tests/scanner-samples/"
is "$(head -c 8 "$SAVE/f102-3.pdf")" "%PDF-1.4" "f102-3.pdf is a PDF"
check_fails "the two pages differ" cmp -s "$SAVE/f102.png" "$SAVE/f102-2.png"

# --- a jam, as the operator sees it ------------------------------------------------------
sim_ctl "load 3 f102" "jam 2" >/dev/null
run_ctl --session capture scanner0 --option source=adf --option document=f102 \
	--save="$REKAM_TMP/jammed"
is "$RC" 1 "a jam: rekamctl capture exits 1"
like "$ERR" "DeviceError: Paper jam in the document feeder at page 2" "... naming the jam"
like "$ERR" "discarded" "... and saying the page before it was discarded"
check_fails "... nothing is saved" test -e "$REKAM_TMP/jammed/f102.png"
sim_ctl clear "load 2 f102" >/dev/null
run_ctl --session capture scanner0 --option source=adf --option document=f102 \
	--save="$REKAM_TMP/again"
is "$RC" 0 "cleared: the whole document scans again"
check "... both pages saved" test -s "$REKAM_TMP/again/f102-2.png"

stop_rekamd
is "$REKAMD_STATUS" 0 "rekamd stops cleanly"
check_ctl_valgrind
stop_sim
is "$SIM_STATUS" 0 "the simulator stops cleanly"
done_testing
