/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * rekam - KTP-el recording station daemon
 *
 * log.h - logging to stderr with syslog priority prefixes ("<3>...") so that
 * journald keeps the level of every line rekamd writes.
 */
#pragma once

#include <stdarg.h>
#include <stdbool.h>
#include <syslog.h>

/* Lines above this level (LOG_DEBUG > LOG_INFO) are dropped. */
void rk_log_set_level(int level);
int rk_log_get_level(void);

/*
 * Prefixes: "<N>" when stderr goes to the journal or a file, a readable
 * "rekamd: warning: " when stderr is a terminal. Decided once, at first use;
 * call rk_log_set_ident() early to name the program.
 */
void rk_log_set_ident(const char *ident);

void rk_log(int priority, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void rk_logv(int priority, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));

#define rk_error(...) rk_log(LOG_ERR, __VA_ARGS__)
#define rk_warn(...) rk_log(LOG_WARNING, __VA_ARGS__)
#define rk_notice(...) rk_log(LOG_NOTICE, __VA_ARGS__)
#define rk_info(...) rk_log(LOG_INFO, __VA_ARGS__)
#define rk_debug(...) rk_log(LOG_DEBUG, __VA_ARGS__)
