/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * rekam - test support
 *
 * testbus.h - a private dbus-daemon for C tests, and helpers to start rekamd
 * on it as a child process.
 */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

struct testbus {
	char dir[64];     /* temporary directory for the bus socket and files */
	char address[512];
	pid_t bus_pid;
};

/* Start dbus-daemon --session in a new temporary directory. Calls
 * tap_skip_all() when dbus-daemon is missing. 0 or -errno. */
int testbus_start(struct testbus *tb);

/* Stop the bus and remove the directory and everything in it (kept, and
 * named on stdout, when $REKAM_TEST_KEEP is set). */
void testbus_stop(struct testbus *tb);

/* Spawn @argv (argv[0] is a path) with DBUS_SESSION_BUS_ADDRESS set to the
 * bus and extra environment entries @env ("NAME=value", NULL-terminated, may
 * be NULL); stderr goes to @log_path when not NULL. Returns the pid or -1.
 * With REKAM_TEST_VALGRIND=1, rekamd runs under valgrind memcheck (exit 98
 * on an error or a definite leak). */
pid_t testbus_spawn(struct testbus *tb, char *const argv[], char *const env[],
		const char *log_path);

/* Wait up to @timeout_ms for @pid to exit; its exit status, 128+signal, or
 * -1 on timeout, after which @pid is killed (SIGKILL) and reaped so that it
 * does not outlive the test. With @timeout_ms 0 it only looks: -1 while
 * @pid runs, and nothing is killed. */
int testbus_wait(pid_t pid, int timeout_ms);

/* Read a whole file into a NUL-terminated buffer (free() it); NULL on error. */
char *testbus_read_file(const char *path);
