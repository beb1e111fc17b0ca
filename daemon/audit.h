/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * rekam - KTP-el recording station daemon
 *
 * audit.h - the audit trail: every action on the station (who, in which
 * role, what, on which enrollment, with what result, when) appended to the
 * audit table, each entry carrying the SHA-256 of the one before it, so
 * that changing, inserting or removing an entry breaks the chain at that
 * entry. Every RK_AUDIT_CHECKPOINT_EVERY entries (and at each start and
 * stop) a checkpoint records the head of the chain with an HMAC-SHA-256
 * under a key derived from the station key, so that rewriting the whole
 * chain, or cutting its tail before a checkpoint, is detected too.
 *
 * The audit holds no biometrics and no personal data beyond the NIK.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

struct rk_store;

#define RK_AUDIT_CHECKPOINT_EVERY 64

struct rk_audit_entry {
	const char *actor;      /* "uid 1000 (name)", a bus name, or "rekamd" */
	const char *role;       /* the SOP role it acted in, or "" */
	const char *action;     /* "device.capture", "artifact.read", "rekamd.start", ... */
	const char *enrollment; /* the enrollment's id, or "" */
	const char *nik;        /* the applicant's NIK, or "" */
	const char *result;     /* "ok", or the error's name */
	const char *detail;     /* a short sentence: the device, the artifact handle, ... */
};

/* Append @e (NULL fields are ""), in its own transaction unless one is
 * open. 0, -EINVAL (a field over 1024 bytes, or with control characters),
 * -ENOKEY (a checkpoint is due and no station key is loaded), -EIO. */
int rk_audit_append(struct rk_store *store, const struct rk_audit_entry *e);

/* Record a checkpoint of the chain's head now (nothing when it has one). */
int rk_audit_checkpoint(struct rk_store *store);

struct rk_audit_report {
	bool ok;
	uint64_t entries;      /* entries checked */
	uint64_t checkpoints;  /* checkpoints checked */
	uint64_t first_bad;    /* the first entry that does not verify; 0 when none */
	char reason[256];      /* why, for a person */
};

/* Walk the whole chain and every checkpoint. 0 (see @report->ok), -EIO. */
int rk_audit_verify(struct rk_store *store, struct rk_audit_report *report);
