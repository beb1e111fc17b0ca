/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * rekam - KTP-el recording station daemon
 *
 * report.h - the monthly performance report (the service standard's
 * "evaluasi kinerja"), computed from the station database (report.c) and
 * served as the manager's GetReport.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <dbus/dbus.h>
#include <jansson.h>

struct rk_store;

/* The first and one past the last millisecond (Unix epoch) of @month,
 * "YYYY-MM" (2000-01 to 9999-12), in local time. 0 or -EINVAL. */
int rk_report_month_range(const char *month, int64_t *from_ms, int64_t *to_ms);

/* The nearest-rank @p-th percentile (1..100) of the @n sorted values @v;
 * 0 when @n is 0. */
int64_t rk_report_percentile(const int64_t *v, size_t n, unsigned int p);

/*
 * The report of @month from @store as a JSON object (docs/report.md says
 * what is in it). 0 and *@out, -EINVAL (@month is not YYYY-MM), -ENOMEM,
 * -EIO (the database; logged).
 */
int rk_report_build(struct rk_store *store, const char *month, json_t **out);

/* id.rekam.Station1.GetReport(s month) -> (s report): the report as JSON. */
DBusMessage *rk_report_bus_get(DBusConnection *conn, DBusMessage *msg, void *data);
