/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * rekam - device plugins
 *
 * chip.h - a KTP-el chip (docs/card.md) through PC/SC: connecting, the
 * APDUs (SELECT, READ/UPDATE BINARY, GET CHALLENGE, MUTUAL AUTHENTICATE,
 * GET DATA, LOCK) and the sequences built on them (identify, personalize,
 * read). Every call here can block: the plugin runs them on a worker
 * thread, the card benchmark in a plain loop.
 *
 * A failing call returns -errno and leaves a message "<key>: <sentence>" in
 * chip->message; the keys (no-card, card-removed, card-reset, wrong-card,
 * auth-failed, write-failed, verify-mismatch, card-locked, card-not-blank,
 * blob-too-big, card-timeout, reader-gone, reader-busy, reader-error,
 * cancelled) are listed with their meaning in docs/card.md, section 9.3.
 */
#pragma once

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <PCSC/winscard.h>

#include "plugins/cardreader-pcsc/blob.h"

#define CHIP_UID_MAX 10
#define CHIP_KEY_SIZE 16
#define CHIP_MESSAGE_MAX 320

extern const uint8_t chip_aid[7];

enum chip_lifecycle {
	CHIP_UNKNOWN = -1,
	CHIP_BLANK = 0,
	CHIP_PERSONALIZED = 1,
	CHIP_LOCKED = 2,
};

typedef void (*chip_progress_fn)(void *data, const char *stage, double fraction,
		const char *message);

struct chip {
	/* set up by the caller before chip_connect() */
	char reader[256];
	size_t max_data;            /* data bytes per APDU: 255 short, more extended */
	atomic_bool *cancel;        /* NULL, or: stop before the next APDU */
	atomic_llong *apdu_since;   /* NULL, or: monotonic ms an APDU has been out (0: none) */
	chip_progress_fn progress;  /* NULL, or called from the calling thread */
	void *progress_data;
	unsigned int card_wait_ms;  /* wait this long for a card to arrive (0: none) */

	/* PC/SC */
	SCARDCONTEXT ctx;
	bool have_ctx;
	SCARDHANDLE card;
	bool connected;
	bool in_transaction;
	bool fresh;    /* connected, no command answered yet (see exchange() in chip.c) */
	const SCARD_IO_REQUEST *pci;
	uint8_t *rbuf; /* response buffer */

	/* what was learnt */
	uint8_t atr[MAX_ATR_SIZE];
	size_t atr_len;
	uint8_t uid[CHIP_UID_MAX];
	size_t uid_len;
	enum chip_lifecycle lifecycle;
	unsigned int apdus;
	size_t bytes_written;
	uint16_t last_sw;
	char message[CHIP_MESSAGE_MAX]; /* "<key>: <sentence>" after a failure */
};

/* Monotonic milliseconds. */
long long chip_now_ms(void);

void chip_init(struct chip *c, const char *reader, size_t max_data);
/* Disconnect (resetting the card when @reset: the authentication is dropped)
 * and release the context. */
void chip_close(struct chip *c, bool reset);

/* Establish the context, check the reader and connect to its card (shared). */
int chip_connect(struct chip *c);
int chip_begin(struct chip *c);
void chip_end(struct chip *c, bool reset);

/* One APDU (answers 61xx and 6Cxx are followed up); @resp gets the data
 * without the status word, which is *sw. 0 or -errno (PC/SC failures). */
int chip_transmit(struct chip *c, const uint8_t *apdu, size_t len, uint8_t *resp,
		size_t *resp_len, size_t resp_max, uint16_t *sw);

/* UID (GET DATA FF CA), SELECT of the application, lifecycle. */
int chip_identify(struct chip *c);
int chip_authenticate(struct chip *c, const uint8_t key[CHIP_KEY_SIZE]);
int chip_select_file(struct chip *c, uint16_t fid, size_t *file_size);
int chip_write_file(struct chip *c, const struct card_file *file);
/* Read @size bytes of @fid from offset 0 into @out. */
int chip_read_file(struct chip *c, uint16_t fid, uint8_t *out, size_t size);
int chip_lock(struct chip *c);

/* The UID as upper-case hex into @out (at least 2 * CHIP_UID_MAX + 1). */
void chip_uid_hex(const struct chip *c, char *out);
const char *chip_lifecycle_name(enum chip_lifecycle lifecycle);

/* --- sequences (personalize.c) ----------------------------------------------- */

struct chip_personalize_args {
	const struct card_file *files; /* CARD_BLOB_FILES of them */
	uint8_t key[CHIP_KEY_SIZE];
	const char *expect_uid; /* NULL, or the UID (hex) the card must have */
	bool lock;              /* LOCK after writing (the normal case) */
};

/*
 * Connect, and in one PC/SC transaction: identify, check (a blank KTP-el chip,
 * the expected UID, every file fits), authenticate, write every file, lock,
 * read every file back and compare. 0 when the card is verified.
 */
int chip_personalize(struct chip *c, const struct chip_personalize_args *args);

/* Connect, identify, and read the five files whole into @data (each
 * CARD_FILE_MAX bytes) with their sizes in @sizes. */
int chip_read_all(struct chip *c, uint8_t *data[CARD_BLOB_FILES], size_t sizes[CARD_BLOB_FILES]);
