// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * rekam - KTP-el recording station daemon
 *
 * regions.c - the region codes (kode wilayah, Permendagri on administrative
 * region codes) a NIK may start with. PARTIAL by design: every province,
 * and the regencies (kabupaten/kota) of Kalimantan Selatan (63), the
 * province of the Tapin office (6305). For the other provinces any regency
 * and district code other than 00 is accepted. Adding a province's regencies
 * is one more table below; docs/pipeline.md says what is covered.
 */
#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "daemon/nik.h"

struct region {
	const char *code;
	const char *name;
};

static const struct region provinces[] = {
	{ "11", "Aceh" },
	{ "12", "Sumatera Utara" },
	{ "13", "Sumatera Barat" },
	{ "14", "Riau" },
	{ "15", "Jambi" },
	{ "16", "Sumatera Selatan" },
	{ "17", "Bengkulu" },
	{ "18", "Lampung" },
	{ "19", "Kepulauan Bangka Belitung" },
	{ "21", "Kepulauan Riau" },
	{ "31", "DKI Jakarta" },
	{ "32", "Jawa Barat" },
	{ "33", "Jawa Tengah" },
	{ "34", "DI Yogyakarta" },
	{ "35", "Jawa Timur" },
	{ "36", "Banten" },
	{ "51", "Bali" },
	{ "52", "Nusa Tenggara Barat" },
	{ "53", "Nusa Tenggara Timur" },
	{ "61", "Kalimantan Barat" },
	{ "62", "Kalimantan Tengah" },
	{ "63", "Kalimantan Selatan" },
	{ "64", "Kalimantan Timur" },
	{ "65", "Kalimantan Utara" },
	{ "71", "Sulawesi Utara" },
	{ "72", "Sulawesi Tengah" },
	{ "73", "Sulawesi Selatan" },
	{ "74", "Sulawesi Tenggara" },
	{ "75", "Gorontalo" },
	{ "76", "Sulawesi Barat" },
	{ "81", "Maluku" },
	{ "82", "Maluku Utara" },
	{ "91", "Papua" },
	{ "92", "Papua Barat" },
	{ "93", "Papua Selatan" },
	{ "94", "Papua Tengah" },
	{ "95", "Papua Pegunungan" },
	{ "96", "Papua Barat Daya" },
	{}
};

/* Kalimantan Selatan: 11 kabupaten and 2 kota. */
static const struct region regencies_63[] = {
	{ "6301", "Kabupaten Tanah Laut" },
	{ "6302", "Kabupaten Kotabaru" },
	{ "6303", "Kabupaten Banjar" },
	{ "6304", "Kabupaten Barito Kuala" },
	{ "6305", "Kabupaten Tapin" },
	{ "6306", "Kabupaten Hulu Sungai Selatan" },
	{ "6307", "Kabupaten Hulu Sungai Tengah" },
	{ "6308", "Kabupaten Hulu Sungai Utara" },
	{ "6309", "Kabupaten Tabalong" },
	{ "6310", "Kabupaten Tanah Bumbu" },
	{ "6311", "Kabupaten Balangan" },
	{ "6371", "Kota Banjarmasin" },
	{ "6372", "Kota Banjarbaru" },
	{}
};

/* Provinces whose regencies the table lists. */
static const struct {
	const char *province;
	const struct region *regencies;
} detailed[] = {
	{ "63", regencies_63 },
};

static const char *lookup(const struct region *table, const char *code, size_t len)
{
	for (; table->code; table++)
		if (strlen(table->code) == len && strncmp(table->code, code, len) == 0)
			return table->name;
	return NULL;
}

const char *rk_region_province(const char *code)
{
	return lookup(provinces, code, 2);
}

int rk_region_check(const char *code, const char **province, const char **regency, char *why,
		size_t size)
{
	const char *prov, *reg = NULL;

	if (strlen(code) != 6 || strspn(code, "0123456789") != 6) {
		snprintf(why, size, "the region code must be 6 digits");
		return -EINVAL;
	}
	prov = lookup(provinces, code, 2);
	if (!prov) {
		snprintf(why, size, "region code %.6s: there is no province %.2s", code, code);
		return -ENOENT;
	}
	if (strncmp(code + 2, "00", 2) == 0) {
		snprintf(why, size, "region code %.6s: regency 00 does not exist", code);
		return -ENOENT;
	}
	for (size_t i = 0; i < sizeof(detailed) / sizeof(detailed[0]); i++) {
		if (strncmp(detailed[i].province, code, 2) != 0)
			continue;
		reg = lookup(detailed[i].regencies, code, 4);
		if (!reg) {
			snprintf(why, size, "region code %.6s: %s has no regency %.4s", code, prov,
				code);
			return -ENOENT;
		}
	}
	if (strncmp(code + 4, "00", 2) == 0) {
		snprintf(why, size, "region code %.6s: district 00 does not exist", code);
		return -ENOENT;
	}
	if (province)
		*province = prov;
	if (regency)
		*regency = reg;
	return 0;
}
