// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * rekam - KTP-el recording station daemon
 *
 * html.c - the file and text escaping of rekamctl's HTML pages, shared by
 * "diag -o" (cmd-diag.c) and "report -o" (cmd-report.c).
 */
#include <config.h>

#include <errno.h>
#include <string.h>

#include "client/bus.h"
#include "client/html.h"

FILE *ctl_html_open(const char *path)
{
	FILE *f = fopen(path, "w");

	if (!f)
		ctl_err("cannot write %s: %s", path, strerror(errno));
	return f;
}

int ctl_html_close(FILE *f, const char *path)
{
	if (fclose(f) != 0) {
		ctl_err("cannot write %s: %s", path, strerror(errno));
		return -EIO;
	}
	fprintf(stderr, "report written to %s\n", path);
	return 0;
}

void ctl_html_text(FILE *f, const char *s)
{
	for (; s && *s; s++) {
		switch (*s) {
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '&': fputs("&amp;", f); break;
		case '"': fputs("&quot;", f); break;
		default:
			fputc((unsigned char)*s < 0x20 ? ' ' : *s, f);
		}
	}
}
