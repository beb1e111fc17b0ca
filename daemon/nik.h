/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * rekam - KTP-el recording station daemon
 *
 * nik.h - validation of an applicant's data, in one place: the NIK (Nomor
 * Induk Kependudukan: a known region code, the birth date with 40 added to
 * the day for women, a serial that is not 0000), the name, sex, place and
 * date of birth, blood type, religion, marital status, occupation and the
 * address fields. Every check explains a refusal in one sentence for a
 * person; nothing here keeps state. The region table (regions.c) is partial,
 * see docs/pipeline.md.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#define RK_NIK_LEN 16
#define RK_WHY_SIZE 256 /* room for any refusal sentence of this module */

enum rk_sex { RK_SEX_UNSET, RK_SEX_MALE, RK_SEX_FEMALE };

/* What a NIK says by itself. */
struct rk_nik_info {
	char region[7];       /* "630501": province, regency, district */
	const char *province; /* name from the region table */
	const char *regency;  /* name; NULL when the table lacks the province's regencies */
	enum rk_sex sex;      /* day > 40: female */
	int day, month, yy;   /* birth date as encoded (day without the 40) */
	unsigned int serial;  /* 1..9999 */
};

/* One applicant as the front office enters it (SIAK form F1.02). Strings are
 * ASCII; an empty string is an optional field left out. */
struct rk_applicant {
	char nik[RK_NIK_LEN + 1];
	char name[61];
	enum rk_sex sex;
	char birth_place[41];
	char birth_date[11]; /* YYYY-MM-DD */
	char blood_type[3];  /* A, B, AB, O, or "-" (unknown) */
	char religion[12];   /* see rk_religions */
	char marital_status[9]; /* single, married, divorced, widowed */
	char occupation[41];
	char address[101];
	char rt[4]; /* three digits, 001..999 */
	char rw[4];
	char village[41];  /* kelurahan/desa */
	char district[41]; /* kecamatan */
	char citizenship[4]; /* WNI or WNA */
};

/* The a{sv} keys of an applicant, in the order they are shown; NULL-terminated. */
extern const char *const rk_applicant_keys[];
/* Allowed values, NULL-terminated. */
extern const char *const rk_religions[];
extern const char *const rk_marital_statuses[];
extern const char *const rk_blood_types[];

/* "male" / "female" / "" */
const char *rk_sex_name(enum rk_sex sex);

/*
 * The NIK alone: 16 digits, a region code the table knows, a valid DDMMYY
 * birth date (day + 40 for women), a serial other than 0000.
 * 0 and *@info (may be NULL), or -EINVAL with the reason in @why.
 */
int rk_nik_parse(const char *nik, struct rk_nik_info *info, char *why, size_t size);

/* "YYYY-MM-DD", a real calendar date from 1900 on. */
bool rk_date_parse(const char *s, int *year, int *month, int *day);

/* Whole years of age on @y-@m-@d of someone born on @birth ("YYYY-MM-DD"). */
int rk_age_on(const char *birth, int y, int m, int d);

/*
 * Set the field named @key (a key of rk_applicant_keys: "Nik", "Name",
 * "Sex", ...) from @value after checking its syntax. 0, or -EINVAL (unknown
 * key or bad value; @a unchanged) with the reason in @why.
 */
int rk_applicant_set(struct rk_applicant *a, const char *key, const char *value, char *why,
		size_t size);

/* The value of field @key as a string ("" when unset or unknown key). */
const char *rk_applicant_get(const struct rk_applicant *a, const char *key);

/*
 * The whole applicant on @y-@m-@d (today): every required field present, the
 * NIK valid and consistent with the stated sex and birth date, the birth
 * date not in the future, and old enough for a KTP-el (17, or married).
 * 0, or -EINVAL with the reason in @why.
 */
int rk_applicant_check(const struct rk_applicant *a, int y, int m, int d, char *why, size_t size);

/* --- the region table (regions.c) --- */

/* Name of the province with the 2-digit @code, or NULL. */
const char *rk_region_province(const char *code);

/*
 * Whether the 6-digit @code is a known region: its province is in the
 * table; where the table lists the province's regencies (Kalimantan
 * Selatan), the regency must be one of them (*@regency gets its name); the
 * regency and district parts are never 00. -ENOENT with the reason in @why.
 */
int rk_region_check(const char *code, const char **province, const char **regency, char *why,
		size_t size);
