// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * rekam - device simulators
 *
 * printer-encoder.c - the inline encoder of rekam-sim-printer: stage takes a
 * blank card from the hopper to the encoder station, eject sends the staged
 * card to the output tray, reject to the reject tray. The encoder is the
 * simulated reader of rekam-sim-card: on stage the printer asks it, over its
 * control socket (--card-control), for a new blank card and inserts it, and
 * on eject, reject or the end of a print on the staged card it removes it,
 * so pcscd sees the insertion and the removal as with real hardware.
 *
 * The control socket is a local Unix socket answering at once; it is used
 * with blocking calls bounded by a 2 s timeout, the only blocking in the
 * simulator.
 */
#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "simulators/printer.h"

#define LINK_TIMEOUT_S 2

/* One command on rekam-sim-card's control socket; its answer line in @answer. */
static int card_cmd(struct printer *p, const char *cmd, char *answer, size_t len)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	struct timeval tv = { .tv_sec = LINK_TIMEOUT_S };
	size_t got = 0;
	ssize_t n;
	int fd, r = 0;

	answer[0] = '\0';
	if (!p->card_control)
		return 0;
	if (strlen(p->card_control) >= sizeof(addr.sun_path))
		return -ENAMETOOLONG;
	strcpy(addr.sun_path, p->card_control);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0 ||
			send(fd, cmd, strlen(cmd), MSG_NOSIGNAL) < 0 ||
			send(fd, "\n", 1, MSG_NOSIGNAL) < 0) {
		r = -errno;
		goto out;
	}
	while (got < len - 1 && !memchr(answer, '\n', got)) {
		n = recv(fd, answer + got, len - 1 - got, 0);
		if (n <= 0) {
			r = n < 0 ? -errno : -ECONNRESET;
			break;
		}
		got += (size_t)n;
		answer[got] = '\0';
	}
	answer[strcspn(answer, "\r\n")] = '\0';
	if (!r && !answer[0])
		r = -ECONNRESET;
out:
	close(fd);
	sim_info("card link: %s -> %s", cmd, r < 0 ? strerror(-r) : answer);
	return r;
}

/* The card leaves the encoder: the reader sees it go. */
static void card_out(struct printer *p)
{
	char answer[256];

	p->staged = false;
	if (card_cmd(p, "remove", answer, sizeof(answer)) < 0)
		sim_warn("rekam-sim-card did not take the card out (%s)", p->card_control);
}

int printer_stage(struct printer *p, char *why, size_t len)
{
	char answer[256];
	int r;

	if (p->staged) {
		snprintf(why, len, "a card is already at the encoder");
		return -EBUSY;
	}
	if (p->active) {
		snprintf(why, len, "the printer is printing job %d", p->active->id);
		return -EBUSY;
	}
	if (p->offline || p->cover_open || p->jammed) {
		snprintf(why, len, "%s", printer_blocked(p));
		return -EIO;
	}
	if (!p->cards) {
		snprintf(why, len, "the card hopper is empty");
		return -EIO;
	}
	r = card_cmd(p, "new-card", answer, sizeof(answer));
	if (!r && p->card_control && strncmp(answer, "OK", 2) != 0)
		r = -EPROTO;
	if (!r && p->card_control) {
		r = card_cmd(p, "insert", answer, sizeof(answer));
		if (!r && strncmp(answer, "OK", 2) != 0 && !strstr(answer, "already inserted"))
			r = -EPROTO;
	}
	if (r < 0) {
		snprintf(why, len, "the encoder (rekam-sim-card at %s) does not answer: %s",
				p->card_control, r == -EPROTO ? answer : strerror(-r));
		return -EHOSTUNREACH;
	}
	p->cards--;
	p->staged = true;
	p->stages++;
	snprintf(why, len, "a blank card is at the encoder");
	return 0;
}

static int check_staged(struct printer *p, char *why, size_t len)
{
	if (!p->staged) {
		snprintf(why, len, "no card is at the encoder");
		return -ENOENT;
	}
	if (p->active && p->active->on_staged) {
		snprintf(why, len, "the card at the encoder is being printed (job %d)",
				p->active->id);
		return -EBUSY;
	}
	return 0;
}

int printer_eject(struct printer *p, char *why, size_t len)
{
	int r = check_staged(p, why, len);

	if (r < 0)
		return r;
	card_out(p);
	p->ejected++;
	snprintf(why, len, "the card is in the output tray");
	printer_kick(p);
	return 0;
}

int printer_reject(struct printer *p, char *why, size_t len)
{
	int r = check_staged(p, why, len);

	if (r < 0)
		return r;
	card_out(p);
	p->rejected++;
	p->spoiled++;
	snprintf(why, len, "the card is in the reject tray");
	printer_kick(p);
	return 0;
}

void printer_encoder_release(struct printer *p)
{
	if (p->staged)
		card_out(p);
}
