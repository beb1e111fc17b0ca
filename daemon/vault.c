// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * rekam - KTP-el recording station daemon
 *
 * vault.c - encryption at rest: the station key file, shared data keys
 * (an enrollment's) kept wrapped by the station key, and sealing and
 * opening blobs with AES-256-GCM under per-blob data keys wrapped by the
 * station key (RKV1) or by a shared data key (RKV2); the formats are in
 * vault.h. OpenSSL's EVP interface; keys in memory are wiped with
 * OPENSSL_cleanse() when done.
 */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#include "daemon/log.h"
#include "daemon/vault.h"

#define MAGIC "RKV1"   /* a blob whose key the station key wraps */
#define MAGIC_V2 "RKV2" /* a blob whose key a shared data key wraps */
#define MAGIC_KEY "RKK1" /* AAD of a shared data key wrapped by the station key */
#define MAGIC_LEN 4
#define NONCE_LEN 12
#define TAG_LEN 16
#define HEADER_LEN (MAGIC_LEN + NONCE_LEN + RK_VAULT_KEY_SIZE + TAG_LEN + NONCE_LEN)
#define CHUNK ((size_t)1 << 20)
#define MAX_LABEL 128

static unsigned char station_key[RK_VAULT_KEY_SIZE];
static bool have_key;

/* --- the station key ---------------------------------------------------------- */

static int write_all(int fd, const unsigned char *p, size_t size)
{
	while (size > 0) {
		ssize_t n = write(fd, p, size);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		p += n;
		size -= (size_t)n;
	}
	return 0;
}

/* 0, or -EBADMSG when the file ends first. */
static int read_all(int fd, unsigned char *p, size_t size)
{
	while (size > 0) {
		ssize_t n = read(fd, p, size);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -EBADMSG;
		p += n;
		size -= (size_t)n;
	}
	return 0;
}

static int create_key(const char *path)
{
	unsigned char key[RK_VAULT_KEY_SIZE];
	int fd, err;

	if (RAND_priv_bytes(key, sizeof(key)) != 1) {
		rk_error("vault: no random bytes for a station key");
		return -EIO;
	}
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		rk_error("vault: cannot create the station key %s: %s", path, strerror(errno));
		OPENSSL_cleanse(key, sizeof(key));
		return -EIO;
	}
	err = write_all(fd, key, sizeof(key));
	if (!err && fsync(fd) < 0)
		err = -errno;
	if (close(fd) < 0 && !err)
		err = -errno;
	if (err) {
		rk_error("vault: cannot write the station key %s: %s", path, strerror(-err));
		unlink(path);
		OPENSSL_cleanse(key, sizeof(key));
		return -EIO;
	}
	memcpy(station_key, key, sizeof(key));
	OPENSSL_cleanse(key, sizeof(key));
	rk_notice("vault: created a new station key in %s", path);
	return 0;
}

int rk_vault_open(const char *path)
{
	struct stat st;
	int fd, err;

	rk_vault_close();
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0 && errno == ENOENT)
		err = create_key(path);
	else if (fd < 0)
		err = (rk_error("vault: cannot open the station key %s: %s", path,
			       strerror(errno)), -EIO);
	else if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
		err = (rk_error("vault: the station key %s is not a regular file", path), -EINVAL);
	else if (st.st_size != RK_VAULT_KEY_SIZE)
		err = (rk_error("vault: the station key %s is %lld bytes, not %d", path,
			       (long long)st.st_size, RK_VAULT_KEY_SIZE), -EINVAL);
	else if (st.st_mode & 077)
		err = (rk_error("vault: the station key %s may be read by others (mode %04o); "
				"it must be 0600 or stricter", path, (unsigned int)(st.st_mode & 07777)),
			-EINVAL);
	else if (st.st_uid != geteuid())
		err = (rk_error("vault: the station key %s belongs to uid %u, not to rekamd's %u",
			       path, (unsigned int)st.st_uid, (unsigned int)geteuid()), -EINVAL);
	else if ((err = read_all(fd, station_key, sizeof(station_key))) < 0)
		err = (rk_error("vault: cannot read the station key %s", path), -EIO);
	if (fd >= 0)
		close(fd);
	have_key = err == 0;
	if (!have_key)
		OPENSSL_cleanse(station_key, sizeof(station_key));
	return err;
}

bool rk_vault_loaded(void)
{
	return have_key;
}

void rk_vault_close(void)
{
	OPENSSL_cleanse(station_key, sizeof(station_key));
	have_key = false;
}

int rk_vault_derive_key(const char *purpose, unsigned char out[RK_VAULT_KEY_SIZE])
{
	EVP_KDF *kdf;
	EVP_KDF_CTX *ctx = NULL;
	OSSL_PARAM params[5];
	char digest[] = "SHA256";
	int ok = 0;

	if (!have_key)
		return -ENOKEY;
	kdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
	if (kdf)
		ctx = EVP_KDF_CTX_new(kdf);
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, digest, 0);
	params[1] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, station_key,
		sizeof(station_key));
	params[2] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, (void *)purpose,
		strlen(purpose));
	params[3] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, (void *)MAGIC,
		MAGIC_LEN);
	params[4] = OSSL_PARAM_construct_end();
	if (ctx)
		ok = EVP_KDF_derive(ctx, out, RK_VAULT_KEY_SIZE, params) == 1;
	EVP_KDF_CTX_free(ctx);
	EVP_KDF_free(kdf);
	return ok ? 0 : -EIO;
}

/* --- sealing -------------------------------------------------------------------- */

/* @magic || label [|| size as 8 bytes big-endian] into @aad; its length. */
static size_t make_aad(unsigned char *aad, const char *magic, const char *label,
		const uint64_t *size)
{
	size_t n = strlen(label);

	memcpy(aad, magic, MAGIC_LEN);
	memcpy(aad + MAGIC_LEN, label, n);
	n += MAGIC_LEN;
	if (size)
		for (int i = 7; i >= 0; i--)
			aad[n++] = (unsigned char)(*size >> (8 * i));
	return n;
}

/* One AES-256-GCM pass over @in into @out (the same buffer is fine). */
static bool gcm_once(bool encrypt, const unsigned char *key, const unsigned char *nonce,
		const unsigned char *aad, size_t aad_len, const unsigned char *in,
		unsigned char *out, size_t len, unsigned char *tag)
{
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	int n = 0;
	bool ok;

	ok = ctx && EVP_CipherInit_ex(ctx, EVP_aes_256_gcm(), NULL, key, nonce, encrypt) == 1 &&
		EVP_CipherUpdate(ctx, NULL, &n, aad, (int)aad_len) == 1 &&
		EVP_CipherUpdate(ctx, out, &n, in, (int)len) == 1 &&
		(encrypt || EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, TAG_LEN, tag) == 1) &&
		EVP_CipherFinal_ex(ctx, out + n, &n) == 1 &&
		(!encrypt || EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, TAG_LEN, tag) == 1);
	EVP_CIPHER_CTX_free(ctx);
	return ok;
}

static bool valid_label(const char *label)
{
	return label && *label && strlen(label) <= MAX_LABEL;
}

/* --- shared data keys ---------------------------------------------------------- */

int rk_vault_key_new(const char *key_label, unsigned char wrapped[RK_VAULT_WRAPPED_SIZE])
{
	unsigned char key[RK_VAULT_KEY_SIZE], aad[MAGIC_LEN + MAX_LABEL + 8];
	size_t aad_len;
	bool ok;

	if (!have_key)
		return -ENOKEY;
	if (!valid_label(key_label))
		return -EINVAL;
	if (RAND_priv_bytes(key, sizeof(key)) != 1 || RAND_bytes(wrapped, NONCE_LEN) != 1) {
		rk_error("vault: no random bytes");
		return -EIO;
	}
	aad_len = make_aad(aad, MAGIC_KEY, key_label, NULL);
	ok = gcm_once(true, station_key, wrapped, aad, aad_len, key, wrapped + NONCE_LEN,
		sizeof(key), wrapped + NONCE_LEN + RK_VAULT_KEY_SIZE);
	OPENSSL_cleanse(key, sizeof(key));
	return ok ? 0 : -EIO;
}

/* Open the shared data key @wrapped of @key_label into @key: 0, -EBADMSG. */
static int unwrap_shared(const char *key_label, const unsigned char *wrapped,
		unsigned char key[RK_VAULT_KEY_SIZE])
{
	unsigned char aad[MAGIC_LEN + MAX_LABEL + 8], tag[TAG_LEN];
	size_t aad_len;

	if (!valid_label(key_label))
		return -EINVAL;
	aad_len = make_aad(aad, MAGIC_KEY, key_label, NULL);
	memcpy(tag, wrapped + NONCE_LEN + RK_VAULT_KEY_SIZE, TAG_LEN);
	if (!gcm_once(false, station_key, wrapped, aad, aad_len, wrapped + NONCE_LEN, key,
			RK_VAULT_KEY_SIZE, tag)) {
		OPENSSL_cleanse(key, RK_VAULT_KEY_SIZE);
		return -EBADMSG;
	}
	return 0;
}

int rk_vault_key_check(const char *key_label, const unsigned char *wrapped)
{
	unsigned char key[RK_VAULT_KEY_SIZE];
	int err;

	if (!have_key)
		return -ENOKEY;
	if (!wrapped)
		return -EINVAL;
	err = unwrap_shared(key_label, wrapped, key);
	OPENSSL_cleanse(key, sizeof(key));
	return err;
}

/* Seal under a fresh blob key wrapped by @kek with @magic in the AAD. */
static int seal(int fd, const char *magic, const unsigned char *kek, const char *label,
		const void *data, size_t size)
{
	unsigned char header[HEADER_LEN], key[RK_VAULT_KEY_SIZE], aad[MAGIC_LEN + MAX_LABEL + 8];
	unsigned char tag[TAG_LEN], *buf = NULL;
	const unsigned char *p = data;
	uint64_t n64 = size;
	EVP_CIPHER_CTX *ctx = NULL;
	size_t aad_len;
	int err = 0, n;

	memcpy(header, magic, MAGIC_LEN);
	if (RAND_priv_bytes(key, sizeof(key)) != 1 ||
			RAND_bytes(header + MAGIC_LEN, NONCE_LEN) != 1 ||
			RAND_bytes(header + HEADER_LEN - NONCE_LEN, NONCE_LEN) != 1) {
		rk_error("vault: no random bytes");
		return -EIO;
	}
	aad_len = make_aad(aad, magic, label, NULL);
	if (!gcm_once(true, kek, header + MAGIC_LEN, aad, aad_len, key,
			header + MAGIC_LEN + NONCE_LEN, sizeof(key),
			header + MAGIC_LEN + NONCE_LEN + RK_VAULT_KEY_SIZE)) {
		err = -EIO;
		goto out;
	}
	err = write_all(fd, header, sizeof(header));
	if (err)
		goto out;

	aad_len = make_aad(aad, magic, label, &n64);
	buf = malloc(size < CHUNK ? (size ? size : 1) : CHUNK);
	ctx = EVP_CIPHER_CTX_new();
	if (!buf || !ctx) {
		err = -ENOMEM;
		goto out;
	}
	if (EVP_EncryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, key,
			    header + HEADER_LEN - NONCE_LEN) != 1 ||
			EVP_EncryptUpdate(ctx, NULL, &n, aad, (int)aad_len) != 1) {
		err = -EIO;
		goto out;
	}
	for (size_t done = 0; done < size && !err; done += CHUNK) {
		size_t len = size - done < CHUNK ? size - done : CHUNK;

		if (EVP_EncryptUpdate(ctx, buf, &n, p + done, (int)len) != 1)
			err = -EIO;
		else
			err = write_all(fd, buf, (size_t)n);
	}
	if (!err && (EVP_EncryptFinal_ex(ctx, buf, &n) != 1 ||
			EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, TAG_LEN, tag) != 1))
		err = -EIO;
	if (!err)
		err = write_all(fd, tag, sizeof(tag));
out:
	OPENSSL_cleanse(key, sizeof(key));
	EVP_CIPHER_CTX_free(ctx);
	free(buf);
	return err;
}

int rk_vault_seal(int fd, const char *label, const void *data, size_t size)
{
	return rk_vault_seal_under(fd, label, NULL, NULL, data, size);
}

int rk_vault_seal_under(int fd, const char *label, const char *key_label,
		const unsigned char *wrapped, const void *data, size_t size)
{
	unsigned char kek[RK_VAULT_KEY_SIZE];
	int err;

	if (!have_key)
		return -ENOKEY;
	if (!valid_label(label) || (!data && size) || (!wrapped != !key_label))
		return -EINVAL;
	if (!wrapped)
		return seal(fd, MAGIC, station_key, label, data, size);
	err = unwrap_shared(key_label, wrapped, kek);
	if (err == 0)
		err = seal(fd, MAGIC_V2, kek, label, data, size);
	OPENSSL_cleanse(kek, sizeof(kek));
	return err;
}

int rk_vault_unseal(int fd, const char *label, uint64_t size, unsigned char **out)
{
	return rk_vault_unseal_under(fd, label, NULL, NULL, size, out);
}

/* The blob key of @header (its format @magic) into @key, unwrapped with @kek. */
static int open_header(const unsigned char *header, const unsigned char *kek, const char *magic,
		const char *label, unsigned char key[RK_VAULT_KEY_SIZE])
{
	unsigned char aad[MAGIC_LEN + MAX_LABEL + 8], tag[TAG_LEN];
	size_t aad_len = make_aad(aad, magic, label, NULL);

	memcpy(tag, header + MAGIC_LEN + NONCE_LEN + RK_VAULT_KEY_SIZE, TAG_LEN);
	if (!gcm_once(false, kek, header + MAGIC_LEN, aad, aad_len,
			header + MAGIC_LEN + NONCE_LEN, key, RK_VAULT_KEY_SIZE, tag)) {
		OPENSSL_cleanse(key, RK_VAULT_KEY_SIZE);
		return -EBADMSG;
	}
	return 0;
}

int rk_vault_unseal_under(int fd, const char *label, const char *key_label,
		const unsigned char *wrapped, uint64_t size, unsigned char **out)
{
	unsigned char header[HEADER_LEN], key[RK_VAULT_KEY_SIZE], aad[MAGIC_LEN + MAX_LABEL + 8];
	unsigned char kek[RK_VAULT_KEY_SIZE], tag[TAG_LEN], *buf;
	const char *magic;
	EVP_CIPHER_CTX *ctx;
	struct stat st;
	size_t aad_len;
	int err, n;

	*out = NULL;
	if (!have_key)
		return -ENOKEY;
	if (!valid_label(label) || size > SIZE_MAX - RK_VAULT_OVERHEAD ||
			(!wrapped != !key_label))
		return -EINVAL;
	if (fstat(fd, &st) < 0)
		return -EIO;
	if ((uint64_t)st.st_size != size + RK_VAULT_OVERHEAD)
		return -EBADMSG;
	err = read_all(fd, header, sizeof(header));
	if (err)
		return err == -EBADMSG ? err : -EIO;
	if (memcmp(header, MAGIC, MAGIC_LEN) == 0) {
		/* the station key's own (also every blob made before shared keys) */
		magic = MAGIC;
		err = open_header(header, station_key, magic, label, key);
	} else if (memcmp(header, MAGIC_V2, MAGIC_LEN) == 0) {
		magic = MAGIC_V2;
		if (!wrapped)
			return -ENOKEY;
		err = unwrap_shared(key_label, wrapped, kek);
		if (err == 0)
			err = open_header(header, kek, magic, label, key);
		OPENSSL_cleanse(kek, sizeof(kek));
	} else {
		return -EBADMSG;
	}
	if (err)
		return err;
	buf = malloc(size ? (size_t)size : 1);
	ctx = EVP_CIPHER_CTX_new();
	err = !buf || !ctx ? -ENOMEM : 0;
	if (!err)
		err = read_all(fd, buf, (size_t)size);
	if (!err)
		err = read_all(fd, tag, sizeof(tag));
	aad_len = make_aad(aad, magic, label, &size);
	if (!err && (EVP_DecryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, key,
			     header + HEADER_LEN - NONCE_LEN) != 1 ||
			    EVP_DecryptUpdate(ctx, NULL, &n, aad, (int)aad_len) != 1))
		err = -EIO;
	for (size_t done = 0; !err && done < size; done += CHUNK) {
		size_t len = size - done < CHUNK ? (size_t)size - done : CHUNK;

		if (EVP_DecryptUpdate(ctx, buf + done, &n, buf + done, (int)len) != 1)
			err = -EIO;
	}
	if (!err && (EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, TAG_LEN, tag) != 1 ||
			EVP_DecryptFinal_ex(ctx, buf + size, &n) != 1))
		err = -EBADMSG;
	OPENSSL_cleanse(key, sizeof(key));
	EVP_CIPHER_CTX_free(ctx);
	if (err) {
		if (buf)
			OPENSSL_cleanse(buf, (size_t)size);
		free(buf);
		return err == -ENOMEM || err == -EBADMSG ? err : -EIO;
	}
	*out = buf;
	return 0;
}
