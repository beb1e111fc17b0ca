// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * rekam - device plugins
 *
 * sbi-reply.c - reading and checking MOSIP SBI replies (see sbi-reply.h):
 * JSON through jansson, JWS (RS256 as the SBI specification says, ES256
 * too) through OpenSSL against the x5c certificate and the certificate the
 * device presented at device info, and the hash chain
 * hash = SHA-256(previous hash || SHA-256(bioValue)) in upper-case hex.
 * Nothing here trusts a length, a type or a name it has not checked.
 */
#include <config.h>

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>

#include "plugins/biometric-sbi/sbi-reply.h"

static const char *const finger_sbi[SBI_N_FINGERS] = {
	"Left IndexFinger", "Left MiddleFinger", "Left RingFinger", "Left LittleFinger",
	"Right IndexFinger", "Right MiddleFinger", "Right RingFinger", "Right LittleFinger",
	"Left Thumb", "Right Thumb",
};
static const char *const finger_ours[SBI_N_FINGERS] = {
	"left-index", "left-middle", "left-ring", "left-little",
	"right-index", "right-middle", "right-ring", "right-little",
	"left-thumb", "right-thumb",
};
static const char *const eye_sbi[2] = { "Left", "Right" };
static const char *const eye_ours[2] = { "left", "right" };

__attribute__((format(printf, 2, 3))) static int fail(char *why, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, SBI_WHY, fmt, ap);
	va_end(ap);
	return -EPROTO;
}

const char *sbi_type_name(enum sbi_type type)
{
	return type == SBI_FINGER ? "Finger" : "Iris";
}

int sbi_n_parts(enum sbi_type type)
{
	return type == SBI_FINGER ? SBI_N_FINGERS : 2;
}

const char *sbi_part_sbi_name(enum sbi_type type, int part)
{
	if (part < 0 || part >= sbi_n_parts(type))
		return "?";
	return type == SBI_FINGER ? finger_sbi[part] : eye_sbi[part];
}

const char *sbi_part_name(enum sbi_type type, int part)
{
	if (part < 0 || part >= sbi_n_parts(type))
		return "?";
	return type == SBI_FINGER ? finger_ours[part] : eye_ours[part];
}

int sbi_part_from_name(enum sbi_type type, const char *name)
{
	for (int i = 0; name && i < sbi_n_parts(type); i++)
		if (!strcmp(name, sbi_part_sbi_name(type, i)) || !strcmp(name, sbi_part_name(type, i)))
			return i;
	return -1;
}

int sbi_parts_of_sub(enum sbi_type type, int sub, int parts[4])
{
	static const int slaps[3][4] = { { 0, 1, 2, 3 }, { 4, 5, 6, 7 }, { 8, 9, 0, 0 } };

	if (sub < 1 || sub > 3)
		return 0;
	if (type == SBI_FINGER) {
		memcpy(parts, slaps[sub - 1], sizeof(slaps[0]));
		return sub == 3 ? 2 : 4;
	}
	if (sub == 3) {
		parts[0] = 0;
		parts[1] = 1;
		return 2;
	}
	parts[0] = sub - 1;
	return 1;
}

void sbi_hex(const unsigned char bytes[32], char hex[65])
{
	for (int i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02X", bytes[i]);
}

int sbi_unhex(const char *hex, unsigned char bytes[32])
{
	if (!hex || strlen(hex) != 64)
		return -EINVAL;
	for (int i = 0; i < 32; i++) {
		int hi = hex[2 * i], lo = hex[2 * i + 1];

		if (!isxdigit(hi) || !isxdigit(lo))
			return -EINVAL;
		hi = isdigit(hi) ? hi - '0' : tolower(hi) - 'a' + 10;
		lo = isdigit(lo) ? lo - '0' : tolower(lo) - 'a' + 10;
		bytes[i] = (unsigned char)(hi << 4 | lo);
	}
	return 0;
}

/* --- ISO/IEC 19794-4:2011 finger records ---------------------------------------- */

static unsigned int be16(const unsigned char *p)
{
	return (unsigned int)p[0] << 8 | p[1];
}

static uint32_t be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

int sbi_iso_finger(const unsigned char *rec, size_t len, struct sbi_iso_image *out)
{
	size_t p, rlen;
	unsigned int n_quality, cert;

	memset(out, 0, sizeof(*out));
	/* general header: "FIR\0" "020\0" length(4) representations(2) cert(1) fingers(1) */
	if (len < 16 || memcmp(rec, "FIR\0", 4) || memcmp(rec + 4, "020\0", 4) ||
			be32(rec + 8) != len || be16(rec + 12) < 1)
		return -EPROTO;
	cert = rec[14];
	/* representation: length(4) time(9) technology(1) vendor(2) type(2) */
	p = 16;
	if (len - p < 19)
		return -EPROTO;
	rlen = be32(rec + p);
	if (rlen < 46 || rlen > len - p)
		return -EPROTO;
	n_quality = rec[p + 18];
	p += 19;
	if (rlen < 19 + 5 * (size_t)n_quality + 27)
		return -EPROTO;
	if (n_quality)
		out->quality = rec[p];
	p += 5 * (size_t)n_quality;
	if (cert) {
		if (16 + rlen - p < 1 || 16 + rlen - p < 1 + 3 * (size_t)rec[p] + 27)
			return -EPROTO;
		p += 1 + 3 * (size_t)rec[p];
	}
	if (16 + rlen - p < 27)
		return -EPROTO;
	/* position(1) number(1) scale units(1) capture h, v(2+2) image h, v(2+2)
	 * bit depth(1) compression(1) impression(1) width(2) height(2) image length(4) */
	out->position = rec[p];
	out->ppi = be16(rec + p + 7);
	if (rec[p + 2] == 2) /* pixels per centimetre */
		out->ppi = (unsigned int)(out->ppi * 2.54 + 0.5);
	out->compression = rec[p + 12];
	out->width = be16(rec + p + 14);
	out->height = be16(rec + p + 16);
	out->size = be32(rec + p + 18);
	out->offset = p + 22;
	if (out->size == 0 || out->size > 16 + rlen - out->offset || out->compression > 6 ||
			!out->width || !out->height)
		return -EPROTO;
	return 0;
}

const char *sbi_image_format(const unsigned char *d, size_t n)
{
	if (n >= 8 && !memcmp(d, "\x89PNG\r\n\x1a\n", 8))
		return "image/png";
	if (n >= 3 && !memcmp(d, "\xff\xd8\xff", 3))
		return "image/jpeg";
	if (n >= 12 && !memcmp(d, "\0\0\0\x0cjP  ", 8))
		return "image/jp2";
	if (n >= 4 && !memcmp(d, "\xff\x4f\xff\x51", 4))
		return "image/j2c";
	if (n >= 2 && !memcmp(d, "\xff\xa0", 2))
		return "image/x-wsq";
	return "application/octet-stream";
}

/* --- base64 ---------------------------------------------------------------------- */

/* base64url and standard base64 in one table: value + 1; 0: not base64. */
static const unsigned char b64_table[256] = {
	['A'] = 1, ['B'] = 2, ['C'] = 3, ['D'] = 4, ['E'] = 5, ['F'] = 6, ['G'] = 7, ['H'] = 8,
	['I'] = 9, ['J'] = 10, ['K'] = 11, ['L'] = 12, ['M'] = 13, ['N'] = 14, ['O'] = 15,
	['P'] = 16, ['Q'] = 17, ['R'] = 18, ['S'] = 19, ['T'] = 20, ['U'] = 21, ['V'] = 22,
	['W'] = 23, ['X'] = 24, ['Y'] = 25, ['Z'] = 26, ['a'] = 27, ['b'] = 28, ['c'] = 29,
	['d'] = 30, ['e'] = 31, ['f'] = 32, ['g'] = 33, ['h'] = 34, ['i'] = 35, ['j'] = 36,
	['k'] = 37, ['l'] = 38, ['m'] = 39, ['n'] = 40, ['o'] = 41, ['p'] = 42, ['q'] = 43,
	['r'] = 44, ['s'] = 45, ['t'] = 46, ['u'] = 47, ['v'] = 48, ['w'] = 49, ['x'] = 50,
	['y'] = 51, ['z'] = 52, ['0'] = 53, ['1'] = 54, ['2'] = 55, ['3'] = 56, ['4'] = 57,
	['5'] = 58, ['6'] = 59, ['7'] = 60, ['8'] = 61, ['9'] = 62, ['-'] = 63, ['+'] = 63,
	['_'] = 64, ['/'] = 64,
};

int sbi_b64_decode(const char *in, size_t len, unsigned char **out, size_t *out_len)
{
	const unsigned char *p = (const unsigned char *)in;
	unsigned char *buf, *o;
	size_t i = 0;

	while (len > 0 && in[len - 1] == '=')
		len--;
	if (len % 4 == 1)
		return -EINVAL;
	buf = malloc(len / 4 * 3 + 3);
	if (!buf)
		return -ENOMEM;
	o = buf;
	for (; i + 4 <= len; i += 4) {
		unsigned int a = b64_table[p[i]], b = b64_table[p[i + 1]];
		unsigned int c = b64_table[p[i + 2]], d = b64_table[p[i + 3]];

		if (!a || !b || !c || !d)
			goto bad;
		a--, b--, c--, d--;
		*o++ = (unsigned char)(a << 2 | b >> 4);
		*o++ = (unsigned char)(b << 4 | c >> 2);
		*o++ = (unsigned char)(c << 6 | d);
	}
	if (len - i >= 2) {
		unsigned int a = b64_table[p[i]], b = b64_table[p[i + 1]];
		unsigned int c = len - i == 3 ? b64_table[p[i + 2]] : 1;

		if (!a || !b || !c)
			goto bad;
		a--, b--, c--;
		*o++ = (unsigned char)(a << 2 | b >> 4);
		if (len - i == 3)
			*o++ = (unsigned char)(b << 4 | c >> 2);
	}
	*o = '\0';
	*out = buf;
	*out_len = (size_t)(o - buf);
	return 0;
bad:
	free(buf);
	return -EINVAL;
}

/* --- JWS ------------------------------------------------------------------------- */

/* ES256 signatures are r || s (32 bytes each); OpenSSL wants DER. */
static int es256_to_der(const unsigned char *sig, size_t len, unsigned char **der, size_t *der_len)
{
	ECDSA_SIG *s = ECDSA_SIG_new();
	BIGNUM *r = BN_bin2bn(sig, 32, NULL), *ss = BN_bin2bn(sig + 32, 32, NULL);
	int n;

	if (len != 64 || !s || !r || !ss || !ECDSA_SIG_set0(s, r, ss)) {
		ECDSA_SIG_free(s);
		if (!s || len != 64 || !r || !ss) {
			BN_free(r);
			BN_free(ss);
		}
		return -EINVAL;
	}
	*der = NULL;
	n = i2d_ECDSA_SIG(s, der);
	ECDSA_SIG_free(s);
	if (n <= 0)
		return -EINVAL;
	*der_len = (size_t)n;
	return 0;
}

static X509 *x5c_cert(json_t *hdr)
{
	json_t *x5c = json_object_get(hdr, "x5c");
	const char *b64 = json_is_array(x5c) ? json_string_value(json_array_get(x5c, 0)) :
		json_string_value(x5c);
	unsigned char *der = NULL;
	const unsigned char *p;
	size_t len = 0;
	X509 *cert;

	if (!b64 || sbi_b64_decode(b64, strlen(b64), &der, &len) < 0)
		return NULL;
	p = der;
	cert = d2i_X509(NULL, &p, (long)len);
	free(der);
	return cert;
}

int sbi_jws_verify(const char *token, X509 *pinned, char **payload, size_t *payload_len,
		X509 **cert_out, char *why)
{
	const char *dot1 = token ? strchr(token, '.') : NULL;
	const char *dot2 = dot1 ? strchr(dot1 + 1, '.') : NULL;
	unsigned char *hdr_text = NULL, *sig = NULL, *der = NULL, *body = NULL;
	size_t hdr_len, sig_len, der_len = 0, body_len = 0;
	json_t *hdr = NULL;
	const char *alg;
	X509 *cert = NULL;
	EVP_PKEY *key;
	EVP_MD_CTX *md = NULL;
	bool es = false;
	int r;

	if (!token || !*token)
		return fail(why, "the device sent no signed data");
	if (!dot1)
		return fail(why, "the device sent its data unsigned (no JWS signature)");
	if (!dot2 || strchr(dot2 + 1, '.') || dot1 == token || !dot2[1])
		return fail(why, "the device's signed data is not a compact JWS");
	if (sbi_b64_decode(token, (size_t)(dot1 - token), &hdr_text, &hdr_len) < 0 ||
			!(hdr = json_loadb((char *)hdr_text, hdr_len, 0, NULL)) ||
			!json_is_object(hdr)) {
		r = fail(why, "the device's JWS header is not base64url JSON");
		goto out;
	}
	alg = json_string_value(json_object_get(hdr, "alg"));
	if (!alg || (strcmp(alg, "RS256") && strcmp(alg, "ES256"))) {
		r = fail(why, "the device signed with %s; SBI signatures are RS256",
			alg ? alg : "no algorithm");
		goto out;
	}
	es = !strcmp(alg, "ES256");
	cert = x5c_cert(hdr);
	if (!cert) {
		r = fail(why, "the device's JWS carries no readable certificate (x5c)");
		goto out;
	}
	if (pinned && X509_cmp(cert, pinned) != 0) {
		r = fail(why, "the data is signed by a certificate other than the device's");
		goto out;
	}
	if (sbi_b64_decode(dot2 + 1, strlen(dot2 + 1), &sig, &sig_len) < 0 ||
			(es && es256_to_der(sig, sig_len, &der, &der_len) < 0)) {
		r = fail(why, "the device's JWS signature is not base64url");
		goto out;
	}
	key = X509_get0_pubkey(cert);
	md = EVP_MD_CTX_new();
	if (!key || !md || EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, key) != 1 ||
			EVP_DigestVerify(md, es ? der : sig, es ? der_len : sig_len,
				(const unsigned char *)token, (size_t)(dot2 - token)) != 1) {
		r = fail(why, "the device's signature does not match its data: the data was "
			"tampered with or not signed by the device key");
		goto out;
	}
	if (sbi_b64_decode(dot1 + 1, (size_t)(dot2 - dot1 - 1), &body, &body_len) < 0) {
		r = fail(why, "the device's signed payload is not base64url");
		goto out;
	}
	*payload = (char *)body;
	*payload_len = body_len;
	body = NULL;
	if (cert_out) {
		*cert_out = cert;
		cert = NULL;
	}
	r = 0;
out:
	EVP_MD_CTX_free(md);
	X509_free(cert);
	json_decref(hdr);
	free(hdr_text);
	free(sig);
	OPENSSL_free(der);
	free(body);
	return r;
}

/* --- discovery and info ---------------------------------------------------------- */

static json_t *load(const char *body, size_t len, char *why)
{
	json_error_t jerr;
	json_t *j;

	if (len > SBI_REPLY_MAX) {
		fail(why, "the device's reply is larger than %u bytes", SBI_REPLY_MAX);
		return NULL;
	}
	j = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!j)
		fail(why, "the device's reply is not JSON (%s at byte %d)", jerr.text,
			jerr.position);
	return j;
}

static void copy(char *dst, size_t size, json_t *j)
{
	const char *s = json_string_value(j);

	snprintf(dst, size, "%s", s ? s : "");
}

static bool known_status(const char *s)
{
	return !strcmp(s, "Ready") || !strcmp(s, "Busy") || !strcmp(s, "Not Ready") ||
		!strcmp(s, "Not Registered");
}

int sbi_parse_discovery(const char *body, size_t len, enum sbi_type type,
		struct sbi_discovery *out, char *why)
{
	json_t *root = load(body, len, why), *dev;
	size_t i;
	int r = -ENOENT;

	memset(out, 0, sizeof(*out));
	if (!root)
		return -EPROTO;
	if (!json_is_array(root)) {
		json_decref(root);
		return fail(why, "the discovery reply is not a JSON array");
	}
	json_array_foreach(root, i, dev) {
		json_t *did = json_object_get(dev, "digitalId"), *subs, *sub;
		const char *id = json_string_value(json_object_get(dev, "deviceId"));
		const char *status = json_string_value(json_object_get(dev, "deviceStatus"));
		char *payload = NULL;
		unsigned char *raw = NULL;
		size_t raw_len = 0, k;
		json_t *dj = NULL;
		const char *dtype;

		if (!json_is_object(dev) || !id || !status || !json_is_string(did))
			continue;
		/* the discovery digital id is unsigned: base64url(payload); some
		 * services send it signed, then the middle part is the payload */
		{
			const char *s = json_string_value(did), *d1 = strchr(s, '.');
			const char *d2 = d1 ? strchr(d1 + 1, '.') : NULL;

			if (d1 && d2)
				sbi_b64_decode(d1 + 1, (size_t)(d2 - d1 - 1), &raw, &raw_len);
			else
				sbi_b64_decode(s, strlen(s), &raw, &raw_len);
		}
		if (raw)
			dj = json_loadb((char *)raw, raw_len, 0, NULL);
		free(raw);
		free(payload);
		dtype = json_string_value(json_object_get(dj, "type"));
		if (!dtype || strcmp(dtype, sbi_type_name(type)) != 0 || strlen(id) >= 32 ||
				!known_status(status)) {
			json_decref(dj);
			continue;
		}
		snprintf(out->device_id, sizeof(out->device_id), "%s", id);
		snprintf(out->status, sizeof(out->status), "%s", status);
		copy(out->serial, sizeof(out->serial), json_object_get(dj, "serialNo"));
		subs = json_object_get(dev, "deviceSubId");
		json_array_foreach(subs, k, sub) {
			json_int_t v = json_is_integer(sub) ? json_integer_value(sub) :
				json_string_value(sub) ? atoi(json_string_value(sub)) : -1;

			if (v >= 0 && v <= 3)
				out->sub_ids |= 1u << v;
		}
		json_decref(dj);
		r = 0;
		break;
	}
	json_decref(root);
	return r;
}

void sbi_info_clear(struct sbi_info *info)
{
	X509_free(info->cert);
	memset(info, 0, sizeof(*info));
}

static int digital_id(const char *token, X509 *pinned, struct sbi_info *out, bool must_sign,
		char *why)
{
	char *payload = NULL;
	unsigned char *raw = NULL;
	size_t len = 0;
	json_t *j;
	int r;

	if (!token)
		return fail(why, "the device info has no digitalId");
	if (must_sign) {
		r = sbi_jws_verify(token, pinned, &payload, &len, NULL, why);
		if (r < 0) {
			char inner[SBI_WHY];

			snprintf(inner, sizeof(inner), "%s", why);
			return fail(why, "digital id: %s", inner);
		}
	} else if (sbi_b64_decode(token, strlen(token), &raw, &len) == 0) {
		payload = (char *)raw;
	}
	j = payload ? json_loadb(payload, len, 0, NULL) : NULL;
	free(payload);
	if (!json_is_object(j)) {
		json_decref(j);
		return fail(why, "the device's digital id is not JSON");
	}
	copy(out->make, sizeof(out->make), json_object_get(j, "make"));
	copy(out->model, sizeof(out->model), json_object_get(j, "model"));
	copy(out->serial, sizeof(out->serial), json_object_get(j, "serialNo"));
	json_decref(j);
	if (!out->model[0] || !out->serial[0])
		return fail(why, "the device's digital id lacks its model or serial number");
	return 0;
}

int sbi_parse_info(const char *body, size_t len, const char *device_id, X509 *pinned,
		struct sbi_info *out, char *why)
{
	json_t *root = load(body, len, why), *item, *info = NULL;
	char *payload = NULL;
	size_t i, plen = 0;
	int r = -ENOENT;

	memset(out, 0, sizeof(*out));
	if (!root)
		return -EPROTO;
	if (!json_is_array(root)) {
		json_decref(root);
		return fail(why, "the device info reply is not a JSON array");
	}
	json_array_foreach(root, i, item) {
		const char *token = json_string_value(json_object_get(item, "deviceInfo"));
		json_t *err = json_object_get(item, "error");
		unsigned char *raw = NULL;
		X509 *cert = NULL;
		json_t *j;

		if (!token)
			continue;
		free(payload);
		payload = NULL;
		if (strchr(token, '.')) {
			r = sbi_jws_verify(token, pinned, &payload, &plen, &cert, why);
			if (r < 0)
				break;
		} else if (sbi_b64_decode(token, strlen(token), &raw, &plen) == 0) {
			payload = (char *)raw;
		} else {
			continue;
		}
		j = json_loadb(payload, plen, 0, NULL);
		if (!json_is_object(j) || !json_is_string(json_object_get(j, "deviceId")) ||
				strcmp(json_string_value(json_object_get(j, "deviceId")), device_id)) {
			json_decref(j);
			X509_free(cert);
			r = -ENOENT;
			continue;
		}
		info = j;
		out->cert = cert;
		out->is_signed = cert != NULL;
		copy(out->error_code, sizeof(out->error_code), json_object_get(err, "errorCode"));
		copy(out->error_info, sizeof(out->error_info), json_object_get(err, "errorInfo"));
		r = 0;
		break;
	}
	free(payload);
	if (r == 0) {
		copy(out->status, sizeof(out->status), json_object_get(info, "deviceStatus"));
		copy(out->firmware, sizeof(out->firmware), json_object_get(info, "firmware"));
		copy(out->certification, sizeof(out->certification),
			json_object_get(info, "certification"));
		copy(out->env, sizeof(out->env), json_object_get(info, "env"));
		copy(out->purpose, sizeof(out->purpose), json_object_get(info, "purpose"));
		if (!known_status(out->status))
			r = fail(why, "the device reports an unknown status '%.40s'", out->status);
		else if (!out->is_signed && strcmp(out->status, "Not Registered") != 0)
			r = fail(why, "the device info is unsigned although the device says it is "
				"registered");
		else
			r = digital_id(json_string_value(json_object_get(info, "digitalId")),
				out->cert, out, out->is_signed, why);
	}
	json_decref(info);
	json_decref(root);
	if (r < 0) {
		X509_free(out->cert);
		out->cert = NULL;
	}
	return r;
}

/* --- registration capture ------------------------------------------------------- */

void sbi_capture_clear(struct sbi_capture *cap)
{
	for (int i = 0; i < cap->n_items; i++)
		free(cap->items[i].data);
	memset(cap, 0, sizeof(*cap));
}

static bool number(json_t *j, double *out)
{
	const char *s = json_string_value(j);
	char *end;

	if (json_is_number(j)) {
		*out = json_number_value(j);
		return true;
	}
	if (!s || !*s)
		return false;
	*out = strtod(s, &end);
	return !*end;
}

/* One signed data block of the capture reply. */
static int capture_item(json_t *entry, const struct sbi_request *req, unsigned char prev[32],
		struct sbi_capture *out, char *why)
{
	const char *token = json_string_value(json_object_get(entry, "data"));
	const char *hash = json_string_value(json_object_get(entry, "hash"));
	char *payload = NULL, hex[65];
	unsigned char cat[64], next[32];
	struct sbi_item *item;
	unsigned int n;
	size_t plen = 0;
	const char *s;
	json_t *d;
	int part, r;
	double q = 0;

	r = sbi_jws_verify(token, req->cert, &payload, &plen, NULL, why);
	if (r < 0)
		return r;
	d = json_loadb(payload, plen, 0, NULL);
	free(payload);
	if (!json_is_object(d)) {
		json_decref(d);
		return fail(why, "a signed data block of the capture is not JSON");
	}
	s = json_string_value(json_object_get(d, "bioType"));
	part = sbi_part_from_name(req->type, json_string_value(json_object_get(d, "bioSubType")));
	if (!s || strcmp(s, sbi_type_name(req->type)) != 0) {
		r = fail(why, "the device returned bioType '%.20s' for a %s capture", s ? s : "",
			sbi_type_name(req->type));
	} else if (part < 0 || !(req->parts & 1u << part)) {
		r = fail(why, "the device returned a %s that was not asked for",
			part < 0 ? "biometric of unknown bioSubType" : sbi_part_sbi_name(req->type,
				part));
	} else if (!json_is_string(json_object_get(d, "transactionId")) ||
			strcmp(json_string_value(json_object_get(d, "transactionId")),
				req->transaction_id)) {
		r = fail(why, "the device returned data of another transaction");
	} else if (!number(json_object_get(d, "qualityScore"), &q) || q < 0 || q > 100) {
		r = fail(why, "the qualityScore of %s is missing or not 0-100",
			sbi_part_sbi_name(req->type, part));
	} else if (out->n_items >= SBI_MAX_PARTS) {
		r = fail(why, "the device returned too many biometrics");
	}
	for (int i = 0; r == 0 && i < out->n_items; i++)
		if (out->items[i].part == part)
			r = fail(why, "the device returned %s twice", sbi_part_sbi_name(req->type,
				part));
	s = json_string_value(json_object_get(d, "bioValue"));
	if (r == 0 && !s)
		r = fail(why, "the data of %s has no bioValue", sbi_part_sbi_name(req->type, part));
	if (r < 0) {
		json_decref(d);
		return r;
	}
	item = &out->items[out->n_items];
	if (sbi_b64_decode(s, strlen(s), &item->data, &item->size) < 0 || !item->size) {
		json_decref(d);
		return fail(why, "the bioValue of %s is not base64url",
			sbi_part_sbi_name(req->type, part));
	}
	json_decref(d);
	item->part = part;
	item->quality = q;
	out->n_items++;
	if (item->size >= 4 && !memcmp(item->data, "FIR", 4)) {
		if (req->type != SBI_FINGER ||
				sbi_iso_finger(item->data, item->size, &item->iso_image) < 0)
			return fail(why, "the ISO record of %s is malformed",
				sbi_part_sbi_name(req->type, part));
		item->iso = true;
	}
	/* the chain: SHA-256(previous || SHA-256(data)) */
	memcpy(cat, prev, 32);
	EVP_Digest(item->data, item->size, cat + 32, &n, EVP_sha256(), NULL);
	EVP_Digest(cat, 64, next, &n, EVP_sha256(), NULL);
	sbi_hex(next, hex);
	if (!hash || strcasecmp(hash, hex) != 0)
		return fail(why, "the hash of %s breaks the chain of captures (the data was "
			"changed, or a capture is missing)", sbi_part_sbi_name(req->type, part));
	memcpy(prev, next, 32);
	return 0;
}

int sbi_parse_capture(const char *body, size_t len, const struct sbi_request *req,
		struct sbi_capture *out, char *why)
{
	json_t *root = load(body, len, why), *list, *entry;
	unsigned char prev[32];
	size_t i;
	int r = 0;

	memset(out, 0, sizeof(*out));
	if (!root)
		return -EPROTO;
	list = json_object_get(root, "biometrics");
	if (!json_is_array(list) || json_array_size(list) == 0) {
		json_decref(root);
		return fail(why, "the capture reply has no biometrics array");
	}
	memcpy(prev, req->previous_hash, 32);
	json_array_foreach(list, i, entry) {
		json_t *err = json_object_get(entry, "error");
		const char *code = json_string_value(json_object_get(err, "errorCode"));
		const char *data = json_string_value(json_object_get(entry, "data"));

		if (!json_is_object(entry)) {
			r = fail(why, "an entry of the capture reply is not an object");
			break;
		}
		if (code && strcmp(code, "0") != 0 && (!data || !*data)) {
			/* an entry without data: a finger not detected, or the whole
			 * capture refused */
			if (!strcmp(code, "101") && json_array_size(list) > 1) {
				continue;
			}
			copy(out->error_code, sizeof(out->error_code), json_object_get(err, "errorCode"));
			copy(out->error_info, sizeof(out->error_info), json_object_get(err, "errorInfo"));
			r = -EIO;
			snprintf(why, SBI_WHY, "the device refused the capture: error %.15s (%.120s)",
				out->error_code, out->error_info);
			break;
		}
		r = capture_item(entry, req, prev, out, why);
		if (r < 0)
			break;
	}
	json_decref(root);
	if (r == 0) {
		/* what was asked for and did not come: not detected */
		unsigned int got = 0;

		for (int k = 0; k < out->n_items; k++)
			got |= 1u << out->items[k].part;
		out->missing = req->parts & ~got;
		memcpy(out->last_hash, prev, 32);
		if (!out->n_items)
			r = fail(why, "the device returned no biometric at all");
	}
	if (r < 0 && r != -EIO) {
		for (int k = 0; k < out->n_items; k++)
			free(out->items[k].data);
		out->n_items = 0;
	}
	return r;
}

int sbi_fuzz_reply(const uint8_t *data, size_t size)
{
	struct sbi_discovery disc;
	struct sbi_info info;
	struct sbi_capture cap;
	/* a left slap of transaction "fuzz", the first of its chain */
	struct sbi_request req = { .type = SBI_FINGER, .transaction_id = "fuzz", .parts = 0xf };
	struct sbi_iso_image iso;
	char why[SBI_WHY];

	EVP_Digest("", 0, req.previous_hash, NULL, EVP_sha256(), NULL);
	if (sbi_iso_finger(data, size, &iso) == 0 && (iso.offset + iso.size > size || !iso.size))
		abort(); /* the image must lie inside the record */
	sbi_parse_discovery((const char *)data, size, SBI_FINGER, &disc, why);
	if (sbi_parse_info((const char *)data, size, "1", NULL, &info, why) == 0)
		sbi_info_clear(&info);
	sbi_parse_capture((const char *)data, size, &req, &cap, why);
	sbi_capture_clear(&cap);
	return 0;
}
