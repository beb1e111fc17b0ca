# SPDX-License-Identifier: LGPL-2.1-or-later
# tests/integration/sdk-plugin.sh - shared by the tests that need a plugin
# built the way a vendor builds one, outside rekam's tree: the SDK (the
# plugin ABI header and rekam-plugin.pc) is installed into a DESTDIR by the
# build tree's own install rules, and plugins are compiled against it with
# pkg-config. Sourced after lib.sh.
#
# Usage in a test:
#   . "$(dirname "$REKAM_TEST_LIB")/sdk-plugin.sh"
#   sdk_require; sdk_install
#   sdk_build_outside "$SDK_PLUGIN_DIR"
#   start_bus; write_config "[device pad]" "plugin = sigpad-outside" ...
#   start_rekamd --session ... --plugin-dir "$SDK_PLUGIN_DIR"
#
# The "sigpad-outside" plugin takes connections "outside:*"; its open
# completes at once with model "Outside-1" (or the device's "model" option)
# and health Connected = true; with the option "open = error" it fails with
# the message "the outside pad is switched off" instead.

top_builddir=${top_builddir:-$(cd "$(dirname "$REKAMD")/.." && pwd)}
SDK_ROOT=$REKAM_TMP/root              # the DESTDIR
SDK_PLUGIN_DIR=$REKAM_TMP/plugins     # rekamd's --plugin-dir
SDK_CC=${CC:-cc}
SDK_PKG_CONFIG=${PKG_CONFIG:-pkg-config}
SDK_PC=                               # the installed rekam-plugin.pc
SDK_CFLAGS=                           # its Cflags, relocated into SDK_ROOT

sdk_require() {
	require_tools "$SDK_CC" "$SDK_PKG_CONFIG" "${MAKE:-make}"
	[ -f "$top_builddir/Makefile" ] || skip_all "no build tree at $top_builddir"
}

# pkg-config that sees only the installed SDK: sdk_pkg_config ARGS...
sdk_pkg_config() {
	PKG_CONFIG_LIBDIR=$(dirname "$SDK_PC") PKG_CONFIG_PATH='' \
		"$SDK_PKG_CONFIG" "$@" rekam-plugin
}

# Install the header and the .pc into SDK_ROOT with `make install-...`; set
# SDK_PC and SDK_CFLAGS (--define-variable=prefix moves the .pc into SDK_ROOT).
sdk_install() {
	# a make of its own: not the jobserver of the make check that runs us
	(
		unset MAKEFLAGS MFLAGS MAKELEVEL
		"${MAKE:-make}" -s -C "$top_builddir" install-rekamincludeHEADERS \
			install-pkgconfigDATA DESTDIR="$SDK_ROOT"
	) >"$REKAM_TMP/sdk-install.log" 2>&1 ||
		bail "make install-rekamincludeHEADERS install-pkgconfigDATA failed: $(cat "$REKAM_TMP/sdk-install.log")"
	SDK_PC=$(find "$SDK_ROOT" -path '*/pkgconfig/rekam-plugin.pc' | head -n1)
	[ -n "$SDK_PC" ] || bail "make install put no pkgconfig/rekam-plugin.pc under $SDK_ROOT"
	sdk_prefix=$(sdk_pkg_config --variable=prefix) || bail "pkg-config cannot read $SDK_PC"
	SDK_CFLAGS=$(sdk_pkg_config --define-variable=prefix="$SDK_ROOT$sdk_prefix" --cflags) ||
		bail "pkg-config --cflags rekam-plugin failed"
	SDK_CFLAGS=${SDK_CFLAGS%% } # pkg-config ends the list with a space
	mkdir -p "$SDK_PLUGIN_DIR"
}

# Compile $REKAM_TMP/NAME.c into DIR/rekam-NAME.so: sdk_compile NAME DIR
sdk_compile() {
	# shellcheck disable=SC2086 # SDK_CFLAGS is a list of flags
	"$SDK_CC" -std=c11 -Wall -Wextra -Werror -shared -fPIC -fvisibility=hidden \
		$SDK_CFLAGS -o "$2/rekam-$1.so" "$REKAM_TMP/$1.c" \
		>"$REKAM_TMP/cc-$1.log" 2>&1
}

# A complete minimal plugin: sdk_build_outside DIR
sdk_build_outside() {
	cat >"$REKAM_TMP/sigpad-outside.c" <<'EOF'
/* rekam-sigpad-outside.so: a minimal sigpad plugin built outside rekam's tree */
#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <syslog.h>

#include <rekam/plugin.h>

static const struct rk_host *host;

static int outside_probe(const struct rk_host *h, const struct rk_probe_info *info)
{
	(void)h;
	if (!info->connection || strncmp(info->connection, "outside:", 8) != 0)
		return -ENODEV;
	return 0;
}

static int outside_open(struct rk_device *dev, struct rk_op *op)
{
	const char *open = host->config(dev, "open");
	const char *model = host->config(dev, "model");

	if (open && strcmp(open, "error") == 0) {
		host->op_complete(op, -EIO, "the outside pad is switched off");
		return 0;
	}
	host->set_info(dev, model ? model : "Outside-1", "OUT-0001", "1.0");
	host->set_health_bool(dev, "Connected", true);
	host->log(dev, LOG_INFO, "outside pad at %s opened", host->connection(dev));
	host->op_complete(op, 0, NULL);
	return 0;
}

static void outside_close(struct rk_device *dev)
{
	host->log(dev, LOG_INFO, "outside pad closed");
}

static const struct rk_device_ops outside_ops = {
	.probe = outside_probe,
	.open = outside_open,
	.close = outside_close,
};

static int outside_init(const struct rk_host *h)
{
	host = h;
	return 0;
}

REKAM_PLUGIN_DEFINE("sigpad-outside", "a sigpad plugin built outside rekam's tree", "1.0",
	RK_DEVICE_SIGPAD, NULL, &outside_ops, outside_init, NULL);
EOF
	sdk_compile sigpad-outside "$1"
}

# A plugin whose descriptor, written by hand, claims ABI 99.0: sdk_build_badabi DIR
sdk_build_badabi() {
	cat >"$REKAM_TMP/sigpad-badabi.c" <<'EOF'
/* rekam-sigpad-badabi.so: declares a plugin ABI that rekamd does not have */
#include <errno.h>

#include <rekam/plugin.h>

static int badabi_probe(const struct rk_host *h, const struct rk_probe_info *info)
{
	(void)h;
	(void)info;
	return -ENODEV;
}

static int badabi_open(struct rk_device *dev, struct rk_op *op)
{
	(void)dev;
	(void)op;
	return -EIO;
}

static void badabi_close(struct rk_device *dev)
{
	(void)dev;
}

static const struct rk_device_ops badabi_ops = {
	.probe = badabi_probe,
	.open = badabi_open,
	.close = badabi_close,
};

static int badabi_init(const struct rk_host *h)
{
	(void)h;
	return 0;
}

__attribute__((visibility("default"))) const struct rk_plugin rekam_plugin = {
	.abi_major = 99,
	.abi_minor = 0,
	.name = "sigpad-badabi",
	.description = "a plugin from a future rekam",
	.version = "1.0",
	.device_class = RK_DEVICE_SIGPAD,
	.ops = &badabi_ops,
	.init = badabi_init,
};
EOF
	sdk_compile sigpad-badabi "$1"
}
