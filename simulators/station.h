/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * rekam - device simulators
 *
 * station.h - what the parts of rekam-sim-station share: the station (its
 * directory, programs and child processes), messages, the processes it
 * starts and waits for (station-proc.c), finding the programs
 * (station-find.c), and rekamd's configuration, start and readiness
 * (station-rekamd.c). rekam-sim-station.c holds the command line, the bus,
 * the simulators, the variables it prints and the main loop.
 */
#pragma once

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include <dbus/dbus.h>

#define PROG "rekam-sim-station"
#define STATION_ID_DEFAULT "6305-SIM-01"
#define REKAM_BUS_NAME "id.rekam.Station1"
#define REKAM_OBJECT_PATH "/id/rekam/Station1"
#define REKAM_DEVICE_INTERFACE REKAM_BUS_NAME ".Device"

#define START_TIMEOUT_MS 10000 /* each start-up step */
#define STOP_TIMEOUT_MS 10000  /* rekamd after SIGTERM */
#define HELPER_STOP_TIMEOUT_MS 5000 /* a simulator or the bus after SIGTERM */
#define POLL_MS 50
#define CALL_TIMEOUT_MS 2000
#define LOG_TAIL_LINES 20

#ifndef SBINDIR
#define SBINDIR "/usr/local/sbin"
#endif
#ifndef BINDIR
#define BINDIR "/usr/local/bin"
#endif
#ifndef PKGLIBDIR
#define PKGLIBDIR "/usr/local/lib/rekam"
#endif
#ifndef DBUS_DAEMON
#define DBUS_DAEMON "dbus-daemon"
#endif

/*
 * The simulators a station has: one line each. @key names the files
 * (DIR/KEY.sock, DIR/KEY.control, DIR/KEY.log) and the variables
 * (REKAM_KEY_CONTROL, REKAM_KEY_PID); @device is the [device NAME] section
 * of rekamd.conf, driven by @plugin over "sim:unix:DIR/KEY.sock".
 */
struct sim_kind {
	const char *key;
	const char *program;
	const char *device;
	const char *plugin;
};

/* The simulators of a station (rekam-sim-station.c): N_SIMS of them. */
#define N_SIMS 1
extern const struct sim_kind sim_kinds[N_SIMS];

struct child {
	const char *what; /* "rekamd", "dbus-daemon", "rekam-sim-sigpad", ... */
	pid_t pid;        /* 0: not started */
	bool exited;
	int status; /* from waitpid(), once exited */
};

struct options {
	const char *dir;
	const char *seed;
	const char *time_scale;
	const char *station_id;
	const char *bindir;
	const char *plugin_dir;
	bool keep;
	bool verbose;
	char **command; /* NULL: wait for a signal */
};

struct station {
	struct options opt;
	char *dir;       /* absolute */
	bool temporary;  /* made by us: removed unless --keep */
	char *dbus_daemon;
	char *rekamd;
	char *rekamctl;
	char *plugin_dir;
	char *sim_path[N_SIMS]; /* NULL: not installed, left out */
	char *address;
	struct child bus;
	struct child rekamd_child;
	struct child sims[N_SIMS];
	bool rekamd_failed; /* exited by itself, or did not stop cleanly */
};

/* station-proc.c: signals are blocked and taken with sigtimedwait() */
extern sigset_t handled_signals;
extern sigset_t original_mask;
extern int stop_signal; /* the first SIGINT, SIGTERM or SIGHUP */
extern bool verbose;

/* --- station-proc.c: messages, signals and waiting, starting processes --- */
void err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void *xmalloc_fail(void);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
char *xstrdup(const char *s);
void setup_signals(void);
int nap(int ms);
uint64_t now_ms(void);
bool child_exited(struct child *c);
void describe_status(int status, char *buf, size_t size);
bool stop_child(struct child *c, int ms);
pid_t spawn(char *const argv[], int out_fd, int err_fd, int fd3, bool daemon);
int open_log(const char *dir, const char *name);
void show_log(const struct station *st, const char *name, int lines);
#define info(...)                       \
	do {                            \
		if (verbose)            \
			err(__VA_ARGS__); \
	} while (0)

/* --- station-find.c: finding the programs --- */
bool is_dir(const char *path);
void free_strv(char **v);
int find_programs(struct station *st, const char *argv0);

/* --- station-rekamd.c: rekamd's configuration, start and readiness --- */
int write_config(struct station *st);
int start_rekamd(struct station *st);
int wait_for_station(struct station *st);
