// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * rekam - device plugins
 *
 * ipp-client.c - IPP requests of the printer-ipp plugin with libcups:
 * Get-Printer-Attributes (identity, state, supplies), Validate-Job,
 * Create-Job and Send-Document (a card side per document), Get-Job-
 * Attributes, Cancel-Job, and the inline encoder's vendor operations. Every
 * function blocks: the plugin calls them on the host's worker threads only,
 * each with its own http_t.
 */
#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "plugins/printer-ipp/ipp-client.h"

/* --- the URI and the connection ----------------------------------------------------- */

int ippc_target_parse(struct ippc_target *t, const char *uri, char *msg, size_t len)
{
	char scheme[16], user[64];

	if (!uri || strlen(uri) >= sizeof(t->uri) ||
			httpSeparateURI(HTTP_URI_CODING_ALL, uri, scheme, sizeof(scheme), user,
				sizeof(user), t->host, sizeof(t->host), &t->port, t->resource,
				sizeof(t->resource)) < HTTP_URI_STATUS_OK ||
			(strcmp(scheme, "ipp") != 0 && strcmp(scheme, "ipps") != 0) || !t->host[0]) {
		snprintf(msg, len, "'%s' is not an IPP printer URI (ipp://HOST:PORT/PATH)",
				uri ? uri : "");
		return -EINVAL;
	}
	snprintf(t->uri, sizeof(t->uri), "%s", uri);
	t->encryption = strcmp(scheme, "ipps") == 0 ? HTTP_ENCRYPTION_ALWAYS :
		HTTP_ENCRYPTION_IF_REQUESTED;
	return 0;
}

int ippc_connect(const struct ippc_target *t, http_t **http, char *msg, size_t len)
{
	*http = httpConnect2(t->host, t->port, NULL, AF_UNSPEC, t->encryption, 1, t->timeout_ms,
			NULL);
	if (!*http) {
		snprintf(msg, len, "no printer answers at %s: %s", t->uri, cupsLastErrorString());
		return -ENODEV;
	}
	httpSetTimeout(*http, t->timeout_ms / 1000.0, NULL, NULL);
	return 0;
}

static ipp_t *new_request(const struct ippc_target *t, int op)
{
	ipp_t *req = ippNewRequest((ipp_op_t)op);

	ippAddString(req, IPP_TAG_OPERATION, IPP_TAG_URI, "printer-uri", NULL, t->uri);
	ippAddString(req, IPP_TAG_OPERATION, IPP_TAG_NAME, "requesting-user-name", NULL,
			t->user[0] ? t->user : "rekamd");
	return req;
}

/* The outcome of a request: 0 for a successful status, else -errno and a
 * sentence naming @what. Takes the response over (NULL when there is none). */
static int outcome(ipp_t *resp, const char *what, char *msg, size_t len)
{
	ipp_status_t st = resp ? ippGetStatusCode(resp) : IPP_STATUS_ERROR_INTERNAL;
	ipp_attribute_t *a = resp ? ippFindAttribute(resp, "status-message", IPP_TAG_TEXT) : NULL;
	const char *text = a ? ippGetString(a, 0, NULL) : cupsLastErrorString();

	if (!resp) {
		snprintf(msg, len, "%s: no answer from the printer (%s)", what,
				text ? text : "connection failed");
		return -ENODEV;
	}
	if (st <= IPP_STATUS_OK_EVENTS_COMPLETE)
		return 0;
	snprintf(msg, len, "%s: the printer answered %s%s%s", what, ippErrorString(st),
			text ? ": " : "", text ? text : "");
	switch (st) {
	case IPP_STATUS_ERROR_BUSY:
		return -EBUSY;
	case IPP_STATUS_ERROR_OPERATION_NOT_SUPPORTED:
		return -EOPNOTSUPP;
	case IPP_STATUS_ERROR_BAD_REQUEST:
	case IPP_STATUS_ERROR_DOCUMENT_FORMAT_NOT_SUPPORTED:
	case IPP_STATUS_ERROR_DOCUMENT_FORMAT_ERROR:
	case IPP_STATUS_ERROR_ATTRIBUTES_OR_VALUES:
	case IPP_STATUS_ERROR_REQUEST_VALUE:
		return -EINVAL;
	default:
		return -EIO;
	}
}

/* --- reading attributes ------------------------------------------------------------- */

static void copy_string(ipp_t *resp, const char *name, char *buf, size_t len)
{
	ipp_attribute_t *a = ippFindAttribute(resp, name, IPP_TAG_ZERO);
	const char *s = a ? ippGetString(a, 0, NULL) : NULL;

	snprintf(buf, len, "%s", s ? s : "");
}

static void copy_keywords(ipp_t *resp, const char *name, char *buf, size_t len)
{
	ipp_attribute_t *a = ippFindAttribute(resp, name, IPP_TAG_KEYWORD);
	size_t n = 0;

	buf[0] = '\0';
	for (int i = 0; a && i < ippGetCount(a) && n < len; i++)
		n += (size_t)snprintf(buf + n, len - n, "%s%s", i ? "," : "",
				ippGetString(a, i, NULL));
}

static int get_int(ipp_t *resp, const char *name, int fallback)
{
	ipp_attribute_t *a = ippFindAttribute(resp, name, IPP_TAG_ZERO);

	if (!a || (ippGetValueTag(a) != IPP_TAG_INTEGER && ippGetValueTag(a) != IPP_TAG_ENUM))
		return fallback;
	return ippGetInteger(a, 0);
}

/* The value of "key=N;" in a PWG 5100.13 tray string. */
static int tray_value(const char *tray, const char *key)
{
	char pattern[32];
	const char *p;

	snprintf(pattern, sizeof(pattern), "%s=", key);
	for (p = tray; (p = strstr(p, pattern)); p++)
		if (p == tray || p[-1] == ';')
			return atoi(p + strlen(pattern));
	return -1;
}

static int hopper_level(ipp_t *resp)
{
	ipp_attribute_t *a = ippFindAttribute(resp, "printer-input-tray", IPP_TAG_STRING);
	char tray[512];
	const void *data;
	int n = 0, level;

	if (!a)
		return get_int(resp, "rekam-cards-left", -1);
	data = ippGetOctetString(a, 0, &n);
	if (!data || n <= 0)
		return -1;
	if ((size_t)n >= sizeof(tray))
		n = (int)sizeof(tray) - 1;
	memcpy(tray, data, (size_t)n);
	tray[n] = '\0';
	level = tray_value(tray, "level");
	return level >= 0 ? level : get_int(resp, "rekam-cards-left", -1);
}

/* The serial number: printer-serial-number, else SN: of printer-device-id. */
static void serial_of(ipp_t *resp, char *buf, size_t len)
{
	char devid[512], *sn, *end;

	copy_string(resp, "printer-serial-number", buf, len);
	if (buf[0])
		return;
	copy_string(resp, "printer-device-id", devid, sizeof(devid));
	sn = strstr(devid, "SN:");
	if (!sn)
		return;
	sn += 3;
	end = strchr(sn, ';');
	if (end)
		*end = '\0';
	snprintf(buf, len, "%s", sn);
}

int ippc_get_printer(http_t *http, const struct ippc_target *t, struct ippc_printer *p,
		char *msg, size_t len)
{
	static const char *const wanted[] = {
		"printer-make-and-model", "printer-serial-number", "printer-device-id",
		"printer-firmware-string-version", "printer-state", "printer-state-reasons",
		"printer-state-message", "printer-is-accepting-jobs", "marker-levels",
		"marker-low-levels", "marker-types", "printer-input-tray", "rekam-cards-left",
		"rekam-cards-printed", "rekam-cards-spoiled", "rekam-card-staged",
		"operations-supported",
	};
	ipp_t *req = new_request(t, IPP_OP_GET_PRINTER_ATTRIBUTES), *resp;
	ipp_attribute_t *a;
	int r;

	ippAddStrings(req, IPP_TAG_OPERATION, IPP_TAG_KEYWORD, "requested-attributes",
			(int)(sizeof(wanted) / sizeof(wanted[0])), NULL, wanted);
	resp = cupsDoRequest(http, req, t->resource);
	r = outcome(resp, "Get-Printer-Attributes", msg, len);
	if (r < 0) {
		ippDelete(resp);
		return r;
	}
	memset(p, 0, sizeof(*p));
	copy_string(resp, "printer-make-and-model", p->make_model, sizeof(p->make_model));
	serial_of(resp, p->serial, sizeof(p->serial));
	copy_string(resp, "printer-firmware-string-version", p->firmware, sizeof(p->firmware));
	p->state = get_int(resp, "printer-state", 0);
	copy_keywords(resp, "printer-state-reasons", p->reasons, sizeof(p->reasons));
	copy_string(resp, "printer-state-message", p->message, sizeof(p->message));
	a = ippFindAttribute(resp, "printer-is-accepting-jobs", IPP_TAG_BOOLEAN);
	p->accepting = !a || ippGetBoolean(a, 0);
	p->ribbon_percent = get_int(resp, "marker-levels", -1);
	p->ribbon_low_percent = get_int(resp, "marker-low-levels", -1);
	p->cards_left = hopper_level(resp);
	p->cards_printed = get_int(resp, "rekam-cards-printed", -1);
	p->cards_spoiled = get_int(resp, "rekam-cards-spoiled", -1);
	a = ippFindAttribute(resp, "rekam-card-staged", IPP_TAG_BOOLEAN);
	p->staged = a && ippGetBoolean(a, 0);
	a = ippFindAttribute(resp, "operations-supported", IPP_TAG_ENUM);
	for (int i = 0; a && i < ippGetCount(a); i++)
		if (ippGetInteger(a, i) == IPPC_OP_STAGE)
			p->has_encoder = true;
	ippDelete(resp);
	return 0;
}

int ippc_validate(http_t *http, const struct ippc_target *t, char *msg, size_t len)
{
	ipp_t *req = new_request(t, IPP_OP_VALIDATE_JOB), *resp;
	int r;

	ippAddString(req, IPP_TAG_OPERATION, IPP_TAG_MIMETYPE, "document-format", NULL,
			"image/png");
	resp = cupsDoRequest(http, req, t->resource);
	r = outcome(resp, "Validate-Job", msg, len);
	ippDelete(resp);
	return r;
}

int ippc_create_job(http_t *http, const struct ippc_target *t, const char *name, int *job_id,
		char *msg, size_t len)
{
	ipp_t *req = new_request(t, IPP_OP_CREATE_JOB), *resp;
	int r;

	ippAddString(req, IPP_TAG_OPERATION, IPP_TAG_NAME, "job-name", NULL, name);
	resp = cupsDoRequest(http, req, t->resource);
	r = outcome(resp, "Create-Job", msg, len);
	if (!r) {
		*job_id = get_int(resp, "job-id", 0);
		if (*job_id <= 0) {
			snprintf(msg, len, "Create-Job: the printer gave no job-id");
			r = -EPROTO;
		}
	}
	ippDelete(resp);
	return r;
}

static ipp_t *job_request(const struct ippc_target *t, int op, int job_id)
{
	ipp_t *req = ippNewRequest((ipp_op_t)op);

	ippAddString(req, IPP_TAG_OPERATION, IPP_TAG_URI, "printer-uri", NULL, t->uri);
	ippAddInteger(req, IPP_TAG_OPERATION, IPP_TAG_INTEGER, "job-id", job_id);
	ippAddString(req, IPP_TAG_OPERATION, IPP_TAG_NAME, "requesting-user-name", NULL,
			t->user[0] ? t->user : "rekamd");
	return req;
}

/* POST @req and @size bytes of document after it, as cupsSendRequest() and
 * cupsWriteRequestData() would but without "Expect: 100-continue":
 * cupsSendRequest() always asks for a 100 (Continue) and then waits up to a
 * second for it, and a server may rightly send none when the first bytes of
 * the body came in with the headers (RFC 9110, 10.1.1; libevent's evhttp
 * does so, and on loopback it is the rule): a second lost per card side. A
 * card side is a few hundred kB on the station's own network, cheaper to
 * send than to ask about; a refusal (413, 401) still comes back as the
 * response. HTTP_STATUS_CONTINUE when all is sent. */
static http_status_t post_with_data(http_t *http, ipp_t *req, const char *resource,
		const void *data, size_t size)
{
	char date[64];
	ipp_state_t state;
	int tries;

	if (httpGetState(http) == HTTP_STATE_GET_SEND || httpGetState(http) == HTTP_STATE_POST_SEND)
		httpFlush(http);
	for (tries = 0;; tries++) {
		if (httpGetState(http) != HTTP_STATE_WAITING && httpReconnect2(http, 30000, NULL))
			return HTTP_STATUS_ERROR;
		httpClearFields(http);
		httpSetExpect(http, HTTP_STATUS_NONE);
		httpSetField(http, HTTP_FIELD_CONTENT_TYPE, "application/ipp");
		httpSetField(http, HTTP_FIELD_DATE, httpGetDateString2(time(NULL), date,
				(int)sizeof(date)));
		/* the length is the whole body: the IPP message and the document */
		httpSetLength(http, ippLength(req) + size);
		if (!httpPost(http, resource))
			break;
		/* a kept connection the printer closed meanwhile: once more on a new one */
		if (tries || httpReconnect2(http, 30000, NULL))
			return HTTP_STATUS_ERROR;
	}
	ippSetState(req, IPP_STATE_IDLE);
	while ((state = ippWrite(http, req)) != IPP_STATE_DATA)
		if (state == IPP_STATE_ERROR)
			return HTTP_STATUS_ERROR;
	if (size && httpWrite2(http, data, size) < 0)
		return HTTP_STATUS_ERROR;
	return HTTP_STATUS_CONTINUE;
}

int ippc_send_document(http_t *http, const struct ippc_target *t, int job_id, const void *data,
		size_t size, bool last, char *msg, size_t len)
{
	ipp_t *req = job_request(t, IPP_OP_SEND_DOCUMENT, job_id), *resp = NULL;
	http_status_t st;
	int r;

	ippAddString(req, IPP_TAG_OPERATION, IPP_TAG_MIMETYPE, "document-format", NULL,
			"image/png");
	ippAddBoolean(req, IPP_TAG_OPERATION, "last-document", last);
	st = post_with_data(http, req, t->resource, data, size);
	if (st == HTTP_STATUS_CONTINUE)
		resp = cupsGetResponse(http, t->resource);
	ippDelete(req);
	r = outcome(resp, "Send-Document", msg, len);
	ippDelete(resp);
	return r;
}

int ippc_get_job(http_t *http, const struct ippc_target *t, int job_id, struct ippc_job *j,
		char *msg, size_t len)
{
	static const char *const wanted[] = {
		"job-state", "job-state-reasons", "job-state-message", "job-printer-state-reasons",
		"job-impressions", "job-impressions-completed",
	};
	ipp_t *req = job_request(t, IPP_OP_GET_JOB_ATTRIBUTES, job_id), *resp;
	int r;

	ippAddStrings(req, IPP_TAG_OPERATION, IPP_TAG_KEYWORD, "requested-attributes",
			(int)(sizeof(wanted) / sizeof(wanted[0])), NULL, wanted);
	resp = cupsDoRequest(http, req, t->resource);
	r = outcome(resp, "Get-Job-Attributes", msg, len);
	if (!r) {
		memset(j, 0, sizeof(*j));
		j->state = get_int(resp, "job-state", 0);
		copy_keywords(resp, "job-state-reasons", j->reasons, sizeof(j->reasons));
		copy_string(resp, "job-state-message", j->message, sizeof(j->message));
		copy_keywords(resp, "job-printer-state-reasons", j->printer_reasons,
				sizeof(j->printer_reasons));
		j->impressions = get_int(resp, "job-impressions", 0);
		j->impressions_completed = get_int(resp, "job-impressions-completed", 0);
	}
	ippDelete(resp);
	return r;
}

int ippc_cancel_job(http_t *http, const struct ippc_target *t, int job_id, char *msg, size_t len)
{
	ipp_t *resp = cupsDoRequest(http, job_request(t, IPP_OP_CANCEL_JOB, job_id), t->resource);
	int r = outcome(resp, "Cancel-Job", msg, len);

	ippDelete(resp);
	return r;
}

int ippc_vendor(http_t *http, const struct ippc_target *t, int op, char *msg, size_t len)
{
	ipp_t *resp = cupsDoRequest(http, new_request(t, op), t->resource);
	const char *what = op == IPPC_OP_STAGE ? "stage" : op == IPPC_OP_EJECT ? "eject" :
		"reject";
	int r = outcome(resp, what, msg, len);

	if (!r)
		copy_string(resp, "status-message", msg, len);
	ippDelete(resp);
	return r;
}

/* --- printer-state-reasons as sentences ------------------------------------------------ */

static const struct {
	const char *keyword;
	const char *sentence;
} faults[] = {
	{ "media-jam", "a card is jammed in the printer" },
	{ "media-empty", "the card hopper is empty" },
	{ "media-needed", "the card hopper is empty" },
	{ "marker-supply-empty", "the ribbon is used up" },
	{ "cover-open", "the printer's cover is open" },
	{ "door-open", "the printer's cover is open" },
	{ "interlock-open", "the printer's cover is open" },
	{ "offline", "the printer is offline" },
	{ "shutdown", "the printer is shut down" },
	{ "paused", "the printer is paused" },
};

bool ippc_has_reason(const char *reasons, const char *keyword)
{
	size_t n = strlen(keyword);
	const char *p;

	for (p = reasons; p && *p; p = strchr(p, ','), p = p ? p + 1 : NULL) {
		if (strncmp(p, keyword, n) != 0)
			continue;
		if (p[n] == ',' || !p[n] || strncmp(p + n, "-error", 6) == 0 ||
				strncmp(p + n, "-warning", 8) == 0 || strncmp(p + n, "-report", 7) == 0)
			return true;
	}
	return false;
}

const char *ippc_fault(const char *reasons)
{
	for (size_t i = 0; i < sizeof(faults) / sizeof(faults[0]); i++) {
		size_t n = strlen(faults[i].keyword);
		const char *p;

		/* a warning is no fault: "media-empty-warning" while a card is staged */
		for (p = reasons; p && *p; p = strchr(p, ','), p = p ? p + 1 : NULL)
			if (strncmp(p, faults[i].keyword, n) == 0 &&
					(p[n] == ',' || !p[n] || strncmp(p + n, "-error", 6) == 0 ||
					 strncmp(p + n, "-report", 7) == 0))
				return faults[i].sentence;
	}
	return NULL;
}
