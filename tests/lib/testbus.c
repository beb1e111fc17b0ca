// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * rekam - test support
 *
 * testbus.c - a private dbus-daemon and child processes for C tests, and the
 * start and end of a device test.
 */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tap.h"
#include "testbus.h"

#define RK_TEST_BUS_NAME "id.rekam.Station1"

static const char *dbus_daemon_path(void)
{
	const char *path = getenv("REKAM_DBUS_DAEMON");

	return path && *path ? path : "dbus-daemon";
}

static bool in_path(const char *name)
{
	char cmd[512];

	if (strchr(name, '/'))
		return access(name, X_OK) == 0;
	snprintf(cmd, sizeof(cmd), "command -v '%s' >/dev/null 2>&1", name);
	return system(cmd) == 0;
}

int testbus_start(struct testbus *tb)
{
	const char *daemon = dbus_daemon_path();
	char listen[128], print[32];
	int pipefd[2];
	size_t len = 0;

	if (!in_path(daemon))
		tap_skip_all("%s is not installed", daemon);

	snprintf(tb->dir, sizeof(tb->dir), "/tmp/rekam-test.XXXXXX");
	if (!mkdtemp(tb->dir))
		return -errno;
	if (pipe2(pipefd, O_CLOEXEC) < 0)
		return -errno;
	snprintf(listen, sizeof(listen), "--address=unix:dir=%s", tb->dir);

	tb->bus_pid = fork();
	if (tb->bus_pid < 0)
		return -errno;
	if (tb->bus_pid == 0) {
		char log[128];
		int fd;

		/* Keep the bus's own complaints (e.g. about fd limits) out of TAP. */
		snprintf(log, sizeof(log), "%s/bus.log", tb->dir);
		fd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
		if (fd >= 0)
			dup2(fd, STDERR_FILENO);
		dup2(pipefd[1], 3);
		snprintf(print, sizeof(print), "--print-address=3");
		execlp(daemon, daemon, "--session", "--nofork", "--nopidfile", "--nosyslog", listen,
			print, (char *)NULL);
		_exit(127);
	}
	close(pipefd[1]);

	/* The address is one line; wait for it up to 10 s. */
	while (len < sizeof(tb->address) - 1) {
		struct pollfd pfd = { .fd = pipefd[0], .events = POLLIN };
		ssize_t n;

		if (poll(&pfd, 1, 10000) <= 0)
			break;
		n = read(pipefd[0], tb->address + len, sizeof(tb->address) - 1 - len);
		if (n <= 0)
			break;
		len += (size_t)n;
		tb->address[len] = '\0';
		if (strchr(tb->address, '\n'))
			break;
	}
	close(pipefd[0]);
	tb->address[strcspn(tb->address, "\n")] = '\0';
	if (!tb->address[0]) {
		testbus_stop(tb);
		return -EIO;
	}
	setenv("DBUS_SESSION_BUS_ADDRESS", tb->address, 1);
	return 0;
}

void testbus_stop(struct testbus *tb)
{
	char cmd[128];

	if (tb->bus_pid > 0) {
		kill(tb->bus_pid, SIGTERM);
		testbus_wait(tb->bus_pid, 5000);
		tb->bus_pid = 0;
	}
	if (tb->dir[0] && getenv("REKAM_TEST_KEEP")) {
		printf("# REKAM_TEST_KEEP: logs and state kept in %s\n", tb->dir);
		tb->dir[0] = '\0';
	}
	if (tb->dir[0]) {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tb->dir);
		if (system(cmd) != 0)
			fprintf(stderr, "cannot remove %s\n", tb->dir);
		tb->dir[0] = '\0';
	}
}

pid_t testbus_spawn(struct testbus *tb, char *const argv[], char *const env[],
		const char *log_path)
{
	pid_t pid = fork();

	if (pid != 0)
		return pid;
	setenv("DBUS_SESSION_BUS_ADDRESS", tb->address, 1);
	for (; env && *env; env++)
		putenv(*env);
	if (log_path) {
		int fd = open(log_path, O_WRONLY | O_CREAT | O_APPEND, 0600);

		if (fd >= 0) {
			dup2(fd, STDERR_FILENO);
			close(fd);
		}
	}
	if (getenv("REKAM_TEST_VALGRIND") && !strcmp(getenv("REKAM_TEST_VALGRIND"), "1") &&
			strlen(argv[0]) >= 7 && !strcmp(argv[0] + strlen(argv[0]) - 7, "/rekamd")) {
		/* rekamd under memcheck: an error or a definite leak exits with 98 */
		char *vg[64] = { "valgrind", "--quiet", "--error-exitcode=98", "--leak-check=full",
			"--errors-for-leak-kinds=definite", NULL };
		int n = 5;

		for (int i = 0; argv[i] && n < 63; i++)
			vg[n++] = argv[i];
		vg[n] = NULL;
		execvp("valgrind", vg);
	}
	execv(argv[0], argv);
	_exit(127);
}

int testbus_wait(pid_t pid, int timeout_ms)
{
	struct timespec pause = { .tv_nsec = 10 * 1000 * 1000 };
	int status;

	for (int waited = 0; waited <= timeout_ms; waited += 10) {
		pid_t r = waitpid(pid, &status, WNOHANG);

		if (r == pid) {
			if (WIFEXITED(status))
				return WEXITSTATUS(status);
			return 128 + WTERMSIG(status);
		}
		if (r < 0)
			return -1;
		nanosleep(&pause, NULL);
	}
	if (timeout_ms <= 0)
		return -1; /* a poll: still running */
	/* It did not stop in time: kill it, so that it neither outlives the
	 * test nor keeps the test's output pipe open (the harness would wait
	 * for that forever). The caller's check fails on the -1. */
	fprintf(stderr, "# process %d did not stop within %d ms: killed\n", (int)pid, timeout_ms);
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	return -1;
}

pid_t testbus_start_sim(struct testbus *tb, char *const argv[], const char *control,
		const char *log_path)
{
	pid_t pid = testbus_spawn(tb, argv, NULL, log_path);
	bool exited = false;

	for (int i = 0; i < 200 && access(control, F_OK) != 0 && !exited; i++) {
		exited = testbus_wait(pid, 0) >= 0;
		usleep(50 * 1000);
	}
	if (access(control, F_OK) == 0)
		return pid;
	if (!exited) {
		kill(pid, SIGTERM);
		testbus_wait(pid, 5000);
	}
	return -1;
}

pid_t testbus_start_rekamd(struct testbus *tb, const char *plugin_dir, const char *config,
		char *const args[], char *const env[], DBusConnection **conn)
{
	char *argv[64] = { getenv("REKAMD"), "--session", "--state-dir", NULL, "--config", NULL,
		"--plugin-dir", (char *)plugin_dir };
	char state_dir[128], config_path[128], log_path[128];
	DBusError err;
	int n = 8;
	FILE *f;
	pid_t pid;

	if (!argv[0] || !plugin_dir)
		tap_bail("REKAMD or the plugin directory is not set (run through make check)");
	snprintf(state_dir, sizeof(state_dir), "%s/state", tb->dir);
	snprintf(config_path, sizeof(config_path), "%s/rekamd.conf", tb->dir);
	snprintf(log_path, sizeof(log_path), "%s/rekamd.log", tb->dir);
	argv[3] = state_dir;
	argv[5] = config_path;
	for (; args && *args && n < 63; args++)
		argv[n++] = *args;
	argv[n] = NULL;

	f = fopen(config_path, "w");
	if (!f || fputs(config, f) < 0 || fclose(f) != 0)
		tap_bail("cannot write %s", config_path);
	pid = testbus_spawn(tb, argv, env, log_path);

	dbus_error_init(&err);
	*conn = dbus_bus_get_private(DBUS_BUS_SESSION, &err);
	if (!*conn)
		tap_bail("cannot connect to the test bus: %s", err.message);
	for (int i = 0; i < 400 && !dbus_bus_name_has_owner(*conn, RK_TEST_BUS_NAME, NULL); i++) {
		if (testbus_wait(pid, 0) >= 0)
			break; /* it exited: the log says why */
		usleep(50 * 1000);
	}
	if (!dbus_bus_name_has_owner(*conn, RK_TEST_BUS_NAME, NULL))
		tap_bail("rekamd did not start: %s", testbus_read_file(log_path));
	return pid;
}

char *testbus_read_file(const char *path)
{
	FILE *f = fopen(path, "r");
	char *data = NULL;
	size_t size = 0, len = 0;

	if (!f)
		return NULL;
	for (;;) {
		if (len + 4096 + 1 > size) {
			char *bigger = realloc(data, size + 65536);

			if (!bigger)
				break;
			data = bigger;
			size += 65536;
		}
		size_t n = fread(data + len, 1, 4096, f);

		len += n;
		if (n == 0)
			break;
	}
	fclose(f);
	if (data)
		data[len] = '\0';
	return data;
}

/* --- a device test --------------------------------------------------------- */

const char *testbus_start_device_test(struct testbus *tb, struct testbus_files *files,
		const char *sim, const char *tag)
{
	const char *rekamd = getenv("REKAMD"), *plugins = getenv("REKAM_PLUGIN_DIR");
	const char *top = getenv("top_builddir");

	if (!rekamd || !plugins || !top)
		tap_skip_all("REKAMD, REKAM_PLUGIN_DIR or top_builddir is not set (run through make "
			     "check)");
	if (testbus_start(tb) < 0)
		tap_bail("cannot start dbus-daemon");
	snprintf(files->sim, sizeof(files->sim), "%s/simulators/rekam-sim-%s", top, sim);
	snprintf(files->sock, sizeof(files->sock), "%s/%s.sock", tb->dir, tag);
	snprintf(files->control, sizeof(files->control), "%s/%s.control", tb->dir, tag);
	snprintf(files->state_dir, sizeof(files->state_dir), "%s/state", tb->dir);
	snprintf(files->log_path, sizeof(files->log_path), "%s/rekamd.log", tb->dir);
	snprintf(files->sim_log, sizeof(files->sim_log), "%s/sim.log", tb->dir);
	return plugins;
}

char *testbus_stop_rekamd(pid_t pid, int timeout_ms, const struct testbus_files *files,
		const char *plugin)
{
	char *log;

	kill(pid, SIGTERM);
	log = NULL;
	if (!tap_is_int(testbus_wait(pid, timeout_ms), 0, "rekamd stops cleanly") &&
			(log = testbus_read_file(files->log_path)))
		tap_diag("rekamd's log ends:\n%s", strlen(log) > 6000 ? log + strlen(log) - 6000 : log);
	free(log);
	log = testbus_read_file(files->log_path);
	tap_ok(log && !strstr(log, "left watches or timers behind"),
		"%s left no watch or timer behind", plugin);
	return log;
}

int testbus_end_device_test(struct testbus *tb, pid_t sim_pid, DBusConnection *conn)
{
	kill(sim_pid, SIGTERM);
	tap_is_int(testbus_wait(sim_pid, 10000), 0, "the simulator stops cleanly");
	dbus_connection_close(conn);
	dbus_connection_unref(conn);
	testbus_stop(tb);
	return tap_done();
}
