// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * rekam - device simulators
 *
 * central-db.c - rekam-sim-central's state in SQLite (--db FILE, or memory):
 * every packet with its manifest, verdict and first answer, its artifacts,
 * and the issuance reports; and the duplicate search the national ABIS
 * would do (the same fingerprint bytes, or the same NIK with other
 * fingerprints, in an earlier packet that was not rejected).
 */
#include <config.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "simulators/central-server.h"

static const char schema[] =
	"PRAGMA foreign_keys = ON;"
	"CREATE TABLE IF NOT EXISTS packets ("
	"  id TEXT PRIMARY KEY, station TEXT NOT NULL, nik TEXT NOT NULL,"
	"  manifest TEXT NOT NULL, manifest_sha256 TEXT NOT NULL,"
	"  verdict TEXT NOT NULL, reason TEXT, duplicate_of TEXT,"
	"  received_ms INTEGER NOT NULL, answer TEXT NOT NULL);"
	"CREATE INDEX IF NOT EXISTS packets_nik ON packets (nik);"
	"CREATE TABLE IF NOT EXISTS artifacts ("
	"  packet_id TEXT NOT NULL REFERENCES packets (id), seq INTEGER NOT NULL,"
	"  name TEXT NOT NULL, type TEXT NOT NULL, format TEXT NOT NULL,"
	"  sha256 TEXT NOT NULL, data BLOB NOT NULL, PRIMARY KEY (packet_id, seq));"
	"CREATE INDEX IF NOT EXISTS artifacts_sha256 ON artifacts (type, sha256);"
	"CREATE TABLE IF NOT EXISTS issuance ("
	"  packet_id TEXT PRIMARY KEY REFERENCES packets (id),"
	"  card_serial TEXT NOT NULL, chip_uid TEXT NOT NULL, issued_ms INTEGER NOT NULL);";

int64_t central_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int central_db_open(struct central *c)
{
	const char *path = c->db_path ? c->db_path : ":memory:";
	char *msg = NULL;

	if (sqlite3_open_v2(path, &c->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) !=
			SQLITE_OK) {
		sim_err("cannot open the database %s: %s", path,
				c->db ? sqlite3_errmsg(c->db) : "out of memory");
		return -EIO;
	}
	sqlite3_busy_timeout(c->db, 2000);
	if (sqlite3_exec(c->db, "PRAGMA journal_mode = WAL;", NULL, NULL, NULL) != SQLITE_OK ||
			sqlite3_exec(c->db, schema, NULL, NULL, &msg) != SQLITE_OK) {
		sim_err("cannot set up the database %s: %s", path,
				msg ? msg : sqlite3_errmsg(c->db));
		sqlite3_free(msg);
		return -EIO;
	}
	return 0;
}

void central_db_close(struct central *c)
{
	sqlite3_close(c->db);
	c->db = NULL;
}

static sqlite3_stmt *prepare(struct central *c, const char *sql)
{
	sqlite3_stmt *st = NULL;

	if (sqlite3_prepare_v2(c->db, sql, -1, &st, NULL) != SQLITE_OK) {
		sim_err("sqlite: %s", sqlite3_errmsg(c->db));
		return NULL;
	}
	return st;
}

static char *column_dup(sqlite3_stmt *st, int i)
{
	const unsigned char *t = sqlite3_column_text(st, i);

	return t ? strdup((const char *)t) : NULL;
}

int central_db_find(struct central *c, const char *id, char **station, char **manifest_sha256,
		char **answer)
{
	sqlite3_stmt *st = prepare(c, "SELECT station, manifest_sha256, answer FROM packets "
			"WHERE id = ?");
	int r = -ENOENT;

	if (!st)
		return -EIO;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW) {
		*station = column_dup(st, 0);
		*manifest_sha256 = column_dup(st, 1);
		*answer = column_dup(st, 2);
		r = *station && *manifest_sha256 && *answer ? 0 : -ENOMEM;
	}
	sqlite3_finalize(st);
	return r;
}

static void set_duplicate(struct central_packet *p, const char *other, const char *why)
{
	p->verdict = "duplicate";
	snprintf(p->duplicate_of, sizeof(p->duplicate_of), "%s", other);
	snprintf(p->reason, sizeof(p->reason), "%s packet %s", why, other);
}

int central_db_match(struct central *c, struct central_packet *p)
{
	sqlite3_stmt *st;
	size_t i;
	int r = 0;

	/* the same fingerprint bytes as an earlier applicant */
	st = prepare(c, "SELECT a.packet_id FROM artifacts a JOIN packets p ON p.id = a.packet_id "
			"WHERE a.type = 'fingerprint' AND a.sha256 = ? AND p.verdict != 'rejected' "
			"ORDER BY p.received_ms LIMIT 1");
	if (!st)
		return -EIO;
	for (i = 0; i < p->n_artifacts && r == 0; i++) {
		if (strcmp(p->artifacts[i].type, "fingerprint") != 0)
			continue;
		sqlite3_reset(st);
		sqlite3_bind_text(st, 1, p->artifacts[i].sha256, -1, SQLITE_STATIC);
		if (sqlite3_step(st) == SQLITE_ROW) {
			set_duplicate(p, (const char *)sqlite3_column_text(st, 0),
					"fingerprints match those of");
			r = 1;
		}
	}
	sqlite3_finalize(st);
	if (r)
		return 0;
	/* the same NIK recorded before with other fingerprints */
	st = prepare(c, "SELECT id FROM packets WHERE nik = ? AND verdict != 'rejected' "
			"ORDER BY received_ms LIMIT 1");
	if (!st)
		return -EIO;
	sqlite3_bind_text(st, 1, p->nik, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW)
		set_duplicate(p, (const char *)sqlite3_column_text(st, 0),
				"the NIK was recorded with other fingerprints in");
	sqlite3_finalize(st);
	return 0;
}

static int step_done(struct central *c, sqlite3_stmt *st)
{
	int r = sqlite3_step(st) == SQLITE_DONE ? 0 : -EIO;

	if (r < 0)
		sim_err("sqlite: %s", sqlite3_errmsg(c->db));
	sqlite3_finalize(st);
	return r;
}

int central_db_insert(struct central *c, const struct central_packet *p, int64_t received_ms,
		const char *answer)
{
	sqlite3_stmt *st;
	size_t i;
	int r;

	if (sqlite3_exec(c->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
		return -EIO;
	st = prepare(c, "INSERT INTO packets (id, station, nik, manifest, manifest_sha256, "
			"verdict, reason, duplicate_of, received_ms, answer) "
			"VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
	r = st ? 0 : -EIO;
	if (st) {
		sqlite3_bind_text(st, 1, p->id, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, p->station, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, p->nik, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 4, p->manifest, (int)p->manifest_len, SQLITE_STATIC);
		sqlite3_bind_text(st, 5, p->manifest_sha256, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 6, p->verdict, -1, SQLITE_STATIC);
		if (p->reason[0])
			sqlite3_bind_text(st, 7, p->reason, -1, SQLITE_STATIC);
		if (p->duplicate_of[0])
			sqlite3_bind_text(st, 8, p->duplicate_of, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 9, received_ms);
		sqlite3_bind_text(st, 10, answer, -1, SQLITE_STATIC);
		r = step_done(c, st);
	}
	for (i = 0; i < p->n_artifacts && r == 0; i++) {
		const struct central_artifact *a = &p->artifacts[i];

		st = prepare(c, "INSERT INTO artifacts (packet_id, seq, name, type, format, sha256, "
				"data) VALUES (?, ?, ?, ?, ?, ?, ?)");
		if (!st) {
			r = -EIO;
			break;
		}
		sqlite3_bind_text(st, 1, p->id, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, (sqlite3_int64)i);
		sqlite3_bind_text(st, 3, a->name, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 4, a->type, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 5, a->format, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 6, a->sha256, -1, SQLITE_STATIC);
		sqlite3_bind_blob64(st, 7, a->data ? a->data : "", a->len, SQLITE_STATIC);
		r = step_done(c, st);
	}
	if (sqlite3_exec(c->db, r == 0 ? "COMMIT" : "ROLLBACK", NULL, NULL, NULL) != SQLITE_OK)
		r = -EIO;
	return r;
}

static void set_text(json_t *o, const char *key, sqlite3_stmt *st, int i)
{
	const unsigned char *t = sqlite3_column_text(st, i);

	json_object_set_new(o, key, t ? json_string((const char *)t) : json_null());
}

int central_db_get(struct central *c, const char *id, json_t **out)
{
	sqlite3_stmt *st = prepare(c, "SELECT p.id, p.station, p.nik, p.manifest, p.verdict, "
			"p.reason, p.duplicate_of, p.received_ms, i.card_serial, i.chip_uid, "
			"i.issued_ms FROM packets p LEFT JOIN issuance i ON i.packet_id = p.id "
			"WHERE p.id = ?");
	json_t *o;
	int r = -ENOENT;

	if (!st)
		return -EIO;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW) {
		o = json_object();
		set_text(o, "id", st, 0);
		set_text(o, "station_id", st, 1);
		set_text(o, "nik", st, 2);
		set_text(o, "manifest", st, 3);
		set_text(o, "verdict", st, 4);
		set_text(o, "reason", st, 5);
		set_text(o, "duplicate_of", st, 6);
		json_object_set_new(o, "received_ms", json_integer(sqlite3_column_int64(st, 7)));
		if (sqlite3_column_type(st, 8) != SQLITE_NULL) {
			json_t *i = json_object();

			set_text(i, "card_serial", st, 8);
			set_text(i, "chip_uid", st, 9);
			json_object_set_new(i, "issued_ms",
					json_integer(sqlite3_column_int64(st, 10)));
			json_object_set_new(o, "issued", i);
		}
		*out = o;
		r = 0;
	}
	sqlite3_finalize(st);
	return r;
}

int central_db_artifacts(struct central *c, const char *id, json_t **out)
{
	sqlite3_stmt *st = prepare(c, "SELECT name, type, format, sha256, data FROM artifacts "
			"WHERE packet_id = ? ORDER BY seq");
	json_t *a = json_array();

	if (!st || !a) {
		sqlite3_finalize(st);
		json_decref(a);
		return -EIO;
	}
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	while (sqlite3_step(st) == SQLITE_ROW) {
		json_t *o = json_object();
		size_t n = (size_t)sqlite3_column_bytes(st, 4);
		char *b64 = malloc(SIM_BASE64_LEN(n) + 1);

		if (!o || !b64) {
			json_decref(o);
			free(b64);
			break;
		}
		sim_base64_encode(sqlite3_column_blob(st, 4), n, b64);
		set_text(o, "name", st, 0);
		set_text(o, "type", st, 1);
		set_text(o, "format", st, 2);
		set_text(o, "sha256", st, 3);
		json_object_set_new(o, "size", json_integer((json_int_t)n));
		json_object_set_new(o, "data", json_string(b64));
		free(b64);
		json_array_append_new(a, o);
	}
	sqlite3_finalize(st);
	*out = a;
	return 0;
}

int central_db_issue(struct central *c, const char *id, const char *serial, const char *uid,
		int64_t at_ms, json_t **existing)
{
	sqlite3_stmt *st = prepare(c, "INSERT INTO issuance (packet_id, card_serial, chip_uid, "
			"issued_ms) VALUES (?, ?, ?, ?) ON CONFLICT (packet_id) DO NOTHING");
	json_t *p = NULL;
	int r;

	if (!st)
		return -EIO;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, serial, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, uid, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, at_ms);
	r = step_done(c, st);
	if (r < 0)
		return r;
	if (sqlite3_changes(c->db) == 1)
		return 0;
	r = central_db_get(c, id, &p);
	if (r < 0)
		return r;
	*existing = json_incref(json_object_get(p, "issued"));
	json_decref(p);
	return -EEXIST;
}

long central_db_count(struct central *c)
{
	sqlite3_stmt *st = prepare(c, "SELECT count(*) FROM packets");
	long n = -1;

	if (st && sqlite3_step(st) == SQLITE_ROW)
		n = (long)sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return n;
}
