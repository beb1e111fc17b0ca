#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# tests/integration/test-roles-matrix.sh - every D-Bus method rekamd serves,
# called as each SOP role in turn (and as a user with no role), refused with
# AccessDenied exactly where the role matrix of docs/SECURITY.md says "no".
# The matrix is read from the document itself, and checked against rekamd's
# live introspection both ways, so a method cannot be added without a row.
#
# Tests run as one user: each run rewrites [roles] so that this user's group
# is the only one mapped to the role under test (every other role maps to a
# group that does not exist), and reloads rekamd with SIGHUP. The calls carry
# arguments that cannot succeed (an unknown checklist item, an empty reason,
# a device not claimed, ...), so nothing changes between runs; "yes" only
# means the call got past the role check. Then the audit trail must name the
# user and the role of a capture, a job and a self-test, and the refusals.
#
# The second table of docs/SECURITY.md, who may read the properties of each
# interface, is checked the same way: Get and GetAll of a property as each
# role (allowed, or AccessDenied), and what GetManagedObjects gives that role
# (every property, or the interface with an empty dictionary).

# shellcheck source=tests/integration/lib.sh
. "${REKAM_TEST_LIB:-$(dirname "$0")/lib.sh}"

require_tools gdbus dbus-send python3
[ -n "${REKAM_TEST_PLUGIN_DIR:-}" ] || skip_all "REKAM_TEST_PLUGIN_DIR is not set (run through make check)"
[ -x "$REKAMCTL" ] || bail "rekamctl is not built at $REKAMCTL"
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
DOC=$top_srcdir/docs/SECURITY.md
CAM=$REKAM_PATH/devices/camera0
ENR=$REKAM_PATH/enrollments
DERR=id.rekam.Station1.Error
ROLES=(front-office verifier analyst operator handover technician supervisor)
NO_GROUP=rekam-no-such-group
group=$(id -gn)
uid=$(id -u)
user=$(id -un)

# The station with one timer device, and [roles] giving this user exactly $1
# ("none": no role at all; "": no [roles] section, every role to everyone).
config() { # config STATION-ID ROLE|none|""
	local id=$1 role=$2 r lines=("office-hours = 00:00-23:59" "[device cam]" "plugin = test-timer"
		"connection = test:1")
	if [ -n "$role" ]; then
		lines+=("[roles]")
		for r in "${ROLES[@]}"; do
			if [ "$r" = "$role" ]; then lines+=("$r = $group"); else lines+=("$r = $NO_GROUP"); fi
		done
	fi
	REKAM_STATION_ID=$id write_config "${lines[@]}"
}

device_state() {
	dbus-send --session --print-reply=literal --dest=$REKAM_NAME $CAM \
		org.freedesktop.DBus.Properties.Get string:$REKAM_NAME.Device string:State 2>/dev/null |
		sed 's/^ *variant *//'
}

run=0
as_role() { # as_role ROLE|none: reload rekamd so that this user has exactly that role
	run=$((run + 1))
	config "6305-ROLE-$run" "$1"
	kill -HUP "$REKAMD_PID"
	wait_for 20 sh -c "[ \"\$(dbus-send --session --print-reply=literal --dest=$REKAM_NAME \
		$REKAM_PATH org.freedesktop.DBus.Properties.Get string:$REKAM_NAME \
		string:StationId 2>/dev/null | sed 's/^ *variant *//')\" = '6305-ROLE-$run' ]" ||
		bail "the reload for the role $1 did not happen"
	wait_for 10 sh -c "dbus-send --session --print-reply=literal --dest=$REKAM_NAME $CAM \
		org.freedesktop.DBus.Properties.Get string:$REKAM_NAME.Device string:State \
		2>/dev/null | grep -q idle" || diag "camera0 is not idle after the reload"
}

introspect() { # introspect PATH: the live XML
	dbus-send --session --print-reply=literal --dest=$REKAM_NAME "$1" \
		org.freedesktop.DBus.Introspectable.Introspect 2>&1
}

enr_prop() { # enr_prop PROPERTY: a property of enrollment 1
	dbus-send --session --print-reply=literal --dest=$REKAM_NAME "$ENR/1" \
		org.freedesktop.DBus.Properties.Get string:$REKAM_NAME.Enrollment "string:$1" 2>&1 |
		sed 's/^ *variant *//'
}

# --- a station with a device and an enrollment ------------------------------------
start_bus
config 6305-ROLE-0 ""
start_rekamd --session --state-dir "$REKAM_TMP/state" --config "$REKAM_TMP/rekamd.conf" \
	--plugin-dir "$REKAM_TEST_PLUGIN_DIR" --plugins 'test-timer'
wait_for 10 sh -c "[ \"\$(dbus-send --session --print-reply=literal --dest=$REKAM_NAME $CAM \
	org.freedesktop.DBus.Properties.Get string:$REKAM_NAME.Device string:State 2>/dev/null |
	sed 's/^ *variant *//')\" = idle ]" || bail "camera0 did not become idle"
out=$(gdbus call --session --dest $REKAM_NAME --object-path $REKAM_PATH --method \
	$REKAM_NAME.Submit "{'Nik': <'6305014506900009'>, 'Name': <'SITI AMINAH'>, \
'Sex': <'female'>, 'BirthPlace': <'Rantau'>, 'BirthDate': <'1990-06-05'>, \
'Religion': <'islam'>, 'MaritalStatus': <'married'>, 'Address': <'Jl. Brigjen H. Hasan Basri 1'>, \
'Rt': <'003'>, 'Rw': <'001'>, 'Village': <'Rangda Malingkung'>, 'District': <'Tapin Utara'>}" 2>&1)
is "$out" "(objectpath '$ENR/1',)" "an enrollment to call the Enrollment methods on"

introspect $REKAM_PATH >"$REKAM_TMP/manager.xml"
introspect $CAM >"$REKAM_TMP/device.xml"
introspect "$ENR/1" >"$REKAM_TMP/enrollment.xml"

# --- the matrix, from docs/SECURITY.md ------------------------------------------------
# One line per method: KEY PATH INTERFACE METHOD EXPECTED ARGS..., tab-separated;
# EXPECTED has one letter per column (y: past the role check, n: AccessDenied)
# in the order of ROLES then "no role". The arguments are chosen so that no
# call can succeed in changing anything.
python3 - "$DOC" "$REKAM_TMP" "$REKAM_PATH" "$CAM" "$ENR/1" "${ROLES[@]}" \
	>"$REKAM_TMP/matrix" 2>"$REKAM_TMP/matrix.err" <<'EOF'
import re, sys, xml.etree.ElementTree as ET

doc, tmp, root, cam, enr = sys.argv[1:6]
roles = sys.argv[6:] + ["no role"]
objects = {"Station1": (root, "id.rekam.Station1"), "Device": (cam, "id.rekam.Station1.Device"),
           "Enrollment": (enr, "id.rekam.Station1.Enrollment"),
           "Introspectable": (root, "org.freedesktop.DBus.Introspectable"),
           "Properties": (root, "org.freedesktop.DBus.Properties"),
           "ObjectManager": (root, "org.freedesktop.DBus.ObjectManager"),
           "Peer": (root, "org.freedesktop.DBus.Peer")}
args = {"Station1.ReadArtifact": ["'no-such-artifact'"], "Station1.GetAuditLog": ["0", "1"],
        "Station1.Submit": ["{}"], "Station1.AddCardBatch": ["'k-1'", "1"],
        "Device.Job": ["'no-such-job'", "{}"],
        "Enrollment.Receive": ["{'no-such-item':<true>}"], "Enrollment.Verify": ["false", "''"],
        "Enrollment.Return": ["''"],
        "Properties.Get": ["'id.rekam.Station1'", "'State'"],
        "Properties.GetAll": ["'id.rekam.Station1'"],
        "Properties.Set": ["'id.rekam.Station1'", "'State'", "<'ready'>"]}

def dummy(sig):  # a value of type sig for a method without a row in args
    if sig.startswith("a{"): return "{}"
    if sig.startswith("a"): return "[]"
    return {"s": "''", "o": "'/'", "g": "''", "b": "false", "v": "<0>", "d": "0.0"}.get(sig, "0")

lines = open(doc).read().splitlines()
head = next(i for i, l in enumerate(lines) if l.startswith("| method |"))
cols = [c.strip() for c in lines[head].strip("|").split("|")]
if cols[1:1 + len(roles)] != roles:
    sys.exit(f"the matrix's columns are {cols[1:1 + len(roles)]}, expected {roles}")
documented = {}
for l in lines[head + 2:]:
    if not l.startswith("|"):
        break
    cells = [c.strip() for c in l.strip("|").split("|")]
    key = cells[0].strip("`")
    marks = cells[1:1 + len(roles)]
    if not re.fullmatch(r"\w+\.\w+", key) or any(m not in ("yes", "no") for m in marks):
        sys.exit(f"cannot read the matrix row: {l}")
    documented[key] = "".join("y" if m == "yes" else "n" for m in marks)

served = {}
for name, path in (("manager", root), ("device", cam), ("enrollment", enr)):
    text = open(f"{tmp}/{name}.xml").read()
    for iface in ET.fromstring(text[text.index("<node"):]).iter("interface"):
        short = iface.get("name").split(".")[-1]
        if objects.get(short, (None, None))[1] != iface.get("name") or objects[short][0] != path:
            continue
        for m in iface.findall("method"):
            served[f"{short}.{m.get('name')}"] = [a.get("type") for a in m.findall("arg")
                                                  if a.get("direction", "in") == "in"]
for key in sorted(set(served) - set(documented)):
    print(f"served but not in the matrix: {key}", file=sys.stderr)
for key in sorted(set(documented) - set(served)):
    print(f"in the matrix but not served: {key}", file=sys.stderr)
for key in sorted(set(served) & set(documented)):
    path, iface = objects[key.split(".")[0]]
    values = args.get(key, [dummy(t) for t in served[key]])
    print("\t".join([key, path, iface, key.split(".")[1], documented[key], " ".join(values)]))

# The second table: who may read the properties of each interface. One line
# per interface to $tmp/reads: KEY PATH INTERFACE PROPERTY EXPECTED.
head = next(i for i, l in enumerate(lines) if l.startswith("| properties of |"))
if [c.strip() for c in lines[head].strip("|").split("|")][1:1 + len(roles)] != roles:
    sys.exit("the columns of the properties table are not the roles")
readable = {}
for l in lines[head + 2:]:
    if not l.startswith("|"):
        break
    cells = [c.strip() for c in l.strip("|").split("|")]
    marks = cells[1:1 + len(roles)]
    if any(m not in ("yes", "no") for m in marks):
        sys.exit(f"cannot read the properties row: {l}")
    readable[cells[0].strip("`")] = "".join("y" if m == "yes" else "n" for m in marks)
with_props = {}
for name, path in (("manager", root), ("device", cam), ("enrollment", enr)):
    text = open(f"{tmp}/{name}.xml").read()
    for iface in ET.fromstring(text[text.index("<node"):]).iter("interface"):
        short = iface.get("name").split(".")[-1]
        props = [p.get("name") for p in iface.findall("property")]
        if iface.get("name").startswith("id.rekam.") and props:
            with_props[short] = (path, iface.get("name"), props[0] if short != "Enrollment"
                                 else "Nik")
if set(readable) != set(with_props):
    sys.exit(f"the properties table has {sorted(readable)}, rekamd serves properties on "
             f"{sorted(with_props)}")
with open(f"{tmp}/reads", "w") as f:
    for key in sorted(readable):
        print("\t".join([key, *with_props[key], readable[key]]), file=f)
EOF
is "$(cat "$REKAM_TMP/matrix.err")" "" \
	"every method rekamd serves has a row in the matrix of docs/SECURITY.md, and every row is served"
is "$(cut -f1 "$REKAM_TMP/reads" 2>/dev/null | tr '\n' ' ')" "Device Enrollment Station1 " \
	"... and every interface with properties a row in its properties table"
rows=$(wc -l <"$REKAM_TMP/matrix")
ok "$([ "$rows" -ge 20 ]; echo $?)" "the matrix has a row for each of the $rows methods"

# --- every method as every role ------------------------------------------------------
# The result of a call: "denied" (AccessDenied), "past" (any other answer of
# rekamd: success, or an error after the role check), or what went wrong.
outcome() { # outcome PATH INTERFACE METHOD ARGS...
	local path=$1 iface=$2 method=$3 out
	shift 3
	out=$(gdbus call --session --dest $REKAM_NAME --object-path "$path" \
		--method "$iface.$method" "$@" 2>&1)
	case $out in
	*"$DERR.AccessDenied"*) echo denied ;;
	*"expects arguments ("* | *UnknownMethod* | *UnknownObject* | *UnknownInterface*)
		echo "not reached: $out" ;;
	"("* | *"GDBus.Error:"*) echo past ;;
	*) echo "no answer: $out" ;;
	esac
}

# What GetManagedObjects gives the caller for INTERFACE on PATH: "none" (not
# listed), "empty" (listed without properties), or "with NAME" when the
# property NAME is in it.
managed() { # managed PATH INTERFACE PROPERTY
	gdbus call --session --dest $REKAM_NAME --object-path $REKAM_PATH \
		--method org.freedesktop.DBus.ObjectManager.GetManagedObjects 2>&1 |
		python3 -c '
import re, sys
path, iface, prop = sys.argv[1:4]
text = sys.stdin.read()
# gdbus writes "objectpath" before the first key only
m = re.search(r"(?:objectpath )?" + re.escape(f"\x27{path}\x27: ") + r"(\{.*?\}\})", text)
if not m:
    print("error" if "Error:" in text else "none"); sys.exit()
obj = m.group(1)
if re.search(re.escape(f"\x27{iface}\x27: ") + r"(@a\{sv\} )?\{\}", obj):
    print("empty")
elif f"\x27{iface}\x27: {{" in obj and f"\x27{prop}\x27: <" in obj:
    print(f"with {prop}")
else:
    print("none")' "$@"
}

check_reads() { # check_reads COLUMN ROLE: the properties table, as ROLE
	local col=$1 role=$2 key path iface prop expected want what
	while IFS=$'\t' read -r key path iface prop expected; do
		want=past what=allowed
		[ "${expected:$col:1}" = n ] && want=denied what=AccessDenied
		is "$(outcome "$path" org.freedesktop.DBus.Properties Get "'$iface'" "'$prop'")" \
			"$want" "Get of $key.$prop as $role: $what"
		is "$(outcome "$path" org.freedesktop.DBus.Properties GetAll "'$iface'")" "$want" \
			"GetAll of $key as $role: $what"
		[ "$path" = $REKAM_PATH ] && continue # the root is not a managed object
		want="with $prop"
		[ "${expected:$col:1}" = n ] && want=empty
		is "$(managed "$path" "$iface" "$prop")" "$want" \
			"GetManagedObjects as $role: $key $([ "$want" = empty ] &&
				echo 'listed without properties' || echo "with its properties")"
	done <"$REKAM_TMP/reads"
}

for col in $(seq 0 ${#ROLES[@]}); do
	if [ "$col" -lt ${#ROLES[@]} ]; then role=${ROLES[$col]}; else role=none; fi
	as_role "$role"
	while IFS=$'\t' read -r key path iface method expected values; do
		want=past
		[ "${expected:$col:1}" = n ] && want=denied
		read -ra argv <<<"$values"
		is "$(outcome "$path" "$iface" "$method" "${argv[@]}")" "$want" \
			"$key as $role: $([ $want = past ] && echo allowed || echo AccessDenied)"
	done <"$REKAM_TMP/matrix"
	check_reads "$col" "$role"
	if [ "$role" = technician ] || [ "$role" = none ]; then
		like "$(enr_prop State)" "AccessDenied" "... as $role the enrollment's State is not readable"
		run_ctl --session enroll list
		like "$RC $ERR" "^0 rekamctl: 1 enrollment not shown: reading an applicant's data needs a desk role" \
			"... and rekamctl enroll list says it cannot show it"
		as_role front-office
		run_ctl --session enroll list
		like "$RC $(echo "$OUT" | tr '\n' ' ')" "^0 .* 1 +6305014506900009 +submitted" \
			"... which it shows to the front office"
	fi
	is "$(enr_prop State)" submitted "... after the calls as $role the enrollment is still submitted"
done

# --- what a refusal says, and leaves ----------------------------------------------------
as_role handover
out=$(gdbus call --session --dest $REKAM_NAME --object-path $CAM \
	--method $REKAM_NAME.Device.Capture "{}" 2>&1)
like "$out" "$DERR\.AccessDenied: Capture needs the role operator or supervisor; uid $uid \($user\) has none of them" \
	"AccessDenied names the method, the roles it needs and the user"
is "$(device_state)" idle "... and the device was not touched"

# --- who and in which role, in the audit trail --------------------------------------
as_role operator
run_ctl --session capture cam --option delay-ms=10
is "$RC" 0 "an operator captures (rekamctl capture)"
run_ctl --session job cam echo --option text=halo --option delay-ms=10
is "$RC" 0 "... and runs a job"
run_ctl --session selftest cam
ok "$([ "$RC" -ne 0 ]; echo $?)" "... but may not self-test"
like "$ERR" "SelfTest needs the role technician or supervisor" "... rekamctl says why"
as_role technician
run_ctl --session selftest cam
is "$RC" 0 "a technician self-tests"
run_ctl --session capture cam --option delay-ms=10
ok "$([ "$RC" -ne 0 ]; echo $?)" "... but may not capture"

audit=$(gdbus call --session --dest $REKAM_NAME --object-path $REKAM_PATH \
	--method $REKAM_NAME.GetAuditLog 0 1000 2>&1)
me="uid $uid \\($user\\) via :[0-9.]+"
like "$audit" "'$me', 'operator', 'device.capture', '', '', 'ok'" \
	"the audit trail names the user and the role of a capture"
like "$audit" "'$me', 'operator', 'device.job', '', '', 'ok'" "... of a job"
like "$audit" "'$me', 'technician', 'device.self-test', '', '', 'ok'" "... of a self-test"
like "$audit" "'$me', 'technician', 'device.claim', '', '', 'ok'" "... and of a claim"
like "$audit" "'uid $uid \\($user\\)', '', 'access.denied', '', '', '$DERR.AccessDenied', 'SelfTest on $CAM needs the role technician or supervisor'" \
	"a refused self-test leaves an access.denied entry"
like "$audit" "'access.denied', '', '', '$DERR.AccessDenied', 'Capture on $CAM needs the role operator or supervisor'" \
	"... and so does a refused capture"
like "$audit" "'access.denied', '', '', '$DERR.AccessDenied', 'Get on $ENR/1 needs the role front-office or verifier or analyst or operator or handover or supervisor'" \
	"... and a refused read of an applicant's data"
like "$(gdbus call --session --dest $REKAM_NAME --object-path $REKAM_PATH \
	--method $REKAM_NAME.VerifyAudit 2>&1)" "^\(true, " "the trail verifies"

stop_rekamd
is "$REKAMD_STATUS" 0 "rekamd stops cleanly"
done_testing
