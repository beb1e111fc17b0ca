// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * rekam - KTP-el recording station daemon
 *
 * roles.c - the role of a D-Bus caller (see roles.h): one asynchronous
 * GetConnectionUnixUser per call, then the user's groups from the system's
 * user database, matched against the [roles] lists of the configuration.
 * The answer rides on the message (a libdbus data slot) so that what the
 * call records in the audit trail names the user and the role.
 */
#include <config.h>

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon/audit.h"
#include "daemon/config.h"
#include "daemon/daemon.h"
#include "daemon/dbus-error.h"
#include "daemon/dbus-object.h"
#include "daemon/log.h"
#include "daemon/roles.h"

#define LOOKUP_TIMEOUT_MS 5000
#define MAX_GROUPS 256

static const char *const role_names[RK_ROLE_N] = {
	[RK_ROLE_FRONT_OFFICE] = "front-office",
	[RK_ROLE_VERIFIER] = "verifier",
	[RK_ROLE_ANALYST] = "analyst",
	[RK_ROLE_OPERATOR] = "operator",
	[RK_ROLE_HANDOVER] = "handover",
	[RK_ROLE_TECHNICIAN] = "technician",
	[RK_ROLE_SUPERVISOR] = "supervisor",
};

_Static_assert(RK_ROLE_N == RK_CONFIG_N_ROLES, "one [roles] key per role");

const char *rk_role_name(enum rk_role role)
{
	return (unsigned int)role < RK_ROLE_N ? role_names[role] : NULL;
}

static bool listed(char **groups, const char *name)
{
	for (size_t i = 0; groups && groups[i]; i++)
		if (strcmp(groups[i], name) == 0)
			return true;
	return false;
}

/* The names of the groups of @uid (primary and supplementary), NULL-terminated
 * in @names (each malloc'd); how many. */
static size_t group_names(uid_t uid, char **names, size_t max)
{
	struct passwd pw, *pwp = NULL;
	gid_t gids[MAX_GROUPS];
	int n = MAX_GROUPS;
	size_t count = 0;
	char buf[4096];

	if (getpwuid_r(uid, &pw, buf, sizeof(buf), &pwp) != 0 || !pwp)
		return 0;
	if (getgrouplist(pw.pw_name, pw.pw_gid, gids, &n) < 0)
		n = MAX_GROUPS;
	for (int i = 0; i < n && count + 1 < max; i++) {
		struct group gr, *grp = NULL;
		char gbuf[4096];

		if (getgrgid_r(gids[i], &gr, gbuf, sizeof(gbuf), &grp) == 0 && grp &&
				(names[count] = strdup(gr.gr_name)))
			count++;
	}
	names[count] = NULL;
	return count;
}

unsigned int rk_roles_of_uid(const struct rk_config *config, bool session_bus, uid_t uid)
{
	char *names[MAX_GROUPS + 1];
	size_t n = group_names(uid, names, MAX_GROUPS + 1);
	unsigned int roles = 0;

	for (int r = 0; r < RK_ROLE_N; r++) {
		char **groups = config->roles[r];
		bool has = false;

		if (!groups)
			has = session_bus || uid == 0; /* the documented default */
		for (size_t i = 0; groups && !has && i < n; i++)
			has = listed(groups, names[i]);
		if (has)
			roles |= RK_ROLE_BIT(r);
	}
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	return roles;
}

void rk_roles_actor(uid_t uid, char *buf, size_t size)
{
	struct passwd pw, *pwp = NULL;
	char pwbuf[1024];

	if (getpwuid_r(uid, &pw, pwbuf, sizeof(pwbuf), &pwp) == 0 && pwp)
		snprintf(buf, size, "uid %u (%s)", (unsigned int)uid, pw.pw_name);
	else
		snprintf(buf, size, "uid %u", (unsigned int)uid);
}

/* --- the caller, on the message --------------------------------------------- */

struct caller {
	uid_t uid;
	enum rk_role role;
};

/* Allocated once, for the life of the process (libdbus keeps the slot table). */
static dbus_int32_t caller_slot = -1;

static void remember_caller(DBusMessage *msg, uid_t uid, unsigned int roles)
{
	struct caller *c;

	if (caller_slot < 0 && !dbus_message_allocate_data_slot(&caller_slot))
		return;
	c = malloc(sizeof(*c));
	if (!c)
		return;
	*c = (struct caller){ .uid = uid, .role = rk_roles_first(roles) };
	if (!dbus_message_set_data(msg, caller_slot, c, free))
		free(c);
}

bool rk_roles_caller(DBusMessage *msg, uid_t *uid, enum rk_role *role)
{
	const struct caller *c;

	if (!msg || caller_slot < 0 || !(c = dbus_message_get_data(msg, caller_slot)))
		return false;
	*uid = c->uid;
	*role = c->role;
	return true;
}

/* --- asking the bus -------------------------------------------------------- */

struct pending {
	struct rk_daemon *d;
	DBusMessage *msg;
	unsigned int allowed; /* 0: only find the caller's roles, refuse nobody */
	rk_roles_fn fn;
	void *data;
};

static void free_pending(void *p)
{
	struct pending *pending = p;

	dbus_message_unref(pending->msg);
	free(pending);
}

static void needed_roles(unsigned int allowed, char *buf, size_t size)
{
	size_t len = 0;

	buf[0] = '\0';
	for (int r = 0; r < RK_ROLE_N && len < size; r++)
		if (allowed & RK_ROLE_BIT(r))
			len += (size_t)snprintf(buf + len, size - len, "%s%s", len ? " or " : "",
				role_names[r]);
}

static DBusMessage *decide(struct pending *p, DBusMessage *answer)
{
	dbus_uint32_t uid;
	unsigned int roles;
	char needed[160];
	DBusError error;

	dbus_error_init(&error);
	if (dbus_set_error_from_message(&error, answer) ||
			!dbus_message_get_args(answer, &error, DBUS_TYPE_UINT32, &uid,
				DBUS_TYPE_INVALID)) {
		rk_warn("cannot identify the caller %s: %s", dbus_message_get_sender(p->msg),
			error.message);
		dbus_error_free(&error);
		return rk_dbus_error(p->msg, RK_DBUS_ERROR_ACCESS_DENIED,
			"Cannot tell who is calling, so no role can be granted");
	}
	roles = rk_roles_of_uid(p->d->config, p->d->opts.session_bus, (uid_t)uid);
	if (!p->allowed) /* the supervisor counts as every role, as everywhere */
		return p->fn(p->d, p->msg, roles & RK_ROLE_BIT(RK_ROLE_SUPERVISOR) ?
			RK_ROLES_ALL : roles, (uid_t)uid, p->data);
	roles &= p->allowed;
	if (!roles) {
		char actor[160], detail[512];

		needed_roles(p->allowed, needed, sizeof(needed));
		/* A refusal leaves a trace (SECURITY.md: staff outside their role). */
		rk_roles_actor((uid_t)uid, actor, sizeof(actor));
		snprintf(detail, sizeof(detail), "%s on %s needs the role %s",
			dbus_message_get_member(p->msg), dbus_message_get_path(p->msg), needed);
		if (p->d->store && rk_audit_append(p->d->store, &(struct rk_audit_entry){
				.actor = actor, .action = "access.denied",
				.result = rk_dbus_error_name(RK_DBUS_ERROR_ACCESS_DENIED),
				.detail = detail }) < 0)
			rk_error("audit: cannot record a refused %s", dbus_message_get_member(p->msg));
		return rk_dbus_error(p->msg, RK_DBUS_ERROR_ACCESS_DENIED,
			"%s needs the role %s; %s has none of them (see [roles] in rekamd.conf)",
			dbus_message_get_member(p->msg), needed, actor);
	}
	remember_caller(p->msg, (uid_t)uid, roles);
	return p->fn(p->d, p->msg, roles, (uid_t)uid, p->data);
}

enum rk_role rk_roles_first(unsigned int roles)
{
	for (int r = 0; r < RK_ROLE_N; r++)
		if (roles & RK_ROLE_BIT(r))
			return (enum rk_role)r;
	return RK_ROLE_SUPERVISOR;
}

static void lookup_done(DBusPendingCall *call, void *data)
{
	struct pending *p = data;
	DBusMessage *answer = dbus_pending_call_steal_reply(call);
	DBusMessage *reply;

	if (!answer)
		return;
	reply = decide(p, answer);
	dbus_message_unref(answer);
	if (reply)
		rk_dbus_send_reply(p->d->dbus, reply);
}

/* rk_roles_authorize(), or with @allowed 0 only the lookup (see pending). */
static DBusMessage *lookup(struct rk_daemon *d, DBusMessage *msg, unsigned int allowed,
		rk_roles_fn fn, void *data)
{
	const char *sender = dbus_message_get_sender(msg);
	DBusPendingCall *call = NULL;
	struct pending *p;
	DBusMessage *ask;

	if (!sender)
		return rk_dbus_error(msg, RK_DBUS_ERROR_ACCESS_DENIED,
			"Calls without a sender are not accepted");
	p = calloc(1, sizeof(*p));
	ask = dbus_message_new_method_call(DBUS_SERVICE_DBUS, DBUS_PATH_DBUS, DBUS_INTERFACE_DBUS,
		"GetConnectionUnixUser");
	if (!p || !ask || !dbus_message_append_args(ask, DBUS_TYPE_STRING, &sender,
			DBUS_TYPE_INVALID) ||
			!dbus_connection_send_with_reply(d->conn, ask, &call, LOOKUP_TIMEOUT_MS) ||
			!call) {
		free(p);
		if (ask)
			dbus_message_unref(ask);
		return rk_dbus_error(msg, RK_DBUS_ERROR_FAILED,
			"Cannot ask the bus who is calling (out of memory or disconnected)");
	}
	dbus_message_unref(ask);
	*p = (struct pending){ .d = d, .msg = dbus_message_ref(msg), .allowed = allowed,
		.fn = fn, .data = data };
	if (!dbus_pending_call_set_notify(call, lookup_done, p, free_pending)) {
		free_pending(p);
		dbus_pending_call_cancel(call);
		dbus_pending_call_unref(call);
		return rk_dbus_error(msg, RK_DBUS_ERROR_FAILED, "Out of memory");
	}
	dbus_pending_call_unref(call);
	return NULL;
}

DBusMessage *rk_roles_authorize(struct rk_daemon *d, DBusMessage *msg, unsigned int allowed,
		rk_roles_fn fn, void *data)
{
	return lookup(d, msg, allowed | RK_ROLE_BIT(RK_ROLE_SUPERVISOR), fn, data);
}

static DBusMessage *run_checked(struct rk_daemon *d, DBusMessage *msg, unsigned int roles,
		uid_t uid, void *data)
{
	return rk_dbus_authorized(d->dbus, msg, roles);
}

DBusMessage *rk_roles_check_call(DBusMessage *msg, unsigned int roles, void *data)
{
	return lookup(data, msg, roles ? roles | RK_ROLE_BIT(RK_ROLE_SUPERVISOR) : 0, run_checked,
		NULL);
}
