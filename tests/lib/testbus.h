/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * rekam - test support
 *
 * testbus.h - a private dbus-daemon for C tests, and helpers to start rekamd
 * and the device simulators on it as child processes, and the start and end
 * every device test (a plugin against its simulator) shares.
 */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

#include <dbus/dbus.h>

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

/* Spawn a simulator (@argv, stderr to @log_path) and wait up to 10 s for
 * its control socket @control to appear. Its pid, or -1 when it exited
 * first (a port taken, say) or made no socket in time (it is then killed). */
pid_t testbus_start_sim(struct testbus *tb, char *const argv[], const char *control,
		const char *log_path);

/*
 * Start the rekamd of $REKAMD for a test: @config (the text) is written to
 * <dir>/rekamd.conf, and rekamd runs as --session --state-dir <dir>/state
 * --config <dir>/rekamd.conf --plugin-dir @plugin_dir, then @args (NULL-
 * terminated, may be NULL), with @env (as testbus_spawn()) and stderr to
 * <dir>/rekamd.log. Then a private connection to the bus, in *@conn, waits
 * up to 20 s for rekamd's bus name. Its pid; tap_bail() when any of it fails
 * (with rekamd's log).
 */
pid_t testbus_start_rekamd(struct testbus *tb, const char *plugin_dir, const char *config,
		char *const args[], char *const env[], DBusConnection **conn);

/* Read a whole file into a NUL-terminated buffer (free() it); NULL on error. */
char *testbus_read_file(const char *path);

/* --- a device test: a plugin in rekamd against its simulator --------------- */

/* Where a device test keeps its files, below tb->dir. */
struct testbus_files {
	char sim[512];       /* $top_builddir/simulators/rekam-sim-NAME */
	char sock[128];      /* <dir>/TAG.sock: the simulator's device socket */
	char control[128];   /* <dir>/TAG.control: its control socket */
	char state_dir[128]; /* <dir>/state: rekamd's (testbus_start_rekamd()) */
	char log_path[128];  /* <dir>/rekamd.log: rekamd's stderr */
	char sim_log[128];   /* <dir>/sim.log: the simulator's */
};

/*
 * The start of a device test: tap_skip_all() unless make check set $REKAMD,
 * $REKAM_PLUGIN_DIR and $top_builddir; starts the bus (tap_bail() when it
 * cannot) and names in @files the simulator rekam-sim-@sim and its sockets
 * @tag.sock and @tag.control. Returns $REKAM_PLUGIN_DIR.
 */
const char *testbus_start_device_test(struct testbus *tb, struct testbus_files *files,
		const char *sim, const char *tag);

/*
 * SIGTERM to rekamd (@pid): "rekamd stops cleanly" within @timeout_ms (the
 * end of its log as a diagnostic when not), then "@plugin left no watch or
 * timer behind" by its log. Returns the log (free() it; NULL when unreadable).
 */
char *testbus_stop_rekamd(pid_t pid, int timeout_ms, const struct testbus_files *files,
		const char *plugin);

/* The end of a device test: "the simulator stops cleanly" (@sim_pid, SIGTERM),
 * then @conn closed and the bus stopped. Returns tap_done(). */
int testbus_end_device_test(struct testbus *tb, pid_t sim_pid, DBusConnection *conn);
