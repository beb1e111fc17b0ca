// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * rekam - device simulators
 *
 * station-pcscd.c - the station's card reader needs a pcscd of its own with
 * the vsmartcard vpcd reader, which rekam-sim-card connects to. pcscd's
 * client socket is fixed (/run/pcscd/pcscd.comm): one pcscd per machine, so
 * this takes the lock the integration tests take turns on
 * (/tmp/rekam-pcscd.lock, as tests/integration/lib.sh's require_pcscd),
 * needs a writable /run/pcscd (root) and no other pcscd. When that cannot
 * be had, the station starts without the card reader and says why; that is
 * not an error.
 */
#include <config.h>

#include <dirent.h>

#include <PCSC/winscard.h>

#include "simulators/station.h"

/* A running pcscd that is not ours ("" when none): its pid, for a message. */
static bool other_pcscd(char *pid_out, size_t size)
{
	char path[300], comm[32], stat[256], *p;
	struct dirent *e;
	DIR *d = opendir("/proc");
	bool found = false;
	FILE *f;

	if (!d)
		return false;
	while (!found && (e = readdir(d))) {
		if (e->d_name[0] < '1' || e->d_name[0] > '9' || strlen(e->d_name) >= size)
			continue;
		snprintf(path, sizeof(path), "/proc/%s/comm", e->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		if (!fgets(comm, sizeof(comm), f) || strcmp(comm, "pcscd\n") != 0) {
			fclose(f);
			continue;
		}
		fclose(f);
		/* a zombie holds no socket */
		snprintf(path, sizeof(path), "/proc/%s/stat", e->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		if (fgets(stat, sizeof(stat), f) && (p = strrchr(stat, ')')) && p[1] == ' ' &&
				p[2] != 'Z') {
			memcpy(pid_out, e->d_name, strlen(e->d_name) + 1);
			found = true;
		}
		fclose(f);
	}
	closedir(d);
	return found;
}

/* Does something answer on pcscd's socket (systemd's pcscd.socket)? */
static bool socket_in_use(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	bool used;

	if (fd < 0)
		return false;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	used = connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;
	close(fd);
	return used;
}

/* Take PCSCD_LOCK, waiting for a test's pcscd to finish; false after the wait. */
static bool take_lock(struct station *st, char *why, size_t size)
{
	uint64_t deadline = now_ms() + (uint64_t)st->opt.lock_wait_s * 1000;
	bool said = false;
	int fd = open(PCSCD_LOCK, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0666);

	if (fd < 0) {
		snprintf(why, size, "cannot open %s: %s", PCSCD_LOCK, strerror(errno));
		return false;
	}
	while (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		if (errno != EWOULDBLOCK || stop_signal || now_ms() >= deadline) {
			snprintf(why, size, "%s is held by another pcscd user (a test?)%s%u s",
				PCSCD_LOCK, stop_signal ? "" : " for ",
				stop_signal ? 0 : st->opt.lock_wait_s);
			close(fd);
			return false;
		}
		if (!said)
			err("waiting for %s: another test or station has the machine's pcscd",
				PCSCD_LOCK);
		said = true;
		nap(POLL_MS * 4);
	}
	st->pcscd_lock = fd;
	return true;
}

/* Can a port and the next one be bound on 127.0.0.1 (vpcd's two slots)? */
static bool port_pair_free(unsigned int port)
{
	unsigned int p;

	for (p = port; p <= port + 1; p++) {
		struct sockaddr_in sa = { .sin_family = AF_INET };
		int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;
		bool ok;

		if (fd < 0)
			return false;
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		sa.sin_port = htons((uint16_t)p);
		ok = bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;
		close(fd);
		if (!ok)
			return false;
	}
	return true;
}

/* A free pair, even, in 20000-29998: below the ephemeral range (as lib.sh). */
static unsigned int pick_vpcd_port(void)
{
	unsigned int i, p;

	for (i = 0; i < 20; i++) {
		p = 20000 + (unsigned int)(random() % 5000) * 2;
		if (port_pair_free(p))
			return p;
	}
	return 0;
}

/* Does pcscd list the vpcd reader? */
static bool reader_shown(void)
{
	SCARDCONTEXT ctx;
	DWORD len = SCARD_AUTOALLOCATE;
	char *list = NULL;
	const char *p;
	bool shown = false;

	if (SCardEstablishContext(SCARD_SCOPE_SYSTEM, NULL, NULL, &ctx) != SCARD_S_SUCCESS)
		return false;
	if (SCardListReaders(ctx, NULL, (LPSTR)&list, &len) == SCARD_S_SUCCESS) {
		for (p = list; *p && !shown; p += strlen(p) + 1)
			shown = !strncmp(p, VPCD_READER, strlen(VPCD_READER));
		SCardFreeMemory(ctx, list);
	}
	SCardReleaseContext(ctx);
	return shown;
}

/* pcscd -f -c DIR/reader.conf.d with vpcd on @port; true once the reader shows. */
static bool run_pcscd(struct station *st, const char *pcscd, const char *driver)
{
	char *confdir = xasprintf("%s/reader.conf.d", st->dir);
	char *conf = xasprintf("%s/vpcd", confdir);
	char *argv[] = { (char *)pcscd, "--foreground", "--config", confdir, NULL };
	uint64_t deadline;
	FILE *f;
	int log;

	if (mkdir(confdir, 0700) < 0 && errno != EEXIST)
		goto fail;
	f = fopen(conf, "w");
	if (!f)
		goto fail;
	fprintf(f, "FRIENDLYNAME \"" VPCD_READER "\"\nDEVICENAME /dev/null:%u\nLIBPATH %s\n"
		   "CHANNELID %u\n", st->vpcd_port, driver, st->vpcd_port);
	if (fclose(f) != 0)
		goto fail;
	log = open_log(st->dir, "pcscd.log");
	st->pcscd = (struct child){ .what = "pcscd" };
	st->pcscd.pid = spawn(argv, log, log, -1, true);
	if (log >= 0)
		close(log);
	if (st->pcscd.pid < 0) {
		st->pcscd.pid = 0;
		goto fail;
	}
	deadline = now_ms() + 15000;
	while (!child_exited(&st->pcscd) && now_ms() < deadline && !stop_signal) {
		if (reader_shown()) {
			info("pcscd (pid %d) shows the vpcd reader (port %u)", (int)st->pcscd.pid,
				st->vpcd_port);
			free(confdir);
			free(conf);
			return true;
		}
		nap(POLL_MS * 2);
	}
	stop_child(&st->pcscd, HELPER_STOP_TIMEOUT_MS);
	st->pcscd = (struct child){ 0 };
fail:
	free(confdir);
	free(conf);
	return false;
}

/* 0 with or without pcscd (st->pcscd.pid says which); 128+S after a signal. */
int start_pcscd(struct station *st)
{
	const char *driver = getenv("REKAM_VPCD_DRIVER");
	char why[256] = "", pid[32];
	char *pcscd = NULL;
	int attempt;

	st->pcscd_lock = -1;
	if (st->opt.no_card) {
		info("--no-card: no pcscd, no card reader");
		return 0;
	}
	if (!st->sims[SIM_CARD].path)
		return 0; /* said by find_programs() */
	if (!driver || !*driver)
		driver = VPCD_DRIVER_DEFAULT;
	pcscd = find_on_path("pcscd");
	if (!pcscd && access("/usr/sbin/pcscd", X_OK) == 0)
		pcscd = xstrdup("/usr/sbin/pcscd");
	if (!pcscd)
		snprintf(why, sizeof(why), "pcscd is not installed (Debian: pcscd)");
	else if (access(driver, F_OK) != 0)
		snprintf(why, sizeof(why), "the vpcd driver %s is not installed (Debian: "
			"vsmartcard-vpcd)", driver);
	else if ((mkdir(PCSCD_RUN, 0755) < 0 && errno != EEXIST) || access(PCSCD_RUN, W_OK) < 0)
		snprintf(why, sizeof(why), "pcscd needs a writable " PCSCD_RUN " (run as root)");
	else if (!take_lock(st, why, sizeof(why)))
		; /* why is said */
	else if (other_pcscd(pid, sizeof(pid)))
		snprintf(why, sizeof(why), "a pcscd is already running (pid %s): its socket "
			PCSCD_RUN "/pcscd.comm is the only one PC/SC clients reach", pid);
	else if (socket_in_use(PCSCD_RUN "/pcscd.comm"))
		snprintf(why, sizeof(why), PCSCD_RUN "/pcscd.comm is in use (systemd's "
			"pcscd.socket?)");
	srandom((unsigned int)(getpid() ^ now_ms()));
	for (attempt = 0; !why[0] && attempt < 2 && !st->pcscd.pid; attempt++) {
		st->vpcd_port = pick_vpcd_port();
		if (!st->vpcd_port)
			snprintf(why, sizeof(why), "no free port pair for vpcd in 20000-29999");
		else if (!run_pcscd(st, pcscd, driver) && !stop_signal)
			info("pcscd did not show the vpcd reader (port %u, attempt %d)",
				st->vpcd_port, attempt + 1);
	}
	free(pcscd);
	if (stop_signal)
		return 128 + stop_signal;
	if (!why[0] && !st->pcscd.pid) {
		snprintf(why, sizeof(why), "pcscd did not show the vpcd reader (see pcscd.log)");
		show_log(st, "pcscd.log", 5);
	}
	if (why[0]) {
		err("no card reader: %s; the station starts without cardreader0 (--no-card "
			"leaves it out without this message)", why);
		st->vpcd_port = 0;
		stop_pcscd(st);
	}
	return 0;
}

/* Stop pcscd (after rekam-sim-card) and let the next user have it. */
void stop_pcscd(struct station *st)
{
	stop_child(&st->pcscd, HELPER_STOP_TIMEOUT_MS);
	if (st->pcscd_lock >= 0)
		close(st->pcscd_lock);
	st->pcscd_lock = -1;
}
