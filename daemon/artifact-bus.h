/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * rekam - KTP-el recording station daemon
 *
 * artifact-bus.h - artifacts on D-Bus: their metadata as an a{sv} (in the
 * replies of Capture and Job) and the manager's ReadArtifact method, which
 * hands a client the bytes of one artifact.
 */
#pragma once

#include <stdbool.h>

#include <dbus/dbus.h>

struct rk_artifact_meta;

/* Largest artifact ReadArtifact sends (a D-Bus message must hold it). */
#define RK_ARTIFACT_BUS_MAX_SIZE ((size_t)64 << 20)

/* Append @meta as one a{sv} to @array (an "aa{sv}" being written). */
bool rk_artifact_append_meta(DBusMessageIter *array, const struct rk_artifact_meta *meta);

/* id.rekam.Station1.ReadArtifact(s handle) -> (a{sv} metadata, ay data);
 * @data is the struct rk_daemon. Answers later, from a worker's result. */
DBusMessage *rk_artifact_bus_read(DBusConnection *conn, DBusMessage *msg, void *data);
