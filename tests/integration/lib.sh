# SPDX-License-Identifier: LGPL-2.1-or-later
# tests/integration/lib.sh - shared by the shell integration tests: TAP output,
# a private dbus-daemon, and a real rekamd on it, all inside a temporary
# directory that is removed (and every process stopped) when the test exits.
#
# Usage in a test:
#   . "${REKAM_TEST_LIB:-$(dirname "$0")/lib.sh}"
#   require_tools gdbus busctl
#   start_bus; write_config; start_rekamd
#   is "$(get_property State)" "ready" "rekamd is ready"
#   done_testing
#
# Environment: REKAMD and REKAMCTL (paths of the built programs; set by
# make check), REKAM_TEST_VALGRIND=1 runs rekamd under valgrind memcheck.

set -u

REKAMD=${REKAMD:-$(cd "$(dirname "$0")/../.." && pwd)/daemon/rekamd}
REKAMCTL=${REKAMCTL:-$(cd "$(dirname "$0")/../.." && pwd)/client/rekamctl}
REKAM_DBUS_DAEMON=${REKAM_DBUS_DAEMON:-dbus-daemon}
REKAM_NAME=id.rekam.Station1
REKAM_PATH=/id/rekam/Station1

_tap_n=0
_tap_failed=0
BUS_PID=
REKAMD_PID=
REKAMD_STATUS=
SIM_PID=
PCSCD_PID=

# --- TAP ----------------------------------------------------------------------

ok() { # ok STATUS DESCRIPTION: STATUS 0 passes
	_tap_n=$((_tap_n + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $_tap_n - $2"
	else
		_tap_failed=$((_tap_failed + 1))
		echo "not ok $_tap_n - $2"
	fi
	return "$1"
}

check() { # check DESCRIPTION COMMAND...: passes when COMMAND succeeds
	local desc=$1
	shift
	"$@" >"$REKAM_TMP/check.out" 2>&1
	ok $? "$desc" && return 0
	sed 's/^/#   /' "$REKAM_TMP/check.out"
	return 1
}

check_fails() { # check_fails DESCRIPTION COMMAND...: passes when COMMAND fails
	local desc=$1
	shift
	if "$@" >"$REKAM_TMP/check.out" 2>&1; then
		ok 1 "$desc"
		sed 's/^/#   /' "$REKAM_TMP/check.out"
	else
		ok 0 "$desc"
	fi
}

is() { # is GOT WANT DESCRIPTION
	if [ "$1" = "$2" ]; then
		ok 0 "$3"
	else
		ok 1 "$3"
		diag "  got:      '$1'"
		diag "  expected: '$2'"
	fi
}

like() { # like GOT EXTENDED-REGEX DESCRIPTION
	if printf '%s' "$1" | grep -Eq -- "$2"; then
		ok 0 "$3"
	else
		ok 1 "$3"
		diag "  '$2' not found in:"
		printf '%s\n' "$1" | sed 's/^/#     /'
	fi
}

unlike() { # unlike GOT EXTENDED-REGEX DESCRIPTION
	if printf '%s' "$1" | grep -Eq -- "$2"; then
		ok 1 "$3"
		diag "  '$2' unexpectedly found in:"
		printf '%s\n' "$1" | sed 's/^/#     /'
	else
		ok 0 "$3"
	fi
}

diag() {
	printf '# %s\n' "$*"
}

skip_all() { # a required tool is missing: the whole test is skipped, saying why
	echo "1..0 # SKIP $*"
	exit 77
}

bail() {
	echo "Bail out! $*"
	[ -n "${REKAM_TMP:-}" ] && [ -f "$REKAM_TMP/rekamd.log" ] && sed 's/^/# rekamd: /' "$REKAM_TMP/rekamd.log"
	exit 99
}

done_testing() {
	echo "1..$_tap_n"
	[ "$_tap_failed" -eq 0 ]
	exit $?
}

require_tools() {
	local tool
	for tool in "$@"; do
		command -v "$tool" >/dev/null 2>&1 || skip_all "$tool is not installed"
	done
}

# --- temporary directory and cleanup -------------------------------------------

REKAM_TMP=$(mktemp -d "${TMPDIR:-/tmp}/rekam-test.XXXXXX") || bail "mktemp failed"
export REKAM_TMP

_cleanup() {
	local status=$?
	[ -n "$REKAMD_PID" ] && kill -KILL "$REKAMD_PID" 2>/dev/null
	[ -n "$SIM_PID" ] && kill -KILL "$SIM_PID" 2>/dev/null
	[ -n "$PCSCD_PID" ] && kill -TERM "$PCSCD_PID" 2>/dev/null
	[ -n "$BUS_PID" ] && kill -TERM "$BUS_PID" 2>/dev/null
	wait 2>/dev/null
	if [ -n "${REKAM_TEST_KEEP:-}" ]; then
		echo "# REKAM_TEST_KEEP: the logs and state are kept in $REKAM_TMP"
	else
		rm -rf "$REKAM_TMP"
	fi
	exit "$status"
}
trap _cleanup EXIT
trap 'exit 130' INT TERM

# --- the bus -----------------------------------------------------------------

start_bus() { # a private session-type bus; exports DBUS_SESSION_BUS_ADDRESS
	require_tools "$REKAM_DBUS_DAEMON" dbus-send
	"$REKAM_DBUS_DAEMON" --session --nofork --nopidfile --nosyslog \
		--address="unix:dir=$REKAM_TMP" --print-address=3 \
		3>"$REKAM_TMP/bus.address" 2>"$REKAM_TMP/bus.log" &
	BUS_PID=$!
	local i
	for i in $(seq 100); do
		[ -s "$REKAM_TMP/bus.address" ] && break
		sleep 0.05
	done
	[ -s "$REKAM_TMP/bus.address" ] || bail "dbus-daemon did not start"
	DBUS_SESSION_BUS_ADDRESS=$(head -n1 "$REKAM_TMP/bus.address")
	export DBUS_SESSION_BUS_ADDRESS
}

name_has_owner() { # name_has_owner [NAME]
	dbus-send --session --print-reply=literal --dest=org.freedesktop.DBus \
		/org/freedesktop/DBus org.freedesktop.DBus.NameHasOwner \
		"string:${1:-$REKAM_NAME}" 2>/dev/null | grep -q true
}

# --- rekamd ------------------------------------------------------------------

write_config() { # write_config [LINES...]: $REKAM_TMP/rekamd.conf with [station] first
	{
		echo "[station]"
		echo "id = ${REKAM_STATION_ID:-6305-TEST-01}"
		for line in "$@"; do
			echo "$line"
		done
	} >"$REKAM_TMP/rekamd.conf"
}

rekamd_cmd() { # the command line that runs rekamd (valgrind when asked)
	if [ "${REKAM_TEST_VALGRIND:-0}" = 1 ]; then
		echo valgrind --quiet --error-exitcode=98 --leak-check=full \
			--errors-for-leak-kinds=definite --log-file="$REKAM_TMP/valgrind.%p.log"
	fi
}

start_rekamd_nowait() { # start_rekamd_nowait [ARGS...]: default args unless given
	[ -x "$REKAMD" ] || bail "rekamd is not built at $REKAMD"
	[ $# -gt 0 ] || set -- --session --state-dir "$REKAM_TMP/state" \
		--config "$REKAM_TMP/rekamd.conf"
	# shellcheck disable=SC2046
	$(rekamd_cmd) "$REKAMD" "$@" 2>>"$REKAM_TMP/rekamd.log" &
	REKAMD_PID=$!
}

wait_for_name() { # until rekamd owns its name; 1 if it died first
	local i
	for i in $(seq 400); do
		name_has_owner && return 0
		kill -0 "$REKAMD_PID" 2>/dev/null || return 1
		sleep 0.05
	done
	return 1
}

start_rekamd() { # start_rekamd [ARGS...]: start and wait for the bus name
	start_rekamd_nowait "$@"
	wait_for_name || bail "rekamd did not appear on the bus"
}

rekamd_alive() {
	[ -n "$REKAMD_PID" ] && kill -0 "$REKAMD_PID" 2>/dev/null
}

wait_rekamd() { # wait for rekamd to exit; its status in REKAMD_STATUS
	local i
	REKAMD_STATUS=
	wait "$REKAMD_PID"
	REKAMD_STATUS=$?
	REKAMD_PID=
	# The bus may not have seen the disconnect yet: a rekamd started next
	# must not find the name still owned by this one.
	if [ -n "${DBUS_SESSION_BUS_ADDRESS:-}" ]; then
		for i in $(seq 100); do
			name_has_owner || break
			sleep 0.05
		done
	fi
}

stop_rekamd() { # SIGTERM and wait; the exit status in REKAMD_STATUS
	kill -TERM "$REKAMD_PID" 2>/dev/null
	wait_rekamd
}

run_rekamd() { # run rekamd in the foreground (it should exit); status in REKAMD_STATUS
	[ -x "$REKAMD" ] || bail "rekamd is not built at $REKAMD"
	# shellcheck disable=SC2046
	$(rekamd_cmd) "$REKAMD" "$@" >"$REKAM_TMP/run.out" 2>"$REKAM_TMP/run.err"
	REKAMD_STATUS=$?
}

# --- calls -------------------------------------------------------------------

call() { # call METHOD [ARGS...]: dbus-send to the manager; reply on stdout
	local method=$1
	shift
	dbus-send --session --print-reply --dest="$REKAM_NAME" "$REKAM_PATH" \
		"$REKAM_NAME.$method" "$@" 2>&1
}

get_property() { # get_property NAME: the value of a manager string property
	dbus-send --session --print-reply=literal --dest="$REKAM_NAME" "$REKAM_PATH" \
		org.freedesktop.DBus.Properties.Get "string:$REKAM_NAME" "string:$1" 2>&1 |
		sed -e 's/^ *variant *//' -e 's/ *$//'
}

# --- rekamctl ------------------------------------------------------------------

ctl() { # rekamctl, under valgrind when REKAM_TEST_VALGRIND=1
	if [ "${REKAM_TEST_VALGRIND:-0}" = 1 ]; then
		valgrind --quiet --error-exitcode=98 --leak-check=full \
			--errors-for-leak-kinds=definite \
			--log-file="$REKAM_TMP/valgrind-rekamctl.%p.log" "$REKAMCTL" "$@"
	else
		"$REKAMCTL" "$@"
	fi
}

run_ctl() { # run_ctl ARGS...: rekamctl's exit status in RC, output in OUT and ERR
	ctl "$@" >"$REKAM_TMP/ctl.out" 2>"$REKAM_TMP/ctl.err"
	RC=$?
	OUT=$(cat "$REKAM_TMP/ctl.out")
	ERR=$(cat "$REKAM_TMP/ctl.err")
}

make_png() { # make_png FILE R G B [W H]: a card side, a gradient on a colour
	python3 - "$@" <<'EOF'
import struct, sys, zlib
path, r, g, b = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
w = int(sys.argv[5]) if len(sys.argv) > 5 else 1012
h = int(sys.argv[6]) if len(sys.argv) > 6 else 638
rows = b"".join(b"\0" + bytes(v for x in range(w)
                               for v in (r, (g + y) % 256, (b + x) % 256))
                for y in range(h))
def chunk(t, d):
    return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d))
open(path, "wb").write(b"\x89PNG\r\n\x1a\n" +
                       chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)) +
                       chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))
EOF
}

forwarded_applicant() { # forwarded_applicant N: applicant N (a NIK of its own, on the bus of
	# rekamctl's arguments in $A) through steps 1-4, ready for Record; its id in ID
	run_ctl "$A" enroll submit --nik="63050117039100$(printf %02d "$1")" --name="AHMAD FAUZI" \
		--sex=male --birth-place=RANTAU --birth-date=1991-03-17 --religion=islam \
		--marital-status=married --street="JL. JENDERAL SUDIRMAN NO. 5" --rt=001 --rw=002 \
		--village="RANTAU KIWA" --district="TAPIN UTARA"
	ID=$(printf '%s\n' "$OUT" | sed -n 's/^Enrollment \([0-9]*\): submitted.*/\1/p')
	[ -n "$ID" ] || { diag "$ERR"; return 1; }
	ctl "$A" enroll receive "$ID" --have=f102,family-card,diploma >/dev/null &&
		ctl "$A" enroll verify "$ID" >/dev/null && ctl "$A" enroll forward "$ID" >/dev/null
}

check_ctl_valgrind() { # under REKAM_TEST_VALGRIND=1: a check that ctl found no error
	if [ "${REKAM_TEST_VALGRIND:-0}" = 1 ]; then
		reports=$(cat "$REKAM_TMP"/valgrind-rekamctl.*.log 2>/dev/null)
		is "$reports" "" "valgrind found nothing in rekamctl"
	fi
}

# --- device simulators (a test starts one as $SIM_PID, its control socket $CTL) ------

sim_cmd() { # the prefix a simulator runs with: valgrind when asked
	if [ "${REKAM_TEST_VALGRIND:-0}" = 1 ]; then
		echo valgrind --quiet --error-exitcode=98 --leak-check=full \
			--errors-for-leak-kinds=definite --log-file="$REKAM_TMP/valgrind-sim.%p.log"
	fi
}

stop_sim() { # SIGTERM the simulator; its exit status in SIM_STATUS; no stale control socket
	kill -TERM "$SIM_PID" 2>/dev/null
	wait "$SIM_PID"
	SIM_STATUS=$?
	SIM_PID=
	[ -n "${CTL:-}" ] && rm -f "$CTL"
}

wait_sim() { # until $SIM_PID makes its control socket $CTL; 1 (SIM_PID reaped) if it exits
	for _ in $(seq 400); do
		[ -S "$CTL" ] && return 0
		kill -0 "$SIM_PID" 2>/dev/null || break
		sleep 0.05
	done
	wait "$SIM_PID" 2>/dev/null
	SIM_PID=
	return 1
}

sim_failed() { # sim_failed NAME: bail out, NAME did not start, with the simulator's log
	sed 's/^/# sim: /' "$REKAM_TMP/sim.log"
	bail "$1 did not start"
}

sim_ctl() { # sim_ctl LINE...: one session on the control socket $CTL, answers on stdout
	printf '%s\n' "$@" | socat -t 5 - "UNIX-CONNECT:$CTL"
}

wait_for() { # wait_for SECONDS COMMAND...: until COMMAND succeeds
	local limit=$1 i
	shift
	for i in $(seq $((limit * 20))); do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.05
	done
	return 1
}

# --- a private pcscd with the vpcd reader ------------------------------------------
# pcscd's client socket is fixed (/run/pcscd/pcscd.comm): one pcscd per machine.
# require_pcscd waits for /tmp/rekam-pcscd.lock, so that such tests take
# turns, then skips the test when a pcscd it did not start runs or the socket
# is taken. start_pcscd starts pcscd -f -c with
# a private reader.conf.d whose vpcd entry listens on $VPCD_PORT (slot 0,
# reader "Virtual PCD 00 00") and $VPCD_PORT+1; stop_pcscd stops exactly it.

VPCD_DRIVER=${REKAM_VPCD_DRIVER:-/usr/lib/pcsc/drivers/serial/libifdvpcd.so}
VPCD_PORT=
PCSC_RUN=/run/pcscd

require_pcscd() {
	local running
	require_tools pcscd opensc-tool socat flock
	[ -f "$VPCD_DRIVER" ] ||
		skip_all "the vpcd driver is not installed ($VPCD_DRIVER; Debian: vsmartcard-vpcd)"
	# One pcscd per machine: tests that need one take turns on this lock
	# (make check runs them in parallel). It is held on fd 9 until this
	# test and everything it started, pcscd included, have exited.
	exec 9>>/tmp/rekam-pcscd.lock
	flock -w 600 9 ||
		skip_all "another test has held /tmp/rekam-pcscd.lock (its pcscd) for 10 minutes"
	running=$(ps -C pcscd -o pid=,stat= 2>/dev/null | awk '$2 !~ /^Z/ { printf "%s ", $1 }')
	if [ -n "$running" ]; then
		skip_all "a pcscd is already running (pid ${running% }): its socket" \
			"$PCSC_RUN/pcscd.comm is the only one PC/SC clients reach; stop it to run this test"
	fi
	if [ -S "$PCSC_RUN/pcscd.comm" ] &&
		socat -u /dev/null "UNIX-CONNECT:$PCSC_RUN/pcscd.comm" 2>/dev/null; then
		skip_all "$PCSC_RUN/pcscd.comm is in use (systemd's pcscd.socket?); stop it to run this test"
	fi
	mkdir -p "$PCSC_RUN" 2>/dev/null
	[ -w "$PCSC_RUN" ] ||
		skip_all "pcscd needs a writable $PCSC_RUN (run as root, or create it for this user)"
	_vpcd_pick_port
}

_vpcd_port_free() { # nothing listens on PORT and PORT+1 (vpcd's two slots)
	! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null &&
		! (exec 3<>"/dev/tcp/127.0.0.1/$(($1 + 1))") 2>/dev/null
}

_vpcd_pick_port() {
	local p
	for _ in $(seq 20); do
		# below the ephemeral range (32768-60999 on Linux), where another
		# process's outgoing connection could hold the port vpcd binds
		p=$((20000 + (RANDOM % 5000) * 2))
		if _vpcd_port_free "$p"; then
			VPCD_PORT=$p
			return 0
		fi
	done
	bail "no free port pair for vpcd"
}

start_pcscd() { # until opensc-tool -l shows the vpcd reader
	mkdir -p "$REKAM_TMP/reader.conf.d"
	# vpcd cannot bind a port that is in use (seen: "Address already in
	# use"); the second attempt takes another port pair
	for attempt in 1 2; do
		[ "$attempt" = 1 ] || _vpcd_pick_port
		cat >"$REKAM_TMP/reader.conf.d/vpcd" <<EOF
FRIENDLYNAME "Virtual PCD"
DEVICENAME /dev/null:$VPCD_PORT
LIBPATH $VPCD_DRIVER
CHANNELID $VPCD_PORT
EOF
		pcscd -f -c "$REKAM_TMP/reader.conf.d" >>"$REKAM_TMP/pcscd.log" 2>&1 &
		PCSCD_PID=$!
		wait_for 15 sh -c 'opensc-tool -l 2>/dev/null | grep -q "Virtual PCD"' && return 0
		diag "pcscd did not show the vpcd reader (port $VPCD_PORT, attempt $attempt):"
		tail -5 "$REKAM_TMP/pcscd.log" | sed 's/^/#   /'
		stop_pcscd
	done
	bail "pcscd did not show the vpcd reader (port $VPCD_PORT)"
}

stop_pcscd() {
	kill -TERM "$PCSCD_PID" 2>/dev/null
	wait "$PCSCD_PID" 2>/dev/null
	PCSCD_PID=
}
