#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# tests/integration/test-config.sh - rekamd's command line and configuration
# file: --help, --version, --check-config, and a malformed or missing file
# refused at start with every problem reported as FILE:LINE.
. "${REKAM_TEST_LIB:-$(dirname "$0")/lib.sh}"

top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
conf=$REKAM_TMP/rekamd.conf

# --- command line --------------------------------------------------------------
run_rekamd --help
is "$REKAMD_STATUS" 0 "--help exits 0"
out=$(cat "$REKAM_TMP/run.out")
like "$out" "--check-config" "--help documents --check-config"
like "$out" "Exit status:" "--help documents the exit status"
like "$out" "SIGHUP" "--help documents the signals"

run_rekamd --version
like "$(cat "$REKAM_TMP/run.out")" "^rekamd [0-9]+\.[0-9]+\.[0-9]+$" "--version prints the version"

run_rekamd --frobnicate
is "$REKAMD_STATUS" 64 "an unknown option exits 64"
like "$(cat "$REKAM_TMP/run.err")" "Try 'rekamd --help'" "... and points to --help"

run_rekamd stray-argument
is "$REKAMD_STATUS" 64 "a stray argument exits 64"

# --- --check-config --------------------------------------------------------------
write_config "office-hours = 07:30-14:00"
run_rekamd --check-config --config "$conf"
is "$REKAMD_STATUS" 0 "--check-config accepts a valid file"
like "$(cat "$REKAM_TMP/run.out")" "configuration is valid \(station 6305-TEST-01\)" "... and says so"

run_rekamd --check-config --config "$top_srcdir/docs/rekamd.conf.example"
is "$REKAMD_STATUS" 0 "the shipped example configuration is valid"

cat >"$conf" <<'EOF'
[station]
id = 6305-TEST-01
ofice-hours = 08:00-15:00
office-hours = 15:00-08:00
this line has no equals sign
[nowhere]
EOF
run_rekamd --check-config --config "$conf"
is "$REKAMD_STATUS" 78 "--check-config refuses a malformed file with 78"
err=$(cat "$REKAM_TMP/run.err")
like "$err" "rekamd.conf:3: unknown key 'ofice-hours' in \[station\]" "an unknown key is reported with FILE:LINE"
like "$err" "did you mean 'office-hours'" "... with a hint"
like "$err" "rekamd.conf:4: .*office-hours" "a bad value is reported with FILE:LINE"
like "$err" "rekamd.conf:5: " "a malformed line is reported with FILE:LINE"
like "$err" "rekamd.conf:6: unknown section \[nowhere\]" "an unknown section is reported"
is "$(printf '%s\n' "$err" | grep -c 'rekamd.conf:[0-9]')" 4 "all four problems are reported at once"

# --- starting with a bad or missing file ---------------------------------------------
start_bus
start_rekamd_nowait --session --state-dir "$REKAM_TMP/state" --config "$conf"
wait_rekamd
is "$REKAMD_STATUS" 78 "rekamd refuses to start on a malformed file (exit 78)"
log=$(cat "$REKAM_TMP/rekamd.log")
like "$log" "<3>.*rekamd.conf:3: unknown key" "... logging each problem as an error"
like "$log" "invalid configuration; not starting" "... and saying it does not start"
check_fails "... and it never took the bus name" name_has_owner
[ ! -e "$REKAM_TMP/state/rekam.db" ]
ok $? "... and created no database"

: >"$REKAM_TMP/rekamd.log"
start_rekamd_nowait --session --state-dir "$REKAM_TMP/state" --config "$REKAM_TMP/missing.conf"
wait_rekamd
is "$REKAMD_STATUS" 78 "a --config file that does not exist is an error (exit 78)"
like "$(cat "$REKAM_TMP/rekamd.log")" "missing.conf" "... naming the file"

done_testing
