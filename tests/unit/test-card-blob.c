// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * rekam - tests
 *
 * test-card-blob.c - the personalization blob parser of cardreader-pcsc
 * (plugins/cardreader-pcsc/blob.c, docs/card.md 9.1): a blob written by
 * card_blob_write() parses back to the same files in the chip's order;
 * every malformed blob (wrong magic or version, wrong count, a truncated
 * header or file, an unknown or repeated FID, an empty or oversized file,
 * trailing bytes) is refused with its own sentence; and every truncation
 * of a good blob is refused without reading past its end (ASan/valgrind).
 */
#include <config.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "plugins/cardreader-pcsc/blob.h"
#include "tap.h"

static uint8_t dg[CARD_BLOB_FILES][300];

static size_t make(struct card_file files[CARD_BLOB_FILES], uint8_t **out)
{
	for (int i = 0; i < CARD_BLOB_FILES; i++) {
		memset(dg[i], 0x11 * (i + 1), sizeof(dg[i]));
		files[i] = (struct card_file){ .fid = card_blob_fids[i], .data = dg[i],
			.size = 100 + 40 * (size_t)i };
	}
	*out = malloc(card_blob_size(files));
	card_blob_write(files, *out);
	return card_blob_size(files);
}

/* Parse a copy of @blob (exactly @size bytes on the heap) and check the sentence. */
static void refused(const uint8_t *blob, size_t size, const char *sentence, const char *what)
{
	struct card_file files[CARD_BLOB_FILES];
	uint8_t *copy = malloc(size ? size : 1);
	char why[200] = "";
	int err;

	memcpy(copy, blob, size);
	err = card_blob_parse(copy, size, files, why, sizeof(why));
	tap_ok(err == -EINVAL && strstr(why, sentence), "%s: refused (%s)", what, why);
	free(copy);
}

int main(void)
{
	struct card_file in[CARD_BLOB_FILES], out[CARD_BLOB_FILES];
	uint8_t *blob, *bad;
	size_t size = make(in, &blob);
	char why[200] = "";
	bool same = true;
	int err;

	err = card_blob_parse(blob, size, out, why, sizeof(why));
	tap_ok(err == 0, "a written blob parses (%zu bytes)", size);
	for (int i = 0; i < CARD_BLOB_FILES; i++)
		same = same && out[i].fid == in[i].fid && out[i].size == in[i].size &&
			memcmp(out[i].data, in[i].data, in[i].size) == 0;
	tap_ok(same, "... to the same five files in the chip's order");
	tap_ok(strcmp(out[4].name, "EF.SOD") == 0 && strcmp(card_file_name(0x0107), "DG7") == 0 &&
		!card_file_name(0x0104), "file names");

	bad = malloc(size);
	memcpy(bad, blob, size);
	bad[0] = 'X';
	refused(bad, size, "not a personalization blob", "wrong magic");
	memcpy(bad, blob, size);
	bad[4] = 2;
	refused(bad, size, "version 2", "another version");
	memcpy(bad, blob, size);
	bad[5] = 4;
	refused(bad, size, "exactly the 5 files", "four files");
	memcpy(bad, blob, size);
	bad[8] = 0x02; /* DG1's FID becomes 0201 */
	refused(bad, size, "file 0201, which the chip does not have", "an unknown FID");
	memcpy(bad, blob, size);
	bad[8 + 6 + 100] = 0x01; /* DG2's FID becomes 0101 */
	bad[8 + 6 + 100 + 1] = 0x01;
	refused(bad, size, "lists DG1 twice", "a repeated FID");
	memcpy(bad, blob, size);
	memset(bad + 10, 0, 4);
	refused(bad, size, "DG1 in the blob has 0 bytes", "an empty file");
	memcpy(bad, blob, size);
	bad[11] = 0x01; /* 65636 bytes */
	refused(bad, size, "65636 bytes (1 to 65535 allowed)", "an oversized file");
	memcpy(bad, blob, size);
	bad[12] = 0x7f;
	refused(bad, size, "ends inside DG1", "a length past the end");
	refused(blob, 3, "not a personalization blob", "3 bytes");
	refused(blob, CARD_BLOB_HEADER + 3, "ends inside the header of file 1", "a cut header");
	bad = realloc(bad, size + 1);
	memcpy(bad, blob, size);
	bad[size] = 0;
	refused(bad, size + 1, "1 bytes after its last file", "a trailing byte");

	same = true;
	for (size_t n = 0; n < size; n++) {
		struct card_file f[CARD_BLOB_FILES];
		uint8_t *cut = malloc(n ? n : 1);

		memcpy(cut, blob, n);
		same = same && card_blob_parse(cut, n, f, why, sizeof(why)) == -EINVAL;
		free(cut);
	}
	tap_ok(same, "every one of the %zu truncations is refused", size);
	tap_ok(card_blob_parse(NULL, 0, out, why, sizeof(why)) == -EINVAL, "no blob at all");
	free(bad);
	free(blob);
	return tap_done();
}
