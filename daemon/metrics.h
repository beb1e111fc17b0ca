/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * rekam - KTP-el recording station daemon
 *
 * metrics.h - Prometheus metrics on a loopback port (metrics.c).
 */
#pragma once

struct rk_daemon;
struct rk_metrics;

/* Serve GET /metrics on [metrics] listen= when it is set: 0 (also when not
 * set), -EADDRINUSE (logged; rekamd runs on without metrics), -ENOMEM. */
int rk_metrics_start(struct rk_daemon *d);
/* Stop serving (NULL is fine). */
void rk_metrics_stop(struct rk_metrics *m);
/* After a configuration reload: follow a changed listen= address. */
void rk_metrics_reload(struct rk_daemon *d);
