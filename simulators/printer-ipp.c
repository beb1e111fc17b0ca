// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * rekam - device simulators
 *
 * printer-ipp.c - rekam-sim-printer's IPP server: evhttp on 127.0.0.1:PORT,
 * one resource (/ipp/print), each POST body decoded and each answer encoded
 * with libcups' IPP API (ippReadIO/ippWriteIO over the evbuffers). The IPP
 * operations: Print-Job, Validate-Job, Create-Job, Send-Document,
 * Cancel-Job, Get-Job-Attributes, Get-Jobs, Get-Printer-Attributes and the
 * inline encoder's vendor operations (stage, eject, reject). The printer's
 * attributes are in printer-attrs.c.
 */
#include <config.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cairo.h>
#include <cups/cups.h>
#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "simulators/printer-attrs.h"

static const uint8_t png_magic[8] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n' };

/* --- replies --------------------------------------------------------------------- */

static ipp_t *reply(ipp_t *request, ipp_status_t status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static ipp_t *reply(ipp_t *request, ipp_status_t status, const char *fmt, ...)
{
	ipp_t *resp = ippNewResponse(request);
	char text[256];
	va_list ap;

	ippSetStatusCode(resp, status);
	if (fmt) {
		va_start(ap, fmt);
		vsnprintf(text, sizeof(text), fmt, ap);
		va_end(ap);
		ippAddString(resp, IPP_TAG_OPERATION, IPP_TAG_TEXT, "status-message", NULL, text);
		if (status >= IPP_STATUS_ERROR_BAD_REQUEST)
			sim_info("%s: %s", ippErrorString(status), text);
	}
	return resp;
}

/* --- requests ---------------------------------------------------------------------- */

static ssize_t read_cb(void *ctx, ipp_uchar_t *buf, size_t len)
{
	return evbuffer_remove(ctx, buf, len);
}

static ssize_t write_cb(void *ctx, ipp_uchar_t *buf, size_t len)
{
	return evbuffer_add(ctx, buf, len) < 0 ? -1 : (ssize_t)len;
}

/* The operation attributes every request must start with (RFC 8011 4.1.4). */
static const char *check_operation_group(ipp_t *request)
{
	ipp_attribute_t *a = ippFirstAttribute(request);
	int major = ippGetVersion(request, NULL);

	if (major < 1 || major > 2)
		return "version";
	if (ippGetRequestId(request) <= 0)
		return "the request-id must be greater than 0";
	if (!a || ippGetGroupTag(a) != IPP_TAG_OPERATION || !ippGetName(a) ||
			strcmp(ippGetName(a), "attributes-charset") != 0 ||
			ippGetValueTag(a) != IPP_TAG_CHARSET)
		return "the request does not start with attributes-charset";
	a = ippNextAttribute(request);
	if (!a || ippGetGroupTag(a) != IPP_TAG_OPERATION || !ippGetName(a) ||
			strcmp(ippGetName(a), "attributes-natural-language") != 0 ||
			ippGetValueTag(a) != IPP_TAG_LANGUAGE)
		return "attributes-natural-language must follow attributes-charset";
	if (!ippFindAttribute(request, "printer-uri", IPP_TAG_URI) &&
			!ippFindAttribute(request, "job-uri", IPP_TAG_URI))
		return "the request has no printer-uri or job-uri";
	return NULL;
}

/* The job a request names: job-id with printer-uri, or job-uri. */
static struct printer_job *request_job(struct printer *p, ipp_t *request, ipp_t **resp)
{
	ipp_attribute_t *a = ippFindAttribute(request, "job-id", IPP_TAG_INTEGER);
	struct printer_job *job;
	const char *uri, *slash;
	int id = -1;

	if (a && ippGetGroupTag(a) == IPP_TAG_OPERATION) {
		id = ippGetInteger(a, 0);
	} else if ((a = ippFindAttribute(request, "job-uri", IPP_TAG_URI))) {
		uri = ippGetString(a, 0, NULL);
		slash = uri ? strrchr(uri, '/') : NULL;
		if (slash && slash[1])
			id = atoi(slash + 1);
	} else {
		*resp = reply(request, IPP_STATUS_ERROR_BAD_REQUEST, "job-id or job-uri is missing");
		return NULL;
	}
	job = printer_job_find(p, id);
	if (!job)
		*resp = reply(request, IPP_STATUS_ERROR_NOT_FOUND, "there is no job %d", id);
	return job;
}

/* The document of a request is a PNG of a sensible size? 0 or an IPP status. */
struct png_reader {
	const uint8_t *data;
	size_t len, pos;
};

static cairo_status_t png_read(void *closure, unsigned char *out, unsigned int len)
{
	struct png_reader *r = closure;

	if (r->len - r->pos < len)
		return CAIRO_STATUS_READ_ERROR;
	memcpy(out, r->data + r->pos, len);
	r->pos += len;
	return CAIRO_STATUS_SUCCESS;
}

static ipp_status_t check_png(const uint8_t *data, size_t len, char *why, size_t whylen)
{
	struct png_reader r = { data, len, 0 };
	cairo_surface_t *s;
	int w, h;

	if (len < sizeof(png_magic) || memcmp(data, png_magic, sizeof(png_magic)) != 0) {
		snprintf(why, whylen, "the document is not a PNG image");
		return IPP_STATUS_ERROR_DOCUMENT_FORMAT_NOT_SUPPORTED;
	}
	s = cairo_image_surface_create_from_png_stream(png_read, &r);
	if (cairo_surface_status(s) != CAIRO_STATUS_SUCCESS) {
		snprintf(why, whylen, "the PNG image cannot be decoded (%s)",
				cairo_status_to_string(cairo_surface_status(s)));
		cairo_surface_destroy(s);
		return IPP_STATUS_ERROR_DOCUMENT_FORMAT_ERROR;
	}
	w = cairo_image_surface_get_width(s);
	h = cairo_image_surface_get_height(s);
	cairo_surface_destroy(s);
	if (w < 1 || h < 1 || w > PRINTER_IMAGE_MAX || h > PRINTER_IMAGE_MAX) {
		snprintf(why, whylen, "the image is %dx%d pixels; a card side is at most %dx%d",
				w, h, PRINTER_IMAGE_MAX, PRINTER_IMAGE_MAX);
		return IPP_STATUS_ERROR_DOCUMENT_FORMAT_ERROR;
	}
	return IPP_STATUS_OK;
}

/* document-format of a request: a format we print, or an error reply. */
static bool check_format(ipp_t *request, ipp_t **resp)
{
	ipp_attribute_t *a = ippFindAttribute(request, "document-format", IPP_TAG_ZERO);
	const char *format;

	if (!a)
		return true;
	format = ippGetString(a, 0, NULL);
	if (ippGetValueTag(a) != IPP_TAG_MIMETYPE || !format ||
			(strcmp(format, "image/png") != 0 &&
			 strcmp(format, "application/octet-stream") != 0)) {
		*resp = reply(request, IPP_STATUS_ERROR_DOCUMENT_FORMAT_NOT_SUPPORTED,
				"document-format %s is not supported: send image/png",
				format ? format : "(not a mimeMediaType)");
		ippAddString(*resp, IPP_TAG_UNSUPPORTED_GROUP, IPP_TAG_MIMETYPE,
				"document-format", NULL, format ? format : "");
		return false;
	}
	return true;
}

/* Take the document data after the IPP message; NULL and an error reply when
 * it is no card side. */
static uint8_t *take_document(ipp_t *request, struct evbuffer *body, size_t *len, ipp_t **resp)
{
	char why[160];
	ipp_status_t st;
	uint8_t *data;

	*len = evbuffer_get_length(body);
	if (!*len) {
		*resp = reply(request, IPP_STATUS_ERROR_BAD_REQUEST, "the request has no document");
		return NULL;
	}
	if (*len > PRINTER_DOC_MAX) {
		*resp = reply(request, IPP_STATUS_ERROR_REQUEST_VALUE,
				"the document is larger than %u bytes", PRINTER_DOC_MAX);
		return NULL;
	}
	data = malloc(*len);
	if (!data) {
		*resp = reply(request, IPP_STATUS_ERROR_INTERNAL, "out of memory");
		return NULL;
	}
	evbuffer_remove(body, data, *len);
	sim_debug("a document of %zu bytes", *len);
	st = check_png(data, *len, why, sizeof(why));
	if (st != IPP_STATUS_OK) {
		free(data);
		*resp = reply(request, st, "%s", why);
		return NULL;
	}
	return data;
}

static const char *op_string(ipp_t *request, const char *name)
{
	ipp_attribute_t *a = ippFindAttribute(request, name, IPP_TAG_ZERO);

	return a && ippGetGroupTag(a) == IPP_TAG_OPERATION ? ippGetString(a, 0, NULL) : NULL;
}

static ipp_t *job_reply(struct printer *p, ipp_t *request, struct printer_job *job)
{
	ipp_t *resp = reply(request, IPP_STATUS_OK, NULL);

	printer_attrs_job(p, job, resp, NULL);
	return resp;
}

/* --- operations -------------------------------------------------------------------- */

static ipp_t *op_create(struct printer *p, ipp_t *request, struct evbuffer *body, bool print)
{
	struct printer_job *job;
	ipp_t *resp = NULL;
	uint8_t *data = NULL;
	size_t len = 0;

	if (!check_format(request, &resp))
		return resp;
	if (print && !(data = take_document(request, body, &len, &resp)))
		return resp;
	if (p->offline) {
		free(data);
		return reply(request, IPP_STATUS_ERROR_NOT_ACCEPTING_JOBS, "the printer is offline");
	}
	job = printer_job_new(p, op_string(request, "job-name"),
			op_string(request, "requesting-user-name"));
	if (!job) {
		free(data);
		return reply(request, IPP_STATUS_ERROR_BUSY, "too many jobs are waiting");
	}
	if (print) {
		printer_job_add_doc(p, job, data, len);
		printer_job_close(p, job);
	}
	sim_info("job %d created by %s (%s)", job->id, job->user,
			print ? "Print-Job" : "Create-Job");
	return job_reply(p, request, job);
}

static ipp_t *op_send_document(struct printer *p, ipp_t *request, struct evbuffer *body)
{
	ipp_attribute_t *last = ippFindAttribute(request, "last-document", IPP_TAG_BOOLEAN);
	struct printer_job *job;
	ipp_t *resp = NULL;
	uint8_t *data;
	size_t len;

	if (!last)
		return reply(request, IPP_STATUS_ERROR_BAD_REQUEST, "last-document is missing");
	job = request_job(p, request, &resp);
	if (!job)
		return resp;
	if (job->closed || job->state != IPP_JSTATE_PENDING)
		return reply(request, IPP_STATUS_ERROR_NOT_POSSIBLE,
				"job %d takes no more documents", job->id);
	if (!check_format(request, &resp))
		return resp;
	if (evbuffer_get_length(body) || !ippGetBoolean(last, 0)) {
		if (job->ndocs == PRINTER_SIDES)
			return reply(request, IPP_STATUS_ERROR_NOT_POSSIBLE,
					"a card has two sides: job %d has both", job->id);
		data = take_document(request, body, &len, &resp);
		if (!data)
			return resp;
		printer_job_add_doc(p, job, data, len);
	}
	if (ippGetBoolean(last, 0)) {
		if (!job->ndocs) {
			printer_job_cancel(p, job);
			return reply(request, IPP_STATUS_ERROR_BAD_REQUEST,
					"job %d has no document: canceled", job->id);
		}
		printer_job_close(p, job);
	}
	return job_reply(p, request, job);
}

static ipp_t *op_cancel(struct printer *p, ipp_t *request)
{
	struct printer_job *job;
	ipp_t *resp = NULL;

	job = request_job(p, request, &resp);
	if (!job)
		return resp;
	if (printer_job_cancel(p, job) < 0)
		return reply(request, IPP_STATUS_ERROR_NOT_POSSIBLE, "job %d is already %s",
				job->id, printer_job_state_name(job->state));
	sim_info("job %d canceled", job->id);
	return reply(request, IPP_STATUS_OK, NULL);
}

static ipp_t *op_get_job(struct printer *p, ipp_t *request)
{
	struct printer_job *job;
	cups_array_t *ra;
	ipp_t *resp = NULL;

	job = request_job(p, request, &resp);
	if (!job)
		return resp;
	resp = reply(request, IPP_STATUS_OK, NULL);
	ra = ippCreateRequestedArray(request);
	printer_attrs_job(p, job, resp, ra);
	cupsArrayDelete(ra);
	return resp;
}

static ipp_t *op_get_jobs(struct printer *p, ipp_t *request)
{
	const char *which = op_string(request, "which-jobs");
	ipp_attribute_t *limit_attr = ippFindAttribute(request, "limit", IPP_TAG_INTEGER);
	ipp_attribute_t *my_jobs = ippFindAttribute(request, "my-jobs", IPP_TAG_BOOLEAN);
	const char *user = op_string(request, "requesting-user-name");
	int limit = limit_attr ? ippGetInteger(limit_attr, 0) : 0, n = 0;
	bool completed, want_done;
	cups_array_t *ra = NULL;
	ipp_t *resp;

	if (which && strcmp(which, "completed") != 0 && strcmp(which, "not-completed") != 0 &&
			strcmp(which, "all") != 0)
		return reply(request, IPP_STATUS_ERROR_ATTRIBUTES_OR_VALUES,
				"which-jobs %s is not supported", which);
	want_done = which && strcmp(which, "completed") == 0;
	resp = reply(request, IPP_STATUS_OK, NULL);
	if (ippFindAttribute(request, "requested-attributes", IPP_TAG_KEYWORD))
		ra = ippCreateRequestedArray(request);
	else
		ra = printer_attrs_default_job_set();
	for (int i = p->njobs - 1; i >= 0 && (!limit || n < limit); i--) {
		completed = p->jobs[i]->state >= IPP_JSTATE_STOPPED;
		if (!(which && strcmp(which, "all") == 0) && completed != want_done)
			continue;
		if (my_jobs && ippGetBoolean(my_jobs, 0) &&
				(!user || strcmp(user, p->jobs[i]->user) != 0))
			continue;
		if (n++)
			ippAddSeparator(resp);
		printer_attrs_job(p, p->jobs[i], resp, ra);
	}
	cupsArrayDelete(ra);
	return resp;
}

static ipp_t *op_get_printer(struct printer *p, ipp_t *request)
{
	ipp_t *resp = reply(request, IPP_STATUS_OK, NULL);
	cups_array_t *ra = ippCreateRequestedArray(request);

	printer_attrs_printer(p, resp, ra);
	cupsArrayDelete(ra);
	return resp;
}

static ipp_t *op_encoder(struct printer *p, ipp_t *request, int op)
{
	char why[256];
	int r;

	r = op == PRINTER_OP_STAGE ? printer_stage(p, why, sizeof(why)) :
		op == PRINTER_OP_EJECT ? printer_eject(p, why, sizeof(why)) :
		printer_reject(p, why, sizeof(why));
	if (r == -EHOSTUNREACH)
		return reply(request, IPP_STATUS_ERROR_DEVICE, "%s", why);
	if (r == -EBUSY)
		return reply(request, IPP_STATUS_ERROR_BUSY, "%s", why);
	if (r < 0)
		return reply(request, IPP_STATUS_ERROR_NOT_POSSIBLE, "%s", why);
	sim_info("encoder: %s", why);
	return reply(request, IPP_STATUS_OK, "%s", why);
}

static ipp_t *dispatch(struct printer *p, ipp_t *request, struct evbuffer *body)
{
	const char *bad = check_operation_group(request);
	char code[64];
	int op = ippGetOperation(request);

	if (bad && strcmp(bad, "version") == 0)
		return reply(request, IPP_STATUS_ERROR_VERSION_NOT_SUPPORTED,
				"IPP version %d is not supported", ippGetVersion(request, NULL));
	if (bad)
		return reply(request, IPP_STATUS_ERROR_BAD_REQUEST, "%s", bad);
	if (sim_take_failure(p->sim, code, sizeof(code)))
		return reply(request, IPP_STATUS_ERROR_INTERNAL, "injected failure %s", code);
	switch (op) {
	case IPP_OP_PRINT_JOB:
		return op_create(p, request, body, true);
	case IPP_OP_VALIDATE_JOB: {
		ipp_t *resp = NULL;

		if (!check_format(request, &resp))
			return resp;
		return reply(request, IPP_STATUS_OK, NULL);
	}
	case IPP_OP_CREATE_JOB:
		return op_create(p, request, body, false);
	case IPP_OP_SEND_DOCUMENT:
		return op_send_document(p, request, body);
	case IPP_OP_CANCEL_JOB:
		return op_cancel(p, request);
	case IPP_OP_GET_JOB_ATTRIBUTES:
		return op_get_job(p, request);
	case IPP_OP_GET_JOBS:
		return op_get_jobs(p, request);
	case IPP_OP_GET_PRINTER_ATTRIBUTES:
		return op_get_printer(p, request);
	case PRINTER_OP_STAGE:
	case PRINTER_OP_EJECT:
	case PRINTER_OP_REJECT:
		return op_encoder(p, request, op);
	default:
		return reply(request, IPP_STATUS_ERROR_OPERATION_NOT_SUPPORTED,
				"operation 0x%04x is not supported", op);
	}
}

/* --- HTTP ---------------------------------------------------------------------------- */

static void send_text(struct evhttp_request *req, int code, const char *reason, const char *text)
{
	struct evbuffer *out = evbuffer_new();

	if (out)
		evbuffer_add_printf(out, "%s\n", text);
	evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type",
			"text/plain; charset=utf-8");
	evhttp_send_reply(req, code, reason, out);
	if (out)
		evbuffer_free(out);
}

static void on_request(struct evhttp_request *req, void *arg)
{
	struct printer *p = arg;
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
	const char *path = uri ? evhttp_uri_get_path(uri) : NULL;
	const char *type = evhttp_find_header(evhttp_request_get_input_headers(req),
			"Content-Type");
	struct evbuffer *body = evhttp_request_get_input_buffer(req);
	struct evbuffer *out;
	ipp_t *request, *resp;

	p->requests++;
	if (!path || strcmp(path, PRINTER_RESOURCE) != 0) {
		p->bad_requests++;
		send_text(req, HTTP_NOTFOUND, "Not Found", "the printer is at " PRINTER_RESOURCE);
		return;
	}
	if (evhttp_request_get_command(req) != EVHTTP_REQ_POST) {
		p->bad_requests++;
		send_text(req, HTTP_BADMETHOD, "Method Not Allowed", "IPP requests are POSTs");
		return;
	}
	if (!type || strncmp(type, "application/ipp", 15) != 0) {
		p->bad_requests++;
		send_text(req, HTTP_BADREQUEST, "Bad Request", "Content-Type must be application/ipp");
		return;
	}
	request = ippNew();
	if (!request || ippReadIO(body, read_cb, 1, NULL, request) != IPP_STATE_DATA) {
		p->bad_requests++;
		ippDelete(request);
		sim_info("a malformed IPP request was refused");
		send_text(req, HTTP_BADREQUEST, "Bad Request", "the body is not an IPP request");
		return;
	}
	sim_debug("%s (request %d)", ippOpString(ippGetOperation(request)),
			ippGetRequestId(request));
	resp = dispatch(p, request, body);
	out = evbuffer_new();
	if (!out || ippWriteIO(out, write_cb, 1, NULL, resp) != IPP_STATE_DATA) {
		send_text(req, HTTP_INTERNAL, "Internal Server Error", "cannot encode the answer");
	} else {
		evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type",
				"application/ipp");
		evhttp_send_reply(req, HTTP_OK, "OK", out);
	}
	if (out)
		evbuffer_free(out);
	ippDelete(resp);
	ippDelete(request);
}

static int listen_http(struct printer *p)
{
	p->http = evhttp_new(sim_base(p->sim));
	if (!p->http)
		return -ENOMEM;
	evhttp_set_max_body_size(p->http, PRINTER_BODY_MAX);
	evhttp_set_allowed_methods(p->http, EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_HEAD);
	evhttp_set_timeout(p->http, 60);
	evhttp_set_gencb(p->http, on_request, p);
	if (!evhttp_bind_socket_with_handle(p->http, "127.0.0.1", (ev_uint16_t)p->port)) {
		evhttp_free(p->http);
		p->http = NULL;
		return -EADDRINUSE;
	}
	return 0;
}

/* The framework's unplug/replug close and reopen the IPP port too. */
static void plug_cb(evutil_socket_t fd, short what, void *arg)
{
	struct printer *p = arg;
	bool plugged = sim_device_plugged(p->sim);

	if (!plugged && p->http) {
		evhttp_free(p->http);
		p->http = NULL;
		sim_info("unplugged: IPP port closed");
	} else if (plugged && !p->http) {
		if (listen_http(p) < 0)
			sim_warn("replug: cannot listen on 127.0.0.1:%u (retrying)", p->port);
		else
			sim_info("replugged: IPP port open");
	}
}

int printer_ipp_open(struct printer *p)
{
	struct timeval tv = { 0, 100000 };
	int r = listen_http(p);

	if (r < 0) {
		sim_err("cannot listen on 127.0.0.1:%u", p->port);
		return r;
	}
	sim_info("IPP printer at ipp://127.0.0.1:%u" PRINTER_RESOURCE, p->port);
	p->plug_timer = event_new(sim_base(p->sim), -1, EV_PERSIST, plug_cb, p);
	if (!p->plug_timer)
		return -ENOMEM;
	event_add(p->plug_timer, &tv);
	return 0;
}

void printer_ipp_close(struct printer *p)
{
	if (p->plug_timer)
		event_free(p->plug_timer);
	p->plug_timer = NULL;
	if (p->http)
		evhttp_free(p->http);
	p->http = NULL;
}
