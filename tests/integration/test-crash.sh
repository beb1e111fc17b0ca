#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# tests/integration/test-crash.sh - the crash matrix: rekamd killed with
# SIGKILL (its crash points, daemon/crash-point.h) after each SOP step's
# commit and inside each device operation of steps 5, 6 and 8, on the whole
# simulated station (rekam-sim-station --no-rekamd: this test runs rekamd and
# restarts it). One applicant per point is taken through the ten steps the
# way the desks would, picking up after the restart from whatever state the
# enrollment shows; after a cut issuance the operator looks at the printer
# and decides (the card came out finished: issued; else: spoil). Then: every
# enrollment is collected, every recorded artifact read back intact (its
# SHA-256) before its upload, the central server holds each packet once, each applicant got
# exactly one card, the inventory adds up, and the database passes
# integrity_check.
#
# REKAM_CRASH_POINTS="P1 P2 ..." chooses the points ("all": every one);
# REKAM_CRASH_REPEAT=N runs each N times (make check-long: all, 3 times). By
# default ten points run once; under REKAM_TEST_VALGRIND=1 (rekamd in
# valgrind) three, to keep the pass short.
. "${REKAM_TEST_LIB:-$(dirname "$0")/lib.sh}"

require_tools socat python3
. "$(dirname "$0")/station.sh"
RK_PID=

ALL_POINTS="after.submitted after.received after.verified after.forwarded
	record.portrait record.fingerprint-left-slap record.fingerprint-thumbs record.iris
	record.signature record.document-kk record.stored after.recorded
	upload.building upload.built upload.sending upload.accepted after.uploaded
	after.print_ready after.printing issue.stage issue.staged issue.personalize issue.encoded
	issue.print issue.printed after.issued after.at_handover after.collected"
# make check: a point in each step, each device operation of steps 5, 6 and 8,
# and each way an issuance can be cut; make check-long: all, several times.
SOME_POINTS="after.submitted record.iris record.stored upload.building upload.accepted
	after.print_ready issue.stage issue.personalize issue.print after.at_handover"
case ${REKAM_CRASH_POINTS:-} in
all) POINTS=$ALL_POINTS ;;
"") POINTS=$SOME_POINTS ;;
*) POINTS=$REKAM_CRASH_POINTS ;;
esac
[ "${REKAM_TEST_VALGRIND:-0}" = 1 ] && [ -z "${REKAM_CRASH_POINTS:-}" ] &&
	POINTS="record.stored upload.accepted issue.print"
REPEAT=${REKAM_CRASH_REPEAT:-1}

_crash_cleanup() { # rekamd goes before the station
	[ -n "$RK_PID" ] && kill -KILL "$RK_PID" 2>/dev/null && wait "$RK_PID" 2>/dev/null
}
STATION_CLEANUP_HOOK=_crash_cleanup
start_station --no-rekamd --seed 11
export SANE_CONFIG_DIR DBUS_SESSION_BUS_ADDRESS=$REKAM_BUS_ADDRESS
N_DEVICES=$(grep -c '^# device ' "$REKAM_TMP/station.out")

# Under REKAM_TEST_VALGRIND=1 rekamd runs in valgrind (the libgphoto2 and
# libsane leaks test-camera and test-scanner know are suppressed): a clean
# stop then also means valgrind found nothing (status 98 otherwise).
VG_RK=
RK_WAIT=60
if [ "${REKAM_TEST_VALGRIND:-0}" = 1 ]; then
	VG_RK="valgrind --quiet --error-exitcode=98 --leak-check=full --errors-for-leak-kinds=definite
		--suppressions=$top_srcdir/tests/integration/gphoto2.supp
		--suppressions=$top_srcdir/tests/integration/scanner-sane.supp
		--log-file=$REKAM_TMP/valgrind-rekamd.%p.log"
	RK_WAIT=300
fi

rk_start() { # rk_start [CRASH-POINT]: rekamd in the station, until every device is idle
	# shellcheck disable=SC2086
	REKAM_CRASH_POINT=${1:-} $VG_RK "$REKAMD" --session --state-dir="$REKAM_STATE_DIR" \
		--config="$REKAM_CONFIG" --plugin-dir="$REKAM_PLUGIN_DIR" \
		>>"$DIR/rekamd.log" 2>&1 &
	RK_PID=$!
	wait_for "$RK_WAIT" sh -c "[ \"\$('$REKAMCTL' '$A' devices 2>/dev/null | grep -c ' idle ')\" -ge $N_DEVICES ]"
}
rk_alive() { [ -n "$RK_PID" ] && kill -0 "$RK_PID" 2>/dev/null; }
rk_reap() { # after a crash: its status in RK_STATUS
	wait "$RK_PID" 2>/dev/null
	RK_STATUS=$?
	RK_PID=
}
prop() { # prop ID PROPERTY
	"$REKAMCTL" "$A" --json enroll show "$1" 2>/dev/null |
		python3 -c 'import json,sys; print(json.load(sys.stdin)[sys.argv[1]])' "$2"
}
fronts() { ls "$REKAM_PRINTER_OUTPUT" 2>/dev/null | grep -c -- '-front\.png$'; }

# The operator after a cut issuance: wait for the printer to finish what it
# was doing, then look: a new card in the output tray means it came out.
decide() { # decide ID CARDS-PRINTED-BEFORE
	local i
	for i in $(seq 100); do
		sim PRINTER status | grep -q 'active=0' && break
		sleep 0.1
	done
	if [ "$(prop "$1" IssuePhase)" = print ] && [ "$(fronts)" -gt "$2" ]; then
		"$REKAMCTL" "$A" enroll issue "$1" --decision=issued \
			--reason="the card came out of the printer finished" >/dev/null 2>&1
	else
		"$REKAMCTL" "$A" enroll issue "$1" --decision=spoil \
			--reason="no finished card came out" >/dev/null 2>&1
	fi
}

# Every artifact of a recorded enrollment, read back through rekamd (which
# checks its SHA-256), once, before its upload: after the issuance is
# confirmed its biometrics are destroyed (docs/SECURITY.md), so the end is
# too late to look.
HANDLES=0
BAD=0
READ_BACK=" "
read_back() { # read_back ID
	local h
	case $READ_BACK in *" $1 "*) return ;; esac
	READ_BACK="$READ_BACK$1 "
	for h in $("$REKAMCTL" "$A" --json enroll show "$1" | python3 -c '
import json, sys
for c in json.load(sys.stdin)["Captures"]: print(c[2])'); do
		HANDLES=$((HANDLES + 1))
		"$REKAMCTL" "$A" artifact save "$h" "$REKAM_TMP/artifact" >/dev/null 2>&1 ||
			BAD=$((BAD + 1))
	done
}

# One desk action for the enrollment in its current state.
next_action() { # next_action ID NIK
	local id=$1 nik=$2 token
	case $(prop "$id" State) in
	submitted) "$REKAMCTL" "$A" enroll receive "$id" --have=f102,family-card,diploma ;;
	received) "$REKAMCTL" "$A" enroll verify "$id" ;;
	verified) "$REKAMCTL" "$A" enroll forward "$id" ;;
	forwarded) "$REKAMCTL" "$A" enroll record "$id" ;;
	recorded) read_back "$id"; "$REKAMCTL" "$A" enroll upload "$id" ;;
	uploaded) sleep 0.2 ;;
	print_ready) "$REKAMCTL" "$A" enroll open-print "$id" "$nik" ;;
	printing)
		if [ "$(prop "$id" NeedsDecision)" = True ]; then
			decide "$id" "$PRINTED"
		else
			"$REKAMCTL" "$A" enroll issue "$id"
		fi ;;
	issued | at_handover)
		token=$("$REKAMCTL" "$A" enroll handover "$id" | sed -n 's/^Pickup token: //p')
		[ -n "$token" ] && "$REKAMCTL" "$A" enroll collect "$id" "$token" ;;
	collected) return 0 ;;
	*) return 1 ;;
	esac >/dev/null 2>&1
	return 0
}

"$REKAMCTL" --version >/dev/null || bail "rekamctl does not run"
rk_start || bail "rekamd did not come up in the station"
n_points=$(echo $POINTS | wc -w)
"$REKAMCTL" "$A" cards add K-00001 $((n_points * REPEAT * 2 + 4)) >/dev/null ||
	bail "cannot register blank cards"
# and as many in the printer's hopper (it holds 100 at start: check-long needs more)
like "$(sim PRINTER "hopper $((n_points * REPEAT * 2 + 4))")" "^OK" \
	"the printer's hopper holds as many blank cards as the inventory"
kill -TERM "$RK_PID"
rk_reap

APPLICANTS=0
PRINTED=0
k=0
for round in $(seq "$REPEAT"); do
for point in $POINTS; do
	k=$((k + 1))
	APPLICANTS=$((APPLICANTS + 1))
	# a distinct applicant: NIK (male, born 17-03-1991, serial k), fingerprints
	nik=$(printf '630501170391%04d' "$k")
	sim BIOMETRIC "seed $((1000 + k))" >/dev/null
	if ! rk_start "$point"; then
		ok 1 "$point: rekamd came up"
		kill -TERM "$RK_PID" 2>/dev/null
		rk_reap
		continue
	fi
	"$REKAMCTL" "$A" enroll submit --nik="$nik" --name="PEMOHON $(echo "$k" | tr 0-9 A-J)" --sex=male \
		--birth-place=RANTAU --birth-date=1991-03-17 --religion=islam \
		--marital-status=married --street="JL. KENANGA NO. $k" --rt=001 --rw=001 \
		--village=RANTAU --district="TAPIN UTARA" >"$REKAM_TMP/submit.out" 2>&1
	id=$(sed -n 's/^Enrollment \([0-9]*\): submitted.*/\1/p' "$REKAM_TMP/submit.out")
	crashed=no
	if [ -z "$id" ] && ! rk_alive; then
		# killed after the commit of Submit: the enrollment is there, unanswered
		crashed=yes
		rk_reap
		rk_start || bail "rekamd did not come back after $point"
		id=$("$REKAMCTL" "$A" --json enroll list | python3 -c '
import json, sys
print(max(e["Id"] for e in json.load(sys.stdin)))' 2>/dev/null)
	fi
	if [ -z "$id" ]; then
		diag "$(cat "$REKAM_TMP/submit.out")"
		ok 1 "$point: the applicant was submitted"
		kill -TERM "$RK_PID" 2>/dev/null
		rk_reap
		continue
	fi
	for step in $(seq 300); do
		[ "$(prop "$id" State)" = collected ] && break
		next_action "$id" "$nik"
		if ! rk_alive; then
			[ "$crashed" = yes ] && diag "$point: rekamd died a second time"
			crashed=yes
			rk_reap
			rk_start || bail "rekamd did not come back after $point"
		fi
	done
	[ "$(prop "$id" State)" = collected ] && PRINTED=$((PRINTED + 1))
	ok "$([ "$crashed" = yes ] && grep -q "crash point $point:" "$DIR/rekamd.log"; echo $?)" \
		"$point: rekamd was killed there"
	is "$(prop "$id" State)" collected "$point: ... and the applicant still got through the ten steps"
	kill -TERM "$RK_PID"
	rk_reap
	is "$RK_STATUS" 0 "$point: ... rekamd stops cleanly afterwards"
	[ "$RK_STATUS" = 98 ] && diag "$(cat "$REKAM_TMP"/valgrind-rekamd.*.log 2>/dev/null)"
done
done

# --- what holds after all of them -------------------------------------------------------
rk_start || bail "rekamd did not come up for the checks"
is "$BAD" 0 "every recorded artifact read back intact before its upload ($HANDLES, SHA-256 checked)"
ok "$([ "$HANDLES" -ge $((20 * $(echo $READ_BACK | wc -w))) ]; echo $?)" \
	"... at least 20 of each of the $(echo $READ_BACK | wc -w) recorded applicants"
packets=$(sim CENTRAL status | sed -n 's/.* packets=\([0-9]*\).*/\1/p')
is "$packets" "$APPLICANTS" "the central server holds one packet per applicant"
cards=$("$REKAMCTL" "$A" cards | tr -s ' ' | tr '\n' ' ')
issued=$(echo "$cards" | sed -n 's/.*issued \([0-9]*\).*/\1/p')
is "$issued" "$APPLICANTS" "exactly one card issued per applicant"
is "$(fronts)" "$APPLICANTS" "... and one printed per applicant"
total=$(echo "$cards" | awk '{ print $2 + $4 + $6 }')
is "$total" "$((n_points * REPEAT * 2 + 4))" "the inventory adds up: blank + issued + spoiled ($cards)"
kill -TERM "$RK_PID"
rk_reap
is "$RK_STATUS" 0 "rekamd stops cleanly after the checks"
is "$(python3 -c 'import sqlite3, sys
print(sqlite3.connect(sys.argv[1]).execute("PRAGMA integrity_check").fetchone()[0])' \
	"$REKAM_STATE_DIR/rekam.db")" ok "the database passes integrity_check"
done_testing
