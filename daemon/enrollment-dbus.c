// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * rekam - KTP-el recording station daemon
 *
 * enrollment-dbus.c - enrollments on the bus: the manager's Submit (step 1)
 * and one object per enrollment, /id/rekam/Station1/enrollments/<id>, with
 * id.rekam.Station1.Enrollment (dbus/id.rekam.Station1.Enrollment.xml):
 * the applicant's data, state, checklist and step times as properties, and
 * the SOP steps 2-4 and Return as methods. Each method first learns the
 * caller's roles (roles.c), then checks the state, then makes one
 * transition (enrollment.c); a refused call changes nothing.
 */
#include <config.h>

#include <errno.h>
#include <inttypes.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "daemon/audit.h"
#include "daemon/biometrics.h"
#include "daemon/central.h"
#include "daemon/config.h"
#include "daemon/daemon.h"
#include "daemon/dbus-error.h"
#include "daemon/dbus-object.h"
#include "daemon/enrollment.h"
#include "daemon/log.h"
#include "daemon/manager.h"
#include "daemon/pipeline-card.h"
#include "daemon/pipeline.h"
#include "daemon/uploader.h"

#define MAX_REASON 200 /* bytes of a return reason */

static struct rk_daemon *daemon_of(struct rk_enrollment *e)
{
	return rk_enrollments_data(e->set);
}

static void today(int *y, int *m, int *d, int *minute)
{
	time_t now = time(NULL);
	struct tm tm;

	localtime_r(&now, &tm);
	*y = tm.tm_year + 1900;
	*m = tm.tm_mon + 1;
	*d = tm.tm_mday;
	if (minute)
		*minute = tm.tm_hour * 60 + tm.tm_min;
}

/* --- properties ------------------------------------------------------------ */

static bool append_string(DBusMessageIter *iter, const char *s)
{
	return dbus_message_iter_append_basic(iter, DBUS_TYPE_STRING, &s);
}

#define APPLICANT_GETTER(fn, key)                                                                  \
	static bool fn(DBusMessageIter *iter, void *data)                                          \
	{                                                                                          \
		struct rk_enrollment *e = data;                                                    \
		return append_string(iter, rk_applicant_get(&e->applicant, key));                 \
	}

APPLICANT_GETTER(get_nik, "Nik")
APPLICANT_GETTER(get_name, "Name")
APPLICANT_GETTER(get_sex, "Sex")
APPLICANT_GETTER(get_birth_place, "BirthPlace")
APPLICANT_GETTER(get_birth_date, "BirthDate")
APPLICANT_GETTER(get_blood_type, "BloodType")
APPLICANT_GETTER(get_religion, "Religion")
APPLICANT_GETTER(get_marital_status, "MaritalStatus")
APPLICANT_GETTER(get_occupation, "Occupation")
APPLICANT_GETTER(get_address, "Address")
APPLICANT_GETTER(get_rt, "Rt")
APPLICANT_GETTER(get_rw, "Rw")
APPLICANT_GETTER(get_village, "Village")
APPLICANT_GETTER(get_district, "District")
APPLICANT_GETTER(get_citizenship, "Citizenship")

static bool get_id(DBusMessageIter *iter, void *data)
{
	struct rk_enrollment *e = data;
	dbus_uint64_t id = (dbus_uint64_t)e->id;

	return dbus_message_iter_append_basic(iter, DBUS_TYPE_UINT64, &id);
}

static bool get_state(DBusMessageIter *iter, void *data)
{
	struct rk_enrollment *e = data;

	return append_string(iter, rk_enrollment_state_name(e->state));
}

static bool get_step(DBusMessageIter *iter, void *data)
{
	struct rk_enrollment *e = data;
	dbus_uint32_t step = e->n_steps ? e->steps[e->n_steps - 1].step : 0;

	return dbus_message_iter_append_basic(iter, DBUS_TYPE_UINT32, &step);
}

static bool get_return_reason(DBusMessageIter *iter, void *data)
{
	struct rk_enrollment *e = data;

	return append_string(iter, e->return_reason);
}

static bool get_created(DBusMessageIter *iter, void *data)
{
	struct rk_enrollment *e = data;
	dbus_int64_t at = e->n_steps ? e->steps[0].at_ms : 0;

	return dbus_message_iter_append_basic(iter, DBUS_TYPE_INT64, &at);
}

static bool get_checklist(DBusMessageIter *iter, void *data)
{
	struct rk_enrollment *e = data;
	DBusMessageIter dict, entry;
	bool ok = dbus_message_iter_open_container(iter, DBUS_TYPE_ARRAY, "{sb}", &dict);

	for (int i = 0; ok && e->checked && i < RK_CHECK_N_ITEMS; i++) {
		const char *name = rk_checklist_item_name((enum rk_checklist_item)i);
		dbus_bool_t have = (e->checklist & (1u << i)) != 0;

		ok = dbus_message_iter_open_container(&dict, DBUS_TYPE_DICT_ENTRY, NULL, &entry) &&
			dbus_message_iter_append_basic(&entry, DBUS_TYPE_STRING, &name) &&
			dbus_message_iter_append_basic(&entry, DBUS_TYPE_BOOLEAN, &have) &&
			dbus_message_iter_close_container(&dict, &entry);
	}
	return ok && dbus_message_iter_close_container(iter, &dict);
}

static bool get_required_items(DBusMessageIter *iter, void *data)
{
	struct rk_enrollment *e = data;
	DBusMessageIter array;
	unsigned int items;
	int y, m, d;
	bool ok;

	today(&y, &m, &d, NULL);
	items = rk_enrollment_required_items(e, y, m, d);
	ok = dbus_message_iter_open_container(iter, DBUS_TYPE_ARRAY, "s", &array);
	for (int i = 0; ok && i < RK_CHECK_N_ITEMS; i++) {
		const char *name = rk_checklist_item_name((enum rk_checklist_item)i);

		if (items & (1u << i))
			ok = dbus_message_iter_append_basic(&array, DBUS_TYPE_STRING, &name);
	}
	return ok && dbus_message_iter_close_container(iter, &array);
}

/* a(ussuxtb): step, state, role, uid, at (ms since the epoch), duration (ms), overran */
static bool get_step_times(DBusMessageIter *iter, void *data)
{
	struct rk_enrollment *e = data;
	DBusMessageIter array, st;
	bool ok = dbus_message_iter_open_container(iter, DBUS_TYPE_ARRAY, "(ussuxtb)", &array);

	for (size_t i = 0; ok && i < e->n_steps; i++) {
		const struct rk_step_record *r = &e->steps[i];
		const char *state = rk_enrollment_state_name(r->state);
		const char *role = rk_role_name(r->role);
		dbus_uint32_t step = r->step, uid = (dbus_uint32_t)r->uid;
		dbus_int64_t at = r->at_ms;
		dbus_uint64_t duration = (dbus_uint64_t)r->duration_ms;
		dbus_bool_t overran = r->duration_ms > rk_sop_standard_ms(r->step);

		ok = dbus_message_iter_open_container(&array, DBUS_TYPE_STRUCT, NULL, &st) &&
			dbus_message_iter_append_basic(&st, DBUS_TYPE_UINT32, &step) &&
			dbus_message_iter_append_basic(&st, DBUS_TYPE_STRING, &state) &&
			dbus_message_iter_append_basic(&st, DBUS_TYPE_STRING, &role) &&
			dbus_message_iter_append_basic(&st, DBUS_TYPE_UINT32, &uid) &&
			dbus_message_iter_append_basic(&st, DBUS_TYPE_INT64, &at) &&
			dbus_message_iter_append_basic(&st, DBUS_TYPE_UINT64, &duration) &&
			dbus_message_iter_append_basic(&st, DBUS_TYPE_BOOLEAN, &overran) &&
			dbus_message_iter_close_container(&array, &st);
	}
	return ok && dbus_message_iter_close_container(iter, &array);
}

static bool get_overruns(DBusMessageIter *iter, void *data)
{
	struct rk_enrollment *e = data;
	unsigned int bits = rk_enrollment_overruns(e);
	DBusMessageIter array;
	bool ok = dbus_message_iter_open_container(iter, DBUS_TYPE_ARRAY, "u", &array);

	for (dbus_uint32_t step = 1; ok && step <= RK_SOP_STEPS; step++)
		if (bits & (1u << step))
			ok = dbus_message_iter_append_basic(&array, DBUS_TYPE_UINT32, &step);
	return ok && dbus_message_iter_close_container(iter, &array);
}

/* --- steps 5-10 ------------------------------------------------------------ */

static bool get_record_items(DBusMessageIter *iter, void *data)
{
	const char *const *items = rk_record_items(data);
	DBusMessageIter array;
	bool ok = dbus_message_iter_open_container(iter, DBUS_TYPE_ARRAY, "s", &array);

	for (size_t i = 0; ok && items[i]; i++)
		ok = dbus_message_iter_append_basic(&array, DBUS_TYPE_STRING, &items[i]);
	return ok && dbus_message_iter_close_container(iter, &array);
}

static bool get_captures(DBusMessageIter *iter, void *data)
{
	struct rk_enrollment *e = data;
	DBusMessageIter array, entry;
	bool ok = dbus_message_iter_open_container(iter, DBUS_TYPE_ARRAY, "(sss)", &array);

	for (size_t i = 0; ok && i < e->n_captures; i++)
		ok = dbus_message_iter_open_container(&array, DBUS_TYPE_STRUCT, NULL, &entry) &&
			dbus_message_iter_append_basic(&entry, DBUS_TYPE_STRING,
				&e->captures[i].item) &&
			dbus_message_iter_append_basic(&entry, DBUS_TYPE_STRING,
				&e->captures[i].kind) &&
			dbus_message_iter_append_basic(&entry, DBUS_TYPE_STRING,
				&e->captures[i].handle) &&
			dbus_message_iter_close_container(&array, &entry);
	return ok && dbus_message_iter_close_container(iter, &array);
}

#define WORK_GETTER(fn, field) \
	static bool fn(DBusMessageIter *iter, void *data) \
	{ \
		struct rk_enrollment *e = data; \
		return append_string(iter, e->field); \
	}

WORK_GETTER(get_packet_id, packet_id)
WORK_GETTER(get_remote_status, remote_status)
WORK_GETTER(get_card_serial, card_serial)
WORK_GETTER(get_chip_uid, chip_uid)
WORK_GETTER(get_issue_phase, issue_phase)

static bool get_cards_spoiled(DBusMessageIter *iter, void *data)
{
	struct rk_enrollment *e = data;
	dbus_uint32_t n = e->spoiled;

	return dbus_message_iter_append_basic(iter, DBUS_TYPE_UINT32, &n);
}

static bool get_needs_decision(DBusMessageIter *iter, void *data)
{
	struct rk_enrollment *e = data;
	dbus_bool_t b = e->state == RK_ENR_PRINTING && e->issue_phase[0] && !e->run;

	return dbus_message_iter_append_basic(iter, DBUS_TYPE_BOOLEAN, &b);
}

static bool get_biometrics_destroyed(DBusMessageIter *iter, void *data)
{
	struct rk_enrollment *e = data;
	dbus_int64_t at = e->biometrics_destroyed;

	return dbus_message_iter_append_basic(iter, DBUS_TYPE_INT64, &at);
}

static bool get_issuance_report(DBusMessageIter *iter, void *data)
{
	struct rk_enrollment *e = data;
	struct rk_daemon *d = rk_enrollments_data(e->set);
	char state[16] = "";
	const char *s = state;

	if (rk_issuance_state(d->store, e->id, state, sizeof(state)) < 0)
		state[0] = '\0';
	return dbus_message_iter_append_basic(iter, DBUS_TYPE_STRING, &s);
}

/* --- method helpers -------------------------------------------------------- */

static DBusMessage *no_enrollment(DBusMessage *msg)
{
	return dbus_message_new_error_printf(msg, DBUS_ERROR_UNKNOWN_OBJECT, "No object at %s",
		dbus_message_get_path(msg));
}

static DBusMessage *store_failed(DBusMessage *msg, int err)
{
	return rk_dbus_error(msg, RK_DBUS_ERROR_FAILED, "The station database cannot be "
		"written (%s); nothing changed", strerror(-err));
}

static DBusMessage *done(DBusMessage *msg, int err)
{
	return err < 0 ? store_failed(msg, err) : dbus_message_new_method_return(msg);
}

/* A reason a person wrote: 1 to MAX_REASON bytes of valid UTF-8 without control characters. */
static DBusMessage *check_reason(DBusMessage *msg, const char *reason)
{
	size_t len = strlen(reason);

	if (len == 0 || len > MAX_REASON)
		return rk_dbus_error(msg, RK_DBUS_ERROR_INVALID_ARGUMENTS,
			"A reason of 1 to %d bytes is needed", MAX_REASON);
	for (const char *c = reason; *c; c++)
		if ((unsigned char)*c < ' ' || *c == 0x7f)
			return rk_dbus_error(msg, RK_DBUS_ERROR_INVALID_ARGUMENTS,
				"The reason cannot hold control characters");
	return NULL;
}

/* --- Receive (step 2) ------------------------------------------------------ */

static DBusMessage *parse_checklist(DBusMessage *msg, unsigned int *items)
{
	DBusMessageIter iter, dict, entry, value;

	*items = 0;
	dbus_message_iter_init(msg, &iter);
	dbus_message_iter_recurse(&iter, &dict);
	for (; dbus_message_iter_get_arg_type(&dict) == DBUS_TYPE_DICT_ENTRY;
			dbus_message_iter_next(&dict)) {
		const char *key;
		dbus_bool_t have;
		int item;

		dbus_message_iter_recurse(&dict, &entry);
		dbus_message_iter_get_basic(&entry, &key);
		dbus_message_iter_next(&entry);
		dbus_message_iter_recurse(&entry, &value);
		item = rk_checklist_item_from_name(key);
		if (item < 0)
			return rk_dbus_error(msg, RK_DBUS_ERROR_INVALID_ARGUMENTS,
				"Unknown checklist item '%.40s' (known: f102, family-card, "
				"marriage-certificate, diploma)", key);
		if (dbus_message_iter_get_arg_type(&value) != DBUS_TYPE_BOOLEAN)
			return rk_dbus_error(msg, RK_DBUS_ERROR_INVALID_ARGUMENTS,
				"Checklist item %s must be a boolean", key);
		dbus_message_iter_get_basic(&value, &have);
		if (have)
			*items |= 1u << item;
	}
	return NULL;
}

static DBusMessage *receive_authorized(struct rk_daemon *d, DBusMessage *msg, unsigned int roles,
		uid_t uid, void *data)
{
	struct rk_enrollment *e = rk_pipeline_enrollment_of(d, msg);
	char why[256];
	unsigned int items;
	DBusMessage *error;
	int y, m, day;

	if (!e)
		return no_enrollment(msg);
	if (e->state != RK_ENR_SUBMITTED)
		return rk_pipeline_wrong_state(msg, e, "submitted");
	error = parse_checklist(msg, &items);
	if (error)
		return error;
	today(&y, &m, &day, NULL);
	return done(msg, rk_enrollment_receive(e, items, y, m, day, rk_roles_first(roles), uid, why,
		sizeof(why)));
}

static DBusMessage *receive(DBusConnection *conn, DBusMessage *msg, void *data)
{
	struct rk_enrollment *e = data;

	return rk_roles_authorize(daemon_of(e), msg, RK_ROLE_BIT(RK_ROLE_FRONT_OFFICE),
		receive_authorized, NULL);
}

/* --- Verify (step 3) ------------------------------------------------------- */

static DBusMessage *verify_authorized(struct rk_daemon *d, DBusMessage *msg, unsigned int roles,
		uid_t uid, void *data)
{
	struct rk_enrollment *e = rk_pipeline_enrollment_of(d, msg);
	enum rk_role role = rk_roles_first(roles);
	dbus_bool_t approve;
	const char *reason;
	DBusMessage *error;

	if (!e)
		return no_enrollment(msg);
	if (e->state != RK_ENR_RECEIVED)
		return rk_pipeline_wrong_state(msg, e, "received");
	dbus_message_get_args(msg, NULL, DBUS_TYPE_BOOLEAN, &approve, DBUS_TYPE_STRING, &reason,
		DBUS_TYPE_INVALID);
	if (approve)
		return done(msg, rk_enrollment_transition(e, RK_ENR_VERIFIED, 3, role, uid, NULL));
	error = check_reason(msg, reason);
	if (error)
		return error;
	return done(msg, rk_enrollment_transition(e, RK_ENR_RETURNED, 3, role, uid, reason));
}

static DBusMessage *verify(DBusConnection *conn, DBusMessage *msg, void *data)
{
	struct rk_enrollment *e = data;

	return rk_roles_authorize(daemon_of(e), msg, RK_ROLE_BIT(RK_ROLE_VERIFIER),
		verify_authorized, NULL);
}

/* --- Forward (step 4) ------------------------------------------------------ */

/* An enrollment of the same NIK that got (or is getting) its card. */
static struct rk_enrollment *issued_before(struct rk_daemon *d, struct rk_enrollment *e)
{
	for (size_t i = 0; i < rk_enrollments_count(d->enrollments); i++) {
		struct rk_enrollment *o = rk_enrollments_at(d->enrollments, i);

		if (o != e && strcmp(o->applicant.nik, e->applicant.nik) == 0 &&
				(o->state == RK_ENR_ISSUED || o->state == RK_ENR_AT_HANDOVER ||
					o->state == RK_ENR_COLLECTED))
			return o;
	}
	return NULL;
}

static DBusMessage *forward_authorized(struct rk_daemon *d, DBusMessage *msg, unsigned int roles,
		uid_t uid, void *data)
{
	struct rk_enrollment *e = rk_pipeline_enrollment_of(d, msg), *dup;
	enum rk_role role = rk_roles_first(roles);
	char why[RK_WHY_SIZE], reason[RK_WHY_SIZE + 32];
	int y, m, day;

	if (!e)
		return no_enrollment(msg);
	if (e->state != RK_ENR_VERIFIED)
		return rk_pipeline_wrong_state(msg, e, "verified");
	/* SOP step 4: invalid or duplicate data goes back to the applicant. */
	today(&y, &m, &day, NULL);
	if (rk_applicant_check(&e->applicant, y, m, day, why, sizeof(why)) < 0) {
		snprintf(reason, sizeof(reason), "invalid data: %s", why);
		return done(msg, rk_enrollment_transition(e, RK_ENR_RETURNED, 4, role, uid,
			reason));
	}
	dup = issued_before(d, e);
	if (dup) {
		snprintf(reason, sizeof(reason), "duplicate: NIK %s already has a card "
			"(enrollment %" PRId64 ", %s)", e->applicant.nik, dup->id,
			rk_enrollment_state_name(dup->state));
		return done(msg, rk_enrollment_transition(e, RK_ENR_RETURNED, 4, role, uid,
			reason));
	}
	return done(msg, rk_enrollment_transition(e, RK_ENR_FORWARDED, 4, role, uid, NULL));
}

static DBusMessage *forward(DBusConnection *conn, DBusMessage *msg, void *data)
{
	struct rk_enrollment *e = data;

	return rk_roles_authorize(daemon_of(e), msg, RK_ROLE_BIT(RK_ROLE_ANALYST),
		forward_authorized, NULL);
}

/* --- Return ---------------------------------------------------------------- */

/* Who may return an enrollment in each state: the role of the next step. */
static int return_role(enum rk_enrollment_state state)
{
	switch (state) {
	case RK_ENR_SUBMITTED:
		return RK_ROLE_FRONT_OFFICE;
	case RK_ENR_RECEIVED:
		return RK_ROLE_VERIFIER;
	case RK_ENR_VERIFIED:
		return RK_ROLE_ANALYST;
	case RK_ENR_FORWARDED:
		return RK_ROLE_OPERATOR;
	default:
		return -1;
	}
}

static DBusMessage *return_authorized(struct rk_daemon *d, DBusMessage *msg, unsigned int roles,
		uid_t uid, void *data)
{
	struct rk_enrollment *e = rk_pipeline_enrollment_of(d, msg);
	unsigned int allowed;
	const char *reason;
	DBusMessage *error;
	int role;

	if (!e)
		return no_enrollment(msg);
	if (e->run)
		return rk_pipeline_busy(msg, e);
	role = return_role(e->state);
	if (role < 0)
		return rk_pipeline_wrong_state(msg, e, "submitted, received, verified or forwarded");
	allowed = roles & (RK_ROLE_BIT(role) | RK_ROLE_BIT(RK_ROLE_SUPERVISOR));
	if (!allowed)
		return rk_dbus_error(msg, RK_DBUS_ERROR_ACCESS_DENIED,
			"Returning a %s enrollment needs the role %s or supervisor",
			rk_enrollment_state_name(e->state), rk_role_name((enum rk_role)role));
	dbus_message_get_args(msg, NULL, DBUS_TYPE_STRING, &reason, DBUS_TYPE_INVALID);
	error = check_reason(msg, reason);
	if (error)
		return error;
	return done(msg, rk_enrollment_transition(e, RK_ENR_RETURNED,
		rk_enrollment_state_step(e->state) + 1, rk_roles_first(allowed), uid, reason));
}

static DBusMessage *do_return(DBusConnection *conn, DBusMessage *msg, void *data)
{
	struct rk_enrollment *e = data;

	return rk_roles_authorize(daemon_of(e), msg, RK_ROLE_BIT(RK_ROLE_FRONT_OFFICE) |
		RK_ROLE_BIT(RK_ROLE_VERIFIER) | RK_ROLE_BIT(RK_ROLE_ANALYST) |
		RK_ROLE_BIT(RK_ROLE_OPERATOR), return_authorized, NULL);
}

/* --- ResendIssuanceReport (step 8, the supervisor) ------------------------------ */

/* The central server refused the report of the issued card for good: once
 * the central office has put right what made it refuse, the supervisor has
 * it sent again, as a new report (attempts and error cleared). */
static DBusMessage *resend_report_authorized(struct rk_daemon *d, DBusMessage *msg,
		unsigned int roles, uid_t uid, void *data)
{
	struct rk_enrollment *e = rk_pipeline_enrollment_of(d, msg);
	char state[16] = "", actor[160], id[24];
	int err;

	(void)roles;
	if (!e)
		return no_enrollment(msg);
	err = rk_issuance_requeue(d->store, e->id);
	if (err == -ENOENT)
		return rk_dbus_error(msg, RK_DBUS_ERROR_WRONG_STATE, "Enrollment %" PRId64 " has "
			"no issuance report: no card was issued for it", e->id);
	if (err == -EALREADY) {
		rk_issuance_state(d->store, e->id, state, sizeof(state));
		return rk_dbus_error(msg, RK_DBUS_ERROR_WRONG_STATE, "The issuance report of "
			"enrollment %" PRId64 " is %s, not refused: there is nothing to resend",
			e->id, state);
	}
	if (err < 0)
		return store_failed(msg, err);
	rk_roles_actor(uid, actor, sizeof(actor));
	snprintf(id, sizeof(id), "%" PRId64, e->id);
	rk_audit_append(d->store, &(struct rk_audit_entry){ .actor = actor,
		.role = rk_role_name(RK_ROLE_SUPERVISOR), .action = "issuance.resend",
		.enrollment = id, .nik = e->applicant.nik, .result = "ok",
		.detail = "the refused issuance report is queued again" });
	rk_info("enrollment %" PRId64 ": its refused issuance report is queued again by %s",
		e->id, actor);
	rk_pipeline_work_changed(d, e);
	rk_uploader_kick(d->central ? d->central->uploader : NULL);
	return dbus_message_new_method_return(msg);
}

static DBusMessage *resend_report(DBusConnection *conn, DBusMessage *msg, void *data)
{
	struct rk_enrollment *e = data;

	return rk_roles_authorize(daemon_of(e), msg, RK_ROLE_BIT(RK_ROLE_SUPERVISOR),
		resend_report_authorized, NULL);
}

/* --- the interface --------------------------------------------------------- */

static const struct rk_dbus_method enrollment_methods[] = {
	{ "Receive", RK_DBUS_ARGS({ "checklist", "a{sv}" }), RK_DBUS_NO_ARGS, receive,
		RK_DBUS_CHECKS_ITSELF },
	{ "Verify", RK_DBUS_ARGS({ "approve", "b" }, { "reason", "s" }), RK_DBUS_NO_ARGS, verify,
		RK_DBUS_CHECKS_ITSELF },
	{ "Forward", RK_DBUS_NO_ARGS, RK_DBUS_NO_ARGS, forward, RK_DBUS_CHECKS_ITSELF },
	{ "Return", RK_DBUS_ARGS({ "reason", "s" }), RK_DBUS_NO_ARGS, do_return,
		RK_DBUS_CHECKS_ITSELF },
	{ "Record", RK_DBUS_ARGS({ "options", "a{sv}" }), RK_DBUS_NO_ARGS, rk_pipeline_record,
		RK_DBUS_CHECKS_ITSELF },
	{ "Capture", RK_DBUS_ARGS({ "item", "s" }, { "options", "a{sv}" }),
		RK_DBUS_ARGS({ "artifacts", "as" }), rk_pipeline_capture, RK_DBUS_CHECKS_ITSELF },
	{ "Upload", RK_DBUS_NO_ARGS, RK_DBUS_ARGS({ "packet", "s" }), rk_pipeline_upload,
		RK_DBUS_CHECKS_ITSELF },
	{ "OpenPrint", RK_DBUS_ARGS({ "nik", "s" }), RK_DBUS_NO_ARGS, rk_pipeline_open_print,
		RK_DBUS_CHECKS_ITSELF },
	{ "Issue", RK_DBUS_ARGS({ "options", "a{sv}" }),
		RK_DBUS_ARGS({ "card_serial", "s" }, { "chip_uid", "s" }), rk_pipeline_issue,
		RK_DBUS_CHECKS_ITSELF },
	{ "HandOver", RK_DBUS_NO_ARGS, RK_DBUS_ARGS({ "token", "s" }), rk_pipeline_hand_over,
		RK_DBUS_CHECKS_ITSELF },
	{ "Collect", RK_DBUS_ARGS({ "token", "s" }), RK_DBUS_NO_ARGS, rk_pipeline_collect,
		RK_DBUS_CHECKS_ITSELF },
	{ "PreviewCard", RK_DBUS_NO_ARGS, RK_DBUS_ARGS({ "front", "ay" }, { "back", "ay" }),
		rk_pipeline_preview_card, RK_DBUS_CHECKS_ITSELF },
	{ "ResendIssuanceReport", RK_DBUS_NO_ARGS, RK_DBUS_NO_ARGS, resend_report,
		RK_DBUS_CHECKS_ITSELF },
	{}
};

static const struct rk_dbus_signal enrollment_signals[] = {
	{ "StepChanged", RK_DBUS_ARGS({ "step", "u" }, { "state", "s" }, { "role", "s" }) },
	{ "Progress", RK_DBUS_ARGS({ "stage", "s" }, { "fraction", "d" }, { "message", "s" }) },
	{}
};

static const struct rk_dbus_property enrollment_properties[] = {
	{ "Id", "t", get_id, .flags = RK_DBUS_PROPERTY_CONST },
	{ "Nik", "s", get_nik, .flags = RK_DBUS_PROPERTY_CONST },
	{ "Name", "s", get_name, .flags = RK_DBUS_PROPERTY_CONST },
	{ "Sex", "s", get_sex, .flags = RK_DBUS_PROPERTY_CONST },
	{ "BirthPlace", "s", get_birth_place, .flags = RK_DBUS_PROPERTY_CONST },
	{ "BirthDate", "s", get_birth_date, .flags = RK_DBUS_PROPERTY_CONST },
	{ "BloodType", "s", get_blood_type, .flags = RK_DBUS_PROPERTY_CONST },
	{ "Religion", "s", get_religion, .flags = RK_DBUS_PROPERTY_CONST },
	{ "MaritalStatus", "s", get_marital_status, .flags = RK_DBUS_PROPERTY_CONST },
	{ "Occupation", "s", get_occupation, .flags = RK_DBUS_PROPERTY_CONST },
	{ "Address", "s", get_address, .flags = RK_DBUS_PROPERTY_CONST },
	{ "Rt", "s", get_rt, .flags = RK_DBUS_PROPERTY_CONST },
	{ "Rw", "s", get_rw, .flags = RK_DBUS_PROPERTY_CONST },
	{ "Village", "s", get_village, .flags = RK_DBUS_PROPERTY_CONST },
	{ "District", "s", get_district, .flags = RK_DBUS_PROPERTY_CONST },
	{ "Citizenship", "s", get_citizenship, .flags = RK_DBUS_PROPERTY_CONST },
	{ "Created", "x", get_created, .flags = RK_DBUS_PROPERTY_CONST },
	{ "State", "s", get_state },
	{ "Step", "u", get_step },
	{ "Checklist", "a{sb}", get_checklist },
	{ "RequiredItems", "as", get_required_items },
	{ "StepTimes", "a(ussuxtb)", get_step_times },
	{ "Overruns", "au", get_overruns },
	{ "ReturnReason", "s", get_return_reason },
	{ "RecordItems", "as", get_record_items },
	{ "Captures", "a(sss)", get_captures },
	{ "PacketId", "s", get_packet_id },
	{ "RemoteStatus", "s", get_remote_status },
	{ "CardSerial", "s", get_card_serial },
	{ "ChipUid", "s", get_chip_uid },
	{ "IssuePhase", "s", get_issue_phase },
	{ "CardsSpoiled", "u", get_cards_spoiled },
	{ "NeedsDecision", "b", get_needs_decision },
	{ "IssuanceReport", "s", get_issuance_report },
	{ "BiometricsDestroyed", "x", get_biometrics_destroyed },
	{}
};

static const char *const work_props[] = { "RecordItems", "Captures", "PacketId",
	"RemoteStatus", "CardSerial", "ChipUid", "IssuePhase", "CardsSpoiled", "NeedsDecision",
	"IssuanceReport", "BiometricsDestroyed" };

void rk_pipeline_work_changed(struct rk_daemon *d, struct rk_enrollment *e)
{
	if (!d->dbus)
		return;
	for (size_t i = 0; i < sizeof(work_props) / sizeof(work_props[0]); i++)
		rk_dbus_property_changed(d->dbus, e->path, RK_ENROLLMENT_INTERFACE, work_props[i]);
}

/* The applicant's personal data: for the desks that handle the application,
 * not for the technician (docs/SECURITY.md, "Reading properties"). */
static const struct rk_dbus_interface enrollment_interface = {
	.name = RK_ENROLLMENT_INTERFACE,
	.methods = enrollment_methods,
	.signals = enrollment_signals,
	.properties = enrollment_properties,
	.read_roles = RK_ROLE_BIT(RK_ROLE_FRONT_OFFICE) | RK_ROLE_BIT(RK_ROLE_VERIFIER) |
		RK_ROLE_BIT(RK_ROLE_ANALYST) | RK_ROLE_BIT(RK_ROLE_OPERATOR) |
		RK_ROLE_BIT(RK_ROLE_HANDOVER) | RK_ROLE_BIT(RK_ROLE_SUPERVISOR),
};

/* The audit trail's entry for the transition just committed. A failure is
 * logged: the transition has happened either way. */
static void audit_step(struct rk_daemon *d, struct rk_enrollment *e)
{
	const struct rk_step_record *r = &e->steps[e->n_steps - 1];
	char actor[160], action[48], id[24], detail[300];
	int err;

	rk_roles_actor(r->uid, actor, sizeof(actor));
	snprintf(action, sizeof(action), "enrollment.%s", rk_enrollment_state_name(r->state));
	snprintf(id, sizeof(id), "%" PRId64, e->id);
	snprintf(detail, sizeof(detail), "step %u%s%.256s", r->step, *r->note ? ": " : "",
		r->note);
	err = rk_audit_append(d->store, &(struct rk_audit_entry){
		.actor = actor,
		.role = rk_role_name(r->role),
		.action = action,
		.enrollment = id,
		.nik = e->applicant.nik,
		.result = "ok",
		.detail = detail,
	});
	if (err)
		rk_error("audit: cannot record %s of enrollment %s: %s", action, id,
			strerror(-err));
}

static void changed_cb(struct rk_enrollment *e, enum rk_enrollment_change what, void *data)
{
	static const char *const props[] = { "State", "Step", "Checklist", "StepTimes",
		"Overruns", "ReturnReason" };
	bool created = what == RK_ENR_CREATED;
	struct rk_daemon *d = data;
	const struct rk_step_record *r;
	const char *state, *role;
	dbus_uint32_t step;
	DBusMessage *sig;

	if (what == RK_ENR_WORK_CHANGED) {
		rk_pipeline_work_changed(d, e);
		return;
	}
	if (e->n_steps)
		audit_step(d, e);
	if (e->state == RK_ENR_COLLECTED && !created)
		rk_biometrics_check(d, e); /* when the issuance is confirmed already */
	if (!d->dbus)
		return;
	if (created) {
		if (rk_dbus_register(d->dbus, e->path, &enrollment_interface, e) < 0)
			rk_error("%s: cannot put the enrollment on the bus", e->path);
		return;
	}
	rk_pipeline_work_changed(d, e);
	for (size_t i = 0; i < sizeof(props) / sizeof(props[0]); i++)
		rk_dbus_property_changed(d->dbus, e->path, RK_ENROLLMENT_INTERFACE, props[i]);
	/* The new values first, then the signal, in one turn of the loop. */
	rk_dbus_flush(d->dbus);
	r = &e->steps[e->n_steps - 1];
	step = r->step;
	state = rk_enrollment_state_name(e->state);
	role = rk_role_name(r->role);
	sig = dbus_message_new_signal(e->path, RK_ENROLLMENT_INTERFACE, "StepChanged");
	if (sig && dbus_message_append_args(sig, DBUS_TYPE_UINT32, &step, DBUS_TYPE_STRING, &state,
			DBUS_TYPE_STRING, &role, DBUS_TYPE_INVALID))
		rk_dbus_emit(d->dbus, sig);
	else if (sig)
		dbus_message_unref(sig);
}

/* --- Submit (step 1, on the manager) --------------------------------------- */

static DBusMessage *applicant_field(DBusMessage *msg, const char *key, const char *value,
		void *data)
{
	char why[RK_WHY_SIZE];

	if (rk_applicant_set(data, key, value, why, sizeof(why)) < 0)
		return rk_dbus_error(msg, RK_DBUS_ERROR_INVALID_ARGUMENTS, "%s", why);
	return NULL;
}

static DBusMessage *parse_applicant(DBusMessage *msg, struct rk_applicant *a)
{
	DBusMessageIter iter;
	DBusMessage *error;

	memset(a, 0, sizeof(*a));
	dbus_message_iter_init(msg, &iter);
	error = rk_pipeline_string_dict(msg, &iter, "Applicant field", applicant_field, a);
	if (error)
		return error;
	if (!a->blood_type[0])
		strcpy(a->blood_type, "-");
	if (!a->citizenship[0])
		strcpy(a->citizenship, "WNI");
	return NULL;
}

static DBusMessage *submit_authorized(struct rk_daemon *d, DBusMessage *msg, unsigned int roles,
		uid_t uid, void *data)
{
	struct rk_enrollment *e, *active;
	struct rk_applicant a;
	char why[RK_WHY_SIZE], hours[12];
	DBusMessage *error, *reply;
	const char *path;
	int y, m, day, minute, err;

	if (!d->enrollments)
		return rk_dbus_error(msg, RK_DBUS_ERROR_NOT_READY, "Enrollments are not available");
	today(&y, &m, &day, &minute);
	if (minute < (int)d->config->office_open || minute > (int)d->config->office_close) {
		rk_config_format_office_hours(d->config, hours);
		return rk_dbus_error(msg, RK_DBUS_ERROR_OUTSIDE_OFFICE_HOURS,
			"Applications are accepted from %.5s to %.5s; it is %02d:%02d now", hours,
			hours + 6, minute / 60, minute % 60);
	}
	error = parse_applicant(msg, &a);
	if (error)
		return error;
	if (rk_applicant_check(&a, y, m, day, why, sizeof(why)) < 0)
		return rk_dbus_error(msg, RK_DBUS_ERROR_INVALID_ARGUMENTS, "%s", why);
	active = rk_enrollments_find_active(d->enrollments, a.nik);
	if (active)
		return rk_dbus_error(msg, RK_DBUS_ERROR_ALREADY_ENROLLED,
			"NIK %s already has an enrollment in progress: %" PRId64 " (%s)", a.nik,
			active->id, rk_enrollment_state_name(active->state));
	err = rk_enrollments_submit(d->enrollments, &a, rk_roles_first(roles), uid, &e);
	if (err == -EEXIST)
		return rk_dbus_error(msg, RK_DBUS_ERROR_ALREADY_ENROLLED,
			"NIK %s already has an enrollment in progress", a.nik);
	if (err < 0)
		return store_failed(msg, err);
	path = e->path;
	reply = dbus_message_new_method_return(msg);
	if (reply && !dbus_message_append_args(reply, DBUS_TYPE_OBJECT_PATH, &path,
			DBUS_TYPE_INVALID)) {
		dbus_message_unref(reply);
		reply = NULL;
	}
	return reply;
}

DBusMessage *rk_enrollment_submit_method(DBusConnection *conn, DBusMessage *msg, void *data)
{
	return rk_roles_authorize(data, msg, RK_ROLE_BIT(RK_ROLE_FRONT_OFFICE), submit_authorized,
		NULL);
}

/* --- life cycle ------------------------------------------------------------ */

int rk_pipeline_start(struct rk_daemon *d)
{
	d->enrollments = rk_enrollments_new(d->store, changed_cb, d);
	if (!d->enrollments)
		return -EIO;
	for (size_t i = 0; i < rk_enrollments_count(d->enrollments); i++) {
		struct rk_enrollment *e = rk_enrollments_at(d->enrollments, i);
		int err = rk_dbus_register(d->dbus, e->path, &enrollment_interface, e);

		if (err < 0)
			return err;
	}
	rk_pipeline_issue_resume(d);
	rk_biometrics_resume(d);
	return 0;
}

void rk_pipeline_stop(struct rk_daemon *d)
{
	rk_card_renderer_free();
	rk_enrollments_free(d->enrollments);
	d->enrollments = NULL;
}
