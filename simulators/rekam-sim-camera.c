// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * rekam - device simulators
 *
 * rekam-sim-camera.c - the simulated camera: a PTP/IP camera (ISO 15740
 * over TCP) returning JPEG ID portraits on a red or blue background. Its
 * command line, control commands and identity are here, on the simulator
 * library; the responder is camera-ptpip.c, the portrait camera-photo.c.
 */
#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "simulators/camera.h"

static struct camera cam = {
	.port = CAMERA_PORT_DEFAULT,
	.event_port = CAMERA_EVENT_PORT_DEFAULT,
	.width = CAMERA_WIDTH_DEFAULT,
	.height = CAMERA_HEIGHT_DEFAULT,
	.background = CAMERA_RED,
	.battery = 100,
	.next_handle = 1,
};

static int parse_background(const char *text, enum camera_background *bg)
{
	if (strcmp(text, "red") == 0)
		*bg = CAMERA_RED;
	else if (strcmp(text, "blue") == 0)
		*bg = CAMERA_BLUE;
	else
		return -EINVAL;
	return 0;
}

/* --- options --------------------------------------------------------------------- */

static int opt_size(struct sim *sim, const char *arg)
{
	char buf[32], *x;
	uint64_t w, h;

	if (strlen(arg) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, arg);
	x = strchr(buf, 'x');
	if (!x)
		return -EINVAL;
	*x = '\0';
	if (sim_parse_uint(buf, CAMERA_SIZE_MIN, CAMERA_SIZE_MAX, &w) < 0 ||
			sim_parse_uint(x + 1, CAMERA_SIZE_MIN, CAMERA_SIZE_MAX, &h) < 0)
		return -EINVAL;
	cam.width = (int)w;
	cam.height = (int)h;
	return 0;
}

static int opt_background(struct sim *sim, const char *arg)
{
	return parse_background(arg, &cam.background);
}

static int opt_serial(struct sim *sim, const char *arg)
{
	size_t i, n = strlen(arg);

	if (n == 0 || n >= sizeof(cam.serial))
		return -EINVAL;
	for (i = 0; i < n; i++)
		if (arg[i] <= ' ' || arg[i] > '~')
			return -EINVAL;
	memcpy(cam.serial, arg, n + 1);
	return 0;
}

static int opt_battery(struct sim *sim, const char *arg)
{
	uint64_t v;

	if (sim_parse_uint(arg, 0, 100, &v) < 0)
		return -EINVAL;
	cam.battery = (unsigned int)v;
	return 0;
}

static const struct sim_option options[] = {
	{ "port", "N", "TCP port of the PTP/IP command channel on 127.0.0.1 (default 15740)",
		NULL, &cam.port, 1, 65535 },
	{ "event-port", "N", "TCP port of the event channel (default 15741); it may equal "
		"--port, as on a real camera", NULL, &cam.event_port, 1, 65535 },
	{ "size", "WxH", "size of the captured JPEG in pixels, 16 to 8000 each (default "
		"3000x4000)", opt_size },
	{ "background", "red|blue", "colour of the cloth behind the applicant (default red)",
		opt_background },
	{ "serial", "TEXT", "serial number (default RKC- and 8 hex digits from the seed)",
		opt_serial },
	{ "battery", "N", "battery level in percent reported as BatteryLevel (default 100)",
		opt_battery },
	{ NULL },
};

/* --- control commands ---------------------------------------------------------------- */

static int cmd_background(struct sim *sim, const char *arg, char *out, size_t outlen)
{
	if (parse_background(arg, &cam.background) < 0) {
		snprintf(out, outlen, "background wants red or blue");
		return -EINVAL;
	}
	snprintf(out, outlen, "background=%s", camera_background_name(cam.background));
	return 0;
}

static int cmd_card(struct sim *sim, const char *arg, char *out, size_t outlen)
{
	cam.no_card = false;
	snprintf(out, outlen, "card=yes");
	return 0;
}

static int cmd_battery(struct sim *sim, const char *arg, char *out, size_t outlen)
{
	if (opt_battery(sim, arg) < 0) {
		snprintf(out, outlen, "battery wants a percentage from 0 to 100");
		return -EINVAL;
	}
	snprintf(out, outlen, "battery=%u", cam.battery);
	return 0;
}

static const struct sim_command commands[] = {
	{ "background", SIM_ARG_REQUIRED, "red|blue",
		"the cloth behind the applicant for the next captures", cmd_background },
	{ "busy", SIM_ARG_NONE, NULL,
		"the next InitiateCapture answers DeviceBusy (0x2019)",
		NULL, &cam.busy, "the next InitiateCapture answers DeviceBusy" },
	{ "no-card", SIM_ARG_NONE, NULL,
		"take the memory card out: no storage, InitiateCapture answers "
		"StoreNotAvailable (0x2013) until card", NULL, &cam.no_card, "card=no" },
	{ "card", SIM_ARG_NONE, NULL, "put the memory card back", cmd_card },
	{ "drop", SIM_ARG_NONE, NULL,
		"the next GetObject sends half of the image, then both TCP connections close",
		NULL, &cam.drop, "the next GetObject drops the connections halfway" },
	{ "battery", SIM_ARG_REQUIRED, "N",
		"battery level 0-100 reported in BatteryLevel (0x5001)", cmd_battery },
	{ NULL },
};

/* --- device callbacks ------------------------------------------------------------------ */

/* The framework's Unix socket: a host learns where the camera listens. */
static void on_connected(struct sim *sim)
{
	sim_device_printf(sim, "PTPIP 127.0.0.1 %u %u %s %s", cam.port, cam.event_port,
			CAMERA_MODEL, cam.serial);
	sim_device_hangup(sim);
}

static void on_status(struct sim *sim, struct evbuffer *out)
{
	evbuffer_add_printf(out, " ptpip=127.0.0.1:%u:%u host=%s session=%s tcp-connections=%lu "
			"operations=%lu bad-packets=%lu background=%s size=%dx%d card=%s "
			"objects=%zu battery=%u busy=%s drop=%s captures=%lu",
			cam.port, cam.event_port, camera_ptpip_host(&cam) ? "yes" : "no",
			cam.session_open ? "open" : "closed", cam.connections, cam.operations,
			cam.bad_packets, camera_background_name(cam.background), cam.width,
			cam.height, cam.no_card ? "no" : "yes", cam.nobjects, cam.battery,
			cam.busy ? "armed" : "no", cam.drop ? "armed" : "no", cam.captures);
	if (cam.captures)
		evbuffer_add_printf(out, " last-background=%s last-bytes=%zu last-sha256=%s",
				camera_background_name(cam.last_background), cam.last_len,
				cam.last_sha256);
	else
		evbuffer_add_printf(out, " last-background=none");
	evbuffer_add_printf(out, " serial=%s", cam.serial);
}

static void on_reseeded(struct sim *sim)
{
	camera_photo_person(&cam);
}

static const struct sim_device_ops ops = {
	.connected = on_connected,
	.status = on_status,
	.reseeded = on_reseeded,
};

static int init(struct sim *sim)
{
	uint64_t sm = sim_seed(sim);
	size_t i;

	cam.sim = sim;
	if (!cam.serial[0])
		snprintf(cam.serial, sizeof(cam.serial), "RKC-%08X",
				(unsigned int)(sim_splitmix64(&sm) >> 32));
	for (i = 0; i < sizeof(cam.guid); i++)
		cam.guid[i] = (uint8_t)(sim_splitmix64(&sm) >> 56);
	camera_photo_person(&cam);
	return camera_ptpip_open(&cam);
}

static void fini(struct sim *sim)
{
	camera_ptpip_close(&cam);
	cairo_debug_reset_static_data();
}

static const struct sim_descriptor descriptor = {
	.name = "rekam-sim-camera",
	.summary = "A simulated PTP/IP camera (" CAMERA_MODEL ") for rekam's tests and demo.",
	.description =
		"It answers PTP/IP (ISO 15740 over TCP) on 127.0.0.1, as a DSLR on a network\n"
		"does, so libgphoto2 and the gphoto2 program drive it as \"PTP/IP Camera\" at\n"
		"ptpip:127.0.0.1:PORT:EVENT-PORT. One host (a command channel and its event\n"
		"channel) at a time. A capture takes 400 ms (scaled by --time-scale) and\n"
		"stores on its card a JPEG portrait of an applicant, head and shoulders\n"
		"centred on a red or blue cloth (KTP-el: red for odd birth years, blue for\n"
		"even). The seed fixes the applicant (skin tone, hair, shirt) and the serial\n"
		"number; the same seed and the same commands give the same JPEG bytes.\n"
		"The Unix socket of --socket only tells a host where the camera listens: it\n"
		"sends one line \"PTPIP 127.0.0.1 PORT EVENT-PORT MODEL SERIAL\" and closes.\n"
		"When a TCP port cannot be bound the simulator exits with status 70.",
	.protocol =
		"  PTP/IP packets: u32 length, u32 type, payload, little-endian. Command\n"
		"  channel: InitCommandRequest -> InitCommandAck (InitFail when another host\n"
		"  holds the camera); event channel: InitEventRequest with that connection\n"
		"  number -> InitEventAck. Operations: GetDeviceInfo 0x1001, OpenSession\n"
		"  0x1002, CloseSession 0x1003, GetStorageIDs 0x1004, GetStorageInfo 0x1005,\n"
		"  GetObjectHandles 0x1007, GetObjectInfo 0x1008, GetObject 0x1009,\n"
		"  DeleteObject 0x100B, InitiateCapture 0x100E, GetDevicePropDesc 0x1014 and\n"
		"  GetDevicePropValue 0x1015 (BatteryLevel 0x5001 only). InitiateCapture is\n"
		"  answered at once; ObjectAdded 0x4002 and CaptureComplete 0x400D follow on\n"
		"  the event channel when the picture is stored. A packet shorter than 8 or\n"
		"  longer than 16 MiB, of an unknown type or out of place closes that\n"
		"  connection (logged); the simulator goes on. On the camera `fail CODE`\n"
		"  makes the next InitiateCapture answer GeneralError, `quality N` below 100\n"
		"  defocuses the next pictures, and unplug closes the TCP ports too.\n",
	.example =
		"  rekam-sim-camera --socket /tmp/cam.sock --control /tmp/cam.ctl \\\n"
		"          --port 25740 --event-port 25741 --size 600x800 --seed 7 &\n"
		"  HOME=/tmp/gp gphoto2 --camera \"PTP/IP Camera\" \\\n"
		"          --port ptpip:127.0.0.1:25740:25741 \\\n"
		"          --capture-image-and-download --filename /tmp/photo.jpg\n"
		"  echo 'background blue' | socat - UNIX-CONNECT:/tmp/cam.ctl\n"
		"  echo 'busy' | socat - UNIX-CONNECT:/tmp/cam.ctl\n"
		"  echo 'quit' | socat - UNIX-CONNECT:/tmp/cam.ctl\n"
		"\n"
		"See also: docs/camera.md, gphoto2(1).\n",
	.busy_reply = "ERR busy another host is connected",
	.options = options,
	.commands = commands,
	.ops = &ops,
	.init = init,
	.fini = fini,
};

int main(int argc, char **argv)
{
	return sim_main(&descriptor, &cam, argc, argv);
}
