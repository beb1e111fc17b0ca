/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * rekam - KTP-el recording station daemon
 *
 * central.h - rekamd's link to the central server: from the [central]
 * section of the configuration, the station and central keys, the outbox
 * in the state directory and the uploader (uploader.h), and the manager's
 * D-Bus properties that show the upload queue. The pipeline builds and
 * queues packets through rk_central_submit().
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "daemon/packet.h"
#include "daemon/uploader.h"

#define RK_OUTBOX_NAME "outbox" /* under the state directory */

struct rk_daemon;

struct rk_central {
	struct rk_uploader *uploader; /* NULL when uploads are not configured */
	struct rk_packet_keys keys;
	char *outbox;
};

/* Set up d->central from the configuration. Without [central] url, or with
 * an unusable one (logged with the reason), the station runs without
 * uploads: 0 all the same. -ENOMEM only. */
int rk_central_start(struct rk_daemon *d);
void rk_central_stop(struct rk_daemon *d);

/* Build a packet from @in and queue it: its id in @id. -ENOTCONN when
 * uploads are not configured; else as rk_packet_build() and
 * rk_uploader_enqueue(), with *@error saying why. */
int rk_central_submit(struct rk_central *c, const struct rk_packet_input *in,
		char id[RK_PACKET_ID_LEN + 1], char **error);

/* For the manager's properties: 0 / 0 / false without an uploader. */
unsigned int rk_central_queue_length(const struct rk_central *c);
int64_t rk_central_oldest(const struct rk_central *c);
bool rk_central_reachable(const struct rk_central *c);
