// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * rekam - KTP-el recording station daemon
 *
 * test-config.c - unit tests of the configuration file parser (config.c):
 * defaults, every key of a valid file, the shipped example file, and every
 * class of error with its exact "FILE:LINE: message".
 */
#include <config.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon/config.h"
#include "tap.h"

/* --- helpers --------------------------------------------------------------- */

static int load(const char *text, struct rk_config **config, char **errors)
{
	return rk_config_load_data("t.conf", text, strlen(text), config, errors);
}

/* @text must load; returns the configuration (free it) or NULL after a failed check. */
static struct rk_config *load_ok(const char *text, const char *what)
{
	struct rk_config *config = NULL;
	char *errors = NULL;
	int err = load(text, &config, &errors);

	if (!tap_ok(err == 0 && config && !errors, "%s: accepted", what))
		tap_diag("  err %d, errors: %s", err, errors ? errors : "(none)");
	free(errors);
	return err == 0 ? config : NULL;
}

/* @len bytes of @data must be refused with -EINVAL and a message containing @needle. */
static void refuse_data(const char *data, size_t len, const char *needle, const char *what)
{
	struct rk_config *config = (struct rk_config *)&config;
	char *errors = NULL;
	int err = rk_config_load_data("t.conf", data, len, &config, &errors);

	if (!tap_contains(err == -EINVAL && !config ? errors : NULL, needle, "%s", what))
		tap_diag("  err %d, errors: %s", err, errors ? errors : "(none)");
	free(errors);
	if (err == 0)
		rk_config_free(config);
}

static void refuse(const char *text, const char *needle, const char *what)
{
	refuse_data(text, strlen(text), needle, what);
}

static int count_lines(const char *s)
{
	int n = 0;

	for (; s && *s; s++)
		n += *s == '\n';
	return s ? n + 1 : 0;
}

/* Errors of @text (free them), NULL when it loads. */
static char *errors_of(const char *text)
{
	struct rk_config *config = NULL;
	char *errors = NULL;

	if (load(text, &config, &errors) == 0)
		rk_config_free(config);
	return errors;
}

static char *repeat(char c, size_t n)
{
	char *s = malloc(n + 1);

	if (!s)
		tap_bail("out of memory");
	memset(s, c, n);
	s[n] = '\0';
	return s;
}

static char *printf_alloc(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *printf_alloc(const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		tap_bail("out of memory");
	va_end(ap);
	return s;
}

static char tmpdir[] = "/tmp/test-config.XXXXXX";

static char *write_file(const char *name, const char *data, size_t len)
{
	char *path = printf_alloc("%s/%s", tmpdir, name);
	FILE *f = fopen(path, "w");

	if (!f || fwrite(data, 1, len, f) != len || fclose(f) != 0)
		tap_bail("cannot write %s", path);
	return path;
}

/* --- defaults -------------------------------------------------------------- */

static void test_defaults(void)
{
	struct rk_config *c = rk_config_new_default();
	char host[256] = "", want[65], hours[12];
	size_t n = 0;

	tap_is_int(c->office_open, 8 * 60, "default opening 08:00");
	tap_is_int(c->office_close, 15 * 60, "default closing 15:00");
	rk_config_format_office_hours(c, hours);
	tap_is_str(hours, "08:00-15:00", "default office hours formatted");
	tap_ok(c->plugins_enable && c->plugins_enable[0] && !c->plugins_enable[1],
		"default enable has one pattern");
	tap_is_str(c->plugins_enable ? c->plugins_enable[0] : NULL, "*", "default enable is *");
	tap_ok(c->plugins_disable && !c->plugins_disable[0], "default disable is empty, not NULL");
	tap_ok(!c->central_url && !c->central_ca && !c->central_cert && !c->central_key,
		"central unset by default");
	tap_ok(!c->path && c->n_devices == 0 && !c->devices, "no path, no devices");

	gethostname(host, sizeof(host) - 1);
	for (size_t i = 0; host[i] && n < 64; i++)
		if (strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-",
				host[i]))
			want[n++] = host[i];
	want[n] = '\0';
	tap_is_str(c->station_id, n ? want : "station", "default id is the sanitised host name");
	tap_ok(rk_config_find_device(c, "camera") == NULL, "no device in the defaults");
	rk_config_free(c);
	rk_config_free(NULL);
	tap_ok(true, "rk_config_free(NULL) is a no-op");

	c = load_ok("", "empty file");
	tap_ok(c && c->office_open == 480 && c->office_close == 900 && c->plugins_enable &&
		       c->n_devices == 0, "empty file gives the defaults");
	tap_is_str(c ? c->path : NULL, "t.conf", "path is the name given");
	rk_config_free(c);
}

/* --- a full valid file ----------------------------------------------------- */

static const char full_file[] =
	"# rekamd.conf for the unit test\n"                  /* 1 */
	"[station]\n"                                        /* 2 */
	"  id   =   tapin-01.rekam_A  \n"                    /* 3 */
	"\toffice-hours=07:30-16:45\n"                       /* 4 */
	"\n"                                                 /* 5 */
	"   ; central server\n"                              /* 6 */
	"[central]\n"                                        /* 7 */
	"url = https://central.example.org:8443/rekam/v1\n"  /* 8 */
	"ca = /etc/rekam/tls/ca.pem\n"                       /* 9 */
	"cert = /etc/rekam/tls/station.crt\n"                /* 10 */
	"key = /etc/rekam/tls/station.key\n"                 /* 11 */
	"[plugins]\n"                                        /* 12 */
	"enable = camera-*, biometric-?bi ,printer-ipp\n"    /* 13 */
	"disable = *-sim\n"                                  /* 14 */
	"[device camera]\n"                                  /* 15 */
	"plugin = camera-gphoto2\n"                          /* 16 */
	"connection = ptpip:127.0.0.1:15740:15740\n"         /* 17 */
	"enabled = no\n"                                     /* 18 */
	"quality = 80\n"                                     /* 19 */
	"label = front desk # not a comment\n"               /* 20 */
	"empty =\n"                                          /* 21 */
	"[device sigpad-2]\n"                                /* 22 */
	"plugin = sigpad-sim\n";                             /* 23 */

static void check_full(const struct rk_config *c, const char *what)
{
	const struct rk_device_config *cam = c->n_devices > 0 ? &c->devices[0] : NULL;
	const struct rk_device_config *pad = c->n_devices > 1 ? &c->devices[1] : NULL;
	char hours[12];

	tap_is_str(c->station_id, "tapin-01.rekam_A", "%s: id", what);
	tap_is_int(c->office_open, 7 * 60 + 30, "%s: opening", what);
	tap_is_int(c->office_close, 16 * 60 + 45, "%s: closing", what);
	rk_config_format_office_hours(c, hours);
	tap_is_str(hours, "07:30-16:45", "%s: office hours formatted", what);
	tap_is_str(c->central_url, "https://central.example.org:8443/rekam/v1", "%s: url", what);
	tap_is_str(c->central_ca, "/etc/rekam/tls/ca.pem", "%s: ca", what);
	tap_is_str(c->central_cert, "/etc/rekam/tls/station.crt", "%s: cert", what);
	tap_is_str(c->central_key, "/etc/rekam/tls/station.key", "%s: key", what);
	tap_ok(c->plugins_enable && c->plugins_enable[0] && c->plugins_enable[1] &&
		       c->plugins_enable[2] && !c->plugins_enable[3] &&
		       !strcmp(c->plugins_enable[0], "camera-*") &&
		       !strcmp(c->plugins_enable[1], "biometric-?bi") &&
		       !strcmp(c->plugins_enable[2], "printer-ipp"),
		"%s: enable list of three trimmed patterns", what);
	tap_ok(c->plugins_disable && c->plugins_disable[0] && !c->plugins_disable[1] &&
		       !strcmp(c->plugins_disable[0], "*-sim"),
		"%s: disable list", what);
	if (!tap_is_int(c->n_devices, 2, "%s: two devices", what) || !cam || !pad)
		return;
	tap_is_str(cam->name, "camera", "%s: device name", what);
	tap_is_str(cam->plugin, "camera-gphoto2", "%s: device plugin", what);
	tap_is_str(cam->connection, "ptpip:127.0.0.1:15740:15740", "%s: device connection", what);
	tap_ok(!cam->enabled, "%s: enabled = no", what);
	tap_is_int(cam->line, 15, "%s: device header line", what);
	if (tap_is_int(cam->n_options, 3, "%s: three plugin options", what)) {
		tap_is_str(cam->options[0].key, "quality", "%s: option key", what);
		tap_is_str(cam->options[0].value, "80", "%s: option value", what);
		tap_is_int(cam->options[0].line, 19, "%s: option line", what);
		tap_is_str(cam->options[1].value, "front desk # not a comment",
			"%s: '#' inside a value is part of it", what);
		tap_is_int(cam->options[1].line, 20, "%s: second option line", what);
		tap_ok(!strcmp(cam->options[2].key, "empty") && !strcmp(cam->options[2].value, ""),
			"%s: option with an empty value", what);
	}
	tap_is_str(pad->plugin, "sigpad-sim", "%s: second device plugin", what);
	tap_ok(pad->enabled && !pad->connection && pad->n_options == 0 && pad->line == 22,
		"%s: second device defaults", what);
	tap_ok(rk_config_find_device(c, "sigpad-2") == pad, "%s: find_device", what);
	tap_ok(rk_config_find_device(c, "camera") == cam, "%s: find_device first", what);
	tap_ok(rk_config_find_device(c, "Camera") == NULL &&
		       rk_config_find_device(c, "nope") == NULL,
		"%s: find_device of an unknown name", what);
}

/* @text with "\r\n" line ends and without the final one. */
static char *to_crlf(const char *text)
{
	char *out = malloc(2 * strlen(text) + 1), *o = out;

	if (!out)
		tap_bail("out of memory");
	for (; *text; text++) {
		if (*text == '\n')
			*o++ = '\r';
		*o++ = *text;
	}
	*o = '\0';
	if (o > out + 1)
		o[-2] = '\0'; /* drop the last "\r\n" */
	return out;
}

static void test_full(void)
{
	struct rk_config *c = load_ok(full_file, "full file");
	char *crlf = to_crlf(full_file), *errors = NULL, *path;
	int err;

	if (c)
		check_full(c, "LF");
	rk_config_free(c);

	tap_ok(strchr(crlf, '\r') && crlf[strlen(crlf) - 1] != '\n', "CRLF text built");
	c = load_ok(crlf, "CRLF file without final newline");
	if (c)
		check_full(c, "CRLF");
	rk_config_free(c);

	path = write_file("crlf.conf", crlf, strlen(crlf));
	c = NULL;
	err = rk_config_load(path, &c, &errors);
	if (!tap_is_int(err, 0, "rk_config_load of a CRLF file"))
		tap_diag("  %s", errors ? errors : "");
	if (c) {
		tap_is_str(c->path, path, "path of a loaded file");
		check_full(c, "file");
	}
	rk_config_free(c);
	free(errors);
	unlink(path);
	free(path);
	free(crlf);

	c = load_ok("\xef\xbb\xbf[station]\nid = bom\n", "UTF-8 byte order mark");
	tap_is_str(c ? c->station_id : NULL, "bom", "key after a byte order mark");
	rk_config_free(c);
	c = load_ok("[station]\nid = last", "no final newline");
	tap_is_str(c ? c->station_id : NULL, "last", "last line without newline");
	rk_config_free(c);
	c = load_ok("[central]\nurl =\nca=\n[device d]\nplugin = p\nconnection =\n",
		"empty optional values");
	tap_ok(c && !c->central_url && !c->central_ca && !c->devices[0].connection,
		"empty optional values leave them unset");
	rk_config_free(c);
	c = load_ok("[device d]\nplugin = p\nmode = a=b ; c\n", "'=' inside a value");
	tap_ok(c && c->devices[0].n_options == 1 && !strcmp(c->devices[0].options[0].value,
								"a=b ; c"),
		"the first '=' splits key and value");
	rk_config_free(c);
	c = load_ok("[device d]\nplugin = p\nconnection = kamera–depan ✓ 😀\n", "UTF-8 value");
	tap_is_str(c ? c->devices[0].connection : NULL, "kamera–depan ✓ 😀", "UTF-8 value kept");
	rk_config_free(c);
}

/* --- the example file ------------------------------------------------------ */

static void test_example(void)
{
	static const char *const keys[] = { "id", "office-hours", "url", "ca", "cert", "key",
		"signing-key", "encryption-cert", "max-concurrent", "backoff-initial-ms",
		"backoff-max-ms", "enable", "disable", "plugin", "connection", "enabled" };
	const char *top = getenv("top_srcdir");
	char *path = printf_alloc("%s/docs/rekamd.conf.example", top && *top ? top : ".");
	struct rk_config *c = NULL;
	char *errors = NULL, text[65536];
	size_t len = 0;
	FILE *f;
	int err;

	err = rk_config_load(path, &c, &errors);
	if (!tap_is_int(err, 0, "example file %s loads", path))
		tap_diag("  %s", errors ? errors : "");
	if (c) {
		tap_ok(c->n_devices >= 1 && c->central_url && c->plugins_disable &&
			       c->plugins_disable[0],
			"example configures devices, central and plugins");
		for (size_t i = 0; i < c->n_devices; i++)
			tap_ok(c->devices[i].plugin != NULL, "example device %s has a plugin",
				c->devices[i].name);
	}
	f = fopen(path, "r");
	if (f) {
		len = fread(text, 1, sizeof(text) - 1, f);
		fclose(f);
	}
	text[len] = '\0';
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		char *line = printf_alloc("\n%s = ", keys[i]);

		tap_contains(text, line, "example sets %s", keys[i]);
		free(line);
	}
	rk_config_free(c);
	free(errors);
	free(path);
}

/* --- errors ---------------------------------------------------------------- */

static void test_syntax_errors(void)
{
	char *errors;

	refuse("[station]\nid\n", "t.conf:2: malformed line: expected 'key = value'",
		"line without '='");
	refuse("[station\nid = x\n", "t.conf:1: malformed section header: missing ']'",
		"unterminated section header");
	refuse("[station] x\n", "t.conf:1: malformed section header: text after ']'",
		"text after a section header");
	refuse("[station]\n = x\n", "t.conf:2: empty key before '='", "empty key");
	refuse("[station]\nfoo bar = 1\n", "t.conf:2: invalid key 'foo bar'", "key with a space");
	refuse("id = x\n[station]\n", "t.conf:1: key 'id' before any section header",
		"key before any section");
	refuse("[foo]\nx = 1\n", "t.conf:1: unknown section [foo]", "unknown section");
	refuse("[Station]\n", "t.conf:1: unknown section [Station]", "sections are case-sensitive");
	errors = errors_of("[foo]\nx = 1\ny = 2\n");
	tap_is_int(count_lines(errors), 1, "keys of an unknown section are not reported");
	free(errors);
	errors = errors_of("[foo]\nno equals sign\n");
	tap_is_int(count_lines(errors), 2, "syntax errors inside an unknown section are reported");
	free(errors);
	refuse("[station]\n[central]\n[station]\nid = x\n",
		"t.conf:3: duplicate section [station] (first at line 1)", "duplicate section");
	refuse("[station]\nid = a\nid = b\n",
		"t.conf:3: duplicate key 'id' in [station] (first at line 2)", "duplicate key");
	refuse("[device cam]\nplugin = p\nx = 1\nx = 2\n",
		"t.conf:4: duplicate key 'x' in [device cam] (first at line 3)",
		"duplicate plugin option");
	refuse("[device cam]\nplugin = a\nplugin = b\n",
		"t.conf:3: duplicate key 'plugin' in [device cam] (first at line 2)",
		"duplicate plugin key");
}

static void test_unknown_keys(void)
{
	char *errors;

	refuse("[station]\nid = a\nofice-hours = 08:00-15:00\n",
		"t.conf:3: unknown key 'ofice-hours' in [station]", "unknown key");
	refuse("[station]\nid = a\nofice-hours = 08:00-15:00\n",
		"(did you mean 'office-hours'?)", "did-you-mean hint");
	refuse("[central]\ncrt = /x\n",
		"t.conf:2: unknown key 'crt' in [central] (did you mean 'cert'?)",
		"hint for a missing letter");
	refuse("[plugins]\nenabel = *\n", "(did you mean 'enable'?)", "hint for swapped letters");
	refuse("[central]\nkye = /k\n", "(did you mean 'key'?)", "hint for a swap in a short key");
	refuse("[station]\nofficehours = 08:00-15:00\n", "(did you mean 'office-hours'?)",
		"hint for a missing hyphen");
	refuse("[station]\noffice-hour = 08:00-15:00\n", "(did you mean 'office-hours'?)",
		"hint for a missing letter at the end");
	errors = errors_of("[central]\nproxy = x\n");
	tap_contains(errors, "t.conf:2: unknown key 'proxy' in [central]", "unknown key, no hint");
	tap_ok(errors && !strstr(errors, "did you mean"), "no hint for a far key");
	free(errors);
	errors = errors_of("[station]\noffce-hur = 08:00-15:00\n");
	tap_ok(errors && !strstr(errors, "did you mean"), "no hint three edits away");
	free(errors);
	errors = errors_of("[central]\nxy = 1\n");
	tap_ok(errors && !strstr(errors, "did you mean"),
		"no hint that rewrites a whole short key");
	free(errors);
}

static void test_bad_values(void)
{
	char *big = repeat('a', 100), *text = printf_alloc("[station]\nid = %s!\n", big);
	char *want = printf_alloc("got '%.64s...'", big);

	refuse("[station]\noffice-hours = 15:00-08:00\n",
		"t.conf:2: office-hours: expected HH:MM-HH:MM with opening before closing, got "
		"'15:00-08:00'",
		"office hours closing before opening");
	refuse("[central]\nurl = http://central.example.org\n",
		"t.conf:2: url: expected an https:// URL", "http URL");
	refuse("[central]\nca = tls/ca.pem\n", "t.conf:2: ca: expected an absolute path",
		"relative path");
	refuse("[central]\nmax-concurrent = 17\n",
		"t.conf:2: max-concurrent: expected a number from 1 to 16, got '17'",
		"too many concurrent uploads");
	refuse("[central]\nbackoff-initial-ms = 1.5\n",
		"t.conf:2: backoff-initial-ms: expected milliseconds", "fractional milliseconds");
	refuse("[device d]\nplugin = p\nenabled = maybe\n",
		"t.conf:3: enabled: expected true, false, yes, no, on, off, 1 or 0, got 'maybe'",
		"bad bool");
	refuse("[plugins]\nenable = , a ,b\n", "t.conf:2: enable: expected a comma-separated list",
		"glob list with an empty item");
	refuse(text, want, "long bad value is cut in the message");
	free(text);
	free(want);
	free(big);
}

static void test_devices(void)
{
	char *name32 = repeat('d', 32), *name33 = repeat('d', 33), *text, *errors;
	struct rk_config *c;

	refuse("[station]\n\n[device cam]\nconnection = usb:1-3\n[device b]\nplugin = x\n",
		"t.conf:3: missing required key 'plugin' in [device cam]",
		"device without plugin, reported at its header");
	errors = errors_of(
		"[station]\n\n[device cam]\nconnection = usb:1-3\n[device b]\nplugin = x\n");
	tap_is_int(count_lines(errors), 1, "only the device without plugin is reported");
	free(errors);
	refuse("[device last]\nenabled = yes", "t.conf:1: missing required key 'plugin' in "
					     "[device last]", "last device without plugin");
	refuse("[device Cam]\nplugin = p\n", "t.conf:1: invalid device name 'Cam'",
		"upper case device name");
	refuse("[device a.b]\nplugin = p\n", "t.conf:1: invalid device name 'a.b'",
		"dot in device name");
	refuse("[device ]\n", "t.conf:1: invalid device name ''", "empty device name");
	refuse("[device  cam]\n", "t.conf:1: invalid device name ' cam'", "two spaces");
	refuse("[device]\n", "t.conf:1: device section without a name", "device without name");
	text = printf_alloc("[device %s]\nplugin = p\n", name33);
	refuse(text, "t.conf:1: invalid device name", "33-character device name");
	free(text);
	text = printf_alloc("[device %s]\nplugin = p\n[device a_-9]\nplugin = p\n", name32);
	c = load_ok(text, "32-character device name and a_-9");
	tap_ok(c && c->n_devices == 2 && rk_config_find_device(c, name32) &&
		       rk_config_find_device(c, "a_-9"),
		"both devices found");
	rk_config_free(c);
	free(text);
	refuse("[device a]\nplugin = x\n[device a]\nplugin = y\n",
		"t.conf:3: duplicate section [device a] (first at line 1)", "duplicate device");
	errors = errors_of("[device a]\nplugin = x\n[device a]\nplugin = y\nbogus = 1\n");
	tap_is_int(count_lines(errors), 1, "keys of a duplicate device are not reported");
	free(errors);
	refuse("[device a]\nplugin = Camera\n", "t.conf:2: plugin: expected a plugin name",
		"upper-case plugin name");
	refuse("[device a]\nplugin =\n", "t.conf:2: plugin: expected a plugin name",
		"empty plugin name");
	free(name32);
	free(name33);
}

static void test_encoding(void)
{
	static const char nul[] = "[station]\nid = a\0b\n";
	static const char *const bad_utf8[] = {
		"[station]\n# caf\xe9\n",                /* Latin-1 */
		"[station]\n# \xc0\xaf\n",               /* overlong '/' */
		"[station]\n# \xed\xa0\x80\n",           /* surrogate */
		"[station]\n# \xf4\x90\x80\x80\n",       /* above U+10FFFF */
		"[station]\n# \xe2\x82\n",               /* truncated */
		"[station]\n# \xe2\x82",                 /* truncated at the end of the file */
		"[station]\n# \x80\n",                   /* lone continuation byte */
	};
	char *line = repeat('#', 4096), *text, *errors;
	struct rk_config *c;

	refuse_data(nul, sizeof(nul) - 1, "t.conf:2: line contains a NUL byte", "NUL byte");
	for (size_t i = 0; i < sizeof(bad_utf8) / sizeof(bad_utf8[0]); i++) {
		char *what = printf_alloc("invalid UTF-8, case %zu", i);

		refuse(bad_utf8[i], "t.conf:2: line is not valid UTF-8", what);
		free(what);
	}

	text = printf_alloc("[station]\n%s\nid = x\n", line);
	c = load_ok(text, "line of 4096 bytes");
	rk_config_free(c);
	free(text);
	text = printf_alloc("[station]\n%s\r\nid = x\n", line);
	c = load_ok(text, "line of 4096 bytes and CRLF");
	rk_config_free(c);
	free(text);
	text = printf_alloc("[station]\n%s#\nid = x\n", line);
	refuse(text, "t.conf:2: line is longer than 4096 bytes", "line of 4097 bytes");
	errors = errors_of(text);
	tap_is_int(count_lines(errors), 1, "a long line is one error, not truncated into more");
	free(errors);
	free(text);
	free(line);
}

static void test_size_and_files(void)
{
	size_t big = 1024 * 1024;
	char *data = repeat('\n', big + 1), *errors = NULL, *path;
	struct rk_config *c = (struct rk_config *)&c;
	int err;

	memcpy(data, "# comment", 9);
	err = rk_config_load_data("t.conf", data, big + 1, &c, &errors);
	tap_is_int(err, -EFBIG, "data of 1 MiB + 1 byte refused with -EFBIG");
	tap_contains(errors, "t.conf: file is larger than 1 MiB", "size message");
	tap_ok(c == NULL, "no configuration for a too large file");
	free(errors);
	errors = NULL;
	c = NULL;
	err = rk_config_load_data("t.conf", data, big, &c, &errors);
	tap_is_int(err, 0, "data of exactly 1 MiB accepted");
	rk_config_free(c);
	free(errors);

	path = write_file("big.conf", data, big + 1);
	errors = NULL;
	err = rk_config_load(path, &c, &errors);
	tap_is_int(err, -EFBIG, "file of 1 MiB + 1 byte refused");
	tap_contains(errors, ": file is larger than 1 MiB", "file size message");
	free(errors);
	unlink(path);
	free(path);
	free(data);

	errors = NULL;
	c = (struct rk_config *)&c;
	err = rk_config_load("/nonexistent/rekamd.conf", &c, &errors);
	tap_is_int(err, -ENOENT, "missing file: -ENOENT");
	tap_is_str(errors, "/nonexistent/rekamd.conf: No such file or directory",
		"missing file message");
	tap_ok(c == NULL, "missing file: no configuration");
	free(errors);

	errors = NULL;
	err = rk_config_load(tmpdir, &c, &errors);
	tap_is_int(err, -EISDIR, "a directory: -EISDIR");
	tap_contains(errors, ": Is a directory", "directory message");
	free(errors);

	path = write_file("bad.conf", "[station]\nid = a b\n", 20);
	errors = NULL;
	err = rk_config_load(path, &c, &errors);
	{
		char *want = printf_alloc("%s:2: id: expected", path);

		tap_is_int(err, -EINVAL, "invalid file: -EINVAL");
		tap_contains(errors, want, "file errors carry the path");
		free(want);
	}
	free(errors);
	unlink(path);
	free(path);
}

static void test_multiple_errors(void)
{
	static const char text[] =
		"oops = 1\n"                          /* 1: key before section */
		"[station]\n"                         /* 2 */
		"office-hours = 08:60-15:00\n"        /* 3: bad value */
		"[device cam]\n"                      /* 4: no plugin */
		"enabled = maybe\n"                   /* 5: bad value, found before line 4's */
		"[central]\n"                         /* 6 */
		"url = https://central\n"             /* 7: fine */
		"colour\n"                            /* 8: malformed */
		"[plugins]\n"                         /* 9 */
		"enable = a,,b\n";                    /* 10: empty item */
	char *errors = errors_of(text), *line;
	unsigned int last = 0, n;
	bool ordered = true;

	tap_is_int(count_lines(errors), 6, "six problems reported together");
	tap_contains(errors, "t.conf:1: key 'oops'", "first problem");
	tap_contains(errors, "t.conf:3: office-hours: expected", "second problem");
	tap_contains(errors, "t.conf:4: missing required key 'plugin'", "third problem");
	tap_contains(errors, "t.conf:5: enabled: expected", "fourth problem");
	tap_contains(errors, "t.conf:8: malformed line", "fifth problem");
	tap_contains(errors, "t.conf:10: enable: expected", "sixth problem");
	for (line = errors; line; line = strchr(line, '\n')) {
		line += *line == '\n';
		if (sscanf(line, "t.conf:%u:", &n) != 1 || n < last)
			ordered = false;
		last = n;
	}
	tap_ok(errors && ordered, "problems are in line order");
	tap_ok(errors && errors[strlen(errors) - 1] != '\n', "no trailing newline");
	free(errors);
}

/* --- value parsers --------------------------------------------------------- */

static void test_office_hours(void)
{
	static const struct {
		const char *value;
		int open, close; /* -1: refused */
	} cases[] = {
		{ "08:00-15:00", 480, 900 },
		{ "00:00-23:59", 0, 1439 },
		{ "08:00-08:01", 480, 481 },
		{ "07:30-16:45", 450, 1005 },
		{ "08:00-08:00", -1, -1 },
		{ "15:00-08:00", -1, -1 },
		{ "08:00-24:00", -1, -1 },
		{ "24:00-25:00", -1, -1 },
		{ "08:60-15:00", -1, -1 },
		{ "8:00-15:00", -1, -1 },
		{ "08:00-5:00", -1, -1 },
		{ "08:00 - 15:00", -1, -1 },
		{ "08.00-15.00", -1, -1 },
		{ "0800-1500", -1, -1 },
		{ "08:00-15:00x", -1, -1 },
		{ "08:00\xe2\x80\x93" "15:00", -1, -1 },
		{ "", -1, -1 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *text = printf_alloc("[station]\noffice-hours = %s\n", cases[i].value);
		struct rk_config *c = NULL;
		char *errors = NULL;
		int err = load(text, &c, &errors);

		if (cases[i].open < 0)
			tap_ok(err == -EINVAL && errors &&
				       strstr(errors, "t.conf:2: office-hours:"),
				"office-hours '%s' refused", cases[i].value);
		else
			tap_ok(err == 0 && c->office_open == (unsigned int)cases[i].open &&
				       c->office_close == (unsigned int)cases[i].close,
				"office-hours '%s' is %d..%d", cases[i].value, cases[i].open,
				cases[i].close);
		rk_config_free(c);
		free(errors);
		free(text);
	}
}

static void test_bools(void)
{
	static const struct {
		const char *value;
		int want; /* -1: refused */
	} cases[] = {
		{ "true", 1 }, { "TRUE", 1 }, { "Yes", 1 }, { "on", 1 }, { "1", 1 },
		{ "false", 0 }, { "No", 0 }, { "OFF", 0 }, { "0", 0 }, { "fAlSe", 0 },
		{ "", -1 }, { "2", -1 }, { "y", -1 }, { "tru", -1 }, { "enabled", -1 },
		{ "yes please", -1 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *text = printf_alloc("[device d]\nplugin = p\nenabled = %s\n",
			cases[i].value);
		struct rk_config *c = NULL;
		char *errors = NULL;
		int err = load(text, &c, &errors);

		if (cases[i].want < 0)
			tap_ok(err == -EINVAL && errors && strstr(errors, "t.conf:3: enabled:"),
				"bool '%s' refused", cases[i].value);
		else
			tap_ok(err == 0 && c->devices[0].enabled == (cases[i].want == 1),
				"bool '%s' is %s", cases[i].value,
				cases[i].want ? "true" : "false");
		rk_config_free(c);
		free(errors);
		free(text);
	}
}

static void test_globs(void)
{
	static const struct {
		const char *value;
		const char *want; /* items joined with '|', NULL: refused */
	} cases[] = {
		{ "a", "a" },
		{ " a , b* ,c?d ", "a|b*|c?d" },
		{ "camera-gphoto2,cardreader-pcsc", "camera-gphoto2|cardreader-pcsc" },
		{ "*", "*" },
		{ "", "" },
		{ ", a ,b", NULL },
		{ "a,,b", NULL },
		{ "a,", NULL },
		{ ",", NULL },
		{ "a b", NULL },
		{ "a/b", NULL },
		{ "[ab]", NULL },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *text = printf_alloc("[plugins]\ndisable = %s\n", cases[i].value);
		struct rk_config *c = NULL;
		char *errors = NULL, got[256] = "";
		int err = load(text, &c, &errors);

		for (size_t j = 0; err == 0 && c->plugins_disable[j]; j++) {
			if (j)
				strcat(got, "|");
			strcat(got, c->plugins_disable[j]);
		}
		if (!cases[i].want)
			tap_ok(err == -EINVAL && errors && strstr(errors, "t.conf:2: disable:"),
				"glob list '%s' refused", cases[i].value);
		else if (tap_is_int(err, 0, "glob list '%s' accepted", cases[i].value))
			tap_is_str(got, cases[i].want, "glob list '%s' items", cases[i].value);
		rk_config_free(c);
		free(errors);
		free(text);
	}
}

/* @key of [@section] set to @value must be accepted (@ok) or refused. */
static void check_string(const char *section, const char *key, const char *value, bool ok)
{
	bool device = strncmp(section, "device ", 7) == 0;
	char *text = printf_alloc("[%s]\n%s\n%s = %s\n", section,
		device && strcmp(key, "plugin") != 0 ? "plugin = p" : "# line 2", key, value);
	char *prefix = printf_alloc("t.conf:3: %s: expected", key);
	struct rk_config *c = NULL;
	char *errors = NULL;
	int err = load(text, &c, &errors);

	if (ok)
		tap_ok(err == 0, "%s = '%.40s' (%zu bytes) accepted", key, value, strlen(value));
	else
		tap_ok(err == -EINVAL && errors && strstr(errors, prefix),
			"%s = '%.40s' (%zu bytes) refused", key, value, strlen(value));
	if (err && ok)
		tap_diag("  %s", errors);
	rk_config_free(c);
	free(errors);
	free(prefix);
	free(text);
}

static void test_strings(void)
{
	char *s64 = repeat('s', 64), *s65 = repeat('s', 65);
	char *c1024 = repeat('c', 1024), *c1025 = repeat('c', 1025);
	char *host = repeat('h', 2048 - 8), *url2048, *url2049;

	url2048 = printf_alloc("https://%s", host);
	url2049 = printf_alloc("https://%sh", host);
	check_string("station", "id", "tapin-01", true);
	check_string("station", "id", "A.b_c-9", true);
	check_string("station", "id", s64, true);
	check_string("station", "id", s65, false);
	check_string("station", "id", "", false);
	check_string("station", "id", "tapin 01", false);
	check_string("station", "id", "tapin/01", false);
	check_string("central", "url", "https://x", true);
	check_string("central", "url", "https://central.example.org:8443/api?v=1", true);
	check_string("central", "url", url2048, true);
	check_string("central", "url", url2049, false);
	check_string("central", "url", "http://x", false);
	check_string("central", "url", "https://", false);
	check_string("central", "url", "https:///path", false);
	check_string("central", "url", "https://:443/", false);
	check_string("central", "url", "https://a b/", false);
	check_string("central", "url", "ftp://x", false);
	check_string("central", "cert", "/etc/rekam/station.crt", true);
	check_string("central", "key", "station.key", false);
	check_string("central", "key", "~/station.key", false);
	check_string("device d", "plugin", "camera-gphoto2", true);
	check_string("device d", "plugin", "Camera", false);
	check_string("device d", "plugin", "camera.gphoto2", false);
	check_string("device d", "connection", c1024, true);
	check_string("device d", "connection", c1025, false);
	check_string("device d", "connection", "sim:unix:/run/x.sock", true);
	free(s64);
	free(s65);
	free(c1024);
	free(c1025);
	free(host);
	free(url2048);
	free(url2049);
}

int main(void)
{
	if (!mkdtemp(tmpdir))
		tap_bail("cannot create a temporary directory");
	test_defaults();
	test_full();
	test_example();
	test_syntax_errors();
	test_unknown_keys();
	test_bad_values();
	test_devices();
	test_encoding();
	test_size_and_files();
	test_multiple_errors();
	test_office_hours();
	test_bools();
	test_globs();
	test_strings();
	rmdir(tmpdir);
	return tap_done();
}
