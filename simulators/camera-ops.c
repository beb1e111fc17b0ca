// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * rekam - device simulators
 *
 * camera-ops.c - the PTP operations of rekam-sim-camera: the datasets
 * (DeviceInfo, StorageInfo, ObjectInfo, the BatteryLevel DevicePropDesc),
 * the memory card, InitiateCapture and its events, and the faults armed on
 * the control socket (busy, no-card, drop, fail).
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "simulators/camera-ptpip.h"

static const uint16_t operations[] = {
	OP_GET_DEVICE_INFO, OP_OPEN_SESSION, OP_CLOSE_SESSION, OP_GET_STORAGE_IDS,
	OP_GET_STORAGE_INFO, OP_GET_OBJECT_HANDLES, OP_GET_OBJECT_INFO, OP_GET_OBJECT,
	OP_DELETE_OBJECT, OP_INITIATE_CAPTURE, OP_GET_DEVICE_PROP_DESC,
	OP_GET_DEVICE_PROP_VALUE,
};
static const uint16_t events[] = { EVENT_OBJECT_ADDED, EVENT_CAPTURE_COMPLETE };

/* --- datasets -------------------------------------------------------------------------- */

static void device_info(struct camera *cam, struct evbuffer *b)
{
	static const uint16_t props[] = { PROP_BATTERY_LEVEL };
	static const uint16_t formats[] = { FORMAT_EXIF_JPEG };

	ptpip_put16(b, 100);   /* StandardVersion 1.00 */
	ptpip_put32(b, 0);     /* VendorExtensionID: none, the generic PTP paths */
	ptpip_put16(b, 0);     /* VendorExtensionVersion */
	ptpip_put_string(b, "");
	ptpip_put16(b, 0);     /* FunctionalMode */
	ptpip_put_array16(b, operations, sizeof(operations) / sizeof(operations[0]));
	ptpip_put_array16(b, events, sizeof(events) / sizeof(events[0]));
	ptpip_put_array16(b, props, 1);
	ptpip_put_array16(b, formats, 1); /* CaptureFormats */
	ptpip_put_array16(b, formats, 1); /* ImageFormats */
	ptpip_put_string(b, CAMERA_MANUFACTURER);
	ptpip_put_string(b, CAMERA_MODEL);
	ptpip_put_string(b, CAMERA_VERSION);
	ptpip_put_string(b, cam->serial);
}

static void storage_info(struct camera *cam, struct evbuffer *b)
{
	const uint64_t capacity = 32ull << 30;
	uint64_t used = 0;
	size_t i;

	for (i = 0; i < cam->nobjects; i++)
		used += cam->objects[i].len;
	ptpip_put16(b, 0x0004); /* StorageType: removable RAM (an SD card) */
	ptpip_put16(b, 0x0002); /* FilesystemType: generic hierarchical */
	ptpip_put16(b, 0x0000); /* AccessCapability: read-write */
	ptpip_put64(b, capacity);
	ptpip_put64(b, capacity - used);
	ptpip_put32(b, (uint32_t)(CAMERA_OBJECTS_MAX - cam->nobjects));
	ptpip_put_string(b, "SD");
	ptpip_put_string(b, "REKAM");
}

static void object_info(const struct camera_object *o, struct evbuffer *b)
{
	ptpip_put32(b, CAMERA_STORAGE_ID);
	ptpip_put16(b, FORMAT_EXIF_JPEG);
	ptpip_put16(b, 0);               /* ProtectionStatus */
	ptpip_put32(b, (uint32_t)o->len);
	ptpip_put16(b, 0);               /* ThumbFormat: no thumbnail */
	ptpip_put32(b, 0);
	ptpip_put32(b, 0);
	ptpip_put32(b, 0);
	ptpip_put32(b, (uint32_t)o->width);
	ptpip_put32(b, (uint32_t)o->height);
	ptpip_put32(b, 24);              /* ImageBitDepth */
	ptpip_put32(b, 0);               /* ParentObject: the root */
	ptpip_put16(b, 0);               /* AssociationType */
	ptpip_put32(b, 0);
	ptpip_put32(b, 0);               /* SequenceNumber */
	ptpip_put_string(b, o->name);
	ptpip_put_string(b, o->date);
	ptpip_put_string(b, o->date);
	ptpip_put_string(b, "");
}

static void battery_desc(struct camera *cam, struct evbuffer *b)
{
	ptpip_put16(b, PROP_BATTERY_LEVEL);
	ptpip_put16(b, 0x0002); /* UINT8 */
	ptpip_put8(b, 0);       /* get only */
	ptpip_put8(b, 100);     /* factory default */
	ptpip_put8(b, (uint8_t)cam->battery);
	ptpip_put8(b, 1);       /* a range */
	ptpip_put8(b, 0);
	ptpip_put8(b, 100);
	ptpip_put8(b, 1);
}

/* --- the card ---------------------------------------------------------------------------- */

static struct camera_object *find_object(struct camera *cam, uint32_t handle)
{
	size_t i;

	for (i = 0; i < cam->nobjects; i++)
		if (cam->objects[i].handle == handle)
			return &cam->objects[i];
	return NULL;
}

void ptpip_delete_object(struct camera *cam, struct camera_object *o)
{
	size_t i = (size_t)(o - cam->objects);

	free(o->jpeg);
	memmove(o, o + 1, (cam->nobjects - i - 1) * sizeof(*o));
	cam->nobjects--;
}

void ptpip_capture_cb(evutil_socket_t fd, short what, void *arg)
{
	struct camera *cam = arg;
	struct camera_object *o = &cam->objects[cam->nobjects];
	int r;

	cam->capturing = false;
	memset(o, 0, sizeof(*o));
	o->handle = cam->next_handle;
	r = camera_photo_take(cam, o);
	if (r < 0) {
		sim_err("capture failed: %s", strerror(-r));
		return;
	}
	cam->next_handle++;
	cam->nobjects++;
	sim_info("captured %s: handle 0x%08x, %dx%d, %zu bytes, %s background", o->name,
			o->handle, o->width, o->height, o->len,
			camera_background_name(cam->last_background));
	ptpip_send_event(cam, EVENT_OBJECT_ADDED, cam->capture_tid, o->handle);
	ptpip_send_event(cam, EVENT_CAPTURE_COMPLETE, cam->capture_tid, 0);
}

/* --- operations ---------------------------------------------------------------------------- */

static uint16_t op_initiate_capture(struct camera_conn *c, const uint32_t *params,
		unsigned int n, uint32_t tid)
{
	struct camera *cam = c->cam;
	struct timeval tv;
	char code[40];

	if (n > 0 && params[0] != 0 && params[0] != CAMERA_STORAGE_ID)
		return RC_INVALID_STORAGE_ID;
	if (n > 1 && params[1] != 0 && params[1] != FORMAT_EXIF_JPEG)
		return RC_INVALID_OBJECT_FORMAT;
	if (sim_take_failure(cam->sim, code, sizeof(code))) {
		sim_info("InitiateCapture: injected failure %s", code);
		return RC_GENERAL_ERROR;
	}
	if (cam->busy) {
		cam->busy = false;
		sim_info("InitiateCapture: busy (injected)");
		return RC_DEVICE_BUSY;
	}
	if (cam->capturing)
		return RC_DEVICE_BUSY;
	if (cam->no_card)
		return RC_STORE_NOT_AVAILABLE;
	if (cam->nobjects >= CAMERA_OBJECTS_MAX)
		return RC_STORE_FULL;
	cam->capturing = true;
	cam->capture_tid = tid;
	sim_scaled_tv(cam->sim, CAMERA_CAPTURE_MS, &tv);
	event_add(cam->capture_timer, &tv);
	return RC_OK;
}

static uint16_t op_get_object(struct camera_conn *c, uint32_t handle, uint32_t tid)
{
	struct camera *cam = c->cam;
	struct camera_object *o = find_object(cam, handle);

	if (!o)
		return RC_INVALID_OBJECT_HANDLE;
	if (!cam->drop) {
		ptpip_send_data(c, tid, o->jpeg, o->len, o->len);
		return RC_OK;
	}
	cam->drop = false;
	cam->drops++;
	sim_info("GetObject 0x%08x: dropping the connections after %zu of %zu bytes (injected)",
			handle, o->len / 2, o->len);
	ptpip_send_data(c, tid, o->jpeg, o->len, o->len / 2);
	ptpip_conn_close(c, true);
	return 0;
}

static uint16_t op_get_object_handles(struct camera_conn *c, const uint32_t *params,
		unsigned int n, uint32_t tid)
{
	struct camera *cam = c->cam;
	struct evbuffer *b;
	uint32_t storage = n > 0 ? params[0] : HANDLE_ALL;
	size_t i;

	if (storage != HANDLE_ALL && storage != CAMERA_STORAGE_ID)
		return RC_INVALID_STORAGE_ID;
	if (storage == CAMERA_STORAGE_ID && cam->no_card)
		return RC_STORE_NOT_AVAILABLE;
	b = evbuffer_new();
	if (!b)
		return RC_GENERAL_ERROR;
	/* every object is a JPEG in the root folder */
	if (cam->no_card || (n > 1 && params[1] != 0 && params[1] != FORMAT_EXIF_JPEG) ||
			(n > 2 && params[2] != 0 && params[2] != HANDLE_ALL)) {
		ptpip_put32(b, 0);
	} else {
		ptpip_put32(b, (uint32_t)cam->nobjects);
		for (i = 0; i < cam->nobjects; i++)
			ptpip_put32(b, cam->objects[i].handle);
	}
	ptpip_send_buffer(c, tid, b);
	evbuffer_free(b);
	return RC_OK;
}

static uint16_t op_delete_object(struct camera *cam, uint32_t handle)
{
	struct camera_object *o;

	if (cam->no_card)
		return RC_STORE_NOT_AVAILABLE;
	if (handle == HANDLE_ALL) {
		while (cam->nobjects)
			ptpip_delete_object(cam, &cam->objects[0]);
		return RC_OK;
	}
	o = find_object(cam, handle);
	if (!o)
		return RC_INVALID_OBJECT_HANDLE;
	sim_info("deleted %s (handle 0x%08x)", o->name, handle);
	ptpip_delete_object(cam, o);
	return RC_OK;
}

/* Run one operation; returns the response code, or 0 when the connection is gone. */
static uint16_t operation(struct camera_conn *c, uint16_t code, uint32_t tid,
		const uint32_t *params, unsigned int n)
{
	struct camera *cam = c->cam;
	struct camera_object *o;
	struct evbuffer *b;
	uint16_t rc = RC_OK;

	if (!cam->session_open && code != OP_GET_DEVICE_INFO && code != OP_OPEN_SESSION)
		return RC_SESSION_NOT_OPEN;
	switch (code) {
	case OP_OPEN_SESSION:
		if (n < 1 || params[0] == 0)
			return RC_INVALID_PARAMETER;
		if (cam->session_open)
			return RC_SESSION_ALREADY_OPEN;
		cam->session_open = true;
		cam->session_id = params[0];
		sim_info("session %u opened", cam->session_id);
		return RC_OK;
	case OP_CLOSE_SESSION:
		ptpip_end_session(cam);
		return RC_OK;
	case OP_INITIATE_CAPTURE:
		return op_initiate_capture(c, params, n, tid);
	case OP_GET_OBJECT_HANDLES:
		return op_get_object_handles(c, params, n, tid);
	case OP_GET_OBJECT:
		return n < 1 ? RC_INVALID_PARAMETER : op_get_object(c, params[0], tid);
	case OP_DELETE_OBJECT:
		return n < 1 ? RC_INVALID_PARAMETER : op_delete_object(cam, params[0]);
	case OP_GET_STORAGE_INFO:
		if (n < 1 || params[0] != CAMERA_STORAGE_ID)
			return RC_INVALID_STORAGE_ID;
		if (cam->no_card)
			return RC_STORE_NOT_AVAILABLE;
		break;
	case OP_GET_OBJECT_INFO:
		if (n < 1 || !find_object(cam, params[0]))
			return RC_INVALID_OBJECT_HANDLE;
		break;
	case OP_GET_DEVICE_PROP_DESC:
	case OP_GET_DEVICE_PROP_VALUE:
		if (n < 1 || params[0] != PROP_BATTERY_LEVEL)
			return RC_DEVICE_PROP_NOT_SUPPORTED;
		break;
	case OP_GET_DEVICE_INFO:
	case OP_GET_STORAGE_IDS:
		break;
	default:
		return RC_OPERATION_NOT_SUPPORTED;
	}

	/* the operations that answer with a dataset */
	b = evbuffer_new();
	if (!b)
		return RC_GENERAL_ERROR;
	switch (code) {
	case OP_GET_DEVICE_INFO:
		device_info(cam, b);
		break;
	case OP_GET_STORAGE_IDS:
		ptpip_put32(b, cam->no_card ? 0 : 1);
		if (!cam->no_card)
			ptpip_put32(b, CAMERA_STORAGE_ID);
		break;
	case OP_GET_STORAGE_INFO:
		storage_info(cam, b);
		break;
	case OP_GET_OBJECT_INFO:
		o = find_object(cam, params[0]);
		object_info(o, b);
		break;
	case OP_GET_DEVICE_PROP_DESC:
		battery_desc(cam, b);
		break;
	case OP_GET_DEVICE_PROP_VALUE:
		ptpip_put8(b, (uint8_t)cam->battery);
		break;
	}
	ptpip_send_buffer(c, tid, b);
	evbuffer_free(b);
	return rc;
}

void ptpip_run_operation(struct camera_conn *c, uint16_t code, uint32_t tid,
		const uint32_t *params, unsigned int n)
{
	uint16_t rc;

	c->cam->operations++;
	sim_debug("%s: operation 0x%04x (transaction %u, %u parameters)", c->peer, code, tid, n);
	rc = operation(c, code, tid, params, n);
	if (rc && !c->closing)
		ptpip_send_response(c, rc, tid, NULL, 0);
}
