// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * rekam - device simulators
 *
 * central-api.c - the /v1 routes of rekam-sim-central (docs/central-api.md):
 * submit a packet (multipart/form-data: manifest, signature, one part per
 * artifact), its status, its personalization data with a security object
 * signed by the document signer, and the issuance report.
 */
#include <config.h>

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/keyvalq_struct.h>

#include "simulators/central-server.h"

#define PARTS_MAX 64

struct part {
	char name[64];
	const unsigned char *data;
	size_t len;
};

/* --- multipart/form-data ------------------------------------------------------------ */

static int boundary_of(const char *type, char *out, size_t len)
{
	const char *p;
	size_t n;

	if (!type || strncasecmp(type, "multipart/form-data", 19) != 0)
		return -EINVAL;
	p = strcasestr(type, "boundary=");
	if (!p)
		return -EINVAL;
	p += 9;
	if (*p == '"') {
		p++;
		n = strcspn(p, "\"");
	} else {
		n = strcspn(p, "; \t");
	}
	if (n == 0 || n > 70 || n + 5 > len)
		return -EINVAL;
	snprintf(out, len, "\r\n--%.*s", (int)n, p);
	return 0;
}

static int part_name(const unsigned char *h, size_t hlen, char *name, size_t len)
{
	const char *end = (const char *)h + hlen, *p = (const char *)h, *q;

	while (p < end) {
		const char *eol = memmem(p, (size_t)(end - p), "\r\n", 2);
		size_t l = eol ? (size_t)(eol - p) : (size_t)(end - p);

		if (l > 20 && strncasecmp(p, "Content-Disposition:", 20) == 0) {
			q = memmem(p, l, "name=\"", 6);
			while (q && q > p && q[-1] != ' ' && q[-1] != ';')
				q = memmem(q + 1, l - (size_t)(q + 1 - p), "name=\"", 6);
			if (!q)
				return -EINVAL;
			q += 6;
			l -= (size_t)(q - p);
			p = memchr(q, '"', l);
			if (!p || p == q || (size_t)(p - q) >= len)
				return -EINVAL;
			memcpy(name, q, (size_t)(p - q));
			name[p - q] = '\0';
			return 0;
		}
		p += l + 2;
	}
	return -EINVAL;
}

/* Split body into parts; 0 or -EINVAL with a message in err. */
static int parse_multipart(const char *type, const unsigned char *body, size_t len,
		struct part *parts, size_t *n, char *err, size_t errlen)
{
	char delim[80];
	size_t dlen, pos;
	const unsigned char *p;

	*n = 0;
	if (boundary_of(type, delim, sizeof(delim)) < 0) {
		snprintf(err, errlen, "Content-Type must be multipart/form-data with a boundary");
		return -EINVAL;
	}
	dlen = strlen(delim);
	/* the first delimiter may open the body without its CRLF */
	if (len >= dlen - 2 && memcmp(body, delim + 2, dlen - 2) == 0) {
		pos = dlen - 2;
	} else {
		p = memmem(body, len, delim, dlen);
		if (!p)
			goto bad;
		pos = (size_t)(p - body) + dlen;
	}
	for (;;) {
		const unsigned char *hend, *next;

		if (len - pos >= 2 && memcmp(body + pos, "--", 2) == 0)
			return *n ? 0 : -EINVAL;
		while (pos < len && (body[pos] == ' ' || body[pos] == '\t'))
			pos++;
		if (len - pos < 2 || memcmp(body + pos, "\r\n", 2) != 0)
			goto bad;
		pos += 2;
		hend = memmem(body + pos, len - pos, "\r\n\r\n", 4);
		if (!hend)
			goto bad;
		if (*n == PARTS_MAX) {
			snprintf(err, errlen, "more than %d parts", PARTS_MAX);
			return -EINVAL;
		}
		if (part_name(body + pos, (size_t)(hend - body) - pos, parts[*n].name,
				sizeof(parts[*n].name)) < 0) {
			snprintf(err, errlen, "part %zu has no form-data name", *n + 1);
			return -EINVAL;
		}
		pos = (size_t)(hend - body) + 4;
		next = memmem(body + pos, len - pos, delim, dlen);
		if (!next)
			goto bad;
		parts[*n].data = body + pos;
		parts[*n].len = (size_t)(next - body) - pos;
		(*n)++;
		pos = (size_t)(next - body) + dlen;
	}
bad:
	snprintf(err, errlen, "malformed multipart/form-data body");
	return -EINVAL;
}

static const struct part *find_part(const struct part *parts, size_t n, const char *name)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(parts[i].name, name) == 0)
			return &parts[i];
	return NULL;
}

/* --- validation ------------------------------------------------------------------ */

static bool is_uuid(const char *s, char *lower)
{
	size_t i;

	if (!s || strlen(s) != 36)
		return false;
	for (i = 0; i < 36; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return false;
		} else if (!isxdigit((unsigned char)s[i])) {
			return false;
		}
		lower[i] = (char)tolower((unsigned char)s[i]);
	}
	lower[36] = '\0';
	return true;
}

static bool all_of(const char *s, size_t min, size_t max, const char *set)
{
	size_t n = s ? strlen(s) : 0;

	return s && n >= min && n <= max && strspn(s, set) == n;
}

#define DIGITS "0123456789"
#define HEX "0123456789abcdef"
#define TOKEN "abcdefghijklmnopqrstuvwxyz0123456789-_."

static const char *str(json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

/* Check the manifest's shape; NULL when fine, else what is wrong. */
static const char *check_manifest(json_t *m, char *id)
{
	json_t *arts = json_object_get(m, "artifacts"), *a, *enc;
	size_t i, j;

	if (!json_is_object(m))
		return "the manifest is not a JSON object";
	if (json_integer_value(json_object_get(m, "version")) != 1)
		return "version must be 1";
	if (!is_uuid(str(m, "packet_id"), id))
		return "packet_id must be a UUID";
	if (!all_of(str(m, "station_id"), 1, 64, TOKEN "ABCDEFGHIJKLMNOPQRSTUVWXYZ"))
		return "station_id must be 1-64 letters, digits, '-', '_' or '.'";
	if (!all_of(str(m, "nik"), 16, 16, DIGITS))
		return "nik must be 16 digits";
	if (!json_is_object(json_object_get(m, "applicant")) ||
			!str(json_object_get(m, "applicant"), "name"))
		return "applicant must be an object with a name";
	if (!json_is_object(json_object_get(m, "sop")))
		return "sop must be an object of step timestamps";
	if (!json_is_array(arts) || json_array_size(arts) == 0 ||
			json_array_size(arts) > PARTS_MAX - 2)
		return "artifacts must be a non-empty array";
	json_array_foreach(arts, i, a) {
		const char *name = str(a, "name");

		if (!all_of(name, 1, 63, TOKEN) || strcmp(name, "manifest") == 0 ||
				strcmp(name, "signature") == 0)
			return "an artifact name must be 1-63 of [a-z0-9._-], not manifest or "
				"signature";
		if (!all_of(str(a, "type"), 1, 32, TOKEN) || !all_of(str(a, "format"), 1, 64,
				TOKEN "/+"))
			return "an artifact needs a type and a format";
		if (!json_is_integer(json_object_get(a, "size")) ||
				json_integer_value(json_object_get(a, "size")) < 0)
			return "an artifact size must be a non-negative integer";
		if (!all_of(str(a, "sha256"), 64, 64, HEX))
			return "an artifact sha256 must be 64 lowercase hex digits";
		for (j = 0; j < i; j++)
			if (strcmp(name, str(json_array_get(arts, j), "name")) == 0)
				return "two artifacts have the same name";
	}
	enc = json_object_get(m, "encryption");
	if (enc && !(json_is_string(enc) && strcmp(json_string_value(enc), "none") == 0) &&
			!central_encryption_valid(enc, arts))
		return "encryption must be \"none\" or an object with scheme, key_wrap, "
			"recipient, ephemeral_public_key and wrapped_key, and every artifact then "
			"needs a nonce and a tag";
	return NULL;
}

/* Verify what the packet claims: fills p->verdict and p->reason. */
static void verify(struct central *c, struct central_packet *p, SSL *ssl, const char *cn,
		const char *station, const struct part *sig, json_t *m)
{
	json_t *arts = json_object_get(m, "artifacts"), *enc = json_object_get(m, "encryption");
	json_t *a;
	size_t i;

	p->verdict = "rejected";
	if (strcmp(cn, station) != 0) {
		snprintf(p->reason, sizeof(p->reason), "station_id %s does not match the client "
				"certificate (%s)", station, cn);
		return;
	}
	if (central_peer_verify(ssl, p->manifest, p->manifest_len, sig->data, sig->len) < 0) {
		snprintf(p->reason, sizeof(p->reason), "the manifest signature does not verify "
				"with the station certificate");
		return;
	}
	json_array_foreach(arts, i, a) {
		if ((json_int_t)p->artifacts[i].len != json_integer_value(json_object_get(a,
				"size"))) {
			snprintf(p->reason, sizeof(p->reason), "artifact %s: size mismatch",
					p->artifacts[i].name);
			return;
		}
		if (strcmp(p->artifacts[i].sha256, str(a, "sha256")) != 0) {
			snprintf(p->reason, sizeof(p->reason), "artifact %s: sha256 mismatch",
					p->artifacts[i].name);
			return;
		}
	}
	/* the signed hashes are of what came; the plain bytes are what counts now */
	if (json_is_object(enc) && central_decrypt(c, p, enc, arts) < 0)
		return;
	p->verdict = "print_ready";
}

/* --- POST /v1/packets -------------------------------------------------------------- */

static void reply_stored(struct evhttp_request *req, const char *answer, const char *id)
{
	char loc[64];

	snprintf(loc, sizeof(loc), "/v1/packets/%s", id);
	evhttp_add_header(evhttp_request_get_output_headers(req), "Location", loc);
	central_reply(req, 202, json_loads(answer, 0, NULL));
}

static void submit(struct central *c, struct evhttp_request *req)
{
	struct evbuffer *in = evhttp_request_get_input_buffer(req);
	size_t len = evbuffer_get_length(in), n, i;
	unsigned char *body = evbuffer_pullup(in, -1);
	struct part parts[PARTS_MAX];
	const struct part *mpart, *sig;
	struct central_packet p = { .verdict = NULL };
	char err[256], cn[128], *old_station = NULL, *old_sha = NULL, *answer = NULL;
	json_t *m = NULL, *arts, *a, *ans;
	const char *why;
	json_error_t jerr;
	int64_t now = central_now_ms();
	int r;

	if (central_peer_cn(central_request_ssl(req), cn, sizeof(cn)) < 0) {
		central_error(req, 403, "no_client_certificate", "a station certificate is needed");
		return;
	}
	if (parse_multipart(evhttp_find_header(evhttp_request_get_input_headers(req),
			"Content-Type"), body, len, parts, &n, err, sizeof(err)) < 0) {
		central_error(req, 400, "bad_request", "%s", err);
		return;
	}
	mpart = find_part(parts, n, "manifest");
	sig = find_part(parts, n, "signature");
	if (!mpart || !sig) {
		central_error(req, 400, "bad_request", "the manifest and signature parts are "
				"required");
		return;
	}
	m = json_loadb((const char *)mpart->data, mpart->len, JSON_REJECT_DUPLICATES, &jerr);
	if (!m) {
		central_error(req, 400, "bad_manifest", "manifest: %s (line %d)", jerr.text,
				jerr.line);
		return;
	}
	why = check_manifest(m, p.id);
	if (why) {
		central_error(req, 400, "bad_manifest", "%s", why);
		goto out;
	}
	arts = json_object_get(m, "artifacts");
	p.station = cn; /* the packet belongs to the station that sent it */
	p.nik = str(m, "nik");
	p.manifest_len = mpart->len;
	p.manifest = strndup((const char *)mpart->data, mpart->len);
	sim_sha256_hex(mpart->data, mpart->len, p.manifest_sha256);

	/* idempotent by packet id: a repeat gets the first answer */
	r = central_db_find(c, p.id, &old_station, &old_sha, &answer);
	if (r == 0) {
		if (strcmp(old_station, cn) != 0 || strcmp(old_sha, p.manifest_sha256) != 0)
			central_error(req, 409, "packet_id_conflict", "packet %s was submitted "
					"before with another manifest", p.id);
		else
			reply_stored(req, answer, p.id);
		goto out;
	}
	if (r != -ENOENT) {
		central_error(req, 500, "internal", "database error");
		goto out;
	}
	if (n != json_array_size(arts) + 2) {
		central_error(req, 400, "bad_request", "the upload has %zu parts; the manifest "
				"names %zu artifacts (plus manifest and signature)", n,
				json_array_size(arts));
		goto out;
	}
	p.n_artifacts = json_array_size(arts);
	p.artifacts = calloc(p.n_artifacts, sizeof(*p.artifacts));
	if (!p.manifest || !p.artifacts) {
		central_error(req, 500, "internal", "out of memory");
		goto out;
	}
	json_array_foreach(arts, i, a) {
		const struct part *part = find_part(parts, n, str(a, "name"));

		if (!part) {
			central_error(req, 400, "bad_request", "no part for artifact %s",
					str(a, "name"));
			goto out;
		}
		p.artifacts[i] = (struct central_artifact){ .name = str(a, "name"),
			.type = str(a, "type"), .format = str(a, "format"), .data = part->data,
			.len = part->len };
		sim_sha256_hex(part->data, part->len, p.artifacts[i].sha256);
	}
	verify(c, &p, central_request_ssl(req), cn, str(m, "station_id"), sig, m);
	if (strcmp(p.verdict, "rejected") != 0 && central_db_match(c, &p) < 0) {
		central_error(req, 500, "internal", "database error");
		goto out;
	}
	ans = json_pack("{s:s,s:s}", "id", p.id, "status", "queued");
	answer = json_dumps(ans, JSON_COMPACT);
	json_decref(ans);
	if (!answer || central_db_insert(c, &p, now, answer) < 0) {
		central_error(req, 500, "internal", "database error");
		goto out;
	}
	c->submitted++;
	sim_info("packet %s from %s: %s%s%s", p.id, cn, p.verdict, p.reason[0] ? ": " : "",
			p.reason);
	reply_stored(req, answer, p.id);
out:
	free(old_station);
	free(old_sha);
	free(answer);
	free((char *)p.manifest);
	for (i = 0; p.artifacts && i < p.n_artifacts; i++)
		free(p.artifacts[i].plain);
	free(p.artifacts);
	json_decref(m);
}

/* --- GET /v1/packets/{id} ------------------------------------------------------------ */

/* The status now, and the simulated seconds until it next changes (0: final). */
static const char *status_of(struct central *c, json_t *p, unsigned int *retry)
{
	int64_t age = central_now_ms() - json_integer_value(json_object_get(p, "received_ms"));
	const char *verdict = str(p, "verdict");
	int64_t q = (int64_t)(sim_clock_scaled_us(sim_time_scale(c->sim), CENTRAL_QUEUE_MS) / 1000);
	int64_t d = (int64_t)(sim_clock_scaled_us(sim_time_scale(c->sim),
			CENTRAL_QUEUE_MS + CENTRAL_PROCESS_MS) / 1000);

	*retry = 0;
	if (age < q) {
		*retry = (unsigned int)((q - age + 999) / 1000);
		return "queued";
	}
	if (strcmp(verdict, "rejected") == 0)
		return verdict; /* found out when processing starts */
	if (age < d) {
		*retry = (unsigned int)((d - age + 999) / 1000);
		return "processing";
	}
	return verdict;
}

json_t *central_packet_load(struct central *c, struct evhttp_request *req, const char *id)
{
	char cn[128];
	json_t *p = NULL;

	if (central_peer_cn(central_request_ssl(req), cn, sizeof(cn)) < 0) {
		central_error(req, 403, "no_client_certificate", "a station certificate is needed");
		return NULL;
	}
	if (central_db_get(c, id, &p) < 0 || strcmp(str(p, "station_id"), cn) != 0) {
		json_decref(p);
		central_error(req, 404, "not_found", "no packet %s from station %s", id, cn);
		return NULL;
	}
	return p;
}

static void set_retry(struct evhttp_request *req, unsigned int s)
{
	char v[16];

	snprintf(v, sizeof(v), "%u", s ? s : 1);
	evhttp_add_header(evhttp_request_get_output_headers(req), "Retry-After", v);
}

static void get_status(struct central *c, struct evhttp_request *req, const char *id)
{
	json_t *p = central_packet_load(c, req, id), *o;
	unsigned int retry;
	const char *st;

	if (!p)
		return;
	st = status_of(c, p, &retry);
	o = json_pack("{s:s,s:s,s:I}", "id", id, "status", st, "received_ms",
			json_integer_value(json_object_get(p, "received_ms")));
	if (strcmp(st, "rejected") == 0 || strcmp(st, "duplicate") == 0)
		json_object_set(o, "reason", json_object_get(p, "reason"));
	else
		json_object_set_new(o, "reason", json_null());
	if (strcmp(st, "duplicate") == 0)
		json_object_set(o, "duplicate_of", json_object_get(p, "duplicate_of"));
	if (retry) {
		json_object_set_new(o, "retry_after", json_integer(retry));
		set_retry(req, retry);
	}
	if (json_object_get(p, "issued"))
		json_object_set(o, "issued", json_object_get(p, "issued"));
	json_decref(p);
	central_reply(req, 200, o);
}

/* Refuse unless print_ready; true when the caller may go on. */
bool central_packet_ready(struct central *c, struct evhttp_request *req, json_t *p, const char *id)
{
	unsigned int retry;
	const char *st = status_of(c, p, &retry);

	if (strcmp(st, "print_ready") == 0)
		return true;
	if (retry)
		set_retry(req, retry);
	central_error(req, 409, retry ? "not_ready" : "not_available", "packet %s is %s", id, st);
	return false;
}


/* --- routing ---------------------------------------------------------------------- */

void central_api_handle(struct central *c, struct evhttp_request *req)
{
	enum evhttp_cmd_type cmd = evhttp_request_get_command(req);
	const char *path = evhttp_uri_get_path(evhttp_request_get_evhttp_uri(req));
	char id[37], rest[32] = "";
	size_t n;

	if (!path || strncmp(path, "/v1/packets", 11) != 0) {
		central_error(req, 404, "not_found", "no such resource");
		return;
	}
	path += 11;
	if (*path == '\0') {
		if (cmd != EVHTTP_REQ_POST) {
			evhttp_add_header(evhttp_request_get_output_headers(req), "Allow", "POST");
			central_error(req, 405, "method_not_allowed", "use POST");
			return;
		}
		submit(c, req);
		return;
	}
	n = *path == '/' ? strcspn(path + 1, "/") : 0;
	if (n != 36 || strlen(path + 1 + n) >= sizeof(rest)) {
		central_error(req, 404, "not_found", "no such resource");
		return;
	}
	{
		char given[37];

		memcpy(given, path + 1, 36);
		given[36] = '\0';
		if (!is_uuid(given, id)) {
			central_error(req, 404, "not_found", "a packet id is a UUID");
			return;
		}
	}
	snprintf(rest, sizeof(rest), "%s", path + 1 + n);
	if (strcmp(rest, "") == 0 && cmd == EVHTTP_REQ_GET) {
		get_status(c, req, id);
	} else if (strcmp(rest, "/personalization") == 0 && cmd == EVHTTP_REQ_GET) {
		central_personalization(c, req, id);
	} else if (strcmp(rest, "/issuance") == 0 && cmd == EVHTTP_REQ_POST) {
		central_issuance(c, req, id);
	} else if (strcmp(rest, "") == 0 || strcmp(rest, "/personalization") == 0 ||
			strcmp(rest, "/issuance") == 0) {
		evhttp_add_header(evhttp_request_get_output_headers(req), "Allow",
				strcmp(rest, "/issuance") == 0 ? "POST" : "GET");
		central_error(req, 405, "method_not_allowed", "use %s",
				strcmp(rest, "/issuance") == 0 ? "POST" : "GET");
	} else {
		central_error(req, 404, "not_found", "no such resource");
	}
}
