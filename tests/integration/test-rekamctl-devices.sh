#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# tests/integration/test-rekamctl-devices.sh - `rekamctl devices`: the table
# (sorted by path, columns sized to content, long values cut with an
# ellipsis, the last error under its row, the count line), --json, one
# device's properties, an unknown device (1), no devices, rekamd not running
# (69). The devices come from the "sigpad-outside" plugin, built outside the
# tree against the installed SDK (sdk-plugin.sh). REKAM_TEST_VALGRIND=1 runs
# rekamctl under valgrind as well.

# shellcheck source=tests/integration/lib.sh
. "${REKAM_TEST_LIB:-$(dirname "$0")/lib.sh}"
# shellcheck source=tests/integration/sdk-plugin.sh
. "$(dirname "${REKAM_TEST_LIB:-$0}")/sdk-plugin.sh"

require_tools busctl python3
python3 -c 'import json' 2>/dev/null || skip_all "python3 cannot import json"
sdk_require
[ -x "$REKAMCTL" ] || bail "rekamctl is not built at $REKAMCTL"

device_state() { # device_state NAME: State of /id/rekam/Station1/devices/NAME
	busctl --user get-property "$REKAM_NAME" "$REKAM_PATH/devices/$1" "$REKAM_NAME.Device" \
		State 2>/dev/null | sed -n 's/^s "\(.*\)"$/\1/p'
}

state_is() { # state_is NAME STATE
	[ "$(device_state "$1")" = "$2" ]
}

restart_rekamd() { # restart_rekamd CONFIG-LINES...: a fresh rekamd with these devices
	[ -n "$REKAMD_PID" ] && stop_rekamd
	write_config "$@"
	start_rekamd --session --state-dir "$REKAM_TMP/state" --config "$REKAM_TMP/rekamd.conf" \
		--plugin-dir "$SDK_PLUGIN_DIR"
}

sdk_install
sdk_build_outside "$SDK_PLUGIN_DIR" ||
	bail "the outside plugin does not compile: $(cat "$REKAM_TMP/cc-sigpad-outside.log")"
start_bus

# --- no devices --------------------------------------------------------------

restart_rekamd
run_ctl --session devices
is "$RC" 0 "devices with none configured exits 0"
is "$OUT" "No devices." "it says 'No devices.'"
is "$ERR" "" "and nothing on stderr"
run_ctl --session --json devices
is "$OUT" "[]" "--json devices with none is an empty array"

# --- one device --------------------------------------------------------------

restart_rekamd "[device pad]" "plugin = sigpad-outside" "connection = outside:1"
wait_for 5 state_is sigpad0 idle || diag "sigpad0 did not become idle"

run_ctl --session devices
is "$RC" 0 "devices exits 0"
is "$ERR" "" "devices writes nothing on stderr"
is "$(printf '%s\n' "$OUT" | sed -n 1p)" \
	"DEVICE   CLASS   STATE  MODEL      SERIAL    PLUGIN          CONNECTION  CLAIMED" \
	"the header names the columns, sized to the content"
is "$(printf '%s\n' "$OUT" | sed -n 2p)" \
	"sigpad0  sigpad  idle   Outside-1  OUT-0001  sigpad-outside  outside:1   -" \
	"the row shows the device; CLAIMED is '-'"
is "$(printf '%s\n' "$OUT" | tail -n1)" "1 device" "the count line is '1 device'"
is "$(printf '%s\n' "$OUT" | wc -l | tr -d ' ')" 3 "header, one row, count: nothing else"

run_ctl --session --json devices
is "$RC" 0 "--json devices exits 0"
json_check=$(python3 -c '
import json, sys
doc = json.load(open(sys.argv[1]))
assert isinstance(doc, list) and len(doc) == 1, "not a list of one"
d = doc[0]
assert sorted(d) == ["path", "properties"], sorted(d)
assert d["path"] == "/id/rekam/Station1/devices/sigpad0", d["path"]
p = d["properties"]
for key in ("Name", "Class", "Model", "Serial", "Firmware", "Plugin", "Connection", "State",
            "LastError", "Health", "ClaimedBy"):
    assert key in p, "no " + key
assert p["Model"] == "Outside-1" and p["Name"] == "pad" and p["State"] == "idle", p
assert p["Health"] == {"Connected": True}, p["Health"]
print("ok")
' "$REKAM_TMP/ctl.out" 2>&1)
is "$json_check" "ok" "--json devices: [{path, properties: every Device property}]"

run_ctl --session devices sigpad0
is "$RC" 0 "devices sigpad0 exits 0"
like "$OUT" '^Path: /id/rekam/Station1/devices/sigpad0$' "it shows the object path"
like "$OUT" '^Model: Outside-1$' "it shows Model: Outside-1"
like "$OUT" '^Name: pad$' "it shows the configured name"
like "$OUT" '^Plugin: sigpad-outside$' "it shows the plugin"
like "$OUT" '^Health\.Connected: true$' "it shows Health.Connected: true"
like "$OUT" '^LastError: $' "it shows LastError, empty"
one_device=$OUT

run_ctl --session devices /id/rekam/Station1/devices/sigpad0
is "$OUT" "$one_device" "a full object path shows the same"
run_ctl --session devices pad
is "$OUT" "$one_device" "the configured name shows the same"

run_ctl --session --json devices sigpad0
is "$(python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
print(d["path"], d["properties"]["Model"])' "$REKAM_TMP/ctl.out" 2>&1)" \
	"/id/rekam/Station1/devices/sigpad0 Outside-1" "--json devices sigpad0 is that device's object"

run_ctl --session devices sigpad9
is "$RC" 1 "an unknown device exits 1"
is "$ERR" "rekamctl: no device sigpad9" "it says 'no device sigpad9'"
is "$OUT" "" "nothing on stdout for an unknown device"

run_ctl --session devices sigpad0 extra
is "$RC" 64 "devices with two arguments is a usage error (64)"

# --- several devices: sorting, cutting, last error -----------------------------

long_model="Outside Signature Pad Professional Edition 2000"
restart_rekamd \
	"[device zpad]" "plugin = sigpad-outside" "connection = outside:1" \
	"[device apad]" "plugin = sigpad-outside" \
	"connection = outside:a-rather-long-connection-string-that-is-not-cut" \
	"model = $long_model" \
	"[device bpad]" "plugin = sigpad-outside" "connection = outside:3" "open = error"
wait_for 5 state_is sigpad0 idle
wait_for 5 state_is sigpad1 idle
wait_for 5 state_is sigpad2 error || diag "sigpad2 did not reach the error state"

run_ctl --session devices
is "$RC" 0 "devices with three devices exits 0"
is "$(printf '%s\n' "$OUT" | tail -n1)" "3 devices" "the count line is '3 devices'"
is "$(printf '%s\n' "$OUT" | awk 'NR > 1 && /^sigpad/ { print $1 }' | tr '\n' ' ')" \
	"sigpad0 sigpad1 sigpad2 " "the rows are sorted by object path"
cut=$(printf '%s' "$long_model" | cut -c1-31)…
row1=$(printf '%s\n' "$OUT" | grep '^sigpad1 ')
like "$row1" "  $cut  " "a model longer than 32 characters is cut to 32 with '…'"
unlike "$OUT" "$long_model" "the long model is not shown whole in the table"
like "$row1" 'outside:a-rather-long-connection-string-that-is-not-cut' \
	"CONNECTION is never cut"
is "$(printf '%s\n' "$OUT" | grep -A1 '^sigpad2 ' | sed -n 2p)" \
	"  last error: the outside pad is switched off" "the last error is shown under its row"
like "$(printf '%s\n' "$OUT" | grep '^sigpad2 ')" ' error +- +- +sigpad-outside ' \
	"an unopened device shows '-' for its empty model and serial"
header=$(printf '%s\n' "$OUT" | sed -n 1p)
model_col=$(printf '%s\n' "$header" | awk '{ print index($0, "MODEL") }')
serial_col=$(printf '%s\n' "$header" | awk '{ print index($0, "SERIAL") }')
is "$((serial_col - model_col))" 34 "the MODEL column is as wide as its widest (cut) value"

run_ctl --session --json devices
is "$(python3 -c '
import json, sys
doc = json.load(open(sys.argv[1]))
print(" ".join(d["path"].rsplit("/", 1)[1] for d in doc))
print(doc[1]["properties"]["Model"])
print(doc[2]["properties"]["LastError"])' "$REKAM_TMP/ctl.out" 2>&1)" \
	"$(printf 'sigpad0 sigpad1 sigpad2\n%s\nthe outside pad is switched off' "$long_model")" \
	"--json: sorted by path, long values whole, LastError"

run_ctl --session devices sigpad1
like "$OUT" "^Model: $long_model\$" "devices DEVICE shows a long value whole"

# --- eleven devices: sigpad2 before sigpad10 ------------------------------------

set --
for i in 0 1 2 3 4 5 6 7 8 9 10; do
	set -- "$@" "[device pad$i]" "plugin = sigpad-outside" "connection = outside:$i"
done
restart_rekamd "$@"
wait_for 5 state_is sigpad10 idle
run_ctl --session devices
is "$(printf '%s\n' "$OUT" | awk 'NR > 1 && /^sigpad/ { print $1 }' | tr '\n' ' ')" \
	"sigpad0 sigpad1 sigpad2 sigpad3 sigpad4 sigpad5 sigpad6 sigpad7 sigpad8 sigpad9 sigpad10 " \
	"numbers in paths sort by value (sigpad9 before sigpad10)"
is "$(printf '%s\n' "$OUT" | tail -n1)" "11 devices" "the count line is '11 devices'"
run_ctl --session --json devices
is "$(python3 -c '
import json, sys
print(" ".join(d["path"].rsplit("/", 1)[1] for d in json.load(open(sys.argv[1]))))' \
	"$REKAM_TMP/ctl.out" 2>&1)" \
	"sigpad0 sigpad1 sigpad2 sigpad3 sigpad4 sigpad5 sigpad6 sigpad7 sigpad8 sigpad9 sigpad10" \
	"--json sorts the same way"

# --- claimed ---------------------------------------------------------------------

# A claim lasts while its client stays on the bus: a small libdbus client that
# claims sigpad0, prints its unique name and waits to be killed.
cat >"$REKAM_TMP/claimer.c" <<'EOF'
#include <stdio.h>
#include <unistd.h>
#include <dbus/dbus.h>

int main(void)
{
	DBusConnection *conn = dbus_bus_get(DBUS_BUS_SESSION, NULL);
	DBusMessage *msg, *reply;

	if (!conn)
		return 1;
	msg = dbus_message_new_method_call("id.rekam.Station1", "/id/rekam/Station1/devices/sigpad0",
		"id.rekam.Station1.Device", "Claim");
	reply = msg ? dbus_connection_send_with_reply_and_block(conn, msg, 5000, NULL) : NULL;
	if (!reply)
		return 1;
	printf("%s\n", dbus_bus_get_unique_name(conn));
	fflush(stdout);
	for (;;)
		pause();
}
EOF
claimer=
# shellcheck disable=SC2046 # pkg-config prints lists of flags
if "$SDK_CC" -o "$REKAM_TMP/claimer" "$REKAM_TMP/claimer.c" \
	$("$SDK_PKG_CONFIG" --cflags --libs dbus-1 2>/dev/null) >"$REKAM_TMP/cc-claimer.log" 2>&1; then
	"$REKAM_TMP/claimer" >"$REKAM_TMP/claimer.out" 2>&1 &
	claimer=$!
	wait_for 5 test -s "$REKAM_TMP/claimer.out"
	claimer_name=$(head -n1 "$REKAM_TMP/claimer.out")
	run_ctl --session devices
	like "$(printf '%s\n' "$OUT" | grep '^sigpad0 ')" " $claimer_name\$" \
		"CLAIMED shows the claiming client's bus name ($claimer_name)"
	run_ctl --session devices sigpad0
	like "$OUT" "^ClaimedBy: $claimer_name\$" "devices DEVICE shows ClaimedBy"
	kill "$claimer" 2>/dev/null
	wait "$claimer" 2>/dev/null
else
	diag "cannot build a libdbus client; CLAIMED not checked"
	sed 's/^/#   /' "$REKAM_TMP/cc-claimer.log"
fi

# --- help, and rekamd not running ------------------------------------------------

run_ctl --help
like "$OUT" '^  devices \[DEVICE\] +[A-Z]' "--help lists the devices command"
check "'help devices' describes it" ctl help devices

stop_rekamd
run_ctl --session devices
is "$RC" 69 "rekamd stopped: devices exits 69"
like "$ERR" 'rekamd is not running' "stderr says rekamd is not running"
is "$OUT" "" "nothing on stdout"

check_ctl_valgrind

done_testing
