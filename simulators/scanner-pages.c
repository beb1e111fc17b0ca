// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * rekam - device simulators
 *
 * scanner-pages.c - what rekam-sim-scanner scans: the applicant's papers of
 * the SOP's requirement list (form F1.02 on two pages, a family card copy, a
 * marriage certificate copy, a school diploma copy), carrying the
 * applicant's data, drawn with cairo on an A4 sheet that lies slightly
 * askew on the glass, with paper tone, dust and sensor noise like a scan.
 * The page is rendered for the job's scan region and resolution and encoded
 * as a JPEG (RGB, or one grey channel) with its dpi in the JFIF header; a
 * job that asks for PDF gets its JPEG pages wrapped in a PDF 1.4 document.
 * Everything random comes from the simulator's seeded generator.
 */
#include <config.h>

#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jpeglib.h>

#include "simulators/scanner.h"

#define A4_W 210.0
#define A4_H 297.0
#define MM_PER_UNIT (25.4 / 300.0)

static const char *const doc_names[DOC_N] = {
	[DOC_F102] = "f102",
	[DOC_KK] = "kk",
	[DOC_AKTA_NIKAH] = "akta_nikah",
	[DOC_IJAZAH] = "ijazah",
	[DOC_BLANK] = "blank",
};

const char *scanner_doc_name(enum scanner_doc doc)
{
	return doc < DOC_N ? doc_names[doc] : "?";
}

int scanner_doc_parse(const char *text, enum scanner_doc *doc)
{
	for (int i = 0; i < DOC_N; i++) {
		if (strcmp(text, doc_names[i]) == 0) {
			*doc = (enum scanner_doc)i;
			return 0;
		}
	}
	return -EINVAL;
}

unsigned int scanner_doc_pages(enum scanner_doc doc)
{
	return doc == DOC_F102 ? 2 : 1;
}

/* --- the applicant -------------------------------------------------------------- */

static const char *pick(struct sim_rng *rng, const char *const *list, size_t n)
{
	return list[sim_rng_below(rng, n)];
}

#define PICK(rng, list) pick(rng, list, sizeof(list) / sizeof(list[0]))

void scanner_applicant_fill(struct scanner *s)
{
	static const char *const men[] = { "AHMAD RIZKI", "MUHAMMAD NOOR", "BUDI SANTOSO",
		"RAHMAT HIDAYAT", "FAHRIZAL ANSARI", "HERI GUNAWAN" };
	static const char *const women[] = { "SITI AMINAH", "NOOR HALIMAH", "RINA MARLINA",
		"DEWI KARTIKA", "NURUL HASANAH", "FITRIANI" };
	static const char *const places[] = { "RANTAU", "TAPIN", "BANJARMASIN", "MARTAPURA",
		"KANDANGAN", "BINUANG" };
	static const char *const villages[] = { "RANTAU KIWA", "RANTAU KANAN", "BITAHAN",
		"PIANI", "TAMBARANGAN", "HATUNGUN" };
	static const char *const districts[] = { "TAPIN UTARA", "TAPIN SELATAN", "BINUANG",
		"BAKARANGAN", "PIANI", "HATUNGUN" };
	static const char *const streets[] = { "JL. BRIGJEN H. HASAN BASRY", "JL. MURAKATA",
		"JL. A. YANI KM 2", "JL. TUGU", "JL. KELURAHAN", "JL. PAHLAWAN" };
	static const char *const jobs[] = { "PELAJAR/MAHASISWA", "KARYAWAN SWASTA", "PETANI",
		"WIRASWASTA", "PEDAGANG", "GURU" };
	static const char *const schools[] = { "SMA NEGERI 1 RANTAU", "SMK NEGERI 1 RANTAU",
		"MAN 2 TAPIN", "SMA NEGERI 1 BINUANG" };
	struct scanner_applicant *a = &s->who;
	struct sim_rng rng;
	unsigned int day, month, year;

	sim_rng_seed(&rng, sim_seed(s->sim) ^ 0x6b7470656cULL);
	a->female = sim_rng_below(&rng, 2);
	day = (unsigned int)sim_rng_range(&rng, 1, 28);
	month = (unsigned int)sim_rng_range(&rng, 1, 12);
	year = (unsigned int)sim_rng_range(&rng, 1975, 2009);
	if (!a->name[0])
		snprintf(a->name, sizeof(a->name), "%s", a->female ? PICK(&rng, women) :
			PICK(&rng, men));
	if (!a->nik[0])
		snprintf(a->nik, sizeof(a->nik), "630501%02u%02u%02u%04u",
			day + (a->female ? 40 : 0), month, year % 100,
			(unsigned int)sim_rng_range(&rng, 1, 9999));
	snprintf(a->birth_place, sizeof(a->birth_place), "%s", PICK(&rng, places));
	snprintf(a->birth_date, sizeof(a->birth_date), "%02u-%02u-%04u", day, month, year);
	snprintf(a->address, sizeof(a->address), "%s NO. %u", PICK(&rng, streets),
		(unsigned int)sim_rng_range(&rng, 1, 120));
	snprintf(a->rt_rw, sizeof(a->rt_rw), "%03u/%03u", (unsigned int)sim_rng_range(&rng, 1, 12),
		(unsigned int)sim_rng_range(&rng, 1, 6));
	snprintf(a->village, sizeof(a->village), "%s", PICK(&rng, villages));
	snprintf(a->district, sizeof(a->district), "%s", PICK(&rng, districts));
	snprintf(a->religion, sizeof(a->religion), "%s", "ISLAM");
	snprintf(a->occupation, sizeof(a->occupation), "%s", PICK(&rng, jobs));
	snprintf(a->kk_number, sizeof(a->kk_number), "630501%010llu",
		(unsigned long long)sim_rng_below(&rng, 10000000000ULL));
	snprintf(a->father, sizeof(a->father), "%s", PICK(&rng, men));
	snprintf(a->mother, sizeof(a->mother), "%s", PICK(&rng, women));
	snprintf(a->spouse, sizeof(a->spouse), "%s", a->female ? PICK(&rng, men) :
		PICK(&rng, women));
	snprintf(a->school, sizeof(a->school), "%s", PICK(&rng, schools));
}

/* --- drawing helpers (millimetres on the sheet) --------------------------------- */

static void text(cairo_t *cr, double x, double y, double size, bool bold, const char *s)
{
	cairo_select_font_face(cr, "DejaVu Sans", CAIRO_FONT_SLANT_NORMAL,
		bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL);
	cairo_set_font_size(cr, size);
	cairo_move_to(cr, x, y);
	cairo_show_text(cr, s);
}

static void centred(cairo_t *cr, double y, double size, bool bold, const char *s)
{
	cairo_text_extents_t ext;

	cairo_select_font_face(cr, "DejaVu Sans", CAIRO_FONT_SLANT_NORMAL,
		bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL);
	cairo_set_font_size(cr, size);
	cairo_text_extents(cr, s, &ext);
	cairo_move_to(cr, (A4_W - ext.x_advance) / 2, y);
	cairo_show_text(cr, s);
}

static void rule(cairo_t *cr, double x0, double y0, double x1, double y1, double width)
{
	cairo_set_line_width(cr, width);
	cairo_move_to(cr, x0, y0);
	cairo_line_to(cr, x1, y1);
	cairo_stroke(cr);
}

/* A field of the F1.02 form: a label and the value in one box per letter. */
static void boxed_field(cairo_t *cr, double y, const char *label, const char *value,
		unsigned int boxes)
{
	const double x0 = 72, w = 4.6, h = 5.5;
	size_t n = strlen(value);
	char c[2] = "";

	text(cr, 18, y + 4, 3.0, false, label);
	text(cr, 68, y + 4, 3.0, false, ":");
	cairo_set_line_width(cr, 0.2);
	for (unsigned int i = 0; i < boxes; i++) {
		cairo_rectangle(cr, x0 + i * w, y, w, h);
		cairo_stroke(cr);
		if (i < n && value[i] != ' ') {
			c[0] = value[i];
			cairo_set_source_rgb(cr, 0.08, 0.12, 0.45); /* ballpoint */
			text(cr, x0 + i * w + 1.0, y + 4.3, 3.6, false, c);
			cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
		}
	}
}

static void signature(cairo_t *cr, struct sim_rng *rng, double x, double y)
{
	cairo_set_source_rgb(cr, 0.08, 0.12, 0.45);
	cairo_set_line_width(cr, 0.45);
	cairo_move_to(cr, x, y);
	for (int i = 0; i < 5; i++)
		cairo_rel_curve_to(cr, sim_rng_uniform(rng, 2, 6), sim_rng_uniform(rng, -9, -3),
			sim_rng_uniform(rng, 4, 9), sim_rng_uniform(rng, 3, 9),
			sim_rng_uniform(rng, 6, 10), sim_rng_uniform(rng, -2, 2));
	cairo_stroke(cr);
	cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
}

static void letterhead(cairo_t *cr, const char *office)
{
	cairo_arc(cr, 30, 26, 10, 0, 2 * M_PI); /* the regency's emblem */
	cairo_set_line_width(cr, 0.6);
	cairo_stroke(cr);
	cairo_arc(cr, 30, 26, 6, 0, 2 * M_PI);
	cairo_fill(cr);
	centred(cr, 20, 4.2, true, "PEMERINTAH KABUPATEN TAPIN");
	centred(cr, 27, 4.6, true, office);
	centred(cr, 33, 2.8, false, "Jl. Jenderal Sudirman No. 1, Rantau, Kalimantan Selatan 71111");
	rule(cr, 15, 38, A4_W - 15, 38, 0.8);
	rule(cr, 15, 39.2, A4_W - 15, 39.2, 0.25);
}

/* --- the documents -------------------------------------------------------------- */

static void draw_f102(cairo_t *cr, const struct scanner_applicant *a, unsigned int page,
		struct sim_rng *rng)
{
	char buf[160];
	double y;

	cairo_set_line_width(cr, 0.4);
	cairo_rectangle(cr, A4_W - 42, 10, 30, 9);
	cairo_stroke(cr);
	text(cr, A4_W - 37, 16.5, 4.2, true, "F-1.02");
	if (page == 0) {
		centred(cr, 30, 4.6, true, "FORMULIR BIODATA PENDUDUK");
		centred(cr, 36, 4.6, true, "WARGA NEGARA INDONESIA");
		text(cr, 18, 50, 3.0, false, "PROVINSI        : 63  KALIMANTAN SELATAN");
		text(cr, 18, 56, 3.0, false, "KABUPATEN/KOTA  : 05  TAPIN");
		snprintf(buf, sizeof(buf), "KECAMATAN       : %s", a->district);
		text(cr, 18, 62, 3.0, false, buf);
		snprintf(buf, sizeof(buf), "DESA/KELURAHAN  : %s", a->village);
		text(cr, 18, 68, 3.0, false, buf);
		cairo_rectangle(cr, 15, 74, A4_W - 30, 7);
		cairo_set_source_rgb(cr, 0.85, 0.85, 0.85);
		cairo_fill(cr);
		cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
		text(cr, 18, 79, 3.4, true, "I. DATA INDIVIDU");
		y = 86;
		boxed_field(cr, y, "1. Nomor Kartu Keluarga", a->kk_number, 16);
		boxed_field(cr, y += 9, "2. NIK", a->nik, 16);
		boxed_field(cr, y += 9, "3. Nama Lengkap", a->name, 26);
		boxed_field(cr, y += 9, "4. Jenis Kelamin", a->female ? "PEREMPUAN" : "LAKI-LAKI",
			10);
		boxed_field(cr, y += 9, "5. Tempat Lahir", a->birth_place, 20);
		boxed_field(cr, y += 9, "6. Tanggal Lahir", a->birth_date, 10);
		boxed_field(cr, y += 9, "7. Agama", a->religion, 12);
		boxed_field(cr, y += 9, "8. Pekerjaan", a->occupation, 20);
		boxed_field(cr, y += 9, "9. Alamat", a->address, 26);
		boxed_field(cr, y += 9, "10. RT/RW", a->rt_rw, 7);
		boxed_field(cr, y += 9, "11. Status Perkawinan", "BELUM KAWIN", 12);
		boxed_field(cr, y += 9, "12. Golongan Darah", "O", 3);
		boxed_field(cr, y += 9, "13. Kewarganegaraan", "WNI", 3);
		text(cr, 18, 285, 2.6, false, "Halaman 1 dari 2 - lanjutan di balik");
		return;
	}
	cairo_rectangle(cr, 15, 30, A4_W - 30, 7);
	cairo_set_source_rgb(cr, 0.85, 0.85, 0.85);
	cairo_fill(cr);
	cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
	text(cr, 18, 35, 3.4, true, "II. DATA ORANG TUA");
	y = 42;
	boxed_field(cr, y, "14. Nama Ayah", a->father, 26);
	boxed_field(cr, y += 9, "15. Nama Ibu", a->mother, 26);
	cairo_rectangle(cr, 15, 66, A4_W - 30, 7);
	cairo_set_source_rgb(cr, 0.85, 0.85, 0.85);
	cairo_fill(cr);
	cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
	text(cr, 18, 71, 3.4, true, "III. PERNYATAAN");
	text(cr, 18, 82, 3.0, false, "Dengan ini saya menyatakan bahwa data yang saya isikan di atas");
	text(cr, 18, 88, 3.0, false, "adalah benar. Apabila di kemudian hari ternyata tidak benar, saya");
	text(cr, 18, 94, 3.0, false, "bersedia menerima sanksi sesuai peraturan perundang-undangan.");
	snprintf(buf, sizeof(buf), "Rantau, %s", "24-11-2026");
	text(cr, 130, 115, 3.0, false, buf);
	text(cr, 130, 121, 3.0, false, "Pemohon,");
	signature(cr, rng, 132, 138);
	text(cr, 130, 150, 3.0, true, a->name);
	text(cr, 18, 121, 3.0, false, "Mengetahui, Kepala Desa/Lurah");
	signature(cr, rng, 22, 138);
	text(cr, 18, 150, 3.0, false, "(..............................)");
	text(cr, 18, 285, 2.6, false, "Halaman 2 dari 2");
}

static void draw_kk(cairo_t *cr, const struct scanner_applicant *a)
{
	static const double cols[] = { 15, 23, 70, 112, 130, 158, 195 };
	static const char *const heads[] = { "No", "Nama Lengkap", "NIK", "L/P", "Tempat Lahir",
		"Tgl Lahir" };
	const char *rows[3][6] = {
		{ "1", a->father, "6305010101700001", "L", a->birth_place, "01-01-1970" },
		{ "2", a->mother, "6305014202720002", "P", a->birth_place, "02-02-1972" },
		{ "3", a->name, a->nik, a->female ? "P" : "L", a->birth_place, a->birth_date },
	};
	char buf[160];
	double y;

	letterhead(cr, "DINAS KEPENDUDUKAN DAN PENCATATAN SIPIL");
	centred(cr, 52, 6.0, true, "KARTU KELUARGA");
	snprintf(buf, sizeof(buf), "No. %s", a->kk_number);
	centred(cr, 59, 4.0, true, buf);
	snprintf(buf, sizeof(buf), "Nama Kepala Keluarga : %s", a->father);
	text(cr, 15, 70, 3.0, false, buf);
	snprintf(buf, sizeof(buf), "Alamat               : %s RT/RW %s", a->address, a->rt_rw);
	text(cr, 15, 76, 3.0, false, buf);
	snprintf(buf, sizeof(buf), "Desa/Kelurahan       : %s   Kecamatan: %s", a->village,
		a->district);
	text(cr, 15, 82, 3.0, false, buf);
	y = 90;
	cairo_set_line_width(cr, 0.3);
	for (int r = 0; r <= 4; r++)
		rule(cr, cols[0], y + r * 8, cols[6], y + r * 8, 0.3);
	for (int c = 0; c < 7; c++)
		rule(cr, cols[c], y, cols[c], y + 32, 0.3);
	for (int c = 0; c < 6; c++)
		text(cr, cols[c] + 1.5, y + 5.5, 2.8, true, heads[c]);
	for (int r = 0; r < 3; r++)
		for (int c = 0; c < 6; c++)
			text(cr, cols[c] + 1.5, y + 8 * (r + 1) + 5.5, 2.6, false, rows[r][c]);
	text(cr, 130, 150, 3.0, false, "Rantau, 03-05-2021");
	text(cr, 130, 156, 3.0, false, "KEPALA DINAS,");
	cairo_set_source_rgb(cr, 0.25, 0.3, 0.6); /* the office stamp */
	cairo_arc(cr, 150, 170, 11, 0, 2 * M_PI);
	cairo_set_line_width(cr, 0.8);
	cairo_stroke(cr);
	cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
	text(cr, 128, 186, 3.0, true, "Drs. H. SYAMSUL ARIFIN");
}

static void draw_akta_nikah(cairo_t *cr, const struct scanner_applicant *a, struct sim_rng *rng)
{
	char buf[160];

	centred(cr, 28, 4.0, true, "KEMENTERIAN AGAMA REPUBLIK INDONESIA");
	centred(cr, 48, 6.4, true, "KUTIPAN AKTA NIKAH");
	snprintf(buf, sizeof(buf), "Nomor: %04llu/%03llu/V/2024",
		(unsigned long long)sim_rng_below(rng, 10000),
		(unsigned long long)sim_rng_below(rng, 1000));
	centred(cr, 56, 3.4, false, buf);
	text(cr, 25, 75, 3.2, false, "Pada hari ini telah dilangsungkan akad nikah antara:");
	snprintf(buf, sizeof(buf), "Suami : %s", a->female ? a->spouse : a->name);
	text(cr, 30, 88, 3.6, true, buf);
	snprintf(buf, sizeof(buf), "Istri : %s", a->female ? a->name : a->spouse);
	text(cr, 30, 97, 3.6, true, buf);
	text(cr, 25, 112, 3.2, false, "di Kantor Urusan Agama Kecamatan Tapin Utara, Kabupaten Tapin.");
	text(cr, 130, 150, 3.0, false, "Penghulu,");
	signature(cr, rng, 132, 168);
	cairo_set_line_width(cr, 1.2);
	cairo_rectangle(cr, 10, 10, A4_W - 20, A4_H - 20);
	cairo_stroke(cr);
}

static void draw_ijazah(cairo_t *cr, const struct scanner_applicant *a, struct sim_rng *rng)
{
	char buf[160];

	cairo_set_line_width(cr, 2.0);
	cairo_set_source_rgb(cr, 0.45, 0.35, 0.15);
	cairo_rectangle(cr, 12, 12, A4_W - 24, A4_H - 24);
	cairo_stroke(cr);
	cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
	centred(cr, 40, 4.0, true, "KEMENTERIAN PENDIDIKAN DAN KEBUDAYAAN");
	centred(cr, 62, 9.0, true, "IJAZAH");
	centred(cr, 72, 4.2, true, "SEKOLAH MENENGAH ATAS");
	centred(cr, 92, 3.4, false, "Yang bertanda tangan di bawah ini menerangkan bahwa:");
	centred(cr, 106, 5.2, true, a->name);
	snprintf(buf, sizeof(buf), "lahir di %s, %s", a->birth_place, a->birth_date);
	centred(cr, 116, 3.4, false, buf);
	snprintf(buf, sizeof(buf), "NISN %010llu", (unsigned long long)sim_rng_below(rng,
		10000000000ULL));
	centred(cr, 124, 3.4, false, buf);
	centred(cr, 140, 6.0, true, "L U L U S");
	snprintf(buf, sizeof(buf), "dari %s", a->school);
	centred(cr, 152, 3.6, false, buf);
	cairo_set_line_width(cr, 0.3);
	cairo_rectangle(cr, 40, 180, 30, 40); /* 3x4 photo */
	cairo_stroke(cr);
	text(cr, 120, 190, 3.2, false, "Kepala Sekolah,");
	signature(cr, rng, 122, 210);
}

static void draw_sheet(cairo_t *cr, const struct scanner_applicant *a, enum scanner_doc doc,
		unsigned int page, struct sim_rng *rng)
{
	cairo_set_source_rgb(cr, 0.99, 0.985, 0.965); /* paper */
	cairo_rectangle(cr, 0, 0, A4_W, A4_H);
	cairo_fill(cr);
	cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
	switch (doc) {
	case DOC_F102:
		draw_f102(cr, a, page, rng);
		break;
	case DOC_KK:
		draw_kk(cr, a);
		break;
	case DOC_AKTA_NIKAH:
		draw_akta_nikah(cr, a, rng);
		break;
	case DOC_IJAZAH:
		draw_ijazah(cr, a, rng);
		break;
	default:
		break;
	}
}

/* --- the scan --------------------------------------------------------------------- */

/* Sensor noise and dust on the rendered pixels (0x00RRGGBB words); the
 * control socket's `quality N` below 100 makes the sensor noisier. */
static void add_noise(cairo_surface_t *surface, struct sim_rng *rng, int quality)
{
	int spread = 8 + (100 - quality) / 2; /* of the noise, in levels */
	unsigned char *px = cairo_image_surface_get_data(surface);
	int w = cairo_image_surface_get_width(surface), h = cairo_image_surface_get_height(surface);
	int stride = cairo_image_surface_get_stride(surface);
	uint64_t state = sim_rng_next(rng);
	long dust = (long)w * h / 20000 + 3;

	for (int y = 0; y < h; y++) {
		uint32_t *row = (uint32_t *)(px + (size_t)y * stride);

		for (int x = 0; x < w; x++) {
			int n, c[3];

			state = state * 6364136223846793005ULL + 1442695040888963407ULL;
			n = (int)((state >> 40) % (uint64_t)spread) - spread / 2;
			for (int i = 0; i < 3; i++) {
				c[i] = (int)((row[x] >> (16 - 8 * i)) & 0xff) + n;
				c[i] = c[i] < 0 ? 0 : c[i] > 255 ? 255 : c[i];
			}
			row[x] = (uint32_t)c[0] << 16 | (uint32_t)c[1] << 8 | (uint32_t)c[2];
		}
	}
	while (dust-- > 0) {
		int x = (int)sim_rng_below(rng, (uint64_t)w), y = (int)sim_rng_below(rng, (uint64_t)h);
		uint32_t v = (uint32_t)sim_rng_range(rng, 40, 140);

		((uint32_t *)(px + (size_t)y * stride))[x] = v << 16 | v << 8 | v;
	}
	cairo_surface_mark_dirty(surface);
}

struct jpeg_failure {
	struct jpeg_error_mgr mgr;
	jmp_buf jump;
};

static void jpeg_fail(j_common_ptr cinfo)
{
	longjmp(((struct jpeg_failure *)cinfo->err)->jump, 1);
}

/* Encode RGB24 pixels as a JPEG, in colour or as one grey channel. */
static int encode(cairo_surface_t *surface, enum scanner_mode mode, unsigned int xres,
		unsigned int yres, uint8_t **data, size_t *len)
{
	const unsigned char *px = cairo_image_surface_get_data(surface);
	int w = cairo_image_surface_get_width(surface), h = cairo_image_surface_get_height(surface);
	int stride = cairo_image_surface_get_stride(surface), comps = mode == MODE_COLOR ? 3 : 1;
	struct jpeg_compress_struct cinfo;
	struct jpeg_failure failure;
	unsigned char *out = NULL;
	unsigned long out_len = 0;
	unsigned char *row = malloc((size_t)w * 3);

	if (!row)
		return -ENOMEM;
	cinfo.err = jpeg_std_error(&failure.mgr);
	failure.mgr.error_exit = jpeg_fail;
	if (setjmp(failure.jump)) {
		jpeg_destroy_compress(&cinfo);
		free(out);
		free(row);
		return -EIO;
	}
	jpeg_create_compress(&cinfo);
	jpeg_mem_dest(&cinfo, &out, &out_len);
	cinfo.image_width = (JDIMENSION)w;
	cinfo.image_height = (JDIMENSION)h;
	cinfo.input_components = comps;
	cinfo.in_color_space = comps == 3 ? JCS_RGB : JCS_GRAYSCALE;
	jpeg_set_defaults(&cinfo);
	jpeg_set_quality(&cinfo, SCANNER_JPEG_QUALITY, TRUE);
	cinfo.density_unit = 1;
	cinfo.X_density = (UINT16)xres;
	cinfo.Y_density = (UINT16)yres;
	jpeg_start_compress(&cinfo, TRUE);
	while (cinfo.next_scanline < cinfo.image_height) {
		const uint32_t *src = (const uint32_t *)(px + (size_t)cinfo.next_scanline * stride);
		JSAMPROW rows[1] = { row };

		for (int x = 0; x < w; x++) {
			unsigned int r = (src[x] >> 16) & 0xff, g = (src[x] >> 8) & 0xff,
				     b = src[x] & 0xff, l = (77 * r + 150 * g + 29 * b) >> 8;

			if (mode == MODE_COLOR) {
				row[3 * x] = (unsigned char)r;
				row[3 * x + 1] = (unsigned char)g;
				row[3 * x + 2] = (unsigned char)b;
			} else {
				row[x] = mode == MODE_GRAY ? (unsigned char)l : l < 140 ? 0 : 255;
			}
		}
		jpeg_write_scanlines(&cinfo, rows, 1);
	}
	jpeg_finish_compress(&cinfo);
	jpeg_destroy_compress(&cinfo);
	free(row);
	*data = out;
	*len = out_len;
	return 0;
}

int scanner_page_scan(struct scanner *s, const struct scanner_job *job, enum scanner_doc doc,
		unsigned int page, uint8_t **data, size_t *len)
{
	struct sim_rng *rng = sim_rng(s->sim);
	unsigned int w = (unsigned int)((uint64_t)job->width * job->xres / 300);
	unsigned int h = (unsigned int)((uint64_t)job->height * job->yres / 300);
	double angle = sim_rng_normal(rng, 0, 0.35) * M_PI / 180; /* askew on the glass */
	double dx = sim_rng_uniform(rng, 0.5, 2.5), dy = sim_rng_uniform(rng, 0.5, 2.5);
	cairo_surface_t *surface;
	cairo_t *cr;
	int r;

	if (!w || !h)
		return -EINVAL;
	r = sim_image_new((int)w, (int)h, false, &surface);
	if (r < 0)
		return r;
	cr = cairo_create(surface);
	cairo_set_source_rgb(cr, 0.93, 0.93, 0.92); /* the lid beyond the sheet */
	cairo_paint(cr);
	/* millimetres, from the corner of the scan region */
	cairo_scale(cr, job->xres / 25.4, job->yres / 25.4);
	cairo_translate(cr, -(double)job->x * MM_PER_UNIT + dx, -(double)job->y * MM_PER_UNIT + dy);
	cairo_translate(cr, A4_W / 2, A4_H / 2);
	cairo_rotate(cr, angle);
	cairo_translate(cr, -A4_W / 2, -A4_H / 2);
	draw_sheet(cr, &s->who, doc, page, rng);
	r = cairo_status(cr) == CAIRO_STATUS_SUCCESS ? 0 : -ENOMEM;
	cairo_destroy(cr);
	if (!r) {
		cairo_surface_flush(surface);
		add_noise(surface, rng, sim_quality(s->sim));
		r = encode(surface, job->mode, job->xres, job->yres, data, len);
	}
	cairo_surface_destroy(surface);
	return r;
}

int scanner_pdf(const struct scanner_job *job, uint8_t *const *jpegs, const size_t *lens,
		unsigned int n, uint8_t **data, size_t *len)
{
	unsigned int w = (unsigned int)((uint64_t)job->width * job->xres / 300);
	unsigned int h = (unsigned int)((uint64_t)job->height * job->yres / 300);
	double pw = job->width * 72.0 / 300, ph = job->height * 72.0 / 300;
	long *offset = calloc(3 + 3 * n, sizeof(*offset));
	char *buf = NULL;
	size_t size = 0;
	long xref;
	FILE *f;

	if (!offset || !(f = open_memstream(&buf, &size))) {
		free(offset);
		return -ENOMEM;
	}
	fputs("%PDF-1.4\n", f);
	offset[1] = ftell(f);
	fputs("1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n", f);
	offset[2] = ftell(f);
	fputs("2 0 obj\n<< /Type /Pages /Kids [", f);
	for (unsigned int i = 0; i < n; i++)
		fprintf(f, " %u 0 R", 3 + 3 * i);
	fprintf(f, " ] /Count %u >>\nendobj\n", n);
	for (unsigned int i = 0; i < n; i++) {
		unsigned int o = 3 + 3 * i;
		char content[80];
		int clen = snprintf(content, sizeof(content), "q %.2f 0 0 %.2f 0 0 cm /P Do Q\n",
			pw, ph);

		offset[o] = ftell(f);
		fprintf(f, "%u 0 obj\n<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %.2f %.2f] "
			"/Resources << /XObject << /P %u 0 R >> >> /Contents %u 0 R >>\nendobj\n",
			o, pw, ph, o + 2, o + 1);
		offset[o + 1] = ftell(f);
		fprintf(f, "%u 0 obj\n<< /Length %d >>\nstream\n%sendstream\nendobj\n", o + 1,
			clen, content);
		offset[o + 2] = ftell(f);
		fprintf(f, "%u 0 obj\n<< /Type /XObject /Subtype /Image /Width %u /Height %u "
			"/ColorSpace /%s /BitsPerComponent 8 /Filter /DCTDecode /Length %zu >>\n"
			"stream\n", o + 2, w, h, job->mode == MODE_COLOR ? "DeviceRGB" :
			"DeviceGray", lens[i]);
		fwrite(jpegs[i], 1, lens[i], f);
		fputs("\nendstream\nendobj\n", f);
	}
	xref = ftell(f);
	fprintf(f, "xref\n0 %u\n0000000000 65535 f \n", 3 + 3 * n);
	for (unsigned int i = 1; i < 3 + 3 * n; i++)
		fprintf(f, "%010ld 00000 n \n", offset[i]);
	fprintf(f, "trailer\n<< /Size %u /Root 1 0 R >>\nstartxref\n%ld\n%%%%EOF\n", 3 + 3 * n,
		xref);
	free(offset);
	if (fclose(f) != 0) {
		free(buf);
		return -ENOMEM;
	}
	*data = (uint8_t *)buf;
	*len = size;
	return 0;
}
