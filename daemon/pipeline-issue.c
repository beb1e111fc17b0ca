// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * rekam - KTP-el recording station daemon
 *
 * pipeline-issue.c - SOP steps 7 and 8: the operator opens the print job by
 * confirming the NIK, then Issue() makes the card: the faces and chip data
 * (pipeline-card.c, on a worker), a blank card taken from the inventory,
 * staged at the printer's encoder, its chip written and read back by the
 * card reader, then printed and put out. A card that fails is rejected and
 * counted spoiled, and the next one is tried (up to three).
 *
 * Each move is preceded by its write-ahead intent in issue_phase (stage,
 * encode, print) with the card's serial, so a restart knows where an
 * issuance stood. An issuance a restart cut short is never redone
 * silently: Issue then needs the operator's decision, "spoil" (the card
 * goes to the reject tray and counts spoiled; a new card is made) or
 * "issued" (while printing: the operator holds the finished card), recorded
 * with who and why. That is how a second card for the same applicant only
 * ever comes from a person's decision.
 */
#include <config.h>

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/crash-point.h"
#include "daemon/audit.h"
#include "daemon/central.h"
#include "daemon/config.h"
#include "daemon/daemon.h"
#include "daemon/dbus-error.h"
#include "daemon/dbus-object.h"
#include "daemon/device.h"
#include "daemon/inventory.h"
#include "daemon/log.h"
#include "daemon/pipeline-card.h"
#include "daemon/pipeline.h"
#include "daemon/worker.h"

#define MAX_CARDS 3 /* cards one Issue may use */
#define PRINTER_TIMEOUT_MS 120000
#define ENCODE_TIMEOUT_MS 60000
#define CARD_WAIT_MS 10000
#define MAX_REASON 500

struct issue_run {
	struct rk_pipeline_run base;
	struct rk_card_job *card;
	unsigned int cards;       /* taken by this Issue */
	char failures[512];       /* what spoiled them */
	char spoil_reason[640];   /* of the card being spoiled */
	bool spoil_first;         /* the operator decided: reject the interrupted card first */
};

/* --- OpenPrint (step 7) ---------------------------------------------------- */

static DBusMessage *open_print_authorized(struct rk_daemon *d, DBusMessage *msg,
		unsigned int roles, uid_t uid, void *data)
{
	struct rk_enrollment *e = rk_pipeline_enrollment_of(d, msg);
	const char *nik;
	int err;

	(void)data;
	if (!e)
		return rk_dbus_error(msg, RK_DBUS_ERROR_NOT_FOUND, "No such enrollment");
	if (e->state != RK_ENR_PRINT_READY)
		return rk_pipeline_wrong_state(msg, e, "print_ready");
	dbus_message_get_args(msg, NULL, DBUS_TYPE_STRING, &nik, DBUS_TYPE_INVALID);
	if (strcmp(nik, e->applicant.nik) != 0)
		return rk_dbus_error(msg, RK_DBUS_ERROR_MISMATCH, "The NIK confirmed (%.20s) is not "
			"enrollment %" PRId64 "'s; check the applicant's papers", nik, e->id);
	err = rk_enrollment_save(e, RK_ENR_PRINTING, 7, rk_roles_first(roles), uid, NULL, NULL,
		NULL, NULL);
	if (err)
		return rk_dbus_error(msg, RK_DBUS_ERROR_FAILED, "The station database cannot be "
			"written (%s); nothing changed", strerror(-err));
	return dbus_message_new_method_return(msg);
}

DBusMessage *rk_pipeline_open_print(DBusConnection *conn, DBusMessage *msg, void *data)
{
	struct rk_enrollment *e = data;

	(void)conn;
	return rk_roles_authorize(rk_enrollments_data(e->set), msg, RK_ROLE_BIT(RK_ROLE_OPERATOR),
		open_print_authorized, NULL);
}

/* --- the run --------------------------------------------------------------- */

static void take_card(struct issue_run *r);

static void finish(struct issue_run *r, DBusMessage *reply)
{
	rk_run_end(&r->base, reply);
	rk_card_job_free(r->card);
	free(r);
}

static void fail(struct issue_run *r, enum rk_dbus_error_code code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void fail(struct issue_run *r, enum rk_dbus_error_code code, const char *fmt, ...)
{
	char text[768];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	finish(r, rk_run_failed(&r->base, code, "issuance", text));
}

static struct rk_device *device(struct issue_run *r, const char *cls)
{
	return rk_devices_find(r->base.d->devices, cls, NULL);
}

static bool save_work(struct issue_run *r, const struct rk_enrollment_work *w)
{
	int err = rk_enrollment_save(r->base.e, r->base.e->state, 0, r->base.role, r->base.uid,
		NULL, w, NULL, NULL);

	if (err)
		fail(r, RK_DBUS_ERROR_FAILED, "The station database cannot be written (%s)",
			strerror(-err));
	return !err;
}

/* Run @action on the printer or reader; a refusal to start fails the run. */
static bool run_job(struct issue_run *r, const char *cls, const char *action,
		struct rk_options *opts, unsigned int timeout_ms, rk_device_done_fn fn)
{
	struct rk_device *dev = device(r, cls);
	char why[256];
	int err;

	if (!dev) {
		rk_options_clear(opts);
		fail(r, RK_DBUS_ERROR_ABSENT, "The station has no %s", cls);
		return false;
	}
	err = rk_device_run(dev, r->base.owner, action, opts, timeout_ms, fn, r, why, sizeof(why));
	if (err < 0) {
		/* a stage that never started took no card: the reservation goes */
		if (strcmp(action, "stage") == 0 && !save_work(r, &(struct rk_enrollment_work){
				.card_serial = "", .issue_phase = "" }))
			return false;
		fail(r, err == -EBUSY ? RK_DBUS_ERROR_BUSY : err == -ENODEV ? RK_DBUS_ERROR_ABSENT :
			RK_DBUS_ERROR_DEVICE, "%s", why);
		return false;
	}
	r->base.dev = dev;
	rk_crash_point2("issue", action); /* the printer or reader is at it */
	return true;
}


static int spoil_txn(struct rk_store *store, struct rk_enrollment *e, void *data)
{
	struct issue_run *r = data;

	return rk_inventory_mark_spoiled(store, e->card_serial, e->id, r->spoil_reason);
}

static void audit_card(struct issue_run *r, const char *action, const char *detail)
{
	char actor[160], id[24];

	rk_roles_actor(r->base.uid, actor, sizeof(actor));
	snprintf(id, sizeof(id), "%" PRId64, r->base.e->id);
	rk_audit_append(r->base.d->store, &(struct rk_audit_entry){ .actor = actor,
		.role = rk_role_name(r->base.role), .action = action, .enrollment = id,
		.nik = r->base.e->applicant.nik, .result = "ok", .detail = detail });
}

/* The card in hand is spoiled (@reason): recorded; then the next card. */
static void spoiled(struct issue_run *r)
{
	struct rk_enrollment *e = r->base.e;
	char detail[700];
	int err;

	snprintf(detail, sizeof(detail), "card %s spoiled: %s", e->card_serial, r->spoil_reason);
	err = rk_enrollment_save(e, e->state, 0, r->base.role, r->base.uid, NULL,
		&(struct rk_enrollment_work){ .card_serial = "", .issue_phase = "", .chip_uid = "",
			.spoiled_one = true }, spoil_txn, r);
	if (err) {
		fail(r, RK_DBUS_ERROR_FAILED, "The spoiled card cannot be recorded (%s)",
			strerror(-err));
		return;
	}
	rk_inventory_changed(r->base.d);
	audit_card(r, "card.spoiled", detail);
	rk_warn("enrollment %" PRId64 ": %s", e->id, detail);
	rk_pipeline_progress(r->base.d, e, "spoiled", -1.0, "%s", detail);
	snprintf(r->failures + strlen(r->failures), sizeof(r->failures) - strlen(r->failures),
		"%s%s", r->failures[0] ? "; " : "", r->spoil_reason);
	if (r->cards >= MAX_CARDS) {
		fail(r, RK_DBUS_ERROR_DEVICE, "%u cards were spoiled (%s); the enrollment stays "
			"printing: check the printer and the reader, then Issue again", r->cards,
			r->failures);
		return;
	}
	take_card(r);
}

static void rejected(const struct rk_device_outcome *o, void *data)
{
	struct issue_run *r = data;

	r->base.dev = NULL;
	if (o->err)
		rk_warn("enrollment %" PRId64 ": the printer could not reject card %s: %s; take it "
			"out by hand", r->base.e->id, r->base.e->card_serial, o->message);
	spoiled(r);
}

/* The card at the encoder is bad: to the reject tray, then spoiled. */
static void reject(struct issue_run *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void reject(struct issue_run *r, const char *fmt, ...)
{
	struct rk_options opts = { 0 };
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(r->spoil_reason, sizeof(r->spoil_reason), fmt, ap);
	va_end(ap);
	run_job(r, "printer", "reject", &opts, PRINTER_TIMEOUT_MS, rejected);
}

/* The central server is told of the card in the same transaction
 * (uploader-issuance.c): issued and reported are one. */
static int queue_issuance_report(struct rk_store *store, struct rk_enrollment *e)
{
	int err = rk_issuance_queue(store, e->id, e->packet_id, e->card_serial, e->chip_uid);

	if (err == -EINVAL) {
		/* the card is issued all the same; there is nothing to report it with */
		rk_warn("enrollment %" PRId64 ": no issuance report: packet '%s', card '%s', "
			"chip '%s'", e->id, e->packet_id, e->card_serial, e->chip_uid);
		return 0;
	}
	return err;
}

static int issued_txn(struct rk_store *store, struct rk_enrollment *e, void *data)
{
	int err;

	(void)data;
	err = rk_inventory_mark_issued(store, e->card_serial, e->id);
	return err ? err : queue_issuance_report(store, e);
}

static void issued(struct issue_run *r, const char *note)
{
	struct rk_enrollment *e = r->base.e;
	DBusMessage *reply;
	const char *serial, *uid;
	int err;

	err = rk_enrollment_save(e, RK_ENR_ISSUED, 8, r->base.role, r->base.uid, note,
		&(struct rk_enrollment_work){ .issue_phase = "" }, issued_txn, NULL);
	if (err) {
		fail(r, RK_DBUS_ERROR_FAILED, "The issued card cannot be recorded (%s); Issue "
			"again with the decision issued", strerror(-err));
		return;
	}
	rk_inventory_changed(r->base.d);
	rk_uploader_kick(r->base.d->central ? r->base.d->central->uploader : NULL);
	rk_pipeline_progress(r->base.d, e, "issued", 1.0, "card %s issued", e->card_serial);
	serial = e->card_serial;
	uid = e->chip_uid;
	reply = dbus_message_new_method_return(r->base.call);
	if (reply && !dbus_message_append_args(reply, DBUS_TYPE_STRING, &serial, DBUS_TYPE_STRING,
			&uid, DBUS_TYPE_INVALID)) {
		dbus_message_unref(reply);
		reply = NULL;
	}
	finish(r, reply);
}

/*
 * Did the printer itself end the job without a good card (printer-ipp's
 * words: an aborted or canceled job, a stop before printing)? Otherwise
 * (no answer, lost track of the job, a timeout) nobody knows whether the
 * card came out.
 */
static bool printer_says_spoiled(const struct rk_device_outcome *o)
{
	return o->err == -EIO && (strstr(o->message, "the card is spoiled") ||
		strstr(o->message, "canceled at the printer") ||
		strstr(o->message, "no card was used"));
}

static void printed(const struct rk_device_outcome *o, void *data)
{
	struct issue_run *r = data;

	r->base.dev = NULL;
	if (o->err && printer_says_spoiled(o)) {
		/* The printer ended the job without a good card: it is spoiled. */
		snprintf(r->spoil_reason, sizeof(r->spoil_reason), "printing failed: %s",
			o->message);
		spoiled(r);
		return;
	}
	if (o->err) {
		/* Whether a card came out is not known: a person looks (the
		 * intent stays print, as after a restart). */
		fail(r, RK_DBUS_ERROR_NEEDS_DECISION, "The printer did not say whether card %s came "
			"out (%s); look at the printer and Issue again with the decision issued (it "
			"came out finished) or spoil, and a reason", r->base.e->card_serial,
			o->message);
		return;
	}
	rk_crash_point("issue.printed");
	issued(r, NULL);
}

static void print_card(struct issue_run *r)
{
	struct rk_options opts = { 0 };
	void *front = malloc(r->card->front_size), *back = malloc(r->card->back_size);

	if (!front || !back) {
		free(front);
		free(back);
		fail(r, RK_DBUS_ERROR_FAILED, "Out of memory");
		return;
	}
	memcpy(front, r->card->front, r->card->front_size);
	memcpy(back, r->card->back, r->card->back_size);
	if (rk_options_add_bytes(&opts, "front", front, r->card->front_size) < 0 ||
			rk_options_add_bytes(&opts, "back", back, r->card->back_size) < 0) {
		rk_options_clear(&opts);
		fail(r, RK_DBUS_ERROR_FAILED, "Out of memory");
		return;
	}
	rk_pipeline_progress(r->base.d, r->base.e, "print", 0.75, "printing card %s",
		r->base.e->card_serial);
	run_job(r, "printer", "print", &opts, PRINTER_TIMEOUT_MS, printed);
}

static void encoded(const struct rk_device_outcome *o, void *data)
{
	struct issue_run *r = data;
	const struct rk_option *uid = rk_options_find(o->results, "ChipUid");
	const struct rk_option *verified = rk_options_find(o->results, "Verified");

	r->base.dev = NULL;
	if (o->err) {
		reject(r, "the chip could not be written: %s", o->message);
		return;
	}
	if (!verified || verified->type != DBUS_TYPE_BOOLEAN || !verified->v.b) {
		reject(r, "the chip was written but not verified");
		return;
	}
	rk_crash_point("issue.encoded");
	if (!save_work(r, &(struct rk_enrollment_work){ .issue_phase = "print",
			.chip_uid = uid && uid->type == DBUS_TYPE_STRING ? uid->v.s : "" }))
		return;
	print_card(r);
}

static void encode(struct issue_run *r)
{
	struct rk_options opts = { 0 };
	void *blob = malloc(r->card->blob_size);

	if (!blob) {
		fail(r, RK_DBUS_ERROR_FAILED, "Out of memory");
		return;
	}
	memcpy(blob, r->card->blob, r->card->blob_size);
	/* the staged card reaches the reader a moment later */
	if (rk_options_add_bytes(&opts, "blob", blob, r->card->blob_size) < 0 ||
			rk_options_add_int(&opts, "card-wait", CARD_WAIT_MS) < 0) {
		rk_options_clear(&opts);
		fail(r, RK_DBUS_ERROR_FAILED, "Out of memory");
		return;
	}
	if (!save_work(r, &(struct rk_enrollment_work){ .issue_phase = "encode" })) {
		rk_options_clear(&opts);
		return;
	}
	rk_pipeline_progress(r->base.d, r->base.e, "encode", 0.5, "writing the chip of card %s",
		r->base.e->card_serial);
	run_job(r, "cardreader", "personalize", &opts, ENCODE_TIMEOUT_MS, encoded);
}

static void staged(const struct rk_device_outcome *o, void *data)
{
	struct issue_run *r = data;

	r->base.dev = NULL;
	if (o->err) {
		/* Refused before a card left the hopper: the card stays blank. */
		bool empty = strstr(o->message, "empty") || strstr(o->message, "hopper");

		if (!save_work(r, &(struct rk_enrollment_work){ .card_serial = "",
				.issue_phase = "" }))
			return;
		fail(r, empty ? RK_DBUS_ERROR_NO_BLANK_CARDS : RK_DBUS_ERROR_DEVICE,
			"The printer could not stage a card: %s", o->message);
		return;
	}
	rk_crash_point("issue.staged");
	encode(r);
}

static void take_card(struct issue_run *r)
{
	char serial[RK_CARD_SERIAL_MAX + 1];
	struct rk_options opts = { 0 };
	int err;

	/* no intent for a card the station could not even stage (stopping, unplugged) */
	if (!device(r, "printer") || !device(r, "cardreader")) {
		fail(r, RK_DBUS_ERROR_ABSENT, "The station has no %s now",
			device(r, "printer") ? "card reader" : "printer");
		return;
	}
	err = rk_inventory_take_blank(r->base.d->store, serial);
	if (err == -ENOENT) {
		fail(r, RK_DBUS_ERROR_NO_BLANK_CARDS, "No blank card is left in the inventory; "
			"register a batch (rekamctl cards add)");
		return;
	}
	if (err) {
		fail(r, RK_DBUS_ERROR_FAILED, "The card inventory cannot be read");
		return;
	}
	/* The intent first: this card, about to be staged. */
	if (!save_work(r, &(struct rk_enrollment_work){ .card_serial = serial,
			.issue_phase = "stage", .chip_uid = "" }))
		return;
	r->cards++;
	rk_pipeline_progress(r->base.d, r->base.e, "stage", 0.25, "card %s to the encoder",
		serial);
	run_job(r, "printer", "stage", &opts, PRINTER_TIMEOUT_MS, staged);
}

static void card_work(void *data)
{
	struct issue_run *r = data;

	rk_card_job_work(r->card);
}

static void card_done(void *data)
{
	struct issue_run *r = data;

	if (!r->card->ran) {
		fail(r, RK_DBUS_ERROR_CANCELLED, "rekamd is stopping");
		return;
	}
	if (r->card->err) {
		fail(r, RK_DBUS_ERROR_FAILED, "The card cannot be made: %s", r->card->why);
		return;
	}
	if (r->spoil_first) {
		struct rk_options opts = { 0 };

		r->spoil_first = false;
		run_job(r, "printer", "reject", &opts, PRINTER_TIMEOUT_MS, rejected);
		return;
	}
	take_card(r);
}

/* --- Issue (step 8) -------------------------------------------------------- */

struct decision {
	char decision[16];
	char reason[MAX_REASON + 1];
};

static DBusMessage *decision_option(DBusMessage *msg, const char *key, const char *text,
		void *data)
{
	struct decision *dec = data;
	size_t len = strlen(text);

	if (strcmp(key, "decision") == 0) {
		if (strcmp(text, "spoil") != 0 && strcmp(text, "issued") != 0)
			return rk_dbus_error(msg, RK_DBUS_ERROR_INVALID_ARGUMENTS,
				"Option decision must be spoil or issued");
		snprintf(dec->decision, sizeof(dec->decision), "%s", text);
		return NULL;
	}
	if (strcmp(key, "reason") != 0)
		return rk_dbus_error(msg, RK_DBUS_ERROR_INVALID_ARGUMENTS,
			"Unknown option '%.40s' (known: decision, reason)", key);
	if (!len || len > MAX_REASON)
		return rk_dbus_error(msg, RK_DBUS_ERROR_INVALID_ARGUMENTS,
			"Option reason must be 1 to %d bytes", MAX_REASON);
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)text[i] < 0x20)
			return rk_dbus_error(msg, RK_DBUS_ERROR_INVALID_ARGUMENTS,
				"Option reason must not contain control characters");
	snprintf(dec->reason, sizeof(dec->reason), "%s", text);
	return NULL;
}

static DBusMessage *parse_decision(DBusMessage *msg, struct decision *dec)
{
	DBusMessageIter iter;
	DBusMessage *error;

	memset(dec, 0, sizeof(*dec));
	dbus_message_iter_init(msg, &iter);
	error = rk_pipeline_string_dict(msg, &iter, "Option", decision_option, dec);
	if (!error && dec->decision[0] && !dec->reason[0])
		error = rk_dbus_error(msg, RK_DBUS_ERROR_INVALID_ARGUMENTS,
			"A decision needs a reason: what the operator saw");
	return error;
}

static DBusMessage *issue_authorized(struct rk_daemon *d, DBusMessage *msg, unsigned int roles,
		uid_t uid, void *data)
{
	struct rk_enrollment *e = rk_pipeline_enrollment_of(d, msg);
	char serial[RK_CARD_SERIAL_MAX + 1];
	struct decision dec;
	const char *decision = dec.decision, *reason = dec.reason;
	struct issue_run *r;
	DBusMessage *error;

	(void)data;
	if (!e)
		return rk_dbus_error(msg, RK_DBUS_ERROR_NOT_FOUND, "No such enrollment");
	if (e->state != RK_ENR_PRINTING)
		return rk_pipeline_wrong_state(msg, e, "printing");
	if (e->run)
		return rk_pipeline_busy(msg, e);
	error = parse_decision(msg, &dec);
	if (error)
		return error;
	if (e->issue_phase[0] && !decision[0])
		return rk_dbus_error(msg, RK_DBUS_ERROR_NEEDS_DECISION, "The issuance of card %s was "
			"interrupted (%s); look at the printer and Issue again with the decision "
			"spoil (the card is bad or missing) or issued (it came out finished), and "
			"a reason", e->card_serial, e->issue_phase);
	if (!e->issue_phase[0] && decision[0])
		return rk_dbus_error(msg, RK_DBUS_ERROR_INVALID_ARGUMENTS, "No issuance of "
			"enrollment %" PRId64 " was interrupted: there is nothing to decide", e->id);
	if (strcmp(decision, "issued") == 0 && strcmp(e->issue_phase, "print") != 0)
		return rk_dbus_error(msg, RK_DBUS_ERROR_INVALID_ARGUMENTS, "Card %s was not being "
			"printed (%s): it cannot have come out finished; decide spoil",
			e->card_serial, e->issue_phase);
	if (!e->issue_phase[0] && rk_inventory_take_blank(d->store, serial) == -ENOENT)
		return rk_dbus_error(msg, RK_DBUS_ERROR_NO_BLANK_CARDS, "No blank card is left in "
			"the inventory; register a batch (rekamctl cards add)");
	r = calloc(1, sizeof(*r));
	if (!r || !(r->card = calloc(1, sizeof(*r->card)))) {
		free(r);
		return NULL;
	}
	rk_run_init(&r->base, RK_RUN_ISSUE, d, e, msg, rk_roles_first(roles), uid);
	e->interrupted = false;
	if (strcmp(decision, "issued") == 0) {
		char note[MAX_REASON + 80];

		snprintf(note, sizeof(note), "interrupted while printing; the operator has the "
			"finished card: %s", reason);
		audit_card(r, "card.decision", note);
		issued(r, note);
		return NULL;
	}
	if (rk_card_job_prepare(r->card, d, e) < 0) {
		fail(r, RK_DBUS_ERROR_WRONG_STATE, "The recorded portrait, signature or slaps of "
			"enrollment %" PRId64 " cannot be found", e->id);
		return NULL;
	}
	if (decision[0]) {
		/* spoil: the interrupted card goes to the reject tray, counted spoiled */
		snprintf(r->spoil_reason, sizeof(r->spoil_reason), "interrupted at %s; operator's "
			"decision: %s", e->issue_phase, reason);
		audit_card(r, "card.decision", r->spoil_reason);
		r->spoil_first = true;
	}
	if (rk_worker_submit(d->workers, card_work, card_done, r) < 0)
		fail(r, RK_DBUS_ERROR_FAILED, "Out of memory");
	return NULL;
}

DBusMessage *rk_pipeline_issue(DBusConnection *conn, DBusMessage *msg, void *data)
{
	struct rk_enrollment *e = data;

	(void)conn;
	return rk_roles_authorize(rk_enrollments_data(e->set), msg, RK_ROLE_BIT(RK_ROLE_OPERATOR),
		issue_authorized, NULL);
}

void rk_pipeline_issue_resume(struct rk_daemon *d)
{
	for (size_t i = 0; d->enrollments && i < rk_enrollments_count(d->enrollments); i++) {
		struct rk_enrollment *e = rk_enrollments_at(d->enrollments, i);

		if (e->state != RK_ENR_PRINTING || !e->issue_phase[0])
			continue;
		e->interrupted = true;
		rk_warn("enrollment %" PRId64 ": the issuance of card %s was interrupted (%s); "
			"Issue needs the operator's decision", e->id, e->card_serial, e->issue_phase);
	}
}
