/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * rekam - device plugins
 *
 * session.h - one camera as libgphoto2 sees it: the Camera and GPContext,
 * and the calls on them. Every function here but session_new(),
 * session_abort() and session_free_now() blocks and runs on a worker
 * thread, one call at a time per session; session_abort() runs on the
 * event loop while a worker may be inside libgphoto2, and makes that call
 * return soon.
 */
#pragma once

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <netinet/in.h>

#define SESSION_TEXT 128
#define SESSION_ERROR 256

struct _Camera;
struct _GPContext;

struct session {
	struct _Camera *camera;
	struct _GPContext *ctx;
	bool initialised;    /* gp_camera_init succeeded, no exit since */
	bool stale;          /* aborted after its last call: reconnect before the next */
	bool detected;       /* port and model come from autodetection */
	atomic_bool cancel;  /* the loop asks the running call to stop */
	/* gphoto2 port path: "ptpip:127.0.0.1:1:2", "usb:001,004", "" = first found */
	char port[SESSION_TEXT];
	char model[SESSION_TEXT]; /* gphoto2 camera model, "" = as detected */
	/* PTP/IP: the TCP peers of the command and event channel (abort) */
	bool ptpip;
	struct in_addr ptpip_addr;
	bool ptpip_any_addr; /* the host is a name: match on the ports only */
	uint16_t ptpip_ports[2];
	char error[SESSION_ERROR]; /* what libgphoto2 last said (its context error) */
};

struct session_info {
	char model[SESSION_TEXT];
	char serial[SESSION_TEXT];
	char firmware[SESSION_TEXT];
	char manufacturer[SESSION_TEXT];
	int battery; /* percent, -1 when the camera has no battery level */
};

struct session_image {
	unsigned char *data; /* malloc()ed JPEG */
	size_t size;
	char name[SESSION_TEXT];
};

/* Parse @port (a gphoto2 port path or NULL) and @model; NULL on bad input. */
struct session *session_new(const char *port, const char *model);

/* Connect (if not connected) and read the camera's identity. 0 or -errno,
 * with a sentence in s->error. */
int session_open(struct session *s, struct session_info *info);

/* Battery level only (a light "is it still there" check). */
int session_battery(struct session *s, int *percent);

/* Capture, download, delete from the camera. */
int session_capture(struct session *s, struct session_image *image);

/* A live-view frame, or -EOPNOTSUPP when the camera has none. */
int session_preview(struct session *s, struct session_image *image);

/* Forget the connection (gp_camera_exit); the next call reconnects. */
void session_reset(struct session *s);

/* Put /dev/null back on descriptor 0 when libgphoto2 closed it (session.c
 * says why); any thread, any time. */
void session_keep_fd0(void);

/* Event loop: make the running call return soon (cancel flag, and the
 * PTP/IP sockets shut down). */
void session_abort(struct session *s);

/* Free, closing the connection (blocking only on USB). */
void session_free_now(struct session *s);

/* Forget the drivers and ports libgphoto2 loaded (plugin exit). */
void session_library_free(void);

/* The process-wide gphoto2 settings (libgphoto2 keeps them in
 * $HOME/.gphoto/settings): point them at @dir once, at start. */
int session_settings_init(const char *dir);
