// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * rekam - stress tests
 *
 * dbus-fuzz.c - a D-Bus client that throws bad input at rekamd: it learns
 * every object (GetManagedObjects) and every method and property of each
 * (Introspect), then makes N calls with arguments of the wrong number or
 * types (random basic values, huge strings, arrays, dictionaries, nested
 * variants), Properties.Get/Set of unknown or read-only properties, calls to
 * unknown objects, interfaces and methods, and a list of known-bad values
 * (handles that are paths, empty and overlong actions, out-of-range
 * counts). Each answer must be an error with a proper name; a method
 * return to a call with the wrong signature is a failure. rekamd must
 * answer Ping afterwards. Prints TAP.
 *
 *   dbus-fuzz [CALLS [SEED]]     on the session bus (DBUS_SESSION_BUS_ADDRESS)
 */
#include <config.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <dbus/dbus.h>

#include "tap.h"

#define NAME "id.rekam.Station1"
#define ROOT "/id/rekam/Station1"
#define MAX_METHODS 256

struct method {
	char path[128];
	char iface[64];
	char name[64];
	char sig[64]; /* of the in arguments */
};

static struct method methods[MAX_METHODS];
static size_t n_methods;
static uint64_t rng_state;

static uint64_t rnd(void)
{
	uint64_t z = (rng_state += 0x9E3779B97F4A7C15ULL);

	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
	return z ^ (z >> 31);
}

/* Send @msg (taken over) and wait for its reply, an error reply included. */
static DBusMessage *call(DBusConnection *c, DBusMessage *msg)
{
	DBusPendingCall *pending = NULL;
	DBusMessage *reply = NULL;

	if (dbus_connection_send_with_reply(c, msg, &pending, 20000) && pending) {
		dbus_pending_call_block(pending);
		reply = dbus_pending_call_steal_reply(pending);
		dbus_pending_call_unref(pending);
	}
	dbus_message_unref(msg);
	return reply;
}

/* "<method name=...>" and its "in" args from an introspection document. */
static void learn(const char *path, const char *xml)
{
	const char *iface_at = xml;

	while ((iface_at = strstr(iface_at, "<interface name=\""))) {
		char iface[64] = "";
		const char *end = strstr(iface_at, "</interface>"), *m = iface_at;

		sscanf(iface_at, "<interface name=\"%63[^\"]\"", iface);
		/* libdbus answers org.freedesktop.DBus.Peer itself, whatever the
		 * arguments: not rekamd's to check */
		if (!strcmp(iface, DBUS_INTERFACE_PEER)) {
			iface_at++;
			continue;
		}
		while ((m = strstr(m, "<method name=\"")) && (!end || m < end) &&
				n_methods < MAX_METHODS) {
			struct method *me = &methods[n_methods];
			const char *tag_end = strchr(m, '>');
			const char *mend = tag_end && tag_end[-1] == '/' ? m : strstr(m, "</method>");
			const char *a = m;

			memset(me, 0, sizeof(*me));
			snprintf(me->path, sizeof(me->path), "%s", path);
			snprintf(me->iface, sizeof(me->iface), "%s", iface);
			sscanf(m, "<method name=\"%63[^\"]\"", me->name);
			while (mend && (a = strstr(a + 1, "<arg ")) && a < mend) {
				char type[32] = "", dir[8] = "in";
				const char *t = strstr(a, "type=\""), *d = strstr(a, "direction=\"");
				const char *aend = strchr(a, '>');

				if (t && t < aend)
					sscanf(t, "type=\"%31[^\"]\"", type);
				if (d && d < aend)
					sscanf(d, "direction=\"%7[^\"]\"", dir);
				if (!strcmp(dir, "in") && strlen(me->sig) + strlen(type) < sizeof(me->sig))
					strcat(me->sig, type);
			}
			n_methods++;
			m++;
		}
		iface_at++;
	}
}

static char *introspect(DBusConnection *c, const char *path)
{
	DBusMessage *reply = call(c, dbus_message_new_method_call(NAME, path,
		DBUS_INTERFACE_INTROSPECTABLE, "Introspect"));
	const char *xml = NULL;
	char *copy = NULL;

	if (reply && dbus_message_get_args(reply, NULL, DBUS_TYPE_STRING, &xml, DBUS_TYPE_INVALID))
		copy = strdup(xml);
	if (reply)
		dbus_message_unref(reply);
	return copy;
}

/* Every object below the root that GetManagedObjects lists, and the root. */
static void discover(DBusConnection *c)
{
	DBusMessage *reply = call(c, dbus_message_new_method_call(NAME, ROOT,
		"org.freedesktop.DBus.ObjectManager", "GetManagedObjects"));
	DBusMessageIter iter, objects, entry;
	char *xml = introspect(c, ROOT);

	if (xml)
		learn(ROOT, xml);
	free(xml);
	if (!reply || dbus_message_get_type(reply) != DBUS_MESSAGE_TYPE_METHOD_RETURN)
		tap_bail("GetManagedObjects failed");
	dbus_message_iter_init(reply, &iter);
	dbus_message_iter_recurse(&iter, &objects);
	for (; dbus_message_iter_get_arg_type(&objects) == DBUS_TYPE_DICT_ENTRY;
			dbus_message_iter_next(&objects)) {
		const char *path;

		dbus_message_iter_recurse(&objects, &entry);
		dbus_message_iter_get_basic(&entry, &path);
		xml = introspect(c, path);
		if (xml)
			learn(path, xml);
		free(xml);
	}
	dbus_message_unref(reply);
}

/* A random valid UTF-8 string of up to @max bytes (sometimes huge). */
static char *random_string(size_t max)
{
	static const char *const pieces[] = { "a", "Z", "9", "-", "_", "/", ".", " ", "\xc3\xa9",
		"\xe2\x82\xac", "\xf0\x9f\x98\x80", "%s", "%n", "'", "\"", "\\", "..", "\t" };
	size_t len = rnd() % 8 == 0 ? 70000 : rnd() % (max + 1), n = 0;
	char *s = malloc(len + 5);

	while (n < len) {
		const char *p = pieces[rnd() % (sizeof(pieces) / sizeof(pieces[0]))];

		memcpy(s + n, p, strlen(p));
		n += strlen(p);
	}
	s[n] = '\0';
	return s;
}

/* One random value of a random type (depth-limited) at @iter. */
static void append_random(DBusMessageIter *iter, int depth)
{
	int kind = (int)(rnd() % (depth > 2 ? 8 : 12));
	DBusMessageIter sub, entry;
	char *s;

	switch (kind) {
	case 0: {
		dbus_bool_t b = rnd() & 1;
		dbus_message_iter_append_basic(iter, DBUS_TYPE_BOOLEAN, &b);
		break;
	}
	case 1: {
		int32_t v = (int32_t)rnd();
		dbus_message_iter_append_basic(iter, DBUS_TYPE_INT32, &v);
		break;
	}
	case 2: {
		uint64_t v = rnd() % 3 ? rnd() : UINT64_MAX;
		dbus_message_iter_append_basic(iter, DBUS_TYPE_UINT64, &v);
		break;
	}
	case 3: {
		double v = rnd() % 2 ? -1e308 : (double)(int64_t)rnd();
		dbus_message_iter_append_basic(iter, DBUS_TYPE_DOUBLE, &v);
		break;
	}
	case 4: case 5: case 6:
		s = random_string(64);
		dbus_message_iter_append_basic(iter, DBUS_TYPE_STRING, &s);
		free(s);
		break;
	case 7: {
		const char *p = rnd() % 2 ? "/" : "/id/rekam/Station1/devices/nosuch9";
		dbus_message_iter_append_basic(iter, DBUS_TYPE_OBJECT_PATH, &p);
		break;
	}
	case 8: { /* bytes */
		size_t n = rnd() % 64 == 0 ? (16u << 20) + 1 : rnd() % 300;
		unsigned char *b = calloc(1, n + 1);
		const unsigned char *bp = b;

		dbus_message_iter_open_container(iter, DBUS_TYPE_ARRAY, "y", &sub);
		dbus_message_iter_append_fixed_array(&sub, DBUS_TYPE_BYTE, &bp, (int)n);
		dbus_message_iter_close_container(iter, &sub);
		free(b);
		break;
	}
	case 9: /* a{sv} of random entries */
	case 10:
		dbus_message_iter_open_container(iter, DBUS_TYPE_ARRAY, "{sv}", &sub);
		for (int i = (int)(rnd() % 40); i > 0; i--) {
			DBusMessageIter var;
			char sig[2] = { "sbxdi"[rnd() % 5], 0 };

			s = random_string(80);
			dbus_message_iter_open_container(&sub, DBUS_TYPE_DICT_ENTRY, NULL, &entry);
			dbus_message_iter_append_basic(&entry, DBUS_TYPE_STRING, &s);
			dbus_message_iter_open_container(&entry, DBUS_TYPE_VARIANT, sig, &var);
			if (sig[0] == 's') {
				dbus_message_iter_append_basic(&var, DBUS_TYPE_STRING, &s);
			} else if (sig[0] == 'b') {
				dbus_bool_t b = rnd() & 1;
				dbus_message_iter_append_basic(&var, DBUS_TYPE_BOOLEAN, &b);
			} else if (sig[0] == 'x') {
				int64_t v = (int64_t)rnd();
				dbus_message_iter_append_basic(&var, DBUS_TYPE_INT64, &v);
			} else if (sig[0] == 'd') {
				double v = (double)(int64_t)rnd() / 7.0;
				dbus_message_iter_append_basic(&var, DBUS_TYPE_DOUBLE, &v);
			} else {
				int32_t v = (int32_t)rnd();
				dbus_message_iter_append_basic(&var, DBUS_TYPE_INT32, &v);
			}
			dbus_message_iter_close_container(&entry, &var);
			dbus_message_iter_close_container(&sub, &entry);
			free(s);
		}
		dbus_message_iter_close_container(iter, &sub);
		break;
	default: { /* a variant holding something random */
		DBusMessageIter var;

		dbus_message_iter_open_container(iter, DBUS_TYPE_VARIANT, "s", &var);
		s = random_string(16);
		dbus_message_iter_append_basic(&var, DBUS_TYPE_STRING, &s);
		free(s);
		dbus_message_iter_close_container(iter, &var);
		break;
	}
	}
}

static bool proper_error(DBusMessage *reply)
{
	const char *name;

	if (!reply || dbus_message_get_type(reply) != DBUS_MESSAGE_TYPE_ERROR)
		return false;
	name = dbus_message_get_error_name(reply);
	return !strncmp(name, NAME ".Error.", strlen(NAME ".Error.")) ||
		!strncmp(name, "org.freedesktop.DBus.Error.", 27);
}

/* One call of @m with a random argument list whose signature is not @m's. */
static bool wrong_call(DBusConnection *c, const struct method *m, char *why, size_t len)
{
	DBusMessage *msg = dbus_message_new_method_call(NAME, m->path, m->iface, m->name), *reply;
	DBusMessageIter iter;
	int n = (int)(rnd() % 5);
	bool ok;

	dbus_message_iter_init_append(msg, &iter);
	for (int i = 0; i < n; i++)
		append_random(&iter, 0);
	if (!strcmp(dbus_message_get_signature(msg), m->sig)) {
		dbus_message_unref(msg);
		return true; /* the right signature by chance: not this test's business */
	}
	snprintf(why, len, "%s.%s(%s) on %s", m->iface, m->name, dbus_message_get_signature(msg),
		m->path);
	reply = call(c, msg);
	ok = proper_error(reply);
	if (reply)
		dbus_message_unref(reply);
	return ok;
}

/* Calls with the right types and wrong values: each must be a proper error. */
static void known_bad(DBusConnection *c)
{
	static const char *const handles[] = { "", "../../../etc/passwd", "/etc/shadow",
		"0123456789abcdef0123456789abcdeG", "0123456789ABCDEF0123456789ABCDEF",
		"0123456789abcdef0123456789abcdef0", "%s%s%s%n" };
	DBusMessage *msg, *reply;

	for (size_t i = 0; i < sizeof(handles) / sizeof(handles[0]); i++) {
		msg = dbus_message_new_method_call(NAME, ROOT, NAME, "ReadArtifact");
		dbus_message_append_args(msg, DBUS_TYPE_STRING, &handles[i], DBUS_TYPE_INVALID);
		reply = call(c, msg);
		tap_ok(proper_error(reply), "ReadArtifact('%s') is a proper error", handles[i]);
		if (reply)
			dbus_message_unref(reply);
	}
	{
		static const struct { uint64_t after; uint32_t max; } bad[] = {
			{ 0, 0 }, { 0, 100000 }, { UINT64_MAX, 10 } };

		for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			msg = dbus_message_new_method_call(NAME, ROOT, NAME, "GetAuditLog");
			dbus_message_append_args(msg, DBUS_TYPE_UINT64, &bad[i].after, DBUS_TYPE_UINT32,
				&bad[i].max, DBUS_TYPE_INVALID);
			reply = call(c, msg);
			tap_ok(proper_error(reply), "GetAuditLog(%llu, %u) is a proper error",
				(unsigned long long)bad[i].after, bad[i].max);
			if (reply)
				dbus_message_unref(reply);
		}
	}
	msg = dbus_message_new_method_call(NAME, ROOT "/devices/nosuch0", "id.rekam.Station1.Device",
		"Claim");
	reply = call(c, msg);
	tap_ok(proper_error(reply), "a method of an object that does not exist is a proper error");
	if (reply)
		dbus_message_unref(reply);
	msg = dbus_message_new_method_call(NAME, ROOT, "id.rekam.Station1.Nothing", "Ping");
	reply = call(c, msg);
	tap_ok(proper_error(reply), "an interface that does not exist is a proper error");
	if (reply)
		dbus_message_unref(reply);
	{
		const char *iface = NAME, *prop = "State";
		DBusMessageIter iter, var;
		const char *v = "ready";

		msg = dbus_message_new_method_call(NAME, ROOT, DBUS_INTERFACE_PROPERTIES, "Set");
		dbus_message_iter_init_append(msg, &iter);
		dbus_message_iter_append_basic(&iter, DBUS_TYPE_STRING, &iface);
		dbus_message_iter_append_basic(&iter, DBUS_TYPE_STRING, &prop);
		dbus_message_iter_open_container(&iter, DBUS_TYPE_VARIANT, "s", &var);
		dbus_message_iter_append_basic(&var, DBUS_TYPE_STRING, &v);
		dbus_message_iter_close_container(&iter, &var);
		reply = call(c, msg);
		tap_ok(proper_error(reply), "setting a read-only property is a proper error");
		if (reply)
			dbus_message_unref(reply);
		prop = "NoSuchProperty";
		msg = dbus_message_new_method_call(NAME, ROOT, DBUS_INTERFACE_PROPERTIES, "Get");
		dbus_message_append_args(msg, DBUS_TYPE_STRING, &iface, DBUS_TYPE_STRING, &prop,
			DBUS_TYPE_INVALID);
		reply = call(c, msg);
		tap_ok(proper_error(reply), "getting an unknown property is a proper error");
		if (reply)
			dbus_message_unref(reply);
	}
}

int main(int argc, char **argv)
{
	unsigned long calls = argc > 1 ? strtoul(argv[1], NULL, 10) : 2000;
	DBusConnection *c;
	unsigned long bad = 0, made = 0;
	char why[512] = "";
	DBusMessage *reply;

	rng_state = argc > 2 ? strtoull(argv[2], NULL, 10) : 1;
	c = dbus_bus_get_private(DBUS_BUS_SESSION, NULL);
	if (!c)
		tap_bail("cannot connect to the session bus");
	discover(c);
	tap_ok(n_methods >= 10, "rekamd's methods were learned by introspection (%zu)", n_methods);
	for (unsigned long i = 0; i < calls && n_methods; i++) {
		const struct method *m = &methods[rnd() % n_methods];
		char what[512];

		if (!wrong_call(c, m, what, sizeof(what))) {
			if (!bad++)
				snprintf(why, sizeof(why), "%s", what);
		}
		made++;
	}
	tap_ok(bad == 0, "%lu calls with wrong arguments: every answer a proper error (%lu not%s%s)",
		made, bad, bad ? ", first: " : "", why);
	if (bad)
		tap_diag("%lu answers were not errors or had improper names", bad);
	known_bad(c);
	reply = call(c, dbus_message_new_method_call(NAME, ROOT, NAME, "Ping"));
	tap_ok(reply && dbus_message_get_type(reply) == DBUS_MESSAGE_TYPE_METHOD_RETURN,
		"rekamd still answers Ping");
	if (reply)
		dbus_message_unref(reply);
	dbus_connection_close(c);
	dbus_connection_unref(c);
	return tap_done();
}
