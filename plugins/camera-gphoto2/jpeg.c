// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * rekam - device plugins
 *
 * jpeg.c - the JPEG size and the shrunken preview copy of camera-gphoto2
 * (see jpeg.h), with libjpeg. libjpeg reports errors by calling a function
 * that must not return: it jumps back here, so bad bytes from a camera end
 * in -EINVAL instead of exit().
 */
#include <config.h>

#include <errno.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jpeglib.h>

#include "plugins/camera-gphoto2/jpeg.h"

#define DIMENSION_MAX 20000u

struct jerr {
	struct jpeg_error_mgr pub;
	jmp_buf jump;
};

static void on_error(j_common_ptr cinfo)
{
	struct jerr *e = (struct jerr *)cinfo->err;

	longjmp(e->jump, 1);
}

static void on_message(j_common_ptr cinfo)
{
	/* warnings of a damaged file: the size check decides */
}

int jpeg_size(const void *data, size_t size, unsigned int *width, unsigned int *height)
{
	struct jpeg_decompress_struct cinfo;
	struct jerr jerr;
	volatile int err = 0;

	if (!data || size < 4 || size > (unsigned long)-1)
		return -EINVAL;
	cinfo.err = jpeg_std_error(&jerr.pub);
	jerr.pub.error_exit = on_error;
	jerr.pub.output_message = on_message;
	if (setjmp(jerr.jump)) {
		jpeg_destroy_decompress(&cinfo);
		return -EINVAL;
	}
	jpeg_create_decompress(&cinfo);
	jpeg_mem_src(&cinfo, data, (unsigned long)size);
	if (jpeg_read_header(&cinfo, TRUE) != JPEG_HEADER_OK || !cinfo.image_width ||
			!cinfo.image_height || cinfo.image_width > DIMENSION_MAX ||
			cinfo.image_height > DIMENSION_MAX)
		err = -EINVAL;
	*width = cinfo.image_width;
	*height = cinfo.image_height;
	jpeg_destroy_decompress(&cinfo);
	return err;
}

/* Decode at 1/denom, encode at quality 80. Separate so that the locals
 * setjmp() must keep are few and volatile. */
static int shrink(const void *data, size_t size, unsigned int denom, unsigned char **out,
		unsigned long *out_size, unsigned int *width, unsigned int *height)
{
	struct jpeg_decompress_struct din;
	struct jpeg_compress_struct cout;
	struct jerr jerr; /* one error manager for both */
	unsigned char *volatile row = NULL;
	volatile bool compressing = false;

	din.err = jpeg_std_error(&jerr.pub);
	jerr.pub.error_exit = on_error;
	jerr.pub.output_message = on_message;
	cout.err = &jerr.pub;
	if (setjmp(jerr.jump)) {
		jpeg_destroy_decompress(&din);
		if (compressing)
			jpeg_destroy_compress(&cout);
		free(row);
		free(*out);
		*out = NULL;
		return -EINVAL;
	}
	jpeg_create_decompress(&din);
	jpeg_mem_src(&din, data, (unsigned long)size);
	jpeg_read_header(&din, TRUE);
	din.scale_num = 1;
	din.scale_denom = denom;
	din.out_color_space = JCS_RGB;
	jpeg_start_decompress(&din);
	row = malloc((size_t)din.output_width * 3);
	if (!row)
		longjmp(jerr.jump, 1);
	jpeg_create_compress(&cout);
	compressing = true;
	jpeg_mem_dest(&cout, out, out_size);
	cout.image_width = din.output_width;
	cout.image_height = din.output_height;
	cout.input_components = 3;
	cout.in_color_space = JCS_RGB;
	jpeg_set_defaults(&cout);
	jpeg_set_quality(&cout, 80, TRUE);
	jpeg_start_compress(&cout, TRUE);
	while (din.output_scanline < din.output_height) {
		JSAMPROW rows[1] = { row };

		jpeg_read_scanlines(&din, rows, 1);
		jpeg_write_scanlines(&cout, rows, 1);
	}
	jpeg_finish_compress(&cout);
	jpeg_finish_decompress(&din);
	*width = cout.image_width;
	*height = cout.image_height;
	jpeg_destroy_compress(&cout);
	jpeg_destroy_decompress(&din);
	free(row);
	return 0;
}

int jpeg_shrink(const void *data, size_t size, unsigned int max_side, unsigned char **out,
		size_t *out_size, unsigned int *width, unsigned int *height)
{
	unsigned int w, h, denom = 1, side;
	unsigned long n = 0;
	int err = jpeg_size(data, size, &w, &h);

	*out = NULL;
	*out_size = 0;
	if (err)
		return err;
	if (!max_side)
		return -EINVAL;
	side = w > h ? w : h;
	while (denom < 8 && (side + denom - 1) / denom > max_side)
		denom *= 2;
	err = shrink(data, size, denom, out, &n, width, height);
	*out_size = n;
	return err;
}
