// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * rekam - device plugins
 *
 * strokes.c - collecting a signature's pen strokes and writing them as JSON
 * (see strokes.h).
 */
#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plugins/sigpad-sim/strokes.h"

int strokes_pen_down(struct strokes *s)
{
	size_t *starts;

	if (s->pen_down)
		return -EPROTO;
	if (s->n_strokes == s->cap_strokes) {
		size_t cap = s->cap_strokes ? 2 * s->cap_strokes : 16;

		starts = realloc(s->starts, cap * sizeof(*starts));
		if (!starts)
			return -ENOMEM;
		s->starts = starts;
		s->cap_strokes = cap;
	}
	s->starts[s->n_strokes++] = s->n_points;
	s->pen_down = 1;
	return 0;
}

int strokes_pen_up(struct strokes *s)
{
	if (!s->pen_down)
		return -EPROTO;
	s->pen_down = 0;
	return 0;
}

int strokes_add(struct strokes *s, int32_t x, int32_t y, int32_t pressure, uint32_t t)
{
	struct stroke_point *points;

	if (!s->pen_down || s->n_points >= STROKES_MAX_POINTS ||
			(s->n_points && t < s->points[s->n_points - 1].t))
		return -EPROTO;
	if (s->n_points == s->cap_points) {
		size_t cap = s->cap_points ? 2 * s->cap_points : 256;

		points = realloc(s->points, cap * sizeof(*points));
		if (!points)
			return -ENOMEM;
		s->points = points;
		s->cap_points = cap;
	}
	s->points[s->n_points++] = (struct stroke_point){ x, y, pressure, t };
	return 0;
}

int strokes_to_json(const struct strokes *s, unsigned int dpi, unsigned int width,
		unsigned int height, unsigned int levels, unsigned int rate, char **json,
		size_t *len)
{
	size_t size;
	char *out;
	FILE *f;

	if (!s->n_strokes || !s->n_points || s->pen_down)
		return -EPROTO;
	f = open_memstream(&out, &size);
	if (!f)
		return -ENOMEM;
	fprintf(f, "{\"format\":\"rekam-strokes/1\",\"dpi\":%u,\"width\":%u,\"height\":%u,"
		   "\"pressure-levels\":%u,\"rate\":%u,\"strokes\":[",
		dpi, width, height, levels, rate);
	for (size_t i = 0; i < s->n_strokes; i++) {
		size_t end = i + 1 < s->n_strokes ? s->starts[i + 1] : s->n_points;

		fputs(i ? ",[" : "[", f);
		for (size_t j = s->starts[i]; j < end; j++) {
			const struct stroke_point *p = &s->points[j];

			fprintf(f, "%s[%d,%d,%d,%u]", j > s->starts[i] ? "," : "", p->x, p->y,
				p->pressure, p->t);
		}
		fputc(']', f);
	}
	fputs("]}\n", f);
	if (fclose(f) != 0) {
		free(out);
		return -ENOMEM;
	}
	*json = out;
	*len = size;
	return 0;
}

void strokes_clear(struct strokes *s)
{
	free(s->points);
	free(s->starts);
	memset(s, 0, sizeof(*s));
}
