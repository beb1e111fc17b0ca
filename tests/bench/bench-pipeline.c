// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * rekam - benchmarks
 *
 * bench-pipeline.c - the cost of one enrollment transition (enrollment.c:
 * the state, the step record, one transaction with synchronous=FULL)
 * against the floor of any durable write on the same database: one
 * BEGIN IMMEDIATE / INSERT / COMMIT of a single row. Both run on a fresh
 * station database in a temporary directory (on the same file system as
 * TMPDIR), in alternating batches; each enrollment makes four transitions
 * (Submit, Receive, Verify, Forward). Prints the median per operation of
 * each, their ratio, and how long loading every enrollment back takes (what
 * a restart costs). Not part of make check: run `make bench`.
 *
 * Usage: bench-pipeline [ENROLLMENTS-PER-BATCH [BATCHES]]   (default 50 x 9)
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tests/bench/bench.h"
#include "daemon/enrollment.h"
#include "daemon/store.h"
#include "seed.h"
#include "tap.h"

/* Mean ms per durable one-row write over @n. */
static double floor_batch(struct rk_store *store, int n)
{
	double start = bench_now_ms();

	for (int i = 0; i < n * 4; i++) {
		sqlite3_stmt *stmt;

		if (rk_store_begin(store) < 0)
			tap_bail("begin failed");
		stmt = rk_store_prepare(store, "INSERT INTO bench_floor (x) VALUES (?)");
		sqlite3_bind_int(stmt, 1, i);
		if (!stmt || sqlite3_step(stmt) != SQLITE_DONE)
			tap_bail("insert failed");
		sqlite3_reset(stmt);
		if (rk_store_commit(store) < 0)
			tap_bail("commit failed");
	}
	return (bench_now_ms() - start) / (n * 4);
}

/* Mean ms per transition over @n enrollments of four transitions each. */
static double pipeline_batch(struct rk_enrollments *set, int n, int *next)
{
	char nik[RK_NIK_LEN + 1];
	double start = bench_now_ms();

	for (int i = 0; i < n; i++)
		if (seed_forwarded(set, (unsigned long)(*next)++, nik) < 0)
			tap_bail("a transition failed");
	return (bench_now_ms() - start) / (n * 4);
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 50, batches = argc > 2 ? atoi(argv[2]) : 9, next = 0;
	char dir[] = "/tmp/rekam-bench-pipeline-XXXXXX", path[256], *error = NULL;
	double *floor_ms, *pipe_ms, f, p, start, reload;
	struct rk_enrollments *set;
	struct rk_store *store;

	if (n < 1 || batches < 1 || n > 9999 || n * batches > 900000) {
		fprintf(stderr, "usage: bench-pipeline [ENROLLMENTS-PER-BATCH [BATCHES]]\n");
		return 2;
	}
	if (!mkdtemp(dir))
		tap_bail("mkdtemp failed");
	snprintf(path, sizeof(path), "%s/rekam.db", dir);
	if (rk_store_open(path, &store, NULL, &error) < 0)
		tap_bail("%s", error ? error : "cannot open the database");
	if (rk_store_exec(store, "CREATE TABLE bench_floor (x INTEGER NOT NULL)") < 0)
		tap_bail("cannot create the floor table");
	set = rk_enrollments_new(store, NULL, NULL);
	floor_ms = calloc((size_t)batches, sizeof(double));
	pipe_ms = calloc((size_t)batches, sizeof(double));
	if (!set || !floor_ms || !pipe_ms)
		tap_bail("out of memory");

	floor_batch(store, 5); /* warm up */
	for (int b = 0; b < batches; b++) {
		floor_ms[b] = floor_batch(store, n);
		pipe_ms[b] = pipeline_batch(set, n, &next);
	}
	rk_enrollments_free(set);
	start = bench_now_ms();
	set = rk_enrollments_new(store, NULL, NULL);
	reload = bench_now_ms() - start;

	f = bench_median(floor_ms, batches);
	p = bench_median(pipe_ms, batches);
	printf("bench-pipeline: %d batches of %d enrollments (4 transitions each), %s\n", batches,
		n, path);
	printf("  durable one-row write (floor)  median %8.3f ms\n", f);
	printf("  enrollment transition          median %8.3f ms\n", p);
	printf("  transition / floor             %8.2f\n", p / f);
	printf("  loading %d enrollments back    %8.1f ms\n", next, reload);

	rk_enrollments_free(set);
	rk_store_close(store);
	for (const char *const *s = (const char *const[]){ "", "-wal", "-shm", NULL }; *s; s++) {
		char name[300];

		snprintf(name, sizeof(name), "%s%s", path, *s);
		unlink(name);
	}
	rmdir(dir);
	free(floor_ms);
	free(pipe_ms);
	return 0;
}
