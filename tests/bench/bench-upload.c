// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * rekam - benchmarks
 *
 * bench-upload.c - uploading a realistic enrollment packet (about 1.5 MB:
 * portrait, ten fingerprints, two irises, signature, two document scans)
 * to rekam-sim-central over mutual TLS on loopback, through rekamd's
 * uploader (packet.c + uploader.c on libcurl multi and libevent) against
 * the curl command line sending the same kind of packet (the same parts,
 * sizes and TLS setup: the same CA, client certificate and key, no
 * Expect: 100-continue) to the same server, alternating, each packet a
 * first submission. Both start cold (a new connection and TLS handshake
 * per packet: a new uploader each time, a new curl process each time);
 * the warm uploader (one connection reused) is shown too. Then packets/s
 * with many packets queued at once, per concurrency bound. Prints medians
 * and ratios. Not part of make check: run `make bench`.
 *
 * Usage: bench-upload [ROUNDS [QUEUED]]   (default 15 rounds, 60 queued)
 */
#include <config.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/rand.h>

#include "tests/bench/bench.h"
#include "daemon/log.h"
#include "daemon/packet.h"
#include "daemon/store.h"
#include "daemon/uploader.h"
#include "simcentral.h"

static char tmp[] = "/tmp/rekam-bench-upload-XXXXXX";
static struct simcentral sim;
static struct rk_packet_keys keys;
static char ca[400], cert[400], key[400];

/* name, type, format, bytes: a realistic KTP-el recording */
static const struct part {
	const char *name, *type, *format;
	size_t size;
} parts[] = {
	{ "portrait", "portrait", "image/jpeg", 250000 },
	{ "finger-r1", "fingerprint", "image/wsq", 25000 },
	{ "finger-r2", "fingerprint", "image/wsq", 25000 },
	{ "finger-r3", "fingerprint", "image/wsq", 25000 },
	{ "finger-r4", "fingerprint", "image/wsq", 25000 },
	{ "finger-r5", "fingerprint", "image/wsq", 25000 },
	{ "finger-l1", "fingerprint", "image/wsq", 25000 },
	{ "finger-l2", "fingerprint", "image/wsq", 25000 },
	{ "finger-l3", "fingerprint", "image/wsq", 25000 },
	{ "finger-l4", "fingerprint", "image/wsq", 25000 },
	{ "finger-l5", "fingerprint", "image/wsq", 25000 },
	{ "iris-r", "iris", "iso19794-6", 40000 },
	{ "iris-l", "iris", "iso19794-6", 40000 },
	{ "signature-image", "signature", "image/png", 20000 },
	{ "scan-f102", "document", "image/jpeg", 450000 },
	{ "scan-kk", "document", "image/jpeg", 450000 },
};
#define N_PARTS (sizeof(parts) / sizeof(parts[0]))

static void random_file(const char *path, size_t len)
{
	unsigned char *buf = malloc(len);
	FILE *f = fopen(path, "wb");

	if (!buf || !f || RAND_bytes(buf, (int)len) != 1 || fwrite(buf, 1, len, f) != len) {
		fprintf(stderr, "bench-upload: cannot write %s\n", path);
		exit(1);
	}
	fclose(f);
	free(buf);
}

/* A fresh packet (new plain bytes, so never a duplicate by fingerprint)
 * with @scale times the realistic sizes, into @outbox; the ms that
 * rk_packet_build() took (without writing the plain test files). */
static double build(const char *outbox, unsigned int n, double scale, char id[RK_PACKET_ID_LEN + 1])
{
	static const struct rk_packet_field applicant[] = { { "name", "SITI AMINAH" },
		{ "birth_place", "BANJARMASIN" }, { "birth_date", "1990-04-17" }, { "sex", "F" } };
	struct rk_packet_time sop[] = { { "recorded", (int64_t)time(NULL) } };
	struct rk_packet_artifact arts[N_PARTS];
	char paths[N_PARTS][512], nik[17], *error = NULL;
	double t;
	struct rk_packet_input in = { .station_id = "6305-TEST-01", .nik = nik,
		.applicant = applicant, .n_applicant = 4, .sop = sop, .n_sop = 1,
		.artifacts = arts, .n_artifacts = N_PARTS };

	snprintf(nik, sizeof(nik), "6371%012u", n);
	for (size_t i = 0; i < N_PARTS; i++) {
		snprintf(paths[i], sizeof(paths[i]), "%s/plain-%s", tmp, parts[i].name);
		random_file(paths[i], (size_t)((double)parts[i].size * scale) + 1);
		arts[i] = (struct rk_packet_artifact){ parts[i].name, parts[i].type,
			parts[i].format, paths[i], NULL, NULL };
	}
	t = bench_now_ms();
	if (rk_packet_build(&in, &keys, outbox, id, &error) < 0) {
		fprintf(stderr, "bench-upload: %s\n", error ? error : "build failed");
		exit(1);
	}
	return bench_now_ms() - t;
}

/* --- through the uploader ---------------------------------------------------------------- */

struct station {
	struct event_base *base;
	struct rk_store *store;
	struct rk_uploader *u;
	unsigned int submitted;
};

static void on_upload(struct rk_uploader *u, const struct rk_upload_info *info, void *data)
{
	struct station *s = data;

	if (info && info->state == RK_UPLOAD_SUBMITTED)
		s->submitted++;
	if (info && info->state == RK_UPLOAD_FAILED) {
		fprintf(stderr, "bench-upload: the server refused a packet: %s\n", info->reason);
		exit(1);
	}
}

static void station_open(struct station *s, const char *name, unsigned int concurrency)
{
	struct rk_uploader_config c = { .url = sim.url, .ca = ca, .cert = cert, .key = key,
		.max_concurrent = concurrency, .backoff_initial_ms = 100, .backoff_max_ms = 1000 };
	char path[512], *error = NULL;

	memset(s, 0, sizeof(*s));
	snprintf(path, sizeof(path), "%s/%s.db", tmp, name);
	s->base = event_base_new();
	if (rk_store_open(path, &s->store, NULL, &error) < 0)
		exit(1);
	snprintf(path, sizeof(path), "%s/outbox", tmp);
	s->u = rk_uploader_new(s->base, s->store, path, &c, &error);
	if (!s->u) {
		fprintf(stderr, "bench-upload: %s\n", error ? error : "no uploader");
		exit(1);
	}
	rk_uploader_listen(s->u, on_upload, s);
}

static void station_close(struct station *s)
{
	rk_uploader_free(s->u);
	rk_store_close(s->store);
	event_base_free(s->base);
}

/* Enqueue and run until the server has accepted @n packets; ms. */
static double upload(struct station *s, char (*ids)[RK_PACKET_ID_LEN + 1], unsigned int n)
{
	double start = bench_now_ms();
	unsigned int want = s->submitted + n;

	for (unsigned int i = 0; i < n; i++)
		rk_uploader_enqueue(s->u, ids[i]);
	while (s->submitted < want)
		event_base_loop(s->base, EVLOOP_ONCE);
	return bench_now_ms() - start;
}

/* --- through the curl command line --------------------------------------------------------- */

static double upload_cli(const char *outbox, const char *id)
{
	char *argv[64], form[N_PARTS + 2][700], url[200], dir[600];
	int argc = 0, status;
	double start;
	pid_t pid;

	snprintf(dir, sizeof(dir), "%s/%s", outbox, id);
	snprintf(url, sizeof(url), "%s/packets", sim.url);
	argv[argc++] = "curl";
	argv[argc++] = "-sS";
	argv[argc++] = "-o";
	argv[argc++] = "/dev/null";
	argv[argc++] = "--fail";
	argv[argc++] = "--cacert";
	argv[argc++] = ca;
	argv[argc++] = "--cert";
	argv[argc++] = cert;
	argv[argc++] = "--key";
	argv[argc++] = key;
	argv[argc++] = "-H";
	argv[argc++] = "Expect:";
	snprintf(form[0], sizeof(form[0]), "manifest=@%s/%s;type=application/json", dir,
			RK_PACKET_MANIFEST);
	snprintf(form[1], sizeof(form[1]), "signature=@%s/%s;type=application/octet-stream", dir,
			RK_PACKET_SIGNATURE);
	for (size_t i = 0; i < N_PARTS; i++)
		snprintf(form[i + 2], sizeof(form[i + 2]),
				"%s=@%s/" RK_PACKET_PART_PREFIX "%s;type=application/octet-stream",
				parts[i].name, dir, parts[i].name);
	for (size_t i = 0; i < N_PARTS + 2; i++) {
		argv[argc++] = "-F";
		argv[argc++] = form[i];
	}
	argv[argc++] = url;
	argv[argc] = NULL;
	start = bench_now_ms();
	pid = fork();
	if (pid == 0) {
		execvp("curl", argv);
		_exit(127);
	}
	waitpid(pid, &status, 0);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		fprintf(stderr, "bench-upload: curl failed (%d)\n", status);
		exit(1);
	}
	return bench_now_ms() - start;
}

int main(int argc, char **argv)
{
	int rounds = argc > 1 ? atoi(argv[1]) : 15, queued = argc > 2 ? atoi(argv[2]) : 60;
	double *cold = calloc((size_t)rounds, sizeof(double)), *warm = calloc((size_t)rounds,
			sizeof(double)), *cli = calloc((size_t)rounds, sizeof(double));
	char outbox[512], path[512], (*ids)[RK_PACKET_ID_LEN + 1], *error = NULL;
	static const unsigned int concurrency[] = { 1, 2, 4 };
	struct station s;
	uint64_t bytes = 0;
	double mc, mw, ml, build_ms[5];
	unsigned int n = 0;

	if (rounds < 1 || queued < 1 || !mkdtemp(tmp))
		return 2;
	if (system("curl --version >/dev/null 2>&1") != 0) {
		fprintf(stderr, "bench-upload: the curl command line is not installed\n");
		return 77;
	}
	rk_log_set_level(getenv("REKAM_BENCH_VERBOSE") ? LOG_DEBUG : LOG_CRIT);
	signal(SIGPIPE, SIG_IGN);
	if (simcentral_start(&sim, tmp, "1") < 0)
		return 1;
	snprintf(ca, sizeof(ca), "%s/ca.pem", sim.pki);
	snprintf(cert, sizeof(cert), "%s/station1.pem", sim.pki);
	snprintf(key, sizeof(key), "%s/station1.key", sim.pki);
	snprintf(path, sizeof(path), "%s/station1.key", sim.pki);
	keys.station = rk_packet_load_private_key(path, &error);
	snprintf(path, sizeof(path), "%s/enc.pem", sim.pki);
	keys.recipient = rk_packet_load_public_key(path, &error);
	snprintf(outbox, sizeof(outbox), "%s/outbox", tmp);
	ids = calloc((size_t)(5 + 3 * rounds + 3 * queued), sizeof(*ids));

	/* the packet and its build (encryption and signature) */
	for (int i = 0; i < 5; i++) {
		build_ms[i] = build(outbox, n, 1.0, ids[n]);
		n++;
	}
	{
		CURL *e = curl_easy_init();
		curl_mime *mime = NULL;

		rk_packet_mime(e, outbox, ids[0], &mime, &bytes);
		curl_mime_free(mime);
		curl_easy_cleanup(e);
	}
	printf("packet: %zu artifacts, %.2f MB of parts; building it (encrypt + sign) takes "
			"%.1f ms (median of 5)\n", N_PARTS, (double)bytes / 1e6, bench_median(build_ms, 5));

	/* warm-up: one of each */
	station_open(&s, "warm", 1);
	upload(&s, &ids[0], 1);
	upload_cli(outbox, ids[1]);
	for (int r = 0; r < rounds; r++) {
		char *a = ids[n], *b = ids[n + 1], *c = ids[n + 2];
		struct station one;

		build(outbox, n, 1.0, ids[n]);
		build(outbox, n + 1, 1.0, ids[n + 1]);
		build(outbox, n + 2, 1.0, ids[n + 2]);
		n += 3;
		station_open(&one, "cold", 1);
		cold[r] = upload(&one, (char (*)[RK_PACKET_ID_LEN + 1])a, 1);
		station_close(&one);
		warm[r] = upload(&s, (char (*)[RK_PACKET_ID_LEN + 1])b, 1);
		cli[r] = upload_cli(outbox, c);
	}
	station_close(&s);
	mc = bench_median(cold, rounds);
	mw = bench_median(warm, rounds);
	ml = bench_median(cli, rounds);
	printf("\nupload of one packet until the server's 202, median of %d rounds:\n", rounds);
	printf("  rekamd uploader, new connection     %8.1f ms  (%.0f MB/s)\n", mc,
			(double)bytes / 1e3 / mc);
	printf("  rekamd uploader, connection reused  %8.1f ms  (%.0f MB/s)\n", mw,
			(double)bytes / 1e3 / mw);
	printf("  curl command line (new process)     %8.1f ms  (%.0f MB/s)\n", ml,
			(double)bytes / 1e3 / ml);
	printf("  ratio uploader (new connection) / curl  %.2f\n", mc / ml);
	printf("  ratio uploader (reused) / curl          %.2f\n", mw / ml);

	printf("\n%d packets of %.2f MB queued at once, until the server accepted all:\n", queued,
			(double)bytes / 10 / 1e6);
	for (size_t c = 0; c < sizeof(concurrency) / sizeof(concurrency[0]); c++) {
		char name[32];
		double t;

		for (int i = 0; i < queued; i++)
			build(outbox, n + (unsigned int)i, getenv("BENCH_SCALE") ? atof(getenv("BENCH_SCALE")) : 0.1, ids[n + (unsigned int)i]);
		snprintf(name, sizeof(name), "many-%u", concurrency[c]);
		station_open(&s, name, concurrency[c]);
		t = upload(&s, &ids[n], (unsigned int)queued);
		station_close(&s);
		n += (unsigned int)queued;
		printf("  max-concurrent %u: %7.1f packets/s (%.0f ms)\n", concurrency[c],
				queued * 1000.0 / t, t);
	}

	simcentral_stop(&sim);
	EVP_PKEY_free(keys.station);
	EVP_PKEY_free(keys.recipient);
	snprintf(path, sizeof(path), "rm -rf '%s'", tmp);
	if (system(path) != 0)
		fprintf(stderr, "bench-upload: could not remove %s\n", tmp);
	free(cold);
	free(warm);
	free(cli);
	free(ids);
	return 0;
}
