/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * rekam - KTP-el recording station daemon
 *
 * cardface-private.h - what the card face modules share: the renderer (a
 * private fontconfig configuration and a pango font map on it), the rendered
 * card with its boxes, text fitting (cardface-text.c), and image decoding
 * and PNG encoding (cardface-image.c). cardface.c checks the input and lays
 * out both sides.
 */
#pragma once

#include <pthread.h>

#include <fontconfig/fontconfig.h>
#include <pango/pangocairo.h>

#include "daemon/cardface.h"

#define CF_MAX_BOXES 64
#define CF_FAMILY "DejaVu Sans"

struct rk_cardface_renderer {
	pthread_mutex_t lock; /* one render at a time: pango font maps are not thread-safe */
	FcConfig *config;
	PangoFontMap *fontmap;
	cairo_surface_t *ground[2]; /* each side's empty card, drawn once */
};

struct rk_cardface {
	cairo_surface_t *side[2]; /* front, back */
	struct rk_cardface_box boxes[CF_MAX_BOXES];
	size_t n_boxes;
};

/* One side being drawn. */
struct cf_draw {
	cairo_t *cr;
	PangoContext *pc;
	enum rk_card_side side;
	struct rk_cardface *cf;
	bool dry; /* only measure: nothing is drawn or recorded */
};

enum cf_align {
	CF_LEFT,
	CF_CENTER,
};

/* A text to place: its field name, its area's top left corner and width,
 * how many lines it may take, its preferred and smallest font size (px). */
struct cf_text {
	const char *field;
	double x, y, w;
	int max_lines;
	double base, min;
	bool bold;
	enum cf_align align;
	bool ellipsize_middle; /* as the last resort, on one line: keep the end */
};

/*
 * Draw @text in the area of @t: at @t->base on one line if it fits; else
 * on one line at the largest size down to @t->min that fits; else wrapped
 * at the largest size down to @t->min that fits in @t->max_lines lines;
 * else at @t->min, wrapped, with the last line ellipsized (or one line cut
 * in the middle if @t->ellipsize_middle). The ink and logical extents both
 * stay inside the area: a glyph reaching left of its origin moves the text
 * right by as much. The first line's
 * baseline stays where it is at the base size, so a shrunk value lines up
 * with its label. The area is @t->max_lines lines of the base size high.
 * Records the box in @d->cf (unless @t->field is NULL) and returns the height
 * used (px), or -ENOMEM.
 */
double cf_text_draw(struct cf_draw *d, const struct cf_text *t, const char *text);

/* The height of one line of text at @size px (the font's ascent + descent). */
double cf_line_height(struct cf_draw *d, double size, bool bold);

/* Append a box to @d->cf; NULL when the table is full (a layout bug). */
struct rk_cardface_box *cf_box_add(struct cf_draw *d, const char *field, double x, double y,
		double w, double h);

/* Fonts: set up / tear down the renderer's fontconfig and font map. */
int cf_fonts_open(struct rk_cardface_renderer *r, const char *font_dir,
		char err[RK_CARDFACE_ERROR_LEN]);
void cf_fonts_close(struct rk_cardface_renderer *r);
PangoContext *cf_context_new(struct rk_cardface_renderer *r, cairo_t *cr);

/*
 * Decode @size bytes of JPEG or PNG (told apart by their signature) into a
 * cairo image surface (RGB24, or ARGB32 for a PNG with alpha), turned
 * upright if a JPEG's EXIF orientation says so. A large JPEG may be decoded
 * at 1/2, 1/4 or 1/8 of its size, never below @min_w x @min_h (upright).
 * @what names the image in the error sentence ("the portrait").
 * 0, -EINVAL, -ENOMEM.
 */
int cf_image_decode(const void *data, size_t size, const char *what, int min_w, int min_h,
		cairo_surface_t **out, char err[RK_CARDFACE_ERROR_LEN]);

/* Encode @s as PNG with a pHYs chunk saying @dpi. 0, -ENOMEM, -EIO. */
int cf_png_encode(cairo_surface_t *s, unsigned int dpi, unsigned char **data, size_t *size);

__attribute__((format(printf, 2, 3))) void cf_error(char err[RK_CARDFACE_ERROR_LEN],
		const char *fmt, ...);
