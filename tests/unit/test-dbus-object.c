// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * rekam - unit tests
 *
 * test-dbus-object.c - the D-Bus object layer and its libevent main loop.
 * A service connection serves a test interface through dbus-object.c; a
 * client connection on the same private bus calls it. Both are driven by one
 * libevent loop through dbus-mainloop.c, so every call here also exercises
 * watches, timeouts and deferred dispatch. A test authorizer grants roles
 * from a mask, answering later as roles.c does, to check the one place where
 * calls that need roles are stopped or let through.
 */
#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "daemon/dbus-error.h"
#include "daemon/dbus-mainloop.h"
#include "daemon/dbus-object.h"
#include "tap.h"
#include "testbus.h"

#define SERVICE "id.rekam.Test"
#define ROOT "/test/root"
#define IFACE "id.rekam.Test1"

static struct event_base *base;
static DBusConnection *service, *client;
static struct rk_dbus *bus;
static const char *service_name; /* unique name of the service connection */

/* --- the test object ------------------------------------------------------- */

struct thing {
	char name[64];
	dbus_uint32_t count;
	bool hidden_present;
	DBusMessage *pending; /* AsyncHello waiting for its reply */
	struct event *later;
};

static DBusMessage *echo(DBusConnection *conn, DBusMessage *msg, void *data)
{
	const char *s;
	DBusMessage *reply;

	dbus_message_get_args(msg, NULL, DBUS_TYPE_STRING, &s, DBUS_TYPE_INVALID);
	reply = dbus_message_new_method_return(msg);
	dbus_message_append_args(reply, DBUS_TYPE_STRING, &s, DBUS_TYPE_INVALID);
	return reply;
}

static DBusMessage *add(DBusConnection *conn, DBusMessage *msg, void *data)
{
	dbus_int32_t a, b, sum;
	DBusMessage *reply;

	dbus_message_get_args(msg, NULL, DBUS_TYPE_INT32, &a, DBUS_TYPE_INT32, &b,
		DBUS_TYPE_INVALID);
	sum = a + b;
	reply = dbus_message_new_method_return(msg);
	dbus_message_append_args(reply, DBUS_TYPE_INT32, &sum, DBUS_TYPE_INVALID);
	return reply;
}

static void hello_later(evutil_socket_t fd, short what, void *data)
{
	struct thing *t = data;
	const char *s = "hello, later";
	DBusMessage *reply = dbus_message_new_method_return(t->pending);

	dbus_message_append_args(reply, DBUS_TYPE_STRING, &s, DBUS_TYPE_INVALID);
	rk_dbus_send_reply(bus, reply);
	dbus_message_unref(t->pending);
	t->pending = NULL;
}

static DBusMessage *async_hello(DBusConnection *conn, DBusMessage *msg, void *data)
{
	struct thing *t = data;
	struct timeval tv = { 0, 20000 };

	t->pending = dbus_message_ref(msg);
	evtimer_add(t->later, &tv);
	return NULL;
}

static bool get_name(DBusMessageIter *iter, void *data)
{
	struct thing *t = data;
	const char *s = t->name;

	return dbus_message_iter_append_basic(iter, DBUS_TYPE_STRING, &s);
}

static DBusMessage *set_name(DBusMessage *msg, DBusMessageIter *value, void *data)
{
	struct thing *t = data;
	const char *s;

	dbus_message_iter_get_basic(value, &s);
	if (!*s || strlen(s) >= sizeof(t->name))
		return rk_dbus_error(msg, RK_DBUS_ERROR_INVALID_ARGUMENTS,
			"Name must be 1 to 63 characters");
	snprintf(t->name, sizeof(t->name), "%s", s);
	rk_dbus_property_changed(bus, dbus_message_get_path(msg), IFACE, "Name");
	return NULL;
}

static bool get_count(DBusMessageIter *iter, void *data)
{
	struct thing *t = data;

	return dbus_message_iter_append_basic(iter, DBUS_TYPE_UINT32, &t->count);
}

static bool hidden_exists(void *data)
{
	struct thing *t = data;

	return t->hidden_present;
}

static bool get_const(DBusMessageIter *iter, void *data)
{
	const char *s = "fixed";

	return dbus_message_iter_append_basic(iter, DBUS_TYPE_STRING, &s);
}

static const struct rk_dbus_method methods[] = {
	{ "Echo", RK_DBUS_ARGS({ "text", "s" }), RK_DBUS_ARGS({ "text", "s" }), echo,
		RK_DBUS_OPEN },
	{ "Add", RK_DBUS_ARGS({ "a", "i" }, { "b", "i" }), RK_DBUS_ARGS({ "sum", "i" }), add,
		RK_DBUS_OPEN },
	{ "AsyncHello", RK_DBUS_NO_ARGS, RK_DBUS_ARGS({ "greeting", "s" }), async_hello,
		RK_DBUS_OPEN },
	{}
};

static const struct rk_dbus_signal signals[] = {
	{ "Tick", RK_DBUS_ARGS({ "n", "u" }) },
	{}
};

static const struct rk_dbus_property properties[] = {
	{ "Name", "s", get_name, set_name, .flags = RK_DBUS_OPEN },
	{ "Count", "u", get_count },
	{ "Hidden", "s", get_name, .exists = hidden_exists },
	{ "Const", "s", get_const, .flags = RK_DBUS_PROPERTY_CONST },
	{}
};

static const struct rk_dbus_interface test_iface = {
	.name = IFACE,
	.methods = methods,
	.signals = signals,
	.properties = properties,
};

/* --- client side ----------------------------------------------------------- */

#define MAX_SIGNALS 64
static DBusMessage *received[MAX_SIGNALS];
static int n_received;

static DBusHandlerResult client_filter(DBusConnection *conn, DBusMessage *msg, void *data)
{
	if (dbus_message_get_type(msg) == DBUS_MESSAGE_TYPE_SIGNAL && n_received < MAX_SIGNALS &&
			dbus_message_has_sender(msg, service_name))
		received[n_received++] = dbus_message_ref(msg);
	return DBUS_HANDLER_RESULT_NOT_YET_HANDLED;
}

static void clear_signals(void)
{
	while (n_received > 0)
		dbus_message_unref(received[--n_received]);
}

/* Turn the loop until @done or @ms pass. */
static void spin(bool (*done)(void *), void *data, int ms)
{
	struct timeval tv = { 0, 5000 };

	for (int i = 0; i < ms / 5; i++) {
		if (done && done(data))
			return;
		event_base_loopexit(base, &tv);
		event_base_dispatch(base);
	}
}

static bool pending_done(void *data)
{
	return dbus_pending_call_get_completed(data);
}

/* Call and wait for the reply, the loop serving both ends meanwhile. */
static DBusMessage *call(DBusMessage *msg)
{
	DBusPendingCall *pending;
	DBusMessage *reply;

	if (!dbus_message_get_destination(msg))
		dbus_message_set_destination(msg, SERVICE);
	if (!dbus_connection_send_with_reply(client, msg, &pending, 5000) || !pending)
		tap_bail("cannot send");
	dbus_message_unref(msg);
	spin(pending_done, pending, 10000);
	reply = dbus_pending_call_steal_reply(pending);
	dbus_pending_call_unref(pending);
	if (!reply)
		tap_bail("no reply");
	return reply;
}

static DBusMessage *method(const char *path, const char *iface, const char *name)
{
	return dbus_message_new_method_call(SERVICE, path, iface, name);
}

static const char *error_name(DBusMessage *reply)
{
	return dbus_message_get_type(reply) == DBUS_MESSAGE_TYPE_ERROR ?
		dbus_message_get_error_name(reply) : "(no error)";
}

static const char *error_text(DBusMessage *reply)
{
	const char *text = "";

	dbus_message_get_args(reply, NULL, DBUS_TYPE_STRING, &text, DBUS_TYPE_INVALID);
	return text;
}

static DBusMessage *props_call(const char *path, const char *member, const char *iface,
		const char *prop)
{
	DBusMessage *msg = method(path, "org.freedesktop.DBus.Properties", member);

	if (prop)
		dbus_message_append_args(msg, DBUS_TYPE_STRING, &iface, DBUS_TYPE_STRING, &prop,
			DBUS_TYPE_INVALID);
	else
		dbus_message_append_args(msg, DBUS_TYPE_STRING, &iface, DBUS_TYPE_INVALID);
	return call(msg);
}

static DBusMessage *set_property(const char *path, const char *prop, int type, const void *value)
{
	DBusMessage *msg = method(path, "org.freedesktop.DBus.Properties", "Set");
	char sig[2] = { (char)type, 0 };
	const char *iface = IFACE;
	DBusMessageIter iter, var;

	dbus_message_iter_init_append(msg, &iter);
	dbus_message_iter_append_basic(&iter, DBUS_TYPE_STRING, &iface);
	dbus_message_iter_append_basic(&iter, DBUS_TYPE_STRING, &prop);
	dbus_message_iter_open_container(&iter, DBUS_TYPE_VARIANT, sig, &var);
	dbus_message_iter_append_basic(&var, type, value);
	dbus_message_iter_close_container(&iter, &var);
	return call(msg);
}

/* Names of the keys of an a{sv} at @iter, comma-separated, in order. */
static void dict_keys(DBusMessageIter *iter, char *out, size_t size)
{
	DBusMessageIter dict, entry;

	out[0] = '\0';
	dbus_message_iter_recurse(iter, &dict);
	while (dbus_message_iter_get_arg_type(&dict) == DBUS_TYPE_DICT_ENTRY) {
		const char *key;

		dbus_message_iter_recurse(&dict, &entry);
		dbus_message_iter_get_basic(&entry, &key);
		if (out[0])
			strncat(out, ",", size - strlen(out) - 1);
		strncat(out, key, size - strlen(out) - 1);
		dbus_message_iter_next(&dict);
	}
}

static bool have_signals(void *data)
{
	return n_received >= *(int *)data;
}

static void wait_signals(int n)
{
	spin(have_signals, &n, 3000);
}

static const char *signal_member(int i)
{
	return i < n_received ? dbus_message_get_member(received[i]) : "(none)";
}

/* --- tests ----------------------------------------------------------------- */

static void test_methods(void)
{
	DBusMessage *msg, *reply;
	const char *s = "", *arg = "selamat pagi";
	dbus_int32_t a = 2, b = 40, sum = 0;

	msg = method(ROOT "/thing1", IFACE, "Echo");
	dbus_message_append_args(msg, DBUS_TYPE_STRING, &arg, DBUS_TYPE_INVALID);
	reply = call(msg);
	dbus_message_get_args(reply, NULL, DBUS_TYPE_STRING, &s, DBUS_TYPE_INVALID);
	tap_is_str(s, "selamat pagi", "Echo returns its argument");
	dbus_message_unref(reply);

	msg = method(ROOT "/thing1", NULL, "Add");
	dbus_message_append_args(msg, DBUS_TYPE_INT32, &a, DBUS_TYPE_INT32, &b, DBUS_TYPE_INVALID);
	reply = call(msg);
	dbus_message_get_args(reply, NULL, DBUS_TYPE_INT32, &sum, DBUS_TYPE_INVALID);
	tap_is_int(sum, 42, "a call without an interface name finds the method");
	dbus_message_unref(reply);

	msg = method(ROOT "/thing1", IFACE, "Add");
	dbus_message_append_args(msg, DBUS_TYPE_STRING, &arg, DBUS_TYPE_INVALID);
	reply = call(msg);
	tap_is_str(error_name(reply), "id.rekam.Station1.Error.InvalidArguments",
		"wrong argument types give InvalidArguments");
	tap_contains(error_text(reply), "expects arguments (ii), got (s)",
		"the error says which signature was expected");
	dbus_message_unref(reply);

	reply = call(method(ROOT "/thing1", IFACE, "Nope"));
	tap_is_str(error_name(reply), DBUS_ERROR_UNKNOWN_METHOD, "unknown method");
	dbus_message_unref(reply);

	reply = call(method(ROOT "/thing1", "id.rekam.Nothing1", "Echo"));
	tap_is_str(error_name(reply), DBUS_ERROR_UNKNOWN_INTERFACE, "unknown interface");
	dbus_message_unref(reply);

	reply = call(method(ROOT "/nothing", IFACE, "Echo"));
	tap_is_str(error_name(reply), DBUS_ERROR_UNKNOWN_OBJECT, "unknown object");
	dbus_message_unref(reply);

	reply = call(method(ROOT "/thing1", IFACE, "AsyncHello"));
	s = "";
	dbus_message_get_args(reply, NULL, DBUS_TYPE_STRING, &s, DBUS_TYPE_INVALID);
	tap_is_str(s, "hello, later", "a handler can reply later");
	dbus_message_unref(reply);
}

static void test_big_message(void)
{
	size_t len = 4 * 1024 * 1024;
	char *big = malloc(len + 1);
	const char *s = "";
	DBusMessage *msg, *reply;

	memset(big, 'x', len);
	big[len] = '\0';
	msg = method(ROOT "/thing1", IFACE, "Echo");
	dbus_message_append_args(msg, DBUS_TYPE_STRING, &big, DBUS_TYPE_INVALID);
	reply = call(msg);
	dbus_message_get_args(reply, NULL, DBUS_TYPE_STRING, &s, DBUS_TYPE_INVALID);
	tap_ok(strlen(s) == len && s[len - 1] == 'x',
		"a 4 MiB argument goes both ways (watches toggled for writing)");
	dbus_message_unref(reply);
	free(big);
}

static void test_properties(struct thing *t)
{
	DBusMessage *reply;
	DBusMessageIter iter, var;
	const char *s = "", *empty = "", *name = "Budi";
	dbus_uint32_t u = 7;
	char keys[256];

	reply = props_call(ROOT "/thing1", "Get", IFACE, "Name");
	dbus_message_iter_init(reply, &iter);
	dbus_message_iter_recurse(&iter, &var);
	dbus_message_iter_get_basic(&var, &s);
	tap_is_str(s, "first", "Get returns a property");
	dbus_message_unref(reply);

	reply = props_call(ROOT "/thing1", "GetAll", IFACE, NULL);
	dbus_message_iter_init(reply, &iter);
	dict_keys(&iter, keys, sizeof(keys));
	tap_is_str(keys, "Name,Count,Const", "GetAll leaves out a property that does not exist");
	dbus_message_unref(reply);

	t->hidden_present = true;
	reply = props_call(ROOT "/thing1", "GetAll", IFACE, NULL);
	dbus_message_iter_init(reply, &iter);
	dict_keys(&iter, keys, sizeof(keys));
	tap_is_str(keys, "Name,Count,Hidden,Const", "... and includes it once it exists");
	dbus_message_unref(reply);
	t->hidden_present = false;

	reply = props_call(ROOT "/thing1", "Get", IFACE, "Hidden");
	tap_is_str(error_name(reply), DBUS_ERROR_UNKNOWN_PROPERTY, "Get of an absent property");
	dbus_message_unref(reply);

	reply = props_call(ROOT "/thing1", "Get", IFACE, "Nope");
	tap_is_str(error_name(reply), DBUS_ERROR_UNKNOWN_PROPERTY, "Get of an unknown property");
	dbus_message_unref(reply);

	reply = props_call(ROOT "/thing1", "GetAll", "id.rekam.Nothing1", NULL);
	tap_is_str(error_name(reply), DBUS_ERROR_UNKNOWN_INTERFACE, "GetAll of an unknown interface");
	dbus_message_unref(reply);

	reply = call(method(ROOT "/thing1", "org.freedesktop.DBus.Properties", "Get"));
	tap_is_str(error_name(reply), DBUS_ERROR_INVALID_ARGS, "Get without arguments");
	dbus_message_unref(reply);

	reply = set_property(ROOT "/thing1", "Count", DBUS_TYPE_UINT32, &u);
	tap_is_str(error_name(reply), DBUS_ERROR_PROPERTY_READ_ONLY, "Set of a read-only property");
	dbus_message_unref(reply);

	reply = set_property(ROOT "/thing1", "Name", DBUS_TYPE_UINT32, &u);
	tap_is_str(error_name(reply), DBUS_ERROR_INVALID_ARGS, "Set with the wrong type");
	dbus_message_unref(reply);
	tap_is_str(t->name, "first", "... changes nothing");

	reply = set_property(ROOT "/thing1", "Name", DBUS_TYPE_STRING, &empty);
	tap_is_str(error_name(reply), "id.rekam.Station1.Error.InvalidArguments",
		"the setter refuses a bad value");
	dbus_message_unref(reply);

	clear_signals();
	reply = set_property(ROOT "/thing1", "Name", DBUS_TYPE_STRING, &name);
	tap_ok(dbus_message_get_type(reply) == DBUS_MESSAGE_TYPE_METHOD_RETURN, "Set succeeds");
	dbus_message_unref(reply);
	tap_is_str(t->name, "Budi", "... and changes the value");
	wait_signals(1);
	tap_is_str(signal_member(0), "PropertiesChanged", "... and PropertiesChanged follows");
}

static void test_properties_changed(struct thing *t)
{
	DBusMessageIter iter;
	const char *iface = "";
	char keys[256] = "";

	clear_signals();
	t->count = 5;
	rk_dbus_property_changed(bus, ROOT "/thing1", IFACE, "Count");
	t->count = 6;
	rk_dbus_property_changed(bus, ROOT "/thing1", IFACE, "Count");
	rk_dbus_property_changed(bus, ROOT "/thing1", IFACE, "Name");
	rk_dbus_property_changed(bus, ROOT "/thing1", IFACE, "Const");
	rk_dbus_property_changed(bus, ROOT "/thing1", IFACE, "Hidden");
	wait_signals(1);
	spin(NULL, NULL, 100); /* would a second signal follow? */
	tap_is_int(n_received, 1, "changes in one turn of the loop make one PropertiesChanged");
	if (n_received >= 1) {
		dbus_message_iter_init(received[0], &iter);
		dbus_message_iter_get_basic(&iter, &iface);
		dbus_message_iter_next(&iter);
		dict_keys(&iter, keys, sizeof(keys));
	}
	tap_is_str(iface, IFACE, "... for the interface that changed");
	tap_is_str(keys, "Name,Count", "... with each changed property once, const ones never");
	if (n_received >= 1) {
		DBusMessageIter arr;
		const char *inv = "";

		dbus_message_iter_next(&iter);
		dbus_message_iter_recurse(&iter, &arr);
		if (dbus_message_iter_get_arg_type(&arr) == DBUS_TYPE_STRING)
			dbus_message_iter_get_basic(&arr, &inv);
		tap_is_str(inv, "Hidden", "... and a property that went away as invalidated");
	}
}

static void test_signals(void)
{
	DBusMessage *sig;
	dbus_uint32_t n = 3;
	const char *wrong = "x";

	clear_signals();
	sig = dbus_message_new_signal(ROOT "/thing1", IFACE, "Tick");
	dbus_message_append_args(sig, DBUS_TYPE_UINT32, &n, DBUS_TYPE_INVALID);
	tap_is_int(rk_dbus_emit(bus, sig), 0, "a declared signal is emitted");
	sig = dbus_message_new_signal(ROOT "/thing1", IFACE, "Tick");
	dbus_message_append_args(sig, DBUS_TYPE_STRING, &wrong, DBUS_TYPE_INVALID);
	tap_is_int(rk_dbus_emit(bus, sig), -EINVAL, "a signal with the wrong arguments is refused");
	sig = dbus_message_new_signal(ROOT "/thing1", IFACE, "Tock");
	tap_is_int(rk_dbus_emit(bus, sig), -EINVAL, "an undeclared signal is refused");
	wait_signals(1);
	spin(NULL, NULL, 50);
	tap_ok(n_received == 1 && strcmp(signal_member(0), "Tick") == 0,
		"only the valid signal reached the client");
}

static int count_managed(void)
{
	DBusMessageIter iter, dict;
	DBusMessage *reply;
	int n = 0;

	reply = call(method(ROOT, "org.freedesktop.DBus.ObjectManager", "GetManagedObjects"));
	if (dbus_message_get_type(reply) != DBUS_MESSAGE_TYPE_METHOD_RETURN) {
		tap_diag("GetManagedObjects: %s", error_name(reply));
		dbus_message_unref(reply);
		return -1;
	}
	dbus_message_iter_init(reply, &iter);
	dbus_message_iter_recurse(&iter, &dict);
	while (dbus_message_iter_get_arg_type(&dict) == DBUS_TYPE_DICT_ENTRY) {
		n++;
		dbus_message_iter_next(&dict);
	}
	dbus_message_unref(reply);
	return n;
}

static void test_object_manager(struct thing *t2)
{
	const char *path = "";

	tap_is_int(count_managed(), 1, "GetManagedObjects lists the one object below the root");

	clear_signals();
	tap_is_int(rk_dbus_register(bus, ROOT "/thing2", &test_iface, t2), 0, "register a second object");
	wait_signals(1);
	tap_is_str(signal_member(0), "InterfacesAdded", "InterfacesAdded announces it");
	if (n_received)
		dbus_message_get_args(received[0], NULL, DBUS_TYPE_OBJECT_PATH, &path,
			DBUS_TYPE_INVALID);
	tap_is_str(path, ROOT "/thing2", "... with its path");
	tap_is_int(count_managed(), 2, "GetManagedObjects lists both");

	tap_is_int(rk_dbus_register(bus, ROOT "/thing2", &test_iface, t2), -EEXIST,
		"the same interface twice on one path is refused");
	tap_is_int(rk_dbus_register(bus, "/bad//path", &test_iface, t2), -EINVAL,
		"an invalid path is refused");

	clear_signals();
	tap_is_int(rk_dbus_unregister(bus, ROOT "/thing2", IFACE), 0, "unregister it");
	wait_signals(1);
	tap_is_str(signal_member(0), "InterfacesRemoved", "InterfacesRemoved follows");
	tap_ok(!rk_dbus_object_exists(bus, ROOT "/thing2"), "the object is gone");
	tap_is_int(rk_dbus_unregister(bus, ROOT "/thing2", IFACE), -ENOENT,
		"unregistering again says it is not there");
}

static const struct rk_dbus_method bad_methods[] = {
	{ "Bad", RK_DBUS_ARGS({ "x", "a{" }), RK_DBUS_NO_ARGS, echo, RK_DBUS_OPEN },
	{}
};

static const struct rk_dbus_method undeclared_methods[] = {
	{ "Anyone", RK_DBUS_NO_ARGS, RK_DBUS_NO_ARGS, echo },
	{}
};

static const struct rk_dbus_method twice_declared_methods[] = {
	{ "Both", RK_DBUS_NO_ARGS, RK_DBUS_NO_ARGS, echo, RK_DBUS_OPEN, .roles = 1 },
	{}
};

static const struct rk_dbus_property undeclared_setter[] = {
	{ "Name", "s", get_name, set_name },
	{}
};

static void test_invalid_tables(void)
{
	static const struct rk_dbus_interface bad_sig = { .name = IFACE, .methods = bad_methods };
	static const struct rk_dbus_interface bad_name = { .name = "not an interface" };
	static const struct rk_dbus_interface undeclared = { .name = IFACE,
		.methods = undeclared_methods };
	static const struct rk_dbus_interface twice = { .name = IFACE,
		.methods = twice_declared_methods };
	static const struct rk_dbus_interface setter = { .name = IFACE,
		.properties = undeclared_setter };

	tap_is_int(rk_dbus_register(bus, ROOT "/bad", &bad_sig, NULL), -EINVAL,
		"a table with an invalid signature is refused");
	tap_is_int(rk_dbus_register(bus, ROOT "/bad", &bad_name, NULL), -EINVAL,
		"a table with an invalid interface name is refused");
	tap_is_int(rk_dbus_register(bus, ROOT "/bad", &undeclared, NULL), -EINVAL,
		"a method that does not say who may call it is refused");
	tap_is_int(rk_dbus_register(bus, ROOT "/bad", &twice, NULL), -EINVAL,
		"... and one that is both open and needs roles");
	tap_is_int(rk_dbus_register(bus, ROOT "/bad", &setter, NULL), -EINVAL,
		"... and a writable property that does not say who may set it");
	tap_ok(!rk_dbus_object_exists(bus, ROOT "/bad"), "none left an object behind");
}

/* --- who may call ---------------------------------------------------------- */

#define ROLE_A 0x1u
#define ROLE_B 0x2u

static struct {
	unsigned int granted; /* the caller's roles */
	unsigned int asked;   /* the roles of the last question */
	int questions;
	int handled;          /* Guarded handler runs */
	DBusMessage *waiting; /* let through, to go on on the next turn */
	struct event *later;
	const char *remove;   /* an object to unregister before going on */
} authz;

static DBusMessage *guarded(DBusConnection *conn, DBusMessage *msg, void *data)
{
	authz.handled++;
	return dbus_message_new_method_return(msg);
}

static DBusMessage *self_checked(DBusConnection *conn, DBusMessage *msg, void *data)
{
	return dbus_message_new_method_return(msg);
}

static void go_on(evutil_socket_t fd, short what, void *data)
{
	DBusMessage *msg = authz.waiting, *reply;

	authz.waiting = NULL;
	if (authz.remove)
		rk_dbus_unregister_all(bus, authz.remove);
	reply = rk_dbus_authorized(bus, msg, authz.granted);
	if (reply)
		rk_dbus_send_reply(bus, reply);
	dbus_message_unref(msg);
}

/* Answers later, as roles.c does after asking the bus who is calling. */
static DBusMessage *test_authorize(DBusMessage *msg, unsigned int roles, void *data)
{
	struct timeval tv = { 0, 1000 };

	authz.questions++;
	authz.asked = roles;
	if (roles && !(roles & authz.granted)) /* roles 0: only asked who calls */
		return rk_dbus_error(msg, RK_DBUS_ERROR_ACCESS_DENIED, "%s needs role %#x",
			dbus_message_get_member(msg), roles);
	authz.waiting = dbus_message_ref(msg);
	evtimer_add(authz.later, &tv);
	return NULL;
}

static const struct rk_dbus_method guarded_methods[] = {
	{ "Guarded", RK_DBUS_ARGS({ "n", "u" }), RK_DBUS_NO_ARGS, guarded, .roles = ROLE_B },
	{ "SelfChecked", RK_DBUS_NO_ARGS, RK_DBUS_NO_ARGS, self_checked, RK_DBUS_CHECKS_ITSELF },
	{}
};

static const struct rk_dbus_property guarded_properties[] = {
	{ "Name", "s", get_name, set_name, .set_roles = ROLE_A },
	{}
};

static const struct rk_dbus_interface guarded_iface = {
	.name = "id.rekam.Guarded1",
	.methods = guarded_methods,
	.properties = guarded_properties,
};

static DBusMessage *call_guarded(const char *path)
{
	DBusMessage *msg = method(path, "id.rekam.Guarded1", "Guarded");
	dbus_uint32_t n = 1;

	dbus_message_append_args(msg, DBUS_TYPE_UINT32, &n, DBUS_TYPE_INVALID);
	return call(msg);
}

static DBusMessage *set_guarded_name(const char *value)
{
	DBusMessage *msg = method(ROOT "/guarded", "org.freedesktop.DBus.Properties", "Set");
	const char *iface = "id.rekam.Guarded1", *prop = "Name";
	DBusMessageIter iter, var;

	dbus_message_iter_init_append(msg, &iter);
	dbus_message_iter_append_basic(&iter, DBUS_TYPE_STRING, &iface);
	dbus_message_iter_append_basic(&iter, DBUS_TYPE_STRING, &prop);
	dbus_message_iter_open_container(&iter, DBUS_TYPE_VARIANT, "s", &var);
	dbus_message_iter_append_basic(&var, DBUS_TYPE_STRING, &value);
	dbus_message_iter_close_container(&iter, &var);
	return call(msg);
}

static void test_roles(struct thing *t)
{
	DBusMessage *reply, *msg;

	authz.later = evtimer_new(base, go_on, NULL);
	tap_is_int(rk_dbus_register(bus, ROOT "/guarded", &guarded_iface, t), 0,
		"an interface whose methods need roles registers");

	reply = call_guarded(ROOT "/guarded");
	tap_is_str(error_name(reply), "id.rekam.Station1.Error.AccessDenied",
		"without an authorizer a method that needs roles is refused");
	tap_is_int(authz.handled, 0, "... and its handler does not run");
	dbus_message_unref(reply);

	rk_dbus_set_authorizer(bus, test_authorize, NULL);
	authz.granted = ROLE_A;
	reply = call_guarded(ROOT "/guarded");
	tap_is_str(error_name(reply), "id.rekam.Station1.Error.AccessDenied",
		"a caller without the role is refused");
	tap_contains(error_text(reply), "Guarded needs role 0x2",
		"... with the authorizer's words");
	tap_is_int(authz.asked, ROLE_B, "... the authorizer was asked for the table's roles");
	tap_is_int(authz.handled, 0, "... and the handler did not run");
	dbus_message_unref(reply);

	authz.granted = ROLE_B;
	reply = call_guarded(ROOT "/guarded");
	tap_ok(dbus_message_get_type(reply) == DBUS_MESSAGE_TYPE_METHOD_RETURN,
		"a caller with the role gets the handler's reply, after the authorizer's answer");
	tap_is_int(authz.handled, 1, "... the handler ran once");
	dbus_message_unref(reply);

	authz.questions = 0;
	msg = method(ROOT "/guarded", "id.rekam.Guarded1", "Guarded");
	reply = call(msg);
	tap_is_str(error_name(reply), "id.rekam.Station1.Error.InvalidArguments",
		"wrong arguments are refused before any question of roles");
	tap_is_int(authz.questions, 0, "... the authorizer was not asked");
	dbus_message_unref(reply);

	authz.granted = 0;
	reply = call(method(ROOT "/guarded", "id.rekam.Guarded1", "SelfChecked"));
	tap_ok(dbus_message_get_type(reply) == DBUS_MESSAGE_TYPE_METHOD_RETURN &&
		authz.questions == 0,
		"a method that checks its caller itself is not checked twice");
	dbus_message_unref(reply);
	reply = call(method(ROOT "/thing1", IFACE, "AsyncHello"));
	tap_ok(dbus_message_get_type(reply) == DBUS_MESSAGE_TYPE_METHOD_RETURN &&
		authz.questions == 0, "an open method is not checked");
	dbus_message_unref(reply);
	reply = props_call(ROOT "/guarded", "Get", "id.rekam.Guarded1", "Name");
	tap_ok(dbus_message_get_type(reply) == DBUS_MESSAGE_TYPE_METHOD_RETURN &&
		authz.questions == 0, "Properties.Get of an interface without read roles is open");
	dbus_message_unref(reply);

	reply = set_guarded_name("Intruder");
	tap_is_str(error_name(reply), "id.rekam.Station1.Error.AccessDenied",
		"Set of a property by a caller without its role is refused");
	tap_is_int(authz.asked, ROLE_A, "... asked for the property's roles");
	tap_is_str(t->name, "third", "... and changes nothing");
	dbus_message_unref(reply);
	authz.granted = ROLE_A;
	reply = set_guarded_name("Sari");
	tap_ok(dbus_message_get_type(reply) == DBUS_MESSAGE_TYPE_METHOD_RETURN,
		"Set by a caller with the role succeeds");
	tap_is_str(t->name, "Sari", "... and changes the value");
	dbus_message_unref(reply);

	authz.granted = ROLE_B;
	authz.handled = 0;
	authz.remove = ROOT "/guarded";
	reply = call_guarded(ROOT "/guarded");
	tap_is_str(error_name(reply), DBUS_ERROR_UNKNOWN_OBJECT,
		"an object gone while the authorizer thought is looked up again: UnknownObject");
	tap_is_int(authz.handled, 0, "... and no handler ran on it");
	dbus_message_unref(reply);
	authz.remove = NULL;
	rk_dbus_set_authorizer(bus, NULL, NULL);
	event_free(authz.later);
}

/* --- who may read ----------------------------------------------------------- */

static const struct rk_dbus_property private_properties[] = {
	{ "Name", "s", get_name },
	{ "Count", "u", get_count },
	{}
};

static const struct rk_dbus_interface private_iface = {
	.name = "id.rekam.Private1",
	.properties = private_properties,
	.read_roles = ROLE_A,
};

/* The property names GetManagedObjects gives for @iface on @path,
 * comma-separated; "(no object)" or "(no interface)" when it is not listed. */
static void managed_keys(const char *path, const char *iface, char *out, size_t size)
{
	DBusMessageIter iter, objects, object, ifaces, entry;
	DBusMessage *reply;

	snprintf(out, size, "(no object)");
	reply = call(method(ROOT, "org.freedesktop.DBus.ObjectManager", "GetManagedObjects"));
	if (dbus_message_get_type(reply) != DBUS_MESSAGE_TYPE_METHOD_RETURN) {
		snprintf(out, size, "%s", error_name(reply));
		dbus_message_unref(reply);
		return;
	}
	dbus_message_iter_init(reply, &iter);
	for (dbus_message_iter_recurse(&iter, &objects);
			dbus_message_iter_get_arg_type(&objects) == DBUS_TYPE_DICT_ENTRY;
			dbus_message_iter_next(&objects)) {
		const char *p;

		dbus_message_iter_recurse(&objects, &object);
		dbus_message_iter_get_basic(&object, &p);
		if (strcmp(p, path) != 0)
			continue;
		snprintf(out, size, "(no interface)");
		dbus_message_iter_next(&object);
		for (dbus_message_iter_recurse(&object, &ifaces);
				dbus_message_iter_get_arg_type(&ifaces) == DBUS_TYPE_DICT_ENTRY;
				dbus_message_iter_next(&ifaces)) {
			const char *name;

			dbus_message_iter_recurse(&ifaces, &entry);
			dbus_message_iter_get_basic(&entry, &name);
			dbus_message_iter_next(&entry);
			if (strcmp(name, iface) == 0)
				dict_keys(&entry, out, size);
		}
	}
	dbus_message_unref(reply);
}

static void test_read_roles(struct thing *t)
{
	DBusMessageIter iter, ifaces, entry;
	DBusMessage *reply;
	char keys[256];

	authz.later = evtimer_new(base, go_on, NULL);
	authz.questions = 0;
	clear_signals();
	tap_is_int(rk_dbus_register(bus, ROOT "/private", &private_iface, t), 0,
		"an interface whose properties need a role to read registers");
	tap_is_int(rk_dbus_register(bus, ROOT "/private", &test_iface, t), 0,
		"... beside an open one");
	wait_signals(2);
	keys[0] = '\0';
	if (n_received >= 2) {
		dbus_message_iter_init(received[0], &iter);
		dbus_message_iter_next(&iter);
		dbus_message_iter_recurse(&iter, &ifaces);
		dbus_message_iter_recurse(&ifaces, &entry);
		dbus_message_iter_next(&entry);
		dict_keys(&entry, keys, sizeof(keys));
	}
	tap_is_str(signal_member(0), "InterfacesAdded", "InterfacesAdded announces it");
	tap_is_str(keys, "", "... with none of its properties");

	clear_signals();
	rk_dbus_property_changed(bus, ROOT "/private", "id.rekam.Private1", "Count");
	rk_dbus_property_changed(bus, ROOT "/private", "id.rekam.Private1", "Name");
	wait_signals(1);
	keys[0] = '\0';
	if (n_received >= 1) {
		char names[256] = "";
		DBusMessageIter arr;

		dbus_message_iter_init(received[0], &iter);
		dbus_message_iter_next(&iter);
		dict_keys(&iter, keys, sizeof(keys));
		dbus_message_iter_next(&iter);
		for (dbus_message_iter_recurse(&iter, &arr);
				dbus_message_iter_get_arg_type(&arr) == DBUS_TYPE_STRING;
				dbus_message_iter_next(&arr)) {
			const char *name;

			dbus_message_iter_get_basic(&arr, &name);
			snprintf(names + strlen(names), sizeof(names) - strlen(names), "%s%s",
				names[0] ? "," : "", name);
		}
		tap_is_str(names, "Name,Count",
			"PropertiesChanged of it names the changed properties as invalidated");
	} else {
		tap_ok(false, "PropertiesChanged of it names the changed properties as invalidated");
	}
	tap_is_str(keys, "", "... and carries none of their values");
	clear_signals();

	reply = props_call(ROOT "/private", "Get", "id.rekam.Private1", "Name");
	tap_is_str(error_name(reply), "id.rekam.Station1.Error.AccessDenied",
		"without an authorizer Get of a restricted property is refused");
	dbus_message_unref(reply);
	managed_keys(ROOT "/private", "id.rekam.Private1", keys, sizeof(keys));
	tap_is_str(keys, "", "... and GetManagedObjects lists the interface without properties");

	rk_dbus_set_authorizer(bus, test_authorize, NULL);
	authz.granted = ROLE_B;
	reply = props_call(ROOT "/private", "Get", "id.rekam.Private1", "Name");
	tap_is_str(error_name(reply), "id.rekam.Station1.Error.AccessDenied",
		"Get by a caller without the read role is refused");
	tap_is_int(authz.asked, ROLE_A, "... the authorizer was asked for the interface's roles");
	dbus_message_unref(reply);
	reply = props_call(ROOT "/private", "GetAll", "id.rekam.Private1", NULL);
	tap_is_str(error_name(reply), "id.rekam.Station1.Error.AccessDenied",
		"... and so is GetAll");
	dbus_message_unref(reply);
	authz.questions = 0;
	reply = props_call(ROOT "/private", "Get", "id.rekam.Private1", "Nope");
	tap_ok(!strcmp(error_name(reply), DBUS_ERROR_UNKNOWN_PROPERTY) && !authz.questions,
		"an unknown property is UnknownProperty, before any question of roles");
	dbus_message_unref(reply);
	reply = props_call(ROOT "/private", "Get", IFACE, "Name");
	tap_ok(dbus_message_get_type(reply) == DBUS_MESSAGE_TYPE_METHOD_RETURN &&
		!authz.questions, "the open interface beside it is read without a question");
	dbus_message_unref(reply);

	managed_keys(ROOT "/private", "id.rekam.Private1", keys, sizeof(keys));
	tap_is_str(keys, "", "GetManagedObjects: a caller without the role gets no properties");
	tap_is_int(authz.asked, 0, "... the authorizer was asked who calls, needing no role");
	managed_keys(ROOT "/private", IFACE, keys, sizeof(keys));
	tap_is_str(keys, "Name,Count,Const", "... and every property of the open interface");

	authz.granted = ROLE_A;
	reply = props_call(ROOT "/private", "Get", "id.rekam.Private1", "Name");
	tap_ok(dbus_message_get_type(reply) == DBUS_MESSAGE_TYPE_METHOD_RETURN,
		"Get by a caller with the read role answers");
	dbus_message_unref(reply);
	reply = props_call(ROOT "/private", "GetAll", "id.rekam.Private1", NULL);
	keys[0] = '\0';
	if (dbus_message_get_type(reply) == DBUS_MESSAGE_TYPE_METHOD_RETURN) {
		dbus_message_iter_init(reply, &iter);
		dict_keys(&iter, keys, sizeof(keys));
	}
	tap_is_str(keys, "Name,Count", "... and so does GetAll");
	dbus_message_unref(reply);
	managed_keys(ROOT "/private", "id.rekam.Private1", keys, sizeof(keys));
	tap_is_str(keys, "Name,Count", "GetManagedObjects gives that caller every property");

	authz.granted = ROLE_B;
	authz.remove = ROOT "/private";
	managed_keys(ROOT "/private", "id.rekam.Private1", keys, sizeof(keys));
	tap_is_str(keys, "(no object)",
		"an object gone while the authorizer thought is not listed");
	authz.remove = NULL;
	rk_dbus_set_authorizer(bus, NULL, NULL);
	clear_signals();
	event_free(authz.later);
}

static char *introspect(const char *path)
{
	DBusMessage *reply = call(method(path, "org.freedesktop.DBus.Introspectable", "Introspect"));
	const char *xml = NULL;
	char *copy;

	if (dbus_message_get_type(reply) == DBUS_MESSAGE_TYPE_ERROR)
		xml = error_name(reply);
	else
		dbus_message_get_args(reply, NULL, DBUS_TYPE_STRING, &xml, DBUS_TYPE_INVALID);
	copy = strdup(xml);
	dbus_message_unref(reply);
	return copy;
}

static int occurrences(const char *haystack, const char *needle)
{
	int n = 0;

	for (const char *p = haystack; p && (p = strstr(p, needle)); p++)
		n++;
	return n;
}

static void test_introspection(void)
{
	static const char *const children[] = { "a", "a0", "a/b", "a/c", "b_c", "a/b/d" };
	static const struct rk_dbus_interface tiny = { .name = "id.rekam.Tiny1" };
	char *xml, path[128];

	xml = introspect(ROOT "/thing1");
	tap_contains(xml, "<interface name=\"" IFACE "\">", "Introspect lists the interface");
	tap_contains(xml, "<method name=\"Add\">\n      <arg name=\"a\" type=\"i\" direction=\"in\"/>",
		"... its methods with their arguments");
	tap_contains(xml, "<property name=\"Name\" type=\"s\" access=\"readwrite\">",
		"... writable properties as readwrite");
	tap_contains(xml, "<property name=\"Const\" type=\"s\" access=\"read\">\n      <annotation "
		"name=\"org.freedesktop.DBus.Property.EmitsChangedSignal\" value=\"const\"/>",
		"... const properties with their annotation");
	tap_contains(xml, "<signal name=\"Tick\">", "... its signals");
	tap_contains(xml, "org.freedesktop.DBus.Properties", "... and the standard interfaces");
	free(xml);

	xml = introspect(ROOT);
	tap_contains(xml, "org.freedesktop.DBus.ObjectManager", "the root has the ObjectManager");
	tap_contains(xml, "<node name=\"thing1\"/>", "... and lists its child");
	free(xml);

	xml = introspect("/");
	tap_contains(xml, "<node name=\"test\"/>", "\"/\" lists the first path component");
	free(xml);

	xml = introspect("/nothing/here");
	tap_is_str(xml, DBUS_ERROR_UNKNOWN_OBJECT, "Introspect of a path with nothing below it");
	free(xml);

	for (size_t i = 0; i < sizeof(children) / sizeof(*children); i++) {
		snprintf(path, sizeof(path), ROOT "/kids/%s", children[i]);
		rk_dbus_register(bus, path, &tiny, NULL);
	}
	xml = introspect(ROOT "/kids");
	tap_is_int(occurrences(xml, "<node name=\"a\"/>"), 1,
		"a child is listed once, even when sorting separates its paths");
	tap_is_int(occurrences(xml, "<node name="), 3, "three children: a, a0, b_c");
	tap_contains(xml, "<node name=\"a0\"/>", "... including names that share a prefix");
	free(xml);
	for (size_t i = 0; i < sizeof(children) / sizeof(*children); i++) {
		snprintf(path, sizeof(path), ROOT "/kids/%s", children[i]);
		rk_dbus_unregister(bus, path, "id.rekam.Tiny1");
	}
}

static void test_many_objects(void)
{
	static const struct rk_dbus_interface tiny = { .name = "id.rekam.Tiny1" };
	char path[128];
	int n = 2000, ok = 0;

	/* Insert in a scrambled order; the array must stay sorted. */
	for (int i = 0; i < n; i++) {
		snprintf(path, sizeof(path), ROOT "/many/e%d", (i * 7919) % n);
		ok += rk_dbus_register(bus, path, &tiny, NULL) == 0;
	}
	tap_is_int(ok, n, "2000 objects register");
	tap_is_int(count_managed(), n + 1, "GetManagedObjects lists all of them");
	ok = 0;
	for (int i = 0; i < n; i++) {
		snprintf(path, sizeof(path), ROOT "/many/e%d", i);
		ok += rk_dbus_object_exists(bus, path);
	}
	tap_is_int(ok, n, "every one is found again");
	for (int i = 0; i < n; i++) {
		snprintf(path, sizeof(path), ROOT "/many/e%d", i);
		rk_dbus_unregister_all(bus, path);
	}
	clear_signals();
	tap_is_int(count_managed(), 1, "and all are gone after unregistering");
}

int main(void)
{
	struct testbus tb = { 0 };
	struct thing t1 = { .name = "first" }, t2 = { .name = "second" }, t3 = { .name = "third" };
	DBusError err;

	if (testbus_start(&tb) < 0)
		tap_bail("cannot start dbus-daemon");
	dbus_error_init(&err);
	base = event_base_new();
	service = dbus_bus_get_private(DBUS_BUS_SESSION, &err);
	client = dbus_bus_get_private(DBUS_BUS_SESSION, &err);
	if (!base || !service || !client)
		tap_bail("cannot connect to the test bus: %s", err.message);
	service_name = dbus_bus_get_unique_name(service);
	if (dbus_bus_request_name(service, SERVICE, DBUS_NAME_FLAG_DO_NOT_QUEUE, &err) !=
			DBUS_REQUEST_NAME_REPLY_PRIMARY_OWNER)
		tap_bail("cannot own %s", SERVICE);
	dbus_bus_add_match(client, "type='signal',sender='" SERVICE "'", &err);
	dbus_connection_add_filter(client, client_filter, NULL, NULL);

	struct rk_dbus_loop *l1 = rk_dbus_loop_attach(service, base);
	struct rk_dbus_loop *l2 = rk_dbus_loop_attach(client, base);

	bus = rk_dbus_new(service, base, ROOT);
	t1.later = evtimer_new(base, hello_later, &t1);
	tap_ok(bus && l1 && l2, "the object layer starts on a bus connection");
	tap_is_int(rk_dbus_register(bus, ROOT "/thing1", &test_iface, &t1), 0,
		"an object registers");

	test_methods();
	test_big_message();
	test_properties(&t1);
	test_properties_changed(&t1);
	test_signals();
	test_object_manager(&t2);
	test_invalid_tables();
	test_roles(&t3);
	test_read_roles(&t3);
	test_introspection();
	test_many_objects();

	clear_signals();
	rk_dbus_free(bus);
	rk_dbus_loop_detach(l1);
	rk_dbus_loop_detach(l2);
	event_free(t1.later);
	dbus_connection_close(service);
	dbus_connection_unref(service);
	dbus_connection_close(client);
	dbus_connection_unref(client);
	event_base_free(base);
	dbus_shutdown();
	testbus_stop(&tb);
	return tap_done();
}
