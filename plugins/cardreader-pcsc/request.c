// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * rekam - device plugins
 *
 * request.c - the worker side of cardreader-pcsc (see request.h): each
 * request kind as a blocking PC/SC sequence on its own context, ending with
 * the context released and the card left (or reset after a failed write).
 * Only op_progress() and log() of the host may be called from here.
 */
#include <config.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <PCSC/winscard.h>
#include <PCSC/pcsclite.h>
#include <PCSC/reader.h>

#include "plugins/cardreader-pcsc/request.h"

struct request *request_new(const struct rk_host *host, enum request_kind kind,
		const char *reader, size_t max_data)
{
	struct request *r = calloc(1, sizeof(*r));

	if (!r)
		return NULL;
	r->kind = kind;
	r->host = host;
	pthread_mutex_init(&r->lock, NULL);
	atomic_init(&r->cancel, false);
	atomic_init(&r->apdu_since, 0);
	chip_init(&r->chip, reader, max_data);
	r->chip.cancel = &r->cancel;
	r->chip.apdu_since = &r->apdu_since;
	r->lock_card = true;
	return r;
}

void request_free(struct request *r)
{
	if (!r)
		return;
	chip_close(&r->chip, false);
	free(r->blob);
	for (int i = 0; i < CARD_BLOB_FILES; i++)
		free(r->data[i]);
	pthread_mutex_destroy(&r->lock);
	free(r);
}

struct rk_op *request_take_op(struct request *r)
{
	struct rk_op *op;

	pthread_mutex_lock(&r->lock);
	op = r->op;
	r->op = NULL;
	pthread_mutex_unlock(&r->lock);
	return op;
}

static void progress(void *data, const char *stage, double fraction, const char *message)
{
	struct request *r = data;

	pthread_mutex_lock(&r->lock);
	if (r->op)
		r->host->op_progress(r->op, stage, fraction, message);
	pthread_mutex_unlock(&r->lock);
}

/* --- open: find the reader ------------------------------------------------------ */

/* A printable copy of a vendor string attribute (not always NUL-terminated). */
static void attr_text(char *out, size_t size, const unsigned char *value, DWORD len)
{
	size_t n = 0;

	for (DWORD i = 0; i < len && value[i] && n + 1 < size; i++)
		if (value[i] >= 0x20 && value[i] < 0x7f)
			out[n++] = (char)value[i];
	while (n && out[n - 1] == ' ')
		n--;
	out[n] = '\0';
}

/*
 * The reader's serial number and firmware version, when its driver gives
 * them (SCardGetAttrib on a direct connection, which needs no card); a
 * reader that does not leaves them empty.
 */
static void read_identity(struct request *r)
{
	struct chip *c = &r->chip;
	unsigned char value[256];
	SCARDHANDLE h;
	DWORD proto = 0, len;
	uint64_t v = 0;

	r->serial[0] = r->firmware[0] = '\0';
	if (SCardConnect(c->ctx, c->reader, SCARD_SHARE_DIRECT, 0, &h, &proto) !=
			SCARD_S_SUCCESS)
		return;
	len = sizeof(value);
	if (SCardGetAttrib(h, SCARD_ATTR_VENDOR_IFD_SERIAL_NO, value, &len) == SCARD_S_SUCCESS)
		attr_text(r->serial, sizeof(r->serial), value, len);
	len = sizeof(value);
	if (SCardGetAttrib(h, SCARD_ATTR_VENDOR_IFD_VERSION, value, &len) == SCARD_S_SUCCESS &&
			len >= 4 && len <= 8) {
		/* a DWORD 0xMMmmbbbb in host (little-endian) order */
		for (DWORD i = len; i-- > 0;)
			v = v << 8 | value[i];
		snprintf(r->firmware, sizeof(r->firmware), "%u.%u.%u",
			(unsigned int)(v >> 24 & 0xff), (unsigned int)(v >> 16 & 0xff),
			(unsigned int)(v & 0xffff));
	}
	SCardDisconnect(h, SCARD_LEAVE_CARD);
}

static void work_open(struct request *r)
{
	struct chip *c = &r->chip;
	DWORD len = SCARD_AUTOALLOCATE;
	char *list = NULL;
	size_t used = 0;
	LONG rv;

	rv = SCardEstablishContext(SCARD_SCOPE_SYSTEM, NULL, NULL, &c->ctx);
	if (rv != SCARD_S_SUCCESS) {
		r->err = -ENODEV;
		snprintf(c->message, sizeof(c->message), "reader-gone: the PC/SC service (pcscd) "
			"is not running");
		return;
	}
	c->have_ctx = true;
	rv = SCardListReaders(c->ctx, NULL, (LPSTR)&list, &len);
	if (rv == SCARD_E_NO_READERS_AVAILABLE || (rv == SCARD_S_SUCCESS && !list[0])) {
		r->err = -ENODEV;
		snprintf(c->message, sizeof(c->message), "reader-gone: pcscd knows no reader");
		if (rv == SCARD_S_SUCCESS)
			SCardFreeMemory(c->ctx, list);
		return;
	}
	if (rv != SCARD_S_SUCCESS) {
		r->err = -ENODEV;
		snprintf(c->message, sizeof(c->message), "reader-gone: listing the readers "
			"failed: %s", pcsc_stringify_error(rv));
		return;
	}
	r->err = -ENODEV;
	for (const char *p = list; *p; p += strlen(p) + 1) {
		int n = snprintf(r->readers + used, sizeof(r->readers) - used, "%s%s",
			used ? ", " : "", p);

		if (n > 0 && (size_t)n < sizeof(r->readers) - used)
			used += (size_t)n;
		if (r->err && strncmp(p, r->prefix, strlen(r->prefix)) == 0) {
			snprintf(c->reader, sizeof(c->reader), "%s", p);
			r->err = 0;
		}
	}
	SCardFreeMemory(c->ctx, list);
	if (r->err)
		snprintf(c->message, sizeof(c->message), "reader-gone: no reader's name starts "
			"with \"%.60s\" (pcscd has: %.200s)", r->prefix, r->readers);
	else
		read_identity(r);
}

/* --- self-test ------------------------------------------------------------------- */

__attribute__((format(printf, 4, 5))) static void step(struct request *r, const char *name,
		bool passed, const char *fmt, ...)
{
	struct request_step *s;
	va_list ap;

	if (r->n_steps == REQUEST_STEPS)
		return;
	s = &r->steps[r->n_steps++];
	s->name = name;
	s->passed = passed;
	va_start(ap, fmt);
	vsnprintf(s->detail, sizeof(s->detail), fmt, ap);
	va_end(ap);
}

static void work_self_test(struct request *r)
{
	struct chip *c = &r->chip;
	SCARD_READERSTATE rs = { .szReader = c->reader, .dwCurrentState = SCARD_STATE_UNAWARE };
	char atr[2 * MAX_ATR_SIZE + 1] = "", uid[2 * CHIP_UID_MAX + 1];
	LONG rv;
	int err;

	rv = SCardEstablishContext(SCARD_SCOPE_SYSTEM, NULL, NULL, &c->ctx);
	step(r, "pcsc-service", rv == SCARD_S_SUCCESS, "%s", rv == SCARD_S_SUCCESS ?
		"pcscd answers" : pcsc_stringify_error(rv));
	if (rv != SCARD_S_SUCCESS)
		return;
	c->have_ctx = true;
	rv = SCardGetStatusChange(c->ctx, 0, &rs, 1);
	if (rv != SCARD_S_SUCCESS || (rs.dwEventState & (SCARD_STATE_UNKNOWN |
			SCARD_STATE_UNAVAILABLE))) {
		step(r, "reader", false, "%s is not there", c->reader);
		return;
	}
	step(r, "reader", true, "%s", c->reader);
	if (!(rs.dwEventState & SCARD_STATE_PRESENT)) {
		/* an encoder is empty between cards: not a fault of the reader */
		step(r, "card", true, "no card in the reader (the chip is checked when one is in)");
		return;
	}
	err = chip_connect(c);
	for (size_t i = 0; !err && i < c->atr_len; i++)
		sprintf(atr + 2 * i, "%02X", c->atr[i]);
	step(r, "card", !err, "%s%s", err ? c->message : "ATR ", err ? "" : atr);
	if (err)
		return;
	err = chip_identify(c);
	chip_uid_hex(c, uid);
	if (err)
		step(r, "select", false, "%s", c->message);
	else
		step(r, "select", true, "KTP-el application answers; UID %s, %s", uid,
			chip_lifecycle_name(c->lifecycle));
}

/* --- the rest -------------------------------------------------------------------- */

void request_work(void *data)
{
	struct request *r = data;
	struct chip *c = &r->chip;
	struct chip_personalize_args args;

	c->progress = progress;
	c->progress_data = r;
	switch (r->kind) {
	case REQ_OPEN:
		work_open(r);
		break;
	case REQ_SELF_TEST:
		work_self_test(r);
		break;
	case REQ_IDENTIFY:
	case REQ_UID:
		r->err = chip_connect(c);
		if (!r->err)
			r->err = chip_identify(c);
		break;
	case REQ_PERSONALIZE:
		args = (struct chip_personalize_args){
			.files = r->files,
			.expect_uid = r->expect_uid[0] ? r->expect_uid : NULL,
			.lock = r->lock_card,
		};
		memcpy(args.key, r->key, sizeof(args.key));
		r->err = chip_personalize(c, &args);
		break;
	case REQ_READ:
		for (int i = 0; i < CARD_BLOB_FILES; i++)
			if (!(r->data[i] = malloc(CARD_FILE_MAX)))
				r->err = -ENOMEM;
		if (!r->err)
			r->err = chip_read_all(c, r->data, r->sizes);
		break;
	}
	chip_close(c, r->err && r->kind == REQ_PERSONALIZE);
}
