// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * rekam - test support
 *
 * simcentral.c - starting and steering rekam-sim-central from C (see
 * simcentral.h): fork and exec with a fresh port, the line protocol of its
 * control socket, its status counters.
 */
#include <config.h>

#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "simcentral.h"

const char *simcentral_path(void)
{
	static char path[1024];
	const char *top = getenv("top_builddir");

	snprintf(path, sizeof(path), "%s/simulators/rekam-sim-central", top ? top : ".");
	return path;
}

static int free_port(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0), port = -1;

	if (fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0 &&
			getsockname(fd, (struct sockaddr *)&a, &len) == 0)
		port = ntohs(a.sin_port);
	if (fd >= 0)
		close(fd);
	return port;
}

const char *simcentral_ctl(struct simcentral *s, const char *line)
{
	static char answer[4096];
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	size_t n = 0;

	snprintf(a.sun_path, sizeof(a.sun_path), "%s", s->ctl);
	answer[0] = '\0';
	if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0 ||
			write(fd, line, strlen(line)) < 0 || write(fd, "\n", 1) < 0) {
		if (fd >= 0)
			close(fd);
		return answer;
	}
	while (n < sizeof(answer) - 1) {
		ssize_t r = read(fd, answer + n, sizeof(answer) - 1 - n);

		if (r <= 0)
			break;
		n += (size_t)r;
		if (memchr(answer, '\n', n))
			break;
	}
	answer[n] = '\0';
	answer[strcspn(answer, "\n")] = '\0';
	close(fd);
	return answer;
}

long simcentral_counter(struct simcentral *s, const char *name)
{
	const char *line = simcentral_ctl(s, "status"), *p;
	char key[64];

	snprintf(key, sizeof(key), " %s=", name);
	p = strstr(line, key);
	return p ? strtol(p + strlen(key), NULL, 10) : -1;
}

int simcentral_make_pki(const char *dir)
{
	char cmd[2048];

	snprintf(cmd, sizeof(cmd), "'%s' --make-pki '%s' >/dev/null 2>&1", simcentral_path(), dir);
	return system(cmd) == 0 ? 0 : -1;
}

int simcentral_start(struct simcentral *s, const char *dir, const char *time_scale)
{
	char port[16], sock[400];
	int p = free_port();

	memset(s, 0, sizeof(*s));
	snprintf(s->dir, sizeof(s->dir), "%s", dir);
	snprintf(s->pki, sizeof(s->pki), "%s/pki", dir);
	snprintf(s->ctl, sizeof(s->ctl), "%s/central.ctl", dir);
	snprintf(sock, sizeof(sock), "%s/central.sock", dir);
	snprintf(port, sizeof(port), "%d", p);
	snprintf(s->url, sizeof(s->url), "https://127.0.0.1:%d/v1", p);
	if (p < 0 || simcentral_make_pki(s->pki) < 0) {
		fprintf(stderr, "cannot make the test PKI with %s\n", simcentral_path());
		return -1;
	}
	fflush(NULL);
	s->pid = fork();
	if (s->pid == 0) {
		int null = open("/dev/null", O_WRONLY);

		if (!getenv("REKAM_TEST_VERBOSE") && null >= 0)
			dup2(null, STDERR_FILENO);
		execl(simcentral_path(), "rekam-sim-central", "--pki", s->pki, "--port", port,
				"--socket", sock, "--control", s->ctl, "--time-scale", time_scale,
				NULL);
		_exit(127);
	}
	for (int i = 0; s->pid > 0 && i < 3000; i++) {
		if (strncmp(simcentral_ctl(s, "status"), "OK", 2) == 0)
			return 0;
		usleep(10000);
	}
	fprintf(stderr, "rekam-sim-central did not start\n");
	return -1;
}

void simcentral_stop(struct simcentral *s)
{
	int status;

	if (s->pid > 0) {
		kill(s->pid, SIGTERM);
		waitpid(s->pid, &status, 0);
		s->pid = 0;
	}
}
