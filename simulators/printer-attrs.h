/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * rekam - device simulators
 *
 * printer-attrs.h - the IPP attributes of rekam-sim-printer and of its jobs,
 * built from the printer's state (printer-attrs.c) for printer-ipp.c.
 */
#pragma once

#include <cups/array.h>
#include <cups/ipp.h>

#include "simulators/printer.h"

/* Add the printer's attributes named in @ra (NULL: all) to @resp. */
void printer_attrs_printer(struct printer *p, ipp_t *resp, cups_array_t *ra);
/* Add @job's attributes named in @ra (NULL: all) to @resp, as one job group. */
void printer_attrs_job(struct printer *p, struct printer_job *job, ipp_t *resp, cups_array_t *ra);
/* The default of Get-Jobs: job-id and job-uri (cupsArrayDelete() it). */
cups_array_t *printer_attrs_default_job_set(void);
