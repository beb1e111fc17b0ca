/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * rekam - device simulators
 *
 * card-chip.h - the virtual KTP-el chip of rekam-sim-card: its file system and
 * lifecycle (card-state.c, which also keeps the state file), its ISO 7816-4
 * command set (card-apdu.c) and the vpcd link (rekam-sim-card.c).
 * docs/card.md is the reference for everything here.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "simulators/lib/sim.h"

#define CARD_UID_LEN 7
#define CARD_CHALLENGE_LEN 8
#define CARD_KEY_LEN 16
#define CARD_NFILES 5
#define CARD_AID_LEN 7
#define CARD_CHAIN_MAX 65536
#define CARD_RESPONSE_MAX (65536 + 2)

extern const uint8_t card_aid[CARD_AID_LEN];

enum card_lifecycle { CARD_BLANK, CARD_PERSONALIZED, CARD_LOCKED };

struct card_file {
	uint16_t fid;
	const char *name; /* "DG1", ... */
	size_t size;
	uint8_t *data;
};

/* What the card asks of the link after a command (a fault). */
enum card_action { CARD_ACT_NONE, CARD_ACT_TEAR };

struct card {
	struct sim *sim;

	/* persistent: the state file */
	uint64_t number; /* card number: with --seed, gives the UID */
	uint8_t uid[CARD_UID_LEN];
	enum card_lifecycle lifecycle;
	struct card_file files[CARD_NFILES];
	const char *state_path; /* NULL: nothing saved */

	/* configuration */
	uint8_t key[CARD_KEY_LEN];

	/* volatile: reset by power off, reset, removal */
	bool powered;
	bool app_selected;
	int current; /* index into files, -1 none */
	bool challenge_valid;
	uint8_t challenge[CARD_CHALLENGE_LEN];
	bool authenticated;
	uint8_t *chain; /* command chaining buffer (UPDATE BINARY) */
	size_t chain_len;
	bool chaining;
	uint16_t chain_p1p2;
	uint8_t chain_ins;

	/* faults (control socket) */
	bool fail_write_armed;
	size_t fail_write_after;
	bool tear_armed;
	bool wrong_key;

	/* counters for status */
	unsigned long apdus;
	unsigned long writes;
	unsigned long saves;
};

/* card-state.c */
int card_init(struct card *card, struct sim *sim);
void card_fini(struct card *card);
/* A new blank card numbered number: fresh UID, empty files (not saved). */
void card_blank(struct card *card, uint64_t number);
/* Load the state file; -ENOENT when it does not exist, -EINVAL when malformed. */
int card_load(struct card *card);
/* Save the state file atomically (temp file + fsync + rename); 0 without a path. */
int card_save(struct card *card);
const char *card_lifecycle_name(enum card_lifecycle lc);
/* Forget the volatile state (power off / reset / removal). */
void card_reset(struct card *card);
/* The ATR: T=1 contactless card as PC/SC presents it; returns its length. */
size_t card_atr(uint8_t *atr, size_t size);
int card_parse_hex(const char *hex, uint8_t *out, size_t len);

/* card-apdu.c: one command APDU in, the response (data + SW1 SW2) out.
 * Returns the response length; *action tells the link about a fault. */
size_t card_apdu(struct card *card, const uint8_t *cmd, size_t len, uint8_t *resp,
		enum card_action *action);
