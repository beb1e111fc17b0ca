// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * rekam - KTP-el recording station daemon
 *
 * manager.c - the station manager interface, id.rekam.Station1 on
 * /id/rekam/Station1 (documented in dbus/id.rekam.Station1.xml). Submit
 * lives in enrollment-dbus.c, AddCardBatch and the card counts in
 * inventory.c.
 */
#include <config.h>

#include <stdint.h>
#include <string.h>

#include "daemon/artifact-bus.h"
#include "daemon/audit-bus.h"
#include "daemon/central.h"
#include "daemon/config.h"
#include "daemon/daemon.h"
#include "daemon/dbus-error.h"
#include "daemon/dbus-object.h"
#include "daemon/diag.h"
#include "daemon/device.h"
#include "daemon/enrollment.h"
#include "daemon/inventory.h"
#include "daemon/manager.h"
#include "daemon/report.h"
#include "daemon/roles.h"
#include "daemon/store.h"

static bool append_string(DBusMessageIter *iter, const char *value)
{
	return dbus_message_iter_append_basic(iter, DBUS_TYPE_STRING, &value);
}

static bool get_version(DBusMessageIter *iter, void *data)
{
	return append_string(iter, PACKAGE_VERSION);
}

static bool get_station_id(DBusMessageIter *iter, void *data)
{
	struct rk_daemon *d = data;

	return append_string(iter, d->config->station_id);
}

static bool get_state(DBusMessageIter *iter, void *data)
{
	struct rk_daemon *d = data;

	return append_string(iter, rk_station_state_name(d->state));
}

static bool get_office_hours(DBusMessageIter *iter, void *data)
{
	struct rk_daemon *d = data;
	char hours[12];

	rk_config_format_office_hours(d->config, hours);
	return append_string(iter, hours);
}

static bool get_devices(DBusMessageIter *iter, void *data)
{
	struct rk_daemon *d = data;
	DBusMessageIter array;
	bool ok = dbus_message_iter_open_container(iter, DBUS_TYPE_ARRAY, "o", &array);

	for (size_t i = 0; ok && i < rk_devices_count(d->devices); i++) {
		const char *path = rk_devices_path(d->devices, i);

		ok = dbus_message_iter_append_basic(&array, DBUS_TYPE_OBJECT_PATH, &path);
	}
	return ok && dbus_message_iter_close_container(iter, &array);
}

static bool get_queue_length(DBusMessageIter *iter, void *data)
{
	struct rk_daemon *d = data;
	dbus_uint32_t n = rk_central_queue_length(d->central);

	return dbus_message_iter_append_basic(iter, DBUS_TYPE_UINT32, &n);
}

static bool get_oldest(DBusMessageIter *iter, void *data)
{
	struct rk_daemon *d = data;
	dbus_uint64_t t = (dbus_uint64_t)rk_central_oldest(d->central);

	return dbus_message_iter_append_basic(iter, DBUS_TYPE_UINT64, &t);
}

static bool get_reachable(DBusMessageIter *iter, void *data)
{
	struct rk_daemon *d = data;
	dbus_bool_t b = rk_central_reachable(d->central);

	return dbus_message_iter_append_basic(iter, DBUS_TYPE_BOOLEAN, &b);
}

static DBusMessage *ping(DBusConnection *conn, DBusMessage *msg, void *data)
{
	return dbus_message_new_method_return(msg);
}

static DBusMessage *get_status(DBusConnection *conn, DBusMessage *msg, void *data)
{
	struct rk_daemon *d = data;
	const char *state = rk_station_state_name(d->state);
	const char *config_path = d->config->path ? d->config->path : "";
	const char *config_error = d->config_error ? d->config_error : "";
	const char *version = PACKAGE_VERSION;
	dbus_uint64_t uptime = rk_daemon_uptime(d);
	dbus_uint32_t starts = (dbus_uint32_t)d->starts;
	dbus_uint32_t schema = (dbus_uint32_t)rk_store_schema_version(d->store);
	dbus_uint32_t queue = rk_central_queue_length(d->central);
	dbus_uint64_t oldest = (dbus_uint64_t)rk_central_oldest(d->central);
	dbus_bool_t reachable = rk_central_reachable(d->central);
	DBusMessageIter iter, dict;
	DBusMessage *reply;
	char hours[12];
	const char *hours_p = hours;
	bool ok;

	rk_config_format_office_hours(d->config, hours);
	reply = dbus_message_new_method_return(msg);
	if (!reply)
		return NULL;
	dbus_message_iter_init_append(reply, &iter);
	ok = dbus_message_iter_open_container(&iter, DBUS_TYPE_ARRAY, "{sv}", &dict) &&
		rk_dbus_dict_append(&dict, "StationId", DBUS_TYPE_STRING, &d->config->station_id) &&
		rk_dbus_dict_append(&dict, "State", DBUS_TYPE_STRING, &state) &&
		rk_dbus_dict_append(&dict, "Version", DBUS_TYPE_STRING, &version) &&
		rk_dbus_dict_append(&dict, "OfficeHours", DBUS_TYPE_STRING, &hours_p) &&
		rk_dbus_dict_append(&dict, "Uptime", DBUS_TYPE_UINT64, &uptime) &&
		rk_dbus_dict_append(&dict, "Starts", DBUS_TYPE_UINT32, &starts) &&
		rk_dbus_dict_append(&dict, "SchemaVersion", DBUS_TYPE_UINT32, &schema) &&
		rk_dbus_dict_append(&dict, "ConfigPath", DBUS_TYPE_STRING, &config_path) &&
		rk_dbus_dict_append(&dict, "ConfigError", DBUS_TYPE_STRING, &config_error) &&
		rk_dbus_dict_append(&dict, "UploadQueueLength", DBUS_TYPE_UINT32, &queue) &&
		rk_dbus_dict_append(&dict, "OldestQueuedSince", DBUS_TYPE_UINT64, &oldest) &&
		rk_dbus_dict_append(&dict, "CentralReachable", DBUS_TYPE_BOOLEAN, &reachable) &&
		dbus_message_iter_close_container(&iter, &dict);
	if (!ok) {
		dbus_message_unref(reply);
		return rk_dbus_error(msg, RK_DBUS_ERROR_FAILED, "Out of memory building the status");
	}
	return reply;
}

/*
 * Who may call what: the matrix of docs/SECURITY.md, checked by
 * tests/integration/test-roles-matrix.sh. The supervisor may always call.
 * Submit and AddCardBatch check their role themselves (front office,
 * technician) because they record it.
 */
#define AUDIT_READERS (RK_ROLE_BIT(RK_ROLE_TECHNICIAN) | RK_ROLE_BIT(RK_ROLE_SUPERVISOR))
#define ARTIFACT_READERS (RK_ROLE_BIT(RK_ROLE_VERIFIER) | RK_ROLE_BIT(RK_ROLE_OPERATOR) | \
	RK_ROLE_BIT(RK_ROLE_SUPERVISOR))

static const struct rk_dbus_method manager_methods[] = {
	{ "Ping", RK_DBUS_NO_ARGS, RK_DBUS_NO_ARGS, ping, RK_DBUS_OPEN },
	{ "GetStatus", RK_DBUS_NO_ARGS, RK_DBUS_ARGS({ "status", "a{sv}" }), get_status,
		.roles = RK_ROLES_ALL },
	{ "ReadArtifact", RK_DBUS_ARGS({ "handle", "s" }),
		RK_DBUS_ARGS({ "metadata", "a{sv}" }, { "data", "ay" }), rk_artifact_bus_read,
		.roles = ARTIFACT_READERS },
	{ "VerifyAudit", RK_DBUS_NO_ARGS,
		RK_DBUS_ARGS({ "ok", "b" }, { "entries", "t" }, { "first_bad", "t" },
			{ "reason", "s" }), rk_audit_bus_verify, .roles = AUDIT_READERS },
	{ "GetAuditLog", RK_DBUS_ARGS({ "after", "t" }, { "max", "u" }),
		RK_DBUS_ARGS({ "entries", "a(txssssssss)" }), rk_audit_bus_log,
		.roles = AUDIT_READERS },
	{ "Diagnose", RK_DBUS_NO_ARGS,
		RK_DBUS_ARGS({ "checks", "a(sss)" }, { "usb", "a(qqyyss)" }), rk_diag_bus_diagnose,
		.roles = RK_ROLE_BIT(RK_ROLE_TECHNICIAN) | RK_ROLE_BIT(RK_ROLE_SUPERVISOR) },
	{ "GetReport", RK_DBUS_ARGS({ "month", "s" }), RK_DBUS_ARGS({ "report", "s" }),
		rk_report_bus_get,
		.roles = RK_ROLE_BIT(RK_ROLE_TECHNICIAN) | RK_ROLE_BIT(RK_ROLE_SUPERVISOR) },
	{ "Submit", RK_DBUS_ARGS({ "applicant", "a{sv}" }), RK_DBUS_ARGS({ "enrollment", "o" }),
		rk_enrollment_submit_method, RK_DBUS_CHECKS_ITSELF },
	{ "AddCardBatch", RK_DBUS_ARGS({ "first_serial", "s" }, { "count", "u" }),
		RK_DBUS_ARGS({ "last_serial", "s" }), rk_inventory_add_batch_method,
		RK_DBUS_CHECKS_ITSELF },
	{}
};

static const struct rk_dbus_property manager_properties[] = {
	{ "Version", "s", get_version, .flags = RK_DBUS_PROPERTY_CONST },
	{ "StationId", "s", get_station_id },
	{ "State", "s", get_state },
	{ "OfficeHours", "s", get_office_hours },
	{ "Devices", "ao", get_devices },
	{ "UploadQueueLength", "u", get_queue_length },
	{ "OldestQueuedSince", "t", get_oldest },
	{ "CentralReachable", "b", get_reachable },
	{ "CardsBlank", "u", rk_inventory_get_blank },
	{ "CardsIssued", "u", rk_inventory_get_issued },
	{ "CardsSpoiled", "u", rk_inventory_get_spoiled },
	{}
};

static const struct rk_dbus_interface manager_interface = {
	.name = RK_MANAGER_INTERFACE,
	.methods = manager_methods,
	.properties = manager_properties,
};

int rk_manager_register(struct rk_daemon *d)
{
	return rk_dbus_register(d->dbus, RK_ROOT_PATH, &manager_interface, d);
}

void rk_manager_changed(struct rk_daemon *d, const char *property)
{
	if (d->dbus)
		rk_dbus_property_changed(d->dbus, RK_ROOT_PATH, RK_MANAGER_INTERFACE, property);
}
