/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * rekam - test support
 *
 * tap.h - a tiny Test Anything Protocol producer for the C tests. Each test
 * program prints "1..N" (or plans at the end with tap_done()), then one
 * "ok"/"not ok" line per check; automake's tap-driver counts them.
 * tap_skip_all() prints "1..0 # SKIP why" and exits 77 (tests/run-test turns
 * that into a skip the driver understands).
 */
#pragma once

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One count per program, shared by every file of a test that includes this
 * header (weak: defined once whatever the number of includes). */
__attribute__((weak)) int tap_count;
__attribute__((weak)) int tap_failed;

static inline void tap_plan(int n)
{
	printf("1..%d\n", n);
	fflush(stdout);
}

__attribute__((format(printf, 2, 3))) static inline bool tap_ok(bool cond, const char *fmt, ...)
{
	va_list ap;

	tap_count++;
	if (!cond)
		tap_failed++;
	printf("%sok %d - ", cond ? "" : "not ", tap_count);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	return cond;
}

__attribute__((format(printf, 1, 2))) static inline void tap_diag(const char *fmt, ...)
{
	va_list ap;

	printf("# ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

__attribute__((format(printf, 1, 2), noreturn)) static inline void tap_skip_all(const char *fmt, ...)
{
	va_list ap;

	printf("1..0 # SKIP ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	exit(77);
}

__attribute__((format(printf, 1, 2), noreturn)) static inline void tap_bail(const char *fmt, ...)
{
	va_list ap;

	printf("Bail out! ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	exit(99);
}

/* Print the plan after the checks; the exit status says whether all passed. */
static inline int tap_done(void)
{
	printf("1..%d\n", tap_count);
	fflush(stdout);
	return tap_failed ? 1 : 0;
}

#define tap_is_int(got, want, ...)                                                                 \
	({                                                                                         \
		long long _g = (long long)(got), _w = (long long)(want);                           \
		bool _r = tap_ok(_g == _w, __VA_ARGS__);                                           \
		if (!_r)                                                                           \
			tap_diag("  got %lld, expected %lld (%s:%d)", _g, _w, __FILE__, __LINE__); \
		_r;                                                                                \
	})

#define tap_is_str(got, want, ...)                                                                 \
	({                                                                                         \
		const char *_g = (got), *_w = (want);                                              \
		bool _r = tap_ok(_g && _w ? strcmp(_g, _w) == 0 : _g == _w, __VA_ARGS__);          \
		if (!_r)                                                                           \
			tap_diag("  got \"%s\", expected \"%s\" (%s:%d)", _g ? _g : "(null)",     \
				_w ? _w : "(null)", __FILE__, __LINE__);                           \
		_r;                                                                                \
	})

#define tap_contains(haystack, needle, ...)                                                        \
	({                                                                                         \
		const char *_h = (haystack), *_n = (needle);                                       \
		bool _r = tap_ok(_h && strstr(_h, _n), __VA_ARGS__);                               \
		if (!_r)                                                                           \
			tap_diag("  \"%s\" not found in \"%s\" (%s:%d)", _n, _h ? _h : "(null)", \
				__FILE__, __LINE__);                                               \
		_r;                                                                                \
	})
