/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * rekam - KTP-el recording station daemon
 *
 * vault.h - encryption at rest. Every byte of personal data rekamd keeps
 * on disk (portraits, fingerprints, irises, signatures, scans) is sealed
 * with AES-256-GCM under a data key of its own; the data key is stored next
 * to it wrapped (AES-256-GCM again) by the station key, which lives in one
 * file only rekamd can read. Destroying a data key destroys the data
 * (crypto-shredding); losing the station key loses everything, so back it
 * up as the site's procedure says (docs/SECURITY.md).
 *
 * A sealed blob, as written to a file:
 *   "RKV1"                         4 bytes, the format
 *   key nonce                     12 bytes
 *   wrapped data key              32 bytes  AES-256-GCM(station key, data key)
 *   key tag                       16 bytes  AAD: "RKV1" || label
 *   data nonce                    12 bytes
 *   ciphertext                     n bytes  AES-256-GCM(data key, plaintext)
 *   data tag                      16 bytes  AAD: "RKV1" || label || n (8 bytes, big-endian)
 * The label (an artifact's handle) binds a blob to its name: a blob copied
 * under another name, cut short or altered does not open.
 *
 * Shared data keys (an enrollment's, artifact.h): a random 32-byte key kept
 * only wrapped by the station key, in the database:
 *   key nonce 12 bytes || AES-256-GCM(station key, key) 32 bytes || tag 16
 *   bytes, AAD "RKK1" || key label ("enrollment 12")
 * A blob sealed under one ("RKV2") has the same layout as above, its blob
 * key wrapped by the shared key instead of the station key (AAD "RKV2" ||
 * label, and "RKV2" in the data's AAD too). Deleting the one wrapped key
 * makes every blob sealed under it unreadable, wherever a copy of a file
 * survives (crypto-shredding). RKV1 blobs still open as before.
 *
 * The station key is loaded once, before worker threads start, and only
 * read afterwards: sealing and unsealing are safe on any thread.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RK_VAULT_KEY_SIZE 32
#define RK_VAULT_OVERHEAD (4 + 12 + 32 + 16 + 12 + 16) /* bytes a sealed blob adds */
#define RK_VAULT_KEY_FILE "station.key" /* in the state directory */
#define RK_VAULT_WRAPPED_SIZE (12 + 32 + 16) /* a shared data key, wrapped */

/*
 * Load the station key from @path, creating it (32 random bytes, mode 0600,
 * written durably) when the file does not exist. A key file that is not a
 * regular file of exactly 32 bytes, or that others may read or write, is
 * refused: 0, -EINVAL (with a log line saying what is wrong), -EIO.
 * This is the one function a TPM-sealed key would replace.
 */
int rk_vault_open(const char *path);
/* Forget the station key (wiped from memory). */
void rk_vault_close(void);
/* Whether a station key is loaded. */
bool rk_vault_loaded(void);

/* A key for @purpose (e.g. "rekam audit checkpoint"), derived from the
 * station key with HKDF-SHA-256: 0, -ENOKEY, -EIO. Wipe it after use. */
int rk_vault_derive_key(const char *purpose, unsigned char out[RK_VAULT_KEY_SIZE]);

/* Seal @size bytes of @data under a fresh data key and write the blob to
 * @fd. 0, -ENOKEY (no station key loaded), -EIO, -ENOMEM, -errno of write(). */
int rk_vault_seal(int fd, const char *label, const void *data, size_t size);

/* A new shared data key for @key_label, wrapped by the station key into
 * @wrapped (store it; the plain key is never kept). 0, -ENOKEY, -EINVAL,
 * -EIO. */
int rk_vault_key_new(const char *key_label, unsigned char wrapped[RK_VAULT_WRAPPED_SIZE]);
/* Whether @wrapped is @key_label's key under this station key: 0, -ENOKEY,
 * -EBADMSG (altered, another label or another station key). */
int rk_vault_key_check(const char *key_label, const unsigned char *wrapped);

/* rk_vault_seal() and rk_vault_unseal() with the shared data key @wrapped
 * of @key_label (both NULL: the station key's own, as the plain calls).
 * Unsealing an RKV1 blob ignores the shared key; an RKV2 blob without one
 * gives -ENOKEY; a shared key that does not open, or is not the blob's,
 * gives -EBADMSG. */
int rk_vault_seal_under(int fd, const char *label, const char *key_label,
		const unsigned char *wrapped, const void *data, size_t size);
int rk_vault_unseal_under(int fd, const char *label, const char *key_label,
		const unsigned char *wrapped, uint64_t size, unsigned char **out);

/* Read the blob of a @size-byte plaintext from @fd (at its start) and open
 * it: *@out (malloc'd) holds the plaintext. 0, -ENOKEY, -EBADMSG (not a
 * blob of @label and @size, or altered), -EIO, -ENOMEM. */
int rk_vault_unseal(int fd, const char *label, uint64_t size, unsigned char **out);
