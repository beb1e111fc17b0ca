// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * rekam - device simulators
 *
 * rekam-sim-card.c - the simulated KTP-el chip: its command line, control
 * commands and the link to pcscd's vpcd reader driver (a TCP client that
 * reconnects), on the simulator library. The chip itself is in
 * card-apdu.c and card-state.c.
 */
#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <event2/bufferevent.h>
#include <event2/util.h>

#include "simulators/card-chip.h"

#define VPCD_DEFAULT "127.0.0.1:35963"
#define RECONNECT_MS 200 /* real time, not scaled: how often vpcd is tried */
#define NEW_CARD_GAP_MS 1000 /* real time: how long new-card leaves the reader empty */

/* vpcd's one-byte control messages */
enum { VPCD_POWER_OFF = 0, VPCD_POWER_ON = 1, VPCD_RESET = 2, VPCD_GET_ATR = 4 };

static struct card card;

static struct {
	const char *vpcd; /* HOST:PORT, or NULL for off */
	struct sockaddr_storage addr;
	int addrlen;
	struct bufferevent *bev;
	bool connected;
	bool down_logged;
	struct event *retry;
	bool inserted;
	unsigned long connections;
	uint8_t *resp;
} link = { .vpcd = VPCD_DEFAULT, .inserted = true };

typedef int (*write_fn)(void *ctx, const void *data, size_t len);

static void link_connect(void);

/* --- framing (both endpoints) ----------------------------------------------------------- */

static int send_frame(write_fn out, void *ctx, const uint8_t *data, size_t len)
{
	uint8_t head[2] = { (uint8_t)(len >> 8), (uint8_t)len };
	int r = out(ctx, head, 2);

	return r < 0 || !len ? r : out(ctx, data, len);
}

/* Serve every complete frame in `in`. Returns CARD_ACT_TEAR when the card
 * must leave now (the rest of the input is dropped). */
static enum card_action serve(struct evbuffer *in, write_fn out, void *ctx)
{
	enum card_action action = CARD_ACT_NONE;
	uint8_t head[2], *frame;
	size_t len, n;

	while (evbuffer_copyout(in, head, 2) == 2) {
		len = (size_t)(head[0] << 8 | head[1]);
		if (evbuffer_get_length(in) < 2 + len)
			break;
		evbuffer_drain(in, 2);
		frame = evbuffer_pullup(in, (ev_ssize_t)len);
		if (len == 0) {
			continue;
		} else if (len == 1) {
			switch (frame[0]) {
			case VPCD_POWER_OFF:
				sim_debug("power off");
				card.powered = false;
				card_reset(&card);
				break;
			case VPCD_POWER_ON:
			case VPCD_RESET:
				sim_debug("%s", frame[0] == VPCD_RESET ? "reset" : "power on");
				card.powered = true;
				card_reset(&card);
				break;
			case VPCD_GET_ATR:
				n = link.inserted ? card_atr(link.resp, 64) : 0;
				send_frame(out, ctx, link.resp, n);
				break;
			default:
				sim_warn("unknown vpcd control message %u", frame[0]);
				break;
			}
		} else if (!link.inserted) {
			send_frame(out, ctx, NULL, 0);
		} else {
			n = card_apdu(&card, frame, len, link.resp, &action);
			if (action == CARD_ACT_TEAR) {
				evbuffer_drain(in, len);
				return action;
			}
			send_frame(out, ctx, link.resp, n);
		}
		evbuffer_drain(in, len);
	}
	return action;
}

/* --- the vpcd link: a TCP client, reconnecting while the card is inserted ------------- */

static int link_write(void *ctx, const void *data, size_t len)
{
	return bufferevent_write(link.bev, data, len) < 0 ? -ENOMEM : 0;
}

static void link_drop(void)
{
	if (link.bev) {
		bufferevent_free(link.bev);
		link.bev = NULL;
	}
	if (link.connected)
		sim_info("disconnected from vpcd at %s", link.vpcd);
	link.connected = false;
	card.powered = false;
	card_reset(&card);
}

static void link_schedule(void)
{
	struct timeval tv;

	if (!link.vpcd || !link.inserted)
		return;
	sim_clock_us_tv(RECONNECT_MS * 1000ULL, &tv);
	evtimer_add(link.retry, &tv);
}

/* The card leaves the reader (remove, tear): pcscd sees the connection go. */
static void card_out(void)
{
	link.inserted = false;
	evtimer_del(link.retry);
	link_drop();
	sim_device_hangup(card.sim);
}

static void card_in(void)
{
	link.inserted = true;
	link_connect();
}

static void link_read_cb(struct bufferevent *bev, void *arg)
{
	int one = 1;

	/* vpcd writes a frame's length and its bytes separately: acknowledge at
	 * once, or Nagle holds the bytes back for our delayed ACK (~40 ms per APDU) */
	setsockopt(bufferevent_getfd(bev), IPPROTO_TCP, TCP_QUICKACK, &one, sizeof(one));
	if (serve(bufferevent_get_input(bev), link_write, NULL) == CARD_ACT_TEAR)
		card_out();
}

static void link_event_cb(struct bufferevent *bev, short what, void *arg)
{
	if (what & BEV_EVENT_CONNECTED) {
		int one = 1;

		setsockopt(bufferevent_getfd(bev), IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		link.connected = true;
		link.down_logged = false;
		link.connections++;
		sim_info("connected to vpcd at %s: card inserted", link.vpcd);
		return;
	}
	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR)) {
		if (!link.connected && !link.down_logged) {
			sim_info("vpcd at %s is not there yet: retrying every %d ms", link.vpcd,
					RECONNECT_MS);
			link.down_logged = true;
		}
		link_drop();
		link_schedule();
	}
}

static void link_connect(void)
{
	if (!link.vpcd || !link.inserted || link.bev)
		return;
	link.bev = bufferevent_socket_new(sim_base(card.sim), -1, BEV_OPT_CLOSE_ON_FREE);
	if (!link.bev) {
		link_schedule();
		return;
	}
	bufferevent_setcb(link.bev, link_read_cb, NULL, link_event_cb, NULL);
	bufferevent_enable(link.bev, EV_READ | EV_WRITE);
	if (bufferevent_socket_connect(link.bev, (struct sockaddr *)&link.addr,
				link.addrlen) < 0) {
		link_drop();
		link_schedule();
	}
}

static void retry_cb(evutil_socket_t fd, short what, void *arg)
{
	link_connect();
}

/* --- the direct endpoint (--socket): the same framing, the host plays vpcd ------------ */

static int direct_write(void *ctx, const void *data, size_t len)
{
	return sim_device_write(card.sim, data, len);
}

static void on_readable(struct sim *sim, struct evbuffer *in)
{
	if (serve(in, direct_write, NULL) == CARD_ACT_TEAR)
		card_out();
}

static void on_host_eof(struct sim *sim)
{
	sim_device_hangup(sim);
}

static void on_status(struct sim *sim, struct evbuffer *out)
{
	size_t i;

	evbuffer_add_printf(out, " card=%s vpcd=%s number=%llu uid=",
			link.inserted ? "inserted" : "removed",
			!link.vpcd ? "off" : link.connected ? "connected" : "connecting",
			(unsigned long long)card.number);
	for (i = 0; i < CARD_UID_LEN; i++)
		evbuffer_add_printf(out, "%02X", card.uid[i]);
	evbuffer_add_printf(out, " lifecycle=%s powered=%s authenticated=%s apdus=%lu "
			"writes=%lu saves=%lu fail-write-after=%s tear=%s wrong-key=%s",
			card_lifecycle_name(card.lifecycle), card.powered ? "yes" : "no",
			card.authenticated ? "yes" : "no", card.apdus, card.writes, card.saves,
			card.fail_write_armed ? "armed" : "no", card.tear_armed ? "armed" : "no",
			card.wrong_key ? "armed" : "no");
}

/* --- options ------------------------------------------------------------------------ */

static int opt_vpcd(struct sim *sim, const char *arg)
{
	if (strcmp(arg, "off") == 0) {
		link.vpcd = NULL;
		return 0;
	}
	link.addrlen = sizeof(link.addr);
	if (evutil_parse_sockaddr_port(arg, (struct sockaddr *)&link.addr, &link.addrlen) < 0 ||
			!strrchr(arg, ':'))
		return -EINVAL;
	link.vpcd = arg;
	return 0;
}

static int opt_key(struct sim *sim, const char *arg)
{
	return card_parse_hex(arg, card.key, CARD_KEY_LEN);
}

static int opt_state(struct sim *sim, const char *arg)
{
	if (!*arg)
		return -EINVAL;
	card.state_path = arg;
	return 0;
}

static int opt_card(struct sim *sim, const char *arg)
{
	uint64_t v;

	if (sim_parse_uint(arg, 1, UINT32_MAX, &v) < 0)
		return -EINVAL;
	card.number = v;
	return 0;
}

static int opt_removed(struct sim *sim, const char *arg)
{
	link.inserted = false;
	return 0;
}

static const struct sim_option options[] = {
	{ "vpcd", "HOST:PORT",
		"the vpcd reader slot to connect to: an IP address and port (default "
		VPCD_DEFAULT ", slot 0 of Debian's vpcd); off: only the --socket endpoint",
		opt_vpcd },
	{ "key", "HEX", "the 16-byte AES personalization key as 32 hex digits (default "
		"000102...0F)", opt_key },
	{ "state", "FILE", "load the card from FILE at start (a new blank card when FILE "
		"does not exist) and save it there after every change", opt_state },
	{ "card", "N", "the number of the blank card at start (default 1); with --seed it "
		"gives the UID", opt_card },
	{ "removed", NULL, "start with the card out of the reader (insert puts it in)",
		opt_removed },
	{ NULL },
};

/* --- control commands ---------------------------------------------------------------- */

static int cmd_insert(struct sim *sim, const char *arg, char *out, size_t outlen)
{
	if (link.inserted) {
		snprintf(out, outlen, "the card is already inserted");
		return -EALREADY;
	}
	card_in();
	snprintf(out, outlen, "inserted");
	return 0;
}

static int cmd_remove(struct sim *sim, const char *arg, char *out, size_t outlen)
{
	if (!link.inserted) {
		snprintf(out, outlen, "the card is already removed");
		return -EALREADY;
	}
	card_out();
	snprintf(out, outlen, "removed");
	return 0;
}

static void format_uid(char *out, size_t outlen, const char *prefix)
{
	size_t i, n = (size_t)snprintf(out, outlen, "%s", prefix);

	for (i = 0; i < CARD_UID_LEN && n + 3 <= outlen; i++)
		n += (size_t)snprintf(out + n, outlen - n, "%02X", card.uid[i]);
}

static int cmd_new_card(struct sim *sim, const char *arg, char *out, size_t outlen)
{
	bool was_in = link.inserted;
	int r;

	if (was_in)
		card_out();
	card_blank(&card, card.number + 1);
	r = card_save(&card);
	if (was_in) {
		/* Out long enough for pcscd's presence polling (400 ms) to see
		 * the removal: a swap it misses is no new insertion for clients. */
		struct timeval gap = { NEW_CARD_GAP_MS / 1000, (NEW_CARD_GAP_MS % 1000) * 1000 };

		link.inserted = true;
		evtimer_add(link.retry, &gap);
	}
	if (r < 0) {
		snprintf(out, outlen, "cannot save %s: %s", card.state_path, strerror(-r));
		return r;
	}
	format_uid(out, outlen, "uid=");
	return 0;
}

static int cmd_fail_write_after(struct sim *sim, const char *arg, char *out, size_t outlen)
{
	uint64_t v;

	if (sim_parse_uint(arg, 0, CARD_CHAIN_MAX, &v) < 0) {
		snprintf(out, outlen, "fail-write-after wants a byte count from 0 to %d",
				CARD_CHAIN_MAX);
		return -EINVAL;
	}
	card.fail_write_armed = true;
	card.fail_write_after = (size_t)v;
	snprintf(out, outlen, "the next UPDATE BINARY writes %zu bytes, then fails with 6581",
			card.fail_write_after);
	return 0;
}

static int cmd_tear(struct sim *sim, const char *arg, char *out, size_t outlen)
{
	card.tear_armed = true;
	snprintf(out, outlen, "the next UPDATE BINARY writes half of its data, then the card "
			"is removed");
	return 0;
}

static int cmd_lock(struct sim *sim, const char *arg, char *out, size_t outlen)
{
	int r;

	card.lifecycle = CARD_LOCKED;
	card.authenticated = false;
	r = card_save(&card);
	if (r < 0) {
		snprintf(out, outlen, "cannot save %s: %s", card.state_path, strerror(-r));
		return r;
	}
	snprintf(out, outlen, "lifecycle=locked");
	return 0;
}

static const struct sim_command commands[] = {
	{ "insert", SIM_ARG_NONE, NULL,
		"put the card in the reader: connect to vpcd (pcscd sees a card)", cmd_insert },
	{ "remove", SIM_ARG_NONE, NULL,
		"take the card out: close the vpcd connection and stay away until insert "
		"(pcscd sees the card go); the card keeps its files", cmd_remove },
	{ "new-card", SIM_ARG_NONE, NULL,
		"a new blank card (the next card number, a new UID) replaces the card, saved "
		"to --state; pcscd sees a removal and an insertion", cmd_new_card },
	{ "fail-write-after", SIM_ARG_REQUIRED, "N",
		"the next UPDATE BINARY writes its first N bytes, then answers 6581",
		cmd_fail_write_after },
	{ "tear", SIM_ARG_NONE, NULL,
		"the next UPDATE BINARY writes half of its data, then the card is removed "
		"without an answer (as remove)", cmd_tear },
	{ "wrong-key", SIM_ARG_NONE, NULL,
		"the next MUTUAL AUTHENTICATE fails (6300): the card holds another key",
		NULL, &card.wrong_key, "the next MUTUAL AUTHENTICATE fails with 6300" },
	{ "lock", SIM_ARG_NONE, NULL,
		"lock the card now (as its LOCK command): every later write answers 6985",
		cmd_lock },
	{ NULL },
};

/* --- life ------------------------------------------------------------------------------- */

static const struct sim_device_ops ops = {
	.readable = on_readable,
	.host_eof = on_host_eof,
	.status = on_status,
};

static int init(struct sim *sim)
{
	int r;

	link.resp = malloc(CARD_RESPONSE_MAX);
	if (!link.resp)
		return -ENOMEM;
	r = card_init(&card, sim);
	if (r < 0)
		return r;
	if (card.state_path) {
		r = card_load(&card);
		if (r == -ENOENT) {
			r = card_save(&card);
			if (r < 0) {
				sim_err("cannot save %s: %s", card.state_path, strerror(-r));
				return r;
			}
		} else if (r < 0) {
			sim_err("cannot load %s: %s", card.state_path,
					r == -EINVAL ? "not a rekam-sim-card state file" :
					strerror(-r));
			return r;
		}
	}
	link.retry = evtimer_new(sim_base(sim), retry_cb, NULL);
	if (!link.retry)
		return -ENOMEM;
	link_connect();
	return 0;
}

static void fini(struct sim *sim)
{
	if (link.bev)
		bufferevent_free(link.bev);
	link.bev = NULL;
	if (link.retry)
		event_free(link.retry);
	link.retry = NULL;
	free(link.resp);
	link.resp = NULL;
	card_fini(&card);
}

static const struct sim_descriptor descriptor = {
	.name = "rekam-sim-card",
	.summary = "A simulated KTP-el chip for rekam's tests and demo, plugged into a real\n"
		"pcscd through the vsmartcard vpcd reader driver.",
	.description =
		"It connects to vpcd's TCP port (--vpcd) as the card in that virtual reader and\n"
		"answers pcscd: the ATR, then ISO 7816-4 command APDUs. Inside is the rekam\n"
		"application (AID F0 52 45 4B 41 4D 01) with the files of a KTP-el chip,\n"
		"modelled on ICAO 9303 data groups: DG1 demographics (0101, 1024 bytes), DG2\n"
		"face (0102, 16384), DG3 two fingerprint templates (0103, 4096), DG7 signature\n"
		"image (0107, 8192) and EF.SOD security object (011D, 4096). A blank card has a\n"
		"unique 7-byte UID from --seed and its card number; writing needs mutual\n"
		"authentication with the AES-128 personalization key (--key); the card goes\n"
		"blank -> personalized (first write) -> locked (LOCK), and a locked card\n"
		"refuses writes. With --state the card survives a restart.\n"
		"\n"
		"The --socket endpoint serves the same framing to a host that plays vpcd\n"
		"itself (a test without pcscd); unplug/replug concern it only. While vpcd is\n"
		"unreachable the simulator retries every 200 ms. A --state file that cannot\n"
		"be loaded or created makes it exit with status 70 (EX_SOFTWARE).",
	.protocol =
		"  Both ways: 2-byte big-endian length, then the payload. From vpcd, one\n"
		"  byte is a control message: 0 power off, 1 power on, 2 reset (no answer),\n"
		"  4 get ATR (answer: the ATR 3B 88 80 01 52 45 4B 41 4D 2D 49 44 + TCK).\n"
		"  Longer payloads are command APDUs (short or extended length); the answer\n"
		"  is the response APDU, data + SW1 SW2. Commands:\n"
		"    00 A4 04 0C|00 07 F052454B414D01 SELECT the rekam application\n"
		"    00 A4 02 0C|00|04 02 FID         SELECT an EF (00 A4 00 .. 3F00: the MF)\n"
		"    00 B0 P1 P2 Le                   READ BINARY (offset P1P2, or SFI in P1)\n"
		"    00|10 D6 P1 P2 Lc DATA           UPDATE BINARY (10: command chaining)\n"
		"    00 84 00 00 08                   GET CHALLENGE (8 bytes, rnd.icc)\n"
		"    00 82 00 00 10 E(K, rnd.ifd || rnd.icc) [10]\n"
		"                                     MUTUAL AUTHENTICATE: answer\n"
		"                                     E(K, rnd.icc || rnd.ifd), AES-128-ECB\n"
		"    FF CA 00 00 00                   GET DATA: the UID\n"
		"    80 CA 00 01 00                   GET DATA: lifecycle (00 blank,\n"
		"                                     01 personalized, 02 locked)\n"
		"    80 10 00 00                      LOCK (after authentication)\n"
		"  Status words: 9000, 6282 end of file before Le, 6300 authentication\n"
		"  failed, 6581 write failed, 6700 wrong length, 6881/6882 logical channel or\n"
		"  secure messaging, 6883 chain broken, 6884 chaining not supported, 6982\n"
		"  not authenticated, 6985 locked or no challenge, 6986 no current EF, 6A82\n"
		"  not found, 6A84 past the end of the file, 6A86 bad P1 P2, 6A88 no such\n"
		"  data object, 6B00 offset beyond the file, 6C07 Le for the UID, 6D00\n"
		"  unknown INS, 6E00 unknown CLA, 6F00 injected failure (control fail).\n"
		"  docs/card.md has the details.\n",
	.example =
		"  mkdir -p /tmp/pcsc/reader.conf.d\n"
		"  printf '%s\\n' 'FRIENDLYNAME \"Virtual PCD\"' 'DEVICENAME /dev/null:0x8CA0' \\\n"
		"          'LIBPATH /usr/lib/pcsc/drivers/serial/libifdvpcd.so' \\\n"
		"          >/tmp/pcsc/reader.conf.d/vpcd\n"
		"  pcscd -f -c /tmp/pcsc/reader.conf.d &     # as root: /run/pcscd\n"
		"  rekam-sim-card --vpcd 127.0.0.1:36000 --socket /tmp/card.sock \\\n"
		"          --control /tmp/card.ctl --state /tmp/card.state &\n"
		"  opensc-tool -r 0 -a\n"
		"  opensc-tool -r 0 -s 00A4040C07F052454B414D01 -s 00B0810010\n"
		"  echo remove | socat - UNIX-CONNECT:/tmp/card.ctl\n",
	.busy_reply = NULL,
	.options = options,
	.commands = commands,
	.ops = &ops,
	.init = init,
	.fini = fini,
};

int main(int argc, char **argv)
{
	size_t i;

	for (i = 0; i < CARD_KEY_LEN; i++)
		card.key[i] = (uint8_t)i;
	return sim_main(&descriptor, &card, argc, argv);
}
