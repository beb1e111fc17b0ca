#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# tests/integration/test-audit.sh - the audit trail through rekamd and
# rekamctl: actions on the bus (claims, a capture, a job, reading an
# artifact, starts and stops) are recorded with who did them; `rekamctl
# audit verify` passes on an intact trail; then one byte changed in each
# column of one entry, an entry deleted, the tail cut after a checkpoint,
# and a forged checkpoint: each is found, and the entry named.

# shellcheck source=tests/integration/lib.sh
. "${REKAM_TEST_LIB:-$(dirname "$0")/lib.sh}"

require_tools sqlite3 python3
[ -x "$REKAMCTL" ] || bail "rekamctl is not built at $REKAMCTL"
db=$REKAM_TMP/state/rekam.db
sql() { sqlite3 -cmd '.timeout 10000' "$db" "$@"; } # rekamd may be writing too

start_bus
write_config "[device cam]" "plugin = test-timer" "connection = test:1"
started() { # has rekamd recorded its start (after entry $1)?
	[ "$(sql "SELECT count(*) FROM audit WHERE seq > ${1:-0} AND action = 'rekamd.start'" \
		2>/dev/null)" -ge 1 ] 2>/dev/null
}
restart() { # a fresh rekamd, once it has recorded its start
	local head
	[ -n "$REKAMD_PID" ] && stop_rekamd
	head=$(sql "SELECT coalesce(max(seq), 0) FROM audit" 2>/dev/null || echo 0)
	start_rekamd --session --state-dir "$REKAM_TMP/state" --config "$REKAM_TMP/rekamd.conf" \
		--plugin-dir "$REKAM_TEST_PLUGIN_DIR"
	wait_for 20 started "${head:-0}" || diag "rekamd did not record its start"
}
restart

run_ctl --session capture cam --option delay-ms=10 --save="$REKAM_TMP/out"
is "$RC" 0 "a capture for the trail"
run_ctl --session job cam echo --option text=secret-option-value
is "$RC" 0 "a job for the trail"
run_ctl --session job cam polish
is "$RC" 1 "a failed job for the trail"

run_ctl --session audit
is "$RC" 0 "rekamctl audit exits 0"
like "$OUT" "rekamd\.start +ok +rekamd" "the start is recorded, by rekamd"
like "$OUT" "device\.claim +ok +uid $(id -u) \($(id -un)\) via :1\.[0-9]+ as operator +cam" \
	"a claim is recorded with the caller's user, bus name and role"
like "$OUT" "device\.capture +ok .*cam.*1 artifact [0-9a-f]{32}" \
	"the capture is recorded with its artifact's handle"
like "$OUT" "artifact\.read +ok .*test-image" "reading an artifact (--save) is recorded"
like "$OUT" "device\.job +failed .*polish" "a failed job is recorded as failed"
like "$OUT" "device\.release +ok" "the release is recorded"
unlike "$OUT" "secret-option-value" "option values are not copied into the trail"

run_ctl --session --json audit
is "$(printf '%s' "$OUT" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d[0]["seq"], d[0]["action"], len(d[0]["hash"]))')" \
	"1 rekamd.start 64" "--json lists entries with seq, action and hash"

run_ctl --session audit verify
is "$RC" 0 "audit verify passes on an intact trail"
like "$OUT" "The audit trail verifies: [0-9]+ entries" "... and says so"

# --- one changed byte in each column of entry 3 ------------------------------------------

flip() { # flip COLUMN: change one character of entry 3's COLUMN, keep the old value
	old=$(sql "SELECT quote($1) FROM audit WHERE seq = 3")
	if [ "$1" = time ]; then
		sql "UPDATE audit SET time = time + 1 WHERE seq = 3"
	else
		sql "UPDATE audit SET $1 = CASE WHEN $1 = '' THEN 'x' ELSE
			substr($1, 1, length($1) - 1) ||
			CASE WHEN substr($1, -1) = 'a' THEN 'b' ELSE 'a' END END WHERE seq = 3"
	fi
}
unflip() { sql "UPDATE audit SET $1 = $old WHERE seq = 3"; }

for column in time actor role action enrollment nik result detail prev hash; do
	flip "$column"
	run_ctl --session audit verify
	is "$RC" 1 "a changed $column in entry 3: verify exits 1"
	like "$OUT" "BROKEN at entry 3:" "... and names entry 3"
	unflip "$column"
done
run_ctl --session audit verify
is "$RC" 0 "with every change undone the trail verifies again"

# --- a missing entry -------------------------------------------------------------------------

sql "CREATE TABLE saved AS SELECT * FROM audit WHERE seq = 4; DELETE FROM audit WHERE seq = 4"
run_ctl --session audit verify
is "$RC" 1 "a deleted entry is found"
like "$OUT" "BROKEN at entry 4: entry 4 is missing" "... and named"
sql "INSERT INTO audit SELECT * FROM saved; DROP TABLE saved"

# --- checkpoints ------------------------------------------------------------------------

stop_rekamd # a stop records a checkpoint of the head
REKAMD_PID=
cps=$(sql "SELECT count(*) FROM audit_checkpoints")
last=$(sql "SELECT max(seq) FROM audit")
check "a stop records a checkpoint ($cps)" test "$cps" -ge 1
restart
sql "DELETE FROM audit WHERE seq >= $((last - 1)) AND seq <= $last"
run_ctl --session audit verify
is "$RC" 1 "entries cut after a checkpoint vouched for them are found"
like "$OUT" "BROKEN at entry $((last - 1)):" "... naming the first one gone"

stop_rekamd
REKAMD_PID=
rm -f "$db" "$db-wal" "$db-shm"
restart
stop_rekamd
REKAMD_PID=
restart
sql "UPDATE audit_checkpoints SET mac = 'x' || substr(mac, 2)"
run_ctl --session audit verify
is "$RC" 1 "a forged checkpoint is found"
like "$OUT" "checkpoint at entry [0-9]+ is not the station's" "... and said to be forged"

check_ctl_valgrind
stop_rekamd
done_testing
