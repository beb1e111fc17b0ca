// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * rekam - stress tests
 *
 * dbus-load.c - many D-Bus clients at once against rekamd: CLIENTS
 * processes, each with its own connection to the session bus, make calls
 * back to back for SECONDS, one at a time each, and time every call. The
 * mix (the default) is what status screens and desks do all day: Ping,
 * GetStatus, Properties.GetAll and Get of the station, and GetAll of the
 * first device; `ping` calls only Ping; `getid` calls the bus daemon's own
 * GetId (the floor of any round trip, for tests/bench). Every answer must be
 * a method return: an error, a timeout or a lost connection counts as an
 * error, and any error makes the exit status 1.
 *
 *   dbus-load [--target mix|ping|getid] CLIENTS SECONDS
 *
 * Prints one line: clients, calls, errors, calls per second, and the
 * median, 99th percentile and largest round trip in microseconds over every
 * call of every client.
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

#define NAME "id.rekam.Station1"
#define ROOT "/id/rekam/Station1"
#define MAX_SAMPLES (1u << 20) /* per client: a million calls */
#define MAX_CLIENTS 512

enum target { TARGET_MIX, TARGET_PING, TARGET_GETID };

static uint64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static DBusMessage *next_call(enum target target, unsigned int n, const char *device)
{
	static const char *iface = NAME;
	static const char *state = "State";
	static const char *dev_iface = NAME ".Device";

	DBusMessage *m;

	if (target == TARGET_GETID)
		return dbus_message_new_method_call(DBUS_SERVICE_DBUS, DBUS_PATH_DBUS,
				DBUS_INTERFACE_DBUS, "GetId");
	if (target == TARGET_PING)
		return dbus_message_new_method_call(NAME, ROOT, NAME, "Ping");
	switch (n % 5) {
	case 0:
		return dbus_message_new_method_call(NAME, ROOT, NAME, "Ping");
	case 1:
		return dbus_message_new_method_call(NAME, ROOT, NAME, "GetStatus");
	case 2:
		m = dbus_message_new_method_call(NAME, ROOT, DBUS_INTERFACE_PROPERTIES, "GetAll");
		if (m)
			dbus_message_append_args(m, DBUS_TYPE_STRING, &iface, DBUS_TYPE_INVALID);
		return m;
	case 3:
		m = dbus_message_new_method_call(NAME, ROOT, DBUS_INTERFACE_PROPERTIES, "Get");
		if (m)
			dbus_message_append_args(m, DBUS_TYPE_STRING, &iface, DBUS_TYPE_STRING,
					&state, DBUS_TYPE_INVALID);
		return m;
	default:
		if (!device)
			return dbus_message_new_method_call(NAME, ROOT, NAME, "Ping");
		m = dbus_message_new_method_call(NAME, device, DBUS_INTERFACE_PROPERTIES,
				"GetAll");
		if (m)
			dbus_message_append_args(m, DBUS_TYPE_STRING, &dev_iface,
					DBUS_TYPE_INVALID);
		return m;
	}
}

/* The first device's path from the Devices property, or NULL. */
static char *first_device(DBusConnection *c)
{
	static const char *iface = NAME;
	static const char *prop = "Devices";
	DBusMessage *m, *reply;
	DBusMessageIter it, var, arr;
	char *path = NULL;
	const char *p;

	m = dbus_message_new_method_call(NAME, ROOT, DBUS_INTERFACE_PROPERTIES, "Get");
	if (!m)
		return NULL;
	dbus_message_append_args(m, DBUS_TYPE_STRING, &iface, DBUS_TYPE_STRING, &prop,
			DBUS_TYPE_INVALID);
	reply = dbus_connection_send_with_reply_and_block(c, m, 20000, NULL);
	dbus_message_unref(m);
	if (!reply)
		return NULL;
	if (dbus_message_iter_init(reply, &it) &&
			dbus_message_iter_get_arg_type(&it) == DBUS_TYPE_VARIANT) {
		dbus_message_iter_recurse(&it, &var);
		if (dbus_message_iter_get_arg_type(&var) == DBUS_TYPE_ARRAY) {
			dbus_message_iter_recurse(&var, &arr);
			if (dbus_message_iter_get_arg_type(&arr) == DBUS_TYPE_OBJECT_PATH) {
				dbus_message_iter_get_basic(&arr, &p);
				path = strdup(p);
			}
		}
	}
	dbus_message_unref(reply);
	return path;
}

/* One client: calls until @deadline; writes the number of calls, of
 * errors, then every round trip (uint32 µs) to @fd. */
static int client(enum target target, uint64_t start, uint64_t deadline, int fd)
{
	DBusConnection *c;
	DBusError err;
	uint32_t *samples = malloc(MAX_SAMPLES * sizeof(*samples));
	uint32_t head[2] = { 0, 0 }; /* calls, errors */
	char *device = NULL;
	size_t off, len;

	dbus_error_init(&err);
	c = dbus_bus_get_private(DBUS_BUS_SESSION, &err);
	if (!c || !samples) {
		fprintf(stderr, "dbus-load: client %d: %s\n", (int)getpid(),
				c ? "out of memory" : err.message);
		dbus_error_free(&err);
		head[1] = 1;
		(void)!write(fd, head, sizeof(head));
		return 1;
	}
	if (target == TARGET_MIX)
		device = first_device(c);
	while (now_us() < start)
		usleep(1000);
	while (head[0] < MAX_SAMPLES && now_us() < deadline) {
		DBusMessage *m = next_call(target, head[0], device), *reply;
		uint64_t t0 = now_us();

		if (!m)
			break;
		reply = dbus_connection_send_with_reply_and_block(c, m, 20000, &err);
		samples[head[0]++] = (uint32_t)(now_us() - t0);
		dbus_message_unref(m);
		if (!reply || dbus_message_get_type(reply) != DBUS_MESSAGE_TYPE_METHOD_RETURN) {
			if (head[1]++ < 5)
				fprintf(stderr, "dbus-load: client %d: %s: %s\n", (int)getpid(),
						err.name ? err.name : "?",
						err.message ? err.message : "no answer");
			dbus_error_free(&err);
		}
		if (reply)
			dbus_message_unref(reply);
	}
	free(device);
	dbus_connection_close(c);
	dbus_connection_unref(c);
	if (write(fd, head, sizeof(head)) != sizeof(head))
		return 1;
	for (off = 0, len = head[0] * sizeof(*samples); off < len;) {
		ssize_t w = write(fd, (char *)samples + off, len - off);

		if (w <= 0)
			return 1;
		off += (size_t)w;
	}
	free(samples);
	return 0;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static int read_all(int fd, void *buf, size_t len)
{
	size_t off = 0;

	while (off < len) {
		ssize_t r = read(fd, (char *)buf + off, len - off);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		off += (size_t)r;
	}
	return 0;
}

static void usage(FILE *f)
{
	fprintf(f, "Usage: dbus-load [--target mix|ping|getid] CLIENTS SECONDS\n"
		"CLIENTS processes (1-%d) call rekamd (or the bus: getid) on the session bus\n"
		"for SECONDS (1-3600); prints calls, errors and round trips; exit 1 on any\n"
		"error.\n", MAX_CLIENTS);
}

int main(int argc, char **argv)
{
	enum target target = TARGET_MIX;
	int clients, seconds, fds[MAX_CLIENTS], failed = 0;
	pid_t pids[MAX_CLIENTS];
	uint32_t *all = NULL;
	uint64_t calls = 0, errors = 0, start, deadline;
	size_t n = 0;
	int argi = 1;

	if (argc > 1 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		usage(stdout);
		return 0;
	}
	if (argc > 2 && !strcmp(argv[1], "--target")) {
		if (!strcmp(argv[2], "mix"))
			target = TARGET_MIX;
		else if (!strcmp(argv[2], "ping"))
			target = TARGET_PING;
		else if (!strcmp(argv[2], "getid"))
			target = TARGET_GETID;
		else {
			usage(stderr);
			return 64;
		}
		argi = 3;
	}
	if (argc - argi != 2) {
		usage(stderr);
		return 64;
	}
	clients = atoi(argv[argi]);
	seconds = atoi(argv[argi + 1]);
	if (clients < 1 || clients > MAX_CLIENTS || seconds < 1 || seconds > 3600) {
		usage(stderr);
		return 64;
	}
	signal(SIGPIPE, SIG_IGN);
	/* every client starts at the same time, once all are connected */
	start = now_us() + 500000u + (uint64_t)clients * 20000u;
	deadline = start + (uint64_t)seconds * 1000000u;
	for (int i = 0; i < clients; i++) {
		int p[2];

		if (pipe(p) < 0) {
			perror("dbus-load: pipe");
			return 70;
		}
		pids[i] = fork();
		if (pids[i] < 0) {
			perror("dbus-load: fork");
			return 70;
		}
		if (pids[i] == 0) {
			close(p[0]);
			for (int j = 0; j < i; j++)
				close(fds[j]);
			_exit(client(target, start, deadline, p[1]));
		}
		close(p[1]);
		fds[i] = p[0];
	}
	for (int i = 0; i < clients; i++) {
		uint32_t head[2];
		uint32_t *more;
		int status;

		if (read_all(fds[i], head, sizeof(head)) < 0) {
			failed = 1;
		} else {
			calls += head[0];
			errors += head[1];
			more = realloc(all, (n + head[0] + 1) * sizeof(*all));
			if (!more || read_all(fds[i], more + n, head[0] * sizeof(*all)) < 0) {
				failed = 1;
				if (more)
					all = more;
			} else {
				all = more;
				n += head[0];
			}
		}
		close(fds[i]);
		if (waitpid(pids[i], &status, 0) < 0 || !WIFEXITED(status) ||
				WEXITSTATUS(status) != 0)
			failed = 1;
	}
	if (n)
		qsort(all, n, sizeof(*all), cmp_u32);
	printf("clients %d target %s calls %llu errors %llu rate %.0f/s "
		"p50 %u us p99 %u us max %u us\n", clients,
		target == TARGET_MIX ? "mix" : target == TARGET_PING ? "ping" : "getid",
		(unsigned long long)calls, (unsigned long long)errors,
		(double)calls / seconds, n ? all[n / 2] : 0, n ? all[n * 99 / 100] : 0,
		n ? all[n - 1] : 0);
	free(all);
	return failed || errors || !calls ? 1 : 0;
}
