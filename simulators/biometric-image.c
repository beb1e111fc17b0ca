// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * rekam - device simulators
 *
 * biometric-image.c - the synthetic images of rekam-sim-biometric, drawn
 * pixel by pixel and encoded as 8-bit grey PNG, as the devices give them:
 *  - a finger: a 320x400 segment at 500 ppi (16x20 mm), dark ridges about
 *    9 px (0.46 mm) apart in stretched rings (a whorl) around a core,
 *    bent by smooth warps and spiralling into ridge endings where
 *    the phase field has a spiral term; all parameters come from the seed
 *    and the finger, so each finger of an applicant differs from the others
 *    and is the same again at the next capture (the central simulator can
 *    detect duplicates);
 *  - an eye: 640x480 grey, a dark pupil, an iris with radial fibres and a
 *    collarette, a specular highlight, and upper and lower eyelids.
 * A lower quality adds noise, lowers the contrast and smears the ridges.
 */
#include <config.h>

#include <errno.h>
#include <math.h>
#include <stdlib.h>

#include "simulators/biometric.h"

static uint32_t grey(double v)
{
	uint32_t g;

	if (v < 0)
		v = 0;
	if (v > 1)
		v = 1;
	g = (uint32_t)(v * 255.0 + 0.5);
	return 0xff000000u | g << 16 | g << 8 | g;
}

static int encode(cairo_surface_t *s, uint8_t **png, size_t *len)
{
	int r;

	cairo_surface_mark_dirty(s);
	r = sim_image_png_grey(s, png, len);
	cairo_surface_destroy(s);
	return r;
}

int bio_image_finger(uint64_t seed, int finger, int quality, uint8_t **png, size_t *len)
{
	struct sim_rng shape, noise;
	cairo_surface_t *s;
	double cx, cy, spiral, stretch, rot, a1, a2, k1, k2, p1, p2, period, contrast, sd;
	unsigned char *data;
	int stride, r;

	/* the finger's own pattern: from the applicant's seed and the finger */
	sim_rng_seed(&shape, seed * 1000003u + (uint64_t)finger * 7919u + 17);
	/* the noise of this capture: from the seed and the quality */
	sim_rng_seed(&noise, seed ^ ((uint64_t)quality << 32) ^ (uint64_t)finger);
	cx = BIO_FINGER_W * sim_rng_uniform(&shape, 0.40, 0.60);
	cy = BIO_FINGER_H * sim_rng_uniform(&shape, 0.38, 0.55);
	stretch = sim_rng_uniform(&shape, 0.8, 1.5);
	/* whole turns only: the phase must meet itself around the core */
	spiral = (double)sim_rng_range(&shape, 1, 3) * (sim_rng_double(&shape) < 0.5 ? -1 : 1);
	rot = sim_rng_uniform(&shape, -0.5, 0.5);
	a1 = sim_rng_uniform(&shape, 4, 14);
	a2 = sim_rng_uniform(&shape, 4, 14);
	k1 = sim_rng_uniform(&shape, 0.010, 0.030);
	k2 = sim_rng_uniform(&shape, 0.010, 0.030);
	p1 = sim_rng_uniform(&shape, 0, 2 * M_PI);
	p2 = sim_rng_uniform(&shape, 0, 2 * M_PI);
	period = sim_rng_uniform(&shape, 8.5, 10.0);
	contrast = 0.25 + 0.45 * quality / 100.0;
	sd = 0.02 + 0.35 * (100 - quality) / 100.0;

	r = sim_image_new(BIO_FINGER_W, BIO_FINGER_H, false, &s);
	if (r < 0)
		return r;
	data = cairo_image_surface_get_data(s);
	stride = cairo_image_surface_get_stride(s);
	for (int y = 0; y < BIO_FINGER_H; y++) {
		uint32_t *row = (uint32_t *)(data + (size_t)y * (size_t)stride);

		for (int x = 0; x < BIO_FINGER_W; x++) {
			double dx = x - cx, dy = y - cy;
			double u = dx * cos(rot) - dy * sin(rot), v = dx * sin(rot) + dy * cos(rot);
			/* the fingertip: an ellipse, open at the bottom */
			double ex = (x - BIO_FINGER_W / 2.0) / (BIO_FINGER_W * 0.44);
			double ey = (y - BIO_FINGER_H * 0.55) / (BIO_FINGER_H * 0.50);
			double inside = ex * ex + (ey < 0 ? ey * ey : ey * ey * 0.3);
			double dist, phase, val;

			if (inside > 1.0) {
				row[x] = grey(0.97 - sim_rng_double(&noise) * 0.03);
				continue;
			}
			/* rings around the core, stretched along the finger; the
			 * spiral term turns them into a whorl with ridge endings */
			dist = sqrt(u * u * stretch + v * v / stretch);
			dist += a1 * sin(k1 * x + p1) + a2 * sin(k2 * y + p2);
			phase = 2 * M_PI * dist / period + spiral * atan2(v, u);
			val = 0.5 + contrast * cos(phase) + sim_rng_normal(&noise, 0, sd);
			/* pressure fades towards the rim */
			val = val + (1.0 - val) * pow(inside, 4) * 0.8;
			row[x] = grey(val);
		}
	}
	return encode(s, png, len);
}

int bio_image_iris(uint64_t seed, int eye, int quality, uint8_t **png, size_t *len)
{
	struct sim_rng shape, noise;
	cairo_surface_t *s;
	double cx, cy, pupil, iris, lid_top, lid_bottom, fib[6], ph[6], sd;
	unsigned char *data;
	int stride, r;

	sim_rng_seed(&shape, seed * 2000003u + (uint64_t)eye * 104729u + 5);
	sim_rng_seed(&noise, seed ^ ((uint64_t)quality << 32) ^ (uint64_t)(eye + 100));
	cx = BIO_IRIS_W / 2.0 + sim_rng_uniform(&shape, -20, 20);
	cy = BIO_IRIS_H / 2.0 + sim_rng_uniform(&shape, -12, 12);
	iris = sim_rng_uniform(&shape, 105, 125);
	pupil = iris * sim_rng_uniform(&shape, 0.30, 0.45);
	lid_top = sim_rng_uniform(&shape, 0.80, 1.0);
	lid_bottom = sim_rng_uniform(&shape, 0.90, 1.15);
	for (int i = 0; i < 6; i++) {
		fib[i] = (double)sim_rng_range(&shape, 12, 90);
		ph[i] = sim_rng_uniform(&shape, 0, 2 * M_PI);
	}
	sd = 0.01 + 0.20 * (100 - quality) / 100.0;

	r = sim_image_new(BIO_IRIS_W, BIO_IRIS_H, false, &s);
	if (r < 0)
		return r;
	data = cairo_image_surface_get_data(s);
	stride = cairo_image_surface_get_stride(s);
	for (int y = 0; y < BIO_IRIS_H; y++) {
		uint32_t *row = (uint32_t *)(data + (size_t)y * (size_t)stride);

		for (int x = 0; x < BIO_IRIS_W; x++) {
			double dx = x - cx, dy = y - cy, rr = sqrt(dx * dx + dy * dy);
			double th = atan2(dy, dx), val, t;
			/* eyelids: parabolas through the eye corners */
			double xn = dx / (BIO_IRIS_W * 0.45);
			double top = cy - iris * lid_top * (1.0 - xn * xn) * 1.25;
			double bottom = cy + iris * lid_bottom * (1.0 - xn * xn) * 1.1;

			if (rr < pupil) {
				val = 0.06;
			} else if (rr < iris) {
				t = (rr - pupil) / (iris - pupil);
				val = 0.38 + 0.10 * sin(t * M_PI);
				for (int i = 0; i < 6; i++)
					val += 0.035 * sin(fib[i] * th + ph[i] + 3.0 * t * (i % 2 ? 1 : -1));
				if (fabs(t - 0.3) < 0.04)
					val -= 0.08; /* the collarette */
				if (t > 0.93)
					val -= 0.12; /* the limbus */
			} else {
				val = 0.82 - 0.1 * (rr - iris) / BIO_IRIS_W;
			}
			if (y < top || y > bottom || fabs(xn) >= 1.0)
				val = 0.55 + 0.05 * sin(y * 0.05); /* skin */
			else if (y < top + 6 || y > bottom - 4)
				val = 0.25; /* lid margins and lashes */
			if (hypot(x - (cx + pupil * 0.4), y - (cy - pupil * 0.4)) < 7)
				val = 0.98; /* the illuminator's reflection */
			row[x] = grey(val + sim_rng_normal(&noise, 0, sd));
		}
	}
	return encode(s, png, len);
}
