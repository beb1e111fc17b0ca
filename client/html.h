/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * rekam - KTP-el recording station daemon
 *
 * html.h - what the HTML pages rekamctl writes (diag -o, report -o) share:
 * opening and finishing the file with one sentence for a failure, and text
 * escaped for HTML.
 */
#pragma once

#include <stdio.h>

/* @path opened for writing; NULL, said on stderr, when it cannot be. */
FILE *ctl_html_open(const char *path);

/* Closes @f (written to @path) and says where the report went: 0, or -EIO
 * (said on stderr) when the file could not be written. */
int ctl_html_close(FILE *f, const char *path);

/* @s (NULL: nothing) with <, >, & and " escaped and control characters as spaces. */
void ctl_html_text(FILE *f, const char *s);
