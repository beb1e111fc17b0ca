// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * rekam - device simulators
 *
 * sim-image.c - image helpers on cairo: a blank surface to draw on, and PNG
 * encoding into memory (cairo_surface_write_to_png_stream).
 */
#include <config.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "simulators/lib/sim.h"

int sim_image_new(int width, int height, bool alpha, cairo_surface_t **surface)
{
	cairo_surface_t *s;
	cairo_t *cr;

	if (width <= 0 || height <= 0 || width > 32767 || height > 32767)
		return -EINVAL;
	s = cairo_image_surface_create(alpha ? CAIRO_FORMAT_ARGB32 : CAIRO_FORMAT_RGB24, width,
			height);
	if (cairo_surface_status(s) != CAIRO_STATUS_SUCCESS) {
		cairo_surface_destroy(s);
		return -ENOMEM;
	}
	cr = cairo_create(s);
	if (alpha) {
		cairo_set_operator(cr, CAIRO_OPERATOR_CLEAR);
	} else {
		cairo_set_source_rgb(cr, 1.0, 1.0, 1.0);
	}
	cairo_paint(cr);
	cairo_destroy(cr);
	*surface = s;
	return 0;
}

struct png_sink {
	uint8_t *data;
	size_t len;
	size_t size;
};

static cairo_status_t png_write(void *closure, const unsigned char *data, unsigned int length)
{
	struct png_sink *sink = closure;
	size_t want = sink->len + length;
	uint8_t *p;

	if (want > sink->size) {
		size_t size = sink->size ? sink->size : 4096;

		while (size < want)
			size *= 2;
		p = realloc(sink->data, size);
		if (!p)
			return CAIRO_STATUS_NO_MEMORY;
		sink->data = p;
		sink->size = size;
	}
	memcpy(sink->data + sink->len, data, length);
	sink->len += length;
	return CAIRO_STATUS_SUCCESS;
}

int sim_image_png(cairo_surface_t *surface, uint8_t **data, size_t *len)
{
	struct png_sink sink = { 0 };
	cairo_status_t st;

	cairo_surface_flush(surface);
	st = cairo_surface_write_to_png_stream(surface, png_write, &sink);
	if (st != CAIRO_STATUS_SUCCESS) {
		free(sink.data);
		return st == CAIRO_STATUS_NO_MEMORY ? -ENOMEM : -EIO;
	}
	*data = sink.data;
	*len = sink.len;
	return 0;
}
