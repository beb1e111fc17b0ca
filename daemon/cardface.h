/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * rekam - KTP-el recording station daemon
 *
 * cardface.h - the printed face of a KTP-el: front and back of a CR-80 card
 * (85.6 x 54 mm) at 300 dpi, 1012 x 638 pixels, drawn with cairo and pango
 * from the applicant's fields, the portrait and the signature. The printer
 * gets exactly these images. Every text field has a box it must stay in:
 * a value that does not fit is first shrunk (down to a minimum size), then
 * wrapped (up to the field's line limit), and ellipsized only as the last
 * resort. rk_cardface_boxes() tells where each field went and how it was
 * fitted, so tests (and a person) can check that nothing overflows.
 * docs/card-face.md describes the layout and the rules.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include <cairo.h>

#define RK_CARDFACE_WIDTH 1012 /* px: 85.6 mm at 300 dpi */
#define RK_CARDFACE_HEIGHT 638 /* px: 54 mm at 300 dpi */
#define RK_CARDFACE_DPI 300
#define RK_CARDFACE_ERROR_LEN 256
#define RK_CARDFACE_FONT_DIR "/usr/share/fonts/truetype/dejavu"
#define RK_CARDFACE_MAX_IMAGE_BYTES ((size_t)16 << 20) /* portrait, signature */
#define RK_CARDFACE_MAX_IMAGE_SIDE 8192 /* px, either side of a decoded image */

/* What the second header line puts before the regency's name */
enum rk_card_regency_kind {
	RK_CARD_KABUPATEN, /* "KABUPATEN TAPIN" */
	RK_CARD_KOTA,      /* "KOTA BANJARMASIN" */
	RK_CARD_BARE,      /* the name alone, as DKI Jakarta's cities: "JAKARTA BARAT" */
};

enum rk_card_side {
	RK_CARD_FRONT,
	RK_CARD_BACK,
};

/*
 * What goes on the card, as it is to be printed (UTF-8; the caller decides
 * capitalisation). NULL or "" is allowed only where marked optional.
 */
struct rk_card_applicant {
	const char *province;      /* "KALIMANTAN SELATAN" -> "PROVINSI KALIMANTAN SELATAN" */
	const char *regency;       /* "TAPIN" -> "KABUPATEN TAPIN" (see regency_kind) */
	enum rk_card_regency_kind regency_kind;
	const char *nik;           /* 16 digits */
	const char *name;          /* Nama */
	const char *birth_place;   /* Tempat lahir */
	const char *birth_date;    /* Tgl lahir, DD-MM-YYYY */
	const char *sex;           /* "LAKI-LAKI" or "PEREMPUAN" */
	const char *blood_type;    /* optional: A, B, AB, O, + or - after; "-" if absent */
	const char *address;       /* Alamat (street, house number) */
	const char *rt_rw;         /* "003/002": 1 to 3 digits, slash, 1 to 3 digits */
	const char *village;       /* Kel/Desa */
	const char *district;      /* Kecamatan */
	const char *religion;      /* Agama */
	const char *marital_status; /* Status Perkawinan */
	const char *occupation;    /* Pekerjaan */
	const char *citizenship;   /* Kewarganegaraan: "WNI", or a country for residents */
	const char *valid_until;   /* optional: Berlaku Hingga, "SEUMUR HIDUP" if absent */
	const char *issue_place;   /* place of issue, printed under the photo */
	const char *issue_date;    /* date of issue, DD-MM-YYYY */
	const void *portrait;      /* JPEG or PNG bytes, any size; cropped to the photo box */
	size_t portrait_size;
	const void *signature;     /* optional: PNG (or JPEG) bytes, scaled into its box */
	size_t signature_size;
};

/* Where one field went on the card and how it was fitted (all in pixels). */
struct rk_cardface_box {
	const char *field;         /* "name", "address", ..., "portrait", "signature" */
	enum rk_card_side side;
	double x, y, w, h;         /* the area the field may use */
	double tx, ty, tw, th;     /* what it used: the text's logical extents, or the image */
	double ink_x, ink_y, ink_w, ink_h; /* the text's ink extents (== t* for images) */
	double size, base_size;    /* font size used and preferred (px); 0 for images */
	int lines, max_lines;      /* 0 for images */
	bool shrunk, wrapped, ellipsized;
};

struct rk_cardface_renderer;
struct rk_cardface;

/*
 * A renderer: the fonts of @font_dir (NULL: RK_CARDFACE_FONT_DIR, where
 * Debian's fonts-dejavu-core puts DejaVu Sans) in a private fontconfig
 * configuration, which also becomes the process's current one (so that no
 * library loads the system configuration and its user directories behind
 * it). It reads the system's font cache (/var/cache/fontconfig) when that is
 * current, and nothing under $HOME; a stale cache is rebuilt in memory and
 * written back only to /var/cache/fontconfig, and only where that is
 * writable. Renders are serialised by a lock inside, so one renderer may
 * serve any thread. 0, -ENOENT (the fonts are not there: @err says which),
 * -EINVAL (@font_dir not absolute), -ENOMEM.
 */
int rk_cardface_renderer_new(const char *font_dir, struct rk_cardface_renderer **out,
		char err[RK_CARDFACE_ERROR_LEN]);
void rk_cardface_renderer_free(struct rk_cardface_renderer *r);

/*
 * Check @a and draw both sides. 0; -EINVAL (a field missing or malformed, an
 * image that is not a readable JPEG or PNG: @err says which, in a sentence
 * for a person), -ENOMEM. Nothing is returned on error.
 */
int rk_cardface_render(struct rk_cardface_renderer *r, const struct rk_card_applicant *a,
		struct rk_cardface **out, char err[RK_CARDFACE_ERROR_LEN]);

/* Only the checks of rk_cardface_render(): 0 or -EINVAL with @err. */
int rk_cardface_validate(const struct rk_card_applicant *a, char err[RK_CARDFACE_ERROR_LEN]);

/* The side as a 1012 x 638 RGB24 cairo surface, owned by @cf. */
cairo_surface_t *rk_cardface_surface(const struct rk_cardface *cf, enum rk_card_side side);

/* The side as PNG (marked 300 dpi); *data is malloc'ed. 0, -ENOMEM, -EIO. */
int rk_cardface_png(const struct rk_cardface *cf, enum rk_card_side side, unsigned char **data,
		size_t *size);

/* Every field's box, front then back; @cf owns them. */
const struct rk_cardface_box *rk_cardface_boxes(const struct rk_cardface *cf, size_t *n);
/* The box of @field, NULL if there is none. */
const struct rk_cardface_box *rk_cardface_box(const struct rk_cardface *cf, const char *field);

void rk_cardface_free(struct rk_cardface *cf);

/* @image (PNG or JPEG) as a PNG on white, scaled down by thirds until it
 * is at most @max_bytes (the chip's DG7 for the signature). 0, -EINVAL
 * (not an image), -EFBIG (never fits), -ENOMEM. */
int rk_cardface_shrink_png(const void *image, size_t size, size_t max_bytes, unsigned char **out,
		size_t *out_size);
