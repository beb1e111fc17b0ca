// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * rekam - KTP-el recording station daemon
 *
 * sd-notify.c - a few lines of the systemd notification protocol: one
 * datagram to the AF_UNIX socket named by $NOTIFY_SOCKET (a path, or an
 * abstract name when it starts with '@').
 */
#include <config.h>

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "daemon/sd-notify.h"

int rk_sd_notify(const char *state)
{
	const char *name = getenv("NOTIFY_SOCKET");
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	size_t len;
	socklen_t addr_len;
	int fd, err = 0;

	if (!name || !*name)
		return 0;
	len = strlen(name);
	if ((name[0] != '/' && name[0] != '@') || len >= sizeof(addr.sun_path))
		return -EINVAL;
	memcpy(addr.sun_path, name, len);
	if (name[0] == '@')
		addr.sun_path[0] = '\0';
	addr_len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len);

	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (sendto(fd, state, strlen(state), MSG_NOSIGNAL, (struct sockaddr *)&addr, addr_len) < 0)
		err = -errno;
	close(fd);
	return err;
}

int rk_sd_notifyf(const char *fmt, ...)
{
	char state[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(state, sizeof(state), fmt, ap);
	va_end(ap);
	return rk_sd_notify(state);
}

uint64_t rk_sd_watchdog_usec(void)
{
	const char *usec = getenv("WATCHDOG_USEC");
	const char *pid = getenv("WATCHDOG_PID");
	char *end;
	uint64_t value;

	if (!usec || !*usec)
		return 0;
	if (pid && *pid) {
		errno = 0;
		long p = strtol(pid, &end, 10);

		if (errno || *end || p != (long)getpid())
			return 0;
	}
	errno = 0;
	value = strtoull(usec, &end, 10);
	if (errno || *end || usec[0] == '-')
		return 0;
	return value;
}
