#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# tests/integration/test-sim-printer.sh - rekam-sim-printer on its own (no
# bus), driven by a real third-party IPP client: ipptool runs CUPS's own
# print-job, get-printer-attributes and ipp-1.1 tests and ours
# (tests/data/printer-*.test); the printed sides land in --output-dir as the
# very PNG bytes sent; the faults of the control socket show in
# printer-state-reasons and in the jobs; the inline encoder inserts a blank
# card into rekam-sim-card and removes it again; malformed HTTP is refused.
. "${REKAM_TEST_LIB:-$(dirname "$0")/lib.sh}"

require_tools ipptool socat python3 cmp curl

top_builddir=${top_builddir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
REKAM_SIM_PRINTER=${REKAM_SIM_PRINTER:-$top_builddir/simulators/rekam-sim-printer}
REKAM_SIM_CARD=${REKAM_SIM_CARD:-$top_builddir/simulators/rekam-sim-card}
[ -x "$REKAM_SIM_PRINTER" ] || bail "rekam-sim-printer is not built at $REKAM_SIM_PRINTER"
CUPS_TESTS=/usr/share/cups/ipptool
DATA=$top_srcdir/tests/data

SOCK=$REKAM_TMP/prn.sock
CTL=$REKAM_TMP/prn.ctl
OUT=$REKAM_TMP/cards
PORT=
URI=
CARD_PID=
mkdir -p "$OUT"

start_sim() { # start_sim [ARGS...]: on a free port from $RANDOM, retried
	local try
	for try in $(seq 10); do
		PORT=$((20000 + RANDOM % 40000))
		# shellcheck disable=SC2046
		$(sim_cmd) "$REKAM_SIM_PRINTER" --socket "$SOCK" --control "$CTL" --verbose \
			--port "$PORT" --output-dir "$OUT" "$@" 2>>"$REKAM_TMP/sim.log" &
		SIM_PID=$!
		wait_sim && URI=ipp://127.0.0.1:$PORT/ipp/print && return 0
	done
	sim_failed rekam-sim-printer
}

status_of() { # status_of KEY: one value of the control status line
	sim_ctl status | tr ' ' '\n' | sed -n "s/^$1=//p"
}

ipp() { # ipp TEST [ARGS...]: ipptool -t on the simulator; output in $REKAM_TMP/ipp.out
	local test=$1
	shift
	timeout -k 2 60 ipptool -t "$@" "$URI" "$test" >"$REKAM_TMP/ipp.out" 2>&1
}

attrs() { # the printer's attributes, one per line (ipptool -tv)
	timeout -k 2 30 ipptool -tv "$URI" "$CUPS_TESTS/get-printer-attributes.test" 2>&1
}

ipp_ok() { # ipp_ok DESCRIPTION TEST [ARGS...]: ipptool passes
	local desc=$1
	shift
	ipp "$@"
	ok $? "$desc" || sed 's/^/#   /' "$REKAM_TMP/ipp.out"
}

wait_job() { # wait_job STATE: until the last job is in STATE
	wait_for 30 sh -c "printf 'status\n' | socat -t 5 - UNIX-CONNECT:$CTL |
		grep -q ' last-job-state=$1 '"
}


_stop_card() {
	[ -n "$CARD_PID" ] && kill -TERM "$CARD_PID" 2>/dev/null && wait "$CARD_PID" 2>/dev/null
	CARD_PID=
}
trap '_stop_card; _cleanup' EXIT

make_png "$REKAM_TMP/front.png" 200 40 40
make_png "$REKAM_TMP/back.png" 40 40 200
make_png "$REKAM_TMP/huge.png" 1 2 3 4001 2

# --- command line --------------------------------------------------------------
out=$("$REKAM_SIM_PRINTER" --help)
is "$?" 0 "--help exits 0"
for word in --port --output-dir --cards --ribbon --card-control --time-scale "Exit status" \
	jam clear cover-open offline ribbon-low ribbon-out hopper-empty stage eject reject \
	0x7E01 ipptool; do
	like "$out" "$word" "--help documents $word"
done
for bad in "--port 0" "--cards -1" "--ribbon 0" "--output-dir /nonexistent" "--serial a;b"; do
	# shellcheck disable=SC2086
	"$REKAM_SIM_PRINTER" --socket "$SOCK" --control "$CTL" $bad 2>"$REKAM_TMP/err"
	is "$?" 64 "$bad: exit 64"
done
"$REKAM_SIM_PRINTER" --socket "$SOCK" --control "$CTL" 2>"$REKAM_TMP/err"
check "without --output-dir it refuses to start" test "$?" -ne 0
like "$(cat "$REKAM_TMP/err")" "--output-dir is required" "... and says why"

# --- ipptool: CUPS's tests and ours ----------------------------------------------------
start_sim --time-scale 0.01 --cards 20 --ribbon 40 --seed 3
like "$(socat -t 2 - "UNIX-CONNECT:$SOCK" </dev/null)" \
	"^IPP ipp://127\.0\.0\.1:$PORT/ipp/print FARGO DTC4500e C[0-9]{8}$" \
	"the device socket says where the printer listens"

ipp_ok "ipptool get-printer-attributes.test (CUPS) passes" \
	"$CUPS_TESTS/get-printer-attributes.test"
ipp_ok "ipptool print-job.test (CUPS) passes" "$CUPS_TESTS/print-job.test" \
	-f "$REKAM_TMP/front.png"
check "the job completes" wait_job completed
check "the printed front is the PNG sent, byte for byte" \
	cmp "$OUT/job-0001-front.png" "$REKAM_TMP/front.png"
check_fails "a one-sided card has no back" test -e "$OUT/job-0001-back.png"
is "$(status_of printed)" 1 "one card printed"
is "$(status_of cards)" 19 "... taken from the hopper"
is "$(status_of ribbon)" 39/40 "... using one ribbon panel set"

ipp_ok "ipptool printer-print-job.test passes (print, wait, supplies)" \
	"$DATA/printer-print-job.test" -f "$REKAM_TMP/back.png"
ipp_ok "ipptool printer-card-job.test passes (Create-Job, two Send-Document)" \
	"$DATA/printer-card-job.test" -f "$REKAM_TMP/back.png"
check "both sides of the two-sided card are written" \
	cmp "$OUT/job-0003-back.png" "$REKAM_TMP/back.png"
check "... the front too" cmp "$OUT/job-0003-front.png" "$REKAM_TMP/back.png"
is "$(status_of impressions)" 4 "four sides printed in all"

ipp "$CUPS_TESTS/ipp-1.1.test" -f "$REKAM_TMP/front.png"
like "$(cat "$REKAM_TMP/ipp.out")" "Summary: [0-9]+ tests, [0-9]+ passed, 0 failed" \
	"ipptool ipp-1.1.test (CUPS, RFC 8011 conformance): no test fails"

check "the printer is idle again" wait_for 30 sh -c \
	"printf 'status\n' | socat -t 5 - UNIX-CONNECT:$CTL | grep -q ' state=idle '"
jobs0=$(status_of jobs)
spoiled0=$(status_of spoiled)

# --- documents the printer refuses --------------------------------------------------
printf 'plain text\n' >"$REKAM_TMP/text.txt"
ipp "$CUPS_TESTS/print-job.test" -f "$REKAM_TMP/text.txt"
like "$(cat "$REKAM_TMP/ipp.out")" "document-format-not-supported" "a text file is refused"
head -c 100 "$REKAM_TMP/front.png" >"$REKAM_TMP/cut.png"
ipp "$CUPS_TESTS/print-job.test" -f "$REKAM_TMP/cut.png"
like "$(cat "$REKAM_TMP/ipp.out")" "client-error-document-format-error" \
	"a truncated PNG is refused"
ipp "$CUPS_TESTS/print-job.test" -f "$REKAM_TMP/huge.png"
like "$(cat "$REKAM_TMP/ipp.out")" "4001x2 pixels" "a PNG wider than 4000 pixels is refused"
is "$(status_of jobs)" "$jobs0" "no job was made of them"

# --- supplies and faults ------------------------------------------------------------------
like "$(sim_ctl ribbon-low)" "^OK printer-state-reasons=marker-supply-low-warning" "ribbon-low"
a=$(attrs)
like "$a" "marker-levels \(integer\) = 10" "marker-levels says 10 %"
like "$a" "printer-state-reasons .*marker-supply-low-warning" "... marker-supply-low-warning"
like "$a" "printer-state \(enum\) = idle" "... and the printer still prints"
like "$(sim_ctl ribbon)" "^OK printer-state-reasons=none" "a new ribbon"

like "$(sim_ctl jam)" "^OK the next card jams after its first side" "jam arms a jam"
ipp "$CUPS_TESTS/print-job.test" -f "$REKAM_TMP/front.png"
check "the job is aborted" wait_job aborted
a=$(attrs)
like "$a" "printer-state-reasons .*media-jam-error" "media-jam-error"
like "$a" "printer-state \(enum\) = stopped" "the printer stopped"
is "$(status_of spoiled)" $((spoiled0 + 1)) "the jammed card is spoiled"
job=$(status_of last-job)
check "its front had been printed" test -s "$OUT/job-$(printf %04d "$job")-front.png"
check_fails "... not its back" test -e "$OUT/job-$(printf %04d "$job")-back.png"
ipp "$CUPS_TESTS/print-job.test" -f "$REKAM_TMP/front.png"
sleep 0.2
is "$(status_of last-job-state)" pending "a job while jammed waits"
like "$(sim_ctl clear)" "^OK printer-state-reasons=none" "clear"
check "... then it prints" wait_job completed

like "$(sim_ctl hopper-empty)" "^OK printer-state-reasons=media-empty-error" "hopper-empty"
like "$(attrs)" "printer-state \(enum\) = stopped" "an empty hopper stops the printer"
ipp "$CUPS_TESTS/print-job.test" -f "$REKAM_TMP/front.png"
sleep 0.2
is "$(status_of last-job-state)" pending "a job waits for cards"
like "$(sim_ctl "hopper 3")" "^OK printer-state-reasons=media-low-warning" "hopper 3 (low)"
check "... then it prints" wait_job completed
is "$(status_of cards)" 2 "one of the three cards was used"

like "$(sim_ctl cover-open)" "^OK printer-state-reasons=cover-open-error" "cover-open"
like "$(attrs)" "cover-open-error" "the printer reports it"
like "$(sim_ctl cover-close)" "^OK printer-state-reasons=media-low-warning" "cover-close"

like "$(sim_ctl offline)" "offline-report" "offline"
ipp "$CUPS_TESTS/print-job.test" -f "$REKAM_TMP/front.png"
like "$(cat "$REKAM_TMP/ipp.out")" "server-error-not-accepting-jobs" "offline: jobs are refused"
like "$(attrs)" "printer-is-accepting-jobs \(boolean\) = false" "... and it says so"
sim_ctl online >/dev/null

like "$(sim_ctl ribbon-out)" "marker-supply-empty-error" "ribbon-out"
like "$(sim_ctl "ribbon 41")" "^ERR ribbon wants the panel sets left, 0 to 40" \
	"more panel sets than a ribbon holds are refused"
sim_ctl ribbon "hopper 20" >/dev/null

is "$(sim_ctl "fail E7")" "OK fail=E7" "fail E7"
ipp "$CUPS_TESTS/get-printer-attributes.test"
like "$(cat "$REKAM_TMP/ipp.out")" "server-error-internal-error" \
	"the next request answers server-error-internal-error"
ipp_ok "... once" "$CUPS_TESTS/get-printer-attributes.test"

# --- the inline encoder --------------------------------------------------------------
ipp_ok "ipptool printer-stage.test passes (vendor operations, no encoder link)" \
	"$DATA/printer-stage.test"
is "$(status_of ejected)" 1 "the staged card was ejected"
stop_sim
is "$SIM_STATUS" 0 "the simulator stops on SIGTERM with status 0"

if [ -x "$REKAM_SIM_CARD" ]; then
	CARD_CTL=$REKAM_TMP/card.ctl
	"$REKAM_SIM_CARD" --socket "$REKAM_TMP/card.sock" --control "$CARD_CTL" --vpcd off \
		--removed 2>>"$REKAM_TMP/card.log" &
	CARD_PID=$!
	wait_for 10 test -S "$CARD_CTL" || bail "rekam-sim-card did not start"
	card_status() {
		printf 'status\n' | socat -t 5 - "UNIX-CONNECT:$CARD_CTL" | tr ' ' '\n' |
			sed -n "s/^$1=//p"
	}
	start_sim --time-scale 0.01 --card-control "$CARD_CTL"
	is "$(card_status card)" removed "no card in the encoder's reader"
	like "$(sim_ctl stage)" "^OK a blank card is at the encoder" "stage"
	is "$(card_status card)" inserted "rekam-sim-card has a card"
	is "$(card_status number)" 2 "... a new blank one"
	is "$(card_status lifecycle)" blank "... blank"
	like "$(sim_ctl reject)" "^OK the card is in the reject tray" "reject"
	is "$(card_status card)" removed "the card left the reader"
	is "$(status_of spoiled)" 1 "the rejected card is spoiled"
	sim_ctl stage >/dev/null
	ipp "$CUPS_TESTS/print-job.test" -f "$REKAM_TMP/front.png"
	check "a print on the staged card completes" wait_job completed
	is "$(card_status card)" removed "the printed card left the reader"
	is "$(status_of cards)" 98 "two cards came from the hopper"
	is "$(status_of staged)" no "nothing is staged"
	kill -TERM "$CARD_PID"
	wait "$CARD_PID" 2>/dev/null
	CARD_PID=
	like "$(sim_ctl stage)" "^ERR the encoder \(rekam-sim-card at .*\) does not answer" \
		"stage without rekam-sim-card fails with a clear answer"
	is "$(status_of cards)" 98 "... and takes no card"
else
	start_sim --time-scale 0.01
	diag "rekam-sim-card is not built: the encoder link is not tested"
fi

# --- malformed HTTP, unplug -------------------------------------------------------------------
code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/ipp/print")
is "$code" 405 "GET is not an IPP request (405)"
code=$(curl -s -o /dev/null -w '%{http_code}' -X POST -H 'Content-Type: application/ipp' \
	--data-binary 'garbage' "http://127.0.0.1:$PORT/ipp/print")
is "$code" 400 "a body that is not IPP is refused (400)"
code=$(curl -s -o /dev/null -w '%{http_code}' -X POST -H 'Content-Type: text/plain' \
	--data-binary 'x' "http://127.0.0.1:$PORT/ipp/print")
is "$code" 400 "a wrong Content-Type is refused (400)"
code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/other")
is "$code" 404 "another path is not found (404)"
is "$(status_of bad-requests)" 4 "four bad requests counted"
ipp_ok "the printer still answers" "$CUPS_TESTS/get-printer-attributes.test"

is "$(sim_ctl unplug)" "OK unplugged" "unplug"
check "the IPP port closes" wait_for 5 sh -c "! socat -u /dev/null TCP:127.0.0.1:$PORT 2>/dev/null"
is "$(sim_ctl replug)" "OK plugged" "replug"
check "the IPP port opens again" wait_for 5 socat -u /dev/null "TCP:127.0.0.1:$PORT"
ipp_ok "ipptool works after replug" "$CUPS_TESTS/get-printer-attributes.test"

stop_sim
is "$SIM_STATUS" 0 "the simulator stops on SIGTERM with status 0"
if [ "${REKAM_TEST_VALGRIND:-0}" = 1 ]; then
	is "$(cat "$REKAM_TMP"/valgrind-sim.*.log 2>/dev/null)" "" "valgrind found nothing"
fi
done_testing
