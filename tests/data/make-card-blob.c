// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * rekam - tests
 *
 * make-card-blob.c - writes a sample personalization blob (docs/card.md,
 * section 9.1) for the card reader's tests, benchmark and demo: DG1 with an
 * applicant's demographics as text, and DG2, DG3, DG7 and EF.SOD filled with
 * bytes from a seeded generator (DG2 framed like a JPEG), so the same seed
 * gives the same blob. Sizes can be changed per file, also past what the
 * chip holds, to test refusals.
 *
 *   make-card-blob [--seed N] [--nik NIK] [--name NAME]
 *                  [--size DG1|DG2|DG3|DG7|SOD=BYTES]... [-o FILE]
 */
#include <config.h>

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plugins/cardreader-pcsc/blob.h"

static uint64_t state;

static uint64_t next(void) /* splitmix64 */
{
	uint64_t z = (state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static void usage(FILE *f)
{
	fprintf(f, "Usage: make-card-blob [--seed N] [--nik NIK] [--name NAME]\n"
		"                      [--size DG1|DG2|DG3|DG7|SOD=BYTES]... [-o FILE]\n"
		"Writes a sample KTP-el personalization blob (docs/card.md, section 9.1).\n"
		"Default sizes: DG1 the text, DG2 12000, DG3 1024, DG7 3000, SOD 1500.\n");
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "seed", required_argument, NULL, 's' },
		{ "nik", required_argument, NULL, 'n' },
		{ "name", required_argument, NULL, 'N' },
		{ "size", required_argument, NULL, 'z' },
		{ "output", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	static const char *const keys[CARD_BLOB_FILES] = { "DG1", "DG2", "DG3", "DG7", "SOD" };
	long sizes[CARD_BLOB_FILES] = { -1, 12000, 1024, 3000, 1500 };
	const char *nik = "6305014107900001", *name = "SITI AMINAH", *out = NULL;
	struct card_file files[CARD_BLOB_FILES];
	uint8_t *data[CARD_BLOB_FILES] = { 0 }, *blob;
	char dg1[512];
	size_t size;
	FILE *f;
	int opt;

	state = 1;
	while ((opt = getopt_long(argc, argv, "o:h", longopts, NULL)) != -1) {
		char *eq, *end;
		int i;

		switch (opt) {
		case 's':
			state = strtoull(optarg, NULL, 0);
			break;
		case 'n':
			nik = optarg;
			break;
		case 'N':
			name = optarg;
			break;
		case 'z':
			eq = strchr(optarg, '=');
			for (i = 0; eq && i < CARD_BLOB_FILES; i++)
				if (strncmp(optarg, keys[i], (size_t)(eq - optarg)) == 0 &&
						strlen(keys[i]) == (size_t)(eq - optarg))
					break;
			if (!eq || i == CARD_BLOB_FILES) {
				fprintf(stderr, "make-card-blob: --size wants DG1|DG2|DG3|DG7|SOD=BYTES\n");
				return 64;
			}
			sizes[i] = strtol(eq + 1, &end, 10);
			if (*end || sizes[i] < 1 || sizes[i] > CARD_FILE_MAX) {
				fprintf(stderr, "make-card-blob: sizes are 1 to %d bytes\n", CARD_FILE_MAX);
				return 64;
			}
			break;
		case 'o':
			out = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 64;
		}
	}
	snprintf(dg1, sizeof(dg1), "NIK=%s;NAMA=%s;LAHIR=BINUANG,01-07-1990;JK=P;GOLDARAH=O;"
		"ALAMAT=JL. A. YANI KM 5 RT 003/RW 001;KELDESA=BINUANG;KECAMATAN=BINUANG;"
		"AGAMA=ISLAM;STATUS=KAWIN;PEKERJAAN=GURU;WNI;BERLAKU=SEUMUR HIDUP", nik, name);
	if (sizes[0] < 0)
		sizes[0] = (long)strlen(dg1);
	for (int i = 0; i < CARD_BLOB_FILES; i++) {
		data[i] = malloc((size_t)sizes[i]);
		if (!data[i])
			return 70;
		for (long b = 0; b < sizes[i]; b++)
			data[i][b] = (uint8_t)next();
		files[i] = (struct card_file){ .fid = card_blob_fids[i], .data = data[i],
			.size = (size_t)sizes[i] };
	}
	memcpy(data[0], dg1, strlen(dg1) < (size_t)sizes[0] ? strlen(dg1) : (size_t)sizes[0]);
	if (sizes[1] >= 4) { /* a JPEG's SOI and EOI around the face */
		memcpy(data[1], "\xff\xd8\xff\xe0", 4);
		data[1][sizes[1] - 2] = 0xff;
		data[1][sizes[1] - 1] = 0xd9;
	}
	size = card_blob_size(files);
	blob = malloc(size);
	if (!blob)
		return 70;
	card_blob_write(files, blob);
	f = out ? fopen(out, "wb") : stdout;
	if (!f || fwrite(blob, 1, size, f) != size || (out && fclose(f) != 0)) {
		fprintf(stderr, "make-card-blob: cannot write %s: %s\n", out ? out : "stdout",
			strerror(errno));
		return 73;
	}
	for (int i = 0; i < CARD_BLOB_FILES; i++)
		free(data[i]);
	free(blob);
	return 0;
}
