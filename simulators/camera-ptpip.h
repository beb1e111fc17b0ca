/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * rekam - device simulators
 *
 * camera-ptpip.h - inside the PTP/IP responder of rekam-sim-camera: the
 * packet types and PTP codes it speaks, a TCP connection, and the functions
 * camera-ptpip.c (transport) and camera-ops.c (operations) share.
 */
#pragma once

#include <stdint.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>

#include "simulators/camera.h"

/* packet types */
enum {
	PTPIP_INIT_COMMAND_REQUEST = 1,
	PTPIP_INIT_COMMAND_ACK = 2,
	PTPIP_INIT_EVENT_REQUEST = 3,
	PTPIP_INIT_EVENT_ACK = 4,
	PTPIP_INIT_FAIL = 5,
	PTPIP_CMD_REQUEST = 6,
	PTPIP_CMD_RESPONSE = 7,
	PTPIP_EVENT = 8,
	PTPIP_START_DATA = 9,
	PTPIP_DATA = 10,
	PTPIP_CANCEL_DATA = 11,
	PTPIP_END_DATA = 12,
	PTPIP_PING = 13,
	PTPIP_PONG = 14,
};

/* InitFail reasons */
#define INIT_FAIL_REJECTED 1
#define INIT_FAIL_BUSY 2

/* operations */
enum {
	OP_GET_DEVICE_INFO = 0x1001,
	OP_OPEN_SESSION = 0x1002,
	OP_CLOSE_SESSION = 0x1003,
	OP_GET_STORAGE_IDS = 0x1004,
	OP_GET_STORAGE_INFO = 0x1005,
	OP_GET_OBJECT_HANDLES = 0x1007,
	OP_GET_OBJECT_INFO = 0x1008,
	OP_GET_OBJECT = 0x1009,
	OP_DELETE_OBJECT = 0x100B,
	OP_INITIATE_CAPTURE = 0x100E,
	OP_GET_DEVICE_PROP_DESC = 0x1014,
	OP_GET_DEVICE_PROP_VALUE = 0x1015,
};

/* responses */
enum {
	RC_OK = 0x2001,
	RC_GENERAL_ERROR = 0x2002,
	RC_SESSION_NOT_OPEN = 0x2003,
	RC_OPERATION_NOT_SUPPORTED = 0x2005,
	RC_INVALID_STORAGE_ID = 0x2008,
	RC_INVALID_OBJECT_HANDLE = 0x2009,
	RC_DEVICE_PROP_NOT_SUPPORTED = 0x200A,
	RC_INVALID_OBJECT_FORMAT = 0x200B,
	RC_STORE_FULL = 0x200C,
	RC_STORE_NOT_AVAILABLE = 0x2013,
	RC_DEVICE_BUSY = 0x2019,
	RC_INVALID_PARAMETER = 0x201D,
	RC_SESSION_ALREADY_OPEN = 0x201E,
};

#define EVENT_OBJECT_ADDED 0x4002
#define EVENT_CAPTURE_COMPLETE 0x400D
#define PROP_BATTERY_LEVEL 0x5001
#define FORMAT_EXIF_JPEG 0x3801
#define HANDLE_ALL 0xFFFFFFFFu


enum conn_kind { CONN_NEW, CONN_COMMAND, CONN_EVENT };

struct camera_conn {
	struct camera *cam;
	struct bufferevent *bev;
	enum conn_kind kind;
	bool closing;          /* flushing its output before it is freed */
	bool in_process;       /* inside process(): freeing waits for its end */
	bool free_pending;
	struct event *delay;   /* the `delay MS` fault before an operation */
	bool waiting;          /* a delayed operation is pending */
	bool delay_done;       /* ... and its delay has passed */
	bool host_data;        /* an operation waits for the host's data phase */
	uint16_t host_code;
	uint32_t host_tid;
	uint32_t host_params[5];
	unsigned int host_nparams;
	char peer[32];
	struct camera_conn *next;
};

/* little-endian encoding and PTP strings (camera-ptpip.c) */
uint16_t ptpip_get16(const uint8_t *p);
uint32_t ptpip_get32(const uint8_t *p);
void ptpip_put8(struct evbuffer *b, uint8_t v);
void ptpip_put16(struct evbuffer *b, uint16_t v);
void ptpip_put32(struct evbuffer *b, uint32_t v);
void ptpip_put64(struct evbuffer *b, uint64_t v);
void ptpip_put_string(struct evbuffer *b, const char *s);
void ptpip_put_array16(struct evbuffer *b, const uint16_t *v, size_t n);

/* sending (camera-ptpip.c) */
void ptpip_send_packet(struct camera_conn *c, uint32_t type, struct evbuffer *body);
void ptpip_send_response(struct camera_conn *c, uint16_t code, uint32_t tid,
		const uint32_t *params, unsigned int n);
/* StartData, Data..., EndData; only the first limit bytes when limit < len. */
void ptpip_send_data(struct camera_conn *c, uint32_t tid, const void *data, size_t len,
		size_t limit);
void ptpip_send_buffer(struct camera_conn *c, uint32_t tid, struct evbuffer *body);
/* An event on the session's event channel, when there is one. */
void ptpip_send_event(struct camera *cam, uint16_t code, uint32_t tid, uint32_t param);
/* Close a connection (after its queued output when flush); the command and
 * event channels of a session go together. */
void ptpip_conn_close(struct camera_conn *c, bool flush);
void ptpip_end_session(struct camera *cam);

/* operations (camera-ops.c) */
void ptpip_run_operation(struct camera_conn *c, uint16_t code, uint32_t tid,
		const uint32_t *params, unsigned int n);
/* The capture timer: the picture is stored, ObjectAdded and CaptureComplete go out. */
void ptpip_capture_cb(evutil_socket_t fd, short what, void *arg);
void ptpip_delete_object(struct camera *cam, struct camera_object *o);
