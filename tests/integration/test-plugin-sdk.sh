#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# tests/integration/test-plugin-sdk.sh - the plugin SDK as a vendor uses it:
# `make install` lays out include/rekam/plugin.h and rekam-plugin.pc (into a
# DESTDIR), the .pc agrees with the header and with rekamd's plugin
# directory, a plugin written outside the tree compiles with nothing but
# `pkg-config --cflags rekam-plugin` and is loaded by rekamd, whose device
# then appears on the bus; a plugin built for another ABI is refused while
# rekamd keeps running.

# shellcheck source=tests/integration/lib.sh
. "${REKAM_TEST_LIB:-$(dirname "$0")/lib.sh}"
# shellcheck source=tests/integration/sdk-plugin.sh
. "$(dirname "${REKAM_TEST_LIB:-$0}")/sdk-plugin.sh"

top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
DEVICE_PATH=$REKAM_PATH/devices/sigpad0
DEVICE_IFACE=$REKAM_NAME.Device

require_tools busctl
sdk_require

device_property() { # device_property NAME: a string property of sigpad0, or nothing
	busctl --user get-property "$REKAM_NAME" "$DEVICE_PATH" "$DEVICE_IFACE" "$1" \
		2>/dev/null | sed -n 's/^s "\(.*\)"$/\1/p'
}

device_is() { # device_is NAME VALUE
	[ "$(device_property "$1")" = "$2" ]
}

# --- the installed SDK ---------------------------------------------------------

sdk_install
ok 0 "make install-rekamincludeHEADERS install-pkgconfigDATA DESTDIR=... works"
header=$(find "$SDK_ROOT" -path '*/include/rekam/plugin.h' | head -n1)
like "$header" '/include/rekam/plugin\.h$' "the header is installed as include/rekam/plugin.h"
like "$SDK_PC" '/lib[^/]*/pkgconfig/rekam-plugin\.pc$' "the .pc is installed into LIBDIR/pkgconfig"
cmp -s "$header" "$top_srcdir/include/rekam/plugin.h"
ok $? "the installed header is include/rekam/plugin.h of the source tree"

is "$(sdk_pkg_config --modversion)" "$("$REKAMD" --version 2>/dev/null | sed 's/^[^0-9]*//')" \
	"the .pc's version is rekamd's"
like "$(sdk_pkg_config --print-variables | sort | tr '\n' ' ')" \
	'abi_major abi_minor .*plugindir' "the .pc has abi_major, abi_minor and plugindir"
header_major=$(sed -n 's/^#define REKAM_PLUGIN_ABI_MAJOR  *\([0-9]*\)$/\1/p' "$header")
header_minor=$(sed -n 's/^#define REKAM_PLUGIN_ABI_MINOR  *\([0-9]*\)$/\1/p' "$header")
like "$header_major.$header_minor" '^[0-9]+\.[0-9]+$' "the header defines the ABI version"
is "$(sdk_pkg_config --variable=abi_major)" "$header_major" \
	"abi_major of the .pc is REKAM_PLUGIN_ABI_MAJOR"
is "$(sdk_pkg_config --variable=abi_minor)" "$header_minor" \
	"abi_minor of the .pc is REKAM_PLUGIN_ABI_MINOR"
is "$(sdk_pkg_config --variable=plugindir)" "$(sdk_pkg_config --variable=libdir)/rekam/plugins" \
	"plugindir is \${libdir}/rekam/plugins"
default_dir=$("$REKAMD" --help 2>&1 | sed -n 's/.*--plugin-dir=DIR.*(default \(.*\))$/\1/p')
is "$(sdk_pkg_config --variable=plugindir)" "$default_dir" \
	"plugindir is rekamd's default plugin directory"
like "$SDK_CFLAGS" "^-I$SDK_ROOT/" "--define-variable=prefix relocates the .pc's Cflags"
check "Cflags find rekam/plugin.h" test -f "${SDK_CFLAGS#-I}/rekam/plugin.h"

# --- plugins built outside the tree ------------------------------------------

sdk_build_outside "$SDK_PLUGIN_DIR"
ok $? "a plugin outside the tree compiles with pkg-config --cflags rekam-plugin (-Werror)" ||
	sed 's/^/#   /' "$REKAM_TMP/cc-sigpad-outside.log"
sdk_build_badabi "$SDK_PLUGIN_DIR"
ok $? "a plugin with a hand-written ABI 99.0 descriptor compiles" ||
	sed 's/^/#   /' "$REKAM_TMP/cc-sigpad-badabi.log"
if command -v nm >/dev/null 2>&1; then
	is "$(nm -D --defined-only "$SDK_PLUGIN_DIR/rekam-sigpad-outside.so" |
		awk '$2 ~ /^[A-Z]$/ && $3 !~ /^_/ { print $3 }')" "rekam_plugin" \
		"with -fvisibility=hidden, REKAM_PLUGIN_DEFINE exports only rekam_plugin"
fi

# --- rekamd loads it ---------------------------------------------------------

start_bus
write_config "[device pad]" "plugin = sigpad-outside" "connection = outside:1"
start_rekamd --session --state-dir "$REKAM_TMP/state" --config "$REKAM_TMP/rekamd.conf" \
	--plugin-dir "$SDK_PLUGIN_DIR"

wait_for 5 device_is State idle
is "$(device_property State)" "idle" "$DEVICE_PATH appears and becomes idle"
is "$(device_property Model)" "Outside-1" "its Model is what the plugin set"
is "$(device_property Plugin)" "sigpad-outside" "its Plugin is sigpad-outside"
is "$(device_property Class)" "sigpad" "its Class is sigpad"
is "$(device_property Connection)" "outside:1" "its Connection is the configured one"
like "$(busctl --user get-property "$REKAM_NAME" "$DEVICE_PATH" "$DEVICE_IFACE" Health 2>&1)" \
	'"Connected" b true' "its Health has Connected = true"

log=$(cat "$REKAM_TMP/rekamd.log")
like "$log" 'plugin sigpad-outside 1\.0 loaded' "rekamd's log says the plugin was loaded"
like "$log" 'outside pad at outside:1 opened' "the plugin's own log line reaches rekamd's log"

# --- a plugin of another ABI is refused ------------------------------------------

like "$log" 'rekam-sigpad-badabi\.so: refused: built for plugin ABI 99\.0' \
	"rekamd refuses the ABI 99.0 plugin, saying why"
unlike "$log" 'sigpad-badabi[^:]* loaded' "the ABI 99.0 plugin is not loaded"
check "rekamd keeps running after refusing it (Ping)" call Ping
rekamd_alive
ok $? "rekamd is still alive"

stop_rekamd
is "$REKAMD_STATUS" 0 "rekamd exits 0 on SIGTERM, closing the outside plugin's device"
like "$(cat "$REKAM_TMP/rekamd.log")" 'outside pad closed' "the plugin's close was called"

done_testing
