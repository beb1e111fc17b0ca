// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * rekam - device simulators
 *
 * test-sim-lib.c - unit tests of the simulator library: the PRNG is
 * deterministic and sane, time scaling, line framing and command splitting,
 * number parsing, SHA-256/base64, and the PNG helper.
 */
#include <config.h>

#include <stdio.h>

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <jpeglib.h>

#include "simulators/lib/sim.h"
#include "tap.h"

static void test_rng(void)
{
	struct sim_rng a, b;
	uint64_t first[8], sm = 0;
	bool same = true, differ = false, in_range = true;
	int counts[10] = { 0 }, i, n = 100000;
	double sum = 0, sum2 = 0, mean, var, x;

	/* splitmix64 reference values (seed 0) */
	tap_ok(sim_splitmix64(&sm) == 0xe220a8397b1dcdafULL, "splitmix64 first value matches the reference");
	tap_ok(sim_splitmix64(&sm) == 0x6e789e6aa1b965f4ULL, "splitmix64 second value matches the reference");

	sim_rng_seed(&a, 42);
	sim_rng_seed(&b, 42);
	for (i = 0; i < 8; i++) {
		first[i] = sim_rng_next(&a);
		same = same && first[i] == sim_rng_next(&b);
	}
	tap_ok(same, "the same seed gives the same sequence");
	sim_rng_seed(&b, 43);
	for (i = 0; i < 8; i++)
		differ = differ || first[i] != sim_rng_next(&b);
	tap_ok(differ, "another seed gives another sequence");
	sim_rng_seed(&a, 42);
	tap_ok(sim_rng_next(&a) == first[0], "reseeding restarts the sequence");

	sim_rng_seed(&a, 7);
	for (i = 0; i < n; i++) {
		uint64_t v = sim_rng_below(&a, 10);

		if (v >= 10)
			in_range = false;
		else
			counts[v]++;
	}
	tap_ok(in_range, "below(10) stays below 10");
	for (i = 0; i < 10; i++)
		if (abs(counts[i] - n / 10) > n / 100)
			break;
	tap_ok(i == 10, "below(10) is uniform within 10%% per value");
	tap_is_int(sim_rng_below(&a, 0), 0, "below(0) is 0");

	in_range = true;
	for (i = 0; i < 10000; i++) {
		int64_t v = sim_rng_range(&a, -3, 3);

		if (v < -3 || v > 3)
			in_range = false;
	}
	tap_ok(in_range, "range(-3, 3) stays inside, both ends included");
	tap_is_int(sim_rng_range(&a, 5, 5), 5, "range(5, 5) is 5");

	in_range = true;
	for (i = 0; i < n; i++) {
		x = sim_rng_double(&a);
		if (x < 0.0 || x >= 1.0)
			in_range = false;
		sum += x;
	}
	tap_ok(in_range, "double() is in [0, 1)");
	tap_ok(fabs(sum / n - 0.5) < 0.01, "double() has mean 0.5 (%.4f)", sum / n);

	sum = 0;
	for (i = 0; i < n; i++) {
		x = sim_rng_normal(&a, 10.0, 2.0);
		sum += x;
		sum2 += x * x;
	}
	mean = sum / n;
	var = sum2 / n - mean * mean;
	tap_ok(fabs(mean - 10.0) < 0.05, "normal(10, 2) has mean 10 (%.3f)", mean);
	tap_ok(fabs(sqrt(var) - 2.0) < 0.05, "normal(10, 2) has sd 2 (%.3f)", sqrt(var));
	x = sim_rng_uniform(&a, 2.0, 3.0);
	tap_ok(x >= 2.0 && x < 3.0, "uniform(2, 3) is in [2, 3)");
}

static void test_clock(void)
{
	struct timeval tv;
	double s;

	tap_is_int(sim_clock_scaled_us(1.0, 1500), 1500000, "1500 ms at scale 1 is 1.5 s");
	tap_is_int(sim_clock_scaled_us(0.01, 300000), 3000000, "5 minutes at 0.01 is 3 s");
	tap_is_int(sim_clock_scaled_us(0.0, 300000), 0, "scale 0 removes delays");
	tap_is_int(sim_clock_scaled_us(2.5, 2), 5000, "2 ms at 2.5 is 5 ms");
	sim_clock_scaled_tv(0.5, 2500, &tv);
	tap_ok(tv.tv_sec == 1 && tv.tv_usec == 250000, "scaled timeval of 2500 ms at 0.5 is 1.25 s");
	tap_is_int(sim_clock_parse_scale("0.01", &s), 0, "'0.01' is a time scale");
	tap_ok(s == 0.01, "... parsed as 0.01");
	tap_is_int(sim_clock_parse_scale("0", &s), 0, "'0' is a time scale");
	tap_is_int(sim_clock_parse_scale("-1", &s), -ERANGE, "'-1' is out of range");
	tap_is_int(sim_clock_parse_scale("1e9", &s), -ERANGE, "'1e9' is out of range");
	tap_is_int(sim_clock_parse_scale("fast", &s), -EINVAL, "'fast' is refused");
	tap_is_int(sim_clock_parse_scale("nan", &s), -EINVAL, "'nan' is refused");
	tap_is_int(sim_clock_parse_scale("", &s), -EINVAL, "'' is refused");
	tap_ok(sim_clock_now_us() > 0, "the monotonic clock runs");
}

static void test_lines(void)
{
	struct sim_line_reader r = { .max = 8 };
	struct evbuffer *in = evbuffer_new();
	char *line = NULL, buf[64], *cmd, *arg;
	uint64_t v;

	evbuffer_add_printf(in, "ping\r\nabc");
	tap_is_int(sim_line_read(&r, in, &line), 1, "a complete line is read");
	tap_is_str(line, "ping", "... without its CR LF");
	free(line);
	tap_is_int(sim_line_read(&r, in, &line), 0, "a partial line waits");
	evbuffer_add_printf(in, "defghijkl");
	tap_is_int(sim_line_read(&r, in, &line), -E2BIG, "a line growing past the limit is too long");
	evbuffer_add_printf(in, "still the same line\nok\n");
	tap_is_int(sim_line_read(&r, in, &line), 1, "the rest of the long line is skipped");
	tap_is_str(line, "ok", "... and the next line is read");
	free(line);
	evbuffer_add_printf(in, "123456789\n12345678\n");
	tap_is_int(sim_line_read(&r, in, &line), -E2BIG, "a complete 9-byte line is too long");
	tap_is_int(sim_line_read(&r, in, &line), 1, "an 8-byte line fits");
	tap_is_str(line, "12345678", "... whole");
	free(line);
	evbuffer_add(in, "\n", 1);
	tap_is_int(sim_line_read(&r, in, &line), 1, "an empty line is a line");
	tap_is_str(line, "", "... empty");
	free(line);
	evbuffer_free(in);

	strcpy(buf, "  delay   250  ");
	tap_is_int(sim_line_split(buf, &cmd, &arg), 0, "a command line splits");
	tap_is_str(cmd, "delay", "... into the command");
	tap_is_str(arg, "250", "... and its argument");
	strcpy(buf, "name Siti  Rahayu ");
	sim_line_split(buf, &cmd, &arg);
	tap_is_str(arg, "Siti  Rahayu", "the argument is the rest of the line");
	strcpy(buf, "status");
	sim_line_split(buf, &cmd, &arg);
	tap_ok(arg == NULL, "no argument gives NULL");
	strcpy(buf, " \t ");
	tap_is_int(sim_line_split(buf, &cmd, &arg), -ENODATA, "a blank line has no command");

	tap_is_int(sim_parse_uint("100", 0, 100, &v), 0, "100 is in [0, 100]");
	tap_is_int(v, 100, "... and parsed");
	tap_is_int(sim_parse_uint("101", 0, 100, &v), -ERANGE, "101 is out of range");
	tap_is_int(sim_parse_uint("-1", 0, 100, &v), -EINVAL, "-1 is refused");
	tap_is_int(sim_parse_uint("1x", 0, 100, &v), -EINVAL, "1x is refused");
	tap_is_int(sim_parse_uint("99999999999999999999999", 0, UINT64_MAX, &v), -ERANGE,
			"a number past 64 bits is refused");
	tap_is_int(sim_parse_uint("", 0, 100, &v), -EINVAL, "'' is refused");
}

static void test_encode(void)
{
	char hex[SIM_SHA256_HEX_LEN + 1], b64[SIM_BASE64_LEN(5) + 1];

	tap_is_int(sim_sha256_hex("abc", 3, hex), 0, "sha256 of 'abc'");
	tap_is_str(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
			"... is the FIPS 180-2 value");
	tap_is_int(sim_base64_encode("hello", 5, b64), 8, "base64 of 'hello' has 8 characters");
	tap_is_str(b64, "aGVsbG8=", "... with padding");
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void test_png(void)
{
	static const uint8_t magic[8] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n' };
	cairo_surface_t *s = NULL;
	uint8_t *png = NULL, *png2 = NULL;
	size_t len = 0, len2 = 0;

	tap_is_int(sim_image_new(0, 10, false, &s), -EINVAL, "a 0-pixel image is refused");
	tap_is_int(sim_image_new(320, 120, false, &s), 0, "a 320x120 RGB surface");
	tap_is_int(cairo_image_surface_get_format(s), CAIRO_FORMAT_RGB24, "... is RGB24");
	tap_is_int(sim_image_png(s, &png, &len), 0, "it encodes as PNG");
	tap_ok(len > 33 && memcmp(png, magic, 8) == 0, "the PNG starts with the PNG signature");
	tap_ok(len > 33 && memcmp(png + 12, "IHDR", 4) == 0, "... then an IHDR chunk");
	tap_is_int(be32(png + 16), 320, "IHDR width is 320");
	tap_is_int(be32(png + 20), 120, "IHDR height is 120");
	tap_is_int(png[25], 2, "IHDR colour type is RGB");
	tap_is_int(sim_image_png(s, &png2, &len2), 0, "encoding again");
	tap_ok(len == len2 && memcmp(png, png2, len) == 0, "... gives the same bytes");
	free(png);
	free(png2);
	cairo_surface_destroy(s);

	tap_is_int(sim_image_new(16, 8, true, &s), 0, "a 16x8 ARGB surface");
	tap_is_int(sim_image_png(s, &png, &len), 0, "it encodes as PNG");
	tap_ok(len > 33 && be32(png + 16) == 16 && be32(png + 20) == 8 && png[25] == 6,
			"IHDR says 16x8 RGBA");
	free(png);
	cairo_surface_destroy(s);
	cairo_debug_reset_static_data();
}

static void test_jpeg(void)
{
	struct jpeg_decompress_struct dinfo;
	struct jpeg_error_mgr jerr;
	unsigned char row[64 * 3];
	JSAMPROW rows[1] = { row };
	cairo_surface_t *s = NULL;
	cairo_t *cr;
	uint8_t *jpg = NULL;
	size_t len = 0;

	sim_image_new(64, 48, false, &s);
	cr = cairo_create(s);
	cairo_set_source_rgb(cr, 0.8, 0.1, 0.1); /* a red background cloth */
	cairo_paint(cr);
	cairo_destroy(cr);
	tap_is_int(sim_image_jpeg(s, 0, 0, &jpg, &len), -EINVAL, "JPEG quality 0 is refused");
	tap_is_int(sim_image_jpeg(s, 90, 300, &jpg, &len), 0, "a 64x48 surface encodes as JPEG");
	tap_ok(len > 4 && jpg[0] == 0xff && jpg[1] == 0xd8 && jpg[2] == 0xff &&
			jpg[len - 2] == 0xff && jpg[len - 1] == 0xd9,
		"the JPEG starts with SOI and ends with EOI");

	dinfo.err = jpeg_std_error(&jerr);
	jpeg_create_decompress(&dinfo);
	jpeg_mem_src(&dinfo, jpg, (unsigned long)len);
	tap_is_int(jpeg_read_header(&dinfo, TRUE), JPEG_HEADER_OK, "libjpeg reads it back");
	tap_ok(dinfo.image_width == 64 && dinfo.image_height == 48 && dinfo.num_components == 3,
		"... as 64x48 with three components");
	tap_ok(dinfo.density_unit == 1 && dinfo.X_density == 300 && dinfo.Y_density == 300,
		"... at 300 dpi");
	jpeg_start_decompress(&dinfo);
	while (dinfo.output_scanline < 24)
		jpeg_read_scanlines(&dinfo, rows, 1);
	tap_ok(row[96] > 180 && row[97] < 60 && row[98] < 60,
		"... and its pixels are the red that was painted (%u,%u,%u)", row[96], row[97],
		row[98]);
	jpeg_abort_decompress(&dinfo);
	jpeg_destroy_decompress(&dinfo);
	free(jpg);
	cairo_surface_destroy(s);
	cairo_debug_reset_static_data();
}

int main(void)
{
	test_jpeg();
	test_rng();
	test_clock();
	test_lines();
	test_encode();
	test_png();
	return tap_done();
}
