/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * rekam - device plugins
 *
 * scan.h - the scanner-sane plugin's pieces: the scan settings a capture
 * asks for, the pages it brings back, the SANE calls that run on a worker
 * thread (sane-io.c) and the page encoders (page-encode.c). Nothing here
 * touches the host's event loop.
 */
#pragma once

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sane/sane.h>

#define SCAN_MESSAGE_MAX 320
#define SCAN_PAGES_MAX 100

enum scan_format { SCAN_PNG, SCAN_JPEG };

struct scan_settings {
	int resolution;      /* dpi; 0: the device's default */
	bool gray;
	bool adf;
	double left, top;    /* mm */
	double width, height; /* mm; 0: as far as the device goes */
	unsigned int max_pages; /* ADF: 0 for all */
	enum scan_format format;
	int jpeg_quality;
	bool pdf;            /* also one PDF of every page */
};

struct scan_page {
	uint8_t *data;     /* encoded PNG or JPEG */
	size_t size;
	uint8_t *jpeg;     /* the page as JPEG for the PDF (may alias data) */
	size_t jpeg_size;
	bool gray;
	unsigned int width, height, dpi;
};

/* What a scan brings back: the pages, and on failure an error and a sentence. */
struct scan_result {
	struct scan_page pages[SCAN_PAGES_MAX];
	unsigned int n_pages;
	int err;
	SANE_Status status; /* what SANE said when it failed */
	char message[SCAN_MESSAGE_MAX];
	bool gone; /* the device no longer answers */
};

/* A device's SANE handle, shared by the worker threads that use it. */
struct scan_handle {
	char *name;               /* the SANE device name */
	SANE_Handle h;
	pthread_mutex_t lock;     /* h against sane_cancel() and sane_close() */
	atomic_bool cancel;       /* stop at the next chance */
	atomic_bool scanning;     /* between sane_start() and the end of a page */
	/* progress reporting from the worker */
	void (*progress)(void *data, unsigned int page, double fraction);
	void *progress_data;
};

/* sane-io.c: every function blocks; call them on a worker thread only. */
int scan_global_init(char *message, size_t size);
void scan_global_exit(void);
int scan_open(struct scan_handle *sh, char *model, size_t model_size, char *vendor,
		size_t vendor_size, char *message, size_t size);
void scan_close(struct scan_handle *sh);
/* Is the device still there? Reopens it: 0, or -ENODEV and why. */
int scan_probe(struct scan_handle *sh, char *message, size_t size);
void scan_cancel(struct scan_handle *sh);
void scan_run(struct scan_handle *sh, const struct scan_settings *set, struct scan_result *res);
/* Self-test: read the options and scan a thumbnail; steps via @step. */
void scan_self_test(struct scan_handle *sh, void (*step)(void *data, const char *name,
		bool passed, const char *detail), void *data);

/* page-encode.c */
int page_encode_png(const uint8_t *pixels, unsigned int width, unsigned int height, bool gray,
		unsigned int dpi, uint8_t **out, size_t *out_size);
int page_encode_jpeg(const uint8_t *pixels, unsigned int width, unsigned int height, bool gray,
		unsigned int dpi, int quality, uint8_t **out, size_t *out_size);
/* One PDF with a page per JPEG, each page sized from the image and its dpi. */
int page_write_pdf(const struct scan_page *pages, unsigned int n, uint8_t **out,
		size_t *out_size);
void scan_result_clear(struct scan_result *res);
