/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * rekam - device simulators
 *
 * camera.h - the simulated PTP/IP camera (rekam-sim-camera): its state,
 * shared by rekam-sim-camera.c (command line, control commands),
 * camera-ptpip.c (the PTP/IP responder) and camera-photo.c (the portrait).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <event2/listener.h>

#include "simulators/lib/sim.h"

#define CAMERA_MANUFACTURER "rekam"
#define CAMERA_MODEL "REKAM EOS-SIM"
#define CAMERA_VERSION "1.0.3"
#define CAMERA_STORAGE_ID 0x00010001u
#define CAMERA_OBJECTS_MAX 32
#define CAMERA_PORT_DEFAULT 15740
#define CAMERA_EVENT_PORT_DEFAULT 15741
#define CAMERA_WIDTH_DEFAULT 3000
#define CAMERA_HEIGHT_DEFAULT 4000
#define CAMERA_SIZE_MIN 16
#define CAMERA_SIZE_MAX 8000
#define CAMERA_CAPTURE_MS 400 /* shutter and processing, scaled by --time-scale */

enum camera_background { CAMERA_RED, CAMERA_BLUE };

struct camera_object {
	uint32_t handle;
	uint8_t *jpeg;
	size_t len;
	int width, height;
	char name[16]; /* IMG_0001.JPG */
	char date[16]; /* 20261124T081500 */
};

/* The applicant in front of the lens: fixed by the seed. */
struct camera_person {
	double skin[3], hair[3], shirt[3], iris[3];
	double head_w, head_h; /* relative to the default proportions */
};

struct camera_conn;

struct camera {
	struct sim *sim;

	/* configuration */
	unsigned int port, event_port;
	int width, height;
	enum camera_background background;
	unsigned int battery;
	char serial[24];
	uint8_t guid[16];

	/* faults armed on the control socket */
	bool busy, drop, no_card;

	/* PTP/IP */
	struct evconnlistener *listeners[2];
	struct event *plug_timer;
	struct camera_conn *conns;  /* every TCP connection */
	struct camera_conn *cmd;    /* the session's command channel */
	struct camera_conn *evt;    /* and its event channel */
	uint32_t conn_number;
	bool session_open;
	uint32_t session_id;
	struct event *capture_timer;
	uint32_t capture_tid;
	bool capturing;
	unsigned long connections, operations, bad_packets, drops;

	/* the memory card */
	struct camera_object objects[CAMERA_OBJECTS_MAX];
	size_t nobjects;
	uint32_t next_handle;

	/* the last capture, for status */
	unsigned long captures;
	size_t last_len;
	enum camera_background last_background;
	char last_sha256[SIM_SHA256_HEX_LEN + 1];

	struct camera_person person;
};

const char *camera_background_name(enum camera_background bg);

/* camera-ptpip.c */
int camera_ptpip_open(struct camera *cam);
void camera_ptpip_close(struct camera *cam);
bool camera_ptpip_host(const struct camera *cam);

/* camera-photo.c */
void camera_photo_person(struct camera *cam);
int camera_photo_take(struct camera *cam, struct camera_object *obj);
