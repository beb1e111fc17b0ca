// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * rekam - KTP-el recording station daemon
 *
 * config.c - reading rekamd.conf (see config.h): a line parser, one schema
 * table describing every key (its section, type, field, default), and the
 * collection of every problem of a file as "FILE:LINE: message".
 * docs/rekamd.conf.md is the user's reference; keep both in step.
 */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "daemon/config-private.h"
#include "daemon/config.h"
#include "daemon/log.h"

#define MAX_FILE_SIZE (1024 * 1024) /* bytes */
#define MAX_LINE CFG_MAX_LINE
#define MAX_SHOWN 64                /* bytes of a bad value quoted in a message */
#define SHOWN_SIZE (MAX_SHOWN + 4)

#define UPPER CFG_UPPER
#define LOWER CFG_LOWER
#define DIGIT CFG_DIGIT

static const char station_id_chars[] = CFG_STATION_ID_CHARS;
static const char name_chars[] = CFG_NAME_CHARS;
static const char key_chars[] = UPPER LOWER DIGIT "._-";

static const char *const section_names[N_SECTIONS] = {
	[SEC_STATION] = "station",
	[SEC_CENTRAL] = "central",
	[SEC_PLUGINS] = "plugins",
	[SEC_PHOTO] = "photo",
	[SEC_QUALITY] = "quality",
	[SEC_METRICS] = "metrics",
	[SEC_ROLES] = "roles",
	[SEC_DEVICE] = "device",
};

#define CFG(field) offsetof(struct rk_config, field)
#define DEV(field) offsetof(struct rk_device_config, field)

/* Every key of the file. A new key is one row here and a field in config.h. */
static const struct key_def schema[] = {
	{ SEC_STATION, "id", &rk_cfg_type_station_id, CFG(station_id), NULL, 0,
		"station identifier sent to the central server (default: the host name)" },
	{ SEC_STATION, "office-hours", &rk_cfg_type_office_hours, CFG(office_open), "08:00-15:00", 0,
		"when step 1 (submission) is accepted" },
	{ SEC_CENTRAL, "url", &rk_cfg_type_url, CFG(central_url), NULL, 0,
		"base URL of the central server; unset: no uploads" },
	{ SEC_CENTRAL, "ca", &rk_cfg_type_path, CFG(central_ca), NULL, 0,
		"PEM file of the CA the server certificate must chain to" },
	{ SEC_CENTRAL, "cert", &rk_cfg_type_path, CFG(central_cert), NULL, 0,
		"PEM file of the station's client certificate" },
	{ SEC_CENTRAL, "key", &rk_cfg_type_path, CFG(central_key), NULL, 0,
		"PEM file of the station's client key" },
	{ SEC_CENTRAL, "signing-key", &rk_cfg_type_path, CFG(central_signing_key), NULL, 0,
		"PEM file of the key that signs packets (default: key)" },
	{ SEC_CENTRAL, "encryption-cert", &rk_cfg_type_path, CFG(central_encryption_cert), NULL, 0,
		"PEM certificate or public key the packets are encrypted for" },
	{ SEC_CENTRAL, "max-concurrent", &rk_cfg_type_concurrency, CFG(central_max_concurrent), "2", 0,
		"uploads and status requests at once" },
	{ SEC_CENTRAL, "backoff-initial-ms", &rk_cfg_type_ms, CFG(central_backoff_initial), "1000", 0,
		"first delay before a failed request is tried again" },
	{ SEC_CENTRAL, "backoff-max-ms", &rk_cfg_type_ms, CFG(central_backoff_max), "300000", 0,
		"longest delay between tries" },
	{ SEC_PLUGINS, "enable", &rk_cfg_type_globs, CFG(plugins_enable), "*", 0,
		"plugins to load (glob patterns)" },
	{ SEC_PLUGINS, "disable", &rk_cfg_type_globs, CFG(plugins_disable), "", 0,
		"plugins never to load, even when enabled (glob patterns)" },
	{ SEC_PHOTO, "background-odd", &rk_cfg_type_colour, CFG(photo_background_odd), "red", 0,
		"backdrop of applicants born in odd years (KTP-el: red)" },
	{ SEC_PHOTO, "background-even", &rk_cfg_type_colour, CFG(photo_background_even), "blue", 0,
		"backdrop of applicants born in even years (KTP-el: blue)" },
	{ SEC_PHOTO, "min-sharpness", &rk_cfg_type_sharpness, CFG(photo_min_sharpness), "50", 0,
		"least variance of the Laplacian over the head; 0: not checked" },
	{ SEC_PHOTO, "max-off-centre", &rk_cfg_type_percent, CFG(photo_max_off_centre), "10", 0,
		"how far the head may be off the middle, in percent of the width; 0: not checked" },
	{ SEC_QUALITY, "finger-threshold", &rk_cfg_type_score, CFG(quality_finger), "40", 0,
		"lowest fingerprint quality accepted (MOSIP slap default 40)" },
	{ SEC_QUALITY, "iris-threshold", &rk_cfg_type_score, CFG(quality_iris), "60", 0,
		"lowest iris quality accepted (MOSIP default 60)" },
	{ SEC_QUALITY, "retries", &rk_cfg_type_retries, CFG(quality_retries), "3", 0,
		"captures repeated at most this often while under the threshold" },
	{ SEC_METRICS, "listen", &rk_cfg_type_listen, CFG(metrics_listen), NULL, 0,
		"where to serve Prometheus metrics (GET /metrics); unset: not served" },
	{ SEC_ROLES, "front-office", &rk_cfg_type_groups, CFG(roles[0]), NULL, 0,
		"groups whose members act as front office (steps 1, 2)" },
	{ SEC_ROLES, "verifier", &rk_cfg_type_groups, CFG(roles[1]), NULL, 0,
		"groups whose members verify (step 3)" },
	{ SEC_ROLES, "analyst", &rk_cfg_type_groups, CFG(roles[2]), NULL, 0,
		"groups whose members forward to recording (step 4)" },
	{ SEC_ROLES, "operator", &rk_cfg_type_groups, CFG(roles[3]), NULL, 0,
		"groups whose members record, upload and print (steps 5-9)" },
	{ SEC_ROLES, "handover", &rk_cfg_type_groups, CFG(roles[4]), NULL, 0,
		"groups whose members hand cards over (step 10)" },
	{ SEC_ROLES, "technician", &rk_cfg_type_groups, CFG(roles[5]), NULL, 0,
		"groups whose members look after devices and card stock" },
	{ SEC_ROLES, "supervisor", &rk_cfg_type_groups, CFG(roles[6]), NULL, 0,
		"groups whose members may act in every role" },
	{ SEC_DEVICE, "plugin", &rk_cfg_type_plugin, DEV(plugin), NULL, KEY_REQUIRED,
		"plugin that drives the device" },
	{ SEC_DEVICE, "connection", &rk_cfg_type_connection, DEV(connection), NULL, 0,
		"where the device is, in the plugin's words (e.g. usb:1-3)" },
	{ SEC_DEVICE, "enabled", &rk_cfg_type_bool, DEV(enabled), "true", 0,
		"false: keep the device configured but do not open it" },
};

#define N_KEYS (sizeof(schema) / sizeof(schema[0]))

static const struct key_def *find_key(enum section section, const char *key)
{
	for (size_t i = 0; i < N_KEYS; i++)
		if (schema[i].section == section && strcmp(schema[i].key, key) == 0)
			return &schema[i];
	return NULL;
}

static int apply_defaults(enum section section, void *base)
{
	int err;

	for (size_t i = 0; i < N_KEYS; i++) {
		if (schema[i].section != section || !schema[i].def)
			continue;
		err = schema[i].type->parse(&schema[i], base, schema[i].def);
		if (err < 0)
			return err;
	}
	return 0;
}

static void free_fields(enum section section, void *base)
{
	for (size_t i = 0; i < N_KEYS; i++) {
		if (schema[i].section != section)
			continue;
		if (schema[i].type->store == STORE_STRING)
			free(*(char **)field_of(&schema[i], base));
		else if (schema[i].type->store == STORE_STRV)
			rk_cfg_strv_free(*(char ***)field_of(&schema[i], base));
	}
}

/* The host name without the characters an id may not have, or "station". */
static int default_station_id(char **out)
{
	char host[256] = "", id[65];
	size_t n = 0;

	if (gethostname(host, sizeof(host) - 1) < 0)
		host[0] = '\0';
	for (size_t i = 0; host[i] && n < sizeof(id) - 1; i++)
		if (strchr(station_id_chars, host[i]))
			id[n++] = host[i];
	id[n] = '\0';
	*out = strdup(n ? id : "station");
	return *out ? 0 : -ENOMEM;
}

static struct rk_config *config_defaults(void)
{
	struct rk_config *config = calloc(1, sizeof(*config));
	int err = 0;

	if (!config)
		return NULL;
	for (int s = SEC_STATION; s < SEC_DEVICE && !err; s++)
		err = apply_defaults(s, config);
	if (!err && !config->station_id)
		err = default_station_id(&config->station_id);
	if (err) {
		rk_config_free(config);
		return NULL;
	}
	return config;
}

/* --- problems -------------------------------------------------------------- */

struct problem {
	unsigned int line; /* 0: the file as a whole */
	size_t seq;
	char *text;
};

struct parser {
	const char *name;
	struct rk_config *config;
	enum section section;
	unsigned int section_line;
	size_t device;                         /* index in config->devices in SEC_DEVICE */
	unsigned int section_seen[N_SECTIONS]; /* header line of each fixed section */
	unsigned int key_line[N_KEYS];         /* where each key of this section was set */
	struct problem *problems;
	size_t n_problems;
	bool oom;
};

__attribute__((format(printf, 3, 4))) static void problem(struct parser *p, unsigned int line,
		const char *fmt, ...)
{
	struct problem *more = NULL;
	char *text;
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vasprintf(&text, fmt, ap);
	va_end(ap);
	if (r >= 0)
		more = realloc(p->problems, (p->n_problems + 1) * sizeof(*more));
	if (!more) {
		if (r >= 0)
			free(text);
		p->oom = true;
		return;
	}
	more[p->n_problems] = (struct problem){ line, p->n_problems, text };
	p->problems = more;
	p->n_problems++;
}

static int compare_problems(const void *a, const void *b)
{
	const struct problem *x = a, *y = b;

	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* All problems in line order, one per line, without a final newline. */
static char *join_problems(struct parser *p)
{
	char *text = NULL;
	size_t size = 0;
	FILE *f;

	qsort(p->problems, p->n_problems, sizeof(*p->problems), compare_problems);
	f = open_memstream(&text, &size);
	if (!f)
		return NULL;
	for (size_t i = 0; i < p->n_problems; i++) {
		const struct problem *pb = &p->problems[i];

		if (i > 0)
			fputc('\n', f);
		if (pb->line)
			fprintf(f, "%s:%u: %s", p->name, pb->line, pb->text);
		else
			fprintf(f, "%s: %s", p->name, pb->text);
	}
	if (fclose(f) != 0) {
		free(text);
		return NULL;
	}
	return text;
}

/* @value as quoted in a message: cut after MAX_SHOWN bytes, on a character boundary. */
static const char *shown(const char *value, char buf[SHOWN_SIZE])
{
	size_t n = strlen(value);

	if (n <= MAX_SHOWN)
		return value;
	n = MAX_SHOWN;
	while (n > 0 && ((unsigned char)value[n] & 0xc0) == 0x80)
		n--;
	memcpy(buf, value, n);
	memcpy(buf + n, "...", 4);
	return buf;
}

/* Optimal string alignment distance: insertions, deletions, substitutions, swaps. */
static unsigned int edit_distance(const char *a, const char *b)
{
	unsigned int d[65][65], best;
	size_t la = strlen(a), lb = strlen(b);

	if (la > 64 || lb > 64)
		return UINT_MAX;
	for (size_t i = 0; i <= la; i++) {
		for (size_t j = 0; j <= lb; j++) {
			best = (unsigned int)(i + j);
			if (i && j)
				best = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);
			if (i && d[i - 1][j] + 1 < best)
				best = d[i - 1][j] + 1;
			if (j && d[i][j - 1] + 1 < best)
				best = d[i][j - 1] + 1;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
					d[i - 2][j - 2] + 1 < best)
				best = d[i - 2][j - 2] + 1;
			d[i][j] = best;
		}
	}
	return d[la][lb];
}

/* Whether @candidate is a likely typo of @word: at most 2 edits, and at most one
 * per two characters of @candidate (so that "xy" does not suggest "key"). */
static bool is_near(const char *word, const char *candidate, unsigned int *best)
{
	unsigned int d = edit_distance(word, candidate);

	if (d > 2 || 2 * d > strlen(candidate) || d >= *best)
		return false;
	*best = d;
	return true;
}

/* --- sections and keys ----------------------------------------------------- */

static struct rk_device_config *current_device(struct parser *p)
{
	return &p->config->devices[p->device];
}

static const char *section_label(struct parser *p, char buf[48])
{
	if (p->section == SEC_DEVICE)
		snprintf(buf, 48, "[device %s]", current_device(p)->name);
	else
		snprintf(buf, 48, "[%s]", section_names[p->section]);
	return buf;
}

static void start_section(struct parser *p, enum section section, unsigned int line)
{
	p->section = section;
	p->section_line = line;
	memset(p->key_line, 0, sizeof(p->key_line));
}

/* Reports the required keys the section just read did not set. */
static void end_section(struct parser *p)
{
	char label[48];

	for (size_t i = 0; i < N_KEYS; i++)
		if (schema[i].section == p->section && (schema[i].flags & KEY_REQUIRED) &&
				!p->key_line[i])
			problem(p, p->section_line, "missing required key '%s' in %s",
				schema[i].key, section_label(p, label));
	p->section = SEC_SKIP;
}

static void open_device(struct parser *p, unsigned int line, const char *name)
{
	const struct rk_device_config *other = rk_config_find_device(p->config, name);
	struct rk_device_config *more, *dev;
	char buf[SHOWN_SIZE];

	if (!rk_cfg_is_word(name, name_chars, 32)) {
		problem(p, line, "invalid device name '%s': expected 1 to 32 characters of "
			"a-z 0-9 _ -", shown(name, buf));
		return;
	}
	if (other) {
		problem(p, line, "duplicate section [device %s] (first at line %u)", name,
			other->line);
		return;
	}
	more = realloc(p->config->devices, (p->config->n_devices + 1) * sizeof(*more));
	if (!more) {
		p->oom = true;
		return;
	}
	p->config->devices = more;
	dev = &more[p->config->n_devices++];
	*dev = (struct rk_device_config){ .name = strdup(name), .line = line };
	if (!dev->name || apply_defaults(SEC_DEVICE, dev) < 0) {
		p->oom = true;
		return;
	}
	p->device = p->config->n_devices - 1;
	start_section(p, SEC_DEVICE, line);
}

/* @text is a stripped line starting with '['. */
static void handle_header(struct parser *p, unsigned int line, char *text)
{
	size_t len = strlen(text);
	char *name = text + 1, buf[SHOWN_SIZE];

	end_section(p);
	if (text[len - 1] != ']') {
		problem(p, line, strchr(text, ']') ? "malformed section header: text after ']'"
						   : "malformed section header: missing ']'");
		return;
	}
	text[len - 1] = '\0';
	if (strncmp(name, "device ", 7) == 0) {
		open_device(p, line, name + 7);
		return;
	}
	if (strcmp(name, "device") == 0) {
		problem(p, line, "device section without a name: expected [device NAME]");
		return;
	}
	for (int s = SEC_STATION; s < SEC_DEVICE; s++) {
		if (strcmp(name, section_names[s]) != 0)
			continue;
		if (p->section_seen[s]) {
			problem(p, line, "duplicate section [%s] (first at line %u)", name,
				p->section_seen[s]);
			return;
		}
		p->section_seen[s] = line;
		start_section(p, s, line);
		return;
	}
	problem(p, line, "unknown section [%s]", shown(name, buf));
}

static void unknown_key(struct parser *p, unsigned int line, const char *key)
{
	const char *hint = NULL;
	unsigned int best = UINT_MAX;
	char label[48], buf[SHOWN_SIZE];

	for (size_t i = 0; i < N_KEYS; i++)
		if (schema[i].section == p->section && is_near(key, schema[i].key, &best))
			hint = schema[i].key;
	if (hint)
		problem(p, line, "unknown key '%s' in %s (did you mean '%s'?)", shown(key, buf),
			section_label(p, label), hint);
	else
		problem(p, line, "unknown key '%s' in %s", shown(key, buf),
			section_label(p, label));
}

/* A key of a device section that the core does not know: the plugin's. */
static void add_option(struct parser *p, unsigned int line, const char *key, const char *value)
{
	struct rk_device_config *dev = current_device(p);
	struct rk_config_option *more, *opt;
	char label[48], buf[SHOWN_SIZE];

	for (size_t i = 0; i < dev->n_options; i++) {
		if (strcmp(dev->options[i].key, key) == 0) {
			problem(p, line, "duplicate key '%s' in %s (first at line %u)",
				shown(key, buf), section_label(p, label), dev->options[i].line);
			return;
		}
	}
	more = realloc(dev->options, (dev->n_options + 1) * sizeof(*more));
	if (!more) {
		p->oom = true;
		return;
	}
	dev->options = more;
	opt = &more[dev->n_options++];
	*opt = (struct rk_config_option){ strdup(key), strdup(value), line };
	if (!opt->key || !opt->value)
		p->oom = true;
}

static void handle_pair(struct parser *p, unsigned int line, const char *key, const char *value)
{
	const struct key_def *def;
	char label[48], buf[SHOWN_SIZE];
	size_t k;
	int err;

	if (!*key) {
		problem(p, line, "empty key before '='");
		return;
	}
	if (!rk_cfg_is_word(key, key_chars, SIZE_MAX)) {
		problem(p, line, "invalid key '%s': expected letters, digits, '.', '_' or '-'",
			shown(key, buf));
		return;
	}
	if (p->section == SEC_NONE) {
		problem(p, line, "key '%s' before any section header", shown(key, buf));
		return;
	}
	if (p->section == SEC_SKIP)
		return;
	def = find_key(p->section, key);
	if (!def) {
		if (p->section == SEC_DEVICE)
			add_option(p, line, key, value);
		else
			unknown_key(p, line, key);
		return;
	}
	k = (size_t)(def - schema);
	if (p->key_line[k]) {
		problem(p, line, "duplicate key '%s' in %s (first at line %u)", key,
			section_label(p, label), p->key_line[k]);
		return;
	}
	p->key_line[k] = line;
	err = def->type->parse(def, p->section == SEC_DEVICE ? (void *)current_device(p)
							  : (void *)p->config, value);
	if (err == -ENOMEM)
		p->oom = true;
	else if (err < 0)
		problem(p, line, "%s: expected %s, got '%s'", key, def->type->expected,
			shown(value, buf));
}

/* --- lines ----------------------------------------------------------------- */

/* Strict UTF-8: no overlong forms, no surrogates, nothing above U+10FFFF. */
static bool is_utf8(const char *s, size_t len)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, n;
	uint32_t cp, min;

	while (i < len) {
		if (u[i] < 0x80) {
			i++;
			continue;
		}
		if ((u[i] & 0xe0) == 0xc0)
			n = 1, cp = u[i] & 0x1f, min = 0x80;
		else if ((u[i] & 0xf0) == 0xe0)
			n = 2, cp = u[i] & 0x0f, min = 0x800;
		else if ((u[i] & 0xf8) == 0xf0)
			n = 3, cp = u[i] & 0x07, min = 0x10000;
		else
			return false;
		if (len - i <= n)
			return false;
		for (size_t k = 1; k <= n; k++) {
			if ((u[i + k] & 0xc0) != 0x80)
				return false;
			cp = cp << 6 | (u[i + k] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		i += n + 1;
	}
	return true;
}

/* One line of @len bytes, without its '\n'. */
static void handle_line(struct parser *p, unsigned int line, const char *data, size_t len)
{
	char buf[MAX_LINE + 1], *text, *eq;

	if (len > 0 && data[len - 1] == '\r')
		len--;
	if (len > MAX_LINE) {
		problem(p, line, "line is longer than %d bytes", MAX_LINE);
		return;
	}
	if (memchr(data, '\0', len)) {
		problem(p, line, "line contains a NUL byte");
		return;
	}
	if (!is_utf8(data, len)) {
		problem(p, line, "line is not valid UTF-8");
		return;
	}
	memcpy(buf, data, len);
	buf[len] = '\0';
	text = rk_cfg_strip(buf);
	if (*text == '\0' || *text == '#' || *text == ';')
		return;
	if (*text == '[') {
		handle_header(p, line, text);
		return;
	}
	eq = strchr(text, '=');
	if (!eq) {
		/* Not quoted: a key file pasted by mistake must not reach the journal. */
		problem(p, line, "malformed line: expected 'key = value', a [section] header or "
			"a comment");
		return;
	}
	*eq = '\0';
	handle_pair(p, line, rk_cfg_strip(text), rk_cfg_strip(eq + 1));
}

/* Hands over the configuration, or the problems as @fail (-ENOMEM before all). */
static int finish(struct parser *p, struct rk_config **out, char **errors, int fail)
{
	int err = 0;

	if (p->oom) {
		err = -ENOMEM;
	} else if (p->n_problems) {
		err = fail;
		*errors = join_problems(p);
		if (!*errors)
			err = -ENOMEM;
	}
	for (size_t i = 0; i < p->n_problems; i++)
		free(p->problems[i].text);
	free(p->problems);
	if (err < 0)
		rk_config_free(p->config);
	else
		*out = p->config;
	return err;
}

/* --- public functions ------------------------------------------------------ */

struct rk_config *rk_config_new_default(void)
{
	struct rk_config *config = config_defaults();

	if (!config) {
		rk_error("out of memory for the default configuration");
		abort();
	}
	return config;
}

int rk_config_load_data(const char *name, const char *data, size_t len, struct rk_config **out,
		char **errors)
{
	struct parser p = { .name = name, .section = SEC_NONE };
	unsigned int line = 0;
	size_t pos = 0;

	*out = NULL;
	*errors = NULL;
	if (len > MAX_FILE_SIZE) {
		problem(&p, 0, "file is larger than 1 MiB (%d bytes)", MAX_FILE_SIZE);
		return finish(&p, out, errors, -EFBIG);
	}
	p.config = config_defaults();
	if (!p.config || !(p.config->path = strdup(name))) {
		p.oom = true;
		return finish(&p, out, errors, -EINVAL);
	}
	if (len >= 3 && memcmp(data, "\xef\xbb\xbf", 3) == 0)
		pos = 3; /* a UTF-8 byte order mark, as some editors write */
	while (pos < len) {
		const char *nl = memchr(data + pos, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - (data + pos)) : len - pos;

		handle_line(&p, ++line, data + pos, n);
		pos += n + 1;
	}
	end_section(&p);
	return finish(&p, out, errors, -EINVAL);
}

/* At most MAX_FILE_SIZE + 1 bytes of @path: enough to tell that it is too large. */
static int read_file(const char *path, char **out, size_t *len)
{
	FILE *f = fopen(path, "re");
	int err = 0;

	if (!f)
		return -errno;
	*out = malloc(MAX_FILE_SIZE + 1);
	errno = 0;
	if (!*out)
		err = -ENOMEM;
	else if ((*len = fread(*out, 1, MAX_FILE_SIZE + 1, f)) <= MAX_FILE_SIZE && ferror(f))
		err = errno ? -errno : -EIO;
	fclose(f);
	if (err < 0) {
		free(*out);
		*out = NULL;
	}
	return err;
}

int rk_config_load(const char *path, struct rk_config **out, char **errors)
{
	char *data = NULL;
	size_t len = 0;
	int err;

	*out = NULL;
	*errors = NULL;
	err = read_file(path, &data, &len);
	if (err < 0) {
		if (asprintf(errors, "%s: %s", path, strerror(-err)) < 0)
			*errors = NULL;
		return err;
	}
	err = rk_config_load_data(path, data, len, out, errors);
	free(data);
	if (err == 0)
		rk_debug("%s: configuration read, %zu device(s)", path, (*out)->n_devices);
	return err;
}

void rk_config_free(struct rk_config *config)
{
	if (!config)
		return;
	for (int s = SEC_STATION; s < SEC_DEVICE; s++)
		free_fields(s, config);
	for (size_t i = 0; i < config->n_devices; i++) {
		struct rk_device_config *dev = &config->devices[i];

		free_fields(SEC_DEVICE, dev);
		free(dev->name);
		for (size_t j = 0; j < dev->n_options; j++) {
			free(dev->options[j].key);
			free(dev->options[j].value);
		}
		free(dev->options);
	}
	free(config->devices);
	free(config->path);
	free(config);
}

void rk_config_format_office_hours(const struct rk_config *config, char buf[12])
{
	unsigned int open = config->office_open % (24 * 60);
	unsigned int close = config->office_close % (24 * 60);

	snprintf(buf, 12, "%02u:%02u-%02u:%02u", open / 60, open % 60, close / 60, close % 60);
}

const struct rk_device_config *rk_config_find_device(const struct rk_config *config,
		const char *name)
{
	for (size_t i = 0; config && name && i < config->n_devices; i++)
		if (strcmp(config->devices[i].name, name) == 0)
			return &config->devices[i];
	return NULL;
}
