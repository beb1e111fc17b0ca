// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * rekam - device simulators
 *
 * central-card.c - the card side of rekam-sim-central's API: the
 * personalization data of a print_ready packet (the chip's data groups and
 * a security object signed by the document signer) and the issuance report
 * (card serial and chip UID, accepted once).
 */
#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>

#include "simulators/central-server.h"

static const char *str(json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

/* --- GET /v1/packets/{id}/personalization ----------------------------------------------- */

/* Which artifact types go into which data group, in chip order. */
static const struct {
	const char *tag;
	const char *type;
	unsigned int max;
} dg_map[] = {
	{ "DG2", "portrait", 1 },
	{ "DG3", "fingerprint", 2 },
	{ "DG4", "iris", 2 },
	{ "DG7", "signature", 1 },
};

static void add_dg(json_t *dgs, json_t *so, const char *tag, const char *type,
		const char *format, const void *data, size_t len, const char *b64)
{
	char hex[SIM_SHA256_HEX_LEN + 1];
	char *enc = NULL;

	sim_sha256_hex(data, len, hex);
	if (!b64) {
		enc = malloc(SIM_BASE64_LEN(len) + 1);
		if (!enc)
			return;
		sim_base64_encode(data, len, enc);
	}
	json_array_append_new(dgs, json_pack("{s:s,s:s,s:s,s:I,s:s,s:s}", "tag", tag, "type",
			type, "format", format, "size", (json_int_t)len, "sha256", hex, "data",
			b64 ? b64 : enc));
	json_array_append_new(so, json_pack("{s:s,s:s}", "tag", tag, "sha256", hex));
	free(enc);
}

void central_personalization(struct central *c, struct evhttp_request *req, const char *id)
{
	json_t *p = central_packet_load(c, req, id), *m = NULL, *arts = NULL, *dgs, *so, *a, *out = NULL;
	char *dg1 = NULL, *signed_text = NULL, *sig_b64 = NULL, *so_b64 = NULL;
	unsigned char *sig = NULL;
	size_t i, k, siglen;

	if (!p || !central_packet_ready(c, req, p, id))
		goto out;
	m = json_loads(str(p, "manifest"), 0, NULL);
	if (!m || central_db_artifacts(c, id, &arts) < 0) {
		central_error(req, 500, "internal", "cannot read packet %s", id);
		goto out;
	}
	dgs = json_array();
	so = json_array();
	/* DG1: the demographics, NIK first */
	{
		json_t *d = json_deep_copy(json_object_get(m, "applicant"));

		json_object_set_new(d, "nik", json_string(str(m, "nik")));
		dg1 = json_dumps(d, JSON_COMPACT | JSON_SORT_KEYS);
		json_decref(d);
	}
	if (dg1)
		add_dg(dgs, so, "DG1", "demographics", "json", dg1, strlen(dg1), NULL);
	for (k = 0; k < sizeof(dg_map) / sizeof(dg_map[0]); k++) {
		unsigned int used = 0;

		json_array_foreach(arts, i, a) {
			size_t len;

			if (used == dg_map[k].max || strcmp(str(a, "type"), dg_map[k].type) != 0)
				continue;
			len = (size_t)json_integer_value(json_object_get(a, "size"));
			json_array_append_new(dgs, json_pack("{s:s,s:s,s:s,s:I,s:s,s:s}", "tag",
					dg_map[k].tag, "type", dg_map[k].type, "format",
					str(a, "format"), "size", (json_int_t)len, "sha256",
					str(a, "sha256"), "data", str(a, "data")));
			json_array_append_new(so, json_pack("{s:s,s:s}", "tag", dg_map[k].tag,
					"sha256", str(a, "sha256")));
			used++;
		}
	}
	{
		json_t *doc = json_pack("{s:i,s:s,s:s,s:s,s:s,s:o}", "version", 1, "packet_id", id,
				"nik", str(m, "nik"), "station_id", str(p, "station_id"),
				"hash_algorithm", "sha256", "data_groups", so);

		signed_text = json_dumps(doc, JSON_COMPACT);
		json_decref(doc);
	}
	if (!signed_text || central_ds_sign(c, signed_text, strlen(signed_text), &sig,
			&siglen) < 0) {
		json_decref(dgs);
		central_error(req, 500, "internal", "cannot sign the security object");
		goto out;
	}
	so_b64 = malloc(SIM_BASE64_LEN(strlen(signed_text)) + 1);
	sig_b64 = malloc(SIM_BASE64_LEN(siglen) + 1);
	if (!so_b64 || !sig_b64) {
		json_decref(dgs);
		central_error(req, 500, "internal", "out of memory");
		goto out;
	}
	sim_base64_encode(signed_text, strlen(signed_text), so_b64);
	sim_base64_encode(sig, siglen, sig_b64);
	out = json_pack("{s:s,s:s,s:o,s:{s:s,s:s,s:s,s:s}}", "id", id, "nik", str(m, "nik"),
			"data_groups", dgs, "security_object", "algorithm", "ecdsa-p256-sha256",
			"signed_data", so_b64, "signature", sig_b64, "signer_certificate",
			c->ds_cert_pem);
	central_reply(req, 200, out);
out:
	free(dg1);
	free(signed_text);
	free(sig);
	free(so_b64);
	free(sig_b64);
	json_decref(arts);
	json_decref(m);
	json_decref(p);
}

/* --- POST /v1/packets/{id}/issuance ------------------------------------------------- */

static bool valid_serial(const char *s)
{
	size_t n = s ? strlen(s) : 0;

	return n >= 1 && n <= 32 && strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-") == n;
}

static bool valid_uid(const char *s)
{
	size_t n = s ? strlen(s) : 0;

	return (n == 8 || n == 14 || n == 20) && strspn(s, "0123456789ABCDEF") == n;
}

static json_t *issued_body(const char *id, json_t *issued)
{
	return json_pack("{s:s,s:s,s:O,s:O,s:O}", "id", id, "status", "issued", "card_serial",
			json_object_get(issued, "card_serial"), "chip_uid",
			json_object_get(issued, "chip_uid"), "issued_ms",
			json_object_get(issued, "issued_ms"));
}

void central_issuance(struct central *c, struct evhttp_request *req, const char *id)
{
	struct evbuffer *in = evhttp_request_get_input_buffer(req);
	json_t *p = central_packet_load(c, req, id), *body = NULL, *existing = NULL, *mine;
	const char *serial, *uid;
	json_error_t jerr;
	int64_t now = central_now_ms();
	int r;

	if (!p || !central_packet_ready(c, req, p, id))
		goto out;
	body = json_loadb((const char *)evbuffer_pullup(in, -1), evbuffer_get_length(in), 0,
			&jerr);
	serial = str(body, "card_serial");
	uid = str(body, "chip_uid");
	if (!body || !valid_serial(serial) || !valid_uid(uid)) {
		central_error(req, 400, "bad_request", "the body must be {\"card_serial\": 1-32 of "
				"[A-Z0-9-], \"chip_uid\": 4, 7 or 10 bytes in uppercase hex}");
		goto out;
	}
	r = central_db_issue(c, id, serial, uid, now, &existing);
	if (r == 0) {
		mine = json_pack("{s:s,s:s,s:I}", "card_serial", serial, "chip_uid", uid,
				"issued_ms", (json_int_t)now);
		sim_info("packet %s issued: card %s, chip %s", id, serial, uid);
		central_reply(req, 200, issued_body(id, mine));
		json_decref(mine);
	} else if (r == -EEXIST && strcmp(str(existing, "card_serial"), serial) == 0 &&
			strcmp(str(existing, "chip_uid"), uid) == 0) {
		central_reply(req, 200, issued_body(id, existing));
	} else if (r == -EEXIST) {
		central_error(req, 409, "already_issued", "packet %s was issued as card %s, chip "
				"%s", id, str(existing, "card_serial"), str(existing, "chip_uid"));
	} else {
		central_error(req, 500, "internal", "database error");
	}
out:
	json_decref(existing);
	json_decref(body);
	json_decref(p);
}
