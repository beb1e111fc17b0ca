/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * rekam - KTP-el recording station daemon
 *
 * inventory.h - the blank card stock. Blank cards arrive in batches with
 * consecutive serials; every card is blank, issued (to one enrollment) or
 * spoiled (with a reason), and the counts are what the database says. The
 * marking functions join the caller's open transaction, so that the card and
 * the enrollment change together (the Issue step), or run in their own.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <dbus/dbus.h>

#define RK_CARD_SERIAL_MAX 32
#define RK_CARD_BATCH_MAX 10000

struct rk_store;

struct rk_inventory_counts {
	unsigned int blank, issued, spoiled;
};

/*
 * Whether @serial may name a card: 1 to 32 characters of A-Z 0-9 -, ending
 * in a digit (the running number a batch counts up). 0 or -EINVAL with the
 * reason in @why.
 */
int rk_card_serial_check(const char *serial, char *why, size_t size);

/*
 * Register @count blank cards from @first on (the trailing number counts up,
 * keeping its width: K-0098, K-0099, K-0100). All or nothing. 0 and the last
 * serial in @last; -EINVAL (bad serial or count, or the number runs out of
 * digits), -EEXIST (a serial is already registered), -EIO; @why says which.
 */
int rk_inventory_add_batch(struct rk_store *store, const char *first, unsigned int count,
		const char *role, uid_t uid, char last[RK_CARD_SERIAL_MAX + 1], char *why,
		size_t size);

/* The next blank card (oldest batch, lowest serial) into @serial; it stays
 * blank until marked. 0, -ENOENT (no blank card left), -EIO. */
int rk_inventory_take_blank(struct rk_store *store, char serial[RK_CARD_SERIAL_MAX + 1]);

/* Blank -> issued to @enrollment (0: none recorded). 0, -ENOENT (no such
 * card), -EALREADY (not blank), -EIO. */
int rk_inventory_mark_issued(struct rk_store *store, const char *serial, int64_t enrollment);

/* Blank -> spoiled with @reason (not empty), for @enrollment (0: none). As
 * rk_inventory_mark_issued(); -EINVAL for an empty reason. */
int rk_inventory_mark_spoiled(struct rk_store *store, const char *serial, int64_t enrollment,
		const char *reason);

/* The state of @serial: "blank", "issued", "spoiled"; -ENOENT. */
int rk_inventory_card_state(struct rk_store *store, const char *serial, char state[8]);

int rk_inventory_counts(struct rk_store *store, struct rk_inventory_counts *counts);

/* --- on the bus (manager interface) --- */

struct rk_daemon;

/* AddCardBatch(s first_serial, u count) -> (s last_serial); technician or supervisor. */
DBusMessage *rk_inventory_add_batch_method(DBusConnection *conn, DBusMessage *msg, void *data);
bool rk_inventory_get_blank(DBusMessageIter *iter, void *data);
bool rk_inventory_get_issued(DBusMessageIter *iter, void *data);
bool rk_inventory_get_spoiled(DBusMessageIter *iter, void *data);
/* Note that the counts changed (PropertiesChanged of the three). */
void rk_inventory_changed(struct rk_daemon *d);
