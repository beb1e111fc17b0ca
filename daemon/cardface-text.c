// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * rekam - KTP-el recording station daemon
 *
 * cardface-text.c - text on the card face: the fonts (a private fontconfig
 * configuration, so that nothing from $HOME is read and no cache is written
 * there) and fitting a value into its box with pango: shrink, then wrap,
 * then ellipsize, never overflow.
 */
#include <config.h>

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <pango/pangofc-fontmap.h>

#include "daemon/cardface-private.h"

#define SIZE_STEP 0.25 /* px: how finely a font is shrunk */

void cf_error(char err[RK_CARDFACE_ERROR_LEN], const char *fmt, ...)
{
	va_list ap;

	if (!err)
		return;
	va_start(ap, fmt);
	vsnprintf(err, RK_CARDFACE_ERROR_LEN, fmt, ap);
	va_end(ap);
}

/* --- fonts ------------------------------------------------------------------ */

/*
 * The configuration names one font directory and the system cache directory
 * only: no <include> of /etc/fonts (which would add ~/.fonts.conf and
 * ~/.cache/fontconfig). If the system cache is stale the directory is
 * scanned in memory; fontconfig writes the result only to a cache directory
 * it can write, and the only one it knows is the system's.
 */
static const char fc_config_xml[] =
	"<?xml version=\"1.0\"?>\n"
	"<!DOCTYPE fontconfig SYSTEM \"urn:fontconfig:fonts.dtd\">\n"
	"<fontconfig>\n"
	"  <dir>%s</dir>\n"
	"  <cachedir>/var/cache/fontconfig</cachedir>\n"
	"</fontconfig>\n";

static bool font_dir_ok(const char *dir)
{
	if (dir[0] != '/' || strlen(dir) > 1024)
		return false;
	for (const char *p = dir; *p; p++)
		if ((unsigned char)*p < 0x20 || strchr("<>&\"'", *p))
			return false;
	return true;
}

static bool family_present(struct rk_cardface_renderer *r)
{
	PangoFontFamily **families = NULL;
	int n = 0;
	bool found = false;

	pango_font_map_list_families(r->fontmap, &families, &n);
	for (int i = 0; i < n && !found; i++)
		found = strcmp(pango_font_family_get_name(families[i]), CF_FAMILY) == 0;
	g_free(families);
	return found;
}

int cf_fonts_open(struct rk_cardface_renderer *r, const char *font_dir,
		char err[RK_CARDFACE_ERROR_LEN])
{
	char xml[sizeof(fc_config_xml) + 1024];
	FcFontSet *fonts;

	if (!font_dir_ok(font_dir)) {
		cf_error(err, "The font directory must be an absolute path without markup "
				"characters.");
		return -EINVAL;
	}
	snprintf(xml, sizeof(xml), fc_config_xml, font_dir);
	r->config = FcConfigCreate();
	if (!r->config)
		return -ENOMEM;
	if (!FcConfigParseAndLoadFromMemory(r->config, (const FcChar8 *)xml, FcTrue) ||
			!FcConfigBuildFonts(r->config)) {
		cf_error(err, "Fontconfig could not load the fonts of %s.", font_dir);
		goto fail;
	}
	fonts = FcConfigGetFonts(r->config, FcSetSystem);
	if (!fonts || fonts->nfont == 0) {
		cf_error(err, "There are no fonts in %s (Debian: install fonts-dejavu-core).",
				font_dir);
		goto fail;
	}
	/*
	 * Make it the process's configuration too: otherwise the first caller
	 * of FcInit() (pango starts one in a thread, cairo calls it when it
	 * resolves a pattern) loads the system configuration, with its user
	 * directories under $HOME. rekamd draws text only here.
	 */
	if (!FcConfigSetCurrent(r->config)) {
		cf_error(err, "Fontconfig refused the card font configuration.");
		goto fail;
	}
	r->fontmap = pango_cairo_font_map_new_for_font_type(CAIRO_FONT_TYPE_FT);
	if (!r->fontmap) {
		cf_error(err, "Pango has no FreeType font map.");
		goto fail;
	}
	pango_fc_font_map_set_config(PANGO_FC_FONT_MAP(r->fontmap), r->config);
	if (!family_present(r)) {
		cf_error(err, "The card font %s is not in %s (Debian: install fonts-dejavu-core).",
				CF_FAMILY, font_dir);
		goto fail;
	}
	return 0;

fail:
	cf_fonts_close(r);
	return -ENOENT;
}

void cf_fonts_close(struct rk_cardface_renderer *r)
{
	if (r->fontmap) {
		pango_fc_font_map_shutdown(PANGO_FC_FONT_MAP(r->fontmap));
		g_object_unref(r->fontmap);
		r->fontmap = NULL;
	}
	if (r->config) {
		FcConfigDestroy(r->config);
		r->config = NULL;
	}
}

PangoContext *cf_context_new(struct rk_cardface_renderer *r, cairo_t *cr)
{
	PangoContext *pc = pango_font_map_create_context(r->fontmap);
	cairo_font_options_t *fo;

	if (!pc)
		return NULL;
	/* no hinting: sizes and positions scale smoothly, as a printer wants */
	fo = cairo_font_options_create();
	cairo_font_options_set_hint_style(fo, CAIRO_HINT_STYLE_NONE);
	cairo_font_options_set_hint_metrics(fo, CAIRO_HINT_METRICS_OFF);
	cairo_font_options_set_antialias(fo, CAIRO_ANTIALIAS_GRAY);
	pango_cairo_context_set_font_options(pc, fo);
	cairo_font_options_destroy(fo);
	pango_context_set_round_glyph_positions(pc, FALSE);
	pango_cairo_update_context(cr, pc);
	return pc;
}

/* --- fitting ---------------------------------------------------------------- */

struct rk_cardface_box *cf_box_add(struct cf_draw *d, const char *field, double x, double y,
		double w, double h)
{
	struct rk_cardface_box *b;

	if (d->cf->n_boxes >= CF_MAX_BOXES)
		return NULL;
	b = &d->cf->boxes[d->cf->n_boxes++];
	memset(b, 0, sizeof(*b));
	b->field = field;
	b->side = d->side;
	b->x = x;
	b->y = y;
	b->w = w;
	b->h = h;
	return b;
}

static void set_font(PangoLayout *l, double size, bool bold)
{
	PangoFontDescription *fd = pango_font_description_new();

	pango_font_description_set_family_static(fd, CF_FAMILY);
	pango_font_description_set_weight(fd, bold ? PANGO_WEIGHT_BOLD : PANGO_WEIGHT_NORMAL);
	pango_font_description_set_absolute_size(fd, size * PANGO_SCALE);
	pango_layout_set_font_description(l, fd);
	pango_font_description_free(fd);
}

/* Pango units, and back */
static int pu(double px)
{
	return (int)floor(px * PANGO_SCALE);
}

static double px(int units)
{
	return (double)units / PANGO_SCALE;
}

/*
 * A layout's extents in px, the union of logical and ink rectangles (a
 * glyph like J reaches left of its origin), and where it must be drawn so
 * that this union starts at the area's left edge (dx) with its first
 * baseline where the base size puts it (dy).
 */
struct metrics {
	double left, top, right, bottom; /* relative to the layout */
	double ascent;                   /* the first line's baseline */
	int lines;
	double dx, dy;
};

static void measure(PangoLayout *l, double base_ascent, struct metrics *m)
{
	PangoRectangle ink, logical;

	pango_layout_get_extents(l, &ink, &logical);
	m->left = px(MIN(ink.x, logical.x));
	m->top = px(MIN(ink.y, logical.y));
	m->right = px(MAX(ink.x + ink.width, logical.x + logical.width));
	m->bottom = px(MAX(ink.y + ink.height, logical.y + logical.height));
	m->ascent = px(pango_layout_get_baseline(l));
	m->lines = pango_layout_get_line_count(l);
	m->dx = m->left < 0 ? -m->left : 0;
	m->dy = base_ascent - m->ascent;
}

double cf_line_height(struct cf_draw *d, double size, bool bold)
{
	PangoLayout *l = pango_layout_new(d->pc);
	PangoRectangle logical;

	set_font(l, size, bold);
	pango_layout_set_text(l, "Ag", -1);
	pango_layout_get_extents(l, NULL, &logical);
	g_object_unref(l);
	return px(logical.height);
}

/* Is @l, drawn as measure() says, inside the area and within its lines? */
static bool fits(PangoLayout *l, const struct cf_text *t, double area_h, double base_ascent,
		struct metrics *m)
{
	measure(l, base_ascent, m);
	return m->right + m->dx <= t->w && m->top + m->dy >= 0 && m->bottom + m->dy <= area_h &&
			m->lines <= t->max_lines;
}

/* One line at @size; the layout keeps the width so that centring works. */
static bool try_line(PangoLayout *l, const struct cf_text *t, double size, double area_h,
		double base_ascent, struct metrics *m)
{
	set_font(l, size, t->bold);
	pango_layout_set_width(l, -1);
	measure(l, base_ascent, m);
	if (m->right - m->left > t->w)
		return false;
	pango_layout_set_width(l, pu(t->w));
	return fits(l, t, area_h, base_ascent, m) && m->lines == 1;
}

static bool try_wrapped(PangoLayout *l, const struct cf_text *t, double size, double area_h,
		double base_ascent, struct metrics *m)
{
	set_font(l, size, t->bold);
	pango_layout_set_width(l, pu(t->w));
	return fits(l, t, area_h, base_ascent, m);
}

static int record(struct cf_draw *d, const struct cf_text *t, PangoLayout *l, double area_h,
		const struct metrics *m, double size, bool wrapped, bool ellipsized)
{
	PangoRectangle ink, logical;
	struct rk_cardface_box *b = cf_box_add(d, t->field, t->x, t->y, t->w, area_h);
	double x = t->x + m->dx, y = t->y + m->dy;

	if (!b)
		return -ENOMEM;
	pango_layout_get_extents(l, &ink, &logical);
	b->tx = x + px(logical.x);
	b->ty = y + px(logical.y);
	b->tw = px(logical.width);
	b->th = px(logical.height);
	b->ink_x = x + px(ink.x);
	b->ink_y = y + px(ink.y);
	b->ink_w = px(ink.width);
	b->ink_h = px(ink.height);
	b->size = size;
	b->base_size = t->base;
	b->lines = m->lines;
	b->max_lines = t->max_lines;
	b->shrunk = size < t->base;
	b->wrapped = wrapped;
	b->ellipsized = ellipsized && pango_layout_is_ellipsized(l);
	return 0;
}

double cf_text_draw(struct cf_draw *d, const struct cf_text *t, const char *text)
{
	PangoLayout *l = pango_layout_new(d->pc);
	PangoAttrList *attrs;
	struct metrics m;
	double area_h, base_ascent, size;
	bool ok = false, wrapped = false, ellipsized = false;

	if (!l)
		return -ENOMEM;
	/* the area: max_lines lines at the base size */
	set_font(l, t->base, t->bold);
	pango_layout_set_text(l, "Ag", -1);
	area_h = cf_line_height(d, t->base, t->bold) * t->max_lines;
	base_ascent = px(pango_layout_get_baseline(l));

	pango_layout_set_text(l, text, -1);
	pango_layout_set_alignment(l,
			t->align == CF_CENTER ? PANGO_ALIGN_CENTER : PANGO_ALIGN_LEFT);
	pango_layout_set_wrap(l, PANGO_WRAP_WORD_CHAR);
	pango_layout_set_single_paragraph_mode(l, TRUE);
	/* a word broken across lines gets no hyphen: it is not part of a name */
	attrs = pango_attr_list_new();
	pango_attr_list_insert(attrs, pango_attr_insert_hyphens_new(FALSE));
	pango_layout_set_attributes(l, attrs);
	pango_attr_list_unref(attrs);

	/* 1. one line, shrinking from the base size down to the minimum */
	for (size = t->base; size >= t->min && !ok; size -= SIZE_STEP)
		ok = try_line(l, t, size, area_h, base_ascent, &m);
	/* 2. wrapped onto up to max_lines lines, again largest size first */
	if (!ok && t->max_lines > 1)
		for (size = t->base; size >= t->min && !ok; size -= SIZE_STEP)
			ok = wrapped = try_wrapped(l, t, size, area_h, base_ascent, &m);
	if (ok)
		size += SIZE_STEP; /* the loop stepped past the size that fitted */
	/* 3. the minimum size, wrapped, cut with an ellipsis */
	if (!ok) {
		size = t->min;
		set_font(l, size, t->bold);
		pango_layout_set_height(l, -t->max_lines);
		pango_layout_set_ellipsize(l, t->ellipsize_middle && t->max_lines == 1 ?
						PANGO_ELLIPSIZE_MIDDLE : PANGO_ELLIPSIZE_END);
		/* narrower by what a glyph's overhang needs, if it needs any */
		for (double w = t->w; w > t->w - 8; w -= 0.5) {
			pango_layout_set_width(l, pu(w));
			if (fits(l, t, area_h, base_ascent, &m))
				break;
		}
		wrapped = m.lines > 1;
		ellipsized = true;
	}

	if (d->dry) {
		g_object_unref(l);
		return m.bottom + m.dy;
	}
	if (t->field && record(d, t, l, area_h, &m, size, wrapped, ellipsized) < 0) {
		g_object_unref(l);
		return -ENOMEM;
	}
	/* the clip is a safety net only: the tests check that it never cuts */
	cairo_save(d->cr);
	cairo_rectangle(d->cr, t->x, t->y, t->w, area_h);
	cairo_clip(d->cr);
	cairo_move_to(d->cr, t->x + m.dx, t->y + m.dy);
	pango_cairo_show_layout(d->cr, l);
	cairo_restore(d->cr);
	g_object_unref(l);
	return m.bottom + m.dy;
}
