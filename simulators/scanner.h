/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * rekam - device simulators
 *
 * scanner.h - the simulated eSCL (AirScan) document scanner
 * (rekam-sim-scanner): its state, shared by rekam-sim-scanner.c (command
 * line, control commands), scanner-escl.c (the eSCL responder over evhttp)
 * and scanner-pages.c (the document pages it scans).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <event2/http.h>

#include "simulators/lib/sim.h"

#define SCANNER_MAKE "rekam"
#define SCANNER_MODEL "REKAM DS-A4 SIM"
#define SCANNER_FIRMWARE "2.3.1"
#define SCANNER_PORT_DEFAULT 8095
#define SCANNER_PAGE_MS 2000   /* one page through the sensor, scaled by --time-scale */
#define SCANNER_ADF_MAX 50      /* sheets the feeder holds */
#define SCANNER_JOBS_MAX 8      /* jobs remembered (oldest forgotten first) */
/* The glass and the feeder: 8.5 x 11.7 inches in 1/300 inch. */
#define SCANNER_MAX_WIDTH 2550
#define SCANNER_MAX_HEIGHT 3508
#define SCANNER_MIN_SIZE 16
#define SCANNER_JPEG_QUALITY 85

/* The documents of the SOP's requirement list, by their short names. */
enum scanner_doc {
	DOC_F102,       /* form F1.02, two pages */
	DOC_KK,         /* family card copy */
	DOC_AKTA_NIKAH, /* marriage certificate copy */
	DOC_IJAZAH,     /* school diploma copy */
	DOC_BLANK,      /* an empty sheet */
	DOC_N
};

enum scanner_mode { MODE_COLOR, MODE_GRAY, MODE_BW };

enum job_state { JOB_PROCESSING, JOB_COMPLETED, JOB_CANCELED, JOB_ABORTED };

struct scanner_applicant {
	char nik[17];
	char name[48];
	char birth_place[32];
	char birth_date[11]; /* DD-MM-YYYY */
	bool female;
	char address[64];
	char rt_rw[8];
	char village[32];
	char district[32];
	char religion[16];
	char occupation[32];
	char kk_number[17];
	char father[48], mother[48], spouse[48];
	char school[48];
};

struct scanner_job {
	unsigned int number;
	char uuid[37];
	bool adf;
	enum scanner_mode mode;
	bool pdf;         /* application/pdf: the whole document in one NextDocument */
	unsigned int xres, yres;
	unsigned int x, y, width, height; /* 1/300 inch */
	enum job_state state;
	const char *reason; /* JobStateReasons */
	unsigned int pages_done;
	unsigned int pages_total; /* the sheets in the feeder at the start; 1 on the glass */
	enum scanner_doc doc;
	struct evhttp_request *waiting; /* a NextDocument being scanned */
	struct event *timer;
	struct scanner *scanner;
};

struct scanner {
	struct sim *sim;
	unsigned int port;        /* as configured (0: any) */
	unsigned int bound_port;  /* as bound */
	char serial[24];
	char uuid[37];
	struct scanner_applicant who;

	/* what lies on the glass and in the feeder */
	enum scanner_doc platen_doc;
	enum scanner_doc adf_doc;
	unsigned int adf_sheets;
	unsigned int adf_first_page; /* page of adf_doc the next sheet shows */

	/* faults */
	unsigned int jam_at;  /* the Nth page of the next feeder job jams; 0 off */
	bool jammed;          /* until `clear` */
	bool cover_open;
	unsigned int busy;    /* ScanJobs requests answered 503 */
	unsigned int slow_ms; /* real milliseconds added to every page */
	bool drop;            /* the next page stops halfway, connection closed */

	/* the eSCL server */
	struct evhttp *http;
	struct evhttp_bound_socket *bound;
	struct event *plug_timer;
	struct scanner_job *jobs[SCANNER_JOBS_MAX];
	unsigned int next_job;

	/* counters for the control status */
	unsigned long requests, bad_requests, pages, jams;
	size_t last_len;
	char last_sha256[SIM_SHA256_HEX_LEN + 1];
	char last_doc[16];
	unsigned int last_w, last_h, last_dpi;
	char last_mode[8];
};

/* scanner-escl.c */
int scanner_escl_open(struct scanner *s);
void scanner_escl_close(struct scanner *s);
bool scanner_busy_scanning(const struct scanner *s);
const char *scanner_adf_state(const struct scanner *s);

/* scanner-pages.c */
const char *scanner_doc_name(enum scanner_doc doc);
int scanner_doc_parse(const char *text, enum scanner_doc *doc);
unsigned int scanner_doc_pages(enum scanner_doc doc);
void scanner_applicant_fill(struct scanner *s);
/* Scan page @page (0-based) of @doc as the job asks: a JPEG in a malloc'd buffer. */
int scanner_page_scan(struct scanner *s, const struct scanner_job *job, enum scanner_doc doc,
		unsigned int page, uint8_t **data, size_t *len);
/* A PDF with one page per JPEG (all of the job's size and resolution), malloc'd. */
int scanner_pdf(const struct scanner_job *job, uint8_t *const *jpegs, const size_t *lens,
		unsigned int n, uint8_t **data, size_t *len);
