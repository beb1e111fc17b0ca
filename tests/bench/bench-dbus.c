// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * rekam - benchmarks
 *
 * bench-dbus.c - the round trip of a rekamd method against the bus's own,
 * measured in the same run: a private dbus-daemon, rekamd on it, and one
 * client alternating batches of id.rekam.Station1.Ping (through rekamd's
 * loop, object layer and signature check) with batches of
 * org.freedesktop.DBus.GetId (answered by dbus-daemon itself, the floor of
 * any D-Bus round trip, with half the hops of a call to a service) and with
 * batches of the same empty call to a bare libdbus responder (a child
 * process that does nothing but reply: the floor for a service). All go
 * through the same bus daemon. Prints the median and p99 per call of each
 * and the ratios of the medians. Not part of make check: run `make bench`.
 *
 * Usage: bench-dbus [CALLS-PER-BATCH [BATCHES]]   (default 2000 x 15)
 */
#include <config.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <dbus/dbus.h>

#include "tests/bench/bench.h"
#include "tap.h"
#include "testbus.h"

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

/* Mean microseconds per call over @n sequential calls. */
static double batch(DBusConnection *conn, const char *dest, const char *path, const char *iface,
		const char *member, int n)
{
	double start = now_us();

	for (int i = 0; i < n; i++) {
		DBusMessage *msg = dbus_message_new_method_call(dest, path, iface, member);
		DBusMessage *reply = dbus_connection_send_with_reply_and_block(conn, msg, 5000, NULL);

		dbus_message_unref(msg);
		if (!reply || dbus_message_get_type(reply) != DBUS_MESSAGE_TYPE_METHOD_RETURN) {
			fprintf(stderr, "bench-dbus: %s.%s failed\n", iface, member);
			exit(1);
		}
		dbus_message_unref(reply);
	}
	return (now_us() - start) / n;
}

static void report(const char *name, double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), bench_compare);
	printf("%-34s median %7.2f us/call   slowest batch %7.2f us/call\n", name, v[n / 2],
		v[n - 1]);
}

/* The bare responder: answer every method call on /bench with an empty reply. */
static DBusHandlerResult echo_filter(DBusConnection *conn, DBusMessage *msg, void *data)
{
	DBusMessage *reply;

	if (dbus_message_get_type(msg) != DBUS_MESSAGE_TYPE_METHOD_CALL ||
			!dbus_message_has_path(msg, "/bench"))
		return DBUS_HANDLER_RESULT_NOT_YET_HANDLED;
	reply = dbus_message_new_method_return(msg);
	dbus_connection_send(conn, reply, NULL);
	dbus_message_unref(reply);
	return DBUS_HANDLER_RESULT_HANDLED;
}

static pid_t start_echo(void)
{
	pid_t pid = fork();

	if (pid == 0) {
		DBusConnection *conn = dbus_bus_get_private(DBUS_BUS_SESSION, NULL);

		if (!conn || dbus_bus_request_name(conn, "id.rekam.BenchEcho", 0, NULL) !=
				DBUS_REQUEST_NAME_REPLY_PRIMARY_OWNER)
			_exit(1);
		dbus_connection_add_filter(conn, echo_filter, NULL, NULL);
		while (dbus_connection_read_write_dispatch(conn, -1))
			;
		_exit(0);
	}
	return pid;
}

int main(int argc, char **argv)
{
	int calls = argc > 1 ? atoi(argv[1]) : 2000, batches = argc > 2 ? atoi(argv[2]) : 15;
	const char *rekamd = getenv("REKAMD");
	char state[160], rekamd_path[512], config[160];
	double *ping, *getid, *echo;
	pid_t echo_pid;
	struct testbus tb = { 0 };
	DBusConnection *conn;
	pid_t pid;
	FILE *f;

	if (!rekamd || calls < 1 || batches < 3) {
		fprintf(stderr, "usage: REKAMD=path bench-dbus [CALLS-PER-BATCH [BATCHES>=3]]\n");
		return 64;
	}
	if (testbus_start(&tb) < 0)
		return 69;
	snprintf(state, sizeof(state), "%s/state", tb.dir);
	snprintf(config, sizeof(config), "%s/rekamd.conf", tb.dir);
	snprintf(rekamd_path, sizeof(rekamd_path), "%s", rekamd);
	f = fopen(config, "w");
	if (!f)
		return 73;
	fputs("[station]\nid = 6305-BENCH-01\n", f);
	fclose(f);
	char *args[] = { rekamd_path, "--session", "--state-dir", state, "--config", config, NULL };
	pid = testbus_spawn(&tb, args, NULL, "/dev/null");

	conn = dbus_bus_get_private(DBUS_BUS_SESSION, NULL);
	for (int i = 0; conn && i < 200 && !dbus_bus_name_has_owner(conn, "id.rekam.Station1", NULL);
			i++)
		usleep(50 * 1000);
	echo_pid = start_echo();
	for (int i = 0; conn && i < 200 && !dbus_bus_name_has_owner(conn, "id.rekam.BenchEcho", NULL);
			i++)
		usleep(50 * 1000);
	if (!conn || !dbus_bus_name_has_owner(conn, "id.rekam.Station1", NULL)) {
		fprintf(stderr, "bench-dbus: rekamd did not start\n");
		return 69;
	}

	ping = calloc((size_t)batches, sizeof(*ping));
	getid = calloc((size_t)batches, sizeof(*getid));
	echo = calloc((size_t)batches, sizeof(*echo));
	/* warm up both paths, then alternate so that drift hits both alike */
	batch(conn, "id.rekam.Station1", "/id/rekam/Station1", "id.rekam.Station1", "Ping", calls / 4 + 1);
	batch(conn, DBUS_SERVICE_DBUS, DBUS_PATH_DBUS, DBUS_INTERFACE_DBUS, "GetId", calls / 4 + 1);
	batch(conn, "id.rekam.BenchEcho", "/bench", "id.rekam.BenchEcho", "Ping", calls / 4 + 1);
	for (int b = 0; b < batches; b++) {
		getid[b] = batch(conn, DBUS_SERVICE_DBUS, DBUS_PATH_DBUS, DBUS_INTERFACE_DBUS, "GetId",
			calls);
		echo[b] = batch(conn, "id.rekam.BenchEcho", "/bench", "id.rekam.BenchEcho", "Ping",
			calls);
		ping[b] = batch(conn, "id.rekam.Station1", "/id/rekam/Station1", "id.rekam.Station1",
			"Ping", calls);
	}
	printf("D-Bus round trip, %d batches of %d sequential calls, one client\n", batches, calls);
	report("org.freedesktop.DBus.GetId (bus)", getid, batches);
	report("bare libdbus responder (floor)", echo, batches);
	report("id.rekam.Station1.Ping (rekamd)", ping, batches);
	printf("ratio of medians rekamd/GetId:     %.2f (issue target <= 1.3)\n",
		ping[batches / 2] / getid[batches / 2]);
	printf("ratio of medians bare/GetId:       %.2f (what any service pays for the extra hops)\n",
		echo[batches / 2] / getid[batches / 2]);
	printf("ratio of medians rekamd/bare:      %.2f (rekamd's own cost)\n",
		ping[batches / 2] / echo[batches / 2]);

	kill(pid, SIGTERM);
	testbus_wait(pid, 10000);
	kill(echo_pid, SIGTERM);
	testbus_wait(echo_pid, 10000);
	free(echo);
	dbus_connection_close(conn);
	dbus_connection_unref(conn);
	free(ping);
	free(getid);
	testbus_stop(&tb);
	return 0;
}
