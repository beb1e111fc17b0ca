/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * rekam - KTP-el recording station daemon
 *
 * pipeline.h - SOP steps 5 to 10 of an enrollment, the ones that drive the
 * station's devices and the central server: recording (pipeline-record.c),
 * the upload and the server's answer (pipeline-upload.c), printing and
 * issuing the card with its reconciliation after a restart
 * (pipeline-issue.c), and the hand-over desk (pipeline-desk.c). Each method
 * here is an Enrollment method handler of enrollment-dbus.c's table; each
 * checks its role and state, then writes its intent before it acts.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <dbus/dbus.h>

#include "daemon/dbus-error.h"
#include "daemon/enrollment.h"
#include "daemon/roles.h"

struct rk_daemon;
struct rk_device;

enum rk_run_kind { RK_RUN_RECORD, RK_RUN_ISSUE };

/* A Record or Issue under way on an enrollment (e->run): at most one. */
struct rk_pipeline_run {
	enum rk_run_kind kind;
	struct rk_daemon *d;
	struct rk_enrollment *e;
	DBusMessage *call;   /* answered when the run ends */
	enum rk_role role;
	uid_t uid;
	char owner[48];      /* "enrollment 12": the claim it holds on a device */
	struct rk_device *dev; /* the device of the operation under way, or NULL */
};

/* Fill the common part of a run and attach it to @e. */
void rk_run_init(struct rk_pipeline_run *run, enum rk_run_kind kind, struct rk_daemon *d,
		struct rk_enrollment *e, DBusMessage *call, enum rk_role role, uid_t uid);
/* Detach it and answer its call with @reply (may be NULL: out of memory). */
void rk_run_end(struct rk_pipeline_run *run, DBusMessage *reply);
/* Emit Progress(s stage, d fraction, s message) on the enrollment. */
void rk_pipeline_progress(struct rk_daemon *d, struct rk_enrollment *e, const char *stage,
		double fraction, const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* A reply: WrongState saying what @e is and what the step needs. */
DBusMessage *rk_pipeline_wrong_state(DBusMessage *msg, struct rk_enrollment *e, const char *needs);
/* The enrollment a method call is for, or NULL. */
struct rk_enrollment *rk_pipeline_enrollment_of(struct rk_daemon *d, DBusMessage *msg);
/* One string entry of an a{sv} argument: NULL, or the error reply. */
typedef DBusMessage *(*rk_string_entry_fn)(DBusMessage *msg, const char *key, const char *value,
		void *data);
/* Walk the a{sv} at @iter, whose values must all be strings ("@what %s must
 * be a string" otherwise), calling @fn for each; NULL or the first error. */
DBusMessage *rk_pipeline_string_dict(DBusMessage *msg, DBusMessageIter *iter, const char *what,
		rk_string_entry_fn fn, void *data);
/* A run failed: log it, send Progress "failed", and make the error reply. */
DBusMessage *rk_run_failed(struct rk_pipeline_run *run, enum rk_dbus_error_code code,
		const char *what, const char *text);
/* Busy: a Record or Issue is under way on @e. */
DBusMessage *rk_pipeline_busy(DBusMessage *msg, struct rk_enrollment *e);

/* Step 5: Capture(s item, a{sv} options) -> (aa{sv} artifacts), Record(a{sv} options). */
DBusMessage *rk_pipeline_capture(DBusConnection *conn, DBusMessage *msg, void *data);
DBusMessage *rk_pipeline_record(DBusConnection *conn, DBusMessage *msg, void *data);
/* The items step 5 takes for @e, NULL-terminated; whether @e has them all. */
const char *const *rk_record_items(const struct rk_enrollment *e);
bool rk_record_complete(const struct rk_enrollment *e);

/* Step 6: Upload() -> (s packet id); the uploader's news follow. */
DBusMessage *rk_pipeline_upload(DBusConnection *conn, DBusMessage *msg, void *data);
int rk_pipeline_upload_start(struct rk_daemon *d);

/* Step 7: OpenPrint(s nik); 8: Issue(a{sv} options) -> (s card serial, s chip uid). */
DBusMessage *rk_pipeline_open_print(DBusConnection *conn, DBusMessage *msg, void *data);
DBusMessage *rk_pipeline_issue(DBusConnection *conn, DBusMessage *msg, void *data);
/* PreviewCard() -> (ay front, ay back): the card's faces as PNG (pipeline-preview.c). */
DBusMessage *rk_pipeline_preview_card(DBusConnection *conn, DBusMessage *msg, void *data);
/* At start: issuances a restart cut short wait for the operator's decision. */
void rk_pipeline_issue_resume(struct rk_daemon *d);

/* Step 9: HandOver() -> (s pickup token); 10: Collect(s token). */
DBusMessage *rk_pipeline_hand_over(DBusConnection *conn, DBusMessage *msg, void *data);
DBusMessage *rk_pipeline_collect(DBusConnection *conn, DBusMessage *msg, void *data);

/* enrollment-dbus.c: the step 5-10 properties of @e changed. */
void rk_pipeline_work_changed(struct rk_daemon *d, struct rk_enrollment *e);
