// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * rekam - device simulators
 *
 * rekam-sim-central.c - the simulated central (ministry) server: its
 * command line, --make-pki, its control commands (the network faults) and
 * its setup on the simulator library; the HTTPS listener is in
 * central-http.c, the API in central-api.c and central-card.c, the state in
 * central-db.c, the PKI in central-pki.c.
 */
#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include <openssl/err.h>

#include "simulators/central-server.h"

static struct central central = { .port = CENTRAL_PORT_DEFAULT };

/* --- options --------------------------------------------------------------------- */

static int opt_pki(struct sim *sim, const char *arg)
{
	if (!*arg)
		return -EINVAL;
	central.pki_dir = arg;
	return 0;
}

static int opt_db(struct sim *sim, const char *arg)
{
	if (!*arg)
		return -EINVAL;
	central.db_path = arg;
	return 0;
}

static int opt_make_pki(struct sim *sim, const char *arg)
{
	return -EINVAL; /* handled in main() before the framework's command line */
}

static const struct sim_option options[] = {
	{ "port", "N", "the HTTPS port on 127.0.0.1 (default 8443)",
		NULL, &central.port, 1, 65535 },
	{ "pki", "DIR", "the PKI written by --make-pki: ca.pem, server.pem/.key, ds.pem/.key; "
		"required", opt_pki },
	{ "db", "FILE", "the SQLite database of packets and issuances, created if missing "
		"(default: in memory, lost at exit)", opt_db },
	{ "make-pki", "DIR", "write a fresh test PKI into DIR and exit (alone on the command "
		"line; see PKI below)", opt_make_pki },
	{ NULL },
};

/* --- control commands ------------------------------------------------------------ */

static int cmd_refuse(struct sim *sim, const char *arg, char *out, size_t outlen)
{
	central_http_refuse(&central);
	snprintf(out, outlen, "not accepting connections on 127.0.0.1:%u", central.port);
	return 0;
}

static int cmd_error(struct sim *sim, const char *arg, char *out, size_t outlen)
{
	char *copy = strdup(arg), *save = NULL, *code, *count, *retry, *extra;
	uint64_t c, n = 1, ra = 0;
	int r = -EINVAL;

	if (!copy)
		return -ENOMEM;
	code = strtok_r(copy, " \t", &save);
	count = strtok_r(NULL, " \t", &save);
	retry = strtok_r(NULL, " \t", &save);
	extra = strtok_r(NULL, " \t", &save);
	if (code && !extra && sim_parse_uint(code, 500, 503, &c) == 0 && (c == 500 || c == 503) &&
			(!count || sim_parse_uint(count, 1, 1000000, &n) == 0) &&
			(!retry || sim_parse_uint(retry, 0, 86400, &ra) == 0)) {
		central.error_code = (unsigned int)c;
		central.error_count = (unsigned int)n;
		central.retry_after = (unsigned int)ra;
		snprintf(out, outlen, "error=%u count=%u retry-after=%u", central.error_code,
				central.error_count, central.retry_after);
		r = 0;
	} else {
		snprintf(out, outlen, "usage: error 500|503 [COUNT [RETRY-AFTER]]");
	}
	free(copy);
	return r;
}

static int cmd_drop(struct sim *sim, const char *arg, char *out, size_t outlen)
{
	central.drop = true;
	snprintf(out, outlen, "the next upload is cut after %d bytes", CENTRAL_DROP_AFTER);
	return 0;
}

static int cmd_slow(struct sim *sim, const char *arg, char *out, size_t outlen)
{
	uint64_t v;
	int r;

	if (sim_parse_uint(arg, 1, 1000000000, &v) < 0) {
		snprintf(out, outlen, "slow wants bytes per second, 1 to 1000000000");
		return -EINVAL;
	}
	r = central_http_slow(&central, (unsigned int)v);
	if (r == 0)
		snprintf(out, outlen, "slow=%u", central.slow_bps);
	return r;
}

static int cmd_hangup(struct sim *sim, const char *arg, char *out, size_t outlen)
{
	int r = central_http_hangup(&central);

	if (r < 0) {
		snprintf(out, outlen, "cannot listen on 127.0.0.1:%u again: %s", central.port,
				strerror(-r));
		return r;
	}
	snprintf(out, outlen, "every open connection closed");
	return 0;
}

static int cmd_reset(struct sim *sim, const char *arg, char *out, size_t outlen)
{
	int r;

	central.stall = central.drop = central.wrong_cert = false;
	central.error_count = central.retry_after = 0;
	central_http_slow(&central, 0);
	r = central_http_accept(&central);
	if (r < 0 && r != -EALREADY) {
		snprintf(out, outlen, "cannot listen on 127.0.0.1:%u again: %s", central.port,
				strerror(-r));
		return r;
	}
	snprintf(out, outlen, "normal");
	return 0;
}

static const struct sim_command commands[] = {
	{ "refuse", SIM_ARG_NONE, NULL,
		"close the HTTPS listening socket: new connections are refused (reset listens "
		"again); open connections go on", cmd_refuse },
	{ "stall", SIM_ARG_NONE, NULL,
		"accept connections and read requests, but never answer one",
		NULL, &central.stall, "requests are read and never answered" },
	{ "error", SIM_ARG_REQUIRED, "CODE [N [S]]",
		"the next N requests (default 1) get HTTP CODE (500 or 503) with an error body, "
		"and a Retry-After: S header when S is given", cmd_error },
	{ "drop", SIM_ARG_NONE, NULL,
		"the next connection that sends more than 2048 bytes (an upload) is closed after "
		"them, mid-upload", cmd_drop },
	{ "slow", SIM_ARG_REQUIRED, "BYTES-PER-S",
		"new connections are rate-limited to BYTES-PER-S each way (TLS bytes)", cmd_slow },
	{ "wrong-cert", SIM_ARG_NONE, NULL,
		"new connections get a server certificate from a CA made up at start, which no "
		"station trusts",
		NULL, &central.wrong_cert, "new connections get a certificate from another CA" },
	{ "hangup", SIM_ARG_NONE, NULL,
		"close every open connection now, as a server restart would (the faults above "
		"then meet the client's next connection)", cmd_hangup },
	{ "reset", SIM_ARG_NONE, NULL,
		"clear every fault above and accept connections again", cmd_reset },
	{ NULL },
};

/* --- the framework's device endpoint: a pointer to the HTTPS one ------------------- */

static void on_connected(struct sim *sim)
{
	sim_device_printf(sim, "rekam-sim-central https://127.0.0.1:%u/v1/", central.port);
	sim_device_hangup(sim);
}

static void on_status(struct sim *sim, struct evbuffer *out)
{
	evbuffer_add_printf(out, " port=%u listening=%s requests=%lu submitted=%lu packets=%ld "
			"stall=%s error=%u error-count=%u retry-after=%u drop=%s slow=%u "
			"wrong-cert=%s",
			central.port, central.bound ? "yes" : "no", central.requests,
			central.submitted, central_db_count(&central), central.stall ? "yes" : "no",
			central.error_code, central.error_count, central.retry_after,
			central.drop ? "armed" : "no", central.slow_bps,
			central.wrong_cert ? "yes" : "no");
}

static const struct sim_device_ops ops = {
	.connected = on_connected,
	.status = on_status,
};

static int init(struct sim *sim)
{
	int r;

	central.sim = sim;
	if (!central.pki_dir) {
		sim_err("--pki DIR is required (make one with --make-pki DIR)");
		return -EINVAL;
	}
	r = central_pki_load(&central);
	if (r == 0)
		r = central_db_open(&central);
	if (r == 0)
		r = central_http_start(&central);
	if (r == 0)
		sim_info("HTTPS on 127.0.0.1:%u, PKI %s, database %s", central.port,
				central.pki_dir, central.db_path ? central.db_path : "in memory");
	return r;
}

static void fini(struct sim *sim)
{
	central_http_stop(&central);
	central_db_close(&central);
	central_pki_free(&central);
}

static const struct sim_descriptor descriptor = {
	.name = "rekam-sim-central",
	.summary = "A simulated central (ministry) KTP-el server for rekam's tests and demo.",
	.description =
		"It serves the central API of docs/central-api.md over HTTPS on 127.0.0.1\n"
		"with mutual TLS: a station must present a client certificate issued by the\n"
		"CA in --pki, or the TLS handshake fails. A station submits enrollment\n"
		"packets (multipart/form-data: a manifest signed with the station key and\n"
		"its artifacts), polls their status, fetches the personalization data of a\n"
		"print_ready packet (with a security object signed by the document signer)\n"
		"and reports the issued card. A packet is queued for 10 s, processed for\n"
		"50 s and then print_ready (times follow --time-scale); a bad signature, a\n"
		"station id that is not the certificate's, or an artifact whose size or\n"
		"SHA-256 differs from the manifest makes it rejected, and fingerprint bytes\n"
		"seen in an earlier packet, or an earlier packet with the same NIK, make it\n"
		"duplicate. The state is kept in SQLite (--db), so a restart keeps it.\n"
		"Artifacts come encrypted for the central encryption key (enc.key: ECDH-ES\n"
		"P-256, HKDF-SHA256, AES key wrap, AES-256-GCM; docs/central-api.md); one that\n"
		"does not decrypt makes the packet rejected. \"encryption\": \"none\" is\n"
		"accepted too, for tests with curl.\n"
		"\n"
		"The framework's --socket is an information endpoint here: a client that\n"
		"connects gets one line with the HTTPS URL; unplug/replug only affect it,\n"
		"and the common delay, fail, quality and seed commands have no effect.",
	.protocol =
		"  HTTPS/1.1, JSON bodies, errors as {\"error\": {\"code\", \"message\"}}:\n"
		"    POST /v1/packets                     -> 202 {\"id\", \"status\": \"queued\"}\n"
		"    GET  /v1/packets/ID                  -> 200 {\"id\", \"status\", \"reason\", ...}\n"
		"    GET  /v1/packets/ID/personalization  -> 200 {\"data_groups\", \"security_object\"}\n"
		"    POST /v1/packets/ID/issuance         -> 200, or 409 for a different report\n"
		"  A repeated submit of a packet id returns the first answer.\n"
		"\n"
		"PKI (--make-pki DIR, ECDSA P-256, PEM, keys mode 0600):\n"
		"  ca.pem ca.key              the test CA of servers and stations\n"
		"  server.pem server.key      the server, for IP 127.0.0.1 and DNS localhost\n"
		"  station1.pem station1.key  a station client certificate, CN " CENTRAL_STATION_1 "\n"
		"                             (or the ID of --make-pki DIR --station-id ID)\n"
		"  station2.pem station2.key  another one, CN " CENTRAL_STATION_2 "\n"
		"  ds.pem ds.key              the document signer of security objects\n"
		"  enc.pem enc.key            the key artifacts are encrypted for\n"
		"  Exit status of --make-pki: 0 written, 73 could not be written.\n"
		"  Starting without a usable --pki exits with 70, as does a port in use.\n",
	.example =
		"  rekam-sim-central --make-pki /tmp/pki\n"
		"  rekam-sim-central --pki /tmp/pki --db /tmp/central.db --port 8443 \\\n"
		"          --socket /tmp/central.sock --control /tmp/central.ctl --time-scale 0.01 &\n"
		"  curl --cacert /tmp/pki/ca.pem --cert /tmp/pki/station1.pem \\\n"
		"          --key /tmp/pki/station1.key -F manifest=@manifest.json \\\n"
		"          -F signature=@manifest.sig -F fingerprint=@finger.iso \\\n"
		"          https://127.0.0.1:8443/v1/packets\n"
		"  echo 'error 503 3 5' | socat - UNIX-CONNECT:/tmp/central.ctl\n"
		"  echo 'quit' | socat - UNIX-CONNECT:/tmp/central.ctl\n",
	.busy_reply = "rekam-sim-central: one information client at a time",
	.options = options,
	.commands = commands,
	.ops = &ops,
	.init = init,
	.fini = fini,
};

int main(int argc, char **argv)
{
	const char *dir = NULL, *station = NULL;

	if (argc == 5 && strcmp(argv[3], "--station-id") == 0) {
		station = argv[4];
		argc = 3;
	}
	if (argc == 3 && strcmp(argv[1], "--make-pki") == 0)
		dir = argv[2];
	else if (argc == 2 && strncmp(argv[1], "--make-pki=", 11) == 0)
		dir = argv[1] + 11;
	if (dir) {
		bool ok = *dir && (!station || (*station && strlen(station) <= 64 &&
			strspn(station, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
				"0123456789._-") == strlen(station)));
		int r = ok ? central_pki_make(dir, station) : -EINVAL;

		return r == 0 ? EX_OK : r == -EINVAL ? EX_USAGE : EX_CANTCREAT;
	}
	return sim_main(&descriptor, &central, argc, argv);
}
