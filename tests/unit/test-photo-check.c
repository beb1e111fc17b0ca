// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * rekam - unit tests
 *
 * test-photo-check.c - the KTP-el portrait checks (daemon/photo-check.c) on
 * synthetic portraits drawn here: a head and shoulders on a red or blue
 * cloth, encoded with libjpeg; the same picture blurred, moved aside,
 * darkened, on the wrong cloth, or without anyone in it. Also the card
 * portrait crop, bytes that are not a JPEG, and the [photo] section of
 * rekamd.conf.
 */
#include <config.h>

#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jpeglib.h>

#include "daemon/config.h"
#include "daemon/photo-check.h"
#include "tap.h"

#define W 600
#define H 800

struct picture {
	unsigned char rgb[W * H * 3];
};

static const unsigned char red[3] = { 209, 15, 20 }, blue[3] = { 13, 82, 199 };

static void fill(unsigned char *p, const unsigned char c[3], double shade)
{
	for (int i = 0; i < 3; i++) {
		double v = c[i] * shade;

		p[i] = (unsigned char)(v > 255 ? 255 : v);
	}
}

static bool is_eye(int x, int y, double cx)
{
	double ex = x - cx * W;

	return fabs(y - 0.38 * H) < 6 && (fabs(ex + 0.06 * W) < 12 || fabs(ex - 0.06 * W) < 12);
}

/* A portrait: head centred at @cx (fraction of the width), skin scaled by @light. */
static void draw(struct picture *pic, const unsigned char cloth[3], double cx, double light,
		bool person)
{
	static const unsigned char skin[3] = { 214, 170, 135 }, hair[3] = { 40, 30, 25 },
				   shirt[3] = { 240, 240, 240 }, eye[3] = { 30, 30, 30 };

	for (int y = 0; y < H; y++) {
		for (int x = 0; x < W; x++) {
			unsigned char *p = pic->rgb + ((size_t)y * W + x) * 3;
			double hx = (x - cx * W) / (0.17 * W), hy = (y - 0.40 * H) / (0.21 * H);
			double sx = (x - cx * W) / (0.45 * W), sy = (y - H) / (0.3 * H);

			fill(p, cloth, 1.0);
			if (!person)
				continue;
			if (hx * hx + hy * hy <= 1.0 && y < 0.29 * H)
				fill(p, hair, 1.0);
			else if (hx * hx + hy * hy <= 1.0 && is_eye(x, y, cx))
				fill(p, eye, 1.0);
			else if (hx * hx + hy * hy <= 1.0)
				fill(p, skin, light);
			else if (y > 0.72 * H && sx * sx + sy * sy <= 1.6)
				fill(p, shirt, light);
		}
	}
}

/* One pass of a box filter of radius @r along x, or along y when @vertical. */
static void box(const unsigned char *in, unsigned char *out, int r, bool vertical)
{
	for (int y = 0; y < H; y++) {
		for (int x = 0; x < W; x++) {
			for (int c = 0; c < 3; c++) {
				int sum = 0, n = 0;

				for (int d = -r; d <= r; d++) {
					int xx = vertical ? x : x + d, yy = vertical ? y + d : y;

					if (xx < 0 || xx >= W || yy < 0 || yy >= H)
						continue;
					sum += in[((size_t)yy * W + xx) * 3 + c];
					n++;
				}
				out[((size_t)y * W + x) * 3 + c] = (unsigned char)(sum / n);
			}
		}
	}
}

/* A box blur of radius @r, @passes times: the lens out of focus. */
static void blur(struct picture *pic, int r, int passes)
{
	static unsigned char tmp[W * H * 3];

	for (int pass = 0; pass < passes; pass++) {
		box(pic->rgb, tmp, r, false);
		box(tmp, pic->rgb, r, true);
	}
}

static unsigned char *jpeg(const struct picture *pic, size_t *size)
{
	struct jpeg_compress_struct cinfo;
	struct jpeg_error_mgr jerr;
	unsigned char *out = NULL;
	unsigned long n = 0;

	cinfo.err = jpeg_std_error(&jerr);
	jpeg_create_compress(&cinfo);
	jpeg_mem_dest(&cinfo, &out, &n);
	cinfo.image_width = W;
	cinfo.image_height = H;
	cinfo.input_components = 3;
	cinfo.in_color_space = JCS_RGB;
	jpeg_set_defaults(&cinfo);
	jpeg_set_quality(&cinfo, 90, TRUE);
	jpeg_start_compress(&cinfo, TRUE);
	while (cinfo.next_scanline < H) {
		JSAMPROW row = (JSAMPROW)(pic->rgb + (size_t)cinfo.next_scanline * W * 3);

		jpeg_write_scanlines(&cinfo, &row, 1);
	}
	jpeg_finish_compress(&cinfo);
	jpeg_destroy_compress(&cinfo);
	*size = n;
	return out;
}

static const struct rk_photo_rules rules = {
	.background_odd = RK_PHOTO_RED,
	.background_even = RK_PHOTO_BLUE,
	.min_sharpness = 50,
	.max_off_centre = 0.10,
};

/* Check @pic for @year; the result and, on failure, whether @why has @words. */
static void expect(const struct picture *pic, int year, int want, const char *words,
		const char *what)
{
	char why[RK_PHOTO_WHY_SIZE];
	size_t size;
	unsigned char *data = jpeg(pic, &size);
	int got = rk_photo_check(&rules, year, data, size, why);

	if (!tap_is_int(got, want, "%s: %s", what, want ? "rejected" : "passes"))
		tap_diag("  why: %s", why);
	if (words)
		tap_ok(strstr(why, words) != NULL, "%s: the reason says '%s' (%s)", what, words,
			why);
	free(data);
}

static void test_checks(void)
{
	static struct picture pic;
	struct rk_photo_report r;
	unsigned char *data;
	size_t size;
	char why[RK_PHOTO_WHY_SIZE];

	draw(&pic, red, 0.5, 1.0, true);
	data = jpeg(&pic, &size);
	tap_is_int(rk_photo_analyse(data, size, &r), 0, "a portrait is analysed");
	tap_is_int(r.width, W, "... its width");
	tap_is_int(r.height, H, "... its height");
	tap_is_int(r.background, RK_PHOTO_RED, "... on red");
	tap_ok(fabs(r.centre_x - 0.5) < 0.02, "... centred (%.3f)", r.centre_x);
	tap_ok(r.head_top > 0.15 && r.head_top < 0.25, "... the head's top found (%.3f)",
		r.head_top);
	tap_ok(r.sharpness > 100, "... sharp (%.1f)", r.sharpness);
	tap_ok(r.brightness > 100 && r.brightness < 200, "... exposed well (%.0f)", r.brightness);
	free(data);

	expect(&pic, 1987, 0, NULL, "red for an odd year (1987)");
	expect(&pic, 1988, -EBADMSG, "the background is red, but applicants born in even years "
		"(1988) need blue", "red for an even year");
	draw(&pic, blue, 0.5, 1.0, true);
	expect(&pic, 1990, 0, NULL, "blue for an even year (1990)");
	expect(&pic, 2001, -EBADMSG, "need red", "blue for an odd year");

	blur(&pic, 6, 2);
	expect(&pic, 1990, -EBADMSG, "out of focus", "a blurred portrait");
	data = jpeg(&pic, &size);
	tap_is_int(rk_photo_check(&(struct rk_photo_rules){ RK_PHOTO_RED, RK_PHOTO_BLUE, 0, 0.1 },
		1990, data, size, why), 0, "... passes with min-sharpness 0 (not checked)");
	free(data);

	draw(&pic, blue, 0.72, 1.0, true);
	expect(&pic, 1990, -EBADMSG, "not centred (22 % to the right",
		"a portrait off to the right");
	draw(&pic, blue, 0.44, 1.0, true);
	expect(&pic, 1990, 0, NULL, "a portrait a little off the middle");

	draw(&pic, blue, 0.5, 0.25, true);
	expect(&pic, 1990, -EBADMSG, "too dark", "a dark face");
	draw(&pic, blue, 0.5, 1.5, true);
	expect(&pic, 1990, -EBADMSG, "overexposed", "a blown-out face");

	draw(&pic, red, 0.5, 1.0, false);
	expect(&pic, 1987, -EBADMSG, "no one is in front of the camera", "an empty cloth");
	memset(pic.rgb, 128, sizeof(pic.rgb));
	expect(&pic, 1987, -EBADMSG, "the background is neither red nor blue", "a grey wall");

	tap_is_int(rk_photo_check(&rules, 1899, "x", 1, why), -EINVAL, "1899 is refused");
	tap_is_int(rk_photo_check(&rules, 1987, "not a jpeg at all", 17, why), -EINVAL,
		"bytes that are not a JPEG are refused");
	tap_ok(strstr(why, "not a JPEG") != NULL, "... saying so (%s)", why);
	tap_is_int(rk_photo_analyse(NULL, 0, &r), -EINVAL, "no bytes are refused");
	draw(&pic, red, 0.5, 1.0, true);
	data = jpeg(&pic, &size);
	tap_is_int(rk_photo_analyse(data, size / 3, &r), 0, "a truncated JPEG does not crash it");
	free(data);
}

static void test_card_portrait(void)
{
	static struct picture pic;
	struct rk_photo_report r;
	unsigned char *data, *card = NULL;
	size_t size, card_size = 0;

	draw(&pic, red, 0.42, 1.0, true);
	data = jpeg(&pic, &size);
	tap_is_int(rk_photo_card_portrait(data, size, 480, 640, &card, &card_size), 0,
		"the card portrait is made");
	tap_is_int(rk_photo_analyse(card, card_size, &r), 0, "... it is a JPEG");
	tap_is_int(r.width, 480, "... 480 wide");
	tap_is_int(r.height, 640, "... 640 high");
	tap_is_int(r.background, RK_PHOTO_RED, "... on the same cloth");
	tap_ok(fabs(r.centre_x - 0.5) < 0.05, "... the head centred (%.3f)", r.centre_x);
	tap_ok(r.head_top > 0.03 && r.head_top < 0.2, "... a margin above it (%.3f)", r.head_top);
	free(card);
	card = NULL;
	tap_is_int(rk_photo_card_portrait(data, size, 8, 640, &card, &card_size), -EINVAL,
		"a silly size is refused");
	free(data);
	tap_is_int(rk_photo_card_portrait("junk", 4, 480, 640, &card, &card_size), -EINVAL,
		"junk is refused");
	tap_ok(card == NULL, "... leaving nothing");
}

static void test_config(void)
{
	static const char good[] = "[photo]\nbackground-odd = blue\nbackground-even = red\n"
				    "min-sharpness = 0\nmax-off-centre = 25\n";
	struct rk_config *config = NULL;
	struct rk_photo_rules got;
	char *errors = NULL;

	tap_is_int(rk_config_load_data("t.conf", "", 0, &config, &errors), 0, "an empty file");
	rk_photo_rules_from_config(config, &got);
	tap_is_int(got.background_odd, RK_PHOTO_RED, "default: red for odd years");
	tap_is_int(got.background_even, RK_PHOTO_BLUE, "default: blue for even years");
	tap_ok(got.min_sharpness == 50, "default: min-sharpness 50");
	tap_ok(fabs(got.max_off_centre - 0.10) < 1e-9, "default: max-off-centre 10 %%");
	rk_config_free(config);

	config = NULL;
	tap_is_int(rk_config_load_data("t.conf", good, strlen(good), &config, &errors), 0,
		"a [photo] section");
	rk_photo_rules_from_config(config, &got);
	tap_is_int(got.background_odd, RK_PHOTO_BLUE, "background-odd = blue");
	tap_is_int(got.background_even, RK_PHOTO_RED, "background-even = red");
	tap_ok(got.min_sharpness == 0, "min-sharpness = 0");
	tap_ok(fabs(got.max_off_centre - 0.25) < 1e-9, "max-off-centre = 25");
	rk_config_free(config);

	static const char *const bad[] = {
		"[photo]\nbackground-odd = green\n", "[photo]\nbackground-even = Blue\n",
		"[photo]\nmin-sharpness = -1\n", "[photo]\nmin-sharpness = 100001\n",
		"[photo]\nmax-off-centre = 51\n", "[photo]\nmax-off-centre = 1x\n",
		"[photo]\ncolour = red\n",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		config = NULL;
		errors = NULL;
		int err = rk_config_load_data("t.conf", bad[i], strlen(bad[i]), &config, &errors);

		tap_ok(err < 0 && !config && errors, "refused: %.*s",
			(int)strcspn(bad[i] + 8, "\n"), bad[i] + 8);
		if (errors)
			tap_ok(strncmp(errors, "t.conf:2: ", 10) == 0, "... at line 2 (%s)",
				errors);
		free(errors);
		rk_config_free(config);
	}
}

int main(void)
{
	test_checks();
	test_card_portrait();
	test_config();
	return tap_done();
}
