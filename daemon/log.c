// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * rekam - KTP-el recording station daemon
 *
 * log.c - priority-prefixed logging to stderr (see log.h).
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon/log.h"

static int max_level = LOG_INFO;
static const char *ident = "rekamd";
static int use_prefix = -1; /* -1: not decided yet */

void rk_log_set_level(int level)
{
	max_level = level;
}

int rk_log_get_level(void)
{
	return max_level;
}

void rk_log_set_ident(const char *name)
{
	ident = name;
}

static const char *level_word(int priority)
{
	switch (priority) {
	case LOG_EMERG:
	case LOG_ALERT:
	case LOG_CRIT:
		return "critical: ";
	case LOG_ERR:
		return "error: ";
	case LOG_WARNING:
		return "warning: ";
	case LOG_DEBUG:
		return "debug: ";
	default:
		return "";
	}
}

void rk_logv(int priority, const char *fmt, va_list ap)
{
	char line[2048];
	int n;

	priority &= LOG_PRIMASK;
	if (priority > max_level)
		return;

	if (use_prefix < 0)
		use_prefix = getenv("JOURNAL_STREAM") != NULL || !isatty(STDERR_FILENO);

	if (use_prefix)
		n = snprintf(line, sizeof(line), "<%d>", priority);
	else
		n = snprintf(line, sizeof(line), "%s: %s", ident, level_word(priority));
	if (n < 0 || (size_t)n >= sizeof(line))
		n = 0;

	vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);

	/* One write per line, so that lines from concurrent writers never mix. */
	n = (int)strlen(line);
	if ((size_t)n >= sizeof(line) - 1)
		n = (int)sizeof(line) - 2;
	line[n++] = '\n';
	if (write(STDERR_FILENO, line, (size_t)n) < 0) {
		/* Nowhere left to report a failing stderr. */
	}
}

void rk_log(int priority, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	rk_logv(priority, fmt, ap);
	va_end(ap);
}
