// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * rekam - integration tests
 *
 * rekam-queue-packet.c - a test helper: build one enrollment packet from
 * fresh random artifacts into STATE-DIR/outbox and queue it in
 * STATE-DIR/rekam.db, as the pipeline will, without sending it; rekamd
 * started on that state directory then finds it queued. Prints the id.
 *
 *   rekam-queue-packet STATE-DIR STATION-KEY ENCRYPTION-CERT NIK
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <event2/event.h>
#include <openssl/rand.h>

#include "daemon/central.h"
#include "daemon/daemon.h"
#include "daemon/log.h"
#include "daemon/store.h"

static int random_file(const char *path, size_t len)
{
	unsigned char *buf = malloc(len);
	FILE *f = fopen(path, "wb");
	int r = buf && f && RAND_bytes(buf, (int)len) == 1 && fwrite(buf, 1, len, f) == len;

	if (f)
		fclose(f);
	free(buf);
	return r ? 0 : -1;
}

int main(int argc, char **argv)
{
	static const struct rk_packet_field applicant[] = { { "name", "SITI AMINAH" } };
	char db[4096], outbox[4096], portrait[4096], finger[4096], id[RK_PACKET_ID_LEN + 1];
	char *error = NULL;
	struct rk_packet_artifact arts[] = {
		{ "portrait", "portrait", "image/jpeg", portrait, NULL, NULL },
		{ "finger-r1", "fingerprint", "iso19794-2", finger, NULL, NULL },
	};
	struct rk_packet_time sop[] = { { "recorded", 1772419212 } };
	struct rk_packet_input in = { .station_id = "6305-TEST-01", .applicant = applicant,
		.n_applicant = 1, .sop = sop, .n_sop = 1, .artifacts = arts, .n_artifacts = 2 };
	struct rk_uploader_config c = { .url = "https://127.0.0.1:1/v1", .ca = argv[2],
		.cert = argv[2], .key = argv[2] };
	struct rk_packet_keys keys;
	struct rk_store *store;
	struct rk_uploader *u;
	struct event_base *base;

	if (argc != 5) {
		fprintf(stderr, "usage: rekam-queue-packet STATE-DIR STATION-KEY ENCRYPTION-CERT "
				"NIK\n");
		return 2;
	}
	rk_log_set_level(LOG_ERR);
	in.nik = argv[4];
	mkdir(argv[1], 0700);
	snprintf(db, sizeof(db), "%s/%s", argv[1], RK_DATABASE_NAME);
	snprintf(outbox, sizeof(outbox), "%s/%s", argv[1], RK_OUTBOX_NAME);
	snprintf(portrait, sizeof(portrait), "%s/portrait.tmp", argv[1]);
	snprintf(finger, sizeof(finger), "%s/finger.tmp", argv[1]);
	keys.station = rk_packet_load_private_key(argv[2], &error);
	keys.recipient = keys.station ? rk_packet_load_public_key(argv[3], &error) : NULL;
	base = event_base_new();
	if (!keys.recipient || random_file(portrait, 30000) < 0 || random_file(finger, 612) < 0 ||
			rk_store_open(db, &store, NULL, &error) < 0 ||
			rk_packet_build(&in, &keys, outbox, id, &error) < 0 ||
			!(u = rk_uploader_new(base, store, outbox, &c, &error)) ||
			rk_uploader_enqueue(u, id) < 0) {
		fprintf(stderr, "rekam-queue-packet: %s\n", error ? error : "failed");
		return 1;
	}
	rk_uploader_free(u);
	rk_store_close(store);
	event_base_free(base);
	EVP_PKEY_free(keys.station);
	EVP_PKEY_free(keys.recipient);
	remove(portrait);
	remove(finger);
	printf("%s\n", id);
	return 0;
}
