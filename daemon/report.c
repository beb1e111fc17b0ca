// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * rekam - KTP-el recording station daemon
 *
 * report.c - the monthly performance report a supervisor reviews (the
 * service standard's "evaluasi kinerja"): for one month in local time, from
 * the step records, the card inventory and the audit trail, how many
 * applicants each SOP step served, how often it met its time standard, its
 * median and 90th percentile durations, the whole way against 36 minutes,
 * returns by reason, duplicates, rejections, spoiled cards and device
 * faults. rekamctl report renders it (table, CSV, HTML); docs/report.md
 * defines every figure.
 */
#include <config.h>

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sqlite3.h>

#include "daemon/daemon.h"
#include "daemon/dbus-error.h"
#include "daemon/enrollment.h"
#include "daemon/log.h"
#include "daemon/report.h"
#include "daemon/store.h"

/* One row per (enrollment, step) whose last record falls in [?1, ?2): the
 * step's duration is the sum of its records' durations (step 6 has two:
 * uploaded, then the server's verdict), each the time since the record
 * before it (0 for the first, never negative: the clock may step back).
 * Only enrollments with a record in the month are windowed, whole: a year
 * of a busy station (220000 records) takes 35 ms instead of 280. */
#define STEP_SQL \
	"WITH r AS (SELECT enrollment, step, at, " \
	"MAX(0, at - LAG(at, 1, at) OVER (PARTITION BY enrollment ORDER BY seq)) AS d " \
	"FROM enrollment_steps WHERE enrollment IN (SELECT enrollment FROM enrollment_steps " \
	"WHERE at >= ?1 AND at < ?2)) " \
	"SELECT step, SUM(d) FROM r WHERE step BETWEEN 1 AND 10 " \
	"GROUP BY enrollment, step HAVING MAX(at) >= ?1 AND MAX(at) < ?2"

/* The whole way of each enrollment collected in the month: submission to collection. */
#define TOTAL_SQL \
	"SELECT MAX(at) - MIN(at) FROM enrollment_steps GROUP BY enrollment " \
	"HAVING MAX(CASE WHEN state = 'collected' THEN at END) >= ?1 " \
	"AND MAX(CASE WHEN state = 'collected' THEN at END) < ?2"

#define RETURNS_SQL \
	"SELECT CASE WHEN instr(note, ':') > 0 THEN trim(substr(note, 1, instr(note, ':') - 1)) " \
	"ELSE trim(note) END AS reason, COUNT(*) FROM enrollment_steps " \
	"WHERE state = 'returned' AND at >= ?1 AND at < ?2 GROUP BY reason ORDER BY 2 DESC, 1"

#define DUPLICATES_SQL \
	"SELECT COUNT(*) FROM enrollment_steps WHERE state = 'returned' AND step = 6 " \
	"AND note LIKE 'duplicate%' AND at >= ?1 AND at < ?2"

#define REJECTED_SQL \
	"SELECT COUNT(*) FROM enrollment_steps WHERE state = 'rejected' AND at >= ?1 AND at < ?2"

#define SPOILED_SQL \
	"SELECT COUNT(*) FROM cards WHERE state = 'spoiled' AND changed >= ?1 AND changed < ?2"

/* The audit trail keeps seconds; a device is the first word of the detail. */
#define FAULTS_SQL \
	"SELECT CASE WHEN instr(detail, ' ') > 0 THEN substr(detail, 1, instr(detail, ' ') - 1) " \
	"ELSE detail END AS device, COUNT(*) FROM audit WHERE action LIKE 'device.%' " \
	"AND result IN ('failed', 'timeout') AND time >= ?1 / 1000 AND time < ?2 / 1000 " \
	"GROUP BY device ORDER BY 2 DESC, 1"

#define TOTAL_STANDARD_MS (36 * 60000)

struct durations {
	int64_t *v;
	size_t n, cap;
};

int rk_report_month_range(const char *month, int64_t *from_ms, int64_t *to_ms)
{
	struct tm tm = { 0 };
	int y, m;
	time_t from, to;

	if (!month || strlen(month) != 7 || month[4] != '-')
		return -EINVAL;
	for (int i = 0; i < 7; i++)
		if (i != 4 && (month[i] < '0' || month[i] > '9'))
			return -EINVAL;
	y = atoi(month);
	m = atoi(month + 5);
	if (y < 2000 || m < 1 || m > 12)
		return -EINVAL;
	tm.tm_year = y - 1900;
	tm.tm_mon = m - 1;
	tm.tm_mday = 1;
	tm.tm_isdst = -1;
	from = mktime(&tm);
	tm = (struct tm){ .tm_year = m == 12 ? y - 1899 : y - 1900, .tm_mon = m % 12, .tm_mday = 1,
		.tm_isdst = -1 };
	to = mktime(&tm);
	if (from == (time_t)-1 || to == (time_t)-1)
		return -EINVAL;
	*from_ms = (int64_t)from * 1000;
	*to_ms = (int64_t)to * 1000;
	return 0;
}

int64_t rk_report_percentile(const int64_t *v, size_t n, unsigned int p)
{
	size_t rank;

	if (n == 0)
		return 0;
	if (p > 100)
		p = 100;
	rank = (p * n + 99) / 100;
	return v[rank ? rank - 1 : 0];
}

static int compare(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

static int push(struct durations *d, int64_t value)
{
	if (d->n == d->cap) {
		size_t cap = d->cap ? d->cap * 2 : 64;
		int64_t *v = realloc(d->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		d->v = v;
		d->cap = cap;
	}
	d->v[d->n++] = value;
	return 0;
}

static sqlite3_stmt *query(struct rk_store *store, const char *sql, int64_t from, int64_t to)
{
	sqlite3_stmt *stmt = rk_store_prepare(store, sql);

	if (stmt) {
		sqlite3_bind_int64(stmt, 1, from);
		sqlite3_bind_int64(stmt, 2, to);
	}
	return stmt;
}

/* The end of a statement's rows: 0, or -EIO (logged). */
static int finish(struct rk_store *store, sqlite3_stmt *stmt, int rc)
{
	sqlite3_reset(stmt);
	if (rc == SQLITE_DONE)
		return 0;
	rk_error("report: %s", sqlite3_errmsg(rk_store_db(store)));
	return -EIO;
}

static int count(struct rk_store *store, const char *sql, int64_t from, int64_t to, int64_t *n)
{
	sqlite3_stmt *stmt = query(store, sql, from, to);
	int rc;

	if (!stmt)
		return -EIO;
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW) {
		*n = sqlite3_column_int64(stmt, 0);
		rc = sqlite3_step(stmt);
	}
	return finish(store, stmt, rc);
}

/* The figures of @n sorted durations against @standard: count, met, median, p90. */
static json_t *figures(struct durations *d, int64_t standard)
{
	size_t met = 0;

	if (d->n)
		qsort(d->v, d->n, sizeof(*d->v), compare);
	for (size_t i = 0; i < d->n; i++)
		met += d->v[i] <= standard;
	return json_pack("{sI sI sI so so so}", "standard_ms", (json_int_t)standard,
		"applicants", (json_int_t)d->n, "met", (json_int_t)met,
		"met_ratio", d->n ? json_real((double)met / (double)d->n) : json_null(),
		"median_ms", d->n ? json_integer(rk_report_percentile(d->v, d->n, 50)) : json_null(),
		"p90_ms", d->n ? json_integer(rk_report_percentile(d->v, d->n, 90)) : json_null());
}

static int steps(struct rk_store *store, int64_t from, int64_t to, json_t *report)
{
	struct durations per_step[RK_SOP_STEPS] = { 0 };
	sqlite3_stmt *stmt = query(store, STEP_SQL, from, to);
	json_t *array = json_array();
	int rc = SQLITE_DONE, err = 0;

	if (!stmt || !array) {
		json_decref(array);
		return stmt ? -ENOMEM : -EIO;
	}
	while (!err && (rc = sqlite3_step(stmt)) == SQLITE_ROW)
		err = push(&per_step[sqlite3_column_int(stmt, 0) - 1], sqlite3_column_int64(stmt, 1));
	if (!err)
		err = finish(store, stmt, rc);
	else
		sqlite3_reset(stmt);
	for (unsigned int s = 1; !err && s <= RK_SOP_STEPS; s++) {
		json_t *f = figures(&per_step[s - 1], rk_sop_standard_ms(s));

		if (!f || json_object_set_new(f, "step", json_integer(s)) ||
				json_array_append_new(array, f))
			err = -ENOMEM;
	}
	for (unsigned int s = 0; s < RK_SOP_STEPS; s++)
		free(per_step[s].v);
	if (!err && json_object_set_new(report, "steps", array))
		return -ENOMEM;
	if (err)
		json_decref(array);
	return err;
}

static int total(struct rk_store *store, int64_t from, int64_t to, json_t *report)
{
	struct durations d = { 0 };
	sqlite3_stmt *stmt = query(store, TOTAL_SQL, from, to);
	int rc = SQLITE_DONE, err = 0;
	json_t *f;

	if (!stmt)
		return -EIO;
	while (!err && (rc = sqlite3_step(stmt)) == SQLITE_ROW)
		err = push(&d, sqlite3_column_int64(stmt, 0));
	if (!err)
		err = finish(store, stmt, rc);
	else
		sqlite3_reset(stmt);
	if (!err) {
		f = figures(&d, TOTAL_STANDARD_MS);
		if (!f || json_object_set_new(report, "total", f))
			err = -ENOMEM;
	}
	free(d.v);
	return err;
}

/* A list of {"@key": text, "count": n} from a two-column query. */
static int breakdown(struct rk_store *store, const char *sql, int64_t from, int64_t to,
		const char *key, json_t **out, int64_t *sum)
{
	sqlite3_stmt *stmt = query(store, sql, from, to);
	json_t *array = json_array();
	int rc = SQLITE_DONE, err = 0;

	*sum = 0;
	if (!stmt || !array) {
		json_decref(array);
		return stmt ? -ENOMEM : -EIO;
	}
	while (!err && (rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		const unsigned char *text = sqlite3_column_text(stmt, 0);
		int64_t n = sqlite3_column_int64(stmt, 1);

		*sum += n;
		if (json_array_append_new(array, json_pack("{ss sI}", key,
				text ? (const char *)text : "", "count", (json_int_t)n)))
			err = -ENOMEM;
	}
	if (!err)
		err = finish(store, stmt, rc);
	else
		sqlite3_reset(stmt);
	if (err)
		json_decref(array);
	else
		*out = array;
	return err;
}

int rk_report_build(struct rk_store *store, const char *month, json_t **out)
{
	int64_t from, to, duplicates = 0, rejected = 0, spoiled = 0, returned = 0, faults = 0;
	json_t *report, *returns = NULL, *by_device = NULL;
	int err = rk_report_month_range(month, &from, &to);

	if (err)
		return err;
	report = json_pack("{ss sI sI sI}", "month", month, "from_ms", (json_int_t)from,
		"to_ms", (json_int_t)to, "standard_total_ms", (json_int_t)TOTAL_STANDARD_MS);
	if (!report)
		return -ENOMEM;
	err = steps(store, from, to, report);
	if (!err)
		err = total(store, from, to, report);
	if (!err)
		err = breakdown(store, RETURNS_SQL, from, to, "reason", &returns, &returned);
	if (!err)
		err = count(store, DUPLICATES_SQL, from, to, &duplicates);
	if (!err)
		err = count(store, REJECTED_SQL, from, to, &rejected);
	if (!err)
		err = count(store, SPOILED_SQL, from, to, &spoiled);
	if (!err)
		err = breakdown(store, FAULTS_SQL, from, to, "device", &by_device, &faults);
	if (!err) {
		/* json_object_set_new() and "o" take the reference, even on
		 * failure: every call is made, and any failure counts */
		int fails = 0;

		fails += !!json_object_set_new(report, "returned", json_integer(returned));
		fails += !!json_object_set_new(report, "returns", returns);
		fails += !!json_object_set_new(report, "duplicates", json_integer(duplicates));
		fails += !!json_object_set_new(report, "rejected", json_integer(rejected));
		fails += !!json_object_set_new(report, "spoiled_cards", json_integer(spoiled));
		fails += !!json_object_set_new(report, "device_faults", json_pack("{sI so}",
			"total", (json_int_t)faults, "by_device", by_device));

		returns = by_device = NULL;
		if (fails)
			err = -ENOMEM;
	}
	if (err) {
		json_decref(returns);
		json_decref(by_device);
		json_decref(report);
		return err;
	}
	*out = report;
	return 0;
}

DBusMessage *rk_report_bus_get(DBusConnection *conn, DBusMessage *msg, void *data)
{
	struct rk_daemon *d = data;
	const char *month = NULL;
	DBusMessage *reply;
	json_t *report = NULL;
	char *text;
	int err;

	dbus_message_get_args(msg, NULL, DBUS_TYPE_STRING, &month, DBUS_TYPE_INVALID);
	if (!d->store)
		return rk_dbus_error(msg, RK_DBUS_ERROR_NOT_READY, "The station database is not open");
	err = rk_report_build(d->store, month, &report);
	if (err == -EINVAL)
		return rk_dbus_error(msg, RK_DBUS_ERROR_INVALID_ARGUMENTS,
			"Invalid month '%.40s': expected YYYY-MM, e.g. 2026-11", month ? month : "");
	if (err)
		return rk_dbus_error(msg, RK_DBUS_ERROR_FAILED, "Cannot compute the report: %s",
			strerror(-err));
	text = json_dumps(report, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(report);
	if (!text)
		return rk_dbus_error(msg, RK_DBUS_ERROR_FAILED, "Out of memory");
	reply = dbus_message_new_method_return(msg);
	if (reply && !dbus_message_append_args(reply, DBUS_TYPE_STRING, &text, DBUS_TYPE_INVALID)) {
		dbus_message_unref(reply);
		reply = NULL;
	}
	free(text);
	return reply;
}
