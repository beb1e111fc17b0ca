// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * rekam - KTP-el recording station daemon
 *
 * pipeline-upload.c - SOP step 6: the enrollment's packet for the central
 * server and the server's answer. Upload() builds the packet from the
 * recorded artifacts on a worker (encryption and signing take a while),
 * then one transaction queues it and moves the enrollment to uploaded with
 * the packet id, so a crash leaves either no queued packet and a recorded
 * enrollment (Upload again) or both. The uploader's news move it on:
 * print_ready, returned (duplicate: data ganda) or rejected. At start the
 * final answers that came while rekamd was down are applied.
 */
#include <config.h>

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/crash-point.h"
#include "daemon/artifact.h"
#include "daemon/central.h"
#include "daemon/config.h"
#include "daemon/daemon.h"
#include "daemon/dbus-error.h"
#include "daemon/dbus-object.h"
#include "daemon/log.h"
#include "daemon/packet.h"
#include "daemon/pipeline.h"
#include "daemon/uploader.h"
#include "daemon/worker.h"

/* A packet being built on a worker. */
struct upload_job {
	struct rk_daemon *d;
	int64_t enrollment;
	DBusMessage *call;
	enum rk_role role;
	uid_t uid;
	struct rk_packet_input in;
	struct rk_packet_field fields[32];
	struct rk_packet_time times[16];
	struct rk_packet_artifact parts[RK_PACKET_MAX_ARTIFACTS];
	struct rk_artifact_meta metas[RK_PACKET_MAX_ARTIFACTS];
	char names[RK_PACKET_MAX_ARTIFACTS][72]; /* a kind (48 at most), "-", a number */
	char *dir;
	char nik[17], station[65];
	char values[32][128];
	char steps[16][24];
	char id[RK_PACKET_ID_LEN + 1];
	char *error;
	int err;
	bool ran;
};

static void job_free(struct upload_job *job)
{
	for (size_t i = 0; i < job->in.n_artifacts; i++)
		rk_artifact_meta_clear(&job->metas[i]);
	free(job->dir);
	free(job->error);
	if (job->call)
		dbus_message_unref(job->call);
	free(job);
}

/* The packet type of an artifact kind (docs/central-api.md). */
static const char *packet_type(const char *kind)
{
	if (strcmp(kind, "portrait") == 0)
		return "portrait";
	if (strncmp(kind, "fingerprint-", 12) == 0 && strcmp(kind, "fingerprint-capture") != 0)
		return "fingerprint";
	if (strncmp(kind, "iris-", 5) == 0 && strcmp(kind, "iris-capture") != 0)
		return "iris";
	if (strcmp(kind, "signature-image") == 0)
		return "signature";
	if (strcmp(kind, "f102") == 0 || strcmp(kind, "kk") == 0 || strcmp(kind, "ijazah") == 0 ||
			strcmp(kind, "akta_nikah") == 0 || strcmp(kind, "document") == 0)
		return "document";
	return "record"; /* kept by the server, unused: summaries, strokes */
}

static void add_field(struct upload_job *job, const char *key, const char *value)
{
	size_t n = job->in.n_applicant;

	if (!*value)
		return; /* an optional field left empty is not sent */
	snprintf(job->values[n], sizeof(job->values[n]), "%s", value);
	job->fields[n] = (struct rk_packet_field){ key, job->values[n] };
	job->in.n_applicant++;
}

/* The packet's input from @e: its applicant, SOP times and artifacts. */
static int fill(struct upload_job *job, struct rk_enrollment *e)
{
	const struct rk_applicant *a = &e->applicant;
	char rt_rw[16];
	size_t n = 0;

	if (e->n_captures > RK_PACKET_MAX_ARTIFACTS)
		return -E2BIG;
	snprintf(job->nik, sizeof(job->nik), "%s", a->nik);
	snprintf(job->station, sizeof(job->station), "%s", job->d->config->station_id);
	job->in.station_id = job->station;
	job->in.nik = job->nik;
	job->in.applicant = job->fields;
	add_field(job, "name", a->name);
	add_field(job, "birth_place", a->birth_place);
	add_field(job, "birth_date", a->birth_date);
	add_field(job, "sex", a->sex == RK_SEX_FEMALE ? "F" : "M");
	add_field(job, "blood_type", a->blood_type);
	add_field(job, "address", a->address);
	snprintf(rt_rw, sizeof(rt_rw), "%s/%s", a->rt, a->rw);
	add_field(job, "rt_rw", rt_rw);
	add_field(job, "village", a->village);
	add_field(job, "district", a->district);
	add_field(job, "religion", a->religion);
	add_field(job, "marital_status", a->marital_status);
	add_field(job, "occupation", a->occupation);
	add_field(job, "citizenship", a->citizenship);
	job->in.sop = job->times;
	for (size_t i = 0; i < e->n_steps && job->in.n_sop < 16; i++) {
		size_t k = job->in.n_sop++;

		snprintf(job->steps[k], sizeof(job->steps[k]), "%s",
			rk_enrollment_state_name(e->steps[i].state));
		job->times[k] = (struct rk_packet_time){ job->steps[k], e->steps[i].at_ms / 1000 };
	}
	for (size_t i = 0; i < e->n_captures; i++) {
		const struct rk_capture_link *c = &e->captures[i];
		int err = rk_artifact_get_meta(job->d->store, c->handle, &job->metas[n]);

		if (err)
			return err;
		job->in.n_artifacts = n + 1; /* cleared on failure too */
		snprintf(job->names[n], sizeof(job->names[n]), "%.48s-%zu", c->kind, n + 1);
		job->parts[n] = (struct rk_packet_artifact){
			.name = job->names[n],
			.type = packet_type(c->kind),
			.format = job->metas[n].format,
			.stored = &job->metas[n],
			.sha256 = job->metas[n].sha256,
		};
		n++;
	}
	job->in.artifacts = job->parts;
	job->in.n_artifacts = n;
	if (asprintf(&job->dir, "%s/artifacts", job->d->state_dir) < 0) {
		job->dir = NULL;
		return -ENOMEM;
	}
	job->in.artifact_dir = job->dir;
	return 0;
}

static void build_work(void *data)
{
	struct upload_job *job = data;

	job->ran = true;
	job->err = rk_packet_build(&job->in, &job->d->central->keys, job->d->central->outbox,
		job->id, &job->error);
}

static int enqueue_txn(struct rk_store *store, struct rk_enrollment *e, void *data)
{
	struct upload_job *job = data;

	(void)store;
	(void)e;
	return rk_uploader_enqueue(job->d->central->uploader, job->id);
}

static void build_done(void *data)
{
	struct upload_job *job = data;
	struct rk_daemon *d = job->d;
	struct rk_enrollment *e = d->enrollments ?
		rk_enrollments_find(d->enrollments, job->enrollment) : NULL;
	DBusMessage *reply = NULL;
	bool queued = false;
	int err = job->err;

	if (job->ran && !err)
		rk_crash_point("upload.built"); /* in the outbox, not queued */
	if (!job->ran || !e || !d->central || !d->central->uploader) {
		reply = rk_dbus_error(job->call, RK_DBUS_ERROR_CANCELLED, "rekamd is stopping");
	} else if (err) {
		reply = rk_dbus_error(job->call, RK_DBUS_ERROR_FAILED, "The packet could not be "
			"built: %s", job->error ? job->error : strerror(-err));
	} else if (e->state != RK_ENR_RECORDED) {
		reply = rk_pipeline_wrong_state(job->call, e, "recorded");
	} else {
		err = rk_enrollment_save(e, RK_ENR_UPLOADED, 6, job->role, job->uid, NULL,
			&(struct rk_enrollment_work){ .packet_id = job->id, .remote_status = "queued" },
			enqueue_txn, job);
		if (err)
			reply = rk_dbus_error(job->call, RK_DBUS_ERROR_FAILED, "The packet could not "
				"be queued (%s); the enrollment stays recorded", strerror(-err));
		else {
			const char *id = job->id;

			queued = true;
			rk_info("enrollment %" PRId64 ": packet %s queued", e->id, id);
			reply = dbus_message_new_method_return(job->call);
			if (reply && !dbus_message_append_args(reply, DBUS_TYPE_STRING, &id,
					DBUS_TYPE_INVALID)) {
				dbus_message_unref(reply);
				reply = NULL;
			}
		}
	}
	if (!job->err && !queued && job->id[0] && d->central)
		rk_packet_remove(d->central->outbox, job->id); /* built, never queued */
	if (reply && d->dbus && !dbus_message_get_no_reply(job->call))
		rk_dbus_send_reply(d->dbus, reply);
	else if (reply)
		dbus_message_unref(reply);
	job_free(job);
}

static DBusMessage *upload_authorized(struct rk_daemon *d, DBusMessage *msg, unsigned int roles,
		uid_t uid, void *data)
{
	struct rk_enrollment *e = rk_pipeline_enrollment_of(d, msg);
	struct upload_job *job;
	int err;

	(void)data;
	if (!e)
		return rk_dbus_error(msg, RK_DBUS_ERROR_NOT_FOUND, "No such enrollment");
	if (e->state != RK_ENR_RECORDED)
		return rk_pipeline_wrong_state(msg, e, "recorded");
	if (!d->central || !d->central->uploader)
		return rk_dbus_error(msg, RK_DBUS_ERROR_NOT_READY, "Uploads to the central server "
			"are not configured ([central] url in rekamd.conf)");
	if (!rk_record_complete(e))
		return rk_dbus_error(msg, RK_DBUS_ERROR_WRONG_STATE, "Enrollment %" PRId64 " lacks "
			"recorded items; take them with Capture", e->id);
	job = calloc(1, sizeof(*job));
	if (!job)
		return NULL;
	job->d = d;
	job->enrollment = e->id;
	job->role = rk_roles_first(roles);
	job->uid = uid;
	err = fill(job, e);
	if (err) {
		job_free(job);
		return rk_dbus_error(msg, RK_DBUS_ERROR_FAILED, "The recorded artifacts cannot be "
			"read: %s", strerror(-err));
	}
	job->call = dbus_message_ref(msg);
	if (rk_worker_submit(d->workers, build_work, build_done, job) < 0) {
		job_free(job);
		return rk_dbus_error(msg, RK_DBUS_ERROR_FAILED, "Out of memory");
	}
	rk_crash_point("upload.building");
	return NULL;
}

DBusMessage *rk_pipeline_upload(DBusConnection *conn, DBusMessage *msg, void *data)
{
	struct rk_enrollment *e = data;

	(void)conn;
	return rk_roles_authorize(rk_enrollments_data(e->set), msg, RK_ROLE_BIT(RK_ROLE_OPERATOR),
		upload_authorized, NULL);
}

/* --- the server's answer --------------------------------------------------- */

static struct rk_enrollment *by_packet(struct rk_daemon *d, const char *id)
{
	for (size_t i = 0; d->enrollments && i < rk_enrollments_count(d->enrollments); i++) {
		struct rk_enrollment *e = rk_enrollments_at(d->enrollments, i);

		if (e->state == RK_ENR_UPLOADED && strcmp(e->packet_id, id) == 0)
			return e;
	}
	return NULL;
}

/* The role and user of the Upload: the server's answer is recorded as theirs. */
static void uploader_of(const struct rk_enrollment *e, enum rk_role *role, uid_t *uid)
{
	*role = RK_ROLE_OPERATOR;
	*uid = 0;
	for (size_t i = e->n_steps; i-- > 0;)
		if (e->steps[i].state == RK_ENR_UPLOADED) {
			*role = e->steps[i].role;
			*uid = e->steps[i].uid;
			return;
		}
}

static void apply(struct rk_daemon *d, struct rk_enrollment *e, const struct rk_upload_info *info)
{
	const char *status = rk_upload_state_name(info->state);
	char note[600];
	enum rk_role role;
	uid_t uid;
	int err = 0;

	uploader_of(e, &role, &uid);
	switch (info->state) {
	case RK_UPLOAD_PRINT_READY:
		err = rk_enrollment_save(e, RK_ENR_PRINT_READY, 6, role, uid, NULL,
			&(struct rk_enrollment_work){ .remote_status = status }, NULL, NULL);
		break;
	case RK_UPLOAD_DUPLICATE:
		snprintf(note, sizeof(note), "duplicate (data ganda): %s%s%s", info->reason,
			info->duplicate_of[0] ? "; earlier packet " : "", info->duplicate_of);
		err = rk_enrollment_save(e, RK_ENR_RETURNED, 6, role, uid, note,
			&(struct rk_enrollment_work){ .remote_status = status }, NULL, NULL);
		break;
	case RK_UPLOAD_REJECTED:
	case RK_UPLOAD_FAILED:
		snprintf(note, sizeof(note), "the central server %s the packet: %s",
			info->state == RK_UPLOAD_REJECTED ? "rejected" : "refused", info->reason);
		err = rk_enrollment_save(e, RK_ENR_REJECTED, 6, role, uid, note,
			&(struct rk_enrollment_work){ .remote_status = status }, NULL, NULL);
		break;
	default:
		if (strcmp(e->remote_status, status) != 0)
			err = rk_enrollment_save(e, e->state, 0, role, uid, NULL,
				&(struct rk_enrollment_work){ .remote_status = status }, NULL, NULL);
		break;
	}
	if (err)
		rk_error("enrollment %" PRId64 ": cannot record the server's answer %s: %s; it is "
			"read again at the next start", e->id, status, strerror(-err));
	(void)d;
}

static void upload_news(struct rk_uploader *u, const struct rk_upload_info *info, void *data)
{
	struct rk_daemon *d = data;
	struct rk_enrollment *e;

	(void)u;
	if (!info)
		return;
	e = by_packet(d, info->packet_id);
	if (!e)
		return;
	if (info->state == RK_UPLOAD_SENDING) {
		/* a submit on the wire: how far it is, as the enrollment's Progress */
		rk_pipeline_progress(d, e, "upload", info->bytes_total ?
			(double)info->bytes_sent / (double)info->bytes_total : -1.0,
			"sending the packet: %" PRIu64 " of %" PRIu64 " kB", info->bytes_sent / 1024,
			info->bytes_total / 1024);
		return;
	}
	apply(d, e, info);
}

/* Packets an Upload built but never queued (rekamd stopped in between):
 * the enrollment stayed recorded and its next Upload builds a new one. */
static void remove_unqueued(struct rk_daemon *d, struct rk_uploader *u)
{
	DIR *dir = opendir(d->central->outbox);
	struct dirent *de;

	if (!dir)
		return;
	while ((de = readdir(dir))) {
		struct rk_upload_info info;

		if (!rk_packet_id_valid(de->d_name) || rk_uploader_get(u, de->d_name, &info) != -ENOENT)
			continue;
		rk_notice("outbox: packet %s was built but never queued; removed", de->d_name);
		rk_packet_remove(d->central->outbox, de->d_name);
	}
	closedir(dir);
}

int rk_pipeline_upload_start(struct rk_daemon *d)
{
	struct rk_uploader *u = d->central ? d->central->uploader : NULL;

	if (!u || !d->enrollments)
		return 0;
	if (rk_uploader_listen(u, upload_news, d) < 0)
		return -ENOSPC;
	remove_unqueued(d, u);
	/* What the server said while rekamd was not running. */
	for (size_t i = 0; i < rk_enrollments_count(d->enrollments); i++) {
		struct rk_enrollment *e = rk_enrollments_at(d->enrollments, i);
		struct rk_upload_info info;

		if (e->state == RK_ENR_UPLOADED && rk_uploader_get(u, e->packet_id, &info) == 0)
			apply(d, e, &info);
	}
	return 0;
}
