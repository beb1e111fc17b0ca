// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * rekam - KTP-el recording station daemon
 *
 * audit.c - the hash-chained audit trail (see audit.h). An entry's hash is
 * the SHA-256 of its fields, each written as a 4-byte big-endian length and
 * its bytes, in the order: seq, time, actor, role, action, enrollment, nik,
 * result, detail, and the previous entry's hash (64 zeros before the first
 * entry). A checkpoint's mac is the HMAC-SHA-256, under the station key's
 * derived "rekam audit checkpoint" key, of "seq:hash".
 */
#include <config.h>

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <sqlite3.h>

#include "daemon/audit.h"
#include "daemon/log.h"
#include "daemon/store.h"
#include "daemon/vault.h"

#define MAX_FIELD 1024
#define N_FIELDS 7
#define GENESIS "0000000000000000000000000000000000000000000000000000000000000000"
#define CHECKPOINT_PURPOSE "rekam audit checkpoint"

#define LAST_SQL "SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1"
#define INSERT_SQL                                                                                 \
	"INSERT INTO audit (seq, time, actor, role, action, enrollment, nik, result, detail, "     \
	"prev, hash) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)"
#define ALL_SQL                                                                                    \
	"SELECT seq, time, actor, role, action, enrollment, nik, result, detail, prev, hash "      \
	"FROM audit ORDER BY seq"
#define LAST_CHECKPOINT_SQL "SELECT seq FROM audit_checkpoints ORDER BY seq DESC LIMIT 1"
#define INSERT_CHECKPOINT_SQL                                                                      \
	"INSERT INTO audit_checkpoints (seq, hash, time, mac) VALUES (?1, ?2, ?3, ?4)"
#define CHECKPOINTS_SQL "SELECT seq, hash, mac FROM audit_checkpoints ORDER BY seq"

static void to_hex(char *out, const unsigned char *in, size_t n)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 0xf];
	}
	out[2 * n] = '\0';
}

static bool digest_field(EVP_MD_CTX *md, const char *text)
{
	size_t n = text ? strlen(text) : 0;
	unsigned char len[4] = { (unsigned char)(n >> 24), (unsigned char)(n >> 16),
		(unsigned char)(n >> 8), (unsigned char)n };

	return EVP_DigestUpdate(md, len, 4) == 1 && (!n || EVP_DigestUpdate(md, text, n) == 1);
}

/* The hash of an entry: @fields are actor .. detail (N_FIELDS of them). */
static int entry_hash(int64_t seq, int64_t when, const char *const fields[N_FIELDS],
		const char *prev, char hex[65])
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	unsigned char out[32];
	unsigned int len = 0;
	char num[2][24];
	bool ok;

	snprintf(num[0], sizeof(num[0]), "%" PRId64, seq);
	snprintf(num[1], sizeof(num[1]), "%" PRId64, when);
	ok = md && EVP_DigestInit_ex(md, EVP_sha256(), NULL) == 1 && digest_field(md, num[0]) &&
		digest_field(md, num[1]);
	for (int i = 0; ok && i < N_FIELDS; i++)
		ok = digest_field(md, fields[i]);
	ok = ok && digest_field(md, prev) && EVP_DigestFinal_ex(md, out, &len) == 1 && len == 32;
	EVP_MD_CTX_free(md);
	if (!ok)
		return -EIO;
	to_hex(hex, out, 32);
	return 0;
}

static int checkpoint_mac(int64_t seq, const char *hash, char hex[65])
{
	unsigned char key[RK_VAULT_KEY_SIZE], out[32];
	unsigned int len = 0;
	char text[96];
	int err = rk_vault_derive_key(CHECKPOINT_PURPOSE, key);

	if (err)
		return err;
	snprintf(text, sizeof(text), "%" PRId64 ":%s", seq, hash);
	if (!HMAC(EVP_sha256(), key, sizeof(key), (const unsigned char *)text, strlen(text), out,
			&len) || len != 32)
		err = -EIO;
	OPENSSL_cleanse(key, sizeof(key));
	if (!err)
		to_hex(hex, out, 32);
	return err;
}

static const char *column(sqlite3_stmt *stmt, int i)
{
	const unsigned char *t = sqlite3_column_text(stmt, i);

	return t ? (const char *)t : "";
}

/* The last entry's seq and hash (0 and GENESIS when there is none). */
static int chain_head(struct rk_store *store, int64_t *seq, char hash[65])
{
	sqlite3_stmt *stmt = rk_store_prepare(store, LAST_SQL);
	int rc;

	if (!stmt)
		return -EIO;
	rc = sqlite3_step(stmt);
	*seq = 0;
	snprintf(hash, 65, "%s", GENESIS);
	if (rc == SQLITE_ROW) {
		*seq = sqlite3_column_int64(stmt, 0);
		snprintf(hash, 65, "%s", column(stmt, 1));
	}
	sqlite3_reset(stmt);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : -EIO;
}

static int insert_checkpoint(struct rk_store *store, int64_t seq, const char *hash)
{
	sqlite3_stmt *stmt;
	char mac[65];
	int rc, err = checkpoint_mac(seq, hash, mac);

	if (err)
		return err;
	stmt = rk_store_prepare(store, INSERT_CHECKPOINT_SQL);
	if (!stmt)
		return -EIO;
	sqlite3_bind_int64(stmt, 1, seq);
	sqlite3_bind_text(stmt, 2, hash, -1, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 3, (int64_t)time(NULL));
	sqlite3_bind_text(stmt, 4, mac, -1, SQLITE_STATIC);
	rc = sqlite3_step(stmt);
	sqlite3_reset(stmt);
	sqlite3_clear_bindings(stmt);
	return rc == SQLITE_DONE || rc == SQLITE_CONSTRAINT ? 0 : -EIO;
}

/* At most MAX_FIELD bytes, and no control characters but tab. */
static bool valid_field(const char *s)
{
	size_t n = strlen(s);

	if (n > MAX_FIELD)
		return false;
	for (size_t i = 0; i < n; i++)
		if (((unsigned char)s[i] < 0x20 && s[i] != '\t') || s[i] == 0x7f)
			return false;
	return true;
}

int rk_audit_append(struct rk_store *store, const struct rk_audit_entry *e)
{
	const char *fields[N_FIELDS] = { e->actor, e->role, e->action, e->enrollment, e->nik,
		e->result, e->detail };
	bool own = sqlite3_get_autocommit(rk_store_db(store));
	sqlite3_stmt *stmt;
	int64_t seq, when = (int64_t)time(NULL);
	char prev[65], hash[65];
	int err, rc;

	for (int i = 0; i < N_FIELDS; i++) {
		if (!fields[i])
			fields[i] = "";
		if (!valid_field(fields[i]))
			return -EINVAL;
	}
	if (own && (err = rk_store_begin(store)) < 0)
		return err;
	err = chain_head(store, &seq, prev);
	seq++;
	if (!err)
		err = entry_hash(seq, when, fields, prev, hash);
	if (!err && !(stmt = rk_store_prepare(store, INSERT_SQL)))
		err = -EIO;
	if (!err) {
		sqlite3_bind_int64(stmt, 1, seq);
		sqlite3_bind_int64(stmt, 2, when);
		for (int i = 0; i < N_FIELDS; i++)
			sqlite3_bind_text(stmt, 3 + i, fields[i], -1, SQLITE_STATIC);
		sqlite3_bind_text(stmt, 10, prev, -1, SQLITE_STATIC);
		sqlite3_bind_text(stmt, 11, hash, -1, SQLITE_STATIC);
		rc = sqlite3_step(stmt);
		sqlite3_reset(stmt);
		sqlite3_clear_bindings(stmt);
		if (rc != SQLITE_DONE) {
			rk_error("audit: cannot append entry %" PRId64 ": %s", seq,
				sqlite3_errmsg(rk_store_db(store)));
			err = -EIO;
		}
	}
	if (!err && seq % RK_AUDIT_CHECKPOINT_EVERY == 0)
		err = insert_checkpoint(store, seq, hash);
	if (own)
		err = err ? (rk_store_rollback(store), err) : rk_store_commit(store);
	return err;
}

int rk_audit_checkpoint(struct rk_store *store)
{
	char hash[65];
	int64_t seq;
	int err = chain_head(store, &seq, hash);

	if (err || seq == 0)
		return err;
	return insert_checkpoint(store, seq, hash);
}

static int fail(struct rk_audit_report *r, uint64_t seq, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(struct rk_audit_report *r, uint64_t seq, const char *fmt, ...)
{
	va_list ap;

	if (!r->ok)
		return 0; /* the first finding stands */
	r->ok = false;
	r->first_bad = seq;
	va_start(ap, fmt);
	vsnprintf(r->reason, sizeof(r->reason), fmt, ap);
	va_end(ap);
	return 0;
}

int rk_audit_verify(struct rk_store *store, struct rk_audit_report *r)
{
	sqlite3_stmt *stmt = rk_store_prepare(store, ALL_SQL);
	char prev[65] = GENESIS, hash[65], mac[65];
	int64_t expect = 1, last = 0;
	int rc, err = 0;

	memset(r, 0, sizeof(*r));
	r->ok = true;
	if (!stmt)
		return -EIO;
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		int64_t seq = sqlite3_column_int64(stmt, 0);
		const char *fields[N_FIELDS];

		for (int i = 0; i < N_FIELDS; i++)
			fields[i] = column(stmt, 2 + i);
		r->entries++;
		if (seq != expect) {
			fail(r, (uint64_t)expect, "entry %" PRId64 " is missing (the next is %" PRId64
				")", expect, seq);
			break;
		}
		err = entry_hash(seq, sqlite3_column_int64(stmt, 1), fields, column(stmt, 9), hash);
		if (err)
			break;
		if (strcmp(column(stmt, 9), prev) != 0) {
			fail(r, (uint64_t)seq, "entry %" PRId64 " does not follow entry %" PRId64
				": its link to the previous entry was changed", seq, seq - 1);
			break;
		}
		if (strcmp(hash, column(stmt, 10)) != 0) {
			fail(r, (uint64_t)seq, "entry %" PRId64 " was changed: its contents do not "
				"match its hash", seq);
			break;
		}
		snprintf(prev, sizeof(prev), "%s", hash);
		last = seq;
		expect++;
	}
	sqlite3_reset(stmt);
	if (err || (rc != SQLITE_ROW && rc != SQLITE_DONE))
		return -EIO;

	stmt = rk_store_prepare(store, CHECKPOINTS_SQL);
	if (!stmt)
		return -EIO;
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW && r->ok) {
		int64_t seq = sqlite3_column_int64(stmt, 0);

		r->checkpoints++;
		err = checkpoint_mac(seq, column(stmt, 1), mac);
		if (err)
			break;
		if (strcmp(mac, column(stmt, 2)) != 0)
			fail(r, (uint64_t)seq, "the checkpoint at entry %" PRId64 " is not the "
				"station's (its HMAC does not verify)", seq);
		else if (seq > last)
			fail(r, (uint64_t)last + 1, "entries %" PRId64 " to %" PRId64 " were removed "
				"(a checkpoint vouches for them)", last + 1, seq);
	}
	sqlite3_reset(stmt);
	if (err || (rc != SQLITE_ROW && rc != SQLITE_DONE))
		return err ? err : -EIO;
	/* each checkpoint's hash must be the chain's at its seq */
	if (r->ok) {
		stmt = rk_store_prepare(store, "SELECT c.seq FROM audit_checkpoints c LEFT JOIN "
			"audit a ON a.seq = c.seq WHERE a.hash IS NULL OR a.hash != c.hash "
			"ORDER BY c.seq LIMIT 1");
		if (!stmt)
			return -EIO;
		if (sqlite3_step(stmt) == SQLITE_ROW)
			fail(r, (uint64_t)sqlite3_column_int64(stmt, 0), "entry %lld is not the one "
				"its checkpoint vouches for", sqlite3_column_int64(stmt, 0));
		sqlite3_reset(stmt);
	}
	return 0;
}
