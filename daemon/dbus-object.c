// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * rekam - KTP-el recording station daemon
 *
 * dbus-object.c - the D-Bus object layer (see dbus-object.h).
 *
 * One fallback handler on "/" receives every method call. Objects are kept in
 * an array sorted by path, so a lookup is a binary search and the objects
 * below a path (children for introspection, managed objects for the
 * ObjectManager) are one contiguous run. The standard interfaces are answered
 * here; calls to table interfaces are checked against their signature first,
 * then, when the method needs roles, handed to the authorizer, which lets them
 * go on through rk_dbus_authorized() (the same dispatch, without the check).
 * Reading the properties of an interface with read_roles goes the same way;
 * GetManagedObjects asks the authorizer for the caller's roles (roles 0: it
 * refuses nobody) and leaves out the properties the caller may not read.
 */
#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/dbus-error.h"
#include "daemon/dbus-introspect.h"
#include "daemon/dbus-object.h"
#include "daemon/log.h"


#define MAX_PROPERTIES 64
#define MAX_SIGNATURE 256

struct iface_reg {
	const struct rk_dbus_interface *iface;
	void *user_data;
	uint64_t changed; /* one bit per property index, waiting for PropertiesChanged */
};

struct object {
	char *path;
	struct iface_reg *regs;
	size_t n_regs;
	bool permanent; /* the object manager root stays even with no interface */
};

struct rk_dbus {
	DBusConnection *conn;
	char *om_path;
	struct object **objects; /* sorted by strcmp of path */
	size_t n_objects;
	size_t cap_objects;
	struct event *flush_event;
	rk_dbus_authorize_fn authorize;
	void *authorize_data;
};

/* --- small helpers --------------------------------------------------------- */

static bool args_signature(const struct rk_dbus_arg *args, char *buf, size_t size)
{
	size_t len = 0;

	buf[0] = '\0';
	for (; args && args->signature; args++) {
		size_t n = strlen(args->signature);

		if (len + n + 1 > size)
			return false;
		memcpy(buf + len, args->signature, n + 1);
		len += n;
	}
	return true;
}

static bool is_below(const char *path, const char *parent)
{
	size_t n = strlen(parent);

	if (strcmp(parent, "/") == 0)
		return path[0] == '/' && path[1] != '\0';
	return strncmp(path, parent, n) == 0 && path[n] == '/';
}

/* First index whose path is >= @path. */
static size_t lower_bound(struct rk_dbus *bus, const char *path)
{
	size_t lo = 0, hi = bus->n_objects;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (strcmp(bus->objects[mid]->path, path) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static struct object *find_object(struct rk_dbus *bus, const char *path)
{
	size_t i = lower_bound(bus, path);

	if (i < bus->n_objects && strcmp(bus->objects[i]->path, path) == 0)
		return bus->objects[i];
	return NULL;
}

/* The run of objects strictly below @path: [*first, *end). Paths below
 * "/a/b" all start with "/a/b/", which sorts as one run. */
static void below_range(struct rk_dbus *bus, const char *path, size_t *first, size_t *end)
{
	char prefix[1024];
	size_t i;

	if (strcmp(path, "/") == 0)
		snprintf(prefix, sizeof(prefix), "/");
	else
		snprintf(prefix, sizeof(prefix), "%s/", path);
	i = lower_bound(bus, prefix);
	*first = i;
	while (i < bus->n_objects && is_below(bus->objects[i]->path, path))
		i++;
	*end = i;
}

static struct iface_reg *find_reg(struct object *obj, const char *name)
{
	for (size_t i = 0; i < obj->n_regs; i++)
		if (strcmp(obj->regs[i].iface->name, name) == 0)
			return &obj->regs[i];
	return NULL;
}

static const struct rk_dbus_property *find_property(const struct rk_dbus_interface *iface,
		const char *name, unsigned int *index)
{
	for (unsigned int i = 0; iface->properties && iface->properties[i].name; i++) {
		if (strcmp(iface->properties[i].name, name) == 0) {
			if (index)
				*index = i;
			return &iface->properties[i];
		}
	}
	return NULL;
}

static bool property_present(const struct rk_dbus_property *p, void *user_data)
{
	return !p->exists || p->exists(user_data);
}

/* --- property values ------------------------------------------------------- */

static bool append_property_value(DBusMessageIter *iter, const struct rk_dbus_property *p,
		void *user_data)
{
	DBusMessageIter variant;

	if (!dbus_message_iter_open_container(iter, DBUS_TYPE_VARIANT, p->type, &variant))
		return false;
	if (!p->get(&variant, user_data)) {
		rk_error("D-Bus: property %s cannot be read", p->name);
		dbus_message_iter_abandon_container(iter, &variant);
		return false;
	}
	return dbus_message_iter_close_container(iter, &variant);
}

static bool append_dict_entry(DBusMessageIter *dict, const struct rk_dbus_property *p,
		void *user_data)
{
	DBusMessageIter entry;

	if (!dbus_message_iter_open_container(dict, DBUS_TYPE_DICT_ENTRY, NULL, &entry))
		return false;
	if (!dbus_message_iter_append_basic(&entry, DBUS_TYPE_STRING, &p->name) ||
			!append_property_value(&entry, p, user_data)) {
		dbus_message_iter_abandon_container(dict, &entry);
		return false;
	}
	return dbus_message_iter_close_container(dict, &entry);
}

/* May a caller with @roles read the properties of @iface? */
static bool readable(const struct rk_dbus_interface *iface, unsigned int roles)
{
	return !iface->read_roles || (iface->read_roles & roles);
}

/* a{sv} of every present property of @reg (empty when @hide). */
static bool append_properties(DBusMessageIter *iter, const struct iface_reg *reg, bool hide)
{
	const struct rk_dbus_property *p = hide ? NULL : reg->iface->properties;
	DBusMessageIter dict;

	if (!dbus_message_iter_open_container(iter, DBUS_TYPE_ARRAY, "{sv}", &dict))
		return false;
	for (; p && p->name; p++) {
		if (!property_present(p, reg->user_data))
			continue;
		if (!append_dict_entry(&dict, p, reg->user_data)) {
			dbus_message_iter_abandon_container(iter, &dict);
			return false;
		}
	}
	return dbus_message_iter_close_container(iter, &dict);
}

/* a{sa{sv}} of the interfaces of @obj (all of them, or only @only), with
 * the properties a caller with @roles may read; an interface it may not read
 * comes with an empty dictionary. */
static bool append_interfaces(DBusMessageIter *iter, const struct object *obj,
		const struct iface_reg *only, unsigned int roles)
{
	DBusMessageIter dict, entry;

	if (!dbus_message_iter_open_container(iter, DBUS_TYPE_ARRAY, "{sa{sv}}", &dict))
		return false;
	for (size_t i = 0; i < obj->n_regs; i++) {
		const struct iface_reg *reg = &obj->regs[i];

		if (only && reg != only)
			continue;
		if (!dbus_message_iter_open_container(&dict, DBUS_TYPE_DICT_ENTRY, NULL, &entry) ||
				!dbus_message_iter_append_basic(&entry, DBUS_TYPE_STRING,
					&reg->iface->name) ||
				!append_properties(&entry, reg, !readable(reg->iface, roles)) ||
				!dbus_message_iter_close_container(&dict, &entry)) {
			dbus_message_iter_abandon_container_if_open(&dict, &entry);
			dbus_message_iter_abandon_container(iter, &dict);
			return false;
		}
	}
	return dbus_message_iter_close_container(iter, &dict);
}

/* --- introspection --------------------------------------------------------- */

/* The direct children of @path: the first component after it of each object
 * below it, each name once. Path characters ([A-Za-z0-9_]) all sort after
 * '/', so the paths below "P/x" follow "P/x" at once: comparing with the
 * previous name is enough to list each child once. */
static void xml_children(FILE *f, struct rk_dbus *bus, const char *path)
{
	size_t first, end, skip = strcmp(path, "/") == 0 ? 1 : strlen(path) + 1;
	const char *prev = NULL;
	size_t prev_len = 0;

	below_range(bus, path, &first, &end);
	for (size_t i = first; i < end; i++) {
		const char *name = bus->objects[i]->path + skip;
		size_t len = strcspn(name, "/");

		if (prev && len == prev_len && strncmp(prev, name, len) == 0)
			continue;
		fprintf(f, "  <node name=\"%.*s\"/>\n", (int)len, name);
		prev = name;
		prev_len = len;
	}
}

char *rk_dbus_introspect(struct rk_dbus *bus, const char *path)
{
	struct object *obj = find_object(bus, path);
	size_t first, end, size;
	char *xml = NULL;
	FILE *f;

	below_range(bus, path, &first, &end);
	if (!obj && first == end)
		return NULL;

	f = open_memstream(&xml, &size);
	if (!f)
		return NULL;
	fputs(DBUS_INTROSPECT_1_0_XML_DOCTYPE_DECL_NODE, f);
	fputs("<node>\n", f);
	rk_dbus_introspect_standard(f, obj != NULL, strcmp(path, bus->om_path) == 0);
	for (size_t i = 0; obj && i < obj->n_regs; i++)
		rk_dbus_introspect_interface(f, obj->regs[i].iface);
	xml_children(f, bus, path);
	fputs("</node>\n", f);
	if (fclose(f) != 0) {
		free(xml);
		return NULL;
	}
	return xml;
}

/* --- who may call ----------------------------------------------------------- */

/* The single place where a call that needs roles meets the authorizer. */
static DBusMessage *authorize(struct rk_dbus *bus, DBusMessage *msg, unsigned int roles)
{
	if (!bus->authorize)
		return rk_dbus_error(msg, RK_DBUS_ERROR_ACCESS_DENIED,
			"%s needs a role and nothing here can grant one",
			dbus_message_get_member(msg));
	return bus->authorize(msg, roles, bus->authorize_data);
}

/* --- org.freedesktop.DBus.Properties --------------------------------------- */

static DBusMessage *error_invalid_args(DBusMessage *msg, const char *expected)
{
	return dbus_message_new_error_printf(msg, DBUS_ERROR_INVALID_ARGS,
		"%s.%s expects arguments (%s), got (%s)", dbus_message_get_interface(msg),
		dbus_message_get_member(msg), expected, dbus_message_get_signature(msg));
}

static DBusMessage *lookup_property(struct object *obj, DBusMessage *msg, const char *iface_name,
		const char *name, struct iface_reg **reg, const struct rk_dbus_property **prop)
{
	*reg = find_reg(obj, iface_name);
	if (!*reg)
		return dbus_message_new_error_printf(msg, DBUS_ERROR_UNKNOWN_INTERFACE,
			"Object %s has no interface %s", obj->path, iface_name);
	*prop = find_property((*reg)->iface, name, NULL);
	if (!*prop || !property_present(*prop, (*reg)->user_data))
		return dbus_message_new_error_printf(msg, DBUS_ERROR_UNKNOWN_PROPERTY,
			"Interface %s has no property %s", iface_name, name);
	return NULL;
}

static DBusMessage *properties_get(struct rk_dbus *bus, struct object *obj, DBusMessage *msg,
		bool authorized)
{
	const struct rk_dbus_property *prop;
	const char *iface_name, *name;
	struct iface_reg *reg;
	DBusMessageIter iter;
	DBusMessage *reply;

	if (!dbus_message_has_signature(msg, "ss"))
		return error_invalid_args(msg, "ss");
	dbus_message_get_args(msg, NULL, DBUS_TYPE_STRING, &iface_name, DBUS_TYPE_STRING, &name,
		DBUS_TYPE_INVALID);
	reply = lookup_property(obj, msg, iface_name, name, &reg, &prop);
	if (reply)
		return reply;
	if (!authorized && reg->iface->read_roles)
		return authorize(bus, msg, reg->iface->read_roles);

	reply = dbus_message_new_method_return(msg);
	if (!reply)
		return NULL;
	dbus_message_iter_init_append(reply, &iter);
	if (!append_property_value(&iter, prop, reg->user_data)) {
		dbus_message_unref(reply);
		return rk_dbus_error(msg, RK_DBUS_ERROR_FAILED, "Property %s cannot be read now",
			name);
	}
	return reply;
}

static DBusMessage *properties_get_all(struct rk_dbus *bus, struct object *obj,
		DBusMessage *msg, bool authorized)
{
	const char *iface_name;
	struct iface_reg *reg;
	DBusMessageIter iter;
	DBusMessage *reply;

	if (!dbus_message_has_signature(msg, "s"))
		return error_invalid_args(msg, "s");
	dbus_message_get_args(msg, NULL, DBUS_TYPE_STRING, &iface_name, DBUS_TYPE_INVALID);
	reg = find_reg(obj, iface_name);
	if (!reg)
		return dbus_message_new_error_printf(msg, DBUS_ERROR_UNKNOWN_INTERFACE,
			"Object %s has no interface %s", obj->path, iface_name);
	if (!authorized && reg->iface->read_roles)
		return authorize(bus, msg, reg->iface->read_roles);

	reply = dbus_message_new_method_return(msg);
	if (!reply)
		return NULL;
	dbus_message_iter_init_append(reply, &iter);
	if (!append_properties(&iter, reg, false)) {
		dbus_message_unref(reply);
		return rk_dbus_error(msg, RK_DBUS_ERROR_FAILED,
			"Properties of %s cannot be read now", iface_name);
	}
	return reply;
}

static DBusMessage *properties_set(struct rk_dbus *bus, struct object *obj, DBusMessage *msg,
		bool authorized)
{
	const struct rk_dbus_property *prop;
	const char *iface_name, *name;
	DBusMessageIter iter, value;
	struct iface_reg *reg;
	DBusMessage *reply;
	char *type;
	bool match;

	if (!dbus_message_has_signature(msg, "ssv"))
		return error_invalid_args(msg, "ssv");
	dbus_message_iter_init(msg, &iter);
	dbus_message_iter_get_basic(&iter, &iface_name);
	dbus_message_iter_next(&iter);
	dbus_message_iter_get_basic(&iter, &name);
	dbus_message_iter_next(&iter);
	dbus_message_iter_recurse(&iter, &value);

	reply = lookup_property(obj, msg, iface_name, name, &reg, &prop);
	if (reply)
		return reply;
	if (!prop->set)
		return dbus_message_new_error_printf(msg, DBUS_ERROR_PROPERTY_READ_ONLY,
			"Property %s of %s is read-only", name, iface_name);

	type = dbus_message_iter_get_signature(&value);
	if (!type)
		return NULL;
	match = strcmp(type, prop->type) == 0;
	if (!match)
		reply = dbus_message_new_error_printf(msg, DBUS_ERROR_INVALID_ARGS,
			"Property %s has type %s, got %s", name, prop->type, type);
	dbus_free(type);
	if (!match)
		return reply;

	if (!authorized && !(prop->flags & RK_DBUS_OPEN))
		return authorize(bus, msg, prop->set_roles);
	reply = prop->set(msg, &value, reg->user_data);
	return reply ? reply : dbus_message_new_method_return(msg);
}

/* --- org.freedesktop.DBus.ObjectManager ------------------------------------ */

/* Does some object below the root have an interface that restricts reading? */
static bool any_restricted(struct rk_dbus *bus, size_t first, size_t end)
{
	for (size_t i = first; i < end; i++)
		for (size_t j = 0; j < bus->objects[i]->n_regs; j++)
			if (bus->objects[i]->regs[j].iface->read_roles)
				return true;
	return false;
}

/* @roles: the caller's, once @authorized (the authorizer was asked with no
 * roles needed, only to tell the caller's). */
static DBusMessage *get_managed_objects(struct rk_dbus *bus, DBusMessage *msg, bool authorized,
		unsigned int roles)
{
	DBusMessageIter iter, dict, entry;
	DBusMessage *reply;
	size_t first, end;

	if (!dbus_message_has_signature(msg, ""))
		return error_invalid_args(msg, "");
	below_range(bus, bus->om_path, &first, &end);
	if (!authorized && bus->authorize && any_restricted(bus, first, end))
		return bus->authorize(msg, 0, bus->authorize_data);
	reply = dbus_message_new_method_return(msg);
	if (!reply)
		return NULL;
	dbus_message_iter_init_append(reply, &iter);
	if (!dbus_message_iter_open_container(&iter, DBUS_TYPE_ARRAY, "{oa{sa{sv}}}", &dict))
		goto fail;
	for (size_t i = first; i < end; i++) {
		struct object *obj = bus->objects[i];

		if (!obj->n_regs)
			continue;
		if (!dbus_message_iter_open_container(&dict, DBUS_TYPE_DICT_ENTRY, NULL, &entry) ||
				!dbus_message_iter_append_basic(&entry, DBUS_TYPE_OBJECT_PATH,
					&obj->path) ||
				!append_interfaces(&entry, obj, NULL, authorized ? roles : 0) ||
				!dbus_message_iter_close_container(&dict, &entry))
			goto fail;
	}
	if (!dbus_message_iter_close_container(&iter, &dict))
		goto fail;
	return reply;
fail:
	dbus_message_unref(reply);
	return rk_dbus_error(msg, RK_DBUS_ERROR_FAILED, "Managed objects cannot be read now");
}

static void emit_interfaces_added(struct rk_dbus *bus, struct object *obj,
		const struct iface_reg *reg)
{
	DBusMessageIter iter;
	DBusMessage *sig;

	sig = dbus_message_new_signal(bus->om_path, IFACE_OBJECT_MANAGER, "InterfacesAdded");
	if (!sig)
		return;
	/* A broadcast: with no roles, so only the properties open to everyone. */
	dbus_message_iter_init_append(sig, &iter);
	if (dbus_message_iter_append_basic(&iter, DBUS_TYPE_OBJECT_PATH, &obj->path) &&
			append_interfaces(&iter, obj, reg, 0))
		dbus_connection_send(bus->conn, sig, NULL);
	dbus_message_unref(sig);
}

static void emit_interfaces_removed(struct rk_dbus *bus, const char *path, const char **names,
		size_t n)
{
	DBusMessage *sig;

	sig = dbus_message_new_signal(bus->om_path, IFACE_OBJECT_MANAGER, "InterfacesRemoved");
	if (!sig)
		return;
	if (dbus_message_append_args(sig, DBUS_TYPE_OBJECT_PATH, &path, DBUS_TYPE_ARRAY,
			    DBUS_TYPE_STRING, &names, (int)n, DBUS_TYPE_INVALID))
		dbus_connection_send(bus->conn, sig, NULL);
	dbus_message_unref(sig);
}

/* --- PropertiesChanged ----------------------------------------------------- */

static void emit_properties_changed(struct rk_dbus *bus, struct object *obj,
		struct iface_reg *reg)
{
	const struct rk_dbus_property *props = reg->iface->properties;
	uint64_t changed = reg->changed;
	DBusMessageIter iter, dict, array;
	DBusMessage *sig;
	/* A broadcast, as InterfacesAdded: the values of properties not open to
	 * everyone stay out; their names go as invalidated, and a client that
	 * may read them asks with Get (checked like any read) */
	bool hide = reg->iface->read_roles != 0;
	bool ok;

	reg->changed = 0;
	sig = dbus_message_new_signal(obj->path, IFACE_PROPERTIES, "PropertiesChanged");
	if (!sig)
		return;
	dbus_message_iter_init_append(sig, &iter);
	ok = dbus_message_iter_append_basic(&iter, DBUS_TYPE_STRING, &reg->iface->name) &&
		dbus_message_iter_open_container(&iter, DBUS_TYPE_ARRAY, "{sv}", &dict);
	for (unsigned int i = 0; ok && props[i].name; i++) {
		if ((changed & (UINT64_C(1) << i)) && !hide &&
				property_present(&props[i], reg->user_data))
			ok = append_dict_entry(&dict, &props[i], reg->user_data);
	}
	ok = ok && dbus_message_iter_close_container(&iter, &dict) &&
		dbus_message_iter_open_container(&iter, DBUS_TYPE_ARRAY, "s", &array);
	for (unsigned int i = 0; ok && props[i].name; i++) {
		if ((changed & (UINT64_C(1) << i)) &&
				(hide || !property_present(&props[i], reg->user_data)))
			ok = dbus_message_iter_append_basic(&array, DBUS_TYPE_STRING,
				&props[i].name);
	}
	ok = ok && dbus_message_iter_close_container(&iter, &array);
	if (ok)
		dbus_connection_send(bus->conn, sig, NULL);
	else
		rk_error("D-Bus: cannot build PropertiesChanged for %s on %s", reg->iface->name,
			obj->path);
	dbus_message_unref(sig);
}

static void flush_object(struct rk_dbus *bus, struct object *obj)
{
	for (size_t i = 0; i < obj->n_regs; i++)
		if (obj->regs[i].changed)
			emit_properties_changed(bus, obj, &obj->regs[i]);
}

void rk_dbus_flush(struct rk_dbus *bus)
{
	for (size_t i = 0; i < bus->n_objects; i++)
		flush_object(bus, bus->objects[i]);
}

static void flush_cb(evutil_socket_t fd, short what, void *data)
{
	rk_dbus_flush(data);
}

void rk_dbus_property_changed(struct rk_dbus *bus, const char *path, const char *interface,
		const char *property)
{
	struct object *obj = find_object(bus, path);
	struct iface_reg *reg = obj ? find_reg(obj, interface) : NULL;
	const struct rk_dbus_property *prop;
	unsigned int index;

	prop = reg ? find_property(reg->iface, property, &index) : NULL;
	if (!prop) {
		rk_error("D-Bus: change of unknown property %s.%s on %s", interface, property,
			path);
		return;
	}
	if (prop->flags & RK_DBUS_PROPERTY_CONST)
		return;
	reg->changed |= UINT64_C(1) << index;
	event_active(bus->flush_event, EV_TIMEOUT, 0);
}

/* --- method calls ---------------------------------------------------------- */

static DBusMessage *call_table_method(struct rk_dbus *bus, struct object *obj, DBusMessage *msg,
		bool authorized)
{
	const char *iface_name = dbus_message_get_interface(msg);
	const char *member = dbus_message_get_member(msg);
	const struct rk_dbus_method *method = NULL;
	struct iface_reg *reg = NULL;
	char expected[MAX_SIGNATURE];

	if (iface_name) {
		reg = find_reg(obj, iface_name);
		if (!reg)
			return dbus_message_new_error_printf(msg, DBUS_ERROR_UNKNOWN_INTERFACE,
				"Object %s has no interface %s", obj->path, iface_name);
	}
	for (size_t i = 0; i < obj->n_regs && !method; i++) {
		const struct rk_dbus_method *m = obj->regs[i].iface->methods;

		if (reg && reg != &obj->regs[i])
			continue;
		for (; m && m->name; m++) {
			if (strcmp(m->name, member) == 0) {
				method = m;
				reg = &obj->regs[i];
				break;
			}
		}
	}
	if (!method)
		return dbus_message_new_error_printf(msg, DBUS_ERROR_UNKNOWN_METHOD,
			"No method %s on interface %s of %s", member,
			iface_name ? iface_name : "(any)", obj->path);

	args_signature(method->in_args, expected, sizeof(expected));
	if (!dbus_message_has_signature(msg, expected))
		return rk_dbus_error(msg, RK_DBUS_ERROR_INVALID_ARGUMENTS,
			"%s.%s expects arguments (%s), got (%s)", reg->iface->name, member, expected,
			dbus_message_get_signature(msg));
	if (!authorized && !(method->flags & (RK_DBUS_OPEN | RK_DBUS_CHECKS_ITSELF)))
		return authorize(bus, msg, method->roles);
	return method->function(bus->conn, msg, reg->user_data);
}

/* @authorized: the authorizer let @msg through already, and the caller has
 * @roles. */
static DBusMessage *handle_call(struct rk_dbus *bus, DBusMessage *msg, bool authorized,
		unsigned int roles)
{
	const char *path = dbus_message_get_path(msg);
	const char *iface = dbus_message_get_interface(msg);
	const char *member = dbus_message_get_member(msg);
	struct object *obj = find_object(bus, path);

	if (iface && strcmp(iface, IFACE_INTROSPECTABLE) == 0 && strcmp(member, "Introspect") == 0) {
		DBusMessage *reply;
		char *xml;

		if (!dbus_message_has_signature(msg, ""))
			return error_invalid_args(msg, "");
		xml = rk_dbus_introspect(bus, path);
		if (!xml)
			return dbus_message_new_error_printf(msg, DBUS_ERROR_UNKNOWN_OBJECT,
				"No object at %s", path);
		reply = dbus_message_new_method_return(msg);
		if (reply && !dbus_message_append_args(reply, DBUS_TYPE_STRING, &xml,
				     DBUS_TYPE_INVALID)) {
			dbus_message_unref(reply);
			reply = NULL;
		}
		free(xml);
		return reply;
	}

	if (!obj)
		return dbus_message_new_error_printf(msg, DBUS_ERROR_UNKNOWN_OBJECT,
			"No object at %s", path);

	if (iface && strcmp(iface, IFACE_PROPERTIES) == 0) {
		if (strcmp(member, "Get") == 0)
			return properties_get(bus, obj, msg, authorized);
		if (strcmp(member, "GetAll") == 0)
			return properties_get_all(bus, obj, msg, authorized);
		if (strcmp(member, "Set") == 0)
			return properties_set(bus, obj, msg, authorized);
		return dbus_message_new_error_printf(msg, DBUS_ERROR_UNKNOWN_METHOD,
			"No method %s on interface %s", member, iface);
	}
	if (iface && strcmp(iface, IFACE_OBJECT_MANAGER) == 0 &&
			strcmp(path, bus->om_path) == 0) {
		if (strcmp(member, "GetManagedObjects") == 0)
			return get_managed_objects(bus, msg, authorized, roles);
		return dbus_message_new_error_printf(msg, DBUS_ERROR_UNKNOWN_METHOD,
			"No method %s on interface %s", member, iface);
	}
	return call_table_method(bus, obj, msg, authorized);
}

DBusMessage *rk_dbus_authorized(struct rk_dbus *bus, DBusMessage *msg, unsigned int roles)
{
	return handle_call(bus, msg, true, roles);
}

void rk_dbus_set_authorizer(struct rk_dbus *bus, rk_dbus_authorize_fn fn, void *data)
{
	bus->authorize = fn;
	bus->authorize_data = data;
}

static DBusHandlerResult message_cb(DBusConnection *conn, DBusMessage *msg, void *data)
{
	struct rk_dbus *bus = data;
	DBusMessage *reply;

	if (dbus_message_get_type(msg) != DBUS_MESSAGE_TYPE_METHOD_CALL)
		return DBUS_HANDLER_RESULT_NOT_YET_HANDLED;

	reply = handle_call(bus, msg, false, 0);
	if (!reply)
		return DBUS_HANDLER_RESULT_HANDLED; /* the handler replies later */
	if (!dbus_message_get_no_reply(msg))
		dbus_connection_send(conn, reply, NULL);
	dbus_message_unref(reply);
	return DBUS_HANDLER_RESULT_HANDLED;
}

static const DBusObjectPathVTable fallback_vtable = {
	.message_function = message_cb,
};

/* --- registration ---------------------------------------------------------- */

static bool valid_args(const struct rk_dbus_arg *args)
{
	char buf[MAX_SIGNATURE];

	for (; args && args->signature; args++) {
		if (!args->name || !*args->name || strspn(args->name,
				"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") !=
				strlen(args->name))
			return false;
		if (!dbus_signature_validate_single(args->signature, NULL))
			return false;
	}
	return args_signature(args, buf, sizeof(buf));
}

/* Exactly one answer to "who may call": some roles, everyone, or the handler. */
static bool declares_callers(const char *iface, const char *member, unsigned int roles,
		unsigned int flags)
{
	int answers = (roles != 0) + !!(flags & RK_DBUS_OPEN) + !!(flags & RK_DBUS_CHECKS_ITSELF);

	if (answers != 1)
		rk_error("D-Bus: %s.%s must say who may call it: roles, RK_DBUS_OPEN or "
			"RK_DBUS_CHECKS_ITSELF (it gives %d answers)", iface, member, answers);
	return answers == 1;
}

static bool valid_interface(const struct rk_dbus_interface *iface)
{
	unsigned int n = 0;

	if (!iface->name || !dbus_validate_interface(iface->name, NULL))
		return false;
	for (const struct rk_dbus_method *m = iface->methods; m && m->name; m++)
		if (!dbus_validate_member(m->name, NULL) || !m->function ||
				!valid_args(m->in_args) || !valid_args(m->out_args) ||
				!declares_callers(iface->name, m->name, m->roles, m->flags))
			return false;
	for (const struct rk_dbus_signal *s = iface->signals; s && s->name; s++)
		if (!dbus_validate_member(s->name, NULL) || !valid_args(s->args))
			return false;
	for (const struct rk_dbus_property *p = iface->properties; p && p->name; p++, n++)
		if (!dbus_validate_member(p->name, NULL) || !p->get ||
				!dbus_signature_validate_single(p->type, NULL) ||
				(p->set && ((p->flags & RK_DBUS_CHECKS_ITSELF) || !declares_callers(
					iface->name, p->name, p->set_roles, p->flags))))
			return false;
	return n <= MAX_PROPERTIES;
}

static struct object *add_object(struct rk_dbus *bus, const char *path)
{
	size_t i = lower_bound(bus, path);
	struct object *obj;

	if (bus->n_objects == bus->cap_objects) {
		size_t cap = bus->cap_objects ? bus->cap_objects * 2 : 16;
		struct object **objects = realloc(bus->objects, cap * sizeof(*objects));

		if (!objects)
			return NULL;
		bus->objects = objects;
		bus->cap_objects = cap;
	}
	obj = calloc(1, sizeof(*obj));
	if (!obj || !(obj->path = strdup(path))) {
		free(obj);
		return NULL;
	}
	memmove(&bus->objects[i + 1], &bus->objects[i], (bus->n_objects - i) * sizeof(*bus->objects));
	bus->objects[i] = obj;
	bus->n_objects++;
	return obj;
}

static void free_object(struct object *obj)
{
	free(obj->regs);
	free(obj->path);
	free(obj);
}

static void remove_object(struct rk_dbus *bus, struct object *obj)
{
	size_t i = lower_bound(bus, obj->path);

	memmove(&bus->objects[i], &bus->objects[i + 1],
		(bus->n_objects - i - 1) * sizeof(*bus->objects));
	bus->n_objects--;
	free_object(obj);
}

int rk_dbus_register(struct rk_dbus *bus, const char *path, const struct rk_dbus_interface *iface,
		void *user_data)
{
	struct object *obj;
	struct iface_reg *regs;

	if (!dbus_validate_path(path, NULL) || !valid_interface(iface)) {
		rk_error("D-Bus: refusing to register %s on %s: invalid path or interface table",
			iface && iface->name ? iface->name : "(null)", path ? path : "(null)");
		return -EINVAL;
	}
	obj = find_object(bus, path);
	if (obj && find_reg(obj, iface->name))
		return -EEXIST;
	if (!obj && !(obj = add_object(bus, path)))
		return -ENOMEM;

	regs = realloc(obj->regs, (obj->n_regs + 1) * sizeof(*regs));
	if (!regs) {
		if (!obj->n_regs && !obj->permanent)
			remove_object(bus, obj);
		return -ENOMEM;
	}
	obj->regs = regs;
	regs[obj->n_regs++] = (struct iface_reg){ .iface = iface, .user_data = user_data };

	if (is_below(path, bus->om_path))
		emit_interfaces_added(bus, obj, &regs[obj->n_regs - 1]);
	return 0;
}

int rk_dbus_unregister(struct rk_dbus *bus, const char *path, const char *interface)
{
	struct object *obj = find_object(bus, path);
	struct iface_reg *reg = obj ? find_reg(obj, interface) : NULL;
	size_t index;

	if (!reg)
		return -ENOENT;
	flush_object(bus, obj);
	if (is_below(path, bus->om_path))
		emit_interfaces_removed(bus, path, &interface, 1);

	index = (size_t)(reg - obj->regs);
	memmove(reg, reg + 1, (obj->n_regs - index - 1) * sizeof(*reg));
	obj->n_regs--;
	if (!obj->n_regs && !obj->permanent)
		remove_object(bus, obj);
	return 0;
}

int rk_dbus_unregister_all(struct rk_dbus *bus, const char *path)
{
	struct object *obj = find_object(bus, path);
	const char **names;

	if (!obj || !obj->n_regs)
		return -ENOENT;
	flush_object(bus, obj);
	names = calloc(obj->n_regs, sizeof(*names));
	if (names && is_below(path, bus->om_path)) {
		for (size_t i = 0; i < obj->n_regs; i++)
			names[i] = obj->regs[i].iface->name;
		emit_interfaces_removed(bus, path, names, obj->n_regs);
	}
	free(names);
	obj->n_regs = 0;
	if (!obj->permanent)
		remove_object(bus, obj);
	return 0;
}

bool rk_dbus_object_exists(struct rk_dbus *bus, const char *path)
{
	struct object *obj = find_object(bus, path);

	return obj && (obj->n_regs || obj->permanent);
}

/* --- signals --------------------------------------------------------------- */

int rk_dbus_emit(struct rk_dbus *bus, DBusMessage *signal)
{
	const char *path = dbus_message_get_path(signal);
	const char *iface = dbus_message_get_interface(signal);
	const char *member = dbus_message_get_member(signal);
	struct object *obj = path ? find_object(bus, path) : NULL;
	struct iface_reg *reg = obj && iface ? find_reg(obj, iface) : NULL;
	const struct rk_dbus_signal *s = reg ? reg->iface->signals : NULL;
	char expected[MAX_SIGNATURE];
	int err = -EINVAL;

	for (; s && s->name; s++)
		if (strcmp(s->name, member) == 0)
			break;
	if (!s || !s->name) {
		rk_error("D-Bus: no signal %s.%s on %s; not sent", iface ? iface : "(null)",
			member ? member : "(null)", path ? path : "(null)");
	} else if (args_signature(s->args, expected, sizeof(expected)),
			!dbus_message_has_signature(signal, expected)) {
		rk_error("D-Bus: signal %s.%s has arguments (%s), expected (%s); not sent", iface,
			member, dbus_message_get_signature(signal), expected);
	} else {
		err = dbus_connection_send(bus->conn, signal, NULL) ? 0 : -ENOMEM;
	}
	dbus_message_unref(signal);
	return err;
}

void rk_dbus_send_reply(struct rk_dbus *bus, DBusMessage *reply)
{
	dbus_connection_send(bus->conn, reply, NULL);
	dbus_message_unref(reply);
}

bool rk_dbus_dict_append(DBusMessageIter *dict, const char *key, int type, const void *value)
{
	char signature[2] = { (char)type, '\0' };
	DBusMessageIter entry, variant;

	return dbus_message_iter_open_container(dict, DBUS_TYPE_DICT_ENTRY, NULL, &entry) &&
		dbus_message_iter_append_basic(&entry, DBUS_TYPE_STRING, &key) &&
		dbus_message_iter_open_container(&entry, DBUS_TYPE_VARIANT, signature, &variant) &&
		dbus_message_iter_append_basic(&variant, type, value) &&
		dbus_message_iter_close_container(&entry, &variant) &&
		dbus_message_iter_close_container(dict, &entry);
}

/* --- life cycle ------------------------------------------------------------ */

struct rk_dbus *rk_dbus_new(DBusConnection *conn, struct event_base *base,
		const char *object_manager_path)
{
	struct rk_dbus *bus;
	struct object *root;

	if (!dbus_validate_path(object_manager_path, NULL))
		return NULL;
	bus = calloc(1, sizeof(*bus));
	if (!bus)
		return NULL;
	bus->conn = dbus_connection_ref(conn);
	bus->om_path = strdup(object_manager_path);
	bus->flush_event = event_new(base, -1, 0, flush_cb, bus);
	if (!bus->om_path || !bus->flush_event || !(root = add_object(bus, object_manager_path)))
		goto fail;
	root->permanent = true;
	if (!dbus_connection_register_fallback(conn, "/", &fallback_vtable, bus)) {
		rk_error("D-Bus: cannot register the object handler");
		goto fail;
	}
	return bus;
fail:
	rk_dbus_free(bus);
	return NULL;
}

void rk_dbus_free(struct rk_dbus *bus)
{
	if (!bus)
		return;
	dbus_connection_unregister_object_path(bus->conn, "/");
	for (size_t i = 0; i < bus->n_objects; i++)
		free_object(bus->objects[i]);
	free(bus->objects);
	if (bus->flush_event)
		event_free(bus->flush_event);
	free(bus->om_path);
	dbus_connection_unref(bus->conn);
	free(bus);
}

DBusConnection *rk_dbus_get_connection(struct rk_dbus *bus)
{
	return bus->conn;
}
