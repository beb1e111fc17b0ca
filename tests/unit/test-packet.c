// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * rekam - unit tests
 *
 * test-packet.c - the enrollment packet (daemon/packet.c): built from real
 * files into a real outbox, then taken apart as the central server would:
 * the manifest's fields, sizes and hashes, the ECDSA signature, the key
 * unwrap (and that a wrong key or changed bytes do not unwrap), AES-GCM
 * decryption of every artifact back to the original bytes (and that a
 * changed byte fails the tag), refused input that leaves nothing behind,
 * and the multipart body's parts.
 */
#include <config.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "daemon/artifact.h"
#include "daemon/packet.h"
#include "daemon/store.h"
#include "daemon/vault.h"
#include "tap.h"

static char tmp[] = "/tmp/rekam-test-packet-XXXXXX";
static char outbox[512];
static EVP_PKEY *station, *central, *other;

static unsigned char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	unsigned char *buf = NULL;
	long n;

	*len = 0;
	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc((size_t)n + 1);
	if (buf && fread(buf, 1, (size_t)n, f) == (size_t)n)
		*len = (size_t)n;
	buf[*len] = '\0';
	fclose(f);
	return buf;
}

static void spill(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "wb");

	if (!f || fwrite(data, 1, len, f) != len)
		tap_bail("cannot write %s", path);
	fclose(f);
}

static unsigned char *unb64(const char *s, size_t *len)
{
	size_t n = strlen(s);
	unsigned char *out = malloc(n / 4 * 3 + 1);
	int r = EVP_DecodeBlock(out, (const unsigned char *)s, (int)n);

	*len = (size_t)r - (n && s[n - 1] == '=') - (n > 1 && s[n - 2] == '=');
	return out;
}

static void sha256_hex(const void *data, size_t len, char hex[65])
{
	unsigned char md[32];

	EVP_Digest(data, len, md, NULL, EVP_sha256(), NULL);
	for (int i = 0; i < 32; i++)
		sprintf(hex + 2 * i, "%02x", md[i]);
}

static int count_entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)))
		n += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
	closedir(d);
	return n;
}

/* Decrypt one part; 0 when the tag verifies. */
static int gcm_open(const unsigned char cek[32], const unsigned char *nonce, const unsigned char
		*tag, const char *aad, const unsigned char *ct, size_t len, unsigned char *out)
{
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	int n, m, ok;

	ok = EVP_DecryptInit_ex(c, EVP_aes_256_gcm(), NULL, NULL, NULL) > 0 &&
		EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_IVLEN, 12, NULL) > 0 &&
		EVP_DecryptInit_ex(c, NULL, NULL, cek, nonce) > 0 &&
		EVP_DecryptUpdate(c, NULL, &n, (const unsigned char *)aad, (int)strlen(aad)) > 0 &&
		EVP_DecryptUpdate(c, out, &n, ct, (int)len) > 0 &&
		EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, 16, (void *)tag) > 0 &&
		EVP_DecryptFinal_ex(c, out + n, &m) > 0;
	EVP_CIPHER_CTX_free(c);
	return ok ? 0 : -EBADMSG;
}

static const struct rk_packet_field applicant[] = {
	{ "name", "SITI AMINAH" }, { "birth_place", "BANJARMASIN" },
	{ "birth_date", "1990-04-17" }, { "sex", "F" },
};
static const struct rk_packet_time sop[] = { { "submitted", 1772417100 },
	{ "recorded", 1772419212 } };

static struct rk_packet_artifact arts[3];
static char paths[3][600];
static unsigned char *plain[3];
static size_t plain_len[3] = { 70000, 600, 140001 }; /* across chunk boundaries */

static struct rk_packet_input input(void)
{
	return (struct rk_packet_input){ .station_id = "6305-TEST-01",
		.nik = "6371055704900001", .applicant = applicant, .n_applicant = 4, .sop = sop,
		.n_sop = 2, .artifacts = arts, .n_artifacts = 3, .created = 1772419267 };
}

static void test_build_and_open(void)
{
	struct rk_packet_input in = input();
	struct rk_packet_keys keys = { station, central };
	char id[RK_PACKET_ID_LEN + 1], dir[700], path[800], hex[65], *error = NULL;
	unsigned char *manifest, *sig, *epk, *wrapped, cek[32], cek2[32];
	size_t mlen, siglen, epk_len, wlen;
	json_t *m, *enc, *a;
	EVP_MD_CTX *md;
	size_t i;
	int r;

	r = rk_packet_build(&in, &keys, outbox, id, &error);
	tap_ok(r == 0, "a packet builds (%s)", error ? error : "no error");
	free(error);
	tap_ok(rk_packet_id_valid(id) && id[14] == '4', "its id is a version 4 UUID: %s", id);
	snprintf(dir, sizeof(dir), "%s/%s", outbox, id);
	tap_ok(count_entries(dir) == 5, "the packet directory holds manifest, signature and "
			"three parts");

	tap_ok(rk_packet_read_manifest(outbox, id, (char **)&manifest, &mlen) == 0,
			"the manifest reads back");
	snprintf(path, sizeof(path), "%s/%s", dir, RK_PACKET_SIGNATURE);
	sig = slurp(path, &siglen);
	md = EVP_MD_CTX_new();
	tap_ok(EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, station) == 1 &&
			EVP_DigestVerify(md, sig, siglen, manifest, mlen) == 1,
			"the signature verifies with the station's public key");
	EVP_MD_CTX_free(md);
	manifest[0] = '[';
	md = EVP_MD_CTX_new();
	tap_ok(EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, station) == 1 &&
			EVP_DigestVerify(md, sig, siglen, manifest, mlen) != 1,
			"... and not over a changed manifest");
	EVP_MD_CTX_free(md);
	manifest[0] = '{';

	m = json_loadb((const char *)manifest, mlen, 0, NULL);
	tap_ok(m && json_integer_value(json_object_get(m, "version")) == 1 &&
			strcmp(json_string_value(json_object_get(m, "packet_id")), id) == 0 &&
			strcmp(json_string_value(json_object_get(m, "station_id")),
				"6305-TEST-01") == 0 &&
			strcmp(json_string_value(json_object_get(m, "nik")),
				"6371055704900001") == 0, "the manifest names packet, station, NIK");
	tap_ok(strcmp(json_string_value(json_object_get(json_object_get(m, "applicant"),
			"birth_place")), "BANJARMASIN") == 0, "... the applicant's data");
	tap_ok(json_string_length(json_object_get(json_object_get(m, "sop"), "recorded")) == 25,
			"... SOP times in RFC 3339 (%s)", json_string_value(json_object_get(
			json_object_get(m, "sop"), "recorded")));
	enc = json_object_get(m, "encryption");
	tap_ok(strcmp(json_string_value(json_object_get(enc, "scheme")), RK_PACKET_SCHEME) == 0 &&
			strcmp(json_string_value(json_object_get(enc, "key_wrap")),
				RK_PACKET_KEY_WRAP) == 0, "... and the encryption scheme");
	{
		unsigned char *der = NULL, d[32];
		int dl = i2d_PUBKEY(central, &der);

		EVP_Digest(der, (size_t)dl, d, NULL, EVP_sha256(), NULL);
		OPENSSL_free(der);
		for (int k = 0; k < 32; k++)
			sprintf(hex + 2 * k, "%02x", d[k]);
		tap_ok(strcmp(hex, json_string_value(json_object_get(enc, "recipient"))) == 0,
				"the recipient is the SHA-256 of the central key's SPKI");
	}
	epk = unb64(json_string_value(json_object_get(enc, "ephemeral_public_key")), &epk_len);
	wrapped = unb64(json_string_value(json_object_get(enc, "wrapped_key")), &wlen);
	tap_ok(wlen == 40, "the wrapped key is 40 bytes (AES key wrap of 32)");
	tap_ok(rk_packet_unwrap_key(central, id, epk, epk_len, wrapped, cek) == 0,
			"the packet key unwraps with the central private key");
	tap_ok(rk_packet_unwrap_key(other, id, epk, epk_len, wrapped, cek2) == -EBADMSG,
			"... not with another key");
	tap_ok(rk_packet_unwrap_key(central, "00000000-0000-4000-8000-000000000000", epk, epk_len,
			wrapped, cek2) == -EBADMSG, "... not for another packet id");
	wrapped[5] ^= 1;
	tap_ok(rk_packet_unwrap_key(central, id, epk, epk_len, wrapped, cek2) == -EBADMSG,
			"... not when a byte of it changed");
	wrapped[5] ^= 1;
	tap_ok(rk_packet_unwrap_key(central, id, epk, epk_len - 1, wrapped, cek2) == -EBADMSG,
			"... not with a truncated ephemeral key");

	json_array_foreach(json_object_get(m, "artifacts"), i, a) {
		const char *name = json_string_value(json_object_get(a, "name"));
		unsigned char *ct, *nonce, *tag, *out;
		size_t ctlen, nlen, tlen;
		char aad[128];

		snprintf(path, sizeof(path), "%s/%s%s", dir, RK_PACKET_PART_PREFIX, name);
		ct = slurp(path, &ctlen);
		sha256_hex(ct, ctlen, hex);
		tap_ok((size_t)json_integer_value(json_object_get(a, "size")) == ctlen &&
				strcmp(hex, json_string_value(json_object_get(a, "sha256"))) == 0,
				"%s: size and SHA-256 are those of the uploaded bytes", name);
		nonce = unb64(json_string_value(json_object_get(a, "nonce")), &nlen);
		tag = unb64(json_string_value(json_object_get(a, "tag")), &tlen);
		out = malloc(ctlen + 1);
		snprintf(aad, sizeof(aad), "%s/%s", id, name);
		tap_ok(nlen == 12 && tlen == 16 && ctlen == plain_len[i] &&
				gcm_open(cek, nonce, tag, aad, ct, ctlen, out) == 0 &&
				memcmp(out, plain[i], ctlen) == 0,
				"%s decrypts to the original %zu bytes", name, plain_len[i]);
		tap_ok(memcmp(ct, plain[i], ctlen < 64 ? ctlen : 64) != 0,
				"%s is not stored in the clear", name);
		ct[ctlen / 2] ^= 0x80;
		tap_ok(gcm_open(cek, nonce, tag, aad, ct, ctlen, out) == -EBADMSG,
				"%s with one bit changed fails the GCM tag", name);
		ct[ctlen / 2] ^= 0x80;
		tap_ok(gcm_open(cek, nonce, tag, "other/aad", ct, ctlen, out) == -EBADMSG,
				"%s moved to another packet or name fails the GCM tag", name);
		free(ct);
		free(nonce);
		free(tag);
		free(out);
	}
	{
		CURL *e = curl_easy_init();
		curl_mime *mime = NULL;
		uint64_t total = 0;

		r = rk_packet_mime(e, outbox, id, &mime, &total);
		tap_ok(r == 0 && mime && total == mlen + siglen + plain_len[0] + plain_len[1] +
				plain_len[2], "the multipart body has every part (%llu bytes)",
				(unsigned long long)total);
		curl_mime_free(mime);
		tap_ok(rk_packet_mime(e, outbox, "00000000-0000-4000-8000-000000000000", &mime,
				&total) == -ENOENT && !mime, "an unknown packet: -ENOENT");
		tap_ok(rk_packet_mime(e, outbox, "../etc", &mime, &total) == -EINVAL,
				"a packet id that is not a UUID: -EINVAL");
		snprintf(path, sizeof(path), "%s/%s%s", dir, RK_PACKET_PART_PREFIX, "portrait");
		unlink(path);
		tap_ok(rk_packet_mime(e, outbox, id, &mime, &total) == -EBADMSG && !mime,
				"a packet with a part missing: -EBADMSG");
		curl_easy_cleanup(e);
	}
	tap_ok(rk_packet_remove(outbox, id) == 0 && access(dir, F_OK) < 0,
			"rk_packet_remove removes the packet directory");
	free(epk);
	free(wrapped);
	free(manifest);
	free(sig);
	json_decref(m);
}

static void refused(const char *what, struct rk_packet_input in, int expect)
{
	struct rk_packet_keys keys = { station, central };
	char id[RK_PACKET_ID_LEN + 1], *error = NULL;
	int before = count_entries(outbox), r;

	r = rk_packet_build(&in, &keys, outbox, id, &error);
	tap_ok(r == expect && error && *error && count_entries(outbox) == before,
			"%s: %d, \"%s\", nothing left behind", what, r, error ? error : "");
	free(error);
}

static void test_refused(void)
{
	struct rk_packet_input in;
	struct rk_packet_artifact bad[3];
	static const struct rk_packet_field noname[] = { { "sex", "F" } };

	in = input();
	in.nik = "637105570490000";
	refused("a 15-digit NIK", in, -EINVAL);
	in = input();
	in.station_id = "bad id";
	refused("a station id with a space", in, -EINVAL);
	in = input();
	in.applicant = noname;
	in.n_applicant = 1;
	refused("no applicant name", in, -EINVAL);
	in = input();
	in.n_artifacts = 0;
	refused("no artifacts", in, -EINVAL);
	memcpy(bad, arts, sizeof(bad));
	bad[1].name = bad[0].name;
	in = input();
	in.artifacts = bad;
	refused("two artifacts of one name", in, -EINVAL);
	memcpy(bad, arts, sizeof(bad));
	bad[2].name = "../x";
	refused("an artifact name with a slash", in, -EINVAL);
	memcpy(bad, arts, sizeof(bad));
	bad[2].stored = &(struct rk_artifact_meta){ .size = 1 };
	refused("an artifact with a path and a stored artifact", in, -EINVAL);
	memcpy(bad, arts, sizeof(bad));
	bad[2].sha256 = "0000000000000000000000000000000000000000000000000000000000000000";
	refused("an artifact that does not match its SHA-256", in, -EBADMSG);
	memcpy(bad, arts, sizeof(bad));
	bad[1].path = "/nonexistent/finger";
	refused("an artifact file that does not exist", in, -ENOENT);
}

/* An artifact kept by artifact.c, sealed at rest by the vault: the packet
 * carries its plain bytes, encrypted for the central server. */
static void test_stored(void)
{
	struct rk_packet_input in = input();
	struct rk_packet_keys keys = { station, central };
	struct rk_artifact_meta meta = { .kind = "fingerprint", .format = "iso19794-2",
		.quality = 80 }, damaged;
	struct rk_packet_artifact one = { "finger-r1", "fingerprint", "iso19794-2", NULL, &meta,
		NULL };
	char id[RK_PACKET_ID_LEN + 1], path[700], adir[600], *error = NULL;
	struct rk_store *store = NULL;
	unsigned char cek[32], *epk, *wrapped, *ct, *nonce, *tag, *out;
	size_t epk_len, wlen, ctlen, nlen, tlen;
	json_t *m, *a;

	snprintf(path, sizeof(path), "%s/rekam.db", tmp);
	snprintf(adir, sizeof(adir), "%s/artifacts", tmp);
	if (rk_store_open(path, &store, NULL, &error) < 0)
		tap_bail("store: %s", error);
	snprintf(path, sizeof(path), "%s/station.key", tmp);
	if (rk_vault_open(path) < 0 || rk_artifact_put(store, adir, &meta, plain[1],
			plain_len[1]) < 0)
		tap_bail("cannot keep an artifact");
	in.artifacts = &one;
	in.n_artifacts = 1;
	in.artifact_dir = adir;
	tap_ok(rk_packet_build(&in, &keys, outbox, id, &error) == 0,
			"a stored (vault-sealed) artifact goes into a packet (%s)",
			error ? error : "ok");
	free(error);
	{
		char *text = NULL, head[5] = "";
		size_t mlen = 0;
		FILE *f;

		snprintf(path, sizeof(path), "%s/%s/%s", outbox, id, RK_PACKET_MANIFEST);
		f = fopen(path, "rb");
		tap_ok(f && fread(head, 1, 4, f) == 4 && strcmp(head, "RKV1") == 0,
			"with a station key the manifest is sealed in the outbox");
		if (f)
			fclose(f);
		tap_ok(rk_packet_read_manifest(outbox, id, &text, &mlen) == 0 && text &&
			text[0] == '{', "... and opens to the JSON");
		m = text ? json_loadb(text, mlen, 0, NULL) : NULL;
		free(text);
	}
	a = json_array_get(json_object_get(m, "artifacts"), 0);
	epk = unb64(json_string_value(json_object_get(json_object_get(m, "encryption"),
			"ephemeral_public_key")), &epk_len);
	wrapped = unb64(json_string_value(json_object_get(json_object_get(m, "encryption"),
			"wrapped_key")), &wlen);
	nonce = unb64(json_string_value(json_object_get(a, "nonce")), &nlen);
	tag = unb64(json_string_value(json_object_get(a, "tag")), &tlen);
	snprintf(path, sizeof(path), "%s/%s/%sfinger-r1", outbox, id, RK_PACKET_PART_PREFIX);
	ct = slurp(path, &ctlen);
	out = malloc(ctlen + 1);
	snprintf(path, sizeof(path), "%s/finger-r1", id);
	tap_ok(rk_packet_unwrap_key(central, id, epk, epk_len, wrapped, cek) == 0 &&
			ctlen == plain_len[1] && gcm_open(cek, nonce, tag, path, ct, ctlen, out) == 0 &&
			memcmp(out, plain[1], ctlen) == 0,
			"... as its plain bytes, encrypted for the central server");
	free(epk);
	free(wrapped);
	free(nonce);
	free(tag);
	free(ct);
	free(out);
	json_decref(m);
	rk_packet_remove(outbox, id);

	damaged = meta;
	memcpy(damaged.sha256, "00", 2);
	one.stored = &damaged;
	refused("a stored artifact whose bytes do not match its SHA-256", in, -EBADMSG);
	one.stored = &meta;
	rk_vault_close();
	refused("a stored artifact without the station key", in, -EIO);
	rk_store_close(store);

	snprintf(path, sizeof(path), "%s/.%s.tmp", outbox, id);
	mkdir(path, 0700);
	snprintf(path, sizeof(path), "%s/.%s.tmp/part-x", outbox, id);
	spill(path, "x", 1);
	tap_ok(rk_packet_cleanup(outbox) == 1 && count_entries(outbox) == 0,
			"rk_packet_cleanup removes a half-built packet");
	keys.station = NULL;
	in = input();
	tap_ok(rk_packet_build(&in, &keys, outbox, id, &error) == -EINVAL && error &&
			strstr(error, "station key"), "no station key: %s", error ? error : "");
	free(error);
}

int main(void)
{
	char path[600], *error = NULL;
	FILE *f;

	if (!mkdtemp(tmp))
		tap_bail("mkdtemp");
	snprintf(outbox, sizeof(outbox), "%s/outbox", tmp);
	station = EVP_EC_gen("P-256");
	central = EVP_EC_gen("P-256");
	other = EVP_EC_gen("P-256");
	static const char *const names[] = { "portrait", "finger-r1", "scan-f102" };
	static const char *const types[] = { "portrait", "fingerprint", "document" };
	static const char *const formats[] = { "image/jpeg", "iso19794-2", "application/pdf" };
	for (int i = 0; i < 3; i++) {
		plain[i] = malloc(plain_len[i]);
		for (size_t k = 0; k < plain_len[i]; k++)
			plain[i][k] = (unsigned char)(k * 7 + (size_t)i);
		snprintf(paths[i], sizeof(paths[i]), "%s/%s.bin", tmp, names[i]);
		spill(paths[i], plain[i], plain_len[i]);
		arts[i] = (struct rk_packet_artifact){ names[i], types[i], formats[i], paths[i],
			NULL, NULL };
	}

	test_build_and_open();
	test_refused();
	test_stored();

	/* keys from PEM files, as rekamd loads them */
	snprintf(path, sizeof(path), "%s/k.pem", tmp);
	f = fopen(path, "w");
	PEM_write_PUBKEY(f, central);
	fclose(f);
	{
		EVP_PKEY *k = rk_packet_load_public_key(path, &error);

		tap_ok(k && EVP_PKEY_eq(k, central) == 1, "a PEM public key loads");
		EVP_PKEY_free(k);
		k = rk_packet_load_private_key(path, &error);
		tap_ok(!k && error && strstr(error, "not a PEM private key"),
				"... and is no private key: %s", error ? error : "");
		free(error);
		error = NULL;
		k = rk_packet_load_public_key("/nonexistent.pem", &error);
		tap_ok(!k && error && strstr(error, "/nonexistent.pem"), "a missing file: %s",
				error ? error : "");
		free(error);
	}

	for (int i = 0; i < 3; i++) {
		unlink(paths[i]);
		free(plain[i]);
	}
	snprintf(path, sizeof(path), "rm -rf '%s'", tmp);
	if (system(path) != 0)
		tap_diag("could not remove %s", tmp);
	EVP_PKEY_free(station);
	EVP_PKEY_free(central);
	EVP_PKEY_free(other);
	tap_done();
	return tap_failed ? 1 : 0;
}
