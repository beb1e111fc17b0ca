// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * rekam - device simulators
 *
 * central-crypt.c - rekam-sim-central's side of the packet encryption
 * (docs/central-api.md, "Encryption of artifacts"): the manifest's
 * "encryption" object names the scheme, the recipient key and the wrapped
 * packet key; here the key is unwrapped with the central encryption key
 * (enc.key of --pki: ECDH-ES P-256, HKDF-SHA256, AES-256 key wrap) and
 * every artifact decrypted and its GCM tag checked. Any failure makes the
 * packet rejected, with the reason.
 */
#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/kdf.h>
#include <openssl/x509.h>

#include "simulators/central-server.h"

#define KEY_WRAP "ecdh-es-p256+hkdf-sha256+a256kw"
#define HKDF_INFO "rekam packet key v1 "

static const char *str(json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

/* Standard base64 of exactly @want bytes (0: any length up to @max). */
static int b64(const char *s, unsigned char *out, size_t max, size_t want, size_t *len)
{
	size_t n = s ? strlen(s) : 0, pad = 0;
	int r;

	if (n == 0 || n % 4 || n / 4 * 3 > max)
		return -EINVAL;
	r = EVP_DecodeBlock(out, (const unsigned char *)s, (int)n);
	if (r < 0)
		return -EINVAL;
	pad = (s[n - 1] == '=') + (s[n - 2] == '=');
	*len = (size_t)r - pad;
	return want && *len != want ? -EINVAL : 0;
}

bool central_encryption_valid(json_t *enc, json_t *arts)
{
	json_t *a;
	size_t i;

	if (!json_is_object(enc) || !str(enc, "scheme") || !str(enc, "key_wrap") ||
			!str(enc, "recipient") || !str(enc, "ephemeral_public_key") ||
			!str(enc, "wrapped_key"))
		return false;
	json_array_foreach(arts, i, a)
		if (!str(a, "nonce") || !str(a, "tag"))
			return false;
	return true;
}

static int unwrap(struct central *c, const char *id, json_t *enc, unsigned char cek[32],
		char *reason, size_t len)
{
	unsigned char epk[256], wrapped[64], z[32], kek[32], md[32], *der = NULL;
	const unsigned char *p = epk;
	char hex[SIM_SHA256_HEX_LEN + 1], info[sizeof(HKDF_INFO) + 40];
	size_t epk_len, wlen, zlen = sizeof(z);
	EVP_PKEY *eph = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	EVP_CIPHER_CTX *kw = NULL;
	EVP_KDF *kdf = NULL;
	EVP_KDF_CTX *kctx = NULL;
	OSSL_PARAM params[4];
	int n = 0, m = 0, r = -EBADMSG, dlen;

	if (strcmp(str(enc, "scheme"), "aes-256-gcm") != 0 ||
			strcmp(str(enc, "key_wrap"), KEY_WRAP) != 0) {
		snprintf(reason, len, "unknown encryption scheme or key wrap");
		return -EBADMSG;
	}
	dlen = i2d_PUBKEY(c->enc_key, &der);
	if (dlen <= 0)
		return -ENOMEM;
	EVP_Digest(der, (size_t)dlen, md, NULL, EVP_sha256(), NULL);
	OPENSSL_free(der);
	for (int i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	if (strcmp(hex, str(enc, "recipient")) != 0) {
		snprintf(reason, len, "the packet is encrypted for another key");
		return -EBADMSG;
	}
	if (b64(str(enc, "ephemeral_public_key"), epk, sizeof(epk), 0, &epk_len) < 0 ||
			b64(str(enc, "wrapped_key"), wrapped, sizeof(wrapped), 40, &wlen) < 0 ||
			!(eph = d2i_PUBKEY(NULL, &p, (long)epk_len))) {
		snprintf(reason, len, "the wrapped packet key is malformed");
		goto out;
	}
	snprintf(info, sizeof(info), "%s%s", HKDF_INFO, id);
	ctx = EVP_PKEY_CTX_new_from_pkey(NULL, c->enc_key, NULL);
	kdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
	kctx = kdf ? EVP_KDF_CTX_new(kdf) : NULL;
	kw = EVP_CIPHER_CTX_new();
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, (char *)"SHA256", 0);
	params[1] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, z, sizeof(z));
	params[2] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, info, strlen(info));
	params[3] = OSSL_PARAM_construct_end();
	if (ctx && kctx && kw && EVP_PKEY_derive_init(ctx) > 0 &&
			EVP_PKEY_derive_set_peer(ctx, eph) > 0 &&
			EVP_PKEY_derive(ctx, z, &zlen) > 0 && zlen == sizeof(z) &&
			EVP_KDF_derive(kctx, kek, sizeof(kek), params) > 0) {
		EVP_CIPHER_CTX_set_flags(kw, EVP_CIPHER_CTX_FLAG_WRAP_ALLOW);
		if (EVP_DecryptInit_ex(kw, EVP_aes_256_wrap(), NULL, kek, NULL) > 0 &&
				EVP_DecryptUpdate(kw, cek, &n, wrapped, 40) > 0 &&
				EVP_DecryptFinal_ex(kw, cek + n, &m) > 0 && n + m == 32)
			r = 0;
	}
	if (r < 0)
		snprintf(reason, len, "the packet key does not unwrap with the central key");
out:
	OPENSSL_cleanse(z, sizeof(z));
	OPENSSL_cleanse(kek, sizeof(kek));
	EVP_CIPHER_CTX_free(kw);
	EVP_KDF_CTX_free(kctx);
	EVP_KDF_free(kdf);
	EVP_PKEY_CTX_free(ctx);
	EVP_PKEY_free(eph);
	ERR_clear_error();
	return r;
}

static int open_one(const unsigned char cek[32], const char *id, struct central_artifact *a,
		json_t *entry)
{
	unsigned char nonce[16], tag[20], *plain = malloc(a->len ? a->len : 1);
	char aad[128];
	size_t nlen, tlen;
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	int n = 0, m = 0, r = -EBADMSG;

	if (!plain || !ctx) {
		r = -ENOMEM;
		goto out;
	}
	if (b64(str(entry, "nonce"), nonce, sizeof(nonce), 12, &nlen) < 0 ||
			b64(str(entry, "tag"), tag, sizeof(tag), 16, &tlen) < 0)
		goto out;
	snprintf(aad, sizeof(aad), "%s/%s", id, a->name);
	if (EVP_DecryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, NULL, NULL) > 0 &&
			EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, 12, NULL) > 0 &&
			EVP_DecryptInit_ex(ctx, NULL, NULL, cek, nonce) > 0 &&
			EVP_DecryptUpdate(ctx, NULL, &n, (const unsigned char *)aad,
				(int)strlen(aad)) > 0 &&
			EVP_DecryptUpdate(ctx, plain, &n, a->data, (int)a->len) > 0 &&
			EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, 16, tag) > 0 &&
			EVP_DecryptFinal_ex(ctx, plain + n, &m) > 0 && (size_t)(n + m) == a->len) {
		a->plain = plain;
		a->data = plain;
		sim_sha256_hex(plain, a->len, a->sha256);
		plain = NULL;
		r = 0;
	}
out:
	free(plain);
	EVP_CIPHER_CTX_free(ctx);
	ERR_clear_error();
	return r;
}

int central_decrypt(struct central *c, struct central_packet *p, json_t *enc, json_t *arts)
{
	unsigned char cek[32];
	json_t *a;
	size_t i;
	int r;

	if (!c->enc_key) {
		snprintf(p->reason, sizeof(p->reason), "this server has no encryption key (enc.key)");
		return -EBADMSG;
	}
	r = unwrap(c, p->id, enc, cek, p->reason, sizeof(p->reason));
	if (r < 0)
		return r;
	json_array_foreach(arts, i, a) {
		r = open_one(cek, p->id, &p->artifacts[i], a);
		if (r < 0) {
			snprintf(p->reason, sizeof(p->reason), "artifact %s does not decrypt (its "
					"GCM tag does not verify)", p->artifacts[i].name);
			break;
		}
	}
	OPENSSL_cleanse(cek, sizeof(cek));
	return r;
}
