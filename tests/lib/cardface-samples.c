// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * rekam - test support
 *
 * cardface-samples.c - sample applicants for the card face tests and the
 * benchmark: an ordinary one, a very long one, one with only the required
 * fields; portraits drawn with cairo (a plain red or blue background, a head
 * and shoulders) as JPEG and PNG of several shapes, also stored turned with an
 * EXIF orientation; signatures on a transparent and on a white ground.
 */
#include <config.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "simulators/lib/sim.h"
#include "cardface-samples.h"

static void sample_fail(const char *why)
{
	printf("Bail out! %s\n", why);
	fflush(stdout);
	exit(99);
}

/* --- sample images ------------------------------------------------------------ */

/* A portrait: a plain background and a head and shoulders in the middle. */
static cairo_surface_t *portrait_surface(int w, int h, double r, double g, double b)
{
	cairo_surface_t *s;
	cairo_t *cr;

	if (sim_image_new(w, h, false, &s) < 0)
		sample_fail("no surface");
	cr = cairo_create(s);
	cairo_set_source_rgb(cr, r, g, b);
	cairo_paint(cr);
	cairo_set_source_rgb(cr, 0.85, 0.68, 0.55);
	cairo_save(cr);
	cairo_translate(cr, w / 2.0, h * 0.45);
	cairo_scale(cr, w * 0.17, h * 0.17);
	cairo_arc(cr, 0, 0, 1, 0, 2 * M_PI);
	cairo_restore(cr);
	cairo_fill(cr);
	cairo_set_source_rgb(cr, 0.1, 0.1, 0.12);
	cairo_rectangle(cr, w * 0.3, h * 0.45 + h * 0.17, w * 0.4, h);
	cairo_fill(cr);
	cairo_destroy(cr);
	return s;
}

static void portrait(int w, int h, double r, double g, double b, bool jpeg, uint8_t **data,
		size_t *size)
{
	cairo_surface_t *s = portrait_surface(w, h, r, g, b);

	if ((jpeg ? sim_image_jpeg(s, 92, 300, data, size) : sim_image_png(s, data, size)) < 0)
		sample_fail("cannot encode the portrait");
	cairo_surface_destroy(s);
}

/*
 * A portrait as a camera stores it when it was not held level: turned or
 * flipped, with the EXIF orientation that says how to show it (6: turn a
 * quarter clockwise; 8: a quarter anticlockwise, written little-endian;
 * 3: half a turn; 4: flip top to bottom).
 */
void sample_turned_portrait(int orientation, uint8_t **data, size_t *size)
{
	unsigned char app1[] = {
		0xff, 0xe1, 0x00, 0x22, 'E', 'x', 'i', 'f', 0, 0,
		'M', 'M', 0, 42, 0, 0, 0, 8,          /* TIFF header (big-endian), IFD0 at 8 */
		0, 1,                                 /* one entry */
		0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, 0, 0, 0, /* Orientation, SHORT, 1, (below) */
		0, 0, 0, 0,                           /* no next IFD */
	};
	cairo_surface_t *up = portrait_surface(600, 800, 0.12, 0.35, 0.80), *stored;
	bool quarter = orientation == 6 || orientation == 8;
	uint8_t *jpg, *out;
	size_t len;
	cairo_t *cr;

	app1[29] = (unsigned char)orientation;
	if (orientation == 8) { /* the same in little-endian ("II") byte order */
		static const unsigned char ii[] = { 'I', 'I', 42, 0, 8, 0, 0, 0, 1, 0, 0x12, 0x01,
			3, 0, 1, 0, 0, 0, 8, 0, 0, 0 };

		memcpy(app1 + 10, ii, sizeof(ii));
	}
	if (sim_image_new(quarter ? 800 : 600, quarter ? 600 : 800, false, &stored) < 0)
		sample_fail("no surface");
	cr = cairo_create(stored);
	if (orientation == 6) { /* stored turned a quarter anticlockwise */
		cairo_translate(cr, 0, 600);
		cairo_rotate(cr, -M_PI / 2);
	} else if (orientation == 8) {
		cairo_translate(cr, 800, 0);
		cairo_rotate(cr, M_PI / 2);
	} else if (orientation == 3) {
		cairo_translate(cr, 600, 800);
		cairo_rotate(cr, M_PI);
	} else if (orientation == 4) {
		cairo_translate(cr, 0, 800);
		cairo_scale(cr, 1, -1);
	}
	cairo_set_source_surface(cr, up, 0, 0);
	cairo_paint(cr);
	cairo_destroy(cr);
	if (sim_image_jpeg(stored, 92, 0, &jpg, &len) < 0)
		sample_fail("cannot encode the portrait");
	out = malloc(len + sizeof(app1));
	if (!out)
		sample_fail("out of memory");
	memcpy(out, jpg, 2); /* SOI */
	memcpy(out + 2, app1, sizeof(app1));
	memcpy(out + 2 + sizeof(app1), jpg + 2, len - 2);
	*data = out;
	*size = len + sizeof(app1);
	free(jpg);
	cairo_surface_destroy(up);
	cairo_surface_destroy(stored);
}

/* A signature: black strokes on a transparent or white ground. */
static void signature(bool alpha, uint8_t **data, size_t *size)
{
	cairo_surface_t *s;
	cairo_t *cr;

	if (sim_image_new(800, 300, alpha, &s) < 0)
		sample_fail("no surface");
	cr = cairo_create(s);
	cairo_set_source_rgb(cr, 0, 0, 0);
	cairo_set_line_width(cr, 9);
	cairo_move_to(cr, 40, 220);
	cairo_curve_to(cr, 200, 10, 260, 290, 380, 120);
	cairo_curve_to(cr, 460, 20, 560, 280, 760, 90);
	cairo_stroke(cr);
	cairo_destroy(cr);
	if (sim_image_png(s, data, size) < 0)
		sample_fail("cannot encode the signature");
	cairo_surface_destroy(s);
}

/* --- applicants --------------------------------------------------------------- */

uint8_t *red_jpeg, *blue_png, *wide_png, *tiny_jpeg, *sign_png, *sign_white;
size_t red_jpeg_size, blue_png_size, wide_png_size, tiny_jpeg_size, sign_png_size,
	sign_white_size;

struct rk_card_applicant sample_normal(void)
{
	return (struct rk_card_applicant){
		.province = "KALIMANTAN SELATAN",
		.regency = "TAPIN",
		.nik = "6305015708900001",
		.name = "SITI NURHALIZA",
		.birth_place = "RANTAU",
		.birth_date = "17-08-1990",
		.sex = "PEREMPUAN",
		.blood_type = "O",
		.address = "JL. BRIGJEN H. HASAN BASRY NO. 12",
		.rt_rw = "003/002",
		.village = "RANGDA MALINGKUNG",
		.district = "TAPIN UTARA",
		.religion = "ISLAM",
		.marital_status = "KAWIN",
		.occupation = "PEGAWAI NEGERI SIPIL",
		.citizenship = "WNI",
		.valid_until = "SEUMUR HIDUP",
		.issue_place = "TAPIN",
		.issue_date = "24-11-2026",
		.portrait = red_jpeg,
		.portrait_size = red_jpeg_size,
		.signature = sign_png,
		.signature_size = sign_png_size,
	};
}

struct rk_card_applicant sample_long(void)
{
	struct rk_card_applicant a = sample_normal();

	a.province = "KEPULAUAN BANGKA BELITUNG";
	a.regency = "KEPULAUAN SERIBU UTARA DAN SELATAN BAGIAN TIMUR";
	a.nik = "1901024408900002";
	a.name = "RADEN AJENG SRI WAHYUNINGSIH KUSUMAWARDHANI PURBONEGORO BINTI HAJI "
		 "MUHAMMAD ABDURRAHMAN";
	a.birth_place = "KABUPATEN KEPULAUAN BANGKA BELITUNG TIMUR";
	a.sex = "PEREMPUAN";
	a.blood_type = "AB+";
	a.address = "JL. JENDERAL TENTARA NASIONAL INDONESIA ANUMERTA ACHMAD YANI KM 17,5 "
		    "KOMPLEKS PERUMAHAN GRIYA PERMATA HIJAU INDAH BLOK C-12 NO. 345";
	a.rt_rw = "123/456";
	a.village = "KELURAHAN SUNGAI BERINGIN DALAM KANAN HULU SEBERANG";
	a.district = "KECAMATAN KEPULAUAN SELAT NASIK BAGIAN BARAT DAYA";
	a.religion = "KEPERCAYAAN TERHADAP TUHAN YANG MAHA ESA";
	a.marital_status = "CERAI MATI";
	a.occupation = "KARYAWAN BADAN USAHA MILIK NEGARA DAN DAERAH BIDANG PERTAMBANGAN";
	a.citizenship = "WNI";
	a.issue_place = "KEPULAUAN BANGKA BELITUNG UTARA";
	a.portrait = blue_png;
	a.portrait_size = blue_png_size;
	a.signature = sign_white;
	a.signature_size = sign_white_size;
	return a;
}

struct rk_card_applicant sample_minimal(void)
{
	struct rk_card_applicant a = sample_normal();

	a.blood_type = NULL;
	a.valid_until = NULL;
	a.signature = NULL;
	a.signature_size = 0;
	a.name = "ADI";
	a.regency_kind = RK_CARD_KOTA;
	a.regency = "BANJARMASIN";
	a.sex = "LAKI-LAKI";
	a.nik = "6371011708900003";
	return a;
}

void sample_images_make(void)
{
	portrait(600, 800, 0.80, 0.08, 0.10, true, &red_jpeg, &red_jpeg_size);
	portrait(413, 531, 0.12, 0.35, 0.80, false, &blue_png, &blue_png_size);
	portrait(900, 500, 0.12, 0.35, 0.80, false, &wide_png, &wide_png_size);
	portrait(40, 50, 0.80, 0.08, 0.10, true, &tiny_jpeg, &tiny_jpeg_size);
	signature(true, &sign_png, &sign_png_size);
	signature(false, &sign_white, &sign_white_size);
}

void sample_images_free(void)
{
	free(red_jpeg);
	free(blue_png);
	free(wide_png);
	free(tiny_jpeg);
	free(sign_png);
	free(sign_white);
}
