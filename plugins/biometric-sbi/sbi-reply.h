/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * rekam - device plugins
 *
 * sbi-reply.h - the pure half of the SBI plugin: reading what a MOSIP SBI
 * device service answers (discovery, device info, registration capture),
 * checking every JWS signature with the device certificate (OpenSSL) and the
 * hash chain of the captured data. No I/O, no host: plain functions on bytes,
 * so unit tests and a fuzzer can call them. Every function returns 0 or a
 * negative errno, -EPROTO with a sentence in @why for anything malformed,
 * unsigned or tampered.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/x509.h>

#define SBI_REPLY_MAX (32u * 1024 * 1024) /* largest reply body accepted */
#define SBI_WHY 256                        /* size of a @why buffer */
#define SBI_N_FINGERS 10
#define SBI_MAX_PARTS 10

enum sbi_type { SBI_FINGER, SBI_IRIS };

/* The SBI names ("Left IndexFinger", "Left") and ours ("left-index", "left")
 * of the fingers and eyes, indexed by part: fingers 0-3 left index to little,
 * 4-7 right, 8 left thumb, 9 right thumb; eyes 0 left, 1 right. */
const char *sbi_part_sbi_name(enum sbi_type type, int part);
const char *sbi_part_name(enum sbi_type type, int part);
int sbi_part_from_name(enum sbi_type type, const char *name); /* either name; -1 */
int sbi_n_parts(enum sbi_type type);
/* The parts of a deviceSubId (1 left slap/eye, 2 right, 3 thumbs/both), in
 * the order a device returns them; the count. */
int sbi_parts_of_sub(enum sbi_type type, int sub, int parts[4]);
const char *sbi_type_name(enum sbi_type type); /* "Finger", "Iris" */

/* base64url (or standard base64), padding optional; malloc'd (+1 NUL). */
int sbi_b64_decode(const char *in, size_t len, unsigned char **out, size_t *out_len);

/*
 * A compact JWS: "header.payload.signature", RS256 (or ES256), the signer's
 * certificate in the header's x5c (first one). When @pinned is given the
 * certificate must be that one. On success *@payload is the decoded payload
 * (malloc'd, NUL-terminated) and *@cert the certificate (when @cert is not
 * NULL; X509_free it).
 */
int sbi_jws_verify(const char *token, X509 *pinned, char **payload, size_t *payload_len,
		X509 **cert, char *why);

/* What discovery says of the first device of @type. */
struct sbi_discovery {
	char device_id[32];
	char status[32];   /* "Ready", "Busy", "Not Ready", "Not Registered" */
	char serial[64];
	unsigned int sub_ids; /* bit n: deviceSubId n supported */
};
/* -ENOENT when the service has no device of that type. */
int sbi_parse_discovery(const char *body, size_t len, enum sbi_type type,
		struct sbi_discovery *out, char *why);

struct sbi_info {
	char status[32];
	char firmware[64];
	char make[64], model[64], serial[64];
	char certification[8];
	char env[32], purpose[32];
	char error_code[16], error_info[128];
	bool is_signed;
	X509 *cert; /* the signer, when signed; X509_free it */
};
/* The deviceInfo of @device_id, verified (pinned to @pinned if given). An
 * unsigned one is accepted only when its status is "Not Registered". */
int sbi_parse_info(const char *body, size_t len, const char *device_id, X509 *pinned,
		struct sbi_info *out, char *why);
void sbi_info_clear(struct sbi_info *info);

/* A registration capture as it was asked for. */
struct sbi_request {
	enum sbi_type type;
	const char *transaction_id;
	unsigned char previous_hash[32]; /* bytes; SHA-256("") for the first capture */
	unsigned int parts;      /* bit per part asked for (sub-id minus exceptions) */
	X509 *cert;              /* the device certificate from device info */
};

/* What an ISO/IEC 19794-4:2011 finger image record (FIR) holds: the first
 * representation's image (inside the record), its compression code (Table
 * 9: 0 raw, 1 bit-packed, 2 WSQ, 3 JPEG, 4 JPEG 2000 lossy, 5 lossless,
 * 6 PNG), size, resolution and finger position. */
struct sbi_iso_image {
	size_t offset, size; /* of the image within the record */
	unsigned int compression, width, height, ppi, position, quality;
};
/* 0, or -EPROTO for anything but a well-formed FIR of at least one finger. */
int sbi_iso_finger(const unsigned char *rec, size_t len, struct sbi_iso_image *out);
/* The media type of an image by its compression code (or its first bytes). */
const char *sbi_image_format(const unsigned char *data, size_t len);

struct sbi_item {
	int part;
	double quality;        /* 0-100 */
	unsigned char *data;   /* the decoded bioValue (malloc'd) */
	size_t size;
	bool iso;              /* data is an ISO record; the image is at iso_image */
	struct sbi_iso_image iso_image;
};

struct sbi_capture {
	struct sbi_item items[SBI_MAX_PARTS];
	int n_items;
	unsigned int missing;       /* parts the device could not detect (error 101) */
	unsigned char last_hash[32]; /* to chain the next capture on */
	char error_code[16];        /* the device's error when the whole capture failed */
	char error_info[128];
};
/* -EIO with error_code set: the device refused or failed the capture. */
int sbi_parse_capture(const char *body, size_t len, const struct sbi_request *req,
		struct sbi_capture *out, char *why);
void sbi_capture_clear(struct sbi_capture *cap);

/* Upper-case hex of 32 bytes into hex[65]; and back (-EINVAL). */
void sbi_hex(const unsigned char bytes[32], char hex[65]);
int sbi_unhex(const char *hex, unsigned char bytes[32]);

/* Every parser on the same bytes (and the ISO record reader): for fuzzing.
 * Always returns 0; aborts if a parser breaks its own promise. */
int sbi_fuzz_reply(const uint8_t *data, size_t size);
