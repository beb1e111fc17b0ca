/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * rekam - device plugins
 *
 * jpeg.h - what camera-gphoto2 needs of a JPEG: its size (to check that the
 * camera sent a picture at all, and to describe the artifact), and a small
 * copy of it (the preview frame of a camera without live view). Both are
 * safe on any bytes and run on a worker thread.
 */
#pragma once

#include <stddef.h>

/* 0, or -EINVAL when @data is not a JPEG libjpeg can read. */
int jpeg_size(const void *data, size_t size, unsigned int *width, unsigned int *height);

/* A JPEG whose longer side is at most @max_side (DCT scaling, 1/2 to 1/8,
 * then a plain re-encode at quality 80); *@out is malloc()ed. 0 or -errno. */
int jpeg_shrink(const void *data, size_t size, unsigned int max_side, unsigned char **out,
		size_t *out_size, unsigned int *width, unsigned int *height);
