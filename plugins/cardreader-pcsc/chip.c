// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * rekam - device plugins
 *
 * chip.c - the APDUs of a KTP-el chip through PC/SC (see chip.h and
 * docs/card.md): building short and extended APDUs, following 61xx and
 * 6Cxx, turning PC/SC failures and status words into the messages a person
 * reads, and the mutual authentication (AES-128 challenge-response).
 *
 * Each APDU first checks the cancel flag and records when it went out in
 * apdu_since, so the plugin's watchdog on the event loop can tell an APDU
 * that takes too long (PC/SC itself has no timeout for SCardTransmit).
 */
#include <config.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <PCSC/wintypes.h>
#include <PCSC/pcsclite.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "plugins/cardreader-pcsc/chip.h"

#define RBUF_SIZE (65536 + 2)
#define APDU_MAX (7 + 65535 + 3)

const uint8_t chip_aid[7] = { 0xf0, 0x52, 0x45, 0x4b, 0x41, 0x4d, 0x01 };

long long chip_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

__attribute__((format(printf, 3, 4))) static int fail(struct chip *c, int err, const char *fmt,
		...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->message, sizeof(c->message), fmt, ap);
	va_end(ap);
	return err;
}

/* A PC/SC failure while doing @what. */
static int scard_fail(struct chip *c, LONG rv, const char *what)
{
	switch (rv) {
	case SCARD_E_NO_SMARTCARD:
		return fail(c, -EIO, "no-card: there is no card in the reader");
	case SCARD_W_REMOVED_CARD:
		return fail(c, -EIO, "card-removed: the card was taken out while %s", what);
	case SCARD_W_RESET_CARD:
		return fail(c, -EIO, "card-reset: another program reset the card while %s", what);
	case SCARD_W_UNRESPONSIVE_CARD:
	case SCARD_W_UNPOWERED_CARD:
		return fail(c, -EIO, "no-card: the card in the reader does not answer (%s)",
			pcsc_stringify_error(rv));
	case SCARD_E_NO_SERVICE:
	case SCARD_E_SERVICE_STOPPED:
		return fail(c, -ENODEV, "reader-gone: the PC/SC service (pcscd) is not running");
	case SCARD_E_UNKNOWN_READER:
	case SCARD_E_READER_UNAVAILABLE:
	case SCARD_E_NO_READERS_AVAILABLE:
		return fail(c, -ENODEV, "reader-gone: the reader %s is not there", c->reader);
	case SCARD_E_SHARING_VIOLATION:
		return fail(c, -EBUSY, "reader-busy: another program holds the card exclusively");
	case SCARD_E_TIMEOUT:
		return fail(c, -ETIMEDOUT, "card-timeout: the reader timed out while %s", what);
	case SCARD_E_CANCELLED:
		return fail(c, -ECANCELED, "cancelled: stopped while %s", what);
	default:
		return fail(c, -EIO, "reader-error: PC/SC failed while %s: %s (0x%08lX)", what,
			pcsc_stringify_error(rv), (unsigned long)rv);
	}
}

/* A call that waits for the card starts and ends (for the watchdog). */
static void out_since(struct chip *c, bool out)
{
	if (c->apdu_since)
		atomic_store(c->apdu_since, out ? chip_now_ms() : 0);
}

void chip_init(struct chip *c, const char *reader, size_t max_data)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->reader, sizeof(c->reader), "%s", reader ? reader : "");
	c->max_data = max_data ? max_data : 255;
	c->lifecycle = CHIP_UNKNOWN;
}

void chip_end(struct chip *c, bool reset)
{
	if (c->in_transaction)
		SCardEndTransaction(c->card, reset ? SCARD_RESET_CARD : SCARD_LEAVE_CARD);
	c->in_transaction = false;
}

void chip_close(struct chip *c, bool reset)
{
	chip_end(c, reset);
	if (c->connected)
		SCardDisconnect(c->card, reset ? SCARD_RESET_CARD : SCARD_LEAVE_CARD);
	c->connected = false;
	if (c->have_ctx)
		SCardReleaseContext(c->ctx);
	c->have_ctx = false;
	free(c->rbuf);
	c->rbuf = NULL;
}

/* A card is being put in (a printer's encoder stages it): wait for pcscd to
 * see it, up to c->card_wait_ms, in slices so a cancel is heard. */
static void wait_for_card(struct chip *c)
{
	SCARD_READERSTATE rs = { .szReader = c->reader, .dwCurrentState = SCARD_STATE_UNAWARE };
	unsigned int waited = 0;

	while (waited < c->card_wait_ms && !(c->cancel && atomic_load(c->cancel))) {
		LONG rv = SCardGetStatusChange(c->ctx, 100, &rs, 1);

		if (rv == SCARD_S_SUCCESS && (rs.dwEventState & SCARD_STATE_PRESENT))
			return;
		if (rv != SCARD_S_SUCCESS && rv != SCARD_E_TIMEOUT)
			return; /* SCardConnect says what is wrong */
		rs.dwCurrentState = rs.dwEventState & ~SCARD_STATE_CHANGED;
		waited += 100;
	}
}

int chip_connect(struct chip *c)
{
	DWORD proto = 0, atr_len = sizeof(c->atr), state, rlen = 0;
	char name[256];
	LONG rv;

	if (!c->rbuf && !(c->rbuf = malloc(RBUF_SIZE)))
		return fail(c, -ENOMEM, "reader-error: out of memory");
	if (!c->have_ctx) {
		rv = SCardEstablishContext(SCARD_SCOPE_SYSTEM, NULL, NULL, &c->ctx);
		if (rv != SCARD_S_SUCCESS)
			return scard_fail(c, rv, "connecting to pcscd");
		c->have_ctx = true;
	}
	if (c->card_wait_ms)
		wait_for_card(c);
	out_since(c, true);
	rv = SCardConnect(c->ctx, c->reader, SCARD_SHARE_SHARED, SCARD_PROTOCOL_T0 |
		SCARD_PROTOCOL_T1, &c->card, &proto);
	out_since(c, false);
	if (rv != SCARD_S_SUCCESS)
		return scard_fail(c, rv, "connecting to the card");
	c->connected = true;
	c->fresh = true;
	c->pci = proto == SCARD_PROTOCOL_T0 ? SCARD_PCI_T0 : SCARD_PCI_T1;
	rlen = sizeof(name);
	rv = SCardStatus(c->card, name, &rlen, &state, &proto, c->atr, &atr_len);
	if (rv != SCARD_S_SUCCESS)
		return scard_fail(c, rv, "asking for the card's status");
	c->atr_len = atr_len;
	return 0;
}

int chip_begin(struct chip *c)
{
	LONG rv;

	out_since(c, true);
	rv = SCardBeginTransaction(c->card);
	out_since(c, false);
	if (rv != SCARD_S_SUCCESS)
		return scard_fail(c, rv, "starting a transaction");
	c->in_transaction = true;
	return 0;
}

/*
 * The first command to a card pcscd has not seen arrive fails with "Transaction
 * failed": an encoder that swaps cards between two of pcscd's polls of the
 * reader (400 ms for some drivers) leaves the new card unpowered while pcscd
 * still shows the old one as present and powered. Reconnecting with a reset
 * powers the card that is there; then the command goes once more.
 */
static LONG repower(struct chip *c)
{
	DWORD proto = 0, atr_len = sizeof(c->atr), state, rlen = 0;
	bool held = c->in_transaction;
	char name[256];
	LONG rv;

	chip_end(c, false);
	rv = SCardReconnect(c->card, SCARD_SHARE_SHARED, SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1,
		SCARD_RESET_CARD, &proto);
	if (rv != SCARD_S_SUCCESS)
		return rv;
	c->pci = proto == SCARD_PROTOCOL_T0 ? SCARD_PCI_T0 : SCARD_PCI_T1;
	rlen = sizeof(name);
	if (SCardStatus(c->card, name, &rlen, &state, &proto, c->atr, &atr_len) == SCARD_S_SUCCESS)
		c->atr_len = atr_len;
	if (held) {
		rv = SCardBeginTransaction(c->card);
		c->in_transaction = rv == SCARD_S_SUCCESS;
	}
	return rv;
}

/* One exchange, no follow-up. */
static int exchange(struct chip *c, const uint8_t *apdu, size_t len, uint8_t *out, size_t *out_len,
		const char *what)
{
	DWORD rlen = RBUF_SIZE;
	LONG rv;

	if (c->cancel && atomic_load(c->cancel))
		return fail(c, -ECANCELED, "cancelled: stopped before %s", what);
	out_since(c, true);
	rv = SCardTransmit(c->card, c->pci, apdu, (DWORD)len, NULL, out, &rlen);
	if (rv == SCARD_E_NOT_TRANSACTED && c->fresh && repower(c) == SCARD_S_SUCCESS) {
		rlen = RBUF_SIZE;
		rv = SCardTransmit(c->card, c->pci, apdu, (DWORD)len, NULL, out, &rlen);
	}
	out_since(c, false);
	c->fresh = false;
	c->apdus++;
	if (rv != SCARD_S_SUCCESS)
		return scard_fail(c, rv, what);
	if (rlen < 2) /* vpcd's answer when the card leaves mid-command */
		return scard_fail(c, SCARD_W_REMOVED_CARD, what);
	*out_len = rlen;
	return 0;
}

int chip_transmit(struct chip *c, const uint8_t *apdu, size_t len, uint8_t *resp,
		size_t *resp_len, size_t resp_max, uint16_t *sw)
{
	uint8_t again[APDU_MAX];
	size_t n = 0, got = 0;
	int err, rounds = 0;

	err = exchange(c, apdu, len, c->rbuf, &n, "sending a command");
	while (!err) {
		uint8_t sw1 = c->rbuf[n - 2], sw2 = c->rbuf[n - 1];
		size_t data = n - 2;

		if (data > resp_max - got)
			data = resp_max - got;
		memcpy(resp + got, c->rbuf, data);
		got += data;
		*sw = (uint16_t)(sw1 << 8 | sw2);
		c->last_sw = *sw;
		if (++rounds > 300 || (sw1 != 0x61 && !(sw1 == 0x6c && len >= 5 && len <= 261)))
			break;
		if (sw1 == 0x61) { /* GET RESPONSE for the rest (T=0) */
			uint8_t get[5] = { 0x00, 0xc0, 0x00, 0x00, sw2 };

			err = exchange(c, get, sizeof(get), c->rbuf, &n, "fetching an answer");
		} else { /* 6Cxx: the same command with the right Le (short APDUs) */
			memcpy(again, apdu, len);
			again[len - 1] = sw2;
			got = 0;
			err = exchange(c, again, len, c->rbuf, &n, "repeating a command");
		}
	}
	*resp_len = got;
	return err;
}

/* Build an APDU into @out; its length. Short when Lc <= 255 and Le <= 256. */
static size_t build(uint8_t *out, uint8_t cla, uint8_t ins, uint8_t p1, uint8_t p2,
		const uint8_t *data, size_t lc, size_t le)
{
	bool extended = lc > 255 || le > 256;
	size_t n = 4;

	out[0] = cla;
	out[1] = ins;
	out[2] = p1;
	out[3] = p2;
	if (extended) {
		out[n++] = 0;
		if (lc) {
			out[n++] = (uint8_t)(lc >> 8);
			out[n++] = (uint8_t)lc;
			memcpy(out + n, data, lc);
			n += lc;
		}
		if (le) {
			out[n++] = (uint8_t)(le >> 8); /* 65536 is 00 00 */
			out[n++] = (uint8_t)le;
		}
		return n;
	}
	if (lc) {
		out[n++] = (uint8_t)lc;
		memcpy(out + n, data, lc);
		n += lc;
	}
	if (le)
		out[n++] = (uint8_t)le; /* 256 is 00 */
	return n;
}

/* A command whose answer must be 9000 (with at most @max data bytes). */
static int command(struct chip *c, const uint8_t *apdu, size_t len, uint8_t *resp, size_t *n,
		size_t max)
{
	uint8_t dummy[2];
	size_t got = 0;
	uint16_t sw;
	int err;

	err = chip_transmit(c, apdu, len, resp ? resp : dummy, &got, resp ? max : 0, &sw);
	if (n)
		*n = got;
	return err;
}

const char *chip_lifecycle_name(enum chip_lifecycle lifecycle)
{
	switch (lifecycle) {
	case CHIP_BLANK:
		return "blank";
	case CHIP_PERSONALIZED:
		return "personalized";
	case CHIP_LOCKED:
		return "locked";
	default:
		return "unknown";
	}
}

void chip_uid_hex(const struct chip *c, char *out)
{
	for (size_t i = 0; i < c->uid_len; i++)
		sprintf(out + 2 * i, "%02X", c->uid[i]);
	out[2 * c->uid_len] = '\0';
}

int chip_identify(struct chip *c)
{
	static const uint8_t get_uid[] = { 0xff, 0xca, 0x00, 0x00, 0x00 };
	static const uint8_t get_life[] = { 0x80, 0xca, 0x00, 0x01, 0x00 };
	uint8_t select[5 + sizeof(chip_aid)] = { 0x00, 0xa4, 0x04, 0x0c, sizeof(chip_aid) };
	uint8_t resp[16];
	size_t n;
	int err;

	err = command(c, get_uid, sizeof(get_uid), resp, &n, sizeof(resp));
	if (err)
		return err;
	if (c->last_sw != 0x9000 || n < 4 || n > CHIP_UID_MAX)
		return fail(c, -EIO, "wrong-card: the card gives no UID (GET DATA answered %04X)",
			c->last_sw);
	memcpy(c->uid, resp, n);
	c->uid_len = n;
	memcpy(select + 5, chip_aid, sizeof(chip_aid));
	err = command(c, select, sizeof(select), NULL, NULL, 0);
	if (err)
		return err;
	if (c->last_sw != 0x9000)
		return fail(c, -EIO, "wrong-card: the card is not a KTP-el chip (it has no "
			"application F052454B414D01: SELECT answered %04X)", c->last_sw);
	err = command(c, get_life, sizeof(get_life), resp, &n, sizeof(resp));
	if (err)
		return err;
	if (c->last_sw != 0x9000 || n != 1 || resp[0] > CHIP_LOCKED)
		return fail(c, -EIO, "wrong-card: the chip does not tell its lifecycle (GET DATA "
			"answered %04X)", c->last_sw);
	c->lifecycle = (enum chip_lifecycle)resp[0];
	return 0;
}

static int aes_block(const uint8_t key[CHIP_KEY_SIZE], bool encrypt, const uint8_t in[16],
		uint8_t out[16])
{
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	int n = 0, ok;

	ok = ctx && EVP_CipherInit_ex(ctx, EVP_aes_128_ecb(), NULL, key, NULL, encrypt) &&
		EVP_CIPHER_CTX_set_padding(ctx, 0) && EVP_CipherUpdate(ctx, out, &n, in, 16) &&
		n == 16;
	EVP_CIPHER_CTX_free(ctx);
	return ok ? 0 : -EIO;
}

int chip_authenticate(struct chip *c, const uint8_t key[CHIP_KEY_SIZE])
{
	static const uint8_t challenge[] = { 0x00, 0x84, 0x00, 0x00, 0x08 };
	uint8_t rnd[16], crypt[16], apdu[22], resp[32], plain[16];
	size_t n;
	int err;

	err = command(c, challenge, sizeof(challenge), resp, &n, sizeof(resp));
	if (err)
		return err;
	if (c->last_sw != 0x9000 || n != 8)
		return fail(c, -EIO, "auth-failed: the card gave no challenge (GET CHALLENGE "
			"answered %04X)", c->last_sw);
	if (RAND_bytes(rnd, 8) != 1)
		return fail(c, -EIO, "auth-failed: no random numbers for the authentication");
	memcpy(rnd + 8, resp, 8); /* rnd.ifd || rnd.icc */
	if (aes_block(key, true, rnd, crypt) < 0)
		return fail(c, -EIO, "auth-failed: AES is not available");
	build(apdu, 0x00, 0x82, 0x00, 0x00, crypt, 16, 16);
	err = command(c, apdu, 22, resp, &n, sizeof(resp));
	if (err)
		return err;
	if (c->last_sw == 0x6300)
		return fail(c, -EIO, "auth-failed: the card refused the personalization key "
			"(MUTUAL AUTHENTICATE answered 6300)");
	if (c->last_sw != 0x9000 || n != 16)
		return fail(c, -EIO, "auth-failed: MUTUAL AUTHENTICATE answered %04X",
			c->last_sw);
	if (aes_block(key, false, resp, plain) < 0 || memcmp(plain, rnd + 8, 8) != 0 ||
			memcmp(plain + 8, rnd, 8) != 0)
		return fail(c, -EIO, "auth-failed: the card's answer does not prove it holds "
			"the personalization key (not a genuine card)");
	return 0;
}

int chip_select_file(struct chip *c, uint16_t fid, size_t *file_size)
{
	uint8_t apdu[8] = { 0x00, 0xa4, 0x02, 0x04, 0x02, (uint8_t)(fid >> 8), (uint8_t)fid, 0x00 };
	uint8_t resp[64];
	size_t n;
	int err;

	err = command(c, apdu, sizeof(apdu), resp, &n, sizeof(resp));
	if (err)
		return err;
	if (c->last_sw != 0x9000)
		return fail(c, -EIO, "wrong-card: the chip has no file %04X (SELECT answered %04X)",
			fid, c->last_sw);
	*file_size = 0;
	/* FCP 62 L { 80 02 size ... } */
	for (size_t i = 2; n >= 2 && resp[0] == 0x62 && i + 1 < n; i += 2 + resp[i + 1])
		if (resp[i] == 0x80 && resp[i + 1] == 2 && i + 3 < n)
			*file_size = (size_t)(resp[i + 2] << 8 | resp[i + 3]);
	if (!*file_size)
		return fail(c, -EIO, "wrong-card: the chip does not give the size of file %04X", fid);
	return 0;
}

static int write_error(struct chip *c, const struct card_file *f, size_t offset)
{
	switch (c->last_sw) {
	case 0x6985:
		return fail(c, -EIO, "card-locked: the card is locked and refuses writes (%s)",
			f->name);
	case 0x6982:
		return fail(c, -EIO, "auth-failed: the card wants authentication to write %s "
			"(6982)", f->name);
	case 0x6581:
		return fail(c, -EIO, "write-failed: the chip's memory failed writing %s at byte "
			"%zu (6581); the card is incomplete", f->name, offset);
	default:
		return fail(c, -EIO, "write-failed: writing %s at byte %zu answered %04X; the card "
			"is incomplete", f->name, offset, c->last_sw);
	}
}

int chip_write_file(struct chip *c, const struct card_file *f)
{
	uint8_t *apdu = malloc(APDU_MAX);
	char what[96];
	size_t off = 0, size = 0;
	int err;

	if (!apdu)
		return fail(c, -ENOMEM, "reader-error: out of memory");
	err = chip_select_file(c, f->fid, &size);
	while (!err && off < f->size) {
		size_t chunk = f->size - off < c->max_data ? f->size - off : c->max_data;
		size_t len = build(apdu, 0x00, 0xd6, (uint8_t)(off >> 8), (uint8_t)off,
			f->data + off, chunk, 0);

		err = command(c, apdu, len, NULL, NULL, 0);
		if (err == -EIO && strncmp(c->message, "card-removed", 12) == 0) {
			snprintf(what, sizeof(what), "%s was being written (byte %zu)", f->name, off);
			err = fail(c, -EIO, "card-removed: the card was taken out while %s; it is "
				"incomplete", what);
		}
		if (!err && c->last_sw != 0x9000)
			err = write_error(c, f, off);
		off += chunk;
		if (!err)
			c->bytes_written += chunk;
	}
	free(apdu);
	return err;
}

int chip_read_file(struct chip *c, uint16_t fid, uint8_t *out, size_t size)
{
	size_t off = 0, file_size = 0, max = c->max_data < 256 ? 256 : c->max_data;
	uint8_t apdu[7];
	int err;

	err = chip_select_file(c, fid, &file_size);
	if (!err && size > file_size)
		return fail(c, -EIO, "wrong-card: file %04X has %zu bytes, %zu wanted", fid,
			file_size, size);
	while (!err && off < size) {
		size_t chunk = size - off < max ? size - off : max, n = 0;
		size_t len = build(apdu, 0x00, 0xb0, (uint8_t)(off >> 8), (uint8_t)off, NULL, 0,
			chunk);

		err = chip_transmit(c, apdu, len, out + off, &n, size - off, &c->last_sw);
		if (!err && ((c->last_sw != 0x9000 && c->last_sw != 0x6282) || !n))
			err = fail(c, -EIO, "reader-error: reading file %04X at byte %zu answered "
				"%04X", fid, off, c->last_sw);
		off += n;
	}
	return err;
}

int chip_lock(struct chip *c)
{
	static const uint8_t lock[] = { 0x80, 0x10, 0x00, 0x00 };
	int err = command(c, lock, sizeof(lock), NULL, NULL, 0);

	if (!err && c->last_sw != 0x9000)
		return fail(c, -EIO, "write-failed: the card refused to lock (%04X)", c->last_sw);
	if (!err)
		c->lifecycle = CHIP_LOCKED;
	return err;
}
