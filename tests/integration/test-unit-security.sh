#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# tests/integration/test-unit-security.sh - what the system installation
# gives rekamd: the hardened rekamd.service rates an exposure of at most 1.5
# in `systemd-analyze security --offline=yes` and runs as the dedicated user
# "rekam"; rekam.sysusers makes that user and the staff groups (run for real
# by systemd-sysusers into a scratch root); the bus policy lets only "rekam"
# own the name and names the same groups.

# shellcheck source=tests/integration/lib.sh
. "${REKAM_TEST_LIB:-$(dirname "$0")/lib.sh}"

require_tools systemd-analyze systemd-sysusers xmllint
unit="$top_builddir/dbus/rekamd.service"
[ -f "$unit" ] || bail "$unit is not built"

# --- the unit's sandbox ------------------------------------------------------------

systemd-analyze security --offline=yes --no-pager "$unit" >"$REKAM_TMP/security.txt" 2>&1
exposure=$(sed -n 's/.*Overall exposure level for rekamd.service: \([0-9.]*\).*/\1/p' \
	"$REKAM_TMP/security.txt")
like "$exposure" '^[0-9]+\.[0-9]+$' "systemd-analyze rates the unit's exposure"
check "... at most 1.5 (it is $exposure)" awk -v e="$exposure" 'BEGIN { exit !(e <= 1.5) }'
grep '✗' "$REKAM_TMP/security.txt" | cut -c3-62 | while read -r line; do diag "open: $line"; done
is "$(sed -n 's/^User=//p' "$unit")" rekam "rekamd runs as the user rekam, not root"
is "$(sed -n 's/^Group=//p' "$unit")" rekam "... in the group rekam"
is "$(sed -n 's/^User=//p' "$top_builddir/dbus/id.rekam.Station1.service")" rekam \
	"bus activation names the same user"

# --- the user and the groups --------------------------------------------------------

root="$REKAM_TMP/root"
mkdir -p "$root/etc"
systemd-sysusers --root="$root" "$top_srcdir/dbus/rekam.sysusers" >"$REKAM_TMP/sysusers.log" 2>&1
is "$?" 0 "systemd-sysusers accepts rekam.sysusers"
like "$(grep '^rekam:' "$root/etc/passwd")" '^rekam:x:[0-9]+:[0-9]+:KTP-el recording station daemon:/var/lib/rekam:' \
	"... and makes the system user rekam"
for group in frontoffice verifier analyst operator handover technician supervisor; do
	check "... and the group rekam-$group" grep -q "^rekam-$group:" "$root/etc/group"
	check "the bus policy has the group rekam-$group" \
		grep -q "policy group=\"rekam-$group\"" "$top_srcdir/dbus/id.rekam.Station1.conf"
done

# --- the bus policy -----------------------------------------------------------------

policy="$top_srcdir/dbus/id.rekam.Station1.conf"
check "the bus policy is well-formed XML" xmllint --noout "$policy"
owners=$(xmllint --xpath '//policy[allow/@own="id.rekam.Station1"]/@user' "$policy" 2>/dev/null |
	tr -d ' ')
is "$owners" 'user="rekam"' "only the user rekam may own id.rekam.Station1"
# rekamd's signals (PropertiesChanged of an enrollment: its progress) reach
# only root and the station's groups (docs/SECURITY.md, "What the signals carry").
is "$(xmllint --xpath 'count(//policy[@context="default"]/deny[@receive_sender="id.rekam.Station1"])' \
	"$policy" 2>&1)" 1 "the default policy denies receiving from rekamd"
is "$(xmllint --xpath '//policy[allow/@receive_sender="id.rekam.Station1"]/@*' "$policy" 2>&1 |
	tr -s ' \n' ' ' | sed 's/^ //; s/ $//')" \
	'user="root" group="rekam-frontoffice" group="rekam-verifier" group="rekam-analyst" group="rekam-operator" group="rekam-handover" group="rekam-technician" group="rekam-supervisor"' \
	"... and only root and the station's groups may receive from it"
is "$(xmllint --xpath 'count(//allow[@*[starts-with(name(), "receive_")]])' "$policy" 2>&1)" 8 \
	"... with no other rule allowing to receive"

done_testing
