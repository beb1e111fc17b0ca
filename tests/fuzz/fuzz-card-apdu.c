// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * rekam - fuzz targets
 *
 * fuzz-card-apdu.c - the virtual KTP-el chip of rekam-sim-card
 * (simulators/card-apdu.c): the input is a session of command APDUs, each
 * preceded by its length (one byte), sent to one fresh card in order, so
 * that the fuzzer can reach the states behind SELECT, GET CHALLENGE and
 * authentication. Every answer must end with a status word and fit its
 * buffer; a tear fault is reported and the session goes on, as when a card
 * is put back.
 */
#include <config.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "simulators/card-chip.h"
#include "simulators/lib/sim-private.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t key[CARD_KEY_LEN] = { 0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66,
		0x77, 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff };
	struct sim sim = { .seed = 7 };
	struct card card = { 0 };
	static uint8_t resp[CARD_RESPONSE_MAX];
	size_t at = 0;

	sim_rng_seed(&sim.rng, 7);
	if (card_init(&card, &sim) < 0)
		abort();
	memcpy(card.key, key, sizeof(key));
	card.powered = true;
	card.current = -1;
	while (at < size) {
		size_t len = data[at++];
		enum card_action action = CARD_ACT_NONE;
		size_t n;

		if (len > size - at)
			len = size - at;
		n = card_apdu(&card, data + at, len, resp, &action);
		if (n < 2 || n > sizeof(resp))
			abort(); /* every answer ends with SW1 SW2 and fits */
		if (action == CARD_ACT_TEAR)
			card_reset(&card);
		at += len;
	}
	card_fini(&card);
	return 0;
}
