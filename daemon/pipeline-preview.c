// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * rekam - KTP-el recording station daemon
 *
 * pipeline-preview.c - Enrollment.PreviewCard(): both faces of the card as
 * step 8 would print them, rendered from the recorded portrait and
 * signature on a worker (pipeline-card.c), for a person to look at before
 * a card is spent (rekamctl card preview).
 */
#include <config.h>

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>

#include "daemon/daemon.h"
#include "daemon/dbus-error.h"
#include "daemon/dbus-object.h"
#include "daemon/pipeline-card.h"
#include "daemon/pipeline.h"
#include "daemon/worker.h"

struct preview {
	struct rk_daemon *d;
	DBusMessage *call;
	struct rk_card_job *card;
};

static void preview_work(void *data)
{
	struct preview *p = data;

	rk_card_job_work(p->card);
}

static bool append_bytes(DBusMessageIter *iter, const unsigned char *data, size_t size)
{
	DBusMessageIter array;
	int n = (int)size;

	return dbus_message_iter_open_container(iter, DBUS_TYPE_ARRAY, "y", &array) &&
		dbus_message_iter_append_fixed_array(&array, DBUS_TYPE_BYTE, &data, n) &&
		dbus_message_iter_close_container(iter, &array);
}

static void preview_done(void *data)
{
	struct preview *p = data;
	DBusMessage *reply;
	DBusMessageIter iter;

	if (!p->card->ran)
		reply = rk_dbus_error(p->call, RK_DBUS_ERROR_CANCELLED, "rekamd is stopping");
	else if (p->card->err)
		reply = rk_dbus_error(p->call, RK_DBUS_ERROR_FAILED, "The card cannot be drawn: %s",
			p->card->why);
	else {
		reply = dbus_message_new_method_return(p->call);
		dbus_message_iter_init_append(reply, &iter);
		if (reply && !(append_bytes(&iter, p->card->front, p->card->front_size) &&
				append_bytes(&iter, p->card->back, p->card->back_size))) {
			dbus_message_unref(reply);
			reply = NULL;
		}
		if (!reply)
			reply = rk_dbus_error(p->call, RK_DBUS_ERROR_FAILED, "Out of memory");
	}
	if (reply && p->d->dbus && !dbus_message_get_no_reply(p->call))
		rk_dbus_send_reply(p->d->dbus, reply);
	else if (reply)
		dbus_message_unref(reply);
	dbus_message_unref(p->call);
	rk_card_job_free(p->card);
	free(p);
}

static DBusMessage *preview_authorized(struct rk_daemon *d, DBusMessage *msg, unsigned int roles,
		uid_t uid, void *data)
{
	struct rk_enrollment *e = rk_pipeline_enrollment_of(d, msg);
	struct preview *p;

	(void)roles;
	(void)uid;
	(void)data;
	if (!e)
		return rk_dbus_error(msg, RK_DBUS_ERROR_NOT_FOUND, "No such enrollment");
	p = calloc(1, sizeof(*p));
	if (!p || !(p->card = calloc(1, sizeof(*p->card)))) {
		free(p);
		return NULL;
	}
	p->d = d;
	p->card->faces_only = true;
	if (rk_card_job_prepare(p->card, d, e) < 0) {
		rk_card_job_free(p->card);
		free(p);
		return rk_dbus_error(msg, RK_DBUS_ERROR_WRONG_STATE, "Enrollment %" PRId64 " has no "
			"recorded portrait and signature yet (state %s)", e->id,
			rk_enrollment_state_name(e->state));
	}
	p->call = dbus_message_ref(msg);
	if (rk_worker_submit(d->workers, preview_work, preview_done, p) < 0) {
		dbus_message_unref(p->call);
		rk_card_job_free(p->card);
		free(p);
		return rk_dbus_error(msg, RK_DBUS_ERROR_FAILED, "Out of memory");
	}
	return NULL;
}

DBusMessage *rk_pipeline_preview_card(DBusConnection *conn, DBusMessage *msg, void *data)
{
	struct rk_enrollment *e = data;

	(void)conn;
	return rk_roles_authorize(rk_enrollments_data(e->set), msg, RK_ROLE_BIT(RK_ROLE_OPERATOR) |
		RK_ROLE_BIT(RK_ROLE_VERIFIER), preview_authorized, NULL);
}
