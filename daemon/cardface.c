// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * rekam - KTP-el recording station daemon
 *
 * cardface.c - the layout of both sides of the KTP-el and the public
 * functions of the card face renderer. Front: the province and regency
 * header across the top; the NIK; labels, a colon column and values on the
 * left, flowing down (a value that wraps pushes the rows below it down);
 * the portrait, the place and date of issue and the signature on the right.
 * Back: the title, the NIK and a return notice. Both on a light blue ground
 * with a fine guilloche pattern. docs/card-face.md has the picture.
 */
#include <config.h>

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/cardface-private.h"

#define W RK_CARDFACE_WIDTH
#define H RK_CARDFACE_HEIGHT

/* the front, in pixels at 300 dpi */
#define MARGIN 36.0
#define HEADER_Y 16.0
#define HEADER_SIZE 30.0
#define HEADER_MIN 20.0
#define NIK_Y 92.0
#define NIK_SIZE 34.0
#define ROWS_Y 142.0
#define ROW_GAP 3.0
#define ROWS_BOTTOM (H - 24.0) /* the last row ends above this */
#define TEXT_SIZE 23.0
#define TEXT_MIN 18.0
#define INDENT 28.0
#define COLON_X 276.0
#define VALUE_X 292.0
#define VALUE_W 460.0 /* to 752 */
#define SEX_W 248.0
#define BLOOD_LABEL_X 552.0
#define BLOOD_COLON_X 682.0
#define BLOOD_X 696.0
#define PHOTO_X 770
#define PHOTO_Y 100
#define PHOTO_W 212
#define PHOTO_H 283 /* 3:4 */
#define ISSUE_Y 392.0
#define ISSUE_SIZE 20.0
#define SIGN_X 770
#define SIGN_Y 470
#define SIGN_W 212
#define SIGN_H 130

static const double ink[3] = { 0.06, 0.07, 0.12 };

/* --- the ground --------------------------------------------------------------- */

static void draw_ground(cairo_t *cr, double rx, double ry)
{
	cairo_pattern_t *g = cairo_pattern_create_linear(0, 0, W * 0.3, H);

	cairo_pattern_add_color_stop_rgb(g, 0.0, 0.86, 0.93, 0.98);
	cairo_pattern_add_color_stop_rgb(g, 0.55, 0.78, 0.89, 0.97);
	cairo_pattern_add_color_stop_rgb(g, 1.0, 0.70, 0.85, 0.95);
	cairo_set_source(cr, g);
	cairo_paint(cr);
	cairo_pattern_destroy(g);

	/* guilloche: two families of interfering waves, hairlines */
	cairo_set_line_width(cr, 1.0);
	for (int k = 0; k < 44; k++) {
		double y0 = -20 + k * 16.0;

		cairo_new_path(cr);
		for (int x = 0; x <= W; x += 4) {
			double y = y0 + 9 * sin(x / 57.0 + k * 0.45) + 5 * sin(x / 21.0 - k * 0.3);

			cairo_line_to(cr, x, y);
		}
		cairo_set_source_rgba(cr, 1, 1, 1, k % 2 ? 0.30 : 0.45);
		cairo_stroke(cr);
	}
	/* a rosette around (rx, ry) */
	for (int k = 0; k < 12; k++) {
		double rot = k * M_PI / 36;

		cairo_new_path(cr);
		for (int i = 0; i <= 720; i++) {
			double t = i * M_PI / 360;
			double r = 150 + 26 * sin(9 * t + rot * 4);

			cairo_line_to(cr, rx + r * cos(t + rot), ry + r * sin(t + rot));
		}
		cairo_close_path(cr);
		cairo_set_source_rgba(cr, 0.20, 0.45, 0.72, 0.10);
		cairo_stroke(cr);
	}
}

/* The empty side, drawn the first time it is needed and kept: the pattern
 * takes longer to draw than everything else on the card. */
static int paint_ground(struct rk_cardface_renderer *r, cairo_t *cr, enum rk_card_side side)
{
	if (!r->ground[side]) {
		cairo_surface_t *s = cairo_image_surface_create(CAIRO_FORMAT_RGB24, W, H);
		cairo_t *gc = cairo_create(s);

		if (side == RK_CARD_FRONT)
			draw_ground(gc, 430, 380); /* behind the values */
		else
			draw_ground(gc, W / 2.0, 318); /* around the NIK */
		if (cairo_status(gc) != CAIRO_STATUS_SUCCESS) {
			cairo_destroy(gc);
			cairo_surface_destroy(s);
			return -ENOMEM;
		}
		cairo_destroy(gc);
		r->ground[side] = s;
	}
	cairo_set_source_surface(cr, r->ground[side], 0, 0);
	cairo_paint(cr);
	cairo_set_source_rgb(cr, ink[0], ink[1], ink[2]);
	return 0;
}

/* --- pictures ----------------------------------------------------------------- */

/* @img covering the box (cropped, centred, aspect kept) */
static int draw_portrait(struct cf_draw *d, cairo_surface_t *img)
{
	double iw = cairo_image_surface_get_width(img), ih = cairo_image_surface_get_height(img);
	double scale = fmax(PHOTO_W / iw, PHOTO_H / ih);
	struct rk_cardface_box *b = cf_box_add(d, "portrait", PHOTO_X, PHOTO_Y, PHOTO_W, PHOTO_H);
	cairo_t *cr = d->cr;

	if (!b)
		return -ENOMEM;
	b->tx = b->ink_x = PHOTO_X;
	b->ty = b->ink_y = PHOTO_Y;
	b->tw = b->ink_w = PHOTO_W;
	b->th = b->ink_h = PHOTO_H;
	cairo_save(cr);
	cairo_rectangle(cr, PHOTO_X, PHOTO_Y, PHOTO_W, PHOTO_H);
	cairo_clip(cr);
	cairo_translate(cr, PHOTO_X + (PHOTO_W - iw * scale) / 2,
			PHOTO_Y + (PHOTO_H - ih * scale) / 2);
	cairo_scale(cr, scale, scale);
	cairo_set_source_surface(cr, img, 0, 0);
	cairo_pattern_set_extend(cairo_get_source(cr), CAIRO_EXTEND_PAD);
	cairo_pattern_set_filter(cairo_get_source(cr), CAIRO_FILTER_GOOD);
	cairo_paint(cr);
	cairo_restore(cr);
	return 0;
}

/* @img inside the box (whole, centred, aspect kept), multiplied onto the
 * ground so that a white or transparent background leaves the card's */
static int draw_signature(struct cf_draw *d, cairo_surface_t *img)
{
	struct rk_cardface_box *b = cf_box_add(d, "signature", SIGN_X, SIGN_Y, SIGN_W, SIGN_H);
	double iw, ih, scale;
	cairo_t *cr = d->cr;

	if (!b)
		return -ENOMEM;
	if (!img)
		return 0;
	iw = cairo_image_surface_get_width(img);
	ih = cairo_image_surface_get_height(img);
	scale = fmin(SIGN_W / iw, SIGN_H / ih);
	b->tw = b->ink_w = iw * scale;
	b->th = b->ink_h = ih * scale;
	b->tx = b->ink_x = SIGN_X + (SIGN_W - b->tw) / 2;
	b->ty = b->ink_y = SIGN_Y + (SIGN_H - b->th) / 2;
	cairo_save(cr);
	cairo_rectangle(cr, SIGN_X, SIGN_Y, SIGN_W, SIGN_H);
	cairo_clip(cr);
	cairo_translate(cr, b->tx, b->ty);
	cairo_scale(cr, scale, scale);
	cairo_set_source_surface(cr, img, 0, 0);
	cairo_pattern_set_filter(cairo_get_source(cr), CAIRO_FILTER_GOOD);
	cairo_set_operator(cr, CAIRO_OPERATOR_MULTIPLY);
	cairo_paint(cr);
	cairo_restore(cr);
	return 0;
}

/* --- text ----------------------------------------------------------------------- */

/* One row: label, colon and value, at a size, with the value's area. */
struct row_spec {
	const char *label_field, *label, *field;
	double label_x, colon_x, value_x, value_w;
	int max_lines;
	double size, min;
	bool bold, keep_end;
};

/* Draws @r at @y with its sizes times @scale; returns the row's height (the
 * taller of label and value). */
static double row(struct cf_draw *d, double y, const struct row_spec *r, double scale,
		const char *value)
{
	const struct cf_text label = { r->label_field, r->label_x, y, r->colon_x - 4 - r->label_x,
		1, r->size * scale, r->min * scale, r->bold, CF_LEFT, false };
	const struct cf_text colon = { NULL, r->colon_x, y, r->value_x - r->colon_x, 1,
		r->size * scale, r->size * scale, r->bold, CF_LEFT, false };
	const struct cf_text val = { r->field, r->value_x, y, r->value_w, r->max_lines,
		r->size * scale, r->min * scale, r->bold, CF_LEFT, r->keep_end };
	double hl, hv = 0;

	hl = cf_text_draw(d, &label, r->label);
	if (hl >= 0)
		hv = cf_text_draw(d, &colon, ":");
	if (hl >= 0 && hv >= 0)
		hv = cf_text_draw(d, &val, value);
	return hl < 0 ? hl : hv < 0 ? hv : fmax(hl, hv);
}

static const char *or_default(const char *s, const char *dflt)
{
	return s && *s && strspn(s, " ") != strlen(s) ? s : dflt;
}

/* Two centred bold lines across the top; returns the y below them. */
static double header(struct cf_draw *d, double y, const char *field1, const char *line1,
		const char *field2, const char *line2)
{
	struct cf_text t = { field1, MARGIN, y, W - 2 * MARGIN, 1, HEADER_SIZE, HEADER_MIN, true,
		CF_CENTER, false };
	double h = cf_text_draw(d, &t, line1);

	if (h < 0)
		return h;
	t.field = field2;
	t.y += h;
	h = cf_text_draw(d, &t, line2);
	return h < 0 ? h : t.y + h;
}

#define ROW(f, l, lines, ind) { f ".label", l, f, MARGIN + ((ind) ? INDENT : 0), COLON_X, \
	VALUE_X, VALUE_W, lines, TEXT_SIZE, TEXT_MIN, false, false }

static const struct row_spec nik_row = { "nik.label", "NIK", "nik", MARGIN, COLON_X - 8,
	VALUE_X, VALUE_W, 1, NIK_SIZE, 28, true, false };
static const struct row_spec front_rows[] = {
	ROW("name", "Nama", 3, false),
	/* one line; a place too long loses its middle, never the date */
	{ "birth.label", "Tempat/Tgl Lahir", "birth", MARGIN, COLON_X, VALUE_X, VALUE_W, 1,
		TEXT_SIZE, TEXT_MIN, false, true },
	{ "sex.label", "Jenis Kelamin", "sex", MARGIN, COLON_X, VALUE_X, SEX_W, 1, TEXT_SIZE,
		TEXT_MIN, false, false },
	ROW("address", "Alamat", 3, false),
	ROW("rt_rw", "RT/RW", 1, true),
	ROW("village", "Kel/Desa", 2, true),
	ROW("district", "Kecamatan", 2, true),
	ROW("religion", "Agama", 1, false),
	ROW("marital_status", "Status Perkawinan", 1, false),
	ROW("occupation", "Pekerjaan", 2, false),
	ROW("citizenship", "Kewarganegaraan", 1, false),
	ROW("valid_until", "Berlaku Hingga", 1, false),
};
#define SEX_ROW 2 /* Gol. Darah shares the row of Jenis Kelamin */
static const struct row_spec blood_row = { "blood_type.label", "Gol. Darah", "blood_type",
	BLOOD_LABEL_X, BLOOD_COLON_X, BLOOD_X, PHOTO_X - 18 - BLOOD_X, 1, TEXT_SIZE, TEXT_MIN,
	false, false };

/* The rows from ROWS_Y down at @scale; returns the y below the last. */
static double rows(struct cf_draw *d, const struct rk_card_applicant *a, const char *birth,
		double scale)
{
	const char *values[G_N_ELEMENTS(front_rows)] = {
		a->name, birth, a->sex, a->address, a->rt_rw, a->village, a->district, a->religion,
		a->marital_status, a->occupation, a->citizenship,
		or_default(a->valid_until, "SEUMUR HIDUP"),
	};
	double y = ROWS_Y, h = 0;

	for (size_t i = 0; i < G_N_ELEMENTS(front_rows) && h >= 0; i++) {
		h = row(d, y, &front_rows[i], scale, values[i]);
		if (i == SEX_ROW && h >= 0)
			h = fmax(h, row(d, y, &blood_row, scale, or_default(a->blood_type, "-")));
		y += h + (i + 1 < G_N_ELEMENTS(front_rows) ? ROW_GAP * scale : 0);
	}
	return h < 0 ? h : y;
}

static int draw_front(struct cf_draw *d, const struct rk_card_applicant *a,
		cairo_surface_t *portrait, cairo_surface_t *signature)
{
	char *province = g_strdup_printf("PROVINSI %s", a->province);
	char *regency = a->regency_kind == RK_CARD_BARE ? g_strdup(a->regency) :
			g_strdup_printf("%s %s", a->regency_kind == RK_CARD_KOTA ? "KOTA" : "KABUPATEN",
					a->regency);
	char *birth = g_strdup_printf("%s, %s", a->birth_place, a->birth_date);
	struct cf_text issue = { "issue_place", PHOTO_X - 10, ISSUE_Y, PHOTO_W + 20, 2, ISSUE_SIZE,
		15, false, CF_CENTER, false };
	double scale = 1.0, h;

	h = header(d, HEADER_Y, "header.province", province, "header.regency", regency);
	if (h >= 0)
		h = row(d, NIK_Y, &nik_row, 1.0, a->nik);
	/* rows that wrap push the others down: if the last would end too low,
	 * all rows get smaller together, 5% at a time */
	if (h >= 0) {
		d->dry = true;
		while (scale > 0.55 && (h = rows(d, a, birth, scale)) > ROWS_BOTTOM)
			scale -= 0.05;
		d->dry = false;
	}
	if (h >= 0)
		h = rows(d, a, birth, scale);
	g_free(province);
	g_free(regency);
	g_free(birth);
	if (h < 0 || draw_portrait(d, portrait) < 0)
		return -ENOMEM;
	h = cf_text_draw(d, &issue, a->issue_place);
	if (h < 0)
		return -ENOMEM;
	issue.field = "issue_date";
	issue.y += h;
	issue.max_lines = 1;
	if (cf_text_draw(d, &issue, a->issue_date) < 0)
		return -ENOMEM;
	return draw_signature(d, signature);
}

/*
 * The back: the chip side of a KTP-el carries no personal data but the NIK
 * here; the title and the return notice are rekam's, not a specification's.
 */
static int draw_back(struct cf_draw *d, const struct rk_card_applicant *a)
{
	char *office = g_strdup_printf("Dinas Kependudukan dan Pencatatan Sipil %s%s",
			a->regency_kind == RK_CARD_KOTA ? "Kota " :
			a->regency_kind == RK_CARD_BARE ? "" : "Kabupaten ", a->regency);
	char *notice = g_strdup_printf("Kartu ini milik Pemerintah Republik Indonesia. Apabila "
			"menemukan kartu ini, harap dikembalikan kepada %s.", office);
	struct cf_text nik = { "back.nik", MARGIN, 300, W - 2 * MARGIN, 1, 30, 24, true, CF_CENTER,
		false };
	struct cf_text note = { "back.notice", 120, 420, W - 240, 3, 22, 16, false, CF_CENTER,
		false };
	double h;

	h = header(d, 60, "back.title", "KARTU TANDA PENDUDUK ELEKTRONIK", "back.country",
			"REPUBLIK INDONESIA");
	if (h >= 0)
		h = cf_text_draw(d, &nik, a->nik);
	if (h >= 0)
		h = cf_text_draw(d, &note, notice);
	g_free(office);
	g_free(notice);
	return h < 0 ? -ENOMEM : 0;
}

/* --- the renderer ---------------------------------------------------------------- */

int rk_cardface_renderer_new(const char *font_dir, struct rk_cardface_renderer **out,
		char err[RK_CARDFACE_ERROR_LEN])
{
	struct rk_cardface_renderer *r = calloc(1, sizeof(*r));
	int rc;

	if (!r)
		return -ENOMEM;
	rc = cf_fonts_open(r, font_dir ? font_dir : RK_CARDFACE_FONT_DIR, err);
	if (rc < 0) {
		free(r);
		return rc;
	}
	pthread_mutex_init(&r->lock, NULL);
	*out = r;
	return 0;
}

void rk_cardface_renderer_free(struct rk_cardface_renderer *r)
{
	if (!r)
		return;
	cf_fonts_close(r);
	for (int i = 0; i < 2; i++)
		if (r->ground[i])
			cairo_surface_destroy(r->ground[i]);
	pthread_mutex_destroy(&r->lock);
	free(r);
}

static int draw_side(struct rk_cardface_renderer *r, struct rk_cardface *cf,
		enum rk_card_side side, const struct rk_card_applicant *a,
		cairo_surface_t *portrait, cairo_surface_t *signature)
{
	cairo_surface_t *s = cairo_image_surface_create(CAIRO_FORMAT_RGB24, W, H);
	struct cf_draw d = { .side = side, .cf = cf };
	int rc = -ENOMEM;

	cf->side[side] = s;
	if (cairo_surface_status(s) != CAIRO_STATUS_SUCCESS)
		return -ENOMEM;
	d.cr = cairo_create(s);
	d.pc = cf_context_new(r, d.cr);
	if (d.pc) {
		rc = paint_ground(r, d.cr, side);
		if (rc == 0)
			rc = side == RK_CARD_FRONT ? draw_front(&d, a, portrait, signature) :
						     draw_back(&d, a);
		g_object_unref(d.pc);
	}
	if (rc == 0 && cairo_status(d.cr) != CAIRO_STATUS_SUCCESS)
		rc = -ENOMEM;
	cairo_destroy(d.cr);
	cairo_surface_flush(s);
	return rc;
}

int rk_cardface_render(struct rk_cardface_renderer *r, const struct rk_card_applicant *a,
		struct rk_cardface **out, char err[RK_CARDFACE_ERROR_LEN])
{
	cairo_surface_t *portrait = NULL, *signature = NULL;
	struct rk_cardface *cf;
	int rc;

	rc = rk_cardface_validate(a, err);
	if (rc < 0)
		return rc;
	rc = cf_image_decode(a->portrait, a->portrait_size, "the portrait", PHOTO_W, PHOTO_H,
			&portrait, err);
	if (rc == 0 && a->signature && a->signature_size)
		rc = cf_image_decode(a->signature, a->signature_size, "the signature", SIGN_W,
				SIGN_H, &signature, err);
	cf = rc == 0 ? calloc(1, sizeof(*cf)) : NULL;
	if (rc == 0 && !cf)
		rc = -ENOMEM;
	if (rc == 0) {
		pthread_mutex_lock(&r->lock);
		rc = draw_side(r, cf, RK_CARD_FRONT, a, portrait, signature);
		if (rc == 0)
			rc = draw_side(r, cf, RK_CARD_BACK, a, NULL, NULL);
		pthread_mutex_unlock(&r->lock);
		if (rc < 0) {
			cf_error(err, "Out of memory while drawing the card.");
			rk_cardface_free(cf);
		} else {
			*out = cf;
		}
	}
	if (portrait)
		cairo_surface_destroy(portrait);
	if (signature)
		cairo_surface_destroy(signature);
	return rc;
}

cairo_surface_t *rk_cardface_surface(const struct rk_cardface *cf, enum rk_card_side side)
{
	return side == RK_CARD_FRONT || side == RK_CARD_BACK ? cf->side[side] : NULL;
}

int rk_cardface_png(const struct rk_cardface *cf, enum rk_card_side side, unsigned char **data,
		size_t *size)
{
	cairo_surface_t *s = rk_cardface_surface(cf, side);

	return s ? cf_png_encode(s, RK_CARDFACE_DPI, data, size) : -EINVAL;
}

const struct rk_cardface_box *rk_cardface_boxes(const struct rk_cardface *cf, size_t *n)
{
	*n = cf->n_boxes;
	return cf->boxes;
}

const struct rk_cardface_box *rk_cardface_box(const struct rk_cardface *cf, const char *field)
{
	for (size_t i = 0; i < cf->n_boxes; i++)
		if (strcmp(cf->boxes[i].field, field) == 0)
			return &cf->boxes[i];
	return NULL;
}

void rk_cardface_free(struct rk_cardface *cf)
{
	if (!cf)
		return;
	for (int i = 0; i < 2; i++)
		if (cf->side[i])
			cairo_surface_destroy(cf->side[i]);
	free(cf);
}
