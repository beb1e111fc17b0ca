#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# tests/stress/test-load.sh - rekamd under load. 64 D-Bus clients
# (tests/stress/dbus-load, one process and connection each) poll the
# station's and a device's properties and call Ping and GetStatus back to
# back for REKAM_LOAD_SECONDS (default 4; `make check-long` 60) while
# enrollments go through steps 1-4 with rekamctl: no call may fail, every
# enrollment must go through, and rekamd's memory must not grow (VmRSS
# sampled from /proc: the mean of the last third of the run against the
# first, with a generous bound; no timing is asserted). Then rekamd starts
# on a station database holding REKAM_LOAD_ENROLLMENTS queued enrollments
# (default 10000, written by tests/stress/seed-enrollments) and answers.
# Under REKAM_TEST_VALGRIND=1: 8 clients, 1000 enrollments.

# shellcheck source=tests/integration/lib.sh
. "${REKAM_TEST_LIB:-$(dirname "$0")/../integration/lib.sh}"

require_tools sqlite3
top_builddir=${top_builddir:-$(cd "$(dirname "$0")/../.." && pwd)}
load=$top_builddir/tests/stress/dbus-load
seed=$top_builddir/tests/stress/seed-enrollments
[ -x "$load" ] || bail "$load is not built"
[ -x "$seed" ] || bail "$seed is not built"
seconds=${REKAM_LOAD_SECONDS:-4}
clients=${REKAM_LOAD_CLIENTS:-64}
queued=${REKAM_LOAD_ENROLLMENTS:-10000}
if [ "${REKAM_TEST_VALGRIND:-0}" = 1 ]; then
	clients=${REKAM_LOAD_CLIENTS:-8}
	queued=${REKAM_LOAD_ENROLLMENTS:-1000}
fi

start_bus
write_config "office-hours = 00:00-23:59" "[device cam]" "plugin = test-timer" \
	"connection = test:1" "[device pad]" "plugin = test-timer" "connection = test:2"
start_rekamd --session --state-dir "$REKAM_TMP/state" --config "$REKAM_TMP/rekamd.conf" \
	--plugin-dir "$REKAM_TEST_PLUGIN_DIR"

rss() { sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\) kB$/\1/p' "/proc/$REKAMD_PID/status"; }

# the enrollment desks: steps 1-4, one applicant after another, until told to stop
desks() {
	local n=0 nik
	while [ ! -e "$REKAM_TMP/stop" ]; do
		n=$((n + 1))
		nik=630501170391$(printf %04d "$n")
		if id=$("$REKAMCTL" --session enroll submit --nik="$nik" --name="AHMAD FAUZI" \
				--sex=male --birth-place=RANTAU --birth-date=1991-03-17 \
				--religion=islam --marital-status=married --street="JL. A. YANI 5" \
				--rt=001 --rw=002 --village="RANTAU KIWA" --district="TAPIN UTARA" |
				sed -n 's/^Enrollment \([0-9]*\): submitted.*/\1/p') && [ -n "$id" ] &&
			"$REKAMCTL" --session enroll receive "$id" --have=f102,family-card,diploma >/dev/null &&
			"$REKAMCTL" --session enroll verify "$id" >/dev/null &&
			"$REKAMCTL" --session enroll forward "$id" >/dev/null; then
			echo ok >>"$REKAM_TMP/desks.ok"
		else
			echo "enrollment $n ($nik) failed" >>"$REKAM_TMP/desks.err"
		fi
	done
}
sampler() { # VmRSS every 100 ms until told to stop
	while [ ! -e "$REKAM_TMP/stop" ]; do
		rss >>"$REKAM_TMP/rss"
		sleep 0.1
	done
}

: >"$REKAM_TMP/desks.ok"
: >"$REKAM_TMP/desks.err"
: >"$REKAM_TMP/rss"
desks &
desks_pid=$!
sampler &
sampler_pid=$!
"$load" "$clients" "$seconds" >"$REKAM_TMP/load.out" 2>"$REKAM_TMP/load.err"
status=$?
touch "$REKAM_TMP/stop"
wait "$desks_pid" "$sampler_pid"

out=$(cat "$REKAM_TMP/load.out")
diag "$out"
is "$status" 0 "dbus-load: $clients clients for $seconds s, every call answered"
[ "$status" = 0 ] || head -n 20 "$REKAM_TMP/load.err" | sed 's/^/# /'
like "$out" "^clients $clients target mix calls [1-9][0-9]* errors 0 " "... no errors"
done_n=$(wc -l <"$REKAM_TMP/desks.ok")
ok "$([ "$done_n" -ge 1 ]; echo $?)" "enrollments went through steps 1-4 meanwhile ($done_n)"
is "$(cat "$REKAM_TMP/desks.err")" "" "... none failed"
check "rekamd is still running" kill -0 "$REKAMD_PID"

# memory: the last third of the samples against the first (mean VmRSS, kB)
read -r first last n <<<"$(awk '{ v[NR] = $1 } END {
	t = int(NR / 3); if (t < 1) { print 0, 0, NR; exit }
	for (i = 1; i <= t; i++) a += v[i]
	for (i = NR - t + 1; i <= NR; i++) b += v[i]
	printf "%d %d %d\n", a / t, b / t, NR }' "$REKAM_TMP/rss")"
diag "VmRSS over $n samples: first third $first kB, last third $last kB"
ok "$([ "$n" -ge 6 ]; echo $?)" "rekamd's VmRSS sampled ($n samples)"
# generous: a quarter more plus 4 MiB (allocator arenas, SQLite's page cache warming up);
# not in an AddressSanitizer build, whose quarantine keeps freed memory (256 MB)
if grep -q '^SANITIZER_CFLAGS = .*-fsanitize=address' "${top_builddir:-.}/Makefile" 2>/dev/null; then
	ok 0 "rekamd's memory does not grow under load # SKIP an ASan build keeps freed memory in its quarantine ($first kB -> $last kB)"
else
	ok "$([ "$last" -le $((first + first / 4 + 4096)) ]; echo $?)" \
		"rekamd's memory does not grow under load ($first kB -> $last kB)"
fi

stop_rekamd
is "$REKAMD_STATUS" 0 "rekamd stops cleanly after the load"

# --- a long queue ------------------------------------------------------------------------------
before=$(sqlite3 -cmd '.timeout 10000' "$REKAM_TMP/state/rekam.db" \
	'SELECT count(*) FROM enrollments' 2>/dev/null || echo "?")
"$seed" "$REKAM_TMP/state/rekam.db" "$queued" >"$REKAM_TMP/seed.out" 2>&1
is "$?" 0 "seed-enrollments: $queued more enrollments queued for recording"
start_rekamd --session --state-dir "$REKAM_TMP/state" --config "$REKAM_TMP/rekamd.conf" \
	--plugin-dir "$REKAM_TEST_PLUGIN_DIR"
check "rekamd starts on them and answers Ping" call Ping
run_ctl --session status
is "$RC" 0 "rekamctl status answers"
like "$OUT" "State: +ready" "... the station is ready"
run_ctl --session enroll list
is "$RC" 0 "rekamctl enroll list answers"
total=$(printf '%s\n' "$OUT" | grep -c '^ *[0-9]')
[ "$before" = "?" ] || is "$total" "$((before + queued))" \
	"... with every enrollment ($before + $queued)"
[ "$before" = "?" ] || like "$(grep 'enrollment(s) loaded' "$REKAM_TMP/rekamd.log" | tail -n 1)" \
	"^<6>$((before + queued)) enrollment\\(s\\) loaded$" "... loaded at start, as rekamd logs"
"$load" 8 1 >"$REKAM_TMP/load2.out" 2>&1
is "$?" 0 "8 clients for a second with the long queue: every call answered"
stop_rekamd
is "$REKAMD_STATUS" 0 "rekamd stops cleanly"
done_testing
