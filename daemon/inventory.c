// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * rekam - KTP-el recording station daemon
 *
 * inventory.c - the blank card stock (see inventory.h): serials, batches,
 * card states in the database, and the manager's AddCardBatch and Cards*
 * properties.
 */
#include <config.h>

#include <errno.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "daemon/daemon.h"
#include "daemon/dbus-error.h"
#include "daemon/dbus-object.h"
#include "daemon/inventory.h"
#include "daemon/log.h"
#include "daemon/manager.h"
#include "daemon/roles.h"
#include "daemon/store.h"

#define SERIAL_CHARS "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-"
#define DIGITS "0123456789"

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int rk_card_serial_check(const char *serial, char *why, size_t size)
{
	size_t len = strlen(serial);

	if (len < 1 || len > RK_CARD_SERIAL_MAX || strspn(serial, SERIAL_CHARS) != len ||
			!strchr(DIGITS, serial[len - 1])) {
		snprintf(why, size, "a card serial is 1 to %d characters of A-Z 0-9 - ending in a "
			"digit; '%.40s' is not", RK_CARD_SERIAL_MAX, serial);
		return -EINVAL;
	}
	return 0;
}

/* @serial with its trailing number advanced by @n, same width. false: the
 * number would need another digit. */
static bool serial_plus(const char *serial, unsigned int n, char out[RK_CARD_SERIAL_MAX + 1])
{
	size_t len = strlen(serial), start = len;
	unsigned int carry = n;

	while (start > 0 && strchr(DIGITS, serial[start - 1]))
		start--;
	memcpy(out, serial, len + 1);
	for (size_t i = len; i-- > start && carry;) {
		unsigned int digit = (unsigned int)(out[i] - '0') + carry;

		out[i] = (char)('0' + digit % 10);
		carry = digit / 10;
	}
	return carry == 0;
}

/* Begin a transaction unless the caller has one open; *@own tells which. */
static int begin(struct rk_store *store, bool *own)
{
	*own = sqlite3_get_autocommit(rk_store_db(store)) != 0;
	return *own ? rk_store_begin(store) : 0;
}

static int end(struct rk_store *store, bool own, int err)
{
	if (!own)
		return err;
	if (err) {
		rk_store_rollback(store);
		return err;
	}
	return rk_store_commit(store) < 0 ? -EIO : 0;
}

static int step_done(struct rk_store *store, sqlite3_stmt *stmt)
{
	int rc = sqlite3_step(stmt);

	sqlite3_reset(stmt);
	if (rc == SQLITE_DONE)
		return 0;
	if ((rc & 0xff) == SQLITE_CONSTRAINT)
		return -EEXIST;
	rk_error("card inventory: %s", sqlite3_errmsg(rk_store_db(store)));
	return -EIO;
}

int rk_inventory_add_batch(struct rk_store *store, const char *first, unsigned int count,
		const char *role, uid_t uid, char last[RK_CARD_SERIAL_MAX + 1], char *why,
		size_t size)
{
	char serial[RK_CARD_SERIAL_MAX + 1];
	sqlite3_stmt *stmt;
	int64_t batch, at = now_ms();
	bool own;
	int err;

	if (rk_card_serial_check(first, why, size) < 0)
		return -EINVAL;
	if (count < 1 || count > RK_CARD_BATCH_MAX) {
		snprintf(why, size, "a batch holds 1 to %d cards, not %u", RK_CARD_BATCH_MAX,
			count);
		return -EINVAL;
	}
	if (!serial_plus(first, count - 1, last)) {
		snprintf(why, size, "%u cards from %s would need a longer serial number", count,
			first);
		return -EINVAL;
	}
	err = begin(store, &own);
	if (err < 0)
		return -EIO;
	stmt = rk_store_prepare(store, "INSERT INTO card_batches (first_serial, count, role, uid, "
		"added) VALUES (?, ?, ?, ?, ?)");
	if (!stmt)
		return end(store, own, -EIO);
	sqlite3_bind_text(stmt, 1, first, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(stmt, 2, count);
	sqlite3_bind_text(stmt, 3, role, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(stmt, 4, (sqlite3_int64)uid);
	sqlite3_bind_int64(stmt, 5, at);
	err = step_done(store, stmt);
	batch = sqlite3_last_insert_rowid(rk_store_db(store));
	for (unsigned int i = 0; !err && i < count; i++) {
		serial_plus(first, i, serial);
		stmt = rk_store_prepare(store, "INSERT INTO cards (serial, batch, state, changed) "
			"VALUES (?, ?, 'blank', ?)");
		if (!stmt) {
			err = -EIO;
			break;
		}
		sqlite3_bind_text(stmt, 1, serial, -1, SQLITE_TRANSIENT);
		sqlite3_bind_int64(stmt, 2, batch);
		sqlite3_bind_int64(stmt, 3, at);
		err = step_done(store, stmt);
		if (err == -EEXIST)
			snprintf(why, size, "card %s is already registered; no card of this batch "
				"was added", serial);
	}
	if (err == -EIO)
		snprintf(why, size, "the card inventory cannot be written");
	err = end(store, own, err);
	if (!err)
		rk_info("card inventory: %u blank cards %s to %s added by %s (uid %u)", count,
			first, last, role, (unsigned int)uid);
	return err;
}

int rk_inventory_take_blank(struct rk_store *store, char serial[RK_CARD_SERIAL_MAX + 1])
{
	sqlite3_stmt *stmt = rk_store_prepare(store, "SELECT serial FROM cards WHERE state = "
		"'blank' AND serial NOT IN (SELECT card_serial FROM enrollments WHERE "
		"issue_phase != '') ORDER BY batch, serial LIMIT 1");
	int rc, err = 0;

	if (!stmt)
		return -EIO;
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW)
		snprintf(serial, RK_CARD_SERIAL_MAX + 1, "%s", sqlite3_column_text(stmt, 0));
	else
		err = rc == SQLITE_DONE ? -ENOENT : -EIO;
	sqlite3_reset(stmt);
	return err;
}

int rk_inventory_card_state(struct rk_store *store, const char *serial, char state[8])
{
	sqlite3_stmt *stmt = rk_store_prepare(store, "SELECT state FROM cards WHERE serial = ?");
	int rc, err = 0;

	if (!stmt)
		return -EIO;
	sqlite3_bind_text(stmt, 1, serial, -1, SQLITE_TRANSIENT);
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW)
		snprintf(state, 8, "%s", sqlite3_column_text(stmt, 0));
	else
		err = rc == SQLITE_DONE ? -ENOENT : -EIO;
	sqlite3_reset(stmt);
	return err;
}

static int mark(struct rk_store *store, const char *serial, const char *to, int64_t enrollment,
		const char *reason)
{
	char state[8];
	sqlite3_stmt *stmt;
	bool own;
	int err;

	err = begin(store, &own);
	if (err < 0)
		return -EIO;
	err = rk_inventory_card_state(store, serial, state);
	if (!err && strcmp(state, "blank") != 0)
		err = -EALREADY;
	if (!err) {
		stmt = rk_store_prepare(store, "UPDATE cards SET state = ?, enrollment = ?, "
			"reason = ?, changed = ? WHERE serial = ? AND state = 'blank'");
		if (!stmt)
			return end(store, own, -EIO);
		sqlite3_bind_text(stmt, 1, to, -1, SQLITE_STATIC);
		if (enrollment > 0)
			sqlite3_bind_int64(stmt, 2, enrollment);
		else
			sqlite3_bind_null(stmt, 2);
		sqlite3_bind_text(stmt, 3, reason, -1, SQLITE_TRANSIENT);
		sqlite3_bind_int64(stmt, 4, now_ms());
		sqlite3_bind_text(stmt, 5, serial, -1, SQLITE_TRANSIENT);
		err = step_done(store, stmt);
		if (err == -EEXIST)
			err = -EIO; /* a constraint: e.g. no such enrollment */
	}
	err = end(store, own, err);
	if (!err)
		rk_info("card %s: %s%s%s", serial, to, *reason ? ": " : "", reason);
	return err;
}

int rk_inventory_mark_issued(struct rk_store *store, const char *serial, int64_t enrollment)
{
	return mark(store, serial, "issued", enrollment, "");
}

int rk_inventory_mark_spoiled(struct rk_store *store, const char *serial, int64_t enrollment,
		const char *reason)
{
	if (!reason || !*reason)
		return -EINVAL;
	return mark(store, serial, "spoiled", enrollment, reason);
}

int rk_inventory_counts(struct rk_store *store, struct rk_inventory_counts *counts)
{
	sqlite3_stmt *stmt = rk_store_prepare(store,
		"SELECT state, count(*) FROM cards GROUP BY state");
	int rc;

	*counts = (struct rk_inventory_counts){ 0 };
	if (!stmt)
		return -EIO;
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		const char *state = (const char *)sqlite3_column_text(stmt, 0);
		unsigned int n = (unsigned int)sqlite3_column_int64(stmt, 1);

		if (!state)
			continue;
		if (strcmp(state, "blank") == 0)
			counts->blank = n;
		else if (strcmp(state, "issued") == 0)
			counts->issued = n;
		else if (strcmp(state, "spoiled") == 0)
			counts->spoiled = n;
	}
	sqlite3_reset(stmt);
	return rc == SQLITE_DONE ? 0 : -EIO;
}

/* --- on the bus ------------------------------------------------------------ */

static bool get_count(DBusMessageIter *iter, struct rk_daemon *d, size_t offset)
{
	struct rk_inventory_counts counts;
	dbus_uint32_t n;

	if (rk_inventory_counts(d->store, &counts) < 0)
		return false;
	n = *(unsigned int *)((char *)&counts + offset);
	return dbus_message_iter_append_basic(iter, DBUS_TYPE_UINT32, &n);
}

bool rk_inventory_get_blank(DBusMessageIter *iter, void *data)
{
	return get_count(iter, data, offsetof(struct rk_inventory_counts, blank));
}

bool rk_inventory_get_issued(DBusMessageIter *iter, void *data)
{
	return get_count(iter, data, offsetof(struct rk_inventory_counts, issued));
}

bool rk_inventory_get_spoiled(DBusMessageIter *iter, void *data)
{
	return get_count(iter, data, offsetof(struct rk_inventory_counts, spoiled));
}

void rk_inventory_changed(struct rk_daemon *d)
{
	rk_manager_changed(d, "CardsBlank");
	rk_manager_changed(d, "CardsIssued");
	rk_manager_changed(d, "CardsSpoiled");
}

static DBusMessage *add_batch_authorized(struct rk_daemon *d, DBusMessage *msg,
		unsigned int roles, uid_t uid, void *data)
{
	enum rk_role role = rk_roles_first(roles);
	char last[RK_CARD_SERIAL_MAX + 1], why[256];
	const char *first, *last_p = last;
	dbus_uint32_t count;
	DBusMessage *reply;
	int err;

	dbus_message_get_args(msg, NULL, DBUS_TYPE_STRING, &first, DBUS_TYPE_UINT32, &count,
		DBUS_TYPE_INVALID);
	err = rk_inventory_add_batch(d->store, first, count, rk_role_name(role), uid, last, why,
		sizeof(why));
	if (err == -EEXIST)
		return rk_dbus_error(msg, RK_DBUS_ERROR_ALREADY_EXISTS, "%s", why);
	if (err == -EINVAL)
		return rk_dbus_error(msg, RK_DBUS_ERROR_INVALID_ARGUMENTS, "%s", why);
	if (err < 0)
		return rk_dbus_error(msg, RK_DBUS_ERROR_FAILED, "The card inventory cannot be "
			"written; nothing was added");
	rk_inventory_changed(d);
	reply = dbus_message_new_method_return(msg);
	if (reply && !dbus_message_append_args(reply, DBUS_TYPE_STRING, &last_p,
			DBUS_TYPE_INVALID)) {
		dbus_message_unref(reply);
		reply = NULL;
	}
	return reply;
}

DBusMessage *rk_inventory_add_batch_method(DBusConnection *conn, DBusMessage *msg, void *data)
{
	return rk_roles_authorize(data, msg, RK_ROLE_BIT(RK_ROLE_TECHNICIAN),
		add_batch_authorized, NULL);
}
