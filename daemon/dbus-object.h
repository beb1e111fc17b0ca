/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * rekam - KTP-el recording station daemon
 *
 * dbus-object.h - the D-Bus object layer. Objects are registered by path with
 * one or more interfaces, each described by a static table of methods (with
 * argument signatures), signals and properties. The layer answers
 * org.freedesktop.DBus.Introspectable (XML generated from the tables),
 * org.freedesktop.DBus.Properties (Get, GetAll, Set and a coalesced
 * PropertiesChanged) and org.freedesktop.DBus.ObjectManager on one root path
 * (GetManagedObjects, InterfacesAdded, InterfacesRemoved). It checks every
 * incoming call against the table before a handler sees it, so handlers only
 * receive arguments of the declared types.
 *
 * Every method declares who may call it: a set of roles (bits the daemon's
 * authorizer understands, see rk_dbus_set_authorizer()), RK_DBUS_OPEN for
 * anyone the bus lets in, or RK_DBUS_CHECKS_ITSELF for a handler that checks
 * its caller itself; a writable property declares who may Set it the same
 * way. A table that leaves one out is refused at registration. The check is
 * made here, in one place, after the arguments' types and before the handler
 * runs. An interface whose properties reveal personal data declares who may
 * read them (@read_roles): Properties.Get and GetAll of it go through the same
 * check, GetManagedObjects lists it with an empty property dictionary to
 * anyone else, and InterfacesAdded never carries its properties. Introspect
 * and the other interfaces' properties stay open.
 *
 * A method handler returns its reply (or an error from rk_dbus_error()), or
 * NULL when it will reply later itself (keep a reference to the message).
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include <dbus/dbus.h>
#include <event2/event.h>

struct rk_dbus;

struct rk_dbus_arg {
	const char *name;
	const char *signature;
};

typedef DBusMessage *(*rk_dbus_method_fn)(DBusConnection *conn, DBusMessage *msg, void *user_data);

/* Append the property's value (of its declared type) to @iter and return
 * true. Returning false (append nothing) means the value cannot be read:
 * Get answers Failed, and GetAll or GetManagedObjects fail as a whole, so a
 * property that is sometimes absent must say so through its @exists. */
typedef bool (*rk_dbus_property_get_fn)(DBusMessageIter *iter, void *user_data);

/* @value holds a value of the declared type. Return NULL to accept it, or an
 * error reply made with rk_dbus_error() for @msg. */
typedef DBusMessage *(*rk_dbus_property_set_fn)(DBusMessage *msg, DBusMessageIter *value,
		void *user_data);

/* false: the property does not exist on this object right now. */
typedef bool (*rk_dbus_property_exists_fn)(void *user_data);

enum {
	RK_DBUS_DEPRECATED = 1 << 0,
	RK_DBUS_PROPERTY_CONST = 1 << 1, /* never changes: no PropertiesChanged */
	RK_DBUS_OPEN = 1 << 2,           /* anyone the bus lets in may call (or Set) */
	RK_DBUS_CHECKS_ITSELF = 1 << 3,  /* a method whose handler checks the caller */
};

struct rk_dbus_method {
	const char *name;
	const struct rk_dbus_arg *in_args;  /* NULL, or terminated by an empty entry */
	const struct rk_dbus_arg *out_args; /* idem */
	rk_dbus_method_fn function;
	unsigned int flags;
	unsigned int roles; /* who may call it, unless RK_DBUS_OPEN or _CHECKS_ITSELF */
};

struct rk_dbus_signal {
	const char *name;
	const struct rk_dbus_arg *args;
	unsigned int flags;
};

struct rk_dbus_property {
	const char *name;
	const char *type;
	rk_dbus_property_get_fn get;
	rk_dbus_property_set_fn set; /* NULL: read-only */
	rk_dbus_property_exists_fn exists; /* NULL: always there */
	unsigned int flags;
	unsigned int set_roles; /* who may Set it (with @set), unless RK_DBUS_OPEN */
};

struct rk_dbus_interface {
	const char *name;
	const struct rk_dbus_method *methods;       /* terminated by { } or NULL */
	const struct rk_dbus_signal *signals;       /* idem */
	const struct rk_dbus_property *properties;  /* idem; at most 64 */
	unsigned int read_roles; /* who may read the properties; 0: anyone the bus lets in */
};

#define RK_DBUS_ARGS(...) ((const struct rk_dbus_arg[]){ __VA_ARGS__, {} })
#define RK_DBUS_NO_ARGS NULL

/*
 * Serve objects on @conn, driven by @base. @object_manager_path is the path
 * that implements org.freedesktop.DBus.ObjectManager for every object below
 * it. Returns NULL if the fallback handler cannot be registered.
 */
struct rk_dbus *rk_dbus_new(DBusConnection *conn, struct event_base *base,
		const char *object_manager_path);

/* Unregister everything silently (no InterfacesRemoved) and free. */
void rk_dbus_free(struct rk_dbus *bus);

DBusConnection *rk_dbus_get_connection(struct rk_dbus *bus);

/*
 * Decide whether @msg, a call of a method (or a Properties.Get, GetAll or Set)
 * that needs one of @roles, may go on. Either return an error reply for @msg
 * (refused), or return NULL and, now or later, pass @msg and the roles the
 * caller has to rk_dbus_authorized() and send what it returns (keep a
 * reference to @msg meanwhile).
 *
 * @roles 0 (GetManagedObjects, when some interface restricts reading): the
 * call needs no role and is not refused for want of one; the layer only needs
 * the caller's roles to leave out what it may not read.
 */
typedef DBusMessage *(*rk_dbus_authorize_fn)(DBusMessage *msg, unsigned int roles, void *data);

/* Check calls that need roles with @fn. Without one such calls are refused
 * with AccessDenied, and GetManagedObjects treats every caller as having no
 * role. */
void rk_dbus_set_authorizer(struct rk_dbus *bus, rk_dbus_authorize_fn fn, void *data);

/*
 * Carry out @msg, which the authorizer let through; @roles are the roles the
 * caller has (all of them: GetManagedObjects shows the properties of an
 * interface whose @read_roles meet them). The object, method and arguments
 * are looked up again (the object may have gone meanwhile). Returns the reply
 * to send, or NULL when the handler replies later itself.
 */
DBusMessage *rk_dbus_authorized(struct rk_dbus *bus, DBusMessage *msg, unsigned int roles);

/*
 * Add @iface with @user_data to the object at @path (created if needed) and
 * announce it with InterfacesAdded when @path is below the object manager.
 * 0, -EINVAL (invalid path or a table that fails validation, logged),
 * -EEXIST (the interface is already on that path), -ENOMEM.
 */
int rk_dbus_register(struct rk_dbus *bus, const char *path, const struct rk_dbus_interface *iface,
		void *user_data);

/* Remove one interface (InterfacesRemoved); the object goes when it has none.
 * 0 or -ENOENT. */
int rk_dbus_unregister(struct rk_dbus *bus, const char *path, const char *interface);

/* Remove every interface of @path. 0 or -ENOENT. */
int rk_dbus_unregister_all(struct rk_dbus *bus, const char *path);

bool rk_dbus_object_exists(struct rk_dbus *bus, const char *path);

/*
 * Note that @property of @interface at @path changed. One PropertiesChanged
 * per object and interface carries every property noted in the same turn of
 * the event loop. Unknown names are logged and ignored.
 */
void rk_dbus_property_changed(struct rk_dbus *bus, const char *path, const char *interface,
		const char *property);

/* Send the PropertiesChanged signals noted so far now (before shutdown). */
void rk_dbus_flush(struct rk_dbus *bus);

/*
 * Emit @signal (made with dbus_message_new_signal). It is checked against
 * the registered tables: the object, interface and signal must exist and the
 * arguments must have the declared signature. Takes over the reference.
 * 0 or -EINVAL (logged; nothing sent), -ENOMEM.
 */
int rk_dbus_emit(struct rk_dbus *bus, DBusMessage *signal);

/* Send @msg (a reply) and drop the reference; for handlers that reply later. */
void rk_dbus_send_reply(struct rk_dbus *bus, DBusMessage *reply);

/* Append one "key": variant entry of basic @type to the a{sv} at @dict
 * (GetStatus, Capture results, Health). false when out of memory. */
bool rk_dbus_dict_append(DBusMessageIter *dict, const char *key, int type, const void *value);

/* Introspection XML for @path, as answered over the bus (tests). NULL if the
 * path is neither an object nor a parent of one. free() it. */
char *rk_dbus_introspect(struct rk_dbus *bus, const char *path);
