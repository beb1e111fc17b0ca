// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * rekam - device simulators
 *
 * card-apdu.c - the virtual chip's command set (ISO 7816-4): SELECT, READ
 * BINARY, UPDATE BINARY (extended length or command chaining), GET
 * CHALLENGE, MUTUAL AUTHENTICATE with the AES personalization key, GET DATA
 * (UID, lifecycle) and LOCK; one status word for every error.
 */
#include <config.h>

#include <errno.h>
#include <string.h>

#include <openssl/evp.h>

#include "simulators/card-chip.h"

enum {
	SW_OK = 0x9000,
	SW_EOF = 0x6282,        /* end of file reached before Le bytes */
	SW_AUTH_FAILED = 0x6300,
	SW_MEMORY = 0x6581,     /* memory failure: a write did not complete */
	SW_WRONG_LENGTH = 0x6700,
	SW_LCHAN = 0x6881,      /* logical channels not supported */
	SW_SM = 0x6882,         /* secure messaging not supported */
	SW_CHAIN_LAST = 0x6883, /* last command of the chain expected */
	SW_CHAIN = 0x6884,      /* chaining not supported for this command */
	SW_SECURITY = 0x6982,   /* security status not satisfied */
	SW_CONDITIONS = 0x6985, /* conditions of use not satisfied */
	SW_NO_EF = 0x6986,      /* command not allowed: no current EF */
	SW_NOT_FOUND = 0x6A82,
	SW_NO_SPACE = 0x6A84,   /* not enough memory space in the file */
	SW_P1P2 = 0x6A86,
	SW_NO_DATA = 0x6A88,    /* referenced data not found */
	SW_OFFSET = 0x6B00,
	SW_INS = 0x6D00,
	SW_CLA = 0x6E00,
	SW_UNKNOWN = 0x6F00,    /* the control `fail` fault */
};

struct apdu {
	uint8_t cla, ins, p1, p2;
	const uint8_t *data;
	size_t lc;
	size_t le;   /* 0: no Le field; otherwise 1-65536 */
	bool le_max; /* Le encoded as 00 (or 0000): as many as there are */
	bool extended;
};

struct reply {
	uint8_t *buf;
	size_t len;
};

/* --- helpers ---------------------------------------------------------------------- */

/* ISO 7816-4 5.1: cases 1, 2, 3, 4, short and extended. */
static int parse(const uint8_t *b, size_t len, struct apdu *a)
{
	memset(a, 0, sizeof(*a));
	if (len < 4)
		return -EINVAL;
	a->cla = b[0];
	a->ins = b[1];
	a->p1 = b[2];
	a->p2 = b[3];
	if (len == 4)
		return 0;
	if (len == 5) {
		a->le = b[4] ? b[4] : 256;
		a->le_max = !b[4];
		return 0;
	}
	if (b[4] != 0) {
		a->lc = b[4];
		a->data = b + 5;
		if (len == 5 + a->lc)
			return 0;
		if (len == 6 + a->lc) {
			a->le = b[len - 1] ? b[len - 1] : 256;
			a->le_max = !b[len - 1];
			return 0;
		}
		return -EINVAL;
	}
	a->extended = true;
	if (len < 7)
		return -EINVAL; /* an extended length needs its two more bytes */
	if (len == 7) {
		a->le = (size_t)(b[5] << 8 | b[6]);
		a->le_max = a->le == 0;
		if (a->le == 0)
			a->le = 65536;
		return 0;
	}
	a->lc = (size_t)(b[5] << 8 | b[6]);
	a->data = b + 7;
	if (a->lc == 0)
		return -EINVAL;
	if (len == 7 + a->lc)
		return 0;
	if (len == 9 + a->lc) {
		a->le = (size_t)(b[len - 2] << 8 | b[len - 1]);
		a->le_max = a->le == 0;
		if (a->le == 0)
			a->le = 65536;
		return 0;
	}
	return -EINVAL;
}

static void put(struct reply *r, const void *data, size_t len)
{
	memcpy(r->buf + r->len, data, len);
	r->len += len;
}

static int aes_block(const uint8_t *key, const uint8_t *in, uint8_t *out, bool encrypt)
{
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	int n = 0, m = 0, ok;

	if (!ctx)
		return -ENOMEM;
	ok = EVP_CipherInit_ex(ctx, EVP_aes_128_ecb(), NULL, key, NULL, encrypt) &&
		EVP_CIPHER_CTX_set_padding(ctx, 0) && EVP_CipherUpdate(ctx, out, &n, in, 16) &&
		EVP_CipherFinal_ex(ctx, out + n, &m);
	EVP_CIPHER_CTX_free(ctx);
	return ok && n + m == 16 ? 0 : -EIO;
}

static int find_fid(const struct card *card, unsigned int fid)
{
	int i;

	for (i = 0; i < CARD_NFILES; i++)
		if (card->files[i].fid == fid)
			return i;
	return -1;
}

/* The EF a READ/UPDATE BINARY addresses: short EF id in P1 or the current EF. */
static int address(struct card *card, const struct apdu *a, int *file, size_t *offset)
{
	if (!card->app_selected)
		return SW_NOT_FOUND;
	if (a->p1 & 0x80) {
		if (a->p1 & 0x60)
			return SW_P1P2;
		*file = find_fid(card, 0x0100 | (a->p1 & 0x1F));
		if (*file < 0)
			return SW_NOT_FOUND;
		card->current = *file;
		*offset = a->p2;
		return 0;
	}
	if (card->current < 0)
		return SW_NO_EF;
	*file = card->current;
	*offset = (size_t)(a->p1 << 8 | a->p2);
	return 0;
}

/* --- SELECT ------------------------------------------------------------------------ */

static int fcp(const struct card_file *f, struct reply *r)
{
	uint8_t t[] = { 0x62, 0x0E, 0x80, 0x02, (uint8_t)(f->size >> 8), (uint8_t)f->size,
		0x82, 0x01, 0x01, 0x83, 0x02, (uint8_t)(f->fid >> 8), (uint8_t)f->fid,
		0x88, 0x01, (uint8_t)(f->fid & 0x1F) };

	put(r, t, sizeof(t));
	return SW_OK;
}

static int do_select(struct card *card, const struct apdu *a, struct reply *r)
{
	unsigned int fid;
	int i;

	if (a->p2 != 0x00 && a->p2 != 0x04 && a->p2 != 0x0C)
		return SW_P1P2;
	if (a->p1 == 0x04) {
		if (a->lc == 0 || a->lc > 16)
			return SW_WRONG_LENGTH;
		if (a->lc != CARD_AID_LEN || memcmp(a->data, card_aid, CARD_AID_LEN) != 0)
			return SW_NOT_FOUND;
		card->app_selected = true;
		card->current = -1;
		if (a->p2 != 0x0C) {
			put(r, (const uint8_t[]){ 0x6F, CARD_AID_LEN + 2, 0x84, CARD_AID_LEN }, 4);
			put(r, card_aid, CARD_AID_LEN);
		}
		return SW_OK;
	}
	if (a->p1 != 0x00 && a->p1 != 0x02)
		return SW_P1P2;
	if (a->lc == 0 && a->p1 == 0x00)
		fid = 0x3F00;
	else if (a->lc == 2)
		fid = (unsigned int)(a->data[0] << 8 | a->data[1]);
	else
		return SW_WRONG_LENGTH;
	if (fid == 0x3F00 && a->p1 == 0x00) {
		card->app_selected = false;
		card->current = -1;
		if (a->p2 != 0x0C)
			put(r, (const uint8_t[]){ 0x62, 0x04, 0x83, 0x02, 0x3F, 0x00 }, 6);
		return SW_OK;
	}
	i = card->app_selected ? find_fid(card, fid) : -1;
	if (i < 0)
		return SW_NOT_FOUND;
	card->current = i;
	return a->p2 == 0x0C ? SW_OK : fcp(&card->files[i], r);
}

/* --- READ BINARY / UPDATE BINARY -------------------------------------------------------- */

static int do_read(struct card *card, const struct apdu *a, struct reply *r)
{
	const struct card_file *f;
	size_t offset, n;
	int file, sw;

	if (a->lc || !a->le)
		return SW_WRONG_LENGTH;
	sw = address(card, a, &file, &offset);
	if (sw)
		return sw;
	f = &card->files[file];
	if (offset >= f->size)
		return SW_OFFSET;
	n = f->size - offset < a->le ? f->size - offset : a->le;
	put(r, f->data + offset, n);
	return n < a->le && !a->le_max ? SW_EOF : SW_OK;
}

static int write_file(struct card *card, int file, size_t offset, const uint8_t *data,
		size_t len, enum card_action *action)
{
	struct card_file *f = &card->files[file];
	int r;

	if (card->tear_armed) {
		card->tear_armed = false;
		memcpy(f->data + offset, data, len / 2);
		card_save(card);
		sim_info("tear: %s: %zu of %zu bytes written, card removed", f->name, len / 2,
				len);
		*action = CARD_ACT_TEAR;
		return SW_MEMORY;
	}
	if (card->fail_write_armed) {
		size_t n = card->fail_write_after < len ? card->fail_write_after : len;

		card->fail_write_armed = false;
		memcpy(f->data + offset, data, n);
		card_save(card);
		sim_info("fail-write: %s: %zu of %zu bytes written", f->name, n, len);
		return SW_MEMORY;
	}
	memcpy(f->data + offset, data, len);
	if (card->lifecycle == CARD_BLANK)
		card->lifecycle = CARD_PERSONALIZED;
	card->writes++;
	r = card_save(card);
	if (r < 0) {
		sim_warn("cannot save the state to %s: %s", card->state_path, strerror(-r));
		return SW_MEMORY;
	}
	sim_debug("%s: %zu bytes written at %zu", f->name, len, offset);
	return SW_OK;
}

static int do_update(struct card *card, const struct apdu *a, enum card_action *action)
{
	const uint8_t *data = a->data;
	size_t offset, len = a->lc;
	bool chained = a->cla & 0x10;
	int file, sw;

	if (card->chaining && (a->ins != card->chain_ins ||
				(uint16_t)(a->p1 << 8 | a->p2) != card->chain_p1p2)) {
		card->chaining = false;
		card->chain_len = 0;
		return SW_CHAIN_LAST;
	}
	if (!a->lc || a->le)
		return SW_WRONG_LENGTH;
	if (card->lifecycle == CARD_LOCKED)
		return SW_CONDITIONS;
	if (!card->authenticated)
		return SW_SECURITY;
	if (chained || card->chaining) {
		if (card->chain_len + a->lc > CARD_CHAIN_MAX) {
			card->chaining = false;
			card->chain_len = 0;
			return SW_WRONG_LENGTH;
		}
		memcpy(card->chain + card->chain_len, a->data, a->lc);
		card->chain_len += a->lc;
		if (chained) {
			card->chaining = true;
			card->chain_ins = a->ins;
			card->chain_p1p2 = (uint16_t)(a->p1 << 8 | a->p2);
			return SW_OK;
		}
		card->chaining = false;
		data = card->chain;
		len = card->chain_len;
		card->chain_len = 0;
	}
	sw = address(card, a, &file, &offset);
	if (sw)
		return sw;
	if (offset >= card->files[file].size)
		return SW_OFFSET;
	if (len > card->files[file].size - offset)
		return SW_NO_SPACE;
	return write_file(card, file, offset, data, len, action);
}

/* --- authentication, lifecycle, data objects ------------------------------------------- */

static int do_challenge(struct card *card, const struct apdu *a, struct reply *r)
{
	size_t i;

	if (a->p1 || a->p2)
		return SW_P1P2;
	if (a->lc || a->le != CARD_CHALLENGE_LEN)
		return SW_WRONG_LENGTH;
	for (i = 0; i < CARD_CHALLENGE_LEN; i++)
		card->challenge[i] = (uint8_t)sim_rng_next(sim_rng(card->sim));
	card->challenge_valid = true;
	put(r, card->challenge, CARD_CHALLENGE_LEN);
	return SW_OK;
}

static int do_authenticate(struct card *card, const struct apdu *a, struct reply *r)
{
	uint8_t key[CARD_KEY_LEN], plain[16], out[16];

	if (a->p1 || a->p2)
		return SW_P1P2;
	if (a->lc != 16 || (a->le && a->le < 16))
		return SW_WRONG_LENGTH;
	if (!card->challenge_valid)
		return SW_CONDITIONS;
	card->challenge_valid = false;
	card->authenticated = false;
	memcpy(key, card->key, sizeof(key));
	if (card->wrong_key) {
		card->wrong_key = false;
		key[0] ^= 0xFF; /* this card was personalised with another key */
	}
	if (aes_block(key, a->data, plain, false) < 0)
		return SW_UNKNOWN;
	if (memcmp(plain + 8, card->challenge, CARD_CHALLENGE_LEN) != 0) {
		sim_info("mutual authentication failed");
		return SW_AUTH_FAILED;
	}
	memcpy(out, card->challenge, CARD_CHALLENGE_LEN);
	memcpy(out + CARD_CHALLENGE_LEN, plain, 8);
	if (aes_block(key, out, out, true) < 0)
		return SW_UNKNOWN;
	card->authenticated = true;
	put(r, out, sizeof(out));
	return SW_OK;
}

static int do_lock(struct card *card, const struct apdu *a)
{
	int r;

	if (a->p1 || a->p2)
		return SW_P1P2;
	if (a->lc)
		return SW_WRONG_LENGTH;
	if (card->lifecycle == CARD_LOCKED)
		return SW_OK;
	if (!card->authenticated)
		return SW_SECURITY;
	card->lifecycle = CARD_LOCKED;
	card->authenticated = false;
	r = card_save(card);
	if (r < 0)
		sim_warn("cannot save the state: %s", strerror(-r));
	return r < 0 ? SW_MEMORY : SW_OK;
}

static int do_get_data(struct card *card, const struct apdu *a, struct reply *r)
{
	uint8_t lc;

	if (a->lc)
		return SW_WRONG_LENGTH;
	if (a->cla == 0xFF) { /* PC/SC part 3: the UID */
		if (a->p1 || a->p2)
			return SW_P1P2;
		if (a->le && a->le < CARD_UID_LEN && a->le != 256)
			return 0x6C00 | CARD_UID_LEN;
		put(r, card->uid, CARD_UID_LEN);
		return SW_OK;
	}
	if (a->cla != 0x80 || a->p1 != 0x00 || a->p2 != 0x01)
		return SW_NO_DATA;
	lc = (uint8_t)card->lifecycle;
	put(r, &lc, 1);
	return SW_OK;
}

/* --- dispatch ------------------------------------------------------------------------- */

static int dispatch(struct card *card, const struct apdu *a, struct reply *r,
		enum card_action *action)
{
	char code[40];

	if (a->cla == 0xFF)
		return a->ins == 0xCA ? do_get_data(card, a, r) : SW_INS;
	if ((a->cla & 0xE0) != 0x00 && a->cla != 0x80)
		return SW_CLA;
	if (a->cla & 0x0C)
		return SW_SM;
	if (a->cla & 0x03)
		return SW_LCHAN;
	if (sim_take_failure(card->sim, code, sizeof(code))) {
		sim_info("injected failure %s: 6F00", code);
		return SW_UNKNOWN;
	}
	if ((a->cla & 0x10) && a->ins != 0xD6)
		return SW_CHAIN;
	if (card->chaining && (a->ins != 0xD6 || a->cla == 0x80)) {
		card->chaining = false;
		card->chain_len = 0;
		return SW_CHAIN_LAST;
	}
	if (a->cla == 0x80) {
		switch (a->ins) {
		case 0xCA:
			return do_get_data(card, a, r);
		case 0x10:
			return do_lock(card, a);
		default:
			return SW_INS;
		}
	}
	switch (a->ins) {
	case 0xA4:
		return do_select(card, a, r);
	case 0xB0:
		return do_read(card, a, r);
	case 0xD6:
		return do_update(card, a, action);
	case 0x84:
		return do_challenge(card, a, r);
	case 0x82:
		return do_authenticate(card, a, r);
	case 0xCA:
		return do_get_data(card, a, r);
	default:
		return SW_INS;
	}
}

size_t card_apdu(struct card *card, const uint8_t *cmd, size_t len, uint8_t *resp,
		enum card_action *action)
{
	struct reply r = { .buf = resp };
	struct apdu a;
	int sw;

	*action = CARD_ACT_NONE;
	card->apdus++;
	if (parse(cmd, len, &a) < 0)
		sw = SW_WRONG_LENGTH;
	else
		sw = dispatch(card, &a, &r, action);
	if (sw != SW_OK && sw != SW_EOF && !(sw == SW_MEMORY && r.len))
		r.len = 0;
	resp[r.len++] = (uint8_t)(sw >> 8);
	resp[r.len++] = (uint8_t)sw;
	sim_debug("apdu %02X %02X %02X %02X (%zu bytes) -> %04X, %zu bytes", len ? cmd[0] : 0,
			len > 1 ? cmd[1] : 0, len > 2 ? cmd[2] : 0, len > 3 ? cmd[3] : 0, len,
			(unsigned int)sw, r.len - 2);
	return r.len;
}
