// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * rekam - KTP-el recording station daemon
 *
 * store-migrations.c - the schema of the station database as a list of
 * numbered steps. rk_store_open() applies, in order and each in its own
 * transaction, every step above the database's PRAGMA user_version.
 *
 * Rules: never edit or renumber a step that has shipped; add a new step at
 * the end instead. Versions run 1, 2, 3, ... without gaps. A step runs with
 * foreign key enforcement off and must leave PRAGMA foreign_key_check clean.
 */
#include <config.h>

#include "daemon/store.h"

const struct rk_migration rk_store_migrations[] = {
	{
		.version = 1,
		.description = "station metadata",
		.sql = "CREATE TABLE meta (key TEXT PRIMARY KEY NOT NULL, value TEXT NOT NULL) "
		       "STRICT;",
	},
	{
		.version = 2,
		.description = "artifacts",
		.sql = "CREATE TABLE artifacts (handle TEXT PRIMARY KEY NOT NULL, "
		       "kind TEXT NOT NULL, format TEXT NOT NULL, device TEXT NOT NULL, "
		       "width INTEGER NOT NULL, height INTEGER NOT NULL, dpi INTEGER NOT NULL, "
		       "quality INTEGER NOT NULL, size INTEGER NOT NULL, sha256 TEXT NOT NULL, "
		       "created INTEGER NOT NULL) STRICT;",
	},
	{
		.version = 3,
		.description = "the audit trail",
		.sql = "CREATE TABLE audit (seq INTEGER PRIMARY KEY NOT NULL, "
		       "time INTEGER NOT NULL, actor TEXT NOT NULL, role TEXT NOT NULL, "
		       "action TEXT NOT NULL, enrollment TEXT NOT NULL, nik TEXT NOT NULL, "
		       "result TEXT NOT NULL, detail TEXT NOT NULL, prev TEXT NOT NULL, "
		       "hash TEXT NOT NULL) STRICT;"
		       "CREATE TABLE audit_checkpoints (seq INTEGER PRIMARY KEY NOT NULL, "
		       "hash TEXT NOT NULL, time INTEGER NOT NULL, mac TEXT NOT NULL) STRICT;",
	},
	{
		.version = 4,
		.description = "upload queue of enrollment packets",
		.sql = "CREATE TABLE uploads (packet_id TEXT PRIMARY KEY NOT NULL, "
		       "state TEXT NOT NULL CHECK (state IN ('queued', 'submitted', "
		       "'print_ready', 'duplicate', 'rejected', 'failed')), "
		       "queued_since INTEGER NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, "
		       "failures INTEGER NOT NULL DEFAULT 0, "
		       "next_attempt INTEGER NOT NULL DEFAULT 0, "
		       "bytes_total INTEGER NOT NULL DEFAULT 0, submitted_at INTEGER, "
		       "finished_at INTEGER, reason TEXT, duplicate_of TEXT, last_error TEXT) "
		       "STRICT;"
		       "CREATE INDEX uploads_due ON uploads (state, next_attempt);",
	},
	{
		.version = 5,
		.description = "enrollments, their steps, and the card inventory",
		/* One row per applicant's application (enrollment.c); the partial
		 * index keeps one active enrollment per NIK. Step records are the
		 * SOP timestamps: one per transition, never changed. */
		.sql = "CREATE TABLE enrollments (id INTEGER PRIMARY KEY AUTOINCREMENT, "
		       "nik TEXT NOT NULL CHECK (length(nik) = 16), state TEXT NOT NULL, "
		       "checklist TEXT, return_reason TEXT NOT NULL, "
		       "name TEXT NOT NULL, sex TEXT NOT NULL, birth_place TEXT NOT NULL, "
		       "birth_date TEXT NOT NULL, blood_type TEXT NOT NULL, "
		       "religion TEXT NOT NULL, marital_status TEXT NOT NULL, "
		       "occupation TEXT NOT NULL, address TEXT NOT NULL, rt TEXT NOT NULL, "
		       "rw TEXT NOT NULL, village TEXT NOT NULL, district TEXT NOT NULL, "
		       "citizenship TEXT NOT NULL, "
		       "created INTEGER NOT NULL, updated INTEGER NOT NULL) STRICT;"
		       "CREATE UNIQUE INDEX enrollments_active_nik ON enrollments (nik) "
		       "WHERE state NOT IN ('returned', 'rejected', 'collected');"
		       "CREATE TABLE enrollment_steps (enrollment INTEGER NOT NULL "
		       "REFERENCES enrollments (id), seq INTEGER NOT NULL, step INTEGER NOT NULL, "
		       "state TEXT NOT NULL, role TEXT NOT NULL, uid INTEGER NOT NULL, "
		       "at INTEGER NOT NULL, note TEXT NOT NULL, "
		       "PRIMARY KEY (enrollment, seq)) STRICT;"
		       "CREATE TABLE card_batches (id INTEGER PRIMARY KEY AUTOINCREMENT, "
		       "first_serial TEXT NOT NULL, count INTEGER NOT NULL, "
		       "role TEXT NOT NULL, uid INTEGER NOT NULL, added INTEGER NOT NULL) STRICT;"
		       "CREATE TABLE cards (serial TEXT PRIMARY KEY NOT NULL, "
		       "batch INTEGER NOT NULL REFERENCES card_batches (id), "
		       "state TEXT NOT NULL CHECK (state IN ('blank', 'issued', 'spoiled')), "
		       "enrollment INTEGER REFERENCES enrollments (id), "
		       "reason TEXT NOT NULL DEFAULT '', changed INTEGER NOT NULL) STRICT;"
		       "CREATE INDEX cards_state ON cards (state, batch, serial);",
	},
	{
		.version = 6,
		.description = "recording, upload, issuance and hand-over of enrollments",
		/* Steps 5-10 (pipeline-*.c): the artifacts each enrollment took,
		 * its packet and the server's word, the card being issued with
		 * the write-ahead intent of the issuance (issue_phase), and the
		 * hash of the pickup token. */
		.sql = "ALTER TABLE enrollments ADD COLUMN packet_id TEXT NOT NULL DEFAULT '';"
		       "ALTER TABLE enrollments ADD COLUMN remote_status TEXT NOT NULL DEFAULT '';"
		       "ALTER TABLE enrollments ADD COLUMN card_serial TEXT NOT NULL DEFAULT '';"
		       "ALTER TABLE enrollments ADD COLUMN chip_uid TEXT NOT NULL DEFAULT '';"
		       "ALTER TABLE enrollments ADD COLUMN issue_phase TEXT NOT NULL DEFAULT '';"
		       "ALTER TABLE enrollments ADD COLUMN receipt TEXT NOT NULL DEFAULT '';"
		       "ALTER TABLE enrollments ADD COLUMN spoiled INTEGER NOT NULL DEFAULT 0;"
		       "CREATE TABLE enrollment_captures (enrollment INTEGER NOT NULL "
		       "REFERENCES enrollments (id), item TEXT NOT NULL, handle TEXT NOT NULL, "
		       "kind TEXT NOT NULL, PRIMARY KEY (enrollment, handle)) STRICT;",
	},
	{
		.version = 7,
		.description = "enrollment data keys, issuance reports, biometrics destroyed",
		/* artifact.c: each enrollment's data key, wrapped by the station
		 * key (NULL once destroyed: the row stays as a tombstone), and
		 * which key seals an artifact (NULL: its own, as before). The
		 * issuance report of step 8 to the central server
		 * (issuance-report.c) and when the biometrics of an enrollment
		 * were destroyed (biometrics.c). */
		.sql = "CREATE TABLE enrollment_keys (enrollment INTEGER PRIMARY KEY NOT NULL "
		       "REFERENCES enrollments (id), wrapped BLOB, created INTEGER NOT NULL, "
		       "destroyed INTEGER) STRICT;"
		       "ALTER TABLE artifacts ADD COLUMN key_id INTEGER;"
		       "CREATE TABLE issuance_reports (enrollment INTEGER PRIMARY KEY NOT NULL "
		       "REFERENCES enrollments (id), packet_id TEXT NOT NULL, "
		       "card_serial TEXT NOT NULL, chip_uid TEXT NOT NULL, "
		       "state TEXT NOT NULL CHECK (state IN ('queued', 'accepted', 'refused')), "
		       "attempts INTEGER NOT NULL DEFAULT 0, next_attempt INTEGER NOT NULL "
		       "DEFAULT 0, last_error TEXT, accepted_at INTEGER) STRICT;"
		       "ALTER TABLE enrollments ADD COLUMN biometrics_destroyed INTEGER NOT NULL "
		       "DEFAULT 0;",
	},
};

const unsigned int rk_store_n_migrations =
	sizeof(rk_store_migrations) / sizeof(rk_store_migrations[0]);
