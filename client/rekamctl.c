// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * rekam - KTP-el recording station daemon
 *
 * rekamctl.c - the command-line client: global options, the command table,
 * help, and the exit status. Each command lives in its own cmd-*.c file.
 */
#include <config.h>

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "client/commands.h"

static int cmd_help(struct ctl *ctl, int argc, char **argv);

/* In the order --help lists them. */
static const struct ctl_command commands[] = {
	{ "status", "", "Show the station's identity, state, uptime and database", 0, 0, true,
		cmd_status },
	{ "devices", "[DEVICE]", "List the devices, or show every property of one", 0, 1, true,
		cmd_devices },
	{ "capture", "DEVICE", "Claim a device, capture with it, list the artifacts, release it",
		1, 1, true, cmd_capture },
	{ "selftest", "DEVICE", "Claim a device, run its self-test step by step, release it", 1, 1,
		true, cmd_selftest },
	{ "job", "DEVICE ACTION", "Claim a device, run one of its jobs (print, personalize, ...)",
		2, 2, true, cmd_job },
	{ "artifact", "save HANDLE FILE", "Save the bytes of an artifact rekamd keeps", 3, 3, true,
		cmd_artifact },
	{ "audit", "[verify]", "List the audit trail, or verify its hash chain", 0, 1, true,
		cmd_audit },
	{ "diag", "[DEVICE]", "Self-test every device and check the station; a report", 0, 1,
		true, cmd_diag },
	{ "report", "--month=YYYY-MM", "The monthly performance report: every SOP step against "
		"its time standard", 0, 0, true, cmd_report },
	{ "monitor", "", "Follow rekamd's events (devices, states, progress) until Ctrl-C", 0, 0,
		true, cmd_monitor },
	{ "enroll", "SUBCOMMAND [ARGS]", "Enrollments: the ten SOP steps, return, list, show "
		"(see 'rekamctl help enroll')", 1, -1, true, cmd_enroll },
	{ "cards", "[add FIRST COUNT]", "Show the blank card stock, or register a batch of cards",
		0, 3, true, cmd_cards },
	{ "card", "preview ID -o FRONT.png", "Save the faces of an enrollment's card as step 8 "
		"would print them (the back beside the front)", 2, 2, true, cmd_card },
	{ "help", "[COMMAND]", "Show this help, or the usage of one command", 0, 1, false,
		cmd_help },
};

#define N_COMMANDS (sizeof(commands) / sizeof(commands[0]))

static const struct ctl_command *find_command(const char *name)
{
	size_t i;

	for (i = 0; i < N_COMMANDS; i++)
		if (!strcmp(commands[i].name, name))
			return &commands[i];
	return NULL;
}

/* --- help ------------------------------------------------------------------ */

static void print_usage(void)
{
	char synopsis[64];
	size_t i;

	printf("Usage: rekamctl [OPTIONS] COMMAND [ARGS...]\n"
	       "\n"
	       "Query and control rekamd, the KTP-el recording station daemon. rekamctl talks\n"
	       "to rekamd only over D-Bus (bus name %s, object %s);\n"
	       "it never opens the station database itself.\n"
	       "\n"
	       "Commands:\n",
		REKAM_BUS_NAME, REKAM_OBJECT_PATH);
	for (i = 0; i < N_COMMANDS; i++) {
		snprintf(synopsis, sizeof(synopsis), "%s%s%s", commands[i].name,
			*commands[i].args ? " " : "", commands[i].args);
		printf("  %-26s %s\n", synopsis, commands[i].summary);
	}
	printf("\n"
	       "Options (before or after the command):\n"
	       "      --system           Talk to rekamd on the system bus (the default)\n"
	       "      --session          Talk to rekamd on the session bus (development, tests)\n"
	       "      --address=ADDRESS  Talk to rekamd on the bus at ADDRESS, a D-Bus address\n"
	       "                         such as unix:path=/path/to/socket (e.g. the private\n"
	       "                         bus of a demo station)\n"
	       "      --json             Machine-readable output: one JSON document on standard\n"
	       "                         output; errors still go to standard error as text\n"
	       "      --timeout=SECONDS  Wait at most SECONDS for each answer from rekamd\n"
	       "                         (default: %d); for capture, also the capture's\n"
	       "                         own timeout\n"
	       "      --option=KEY=VALUE capture, job: an option of the operation, repeatable;\n"
	       "                         VALUE is sent as a 64-bit integer when it is one,\n"
	       "                         as a boolean when it is true or false, else as text\n"
	       "      --data=KEY=FILE    job: the bytes of FILE as option KEY (at most 16 MiB),\n"
	       "                         repeatable; e.g. a card image or a personalization blob\n"
	       "      --save=DIR         capture, job: save each artifact's bytes as\n"
	       "                         DIR/<kind>.<ext> (DIR is created when missing)\n"
	       "  -o, --output=FILE      diag: also write the report as an HTML page;\n"
	       "                         report: write it as an HTML page with charts;\n"
	       "                         card preview: the front's PNG (the back goes beside\n"
	       "                         it: front.png -> back.png, else FILE-back.png)\n"
	       "      --month=YYYY-MM    report: the month (in local time) to report on\n"
	       "      --csv              report: print the report as CSV\n"
	       "      --direct           diag: rekamd is not running; load the plugins and\n"
	       "                         test the devices of rekamd.conf without it\n"
	       "      --config=FILE      diag --direct: the rekamd.conf to read (default\n"
	       "                         %s)\n"
	       "      --plugin-dir=DIR   diag --direct: the plugin directory (default\n"
	       "                         %s)\n"
	       "  -h, --help             Show this help and exit\n"
	       "  -V, --version          Show the version of rekamctl and exit\n"
	       "\n"
	       "Environment:\n"
	       "  DBUS_SYSTEM_BUS_ADDRESS   the system bus, if not the standard socket\n"
	       "  DBUS_SESSION_BUS_ADDRESS  the session bus (--session)\n"
	       "\n"
	       "Exit status:\n"
	       "  0   success\n"
	       "  1   rekamd answered with an error (the message says which and why), or\n"
	       "      the device asked for does not exist\n"
	       "  64  the command line is wrong: unknown command or option, bad argument\n"
	       "  69  the bus cannot be reached, rekamd is not running, or it did not\n"
	       "      answer in time\n"
	       "  70  internal error\n"
	       "  71  out of memory\n"
	       "  74  the output could not be written\n"
	       "  75  the device is claimed by another client (or busy): try again later\n"
	       "  76  rekamd's answer was not what this rekamctl understands\n"
	       "  77  permission denied by the bus policy or by rekamd\n"
	       "\n"
	       "Examples:\n"
	       "  rekamctl status\n"
	       "  rekamctl --session --json status | jq -r .State\n"
	       "  rekamctl devices\n"
	       "  rekamctl devices sigpad0\n"
	       "  rekamctl selftest sigpad0\n"
	       "  rekamctl capture sigpad0 --option min-points=50 --timeout=60\n"
	       "  rekamctl capture camera0 --save=photos\n"
	       "  rekamctl job printer0 print --data front=front.png --data back=back.png\n"
	       "  rekamctl artifact save 0123456789abcdef0123456789abcdef portrait.jpg\n"
	       "  rekamctl audit verify\n"
	       "  rekamctl diag -o station-report.html\n"
	       "  rekamctl diag --direct     (with rekamd stopped)\n"
	       "  rekamctl report --month=2026-11 -o november.html\n"
	       "  rekamctl enroll submit --file=applicant.json\n"
	       "  rekamctl enroll receive 1 --have=f102,family-card,diploma\n"
	       "  rekamctl enroll list\n"
	       "  rekamctl cards add K-0001 100\n"
	       "\n"
	       "The D-Bus API behind every command is documented in %s.xml.\n",
		CTL_DEFAULT_TIMEOUT_S, CTL_DIRECT_CONFIG, CTL_DIRECT_PLUGIN_DIR, REKAM_BUS_NAME);
}

static void try_help(void)
{
	fputs("Try 'rekamctl --help' for more information.\n", stderr);
}

static int cmd_help(struct ctl *ctl, int argc, char **argv)
{
	const struct ctl_command *cmd;

	(void)ctl;
	if (argc < 2) {
		print_usage();
		return 0;
	}
	cmd = find_command(argv[1]);
	if (!cmd) {
		ctl_err("unknown command '%s'", argv[1]);
		return -EINVAL;
	}
	printf("Usage: rekamctl [OPTIONS] %s%s%s\n\n%s.\n", cmd->name, *cmd->args ? " " : "",
		cmd->args, cmd->summary);
	if (cmd->run == cmd_enroll)
		printf("\n"
		       "  enroll submit --nik=NIK --name=NAME --sex=male|female --birth-place=PLACE\n"
		       "        --birth-date=YYYY-MM-DD --religion=R --marital-status=S --street=ADDRESS\n"
		       "        --rt=NNN --rw=NNN --village=V --district=D [--blood-type=T]\n"
		       "        [--occupation=O] [--citizenship=WNI|WNA] [--file=APPLICANT.json]\n"
		       "                            step 1: submit an applicant (the file holds the\n"
		       "                            D-Bus keys, e.g. {\"Nik\": \"...\"}; options win)\n"
		       "  enroll receive ID [--have=ITEM,...]\n"
		       "                            step 2: the checklist (f102, family-card,\n"
		       "                            marriage-certificate, diploma); incomplete returns\n"
		       "  enroll verify ID [--reject=REASON]\n"
		       "                            step 3: approve, or return with REASON\n"
		       "  enroll forward ID         step 4: pass to recording\n"
		       "  enroll record ID [--exceptions=FINGER,...]\n"
		       "                            step 5: take every item still missing (portrait,\n"
		       "                            slaps, thumbs, irises, signature, documents)\n"
		       "  enroll capture ID ITEM    take or retake one item (see RecordItems)\n"
		       "  enroll upload ID          step 6: send the packet to the central server\n"
		       "  enroll open-print ID NIK  step 7: confirm the NIK to print\n"
		       "  enroll issue ID [--decision=spoil|issued --reason=TEXT]\n"
		       "                            step 8: encode, print and put out the card; the\n"
		       "                            decision is for an issuance a restart cut short\n"
		       "  enroll handover ID        step 9: print the pickup token\n"
		       "  enroll collect ID TOKEN   step 10: the applicant collects the card\n"
		       "  enroll resend-report ID   the supervisor: send a refused issuance report\n"
		       "                            again, once the central office put it right\n"
		       "  enroll return ID REASON   give the file back to the applicant\n"
		       "  enroll list               every enrollment, one per line\n"
		       "  enroll show ID            every property and the step times of one\n"
		       "ID is the enrollment's number or its object path.\n");
	else if (cmd->run == cmd_cards)
		printf("\n"
		       "  cards                     blank, issued and spoiled cards\n"
		       "  cards add FIRST COUNT     register COUNT blank cards with consecutive\n"
		       "                            serials from FIRST (e.g. K-0001 100)\n");
	return 0;
}

/* --- shared by the commands ------------------------------------------------ */

int ctl_print_json(const json_t *doc)
{
	if (json_dumpf(doc, stdout, JSON_INDENT(2) | JSON_SORT_KEYS) < 0 || putchar('\n') == EOF) {
		ctl_err("cannot write the JSON output");
		return -EIO;
	}
	return 0;
}

/* --- options --------------------------------------------------------------- */

enum {
	OPT_SYSTEM = 0x100,
	OPT_SESSION,
	OPT_ADDRESS,
	OPT_JSON,
	OPT_TIMEOUT,
	OPT_OPTION,
	OPT_DATA,
	OPT_SAVE,
	OPT_OUTPUT,
	OPT_MONTH,
	OPT_CSV,
	OPT_DIRECT,
	OPT_CONFIG,
	OPT_PLUGIN_DIR,
	OPT_COMMAND, /* an option of one command (ctl_enroll_options) */
};

static const struct option global_options[] = {
	{ "system", no_argument, NULL, OPT_SYSTEM },
	{ "session", no_argument, NULL, OPT_SESSION },
	{ "address", required_argument, NULL, OPT_ADDRESS },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "timeout", required_argument, NULL, OPT_TIMEOUT },
	{ "option", required_argument, NULL, OPT_OPTION },
	{ "data", required_argument, NULL, OPT_DATA },
	{ "save", required_argument, NULL, OPT_SAVE },
	{ "output", required_argument, NULL, 'o' },
	{ "month", required_argument, NULL, OPT_MONTH },
	{ "csv", no_argument, NULL, OPT_CSV },
	{ "direct", no_argument, NULL, OPT_DIRECT },
	{ "config", required_argument, NULL, OPT_CONFIG },
	{ "plugin-dir", required_argument, NULL, OPT_PLUGIN_DIR },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
};

#define N_GLOBAL_OPTIONS (sizeof(global_options) / sizeof(global_options[0]))

/* The global options, then one per ctl_enroll_options, then the end. */
static struct option options[N_GLOBAL_OPTIONS + 24];

static void build_options(void)
{
	size_t n = N_GLOBAL_OPTIONS;

	memcpy(options, global_options, sizeof(global_options));
	for (size_t i = 0; ctl_enroll_options[i] && n + 1 < sizeof(options) / sizeof(options[0]); i++)
		options[n++] = (struct option){ ctl_enroll_options[i], required_argument, NULL,
			OPT_COMMAND };
	options[n] = (struct option){ NULL, 0, NULL, 0 };
}

/* --nik=... and the like: kept in order for the command. */
static int add_cmd_option(struct ctl *ctl, const char *name, const char *value)
{
	struct ctl_cmd_option *list;

	list = realloc(ctl->cmd_options, (ctl->n_cmd_options + 1) * sizeof(*list));
	if (!list) {
		ctl_err("out of memory");
		return -ENOMEM;
	}
	list[ctl->n_cmd_options++] = (struct ctl_cmd_option){ name, value };
	ctl->cmd_options = list;
	return 0;
}

/* YYYY-MM with a month 01-12; rekamd checks it again. */
static bool valid_month(const char *s)
{
	if (strlen(s) != 7 || s[4] != '-' || strspn(s, "0123456789") != 4 ||
			strspn(s + 5, "0123456789") != 2)
		return false;
	return (s[5] == '0' && s[6] >= '1') || (s[5] == '1' && s[6] <= '2');
}

static int parse_timeout(const char *text, double *seconds)
{
	char *end;
	double s;

	errno = 0;
	s = strtod(text, &end);
	if (errno || end == text || *end || !isfinite(s) || s <= 0 || s > 2000000.0) {
		ctl_err("invalid timeout '%s': expected a number of seconds greater than 0", text);
		return -EINVAL;
	}
	*seconds = s;
	return 0;
}

/* --option KEY=VALUE or --data KEY=FILE (@name): kept in @list for the command. */
static int add_pair(const char *name, char ***list, size_t *n, char *arg)
{
	char *eq = strchr(arg, '='), **l;

	if (!eq || eq == arg) {
		ctl_err("invalid --%s '%s': expected KEY=%s", name, arg,
			strcmp(name, "data") ? "VALUE" : "FILE");
		return -EINVAL;
	}
	l = realloc(*list, (*n + 1) * sizeof(*l));
	if (!l) {
		ctl_err("out of memory");
		return -ENOMEM;
	}
	l[(*n)++] = arg;
	*list = l;
	return 0;
}

/* The option that getopt_long() stopped at, for a message. */
static const char *bad_option(int argc, char **argv, char *buf, size_t size)
{
	if (optopt > 0 && optopt < 0x100) {
		snprintf(buf, size, "-%c", optopt);
		return buf;
	}
	if (optind > 0 && optind <= argc)
		return argv[optind - 1];
	return "?";
}

/*
 * Global options, wherever they are on the command line; getopt_long() moves
 * the command and its arguments to argv[optind...]. Returns 0 to go on, 1
 * when --help or --version has been answered, or -EINVAL.
 */
static int parse_options(struct ctl *ctl, int argc, char **argv)
{
	char buf[8];
	int c, err, opt_index = -1;

	build_options();
	opterr = 0; /* our own messages, without the program's path */
	while ((c = getopt_long(argc, argv, ":hVo:", options, &opt_index)) != -1) {
		switch (c) {
		case OPT_COMMAND:
			err = add_cmd_option(ctl, options[opt_index].name, optarg);
			if (err)
				return err;
			break;
		case OPT_SYSTEM:
			ctl->bus.kind = CTL_BUS_SYSTEM;
			break;
		case OPT_SESSION:
			ctl->bus.kind = CTL_BUS_SESSION;
			break;
		case OPT_ADDRESS:
			if (!*optarg) {
				ctl_err("--address needs a bus address, e.g. unix:path=/run/bus");
				return -EINVAL;
			}
			ctl->bus.kind = CTL_BUS_ADDRESS;
			ctl->bus.address = optarg;
			break;
		case OPT_JSON:
			ctl->json = true;
			break;
		case OPT_TIMEOUT:
			err = parse_timeout(optarg, &ctl->bus.timeout_s);
			if (err)
				return err;
			ctl->timeout_given = true;
			break;
		case OPT_OPTION:
			err = add_pair("option", &ctl->options, &ctl->n_options, optarg);
			if (err)
				return err;
			break;
		case OPT_DATA:
			err = add_pair("data", &ctl->data, &ctl->n_data, optarg);
			if (err)
				return err;
			break;
		case 'o':
			if (!*optarg) {
				ctl_err("-o needs a file name");
				return -EINVAL;
			}
			ctl->output = optarg;
			break;
		case OPT_MONTH:
			if (!valid_month(optarg)) {
				ctl_err("invalid month '%s': expected YYYY-MM, e.g. 2026-11", optarg);
				return -EINVAL;
			}
			ctl->month = optarg;
			break;
		case OPT_CSV:
			ctl->csv = true;
			break;
		case OPT_DIRECT:
			ctl->direct = true;
			break;
		case OPT_CONFIG:
		case OPT_PLUGIN_DIR:
			if (!*optarg) {
				ctl_err("--%s needs a %s", c == OPT_CONFIG ? "config" : "plugin-dir",
					c == OPT_CONFIG ? "file name" : "directory");
				return -EINVAL;
			}
			if (c == OPT_CONFIG)
				ctl->config_path = optarg;
			else
				ctl->plugin_dir = optarg;
			break;
		case OPT_SAVE:
			if (!*optarg) {
				ctl_err("--save needs a directory");
				return -EINVAL;
			}
			ctl->save_dir = optarg;
			break;
		case 'h':
			print_usage();
			return 1;
		case 'V':
			printf("rekamctl %s\n", PACKAGE_VERSION);
			return 1;
		case ':':
			ctl_err("option '%s' needs an argument",
				bad_option(argc, argv, buf, sizeof(buf)));
			return -EINVAL;
		default:
			ctl_err("unknown option '%s'", bad_option(argc, argv, buf, sizeof(buf)));
			return -EINVAL;
		}
	}
	return 0;
}

/* --- main ------------------------------------------------------------------ */

/* Before connecting: a wrong command line is a usage error wherever the bus is. */
static int check_arguments(const struct ctl_command *cmd, int n)
{
	if (n < cmd->min_args) {
		ctl_err("%s needs %s%d argument%s", cmd->name,
			cmd->max_args == cmd->min_args ? "" : "at least ", cmd->min_args,
			cmd->min_args == 1 ? "" : "s");
		return -EINVAL;
	}
	if (cmd->max_args >= 0 && n > cmd->max_args) {
		if (cmd->max_args == 0)
			ctl_err("%s takes no arguments", cmd->name);
		else
			ctl_err("%s takes at most %d argument%s", cmd->name, cmd->max_args,
				cmd->max_args == 1 ? "" : "s");
		return -EINVAL;
	}
	return 0;
}

static int run(struct ctl *ctl, int argc, char **argv)
{
	const struct ctl_command *cmd;
	int err;

	err = parse_options(ctl, argc, argv);
	if (err)
		return err > 0 ? 0 : err;
	if (optind >= argc) {
		ctl_err("no command given");
		return -EINVAL;
	}
	cmd = find_command(argv[optind]);
	if (!cmd) {
		ctl_err("unknown command '%s'", argv[optind]);
		return -EINVAL;
	}
	err = check_arguments(cmd, argc - optind - 1);
	if (err)
		return err;
	if (ctl->n_options && cmd->run != cmd_capture && cmd->run != cmd_job) {
		ctl_err("--option is for capture and job only");
		return -EINVAL;
	}
	if (ctl->n_data && cmd->run != cmd_job) {
		ctl_err("--data is for job only");
		return -EINVAL;
	}
	if (ctl->output && cmd->run != cmd_diag && cmd->run != cmd_report && cmd->run != cmd_card) {
		ctl_err("-o is for diag, report and card preview only");
		return -EINVAL;
	}
	if ((ctl->month || ctl->csv) && cmd->run != cmd_report) {
		ctl_err("--%s is for report only", ctl->month ? "month" : "csv");
		return -EINVAL;
	}
	if (cmd->run == cmd_report && !ctl->month) {
		ctl_err("report needs --month=YYYY-MM");
		return -EINVAL;
	}
	if (ctl->direct && cmd->run != cmd_diag) {
		ctl_err("--direct is for diag only");
		return -EINVAL;
	}
	if ((ctl->config_path || ctl->plugin_dir) && !ctl->direct) {
		ctl_err("--%s is for diag --direct only", ctl->config_path ? "config" : "plugin-dir");
		return -EINVAL;
	}
	if (ctl->csv && ctl->json) {
		ctl_err("--csv and --json do not go together");
		return -EINVAL;
	}
	if (ctl->save_dir && cmd->run != cmd_capture && cmd->run != cmd_job) {
		ctl_err("--save is for capture and job only");
		return -EINVAL;
	}
	if (ctl->n_cmd_options && cmd->run != cmd_enroll) {
		ctl_err("--%s is for enroll only", ctl->cmd_options[0].name);
		return -EINVAL;
	}

	if (cmd->needs_bus && !ctl->direct) {
		err = ctl_bus_open(&ctl->bus);
		if (err)
			return err;
	}
	err = cmd->run(ctl, argc - optind, argv + optind);
	ctl_bus_close(&ctl->bus);
	return err;
}

int main(int argc, char **argv)
{
	struct ctl ctl = {
		.bus = { .kind = CTL_BUS_SYSTEM, .timeout_s = CTL_DEFAULT_TIMEOUT_S },
	};
	int status;

	status = ctl_exit_status(run(&ctl, argc, argv));
	free(ctl.options);
	free(ctl.data);
	free(ctl.cmd_options);
	dbus_shutdown(); /* libdbus's caches, so that valgrind sees nothing left */

	if (status == EX_USAGE)
		try_help();
	if (fflush(stdout) != 0 || ferror(stdout)) {
		ctl_err("cannot write to standard output");
		if (status == EX_OK)
			status = EX_IOERR;
	}
	return status;
}
