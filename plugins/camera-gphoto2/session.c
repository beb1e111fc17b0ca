// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * rekam - device plugins
 *
 * session.c - the libgphoto2 side of camera-gphoto2 (see session.h): find
 * and connect the camera (a configured port, or the first one detected),
 * read its identity and battery, capture → download → delete, live view,
 * and the two things libgphoto2 does not do for us: stopping a call that
 * hangs (a camera that answered DeviceBusy leaves gp_camera_capture()
 * waiting for events forever, without asking the context whether to cancel),
 * and keeping its settings file out of $HOME.
 *
 * Stopping: on PTP/IP the sockets libgphoto2 opened are found by their peer
 * in /proc/self/fd and shut down (not closed: the descriptors stay
 * libgphoto2's), which makes its blocked read return at once; everywhere
 * the context's cancel function answers "cancel" from then on.
 *
 * Descriptor 0: libgphoto2's PTP/IP driver (2.5.30) closes its JPEG-stream
 * socket at every disconnect, and when it never opened one that socket is
 * descriptor 0 (its state is zeroed at allocation, not set to -1). The
 * first disconnect closes stdin; from then on descriptor 0 is the next
 * socket or file anyone in rekamd opens (an SBI request, a vault file), and
 * the next disconnect closes that under its owner. So /dev/null is put back
 * on descriptor 0 at load and right after every call that can disconnect
 * (session_keep_fd0()). What is left is the moment between libgphoto2's
 * close and that call, in which another thread opening a descriptor would
 * get 0 (and keep it until the next camera disconnect).
 */
#include <config.h>

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gphoto2/gphoto2.h>
#include <libusb.h>

#include "plugins/camera-gphoto2/session.h"

#define IMAGE_MAX (64u * 1024 * 1024)
#define PTPIP_MODEL "PTP/IP Camera"

/* --- errors ------------------------------------------------------------------ */

static int gp_errno(int r)
{
	switch (r) {
	case GP_ERROR_CANCEL:
		return -ECANCELED;
	case GP_ERROR_TIMEOUT:
		return -ETIMEDOUT;
	case GP_ERROR_CAMERA_BUSY:
		return -EBUSY;
	case GP_ERROR_NOT_SUPPORTED:
		return -EOPNOTSUPP;
	case GP_ERROR_NO_MEMORY:
		return -ENOMEM;
	case GP_ERROR_BAD_PARAMETERS:
		return -EINVAL;
	case GP_ERROR_IO:
	case GP_ERROR_IO_SUPPORTED_SERIAL:
	case GP_ERROR_IO_SUPPORTED_USB:
	case GP_ERROR_IO_INIT:
	case GP_ERROR_IO_READ:
	case GP_ERROR_IO_WRITE:
	case GP_ERROR_IO_UPDATE:
	case GP_ERROR_IO_SERIAL_SPEED:
	case GP_ERROR_IO_USB_CLEAR_HALT:
	case GP_ERROR_IO_USB_FIND:
	case GP_ERROR_IO_USB_CLAIM:
	case GP_ERROR_IO_LOCK:
	case GP_ERROR_UNKNOWN_PORT:
	case GP_ERROR_MODEL_NOT_FOUND:
		return -ENODEV;
	default:
		return -EIO;
	}
}

/* Record what failed (with what libgphoto2 said through the context, if
 * anything); the -errno for it. */
static int failed(struct session *s, int r, const char *what)
{
	char said[SESSION_ERROR];

	if (atomic_load(&s->cancel))
		return -ECANCELED;
	snprintf(said, sizeof(said), "%s", s->error);
	if (*said)
		snprintf(s->error, sizeof(s->error), "%s: %.120s (%s)", what, said,
			gp_result_as_string(r));
	else
		snprintf(s->error, sizeof(s->error), "%s: %s", what, gp_result_as_string(r));
	return gp_errno(r);
}

static void context_error(GPContext *ctx, const char *text, void *data)
{
	struct session *s = data;
	size_t n = 0;

	/* one line, printable, short: it becomes a D-Bus error message */
	for (; text && *text && n < SESSION_ERROR / 2; text++)
		s->error[n++] = (*text >= ' ' && *text <= '~') ? *text : ' ';
	s->error[n] = '\0';
}

static GPContextFeedback context_cancel(GPContext *ctx, void *data)
{
	struct session *s = data;

	return atomic_load(&s->cancel) ? GP_CONTEXT_FEEDBACK_CANCEL : GP_CONTEXT_FEEDBACK_OK;
}

/* --- setting up ------------------------------------------------------------------ */

/* "ptpip:HOST:PORT:PORT" (PTP/IP command and event port). */
static int parse_ptpip(struct session *s, const char *port)
{
	char host[SESSION_TEXT], *p1, *p2, *end;
	unsigned long a, b;

	snprintf(host, sizeof(host), "%s", port + strlen("ptpip:"));
	p2 = strrchr(host, ':');
	if (!p2)
		return -EINVAL;
	*p2++ = '\0';
	p1 = strrchr(host, ':');
	if (!p1)
		return -EINVAL;
	*p1++ = '\0';
	errno = 0;
	a = strtoul(p1, &end, 10);
	if (errno || *end || !*p1 || !a || a > 65535)
		return -EINVAL;
	b = strtoul(p2, &end, 10);
	if (errno || *end || !*p2 || !b || b > 65535 || !*host)
		return -EINVAL;
	s->ptpip = true;
	s->ptpip_ports[0] = (uint16_t)a;
	s->ptpip_ports[1] = (uint16_t)b;
	s->ptpip_any_addr = inet_pton(AF_INET, host, &s->ptpip_addr) != 1;
	return 0;
}

struct session *session_new(const char *port, const char *model)
{
	struct session *s;

	if ((port && strlen(port) >= SESSION_TEXT) || (model && strlen(model) >= SESSION_TEXT))
		return NULL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	snprintf(s->port, sizeof(s->port), "%s", port ? port : "");
	snprintf(s->model, sizeof(s->model), "%s", model ? model : "");
	if (strncmp(s->port, "ptpip:", 6) == 0) {
		if (parse_ptpip(s, s->port) < 0) {
			free(s);
			return NULL;
		}
		if (!*s->model)
			snprintf(s->model, sizeof(s->model), "%s", PTPIP_MODEL);
	}
	atomic_init(&s->cancel, false);
	return s;
}

/*
 * The camera drivers and port libraries libgphoto2 knows: loaded once per
 * process (loading scans some sixty camlibs, and its USB port library leaks
 * a little each time), kept until the plugin is unloaded.
 */
static pthread_mutex_t library_lock = PTHREAD_MUTEX_INITIALIZER;
static CameraAbilitiesList *library_abilities;
static GPPortInfoList *library_ports;

static int load_library(GPContext *ctx)
{
	int r = 0;

	if (!library_abilities) {
		r = gp_abilities_list_new(&library_abilities);
		if (r >= 0)
			r = gp_abilities_list_load(library_abilities, ctx);
		if (r < 0 && library_abilities) {
			gp_abilities_list_free(library_abilities);
			library_abilities = NULL;
		}
	}
	if (r >= 0 && !library_ports) {
		r = gp_port_info_list_new(&library_ports);
		if (r >= 0)
			r = gp_port_info_list_load(library_ports);
		if (r < 0 && library_ports) {
			gp_port_info_list_free(library_ports);
			library_ports = NULL;
		}
	}
	return r;
}

void session_library_free(void)
{
	if (library_abilities)
		gp_abilities_list_free(library_abilities);
	if (library_ports)
		gp_port_info_list_free(library_ports);
	library_abilities = NULL;
	library_ports = NULL;
}

/* A fresh list of ports (USB devices come and go), replacing the kept one. */
static int reload_ports(void)
{
	GPPortInfoList *ports = NULL;
	int r = gp_port_info_list_new(&ports);

	if (r >= 0)
		r = gp_port_info_list_load(ports);
	if (r < 0) {
		if (ports)
			gp_port_info_list_free(ports);
		return r;
	}
	if (library_ports)
		gp_port_info_list_free(library_ports);
	library_ports = ports;
	return 0;
}

/* A USB device a camera driver claims: by its ids, or a PTP (still image)
 * interface for libgphoto2's generic "USB PTP Class Camera". */
static bool usb_camera(libusb_device *dev, char *model, size_t size)
{
	struct libusb_device_descriptor d;
	struct libusb_config_descriptor *config = NULL;
	CameraAbilities a;
	bool ptp = false;
	int n = gp_abilities_list_count(library_abilities);

	if (libusb_get_device_descriptor(dev, &d) < 0)
		return false;
	for (int i = 0; i < n; i++) {
		if (gp_abilities_list_get_abilities(library_abilities, i, &a) >= 0 &&
				a.usb_vendor == d.idVendor && a.usb_product == d.idProduct &&
				(a.port & GP_PORT_USB)) {
			snprintf(model, size, "%s", a.model);
			return true;
		}
	}
	if (libusb_get_active_config_descriptor(dev, &config) < 0)
		return false;
	for (int i = 0; i < config->bNumInterfaces && !ptp; i++)
		for (int j = 0; j < config->interface[i].num_altsetting && !ptp; j++)
			ptp = config->interface[i].altsetting[j].bInterfaceClass ==
				LIBUSB_CLASS_IMAGE;
	libusb_free_config_descriptor(config);
	if (ptp)
		snprintf(model, size, "USB PTP Class Camera");
	return ptp;
}

/*
 * The first camera on USB: its model and port (library_lock held). Done
 * with libusb rather than gp_abilities_list_detect(), whose USB scan leaks
 * a little on every call, and rekamd looks again every few seconds while
 * no camera is plugged in.
 */
static int autodetect(struct session *s)
{
	libusb_context *usb = NULL;
	libusb_device **list = NULL;
	ssize_t n = 0;

	if (libusb_init(&usb) == 0)
		n = libusb_get_device_list(usb, &list);
	for (ssize_t i = 0; i < n && !s->detected; i++) {
		if (!usb_camera(list[i], s->model, sizeof(s->model)))
			continue;
		snprintf(s->port, sizeof(s->port), "usb:%03u,%03u", libusb_get_bus_number(list[i]),
			libusb_get_device_address(list[i]));
		s->detected = true;
	}
	if (list)
		libusb_free_device_list(list, 1);
	if (usb)
		libusb_exit(usb);
	if (!s->detected) {
		s->model[0] = '\0';
		snprintf(s->error, sizeof(s->error), "no camera was found on USB");
		return -ENODEV;
	}
	return 0;
}

/* Tell the Camera which driver and port to use (once per session). */
static int choose(struct session *s)
{
	CameraAbilities abilities;
	GPPortInfo info;
	int r, i;

	pthread_mutex_lock(&library_lock);
	r = load_library(s->ctx);
	if (r < 0) {
		pthread_mutex_unlock(&library_lock);
		return failed(s, r, "libgphoto2 cannot load its drivers");
	}
	if (!*s->port) {
		r = autodetect(s);
		if (r < 0) {
			pthread_mutex_unlock(&library_lock);
			return r;
		}
	}
	if (*s->model) {
		i = gp_abilities_list_lookup_model(library_abilities, s->model);
		r = i < 0 ? i : gp_abilities_list_get_abilities(library_abilities, i, &abilities);
		if (r >= 0)
			r = gp_camera_set_abilities(s->camera, abilities);
	}
	if (r < 0) {
		pthread_mutex_unlock(&library_lock);
		return failed(s, r, "the camera model is unknown to libgphoto2");
	}
	i = gp_port_info_list_lookup_path(library_ports, s->port);
	if (i < 0 && strncmp(s->port, "usb:", 4) == 0 && reload_ports() >= 0)
		i = gp_port_info_list_lookup_path(library_ports, s->port); /* plugged since */
	r = i < 0 ? i : gp_port_info_list_get_info(library_ports, i, &info);
	if (r >= 0)
		r = gp_camera_set_port_info(s->camera, info);
	pthread_mutex_unlock(&library_lock);
	if (r < 0)
		return failed(s, r, "the camera port is unknown to libgphoto2");
	return 0;
}

/*
 * PTP/IP: is anyone listening on the command port? libgphoto2's PTP driver
 * leaks its state (some 66 KB) on every gp_camera_init() that fails, so an
 * unplugged camera that rekamd retries every few seconds must not get that
 * far. A plain TCP connect, closed at once, with a 2 s limit.
 */
static bool ptpip_listening(const struct session *s)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(s->ptpip_ports[0]),
		.sin_addr = s->ptpip_addr };
	struct pollfd pfd;
	int fd, err = 0;
	socklen_t len = sizeof(err);
	bool ok;

	if (!s->ptpip || s->ptpip_any_addr)
		return true; /* a host name: libgphoto2 resolves it */
	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return true;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
		close(fd);
		return true;
	}
	if (errno != EINPROGRESS) {
		close(fd);
		return false;
	}
	pfd.fd = fd;
	pfd.events = POLLOUT;
	ok = poll(&pfd, 1, 2000) == 1 && getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) == 0 &&
		err == 0;
	close(fd);
	return ok;
}

static void shutdown_sockets(const struct session *s);

static int connect_camera(struct session *s)
{
	int r;

	s->error[0] = '\0';
	if (atomic_load(&s->cancel))
		return -ECANCELED;
	if (s->stale)
		session_reset(s); /* its sockets may have been shut down */
	s->stale = false;
	if (s->initialised)
		return 0;
	if (!s->ctx) {
		s->ctx = gp_context_new();
		if (!s->ctx)
			return -ENOMEM;
		gp_context_set_error_func(s->ctx, context_error, s);
		gp_context_set_cancel_func(s->ctx, context_cancel, s);
	}
	if (!s->camera) {
		r = gp_camera_new(&s->camera);
		if (r < 0)
			return failed(s, r, "libgphoto2");
		r = choose(s);
		if (r < 0) {
			gp_camera_unref(s->camera);
			s->camera = NULL;
			return r;
		}
	}
	if (!ptpip_listening(s)) {
		snprintf(s->error, sizeof(s->error), "no camera answers on port %u",
			s->ptpip_ports[0]);
		return -ENODEV;
	}
	r = gp_camera_init(s->camera, s->ctx);
	session_keep_fd0();
	if (r < 0 && s->detected) {
		/* detect again next time: it may be another camera, or on another port */
		gp_camera_unref(s->camera);
		s->camera = NULL;
		s->port[0] = s->model[0] = '\0';
		s->detected = false;
	}
	if (r < 0) {
		/*
		 * A failed init leaves libgphoto2's PTP/IP sockets open (its state
		 * leaks); a camera that took the command channel then thinks this
		 * host is still connected and turns every later one away. The
		 * session has no live connection now: end them.
		 */
		shutdown_sockets(s);
		r = failed(s, r, "the camera does not answer");
		/* nobody there, or a camera that refused us: both mean "absent" */
		return r == -ECANCELED || r == -ETIMEDOUT ? r : -ENODEV;
	}
	s->initialised = true;
	return 0;
}

/* --- identity and battery --------------------------------------------------------- */

/* The value of "KEY: value" in gphoto2's summary text. */
static void summary_field(const char *text, const char *key, char *out, size_t size)
{
	const char *p = strstr(text, key);
	size_t n;

	if (!p)
		return;
	p += strlen(key);
	while (*p == ' ')
		p++;
	n = strcspn(p, "\r\n");
	while (n && p[n - 1] == ' ')
		n--;
	if (n >= size)
		n = size - 1;
	for (size_t i = 0; i < n; i++)
		out[i] = (p[i] >= ' ' && p[i] <= '~') ? p[i] : '?';
	out[n] = '\0';
}

static int read_battery(struct session *s, int *percent)
{
	CameraWidget *w = NULL;
	CameraWidgetType type;
	const char *text = NULL;
	float f = 0;
	int r;

	*percent = -1;
	r = gp_camera_get_single_config(s->camera, "batterylevel", &w, s->ctx);
	if (r < 0)
		return r;
	r = gp_widget_get_type(w, &type);
	if (r >= 0 && (type == GP_WIDGET_TEXT || type == GP_WIDGET_MENU ||
			type == GP_WIDGET_RADIO) && gp_widget_get_value(w, &text) >= 0 && text) {
		char *end;
		long v = strtol(text, &end, 10);

		if (end != text && v >= 0 && v <= 100)
			*percent = (int)v;
	} else if (r >= 0 && type == GP_WIDGET_RANGE && gp_widget_get_value(w, &f) >= 0 &&
			f >= 0 && f <= 100) {
		*percent = (int)f;
	}
	gp_widget_free(w);
	return r < 0 ? r : 0;
}

int session_open(struct session *s, struct session_info *info)
{
	CameraText text;
	int r;

	memset(info, 0, sizeof(*info));
	info->battery = -1;
	r = connect_camera(s);
	if (r < 0)
		return r;
	r = gp_camera_get_summary(s->camera, &text, s->ctx);
	if (r < 0)
		return failed(s, r, "the camera does not describe itself");
	summary_field(text.text, "Manufacturer:", info->manufacturer, sizeof(info->manufacturer));
	summary_field(text.text, "Model:", info->model, sizeof(info->model));
	summary_field(text.text, "Serial Number:", info->serial, sizeof(info->serial));
	summary_field(text.text, "Version:", info->firmware, sizeof(info->firmware));
	if (!*info->model)
		snprintf(info->model, sizeof(info->model), "%s", s->model);
	/* not every camera reports a battery */
	if (read_battery(s, &info->battery) < 0 && atomic_load(&s->cancel))
		return -ECANCELED;
	return 0;
}

int session_battery(struct session *s, int *percent)
{
	CameraStorageInformation *storage = NULL;
	int n = 0, r = connect_camera(s);

	if (r < 0)
		return r;
	/* libgphoto2 may answer the battery level from what it keeps; the
	 * storage list always asks the camera */
	r = gp_camera_get_storageinfo(s->camera, &storage, &n, s->ctx);
	free(storage);
	if (r < 0 && r != GP_ERROR_NOT_SUPPORTED)
		return failed(s, r, "the camera does not answer");
	r = read_battery(s, percent);
	if (r == GP_ERROR_NOT_SUPPORTED || r == GP_ERROR_BAD_PARAMETERS)
		return 0; /* no such setting: the camera answered, so it is there */
	return r < 0 ? failed(s, r, "the camera does not answer") : 0;
}

/* --- pictures --------------------------------------------------------------------- */

static int take_file(struct session *s, CameraFile *file, struct session_image *image)
{
	const char *data = NULL;
	unsigned long size = 0;
	int r = gp_file_get_data_and_size(file, &data, &size);

	if (r < 0)
		return failed(s, r, "the picture could not be read");
	if (!size || size > IMAGE_MAX) {
		snprintf(s->error, sizeof(s->error), "the camera sent a picture of %lu bytes",
			size);
		return -EIO;
	}
	image->data = malloc(size);
	if (!image->data)
		return -ENOMEM;
	memcpy(image->data, data, size);
	image->size = size;
	return 0;
}

int session_capture(struct session *s, struct session_image *image)
{
	CameraFilePath path;
	CameraFile *file = NULL;
	int r;

	memset(image, 0, sizeof(*image));
	r = connect_camera(s);
	if (r < 0)
		return r;
	memset(&path, 0, sizeof(path));
	r = gp_camera_capture(s->camera, GP_CAPTURE_IMAGE, &path, s->ctx);
	if (r < 0)
		return failed(s, r, "the camera did not take the picture");
	snprintf(image->name, sizeof(image->name), "%s", path.name);
	r = gp_file_new(&file);
	if (r >= 0)
		r = gp_camera_file_get(s->camera, path.folder, path.name, GP_FILE_TYPE_NORMAL, file,
			s->ctx);
	if (r < 0) {
		if (file)
			gp_file_unref(file);
		return failed(s, r, "the picture could not be downloaded");
	}
	r = take_file(s, file, image);
	gp_file_unref(file);
	if (r < 0)
		return r;
	/* the card is not the archive: the picture lives on in rekamd only */
	r = gp_camera_file_delete(s->camera, path.folder, path.name, s->ctx);
	if (r < 0) {
		free(image->data);
		image->data = NULL;
		return failed(s, r, "the picture could not be deleted from the camera");
	}
	return 0;
}

int session_preview(struct session *s, struct session_image *image)
{
	CameraFile *file = NULL;
	int r;

	memset(image, 0, sizeof(*image));
	r = connect_camera(s);
	if (r < 0)
		return r;
	r = gp_file_new(&file);
	if (r >= 0)
		r = gp_camera_capture_preview(s->camera, file, s->ctx);
	if (r >= 0)
		r = take_file(s, file, image);
	else
		r = r == GP_ERROR_NOT_SUPPORTED ? -EOPNOTSUPP : failed(s, r, "no live view");
	if (file)
		gp_file_unref(file);
	return r;
}

/* /dev/null on descriptor 0 again if libgphoto2 closed it (see the top). */
void session_keep_fd0(void)
{
	int fd;

	if (fcntl(0, F_GETFD) >= 0 || errno != EBADF)
		return;
	fd = open("/dev/null", O_RDONLY); /* the lowest free descriptor: 0 */
	if (fd > 0)
		close(fd); /* another thread took 0 first: it is theirs now */
}

void session_reset(struct session *s)
{
	if (s->initialised) {
		gp_camera_exit(s->camera, s->ctx);
		session_keep_fd0();
	}
	s->initialised = false;
}

/* --- stopping and freeing ----------------------------------------------------------- */

/* Shut down every TCP socket of this process to the camera's PTP/IP ports. */
static void shutdown_sockets(const struct session *s)
{
	DIR *dir;
	struct dirent *e;

	if (!s->ptpip || !(dir = opendir("/proc/self/fd")))
		return;
	while ((e = readdir(dir))) {
		struct sockaddr_in peer;
		socklen_t len = sizeof(peer);
		char *end;
		long fd = strtol(e->d_name, &end, 10);

		if (*end || end == e->d_name || fd < 0 || fd == dirfd(dir))
			continue;
		if (getpeername((int)fd, (struct sockaddr *)&peer, &len) < 0 ||
				peer.sin_family != AF_INET)
			continue;
		if ((ntohs(peer.sin_port) == s->ptpip_ports[0] ||
				ntohs(peer.sin_port) == s->ptpip_ports[1]) &&
				(s->ptpip_any_addr || peer.sin_addr.s_addr == s->ptpip_addr.s_addr))
			shutdown((int)fd, SHUT_RDWR);
	}
	closedir(dir);
}

void session_abort(struct session *s)
{
	atomic_store(&s->cancel, true);
	shutdown_sockets(s);
}

void session_free_now(struct session *s)
{
	if (!s)
		return;
	session_reset(s);
	if (s->camera)
		gp_camera_unref(s->camera);
	session_keep_fd0();
	if (s->ctx)
		gp_context_unref(s->ctx);
	free(s);
}

/* --- settings --------------------------------------------------------------------- */

/*
 * libgphoto2 reads $HOME/.gphoto/settings on its first gp_setting_get() and
 * writes it on every gp_setting_set(); the PTP/IP driver keeps the host's
 * GUID there and sets one when there is none. So: with HOME pointing at
 * @dir for a moment, load the settings and make sure the GUID exists.
 * From then on libgphoto2 has them in memory and never touches a file again.
 * Runs once, on the event loop thread, when the plugin is loaded (before any
 * worker calls into libgphoto2).
 */
int session_settings_init(const char *dir)
{
	char value[1024] = "", *old = getenv("HOME") ? strdup(getenv("HOME")) : NULL;
	unsigned char guid[16];

	/* when it cannot be made, libgphoto2 cannot save: the GUID lives in memory */
	(void)mkdir(dir, 0700);
	if (setenv("HOME", dir, 1) < 0) {
		free(old);
		return -errno;
	}
	gp_setting_get((char *)"ptp2_ip", (char *)"guid", value);
	if (strlen(value) != 47) {
		if (getrandom(guid, sizeof(guid), 0) != (ssize_t)sizeof(guid))
			for (size_t i = 0; i < sizeof(guid); i++)
				guid[i] = (unsigned char)rand();
		for (size_t i = 0; i < sizeof(guid); i++)
			snprintf(value + 3 * i, 4, "%02x%s", guid[i],
				i + 1 < sizeof(guid) ? ":" : "");
		gp_setting_set((char *)"ptp2_ip", (char *)"guid", value);
	}
	if (old)
		setenv("HOME", old, 1);
	else
		unsetenv("HOME");
	free(old);
	return 0;
}
