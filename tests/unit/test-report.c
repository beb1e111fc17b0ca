// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * rekam - KTP-el recording station daemon
 *
 * test-report.c - unit tests of the report's arithmetic (report.c): a
 * month's bounds in local time (UTC+7, UTC, December into January), months
 * that are refused, and the nearest-rank percentiles the report uses for
 * its medians and 90th percentiles. The figures on a seeded database are
 * tests/integration/test-report.sh.
 */
#include <config.h>

#include <errno.h>
#include <stdlib.h>
#include <time.h>

#include "daemon/report.h"
#include "tap.h"

static void range(const char *month, int64_t from, int64_t to)
{
	int64_t f = 0, t = 0;
	int err = rk_report_month_range(month, &f, &t);

	tap_ok(err == 0 && f == from && t == to, "%s runs from %lld to %lld (got %d: %lld, %lld)",
		month, (long long)from, (long long)to, err, (long long)f, (long long)t);
}

static void refused(const char *month)
{
	int64_t f = 1, t = 2;

	tap_ok(rk_report_month_range(month, &f, &t) == -EINVAL && f == 1 && t == 2,
		"'%s' is not a month, and nothing is set", month ? month : "(null)");
}

static void percentile(const int64_t *v, size_t n, unsigned int p, int64_t want)
{
	tap_is_int(rk_report_percentile(v, n, p), want, "p%u of %zu values", p, n);
}

int main(void)
{
	static const char *const bad[] = { "", "2026", "2026-1", "2026-00", "2026-13", "1999-12",
		"26-10-01", "2026/10", "2026-1x", "2026-10-01", "x026-10", " 2026-10", NULL };
	static const int64_t eleven[] = { 10, 20, 30, 30, 35, 40, 45, 50, 55, 60, 70 };
	static const int64_t two[] = { 5, 9 };
	static const int64_t one[] = { 7 };

	setenv("TZ", "WIB-7", 1);
	tzset();
	/* 2026-10-01 00:00 WIB is 2026-09-30 17:00 UTC */
	range("2026-10", 1790787600000LL, 1793466000000LL);
	range("2026-12", 1796058000000LL, 1798736400000LL);
	setenv("TZ", "UTC0", 1);
	tzset();
	range("2026-10", 1790812800000LL, 1793491200000LL);
	range("2000-01", 946684800000LL, 949363200000LL);
	range("2024-02", 1706745600000LL, 1709251200000LL); /* a leap February: 29 days */
	refused(NULL);
	for (size_t i = 0; bad[i]; i++)
		refused(bad[i]);

	percentile(eleven, 11, 50, 40);
	percentile(eleven, 11, 90, 60);
	percentile(eleven, 11, 100, 70);
	percentile(eleven, 11, 1, 10);
	percentile(two, 2, 50, 5);
	percentile(two, 2, 90, 9);
	percentile(one, 1, 50, 7);
	percentile(one, 1, 90, 7);
	percentile(NULL, 0, 50, 0);
	return tap_done();
}
