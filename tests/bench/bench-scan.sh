#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# tests/bench/bench-scan.sh - one page from the scanner's glass to a PNG file,
# through rekamd and against the third-party client, in the same run:
# `rekamctl capture scanner0 --save=DIR` (rekamctl, D-Bus, rekamd, the
# scanner-sane plugin on the worker pool, libsane, sane-airscan, the page
# sealed in the vault, then read back and written) alternating with
# `scanimage --format png -o FILE` (a new process: SANE starts, sane-airscan
# reads the capabilities, scans, writes the PNG). Both scan the same
# rekam-sim-scanner page with its page time off (--time-scale 0), so what is
# measured is the software. Prints the median and p90 of each and the ratio
# of the medians. Not part of make check: `make bench`, or run it from the
# build directory with the environment of make check.
#
# Usage: bench-scan.sh [RUNS [DPI]]   (default 15 runs at 150 dpi)
. "${REKAM_TEST_LIB:-$(dirname "$0")/../integration/lib.sh}"

RUNS=${1:-15}
DPI=${2:-150}
require_tools scanimage socat busctl
top_builddir=${top_builddir:-$(pwd)}
REKAM_SIM_SCANNER=${REKAM_SIM_SCANNER:-$top_builddir/simulators/rekam-sim-scanner}
PLUGINS=${REKAM_PLUGIN_DIR:-$top_builddir/plugins/built}
CTL=$REKAM_TMP/scn.ctl

"$REKAM_SIM_SCANNER" --socket "$REKAM_TMP/scn.sock" --control "$CTL" --port 0 --seed 3 \
	--time-scale 0 2>"$REKAM_TMP/sim.log" &
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
printf '[devices]\n"Bench" = %s, eSCL\n[options]\ndiscovery = disable\n' "$escl" \
	>"$REKAM_TMP/sane/airscan.conf"
export SANE_CONFIG_DIR=$REKAM_TMP/sane

start_bus
write_config "[device scanner]" "plugin = scanner-sane" "connection = sane:airscan:e0:Bench"
start_rekamd --session --state-dir "$REKAM_TMP/state" --config "$REKAM_TMP/rekamd.conf" \
	--plugin-dir "$PLUGINS"
state() {
	busctl --user get-property "$REKAM_NAME" "$REKAM_PATH/devices/scanner0" \
		"$REKAM_NAME.Device" State 2>/dev/null | grep -q '"idle"'
}
wait_for 30 state || bail "the scanner did not open"

now_us() {
	echo $(( $(date +%s%N) / 1000 ))
}

via_rekamd() {
	rm -rf "$REKAM_TMP/out"
	"$REKAMCTL" --session capture scanner0 --option resolution="$DPI" \
		--save="$REKAM_TMP/out" >/dev/null 2>&1 && test -s "$REKAM_TMP/out/document.png"
}

via_scanimage() {
	rm -f "$REKAM_TMP/page.png"
	scanimage -d "airscan:e0:Bench" --resolution "$DPI" -x 210 -y 297 --format png \
		-o "$REKAM_TMP/page.png" 2>/dev/null && test -s "$REKAM_TMP/page.png"
}

via_rekamd && via_scanimage || bail "a warm-up scan failed"
: >"$REKAM_TMP/rekamd.us"
: >"$REKAM_TMP/scanimage.us"
for _ in $(seq "$RUNS"); do
	t0=$(now_us)
	via_rekamd || bail "rekamctl capture failed"
	t1=$(now_us)
	via_scanimage || bail "scanimage failed"
	t2=$(now_us)
	echo $((t1 - t0)) >>"$REKAM_TMP/rekamd.us"
	echo $((t2 - t1)) >>"$REKAM_TMP/scanimage.us"
done

stat_of() { # stat_of FILE: "median p90" in ms
	sort -n "$1" | awk '{ v[NR] = $1 } END {
		m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
		p = v[int(NR * 0.9 + 0.999)]
		printf "%.1f %.1f\n", m / 1000, p / 1000 }'
}

read -r rk_med rk_p90 < <(stat_of "$REKAM_TMP/rekamd.us")
read -r si_med si_p90 < <(stat_of "$REKAM_TMP/scanimage.us")
echo "bench-scan: one A4 page at $DPI dpi from the glass to a PNG file, $RUNS runs each"
printf '  %-44s median %8s ms   p90 %8s ms\n' "rekamctl capture --save (through rekamd)" \
	"$rk_med" "$rk_p90"
printf '  %-44s median %8s ms   p90 %8s ms\n' "scanimage --format png (sane-airscan)" \
	"$si_med" "$si_p90"
awk -v a="$rk_med" -v b="$si_med" 'BEGIN { printf "  rekamd / scanimage: %.2f\n", a / b }'
stop_rekamd
stop_sim
