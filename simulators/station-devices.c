// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * rekam - device simulators
 *
 * station-devices.c - the simulators of rekam-sim-station and the devices
 * rekamd drives on them: the tables, each simulator's command line (its TCP
 * ports picked free on 127.0.0.1, new ones when it exits at start), its
 * start, and rekamd.conf with one [device NAME] per device, configured as
 * the integration tests configure them (tests/integration/test-camera.c,
 * test-biometric.c, test-scanner.c, test-printer.sh, test-cardreader.sh,
 * test-central-status.sh).
 */
#include <config.h>

#include "simulators/station.h"

const struct sim_kind sim_kinds[N_SIMS] = {
	[SIM_CENTRAL] = { "central", "rekam-sim-central",
		"the central server (HTTPS, mutual TLS): rekamd's [central]", 1 },
	[SIM_CARD] = { "card", "rekam-sim-card",
		"the chip in the encoder's vpcd reader (pcscd): cardreader0", 0 },
	[SIM_CAMERA] = { "camera", "rekam-sim-camera",
		"camera0: camera-gphoto2 over ptpip:127.0.0.1:PORT:PORT", 2 },
	[SIM_BIOMETRIC] = { "biometric", "rekam-sim-biometric",
		"fingerprint0, iris0: fingerprint-sbi, iris-sbi on one SBI port", 1 },
	[SIM_SCANNER] = { "scanner", "rekam-sim-scanner",
		"scanner0: scanner-sane through sane-airscan (eSCL)", 0 },
	[SIM_SIGPAD] = { "sigpad", "rekam-sim-sigpad",
		"sigpad0: sigpad-sim over DIR/sigpad.sock", 0 },
	[SIM_PRINTER] = { "printer", "rekam-sim-printer",
		"printer0: printer-ipp at ipp://127.0.0.1:PORT/ipp/print", 1 },
};

const struct dev_kind dev_kinds[N_DEVS] = {
	[DEV_CAMERA] = { "camera0", "camera-gphoto2", SIM_CAMERA },
	[DEV_FINGERPRINT] = { "fingerprint0", "fingerprint-sbi", SIM_BIOMETRIC },
	[DEV_IRIS] = { "iris0", "iris-sbi", SIM_BIOMETRIC },
	[DEV_SIGPAD] = { "sigpad0", "sigpad-sim", SIM_SIGPAD },
	[DEV_SCANNER] = { "scanner0", "scanner-sane", SIM_SCANNER },
	[DEV_PRINTER] = { "printer0", "printer-ipp", SIM_PRINTER },
	[DEV_CARDREADER] = { "cardreader0", "cardreader-pcsc", SIM_CARD },
};

/* sane-airscan, which scanner-sane reaches the eSCL simulator through */
static const char *const airscan_paths[] = {
	"/usr/lib/x86_64-linux-gnu/sane/libsane-airscan.so.1",
	"/usr/lib/aarch64-linux-gnu/sane/libsane-airscan.so.1",
	"/usr/lib/sane/libsane-airscan.so.1",
	NULL,
};

bool is_socket(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISSOCK(st.st_mode);
}

/* A TCP port of 127.0.0.1 free right now (bound, read and closed: a small
 * race, which a new attempt covers), other than @avoid; 0 on failure. */
static unsigned int free_port(unsigned int avoid)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t len = sizeof(sa);
	unsigned int port = 0;
	int fd, tries;

	for (tries = 0; tries < 5 && (!port || port == avoid); tries++) {
		fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0)
			return 0;
		sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		sa.sin_port = 0;
		if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 &&
				getsockname(fd, (struct sockaddr *)&sa, &len) == 0)
			port = ntohs(sa.sin_port);
		close(fd);
	}
	return port == avoid ? 0 : port;
}

/* One line from the control socket @path after sending @command, or NULL. */
static char *control_ask(const char *path, const char *command)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char buf[1024];
	size_t len = 0;
	ssize_t n;
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path))
		return NULL;
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return NULL;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
			write(fd, command, strlen(command)) != (ssize_t)strlen(command)) {
		close(fd);
		return NULL;
	}
	while (len < sizeof(buf) - 1 && !memchr(buf, '\n', len)) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };

		if (poll(&pfd, 1, CALL_TIMEOUT_MS) <= 0)
			break;
		n = read(fd, buf + len, sizeof(buf) - 1 - len);
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	buf[len] = '\0';
	return memchr(buf, '\n', len) ? xstrdup(buf) : NULL;
}

/* rekam-sim-scanner picks its port (--port 0): its eSCL URL from status. */
static bool read_escl(struct station *st)
{
	char *control = xasprintf("%s/scanner.control", st->dir);
	char *line = control_ask(control, "status\n"), *p, *end;

	free(control);
	p = line ? strstr(line, "escl=") : NULL;
	if (p) {
		p += 5;
		end = p + strcspn(p, " \r\n");
		*end = '\0';
		free(st->sims[SIM_SCANNER].escl);
		st->sims[SIM_SCANNER].escl = xstrdup(p);
	}
	free(line);
	return p != NULL;
}

/* rekam-sim-central --make-pki DIR/central-pki: the test PKI, once. */
static int make_pki(struct station *st)
{
	char *pki = xasprintf("%s/central-pki", st->dir);
	char *argv[] = { st->sims[SIM_CENTRAL].path, "--make-pki", pki, NULL };
	struct child c = { .what = "rekam-sim-central --make-pki" };
	uint64_t deadline = now_ms() + START_TIMEOUT_MS * 3;
	int log = open_log(st->dir, "central.log"), status = 0;

	if (is_dir(pki)) {
		free(pki);
		if (log >= 0)
			close(log);
		return 0; /* a kept --dir: the station's server keeps its PKI */
	}
	c.pid = spawn(argv, log, log, -1, true);
	if (log >= 0)
		close(log);
	free(pki);
	if (c.pid < 0)
		return EX_OSERR;
	while (!child_exited(&c) && now_ms() < deadline && !stop_signal)
		nap(POLL_MS);
	if (!c.exited) {
		stop_child(&c, HELPER_STOP_TIMEOUT_MS);
		return stop_signal ? 128 + stop_signal : EX_UNAVAILABLE;
	}
	if (!WIFEXITED(c.status) || WEXITSTATUS(c.status) != 0) {
		err("rekam-sim-central --make-pki failed");
		show_log(st, "central.log", LOG_TAIL_LINES);
		status = EX_UNAVAILABLE;
	}
	return status;
}

/* The options of simulator @id beyond the common ones, into @argv (at @n). */
static void sim_args(struct station *st, enum sim_id id, char **argv, size_t *n, char **strs,
	size_t *n_strs)
{
	struct sim *s = &st->sims[id];
#define ARG(x) (argv[(*n)++] = (x))
#define STR(...) (argv[(*n)++] = strs[(*n_strs)++] = xasprintf(__VA_ARGS__))

	switch (id) {
	case SIM_CENTRAL:
		ARG("--pki");
		STR("%s/central-pki", st->dir);
		ARG("--db");
		STR("%s/central.db", st->dir);
		ARG("--port");
		STR("%u", s->port[0]);
		break;
	case SIM_CARD:
		/* out of the reader at start: the printer's stage puts a blank
		 * card into the encoder; the chip is kept in card.state */
		ARG("--vpcd");
		if (st->vpcd_port)
			STR("127.0.0.1:%u", st->vpcd_port);
		else
			ARG("off");
		ARG("--key");
		ARG(CARD_KEY);
		ARG("--state");
		STR("%s/card.state", st->dir);
		ARG("--removed");
		break;
	case SIM_CAMERA:
		ARG("--port");
		STR("%u", s->port[0]);
		ARG("--event-port");
		STR("%u", s->port[1]);
		ARG("--size");
		ARG("600x800");
		ARG("--background");
		ARG("red");
		break;
	case SIM_BIOMETRIC:
		ARG("--port");
		STR("%u", s->port[0]);
		ARG("--state");
		STR("%s/biometric", st->dir);
		break;
	case SIM_SCANNER:
		ARG("--port");
		ARG("0");
		ARG("--adf");
		ARG("2");
		ARG("--document");
		ARG("f102");
		break;
	case SIM_SIGPAD:
		break;
	case SIM_PRINTER:
		ARG("--port");
		STR("%u", s->port[0]);
		ARG("--output-dir");
		STR("%s/printed", st->dir);
		if (mkdir(argv[*n - 1], 0700) < 0 && errno != EEXIST)
			err("cannot create %s: %s", argv[*n - 1], strerror(errno));
		if (st->sims[SIM_CARD].child.pid) {
			ARG("--card-control");
			STR("%s/card.control", st->dir);
		}
		break;
	case N_SIMS:
		break;
	}
#undef ARG
#undef STR
}

/* One attempt at starting simulator @id; EX_TEMPFAIL when it exited at
 * start with ports of its own (a port was taken meanwhile: try others). */
static int start_sim_once(struct station *st, enum sim_id id)
{
	const struct sim_kind *k = &sim_kinds[id];
	struct sim *s = &st->sims[id];
	char *sock = xasprintf("%s/%s.sock", st->dir, k->key);
	char *control = xasprintf("%s/%s.control", st->dir, k->key);
	char *logname = xasprintf("%s.log", k->key);
	char *argv[32], *strs[16];
	struct child *c = &s->child;
	size_t n = 0, n_strs = 0, i;
	uint64_t deadline;
	int log, status = 0;

	for (i = 0; i < k->n_ports; i++)
		s->port[i] = free_port(i ? s->port[0] : 0);
	argv[n++] = s->path;
	argv[n++] = "--socket";
	argv[n++] = sock;
	argv[n++] = "--control";
	argv[n++] = control;
	if (st->opt.seed)
		argv[n++] = strs[n_strs++] = xasprintf("--seed=%s", st->opt.seed);
	if (st->opt.time_scale)
		argv[n++] = strs[n_strs++] = xasprintf("--time-scale=%s", st->opt.time_scale);
	if (st->opt.verbose)
		argv[n++] = "--verbose";
	sim_args(st, id, argv, &n, strs, &n_strs);
	argv[n] = NULL;

	log = open_log(st->dir, logname);
	*c = (struct child){ .what = k->program };
	c->pid = spawn(argv, log, log, -1, true);
	if (log >= 0)
		close(log);
	if (c->pid < 0) {
		c->pid = 0;
		status = EX_OSERR;
		goto out;
	}
	deadline = now_ms() + START_TIMEOUT_MS;
	while (!(is_socket(sock) && is_socket(control)) ||
			(id == SIM_SCANNER && !read_escl(st))) {
		if (stop_signal) {
			status = 128 + stop_signal;
			goto out;
		}
		/* 69: a socket could not be made, as when a port was taken */
		if (child_exited(c) && k->n_ports && WIFEXITED(c->status) &&
				WEXITSTATUS(c->status) == EX_UNAVAILABLE) {
			info("%s exited at start (a port taken?): trying other ports", k->program);
			c->pid = 0;
			status = EX_TEMPFAIL;
			goto out;
		}
		if (c->exited || now_ms() >= deadline) {
			err("%s did not start%s", k->program,
				c->exited ? "" : " (no sockets within 10 s)");
			show_log(st, logname, LOG_TAIL_LINES);
			status = EX_UNAVAILABLE;
			goto out;
		}
		nap(POLL_MS);
	}
	info("%s (pid %d): device %s, control %s", k->program, (int)c->pid, sock, control);
out:
	for (i = 0; i < n_strs; i++)
		free(strs[i]);
	free(sock);
	free(control);
	free(logname);
	return status;
}

int start_sim(struct station *st, enum sim_id id)
{
	int status = 0, attempt;

	if (id == SIM_CENTRAL)
		status = make_pki(st);
	for (attempt = 0; !status || status == EX_TEMPFAIL; attempt++) {
		if (attempt == SIM_START_ATTEMPTS) {
			char *logname = xasprintf("%s.log", sim_kinds[id].key);

			err("%s did not start: it exited %d times, on ports picked free each time",
				sim_kinds[id].program, attempt);
			show_log(st, logname, LOG_TAIL_LINES);
			free(logname);
			return EX_UNAVAILABLE;
		}
		status = start_sim_once(st, id);
		if (!status)
			break;
	}
	return status;
}

/* --- rekamd.conf ------------------------------------------------------------------- */

static bool have_airscan(void)
{
	size_t i;

	for (i = 0; airscan_paths[i]; i++)
		if (access(airscan_paths[i], F_OK) == 0)
			return true;
	return false;
}

/* DIR/sane: SANE for rekamd only, the scanner simulator as the one device. */
static int write_sane(struct station *st)
{
	char *dir = xasprintf("%s/sane", st->dir);
	char *dll = xasprintf("%s/dll.conf", dir), *conf = xasprintf("%s/airscan.conf", dir);
	FILE *f;
	int status = 0;

	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		status = EX_CANTCREAT;
	if (!status && (f = fopen(dll, "w"))) {
		fputs("airscan\n", f);
		status = fclose(f) ? EX_CANTCREAT : 0;
	} else {
		status = EX_CANTCREAT;
	}
	if (!status && (f = fopen(conf, "w"))) {
		fprintf(f, "# sane-airscan of a simulated station, written by " PROG "\n"
			   "[devices]\n\"Rekam Sim\" = %s, eSCL\n[options]\ndiscovery = disable\n",
			st->sims[SIM_SCANNER].escl);
		status = fclose(f) ? EX_CANTCREAT : 0;
	} else if (!status) {
		status = EX_CANTCREAT;
	}
	if (status)
		err("cannot write %s: %s", conf, strerror(errno));
	else if (setenv("SANE_CONFIG_DIR", dir, 1) < 0)
		xmalloc_fail();
	free(dir);
	free(dll);
	free(conf);
	return status;
}

/* Which devices go into rekamd.conf, saying why one is left out. */
static void choose_devices(struct station *st)
{
	size_t i;

	for (i = 0; i < N_DEVS; i++) {
		const struct dev_kind *d = &dev_kinds[i];

		st->dev_on[i] = st->sims[d->sim].child.pid != 0;
		if (!st->dev_on[i] && d->sim != SIM_CARD)
			info("device %s left out: %s is not installed", d->name,
				sim_kinds[d->sim].program);
	}
	if (st->dev_on[DEV_SCANNER] && !have_airscan()) {
		err("device scanner0 left out: sane-airscan is not installed (Debian: "
			"sane-airscan), and scanner-sane reaches the simulator through it");
		st->dev_on[DEV_SCANNER] = false;
	}
	/* the card reader only with pcscd and vpcd (station-pcscd.c said why not) */
	st->dev_on[DEV_CARDREADER] = st->dev_on[DEV_CARDREADER] && st->pcscd.pid;
}

static void write_device(struct station *st, FILE *f, enum dev_id id)
{
	const struct sim *s = &st->sims[dev_kinds[id].sim];

	fprintf(f, "\n[device %s]\nplugin = %s\n", dev_kinds[id].name, dev_kinds[id].plugin);
	switch (id) {
	case DEV_CAMERA:
		fprintf(f, "connection = ptpip:127.0.0.1:%u:%u\npoll-interval = 300\n"
			   "capture-timeout = 4000\n", s->port[0], s->port[1]);
		break;
	case DEV_FINGERPRINT:
		fprintf(f, "connection = sbi:127.0.0.1:%u\ntrust = %s/biometric/device.pem\n",
			s->port[0], st->dir);
		break;
	case DEV_IRIS:
		fprintf(f, "connection = sbi:127.0.0.1:%u\ntype = Iris\npoll-interval = 300\n"
			   "trust = %s/biometric/device.pem\n", s->port[0], st->dir);
		break;
	case DEV_SIGPAD:
		fprintf(f, "connection = sim:unix:%s/sigpad.sock\n", st->dir);
		break;
	case DEV_SCANNER:
		fprintf(f, "connection = sane:airscan:e0:Rekam Sim\nresolution = 100\n"
			   "presence-check = 1\n");
		break;
	case DEV_PRINTER:
		fprintf(f, "connection = ipp://127.0.0.1:%u/ipp/print\npoll-interval-ms = 100\n"
			   "job-poll-interval-ms = 20\ntimeout-ms = 5000\n", s->port[0]);
		break;
	case DEV_CARDREADER:
		fprintf(f, "connection = pcsc:" VPCD_READER "\nkey = " CARD_KEY "\n");
		break;
	case N_DEVS:
		break;
	}
}

int write_config(struct station *st)
{
	char *path = xasprintf("%s/rekamd.conf", st->dir);
	const struct sim *central = &st->sims[SIM_CENTRAL];
	FILE *f;
	size_t i;
	int status = 0;

	choose_devices(st);
	if (st->dev_on[DEV_SCANNER])
		status = write_sane(st);
	f = status ? NULL : fopen(path, "w");
	if (!f) {
		if (!status)
			err("cannot write %s: %s", path, strerror(errno));
		free(path);
		return EX_CANTCREAT;
	}
	fprintf(f, "# rekamd.conf of a simulated station, written by " PROG "\n"
		   "[station]\n"
		   "id = %s\n",
		st->opt.station_id);
	if (central->child.pid)
		fprintf(f, "\n[central]\nurl = https://127.0.0.1:%u/v1\n"
			   "ca = %s/central-pki/ca.pem\ncert = %s/central-pki/station1.pem\n"
			   "key = %s/central-pki/station1.key\n"
			   "encryption-cert = %s/central-pki/enc.pem\n",
			central->port[0], st->dir, st->dir, st->dir, st->dir);
	for (i = 0; i < N_DEVS; i++)
		if (st->dev_on[i])
			write_device(st, f, (enum dev_id)i);
	if (fclose(f) != 0) {
		err("cannot write %s: %s", path, strerror(errno));
		status = EX_CANTCREAT;
	}
	free(path);
	return status;
}

/* The devices, for a person reading the variables: "# device NAME PATH". */
void announce_devices(struct station *st)
{
	size_t i;

	for (i = 0; i < N_DEVS; i++)
		if (st->dev_on[i])
			printf("# device %-12s %s/devices/%s (%s)\n", dev_kinds[i].name,
				REKAM_OBJECT_PATH, dev_kinds[i].name, dev_kinds[i].plugin);
}
