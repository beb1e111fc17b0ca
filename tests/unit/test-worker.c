// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * rekam - unit tests
 *
 * test-worker.c - unit tests of the worker pool (worker.c) on a real
 * event_base: which thread runs work and done, the start order, running in
 * parallel, rk_worker_pending, many jobs, and freeing a busy pool (running,
 * finished and queued jobs, submissions during the free, a free from a done
 * function), and draining (queued jobs run; a job that stays blocked is
 * reported). No check depends on timing: whatever waits, waits on a
 * condition, and a generous alarm ends a test that hangs.
 */
#include <config.h>

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "daemon/worker.h"
#include "tap.h"

#define HANG_SECONDS 600 /* a hung test is killed by SIGALRM after this */
#define WAIT_SECONDS 60	 /* a gate that never opens counts as a failure after this */
#define MANY 10000
#define QUEUED 9

static struct event_base *base;
static pthread_t loop_thread;

/* --- helpers --------------------------------------------------------------- */

/* A counter that threads can wait on. */
struct counter {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int value;
};

static void counter_init(struct counter *c)
{
	pthread_mutex_init(&c->lock, NULL);
	pthread_cond_init(&c->cond, NULL);
	c->value = 0;
}

static void counter_add(struct counter *c, int n)
{
	pthread_mutex_lock(&c->lock);
	c->value += n;
	pthread_cond_broadcast(&c->cond);
	pthread_mutex_unlock(&c->lock);
}

/* Wait until the counter reaches @want; false after WAIT_SECONDS. */
static bool counter_wait(struct counter *c, int want)
{
	struct timespec until;
	int rc = 0;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += WAIT_SECONDS;
	pthread_mutex_lock(&c->lock);
	while (c->value < want && rc != ETIMEDOUT)
		rc = pthread_cond_timedwait(&c->cond, &c->lock, &until);
	rc = c->value >= want;
	pthread_mutex_unlock(&c->lock);
	return rc;
}

static void counter_reset(struct counter *c)
{
	pthread_mutex_lock(&c->lock);
	c->value = 0;
	pthread_mutex_unlock(&c->lock);
}

/* Run the loop until every job of @pool is done. */
static void run_until_idle(struct rk_worker_pool *pool)
{
	while (rk_worker_pending(pool) > 0)
		event_base_loop(base, EVLOOP_ONCE);
}

static struct rk_worker_pool *new_pool(unsigned int threads)
{
	struct rk_worker_pool *pool = rk_worker_pool_new(base, threads);

	if (!pool)
		tap_bail("cannot make a pool of %u threads", threads);
	return pool;
}

/* --- threads --------------------------------------------------------------- */

struct where {
	pthread_t work_thread, done_thread;
	bool worked, done, done_after_work;
	bool signals_blocked;
};

static bool termination_signals_blocked(void)
{
	sigset_t set;

	pthread_sigmask(SIG_BLOCK, NULL, &set);
	return sigismember(&set, SIGTERM) == 1 && sigismember(&set, SIGINT) == 1 &&
	       sigismember(&set, SIGHUP) == 1;
}

static void where_work(void *data)
{
	struct where *w = data;

	w->work_thread = pthread_self();
	w->signals_blocked = termination_signals_blocked();
	w->worked = true;
}

static void where_done(void *data)
{
	struct where *w = data;

	w->done_thread = pthread_self();
	w->done_after_work = w->worked;
	w->done = true;
}

static void test_threads(void)
{
	struct rk_worker_pool *pool = new_pool(2);
	struct where w = {0}, only_done = {0}, only_work = {0};

	tap_ok(!termination_signals_blocked(), "threads: the loop thread's signal mask is kept");
	tap_is_int(rk_worker_submit(pool, where_work, where_done, &w), 0, "threads: submit");
	run_until_idle(pool);
	tap_ok(w.worked && w.done, "threads: work and done both ran");
	tap_ok(w.worked && !pthread_equal(w.work_thread, loop_thread),
		"threads: work ran on another thread");
	tap_ok(w.done && pthread_equal(w.done_thread, loop_thread),
		"threads: done ran on the loop thread");
	tap_ok(w.done_after_work, "threads: done ran after work");
	tap_ok(w.signals_blocked, "threads: SIGTERM, SIGINT and SIGHUP are blocked in workers");

	/* either function may be NULL */
	tap_is_int(rk_worker_submit(pool, NULL, where_done, &only_done), 0,
		"threads: work may be NULL");
	tap_is_int(rk_worker_submit(pool, where_work, NULL, &only_work), 0,
		"threads: done may be NULL");
	run_until_idle(pool);
	tap_ok(rk_worker_pending(pool) == 0 && only_done.done && only_work.worked,
		"threads: ... both complete");
	rk_worker_pool_free(pool);
}

static void test_new(void)
{
	tap_ok(rk_worker_pool_new(base, 0) == NULL, "new: 0 threads is refused");
	tap_ok(rk_worker_pool_new(base, 17) == NULL, "new: 17 threads is refused");
	tap_ok(rk_worker_pool_new(NULL, 1) == NULL, "new: no event_base is refused");
	rk_worker_pool_free(NULL);
	tap_ok(true, "free(NULL) is fine");
	rk_worker_pool_free(new_pool(16));
	tap_ok(true, "a pool of 16 threads is made and freed");
}

/* --- order ----------------------------------------------------------------- */

#define ORDER_JOBS 100

static int started[ORDER_JOBS], n_started;
static int finished[ORDER_JOBS], n_finished;
static int order_index[ORDER_JOBS];

static void order_work(void *data)
{
	started[n_started++] = *(int *)data; /* one worker: no other writer */
}

static void order_done(void *data)
{
	finished[n_finished++] = *(int *)data;
}

static void test_order(void)
{
	struct rk_worker_pool *pool = new_pool(1);
	bool in_order = true;
	int i;

	for (i = 0; i < ORDER_JOBS; i++) {
		order_index[i] = i;
		rk_worker_submit(pool, order_work, order_done, &order_index[i]);
	}
	run_until_idle(pool);
	tap_is_int(n_started, ORDER_JOBS, "order: all jobs started");
	for (i = 0; i < n_started; i++)
		in_order = in_order && started[i] == i;
	tap_ok(in_order, "order: with one thread jobs start in the order submitted");
	in_order = n_finished == ORDER_JOBS;
	for (i = 0; i < n_finished; i++)
		in_order = in_order && finished[i] == i;
	tap_ok(in_order, "order: ... and their done functions run in that order");
	rk_worker_pool_free(pool);
}

/* --- parallelism ------------------------------------------------------------- */

/* Each job arrives and waits for all the others: passes only if they run at once. */
static struct counter arrived;
static bool met[4];

static void meet_work(void *data)
{
	bool *ok = data;

	counter_add(&arrived, 1);
	*ok = counter_wait(&arrived, 4);
}

static void test_parallel(void)
{
	struct rk_worker_pool *pool = new_pool(4);
	int i;

	counter_reset(&arrived);
	for (i = 0; i < 4; i++)
		rk_worker_submit(pool, meet_work, NULL, &met[i]);
	run_until_idle(pool);
	tap_ok(met[0] && met[1] && met[2] && met[3],
		"parallel: 4 jobs waiting for each other all complete on 4 threads");
	rk_worker_pool_free(pool);
}

/* --- pending ----------------------------------------------------------------- */

static struct counter worked;
static unsigned int pending_in_done;
static struct rk_worker_pool *pending_pool;

static void count_work(void *data)
{
	counter_add(&worked, 1);
}

static void pending_done(void *data)
{
	pending_in_done = rk_worker_pending(pending_pool);
}

static void test_pending(void)
{
	struct rk_worker_pool *pool = new_pool(1);

	pending_pool = pool;
	counter_reset(&worked);
	tap_is_int(rk_worker_pending(pool), 0, "pending: 0 for a new pool");
	rk_worker_submit(pool, count_work, NULL, NULL);
	rk_worker_submit(pool, count_work, NULL, NULL);
	rk_worker_submit(pool, count_work, pending_done, NULL);
	tap_is_int(rk_worker_pending(pool), 3, "pending: 3 after 3 submits");
	tap_ok(counter_wait(&worked, 3), "pending: the 3 jobs have run");
	tap_is_int(rk_worker_pending(pool), 3,
		"pending: still 3 while their done functions have not run");
	run_until_idle(pool);
	tap_is_int(pending_in_done, 1, "pending: a done function sees its own job counted");
	tap_is_int(rk_worker_pending(pool), 0, "pending: 0 once all are done");
	rk_worker_pool_free(pool);
}

/* --- many jobs --------------------------------------------------------------- */

struct many {
	int work_calls, done_calls;
	bool done_saw_work;
};

static struct many *many_jobs;

static void many_work(void *data)
{
	struct many *m = data;

	m->work_calls++;
}

static void many_done(void *data)
{
	struct many *m = data;

	m->done_saw_work = m->work_calls == 1;
	m->done_calls++;
}

static void test_many(void)
{
	struct rk_worker_pool *pool = new_pool(4);
	int i, bad_work = 0, bad_done = 0, bad_order = 0, failed = 0;

	many_jobs = calloc(MANY, sizeof(*many_jobs));
	if (!many_jobs)
		tap_bail("out of memory");
	for (i = 0; i < MANY; i++)
		failed += rk_worker_submit(pool, many_work, many_done, &many_jobs[i]) != 0;
	tap_is_int(failed, 0, "many: %d submits succeed", MANY);
	run_until_idle(pool);
	for (i = 0; i < MANY; i++) {
		bad_work += many_jobs[i].work_calls != 1;
		bad_done += many_jobs[i].done_calls != 1;
		bad_order += !many_jobs[i].done_saw_work;
	}
	tap_is_int(bad_work, 0, "many: every work function ran exactly once");
	tap_is_int(bad_done, 0, "many: every done function ran exactly once");
	tap_is_int(bad_order, 0, "many: every done function ran after its work");
	rk_worker_pool_free(pool);
	free(many_jobs);
}

/* --- free ------------------------------------------------------------------ */

struct job_rec {
	int id;
	int work_calls, done_calls;
	int submit_in_done; /* what rk_worker_submit returned inside done */
};

static struct counter gate; /* opened by the helper thread */
static struct counter first_started;
static struct rk_worker_pool *free_pool;
static int done_order[QUEUED + 1], n_done_order;
static int helper_submits, helper_last;
static int extra_done_calls;

static void blocked_work(void *data)
{
	struct job_rec *r = data;

	r->work_calls++;
	counter_add(&first_started, 1);
	if (!counter_wait(&gate, 1))
		tap_diag("free: the gate never opened");
}

static void rec_work(void *data)
{
	struct job_rec *r = data;

	r->work_calls++;
}

static void rec_done(void *data)
{
	struct job_rec *r = data;

	r->done_calls++;
	if (n_done_order < QUEUED + 1)
		done_order[n_done_order++] = r->id;
	r->submit_in_done = rk_worker_submit(free_pool, rec_work, rec_done, r);
}

static void extra_done(void *data)
{
	extra_done_calls++;
}

/*
 * Polls with submits until the pool says -ESHUTDOWN, that is until
 * rk_worker_pool_free() has begun, and only then lets the running job end:
 * so the queued jobs are certainly dropped. The pool is never touched after
 * -ESHUTDOWN (free cannot finish before the gate opens).
 */
static void *helper_main(void *arg)
{
	struct timespec pause = {0, 1000000};
	int err;

	counter_wait(&first_started, 1);
	while ((err = rk_worker_submit(free_pool, count_work, extra_done, NULL)) == 0) {
		helper_submits++;
		nanosleep(&pause, NULL);
	}
	helper_last = err;
	counter_add(&gate, 1);
	return NULL;
}

static void test_free_busy(void)
{
	struct job_rec recs[QUEUED + 1];
	bool dropped_ok = true, order_ok = true;
	pthread_t helper;
	int i;

	memset(recs, 0, sizeof(recs));
	counter_reset(&gate);
	counter_reset(&first_started);
	free_pool = new_pool(1);
	for (i = 0; i <= QUEUED; i++) {
		recs[i].id = i;
		rk_worker_submit(free_pool, i == 0 ? blocked_work : rec_work, rec_done, &recs[i]);
	}
	if (pthread_create(&helper, NULL, helper_main, NULL) != 0)
		tap_bail("cannot start the helper thread");

	counter_wait(&first_started, 1);
	rk_worker_pool_free(free_pool); /* waits for job 0, which waits for the helper */
	pthread_join(helper, NULL);

	tap_is_int(helper_last, -ESHUTDOWN,
		"free: submit from another thread during free is -ESHUTDOWN");
	tap_ok(recs[0].work_calls == 1 && recs[0].done_calls == 1,
		"free: the running job finished and its done ran once");
	for (i = 1; i <= QUEUED; i++)
		dropped_ok = dropped_ok && recs[i].work_calls == 0 && recs[i].done_calls == 1;
	tap_ok(dropped_ok, "free: %d queued jobs dropped: work not called, done called once",
		QUEUED);
	tap_is_int(extra_done_calls, helper_submits,
		"free: jobs submitted from another thread before the free got done too (%d)",
		helper_submits);
	for (i = 0; i <= QUEUED; i++)
		order_ok = order_ok && n_done_order == QUEUED + 1 && done_order[i] == i;
	tap_ok(order_ok, "free: done order is the finished job, then the dropped ones in order");
	for (i = 0; i <= QUEUED; i++)
		order_ok = order_ok && recs[i].submit_in_done == -ESHUTDOWN;
	tap_ok(order_ok, "free: submit from a done function during free is -ESHUTDOWN");
}

/* Jobs that ran but whose done functions the loop has not run yet. */
static void test_free_finished(void)
{
	struct rk_worker_pool *pool = new_pool(3);
	struct many jobs[5];
	int i, ok = 0;

	memset(jobs, 0, sizeof(jobs));
	counter_reset(&worked);
	for (i = 0; i < 5; i++)
		rk_worker_submit(pool, many_work, many_done, &jobs[i]);
	for (i = 0; i < 5; i++)
		rk_worker_submit(pool, count_work, NULL, NULL);
	counter_wait(&worked, 5);
	rk_worker_pool_free(pool);
	for (i = 0; i < 5; i++)
		ok += jobs[i].done_calls == 1 && jobs[i].done_saw_work;
	tap_is_int(ok, 5, "free: done functions of finished jobs run in the free");
}

/* --- free from a done function ------------------------------------------------ */

static struct rk_worker_pool *self_pool;
static int self_done_calls;
static bool self_freed;

static void self_free_done(void *data)
{
	self_done_calls++;
	if (!self_freed) {
		self_freed = true;
		rk_worker_pool_free(self_pool);
	}
}

static void test_free_from_done(void)
{
	int i;

	self_pool = new_pool(2);
	for (i = 0; i < 20; i++)
		rk_worker_submit(self_pool, NULL, self_free_done, NULL);
	while (!self_freed)
		event_base_loop(base, EVLOOP_ONCE);
	tap_is_int(self_done_calls, 20, "free from a done function: every done still runs once");
	/* the pool's event is gone: this returns at once with nothing to do */
	tap_is_int(event_base_loop(base, EVLOOP_NONBLOCK), 1,
		"free from a done function: the pool's event is removed");
}

/* --- drain ------------------------------------------------------------------- */

static struct counter drained, drain_gate;

static void drain_work(void *data)
{
	counter_add(&drained, 1);
}

static void drain_blocked_work(void *data)
{
	counter_add(&first_started, 1);
	if (!counter_wait(&drain_gate, 1))
		tap_diag("drain: the gate never opened");
	counter_add(&drained, 1);
}

static void drain_done(void *data)
{
	(*(int *)data)++;
}

/* Queued jobs run in a drain (they are not dropped as in a free). */
static void test_drain(void)
{
	struct rk_worker_pool *pool = new_pool(1);
	int i, done_calls = 0;

	counter_reset(&drained);
	for (i = 0; i < 6; i++)
		rk_worker_submit_labelled(pool, "drain test", drain_work, drain_done, &done_calls);
	tap_is_int(rk_worker_pool_drain(pool, WAIT_SECONDS * 1000), 0,
		"drain: 0 once every job ran");
	tap_is_int(drained.value, 6, "drain: the queued jobs ran too");
	tap_is_int(done_calls, 0, "drain: done functions wait for the loop or the free");
	rk_worker_pool_free(pool);
	tap_is_int(done_calls, 6, "drain: ... and then run once each");
	tap_is_int(rk_worker_pool_drain(NULL, 0), 0, "drain: a NULL pool is drained");
}

/* A job blocked past the limit: -ETIMEDOUT, and the pool still works after it. */
static void test_drain_blocked(void)
{
	struct rk_worker_pool *pool = new_pool(2);
	int done_calls = 0;

	counter_reset(&drained);
	counter_reset(&drain_gate);
	counter_reset(&first_started);
	rk_worker_submit_labelled(pool, "device test (plugin blocked-sim)", drain_blocked_work,
		drain_done, &done_calls);
	rk_worker_submit(pool, drain_work, drain_done, &done_calls);
	counter_wait(&first_started, 1);
	tap_is_int(rk_worker_pool_drain(pool, 50), -ETIMEDOUT,
		"drain: a job blocked past the limit gives -ETIMEDOUT");
	counter_add(&drain_gate, 1);
	tap_is_int(rk_worker_pool_drain(pool, WAIT_SECONDS * 1000), 0,
		"drain: once it returns, the pool drains");
	tap_is_int(drained.value, 2, "drain: both jobs ran");
	run_until_idle(pool);
	tap_is_int(done_calls, 2, "drain: their done functions run on the loop as usual");
	rk_worker_pool_free(pool);
}

int main(void)
{
	alarm(HANG_SECONDS);
	loop_thread = pthread_self();
	counter_init(&arrived);
	counter_init(&worked);
	counter_init(&gate);
	counter_init(&first_started);
	counter_init(&drained);
	counter_init(&drain_gate);
	base = event_base_new();
	if (!base)
		tap_bail("cannot make an event_base");

	test_new();
	test_threads();
	test_order();
	test_parallel();
	test_pending();
	test_many();
	test_free_busy();
	test_free_finished();
	test_free_from_done();
	test_drain();
	test_drain_blocked();

	event_base_free(base);
	return tap_done();
}
