/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * rekam - KTP-el recording station daemon
 *
 * commands.h - rekamctl's commands, one per cmd-*.c file, and what they
 * share. A command returns 0 or a negative errno (see ctl_exit_status());
 * it has printed its own error message, and main() adds the "Try ..." hint
 * after a usage error (-EINVAL).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "client/bus.h"

/* An option that belongs to one command (enroll): its long name and value. */
struct ctl_cmd_option {
	const char *name;
	const char *value;
};

/* Everything the global options decide. */
struct ctl {
	struct ctl_bus bus;
	bool json;          /* --json: one JSON document on stdout */
	bool timeout_given; /* --timeout was on the command line */
	char **options;     /* --option KEY=VALUE arguments, for capture and job */
	size_t n_options;
	char **data;        /* --data KEY=FILE arguments, for job */
	size_t n_data;
	const char *save_dir; /* --save=DIR: capture and job save their artifacts */
	const char *output;   /* -o FILE: diag and report write an HTML page */
	const char *month;    /* --month=YYYY-MM, for report */
	bool csv;             /* --csv, for report */
	bool direct;          /* --direct: diag loads the plugins itself (direct.c) */
	const char *config_path; /* --config=FILE, for diag --direct */
	const char *plugin_dir;  /* --plugin-dir=DIR, for diag --direct */
	struct ctl_cmd_option *cmd_options; /* --nik=... etc., for enroll (in order) */
	size_t n_cmd_options;
};

struct ctl_command {
	const char *name;
	const char *args;    /* synopsis of the arguments, "" when none */
	const char *summary; /* one line for --help */
	int min_args;        /* after the command name; checked before connecting */
	int max_args;        /* -1: any number */
	bool needs_bus;      /* main() connects before run() */
	/* argv[0] is the command name; options have been taken out already */
	int (*run)(struct ctl *ctl, int argc, char **argv);
};

/* --json output: @doc pretty-printed (2-space indent, sorted keys) and a newline. */
int ctl_print_json(const json_t *doc);

int cmd_status(struct ctl *ctl, int argc, char **argv);
int cmd_devices(struct ctl *ctl, int argc, char **argv);
int cmd_capture(struct ctl *ctl, int argc, char **argv);
int cmd_selftest(struct ctl *ctl, int argc, char **argv);
int cmd_job(struct ctl *ctl, int argc, char **argv);
int cmd_artifact(struct ctl *ctl, int argc, char **argv);
int cmd_audit(struct ctl *ctl, int argc, char **argv);
int cmd_diag(struct ctl *ctl, int argc, char **argv);
int cmd_monitor(struct ctl *ctl, int argc, char **argv);
int cmd_report(struct ctl *ctl, int argc, char **argv);

#define CTL_DIRECT_CONFIG SYSCONFDIR "/rekam/rekamd.conf" /* as rekamd's default */
#define CTL_DIRECT_PLUGIN_DIR PKGLIBDIR "/plugins"

/* direct.c: diag without rekamd. The station, the one check ("rekamd") and
 * every configured device (or @only) self-tested, as cmd-diag.c gathers them
 * through rekamd. -EBUSY while rekamd owns its bus name; -EINVAL for a
 * configuration that cannot be read; -EREMOTEIO when @only is no device. */
int ctl_direct_diag(struct ctl *ctl, const char *only, json_t **station, json_t **checks,
		json_t **devices);

/* cmd-artifact.c: the table of artifacts (an array of their a{sv} as JSON),
 * and saving each as DIR/<kind>.<ext> (adding "File" to its object). */
int ctl_print_artifacts(const json_t *artifacts);
int ctl_save_artifacts(struct ctl_bus *bus, json_t *artifacts, const char *dir);
int cmd_enroll(struct ctl *ctl, int argc, char **argv);
int cmd_cards(struct ctl *ctl, int argc, char **argv);
int cmd_card(struct ctl *ctl, int argc, char **argv);

/* The long options of enroll (rekamctl.c reads them wherever they are). */
extern const char *const ctl_enroll_options[];
