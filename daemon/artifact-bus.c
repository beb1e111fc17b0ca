// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * rekam - KTP-el recording station daemon
 *
 * artifact-bus.c - artifacts on D-Bus: the metadata dictionary every reply
 * uses, and ReadArtifact, which reads (and checks) the bytes on a worker
 * thread so that the loop never waits for the disk.
 */
#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/artifact-bus.h"
#include "daemon/artifact.h"
#include "daemon/audit-bus.h"
#include "daemon/daemon.h"
#include "daemon/dbus-error.h"
#include "daemon/dbus-object.h"
#include "daemon/log.h"
#include "daemon/worker.h"

bool rk_artifact_append_meta(DBusMessageIter *array, const struct rk_artifact_meta *m)
{
	const char *handle = m->handle, *sha = m->sha256;
	const char *device = m->device ? m->device : "";
	dbus_int32_t quality = m->quality;
	dbus_uint64_t size = m->size;
	dbus_int64_t created = m->created;
	DBusMessageIter dict;

	return dbus_message_iter_open_container(array, DBUS_TYPE_ARRAY, "{sv}", &dict) &&
		rk_dbus_dict_append(&dict, "Handle", DBUS_TYPE_STRING, &handle) &&
		rk_dbus_dict_append(&dict, "Kind", DBUS_TYPE_STRING, &m->kind) &&
		rk_dbus_dict_append(&dict, "Format", DBUS_TYPE_STRING, &m->format) &&
		rk_dbus_dict_append(&dict, "Width", DBUS_TYPE_UINT32, &m->width) &&
		rk_dbus_dict_append(&dict, "Height", DBUS_TYPE_UINT32, &m->height) &&
		rk_dbus_dict_append(&dict, "Dpi", DBUS_TYPE_UINT32, &m->dpi) &&
		rk_dbus_dict_append(&dict, "Quality", DBUS_TYPE_INT32, &quality) &&
		rk_dbus_dict_append(&dict, "Size", DBUS_TYPE_UINT64, &size) &&
		rk_dbus_dict_append(&dict, "Sha256", DBUS_TYPE_STRING, &sha) &&
		rk_dbus_dict_append(&dict, "Device", DBUS_TYPE_STRING, &device) &&
		rk_dbus_dict_append(&dict, "Created", DBUS_TYPE_INT64, &created) &&
		dbus_message_iter_close_container(array, &dict);
}

struct read_job {
	struct rk_daemon *d;
	DBusMessage *call;
	struct rk_artifact_meta meta;
	char *dir;
	void *data;
	size_t size;
	int err;
	bool ran;
};

static void read_work(void *data)
{
	struct read_job *job = data;

	job->ran = true;
	job->err = rk_artifact_load(job->dir, &job->meta, &job->data, &job->size);
}

static DBusMessage *read_reply(struct read_job *job)
{
	DBusMessage *msg = dbus_message_new_method_return(job->call);
	DBusMessageIter iter, bytes;
	const unsigned char *p = job->data;

	if (!msg)
		return NULL;
	dbus_message_iter_init_append(msg, &iter);
	if (rk_artifact_append_meta(&iter, &job->meta) &&
			dbus_message_iter_open_container(&iter, DBUS_TYPE_ARRAY, "y", &bytes) &&
			dbus_message_iter_append_fixed_array(&bytes, DBUS_TYPE_BYTE, &p,
				(int)job->size) &&
			dbus_message_iter_close_container(&iter, &bytes))
		return msg;
	dbus_message_unref(msg);
	return NULL;
}

static void read_done(void *data)
{
	struct read_job *job = data;
	DBusMessage *msg = NULL;
	int err = job->ran ? job->err : -ESHUTDOWN;

	if (!err && !(msg = read_reply(job)))
		err = -ENOMEM;
	if (err == -EBADMSG)
		msg = rk_dbus_error(job->call, RK_DBUS_ERROR_FAILED,
			"Artifact %s is damaged: its bytes do not match its SHA-256",
			job->meta.handle);
	else if (err)
		msg = rk_dbus_error(job->call, RK_DBUS_ERROR_FAILED,
			"Artifact %s cannot be read: %s", job->meta.handle,
			err == -ESHUTDOWN ? "rekamd is stopping" : strerror(-err));
	rk_audit_note(job->d, job->call, "artifact.read", err ? "failed" : "ok", "%s %s (%s)",
		job->meta.handle, job->meta.kind, job->meta.device ? job->meta.device : "");
	if (msg && !dbus_message_get_no_reply(job->call))
		rk_dbus_send_reply(job->d->dbus, msg);
	else if (msg)
		dbus_message_unref(msg);
	dbus_message_unref(job->call);
	rk_artifact_meta_clear(&job->meta);
	free(job->data);
	free(job->dir);
	free(job);
}

DBusMessage *rk_artifact_bus_read(DBusConnection *conn, DBusMessage *msg, void *data)
{
	struct rk_daemon *d = data;
	struct read_job *job;
	const char *handle;
	int err;

	if (!dbus_message_get_args(msg, NULL, DBUS_TYPE_STRING, &handle, DBUS_TYPE_INVALID))
		return rk_dbus_error(msg, RK_DBUS_ERROR_INVALID_ARGUMENTS, "Expected a handle");
	job = calloc(1, sizeof(*job));
	if (!job)
		return rk_dbus_error(msg, RK_DBUS_ERROR_FAILED, "Out of memory");
	err = rk_artifact_get_meta(d->store, handle, &job->meta);
	if (err == -EINVAL || err == -ENOENT) {
		free(job);
		return rk_dbus_error(msg, err == -EINVAL ? RK_DBUS_ERROR_INVALID_ARGUMENTS :
								RK_DBUS_ERROR_NOT_FOUND,
			err == -EINVAL ? "A handle is 32 lowercase hex digits" :
					 "No artifact %.32s", handle);
	}
	if (!err && job->meta.size > RK_ARTIFACT_BUS_MAX_SIZE) {
		DBusMessage *reply = rk_dbus_error(msg, RK_DBUS_ERROR_NOT_SUPPORTED,
			"Artifact %s is %llu bytes, more than D-Bus carries (%zu)", handle,
			(unsigned long long)job->meta.size, RK_ARTIFACT_BUS_MAX_SIZE);

		rk_artifact_meta_clear(&job->meta);
		free(job);
		return reply;
	}
	job->d = d;
	job->call = dbus_message_ref(msg);
	if (!err && asprintf(&job->dir, "%s/artifacts", d->state_dir) < 0) {
		job->dir = NULL;
		err = -ENOMEM;
	}
	if (!err)
		err = rk_worker_submit(d->workers, read_work, read_done, job);
	if (!err)
		return NULL;
	dbus_message_unref(job->call);
	rk_artifact_meta_clear(&job->meta);
	free(job->dir);
	free(job);
	return rk_dbus_error(msg, RK_DBUS_ERROR_FAILED, "Artifact %.32s cannot be read: %s",
		handle, strerror(-err));
}
