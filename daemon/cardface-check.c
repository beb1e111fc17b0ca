// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * rekam - KTP-el recording station daemon
 *
 * cardface-check.c - what may be printed on a card: every field present
 * (unless optional), UTF-8 text without control characters and of a sane
 * length, a 16-digit NIK, dates as DD-MM-YYYY that exist, a known sex and
 * blood type, RT/RW as two numbers. The first problem found is described in
 * a sentence naming the field as the card does.
 */
#include <config.h>

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <glib.h>

#include "daemon/cardface-private.h"

#define MAX_CHARS 160 /* characters in any one field; the box decides what shows */

struct text_field {
	size_t offset;
	const char *what; /* for the error sentence */
	bool optional;
};

#define TEXT(member, what, optional) { offsetof(struct rk_card_applicant, member), what, optional }

static const struct text_field text_fields[] = {
	TEXT(province, "the province (Provinsi)", false),
	TEXT(regency, "the regency or city (Kabupaten/Kota)", false),
	TEXT(nik, "the NIK", false),
	TEXT(name, "the name (Nama)", false),
	TEXT(birth_place, "the place of birth (Tempat Lahir)", false),
	TEXT(birth_date, "the date of birth (Tgl Lahir)", false),
	TEXT(sex, "the sex (Jenis Kelamin)", false),
	TEXT(blood_type, "the blood type (Gol. Darah)", true),
	TEXT(address, "the address (Alamat)", false),
	TEXT(rt_rw, "the RT/RW", false),
	TEXT(village, "the village (Kel/Desa)", false),
	TEXT(district, "the district (Kecamatan)", false),
	TEXT(religion, "the religion (Agama)", false),
	TEXT(marital_status, "the marital status (Status Perkawinan)", false),
	TEXT(occupation, "the occupation (Pekerjaan)", false),
	TEXT(citizenship, "the citizenship (Kewarganegaraan)", false),
	TEXT(valid_until, "the validity (Berlaku Hingga)", true),
	TEXT(issue_place, "the place of issue", false),
	TEXT(issue_date, "the date of issue", false),
};

static const char *member(const struct rk_card_applicant *a, size_t offset)
{
	return *(const char *const *)((const char *)a + offset);
}

static bool blank(const char *s)
{
	for (; *s; s++)
		if (*s != ' ')
			return false;
	return true;
}

static int check_text(const char *s, const char *what, bool optional,
		char err[RK_CARDFACE_ERROR_LEN])
{
	if (!s || !*s || blank(s)) {
		if (optional)
			return 0;
		cf_error(err, "%c%s is missing.", g_ascii_toupper(what[0]), what + 1);
		return -EINVAL;
	}
	if (!g_utf8_validate(s, -1, NULL)) {
		cf_error(err, "%c%s is not UTF-8 text.", g_ascii_toupper(what[0]), what + 1);
		return -EINVAL;
	}
	for (const char *p = s; *p; p = g_utf8_next_char(p)) {
		gunichar c = g_utf8_get_char(p);

		if (g_unichar_iscntrl(c) || c == 0x2028 || c == 0x2029) {
			cf_error(err, "%c%s holds a control character or a line break.",
					g_ascii_toupper(what[0]), what + 1);
			return -EINVAL;
		}
	}
	if (g_utf8_strlen(s, -1) > MAX_CHARS) {
		cf_error(err, "%c%s is longer than %d characters.", g_ascii_toupper(what[0]),
				what + 1, MAX_CHARS);
		return -EINVAL;
	}
	return 0;
}

static bool digits(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!g_ascii_isdigit(s[i]))
			return false;
	return true;
}

/* DD-MM-YYYY, a day that exists, years 1900 to 2199 */
static bool date_ok(const char *s)
{
	int d, m, y;

	if (strlen(s) != 10 || s[2] != '-' || s[5] != '-' || !digits(s, 2) ||
			!digits(s + 3, 2) || !digits(s + 6, 4))
		return false;
	d = (s[0] - '0') * 10 + (s[1] - '0');
	m = (s[3] - '0') * 10 + (s[4] - '0');
	y = atoi(s + 6);
	return y >= 1900 && y < 2200 && m >= 1 && m <= 12 && d >= 1 &&
			d <= g_date_get_days_in_month((GDateMonth)m, (GDateYear)y);
}

/* 1 to 3 digits, a slash, 1 to 3 digits */
static bool rt_rw_ok(const char *s)
{
	size_t a = strspn(s, "0123456789"), b;

	if (a < 1 || a > 3 || s[a] != '/')
		return false;
	b = strspn(s + a + 1, "0123456789");
	return b >= 1 && b <= 3 && s[a + 1 + b] == '\0';
}

static bool blood_ok(const char *s)
{
	static const char *const types[] = { "A", "B", "AB", "O", "-" };

	for (size_t i = 0; i < G_N_ELEMENTS(types); i++) {
		size_t n = strlen(types[i]);

		if (strncmp(s, types[i], n) != 0)
			continue;
		if (s[n] == '\0' || (i < 4 && (s[n] == '+' || s[n] == '-') && s[n + 1] == '\0'))
			return true;
	}
	return false;
}

static int check_image(const void *data, size_t size, const char *what, bool optional,
		char err[RK_CARDFACE_ERROR_LEN])
{
	if (!data || size == 0) {
		if (optional)
			return 0;
		cf_error(err, "%c%s is missing.", g_ascii_toupper(what[0]), what + 1);
		return -EINVAL;
	}
	return 0;
}

int rk_cardface_validate(const struct rk_card_applicant *a, char err[RK_CARDFACE_ERROR_LEN])
{
	int rc;

	if (!a) {
		cf_error(err, "There is no applicant to print.");
		return -EINVAL;
	}
	for (size_t i = 0; i < G_N_ELEMENTS(text_fields); i++) {
		const struct text_field *f = &text_fields[i];

		rc = check_text(member(a, f->offset), f->what, f->optional, err);
		if (rc < 0)
			return rc;
	}
	if (a->regency_kind != RK_CARD_KABUPATEN && a->regency_kind != RK_CARD_KOTA &&
			a->regency_kind != RK_CARD_BARE) {
		cf_error(err, "The kind of regency must be KABUPATEN, KOTA or the name alone.");
		return -EINVAL;
	}
	if (strlen(a->nik) != 16 || !digits(a->nik, 16)) {
		cf_error(err, "The NIK must be 16 digits.");
		return -EINVAL;
	}
	if (!date_ok(a->birth_date)) {
		cf_error(err, "The date of birth (Tgl Lahir) must be a date written DD-MM-YYYY.");
		return -EINVAL;
	}
	if (!date_ok(a->issue_date)) {
		cf_error(err, "The date of issue must be a date written DD-MM-YYYY.");
		return -EINVAL;
	}
	if (strcmp(a->sex, "LAKI-LAKI") != 0 && strcmp(a->sex, "PEREMPUAN") != 0) {
		cf_error(err, "The sex (Jenis Kelamin) must be LAKI-LAKI or PEREMPUAN.");
		return -EINVAL;
	}
	if (a->blood_type && *a->blood_type && !blank(a->blood_type) && !blood_ok(a->blood_type)) {
		cf_error(err, "The blood type (Gol. Darah) must be A, B, AB or O (with + or - "
				"after it, or none), or - when it is not known.");
		return -EINVAL;
	}
	if (!rt_rw_ok(a->rt_rw)) {
		cf_error(err, "The RT/RW must be two numbers of up to 3 digits, like 003/012.");
		return -EINVAL;
	}
	rc = check_image(a->portrait, a->portrait_size, "the portrait", false, err);
	if (rc < 0)
		return rc;
	return check_image(a->signature, a->signature_size, "the signature", true, err);
}
