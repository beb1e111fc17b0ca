// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * rekam - KTP-el recording station daemon
 *
 * worker.c - a small pool of threads for calls that can only block (see
 * worker.h).
 *
 * A job goes through two lists, both guarded by one mutex:
 *
 *   rk_worker_submit() --> queue --(a worker takes the head)--> work(data)
 *       --> done list --(eventfd wakes the loop)--> done(data) on the loop
 *
 * Workers take jobs from the head of the queue, so jobs start in the order
 * they were submitted (with several workers they may finish in any order).
 * A worker appends a finished job to the done list and then writes to the
 * eventfd; the loop reads the eventfd first and then empties the list, so no
 * wake-up is lost (at worst one finds the list already empty).
 *
 * The pool touches the event_base only from the loop thread: workers only
 * write to the eventfd, so libevent needs no locking for this module.
 *
 * Workers block SIGTERM, SIGINT and SIGHUP, so those signals are always
 * delivered to the loop thread, where libevent's evsignal handling runs.
 *
 * Freeing: rk_worker_pool_free() first makes rk_worker_submit() return
 * -ESHUTDOWN and tells the workers to stop; a worker finishes the job it is
 * running but takes no new one. Once the threads are joined, the done
 * functions run on the calling thread: first those of the jobs that ran (in
 * the order they finished), then those of the jobs still queued, in the
 * order they were submitted. A queued job is dropped: its work function is
 * NOT called, but its done function IS, exactly once, so that it can free
 * @data; a done function that must tell the two cases apart records in
 * @data whether its work function ran. Every job submitted successfully
 * thus gets its done function called exactly once, and nothing leaks.
 *
 * Draining: rk_worker_pool_drain() waits, with a limit, until the queue is
 * empty and no worker runs a job; each worker records the job it runs, so a
 * job that is still running at the limit can be named in the log. rekamd
 * drains before it frees the pool, after it has asked every device to stop,
 * so that a cancel its plugin queued still runs and a worker blocked in a
 * vendor library does not hold up the stop for ever.
 *
 * rk_worker_pool_free() may be called from a done function (the pool is
 * then released when that done function returns to the pool's dispatch);
 * it must not be called from a work function (it would wait for itself).
 */
#include <config.h>

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "daemon/worker.h"
#include "daemon/log.h"

#define MAX_THREADS 16

struct job {
	struct job *next;
	rk_worker_fn work;
	rk_worker_fn done;
	void *data;
	char label[80]; /* for the log; "" when not named */
};

/* A singly linked FIFO. */
struct job_list {
	struct job *head;
	struct job *tail;
	unsigned int n;
};

struct rk_worker_pool;

/* One worker thread. */
struct worker {
	struct rk_worker_pool *pool;
	pthread_t thread;
	struct job *job; /* the job it runs, or NULL (under the pool's lock) */
};

struct rk_worker_pool {
	struct event_base *base;
	struct event *wake; /* EV_READ | EV_PERSIST on efd */
	int efd;

	pthread_mutex_t lock;
	pthread_cond_t cond; /* signalled on a new job or on stopping */
	pthread_cond_t idle; /* signalled when a worker finishes a job */
	struct job_list queue;
	struct job_list done;
	unsigned int pending; /* submitted, done function not called yet */
	bool stopping;

	/* loop thread only */
	bool dispatching; /* inside on_wake(): free must leave the struct to it */
	bool freed;	  /* rk_worker_pool_free() was called */

	unsigned int n_threads;
	struct worker workers[MAX_THREADS];
};

/* --- lists ------------------------------------------------------------------- */

static void list_push(struct job_list *list, struct job *job)
{
	job->next = NULL;
	if (list->tail)
		list->tail->next = job;
	else
		list->head = job;
	list->tail = job;
	list->n++;
}

static struct job *list_pop(struct job_list *list)
{
	struct job *job = list->head;

	if (!job)
		return NULL;
	list->head = job->next;
	if (!list->head)
		list->tail = NULL;
	list->n--;
	job->next = NULL;
	return job;
}

/* Append all of @from to @to, leaving @from empty. */
static void list_splice(struct job_list *to, struct job_list *from)
{
	if (!from->head)
		return;
	if (to->tail)
		to->tail->next = from->head;
	else
		to->head = from->head;
	to->tail = from->tail;
	to->n += from->n;
	memset(from, 0, sizeof(*from));
}

/* --- worker threads ---------------------------------------------------------- */

static void wake_loop(struct rk_worker_pool *pool)
{
	uint64_t one = 1;

	/* EAGAIN only if the counter is near 2^64: the loop is woken anyway */
	while (write(pool->efd, &one, sizeof(one)) < 0 && errno == EINTR)
		;
}

/* The next job for @w to run, or NULL when the pool is stopping. */
static struct job *take_job(struct worker *w)
{
	struct rk_worker_pool *pool = w->pool;
	struct job *job;

	pthread_mutex_lock(&pool->lock);
	while (!pool->stopping && !pool->queue.head)
		pthread_cond_wait(&pool->cond, &pool->lock);
	job = pool->stopping ? NULL : list_pop(&pool->queue);
	w->job = job; /* rk_worker_pool_drain() looks */
	pthread_mutex_unlock(&pool->lock);
	return job;
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct rk_worker_pool *pool = w->pool;
	struct job *job;

	while ((job = take_job(w))) {
		if (job->work)
			job->work(job->data);
		pthread_mutex_lock(&pool->lock);
		w->job = NULL;
		list_push(&pool->done, job);
		pthread_cond_broadcast(&pool->idle);
		pthread_mutex_unlock(&pool->lock);
		wake_loop(pool);
	}
	return NULL;
}

/* Ask the workers to stop and wait for them; only the caller's thread is left. */
static void stop_threads(struct rk_worker_pool *pool)
{
	unsigned int i;

	pthread_mutex_lock(&pool->lock);
	pool->stopping = true;
	pthread_cond_broadcast(&pool->cond);
	pthread_mutex_unlock(&pool->lock);

	for (i = 0; i < pool->n_threads; i++)
		pthread_join(pool->workers[i].thread, NULL);
	pool->n_threads = 0;
}

/* Start @n workers with the termination signals blocked (they inherit the mask). */
static int start_threads(struct rk_worker_pool *pool, unsigned int n)
{
	sigset_t block, old;
	int err = 0;

	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGHUP);
	err = pthread_sigmask(SIG_BLOCK, &block, &old);
	if (err)
		return -err;

	while (pool->n_threads < n) {
		struct worker *w = &pool->workers[pool->n_threads];

		w->pool = pool;
		err = pthread_create(&w->thread, NULL, worker_main, w);
		if (err)
			break;
		pool->n_threads++;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return -err;
}

/* --- the loop side ----------------------------------------------------------- */

static struct job *take_done(struct rk_worker_pool *pool)
{
	struct job *job;

	pthread_mutex_lock(&pool->lock);
	job = list_pop(&pool->done);
	pthread_mutex_unlock(&pool->lock);
	return job;
}

/* Call @job's done function and forget it. */
static void finish_job(struct rk_worker_pool *pool, struct job *job)
{
	if (job->done)
		job->done(job->data);
	free(job);
	pthread_mutex_lock(&pool->lock);
	pool->pending--;
	pthread_mutex_unlock(&pool->lock);
}

static void destroy(struct rk_worker_pool *pool)
{
	if (pool->wake)
		event_free(pool->wake);
	if (pool->efd >= 0)
		close(pool->efd);
	pthread_cond_destroy(&pool->cond);
	pthread_cond_destroy(&pool->idle);
	pthread_mutex_destroy(&pool->lock);
	free(pool);
}

static void on_wake(evutil_socket_t fd, short what, void *arg)
{
	struct rk_worker_pool *pool = arg;
	unsigned int n;
	uint64_t count;
	struct job *job;

	if (read(fd, &count, sizeof(count)) < 0 && errno != EAGAIN && errno != EINTR)
		rk_warn("worker pool: cannot read its eventfd: %s", strerror(errno));

	/* Only the jobs done by now: a done function that submits cannot starve the loop. */
	pthread_mutex_lock(&pool->lock);
	n = pool->done.n;
	pthread_mutex_unlock(&pool->lock);

	pool->dispatching = true;
	while (n-- > 0 && (job = take_done(pool))) {
		finish_job(pool, job);
		if (pool->freed)
			break;
	}
	pool->dispatching = false;
	if (pool->freed)
		destroy(pool);
}

/* --- API ----------------------------------------------------------------------- */

struct rk_worker_pool *rk_worker_pool_new(struct event_base *base, unsigned int threads)
{
	struct rk_worker_pool *pool;
	int err;

	if (!base || threads < 1 || threads > MAX_THREADS)
		return NULL;
	pool = calloc(1, sizeof(*pool));
	if (!pool)
		return NULL;
	pool->base = base;
	pool->efd = -1;
	pthread_mutex_init(&pool->lock, NULL);
	pthread_cond_init(&pool->cond, NULL);
	pthread_cond_init(&pool->idle, NULL);

	pool->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (pool->efd < 0) {
		rk_error("worker pool: cannot create an eventfd: %s", strerror(errno));
		goto fail;
	}
	pool->wake = event_new(base, pool->efd, EV_READ | EV_PERSIST, on_wake, pool);
	if (!pool->wake || event_add(pool->wake, NULL) < 0) {
		rk_error("worker pool: cannot watch its eventfd");
		goto fail;
	}
	err = start_threads(pool, threads);
	if (err < 0) {
		rk_error("worker pool: cannot start %u threads: %s", threads, strerror(-err));
		stop_threads(pool);
		goto fail;
	}
	return pool;

fail:
	destroy(pool);
	return NULL;
}

int rk_worker_submit_labelled(struct rk_worker_pool *pool, const char *label, rk_worker_fn work,
		rk_worker_fn done, void *data)
{
	struct job *job;
	int err = 0;

	if (!pool)
		return -ESHUTDOWN; /* freed already (rekamd is stopping) */
	job = calloc(1, sizeof(*job));
	if (!job)
		return -ENOMEM;
	job->work = work;
	job->done = done;
	job->data = data;
	snprintf(job->label, sizeof(job->label), "%s", label ? label : "");

	pthread_mutex_lock(&pool->lock);
	if (pool->stopping) {
		err = -ESHUTDOWN;
	} else {
		list_push(&pool->queue, job);
		pool->pending++;
		pthread_cond_signal(&pool->cond);
	}
	pthread_mutex_unlock(&pool->lock);

	if (err < 0)
		free(job);
	return err;
}

int rk_worker_submit(struct rk_worker_pool *pool, rk_worker_fn work, rk_worker_fn done, void *data)
{
	return rk_worker_submit_labelled(pool, NULL, work, done, data);
}

/* Is a job queued or running? Under the lock. */
static bool busy(struct rk_worker_pool *pool)
{
	if (pool->queue.head)
		return true;
	for (unsigned int i = 0; i < pool->n_threads; i++)
		if (pool->workers[i].job)
			return true;
	return false;
}

int rk_worker_pool_drain(struct rk_worker_pool *pool, unsigned int timeout_ms)
{
	struct timespec until;
	int err = 0;

	if (!pool)
		return 0;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += timeout_ms / 1000;
	until.tv_nsec += (long)(timeout_ms % 1000) * 1000000;
	if (until.tv_nsec >= 1000000000) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000;
	}

	pthread_mutex_lock(&pool->lock);
	while (err != ETIMEDOUT && busy(pool))
		err = pthread_cond_timedwait(&pool->idle, &pool->lock, &until);
	if (!busy(pool)) {
		pthread_mutex_unlock(&pool->lock);
		return 0;
	}
	for (unsigned int i = 0; i < pool->n_threads; i++)
		if (pool->workers[i].job)
			rk_warn("worker pool: a job is still running after %u ms: %s", timeout_ms,
				pool->workers[i].job->label[0] ? pool->workers[i].job->label :
				"(a job of rekamd's own)");
	if (pool->queue.n)
		rk_warn("worker pool: %u more queued behind it", pool->queue.n);
	pthread_mutex_unlock(&pool->lock);
	return -ETIMEDOUT;
}

unsigned int rk_worker_pending(struct rk_worker_pool *pool)
{
	unsigned int n;

	pthread_mutex_lock(&pool->lock);
	n = pool->pending;
	pthread_mutex_unlock(&pool->lock);
	return n;
}

void rk_worker_pool_free(struct rk_worker_pool *pool)
{
	struct job *job;

	if (!pool || pool->freed)
		return;
	pool->freed = true;
	stop_threads(pool);

	/* No thread is left: the finished jobs first, then the dropped ones. */
	pthread_mutex_lock(&pool->lock);
	list_splice(&pool->done, &pool->queue);
	pthread_mutex_unlock(&pool->lock);
	while ((job = take_done(pool)))
		finish_job(pool, job);

	if (!pool->dispatching)
		destroy(pool);
}
