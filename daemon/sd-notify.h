/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * rekam - KTP-el recording station daemon
 *
 * sd-notify.h - the systemd notification protocol (READY=1, STOPPING=1,
 * WATCHDOG=1, STATUS=...) over $NOTIFY_SOCKET, without libsystemd.
 */
#pragma once

#include <stdint.h>

/*
 * Send @state ("READY=1\nSTATUS=...") to $NOTIFY_SOCKET. 0 when sent, 0 when
 * not run by a service manager (no $NOTIFY_SOCKET), or a negative errno.
 */
int rk_sd_notify(const char *state);
int rk_sd_notifyf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * The watchdog interval systemd expects pings within ($WATCHDOG_USEC, when
 * $WATCHDOG_PID is unset or names this process), in microseconds; 0 when the
 * watchdog is off or the variables are malformed.
 */
uint64_t rk_sd_watchdog_usec(void);
