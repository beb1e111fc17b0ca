// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * rekam - device simulators
 *
 * sigpad-ink.c - handwriting for the simulated signature pad. A name is
 * written as cursive words: every letter is a few waypoints in x-height
 * units (round, hump, cup, ascender or descender loops), jittered and
 * slanted, joined by a Catmull-Rom spline; i and j get dots, t a bar, and a
 * flourish underlines it all. Each stroke is then sampled at the pad's rate
 * with a speed that slows at both ends and varies in between, and a pressure
 * that rises after the pen touches and falls before it lifts. Everything
 * comes from the simulator's seeded generator.
 */
#include <config.h>

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "simulators/sigpad.h"

#define SPLINE_STEPS 12
#define MARGIN 450.0

struct wp {
	double x, y; /* x-height units, y up from the baseline */
};

struct shape {
	const struct wp *wp;
	size_t n;
	double advance;
};

static const struct wp wp_round[] = { { 0.00, 0.15 }, { 0.58, 0.85 }, { 0.33, 1.00 },
	{ 0.07, 0.58 }, { 0.25, 0.02 }, { 0.58, 0.48 }, { 0.64, 0.97 }, { 0.66, 0.18 },
	{ 0.86, 0.12 } };
static const struct wp wp_e[] = { { 0.00, 0.15 }, { 0.45, 0.55 }, { 0.40, 0.88 },
	{ 0.14, 0.70 }, { 0.12, 0.25 }, { 0.36, 0.02 }, { 0.70, 0.15 } };
static const struct wp wp_hump[] = { { 0.00, 0.15 }, { 0.12, 0.95 }, { 0.15, 0.05 },
	{ 0.21, 0.62 }, { 0.42, 1.00 }, { 0.58, 0.72 }, { 0.60, 0.05 }, { 0.84, 0.15 } };
static const struct wp wp_m[] = { { 0.00, 0.15 }, { 0.12, 0.95 }, { 0.15, 0.05 },
	{ 0.21, 0.62 }, { 0.40, 1.00 }, { 0.54, 0.72 }, { 0.56, 0.05 }, { 0.62, 0.62 },
	{ 0.82, 1.00 }, { 0.97, 0.72 }, { 0.99, 0.05 }, { 1.22, 0.15 } };
static const struct wp wp_cup[] = { { 0.00, 0.15 }, { 0.10, 1.00 }, { 0.14, 0.12 },
	{ 0.34, 0.00 }, { 0.55, 0.50 }, { 0.60, 1.00 }, { 0.62, 0.12 }, { 0.84, 0.15 } };
static const struct wp wp_asc[] = { { 0.00, 0.15 }, { 0.36, 1.30 }, { 0.46, 2.10 },
	{ 0.28, 2.20 }, { 0.18, 1.60 }, { 0.20, 0.05 }, { 0.56, 0.15 } };
static const struct wp wp_desc[] = { { 0.00, 0.15 }, { 0.30, 1.00 }, { 0.36, 0.00 },
	{ 0.30, -0.95 }, { 0.10, -0.85 }, { 0.28, -0.30 }, { 0.70, 0.18 } };
static const struct wp wp_i[] = { { 0.00, 0.15 }, { 0.20, 0.95 }, { 0.24, 0.10 },
	{ 0.48, 0.15 } };

#define SHAPE(a, adv) { a, sizeof(a) / sizeof(a[0]), adv }
static const struct shape shapes[] = {
	SHAPE(wp_round, 0.86), SHAPE(wp_e, 0.70), SHAPE(wp_hump, 0.84), SHAPE(wp_m, 1.22),
	SHAPE(wp_cup, 0.84), SHAPE(wp_asc, 0.56), SHAPE(wp_desc, 0.70), SHAPE(wp_i, 0.48),
};
enum { S_ROUND, S_E, S_HUMP, S_M, S_CUP, S_ASC, S_DESC, S_I };

static int letter_shape(char c)
{
	switch (tolower((unsigned char)c)) {
	case 'e':
		return S_E;
	case 'n': case 'r': case 'h': case 'k':
		return S_HUMP;
	case 'm':
		return S_M;
	case 'u': case 'v': case 'w':
		return S_CUP;
	case 'b': case 'd': case 'f': case 'l': case 't':
		return S_ASC;
	case 'g': case 'j': case 'p': case 'q': case 'y':
		return S_DESC;
	case 'i':
		return S_I;
	default:
		return S_ROUND;
	}
}

static const char *const names[] = {
	"Siti Rahayu", "Budi Santoso", "Dewi Lestari", "Agus Salim", "Wayan Sudarma",
	"Rina Wati", "Joko Susilo", "Putu Ayu", "Ahmad Fauzi", "Nur Hidayah", "Made Wirawan",
	"Yanti Kusuma", "Hendra Gunawan", "Bambang Irawan", "Ketut Arya", "Maria Ulfa",
};

const char *sigpad_ink_default_name(struct sim_rng *rng)
{
	return names[sim_rng_below(rng, sizeof(names) / sizeof(names[0]))];
}

bool sigpad_ink_name_valid(const char *text)
{
	size_t n = strlen(text), i, letters = 0;

	if (n == 0 || n > SIGPAD_NAME_MAX)
		return false;
	for (i = 0; i < n; i++) {
		if (isalpha((unsigned char)text[i]) && !(text[i] & 0x80))
			letters++;
		else if (!strchr(" .-'", text[i]))
			return false;
	}
	return letters > 0;
}

/* --- paths ------------------------------------------------------------------------ */

struct path {
	double *xy;
	size_t n, cap;
};

struct paths {
	struct path *p;
	size_t n;
};

static int path_add(struct path *p, double x, double y)
{
	if (p->n == p->cap) {
		size_t cap = p->cap ? 2 * p->cap : 64;
		double *xy = realloc(p->xy, cap * 2 * sizeof(double));

		if (!xy)
			return -ENOMEM;
		p->xy = xy;
		p->cap = cap;
	}
	p->xy[2 * p->n] = x;
	p->xy[2 * p->n + 1] = y;
	p->n++;
	return 0;
}

/* A Catmull-Rom spline through the control points cp (n pairs) into a new path. */
static int paths_add_spline(struct paths *ps, const double *cp, size_t n)
{
	struct path *p, *grown;
	size_t i, k;
	int r = 0;

	grown = realloc(ps->p, (ps->n + 1) * sizeof(*ps->p));
	if (!grown)
		return -ENOMEM;
	ps->p = grown;
	p = &ps->p[ps->n++];
	memset(p, 0, sizeof(*p));
	for (i = 0; i + 1 < n && r == 0; i++) {
		const double *p0 = &cp[2 * (i ? i - 1 : i)], *p1 = &cp[2 * i];
		const double *p2 = &cp[2 * (i + 1)], *p3 = &cp[2 * (i + 2 < n ? i + 2 : i + 1)];

		for (k = 0; k < SPLINE_STEPS && r == 0; k++) {
			double t = (double)k / SPLINE_STEPS, t2 = t * t, t3 = t2 * t;
			double v[2];
			int d;

			for (d = 0; d < 2; d++)
				v[d] = 0.5 * (2 * p1[d] + (-p0[d] + p2[d]) * t +
						(2 * p0[d] - 5 * p1[d] + 4 * p2[d] - p3[d]) * t2 +
						(-p0[d] + 3 * p1[d] - 3 * p2[d] + p3[d]) * t3);
			r = path_add(p, v[0], v[1]);
		}
	}
	if (r == 0)
		r = path_add(p, cp[2 * (n - 1)], cp[2 * (n - 1) + 1]);
	return r;
}

static void paths_free(struct paths *ps)
{
	size_t i;

	for (i = 0; i < ps->n; i++)
		free(ps->p[i].xy);
	free(ps->p);
}

static double path_length(const struct path *p)
{
	double len = 0.0;
	size_t i;

	for (i = 1; i < p->n; i++)
		len += hypot(p->xy[2 * i] - p->xy[2 * i - 2], p->xy[2 * i + 1] - p->xy[2 * i - 1]);
	return len;
}

/* --- writing a name ---------------------------------------------------------------- */

struct writer {
	struct sim_rng *rng;
	struct paths words; /* control points, x-height units, y up */
	struct paths marks; /* dots and bars, written after the words */
	double jitter;
};

static struct path *new_path(struct paths *ps)
{
	struct path *grown = realloc(ps->p, (ps->n + 1) * sizeof(*ps->p));

	if (!grown)
		return NULL;
	ps->p = grown;
	memset(&ps->p[ps->n], 0, sizeof(ps->p[0]));
	return &ps->p[ps->n++];
}

static int add_mark(struct writer *w, double x0, double y0, double x1, double y1)
{
	struct path *p = new_path(&w->marks);
	int r;

	if (!p)
		return -ENOMEM;
	r = path_add(p, x0, y0);
	if (r == 0)
		r = path_add(p, (x0 + x1) / 2 + sim_rng_normal(w->rng, 0, 0.02),
				(y0 + y1) / 2 + sim_rng_normal(w->rng, 0, 0.03));
	if (r == 0)
		r = path_add(p, x1, y1);
	return r;
}

/* One word from its first letter; returns the x after it. */
static int write_word(struct writer *w, const char *word, size_t len, double *x)
{
	struct path *p = new_path(&w->words);
	size_t i, k;
	int r;

	if (!p)
		return -ENOMEM;
	r = path_add(p, *x - 0.25, -0.05);
	for (i = 0; i < len && r == 0; i++) {
		const struct shape *s = &shapes[letter_shape(word[i])];
		bool cap = i == 0 && isupper((unsigned char)word[i]);
		double sx = sim_rng_uniform(w->rng, 0.9, 1.15) * (cap ? 1.3 : 1.0);
		double sy = cap ? (letter_shape(word[i]) == S_ASC ? 1.15 : 1.8) : 1.0;
		char lc = (char)tolower((unsigned char)word[i]);

		if (!isalpha((unsigned char)word[i])) {
			*x += 0.3;
			continue;
		}
		for (k = 1; k < s->n && r == 0; k++)
			r = path_add(p, *x + s->wp[k].x * sx + sim_rng_normal(w->rng, 0, w->jitter),
					s->wp[k].y * sy + sim_rng_normal(w->rng, 0, w->jitter));
		if (r == 0 && (lc == 'i' || lc == 'j') && !cap)
			r = add_mark(w, *x + 0.24 * sx, 1.55, *x + 0.34 * sx, 1.52);
		if (r == 0 && lc == 't' && !cap)
			r = add_mark(w, *x - 0.02, 1.18, *x + 0.62 * sx, 1.24);
		*x += s->advance * sx;
	}
	return r;
}

static int add_flourish(struct writer *w, double x0, double x1)
{
	struct path *p = new_path(&w->words);
	double phase = sim_rng_uniform(w->rng, 0, 2 * M_PI);
	int i, r = 0;

	if (!p)
		return -ENOMEM;
	for (i = 0; i <= 6 && r == 0; i++) {
		double f = i / 6.0;

		r = path_add(p, x0 + (x1 - x0) * f,
				-0.55 + 0.14 * sin(phase + 5.0 * f) - 0.1 * f);
	}
	return r;
}

/* Shear, scale to pad units, and fit every control point inside the pad. */
static void place(struct writer *w, struct paths *all[2])
{
	double xh = sim_rng_uniform(w->rng, 520, 720);
	double slant = sim_rng_uniform(w->rng, 0.18, 0.38);
	double base = SIGPAD_HEIGHT * 0.64 + sim_rng_normal(w->rng, 0, 60);
	double minx = 1e9, maxx = -1e9, miny = 1e9, maxy = -1e9, s = 1.0, dx, dy;
	double roomx = SIGPAD_WIDTH - 2 * MARGIN, roomy = SIGPAD_HEIGHT - MARGIN;
	size_t a, i, k;

	for (a = 0; a < 2; a++) {
		for (i = 0; i < all[a]->n; i++) {
			struct path *p = &all[a]->p[i];

			for (k = 0; k < p->n; k++) {
				double x = p->xy[2 * k], y = p->xy[2 * k + 1];

				p->xy[2 * k] = (x + slant * y) * xh;
				p->xy[2 * k + 1] = base - y * xh;
				minx = fmin(minx, p->xy[2 * k]);
				maxx = fmax(maxx, p->xy[2 * k]);
				miny = fmin(miny, p->xy[2 * k + 1]);
				maxy = fmax(maxy, p->xy[2 * k + 1]);
			}
		}
	}
	if (maxx - minx > roomx)
		s = roomx / (maxx - minx);
	if ((maxy - miny) * s > roomy)
		s = roomy / (maxy - miny);
	dx = MARGIN + sim_rng_uniform(w->rng, 0, 0.4) * (roomx - (maxx - minx) * s) - minx * s;
	dy = (SIGPAD_HEIGHT - (maxy - miny) * s) / 2 - miny * s;
	for (a = 0; a < 2; a++)
		for (i = 0; i < all[a]->n; i++)
			for (k = 0; k < all[a]->p[i].n; k++) {
				all[a]->p[i].xy[2 * k] = all[a]->p[i].xy[2 * k] * s + dx;
				all[a]->p[i].xy[2 * k + 1] = all[a]->p[i].xy[2 * k + 1] * s + dy;
			}
}

/* The control points of every stroke, in writing order, as smooth paths. */
static int write_name(struct sim_rng *rng, const char *name, struct paths *out)
{
	struct writer w = { .rng = rng, .jitter = 0.045 };
	struct paths *all[2] = { &w.words, &w.marks };
	double x = 0.0, start;
	size_t i, a, len;
	int r = 0;

	while (*name == ' ')
		name++;
	start = x;
	while (*name && r == 0) {
		len = strcspn(name, " ");
		r = write_word(&w, name, len, &x);
		x += 0.7;
		name += len;
		while (*name == ' ')
			name++;
	}
	if (r == 0)
		r = add_flourish(&w, start - 0.2, x - 0.2);
	if (r == 0)
		place(&w, all);
	for (a = 0; a < 2 && r == 0; a++)
		for (i = 0; i < all[a]->n && r == 0; i++)
			r = paths_add_spline(out, all[a]->p[i].xy, all[a]->p[i].n);
	paths_free(&w.words);
	paths_free(&w.marks);
	return r;
}

/* --- sampling at the pad's rate ------------------------------------------------------ */

/* The point at arc length s along p (lengths cum[] per vertex). */
static void path_at(const struct path *p, const double *cum, double s, double *x, double *y)
{
	size_t lo = 0, hi = p->n - 1, mid;
	double f, seg;

	if (s <= 0) {
		*x = p->xy[0];
		*y = p->xy[1];
		return;
	}
	while (hi - lo > 1) {
		mid = (lo + hi) / 2;
		if (cum[mid] <= s)
			lo = mid;
		else
			hi = mid;
	}
	seg = cum[hi] - cum[lo];
	f = seg > 0 ? fmin(1.0, (s - cum[lo]) / seg) : 0.0;
	*x = p->xy[2 * lo] + f * (p->xy[2 * hi] - p->xy[2 * lo]);
	*y = p->xy[2 * lo + 1] + f * (p->xy[2 * hi + 1] - p->xy[2 * lo + 1]);
}

static int32_t clampi(double v, int32_t lo, int32_t hi)
{
	if (v < lo)
		return lo;
	if (v > hi)
		return hi;
	return (int32_t)lround(v);
}

static int sample_stroke(struct sim_rng *rng, const struct path *p, size_t n, double noise,
		uint32_t t0, struct sigpad_point *out)
{
	double len = path_length(p), *cum, p0, phase, a = 0.3, b = 0.4;
	int f = (int)sim_rng_range(rng, 1, 4);
	size_t i, k;

	cum = malloc(p->n * sizeof(double));
	if (!cum)
		return -ENOMEM;
	cum[0] = 0;
	for (i = 1; i < p->n; i++)
		cum[i] = cum[i - 1] + hypot(p->xy[2 * i] - p->xy[2 * i - 2],
				p->xy[2 * i + 1] - p->xy[2 * i - 1]);
	p0 = sim_rng_uniform(rng, 430, 650);
	phase = sim_rng_uniform(rng, 0, 1);
	for (k = 0; k < n; k++) {
		double u = (double)k / (double)(n - 1);
		/* slow at both ends, a few speed-ups and slow-downs in between */
		double wv = (1 - b) * u + b * (0.5 - 0.5 * cos(M_PI * u)) +
				a / (2 * M_PI * f) * sin(2 * M_PI * f * u) * (1 - b) * 0.9;
		double ramp = fmin(1.0, fmin((double)(k + 1) / 7.0, (double)(n - k) / 7.0));
		double pr = p0 * (0.25 + 0.75 * ramp) * (1 + 0.12 * sin(2 * M_PI * (phase + k / 27.0)));
		double x, y;

		path_at(p, cum, wv * len, &x, &y);
		out[k].x = clampi(x + sim_rng_normal(rng, 0, noise), 0, SIGPAD_WIDTH - 1);
		out[k].y = clampi(y + sim_rng_normal(rng, 0, noise), 0, SIGPAD_HEIGHT - 1);
		out[k].pressure = clampi(pr + sim_rng_normal(rng, 0, 6), 1, SIGPAD_PRESSURE_LEVELS - 1);
		out[k].t = t0 + (uint32_t)(k * 1000 / SIGPAD_RATE);
	}
	free(cum);
	return 0;
}

/* Points per stroke: proportional to length, at least 2 each, summing to total. */
static void share_points(const double *len, size_t nstrokes, size_t total, size_t *n)
{
	double sum = 0;
	size_t i, given = 0, big;

	for (i = 0; i < nstrokes; i++)
		sum += len[i];
	for (i = 0; i < nstrokes; i++) {
		n[i] = (size_t)floor((double)(total - 2 * nstrokes) * len[i] / sum) + 2;
		given += n[i];
	}
	for (i = 0; given < total; i = (i + 1) % nstrokes, given++)
		n[i]++;
	while (given > total) {
		for (big = 0, i = 1; i < nstrokes; i++)
			if (n[i] > n[big])
				big = i;
		n[big]--;
		given--;
	}
}

int sigpad_ink_generate(struct sim_rng *rng, const char *name, size_t npoints, int quality,
		struct sigpad_ink *ink)
{
	struct paths ps = { 0 };
	double *len = NULL, total = 0, noise = 1.0 + (100 - quality) * 0.6;
	size_t *share = NULL, i, ns;
	uint32_t t = 0;
	int r;

	memset(ink, 0, sizeof(*ink));
	r = write_name(rng, name, &ps);
	if (r < 0)
		goto out;
	ns = ps.n;
	len = calloc(ns, sizeof(*len));
	share = calloc(ns, sizeof(*share));
	if (!len || !share) {
		r = -ENOMEM;
		goto out;
	}
	for (i = 0; i < ns; i++) {
		len[i] = fmax(1.0, path_length(&ps.p[i]));
		total += len[i];
	}
	if (npoints == 0)
		npoints = (size_t)(total / sim_rng_uniform(rng, 45, 60));
	if (npoints < 2)
		npoints = 2;
	if (npoints < 2 * ns)
		ns = npoints / 2; /* too few points for every stroke: the first ones only */
	share_points(len, ns, npoints, share);

	ink->points = calloc(npoints, sizeof(*ink->points));
	ink->strokes = calloc(ns, sizeof(*ink->strokes));
	if (!ink->points || !ink->strokes) {
		r = -ENOMEM;
		goto out;
	}
	for (i = 0; i < ns && r == 0; i++) {
		if (i > 0)
			t += (uint32_t)sim_rng_range(rng, 90, 320);
		ink->strokes[i].first = ink->npoints;
		ink->strokes[i].count = share[i];
		r = sample_stroke(rng, &ps.p[i], share[i], noise, t, ink->points + ink->npoints);
		ink->npoints += share[i];
		t = ink->points[ink->npoints - 1].t;
	}
	ink->nstrokes = ns;
	ink->duration = t;
out:
	if (r < 0)
		sigpad_ink_clear(ink);
	free(len);
	free(share);
	paths_free(&ps);
	return r;
}

void sigpad_ink_clear(struct sigpad_ink *ink)
{
	free(ink->points);
	free(ink->strokes);
	memset(ink, 0, sizeof(*ink));
}
