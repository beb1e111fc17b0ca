// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * rekam - KTP-el recording station daemon
 *
 * dbus-introspect.c - org.freedesktop.DBus.Introspectable XML generated from
 * the interface tables of dbus-object.h, so that what rekamd says it serves
 * is exactly what it dispatches.
 */
#include <config.h>

#include "daemon/dbus-introspect.h"

static void xml_args(FILE *f, const struct rk_dbus_arg *args, const char *direction)
{
	for (; args && args->signature; args++) {
		fprintf(f, "      <arg name=\"%s\" type=\"%s\"", args->name, args->signature);
		if (direction)
			fprintf(f, " direction=\"%s\"", direction);
		fprintf(f, "/>\n");
	}
}

static void xml_deprecated(FILE *f, unsigned int flags)
{
	if (flags & RK_DBUS_DEPRECATED)
		fprintf(f, "      <annotation name=\"org.freedesktop.DBus.Deprecated\" "
			   "value=\"true\"/>\n");
}

void rk_dbus_introspect_interface(FILE *f, const struct rk_dbus_interface *iface)
{
	const struct rk_dbus_method *m;
	const struct rk_dbus_signal *s;
	const struct rk_dbus_property *p;

	fprintf(f, "  <interface name=\"%s\">\n", iface->name);
	for (m = iface->methods; m && m->name; m++) {
		fprintf(f, "    <method name=\"%s\">\n", m->name);
		xml_args(f, m->in_args, "in");
		xml_args(f, m->out_args, "out");
		xml_deprecated(f, m->flags);
		fprintf(f, "    </method>\n");
	}
	for (s = iface->signals; s && s->name; s++) {
		fprintf(f, "    <signal name=\"%s\">\n", s->name);
		xml_args(f, s->args, NULL);
		xml_deprecated(f, s->flags);
		fprintf(f, "    </signal>\n");
	}
	for (p = iface->properties; p && p->name; p++) {
		fprintf(f, "    <property name=\"%s\" type=\"%s\" access=\"%s\">\n", p->name, p->type,
			p->set ? "readwrite" : "read");
		if (p->flags & RK_DBUS_PROPERTY_CONST)
			fprintf(f, "      <annotation name=\"org.freedesktop.DBus.Property."
				   "EmitsChangedSignal\" value=\"const\"/>\n");
		xml_deprecated(f, p->flags);
		fprintf(f, "    </property>\n");
	}
	fprintf(f, "  </interface>\n");
}

static const char xml_standard[] =
	"  <interface name=\"" IFACE_INTROSPECTABLE "\">\n"
	"    <method name=\"Introspect\">\n"
	"      <arg name=\"xml\" type=\"s\" direction=\"out\"/>\n"
	"    </method>\n"
	"  </interface>\n"
	"  <interface name=\"" IFACE_PEER "\">\n"
	"    <method name=\"Ping\"/>\n"
	"    <method name=\"GetMachineId\">\n"
	"      <arg name=\"machine_uuid\" type=\"s\" direction=\"out\"/>\n"
	"    </method>\n"
	"  </interface>\n";

static const char xml_properties[] =
	"  <interface name=\"" IFACE_PROPERTIES "\">\n"
	"    <method name=\"Get\">\n"
	"      <arg name=\"interface_name\" type=\"s\" direction=\"in\"/>\n"
	"      <arg name=\"property_name\" type=\"s\" direction=\"in\"/>\n"
	"      <arg name=\"value\" type=\"v\" direction=\"out\"/>\n"
	"    </method>\n"
	"    <method name=\"GetAll\">\n"
	"      <arg name=\"interface_name\" type=\"s\" direction=\"in\"/>\n"
	"      <arg name=\"properties\" type=\"a{sv}\" direction=\"out\"/>\n"
	"    </method>\n"
	"    <method name=\"Set\">\n"
	"      <arg name=\"interface_name\" type=\"s\" direction=\"in\"/>\n"
	"      <arg name=\"property_name\" type=\"s\" direction=\"in\"/>\n"
	"      <arg name=\"value\" type=\"v\" direction=\"in\"/>\n"
	"    </method>\n"
	"    <signal name=\"PropertiesChanged\">\n"
	"      <arg name=\"interface_name\" type=\"s\"/>\n"
	"      <arg name=\"changed_properties\" type=\"a{sv}\"/>\n"
	"      <arg name=\"invalidated_properties\" type=\"as\"/>\n"
	"    </signal>\n"
	"  </interface>\n";

static const char xml_object_manager[] =
	"  <interface name=\"" IFACE_OBJECT_MANAGER "\">\n"
	"    <method name=\"GetManagedObjects\">\n"
	"      <arg name=\"objects\" type=\"a{oa{sa{sv}}}\" direction=\"out\"/>\n"
	"    </method>\n"
	"    <signal name=\"InterfacesAdded\">\n"
	"      <arg name=\"object\" type=\"o\"/>\n"
	"      <arg name=\"interfaces\" type=\"a{sa{sv}}\"/>\n"
	"    </signal>\n"
	"    <signal name=\"InterfacesRemoved\">\n"
	"      <arg name=\"object\" type=\"o\"/>\n"
	"      <arg name=\"interfaces\" type=\"as\"/>\n"
	"    </signal>\n"
	"  </interface>\n";

void rk_dbus_introspect_standard(FILE *f, bool object, bool object_manager)
{
	fputs(xml_standard, f);
	if (object)
		fputs(xml_properties, f);
	if (object_manager)
		fputs(xml_object_manager, f);
}
