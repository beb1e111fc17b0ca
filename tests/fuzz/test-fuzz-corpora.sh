#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# tests/fuzz/test-fuzz-corpora.sh - every fuzz target (tests/fuzz.mk), built
# with tests/fuzz/driver.c, replays its whole seed corpus without a crash, a
# sanitizer report or (with REKAM_TEST_VALGRIND=1) a valgrind error. The
# corpora keep the inputs that once found something, so this is also the
# regression test of every fuzzing find.

# shellcheck source=tests/integration/lib.sh
. "${REKAM_TEST_LIB:-$(dirname "$0")/../integration/lib.sh}"

for target in "$top_builddir"/tests/fuzz/fuzz-*; do
	[ -x "$target" ] || continue
	case $target in *.o | *.log | *.trs) continue ;; esac
	name=${target##*/fuzz-}
	corpus=$top_srcdir/tests/fuzz/corpus/$name
	if [ ! -d "$corpus" ]; then
		ok 1 "fuzz-$name has a seed corpus in tests/fuzz/corpus/$name"
		continue
	fi
	n=$(find "$corpus" -type f | wc -l)
	# shellcheck disable=SC2046
	$(sim_cmd) "$target" "$corpus" >"$REKAM_TMP/$name.out" 2>&1
	status=$?
	is "$status" 0 "fuzz-$name replays its $n seeds cleanly"
	[ "$status" = 0 ] || diag "$(tail -20 "$REKAM_TMP/$name.out")"
	if [ "${REKAM_TEST_VALGRIND:-0}" = 1 ]; then
		is "$(cat "$REKAM_TMP"/valgrind-sim.*.log 2>/dev/null)" "" \
			"... and valgrind found nothing in fuzz-$name"
		rm -f "$REKAM_TMP"/valgrind-sim.*.log
	fi
done
done_testing
