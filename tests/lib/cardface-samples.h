/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * rekam - test support
 *
 * cardface-samples.h - sample applicants and images for the card face test
 * and benchmark (cardface-samples.c). sample_images_make() draws and encodes
 * the images; the applicants point at them until sample_images_free().
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "daemon/cardface.h"

/* portraits: red 600 x 800 JPEG, blue 413 x 531 PNG, blue 900 x 500 PNG,
 * red 40 x 50 JPEG; signatures: 800 x 300 PNG, transparent or white ground */
extern uint8_t *red_jpeg, *blue_png, *wide_png, *tiny_jpeg, *sign_png, *sign_white;
extern size_t red_jpeg_size, blue_png_size, wide_png_size, tiny_jpeg_size, sign_png_size,
	sign_white_size;

void sample_images_make(void);
void sample_images_free(void);

/* Ordinary (red JPEG, transparent signature); very long everything (blue PNG,
 * white signature); only the required fields (no signature, a city). */
struct rk_card_applicant sample_normal(void);
struct rk_card_applicant sample_long(void);
struct rk_card_applicant sample_minimal(void);

/* A blue 600 x 800 portrait stored as EXIF @orientation (3, 4, 6 or 8) says:
 * turned or flipped, a malloc'ed JPEG. */
void sample_turned_portrait(int orientation, uint8_t **data, size_t *size);
