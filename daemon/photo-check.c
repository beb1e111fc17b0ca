// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * rekam - KTP-el recording station daemon
 *
 * photo-check.c - the KTP-el portrait checks and the card portrait (see
 * photo-check.h for what is measured and how). libjpeg decodes, at a scale
 * that keeps the longer side at 1000 pixels or more; libjpeg errors jump
 * back here and become -EINVAL, so any bytes are safe to pass in.
 */
#include <config.h>

#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jpeglib.h>

#include "daemon/config.h"
#include "daemon/photo-check.h"

#define ANALYSIS_SIDE 1000   /* the longer side is scaled down to no less than this */
#define DIMENSION_MAX 20000u
#define FOREGROUND_DIST2 (90 * 90) /* squared RGB distance from the cloth */
#define HEAD_ROW_MIN 0.03    /* a row with this much subject is part of the head */
#define HEAD_BAND 0.30       /* the head: this much of the height below its top */
#define SUBJECT_MIN 0.03
#define HEAD_TOP_MIN 0.015
#define HEAD_TOP_MAX 0.50
#define DARK_MAX 50.0
#define BRIGHT_MIN 225.0
#define CLIPPED_MAX 0.10

struct image {
	unsigned int w, h;         /* decoded */
	unsigned int full_w, full_h;
	unsigned char *rgb;
};

/* --- libjpeg --------------------------------------------------------------------- */

struct jerr {
	struct jpeg_error_mgr pub;
	jmp_buf jump;
};

static void on_error(j_common_ptr cinfo)
{
	longjmp(((struct jerr *)cinfo->err)->jump, 1);
}

static void on_message(j_common_ptr cinfo)
{
}

/* 1/1 to 1/8, keeping the longer side at ANALYSIS_SIDE or more. */
static unsigned int scale_for(unsigned int longer)
{
	unsigned int denom = 1;

	while (denom < 8 && longer / (denom * 2) >= ANALYSIS_SIDE)
		denom *= 2;
	return denom;
}

static int decode(const void *data, size_t size, struct image *img)
{
	struct jpeg_decompress_struct cinfo;
	struct jerr jerr;
	unsigned char *volatile rgb = NULL;

	memset(img, 0, sizeof(*img));
	if (!data || size < 4 || size > (unsigned long)-1)
		return -EINVAL;
	cinfo.err = jpeg_std_error(&jerr.pub);
	jerr.pub.error_exit = on_error;
	jerr.pub.output_message = on_message;
	if (setjmp(jerr.jump)) {
		jpeg_destroy_decompress(&cinfo);
		free(rgb);
		return -EINVAL;
	}
	jpeg_create_decompress(&cinfo);
	jpeg_mem_src(&cinfo, data, (unsigned long)size);
	jpeg_read_header(&cinfo, TRUE);
	if (!cinfo.image_width || !cinfo.image_height || cinfo.image_width > DIMENSION_MAX ||
			cinfo.image_height > DIMENSION_MAX)
		longjmp(jerr.jump, 1);
	cinfo.scale_num = 1;
	cinfo.scale_denom = scale_for(cinfo.image_width > cinfo.image_height ?
		cinfo.image_width : cinfo.image_height);
	cinfo.out_color_space = JCS_RGB;
	jpeg_start_decompress(&cinfo);
	if (cinfo.output_components != 3)
		longjmp(jerr.jump, 1);
	rgb = malloc((size_t)cinfo.output_width * cinfo.output_height * 3);
	if (!rgb) {
		jpeg_destroy_decompress(&cinfo);
		return -ENOMEM;
	}
	while (cinfo.output_scanline < cinfo.output_height) {
		JSAMPROW row = rgb + (size_t)cinfo.output_scanline * cinfo.output_width * 3;

		jpeg_read_scanlines(&cinfo, &row, 1);
	}
	jpeg_finish_decompress(&cinfo);
	img->w = cinfo.output_width;
	img->h = cinfo.output_height;
	img->full_w = cinfo.image_width;
	img->full_h = cinfo.image_height;
	img->rgb = rgb;
	jpeg_destroy_decompress(&cinfo);
	return 0;
}

static int encode(const unsigned char *rgb, unsigned int w, unsigned int h, unsigned char **out,
		size_t *out_size)
{
	struct jpeg_compress_struct cinfo;
	struct jerr jerr;
	unsigned long n = 0;

	*out = NULL;
	cinfo.err = jpeg_std_error(&jerr.pub);
	jerr.pub.error_exit = on_error;
	jerr.pub.output_message = on_message;
	if (setjmp(jerr.jump)) {
		jpeg_destroy_compress(&cinfo);
		free(*out);
		*out = NULL;
		return -ENOMEM;
	}
	jpeg_create_compress(&cinfo);
	jpeg_mem_dest(&cinfo, out, &n);
	cinfo.image_width = w;
	cinfo.image_height = h;
	cinfo.input_components = 3;
	cinfo.in_color_space = JCS_RGB;
	jpeg_set_defaults(&cinfo);
	jpeg_set_quality(&cinfo, 90, TRUE);
	cinfo.density_unit = 1; /* dots per inch: the card prints at 300 */
	cinfo.X_density = 300;
	cinfo.Y_density = 300;
	jpeg_start_compress(&cinfo, TRUE);
	while (cinfo.next_scanline < h) {
		JSAMPROW row = (JSAMPROW)(rgb + (size_t)cinfo.next_scanline * w * 3);

		jpeg_write_scanlines(&cinfo, &row, 1);
	}
	jpeg_finish_compress(&cinfo);
	jpeg_destroy_compress(&cinfo);
	*out_size = n;
	return 0;
}

/* --- colours and rules ------------------------------------------------------------- */

const char *rk_photo_colour_name(enum rk_photo_colour colour)
{
	switch (colour) {
	case RK_PHOTO_RED:
		return "red";
	case RK_PHOTO_BLUE:
		return "blue";
	default:
		return "neither red nor blue";
	}
}

int rk_photo_colour_parse(const char *text)
{
	if (text && strcmp(text, "red") == 0)
		return RK_PHOTO_RED;
	if (text && strcmp(text, "blue") == 0)
		return RK_PHOTO_BLUE;
	return -1;
}

void rk_photo_rules_from_config(const struct rk_config *config, struct rk_photo_rules *rules)
{
	int odd = rk_photo_colour_parse(config->photo_background_odd);
	int even = rk_photo_colour_parse(config->photo_background_even);

	rules->background_odd = odd < 0 ? RK_PHOTO_RED : (enum rk_photo_colour)odd;
	rules->background_even = even < 0 ? RK_PHOTO_BLUE : (enum rk_photo_colour)even;
	rules->min_sharpness = config->photo_min_sharpness;
	rules->max_off_centre = config->photo_max_off_centre / 100.0;
}

static enum rk_photo_colour classify(const double c[3])
{
	if (c[0] > 100 && c[0] > 1.8 * c[1] + 10 && c[0] > 1.8 * c[2] + 10)
		return RK_PHOTO_RED;
	if (c[2] > 100 && c[2] > 1.5 * c[0] + 10 && c[2] > 1.3 * c[1] + 10)
		return RK_PHOTO_BLUE;
	return RK_PHOTO_OTHER;
}

/* --- analysis ------------------------------------------------------------------------ */

static inline int luma(const unsigned char *p)
{
	return (77 * p[0] + 150 * p[1] + 29 * p[2]) >> 8;
}

/* Mean colour of a box. */
static void box_mean(const struct image *img, unsigned int x0, unsigned int y0, unsigned int x1,
		unsigned int y1, double out[3])
{
	double sum[3] = { 0, 0, 0 };
	size_t n = 0;

	for (unsigned int y = y0; y < y1; y++) {
		const unsigned char *p = img->rgb + ((size_t)y * img->w + x0) * 3;

		for (unsigned int x = x0; x < x1; x++, p += 3, n++)
			for (int c = 0; c < 3; c++)
				sum[c] += p[c];
	}
	for (int c = 0; c < 3; c++)
		out[c] = n ? sum[c] / (double)n : 0;
}

struct head {
	unsigned int top, bottom; /* rows of the head band */
	unsigned int left, right; /* its subject columns (5th to 95th percentile) */
	double cx;
};

static bool is_subject(const unsigned char *p, const double bg[3])
{
	double d0 = p[0] - bg[0], d1 = p[1] - bg[1], d2 = p[2] - bg[2];

	return d0 * d0 + d1 * d1 + d2 * d2 > FOREGROUND_DIST2;
}

static int analyse_image(const struct image *img, struct rk_photo_report *r, struct head *head)
{
	unsigned int w = img->w, h = img->h, cw = w * 12 / 100, ch = h / 4, top = h, n_band = 0;
	double left[3], right[3], bg[3], sum_x = 0, sum_y = 0, lsum = 0, lsum2 = 0;
	size_t subject = 0, clipped = 0, n_lap = 0;
	size_t *cols;

	if (w < 16 || h < 16)
		return -EINVAL;
	cols = calloc(w, sizeof(*cols));
	if (!cols)
		return -ENOMEM;
	if (!cw)
		cw = 1;
	box_mean(img, 0, 0, cw, ch, left);
	box_mean(img, w - cw, 0, w, ch, right);
	for (int c = 0; c < 3; c++)
		bg[c] = (left[c] + right[c]) / 2;
	r->background = classify(bg);
	r->uneven = classify(left) != classify(right);

	/* the subject, and the first row with enough of it: the top of the head */
	for (unsigned int y = 0; y < h; y++) {
		const unsigned char *p = img->rgb + (size_t)y * w * 3;
		unsigned int in_row = 0;

		for (unsigned int x = 0; x < w; x++, p += 3) {
			int l = luma(p);

			clipped += l >= 251;
			if (is_subject(p, bg))
				in_row++;
		}
		subject += in_row;
		if (top == h && in_row >= HEAD_ROW_MIN * w)
			top = y;
	}
	r->subject = (double)subject / ((double)w * h);
	r->clipped = (double)clipped / ((double)w * h);
	r->head_top = (double)top / h;
	if (top == h) {
		free(cols);
		return 0;
	}

	/* the head band: its centre, its columns, its brightness */
	head->top = top;
	head->bottom = top + (unsigned int)(HEAD_BAND * h);
	if (head->bottom > h)
		head->bottom = h;
	for (unsigned int y = head->top; y < head->bottom; y++) {
		const unsigned char *p = img->rgb + (size_t)y * w * 3;

		for (unsigned int x = 0; x < w; x++, p += 3) {
			if (!is_subject(p, bg))
				continue;
			cols[x]++;
			sum_x += x;
			sum_y += luma(p);
			n_band++;
		}
	}
	head->cx = n_band ? sum_x / n_band : w / 2.0;
	r->centre_x = head->cx / w;
	r->brightness = n_band ? sum_y / n_band : 0;
	head->left = 0;
	head->right = w;
	for (size_t x = 0, seen = 0; x < w; x++) {
		seen += cols[x];
		if (seen <= n_band / 20)
			head->left = (unsigned int)x;
		if (seen < n_band - n_band / 20)
			head->right = (unsigned int)x + 1;
	}
	free(cols);

	/* sharpness: the variance of the Laplacian over the head band */
	for (unsigned int y = head->top > 0 ? head->top : 1; y < head->bottom && y + 1 < h; y++) {
		unsigned int x0 = head->left > 0 ? head->left : 1;
		unsigned int x1 = head->right < w - 1 ? head->right : w - 1;

		for (unsigned int x = x0; x < x1; x++) {
			const unsigned char *p = img->rgb + ((size_t)y * w + x) * 3;
			double lap = luma(p - 3) + luma(p + 3) + luma(p - (size_t)w * 3) +
				luma(p + (size_t)w * 3) - 4.0 * luma(p);

			lsum += lap;
			lsum2 += lap * lap;
			n_lap++;
		}
	}
	if (n_lap) {
		double mean = lsum / (double)n_lap;

		r->sharpness = lsum2 / (double)n_lap - mean * mean;
	}
	r->head_height = (double)(head->bottom - head->top) / h;
	return 0;
}

int rk_photo_analyse(const void *jpeg, size_t size, struct rk_photo_report *report)
{
	struct image img;
	struct head head;
	int err;

	memset(report, 0, sizeof(*report));
	err = decode(jpeg, size, &img);
	if (err)
		return err;
	report->width = img.full_w;
	report->height = img.full_h;
	report->aw = img.w;
	report->ah = img.h;
	err = analyse_image(&img, report, &head);
	free(img.rgb);
	return err;
}

/* --- the check ---------------------------------------------------------------------- */

static int this_year(void)
{
	time_t now = time(NULL);
	struct tm tm;

	return gmtime_r(&now, &tm) ? tm.tm_year + 1900 : 2100;
}

int rk_photo_check(const struct rk_photo_rules *rules, int birth_year, const void *jpeg,
		size_t size, char why[RK_PHOTO_WHY_SIZE])
{
	struct rk_photo_report r;
	enum rk_photo_colour want;
	int err;

	why[0] = '\0';
	if (birth_year < 1900 || birth_year > this_year()) {
		snprintf(why, RK_PHOTO_WHY_SIZE, "the birth year %d is not plausible", birth_year);
		return -EINVAL;
	}
	err = rk_photo_analyse(jpeg, size, &r);
	if (err == -EINVAL)
		snprintf(why, RK_PHOTO_WHY_SIZE,
			"the picture is not a JPEG image that can be read");
	if (err)
		return err;
	want = birth_year % 2 ? rules->background_odd : rules->background_even;
	if (r.background != want || r.uneven)
		snprintf(why, RK_PHOTO_WHY_SIZE, "the background is %s, but applicants born in %s "
			"years (%d) need %s: change the cloth and retake the photo",
			r.uneven ? "uneven" : rk_photo_colour_name(r.background),
			birth_year % 2 ? "odd" : "even", birth_year, rk_photo_colour_name(want));
	else if (r.subject < SUBJECT_MIN || r.head_top >= 1.0)
		snprintf(why, RK_PHOTO_WHY_SIZE, "no one is in front of the camera");
	else if (r.head_top < HEAD_TOP_MIN)
		snprintf(why, RK_PHOTO_WHY_SIZE, "the top of the head is cut off: lower the camera "
			"or move the applicant down");
	else if (r.head_top > HEAD_TOP_MAX)
		snprintf(why, RK_PHOTO_WHY_SIZE, "the head is too low in the picture: raise the "
			"camera or the seat");
	else if (rules->max_off_centre > 0 && fabs(r.centre_x - 0.5) > rules->max_off_centre)
		snprintf(why, RK_PHOTO_WHY_SIZE, "the applicant is not centred (%.0f %% to the %s, "
			"at most %.0f %% allowed): ask them to move and retake the photo",
			fabs(r.centre_x - 0.5) * 100, r.centre_x < 0.5 ? "left" : "right",
			rules->max_off_centre * 100);
	else if (rules->min_sharpness > 0 && r.sharpness < rules->min_sharpness)
		snprintf(why, RK_PHOTO_WHY_SIZE, "the photo is out of focus (sharpness %.1f, at "
			"least %.1f needed): focus and retake the photo", r.sharpness,
			rules->min_sharpness);
	else if (r.brightness < DARK_MAX)
		snprintf(why, RK_PHOTO_WHY_SIZE, "the face is too dark (brightness %.0f of 255): "
			"add light and retake the photo", r.brightness);
	else if (r.brightness > BRIGHT_MIN || r.clipped > CLIPPED_MAX)
		snprintf(why, RK_PHOTO_WHY_SIZE, "the photo is overexposed (face brightness %.0f "
			"of 255, %.0f %% white): reduce the light and retake the photo",
			r.brightness, r.clipped * 100);
	return why[0] ? -EBADMSG : 0;
}

/* --- the card portrait ---------------------------------------------------------------- */

/* Bilinear sample of @img at (x, y) into @out. */
static void sample(const struct image *img, double x, double y, unsigned char out[3])
{
	unsigned int x0, y0, x1, y1;
	double fx, fy;

	x = x < 0 ? 0 : x > img->w - 1 ? img->w - 1 : x;
	y = y < 0 ? 0 : y > img->h - 1 ? img->h - 1 : y;
	x0 = (unsigned int)x;
	y0 = (unsigned int)y;
	x1 = x0 + 1 < img->w ? x0 + 1 : x0;
	y1 = y0 + 1 < img->h ? y0 + 1 : y0;
	fx = x - x0;
	fy = y - y0;
	for (int c = 0; c < 3; c++) {
		double a = img->rgb[((size_t)y0 * img->w + x0) * 3 + c];
		double b = img->rgb[((size_t)y0 * img->w + x1) * 3 + c];
		double d = img->rgb[((size_t)y1 * img->w + x0) * 3 + c];
		double e = img->rgb[((size_t)y1 * img->w + x1) * 3 + c];
		double v = (a * (1 - fx) + b * fx) * (1 - fy) + (d * (1 - fx) + e * fx) * fy;

		out[c] = (unsigned char)(v + 0.5);
	}
}

int rk_photo_card_portrait(const void *jpeg, size_t size, unsigned int width, unsigned int height,
		unsigned char **out, size_t *out_size)
{
	struct rk_photo_report r;
	struct image img;
	struct head head;
	double cw, ch, left, top, step;
	unsigned char *rgb;
	int err;

	*out = NULL;
	*out_size = 0;
	if (width < 16 || height < 16 || width > 4000 || height > 4000)
		return -EINVAL;
	err = decode(jpeg, size, &img);
	if (err)
		return err;
	memset(&r, 0, sizeof(r));
	err = analyse_image(&img, &r, &head);
	if (!err && r.head_top >= 1.0)
		err = -EINVAL; /* no one to frame */
	rgb = err ? NULL : malloc((size_t)width * height * 3);
	if (!err && !rgb)
		err = -ENOMEM;
	if (err) {
		free(img.rgb);
		return err;
	}
	/* the head (about 1.3 times as tall as wide) fills half the height */
	ch = 1.3 * (head.right - head.left) / 0.5;
	if (ch < img.h * 0.3)
		ch = img.h * 0.3;
	cw = ch * width / height;
	if (cw > img.w) {
		cw = img.w;
		ch = cw * height / width;
	}
	if (ch > img.h) {
		ch = img.h;
		cw = ch * width / height;
	}
	left = head.cx - cw / 2;
	left = left < 0 ? 0 : left + cw > img.w ? img.w - cw : left;
	top = head.top - 0.1 * ch;
	top = top < 0 ? 0 : top + ch > img.h ? img.h - ch : top;
	step = ch / height;
	for (unsigned int y = 0; y < height; y++)
		for (unsigned int x = 0; x < width; x++)
			sample(&img, left + (x + 0.5) * step - 0.5, top + (y + 0.5) * step - 0.5,
				rgb + ((size_t)y * width + x) * 3);
	free(img.rgb);
	err = encode(rgb, width, height, out, out_size);
	free(rgb);
	return err;
}
