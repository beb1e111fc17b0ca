// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * rekam - device plugins
 *
 * monitor.c - the card insert/remove watcher of one reader (see monitor.h).
 *
 * The thread loops in SCardGetStatusChange with a one-second timeout (so a
 * stop that races with entering the wait is seen within a second) and
 * SCardCancel (so a stop is normally seen at once). A change of the card's
 * presence or of pcsc-lite's event counter (the upper 16 bits of
 * dwEventState, counting insertions and removals) is published under the
 * mutex and signalled on the eventfd. An unknown or unavailable reader, or
 * a PC/SC service that went away, ends the thread with a reason.
 *
 * The plugin may be unloaded only after every thread has left its code, so
 * the threads are joinable and kept in a list: a thread marks itself done
 * as its last act, monitor_start() joins the done ones (a join that waits
 * at most for a return), and monitor_wait_all() joins them all.
 */
#include <config.h>

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <PCSC/winscard.h>
#include <PCSC/pcsclite.h>

#include "plugins/cardreader-pcsc/monitor.h"

#define WAIT_MS 1000

struct monitor {
	pthread_mutex_t lock;
	int refs;       /* the loop's and the thread's */
	int efd;
	bool stop;
	SCARDCONTEXT ctx;
	bool have_ctx;
	char reader[256];
	struct monitor_state state;
};

struct thread_entry {
	pthread_t thread;
	bool done;
};

static pthread_mutex_t all_lock = PTHREAD_MUTEX_INITIALIZER;
static struct thread_entry *threads;
static size_t n_threads;

/* Join the threads that are done; under all_lock (a done thread holds it no more). */
static void reap(void)
{
	size_t i = 0;

	while (i < n_threads) {
		if (threads[i].done) {
			pthread_join(threads[i].thread, NULL);
			threads[i] = threads[--n_threads];
		} else {
			i++;
		}
	}
}

static void unref(struct monitor *m)
{
	bool last;

	pthread_mutex_lock(&m->lock);
	last = --m->refs == 0;
	pthread_mutex_unlock(&m->lock);
	if (!last)
		return;
	close(m->efd);
	pthread_mutex_destroy(&m->lock);
	free(m);
}

static void signal_loop(struct monitor *m)
{
	uint64_t one = 1;

	while (write(m->efd, &one, sizeof(one)) < 0 && errno == EINTR)
		;
}

static void publish_end(struct monitor *m, const char *why)
{
	pthread_mutex_lock(&m->lock);
	m->state.ended = true;
	m->state.card_present = false;
	snprintf(m->state.why, sizeof(m->state.why), "%s", why);
	pthread_mutex_unlock(&m->lock);
	signal_loop(m);
}

/* Watch until stopped or the reader is gone. */
static void watch(struct monitor *m)
{
	SCARD_READERSTATE rs = { .szReader = m->reader, .dwCurrentState = SCARD_STATE_UNAWARE };
	char why[160];
	bool first = true;

	for (;;) {
		LONG rv;
		bool present, stop;

		pthread_mutex_lock(&m->lock);
		stop = m->stop;
		pthread_mutex_unlock(&m->lock);
		if (stop)
			return;
		rv = SCardGetStatusChange(m->ctx, WAIT_MS, &rs, 1);
		if (rv == SCARD_E_TIMEOUT || rv == SCARD_E_CANCELLED)
			continue;
		if (rv != SCARD_S_SUCCESS) {
			snprintf(why, sizeof(why), rv == SCARD_E_NO_SERVICE ||
				rv == SCARD_E_SERVICE_STOPPED ? "the PC/SC service (pcscd) stopped" :
				"watching the reader failed: %s", pcsc_stringify_error(rv));
			publish_end(m, why);
			return;
		}
		if (rs.dwEventState & (SCARD_STATE_UNKNOWN | SCARD_STATE_UNAVAILABLE |
				SCARD_STATE_IGNORE)) {
			publish_end(m, "the reader was removed");
			return;
		}
		present = rs.dwEventState & SCARD_STATE_PRESENT;
		if (first || present != m->state.card_present ||
				(rs.dwEventState >> 16) != (rs.dwCurrentState >> 16)) {
			pthread_mutex_lock(&m->lock);
			if (!first && present != m->state.card_present)
				m->state.events++;
			m->state.card_present = present;
			m->state.atr_len = present && rs.cbAtr <= MONITOR_ATR_MAX ? rs.cbAtr : 0;
			memcpy(m->state.atr, rs.rgbAtr, m->state.atr_len);
			pthread_mutex_unlock(&m->lock);
			signal_loop(m);
		}
		first = false;
		rs.dwCurrentState = rs.dwEventState & ~SCARD_STATE_CHANGED;
	}
}

static void *thread_main(void *arg)
{
	struct monitor *m = arg;
	SCARDCONTEXT ctx;
	LONG rv = SCardEstablishContext(SCARD_SCOPE_SYSTEM, NULL, NULL, &ctx);

	if (rv != SCARD_S_SUCCESS) {
		publish_end(m, "the PC/SC service (pcscd) is not running");
	} else {
		pthread_mutex_lock(&m->lock);
		m->ctx = ctx;
		m->have_ctx = !m->stop;
		pthread_mutex_unlock(&m->lock);
		if (m->have_ctx)
			watch(m);
		pthread_mutex_lock(&m->lock);
		m->have_ctx = false;
		pthread_mutex_unlock(&m->lock);
		SCardReleaseContext(ctx);
	}
	unref(m);
	pthread_mutex_lock(&all_lock);
	for (size_t i = 0; i < n_threads; i++)
		if (pthread_equal(threads[i].thread, pthread_self()))
			threads[i].done = true;
	pthread_mutex_unlock(&all_lock);
	return NULL;
}

struct monitor *monitor_start(const char *reader)
{
	struct monitor *m = calloc(1, sizeof(*m));
	struct thread_entry *more;
	int err;

	if (!m)
		return NULL;
	pthread_mutex_lock(&all_lock);
	reap();
	more = realloc(threads, (n_threads + 1) * sizeof(*threads));
	if (more)
		threads = more;
	pthread_mutex_unlock(&all_lock);
	if (!more) {
		free(m);
		return NULL;
	}
	m->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (m->efd < 0) {
		free(m);
		return NULL;
	}
	pthread_mutex_init(&m->lock, NULL);
	snprintf(m->reader, sizeof(m->reader), "%s", reader);
	m->refs = 2;
	/* under all_lock: the thread finds itself in the list when it ends */
	pthread_mutex_lock(&all_lock);
	err = pthread_create(&threads[n_threads].thread, NULL, thread_main, m);
	if (!err)
		threads[n_threads++].done = false;
	pthread_mutex_unlock(&all_lock);
	if (err) {
		close(m->efd);
		pthread_mutex_destroy(&m->lock);
		free(m);
		return NULL;
	}
	return m;
}

int monitor_fd(const struct monitor *m)
{
	return m->efd;
}

void monitor_read(struct monitor *m, struct monitor_state *state)
{
	uint64_t count;

	while (read(m->efd, &count, sizeof(count)) < 0 && errno == EINTR)
		;
	pthread_mutex_lock(&m->lock);
	*state = m->state;
	pthread_mutex_unlock(&m->lock);
}

void monitor_stop(struct monitor *m)
{
	if (!m)
		return;
	pthread_mutex_lock(&m->lock);
	m->stop = true;
	if (m->have_ctx)
		SCardCancel(m->ctx);
	pthread_mutex_unlock(&m->lock);
	unref(m);
}

void monitor_wait_all(void)
{
	struct thread_entry *list;
	size_t n;

	/* join outside the lock: a thread takes it once more as it ends */
	pthread_mutex_lock(&all_lock);
	list = threads;
	n = n_threads;
	threads = NULL;
	n_threads = 0;
	pthread_mutex_unlock(&all_lock);
	for (size_t i = 0; i < n; i++)
		pthread_join(list[i].thread, NULL);
	free(list);
}
