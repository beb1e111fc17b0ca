// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * rekam - KTP-el recording station daemon
 *
 * test-nik.c - unit tests of applicant validation (nik.c, regions.c): NIKs
 * valid and invalid in every part (length, characters, region, birth date
 * with +40 for women, serial), each applicant field with good and bad
 * values, and the checks across fields (NIK against sex and birth date, age).
 */
#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "daemon/nik.h"
#include "tap.h"

static char why[RK_WHY_SIZE];

static void nik_valid(const char *nik, const char *province, const char *regency, int sex,
		int day, int month, int yy, unsigned int serial)
{
	struct rk_nik_info n;
	int err = rk_nik_parse(nik, &n, why, sizeof(why));

	if (!tap_ok(err == 0, "NIK %s is valid", nik)) {
		tap_diag("  refused: %s", why);
		return;
	}
	tap_ok(strcmp(n.province, province) == 0 && (regency ? n.regency &&
		strcmp(n.regency, regency) == 0 : n.regency == NULL) && (int)n.sex == sex &&
		n.day == day && n.month == month && n.yy == yy && n.serial == serial,
		"... and says %s / %s, %s, %02d-%02d-%02d, serial %u", province,
		regency ? regency : "-", sex == RK_SEX_FEMALE ? "female" : "male", day, month, yy,
		serial);
}

static void nik_invalid(const char *nik, const char *reason_part, const char *what)
{
	int err = rk_nik_parse(nik, NULL, why, sizeof(why));

	tap_ok(err == -EINVAL, "NIK '%s' is refused: %s", nik, what);
	tap_contains(why, reason_part, "... saying '%s'", reason_part);
}

static void test_nik(void)
{
	nik_valid("6305014506900001", "Kalimantan Selatan", "Kabupaten Tapin", RK_SEX_FEMALE, 5,
		6, 90, 1);
	nik_valid("6305010506900001", "Kalimantan Selatan", "Kabupaten Tapin", RK_SEX_MALE, 5, 6,
		90, 1);
	nik_valid("6371057112999999", "Kalimantan Selatan", "Kota Banjarmasin", RK_SEX_FEMALE,
		31, 12, 99, 9999);
	nik_valid("6372010101000123", "Kalimantan Selatan", "Kota Banjarbaru", RK_SEX_MALE, 1, 1,
		0, 123);
	nik_valid("3174092902000001", "DKI Jakarta", NULL, RK_SEX_MALE, 29, 2, 0, 1);
	nik_valid("3174096902000001", "DKI Jakarta", NULL, RK_SEX_FEMALE, 29, 2, 0, 1);
	nik_valid("1101010101010001", "Aceh", NULL, RK_SEX_MALE, 1, 1, 1, 1);
	nik_valid("9601017112850010", "Papua Barat Daya", NULL, RK_SEX_FEMALE, 31, 12, 85, 10);
	nik_valid("6311990101900001", "Kalimantan Selatan", "Kabupaten Balangan", RK_SEX_MALE, 1,
		1, 90, 1);

	nik_invalid("630501450690001", "16 digits", "15 digits");
	nik_invalid("63050145069000012", "16 digits", "17 digits");
	nik_invalid("", "16 digits", "empty");
	nik_invalid("63050145069O0001", "16 digits", "a letter O");
	nik_invalid("6305 14506900001", "16 digits", "a space");
	nik_invalid("-305014506900001", "16 digits", "a sign");
	nik_invalid("2005014506900001", "no province 20", "unknown province 20");
	nik_invalid("0005014506900001", "no province 00", "province 00");
	nik_invalid("9905014506900001", "no province 99", "province 99");
	nik_invalid("6300014506900001", "regency 00", "regency 00");
	nik_invalid("6320014506900001", "no regency 6320", "a regency Kalimantan Selatan lacks");
	nik_invalid("6399014506900001", "no regency 6399", "regency 99 in Kalimantan Selatan");
	nik_invalid("6305004506900001", "district 00", "district 00");
	nik_invalid("6305010006900001", "birth date", "day 00");
	nik_invalid("6305014006900001", "birth date", "day 40 (a woman's day 0)");
	nik_invalid("6305013206900001", "birth date", "day 32");
	nik_invalid("6305017206900001", "birth date", "day 72 (a woman's 32)");
	nik_invalid("6305013106900001", "birth date", "31 June");
	nik_invalid("6305017106900001", "birth date", "31 June for a woman");
	nik_invalid("6305013002900001", "birth date", "30 February");
	nik_invalid("6305012902910001", "birth date", "29 February of a year ending 91");
	nik_invalid("6305010100900001", "birth date", "month 00");
	nik_invalid("6305010113900001", "birth date", "month 13");
	nik_invalid("6305019906900001", "birth date", "day 99");
	nik_invalid("6305014506900000", "0000", "serial 0000");
}

static void test_dates(void)
{
	int y, m, d;

	tap_ok(rk_date_parse("2000-02-29", &y, &m, &d) && y == 2000 && m == 2 && d == 29,
		"2000-02-29 is a date (2000 is a leap year)");
	tap_ok(!rk_date_parse("1900-02-29", &y, &m, &d), "1900-02-29 is not (1900 is not)");
	tap_ok(!rk_date_parse("2023-13-01", &y, &m, &d), "month 13 is not a date");
	tap_ok(!rk_date_parse("2023-1-01", &y, &m, &d), "one-digit month is refused");
	tap_ok(!rk_date_parse("1899-12-31", &y, &m, &d), "dates before 1900 are refused");
	tap_ok(!rk_date_parse("2023-04-31", &y, &m, &d), "31 April is not a date");
	tap_ok(!rk_date_parse("2023/04/01", &y, &m, &d), "slashes are refused");
	tap_ok(!rk_date_parse("2023-04-01 ", &y, &m, &d), "a trailing space is refused");
	tap_is_int(rk_age_on("2008-06-05", 2025, 6, 4), 16,
		"age on the day before the 17th birthday");
	tap_is_int(rk_age_on("2008-06-05", 2025, 6, 5), 17, "age on the 17th birthday");
	tap_is_int(rk_age_on("2000-02-29", 2017, 2, 28), 16, "a 29 February child is 16 on 28 Feb");
	tap_is_int(rk_age_on("2000-02-29", 2017, 3, 1), 17, "... and 17 on 1 March");
}

struct field_case {
	const char *key, *value;
	bool ok;
};

static const struct field_case field_cases[] = {
	{ "Name", "SITI AMINAH", true },
	{ "Name", "Muhammad Rizky Al-Banjari", true },
	{ "Name", "H. ABD. RAHMAN, S.Pd", true },
	{ "Name", "O'NEIL", true },
	{ "Name", "A", false },
	{ "Name", "", false },
	{ "Name", " SITI", false },
	{ "Name", "SITI ", false },
	{ "Name", "SITI  AMINAH", false },
	{ "Name", "SITI2", false },
	{ "Name", "-SITI", false },
	{ "Name", "SITI\tAMINAH", false },
	{ "Name", "SITI \xc3\xa9", false },
	{ "Name", "SITI;DROP", false },
	{ "Name", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", true },
	{ "Name", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", false },
	{ "Sex", "male", true },
	{ "Sex", "female", true },
	{ "Sex", "M", false },
	{ "Sex", "Female", false },
	{ "Sex", "", false },
	{ "BirthPlace", "Rantau", true },
	{ "BirthPlace", "Kota Baru (Pulau Laut)", true },
	{ "BirthPlace", "R", false },
	{ "BirthPlace", "Rantau!", false },
	{ "BirthDate", "1990-06-05", true },
	{ "BirthDate", "1990-6-5", false },
	{ "BirthDate", "05-06-1990", false },
	{ "BirthDate", "1990-02-30", false },
	{ "BloodType", "A", true },
	{ "BloodType", "AB", true },
	{ "BloodType", "O", true },
	{ "BloodType", "-", true },
	{ "BloodType", "C", false },
	{ "BloodType", "ab", false },
	{ "BloodType", "A+", false },
	{ "Religion", "islam", true },
	{ "Religion", "confucian", true },
	{ "Religion", "belief", true },
	{ "Religion", "Islam", false },
	{ "Religion", "none", false },
	{ "MaritalStatus", "single", true },
	{ "MaritalStatus", "widowed", true },
	{ "MaritalStatus", "kawin", false },
	{ "Occupation", "Petani/Pekebun", true },
	{ "Occupation", "Pegawai Negeri Sipil (PNS)", true },
	{ "Occupation", "x", false },
	{ "Address", "Jl. A. Yani Km. 5 No. 12/3", true },
	{ "Address", "Gg. Mawar #2, Blok C-4", true },
	{ "Address", "Jl", false },
	{ "Address", "Jl. A. Yani\n", false },
	{ "Address", "Jl. <script>", false },
	{ "Rt", "001", true },
	{ "Rt", "999", true },
	{ "Rt", "000", false },
	{ "Rt", "1", false },
	{ "Rt", "0001", false },
	{ "Rt", "01a", false },
	{ "Rw", "012", true },
	{ "Rw", "", false },
	{ "Village", "Rantau Kiwa", true },
	{ "Village", "R", false },
	{ "District", "Tapin Utara", true },
	{ "District", "Tapin_Utara", false },
	{ "Citizenship", "WNI", true },
	{ "Citizenship", "WNA", true },
	{ "Citizenship", "ID", false },
	{ "Nik", "6305014506900001", true },
	{ "Nik", "6305014506900000", false },
	{ "Colour", "red", false },
	{ "nik", "6305014506900001", false },
};

static void test_fields(void)
{
	for (size_t i = 0; i < sizeof(field_cases) / sizeof(field_cases[0]); i++) {
		const struct field_case *c = &field_cases[i];
		struct rk_applicant a = { 0 }, before;
		char shown[80];
		int err;

		strcpy(a.name, "BEFORE");
		before = a;
		err = rk_applicant_set(&a, c->key, c->value, why, sizeof(why));
		snprintf(shown, sizeof(shown), "%s", c->value);
		for (char *p = shown; *p; p++)
			if ((unsigned char)*p < ' ' || (unsigned char)*p > '~')
				*p = '?';
		if (c->ok) {
			if (!tap_ok(err == 0 && strcmp(rk_applicant_get(&a, c->key), c->value) == 0,
					"%s '%s' is accepted", c->key, shown))
				tap_diag("  refused: %s", why);
		} else {
			tap_ok(err == -EINVAL && *why && memcmp(&a, &before, sizeof(a)) == 0,
				"%s '%s' is refused, the applicant unchanged (%s)", c->key, shown,
				why);
		}
	}
}

static void fill(struct rk_applicant *a, const char *nik, const char *sex, const char *birth,
		const char *marital)
{
	static const char *const base[][2] = {
		{ "Name", "SITI AMINAH" }, { "BirthPlace", "Rantau" }, { "Religion", "islam" },
		{ "Address", "Jl. A. Yani No. 5" }, { "Rt", "001" }, { "Rw", "002" },
		{ "Village", "Rantau Kiwa" }, { "District", "Tapin Utara" },
		{ "BloodType", "O" }, { "Citizenship", "WNI" },
	};

	memset(a, 0, sizeof(*a));
	for (size_t i = 0; i < sizeof(base) / sizeof(base[0]); i++)
		if (rk_applicant_set(a, base[i][0], base[i][1], why, sizeof(why)) < 0)
			tap_bail("fill: %s", why);
	if (rk_applicant_set(a, "Nik", nik, why, sizeof(why)) < 0 ||
			rk_applicant_set(a, "Sex", sex, why, sizeof(why)) < 0 ||
			rk_applicant_set(a, "BirthDate", birth, why, sizeof(why)) < 0 ||
			rk_applicant_set(a, "MaritalStatus", marital, why, sizeof(why)) < 0)
		tap_bail("fill: %s", why);
}

static void whole(const char *nik, const char *sex, const char *birth, const char *marital,
		const char *expect_part, const char *what)
{
	struct rk_applicant a;
	int err;

	fill(&a, nik, sex, birth, marital);
	err = rk_applicant_check(&a, 2026, 11, 24, why, sizeof(why));
	if (!expect_part) {
		if (!tap_ok(err == 0, "applicant %s: %s", nik, what))
			tap_diag("  refused: %s", why);
		return;
	}
	tap_ok(err == -EINVAL, "applicant %s refused: %s", nik, what);
	tap_contains(why, expect_part, "... saying '%s'", expect_part);
}

static void test_whole(void)
{
	struct rk_applicant a = { 0 };

	whole("6305014506900001", "female", "1990-06-05", "married", NULL, "a woman of Tapin");
	whole("6305010506900001", "male", "1990-06-05", "single", NULL, "a man of Tapin");
	whole("6305010506900001", "female", "1990-06-05", "single", "sex given is female",
		"a man's NIK with sex female");
	whole("6305014506900001", "male", "1990-06-05", "single", "sex given is male",
		"a woman's NIK with sex male");
	whole("6305014506900001", "female", "1990-06-06", "married", "date of birth given",
		"birth day differs");
	whole("6305014506900001", "female", "1990-07-05", "married", "date of birth given",
		"birth month differs");
	whole("6305014506900001", "female", "1991-06-05", "married", "date of birth given",
		"birth year differs");
	whole("6305012411090001", "male", "2009-11-24", "single", NULL,
		"17 today: old enough");
	whole("6305012511090001", "male", "2009-11-25", "single", "aged 17 or more",
		"17 tomorrow and single: too young");
	whole("6305012511090001", "male", "2009-11-25", "married", NULL,
		"under 17 but married: eligible");
	whole("6305012511260001", "male", "2026-11-25", "married", "in the future",
		"born tomorrow");
	whole("6305014101100001", "female", "2010-01-01", "widowed", NULL,
		"under 17 and widowed: eligible (has been married)");
	whole("6305010101100001", "male", "2010-01-01", "single", "the applicant is 16",
		"16 and single: the age is in the message");

	fill(&a, "6305014506900001", "female", "1990-06-05", "married");
	a.address[0] = '\0';
	tap_ok(rk_applicant_check(&a, 2026, 11, 24, why, sizeof(why)) == -EINVAL &&
		strstr(why, "address (Address) is missing"), "a missing address is named (%s)",
		why);
	fill(&a, "6305014506900001", "female", "1990-06-05", "married");
	a.occupation[0] = '\0';
	a.blood_type[0] = '\0';
	tap_ok(rk_applicant_check(&a, 2026, 11, 24, why, sizeof(why)) == 0,
		"occupation and blood type are optional");
	fill(&a, "6305014506900001", "female", "1990-06-05", "married");
	a.sex = RK_SEX_UNSET;
	tap_ok(rk_applicant_check(&a, 2026, 11, 24, why, sizeof(why)) == -EINVAL &&
		strstr(why, "sex (Sex) is missing"), "a missing sex is named (%s)", why);
}

static void test_regions(void)
{
	const char *prov = NULL, *reg = NULL;

	tap_is_str(rk_region_province("63"), "Kalimantan Selatan", "province 63");
	tap_is_str(rk_region_province("31"), "DKI Jakarta", "province 31");
	tap_ok(rk_region_province("10") == NULL, "no province 10");
	tap_ok(rk_region_check("630512", &prov, &reg, why, sizeof(why)) == 0 &&
		strcmp(reg, "Kabupaten Tapin") == 0, "region 630512 is in Tapin");
	for (int r = 1; r <= 11; r++) {
		char code[8];

		snprintf(code, sizeof(code), "63%02d01", r);
		tap_ok(rk_region_check(code, NULL, NULL, why, sizeof(why)) == 0,
			"Kalimantan Selatan regency %.4s is known", code);
	}
	tap_ok(rk_region_check("631201", NULL, NULL, why, sizeof(why)) == -ENOENT,
		"Kalimantan Selatan has no regency 6312");
	tap_ok(rk_region_check("63a501", NULL, NULL, why, sizeof(why)) == -EINVAL,
		"a region code with a letter is refused");
}

int main(void)
{
	test_nik();
	test_dates();
	test_fields();
	test_whole();
	test_regions();
	return tap_done();
}
