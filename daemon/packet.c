// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * rekam - KTP-el recording station daemon
 *
 * packet.c - building the enrollment packet (packet.h): check the input,
 * encrypt each artifact into the packet directory while hashing what is
 * written, wrap the packet key, write and sign the manifest, and publish
 * the directory with one rename. The key wrap is in packet-crypto.c, the
 * multipart stream in packet-mime.c.
 */
#include <config.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/err.h>
#include <openssl/rand.h>
#include <openssl/x509.h>

#include "daemon/artifact.h"
#include "daemon/packet.h"
#include "daemon/vault.h"

#define CHUNK 65536

#define LOWER "abcdefghijklmnopqrstuvwxyz"
#define UPPER "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
#define DIGIT "0123456789"
#define HEX "0123456789abcdef"

__attribute__((format(printf, 2, 3))) static int fail(char **error, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (vasprintf(error, fmt, ap) < 0)
		*error = NULL;
	va_end(ap);
	return -EINVAL;
}

static bool all_of(const char *s, size_t min, size_t max, const char *set)
{
	size_t n = s ? strlen(s) : 0;

	return s && n >= min && n <= max && strspn(s, set) == n;
}

bool rk_packet_id_valid(const char *id)
{
	if (!all_of(id, RK_PACKET_ID_LEN, RK_PACKET_ID_LEN, HEX "-"))
		return false;
	for (int i = 0; i < RK_PACKET_ID_LEN; i++)
		if ((id[i] == '-') != (i == 8 || i == 13 || i == 18 || i == 23))
			return false;
	return true;
}

static int new_id(char id[RK_PACKET_ID_LEN + 1])
{
	unsigned char b[16];

	if (RAND_bytes(b, sizeof(b)) != 1)
		return -EIO;
	b[6] = (unsigned char)((b[6] & 0x0f) | 0x40); /* version 4 */
	b[8] = (unsigned char)((b[8] & 0x3f) | 0x80); /* RFC 4122 variant */
	snprintf(id, RK_PACKET_ID_LEN + 1,
			"%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
			b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11],
			b[12], b[13], b[14], b[15]);
	return 0;
}

static void to_hex(const unsigned char *in, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = HEX[in[i] >> 4];
		out[2 * i + 1] = HEX[in[i] & 15];
	}
	out[2 * n] = '\0';
}

static json_t *base64(const unsigned char *in, size_t n)
{
	char *out = malloc(4 * ((n + 2) / 3) + 1);
	json_t *s;

	if (!out)
		return NULL;
	EVP_EncodeBlock((unsigned char *)out, in, (int)n);
	s = json_string(out);
	free(out);
	return s;
}

/* RFC 3339 in local time with a numeric offset: 2026-03-02T09:41:07+07:00. */
static json_t *rfc3339(int64_t t)
{
	time_t tt = (time_t)t;
	struct tm tm;
	char buf[40];
	size_t n;

	if (!localtime_r(&tt, &tm))
		return NULL;
	n = strftime(buf, sizeof(buf) - 1, "%Y-%m-%dT%H:%M:%S%z", &tm);
	if (n < 5)
		return NULL;
	/* +0700 -> +07:00 */
	memmove(buf + n - 1, buf + n - 2, 3);
	buf[n - 2] = ':';
	return json_string(buf);
}

/* --- input --------------------------------------------------------------------------------- */

static int check_input(const struct rk_packet_input *in, char **error)
{
	bool has_name = false;

	if (!all_of(in->station_id, 1, 64, UPPER LOWER DIGIT "._-"))
		return fail(error, "the station id must be 1-64 of A-Z a-z 0-9 . _ -");
	if (!all_of(in->nik, 16, 16, DIGIT))
		return fail(error, "the NIK must be exactly 16 digits");
	for (size_t i = 0; i < in->n_applicant; i++) {
		const struct rk_packet_field *f = &in->applicant[i];

		if (!all_of(f->key, 1, 32, LOWER "_") || !f->value || !*f->value ||
				strlen(f->value) > 1024)
			return fail(error, "applicant field %zu needs a key of a-z _ and a value "
					"of 1-1024 bytes", i + 1);
		has_name |= strcmp(f->key, "name") == 0;
	}
	if (!has_name)
		return fail(error, "the applicant's name is missing");
	for (size_t i = 0; i < in->n_sop; i++)
		if (!all_of(in->sop[i].step, 1, 32, LOWER "_") || in->sop[i].at <= 0)
			return fail(error, "SOP time %zu needs a step name of a-z _ and a time",
					i + 1);
	if (in->n_artifacts == 0 || in->n_artifacts > RK_PACKET_MAX_ARTIFACTS)
		return fail(error, "a packet has 1 to %d artifacts, not %zu",
				RK_PACKET_MAX_ARTIFACTS, in->n_artifacts);
	for (size_t i = 0; i < in->n_artifacts; i++) {
		const struct rk_packet_artifact *a = &in->artifacts[i];

		if (!all_of(a->name, 1, 63, LOWER DIGIT "._-"))
			return fail(error, "artifact %zu: the name must be 1-63 of a-z 0-9 . _ -",
					i + 1);
		if (!all_of(a->type, 1, 32, LOWER DIGIT "._-") ||
				!all_of(a->format, 1, 64, LOWER DIGIT "._-/+"))
			return fail(error, "artifact %s needs a type and a format", a->name);
		if (!!a->path == !!a->stored)
			return fail(error, "artifact %s needs a path or a stored artifact (one of "
					"them)", a->name);
		if (a->stored && !in->artifact_dir)
			return fail(error, "artifact %s: a stored artifact needs the artifact "
					"directory", a->name);
		if (a->sha256 && !all_of(a->sha256, 64, 64, HEX))
			return fail(error, "artifact %s: the SHA-256 must be 64 lowercase hex "
					"digits", a->name);
		for (size_t j = 0; j < i; j++)
			if (strcmp(a->name, in->artifacts[j].name) == 0)
				return fail(error, "two artifacts are named %s", a->name);
	}
	return 0;
}

/* --- files --------------------------------------------------------------------------------- */

static int write_all(int fd, const void *data, size_t len)
{
	const unsigned char *p = data;

	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int write_file(int dfd, const char *name, const void *data, size_t len)
{
	int fd = openat(dfd, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	int r;

	if (fd < 0)
		return -errno;
	r = write_all(fd, data, len);
	if (r == 0 && fsync(fd) < 0)
		r = -errno;
	close(fd);
	return r;
}

/* The manifest, sealed by the vault when it has a key (rk_packet_read_manifest()). */
static int write_manifest(int dfd, const char *id, const char *text)
{
	char label[16 + RK_PACKET_ID_LEN];
	int fd, r;

	if (!rk_vault_loaded())
		return write_file(dfd, RK_PACKET_MANIFEST, text, strlen(text));
	snprintf(label, sizeof(label), "manifest %s", id);
	fd = openat(dfd, RK_PACKET_MANIFEST, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	r = rk_vault_seal(fd, label, text, strlen(text));
	if (r == 0 && fsync(fd) < 0)
		r = -errno;
	close(fd);
	return r;
}

int rk_packet_read_manifest(const char *outbox, const char *id, char **text, size_t *len)
{
	char *path = NULL, label[16 + RK_PACKET_ID_LEN];
	unsigned char head[4], *plain = NULL;
	struct stat st;
	int fd, r;

	*text = NULL;
	*len = 0;
	if (!rk_packet_id_valid(id))
		return -EINVAL;
	if (asprintf(&path, "%s/%s/%s", outbox, id, RK_PACKET_MANIFEST) < 0)
		return -ENOMEM;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	free(path);
	if (fd < 0)
		return errno == ENOENT ? -ENOENT : -EIO;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size < 2 ||
			st.st_size > (off_t)RK_PACKET_MANIFEST_MAX + RK_VAULT_OVERHEAD) {
		close(fd);
		return -EBADMSG;
	}
	if (pread(fd, head, sizeof(head), 0) == (ssize_t)sizeof(head) &&
			memcmp(head, "RKV1", 4) == 0 && st.st_size > RK_VAULT_OVERHEAD) {
		uint64_t n = (uint64_t)st.st_size - RK_VAULT_OVERHEAD;

		snprintf(label, sizeof(label), "manifest %s", id);
		r = rk_vault_unseal(fd, label, n, &plain);
		if (r == 0) {
			char *t = realloc(plain, n + 1);

			if (!t) {
				free(plain);
				r = -ENOMEM;
			} else {
				t[n] = '\0';
				*text = t;
				*len = (size_t)n;
			}
		}
	} else {
		char *t = malloc((size_t)st.st_size + 1);
		ssize_t got = t ? pread(fd, t, (size_t)st.st_size, 0) : -1;

		r = t ? (got == st.st_size ? 0 : -EIO) : -ENOMEM;
		if (r == 0) {
			t[st.st_size] = '\0';
			*text = t;
			*len = (size_t)st.st_size;
		} else {
			free(t);
		}
	}
	close(fd);
	return r;
}

struct sealed {
	uint64_t size;
	char sha256[65]; /* of the ciphertext */
	unsigned char nonce[12], tag[16];
};

/* The next chunk of plain bytes: from the file @fd, or from @mem. */
static ssize_t next_chunk(int fd, const unsigned char **mem, size_t *left, unsigned char *buf,
		const unsigned char **out)
{
	ssize_t got;

	if (*mem) {
		size_t n = *left < CHUNK ? *left : CHUNK;

		*out = *mem;
		*mem += n;
		*left -= n;
		return (ssize_t)n;
	}
	do
		got = read(fd, buf, CHUNK);
	while (got < 0 && errno == EINTR);
	*out = buf;
	return got;
}

/* Encrypt the plain bytes (the file @src, or @mem of @mem_len bytes) into
 * @name under @dfd with @cek, the AAD being "<packet id>/<artifact name>";
 * hash both sides. */
static int seal(const char *src, const unsigned char *mem, size_t mem_len,
		const struct rk_packet_artifact *a, const char *id, const unsigned char cek[32],
		int dfd, const char *name, struct sealed *out, char **error)
{
	unsigned char *in = malloc(CHUNK), *ct = malloc(CHUNK + 16), md[32];
	const unsigned char *chunk;
	EVP_CIPHER_CTX *cipher = EVP_CIPHER_CTX_new();
	EVP_MD_CTX *plain = EVP_MD_CTX_new(), *sealed = EVP_MD_CTX_new();
	char aad[RK_PACKET_ID_LEN + 1 + 64], hex[65];
	int ifd = -1, ofd = -1, n, r = -ENOMEM;

	out->size = 0;
	if (!in || !ct || !cipher || !plain || !sealed)
		goto out;
	if (!mem) {
		ifd = open(src, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
		if (ifd < 0) {
			r = errno == ENOENT ? -ENOENT : -EIO;
			if (asprintf(error, "artifact %s: cannot open %s: %s", a->name, src,
					strerror(errno)) < 0)
				*error = NULL;
			goto out;
		}
	}
	ofd = openat(dfd, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	r = -EIO;
	if (ofd < 0 || RAND_bytes(out->nonce, sizeof(out->nonce)) != 1)
		goto io;
	snprintf(aad, sizeof(aad), "%s/%s", id, a->name);
	if (EVP_EncryptInit_ex(cipher, EVP_aes_256_gcm(), NULL, NULL, NULL) <= 0 ||
			EVP_CIPHER_CTX_ctrl(cipher, EVP_CTRL_GCM_SET_IVLEN, 12, NULL) <= 0 ||
			EVP_EncryptInit_ex(cipher, NULL, NULL, cek, out->nonce) <= 0 ||
			EVP_EncryptUpdate(cipher, NULL, &n, (const unsigned char *)aad,
				(int)strlen(aad)) <= 0 ||
			EVP_DigestInit_ex(plain, EVP_sha256(), NULL) <= 0 ||
			EVP_DigestInit_ex(sealed, EVP_sha256(), NULL) <= 0)
		goto io;
	for (;;) {
		ssize_t got = next_chunk(ifd, &mem, &mem_len, in, &chunk);

		if (got < 0)
			goto io;
		if (got == 0)
			break;
		if (EVP_DigestUpdate(plain, chunk, (size_t)got) <= 0 ||
				EVP_EncryptUpdate(cipher, ct, &n, chunk, (int)got) <= 0 ||
				EVP_DigestUpdate(sealed, ct, (size_t)n) <= 0 ||
				write_all(ofd, ct, (size_t)n) < 0)
			goto io;
		out->size += (uint64_t)n;
	}
	if (EVP_EncryptFinal_ex(cipher, ct, &n) <= 0 || n != 0 ||
			EVP_CIPHER_CTX_ctrl(cipher, EVP_CTRL_GCM_GET_TAG, 16, out->tag) <= 0 ||
			fsync(ofd) < 0)
		goto io;
	if (out->size == 0) {
		r = fail(error, "artifact %s is empty", a->name);
		goto out;
	}
	EVP_DigestFinal_ex(plain, md, NULL);
	to_hex(md, 32, hex);
	if (a->sha256 && strcmp(hex, a->sha256) != 0) {
		r = -EBADMSG;
		if (asprintf(error, "artifact %s: %s does not match its SHA-256", a->name,
				src ? src : "the stored artifact") < 0)
			*error = NULL;
		goto out;
	}
	EVP_DigestFinal_ex(sealed, md, NULL);
	to_hex(md, 32, out->sha256);
	r = 0;
	goto out;
io:
	if (asprintf(error, "artifact %s: cannot encrypt %s into the packet: %s", a->name,
			src ? src : "the stored artifact", errno ? strerror(errno) :
			"crypto failure") < 0)
		*error = NULL;
out:
	if (ifd >= 0)
		close(ifd);
	if (ofd >= 0)
		close(ofd);
	free(in);
	free(ct);
	EVP_CIPHER_CTX_free(cipher);
	EVP_MD_CTX_free(plain);
	EVP_MD_CTX_free(sealed);
	ERR_clear_error();
	return r;
}

/* Encrypt artifact @a into the part @name: from its file, or opened from
 * the vault (artifact.c), one artifact in memory at a time. */
static int seal_artifact(const struct rk_packet_input *in, const struct rk_packet_artifact *a,
		const char *id, const unsigned char cek[32], int dfd, const char *name,
		struct sealed *out, char **error)
{
	void *data = NULL;
	size_t size = 0;
	int r;

	if (a->path)
		return seal(a->path, NULL, 0, a, id, cek, dfd, name, out, error);
	r = rk_artifact_load(in->artifact_dir, a->stored, &data, &size);
	if (r < 0) {
		if (asprintf(error, "artifact %s: cannot read the stored artifact %s: %s", a->name,
				a->stored->handle, strerror(-r)) < 0)
			*error = NULL;
		return r;
	}
	r = seal(NULL, data, size, a, id, cek, dfd, name, out, error);
	OPENSSL_cleanse(data, size);
	free(data);
	return r;
}

/* Remove @dir and the files directly in it. */
static void remove_dir(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	if (d) {
		while ((e = readdir(d)))
			if (e->d_name[0] != '.')
				unlinkat(dirfd(d), e->d_name, 0);
		closedir(d);
	}
	rmdir(dir);
}

int rk_packet_remove(const char *outbox, const char *id)
{
	char *dir;

	if (!rk_packet_id_valid(id))
		return -EINVAL;
	if (asprintf(&dir, "%s/%s", outbox, id) < 0)
		return -ENOMEM;
	remove_dir(dir);
	free(dir);
	return 0;
}

int rk_packet_cleanup(const char *outbox)
{
	DIR *d = opendir(outbox);
	struct dirent *e;
	char *path;
	size_t len;
	int n = 0;

	if (!d)
		return errno == ENOENT ? 0 : -errno;
	while ((e = readdir(d))) {
		len = strlen(e->d_name);
		/* ".<packet id>.tmp" */
		if (len != RK_PACKET_ID_LEN + 5 || e->d_name[0] != '.' ||
				strcmp(e->d_name + len - 4, ".tmp") != 0)
			continue;
		if (asprintf(&path, "%s/%s", outbox, e->d_name) < 0)
			break;
		remove_dir(path);
		free(path);
		n++;
	}
	closedir(d);
	return n;
}

static int sign(EVP_PKEY *key, const char *data, size_t len, unsigned char **sig, size_t *siglen)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	int r = -EKEYREJECTED;

	*sig = NULL;
	if (!md)
		return -ENOMEM;
	if (EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, key) > 0 &&
			EVP_DigestSign(md, NULL, siglen, (const unsigned char *)data, len) > 0 &&
			(*sig = malloc(*siglen)) &&
			EVP_DigestSign(md, *sig, siglen, (const unsigned char *)data, len) > 0)
		r = 0;
	EVP_MD_CTX_free(md);
	ERR_clear_error();
	return r;
}

/* --- the manifest ------------------------------------------------------------------------ */

static json_t *encryption_object(EVP_PKEY *recipient, const unsigned char wrapped[40],
		const unsigned char *epk, size_t epk_len)
{
	unsigned char *der = NULL, md[32];
	char hex[65];
	int len = i2d_PUBKEY(recipient, &der);

	if (len <= 0)
		return NULL;
	EVP_Digest(der, (size_t)len, md, NULL, EVP_sha256(), NULL);
	OPENSSL_free(der);
	to_hex(md, 32, hex);
	return json_pack("{s:s,s:s,s:s,s:o,s:o}", "scheme", RK_PACKET_SCHEME, "key_wrap",
			RK_PACKET_KEY_WRAP, "recipient", hex, "ephemeral_public_key",
			base64(epk, epk_len), "wrapped_key", base64(wrapped, 40));
}

static json_t *manifest_head(const struct rk_packet_input *in, const char *id)
{
	json_t *m, *applicant = json_object(), *sop = json_object();
	int64_t created = in->created ? in->created : (int64_t)time(NULL);
	bool ok = applicant && sop;

	for (size_t i = 0; ok && i < in->n_applicant; i++)
		ok = json_object_set_new(applicant, in->applicant[i].key,
				json_string(in->applicant[i].value)) == 0;
	for (size_t i = 0; ok && i < in->n_sop; i++)
		ok = json_object_set_new(sop, in->sop[i].step, rfc3339(in->sop[i].at)) == 0;
	if (!ok) {
		json_decref(applicant);
		json_decref(sop);
		return NULL;
	}
	m = json_pack("{s:i,s:s,s:s,s:s,s:o*}", "version", 1, "packet_id", id, "station_id",
			in->station_id, "nik", in->nik, "created", rfc3339(created));
	if (!m || json_object_set_new(m, "applicant", applicant) < 0 ||
			json_object_set_new(m, "sop", sop) < 0) {
		json_decref(m);
		return NULL;
	}
	return m;
}

/* Encrypt every artifact into @dfd and build the manifest's text. */
static int write_parts(const struct rk_packet_input *in, const struct rk_packet_keys *keys,
		const char *id, int dfd, char **text, char **error)
{
	unsigned char cek[32], wrapped[40], *epk = NULL;
	size_t epk_len = 0;
	json_t *m = manifest_head(in, id), *arts = json_array(), *enc;
	int r = -ENOMEM;

	if (!m || !arts)
		goto out;
	if (RAND_bytes(cek, sizeof(cek)) != 1) {
		r = -EIO;
		goto out;
	}
	r = rk_packet_wrap_key(keys->recipient, id, cek, wrapped, &epk, &epk_len);
	if (r < 0) {
		fail(error, "cannot wrap the packet key for the central server's key");
		goto out;
	}
	enc = encryption_object(keys->recipient, wrapped, epk, epk_len);
	if (!enc || json_object_set_new(m, "encryption", enc) < 0) {
		r = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < in->n_artifacts; i++) {
		const struct rk_packet_artifact *a = &in->artifacts[i];
		char name[sizeof(RK_PACKET_PART_PREFIX) + 64];
		struct sealed s;
		json_t *o;

		snprintf(name, sizeof(name), RK_PACKET_PART_PREFIX "%s", a->name);
		r = seal_artifact(in, a, id, cek, dfd, name, &s, error);
		if (r < 0)
			goto out;
		o = json_pack("{s:s,s:s,s:s,s:I,s:s,s:o,s:o}", "name", a->name, "type", a->type,
				"format", a->format, "size", (json_int_t)s.size, "sha256", s.sha256,
				"nonce", base64(s.nonce, 12), "tag", base64(s.tag, 16));
		if (!o || json_array_append_new(arts, o) < 0) {
			r = -ENOMEM;
			goto out;
		}
	}
	r = json_object_set(m, "artifacts", arts) < 0 ? -ENOMEM : 0;
	if (r == 0 && !(*text = json_dumps(m, JSON_COMPACT)))
		r = -ENOMEM;
out:
	OPENSSL_cleanse(cek, sizeof(cek));
	OPENSSL_free(epk);
	json_decref(arts);
	json_decref(m);
	return r;
}

int rk_packet_build(const struct rk_packet_input *in, const struct rk_packet_keys *keys,
		const char *outbox, char id[RK_PACKET_ID_LEN + 1], char **error)
{
	char *tmp = NULL, *dir = NULL, *text = NULL;
	unsigned char *sig = NULL;
	size_t siglen = 0;
	int dfd = -1, r;

	*error = NULL;
	r = check_input(in, error);
	if (r < 0)
		return r;
	if (!keys->station || !keys->recipient)
		return fail(error, "the station key and the central server's key are needed");
	if (mkdir(outbox, 0700) < 0 && errno != EEXIST) {
		r = -errno;
		if (asprintf(error, "cannot create the outbox %s: %s", outbox, strerror(errno)) < 0)
			*error = NULL;
		return r;
	}
	r = new_id(id);
	if (r < 0 || asprintf(&tmp, "%s/.%s.tmp", outbox, id) < 0 ||
			asprintf(&dir, "%s/%s", outbox, id) < 0) {
		r = r < 0 ? r : -ENOMEM;
		goto out;
	}
	if (mkdir(tmp, 0700) < 0 || (dfd = open(tmp, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		r = -errno;
		if (asprintf(error, "cannot create %s: %s", tmp, strerror(errno)) < 0)
			*error = NULL;
		goto out;
	}
	r = write_parts(in, keys, id, dfd, &text, error);
	if (r == 0) {
		r = sign(keys->station, text, strlen(text), &sig, &siglen);
		if (r < 0)
			fail(error, "cannot sign the manifest with the station key");
	}
	if (r == 0)
		r = write_manifest(dfd, id, text);
	if (r == 0)
		r = write_file(dfd, RK_PACKET_SIGNATURE, sig, siglen);
	if (r == 0 && fsync(dfd) < 0)
		r = -errno;
	if (r == 0 && rename(tmp, dir) < 0)
		r = -errno;
	if (r == 0) {
		int ofd = open(outbox, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

		if (ofd >= 0) {
			fsync(ofd);
			close(ofd);
		}
	}
out:
	if (r < 0 && !*error && asprintf(error, "cannot write the packet into %s: %s", outbox,
			strerror(-r)) < 0)
		*error = NULL;
	if (r < 0 && tmp)
		remove_dir(tmp);
	if (dfd >= 0)
		close(dfd);
	free(tmp);
	free(dir);
	free(text);
	free(sig);
	return r;
}
