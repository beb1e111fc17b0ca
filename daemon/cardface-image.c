// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * rekam - KTP-el recording station daemon
 *
 * cardface-image.c - the pictures on the card face: decoding the portrait
 * and the signature (JPEG with libjpeg, PNG with cairo) into cairo surfaces,
 * refusing damaged or oversized images with a sentence that says why; and
 * encoding a rendered side as PNG marked 300 dpi (a pHYs chunk, which
 * cairo does not write).
 */
#include <config.h>

#include <errno.h>
#include <inttypes.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jpeglib.h>

#include "daemon/cardface-private.h"

static const unsigned char png_magic[8] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n' };

static uint32_t be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void put_be32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)(v >> 24);
	p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8);
	p[3] = (unsigned char)v;
}

static bool side_ok(unsigned long w, unsigned long h)
{
	return w > 0 && h > 0 && w <= RK_CARDFACE_MAX_IMAGE_SIDE && h <= RK_CARDFACE_MAX_IMAGE_SIDE;
}

/* --- PNG in ------------------------------------------------------------------- */

struct png_source {
	const unsigned char *data;
	size_t size, pos;
};

static cairo_status_t png_read(void *closure, unsigned char *data, unsigned int length)
{
	struct png_source *src = closure;

	if (length > src->size - src->pos)
		return CAIRO_STATUS_READ_ERROR;
	memcpy(data, src->data + src->pos, length);
	src->pos += length;
	return CAIRO_STATUS_SUCCESS;
}

static int decode_png(const unsigned char *data, size_t size, const char *what,
		cairo_surface_t **out, char err[RK_CARDFACE_ERROR_LEN])
{
	struct png_source src = { data, size, 0 };
	cairo_surface_t *s;
	cairo_status_t st;

	/* the IHDR chunk comes first: check the size before decoding anything */
	if (size < 33 || be32(data + 8) != 13 || memcmp(data + 12, "IHDR", 4) != 0) {
		cf_error(err, "%s is a damaged PNG image (no header).", what);
		return -EINVAL;
	}
	if (!side_ok(be32(data + 16), be32(data + 20))) {
		cf_error(err, "%s is %" PRIu32 " x %" PRIu32 " pixels; at most %d on a side.", what,
				be32(data + 16), be32(data + 20), RK_CARDFACE_MAX_IMAGE_SIDE);
		return -EINVAL;
	}
	s = cairo_image_surface_create_from_png_stream(png_read, &src);
	st = cairo_surface_status(s);
	if (st != CAIRO_STATUS_SUCCESS) {
		cairo_surface_destroy(s);
		if (st == CAIRO_STATUS_NO_MEMORY)
			return -ENOMEM;
		cf_error(err, "%s is a damaged PNG image (%s).", what, cairo_status_to_string(st));
		return -EINVAL;
	}
	*out = s;
	return 0;
}

/* --- JPEG in ------------------------------------------------------------------ */

struct jpeg_failure {
	struct jpeg_error_mgr mgr;
	jmp_buf jump;
	int warnings;
};

/* libjpeg's fatal errors must not return */
static void jpeg_fail(j_common_ptr cinfo)
{
	struct jpeg_failure *f = (struct jpeg_failure *)cinfo->err;

	longjmp(f->jump, 1);
}

/* Level -1 is a warning about damaged data: counted, never printed. */
static void jpeg_message(j_common_ptr cinfo, int level)
{
	struct jpeg_failure *f = (struct jpeg_failure *)cinfo->err;

	if (level < 0)
		f->warnings++;
}

/*
 * The EXIF orientation (1 to 8) of a JPEG, from its APP1 "Exif" segment: a
 * camera held upright stores the picture on its side and says so there.
 * 1 (as stored) when there is none or it cannot be read.
 */
static int exif_orientation(const struct jpeg_decompress_struct *cinfo)
{
	for (jpeg_saved_marker_ptr m = cinfo->marker_list; m; m = m->next) {
		const unsigned char *t;
		size_t n = m->data_length, ifd, count;
		bool le;

		if (m->marker != JPEG_APP0 + 1 || n < 6 + 8 || memcmp(m->data, "Exif\0\0", 6) != 0)
			continue;
		t = m->data + 6; /* the TIFF header */
		n -= 6;
		le = t[0] == 'I' && t[1] == 'I';
		if (!le && !(t[0] == 'M' && t[1] == 'M'))
			return 1;
#define U16(p) (le ? (unsigned)(p)[0] | (unsigned)(p)[1] << 8 : (unsigned)(p)[0] << 8 | (p)[1])
#define U32(p) (le ? (size_t)U16(p) | (size_t)U16((p) + 2) << 16 \
		   : (size_t)U16(p) << 16 | U16((p) + 2))
		ifd = U32(t + 4);
		if (U16(t + 2) != 42 || ifd > n - 2)
			return 1;
		count = U16(t + ifd);
		for (size_t i = 0; i < count && ifd + 2 + 12 * (i + 1) <= n; i++) {
			const unsigned char *e = t + ifd + 2 + 12 * i;

			if (U16(e) == 0x0112 && U16(e + 2) == 3 && U32(e + 4) == 1)
				return U16(e + 8) >= 1 && U16(e + 8) <= 8 ? (int)U16(e + 8) : 1;
		}
#undef U16
#undef U32
		return 1;
	}
	return 1;
}

/* Turn @*s as EXIF @orientation says, so that it shows upright. */
static int apply_orientation(cairo_surface_t **s, int orientation)
{
	double w = cairo_image_surface_get_width(*s), h = cairo_image_surface_get_height(*s);
	/* where a stored pixel (x, y) goes: x' = xx x + xy y (+ ow if that is
	 * negative), y' = yx x + yy y (+ oh if that is negative); as { xx, xy, yx, yy } */
	static const double m[9][4] = {
		[1] = { 1, 0, 0, 1 }, [2] = { -1, 0, 0, 1 }, [3] = { -1, 0, 0, -1 },
		[4] = { 1, 0, 0, -1 }, [5] = { 0, 1, 1, 0 }, [6] = { 0, -1, 1, 0 },
		[7] = { 0, -1, -1, 0 }, [8] = { 0, 1, -1, 0 },
	};
	double ow, oh;
	cairo_matrix_t mx;
	cairo_surface_t *out;
	cairo_t *cr;

	if (orientation <= 1 || orientation > 8)
		return 0;
	ow = orientation >= 5 ? h : w;
	oh = orientation >= 5 ? w : h;
	out = cairo_image_surface_create(cairo_image_surface_get_format(*s), (int)ow, (int)oh);
	if (cairo_surface_status(out) != CAIRO_STATUS_SUCCESS) {
		cairo_surface_destroy(out);
		return -ENOMEM;
	}
	cairo_matrix_init(&mx, m[orientation][0], m[orientation][2], m[orientation][1],
			m[orientation][3], m[orientation][0] + m[orientation][1] < 0 ? ow : 0,
			m[orientation][2] + m[orientation][3] < 0 ? oh : 0);
	cr = cairo_create(out);
	cairo_set_matrix(cr, &mx);
	cairo_set_source_surface(cr, *s, 0, 0);
	cairo_pattern_set_filter(cairo_get_source(cr), CAIRO_FILTER_NEAREST);
	cairo_set_operator(cr, CAIRO_OPERATOR_SOURCE);
	cairo_paint(cr);
	cairo_destroy(cr);
	cairo_surface_destroy(*s);
	*s = out;
	return 0;
}

static int decode_jpeg(const unsigned char *data, size_t size, const char *what, int min_w,
		int min_h, cairo_surface_t **out, char err[RK_CARDFACE_ERROR_LEN])
{
	struct jpeg_decompress_struct cinfo;
	struct jpeg_failure failure = { 0 };
	cairo_surface_t *volatile s = NULL;
	char msg[JMSG_LENGTH_MAX];
	cairo_surface_t *turned;
	unsigned char *pixels;
	int stride, orientation;
	unsigned int w, h;

	cinfo.err = jpeg_std_error(&failure.mgr);
	failure.mgr.error_exit = jpeg_fail;
	failure.mgr.emit_message = jpeg_message;
	if (setjmp(failure.jump)) {
		failure.mgr.format_message((j_common_ptr)&cinfo, msg);
		jpeg_destroy_decompress(&cinfo);
		if (s)
			cairo_surface_destroy(s);
		cf_error(err, "%s is a damaged JPEG image (%s).", what, msg);
		return -EINVAL;
	}
	jpeg_create_decompress(&cinfo);
	jpeg_mem_src(&cinfo, data, (unsigned long)size);
	jpeg_save_markers(&cinfo, JPEG_APP0 + 1, 0xffff);
	jpeg_read_header(&cinfo, TRUE);
	orientation = exif_orientation(&cinfo);
	if (!side_ok(cinfo.image_width, cinfo.image_height)) {
		cf_error(err, "%s is %u x %u pixels; at most %d on a side.", what,
				cinfo.image_width, cinfo.image_height, RK_CARDFACE_MAX_IMAGE_SIDE);
		goto refuse;
	}
	if (cinfo.jpeg_color_space != JCS_GRAYSCALE && cinfo.jpeg_color_space != JCS_YCbCr &&
			cinfo.jpeg_color_space != JCS_RGB) {
		cf_error(err, "%s is a CMYK JPEG image; only colour (RGB) or grey ones are "
				"printed.", what);
		goto refuse;
	}
	/* straight into cairo's native-endian xRGB words */
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	cinfo.out_color_space = JCS_EXT_BGRX;
#else
	cinfo.out_color_space = JCS_EXT_XRGB;
#endif
	/* a camera's 4000-pixel shot for a 283-pixel box: libjpeg decodes it at
	 * 1/2, 1/4 or 1/8 of its size for a fraction of the time and memory, as
	 * long as that is still at least as large as the box */
	w = orientation >= 5 ? cinfo.image_height : cinfo.image_width;
	h = orientation >= 5 ? cinfo.image_width : cinfo.image_height;
	cinfo.scale_num = 1;
	cinfo.scale_denom = 1;
	for (unsigned int d = 8; d > 1 && cinfo.scale_denom == 1; d /= 2)
		if (w / d >= (unsigned int)min_w && h / d >= (unsigned int)min_h)
			cinfo.scale_denom = d;
	jpeg_start_decompress(&cinfo);
	s = cairo_image_surface_create(CAIRO_FORMAT_RGB24, (int)cinfo.output_width,
			(int)cinfo.output_height);
	if (cairo_surface_status(s) != CAIRO_STATUS_SUCCESS) {
		jpeg_destroy_decompress(&cinfo);
		cairo_surface_destroy(s);
		return -ENOMEM;
	}
	pixels = cairo_image_surface_get_data(s);
	stride = cairo_image_surface_get_stride(s);
	while (cinfo.output_scanline < cinfo.output_height) {
		JSAMPROW row = pixels + (size_t)cinfo.output_scanline * (size_t)stride;

		jpeg_read_scanlines(&cinfo, &row, 1);
	}
	jpeg_finish_decompress(&cinfo);
	jpeg_destroy_decompress(&cinfo);
	if (failure.warnings) {
		cairo_surface_destroy(s);
		cf_error(err, "%s is a damaged JPEG image (truncated or corrupt data).", what);
		return -EINVAL;
	}
	cairo_surface_mark_dirty(s);
	turned = s;
	if (apply_orientation(&turned, orientation) < 0) {
		cairo_surface_destroy(turned);
		return -ENOMEM;
	}
	*out = turned;
	return 0;

refuse:
	jpeg_destroy_decompress(&cinfo);
	return -EINVAL;
}

int cf_image_decode(const void *data, size_t size, const char *what, int min_w, int min_h,
		cairo_surface_t **out, char err[RK_CARDFACE_ERROR_LEN])
{
	const unsigned char *p = data;

	if (size > RK_CARDFACE_MAX_IMAGE_BYTES) {
		cf_error(err, "%s is %zu bytes; at most %zu are accepted.", what, size,
				RK_CARDFACE_MAX_IMAGE_BYTES);
		return -EINVAL;
	}
	if (size >= sizeof(png_magic) && memcmp(p, png_magic, sizeof(png_magic)) == 0)
		return decode_png(p, size, what, out, err);
	if (size >= 3 && p[0] == 0xff && p[1] == 0xd8 && p[2] == 0xff)
		return decode_jpeg(p, size, what, min_w, min_h, out, err);
	cf_error(err, "%s is neither a JPEG nor a PNG image.", what);
	return -EINVAL;
}

/* --- PNG out ------------------------------------------------------------------ */

struct png_sink {
	unsigned char *data;
	size_t len, size;
};

static cairo_status_t png_write(void *closure, const unsigned char *data, unsigned int length)
{
	struct png_sink *sink = closure;
	size_t want = sink->len + length;

	if (want > sink->size) {
		size_t size = sink->size ? sink->size : 65536;
		unsigned char *p;

		while (size < want)
			size *= 2;
		p = realloc(sink->data, size);
		if (!p)
			return CAIRO_STATUS_NO_MEMORY;
		sink->data = p;
		sink->size = size;
	}
	memcpy(sink->data + sink->len, data, length);
	sink->len = want;
	return CAIRO_STATUS_SUCCESS;
}

/* The CRC of PNG chunks (ISO 3309, as in zlib), bit by bit: 13 bytes here. */
static uint32_t png_crc(const unsigned char *p, size_t n)
{
	uint32_t c = 0xffffffffu;

	while (n--) {
		c ^= *p++;
		for (int k = 0; k < 8; k++)
			c = c & 1 ? 0xedb88320u ^ (c >> 1) : c >> 1;
	}
	return c ^ 0xffffffffu;
}

int cf_png_encode(cairo_surface_t *s, unsigned int dpi, unsigned char **data, size_t *size)
{
	struct png_sink sink = { 0 };
	unsigned char phys[21]; /* length, "pHYs", x, y, unit, crc */
	const size_t at = 8 + 25; /* after the signature and IHDR */
	cairo_status_t st;
	uint32_t ppm = (uint32_t)(dpi / 0.0254 + 0.5);

	cairo_surface_flush(s);
	st = cairo_surface_write_to_png_stream(s, png_write, &sink);
	if (st != CAIRO_STATUS_SUCCESS || sink.len < at) {
		free(sink.data);
		return st == CAIRO_STATUS_NO_MEMORY ? -ENOMEM : -EIO;
	}
	put_be32(phys, 9);
	memcpy(phys + 4, "pHYs", 4);
	put_be32(phys + 8, ppm);
	put_be32(phys + 12, ppm);
	phys[16] = 1; /* the unit is the metre */
	put_be32(phys + 17, png_crc(phys + 4, 13));
	if (png_write(&sink, phys, sizeof(phys)) != CAIRO_STATUS_SUCCESS) {
		free(sink.data);
		return -ENOMEM;
	}
	memmove(sink.data + at + sizeof(phys), sink.data + at, sink.len - sizeof(phys) - at);
	memcpy(sink.data + at, phys, sizeof(phys));
	*data = sink.data;
	*size = sink.len;
	return 0;
}

/* --- small copies for the chip ------------------------------------------------ */

int rk_cardface_shrink_png(const void *image, size_t size, size_t max_bytes, unsigned char **out,
		size_t *out_size)
{
	char err[RK_CARDFACE_ERROR_LEN];
	cairo_surface_t *src = NULL;
	double w, h;
	int r;

	*out = NULL;
	*out_size = 0;
	r = cf_image_decode(image, size, "the image", 1, 1, &src, err);
	if (r < 0)
		return r;
	w = cairo_image_surface_get_width(src);
	h = cairo_image_surface_get_height(src);
	/* a third smaller each round, on white, until the PNG fits */
	for (double scale = 1.0; !r && w * scale >= 16 && h * scale >= 8; scale *= 2.0 / 3.0) {
		int sw = (int)(w * scale + 0.5), sh = (int)(h * scale + 0.5);
		cairo_surface_t *dst = cairo_image_surface_create(CAIRO_FORMAT_RGB24, sw, sh);
		cairo_t *cr = cairo_create(dst);

		cairo_set_source_rgb(cr, 1, 1, 1);
		cairo_paint(cr);
		cairo_scale(cr, (double)sw / w, (double)sh / h);
		cairo_set_source_surface(cr, src, 0, 0);
		cairo_pattern_set_filter(cairo_get_source(cr), CAIRO_FILTER_GOOD);
		cairo_paint(cr);
		cairo_destroy(cr);
		cairo_surface_flush(dst);
		r = cairo_surface_status(dst) ? -ENOMEM : cf_png_encode(dst, 0, out, out_size);
		cairo_surface_destroy(dst);
		if (!r && *out_size <= max_bytes)
			break;
		free(*out);
		*out = NULL;
		*out_size = 0;
	}
	cairo_surface_destroy(src);
	if (!r && !*out)
		r = -EFBIG;
	return r;
}
