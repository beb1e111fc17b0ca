// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * rekam - device simulators
 *
 * sim-image.c - image helpers on cairo: a blank surface to draw on, and PNG
 * encoding into memory (cairo_surface_write_to_png_stream, or libpng for an
 * 8-bit grey image, as a fingerprint scanner or an iris camera gives).
 */
#include <config.h>

#include <setjmp.h>
#include <stdio.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <jpeglib.h>
#include <png.h>

#include "simulators/lib/sim.h"

int sim_image_new(int width, int height, bool alpha, cairo_surface_t **surface)
{
	cairo_surface_t *s;
	cairo_t *cr;

	if (width <= 0 || height <= 0 || width > 32767 || height > 32767)
		return -EINVAL;
	s = cairo_image_surface_create(alpha ? CAIRO_FORMAT_ARGB32 : CAIRO_FORMAT_RGB24, width,
			height);
	if (cairo_surface_status(s) != CAIRO_STATUS_SUCCESS) {
		cairo_surface_destroy(s);
		return -ENOMEM;
	}
	cr = cairo_create(s);
	if (alpha) {
		cairo_set_operator(cr, CAIRO_OPERATOR_CLEAR);
	} else {
		cairo_set_source_rgb(cr, 1.0, 1.0, 1.0);
	}
	cairo_paint(cr);
	cairo_destroy(cr);
	*surface = s;
	return 0;
}

struct png_sink {
	uint8_t *data;
	size_t len;
	size_t size;
};

static cairo_status_t png_write(void *closure, const unsigned char *data, unsigned int length)
{
	struct png_sink *sink = closure;
	size_t want = sink->len + length;
	uint8_t *p;

	if (want > sink->size) {
		size_t size = sink->size ? sink->size : 4096;

		while (size < want)
			size *= 2;
		p = realloc(sink->data, size);
		if (!p)
			return CAIRO_STATUS_NO_MEMORY;
		sink->data = p;
		sink->size = size;
	}
	memcpy(sink->data + sink->len, data, length);
	sink->len += length;
	return CAIRO_STATUS_SUCCESS;
}

int sim_image_png(cairo_surface_t *surface, uint8_t **data, size_t *len)
{
	struct png_sink sink = { 0 };
	cairo_status_t st;

	cairo_surface_flush(surface);
	st = cairo_surface_write_to_png_stream(surface, png_write, &sink);
	if (st != CAIRO_STATUS_SUCCESS) {
		free(sink.data);
		return st == CAIRO_STATUS_NO_MEMORY ? -ENOMEM : -EIO;
	}
	*data = sink.data;
	*len = sink.len;
	return 0;
}

static void grey_write(png_structp png, png_bytep data, png_size_t length)
{
	if (png_write(png_get_io_ptr(png), data, length) != CAIRO_STATUS_SUCCESS)
		png_error(png, "out of memory");
}

static void grey_flush(png_structp png)
{
	(void)png;
}

int sim_image_png_grey(cairo_surface_t *surface, uint8_t **data, size_t *len)
{
	struct png_sink sink = { 0 };
	int width, height, stride;
	const unsigned char *pixels;
	png_structp png;
	png_infop info = NULL;
	uint8_t *row;

	cairo_surface_flush(surface);
	width = cairo_image_surface_get_width(surface);
	height = cairo_image_surface_get_height(surface);
	stride = cairo_image_surface_get_stride(surface);
	pixels = cairo_image_surface_get_data(surface);
	if (!pixels || width <= 0 || height <= 0)
		return -EINVAL;
	row = malloc((size_t)width);
	png = row ? png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL) : NULL;
	if (!png || !(info = png_create_info_struct(png))) {
		png_destroy_write_struct(&png, NULL);
		free(row);
		return -ENOMEM;
	}
	if (setjmp(png_jmpbuf(png))) {
		png_destroy_write_struct(&png, &info);
		free(row);
		free(sink.data);
		return -ENOMEM;
	}
	png_set_write_fn(png, &sink, grey_write, grey_flush);
	png_set_IHDR(png, info, (png_uint_32)width, (png_uint_32)height, 8, PNG_COLOR_TYPE_GRAY,
		PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
	png_write_info(png, info);
	for (int y = 0; y < height; y++) {
		const uint32_t *px = (const uint32_t *)(pixels + (size_t)y * (size_t)stride);

		for (int x = 0; x < width; x++)
			row[x] = (uint8_t)(px[x] >> 8); /* green: the grey of a grey pixel */
		png_write_row(png, row);
	}
	png_write_end(png, info);
	png_destroy_write_struct(&png, &info);
	free(row);
	*data = sink.data;
	*len = sink.len;
	return 0;
}

/* libjpeg reports fatal errors through error_exit, which must not return. */
struct jpeg_failure {
	struct jpeg_error_mgr mgr;
	jmp_buf jump;
};

static void jpeg_fail(j_common_ptr cinfo)
{
	struct jpeg_failure *f = (struct jpeg_failure *)cinfo->err;

	longjmp(f->jump, 1);
}

int sim_image_jpeg(cairo_surface_t *surface, int quality, unsigned int dpi, uint8_t **data,
		size_t *len)
{
	struct jpeg_compress_struct cinfo;
	struct jpeg_failure failure;
	unsigned char *out = NULL, *row = NULL;
	unsigned long out_len = 0;
	const unsigned char *pixels;
	int width, height, stride;

	if (quality < 1 || quality > 100 ||
			(cairo_image_surface_get_format(surface) != CAIRO_FORMAT_RGB24 &&
				cairo_image_surface_get_format(surface) != CAIRO_FORMAT_ARGB32))
		return -EINVAL;
	cairo_surface_flush(surface);
	pixels = cairo_image_surface_get_data(surface);
	width = cairo_image_surface_get_width(surface);
	height = cairo_image_surface_get_height(surface);
	stride = cairo_image_surface_get_stride(surface);
	if (!pixels || width <= 0 || height <= 0)
		return -EINVAL;
	row = malloc((size_t)width * 3);
	if (!row)
		return -ENOMEM;

	cinfo.err = jpeg_std_error(&failure.mgr);
	failure.mgr.error_exit = jpeg_fail;
	if (setjmp(failure.jump)) {
		jpeg_destroy_compress(&cinfo);
		free(out);
		free(row);
		return -EIO;
	}
	jpeg_create_compress(&cinfo);
	jpeg_mem_dest(&cinfo, &out, &out_len);
	cinfo.image_width = (JDIMENSION)width;
	cinfo.image_height = (JDIMENSION)height;
	cinfo.input_components = 3;
	cinfo.in_color_space = JCS_RGB;
	jpeg_set_defaults(&cinfo);
	jpeg_set_quality(&cinfo, quality, TRUE);
	if (dpi) {
		cinfo.density_unit = 1; /* dots per inch */
		cinfo.X_density = (UINT16)dpi;
		cinfo.Y_density = (UINT16)dpi;
	}
	jpeg_start_compress(&cinfo, TRUE);
	while (cinfo.next_scanline < cinfo.image_height) {
		/* cairo keeps native-endian 0xAARRGGBB words */
		const uint32_t *src = (const uint32_t *)(pixels + (size_t)cinfo.next_scanline * stride);
		JSAMPROW rows[1] = { row };

		for (int x = 0; x < width; x++) {
			row[3 * x] = (unsigned char)(src[x] >> 16);
			row[3 * x + 1] = (unsigned char)(src[x] >> 8);
			row[3 * x + 2] = (unsigned char)src[x];
		}
		jpeg_write_scanlines(&cinfo, rows, 1);
	}
	jpeg_finish_compress(&cinfo);
	jpeg_destroy_compress(&cinfo);
	free(row);
	*data = out;
	*len = out_len;
	return 0;
}
