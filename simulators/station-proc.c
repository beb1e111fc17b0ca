// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * rekam - device simulators
 *
 * station-proc.c - rekam-sim-station's processes: its messages, the signals it
 * takes with sigtimedwait() (every wait is a plain loop), and starting,
 * watching and stopping the children in their own process group.
 */
#include <config.h>

#include "simulators/station.h"

sigset_t handled_signals; /* blocked; taken by sigtimedwait() */
sigset_t original_mask;
int stop_signal; /* the first SIGINT, SIGTERM or SIGHUP */
bool verbose;


/* --- messages ------------------------------------------------------------------ */

__attribute__((format(printf, 1, 2))) void err(const char *fmt, ...)
{
	va_list ap;

	fputs(PROG ": ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}


void *xmalloc_fail(void)
{
	err("out of memory");
	exit(EX_OSERR);
}

__attribute__((format(printf, 1, 2))) char *xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *s;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n < 0)
		return xmalloc_fail();
	return s;
}

char *xstrdup(const char *s)
{
	char *d = strdup(s);

	return d ? d : xmalloc_fail();
}

/* --- signals and waiting ------------------------------------------------------- */

void setup_signals(void)
{
	struct sigaction old;

	sigemptyset(&handled_signals);
	/* a SIGINT ignored by who started us (a background job) stays ignored */
	if (sigaction(SIGINT, NULL, &old) < 0 || old.sa_handler != SIG_IGN)
		sigaddset(&handled_signals, SIGINT);
	sigaddset(&handled_signals, SIGTERM);
	sigaddset(&handled_signals, SIGHUP);
	sigaddset(&handled_signals, SIGCHLD);
	sigprocmask(SIG_BLOCK, &handled_signals, &original_mask);
	signal(SIGPIPE, SIG_IGN);
}

/*
 * Wait up to @ms or until a signal comes; a stopping signal is recorded in
 * stop_signal. Returns the signal taken, or 0.
 */
int nap(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
	int sig = sigtimedwait(&handled_signals, NULL, &ts);

	if (sig == SIGINT || sig == SIGTERM || sig == SIGHUP) {
		if (!stop_signal)
			stop_signal = sig;
		return sig;
	}
	return sig > 0 ? sig : 0;
}

uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Has @c exited? Reaps it once. */
bool child_exited(struct child *c)
{
	pid_t r;

	if (!c->pid || c->exited)
		return c->pid != 0;
	r = waitpid(c->pid, &c->status, WNOHANG);
	if (r == c->pid || (r < 0 && errno == ECHILD))
		c->exited = true;
	return c->exited;
}

void describe_status(int status, char *buf, size_t size)
{
	if (WIFEXITED(status))
		snprintf(buf, size, "exit status %d", WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		snprintf(buf, size, "killed by signal %d (%s)", WTERMSIG(status),
			strsignal(WTERMSIG(status)));
	else
		snprintf(buf, size, "status %#x", status);
}

/*
 * Stop @c: SIGTERM, wait up to @ms, then SIGKILL. Returns true when it
 * stopped by itself in time.
 */
bool stop_child(struct child *c, int ms)
{
	uint64_t deadline = now_ms() + (uint64_t)ms;
	char how[64];

	if (!c->pid || child_exited(c))
		return true;
	info("stopping %s (pid %d)", c->what, (int)c->pid);
	kill(c->pid, SIGTERM);
	while (!child_exited(c) && now_ms() < deadline)
		nap(POLL_MS);
	if (c->exited) {
		describe_status(c->status, how, sizeof(how));
		info("%s stopped: %s", c->what, how);
		return true;
	}
	err("%s (pid %d) did not stop within %d s after SIGTERM: killing it (SIGKILL)", c->what,
		(int)c->pid, ms / 1000);
	kill(c->pid, SIGKILL);
	if (waitpid(c->pid, &c->status, 0) == c->pid)
		c->exited = true;
	return false;
}

/* --- starting processes -------------------------------------------------------- */

/*
 * Fork and exec @argv. @out_fd and @err_fd become its standard output and
 * error (-1: ours); @fd3, when >= 0, becomes its descriptor 3. A daemon gets
 * /dev/null as input and its own process group.
 */
pid_t spawn(char *const argv[], int out_fd, int err_fd, int fd3, bool daemon)
{
	pid_t pid;
	int null;

	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0) {
		err("cannot fork: %s", strerror(errno));
		return -1;
	}
	if (pid > 0)
		return pid;

	signal(SIGPIPE, SIG_DFL);
	sigprocmask(SIG_SETMASK, &original_mask, NULL);
	if (daemon) {
		setpgid(0, 0);
		null = open("/dev/null", O_RDONLY | O_CLOEXEC);
		if (null >= 0)
			dup2(null, STDIN_FILENO);
	}
	if (out_fd >= 0)
		dup2(out_fd, STDOUT_FILENO);
	if (err_fd >= 0)
		dup2(err_fd, STDERR_FILENO);
	if (fd3 == 3)
		fcntl(3, F_SETFD, 0); /* dup2() onto itself would keep close-on-exec */
	else if (fd3 >= 0)
		dup2(fd3, 3);
	execvp(argv[0], argv);
	fprintf(stderr, PROG ": cannot run %s: %s\n", argv[0], strerror(errno));
	_exit(errno == ENOENT ? 127 : 126);
}

int open_log(const char *dir, const char *name)
{
	char *path = xasprintf("%s/%s", dir, name);
	int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);

	if (fd < 0)
		err("cannot open %s: %s", path, strerror(errno));
	free(path);
	return fd;
}

/* The last @lines lines of DIR/@name on standard error, indented. */
void show_log(const struct station *st, const char *name, int lines)
{
	char *path = xasprintf("%s/%s", st->dir, name);
	FILE *f = fopen(path, "r");
	char **ring, *line = NULL;
	size_t cap = 0, n = 0, i;

	free(path);
	if (!f)
		return;
	ring = calloc((size_t)lines, sizeof(*ring));
	if (!ring) {
		fclose(f);
		return;
	}
	while (getline(&line, &cap, f) >= 0) {
		free(ring[n % (size_t)lines]);
		ring[n % (size_t)lines] = line;
		line = NULL;
		cap = 0;
		n++;
	}
	free(line);
	fclose(f);
	fprintf(stderr, PROG ": %s %s:\n", n > (size_t)lines ? "the end of" : "the log",
		name);
	for (i = n > (size_t)lines ? n - (size_t)lines : 0; i < n; i++) {
		const char *l = ring[i % (size_t)lines];

		fprintf(stderr, "    %s%s", l, l[0] && l[strlen(l) - 1] == '\n' ? "" : "\n");
	}
	for (i = 0; i < (size_t)lines; i++)
		free(ring[i]);
	free(ring);
}

