/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * rekam - KTP-el recording station daemon
 *
 * photo-check.h - the checks a KTP-el portrait must pass before rekamd keeps
 * it (background colour by the applicant's birth year, sharpness, subject
 * centred, exposure), and the card portrait cut from it. Pure functions on
 * JPEG bytes: they run on a worker thread and touch nothing else.
 *
 * The picture is analysed at about 1000 pixels on its longer side (libjpeg's
 * DCT scaling: 1/1 to 1/8), so the thresholds mean the same for a 600x800
 * test image and a 6000x4000 DSLR picture:
 *  - background: the mean colour of the two top corners (12 % of the width,
 *    25 % of the height each); red when red dominates, blue when blue does;
 *  - subject: the pixels far from that colour; the head is the top 35 % of
 *    the subject's height, its centre the mean column of those pixels;
 *  - sharpness: the variance of the 4-neighbour Laplacian of the luminance
 *    over the head;
 *  - exposure: the mean luminance of the head, and how much of the picture
 *    is clipped to black or white.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

struct rk_config;

enum rk_photo_colour { RK_PHOTO_RED, RK_PHOTO_BLUE, RK_PHOTO_OTHER };

struct rk_photo_rules {
	enum rk_photo_colour background_odd;  /* odd birth years (KTP-el: red) */
	enum rk_photo_colour background_even; /* even birth years (KTP-el: blue) */
	double min_sharpness;                 /* 0: not checked */
	double max_off_centre;                /* fraction of the width; 0: not checked */
};

/* What the analysis found. */
struct rk_photo_report {
	unsigned int width, height;      /* of the picture */
	unsigned int aw, ah;             /* of the analysis image */
	enum rk_photo_colour background;
	bool uneven;                     /* the two corners disagree */
	double subject;                  /* fraction of the picture that is subject */
	double head_top;                 /* fraction of the height */
	double head_height;              /* fraction of the height */
	double centre_x;                 /* of the head, fraction of the width */
	double sharpness;
	double brightness;               /* head luminance, 0-255 */
	double clipped;                  /* fraction of pixels at 0-4 or 251-255 */
};

#define RK_PHOTO_WHY_SIZE 256

const char *rk_photo_colour_name(enum rk_photo_colour colour);

/* "red" or "blue"; -1 otherwise. */
int rk_photo_colour_parse(const char *text);

/* The rules of the [photo] section of @config. */
void rk_photo_rules_from_config(const struct rk_config *config, struct rk_photo_rules *rules);

/* Analyse a JPEG: 0, or -EINVAL when it is not one libjpeg can read (or it
 * is larger than 20000 pixels a side), -ENOMEM. */
int rk_photo_analyse(const void *jpeg, size_t size, struct rk_photo_report *report);

/*
 * Check a portrait of an applicant born in @birth_year against @rules.
 * 0: it passes; -EBADMSG: it fails, @why says why in a sentence an operator
 * can act on ("the background is blue, but applicants born in odd years
 * (1987) need red: ..."); -EINVAL: not a readable JPEG; -ENOMEM.
 */
int rk_photo_check(const struct rk_photo_rules *rules, int birth_year, const void *jpeg,
		size_t size, char why[RK_PHOTO_WHY_SIZE]);

/*
 * The card portrait: a 3:4 crop around the head (the head a little over half
 * its height, centred), scaled to @width x @height and encoded as a JPEG of
 * quality 90 into *@out (malloc()ed). 0 or -errno.
 */
int rk_photo_card_portrait(const void *jpeg, size_t size, unsigned int width, unsigned int height,
		unsigned char **out, size_t *out_size);
