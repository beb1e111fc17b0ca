// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * rekam - test support
 *
 * testclient.c - a libdbus client of rekamd for C integration tests (see
 * testclient.h).
 */
#include <config.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "tap.h"
#include "testclient.h"

DBusMessage *tc_new_call(const char *path, const char *iface, const char *member)
{
	return dbus_message_new_method_call(TC_NAME, path, iface, member);
}

DBusMessage *tc_call_msg(DBusConnection *c, DBusMessage *msg, int timeout_ms)
{
	DBusPendingCall *pending = NULL;
	DBusMessage *reply;

	if (!dbus_connection_send_with_reply(c, msg, &pending, timeout_ms) || !pending)
		tap_bail("cannot send a D-Bus call");
	dbus_message_unref(msg);
	dbus_pending_call_block(pending);
	reply = dbus_pending_call_steal_reply(pending);
	dbus_pending_call_unref(pending);
	return reply;
}

DBusMessage *tc_call(DBusConnection *c, const char *path, const char *member)
{
	return tc_call_msg(c, tc_new_call(path, TC_DEVICE, member), 20000);
}

bool tc_self_test(DBusConnection *c, const char *path, int timeout_ms, int *n_steps)
{
	DBusMessage *reply = tc_call_msg(c, tc_new_call(path, TC_DEVICE, "SelfTest"), timeout_ms);
	DBusMessageIter iter, steps;
	dbus_bool_t passed = FALSE;
	int n = 0;

	if (!strcmp(dbus_message_get_signature(reply), "ba(sbs)")) {
		dbus_message_iter_init(reply, &iter);
		dbus_message_iter_get_basic(&iter, &passed);
		dbus_message_iter_next(&iter);
		dbus_message_iter_recurse(&iter, &steps);
		for (; dbus_message_iter_get_arg_type(&steps) == DBUS_TYPE_STRUCT;
				dbus_message_iter_next(&steps))
			n++;
	}
	dbus_message_unref(reply);
	if (n_steps)
		*n_steps = n;
	return passed;
}

DBusMessage *tc_capture_call(const char *path, const char *key, ...)
{
	DBusMessage *msg = tc_new_call(path, TC_DEVICE, "Capture");
	DBusMessageIter iter, dict, entry, var;
	va_list ap;

	dbus_message_iter_init_append(msg, &iter);
	dbus_message_iter_open_container(&iter, DBUS_TYPE_ARRAY, "{sv}", &dict);
	va_start(ap, key);
	for (; key; key = va_arg(ap, const char *)) {
		int type = va_arg(ap, int);
		const void *value = va_arg(ap, const void *);
		char sig[2] = { (char)type, '\0' };

		dbus_message_iter_open_container(&dict, DBUS_TYPE_DICT_ENTRY, NULL, &entry);
		dbus_message_iter_append_basic(&entry, DBUS_TYPE_STRING, &key);
		dbus_message_iter_open_container(&entry, DBUS_TYPE_VARIANT, sig, &var);
		dbus_message_iter_append_basic(&var, type, value);
		dbus_message_iter_close_container(&entry, &var);
		dbus_message_iter_close_container(&dict, &entry);
	}
	va_end(ap);
	dbus_message_iter_close_container(&iter, &dict);
	return msg;
}

char *tc_result(DBusMessage *reply)
{
	char *r = strdup(dbus_message_get_type(reply) == DBUS_MESSAGE_TYPE_ERROR ?
			dbus_message_get_error_name(reply) : "");

	if (dbus_message_get_type(reply) == DBUS_MESSAGE_TYPE_ERROR) {
		const char *text = "";

		dbus_message_get_args(reply, NULL, DBUS_TYPE_STRING, &text, DBUS_TYPE_INVALID);
		tap_diag("  (%s: %s)", r, text);
	}
	dbus_message_unref(reply);
	return r;
}

void tc_is_result(DBusMessage *reply, const char *want, const char *what)
{
	char *got = tc_result(reply);

	tap_is_str(got, want, "%s", what);
	free(got);
}

char *tc_prop(DBusConnection *c, const char *path, const char *iface, const char *name)
{
	DBusMessage *msg = tc_new_call(path, DBUS_INTERFACE_PROPERTIES, "Get"), *reply;
	DBusMessageIter iter, var;
	const char *v = "";
	char *s;

	dbus_message_append_args(msg, DBUS_TYPE_STRING, &iface, DBUS_TYPE_STRING, &name,
		DBUS_TYPE_INVALID);
	reply = tc_call_msg(c, msg, 5000);
	if (dbus_message_get_type(reply) == DBUS_MESSAGE_TYPE_METHOD_RETURN) {
		dbus_message_iter_init(reply, &iter);
		dbus_message_iter_recurse(&iter, &var);
		if (dbus_message_iter_get_arg_type(&var) == DBUS_TYPE_STRING)
			dbus_message_iter_get_basic(&var, &v);
	}
	s = strdup(v);
	dbus_message_unref(reply);
	return s;
}

bool tc_wait_prop(DBusConnection *c, const char *path, const char *name, const char *want, int ms)
{
	for (int waited = 0; waited <= ms; waited += 50) {
		char *v = tc_prop(c, path, TC_DEVICE, name);
		bool ok = strcmp(v, want) == 0;

		free(v);
		if (ok)
			return true;
		usleep(50 * 1000);
	}
	return false;
}

void tc_is_prop(DBusConnection *c, const char *path, const char *name, const char *want,
		const char *what)
{
	char *v = tc_prop(c, path, TC_DEVICE, name);

	tap_is_str(v, want, "%s", what);
	free(v);
}

bool tc_dict_get(DBusMessageIter *dict, const char *key, int type, void *value)
{
	DBusMessageIter entries, entry, var;
	const char *k;

	if (dbus_message_iter_get_arg_type(dict) != DBUS_TYPE_ARRAY)
		return false;
	dbus_message_iter_recurse(dict, &entries);
	for (; dbus_message_iter_get_arg_type(&entries) == DBUS_TYPE_DICT_ENTRY;
			dbus_message_iter_next(&entries)) {
		dbus_message_iter_recurse(&entries, &entry);
		dbus_message_iter_get_basic(&entry, &k);
		if (strcmp(k, key) != 0)
			continue;
		dbus_message_iter_next(&entry);
		dbus_message_iter_recurse(&entry, &var);
		if (dbus_message_iter_get_arg_type(&var) != type)
			return false;
		dbus_message_iter_get_basic(&var, value);
		return true;
	}
	return false;
}

char *tc_read_artifact(DBusConnection *c, const char *handle, size_t *len)
{
	DBusMessage *msg = tc_new_call(TC_ROOT, TC_NAME, "ReadArtifact"), *reply;
	DBusMessageIter iter, bytes;
	const unsigned char *data = NULL;
	char *copy = NULL;
	int n = 0;

	*len = 0;
	dbus_message_append_args(msg, DBUS_TYPE_STRING, &handle, DBUS_TYPE_INVALID);
	reply = tc_call_msg(c, msg, 10000);
	if (dbus_message_get_type(reply) == DBUS_MESSAGE_TYPE_METHOD_RETURN &&
			!strcmp(dbus_message_get_signature(reply), "a{sv}ay")) {
		dbus_message_iter_init(reply, &iter);
		dbus_message_iter_next(&iter);
		dbus_message_iter_recurse(&iter, &bytes);
		dbus_message_iter_get_fixed_array(&bytes, &data, &n);
		copy = malloc((size_t)n + 1);
		if (copy) {
			if (n)
				memcpy(copy, data, (size_t)n);
			copy[n] = '\0';
			*len = (size_t)n;
		}
	}
	dbus_message_unref(reply);
	return copy;
}

char *tc_sim_control(const char *socket_path, const char *cmd)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	char buf[1024] = "";
	size_t len = 0;
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", socket_path);
	if (fd < 0 || connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0 ||
			write(fd, cmd, strlen(cmd)) < 0 || write(fd, "\n", 1) < 0) {
		if (fd >= 0)
			close(fd);
		return strdup("(no control socket)");
	}
	while (len < sizeof(buf) - 1 && !memchr(buf, '\n', len)) {
		ssize_t n = read(fd, buf + len, sizeof(buf) - 1 - len);

		if (n <= 0)
			break;
		len += (size_t)n;
		buf[len] = '\0';
	}
	close(fd);
	buf[strcspn(buf, "\n")] = '\0';
	return strdup(buf);
}

void tc_sim_control_ok(const char *socket_path, const char *cmd)
{
	char *answer = tc_sim_control(socket_path, cmd);

	tap_ok(strncmp(answer, "OK", 2) == 0, "simulator: %s (%s)", cmd, answer);
	free(answer);
}

int tc_parse_artifacts(DBusMessage *reply, struct tc_artifact *out, int max)
{
	DBusMessageIter iter, array, dict, entry, var;
	int n = 0;

	if (dbus_message_get_type(reply) != DBUS_MESSAGE_TYPE_METHOD_RETURN ||
			!dbus_message_iter_init(reply, &iter))
		return 0;
	if (!strncmp(dbus_message_get_signature(reply), "a{sv}aa{sv}", 11))
		dbus_message_iter_next(&iter); /* a Job reply: the results first */
	if (dbus_message_iter_get_arg_type(&iter) != DBUS_TYPE_ARRAY)
		return 0;
	dbus_message_iter_recurse(&iter, &array);
	for (; n < max && dbus_message_iter_get_arg_type(&array) == DBUS_TYPE_ARRAY;
			dbus_message_iter_next(&array), n++) {
		memset(&out[n], 0, sizeof(out[n]));
		out[n].quality = -2;
		dbus_message_iter_recurse(&array, &dict);
		for (; dbus_message_iter_get_arg_type(&dict) == DBUS_TYPE_DICT_ENTRY;
				dbus_message_iter_next(&dict)) {
			const char *key, *s;
			dbus_uint32_t u;
			dbus_int32_t i;
			dbus_uint64_t t;

			dbus_message_iter_recurse(&dict, &entry);
			dbus_message_iter_get_basic(&entry, &key);
			dbus_message_iter_next(&entry);
			dbus_message_iter_recurse(&entry, &var);
			switch (dbus_message_iter_get_arg_type(&var)) {
			case DBUS_TYPE_STRING:
				dbus_message_iter_get_basic(&var, &s);
				if (!strcmp(key, "Kind"))
					snprintf(out[n].kind, sizeof(out[n].kind), "%s", s);
				else if (!strcmp(key, "Format"))
					snprintf(out[n].format, sizeof(out[n].format), "%s", s);
				else if (!strcmp(key, "Handle"))
					snprintf(out[n].handle, sizeof(out[n].handle), "%s", s);
				else if (!strcmp(key, "Sha256"))
					snprintf(out[n].sha, sizeof(out[n].sha), "%s", s);
				break;
			case DBUS_TYPE_UINT32:
				dbus_message_iter_get_basic(&var, &u);
				if (!strcmp(key, "Width"))
					out[n].width = u;
				else if (!strcmp(key, "Height"))
					out[n].height = u;
				else if (!strcmp(key, "Dpi"))
					out[n].dpi = u;
				break;
			case DBUS_TYPE_INT32:
				dbus_message_iter_get_basic(&var, &i);
				if (!strcmp(key, "Quality"))
					out[n].quality = i;
				break;
			case DBUS_TYPE_UINT64:
				dbus_message_iter_get_basic(&var, &t);
				if (!strcmp(key, "Size"))
					out[n].size = t;
				break;
			}
		}
	}
	return n;
}
