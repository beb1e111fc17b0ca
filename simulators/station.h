/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * rekam - device simulators
 *
 * station.h - what the parts of rekam-sim-station share: the station (its
 * directory, programs and child processes), messages, the processes it
 * starts and waits for (station-proc.c), finding the programs
 * (station-find.c), the simulators, their devices and rekamd.conf
 * (station-devices.c), pcscd with the vpcd reader (station-pcscd.c), and
 * rekamd's start and readiness (station-rekamd.c). rekam-sim-station.c holds
 * the command line, the bus, the variables it prints and the main loop.
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
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <sysexits.h>
#include <time.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <unistd.h>

#include <dbus/dbus.h>

#define PROG "rekam-sim-station"
#define STATION_ID_DEFAULT "6305-SIM-01"
/* a simulated station takes applications at any hour (demo, CI) */
#define OFFICE_HOURS_DEFAULT "00:00-23:59"
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
 * The simulators of a station, in the order they start (and the reverse of
 * the order they stop): rekam-sim-card before rekam-sim-printer, whose
 * encoder is linked to it. @key names the files (DIR/KEY.sock,
 * DIR/KEY.control, DIR/KEY.log) and the variables (REKAM_KEY_CONTROL,
 * REKAM_KEY_PID). The table is in station-devices.c.
 */
enum sim_id {
	SIM_CENTRAL,
	SIM_CARD,
	SIM_CAMERA,
	SIM_BIOMETRIC,
	SIM_SCANNER,
	SIM_SIGPAD,
	SIM_PRINTER,
	N_SIMS
};

struct sim_kind {
	const char *key;
	const char *program;
	const char *help; /* what it is in the station, for --help */
	unsigned int n_ports; /* TCP ports on 127.0.0.1 picked for it */
};
extern const struct sim_kind sim_kinds[N_SIMS];

/*
 * The devices of rekamd.conf: [device NAME] with @plugin, driven by the
 * simulator @sim. rekamd puts each on D-Bus as devices/CLASS<n>, n counted
 * per class in the order of rekamd.conf; with one device per class, NAME is
 * chosen to be that same CLASS0, so names and paths agree.
 */
enum dev_id { DEV_CAMERA, DEV_FINGERPRINT, DEV_IRIS, DEV_SIGPAD, DEV_SCANNER, DEV_PRINTER,
	DEV_CARDREADER, N_DEVS };

struct dev_kind {
	const char *name;
	const char *plugin;
	enum sim_id sim;
};
extern const struct dev_kind dev_kinds[N_DEVS];

#define VPCD_READER "Virtual PCD"
#define VPCD_DRIVER_DEFAULT "/usr/lib/pcsc/drivers/serial/libifdvpcd.so"
#define PCSCD_LOCK "/tmp/rekam-pcscd.lock"
#define PCSCD_RUN "/run/pcscd"
#define PCSCD_LOCK_WAIT_S 120 /* default of --lock-wait */
#define CARD_KEY "00112233445566778899aabbccddeeff"
#define DEVICES_TIMEOUT_MS 30000 /* every device connected, once rekamd runs */
#define SIM_START_ATTEMPTS 5     /* new ports after a simulator that exits at start */

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
	const char *office_hours; /* [station] office-hours: HH:MM-HH:MM */
	const char *bindir;
	const char *plugin_dir;
	bool keep;
	bool verbose;
	bool no_card;
	bool no_rekamd; /* everything but rekamd: COMMAND (a test) runs it */
	unsigned int lock_wait_s; /* for the pcscd lock */
	char **command; /* NULL: wait for a signal */
};

struct sim {
	char *path;         /* NULL: not installed, left out */
	struct child child;
	unsigned int port[2];
	char *escl;         /* rekam-sim-scanner: its eSCL URL */
};

struct station {
	struct options opt;
	char *dir;       /* absolute */
	bool temporary;  /* made by us: removed unless --keep */
	char *dbus_daemon;
	char *rekamd;
	char *rekamctl;
	char *plugin_dir;
	char *address;
	struct child bus;
	struct child rekamd_child;
	struct sim sims[N_SIMS];
	bool dev_on[N_DEVS]; /* configured in rekamd.conf */
	/* pcscd with the vpcd reader, for the card reader (station-pcscd.c) */
	struct child pcscd;
	int pcscd_lock; /* -1, or the fd holding PCSCD_LOCK */
	unsigned int vpcd_port;
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
char *find_on_path(const char *name);
int find_programs(struct station *st, const char *argv0);

/* --- station-devices.c: the simulators, their ports, rekamd.conf --- */
bool is_socket(const char *path);
int start_sim(struct station *st, enum sim_id id);
int write_config(struct station *st);
void announce_devices(struct station *st);

/* --- station-pcscd.c: pcscd with the vpcd reader, when it can run --- */
int start_pcscd(struct station *st);
void stop_pcscd(struct station *st);

/* --- station-rekamd.c: rekamd's start and readiness --- */
int start_rekamd(struct station *st);
int wait_for_station(struct station *st);
