// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * rekam - device simulators
 *
 * rekam-sim-scanner.c - the simulated document scanner: an eSCL (AirScan)
 * scanner on 127.0.0.1 with a flatbed and a sheet feeder, scanning the
 * applicant's papers (F1.02 form, family card, marriage certificate,
 * diploma). Its command line, control commands and identity are here, on
 * the simulator library; the eSCL responder is scanner-escl.c, the pages
 * scanner-pages.c.
 */
#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <fontconfig/fontconfig.h>

#include "simulators/scanner.h"

static struct scanner scn = {
	.port = SCANNER_PORT_DEFAULT,
	.platen_doc = DOC_F102,
	.adf_doc = DOC_F102,
	.adf_sheets = 2,
};

static int set_word(char *dst, size_t size, const char *arg, const char *extra)
{
	size_t n = strlen(arg);

	if (n == 0 || n >= size)
		return -EINVAL;
	for (size_t i = 0; i < n; i++)
		if (!((arg[i] >= 'A' && arg[i] <= 'Z') || (arg[i] >= '0' && arg[i] <= '9') ||
				strchr(extra, arg[i])))
			return -EINVAL;
	memcpy(dst, arg, n + 1);
	return 0;
}

/* --- options --------------------------------------------------------------------- */

static int opt_document(struct sim *sim, const char *arg)
{
	enum scanner_doc doc;

	if (scanner_doc_parse(arg, &doc) < 0)
		return -EINVAL;
	scn.platen_doc = scn.adf_doc = doc;
	return 0;
}

static int opt_nik(struct sim *sim, const char *arg)
{
	if (strlen(arg) != 16 || strspn(arg, "0123456789") != 16)
		return -EINVAL;
	memcpy(scn.who.nik, arg, 17);
	return 0;
}

static int opt_name(struct sim *sim, const char *arg)
{
	return set_word(scn.who.name, sizeof(scn.who.name), arg, " .,'-");
}

static int opt_serial(struct sim *sim, const char *arg)
{
	return set_word(scn.serial, sizeof(scn.serial), arg, "-_");
}

static const struct sim_option options[] = {
	{ "port", "N", "TCP port of the eSCL server on 127.0.0.1 (default 8095; 0 picks a free "
		"one, shown by the device socket and status)", NULL, &scn.port, 0, 65535 },
	{ "adf", "N", "sheets in the feeder at start, 0 to 50 (default 2)",
		NULL, &scn.adf_sheets, 0, SCANNER_ADF_MAX },
	{ "document", "DOC", "what lies on the glass and in the feeder: f102 (two pages), kk, "
		"akta_nikah, ijazah or blank (default f102)", opt_document },
	{ "nik", "DIGITS", "the applicant's NIK, 16 digits (default from the seed)", opt_nik },
	{ "name", "NAME", "the applicant's name in capitals (default from the seed)", opt_name },
	{ "serial", "TEXT", "serial number, capitals, digits, - and _ (default RKS- and 8 hex "
		"digits from the seed)", opt_serial },
	{ NULL },
};

/* --- control commands ---------------------------------------------------------------- */

static int cmd_load(struct sim *sim, const char *arg, char *out, size_t outlen)
{
	char buf[64], *doc;
	enum scanner_doc d = scn.adf_doc;
	uint64_t v;

	snprintf(buf, sizeof(buf), "%s", arg);
	doc = strchr(buf, ' ');
	if (doc) {
		*doc++ = '\0';
		doc += strspn(doc, " ");
	}
	if (sim_parse_uint(buf, 0, SCANNER_ADF_MAX, &v) < 0 ||
			(doc && scanner_doc_parse(doc, &d) < 0)) {
		snprintf(out, outlen, "load wants N (0-%d) and optionally a document "
			"(f102, kk, akta_nikah, ijazah, blank)", SCANNER_ADF_MAX);
		return -EINVAL;
	}
	scn.adf_sheets = (unsigned int)v;
	scn.adf_doc = d;
	scn.adf_first_page = 0;
	snprintf(out, outlen, "adf=%u document=%s", scn.adf_sheets, scanner_doc_name(d));
	return 0;
}

static int cmd_document(struct sim *sim, const char *arg, char *out, size_t outlen)
{
	if (scanner_doc_parse(arg, &scn.platen_doc) < 0) {
		snprintf(out, outlen, "document wants f102, kk, akta_nikah, ijazah or blank");
		return -EINVAL;
	}
	snprintf(out, outlen, "platen=%s", scanner_doc_name(scn.platen_doc));
	return 0;
}

static int cmd_empty(struct sim *sim, const char *arg, char *out, size_t outlen)
{
	scn.adf_sheets = 0;
	snprintf(out, outlen, "adf=0");
	return 0;
}

static int cmd_jam(struct sim *sim, const char *arg, char *out, size_t outlen)
{
	uint64_t v = 2;

	if (arg && sim_parse_uint(arg, 1, SCANNER_ADF_MAX, &v) < 0) {
		snprintf(out, outlen, "jam wants a page number from 1 to %d", SCANNER_ADF_MAX);
		return -EINVAL;
	}
	scn.jam_at = (unsigned int)v;
	snprintf(out, outlen, "the feeder jams at page %u of the next job", scn.jam_at);
	return 0;
}

static int cmd_cover_open(struct sim *sim, const char *arg, char *out, size_t outlen)
{
	scn.cover_open = true;
	snprintf(out, outlen, "adf-state=%s", scanner_adf_state(&scn));
	return 0;
}

static int cmd_clear(struct sim *sim, const char *arg, char *out, size_t outlen)
{
	scn.jammed = false;
	scn.cover_open = false;
	scn.jam_at = 0;
	scn.busy = 0;
	scn.drop = false;
	scn.slow_ms = 0;
	snprintf(out, outlen, "adf-state=%s", scanner_adf_state(&scn));
	return 0;
}

static int cmd_busy(struct sim *sim, const char *arg, char *out, size_t outlen)
{
	uint64_t v = 1;

	if (arg && sim_parse_uint(arg, 0, 1000, &v) < 0) {
		snprintf(out, outlen, "busy wants a count from 0 to 1000");
		return -EINVAL;
	}
	scn.busy = (unsigned int)v;
	snprintf(out, outlen, "the next %u ScanJobs request(s) answer 503", scn.busy);
	return 0;
}

static int cmd_slow(struct sim *sim, const char *arg, char *out, size_t outlen)
{
	uint64_t v;

	if (sim_parse_uint(arg, 0, 600000, &v) < 0) {
		snprintf(out, outlen, "slow wants milliseconds from 0 to 600000");
		return -EINVAL;
	}
	scn.slow_ms = (unsigned int)v;
	snprintf(out, outlen, "slow=%u", scn.slow_ms);
	return 0;
}

static const struct sim_command commands[] = {
	{ "load", SIM_ARG_REQUIRED, "N [DOC]",
		"put N sheets in the feeder (of document DOC: f102, kk, akta_nikah, ijazah, "
		"blank; default the last one)", cmd_load },
	{ "document", SIM_ARG_REQUIRED, "DOC", "lay document DOC on the glass", cmd_document },
	{ "empty", SIM_ARG_NONE, NULL, "take every sheet out of the feeder", cmd_empty },
	{ "jam", SIM_ARG_OPTIONAL, "N",
		"page N (default 2) of the next feeder job jams: NextDocument answers 503, "
		"AdfState becomes ScannerAdfJam until clear", cmd_jam },
	{ "cover-open", SIM_ARG_NONE, NULL,
		"open the feeder cover: feeder jobs answer 409, AdfState ScannerAdfDoorOpen",
		cmd_cover_open },
	{ "clear", SIM_ARG_NONE, NULL,
		"the operator clears the jam and closes the cover; busy, slow and drop end too",
		cmd_clear },
	{ "busy", SIM_ARG_OPTIONAL, "N",
		"the next N (default 1) ScanJobs requests answer 503 with State Processing",
		cmd_busy },
	{ "slow", SIM_ARG_REQUIRED, "MS",
		"every page takes MS more real milliseconds; 0 turns it off", cmd_slow },
	{ "drop", SIM_ARG_NONE, NULL,
		"the next page sends half of its JPEG, then the connection closes",
		NULL, &scn.drop, "the next page stops halfway and the connection closes" },
	{ NULL },
};

/* --- device callbacks ------------------------------------------------------------------ */

/* The framework's Unix socket: a host learns where the scanner listens. */
static void on_connected(struct sim *sim)
{
	sim_device_printf(sim, "ESCL http://127.0.0.1:%u/eSCL %s %s", scn.bound_port,
		SCANNER_MODEL, scn.serial);
	sim_device_hangup(sim);
}

static void on_status(struct sim *sim, struct evbuffer *out)
{
	evbuffer_add_printf(out, " escl=http://127.0.0.1:%u/eSCL requests=%lu bad-requests=%lu "
		"jobs=%u pages=%lu jams=%lu adf=%u adf-document=%s platen=%s adf-state=%s "
		"busy=%u slow=%u drop=%s jam-at=%u scanning=%s",
		scn.bound_port, scn.requests, scn.bad_requests, scn.next_job, scn.pages, scn.jams,
		scn.adf_sheets, scanner_doc_name(scn.adf_doc), scanner_doc_name(scn.platen_doc),
		scanner_adf_state(&scn), scn.busy, scn.slow_ms, scn.drop ? "armed" : "no",
		scn.jam_at, scanner_busy_scanning(&scn) ? "yes" : "no");
	if (scn.pages)
		evbuffer_add_printf(out, " last-document=%s last-size=%ux%u last-dpi=%u "
			"last-mode=%s last-bytes=%zu last-sha256=%s", scn.last_doc, scn.last_w,
			scn.last_h, scn.last_dpi, scn.last_mode, scn.last_len, scn.last_sha256);
	evbuffer_add_printf(out, " nik=%s serial=%s", scn.who.nik, scn.serial);
}

static void on_reseeded(struct sim *sim)
{
	scanner_applicant_fill(&scn);
}

static const struct sim_device_ops ops = {
	.connected = on_connected,
	.status = on_status,
	.reseeded = on_reseeded,
};

static int init(struct sim *sim)
{
	uint64_t sm = sim_seed(sim);

	scn.sim = sim;
	if (!scn.serial[0])
		snprintf(scn.serial, sizeof(scn.serial), "RKS-%08X",
			(unsigned int)(sim_splitmix64(&sm) >> 32));
	snprintf(scn.uuid, sizeof(scn.uuid), "%08x-5343-4e52-8000-%012llx",
		(unsigned int)(sim_splitmix64(&sm) >> 32),
		(unsigned long long)(sim_splitmix64(&sm) & 0xffffffffffffULL));
	scanner_applicant_fill(&scn);
	return scanner_escl_open(&scn);
}

static void fini(struct sim *sim)
{
	scanner_escl_close(&scn);
	cairo_debug_reset_static_data();
	FcFini(); /* the fonts cairo's text loaded */
}

static const struct sim_descriptor descriptor = {
	.name = "rekam-sim-scanner",
	.summary = "A simulated eSCL (AirScan) document scanner (" SCANNER_MODEL ") for rekam's "
		"tests and demo.",
	.description =
		"It answers eSCL over HTTP on 127.0.0.1, as a networked scanner does, so\n"
		"sane-airscan (and scanimage through it) drives it as an AirScan device at\n"
		"http://127.0.0.1:PORT/eSCL. It has a flatbed (Platen) and a sheet feeder\n"
		"(Feeder, simplex, 50 sheets), colour (RGB24) and grey (Grayscale8), 75 to\n"
		"600 dpi, JPEG pages (or one PDF per job) of up to 8.5 x 11.7 inches. It scans\n"
		"the applicant's papers: form F1.02 (two pages), a family card (kk), a marriage\n"
		"certificate (akta_nikah) or a diploma (ijazah), carrying the applicant's\n"
		"NIK, name, birth, address and family from --nik, --name and the seed,\n"
		"slightly askew, with paper tone, dust and sensor noise. A page takes\n"
		"2 s (scaled by --time-scale). The same seed and the same commands give\n"
		"the same JPEG bytes. The Unix socket of --socket only tells a host where\n"
		"the scanner listens: it sends one line \"ESCL URL MODEL SERIAL\" and closes.\n"
		"When the TCP port cannot be bound the simulator exits with status 70.",
	.protocol =
		"  eSCL 2.63 (HTTP/1.1, XML in the pwg and scan namespaces):\n"
		"  GET /eSCL/ScannerCapabilities, GET /eSCL/ScannerStatus (State, AdfState,\n"
		"  Jobs), POST /eSCL/ScanJobs with ScanSettings (201 Created and a Location;\n"
		"  409 for settings it cannot do or a jammed, open or empty feeder; 503 when\n"
		"  busy), GET <job>/NextDocument (one image/jpeg page, or the whole document\n"
		"  as application/pdf; 404 when the job has no more; 503 on a paper jam),\n"
		"  DELETE <job> (cancel). A malformed request\n"
		"  gets 400 or 404 and changes nothing. `fail CODE` makes the next page\n"
		"  answer 500; `delay MS` adds to every page; unplug closes the TCP port.\n",
	.example =
		"  rekam-sim-scanner --socket /tmp/scn.sock --control /tmp/scn.ctl \\\n"
		"          --port 28095 --adf 2 --document f102 --seed 7 &\n"
		"  mkdir -p /tmp/sane && echo airscan > /tmp/sane/dll.conf\n"
		"  printf '[devices]\\n\"Sim\" = http://127.0.0.1:28095/eSCL, eSCL\\n"
		"[options]\\ndiscovery = disable\\n' > /tmp/sane/airscan.conf\n"
		"  SANE_CONFIG_DIR=/tmp/sane scanimage -d 'airscan:e0:Sim' \\\n"
		"          --source ADF --resolution 150 --batch=/tmp/page%d.png --format png\n"
		"  echo 'jam 2' | socat - UNIX-CONNECT:/tmp/scn.ctl\n"
		"  echo 'quit' | socat - UNIX-CONNECT:/tmp/scn.ctl\n"
		"\n"
		"See also: docs/scanner.md, scanimage(1), sane-airscan(5).\n",
	.busy_reply = "ERR busy another host is connected",
	.options = options,
	.commands = commands,
	.ops = &ops,
	.init = init,
	.fini = fini,
};

int main(int argc, char **argv)
{
	return sim_main(&descriptor, &scn, argc, argv);
}
