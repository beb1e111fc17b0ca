// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * rekam - KTP-el recording station daemon
 *
 * central.c - the central server link of rekamd (see central.h): keys and
 * uploader from the configuration, PropertiesChanged on the manager when
 * the upload queue or the server's reachability changes, and the issuance
 * reports' answers passed on to the enrollments (biometrics.c).
 */
#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/biometrics.h"
#include "daemon/central.h"
#include "daemon/config.h"
#include "daemon/daemon.h"
#include "daemon/log.h"
#include "daemon/manager.h"
#include "daemon/pipeline.h"

static void on_upload(struct rk_uploader *u, const struct rk_upload_info *info, void *data)
{
	struct rk_daemon *d = data;

	if (info)
		return; /* packet progress is the pipeline's to show */
	rk_manager_changed(d, "UploadQueueLength");
	rk_manager_changed(d, "OldestQueuedSince");
	rk_manager_changed(d, "CentralReachable");
}

/* The central server has (or refused) a card's issuance report. */
static void on_issuance(struct rk_uploader *u, int64_t enrollment, bool accepted,
		const char *reason, void *data)
{
	struct rk_daemon *d = data;
	struct rk_enrollment *e = d->enrollments ? rk_enrollments_find(d->enrollments,
		enrollment) : NULL;

	(void)u;
	(void)reason;
	if (e)
		rk_pipeline_work_changed(d, e); /* IssuanceReport */
	if (accepted)
		rk_biometrics_issuance_accepted(d, enrollment);
}

static int setup(struct rk_daemon *d, struct rk_central *c)
{
	const struct rk_config *cfg = d->config;
	struct rk_uploader_config uc = {
		.url = cfg->central_url, .ca = cfg->central_ca, .cert = cfg->central_cert,
		.key = cfg->central_key, .max_concurrent = cfg->central_max_concurrent,
		.backoff_initial_ms = cfg->central_backoff_initial,
		.backoff_max_ms = cfg->central_backoff_max,
	};
	const char *signing_key = cfg->central_signing_key ? cfg->central_signing_key :
		cfg->central_key;
	char *error = NULL;

	if (!signing_key || !cfg->central_encryption_cert) {
		rk_error("central: [central] needs key (or signing-key) and encryption-cert; "
			 "running without uploads");
		return -EINVAL;
	}
	c->keys.station = rk_packet_load_private_key(signing_key, &error);
	if (c->keys.station)
		c->keys.recipient = rk_packet_load_public_key(cfg->central_encryption_cert, &error);
	if (c->keys.recipient)
		c->uploader = rk_uploader_new(d->base, d->store, c->outbox, &uc, &error);
	if (!c->uploader) {
		rk_error("central: %s; running without uploads", error ? error : "out of memory");
		free(error);
		return -EINVAL;
	}
	rk_uploader_listen(c->uploader, on_upload, d);
	rk_uploader_listen_issuance(c->uploader, on_issuance, d);
	rk_info("central: uploads to %s, %u queued", cfg->central_url,
		rk_uploader_queue_length(c->uploader));
	return 0;
}

int rk_central_start(struct rk_daemon *d)
{
	struct rk_central *c = calloc(1, sizeof(*c));

	if (!c || asprintf(&c->outbox, "%s/%s", d->state_dir, RK_OUTBOX_NAME) < 0) {
		free(c);
		return -ENOMEM;
	}
	d->central = c;
	if (rk_packet_cleanup(c->outbox) > 0)
		rk_notice("central: removed packets half built when rekamd stopped");
	if (!d->config->central_url) {
		rk_info("central: no [central] url: running without uploads");
		return 0;
	}
	setup(d, c);
	return 0;
}

void rk_central_stop(struct rk_daemon *d)
{
	struct rk_central *c = d->central;

	if (!c)
		return;
	rk_uploader_free(c->uploader);
	EVP_PKEY_free(c->keys.station);
	EVP_PKEY_free(c->keys.recipient);
	free(c->outbox);
	free(c);
	d->central = NULL;
}

int rk_central_submit(struct rk_central *c, const struct rk_packet_input *in,
		char id[RK_PACKET_ID_LEN + 1], char **error)
{
	int r;

	*error = NULL;
	if (!c || !c->uploader) {
		*error = strdup("uploads to the central server are not configured");
		return -ENOTCONN;
	}
	r = rk_packet_build(in, &c->keys, c->outbox, id, error);
	if (r < 0)
		return r;
	r = rk_uploader_enqueue(c->uploader, id);
	if (r < 0 && asprintf(error, "cannot queue packet %s: %s", id, strerror(-r)) < 0)
		*error = NULL;
	return r;
}

unsigned int rk_central_queue_length(const struct rk_central *c)
{
	return c && c->uploader ? rk_uploader_queue_length(c->uploader) : 0;
}

int64_t rk_central_oldest(const struct rk_central *c)
{
	return c && c->uploader ? rk_uploader_oldest(c->uploader) : 0;
}

bool rk_central_reachable(const struct rk_central *c)
{
	return c && c->uploader && rk_uploader_reachable(c->uploader);
}
