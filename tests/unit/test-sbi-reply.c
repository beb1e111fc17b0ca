// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * rekam - unit tests
 *
 * test-sbi-reply.c - the SBI plugin's reply parser and signature checks
 * (plugins/biometric-sbi/sbi-reply.c) on replies this test signs itself
 * with a fresh RSA and EC key: good JWS and their tampered, unsigned,
 * foreign-key and wrong-algorithm variants; the hash chain of a capture and
 * its breaks; device errors, undetected fingers; discovery and device info;
 * and every truncation and some random bytes of a real reply through the
 * fuzz entry point, which must never crash.
 */
#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "plugins/biometric-sbi/sbi-reply.h"
#include "tap.h"

static EVP_PKEY *key, *other_key, *ec_key;
static X509 *cert, *other_cert, *ec_cert;

static X509 *self_signed(EVP_PKEY *k)
{
	X509 *c = X509_new();

	X509_set_version(c, X509_VERSION_3);
	ASN1_INTEGER_set(X509_get_serialNumber(c), 1);
	X509_gmtime_adj(X509_getm_notBefore(c), 0);
	X509_gmtime_adj(X509_getm_notAfter(c), 3600);
	X509_set_pubkey(c, k);
	X509_NAME_add_entry_by_txt(X509_get_subject_name(c), "CN", MBSTRING_ASC,
		(const unsigned char *)"test device", -1, -1, 0);
	X509_set_issuer_name(c, X509_get_subject_name(c));
	X509_sign(c, k, EVP_sha256());
	return c;
}

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

/* A JWS of @payload by @k with @c in x5c under @alg ("RS256", "ES256", ...). */
static char *sign(EVP_PKEY *k, X509 *c, const char *alg, const char *payload)
{
	unsigned char *der = NULL, sig[512], raw[64];
	int n = i2d_X509(c, &der);
	char *der64 = malloc((size_t)n * 4 / 3 + 8), *hdr, *h64, *p64, *input, *s64, *out;
	size_t sig_len = sizeof(sig);
	EVP_MD_CTX *md = EVP_MD_CTX_new();

	EVP_EncodeBlock((unsigned char *)der64, der, n);
	OPENSSL_free(der);
	if (asprintf(&hdr, "{\"alg\":\"%s\",\"typ\":\"JWT\",\"x5c\":[\"%s\"]}", alg, der64) < 0)
		abort();
	h64 = b64url(hdr, strlen(hdr));
	p64 = b64url(payload, strlen(payload));
	if (asprintf(&input, "%s.%s", h64, p64) < 0)
		abort();
	EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, k);
	EVP_DigestSign(md, sig, &sig_len, (unsigned char *)input, strlen(input));
	EVP_MD_CTX_free(md);
	if (!strcmp(alg, "ES256")) {
		const unsigned char *p = sig;
		ECDSA_SIG *es = d2i_ECDSA_SIG(NULL, &p, (long)sig_len);

		BN_bn2binpad(ECDSA_SIG_get0_r(es), raw, 32);
		BN_bn2binpad(ECDSA_SIG_get0_s(es), raw + 32, 32);
		ECDSA_SIG_free(es);
		s64 = b64url(raw, 64);
	} else {
		s64 = b64url(sig, sig_len);
	}
	if (asprintf(&out, "%s.%s", input, s64) < 0)
		abort();
	free(der64);
	free(hdr);
	free(h64);
	free(p64);
	free(input);
	free(s64);
	return out;
}

static void test_jws(void)
{
	char why[SBI_WHY], *payload = NULL, *tok, *bad;
	size_t len = 0;
	X509 *got = NULL;

	tok = sign(key, cert, "RS256", "{\"a\":1}");
	tap_is_int(sbi_jws_verify(tok, cert, &payload, &len, &got, why), 0,
		"an RS256 JWS by the device key verifies");
	tap_ok(payload && len == 7 && !strcmp(payload, "{\"a\":1}"), "... and gives its payload");
	tap_ok(got && X509_cmp(got, cert) == 0, "... and its certificate");
	free(payload);
	X509_free(got);

	/* the payload changed after signing */
	bad = strdup(tok);
	{
		char *p = strchr(bad, '.') + 1;
		char *t = b64url("{\"a\":2}", 7);

		memcpy(p, t, strlen(t));
		free(t);
	}
	tap_is_int(sbi_jws_verify(bad, cert, &payload, &len, NULL, why), -EPROTO,
		"a tampered payload is refused");
	tap_ok(strstr(why, "tampered") != NULL, "... saying so: %s", why);
	free(bad);

	/* a flipped signature byte */
	bad = strdup(tok);
	bad[strlen(bad) - 5] = bad[strlen(bad) - 5] == 'A' ? 'B' : 'A';
	tap_is_int(sbi_jws_verify(bad, cert, &payload, &len, NULL, why), -EPROTO,
		"a damaged signature is refused");
	free(bad);

	tap_is_int(sbi_jws_verify("eyJhIjoxfQ", cert, &payload, &len, NULL, why), -EPROTO,
		"an unsigned payload is refused");
	tap_ok(strstr(why, "unsigned") != NULL, "... as unsigned: %s", why);
	tap_is_int(sbi_jws_verify(tok, other_cert, &payload, &len, NULL, why), -EPROTO,
		"a JWS by a certificate other than the pinned one is refused");
	free(tok);

	tok = sign(other_key, cert, "RS256", "{\"a\":1}");
	tap_is_int(sbi_jws_verify(tok, cert, &payload, &len, NULL, why), -EPROTO,
		"a JWS by another key under the device's certificate is refused");
	free(tok);

	tok = sign(key, cert, "HS256", "{\"a\":1}");
	tap_is_int(sbi_jws_verify(tok, NULL, &payload, &len, NULL, why), -EPROTO,
		"alg HS256 is refused");
	tap_ok(strstr(why, "RS256") != NULL, "... naming the expected algorithm: %s", why);
	free(tok);

	tok = sign(ec_key, ec_cert, "ES256", "{\"e\":true}");
	tap_is_int(sbi_jws_verify(tok, ec_cert, &payload, &len, NULL, why), 0,
		"an ES256 JWS verifies too");
	free(payload);
	free(tok);

	tap_is_int(sbi_jws_verify("a.b", NULL, &payload, &len, NULL, why), -EPROTO,
		"two parts are not a JWS");
	tap_is_int(sbi_jws_verify("a.b.c.d", NULL, &payload, &len, NULL, why), -EPROTO,
		"four parts are not a JWS");
	tap_is_int(sbi_jws_verify("!!.b.c", NULL, &payload, &len, NULL, why), -EPROTO,
		"a header that is not base64url is refused");
}

/* A capture reply of @n fingers of the left slap; hashes chained from @prev. */
static char *capture_reply(int n, const char *tid, const unsigned char prev_in[32],
		bool break_chain, unsigned char last[32])
{
	static const char *const names[4] = { "Left IndexFinger", "Left MiddleFinger",
		"Left RingFinger", "Left LittleFinger" };
	json_t *list = json_array(), *root;
	unsigned char prev[32], cat[64];
	char *text;

	memcpy(prev, prev_in, 32);
	for (int i = 0; i < n; i++) {
		char image[32], *value, *data, *payload, hex[65];
		json_t *d;
		unsigned int len;

		snprintf(image, sizeof(image), "finger image %d", i);
		value = b64url(image, strlen(image));
		d = json_pack("{s:s,s:s,s:s,s:s,s:f}", "bioType", "Finger", "bioSubType", names[i],
			"bioValue", value, "transactionId", tid, "qualityScore", 50.0 + i);
		payload = json_dumps(d, JSON_COMPACT);
		data = sign(key, cert, "RS256", payload);
		memcpy(cat, prev, 32);
		EVP_Digest(image, strlen(image), cat + 32, &len, EVP_sha256(), NULL);
		EVP_Digest(cat, 64, prev, &len, EVP_sha256(), NULL);
		sbi_hex(prev, hex);
		if (break_chain && i == 1)
			hex[0] = hex[0] == 'A' ? 'B' : 'A';
		json_array_append_new(list, json_pack("{s:s,s:s,s:s,s:{s:s,s:s}}", "specVersion",
			"0.9.5", "data", data, "hash", hex, "error", "errorCode", "0", "errorInfo",
			"Success"));
		free(value);
		free(payload);
		free(data);
		json_decref(d);
	}
	if (last)
		memcpy(last, prev, 32);
	root = json_pack("{s:o}", "biometrics", list);
	text = json_dumps(root, JSON_COMPACT);
	json_decref(root);
	return text;
}

static void test_capture(void)
{
	struct sbi_request req = { .type = SBI_FINGER, .transaction_id = "tx-42", .parts = 0xf,
		.cert = cert };
	struct sbi_capture cap;
	unsigned char last[32];
	char why[SBI_WHY], *reply;
	int r;

	EVP_Digest("", 0, req.previous_hash, NULL, EVP_sha256(), NULL);
	reply = capture_reply(4, "tx-42", req.previous_hash, false, last);
	r = sbi_parse_capture(reply, strlen(reply), &req, &cap, why);
	tap_is_int(r, 0, "a signed, chained capture of four fingers is accepted");
	tap_is_int(cap.n_items, 4, "... with four fingers");
	tap_ok(cap.n_items == 4 && cap.items[2].part == 2 && cap.items[2].quality == 52.0 &&
		cap.items[2].size == 14 && !memcmp(cap.items[2].data, "finger image 2", 14),
		"... each with its part, quality and decoded image");
	tap_ok(!memcmp(cap.last_hash, last, 32), "... and the last hash of the chain");
	tap_is_int(cap.missing, 0, "... and nothing missing");
	sbi_capture_clear(&cap);

	/* every truncation of a good reply fails cleanly */
	{
		size_t len = strlen(reply);
		int crashes = 0;

		for (size_t cut = 0; cut < len; cut += len / 97 + 1) {
			if (sbi_parse_capture(reply, cut, &req, &cap, why) == 0)
				crashes++;
			sbi_capture_clear(&cap);
			sbi_fuzz_reply((const uint8_t *)reply, cut);
		}
		tap_is_int(crashes, 0, "no truncation of a capture reply is accepted");
	}
	free(reply);

	reply = capture_reply(3, "tx-42", req.previous_hash, false, NULL);
	tap_is_int(sbi_parse_capture(reply, strlen(reply), &req, &cap, why), 0,
		"a capture without one finger is accepted");
	tap_is_int(cap.missing, 1 << 3, "... and names the missing finger");
	sbi_capture_clear(&cap);
	free(reply);

	reply = capture_reply(4, "tx-42", req.previous_hash, true, NULL);
	tap_is_int(sbi_parse_capture(reply, strlen(reply), &req, &cap, why), -EPROTO,
		"a broken hash chain is refused");
	tap_ok(strstr(why, "chain") != NULL, "... saying so: %s", why);
	sbi_capture_clear(&cap);
	free(reply);

	reply = capture_reply(4, "tx-42", last, false, NULL); /* chained on another start */
	tap_is_int(sbi_parse_capture(reply, strlen(reply), &req, &cap, why), -EPROTO,
		"a capture chained on another previous hash is refused");
	sbi_capture_clear(&cap);
	free(reply);

	reply = capture_reply(4, "tx-other", req.previous_hash, false, NULL);
	tap_is_int(sbi_parse_capture(reply, strlen(reply), &req, &cap, why), -EPROTO,
		"data of another transaction is refused");
	sbi_capture_clear(&cap);
	free(reply);

	req.parts = 0x3;
	reply = capture_reply(4, "tx-42", req.previous_hash, false, NULL);
	tap_is_int(sbi_parse_capture(reply, strlen(reply), &req, &cap, why), -EPROTO,
		"a finger that was not asked for (an exception) is refused");
	sbi_capture_clear(&cap);
	free(reply);
	req.parts = 0xf;

	reply = strdup("{\"biometrics\":[{\"specVersion\":\"0.9.5\",\"data\":\"\",\"hash\":\"\","
		"\"error\":{\"errorCode\":\"111\",\"errorInfo\":\"Device is Busy\"}}]}");
	tap_is_int(sbi_parse_capture(reply, strlen(reply), &req, &cap, why), -EIO,
		"a device error is reported as such");
	tap_ok(!strcmp(cap.error_code, "111"), "... with its code");
	sbi_capture_clear(&cap);
	free(reply);

	{
		static const char *const bad[] = {
			"", "null", "[]", "{}", "{\"biometrics\":{}}", "{\"biometrics\":[]}",
			"{\"biometrics\":[1,2]}", "{\"biometrics\":[{\"data\":7}]}",
			"{\"biometrics\":[{\"data\":\"a.b.c\",\"hash\":5}]}", "\xff\xfe{",
		};
		int accepted = 0;

		for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			if (sbi_parse_capture(bad[i], strlen(bad[i]), &req, &cap, why) == 0)
				accepted++;
			sbi_capture_clear(&cap);
		}
		tap_is_int(accepted, 0, "malformed capture replies and wrong types are refused");
	}
}

static void test_info(void)
{
	char why[SBI_WHY], *did, *info_text, *info_tok, *reply;
	struct sbi_info info;
	struct sbi_discovery disc;
	char *did64;
	const char *digital = "{\"serialNo\":\"SN123456789012\",\"make\":\"Acme\",\"model\":\"S1\","
		"\"type\":\"Finger\",\"deviceSubType\":\"Slap\"}";

	did = sign(key, cert, "RS256", digital);
	if (asprintf(&info_text, "{\"deviceStatus\":\"Ready\",\"deviceId\":\"1\",\"firmware\":"
			"\"2.1\",\"certification\":\"L0\",\"digitalId\":\"%s\",\"purpose\":"
			"\"Registration\",\"env\":\"Developer\"}", did) < 0)
		abort();
	info_tok = sign(key, cert, "RS256", info_text);
	if (asprintf(&reply, "[{\"deviceInfo\":\"%s\",\"error\":{\"errorCode\":\"0\","
			"\"errorInfo\":\"Success\"}}]", info_tok) < 0)
		abort();
	tap_is_int(sbi_parse_info(reply, strlen(reply), "1", NULL, &info, why), 0,
		"signed device info is accepted");
	tap_ok(!strcmp(info.model, "S1") && !strcmp(info.serial, "SN123456789012") &&
		!strcmp(info.firmware, "2.1") && !strcmp(info.status, "Ready") && info.is_signed &&
		info.cert, "... with the model, serial, firmware, status and certificate");
	sbi_info_clear(&info);
	tap_is_int(sbi_parse_info(reply, strlen(reply), "2", NULL, &info, why), -ENOENT,
		"another device id is not found");
	tap_is_int(sbi_parse_info(reply, strlen(reply), "1", other_cert, &info, why), -EPROTO,
		"device info signed by a key other than the pinned one is refused");
	free(reply);
	free(info_tok);

	/* unsigned while claiming to be registered */
	info_tok = b64url(info_text, strlen(info_text));
	if (asprintf(&reply, "[{\"deviceInfo\":\"%s\"}]", info_tok) < 0)
		abort();
	tap_is_int(sbi_parse_info(reply, strlen(reply), "1", NULL, &info, why), -EPROTO,
		"unsigned device info of a Ready device is refused");
	free(reply);
	free(info_tok);
	free(info_text);

	did64 = b64url(digital, strlen(digital));
	if (asprintf(&info_text, "{\"deviceStatus\":\"Not Registered\",\"deviceId\":\"1\","
			"\"digitalId\":\"%s\"}", did64) < 0)
		abort();
	info_tok = b64url(info_text, strlen(info_text));
	if (asprintf(&reply, "[{\"deviceInfo\":\"%s\"}]", info_tok) < 0)
		abort();
	tap_is_int(sbi_parse_info(reply, strlen(reply), "1", NULL, &info, why), 0,
		"unsigned device info of a Not Registered device is read");
	tap_ok(!info.is_signed && !strcmp(info.status, "Not Registered"), "... as unsigned");
	sbi_info_clear(&info);
	free(reply);
	free(info_tok);
	free(info_text);

	if (asprintf(&reply, "[{\"deviceId\":\"7\",\"deviceStatus\":\"Busy\",\"deviceSubId\":"
			"[1,2,3],\"digitalId\":\"%s\"}]", did64) < 0)
		abort();
	tap_is_int(sbi_parse_discovery(reply, strlen(reply), SBI_FINGER, &disc, why), 0,
		"discovery finds the finger device");
	tap_ok(!strcmp(disc.device_id, "7") && !strcmp(disc.status, "Busy") &&
		disc.sub_ids == 0xe && !strcmp(disc.serial, "SN123456789012"),
		"... with its id, status, sub-ids and serial");
	tap_is_int(sbi_parse_discovery(reply, strlen(reply), SBI_IRIS, &disc, why), -ENOENT,
		"... and no iris device");
	free(reply);
	free(did64);
	free(did);
	tap_is_int(sbi_parse_discovery("{}", 2, SBI_FINGER, &disc, why), -EPROTO,
		"a discovery reply that is not an array is refused");
}

/* A finger record as rekam-sim-biometric writes it, around @img. */
static unsigned char *fir(const char *img, size_t len, size_t *out)
{
	size_t total = 16 + 46 + len;
	unsigned char *r = calloc(1, total), *p = r + 16;

	memcpy(r, "FIR\0" "020\0", 8);
	r[8] = (unsigned char)(total >> 24), r[9] = (unsigned char)(total >> 16);
	r[10] = (unsigned char)(total >> 8), r[11] = (unsigned char)total;
	r[13] = 1, r[15] = 1;
	p[0] = (unsigned char)((46 + len) >> 24), p[1] = (unsigned char)((46 + len) >> 16);
	p[2] = (unsigned char)((46 + len) >> 8), p[3] = (unsigned char)(46 + len);
	p[18] = 1, p[19] = 77;
	p += 24;
	p[0] = 7, p[2] = 1, p[7] = 500 >> 8, p[8] = 500 & 0xff, p[11] = 8, p[12] = 6;
	p[14] = 1, p[15] = 64, p[16] = 1, p[17] = 144; /* 320 x 400 */
	p[20] = (unsigned char)(len >> 8), p[21] = (unsigned char)len;
	memcpy(p + 22, img, len);
	*out = total;
	return r;
}

static void test_iso(void)
{
	static const char png[] = "\x89PNG\r\n\x1a\nrest of a png";
	struct sbi_iso_image im;
	size_t len;
	unsigned char *r = fir(png, sizeof(png) - 1, &len);
	int bad = 0;

	tap_is_int(sbi_iso_finger(r, len, &im), 0, "an ISO/IEC 19794-4:2011 finger record is read");
	tap_ok(im.position == 7 && im.ppi == 500 && im.compression == 6 && im.width == 320 &&
		im.height == 400 && im.quality == 77 && im.size == sizeof(png) - 1 &&
		!memcmp(r + im.offset, png, im.size), "... position, ppi, compression, size, "
		"quality and the image inside");
	tap_ok(!strcmp(sbi_image_format(r + im.offset, im.size), "image/png"),
		"... which is a PNG");
	for (size_t cut = 0; cut < len; cut++)
		if (sbi_iso_finger(r, cut, &im) == 0)
			bad++;
	r[16 + 24 + 21]++; /* image length one too long */
	bad += sbi_iso_finger(r, len, &im) == 0;
	tap_is_int(bad, 0, "no truncated record and no overlong image length is accepted");
	free(r);
}

static void test_random(void)
{
	unsigned char buf[512];
	uint64_t x = 88172645463325252ull;

	for (int round = 0; round < 2000; round++) {
		size_t n = (size_t)(x % sizeof(buf));

		for (size_t i = 0; i < n; i++) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			buf[i] = round % 3 ? (unsigned char)"{}[]\",:.0aZ-_ \\"[x % 15] : (unsigned char)x;
		}
		sbi_fuzz_reply(buf, n);
	}
	tap_ok(true, "2000 random replies went through every parser without a crash");
}

int main(void)
{
	key = EVP_RSA_gen(2048);
	other_key = EVP_RSA_gen(2048);
	ec_key = EVP_EC_gen("P-256");
	cert = self_signed(key);
	other_cert = self_signed(other_key);
	ec_cert = self_signed(ec_key);

	test_jws();
	test_capture();
	test_info();
	test_iso();
	test_random();

	X509_free(cert);
	X509_free(other_cert);
	X509_free(ec_cert);
	EVP_PKEY_free(key);
	EVP_PKEY_free(other_key);
	EVP_PKEY_free(ec_key);
	return tap_done();
}
