// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * rekam - KTP-el recording station daemon
 *
 * packet-crypto.c - the cryptography of the enrollment packet (packet.h):
 * loading the station and central keys, the key wrap for the central
 * server (ECDH-ES on P-256, HKDF-SHA256, AES-256 key wrap of RFC 3394) and
 * its inverse (which the central server runs; here for the unit tests).
 */
#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/kdf.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "daemon/packet.h"

/* "@path @what (the OpenSSL error)" into *@error. */
static void set_error(char **error, const char *path, const char *what)
{
	unsigned long e = ERR_get_error();
	char buf[256] = "";

	if (e)
		ERR_error_string_n(e, buf, sizeof(buf));
	ERR_clear_error();
	if (asprintf(error, "%s %s (%s)", path, what, buf[0] ? buf : "no details") < 0)
		*error = NULL;
}

static bool is_p256(EVP_PKEY *key)
{
	char group[32] = "";
	size_t len = 0;

	return EVP_PKEY_is_a(key, "EC") &&
		EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, group,
				sizeof(group), &len) && strcmp(group, "prime256v1") == 0;
}

EVP_PKEY *rk_packet_load_private_key(const char *path, char **error)
{
	FILE *f = fopen(path, "re");
	EVP_PKEY *key;

	if (!f) {
		if (asprintf(error, "cannot open the key %s: %s", path, strerror(errno)) < 0)
			*error = NULL;
		return NULL;
	}
	key = PEM_read_PrivateKey(f, NULL, NULL, NULL);
	fclose(f);
	if (!key) {
		set_error(error, path, "is not a PEM private key");
		return NULL;
	}
	if (!is_p256(key)) {
		EVP_PKEY_free(key);
		if (asprintf(error, "%s is not an ECDSA P-256 key", path) < 0)
			*error = NULL;
		return NULL;
	}
	return key;
}

EVP_PKEY *rk_packet_load_public_key(const char *path, char **error)
{
	FILE *f = fopen(path, "re");
	EVP_PKEY *key = NULL;
	X509 *cert;

	if (!f) {
		if (asprintf(error, "cannot open %s: %s", path, strerror(errno)) < 0)
			*error = NULL;
		return NULL;
	}
	cert = PEM_read_X509(f, NULL, NULL, NULL);
	if (cert) {
		key = X509_get_pubkey(cert);
		X509_free(cert);
	} else {
		rewind(f);
		ERR_clear_error();
		key = PEM_read_PUBKEY(f, NULL, NULL, NULL);
	}
	fclose(f);
	if (!key) {
		set_error(error, path, "holds neither a PEM certificate nor a PEM public key");
		return NULL;
	}
	if (!is_p256(key)) {
		EVP_PKEY_free(key);
		if (asprintf(error, "the key in %s is not a P-256 key", path) < 0)
			*error = NULL;
		return NULL;
	}
	return key;
}

/* ECDH between @priv and @peer, then HKDF-SHA256 into a 32-byte key
 * encryption key bound to the packet id. */
static int derive_kek(EVP_PKEY *priv, EVP_PKEY *peer, const char *id, unsigned char kek[32])
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(NULL, priv, NULL);
	unsigned char z[32];
	size_t zlen = sizeof(z);
	char info[sizeof(RK_PACKET_HKDF_INFO) + RK_PACKET_ID_LEN];
	EVP_KDF *kdf = NULL;
	EVP_KDF_CTX *kctx = NULL;
	OSSL_PARAM params[4];
	int r = -EKEYREJECTED;

	if (!ctx)
		return -ENOMEM;
	if (EVP_PKEY_derive_init(ctx) <= 0 || EVP_PKEY_derive_set_peer(ctx, peer) <= 0 ||
			EVP_PKEY_derive(ctx, z, &zlen) <= 0 || zlen != sizeof(z))
		goto out;
	snprintf(info, sizeof(info), "%s%s", RK_PACKET_HKDF_INFO, id);
	kdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
	kctx = kdf ? EVP_KDF_CTX_new(kdf) : NULL;
	if (!kctx) {
		r = -ENOMEM;
		goto out;
	}
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, (char *)"SHA256", 0);
	params[1] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, z, zlen);
	params[2] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, info, strlen(info));
	params[3] = OSSL_PARAM_construct_end();
	r = EVP_KDF_derive(kctx, kek, 32, params) > 0 ? 0 : -EIO;
out:
	OPENSSL_cleanse(z, sizeof(z));
	EVP_KDF_CTX_free(kctx);
	EVP_KDF_free(kdf);
	EVP_PKEY_CTX_free(ctx);
	ERR_clear_error();
	return r;
}

/* AES-256 key wrap (RFC 3394) of 32 bytes into 40, or back. */
static int key_wrap(const unsigned char kek[32], const unsigned char *in, size_t inlen,
		unsigned char *out, size_t outlen, bool wrap)
{
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	int n = 0, m = 0, r = -EBADMSG;

	if (!ctx)
		return -ENOMEM;
	EVP_CIPHER_CTX_set_flags(ctx, EVP_CIPHER_CTX_FLAG_WRAP_ALLOW);
	if (EVP_CipherInit_ex(ctx, EVP_aes_256_wrap(), NULL, kek, NULL, wrap ? 1 : 0) > 0 &&
			EVP_CipherUpdate(ctx, out, &n, in, (int)inlen) > 0 &&
			EVP_CipherFinal_ex(ctx, out + n, &m) > 0 && (size_t)(n + m) == outlen)
		r = 0;
	EVP_CIPHER_CTX_free(ctx);
	ERR_clear_error();
	return r;
}

int rk_packet_wrap_key(EVP_PKEY *recipient, const char *id, const unsigned char cek[32],
		unsigned char wrapped[40], unsigned char **epk, size_t *epk_len)
{
	EVP_PKEY *eph = EVP_EC_gen("P-256");
	unsigned char kek[32], *der = NULL;
	int r, len;

	*epk = NULL;
	if (!eph)
		return -ENOMEM;
	r = derive_kek(eph, recipient, id, kek);
	if (r == 0)
		r = key_wrap(kek, cek, 32, wrapped, 40, true);
	OPENSSL_cleanse(kek, sizeof(kek));
	if (r == 0) {
		len = i2d_PUBKEY(eph, &der);
		if (len <= 0)
			r = -ENOMEM;
		else {
			*epk = der;
			*epk_len = (size_t)len;
		}
	}
	EVP_PKEY_free(eph);
	return r;
}

int rk_packet_unwrap_key(EVP_PKEY *recipient_key, const char *id, const unsigned char *epk,
		size_t epk_len, const unsigned char wrapped[40], unsigned char cek[32])
{
	const unsigned char *p = epk;
	EVP_PKEY *eph = d2i_PUBKEY(NULL, &p, (long)epk_len);
	unsigned char kek[32];
	int r;

	if (!eph || p != epk + epk_len || !is_p256(eph)) {
		EVP_PKEY_free(eph);
		ERR_clear_error();
		return -EBADMSG;
	}
	r = derive_kek(recipient_key, eph, id, kek);
	if (r == 0)
		r = key_wrap(kek, wrapped, 40, cek, 32, false);
	OPENSSL_cleanse(kek, sizeof(kek));
	EVP_PKEY_free(eph);
	return r == -EKEYREJECTED ? -EBADMSG : r;
}
