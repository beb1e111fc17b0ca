// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * rekam - device plugins
 *
 * blob.c - parsing and writing the personalization blob (see blob.h and
 * docs/card.md, section 9). The parser trusts nothing: every length is
 * checked against what is left, every FID against the chip's table, and a
 * blob that is not exactly the five files is refused with a sentence that
 * says why.
 */
#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "plugins/cardreader-pcsc/blob.h"

const uint16_t card_blob_fids[CARD_BLOB_FILES] = { 0x0101, 0x0102, 0x0103, 0x0107, 0x011d };
static const char *const names[CARD_BLOB_FILES] = { "DG1", "DG2", "DG3", "DG7", "EF.SOD" };

static int index_of(uint16_t fid)
{
	for (int i = 0; i < CARD_BLOB_FILES; i++)
		if (card_blob_fids[i] == fid)
			return i;
	return -1;
}

const char *card_file_name(uint16_t fid)
{
	int i = index_of(fid);

	return i < 0 ? NULL : names[i];
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

int card_blob_parse(const void *blob, size_t size, struct card_file files[CARD_BLOB_FILES],
		char *why, size_t why_size)
{
	const uint8_t *p = blob;
	size_t pos = CARD_BLOB_HEADER;
	unsigned int count;

	memset(files, 0, CARD_BLOB_FILES * sizeof(*files));
	if (!p || size < CARD_BLOB_HEADER || memcmp(p, CARD_BLOB_MAGIC, 4) != 0) {
		snprintf(why, why_size, "the blob is not a personalization blob (it must start "
			"with \"RKPB\")");
		return -EINVAL;
	}
	if (p[4] != CARD_BLOB_VERSION) {
		snprintf(why, why_size, "the blob has version %u; this plugin reads version %u",
			p[4], CARD_BLOB_VERSION);
		return -EINVAL;
	}
	count = p[5];
	if (count != CARD_BLOB_FILES || p[6] || p[7]) {
		snprintf(why, why_size, "the blob must list exactly the %d files DG1, DG2, DG3, "
			"DG7 and EF.SOD (it lists %u)", CARD_BLOB_FILES, count);
		return -EINVAL;
	}
	for (unsigned int n = 0; n < count; n++) {
		uint16_t fid;
		uint32_t len;
		int i;

		if (size - pos < CARD_BLOB_ENTRY_HEADER) {
			snprintf(why, why_size, "the blob ends inside the header of file %u", n + 1);
			return -EINVAL;
		}
		fid = (uint16_t)(p[pos] << 8 | p[pos + 1]);
		len = be32(p + pos + 2);
		pos += CARD_BLOB_ENTRY_HEADER;
		i = index_of(fid);
		if (i < 0) {
			snprintf(why, why_size, "the blob names file %04X, which the chip does not "
				"have", fid);
			return -EINVAL;
		}
		if (files[i].data) {
			snprintf(why, why_size, "the blob lists %s twice", names[i]);
			return -EINVAL;
		}
		if (len < 1 || len > CARD_FILE_MAX) {
			snprintf(why, why_size, "%s in the blob has %lu bytes (1 to %d allowed)",
				names[i], (unsigned long)len, CARD_FILE_MAX);
			return -EINVAL;
		}
		if (size - pos < len) {
			snprintf(why, why_size, "the blob ends inside %s (%lu bytes announced, %zu "
				"left)", names[i], (unsigned long)len, size - pos);
			return -EINVAL;
		}
		files[i].fid = fid;
		files[i].name = names[i];
		files[i].data = p + pos;
		files[i].size = len;
		pos += len;
	}
	if (pos != size) {
		snprintf(why, why_size, "the blob has %zu bytes after its last file", size - pos);
		return -EINVAL;
	}
	return 0;
}

size_t card_blob_size(const struct card_file files[CARD_BLOB_FILES])
{
	size_t size = CARD_BLOB_HEADER;

	for (int i = 0; i < CARD_BLOB_FILES; i++)
		size += CARD_BLOB_ENTRY_HEADER + files[i].size;
	return size;
}

void card_blob_write(const struct card_file files[CARD_BLOB_FILES], uint8_t *out)
{
	memcpy(out, CARD_BLOB_MAGIC, 4);
	out[4] = CARD_BLOB_VERSION;
	out[5] = CARD_BLOB_FILES;
	out[6] = out[7] = 0;
	out += CARD_BLOB_HEADER;
	for (int i = 0; i < CARD_BLOB_FILES; i++) {
		uint32_t len = (uint32_t)files[i].size;

		out[0] = (uint8_t)(card_blob_fids[i] >> 8);
		out[1] = (uint8_t)card_blob_fids[i];
		out[2] = (uint8_t)(len >> 24);
		out[3] = (uint8_t)(len >> 16);
		out[4] = (uint8_t)(len >> 8);
		out[5] = (uint8_t)len;
		memcpy(out + CARD_BLOB_ENTRY_HEADER, files[i].data, len);
		out += CARD_BLOB_ENTRY_HEADER + len;
	}
}
