// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * rekam - KTP-el recording station daemon
 *
 * pipeline-card.c - what step 8 writes and prints for an enrollment, made
 * on a worker thread (decoding the portrait and rendering take a while):
 * both faces of the card (cardface.c) and the chip's contents as the
 * card reader plugin's personalization blob (docs/card.md 9.1): DG1 the
 * demographics (compact JSON, sorted keys, as the central server's DG1),
 * DG2 the portrait cropped to 180x240, DG3 the signed capture summaries of
 * the two slaps, DG7 the signature image scaled to fit, and EF.SOD the SHA-256 of each
 * data group. The station makes the chip data from its own record until
 * the personalization data of the central server (its document signer) is
 * fetched instead (docs/pipeline.md says so).
 */
#include <config.h>

#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "daemon/artifact.h"
#include "daemon/cardface.h"
#include "daemon/config.h"
#include "daemon/daemon.h"
#include "daemon/enrollment.h"
#include "daemon/nik.h"
#include "daemon/photo-check.h"
#include "daemon/pipeline-card.h"

/* The chip's files (docs/card.md section 2): id and room. */
static const struct {
	const char *tag;
	uint16_t fid;
	size_t max;
} chip_files[] = {
	{ "DG1", 0x0101, 1024 }, { "DG2", 0x0102, 16384 }, { "DG3", 0x0103, 4096 },
	{ "DG7", 0x0107, 8192 }, { "SOD", 0x011D, 4096 },
};

#define N_FILES 5

void rk_card_job_free(struct rk_card_job *job)
{
	if (!job)
		return;
	for (size_t i = 0; i < RK_CARD_INPUTS; i++) {
		rk_artifact_meta_clear(&job->inputs[i]);
		free(job->data[i]);
	}
	free(job->dir);
	free(job->front);
	free(job->back);
	free(job->blob);
	free(job);
}

static void upper(char *dst, size_t size, const char *src)
{
	size_t i = 0;

	for (; src[i] && i + 1 < size; i++)
		dst[i] = (char)toupper((unsigned char)src[i]);
	dst[i] = '\0';
}

static int dg1(const struct rk_card_job *job, unsigned char **out, size_t *size)
{
	const struct rk_applicant *a = &job->applicant;
	char rt_rw[16];
	json_t *o;
	char *text;

	snprintf(rt_rw, sizeof(rt_rw), "%s/%s", a->rt, a->rw);
	o = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "nik", a->nik,
		"name", a->name, "birth_place", a->birth_place, "birth_date", a->birth_date,
		"sex", a->sex == RK_SEX_FEMALE ? "F" : "M", "blood_type", a->blood_type,
		"address", a->address, "rt_rw", rt_rw, "village", a->village, "district",
		a->district, "religion", a->religion, "marital_status", a->marital_status,
		"occupation", a->occupation, "citizenship", a->citizenship);
	text = o ? json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	json_decref(o);
	if (!text)
		return -ENOMEM;
	*out = (unsigned char *)text;
	*size = strlen(text);
	return 0;
}

static void hex(const unsigned char *d, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", d[i]);
}

/* EF.SOD: the hashes of the data groups, as JSON. */
static int sod(const struct rk_card_job *job, unsigned char *files[], size_t sizes[],
		unsigned char **out, size_t *size)
{
	json_t *o = json_pack("{s:i,s:s,s:s,s:s,s:[]}", "version", 1, "nik", job->applicant.nik,
		"station_id", job->station, "hash_algorithm", "sha256", "data_groups");
	json_t *groups = o ? json_object_get(o, "data_groups") : NULL;
	char *text;

	for (size_t i = 0; groups && i + 1 < N_FILES; i++) {
		unsigned char md[32];
		char h[65];

		EVP_Digest(files[i], sizes[i], md, NULL, EVP_sha256(), NULL);
		hex(md, sizeof(md), h);
		json_array_append_new(groups, json_pack("{s:s,s:s}", "tag", chip_files[i].tag,
			"sha256", h));
	}
	text = o ? json_dumps(o, JSON_COMPACT) : NULL;
	json_decref(o);
	if (!text)
		return -ENOMEM;
	*out = (unsigned char *)text;
	*size = strlen(text);
	return 0;
}

static void put(unsigned char *p, uint64_t v, int bytes)
{
	for (int i = bytes - 1; i >= 0; i--, v >>= 8)
		p[i] = (unsigned char)v;
}

/* The RKPB blob of the five files. */
static int blob(struct rk_card_job *job)
{
	unsigned char *files[N_FILES] = { NULL };
	size_t sizes[N_FILES] = { 0 }, total = 8;
	unsigned char *p;
	int err;

	err = dg1(job, &files[0], &sizes[0]);
	if (!err)
		err = rk_photo_card_portrait(job->data[RK_CARD_IN_PORTRAIT],
			job->sizes[RK_CARD_IN_PORTRAIT], 180, 240, &files[1], &sizes[1]);
	if (!err) {
		/* DG3: the two slaps' signed summaries, one after the other */
		sizes[2] = job->sizes[RK_CARD_IN_LEFT_SLAP] + job->sizes[RK_CARD_IN_RIGHT_SLAP];
		files[2] = malloc(sizes[2] ? sizes[2] : 1);
		if (!files[2])
			err = -ENOMEM;
		else {
			memcpy(files[2], job->data[RK_CARD_IN_LEFT_SLAP],
				job->sizes[RK_CARD_IN_LEFT_SLAP]);
			memcpy(files[2] + job->sizes[RK_CARD_IN_LEFT_SLAP],
				job->data[RK_CARD_IN_RIGHT_SLAP], job->sizes[RK_CARD_IN_RIGHT_SLAP]);
		}
	}
	if (!err)
		err = rk_cardface_shrink_png(job->data[RK_CARD_IN_SIGNATURE],
			job->sizes[RK_CARD_IN_SIGNATURE], chip_files[3].max, &files[3], &sizes[3]);
	if (!err)
		err = sod(job, files, sizes, &files[4], &sizes[4]);
	for (size_t i = 0; !err && i < N_FILES; i++) {
		if (!sizes[i] || sizes[i] > chip_files[i].max) {
			snprintf(job->why, sizeof(job->why), "%s is %zu bytes; the chip's file holds "
				"1 to %zu", chip_files[i].tag, sizes[i], chip_files[i].max);
			err = -EFBIG;
		}
		total += 6 + sizes[i];
	}
	p = err ? NULL : malloc(total);
	if (!err && !p)
		err = -ENOMEM;
	if (!err) {
		job->blob = p;
		job->blob_size = total;
		memcpy(p, "RKPB\x01\x05\x00\x00", 8);
		p += 8;
		for (size_t i = 0; i < N_FILES; i++) {
			put(p, chip_files[i].fid, 2);
			put(p + 2, sizes[i], 4);
			memcpy(p + 6, files[i], sizes[i]);
			p += 6 + sizes[i];
		}
	}
	for (size_t i = 0; i < N_FILES; i++)
		free(files[i]);
	if (err && !job->why[0])
		snprintf(job->why, sizeof(job->why), "the chip data cannot be made: %s",
			strerror(-err));
	return err;
}

/*
 * One renderer for the process, made by the first card job: loading the
 * fonts takes a while, and fontconfig keeps the configuration it was given
 * as the process's own, so one is all there should ever be. The renderer
 * serialises drawing itself; rk_card_renderer_free() at rekamd's stop.
 */
static pthread_mutex_t renderer_lock = PTHREAD_MUTEX_INITIALIZER;
static struct rk_cardface_renderer *renderer;

static int renderer_get(struct rk_cardface_renderer **out, char why[RK_CARDFACE_ERROR_LEN])
{
	int err = 0;

	pthread_mutex_lock(&renderer_lock);
	if (!renderer)
		err = rk_cardface_renderer_new(NULL, &renderer, why);
	*out = renderer;
	pthread_mutex_unlock(&renderer_lock);
	return err;
}

void rk_card_renderer_free(void)
{
	pthread_mutex_lock(&renderer_lock);
	rk_cardface_renderer_free(renderer);
	renderer = NULL;
	pthread_mutex_unlock(&renderer_lock);
}

/* The words printed on a KTP-el for religion and marital status. */
static const char *card_word(const char *value)
{
	static const char *const words[][2] = {
		{ "islam", "ISLAM" }, { "protestant", "KRISTEN" }, { "catholic", "KATOLIK" },
		{ "hindu", "HINDU" }, { "buddhist", "BUDDHA" }, { "confucian", "KHONGHUCU" },
		{ "belief", "KEPERCAYAAN" }, { "single", "BELUM KAWIN" }, { "married", "KAWIN" },
		{ "divorced", "CERAI HIDUP" }, { "widowed", "CERAI MATI" },
	};

	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (strcmp(words[i][0], value) == 0)
			return words[i][1];
	return value;
}

static int faces(struct rk_card_job *job)
{
	const struct rk_applicant *a = &job->applicant;
	char province[64] = "", regency[64] = "", birth[16], issued[16], rt_rw[16], place[64];
	const char *prov_name = NULL, *reg_name = NULL;
	struct rk_card_applicant c = { 0 };
	struct rk_cardface_renderer *r;
	struct rk_cardface *cf = NULL;
	char code[7], why[128];
	time_t now = time(NULL);
	struct tm tm;
	int err;

	snprintf(code, sizeof(code), "%.6s", a->nik);
	rk_region_check(code, &prov_name, &reg_name, why, sizeof(why));
	upper(province, sizeof(province), prov_name ? prov_name : "");
	upper(regency, sizeof(regency), reg_name ? reg_name : "");
	c.province = province;
	c.regency_kind = RK_CARD_KABUPATEN;
	c.regency = regency;
	if (strncmp(regency, "KOTA ", 5) == 0) {
		c.regency_kind = RK_CARD_KOTA;
		c.regency = regency + 5;
	} else if (strncmp(regency, "KABUPATEN ", 10) == 0)
		c.regency = regency + 10;
	snprintf(birth, sizeof(birth), "%.2s-%.2s-%.4s", a->birth_date + 8, a->birth_date + 5,
		a->birth_date);
	localtime_r(&now, &tm);
	strftime(issued, sizeof(issued), "%d-%m-%Y", &tm);
	snprintf(rt_rw, sizeof(rt_rw), "%s/%s", a->rt, a->rw);
	upper(place, sizeof(place), c.regency);
	c.nik = a->nik;
	c.name = a->name;
	c.birth_place = a->birth_place;
	c.birth_date = birth;
	c.sex = a->sex == RK_SEX_FEMALE ? "PEREMPUAN" : "LAKI-LAKI";
	c.blood_type = a->blood_type;
	c.address = a->address;
	c.rt_rw = rt_rw;
	c.village = a->village;
	c.district = a->district;
	c.religion = card_word(a->religion);
	c.marital_status = card_word(a->marital_status);
	c.occupation = a->occupation[0] ? a->occupation : "-";
	c.citizenship = a->citizenship;
	c.issue_place = place;
	c.issue_date = issued;
	c.portrait = job->data[RK_CARD_IN_PORTRAIT];
	c.portrait_size = job->sizes[RK_CARD_IN_PORTRAIT];
	c.signature = job->data[RK_CARD_IN_SIGNATURE];
	c.signature_size = job->sizes[RK_CARD_IN_SIGNATURE];
	err = renderer_get(&r, job->why);
	if (!err)
		err = rk_cardface_render(r, &c, &cf, job->why);
	if (!err)
		err = rk_cardface_png(cf, RK_CARD_FRONT, &job->front, &job->front_size);
	if (!err)
		err = rk_cardface_png(cf, RK_CARD_BACK, &job->back, &job->back_size);
	rk_cardface_free(cf);
	return err;
}

int rk_card_job_prepare(struct rk_card_job *job, struct rk_daemon *d, struct rk_enrollment *e)
{
	static const char *const want[RK_CARD_INPUTS][2] = {
		[RK_CARD_IN_PORTRAIT] = { "portrait", "portrait" },
		[RK_CARD_IN_SIGNATURE] = { "signature", "signature-image" },
		[RK_CARD_IN_LEFT_SLAP] = { "fingerprint-left-slap", "fingerprint-capture" },
		[RK_CARD_IN_RIGHT_SLAP] = { "fingerprint-right-slap", "fingerprint-capture" },
	};

	job->enrollment = e->id;
	job->applicant = e->applicant;
	snprintf(job->station, sizeof(job->station), "%s", d->config->station_id);
	for (size_t i = 0; i < RK_CARD_INPUTS; i++) {
		const char *handle = NULL;

		for (size_t c = 0; c < e->n_captures && !handle; c++)
			if (strcmp(e->captures[c].item, want[i][0]) == 0 &&
					strcmp(e->captures[c].kind, want[i][1]) == 0)
				handle = e->captures[c].handle;
		if (!handle || rk_artifact_get_meta(d->store, handle, &job->inputs[i]) < 0)
			return -ENOENT;
	}
	return asprintf(&job->dir, "%s/artifacts", d->state_dir) < 0 ? -ENOMEM : 0;
}

void rk_card_job_work(void *data)
{
	struct rk_card_job *job = data;

	job->ran = true;
	for (size_t i = 0; i < RK_CARD_INPUTS && !job->err; i++) {
		job->err = rk_artifact_load(job->dir, &job->inputs[i], &job->data[i],
			&job->sizes[i]);
		if (job->err)
			snprintf(job->why, sizeof(job->why), "the recorded %s cannot be read: %s",
				job->inputs[i].kind, strerror(-job->err));
	}
	if (!job->err)
		job->err = faces(job);
	if (!job->err && !job->faces_only)
		job->err = blob(job);
}
