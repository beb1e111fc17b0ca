// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * rekam - device simulators
 *
 * sigpad-render.c - the image a signature pad returns with its strokes:
 * black ink on white, anti-aliased, each segment as wide as the pen pressed,
 * the pad's area scaled to SIGPAD_IMAGE_WIDTH x SIGPAD_IMAGE_HEIGHT.
 */
#include <config.h>

#include <errno.h>

#include "simulators/sigpad.h"

#define PEN_MIN_PX 0.7
#define PEN_MAX_PX 4.2

static double pen_width(int32_t p0, int32_t p1)
{
	double p = (p0 + p1) / 2.0 / (SIGPAD_PRESSURE_LEVELS - 1);

	return PEN_MIN_PX + (PEN_MAX_PX - PEN_MIN_PX) * p;
}

int sigpad_render_png(const struct sigpad_ink *ink, uint8_t **png, size_t *len)
{
	const double sx = (double)SIGPAD_IMAGE_WIDTH / SIGPAD_WIDTH;
	const double sy = (double)SIGPAD_IMAGE_HEIGHT / SIGPAD_HEIGHT;
	cairo_surface_t *surface;
	cairo_t *cr;
	size_t s, k;
	int r;

	r = sim_image_new(SIGPAD_IMAGE_WIDTH, SIGPAD_IMAGE_HEIGHT, false, &surface);
	if (r < 0)
		return r;
	cr = cairo_create(surface);
	cairo_set_source_rgb(cr, 0, 0, 0);
	cairo_set_antialias(cr, CAIRO_ANTIALIAS_GOOD);
	cairo_set_line_cap(cr, CAIRO_LINE_CAP_ROUND);
	cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND);
	for (s = 0; s < ink->nstrokes; s++) {
		const struct sigpad_point *pt = ink->points + ink->strokes[s].first;

		for (k = 1; k < ink->strokes[s].count; k++) {
			cairo_move_to(cr, (pt[k - 1].x + 0.5) * sx, (pt[k - 1].y + 0.5) * sy);
			cairo_line_to(cr, (pt[k].x + 0.5) * sx, (pt[k].y + 0.5) * sy);
			cairo_set_line_width(cr, pen_width(pt[k - 1].pressure, pt[k].pressure));
			cairo_stroke(cr);
		}
	}
	r = cairo_status(cr) == CAIRO_STATUS_SUCCESS ? 0 : -ENOMEM;
	cairo_destroy(cr);
	if (r == 0)
		r = sim_image_png(surface, png, len);
	cairo_surface_destroy(surface);
	return r;
}
