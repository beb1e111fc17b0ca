// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * rekam - KTP-el recording station daemon
 *
 * enrollment.c - the enrollment state machine and its storage (see
 * enrollment.h): loading every enrollment with its step records at start,
 * creating one (step 1), and transitions, each one transaction written
 * before memory changes. Who may call what, and when, is decided in
 * enrollment-dbus.c; this file only keeps the record straight.
 */
#include <config.h>

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "daemon/crash-point.h"
#include "daemon/enrollment.h"
#include "daemon/log.h"
#include "daemon/store.h"

struct rk_enrollments {
	struct rk_store *store;
	struct rk_enrollment **items; /* by id, ascending */
	size_t n, cap;
	rk_enrollment_changed_fn changed;
	void *data;
};

static const char *const state_names[RK_ENR_N_STATES] = {
	[RK_ENR_SUBMITTED] = "submitted",
	[RK_ENR_RECEIVED] = "received",
	[RK_ENR_VERIFIED] = "verified",
	[RK_ENR_FORWARDED] = "forwarded",
	[RK_ENR_RECORDED] = "recorded",
	[RK_ENR_UPLOADED] = "uploaded",
	[RK_ENR_PRINT_READY] = "print_ready",
	[RK_ENR_PRINTING] = "printing",
	[RK_ENR_ISSUED] = "issued",
	[RK_ENR_AT_HANDOVER] = "at_handover",
	[RK_ENR_COLLECTED] = "collected",
	[RK_ENR_RETURNED] = "returned",
	[RK_ENR_REJECTED] = "rejected",
};

static const unsigned int state_steps[RK_ENR_N_STATES] = {
	[RK_ENR_SUBMITTED] = 1, [RK_ENR_RECEIVED] = 2, [RK_ENR_VERIFIED] = 3,
	[RK_ENR_FORWARDED] = 4, [RK_ENR_RECORDED] = 5, [RK_ENR_UPLOADED] = 6,
	[RK_ENR_PRINT_READY] = 6, [RK_ENR_PRINTING] = 7, [RK_ENR_ISSUED] = 8,
	[RK_ENR_AT_HANDOVER] = 9, [RK_ENR_COLLECTED] = 10, [RK_ENR_RETURNED] = 0,
	[RK_ENR_REJECTED] = 6,
};

/* SOP 800/011 "mutu baku", in ms: 36 minutes in all. */
static const int64_t standards_ms[RK_SOP_STEPS] = {
	60000, 60000, 600000, 60000, 300000, 900000, 60000, 60000, 30000, 30000,
};

static const char *const item_names[RK_CHECK_N_ITEMS] = {
	[RK_CHECK_F102] = "f102",
	[RK_CHECK_FAMILY_CARD] = "family-card",
	[RK_CHECK_MARRIAGE_CERTIFICATE] = "marriage-certificate",
	[RK_CHECK_DIPLOMA] = "diploma",
};

/* Columns of the applicant, in the order of rk_applicant_keys. */
static const char *const applicant_columns[] = { "nik", "name", "sex", "birth_place",
	"birth_date", "blood_type", "religion", "marital_status", "occupation", "address", "rt",
	"rw", "village", "district", "citizenship" };

#define N_APPLICANT_COLUMNS (sizeof(applicant_columns) / sizeof(applicant_columns[0]))

int64_t rk_sop_standard_ms(unsigned int step)
{
	return step >= 1 && step <= RK_SOP_STEPS ? standards_ms[step - 1] : 0;
}

const char *rk_enrollment_state_name(enum rk_enrollment_state state)
{
	return (unsigned int)state < RK_ENR_N_STATES ? state_names[state] : "unknown";
}

unsigned int rk_enrollment_state_step(enum rk_enrollment_state state)
{
	return (unsigned int)state < RK_ENR_N_STATES ? state_steps[state] : 0;
}

bool rk_enrollment_state_final(enum rk_enrollment_state state)
{
	return state == RK_ENR_COLLECTED || state == RK_ENR_RETURNED || state == RK_ENR_REJECTED;
}

static int state_from_name(const char *name)
{
	for (int i = 0; i < RK_ENR_N_STATES; i++)
		if (strcmp(state_names[i], name) == 0)
			return i;
	return -1;
}

static int role_from_name(const char *name)
{
	for (int i = 0; i < RK_ROLE_N; i++)
		if (strcmp(rk_role_name((enum rk_role)i), name) == 0)
			return i;
	return -1;
}

const char *rk_checklist_item_name(enum rk_checklist_item item)
{
	return (unsigned int)item < RK_CHECK_N_ITEMS ? item_names[item] : NULL;
}

int rk_checklist_item_from_name(const char *name)
{
	for (int i = 0; i < RK_CHECK_N_ITEMS; i++)
		if (strcmp(item_names[i], name) == 0)
			return i;
	return -1;
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* "f102,diploma" for the bits of @items; "" for none. */
static void items_text(unsigned int items, char *buf, size_t size, const char *sep)
{
	size_t len = 0;

	buf[0] = '\0';
	for (int i = 0; i < RK_CHECK_N_ITEMS && len < size; i++)
		if (items & (1u << i))
			len += (size_t)snprintf(buf + len, size - len, "%s%s", len ? sep : "",
				item_names[i]);
}

static unsigned int items_parse(const char *text)
{
	unsigned int items = 0;
	char buf[256], *save = NULL;

	snprintf(buf, sizeof(buf), "%s", text);
	for (char *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		int i = rk_checklist_item_from_name(tok);

		if (i >= 0)
			items |= 1u << i;
	}
	return items;
}

/* --- memory ---------------------------------------------------------------- */

static void free_captures(struct rk_enrollment *e)
{
	for (size_t i = 0; i < e->n_captures; i++) {
		free(e->captures[i].item);
		free(e->captures[i].handle);
		free(e->captures[i].kind);
	}
	free(e->captures);
	e->captures = NULL;
	e->n_captures = 0;
}

static void free_enrollment(struct rk_enrollment *e)
{
	if (!e)
		return;
	for (size_t i = 0; i < e->n_steps; i++)
		free(e->steps[i].note);
	free(e->steps);
	free(e->return_reason);
	free_captures(e);
	free(e->packet_id);
	free(e->remote_status);
	free(e->card_serial);
	free(e->chip_uid);
	free(e->issue_phase);
	free(e->receipt);
	free(e);
}

/* The step 5-10 string columns, in the order of the table's columns. */
static const char *const work_columns[] = { "packet_id", "remote_status", "card_serial",
	"chip_uid", "issue_phase", "receipt" };
#define N_WORK (sizeof(work_columns) / sizeof(work_columns[0]))

static char **work_field(struct rk_enrollment *e, size_t i)
{
	char **fields[N_WORK] = { &e->packet_id, &e->remote_status, &e->card_serial,
		&e->chip_uid, &e->issue_phase, &e->receipt };

	return fields[i];
}

static const char *work_value(const struct rk_enrollment_work *w, size_t i)
{
	const char *values[N_WORK] = { w->packet_id, w->remote_status, w->card_serial,
		w->chip_uid, w->issue_phase, w->receipt };

	return values[i];
}

static struct rk_enrollment *new_enrollment(struct rk_enrollments *set, int64_t id)
{
	struct rk_enrollment *e = calloc(1, sizeof(*e));
	bool ok;

	if (!e)
		return NULL;
	e->set = set;
	e->id = id;
	snprintf(e->path, sizeof(e->path), RK_ENROLLMENTS_PATH "/%" PRId64, id);
	ok = (e->return_reason = strdup("")) != NULL;
	for (size_t i = 0; i < N_WORK; i++)
		ok = (*work_field(e, i) = strdup("")) != NULL && ok;
	if (!ok) {
		free_enrollment(e);
		return NULL;
	}
	return e;
}

static int add_item(struct rk_enrollments *set, struct rk_enrollment *e)
{
	if (set->n == set->cap) {
		size_t cap = set->cap ? set->cap * 2 : 64;
		struct rk_enrollment **items = realloc(set->items, cap * sizeof(*items));

		if (!items)
			return -ENOMEM;
		set->items = items;
		set->cap = cap;
	}
	set->items[set->n++] = e; /* ids only grow: the array stays sorted */
	return 0;
}

static int append_step(struct rk_enrollment *e, const struct rk_step_record *r)
{
	struct rk_step_record *steps = realloc(e->steps, (e->n_steps + 1) * sizeof(*steps));
	char *note = strdup(r->note ? r->note : "");

	if (!steps || !note) {
		if (steps)
			e->steps = steps;
		free(note);
		return -ENOMEM;
	}
	e->steps = steps;
	steps[e->n_steps] = *r;
	steps[e->n_steps].note = note;
	steps[e->n_steps].duration_ms = 0;
	if (e->n_steps > 0) {
		int64_t d = r->at_ms - steps[e->n_steps - 1].at_ms;

		steps[e->n_steps].duration_ms = d > 0 ? d : 0; /* the clock may step back */
	}
	e->n_steps++;
	return 0;
}

size_t rk_enrollments_count(struct rk_enrollments *set)
{
	return set->n;
}

void *rk_enrollments_data(struct rk_enrollments *set)
{
	return set->data;
}

struct rk_enrollment *rk_enrollments_at(struct rk_enrollments *set, size_t i)
{
	return i < set->n ? set->items[i] : NULL;
}

struct rk_enrollment *rk_enrollments_find(struct rk_enrollments *set, int64_t id)
{
	size_t lo = 0, hi = set->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (set->items[mid]->id == id)
			return set->items[mid];
		if (set->items[mid]->id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

struct rk_enrollment *rk_enrollments_find_path(struct rk_enrollments *set, const char *path)
{
	size_t n = strlen(RK_ENROLLMENTS_PATH "/");
	char *end;
	long long id;

	if (!path || strncmp(path, RK_ENROLLMENTS_PATH "/", n) != 0 || !*(path + n))
		return NULL;
	id = strtoll(path + n, &end, 10);
	return *end ? NULL : rk_enrollments_find(set, id);
}

struct rk_enrollment *rk_enrollments_find_active(struct rk_enrollments *set, const char *nik)
{
	for (size_t i = set->n; i-- > 0;)
		if (!rk_enrollment_state_final(set->items[i]->state) &&
				strcmp(set->items[i]->applicant.nik, nik) == 0)
			return set->items[i];
	return NULL;
}

unsigned int rk_enrollment_overruns(const struct rk_enrollment *e)
{
	unsigned int bits = 0;

	for (size_t i = 0; i < e->n_steps; i++) {
		const struct rk_step_record *r = &e->steps[i];

		if (r->step >= 1 && r->step <= RK_SOP_STEPS &&
				r->duration_ms > rk_sop_standard_ms(r->step))
			bits |= 1u << r->step;
	}
	return bits;
}

unsigned int rk_enrollment_required_items(const struct rk_enrollment *e, int y, int m, int d)
{
	unsigned int items = 1u << RK_CHECK_F102 | 1u << RK_CHECK_FAMILY_CARD |
		1u << RK_CHECK_DIPLOMA;

	if (rk_age_on(e->applicant.birth_date, y, m, d) < 17)
		items |= 1u << RK_CHECK_MARRIAGE_CERTIFICATE;
	return items;
}

/* --- loading --------------------------------------------------------------- */

static const char *column_text(sqlite3_stmt *stmt, int i)
{
	const unsigned char *text = sqlite3_column_text(stmt, i);

	return text ? (const char *)text : "";
}

static int load_row(struct rk_enrollments *set, sqlite3_stmt *stmt)
{
	struct rk_enrollment *e = new_enrollment(set, sqlite3_column_int64(stmt, 0));
	char why[RK_WHY_SIZE];
	int state, col = 1;

	if (!e)
		return -ENOMEM;
	state = state_from_name(column_text(stmt, col++));
	if (state < 0) {
		rk_error("enrollment %" PRId64 ": unknown state '%s' in the database; skipped",
			e->id, column_text(stmt, 1));
		free_enrollment(e);
		return 0;
	}
	e->state = (enum rk_enrollment_state)state;
	e->checked = sqlite3_column_type(stmt, col) != SQLITE_NULL;
	e->checklist = items_parse(column_text(stmt, col++));
	free(e->return_reason);
	e->return_reason = strdup(column_text(stmt, col++));
	for (size_t i = 0; i < N_APPLICANT_COLUMNS; i++, col++) {
		const char *value = column_text(stmt, col);

		if (*value && rk_applicant_set(&e->applicant, rk_applicant_keys[i], value, why,
				sizeof(why)) < 0)
			rk_warn("enrollment %" PRId64 ": stored %s no longer valid: %s", e->id,
				rk_applicant_keys[i], why);
	}
	for (size_t i = 0; i < N_WORK; i++, col++) {
		char *value = strdup(column_text(stmt, col));

		if (!value) {
			free_enrollment(e);
			return -ENOMEM;
		}
		free(*work_field(e, i));
		*work_field(e, i) = value;
	}
	e->spoiled = (unsigned int)sqlite3_column_int(stmt, col++);
	e->biometrics_destroyed = sqlite3_column_int64(stmt, col++);
	if (!e->return_reason || add_item(set, e) < 0) {
		free_enrollment(e);
		return -ENOMEM;
	}
	return 0;
}

static int load_steps(struct rk_enrollments *set)
{
	sqlite3_stmt *stmt = rk_store_prepare(set->store,
		"SELECT enrollment, step, state, role, uid, at, note FROM enrollment_steps "
		"ORDER BY enrollment, seq");
	int rc;

	if (!stmt)
		return -EIO;
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		struct rk_enrollment *e = rk_enrollments_find(set, sqlite3_column_int64(stmt, 0));
		struct rk_step_record r = {
			.step = (unsigned int)sqlite3_column_int(stmt, 1),
			.uid = (uid_t)sqlite3_column_int64(stmt, 4),
			.at_ms = sqlite3_column_int64(stmt, 5),
			.note = (char *)column_text(stmt, 6),
		};
		int state = state_from_name(column_text(stmt, 2));
		int role = role_from_name(column_text(stmt, 3));

		if (!e || state < 0 || role < 0)
			continue;
		r.state = (enum rk_enrollment_state)state;
		r.role = (enum rk_role)role;
		if (append_step(e, &r) < 0) {
			sqlite3_reset(stmt);
			return -ENOMEM;
		}
	}
	sqlite3_reset(stmt);
	return rc == SQLITE_DONE ? 0 : -EIO;
}

static int add_capture(struct rk_enrollment *e, const char *item, const char *handle,
		const char *kind)
{
	struct rk_capture_link *c = realloc(e->captures, (e->n_captures + 1) * sizeof(*c));

	if (!c)
		return -ENOMEM;
	e->captures = c;
	c = &c[e->n_captures];
	c->item = strdup(item);
	c->handle = strdup(handle);
	c->kind = strdup(kind);
	if (!c->item || !c->handle || !c->kind) {
		free(c->item);
		free(c->handle);
		free(c->kind);
		return -ENOMEM;
	}
	e->n_captures++;
	return 0;
}

static int load_captures(struct rk_enrollments *set)
{
	sqlite3_stmt *stmt = rk_store_prepare(set->store,
		"SELECT enrollment, item, handle, kind FROM enrollment_captures ORDER BY rowid");
	int rc, err = 0;

	if (!stmt)
		return -EIO;
	while (!err && (rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		struct rk_enrollment *e = rk_enrollments_find(set, sqlite3_column_int64(stmt, 0));

		if (e)
			err = add_capture(e, column_text(stmt, 1), column_text(stmt, 2),
				column_text(stmt, 3));
	}
	sqlite3_reset(stmt);
	return err ? err : rc == SQLITE_DONE ? 0 : -EIO;
}

static int load(struct rk_enrollments *set)
{
	char sql[1024];
	size_t len;
	sqlite3_stmt *stmt;
	int rc, err = 0;

	len = (size_t)snprintf(sql, sizeof(sql), "SELECT id, state, checklist, return_reason");
	for (size_t i = 0; i < N_APPLICANT_COLUMNS; i++)
		len += (size_t)snprintf(sql + len, sizeof(sql) - len, ", %s", applicant_columns[i]);
	for (size_t i = 0; i < N_WORK; i++)
		len += (size_t)snprintf(sql + len, sizeof(sql) - len, ", %s", work_columns[i]);
	snprintf(sql + len, sizeof(sql) - len, ", spoiled, biometrics_destroyed FROM enrollments "
		"ORDER BY id");
	stmt = rk_store_prepare(set->store, sql);
	if (!stmt)
		return -EIO;
	while (!err && (rc = sqlite3_step(stmt)) == SQLITE_ROW)
		err = load_row(set, stmt);
	sqlite3_reset(stmt);
	if (err)
		return err;
	if (rc != SQLITE_DONE)
		return -EIO;
	err = load_steps(set);
	return err ? err : load_captures(set);
}

struct rk_enrollments *rk_enrollments_new(struct rk_store *store, rk_enrollment_changed_fn fn,
		void *data)
{
	struct rk_enrollments *set = calloc(1, sizeof(*set));
	int err;

	if (!set)
		return NULL;
	set->store = store;
	set->changed = fn;
	set->data = data;
	err = load(set);
	if (err < 0) {
		rk_error("cannot load the enrollments: %s", strerror(-err));
		rk_enrollments_free(set);
		return NULL;
	}
	rk_info("%zu enrollment(s) loaded", set->n);
	return set;
}

void rk_enrollments_free(struct rk_enrollments *set)
{
	if (!set)
		return;
	for (size_t i = 0; i < set->n; i++)
		free_enrollment(set->items[i]);
	free(set->items);
	free(set);
}

/* --- writing --------------------------------------------------------------- */

static int insert_step(struct rk_store *store, int64_t id, size_t seq,
		const struct rk_step_record *r)
{
	sqlite3_stmt *stmt = rk_store_prepare(store,
		"INSERT INTO enrollment_steps (enrollment, seq, step, state, role, uid, at, note) "
		"VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
	int rc;

	if (!stmt)
		return -EIO;
	sqlite3_bind_int64(stmt, 1, id);
	sqlite3_bind_int64(stmt, 2, (sqlite3_int64)seq);
	sqlite3_bind_int(stmt, 3, (int)r->step);
	sqlite3_bind_text(stmt, 4, state_names[r->state], -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 5, rk_role_name(r->role), -1, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 6, (sqlite3_int64)r->uid);
	sqlite3_bind_int64(stmt, 7, r->at_ms);
	sqlite3_bind_text(stmt, 8, r->note ? r->note : "", -1, SQLITE_TRANSIENT);
	rc = sqlite3_step(stmt);
	sqlite3_reset(stmt);
	if (rc != SQLITE_DONE) {
		rk_error("cannot record a step of enrollment %" PRId64 ": %s", id,
			sqlite3_errmsg(rk_store_db(store)));
		return -EIO;
	}
	return 0;
}

static int insert_enrollment(struct rk_store *store, const struct rk_applicant *a, int64_t at,
		int64_t *id)
{
	char sql[1024];
	size_t len;
	sqlite3_stmt *stmt;
	int rc;

	len = (size_t)snprintf(sql, sizeof(sql),
		"INSERT INTO enrollments (state, return_reason, created, updated");
	for (size_t i = 0; i < N_APPLICANT_COLUMNS; i++)
		len += (size_t)snprintf(sql + len, sizeof(sql) - len, ", %s", applicant_columns[i]);
	len += (size_t)snprintf(sql + len, sizeof(sql) - len, ") VALUES ('submitted', '', ?, ?");
	for (size_t i = 0; i < N_APPLICANT_COLUMNS; i++)
		len += (size_t)snprintf(sql + len, sizeof(sql) - len, ", ?");
	snprintf(sql + len, sizeof(sql) - len, ")");
	stmt = rk_store_prepare(store, sql);
	if (!stmt)
		return -EIO;
	sqlite3_bind_int64(stmt, 1, at);
	sqlite3_bind_int64(stmt, 2, at);
	for (size_t i = 0; i < N_APPLICANT_COLUMNS; i++)
		sqlite3_bind_text(stmt, (int)i + 3, rk_applicant_get(a, rk_applicant_keys[i]), -1,
			SQLITE_TRANSIENT);
	rc = sqlite3_step(stmt);
	sqlite3_reset(stmt);
	if (rc == SQLITE_CONSTRAINT)
		return -EEXIST; /* the index of active NIKs */
	if (rc != SQLITE_DONE) {
		rk_error("cannot store an enrollment: %s", sqlite3_errmsg(rk_store_db(store)));
		return -EIO;
	}
	*id = sqlite3_last_insert_rowid(rk_store_db(store));
	return 0;
}

int rk_enrollments_submit(struct rk_enrollments *set, const struct rk_applicant *a,
		enum rk_role role, uid_t uid, struct rk_enrollment **out)
{
	struct rk_step_record r = { .step = 1, .state = RK_ENR_SUBMITTED, .role = role,
		.uid = uid, .at_ms = now_ms(), .note = "" };
	struct rk_enrollment *e;
	int64_t id = 0;
	int err;

	if (rk_enrollments_find_active(set, a->nik))
		return -EEXIST;
	err = rk_store_begin(set->store);
	if (err < 0)
		return -EIO;
	err = insert_enrollment(set->store, a, r.at_ms, &id);
	if (!err)
		err = insert_step(set->store, id, 0, &r);
	if (!err)
		err = rk_store_commit(set->store) < 0 ? -EIO : 0;
	if (err) {
		rk_store_rollback(set->store);
		return err;
	}
	/* Committed: from here the enrollment exists whatever memory says. */
	e = new_enrollment(set, id);
	if (!e || append_step(e, &r) < 0 || add_item(set, e) < 0) {
		free_enrollment(e);
		rk_error("out of memory after storing enrollment %" PRId64
			"; it appears after a restart", id);
		return -ENOMEM;
	}
	e->applicant = *a;
	e->state = RK_ENR_SUBMITTED;
	rk_crash_point("after.submitted");
	/* the journal gets the NIK's region code only: the rest (birth date,
	 * sex, serial) is the applicant's and stays in the sealed store */
	rk_info("enrollment %" PRId64 ": submitted (NIK %.6s**********) by %s (uid %u)", id,
		a->nik, rk_role_name(role), (unsigned int)uid);
	if (set->changed)
		set->changed(e, RK_ENR_CREATED, set->data);
	*out = e;
	return 0;
}

/*
 * One transaction: the new state (with checklist and reason), the work
 * columns of @w, @fn's writes and the step record @r (NULL: no transition).
 */
static int write_transition(struct rk_enrollment *e, const struct rk_step_record *r,
		const unsigned int *checklist, const char *reason,
		const struct rk_enrollment_work *w, rk_enrollment_txn_fn fn, void *data)
{
	struct rk_store *store = e->set->store;
	char items[128], sql[512];
	size_t len;
	sqlite3_stmt *stmt;
	int rc, err, arg = 6;

	len = (size_t)snprintf(sql, sizeof(sql), "UPDATE enrollments SET state = ?1, updated = ?2, "
		"return_reason = coalesce(?3, return_reason), checklist = coalesce(?4, checklist), "
		"spoiled = spoiled + ?5");
	for (size_t i = 0; w && i < N_WORK; i++)
		if (work_value(w, i))
			len += (size_t)snprintf(sql + len, sizeof(sql) - len, ", %s = ?%d",
				work_columns[i], arg++);
	snprintf(sql + len, sizeof(sql) - len, " WHERE id = ?%d AND state = ?%d", arg, arg + 1);
	err = rk_store_begin(store);
	if (err < 0)
		return -EIO;
	stmt = rk_store_prepare(store, sql);
	if (!stmt) {
		rk_store_rollback(store);
		return -EIO;
	}
	if (checklist)
		items_text(*checklist, items, sizeof(items), ",");
	sqlite3_bind_text(stmt, 1, state_names[r ? r->state : e->state], -1, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 2, r ? r->at_ms : now_ms());
	if (reason)
		sqlite3_bind_text(stmt, 3, reason, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(stmt, 3);
	if (checklist)
		sqlite3_bind_text(stmt, 4, items, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(stmt, 4);
	sqlite3_bind_int(stmt, 5, w && w->spoiled_one ? 1 : 0);
	arg = 6;
	for (size_t i = 0; w && i < N_WORK; i++)
		if (work_value(w, i))
			sqlite3_bind_text(stmt, arg++, work_value(w, i), -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(stmt, arg++, e->id);
	sqlite3_bind_text(stmt, arg, state_names[e->state], -1, SQLITE_STATIC);
	rc = sqlite3_step(stmt);
	sqlite3_reset(stmt);
	if (rc != SQLITE_DONE || sqlite3_changes(rk_store_db(store)) != 1) {
		rk_error("enrollment %" PRId64 ": cannot store the state %s: %s", e->id,
			state_names[r ? r->state : e->state], rc != SQLITE_DONE ?
			sqlite3_errmsg(rk_store_db(store)) : "the stored state differs");
		rk_store_rollback(store);
		return -EIO;
	}
	err = fn ? fn(store, e, data) : 0;
	if (!err && r)
		err = insert_step(store, e->id, e->n_steps, r);
	if (!err && rk_store_commit(store) < 0)
		err = -EIO;
	if (err)
		rk_store_rollback(store);
	return err;
}

/* After the commit: the work columns in memory. */
static void apply_work(struct rk_enrollment *e, const struct rk_enrollment_work *w)
{
	for (size_t i = 0; w && i < N_WORK; i++) {
		char *copy;

		if (!work_value(w, i))
			continue;
		copy = strdup(work_value(w, i));
		if (!copy) {
			rk_error("enrollment %" PRId64 ": out of memory keeping %s; it is stored "
				"and appears after a restart", e->id, work_columns[i]);
			continue;
		}
		free(*work_field(e, i));
		*work_field(e, i) = copy;
	}
	if (w && w->spoiled_one)
		e->spoiled++;
}

static int transition(struct rk_enrollment *e, enum rk_enrollment_state to, unsigned int step,
		enum rk_role role, uid_t uid, const char *note, const unsigned int *checklist,
		const struct rk_enrollment_work *w, rk_enrollment_txn_fn fn, void *data)
{
	struct rk_step_record r = { .step = step, .state = to, .role = role, .uid = uid,
		.at_ms = now_ms(), .note = (char *)(note ? note : "") };
	bool ends = to == RK_ENR_RETURNED || to == RK_ENR_REJECTED;
	enum rk_enrollment_state from = e->state;
	char *reason = strdup(ends && note ? note : "");
	int err;

	if (!reason)
		return -ENOMEM;
	err = write_transition(e, &r, checklist, reason, w, fn, data);
	if (err) {
		free(reason);
		return err;
	}
	if (append_step(e, &r) < 0)
		rk_error("enrollment %" PRId64 ": out of memory keeping a step record; it is "
			"stored and appears after a restart", e->id);
	e->state = to;
	free(e->return_reason);
	e->return_reason = reason;
	if (checklist) {
		e->checked = true;
		e->checklist = *checklist;
	}
	apply_work(e, w);
	rk_crash_point2("after", state_names[to]); /* committed, not yet answered */
	rk_info("enrollment %" PRId64 ": %s -> %s (step %u) by %s (uid %u)%s%s", e->id,
		state_names[from], state_names[to], step, rk_role_name(role), (unsigned int)uid,
		*reason ? ": " : "", reason);
	if (e->set->changed)
		e->set->changed(e, RK_ENR_STEPPED, e->set->data);
	return 0;
}

int rk_enrollment_save(struct rk_enrollment *e, enum rk_enrollment_state to, unsigned int step,
		enum rk_role role, uid_t uid, const char *note, const struct rk_enrollment_work *w,
		rk_enrollment_txn_fn fn, void *data)
{
	int err;

	if (to != e->state || step)
		return transition(e, to, step ? step : rk_enrollment_state_step(to), role, uid,
			note, NULL, w, fn, data);
	err = write_transition(e, NULL, NULL, NULL, w, fn, data);
	if (!err) {
		apply_work(e, w);
		if (e->set->changed)
			e->set->changed(e, RK_ENR_WORK_CHANGED, e->set->data);
	}
	return err;
}

int rk_enrollment_transition(struct rk_enrollment *e, enum rk_enrollment_state to,
		unsigned int step, enum rk_role role, uid_t uid, const char *note)
{
	return transition(e, to, step, role, uid, note, NULL, NULL, NULL, NULL);
}

int rk_enrollment_receive(struct rk_enrollment *e, unsigned int checklist, int y, int m, int d,
		enum rk_role role, uid_t uid, char *why, size_t size)
{
	unsigned int missing = rk_enrollment_required_items(e, y, m, d) & ~checklist;
	char items[128];

	if (!missing) {
		if (size)
			why[0] = '\0';
		return transition(e, RK_ENR_RECEIVED, 2, role, uid, NULL, &checklist, NULL, NULL,
			NULL);
	}
	items_text(missing, items, sizeof(items), ", ");
	snprintf(why, size, "incomplete requirements: missing %s", items);
	return transition(e, RK_ENR_RETURNED, 2, role, uid, why, &checklist, NULL, NULL, NULL);
}

/* --- captures (step 5) ----------------------------------------------------- */

void rk_strv_free(char **v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		free(v[i]);
	free(v);
}

size_t rk_enrollment_count_item(const struct rk_enrollment *e, const char *item)
{
	size_t n = 0;

	for (size_t i = 0; i < e->n_captures; i++)
		n += strcmp(e->captures[i].item, item) == 0;
	return n;
}

struct rk_store *rk_enrollments_store(struct rk_enrollments *set)
{
	return set->store;
}

static int exec_link(struct rk_store *store, const char *sql, int64_t id, const char *a,
		const char *b, const char *c)
{
	sqlite3_stmt *stmt = rk_store_prepare(store, sql);
	int rc;

	if (!stmt)
		return -EIO;
	sqlite3_bind_int64(stmt, 1, id);
	sqlite3_bind_text(stmt, 2, a, -1, SQLITE_TRANSIENT);
	if (b)
		sqlite3_bind_text(stmt, 3, b, -1, SQLITE_TRANSIENT);
	if (c)
		sqlite3_bind_text(stmt, 4, c, -1, SQLITE_TRANSIENT);
	rc = sqlite3_step(stmt);
	sqlite3_reset(stmt);
	return rc == SQLITE_DONE ? 0 : -EIO;
}

int rk_enrollment_link(struct rk_enrollment *e, const char *item, const char *const *handles,
		const char *const *kinds, size_t n, char ***old, size_t *n_old)
{
	struct rk_store *store = e->set->store;
	size_t k = rk_enrollment_count_item(e, item), j = 0;
	char **gone = calloc(k ? k : 1, sizeof(*gone));
	int err;

	*old = NULL;
	*n_old = 0;
	if (!gone)
		return -ENOMEM;
	for (size_t i = 0; i < e->n_captures; i++)
		if (strcmp(e->captures[i].item, item) == 0 &&
				!(gone[j++] = strdup(e->captures[i].handle))) {
			rk_strv_free(gone, j);
			return -ENOMEM;
		}
	err = rk_store_begin(store) < 0 ? -EIO : 0;
	if (!err)
		err = exec_link(store, "DELETE FROM enrollment_captures WHERE enrollment = ? AND "
			"item = ?", e->id, item, NULL, NULL);
	for (size_t i = 0; !err && i < n; i++)
		err = exec_link(store, "INSERT INTO enrollment_captures (enrollment, item, handle, "
			"kind) VALUES (?, ?, ?, ?)", e->id, item, handles[i], kinds[i]);
	if (!err && rk_store_commit(store) < 0)
		err = -EIO;
	if (err) {
		rk_store_rollback(store);
		rk_error("enrollment %" PRId64 ": cannot link the %s captures: %s", e->id, item,
			sqlite3_errmsg(rk_store_db(store)));
		rk_strv_free(gone, k);
		return err;
	}
	/* Committed: memory follows (a failure here heals at the next start). */
	for (size_t i = 0, w = 0; i < e->n_captures; i++) {
		if (strcmp(e->captures[i].item, item) == 0) {
			free(e->captures[i].item);
			free(e->captures[i].handle);
			free(e->captures[i].kind);
			continue;
		}
		e->captures[w++] = e->captures[i];
	}
	e->n_captures -= k;
	for (size_t i = 0; i < n; i++)
		if (add_capture(e, item, handles[i], kinds[i]) < 0)
			rk_error("enrollment %" PRId64 ": out of memory keeping a capture link; it "
				"is stored and appears after a restart", e->id);
	*old = gone;
	*n_old = k;
	if (e->set->changed)
		e->set->changed(e, RK_ENR_WORK_CHANGED, e->set->data);
	return 0;
}
