// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * rekam - integration tests
 *
 * test-usb-hotplug.c - USB discovery in rekamd, on USB devices that umockdev
 * describes in a sysfs test bed: a fingerprint scanner present at start
 * becomes a device object through the plugin that declares its id
 * (tests/plugins/test-usb-plugin.c), a second one plugged in while rekamd
 * runs appears (InterfacesAdded) and goes when unplugged (InterfacesRemoved),
 * and devices of ids no plugin declares get no object.
 *
 * umockdev's preload library must be in every process that looks at the test
 * bed: rekamd (libusb and libudev read the fake sysfs and receive the fake
 * uevents through it) and this test too, because umockdev_testbed_uevent()
 * reads the device it announces through libudev. So the test runs itself
 * again with LD_PRELOAD=libumockdev-preload.so.0 (through tests/run-test
 * when the valgrind pass is on, so that valgrind still checks it). Under
 * AddressSanitizer the ASan runtime must come first in LD_PRELOAD: it is
 * taken from this process's own mappings.
 */
#include <config.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <dbus/dbus.h>

#ifdef HAVE_UMOCKDEV
#include <umockdev.h>
#endif

#include "tap.h"
#include "testbus.h"
#include "testclient.h"

#define PRELOAD "libumockdev-preload.so.0"
#define REEXEC_ENV "REKAM_TEST_UMOCKDEV_REEXEC"
#define FP0 TC_ROOT "/devices/fingerprint0"
#define FP1 TC_ROOT "/devices/fingerprint1"
#define OM_IFACE "org.freedesktop.DBus.ObjectManager"

#ifdef HAVE_UMOCKDEV

#define SYS_HUB "/sys/devices/pci0000:00/0000:00:14.0/usb1"

/* One USB device below the root hub, in umockdev-record's format (without
 * an "L: subsystem" line, which umockdev 0.17 cannot load twice). */
#define USB_DEVICE(port, devnum, vid, pid, desc)                                                  \
	"P: /devices/pci0000:00/0000:00:14.0/usb1/1-" port "\n"                                    \
	"N: bus/usb/001/" devnum "\n"                                                              \
	"E: DEVNAME=/dev/bus/usb/001/" devnum "\n"                                                 \
	"E: DEVTYPE=usb_device\nE: DRIVER=usb\nE: SUBSYSTEM=usb\n"                               \
	"E: BUSNUM=001\nE: DEVNUM=" devnum "\n"                                                    \
	"A: busnum=1\nA: devnum=" devnum "\nA: devpath=" port "\n"                                 \
	"A: idVendor=" vid "\nA: idProduct=" pid "\n"                                              \
	"A: speed=480\nA: bConfigurationValue=1\nA: bNumConfigurations=1\n"                        \
	"H: descriptors=" desc "\n\n"

/* The descriptors libusb reads from sysfs: device, configuration, interface
 * (and HID, endpoint), as hex. */
#define HUB_DESC                                                                                  \
	"12010002090001406B1D0200150503020101" "09021900010100E000" "090400000109000000"           \
	"0705810304000C"
#define SCANNER_DESC                                                                              \
	"12010002000000407A1C7005000101020301" "09021200010100A032" "0904000000FF000000"
#define MOUSE_DESC                                                                                \
	"12010002000000086D0477C0000101020001" "09022200010100A032" "090400000103010200"           \
	"092111010001223400" "0705810304000A"
#define ETHER_DESC                                                                                \
	"1201100200000040DA0B5381003101020301" "09021200010100A032" "0904000000FF000000"

/* A root hub, the scanner at port 3 and a mouse (no plugin) at port 4. */
static const char initial_devices[] =
	"P: /devices/pci0000:00/0000:00:14.0/usb1\n"
	"N: bus/usb/001/001\n"
	"E: DEVNAME=/dev/bus/usb/001/001\n"
	"E: DEVTYPE=usb_device\nE: DRIVER=usb\nE: SUBSYSTEM=usb\n"
	"E: BUSNUM=001\nE: DEVNUM=001\n"
	"A: busnum=1\nA: devnum=1\nA: devpath=0\nA: idVendor=1d6b\nA: idProduct=0002\n"
	"A: speed=480\nA: bConfigurationValue=1\nA: bNumConfigurations=1\n"
	"H: descriptors=" HUB_DESC "\n\n"
	USB_DEVICE("3", "002", "1c7a", "0570", SCANNER_DESC)
	USB_DEVICE("4", "003", "046d", "c077", MOUSE_DESC);

/* Plugged in later: a second scanner, and a network adapter (no plugin). */
static const char second_scanner[] = USB_DEVICE("2", "004", "1c7a", "0570", SCANNER_DESC);
static const char network_adapter[] = USB_DEVICE("5", "005", "0bda", "8153", ETHER_DESC);

static struct testbus tb;
static DBusConnection *conn;
static char log_path[128];
static UMockdevTestbed *testbed;

static char *read_log(void)
{
	char *log = testbus_read_file(log_path);

	return log ? log : strdup("");
}

/* The paths in the manager's Devices property, joined by spaces. */
static char *device_paths(void)
{
	DBusMessage *msg = tc_new_call(TC_ROOT, DBUS_INTERFACE_PROPERTIES, "Get"), *reply;
	const char *iface = TC_NAME, *name = "Devices";
	DBusMessageIter iter, var, array;
	char *out = calloc(1, 1024);
	size_t len = 0;

	dbus_message_append_args(msg, DBUS_TYPE_STRING, &iface, DBUS_TYPE_STRING, &name,
		DBUS_TYPE_INVALID);
	reply = tc_call_msg(conn, msg, 5000);
	if (dbus_message_get_type(reply) == DBUS_MESSAGE_TYPE_METHOD_RETURN &&
			dbus_message_iter_init(reply, &iter)) {
		dbus_message_iter_recurse(&iter, &var);
		dbus_message_iter_recurse(&var, &array);
		while (dbus_message_iter_get_arg_type(&array) == DBUS_TYPE_OBJECT_PATH) {
			const char *path;

			dbus_message_iter_get_basic(&array, &path);
			len += (size_t)snprintf(out + len, 1024 - len, "%s%s", len ? " " : "", path);
			dbus_message_iter_next(&array);
		}
	}
	dbus_message_unref(reply);
	return out;
}

static bool wait_paths(const char *want, int ms)
{
	char *paths = NULL;
	bool ok = false;

	for (int waited = 0; !ok && waited <= ms; waited += 50) {
		free(paths);
		paths = device_paths();
		ok = strcmp(paths, want) == 0;
		if (!ok)
			usleep(50 * 1000);
	}
	if (!ok)
		tap_diag("  Devices is \"%s\", expected \"%s\"", paths, want);
	free(paths);
	return ok;
}

static bool log_has(const char *text, int ms)
{
	bool found = false;

	for (int waited = 0; !found && waited <= ms; waited += 50) {
		char *log = read_log();

		found = strstr(log, text) != NULL;
		free(log);
		if (!found)
			usleep(50 * 1000);
	}
	return found;
}

/* Wait for the ObjectManager signal @member naming @path. */
static bool wait_om_signal(const char *member, const char *path, int ms)
{
	struct timespec start, now;

	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		DBusMessage *msg;
		long elapsed;

		while ((msg = dbus_connection_pop_message(conn))) {
			DBusMessageIter iter;
			const char *p;
			bool match = false;

			/* The path is the first argument of both signals. */
			if (dbus_message_is_signal(msg, OM_IFACE, member) &&
					dbus_message_iter_init(msg, &iter) &&
					dbus_message_iter_get_arg_type(&iter) == DBUS_TYPE_OBJECT_PATH) {
				dbus_message_iter_get_basic(&iter, &p);
				match = strcmp(p, path) == 0;
			}
			dbus_message_unref(msg);
			if (match)
				return true;
		}
		clock_gettime(CLOCK_MONOTONIC, &now);
		elapsed = (now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000;
		if (elapsed > ms)
			return false;
		dbus_connection_read_write(conn, 50);
	}
}

static void add_devices(const char *description)
{
	GError *error = NULL;

	if (!umockdev_testbed_add_from_string(testbed, description, &error))
		tap_bail("umockdev cannot add the device: %s", error ? error->message : "?");
}

/* --- tests ----------------------------------------------------------------- */

static void test_enumeration(void)
{
	tap_ok(tc_wait_prop(conn, FP0, "State", "idle", 10000),
		"the scanner present at start is %s and opens", FP0);
	tc_is_prop(conn, FP0, "Model", "Test USB Scanner", "... with the plugin's model");
	tc_is_prop(conn, FP0, "Connection", "usb:1-3", "... connected at USB port 1-3");
	tc_is_prop(conn, FP0, "Serial", "1-3", "... serial from the port");
	tc_is_prop(conn, FP0, "Plugin", "test-usb", "... through the plugin declaring 1c7a:0570");
	tc_is_prop(conn, FP0, "Class", "fingerprint", "... in the plugin's class");
	tap_ok(wait_paths(FP0, 5000), "the mouse and the root hub get no device object");
	tap_ok(log_has("USB 046d:c077 at 1-4: no plugin takes it", 0),
		"... and the log says that no plugin takes the mouse");
}

static void test_hotplug(void)
{
	add_devices(second_scanner);
	umockdev_testbed_uevent(testbed, SYS_HUB "/1-2", "add");
	tap_ok(wait_om_signal("InterfacesAdded", FP1, 10000),
		"a scanner plugged in at 1-2 appears (InterfacesAdded %s)", FP1);
	tap_ok(tc_wait_prop(conn, FP1, "State", "idle", 5000), "... and opens");
	tc_is_prop(conn, FP1, "Connection", "usb:1-2", "... connected at USB port 1-2");
	tap_ok(wait_paths(FP0 " " FP1, 5000), "... and the manager lists both scanners");

	add_devices(network_adapter);
	umockdev_testbed_uevent(testbed, SYS_HUB "/1-5", "add");
	tap_ok(log_has("USB 0bda:8153 at 1-5: no plugin takes it", 10000),
		"a network adapter plugged in is seen");
	tap_ok(wait_paths(FP0 " " FP1, 0), "... and gets no device object");

	/* The uevent first: umockdev reads the device it announces. */
	umockdev_testbed_uevent(testbed, SYS_HUB "/1-2", "remove");
	umockdev_testbed_remove_device(testbed, SYS_HUB "/1-2");
	tap_ok(wait_om_signal("InterfacesRemoved", FP1, 10000),
		"the scanner unplugged from 1-2 goes (InterfacesRemoved %s)", FP1);
	tap_ok(wait_paths(FP0, 5000), "... and the manager lists the first scanner only");
	tap_ok(tc_wait_prop(conn, FP0, "State", "idle", 0), "... which is still idle");

	umockdev_testbed_uevent(testbed, SYS_HUB "/1-5", "remove");
	umockdev_testbed_remove_device(testbed, SYS_HUB "/1-5");
	tap_ok(log_has("USB 0bda:8153 at 1-5 (bus 001 address 005) unplugged", 10000),
		"the network adapter's removal is seen");
}

/* "<libasan> " when this program runs with AddressSanitizer (whose runtime
 * must be the first library), else "". */
static void asan_runtime(char *out, size_t size)
{
	FILE *maps = fopen("/proc/self/maps", "r");
	char line[1024];

	out[0] = '\0';
	while (maps && fgets(line, sizeof(line), maps)) {
		char *path = strchr(line, '/');

		if (path && strstr(path, "/libasan.so")) {
			path[strcspn(path, "\n")] = '\0';
			snprintf(out, size, "%s ", path);
			break;
		}
	}
	if (maps)
		fclose(maps);
}

static bool preload_loaded(void)
{
	char *maps = testbus_read_file("/proc/self/maps");
	bool loaded = maps && strstr(maps, "libumockdev-preload");

	free(maps);
	return loaded;
}

/* Run again with umockdev's preload library (see the top of the file). */
static void reexec_preloaded(char **argv)
{
	const char *top = getenv("top_srcdir"), *valgrind = getenv("REKAM_TEST_VALGRIND");
	char preload[600], run_test[512], asan[512];

	asan_runtime(asan, sizeof(asan));
	snprintf(preload, sizeof(preload), "%s%s", asan, PRELOAD);
	setenv("LD_PRELOAD", preload, 1);
	setenv(REEXEC_ENV, "1", 1);
	if (top && valgrind && strcmp(valgrind, "1") == 0) {
		snprintf(run_test, sizeof(run_test), "%s/tests/run-test", top);
		execl(run_test, run_test, argv[0], (char *)NULL);
	} else {
		execv(argv[0], argv);
	}
	tap_bail("cannot run %s again with %s: %s", argv[0], PRELOAD, strerror(errno));
}

int main(int argc, char **argv)
{
	const char *rekamd = getenv("REKAMD"), *plugins = getenv("REKAM_TEST_PLUGIN_DIR");
	char config[160], state_dir[160], rekamd_path[512], plugin_dir[512], *root;
	char preload_env[640], umockdev_env[600], asan[512];
	DBusError err;
	pid_t pid;
	FILE *f;

	if (!rekamd || !plugins)
		tap_skip_all("REKAMD or REKAM_TEST_PLUGIN_DIR is not set (run through make check)");
	if (!getenv(REEXEC_ENV))
		reexec_preloaded(argv);
	if (!preload_loaded())
		tap_skip_all("umockdev's %s could not be preloaded (install umockdev)", PRELOAD);
	/* The bus runs without it; rekamd gets it back below. */
	asan_runtime(asan, sizeof(asan));
	unsetenv("LD_PRELOAD");

	testbed = umockdev_testbed_new();
	root = umockdev_testbed_get_root_dir(testbed);
	add_devices(initial_devices);

	if (testbus_start(&tb) < 0)
		tap_bail("cannot start dbus-daemon");
	snprintf(config, sizeof(config), "%s/rekamd.conf", tb.dir);
	snprintf(state_dir, sizeof(state_dir), "%s/state", tb.dir);
	snprintf(log_path, sizeof(log_path), "%s/rekamd.log", tb.dir);
	snprintf(rekamd_path, sizeof(rekamd_path), "%s", rekamd);
	snprintf(plugin_dir, sizeof(plugin_dir), "%s", plugins);
	snprintf(preload_env, sizeof(preload_env), "LD_PRELOAD=%s%s", asan, PRELOAD);
	snprintf(umockdev_env, sizeof(umockdev_env), "UMOCKDEV_DIR=%s", root);
	f = fopen(config, "w");
	if (!f)
		tap_bail("cannot write %s", config);
	fprintf(f, "[station]\nid = 6305-TEST-01\n");
	fclose(f);

	char *rk_argv[] = { rekamd_path, "--session", "--verbose", "--state-dir", state_dir,
		"--config", config, "--plugin-dir", plugin_dir, "--plugins", "test-usb", NULL };
	char *rk_env[] = { preload_env, umockdev_env, NULL };
	pid = testbus_spawn(&tb, rk_argv, rk_env, log_path);

	dbus_error_init(&err);
	conn = dbus_bus_get_private(DBUS_BUS_SESSION, &err);
	if (!conn)
		tap_bail("cannot connect to the test bus");
	dbus_bus_add_match(conn, "type='signal',sender='" TC_NAME "',interface='" OM_IFACE "'",
		&err);
	for (int i = 0; i < 200 && !dbus_bus_name_has_owner(conn, TC_NAME, NULL); i++)
		usleep(50 * 1000);
	if (!dbus_bus_name_has_owner(conn, TC_NAME, NULL)) {
		char *log = read_log();

		tap_bail("rekamd did not start: %s", log);
	}

	test_enumeration();
	test_hotplug();

	kill(pid, SIGTERM);
	tap_is_int(testbus_wait(pid, 10000), 0, "rekamd stops cleanly");
	{
		char *log = read_log();

		tap_ok(!strstr(log, "left watches or timers behind"),
			"the USB plugin left no watch or timer behind");
		free(log);
	}

	dbus_connection_close(conn);
	dbus_connection_unref(conn);
	testbus_stop(&tb);
	g_free(root);
	g_object_unref(testbed);
	return tap_done();
}

#else /* !HAVE_UMOCKDEV */

int main(void)
{
	tap_skip_all("built without libumockdev (install libumockdev-dev and configure again)");
}

#endif
