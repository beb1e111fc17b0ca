#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# tests/integration/test-rekamctl.sh - rekamctl, the command-line client,
# against the real rekamd on a private bus: the status block, --json, the
# ways of choosing a bus, the help, usage errors (64), an unreachable bus or
# daemon (69), a daemon that does not answer (69), a bus policy that denies
# the call (77). REKAM_TEST_VALGRIND=1 runs rekamctl under valgrind as well.

# shellcheck source=tests/integration/lib.sh
. "${REKAM_TEST_LIB:-$(dirname "$0")/lib.sh}"

# --json output is checked with a real JSON parser: python3, else jq.
if command -v python3 >/dev/null 2>&1 && python3 -c 'import json' 2>/dev/null; then
	JSON_TOOL=python3
elif command -v jq >/dev/null 2>&1; then
	JSON_TOOL=jq
else
	skip_all "neither python3 nor jq is installed (needed to check --json output)"
fi

json_valid() { # json_valid FILE: FILE holds one valid JSON document
	case $JSON_TOOL in
	python3) python3 -m json.tool "$1" >/dev/null ;;
	jq) jq empty "$1" ;;
	esac
}

json_field() { # json_field FILE KEY: "TYPE VALUE" of a top-level key, or "missing"
	case $JSON_TOOL in
	python3)
		python3 -c '
import json, sys
doc = json.load(open(sys.argv[1]))
if not isinstance(doc, dict) or sys.argv[2] not in doc:
    print("missing")
    sys.exit(0)
v = doc[sys.argv[2]]
kind = {bool: "boolean", int: "number", float: "number", str: "string",
        list: "array", dict: "object", type(None): "null"}[type(v)]
print(kind, str(v).lower() if kind == "boolean" else v)
' "$1" "$2"
		;;
	jq)
		jq -r --arg k "$2" \
			'if type == "object" and has($k) then "\(.[$k] | type) \(.[$k])" else "missing" end' "$1"
		;;
	esac
}

[ -x "$REKAMCTL" ] || bail "rekamctl is not built at $REKAMCTL"

start_bus
write_config
start_rekamd
station=$(sed -n 's/^id *= *//p' "$REKAM_TMP/rekamd.conf")
daemon_version=$(get_property Version)

# --- version and help, which need no bus -------------------------------------

run_ctl --version
is "$RC" 0 "--version exits 0"
like "$OUT" '^rekamctl [0-9]+\.[0-9]+' "--version prints 'rekamctl VERSION'"
is "$OUT" "rekamctl $daemon_version" "rekamctl and rekamd come from the same release"

run_ctl --help
is "$RC" 0 "--help exits 0"
like "$OUT" '^Usage: rekamctl ' "--help starts with the usage line"
like "$OUT" '^  status +[A-Z]' "--help lists the status command with a summary"
like "$OUT" '--session' "--help lists the options"
like "$OUT" 'Exit status' "--help explains the exit status"
is "$ERR" "" "--help writes nothing on stderr"
help_text=$OUT
run_ctl help
is "$OUT" "$help_text" "'rekamctl help' prints the same help as --help"
check "'help status' describes one command" ctl help status

# --- usage errors: 64 ----------------------------------------------------------

run_ctl --session frobnicate
is "$RC" 64 "an unknown command exits 64 (EX_USAGE)"
like "$ERR" "unknown command 'frobnicate'" "the unknown command is named on stderr"
like "$ERR" "Try 'rekamctl --help'" "stderr points to --help"
is "$OUT" "" "nothing on stdout after a usage error"

run_ctl --session --frobnicate status
is "$RC" 64 "an unknown option exits 64"
like "$ERR" "unknown option '--frobnicate'" "the unknown option is named on stderr"

run_ctl --session status extra
is "$RC" 64 "status with an argument exits 64"

run_ctl --session --timeout=soon status
is "$RC" 64 "a timeout that is not a number exits 64"

run_ctl
is "$RC" 64 "no command at all exits 64"
check_fails "help for an unknown command fails" ctl help frobnicate

# --- status ------------------------------------------------------------------

run_ctl --session status
is "$RC" 0 "status exits 0"
is "$ERR" "" "status writes nothing on stderr"
like "$OUT" "^Station: +$station\$" "status shows the configured station id ($station)"
like "$OUT" '^State: +ready$' "status shows State: ready"
like "$OUT" "^Version: +$daemon_version\$" "status shows rekamd's version ($daemon_version)"
like "$OUT" '^Office hours: +[0-9]{2}:[0-9]{2}-[0-9]{2}:[0-9]{2}' "status shows the office hours"
like "$OUT" '^Uptime: +([0-9]+ (d|h|min) )*[0-9]+ s$' "status shows the uptime in d/h/min/s"
like "$OUT" '^Starts: +[1-9][0-9]*' "status shows how many times rekamd started"
like "$OUT" '^Database: +schema version [1-9][0-9]*' "status shows the database schema version"
like "$OUT" "^Configuration: +$REKAM_TMP/rekamd.conf\$" "status shows the configuration file in use"
unlike "$OUT" 'Config error' "no 'Config error' line when the configuration loaded"
session_status=$(printf '%s\n' "$OUT" | grep -v '^Uptime:')

# options after the command work as well
run_ctl status --session
is "$RC" 0 "options may follow the command"

# --- status --json -------------------------------------------------------------

run_ctl --session --json status
is "$RC" 0 "--json status exits 0"
is "$ERR" "" "--json status writes nothing on stderr"
check "--json status prints valid JSON" json_valid "$REKAM_TMP/ctl.out"
json=$REKAM_TMP/status.json
cp "$REKAM_TMP/ctl.out" "$json"
is "$(json_field "$json" StationId)" "string $station" ".StationId is the station id"
is "$(json_field "$json" State)" "string ready" ".State is \"ready\""
is "$(json_field "$json" Version)" "string $daemon_version" ".Version is rekamd's version"
schema=$(json_field "$json" SchemaVersion)
like "$schema" '^number [0-9]+$' ".SchemaVersion is a number"
[ "${schema#number }" -ge 1 ] 2>/dev/null
ok $? ".SchemaVersion >= 1 (got '$schema')"
like "$(json_field "$json" Uptime)" '^number [0-9]+$' ".Uptime is a number"
like "$(json_field "$json" Starts)" '^number [1-9][0-9]*$' ".Starts is a positive number"
is "$(json_field "$json" ConfigError)" "string " ".ConfigError is an empty string"
keys=$(sed -n 's/^  "\([^"]*\)":.*/\1/p' "$json")
like "$keys" 'StationId' "the JSON object is indented by two spaces"
is "$keys" "$(printf '%s\n' "$keys" | LC_ALL=C sort)" "the JSON keys are sorted"

# --- --address ---------------------------------------------------------------

run_ctl --address "$DBUS_SESSION_BUS_ADDRESS" status
is "$RC" 0 "--address ADDRESS status exits 0"
is "$(printf '%s\n' "$OUT" | grep -v '^Uptime:')" "$session_status" \
	"--address prints the same status as --session"
run_ctl --address="$DBUS_SESSION_BUS_ADDRESS" --json status
is "$RC" 0 "--address=ADDRESS --json status exits 0"
is "$(json_field "$REKAM_TMP/ctl.out" State)" "string ready" "--address --json shows the state"

# --- rekamd does not answer in time: 69 ----------------------------------------

kill -STOP "$REKAMD_PID"
run_ctl --session --timeout=1 status
kill -CONT "$REKAMD_PID"
is "$RC" 69 "a stopped rekamd: status exits 69 after the timeout"
like "$ERR" 'rekamd did not answer within 1 s' "the timeout is explained"
check "rekamd answers again once it continues" ctl --session status

# --- rekamd not running, bus unreachable: 69 ------------------------------------

stop_rekamd
run_ctl --session status
is "$RC" 69 "rekamd stopped: status exits 69 (EX_UNAVAILABLE)"
like "$ERR" 'rekamd is not running' "stderr says rekamd is not running"
like "$ERR" 'id\.rekam\.Station1' "stderr names the bus name"
is "$OUT" "" "nothing on stdout"

run_ctl --session --json status
is "$RC" 69 "--json: rekamd stopped still exits 69"
is "$OUT" "" "--json: stdout stays empty on error"
like "$ERR" 'not running' "--json: the error is text on stderr"

run_ctl --address unix:path=/nonexistent status
is "$RC" 69 "a bus address nobody listens on exits 69"
like "$ERR" 'cannot connect to the bus at unix:path=/nonexistent' "stderr says it cannot connect"

DBUS_SYSTEM_BUS_ADDRESS="unix:path=$REKAM_TMP/no-system-bus"
export DBUS_SYSTEM_BUS_ADDRESS
run_ctl status
unset DBUS_SYSTEM_BUS_ADDRESS
is "$RC" 69 "the system bus (the default) unreachable: exits 69"
like "$ERR" 'cannot connect to the system bus' "stderr names the system bus"

run_ctl --address nonsense status
is "$RC" 64 "a malformed bus address is a usage error (64)"

# --- the bus policy denies the call: 77 ------------------------------------------

kill -TERM "$BUS_PID" 2>/dev/null
wait "$BUS_PID" 2>/dev/null
BUS_PID=
cat >"$REKAM_TMP/deny.conf" <<'EOF'
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:tmpdir=/tmp</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
    <deny send_destination="id.rekam.Station1" send_interface="id.rekam.Station1"
          send_member="GetStatus"/>
  </policy>
</busconfig>
EOF
rm -f "$REKAM_TMP/bus.address"
"$REKAM_DBUS_DAEMON" --config-file="$REKAM_TMP/deny.conf" --nofork --nopidfile --nosyslog \
	--address="unix:dir=$REKAM_TMP" --print-address=3 \
	3>"$REKAM_TMP/bus.address" 2>"$REKAM_TMP/bus.log" &
BUS_PID=$!
wait_for 5 test -s "$REKAM_TMP/bus.address" || bail "the restricted dbus-daemon did not start"
DBUS_SESSION_BUS_ADDRESS=$(head -n1 "$REKAM_TMP/bus.address")
export DBUS_SESSION_BUS_ADDRESS
start_rekamd

run_ctl --session status
is "$RC" 77 "a call the bus policy denies exits 77 (EX_NOPERM)"
like "$ERR" 'permission denied' "stderr says permission was denied"
is "$OUT" "" "nothing on stdout when denied"

# --- valgrind reports (REKAM_TEST_VALGRIND=1) ------------------------------------

check_ctl_valgrind

done_testing
