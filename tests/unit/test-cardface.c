// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * rekam - unit tests
 *
 * test-cardface.c - the card face renderer (daemon/cardface*.c) with the
 * real DejaVu fonts: sample applicants (ordinary; very long name, address
 * and occupation; a name with no spaces at all; only the required fields)
 * render to 1012 x 638 PNGs marked 300 dpi; every field's text stays inside
 * its area and no two fields overlap; the portrait covers its box with its
 * own background colour whatever its shape, upright whatever its EXIF
 * orientation; the signature lands in its box; renders on several threads
 * at once give the same bytes as one alone;
 * missing, malformed and damaged input is refused with a sentence; and
 * fontconfig leaves $HOME alone (a fresh HOME stays empty, and an
 * impossible HOME still renders). The PNGs are written to
 * tests/cardface-out/ in the build directory for a person to look at.
 */
#include <config.h>

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "daemon/cardface.h"
#include "cardface-samples.h"
#include "daemon/cardface-private.h"
#include "tap.h"

#define EPS 0.01 /* px of rounding */

static char home[] = "/tmp/rekam-test-cardface-XXXXXX";
static char *out_dir;

/* --- checks --------------------------------------------------------------------- */

static bool inside(double x, double y, double w, double h, double bx, double by, double bw,
		double bh, double tol)
{
	return x >= bx - tol && y >= by - tol && x + w <= bx + bw + tol && y + h <= by + bh + tol;
}

static bool overlap(const struct rk_cardface_box *a, const struct rk_cardface_box *b)
{
	return a->side == b->side && a->tw > 0 && b->tw > 0 && a->tx < b->tx + b->tw - EPS &&
			b->tx < a->tx + a->tw - EPS && a->ty < b->ty + b->th - EPS &&
			b->ty < a->ty + a->th - EPS;
}

/* Every box on the card, every text in its box (logical and ink extents),
 * no two texts or pictures on top of each other. */
static void check_boxes(const char *who, const struct rk_cardface *cf)
{
	size_t n;
	const struct rk_cardface_box *b = rk_cardface_boxes(cf, &n);
	int outside = 0, spill = 0, ink_spill = 0, overlaps = 0, lines = 0;

	for (size_t i = 0; i < n; i++) {
		if (!inside(b[i].x, b[i].y, b[i].w, b[i].h, 0, 0, RK_CARDFACE_WIDTH,
				    RK_CARDFACE_HEIGHT, 0)) {
			outside++;
			tap_diag("  %s: area of %s is off the card", who, b[i].field);
		}
		if (b[i].tw > 0 && !inside(b[i].tx, b[i].ty, b[i].tw, b[i].th, b[i].x, b[i].y,
						   b[i].w, b[i].h, EPS)) {
			spill++;
			tap_diag("  %s: %s spills: text %.1f,%.1f %.1fx%.1f, "
					"area %.1f,%.1f %.1fx%.1f",
					who, b[i].field, b[i].tx, b[i].ty, b[i].tw, b[i].th, b[i].x,
					b[i].y, b[i].w, b[i].h);
		}
		if (b[i].ink_w > 0 && !inside(b[i].ink_x, b[i].ink_y, b[i].ink_w, b[i].ink_h,
						      b[i].x, b[i].y, b[i].w, b[i].h, EPS)) {
			ink_spill++;
			tap_diag("  %s: the ink of %s leaves its area: %.2f,%.2f %.2fx%.2f "
					"in %.2f,%.2f %.2fx%.2f", who, b[i].field, b[i].ink_x,
					b[i].ink_y, b[i].ink_w, b[i].ink_h,
					b[i].x, b[i].y, b[i].w, b[i].h);
		}
		if (b[i].lines > b[i].max_lines)
			lines++;
		for (size_t j = i + 1; j < n; j++)
			if (overlap(&b[i], &b[j])) {
				overlaps++;
				tap_diag("  %s: %s overlaps %s", who, b[i].field, b[j].field);
			}
	}
	tap_ok(n >= 30, "%s: %zu boxes are reported", who, n);
	tap_is_int(outside, 0, "%s: every area is on the card", who);
	tap_is_int(spill, 0, "%s: every text stays inside its area", who);
	tap_is_int(ink_spill, 0, "%s: every text's ink stays inside its area", who);
	tap_is_int(lines, 0, "%s: no text has more lines than allowed", who);
	tap_is_int(overlaps, 0, "%s: no two fields overlap", who);
}

static void pixel(cairo_surface_t *s, int x, int y, int rgb[3])
{
	const unsigned char *p = cairo_image_surface_get_data(s);
	uint32_t v = *(const uint32_t *)(p + (size_t)y * cairo_image_surface_get_stride(s) +
			(size_t)x * 4);

	rgb[0] = (int)(v >> 16 & 0xff);
	rgb[1] = (int)(v >> 8 & 0xff);
	rgb[2] = (int)(v & 0xff);
}

static bool near(const int rgb[3], double r, double g, double b, int tol)
{
	return abs(rgb[0] - (int)lround(r * 255)) <= tol &&
			abs(rgb[1] - (int)lround(g * 255)) <= tol &&
			abs(rgb[2] - (int)lround(b * 255)) <= tol;
}

/* The edge of the portrait box (2 px in, all round) is the background. */
static void check_portrait(const char *who, const struct rk_cardface *cf, double r, double g,
		double b, int tol)
{
	const struct rk_cardface_box *p = rk_cardface_box(cf, "portrait");
	cairo_surface_t *s = rk_cardface_surface(cf, RK_CARD_FRONT);
	int rgb[3], bad = 0, checked = 0;

	if (!tap_ok(p != NULL, "%s: there is a portrait box", who))
		return;
	tap_ok(p->w / p->h > 0.74 && p->w / p->h < 0.76, "%s: the photo box is 3:4", who);
	for (int i = 0; i <= 20; i++) {
		int along_x = (int)(p->x + 2 + i * (p->w - 5) / 20);
		int along_y = (int)(p->y + 2 + i * (p->h - 5) / 20);
		int xs[4] = { (int)p->x + 2, (int)(p->x + p->w) - 3, along_x, along_x };
		int ys[4] = { along_y, along_y, (int)p->y + 2, (int)p->y + 2 };

		for (int k = 0; k < 4; k++) {
			/* the sides down to the shoulders, and the top edge */
			if (k < 2 && i > 12)
				continue;
			pixel(s, xs[k], ys[k], rgb);
			checked++;
			if (!near(rgb, r, g, b, tol)) {
				if (!bad)
					tap_diag("  %s: pixel %d,%d is %d,%d,%d", who, xs[k], ys[k],
							rgb[0], rgb[1], rgb[2]);
				bad++;
			}
		}
	}
	tap_ok(bad == 0, "%s: the photo box's edge has the portrait's background (%d pixels)", who,
			checked);
	pixel(s, (int)(p->x + p->w / 2), (int)(p->y + p->h * 0.45), rgb);
	tap_ok(near(rgb, 0.85, 0.68, 0.55, 12), "%s: the face is in the middle of the photo box",
			who);
	pixel(s, (int)(p->x + p->w / 2), (int)(p->y + p->h) - 3, rgb);
	tap_ok(near(rgb, 0.1, 0.1, 0.12, 12), "%s: the shoulders are at the bottom: it is upright",
			who);
}

static void write_file(const char *name, const unsigned char *data, size_t size)
{
	char *path;
	FILE *f;

	if (asprintf(&path, "%s/%s", out_dir, name) < 0)
		tap_bail("out of memory");
	f = fopen(path, "wb");
	if (!f || fwrite(data, 1, size, f) != size || fclose(f) != 0)
		tap_bail("cannot write %s", path);
	free(path);
}

/* Both sides as PNG: 1012 x 638, marked 300 dpi, written out for a person. */
static void check_png(const char *who, const struct rk_cardface *cf)
{
	static const unsigned char phys[] = { 0, 0, 0, 9, 'p', 'H', 'Y', 's', 0, 0, 0x2e, 0x23,
		0, 0, 0x2e, 0x23, 1 };
	const char *names[2] = { "front", "back" };

	for (int side = 0; side < 2; side++) {
		unsigned char *png = NULL;
		size_t size = 0;
		char *name;
		cairo_surface_t *back;

		if (!tap_is_int(rk_cardface_png(cf, side, &png, &size), 0, "%s: %s encodes as PNG",
				    who, names[side]))
			continue;
		tap_ok(size > 33 + sizeof(phys) && memcmp(png + 33, phys, sizeof(phys)) == 0,
				"%s: the %s PNG says 300 dpi (pHYs 11811 px/m)", who, names[side]);
		if (asprintf(&name, "%s-%s.png", who, names[side]) < 0)
			tap_bail("out of memory");
		write_file(name, png, size);
		free(name);
		/* read back what was written, through libpng in cairo (CRCs checked) */
		if (asprintf(&name, "%s/%s-%s.png", out_dir, who, names[side]) < 0)
			tap_bail("out of memory");
		back = cairo_image_surface_create_from_png(name);
		free(name);
		tap_ok(cairo_surface_status(back) == CAIRO_STATUS_SUCCESS &&
					cairo_image_surface_get_width(back) == RK_CARDFACE_WIDTH &&
					cairo_image_surface_get_height(back) == RK_CARDFACE_HEIGHT,
				"%s: the %s PNG reads back as 1012 x 638", who, names[side]);
		cairo_surface_destroy(back);
		free(png);
	}
}

static struct rk_cardface *render_ok(struct rk_cardface_renderer *r, const char *who,
		const struct rk_card_applicant *a)
{
	char err[RK_CARDFACE_ERROR_LEN] = "";
	struct rk_cardface *cf = NULL;
	int rc = rk_cardface_render(r, a, &cf, err);

	if (!tap_is_int(rc, 0, "%s: renders", who))
		tap_diag("  %s", err);
	return rc == 0 ? cf : NULL;
}

static const struct rk_cardface_box *box(const struct rk_cardface *cf, const char *field)
{
	const struct rk_cardface_box *b = rk_cardface_box(cf, field);

	if (!b)
		tap_bail("no box %s", field);
	return b;
}

/* --- the cases -------------------------------------------------------------------- */

static void test_normal(struct rk_cardface_renderer *r)
{
	struct rk_card_applicant a = sample_normal();
	struct rk_cardface *cf = render_ok(r, "normal", &a);
	const char *fields[] = { "header.province", "header.regency", "nik", "name", "birth",
		"sex", "blood_type", "address", "rt_rw", "village", "district", "religion",
		"marital_status", "occupation", "citizenship", "valid_until", "issue_place",
		"issue_date" };
	int fitted = 0;
	const struct rk_cardface_box *s;

	if (!cf)
		return;
	tap_is_int(cairo_image_surface_get_width(rk_cardface_surface(cf, RK_CARD_FRONT)),
			RK_CARDFACE_WIDTH, "normal: the front is 1012 px wide");
	tap_is_int(cairo_image_surface_get_height(rk_cardface_surface(cf, RK_CARD_BACK)),
			RK_CARDFACE_HEIGHT, "normal: the back is 638 px high");
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		const struct rk_cardface_box *b = box(cf, fields[i]);

		if (b->shrunk || b->wrapped || b->ellipsized || b->lines != 1) {
			tap_diag("  %s: size %.2f, %d lines", b->field, b->size, b->lines);
			fitted++;
		}
	}
	tap_is_int(fitted, 0, "normal: every field is one line at its preferred size");
	check_boxes("normal", cf);
	check_portrait("normal", cf, 0.80, 0.08, 0.10, 8);
	s = box(cf, "signature");
	tap_ok(s->tw > 0 && fabs(s->tw / s->th - 800.0 / 300.0) < 0.02,
			"normal: the signature keeps its aspect ratio (%.0f x %.0f)", s->tw, s->th);
	tap_ok(s->tw >= s->w - EPS || s->th >= s->h - EPS,
			"normal: the signature fills its box one way");
	{
		cairo_surface_t *f = rk_cardface_surface(cf, RK_CARD_FRONT);
		int rgb[3], dark = 0;

		for (int y = (int)s->ty; y < (int)(s->ty + s->th); y++)
			for (int x = (int)s->tx; x < (int)(s->tx + s->tw); x++) {
				pixel(f, x, y, rgb);
				dark += rgb[0] + rgb[1] + rgb[2] < 200;
			}
		tap_ok(dark > 300, "normal: the signature's strokes are printed (%d dark pixels)",
				dark);
		pixel(f, (int)s->x + 1, (int)s->y + 1, rgb);
		tap_ok(!(rgb[0] > 250 && rgb[1] > 250 && rgb[2] > 250),
				"normal: a transparent signature ground shows the card's");
	}
	check_png("normal", cf);
	rk_cardface_free(cf);
}

static void test_long(struct rk_cardface_renderer *r)
{
	struct rk_card_applicant a = sample_long();
	struct rk_cardface *cf = render_ok(r, "long", &a);
	const struct rk_cardface_box *name, *addr, *b;
	size_t n;
	double bottom = 0;

	if (!cf)
		return;
	name = box(cf, "name");
	addr = box(cf, "address");
	b = box(cf, "name.label");
	tap_ok(b->base_size < 23, "long: the rows were made smaller together (labels at %.2f px)",
			b->base_size);
	tap_ok(name->wrapped && name->lines >= 2 && name->lines <= 3,
			"long: the name wraps onto 2 or 3 lines (%d, %.2f px)",
			name->lines, name->size);
	tap_ok(addr->wrapped && addr->lines >= 2 && addr->lines <= 3,
			"long: the address wraps onto 2 or 3 lines (%d, %.2f px)", addr->lines,
			addr->size);
	tap_ok(!name->ellipsized && !addr->ellipsized, "long: neither needs an ellipsis");
	b = box(cf, "header.regency");
	tap_ok(b->shrunk && b->lines == 1 && b->size >= 20,
			"long: the regency header shrinks on one line (%.2f px)", b->size);
	b = box(cf, "village");
	tap_ok(b->lines <= 2 && !b->ellipsized,
			"long: the village takes at most 2 lines (%d, %.2f px)", b->lines, b->size);
	b = box(cf, "birth");
	tap_ok(b->lines == 1, "long: the place and date of birth stay on one line (%.2f px%s)",
			b->size, b->ellipsized ? ", cut in the middle" : "");
	b = box(cf, "occupation");
	tap_ok(b->lines <= 2, "long: the occupation takes at most 2 lines (%d)", b->lines);
	b = box(cf, "blood_type");
	tap_ok(b->lines == 1 && !b->ellipsized, "long: AB+ fits its little box (%.2f px)", b->size);
	b = rk_cardface_boxes(cf, &n);
	for (size_t i = 0; i < n; i++)
		if (b[i].side == RK_CARD_FRONT && b[i].x < 700)
			bottom = fmax(bottom, b[i].y + b[i].h);
	tap_ok(bottom <= RK_CARDFACE_HEIGHT - 20,
			"long: the rows end %.0f px above the card's bottom edge",
			RK_CARDFACE_HEIGHT - bottom);
	check_boxes("long", cf);
	check_portrait("long", cf, 0.12, 0.35, 0.80, 3);
	check_png("long", cf);
	rk_cardface_free(cf);
}

/* 160 characters without a space, on every text field that takes one */
static void test_extreme(struct rk_cardface_renderer *r)
{
	char word[161];
	struct rk_card_applicant a = sample_long();
	struct rk_cardface *cf;
	const struct rk_cardface_box *b;

	memset(word, 'W', 160);
	word[160] = '\0';
	a.name = a.address = a.birth_place = a.village = a.district = a.religion = word;
	a.marital_status = a.occupation = a.citizenship = a.valid_until = a.issue_place = word;
	a.province = a.regency = word;
	a.portrait = wide_png;
	a.portrait_size = wide_png_size;
	cf = render_ok(r, "extreme", &a);
	if (!cf)
		return;
	b = box(cf, "name");
	tap_ok(b->ellipsized && b->lines == 3 && b->size <= 18.0,
			"extreme: the name is cut with an ellipsis after 3 lines at the minimum "
			"size (%.2f px)", b->size);
	b = box(cf, "address");
	tap_ok(b->ellipsized && b->lines == 3, "extreme: the address after 3 lines");
	b = box(cf, "header.province");
	tap_ok(b->ellipsized && b->lines == 1, "extreme: the header after 1 line");
	check_boxes("extreme", cf);
	check_portrait("extreme (wide portrait)", cf, 0.12, 0.35, 0.80, 3);
	check_png("extreme", cf);
	rk_cardface_free(cf);
}

static void test_minimal(struct rk_cardface_renderer *r)
{
	struct rk_card_applicant a = sample_minimal();
	struct rk_cardface *cf;
	const struct rk_cardface_box *b;

	a.portrait = tiny_jpeg;
	a.portrait_size = tiny_jpeg_size;
	cf = render_ok(r, "minimal", &a);
	if (!cf)
		return;
	b = box(cf, "signature");
	tap_ok(b->tw == 0 && b->th == 0, "minimal: no signature, an empty box");
	b = box(cf, "blood_type");
	tap_ok(b->tw > 0 && b->lines == 1, "minimal: a missing blood type prints as -");
	b = box(cf, "valid_until");
	tap_ok(b->tw > 100, "minimal: the validity defaults to SEUMUR HIDUP (%.0f px wide)", b->tw);
	check_boxes("minimal", cf);
	check_portrait("minimal (a 40 x 50 portrait)", cf, 0.80, 0.08, 0.10, 16);
	check_png("minimal", cf);
	rk_cardface_free(cf);
}

/* DKI Jakarta's cities print their name alone: narrower than with KOTA */
static void test_jakarta(struct rk_cardface_renderer *r)
{
	struct rk_card_applicant a = sample_normal();
	struct rk_cardface *bare, *kota;

	a.province = "DKI JAKARTA";
	a.regency = "JAKARTA BARAT";
	a.regency_kind = RK_CARD_BARE;
	bare = render_ok(r, "Jakarta Barat", &a);
	a.regency_kind = RK_CARD_KOTA;
	kota = render_ok(r, "Kota Jakarta Barat", &a);
	if (bare && kota)
		tap_ok(box(bare, "header.regency")->tw < box(kota, "header.regency")->tw - 50,
				"JAKARTA BARAT prints without KOTA (%.0f px against %.0f)",
				box(bare, "header.regency")->tw, box(kota, "header.regency")->tw);
	rk_cardface_free(bare);
	rk_cardface_free(kota);
}

/* Camera shots stored turned or flipped, with their EXIF orientation */
static void test_turned(struct rk_cardface_renderer *r)
{
	static const int orientations[] = { 6, 8, 3, 4 };

	for (size_t i = 0; i < sizeof(orientations) / sizeof(orientations[0]); i++) {
		struct rk_card_applicant a = sample_normal();
		struct rk_cardface *cf;
		char who[64];
		uint8_t *jpg;
		size_t len;

		sample_turned_portrait(orientations[i], &jpg, &len);
		snprintf(who, sizeof(who), "EXIF orientation %d", orientations[i]);
		a.portrait = jpg;
		a.portrait_size = len;
		cf = render_ok(r, who, &a);
		if (cf)
			check_portrait(who, cf, 0.12, 0.35, 0.80, 8);
		rk_cardface_free(cf);
		free(jpg);
	}
}

/* --- EXIF that lies ------------------------------------------------------------------- */

/* Decode @jpg as a portrait; 1 if it came out upright (75 x 100 at 1/8), 0
 * if turned (100 x 75), -1 if refused. */
static int decoded_upright(const uint8_t *jpg, size_t len)
{
	char err[RK_CARDFACE_ERROR_LEN];
	cairo_surface_t *s = NULL;
	int w, h, rc = cf_image_decode(jpg, len, "the portrait", 1, 1, &s, err);

	if (rc < 0)
		return -1;
	w = cairo_image_surface_get_width(s);
	h = cairo_image_surface_get_height(s);
	cairo_surface_destroy(s);
	return w == 75 && h == 100 ? 1 : w == 100 && h == 75 ? 0 : -2;
}

/*
 * The EXIF parser reads bytes from the camera: damaged or hostile segments
 * leave the picture as stored. Offsets into the portrait: APP1 at 2, the
 * TIFF header at 12 (byte order 12-13, IFD0 offset 16-19), the entry count
 * at 20, the entry at 22 (tag 22-23, type 24-25, count 26-29, value 30-31).
 */
static void test_hostile_exif(void)
{
	static const struct {
		size_t at;
		unsigned char bytes[4];
		size_t n;
		const char *what;
	} lies[] = {
		{ 31, { 9 }, 1, "orientation 9" },
		{ 31, { 0 }, 1, "orientation 0" },
		{ 16, { 0xff, 0xff, 0xff, 0xf0 }, 4, "IFD0 far past the end" },
		{ 16, { 0, 0, 0, 33 }, 4, "IFD0 on the last byte" },
		{ 20, { 0xff, 0xff }, 2, "65535 entries" },
		{ 24, { 0, 4 }, 2, "the orientation as a LONG" },
		{ 26, { 0, 0, 0, 2 }, 4, "two orientations" },
		{ 12, { 'X', 'X' }, 2, "byte order XX" },
		{ 14, { 0, 43 }, 2, "not 42" },
		{ 6, { 'e' }, 1, "\"exif\"" },
	};
	uint8_t *good, *jpg;
	size_t len;
	uint32_t x = 2463534242u; /* xorshift32, a fixed seed: the same bytes every run */
	int bad = 0, upright = 0;

	sample_turned_portrait(8, &good, &len);
	tap_is_int(decoded_upright(good, len), 1, "EXIF orientation 8 (the control) is honoured");
	free(good);
	sample_turned_portrait(1, &good, &len);
	tap_is_int(decoded_upright(good, len), 1, "EXIF orientation 1 leaves it as stored");
	jpg = malloc(len);
	if (!jpg)
		tap_bail("out of memory");
	for (size_t i = 0; i < sizeof(lies) / sizeof(lies[0]); i++) {
		memcpy(jpg, good, len);
		memcpy(jpg + lies[i].at, lies[i].bytes, lies[i].n);
		tap_is_int(decoded_upright(jpg, len), 1, "EXIF with %s: ignored, as stored",
				lies[i].what);
	}
	/* 500 random damages of 1 to 4 bytes in the TIFF part of the segment */
	for (int i = 0; i < 500; i++) {
		int n = 1 + (int)(x % 4), r;

		memcpy(jpg, good, len);
		while (n--) {
			x ^= x << 13;
			x ^= x >> 17;
			x ^= x << 5;
			jpg[12 + x % 24] = (uint8_t)(x >> 8);
		}
		r = decoded_upright(jpg, len);
		bad += r < 0;
		upright += r == 1;
	}
	tap_is_int(bad, 0, "500 randomly damaged EXIF segments: every portrait decodes "
			"(%d as stored)", upright);
	free(jpg);
	free(good);
}

/* --- the same card every time, from any thread ---------------------------------------- */

struct job {
	struct rk_cardface_renderer *r;
	unsigned char *png[2];
	size_t size[2];
	int rc;
};

static void *render_job(void *arg)
{
	struct job *j = arg;
	struct rk_card_applicant a = sample_long();
	struct rk_cardface *cf = NULL;
	char err[RK_CARDFACE_ERROR_LEN];

	j->rc = rk_cardface_render(j->r, &a, &cf, err);
	for (int side = 0; side < 2 && j->rc == 0; side++)
		j->rc = rk_cardface_png(cf, side, &j->png[side], &j->size[side]);
	rk_cardface_free(cf);
	return NULL;
}

/* Four renders of one applicant at once on one renderer give the same bytes
 * as one on its own: what the printer gets can be rendered again and
 * compared. */
static void test_threads(struct rk_cardface_renderer *r)
{
	struct job alone = { .r = r }, jobs[4];
	pthread_t tid[4];
	int same = 0, ok = 0;

	render_job(&alone);
	for (int i = 0; i < 4; i++) {
		jobs[i] = (struct job){ .r = r };
		if (pthread_create(&tid[i], NULL, render_job, &jobs[i]) != 0)
			tap_bail("pthread_create");
	}
	for (int i = 0; i < 4; i++) {
		pthread_join(tid[i], NULL);
		ok += jobs[i].rc == 0;
		for (int side = 0; side < 2 && jobs[i].rc == 0 && alone.rc == 0; side++)
			same += jobs[i].size[side] == alone.size[side] &&
					memcmp(jobs[i].png[side], alone.png[side],
						alone.size[side]) == 0;
		free(jobs[i].png[0]);
		free(jobs[i].png[1]);
	}
	tap_is_int(ok, 4, "4 threads render on one renderer at once");
	tap_is_int(same, 8, "each of their 8 PNGs is byte for byte the one rendered alone");
	free(alone.png[0]);
	free(alone.png[1]);
}

/* Refused: rc -EINVAL, a sentence that contains @needle, no card. */
static void refused(struct rk_cardface_renderer *r, const struct rk_card_applicant *a,
		const char *needle, const char *what)
{
	char err[RK_CARDFACE_ERROR_LEN] = "";
	struct rk_cardface *cf = NULL;

	tap_is_int(rk_cardface_render(r, a, &cf, err), -EINVAL, "%s is refused", what);
	tap_ok(cf == NULL, "%s: no card is returned", what);
	tap_contains(err, needle, "%s: the error says so: %s", what, err);
}

static void test_refused(struct rk_cardface_renderer *r)
{
	struct rk_card_applicant a;
	uint8_t garbage[600];
	char long_text[200];

	a = sample_minimal();
	a.portrait = NULL;
	a.portrait_size = 0;
	refused(r, &a, "The portrait is missing", "no portrait");
	a = sample_minimal();
	a.portrait_size = red_jpeg_size / 2;
	refused(r, &a, "portrait is a damaged JPEG", "a truncated JPEG portrait");
	a = sample_minimal();
	memcpy(garbage, red_jpeg, 600);
	memset(garbage + 300, 0x5a, 300);
	a.portrait = garbage;
	a.portrait_size = sizeof(garbage);
	refused(r, &a, "portrait is a damaged JPEG",
			"a JPEG portrait with garbage after its header");
	a = sample_minimal();
	a.portrait_size = 2;
	refused(r, &a, "neither a JPEG nor a PNG", "a 2-byte portrait");
	a = sample_minimal();
	a.portrait = "GIF89a..........";
	a.portrait_size = 16;
	refused(r, &a, "neither a JPEG nor a PNG", "a GIF portrait");
	a = sample_minimal();
	a.portrait = blue_png;
	a.portrait_size = blue_png_size - 100;
	refused(r, &a, "portrait is a damaged PNG", "a truncated PNG portrait");
	a = sample_minimal();
	memcpy(garbage, blue_png, 600);
	garbage[16] = 0x7f; /* IHDR width: two thousand million pixels */
	a.portrait = garbage;
	a.portrait_size = sizeof(garbage);
	refused(r, &a, "at most 8192 on a side", "a PNG portrait claiming a huge width");
	a = sample_normal();
	a.signature = sign_png;
	a.signature_size = 40;
	refused(r, &a, "signature is a damaged PNG", "a truncated signature");

	a = sample_normal();
	a.regency_kind = (enum rk_card_regency_kind)7;
	refused(r, &a, "kind of regency", "a kind of regency that does not exist");
	a = sample_normal();
	a.name = NULL;
	refused(r, &a, "The name (Nama) is missing", "no name");
	a = sample_normal();
	a.address = "   ";
	refused(r, &a, "The address (Alamat) is missing", "a blank address");
	a = sample_normal();
	a.nik = "63050157089000011";
	refused(r, &a, "NIK must be 16 digits", "a 17-digit NIK");
	a = sample_normal();
	a.nik = "630501570890000A";
	refused(r, &a, "NIK must be 16 digits", "a NIK with a letter");
	a = sample_normal();
	a.birth_date = "31-02-1990";
	refused(r, &a, "date of birth", "the 31st of February");
	a = sample_normal();
	a.issue_date = "2026-11-24";
	refused(r, &a, "date of issue", "an ISO date of issue");
	a = sample_normal();
	a.sex = "P";
	refused(r, &a, "LAKI-LAKI or PEREMPUAN", "sex P");
	a = sample_normal();
	a.blood_type = "C";
	refused(r, &a, "blood type", "blood type C");
	a = sample_normal();
	a.blood_type = "AB++";
	refused(r, &a, "blood type", "blood type AB++");
	a = sample_normal();
	a.rt_rw = "3-2";
	refused(r, &a, "RT/RW", "RT/RW 3-2");
	a = sample_normal();
	a.name = "SITI\nNURHALIZA";
	refused(r, &a, "control character", "a line break in the name");
	a = sample_normal();
	a.village = "DESA \xc3\x28";
	refused(r, &a, "not UTF-8", "a village that is not UTF-8");
	memset(long_text, 'A', sizeof(long_text) - 1);
	long_text[sizeof(long_text) - 1] = '\0';
	a = sample_normal();
	a.occupation = long_text;
	refused(r, &a, "longer than 160 characters", "a 199-character occupation");
}

/* --- fontconfig and $HOME ------------------------------------------------------------ */

static void set_home(const char *dir)
{
	char *cache;

	if (asprintf(&cache, "%s/.cache", dir) < 0)
		tap_bail("out of memory");
	setenv("HOME", dir, 1);
	setenv("XDG_CACHE_HOME", cache, 1);
	unsetenv("XDG_CONFIG_HOME");
	unsetenv("XDG_DATA_HOME");
	unsetenv("FONTCONFIG_FILE");
	unsetenv("FONTCONFIG_PATH");
	free(cache);
}

/*
 * HOME that cannot exist, in a fresh process (fontconfig's state is per
 * process). It is exec'ed, so under valgrind it runs natively: pango may
 * still be matching fonts in a thread of its own when a short-lived
 * renderer is freed, which valgrind counts as a leak that is not ours.
 */
static int impossible_home_main(void)
{
	struct rk_cardface_renderer *r = NULL;
	struct rk_card_applicant a = sample_normal();
	struct rk_cardface *cf = NULL;
	char err[RK_CARDFACE_ERROR_LEN] = "";

	set_home("/dev/null/home");
	if (rk_cardface_renderer_new(NULL, &r, err) < 0 ||
			rk_cardface_render(r, &a, &cf, err) < 0) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	rk_cardface_free(cf);
	rk_cardface_renderer_free(r);
	return 0;
}

static void test_impossible_home(const char *argv0)
{
	pid_t pid = fork();
	int status = 0;

	if (pid == 0) {
		execl(argv0, argv0, "--impossible-home", (char *)NULL);
		_exit(127);
	}
	waitpid(pid, &status, 0);
	tap_ok(pid > 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0,
			"with HOME=/dev/null/home (nothing can be written there) the card renders");
}

static int count_entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) {
			tap_diag("  found %s/%s", dir, e->d_name);
			n++;
		}
	closedir(d);
	return n;
}

int main(int argc, char **argv)
{
	struct rk_cardface_renderer *r = NULL;
	char err[RK_CARDFACE_ERROR_LEN] = "";
	const char *top = getenv("top_builddir");

	if (asprintf(&out_dir, "%s/tests/cardface-out", top ? top : ".") < 0)
		tap_bail("out of memory");
	mkdir(out_dir, 0755);
	sample_images_make();
	if (argc == 2 && strcmp(argv[1], "--impossible-home") == 0) {
		int rc = impossible_home_main();

		sample_images_free();
		free(out_dir);
		return rc;
	}

	test_impossible_home(argv[0]);
	if (!mkdtemp(home))
		tap_bail("mkdtemp: %s", strerror(errno));
	set_home(home);

	tap_is_int(rk_cardface_renderer_new("/nonexistent/fonts", &r, err), -ENOENT,
			"a font directory without fonts is refused");
	tap_contains(err, "fonts-dejavu-core", "the error names the package to install: %s", err);
	tap_is_int(rk_cardface_renderer_new("fonts", &r, err), -EINVAL,
			"a relative font directory is refused");
	if (!tap_is_int(rk_cardface_renderer_new(NULL, &r, err), 0,
			    "the renderer finds DejaVu Sans"))
		tap_bail("%s", err);

	test_normal(r);
	test_long(r);
	test_extreme(r);
	test_minimal(r);
	test_turned(r);
	test_jakarta(r);
	test_threads(r);
	test_hostile_exif();
	test_refused(r);
	rk_cardface_renderer_free(r);

	tap_is_int(count_entries(home), 0, "nothing was written under the fresh $HOME");
	rmdir(home);
	tap_diag("the rendered cards are in %s", out_dir);
	free(out_dir);
	sample_images_free();
	return tap_done();
}
