// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * rekam - fuzz targets
 *
 * fuzz-central-reply.c - libFuzzer target for every parser of the central
 * server's answers (daemon/central-reply.c). The input is one answer: byte
 * 0 picks the parser (submit, status, Retry-After, issuance report), bytes
 * 1-2 the HTTP status (big-endian, modulo 1000), then the Retry-After
 * header value up to a NUL byte, then the body. Besides crashes (ASan, UBSan) it checks
 * that an answer is only taken as an acceptance or a status when it names
 * the packet, and that every string handed on is terminated and clean.
 *
 * Built as tests/fuzz.mk says: with driver.c it replays its corpus
 * (tests/fuzz/corpus/central-reply) in make check; configured with
 * --enable-fuzzing, `make fuzz` explores.
 */
#include <config.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/central-reply.h"

#define ID "3f2c8a1e-5b7d-4c2a-9e61-0d4b8f7a1c01"

static void check_string(const char *s, size_t size)
{
	size_t n = strnlen(s, size);

	if (n == size)
		abort();
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < ' ' || s[i] == 0x7f)
			abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rk_central_reply r;
	const uint8_t *rest, *nul, *body;
	char header[256];
	size_t hlen, body_len;
	unsigned int which;
	long http;

	if (size < 3)
		return 0;
	which = data[0] % 4;
	http = (long)((data[1] << 8 | data[2]) % 1000);
	rest = data + 3;
	nul = memchr(rest, 0, size - 3);
	hlen = nul ? (size_t)(nul - rest) : 0;
	if (hlen >= sizeof(header))
		hlen = sizeof(header) - 1;
	memcpy(header, rest, hlen);
	header[hlen] = '\0';
	body = nul ? nul + 1 : rest;
	body_len = size - (size_t)(body - data);

	if (which == 2) {
		int v = rk_central_parse_retry_after(header, 784111717);

		if (v > 86400 || (v < 0 && v != -22))
			abort();
		return 0;
	}
	if (which == 0)
		rk_central_parse_submit(http, body, body_len, hlen ? header : NULL, ID, &r);
	else if (which == 1)
		rk_central_parse_status(http, body, body_len, hlen ? header : NULL, ID, &r);
	else
		rk_central_parse_issuance(http, body, body_len, hlen ? header : NULL, ID,
				"K-0001", "04A1B2C3D4E5F6", &r);
	check_string(r.id, sizeof(r.id));
	check_string(r.code, sizeof(r.code));
	check_string(r.reason, sizeof(r.reason));
	check_string(r.duplicate_of, sizeof(r.duplicate_of));
	if (r.verdict > RK_CENTRAL_FAILED || r.status > RK_CENTRAL_REJECTED ||
			r.retry_after > 86400)
		abort();
	if ((r.verdict == RK_CENTRAL_ACCEPTED && !(which == 0 && http == 202) &&
			!(which == 3 && http == 200)) ||
			(r.verdict == RK_CENTRAL_STATUS && (which != 1 || http != 200)))
		abort();
	if ((r.verdict == RK_CENTRAL_ACCEPTED || r.verdict == RK_CENTRAL_STATUS) &&
			strcmp(r.id, ID) != 0)
		abort();
	return 0;
}
