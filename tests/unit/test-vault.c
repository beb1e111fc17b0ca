// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * rekam - unit tests
 *
 * test-vault.c - daemon/vault.c: the station key file (made 0600 on first
 * use, the same key on the next; refused when it has the wrong size, mode
 * or type), and sealed blobs: round trips of several sizes (empty, one
 * chunk, across chunk boundaries), no plaintext in the blob, and every kind
 * of damage refused with -EBADMSG: a flipped bit in each part of the
 * format, the wrong label, cut short, bytes appended, another station key.
 * Shared data keys (an enrollment's): blobs sealed under one open with it
 * only (not without it, not with another or another label's), the wrapped
 * key is bound to its label and station key, and RKV1 blobs still open
 * when a shared key is given.
 */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "daemon/vault.h"
#include "tap.h"

static char tmp_dir[] = "/tmp/rekam-test-vault-XXXXXX";

static char *tmp_path(const char *name)
{
	char *p;

	if (asprintf(&p, "%s/%s", tmp_dir, name) < 0)
		tap_bail("out of memory");
	return p;
}

static void fill(unsigned char *p, size_t n, unsigned int seed)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (unsigned char)((i * 2654435761u + seed) >> 13);
}

/* Seal @n bytes of @data as @label into the file @path. */
static int seal_file(const char *path, const char *label, const void *data, size_t n)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600), err;

	if (fd < 0)
		tap_bail("cannot create %s", path);
	err = rk_vault_seal(fd, label, data, n);
	close(fd);
	return err;
}

static int unseal_file(const char *path, const char *label, uint64_t n, unsigned char **out)
{
	int fd = open(path, O_RDONLY), err;

	if (fd < 0)
		tap_bail("cannot open %s", path);
	err = rk_vault_unseal(fd, label, n, out);
	close(fd);
	return err;
}

static void flip(const char *path, off_t at)
{
	int fd = open(path, O_RDWR);
	unsigned char b;

	if (fd < 0 || pread(fd, &b, 1, at) != 1)
		tap_bail("cannot read %s", path);
	b ^= 0x01;
	if (pwrite(fd, &b, 1, at) != 1 || close(fd) < 0)
		tap_bail("cannot write %s", path);
}

static void test_key_file(void)
{
	char *key = tmp_path("station.key"), *nokey = tmp_path("nokey"), *blob = tmp_path("blob");
	unsigned char *out = NULL;
	struct stat st;
	FILE *f;

	tap_is_int(seal_file(nokey, "x", "y", 1), -ENOKEY,
		"key: nothing is sealed before a station key is loaded");
	tap_is_int(rk_vault_open(key), 0, "key: a missing station key is made");
	tap_ok(stat(key, &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 07777) == 0600 &&
		st.st_size == RK_VAULT_KEY_SIZE, "key: ... 32 bytes, mode 0600");
	tap_is_int(seal_file(blob, "label", "secret", 6), 0, "key: it seals");
	rk_vault_close();
	tap_is_int(unseal_file(blob, "label", 6, &out), -ENOKEY,
		"key: after close nothing opens");
	tap_is_int(rk_vault_open(key), 0, "key: the key file is loaded again");
	tap_ok(unseal_file(blob, "label", 6, &out) == 0 && out &&
		!memcmp(out, "secret", 6), "key: ... and it is the same key");
	free(out);

	chmod(key, 0640);
	tap_is_int(rk_vault_open(key), -EINVAL, "key: a key others may read is refused");
	chmod(key, 0600);
	f = fopen(key, "ab");
	fputc('x', f);
	fclose(f);
	tap_is_int(rk_vault_open(key), -EINVAL, "key: a key of 33 bytes is refused");
	unlink(key);
	mkdir(key, 0700);
	tap_is_int(rk_vault_open(key), -EINVAL, "key: a directory in its place is refused");
	rmdir(key);
	free(key);
	free(nokey);
	free(blob);
}

static void test_round_trips(void)
{
	static const size_t sizes[] = { 0, 1, 100, (1u << 20) - 1, 1u << 20, (1u << 20) + 1,
		(3u << 20) + 12345 };
	char *path = tmp_path("rt"), *key = tmp_path("rt.key");

	/* the refused key file above left no key loaded */
	if (rk_vault_open(key) < 0)
		tap_bail("cannot make %s", key);
	free(key);
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		size_t n = sizes[i];
		unsigned char *data = malloc(n + 1), *out = NULL;
		struct stat st;
		int err;

		fill(data, n, (unsigned int)i);
		err = seal_file(path, "0123456789abcdef0123456789abcdef", data, n);
		tap_is_int(err, 0, "round trip %zu bytes: sealed", n);
		tap_ok(stat(path, &st) == 0 && (uint64_t)st.st_size == n + RK_VAULT_OVERHEAD,
			"round trip %zu bytes: the blob is %d bytes longer", n, RK_VAULT_OVERHEAD);
		err = unseal_file(path, "0123456789abcdef0123456789abcdef", n, &out);
		tap_ok(err == 0 && out && (n == 0 || !memcmp(out, data, n)),
			"round trip %zu bytes: opens to the same bytes", n);
		if (n >= 4096) {
			FILE *f = fopen(path, "rb");
			unsigned char *blob = malloc(st.st_size);
			size_t got = fread(blob, 1, st.st_size, f);

			fclose(f);
			tap_ok(got == (size_t)st.st_size && !memmem(blob, got, data + 1000, 32),
				"round trip %zu bytes: no plaintext in the blob", n);
			free(blob);
		}
		free(out);
		free(data);
	}
	free(path);
}

static void test_damage(void)
{
	static const struct {
		off_t at;
		const char *part;
	} parts[] = {
		{ 0, "the format" },
		{ 4, "the key nonce" },
		{ 20, "the wrapped data key" },
		{ 60, "the key tag" },
		{ 76, "the data nonce" },
		{ 88, "the ciphertext" },
		{ 88 + 5000 + 2, "the data tag" },
	};
	unsigned char data[5000], *out = NULL;
	char *path = tmp_path("damage");

	fill(data, sizeof(data), 7);
	for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++) {
		seal_file(path, "label", data, sizeof(data));
		flip(path, parts[i].at);
		tap_is_int(unseal_file(path, "label", sizeof(data), &out), -EBADMSG,
			"damage: one flipped bit in %s is refused", parts[i].part);
		tap_ok(out == NULL, "damage: ... and nothing is handed out");
	}
	seal_file(path, "label", data, sizeof(data));
	tap_is_int(unseal_file(path, "other", sizeof(data), &out), -EBADMSG,
		"damage: a blob does not open under another label");
	tap_is_int(unseal_file(path, "label", sizeof(data) - 1, &out), -EBADMSG,
		"damage: nor for another size");
	if (truncate(path, 2000) < 0)
		tap_bail("truncate");
	tap_is_int(unseal_file(path, "label", sizeof(data), &out), -EBADMSG,
		"damage: a blob cut short is refused");
	seal_file(path, "label", data, sizeof(data));
	{
		int fd = open(path, O_WRONLY | O_APPEND);

		if (fd < 0 || write(fd, "more", 4) != 4)
			tap_bail("append");
		close(fd);
	}
	tap_is_int(unseal_file(path, "label", sizeof(data), &out), -EBADMSG,
		"damage: a blob with bytes appended is refused");

	/* the same blob under another station's key */
	seal_file(path, "label", data, sizeof(data));
	{
		char *other = tmp_path("other.key");

		tap_is_int(rk_vault_open(other), 0, "damage: another station key is made");
		tap_is_int(unseal_file(path, "label", sizeof(data), &out), -EBADMSG,
			"damage: a blob of one station does not open with another's key");
		free(other);
	}
	free(path);
}

static int seal_under(const char *path, const char *label, const char *key_label,
		const unsigned char *wrapped, const void *data, size_t n)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600), err;

	if (fd < 0)
		tap_bail("cannot create %s", path);
	err = rk_vault_seal_under(fd, label, key_label, wrapped, data, n);
	close(fd);
	return err;
}

static int unseal_under(const char *path, const char *label, const char *key_label,
		const unsigned char *wrapped, uint64_t n, unsigned char **out)
{
	int fd = open(path, O_RDONLY), err;

	if (fd < 0)
		tap_bail("cannot open %s", path);
	err = rk_vault_unseal_under(fd, label, key_label, wrapped, n, out);
	close(fd);
	return err;
}

static void test_shared_keys(void)
{
	static const char label[] = "00112233445566778899aabbccddeeff";
	unsigned char k1[RK_VAULT_WRAPPED_SIZE], k2[RK_VAULT_WRAPPED_SIZE], bad[RK_VAULT_WRAPPED_SIZE];
	unsigned char data[5000], *out = NULL, head[4];
	char *path = tmp_path("shared"), *old = tmp_path("shared-v1"), *other = tmp_path("sk.key");
	int fd;

	fill(data, sizeof(data), 77);
	tap_is_int(rk_vault_key_new("enrollment 1", k1), 0, "shared key: made");
	tap_is_int(rk_vault_key_new("enrollment 2", k2), 0, "shared key: another made");
	tap_ok(memcmp(k1, k2, sizeof(k1)) != 0, "shared key: two keys differ");
	tap_is_int(rk_vault_key_check("enrollment 1", k1), 0, "shared key: checks under its label");
	tap_is_int(rk_vault_key_check("enrollment 2", k1), -EBADMSG,
		"shared key: refused under another label");
	memcpy(bad, k1, sizeof(bad));
	bad[20] ^= 1;
	tap_is_int(rk_vault_key_check("enrollment 1", bad), -EBADMSG,
		"shared key: an altered wrapped key is refused");
	tap_is_int(rk_vault_key_new("", k1), -EINVAL, "shared key: an empty label is refused");
	tap_is_int(rk_vault_seal_under(-1, label, "enrollment 1", NULL, data, 1), -EINVAL,
		"shared key: a label without a key is refused");

	tap_is_int(seal_under(path, label, "enrollment 1", k1, data, sizeof(data)), 0,
		"shared key: sealed under it");
	fd = open(path, O_RDONLY);
	tap_ok(fd >= 0 && read(fd, head, 4) == 4 && memcmp(head, "RKV2", 4) == 0,
		"shared key: the blob says RKV2");
	if (fd >= 0)
		close(fd);
	tap_is_int(unseal_under(path, label, "enrollment 1", k1, sizeof(data), &out), 0,
		"shared key: opens with it");
	tap_ok(out && memcmp(out, data, sizeof(data)) == 0, "shared key: ... to the same bytes");
	free(out);
	out = NULL;
	tap_is_int(unseal_file(path, label, sizeof(data), &out), -ENOKEY,
		"shared key: without it: -ENOKEY");
	tap_is_int(unseal_under(path, label, "enrollment 2", k2, sizeof(data), &out), -EBADMSG,
		"shared key: another enrollment's key does not open it");
	tap_is_int(unseal_under(path, label, "enrollment 2", k1, sizeof(data), &out), -EBADMSG,
		"shared key: its key under another label does not open it");
	tap_ok(out == NULL, "shared key: nothing handed out");

	/* a blob from before shared keys still opens when one is given */
	tap_is_int(seal_file(old, label, data, sizeof(data)), 0, "shared key: an RKV1 blob sealed");
	tap_is_int(unseal_under(old, label, "enrollment 1", k1, sizeof(data), &out), 0,
		"shared key: an RKV1 blob opens with a shared key given");
	tap_ok(out && memcmp(out, data, sizeof(data)) == 0, "shared key: ... to the same bytes");
	free(out);
	out = NULL;

	/* another station key: the wrapped key is worthless */
	if (rk_vault_open(other) < 0)
		tap_bail("cannot make %s", other);
	tap_is_int(rk_vault_key_check("enrollment 1", k1), -EBADMSG,
		"shared key: another station key cannot unwrap it");
	tap_is_int(unseal_under(path, label, "enrollment 1", k1, sizeof(data), &out), -EBADMSG,
		"shared key: ... nor open its blob");
	rk_vault_close();
	tap_is_int(rk_vault_key_new("enrollment 3", k2), -ENOKEY,
		"shared key: none made without a station key");
	free(path);
	free(old);
	free(other);
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

int main(void)
{
	umask(022);
	if (!mkdtemp(tmp_dir))
		tap_bail("mkdtemp");
	test_key_file();
	test_round_trips();
	test_damage();
	test_shared_keys();
	rk_vault_close();
	nftw(tmp_dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
	return tap_done();
}
