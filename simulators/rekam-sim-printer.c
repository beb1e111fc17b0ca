// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * rekam - device simulators
 *
 * rekam-sim-printer.c - the simulated card printer: an IPP printer (a
 * Fargo-like dye-sublimation CR-80 card printer with an inline encoder)
 * that ipptool and libcups accept. Its command line, control commands and
 * identity are here, on the simulator library; the IPP server is
 * printer-ipp.c and printer-attrs.c, the mechanics printer-engine.c, the
 * encoder printer-encoder.c.
 */
#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "simulators/printer.h"

static struct printer printer = {
	.port = PRINTER_PORT_DEFAULT,
	.cards = PRINTER_CARDS_DEFAULT,
	.hopper_capacity = PRINTER_CARDS_DEFAULT,
	.ribbon = PRINTER_RIBBON_DEFAULT,
	.ribbon_capacity = PRINTER_RIBBON_DEFAULT,
	.next_id = 1,
};

/* --- options --------------------------------------------------------------------- */

static int opt_output_dir(struct sim *sim, const char *arg)
{
	struct stat st;

	if (!*arg || stat(arg, &st) < 0 || !S_ISDIR(st.st_mode))
		return -EINVAL;
	printer.output_dir = arg;
	return 0;
}

static int opt_cards(struct sim *sim, const char *arg)
{
	uint64_t v;

	if (sim_parse_uint(arg, 0, PRINTER_HOPPER_MAX, &v) < 0)
		return -EINVAL;
	printer.cards = (unsigned int)v;
	printer.hopper_capacity = v > PRINTER_CARDS_DEFAULT ? (unsigned int)v :
		PRINTER_CARDS_DEFAULT;
	return 0;
}

static int opt_ribbon(struct sim *sim, const char *arg)
{
	uint64_t v;

	if (sim_parse_uint(arg, 1, PRINTER_RIBBON_MAX, &v) < 0)
		return -EINVAL;
	printer.ribbon = printer.ribbon_capacity = (unsigned int)v;
	return 0;
}

static int opt_card_control(struct sim *sim, const char *arg)
{
	if (!*arg || strlen(arg) >= 108)
		return -EINVAL;
	printer.card_control = arg;
	return 0;
}

static int opt_serial(struct sim *sim, const char *arg)
{
	size_t i, n = strlen(arg);

	if (n == 0 || n >= sizeof(printer.serial))
		return -EINVAL;
	for (i = 0; i < n; i++)
		if (arg[i] <= ' ' || arg[i] > '~' || arg[i] == ';')
			return -EINVAL;
	memcpy(printer.serial, arg, n + 1);
	return 0;
}

static const struct sim_option options[] = {
	{ "port", "N", "TCP port of the IPP printer on 127.0.0.1 (default 8631); the printer "
		"is ipp://127.0.0.1:N/ipp/print", NULL, &printer.port, 1, 65535 },
	{ "output-dir", "DIR", "where every printed side is written as "
		"job-NNNN-front.png / job-NNNN-back.png (required; an existing directory)",
		opt_output_dir },
	{ "cards", "N", "blank cards in the input hopper at start (default 100)", opt_cards },
	{ "ribbon", "N", "panel sets of a new YMCKO ribbon, one per printed side (default 500)",
		opt_ribbon },
	{ "card-control", "PATH", "the control socket of rekam-sim-card, the reader of the inline "
		"encoder: stage inserts a new blank card there, eject and reject remove it "
		"(default: no encoder link; stage only moves the card)", opt_card_control },
	{ "serial", "TEXT", "serial number (default C and 8 digits from the seed)", opt_serial },
	{ NULL },
};

/* --- control commands ---------------------------------------------------------------- */

static int answer_state(char *out, size_t outlen)
{
	char reasons[200];

	printer_state_reasons(&printer, reasons, sizeof(reasons));
	snprintf(out, outlen, "printer-state-reasons=%s", reasons);
	return 0;
}

static int cmd_jam(struct sim *sim, const char *arg, char *out, size_t outlen)
{
	if (printer.active) {
		printer.jammed = true;
		printer_fault(&printer, "media-jam", "the card jammed while it was being printed");
		printer_kick(&printer);
		return answer_state(out, outlen);
	}
	printer.jam_armed = true;
	snprintf(out, outlen, "the next card jams after its first side");
	return 0;
}

static int cmd_clear(struct sim *sim, const char *arg, char *out, size_t outlen)
{
	printer.jammed = printer.jam_armed = false;
	printer.cover_open = printer.offline = false;
	printer_kick(&printer);
	return answer_state(out, outlen);
}

static int cmd_cover_open(struct sim *sim, const char *arg, char *out, size_t outlen)
{
	printer.cover_open = true;
	printer_fault(&printer, "cover-open", "the cover was opened while printing");
	return answer_state(out, outlen);
}

static int cmd_cover_close(struct sim *sim, const char *arg, char *out, size_t outlen)
{
	printer.cover_open = false;
	printer_kick(&printer);
	return answer_state(out, outlen);
}

static int cmd_offline(struct sim *sim, const char *arg, char *out, size_t outlen)
{
	printer.offline = true;
	printer_fault(&printer, "offline", "the printer went offline while printing");
	return answer_state(out, outlen);
}

static int cmd_online(struct sim *sim, const char *arg, char *out, size_t outlen)
{
	printer.offline = false;
	printer_kick(&printer);
	return answer_state(out, outlen);
}

static int cmd_ribbon(struct sim *sim, const char *arg, char *out, size_t outlen)
{
	uint64_t v = printer.ribbon_capacity;

	if (arg && sim_parse_uint(arg, 0, printer.ribbon_capacity, &v) < 0) {
		snprintf(out, outlen, "ribbon wants the panel sets left, 0 to %u",
				printer.ribbon_capacity);
		return -EINVAL;
	}
	printer.ribbon = (unsigned int)v;
	if (!printer.ribbon)
		printer_fault(&printer, "marker-supply-empty", "the ribbon ran out");
	printer_kick(&printer);
	return answer_state(out, outlen);
}

static int cmd_ribbon_low(struct sim *sim, const char *arg, char *out, size_t outlen)
{
	printer.ribbon = printer.ribbon_capacity * PRINTER_RIBBON_LOW_PERCENT / 100;
	if (!printer.ribbon)
		printer.ribbon = 1;
	printer_kick(&printer);
	return answer_state(out, outlen);
}

static int cmd_ribbon_out(struct sim *sim, const char *arg, char *out, size_t outlen)
{
	return cmd_ribbon(sim, "0", out, outlen);
}

static int cmd_hopper(struct sim *sim, const char *arg, char *out, size_t outlen)
{
	uint64_t v;

	if (sim_parse_uint(arg, 0, PRINTER_HOPPER_MAX, &v) < 0) {
		snprintf(out, outlen, "hopper wants a number of cards, 0 to %d", PRINTER_HOPPER_MAX);
		return -EINVAL;
	}
	printer.cards = (unsigned int)v;
	if (printer.cards > printer.hopper_capacity)
		printer.hopper_capacity = printer.cards;
	printer_kick(&printer);
	return answer_state(out, outlen);
}

static int cmd_hopper_empty(struct sim *sim, const char *arg, char *out, size_t outlen)
{
	return cmd_hopper(sim, "0", out, outlen);
}

static int encoder_answer(int r, char *why, char *out, size_t outlen)
{
	snprintf(out, outlen, "%s", why);
	return r;
}

static int cmd_stage(struct sim *sim, const char *arg, char *out, size_t outlen)
{
	char why[256];

	return encoder_answer(printer_stage(&printer, why, sizeof(why)), why, out, outlen);
}

static int cmd_eject(struct sim *sim, const char *arg, char *out, size_t outlen)
{
	char why[256];

	return encoder_answer(printer_eject(&printer, why, sizeof(why)), why, out, outlen);
}

static int cmd_reject(struct sim *sim, const char *arg, char *out, size_t outlen)
{
	char why[256];

	return encoder_answer(printer_reject(&printer, why, sizeof(why)), why, out, outlen);
}

static const struct sim_command commands[] = {
	{ "jam", SIM_ARG_NONE, NULL,
		"a card jams: the one being printed now, or else the next card after its first "
		"side; the job is aborted, the card spoiled, media-jam-error until clear",
		cmd_jam },
	{ "clear", SIM_ARG_NONE, NULL,
		"the operator clears a jam, closes the cover and puts the printer online; "
		"waiting jobs start", cmd_clear },
	{ "cover-open", SIM_ARG_NONE, NULL,
		"open the cover (cover-open-error); a card being printed is spoiled",
		cmd_cover_open },
	{ "cover-close", SIM_ARG_NONE, NULL, "close the cover", cmd_cover_close },
	{ "offline", SIM_ARG_NONE, NULL,
		"the printer goes offline (offline-report): new jobs are refused and a card "
		"being printed is spoiled; IPP still answers", cmd_offline },
	{ "online", SIM_ARG_NONE, NULL, "the printer comes back online", cmd_online },
	{ "ribbon", SIM_ARG_OPTIONAL, "N",
		"a new ribbon (full), or N panel sets left on it", cmd_ribbon },
	{ "ribbon-low", SIM_ARG_NONE, NULL,
		"leave 10 % of the ribbon (marker-supply-low-warning)", cmd_ribbon_low },
	{ "ribbon-out", SIM_ARG_NONE, NULL,
		"the ribbon is used up (marker-supply-empty-error); a card being printed is "
		"spoiled", cmd_ribbon_out },
	{ "hopper", SIM_ARG_REQUIRED, "N", "N blank cards in the input hopper", cmd_hopper },
	{ "hopper-empty", SIM_ARG_NONE, NULL,
		"no blank card left (media-empty-error)", cmd_hopper_empty },
	{ "stage", SIM_ARG_NONE, NULL,
		"as the IPP operation: a blank card to the encoder (rekam-sim-card new-card, "
		"insert)", cmd_stage },
	{ "eject", SIM_ARG_NONE, NULL,
		"as the IPP operation: the staged card to the output tray (rekam-sim-card "
		"remove)", cmd_eject },
	{ "reject", SIM_ARG_NONE, NULL,
		"as the IPP operation: the staged card to the reject tray, spoiled "
		"(rekam-sim-card remove)", cmd_reject },
	{ NULL },
};

/* --- device callbacks ------------------------------------------------------------------ */

/* The framework's Unix socket: a host learns where the printer listens. */
static void on_connected(struct sim *sim)
{
	sim_device_printf(sim, "IPP ipp://127.0.0.1:%u%s %s %s", printer.port, PRINTER_RESOURCE,
			PRINTER_MODEL, printer.serial);
	sim_device_hangup(sim);
}

static void on_status(struct sim *sim, struct evbuffer *out)
{
	char reasons[200];
	const struct printer_job *last = printer.njobs ? printer.jobs[printer.njobs - 1] : NULL;

	printer_state_reasons(&printer, reasons, sizeof(reasons));
	evbuffer_add_printf(out, " ipp=ipp://127.0.0.1:%u%s state=%s reasons=%s cards=%u "
			"ribbon=%u/%u ribbon-percent=%d printed=%lu spoiled=%lu ejected=%lu "
			"rejected=%lu impressions=%lu staged=%s stages=%lu jam=%s jobs=%d "
			"active=%d requests=%lu bad-requests=%lu",
			printer.port, PRINTER_RESOURCE,
			printer_state(&printer) == IPP_PSTATE_IDLE ? "idle" :
			printer_state(&printer) == IPP_PSTATE_PROCESSING ? "processing" : "stopped",
			reasons, printer.cards, printer.ribbon, printer.ribbon_capacity,
			printer_ribbon_percent(&printer), printer.printed, printer.spoiled,
			printer.ejected, printer.rejected, printer.impressions,
			printer.staged ? "yes" : "no", printer.stages,
			printer.jammed ? "jammed" : printer.jam_armed ? "armed" : "no",
			printer.njobs, printer.active ? printer.active->id : 0, printer.requests,
			printer.bad_requests);
	if (last)
		evbuffer_add_printf(out, " last-job=%d last-job-state=%s", last->id,
				printer_job_state_name(last->state));
	evbuffer_add_printf(out, " last-front=%s last-back=%s serial=%s",
			printer.last_output[PRINTER_FRONT][0] ? printer.last_output[PRINTER_FRONT] :
			"none",
			printer.last_output[PRINTER_BACK][0] ? printer.last_output[PRINTER_BACK] :
			"none", printer.serial);
}

static const struct sim_device_ops ops = {
	.connected = on_connected,
	.status = on_status,
};

static int init(struct sim *sim)
{
	uint64_t sm = sim_seed(sim);
	uint64_t a, b;
	int r;

	printer.sim = sim;
	printer.started = time(NULL);
	if (!printer.output_dir) {
		sim_err("--output-dir is required");
		return -EINVAL;
	}
	if (!printer.serial[0])
		snprintf(printer.serial, sizeof(printer.serial), "C%08u",
				(unsigned int)(sim_splitmix64(&sm) % 100000000u));
	a = sim_splitmix64(&sm);
	b = sim_splitmix64(&sm);
	snprintf(printer.uuid, sizeof(printer.uuid), "urn:uuid:%08x-%04x-4%03x-8%03x-%012llx",
			(unsigned int)(a >> 32), (unsigned int)(a >> 16) & 0xffff,
			(unsigned int)a & 0xfff, (unsigned int)(b >> 52) & 0xfff,
			(unsigned long long)(b & 0xffffffffffffULL));
	r = printer_engine_init(&printer);
	if (r < 0)
		return r;
	return printer_ipp_open(&printer);
}

static void fini(struct sim *sim)
{
	printer_ipp_close(&printer);
	printer_engine_fini(&printer);
	cairo_debug_reset_static_data();
}

static const struct sim_descriptor descriptor = {
	.name = "rekam-sim-printer",
	.summary = "A simulated IPP card printer (" PRINTER_MAKE " " PRINTER_MODEL ", CR-80,\n"
		"YMCKO ribbon, inline encoder) for rekam's tests and demo.",
	.description =
		"It answers IPP/1.1 and IPP/2.0 over HTTP on 127.0.0.1 (--port), so libcups,\n"
		"ipptool and CUPS drive it as ipp://127.0.0.1:PORT/ipp/print. A card side is a\n"
		"PNG (image/png, or application/octet-stream holding a PNG, at most 4000x4000\n"
		"pixels): Print-Job prints a one-sided card, Create-Job and two Send-Document\n"
		"a card with front and back. One job prints at a time: feeding a card takes\n"
		"1.5 s and each side 6 s (scaled by --time-scale), each side uses one ribbon\n"
		"panel set, and every printed side is written to --output-dir as\n"
		"job-NNNN-front.png / job-NNNN-back.png, the very bytes received. While the\n"
		"printer is stopped (a jam, the cover open, offline, the ribbon used up, the\n"
		"hopper empty) jobs wait, pending, with printer-state-reasons saying why.\n"
		"The inline encoder is driven by three IPP vendor operations (stage 0x7E01,\n"
		"eject 0x7E02, reject 0x7E03) and the same control commands; a print while a\n"
		"card is staged prints that card and ejects it. The Unix socket of --socket\n"
		"only tells a host where the printer listens: it sends one line\n"
		"\"IPP URI MODEL SERIAL\" and closes. When the TCP port cannot be bound the\n"
		"simulator exits with status 70.",
	.protocol =
		"  IPP (RFC 8010/8011) in HTTP POSTs to /ipp/print, Content-Type\n"
		"  application/ipp. Operations: Print-Job, Validate-Job, Create-Job,\n"
		"  Send-Document, Cancel-Job, Get-Job-Attributes, Get-Jobs,\n"
		"  Get-Printer-Attributes, and the vendor operations 0x7E01 stage,\n"
		"  0x7E02 eject, 0x7E03 reject (operation attributes only; the answer's\n"
		"  status-message says what happened). Supplies: marker-levels (the ribbon,\n"
		"  percent), printer-input-tray (the hopper), rekam-cards-left,\n"
		"  rekam-cards-printed, rekam-cards-spoiled. `fail CODE` makes the next IPP\n"
		"  request answer server-error-internal-error; `delay` and `quality` do not\n"
		"  apply; unplug closes the IPP port too.\n",
	.example =
		"  rekam-sim-printer --socket /tmp/prn.sock --control /tmp/prn.ctl \\\n"
		"          --port 28631 --output-dir /tmp/cards --time-scale 0.1 &\n"
		"  ipptool -tv -f front.png ipp://127.0.0.1:28631/ipp/print print-job.test\n"
		"  ipptool -tv ipp://127.0.0.1:28631/ipp/print get-printer-attributes.test\n"
		"  echo 'ribbon-low' | socat - UNIX-CONNECT:/tmp/prn.ctl\n"
		"  echo 'jam' | socat - UNIX-CONNECT:/tmp/prn.ctl\n"
		"\n"
		"See also: docs/printer.md, ipptool(1).\n",
	.busy_reply = "ERR busy another host is connected",
	.options = options,
	.commands = commands,
	.ops = &ops,
	.init = init,
	.fini = fini,
};

int main(int argc, char **argv)
{
	return sim_main(&descriptor, &printer, argc, argv);
}
