// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * rekam - benchmarks
 *
 * bench-sbi.c - what checking an SBI capture reply costs rekamd's event
 * loop (the plugin parses and verifies on the loop): a left-slap reply of
 * four fingers, each a 220 KB image in an RS256 JWS (RSA 2048, x5c) with its
 * chained hash, as rekam-sim-biometric sends them, parsed and verified by
 * sbi_parse_capture(); measured against the floor of the same bytes:
 * base64url decoding the four images and hashing them (SHA-256), which any
 * client must do; and jansson reading the outer reply alone. Prints the
 * medians and the ratio of full to floor. Not part of make
 * check: run `make bench-sbi` (or `make bench`).
 *
 * Usage: bench-sbi [RUNS]   (default 60)
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/x509.h>

#include "tests/bench/bench.h"
#include "plugins/biometric-sbi/sbi-reply.h"

#define FINGERS 4
#define IMAGE (220 * 1024)

static char *b64url(const void *data, size_t len)
{
	char *out = malloc(len * 4 / 3 + 8);
	int n = EVP_EncodeBlock((unsigned char *)out, data, (int)len);

	while (n > 0 && out[n - 1] == '=')
		n--;
	out[n] = '\0';
	for (int i = 0; i < n; i++)
		out[i] = out[i] == '+' ? '-' : out[i] == '/' ? '_' : out[i];
	return out;
}

static char *sign(EVP_PKEY *key, const char *x5c, const char *payload)
{
	char *hdr, *h64, *p64, *input, *s64, *out;
	unsigned char sig[512];
	size_t sig_len = sizeof(sig);
	EVP_MD_CTX *md = EVP_MD_CTX_new();

	if (asprintf(&hdr, "{\"alg\":\"RS256\",\"typ\":\"JWT\",\"x5c\":[\"%s\"]}", x5c) < 0)
		exit(1);
	h64 = b64url(hdr, strlen(hdr));
	p64 = b64url(payload, strlen(payload));
	if (asprintf(&input, "%s.%s", h64, p64) < 0)
		exit(1);
	EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, key);
	EVP_DigestSign(md, sig, &sig_len, (unsigned char *)input, strlen(input));
	EVP_MD_CTX_free(md);
	s64 = b64url(sig, sig_len);
	if (asprintf(&out, "%s.%s", input, s64) < 0)
		exit(1);
	free(hdr);
	free(h64);
	free(p64);
	free(input);
	free(s64);
	return out;
}

int main(int argc, char **argv)
{
	static const char *const names[FINGERS] = { "Left IndexFinger", "Left MiddleFinger",
		"Left RingFinger", "Left LittleFinger" };
	int runs = argc > 1 ? atoi(argv[1]) : 60;
	EVP_PKEY *key = EVP_RSA_gen(2048);
	X509 *cert = X509_new();
	struct sbi_request req = { .type = SBI_FINGER, .transaction_id = "bench-1", .parts = 0xf };
	unsigned char *der = NULL, prev[32], cat[64], *img = malloc(IMAGE);
	char *x5c, *values[FINGERS], *reply, why[SBI_WHY];
	double *full = calloc((size_t)runs, sizeof(double)), *floor_ms = calloc((size_t)runs,
		sizeof(double)), *json_ms = calloc((size_t)runs, sizeof(double));
	json_t *list = json_array(), *root;
	unsigned int n;
	int len;

	if (runs < 1 || !key || !cert || !img || !full || !floor_ms || !json_ms)
		return 1;
	X509_set_version(cert, X509_VERSION_3);
	X509_gmtime_adj(X509_getm_notBefore(cert), 0);
	X509_gmtime_adj(X509_getm_notAfter(cert), 3600);
	X509_set_pubkey(cert, key);
	X509_sign(cert, key, EVP_sha256());
	len = i2d_X509(cert, &der);
	x5c = malloc((size_t)len * 4 / 3 + 8);
	EVP_EncodeBlock((unsigned char *)x5c, der, len);
	OPENSSL_free(der);
	req.cert = cert;
	EVP_Digest("", 0, req.previous_hash, NULL, EVP_sha256(), NULL);
	memcpy(prev, req.previous_hash, 32);
	for (int i = 0; i < FINGERS; i++) {
		char *payload, *data, hex[65];
		json_t *d;

		RAND_bytes(img, IMAGE);
		values[i] = b64url(img, IMAGE);
		d = json_pack("{s:s,s:s,s:s,s:s,s:f}", "bioType", "Finger", "bioSubType", names[i],
			"bioValue", values[i], "transactionId", "bench-1", "qualityScore", 70.0);
		payload = json_dumps(d, JSON_COMPACT);
		data = sign(key, x5c, payload);
		memcpy(cat, prev, 32);
		EVP_Digest(img, IMAGE, cat + 32, &n, EVP_sha256(), NULL);
		EVP_Digest(cat, 64, prev, &n, EVP_sha256(), NULL);
		sbi_hex(prev, hex);
		json_array_append_new(list, json_pack("{s:s,s:s,s:s,s:{s:s}}", "specVersion", "0.9.5",
			"data", data, "hash", hex, "error", "errorCode", "0"));
		free(payload);
		free(data);
		json_decref(d);
	}
	root = json_pack("{s:o}", "biometrics", list);
	reply = json_dumps(root, JSON_COMPACT);
	json_decref(root);

	for (int r = 0; r < runs; r++) {
		struct sbi_capture cap;
		double t0 = bench_now_ms();

		if (sbi_parse_capture(reply, strlen(reply), &req, &cap, why) != 0) {
			fprintf(stderr, "bench-sbi: the reply was refused: %s\n", why);
			return 1;
		}
		full[r] = bench_now_ms() - t0;
		sbi_capture_clear(&cap);
		t0 = bench_now_ms();
		for (int i = 0; i < FINGERS; i++) {
			unsigned char *raw, md[32];
			size_t raw_len;

			sbi_b64_decode(values[i], strlen(values[i]), &raw, &raw_len);
			EVP_Digest(raw, raw_len, md, &n, EVP_sha256(), NULL);
			free(raw);
		}
		floor_ms[r] = bench_now_ms() - t0;
		t0 = bench_now_ms();
		json_decref(json_loadb(reply, strlen(reply), 0, NULL));
		json_ms[r] = bench_now_ms() - t0;
	}
	qsort(full, (size_t)runs, sizeof(double), bench_compare);
	qsort(floor_ms, (size_t)runs, sizeof(double), bench_compare);
	qsort(json_ms, (size_t)runs, sizeof(double), bench_compare);
	printf("SBI capture reply of %d fingers, %zu bytes, %d runs\n", FINGERS, strlen(reply), runs);
	printf("  parse + 4 JWS verifications + hash chain   median %7.2f ms\n", full[runs / 2]);
	printf("  floor: base64url decode + SHA-256 of images median %7.2f ms\n", floor_ms[runs / 2]);
	printf("  of which: jansson reading the outer reply    median %7.2f ms\n", json_ms[runs / 2]);
	printf("  ratio of the medians (full / floor)          %7.2f\n",
		full[runs / 2] / floor_ms[runs / 2]);
	for (int i = 0; i < FINGERS; i++)
		free(values[i]);
	free(reply);
	free(x5c);
	free(img);
	free(full);
	free(floor_ms);
	free(json_ms);
	X509_free(cert);
	EVP_PKEY_free(key);
	return 0;
}
