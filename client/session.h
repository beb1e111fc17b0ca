/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * rekam - KTP-el recording station daemon
 *
 * session.h - a device session of rekamctl (session.c): the claim around
 * one operation, its progress, and its options.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "client/commands.h"

struct session {
	struct ctl *ctl;
	const char *arg; /* the device as the user named it */
	char *path;
	char *match; /* the match rule of its Progress signals, once added */
};

/* Finds the device, subscribes to its Progress signals and claims it. On
 * failure s->path and s->match have been freed (NULL): nothing to close. */
int session_open(struct session *s);
/* Releases the claim; @err, the result so far, wins over a failing Release. */
int session_close(struct session *s, int err);
/* An error of rekamd turned into the result of the command: Busy is -EBUSY. */
int session_busy_or(struct session *s, int err);
/* The call of a running operation, printing its progress; waits up to
 * @timeout_s; the reply must have @signature. */
int session_run(struct session *s, DBusMessage *msg, const char *method, const char *signature,
		double timeout_s, DBusMessage **reply);
/* The --option arguments (and "timeout" = @timeout_ms when > 0 and not
 * given) as entries of @dict, an open a{sv}. */
bool session_append_options(struct session *s, DBusMessageIter *dict, int64_t timeout_ms);

/* The operation's timeout: "--option timeout=MS", else --timeout; 0 when neither. */
int64_t ctl_option_timeout_ms(const struct ctl *ctl);
/* Checks the --option keys (none twice) before anything is claimed. */
int ctl_check_options(const struct ctl *ctl);

/* @text on @f with control characters (and DEL) shown as spaces. */
void ctl_put_clean(FILE *f, const char *text);
