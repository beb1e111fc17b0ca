#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# tests/integration/test-bus-api.sh - rekamd's D-Bus API through third-party
# clients (gdbus, busctl, dbus-send): introspection matches the documented
# dbus/id.rekam.Station1.xml, properties, ObjectManager, and bad calls that
# get clear errors while rekamd keeps running.
. "${REKAM_TEST_LIB:-$(dirname "$0")/lib.sh}"

require_tools gdbus busctl dbus-send python3 xmllint
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
API_XML=$top_srcdir/dbus/id.rekam.Station1.xml
DEVICE_XML=$top_srcdir/dbus/id.rekam.Station1.Device.xml
ENROLLMENT_XML=$top_srcdir/dbus/id.rekam.Station1.Enrollment.xml
[ -n "${REKAM_TEST_PLUGIN_DIR:-}" ] || skip_all "REKAM_TEST_PLUGIN_DIR is not set (run through make check)"
CAM=$REKAM_PATH/devices/camera0

start_bus
write_config "office-hours = 00:00-23:59" "[device cam]" "plugin = test-timer" "connection = test:1"
start_rekamd --session --state-dir "$REKAM_TMP/state" --config "$REKAM_TMP/rekamd.conf" \
	--plugin-dir "$REKAM_TEST_PLUGIN_DIR" --plugins 'test-timer'
busctl=(busctl --address="$DBUS_SESSION_BUS_ADDRESS")

# --- introspection --------------------------------------------------------------
out=$(gdbus introspect --session --dest $REKAM_NAME --object-path $REKAM_PATH 2>&1)
like "$out" "interface id.rekam.Station1 \{" "gdbus introspect shows the manager interface"
like "$out" "GetStatus\(out a\{sv\} status\);" "... with GetStatus and its argument"
like "$out" "readonly s State = 'ready';" "... and State as a read-only property"
like "$out" "interface org.freedesktop.DBus.ObjectManager" "... and the ObjectManager on the root"

out=$("${busctl[@]}" introspect $REKAM_NAME $REKAM_PATH 2>&1)
like "$out" "\.Ping +method +- +- " "busctl introspect lists Ping"
like "$out" "\.Version +property +s +\"[0-9.]+\" +emits-change|\.Version +property +s +\"[0-9.]+\" +const" \
	"... and Version as a const property"

out=$("${busctl[@]}" tree $REKAM_NAME 2>&1)
like "$out" "/id/rekam/Station1" "busctl tree walks from / down to the root object"

check "the API documents are well-formed XML" xmllint --noout "$API_XML" "$DEVICE_XML" \
	"$ENROLLMENT_XML"

# Every interface, method, argument, property and signal of each document must
# be what rekamd answers, and the other way round.
compare_api() { # compare_api DOCUMENT OBJECT-PATH
dbus-send --session --print-reply=literal --dest=$REKAM_NAME "$2" \
	org.freedesktop.DBus.Introspectable.Introspect >"$REKAM_TMP/live.xml" 2>&1
python3 - "$1" "$REKAM_TMP/live.xml" <<'EOF' 2>&1
import sys, xml.etree.ElementTree as ET

def members(root):
    out = set()
    for iface in root.iter("interface"):
        name = iface.get("name")
        if name.startswith("org.freedesktop.DBus."):
            continue
        out.add(f"interface {name}")
        for m in iface.findall("method"):
            args = [(a.get("direction", "in"), a.get("name"), a.get("type")) for a in m.findall("arg")]
            out.add(f"method {name}.{m.get('name')} {args}")
        for s in iface.findall("signal"):
            args = [(a.get("name"), a.get("type")) for a in s.findall("arg")]
            out.add(f"signal {name}.{s.get('name')} {args}")
        for p in iface.findall("property"):
            out.add(f"property {name}.{p.get('name')} {p.get('type')} {p.get('access')}")
    return out

doc = members(ET.parse(sys.argv[1]).getroot())
live_text = open(sys.argv[2]).read().strip()
live = members(ET.fromstring(live_text[live_text.index("<node"):]))
for m in sorted(doc - live):
    print("documented but not served:", m)
for m in sorted(live - doc):
    print("served but not documented:", m)
print("members compared:", len(doc))
EOF
}
out=$(compare_api "$API_XML" $REKAM_PATH)
like "$out" "members compared: [1-9]" "the live introspection parses"
unlike "$out" "documented but not served|served but not documented" \
	"the live introspection matches dbus/id.rekam.Station1.xml member for member"
out=$(compare_api "$DEVICE_XML" $CAM)
like "$out" "members compared: [1-9]" "a device's live introspection parses"
unlike "$out" "documented but not served|served but not documented" \
	"a device's live introspection matches dbus/id.rekam.Station1.Device.xml member for member"
out=$(gdbus call --session --dest $REKAM_NAME --object-path $REKAM_PATH --method $REKAM_NAME.Submit \
	"{'Nik': <'6305014506900001'>, 'Name': <'SITI AMINAH'>, 'Sex': <'female'>,
	  'BirthPlace': <'Rantau'>, 'BirthDate': <'1990-06-05'>, 'Religion': <'islam'>,
	  'MaritalStatus': <'married'>, 'Address': <'Jl. A. Yani No. 5'>, 'Rt': <'001'>,
	  'Rw': <'002'>, 'Village': <'Rantau Kiwa'>, 'District': <'Tapin Utara'>}" 2>&1)
is "$out" "(objectpath '$REKAM_PATH/enrollments/1',)" "Submit creates an enrollment to introspect"
out=$(compare_api "$ENROLLMENT_XML" $REKAM_PATH/enrollments/1)
like "$out" "members compared: [1-9]" "an enrollment's live introspection parses"
unlike "$out" "documented but not served|served but not documented" \
	"an enrollment's live introspection matches dbus/id.rekam.Station1.Enrollment.xml member for member"

# --- properties and methods -------------------------------------------------------
is "$("${busctl[@]}" get-property $REKAM_NAME $REKAM_PATH $REKAM_NAME State 2>&1)" 's "ready"' \
	"busctl get-property State"
is "$("${busctl[@]}" get-property $REKAM_NAME $REKAM_PATH $REKAM_NAME StationId 2>&1)" \
	's "6305-TEST-01"' "busctl get-property StationId"
out=$(dbus-send --session --print-reply --dest=$REKAM_NAME $REKAM_PATH \
	org.freedesktop.DBus.Properties.GetAll string:$REKAM_NAME 2>&1 | tr -d '\n')
like "$out" "Version.*StationId.*State.*OfficeHours.*Devices" "dbus-send GetAll returns the five properties"
check "Ping answers" dbus-send --session --print-reply --dest=$REKAM_NAME $REKAM_PATH $REKAM_NAME.Ping
out=$(gdbus call --session --dest $REKAM_NAME --object-path $REKAM_PATH --method $REKAM_NAME.GetStatus 2>&1)
like "$out" "'StationId': <'6305-TEST-01'>" "gdbus call GetStatus has StationId"
like "$out" "'Uptime': <uint64 [0-9]+>" "... Uptime as uint64"
like "$out" "'SchemaVersion': <uint32 [1-9]" "... SchemaVersion"
out=$(gdbus call --session --dest $REKAM_NAME --object-path $REKAM_PATH \
	--method org.freedesktop.DBus.ObjectManager.GetManagedObjects 2>&1)
like "$out" "objectpath '$CAM': \{'id.rekam.Station1.Device': \{'Name': <'cam'>" \
	"GetManagedObjects lists the device with its properties"
out=$("${busctl[@]}" get-property $REKAM_NAME $REKAM_PATH $REKAM_NAME Devices 2>&1)
is "$out" "ao 1 \"$CAM\"" "the manager's Devices property lists it"

# --- bad input: clear errors, nothing changes, rekamd keeps running ------------------
out=$(call Ping string:surprise)
like "$out" "id.rekam.Station1.Error.InvalidArguments: id.rekam.Station1.Ping expects arguments \(\), got \(s\)" \
	"an argument to Ping gives InvalidArguments with the expected signature"
out=$(call GetStatus int32:1 boolean:true)
like "$out" "Error.InvalidArguments: .*got \(ib\)" "wrong argument types to GetStatus are refused"
out=$(call Frobnicate)
like "$out" "org.freedesktop.DBus.Error.UnknownMethod" "an unknown method gives UnknownMethod"
out=$(dbus-send --session --print-reply --dest=$REKAM_NAME $REKAM_PATH/nope $REKAM_NAME.Ping 2>&1)
like "$out" "org.freedesktop.DBus.Error.UnknownObject" "an unknown object path gives UnknownObject"
out=$(dbus-send --session --print-reply --dest=$REKAM_NAME $REKAM_PATH id.rekam.Nothing1.Ping 2>&1)
like "$out" "org.freedesktop.DBus.Error.UnknownInterface" "an unknown interface gives UnknownInterface"
out=$(dbus-send --session --print-reply --dest=$REKAM_NAME $REKAM_PATH \
	org.freedesktop.DBus.Properties.Get string:$REKAM_NAME string:Colour 2>&1)
like "$out" "org.freedesktop.DBus.Error.UnknownProperty" "an unknown property gives UnknownProperty"
out=$(dbus-send --session --print-reply --dest=$REKAM_NAME $REKAM_PATH \
	org.freedesktop.DBus.Properties.Set string:$REKAM_NAME string:State variant:string:ready 2>&1)
like "$out" "org.freedesktop.DBus.Error.PropertyReadOnly" "setting State gives PropertyReadOnly"
out=$(dbus-send --session --print-reply --dest=$REKAM_NAME $REKAM_PATH \
	org.freedesktop.DBus.Properties.Get int32:4 2>&1)
like "$out" "org.freedesktop.DBus.Error.InvalidArgs" "Properties.Get with wrong types gives InvalidArgs"
# (one command-line argument can hold at most 128 KiB)
big=$(head -c 120000 /dev/zero | tr '\0' 'x')
out=$("${busctl[@]}" call $REKAM_NAME $REKAM_PATH $REKAM_NAME Ping s "$big" 2>&1)
like "$out" "expects arguments" "a 120 kB string argument is refused cleanly"
unset big

check "rekamd is still running after the bad calls" rekamd_alive
is "$(get_property State)" "ready" "... and still ready"
is "$(get_property StationId)" "6305-TEST-01" "... with nothing changed"

# --- clean shutdown ----------------------------------------------------------
stop_rekamd
is "$REKAMD_STATUS" 0 "SIGTERM stops rekamd with status 0"
unlike "$(cat "$REKAM_TMP/rekamd.log")" "^<[0-3]>" "no error was logged during the whole test"

done_testing
