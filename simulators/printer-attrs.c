// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * rekam - device simulators
 *
 * printer-attrs.c - what rekam-sim-printer says about itself and its jobs
 * in IPP: a Fargo-like dye-sublimation card printer with one CR-80 hopper,
 * a YMCKO ribbon as its marker (marker-levels), the hopper level in
 * printer-input-tray, printer-state and printer-state-reasons from the
 * engine, vendor counters (rekam-cards-printed, ...) and the inline encoder
 * (rekam-card-staged). docs/printer.md lists them.
 */
#include <config.h>

#include <stdio.h>
#include <string.h>
#include <time.h>

#include <cups/cups.h>

#include "simulators/printer-attrs.h"

#define CR80_X 8560 /* hundredths of a millimetre: 85.60 x 53.98 mm */
#define CR80_Y 5398
#define MEDIA_NAME "oe_cr80_3.375x2.125in"

static const char *const formats[] = { "image/png", "application/octet-stream" };
static const char *const sides[] = { "one-sided", "two-sided-long-edge" };
static const char *const color_modes[] = { "color", "monochrome" };
static const int operations[] = {
	IPP_OP_PRINT_JOB, IPP_OP_VALIDATE_JOB, IPP_OP_CREATE_JOB, IPP_OP_SEND_DOCUMENT,
	IPP_OP_CANCEL_JOB, IPP_OP_GET_JOB_ATTRIBUTES, IPP_OP_GET_JOBS,
	IPP_OP_GET_PRINTER_ATTRIBUTES, PRINTER_OP_STAGE, PRINTER_OP_EJECT, PRINTER_OP_REJECT,
};
static const char *const job_attrs_supported[] = { "job-name", "requesting-user-name" };

static int filter_cb(void *context, ipp_t *dst, ipp_attribute_t *attr)
{
	cups_array_t *ra = context;
	const char *name = ippGetName(attr);

	return name && (!ra || cupsArrayFind(ra, (void *)name));
}

static ipp_t *media_col(void)
{
	ipp_t *col = ippNew(), *size = ippNew();

	ippAddInteger(size, IPP_TAG_ZERO, IPP_TAG_INTEGER, "x-dimension", CR80_X);
	ippAddInteger(size, IPP_TAG_ZERO, IPP_TAG_INTEGER, "y-dimension", CR80_Y);
	ippAddCollection(col, IPP_TAG_ZERO, "media-size", size);
	ippAddString(col, IPP_TAG_ZERO, IPP_TAG_KEYWORD, "media-size-name", NULL, MEDIA_NAME);
	ippAddString(col, IPP_TAG_ZERO, IPP_TAG_KEYWORD, "media-type", NULL, "cardstock");
	ippDelete(size);
	return col;
}

static void add_reasons(ipp_t *ipp, ipp_tag_t group, const char *name, const char *list)
{
	char buf[256], *save = NULL, *word;
	ipp_attribute_t *a = NULL;

	snprintf(buf, sizeof(buf), "%s", list);
	for (word = strtok_r(buf, ",", &save); word; word = strtok_r(NULL, ",", &save)) {
		if (!a)
			a = ippAddString(ipp, group, IPP_TAG_KEYWORD, name, NULL, word);
		else
			ippSetString(ipp, &a, ippGetCount(a), word);
	}
}

static int queued(const struct printer *p)
{
	int n = 0;

	for (int i = 0; i < p->njobs; i++)
		n += p->jobs[i]->state < IPP_JSTATE_STOPPED;
	return n;
}

static void add_state(struct printer *p, ipp_t *a)
{
	char reasons[256], tray[200];
	const char *blocked = printer_blocked(p);
	ipp_pstate_t state = printer_state(p);

	ippAddInteger(a, IPP_TAG_PRINTER, IPP_TAG_ENUM, "printer-state", (int)state);
	printer_state_reasons(p, reasons, sizeof(reasons));
	add_reasons(a, IPP_TAG_PRINTER, "printer-state-reasons", reasons);
	ippAddString(a, IPP_TAG_PRINTER, IPP_TAG_TEXT, "printer-state-message", NULL,
			p->active ? "printing" : blocked ? blocked : "ready to print");
	ippAddBoolean(a, IPP_TAG_PRINTER, "printer-is-accepting-jobs", !p->offline);
	ippAddInteger(a, IPP_TAG_PRINTER, IPP_TAG_INTEGER, "printer-up-time",
			(int)(time(NULL) - p->started + 1));
	ippAddDate(a, IPP_TAG_PRINTER, "printer-current-time", ippTimeToDate(time(NULL)));
	ippAddInteger(a, IPP_TAG_PRINTER, IPP_TAG_INTEGER, "queued-job-count", queued(p));

	/* the ribbon */
	ippAddString(a, IPP_TAG_PRINTER, IPP_TAG_NAME, "marker-names", NULL, "YMCKO ribbon");
	ippAddString(a, IPP_TAG_PRINTER, IPP_TAG_KEYWORD, "marker-types", NULL, "ink-ribbon");
	ippAddString(a, IPP_TAG_PRINTER, IPP_TAG_NAME, "marker-colors", NULL,
			"#00FFFF#FF00FF#FFFF00#000000");
	ippAddInteger(a, IPP_TAG_PRINTER, IPP_TAG_INTEGER, "marker-levels",
			printer_ribbon_percent(p));
	ippAddInteger(a, IPP_TAG_PRINTER, IPP_TAG_INTEGER, "marker-low-levels",
			PRINTER_RIBBON_LOW_PERCENT);
	ippAddInteger(a, IPP_TAG_PRINTER, IPP_TAG_INTEGER, "marker-high-levels", 100);
	ippAddInteger(a, IPP_TAG_PRINTER, IPP_TAG_INTEGER, "rekam-ribbon-panels", (int)p->ribbon);
	ippAddInteger(a, IPP_TAG_PRINTER, IPP_TAG_INTEGER, "rekam-ribbon-capacity",
			(int)p->ribbon_capacity);

	/* the hopper (PWG 5100.13 printer-input-tray) and the counters */
	snprintf(tray, sizeof(tray), "type=sheetFeedAutoNonRemovableTray;mediafeed=%d;"
			"mediaxfeed=%d;maxcapacity=%u;level=%u;status=%d;name=hopper;",
			CR80_Y * 10, CR80_X * 10, p->hopper_capacity, p->cards, p->cards ? 0 : 19);
	ippAddOctetString(a, IPP_TAG_PRINTER, "printer-input-tray", tray, (int)strlen(tray));
	ippAddInteger(a, IPP_TAG_PRINTER, IPP_TAG_INTEGER, "rekam-cards-left", (int)p->cards);
	ippAddInteger(a, IPP_TAG_PRINTER, IPP_TAG_INTEGER, "rekam-cards-printed", (int)p->printed);
	ippAddInteger(a, IPP_TAG_PRINTER, IPP_TAG_INTEGER, "rekam-cards-spoiled", (int)p->spoiled);
	ippAddInteger(a, IPP_TAG_PRINTER, IPP_TAG_INTEGER, "printer-impressions-completed",
			(int)p->impressions);
	ippAddBoolean(a, IPP_TAG_PRINTER, "rekam-card-staged", p->staged);
}

static void add_description(struct printer *p, ipp_t *a)
{
	char uri[96], more[96], devid[200], make_model[96];
	ipp_t *col;

	snprintf(uri, sizeof(uri), "ipp://127.0.0.1:%u" PRINTER_RESOURCE, p->port);
	snprintf(more, sizeof(more), "http://127.0.0.1:%u/", p->port);
	snprintf(make_model, sizeof(make_model), "%s %s", PRINTER_MAKE, PRINTER_MODEL);
	snprintf(devid, sizeof(devid), "MFG:%s;MDL:%s;CMD:PNG;CLS:PRINTER;DES:%s card printer;"
			"SN:%s;", PRINTER_MAKE, PRINTER_MODEL, PRINTER_MODEL, p->serial);

	ippAddString(a, IPP_TAG_PRINTER, IPP_TAG_URI, "printer-uri-supported", NULL, uri);
	ippAddString(a, IPP_TAG_PRINTER, IPP_TAG_KEYWORD, "uri-authentication-supported", NULL,
			"none");
	ippAddString(a, IPP_TAG_PRINTER, IPP_TAG_KEYWORD, "uri-security-supported", NULL, "none");
	ippAddString(a, IPP_TAG_PRINTER, IPP_TAG_NAME, "printer-name", NULL, "rekam-card-printer");
	ippAddString(a, IPP_TAG_PRINTER, IPP_TAG_TEXT, "printer-info", NULL,
			"rekam simulated KTP-el card printer");
	ippAddString(a, IPP_TAG_PRINTER, IPP_TAG_TEXT, "printer-location", NULL,
			"rekam test bench");
	ippAddString(a, IPP_TAG_PRINTER, IPP_TAG_URI, "printer-more-info", NULL, more);
	ippAddString(a, IPP_TAG_PRINTER, IPP_TAG_TEXT, "printer-make-and-model", NULL, make_model);
	ippAddString(a, IPP_TAG_PRINTER, IPP_TAG_TEXT, "printer-device-id", NULL, devid);
	ippAddString(a, IPP_TAG_PRINTER, IPP_TAG_URI, "printer-uuid", NULL, p->uuid);
	ippAddString(a, IPP_TAG_PRINTER, IPP_TAG_NAME, "printer-firmware-name", NULL, "FARGO");
	ippAddString(a, IPP_TAG_PRINTER, IPP_TAG_TEXT, "printer-firmware-string-version", NULL,
			PRINTER_FIRMWARE);
	ippAddString(a, IPP_TAG_PRINTER, IPP_TAG_TEXT, "printer-serial-number", NULL, p->serial);
	ippAddString(a, IPP_TAG_PRINTER, IPP_TAG_CHARSET, "charset-configured", NULL, "utf-8");
	ippAddString(a, IPP_TAG_PRINTER, IPP_TAG_CHARSET, "charset-supported", NULL, "utf-8");
	ippAddString(a, IPP_TAG_PRINTER, IPP_TAG_LANGUAGE, "natural-language-configured", NULL,
			"en");
	ippAddString(a, IPP_TAG_PRINTER, IPP_TAG_LANGUAGE, "generated-natural-language-supported",
			NULL, "en");
	ippAddStrings(a, IPP_TAG_PRINTER, IPP_TAG_KEYWORD, "ipp-versions-supported", 2, NULL,
			(const char *[]){ "1.1", "2.0" });
	ippAddIntegers(a, IPP_TAG_PRINTER, IPP_TAG_ENUM, "operations-supported",
			(int)(sizeof(operations) / sizeof(operations[0])), operations);
	ippAddString(a, IPP_TAG_PRINTER, IPP_TAG_KEYWORD, "compression-supported", NULL, "none");
	ippAddString(a, IPP_TAG_PRINTER, IPP_TAG_KEYWORD, "pdl-override-supported", NULL,
			"attempted");
	ippAddString(a, IPP_TAG_PRINTER, IPP_TAG_MIMETYPE, "document-format-default", NULL,
			"image/png");
	ippAddStrings(a, IPP_TAG_PRINTER, IPP_TAG_MIMETYPE, "document-format-supported", 2, NULL,
			formats);
	ippAddBoolean(a, IPP_TAG_PRINTER, "multiple-document-jobs-supported", 1);
	ippAddStrings(a, IPP_TAG_PRINTER, IPP_TAG_KEYWORD, "job-creation-attributes-supported",
			2, NULL, job_attrs_supported);
	ippAddString(a, IPP_TAG_PRINTER, IPP_TAG_KEYWORD, "media-default", NULL, MEDIA_NAME);
	ippAddString(a, IPP_TAG_PRINTER, IPP_TAG_KEYWORD, "media-supported", NULL, MEDIA_NAME);
	ippAddString(a, IPP_TAG_PRINTER, IPP_TAG_KEYWORD, "media-ready", NULL, MEDIA_NAME);
	col = media_col();
	ippAddCollection(a, IPP_TAG_PRINTER, "media-col-default", col);
	ippAddCollection(a, IPP_TAG_PRINTER, "media-col-ready", col);
	ippDelete(col);
	ippAddStrings(a, IPP_TAG_PRINTER, IPP_TAG_KEYWORD, "media-col-supported", 3, NULL,
			(const char *[]){ "media-size", "media-size-name", "media-type" });
	ippAddString(a, IPP_TAG_PRINTER, IPP_TAG_KEYWORD, "media-type-supported", NULL,
			"cardstock");
	ippAddStrings(a, IPP_TAG_PRINTER, IPP_TAG_KEYWORD, "sides-supported", 2, NULL, sides);
	ippAddString(a, IPP_TAG_PRINTER, IPP_TAG_KEYWORD, "sides-default", NULL, "one-sided");
	ippAddStrings(a, IPP_TAG_PRINTER, IPP_TAG_KEYWORD, "print-color-mode-supported", 2, NULL,
			color_modes);
	ippAddString(a, IPP_TAG_PRINTER, IPP_TAG_KEYWORD, "print-color-mode-default", NULL,
			"color");
	ippAddRange(a, IPP_TAG_PRINTER, "copies-supported", 1, 1);
	ippAddInteger(a, IPP_TAG_PRINTER, IPP_TAG_INTEGER, "copies-default", 1);
	ippAddResolution(a, IPP_TAG_PRINTER, "printer-resolution-supported", IPP_RES_PER_INCH,
			300, 300);
	ippAddResolution(a, IPP_TAG_PRINTER, "printer-resolution-default", IPP_RES_PER_INCH,
			300, 300);
	ippAddStrings(a, IPP_TAG_PRINTER, IPP_TAG_KEYWORD, "which-jobs-supported", 3, NULL,
			(const char *[]){ "completed", "not-completed", "all" });
}

void printer_attrs_printer(struct printer *p, ipp_t *resp, cups_array_t *ra)
{
	ipp_t *all = ippNew();

	add_description(p, all);
	add_state(p, all);
	ippCopyAttributes(resp, all, 0, filter_cb, ra);
	ippDelete(all);
}

void printer_attrs_job(struct printer *p, struct printer_job *job, ipp_t *resp, cups_array_t *ra)
{
	ipp_t *a = ippNew();
	char uri[96], job_uri[112];
	time_t base = p->started - 1;

	snprintf(uri, sizeof(uri), "ipp://127.0.0.1:%u" PRINTER_RESOURCE, p->port);
	snprintf(job_uri, sizeof(job_uri), "%s/%d", uri, job->id);
	ippAddInteger(a, IPP_TAG_JOB, IPP_TAG_INTEGER, "job-id", job->id);
	ippAddString(a, IPP_TAG_JOB, IPP_TAG_URI, "job-uri", NULL, job_uri);
	ippAddString(a, IPP_TAG_JOB, IPP_TAG_URI, "job-printer-uri", NULL, uri);
	ippAddString(a, IPP_TAG_JOB, IPP_TAG_NAME, "job-name", NULL, job->name);
	ippAddString(a, IPP_TAG_JOB, IPP_TAG_NAME, "job-originating-user-name", NULL, job->user);
	ippAddInteger(a, IPP_TAG_JOB, IPP_TAG_ENUM, "job-state", (int)job->state);
	ippAddString(a, IPP_TAG_JOB, IPP_TAG_KEYWORD, "job-state-reasons", NULL, job->reasons);
	if (job->message[0])
		ippAddString(a, IPP_TAG_JOB, IPP_TAG_TEXT, "job-state-message", NULL, job->message);
	if (job->printer_reasons[0])
		add_reasons(a, IPP_TAG_JOB, "job-printer-state-reasons", job->printer_reasons);
	ippAddInteger(a, IPP_TAG_JOB, IPP_TAG_INTEGER, "number-of-documents", job->ndocs);
	ippAddInteger(a, IPP_TAG_JOB, IPP_TAG_INTEGER, "job-impressions", job->ndocs);
	ippAddInteger(a, IPP_TAG_JOB, IPP_TAG_INTEGER, "job-impressions-completed",
			job->sides_done);
	ippAddInteger(a, IPP_TAG_JOB, IPP_TAG_INTEGER, "job-printer-up-time",
			(int)(time(NULL) - base));
	ippAddInteger(a, IPP_TAG_JOB, IPP_TAG_INTEGER, "time-at-creation",
			(int)(job->created - base));
	if (job->processing)
		ippAddInteger(a, IPP_TAG_JOB, IPP_TAG_INTEGER, "time-at-processing",
				(int)(job->processing - base));
	else
		ippAddOutOfBand(a, IPP_TAG_JOB, IPP_TAG_NOVALUE, "time-at-processing");
	if (job->completed)
		ippAddInteger(a, IPP_TAG_JOB, IPP_TAG_INTEGER, "time-at-completed",
				(int)(job->completed - base));
	else
		ippAddOutOfBand(a, IPP_TAG_JOB, IPP_TAG_NOVALUE, "time-at-completed");
	ippAddBoolean(a, IPP_TAG_JOB, "rekam-printed-on-staged-card", job->on_staged);
	ippCopyAttributes(resp, a, 0, filter_cb, ra);
	ippDelete(a);
}

static int compare_names(void *a, void *b, void *data)
{
	return strcmp(a, b);
}

cups_array_t *printer_attrs_default_job_set(void)
{
	cups_array_t *ra = cupsArrayNew(compare_names, NULL);

	cupsArrayAdd(ra, "job-id");
	cupsArrayAdd(ra, "job-uri");
	return ra;
}
