// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * rekam - KTP-el recording station daemon
 *
 * central-reply.c - parsing the central server's answers (central-reply.h):
 * the HTTP status decides the kind of answer, the JSON body (jansson, at
 * most RK_CENTRAL_BODY_MAX bytes) must have the documented shape for it to
 * count, and anything unexpected is a temporary failure the uploader
 * retries, never a reason to drop or duplicate a packet.
 */
#include <config.h>

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <jansson.h>

#include "daemon/central-reply.h"

#define DAY 86400

static const char *const status_names[] = {
	[RK_CENTRAL_QUEUED] = "queued",
	[RK_CENTRAL_PROCESSING] = "processing",
	[RK_CENTRAL_PRINT_READY] = "print_ready",
	[RK_CENTRAL_DUPLICATE] = "duplicate",
	[RK_CENTRAL_REJECTED] = "rejected",
};

const char *rk_central_status_name(enum rk_central_status status)
{
	if ((unsigned int)status >= sizeof(status_names) / sizeof(status_names[0]))
		return NULL;
	return status_names[status];
}

bool rk_central_status_final(enum rk_central_status status)
{
	return status == RK_CENTRAL_PRINT_READY || status == RK_CENTRAL_DUPLICATE ||
		status == RK_CENTRAL_REJECTED;
}

static int status_of(const char *s)
{
	for (size_t i = 0; s && i < sizeof(status_names) / sizeof(status_names[0]); i++)
		if (strcmp(s, status_names[i]) == 0)
			return (int)i;
	return -1;
}

int rk_central_parse_retry_after(const char *value, int64_t now)
{
	struct tm tm = { 0 };
	const char *end;
	int64_t t;

	if (!value)
		return -EINVAL;
	while (*value == ' ' || *value == '\t')
		value++;
	if (isdigit((unsigned char)*value)) {
		uint64_t v = 0;

		for (; isdigit((unsigned char)*value); value++)
			v = v > DAY ? v : v * 10 + (uint64_t)(*value - '0');
		while (*value == ' ' || *value == '\t')
			value++;
		if (*value)
			return -EINVAL;
		return v > DAY ? DAY : (int)v;
	}
	/* IMF-fixdate: Sun, 06 Nov 1994 08:49:37 GMT */
	end = strptime(value, "%a, %d %b %Y %H:%M:%S GMT", &tm);
	if (!end || *end)
		return -EINVAL;
	t = (int64_t)timegm(&tm);
	if (t <= now)
		return 0;
	return t - now > DAY ? DAY : (int)(t - now);
}

static void copy(char *dst, size_t size, const char *src)
{
	snprintf(dst, size, "%s", src ? src : "");
	/* control characters never reach logs or D-Bus */
	for (char *p = dst; *p; p++)
		if ((unsigned char)*p < ' ' || *p == 0x7f)
			*p = ' ';
}

static bool is_uuid(const char *s)
{
	if (!s || strlen(s) != 36)
		return false;
	for (int i = 0; i < 36; i++) {
		bool dash = i == 8 || i == 13 || i == 18 || i == 23;

		if (dash ? s[i] != '-' : !isxdigit((unsigned char)s[i]))
			return false;
	}
	return true;
}

/* The id in @o matches @id (case-insensitively). */
static bool same_id(json_t *o, const char *id, char out[37])
{
	const char *s = json_string_value(json_object_get(o, "id"));

	if (!is_uuid(s) || strcasecmp(s, id) != 0)
		return false;
	for (int i = 0; i < 36; i++)
		out[i] = (char)tolower((unsigned char)s[i]);
	out[36] = '\0';
	return true;
}

static json_t *load(const void *body, size_t len)
{
	if (!body || len == 0 || len > RK_CENTRAL_BODY_MAX)
		return NULL;
	return json_loadb(body, len, JSON_REJECT_DUPLICATES, NULL);
}

static void start(struct rk_central_reply *out, const char *retry_after)
{
	int r = rk_central_parse_retry_after(retry_after, (int64_t)time(NULL));

	memset(out, 0, sizeof(*out));
	out->verdict = RK_CENTRAL_RETRY;
	out->retry_after = r > 0 ? (unsigned int)r : 0;
}

/* The common error answers; true when @http was one of them. */
static bool parse_error(long http, json_t *o, struct rk_central_reply *out)
{
	json_t *err = json_object_get(o, "error");

	copy(out->code, sizeof(out->code), json_string_value(json_object_get(err, "code")));
	copy(out->reason, sizeof(out->reason), json_string_value(json_object_get(err, "message")));
	if (!out->reason[0])
		snprintf(out->reason, sizeof(out->reason), "the central server answered HTTP %ld",
				http);
	if (http >= 500 || http == 408 || http == 429 ||
			(http == 409 && strcmp(out->code, "not_ready") == 0)) {
		out->verdict = RK_CENTRAL_RETRY;
		return true;
	}
	if (http >= 400) {
		out->verdict = RK_CENTRAL_FAILED;
		return true;
	}
	return false;
}

void rk_central_parse_submit(long http, const void *body, size_t len, const char *retry_after,
		const char *id, struct rk_central_reply *out)
{
	json_t *o = load(body, len);

	start(out, retry_after);
	if (http == 202) {
		if (json_is_object(o) && same_id(o, id, out->id) &&
				status_of(json_string_value(json_object_get(o, "status"))) ==
				RK_CENTRAL_QUEUED) {
			out->verdict = RK_CENTRAL_ACCEPTED;
			out->status = RK_CENTRAL_QUEUED;
		} else {
			copy(out->reason, sizeof(out->reason), "the central server's 202 answer "
					"does not name this packet as queued");
		}
	} else if (!parse_error(http, o, out)) {
		snprintf(out->reason, sizeof(out->reason), "unexpected HTTP %ld to a submit", http);
	}
	json_decref(o);
}

void rk_central_parse_status(long http, const void *body, size_t len, const char *retry_after,
		const char *id, struct rk_central_reply *out)
{
	json_t *o = load(body, len), *ra;
	int st;

	start(out, retry_after);
	if (http == 200) {
		st = status_of(json_string_value(json_object_get(o, "status")));
		if (!json_is_object(o) || !same_id(o, id, out->id) || st < 0) {
			copy(out->reason, sizeof(out->reason), "the central server's status answer "
					"is not a status of this packet");
			goto out;
		}
		out->verdict = RK_CENTRAL_STATUS;
		out->status = (enum rk_central_status)st;
		copy(out->reason, sizeof(out->reason),
				json_string_value(json_object_get(o, "reason")));
		if (st == RK_CENTRAL_DUPLICATE) {
			const char *dup = json_string_value(json_object_get(o, "duplicate_of"));

			if (is_uuid(dup))
				copy(out->duplicate_of, sizeof(out->duplicate_of), dup);
		}
		if ((st == RK_CENTRAL_DUPLICATE || st == RK_CENTRAL_REJECTED) && !out->reason[0])
			snprintf(out->reason, sizeof(out->reason), "the central server gave no "
					"reason");
		ra = json_object_get(o, "retry_after");
		if (!out->retry_after && json_is_integer(ra) && json_integer_value(ra) > 0)
			out->retry_after = json_integer_value(ra) > DAY ? DAY :
				(unsigned int)json_integer_value(ra);
	} else if (http == 404) {
		out->verdict = RK_CENTRAL_UNKNOWN;
		copy(out->reason, sizeof(out->reason), "the central server does not know the "
				"packet");
	} else if (!parse_error(http, o, out)) {
		snprintf(out->reason, sizeof(out->reason), "unexpected HTTP %ld to a status request",
				http);
	}
out:
	json_decref(o);
}

void rk_central_parse_issuance(long http, const void *body, size_t len, const char *retry_after,
		const char *id, const char *serial, const char *uid, struct rk_central_reply *out)
{
	json_t *o = load(body, len);
	const char *s, *u;

	start(out, retry_after);
	if (http == 200) {
		s = json_string_value(json_object_get(o, "card_serial"));
		u = json_string_value(json_object_get(o, "chip_uid"));
		if (json_is_object(o) && same_id(o, id, out->id) &&
				strcmp(json_string_value(json_object_get(o, "status")) ?: "",
					"issued") == 0 && s && u && strcmp(s, serial) == 0 &&
				strcmp(u, uid) == 0)
			out->verdict = RK_CENTRAL_ACCEPTED;
		else
			copy(out->reason, sizeof(out->reason), "the central server's 200 "
					"answer does not record this card as issued");
	} else if (http == 404) {
		/* the packet is unknown there for now: asked again later */
		copy(out->reason, sizeof(out->reason), "the central server does not know the "
				"packet");
	} else if (!parse_error(http, o, out)) {
		snprintf(out->reason, sizeof(out->reason), "unexpected HTTP %ld to an issuance "
				"report", http);
	}
	json_decref(o);
}
