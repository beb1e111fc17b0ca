/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * rekam - KTP-el recording station daemon
 *
 * biometrics.h - destroying an enrollment's biometrics once its card is
 * collected and the central server has confirmed the issuance
 * (biometrics.c; docs/SECURITY.md).
 */
#pragma once

#include <stdint.h>

struct rk_daemon;
struct rk_enrollment;

/* Destroy @e's data key and artifacts if it is collected and its issuance
 * report accepted (else nothing); finish a destruction a crash cut short. */
void rk_biometrics_check(struct rk_daemon *d, struct rk_enrollment *e);
/* The central server accepted the issuance report of enrollment @id. */
void rk_biometrics_issuance_accepted(struct rk_daemon *d, int64_t id);
/* At start: every enrollment whose destruction is due or unfinished. */
void rk_biometrics_resume(struct rk_daemon *d);
