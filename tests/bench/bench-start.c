// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * rekam - benchmarks
 *
 * bench-start.c - how long rekamd takes from exec to READY (its name on
 * the bus) and how much memory it holds when idle with every plugin
 * loaded, each against a baseline measured in the same run: a bare libdbus
 * service (this program re-executed with --responder: connect, request a
 * name, answer calls), started and measured the same way. The start is
 * timed by NameOwnerChanged on the bus (no polling); the memory is VmRSS,
 * RssAnon and RssFile of /proc/PID/status after the service has idled for
 * a second. Runs alternate; prints medians.
 *
 *   bench-start [RUNS] -- REKAMD-COMMAND...     on the session bus
 *
 * REKAMD-COMMAND runs once before the timed runs (the first start creates
 * the station database). Not part of make check: run `make bench`.
 */
#include <config.h>

#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <dbus/dbus.h>

#include "tests/bench/bench.h"

#define REKAM_NAME "id.rekam.Station1"
#define RESPONDER_NAME "id.rekam.BenchResponder"
#define MAX_RUNS 100

struct mem {
	long rss, anon, file; /* kB */
};

static int responder(void)
{
	DBusError err;
	DBusConnection *c;

	dbus_error_init(&err);
	c = dbus_bus_get(DBUS_BUS_SESSION, &err);
	if (!c || dbus_bus_request_name(c, RESPONDER_NAME, DBUS_NAME_FLAG_DO_NOT_QUEUE, &err) !=
			DBUS_REQUEST_NAME_REPLY_PRIMARY_OWNER) {
		fprintf(stderr, "bench-start: responder: %s\n", err.message ? err.message : "?");
		return 1;
	}
	while (dbus_connection_read_write(c, -1)) {
		DBusMessage *m;

		while ((m = dbus_connection_pop_message(c))) {
			if (dbus_message_get_type(m) == DBUS_MESSAGE_TYPE_METHOD_CALL) {
				DBusMessage *r = dbus_message_new_method_return(m);

				if (r) {
					dbus_connection_send(c, r, NULL);
					dbus_message_unref(r);
				}
			}
			dbus_message_unref(m);
		}
	}
	return 0;
}

static void read_mem(pid_t pid, struct mem *m)
{
	char path[64], line[256];
	FILE *f;

	memset(m, 0, sizeof(*m));
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		sscanf(line, "VmRSS: %ld", &m->rss);
		sscanf(line, "RssAnon: %ld", &m->anon);
		sscanf(line, "RssFile: %ld", &m->file);
	}
	fclose(f);
}

/* Where a process's resident memory is: Rss summed per mapped file (or
 * [heap], [stack], anonymous), the largest @top printed. */
static void print_profile(pid_t pid, int top)
{
	struct {
		char name[160];
		long kb;
	} maps[512];
	int n = 0;
	char path[64], line[512], cur[160] = "";
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/smaps", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		size_t hex = strspn(line, "0123456789abcdef");
		char name[160] = "";
		long kb;
		int i;

		if (hex > 0 && line[hex] == '-') { /* a mapping's first line */
			const char *slash;

			if (sscanf(line, "%*s %*s %*s %*s %*s %159s", name) != 1)
				name[0] = '\0';
			slash = strrchr(name, '/');
			snprintf(cur, sizeof(cur), "%s", name[0] ? (slash ? slash + 1 : name) :
				"(anonymous)");
			continue;
		}
		if (sscanf(line, "Rss: %ld kB", &kb) != 1 || !kb)
			continue;
		for (i = 0; i < n && strcmp(maps[i].name, cur); i++)
			;
		if (i == n && n < (int)(sizeof(maps) / sizeof(maps[0]))) {
			snprintf(maps[n].name, sizeof(maps[n].name), "%s", cur);
			maps[n++].kb = 0;
		}
		if (i < n)
			maps[i].kb += kb;
	}
	fclose(f);
	for (int k = 0; k < top && k < n; k++) {
		int best = k;

		for (int j = k + 1; j < n; j++)
			if (maps[j].kb > maps[best].kb)
				best = j;
		if (best != k) {
			__typeof__(maps[0]) t = maps[k];

			maps[k] = maps[best];
			maps[best] = t;
		}
		printf("      %-40s %6ld kB\n", maps[k].name, maps[k].kb);
	}
}

/* Start @argv, wait until @name has an owner (NameOwnerChanged), idle a
 * second, read its memory, SIGTERM it and wait. The ms to the name, or -1. */
static double one_start(DBusConnection *c, const char *name, char **argv, struct mem *mem,
		int profile)
{
	char rule[256];
	double t0, t = -1;
	pid_t pid;
	int status;

	snprintf(rule, sizeof(rule), "type='signal',sender='" DBUS_SERVICE_DBUS "',"
		"member='NameOwnerChanged',arg0='%s'", name);
	dbus_bus_add_match(c, rule, NULL);
	dbus_connection_flush(c);
	t0 = bench_now_ms();
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		execvp(argv[0], argv);
		_exit(127);
	}
	while (t < 0 && bench_now_ms() - t0 < 30000 && dbus_connection_read_write(c, 100)) {
		DBusMessage *m;

		while ((m = dbus_connection_pop_message(c))) {
			const char *n, *old, *new;

			if (dbus_message_is_signal(m, DBUS_INTERFACE_DBUS, "NameOwnerChanged") &&
					dbus_message_get_args(m, NULL, DBUS_TYPE_STRING, &n,
						DBUS_TYPE_STRING, &old, DBUS_TYPE_STRING, &new,
						DBUS_TYPE_INVALID) && !strcmp(n, name) && *new)
				t = bench_now_ms() - t0;
			dbus_message_unref(m);
		}
		if (waitpid(pid, &status, WNOHANG) == pid) {
			fprintf(stderr, "bench-start: %s exited before taking %s\n", argv[0], name);
			dbus_bus_remove_match(c, rule, NULL);
			return -1;
		}
	}
	usleep(1000 * 1000);
	read_mem(pid, mem);
	if (profile)
		print_profile(pid, profile);
	kill(pid, SIGTERM);
	waitpid(pid, &status, 0);
	dbus_bus_remove_match(c, rule, NULL);
	return t;
}

int main(int argc, char **argv)
{
	double rk_ms[MAX_RUNS], bare_ms[MAX_RUNS], rk_rss[MAX_RUNS], bare_rss[MAX_RUNS];
	double rk_anon[MAX_RUNS], rk_file[MAX_RUNS];
	char self[4096], *bare_argv[] = { self, "--responder", NULL }, **rk_argv;
	int runs = 9, argi = 1;
	DBusConnection *c;
	struct mem m;
	ssize_t len;

	if (argc == 2 && !strcmp(argv[1], "--responder"))
		return responder();
	if (argi < argc && strcmp(argv[argi], "--")) {
		runs = atoi(argv[argi++]);
	}
	if (runs < 1 || runs > MAX_RUNS || argi >= argc || strcmp(argv[argi], "--") ||
			argi + 1 >= argc) {
		fprintf(stderr, "usage: bench-start [RUNS] -- REKAMD-COMMAND...\n");
		return 64;
	}
	rk_argv = argv + argi + 1;
	len = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (len < 0)
		return 70;
	self[len] = '\0';
	c = dbus_bus_get(DBUS_BUS_SESSION, NULL);
	if (!c) {
		fprintf(stderr, "bench-start: no session bus\n");
		return 69;
	}
	/* the database is made; where rekamd's memory is */
	printf("bench-start: rekamd's resident memory by mapping, idle (first start)\n");
	if (one_start(c, REKAM_NAME, rk_argv, &m, 12) < 0)
		return 1;
	for (int i = 0; i < runs; i++) {
		bare_ms[i] = one_start(c, RESPONDER_NAME, bare_argv, &m, 0);
		bare_rss[i] = (double)m.rss;
		rk_ms[i] = one_start(c, REKAM_NAME, rk_argv, &m, 0);
		rk_rss[i] = (double)m.rss;
		rk_anon[i] = (double)m.anon;
		rk_file[i] = (double)m.file;
		if (rk_ms[i] < 0 || bare_ms[i] < 0)
			return 1;
	}
	double r = bench_median(rk_ms, runs), b = bench_median(bare_ms, runs);
	double rr = bench_median(rk_rss, runs), br = bench_median(bare_rss, runs);

	printf("bench-start: %d alternating starts of each\n", runs);
	printf("  exec to name on the bus: bare libdbus service  median %8.1f ms\n", b);
	printf("  exec to name on the bus: rekamd (READY)        median %8.1f ms\n", r);
	printf("  rekamd / bare                                  %8.2f\n", r / b);
	printf("  idle VmRSS: bare libdbus service               median %8.0f kB\n", br);
	printf("  idle VmRSS: rekamd                             median %8.0f kB (%.1f MiB)\n",
		rr, rr / 1024);
	printf("    of which RssAnon (heap, stacks)              median %8.0f kB\n",
		bench_median(rk_anon, runs));
	printf("    of which RssFile (mapped code and data)      median %8.0f kB\n",
		bench_median(rk_file, runs));
	printf("  rekamd / bare                                  %8.2f\n", rr / br);
	return 0;
}

