// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * rekam - unit tests
 *
 * test-central-reply.c - the parsers of the central server's answers
 * (daemon/central-reply.c): every documented answer gives its verdict, and
 * a robustness run feeds them bad answers (garbage, truncations, wrong
 * types, other packets' ids, huge bodies, every HTTP status, random byte
 * flips of good answers, deterministic under a fixed seed) and checks that
 * nothing bad is taken for good: a packet counts as accepted or final only
 * when the answer really says so for this packet.
 */
#include <config.h>

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "daemon/central-reply.h"
#include "tap.h"

#define ID "3f2c8a1e-5b7d-4c2a-9e61-0d4b8f7a1c01"
#define OTHER "3f2c8a1e-5b7d-4c2a-9e61-0d4b8f7a1c02"
#define MUTATIONS 20000

static struct rk_central_reply r;

static void submit(long http, const char *body, const char *ra)
{
	rk_central_parse_submit(http, body, body ? strlen(body) : 0, ra, ID, &r);
}

static void status(long http, const char *body, const char *ra)
{
	rk_central_parse_status(http, body, body ? strlen(body) : 0, ra, ID, &r);
}

static bool clean(const char *s, size_t size)
{
	size_t n = strnlen(s, size);

	if (n == size)
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < ' ' || s[i] == 0x7f)
			return false;
	return true;
}

/* What must hold for any answer at all. */
static bool sane(void)
{
	return r.verdict <= RK_CENTRAL_FAILED && r.status <= RK_CENTRAL_REJECTED &&
		r.retry_after <= 86400 && clean(r.id, sizeof(r.id)) &&
		clean(r.code, sizeof(r.code)) && clean(r.reason, sizeof(r.reason)) &&
		clean(r.duplicate_of, sizeof(r.duplicate_of)) &&
		(r.verdict != RK_CENTRAL_ACCEPTED && r.verdict != RK_CENTRAL_STATUS ?
			1 : strcmp(r.id, ID) == 0);
}

static void test_good(void)
{
	submit(202, "{\"id\":\"" ID "\",\"status\":\"queued\"}\n", NULL);
	tap_ok(r.verdict == RK_CENTRAL_ACCEPTED && strcmp(r.id, ID) == 0, "202 queued: accepted");
	submit(202, "{\"id\":\"3F2C8A1E-5B7D-4C2A-9E61-0D4B8F7A1C01\",\"status\":\"queued\","
			"\"extra\":[1]}", NULL);
	tap_ok(r.verdict == RK_CENTRAL_ACCEPTED && strcmp(r.id, ID) == 0,
			"... an uppercase id and unknown fields are fine");
	submit(202, "{\"id\":\"" OTHER "\",\"status\":\"queued\"}", NULL);
	tap_ok(r.verdict == RK_CENTRAL_RETRY, "202 naming another packet: not accepted");
	submit(503, "{\"error\":{\"code\":\"unavailable\",\"message\":\"busy\"}}", "7");
	tap_ok(r.verdict == RK_CENTRAL_RETRY && r.retry_after == 7 &&
			strcmp(r.code, "unavailable") == 0 && strcmp(r.reason, "busy") == 0,
			"503 with Retry-After: 7: retry after 7 s");
	submit(500, "<html>oops</html>", NULL);
	tap_ok(r.verdict == RK_CENTRAL_RETRY && r.reason[0], "500 with HTML: retry (%s)", r.reason);
	submit(400, "{\"error\":{\"code\":\"bad_manifest\",\"message\":\"nik must be 16 "
			"digits\"}}", NULL);
	tap_ok(r.verdict == RK_CENTRAL_FAILED && strcmp(r.code, "bad_manifest") == 0,
			"400 bad_manifest: failed");
	submit(409, "{\"error\":{\"code\":\"packet_id_conflict\",\"message\":\"x\"}}", NULL);
	tap_ok(r.verdict == RK_CENTRAL_FAILED, "409 packet_id_conflict: failed");
	submit(413, "<html>too big</html>", NULL);
	tap_ok(r.verdict == RK_CENTRAL_FAILED && r.reason[0], "413: failed (%s)", r.reason);
	submit(301, "", NULL);
	tap_ok(r.verdict == RK_CENTRAL_RETRY, "a redirect: retry, never followed");

	status(200, "{\"id\":\"" ID "\",\"status\":\"processing\",\"received_ms\":1,"
			"\"reason\":null,\"retry_after\":42}", "42");
	tap_ok(r.verdict == RK_CENTRAL_STATUS && r.status == RK_CENTRAL_PROCESSING &&
			r.retry_after == 42, "status processing, retry after 42");
	status(200, "{\"id\":\"" ID "\",\"status\":\"queued\",\"retry_after\":5}", NULL);
	tap_ok(r.verdict == RK_CENTRAL_STATUS && r.retry_after == 5,
			"... retry_after from the body without the header");
	status(200, "{\"id\":\"" ID "\",\"status\":\"print_ready\",\"reason\":null}", NULL);
	tap_ok(r.verdict == RK_CENTRAL_STATUS && r.status == RK_CENTRAL_PRINT_READY &&
			rk_central_status_final(r.status), "print_ready is final");
	status(200, "{\"id\":\"" ID "\",\"status\":\"duplicate\",\"reason\":\"fingerprints "
			"match\",\"duplicate_of\":\"" OTHER "\"}", NULL);
	tap_ok(r.status == RK_CENTRAL_DUPLICATE && strcmp(r.duplicate_of, OTHER) == 0 &&
			strcmp(r.reason, "fingerprints match") == 0, "duplicate, of which, why");
	status(200, "{\"id\":\"" ID "\",\"status\":\"rejected\",\"reason\":\"bad\\nline\"}", NULL);
	tap_ok(r.status == RK_CENTRAL_REJECTED && strcmp(r.reason, "bad line") == 0,
			"rejected; a control character in the reason is blanked");
	status(200, "{\"id\":\"" ID "\",\"status\":\"rejected\"}", NULL);
	tap_ok(r.status == RK_CENTRAL_REJECTED && r.reason[0], "rejected without a reason "
			"still has one: %s", r.reason);
	status(200, "{\"id\":\"" ID "\",\"status\":\"issued\"}", NULL);
	tap_ok(r.verdict == RK_CENTRAL_RETRY, "an unknown status: retry");
	status(200, "{\"id\":\"" OTHER "\",\"status\":\"print_ready\"}", NULL);
	tap_ok(r.verdict == RK_CENTRAL_RETRY, "another packet's status: retry");
	status(404, "{\"error\":{\"code\":\"not_found\",\"message\":\"no packet\"}}", NULL);
	tap_ok(r.verdict == RK_CENTRAL_UNKNOWN, "404: the server does not know it");
	status(409, "{\"error\":{\"code\":\"not_ready\",\"message\":\"wait\"}}", "3");
	tap_ok(r.verdict == RK_CENTRAL_RETRY && r.retry_after == 3, "409 not_ready: retry");
}

static void test_retry_after(void)
{
	tap_ok(rk_central_parse_retry_after("120", 0) == 120, "Retry-After: 120");
	tap_ok(rk_central_parse_retry_after(" 5 ", 0) == 5, "Retry-After with blanks");
	tap_ok(rk_central_parse_retry_after("99999999999999999999", 0) == 86400,
			"a huge Retry-After is capped at a day");
	tap_ok(rk_central_parse_retry_after("-1", 0) == -EINVAL, "-1: invalid");
	tap_ok(rk_central_parse_retry_after("5s", 0) == -EINVAL, "5s: invalid");
	tap_ok(rk_central_parse_retry_after("", 0) == -EINVAL, "empty: invalid");
	tap_ok(rk_central_parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", 784111717) == 60,
			"an HTTP-date 60 s ahead");
	tap_ok(rk_central_parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", 784111777 + 5) == 0,
			"an HTTP-date in the past: 0");
	tap_ok(rk_central_parse_retry_after("Sun, 06 Nov 1994 08:49:37 XYZ", 0) == -EINVAL,
			"a broken date: invalid");
}

static uint64_t rng = 0x9e3779b97f4a7c15u;

static uint32_t next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)rng;
}

static void test_bad(void)
{
	static const char *const bodies[] = {
		"", "{", "[]", "null", "\"queued\"", "{\"id\":1,\"status\":\"queued\"}",
		"{\"id\":\"" ID "\"}", "{\"id\":\"" ID "\",\"status\":7}",
		"{\"id\":\"" ID "\",\"status\":\"queued\",\"id\":\"" OTHER "\"}",
		"{\"id\":\"" ID "x\",\"status\":\"print_ready\"}",
		"{\"id\":\"" ID "\",\"status\":\"print_ready\"", "{\"error\":7}",
		"{\"error\":{\"code\":[],\"message\":{}}}",
		"\xff\xfe\x00garbage",
	};
	static const char *const good[] = {
		"{\"id\":\"" ID "\",\"status\":\"queued\"}",
		"{\"id\":\"" ID "\",\"status\":\"duplicate\",\"reason\":\"r\",\"duplicate_of\":\""
			OTHER "\"}",
		"{\"error\":{\"code\":\"unavailable\",\"message\":\"busy\"}}",
	};
	static const long codes[] = { 0, 100, 200, 201, 202, 204, 301, 400, 401, 403, 404, 409,
		413, 429, 500, 502, 503, 599, 999, -1 };
	bool ok = true, taken = false;
	char *huge;
	unsigned int n = 0;

	for (size_t b = 0; b < sizeof(bodies) / sizeof(bodies[0]); b++)
		for (size_t c = 0; c < sizeof(codes) / sizeof(codes[0]); c++) {
			submit(codes[c], bodies[b], "garbage");
			ok &= sane();
			taken |= r.verdict == RK_CENTRAL_ACCEPTED;
			status(codes[c], bodies[b], "1e9");
			ok &= sane();
			taken |= r.verdict == RK_CENTRAL_STATUS;
			n += 2;
		}
	tap_ok(ok, "%u bad answers under every HTTP status: parsed sanely", n);
	tap_ok(!taken, "... and none taken for an acceptance or a status");
	status(200, "{\"id\":\"" ID "\",\"status\":\"duplicate\",\"duplicate_of\":\"../../x\"}",
			NULL);
	tap_ok(r.verdict == RK_CENTRAL_STATUS && r.duplicate_of[0] == '\0',
			"a duplicate_of that is not a UUID is dropped");
	status(200, "{\"id\":\"" ID "\",\"status\":\"processing\",\"retry_after\":-5}", NULL);
	tap_ok(r.verdict == RK_CENTRAL_STATUS && r.retry_after == 0, "a negative retry_after "
			"is ignored");
	status(200, "{\"id\":\"" ID "\",\"status\":\"processing\",\"retry_after\":1e300}",
			NULL);
	tap_ok(r.verdict == RK_CENTRAL_STATUS && r.retry_after == 0, "a real retry_after is "
			"ignored");
	rk_central_parse_status(200, "{\"id\":\"" ID "\",\"status\":\"queued\"}", 10, NULL, ID, &r);
	tap_ok(r.verdict == RK_CENTRAL_RETRY, "a truncated body: retry");
	rk_central_parse_status(200, NULL, 100, NULL, ID, &r);
	tap_ok(r.verdict == RK_CENTRAL_RETRY, "no body: retry");
	huge = malloc(RK_CENTRAL_BODY_MAX + 2);
	memset(huge, ' ', RK_CENTRAL_BODY_MAX + 1);
	memcpy(huge, good[0], strlen(good[0]));
	huge[RK_CENTRAL_BODY_MAX + 1] = '\0';
	status(200, huge, NULL);
	tap_ok(r.verdict == RK_CENTRAL_RETRY, "a body over %d bytes: retry", RK_CENTRAL_BODY_MAX);
	free(huge);

	/* byte flips and truncations of good answers */
	ok = true;
	for (unsigned int i = 0; i < MUTATIONS; i++) {
		const char *g = good[next() % 3];
		size_t len = strlen(g), cut = next() % (len + 1);
		char buf[256], ra[8];
		json_t *o;

		memcpy(buf, g, len + 1);
		for (unsigned int k = next() % 4; k > 0; k--)
			buf[next() % len] = (char)next();
		for (size_t k = 0; k < sizeof(ra) - 1; k++)
			ra[k] = (char)(' ' + next() % 95);
		ra[sizeof(ra) - 1] = '\0';
		rk_central_parse_submit(202, buf, cut, ra, ID, &r);
		ok &= sane();
		if (r.verdict == RK_CENTRAL_ACCEPTED) {
			/* only ever when the bytes still say so */
			o = json_loadb(buf, cut, 0, NULL);
			ok &= o && strcasecmp(json_string_value(json_object_get(o, "id")), ID) == 0 &&
				strcmp(json_string_value(json_object_get(o, "status")), "queued") == 0;
			json_decref(o);
		}
		rk_central_parse_status((long)(next() % 600), buf, cut, ra, ID, &r);
		ok &= sane();
	}
	tap_ok(ok, "%d random mutations of good answers: parsed sanely, accepted only when "
			"still valid", MUTATIONS);
}

static void issuance(long http, const char *body, const char *ra)
{
	rk_central_parse_issuance(http, body, body ? strlen(body) : 0, ra, ID, "K-0001",
			"04A1B2C3D4E5F6", &r);
}

static void test_issuance(void)
{
	static const char good[] = "{\"id\":\"" ID "\",\"status\":\"issued\",\"card_serial\":"
		"\"K-0001\",\"chip_uid\":\"04A1B2C3D4E5F6\",\"issued_ms\":1}";

	issuance(200, good, NULL);
	tap_ok(r.verdict == RK_CENTRAL_ACCEPTED && sane(), "issuance 200: accepted");
	issuance(200, "{\"id\":\"" ID "\",\"status\":\"issued\",\"card_serial\":\"K-0002\","
		"\"chip_uid\":\"04A1B2C3D4E5F6\"}", NULL);
	tap_ok(r.verdict == RK_CENTRAL_RETRY && sane(),
		"issuance 200 naming another card: not accepted");
	issuance(200, "{\"id\":\"" OTHER "\",\"status\":\"issued\",\"card_serial\":\"K-0001\","
		"\"chip_uid\":\"04A1B2C3D4E5F6\"}", NULL);
	tap_ok(r.verdict == RK_CENTRAL_RETRY, "issuance 200 of another packet: not accepted");
	issuance(200, "not json", NULL);
	tap_ok(r.verdict == RK_CENTRAL_RETRY && sane(), "issuance 200 garbled: retried");
	issuance(409, "{\"error\":{\"code\":\"already_issued\",\"message\":\"packet was "
		"issued as card K-0009\"}}", NULL);
	tap_ok(r.verdict == RK_CENTRAL_FAILED && strcmp(r.code, "already_issued") == 0 &&
		strstr(r.reason, "K-0009"), "issuance 409 already_issued: refused, saying why");
	issuance(409, "{\"error\":{\"code\":\"not_available\",\"message\":\"duplicate\"}}",
		NULL);
	tap_ok(r.verdict == RK_CENTRAL_FAILED, "issuance 409 not_available: refused");
	issuance(409, "{\"error\":{\"code\":\"not_ready\",\"message\":\"wait\"}}", "7");
	tap_ok(r.verdict == RK_CENTRAL_RETRY && r.retry_after == 7,
		"issuance 409 not_ready: retried after Retry-After");
	issuance(503, NULL, NULL);
	tap_ok(r.verdict == RK_CENTRAL_RETRY, "issuance 503: retried");
	issuance(404, NULL, NULL);
	tap_ok(r.verdict == RK_CENTRAL_RETRY, "issuance 404: retried later");
	issuance(400, "{\"error\":{\"code\":\"bad_request\",\"message\":\"bad body\"}}",
		NULL);
	tap_ok(r.verdict == RK_CENTRAL_FAILED, "issuance 400: refused");
}

int main(void)
{
	test_good();
	test_issuance();
	test_retry_after();
	test_bad();
	tap_ok(strcmp(rk_central_status_name(RK_CENTRAL_PRINT_READY), "print_ready") == 0 &&
			!rk_central_status_name((enum rk_central_status)99), "status names");
	tap_done();
	return tap_failed ? 1 : 0;
}
