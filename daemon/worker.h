/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * rekam - KTP-el recording station daemon
 *
 * worker.h - a small pool of threads for calls that can only block (vendor
 * SDKs, libgphoto2, SANE). A job's work function runs on a worker thread; its
 * done function then runs on the event loop, woken through an eventfd.
 */
#pragma once

#include <event2/event.h>

struct rk_worker_pool;

typedef void (*rk_worker_fn)(void *data);

/* @threads workers (1 to 16) feeding results back to @base. NULL on failure. */
struct rk_worker_pool *rk_worker_pool_new(struct event_base *base, unsigned int threads);

/*
 * Queue a job: @work(data) on a worker, then @done(data) on the loop (either
 * may be NULL). Jobs start in the order they were submitted. 0, -ENOMEM, or
 * -ESHUTDOWN once the pool is being freed (or for a NULL pool: freed already).
 */
int rk_worker_submit(struct rk_worker_pool *pool, rk_worker_fn work, rk_worker_fn done, void *data);

/* The same, naming the job @label (copied; cut at 79 bytes; NULL for none)
 * for the log when it holds up rk_worker_pool_drain(). */
int rk_worker_submit_labelled(struct rk_worker_pool *pool, const char *label, rk_worker_fn work,
		rk_worker_fn done, void *data);

/* Jobs queued or running (not yet done on the loop). */
unsigned int rk_worker_pending(struct rk_worker_pool *pool);

/*
 * Wait up to @timeout_ms for the workers to run every queued job and finish
 * the running ones (their done functions wait for the loop or for
 * rk_worker_pool_free()). 0 once no job is queued or running; -ETIMEDOUT if
 * one still is, after logging (at warning level) each job still running,
 * by its label. Jobs may be submitted meanwhile. From the loop thread.
 */
int rk_worker_pool_drain(struct rk_worker_pool *pool, unsigned int timeout_ms);

/*
 * Stop accepting jobs (rk_worker_submit() then returns -ESHUTDOWN), wait for
 * the running ones to finish and join the threads. Queued jobs that have not
 * started are dropped: their work function is not called. Then, on the
 * calling thread, the done function of every job not done yet is called,
 * exactly once: first the jobs that ran, then the dropped ones (so every
 * job's data can be freed; a done function that must know whether its work
 * ran records that in its data). Finally the pool is freed. May be called
 * from a done function, not from a work function. NULL is fine.
 */
void rk_worker_pool_free(struct rk_worker_pool *pool);
