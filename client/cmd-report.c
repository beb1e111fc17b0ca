// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * rekam - KTP-el recording station daemon
 *
 * cmd-report.c - "rekamctl report --month YYYY-MM": the monthly performance
 * report rekamd computes (the manager's GetReport, daemon/report.c), as a
 * table in the terminal, as CSV (--csv), as JSON (--json) or as a
 * self-contained HTML page with SVG charts drawn here (-o FILE): no scripts,
 * no fonts, nothing loaded from the network.
 */
#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client/commands.h"
#include "client/html.h"

#define CHART_WIDTH 1000

static json_int_t num(const json_t *o, const char *key)
{
	return json_integer_value(json_object_get(o, key));
}

/* "m:ss" (or "h:mm:ss") of @ms, rounded down to the second; "-" when null. */
static const char *duration(const json_t *v, char *buf, size_t size)
{
	json_int_t s;

	if (!json_is_integer(v))
		return "-";
	s = json_integer_value(v) / 1000;
	if (s >= 3600)
		snprintf(buf, size, "%lld:%02lld:%02lld", (long long)s / 3600,
			(long long)s / 60 % 60, (long long)s % 60);
	else
		snprintf(buf, size, "%lld:%02lld", (long long)s / 60, (long long)s % 60);
	return buf;
}

/* "12 (75%)" of met out of applicants; "-" when there were none. */
static const char *met_text(const json_t *f, char *buf, size_t size)
{
	json_int_t n = num(f, "applicants"), met = num(f, "met");

	if (n == 0)
		return "-";
	snprintf(buf, size, "%lld (%lld%%)", (long long)met, (long long)(met * 100 / n));
	return buf;
}

/* The report, checked enough that the renderers can trust its shape. */
static int check_report(const json_t *r)
{
	const json_t *steps = json_object_get(r, "steps");

	if (!json_is_object(r) || !json_is_array(steps) || json_array_size(steps) != 10 ||
			!json_is_object(json_object_get(r, "total")) ||
			!json_is_array(json_object_get(r, "returns")) ||
			!json_is_object(json_object_get(r, "device_faults")) ||
			!json_is_string(json_object_get(r, "month"))) {
		ctl_err("rekamd's report is not what this rekamctl understands");
		return -EPROTO;
	}
	return 0;
}

/* --- the terminal ------------------------------------------------------------ */

static void print_row(const char *label, const json_t *f)
{
	char a[32], b[32], c[32], d[32];

	printf("%-6s %9s %11lld  %-13s %9s %9s\n", label,
		duration(json_object_get(f, "standard_ms"), a, sizeof(a)),
		(long long)num(f, "applicants"), met_text(f, b, sizeof(b)),
		duration(json_object_get(f, "median_ms"), c, sizeof(c)),
		duration(json_object_get(f, "p90_ms"), d, sizeof(d)));
}

static void print_list(const json_t *list, const char *key)
{
	const json_t *item;
	size_t i;

	json_array_foreach(list, i, item)
		printf("  %-40s %lld\n", json_string_value(json_object_get(item, key)),
			(long long)num(item, "count"));
}

static void print_text(const json_t *r)
{
	const json_t *f, *faults = json_object_get(r, "device_faults");
	char label[8];
	size_t i;

	printf("Performance report for %s (local time)\n\n",
		json_string_value(json_object_get(r, "month")));
	printf("%-6s %9s %11s  %-13s %9s %9s\n", "Step", "Standard", "Applicants",
		"Met standard", "Median", "90th pct");
	json_array_foreach(json_object_get(r, "steps"), i, f) {
		snprintf(label, sizeof(label), "%lld", (long long)num(f, "step"));
		print_row(label, f);
	}
	print_row("Total", json_object_get(r, "total"));
	printf("(Total: applicants collected in the month, from submission to collection)\n\n");
	printf("Returned: %lld\n", (long long)num(r, "returned"));
	print_list(json_object_get(r, "returns"), "reason");
	printf("Duplicates (data ganda, step 6): %lld\n", (long long)num(r, "duplicates"));
	printf("Rejected by the central server: %lld\n", (long long)num(r, "rejected"));
	printf("Spoiled cards: %lld\n", (long long)num(r, "spoiled_cards"));
	printf("Device faults: %lld\n", (long long)num(faults, "total"));
	print_list(json_object_get(faults, "by_device"), "device");
}

/* --- CSV (RFC 4180) ------------------------------------------------------------ */

static void csv_text(const char *s)
{
	if (!s)
		return;
	if (!strpbrk(s, ",\"\r\n")) {
		fputs(s, stdout);
		return;
	}
	putchar('"');
	for (; *s; s++) {
		if (*s == '"')
			putchar('"');
		putchar(*s);
	}
	putchar('"');
}

static void csv_int(const json_t *v)
{
	if (json_is_integer(v))
		printf("%lld", (long long)json_integer_value(v));
}

static void csv_figures(const char *kind, const char *item, const json_t *f)
{
	printf("%s,%s,", kind, item);
	csv_int(json_object_get(f, "applicants"));
	putchar(',');
	csv_int(json_object_get(f, "met"));
	putchar(',');
	if (json_is_number(json_object_get(f, "met_ratio")))
		printf("%.4f", json_number_value(json_object_get(f, "met_ratio")));
	putchar(',');
	csv_int(json_object_get(f, "standard_ms"));
	putchar(',');
	csv_int(json_object_get(f, "median_ms"));
	putchar(',');
	csv_int(json_object_get(f, "p90_ms"));
	printf("\r\n");
}

static void csv_count(const char *kind, const char *item, json_int_t n)
{
	printf("%s,", kind);
	csv_text(item);
	printf(",%lld,,,,,\r\n", (long long)n);
}

static void print_csv(const json_t *r)
{
	const json_t *f, *faults = json_object_get(r, "device_faults");
	char item[8];
	size_t i;

	printf("kind,item,count,met,met_ratio,standard_ms,median_ms,p90_ms\r\n");
	json_array_foreach(json_object_get(r, "steps"), i, f) {
		snprintf(item, sizeof(item), "%lld", (long long)num(f, "step"));
		csv_figures("step", item, f);
	}
	csv_figures("total", "all", json_object_get(r, "total"));
	json_array_foreach(json_object_get(r, "returns"), i, f)
		csv_count("returned", json_string_value(json_object_get(f, "reason")),
			num(f, "count"));
	csv_count("returned", "all", num(r, "returned"));
	csv_count("duplicates", "all", num(r, "duplicates"));
	csv_count("rejected", "all", num(r, "rejected"));
	csv_count("spoiled_cards", "all", num(r, "spoiled_cards"));
	json_array_foreach(json_object_get(faults, "by_device"), i, f)
		csv_count("device_faults", json_string_value(json_object_get(f, "device")),
			num(f, "count"));
	csv_count("device_faults", "all", num(faults, "total"));
}

/* --- HTML with SVG charts ------------------------------------------------------- */

/* Per step, the share that met the standard: a green bar on a red one. */
static void chart_met(FILE *f, const json_t *r)
{
	const int left = 90, bar = 22, gap = 8, width = CHART_WIDTH - left - 140;
	const json_t *s;
	size_t i;
	int h = 10 * (bar + gap) + 40;

	fprintf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
		"role=\"img\" aria-label=\"Share of applicants within the SOP standard per step\">\n",
		CHART_WIDTH, h);
	json_array_foreach(json_object_get(r, "steps"), i, s) {
		int y = 10 + (int)i * (bar + gap);
		json_int_t n = num(s, "applicants"), met = num(s, "met");
		int w = n ? (int)(width * met / n) : 0;

		fprintf(f, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">Step %lld</text>\n",
			left - 10, y + 16, (long long)num(s, "step"));
		if (!n) {
			fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" "
				"fill=\"#eeeeee\"/><text x=\"%d\" y=\"%d\" fill=\"#777\">no applicants"
				"</text>\n", left, y, width, bar, left + 8, y + 16);
			continue;
		}
		fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"#d9534f\"/>"
			"<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"#5cb85c\"/>"
			"<text x=\"%d\" y=\"%d\">%lld%% (%lld/%lld)</text>\n", left, y, width, bar,
			left, y, w, bar, left + width + 8, y + 16, (long long)(met * 100 / n),
			(long long)met, (long long)n);
	}
	fprintf(f, "<text x=\"%d\" y=\"%d\" fill=\"#555\">green: within the standard; "
		"red: over it</text>\n</svg>\n", left, h - 8);
}

/* Per step, the median and the 90th percentile as a share of the standard,
 * with the standard marked; bars past three times the standard are cut. */
static void chart_durations(FILE *f, const json_t *r)
{
	const int left = 90, bar = 10, group = 30, width = CHART_WIDTH - left - 200;
	const double max = 3.0;
	const json_t *s;
	size_t i;
	int h = 10 * group + 60, x100 = left + (int)(width / max);

	fprintf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
		"role=\"img\" aria-label=\"Median and 90th percentile per step against the standard"
		"\">\n", CHART_WIDTH, h);
	json_array_foreach(json_object_get(r, "steps"), i, s) {
		int y = 10 + (int)i * group;
		double std = (double)num(s, "standard_ms");
		const char *keys[] = { "median_ms", "p90_ms" }, *fills[] = { "#337ab7", "#f0ad4e" };
		char med[32], p90[32];

		fprintf(f, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">Step %lld</text>\n",
			left - 10, y + 15, (long long)num(s, "step"));
		for (int k = 0; k < 2; k++) {
			const json_t *v = json_object_get(s, keys[k]);
			double ratio = json_is_integer(v) && std > 0 ?
				(double)json_integer_value(v) / std : 0;

			fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" "
				"fill=\"%s\"/>\n", left, y + k * bar,
				(int)(width * (ratio > max ? max : ratio) / max), bar - 1, fills[k]);
		}
		fprintf(f, "<text x=\"%d\" y=\"%d\">median %s, 90th %s</text>\n",
			left + width + 10, y + 15,
			duration(json_object_get(s, "median_ms"), med, sizeof(med)),
			duration(json_object_get(s, "p90_ms"), p90, sizeof(p90)));
	}
	fprintf(f, "<line x1=\"%d\" y1=\"4\" x2=\"%d\" y2=\"%d\" stroke=\"#000\" "
		"stroke-dasharray=\"4 3\"/>\n<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">"
		"standard</text>\n<text x=\"%d\" y=\"%d\" fill=\"#555\">blue: median; orange: "
		"90th percentile; the dashed line is each step's standard (bars stop at 3x)"
		"</text>\n</svg>\n", x100, x100, h - 40, x100, h - 26, left, h - 8);
}

/* Counts as horizontal bars: returns by reason, faults by device. */
static void chart_counts(FILE *f, const json_t *list, const char *key, const char *fill)
{
	const int left = 260, bar = 20, gap = 6, width = CHART_WIDTH - left - 80;
	json_int_t max = 1;
	const json_t *item;
	size_t i, n = json_array_size(list);

	if (!n) {
		fputs("<p>None.</p>\n", f);
		return;
	}
	json_array_foreach(list, i, item)
		if (num(item, "count") > max)
			max = num(item, "count");
	fprintf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
		"role=\"img\">\n", CHART_WIDTH, (int)n * (bar + gap) + 10);
	json_array_foreach(list, i, item) {
		int y = 5 + (int)i * (bar + gap);

		fprintf(f, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">", left - 10, y + 15);
		ctl_html_text(f, json_string_value(json_object_get(item, key)));
		fprintf(f, "</text><rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"%s\"/>"
			"<text x=\"%d\" y=\"%d\">%lld</text>\n", left, y,
			(int)(width * num(item, "count") / max), bar, fill,
			left + (int)(width * num(item, "count") / max) + 8, y + 15,
			(long long)num(item, "count"));
	}
	fputs("</svg>\n", f);
}

static void html_row(FILE *f, const char *label, const json_t *s)
{
	char a[32], b[32], c[32], d[32];
	json_int_t n = num(s, "applicants");

	fprintf(f, "<tr class=\"%s\"><td>%s</td><td>%s</td><td>%lld</td><td>%s</td>"
		"<td>%s</td><td>%s</td></tr>\n",
		n == 0 ? "" : num(s, "met") == n ? "ok" : num(s, "met") * 10 >= n * 9 ? "warning" :
		"failed", label, duration(json_object_get(s, "standard_ms"), a, sizeof(a)),
		(long long)n, met_text(s, b, sizeof(b)),
		duration(json_object_get(s, "median_ms"), c, sizeof(c)),
		duration(json_object_get(s, "p90_ms"), d, sizeof(d)));
}

static int write_html(const json_t *r, const char *path)
{
	const json_t *s, *faults = json_object_get(r, "device_faults");
	FILE *f = ctl_html_open(path);
	char label[16];
	size_t i;

	if (!f)
		return -EIO;
	fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>", f);
	fputs("rekam performance report ", f);
	ctl_html_text(f, json_string_value(json_object_get(r, "month")));
	fputs("</title>\n<style>\n"
	      "body{font-family:sans-serif;margin:2em;color:#222;max-width:1040px}"
	      "table{border-collapse:collapse;margin-bottom:1.5em}"
	      "td,th{border:1px solid #bbb;padding:.3em .6em;text-align:right}"
	      "td:first-child,th:first-child{text-align:left}"
	      "th{background:#eee}.ok{background:#e6f4e6}.warning{background:#fff4d6}"
	      ".failed{background:#fbe3e3}svg{font-family:sans-serif;font-size:13px;"
	      "display:block;margin-bottom:1.5em}\n</style></head><body>\n", f);
	fputs("<h1>Performance report ", f);
	ctl_html_text(f, json_string_value(json_object_get(r, "month")));
	fputs("</h1>\n<p>Every SOP step against its time standard, for the month in the "
	      "station's local time (see docs/report.md).</p>\n", f);
	fputs("<h2>Steps</h2>\n<table>\n<tr><th>Step</th><th>Standard</th><th>Applicants</th>"
	      "<th>Met standard</th><th>Median</th><th>90th percentile</th></tr>\n", f);
	json_array_foreach(json_object_get(r, "steps"), i, s) {
		snprintf(label, sizeof(label), "%lld", (long long)num(s, "step"));
		html_row(f, label, s);
	}
	html_row(f, "Total (collected)", json_object_get(r, "total"));
	fputs("</table>\n<h2>Within the standard</h2>\n", f);
	chart_met(f, r);
	fputs("<h2>Durations against the standard</h2>\n", f);
	chart_durations(f, r);
	fprintf(f, "<h2>Returned: %lld</h2>\n", (long long)num(r, "returned"));
	chart_counts(f, json_object_get(r, "returns"), "reason", "#f0ad4e");
	fprintf(f, "<table>\n<tr><th>Other outcomes</th><th>Count</th></tr>\n"
		"<tr><td>Duplicates (data ganda, step 6)</td><td>%lld</td></tr>\n"
		"<tr><td>Rejected by the central server</td><td>%lld</td></tr>\n"
		"<tr><td>Spoiled cards</td><td>%lld</td></tr>\n"
		"<tr><td>Device faults</td><td>%lld</td></tr>\n</table>\n",
		(long long)num(r, "duplicates"), (long long)num(r, "rejected"),
		(long long)num(r, "spoiled_cards"), (long long)num(faults, "total"));
	fputs("<h2>Device faults by device</h2>\n", f);
	chart_counts(f, json_object_get(faults, "by_device"), "device", "#d9534f");
	fputs("</body></html>\n", f);
	return ctl_html_close(f, path);
}

/* --- the command ------------------------------------------------------------------ */

static int fetch(struct ctl *ctl, json_t **out)
{
	DBusMessage *reply;
	const char *text = NULL;
	json_error_t error;
	int err;

	err = ctl_bus_call_expect(&ctl->bus, REKAM_OBJECT_PATH, REKAM_MANAGER_INTERFACE,
		"GetReport", "s", &reply, DBUS_TYPE_STRING, &ctl->month, DBUS_TYPE_INVALID);
	if (err)
		return err;
	dbus_message_get_args(reply, NULL, DBUS_TYPE_STRING, &text, DBUS_TYPE_INVALID);
	*out = json_loads(text, 0, &error);
	if (!*out) {
		ctl_err("rekamd's report is not JSON: %s", error.text);
		err = -EPROTO;
	}
	dbus_message_unref(reply);
	if (!err && (err = check_report(*out))) {
		json_decref(*out);
		*out = NULL;
	}
	return err;
}

int cmd_report(struct ctl *ctl, int argc, char **argv)
{
	json_t *report = NULL;
	int err;

	err = fetch(ctl, &report);
	if (err)
		return err;
	if (ctl->output)
		err = write_html(report, ctl->output);
	if (!err && ctl->json)
		err = ctl_print_json(report);
	else if (!err && ctl->csv)
		print_csv(report);
	else if (!err && !ctl->output)
		print_text(report);
	json_decref(report);
	return err;
}
