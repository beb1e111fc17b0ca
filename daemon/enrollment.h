/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * rekam - KTP-el recording station daemon
 *
 * enrollment.h - enrollments: one applicant's way through SOP 800/011 as a
 * durable state machine. Every transition is one SQLite transaction (the
 * new state and a step record with its time, role and user) committed
 * before memory changes and before anything it authorises happens. The
 * steps' durations are measured against the SOP's time standards.
 * enrollment.c holds the state machine and its storage; enrollment-dbus.c
 * puts each enrollment on the bus (id.rekam.Station1.Enrollment) and serves
 * the manager's Submit.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <dbus/dbus.h>

#include "daemon/nik.h"
#include "daemon/roles.h"

#define RK_ENROLLMENT_INTERFACE "id.rekam.Station1.Enrollment"
#define RK_ENROLLMENTS_PATH "/id/rekam/Station1/enrollments"

enum rk_enrollment_state {
	RK_ENR_SUBMITTED,   /* step 1 done */
	RK_ENR_RECEIVED,    /* 2 */
	RK_ENR_VERIFIED,    /* 3 */
	RK_ENR_FORWARDED,   /* 4 */
	RK_ENR_RECORDED,    /* 5 */
	RK_ENR_UPLOADED,    /* 6 under way: waiting for the central server */
	RK_ENR_PRINT_READY, /* 6 */
	RK_ENR_PRINTING,    /* 7 */
	RK_ENR_ISSUED,      /* 8 */
	RK_ENR_AT_HANDOVER, /* 9 */
	RK_ENR_COLLECTED,   /* 10: the end */
	RK_ENR_RETURNED,    /* to the applicant, with a reason: the end */
	RK_ENR_REJECTED,    /* refused by the central server: the end */
	RK_ENR_N_STATES
};

/* The requirement checklist of steps 2 and 3 (SP requirements). */
enum rk_checklist_item {
	RK_CHECK_F102,                 /* form F1.02 */
	RK_CHECK_FAMILY_CARD,          /* copy of the family card (KK) */
	RK_CHECK_MARRIAGE_CERTIFICATE, /* copy, required under 17 */
	RK_CHECK_DIPLOMA,              /* copy of the school diploma */
	RK_CHECK_N_ITEMS
};

#define RK_SOP_STEPS 10

/* One transition: which SOP step it completed (or ended in), when, by whom. */
struct rk_step_record {
	unsigned int step;               /* 1..10 */
	enum rk_enrollment_state state;  /* the state it led to */
	enum rk_role role;
	uid_t uid;
	int64_t at_ms;       /* CLOCK_REALTIME, ms since the epoch */
	int64_t duration_ms; /* since the previous record (0 for the first) */
	char *note;          /* reason of a return, "" otherwise */
};

struct rk_enrollments;
struct rk_pipeline_run; /* pipeline.h: a Record or Issue under way */

/* A stored artifact that belongs to the enrollment: what step 5 took. */
struct rk_capture_link {
	char *item;   /* portrait, fingerprint-left-slap, ..., signature, document-f102 */
	char *handle; /* the artifact (artifact.h) */
	char *kind;   /* its kind: portrait, fingerprint-left-index, signature-image, ... */
};

struct rk_enrollment {
	struct rk_enrollments *set;
	int64_t id;
	char path[64];
	struct rk_applicant applicant;
	enum rk_enrollment_state state;
	bool checked;            /* the checklist has been filled in (step 2) */
	unsigned int checklist;  /* bit per item present */
	char *return_reason;     /* "" unless returned or rejected */
	struct rk_step_record *steps;
	size_t n_steps;
	/* steps 5-10 (migration 6); strings are "" when not set */
	struct rk_capture_link *captures;
	size_t n_captures;
	char *packet_id;     /* the upload of step 6 */
	char *remote_status; /* the central server's word on it: queued, submitted, print_ready, ... */
	char *card_serial;   /* the card of step 8: being issued, then issued */
	char *chip_uid;      /* its chip, once encoded */
	char *issue_phase;   /* the write-ahead intent of step 8: stage, encode, print, eject */
	char *receipt;       /* SHA-256 (hex) of the pickup token of step 9 */
	unsigned int spoiled; /* cards spoiled for it */
	int64_t biometrics_destroyed; /* Unix seconds when its biometrics went (biometrics.c), 0 */
	struct rk_pipeline_run *run; /* a Record or Issue under way (pipeline.h) */
	bool interrupted;    /* an issuance cut short by a restart: the operator decides */
};

/* Changes of the step 5-10 columns (NULL: unchanged; "" clears). */
struct rk_enrollment_work {
	const char *packet_id, *remote_status, *card_serial, *chip_uid, *issue_phase, *receipt;
	bool spoiled_one; /* one more card spoiled for it */
};

/* More work inside the same transaction (inventory, upload queue, links). */
struct rk_store;
typedef int (*rk_enrollment_txn_fn)(struct rk_store *store, struct rk_enrollment *e, void *data);

struct rk_store;

enum rk_enrollment_change {
	RK_ENR_CREATED,      /* new (step 1) */
	RK_ENR_STEPPED,      /* a transition: a new step record */
	RK_ENR_WORK_CHANGED, /* captures or step 5-10 columns, no transition */
};

/* Told after every committed change of @e. */
typedef void (*rk_enrollment_changed_fn)(struct rk_enrollment *e, enum rk_enrollment_change what,
		void *data);

/* The SOP's time standard of step 1..10 in ms (60000, 60000, 600000, ...). */
int64_t rk_sop_standard_ms(unsigned int step);

const char *rk_enrollment_state_name(enum rk_enrollment_state state);
/* The SOP step a state stands for (1..10). */
unsigned int rk_enrollment_state_step(enum rk_enrollment_state state);
/* Ended: returned, rejected or collected; another enrollment of the NIK may start. */
bool rk_enrollment_state_final(enum rk_enrollment_state state);

const char *rk_checklist_item_name(enum rk_checklist_item item);
/* The item named @name, or -1. */
int rk_checklist_item_from_name(const char *name);

/* Load every enrollment from @store. NULL on failure (logged). */
struct rk_enrollments *rk_enrollments_new(struct rk_store *store, rk_enrollment_changed_fn fn,
		void *data);
void rk_enrollments_free(struct rk_enrollments *set);

size_t rk_enrollments_count(struct rk_enrollments *set);
/* The @data given to rk_enrollments_new(). */
void *rk_enrollments_data(struct rk_enrollments *set);
struct rk_enrollment *rk_enrollments_at(struct rk_enrollments *set, size_t i);
struct rk_enrollment *rk_enrollments_find(struct rk_enrollments *set, int64_t id);
/* The enrollment at object path @path, or NULL. */
struct rk_enrollment *rk_enrollments_find_path(struct rk_enrollments *set, const char *path);
/* The enrollment of @nik that has not ended, or NULL. */
struct rk_enrollment *rk_enrollments_find_active(struct rk_enrollments *set, const char *nik);

/*
 * Step 1: a new enrollment of @a (already checked with rk_applicant_check())
 * in state submitted. 0 and *@out, -EEXIST (an active enrollment of the NIK),
 * -EIO (the database; logged).
 */
int rk_enrollments_submit(struct rk_enrollments *set, const struct rk_applicant *a,
		enum rk_role role, uid_t uid, struct rk_enrollment **out);

/*
 * Step 2: the front office's checklist (bits of items present) on @y-@m-@d.
 * Complete: received. Incomplete: returned, the missing items in the reason
 * (in @why too). 0 or -EIO.
 */
int rk_enrollment_receive(struct rk_enrollment *e, unsigned int checklist, int y, int m, int d,
		enum rk_role role, uid_t uid, char *why, size_t size);

/*
 * Move @e from its current state to @to as SOP step @step, with @note (the
 * return reason for returned/rejected, else NULL). One transaction; 0, or
 * -EIO (nothing changed).
 */
int rk_enrollment_transition(struct rk_enrollment *e, enum rk_enrollment_state to,
		unsigned int step, enum rk_role role, uid_t uid, const char *note);

/*
 * One transaction: the columns of @w (may be NULL), @fn's own writes (may be
 * NULL) and, when @to differs from the current state or @step is not 0, the
 * transition to @to as SOP step @step with its record. Memory follows after
 * the commit. 0, @fn's error, or -EIO (nothing changed).
 */
int rk_enrollment_save(struct rk_enrollment *e, enum rk_enrollment_state to, unsigned int step,
		enum rk_role role, uid_t uid, const char *note, const struct rk_enrollment_work *w,
		rk_enrollment_txn_fn fn, void *data);

/*
 * Step 5: @n artifacts now stand for @item of @e, replacing what it had
 * (their handles in *@old, *@n_old: delete them once this returns 0; free
 * with rk_strv_free()). One transaction. 0, -ENOMEM, -EIO.
 */
int rk_enrollment_link(struct rk_enrollment *e, const char *item, const char *const *handles,
		const char *const *kinds, size_t n, char ***old, size_t *n_old);
/* The captures of @item (0 when none). */
size_t rk_enrollment_count_item(const struct rk_enrollment *e, const char *item);
void rk_strv_free(char **v, size_t n);
/* The store of @set. */
struct rk_store *rk_enrollments_store(struct rk_enrollments *set);

/* Which items @e needs: F1.02, family card, diploma, and the marriage
 * certificate when the applicant is under 17 on @y-@m-@d. */
unsigned int rk_enrollment_required_items(const struct rk_enrollment *e, int y, int m, int d);

/* Bits of the steps whose duration exceeded the SOP standard (bit 1 = step 1). */
unsigned int rk_enrollment_overruns(const struct rk_enrollment *e);

/* --- enrollment-dbus.c --- */

struct rk_daemon;

/* Load the enrollments and put each on the bus. 0 or -errno. */
int rk_pipeline_start(struct rk_daemon *d);
/* Free them (after the bus objects are gone). */
void rk_pipeline_stop(struct rk_daemon *d);

/* The manager's Submit(a{sv} applicant) -> (o enrollment); front office. */
DBusMessage *rk_enrollment_submit_method(DBusConnection *conn, DBusMessage *msg, void *data);
