/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * rekam - KTP-el recording station daemon
 *
 * pipeline-card.h - the card faces and chip contents of step 8, made on a
 * worker thread from the enrollment's record (pipeline-card.c).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "daemon/artifact.h"
#include "daemon/nik.h"

/* The recorded artifacts the card is made from. */
enum rk_card_input {
	RK_CARD_IN_PORTRAIT,   /* portrait */
	RK_CARD_IN_SIGNATURE,  /* signature-image */
	RK_CARD_IN_LEFT_SLAP,  /* fingerprint-capture of the left slap */
	RK_CARD_IN_RIGHT_SLAP, /* fingerprint-capture of the right slap */
	RK_CARD_INPUTS
};

struct rk_card_job {
	/* in: filled on the loop */
	bool faces_only; /* a preview: no chip data */
	int64_t enrollment;
	struct rk_applicant applicant;
	char station[65];
	char *dir; /* the artifact directory */
	struct rk_artifact_meta inputs[RK_CARD_INPUTS];
	/* out */
	bool ran;
	int err;
	char why[256];
	void *data[RK_CARD_INPUTS];
	size_t sizes[RK_CARD_INPUTS];
	unsigned char *front, *back, *blob; /* PNG, PNG, RKPB */
	size_t front_size, back_size, blob_size;
};

struct rk_daemon;
struct rk_enrollment;

/* Fill @job's inputs from @e's recorded portrait, signature and slaps (on
 * the loop). 0, -ENOENT (one is missing), -ENOMEM. */
int rk_card_job_prepare(struct rk_card_job *job, struct rk_daemon *d, struct rk_enrollment *e);
/* The worker function: read the inputs, render, build the blob. */
void rk_card_job_work(void *data);
void rk_card_job_free(struct rk_card_job *job);
/* Free the card renderer the jobs share (at rekamd's stop, workers done). */
void rk_card_renderer_free(void);
