/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * rekam - device plugins
 *
 * blob.h - the personalization blob (docs/card.md, section 9): what the
 * cardreader-pcsc plugin writes to a KTP-el chip. A small binary TLV:
 *
 *   "RKPB"  version 01  count N  00 00
 *   N times: FID (2 bytes, big-endian)  length (4 bytes, big-endian)  bytes
 *
 * with exactly the five files DG1 0101, DG2 0102, DG3 0103, DG7 0107 and
 * EF.SOD 011D, each once, 1 to 65535 bytes, and nothing after the last.
 * Shared by the plugin, the blob generator and the card benchmark.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#define CARD_BLOB_MAGIC "RKPB"
#define CARD_BLOB_VERSION 1
#define CARD_BLOB_HEADER 8
#define CARD_BLOB_ENTRY_HEADER 6
#define CARD_BLOB_FILES 5
#define CARD_FILE_MAX 65535

struct card_file {
	uint16_t fid;
	const char *name; /* "DG1", ... */
	const uint8_t *data; /* points into the blob */
	size_t size;
};

/* The chip's files in the order they are written: DG1, DG2, DG3, DG7, EF.SOD. */
extern const uint16_t card_blob_fids[CARD_BLOB_FILES];

/* "DG1" ... "EF.SOD" for a FID of the table, NULL for another. */
const char *card_file_name(uint16_t fid);

/*
 * Parse @blob into @files (in the order of card_blob_fids). 0, or -EINVAL
 * with a sentence in @why (for a person: what is wrong and where).
 */
int card_blob_parse(const void *blob, size_t size, struct card_file files[CARD_BLOB_FILES],
		char *why, size_t why_size);

/* The size of the blob holding @files; card_blob_write() fills @out with it. */
size_t card_blob_size(const struct card_file files[CARD_BLOB_FILES]);
void card_blob_write(const struct card_file files[CARD_BLOB_FILES], uint8_t *out);
