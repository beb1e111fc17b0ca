/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * rekam - KTP-el recording station daemon
 *
 * crash-point.h - named points where the crash tests kill rekamd
 * (tests/integration/test-crash.sh): with REKAM_CRASH_POINT=NAME in its
 * environment (or NAME:N, the Nth time it is reached), rekamd sends itself
 * SIGKILL there, as a power cut would stop it. Without the variable a point
 * costs one comparison. docs/pipeline.md lists the points.
 */
#pragma once

/* SIGKILL rekamd here when REKAM_CRASH_POINT names @name. */
void rk_crash_point(const char *name);
/* The same for "@prefix.@suffix" (a step's state, a device's item). */
void rk_crash_point2(const char *prefix, const char *suffix);
