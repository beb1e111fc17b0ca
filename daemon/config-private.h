/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * rekam - KTP-el recording station daemon
 *
 * config-private.h - what config.c (the line parser and the schema of every
 * key) and config-values.c (the kinds of values and their parsers) share.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#define CFG_UPPER "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
#define CFG_LOWER "abcdefghijklmnopqrstuvwxyz"
#define CFG_DIGIT "0123456789"
#define CFG_STATION_ID_CHARS CFG_UPPER CFG_LOWER CFG_DIGIT "._-"
#define CFG_NAME_CHARS CFG_LOWER CFG_DIGIT "_-" /* device and plugin names */
#define CFG_MAX_LINE 4096 /* bytes of a line, without its end */

enum section {
	SEC_NONE, /* before the first section header */
	SEC_SKIP, /* inside an unknown, duplicate or misnamed section */
	SEC_STATION,
	SEC_CENTRAL,
	SEC_PLUGINS,
	SEC_PHOTO,
	SEC_QUALITY,
	SEC_METRICS,
	SEC_ROLES,
	SEC_DEVICE,
	N_SECTIONS
};


struct key_def;

/* A kind of value: how it is stored (for freeing), parsed, and described. */
struct value_type {
	enum { STORE_STRING, STORE_STRV, STORE_BOOL, STORE_OTHER } store;
	/* 0, -EINVAL (then nothing changed) or -ENOMEM */
	int (*parse)(const struct key_def *def, void *base, const char *value);
	const char *chars; /* parse_string(), parse_globs(): the allowed characters */
	size_t max;        /* parse_string(): most characters (chars) or bytes (no chars) */
	const char *expected; /* "office-hours: expected <this>, got '...'" */
	size_t min;           /* parse_number(): the smallest value */
};

#define KEY_REQUIRED 0x1

struct key_def {
	enum section section;
	const char *key;
	const struct value_type *type;
	size_t offset;   /* of the field in struct rk_config or struct rk_device_config */
	const char *def; /* default, parsed like a value of the file; NULL: unset */
	unsigned int flags;
	const char *description;
};

static inline void *field_of(const struct key_def *def, void *base)
{
	return (char *)base + def->offset;
}

/* @s is 1 to @max characters, all from @set. */
bool rk_cfg_is_word(const char *s, const char *set, size_t max);
/* @s without leading and trailing blanks (changed in place). */
char *rk_cfg_strip(char *s);
void rk_cfg_strv_free(char **v);

/* The kinds of values (config-values.c). */
extern const struct value_type rk_cfg_type_station_id;
extern const struct value_type rk_cfg_type_office_hours;
extern const struct value_type rk_cfg_type_groups;
extern const struct value_type rk_cfg_type_url;
extern const struct value_type rk_cfg_type_path;
extern const struct value_type rk_cfg_type_globs;
extern const struct value_type rk_cfg_type_plugin;
extern const struct value_type rk_cfg_type_connection;
extern const struct value_type rk_cfg_type_concurrency;
extern const struct value_type rk_cfg_type_ms;
extern const struct value_type rk_cfg_type_bool;
extern const struct value_type rk_cfg_type_colour;
extern const struct value_type rk_cfg_type_sharpness;
extern const struct value_type rk_cfg_type_percent;
extern const struct value_type rk_cfg_type_score;
extern const struct value_type rk_cfg_type_retries;
extern const struct value_type rk_cfg_type_listen;
