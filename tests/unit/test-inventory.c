// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * rekam - KTP-el recording station daemon
 *
 * test-inventory.c - unit tests of the blank card stock (inventory.c) on a
 * real station database in a temporary directory: serials, batches (all or
 * nothing), taking and marking cards, counts, joining the caller's
 * transaction, and persistence across reopening.
 */
#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon/inventory.h"
#include "daemon/store.h"
#include "tap.h"

static char tmp_dir[] = "/tmp/rekam-test-inventory-XXXXXX";
static char why[256];

static struct rk_store *open_store(const char *path)
{
	struct rk_store *store = NULL;
	char *error = NULL;

	if (rk_store_open(path, &store, NULL, &error) < 0)
		tap_bail("cannot open %s: %s", path, error ? error : "?");
	return store;
}

static void counts_are(struct rk_store *store, unsigned int blank, unsigned int issued,
		unsigned int spoiled, const char *what)
{
	struct rk_inventory_counts c;

	if (!tap_ok(rk_inventory_counts(store, &c) == 0 && c.blank == blank && c.issued == issued &&
			c.spoiled == spoiled, "counts %u/%u/%u: %s", blank, issued, spoiled, what))
		tap_diag("  got %u/%u/%u", c.blank, c.issued, c.spoiled);
}

static void state_is(struct rk_store *store, const char *serial, const char *want)
{
	char state[8] = "";
	int err = rk_inventory_card_state(store, serial, state);

	tap_ok(err == 0 && strcmp(state, want) == 0, "card %s is %s", serial, want);
}

static void test_serials(void)
{
	static const char *const good[] = { "1", "KTP-0001", "A1B2C3",
		"KTP-0000000000000000000000000001" };
	static const char *const bad[] = { "", "KTP-", "ktp-0001", "KTP 0001", "KTP_0001",
		"123456789012345678901234567890123", "KTP-00A" };

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		tap_ok(rk_card_serial_check(good[i], why, sizeof(why)) == 0, "serial '%s' is valid",
			good[i]);
	tap_ok(rk_card_serial_check("KTP-0001\n", why, sizeof(why)) == -EINVAL,
		"a serial with a newline is refused");
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		tap_ok(rk_card_serial_check(bad[i], why, sizeof(why)) == -EINVAL && *why,
			"serial '%.36s' is refused", bad[i][0] == '\0' ? "(empty)" : bad[i]);
}

static void test_batches(struct rk_store *store)
{
	char last[RK_CARD_SERIAL_MAX + 1] = "", serial[RK_CARD_SERIAL_MAX + 1] = "";

	counts_are(store, 0, 0, 0, "a new database has no cards");
	tap_is_int(rk_inventory_take_blank(store, serial), -ENOENT, "no blank card to take");

	tap_is_int(rk_inventory_add_batch(store, "K-0098", 5, "technician", 1000, last, why,
		sizeof(why)), 0, "a batch of 5 from K-0098");
	tap_is_str(last, "K-0102", "... ends at K-0102 (the number carries, width kept)");
	counts_are(store, 5, 0, 0, "five blank cards");
	state_is(store, "K-0100", "blank");

	tap_is_int(rk_inventory_add_batch(store, "K-0101", 3, "technician", 1000, last, why,
		sizeof(why)), -EEXIST, "a batch overlapping the first is refused");
	tap_contains(why, "K-0101 is already registered", "... naming the card");
	counts_are(store, 5, 0, 0, "... and adds none of its cards");
	tap_ok(rk_inventory_card_state(store, "K-0103", (char[8]){ 0 }) == -ENOENT,
		"... not even those before the clash (K-0103)");

	tap_is_int(rk_inventory_add_batch(store, "Z-98", 3, "technician", 0, last, why,
		sizeof(why)), -EINVAL, "a batch that would need a third digit is refused");
	tap_contains(why, "longer serial", "... saying why");
	tap_is_int(rk_inventory_add_batch(store, "Z-01", 0, "technician", 0, last, why,
		sizeof(why)), -EINVAL, "a batch of 0 cards is refused");
	tap_is_int(rk_inventory_add_batch(store, "Z-00001", RK_CARD_BATCH_MAX + 1, "technician", 0,
		last, why, sizeof(why)), -EINVAL, "a batch over %d cards is refused",
		RK_CARD_BATCH_MAX);
	tap_is_int(rk_inventory_add_batch(store, "z-01", 1, "technician", 0, last, why,
		sizeof(why)), -EINVAL, "a batch with a bad serial is refused");
	counts_are(store, 5, 0, 0, "refused batches added nothing");

	tap_is_int(rk_inventory_add_batch(store, "A-9", 1, "supervisor", 0, last, why,
		sizeof(why)), 0, "a batch of one card");
	tap_is_str(last, "A-9", "... is its own last serial");
	counts_are(store, 6, 0, 0, "six blank cards");
}

static void test_marking(struct rk_store *store)
{
	char serial[RK_CARD_SERIAL_MAX + 1] = "";

	tap_is_int(rk_inventory_take_blank(store, serial), 0, "take a blank card");
	tap_is_str(serial, "K-0098", "... the first batch's lowest serial");
	tap_is_int(rk_inventory_take_blank(store, serial), 0, "take again without marking");
	tap_is_str(serial, "K-0098", "... gives the same card (taking does not use it up)");

	tap_is_int(rk_inventory_mark_spoiled(store, "K-0098", 0, "ribbon jam"), 0,
		"spoil K-0098 (jam)");
	state_is(store, "K-0098", "spoiled");
	tap_is_int(rk_inventory_take_blank(store, serial), 0, "take the next blank card");
	tap_is_str(serial, "K-0099", "... K-0099");
	tap_is_int(rk_inventory_mark_issued(store, "K-0099", 0), 0, "issue K-0099");
	state_is(store, "K-0099", "issued");
	counts_are(store, 4, 1, 1, "after one spoiled and one issued");

	tap_is_int(rk_inventory_mark_issued(store, "K-0099", 0), -EALREADY,
		"issuing an issued card again is refused");
	tap_is_int(rk_inventory_mark_spoiled(store, "K-0099", 0, "late"), -EALREADY,
		"spoiling an issued card is refused");
	tap_is_int(rk_inventory_mark_issued(store, "K-0098", 0), -EALREADY,
		"issuing a spoiled card is refused");
	tap_is_int(rk_inventory_mark_issued(store, "NOPE-1", 0), -ENOENT,
		"issuing an unknown card is refused");
	tap_is_int(rk_inventory_mark_spoiled(store, "K-0100", 0, ""), -EINVAL,
		"spoiling without a reason is refused");
	tap_is_int(rk_inventory_mark_issued(store, "K-0100", 424242), -EIO,
		"issuing to an enrollment that does not exist is refused (foreign key)");
	counts_are(store, 4, 1, 1, "refused marks changed nothing");
	state_is(store, "K-0100", "blank");

	/* Inside the caller's transaction: rolled back with it. */
	tap_is_int(rk_store_begin(store), 0, "begin a transaction");
	tap_is_int(rk_inventory_mark_issued(store, "K-0100", 0), 0, "issue K-0100 inside it");
	counts_are(store, 3, 2, 1, "... seen inside the transaction");
	tap_is_int(rk_store_rollback(store), 0, "roll the transaction back");
	counts_are(store, 4, 1, 1, "... and the card is blank again");
	state_is(store, "K-0100", "blank");
	tap_is_int(rk_store_begin(store), 0, "begin another");
	tap_is_int(rk_inventory_mark_spoiled(store, "K-0100", 0, "misprint"), 0,
		"spoil K-0100 inside it");
	tap_is_int(rk_store_commit(store), 0, "commit");
	counts_are(store, 3, 1, 2, "committed with the caller's transaction");

	while (rk_inventory_take_blank(store, serial) == 0)
		rk_inventory_mark_issued(store, serial, 0);
	counts_are(store, 0, 4, 2, "every card used up");
	tap_is_int(rk_inventory_take_blank(store, serial), -ENOENT, "then none can be taken");
}

int main(void)
{
	struct rk_store *store;
	char path[256];

	if (!mkdtemp(tmp_dir))
		tap_bail("mkdtemp failed");
	snprintf(path, sizeof(path), "%s/rekam.db", tmp_dir);

	test_serials();
	store = open_store(path);
	test_batches(store);
	test_marking(store);
	rk_store_close(store);

	store = open_store(path);
	counts_are(store, 0, 4, 2, "the counts survive reopening the database");
	state_is(store, "K-0098", "spoiled");
	rk_store_close(store);

	for (const char *const *suffix = (const char *const[]){ "", "-wal", "-shm", NULL }; *suffix;
			suffix++) {
		char name[300];

		snprintf(name, sizeof(name), "%s%s", path, *suffix);
		unlink(name);
	}
	rmdir(tmp_dir);
	return tap_done();
}
