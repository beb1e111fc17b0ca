/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * rekam - KTP-el recording station daemon
 *
 * roles.h - who may do what: the SOP roles, and the role of a D-Bus caller,
 * found from its Unix user (org.freedesktop.DBus.GetConnectionUnixUser,
 * asked without blocking the loop) and that user's groups, mapped to roles
 * by the [roles] section of rekamd.conf. A role whose key is not set is
 * everyone's on the session bus (development, tests) and root's only on the
 * system bus. rk_roles_check_call() is the D-Bus layer's authorizer: the one
 * check every method that declares roles in its table goes through (the
 * matrix is in docs/SECURITY.md).
 */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

#include <dbus/dbus.h>

struct rk_config;
struct rk_daemon;

/* In the order of the [roles] keys (config.h roles[]). */
enum rk_role {
	RK_ROLE_FRONT_OFFICE,
	RK_ROLE_VERIFIER,
	RK_ROLE_ANALYST,
	RK_ROLE_OPERATOR,
	RK_ROLE_HANDOVER,
	RK_ROLE_TECHNICIAN,
	RK_ROLE_SUPERVISOR,
	RK_ROLE_N
};

#define RK_ROLE_BIT(r) (1u << (r))
#define RK_ROLES_ALL ((1u << RK_ROLE_N) - 1)

/* "front-office", "verifier", ...; NULL for an unknown value. */
const char *rk_role_name(enum rk_role role);

/* The roles (RK_ROLE_BIT set) of Unix user @uid under @config. */
unsigned int rk_roles_of_uid(const struct rk_config *config, bool session_bus, uid_t uid);

/*
 * Continue a method call once the caller is known to have at least one of
 * @roles (RK_ROLE_BIT set, already limited to the allowed ones). Returns the
 * reply (or NULL: it replies itself later, as a method handler).
 */
typedef DBusMessage *(*rk_roles_fn)(struct rk_daemon *d, DBusMessage *msg, unsigned int roles,
		uid_t uid, void *data);

/* The role to record for an action by someone with @roles: the first in enum
 * order, so the supervisor only when it is the caller's only fitting role. */
enum rk_role rk_roles_first(unsigned int roles);

/*
 * Find the roles of the sender of @msg and, when it has one of @allowed (the
 * supervisor always counts), call @fn with those it has and send its reply;
 * otherwise reply AccessDenied naming the roles needed.
 * Returns NULL (the reply comes later) or an error reply to send at once.
 * @data must stay valid until then.
 */
DBusMessage *rk_roles_authorize(struct rk_daemon *d, DBusMessage *msg, unsigned int allowed,
		rk_roles_fn fn, void *data);

/*
 * The D-Bus layer's authorizer (rk_dbus_authorize_fn, @data is the daemon):
 * rk_roles_authorize() with @roles, then the call goes on through
 * rk_dbus_authorized(). With @roles 0 (GetManagedObjects) nobody is refused:
 * the call goes on with every role the caller has (all of them for the
 * supervisor), or none.
 */
DBusMessage *rk_roles_check_call(DBusMessage *msg, unsigned int roles, void *data);

/*
 * Who called @msg, once rk_roles_authorize() let it through: the Unix user
 * and the role it acts in (the first fitting one). false for a call that was
 * not checked (an open method) and for rekamd's own actions.
 */
bool rk_roles_caller(DBusMessage *msg, uid_t *uid, enum rk_role *role);

/* "uid 1000 (siti)", or "uid 1000" when the user database has no name. */
void rk_roles_actor(uid_t uid, char *buf, size_t size);
