// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * rekam - integration tests
 *
 * test-lifecycle.c - rekamd's life cycle seen by a libdbus client and by a
 * service manager: READY/RELOADING/STOPPING and watchdog pings on
 * $NOTIFY_SOCKET, the State property and its PropertiesChanged signals,
 * SIGHUP with a good and a bad configuration, SIGTERM, and the guards that
 * keep a second rekamd off the same state directory or bus name.
 */
#include <config.h>

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <dbus/dbus.h>

#include "tap.h"
#include "testbus.h"

#define NAME "id.rekam.Station1"
#define PATH "/id/rekam/Station1"

static struct testbus tb;
static DBusConnection *conn;
static int notify_fd = -1;
static char notify_path[100], config_path[128], state_dir[128], log_path[128];

/* --- the service manager side ---------------------------------------------- */

static void open_notify_socket(void)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };

	snprintf(notify_path, sizeof(notify_path), "%s/notify", tb.dir);
	snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", notify_path);
	notify_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (notify_fd < 0 || bind(notify_fd, (struct sockaddr *)&addr, sizeof(addr)) < 0)
		tap_bail("cannot bind %s: %s", notify_path, strerror(errno));
}

/* Wait up to @ms for a notification containing @what; true if it came. */
static bool wait_notify(const char *what, int ms)
{
	char buf[1024];

	for (int waited = 0; waited < ms; waited += 50) {
		struct pollfd pfd = { .fd = notify_fd, .events = POLLIN };
		ssize_t n;

		if (poll(&pfd, 1, 50) <= 0)
			continue;
		n = recv(notify_fd, buf, sizeof(buf) - 1, 0);
		if (n <= 0)
			continue;
		buf[n] = '\0';
		if (strstr(buf, what))
			return true;
	}
	return false;
}

static void drain_notify(void)
{
	char buf[1024];

	while (recv(notify_fd, buf, sizeof(buf), MSG_DONTWAIT) > 0)
		;
}

/* --- rekamd ---------------------------------------------------------------- */

static void write_config(const char *text)
{
	FILE *f = fopen(config_path, "w");

	if (!f || fputs(text, f) < 0 || fclose(f) != 0)
		tap_bail("cannot write %s", config_path);
}

static pid_t spawn_rekamd(const char *state, bool with_notify)
{
	static char notify_env[192], watchdog_env[] = "WATCHDOG_USEC=200000";
	char rekamd[512];
	const char *path = getenv("REKAMD");
	char *argv[] = { rekamd, "--session", "--state-dir", (char *)state, "--config",
		config_path, NULL };
	char *env[] = { notify_env, watchdog_env, NULL };

	snprintf(rekamd, sizeof(rekamd), "%s", path ? path : "daemon/rekamd");
	snprintf(notify_env, sizeof(notify_env), "NOTIFY_SOCKET=%s", notify_path);
	return testbus_spawn(&tb, argv, with_notify ? env : NULL, log_path);
}

static bool has_owner(void)
{
	return dbus_bus_name_has_owner(conn, NAME, NULL);
}

/* --- D-Bus helpers --------------------------------------------------------- */

static DBusMessage *call(const char *iface, const char *member, int first_type, ...)
{
	DBusMessage *msg = dbus_message_new_method_call(NAME, PATH, iface, member);
	DBusMessage *reply;
	DBusError err;
	va_list ap;

	va_start(ap, first_type);
	dbus_message_append_args_valist(msg, first_type, ap);
	va_end(ap);
	dbus_error_init(&err);
	reply = dbus_connection_send_with_reply_and_block(conn, msg, 5000, &err);
	dbus_message_unref(msg);
	if (!reply) {
		tap_diag("%s.%s: %s: %s", iface, member, err.name, err.message);
		dbus_error_free(&err);
	}
	return reply;
}

/* The string at @key of an a{sv} (or of the variant at @iter); malloc'd. */
static char *dict_string(DBusMessageIter *iter, const char *key)
{
	DBusMessageIter dict, entry, var;

	dbus_message_iter_recurse(iter, &dict);
	for (; dbus_message_iter_get_arg_type(&dict) == DBUS_TYPE_DICT_ENTRY;
			dbus_message_iter_next(&dict)) {
		const char *k, *v;

		dbus_message_iter_recurse(&dict, &entry);
		dbus_message_iter_get_basic(&entry, &k);
		if (strcmp(k, key) != 0)
			continue;
		dbus_message_iter_next(&entry);
		dbus_message_iter_recurse(&entry, &var);
		if (dbus_message_iter_get_arg_type(&var) == DBUS_TYPE_STRING) {
			dbus_message_iter_get_basic(&var, &v);
			return strdup(v);
		}
		if (dbus_message_iter_get_arg_type(&var) == DBUS_TYPE_UINT32) {
			dbus_uint32_t u;
			char *s;

			dbus_message_iter_get_basic(&var, &u);
			return asprintf(&s, "%u", u) < 0 ? NULL : s;
		}
	}
	return NULL;
}

static char *get_property(const char *name)
{
	const char *iface = NAME;
	DBusMessage *reply = call(DBUS_INTERFACE_PROPERTIES, "Get", DBUS_TYPE_STRING, &iface,
		DBUS_TYPE_STRING, &name, DBUS_TYPE_INVALID);
	DBusMessageIter iter, var;
	const char *v;
	char *s = NULL;

	if (!reply)
		return NULL;
	dbus_message_iter_init(reply, &iter);
	dbus_message_iter_recurse(&iter, &var);
	if (dbus_message_iter_get_arg_type(&var) == DBUS_TYPE_STRING) {
		dbus_message_iter_get_basic(&var, &v);
		s = strdup(v);
	}
	dbus_message_unref(reply);
	return s;
}

static char *status_field(const char *key)
{
	DBusMessage *reply = call(NAME, "GetStatus", DBUS_TYPE_INVALID);
	DBusMessageIter iter;
	char *s;

	if (!reply)
		return NULL;
	dbus_message_iter_init(reply, &iter);
	s = dict_string(&iter, key);
	dbus_message_unref(reply);
	return s;
}

/* Wait up to @ms for PropertiesChanged on the manager carrying @key = @value. */
static bool wait_changed(const char *key, const char *value, int ms)
{
	for (int waited = 0; waited < ms; waited += 50) {
		DBusMessage *msg;

		dbus_connection_read_write(conn, 50);
		while ((msg = dbus_connection_pop_message(conn))) {
			DBusMessageIter iter;
			char *got = NULL;

			if (dbus_message_is_signal(msg, DBUS_INTERFACE_PROPERTIES, "PropertiesChanged") &&
					dbus_message_has_path(msg, PATH)) {
				dbus_message_iter_init(msg, &iter);
				dbus_message_iter_next(&iter);
				got = dict_string(&iter, key);
			}
			dbus_message_unref(msg);
			if (got && strcmp(got, value) == 0) {
				free(got);
				return true;
			}
			free(got);
		}
	}
	return false;
}

static void is_string(char *got, const char *want, const char *what)
{
	tap_is_str(got, want, "%s", what);
	free(got);
}

static void contains(char *got, const char *want, const char *what)
{
	tap_contains(got, want, "%s", what);
	free(got);
}

/* --- the tests ------------------------------------------------------------- */

static void test_start(pid_t pid)
{
	char *log;

	tap_ok(wait_notify("READY=1", 20000), "rekamd sends READY=1 to the service manager");
	tap_ok(has_owner(), "... after it owns " NAME);
	is_string(get_property("State"), "ready", "State is ready");
	is_string(get_property("StationId"), "6305-TEST-01", "StationId comes from the config file");
	is_string(get_property("OfficeHours"), "08:00-15:00", "OfficeHours has the SOP default");
	is_string(status_field("Starts"), "1", "GetStatus counts the first start");
	is_string(status_field("ConfigPath"), config_path, "GetStatus names the config file");
	tap_ok(wait_notify("WATCHDOG=1", 5000) && wait_notify("WATCHDOG=1", 5000),
		"rekamd pings the watchdog when WATCHDOG_USEC is set");
	log = testbus_read_file(log_path);
	contains(log, "<5>ready: station 6305-TEST-01", "log lines carry <N> priority prefixes");
	(void)pid;
}

static void test_reload(pid_t pid)
{
	DBusMessage *reply;

	drain_notify();
	write_config("[station]\nid = 6305-TEST-02\noffice-hours = 07:30-14:00\n");
	kill(pid, SIGHUP);
	tap_ok(wait_changed("StationId", "6305-TEST-02", 5000),
		"SIGHUP: PropertiesChanged carries the new StationId");
	tap_ok(wait_notify("RELOADING=1", 2000), "... RELOADING=1 was sent");
	tap_ok(wait_notify("READY=1", 2000), "... then READY=1");
	is_string(get_property("OfficeHours"), "07:30-14:00", "... OfficeHours is reloaded too");

	write_config("[station]\nthis is not a key value line\nid = 6305-TEST-03\n");
	kill(pid, SIGHUP);
	tap_ok(wait_changed("State", "degraded", 5000),
		"SIGHUP with a bad file: State becomes degraded");
	is_string(get_property("StationId"), "6305-TEST-02", "... the previous configuration stays");
	contains(status_field("ConfigError"), "rekamd.conf:2:",
		"... GetStatus says which line is wrong");
	reply = call(NAME, "Ping", DBUS_TYPE_INVALID);
	tap_ok(reply != NULL, "... and rekamd keeps answering");
	if (reply)
		dbus_message_unref(reply);

	write_config("[station]\nid = 6305-TEST-01\n");
	kill(pid, SIGHUP);
	tap_ok(wait_changed("State", "ready", 5000), "a good file again: State is ready");
	is_string(status_field("ConfigError"), "", "... and ConfigError is empty");
}

static void clear_log(void)
{
	FILE *f = fopen(log_path, "w");

	if (f)
		fclose(f);
}

static void test_second_instance(void)
{
	char other[160], *log;
	pid_t pid;
	int status;

	clear_log();
	pid = spawn_rekamd(state_dir, false);
	status = testbus_wait(pid, 10000);
	tap_is_int(status, 69, "a second rekamd on the same state directory exits with 69");
	log = testbus_read_file(log_path);
	contains(log, "another rekamd is using state directory", "... saying why");

	snprintf(other, sizeof(other), "%s/state2", tb.dir);
	clear_log();
	pid = spawn_rekamd(other, false);
	status = testbus_wait(pid, 10000);
	tap_is_int(status, 69, "a second rekamd on the same bus exits with 69");
	log = testbus_read_file(log_path);
	contains(log, NAME " is already owned", "... saying why");
}

static void test_stop(pid_t pid)
{
	drain_notify();
	kill(pid, SIGTERM);
	tap_ok(wait_changed("State", "stopping", 5000), "SIGTERM: State becomes stopping");
	tap_ok(wait_notify("STOPPING=1", 5000), "... STOPPING=1 is sent");
	tap_is_int(testbus_wait(pid, 10000), 0, "... and rekamd exits with status 0");
	tap_ok(!has_owner(), "... releasing " NAME);
}

int main(void)
{
	DBusError err;
	const char *match = "type='signal',sender='" NAME "',path='" PATH "'";
	pid_t pid;

	if (!getenv("REKAMD"))
		tap_skip_all("REKAMD is not set (run through make check)");
	if (testbus_start(&tb) < 0)
		tap_bail("cannot start dbus-daemon");
	snprintf(config_path, sizeof(config_path), "%s/rekamd.conf", tb.dir);
	snprintf(state_dir, sizeof(state_dir), "%s/state", tb.dir);
	snprintf(log_path, sizeof(log_path), "%s/rekamd.log", tb.dir);
	open_notify_socket();

	dbus_error_init(&err);
	conn = dbus_bus_get_private(DBUS_BUS_SESSION, &err);
	if (!conn)
		tap_bail("cannot connect to the test bus: %s", err.message);
	dbus_bus_add_match(conn, match, &err);

	write_config("[station]\nid = 6305-TEST-01\n");
	pid = spawn_rekamd(state_dir, true);
	test_start(pid);
	test_reload(pid);
	test_second_instance();
	test_stop(pid);

	pid = spawn_rekamd(state_dir, true);
	tap_ok(wait_notify("READY=1", 20000), "rekamd starts again on the same state directory");
	is_string(status_field("Starts"), "2", "... and the start count survived in the database");
	kill(pid, SIGTERM);
	tap_is_int(testbus_wait(pid, 10000), 0, "... and stops cleanly again");

	dbus_connection_close(conn);
	dbus_connection_unref(conn);
	close(notify_fd);
	testbus_stop(&tb);
	return tap_done();
}
