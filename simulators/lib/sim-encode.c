// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * rekam - device simulators
 *
 * sim-encode.c - SHA-256 in hex and base64, for binary data that travels in
 * text lines (OpenSSL's EVP does the work).
 */
#include <config.h>

#include <errno.h>
#include <stdio.h>

#include <openssl/evp.h>

#include "simulators/lib/sim.h"

int sim_sha256_hex(const void *data, size_t len, char *hex)
{
	static const char digits[] = "0123456789abcdef";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int md_len = 0, i;

	if (!EVP_Digest(data, len, md, &md_len, EVP_sha256(), NULL) || md_len != 32)
		return -EIO;
	for (i = 0; i < md_len; i++) {
		hex[2 * i] = digits[md[i] >> 4];
		hex[2 * i + 1] = digits[md[i] & 15];
	}
	hex[2 * md_len] = '\0';
	return 0;
}

size_t sim_base64_encode(const void *data, size_t len, char *out)
{
	const unsigned char *in = data;
	size_t done = 0, n;
	int w;

	/* EVP_EncodeBlock takes an int length: feed it in whole 3-byte groups */
	while (len > 0) {
		n = len > 3 * 1024 * 1024 ? 3 * 1024 * 1024 : len;
		w = EVP_EncodeBlock((unsigned char *)out + done, in, (int)n);
		done += (size_t)w;
		in += n;
		len -= n;
	}
	out[done] = '\0';
	return done;
}
