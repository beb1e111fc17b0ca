/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * rekam - device plugins
 *
 * sbi-http.h - HTTP requests of the SBI plugin through libcurl's multi
 * interface, driven by the host's event loop (watch_add for curl's sockets,
 * timer_add for its timeouts): nothing blocks. Each request ends with one
 * callback on the loop, unless it is aborted first.
 */
#pragma once

#include <stddef.h>

#include "rekam/plugin.h"

struct sbi_http;
struct sbi_call;

/* @err 0 (then @status is the HTTP status and @body the reply, NUL-terminated)
 * or -errno with @message saying what went wrong on the way (then @body is ""
 * and @len 0: nothing of a partial reply is handed on). -E2BIG: the reply
 * was larger than SBI_REPLY_MAX bytes. */
typedef void (*sbi_http_fn)(void *data, int err, long status, const char *body, size_t len,
		const char *message);

struct sbi_http *sbi_http_new(const struct rk_host *host, struct rk_device *dev);
/* Abort every request (no callbacks) and free everything. */
void sbi_http_free(struct sbi_http *http);

/* @method on http://127.0.0.1:@port@path with @body (JSON, may be NULL) and a
 * total timeout; NULL when the request could not be started. */
struct sbi_call *sbi_http_call(struct sbi_http *http, const char *method, unsigned int port,
		const char *path, const char *body, long timeout_ms, sbi_http_fn fn, void *data);
/* Stop a request: its connection is closed, its callback never runs. */
void sbi_http_abort(struct sbi_http *http, struct sbi_call *call);
