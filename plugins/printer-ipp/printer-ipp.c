// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * rekam - device plugins
 *
 * printer-ipp.c - card printers over IPP (libcups): a CUPS queue, or the
 * printer itself (HID's Fargo printers through their CUPS driver; in CI
 * rekam-sim-printer). Connection: the printer's URI, e.g.
 * "ipp://127.0.0.1:8631/ipp/print".
 *
 * Every IPP request blocks, so each runs on the host's worker pool with its
 * own connection (ipp-client.c); this file keeps the state on the event
 * loop: open (identity and supplies), a periodic poll of printer-state,
 * -state-reasons and marker-levels into Health, the jobs "print" (a card
 * side per document, followed to its end with a timer), "stage", "eject"
 * and "reject" (the inline encoder's vendor operations), and the self-test.
 * A worker item outlives close(): it holds a reference to the printer and
 * its done function only frees once the printer is closed.
 */
#include <config.h>

#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "plugins/printer-ipp/ipp-client.h"
#include "rekam/plugin.h"

#define POLL_MS_DEFAULT 5000
#define JOB_POLL_MS_DEFAULT 500
#define TIMEOUT_MS_DEFAULT 10000
#define SIDE_MAX (16u * 1024 * 1024)

static const struct rk_host *host;
static const unsigned char png_magic[8] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n' };

enum work_kind { W_STATUS, W_SELFTEST, W_PRINT, W_JOB, W_CANCEL, W_VENDOR };

struct prn {
	struct rk_device *dev; /* NULL once closed */
	int refs;
	struct ippc_target target;
	unsigned int poll_ms, job_poll_ms;
	struct rk_timer *poll_timer, *job_timer;
	bool polling;       /* a status work is under way */
	bool job_checking;  /* a job work is under way */
	bool open_done;
	bool gone;          /* gone() reported; the host reopens */
	struct rk_op *op;   /* the running operation */
	unsigned long op_gen;
	int job_id;         /* of the print being followed */
	int sides;
	char last_fault[IPPC_MSG_LEN];
};

struct work {
	struct prn *prn;
	enum work_kind kind;
	unsigned long gen;  /* of the operation it belongs to (0: none) */
	struct ippc_target target; /* a copy: the worker never reads the printer's state */
	int err;
	char msg[IPPC_MSG_LEN];
	/* in */
	int job_id, vendor_op;
	unsigned char *side[2];
	size_t side_len[2];
	char job_name[128];
	/* out */
	struct ippc_printer printer;
	bool have_printer;
	struct ippc_job job;
	struct { bool accepting, validate; char validate_msg[IPPC_MSG_LEN]; } test;
};

/* --- references ------------------------------------------------------------------- */

static void prn_unref(struct prn *prn)
{
	if (--prn->refs == 0)
		free(prn);
}

static void work_free(struct work *w)
{
	free(w->side[0]);
	free(w->side[1]);
	prn_unref(w->prn);
	free(w);
}

static void work_run(void *data);
static void work_done(void *data);

static struct work *work_new(struct prn *prn, enum work_kind kind, unsigned long gen)
{
	struct work *w = calloc(1, sizeof(*w));

	if (!w)
		return NULL;
	w->prn = prn;
	w->kind = kind;
	w->gen = gen;
	w->target = prn->target;
	prn->refs++;
	return w;
}

static int work_submit(struct work *w)
{
	int r = host->work_submit(w->prn->dev, work_run, work_done, w);

	if (r < 0)
		work_free(w);
	return r;
}

/* --- the worker side ------------------------------------------------------------------ */

static void run_print(struct work *w, http_t *http, const struct ippc_target *t)
{
	const char *fault;
	int n = w->side[1] ? 2 : 1;

	/* refuse at once when the printer cannot print a card now */
	w->err = ippc_get_printer(http, t, &w->printer, w->msg, sizeof(w->msg));
	if (w->err)
		return;
	w->have_printer = true;
	fault = ippc_fault(w->printer.reasons);
	if (fault || !w->printer.accepting) {
		snprintf(w->msg, sizeof(w->msg), "the printer cannot print now: %s",
				fault ? fault : "it does not accept jobs");
		w->err = -EIO;
		return;
	}
	w->err = ippc_create_job(http, t, w->job_name, &w->job_id, w->msg, sizeof(w->msg));
	for (int i = 0; !w->err && i < n; i++)
		w->err = ippc_send_document(http, t, w->job_id, w->side[i], w->side_len[i],
				i == n - 1, w->msg, sizeof(w->msg));
	if (w->err && w->job_id > 0) {
		char ignored[IPPC_MSG_LEN];

		ippc_cancel_job(http, t, w->job_id, ignored, sizeof(ignored));
	}
}

static void run_selftest(struct work *w, http_t *http, const struct ippc_target *t)
{
	w->err = ippc_get_printer(http, t, &w->printer, w->msg, sizeof(w->msg));
	if (w->err)
		return;
	w->have_printer = true;
	w->test.validate = ippc_validate(http, t, w->test.validate_msg,
			sizeof(w->test.validate_msg)) == 0;
}

static void work_run(void *data)
{
	struct work *w = data;
	const struct ippc_target *t = &w->target;
	http_t *http = NULL;

	w->err = ippc_connect(t, &http, w->msg, sizeof(w->msg));
	if (w->err)
		return;
	switch (w->kind) {
	case W_STATUS:
		w->err = ippc_get_printer(http, t, &w->printer, w->msg, sizeof(w->msg));
		w->have_printer = !w->err;
		break;
	case W_SELFTEST:
		run_selftest(w, http, t);
		break;
	case W_PRINT:
		run_print(w, http, t);
		break;
	case W_JOB:
		w->err = ippc_get_job(http, t, w->job_id, &w->job, w->msg, sizeof(w->msg));
		/* a job that waits: is the printer stopped? */
		if (!w->err && w->job.state == IPP_JSTATE_PENDING)
			w->have_printer = ippc_get_printer(http, t, &w->printer, w->msg,
					sizeof(w->msg)) == 0;
		break;
	case W_CANCEL:
		w->err = ippc_cancel_job(http, t, w->job_id, w->msg, sizeof(w->msg));
		break;
	case W_VENDOR:
		w->err = ippc_vendor(http, t, w->vendor_op, w->msg, sizeof(w->msg));
		if (!w->err) {
			char ignored[IPPC_MSG_LEN];

			w->have_printer = ippc_get_printer(http, t, &w->printer, ignored,
					sizeof(ignored)) == 0;
		}
		break;
	}
	httpClose(http);
}

/* --- health ----------------------------------------------------------------------------- */

static const char *state_name(int state)
{
	switch (state) {
	case IPP_PSTATE_IDLE: return "idle";
	case IPP_PSTATE_PROCESSING: return "printing";
	case IPP_PSTATE_STOPPED: return "stopped";
	default: return "unknown";
	}
}

static void set_fault(struct prn *prn, const char *fault)
{
	if (strcmp(prn->last_fault, fault) == 0)
		return;
	snprintf(prn->last_fault, sizeof(prn->last_fault), "%s", fault);
	host->set_health_string(prn->dev, "LastFault", fault);
	if (fault[0])
		host->log(prn->dev, LOG_WARNING, "%s", fault);
}

static void update_health(struct prn *prn, const struct ippc_printer *p)
{
	const char *fault = ippc_fault(p->reasons);
	int low = p->ribbon_low_percent >= 0 ? p->ribbon_low_percent : 10;

	host->set_health_string(prn->dev, "State", state_name(p->state));
	host->set_health_string(prn->dev, "StateReasons", p->reasons[0] ? p->reasons : "none");
	host->set_health_bool(prn->dev, "Accepting", p->accepting);
	if (p->ribbon_percent >= 0) {
		host->set_health_int(prn->dev, "RibbonPercent", p->ribbon_percent);
		host->set_health_bool(prn->dev, "RibbonLow",
				ippc_has_reason(p->reasons, "marker-supply-low") ||
				p->ribbon_percent <= low);
	}
	if (p->cards_left >= 0)
		host->set_health_int(prn->dev, "CardsLeft", p->cards_left);
	if (p->cards_printed >= 0)
		host->set_health_int(prn->dev, "CardsPrinted", p->cards_printed);
	if (p->cards_spoiled >= 0)
		host->set_health_int(prn->dev, "CardsSpoiled", p->cards_spoiled);
	if (p->has_encoder)
		host->set_health_bool(prn->dev, "CardStaged", p->staged);
	/* LastFault keeps the last fault until another one replaces it */
	if (fault)
		set_fault(prn, fault);
}

/* --- operations on the loop ---------------------------------------------------------- */

static void stop_job_timer(struct prn *prn)
{
	if (prn->job_timer)
		host->timer_remove(prn->job_timer);
	prn->job_timer = NULL;
}

static void finish(struct prn *prn, int err, const char *message)
{
	struct rk_op *op = prn->op;

	prn->op = NULL;
	prn->op_gen++;
	prn->job_id = 0;
	stop_job_timer(prn);
	if (op)
		host->op_complete(op, err, message);
}

/* Cancel a job on the printer, whatever becomes of the answer. */
static void cancel_on_printer(struct prn *prn, int job_id)
{
	struct work *w = work_new(prn, W_CANCEL, 0);

	if (!w)
		return;
	w->job_id = job_id;
	work_submit(w);
}

static void poll_cb(void *data);

static void done_status(struct prn *prn, struct work *w, bool current)
{
	prn->polling = false;
	if (!prn->open_done) {
		if (!current)
			return;
		if (w->err) {
			finish(prn, -ENODEV, w->msg);
			return;
		}
		host->set_info(prn->dev, w->printer.make_model[0] ? w->printer.make_model :
				"IPP printer", w->printer.serial, w->printer.firmware);
		host->set_health_string(prn->dev, "LastFault", "");
		update_health(prn, &w->printer);
		prn->open_done = true;
		prn->poll_timer = host->timer_add(prn->dev, prn->poll_ms, true, poll_cb, prn);
		finish(prn, prn->poll_timer ? 0 : -ENOMEM, NULL);
		return;
	}
	if (!w->err) {
		update_health(prn, &w->printer);
		return;
	}
	host->set_health_string(prn->dev, "State", "unreachable");
	set_fault(prn, w->msg);
	if (!prn->op && !prn->gone) {
		prn->gone = true;
		host->gone(prn->dev, w->msg);
	}
}

static void done_print(struct prn *prn, struct work *w, bool current)
{
	char text[IPPC_MSG_LEN + 32];

	if (!current) {
		/* cancelled while it was being sent */
		if (!w->err && w->job_id > 0)
			cancel_on_printer(prn, w->job_id);
		return;
	}
	if (w->have_printer)
		update_health(prn, &w->printer);
	if (w->err) {
		if (w->err == -EIO)
			set_fault(prn, w->msg);
		finish(prn, w->err, w->msg);
		return;
	}
	prn->job_id = w->job_id;
	host->op_set_result_int(prn->op, "JobId", w->job_id);
	snprintf(text, sizeof(text), "job %d sent to the printer", w->job_id);
	host->op_progress(prn->op, "printing", 0.0, text);
}

/* The sentence for a job that ended without a card. */
static void job_failure(const struct ippc_job *j, char *out, size_t len)
{
	const char *fault = ippc_fault(j->printer_reasons);
	bool said = j->message[0] != '\0';

	if (j->state == IPP_JSTATE_CANCELED)
		snprintf(out, len, "the print job was canceled at the printer%s%s",
				said ? ": " : "", j->message);
	else
		snprintf(out, len, "the print failed: %s; the card is spoiled%s%s%s",
				fault ? fault : "the printer aborted the job",
				said ? " (printer: " : "", j->message, said ? ")" : "");
}

static void done_job(struct prn *prn, struct work *w, bool current)
{
	const struct ippc_job *j = &w->job;
	char text[2 * IPPC_MSG_LEN];
	const char *fault;

	prn->job_checking = false;
	if (!current)
		return;
	if (w->err) {
		snprintf(text, sizeof(text), "lost track of print job %d: %s", prn->job_id, w->msg);
		set_fault(prn, text);
		finish(prn, -EIO, text);
		return;
	}
	switch (j->state) {
	case IPP_JSTATE_COMPLETED:
		host->op_set_result_string(prn->op, "State", "completed");
		host->op_set_result_int(prn->op, "Sides", j->impressions_completed);
		host->op_progress(prn->op, "printing", 1.0, "the card is printed");
		finish(prn, 0, NULL);
		return;
	case IPP_JSTATE_ABORTED:
	case IPP_JSTATE_CANCELED:
	case IPP_JSTATE_STOPPED:
		job_failure(j, text, sizeof(text));
		set_fault(prn, text);
		if (j->state == IPP_JSTATE_STOPPED)
			cancel_on_printer(prn, prn->job_id);
		finish(prn, -EIO, text);
		return;
	case IPP_JSTATE_PENDING:
	case IPP_JSTATE_HELD:
		fault = w->have_printer ? ippc_fault(w->printer.reasons) : NULL;
		if (w->have_printer)
			update_health(prn, &w->printer);
		if (fault) {
			/* never let a card come out later, unexpected */
			snprintf(text, sizeof(text), "the printer stopped before printing: %s; "
					"job %d is canceled and no card was used", fault, prn->job_id);
			cancel_on_printer(prn, prn->job_id);
			finish(prn, -EIO, text);
			return;
		}
		host->op_progress(prn->op, "waiting", 0.0, "the job waits at the printer");
		return;
	default:
		snprintf(text, sizeof(text), "%s", j->message[0] ? j->message : "printing");
		host->op_progress(prn->op, "printing", j->impressions > 0 ?
				(double)j->impressions_completed / (j->impressions + 1) : -1, text);
		return;
	}
}

static void done_vendor(struct prn *prn, struct work *w, bool current)
{
	if (!current)
		return;
	if (w->have_printer)
		update_health(prn, &w->printer);
	if (w->err == -EOPNOTSUPP) {
		finish(prn, -EOPNOTSUPP, "this printer has no inline encoder");
		return;
	}
	if (w->err) {
		finish(prn, w->err == -EBUSY ? -EBUSY : w->err == -ENODEV ? -ENODEV : -EIO, w->msg);
		return;
	}
	host->op_set_result_string(prn->op, "Message", w->msg);
	finish(prn, 0, NULL);
}

static void done_selftest(struct prn *prn, struct work *w, bool current)
{
	const struct ippc_printer *p = &w->printer;
	const char *fault;
	char detail[sizeof(w->printer.reasons) + 32];

	if (!current)
		return;
	host->op_add_step(prn->op, "reach", !w->err, w->err ? w->msg : prn->target.uri);
	if (w->err) {
		finish(prn, 0, NULL);
		return;
	}
	update_health(prn, p);
	fault = ippc_fault(p->reasons);
	host->op_add_step(prn->op, "accepting", p->accepting,
			p->accepting ? "the printer accepts jobs" : "the printer refuses jobs");
	snprintf(detail, sizeof(detail), "%s (%s)", state_name(p->state),
			p->reasons[0] ? p->reasons : "none");
	host->op_add_step(prn->op, "state", !fault, fault ? fault : detail);
	snprintf(detail, sizeof(detail), p->ribbon_percent < 0 ? "unknown" : "%d %% left",
			p->ribbon_percent);
	host->op_add_step(prn->op, "ribbon", p->ribbon_percent != 0, detail);
	snprintf(detail, sizeof(detail), p->cards_left < 0 ? "unknown" : "%d cards",
			p->cards_left);
	host->op_add_step(prn->op, "hopper", p->cards_left != 0, detail);
	host->op_add_step(prn->op, "validate-job", w->test.validate,
			w->test.validate ? "a PNG card side would be accepted" : w->test.validate_msg);
	finish(prn, 0, NULL);
}

static void work_done(void *data)
{
	struct work *w = data;
	struct prn *prn = w->prn;
	bool current;

	if (!prn->dev) {
		/* closed meanwhile */
		work_free(w);
		return;
	}
	current = w->gen && w->gen == prn->op_gen && prn->op;
	switch (w->kind) {
	case W_STATUS: done_status(prn, w, current); break;
	case W_SELFTEST: done_selftest(prn, w, current); break;
	case W_PRINT: done_print(prn, w, current); break;
	case W_JOB: done_job(prn, w, current); break;
	case W_VENDOR: done_vendor(prn, w, current); break;
	case W_CANCEL:
		if (w->err)
			host->log(prn->dev, LOG_WARNING, "%s", w->msg);
		break;
	}
	work_free(w);
}

static void poll_cb(void *data)
{
	struct prn *prn = data;
	struct work *w;

	if (prn->polling)
		return;
	w = work_new(prn, W_STATUS, 0);
	if (w && work_submit(w) == 0)
		prn->polling = true;
}

static void job_poll_cb(void *data)
{
	struct prn *prn = data;
	struct work *w;

	if (prn->job_checking || !prn->job_id)
		return;
	w = work_new(prn, W_JOB, prn->op_gen);
	if (!w)
		return;
	w->job_id = prn->job_id;
	if (work_submit(w) == 0)
		prn->job_checking = true;
}

/* Start @w for a new operation @op. */
static int start(struct prn *prn, struct rk_op *op, struct work *w)
{
	int r;

	prn->op = op;
	w->gen = ++prn->op_gen; /* never 0: that is "no operation" */
	r = work_submit(w);
	if (r < 0)
		prn->op = NULL;
	return r;
}

/* --- the plugin's operations ------------------------------------------------------------- */

static int probe(const struct rk_host *h, const struct rk_probe_info *info)
{
	struct ippc_target t;
	char msg[IPPC_MSG_LEN];

	if (!info->connection || (strncmp(info->connection, "ipp://", 6) != 0 &&
				strncmp(info->connection, "ipps://", 7) != 0))
		return -ENODEV;
	return ippc_target_parse(&t, info->connection, msg, sizeof(msg));
}

static unsigned int config_ms(struct rk_device *dev, const char *key, unsigned int fallback,
		unsigned int min, unsigned int max)
{
	const char *text = host->config(dev, key);
	char *end;
	unsigned long v;

	if (!text)
		return fallback;
	v = strtoul(text, &end, 10);
	if (*end || end == text || v < min || v > max) {
		host->log(dev, LOG_WARNING, "%s = %s is not a number from %u to %u: using %u", key,
				text, min, max, fallback);
		return fallback;
	}
	return (unsigned int)v;
}

static int prn_open(struct rk_device *dev, struct rk_op *op)
{
	struct prn *prn = host->get_data(dev);
	char msg[IPPC_MSG_LEN];
	const char *user = host->config(dev, "user");
	struct work *w;
	int r;

	if (!prn) {
		prn = calloc(1, sizeof(*prn));
		if (!prn)
			return -ENOMEM;
		prn->refs = 1;
		prn->dev = dev;
		host->set_data(dev, prn);
	}
	if (prn->op)
		return -EBUSY;
	r = ippc_target_parse(&prn->target, host->connection(dev), msg, sizeof(msg));
	if (r < 0) {
		host->op_complete(op, r, msg);
		return 0;
	}
	prn->target.timeout_ms = (int)config_ms(dev, "timeout-ms", TIMEOUT_MS_DEFAULT, 100,
			600000);
	snprintf(prn->target.user, sizeof(prn->target.user), "%s", user ? user : "rekamd");
	prn->poll_ms = config_ms(dev, "poll-interval-ms", POLL_MS_DEFAULT, 50, 3600000);
	prn->job_poll_ms = config_ms(dev, "job-poll-interval-ms", JOB_POLL_MS_DEFAULT, 10, 60000);
	prn->open_done = false;
	prn->gone = false;
	w = work_new(prn, W_STATUS, 0);
	if (!w)
		return -ENOMEM;
	r = start(prn, op, w);
	prn->polling = r == 0;
	return r;
}

static void prn_close(struct rk_device *dev)
{
	struct prn *prn = host->get_data(dev);

	if (!prn)
		return;
	stop_job_timer(prn);
	if (prn->poll_timer)
		host->timer_remove(prn->poll_timer);
	prn->poll_timer = NULL;
	prn->op = NULL; /* the host has finished it */
	prn->dev = NULL;
	host->set_data(dev, NULL);
	prn_unref(prn);
}

static int prn_self_test(struct rk_device *dev, struct rk_op *op)
{
	struct prn *prn = host->get_data(dev);
	struct work *w;

	if (prn->op)
		return -EBUSY;
	w = work_new(prn, W_SELFTEST, 0);
	if (!w)
		return -ENOMEM;
	host->op_progress(op, "testing", -1, "asking the printer");
	return start(prn, op, w);
}

static int copy_side(const struct rk_options *options, const char *key, struct work *w, int i)
{
	size_t size = 0;
	const void *data = host->option_bytes(options, key, &size);

	if (!data)
		return i == 0 ? -EINVAL : 0;
	if (size < sizeof(png_magic) || size > SIDE_MAX ||
			memcmp(data, png_magic, sizeof(png_magic)) != 0)
		return -EINVAL;
	/* the worker may still send it after a cancelled operation completed */
	w->side[i] = malloc(size);
	if (!w->side[i])
		return -ENOMEM;
	memcpy(w->side[i], data, size);
	w->side_len[i] = size;
	return 0;
}

static int job_print(struct prn *prn, struct rk_op *op, const struct rk_options *options)
{
	const char *name = host->option_string(options, "job-name", "rekam card");
	struct work *w = work_new(prn, W_PRINT, 0);
	int r;

	if (!w)
		return -ENOMEM;
	r = copy_side(options, "front", w, 0);
	if (!r)
		r = copy_side(options, "back", w, 1);
	if (r < 0 || strlen(name) >= sizeof(w->job_name) || !*name) {
		work_free(w);
		return r < 0 ? r : -EINVAL;
	}
	snprintf(w->job_name, sizeof(w->job_name), "%s", name);
	prn->sides = w->side[1] ? 2 : 1;
	host->op_progress(op, "sending", 0.0, "sending the card to the printer");
	r = start(prn, op, w);
	if (r < 0)
		return r;
	prn->job_timer = host->timer_add(prn->dev, prn->job_poll_ms, true, job_poll_cb, prn);
	if (!prn->job_timer) {
		finish(prn, -ENOMEM, "out of memory");
		return 0;
	}
	return 0;
}

static int prn_job(struct rk_device *dev, struct rk_op *op, const char *action,
		const struct rk_options *options)
{
	struct prn *prn = host->get_data(dev);
	struct work *w;
	int vendor;

	if (strcmp(action, "stage") == 0)
		vendor = IPPC_OP_STAGE;
	else if (strcmp(action, "eject") == 0)
		vendor = IPPC_OP_EJECT;
	else if (strcmp(action, "reject") == 0)
		vendor = IPPC_OP_REJECT;
	else if (strcmp(action, "print") == 0)
		vendor = 0;
	else
		return -EOPNOTSUPP;
	if (prn->op)
		return -EBUSY;
	if (!vendor)
		return job_print(prn, op, options);
	w = work_new(prn, W_VENDOR, 0);
	if (!w)
		return -ENOMEM;
	w->vendor_op = vendor;
	host->op_progress(op, action, -1, "asking the printer");
	return start(prn, op, w);
}

static void prn_cancel(struct rk_device *dev, struct rk_op *op)
{
	struct prn *prn = host->get_data(dev);

	if (!prn || prn->op != op)
		return;
	if (prn->job_id > 0)
		cancel_on_printer(prn, prn->job_id);
	/* a print still being sent is cancelled by done_print() */
	finish(prn, -ECANCELED, NULL);
}

static const struct rk_device_ops ops = {
	.probe = probe,
	.open = prn_open,
	.close = prn_close,
	.self_test = prn_self_test,
	.cancel = prn_cancel,
	.job = prn_job,
};

static int init(const struct rk_host *h)
{
	Dl_info info;

	host = h;
	/*
	 * Keep libcups (and what it loaded: GnuTLS, ...) mapped after rekamd
	 * unloads this plugin: their constructors and per-thread data hold
	 * memory that would otherwise be reported lost at exit, and a worker
	 * thread's libcups destructors must still find their code.
	 */
	if (dladdr((void *)httpConnect2, &info) && info.dli_fname)
		dlopen(info.dli_fname, RTLD_NOW | RTLD_NODELETE | RTLD_NOLOAD);
	return 0;
}

REKAM_PLUGIN_DEFINE("printer-ipp", "card printers over IPP (libcups)", PACKAGE_VERSION,
	RK_DEVICE_PRINTER, NULL, &ops, init, NULL);
