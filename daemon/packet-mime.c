// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * rekam - KTP-el recording station daemon
 *
 * packet-mime.c - a built packet as multipart/form-data for libcurl
 * (rk_packet_mime in packet.h): one part per file of the packet directory,
 * each given to curl_mime_data_cb() with a reader that opens its file on
 * the first read, seeks when libcurl rewinds for a retry, and closes when
 * the mime structure is freed; no part is ever held in memory whole, but
 * the manifest: it is opened from the vault (packet.h) and given as data.
 */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/crypto.h>

#include "daemon/packet.h"

struct part_file {
	char *path;
	int fd; /* -1 until the first read */
};

static size_t part_read(char *buf, size_t size, size_t n, void *arg)
{
	struct part_file *p = arg;
	ssize_t got;

	if (p->fd < 0) {
		p->fd = open(p->path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
		if (p->fd < 0)
			return CURL_READFUNC_ABORT;
	}
	do
		got = read(p->fd, buf, size * n);
	while (got < 0 && errno == EINTR);
	return got < 0 ? CURL_READFUNC_ABORT : (size_t)got;
}

static int part_seek(void *arg, curl_off_t offset, int origin)
{
	struct part_file *p = arg;

	if (p->fd < 0) {
		p->fd = open(p->path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
		if (p->fd < 0)
			return CURL_SEEKFUNC_FAIL;
	}
	return lseek(p->fd, (off_t)offset, origin) < 0 ? CURL_SEEKFUNC_FAIL : CURL_SEEKFUNC_OK;
}

static void part_free(void *arg)
{
	struct part_file *p = arg;

	if (p->fd >= 0)
		close(p->fd);
	free(p->path);
	free(p);
}

/* Add the part @name streamed from @dir/@file; its size into *@size. */
static int add_part(curl_mime *mime, const char *dir, const char *file, const char *name,
		const char *type, uint64_t *size)
{
	struct part_file *p = calloc(1, sizeof(*p));
	curl_mimepart *part;
	struct stat st;

	if (!p || asprintf(&p->path, "%s/%s", dir, file) < 0) {
		free(p);
		return -ENOMEM;
	}
	p->fd = -1;
	if (lstat(p->path, &st) < 0 || !S_ISREG(st.st_mode)) {
		int r = errno == ENOENT ? -EBADMSG : -EIO;

		part_free(p);
		return r;
	}
	part = curl_mime_addpart(mime);
	if (!part || curl_mime_name(part, name) != CURLE_OK ||
			curl_mime_type(part, type) != CURLE_OK) {
		part_free(p);
		return -ENOMEM;
	}
	/* from here on the part owns p and frees it */
	if (curl_mime_data_cb(part, (curl_off_t)st.st_size, part_read, part_seek, part_free,
			p) != CURLE_OK) {
		part_free(p);
		return -ENOMEM;
	}
	*size += (uint64_t)st.st_size;
	return 0;
}

/* The artifact names of the manifest @text. */
static int manifest_names(const char *text, size_t len, json_t **names)
{
	json_t *m, *arts, *a;
	size_t i;
	int r = -EBADMSG;

	m = json_loadb(text, len, JSON_REJECT_DUPLICATES, NULL);
	arts = json_object_get(m, "artifacts");
	*names = json_array();
	if (!*names) {
		json_decref(m);
		return -ENOMEM;
	}
	if (!json_is_array(arts) || json_array_size(arts) == 0 ||
			json_array_size(arts) > RK_PACKET_MAX_ARTIFACTS)
		goto out;
	json_array_foreach(arts, i, a) {
		const char *name = json_string_value(json_object_get(a, "name"));

		if (!name || !*name || strlen(name) > 63 ||
				strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789._-") != strlen(name))
			goto out;
		json_array_append_new(*names, json_string(name));
	}
	r = 0;
out:
	json_decref(m);
	if (r < 0) {
		json_decref(*names);
		*names = NULL;
	}
	return r;
}

int rk_packet_mime(CURL *curl, const char *outbox, const char *id, curl_mime **out,
		uint64_t *total)
{
	char *dir = NULL, *text = NULL, file[sizeof(RK_PACKET_PART_PREFIX) + 64];
	json_t *names = NULL, *n;
	curl_mimepart *part;
	size_t len = 0;
	curl_mime *mime = NULL;
	struct stat st;
	size_t i;
	int r;

	*out = NULL;
	*total = 0;
	if (!rk_packet_id_valid(id))
		return -EINVAL;
	if (asprintf(&dir, "%s/%s", outbox, id) < 0)
		return -ENOMEM;
	if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode)) {
		free(dir);
		return -ENOENT;
	}
	/* the manifest is opened from the vault into memory (the part keeps a copy) */
	r = rk_packet_read_manifest(outbox, id, &text, &len);
	if (r == -ENOENT)
		r = -EBADMSG;
	if (r == 0)
		r = manifest_names(text, len, &names);
	if (r == 0) {
		mime = curl_mime_init(curl);
		r = mime ? 0 : -ENOMEM;
	}
	if (r == 0) {
		part = curl_mime_addpart(mime);
		if (!part || curl_mime_name(part, "manifest") != CURLE_OK ||
				curl_mime_type(part, "application/json") != CURLE_OK ||
				curl_mime_data(part, text, len) != CURLE_OK)
			r = -ENOMEM;
		else
			*total += len;
	}
	if (r == 0)
		r = add_part(mime, dir, RK_PACKET_SIGNATURE, "signature",
				"application/octet-stream", total);
	json_array_foreach(names, i, n) {
		if (r < 0)
			break;
		snprintf(file, sizeof(file), RK_PACKET_PART_PREFIX "%s", json_string_value(n));
		r = add_part(mime, dir, file, json_string_value(n), "application/octet-stream",
				total);
	}
	json_decref(names);
	free(dir);
	if (text) {
		OPENSSL_cleanse(text, len);
		free(text);
	}
	if (r < 0) {
		curl_mime_free(mime);
		*total = 0;
		return r;
	}
	*out = mime;
	return 0;
}
