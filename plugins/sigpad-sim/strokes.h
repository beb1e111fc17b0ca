/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * rekam - device plugins
 *
 * strokes.h - the pen strokes of one signature as a pad reports them, and
 * their JSON form (rekam-strokes/1: per stroke, points of x, y, pressure and
 * time, with the pad's geometry, in the spirit of ISO/IEC 19794-7).
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

struct stroke_point {
	int32_t x, y, pressure;
	uint32_t t; /* ms */
};

struct strokes {
	struct stroke_point *points;
	size_t n_points, cap_points;
	size_t *starts; /* index of the first point of each stroke */
	size_t n_strokes, cap_strokes;
	int pen_down;
};

#define STROKES_MAX_POINTS 100000

/* 0, or -EPROTO when the pen is already down (PEN-DOWN twice). */
int strokes_pen_down(struct strokes *s);
/* 0, or -EPROTO when the pen is not down. */
int strokes_pen_up(struct strokes *s);
/* A point while the pen is down: 0, -EPROTO (pen up, time going backwards,
 * too many points) or -ENOMEM. */
int strokes_add(struct strokes *s, int32_t x, int32_t y, int32_t pressure, uint32_t t);
/* The JSON document (*json malloc'd, not NUL-terminated counted in *len).
 * -EPROTO when there is no complete stroke. */
int strokes_to_json(const struct strokes *s, unsigned int dpi, unsigned int width,
		unsigned int height, unsigned int levels, unsigned int rate, char **json,
		size_t *len);
void strokes_clear(struct strokes *s);
