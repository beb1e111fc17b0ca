/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * rekam - device plugins
 *
 * request.h - one piece of card work that runs on the host's worker pool:
 * opening (finding the reader), identifying an inserted card, the self-test
 * and the jobs (personalize, read, uid). The loop fills in the inputs,
 * request_work() runs on a worker thread, and the loop reads the outputs in
 * the done callback (cardreader-pcsc.c). A request owns copies of all its
 * inputs, so it can outlive the operation and even the device it was for.
 */
#pragma once

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

#include "rekam/plugin.h"
#include "plugins/cardreader-pcsc/chip.h"

enum request_kind {
	REQ_OPEN,
	REQ_IDENTIFY,
	REQ_SELF_TEST,
	REQ_PERSONALIZE,
	REQ_READ,
	REQ_UID,
};

#define REQUEST_STEPS 4

struct request_step {
	const char *name;
	bool passed;
	char detail[200];
};

struct reader;

struct request {
	enum request_kind kind;
	struct reader *reader;   /* loop only; NULL once the device closed */
	const struct rk_host *host;

	/* the operation, guarded by lock: progress from the worker must not
	 * reach an operation the loop already completed */
	pthread_mutex_t lock;
	struct rk_op *op;

	atomic_bool cancel;
	atomic_llong apdu_since;

	/* inputs */
	char prefix[256];        /* REQ_OPEN: the reader name prefix, "" for any */
	uint8_t *blob;           /* a copy of the blob option */
	size_t blob_size;
	struct card_file files[CARD_BLOB_FILES];
	bool have_files;
	uint8_t key[CHIP_KEY_SIZE];
	char expect_uid[2 * CHIP_UID_MAX + 1];
	bool lock_card;

	/* outputs */
	struct chip chip;        /* reader name, UID, lifecycle, message */
	int err;
	char readers[512];       /* REQ_OPEN: the readers pcscd knows */
	char serial[128];        /* REQ_OPEN: the reader's serial number, "" when unknown */
	char firmware[32];       /* REQ_OPEN: its firmware version "M.m.b", "" when unknown */
	struct request_step steps[REQUEST_STEPS];
	int n_steps;
	uint8_t *data[CARD_BLOB_FILES]; /* REQ_READ */
	size_t sizes[CARD_BLOB_FILES];
};

struct request *request_new(const struct rk_host *host, enum request_kind kind,
		const char *reader, size_t max_data);
void request_free(struct request *r);
/* The worker side. */
void request_work(void *data);
/* Detach the operation (it is being completed on the loop); returns it. */
struct rk_op *request_take_op(struct request *r);
