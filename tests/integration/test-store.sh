#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# tests/integration/test-store.sh - the station database as rekamd uses it:
# created on first start in WAL mode, kept across restarts, and a corrupt,
# newer or unwritable database refused with a clear message and exit status,
# never silently replaced; the same for the station key that seals artifacts.
. "${REKAM_TEST_LIB:-$(dirname "$0")/lib.sh}"

require_tools sqlite3 cmp
state=$REKAM_TMP/state
db=$state/rekam.db

start_bus
write_config
start_rekamd
stop_rekamd
is "$REKAMD_STATUS" 0 "first start and stop"
like "$(cat "$REKAM_TMP/rekamd.log")" "<5>created a new station database at $db" \
	"creating a database is logged, not silent"
is "$(stat -c %a "$state")" 700 "the state directory is created with mode 0700"
is "$(sqlite3 "$db" 'PRAGMA journal_mode')" wal "the database is in WAL mode"
is "$(sqlite3 "$db" 'PRAGMA integrity_check')" ok "the database passes integrity_check"
is "$(sqlite3 "$db" "SELECT value FROM meta WHERE key = 'station-id'")" 6305-TEST-01 \
	"the station id is recorded"
version=$(sqlite3 "$db" 'PRAGMA user_version')
like "$version" "^[1-9][0-9]*$" "the schema version is set ($version)"
key=$state/station.key
is "$(stat -c '%a %s' "$key" 2>/dev/null)" "600 32" "a 32-byte station key is made with mode 0600"
like "$(cat "$REKAM_TMP/rekamd.log")" "<5>vault: created a new station key in $key" \
	"... and that is logged"
cp "$key" "$REKAM_TMP/key.copy"

# --- the station key ------------------------------------------------------------------
start_rekamd
stop_rekamd
check "a second start keeps the station key" cmp -s "$key" "$REKAM_TMP/key.copy"
chmod 0644 "$key"
: >"$REKAM_TMP/rekamd.log"
start_rekamd_nowait
wait_rekamd
is "$REKAMD_STATUS" 78 "a station key others may read is refused (exit 78)"
like "$(cat "$REKAM_TMP/rekamd.log")" "<3>vault: the station key $key may be read by others" \
	"... saying why"
chmod 0600 "$key"
printf 'short' >"$key"
: >"$REKAM_TMP/rekamd.log"
start_rekamd_nowait
wait_rekamd
is "$REKAMD_STATUS" 78 "a station key of the wrong size is refused (exit 78)"
like "$(cat "$REKAM_TMP/rekamd.log")" "<3>vault: the station key .* is 5 bytes, not 32" \
	"... saying why"
check "... and never replaced" test "$(cat "$key")" = short
cp "$REKAM_TMP/key.copy" "$key"

# --- a database from a newer rekamd -------------------------------------------------
sqlite3 "$db" 'PRAGMA user_version = 999'
: >"$REKAM_TMP/rekamd.log"
start_rekamd_nowait
wait_rekamd
is "$REKAMD_STATUS" 65 "a database from a newer rekamd is refused (exit 65)"
like "$(cat "$REKAM_TMP/rekamd.log")" "<3>.*newer rekamd" "... with a clear message"
is "$(sqlite3 "$db" 'PRAGMA user_version')" 999 "... and left as it was"
sqlite3 "$db" "PRAGMA user_version = $version"

# --- a corrupt database ----------------------------------------------------------
rm -f "$db-wal" "$db-shm"
head -c 8192 /dev/urandom >"$db"
cp "$db" "$REKAM_TMP/garbage"
: >"$REKAM_TMP/rekamd.log"
start_rekamd_nowait
wait_rekamd
is "$REKAMD_STATUS" 65 "a corrupt database is refused (exit 65)"
like "$(cat "$REKAM_TMP/rekamd.log")" "<3>.*$db" "... naming the file"
check "... and it is not replaced by a new database" cmp "$db" "$REKAM_TMP/garbage"

# --- a state directory that cannot hold a database ----------------------------------
: >"$REKAM_TMP/not-a-dir"
: >"$REKAM_TMP/rekamd.log"
start_rekamd_nowait --session --state-dir "$REKAM_TMP/not-a-dir" --config "$REKAM_TMP/rekamd.conf"
wait_rekamd
is "$REKAMD_STATUS" 73 "a state directory that is a file is refused (exit 73)"
like "$(cat "$REKAM_TMP/rekamd.log")" "<3>.*not-a-dir" "... naming it"

mkdir -p "$REKAM_TMP/dirdb/rekam.db"
: >"$REKAM_TMP/rekamd.log"
start_rekamd_nowait --session --state-dir "$REKAM_TMP/dirdb" --config "$REKAM_TMP/rekamd.conf"
wait_rekamd
is "$REKAMD_STATUS" 73 "a database path that is a directory is refused (exit 73)"
like "$(cat "$REKAM_TMP/rekamd.log")" "<3>.*dirdb/rekam.db" "... naming it"
check_fails "none of these took the bus name" name_has_owner

done_testing
