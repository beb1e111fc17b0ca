// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * rekam - KTP-el recording station daemon
 *
 * metrics.c - Prometheus metrics for offices that run many stations: with
 * [metrics] listen = 127.0.0.1:PORT in rekamd.conf, rekamd answers GET
 * /metrics on that loopback address (libevent's evhttp, on the event loop)
 * with the text exposition format 0.0.4: the station and its state, the
 * devices by class and state, the artifacts kept, the audit trail, the
 * upload queue, the enrollments by state, the SOP steps' durations
 * (histograms) and the card inventory. Every value is read when the scrape
 * comes; nothing is kept between scrapes. docs/metrics.md lists them.
 */
#include <config.h>

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <sqlite3.h>

#include "daemon/central.h"
#include "daemon/config.h"
#include "daemon/daemon.h"
#include "daemon/device-private.h"
#include "daemon/device.h"
#include "daemon/enrollment.h"
#include "daemon/log.h"
#include "daemon/metrics.h"
#include "daemon/plugins.h"
#include "daemon/store.h"

struct rk_metrics {
	struct rk_daemon *d;
	struct evhttp *http;
	char *listen;
};

static const char *const class_names[RK_DEVICE_N_CLASSES] = {
	"camera", "iris", "fingerprint", "sigpad", "scanner", "printer", "cardreader",
};
static const char *const state_names[] = { "absent", "idle", "busy", "error" };

static void help(struct evbuffer *out, const char *name, const char *type, const char *text)
{
	evbuffer_add_printf(out, "# HELP %s %s\n# TYPE %s %s\n", name, text, name, type);
}

/* A label value with \, " and newline escaped as the format asks. */
static void label(struct evbuffer *out, const char *value)
{
	for (; value && *value; value++) {
		if (*value == '\\' || *value == '"')
			evbuffer_add_printf(out, "\\%c", *value);
		else if (*value == '\n')
			evbuffer_add(out, "\\n", 2);
		else
			evbuffer_add(out, value, 1);
	}
}

static int64_t query_int(struct rk_store *store, const char *sql)
{
	sqlite3_stmt *stmt = rk_store_prepare(store, sql);
	int64_t v = -1;

	if (stmt && sqlite3_step(stmt) == SQLITE_ROW)
		v = sqlite3_column_int64(stmt, 0);
	if (stmt)
		sqlite3_reset(stmt);
	return v;
}

static void station(struct evbuffer *out, struct rk_daemon *d)
{
	static const char *const states[] = { "starting", "ready", "degraded", "stopping" };
	const char *now = rk_station_state_name(d->state);
	struct timespec real;

	help(out, "rekam_info", "gauge", "The station and the rekamd version serving it.");
	evbuffer_add_printf(out, "rekam_info{version=\"" PACKAGE_VERSION "\",station=\"");
	label(out, d->config->station_id);
	evbuffer_add_printf(out, "\"} 1\n");
	help(out, "rekam_state", "gauge", "1 for the station's current state, 0 for the others.");
	for (size_t i = 0; i < sizeof(states) / sizeof(states[0]); i++)
		evbuffer_add_printf(out, "rekam_state{state=\"%s\"} %d\n", states[i],
			!strcmp(now, states[i]));
	clock_gettime(CLOCK_REALTIME, &real);
	help(out, "rekam_start_time_seconds", "gauge", "When rekamd started (Unix time).");
	evbuffer_add_printf(out, "rekam_start_time_seconds %" PRIu64 "\n",
		(uint64_t)real.tv_sec - rk_daemon_uptime(d));
	help(out, "rekam_starts_total", "counter", "How often rekamd has started on this database.");
	evbuffer_add_printf(out, "rekam_starts_total %" PRId64 "\n", d->starts);
	help(out, "rekam_plugins_loaded", "gauge", "Device plugins loaded.");
	evbuffer_add_printf(out, "rekam_plugins_loaded %zu\n",
		d->plugins ? rk_plugins_count(d->plugins) : (size_t)0);
}

static void devices(struct evbuffer *out, struct rk_daemon *d)
{
	size_t n = d->devices ? rk_devices_count(d->devices) : 0;
	unsigned int counts[RK_DEVICE_N_CLASSES][4] = { { 0 } };

	help(out, "rekam_devices", "gauge", "Devices by class and state.");
	for (size_t i = 0; i < n; i++) {
		struct rk_device *dev = rk_devices_get(d->devices, i);

		if (dev && (unsigned int)dev->plugin->device_class < RK_DEVICE_N_CLASSES &&
				(unsigned int)dev->state < 4)
			counts[dev->plugin->device_class][dev->state]++;
	}
	for (int c = 0; c < RK_DEVICE_N_CLASSES; c++)
		for (int s = 0; s < 4; s++)
			evbuffer_add_printf(out, "rekam_devices{class=\"%s\",state=\"%s\"} %u\n",
				class_names[c], state_names[s], counts[c][s]);
	help(out, "rekam_device_up", "gauge",
		"1 when the device is connected and usable (idle or busy), else 0.");
	for (size_t i = 0; i < n; i++) {
		struct rk_device *dev = rk_devices_get(d->devices, i);
		const char *name = strrchr(dev->path, '/') + 1;

		evbuffer_add_printf(out, "rekam_device_up{device=\"");
		label(out, name);
		evbuffer_add_printf(out, "\",class=\"%s\",plugin=\"",
			class_names[dev->plugin->device_class]);
		label(out, dev->plugin->name);
		evbuffer_add_printf(out, "\"} %d\n",
			dev->state == RK_DEVICE_IDLE || dev->state == RK_DEVICE_BUSY);
	}
}

static void store(struct evbuffer *out, struct rk_daemon *d)
{
	help(out, "rekam_artifacts", "gauge", "Artifacts kept (sealed) in the state directory.");
	evbuffer_add_printf(out, "rekam_artifacts %" PRId64 "\n",
		query_int(d->store, "SELECT count(*) FROM artifacts"));
	help(out, "rekam_artifact_bytes", "gauge", "Bytes of the artifacts kept (before sealing).");
	evbuffer_add_printf(out, "rekam_artifact_bytes %" PRId64 "\n",
		query_int(d->store, "SELECT coalesce(sum(size), 0) FROM artifacts"));
	help(out, "rekam_audit_entries", "gauge", "Entries of the audit trail.");
	evbuffer_add_printf(out, "rekam_audit_entries %" PRId64 "\n",
		query_int(d->store, "SELECT coalesce(max(seq), 0) FROM audit"));
	help(out, "rekam_database_schema_version", "gauge", "Schema version of the station database.");
	evbuffer_add_printf(out, "rekam_database_schema_version %d\n",
		rk_store_schema_version(d->store));
}

static void uploads(struct evbuffer *out, struct rk_daemon *d)
{
	const struct rk_central *c = d->central;
	bool on = c && c->uploader;
	int64_t oldest = on ? rk_central_oldest(c) : 0;

	help(out, "rekam_upload_configured", "gauge", "1 when a central server is configured.");
	evbuffer_add_printf(out, "rekam_upload_configured %d\n", on);
	help(out, "rekam_upload_queue_length", "gauge", "Packets waiting to reach a final state.");
	evbuffer_add_printf(out, "rekam_upload_queue_length %u\n",
		on ? rk_central_queue_length(c) : 0);
	help(out, "rekam_upload_oldest_age_seconds", "gauge",
		"How long the oldest waiting packet has waited; 0 when none waits.");
	evbuffer_add_printf(out, "rekam_upload_oldest_age_seconds %" PRId64 "\n",
		oldest ? (int64_t)time(NULL) - oldest : 0);
	help(out, "rekam_central_reachable", "gauge",
		"1 when the last exchange with the central server worked.");
	evbuffer_add_printf(out, "rekam_central_reachable %d\n", on && rk_central_reachable(c));
}

/* Bucket bounds of the step histograms, in seconds: every SOP standard
 * (0.5, 1, 5, 10, 15 minutes) is one, so the share within a standard is
 * the bucket at it over the count. */
static const unsigned int step_buckets[] = { 10, 30, 60, 120, 300, 600, 900, 1800, 3600 };
#define N_STEP_BUCKETS (sizeof(step_buckets) / sizeof(step_buckets[0]))

struct step_histogram {
	uint64_t buckets[N_STEP_BUCKETS]; /* observations <= the bound */
	uint64_t count;
	int64_t sum_ms;
};

static void observe(struct step_histogram *h, int64_t ms)
{
	for (size_t b = 0; b < N_STEP_BUCKETS; b++)
		if (ms <= (int64_t)step_buckets[b] * 1000)
			h->buckets[b]++;
	h->count++;
	h->sum_ms += ms;
}

/* Each enrollment's finished steps: a step's duration is the sum of its
 * records (step 6 has two); a step 6 still waiting for the server's word
 * (its last record "uploaded") is not finished and not observed yet. */
static void observe_enrollment(struct step_histogram *h, const struct rk_enrollment *e)
{
	int64_t ms[RK_SOP_STEPS + 1] = { 0 };
	bool seen[RK_SOP_STEPS + 1] = { false };
	enum rk_enrollment_state last[RK_SOP_STEPS + 1] = { 0 };

	for (size_t i = 0; i < e->n_steps; i++) {
		unsigned int step = e->steps[i].step;

		if (step < 1 || step > RK_SOP_STEPS)
			continue;
		ms[step] += e->steps[i].duration_ms;
		seen[step] = true;
		last[step] = e->steps[i].state;
	}
	for (unsigned int step = 1; step <= RK_SOP_STEPS; step++)
		if (seen[step] && last[step] != RK_ENR_UPLOADED)
			observe(&h[step - 1], ms[step]);
}

static void enrollments(struct evbuffer *out, struct rk_daemon *d)
{
	size_t n = d->enrollments ? rk_enrollments_count(d->enrollments) : 0;
	struct step_histogram h[RK_SOP_STEPS] = { 0 };
	unsigned int by_state[RK_ENR_N_STATES] = { 0 };

	for (size_t i = 0; i < n; i++) {
		const struct rk_enrollment *e = rk_enrollments_at(d->enrollments, i);

		if ((unsigned int)e->state < RK_ENR_N_STATES)
			by_state[e->state]++;
		observe_enrollment(h, e);
	}
	help(out, "rekam_enrollments", "gauge", "Enrollments by state (every state, zeros included).");
	for (int s = 0; s < RK_ENR_N_STATES; s++)
		evbuffer_add_printf(out, "rekam_enrollments{state=\"%s\"} %u\n",
			rk_enrollment_state_name(s), by_state[s]);
	help(out, "rekam_step_duration_seconds", "histogram",
		"Durations of the finished SOP steps of every enrollment kept, by step.");
	for (unsigned int step = 1; step <= RK_SOP_STEPS; step++) {
		const struct step_histogram *s = &h[step - 1];

		for (size_t b = 0; b < N_STEP_BUCKETS; b++)
			evbuffer_add_printf(out, "rekam_step_duration_seconds_bucket{step=\"%u\","
				"le=\"%u\"} %" PRIu64 "\n", step, step_buckets[b], s->buckets[b]);
		evbuffer_add_printf(out, "rekam_step_duration_seconds_bucket{step=\"%u\","
			"le=\"+Inf\"} %" PRIu64 "\n", step, s->count);
		evbuffer_add_printf(out, "rekam_step_duration_seconds_sum{step=\"%u\"} %" PRId64
			".%03d\n", step, s->sum_ms / 1000, (int)(s->sum_ms % 1000));
		evbuffer_add_printf(out, "rekam_step_duration_seconds_count{step=\"%u\"} %" PRIu64
			"\n", step, s->count);
	}
	help(out, "rekam_step_standard_seconds", "gauge", "The SOP's time standard of each step.");
	for (unsigned int step = 1; step <= RK_SOP_STEPS; step++) {
		int64_t ms = rk_sop_standard_ms(step);

		evbuffer_add_printf(out, "rekam_step_standard_seconds{step=\"%u\"} %" PRId64
			".%03d\n", step, ms / 1000, (int)(ms % 1000));
	}
}

static void cards(struct evbuffer *out, struct rk_daemon *d)
{
	static const char *const states[] = { "blank", "issued", "spoiled" };
	static const char *const sql[] = {
		"SELECT count(*) FROM cards WHERE state = 'blank'",
		"SELECT count(*) FROM cards WHERE state = 'issued'",
		"SELECT count(*) FROM cards WHERE state = 'spoiled'",
	};
	int64_t n[3];

	for (int i = 0; i < 3; i++)
		n[i] = query_int(d->store, sql[i]);
	help(out, "rekam_cards", "gauge", "Cards of the inventory by state.");
	for (int i = 0; i < 3; i++)
		evbuffer_add_printf(out, "rekam_cards{state=\"%s\"} %" PRId64 "\n", states[i], n[i]);
	help(out, "rekam_cards_spoiled_total", "counter",
		"Cards spoiled since the inventory began (a spoiled card stays spoiled).");
	evbuffer_add_printf(out, "rekam_cards_spoiled_total %" PRId64 "\n", n[2]);
}

static void handle(struct evhttp_request *req, void *data)
{
	struct rk_metrics *m = data;
	struct evbuffer *out;
	const char *uri = evhttp_request_get_uri(req);

	if (!uri || (strcmp(uri, "/metrics") != 0 && strncmp(uri, "/metrics?", 9) != 0)) {
		evhttp_send_error(req, HTTP_NOTFOUND, "Only /metrics is served here");
		return;
	}
	if (evhttp_request_get_command(req) != EVHTTP_REQ_GET &&
			evhttp_request_get_command(req) != EVHTTP_REQ_HEAD) {
		evhttp_add_header(evhttp_request_get_output_headers(req), "Allow", "GET, HEAD");
		evhttp_send_error(req, 405, "Only GET");
		return;
	}
	out = evbuffer_new();
	if (!out) {
		evhttp_send_error(req, HTTP_INTERNAL, NULL);
		return;
	}
	station(out, m->d);
	devices(out, m->d);
	store(out, m->d);
	uploads(out, m->d);
	enrollments(out, m->d);
	cards(out, m->d);
	evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type",
		"text/plain; version=0.0.4; charset=utf-8");
	evhttp_send_reply(req, HTTP_OK, "OK", out);
	evbuffer_free(out);
}

int rk_metrics_start(struct rk_daemon *d)
{
	const char *listen = d->config->metrics_listen;
	struct rk_metrics *m;
	char host[64];
	const char *colon;
	unsigned long port;

	if (!listen)
		return 0;
	colon = strrchr(listen, ':');
	snprintf(host, sizeof(host), "%.*s", (int)(colon - listen), listen);
	if (host[0] == '[') { /* [::1] */
		memmove(host, host + 1, strlen(host));
		host[strcspn(host, "]")] = '\0';
	}
	port = strtoul(colon + 1, NULL, 10);
	m = calloc(1, sizeof(*m));
	if (!m || !(m->listen = strdup(listen)) || !(m->http = evhttp_new(d->base))) {
		rk_metrics_stop(m);
		return -ENOMEM;
	}
	m->d = d;
	evhttp_set_allowed_methods(m->http, EVHTTP_REQ_GET | EVHTTP_REQ_HEAD | EVHTTP_REQ_POST |
		EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE);
	evhttp_set_max_headers_size(m->http, 8192);
	evhttp_set_max_body_size(m->http, 0);
	evhttp_set_timeout(m->http, 10);
	evhttp_set_gencb(m->http, handle, m);
	if (evhttp_bind_socket(m->http, host, (ev_uint16_t)port) < 0) {
		rk_error("metrics: cannot listen on %s (in use, or not an address of this machine); "
			 "metrics are not served", listen);
		rk_metrics_stop(m);
		return -EADDRINUSE;
	}
	rk_info("metrics: serving http://%s/metrics", listen);
	d->metrics = m;
	return 0;
}

void rk_metrics_stop(struct rk_metrics *m)
{
	if (!m)
		return;
	if (m->d && m->d->metrics == m)
		m->d->metrics = NULL;
	if (m->http)
		evhttp_free(m->http);
	free(m->listen);
	free(m);
}

void rk_metrics_reload(struct rk_daemon *d)
{
	const char *want = d->config->metrics_listen;
	const char *have = d->metrics ? d->metrics->listen : NULL;

	if ((!want && !have) || (want && have && !strcmp(want, have)))
		return;
	rk_metrics_stop(d->metrics);
	rk_metrics_start(d);
}
