/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * rekam - KTP-el recording station daemon
 *
 * packet.h - the enrollment packet of SOP step 6 (docs/central-api.md):
 * a JSON manifest naming every artifact (type, format, size, SHA-256), the
 * applicant's data, the SOP timestamps, the station id and the packet id,
 * signed by the station key (ECDSA P-256, SHA-256, DER); every artifact
 * encrypted with a fresh AES-256-GCM key that is wrapped for the central
 * server's public key (ECDH-ES P-256 + HKDF-SHA256 + AES-256 key wrap).
 *
 * rk_packet_build() writes a packet once into the outbox directory, one
 * sub-directory per packet id, so that every retry of the upload sends the
 * same bytes; rk_packet_mime() streams it as multipart/form-data with
 * libcurl's mime API, one file read at a time, never the whole packet in
 * memory. Internal functions return 0 or a negative errno.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <curl/curl.h>
#include <openssl/evp.h>

struct rk_artifact_meta;

#define RK_PACKET_ID_LEN 36       /* a UUID in text form */
#define RK_PACKET_MAX_ARTIFACTS 62 /* the central API's limit */
#define RK_PACKET_MANIFEST_MAX (1u << 20) /* bytes of a manifest we read back */

/* Names inside a packet directory (outbox/<packet id>/). */
#define RK_PACKET_MANIFEST "manifest.json" /* sealed by the vault when it has a key */
#define RK_PACKET_SIGNATURE "manifest.sig"
#define RK_PACKET_PART_PREFIX "part-" /* + the artifact's name */

/* The key-wrap scheme named in the manifest (docs/central-api.md). */
#define RK_PACKET_SCHEME "aes-256-gcm"
#define RK_PACKET_KEY_WRAP "ecdh-es-p256+hkdf-sha256+a256kw"
#define RK_PACKET_HKDF_INFO "rekam packet key v1 " /* + the packet id */

/* A name and a text value: applicant data ("name", "SITI AMINAH"). */
struct rk_packet_field {
	const char *key;
	const char *value;
};

/* When an SOP step happened ("submitted", Unix seconds). */
struct rk_packet_time {
	const char *step;
	int64_t at;
};

struct rk_packet_artifact {
	const char *name;   /* the part name: [a-z0-9._-]{1,63}, unique */
	const char *type;   /* portrait, fingerprint, iris, signature, document */
	const char *format; /* image/jpeg, iso19794-2, ... */
	/* the plain bytes (exactly one of the two): a file, read as it is
	 * encrypted; or an artifact of artifact.c (its metadata from
	 * rk_artifact_get_meta()) under rk_packet_input.artifact_dir, opened
	 * from the vault and checked against its size and SHA-256 */
	const char *path;
	const struct rk_artifact_meta *stored;
	const char *sha256; /* optional: the plain bytes must have this hash (hex) */
};

struct rk_packet_input {
	const char *station_id; /* [A-Za-z0-9._-]{1,64}: the client certificate's CN */
	const char *nik;        /* 16 digits */
	const struct rk_packet_field *applicant; /* must include "name" */
	size_t n_applicant;
	const struct rk_packet_time *sop;
	size_t n_sop;
	const struct rk_packet_artifact *artifacts; /* 1 to RK_PACKET_MAX_ARTIFACTS */
	size_t n_artifacts;
	const char *artifact_dir; /* of artifact.c; NULL without stored artifacts */
	int64_t created;          /* Unix seconds; 0: now */
};

struct rk_packet_keys {
	EVP_PKEY *station;   /* ECDSA P-256 private key: signs the manifest */
	EVP_PKEY *recipient; /* the central server's P-256 public key: artifacts are for it */
};

/*
 * Build a packet from @in into @outbox (created 0700 when missing): a new
 * packet id, every artifact encrypted into the packet's directory, the
 * manifest and its signature. The directory appears complete (written in a
 * temporary directory, fsync'ed, renamed) or not at all. *@id receives the
 * packet id. On failure *@error (free() it) says why in a sentence:
 * -EINVAL bad input, -ENOENT/-EIO an artifact cannot be read,
 * -EBADMSG an artifact's bytes differ from its given SHA-256,
 * -EKEYREJECTED a key of the wrong kind, -ENOMEM, -EIO.
 */
int rk_packet_build(const struct rk_packet_input *in, const struct rk_packet_keys *keys,
		const char *outbox, char id[RK_PACKET_ID_LEN + 1], char **error);

/*
 * The multipart/form-data body of the packet in @outbox/@id for @curl: the
 * manifest, its signature and one part per artifact, each read from its
 * file as libcurl asks for it. *@total receives the bytes of the parts (of
 * their contents, without the multipart framing). 0, -ENOENT (no such
 * packet), -EBADMSG (a damaged packet directory), -ENOMEM.
 */
int rk_packet_mime(CURL *curl, const char *outbox, const char *id, curl_mime **mime,
		uint64_t *total);

/* Remove the packet directory @outbox/@id (once the server has its final
 * word). 0 or -errno. */
int rk_packet_remove(const char *outbox, const char *id);

/* Remove what a crash in the middle of rk_packet_build() left in @outbox
 * (its temporary directories). The number removed, or -errno. */
int rk_packet_cleanup(const char *outbox);

/* Load keys from PEM files: a private key, and a public key from a PEM
 * certificate or a PEM public key. NULL with *@error on failure. */
EVP_PKEY *rk_packet_load_private_key(const char *path, char **error);
EVP_PKEY *rk_packet_load_public_key(const char *path, char **error);

/* True when @id is a UUID in lowercase text form. */
bool rk_packet_id_valid(const char *id);

/* --- the crypto, exposed for the unit tests ------------------------------------------------ */

/* Wrap the 32-byte @cek for @recipient: a fresh ephemeral key (its SPKI DER
 * in *@epk, malloc'd), ECDH, HKDF-SHA256 with info RK_PACKET_HKDF_INFO + @id,
 * AES-256 key wrap (RFC 3394) into @wrapped (40 bytes). */
int rk_packet_wrap_key(EVP_PKEY *recipient, const char *id, const unsigned char cek[32],
		unsigned char wrapped[40], unsigned char **epk, size_t *epk_len);
/* The other way, with the recipient's private key. -EBADMSG when the
 * wrapped key does not unwrap (wrong key, changed bytes). */
int rk_packet_unwrap_key(EVP_PKEY *recipient_key, const char *id, const unsigned char *epk,
		size_t epk_len, const unsigned char wrapped[40], unsigned char cek[32]);

/*
 * The manifest of packet @id in @outbox: the bytes the signature covers,
 * into *@text (malloc'd, NUL-terminated; *@len without the NUL). In the
 * outbox it is sealed by the vault (vault.h, label "manifest <id>") when
 * the station key is loaded as the packet is built, so the applicant's data
 * never lies there in the clear; a plain one (built without a station key,
 * in tests) is read as it is. 0, -ENOENT, -EBADMSG, -ENOKEY, -ENOMEM, -EIO.
 */
int rk_packet_read_manifest(const char *outbox, const char *id, char **text, size_t *len);
