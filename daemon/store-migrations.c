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
};

const unsigned int rk_store_n_migrations =
	sizeof(rk_store_migrations) / sizeof(rk_store_migrations[0]);
