/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * rekam - KTP-el recording station daemon
 *
 * artifact.h - captured data (portraits, fingerprints, signatures, scans)
 * kept by rekamd: the bytes sealed by the vault (vault.h) in a file per
 * artifact under the state directory, the metadata in the artifacts table.
 * Callers get metadata and a handle, never megabytes over D-Bus. This is the
 * one module that touches artifact files; the station key must be loaded
 * (rk_vault_open()) before anything is written or read (else -ENOKEY).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "daemon/vault.h"

struct rk_store;

#define RK_ARTIFACT_HANDLE_LEN 32 /* hex digits */
#define RK_ARTIFACT_MAX_SIZE ((size_t)256 << 20) /* bytes of one artifact: 256 MiB */

struct rk_artifact_meta {
	char handle[RK_ARTIFACT_HANDLE_LEN + 1]; /* random, unguessable */
	char *kind;    /* "signature-image", ... ([a-z0-9_-]{1,48}) */
	char *format;  /* media type ("image/png"; [a-z0-9.+/-]{1,64}) */
	char *device;  /* D-Bus path of the device that captured it, or "" */
	uint32_t width, height, dpi; /* 0 when not known */
	int quality;   /* 0-100, -1 when not known */
	uint64_t size; /* bytes */
	char sha256[65]; /* hex */
	int64_t created; /* Unix time, seconds */
	/* Whose data key seals it: 0, its own (wrapped by the station key);
	 * else the enrollment whose key (table enrollment_keys, wrapped in
	 * @key) wraps its blob key. Set by the writer before rk_artifact_write();
	 * filled in by rk_artifact_get_meta(), @key_gone when that enrollment's
	 * key was destroyed (the bytes cannot be read any more). */
	int64_t key_id;
	unsigned char key[RK_VAULT_WRAPPED_SIZE];
	bool key_gone;
};

/* The vault's label of enrollment @id's data key ("enrollment 12"). */
void rk_artifact_key_label(int64_t id, char *label, size_t size);

/*
 * Enrollment @id's data key, wrapped, into @wrapped: the stored one, or, with
 * @create, a new one stored now (autocommit, or the caller's transaction).
 * 0, -ENOENT (none and not @create), -EKEYREVOKED (destroyed: never made
 * again), -EBADMSG (stored but not this station key's), -EIO, -ENOKEY.
 */
int rk_artifact_key_get(struct rk_store *store, int64_t id, bool create,
		unsigned char wrapped[RK_VAULT_WRAPPED_SIZE]);

/* Destroy enrollment @id's data key: its wrapped key is overwritten and
 * deleted, a tombstone row stays so it is never made again. Every artifact
 * sealed under it is unreadable from then on, files or no files. Inside
 * the caller's transaction when there is one. 0, -EIO. */
int rk_artifact_key_destroy(struct rk_store *store, int64_t id);

/*
 * Keep @size bytes of @data as a new artifact. The file is written under
 * @dir (created 0700 if needed) with mode 0600, fsync'ed, and renamed into
 * place before the row is inserted, so a crash leaves either nothing or a
 * complete artifact (a stray temporary file at worst, removed by
 * rk_artifact_cleanup(); or, if it falls between the rename and the insert,
 * a file that no row refers to and no handle reaches). @meta gives kind,
 * format, device (NULL means ""), width, height, dpi and quality; handle,
 * size, sha256 and created are filled in on success only.
 * 0, -EINVAL (bad kind, format, device or quality, data empty or over
 * 256 MiB), -EIO (also when the insert fails: the file is removed), -ENOMEM.
 * With @meta->key_id set, the bytes are sealed under that enrollment's data
 * key (@meta->key, from rk_artifact_key_get()).
 */
int rk_artifact_put(struct rk_store *store, const char *dir, struct rk_artifact_meta *meta,
		const void *data, size_t size);

/*
 * The two halves of rk_artifact_put(), for callers that keep the event loop
 * free: rk_artifact_write() touches no database and may run on a worker
 * thread: it writes the bytes under @dir (durably, never replacing a file)
 * and fills in handle, size, sha256 and created. rk_artifact_commit() then
 * records that file in the store, on the loop; when it fails, the file is
 * removed. rk_artifact_discard() removes a written file that will not be
 * committed. Same errors as rk_artifact_put().
 */
int rk_artifact_write(const char *dir, struct rk_artifact_meta *meta, const void *data,
		size_t size);
int rk_artifact_commit(struct rk_store *store, const char *dir,
		const struct rk_artifact_meta *meta);
void rk_artifact_discard(const char *dir, const char *handle);

/* Metadata of @handle (free with rk_artifact_meta_clear). 0 or -ENOENT, -EINVAL
 * (not 32 lowercase hex digits), -ENOMEM, -EIO. */
int rk_artifact_get_meta(struct rk_store *store, const char *handle, struct rk_artifact_meta *meta);

/* The bytes of @handle, checked against the stored size and SHA-256 (-EBADMSG
 * when they differ). *@data is malloc'd. 0, -ENOENT, -EINVAL (malformed
 * handle), -EBADMSG, -EIO (file missing or unreadable, or a symlink), -ENOMEM,
 * -EKEYREVOKED (its enrollment's data key was destroyed). */
int rk_artifact_read(struct rk_store *store, const char *dir, const char *handle, void **data,
		size_t *size);

/* rk_artifact_read() without the store, for a worker thread: the bytes of the
 * artifact @meta describes (from rk_artifact_get_meta()), checked against its
 * size and SHA-256. Same errors. */
int rk_artifact_load(const char *dir, const struct rk_artifact_meta *meta, void **data,
		size_t *size);
/* Remove the row, then the file. 0 or -ENOENT, -EINVAL (malformed handle), -EIO. */
int rk_artifact_delete(struct rk_store *store, const char *dir, const char *handle);

/* Remove temporary files left by a crash in @dir; the number removed, or -errno. */
int rk_artifact_cleanup(const char *dir);

void rk_artifact_meta_clear(struct rk_artifact_meta *meta);
