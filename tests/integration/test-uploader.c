// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * rekam - integration tests
 *
 * test-uploader.c - rekamd's packet builder and uploader (linked from
 * librekamd) against the real rekam-sim-central over real TLS on
 * loopback, on a real libevent loop: submit -> print_ready; the same
 * fingerprints -> duplicate; tampered packets (changed bytes, a GCM tag
 * that does not verify, encrypted for another key) -> rejected; a client
 * certificate from another CA -> refused, the packet stays queued (and so
 * with a server certificate from another CA, or a server that stalls); 503
 * with Retry-After -> the retry waits at least that long; a connection
 * dropped mid-upload -> retried and accepted once; a process killed with
 * SIGKILL mid-upload -> a new one delivers the packet exactly once; an
 * issuance report queued before a restart goes out at start and is
 * accepted, a second, different one for the same packet is refused. The
 * simulator's own counters say how many submissions it took in.
 */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>

#include "daemon/log.h"
#include "daemon/packet.h"
#include "daemon/store.h"
#include "daemon/uploader-private.h"
#include "daemon/uploader.h"
#include "simcentral.h"
#include "tap.h"

#define DEADLINE_S 120 /* only a guard against hanging: no test asserts time */

static char tmp[] = "/tmp/rekam-test-uploader-XXXXXX";
static const char *pki, *url;
static EVP_PKEY *station_key, *central_key;

static struct simcentral sim;

#define sim_ctl(line) simcentral_ctl(&sim, line)
#define sim_counter(name) simcentral_counter(&sim, name)

/* --- packets ------------------------------------------------------------------------------- */

static void random_file(const char *path, size_t len)
{
	unsigned char *buf = malloc(len);
	FILE *f = fopen(path, "wb");

	if (!buf || !f || RAND_bytes(buf, (int)len) != 1 || fwrite(buf, 1, len, f) != len)
		tap_bail("cannot write %s", path);
	fclose(f);
	free(buf);
}

/* A packet for @nik with the fingerprint file @finger and a @portrait_len
 * byte portrait; its id in @id. */
static int build(const char *outbox, const char *nik, const char *finger, size_t portrait_len,
		EVP_PKEY *recipient, char id[RK_PACKET_ID_LEN + 1])
{
	static const struct rk_packet_field applicant[] = {
		{ "name", "SITI AMINAH" }, { "birth_place", "BANJARMASIN" },
		{ "birth_date", "1990-04-17" }, { "sex", "F" }, { "religion", "ISLAM" },
	};
	struct rk_packet_time sop[] = { { "submitted", (int64_t)time(NULL) - 600 },
		{ "recorded", (int64_t)time(NULL) - 60 } };
	char portrait[700], own[700], *error = NULL;
	struct rk_packet_artifact arts[] = {
		{ "portrait", "portrait", "image/jpeg", portrait, NULL, NULL },
		{ "finger-r1", "fingerprint", "iso19794-2", finger, NULL, NULL },
	};
	struct rk_packet_input in = { .station_id = "6305-TEST-01", .nik = nik,
		.applicant = applicant, .n_applicant = 5, .sop = sop, .n_sop = 2,
		.artifacts = arts, .n_artifacts = 2 };
	struct rk_packet_keys keys = { station_key, recipient ? recipient : central_key };
	int r;

	snprintf(portrait, sizeof(portrait), "%s/portrait-%s", tmp, nik);
	random_file(portrait, portrait_len);
	if (!finger) {
		/* fingerprints of nobody else */
		snprintf(own, sizeof(own), "%s/finger-%s", tmp, nik);
		random_file(own, 612);
		arts[1].path = own;
	}
	r = rk_packet_build(&in, &keys, outbox, id, &error);
	if (r < 0)
		tap_diag("build: %s", error ? error : "?");
	free(error);
	return r;
}

/* --- a station: store, outbox and uploader on a loop ----------------------------------------- */

struct station {
	struct event_base *base;
	struct rk_store *store;
	struct rk_uploader *u;
	char outbox[700];
	/* what the listener saw */
	unsigned int events, queue_events;
	struct timespec sending_at[8]; /* start of each submit of the watched packet */
	unsigned int n_sending;
	struct timespec failed_at;     /* first failure of the watched packet */
	char watch[RK_PACKET_ID_LEN + 1];
	unsigned int last_failures;
	int notify_fd;                 /* write a byte here once bytes are sent */
};

static void on_upload(struct rk_uploader *u, const struct rk_upload_info *info, void *data)
{
	struct station *s = data;

	if (!info) {
		s->queue_events++;
		return;
	}
	s->events++;
	if (strcmp(info->packet_id, s->watch) != 0)
		return;
	if (info->state == RK_UPLOAD_SENDING && info->bytes_sent == 0 && s->n_sending < 8)
		clock_gettime(CLOCK_MONOTONIC, &s->sending_at[s->n_sending++]);
	if (info->failures == 1 && s->last_failures == 0)
		clock_gettime(CLOCK_MONOTONIC, &s->failed_at);
	s->last_failures = info->failures;
	if (s->notify_fd >= 0 && info->state == RK_UPLOAD_SENDING && info->bytes_sent > 0) {
		if (write(s->notify_fd, "x", 1) < 0)
			_exit(3);
		s->notify_fd = -1;
	}
}

static unsigned int stall_timeout_s = 20;

static void station_open(struct station *s, const char *name, const char *cert, const char *key)
{
	struct rk_uploader_config c = { .url = url, .cert = cert, .key = key,
		.max_concurrent = 2, .backoff_initial_ms = 100, .backoff_max_ms = 1000,
		.stall_timeout_s = stall_timeout_s };
	char path[700], ca[700], *error = NULL;

	memset(s, 0, sizeof(*s));
	s->notify_fd = -1;
	snprintf(ca, sizeof(ca), "%s/ca.pem", pki);
	c.ca = ca;
	snprintf(path, sizeof(path), "%s/%s.db", tmp, name);
	snprintf(s->outbox, sizeof(s->outbox), "%s/%s-outbox", tmp, name);
	s->base = event_base_new();
	if (rk_store_open(path, &s->store, NULL, &error) < 0)
		tap_bail("store: %s", error);
	s->u = rk_uploader_new(s->base, s->store, s->outbox, &c, &error);
	if (!s->u)
		tap_bail("uploader: %s", error ? error : "?");
	rk_uploader_listen(s->u, on_upload, s);
}

static void station_close(struct station *s)
{
	rk_uploader_free(s->u);
	rk_store_close(s->store);
	event_base_free(s->base);
}

static bool run_until(struct station *s, bool (*done)(struct station *, const char *),
		const char *id)
{
	time_t end = time(NULL) + DEADLINE_S;

	while (!done(s, id)) {
		if (time(NULL) > end)
			return false;
		event_base_loop(s->base, EVLOOP_ONCE);
	}
	return true;
}

static bool is_final(struct station *s, const char *id)
{
	struct rk_upload_info info;

	return rk_uploader_get(s->u, id, &info) == 0 && rk_upload_state_final(info.state);
}

static bool failed_twice(struct station *s, const char *id)
{
	struct rk_upload_info info;

	return rk_uploader_get(s->u, id, &info) == 0 && info.failures >= 2 &&
		info.state == RK_UPLOAD_QUEUED;
}

static struct rk_upload_info final_info(struct station *s, const char *id)
{
	struct rk_upload_info info = { .state = RK_UPLOAD_QUEUED };

	snprintf(s->watch, sizeof(s->watch), "%s", id);
	if (rk_uploader_enqueue(s->u, id) < 0 || !run_until(s, is_final, id))
		tap_diag("packet %s did not reach a final state", id);
	rk_uploader_get(s->u, id, &info);
	return info;
}

static double ms_between(const struct timespec *a, const struct timespec *b)
{
	return (double)(b->tv_sec - a->tv_sec) * 1000 + (double)(b->tv_nsec - a->tv_nsec) / 1e6;
}

/* --- the tests ------------------------------------------------------------------------------- */

static char finger_a[700], finger_b[700];

static void test_print_ready_and_duplicate(struct station *s)
{
	char id1[RK_PACKET_ID_LEN + 1], id2[RK_PACKET_ID_LEN + 1], dir[800];
	struct rk_upload_info info;
	long before = sim_counter("submitted");

	tap_ok(build(s->outbox, "6371055704900001", finger_a, 50000, NULL, id1) == 0,
			"a packet is built from real files");
	info = final_info(s, id1);
	tap_ok(info.state == RK_UPLOAD_PRINT_READY, "submit -> print_ready (%s %s)",
			rk_upload_state_name(info.state), info.reason);
	tap_ok(sim_counter("submitted") == before + 1, "the server took in one submission");
	tap_ok(info.attempts == 1 && info.last_error[0] == '\0', "one attempt, no error");
	snprintf(dir, sizeof(dir), "%s/%s", s->outbox, id1);
	tap_ok(access(dir, F_OK) < 0, "the outbox copy is gone once print_ready");
	tap_ok(rk_uploader_queue_length(s->u) == 0 && rk_uploader_oldest(s->u) == 0,
			"the queue is empty");
	tap_ok(rk_uploader_reachable(s->u), "the central server counts as reachable");
	tap_ok(s->queue_events > 0, "listeners heard the queue change");

	tap_ok(build(s->outbox, "6371055704900002", finger_a, 4000, NULL, id2) == 0,
			"another applicant with the same fingerprints");
	info = final_info(s, id2);
	tap_ok(info.state == RK_UPLOAD_DUPLICATE && strcmp(info.duplicate_of, id1) == 0,
			"-> duplicate of the first packet (%s; %s)", rk_upload_state_name(info.state),
			info.reason);
	tap_ok(rk_uploader_enqueue(s->u, id2) == -ENOENT || is_final(s, id2),
			"queuing a finished packet again changes nothing");
}

/* Replace the manifest of @dir by @text, signed again by the station. */
static void resign(const char *dir, const char *text)
{
	char path[900];
	unsigned char sig[128];
	size_t siglen = sizeof(sig);
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	FILE *f;

	EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, station_key);
	EVP_DigestSign(md, sig, &siglen, (const unsigned char *)text, strlen(text));
	EVP_MD_CTX_free(md);
	snprintf(path, sizeof(path), "%s/%s", dir, RK_PACKET_MANIFEST);
	f = fopen(path, "w");
	fputs(text, f);
	fclose(f);
	snprintf(path, sizeof(path), "%s/%s", dir, RK_PACKET_SIGNATURE);
	f = fopen(path, "w");
	fwrite(sig, 1, siglen, f);
	fclose(f);
}

static void test_tampered(struct station *s)
{
	char id[RK_PACKET_ID_LEN + 1], path[900], dir[800], *text;
	struct rk_upload_info info;
	json_t *m, *a;
	FILE *f;

	build(s->outbox, "6371055704900003", finger_b, 3000, NULL, id);
	snprintf(path, sizeof(path), "%s/%s/%sportrait", s->outbox, id, RK_PACKET_PART_PREFIX);
	f = fopen(path, "r+");
	fseek(f, 100, SEEK_SET);
	fputc('!', f);
	fclose(f);
	info = final_info(s, id);
	tap_ok(info.state == RK_UPLOAD_REJECTED && strstr(info.reason, "sha256"),
			"a changed byte in an artifact -> rejected (%s)", info.reason);

	/* a tag that does not verify, in a manifest signed as it should be */
	build(s->outbox, "6371055704900004", NULL, 3000, NULL, id);
	snprintf(dir, sizeof(dir), "%s/%s", s->outbox, id);
	snprintf(path, sizeof(path), "%s/%s", dir, RK_PACKET_MANIFEST);
	m = json_load_file(path, 0, NULL);
	a = json_array_get(json_object_get(m, "artifacts"), 0);
	json_object_set_new(a, "tag", json_string("AAAAAAAAAAAAAAAAAAAAAA=="));
	text = json_dumps(m, JSON_COMPACT);
	resign(dir, text);
	free(text);
	json_decref(m);
	info = final_info(s, id);
	tap_ok(info.state == RK_UPLOAD_REJECTED && strstr(info.reason, "GCM"),
			"an artifact whose GCM tag does not verify -> rejected (%s)", info.reason);

	{
		EVP_PKEY *other = EVP_EC_gen("P-256");

		build(s->outbox, "6371055704900005", NULL, 3000, other, id);
		EVP_PKEY_free(other);
	}
	info = final_info(s, id);
	tap_ok(info.state == RK_UPLOAD_REJECTED && strstr(info.reason, "another key"),
			"a packet encrypted for another key -> rejected (%s)", info.reason);
}

static void test_wrong_client_cert(void)
{
	struct station s;
	char cert[700], key[700], rogue[512], id[RK_PACKET_ID_LEN + 1];
	struct rk_upload_info info;
	long before = sim_counter("submitted");

	snprintf(rogue, sizeof(rogue), "%s/rogue-pki", tmp);
	if (simcentral_make_pki(rogue) < 0)
		tap_bail("cannot make a second PKI");
	snprintf(cert, sizeof(cert), "%s/station1.pem", rogue);
	snprintf(key, sizeof(key), "%s/station1.key", rogue);
	station_open(&s, "rogue", cert, key);
	build(s.outbox, "6371055704900006", NULL, 3000, NULL, id);
	snprintf(s.watch, sizeof(s.watch), "%s", id);
	rk_uploader_enqueue(s.u, id);
	tap_ok(run_until(&s, failed_twice, id), "a client certificate from another CA: the "
			"uploads fail");
	rk_uploader_get(s.u, id, &info);
	tap_ok(info.state == RK_UPLOAD_QUEUED && info.last_error[0],
			"... the packet stays queued, saying why (%s)", info.last_error);
	tap_ok(!rk_uploader_reachable(s.u) && rk_uploader_queue_length(s.u) == 1 &&
			rk_uploader_oldest(s.u) > 0, "... the server counts as unreachable, the queue "
			"shows the packet");
	tap_ok(sim_counter("submitted") == before, "... and the server took in nothing");
	station_close(&s);
}

/* A server whose certificate does not chain to the pinned CA: nothing is
 * sent; once the right server is back the packet goes. */
static void test_wrong_server_cert(const char *cert, const char *key)
{
	struct station s;
	char id[RK_PACKET_ID_LEN + 1];
	struct rk_upload_info info;
	long before = sim_counter("submitted");

	tap_ok(strncmp(sim_ctl("wrong-cert"), "OK", 2) == 0, "the server shows a certificate "
			"from another CA");
	station_open(&s, "wrongserver", cert, key);
	build(s.outbox, "6371055704900010", NULL, 3000, NULL, id);
	snprintf(s.watch, sizeof(s.watch), "%s", id);
	rk_uploader_enqueue(s.u, id);
	tap_ok(run_until(&s, failed_twice, id), "... the uploads fail");
	rk_uploader_get(s.u, id, &info);
	tap_ok(info.state == RK_UPLOAD_QUEUED && strstr(info.last_error, "certificate") &&
			sim_counter("submitted") == before,
			"... the packet stays queued, nothing reached the server (%s)",
			info.last_error);
	station_close(&s);
	sim_ctl("reset");
	station_open(&s, "wrongserver", cert, key);
	info = final_info(&s, id);
	tap_ok(info.state == RK_UPLOAD_PRINT_READY && sim_counter("submitted") == before + 1,
			"with the right server back it goes, once");
	station_close(&s);
}

/* A server that reads the upload and never answers: the request times out
 * and is tried again; once the server answers, the packet goes once. */
static void test_stall(const char *cert, const char *key)
{
	struct station s;
	char id[RK_PACKET_ID_LEN + 1];
	struct rk_upload_info info;
	long before = sim_counter("submitted");

	tap_ok(strncmp(sim_ctl("stall"), "OK", 2) == 0, "the server stops answering");
	stall_timeout_s = 1;
	station_open(&s, "stall", cert, key);
	stall_timeout_s = 20;
	build(s.outbox, "6371055704900011", NULL, 3000, NULL, id);
	snprintf(s.watch, sizeof(s.watch), "%s", id);
	rk_uploader_enqueue(s.u, id);
	tap_ok(run_until(&s, failed_twice, id), "... the requests time out and are tried again");
	rk_uploader_get(s.u, id, &info);
	tap_ok(info.state == RK_UPLOAD_QUEUED && strstr(info.last_error, "imeout") &&
			!rk_uploader_reachable(s.u), "... the packet stays queued (%s)",
			info.last_error);
	sim_ctl("reset");
	info = final_info(&s, id);
	tap_ok(info.state == RK_UPLOAD_PRINT_READY && sim_counter("submitted") == before + 1,
			"once the server answers again it goes, once");
	station_close(&s);
}

static void test_retry_after(struct station *s)
{
	char id[RK_PACKET_ID_LEN + 1];
	struct rk_upload_info info;
	double waited;

	build(s->outbox, "6371055704900007", NULL, 3000, NULL, id);
	s->n_sending = 0;
	s->last_failures = 0;
	tap_ok(strncmp(sim_ctl("error 503 1 2"), "OK", 2) == 0, "the server answers the next "
			"request with 503 and Retry-After: 2");
	info = final_info(s, id);
	tap_ok(info.state == RK_UPLOAD_PRINT_READY, "the packet gets through in the end");
	tap_ok(s->n_sending == 2, "two submits were started (%u)", s->n_sending);
	waited = s->n_sending == 2 ? ms_between(&s->sending_at[0], &s->sending_at[1]) : 0;
	tap_ok(waited >= 2000, "the retry waited at least the 2 s of Retry-After (%.0f ms)", waited);
}

static void test_drop(const char *cert, const char *key)
{
	char id[RK_PACKET_ID_LEN + 1];
	struct rk_upload_info info;
	struct station st, *s = &st;
	long before;

	/* the fault applies to new connections: a new station makes one */
	tap_ok(strncmp(sim_ctl("drop"), "OK", 2) == 0, "the next upload is cut mid-way");
	station_open(s, "drop", cert, key);
	build(s->outbox, "6371055704900008", NULL, 200000, NULL, id);
	before = sim_counter("submitted");
	info = final_info(s, id);
	tap_ok(info.state == RK_UPLOAD_PRINT_READY && info.attempts >= 2,
			"the dropped upload is retried and print_ready (%u attempts)", info.attempts);
	tap_ok(sim_counter("submitted") == before + 1, "the server took it in once");
	station_close(s);
}

static void test_crash(void)
{
	struct station s;
	char id[RK_PACKET_ID_LEN + 1], outbox[700], cert[700], key[700], c;
	struct rk_upload_info info;
	long before = sim_counter("submitted");
	int fds[2], status, r;
	pid_t child;

	snprintf(cert, sizeof(cert), "%s/station1.pem", pki);
	snprintf(key, sizeof(key), "%s/station1.key", pki);
	snprintf(outbox, sizeof(outbox), "%s/crash-outbox", tmp);
	build(outbox, "6371055704900009", NULL, 400000, NULL, id);
	tap_ok(strncmp(sim_ctl("slow 40000"), "OK", 2) == 0, "a slow link: 40 kB/s");
	if (pipe(fds) < 0)
		tap_bail("pipe");
	fflush(stdout);
	child = fork();
	if (child == 0) {
		close(fds[0]);
		station_open(&s, "crash", cert, key);
		s.notify_fd = fds[1];
		snprintf(s.watch, sizeof(s.watch), "%s", id);
		rk_uploader_enqueue(s.u, id);
		run_until(&s, is_final, id);
		_exit(2); /* never reached: killed mid-upload */
	}
	close(fds[1]);
	tap_ok(read(fds[0], &c, 1) == 1, "a process is uploading the packet");
	kill(child, SIGKILL);
	waitpid(child, &status, 0);
	close(fds[0]);
	tap_ok(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL, "... and is killed with "
			"SIGKILL mid-upload");
	sim_ctl("reset");
	station_open(&s, "crash", cert, key);
	memset(&info, 0, sizeof(info));
	r = rk_uploader_get(s.u, id, &info);
	tap_ok(r == 0 && info.state == RK_UPLOAD_QUEUED &&
			info.attempts == 1 && rk_uploader_queue_length(s.u) == 1,
			"a new process finds the packet queued after one attempt (%s, %u, %u)",
			rk_upload_state_name(info.state), info.attempts,
			rk_uploader_queue_length(s.u));
	info = final_info(&s, id);
	tap_ok(info.state == RK_UPLOAD_PRINT_READY, "... and delivers it: print_ready");
	tap_ok(sim_counter("submitted") == before + 1, "the server took it in exactly once");
	station_close(&s);
}

/* --- the issuance report ------------------------------------------------------------------- */

struct issuance_news {
	int64_t enrollment;
	bool accepted;
	char reason[256];
	unsigned int n;
};

static void on_issuance(struct rk_uploader *u, int64_t enrollment, bool accepted,
		const char *reason, void *data)
{
	struct issuance_news *news = data;

	(void)u;
	news->enrollment = enrollment;
	news->accepted = accepted;
	snprintf(news->reason, sizeof(news->reason), "%s", reason);
	news->n++;
}

static bool report_final(struct station *s, const char *enrollment)
{
	char state[16] = "";

	return rk_issuance_state(s->store, atoi(enrollment), state, sizeof(state)) == 0 &&
		strcmp(state, "queued") != 0;
}

static void add_enrollment(struct station *s, int id)
{
	char sql[600];

	snprintf(sql, sizeof(sql), "INSERT INTO enrollments (id, nik, state, return_reason, name, "
		"sex, birth_place, birth_date, blood_type, religion, marital_status, occupation, "
		"address, rt, rw, village, district, citizenship, created, updated) VALUES (%d, "
		"'637105570490002%d', 'issued', '', 'X', 'F', 'X', '1990-04-17', 'O', 'ISLAM', "
		"'KAWIN', 'X', 'X', '001', '002', 'X', 'X', 'WNI', 0, 0)", id, id);
	if (rk_store_exec(s->store, sql) < 0)
		tap_bail("cannot add enrollment %d", id);
}

/* A report queued before a "restart" goes out at start; a second, different
 * report of the same packet is refused for good. */
static void test_issuance(const char *cert, const char *key)
{
	struct issuance_news news = { 0 };
	struct rk_upload_info info;
	char id[RK_PACKET_ID_LEN + 1], state[16] = "";
	struct station s;

	station_open(&s, "issuance", cert, key);
	tap_ok(build(s.outbox, "6371055704900021", NULL, 3000, NULL, id) == 0,
			"issuance: a packet is built");
	info = final_info(&s, id);
	tap_ok(info.state == RK_UPLOAD_PRINT_READY, "issuance: ... and is print_ready");
	add_enrollment(&s, 1);
	add_enrollment(&s, 2);
	tap_ok(rk_issuance_queue(s.store, 1, id, "K-0001", "04A1B2C3D4E5F6") == 0,
			"issuance: the report is queued");
	station_close(&s); /* never sent: rekamd stopped */

	station_open(&s, "issuance", cert, key);
	rk_uploader_listen_issuance(s.u, on_issuance, &news);
	tap_ok(run_until(&s, report_final, "1"), "issuance: after a restart the report goes out");
	tap_ok(rk_issuance_state(s.store, 1, state, sizeof(state)) == 0 &&
			strcmp(state, "accepted") == 0, "issuance: ... and is accepted (%s)", state);
	tap_ok(news.n == 1 && news.accepted && news.enrollment == 1,
			"issuance: the listener heard it once");

	tap_ok(rk_issuance_queue(s.store, 2, id, "K-0002", "04A1B2C3D4E5F7") == 0,
			"issuance: another card reported for the same packet");
	rk_uploader_kick(s.u);
	tap_ok(run_until(&s, report_final, "2"), "issuance: ... gets a final answer");
	tap_ok(rk_issuance_state(s.store, 2, state, sizeof(state)) == 0 &&
			strcmp(state, "refused") == 0 && news.n == 2 && !news.accepted &&
			strstr(news.reason, "K-0001"),
			"issuance: ... refused, the first card stands (%s: %s)", state, news.reason);
	station_close(&s);
}

static EVP_PKEY *load(const char *file, bool private)
{
	char path[700], *error = NULL;
	EVP_PKEY *k;

	snprintf(path, sizeof(path), "%s/%s", pki, file);
	k = private ? rk_packet_load_private_key(path, &error) :
		rk_packet_load_public_key(path, &error);
	if (!k)
		tap_bail("%s", error ? error : path);
	return k;
}

/* The retry delay after N failures: doubling from backoff-initial-ms (100
 * here) up to backoff-max-ms (1000), drawn in [d/2, d] (jitter, so that
 * stations do not retry in step), never under the server's Retry-After. */
static void test_backoff(struct station *s)
{
	static const int64_t full[] = { 0, 100, 200, 400, 800, 1000, 1000, 1000 };
	bool in_range = true, spread = true, after_ok = true;

	for (unsigned int failures = 1; failures < sizeof(full) / sizeof(full[0]); failures++) {
		int64_t lo = INT64_MAX, hi = 0;

		for (int i = 0; i < 500; i++) {
			int64_t d = upl_backoff_ms(s->u, failures, 0);

			if (d < full[failures] / 2 || d > full[failures]) {
				tap_diag("after %u failures: %" PRId64 " ms, not in [%" PRId64
					", %" PRId64 "]", failures, d, full[failures] / 2,
					full[failures]);
				in_range = false;
			}
			lo = d < lo ? d : lo;
			hi = d > hi ? d : hi;
		}
		if (hi - lo < full[failures] / 4)
			spread = false;
		if (upl_backoff_ms(s->u, failures, 3) < 3000)
			after_ok = false;
	}
	tap_ok(in_range, "backoff: doubling from backoff-initial-ms, capped at backoff-max-ms, "
		"drawn in [d/2, d]");
	tap_ok(spread, "... with jitter (500 draws spread over at least a quarter of d)");
	tap_ok(after_ok, "... and never under the server's Retry-After");
}

int main(void)
{
	struct station s;
	char cmd[1600], cert[700], key[700];

	if (access(simcentral_path(), X_OK) < 0)
		tap_skip_all("rekam-sim-central is not built at %s", simcentral_path());
	if (!mkdtemp(tmp))
		tap_bail("mkdtemp");
	rk_log_set_level(getenv("REKAM_TEST_VERBOSE") ? LOG_DEBUG : LOG_CRIT);
	signal(SIGPIPE, SIG_IGN);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	if (simcentral_start(&sim, tmp, "0.001") < 0)
		tap_bail("cannot start rekam-sim-central");
	pki = sim.pki;
	url = sim.url;
	station_key = load("station1.key", true);
	central_key = load("enc.pem", false);
	snprintf(finger_a, sizeof(finger_a), "%s/finger-a", tmp);
	snprintf(finger_b, sizeof(finger_b), "%s/finger-b", tmp);
	random_file(finger_a, 612);
	random_file(finger_b, 612);

	snprintf(cert, sizeof(cert), "%s/station1.pem", pki);
	snprintf(key, sizeof(key), "%s/station1.key", pki);
	station_open(&s, "station", cert, key);
	test_print_ready_and_duplicate(&s);
	test_tampered(&s);
	test_retry_after(&s);
	test_backoff(&s);
	station_close(&s);
	test_drop(cert, key);
	test_wrong_client_cert();
	test_wrong_server_cert(cert, key);
	test_stall(cert, key);
	test_crash();
	test_issuance(cert, key);

	simcentral_stop(&sim);
	EVP_PKEY_free(station_key);
	EVP_PKEY_free(central_key);
	curl_global_cleanup();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmp);
	if (system(cmd) != 0)
		tap_diag("could not remove %s", tmp);
	tap_done();
	return tap_failed ? 1 : 0;
}
