// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * rekam - benchmarks
 *
 * bench-cardface.c - how long the card face takes: rendering both sides for
 * the tests' ordinary applicant (every field fits at once) and very long one
 * (fitting tries many sizes, and the rows are measured more than once),
 * and encoding one side as PNG. Prints the median of N runs of each and the
 * ratios long/ordinary and PNG/render. `make bench-cardface`.
 */
#include <config.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tests/bench/bench.h"
#include "daemon/cardface.h"
#include "simulators/lib/sim.h"
#include "cardface-samples.h"

#define RUNS 15

/* CPU time of the process: the machine is shared, wall time says more about
 * the neighbours than about us */
static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static double bench_render(struct rk_cardface_renderer *r, const struct rk_card_applicant *a)
{
	double t[RUNS];
	char err[RK_CARDFACE_ERROR_LEN];

	for (int i = 0; i < RUNS; i++) {
		struct rk_cardface *cf;
		double t0 = now_ms();

		if (rk_cardface_render(r, a, &cf, err) < 0) {
			fprintf(stderr, "bench-cardface: %s\n", err);
			exit(1);
		}
		t[i] = now_ms() - t0;
		rk_cardface_free(cf);
	}
	return bench_median(t, RUNS);
}

static double bench_png(struct rk_cardface_renderer *r, const struct rk_card_applicant *a,
		size_t *bytes)
{
	double t[RUNS];
	char err[RK_CARDFACE_ERROR_LEN];
	struct rk_cardface *cf;

	if (rk_cardface_render(r, a, &cf, err) < 0) {
		fprintf(stderr, "bench-cardface: %s\n", err);
		exit(1);
	}
	for (int i = 0; i < RUNS; i++) {
		unsigned char *png;
		double t0 = now_ms();

		if (rk_cardface_png(cf, RK_CARD_FRONT, &png, bytes) < 0)
			exit(1);
		t[i] = now_ms() - t0;
		free(png);
	}
	rk_cardface_free(cf);
	return bench_median(t, RUNS);
}

int main(void)
{
	struct rk_cardface_renderer *r;
	char err[RK_CARDFACE_ERROR_LEN];
	cairo_surface_t *s;
	uint8_t *jpg;
	size_t len, png_bytes;
	double normal, very_long, png;
	struct rk_card_applicant a, b;

	sample_images_make();
	a = sample_normal();
	b = sample_long();
	/* a camera-sized portrait for both: 3000 x 4000 (plain white) */
	if (sim_image_new(3000, 4000, false, &s) < 0 || sim_image_jpeg(s, 90, 300, &jpg, &len) < 0)
		return 1;
	cairo_surface_destroy(s);
	a.portrait = b.portrait = jpg;
	a.portrait_size = b.portrait_size = len;

	if (rk_cardface_renderer_new(NULL, &r, err) < 0) {
		fprintf(stderr, "bench-cardface: %s\n", err);
		return 1;
	}
	normal = bench_render(r, &a);
	very_long = bench_render(r, &b);
	png = bench_png(r, &a, &png_bytes);
	printf("card face, median CPU time of %d runs (3000 x 4000 JPEG portrait):\n", RUNS);
	printf("  render both sides, ordinary applicant  %8.1f ms\n", normal);
	printf("  render both sides, very long applicant %8.1f ms   ratio long/ordinary %.2f\n",
			very_long, very_long / normal);
	printf("  encode the front as PNG (%zu bytes) %8.1f ms   ratio PNG/render %.2f\n",
			png_bytes, png, png / normal);
	rk_cardface_renderer_free(r);
	free(jpg);
	sample_images_free();
	return 0;
}
