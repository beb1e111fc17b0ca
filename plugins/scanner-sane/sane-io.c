// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * rekam - device plugins
 *
 * sane-io.c - the scanner-sane plugin's SANE calls, all of them blocking,
 * all of them on the host's worker threads: sane_init once, opening a device
 * by name (or the first one found), setting source, mode, resolution and
 * area by the well-known option names, scanning page by page until the
 * feeder is empty, and turning every SANE status into an errno and a
 * sentence for the operator. One lock serialises the library (backends are
 * not thread-safe); sane_cancel() alone runs beside a scan, as SANE allows.
 */
#include <config.h>

#include <dlfcn.h>
#include <errno.h>
#include <link.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <sane/saneopts.h>

#include "plugins/scanner-sane/scan.h"

#define READ_CHUNK (256 * 1024)
#define BUFFER_MAX ((size_t)512 << 20) /* one raw page: 600 dpi A4 RGB is ~105 MiB */

static pthread_mutex_t library = PTHREAD_MUTEX_INITIALIZER;
static bool initialised;

/*
 * Some backends reset signal dispositions process-wide: SANE's test backend
 * sets SIGTERM to SIG_DFL in its reader thread, which would make the next
 * SIGTERM kill rekamd instead of stopping it. The host's handlers are saved
 * when SANE starts and put back after every read.
 */
static const int guarded[] = { SIGTERM, SIGINT, SIGHUP, SIGPIPE };
static struct sigaction saved[sizeof(guarded) / sizeof(guarded[0])];

static void signals_save(void)
{
	for (size_t i = 0; i < sizeof(guarded) / sizeof(guarded[0]); i++)
		sigaction(guarded[i], NULL, &saved[i]);
}

static void signals_restore(void)
{
	struct sigaction now;

	for (size_t i = 0; i < sizeof(guarded) / sizeof(guarded[0]); i++)
		if (sigaction(guarded[i], NULL, &now) == 0 && now.sa_handler != saved[i].sa_handler)
			sigaction(guarded[i], &saved[i], NULL);
}

int scan_global_init(char *message, size_t size)
{
	SANE_Int version = 0;
	SANE_Status st = SANE_STATUS_GOOD;

	pthread_mutex_lock(&library);
	if (!initialised) {
		signals_save();
		st = sane_init(&version, NULL);
		initialised = st == SANE_STATUS_GOOD;
	}
	pthread_mutex_unlock(&library);
	if (st != SANE_STATUS_GOOD) {
		snprintf(message, size, "SANE does not start: %s", sane_strstatus(st));
		return -EIO;
	}
	return 0;
}

void scan_global_exit(void)
{
	pthread_mutex_lock(&library);
	if (initialised)
		sane_exit();
	initialised = false;
	pthread_mutex_unlock(&library);
}

/*
 * Keep libsane and its backends mapped until rekamd exits: sane_exit() and
 * the plugin's unloading would dlclose them, and what they leave behind
 * (memory they never free, see tests/integration/scanner-sane.supp) could
 * then not be told apart from rekam's own leaks by valgrind or LeakSanitizer.
 */
#define PIN_MAX 16

struct pin_list {
	char *names[PIN_MAX];
	unsigned int n;
};

static int pin_collect(struct dl_phdr_info *info, size_t size, void *data)
{
	struct pin_list *list = data;
	const char *name = info->dlpi_name;

	if (name && list->n < PIN_MAX && (strstr(name, "/libsane.so") ||
			strstr(name, "/sane/libsane-")))
		list->names[list->n++] = strdup(name);
	return 0;
}

static void pin_sane_libraries(void)
{
	struct pin_list list = { .n = 0 };

	dl_iterate_phdr(pin_collect, &list);
	for (unsigned int i = 0; i < list.n; i++) {
		void *h = list.names[i] ? dlopen(list.names[i], RTLD_NOW | RTLD_NOLOAD |
			RTLD_NODELETE) : NULL;

		if (h)
			dlclose(h); /* RTLD_NODELETE stays */
		free(list.names[i]);
	}
}

/* --- opening ------------------------------------------------------------------- */

int scan_open(struct scan_handle *sh, char *model, size_t model_size, char *vendor,
		size_t vendor_size, char *message, size_t size)
{
	const SANE_Device **list = NULL;
	SANE_Handle h = NULL;
	SANE_Status st;
	int err = scan_global_init(message, size);

	if (err)
		return err;
	pthread_mutex_lock(&library);
	if (!sh->name[0] || model_size) {
		st = sane_get_devices(&list, SANE_FALSE);
		if (st != SANE_STATUS_GOOD)
			list = NULL;
	}
	if (!sh->name[0]) {
		if (!list || !list[0]) {
			snprintf(message, size, "SANE finds no scanner");
			pthread_mutex_unlock(&library);
			return -ENODEV;
		}
		free(sh->name);
		sh->name = strdup(list[0]->name);
		if (!sh->name) {
			sh->name = strdup("");
			pthread_mutex_unlock(&library);
			return -ENOMEM;
		}
	}
	snprintf(model, model_size, "%s", sh->name);
	snprintf(vendor, vendor_size, "SANE");
	for (size_t i = 0; list && list[i]; i++) {
		if (strcmp(list[i]->name, sh->name) == 0) {
			snprintf(model, model_size, "%s", list[i]->model);
			snprintf(vendor, vendor_size, "%s", list[i]->vendor);
		}
	}
	st = sane_open(sh->name, &h);
	pin_sane_libraries(); /* the backends are loaded by now */
	pthread_mutex_unlock(&library);
	if (st != SANE_STATUS_GOOD) {
		snprintf(message, size, "the scanner %s does not answer: %s", sh->name,
			sane_strstatus(st));
		return st == SANE_STATUS_NO_MEM ? -ENOMEM : st == SANE_STATUS_ACCESS_DENIED ?
			-EACCES : -ENODEV;
	}
	pthread_mutex_lock(&sh->lock);
	sh->h = h;
	pthread_mutex_unlock(&sh->lock);
	return 0;
}

void scan_close(struct scan_handle *sh)
{
	pthread_mutex_lock(&library);
	pthread_mutex_lock(&sh->lock);
	if (sh->h)
		sane_close(sh->h);
	sh->h = NULL;
	pthread_mutex_unlock(&sh->lock);
	pthread_mutex_unlock(&library);
}

int scan_probe(struct scan_handle *sh, char *message, size_t size)
{
	SANE_Handle h = NULL;
	SANE_Status st;

	pthread_mutex_lock(&library);
	pthread_mutex_lock(&sh->lock);
	if (sh->h)
		sane_close(sh->h);
	sh->h = NULL;
	pthread_mutex_unlock(&sh->lock);
	st = sane_open(sh->name, &h);
	if (st == SANE_STATUS_GOOD) {
		pthread_mutex_lock(&sh->lock);
		sh->h = h;
		pthread_mutex_unlock(&sh->lock);
	}
	pthread_mutex_unlock(&library);
	if (st == SANE_STATUS_GOOD)
		return 0;
	snprintf(message, size, "the scanner %s stopped answering: %s", sh->name,
		sane_strstatus(st));
	return -ENODEV;
}

void scan_cancel(struct scan_handle *sh)
{
	pthread_mutex_lock(&sh->lock);
	if (sh->h && atomic_load(&sh->scanning))
		sane_cancel(sh->h);
	pthread_mutex_unlock(&sh->lock);
}

/* --- options -------------------------------------------------------------------- */

/* What the last option call said (under the library lock). */
static SANE_Status last_status;

/*
 * sane_control_option(), waiting while the device says it is busy: a backend
 * still finishing a cancelled job (sane-airscan deletes it over the network)
 * refuses options for a moment.
 */
static SANE_Status control(SANE_Handle h, SANE_Int i, SANE_Action action, void *value)
{
	const struct timespec pause = { .tv_nsec = 100 * 1000 * 1000 };
	SANE_Status st;

	for (int tries = 0;; tries++) {
		st = sane_control_option(h, i, action, value, NULL);
		if (st != SANE_STATUS_DEVICE_BUSY || tries == 50)
			break;
		nanosleep(&pause, NULL);
	}
	last_status = st;
	return st;
}

static int find_option(SANE_Handle h, const char *name, const SANE_Option_Descriptor **desc)
{
	SANE_Int n = 0;

	if (control(h, 0, SANE_ACTION_GET_VALUE, &n) != SANE_STATUS_GOOD)
		return -1;
	for (SANE_Int i = 1; i < n; i++) {
		const SANE_Option_Descriptor *d = sane_get_option_descriptor(h, i);

		if (d && d->name && strcmp(d->name, name) == 0 && SANE_OPTION_IS_ACTIVE(d->cap) &&
				SANE_OPTION_IS_SETTABLE(d->cap)) {
			*desc = d;
			return i;
		}
	}
	return -1;
}

/* The first value of a string list that contains one of @wanted (case aside). */
static const char *pick_string(const SANE_Option_Descriptor *d, const char *const *wanted)
{
	if (d->type != SANE_TYPE_STRING || d->constraint_type != SANE_CONSTRAINT_STRING_LIST)
		return NULL;
	for (; *wanted; wanted++)
		for (const SANE_String_Const *s = d->constraint.string_list; *s; s++)
			if (strcasestr(*s, *wanted))
				return *s;
	return NULL;
}

static void list_strings(const SANE_Option_Descriptor *d, char *out, size_t size)
{
	size_t len = 0;

	out[0] = '\0';
	if (d->constraint_type != SANE_CONSTRAINT_STRING_LIST)
		return;
	for (const SANE_String_Const *s = d->constraint.string_list; *s && len < size; s++)
		len += (size_t)snprintf(out + len, size - len, "%s%s", len ? ", " : "", *s);
}

static int set_string(SANE_Handle h, const char *name, const char *const *wanted,
		const char *what, char *message, size_t size)
{
	const SANE_Option_Descriptor *d = NULL;
	int i = find_option(h, name, &d);
	const char *value;
	char offered[160] = "";
	char buf[128];

	if (i < 0) {
		snprintf(message, size, "this scanner has no %s setting", what);
		return -EINVAL;
	}
	value = pick_string(d, wanted);
	if (!value) {
		list_strings(d, offered, sizeof(offered));
		snprintf(message, size, "this scanner cannot scan %s (it offers: %s)", what,
			offered);
		return -EINVAL;
	}
	snprintf(buf, sizeof(buf), "%s", value);
	if (control(h, i, SANE_ACTION_SET_VALUE, buf) != SANE_STATUS_GOOD) {
		snprintf(message, size, "the scanner refuses %s '%s': %s", what, value,
			sane_strstatus(last_status));
		return -EINVAL;
	}
	return 0;
}

static double word_value(const SANE_Option_Descriptor *d, SANE_Word w)
{
	return d->type == SANE_TYPE_FIXED ? SANE_UNFIX(w) : (double)w;
}

static SANE_Word to_word(const SANE_Option_Descriptor *d, double v)
{
	return d->type == SANE_TYPE_FIXED ? SANE_FIX(v) : (SANE_Word)lround(v);
}

/* Set a number option; @exact: refuse a value the device does not offer
 * (else clamp it into the device's range). */
static int set_number(SANE_Handle h, const char *name, double v, bool exact, char *message,
		size_t size)
{
	const SANE_Option_Descriptor *d = NULL;
	int i = find_option(h, name, &d);
	SANE_Word w;

	if (i < 0 || (d->type != SANE_TYPE_INT && d->type != SANE_TYPE_FIXED) || d->size !=
			sizeof(SANE_Word)) {
		if (!exact)
			return 0; /* no such geometry option: the whole glass */
		snprintf(message, size, "this scanner has no %s setting", name);
		return -EINVAL;
	}
	if (d->constraint_type == SANE_CONSTRAINT_RANGE) {
		double lo = word_value(d, d->constraint.range->min);
		double hi = word_value(d, d->constraint.range->max);

		if (exact && (v < lo || v > hi)) {
			snprintf(message, size, "%s %g is outside what the scanner offers "
				"(%g to %g)", name, v, lo, hi);
			return -EINVAL;
		}
		v = v < lo ? lo : v > hi ? hi : v;
	} else if (d->constraint_type == SANE_CONSTRAINT_WORD_LIST && exact) {
		const SANE_Word *list = d->constraint.word_list;
		char offered[160] = "";
		size_t len = 0;
		bool ok = false;

		for (SANE_Word k = 1; k <= list[0]; k++) {
			ok = ok || fabs(word_value(d, list[k]) - v) < 0.001;
			if (len < sizeof(offered))
				len += (size_t)snprintf(offered + len, sizeof(offered) - len, "%s%g",
					len ? ", " : "", word_value(d, list[k]));
		}
		if (!ok) {
			snprintf(message, size, "%s %g is not offered by the scanner (%s)", name, v,
				offered);
			return -EINVAL;
		}
	}
	w = to_word(d, v);
	if (control(h, i, SANE_ACTION_SET_VALUE, &w) != SANE_STATUS_GOOD) {
		snprintf(message, size, "the scanner refuses %s %g: %s", name, v,
			sane_strstatus(last_status));
		return -EINVAL;
	}
	return 0;
}

/* The largest value of a number option (the glass), or @fallback. */
static double option_max(SANE_Handle h, const char *name, double fallback)
{
	const SANE_Option_Descriptor *d = NULL;

	if (find_option(h, name, &d) < 0 || d->constraint_type != SANE_CONSTRAINT_RANGE)
		return fallback;
	return word_value(d, d->constraint.range->max);
}

/* The resolution the device will scan at, in dpi (0 when it does not say). */
static unsigned int current_resolution(SANE_Handle h)
{
	const SANE_Option_Descriptor *d = NULL;
	int i = find_option(h, SANE_NAME_SCAN_RESOLUTION, &d);
	SANE_Word w = 0;

	if (i < 0 || d->size != sizeof(SANE_Word) ||
			control(h, i, SANE_ACTION_GET_VALUE, &w) != SANE_STATUS_GOOD)
		return 0;
	return (unsigned int)lround(word_value(d, w));
}

static int apply(SANE_Handle h, const struct scan_settings *set, char *message, size_t size)
{
	static const char *const feeder[] = { "ADF", "Automatic Document Feeder", "Feeder", NULL };
	static const char *const flatbed[] = { "Flatbed", "Platen", "Normal", NULL };
	static const char *const gray[] = { SANE_VALUE_SCAN_MODE_GRAY, "Grayscale", NULL };
	static const char *const color[] = { SANE_VALUE_SCAN_MODE_COLOR, "RGB", NULL };
	const SANE_Option_Descriptor *d;
	double max_x, max_y, right, bottom;
	int err;

	if (set->adf || find_option(h, SANE_NAME_SCAN_SOURCE, &d) >= 0) {
		err = set_string(h, SANE_NAME_SCAN_SOURCE, set->adf ? feeder : flatbed,
			set->adf ? "from a document feeder" : "from the flatbed", message, size);
		if (err)
			return err;
	}
	err = set_string(h, SANE_NAME_SCAN_MODE, set->gray ? gray : color,
		set->gray ? "in grey" : "in colour", message, size);
	if (err)
		return err;
	if (set->resolution) {
		err = set_number(h, SANE_NAME_SCAN_RESOLUTION, set->resolution, true, message,
			size);
		if (err)
			return err;
	}
	max_x = option_max(h, SANE_NAME_SCAN_BR_X, 1e6);
	max_y = option_max(h, SANE_NAME_SCAN_BR_Y, 1e6);
	right = set->width > 0 ? set->left + set->width : max_x;
	bottom = set->height > 0 ? set->top + set->height : max_y;
	if (set->left >= max_x || set->top >= max_y) {
		snprintf(message, size, "the scan area starts outside the glass (%.0f x %.0f mm)",
			max_x, max_y);
		return -EINVAL;
	}
	return set_number(h, SANE_NAME_SCAN_TL_X, set->left, false, message, size) ?:
		set_number(h, SANE_NAME_SCAN_TL_Y, set->top, false, message, size) ?:
		set_number(h, SANE_NAME_SCAN_BR_X, right, false, message, size) ?:
		set_number(h, SANE_NAME_SCAN_BR_Y, bottom, false, message, size);
}

/* --- statuses -------------------------------------------------------------------- */

static int failed(struct scan_result *res, SANE_Status st, bool adf, unsigned int page)
{
	const char *kept = res->n_pages == 1 ? "the page" : "the pages";

	res->status = st;

	switch (st) {
	case SANE_STATUS_CANCELLED:
		res->err = -ECANCELED;
		snprintf(res->message, sizeof(res->message), "the scan was cancelled");
		break;
	case SANE_STATUS_JAMMED:
		res->err = -EIO;
		if (res->n_pages)
			snprintf(res->message, sizeof(res->message), "Paper jam in the document "
				"feeder at page %u: clear the feeder and scan the whole document "
				"again (%s scanned before the jam %s discarded)", page, kept,
				res->n_pages == 1 ? "was" : "were");
		else
			snprintf(res->message, sizeof(res->message), "Paper jam in the document "
				"feeder: clear the feeder and scan again");
		break;
	case SANE_STATUS_NO_DOCS:
		res->err = -EIO;
		snprintf(res->message, sizeof(res->message), adf ? "The document feeder is "
			"empty: put the papers in and scan again" : "There is no document on "
			"the scanner");
		break;
	case SANE_STATUS_COVER_OPEN:
		res->err = -EIO;
		snprintf(res->message, sizeof(res->message), "The scanner cover is open: close it "
			"and scan again");
		break;
	case SANE_STATUS_DEVICE_BUSY:
		res->err = -EBUSY;
		snprintf(res->message, sizeof(res->message), "The scanner is busy with another "
			"job; try again in a moment");
		break;
	case SANE_STATUS_NO_MEM:
		res->err = -ENOMEM;
		snprintf(res->message, sizeof(res->message), "out of memory while scanning");
		break;
	case SANE_STATUS_ACCESS_DENIED:
		res->err = -EACCES;
		snprintf(res->message, sizeof(res->message), "access to the scanner was denied");
		break;
	case SANE_STATUS_INVAL:
		res->err = -EINVAL;
		snprintf(res->message, sizeof(res->message), "the scanner refuses these settings");
		break;
	default:
		res->err = -EIO;
		snprintf(res->message, sizeof(res->message), "The scanner failed at page %u: %s",
			page, sane_strstatus(st));
		break;
	}
	return res->err;
}

/* After an I/O error: is the device still there? Reopen it to find out. */
static void check_presence(struct scan_handle *sh, struct scan_result *res)
{
	SANE_Handle h = NULL;

	pthread_mutex_lock(&sh->lock);
	sane_close(sh->h);
	sh->h = NULL;
	pthread_mutex_unlock(&sh->lock);
	if (sane_open(sh->name, &h) != SANE_STATUS_GOOD) {
		res->gone = true;
		res->err = -ENODEV;
		snprintf(res->message, sizeof(res->message), "the scanner stopped answering "
			"(%s)", sh->name);
		return;
	}
	pthread_mutex_lock(&sh->lock);
	sh->h = h;
	pthread_mutex_unlock(&sh->lock);
}

/* --- scanning --------------------------------------------------------------------- */

/*
 * Cancel the page being read and read on until the backend says it stopped:
 * a backend (sane-airscan) keeps refusing options until its reader has seen
 * the end of the cancelled job.
 */
static void drain(struct scan_handle *sh)
{
	uint8_t buf[4096];
	SANE_Int n;

	sane_cancel(sh->h);
	for (int i = 0; i < 100000; i++)
		if (sane_read(sh->h, buf, sizeof(buf), &n) != SANE_STATUS_GOOD)
			break;
	signals_restore();
}

/* Raw SANE rows to 8-bit grey or RGB, in place where possible. */
static int to_8bit(uint8_t *raw, const SANE_Parameters *p, unsigned int lines, bool *gray,
		uint8_t **pixels)
{
	unsigned int w = (unsigned int)p->pixels_per_line, comps;

	*gray = p->format == SANE_FRAME_GRAY;
	comps = *gray ? 1 : 3;
	if (p->depth == 8) {
		if ((size_t)p->bytes_per_line != (size_t)w * comps)
			for (unsigned int y = 0; y < lines; y++)
				memmove(raw + (size_t)y * w * comps,
					raw + (size_t)y * p->bytes_per_line, (size_t)w * comps);
		*pixels = raw;
		return 0;
	}
	*pixels = malloc((size_t)w * comps * lines);
	if (!*pixels)
		return -ENOMEM;
	for (unsigned int y = 0; y < lines; y++) {
		const uint8_t *src = raw + (size_t)y * p->bytes_per_line;
		uint8_t *dst = *pixels + (size_t)y * w * comps;

		for (unsigned int x = 0; x < w * comps; x++) {
			if (p->depth == 16)
				dst[x] = (uint8_t)(((const uint16_t *)src)[x] >> 8);
			else /* depth 1: a set bit is black */
				dst[x] = (src[x / 8] >> (7 - x % 8)) & 1 ? 0 : 255;
		}
	}
	return 0;
}

static int read_page(struct scan_handle *sh, const struct scan_settings *set,
		struct scan_result *res, unsigned int page, unsigned int dpi)
{
	SANE_Parameters p;
	struct scan_page *out = &res->pages[res->n_pages];
	uint8_t *raw = NULL, *pixels = NULL;
	size_t len = 0, size = 0, expected;
	unsigned int lines;
	SANE_Status st;
	bool gray;
	int err;

	st = sane_get_parameters(sh->h, &p);
	if (st != SANE_STATUS_GOOD)
		return failed(res, st, set->adf, page);
	if ((p.format != SANE_FRAME_GRAY && p.format != SANE_FRAME_RGB) ||
			(p.depth != 1 && p.depth != 8 && p.depth != 16) ||
			(p.format == SANE_FRAME_RGB && p.depth == 1) || p.pixels_per_line <= 0 ||
			p.bytes_per_line <= 0) {
		res->err = -EPROTO;
		snprintf(res->message, sizeof(res->message), "the scanner sends an image format "
			"rekam does not read (frame %d, depth %d)", p.format, p.depth);
		return res->err;
	}
	expected = p.lines > 0 ? (size_t)p.lines * p.bytes_per_line : 0;
	for (;;) {
		SANE_Int n = 0;

		if (atomic_load(&sh->cancel)) {
			free(raw);
			drain(sh);
			return failed(res, SANE_STATUS_CANCELLED, set->adf, page);
		}
		if (size - len < READ_CHUNK) {
			uint8_t *bigger;

			size = size ? size * 2 : (expected ? expected + READ_CHUNK : 4 * READ_CHUNK);
			bigger = size <= BUFFER_MAX ? realloc(raw, size) : NULL;
			if (!bigger) {
				free(raw);
				return failed(res, SANE_STATUS_NO_MEM, set->adf, page);
			}
			raw = bigger;
		}
		st = sane_read(sh->h, raw + len, READ_CHUNK, &n);
		signals_restore();
		if (st == SANE_STATUS_EOF)
			break;
		if (st != SANE_STATUS_GOOD) {
			free(raw);
			return failed(res, st, set->adf, page);
		}
		len += (size_t)n;
		if (sh->progress && expected)
			sh->progress(sh->progress_data, page, (double)len / (double)expected);
	}
	lines = (unsigned int)(len / (size_t)p.bytes_per_line);
	if (!lines) {
		free(raw);
		res->err = -EIO;
		snprintf(res->message, sizeof(res->message), "the scanner sent an empty page");
		return res->err;
	}
	err = to_8bit(raw, &p, lines, &gray, &pixels);
	if (!err) {
		out->width = (unsigned int)p.pixels_per_line;
		out->height = lines;
		out->gray = gray;
		out->dpi = dpi;
		if (set->format == SCAN_JPEG || set->pdf)
			err = page_encode_jpeg(pixels, out->width, lines, gray, out->dpi,
				set->jpeg_quality, &out->jpeg, &out->jpeg_size);
		if (!err && set->format == SCAN_JPEG) {
			out->data = out->jpeg;
			out->size = out->jpeg_size;
		} else if (!err) {
			err = page_encode_png(pixels, out->width, lines, gray, out->dpi, &out->data,
				&out->size);
		}
	}
	if (pixels != raw)
		free(pixels);
	free(raw);
	if (err) {
		if (out->jpeg != out->data)
			free(out->jpeg);
		free(out->data);
		memset(out, 0, sizeof(*out));
		res->err = err;
		snprintf(res->message, sizeof(res->message), "page %u could not be encoded", page);
		return err;
	}
	res->n_pages++;
	return 0;
}

void scan_run(struct scan_handle *sh, const struct scan_settings *set, struct scan_result *res)
{
	unsigned int page, dpi = 0;
	SANE_Status st = SANE_STATUS_GOOD;

	pthread_mutex_lock(&library);
	if (!sh->h) {
		pthread_mutex_unlock(&library);
		res->err = -ENODEV;
		res->gone = true;
		snprintf(res->message, sizeof(res->message), "the scanner is not open");
		return;
	}
	last_status = SANE_STATUS_GOOD;
	res->err = apply(sh->h, set, res->message, sizeof(res->message));
	if (res->err && last_status != SANE_STATUS_GOOD && last_status != SANE_STATUS_INVAL)
		failed(res, last_status, set->adf, 1); /* the device, not the settings */
	if (!res->err)
		dpi = current_resolution(sh->h);
	for (page = 1; !res->err; page++) {
		if (atomic_load(&sh->cancel)) {
			failed(res, SANE_STATUS_CANCELLED, set->adf, page);
			break;
		}
		atomic_store(&sh->scanning, true);
		st = sane_start(sh->h);
		if (st == SANE_STATUS_NO_DOCS && set->adf && res->n_pages)
			break; /* the feeder is empty: the document is complete */
		if (st != SANE_STATUS_GOOD) {
			failed(res, atomic_load(&sh->cancel) ? SANE_STATUS_CANCELLED : st, set->adf,
				page);
			break;
		}
		if (read_page(sh, set, res, page, dpi) < 0)
			break;
		if (!set->adf || res->n_pages == SCAN_PAGES_MAX ||
				(set->max_pages && res->n_pages >= set->max_pages))
			break;
	}
	atomic_store(&sh->scanning, false);
	if (sh->h)
		sane_cancel(sh->h); /* ends the batch, or the failed page */
	signals_restore();
	if (res->err && res->status == SANE_STATUS_IO_ERROR && sh->h)
		check_presence(sh, res);
	pthread_mutex_unlock(&library);
	if (res->err)
		scan_result_clear(res);
}

/* --- self-test ---------------------------------------------------------------------- */

void scan_self_test(struct scan_handle *sh, void (*step)(void *data, const char *name,
		bool passed, const char *detail), void *data)
{
	struct scan_settings set = {
		.width = 20, .height = 20, .format = SCAN_PNG, .jpeg_quality = 80,
	};
	struct scan_result *res = calloc(1, sizeof(*res));
	const SANE_Option_Descriptor *d = NULL;
	char detail[SCAN_MESSAGE_MAX];
	bool open;

	pthread_mutex_lock(&library);
	open = sh->h != NULL;
	step(data, "connection", open, open ? sh->name : "the scanner is not open");
	if (open && find_option(sh->h, SANE_NAME_SCAN_RESOLUTION, &d) >= 0) {
		if (d->constraint_type == SANE_CONSTRAINT_WORD_LIST)
			set.resolution = (int)word_value(d, d->constraint.word_list[1]);
		else if (d->constraint_type == SANE_CONSTRAINT_RANGE)
			set.resolution = (int)word_value(d, d->constraint.range->min);
		snprintf(detail, sizeof(detail), "resolution from %d dpi", set.resolution);
		step(data, "options", true, detail);
	} else if (open) {
		step(data, "options", false, "the scanner has no resolution option");
	}
	pthread_mutex_unlock(&library);
	if (!open || !res) {
		free(res);
		return;
	}
	scan_run(sh, &set, res);
	if (res->err)
		snprintf(detail, sizeof(detail), "%s", res->message);
	else
		snprintf(detail, sizeof(detail), "a 20 x 20 mm test scan at %d dpi: %u x %u pixels",
			set.resolution, res->pages[0].width, res->pages[0].height);
	step(data, "scan", res->err == 0, detail);
	scan_result_clear(res);
	free(res);
}
