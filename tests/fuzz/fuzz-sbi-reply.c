// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * rekam - fuzz targets
 *
 * fuzz-sbi-reply.c - what a MOSIP SBI device service may answer, as the SBI
 * plugins read it (plugins/biometric-sbi/sbi-reply.c): the same bytes as a
 * discovery reply, a device info reply, a registration capture reply (a left
 * slap of transaction "fuzz", chained from the start, its JWS verified
 * against their own x5c) and an ISO/IEC 19794-4 finger record. Any bytes are
 * read or refused, never anything else; an ISO image must lie inside its
 * record. The seeds (tests/fuzz/corpus/sbi-reply) are replies of
 * rekam-sim-biometric and small replies signed with a throwaway test key.
 */
#include <config.h>

#include <stdint.h>

#include "plugins/biometric-sbi/sbi-reply.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return sbi_fuzz_reply(data, size);
}
