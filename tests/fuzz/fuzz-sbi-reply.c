// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * rekam - fuzz targets
 *
 * fuzz-sbi-reply.c - the SBI reply parsers (discovery, device info,
 * registration capture and their JWS checks) on arbitrary bytes. Built as a
 * libFuzzer target with -DREKAM_LIBFUZZER:
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -DREKAM_LIBFUZZER -I. -Ibuild \
 *       tests/fuzz/fuzz-sbi-reply.c plugins/biometric-sbi/sbi-reply.c \
 *       -ljansson -lcrypto -o fuzz-sbi-reply && ./fuzz-sbi-reply -max_total_time=60
 *
 * Without it, a plain test program (make check): every file named on the
 * command line, or else a few seed replies and thousands of deterministic
 * mutations of them (bytes flipped, cut, duplicated), must go through the
 * parsers without a crash (run it under ASan or valgrind to catch more).
 */
#include <config.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plugins/biometric-sbi/sbi-reply.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return sbi_fuzz_reply(data, size);
}

#ifndef REKAM_LIBFUZZER
static const char *const seeds[] = {
	"[{\"deviceId\":\"1\",\"deviceStatus\":\"Ready\",\"deviceSubId\":[1,2,3],"
	"\"digitalId\":\"eyJ0eXBlIjoiRmluZ2VyIiwic2VyaWFsTm8iOiIxMjMifQ\"}]",
	"[{\"deviceInfo\":\"eyJhbGciOiJSUzI1NiJ9.eyJkZXZpY2VJZCI6IjEifQ.AAAA\","
	"\"error\":{\"errorCode\":\"0\",\"errorInfo\":\"Success\"}}]",
	"[{\"deviceInfo\":\"eyJkZXZpY2VTdGF0dXMiOiJOb3QgUmVnaXN0ZXJlZCIsImRldmljZUlkIjoiMSJ9\"}]",
	"{\"biometrics\":[{\"specVersion\":\"0.9.5\",\"data\":\"eyJhbGciOiJFUzI1NiIsIng1YyI6"
	"WyJNSUlCIl19.eyJiaW9UeXBlIjoiRmluZ2VyIn0.AAAA\",\"hash\":\"00\",\"error\":"
	"{\"errorCode\":\"0\"}}]}",
	"{\"biometrics\":[{\"data\":\"\",\"error\":{\"errorCode\":\"101\"}},{\"data\":\"a.b.c\"}]}",
};

static int run_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	unsigned char *buf = NULL;
	size_t len = 0, cap = 0, n;

	if (!f) {
		perror(path);
		return 1;
	}
	do {
		if (len == cap) {
			unsigned char *bigger = realloc(buf, cap = cap ? cap * 2 : 65536);

			if (!bigger) {
				free(buf);
				fclose(f);
				return 1;
			}
			buf = bigger;
		}
		n = fread(buf + len, 1, cap - len, f);
		len += n;
	} while (n > 0);
	fclose(f);
	LLVMFuzzerTestOneInput(buf, len);
	free(buf);
	return 0;
}

int main(int argc, char **argv)
{
	uint64_t x = 0x9E3779B97F4A7C15ull;
	unsigned long runs = 0;
	int status = 0;

	if (argc > 1) {
		for (int i = 1; i < argc; i++)
			status |= run_file(argv[i]);
		return status;
	}
	for (size_t s = 0; s < sizeof(seeds) / sizeof(seeds[0]); s++) {
		size_t len = strlen(seeds[s]);
		unsigned char *buf = malloc(2 * len + 1);

		for (int round = 0; round < 1500; round++) {
			size_t n = len;

			memcpy(buf, seeds[s], len);
			for (int k = 0; k <= round % 4; k++) {
				x ^= x << 13;
				x ^= x >> 7;
				x ^= x << 17;
				switch (x % 3) {
				case 0: /* flip a byte */
					buf[(x >> 8) % n] ^= (unsigned char)(x >> 16);
					break;
				case 1: /* cut */
					n = (size_t)((x >> 8) % n) + 1;
					break;
				default: /* duplicate a piece at the end */
					if (n < 2 * len) {
						size_t from = (x >> 8) % n, k2 = (x >> 20) % (2 * len - n);

						if (k2 > n - from)
							k2 = n - from;
						memmove(buf + n, buf + from, k2);
						n += k2;
					}
				}
			}
			LLVMFuzzerTestOneInput(buf, n);
			runs++;
		}
		free(buf);
	}
	printf("1..1\nok 1 - %lu mutated SBI replies went through the parsers\n", runs);
	return 0;
}
#endif
