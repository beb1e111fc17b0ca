// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * rekam - KTP-el recording station daemon
 *
 * nik.c - validation of applicant data (see nik.h): the NIK and its parts,
 * one table of applicant fields with their size and character rules, and the
 * checks across fields (NIK against sex and birth date, age).
 */
#include <config.h>

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "daemon/nik.h"

#define DIGITS "0123456789"
#define LETTERS "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

const char *const rk_religions[] = { "islam", "protestant", "catholic", "hindu", "buddhist",
	"confucian", "belief", NULL };
const char *const rk_marital_statuses[] = { "single", "married", "divorced", "widowed", NULL };
const char *const rk_blood_types[] = { "A", "B", "AB", "O", "-", NULL };

const char *rk_sex_name(enum rk_sex sex)
{
	return sex == RK_SEX_MALE ? "male" : sex == RK_SEX_FEMALE ? "female" : "";
}

/* --- dates ----------------------------------------------------------------- */

static int days_in_month(int year, int month)
{
	static const int days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;

	return month == 2 && leap ? 29 : days[month - 1];
}

static int two(const char *s)
{
	return (s[0] - '0') * 10 + (s[1] - '0');
}

bool rk_date_parse(const char *s, int *year, int *month, int *day)
{
	int y, m, d;

	if (strlen(s) != 10 || strspn(s, DIGITS) != 4 || s[4] != '-' ||
			strspn(s + 5, DIGITS) != 2 || s[7] != '-' || strspn(s + 8, DIGITS) != 2)
		return false;
	y = two(s) * 100 + two(s + 2);
	m = two(s + 5);
	d = two(s + 8);
	if (y < 1900 || m < 1 || m > 12 || d < 1 || d > days_in_month(y, m))
		return false;
	*year = y;
	*month = m;
	*day = d;
	return true;
}

int rk_age_on(const char *birth, int y, int m, int d)
{
	int by, bm, bd, age;

	if (!rk_date_parse(birth, &by, &bm, &bd))
		return -1;
	age = y - by;
	if (m < bm || (m == bm && d < bd))
		age--;
	return age;
}

/* --- the NIK --------------------------------------------------------------- */

int rk_nik_parse(const char *nik, struct rk_nik_info *info, char *why, size_t size)
{
	struct rk_nik_info n = { 0 };
	size_t len = strlen(nik);
	int day;

	if (len != RK_NIK_LEN || strspn(nik, DIGITS) != RK_NIK_LEN) {
		snprintf(why, size, "a NIK is 16 digits, '%.20s%s' is not", nik,
			len > 20 ? "..." : "");
		return -EINVAL;
	}
	memcpy(n.region, nik, 6);
	if (rk_region_check(n.region, &n.province, &n.regency, why, size) < 0)
		return -EINVAL;

	day = two(nik + 6);
	n.month = two(nik + 8);
	n.yy = two(nik + 10);
	n.sex = day > 40 ? RK_SEX_FEMALE : RK_SEX_MALE;
	n.day = day > 40 ? day - 40 : day;
	/* The century is not in the NIK: 29 February needs a leap year, and
	 * 2000 is one, so a year ending in 00 may have it. */
	if (n.month < 1 || n.month > 12 || n.day < 1 ||
			n.day > days_in_month(n.yy == 0 ? 2000 : 1900 + n.yy, n.month)) {
		snprintf(why, size,
			"NIK %s: digits 7-12 (%.6s) are not a birth date DDMMYY (day + 40 for "
			"women)", nik, nik + 6);
		return -EINVAL;
	}
	n.serial = (unsigned int)(two(nik + 12) * 100 + two(nik + 14));
	if (n.serial == 0) {
		snprintf(why, size, "NIK %s: the serial number (last 4 digits) cannot be 0000",
			nik);
		return -EINVAL;
	}
	if (info)
		*info = n;
	return 0;
}

/* --- fields ---------------------------------------------------------------- */

enum rule {
	RULE_NIK,
	RULE_NAME,     /* letters, space ' . , - ; starts with a letter */
	RULE_PLACE,    /* letters, digits, space ' . - ( ) */
	RULE_ADDRESS,  /* letters, digits, space and . , / - ' ( ) # : */
	RULE_DATE,
	RULE_SEX,
	RULE_RTRW,     /* three digits, not 000 */
	RULE_CHOICE,
};

struct field {
	const char *key;
	size_t offset, size; /* of the char array in struct rk_applicant; size 0: sex */
	enum rule rule;
	size_t min;          /* fewest characters when present */
	bool required;
	const char *const *choices;
	const char *label;   /* for messages */
};

#define F(member) offsetof(struct rk_applicant, member), sizeof(((struct rk_applicant *)0)->member)

static const char *const citizenships[] = { "WNI", "WNA", NULL };

static const struct field fields[] = {
	{ "Nik", F(nik), RULE_NIK, 16, true, NULL, "the NIK" },
	{ "Name", F(name), RULE_NAME, 2, true, NULL, "the name" },
	{ "Sex", 0, 0, RULE_SEX, 4, true, NULL, "the sex" },
	{ "BirthPlace", F(birth_place), RULE_PLACE, 2, true, NULL, "the place of birth" },
	{ "BirthDate", F(birth_date), RULE_DATE, 10, true, NULL, "the date of birth" },
	{ "BloodType", F(blood_type), RULE_CHOICE, 1, false, rk_blood_types, "the blood type" },
	{ "Religion", F(religion), RULE_CHOICE, 1, true, rk_religions, "the religion" },
	{ "MaritalStatus", F(marital_status), RULE_CHOICE, 1, true, rk_marital_statuses,
		"the marital status" },
	{ "Occupation", F(occupation), RULE_PLACE, 2, false, NULL, "the occupation" },
	{ "Address", F(address), RULE_ADDRESS, 3, true, NULL, "the address" },
	{ "Rt", F(rt), RULE_RTRW, 3, true, NULL, "the RT" },
	{ "Rw", F(rw), RULE_RTRW, 3, true, NULL, "the RW" },
	{ "Village", F(village), RULE_PLACE, 2, true, NULL, "the village (kelurahan/desa)" },
	{ "District", F(district), RULE_PLACE, 2, true, NULL, "the district (kecamatan)" },
	{ "Citizenship", F(citizenship), RULE_CHOICE, 3, false, citizenships, "the citizenship" },
};

#define N_FIELDS (sizeof(fields) / sizeof(fields[0]))

const char *const rk_applicant_keys[] = { "Nik", "Name", "Sex", "BirthPlace", "BirthDate",
	"BloodType", "Religion", "MaritalStatus", "Occupation", "Address", "Rt", "Rw", "Village",
	"District", "Citizenship", NULL };

static const struct field *find_field(const char *key)
{
	for (size_t i = 0; i < N_FIELDS; i++)
		if (strcmp(fields[i].key, key) == 0)
			return &fields[i];
	return NULL;
}

static bool one_of(const char *value, const char *const *choices)
{
	for (; *choices; choices++)
		if (strcmp(value, *choices) == 0)
			return true;
	return false;
}

static void join(char *buf, size_t size, const char *const *choices)
{
	size_t len = 0;

	buf[0] = '\0';
	for (; *choices && len < size; choices++)
		len += (size_t)snprintf(buf + len, size - len, "%s%s", len ? ", " : "", *choices);
}

/* Only characters of @set, no leading, trailing or double space. */
static bool clean_text(const char *value, const char *set)
{
	size_t len = strlen(value);

	if (strspn(value, set) != len || value[0] == ' ' || (len && value[len - 1] == ' '))
		return false;
	return !strstr(value, "  ");
}

static int check_value(const struct field *f, const char *value, char *why, size_t size)
{
	size_t len = strlen(value), max = f->size ? f->size - 1 : 6;
	char list[128];
	int y, m, d;

	if (len < f->min || len > max) {
		if (f->min == max)
			snprintf(why, size, "%s must be %zu characters long", f->label, max);
		else
			snprintf(why, size, "%s must be %zu to %zu characters long", f->label,
				f->min, max);
		return -EINVAL;
	}
	switch (f->rule) {
	case RULE_NIK:
		return rk_nik_parse(value, NULL, why, size);
	case RULE_NAME:
		if (!strchr(LETTERS, value[0]) || !clean_text(value, LETTERS " '.,-")) {
			snprintf(why, size, "%s may only hold letters, spaces and ' . , - "
				"(starting with a letter, no double spaces)", f->label);
			return -EINVAL;
		}
		return 0;
	case RULE_PLACE:
		if (!strchr(LETTERS DIGITS, value[0]) ||
				!clean_text(value, LETTERS DIGITS " '.-()/")) {
			snprintf(why, size, "%s may only hold letters, digits, spaces and "
				"' . - ( ) / (starting with a letter or digit, no double spaces)",
				f->label);
			return -EINVAL;
		}
		return 0;
	case RULE_ADDRESS:
		if (!strchr(LETTERS DIGITS, value[0]) ||
				!clean_text(value, LETTERS DIGITS " .,/-'()#:")) {
			snprintf(why, size, "%s may only hold letters, digits, spaces and "
				". , / - ' ( ) # : (starting with a letter or digit, no double "
				"spaces)", f->label);
			return -EINVAL;
		}
		return 0;
	case RULE_DATE:
		if (!rk_date_parse(value, &y, &m, &d)) {
			snprintf(why, size, "%s must be a date YYYY-MM-DD from 1900 on, not '%s'",
				f->label, value);
			return -EINVAL;
		}
		return 0;
	case RULE_SEX:
		if (strcmp(value, "male") != 0 && strcmp(value, "female") != 0) {
			snprintf(why, size, "%s must be male or female", f->label);
			return -EINVAL;
		}
		return 0;
	case RULE_RTRW:
		if (strspn(value, DIGITS) != 3 || strcmp(value, "000") == 0) {
			snprintf(why, size, "%s must be three digits from 001 to 999", f->label);
			return -EINVAL;
		}
		return 0;
	case RULE_CHOICE:
		if (!one_of(value, f->choices)) {
			join(list, sizeof(list), f->choices);
			snprintf(why, size, "%s must be one of: %s", f->label, list);
			return -EINVAL;
		}
		return 0;
	}
	return -EINVAL;
}

int rk_applicant_set(struct rk_applicant *a, const char *key, const char *value, char *why,
		size_t size)
{
	const struct field *f = find_field(key);
	int err;

	if (!f) {
		snprintf(why, size, "unknown applicant field '%.40s'", key);
		return -EINVAL;
	}
	err = check_value(f, value, why, size);
	if (err < 0)
		return err;
	if (f->rule == RULE_SEX)
		a->sex = strcmp(value, "female") == 0 ? RK_SEX_FEMALE : RK_SEX_MALE;
	else
		memcpy((char *)a + f->offset, value, strlen(value) + 1);
	return 0;
}

const char *rk_applicant_get(const struct rk_applicant *a, const char *key)
{
	const struct field *f = find_field(key);

	if (!f)
		return "";
	if (f->rule == RULE_SEX)
		return rk_sex_name(a->sex);
	return (const char *)a + f->offset;
}

/* --- the whole applicant --------------------------------------------------- */

int rk_applicant_check(const struct rk_applicant *a, int y, int m, int d, char *why, size_t size)
{
	struct rk_nik_info n;
	int by, bm, bd, age;

	for (size_t i = 0; i < N_FIELDS; i++) {
		const struct field *f = &fields[i];
		const char *value = rk_applicant_get(a, f->key);

		if (!*value) {
			if (!f->required)
				continue;
			snprintf(why, size, "%s (%s) is missing", f->label, f->key);
			return -EINVAL;
		}
		if (check_value(f, value, why, size) < 0)
			return -EINVAL;
	}
	if (rk_nik_parse(a->nik, &n, why, size) < 0 ||
			!rk_date_parse(a->birth_date, &by, &bm, &bd))
		return -EINVAL;
	if (n.sex != a->sex) {
		snprintf(why, size, "NIK %s is a %s's (day %02d%s), but the sex given is %s",
			a->nik, n.sex == RK_SEX_FEMALE ? "woman" : "man", two(a->nik + 6),
			n.sex == RK_SEX_FEMALE ? ", 40 added" : " without 40 added",
			rk_sex_name(a->sex));
		return -EINVAL;
	}
	if (n.day != bd || n.month != bm || n.yy != by % 100) {
		snprintf(why, size, "NIK %s encodes the birth date %02d-%02d-..%02d, but the date "
			"of birth given is %s", a->nik, n.day, n.month, n.yy, a->birth_date);
		return -EINVAL;
	}
	age = rk_age_on(a->birth_date, y, m, d);
	if (age < 0 || by > y) {
		snprintf(why, size, "the date of birth %s is in the future", a->birth_date);
		return -EINVAL;
	}
	if (age < 17 && strcmp(a->marital_status, "single") == 0) {
		snprintf(why, size, "the applicant is %d: a KTP-el is for those aged 17 or "
			"more, or married", age);
		return -EINVAL;
	}
	if (age > 150) {
		snprintf(why, size, "the date of birth %s is more than 150 years ago",
			a->birth_date);
		return -EINVAL;
	}
	return 0;
}
