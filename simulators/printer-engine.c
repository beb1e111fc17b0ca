// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * rekam - device simulators
 *
 * printer-engine.c - the mechanics of rekam-sim-printer: the hopper of blank
 * cards, the ribbon, the job queue and the timed steps of a print (feed a
 * card, one ribbon panel set per side, then out to the output tray), the
 * faults that stop the printer, and the PNG files of every printed side in
 * --output-dir. One job prints at a time; the others wait, pending.
 */
#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "simulators/printer.h"

static const char *const side_names[PRINTER_SIDES] = { "front", "back" };

const char *printer_job_state_name(ipp_jstate_t state)
{
	switch (state) {
	case IPP_JSTATE_PENDING: return "pending";
	case IPP_JSTATE_HELD: return "held";
	case IPP_JSTATE_PROCESSING: return "processing";
	case IPP_JSTATE_STOPPED: return "stopped";
	case IPP_JSTATE_CANCELED: return "canceled";
	case IPP_JSTATE_ABORTED: return "aborted";
	case IPP_JSTATE_COMPLETED: return "completed";
	}
	return "unknown";
}

int printer_ribbon_percent(const struct printer *p)
{
	if (!p->ribbon_capacity)
		return 0;
	return (int)(((uint64_t)p->ribbon * 100 + p->ribbon_capacity - 1) / p->ribbon_capacity);
}

const char *printer_blocked(const struct printer *p)
{
	if (p->offline)
		return "the printer is offline";
	if (p->cover_open)
		return "the printer's cover is open";
	if (p->jammed)
		return "a card is jammed in the printer";
	if (!p->ribbon)
		return "the ribbon is used up";
	if (!p->cards && !p->staged)
		return "the card hopper is empty";
	return NULL;
}

ipp_pstate_t printer_state(const struct printer *p)
{
	if (p->active)
		return IPP_PSTATE_PROCESSING;
	return printer_blocked(p) ? IPP_PSTATE_STOPPED : IPP_PSTATE_IDLE;
}

static void add_reason(char *buf, size_t len, const char *reason)
{
	size_t n = strlen(buf);

	snprintf(buf + n, len - n, "%s%s", n ? "," : "", reason);
}

void printer_state_reasons(const struct printer *p, char *buf, size_t len)
{
	buf[0] = '\0';
	if (p->offline)
		add_reason(buf, len, "offline-report");
	if (p->cover_open)
		add_reason(buf, len, "cover-open-error");
	if (p->jammed)
		add_reason(buf, len, "media-jam-error");
	if (!p->ribbon)
		add_reason(buf, len, "marker-supply-empty-error");
	else if (printer_ribbon_percent(p) <= PRINTER_RIBBON_LOW_PERCENT)
		add_reason(buf, len, "marker-supply-low-warning");
	if (!p->cards)
		add_reason(buf, len, p->staged ? "media-empty-warning" : "media-empty-error");
	else if ((uint64_t)p->cards * 10 <= p->hopper_capacity)
		add_reason(buf, len, "media-low-warning");
	if (!buf[0])
		snprintf(buf, len, "none");
}

/* --- jobs -------------------------------------------------------------------------- */

static void job_free(struct printer_job *job)
{
	for (int i = 0; i < PRINTER_SIDES; i++)
		free(job->doc[i]);
	free(job);
}

static void job_drop_docs(struct printer_job *job)
{
	for (int i = 0; i < PRINTER_SIDES; i++) {
		free(job->doc[i]);
		job->doc[i] = NULL;
	}
}

struct printer_job *printer_job_new(struct printer *p, const char *name, const char *user)
{
	struct printer_job *job;
	int i;

	if (p->njobs == PRINTER_JOBS_MAX) {
		/* forget the oldest finished job */
		for (i = 0; i < p->njobs && p->jobs[i]->state < IPP_JSTATE_CANCELED; i++)
			;
		if (i == p->njobs)
			return NULL;
		job_free(p->jobs[i]);
		memmove(&p->jobs[i], &p->jobs[i + 1], sizeof(p->jobs[0]) * (size_t)(p->njobs - i - 1));
		p->njobs--;
	}
	job = calloc(1, sizeof(*job));
	if (!job)
		return NULL;
	job->id = p->next_id++;
	job->state = IPP_JSTATE_PENDING;
	snprintf(job->name, sizeof(job->name), "%s", name && *name ? name : "untitled");
	snprintf(job->user, sizeof(job->user), "%s", user && *user ? user : "anonymous");
	snprintf(job->reasons, sizeof(job->reasons), "job-incoming");
	job->created = time(NULL);
	p->jobs[p->njobs++] = job;
	return job;
}

struct printer_job *printer_job_find(struct printer *p, int id)
{
	for (int i = 0; i < p->njobs; i++)
		if (p->jobs[i]->id == id)
			return p->jobs[i];
	return NULL;
}

int printer_job_add_doc(struct printer *p, struct printer_job *job, uint8_t *data, size_t len)
{
	if (job->ndocs == PRINTER_SIDES || job->closed)
		return -E2BIG;
	job->doc[job->ndocs] = data;
	job->doc_len[job->ndocs] = len;
	job->ndocs++;
	return 0;
}

void printer_job_close(struct printer *p, struct printer_job *job)
{
	job->closed = true;
	snprintf(job->reasons, sizeof(job->reasons), "job-queued");
	printer_kick(p);
}

/* The active job ends (any final state); the next one may start. */
static void finish_active(struct printer *p, ipp_jstate_t state, const char *reasons,
		const char *message)
{
	struct printer_job *job = p->active;

	evtimer_del(p->step_timer);
	p->active = NULL;
	job->state = state;
	job->completed = time(NULL);
	snprintf(job->reasons, sizeof(job->reasons), "%s", reasons);
	snprintf(job->message, sizeof(job->message), "%s", message);
	printer_state_reasons(p, job->printer_reasons, sizeof(job->printer_reasons));
	job_drop_docs(job);
	if (job->on_staged)
		printer_encoder_release(p);
	sim_info("job %d %s: %s", job->id, printer_job_state_name(state), message);
}

/* The card in the printer is lost for this job: to the reject tray. */
static void spoil_active(struct printer *p, const char *reasons, ipp_jstate_t state,
		const char *message)
{
	p->spoiled++;
	finish_active(p, state, reasons, message);
}

static void schedule(struct printer *p, uint64_t ms)
{
	struct timeval tv;

	sim_scaled_tv(p->sim, ms, &tv);
	evtimer_add(p->step_timer, &tv);
}

static void write_side(struct printer *p, struct printer_job *job, int side)
{
	char *path = p->last_output[side];
	FILE *f;

	snprintf(path, sizeof(p->last_output[side]), "%s/job-%04d-%s.png", p->output_dir,
			job->id, side_names[side]);
	f = fopen(path, "wbx");
	if (!f && errno == EEXIST) {
		/* a file of an earlier run with the same job id */
		remove(path);
		f = fopen(path, "wbx");
	}
	if (!f || fwrite(job->doc[side], 1, job->doc_len[side], f) != job->doc_len[side] ||
			fclose(f) != 0) {
		sim_warn("cannot write %s: %s", path, strerror(errno));
		if (f)
			fclose(f);
		return;
	}
	sim_info("job %d: %s printed to %s", job->id, side_names[side], path);
}

static void step_cb(evutil_socket_t fd, short what, void *arg)
{
	struct printer *p = arg;
	struct printer_job *job = p->active;
	int side = p->step - 1;

	if (!job)
		return;
	if (side >= 0) {
		/* a side has been printed */
		write_side(p, job, side);
		job->sides_done++;
		p->impressions++;
		if (p->jam_armed) {
			p->jam_armed = false;
			p->jammed = true;
			spoil_active(p, "aborted-by-system", IPP_JSTATE_ABORTED,
					"media-jam: the card jammed while it was being printed");
			return;
		}
	}
	p->step++;
	side = p->step - 1;
	if (side < job->ndocs) {
		if (!p->ribbon) {
			spoil_active(p, "aborted-by-system", IPP_JSTATE_ABORTED,
					"marker-supply-empty: the ribbon ran out");
			return;
		}
		p->ribbon--;
		snprintf(job->message, sizeof(job->message), "printing the %s", side_names[side]);
		schedule(p, PRINTER_SIDE_MS);
		return;
	}
	p->printed++;
	finish_active(p, IPP_JSTATE_COMPLETED, "job-completed-successfully",
			"the card is in the output tray");
	printer_kick(p);
}

void printer_kick(struct printer *p)
{
	struct printer_job *job = NULL;
	int i;

	if (p->active)
		return;
	for (i = 0; i < p->njobs; i++)
		if (p->jobs[i]->state == IPP_JSTATE_PENDING && p->jobs[i]->closed) {
			job = p->jobs[i];
			break;
		}
	if (!job)
		return;
	if (printer_blocked(p)) {
		snprintf(job->reasons, sizeof(job->reasons), "printer-stopped");
		snprintf(job->message, sizeof(job->message), "waiting: %s", printer_blocked(p));
		return;
	}
	p->active = job;
	job->state = IPP_JSTATE_PROCESSING;
	job->processing = time(NULL);
	snprintf(job->reasons, sizeof(job->reasons), "job-printing");
	if (p->staged) {
		job->on_staged = true;
		snprintf(job->message, sizeof(job->message), "taking the card from the encoder");
	} else {
		p->cards--;
		snprintf(job->message, sizeof(job->message), "feeding a card from the hopper");
	}
	p->step = 0;
	sim_info("job %d: printing %d side%s", job->id, job->ndocs, job->ndocs == 1 ? "" : "s");
	schedule(p, PRINTER_FEED_MS);
}

int printer_job_cancel(struct printer *p, struct printer_job *job)
{
	if (job->state >= IPP_JSTATE_CANCELED)
		return -EALREADY;
	if (job == p->active) {
		spoil_active(p, "job-canceled-by-user", IPP_JSTATE_CANCELED,
				"canceled: the card went to the reject tray");
		printer_kick(p);
		return 0;
	}
	job->state = IPP_JSTATE_CANCELED;
	job->completed = time(NULL);
	snprintf(job->reasons, sizeof(job->reasons), "job-canceled-by-user");
	snprintf(job->message, sizeof(job->message), "canceled before it was printed");
	printer_state_reasons(p, job->printer_reasons, sizeof(job->printer_reasons));
	job_drop_docs(job);
	return 0;
}

void printer_fault(struct printer *p, const char *reason, const char *message)
{
	char text[160];

	if (!p->active)
		return;
	snprintf(text, sizeof(text), "%s: %s", reason, message);
	spoil_active(p, "aborted-by-system", IPP_JSTATE_ABORTED, text);
}

int printer_engine_init(struct printer *p)
{
	p->step_timer = evtimer_new(sim_base(p->sim), step_cb, p);
	return p->step_timer ? 0 : -ENOMEM;
}

void printer_engine_fini(struct printer *p)
{
	if (p->step_timer)
		event_free(p->step_timer);
	p->step_timer = NULL;
	for (int i = 0; i < p->njobs; i++)
		job_free(p->jobs[i]);
	p->njobs = 0;
	p->active = NULL;
}
