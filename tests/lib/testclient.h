/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * rekam - test support
 *
 * testclient.h - a libdbus client of rekamd for C integration tests: calls
 * that wait for their reply, device properties, Capture calls with options,
 * and results as error names.
 */
#pragma once

#include <stdbool.h>

#include <dbus/dbus.h>

#define TC_NAME "id.rekam.Station1"
#define TC_ROOT "/id/rekam/Station1"
#define TC_DEVICE "id.rekam.Station1.Device"
#define TC_ERR "id.rekam.Station1.Error."

DBusMessage *tc_new_call(const char *path, const char *iface, const char *member);

/* Send @msg (taking it over) and wait for the reply, an error reply included. */
DBusMessage *tc_call_msg(DBusConnection *c, DBusMessage *msg, int timeout_ms);

/* A Device method without arguments. */
DBusMessage *tc_call(DBusConnection *c, const char *path, const char *member);

/* A Capture call with options: KEY, DBUS_TYPE_x, pointer-to-value triples, NULL. */
DBusMessage *tc_capture_call(const char *path, const char *key, ...);

/* "" for a method return, else the error name; frees @reply. malloc'd. */
char *tc_result(DBusMessage *reply);

/* TAP check that @reply is @want ("" or an error name); frees @reply. */
void tc_is_result(DBusMessage *reply, const char *want, const char *what);

/* SelfTest on the device at @path, waiting up to @timeout_ms for the reply:
 * whether it passed (false for an error reply), and in *@n_steps (when not
 * NULL) how many steps its a(sbs) holds (0 for an error reply). */
bool tc_self_test(DBusConnection *c, const char *path, int timeout_ms, int *n_steps);

/* A string property of @iface at @path ("" when it cannot be read); malloc'd. */
char *tc_prop(DBusConnection *c, const char *path, const char *iface, const char *name);

/* Poll a Device string property until it is @want, up to @ms. */
bool tc_wait_prop(DBusConnection *c, const char *path, const char *name, const char *want, int ms);

/* TAP check of a Device string property. */
void tc_is_prop(DBusConnection *c, const char *path, const char *name, const char *want,
		const char *what);

/* In the a{sv} at @dict (an iterator positioned on the array), the value of
 * @key if it is of basic @type: true and *@value set (strings point into the
 * message). */
bool tc_dict_get(DBusMessageIter *dict, const char *key, int type, void *value);

/* The bytes of artifact @handle through ReadArtifact (malloc'd, NUL added
 * after them), their number in *@len; NULL when rekamd refuses. */
char *tc_read_artifact(DBusConnection *c, const char *handle, size_t *len);

/* One command line on a simulator's control socket @socket; the first line
 * of its answer (malloc'd), or "(no control socket)". */
char *tc_sim_control(const char *socket, const char *cmd);

/* TAP check that the simulator answers @cmd with "OK...". */
void tc_sim_control_ok(const char *socket, const char *cmd);

/* One artifact's metadata from a Capture or Job reply. */
struct tc_artifact {
	char kind[48], format[48], handle[48], sha[80];
	unsigned int width, height, dpi;
	int quality; /* -2 when the reply gave none */
	unsigned long long size;
};

/* The aa{sv} of a Capture reply (or the second argument of a Job reply,
 * when @reply's signature starts with a{sv}) into @out; how many. */
int tc_parse_artifacts(DBusMessage *reply, struct tc_artifact *out, int max);
