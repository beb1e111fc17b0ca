// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * rekam - device simulators
 *
 * scanner-escl.c - rekam-sim-scanner's eSCL (AirScan) responder: HTTP on
 * 127.0.0.1 with libevent's evhttp, serving ScannerCapabilities,
 * ScannerStatus, ScanJobs (POST answers 201 with a Location), a job's
 * NextDocument (one scanned page per request, or a PDF of every sheet for a
 * job that asks for application/pdf; 404 once the job has no more) and
 * DELETE of a job; and the faults of the control socket as a real scanner
 * shows them: a paper jam in the feeder, an empty feeder, an open
 * feeder cover, a busy scanner (503), a slow page, a page whose transfer
 * stops halfway, and unplug (the port closes).
 */
#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <event2/buffer.h>
#include <event2/http.h>

#include "simulators/scanner.h"

#define BODY_MAX (64 * 1024)
#define NS "xmlns:pwg=\"http://www.pwg.org/schemas/2010/12/sm\" " \
	"xmlns:scan=\"http://schemas.hp.com/imaging/escl/2011/05/03\""
#define JOBS_PREFIX "/eSCL/ScanJobs/"

static const unsigned int resolutions[] = { 75, 100, 150, 200, 300, 600 };

/* --- replies ------------------------------------------------------------------ */

static const char *reason_of(int code)
{
	switch (code) {
	case 200: return "OK";
	case 201: return "Created";
	case 400: return "Bad Request";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 409: return "Conflict";
	case 503: return "Service Unavailable";
	default: return "Internal Server Error";
	}
}

static void reply(struct evhttp_request *req, int code, const char *type, struct evbuffer *body)
{
	if (type)
		evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type", type);
	sim_debug("-> %d %s", code, reason_of(code));
	evhttp_send_reply(req, code, reason_of(code), body);
}

/* An error with a line of text saying why. */
static void reply_text(struct evhttp_request *req, int code, const char *why)
{
	struct evbuffer *body = evbuffer_new();

	if (body)
		evbuffer_add_printf(body, "%s\n", why);
	sim_debug("%d: %s", code, why);
	reply(req, code, "text/plain", body);
	if (body)
		evbuffer_free(body);
}

/* --- capabilities and status ----------------------------------------------------- */

static void source_caps(struct evbuffer *b)
{
	evbuffer_add_printf(b,
		"<scan:MinWidth>%d</scan:MinWidth><scan:MaxWidth>%d</scan:MaxWidth>"
		"<scan:MinHeight>%d</scan:MinHeight><scan:MaxHeight>%d</scan:MaxHeight>"
		"<scan:MaxScanRegions>1</scan:MaxScanRegions>"
		"<scan:SettingProfiles><scan:SettingProfile>"
		"<scan:ColorModes><scan:ColorMode>RGB24</scan:ColorMode>"
		"<scan:ColorMode>Grayscale8</scan:ColorMode></scan:ColorModes>"
		"<scan:DocumentFormats><pwg:DocumentFormat>image/jpeg</pwg:DocumentFormat>"
		"<pwg:DocumentFormat>application/pdf</pwg:DocumentFormat>"
		"<scan:DocumentFormatExt>image/jpeg</scan:DocumentFormatExt>"
		"<scan:DocumentFormatExt>application/pdf</scan:DocumentFormatExt>"
		"</scan:DocumentFormats>"
		"<scan:SupportedResolutions><scan:DiscreteResolutions>",
		SCANNER_MIN_SIZE, SCANNER_MAX_WIDTH, SCANNER_MIN_SIZE, SCANNER_MAX_HEIGHT);
	for (size_t i = 0; i < sizeof(resolutions) / sizeof(resolutions[0]); i++)
		evbuffer_add_printf(b, "<scan:DiscreteResolution><scan:XResolution>%u"
			"</scan:XResolution><scan:YResolution>%u</scan:YResolution>"
			"</scan:DiscreteResolution>", resolutions[i], resolutions[i]);
	evbuffer_add_printf(b,
		"</scan:DiscreteResolutions></scan:SupportedResolutions>"
		"</scan:SettingProfile></scan:SettingProfiles>"
		"<scan:SupportedIntents><scan:Intent>Document</scan:Intent>"
		"<scan:Intent>TextAndGraphic</scan:Intent></scan:SupportedIntents>"
		"<scan:MaxOpticalXResolution>600</scan:MaxOpticalXResolution>"
		"<scan:MaxOpticalYResolution>600</scan:MaxOpticalYResolution>");
}

static void get_capabilities(struct scanner *s, struct evhttp_request *req)
{
	struct evbuffer *b = evbuffer_new();

	if (!b) {
		reply_text(req, 500, "out of memory");
		return;
	}
	evbuffer_add_printf(b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		"<scan:ScannerCapabilities " NS ">"
		"<pwg:Version>2.63</pwg:Version>"
		"<pwg:MakeAndModel>%s %s</pwg:MakeAndModel>"
		"<pwg:SerialNumber>%s</pwg:SerialNumber>"
		"<scan:UUID>%s</scan:UUID>"
		"<scan:AdminURI>http://127.0.0.1:%u/</scan:AdminURI>"
		"<scan:Platen><scan:PlatenInputCaps>", SCANNER_MAKE, SCANNER_MODEL, s->serial,
		s->uuid, s->bound_port);
	source_caps(b);
	evbuffer_add_printf(b, "</scan:PlatenInputCaps></scan:Platen>"
		"<scan:Adf><scan:AdfSimplexInputCaps>");
	source_caps(b);
	evbuffer_add_printf(b, "</scan:AdfSimplexInputCaps>"
		"<scan:FeederCapacity>%d</scan:FeederCapacity>"
		"<scan:AdfOptions><scan:AdfOption>DetectPaperLoaded</scan:AdfOption>"
		"</scan:AdfOptions></scan:Adf></scan:ScannerCapabilities>\n", SCANNER_ADF_MAX);
	reply(req, 200, "text/xml", b);
	evbuffer_free(b);
}

bool scanner_busy_scanning(const struct scanner *s)
{
	for (int i = 0; i < SCANNER_JOBS_MAX; i++)
		if (s->jobs[i] && s->jobs[i]->waiting)
			return true;
	return false;
}

const char *scanner_adf_state(const struct scanner *s)
{
	if (s->jammed)
		return "ScannerAdfJam";
	if (s->cover_open)
		return "ScannerAdfDoorOpen";
	return s->adf_sheets ? "ScannerAdfLoaded" : "ScannerAdfEmpty";
}

static const char *job_state_name(enum job_state st)
{
	static const char *const names[] = { "Processing", "Completed", "Canceled", "Aborted" };

	return names[st];
}

static void get_status(struct scanner *s, struct evhttp_request *req)
{
	struct evbuffer *b = evbuffer_new();

	if (!b) {
		reply_text(req, 500, "out of memory");
		return;
	}
	evbuffer_add_printf(b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		"<scan:ScannerStatus " NS "><pwg:Version>2.63</pwg:Version>"
		"<pwg:State>%s</pwg:State><scan:AdfState>%s</scan:AdfState><scan:Jobs>",
		s->busy || scanner_busy_scanning(s) ? "Processing" : "Idle", scanner_adf_state(s));
	for (int i = 0; i < SCANNER_JOBS_MAX; i++) {
		const struct scanner_job *j = s->jobs[i];

		if (!j)
			continue;
		evbuffer_add_printf(b, "<scan:JobInfo><pwg:JobUri>" JOBS_PREFIX "%s</pwg:JobUri>"
			"<pwg:JobUuid>%s</pwg:JobUuid><pwg:ImagesCompleted>%u"
			"</pwg:ImagesCompleted><pwg:ImagesToTransfer>%u</pwg:ImagesToTransfer>"
			"<pwg:JobState>%s</pwg:JobState><pwg:JobStateReasons>"
			"<pwg:JobStateReason>%s</pwg:JobStateReason></pwg:JobStateReasons>"
			"</scan:JobInfo>", j->uuid, j->uuid, j->pages_done,
			j->state == JOB_PROCESSING ? j->pages_total - j->pages_done : 0,
			job_state_name(j->state), j->reason);
	}
	evbuffer_add_printf(b, "</scan:Jobs></scan:ScannerStatus>\n");
	reply(req, 200, "text/xml", b);
	evbuffer_free(b);
}

/* --- jobs ------------------------------------------------------------------------- */

static void job_free(struct scanner_job *j)
{
	if (j->timer)
		event_free(j->timer);
	free(j);
}

static struct scanner_job *job_find(struct scanner *s, const char *uuid, size_t len)
{
	for (int i = 0; i < SCANNER_JOBS_MAX; i++)
		if (s->jobs[i] && strlen(s->jobs[i]->uuid) == len &&
				!memcmp(s->jobs[i]->uuid, uuid, len))
			return s->jobs[i];
	return NULL;
}

static void job_end(struct scanner_job *j, enum job_state st, const char *reason)
{
	if (j->state != JOB_PROCESSING)
		return;
	j->state = st;
	j->reason = reason;
	sim_info("job %u: %s (%s) after %u page(s)", j->number, job_state_name(st), reason,
		j->pages_done);
}

/* The value of element <...:NAME> in @xml as an unsigned number, or @fallback. */
static int xml_uint(const char *xml, const char *name, unsigned int fallback, unsigned int *out)
{
	char tag[48], buf[16];
	const char *p;
	uint64_t v;
	size_t n;

	snprintf(tag, sizeof(tag), ":%s>", name);
	p = strstr(xml, tag);
	*out = fallback;
	if (!p)
		return 0;
	p += strlen(tag);
	n = strcspn(p, "<");
	if (n == 0 || n >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, p, n);
	buf[n] = '\0';
	if (sim_parse_uint(buf, 0, 100000, &v) < 0)
		return -EINVAL;
	*out = (unsigned int)v;
	return 0;
}

/* Does element <...:NAME> hold @value (or is it absent, when @absent_ok)? */
static bool xml_is(const char *xml, const char *name, const char *value, bool absent_ok)
{
	char tag[48];
	const char *p;
	size_t n = strlen(value);

	snprintf(tag, sizeof(tag), ":%s>", name);
	p = strstr(xml, tag);
	if (!p)
		return absent_ok;
	p += strlen(tag);
	return strncmp(p, value, n) == 0 && p[n] == '<';
}

static bool xml_has(const char *xml, const char *name)
{
	char tag[48];

	snprintf(tag, sizeof(tag), ":%s>", name);
	return strstr(xml, tag) != NULL;
}

/* Read the ScanSettings of a POST into @j; NULL or why not. */
static const char *parse_settings(const char *xml, struct scanner_job *j)
{
	bool res_ok = false;

	if (!strstr(xml, "ScanSettings"))
		return "the body is not eSCL ScanSettings";
	if (xml_is(xml, "InputSource", "Feeder", false))
		j->adf = true;
	else if (!xml_is(xml, "InputSource", "Platen", true))
		return "InputSource must be Platen or Feeder";
	if (xml_is(xml, "ColorMode", "RGB24", true))
		j->mode = MODE_COLOR;
	else if (xml_is(xml, "ColorMode", "Grayscale8", false))
		j->mode = MODE_GRAY;
	else
		return "ColorMode must be RGB24 or Grayscale8";
	j->pdf = xml_is(xml, xml_has(xml, "DocumentFormatExt") ? "DocumentFormatExt" :
		"DocumentFormat", "application/pdf", false);
	if (!j->pdf && (xml_has(xml, "DocumentFormatExt") ? !xml_is(xml, "DocumentFormatExt",
			"image/jpeg", false) : !xml_is(xml, "DocumentFormat", "image/jpeg", true)))
		return "the DocumentFormat must be image/jpeg or application/pdf";
	if (xml_uint(xml, "XResolution", 300, &j->xres) < 0 ||
			xml_uint(xml, "YResolution", j->xres, &j->yres) < 0 ||
			xml_uint(xml, "XOffset", 0, &j->x) < 0 || xml_uint(xml, "YOffset", 0, &j->y) < 0 ||
			xml_uint(xml, "Width", SCANNER_MAX_WIDTH, &j->width) < 0 ||
			xml_uint(xml, "Height", SCANNER_MAX_HEIGHT, &j->height) < 0)
		return "a number in the ScanSettings is malformed";
	for (size_t i = 0; i < sizeof(resolutions) / sizeof(resolutions[0]); i++)
		res_ok = res_ok || j->xres == resolutions[i];
	if (!res_ok || j->xres != j->yres)
		return "the resolution must be 75, 100, 150, 200, 300 or 600 dpi, the same both ways";
	if (j->width < SCANNER_MIN_SIZE || j->height < SCANNER_MIN_SIZE ||
			j->x + j->width > SCANNER_MAX_WIDTH || j->y + j->height > SCANNER_MAX_HEIGHT)
		return "the scan region is outside the glass";
	return NULL;
}

static void post_job(struct scanner *s, struct evhttp_request *req)
{
	struct evbuffer *in = evhttp_request_get_input_buffer(req);
	size_t len = evbuffer_get_length(in);
	struct scanner_job *j;
	char *xml, location[128];
	const char *why;
	int slot = -1;

	if (s->busy) {
		s->busy--;
		reply_text(req, 503, "the scanner is busy with another task");
		return;
	}
	if (scanner_busy_scanning(s)) {
		reply_text(req, 503, "the scanner is scanning a page of another job");
		return;
	}
	if (len == 0 || len > BODY_MAX || !(xml = malloc(len + 1))) {
		s->bad_requests++;
		reply_text(req, 400, "a ScanJobs POST carries ScanSettings (at most 64 KiB)");
		return;
	}
	evbuffer_remove(in, xml, len);
	xml[len] = '\0';
	j = calloc(1, sizeof(*j));
	if (!j) {
		free(xml);
		reply_text(req, 500, "out of memory");
		return;
	}
	why = parse_settings(xml, j);
	free(xml);
	if (!why && j->adf && (s->jammed || s->cover_open || !s->adf_sheets))
		why = s->jammed ? "paper jam in the feeder" : s->cover_open ?
			"the feeder cover is open" : "the feeder is empty";
	if (why) {
		free(j);
		s->bad_requests++;
		reply_text(req, 409, why);
		return;
	}
	/* a new job ends the jobs nobody collects any more, and takes the oldest slot */
	for (int i = 0; i < SCANNER_JOBS_MAX; i++) {
		if (s->jobs[i])
			job_end(s->jobs[i], JOB_CANCELED, "JobCanceledByUser");
		if (slot < 0 && !s->jobs[i])
			slot = i;
	}
	if (slot < 0) {
		slot = 0;
		for (int i = 1; i < SCANNER_JOBS_MAX; i++)
			if (s->jobs[i]->number < s->jobs[slot]->number)
				slot = i;
		job_free(s->jobs[slot]);
	}
	j->scanner = s;
	j->number = ++s->next_job;
	snprintf(j->uuid, sizeof(j->uuid), "%08x-%04x-4000-8000-%012llx", j->number,
		(unsigned int)(sim_seed(s->sim) & 0xffff),
		(unsigned long long)(sim_rng_next(sim_rng(s->sim)) & 0xffffffffffffULL));
	j->state = JOB_PROCESSING;
	j->reason = "JobScanning";
	j->doc = j->adf ? s->adf_doc : s->platen_doc;
	j->pages_total = j->adf ? s->adf_sheets : 1;
	s->jobs[slot] = j;
	snprintf(location, sizeof(location), "http://127.0.0.1:%u" JOBS_PREFIX "%s",
		s->bound_port, j->uuid);
	evhttp_add_header(evhttp_request_get_output_headers(req), "Location", location);
	sim_info("job %u: %s, %s, %s, %u dpi, %ux%u at %u,%u (1/300 in), %u page(s) of %s",
		j->number, j->adf ? "feeder" : "glass", j->mode == MODE_COLOR ? "colour" : "grey",
		j->pdf ? "pdf" : "jpeg", j->xres, j->width, j->height, j->x, j->y, j->pages_total,
		scanner_doc_name(j->doc));
	reply(req, 201, NULL, NULL);
}

/* --- pages ------------------------------------------------------------------------- */

static void send_page(struct scanner *s, struct scanner_job *j, struct evhttp_request *req,
		uint8_t *jpeg, size_t len)
{
	struct evbuffer *b = evbuffer_new();
	char size[24];

	if (!b) {
		reply_text(req, 500, "out of memory");
		return;
	}
	evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type",
		j->pdf ? "application/pdf" : "image/jpeg");
	if (s->drop) {
		/* the whole length announced, half of it sent, then the connection closes */
		s->drop = false;
		snprintf(size, sizeof(size), "%zu", len);
		evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Length", size);
		evhttp_add_header(evhttp_request_get_output_headers(req), "Connection", "close");
		evbuffer_add(b, jpeg, len / 2);
		sim_info("drop: the page stops halfway, connection closed");
		reply(req, 200, NULL, b);
		job_end(j, JOB_ABORTED, "JobTransferFailed");
	} else {
		evbuffer_add(b, jpeg, len);
		reply(req, 200, NULL, b);
	}
	evbuffer_free(b);
}

/* Scan the job's next sheet: a JPEG, and the counters. */
static int scan_sheet(struct scanner *s, struct scanner_job *j, uint8_t **jpeg, size_t *len)
{
	unsigned int page = (j->adf ? s->adf_first_page : 0) % scanner_doc_pages(j->doc);
	int r = scanner_page_scan(s, j, j->doc, page, jpeg, len);

	if (r < 0)
		return r;
	j->pages_done++;
	if (j->adf) {
		s->adf_sheets--;
		s->adf_first_page++;
	}
	s->pages++;
	s->last_len = *len;
	sim_sha256_hex(*jpeg, *len, s->last_sha256);
	snprintf(s->last_doc, sizeof(s->last_doc), "%s", scanner_doc_name(j->doc));
	snprintf(s->last_mode, sizeof(s->last_mode), "%s", j->mode == MODE_COLOR ? "color" :
		"gray");
	s->last_w = (unsigned int)((uint64_t)j->width * j->xres / 300);
	s->last_h = (unsigned int)((uint64_t)j->height * j->yres / 300);
	s->last_dpi = j->xres;
	sim_info("job %u: page %u of %u (%s page %u, %zu bytes)", j->number, j->pages_done,
		j->pages_total, scanner_doc_name(j->doc), page + 1, *len);
	return 0;
}

/* Every sheet left in the job, as one PDF. */
static int scan_pdf(struct scanner *s, struct scanner_job *j, uint8_t **pdf, size_t *len)
{
	unsigned int n = j->pages_total - j->pages_done, done = 0;
	uint8_t **jpegs = calloc(n, sizeof(*jpegs));
	size_t *lens = calloc(n, sizeof(*lens));
	int r = jpegs && lens ? 0 : -ENOMEM;

	for (; !r && done < n; done++)
		r = scan_sheet(s, j, &jpegs[done], &lens[done]);
	if (!r)
		r = scanner_pdf(j, jpegs, lens, n, pdf, len);
	for (unsigned int i = 0; jpegs && i < n; i++)
		free(jpegs[i]);
	free(jpegs);
	free(lens);
	return r;
}

static void page_done_cb(evutil_socket_t fd, short what, void *arg)
{
	struct scanner_job *j = arg;
	struct scanner *s = j->scanner;
	struct evhttp_request *req = j->waiting;
	uint8_t *data = NULL;
	size_t len = 0;
	int r;

	j->waiting = NULL;
	if (!req)
		return;
	r = j->pdf ? scan_pdf(s, j, &data, &len) : scan_sheet(s, j, &data, &len);
	if (r < 0) {
		free(data);
		reply_text(req, 500, "the page could not be scanned");
		job_end(j, JOB_ABORTED, "JobFailed");
		return;
	}
	send_page(s, j, req, data, len);
	free(data);
	if (j->state == JOB_PROCESSING && j->pages_done >= j->pages_total)
		job_end(j, JOB_COMPLETED, "JobCompletedSuccessfully");
}

/* A connection closed: forget the page a job was scanning for it. */
static void conn_closed_cb(struct evhttp_connection *evcon, void *arg)
{
	struct scanner *s = arg;

	for (int i = 0; i < SCANNER_JOBS_MAX; i++) {
		struct scanner_job *j = s->jobs[i];

		if (j && j->waiting && evhttp_request_get_connection(j->waiting) == evcon) {
			sim_info("job %u: the host went away during a page", j->number);
			j->waiting = NULL;
			event_del(j->timer);
		}
	}
}

static void next_document(struct scanner *s, struct scanner_job *j, struct evhttp_request *req)
{
	struct timeval tv;
	uint64_t us, pages;
	char code[40];

	if (j->waiting) {
		reply_text(req, 409, "a page of this job is being scanned already");
		return;
	}
	if (j->state == JOB_PROCESSING && j->pages_done >= j->pages_total)
		job_end(j, JOB_COMPLETED, "JobCompletedSuccessfully");
	if (j->state != JOB_PROCESSING) {
		reply_text(req, 404, "the job has no more pages");
		return;
	}
	if (j->adf && s->jam_at && (j->pdf ? s->jam_at <= j->pages_total :
			j->pages_done + 1 >= s->jam_at)) {
		/* a PDF is one document: the sheets before the jam went through */
		if (j->pdf && s->jam_at > j->pages_done + 1) {
			s->adf_sheets -= s->jam_at - 1 - j->pages_done;
			s->adf_first_page += s->jam_at - 1 - j->pages_done;
		}
		s->jam_at = 0;
		s->jammed = true;
		s->jams++;
		s->adf_sheets--; /* the sheet stuck in the feeder */
		job_end(j, JOB_ABORTED, "JamDetected");
		reply_text(req, 503, "paper jam in the feeder");
		return;
	}
	if (sim_take_failure(s->sim, code, sizeof(code))) {
		job_end(j, JOB_ABORTED, "JobFailed");
		reply_text(req, 500, "scanner failure (injected)");
		sim_info("job %u: injected failure %s", j->number, code);
		return;
	}
	if (!j->timer && !(j->timer = evtimer_new(sim_base(s->sim), page_done_cb, j))) {
		reply_text(req, 500, "out of memory");
		return;
	}
	j->waiting = req;
	evhttp_connection_set_closecb(evhttp_request_get_connection(req), conn_closed_cb, s);
	pages = j->pdf ? j->pages_total - j->pages_done : 1;
	us = pages * (sim_clock_scaled_us(sim_time_scale(s->sim), SCANNER_PAGE_MS) +
		1000ULL * (s->slow_ms + sim_reply_delay_ms(s->sim)));
	sim_clock_us_tv(us, &tv);
	event_add(j->timer, &tv);
}

static void delete_job(struct scanner *s, struct scanner_job *j, struct evhttp_request *req)
{
	if (j->waiting) {
		struct evhttp_request *w = j->waiting;

		j->waiting = NULL;
		event_del(j->timer);
		reply_text(w, 404, "the job was cancelled");
	}
	job_end(j, JOB_CANCELED, "JobCanceledByUser");
	reply(req, 200, NULL, NULL);
}

/* --- dispatch ---------------------------------------------------------------------- */

static void on_request(struct evhttp_request *req, void *arg)
{
	struct scanner *s = arg;
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
	const char *path = uri ? evhttp_uri_get_path(uri) : NULL;
	enum evhttp_cmd_type cmd = evhttp_request_get_command(req);
	struct scanner_job *j = NULL;
	const char *rest = NULL;
	size_t n = 0;

	s->requests++;
	if (!path) {
		s->bad_requests++;
		reply_text(req, 400, "no path");
		return;
	}
	sim_debug("%s %s", cmd == EVHTTP_REQ_GET ? "GET" : cmd == EVHTTP_REQ_POST ? "POST" :
		"DELETE", path);
	if (!strncmp(path, JOBS_PREFIX, strlen(JOBS_PREFIX))) {
		const char *id = path + strlen(JOBS_PREFIX);

		n = strcspn(id, "/");
		rest = id + n;
		j = job_find(s, id, n);
		if (!j) {
			reply_text(req, 404, "no such job");
			return;
		}
	}
	if (!strcmp(path, "/eSCL/ScannerCapabilities") && cmd == EVHTTP_REQ_GET)
		get_capabilities(s, req);
	else if (!strcmp(path, "/eSCL/ScannerStatus") && cmd == EVHTTP_REQ_GET)
		get_status(s, req);
	else if (!strcmp(path, "/eSCL/ScanJobs") && cmd == EVHTTP_REQ_POST)
		post_job(s, req);
	else if (j && !strcmp(rest, "/NextDocument") && cmd == EVHTTP_REQ_GET)
		next_document(s, j, req);
	else if (j && (!*rest || !strcmp(rest, "/")) && cmd == EVHTTP_REQ_DELETE)
		delete_job(s, j, req);
	else {
		s->bad_requests++;
		reply_text(req, 404, "no such eSCL resource");
	}
}

/* --- the server and unplug ------------------------------------------------------------ */

static void forget_waiting(struct scanner *s)
{
	for (int i = 0; i < SCANNER_JOBS_MAX; i++) {
		if (s->jobs[i] && s->jobs[i]->waiting) {
			s->jobs[i]->waiting = NULL;
			event_del(s->jobs[i]->timer);
			job_end(s->jobs[i], JOB_ABORTED, "JobCanceledBySystem");
		}
	}
}

static void stop_http(struct scanner *s)
{
	forget_waiting(s);
	if (s->http)
		evhttp_free(s->http);
	s->http = NULL;
	s->bound = NULL;
}

static int start_http(struct scanner *s)
{
	struct sockaddr_in sin;
	socklen_t sl = sizeof(sin);

	s->http = evhttp_new(sim_base(s->sim));
	if (!s->http)
		return -ENOMEM;
	evhttp_set_allowed_methods(s->http, EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_DELETE);
	evhttp_set_max_body_size(s->http, BODY_MAX);
	evhttp_set_max_headers_size(s->http, 16 * 1024);
	evhttp_set_timeout(s->http, 120);
	evhttp_set_gencb(s->http, on_request, s);
	s->bound = evhttp_bind_socket_with_handle(s->http, "127.0.0.1",
		(ev_uint16_t)(s->bound_port ? s->bound_port : s->port));
	if (!s->bound) {
		int err = errno ? -errno : -EADDRINUSE;

		evhttp_free(s->http);
		s->http = NULL;
		return err;
	}
	if (getsockname(evhttp_bound_socket_get_fd(s->bound), (struct sockaddr *)&sin, &sl) == 0)
		s->bound_port = ntohs(sin.sin_port);
	return 0;
}

static void plug_cb(evutil_socket_t fd, short what, void *arg)
{
	struct scanner *s = arg;
	bool plugged = sim_device_plugged(s->sim);
	int r;

	if (!plugged && s->http) {
		stop_http(s);
		sim_info("unplugged: eSCL port %u closed", s->bound_port);
	} else if (plugged && !s->http) {
		r = start_http(s);
		if (r < 0)
			sim_warn("replug: cannot listen on 127.0.0.1:%u: %s (retrying)",
				s->bound_port, strerror(-r));
		else
			sim_info("replugged: eSCL on port %u", s->bound_port);
	}
}

int scanner_escl_open(struct scanner *s)
{
	struct timeval tv = { 0, 50000 };
	int r;

	s->plug_timer = event_new(sim_base(s->sim), -1, EV_PERSIST, plug_cb, s);
	if (!s->plug_timer)
		return -ENOMEM;
	r = start_http(s);
	if (r < 0) {
		sim_err("cannot listen on 127.0.0.1 port %u: %s", s->port, strerror(-r));
		return r;
	}
	event_add(s->plug_timer, &tv);
	sim_info("eSCL on http://127.0.0.1:%u/eSCL", s->bound_port);
	return 0;
}

void scanner_escl_close(struct scanner *s)
{
	stop_http(s);
	for (int i = 0; i < SCANNER_JOBS_MAX; i++) {
		if (s->jobs[i])
			job_free(s->jobs[i]);
		s->jobs[i] = NULL;
	}
	if (s->plug_timer)
		event_free(s->plug_timer);
	s->plug_timer = NULL;
}
