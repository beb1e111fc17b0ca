// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * rekam - device plugins
 *
 * cardreader-pcsc.c - card readers through PC/SC-Lite (any CCID reader, the
 * card printer's inline encoder, and vpcd with rekam-sim-card), writing and
 * reading KTP-el chips (docs/card.md). Connection: "pcsc:NAME-PREFIX" (the
 * first reader whose name starts with it) or "pcsc:*" (the first reader).
 *
 * Nothing here blocks the event loop. PC/SC calls run in requests
 * (request.c) on the host's worker pool, one at a time per reader; a job
 * that arrives while a card is being identified waits for it. A monitor
 * thread per reader (monitor.c) watches the card come and go and wakes the
 * loop through an eventfd, which updates Health: Reader, ReaderPresent,
 * CardPresent, Atr, ChipUid, CardState (absent, blank, personalized, locked,
 * unknown). A watchdog timer bounds every APDU (config apdu-timeout): an APDU
 * out longer fails the operation with card-timeout at once, and the worker
 * finishes in the background.
 *
 * Jobs (ABI 1.1): "personalize", "read", "uid"; see README.md.
 */
#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "plugins/cardreader-pcsc/monitor.h"
#include "plugins/cardreader-pcsc/request.h"
#include "rekam/plugin.h"

#define PREFIX "pcsc:"
#define APDU_TIMEOUT_DEFAULT 3000
#define WATCHDOG_MS 100
#define MAX_DATA_DEFAULT 255

static const struct rk_host *host;

struct reader {
	struct rk_device *dev;
	char name[256];           /* the reader in use, once opened */
	size_t max_data;
	unsigned int apdu_timeout;
	uint8_t key[CHIP_KEY_SIZE];
	bool have_key;
	struct monitor *monitor;
	struct rk_watch *monitor_watch;
	unsigned int card_events;
	bool card_present;
	struct request *running;  /* on a worker */
	struct request *queued;   /* an operation waiting for it */
	bool identify_wanted;
	struct rk_timer *watchdog;
};

static void start_next(struct reader *rd);

/* --- configuration ----------------------------------------------------------- */

static int probe(const struct rk_host *h, const struct rk_probe_info *info)
{
	const char *c = info->connection;

	if (!c || strncmp(c, PREFIX, strlen(PREFIX)) != 0)
		return -ENODEV;
	c += strlen(PREFIX);
	return *c && strlen(c) < 200 ? 0 : -EINVAL;
}

static int hex_key(const char *hex, uint8_t key[CHIP_KEY_SIZE])
{
	if (!hex || strlen(hex) != 2 * CHIP_KEY_SIZE ||
			strspn(hex, "0123456789abcdefABCDEF") != 2 * CHIP_KEY_SIZE)
		return -EINVAL;
	for (int i = 0; i < CHIP_KEY_SIZE; i++)
		sscanf(hex + 2 * i, "%2hhx", &key[i]);
	return 0;
}

/* A number from the device's configuration; -1 when malformed. */
static long config_number(struct rk_device *dev, const char *key, long min, long max, long fallback)
{
	const char *v = host->config(dev, key);
	char *end;
	long n;

	if (!v)
		return fallback;
	n = strtol(v, &end, 10);
	return end == v || *end || n < min || n > max ? -1 : n;
}

static int read_config(struct reader *rd, char *why, size_t size)
{
	long max_data = config_number(rd->dev, "apdu-data-max", 16, 65535, MAX_DATA_DEFAULT);
	long timeout = config_number(rd->dev, "apdu-timeout", 100, 60000, APDU_TIMEOUT_DEFAULT);
	const char *key = host->config(rd->dev, "key");

	if (max_data < 0) {
		snprintf(why, size, "apdu-data-max must be a number of bytes from 16 to 65535");
		return -EINVAL;
	}
	if (timeout < 0) {
		snprintf(why, size, "apdu-timeout must be a number of milliseconds from 100 to "
			"60000");
		return -EINVAL;
	}
	rd->have_key = key != NULL;
	if (key && hex_key(key, rd->key) < 0) {
		snprintf(why, size, "key must be the 16-byte personalization key as 32 hex digits");
		return -EINVAL;
	}
	rd->max_data = (size_t)max_data;
	rd->apdu_timeout = (unsigned int)timeout;
	return 0;
}

/* --- health ------------------------------------------------------------------ */

static void card_health(struct reader *rd, const char *uid, const char *state)
{
	host->set_health_bool(rd->dev, "CardPresent", rd->card_present);
	host->set_health_string(rd->dev, "ChipUid", uid);
	host->set_health_string(rd->dev, "CardState", state);
}

static void identify_soon(struct reader *rd)
{
	rd->identify_wanted = true;
	start_next(rd);
}

static void on_monitor(int fd, unsigned int events, void *data)
{
	struct reader *rd = data;
	struct monitor_state st;
	char atr[2 * MONITOR_ATR_MAX + 1] = "";
	bool changed;

	monitor_read(rd->monitor, &st);
	if (st.ended) {
		host->watch_remove(rd->monitor_watch);
		rd->monitor_watch = NULL;
		monitor_stop(rd->monitor);
		rd->monitor = NULL;
		rd->card_present = false;
		host->set_health_bool(rd->dev, "ReaderPresent", false);
		card_health(rd, "", "absent");
		host->gone(rd->dev, st.why);
		return;
	}
	changed = st.card_present != rd->card_present || st.events != rd->card_events;
	rd->card_present = st.card_present;
	rd->card_events = st.events;
	for (size_t i = 0; i < st.atr_len; i++)
		sprintf(atr + 2 * i, "%02X", st.atr[i]);
	host->set_health_string(rd->dev, "Atr", atr);
	if (!st.card_present) {
		host->log(rd->dev, LOG_INFO, "no card in the reader");
		card_health(rd, "", "absent");
		rd->identify_wanted = false;
	} else if (changed || !rd->identify_wanted) {
		host->log(rd->dev, LOG_INFO, "a card is in the reader (ATR %s)", atr);
		card_health(rd, "", "unknown");
		identify_soon(rd);
	}
}

/* --- requests on the worker pool ---------------------------------------------- */

static void complete(struct request *r, int err, const char *message)
{
	struct rk_op *op = request_take_op(r);

	if (op)
		host->op_complete(op, err, message);
}

static void watchdog_cb(void *data)
{
	struct reader *rd = data;
	struct request *r = rd->running;
	long long since;
	char message[200];

	if (!r)
		return;
	since = atomic_load(&r->apdu_since);
	if (!since || chip_now_ms() - since < rd->apdu_timeout)
		return;
	snprintf(message, sizeof(message), "card-timeout: the card did not answer within %u ms",
		rd->apdu_timeout);
	host->log(rd->dev, LOG_WARNING, "%s; the exchange is abandoned", message);
	atomic_store(&r->cancel, true);
	complete(r, -ETIMEDOUT, message);
}

static void results_card(struct reader *rd, struct request *r, struct rk_op *op)
{
	char uid[2 * CHIP_UID_MAX + 1];

	chip_uid_hex(&r->chip, uid);
	if (op) {
		host->op_set_result_string(op, "ChipUid", uid);
		host->op_set_result_string(op, "CardState", chip_lifecycle_name(r->chip.lifecycle));
	}
	if (rd->card_present && r->chip.uid_len)
		card_health(rd, uid, chip_lifecycle_name(r->chip.lifecycle));
}

static const char *const artifact_kinds[CARD_BLOB_FILES] = {
	"chip-dg1", "chip-dg2", "chip-dg3", "chip-dg7", "chip-ef-sod"
};

static void results_read(struct request *r, struct rk_op *op)
{
	bool matches = true;
	int err = 0;

	bool empty = true;

	host->op_set_result_bool(op, "Complete", r->chip.lifecycle == CHIP_LOCKED);
	for (int i = 0; i < CARD_BLOB_FILES && !err; i++) {
		for (size_t b = 0; empty && b < r->sizes[i]; b++)
			empty = !r->data[i][b];
		err = host->op_add_artifact(op, &(struct rk_artifact){
			.kind = artifact_kinds[i],
			.format = "application/octet-stream",
			.quality = -1,
			.data = r->data[i],
			.size = r->sizes[i],
		});
		if (r->have_files && (r->files[i].size > r->sizes[i] ||
				memcmp(r->files[i].data, r->data[i], r->files[i].size) != 0)) {
			if (matches)
				host->op_set_result_string(op, "Mismatch", r->files[i].name);
			matches = false;
		}
	}
	host->op_set_result_bool(op, "Empty", empty);
	if (r->have_files)
		host->op_set_result_bool(op, "Matches", matches);
	r->err = err;
	if (err)
		snprintf(r->chip.message, sizeof(r->chip.message), "reader-error: the chip's "
			"files could not be handed over");
}

/* The reader was found (or not): start watching it and finish the open. */
static void finish_open(struct reader *rd, struct request *r)
{
	struct rk_op *op = request_take_op(r);

	if (!op)
		return;
	if (r->err) {
		host->op_complete(op, r->err, r->chip.message);
		return;
	}
	snprintf(rd->name, sizeof(rd->name), "%s", r->chip.reader);
	rd->monitor = monitor_start(rd->name);
	if (rd->monitor)
		rd->monitor_watch = host->watch_add(rd->dev, monitor_fd(rd->monitor),
			RK_WATCH_READ, on_monitor, rd);
	if (!rd->monitor || !rd->monitor_watch) {
		monitor_stop(rd->monitor);
		rd->monitor = NULL;
		host->op_complete(op, -ENOMEM, "the card watcher could not be started");
		return;
	}
	/* Model: the reader's name; Serial and Firmware when its driver tells */
	host->set_info(rd->dev, rd->name, r->serial, r->firmware);
	host->set_health_string(rd->dev, "Reader", rd->name);
	host->set_health_bool(rd->dev, "ReaderPresent", true);
	rd->card_present = false;
	card_health(rd, "", "absent");
	host->log(rd->dev, LOG_INFO, "reader %s (pcscd has: %s)", rd->name, r->readers);
	host->op_complete(op, 0, NULL);
}

static void request_done(void *data)
{
	struct request *r = data;
	struct reader *rd = r->reader;
	struct rk_op *op;

	if (!rd) { /* the device was closed meanwhile */
		request_free(r);
		return;
	}
	rd->running = NULL;
	host->timer_remove(rd->watchdog);
	rd->watchdog = NULL;
	op = r->kind == REQ_OPEN ? NULL : request_take_op(r);
	switch (r->kind) {
	case REQ_OPEN:
		break; /* finish_open() below */
	case REQ_SELF_TEST:
		for (int i = 0; op && i < r->n_steps; i++)
			host->op_add_step(op, r->steps[i].name, r->steps[i].passed, r->steps[i].detail);
		r->err = 0;
		break;
	case REQ_IDENTIFY:
	case REQ_UID:
	case REQ_PERSONALIZE:
		if (!r->err || r->chip.uid_len)
			results_card(rd, r, r->err ? NULL : op);
		if (op && !r->err && r->kind == REQ_PERSONALIZE) {
			host->op_set_result_bool(op, "Verified", true);
			host->op_set_result_int(op, "BytesWritten", (int64_t)r->chip.bytes_written);
			host->op_set_result_int(op, "Apdus", (int64_t)r->chip.apdus);
		}
		if (r->err && r->kind == REQ_IDENTIFY)
			host->log(rd->dev, LOG_INFO, "the card could not be identified: %s",
				r->chip.message);
		if (r->err && r->kind == REQ_PERSONALIZE && rd->card_present)
			rd->identify_wanted = true; /* learn what is left on the card */
		break;
	case REQ_READ:
		if (!r->err && r->chip.uid_len)
			results_card(rd, r, op);
		if (!r->err && op)
			results_read(r, op);
		break;
	}
	if (r->kind == REQ_OPEN)
		finish_open(rd, r);
	else if (op)
		host->op_complete(op, r->err, r->err ? r->chip.message : NULL);
	request_free(r);
	start_next(rd);
}

/* Run @r now if the reader is free, else keep it for later (one at most). */
static int submit(struct reader *rd, struct request *r)
{
	int err;

	r->reader = rd;
	if (rd->running) {
		if (rd->queued)
			return -EBUSY;
		rd->queued = r;
		return 0;
	}
	rd->watchdog = host->timer_add(rd->dev, WATCHDOG_MS, true, watchdog_cb, rd);
	if (!rd->watchdog)
		return -ENOMEM;
	err = host->work_submit(rd->dev, request_work, request_done, r);
	if (err < 0) {
		host->timer_remove(rd->watchdog);
		rd->watchdog = NULL;
		return err;
	}
	rd->running = r;
	return 0;
}

static void start_next(struct reader *rd)
{
	struct request *r;
	int err;

	if (rd->running)
		return;
	if (rd->queued) {
		r = rd->queued;
		rd->queued = NULL;
		err = submit(rd, r);
		if (err < 0) {
			complete(r, err, "reader-error: the card work could not be started");
			request_free(r);
		}
		return;
	}
	if (!rd->identify_wanted || !rd->card_present || !rd->name[0])
		return;
	rd->identify_wanted = false;
	r = request_new(host, REQ_IDENTIFY, rd->name, rd->max_data);
	if (r && submit(rd, r) < 0)
		request_free(r);
}

/* --- operations ----------------------------------------------------------------- */

static struct reader *reader_of(struct rk_device *dev)
{
	return host->get_data(dev);
}

/* Start @r for @op; 0, or -errno with @r freed. */
static int run(struct reader *rd, struct request *r, struct rk_op *op)
{
	int err;

	r->op = op;
	err = submit(rd, r);
	if (err < 0) {
		r->op = NULL;
		request_free(r);
	}
	return err;
}

static int pcsc_open(struct rk_device *dev, struct rk_op *op)
{
	struct reader *rd = reader_of(dev);
	const char *prefix = host->connection(dev) + strlen(PREFIX);
	struct request *r;
	char why[160];

	if (!rd) {
		rd = calloc(1, sizeof(*rd));
		if (!rd)
			return -ENOMEM;
		rd->dev = dev;
		host->set_data(dev, rd);
	}
	if (read_config(rd, why, sizeof(why)) < 0) {
		host->op_complete(op, -EINVAL, why);
		return 0;
	}
	r = request_new(host, REQ_OPEN, "", rd->max_data);
	if (!r)
		return -ENOMEM;
	snprintf(r->prefix, sizeof(r->prefix), "%s", strcmp(prefix, "*") == 0 ? "" : prefix);
	return run(rd, r, op);
}

static void pcsc_close(struct rk_device *dev)
{
	struct reader *rd = reader_of(dev);

	if (!rd)
		return;
	/* A request on a worker finishes on its own and is then freed. */
	if (rd->running) {
		request_take_op(rd->running);
		atomic_store(&rd->running->cancel, true);
		rd->running->reader = NULL;
	}
	request_free(rd->queued);
	host->watch_remove(rd->monitor_watch);
	monitor_stop(rd->monitor);
	host->timer_remove(rd->watchdog);
	free(rd);
	host->set_data(dev, NULL);
}

static int pcsc_self_test(struct rk_device *dev, struct rk_op *op)
{
	struct reader *rd = reader_of(dev);
	struct request *r = request_new(host, REQ_SELF_TEST, rd->name, rd->max_data);

	if (!r)
		return -ENOMEM;
	host->op_progress(op, "testing", -1, "Testing the reader and the card");
	return run(rd, r, op);
}

/* Is option @key there but not text? (rekamctl sends digits as a number.) */
static bool not_text(const struct rk_options *options, const char *key)
{
	return !host->option_string(options, key, NULL) &&
		(host->option_int(options, key, 0) == host->option_int(options, key, 1) ||
		 host->option_bool(options, key, false) == host->option_bool(options, key, true));
}

static bool not_number(const struct rk_options *options, const char *key)
{
	return host->option_string(options, key, NULL) ||
		host->option_bool(options, key, false) == host->option_bool(options, key, true);
}

/* The job's options into @r; 0 or -EINVAL with a sentence in @why. */
static int job_options(struct reader *rd, struct request *r, const struct rk_options *options,
		bool need_blob, char *why, size_t size)
{
	const char *key = host->option_string(options, "key", NULL);
	const char *uid = host->option_string(options, "expect-uid", NULL);
	size_t blob_size = 0;
	const void *blob = host->option_bytes(options, "blob", &blob_size);
	int64_t wait;
	int err;

	if (!blob && need_blob) {
		snprintf(why, size, "personalize needs the option blob (the personalization blob, "
			"ay)");
		return -EINVAL;
	}
	if (blob) {
		r->blob = malloc(blob_size ? blob_size : 1);
		if (!r->blob)
			return -ENOMEM;
		memcpy(r->blob, blob, blob_size);
		r->blob_size = blob_size;
		err = card_blob_parse(r->blob, r->blob_size, r->files, why, size);
		if (err < 0)
			return err;
		r->have_files = true;
	}
	wait = host->option_int(options, "card-wait", 0);
	if (wait < 0 || wait > 60000 || not_number(options, "card-wait")) {
		snprintf(why, size, "the option card-wait must be milliseconds from 0 to 60000");
		return -EINVAL;
	}
	r->chip.card_wait_ms = (unsigned int)wait;
	if (!need_blob)
		return 0;
	if ((key && hex_key(key, r->key) < 0) || not_text(options, "key")) {
		snprintf(why, size, "the option key must be the 16-byte personalization key as 32 "
			"hex digits");
		return -EINVAL;
	}
	if (!key && !rd->have_key) {
		snprintf(why, size, "no personalization key: give the option key, or key= in the "
			"device's configuration");
		return -EINVAL;
	}
	if (!key)
		memcpy(r->key, rd->key, sizeof(r->key));
	if (!uid && not_text(options, "expect-uid")) {
		snprintf(why, size, "the option expect-uid must be text (the UID in hex)");
		return -EINVAL;
	}
	if (uid && (strlen(uid) < 8 || strlen(uid) > 2 * CHIP_UID_MAX ||
			strspn(uid, "0123456789abcdefABCDEF") != strlen(uid))) {
		snprintf(why, size, "the option expect-uid must be a chip UID in hex");
		return -EINVAL;
	}
	if (uid)
		snprintf(r->expect_uid, sizeof(r->expect_uid), "%s", uid);
	r->lock_card = host->option_bool(options, "lock", true);
	return 0;
}

static int pcsc_job(struct rk_device *dev, struct rk_op *op, const char *action,
		const struct rk_options *options)
{
	struct reader *rd = reader_of(dev);
	enum request_kind kind;
	struct request *r;
	char why[200] = "";
	int err;

	if (strcmp(action, "personalize") == 0)
		kind = REQ_PERSONALIZE;
	else if (strcmp(action, "read") == 0)
		kind = REQ_READ;
	else if (strcmp(action, "uid") == 0)
		kind = REQ_UID;
	else
		return -EOPNOTSUPP;
	r = request_new(host, kind, rd->name, rd->max_data);
	if (!r)
		return -ENOMEM;
	err = job_options(rd, r, options, kind == REQ_PERSONALIZE, why, sizeof(why));
	if (err < 0) {
		request_free(r);
		host->op_complete(op, err, why[0] ? why : NULL);
		return 0;
	}
	if (!rd->card_present && !r->chip.card_wait_ms) {
		request_free(r);
		host->op_complete(op, -EIO, "no-card: there is no card in the reader");
		return 0;
	}
	return run(rd, r, op);
}

static void pcsc_cancel(struct rk_device *dev, struct rk_op *op)
{
	struct reader *rd = reader_of(dev);

	if (rd->queued && rd->queued->op == op) {
		struct request *r = rd->queued;

		rd->queued = NULL;
		complete(r, -ECANCELED, NULL);
		request_free(r);
		return;
	}
	/* The worker stops before its next APDU and completes the operation. */
	if (rd->running && rd->running->op == op)
		atomic_store(&rd->running->cancel, true);
}

static const struct rk_device_ops ops = {
	.probe = probe,
	.open = pcsc_open,
	.close = pcsc_close,
	.self_test = pcsc_self_test,
	.cancel = pcsc_cancel,
	.job = pcsc_job,
};

static int init(const struct rk_host *h)
{
	host = h;
	return 0;
}

static void plugin_exit(void)
{
	monitor_wait_all();
}

REKAM_PLUGIN_DEFINE("cardreader-pcsc", "card readers through PC/SC: KTP-el chip personalization",
	PACKAGE_VERSION, RK_DEVICE_CARDREADER, NULL, &ops, init, plugin_exit);
