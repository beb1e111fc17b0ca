// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * rekam - unit tests
 *
 * test-scan-encode.c - the scanner-sane plugin's page files, read back with
 * the libraries a viewer uses: a PNG (libpng) keeps its pixels, grey or RGB,
 * and its resolution in pHYs; a JPEG (libjpeg) its size, channels and JFIF
 * density; the multi-page PDF has one page per image, each sized from its
 * pixels and dpi, and a cross-reference table whose every offset points at
 * its object.
 */
#include <config.h>

#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jpeglib.h>
#include <png.h>

#include "plugins/scanner-sane/scan.h"
#include "tap.h"

#define W 37
#define H 23

static uint8_t *pattern(bool gray)
{
	size_t n = (size_t)W * H * (gray ? 1 : 3);
	uint8_t *p = malloc(n);

	for (size_t i = 0; p && i < n; i++)
		p[i] = (uint8_t)(i * 7 + i / 13);
	return p;
}

static void test_png(bool gray)
{
	uint8_t *pixels = pattern(gray), *png = NULL;
	size_t size = 0;
	png_image image = { .version = PNG_IMAGE_VERSION };
	png_uint_32 rx = 0, ry = 0;
	int unit = 0;
	uint8_t *back;

	tap_is_int(page_encode_png(pixels, W, H, gray, 300, &png, &size), 0,
		"%s PNG: encoded", gray ? "grey" : "RGB");
	tap_ok(png_image_begin_read_from_memory(&image, png, size), "... libpng reads it");
	tap_ok(image.width == W && image.height == H, "... %ux%u", image.width, image.height);
	tap_ok(gray ? image.format == PNG_FORMAT_GRAY : image.format == PNG_FORMAT_RGB,
		"... %s", gray ? "one grey channel" : "RGB");
	image.format = gray ? PNG_FORMAT_GRAY : PNG_FORMAT_RGB;
	back = malloc(PNG_IMAGE_SIZE(image));
	tap_ok(back && png_image_finish_read(&image, NULL, back, 0, NULL) &&
		!memcmp(back, pixels, PNG_IMAGE_SIZE(image)), "... with the same pixels");
	free(back);
	{
		png_structp rd = png_create_read_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
		png_infop info = png_create_info_struct(rd);
		FILE *f = fmemopen(png, size, "rb");

		if (!setjmp(png_jmpbuf(rd)) && f) {
			png_init_io(rd, f);
			png_read_info(rd, info);
			png_get_pHYs(rd, info, &rx, &ry, &unit);
		}
		if (f)
			fclose(f);
		png_destroy_read_struct(&rd, &info, NULL);
	}
	tap_ok(rx == 11811 && ry == 11811 && unit == PNG_RESOLUTION_METER,
		"... pHYs 11811 per metre (300 dpi), got %u", (unsigned int)rx);
	free(png);
	free(pixels);
}

static void test_jpeg(bool gray)
{
	uint8_t *pixels = pattern(gray), *jpg = NULL;
	struct jpeg_decompress_struct cinfo;
	struct jpeg_error_mgr err;
	size_t size = 0;

	tap_is_int(page_encode_jpeg(pixels, W, H, gray, 150, 90, &jpg, &size), 0,
		"%s JPEG: encoded", gray ? "grey" : "RGB");
	cinfo.err = jpeg_std_error(&err);
	jpeg_create_decompress(&cinfo);
	jpeg_mem_src(&cinfo, jpg, size);
	tap_is_int(jpeg_read_header(&cinfo, TRUE), JPEG_HEADER_OK, "... libjpeg reads it");
	tap_ok(cinfo.image_width == W && cinfo.image_height == H &&
		cinfo.num_components == (gray ? 1 : 3), "... %ux%u, %d channel(s)",
		cinfo.image_width, cinfo.image_height, cinfo.num_components);
	tap_ok(cinfo.density_unit == 1 && cinfo.X_density == 150 && cinfo.Y_density == 150,
		"... JFIF density 150 dpi");
	jpeg_destroy_decompress(&cinfo);
	free(jpg);
	free(pixels);
}

/* @needle in the (binary) PDF. */
static bool has(const char *pdf, size_t size, const char *needle)
{
	return memmem(pdf, size, needle, strlen(needle)) != NULL;
}

/* Every "n n n n n 00000 n" entry of the xref points at "K 0 obj". */
static bool xref_valid(const char *pdf, size_t size, unsigned int *objects)
{
	const char *start = memmem(pdf, size, "startxref\n", 10), *p;
	long xref;
	unsigned int n, first;

	if (!start || sscanf(start + 10, "%ld", &xref) != 1 || xref <= 0 || (size_t)xref >= size ||
			strncmp(pdf + xref, "xref\n", 5) || sscanf(pdf + xref + 5, "%u %u", &first,
			&n) != 2 || first != 0)
		return false;
	p = strchr(pdf + xref + 5, '\n') + 1 + 20; /* past entry 0 */
	for (unsigned int k = 1; k < n; k++, p += 20) {
		long off = strtol(p, NULL, 10);
		char want[24];

		snprintf(want, sizeof(want), "%u 0 obj", k);
		if (off <= 0 || (size_t)off >= size || strncmp(pdf + off, want, strlen(want)))
			return false;
	}
	*objects = n - 1;
	return true;
}

static void test_pdf(void)
{
	uint8_t *rgb = pattern(false), *grey = pattern(true), *pdf = NULL;
	struct scan_page pages[2] = { { .width = W, .height = H, .dpi = 300 },
		{ .width = W, .height = H, .dpi = 150, .gray = true } };
	unsigned int objects = 0;
	size_t size = 0;
	char *text;

	page_encode_jpeg(rgb, W, H, false, 300, 90, &pages[0].jpeg, &pages[0].jpeg_size);
	page_encode_jpeg(grey, W, H, true, 150, 90, &pages[1].jpeg, &pages[1].jpeg_size);
	tap_is_int(page_write_pdf(pages, 2, &pdf, &size), 0, "PDF: written");
	text = malloc(size + 1);
	memcpy(text, pdf, size);
	text[size] = '\0';
	tap_ok(!strncmp(text, "%PDF-1.4\n", 9) && !strcmp(text + size - 6, "%%EOF\n"),
		"... a PDF 1.4 file");
	tap_ok(has(text, size, "/Count 2"), "... of two pages");
	tap_ok(has(text, size, "/MediaBox [0 0 8.88 5.52]") && has(text, size,
		"/MediaBox [0 0 17.76 11.04]"), "... each sized from its pixels and dpi");
	tap_ok(has(text, size, "/DeviceRGB") && has(text, size, "/DeviceGray"),
		"... colour and grey pages");
	tap_ok(memmem(pdf, size, pages[0].jpeg, pages[0].jpeg_size) &&
		memmem(pdf, size, pages[1].jpeg, pages[1].jpeg_size),
		"... the JPEGs inside unchanged (DCTDecode)");
	tap_ok(xref_valid(text, size, &objects) && objects == 8,
		"... every xref offset points at its object (%u objects)", objects);
	free(text);
	free(pdf);
	free(pages[0].jpeg);
	free(pages[1].jpeg);
	free(rgb);
	free(grey);
}

int main(void)
{
	test_png(false);
	test_png(true);
	test_jpeg(false);
	test_jpeg(true);
	test_pdf();
	return tap_done();
}
