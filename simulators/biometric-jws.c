// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * rekam - device simulators
 *
 * biometric-jws.c - rekam-sim-biometric's test device key (RSA 2048) and
 * its self-signed certificate (device.key, device.pem in the state
 * directory, made on first start or by --make-keys), and the JWS
 * signatures of the SBI specification: RS256 in compact serialization, the
 * header {"alg":"RS256","typ":"JWT","x5c":["<DER certificate, base64>"]}.
 */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/pem.h>

#include "simulators/biometric.h"

char *bio_b64url(const void *data, size_t len)
{
	char *out = malloc(SIM_BASE64_LEN(len) + 1);
	size_t n;

	if (!out)
		return NULL;
	n = sim_base64_encode(data, len, out);
	while (n > 0 && out[n - 1] == '=')
		n--;
	out[n] = '\0';
	for (size_t i = 0; i < n; i++) {
		if (out[i] == '+')
			out[i] = '-';
		else if (out[i] == '/')
			out[i] = '_';
	}
	return out;
}

static X509 *make_cert(EVP_PKEY *key)
{
	X509 *cert = X509_new();
	X509_NAME *name;

	if (!cert)
		return NULL;
	X509_set_version(cert, X509_VERSION_3);
	ASN1_INTEGER_set_uint64(X509_get_serialNumber(cert), 0x5B1A0001u);
	X509_gmtime_adj(X509_getm_notBefore(cert), -3600);
	X509_gmtime_adj(X509_getm_notAfter(cert), 10L * 365 * 24 * 3600);
	X509_set_pubkey(cert, key);
	name = X509_get_subject_name(cert);
	X509_NAME_add_entry_by_txt(name, "C", MBSTRING_ASC, (const unsigned char *)"ID", -1, -1, 0);
	X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC,
		(const unsigned char *)"rekam test devices", -1, -1, 0);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
		(const unsigned char *)"rekam-sim-biometric device key", -1, -1, 0);
	X509_set_issuer_name(cert, name);
	if (!X509_sign(cert, key, EVP_sha256())) {
		X509_free(cert);
		return NULL;
	}
	return cert;
}

static int write_pem(const char *path, mode_t mode, EVP_PKEY *key, X509 *cert)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
	int ok;

	if (!f) {
		if (fd >= 0)
			close(fd);
		return -errno;
	}
	ok = key ? PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL) :
		PEM_write_X509(f, cert);
	return fclose(f) == 0 && ok ? 0 : -EIO;
}

static int generate(EVP_PKEY **key, X509 **cert)
{
	*key = EVP_RSA_gen(2048);
	*cert = *key ? make_cert(*key) : NULL;
	if (!*cert) {
		EVP_PKEY_free(*key);
		*key = NULL;
		return -ENOMEM;
	}
	return 0;
}

int bio_keys_make(const char *dir)
{
	char kpath[4096], cpath[4096];
	EVP_PKEY *key;
	X509 *cert;
	int r;

	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return -errno;
	snprintf(kpath, sizeof(kpath), "%s/device.key", dir);
	snprintf(cpath, sizeof(cpath), "%s/device.pem", dir);
	r = generate(&key, &cert);
	if (r == 0)
		r = write_pem(kpath, 0600, key, NULL);
	if (r == 0)
		r = write_pem(cpath, 0644, NULL, cert);
	EVP_PKEY_free(key);
	X509_free(cert);
	return r;
}

static int cert_base64(struct bio *b)
{
	unsigned char *der = NULL;
	int n = i2d_X509(b->cert, &der);

	if (n <= 0)
		return -ENOMEM;
	b->cert_b64 = malloc(SIM_BASE64_LEN((size_t)n) + 1);
	if (b->cert_b64)
		sim_base64_encode(der, (size_t)n, b->cert_b64);
	OPENSSL_free(der);
	return b->cert_b64 ? 0 : -ENOMEM;
}

int bio_keys_load(struct bio *b)
{
	char kpath[4096], cpath[4096];
	FILE *f;
	int r;

	if (!b->state_dir) {
		r = generate(&b->key, &b->cert);
		return r ? r : cert_base64(b);
	}
	snprintf(kpath, sizeof(kpath), "%s/device.key", b->state_dir);
	snprintf(cpath, sizeof(cpath), "%s/device.pem", b->state_dir);
	if (access(kpath, F_OK) != 0) {
		sim_info("making a test device key in %s", b->state_dir);
		r = bio_keys_make(b->state_dir);
		if (r < 0) {
			sim_err("cannot write the device key into %s: %s", b->state_dir,
				strerror(-r));
			return r;
		}
	}
	f = fopen(kpath, "r");
	if (f) {
		b->key = PEM_read_PrivateKey(f, NULL, NULL, NULL);
		fclose(f);
	}
	f = fopen(cpath, "r");
	if (f) {
		b->cert = PEM_read_X509(f, NULL, NULL, NULL);
		fclose(f);
	}
	if (!b->key || !b->cert || !X509_check_private_key(b->cert, b->key)) {
		sim_err("%s: device.key and device.pem are missing, unreadable or do not match",
			b->state_dir);
		return -EINVAL;
	}
	return cert_base64(b);
}

void bio_keys_free(struct bio *b)
{
	EVP_PKEY_free(b->key);
	X509_free(b->cert);
	free(b->cert_b64);
	b->key = NULL;
	b->cert = NULL;
	b->cert_b64 = NULL;
}

char *bio_jws_sign(struct bio *b, const char *payload)
{
	json_t *hdr = json_pack("{s:s,s:s,s:[s]}", "alg", "RS256", "typ", "JWT", "x5c",
		b->cert_b64);
	char *hdr_text = hdr ? json_dumps(hdr, JSON_COMPACT) : NULL;
	char *h64 = hdr_text ? bio_b64url(hdr_text, strlen(hdr_text)) : NULL;
	char *p64 = bio_b64url(payload, strlen(payload));
	char *input = NULL, *s64 = NULL, *out = NULL;
	unsigned char sig[512];
	size_t sig_len = sizeof(sig);
	EVP_MD_CTX *md = EVP_MD_CTX_new();

	if (!h64 || !p64 || !md || asprintf(&input, "%s.%s", h64, p64) < 0) {
		input = NULL;
		goto out;
	}
	if (EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, b->key) != 1 ||
			EVP_DigestSign(md, sig, &sig_len, (const unsigned char *)input,
				strlen(input)) != 1)
		goto out;
	s64 = bio_b64url(sig, sig_len);
	if (s64 && asprintf(&out, "%s.%s", input, s64) < 0)
		out = NULL;
out:
	EVP_MD_CTX_free(md);
	json_decref(hdr);
	free(hdr_text);
	free(h64);
	free(p64);
	free(input);
	free(s64);
	return out;
}
