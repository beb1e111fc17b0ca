/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * rekam - KTP-el recording station daemon
 *
 * manager.h - the id.rekam.Station1 interface on /id/rekam/Station1: the
 * station's version, id, state and office hours, Ping and GetStatus.
 */
#pragma once

struct rk_daemon;

/* Put the manager interface on the root object. 0 or -errno. */
int rk_manager_register(struct rk_daemon *d);

/* Tell the bus that @property ("State", "StationId", ...) changed. */
void rk_manager_changed(struct rk_daemon *d, const char *property);
