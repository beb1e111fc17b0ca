// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * rekam - device simulators
 *
 * camera-photo.c - the portrait rekam-sim-camera captures: an applicant
 * (head, hair, ears, eyes, brows, nose, mouth, neck, shoulders in a shirt)
 * centred on the KTP-el red or blue cloth, drawn with cairo and encoded as
 * JPEG. The seed fixes the person; each capture moves them a little. A
 * `quality` below 100 puts the lens out of focus.
 */
#include <config.h>

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "simulators/camera.h"

#define JPEG_QUALITY 90
#define JPEG_DPI 300

static void mix(double *out, const double *a, const double *b, double t)
{
	int i;

	for (i = 0; i < 3; i++)
		out[i] = a[i] + (b[i] - a[i]) * t;
}

void camera_photo_person(struct camera *cam)
{
	static const double light[3] = { 0.96, 0.82, 0.70 }, dark[3] = { 0.45, 0.29, 0.19 };
	static const double shirts[][3] = {
		{ 0.95, 0.95, 0.95 }, { 0.12, 0.14, 0.20 }, { 0.20, 0.35, 0.60 },
		{ 0.45, 0.12, 0.15 }, { 0.25, 0.40, 0.25 },
	};
	struct camera_person *p = &cam->person;
	struct sim_rng rng;
	double h;
	uint64_t i;

	sim_rng_seed(&rng, sim_seed(cam->sim) ^ 0x70686f746fULL);
	mix(p->skin, light, dark, sim_rng_double(&rng));
	h = sim_rng_uniform(&rng, 0.03, 0.22);
	p->hair[0] = h;
	p->hair[1] = h * 0.8;
	p->hair[2] = h * 0.65;
	i = sim_rng_below(&rng, sizeof(shirts) / sizeof(shirts[0]));
	memcpy(p->shirt, shirts[i], sizeof(p->shirt));
	h = sim_rng_uniform(&rng, 0.10, 0.30);
	p->iris[0] = h;
	p->iris[1] = h * 0.7;
	p->iris[2] = h * 0.5;
	p->head_w = sim_rng_uniform(&rng, 0.92, 1.08);
	p->head_h = sim_rng_uniform(&rng, 0.95, 1.05);
}

const char *camera_background_name(enum camera_background bg)
{
	return bg == CAMERA_RED ? "red" : "blue";
}

static void set_rgb(cairo_t *cr, const double *c, double shade)
{
	cairo_set_source_rgb(cr, c[0] * shade, c[1] * shade, c[2] * shade);
}

static void ellipse(cairo_t *cr, double x, double y, double rx, double ry)
{
	cairo_save(cr);
	cairo_translate(cr, x, y);
	cairo_scale(cr, rx, ry);
	cairo_new_sub_path(cr);
	cairo_arc(cr, 0, 0, 1, 0, 2 * M_PI);
	cairo_restore(cr);
}

static void background(cairo_t *cr, enum camera_background bg, int w, int h)
{
	cairo_pattern_t *pat;
	double r = bg == CAMERA_RED ? 0.82 : 0.05, g = bg == CAMERA_RED ? 0.06 : 0.32,
	       b = bg == CAMERA_RED ? 0.08 : 0.78;

	/* the cloth, a little brighter behind the subject from the flash */
	pat = cairo_pattern_create_radial(w / 2.0, h * 0.4, 0, w / 2.0, h * 0.4, h * 0.75);
	cairo_pattern_add_color_stop_rgb(pat, 0, fmin(r * 1.08, 1), fmin(g * 1.2, 1),
			fmin(b * 1.08, 1));
	cairo_pattern_add_color_stop_rgb(pat, 1, r * 0.92, g * 0.92, b * 0.92);
	cairo_set_source(cr, pat);
	cairo_paint(cr);
	cairo_pattern_destroy(pat);
}

/* The person in a 3 x 4 box centred on the origin (x -1.5..1.5, y -2..2). */
static void person(cairo_t *cr, const struct camera_person *p)
{
	double hw = 0.60 * p->head_w, hh = 0.80 * p->head_h, eye_y = -0.32;
	cairo_pattern_t *pat;
	int side;

	/* shoulders and shirt */
	set_rgb(cr, p->shirt, 1);
	cairo_move_to(cr, -1.9, 2.6);
	cairo_line_to(cr, -1.55, 1.45);
	cairo_curve_to(cr, -1.45, 1.0, -0.95, 0.85, -0.32, 0.72);
	cairo_line_to(cr, 0.32, 0.72);
	cairo_curve_to(cr, 0.95, 0.85, 1.45, 1.0, 1.55, 1.45);
	cairo_line_to(cr, 1.9, 2.6);
	cairo_close_path(cr);
	cairo_fill(cr);

	/* neck, in the shadow of the chin, and the collar opening */
	set_rgb(cr, p->skin, 0.85);
	cairo_rectangle(cr, -0.27, 0.2, 0.54, 0.6);
	cairo_fill(cr);
	cairo_move_to(cr, -0.32, 0.72);
	cairo_line_to(cr, 0, 1.15);
	cairo_line_to(cr, 0.32, 0.72);
	cairo_close_path(cr);
	cairo_fill(cr);

	/* hair behind the head, ears */
	set_rgb(cr, p->hair, 1);
	ellipse(cr, 0, -0.52, hw * 1.12, hh * 0.88);
	cairo_fill(cr);
	for (side = -1; side <= 1; side += 2) {
		set_rgb(cr, p->skin, 0.92);
		ellipse(cr, side * hw * 0.98, -0.22, 0.11, 0.19);
		cairo_fill(cr);
	}

	/* the face, lit from the front */
	pat = cairo_pattern_create_radial(-0.1, -0.4, 0.05, 0, -0.25, hh * 1.1);
	cairo_pattern_add_color_stop_rgb(pat, 0, fmin(p->skin[0] * 1.08, 1),
			fmin(p->skin[1] * 1.08, 1), fmin(p->skin[2] * 1.08, 1));
	cairo_pattern_add_color_stop_rgb(pat, 1, p->skin[0] * 0.85, p->skin[1] * 0.85,
			p->skin[2] * 0.85);
	cairo_set_source(cr, pat);
	ellipse(cr, 0, -0.25, hw, hh);
	cairo_fill(cr);
	cairo_pattern_destroy(pat);

	/* the fringe, a little over the edge of the face so no seam shows */
	cairo_save(cr);
	ellipse(cr, 0, -0.25, hw * 1.03, hh * 1.03);
	cairo_clip(cr);
	set_rgb(cr, p->hair, 1);
	cairo_move_to(cr, -hw, -1.2);
	cairo_line_to(cr, -hw, -0.62);
	cairo_curve_to(cr, -0.3, -0.78, 0.2, -0.9, hw, -0.58);
	cairo_line_to(cr, hw, -1.2);
	cairo_close_path(cr);
	cairo_fill(cr);
	cairo_restore(cr);

	for (side = -1; side <= 1; side += 2) {
		double x = side * 0.23 * p->head_w;

		/* brow */
		set_rgb(cr, p->hair, 1);
		cairo_set_line_width(cr, 0.035);
		cairo_set_line_cap(cr, CAIRO_LINE_CAP_ROUND);
		cairo_move_to(cr, x - 0.12, eye_y - 0.1);
		cairo_curve_to(cr, x - 0.05, eye_y - 0.15, x + 0.05, eye_y - 0.15, x + 0.13,
				eye_y - 0.1);
		cairo_stroke(cr);
		/* eye: white, iris, pupil, a catchlight */
		cairo_set_source_rgb(cr, 0.97, 0.96, 0.94);
		ellipse(cr, x, eye_y, 0.11, 0.05);
		cairo_fill(cr);
		set_rgb(cr, p->iris, 1);
		ellipse(cr, x, eye_y, 0.045, 0.045);
		cairo_fill(cr);
		cairo_set_source_rgb(cr, 0.02, 0.02, 0.02);
		ellipse(cr, x, eye_y, 0.02, 0.02);
		cairo_fill(cr);
		cairo_set_source_rgb(cr, 1, 1, 1);
		ellipse(cr, x + 0.012, eye_y - 0.012, 0.008, 0.008);
		cairo_fill(cr);
	}

	/* nose */
	set_rgb(cr, p->skin, 0.72);
	cairo_set_line_width(cr, 0.025);
	cairo_move_to(cr, -0.02, -0.25);
	cairo_curve_to(cr, -0.04, -0.12, -0.1, -0.05, -0.06, -0.02);
	cairo_curve_to(cr, -0.02, 0.0, 0.02, 0.0, 0.07, -0.02);
	cairo_stroke(cr);

	/* mouth, closed, neutral */
	cairo_set_source_rgb(cr, p->skin[0] * 0.75, p->skin[1] * 0.45, p->skin[2] * 0.45);
	cairo_set_line_width(cr, 0.035);
	cairo_move_to(cr, -0.17, 0.15);
	cairo_curve_to(cr, -0.06, 0.19, 0.06, 0.19, 0.17, 0.15);
	cairo_stroke(cr);
}

/* End a drawing on @surface: hand it over in *@out, or free it when cairo
 * failed (-ENOMEM). Destroys @cr either way. */
static int finish_drawing(cairo_t *cr, cairo_surface_t *surface, cairo_surface_t **out)
{
	int r = cairo_status(cr) == CAIRO_STATUS_SUCCESS ? 0 : -ENOMEM;

	cairo_destroy(cr);
	if (r < 0) {
		cairo_surface_destroy(surface);
		return r;
	}
	*out = surface;
	return 0;
}

static int render(struct camera *cam, int w, int h, cairo_surface_t **out)
{
	cairo_surface_t *surface;
	struct sim_rng *rng = sim_rng(cam->sim);
	double s = fmin(w / 3.0, h / 4.0);
	cairo_t *cr;
	int r;

	r = sim_image_new(w, h, false, &surface);
	if (r < 0)
		return r;
	cr = cairo_create(surface);
	background(cr, cam->background, w, h);
	cairo_translate(cr, w / 2.0 + sim_rng_uniform(rng, -0.03, 0.03) * s,
			h / 2.0 + sim_rng_uniform(rng, -0.03, 0.03) * s);
	cairo_scale(cr, s * 0.92, s * 0.92);
	cairo_rotate(cr, sim_rng_uniform(rng, -0.03, 0.03));
	person(cr, &cam->person);
	return finish_drawing(cr, surface, out);
}

/* Out of focus: drawn at a fraction of the size, then scaled up smoothly. */
static int defocus(cairo_surface_t *small, int w, int h, cairo_surface_t **out)
{
	cairo_surface_t *surface;
	cairo_t *cr;
	int r;

	r = sim_image_new(w, h, false, &surface);
	if (r < 0)
		return r;
	cr = cairo_create(surface);
	cairo_scale(cr, (double)w / cairo_image_surface_get_width(small),
			(double)h / cairo_image_surface_get_height(small));
	cairo_set_source_surface(cr, small, 0, 0);
	cairo_pattern_set_filter(cairo_get_source(cr), CAIRO_FILTER_BILINEAR);
	cairo_pattern_set_extend(cairo_get_source(cr), CAIRO_EXTEND_PAD);
	cairo_paint(cr);
	return finish_drawing(cr, surface, out);
}

int camera_photo_take(struct camera *cam, struct camera_object *obj)
{
	int q = sim_quality(cam->sim), w = cam->width, h = cam->height, sw = w, sh = h;
	cairo_surface_t *surface, *sharp;
	time_t now = time(NULL);
	struct tm tm;
	int r;

	if (q < 100) {
		/* quality 0 draws at 1/50 of the size, 99 at nearly full size */
		double f = 0.02 + 0.98 * q / 100.0 * q / 100.0;

		sw = (int)fmax(4, w * f);
		sh = (int)fmax(4, h * f);
	}
	r = render(cam, sw, sh, &sharp);
	if (r < 0)
		return r;
	if (sw != w || sh != h) {
		r = defocus(sharp, w, h, &surface);
		cairo_surface_destroy(sharp);
		if (r < 0)
			return r;
	} else {
		surface = sharp;
	}
	r = sim_image_jpeg(surface, JPEG_QUALITY, JPEG_DPI, &obj->jpeg, &obj->len);
	cairo_surface_destroy(surface);
	if (r < 0)
		return r;

	obj->width = w;
	obj->height = h;
	snprintf(obj->name, sizeof(obj->name), "IMG_%04u.JPG", obj->handle % 10000);
	gmtime_r(&now, &tm);
	strftime(obj->date, sizeof(obj->date), "%Y%m%dT%H%M%S", &tm);
	cam->captures++;
	cam->last_len = obj->len;
	cam->last_background = cam->background;
	sim_sha256_hex(obj->jpeg, obj->len, cam->last_sha256);
	return 0;
}
