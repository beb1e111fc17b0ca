/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * rekam - KTP-el recording station daemon
 *
 * enroll.h - what the enroll subcommands of rekamctl share: steps 1 to 4,
 * list and show in cmd-enroll.c, steps 5 to 10 in cmd-pipeline.c.
 */
#pragma once

#include <stdbool.h>

#include <dbus/dbus.h>

#include "client/commands.h"

#define ENROLLMENT_INTERFACE REKAM_MANAGER_INTERFACE ".Enrollment"
#define ENROLLMENTS_PATH REKAM_OBJECT_PATH "/enrollments/"

/* The checks every subcommand starts with: @argc is @want (argv[0] is the
 * subcommand, argv[1] the enrollment), only @allowed options (NULL-terminated
 * or NULL), and the enrollment's object path (malloc'd) into *@path. */
int ctl_enroll_prelude(struct ctl *ctl, int argc, char **argv, int want, const char *usage,
		const char *const *allowed, char **path);
/* The object path (malloc'd) of an enrollment named by its number or path;
 * -EINVAL (said) when @arg is neither. */
int ctl_enroll_path(const char *arg, char **path);
/* The value of --@name (the last one given), or NULL. */
const char *ctl_enroll_option(struct ctl *ctl, const char *name);
/* A call of @method on the enrollment at @path. */
DBusMessage *ctl_enroll_new_step(const char *path, const char *method);
/* Call @msg (taken; NULL: out of memory), then print the enrollment's state. */
int ctl_enroll_call_step(struct ctl *ctl, DBusMessage *msg, const char *path);
/* The enrollment's state in a line, or every property with --json. */
int ctl_enroll_report(struct ctl *ctl, const char *path);
/* A {sv} entry of a basic @type into the open a{sv} @dict. */
bool ctl_enroll_append_entry(DBusMessageIter *dict, const char *key, int type,
		const void *value);

/* cmd-pipeline.c: the subcommand @argv[0] of steps 5 to 10; -ENOENT when it
 * is not one of them. */
int ctl_enroll_pipeline(struct ctl *ctl, int argc, char **argv);
