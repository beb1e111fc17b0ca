// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * rekam - KTP-el recording station daemon
 *
 * config-values.c - the kinds of values rekamd.conf holds (identifiers,
 * paths, URLs, numbers, booleans, lists of patterns and groups, office
 * hours, colours, loopback addresses): how each is parsed, checked and
 * stored in its field. The schema in config.c says which key is which kind.
 */
#include <config.h>

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "daemon/config-private.h"
#include "daemon/config.h"

#define UPPER CFG_UPPER
#define LOWER CFG_LOWER
#define DIGIT CFG_DIGIT
#define MAX_LINE CFG_MAX_LINE

static const char station_id_chars[] = CFG_STATION_ID_CHARS;
static const char name_chars[] = CFG_NAME_CHARS;
static const char glob_chars[] = UPPER LOWER DIGIT "*?._-";
static const char group_chars[] = UPPER LOWER DIGIT "._-";
static const char blanks[] = " \t\r\f\v";

/* --- values ---------------------------------------------------------------- */

/* @s is 1 to @max characters, all from @set. */
bool rk_cfg_is_word(const char *s, const char *set, size_t max)
{
	size_t n = strspn(s, set);

	return n > 0 && n <= max && s[n] == '\0';
}

char *rk_cfg_strip(char *s)
{
	size_t len;

	s += strspn(s, blanks);
	len = strlen(s);
	while (len > 0 && strchr(blanks, s[len - 1]))
		len--;
	s[len] = '\0';
	return s;
}

void rk_cfg_strv_free(char **v)
{
	for (size_t i = 0; v && v[i]; i++)
		free(v[i]);
	free(v);
}

/* An empty value unsets an optional string (NULL). */
static int set_string(const struct key_def *def, void *base, const char *value)
{
	char **field = field_of(def, base);
	char *copy = NULL;

	if (*value && !(copy = strdup(value)))
		return -ENOMEM;
	free(*field);
	*field = copy;
	return 0;
}

/* Strings of 1 to max characters of type->chars, or at most max bytes of anything. */
static int parse_string(const struct key_def *def, void *base, const char *value)
{
	const struct value_type *t = def->type;

	if (t->chars ? !rk_cfg_is_word(value, t->chars, t->max) : strlen(value) > t->max)
		return -EINVAL;
	return set_string(def, base, value);
}

static int parse_path(const struct key_def *def, void *base, const char *value)
{
	if (*value && value[0] != '/')
		return -EINVAL;
	return parse_string(def, base, value);
}

static int parse_url(const struct key_def *def, void *base, const char *value)
{
	static const char scheme[] = "https://";
	const char *host = value + strlen(scheme);

	if (!*value)
		return set_string(def, base, value);
	if (strncmp(value, scheme, strlen(scheme)) != 0 || *host == '\0' || strchr("/?#:@", *host))
		return -EINVAL;
	for (const char *c = value; *c; c++)
		if ((unsigned char)*c <= ' ' || *c == 0x7f)
			return -EINVAL;
	return parse_string(def, base, value);
}

/* A whole number of plain decimal digits from type->min to type->max. */
static int parse_number(const struct key_def *def, void *base, const char *value)
{
	unsigned long long v;

	if (!*value || strspn(value, DIGIT) != strlen(value) || strlen(value) > 10)
		return -EINVAL;
	v = strtoull(value, NULL, 10);
	if (v < def->type->min || v > def->type->max)
		return -EINVAL;
	*(unsigned int *)field_of(def, base) = (unsigned int)v;
	return 0;
}

static int parse_bool(const struct key_def *def, void *base, const char *value)
{
	static const char *const words[] = { "false", "true", "no", "yes", "off", "on", "0", "1" };

	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
		if (strcasecmp(value, words[i]) == 0) {
			*(bool *)field_of(def, base) = i % 2;
			return 0;
		}
	}
	return -EINVAL;
}

/* "a, b*,c" -> {"a", "b*", "c", NULL}; an empty value is the empty list. */
static int parse_globs(const struct key_def *def, void *base, const char *value)
{
	char ***field = field_of(def, base);
	char buf[MAX_LINE + 1], *item, *next, **list;
	size_t n = 1, len = strlen(value), i = 0;
	int err = 0;

	if (len > MAX_LINE)
		return -EINVAL;
	memcpy(buf, value, len + 1);
	for (const char *c = value; *c; c++)
		n += *c == ',';
	list = calloc(n + 1, sizeof(*list));
	if (!list)
		return -ENOMEM;
	for (item = len ? buf : NULL; item && !err; item = next) {
		next = strchr(item, ',');
		if (next)
			*next++ = '\0';
		item = rk_cfg_strip(item);
		if (!rk_cfg_is_word(item, def->type->chars, SIZE_MAX))
			err = -EINVAL;
		else if (!(list[i++] = strdup(item)))
			err = -ENOMEM;
	}
	if (err) {
		rk_cfg_strv_free(list);
		return err;
	}
	rk_cfg_strv_free(*field);
	*field = list;
	return 0;
}

/* Exactly "HH:MM", 00:00 to 23:59. */
static int parse_clock(const char *s, unsigned int *minutes)
{
	unsigned int h, m;

	if (strspn(s, DIGIT) != 2 || s[2] != ':' || strspn(s + 3, DIGIT) != 2)
		return -EINVAL;
	h = (unsigned int)(s[0] - '0') * 10 + (unsigned int)(s[1] - '0');
	m = (unsigned int)(s[3] - '0') * 10 + (unsigned int)(s[4] - '0');
	if (h > 23 || m > 59)
		return -EINVAL;
	*minutes = h * 60 + m;
	return 0;
}

/* Sets both office_open and office_close of the struct rk_config @base. */
static int parse_office_hours(const struct key_def *def, void *base, const char *value)
{
	struct rk_config *config = base;
	unsigned int open, close;

	if (strlen(value) != 11 || value[5] != '-' || parse_clock(value, &open) < 0 ||
			parse_clock(value + 6, &close) < 0 || open >= close)
		return -EINVAL;
	config->office_open = open;
	config->office_close = close;
	return 0;
}

/* "red" or "blue": a backdrop colour of the photo rules. */
static int parse_colour(const struct key_def *def, void *base, const char *value)
{
	if (strcmp(value, "red") != 0 && strcmp(value, "blue") != 0)
		return -EINVAL;
	return set_string(def, base, value);
}


/* "HOST:PORT" with a loopback HOST (127.x.y.z, [::1] or localhost) and a
 * port of 1-65535: metrics are for the Prometheus on this machine only. */
static int parse_listen(const struct key_def *def, void *base, const char *value)
{
	const char *colon = strrchr(value, ':');
	size_t host_len = colon ? (size_t)(colon - value) : 0;
	unsigned long port;
	char *end;

	if (!colon || !host_len || strlen(value) > 64)
		return -EINVAL;
	errno = 0;
	port = strtoul(colon + 1, &end, 10);
	if (errno || end == colon + 1 || *end || port < 1 || port > 65535 || colon[1] == '+')
		return -EINVAL;
	if (!((host_len == 9 && !strncmp(value, "localhost", 9)) ||
			(host_len == 5 && !strncmp(value, "[::1]", 5)) ||
			(!strncmp(value, "127.", 4) &&
				strspn(value, "0123456789.") == host_len)))
		return -EINVAL;
	return set_string(def, base, value);
}

/* --- the schema ------------------------------------------------------------ */

const struct value_type rk_cfg_type_station_id = { STORE_STRING, parse_string,
	station_id_chars, 64, "1 to 64 characters of A-Z a-z 0-9 . _ -" };
const struct value_type rk_cfg_type_office_hours = { STORE_OTHER, parse_office_hours,
	NULL, 0, "HH:MM-HH:MM with opening before closing" };
const struct value_type rk_cfg_type_groups = { STORE_STRV, parse_globs,
	group_chars, SIZE_MAX, "a comma-separated list of group names of A-Z a-z 0-9 . _ - "
	"without empty items" };
const struct value_type rk_cfg_type_url = { STORE_STRING, parse_url,
	NULL, 2048, "an https:// URL with a host name, without spaces, at most 2048 bytes" };
const struct value_type rk_cfg_type_path = { STORE_STRING, parse_path,
	NULL, PATH_MAX - 1, "an absolute path (starting with /)" };
const struct value_type rk_cfg_type_globs = { STORE_STRV, parse_globs,
	glob_chars, SIZE_MAX, "a comma-separated list of patterns of A-Z a-z 0-9 * ? . _ - "
	"without empty items" };
const struct value_type rk_cfg_type_plugin = { STORE_STRING, parse_string,
	name_chars, 64, "a plugin name of 1 to 64 characters of a-z 0-9 _ -" };
const struct value_type rk_cfg_type_connection = { STORE_STRING, parse_string,
	NULL, 1024, "at most 1024 bytes" };
const struct value_type rk_cfg_type_concurrency = { STORE_OTHER, parse_number,
	NULL, 16, "a number from 1 to 16", 1 };
const struct value_type rk_cfg_type_ms = { STORE_OTHER, parse_number,
	NULL, 86400000, "milliseconds, from 1 to 86400000", 1 };
const struct value_type rk_cfg_type_bool = { STORE_BOOL, parse_bool,
	NULL, 0, "true, false, yes, no, on, off, 1 or 0" };

const struct value_type rk_cfg_type_colour = { STORE_STRING, parse_colour,
	NULL, 0, "red or blue" };
const struct value_type rk_cfg_type_sharpness = { STORE_OTHER, parse_number,
	NULL, 100000, "a whole number from 0 to 100000" };
const struct value_type rk_cfg_type_percent = { STORE_OTHER, parse_number,
	NULL, 50, "a whole number of percent from 0 to 50" };
const struct value_type rk_cfg_type_score = { STORE_OTHER, parse_number,
	NULL, 100, "a whole number from 0 to 100" };
const struct value_type rk_cfg_type_retries = { STORE_OTHER, parse_number,
	NULL, 10, "a whole number from 0 to 10" };
const struct value_type rk_cfg_type_listen = { STORE_STRING, parse_listen,
	NULL, 0, "a loopback HOST:PORT such as 127.0.0.1:9464 (metrics stay on this machine)" };

