// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * rekam - KTP-el recording station daemon
 *
 * cmd-devices.c - "rekamctl devices [DEVICE]": the station's devices from
 * rekamd's ObjectManager (ctl_fetch_devices() in bus.c), as a table
 * sorted by object path (sigpad2 before sigpad10), or every property of one
 * device; with --json, the devices' properties as rekamd sent them.
 */
#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client/commands.h"

#define CELL_MAX 32 /* characters of a table cell, unless the column is not cut */
#define ELLIPSIS "\xe2\x80\xa6" /* U+2026, one character */

/* --- text for people ------------------------------------------------------- */

/* Characters (not bytes) of UTF-8 @s. */
static size_t text_width(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			n++;
	return n;
}

/*
 * A copy of UTF-8 @s that is safe on a terminal: C0 controls and DEL become
 * spaces, C1 controls (U+0080-U+009F, which include CSI) question marks, and
 * newlines stay only when @keep_newlines.
 */
static char *clean_text(const char *s, bool keep_newlines)
{
	char *out = malloc(strlen(s) + 1), *p = out;
	unsigned char c;

	if (!out)
		return NULL;
	for (; (c = (unsigned char)*s); s++) {
		if (c == 0xc2 && (unsigned char)s[1] >= 0x80 && (unsigned char)s[1] <= 0x9f) {
			*p++ = '?';
			s++;
		} else if ((c < 0x20 && !(c == '\n' && keep_newlines)) || c == 0x7f) {
			*p++ = ' ';
		} else {
			*p++ = (char)c;
		}
	}
	*p = '\0';
	return out;
}

/* A value as text: strings as they are, anything else as compact JSON. */
static char *value_text(const json_t *value, bool keep_newlines)
{
	char *dump, *text;

	if (json_is_string(value))
		return clean_text(json_string_value(value), keep_newlines);
	dump = json_dumps(value, JSON_ENCODE_ANY | JSON_COMPACT | JSON_SORT_KEYS);
	if (!dump)
		return NULL;
	text = clean_text(dump, false);
	free(dump);
	return text;
}

/* @text cut to CELL_MAX characters, the last of them an ellipsis; frees @text. */
static char *cut_text(char *text)
{
	size_t n = 0, keep = 0;
	char *cut;
	const char *s;

	if (text_width(text) <= CELL_MAX)
		return text;
	for (s = text; *s; s++) {
		if (((unsigned char)*s & 0xc0) != 0x80 && n++ == CELL_MAX - 1)
			break;
		keep++;
	}
	if (asprintf(&cut, "%.*s" ELLIPSIS, (int)keep, text) < 0)
		cut = NULL;
	free(text);
	return cut;
}

/* The last component of an object path: "sigpad0" of ".../devices/sigpad0". */
static const char *path_name(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash && slash[1] ? slash + 1 : path;
}

static const char *string_property(const json_t *device, const char *key)
{
	const json_t *value = json_object_get(json_object_get(device, "properties"), key);

	return json_is_string(value) ? json_string_value(value) : "";
}

/* --- the table ------------------------------------------------------------- */

enum column_id {
	COL_DEVICE,
	COL_CLASS,
	COL_STATE,
	COL_MODEL,
	COL_SERIAL,
	COL_PLUGIN,
	COL_CONNECTION,
	COL_CLAIMED,
	N_COLUMNS
};

struct column {
	const char *title;
	const char *property; /* NULL: the device name, from the path */
	bool cut;             /* cut at CELL_MAX characters */
};

static const struct column columns[N_COLUMNS] = {
	[COL_DEVICE] = { "DEVICE", NULL, true },
	[COL_CLASS] = { "CLASS", "Class", true },
	[COL_STATE] = { "STATE", "State", true },
	[COL_MODEL] = { "MODEL", "Model", true },
	[COL_SERIAL] = { "SERIAL", "Serial", true },
	[COL_PLUGIN] = { "PLUGIN", "Plugin", true },
	[COL_CONNECTION] = { "CONNECTION", "Connection", false },
	[COL_CLAIMED] = { "CLAIMED", "ClaimedBy", true },
};

/* One cell: "-" for an empty or missing value. */
static char *cell_text(const json_t *device, const struct column *col)
{
	const json_t *value;
	char *text;

	if (!col->property) {
		text = clean_text(path_name(json_string_value(json_object_get(device, "path"))),
			false);
	} else {
		value = json_object_get(json_object_get(device, "properties"), col->property);
		if (!value || json_is_null(value) ||
				(json_is_string(value) && json_string_length(value) == 0))
			text = strdup("-");
		else
			text = value_text(value, false);
	}
	if (text && col->cut)
		text = cut_text(text);
	return text;
}

static void print_padded(const char *text, size_t width, bool last)
{
	fputs(text, stdout);
	if (!last)
		printf("%*s", (int)(width - text_width(text) + 2), "");
}

/* Text whose following lines are indented by @indent spaces. */
static void print_indented(const char *text, int indent)
{
	for (; *text; text++) {
		putchar(*text);
		if (*text == '\n' && text[1])
			printf("%*s", indent, "");
	}
}

static void print_last_error(const json_t *device)
{
	const char *error = string_property(device, "LastError");
	char *text;

	if (!*error)
		return;
	text = clean_text(error, true);
	fputs("  last error: ", stdout);
	print_indented(text ? text : error, 14);
	putchar('\n');
	free(text);
}

static int print_table(const json_t *devices)
{
	size_t n = json_array_size(devices), widths[N_COLUMNS], i, c;
	char **cells;
	int err = 0;

	if (n == 0) {
		puts("No devices.");
		return 0;
	}
	cells = calloc(n * N_COLUMNS, sizeof(*cells));
	if (!cells)
		return ctl_out_of_memory();
	for (c = 0; c < N_COLUMNS; c++)
		widths[c] = strlen(columns[c].title);
	for (i = 0; i < n && !err; i++) {
		for (c = 0; c < N_COLUMNS; c++) {
			char *cell = cell_text(json_array_get(devices, i), &columns[c]);

			if (!cell) {
				err = ctl_out_of_memory();
				break;
			}
			cells[i * N_COLUMNS + c] = cell;
			if (text_width(cell) > widths[c])
				widths[c] = text_width(cell);
		}
	}

	if (!err) {
		for (c = 0; c < N_COLUMNS; c++)
			print_padded(columns[c].title, widths[c], c == N_COLUMNS - 1);
		putchar('\n');
		for (i = 0; i < n; i++) {
			for (c = 0; c < N_COLUMNS; c++)
				print_padded(cells[i * N_COLUMNS + c], widths[c],
					c == N_COLUMNS - 1);
			putchar('\n');
			print_last_error(json_array_get(devices, i));
		}
		printf("%zu device%s\n", n, n == 1 ? "" : "s");
	}
	for (i = 0; i < n * N_COLUMNS; i++)
		free(cells[i]);
	free(cells);
	return err;
}

/* --- one device ------------------------------------------------------------ */

/* In the order people read them; properties a later rekamd adds come after. */
static const char *const show_order[] = {
	"Name", "Class", "State", "Model", "Serial", "Firmware", "Plugin", "Connection",
	"ClaimedBy", "LastError",
};

static bool in_show_order(const char *key)
{
	size_t i;

	for (i = 0; i < sizeof(show_order) / sizeof(show_order[0]); i++)
		if (!strcmp(show_order[i], key))
			return true;
	return false;
}

static int print_line(const char *prefix, const char *key, const json_t *value)
{
	char *text = value_text(value, true);
	int indent;

	if (!text)
		return ctl_out_of_memory();
	indent = printf("%s%s: ", prefix, key);
	print_indented(text, indent > 0 ? indent : 0);
	putchar('\n');
	free(text);
	return 0;
}

static int compare_keys(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/*
 * The members of @object whose keys pass @want, sorted by key, as
 * "PREFIXKey: value" lines.
 */
static int print_sorted(const char *prefix, const json_t *object, bool (*want)(const char *key))
{
	size_t n = 0, i;
	const char *key, **keys;
	json_t *value;
	int err = 0;

	keys = calloc(json_object_size(object) + 1, sizeof(*keys));
	if (!keys)
		return ctl_out_of_memory();
	json_object_foreach((json_t *)object, key, value) {
		if (!want || want(key))
			keys[n++] = key;
	}
	qsort(keys, n, sizeof(*keys), compare_keys);
	for (i = 0; i < n && !err; i++)
		err = print_line(prefix, keys[i], json_object_get(object, keys[i]));
	free(keys);
	return err;
}

static bool is_other_property(const char *key)
{
	return !in_show_order(key) && strcmp(key, "Health") != 0;
}

static int print_device(const json_t *device)
{
	const json_t *props = json_object_get(device, "properties");
	const json_t *value, *health;
	size_t i;
	int err;

	printf("Path: %s\n", json_string_value(json_object_get(device, "path")));
	for (i = 0; i < sizeof(show_order) / sizeof(show_order[0]); i++) {
		value = json_object_get(props, show_order[i]);
		if (!value)
			continue;
		err = print_line("", show_order[i], value);
		if (err)
			return err;
	}
	health = json_object_get(props, "Health");
	if (json_is_object(health)) {
		err = print_sorted("Health.", health, NULL);
		if (err)
			return err;
	} else if (health) {
		err = print_line("", "Health", health);
		if (err)
			return err;
	}
	return print_sorted("", props, is_other_property);
}

int cmd_devices(struct ctl *ctl, int argc, char **argv)
{
	const json_t *device;
	json_t *devices;
	int err;

	err = ctl_fetch_devices(&ctl->bus, &devices);
	if (err)
		return err;

	if (argc < 2) {
		err = ctl->json ? ctl_print_json(devices) : print_table(devices);
	} else {
		device = ctl_find_device(devices, argv[1]);
		if (!device) {
			ctl_err("no device %s", argv[1]);
			err = -EREMOTEIO; /* exit 1, as when rekamd answers with an error */
		} else {
			err = ctl->json ? ctl_print_json(device) : print_device(device);
		}
	}
	json_decref(devices);
	return err;
}
