// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * rekam - device simulators
 *
 * biometric-sbi.c - the SBI requests of rekam-sim-biometric (MOSIP SBI /
 * MDS 0.9.5, "Registration" devices, certification L0): device discovery
 * (MOSIPDISC /device), device info (MOSIPDINFO /info, signed), and
 * registration capture (RCAPTURE /capture): one JWS-signed data block per
 * finger or eye with a PNG bioValue (for fingers optionally wrapped in an
 * ISO/IEC 19794-4:2011 record, --bio-format iso) and a quality score, chained by
 * hash = SHA-256(previous hash bytes || SHA-256(bioValue bytes)), upper-case
 * hex, starting from the SHA-256 of the empty string. POST (and GET for
 * discovery and info) are accepted on the same paths for clients that cannot
 * send other verbs.
 */
#include <config.h>

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "simulators/biometric.h"

const char *const bio_finger_names[BIO_N_FINGERS] = {
	"Left IndexFinger", "Left MiddleFinger", "Left RingFinger", "Left LittleFinger",
	"Right IndexFinger", "Right MiddleFinger", "Right RingFinger", "Right LittleFinger",
	"Left Thumb", "Right Thumb",
};

static const char *const iris_names[2] = { "Left", "Right" };

struct device_desc {
	const char *id, *type, *sub_type, *serial, *model;
};

static const struct device_desc devices[BIO_N_DEVICES] = {
	[BIO_DEV_FINGER] = { "1", "Finger", "Slap", "RKSLAP44200001", "REKAM-SIM-SLAP-442" },
	[BIO_DEV_IRIS] = { "2", "Iris", "Double", "RKIRIS02000001", "REKAM-SIM-IRIS-2" },
};

/* --- small helpers -------------------------------------------------------------- */

static void iso_now(char buf[32])
{
	time_t now = time(NULL);
	struct tm tm;

	gmtime_r(&now, &tm);
	strftime(buf, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static void reply_json(struct bio_conn *c, int code, json_t *j)
{
	bio_http_reply(c, code, j ? json_dumps(j, JSON_COMPACT) : NULL);
	json_decref(j);
}

static const char *status_of(struct bio *b, const char **code, const char **info)
{
	if (b->not_registered) {
		*code = "100";
		*info = "Device not registered";
		return "Not Registered";
	}
	if (b->not_ready) {
		*code = "110";
		*info = "Device is not ready";
		return "Not Ready";
	}
	if (b->busy || b->capturing) {
		*code = "111";
		*info = "Device is Busy";
		return "Busy";
	}
	*code = "0";
	*info = "Success";
	return "Ready";
}

static json_t *digital_id_json(enum bio_device d)
{
	char now[32];

	iso_now(now);
	return json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "serialNo", devices[d].serial,
		"make", "rekam", "model", devices[d].model, "type", devices[d].type,
		"deviceSubType", devices[d].sub_type, "deviceProvider", "rekam test devices",
		"deviceProviderId", "REKAM", "dateTime", now);
}

/* The digital id signed (registered) or as base64url of its payload. */
static char *digital_id(struct bio *b, enum bio_device d, bool sign)
{
	json_t *j = digital_id_json(d);
	char *text = j ? json_dumps(j, JSON_COMPACT) : NULL, *out = NULL;

	if (text)
		out = sign ? bio_jws_sign(b, text) : bio_b64url(text, strlen(text));
	free(text);
	json_decref(j);
	return out;
}

static json_t *error_obj(const char *code, const char *info)
{
	return json_pack("{s:s,s:s}", "errorCode", code, "errorInfo", info);
}

static char *callback_id(struct bio *b)
{
	char *s = NULL;

	if (asprintf(&s, "http://127.0.0.1:%u/", b->port) < 0)
		return NULL;
	return s;
}

/* --- discovery and info -------------------------------------------------------- */

static bool type_matches(const char *want, enum bio_device d)
{
	return !want || !strcmp(want, "Biometric Device") || !strcmp(want, devices[d].type);
}

/* The "type" of a discovery request body, NULL for any; -EINVAL for a bad body. */
static int request_type(const char *body, size_t len, const char **type, json_t **root)
{
	json_error_t jerr;

	*type = NULL;
	*root = NULL;
	if (len == 0)
		return 0;
	*root = json_loadb(body, len, 0, &jerr);
	if (!*root || !json_is_object(*root))
		return -EINVAL;
	*type = json_string_value(json_object_get(*root, "type"));
	if (json_object_get(*root, "type") && !*type)
		return -EINVAL;
	if (*type && strcmp(*type, "Biometric Device") && strcmp(*type, "Finger") &&
			strcmp(*type, "Iris") && strcmp(*type, "Face"))
		return -EINVAL;
	return 0;
}

static void discover(struct bio_conn *c, const char *body, size_t len)
{
	struct bio *b = bio_conn_bio(c);
	const char *type, *code, *info, *status;
	json_t *root, *arr = json_array();
	int r = request_type(body, len, &type, &root);

	if (r < 0) {
		json_decref(root);
		json_decref(arr);
		reply_json(c, 400, json_pack("{s:o}", "error", error_obj("500",
			"The discovery request must be a JSON object like {\"type\": \"Finger\"} "
			"with type Biometric Device, Finger, Iris or Face")));
		return;
	}
	status = status_of(b, &code, &info);
	for (int d = 0; d < BIO_N_DEVICES; d++) {
		char *did, *cb;

		if (!b->enabled[d] || !type_matches(type, d))
			continue;
		did = digital_id(b, d, false);
		cb = callback_id(b);
		json_array_append_new(arr, json_pack("{s:s,s:s,s:s,s:s,s:[i,i,i],s:s?,s:s?,s:s,"
			"s:[s],s:s,s:o}", "deviceId", devices[d].id, "deviceStatus", status,
			"certification", "L0", "serviceVersion", BIO_SERVICE_VERSION,
			"deviceSubId", 1, 2, 3, "callbackId", cb, "digitalId", did,
			"deviceCode", devices[d].serial, "specVersion", BIO_SPEC_VERSION,
			"purpose", b->not_registered ? "" : "Registration",
			"error", error_obj(code, info)));
		free(did);
		free(cb);
	}
	json_decref(root);
	reply_json(c, 200, arr);
}

static void device_info(struct bio_conn *c, const char *body, size_t len)
{
	struct bio *b = bio_conn_bio(c);
	const char *type, *code, *info, *status;
	json_t *root, *arr = json_array();
	bool sign;

	if (request_type(body, len, &type, &root) < 0)
		type = NULL; /* the info request has no body: ignore what came */
	status = status_of(b, &code, &info);
	sign = !b->not_registered;
	for (int d = 0; d < BIO_N_DEVICES; d++) {
		char *did, *cb, *text, *token;
		json_t *j;

		if (!b->enabled[d] || !type_matches(type, d))
			continue;
		did = digital_id(b, d, sign);
		cb = callback_id(b);
		j = json_pack("{s:s,s:s,s:s,s:s,s:s,s:[i,i,i],s:s?,s:s?,s:s,s:s,s:s,s:[s]}",
			"deviceStatus", status, "deviceId", devices[d].id,
			"firmware", BIO_SERVICE_VERSION, "certification", "L0",
			"serviceVersion", BIO_SERVICE_VERSION, "deviceSubId", 1, 2, 3,
			"callbackId", cb, "digitalId", did, "deviceCode", devices[d].serial,
			"env", sign ? "Developer" : "None", "purpose", sign ? "Registration" : "",
			"specVersion", BIO_SPEC_VERSION);
		text = j ? json_dumps(j, JSON_COMPACT) : NULL;
		token = !text ? NULL : sign ? bio_jws_sign(b, text) : bio_b64url(text, strlen(text));
		json_array_append_new(arr, json_pack("{s:s?,s:o}", "deviceInfo", token,
			"error", error_obj(code, info)));
		free(token);
		free(text);
		json_decref(j);
		free(did);
		free(cb);
	}
	json_decref(root);
	reply_json(c, 200, arr);
}

/* --- registration capture ------------------------------------------------------- */

static void capture_error(struct bio_conn *c, const char *code, const char *info)
{
	sim_debug("capture refused: %s %s", code, info);
	reply_json(c, 200, json_pack("{s:[{s:s,s:s,s:s,s:o}]}", "biometrics", "specVersion",
		BIO_SPEC_VERSION, "data", "", "hash", "", "error", error_obj(code, info)));
}

/* A number or a string holding one (SBI clients send both). */
static bool number_of(json_t *j, double lo, double hi, double *out)
{
	const char *s = json_string_value(j);
	char *end;

	if (json_is_number(j)) {
		*out = json_number_value(j);
	} else if (s && *s) {
		errno = 0;
		*out = strtod(s, &end);
		if (errno || *end)
			return false;
	} else {
		return false;
	}
	return *out >= lo && *out <= hi;
}

static bool valid_transaction_id(const char *s)
{
	size_t n = s ? strlen(s) : 0;

	if (n < 4 || n > 50)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '-')
			return false;
	return true;
}

static bool valid_hash(const char *s)
{
	if (!*s)
		return true;
	if (strlen(s) != 64)
		return false;
	for (int i = 0; i < 64; i++)
		if (!isxdigit((unsigned char)s[i]))
			return false;
	return true;
}

/* The fingers (indexes into bio_finger_names) or eyes (0 left, 1 right) of a sub-id. */
static int parts_of(enum bio_device d, int sub, int parts[4])
{
	static const int slaps[3][4] = { { 0, 1, 2, 3 }, { 4, 5, 6, 7 }, { 8, 9 } };

	if (d == BIO_DEV_FINGER) {
		int n = sub == 3 ? 2 : 4;

		memcpy(parts, slaps[sub - 1], sizeof(int) * (size_t)n);
		return n;
	}
	if (sub == 3) {
		parts[0] = 0;
		parts[1] = 1;
		return 2;
	}
	parts[0] = sub - 1;
	return 1;
}

static const char *part_name(enum bio_device d, int part)
{
	return d == BIO_DEV_FINGER ? bio_finger_names[part] : iris_names[part];
}

static int part_index(enum bio_device d, const char *name)
{
	int n = d == BIO_DEV_FINGER ? BIO_N_FINGERS : 2;

	for (int i = 0; i < n; i++)
		if (!strcmp(name, part_name(d, i)))
			return i;
	return -1;
}

static void capture_done(struct bio_conn *c);

static void capture(struct bio_conn *c, const char *body, size_t len)
{
	struct bio *b = bio_conn_bio(c);
	json_t *root, *bio, *exc, *item;
	const char *type, *tid, *prev, *purpose, *code, *info;
	double count, sub, score, timeout = 40000;
	int parts[4], n, d, excluded = 0, exc_mask = 0;
	json_error_t jerr;
	size_t i;
	struct timeval tv;
	uint64_t ms;

	root = json_loadb(body, len, 0, &jerr);
	bio = json_array_get(json_object_get(root, "bio"), 0);
	if (!json_is_object(root) || !json_is_object(bio) ||
			json_array_size(json_object_get(root, "bio")) != 1) {
		json_decref(root);
		capture_error(c, "500", "The capture request must be a JSON object with a bio "
			"array of one item");
		return;
	}
	status_of(b, &code, &info);
	if (strcmp(code, "0") != 0) {
		json_decref(root);
		capture_error(c, code, info);
		return;
	}
	{
		char failure[16];

		if (sim_take_failure(b->sim, failure, sizeof(failure))) {
			json_decref(root);
			capture_error(c, failure, "Injected failure");
			return;
		}
	}
	type = json_string_value(json_object_get(bio, "type"));
	d = type && !strcmp(type, "Finger") ? BIO_DEV_FINGER :
		type && !strcmp(type, "Iris") ? BIO_DEV_IRIS : -1;
	purpose = json_string_value(json_object_get(root, "purpose"));
	tid = json_string_value(json_object_get(root, "transactionId"));
	prev = json_string_value(json_object_get(bio, "previousHash"));
	exc = json_object_get(bio, "exception");
	if (d < 0 || !b->enabled[d] || !json_is_string(json_object_get(bio, "deviceId")) ||
			strcmp(json_string_value(json_object_get(bio, "deviceId")), devices[d].id)) {
		capture_error(c, "106", "Device not found");
	} else if (!purpose || strcmp(purpose, "Registration") != 0) {
		capture_error(c, "500", "This device service captures for Registration only");
	} else if (!valid_transaction_id(tid)) {
		capture_error(c, "112", "Invalid Transaction ID");
	} else if (!number_of(json_object_get(bio, "deviceSubId"), 1, 3, &sub) ||
			sub != (int)sub) {
		capture_error(c, "500", "deviceSubId must be 1, 2 or 3");
	} else if (!number_of(json_object_get(bio, "requestedScore"), 0, 100, &score)) {
		capture_error(c, "500", "requestedScore must be a number from 0 to 100");
	} else if (json_object_get(root, "timeout") &&
			!number_of(json_object_get(root, "timeout"), 1, 600000, &timeout)) {
		capture_error(c, "500", "timeout must be a number of milliseconds");
	} else if (!prev || !valid_hash(prev)) {
		capture_error(c, "500", "previousHash must be empty or 64 hex digits");
	} else if (exc && !json_is_array(exc)) {
		capture_error(c, "500", "exception must be an array of names");
	} else {
		n = parts_of(d, (int)sub, parts);
		json_array_foreach(exc, i, item) {
			int p = json_is_string(item) ? part_index(d, json_string_value(item)) : -1;

			if (p < 0) {
				capture_error(c, "500", "exception names an unknown finger or eye");
				json_decref(root);
				return;
			}
			for (int k = 0; k < n; k++)
				if (parts[k] == p && !(exc_mask & 1 << p)) {
					exc_mask |= 1 << p;
					excluded++;
				}
		}
		if (!number_of(json_object_get(bio, "count"), 0, 10, &count) ||
				(int)count != n - excluded) {
			capture_error(c, "109", "Requested number of biometric (Finger/IRIS) not "
				"supported");
		} else if (n == excluded) {
			capture_error(c, "109", "Every finger or eye of this sub-id is an exception");
		} else {
			json_object_set_new(root, "rekam-device", json_integer(d));
			json_object_set_new(root, "rekam-exceptions", json_integer(exc_mask));
			json_object_set_new(root, "rekam-score", json_real(score));
			json_object_set_new(root, "rekam-sub", json_integer((int)sub));
			bio_conn_set_job(c, root);
			b->capturing = c;
			ms = BIO_CAPTURE_MS + b->slow_ms;
			sim_scaled_tv(b->sim, ms, &tv);
			if (timeout < (double)ms && b->slow_ms == 0)
				sim_scaled_tv(b->sim, (uint64_t)timeout, &tv);
			/* the common delay fault: real milliseconds on top */
			tv.tv_sec += sim_reply_delay_ms(b->sim) / 1000;
			tv.tv_usec += (suseconds_t)(sim_reply_delay_ms(b->sim) % 1000) * 1000;
			if (tv.tv_usec >= 1000000) {
				tv.tv_sec++;
				tv.tv_usec -= 1000000;
			}
			if (bio_conn_defer(c, &tv, capture_done) < 0) {
				b->capturing = NULL;
				capture_error(c, "102", "Technical error during extraction");
			}
			sim_debug("capturing %s sub-id %d for %s", devices[d].type, (int)sub, tid);
			return;
		}
	}
	json_decref(root);
}

static int score_of(struct bio *b, enum bio_device d, int part)
{
	struct sim_rng rng;
	int set = d == BIO_DEV_FINGER ? b->finger_score[part] : b->iris_score[part];
	int base;

	if (b->low_quality)
		return (int)sim_rng_range(sim_rng(b->sim), 10, 30);
	if (set >= 0)
		return set;
	/* the applicant's own score: the same at every capture, so that the
	 * same applicant gives the same image bytes (the central simulator finds
	 * duplicates by them) */
	sim_rng_seed(&rng, sim_seed(b->sim) * 31u + (uint64_t)(d * 16 + part));
	base = (int)sim_rng_range(&rng, 62, 92);
	base = base * sim_quality(b->sim) / 100;
	return base < 0 ? 0 : base > 100 ? 100 : base;
}

/* hash = upper-hex SHA-256(previous hash bytes || SHA-256(data)). */
static void chain(unsigned char prev[32], const void *data, size_t len, char hex[65])
{
	unsigned char cat[64];
	unsigned int n = 0;

	memcpy(cat, prev, 32);
	EVP_Digest(data, len, cat + 32, &n, EVP_sha256(), NULL);
	EVP_Digest(cat, 64, prev, &n, EVP_sha256(), NULL);
	for (int i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02X", prev[i]);
}

static void hex_to_bytes(const char *hex, unsigned char out[32])
{
	unsigned int n = 0;

	if (!*hex) {
		EVP_Digest("", 0, out, &n, EVP_sha256(), NULL);
		return;
	}
	for (int i = 0; i < 32; i++) {
		unsigned int v;

		sscanf(hex + 2 * i, "%2x", &v);
		out[i] = (unsigned char)v;
	}
}

static void put16(uint8_t *p, unsigned int v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, v >> 16);
	put16(p + 2, v & 0xffff);
}

/* The PNG of a finger wrapped in an ISO/IEC 19794-4:2011 finger image record
 * (FIR): one representation, one quality block, compression 6 (PNG), 500 ppi. */
static uint8_t *iso_finger(const uint8_t *png, size_t len, int part, int quality, size_t *out)
{
	/* ISO finger positions of our parts (left index ... right thumb) */
	static const uint8_t position[BIO_N_FINGERS] = { 7, 8, 9, 10, 2, 3, 4, 5, 6, 1 };
	size_t rlen = 46 + len, total = 16 + rlen;
	uint8_t *r = calloc(1, total), *p;
	time_t now = time(NULL);
	struct tm tm;

	if (!r)
		return NULL;
	gmtime_r(&now, &tm);
	memcpy(r, "FIR\0" "020\0", 8);
	put32(r + 8, (uint32_t)total);
	put16(r + 12, 1); /* representations */
	r[14] = 0;        /* no certification blocks */
	r[15] = 1;        /* fingers present */
	p = r + 16;
	put32(p, (uint32_t)rlen);
	put16(p + 4, (unsigned int)tm.tm_year + 1900);
	p[6] = (uint8_t)(tm.tm_mon + 1);
	p[7] = (uint8_t)tm.tm_mday;
	p[8] = (uint8_t)tm.tm_hour;
	p[9] = (uint8_t)tm.tm_min;
	p[10] = (uint8_t)tm.tm_sec;
	put16(p + 11, 0xffff); /* milliseconds unknown */
	/* p[13] technology, p[14..17] vendor and type: 0, unspecified */
	p[18] = 1;                 /* one quality block */
	p[19] = (uint8_t)quality;  /* score; algorithm vendor and id 0 */
	p += 24;
	p[0] = position[part];
	p[1] = 0;        /* representation number */
	p[2] = 1;        /* scale units: pixels per inch */
	put16(p + 3, BIO_FINGER_PPI);
	put16(p + 5, BIO_FINGER_PPI);
	put16(p + 7, BIO_FINGER_PPI);
	put16(p + 9, BIO_FINGER_PPI);
	p[11] = 8;       /* bit depth */
	p[12] = 6;       /* compression: PNG */
	p[13] = 0;       /* impression: live-scan plain */
	put16(p + 14, BIO_FINGER_W);
	put16(p + 16, BIO_FINGER_H);
	put32(p + 18, (uint32_t)len);
	memcpy(p + 22, png, len);
	*out = total;
	return r;
}

/* One data block: signed, tampered or unsigned as the faults say. */
static char *data_block(struct bio *b, json_t *data)
{
	char *text = json_dumps(data, JSON_COMPACT), *token = NULL;

	if (!text)
		return NULL;
	if (b->unsigned_reply) {
		token = bio_b64url(text, strlen(text));
	} else {
		token = bio_jws_sign(b, text);
		if (token && b->bad_signature) {
			/* change the score after signing: the signature no longer fits */
			char *dot1 = strchr(token, '.'), *dot2 = dot1 ? strchr(dot1 + 1, '.') : NULL;
			char *tampered, *p64, *out = NULL;

			json_object_set_new(data, "qualityScore", json_real(100));
			tampered = json_dumps(data, JSON_COMPACT);
			p64 = tampered ? bio_b64url(tampered, strlen(tampered)) : NULL;
			if (dot1 && dot2 && p64 && asprintf(&out, "%.*s.%s%s", (int)(dot1 - token),
					token, p64, dot2) < 0)
				out = NULL;
			free(tampered);
			free(p64);
			free(token);
			token = out;
		}
	}
	free(text);
	return token;
}

static void capture_done(struct bio_conn *c)
{
	struct bio *b = bio_conn_bio(c);
	json_t *job = bio_conn_job(c), *bio = json_array_get(json_object_get(job, "bio"), 0);
	enum bio_device d = (enum bio_device)json_integer_value(json_object_get(job, "rekam-device"));
	int exc = (int)json_integer_value(json_object_get(job, "rekam-exceptions"));
	int sub = (int)json_integer_value(json_object_get(job, "rekam-sub"));
	double requested = json_real_value(json_object_get(job, "rekam-score"));
	const char *tid = json_string_value(json_object_get(job, "transactionId"));
	const char *env = json_string_value(json_object_get(job, "env"));
	json_t *list = json_array();
	unsigned char prev[32];
	int parts[4], n = parts_of(d, sub, parts);
	char now[32], *did = digital_id(b, d, true);

	b->capturing = NULL;
	b->captures++;
	iso_now(now);
	hex_to_bytes(json_string_value(json_object_get(bio, "previousHash")), prev);
	for (int k = 0; k < n; k++) {
		int p = parts[k], q;
		uint8_t *png = NULL;
		size_t png_len = 0;
		char hex[65], *value, *token;
		json_t *data;

		if (exc & 1 << p)
			continue;
		if (d == BIO_DEV_FINGER && b->missing[p]) {
			json_array_append_new(list, json_pack("{s:s,s:s,s:s,s:o}", "specVersion",
				BIO_SPEC_VERSION, "data", "", "hash", "", "error",
				error_obj("101", "Unable to detect a biometric object")));
			continue;
		}
		q = score_of(b, d, p);
		if ((d == BIO_DEV_FINGER ? bio_image_finger(sim_seed(b->sim), p, q, &png, &png_len) :
				bio_image_iris(sim_seed(b->sim), p, q, &png, &png_len)) < 0)
			continue;
		if (d == BIO_DEV_FINGER && b->iso) {
			size_t iso_len = 0;
			uint8_t *iso = iso_finger(png, png_len, p, q, &iso_len);

			free(png);
			png = iso;
			png_len = iso_len;
			if (!png)
				continue;
		}
		chain(prev, png, png_len, hex);
		value = bio_b64url(png, png_len);
		free(png);
		data = json_pack("{s:s?,s:s,s:s,s:s,s:s,s:s,s:s,s:s?,s:s?,s:s,s:f,s:f}",
			"digitalId", did, "bioType", devices[d].type, "deviceCode", devices[d].serial,
			"deviceServiceVersion", BIO_SERVICE_VERSION, "bioSubType", part_name(d, p),
			"purpose", "Registration", "env", env ? env : "Developer", "bioValue", value,
			"transactionId", tid, "timestamp", now, "requestedScore", requested,
			"qualityScore", (double)q);
		free(value);
		token = data ? data_block(b, data) : NULL;
		json_array_append_new(list, json_pack("{s:s,s:s?,s:s,s:o}", "specVersion",
			BIO_SPEC_VERSION, "data", token, "hash", hex, "error",
			error_obj("0", "Success")));
		free(token);
		json_decref(data);
	}
	free(did);
	if (b->low_quality)
		b->low_quality--;
	if (b->bad_signature)
		b->bad_signature--;
	if (b->unsigned_reply)
		b->unsigned_reply--;
	reply_json(c, 200, json_pack("{s:o}", "biometrics", list));
}

void bio_sbi_abandoned(struct bio *b, struct bio_conn *c)
{
	sim_info("the client left during a capture: it is abandoned");
	b->capturing = NULL;
}

void bio_sbi_request(struct bio_conn *c, const char *method, const char *path, const char *body,
		size_t len)
{
	struct bio *b = bio_conn_bio(c);
	bool get = !strcmp(method, "GET"), post = !strcmp(method, "POST");

	if (b->drop) {
		b->drop--;
		bio_http_drop(c);
		return;
	}
	if (!strcmp(path, "/device") || !strcmp(path, "/device/")) {
		if (!strcmp(method, "MOSIPDISC") || get || post)
			discover(c, body, len);
		else
			reply_json(c, 405, json_pack("{s:o}", "error", error_obj("500",
				"use MOSIPDISC on /device")));
	} else if (!strcmp(path, "/info") || !strcmp(path, "/info/")) {
		if (!strcmp(method, "MOSIPDINFO") || get || post)
			device_info(c, body, len);
		else
			reply_json(c, 405, json_pack("{s:o}", "error", error_obj("500",
				"use MOSIPDINFO on /info")));
	} else if (!strcmp(path, "/capture") || !strcmp(path, "/capture/")) {
		if (!strcmp(method, "RCAPTURE") || post)
			capture(c, body, len);
		else if (!strcmp(method, "CAPTURE"))
			capture_error(c, "500", "This is a registration device: use RCAPTURE "
				"(authentication CAPTURE is not supported)");
		else
			reply_json(c, 405, json_pack("{s:o}", "error", error_obj("500",
				"use RCAPTURE on /capture")));
	} else {
		reply_json(c, 404, json_pack("{s:o}", "error", error_obj("500",
			"no such SBI endpoint: use /device, /info or /capture")));
	}
}
