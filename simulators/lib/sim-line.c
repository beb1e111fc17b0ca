// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * rekam - device simulators
 *
 * sim-line.c - line framing shared by the control socket and line-based
 * device protocols: bounded line reads from an evbuffer (an over-long line
 * is reported once and the rest of it skipped), splitting a command line,
 * and strict number parsing.
 */
#include <config.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "simulators/lib/sim.h"

int sim_line_read(struct sim_line_reader *r, struct evbuffer *in, char **line)
{
	struct evbuffer_ptr eol;
	size_t len;
	char *buf;

	for (;;) {
		eol = evbuffer_search_eol(in, NULL, NULL, EVBUFFER_EOL_LF);
		if (eol.pos < 0) {
			len = evbuffer_get_length(in);
			if (r->discarding) {
				evbuffer_drain(in, len);
				return 0;
			}
			if (len > r->max) {
				evbuffer_drain(in, len);
				r->discarding = true;
				return -E2BIG;
			}
			return 0;
		}
		len = (size_t)eol.pos;
		if (r->discarding) {
			/* the tail of a line already reported as too long */
			evbuffer_drain(in, len + 1);
			r->discarding = false;
			continue;
		}
		if (len > r->max) {
			evbuffer_drain(in, len + 1);
			return -E2BIG;
		}
		buf = malloc(len + 1);
		if (!buf)
			return -ENOMEM;
		evbuffer_remove(in, buf, len);
		evbuffer_drain(in, 1);
		buf[len] = '\0';
		if (len > 0 && buf[len - 1] == '\r')
			buf[len - 1] = '\0';
		*line = buf;
		return 1;
	}
}

static bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

int sim_line_split(char *line, char **cmd, char **arg)
{
	char *end;

	while (is_blank(*line))
		line++;
	end = line + strlen(line);
	while (end > line && is_blank(end[-1]))
		*--end = '\0';
	if (!*line)
		return -ENODATA;
	*cmd = line;
	while (*line && !is_blank(*line))
		line++;
	if (!*line) {
		*arg = NULL;
		return 0;
	}
	*line++ = '\0';
	while (is_blank(*line))
		line++;
	*arg = *line ? line : NULL;
	return 0;
}

int sim_parse_uint(const char *text, uint64_t min, uint64_t max, uint64_t *value)
{
	unsigned long long v;
	char *end;

	if (!text || *text < '0' || *text > '9')
		return -EINVAL;
	errno = 0;
	v = strtoull(text, &end, 10);
	if (*end)
		return -EINVAL;
	if (errno == ERANGE || v < min || v > max)
		return -ERANGE;
	*value = v;
	return 0;
}
