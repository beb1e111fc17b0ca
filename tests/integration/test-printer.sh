#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# tests/integration/test-printer.sh - the card printer end to end: rekamd
# with the printer-ipp plugin (libcups) on rekam-sim-printer, its encoder
# linked to rekam-sim-card, driven over D-Bus by rekamctl: identity and
# supplies in Health, the self-test, a two-sided print whose output PNGs
# are the bytes sent, a jam mid-print (DeviceError, the card spoiled), the
# ribbon low in Health, an empty hopper refused before any job is made,
# stage / reject / eject with the card appearing in and leaving the
# simulated reader, bad requests, and the printer going away and back. The
# card sides are rendered by rekamd's card face renderer (printer-card-faces).
. "${REKAM_TEST_LIB:-$(dirname "$0")/lib.sh}"

require_tools python3 socat busctl cmp

top_builddir=${top_builddir:-$(cd "$(dirname "$0")/../.." && pwd)}
REKAM_SIM_PRINTER=${REKAM_SIM_PRINTER:-$top_builddir/simulators/rekam-sim-printer}
REKAM_SIM_CARD=${REKAM_SIM_CARD:-$top_builddir/simulators/rekam-sim-card}
REKAM_PLUGIN_DIR=${REKAM_PLUGIN_DIR:-$top_builddir/plugins/built}
[ -x "$REKAM_SIM_PRINTER" ] || bail "rekam-sim-printer is not built at $REKAM_SIM_PRINTER"
[ -x "$REKAM_SIM_CARD" ] || bail "rekam-sim-card is not built at $REKAM_SIM_CARD"
[ -x "$REKAMCTL" ] || bail "rekamctl is not built at $REKAMCTL"
[ -e "$REKAM_PLUGIN_DIR/rekam-printer-ipp.so" ] || bail "the printer-ipp plugin is not built"

CTL=$REKAM_TMP/prn.ctl
CARD_CTL=$REKAM_TMP/card.ctl
CARDS=$REKAM_TMP/cards
DEV=printer0
PORT=
CARD_PID=
mkdir -p "$CARDS"

start_sim() { # the printer on a free port from $RANDOM, retried
	local try
	for try in $(seq 10); do
		PORT=$((20000 + RANDOM % 40000))
		# shellcheck disable=SC2046
		$(sim_cmd) "$REKAM_SIM_PRINTER" --socket "$REKAM_TMP/prn.sock" --control "$CTL" \
			--verbose --port "$PORT" --output-dir "$CARDS" --time-scale 0.01 --cards 10 \
			--ribbon 50 --card-control "$CARD_CTL" 2>>"$REKAM_TMP/sim.log" &
		SIM_PID=$!
		wait_sim && return 0
	done
	sim_failed rekam-sim-printer
}

_stop_card() {
	[ -n "$CARD_PID" ] && kill -TERM "$CARD_PID" 2>/dev/null && wait "$CARD_PID" 2>/dev/null
	CARD_PID=
}
trap '_stop_card; _cleanup' EXIT

status_of() { # status_of KEY: one value of the printer's control status line
	sim_ctl status | tr ' ' '\n' | sed -n "s/^$1=//p"
}

card_status() { # card_status KEY: one value of rekam-sim-card's status line
	printf 'status\n' | socat -t 5 - "UNIX-CONNECT:$CARD_CTL" | tr ' ' '\n' |
		sed -n "s/^$1=//p"
}

device_prop() { # device_prop NAME: a string property of the printer on D-Bus
	busctl --user get-property "$REKAM_NAME" "$REKAM_PATH/devices/$DEV" "$REKAM_NAME.Device" \
		"$1" 2>/dev/null | sed -n 's/^s "\(.*\)"$/\1/p'
}

health() { # health KEY: one Health value of the printer (busctl's text)
	busctl --user --json=short get-property "$REKAM_NAME" "$REKAM_PATH/devices/$DEV" \
		"$REKAM_NAME.Device" Health 2>/dev/null |
		python3 -c 'import json, sys
d = json.load(sys.stdin)["data"]
v = d.get(sys.argv[1])
print("" if v is None else str(v["data"]).lower() if isinstance(v["data"], bool) else v["data"])' "$1"
}

health_is() { # health_is KEY VALUE
	[ "$(health "$1")" = "$2" ]
}

state_is() {
	[ "$(device_prop State)" = "$1" ]
}


print_card() { # print_card [ARGS...]: rekamctl job printer0 print with front and back
	run_ctl --session --timeout=60 job "$DEV" print --data "front=$REKAM_TMP/front.png" \
		--data "back=$REKAM_TMP/back.png" "$@"
}

# the card faces rekamd renders (daemon/cardface.c), for the test's very long applicant
"$top_builddir/tests/integration/printer-card-faces" "$REKAM_TMP/front.png" \
	"$REKAM_TMP/back.png" 2>"$REKAM_TMP/faces.err"
case $? in
0) ;;
77) diag "the card face fonts are missing ($(cat "$REKAM_TMP/faces.err")): plain PNGs instead"
	make_png "$REKAM_TMP/front.png" 210 30 30
	make_png "$REKAM_TMP/back.png" 30 30 210 ;;
*) bail "the card faces cannot be rendered: $(cat "$REKAM_TMP/faces.err")" ;;
esac
printf 'not a picture\n' >"$REKAM_TMP/text.txt"

"$REKAM_SIM_CARD" --socket "$REKAM_TMP/card.sock" --control "$CARD_CTL" --vpcd off --removed \
	2>>"$REKAM_TMP/card.log" &
CARD_PID=$!
wait_for 10 test -S "$CARD_CTL" || bail "rekam-sim-card did not start"
start_sim
URI=ipp://127.0.0.1:$PORT/ipp/print

start_bus
write_config "[device printer]" "plugin = printer-ipp" "connection = $URI" \
	"poll-interval-ms = 100" "job-poll-interval-ms = 20" "timeout-ms = 5000"
start_rekamd --session --state-dir "$REKAM_TMP/state" --config "$REKAM_TMP/rekamd.conf" \
	--plugin-dir "$REKAM_PLUGIN_DIR"

# --- open: identity and supplies ---------------------------------------------------------
check "the printer becomes idle" wait_for 20 state_is idle
is "$(device_prop Model)" "HID Global FARGO DTC4500e" "Model from printer-make-and-model"
like "$(device_prop Serial)" "^C[0-9]{8}$" "Serial from the printer"
is "$(device_prop Firmware)" "4.2.1-rekam" "Firmware from printer-firmware-string-version"
is "$(health RibbonPercent)" 100 "Health RibbonPercent"
is "$(health CardsLeft)" 10 "Health CardsLeft (printer-input-tray)"
is "$(health CardsPrinted)" 0 "Health CardsPrinted"
is "$(health State)" idle "Health State"
is "$(health RibbonLow)" false "Health RibbonLow"
is "$(health LastFault)" "" "Health LastFault is empty"

run_ctl --session selftest "$DEV"
is "$RC" 0 "the self-test passes"
for step in reach accepting state ribbon hopper validate-job; do
	like "$OUT" "$step" "... with the step $step"
done

# --- a two-sided print -----------------------------------------------------------------------
print_card --option job-name=KTP-3171
is "$RC" 0 "print front and back succeeds"
like "$OUT" "JobId +1" "... and names the printer's job"
like "$OUT" "Sides +2" "... two sides printed"
check "the printer's front is the card face rekamd rendered, byte for byte" \
	cmp "$CARDS/job-0001-front.png" "$REKAM_TMP/front.png"
check "... and the back" cmp "$CARDS/job-0001-back.png" "$REKAM_TMP/back.png"
check "Health CardsPrinted becomes 1" wait_for 10 health_is CardsPrinted 1
is "$(health CardsLeft)" 9 "... CardsLeft 9"
is "$(status_of ribbon)" 48/50 "two ribbon panel sets used"

run_ctl --session job "$DEV" print --data "back=$REKAM_TMP/back.png"
is "$RC" 1 "print without a front fails"
like "$ERR" "InvalidArguments" "... as invalid arguments"
run_ctl --session job "$DEV" print --data "front=$REKAM_TMP/text.txt"
is "$RC" 1 "a front that is not a PNG fails"
like "$ERR" "InvalidArguments" "... as invalid arguments"
run_ctl --session job "$DEV" fold
is "$RC" 1 "an unknown job fails"
like "$ERR" "NotSupported" "... NotSupported"
is "$(status_of jobs)" 1 "none of them reached the printer"

# --- faults ----------------------------------------------------------------------------------
sim_ctl ribbon-low >/dev/null
check "ribbon low shows in Health (RibbonLow)" wait_for 10 health_is RibbonLow true
is "$(health RibbonPercent)" 10 "... RibbonPercent 10"
like "$(health StateReasons)" "marker-supply-low-warning" "... StateReasons"
sim_ctl ribbon >/dev/null
check "a new ribbon clears it" wait_for 10 health_is RibbonLow false

sim_ctl jam >/dev/null
spoiled0=$(status_of spoiled)
print_card
is "$RC" 1 "a jam mid-print fails the print"
like "$ERR" "DeviceError" "... with DeviceError"
like "$ERR" "the print failed: a card is jammed in the printer; the card is spoiled" \
	"... and a clear message"
is "$(status_of spoiled)" $((spoiled0 + 1)) "the printer spoiled the card"
check "Health LastFault names the jam" wait_for 10 sh -c \
	"busctl --user get-property $REKAM_NAME $REKAM_PATH/devices/$DEV $REKAM_NAME.Device Health | grep -q jammed"
check "Health State stopped" wait_for 10 health_is State stopped
run_ctl --session job "$DEV" print --data "front=$REKAM_TMP/front.png"
is "$RC" 1 "while jammed a print is refused"
like "$ERR" "the printer cannot print now: a card is jammed" "... saying why"
sim_ctl clear >/dev/null
check "after clear the printer is idle" wait_for 10 health_is State idle

jobs0=$(status_of jobs)
sim_ctl hopper-empty >/dev/null
check "Health CardsLeft 0" wait_for 10 health_is CardsLeft 0
print_card
is "$RC" 1 "with the hopper empty a print is refused"
like "$ERR" "DeviceError" "... with DeviceError"
like "$ERR" "the card hopper is empty" "... saying the hopper is empty"
is "$(status_of jobs)" "$jobs0" "... before any job reached the printer"
sim_ctl "hopper 5" >/dev/null
check "cards again" wait_for 10 health_is CardsLeft 5

sim_ctl offline >/dev/null
print_card
is "$RC" 1 "offline: a print is refused"
like "$ERR" "the printer is offline" "... saying so"
sim_ctl online >/dev/null

sim_ctl cover-open >/dev/null
run_ctl --session job "$DEV" stage
is "$RC" 1 "cover open: stage is refused"
like "$ERR" "cover is open" "... with the printer's reason"
sim_ctl cover-close >/dev/null

# --- inline encoding: stage, reject, eject ---------------------------------------------------
is "$(card_status card)" removed "no card in the encoder's reader"
number0=$(card_status number)
run_ctl --session job "$DEV" stage
is "$RC" 0 "stage"
like "$OUT" "Message +a blank card is at the encoder" "... the printer says where the card is"
is "$(card_status card)" inserted "rekam-sim-card has a card now"
is "$(card_status number)" $((number0 + 1)) "... a fresh one"
is "$(card_status lifecycle)" blank "... and blank"
check "Health CardStaged" wait_for 10 health_is CardStaged true
run_ctl --session job "$DEV" stage
is "$RC" 75 "a second stage fails as busy (exit 75)"
like "$ERR" "Busy.*already at the encoder" "... saying a card is there"
run_ctl --session job "$DEV" reject
is "$RC" 0 "reject"
is "$(card_status card)" removed "the rejected card left the reader"
run_ctl --session job "$DEV" eject
is "$RC" 1 "eject with nothing staged fails"
like "$ERR" "no card is at the encoder" "... saying so"

run_ctl --session job "$DEV" stage
is "$RC" 0 "stage again"
is "$(card_status card)" inserted "the reader has the card"
print_card
is "$RC" 0 "print on the staged card"
is "$(card_status card)" removed "the printed card left the reader (ejected)"
job=$(status_of last-job)
check "its front is the PNG sent" cmp "$CARDS/job-$(printf %04d "$job")-front.png" \
	"$REKAM_TMP/front.png"

run_ctl --session job "$DEV" stage
run_ctl --session job "$DEV" eject
is "$RC" 0 "stage, then eject without printing"
is "$(card_status card)" removed "the ejected card left the reader"
is "$(status_of ejected)" 1 "the printer counted it ejected"

# --- the printer goes away and comes back ------------------------------------------------------
sim_ctl unplug >/dev/null
check "the device becomes absent" wait_for 20 state_is absent
like "$(health LastFault)" "no printer answers|no answer" "Health LastFault says why"
sim_ctl replug >/dev/null
check "... and idle again when it is back" wait_for 30 state_is idle
print_card
is "$RC" 0 "a print works again"

stop_rekamd
is "$REKAMD_STATUS" 0 "rekamd stops cleanly (no valgrind error)"
[ "$REKAMD_STATUS" = 0 ] || cat "$REKAM_TMP"/valgrind.*.log 2>/dev/null |
	sed "s/^/# /" | head -n 150
check_ctl_valgrind
stop_sim
is "$SIM_STATUS" 0 "the printer simulator stops cleanly"
if [ "${REKAM_TEST_VALGRIND:-0}" = 1 ]; then
	is "$(cat "$REKAM_TMP"/valgrind-sim.*.log 2>/dev/null)" "" "valgrind found nothing in the simulator"
fi
done_testing
