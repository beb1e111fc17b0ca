// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * rekam - device simulators
 *
 * card-state.c - the virtual chip's persistent side: the file system (ICAO
 * 9303 data groups under the rekam application), the UID of a blank card,
 * the lifecycle, and the state file (saved atomically, loaded at start).
 */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "simulators/card-chip.h"

#define STATE_MAGIC "rekam-sim-card 1"

/* F0 = proprietary, unregistered RID; then "REKAM" and the version */
const uint8_t card_aid[CARD_AID_LEN] = { 0xF0, 0x52, 0x45, 0x4B, 0x41, 0x4D, 0x01 };

static const struct {
	uint16_t fid;
	const char *name;
	size_t size;
} layout[CARD_NFILES] = {
	{ 0x0101, "DG1", 1024 },  /* demographics */
	{ 0x0102, "DG2", 16384 }, /* face image */
	{ 0x0103, "DG3", 4096 },  /* two fingerprint templates */
	{ 0x0107, "DG7", 8192 },  /* signature image */
	{ 0x011D, "SOD", 4096 },  /* security object */
};

static const char *const lifecycle_names[] = { "blank", "personalized", "locked" };

const char *card_lifecycle_name(enum card_lifecycle lc)
{
	return lifecycle_names[lc];
}

size_t card_atr(uint8_t *atr, size_t size)
{
	/* TS, T0 (TD1, 8 historical bytes), TD1 (TD2, T=0), TD2 (T=1), "REKAM-ID", TCK */
	static const uint8_t head[] = { 0x3B, 0x88, 0x80, 0x01, 'R', 'E', 'K', 'A', 'M', '-',
		'I', 'D' };
	uint8_t tck = 0;
	size_t i;

	if (size < sizeof(head) + 1)
		return 0;
	memcpy(atr, head, sizeof(head));
	for (i = 1; i < sizeof(head); i++)
		tck ^= head[i];
	atr[sizeof(head)] = tck;
	return sizeof(head) + 1;
}

void card_reset(struct card *card)
{
	card->app_selected = false;
	card->current = -1;
	card->challenge_valid = false;
	card->authenticated = false;
	card->chaining = false;
	card->chain_len = 0;
}

void card_blank(struct card *card, uint64_t number)
{
	uint64_t sm = sim_seed(card->sim) ^ (number * 0x9E3779B97F4A7C15ULL);
	uint64_t v = sim_splitmix64(&sm);
	size_t i;

	card->number = number;
	card->uid[0] = 0x52; /* 'R': rekam's simulated chips */
	for (i = 1; i < CARD_UID_LEN; i++)
		card->uid[i] = (uint8_t)(v >> (8 * (i - 1)));
	card->lifecycle = CARD_BLANK;
	for (i = 0; i < CARD_NFILES; i++)
		memset(card->files[i].data, 0, card->files[i].size);
	card_reset(card);
}

int card_init(struct card *card, struct sim *sim)
{
	size_t i;

	card->sim = sim;
	for (i = 0; i < CARD_NFILES; i++) {
		card->files[i].fid = layout[i].fid;
		card->files[i].name = layout[i].name;
		card->files[i].size = layout[i].size;
		card->files[i].data = calloc(1, layout[i].size);
		if (!card->files[i].data)
			return -ENOMEM;
	}
	card->chain = malloc(CARD_CHAIN_MAX);
	if (!card->chain)
		return -ENOMEM;
	card_blank(card, card->number ? card->number : 1);
	return 0;
}

void card_fini(struct card *card)
{
	size_t i;

	for (i = 0; i < CARD_NFILES; i++) {
		free(card->files[i].data);
		card->files[i].data = NULL;
	}
	free(card->chain);
	card->chain = NULL;
}

/* --- hex ------------------------------------------------------------------------- */

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Exactly 2 * len hex digits. */
int card_parse_hex(const char *hex, uint8_t *out, size_t len)
{
	size_t i;

	if (strlen(hex) != 2 * len)
		return -EINVAL;
	for (i = 0; i < len; i++) {
		int hi = hexval(hex[2 * i]), lo = hexval(hex[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return -EINVAL;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

static void put_hex(FILE *f, const uint8_t *data, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		fprintf(f, "%02x", data[i]);
}

/* --- the state file ---------------------------------------------------------------- */

int card_save(struct card *card)
{
	char tmp[4096];
	FILE *f;
	size_t i;
	int fd, r = 0;

	if (!card->state_path)
		return 0;
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp", card->state_path) >= sizeof(tmp))
		return -ENAMETOOLONG;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	f = fdopen(fd, "w");
	if (!f) {
		r = -errno;
		close(fd);
		unlink(tmp);
		return r;
	}
	fprintf(f, "%s\nnumber %llu\nuid ", STATE_MAGIC, (unsigned long long)card->number);
	put_hex(f, card->uid, CARD_UID_LEN);
	fprintf(f, "\nlifecycle %s\n", card_lifecycle_name(card->lifecycle));
	for (i = 0; i < CARD_NFILES; i++) {
		fprintf(f, "file %04x ", card->files[i].fid);
		put_hex(f, card->files[i].data, card->files[i].size);
		fputc('\n', f);
	}
	if (fflush(f) != 0 || fsync(fd) != 0)
		r = -errno;
	if (fclose(f) != 0 && r == 0)
		r = -errno;
	if (r == 0 && rename(tmp, card->state_path) != 0)
		r = -errno;
	if (r < 0) {
		unlink(tmp);
		return r;
	}
	card->saves++;
	return 0;
}

static int parse_line(struct card *card, char *line, unsigned int *seen)
{
	char *word = line, *arg = strchr(line, ' ');
	unsigned long long n;
	char *end;
	size_t i;

	if (!arg)
		return -EINVAL;
	*arg++ = '\0';
	if (strcmp(word, "number") == 0) {
		errno = 0;
		n = strtoull(arg, &end, 10);
		if (errno || *end || end == arg)
			return -EINVAL;
		card->number = n;
		*seen |= 1;
		return 0;
	}
	if (strcmp(word, "uid") == 0) {
		*seen |= 2;
		return card_parse_hex(arg, card->uid, CARD_UID_LEN);
	}
	if (strcmp(word, "lifecycle") == 0) {
		for (i = 0; i < 3; i++) {
			if (strcmp(arg, lifecycle_names[i]) == 0) {
				card->lifecycle = (enum card_lifecycle)i;
				*seen |= 4;
				return 0;
			}
		}
		return -EINVAL;
	}
	if (strcmp(word, "file") == 0 && strlen(arg) > 5 && arg[4] == ' ') {
		arg[4] = '\0';
		n = strtoull(arg, &end, 16);
		if (*end)
			return -EINVAL;
		for (i = 0; i < CARD_NFILES; i++) {
			if (card->files[i].fid == n) {
				*seen |= 8u << i;
				return card_parse_hex(arg + 5, card->files[i].data,
						card->files[i].size);
			}
		}
	}
	return -EINVAL;
}

int card_load(struct card *card)
{
	unsigned int seen = 0, all = (8u << CARD_NFILES) - 1;
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	bool first = true;
	FILE *f;
	int r = 0;

	f = fopen(card->state_path, "re");
	if (!f)
		return -errno;
	while (r == 0 && (n = getline(&line, &cap, f)) >= 0) {
		if (n > 0 && line[n - 1] == '\n')
			line[n - 1] = '\0';
		if (first) {
			first = false;
			if (strcmp(line, STATE_MAGIC) != 0)
				r = -EINVAL;
			continue;
		}
		r = parse_line(card, line, &seen);
	}
	free(line);
	fclose(f);
	if (r == 0 && seen != all)
		r = -EINVAL;
	card_reset(card);
	return r;
}
