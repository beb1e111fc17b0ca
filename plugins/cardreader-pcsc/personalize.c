// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * rekam - device plugins
 *
 * personalize.c - the two long sequences on a KTP-el chip: personalization
 * (docs/card.md, section 9.2) and reading a card whole. Both block; the
 * plugin runs them on a worker thread.
 *
 * Personalization happens inside ONE PC/SC transaction, because the mutual
 * authentication is lost when anything resets the card: identify and check
 * everything that can be checked before the first write (a blank KTP-el
 * chip, the expected UID, every file fits), authenticate, write, lock, then
 * read every file back and compare. A failure after the first write leaves
 * the card "personalized" but not locked: incomplete, which the read job and
 * the CardState health value show, and which the pipeline counts spoiled.
 */
#include <config.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "plugins/cardreader-pcsc/chip.h"

__attribute__((format(printf, 3, 4))) static int fail(struct chip *c, int err, const char *fmt,
		...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->message, sizeof(c->message), fmt, ap);
	va_end(ap);
	return err;
}

static void progress(struct chip *c, const char *stage, double fraction, const char *message)
{
	if (c->progress)
		c->progress(c->progress_data, stage, fraction, message);
}

/* Everything that can be refused before the card is touched. */
static int check_card(struct chip *c, const struct chip_personalize_args *args)
{
	char uid[2 * CHIP_UID_MAX + 1];
	int err;

	chip_uid_hex(c, uid);
	if (args->expect_uid && strcasecmp(args->expect_uid, uid) != 0)
		return fail(c, -EIO, "wrong-card: the card in the reader has UID %s, not %s", uid,
			args->expect_uid);
	if (c->lifecycle == CHIP_LOCKED)
		return fail(c, -EIO, "card-locked: the card %s is locked; it cannot be "
			"personalized again", uid);
	if (c->lifecycle != CHIP_BLANK)
		return fail(c, -EIO, "card-not-blank: the card %s is already written but not "
			"locked (an earlier personalization was interrupted); count it spoiled", uid);
	for (int i = 0; i < CARD_BLOB_FILES; i++) {
		const struct card_file *f = &args->files[i];
		size_t size = 0;

		err = chip_select_file(c, f->fid, &size);
		if (err)
			return err;
		if (f->size > size)
			return fail(c, -EINVAL, "blob-too-big: %s of the blob has %zu bytes; the "
				"chip's file holds %zu", f->name, f->size, size);
	}
	return 0;
}

static int verify(struct chip *c, const struct chip_personalize_args *args)
{
	uint8_t *back = malloc(CARD_FILE_MAX);
	int err = back ? 0 : fail(c, -ENOMEM, "reader-error: out of memory");

	for (int i = 0; !err && i < CARD_BLOB_FILES; i++) {
		const struct card_file *f = &args->files[i];

		progress(c, "verifying", 0.8 + 0.2 * i / CARD_BLOB_FILES, "Reading the chip back");
		err = chip_read_file(c, f->fid, back, f->size);
		if (err)
			break;
		for (size_t b = 0; b < f->size; b++) {
			if (back[b] != f->data[b]) {
				err = fail(c, -EIO, "verify-mismatch: %s read back differs from the "
					"blob at byte %zu (%02X, not %02X)", f->name, b, back[b],
					f->data[b]);
				break;
			}
		}
	}
	free(back);
	return err;
}

int chip_personalize(struct chip *c, const struct chip_personalize_args *args)
{
	size_t total = 0, done = 0;
	bool written = false;
	int err;

	for (int i = 0; i < CARD_BLOB_FILES; i++)
		total += args->files[i].size;
	progress(c, "connecting", 0.0, "Connecting to the card");
	err = chip_connect(c);
	if (!err)
		err = chip_begin(c);
	if (!err)
		err = chip_identify(c);
	if (!err)
		err = check_card(c, args);
	if (!err) {
		progress(c, "authenticating", 0.02, "Authenticating with the chip");
		err = chip_authenticate(c, args->key);
	}
	for (int i = 0; !err && i < CARD_BLOB_FILES; i++) {
		char message[64];

		snprintf(message, sizeof(message), "Writing %s", args->files[i].name);
		progress(c, "writing", 0.05 + 0.7 * (double)done / (double)total, message);
		written = true;
		err = chip_write_file(c, &args->files[i]);
		done += args->files[i].size;
	}
	if (!err)
		c->lifecycle = CHIP_PERSONALIZED;
	if (!err && args->lock) {
		progress(c, "locking", 0.78, "Locking the chip");
		err = chip_lock(c);
	}
	if (!err)
		err = verify(c, args);
	/* Reset on failure: whatever authentication is left must not outlive us. */
	chip_end(c, err != 0);
	if (err && written)
		c->lifecycle = CHIP_UNKNOWN; /* written in part: the plugin looks again */
	if (!err)
		progress(c, "done", 1.0, "The chip is written, locked and verified");
	return err;
}

int chip_read_all(struct chip *c, uint8_t *data[CARD_BLOB_FILES], size_t sizes[CARD_BLOB_FILES])
{
	int err = chip_connect(c);

	if (!err)
		err = chip_begin(c);
	if (!err)
		err = chip_identify(c);
	for (int i = 0; !err && i < CARD_BLOB_FILES; i++) {
		size_t size = 0;

		progress(c, "reading", (double)i / CARD_BLOB_FILES, "Reading the chip");
		err = chip_select_file(c, card_blob_fids[i], &size);
		if (!err && size > CARD_FILE_MAX)
			err = fail(c, -EIO, "wrong-card: file %04X is larger than %d bytes",
				card_blob_fids[i], CARD_FILE_MAX);
		if (!err)
			err = chip_read_file(c, card_blob_fids[i], data[i], size);
		sizes[i] = size;
	}
	chip_end(c, false);
	return err;
}
