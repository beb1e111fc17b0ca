// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * rekam - KTP-el recording station daemon
 *
 * pipeline-record.c - SOP step 5, recording: the portrait (with the photo
 * checks), the left and right slaps and the thumbs, both irises (each set
 * under the quality policy of biometric-quality.c: retried, the best
 * attempt kept whole), the signature and the applicant's documents.
 * Record() takes every item still missing, one device at a time, then moves
 * the enrollment to recorded; Capture(item) takes or retakes one. Each
 * item's artifacts are linked to the enrollment in one transaction that
 * also unlinks what they replace, so a crash keeps either the old take or
 * the new one, never a mix. Every capture is sealed under the enrollment's
 * data key (artifact.h), made when its first capture starts.
 */
#include <config.h>

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/crash-point.h"
#include "daemon/artifact.h"
#include "daemon/biometric-quality.h"
#include "daemon/daemon.h"
#include "daemon/dbus-error.h"
#include "daemon/dbus-object.h"
#include "daemon/device.h"
#include "daemon/log.h"
#include "daemon/pipeline.h"

#define CAPTURE_TIMEOUT_MS 120000
#define MAX_ITEMS 12

enum item_check { CHECK_NONE, CHECK_PORTRAIT, CHECK_FINGER, CHECK_IRIS };

/* One thing step 5 takes: from which class of device, with which option. */
struct item_def {
	const char *item;
	const char *device_class;
	const char *option, *value; /* the capture's own option, or NULL */
	enum item_check check;
	const char *parts[4];       /* fingers or eyes: the kinds are <class>-<part> */
};

static const struct item_def items[] = {
	{ "portrait", "camera", NULL, NULL, CHECK_PORTRAIT, { NULL } },
	{ "fingerprint-left-slap", "fingerprint", "bio-subtype", "left-slap", CHECK_FINGER,
		{ "left-index", "left-middle", "left-ring", "left-little" } },
	{ "fingerprint-right-slap", "fingerprint", "bio-subtype", "right-slap", CHECK_FINGER,
		{ "right-index", "right-middle", "right-ring", "right-little" } },
	{ "fingerprint-thumbs", "fingerprint", "bio-subtype", "thumbs", CHECK_FINGER,
		{ "left-thumb", "right-thumb" } },
	{ "iris", "iris", "bio-subtype", "both", CHECK_IRIS, { "left", "right" } },
	{ "signature", "sigpad", NULL, NULL, CHECK_NONE, { NULL } },
	{ "document-f102", "scanner", "document", "f102", CHECK_NONE, { NULL } },
	{ "document-kk", "scanner", "document", "kk", CHECK_NONE, { NULL } },
	{ "document-ijazah", "scanner", "document", "ijazah", CHECK_NONE, { NULL } },
	{ "document-akta_nikah", "scanner", "document", "akta_nikah", CHECK_NONE, { NULL } },
};

#define N_DEFS (sizeof(items) / sizeof(items[0]))

struct attempt {
	char **handles, **kinds;
	size_t n;
};

struct record_run {
	struct rk_pipeline_run base;
	const struct item_def *todo[MAX_ITEMS];
	size_t n, next;
	bool single;            /* Capture(item): the reply lists its artifacts */
	char exceptions[256];   /* fingers or eyes the operator marked, comma list */
	/* the biometric round of the item under way */
	struct rk_bq_round round;
	bool in_round;
	struct attempt attempts[RK_BQ_MAX_ATTEMPTS];
	struct attempt kept;    /* what the last item linked (for Capture's reply) */
};

static const struct item_def *find_def(const char *item)
{
	for (size_t i = 0; i < N_DEFS; i++)
		if (strcmp(items[i].item, item) == 0)
			return &items[i];
	return NULL;
}

/* The marriage certificate is scanned when it was in the checklist. */
static bool item_wanted(const struct rk_enrollment *e, const struct item_def *def)
{
	if (strcmp(def->item, "document-akta_nikah") == 0)
		return e->checklist & (1u << RK_CHECK_MARRIAGE_CERTIFICATE);
	return true;
}

const char *const *rk_record_items(const struct rk_enrollment *e)
{
	static const char *list[N_DEFS + 1];
	size_t n = 0;

	for (size_t i = 0; i < N_DEFS; i++)
		if (item_wanted(e, &items[i]))
			list[n++] = items[i].item;
	list[n] = NULL;
	return list;
}

bool rk_record_complete(const struct rk_enrollment *e)
{
	for (size_t i = 0; i < N_DEFS; i++)
		if (item_wanted(e, &items[i]) && !rk_enrollment_count_item(e, items[i].item))
			return false;
	return true;
}

/* --- the run --------------------------------------------------------------- */

static void attempt_clear(struct attempt *a)
{
	rk_strv_free(a->handles, a->n);
	rk_strv_free(a->kinds, a->n);
	memset(a, 0, sizeof(*a));
}

/* Remove the stored artifacts of @a (not linked: taken and not kept). */
static void attempt_discard(struct rk_daemon *d, struct attempt *a)
{
	char dir[4096];

	snprintf(dir, sizeof(dir), "%s/artifacts", d->state_dir);
	for (size_t i = 0; i < a->n; i++)
		if (a->handles[i])
			rk_artifact_delete(d->store, dir, a->handles[i]);
	attempt_clear(a);
}

static void round_clear(struct record_run *r, bool discard)
{
	for (size_t i = 0; i < RK_BQ_MAX_ATTEMPTS; i++) {
		if (discard)
			attempt_discard(r->base.d, &r->attempts[i]);
		else
			attempt_clear(&r->attempts[i]);
	}
	r->in_round = false;
}

static void record_free(struct record_run *r)
{
	round_clear(r, true);
	attempt_clear(&r->kept);
	free(r);
}

static void finish(struct record_run *r, DBusMessage *reply)
{
	rk_run_end(&r->base, reply);
	record_free(r);
}

static void fail(struct record_run *r, enum rk_dbus_error_code code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void fail(struct record_run *r, enum rk_dbus_error_code code, const char *fmt, ...)
{
	char text[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	finish(r, rk_run_failed(&r->base, code, "recording", text));
}

static enum rk_dbus_error_code device_error_code(int err)
{
	switch (err) {
	case -EBADMSG:
		return RK_DBUS_ERROR_CHECK_FAILED;
	case -ECANCELED:
	case -ESHUTDOWN:
		return RK_DBUS_ERROR_CANCELLED;
	case -ETIMEDOUT:
		return RK_DBUS_ERROR_TIMEOUT;
	case -ENODEV:
		return RK_DBUS_ERROR_ABSENT;
	case -EBUSY:
		return RK_DBUS_ERROR_BUSY;
	case -EOPNOTSUPP:
		return RK_DBUS_ERROR_NOT_SUPPORTED;
	default:
		return RK_DBUS_ERROR_DEVICE;
	}
}

static void run_next(struct record_run *r);

/* Link @a as the item's take; what it replaces is removed. */
static int keep(struct record_run *r, const struct item_def *def, struct attempt *a)
{
	char **old = NULL;
	size_t n_old = 0;
	int err;

	err = rk_enrollment_link(r->base.e, def->item, (const char *const *)a->handles,
		(const char *const *)a->kinds, a->n, &old, &n_old);
	if (err)
		return err;
	attempt_clear(&r->kept);
	r->kept = *a;
	memset(a, 0, sizeof(*a));
	{
		struct attempt gone = { .handles = old, .n = n_old };

		attempt_discard(r->base.d, &gone);
	}
	return 0;
}

static int attempt_from(struct attempt *a, const struct rk_device_outcome *o)
{
	a->handles = calloc(o->n_artifacts ? o->n_artifacts : 1, sizeof(char *));
	a->kinds = calloc(o->n_artifacts ? o->n_artifacts : 1, sizeof(char *));
	if (!a->handles || !a->kinds)
		return -ENOMEM;
	for (size_t i = 0; i < o->n_artifacts; i++) {
		a->handles[i] = strdup(o->artifacts[i].handle);
		a->kinds[i] = strdup(o->artifacts[i].kind);
		a->n++; /* counted even when a copy failed: freed (and discarded) whole */
		if (!a->handles[i] || !a->kinds[i])
			return -ENOMEM;
	}
	return 0;
}

/* The scores of the item's parts in @o (RK_BQ_NO_SCORE when absent). */
static void scores_of(const struct item_def *def, const struct rk_device_outcome *o,
		int scores[RK_BQ_MAX_PARTS])
{
	for (size_t p = 0; p < RK_BQ_MAX_PARTS; p++)
		scores[p] = RK_BQ_NO_SCORE;
	for (size_t p = 0; p < 4 && def->parts[p]; p++) {
		char kind[48];

		snprintf(kind, sizeof(kind), "%s-%s", def->device_class, def->parts[p]);
		for (size_t i = 0; i < o->n_artifacts; i++)
			if (strcmp(o->artifacts[i].kind, kind) == 0 && o->artifacts[i].quality >= 0)
				scores[p] = o->artifacts[i].quality;
	}
}

/* The parts of @def the operator marked as exceptions (bits). */
static unsigned int exception_bits(const struct record_run *r, const struct item_def *def)
{
	unsigned int bits = 0;

	for (size_t p = 0; p < 4 && def->parts[p]; p++) {
		char name[32];
		const char *at = r->exceptions;
		size_t len;

		snprintf(name, sizeof(name), "%s", def->parts[p]);
		len = strlen(name);
		while ((at = strstr(at, name))) {
			bool start = at == r->exceptions || at[-1] == ',';
			bool end = at[len] == '\0' || at[len] == ',';

			if (start && end)
				bits |= 1u << p;
			at += len;
		}
	}
	return bits;
}

static unsigned int part_bits(const struct item_def *def)
{
	unsigned int bits = 0;

	for (size_t p = 0; p < 4 && def->parts[p]; p++)
		bits |= 1u << p;
	return bits;
}

/* The expected parts of @def without a score in @scores, a comma list in @out
 * ("" when every part is there). */
static void missing_list(const struct item_def *def, unsigned int expected,
		const int scores[RK_BQ_MAX_PARTS], char *out, size_t size)
{
	size_t len = 0;

	out[0] = '\0';
	for (size_t p = 0; p < 4 && def->parts[p]; p++)
		if ((expected & (1u << p)) && scores[p] == RK_BQ_NO_SCORE && len < size)
			len += (size_t)snprintf(out + len, size - len, "%s%s", len ? "," : "",
				def->parts[p]);
}

/* A biometric attempt came back: retry, or keep the best attempt. */
static void biometric_attempt(struct record_run *r, const struct item_def *def,
		const struct rk_device_outcome *o)
{
	int scores[RK_BQ_MAX_PARTS], verdict, best;
	unsigned int n = r->round.attempts;
	char missing[128];

	scores_of(def, o, scores);
	if (attempt_from(&r->attempts[n], o) < 0) {
		fail(r, RK_DBUS_ERROR_FAILED, "Out of memory");
		return;
	}
	verdict = rk_bq_round_add(&r->round, scores);
	missing_list(def, r->round.expected, scores, missing, sizeof(missing));
	rk_pipeline_progress(r->base.d, r->base.e, def->item, -1.0,
		"attempt %u: average quality %.0f (threshold %u)%s%s%s", n + 1,
		rk_bq_average(&r->round, n), r->round.threshold, *missing ? "; " : "", missing,
		*missing ? " not detected" : "");
	if (verdict == RK_BQ_RETRY) {
		run_next(r); /* the same item again */
		return;
	}
	best = rk_bq_best(&r->round);
	if (verdict < 0 || best < 0) {
		fail(r, RK_DBUS_ERROR_FAILED, "The quality policy refused the scores of %s",
			def->item);
		return;
	}
	missing_list(def, r->round.expected, r->round.scores[best], missing, sizeof(missing));
	if (!r->round.passed && *missing) {
		/* not the average's fault: a finger or eye was never there */
		fail(r, RK_DBUS_ERROR_CHECK_FAILED, "%s: %s not detected (the best of %u "
			"attempts); take it again, or mark what is missing or bandaged as an "
			"exception", def->item, missing, r->round.attempts);
		return;
	}
	if (!r->round.passed) {
		fail(r, RK_DBUS_ERROR_CHECK_FAILED, "%s: the best of %u attempts has an average "
			"quality of %.0f, under the threshold %u; take it again", def->item,
			r->round.attempts, rk_bq_average(&r->round, (unsigned int)best),
			r->round.threshold);
		return;
	}
	if (keep(r, def, &r->attempts[best]) < 0) {
		fail(r, RK_DBUS_ERROR_FAILED, "The captures of %s could not be stored", def->item);
		return;
	}
	round_clear(r, true); /* the other attempts go */
	r->next++;
	run_next(r);
}

static void captured(const struct rk_device_outcome *o, void *data)
{
	struct record_run *r = data;
	const struct item_def *def = r->todo[r->next];
	struct attempt a = { 0 };

	r->base.dev = NULL;
	if (o->err) {
		fail(r, device_error_code(o->err), "%s: %s", def->item, o->message);
		return;
	}
	rk_crash_point("record.stored"); /* kept, not yet linked */
	if (def->check == CHECK_FINGER || def->check == CHECK_IRIS) {
		biometric_attempt(r, def, o);
		return;
	}
	if (attempt_from(&a, o) < 0 || keep(r, def, &a) < 0) {
		attempt_discard(r->base.d, &a);
		fail(r, RK_DBUS_ERROR_FAILED, "The captures of %s could not be stored", def->item);
		return;
	}
	r->next++;
	run_next(r);
}

static int build_options(struct record_run *r, const struct item_def *def,
		struct rk_options *opts)
{
	int err = 0;

	if (def->option)
		err = rk_options_add_string(opts, def->option, def->value);
	if (!err && def->check == CHECK_PORTRAIT)
		err = rk_options_add_int(opts, "birth-year", atoi(r->base.e->applicant.birth_date));
	if (!err && (def->check == CHECK_FINGER || def->check == CHECK_IRIS) &&
			exception_bits(r, def)) {
		char list[128] = "";
		size_t len = 0;
		unsigned int bits = exception_bits(r, def);

		for (size_t p = 0; p < 4 && def->parts[p]; p++)
			if (bits & (1u << p))
				len += (size_t)snprintf(list + len, sizeof(list) - len, "%s%s",
					len ? "," : "", def->parts[p]);
		err = rk_options_add_string(opts, "exceptions", list);
	}
	return err;
}

static void start_item(struct record_run *r)
{
	const struct item_def *def = r->todo[r->next];
	struct rk_device *dev = rk_devices_find(r->base.d->devices, def->device_class, NULL);
	struct rk_options opts = { 0 };
	unsigned char key[RK_VAULT_WRAPPED_SIZE];
	char why[256];
	int err;

	if (!dev) {
		fail(r, RK_DBUS_ERROR_ABSENT, "%s: the station has no %s device", def->item,
			def->device_class);
		return;
	}
	if ((def->check == CHECK_FINGER || def->check == CHECK_IRIS) && !r->in_round) {
		struct rk_bq_policy policy;

		rk_bq_policy_from_config(&policy, r->base.d->config);
		if (rk_bq_round_init(&r->round, &policy, def->check == CHECK_FINGER ? RK_BQ_FINGER :
				RK_BQ_IRIS, part_bits(def), exception_bits(r, def)) < 0) {
			fail(r, RK_DBUS_ERROR_INVALID_ARGUMENTS, "%s: every part is marked as an "
				"exception; nothing is left to capture", def->item);
			return;
		}
		r->in_round = true;
	}
	/* the enrollment's data key seals what it takes (made at its first capture) */
	err = rk_artifact_key_get(r->base.d->store, r->base.e->id, true, key);
	if (err < 0) {
		fail(r, RK_DBUS_ERROR_FAILED, "%s: the enrollment's data key is %s", def->item,
			err == -EKEYREVOKED ? "destroyed" : "not usable");
		return;
	}
	if (build_options(r, def, &opts) < 0) {
		rk_options_clear(&opts);
		fail(r, RK_DBUS_ERROR_FAILED, "Out of memory");
		return;
	}
	rk_pipeline_progress(r->base.d, r->base.e, def->item, (double)r->next / (double)r->n,
		"%s on %s", def->item, rk_device_name(dev));
	err = rk_device_run_keyed(dev, r->base.owner, r->base.e->id, key, NULL, &opts,
		CAPTURE_TIMEOUT_MS, captured, r, why, sizeof(why));
	if (err < 0) {
		fail(r, device_error_code(err), "%s: %s", def->item, why);
		return;
	}
	r->base.dev = dev;
	rk_crash_point2("record", def->item); /* the capture under way */
}

static DBusMessage *handles_reply(struct record_run *r)
{
	DBusMessage *reply = dbus_message_new_method_return(r->base.call);
	DBusMessageIter iter, array;
	bool ok;

	if (!reply)
		return NULL;
	dbus_message_iter_init_append(reply, &iter);
	ok = dbus_message_iter_open_container(&iter, DBUS_TYPE_ARRAY, "s", &array);
	for (size_t i = 0; ok && i < r->kept.n; i++)
		ok = dbus_message_iter_append_basic(&array, DBUS_TYPE_STRING, &r->kept.handles[i]);
	if (ok && dbus_message_iter_close_container(&iter, &array))
		return reply;
	dbus_message_unref(reply);
	return NULL;
}

static void run_next(struct record_run *r)
{
	struct rk_enrollment *e = r->base.e;
	int err;

	if (r->next < r->n) {
		start_item(r);
		return;
	}
	if (r->single) {
		finish(r, handles_reply(r));
		return;
	}
	err = rk_enrollment_save(e, RK_ENR_RECORDED, 5, r->base.role, r->base.uid, NULL, NULL,
		NULL, NULL);
	if (err) {
		fail(r, RK_DBUS_ERROR_FAILED, "The database could not be written (%s)",
			strerror(-err));
		return;
	}
	rk_pipeline_progress(r->base.d, e, "recorded", 1.0, "every item is recorded");
	finish(r, dbus_message_new_method_return(r->base.call));
}

/* --- the methods ----------------------------------------------------------- */

/* Options of Record and Capture: only "exceptions" (fingers or eyes). */
static DBusMessage *record_option(DBusMessage *msg, const char *key, const char *text,
		void *data)
{
	struct record_run *r = data;

	if (strcmp(key, "exceptions") != 0)
		return rk_dbus_error(msg, RK_DBUS_ERROR_INVALID_ARGUMENTS,
			"Unknown option '%.40s' (known: exceptions)", key);
	if (strlen(text) >= sizeof(r->exceptions) ||
			strspn(text, "abcdefghijklmnopqrstuvwxyz-,") != strlen(text))
		return rk_dbus_error(msg, RK_DBUS_ERROR_INVALID_ARGUMENTS,
			"Option exceptions must list fingers (left-index, ..., right-thumb) "
			"or eyes (left, right), comma separated");
	snprintf(r->exceptions, sizeof(r->exceptions), "%s", text);
	return NULL;
}

static DBusMessage *start(struct rk_daemon *d, DBusMessage *msg, unsigned int roles, uid_t uid,
		bool single)
{
	struct rk_enrollment *e = rk_pipeline_enrollment_of(d, msg);
	struct record_run *r;
	DBusMessageIter iter;
	DBusMessage *error;
	const char *item = NULL;

	if (!e)
		return rk_dbus_error(msg, RK_DBUS_ERROR_NOT_FOUND, "No such enrollment");
	if (e->state != RK_ENR_FORWARDED)
		return rk_pipeline_wrong_state(msg, e, "forwarded");
	if (e->run)
		return rk_pipeline_busy(msg, e);
	r = calloc(1, sizeof(*r));
	if (!r)
		return NULL;
	dbus_message_iter_init(msg, &iter);
	if (single) {
		const struct item_def *def;

		dbus_message_iter_get_basic(&iter, &item);
		def = find_def(item);
		if (!def || !item_wanted(e, def)) {
			free(r);
			return rk_dbus_error(msg, RK_DBUS_ERROR_INVALID_ARGUMENTS,
				"Unknown item '%.40s' for this enrollment (see RecordItems)", item);
		}
		r->todo[r->n++] = def;
		dbus_message_iter_next(&iter);
	} else {
		for (size_t i = 0; i < N_DEFS; i++)
			if (item_wanted(e, &items[i]) && !rk_enrollment_count_item(e, items[i].item))
				r->todo[r->n++] = &items[i];
	}
	error = rk_pipeline_string_dict(msg, &iter, "Option", record_option, r);
	if (error) {
		free(r);
		return error;
	}
	r->single = single;
	rk_run_init(&r->base, RK_RUN_RECORD, d, e, msg, rk_roles_first(roles), uid);
	rk_info("enrollment %" PRId64 ": %s: %zu item(s) to take", e->id,
		single ? "capture" : "record", r->n);
	run_next(r);
	return NULL;
}

static DBusMessage *record_authorized(struct rk_daemon *d, DBusMessage *msg, unsigned int roles,
		uid_t uid, void *data)
{
	(void)data;
	return start(d, msg, roles, uid, false);
}

static DBusMessage *capture_authorized(struct rk_daemon *d, DBusMessage *msg,
		unsigned int roles, uid_t uid, void *data)
{
	(void)data;
	return start(d, msg, roles, uid, true);
}

DBusMessage *rk_pipeline_record(DBusConnection *conn, DBusMessage *msg, void *data)
{
	struct rk_enrollment *e = data;

	(void)conn;
	return rk_roles_authorize(rk_enrollments_data(e->set), msg, RK_ROLE_BIT(RK_ROLE_OPERATOR),
		record_authorized, NULL);
}

DBusMessage *rk_pipeline_capture(DBusConnection *conn, DBusMessage *msg, void *data)
{
	struct rk_enrollment *e = data;

	(void)conn;
	return rk_roles_authorize(rk_enrollments_data(e->set), msg, RK_ROLE_BIT(RK_ROLE_OPERATOR),
		capture_authorized, NULL);
}
