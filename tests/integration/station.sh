# SPDX-License-Identifier: LGPL-2.1-or-later
# tests/integration/station.sh - for the tests that run on the whole
# simulated station (rekam-sim-station, docs/station.md), sourced after
# lib.sh: the station's program and environment, and start_station, which
# starts it in the background in $REKAM_TMP/station, waits for it (taking
# turns on the machine's pcscd with the other pcscd tests), skips the test
# when the station has no card reader, saying why, and sets the variables it
# prints (REKAM_BUS_ADDRESS, REKAM_*_CONTROL, ...). The station stops when
# the test ends. A: rekamctl's --address option for it.

top_builddir=${top_builddir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
STATION=${REKAM_SIM_STATION:-$top_builddir/simulators/rekam-sim-station}
[ -x "$STATION" ] || bail "rekam-sim-station is not built at $STATION"
export REKAM_BUILDDIR=$top_builddir
export TMPDIR=$REKAM_TMP
# In an ASan build the station's rekamd loads libgphoto2 and libsane, whose
# own leaks test-camera and test-scanner suppress: station.lsan has both.
export LSAN_OPTIONS="suppressions=$top_srcdir/tests/integration/station.lsan:print_suppressions=0"
DIR=$REKAM_TMP/station
STATION_PID=

_station_cleanup() {
	local status=$?
	[ -n "${STATION_CLEANUP_HOOK:-}" ] && "$STATION_CLEANUP_HOOK"
	if [ -n "$STATION_PID" ]; then
		kill -TERM "$STATION_PID" 2>/dev/null
		wait "$STATION_PID" 2>/dev/null
	fi
	(exit "$status")
	_cleanup
}
trap _station_cleanup EXIT

start_station() { # start_station [STATION-OPTIONS...]
	"$STATION" --lock-wait 900 --time-scale 0.01 -d "$DIR" "$@" \
		>"$REKAM_TMP/station.out" 2>"$REKAM_TMP/station.err" &
	STATION_PID=$!
	if ! wait_for 1200 grep -q '^# try:' "$REKAM_TMP/station.out"; then
		cat "$REKAM_TMP/station.err" >&2
		bail "the simulated station did not come up"
	fi
	# without a card reader the test is skipped, unless it can go on without
	# one (STATION_CARD_OPTIONAL set): then why is in STATION_NO_CARD
	STATION_NO_CARD=$(sed -n 's/^rekam-sim-station: no card reader: //p' \
		"$REKAM_TMP/station.err")
	[ -z "$STATION_NO_CARD" ] || [ -n "${STATION_CARD_OPTIONAL:-}" ] ||
		skip_all "the station has no card reader: $STATION_NO_CARD"
	eval "$(grep '^[A-Z_]*=' "$REKAM_TMP/station.out")"
	A="--address=$REKAM_BUS_ADDRESS"
}

stop_station() { # SIGTERM the station; its exit status in STATION_STATUS
	kill -TERM "$STATION_PID"
	wait "$STATION_PID"
	STATION_STATUS=$?
	STATION_PID=
}

sim() { # sim NAME LINE: one line to a simulator's control socket, its answer
	local var="REKAM_${1}_CONTROL"
	printf '%s\n' "$2" | socat -t 5 - "UNIX-CONNECT:${!var}"
}
