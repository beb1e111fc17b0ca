// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * rekam - integration tests
 *
 * printer-card-faces.c - a helper of test-printer.sh: renders the front and
 * the back of the card face test's "very long" applicant with rekamd's own
 * renderer (daemon/cardface.c) and writes them as PNG to the two files
 * named on the command line, so the test prints exactly what rekamd renders.
 * Exit 0, 1 on an error (said on stderr), 77 when the fonts are missing.
 */
#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "daemon/cardface.h"
#include "tests/lib/cardface-samples.h"

static int save(const struct rk_cardface *cf, enum rk_card_side side, const char *path)
{
	unsigned char *png = NULL;
	size_t size = 0;
	FILE *f;
	int ok;

	if (rk_cardface_png(cf, side, &png, &size) < 0)
		return -1;
	f = fopen(path, "wb");
	ok = f && fwrite(png, 1, size, f) == size;
	if (f && fclose(f) != 0)
		ok = 0;
	free(png);
	if (!ok)
		perror(path);
	return ok ? 0 : -1;
}

int main(int argc, char **argv)
{
	char err[RK_CARDFACE_ERROR_LEN];
	struct rk_cardface_renderer *r = NULL;
	struct rk_cardface *cf = NULL;
	struct rk_card_applicant a;
	int r_err, status = 1;

	if (argc != 3) {
		fprintf(stderr, "usage: %s FRONT.png BACK.png\n", argv[0]);
		return 1;
	}
	r_err = rk_cardface_renderer_new(NULL, &r, err);
	if (r_err < 0) {
		fprintf(stderr, "%s\n", err);
		return r_err == -ENOENT ? 77 : 1;
	}
	sample_images_make();
	a = sample_long();
	if (rk_cardface_render(r, &a, &cf, err) < 0)
		fprintf(stderr, "%s\n", err);
	else if (save(cf, RK_CARD_FRONT, argv[1]) == 0 && save(cf, RK_CARD_BACK, argv[2]) == 0)
		status = 0;
	rk_cardface_free(cf);
	sample_images_free();
	rk_cardface_renderer_free(r);
	return status;
}
