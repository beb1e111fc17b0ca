// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * rekam - KTP-el recording station daemon
 *
 * cmd-artifact.c - artifacts in rekamctl: "rekamctl artifact save HANDLE
 * FILE" (the bytes through id.rekam.Station1.ReadArtifact), the --save=DIR
 * of capture and job (each artifact as DIR/<kind>.<ext>), and the table of
 * artifacts those commands print.
 */
#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "client/session.h"

/* --- the table --------------------------------------------------------------- */

static const char *meta_string(const json_t *artifact, const char *key)
{
	const json_t *v = json_object_get(artifact, key);

	return json_is_string(v) && json_string_length(v) ? json_string_value(v) : "-";
}

static json_int_t meta_int(const json_t *artifact, const char *key)
{
	const json_t *v = json_object_get(artifact, key);

	return json_is_integer(v) ? json_integer_value(v) : 0;
}

enum { COL_KIND, COL_FORMAT, COL_SIZE, COL_PIXELS, COL_HANDLE, COL_SHA256, N_COLS };

static const char *const titles[N_COLS] = { "KIND", "FORMAT", "SIZE", "WxH", "HANDLE", "SHA256" };

/* The cells of one artifact, each malloc'd. */
static int artifact_cells(const json_t *artifact, char *cells[N_COLS])
{
	json_int_t w = meta_int(artifact, "Width"), h = meta_int(artifact, "Height");
	int n[N_COLS], err = 0;

	n[COL_KIND] = asprintf(&cells[COL_KIND], "%s", meta_string(artifact, "Kind"));
	n[COL_FORMAT] = asprintf(&cells[COL_FORMAT], "%s", meta_string(artifact, "Format"));
	n[COL_SIZE] = asprintf(&cells[COL_SIZE], "%" JSON_INTEGER_FORMAT,
		meta_int(artifact, "Size"));
	if (w > 0 && h > 0)
		n[COL_PIXELS] = asprintf(&cells[COL_PIXELS],
			"%" JSON_INTEGER_FORMAT "x%" JSON_INTEGER_FORMAT, w, h);
	else
		n[COL_PIXELS] = asprintf(&cells[COL_PIXELS], "-");
	n[COL_HANDLE] = asprintf(&cells[COL_HANDLE], "%s", meta_string(artifact, "Handle"));
	n[COL_SHA256] = asprintf(&cells[COL_SHA256], "%s", meta_string(artifact, "Sha256"));
	for (int c = 0; c < N_COLS; c++) {
		if (n[c] < 0) {
			cells[c] = NULL; /* asprintf() leaves it undefined */
			err = -ENOMEM;
		}
	}
	return err;
}

int ctl_print_artifacts(const json_t *artifacts)
{
	size_t n = json_array_size(artifacts), widths[N_COLS], i, c;
	char **cells;
	int err = 0;

	if (n == 0) {
		puts("No artifacts.");
		return 0;
	}
	cells = calloc(n * N_COLS, sizeof(*cells));
	if (!cells)
		return ctl_out_of_memory();
	for (c = 0; c < N_COLS; c++)
		widths[c] = strlen(titles[c]);
	for (i = 0; i < n && !err; i++) {
		err = artifact_cells(json_array_get(artifacts, i), &cells[i * N_COLS]);
		for (c = 0; c < N_COLS && !err; c++)
			if (strlen(cells[i * N_COLS + c]) > widths[c])
				widths[c] = strlen(cells[i * N_COLS + c]);
	}
	if (!err) {
		for (c = 0; c < N_COLS; c++)
			printf("%-*s%s", c == N_COLS - 1 ? 0 : (int)widths[c], titles[c],
				c == N_COLS - 1 ? "\n" : "  ");
		for (i = 0; i < n; i++) {
			for (c = 0; c < N_COLS; c++) {
				ctl_put_clean(stdout, cells[i * N_COLS + c]);
				if (c < N_COLS - 1)
					printf("%*s", (int)(widths[c] -
						strlen(cells[i * N_COLS + c]) + 2), "");
			}
			putchar('\n');
		}
		printf("%zu artifact%s\n", n, n == 1 ? "" : "s");
	} else {
		ctl_out_of_memory();
	}
	for (i = 0; i < n * N_COLS; i++)
		free(cells[i]);
	free(cells);
	return err;
}

/* --- saving ------------------------------------------------------------------- */

/* A file name extension for a media type. */
static const char *extension(const char *format)
{
	static const struct {
		const char *format, *ext;
	} known[] = {
		{ "image/png", "png" }, { "image/jpeg", "jpg" }, { "image/tiff", "tif" },
		{ "application/json", "json" }, { "application/pdf", "pdf" },
		{ "text/plain", "txt" }, { "image/x-portable-anymap", "pnm" },
	};

	for (size_t i = 0; format && i < sizeof(known) / sizeof(known[0]); i++)
		if (!strcmp(format, known[i].format))
			return known[i].ext;
	return "bin";
}

/* Writes @size bytes to @path (replacing it); 0 or -EIO, said. */
static int write_file(const char *path, const void *data, size_t size)
{
	FILE *f = fopen(path, "wb");
	bool ok;

	if (!f) {
		ctl_err("cannot write %s: %s", path, strerror(errno));
		return -EIO;
	}
	ok = fwrite(data, 1, size, f) == size;
	ok = fclose(f) == 0 && ok;
	if (!ok) {
		ctl_err("cannot write %s: %s", path, strerror(errno));
		remove(path);
		return -EIO;
	}
	return 0;
}

/* The bytes of artifact @handle into @path; its metadata into *@meta when not NULL. */
static int save_artifact(struct ctl_bus *bus, const char *handle, const char *path,
		json_t **meta)
{
	DBusMessage *reply;
	DBusMessageIter iter, bytes;
	const unsigned char *data = NULL;
	int n = 0, err;

	err = ctl_bus_call_expect(bus, REKAM_OBJECT_PATH, REKAM_MANAGER_INTERFACE, "ReadArtifact",
		"a{sv}ay", &reply, DBUS_TYPE_STRING, &handle, DBUS_TYPE_INVALID);
	if (err)
		return err;
	dbus_message_iter_init(reply, &iter);
	if (meta && ctl_json_from_iter(&iter, meta))
		err = ctl_out_of_memory();
	dbus_message_iter_next(&iter);
	dbus_message_iter_recurse(&iter, &bytes);
	dbus_message_iter_get_fixed_array(&bytes, &data, &n);
	if (!err)
		err = write_file(path, n ? (const void *)data : "", (size_t)n);
	dbus_message_unref(reply);
	return err;
}

int ctl_save_artifacts(struct ctl_bus *bus, json_t *artifacts, const char *dir)
{
	const json_t *a;
	size_t i;

	if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
		ctl_err("cannot create %s: %s", dir, strerror(errno));
		return -EIO;
	}
	json_array_foreach(artifacts, i, a) {
		const char *kind = json_string_value(json_object_get(a, "Kind"));
		const char *handle = json_string_value(json_object_get(a, "Handle"));
		const char *ext = extension(json_string_value(json_object_get(a, "Format")));
		char *path = NULL;
		int err, r, same = 0;

		if (!kind || !handle || strchr(kind, '/') || kind[0] == '.') {
			ctl_err("rekamd described an artifact without a usable kind or handle");
			return -EPROTO;
		}
		/* several artifacts of one kind: kind.ext, kind-2.ext, ... */
		for (size_t j = 0; j < i; j++)
			same += !strcmp(kind, json_string_value(json_object_get(
				json_array_get(artifacts, j), "Kind")) ?: "");
		if (same)
			r = asprintf(&path, "%s/%s-%d.%s", dir, kind, same + 1, ext);
		else
			r = asprintf(&path, "%s/%s.%s", dir, kind, ext);
		if (r < 0)
			return ctl_out_of_memory();
		err = save_artifact(bus, handle, path, NULL);
		if (!err && json_object_set_new((json_t *)a, "File", json_string(path)) < 0)
			err = ctl_out_of_memory();
		if (!err)
			fprintf(stderr, "saved %s to %s\n", kind, path);
		free(path);
		if (err)
			return err;
	}
	return 0;
}

/* --- rekamctl artifact save HANDLE FILE -------------------------------------- */

int cmd_artifact(struct ctl *ctl, int argc, char **argv)
{
	json_t *meta = NULL;
	int err;

	if (strcmp(argv[1], "save") != 0 || argc != 4) {
		ctl_err("usage: rekamctl artifact save HANDLE FILE");
		return -EINVAL;
	}
	err = save_artifact(&ctl->bus, argv[2], argv[3], &meta);
	if (!err && ctl->json) {
		json_t *doc = json_pack("{s:s, s:O}", "file", argv[3], "artifact", meta);

		err = doc ? ctl_print_json(doc) : ctl_out_of_memory();
		json_decref(doc);
	} else if (!err) {
		printf("saved %s (%s, %" JSON_INTEGER_FORMAT " bytes) to %s\n",
			json_string_value(json_object_get(meta, "Kind")),
			json_string_value(json_object_get(meta, "Format")),
			json_integer_value(json_object_get(meta, "Size")), argv[3]);
	}
	json_decref(meta);
	return err;
}
