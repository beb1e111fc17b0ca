// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * rekam - device plugins
 *
 * page-encode.c - the scanner-sane plugin's page files: PNG (libpng, with
 * the resolution in a pHYs chunk) and JPEG (libjpeg, with the resolution in
 * the JFIF header) from 8-bit grey or RGB rows as SANE delivers them, and a
 * small PDF writer that puts one JPEG per page (DCTDecode, no re-encoding)
 * into a multi-page PDF 1.4 whose page size follows each image's dpi. Runs
 * on a worker thread.
 */
#include <config.h>

#include <errno.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jpeglib.h>
#include <png.h>

#include "plugins/scanner-sane/scan.h"

/* --- PNG ------------------------------------------------------------------------ */

struct sink {
	uint8_t *data;
	size_t len, size;
	bool failed;
};

static void sink_write(png_structp png, png_bytep bytes, png_size_t n)
{
	struct sink *s = png_get_io_ptr(png);

	if (s->failed)
		return;
	if (s->len + n > s->size) {
		size_t size = s->size ? s->size : 65536;
		uint8_t *p;

		while (size < s->len + n)
			size *= 2;
		p = realloc(s->data, size);
		if (!p) {
			s->failed = true;
			return;
		}
		s->data = p;
		s->size = size;
	}
	memcpy(s->data + s->len, bytes, n);
	s->len += n;
}

static void sink_flush(png_structp png)
{
}

int page_encode_png(const uint8_t *pixels, unsigned int width, unsigned int height, bool gray,
		unsigned int dpi, uint8_t **out, size_t *out_size)
{
	size_t stride = (size_t)width * (gray ? 1 : 3);
	struct sink sink = { 0 };
	png_structp png;
	png_infop info = NULL;

	png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
	if (!png || !(info = png_create_info_struct(png))) {
		png_destroy_write_struct(&png, NULL);
		return -ENOMEM;
	}
	if (setjmp(png_jmpbuf(png))) {
		png_destroy_write_struct(&png, &info);
		free(sink.data);
		return -EIO;
	}
	png_set_write_fn(png, &sink, sink_write, sink_flush);
	/* zlib level 3, not 6: an A4 page at 100 dpi in colour (827 x 1169) takes
	 * 61 ms instead of 156 ms here and is 4 % larger (746 kB, not 717 kB);
	 * level 1 would save 20 ms more for 16 %. The time grows with the
	 * square of the dpi, and the operator waits for it on every page. */
	png_set_compression_level(png, 3);
	png_set_IHDR(png, info, width, height, 8, gray ? PNG_COLOR_TYPE_GRAY : PNG_COLOR_TYPE_RGB,
		PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
	if (dpi) {
		png_uint_32 ppm = (png_uint_32)(dpi / 0.0254 + 0.5);

		png_set_pHYs(png, info, ppm, ppm, PNG_RESOLUTION_METER);
	}
	png_write_info(png, info);
	for (unsigned int y = 0; y < height; y++)
		png_write_row(png, (png_const_bytep)(pixels + y * stride));
	png_write_end(png, info);
	png_destroy_write_struct(&png, &info);
	if (sink.failed) {
		free(sink.data);
		return -ENOMEM;
	}
	*out = sink.data;
	*out_size = sink.len;
	return 0;
}

/* --- JPEG ------------------------------------------------------------------------ */

struct jpeg_failure {
	struct jpeg_error_mgr mgr;
	jmp_buf jump;
};

static void jpeg_fail(j_common_ptr cinfo)
{
	longjmp(((struct jpeg_failure *)cinfo->err)->jump, 1);
}

int page_encode_jpeg(const uint8_t *pixels, unsigned int width, unsigned int height, bool gray,
		unsigned int dpi, int quality, uint8_t **out, size_t *out_size)
{
	size_t stride = (size_t)width * (gray ? 1 : 3);
	struct jpeg_compress_struct cinfo;
	struct jpeg_failure failure;
	unsigned char *buf = NULL;
	unsigned long len = 0;

	cinfo.err = jpeg_std_error(&failure.mgr);
	failure.mgr.error_exit = jpeg_fail;
	if (setjmp(failure.jump)) {
		jpeg_destroy_compress(&cinfo);
		free(buf);
		return -EIO;
	}
	jpeg_create_compress(&cinfo);
	jpeg_mem_dest(&cinfo, &buf, &len);
	cinfo.image_width = width;
	cinfo.image_height = height;
	cinfo.input_components = gray ? 1 : 3;
	cinfo.in_color_space = gray ? JCS_GRAYSCALE : JCS_RGB;
	jpeg_set_defaults(&cinfo);
	jpeg_set_quality(&cinfo, quality, TRUE);
	if (dpi) {
		cinfo.density_unit = 1;
		cinfo.X_density = (UINT16)dpi;
		cinfo.Y_density = (UINT16)dpi;
	}
	jpeg_start_compress(&cinfo, TRUE);
	while (cinfo.next_scanline < cinfo.image_height) {
		JSAMPROW row = (JSAMPROW)(pixels + cinfo.next_scanline * stride);

		jpeg_write_scanlines(&cinfo, &row, 1);
	}
	jpeg_finish_compress(&cinfo);
	jpeg_destroy_compress(&cinfo);
	*out = buf;
	*out_size = len;
	return 0;
}

/* --- PDF ------------------------------------------------------------------------- */

int page_write_pdf(const struct scan_page *pages, unsigned int n, uint8_t **out,
		size_t *out_size)
{
	unsigned int objects = 2 + 3 * n;
	long *offset = calloc(objects + 1, sizeof(*offset));
	char *buf = NULL;
	size_t len = 0;
	FILE *f;
	long xref;

	if (!offset)
		return -ENOMEM;
	f = open_memstream(&buf, &len);
	if (!f) {
		free(offset);
		return -ENOMEM;
	}
	fputs("%PDF-1.4\n%\xe2\xe3\xcf\xd3\n", f);
	offset[1] = ftell(f);
	fputs("1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n", f);
	offset[2] = ftell(f);
	fputs("2 0 obj\n<< /Type /Pages /Kids [", f);
	for (unsigned int i = 0; i < n; i++)
		fprintf(f, " %u 0 R", 3 + 3 * i);
	fprintf(f, " ] /Count %u >>\nendobj\n", n);
	for (unsigned int i = 0; i < n; i++) {
		const struct scan_page *p = &pages[i];
		unsigned int obj = 3 + 3 * i, dpi = p->dpi ? p->dpi : 300;
		double w = p->width * 72.0 / dpi, h = p->height * 72.0 / dpi;
		char content[96];
		int clen = snprintf(content, sizeof(content), "q %.2f 0 0 %.2f 0 0 cm /Im0 Do Q\n",
			w, h);

		offset[obj] = ftell(f);
		fprintf(f, "%u 0 obj\n<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %.2f %.2f] "
			"/Resources << /XObject << /Im0 %u 0 R >> >> /Contents %u 0 R >>\nendobj\n",
			obj, w, h, obj + 2, obj + 1);
		offset[obj + 1] = ftell(f);
		fprintf(f, "%u 0 obj\n<< /Length %d >>\nstream\n%sendstream\nendobj\n", obj + 1,
			clen, content);
		offset[obj + 2] = ftell(f);
		fprintf(f, "%u 0 obj\n<< /Type /XObject /Subtype /Image /Width %u /Height %u "
			"/ColorSpace /%s /BitsPerComponent 8 /Filter /DCTDecode /Length %zu >>\n"
			"stream\n", obj + 2, p->width, p->height, p->gray ? "DeviceGray" :
			"DeviceRGB", p->jpeg_size);
		fwrite(p->jpeg, 1, p->jpeg_size, f);
		fputs("\nendstream\nendobj\n", f);
	}
	xref = ftell(f);
	fprintf(f, "xref\n0 %u\n0000000000 65535 f \n", objects + 1);
	for (unsigned int i = 1; i <= objects; i++)
		fprintf(f, "%010ld 00000 n \n", offset[i]);
	fprintf(f, "trailer\n<< /Size %u /Root 1 0 R >>\nstartxref\n%ld\n%%%%EOF\n", objects + 1,
		xref);
	free(offset);
	if (ferror(f)) {
		fclose(f);
		free(buf);
		return -ENOMEM;
	}
	if (fclose(f) != 0) {
		free(buf);
		return -ENOMEM;
	}
	*out = (uint8_t *)buf;
	*out_size = len;
	return 0;
}

void scan_result_clear(struct scan_result *res)
{
	for (unsigned int i = 0; i < res->n_pages; i++) {
		if (res->pages[i].jpeg != res->pages[i].data)
			free(res->pages[i].jpeg);
		free(res->pages[i].data);
	}
	res->n_pages = 0;
}
